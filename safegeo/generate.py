"""Deterministic, seeded synthetic study area placed at Narathiwat's real coordinates.

Nothing here is real data.  The generator lays out a fixed synthetic geography
(coastline, the Kolok border river, the Bang Nara and Bacho rivers, thirteen
district seats with their real amphoe names) and draws everything else from a
seeded random generator: a road hierarchy noded at junctions, villages with
population, shelters, CCTV cameras, street lights, SOS buttons, points of
interest, incidents, emergency vehicles, flood polygons and a matching
flood-depth GeoTIFF.  The same seed always gives the same layer contents.

All geometry is built in EPSG:32647 (UTM 47N, metres).

Two entry points:

* :func:`synthetic_road_graph` - a fast numpy road graph of any size (1M nodes
  in a few seconds) for benchmarks;
* :func:`generate_study_area` / :func:`generate_demo` - a complete study area
  folder (``study.toml``, ``layers.gpkg``, ``shelters.csv``,
  ``flood_depth.tif``, ``README.md``).

Examples
--------
>>> from safegeo.generate import synthetic_road_graph
>>> g = synthetic_road_graph(2_000, seed=1)
>>> g.n_nodes > 1_000 and g.n_edges > g.n_nodes
True
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from safegeo._errors import SafegeoError

__all__ = [
    "CRS",
    "DEMO_N_NODES",
    "DEMO_SEED",
    "OUTPUT_FILES",
    "OutputExistsError",
    "SyntheticGraph",
    "generate_demo",
    "generate_study_area",
    "synthetic_road_graph",
]

log = logging.getLogger(__name__)

#: CRS of every generated geometry (UTM zone 47N).
CRS = "EPSG:32647"
#: Seed of the shipped demo.
DEMO_SEED = 20261125
#: Road-node count of the demo study area.
DEMO_N_NODES = 6000
#: Files written into the output folder.
OUTPUT_FILES = ("study.toml", "layers.gpkg", "shelters.csv", "flood_depth.tif", "README.md")

_PROVINCE = "Narathiwat (synthetic)"
_REFINE = 8  # town grid spacing = rural grid spacing / _REFINE
_RASTER_RES_M = 50.0
_NODATA = -9999.0


class OutputExistsError(SafegeoError, FileExistsError):
    """The output folder already holds generated files and ``overwrite`` is false."""


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
    from rasterio import features
    from affine import Affine
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
# Road graph
# --------------------------------------------------------------------------------------

#: Road classes in the order of their integer codes.
_HIGHWAYS = np.array(
    ["trunk", "secondary", "tertiary", "residential", "unclassified", "track", "footway", "path"], dtype="<U12"
)
_TRUNK, _SECONDARY, _TERTIARY, _RESIDENTIAL, _UNCLASSIFIED, _TRACK, _FOOTWAY, _PATH = range(8)


@dataclass(frozen=True, eq=False)
class SyntheticGraph:
    """An undirected road graph as flat numpy arrays (one row per road segment).

    Attributes
    ----------
    x, y : numpy.ndarray
        Node coordinates, float64, EPSG:32647 metres.
    u, v : numpy.ndarray
        int64 node indices of each segment; for ``oneway`` segments traffic runs u -> v.
    highway : numpy.ndarray
        OSM-style road class of each segment (``"trunk"``, ``"residential"``, ...).
    oneway, bridge : numpy.ndarray
        bool per segment.
    name : numpy.ndarray
        object array of street names, ``None`` for unnamed roads.
    maxspeed_kph : numpy.ndarray
        float64 speed limit, NaN when unknown.
    crs : str
        Always ``"EPSG:32647"``.
    """

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    highway: np.ndarray
    oneway: np.ndarray
    bridge: np.ndarray
    name: np.ndarray
    maxspeed_kph: np.ndarray
    crs: str = CRS

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.size)

    @property
    def n_edges(self) -> int:
        """Number of undirected segments."""
        return int(self.u.size)

    def to_roads(self) -> gpd.GeoDataFrame:
        """Straight two-point road segments as a GeoDataFrame.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``road_id`` (int, 1-based), ``highway``, ``name``, ``oneway``,
            ``bridge``, ``maxspeed_kph`` and LineString geometry in EPSG:32647.
        """
        coords = np.empty((self.n_edges, 2, 2))
        coords[:, 0, 0] = self.x[self.u]
        coords[:, 0, 1] = self.y[self.u]
        coords[:, 1, 0] = self.x[self.v]
        coords[:, 1, 1] = self.y[self.v]
        return gpd.GeoDataFrame(
            {
                "road_id": np.arange(1, self.n_edges + 1, dtype=np.int64),
                "highway": self.highway.astype(object),
                "name": self.name,
                "oneway": self.oneway.astype(bool),
                "bridge": self.bridge.astype(bool),
                "maxspeed_kph": self.maxspeed_kph.astype(np.float64),
            },
            geometry=shapely.linestrings(coords),
            crs=self.crs,
        )


@dataclass(frozen=True, eq=False)
class _LatticeGraph:
    graph: SyntheticGraph
    node_town: np.ndarray  # int32, index into towns or -1
    edge_town: np.ndarray
    spacing_m: float  # rural grid spacing
    town_spacing_m: float


def _check_n_nodes(n_nodes: int) -> int:
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, (int, np.integer)):
        raise TypeError(f"n_nodes must be an int, got {type(n_nodes).__name__}")
    if n_nodes < 200:
        raise ValueError(f"n_nodes must be >= 200 (got {n_nodes}); smaller networks cannot hold the towns")
    return int(n_nodes)


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def _barrier_candidates(geo: _Geography, x0: np.ndarray, y0: np.ndarray, cell: float) -> np.ndarray:
    """Indices of segments (starting at x0, y0, length <= cell) that may touch a river or the land edge."""
    from rasterio import features
    from affine import Affine
    from scipy import ndimage

    xmin, ymin, xmax, ymax = geo.land_box
    ox, oy = xmin - 2 * cell, ymax + 2 * cell
    width = int(math.ceil((xmax - ox) / cell)) + 3
    height = int(math.ceil((oy - ymin) / cell)) + 3
    tr = Affine(cell, 0.0, ox, 0.0, -cell, oy)
    shapes = [(geo.land_boundary, 1), (geo.rivers_union, 1)]
    grid = features.rasterize(shapes, out_shape=(height, width), transform=tr, fill=0, all_touched=True, dtype="uint8")
    grid = ndimage.binary_dilation(grid.astype(bool), structure=np.ones((3, 3), bool))
    col = np.clip(((x0 - ox) // cell).astype(np.int64), 0, width - 1)
    row = np.clip(((oy - y0) // cell).astype(np.int64), 0, height - 1)
    return np.flatnonzero(grid[row, col])


def _pair_consecutive(major: np.ndarray, minor: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of consecutive nodes along grid lines (nodes sorted by major, then minor).

    Two consecutive nodes on a line join when they are grid neighbours, or when the
    line is a rural (coarse) line and no coarse grid point lies strictly between them.
    """
    a = np.arange(major.size - 1)
    b = a + 1
    same = major[a] == major[b]
    step = minor[b] - minor[a]
    coarse_line = (major[a] % k) == 0
    no_gap = ((minor[a] // k) + 1) * k >= minor[b]
    ok = same & ((step == 1) | (coarse_line & no_gap))
    return a[ok], b[ok]


def _lattice_graph(n_nodes: int, seed: int) -> _LatticeGraph:
    geo = _geography()
    rng = np.random.default_rng([seed, 1])
    k = _REFINE
    towns = geo.towns
    a_land = geo.land.area
    spacing = math.sqrt((a_land + (k * k - 1) * geo.town_area) / n_nodes)
    s = spacing / k

    # --- lattice nodes: the rural (coarse) grid plus a fine grid inside each town
    umin, vmin, umax, vmax = geo.frame_bounds
    pad = 2 * max(_WARP_A_U, _WARP_A_V) + spacing
    ci = np.arange(math.floor((umin - pad) / spacing), math.ceil((umax + pad) / spacing) + 1, dtype=np.int64) * k
    cj = np.arange(math.floor((vmin - pad) / spacing), math.ceil((vmax + pad) / spacing) + 1, dtype=np.int64) * k
    gi, gj = np.meshgrid(ci, cj)
    parts_i, parts_j, parts_t = [gi.ravel()], [gj.ravel()], [np.full(gi.size, -1, dtype=np.int32)]
    for t_idx, t in enumerate(towns):
        r = t.radius_m
        ti = np.arange(math.floor((t.u - r) / s), math.ceil((t.u + r) / s) + 1, dtype=np.int64)
        tj = np.arange(math.floor((t.v - r) / s), math.ceil((t.v + r) / s) + 1, dtype=np.int64)
        mi, mj = np.meshgrid(ti, tj)
        inside = (mi * s - t.u) ** 2 + (mj * s - t.v) ** 2 <= r * r
        parts_i.append(mi[inside])
        parts_j.append(mj[inside])
        parts_t.append(np.full(int(inside.sum()), t_idx, dtype=np.int32))
    all_i = np.concatenate(parts_i)
    all_j = np.concatenate(parts_j)
    all_t = np.concatenate(parts_t)
    imin, jmin = int(all_i.min()), int(all_j.min())
    width = int(all_i.max()) - imin + 1
    key = (all_j - jmin) * width + (all_i - imin)
    uniq, inverse = np.unique(key, return_inverse=True)
    node_town = np.full(uniq.size, -1, dtype=np.int32)
    has_town = all_t >= 0
    node_town[inverse[has_town]] = all_t[has_town]
    ni = uniq % width + imin
    nj = uniq // width + jmin

    # jitter: small near towns (keeps the drawing planar), larger for remote rural nodes
    bu, bv = ni * s, nj * s
    far = node_town < 0
    for t in towns:
        far &= (bu - t.u) ** 2 + (bv - t.v) ** 2 > (t.radius_m + 1.6 * spacing) ** 2
    amp = np.where(far, 0.18 * spacing, 0.12 * s)
    ju = rng.uniform(-1.0, 1.0, uniq.size) * amp
    jv = rng.uniform(-1.0, 1.0, uniq.size) * amp
    x, y = geo.lattice_to_xy(bu + ju, bv + jv)

    keep = geo.on_land(x, y)
    ni, nj, x, y, node_town = ni[keep], nj[keep], x[keep], y[keep], node_town[keep]

    # --- edges along rows (constant j) and columns (constant i)
    ra, rb = _pair_consecutive(nj, ni, k)  # nodes are sorted by (j, i)
    order = np.lexsort((nj, ni))
    ca, cb = _pair_consecutive(ni[order], nj[order], k)
    ca, cb = order[ca], order[cb]
    ea = np.concatenate([ra, ca]).astype(np.int64)
    eb = np.concatenate([rb, cb]).astype(np.int64)
    is_col = np.concatenate([np.zeros(ra.size, bool), np.ones(ca.size, bool)])
    line = np.where(is_col, ni[ea], nj[ea])

    # --- road classes
    def nearest_line(metres: float) -> int:
        return int(round(metres / spacing)) * k

    sec_rows = np.array([nearest_line(23400.0), nearest_line(37300.0)])
    sec_cols = np.array([nearest_line(0.0), nearest_line(16200.0), nearest_line(26000.0), nearest_line(31900.0)])
    tert_every = max(1, int(round(6000.0 / spacing))) * k
    edge_town = np.where(node_town[ea] == node_town[eb], node_town[ea], -1)
    cls = np.full(ea.size, _UNCLASSIFIED, dtype=np.int8)
    rural = edge_town < 0
    cls[rng.random(ea.size) < 0.25] = _TRACK
    cls[~rural] = _RESIDENTIAL
    cls[line % tert_every == 0] = _TERTIARY
    cls[(~is_col & np.isin(line, sec_rows)) | (is_col & np.isin(line, sec_cols))] = _SECONDARY
    cls[~is_col & (line == 0)] = _TRUNK
    drop_p = np.array([0.0, 0.0, 0.03, 0.03, 0.22, 0.22, 0.0, 0.0])[cls]
    keep_e = rng.random(ea.size) >= drop_p

    # --- rivers and the land edge: cross rivers only on bridges, never leave the land
    dx = x[eb] - x[ea]
    dy = y[eb] - y[ea]
    cell = float(np.hypot(dx, dy).max()) * 1.01 + 1.0
    cand = _barrier_candidates(geo, x[ea], y[ea], cell)
    cand = cand[keep_e[cand]]
    bridge = np.zeros(ea.size, dtype=bool)
    if cand.size:
        seg = np.empty((cand.size, 2, 2))
        seg[:, 0, 0], seg[:, 0, 1] = x[ea[cand]], y[ea[cand]]
        seg[:, 1, 0], seg[:, 1, 1] = x[eb[cand]], y[eb[cand]]
        lines = shapely.linestrings(seg)
        leaves = shapely.intersects(lines, geo.land_boundary)
        crosses = shapely.intersects(lines, geo.rivers_union)
        bridge_p = np.array([1.0, 1.0, 0.7, 0.3, 0.35, 0.15, 0.0, 0.0])[cls[cand]]
        is_bridge = crosses & ~leaves & (rng.random(cand.size) < bridge_p)
        keep_e[cand[leaves | (crosses & ~is_bridge)]] = False
        bridge[cand[is_bridge]] = True

    ea, eb, is_col, line, cls, bridge, edge_town = (
        arr[keep_e] for arr in (ea, eb, is_col, line, cls, bridge, edge_town)
    )

    # --- drop isolated nodes
    deg = np.bincount(ea, minlength=x.size) + np.bincount(eb, minlength=x.size)
    used = deg > 0
    remap = np.cumsum(used) - 1
    ea, eb = remap[ea], remap[eb]
    x, y, ni, nj, node_town, deg = x[used], y[used], ni[used], nj[used], node_town[used], deg[used]

    # --- footways, paths and one-way streets
    r = rng.random(ea.size)
    foot = (cls == _RESIDENTIAL) & ~bridge & (deg[ea] == 4) & (deg[eb] == 4) & (r < 0.05)
    cls[foot] = _FOOTWAY
    path = (cls == _TRACK) & ~bridge & (deg[ea] >= 3) & (deg[eb] >= 3) & (r < 0.08)
    cls[path] = _PATH
    oneway = np.zeros(ea.size, dtype=bool)
    for t_idx, t in enumerate(towns):
        if t.radius_m < 1200.0:
            continue
        j0 = int(round(t.v / s))
        rows = [j for j in range(j0 - int(0.5 * t.radius_m / s), j0 + int(0.5 * t.radius_m / s) + 1) if j % k]
        if len(rows) < 2:
            continue
        pick = rng.choice(np.array(rows), size=min(3, len(rows)), replace=False)
        for n_row, j in enumerate(np.sort(pick)):
            sel = ~is_col & (line == j) & (edge_town == t_idx) & (cls == _RESIDENTIAL)
            oneway[sel] = True
            if n_row % 2:  # alternate directions: one-way couplets
                ea[sel], eb[sel] = eb[sel].copy(), ea[sel].copy()

    # --- names and speeds
    names = _road_names(cls, is_col, line, edge_town, ni[ea], towns, s, k, sec_rows, sec_cols, tert_every)
    maxspeed = np.full(ea.size, np.nan)
    maxspeed[cls == _TRUNK] = np.where(edge_town[cls == _TRUNK] >= 0, 60.0, 90.0)
    graph = SyntheticGraph(
        x=x,
        y=y,
        u=ea,
        v=eb,
        highway=_HIGHWAYS[cls],
        oneway=oneway,
        bridge=bridge,
        name=names,
        maxspeed_kph=maxspeed,
    )
    return _LatticeGraph(graph, node_town, edge_town, spacing, s)


def _road_names(
    cls: np.ndarray,
    is_col: np.ndarray,
    line: np.ndarray,
    edge_town: np.ndarray,
    first_i: np.ndarray,
    towns: tuple[_Town, ...],
    s: float,
    k: int,
    sec_rows: np.ndarray,
    sec_cols: np.ndarray,
    tert_every: int,
) -> np.ndarray:
    """Street names from a small lookup table (one name per road line)."""
    named = np.isin(cls, (_TRUNK, _SECONDARY, _TERTIARY, _RESIDENTIAL))
    town = np.where(cls == _RESIDENTIAL, edge_town, -1)
    side = np.where(cls == _TRUNK, first_i >= 0, is_col).astype(np.int64)
    code = ((cls.astype(np.int64) * 64 + (town + 1)) * 2 + side) * (1 << 24) + (line + (1 << 23))
    code = np.where(named, code, -1)
    uniq, inverse = np.unique(code, return_inverse=True)
    sec_names = {("row", int(sec_rows[0])): "Route 4056", ("row", int(sec_rows[1])): "Route 4057"}
    for n_col, c in enumerate(sec_cols):
        sec_names.setdefault(("col", int(c)), ("Route 4055", "Route 4136", "Route 4060", "Route 4058")[n_col])
    table: list[str | None] = []
    for c in uniq.tolist():
        if c < 0:
            table.append(None)
            continue
        ln = c % (1 << 24) - (1 << 23)
        rest = c >> 24
        sd = rest % 2
        tw = (rest // 2) % 64 - 1
        kind = rest // 128
        if kind == _TRUNK:
            table.append("Highway 4084" if sd else "Highway 42")
        elif kind == _SECONDARY:
            table.append(sec_names.get(("col" if sd else "row", ln), "Route 4059"))
        elif kind == _TERTIARY:
            table.append(f"NT {(3120 if sd else 3020) + ln // tert_every:d}")  # rural road codes
        else:
            t = towns[tw]
            short = _TOWN_SHORT.get(t.name_en, t.name_en)
            if sd:
                base = math.floor((t.u - t.radius_m) / s)
                table.append(f"{short} Road {ln - base + 1}")
            else:
                base = math.floor((t.v - t.radius_m) / s)
                table.append(f"{short} Soi {ln - base + 1}")
    return np.array(table, dtype=object)[inverse]


def synthetic_road_graph(n_nodes: int, *, seed: int = 0) -> SyntheticGraph:
    """A fast synthetic road graph on the Narathiwat study area, for benchmarks.

    A perturbed grid: a rural grid with a coastal trunk road, secondary and
    tertiary roads, and a finer grid in each of thirteen towns; rivers are
    crossed only on bridges.  Segments never cross each other except at shared
    nodes.  Isolated nodes are dropped; small fragments are kept (the largest
    connected component holds well over 95 % of the nodes).

    Parameters
    ----------
    n_nodes : int
        Target number of nodes (>= 200); the result is within a few per cent.
    seed : int, default 0
        Seed of every random draw; the same seed gives identical arrays.

    Returns
    -------
    SyntheticGraph
        Nodes and segments as numpy arrays (EPSG:32647 metres); about 1.6-1.8
        segments per node.

    Raises
    ------
    ValueError
        If ``n_nodes`` < 200 or ``seed`` is negative.

    Examples
    --------
    >>> g = synthetic_road_graph(5_000, seed=3)
    >>> roads = g.to_roads()
    >>> len(roads) == g.n_edges
    True
    """
    n_nodes = _check_n_nodes(n_nodes)
    seed = _check_seed(seed)
    return _lattice_graph(n_nodes, seed).graph


# --------------------------------------------------------------------------------------
# Study-area road lines (noded, chains of degree-2 nodes merged)
# --------------------------------------------------------------------------------------


def _largest_component(lg: _LatticeGraph) -> tuple[SyntheticGraph, np.ndarray]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = lg.graph
    n = g.n_nodes
    adj = coo_matrix((np.ones(g.n_edges), (g.u, g.v)), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    biggest = np.argmax(np.bincount(labels))
    keep_n = labels == biggest
    keep_e = keep_n[g.u]
    remap = np.cumsum(keep_n) - 1
    sub = SyntheticGraph(
        x=g.x[keep_n],
        y=g.y[keep_n],
        u=remap[g.u[keep_e]],
        v=remap[g.v[keep_e]],
        highway=g.highway[keep_e],
        oneway=g.oneway[keep_e],
        bridge=g.bridge[keep_e],
        name=g.name[keep_e],
        maxspeed_kph=g.maxspeed_kph[keep_e],
    )
    return sub, lg.node_town[keep_n]


def _add_border_bridges(
    g: SyntheticGraph, node_town: np.ndarray, spacing: float
) -> tuple[SyntheticGraph, np.ndarray, list[str]]:
    """Add one or two road bridges over the Kolok that end just inside Malaysia."""
    geo = _geography()
    border = geo.border
    drive = np.isin(g.highway, ("trunk", "secondary", "tertiary", "residential", "unclassified"))
    degree = np.bincount(np.concatenate([g.u[drive], g.v[drive]]), minlength=g.n_nodes)
    new_x, new_y = [], []
    new_u, new_v, names = [], [], []
    town_names = {t.name_en: i for i, t in enumerate(geo.towns)}
    added: list[str] = []
    for town_name, label in (("Su-ngai Kolok", "Su-ngai Kolok border bridge"), ("Waeng", "Buketa border bridge")):
        t = geo.towns[town_names[town_name]]
        anchor = shapely.line_interpolate_point(border, border.project(Point(t.x, t.y)))
        near = np.flatnonzero((degree > 0) & (np.hypot(g.x - anchor.x, g.y - anchor.y) < 3000.0 + 3 * spacing))
        near = near[shapely.distance(shapely.points(g.x[near], g.y[near]), border) < 1.5 * spacing + 300.0]
        if near.size == 0:
            continue
        d_anchor = np.hypot(g.x[near] - anchor.x, g.y[near] - anchor.y)
        local = np.flatnonzero(np.hypot(g.x[g.u] - anchor.x, g.y[g.u] - anchor.y) < 6000.0 + 6 * spacing)
        seg = np.empty((local.size, 2, 2))
        seg[:, 0, 0], seg[:, 0, 1] = g.x[g.u[local]], g.y[g.u[local]]
        seg[:, 1, 0], seg[:, 1, 1] = g.x[g.v[local]], g.y[g.v[local]]
        tree = shapely.STRtree(shapely.linestrings(seg))
        for node in near[np.argsort(d_anchor, kind="stable")][:40]:
            p = Point(g.x[node], g.y[node])
            q = shapely.line_interpolate_point(border, border.project(p))
            vec = np.array([q.x - p.x, q.y - p.y])
            length = float(np.hypot(*vec))
            if length < 1.0:
                continue
            end = np.array([q.x, q.y]) + vec / length * 60.0
            bridge_line = LineString([(p.x, p.y), tuple(end)])
            if geo.land.contains(Point(end)) or shapely.get_num_geometries(bridge_line.intersection(border)) != 1:
                continue
            if shapely.get_num_geometries(bridge_line.intersection(geo.land_boundary)) != 1:
                continue
            if bridge_line.intersection(shapely.MultiLineString([r[2] for r in geo.rivers[1:]])).is_empty is False:
                continue
            hits = local[tree.query(bridge_line, predicate="intersects")]
            touching = [h for h in hits if not (g.u[h] == node or g.v[h] == node)]
            if touching:
                continue
            new_x.append(end[0])
            new_y.append(end[1])
            new_u.append(int(node))
            new_v.append(g.n_nodes + len(new_x) - 1)
            names.append(label)
            added.append(label)
            break
    if not new_u:
        return g, node_town, added
    m = len(new_u)
    g2 = SyntheticGraph(
        x=np.concatenate([g.x, new_x]),
        y=np.concatenate([g.y, new_y]),
        u=np.concatenate([g.u, np.array(new_u, dtype=np.int64)]),
        v=np.concatenate([g.v, np.array(new_v, dtype=np.int64)]),
        highway=np.concatenate([g.highway, np.full(m, "secondary", dtype=g.highway.dtype)]),
        oneway=np.concatenate([g.oneway, np.zeros(m, bool)]),
        bridge=np.concatenate([g.bridge, np.ones(m, bool)]),
        name=np.concatenate([g.name, np.array(names, dtype=object)]),
        maxspeed_kph=np.concatenate([g.maxspeed_kph, np.full(m, np.nan)]),
    )
    return g2, np.concatenate([node_town, np.full(m, -1, dtype=np.int32)]), added


def _merge_chains(g: SyntheticGraph) -> gpd.GeoDataFrame:
    """Road lines from junction to junction: chains of degree-2 nodes with equal attributes merged."""
    n, m = g.n_nodes, g.n_edges
    name_key = pd.factorize(pd.Series(g.name, dtype=object).fillna("\x00"))[0]
    attrs = np.column_stack(
        [
            pd.factorize(g.highway)[0],
            name_key,
            g.oneway.astype(np.int64),
            g.bridge.astype(np.int64),
            pd.factorize(np.nan_to_num(g.maxspeed_kph, nan=-1.0))[0],
        ]
    )
    _, akey = np.unique(attrs, axis=0, return_inverse=True)
    akey = akey.ravel()
    ends = np.concatenate([g.u, g.v])
    eids = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(ends, kind="stable")
    inc_edge = eids[order]
    start = np.searchsorted(ends[order], np.arange(n + 1))
    deg = np.diff(start)
    is_break = deg != 2
    two = np.flatnonzero(deg == 2)
    e1 = inc_edge[start[two]]
    e2 = inc_edge[start[two] + 1]
    differ = akey[e1] != akey[e2]
    # a one-way chain must keep its direction: one edge enters the node, the other leaves
    ow = g.oneway[e1] & g.oneway[e2]
    enters1 = g.v[e1] == two
    enters2 = g.v[e2] == two
    differ |= ow & (enters1 == enters2)
    differ |= e1 == e2  # self loop
    is_break[two[differ]] = True

    u_l, v_l = g.u.tolist(), g.v.tolist()
    inc_l = inc_edge.tolist()
    start_l = start.tolist()
    brk = is_break.tolist()
    visited = bytearray(m)
    chains: list[tuple[list[int], int]] = []  # node sequence, first edge

    def walk(node0: int, edge0: int) -> list[int]:
        seq = [node0]
        node, edge = node0, edge0
        while True:
            visited[edge] = 1
            nxt = v_l[edge] if u_l[edge] == node else u_l[edge]
            seq.append(nxt)
            if brk[nxt]:
                return seq
            a, b = inc_l[start_l[nxt]], inc_l[start_l[nxt] + 1]
            edge = b if a == edge else a
            if visited[edge]:
                return seq
            node = nxt

    for node0 in np.flatnonzero(is_break).tolist():
        for p in range(start_l[node0], start_l[node0 + 1]):
            e = inc_l[p]
            if not visited[e]:
                chains.append((walk(node0, e), e))
    for e in range(m):  # pure cycles of degree-2 nodes
        if not visited[e]:
            chains.append((walk(u_l[e], e), e))

    seqs: list[list[int]] = []
    first: list[int] = []
    for seq, e in chains:
        if g.oneway[e] and u_l[e] != seq[0]:
            seq = seq[::-1]
        if seq[0] == seq[-1]:  # closed loop: split in two lines
            mid = len(seq) // 2
            seqs.extend([seq[: mid + 1], seq[mid:]])
            first.extend([e, e])
        else:
            seqs.append(seq)
            first.append(e)
    lengths = np.array([len(q) for q in seqs])
    flat = np.fromiter((i for q in seqs for i in q), dtype=np.int64, count=int(lengths.sum()))
    coords = np.column_stack([g.x[flat], g.y[flat]])
    geoms = shapely.linestrings(coords, indices=np.repeat(np.arange(len(seqs)), lengths))
    fe = np.array(first, dtype=np.int64)
    return gpd.GeoDataFrame(
        {
            "road_id": np.arange(1, len(seqs) + 1, dtype=np.int64),
            "highway": g.highway[fe].astype(object),
            "name": g.name[fe],
            "oneway": g.oneway[fe],
            "bridge": g.bridge[fe],
            "maxspeed_kph": g.maxspeed_kph[fe],
        },
        geometry=geoms,
        crs=CRS,
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
    from rasterio import features
    from affine import Affine
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


# --------------------------------------------------------------------------------------
# The whole study area
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _StudyArea:
    layers: dict[str, gpd.GeoDataFrame]
    shelters: gpd.GeoDataFrame
    flood: _Flood
    n_road_nodes: int


def _build_study_area(n_nodes: int, seed: int) -> _StudyArea:
    geo = _geography()
    lg = _lattice_graph(n_nodes, seed)
    g, node_town = _largest_component(lg)
    g, node_town, bridges = _add_border_bridges(g, node_town, lg.spacing_m)
    log.debug("road graph: %d nodes, %d segments, border bridges %s", g.n_nodes, g.n_edges, bridges)
    roads = _merge_chains(g)
    districts, tambons = _districts(seed)
    flood = _flood(seed)
    scale = n_nodes / DEMO_N_NODES
    points = _point_layers(seed, g, node_town, flood, scale)
    shelters = points.pop("shelters")
    rivers = gpd.GeoDataFrame(
        {"name_en": [r[0] for r in geo.rivers], "name_th": [r[1] for r in geo.rivers]},
        geometry=[r[2] for r in geo.rivers],
        crs=CRS,
    )
    border = gpd.GeoDataFrame(
        {"name_en": ["Thailand-Malaysia border (Kolok River)"], "name_th": ["ชายแดนไทย-มาเลเซีย (แม่น้ำโก-ลก)"]},
        geometry=[geo.border],
        crs=CRS,
    )
    layers = {
        "roads": roads,
        "districts": districts,
        "tambons": tambons,
        "border": border,
        "rivers": rivers,
        "villages": points["villages"],
        "cameras": points["cameras"],
        "lights": points["lights"],
        "sos": points["sos"],
        "pois": points["pois"],
        "incidents": points["incidents"],
        "vehicles": points["vehicles"],
        "hazards": flood.polygons,
    }
    return _StudyArea(layers=layers, shelters=shelters, flood=flood, n_road_nodes=g.n_nodes)


def _study_toml(seed: int) -> str:
    return f"""[study]
name = "Narathiwat demo (synthetic)"
crs = "{CRS}"
synthetic = true
description = "Synthetic study area generated by safegeo.generate (seed={seed}). Not real data."

[layers]
roads = {{ path = "layers.gpkg", layer = "roads" }}
districts = {{ path = "layers.gpkg", layer = "districts" }}
tambons = {{ path = "layers.gpkg", layer = "tambons" }}
border = {{ path = "layers.gpkg", layer = "border" }}
rivers = {{ path = "layers.gpkg", layer = "rivers" }}
villages = {{ path = "layers.gpkg", layer = "villages" }}
shelters = {{ path = "shelters.csv", x = "lon", y = "lat", crs = "EPSG:4326" }}
cameras = {{ path = "layers.gpkg", layer = "cameras" }}
lights = {{ path = "layers.gpkg", layer = "lights" }}
sos = {{ path = "layers.gpkg", layer = "sos" }}
pois = {{ path = "layers.gpkg", layer = "pois" }}
incidents = {{ path = "layers.gpkg", layer = "incidents" }}
vehicles = {{ path = "layers.gpkg", layer = "vehicles" }}
hazards = [ {{ path = "layers.gpkg", layer = "hazards", kind = "flood" }}, {{ path = "flood_depth.tif", kind = "flood", depth_threshold_m = 0.3, name = "flood_depth" }} ]
"""


def _readme(seed: int, n_nodes: int, counts: dict[str, int]) -> str:
    rows = "\n".join(f"| {name} | {n} |" for name, n in counts.items())
    return f"""# Narathiwat demo study area (synthetic)

**This is synthetic data. Nothing in it is real**: no real roads, villages,
shelters, cameras, vehicles, phone numbers or flood records.  Only the placement
(Narathiwat province, southern Thailand, on the border with Malaysia) and the
district (amphoe) names are real.

Generated by `safegeo.generate.generate_study_area(out_dir, n_nodes={n_nodes}, seed={seed})`.
The same seed always gives the same layer contents.

## How it was made

* A fixed synthetic geography in EPSG:32647 (UTM 47N): a coastline running
  north-west to south-east from Mueang Narathiwat to the Kolok river mouth near
  Tak Bai, the Kolok river along the southern edge (the international border),
  the Bang Nara river through Narathiwat town and Khlong Bacho.
* Roads: a perturbed grid - a rural grid with a coastal trunk road, secondary
  and tertiary roads, village roads and tracks, and a finer street grid in each
  district town (a few one-way streets and footways).  Lines are noded at
  junctions; roads cross rivers only on bridges (`bridge = true`), including
  two bridges over the Kolok that end just inside Malaysia.
* Districts: Voronoi cells of the thirteen district seats clipped to the land;
  tambons: Voronoi cells inside each district.
* Flood: a depth field that is deepest at the rivers and fades with distance,
  over the lower reaches of the rivers (`flood_depth.tif`, float32 metres,
  nodata -9999 outside the land, 50 m pixels); the `hazards` polygons outline
  depth > 0.1 m, with severity from the mean depth.
* Villages cluster along rivers and roads; the shelters (schools, mosques,
  temples, district offices, hospitals) usable in a flood - dry and safe for
  floods - hold 90-105 % of the population of villages inside the flood
  polygons; some shelters lie inside the flood, or are safe only for storms,
  on purpose.  Contacts (`contact`) are fake phone numbers.

## Files

* `study.toml` - the study definition read by safegeo
* `layers.gpkg` - every layer except shelters, EPSG:32647
* `shelters.csv` - shelters with `lon` / `lat` (EPSG:4326)
* `flood_depth.tif` - flood depth raster

| layer | features |
|---|---|
{rows}
"""


def generate_study_area(
    out_dir: str | Path,
    *,
    n_nodes: int = DEMO_N_NODES,
    seed: int = DEMO_SEED,
    overwrite: bool = False,
) -> Path:
    """Write a complete synthetic study area for Narathiwat into ``out_dir``.

    Writes ``study.toml``, ``layers.gpkg`` (roads, districts, tambons, border,
    rivers, villages, cameras, lights, sos, pois, incidents, vehicles, hazards;
    EPSG:32647), ``shelters.csv`` (lon/lat, EPSG:4326), ``flood_depth.tif`` and a
    ``README.md``.  Files are written to a temporary folder first and moved into
    place at the end, so a failed run leaves no half-written study area.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Output folder; created if missing.
    n_nodes : int, default 6000
        Size of the road network in nodes; villages, shelters, cameras, lights
        and the other point layers grow in proportion.
    seed : int, default 20261125
        Seed of every random draw; the same seed gives the same layer contents.
    overwrite : bool, default False
        Replace generated files already in ``out_dir``.

    Returns
    -------
    pathlib.Path
        Path of the written ``study.toml``.

    Raises
    ------
    OutputExistsError
        If ``out_dir`` already holds one of the output files and ``overwrite`` is false.
    ValueError
        If ``n_nodes`` < 200 or ``seed`` is negative.

    Examples
    --------
    >>> import tempfile
    >>> from safegeo.generate import generate_study_area
    >>> toml = generate_study_area(tempfile.mkdtemp(), n_nodes=2000, seed=7)
    >>> toml.name
    'study.toml'
    """
    import rasterio

    n_nodes = _check_n_nodes(n_nodes)
    seed = _check_seed(seed)
    out = Path(out_dir)
    existing = [name for name in OUTPUT_FILES if (out / name).exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{out}: already holds {', '.join(existing)}",
            hint="choose an empty folder or pass overwrite=True (--overwrite) to replace them",
        )
    out.mkdir(parents=True, exist_ok=True)

    study = _build_study_area(n_nodes, seed)
    tmp = Path(tempfile.mkdtemp(prefix=".safegeo-generate-", dir=out))
    try:
        gpkg = tmp / "layers.gpkg"
        for name, gdf in study.layers.items():
            gdf.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
        study.shelters.drop(columns="geometry").to_csv(tmp / "shelters.csv", index=False)
        depth = study.flood.depth
        with rasterio.open(
            tmp / "flood_depth.tif",
            "w",
            driver="GTiff",
            width=depth.shape[1],
            height=depth.shape[0],
            count=1,
            dtype="float32",
            crs=CRS,
            transform=study.flood.transform,
            nodata=_NODATA,
            compress="deflate",
            tiled=True,
            blockxsize=256,
            blockysize=256,
        ) as dst:
            dst.write(depth, 1)
            dst.set_band_description(1, "flood depth (m)")
        counts = {name: len(gdf) for name, gdf in study.layers.items()}
        counts["shelters"] = len(study.shelters)
        (tmp / "study.toml").write_text(_study_toml(seed), encoding="utf-8")
        (tmp / "README.md").write_text(_readme(seed, n_nodes, counts), encoding="utf-8")
        for name in OUTPUT_FILES:  # study.toml last: it is the file readers look for
            if name != "study.toml":
                os.replace(tmp / name, out / name)
        os.replace(tmp / "study.toml", out / "study.toml")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("wrote synthetic study area (seed=%d, %d road nodes) to %s", seed, study.n_road_nodes, out)
    return out / "study.toml"


def generate_demo(out_dir: str | Path, *, seed: int = DEMO_SEED, overwrite: bool = False) -> Path:
    """Write the demo study area (``generate_study_area`` at the demo size, 6,000 road nodes).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Output folder; created if missing.
    seed : int, default 20261125
        Seed of every random draw.
    overwrite : bool, default False
        Replace generated files already in ``out_dir``.

    Returns
    -------
    pathlib.Path
        Path of the written ``study.toml``.

    Examples
    --------
    >>> import tempfile
    >>> generate_demo(tempfile.mkdtemp()).name
    'study.toml'
    """
    return generate_study_area(out_dir, n_nodes=DEMO_N_NODES, seed=seed, overwrite=overwrite)
