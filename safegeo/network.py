"""Road networks: build once from OSM files, road lines or osmnx; route on CSR arrays.

One internal form serves every analysis: :class:`RoadNetwork` holds node
coordinates and *directed* edges as numpy arrays (``u``, ``v``,
``length_m``, ``time_s``), restricted to the largest strongly connected
component.  :meth:`RoadNetwork.csr` turns any per-edge cost into a SciPy CSR
matrix (cheapest of parallel edges kept, closed edges dropped) for
``scipy.sparse.csgraph`` shortest paths.

Adapters build it from:

* a local ``.osm`` / ``.osm.bz2`` / ``.osm.pbf`` file (offline) —
  :func:`from_osm_file`;
* a line layer (GeoPackage, GeoJSON, ...) noded at shared vertices —
  :func:`from_lines`;
* osmnx downloads by place, bbox or polygon (online, cached) —
  :func:`from_osmnx_download`;
* plain arrays (the generator, benchmarks) — :meth:`RoadNetwork.from_arrays`.
"""

from __future__ import annotations

import logging
import os
import tempfile
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

from safegeo._errors import CRSError, NetworkError, OnlineError

if TYPE_CHECKING:
    import networkx as nx

    from safegeo.study import StudyArea

log = logging.getLogger(__name__)

#: Road classes a car may use.  Thai village roads are often tagged ``track``;
#: they are kept (at a low speed) because they are how villages are reached.
DRIVE_CLASSES = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street", "service", "road", "track",
})
#: Free-flow speeds (km/h) per road class, used when no others are given.  Thai roads: Department of
#: Highways limits (90 km/h on highways, 80 on rural roads, 60 in built-up areas) less the slower
#: reality of mixed traffic, motorcycles and village lanes.  Other classes: ``default_speed_kph``.
DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0,
    "trunk": 80.0, "trunk_link": 50.0,
    "primary": 70.0, "primary_link": 45.0,
    "secondary": 60.0, "secondary_link": 40.0,
    "tertiary": 50.0, "tertiary_link": 35.0,
    "unclassified": 40.0, "road": 40.0,
    "residential": 30.0, "living_street": 15.0,
    "service": 20.0, "track": 15.0,
}
#: Road classes nobody walks or drives on (planned, closed, not roads).
NEVER_CLASSES = frozenset({"construction", "proposed", "abandoned", "raceway", "bus_guideway", "platform",
                           "elevator", "escape", "disused", "razed", "rest_area", "services"})
#: Classes excluded from the walking network.
NO_WALK_CLASSES = frozenset({"motorway", "motorway_link"})

MODES = ("drive", "walk")


def _class_codes(highway: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Factorise road classes: integer codes per segment and the distinct class names.

    osmnx gives a list of classes for merged ways; the first is used.  Missing
    classes become ``"road"``.
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(highway, dtype=object)), use_na_sentinel=True)
    # "Residential " from a hand-made layer is the OSM class residential
    names = np.array([str(u[0] if isinstance(u, list) and u else u).strip().lower() for u in uniques] + ["road"],
                     dtype=object)
    codes = np.where(codes < 0, len(names) - 1, codes)
    return codes, names


def classes_for_mode(highway: np.ndarray, mode: str) -> np.ndarray:
    """Boolean mask of road classes usable in *mode* (``drive`` or ``walk``)."""
    codes, names = _class_codes(highway)
    if mode == "drive":
        ok = np.isin(names, list(DRIVE_CLASSES))
    elif mode == "walk":
        ok = ~np.isin(names, list(NEVER_CLASSES | NO_WALK_CLASSES | {"none", ""}))
    else:
        raise NetworkError(f"unknown network mode {mode!r}", hint="use 'drive' or 'walk'")
    return ok[codes]


