"""Points join the network where they stand: at their projection on the nearest road, not at its end.

:func:`attach_points` inserts a node into the road where each point projects
on it, splitting the road's edges (both directions of a two-way road) at that
node.  A village, shelter or vehicle base 600 m along a 1.2 km road is then 600
m from either junction, in both directions, and the hazard state of the road
is taken where the point stands (each piece is tested on its own).  Every
analysis that routes from or to places (evacuation, response, dispatch) runs
on the network with its points attached, so travel times include the partial
road and nothing else changes: the routing kernels see ordinary nodes.

A point closer than ``merge_m`` to a junction (or to another point on the same
road) shares that node.  A point farther than ``max_snap_m`` from every road is
not attached (``ok`` false, ``node`` -1) and never moved to a far road.

Examples
--------
>>> import numpy as np
>>> from safegeo.network import RoadNetwork
>>> net = RoadNetwork.from_arrays(np.array([0., 1000]), np.array([0., 0]), np.array([0]), np.array([1]),
...                               crs="EPSG:32647")
>>> split, at = attach_points(net, np.array([[600., 30.]]), max_snap_m=100)
>>> split.n_nodes, at.node.tolist(), at.snap_m.round(1).tolist(), sorted(split.length_m.round(1).tolist())
(3, [2], [30.0], [400.0, 400.0, 600.0, 600.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from safegeo.network.core import RoadNetwork

__all__ = ["ACCESS_COLUMN", "Attachment", "attach_points", "line_points", "line_substrings", "point_xy"]


@dataclass
class Attachment:
    """Where each point joined the network (:func:`attach_points`).

    Attributes
    ----------
    node
        Node of the point in the returned network (-1: farther than *max_snap_m* from every road).
    snap_m
        Distance (m) from the point to the road (``inf`` when unattached).
    ok
        Attached (within *max_snap_m*).
    x, y
        Where the point joined the road (NaN when unattached).
    edge
        Edge row of the *original* network the point projects on (-1 when unattached).
    along_m
        Distance along that edge from its first node (m).
    max_snap_m
        The limit used.
    """

    node: np.ndarray
    snap_m: np.ndarray
    ok: np.ndarray
    x: np.ndarray
    y: np.ndarray
    edge: np.ndarray
    along_m: np.ndarray
    max_snap_m: float

    def __len__(self) -> int:
        return len(self.node)

    @property
    def unattached(self) -> np.ndarray:
        """Positions of the points that are too far from every road."""
        return np.flatnonzero(~self.ok)

    def take(self, idx: np.ndarray) -> Attachment:
        """The attachment of the points at positions *idx*."""
        idx = np.asarray(idx, dtype=np.int64)
        return Attachment(self.node[idx], self.snap_m[idx], self.ok[idx], self.x[idx], self.y[idx], self.edge[idx],
                          self.along_m[idx], self.max_snap_m)


def point_xy(points: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray, crs: CRS) -> np.ndarray:
    """(n, 2) coordinates of *points* in *crs* (a GeoDataFrame/GeoSeries is reprojected; arrays are taken as is)."""
    if isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if points.crs is not None and CRS.from_user_input(points.crs) != crs:
            points = points.to_crs(crs)
        geom = np.asarray(points.geometry.values if isinstance(points, gpd.GeoDataFrame) else points.values)
        if len(geom) and not (shapely.get_type_id(geom) == 0).all():
            geom = shapely.get_point(geom, 0)
        xy = np.full((len(geom), 2), np.nan)
        ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
        if ok.any():
            xy[ok] = shapely.get_coordinates(geom[ok])
        return xy
    return np.asarray(points, dtype=float).reshape(-1, 2)


def _vertex_positions(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates, owner geometry, and distance from the owner's first vertex of every vertex."""
    coords, gi = shapely.get_coordinates(geoms, return_index=True)
    step = np.zeros(len(coords))
    if len(coords) > 1:
        step[1:] = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    first = np.r_[True, gi[1:] != gi[:-1]] if len(gi) else np.zeros(0, bool)
    step[first] = 0.0
    cum = np.cumsum(step)
    starts = np.flatnonzero(first)
    cum -= np.repeat(cum[starts], np.diff(np.r_[starts, len(cum)]))
    return coords, gi, cum, starts


