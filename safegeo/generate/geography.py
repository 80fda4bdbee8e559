"""The fixed synthetic geography (coast, Kolok river, district seats) and its polygons: districts, tambons, flood."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon

log = logging.getLogger(__name__)


#: CRS of every generated geometry (UTM zone 47N).
CRS = "EPSG:32647"
#: Seed of the shipped demo.
DEMO_SEED = 20261125
#: Road-node count of the demo study area.
DEMO_N_NODES = 6000
#: Files written into the output folder.
OUTPUT_FILES = ("study.toml", "layers.gpkg", "shelters.csv", "flood_depth.tif", "population.tif", "under5.tif",
                "events.csv", "contacts.csv", "README.md")

_PROVINCE = "Narathiwat (synthetic)"
_REFINE = 8  # town grid spacing = rural grid spacing / _REFINE
_RASTER_RES_M = 50.0
_NODATA = -9999.0


# --------------------------------------------------------------------------------------
# Fixed synthetic geography
# --------------------------------------------------------------------------------------
# The geography is the same for every seed so that study areas made with different
# seeds stay comparable.  It lives in a "coast frame": origin at Mueang Narathiwat,
# u along the coast towards Tak Bai (south-east), v inland (south-west), metres.

_NARATHIWAT_LONLAT = (101.820, 6.425)
_TAK_BAI_LONLAT = (102.045, 6.245)
_STUDY_BOX_LONLAT = (101.45, 5.975, 102.20, 6.64)  # west, south, east, north

#: (district_id, name_en, name_th, lon, lat, town radius in metres) - the district seat
#: is also the Voronoi seed of the district and the centre of its town grid.
_DISTRICTS = (
    ("TH9601", "Mueang Narathiwat", "เมืองนราธิวาส", 101.820, 6.425, 2200.0),
    ("TH9602", "Tak Bai", "ตากใบ", 102.045, 6.245, 1300.0),
    ("TH9603", "Bacho", "บาเจาะ", 101.660, 6.520, 700.0),
    ("TH9604", "Yi-ngo", "ยี่งอ", 101.705, 6.385, 600.0),
    ("TH9605", "Ra-ngae", "ระแงะ", 101.735, 6.285, 900.0),
    ("TH9606", "Rueso", "รือเสาะ", 101.520, 6.395, 700.0),
    ("TH9607", "Si Sakhon", "ศรีสาคร", 101.500, 6.225, 600.0),
    ("TH9608", "Waeng", "แว้ง", 101.800, 6.012, 600.0),
    ("TH9609", "Sukhirin", "สุคิริน", 101.600, 6.040, 600.0),
    ("TH9610", "Su-ngai Kolok", "สุไหงโก-ลก", 101.960, 6.045, 1700.0),
    ("TH9611", "Su-ngai Padi", "สุไหงปาดี", 101.870, 6.110, 600.0),
    ("TH9612", "Chanae", "จะแนะ", 101.650, 6.130, 600.0),
    ("TH9613", "Cho-airong", "เจาะไอร้อง", 101.860, 6.240, 600.0),
)
#: Short town names for street names.
_TOWN_SHORT = {
    "Mueang Narathiwat": "Narathiwat",
}

#: The Kolok (border) river, upstream to mouth, lon/lat; the last point lies in the sea.
_KOLOK_LONLAT = (
    (101.750, 5.980),
    (101.800, 5.991),
    (101.850, 6.000),
    (101.930, 6.020),
    (101.970, 6.032),
    (101.995, 6.080),
    (102.015, 6.140),
    (102.040, 6.200),
    (102.062, 6.235),
    (102.095, 6.275),
)
#: Inner rivers in the coast frame (u, v metres), source to mouth; last point in the sea.
_INNER_RIVERS_UV = (
    (
        "Bang Nara River",
        "แม่น้ำบางนรา",
        ((3000, 44000), (4500, 34000), (3500, 26000), (500, 19500), (1800, 11000), (900, 4000), (1000, -800), (800, -4000)),
    ),
    (
        "Khlong Bacho",
        "คลองบาเจาะ",
        ((-31000, 17000), (-27000, 10500), (-22500, 5200), (-19200, 1200), (-18600, -4000)),
    ),
)
#: Flood parameters per river: reach from the mouth (m), half-width at the mouth (m), depth at the river (m).
_FLOOD_RIVERS = {
    "Bang Nara River": (21000.0, 2100.0, 2.6),
    "Kolok River": (15000.0, 1500.0, 1.7),
    "Khlong Bacho": (8000.0, 1100.0, 1.1),
}

# Gentle warp of the road lattice so grid roads are not ruler-straight.  It is zero
# along v = 0 (the coastal highway through Narathiwat and Tak Bai).
_WARP_A_U, _WARP_L_U = 450.0, 17000.0
_WARP_A_V = 450.0


@dataclass(frozen=True)
class _Town:
    district_id: str
    name_en: str
    name_th: str
    radius_m: float
    u: float  # lattice (unwarped) coast-frame centre
    v: float
    x: float  # UTM centre
    y: float


@dataclass(frozen=True, eq=False)
class _Geography:
    origin: np.ndarray
    eu: np.ndarray
    ev: np.ndarray
    warp_l_v: float
    land: Polygon
    land_boundary: object
    land_box: tuple[float, float, float, float]
    border: LineString
    rivers: tuple[tuple[str, str, LineString], ...]  # Kolok first
    rivers_union: object
    towns: tuple[_Town, ...]
    town_area: float
    frame_bounds: tuple[float, float, float, float]
    mask: np.ndarray  # coarse land raster: 1 inside, 0 outside, 2 near the boundary
    mask_origin: tuple[float, float]
    mask_res: float

    # --- coordinate frames ---------------------------------------------------------
    def frame_to_xy(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self.origin[0] + u * self.eu[0] + v * self.ev[0]
        y = self.origin[1] + u * self.eu[1] + v * self.ev[1]
        return x, y

    def xy_to_frame(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx = np.asarray(x) - self.origin[0]
        dy = np.asarray(y) - self.origin[1]
        return dx * self.eu[0] + dy * self.eu[1], dx * self.ev[0] + dy * self.ev[1]

    def warp(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        uw = u + _WARP_A_U * np.sin(2 * np.pi * v / _WARP_L_U)
        vw = v + _WARP_A_V * np.sin(2 * np.pi * u / self.warp_l_v)
        return uw, vw

    def lattice_to_xy(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.frame_to_xy(*self.warp(u, v))

    def on_land(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Vectorised point-in-land test: a coarse raster decides, GEOS checks the boundary cells."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        col = np.floor((x - self.mask_origin[0]) / self.mask_res).astype(np.int64)
        row = np.floor((self.mask_origin[1] - y) / self.mask_res).astype(np.int64)
        h, w = self.mask.shape
        inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
        code = np.zeros(x.shape, dtype=np.uint8)
        code[inside] = self.mask[row[inside], col[inside]]
        out = code == 1
        edge = np.flatnonzero(code == 2)
        if edge.size:
            out[edge] = shapely.contains_xy(self.land, x[edge], y[edge])
        return out


def _lonlat_to_utm(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    x, y = t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def _densify_meander(xy: np.ndarray, *, step_m: float, amp_m: float, wavelength_m: float, phase: float) -> np.ndarray:
    """Resample a polyline every ``step_m`` and add a smooth sideways meander."""
    seg = np.diff(xy, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    s = np.linspace(0.0, cum[-1], max(int(cum[-1] / step_m), 2) + 1)
    px = np.interp(s, cum, xy[:, 0])
    py = np.interp(s, cum, xy[:, 1])
    # smooth the anchor corners a little with a moving average
    kern = np.ones(9) / 9.0
    if px.size > 20:
        px[4:-4] = np.convolve(px, kern, mode="valid")
        py[4:-4] = np.convolve(py, kern, mode="valid")
    tx = np.gradient(px)
    ty = np.gradient(py)
    tn = np.hypot(tx, ty)
    nx, ny = -ty / tn, tx / tn
    wave = np.sin(2 * np.pi * s / wavelength_m + phase) + 0.4 * np.sin(2 * np.pi * s / (wavelength_m * 0.37) + 2 * phase)
    off = amp_m * wave
    ramp = np.clip(np.minimum(s, s[-1] - s) / 800.0, 0.0, 1.0)  # keep both ends in place
    off *= ramp
    return np.column_stack([px + off * nx, py + off * ny])


def _largest_polygon(geom: object) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    if not polys:
        for g in getattr(geom, "geoms", []):
            polys.extend(p for p in getattr(g, "geoms", []) if isinstance(p, Polygon))
    return max(polys, key=lambda p: p.area)


@lru_cache(maxsize=1)
def _geography() -> _Geography:
    from affine import Affine
    from rasterio import features
    from scipy import ndimage

    ox, oy = _lonlat_to_utm(*_NARATHIWAT_LONLAT)
    tx, ty = _lonlat_to_utm(*_TAK_BAI_LONLAT)
    origin = np.array([float(ox), float(oy)])
    d = np.array([float(tx), float(ty)]) - origin
    highway_len = float(np.hypot(*d))
    eu = d / highway_len
    ev = np.array([eu[1], -eu[0]])  # inland (south-west)

    def f2xy(uv: np.ndarray) -> np.ndarray:
        return np.column_stack([origin[0] + uv[:, 0] * eu[0] + uv[:, 1] * ev[0], origin[1] + uv[:, 0] * eu[1] + uv[:, 1] * ev[1]])

    # coastline: v = -2 km with gentle bays, far beyond the study box on both sides
    cu = np.arange(-150_000.0, 150_001.0, 100.0)
    cv = -2000.0 + 300.0 * np.sin(2 * np.pi * cu / 9000.0 + 0.7) + 120.0 * np.sin(2 * np.pi * cu / 3700.0 + 2.1)
    coast_xy = f2xy(np.column_stack([cu, cv]))
    inland = Polygon(np.vstack([coast_xy, f2xy(np.array([[150_000.0, 200_000.0], [-150_000.0, 200_000.0]]))]))

    # Kolok river / border
    klon, klat = np.array(_KOLOK_LONLAT).T
    kx, ky = _lonlat_to_utm(klon, klat)
    kolok_xy = _densify_meander(np.column_stack([kx, ky]), step_m=40.0, amp_m=140.0, wavelength_m=2300.0, phase=0.3)
    wx, wy = _lonlat_to_utm(np.array([101.0, 101.0]), np.array([5.980, 7.5]))
    ex, ey = _lonlat_to_utm(np.array([102.6]), np.array([7.5]))
    north_of_kolok = Polygon(np.vstack([[[wx[0], kolok_xy[0, 1]]], kolok_xy, [[ex[0], ey[0]]], [[wx[1], wy[1]]]]))

    w, s, e, n = _STUDY_BOX_LONLAT
    bx, by = _lonlat_to_utm(np.array([w, e, e, w]), np.array([s, s, n, n]))
    study_box = Polygon(np.column_stack([bx, by]))

    land = _largest_polygon(inland.intersection(north_of_kolok).intersection(study_box))
    land = shapely.set_precision(land, 0.001)
    land = _largest_polygon(land)

    kolok_line = LineString(kolok_xy)
    border = kolok_line.intersection(inland)
    if not isinstance(border, LineString):
        border = max(border.geoms, key=lambda g: g.length)
    border = shapely.set_precision(border, 0.001)

    rivers: list[tuple[str, str, LineString]] = [("Kolok River", "แม่น้ำโก-ลก", border)]
    for k, (name_en, name_th, uv) in enumerate(_INNER_RIVERS_UV):
        xy = _densify_meander(f2xy(np.asarray(uv, dtype=float)), step_m=40.0, amp_m=180.0, wavelength_m=2600.0, phase=1.1 + k)
        line = LineString(xy).intersection(land)
        if not isinstance(line, LineString):
            line = max(line.geoms, key=lambda g: g.length)
        rivers.append((name_en, name_th, shapely.set_precision(line, 0.001)))
    rivers_union = shapely.MultiLineString([r[2] for r in rivers])

    # towns: the lattice centre is the un-warped position of the real seat
    warp_l_v = highway_len / 1.5  # makes the warp vanish at Tak Bai on the highway row
    lon = np.array([d_[3] for d_ in _DISTRICTS])
    lat = np.array([d_[4] for d_ in _DISTRICTS])
    txs, tys = _lonlat_to_utm(lon, lat)
    dx, dy = txs - origin[0], tys - origin[1]
    uf, vf = dx * eu[0] + dy * eu[1], dx * ev[0] + dy * ev[1]
    uu, vv = uf.copy(), vf.copy()
    for _ in range(30):  # invert the warp by fixed-point iteration
        uu = uf - _WARP_A_U * np.sin(2 * np.pi * vv / _WARP_L_U)
        vv = vf - _WARP_A_V * np.sin(2 * np.pi * uu / warp_l_v)
    towns = tuple(
        _Town(d_[0], d_[1], d_[2], d_[5], float(uu[i]), float(vv[i]), float(txs[i]), float(tys[i]))
        for i, d_ in enumerate(_DISTRICTS)
    )
    town_area = float(sum(Point(t.x, t.y).buffer(t.radius_m, 32).intersection(land).area for t in towns))

    lu, lv = (np.asarray(c) for c in zip(*land.exterior.coords))
    fu = (lu - origin[0]) * eu[0] + (lv - origin[1]) * eu[1]
    fv = (lu - origin[0]) * ev[0] + (lv - origin[1]) * ev[1]
    frame_bounds = (float(fu.min()), float(fv.min()), float(fu.max()), float(fv.max()))

    # coarse land raster for fast point-in-polygon
    res = 250.0
    xmin, ymin, xmax, ymax = land.bounds
    x0, y0 = math.floor(xmin / res) * res - res, math.ceil(ymax / res) * res + res
    width = int(math.ceil((xmax - x0) / res)) + 2
    height = int(math.ceil((y0 - ymin) / res)) + 2
    tr = Affine(res, 0.0, x0, 0.0, -res, y0)
    inside = features.rasterize([(land, 1)], out_shape=(height, width), transform=tr, fill=0, dtype="uint8")
    edge = features.rasterize([(land.boundary, 1)], out_shape=(height, width), transform=tr, fill=0, all_touched=True, dtype="uint8")
    edge = ndimage.binary_dilation(edge.astype(bool), iterations=1)
    mask = inside.copy()
    mask[edge] = 2

    shapely.prepare(land)
    shapely.prepare(rivers_union)
    return _Geography(
        origin=origin,
        eu=eu,
        ev=ev,
        warp_l_v=warp_l_v,
        land=land,
        land_boundary=land.boundary,
        land_box=land.bounds,
        border=border,
        rivers=tuple(rivers),
        rivers_union=rivers_union,
        towns=towns,
        town_area=town_area,
        frame_bounds=frame_bounds,
        mask=mask,
        mask_origin=(x0, y0),
        mask_res=res,
    )




# --------------------------------------------------------------------------------------
# Polygons: districts, tambons, flood
# --------------------------------------------------------------------------------------


def _tile(seeds: np.ndarray, region: Polygon) -> list[Polygon]:
    """Voronoi cells of ``seeds`` clipped to ``region``, each a single Polygon (slivers go to a neighbour)."""
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=region.envelope.buffer(10_000), ordered=True)
    pieces = [shapely.intersection(c, region) for c in shapely.get_parts(cells)]
    main: list[Polygon] = []
    extra: list[Polygon] = []
    for p in pieces:
        polys = [q for q in shapely.get_parts(p) if isinstance(q, Polygon) and q.area > 0]
        polys.sort(key=lambda q: -q.area)
        main.append(polys[0])
        extra.extend(polys[1:])
    for piece in extra:
        shared = [shapely.length(shapely.intersection(piece.boundary, mp.boundary)) for mp in main]
        best = int(np.argmax(shared))
        main[best] = _largest_polygon(shapely.union(main[best], piece).buffer(0))
    return main


def _districts(seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    geo = _geography()
    seeds = np.array([[t.x, t.y] for t in geo.towns])
    polys = _tile(seeds, geo.land)
    districts = gpd.GeoDataFrame(
        {
            "district_id": [t.district_id for t in geo.towns],
            "name_en": [t.name_en for t in geo.towns],
            "name_th": [t.name_th for t in geo.towns],
            "province": _PROVINCE,
        },
        geometry=polys,
        crs=CRS,
    )
    rng = np.random.default_rng([seed, 2])
    rows: list[dict] = []
    geoms: list[Polygon] = []
    for t, poly in zip(geo.towns, polys):
        n_t = int(rng.integers(3, 7))
        xmin, ymin, xmax, ymax = poly.bounds
        cand = np.column_stack([rng.uniform(xmin, xmax, 400), rng.uniform(ymin, ymax, 400)])
        cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
        chosen = [np.array([t.x, t.y])]  # the district seat is in tambon 1
        while len(chosen) < n_t and len(cand):
            ch = np.array(chosen)
            d = np.min(np.hypot(cand[:, None, 0] - ch[None, :, 0], cand[:, None, 1] - ch[None, :, 1]), axis=1)
            chosen.append(cand[int(np.argmax(d))])
        for n_tb, cell in enumerate(_tile(np.array(chosen), poly), start=1):
            rows.append(
                {
                    "tambon_id": f"{t.district_id}{n_tb:02d}",
                    "name_en": f"{t.name_en} T{n_tb}",
                    "name_th": f"ตำบลที่ {n_tb} อำเภอ{t.name_th}",
                    "district_id": t.district_id,
                }
            )
            geoms.append(cell)
    tambons = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
    return districts, tambons


@dataclass(frozen=True, eq=False)
class _Flood:
    depth: np.ndarray  # float32 with _NODATA outside the land
    transform: object
    river_dist: np.ndarray  # metres to the nearest river, per pixel
    polygons: gpd.GeoDataFrame

    def sample(self, arr: np.ndarray, x: np.ndarray, y: np.ndarray, fill: float) -> np.ndarray:
        tr = self.transform  # north-up, no rotation
        col = np.floor((np.asarray(x) - tr.c) / tr.a).astype(np.int64)
        row = np.floor((np.asarray(y) - tr.f) / tr.e).astype(np.int64)
        h, w = arr.shape
        ok = (col >= 0) & (col < w) & (row >= 0) & (row < h)
        out = np.full(np.shape(x), fill, dtype=np.float64)
        out[ok] = arr[row[ok], col[ok]]
        return out


def _flood(seed: int) -> _Flood:
    from affine import Affine
    from rasterio import features
    from scipy import ndimage

    geo = _geography()
    rng = np.random.default_rng([seed, 3])
    res = _RASTER_RES_M
    xmin, ymin, xmax, ymax = geo.land.bounds
    x0 = math.floor(xmin / res) * res - 10 * res
    y0 = math.ceil(ymax / res) * res + 10 * res
    width = int(math.ceil((xmax - x0) / res)) + 10
    height = int(math.ceil((y0 - ymin) / res)) + 10
    tr = Affine(res, 0.0, x0, 0.0, -res, y0)

    # burn every river segment with (river number, distance from the mouth)
    shapes = []
    for rid, (_en, _th, line) in enumerate(geo.rivers, start=1):
        c = np.asarray(line.coords)  # upstream -> mouth
        seg_len = np.hypot(*np.diff(c, axis=0).T)
        from_mouth = np.concatenate([[0.0], np.cumsum(seg_len[::-1])])[::-1]  # per vertex
        for a in range(len(c) - 1):
            shapes.append((LineString(c[a : a + 2]), rid * 1_000_000 + int(from_mouth[a])))
    code = features.rasterize(shapes, out_shape=(height, width), transform=tr, fill=0, all_touched=True, dtype="int32")
    dist, (ri, ci) = ndimage.distance_transform_edt(code == 0, sampling=res, return_indices=True)
    near = code[ri, ci]
    rid = near // 1_000_000
    chain = (near % 1_000_000).astype(np.float64)
    land = features.rasterize([(geo.land, 1)], out_shape=(height, width), transform=tr, fill=0, dtype="uint8").astype(bool)

    # smooth random field so flood edges are irregular
    cols = x0 + (np.arange(width) + 0.5) * res
    rows = y0 - (np.arange(height) + 0.5) * res
    px, py = np.meshgrid(cols, rows)
    noise = np.zeros((height, width))
    for _ in range(5):
        wl = rng.uniform(2500.0, 9000.0)
        ang = rng.uniform(0, np.pi)
        ph = rng.uniform(0, 2 * np.pi)
        noise += np.sin(2 * np.pi * (px * np.cos(ang) + py * np.sin(ang)) / wl + ph)
    noise *= 0.35 / 5 * 1.6

    depth = np.zeros((height, width))
    for r_num, (name_en, _th, _line) in enumerate(geo.rivers, start=1):
        reach, half_width, dmax = _FLOOD_RIVERS[name_en]
        sel = rid == r_num
        taper = np.clip(1.0 - chain[sel] / reach, 0.0, 1.0)
        w = half_width * np.sqrt(taper) * (1.0 + noise[sel])
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(w > 0, np.clip(1.0 - dist[sel] / np.where(w > 0, w, 1.0), 0.0, 1.0), 0.0)
        depth[sel] = dmax * (0.55 + 0.45 * taper) * rel**1.3
    depth[~land] = 0.0

    # keep at most five large flood areas; zero the rest
    wet = depth > 0.1
    labels, n_lab = ndimage.label(wet)
    if n_lab:
        sizes = np.bincount(labels.ravel(), minlength=n_lab + 1)[1:] * res * res
        order = np.argsort(-sizes, kind="stable")
        keep_lab = [int(i) + 1 for i in order[:5] if sizes[i] >= 0.5e6]
    else:
        keep_lab = []
    kept = np.isin(labels, keep_lab)
    near_kept = ndimage.binary_dilation(kept, iterations=3)
    depth[~near_kept] = 0.0
    depth = np.round(depth, 2)
    depth[depth < 0.01] = 0.0
    polys: list[Polygon] = []
    mean_depth: list[float] = []
    relabel = np.zeros(n_lab + 1, dtype=np.int32)
    for new, lab in enumerate(keep_lab, start=1):
        relabel[lab] = new
    lab2 = relabel[labels]
    for geom, val in features.shapes(lab2, mask=lab2 > 0, transform=tr, connectivity=4):
        poly = shapely.geometry.shape(geom)
        poly = _largest_polygon(shapely.make_valid(poly.simplify(res, preserve_topology=True)))
        polys.append(poly)
        mean_depth.append(float(depth[lab2 == int(val)].mean()))
    mean_arr = np.array(mean_depth)
    severity = np.where(mean_arr > 1.0, "high", np.where(mean_arr > 0.55, "medium", "low"))
    # stable order: largest first
    order = np.argsort([-p.area for p in polys], kind="stable")
    polygons = gpd.GeoDataFrame(
        {
            "hazard_id": [f"FL{i + 1:02d}" for i in range(len(polys))],
            "kind": "flood",
            "severity": [str(severity[i]) for i in order],
            "mean_depth_m": [round(float(mean_arr[i]), 2) for i in order],
        },
        geometry=[polys[i] for i in order],
        crs=CRS,
    )
    out = depth.astype(np.float32)
    out[~land] = _NODATA
    return _Flood(depth=out, transform=tr, river_dist=dist, polygons=polygons)


