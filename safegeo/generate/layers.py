"""Point layers of the synthetic study area: villages, shelters, street lights, cameras, SOS buttons, POIs, vehicles."""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Polygon

from safegeo.generate.geography import CRS, _Flood, _geography
from safegeo.generate.graph import SyntheticGraph

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------
# Point layers
# --------------------------------------------------------------------------------------

_VILLAGE_NAMES = (
    ("Toh Deng", "โต๊ะเด็ง"), ("Buketa", "บูเก๊ะตา"), ("Kubae", "กูแบ"), ("Paseh Mas", "ปาเสมัส"),
    ("Tanyong", "ตันหยง"), ("Lubo", "ลูโบ๊ะ"), ("Kalisa", "กาลีซา"), ("Sala Mai", "ศาลาใหม่"),
    ("Khok Khian", "โคกเคียน"), ("Bang Khun Thong", "บางขุนทอง"), ("Ko Sathon", "เกาะสะท้อน"),
    ("Phron", "พร่อน"), ("Chehe", "เจ๊ะเห"), ("Kaluwo", "กะลุวอ"), ("Lam Phu", "ลำภู"),
    ("Manang Tayo", "มะนังตายอ"), ("Bang Po", "บางปอ"), ("Bang Nak", "บางนาค"), ("Lahan", "ลาหาน"),
    ("Dusong Yo", "ดุซงญอ"), ("Chuap", "จวบ"), ("Phadung Mat", "ผดุงมาตร"), ("Taba", "ตาบา"),
    ("Sako", "สากอ"), ("Munoh", "มูโนะ"), ("Puyo", "ปูโยะ"), ("Riang", "เรียง"), ("Marue Bo", "มะรือโบ"),
    ("Nong Bua", "หนองบัว"), ("Khok Sato", "โคกสะตอ"), ("Kampong", "กำปง"), ("Bukit", "บูกิต"),
    ("Pasir", "ปาซีร์"), ("Kuala", "กัวลา"), ("Tha Ruea", "ท่าเรือ"), ("Khlong Tan", "คลองตัน"),
)
_PHONE_PREFIXES = ("073-5", "073-6", "081-", "086-", "089-", "095-")
_PLATE_LETTERS = ("กข", "กค", "ขง", "ฒค", "ฒช", "บห", "ผอ", "นข", "กต", "ชร", "ญษ", "ผฉ")


def _phones(rng: np.random.Generator, n: int) -> list[str]:
    pref = rng.integers(0, len(_PHONE_PREFIXES), n)
    nums = rng.integers(0, 10_000_000, n)
    out = []
    for p, num in zip(pref.tolist(), nums.tolist()):
        pre = _PHONE_PREFIXES[p]
        if pre.startswith("073"):
            out.append(f"{pre}{num % 100:02d}-{num // 100 % 1000:03d}")
        else:
            out.append(f"{pre}{num % 1000:03d}-{num // 1000 % 10000:04d}")
    return out


def _offset(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, rmin: float, rmax: float) -> tuple[np.ndarray, np.ndarray]:
    ang = rng.uniform(0, 2 * np.pi, x.size)
    r = rng.uniform(rmin, rmax, x.size)
    return x + r * np.cos(ang), y + r * np.sin(ang)


def _points_gdf(data: dict, x: np.ndarray, y: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=shapely.points(np.asarray(x, float), np.asarray(y, float)), crs=CRS)