def speeds_for(highway: np.ndarray, speeds_kph: dict[str, float], default_kph: float) -> np.ndarray:
    """Speed (km/h) for each road class; classes not in *speeds_kph* get *default_kph*."""
    codes, names = _class_codes(highway)
    speeds = {str(k).strip().lower(): v for k, v in speeds_kph.items()}
    per_class = np.array([float(speeds.get(n, default_kph)) for n in names])
    return per_class[codes]


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

    def edge_between(self, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        """Edge rows of the stored entries (tail → head); -1 where there is none.

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
        out[found] = self.edge_of[left[found]]
        return out


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

    def format(self) -> str:
        if self.components <= 1 and not self.dropped_nodes:
            return (f"{self.mode} network: {self.nodes:,} nodes / {self.edges:,} directed edges, all strongly connected"
                    + (f"; {self.dropped_by_class:,} edges not usable for {self.mode}" if self.dropped_by_class else ""))
        return (f"{self.mode} network: kept {self.nodes:,} nodes / {self.edges:,} directed edges "
                f"(the largest of {self.components:,} strongly connected components); dropped "
                f"{self.dropped_nodes:,} nodes and {self.dropped_edges:,} edges in smaller islands "
                f"(largest island {self.largest_dropped_island:,} nodes)"
                + (f"; {self.dropped_by_class:,} edges not usable for {self.mode}" if self.dropped_by_class else ""))

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
        edges (built on demand).
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
    geometry: np.ndarray | None = None
    mode: str = "drive"
    report: NetworkReport | None = None
    _csr_cache: dict = field(default_factory=dict, repr=False)
    _tree: Any = field(default=None, repr=False)

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
        default_speed_kph: float = 40.0,
        walk_speed_kph: float = 4.5,
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
            g = np.asarray(geometry, dtype=object)[src]
            if rev.any():
                g = g.copy()
                g[rev] = shapely.reverse(g[rev])
            egeom = g
        node_id = np.arange(len(x)) if node_id is None else np.asarray(node_id)
        net = cls(crs, x, y, node_id, eu, ev, elen, etime, edata, egeom, mode)
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
        if self.geometry is not None:
            self.geometry = self.geometry[edge_keep]
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
        if self.geometry is not None:
            return self.geometry[idx]
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


# ---------------------------------------------------------------------------------------------
# adapters
# ---------------------------------------------------------------------------------------------
def _net_kwargs(params: dict | None) -> dict:
    p = params or {}
    out = {}
    if "speeds_kph" in p:
        out["speeds_kph"] = p["speeds_kph"]
    if "default_speed_kph" in p:
        out["default_speed_kph"] = float(p["default_speed_kph"])
    if "walk_speed_kph" in p:
        out["walk_speed_kph"] = float(p["walk_speed_kph"])
    return out


def from_lines(
    roads: gpd.GeoDataFrame,
    *,
    mode: str = "drive",
    crs: Any = None,
    params: dict | None = None,
    snap_tolerance_m: float = 0.01,
    largest_component: bool = True,
) -> RoadNetwork:
    """Build a network from a road line layer.

    Lines are split into edges at every vertex shared by two or more lines
    (and at their ends), the way OSM ways meet.  Lines that merely cross
    without a shared vertex (bridges, flyovers) are *not* connected.
    Vertices closer than *snap_tolerance_m* are merged.

    Columns used when present: ``highway`` (OSM road class, any case),
    ``oneway`` (yes/true/1: only in digitised direction; OSM ``-1``: only
    against it; no/empty: both ways), ``maxspeed_kph`` (numbers or OSM text
    such as ``"30 mph"``; empty: the class speed), ``name``, ``road_id``,
    ``bridge``.  With
    *largest_component* false every component is kept (reach from points on
    small islands of road, e.g. SOS buttons).
    """
    if roads.crs is None:
        raise CRSError("roads: the layer has no CRS", hint="set the CRS of the roads layer in study.toml")
    work_crs = CRS.from_user_input(crs) if crs is not None else roads.crs
    if not work_crs.is_projected:
        from safegeo.projection import pick_working_crs

        work_crs = pick_working_crs([roads])
    roads = roads.to_crs(work_crs)
    geom = roads.geometry.values
    oneway_all = None
    if "oneway" in roads.columns:
        from safegeo._validate import oneway_direction

        direction, _ = oneway_direction(roads["oneway"])
        if (direction < 0).any():  # OSM oneway=-1: traffic runs against the digitising direction
            geom = np.asarray(geom, dtype=object).copy()
            geom[direction < 0] = shapely.reverse(geom[direction < 0])
        oneway_all = direction != 0
    parts, src = shapely.get_parts(geom, return_index=True)
    keep = shapely.get_type_id(parts) == 1  # LineString
    parts, src = parts[keep], src[keep]
    coords, line_of = shapely.get_coordinates(parts, return_index=True)
    if len(coords) == 0:
        raise NetworkError("roads: no line geometry to build a network from")
    q = np.round(coords / snap_tolerance_m).astype(np.int64)
    _, vid, vcount = np.unique(q, axis=0, return_inverse=True, return_counts=True)
    vid = vid.ravel()
    # a vertex is a node when shared (count>1) or a line end
    starts = np.r_[0, np.flatnonzero(np.diff(line_of)) + 1]
    ends = np.r_[starts[1:] - 1, len(line_of) - 1]
    is_node = vcount[vid] > 1
    is_node[starts] = True
    is_node[ends] = True
    # split points: node vertices that are not a line's first vertex end an edge
    node_pos = np.flatnonzero(is_node)
    # each edge runs from one node vertex to the next node vertex on the same line
    a = node_pos[:-1]
    b = node_pos[1:]
    same = line_of[a] == line_of[b]
    a, b = a[same], b[same]
    # geometry of each edge = coords a..b
    lens = b - a + 1
    idx = np.repeat(a, lens) + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
    edge_geom = shapely.linestrings(coords[idx], indices=np.repeat(np.arange(len(a)), lens))
    uniq_nodes, node_index = np.unique(vid[np.r_[a, b]], return_inverse=True)
    eu = node_index[: len(a)]
    ev = node_index[len(a):]
    # node coordinates: first occurrence of each vertex id
    first_occ = np.full(vid.max() + 1, -1, dtype=np.int64)
    first_occ[vid[::-1]] = np.arange(len(vid))[::-1]
    nxy = coords[first_occ[uniq_nodes]]
    row = src[line_of[a]]
    attrs = pd.DataFrame({c: roads[c].to_numpy()[row] for c in ("road_id", "name", "bridge") if c in roads.columns},
                         index=np.arange(len(row)))
    highway = roads["highway"].to_numpy()[row] if "highway" in roads.columns else None
    oneway = oneway_all[row] if oneway_all is not None else None
    maxs = None
    if "maxspeed_kph" in roads.columns:  # numbers, or OSM-style text ("50", "30 mph"); unreadable: class speed
        col = roads["maxspeed_kph"]
        if pd.api.types.is_numeric_dtype(col.dtype):
            maxs = col.astype(float).to_numpy()[row]
        else:
            maxs = np.array([_parse_maxspeed(v) for v in col.tolist()], dtype=float)[row]
    # drop zero-length self loops
    ok = eu != ev
    return RoadNetwork.from_arrays(
        nxy[:, 0], nxy[:, 1], eu[ok], ev[ok], crs=work_crs,
        highway=None if highway is None else highway[ok], oneway=None if oneway is None else oneway[ok],
        geometry=edge_geom[ok], attrs=attrs[ok].reset_index(drop=True), mode=mode,
        maxspeed_kph=None if maxs is None else maxs[ok], largest_component=largest_component, **_net_kwargs(params),
    )


def osm_file_center(path: str | Path) -> tuple[float, float] | None:
    """(lon, lat) of the centre of an OSM file: its header box, else the mean of up to 10,000 nodes."""
    import osmium

    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
        if box.valid():
            return ((box.bottom_left.lon + box.top_right.lon) / 2, (box.bottom_left.lat + box.top_right.lat) / 2)
        lons, lats = [], []
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if node.location.valid():
                lons.append(node.location.lon)
                lats.append(node.location.lat)
            if len(lons) >= 10_000:
                break
        return (float(np.mean(lons)), float(np.mean(lats))) if lons else None
    except Exception:  # unreadable files are reported when the network is built
        return None


def _pbf_to_xml(pbf: Path, out: Path) -> None:
    import osmium

    with osmium.SimpleWriter(str(out), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            writer.add(obj)


def read_osm_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read an OSM file (.osm, .osm.bz2, .osm.pbf) into an unsimplified osmnx graph.

    Every way with a ``highway`` tag is kept (footways too); filter by mode afterwards.
    """
    import osmnx as ox

    path = Path(path)
    if not path.exists():
        from safegeo._errors import LayerReadError

        raise LayerReadError(f"{path}: OSM file not found", hint="check the roads path in study.toml")
    try:
        if path.name.lower().endswith(".pbf"):
            with tempfile.TemporaryDirectory(prefix="safegeo-osm-") as tmp:
                xml = Path(tmp) / "roads.osm"
                _pbf_to_xml(path, xml)
                return ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)
        return ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    except Exception as exc:
        from safegeo._errors import LayerReadError

        raise LayerReadError(f"{path}: cannot read OSM data ({exc.__class__.__name__}: {exc})",
                             hint="is it an OSM XML/PBF extract with highway ways?") from exc


