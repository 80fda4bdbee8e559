"""The one area lookup (safegeo.areas.AreaIndex): many places and few places give the same rows as a brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from conftest import UTM47, X0, Y0

from safegeo.areas import AreaIndex


def _areas(rng, n, prefix, col):
    # overlapping boxes (a place in two areas goes to the smaller id), one id repeated, holes between them
    boxes = [shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)
             for x, y, w, h in zip(*(rng.uniform(0, 800, n), rng.uniform(0, 800, n), rng.uniform(50, 400, n),
                                     rng.uniform(50, 400, n)), strict=True)]
    ids = [f"{prefix}{i:02d}" for i in rng.permutation(n)]
    return gpd.GeoDataFrame({col: ids, "name_en": [f"Area {i}" for i in ids]},
                            geometry=boxes, crs=UTM47)


def _brute(areas: gpd.GeoDataFrame, col: str, pts: np.ndarray) -> np.ndarray:
    out = np.full(len(pts), None, dtype=object)
    order = np.argsort(areas[col].astype(str).to_numpy(), kind="stable")
    for i, p in enumerate(pts):
        for r in order:
            if shapely.intersects(areas.geometry.iloc[r], p):
                out[i] = areas[col].iloc[r]
                break
    return out


def test_locate_with_many_places_equals_few_places_and_a_brute_force():
    rng = np.random.default_rng(8)
    districts = _areas(rng, 6, "D", "district_id")
    tambons = _areas(rng, 9, "T", "tambon_id")
    tambons["district_id"] = districts["district_id"].to_numpy()[rng.integers(0, 6, 9)]
    idx = AreaIndex(districts, tambons)
    pts = shapely.points(X0 + rng.uniform(-100, 1300, 2000), Y0 + rng.uniform(-100, 1300, 2000))
    pts[5] = None
    many = idx.locate(pts, crs=UTM47)  # more than 20 places per area: the places' tree
    few = [idx.locate(pts[i:i + 10], crs=UTM47) for i in range(0, 2000, 10)]  # the areas' tree
    few = pd.concat(few, ignore_index=True)
    def col(frame, c):  # missing is missing (None or NaN)
        v = frame[c].to_numpy(object)
        return np.where(pd.isna(v), None, v)

    for c in ("district_id", "district", "tambon_id", "tambon", "in_area"):
        np.testing.assert_array_equal(col(many, c), col(few, c), err_msg=c)
    ok = ~shapely.is_missing(pts)
    np.testing.assert_array_equal(col(many, "tambon_id")[ok], _brute(tambons, "tambon_id", pts[ok]))
    # the district is the tambon's district where a tambon holds the place, else the district polygon's
    want_d = _brute(districts, "district_id", pts[ok])
    from_t = tambons.set_index("tambon_id")["district_id"]
    t_ids = col(many, "tambon_id")[ok]
    want_d = np.where(t_ids != None, [from_t.get(t) for t in t_ids], want_d)  # noqa: E711
    np.testing.assert_array_equal(col(many, "district_id")[ok], want_d)
    label = dict(zip(districts["district_id"], districts["name_en"], strict=True))
    np.testing.assert_array_equal(col(many, "district")[ok], np.array([label.get(v) for v in want_d], dtype=object))
    assert many["in_area"].any() and not many["in_area"].all()