def line_points(geoms: np.ndarray, *, at_m: np.ndarray | None = None, fraction: float | np.ndarray | None = None,
                index: np.ndarray | None = None) -> np.ndarray:
    """(n, 2) coordinates of the point at *at_m* metres (or *fraction* of the length) along LineStrings.

    A vectorised ``shapely.line_interpolate_point`` (one pass over the vertices,
    no per-geometry GEOS call): positions are clipped to the line.  With
    *index*, point *i* lies on ``geoms[index[i]]`` (many points per line
    without repeating the lines); otherwise one point per line.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.zeros((0, 2))
    idx = np.arange(len(geoms)) if index is None else np.asarray(index, dtype=np.int64)
    n = len(idx)
    coords, gi, cum, starts = _vertex_positions(geoms)
    counts = np.diff(np.r_[starts, len(cum)])
    total = cum[starts + counts - 1]
    pos = np.asarray(at_m, dtype=float) if at_m is not None else np.asarray(fraction, dtype=float) * total[idx]
    pos = np.clip(np.broadcast_to(pos, (n,)), 0.0, total[idx])
    # the vertex segment holding each position: last vertex at or before it (not the line's last vertex);
    # one increasing key over all vertices: each line's positions after the previous lines' (1 m apart)
    offset = np.r_[0.0, np.cumsum(total + 1.0)[:-1]]
    k = np.searchsorted(cum + offset[gi], offset[idx] + pos, side="right") - 1
    k = np.clip(k, starts[idx], starts[idx] + np.maximum(counts[idx] - 2, 0))
    nxt = np.minimum(k + 1, starts[idx] + counts[idx] - 1)
    seg = cum[nxt] - cum[k]
    t = np.where(seg > 0, (pos - cum[k]) / np.where(seg > 0, seg, 1.0), 0.0)
    return coords[k] + (coords[nxt] - coords[k]) * t[:, None]


def line_substrings(geoms: np.ndarray, start_m: np.ndarray, end_m: np.ndarray) -> np.ndarray:
    """The part of each LineString between *start_m* and *end_m* (metres from its first vertex), vectorised."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if n == 0:
        return np.zeros(0, dtype=object)
    start_m = np.asarray(start_m, dtype=float)
    end_m = np.asarray(end_m, dtype=float)
    coords, gi, cum, _ = _vertex_positions(geoms)
    inner = (cum > start_m[gi] + 1e-9) & (cum < end_m[gi] - 1e-9)
    a = line_points(geoms, at_m=start_m)
    b = line_points(geoms, at_m=end_m)
    piece = np.concatenate([np.arange(n), gi[inner], np.arange(n)])
    part = np.concatenate([np.zeros(n), np.ones(int(inner.sum())), np.full(n, 2.0)])
    pos = np.concatenate([np.zeros(n), cum[inner], np.zeros(n)])
    xy = np.vstack([a, coords[inner], b])
    order = np.lexsort((pos, part, piece))
    return shapely.linestrings(xy[order], indices=piece[order])


def _twins(net: RoadNetwork) -> np.ndarray:
    """For every directed edge, the edge row of the same road in the other direction (-1: one-way); kept on *net*."""
    cached = net._csr_cache.get("_twins")
    if cached is not None and len(cached) == net.n_edges:
        return cached
    twin = _find_twins(net)
    net._csr_cache["_twins"] = twin
    return twin


