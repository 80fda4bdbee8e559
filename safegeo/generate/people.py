"""People of the synthetic study area: vulnerable groups per village, population rasters, past disasters, contacts.

Every draw has its own seeded stream (``[seed, 20..23]``), so adding these
layers leaves the other layers of a given seed unchanged.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine

from safegeo.generate.geography import _Flood
from safegeo.generate.layers import _phones

#: Share of a village's people in each vulnerable group (drawn binomially per village).
GROUP_SHARES = {"under5": 0.075, "elderly": 0.11, "disabled": 0.02, "bedridden": 0.004}
#: Population raster cell (m) and the spread of a village's houses around its point (m, Gaussian sigma).
POP_CELL_M = 100.0
POP_SIGMA_M = 250.0
#: Years of synthetic disaster records (Gregorian), the last being the generator's reference year.
EVENT_YEARS = tuple(range(2016, 2026))

_FIRST = ("สมชาย", "อับดุลเลาะ", "มะแซ", "สุริยา", "ฮาซัน", "อิบรอฮิม", "ประเสริฐ", "มูฮัมหมัด", "วิชัย", "ยูโซะ")
_LAST = ("ดาโอ๊ะ", "สาและ", "แวมามุ", "บินอาแว", "ศรีสุข", "หะยีดาโอะ", "ทองคำ", "เจ๊ะเต๊ะ", "มะดาโอะ", "แก้วมณี")


def village_groups(seed: int, villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The villages with ``under5``, ``elderly``, ``disabled`` and ``bedridden`` counts (each at most the population)."""
    rng = np.random.default_rng([seed, 20])
    pop = villages["population"].to_numpy(np.int64)
    out = villages.copy()
    geom = out.pop("geometry")
    for g, p in GROUP_SHARES.items():
        out[g] = rng.binomial(pop, p).astype(np.int64)
    out["geometry"] = geom
    return out.set_geometry("geometry")


