"""The synthetic road graph: a warped lattice with towns, rivers and bridges, scalable to millions of nodes."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from safegeo.generate.geography import (
    _REFINE,
    _TOWN_SHORT,
    _WARP_A_U,
    _WARP_A_V,
    CRS,
    _Geography,
    _geography,
    _Town,
)

log = logging.getLogger(__name__)


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


#: The smallest road network the generator can build: fewer nodes cannot hold the thirteen towns.
MIN_N_NODES = 200


def _check_n_nodes(n_nodes: int) -> int:
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, (int, np.integer)):
        raise TypeError(f"n_nodes must be an int, got {type(n_nodes).__name__}")
    if n_nodes < MIN_N_NODES:
        raise ValueError(f"n_nodes must be >= {MIN_N_NODES} (got {n_nodes}); smaller networks cannot hold the towns")
    return int(n_nodes)


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def _barrier_candidates(geo: _Geography, x0: np.ndarray, y0: np.ndarray, cell: float) -> np.ndarray:
    """Indices of segments (starting at x0, y0, length <= cell) that may touch a river or the land edge."""
    from affine import Affine
    from rasterio import features
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