def road_groups(net: RoadNetwork, *, per_m: float, then: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Edge rows sorted by road: the same two junctions (either direction) and the same length, counted in
    units of ``1 / per_m`` metres; within a road by *then* (0/1 per row, when given), then by row.

    Returns the order and, along it, True where a new road starts.
    """
    u = np.asarray(net.u, dtype=np.int64)
    v = np.asarray(net.v, dtype=np.int64)
    road = np.minimum(u, v) * max(net.n_nodes, 1) + np.maximum(u, v)  # the end nodes as one key
    units = np.rint(np.asarray(net.length_m, dtype=np.float64) * per_m).astype(np.int64)
    order = np.lexsort((units if then is None else units * 2 + then, road))  # lexsort is stable: row order last
    sr, su = road[order], units[order]
    return order, np.r_[True, (sr[1:] != sr[:-1]) | (su[1:] != su[:-1])] if len(order) else np.zeros(0, bool)


def _find_twins(net: RoadNetwork) -> np.ndarray:
    """Pair each edge with its reverse: same end nodes and length (to the cm); the k-th forward edge of a
    road (in row order) with its k-th backward edge.  One sort, no grouping objects."""
    n = net.n_edges
    twin = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return twin
    fwd = np.asarray(net.u) <= np.asarray(net.v)
    order, new_group = road_groups(net, per_m=100.0, then=~fwd)  # length to the cm, forward rows first
    sf = fwd[order]
    gid = np.cumsum(new_group) - 1
    gstart = np.flatnonzero(new_group)
    gsize = np.diff(np.r_[gstart, n])
    n_fwd = np.bincount(gid, weights=sf, minlength=len(gstart)).astype(np.int64)
    pos = np.arange(n)
    rank = pos - gstart[gid]  # forward rows: their rank among the group's forward rows
    f = np.flatnonzero(sf & (rank < gsize[gid] - n_fwd[gid]))  # forward rows that have a k-th backward row
    partner = gstart[gid[f]] + n_fwd[gid[f]] + rank[f]
    ef, eb = order[f], order[partner]
    loops = net.u[ef] == net.v[ef]  # a closed loop road: both directions look "forward"; leave it unpaired
    ef, eb = ef[~loops], eb[~loops]
    twin[ef] = eb
    twin[eb] = ef
    return twin


#: Edge attribute (``edge_data`` column): False on roads that places cannot join along their length (a bridge, a
#: planned link reached only at its two junctions); :func:`attach_points` attaches no point to them.
ACCESS_COLUMN = "access"


def _no_access(network: RoadNetwork) -> np.ndarray | None:
    """Rows marked ``access = False`` (None when every row may be joined)."""
    col = network.edge_data.get(ACCESS_COLUMN)
    if col is None:
        return None
    vals = col.to_numpy()
    known = pd.notna(vals)
    out = np.zeros(len(vals), bool)
    out[known] = ~vals[known].astype(bool)
    return out if out.any() else None


def attach_points(
    network: RoadNetwork,
    points: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
    *,
    max_snap_m: float,
    merge_m: float = 0.5,
) -> tuple[RoadNetwork, Attachment]:
    """A copy of *network* with a node where each point projects on its nearest road.

    Parameters
    ----------
    network
        The road network (projected CRS).
    points
        Points (GeoDataFrame/GeoSeries in any CRS, or an (n, 2) array in the network CRS).
    max_snap_m
        Points farther than this from every road are not attached.
    merge_m
        A point within this distance of a junction, or of another point on
        the same road, shares its node.

    Roads whose ``access`` attribute (:data:`ACCESS_COLUMN`) is False are
    never joined along their length: a point goes to the nearest other road.

    Returns
    -------
    network, attachment
        The split network (its ``parent_edge`` maps every edge to the edge of
        *network* it is part of; inserted nodes have negative ``node_id``),
        and where each point joined it.
    """
    xy = point_xy(points, network.crs)
    n = len(xy)
    node = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    px = np.full(n, np.nan)
    py = np.full(n, np.nan)
    edge = np.full(n, -1, dtype=np.int64)
    along = np.full(n, np.nan)
    finite = np.all(np.isfinite(xy), axis=1) if n else np.zeros(0, bool)
    if n == 0 or not finite.any() or network.n_edges == 0:
        return network, Attachment(node, dist, np.zeros(n, bool), px, py, edge, along, float(max_snap_m))
    no_access = _no_access(network)
    if no_access is None:
        if network._tree is None:
            network._tree = shapely.STRtree(network.edge_geometries())
        tree, rows = network._tree, None
    else:  # roads reached only at their ends (a planned bridge): points never join them
        rows = np.flatnonzero(~no_access)
        tree = shapely.STRtree(network.edge_geometries(rows))
    qi = np.flatnonzero(finite)
    pts = shapely.points(xy[qi])
    # (GEOS finds the nearest faster without a search radius; the limit is applied after)
    (pi, ti), d = tree.query_nearest(pts, return_distance=True, all_matches=False)
    near = d <= max_snap_m
    pi, ti, d = qi[pi[near]], ti[near], d[near]
    lines = tree.geometries[ti]
    ei = ti if rows is None else rows[ti]
    s = shapely.line_locate_point(lines, shapely.points(xy[pi]))
    proj = shapely.get_coordinates(shapely.line_interpolate_point(lines, s))
    dist[pi], edge[pi], along[pi] = d, ei, s
    px[pi], py[pi] = proj[:, 0], proj[:, 1]
    ok = np.isfinite(dist) & (dist <= max_snap_m)

    glen = shapely.length(lines)
    # at (or within merge_m of) a junction: that node, no split
    at_u = s <= merge_m
    at_v = (glen - s) <= merge_m
    node[pi[at_u]] = network.u[ei[at_u]]
    node[pi[at_v & ~at_u]] = network.v[ei[at_v & ~at_u]]
    mid = ~at_u & ~at_v
    if not mid.any():
        out = network
    else:
        out, new_node = _split(network, pi[mid], ei[mid], s[mid], glen[mid], merge_m)
        node[pi[mid]] = new_node
    node[~ok] = -1
    return out, Attachment(node, dist, ok, px, py, edge, along, float(max_snap_m))


def _split(net: RoadNetwork, point: np.ndarray, e: np.ndarray, s: np.ndarray, glen: np.ndarray,
           merge_m: float) -> tuple[RoadNetwork, np.ndarray]:
    """Split the edges at positions *s* along edges *e*; returns the network and each point's new node."""
    twin = _twins(net)
    # canonical direction of each road: the edge row that is the smaller of (edge, twin)
    te = twin[e]
    canon = np.where((te >= 0) & (te < e), te, e)
    pos = np.where(canon == e, s, glen - s)  # along the canonical edge
    # one node per distinct position on a road (positions closer than merge_m share a node)
    order = np.lexsort((pos, canon))
    c_s, p_s = canon[order], pos[order]
    new_group = np.r_[True, (c_s[1:] != c_s[:-1]) | (p_s[1:] - p_s[:-1] > merge_m)]
    gid_sorted = np.cumsum(new_group) - 1
    gid = np.empty(len(order), dtype=np.int64)
    gid[order] = gid_sorted
    g_first = np.flatnonzero(new_group)
    g_canon = c_s[g_first]
    g_pos = p_s[g_first]
    n0 = net.n_nodes
    k = len(g_first)
    new_ids = n0 + np.arange(k)

    geom_all = net.geometry
    cgeom = net.edge_geometries(g_canon)
    nxy = shapely.get_coordinates(shapely.line_interpolate_point(cgeom, g_pos))

    # pieces of every split road, in its canonical direction: boundaries 0, p1, ..., pk, L
    roads, r_start = np.unique(g_canon, return_index=True)  # g_canon is sorted, so groups are contiguous
    r_count = np.diff(np.r_[r_start, k])
    r_len = shapely.length(net.edge_geometries(roads))
    n_pieces = r_count + 1
    road_of_piece = np.repeat(np.arange(len(roads)), n_pieces)
    j = np.arange(n_pieces.sum()) - np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)  # piece number in road
    first_piece = j == 0
    last_piece = j == n_pieces[road_of_piece] - 1
    gi_prev = r_start[road_of_piece] + j - 1  # split group at the piece's start (invalid for the first)
    gi_next = r_start[road_of_piece] + j  # split group at its end (invalid for the last)
    cu = net.u[roads][road_of_piece]
    cv = net.v[roads][road_of_piece]
    start_node = np.where(first_piece, cu, new_ids[np.clip(gi_prev, 0, k - 1)])
    end_node = np.where(last_piece, cv, new_ids[np.clip(gi_next, 0, k - 1)])
    start_m = np.where(first_piece, 0.0, g_pos[np.clip(gi_prev, 0, k - 1)])
    end_m = np.where(last_piece, r_len[road_of_piece], g_pos[np.clip(gi_next, 0, k - 1)])
    piece_len = end_m - start_m
    frac = piece_len / np.where(r_len[road_of_piece] > 0, r_len[road_of_piece], 1.0)
    canon_edge = roads[road_of_piece]
    piece_geom = (line_substrings(net.edge_geometries(canon_edge), start_m, end_m)
                  if geom_all is not None else None)

    # forward pieces (canonical edge) and backward pieces (its twin, when the road is two-way)
    back = twin[canon_edge] >= 0
    pu = np.concatenate([start_node, end_node[back]])
    pv = np.concatenate([end_node, start_node[back]])
    parent = np.concatenate([canon_edge, twin[canon_edge][back]])
    plen = np.concatenate([net.length_m[canon_edge] * frac, net.length_m[twin[canon_edge][back]] * frac[back]])
    ptime = np.concatenate([net.time_s[canon_edge] * frac, net.time_s[twin[canon_edge][back]] * frac[back]])

    split_rows = np.zeros(net.n_edges, bool)
    split_rows[roads] = True
    split_rows[twin[roads][twin[roads] >= 0]] = True
    keep = np.flatnonzero(~split_rows)
    root = net.base_network if net.base_network is not None else net
    base_parent = net.parent_edge if net.parent_edge is not None else np.arange(net.n_edges)
    # where each piece lies along its root edge, in metres of geometry from the root edge's first vertex (NaN: a
    # whole root edge); pieces follow their parent's direction, so the twin's pieces run backwards along the road
    span_a = net.parent_start_m if net.parent_start_m is not None else np.full(net.n_edges, np.nan)
    span_b = net.parent_end_m if net.parent_end_m is not None else np.full(net.n_edges, np.nan)
    off = np.nan_to_num(span_a)
    tw = twin[canon_edge][back]
    piece_a = np.concatenate([off[canon_edge] + start_m, off[tw] + (r_len[road_of_piece][back] - end_m[back])])
    piece_b = np.concatenate([off[canon_edge] + end_m, off[tw] + (r_len[road_of_piece][back] - start_m[back])])

    old_ids = np.asarray(net.node_id)
    if np.issubdtype(old_ids.dtype, np.integer):
        node_id = np.concatenate([old_ids.astype(np.int64), -1 - np.arange(k, dtype=np.int64)])
    else:
        node_id = np.concatenate([old_ids.astype(object), np.full(k, None, dtype=object)])
    out = RoadNetwork(
        net.crs,
        np.concatenate([net.x, nxy[:, 0]]),
        np.concatenate([net.y, nxy[:, 1]]),
        node_id,
        np.concatenate([net.u[keep], pu]),
        np.concatenate([net.v[keep], pv]),
        np.concatenate([net.length_m[keep], plen]),
        np.concatenate([net.time_s[keep], ptime]),
        pd.concat([net.edge_data.iloc[keep], net.edge_data.iloc[parent]], ignore_index=True),
        None if geom_all is None else np.concatenate([geom_all[keep], piece_geom, shapely.reverse(piece_geom[back])]),
        net.mode,
        net.report,
    )
    out.parent_edge = np.concatenate([base_parent[keep], base_parent[parent]])
    out.parent_start_m = np.concatenate([span_a[keep], piece_a])
    out.parent_end_m = np.concatenate([span_b[keep], piece_b])
    out.base_network = root
    # the point's node: its position's group
    return out, new_ids[gid]