def population_grid(villages: gpd.GeoDataFrame, bounds: tuple[float, float, float, float], *,
                    column: str = "population", cell_m: float = POP_CELL_M,
                    sigma_m: float = POP_SIGMA_M) -> tuple[np.ndarray, Affine]:
    """People per cell: each village's *column* spread over the cells around it (Gaussian), totals kept exactly.

    Returns the (rows, cols) float32 grid and its north-up transform (the villages' CRS).
    """
    x0, y0, x1, y1 = bounds
    x0, y0 = np.floor(x0 / cell_m) * cell_m, np.floor(y0 / cell_m) * cell_m
    x1, y1 = np.ceil(x1 / cell_m) * cell_m, np.ceil(y1 / cell_m) * cell_m
    w, h = int(round((x1 - x0) / cell_m)), int(round((y1 - y0) / cell_m))
    grid = np.zeros((h, w), dtype=np.float64)
    xy = shapely.get_coordinates(villages.geometry.values)
    people = villages[column].to_numpy(float)
    r = int(np.ceil(3 * sigma_m / cell_m))
    off = np.arange(-r, r + 1)
    for (x, y), n in zip(xy, people, strict=True):
        c0 = int((x - x0) // cell_m)
        r0 = int((y1 - y) // cell_m)
        cols, rows = c0 + off, r0 + off
        cx = x0 + (cols + 0.5) * cell_m
        cy = y1 - (rows + 0.5) * cell_m
        wgt = np.exp(-((cy[:, None] - y) ** 2 + (cx[None, :] - x) ** 2) / (2 * sigma_m ** 2))
        inside = (rows[:, None] >= 0) & (rows[:, None] < h) & (cols[None, :] >= 0) & (cols[None, :] < w)
        wgt = np.where(inside, wgt, 0.0)
        if wgt.sum() == 0:
            continue
        rr, cc = np.nonzero(inside)
        np.add.at(grid, (rows[rr], cols[cc]), (n * wgt / wgt.sum())[rr, cc])
    return grid.astype(np.float32), Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1)


def disaster_events(seed: int, tambons: gpd.GeoDataFrame, flood: _Flood) -> pd.DataFrame:
    """Past disasters per tambon, as the DDPM declares them: a table keyed by tambon code (no geometry).

    Floods come back most years in the tambons the flood footprint covers
    most, landslides in a few inland tambons, storms and haze now and then.
    Columns ``event_id``, ``tambon_id``, ``kind``, ``start``, ``end``
    (ISO dates), ``severity`` and ``affected`` (people).
    """
    rng = np.random.default_rng([seed, 22])
    t = tambons.reset_index(drop=True)
    area = t.geometry.area.to_numpy()
    fp = shapely.union_all(flood.polygons.geometry.values)
    wet = np.asarray(shapely.area(shapely.intersection(t.geometry.values, fp))) / np.where(area > 0, area, 1.0)
    p_flood = np.clip(0.08 + 3.0 * wet, 0.0, 0.95)
    cx = t.geometry.centroid.x.to_numpy()
    inland = cx < np.quantile(cx, 0.25)
    rows = []
    for year in EVENT_YEARS:
        for i, tid in enumerate(t["tambon_id"].astype(str)):
            if rng.random() < p_flood[i]:
                day = pd.Timestamp(year, 11, 1) + pd.Timedelta(days=int(rng.integers(0, 55)))
                rows.append((tid, "flood", day, day + pd.Timedelta(days=int(rng.integers(2, 15))),
                             "high" if wet[i] > 0.15 else "medium", int(rng.integers(50, 4000))))
            if inland[i] and rng.random() < 0.12:
                day = pd.Timestamp(year, 12, 1) + pd.Timedelta(days=int(rng.integers(0, 40)))
                rows.append((tid, "landslide", day, day, "high", int(rng.integers(5, 200))))
            if rng.random() < 0.05:
                day = pd.Timestamp(year, 10, 1) + pd.Timedelta(days=int(rng.integers(0, 60)))
                rows.append((tid, "storm", day, day + pd.Timedelta(days=1), "medium", int(rng.integers(10, 600))))
        if rng.random() < 0.3:  # a haze season touches a whole district
            d = rng.choice(t["district_id"].astype(str).unique())
            day = pd.Timestamp(year, 8, 1) + pd.Timedelta(days=int(rng.integers(0, 30)))
            for tid in t.loc[t["district_id"].astype(str) == d, "tambon_id"].astype(str):
                rows.append((tid, "haze", day, day + pd.Timedelta(days=20), "low", 0))
    ev = pd.DataFrame(rows, columns=["tambon_id", "kind", "start", "end", "severity", "affected"])
    ev = ev.sort_values(["start", "tambon_id", "kind"], kind="stable").reset_index(drop=True)
    ev.insert(0, "event_id", [f"E{i + 1:05d}" for i in range(len(ev))])
    ev["start"] = ev["start"].dt.strftime("%Y-%m-%d")
    ev["end"] = ev["end"].dt.strftime("%Y-%m-%d")
    return ev


def village_contacts(seed: int, villages: gpd.GeoDataFrame, tambon_of: np.ndarray) -> pd.DataFrame:
    """One village head (phu yai ban) per village with an invented name and phone number (private by design)."""
    rng = np.random.default_rng([seed, 23])
    n = len(villages)
    names = [f"{_FIRST[a]} {_LAST[b]}" for a, b in zip(rng.integers(0, len(_FIRST), n).tolist(),
                                                       rng.integers(0, len(_LAST), n).tolist(), strict=True)]
    return pd.DataFrame({
        "contact_id": [f"C{i + 1:04d}" for i in range(n)],
        "village_id": villages["village_id"].astype(str).to_numpy(),
        "tambon_id": tambon_of,
        "role": "village_head",
        "name": names,
        "phone": _phones(rng, n),
    })