def from_osmnx_graph(
    g: nx.MultiDiGraph,
    *,
    mode: str = "drive",
    crs: Any = None,
    params: dict | None = None,
    simplify: bool = True,
    largest_component: bool = True,
) -> RoadNetwork:
    """Build a network from an osmnx graph (unprojected or projected).

    Edges whose ``highway`` class is not usable for *mode* are removed first
    (``osmnx.graph_from_xml`` keeps footways too), then the graph is
    simplified (interstitial nodes removed, geometry kept) and projected.
    """
    import osmnx as ox

    g = g.copy()
    # OSM ways without a highway tag (railways, barriers...) are not roads
    hw = np.array([d.get("highway", "none") for _, _, _, d in g.edges(keys=True, data=True)], dtype=object)
    usable = classes_for_mode(hw, mode)
    # private / no-access ways
    access_bad = np.array([str(d.get("access", "")).lower() in ("private", "no") or
                           (mode == "drive" and str(d.get("motor_vehicle", d.get("motorcar", ""))).lower() == "no") or
                           (mode == "walk" and str(d.get("foot", "")).lower() == "no")
                           for _, _, _, d in g.edges(keys=True, data=True)], dtype=bool)
    drop = [e for e, ok in zip(list(g.edges(keys=True)), usable & ~access_bad) if not ok]
    dropped_by_class = len(drop)
    g.remove_edges_from(drop)
    g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
    if g.number_of_edges() == 0:
        raise NetworkError(f"the OSM data has no ways usable for the {mode} network")
    if simplify and not g.graph.get("simplified", False):
        g = ox.simplify_graph(g)
    if crs is None:
        from safegeo.projection import utm_crs_for_lonlat

        xs = np.array([d["x"] for _, d in g.nodes(data=True)])
        ys = np.array([d["y"] for _, d in g.nodes(data=True)])
        crs = utm_crs_for_lonlat(float(np.mean(xs)), float(np.mean(ys))) if CRS.from_user_input(g.graph["crs"]).is_geographic else g.graph["crs"]
    gp = ox.project_graph(g, to_crs=crs)
    nodes = list(gp.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    x = np.array([gp.nodes[n]["x"] for n in nodes])
    y = np.array([gp.nodes[n]["y"] for n in nodes])
    edges = list(gp.edges(keys=True, data=True))
    u = np.array([index[a] for a, _, _, _ in edges], dtype=np.int64)
    v = np.array([index[b] for _, b, _, _ in edges], dtype=np.int64)
    length = np.array([float(d.get("length", np.nan)) for *_, d in edges])
    geoms = np.array([d.get("geometry") or shapely.LineString([(x[index[a]], y[index[a]]), (x[index[b]], y[index[b]])])
                      for a, b, _, d in edges], dtype=object)
    geo_len = shapely.length(geoms)
    length = np.where(np.isfinite(length), length, geo_len)
    # osmnx lengths are great-circle metres; use the projected geometry's length for consistency
    length = geo_len

    def first(val):
        return val[0] if isinstance(val, list) and val else val

    highway = np.array([first(d.get("highway", "road")) for *_, d in edges], dtype=object)
    maxspeed = np.array([_parse_maxspeed(first(d.get("maxspeed"))) for *_, d in edges], dtype=float)
    attrs = pd.DataFrame({
        "osmid": [str(first(d.get("osmid", ""))) for *_, d in edges],
        "name": [first(d.get("name")) for *_, d in edges],
        "bridge": [str(first(d.get("bridge", ""))).lower() in ("yes", "true", "1", "viaduct") for *_, d in edges],
    })
    node_id = np.array(nodes)
    # osmnx already expanded two-way ways into both directions (bidirectional=False keeps one-ways one way)
    oneway_directed = np.ones(len(u), dtype=bool)
    if mode == "walk":
        # walkers use one-way streets both ways: add the reverse of edges that have none
        n = np.int64(len(x))
        oneway_directed = np.isin(v * n + u, u * n + v)
    net = RoadNetwork.from_arrays(
        x, y, u, v, crs=crs, highway=highway, oneway=oneway_directed, length_m=length, geometry=geoms,
        attrs=attrs, node_id=node_id, mode=mode, maxspeed_kph=maxspeed, directed_input=True,
        largest_component=largest_component, **_net_kwargs(params),
    )
    if net.report is not None:
        net.report.dropped_by_class = dropped_by_class
    return net


def _parse_maxspeed(val: Any) -> float:
    if val is None or val is pd.NA:
        return np.nan
    if isinstance(val, (int, float, np.integer, np.floating)) and not isinstance(val, bool):
        return float(val)
    s = str(val).strip().lower()
    try:
        if s.endswith("mph"):
            return float(s[:-3]) * 1.609344
        return float(s.split()[0])
    except (ValueError, IndexError):
        return np.nan


def from_osm_file(path: str | Path, *, mode: str = "drive", crs: Any = None, params: dict | None = None,
                  largest_component: bool = True) -> RoadNetwork:
    """Build a network from a local OSM extract (``.osm``, ``.osm.bz2``, ``.osm.pbf``), offline."""
    return from_osmnx_graph(read_osm_graph(path), mode=mode, crs=crs, params=params,
                            largest_component=largest_component)


def from_osmnx_download(source: dict, *, mode: str = "drive", crs: Any = None, params: dict | None = None,
                        largest_component: bool = True) -> RoadNetwork:
    """Download a network with osmnx (``place``, ``bbox`` = [west, south, east, north], or ``polygon`` WKT).

    Needs the internet; responses are cached by osmnx (``ox.settings.use_cache``).
    """
    import osmnx as ox

    ox.settings.use_cache = True
    network_type = "drive" if mode == "drive" else "walk"
    try:
        if "place" in source:
            g = ox.graph_from_place(source["place"], network_type=network_type, simplify=True, retain_all=True)
        elif "bbox" in source:
            w, s, e, n = (float(c) for c in source["bbox"])
            g = ox.graph_from_bbox((w, s, e, n), network_type=network_type, simplify=True, retain_all=True)
        elif "polygon" in source:
            g = ox.graph_from_polygon(shapely.from_wkt(source["polygon"]), network_type=network_type, simplify=True,
                                      retain_all=True)
        else:
            raise NetworkError("roads: online source needs place, bbox or polygon")
    except NetworkError:
        raise
    except Exception as exc:
        raise OnlineError(f"roads: could not download OSM data for {source} ({exc.__class__.__name__}: {exc})",
                          hint="this needs the internet; offline, point roads at a local .osm/.osm.pbf file or a line layer") from exc
    return from_osmnx_graph(g, mode=mode, crs=crs, params=params, largest_component=largest_component)


def network_for_study(study: StudyArea, *, mode: str = "drive", largest_component: bool = True) -> RoadNetwork:
    """Build the study area's network from whatever its ``roads`` entry names."""
    params = study.params.get("network", {})
    src = study.roads_source
    lc = largest_component
    if isinstance(src, (str, os.PathLike)):
        return from_osm_file(src, mode=mode, crs=study.crs, params=params, largest_component=lc)
    if isinstance(src, dict):
        return from_osmnx_download(src, mode=mode, crs=study.crs, params=params, largest_component=lc)
    if "roads" not in study.layers:
        from safegeo._errors import StudyFileError

        raise StudyFileError("the study area has no roads layer", hint='add roads = "roads.gpkg" (or an .osm.pbf) under [layers]')
    return from_lines(study.layers["roads"], mode=mode, crs=study.crs, params=params, largest_component=lc)