def _place_near_nodes(
    rng: np.random.Generator,
    g: SyntheticGraph,
    nodes: np.ndarray,
    rmin: float,
    rmax: float,
    *,
    river_clearance: float,
    flood: _Flood,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offset points around ``nodes`` that stay on land and clear of rivers; returns node, x, y."""
    geo = _geography()
    px, py = _offset(rng, g.x[nodes], g.y[nodes], rmin, rmax)
    ok = geo.on_land(px, py) & (flood.sample(flood.river_dist, px, py, 0.0) > river_clearance)
    return nodes[ok], px[ok], py[ok]


def _weighted_choice(rng: np.random.Generator, items: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    n = min(n, items.size)
    if n <= 0:
        return items[:0]
    p = weights / weights.sum()
    return rng.choice(items, size=n, replace=False, p=p)


def _village_layer(
    rng: np.random.Generator, g: SyntheticGraph, node_town: np.ndarray, flood: _Flood, n_v: int
) -> gpd.GeoDataFrame:
    nodes = np.arange(g.n_nodes)
    river_d = flood.sample(flood.river_dist, g.x, g.y, 1e9)
    # villages cluster along rivers and the coast; some lie in towns
    w = np.where(node_town < 0, 1.0, 0.35) * (1.0 + 5.0 * np.exp(-river_d / 1500.0))
    cand = _weighted_choice(rng, nodes, w, int(n_v * 1.6) + 20)
    node, x, y = _place_near_nodes(rng, g, cand, 40.0, 130.0, river_clearance=60.0, flood=flood)
    node, x, y = node[:n_v], x[:n_v], y[:n_v]
    n = x.size
    pop = np.clip(np.round(rng.lognormal(np.log(800.0), 0.55, n)), 200, 3000).astype(np.int64)
    base = rng.integers(0, len(_VILLAGE_NAMES), n)
    count: dict[int, int] = {}
    name_en, name_th = [], []
    for b in base.tolist():
        count[b] = count.get(b, 0) + 1
        en, th = _VILLAGE_NAMES[b]
        name_en.append(f"Ban {en} (Mu {count[b]})")
        name_th.append(f"บ้าน{th} หมู่ {count[b]}")
    return _points_gdf(
        {"village_id": [f"V{i + 1:04d}" for i in range(n)], "population": pop, "name_en": name_en, "name_th": name_th},
        x,
        y,
    )


def _town_nodes(g: SyntheticGraph, node_town: np.ndarray, t_idx: int) -> np.ndarray:
    """Nodes of a town's street grid, or the 10 nodes nearest its centre when the grid is empty."""
    nodes = np.flatnonzero(node_town == t_idx)
    if nodes.size:
        return nodes
    t = _geography().towns[t_idx]
    return np.argsort(np.hypot(g.x - t.x, g.y - t.y), kind="stable")[:10]


def _shelter_layer(
    rng: np.random.Generator,
    g: SyntheticGraph,
    node_town: np.ndarray,
    flood: _Flood,
    villages: gpd.GeoDataFrame,
    n_sh: int,
) -> gpd.GeoDataFrame:
    geo = _geography()
    towns = geo.towns
    hz = flood.polygons.geometry.union_all() if len(flood.polygons) else Polygon()
    shapely.prepare(hz)
    node_in_flood = shapely.contains_xy(hz, g.x, g.y) if not hz.is_empty else np.zeros(g.n_nodes, bool)
    n_hosp = max(3, round(0.11 * n_sh))
    n_office = min(len(towns), max(3, round(0.17 * n_sh)))
    n_flooded = max(2, round(0.1 * n_sh))
    size_w = np.array([t.radius_m**2 for t in towns])

    cats: list[str] = []
    nodes: list[int] = []
    labels: list[str] = []
    labels_th: list[str] = []
    # hospitals and district offices near town centres (safe ground)
    for n_h in range(n_hosp):
        t_idx = int(np.argsort(-size_w, kind="stable")[n_h % len(towns)])
        cands = _town_nodes(g, node_town, t_idx)
        cands = cands[~node_in_flood[cands]] if (~node_in_flood[cands]).any() else cands
        nodes.append(int(rng.choice(cands)))
        cats.append("hospital")
        t = towns[t_idx]
        suffix = f" {n_h // len(towns) + 1}" if n_h >= len(towns) else ""
        labels.append(f"{t.name_en} Hospital{suffix}")
        labels_th.append(f"โรงพยาบาล{t.name_th}{suffix}")
    for t_idx in range(n_office):
        cands = _town_nodes(g, node_town, t_idx)
        cands = cands[~node_in_flood[cands]] if (~node_in_flood[cands]).any() else cands
        nodes.append(int(rng.choice(cands)))
        cats.append("district_office")
        labels.append(f"{towns[t_idx].name_en} District Office")
        labels_th.append(f"ที่ว่าการอำเภอ{towns[t_idx].name_th}")
    # schools, mosques and temples: some deliberately inside the flood area
    wet_nodes = np.flatnonzero(node_in_flood)
    dry_nodes = np.flatnonzero(~node_in_flood)
    picks = list(rng.choice(wet_nodes, size=min(n_flooded, wet_nodes.size), replace=False)) if wet_nodes.size else []
    w = np.where(node_town[dry_nodes] >= 0, 3.0, 1.0)
    picks += list(_weighted_choice(rng, dry_nodes, w, n_sh - len(nodes) - len(picks)))
    cat_pool = np.array(["school", "school", "school", "mosque", "mosque", "temple"])
    for node in picks:
        cat = str(rng.choice(cat_pool))
        vn_en, vn_th = _VILLAGE_NAMES[int(rng.integers(0, len(_VILLAGE_NAMES)))]
        nodes.append(int(node))
        cats.append(cat)
        if cat == "school":
            labels.append(f"Ban {vn_en} School")
            labels_th.append(f"โรงเรียนบ้าน{vn_th}")
        elif cat == "mosque":
            labels.append(f"Masjid Ban {vn_en}")
            labels_th.append(f"มัสยิดบ้าน{vn_th}")
        else:
            labels.append(f"Wat {vn_en}")
            labels_th.append(f"วัด{vn_th}")
    node_arr = np.array(nodes, dtype=np.int64)
    px, py = _offset(rng, g.x[node_arr], g.y[node_arr], 15.0, 45.0)
    bad = ~geo.on_land(px, py)
    px[bad], py[bad] = g.x[node_arr[bad]], g.y[node_arr[bad]]
    cat_arr = np.array(cats)
    n = cat_arr.size
    in_flood = shapely.contains_xy(hz, px, py) if not hz.is_empty else np.zeros(n, bool)

    kind = np.where(cat_arr == "hospital", "hospital", "shelter").astype(object)
    r = rng.random(n)
    kind[(cat_arr == "district_office") & (r < 0.6)] = "safe_area"
    kind[(cat_arr == "temple") | ((cat_arr == "mosque") & (r < 0.4))] = "refuge"
    kind[(cat_arr == "school") & (r < 0.15)] = "safe_area"
    safe_pool = np.array(["flood,storm", "flood,storm", "", "flood", "storm"], dtype=object)
    safe_for = safe_pool[rng.integers(0, safe_pool.size, n)]
    safe_for[in_flood] = np.where(rng.random(int(in_flood.sum())) < 0.5, "storm", "storm,landslide")
    safe_for[(cat_arr == "hospital") & ~in_flood] = "flood,storm"

    # capacity: the shelters usable in a flood (dry, and safe for floods) hold 90-105 % of the
    # population living inside the flood polygons, so a flood plan is tight but not hopeless
    vx_, vy_ = villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy()
    vin = shapely.contains_xy(hz, vx_, vy_) if not hz.is_empty else np.zeros(len(villages), bool)
    at_risk = int(villages["population"].to_numpy()[vin].sum()) or int(0.1 * villages["population"].sum())
    beds = np.where(cat_arr == "hospital", rng.integers(30, 300, n), 0)
    raw = rng.lognormal(0.0, 0.45, n) * np.select(
        [cat_arr == "school", cat_arr == "district_office", cat_arr == "mosque"], [1.3, 1.6, 0.9], 0.7
    )
    raw[cat_arr == "hospital"] = 0.0
    flood_ok = ~in_flood & np.array([s == "" or "flood" in s.split(",") for s in safe_for])
    target = rng.uniform(0.9, 1.05) * at_risk - beds[flood_ok].sum()
    usable_raw = raw[flood_ok].sum() or raw.sum()
    cap = np.maximum(np.round(raw / usable_raw * max(target, 50.0 * n)), 50).astype(np.int64)
    cap[cat_arr == "hospital"] = beds[cat_arr == "hospital"]
    lon, lat = _to_lonlat(px, py)
    return gpd.GeoDataFrame(
        {
            "shelter_id": [f"SH{i + 1:03d}" for i in range(n)],
            "name_en": labels,
            "name_th": labels_th,
            "kind": kind,
            "category": cat_arr.astype(object),
            "capacity": cap,
            "safe_for": safe_for,
            "contact": _phones(rng, n),
            "lon": np.round(lon, 7),
            "lat": np.round(lat, 7),
        },
        geometry=shapely.points(px, py),
        crs=CRS,
    )


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    t = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = t.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def _bearing(g: SyntheticGraph, nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Compass bearing (0 = north) from each node along one of its segments."""
    ends = np.concatenate([g.u, g.v])
    other = np.concatenate([g.v, g.u])
    order = np.argsort(ends, kind="stable")
    start = np.searchsorted(ends[order], nodes)
    stop = np.searchsorted(ends[order], nodes, side="right")
    pick = start + np.floor(rng.random(nodes.size) * np.maximum(stop - start, 1)).astype(np.int64)
    nb = other[order][np.minimum(pick, ends.size - 1)]
    b = np.degrees(np.arctan2(g.x[nb] - g.x[nodes], g.y[nb] - g.y[nodes])) % 360.0
    return np.round(b, 1)


def _point_layers(
    seed: int, g: SyntheticGraph, node_town: np.ndarray, flood: _Flood, scale: float
) -> dict[str, gpd.GeoDataFrame]:
    geo = _geography()
    towns = geo.towns
    out: dict[str, gpd.GeoDataFrame] = {}
    deg = np.bincount(np.concatenate([g.u, g.v]), minlength=g.n_nodes)
    in_town = node_town >= 0
    town_w = np.array([t.radius_m for t in towns])

    # villages and shelters
    rng = np.random.default_rng([seed, 10])
    out["villages"] = _village_layer(rng, g, node_town, flood, max(20, round(300 * scale)))
    rng = np.random.default_rng([seed, 11])
    out["shelters"] = _shelter_layer(rng, g, node_town, flood, out["villages"], max(12, round(60 * scale)))

    # CCTV: town junctions, weighted to bigger towns, a few along the trunk road
    rng = np.random.default_rng([seed, 12])
    n_cam = max(20, round(300 * scale))
    junction = np.flatnonzero(in_town & (deg >= 3))
    w = town_w[node_town[junction]] ** 1.5
    cam_nodes = _weighted_choice(rng, junction, w, n_cam)
    cam_nodes = np.sort(cam_nodes)
    cx, cy = _offset(rng, g.x[cam_nodes], g.y[cam_nodes], 3.0, 8.0)
    dome = rng.random(cam_nodes.size) < 0.3
    direction = _bearing(g, cam_nodes, rng)
    direction[dome] = np.nan
    fov = np.where(dome, 360.0, rng.choice(np.array([60.0, 75.0, 90.0, 110.0]), cam_nodes.size))
    rng_m = np.where(dome, rng.uniform(20.0, 35.0, cam_nodes.size), rng.uniform(35.0, 80.0, cam_nodes.size)).round(0)
    out["cameras"] = _points_gdf(
        {
            "camera_id": [f"CAM{i + 1:04d}" for i in range(cam_nodes.size)],
            "direction_deg": direction,
            "fov_deg": fov,
            "range_m": rng_m,
        },
        cx,
        cy,
    )

    # street lights along lit town streets and the trunk road in towns; dark patches left
    rng = np.random.default_rng([seed, 13])
    n_light = max(100, round(3000 * scale))
    ex0, ey0, ex1, ey1 = g.x[g.u], g.y[g.u], g.x[g.v], g.y[g.v]
    both_town = in_town[g.u] & in_town[g.v]
    lit = both_town & np.isin(g.highway, ("trunk", "secondary", "tertiary", "residential"))
    mx, my = (ex0 + ex1) / 2, (ey0 + ey1) / 2
    for t in towns:  # one or two unlit patches per town
        for _ in range(int(rng.integers(1, 3))):
            ang, rr = rng.uniform(0, 2 * np.pi), rng.uniform(0.2, 0.8) * t.radius_m
            dx_, dy_ = t.x + rr * np.cos(ang), t.y + rr * np.sin(ang)
            lit &= np.hypot(mx - dx_, my - dy_) > 0.25 * t.radius_m
    lit &= rng.random(g.n_edges) > 0.1
    lit_e = np.flatnonzero(lit)
    seg_len = np.hypot(ex1 - ex0, ey1 - ey0)[lit_e]
    spacing = max(seg_len.sum() / n_light, 1.0)
    per = np.floor(seg_len / spacing + rng.random(lit_e.size)).astype(np.int64)
    e_rep = np.repeat(lit_e, per)
    k_in = np.arange(e_rep.size) - np.repeat(np.cumsum(per) - per, per)
    t_along = (k_in + 0.5) / np.repeat(np.maximum(per, 1), per)
    side = np.where(k_in % 2 == 0, 1.0, -1.0) * 6.0
    ddx, ddy = ex1[e_rep] - ex0[e_rep], ey1[e_rep] - ey0[e_rep]
    ln = np.hypot(ddx, ddy)
    lx = ex0[e_rep] + t_along * ddx - side * ddy / ln
    ly = ey0[e_rep] + t_along * ddy + side * ddx / ln
    out["lights"] = _points_gdf(
        {"light_id": [f"L{i + 1:06d}" for i in range(lx.size)], "radius_m": rng.choice(np.array([20.0, 25.0, 30.0]), lx.size)},
        lx,
        ly,
    )

    # SOS buttons: town junctions
    rng = np.random.default_rng([seed, 14])
    sos_nodes = np.sort(_weighted_choice(rng, junction, town_w[node_town[junction]], max(10, round(80 * scale))))
    sx, sy = _offset(rng, g.x[sos_nodes], g.y[sos_nodes], 4.0, 12.0)
    out["sos"] = _points_gdf({"sos_id": [f"SOS{i + 1:03d}" for i in range(sos_nodes.size)]}, sx, sy)

    # points of interest
    rng = np.random.default_rng([seed, 15])
    n_poi = max(15, round(150 * scale))
    cand = _weighted_choice(rng, np.arange(g.n_nodes), np.where(in_town, 4.0, 1.0), int(n_poi * 1.5) + 10)
    pn, px, py = _place_near_nodes(rng, g, cand, 20.0, 70.0, river_clearance=30.0, flood=flood)
    pn, px, py = pn[:n_poi], px[:n_poi], py[:n_poi]
    kinds = np.array(["school", "school", "market", "mosque", "health_center", "temple"], dtype=object)
    pk = kinds[rng.integers(0, kinds.size, px.size)]
    pk[np.isin(pk, ["market"]) & ~in_town[pn]] = "school"
    out["pois"] = _points_gdf(
        {
            "poi_id": [f"POI{i + 1:04d}" for i in range(px.size)],
            "kind": pk,
            "name_en": [f"{k.replace('_', ' ').title()} {i + 1}" for i, k in enumerate(pk)],
        },
        px,
        py,
    )

    # incidents: mostly on town roads
    rng = np.random.default_rng([seed, 16])
    n_inc = max(10, round(100 * scale))
    inc_nodes = _weighted_choice(rng, np.arange(g.n_nodes), np.where(in_town, 5.0, 1.0), n_inc)
    ix, iy = _offset(rng, g.x[inc_nodes], g.y[inc_nodes], 0.0, 25.0)
    ikinds = np.array(["road_accident", "road_accident", "medical", "fire", "flood_rescue", "theft"], dtype=object)
    day0 = np.datetime64("2024-01-01")
    days = rng.integers(0, 670, inc_nodes.size)
    out["incidents"] = _points_gdf(
        {
            "incident_id": [f"INC{i + 1:04d}" for i in range(inc_nodes.size)],
            "kind": ikinds[rng.integers(0, ikinds.size, inc_nodes.size)],
            "date": [str(day0 + int(d)) for d in days],
        },
        ix,
        iy,
    )

    # emergency vehicles at bases in towns
    rng = np.random.default_rng([seed, 17])
    n_veh = max(10, round(40 * math.sqrt(scale)))
    mix = {"ambulance": 10, "rescue_truck": 6, "fire_engine": 4, "rescue_boat": 3, "pickup_4x4": 5, "water_tanker": 2}
    types = np.array([t for t, n in mix.items() for _ in range(n)])
    vtype = types[rng.integers(0, types.size, n_veh)]
    vtype[: min(4, n_veh)] = ["ambulance", "rescue_boat", "fire_engine", "rescue_truck"][: min(4, n_veh)]
    base_town = rng.choice(len(towns), size=n_veh, p=town_w**2 / (town_w**2).sum())
    base_node = np.empty(n_veh, dtype=np.int64)
    for t_idx in np.unique(base_town):
        cands = _town_nodes(g, node_town, int(t_idx))
        tx, ty = towns[t_idx].x, towns[t_idx].y
        central = cands[np.argsort(np.hypot(g.x[cands] - tx, g.y[cands] - ty), kind="stable")[:6]]
        base_node[base_town == t_idx] = central[int(rng.integers(0, central.size))]
    vx, vy = _offset(rng, g.x[base_node], g.y[base_node], 8.0, 25.0)
    bad = ~geo.on_land(vx, vy)
    vx[bad], vy[bad] = g.x[base_node[bad]], g.y[base_node[bad]]
    statuses = np.array(["available", "dispatched", "maintenance", "out_of_service"], dtype=object)
    status = rng.choice(statuses, n_veh, p=[0.78, 0.1, 0.09, 0.03])
    cap = {"ambulance": 2, "rescue_truck": 10, "fire_engine": 6, "rescue_boat": 8, "pickup_4x4": 5, "water_tanker": 3}
    caps = {
        "ambulance": "",
        "rescue_truck": "high_clearance,4x4",
        "fire_engine": "high_clearance",
        "rescue_boat": "boat",
        "pickup_4x4": "4x4",
        "water_tanker": "high_clearance",
    }
    capab = np.array([caps[t] for t in vtype], dtype=object)
    capab[(vtype == "ambulance") & (rng.random(n_veh) < 0.3)] = "high_clearance"
    agency = np.array(
        [
            ("Provincial hospital" if t == "ambulance" and towns[b].name_en == "Mueang Narathiwat" else
             f"{towns[b].name_en} hospital" if t == "ambulance" else
             "DDPM Narathiwat" if t in ("rescue_boat", "water_tanker") else
             f"{towns[b].name_en} municipality" if t == "fire_engine" else
             "Volunteer rescue foundation")
            for t, b in zip(vtype.tolist(), base_town.tolist())
        ],
        dtype=object,
    )
    plate_num = rng.choice(9000, size=n_veh, replace=False) + 1000
    letters = rng.integers(0, len(_PLATE_LETTERS), n_veh)
    plates = [f"{_PLATE_LETTERS[a]}-{p} นธ" for a, p in zip(letters.tolist(), plate_num.tolist())]
    out["vehicles"] = _points_gdf(
        {
            "vehicle_id": plates,
            "type": vtype.astype(object),
            "agency": agency,
            "status": status,
            "capacity": np.array([cap[t] for t in vtype], dtype=np.int64),
            "capabilities": capab,
            "contact": _phones(rng, n_veh),
        },
        vx,
        vy,
    )
    return out


