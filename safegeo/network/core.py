"""The routable network as arrays (:class:`RoadNetwork`) and its CSR form for ``scipy.sparse.csgraph``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import connected_components

from safegeo._errors import CRSError, NetworkError
from safegeo.network.classes import (
    DEFAULT_SPEED_KPH,
    DEFAULT_SPEEDS_KPH,
    DRIVE_CLASSES,
    MODES,
    WALK_SPEED_KPH,
    classes_for_mode,
    speeds_for,
)

if TYPE_CHECKING:
    import networkx as nx


log = logging.getLogger(__name__)


@dataclass
class CsrGraph:
    """A CSR adjacency matrix plus the edge row behind each stored entry.

    ``matrix[i, j]`` is the cheapest cost from node *i* to node *j*
    (reversed graph: from *j* to *i*); ``edge_of[k]`` is the row in the
    network's edge arrays of the *k*-th stored entry, so a predecessor tree
    can be turned back into road edges.
    """

    matrix: sp.csr_array
    edge_of: np.ndarray
    reverse: bool = False

    def entry_between(self, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        """Positions of the stored entries (tail → head) in the matrix's data; -1 where there is none.

        Column indices are sorted within each row, so each lookup is a binary
        search inside the tail's row: O(k log degree), no work over all edges.
        """
        m = self.matrix
        indptr, indices = m.indptr, m.indices
        tail = np.asarray(tail, dtype=np.int64)
        head = np.asarray(head, dtype=np.int64)
        out = np.full(len(tail), -1, dtype=np.int64)
        if len(tail) == 0 or len(indices) == 0:
            return out
        lo = indptr[tail].astype(np.int64)
        hi = indptr[tail + 1].astype(np.int64)
        # vectorised binary search per row: rows are short (road degree <= ~8)
        left, right = lo.copy(), hi.copy()
        while True:
            active = left < right
            if not active.any():
                break
            mid = (left + right) // 2
            go_right = active & (indices[np.minimum(mid, len(indices) - 1)] < head)
            left = np.where(go_right, mid + 1, left)
            right = np.where(active & ~go_right, mid, right)
        found = (left < hi) & (indices[np.minimum(left, len(indices) - 1)] == head)
        out[found] = left[found]
        return out

    def edge_between(self, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        """Edge rows of the stored entries (tail → head); -1 where there is none (see :meth:`entry_between`)."""
        pos = self.entry_between(tail, head)
        found = pos >= 0
        pos[found] = self.edge_of[pos[found]]
        return pos


def build_csr(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, reverse: bool = False) -> CsrGraph:
    """Build a CSR graph from directed edges, keeping the cheapest of parallel edges.

    scipy's COO → CSR conversion (and ``nx.to_scipy_sparse_array``) *adds*
    parallel edges together, which would make a two-lane pair of ways look
    twice as long; here they are sorted and the cheapest is kept.  Edges with
    infinite or NaN cost are left out (closed roads).  Zero costs are kept as
    explicit entries (csgraph treats explicit zeros as edges).
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    rows = np.arange(len(u), dtype=np.int64)
    open_ = np.isfinite(w)
    if not open_.all():
        u, v, w, rows = u[open_], v[open_], w[open_], rows[open_]
    tail, head = (v, u) if reverse else (u, v)
    key = tail * np.int64(n) + head
    order = np.argsort(key, kind="stable")  # ties between equal-cost parallel edges: lowest edge row wins
    key_s = key[order]
    first = np.ones(len(key_s), dtype=bool)
    first[1:] = key_s[1:] != key_s[:-1]
    if not first.all():  # parallel edges: keep the cheapest of each run of equal keys
        group = np.cumsum(first) - 1
        w_s = w[order]
        best = np.full(int(group[-1]) + 1, np.inf)
        np.minimum.at(best, group, w_s)
        is_best = w_s == best[group]
        # first cheapest position of each group
        pos = np.flatnonzero(is_best)
        keep = np.zeros(len(order), dtype=bool)
        keep[pos[np.r_[True, group[pos[1:]] != group[pos[:-1]]]]] = True
        first = keep
    order = order[first]
    tail_s = tail[order]
    counts = np.bincount(tail_s, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    idx_dtype = np.int32 if n < 2**31 - 1 and len(order) < 2**31 - 1 else np.int64
    matrix = sp.csr_array((w[order], head[order].astype(idx_dtype), indptr.astype(idx_dtype)), shape=(n, n))
    matrix.has_sorted_indices = True
    return CsrGraph(matrix, rows[order], reverse)


def _pack_lines(geoms: np.ndarray) -> dict | None:
    """Edge lines as flat arrays (one entry per distinct line object); None when they are not all 2-D lines."""
    present = np.array([g is not None for g in geoms], dtype=bool)
    ids = np.fromiter((id(g) for g in geoms), dtype=np.int64, count=len(geoms))
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    distinct = geoms[first]
    lines = distinct[present[first]]
    if len(lines) and (not (shapely.get_type_id(lines) == 1).all() or shapely.has_z(lines).any()
                       or (shapely.get_num_coordinates(lines) < 2).any()):
        return None
    coords, index = shapely.get_coordinates(lines, return_index=True)
    return {"packed": "lines", "n": len(geoms), "present": present[first], "coords": coords,
            "index": index.astype(np.int64), "inverse": inverse.astype(np.int64)}


def _unpack_lines(packed: dict) -> np.ndarray:
    """The object array :func:`_pack_lines` packed (shared lines are shared again)."""
    distinct = np.full(len(packed["present"]), None, dtype=object)
    if len(packed["coords"]):
        distinct[packed["present"]] = shapely.linestrings(packed["coords"], indices=packed["index"])
    return distinct[packed["inverse"]]


@dataclass
class NetworkReport:
    """What building the network kept and dropped."""

    mode: str
    nodes_in: int
    edges_in: int
    nodes: int
    edges: int
    components: int
    dropped_nodes: int
    dropped_edges: int
    largest_dropped_island: int
    dropped_by_class: int = 0  # edges excluded by road class for this mode
    ways_cut: int = 0  # OSM ways cut (or dropped) where a clipped extract lacks their nodes

    def format(self) -> str:
        extra = ""
        if self.dropped_by_class:
            extra += f"; {self.dropped_by_class:,} edges not usable for {self.mode}"
        if self.ways_cut:
            extra += f"; {self.ways_cut:,} OSM ways cut where the extract lacks their nodes (clipped extract)"
        if self.components <= 1 and not self.dropped_nodes:
            return f"{self.mode} network: {self.nodes:,} nodes / {self.edges:,} directed edges, all strongly connected" + extra
        return (f"{self.mode} network: kept {self.nodes:,} nodes / {self.edges:,} directed edges "
                f"(the largest of {self.components:,} strongly connected components); dropped "
                f"{self.dropped_nodes:,} nodes and {self.dropped_edges:,} edges in smaller islands "
                f"(largest island {self.largest_dropped_island:,} nodes)" + extra)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class SnapResult:
    """Points attached to the network.

    ``node`` is the network node index (-1 when unsnappable), ``snap_m`` the
    distance from the point to the nearest road, ``ok`` whether that is within
    the maximum snap distance.
    """

    node: np.ndarray
    snap_m: np.ndarray
    ok: np.ndarray
    max_snap_m: float

    @property
    def unsnappable(self) -> np.ndarray:
        return np.flatnonzero(~self.ok)


@dataclass
class RoadNetwork:
    """A directed road network in a projected CRS, as arrays.

    Attributes
    ----------
    crs
        Projected CRS of the coordinates (metres).
    x, y
        Node coordinates (m).
    node_id
        Source ids of the nodes (OSM ids, or 0..n-1).
    u, v
        Directed edges as node indices.
    length_m, time_s
        Edge length (m) and free-flow travel time (s).
    edge_data
        Per-edge attributes (``highway``, ``name``, ``road_id``, ``bridge``,
        ``speed_kph``), one row per directed edge.
    geometry
        Per-edge LineStrings in travel direction, or ``None`` for straight
        edges (built on demand).  The backward edges of two-way roads share
        their road's line until the first use of ``geometry`` turns them round
        (:meth:`edge_geometries` turns round only the edges asked for), so a
        network used for routing alone never pays for them.
    """

    crs: CRS
    x: np.ndarray
    y: np.ndarray
    node_id: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    edge_data: pd.DataFrame
    _geometry: np.ndarray | None = field(default=None, repr=False)
    mode: str = "drive"
    report: NetworkReport | None = None
    parent_edge: np.ndarray | None = None  # edge row of the network this one was split from (None: itself)
    parent_start_m: np.ndarray | None = None  # where a piece starts and ends along its parent edge (m; NaN: whole)
    parent_end_m: np.ndarray | None = None
    base_network: RoadNetwork | None = field(default=None, repr=False)  # the network it was split from
    _csr_cache: dict = field(default_factory=dict, repr=False)
    _tree: Any = field(default=None, repr=False)
    _flip: np.ndarray | None = field(default=None, repr=False)  # edges whose stored line runs v -> u

    @property
    def geometry(self) -> np.ndarray | None:
        """Per-edge LineStrings in travel direction (None: straight edges, built on demand)."""
        if self._flip is not None and self._geometry is not None:
            g = self._geometry.copy()
            g[self._flip] = shapely.reverse(g[self._flip])
            self._geometry, self._flip = g, None
        return self._geometry

    @geometry.setter
    def geometry(self, value: np.ndarray | None) -> None:
        self._geometry, self._flip = value, None

    # -- pickling (scenario ensembles send the network to every worker) -------------------------
    def __getstate__(self) -> dict:
        """The state with the edge lines as flat coordinate arrays, and without the search tree.

        Pickling a million shapely lines one by one takes a minute; their
        coordinates as one array take a fraction of a second.  Lines shared by
        the two directions of a road stay shared after unpickling.
        """
        state = dict(self.__dict__)
        state["_tree"] = None  # rebuilt on first use
        g = state.get("_geometry")
        if g is not None and len(g):
            packed = _pack_lines(g)
            if packed is not None:
                state["_geometry"] = packed
        return state

    def __setstate__(self, state: dict) -> None:
        g = state.get("_geometry")
        if isinstance(g, dict) and g.get("packed") == "lines":
            state = {**state, "_geometry": _unpack_lines(g)}
        self.__dict__.update(state)

    # -- sizes ----------------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def n_edges(self) -> int:
        return len(self.u)

    def __repr__(self) -> str:
        return f"RoadNetwork(mode={self.mode!r}, nodes={self.n_nodes:,}, edges={self.n_edges:,}, crs={self.crs.to_string()})"

    # -- core constructor -----------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        *,
        crs: Any,
        highway: np.ndarray | None = None,
        oneway: np.ndarray | None = None,
        length_m: np.ndarray | None = None,
        geometry: np.ndarray | None = None,
        attrs: pd.DataFrame | None = None,
        node_id: np.ndarray | None = None,
        mode: str = "drive",
        speeds_kph: dict[str, float] | None = None,
        default_speed_kph: float = DEFAULT_SPEED_KPH,
        walk_speed_kph: float = WALK_SPEED_KPH,
        maxspeed_kph: np.ndarray | None = None,
        largest_component: bool = True,
        directed_input: bool = False,
    ) -> RoadNetwork:
        """Build a network from road segments given as node-index pairs.

        Parameters
        ----------
        x, y
            Node coordinates in *crs* (metres).
        u, v
            Segment end nodes.  Unless *directed_input*, each segment is a road
            usable both ways except where *oneway* is true (then ``u → v`` only).
        crs
            A projected CRS.
        highway
            Road class per segment (for speeds and the mode filter).
        length_m
            Segment length; straight-line length when omitted.
        geometry
            Per-segment LineStrings (digitised ``u → v``), optional.
        mode
            ``"drive"`` (classes in :data:`DRIVE_CLASSES`, one-way respected,
            speeds per class) or ``"walk"`` (all footpaths too, both directions,
            *walk_speed_kph*).
        largest_component
            Keep only the largest strongly connected component (default).
        directed_input
            The segments are already directed edges (osmnx graphs): *oneway*
            is respected in walk mode too.
        """
        crs = CRS.from_user_input(crs)
        if not crs.is_projected:
            raise CRSError(f"network coordinates are in {crs.name} (degrees); a projected CRS is needed",
                           hint="reproject the roads to a UTM zone (e.g. EPSG:32647) first")
        if mode not in MODES:
            raise NetworkError(f"unknown network mode {mode!r}", hint="use 'drive' or 'walk'")
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        m = len(u)
        if len(x) == 0 or m == 0:
            raise NetworkError("the road layer has no usable road segments", hint="check the roads file and network mode")
        highway = np.asarray(highway if highway is not None else np.full(m, "road", dtype=object), dtype=object)
        oneway = np.zeros(m, bool) if oneway is None else np.asarray(oneway, dtype=bool)
        if length_m is None:
            length_m = np.hypot(x[u] - x[v], y[u] - y[v]) if geometry is None else shapely.length(geometry)
        length_m = np.asarray(length_m, dtype=np.float64)
        attrs = pd.DataFrame(index=np.arange(m)) if attrs is None else attrs.reset_index(drop=True)
        attrs = attrs.assign(highway=highway)

        usable = classes_for_mode(highway, mode)
        dropped_by_class = int((~usable).sum())
        if mode == "walk":
            speed = np.full(m, float(walk_speed_kph))
            if not directed_input:
                oneway = np.zeros(m, bool)
        else:
            speed = speeds_for(highway, {**DEFAULT_SPEEDS_KPH, **(speeds_kph or {})}, default_speed_kph)
            if maxspeed_kph is not None:
                ms = np.asarray(maxspeed_kph, dtype=float)
                speed = np.where(np.isfinite(ms) & (ms > 0), ms, speed)
        seg = np.flatnonzero(usable)
        # directed edges: every usable segment forward, and backward unless one-way
        back = seg[~oneway[seg]]
        eu = np.concatenate([u[seg], v[back]])
        ev = np.concatenate([v[seg], u[back]])
        src = np.concatenate([seg, back])
        rev = np.concatenate([np.zeros(len(seg), bool), np.ones(len(back), bool)])
        if len(eu) == 0:
            usable_classes = sorted(DRIVE_CLASSES) if mode == "drive" else ["footway", "path", "residential", "..."]
            raise NetworkError(f"no road segment is usable for the {mode} network",
                               hint=f"roads' highway classes are {', '.join(sorted(set(map(str, highway)))[:10])}; "
                                    f"the {mode} network uses OSM highway classes ({', '.join(usable_classes)})")
        elen = length_m[src]
        etime = elen / (speed[src] / 3.6)
        edata = attrs.iloc[src].reset_index(drop=True)
        edata["speed_kph"] = speed[src]
        egeom = None
        if geometry is not None:
            egeom = np.asarray(geometry, dtype=object)[src]
        node_id = np.arange(len(x)) if node_id is None else np.asarray(node_id)
        net = cls(crs, x, y, node_id, eu, ev, elen, etime, edata, egeom, mode)
        if egeom is not None and rev.any():
            net._flip = rev  # backward edges: the road's line, turned round on first use
        # nodes only on roads of other modes (footpaths in a drive network) are not "islands"
        net._drop_unused_nodes()
        nodes_in, edges_in = net.n_nodes, net.n_edges
        comps = 1
        biggest_dropped = 0
        if largest_component:
            comps, biggest_dropped = net._keep_largest_scc()
        else:
            net._drop_unused_nodes()
        net.report = NetworkReport(mode, nodes_in, edges_in, net.n_nodes, net.n_edges, comps,
                                   nodes_in - net.n_nodes, edges_in - net.n_edges, biggest_dropped, dropped_by_class)
        log.info("%s", net.report.format())
        return net

    def _subset(self, node_keep: np.ndarray) -> None:
        """Keep nodes where *node_keep*; drop edges touching others; renumber."""
        edge_keep = node_keep[self.u] & node_keep[self.v]
        new_index = np.full(len(node_keep), -1, dtype=np.int64)
        new_index[node_keep] = np.arange(int(node_keep.sum()))
        self.x, self.y, self.node_id = self.x[node_keep], self.y[node_keep], self.node_id[node_keep]
        self.u = new_index[self.u[edge_keep]]
        self.v = new_index[self.v[edge_keep]]
        self.length_m = self.length_m[edge_keep]
        self.time_s = self.time_s[edge_keep]
        self.edge_data = self.edge_data[edge_keep].reset_index(drop=True)
        if self._geometry is not None:
            self._geometry = self._geometry[edge_keep]
            if self._flip is not None:
                self._flip = self._flip[edge_keep]
        if self.parent_edge is not None:
            self.parent_edge = self.parent_edge[edge_keep]
            self.parent_start_m = self.parent_start_m[edge_keep] if self.parent_start_m is not None else None
            self.parent_end_m = self.parent_end_m[edge_keep] if self.parent_end_m is not None else None
        self._csr_cache.clear()
        self._tree = None

    def _drop_unused_nodes(self) -> None:
        used = np.zeros(self.n_nodes, bool)
        used[self.u] = True
        used[self.v] = True
        if not used.all():
            self._subset(used)

    def _keep_largest_scc(self) -> tuple[int, int]:
        self._drop_unused_nodes()
        # connectivity only: duplicate entries (summed by scipy) do not matter here
        g = sp.csr_array((np.ones(self.n_edges, dtype=np.int8), (self.u, self.v)), shape=(self.n_nodes, self.n_nodes))
        n_comp, labels = connected_components(g, directed=True, connection="strong")
        if n_comp == 1:
            return 1, 0
        sizes = np.bincount(labels)
        big = int(np.argmax(sizes))
        sizes_sorted = np.sort(sizes)[::-1]
        self._subset(labels == big)
        return int(n_comp), int(sizes_sorted[1]) if len(sizes_sorted) > 1 else 0

    # -- CSR ------------------------------------------------------------------------------------
    def csr(self, weight: str | np.ndarray = "time", *, reverse: bool = False) -> CsrGraph:
        """The graph as CSR for ``scipy.sparse.csgraph``.

        Parameters
        ----------
        weight
            ``"time"`` (seconds), ``"length"`` (metres), or an array of
            per-edge costs (``inf`` closes an edge).  Named weights are cached.
        reverse
            Transposed graph (search *towards* targets: one pass from all
            shelters gives every origin's nearest shelter).
        """
        if isinstance(weight, str):
            key = (weight, reverse)
            if key not in self._csr_cache:
                self._csr_cache[key] = build_csr(self.n_nodes, self.u, self.v, self.edge_cost(weight), reverse=reverse)
            return self._csr_cache[key]
        w = np.asarray(weight, dtype=float)
        if w.shape != (self.n_edges,):
            raise ValueError(f"weight array has shape {w.shape}; expected ({self.n_edges},)")
        return build_csr(self.n_nodes, self.u, self.v, w, reverse=reverse)

    def edge_cost(self, weight: str) -> np.ndarray:
        """Per-edge cost array for ``"time"`` (s) or ``"length"`` (m)."""
        if weight in ("time", "time_s", "travel_time", "travel_time_s"):
            return self.time_s
        if weight in ("length", "length_m", "distance"):
            return self.length_m
        raise ValueError(f"unknown weight {weight!r}; use 'time' or 'length'")

    # -- geometry -------------------------------------------------------------------------------
    def edge_geometries(self, edges: np.ndarray | None = None) -> np.ndarray:
        """LineStrings (travel direction) of *edges* (all when None)."""
        idx = np.arange(self.n_edges) if edges is None else np.asarray(edges, dtype=np.int64)
        if self._geometry is not None:
            if edges is None or self._flip is None:
                return self.geometry[idx]
            g = self._geometry[idx]  # a copy: turn round only the edges asked for
            flip = self._flip[idx]
            if flip.any():
                g[flip] = shapely.reverse(g[flip])
            return g
        coords = np.empty((len(idx), 2, 2))
        coords[:, 0, 0] = self.x[self.u[idx]]
        coords[:, 0, 1] = self.y[self.u[idx]]
        coords[:, 1, 0] = self.x[self.v[idx]]
        coords[:, 1, 1] = self.y[self.v[idx]]
        return shapely.linestrings(coords)

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """Nodes as points (``node`` index, ``node_id`` source id)."""
        return gpd.GeoDataFrame({"node": np.arange(self.n_nodes), "node_id": self.node_id},
                                geometry=shapely.points(self.x, self.y), crs=self.crs)

    def edges_gdf(self, *, undirected: bool = False) -> gpd.GeoDataFrame:
        """Directed edges as LineStrings with ``u``, ``v``, ``length_m``, ``time_s`` and attributes.

        With *undirected*, each two-way road appears once.
        """
        df = self.edge_data.copy()
        df.insert(0, "edge", np.arange(self.n_edges))
        df.insert(1, "u", self.u)
        df.insert(2, "v", self.v)
        df["length_m"] = self.length_m
        df["time_s"] = self.time_s
        gdf = gpd.GeoDataFrame(df, geometry=self.edge_geometries(), crs=self.crs)
        if undirected:
            a = np.minimum(self.u, self.v)
            b = np.maximum(self.u, self.v)
            gdf = gdf[~pd.DataFrame({"a": a, "b": b, "l": np.round(self.length_m, 3)}).duplicated().to_numpy()]
        return gdf

    # -- snapping -------------------------------------------------------------------------------
    def snap(self, points: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray, *, max_snap_m: float) -> SnapResult:
        """Attach points to the network.

        Each point goes to the nearest road (edge) within *max_snap_m* and
        from there to the nearer end node of that road.  Points farther than
        *max_snap_m* from every road are reported (``ok`` false, ``node``
        -1), never attached to a far road.

        Parameters
        ----------
        points
            Points in the network CRS (GeoDataFrame/GeoSeries), or an (n, 2)
            array of coordinates.
        max_snap_m
            Maximum distance (m) from a point to a road.
        """
        if isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
            if points.crs is not None and CRS.from_user_input(points.crs) != self.crs:
                points = points.to_crs(self.crs)
            geom = points.geometry.values if isinstance(points, gpd.GeoDataFrame) else points.values
            geom = shapely.get_point(geom, 0) if not (shapely.get_type_id(geom) == 0).all() else geom
            xy = shapely.get_coordinates(geom)
            if len(xy) != len(points):
                raise NetworkError("some points have empty geometry and cannot be snapped")
        else:
            xy = np.asarray(points, dtype=float).reshape(-1, 2)
        n = len(xy)
        node = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        if n == 0:
            return SnapResult(node, dist, np.zeros(0, bool), max_snap_m)
        if self._tree is None:
            self._tree = shapely.STRtree(self.edge_geometries())
        pts = shapely.points(xy)
        (pi, ei), d = self._tree.query_nearest(pts, max_distance=max_snap_m, return_distance=True, all_matches=False)
        if len(pi):
            lines = self._tree.geometries[ei]
            along = shapely.line_locate_point(lines, pts[pi])
            total = shapely.length(lines)
            to_start = along <= total / 2
            # tree geometries are per directed edge: start = u, end = v
            node[pi] = np.where(to_start, self.u[ei], self.v[ei])
            dist[pi] = d
        ok = np.isfinite(dist) & (dist <= max_snap_m)
        return SnapResult(node, dist, ok, float(max_snap_m))

    def nearest_nodes(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node index and distance (m) for each coordinate pair (KD-tree)."""
        from scipy.spatial import cKDTree

        tree = cKDTree(np.column_stack([self.x, self.y]))
        d, i = tree.query(np.asarray(xy, dtype=float).reshape(-1, 2))
        return i.astype(np.int64), d

    # -- interop --------------------------------------------------------------------------------
    def to_networkx(self, weight: str = "time") -> nx.MultiDiGraph:
        """A networkx MultiDiGraph (for independent checks and small analyses)."""
        import networkx as nx

        g = nx.MultiDiGraph()
        g.add_nodes_from((i, {"x": float(self.x[i]), "y": float(self.y[i])}) for i in range(self.n_nodes))
        for k, (a, b, le, t) in enumerate(zip(self.u.tolist(), self.v.tolist(), self.length_m.tolist(),
                                              self.time_s.tolist())):
            g.add_edge(a, b, key=k, length=le, travel_time=t, edge=k)
        return g

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save to a GeoPackage (layers ``nodes`` and ``edges``), atomically."""
        from safegeo.io import write_gpkg

        edges = self.edges_gdf()
        meta = pd.DataFrame({"key": ["mode", "crs", "format"], "value": [self.mode, self.crs.to_string(), "safegeo-network-1"]})
        return write_gpkg(path, {"nodes": self.nodes_gdf(), "edges": edges, "network_meta": meta})

    @classmethod
    def load(cls, path: str | Path) -> RoadNetwork:
        """Load a network saved with :meth:`save` (no component filtering again)."""
        import pyogrio

        path = Path(path)
        try:
            meta = pyogrio.read_dataframe(path, layer="network_meta")
            nodes = pyogrio.read_dataframe(path, layer="nodes")
            edges = pyogrio.read_dataframe(path, layer="edges")
        except Exception as exc:
            raise NetworkError(f"{path}: not a saved safegeo network ({exc})",
                               hint="create it with `safegeo prepare STUDY.toml --out DIR`") from exc
        info = dict(zip(meta["key"], meta["value"]))
        nodes = nodes.sort_values("node")
        xy = shapely.get_coordinates(nodes.geometry.values)
        attrs = edges.drop(columns=["edge", "u", "v", "length_m", "time_s", "geometry"])
        net = cls(CRS.from_user_input(info["crs"]), xy[:, 0].copy(), xy[:, 1].copy(), nodes["node_id"].to_numpy(),
                  edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64), edges["length_m"].to_numpy(float),
                  edges["time_s"].to_numpy(float), attrs.reset_index(drop=True), edges.geometry.values.copy(),
                  info.get("mode", "drive"))
        return net


