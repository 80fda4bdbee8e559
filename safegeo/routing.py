"""The shared shortest-path kernel: nearest facility for every node in one pass, paths, loads.

Everything here works on a :class:`~safegeo.network.RoadNetwork` and its CSR
form, with no Python loop per origin:

* :func:`nearest_sources` — one multi-source Dijkstra on the *reversed*
  graph (``scipy.sparse.csgraph.dijkstra(indices=sources, min_only=True,
  return_predecessors=True)``) gives, for every node, the cost to its nearest
  facility, which facility, and a predecessor tree whose parent of a node is
  the *next* node on the way to that facility.
* :func:`tree_path_sums` — any per-edge quantity (length, time) summed along
  each node's tree path, by pointer jumping (``O(n log depth)``).
* :func:`tree_paths` / :func:`route_geometries` — the node and edge sequence of
  many origins' paths, and their merged LineStrings, built one *hop* at a time
  for all origins together.
* :func:`tree_edge_load` — people per edge when every node sends its weight
  along its tree path (subtree sums, one vectorised step per tree level).
* :func:`undirected_bridges` — road segments whose loss splits the network.

Examples
--------
>>> import numpy as np
>>> from safegeo.network import RoadNetwork
>>> from safegeo.routing import nearest_sources
>>> net = RoadNetwork.from_arrays(np.array([0., 100, 200]), np.array([0., 0, 0]),
...                               np.array([0, 1]), np.array([1, 2]), crs="EPSG:32647")
>>> tree = nearest_sources(net.csr("length", reverse=True), np.array([2]))
>>> tree.cost.tolist(), tree.source.tolist()
([200.0, 100.0, 0.0], [0, 0, 0])
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from safegeo.network import CsrGraph, RoadNetwork

log = logging.getLogger(__name__)

__all__ = [
    "NearestTree",
    "Paths",
    "nearest_sources",
    "path_edge_load",
    "paths_from_predecessors",
    "route_geometries",
    "tree_depth",
    "tree_edge_load",
    "tree_next_edge",
    "tree_path_sums",
    "tree_paths",
    "undirected_bridges",
]

_NO_PRED = -9999  # scipy's "no predecessor" value


@dataclass
class NearestTree:
    """Result of a multi-source search towards facilities.

    Attributes
    ----------
    cost
        Per node: cost (in the weight's unit) from the node to its nearest
        facility; ``inf`` where no facility can be reached.
    source
        Per node: position in the *sources* array of the nearest facility, or
        ``-1`` where none is reachable.
    pred
        Per node: the next node on the way to that facility (``-1`` at a
        facility node and where unreachable).
    sources
        The facility nodes searched from, as given.
    csr
        The (reversed) graph searched, for turning tree steps into edges.
    """

    cost: np.ndarray
    source: np.ndarray
    pred: np.ndarray
    sources: np.ndarray
    csr: CsrGraph

    @property
    def reached(self) -> np.ndarray:
        """Boolean mask of nodes that reach a facility."""
        return self.source >= 0

    def next_edge(self) -> np.ndarray:
        """Per node, the edge row it leaves by towards its facility (``-1`` at roots / unreachable)."""
        return tree_next_edge(self.csr, self.pred)


def nearest_sources(csr: CsrGraph, sources: np.ndarray, *, limit: float = np.inf) -> NearestTree:
    """Nearest facility for every node, in one multi-source Dijkstra pass.

    Parameters
    ----------
    csr
        The *reversed* graph (``network.csr(weight, reverse=True)``), so the
        cost found is that of travelling from each node *to* a facility.
    sources
        Facility node index per facility (several facilities may share a
        node: the first one listed wins).
    limit
        Stop searching beyond this cost; nodes farther away are unreachable.

    Returns
    -------
    NearestTree

    Raises
    ------
    ValueError
        If *sources* is empty or names a node outside the graph.
    """
    sources = np.asarray(sources, dtype=np.int64).ravel()
    n = csr.matrix.shape[0]
    if len(sources) == 0:
        raise ValueError("no source nodes given")
    if sources.min() < 0 or sources.max() >= n:
        raise ValueError(f"source nodes must be in 0..{n - 1}")
    uniq, first = np.unique(sources, return_index=True)
    dist, pred, src_node = dijkstra(csr.matrix, directed=True, indices=uniq, min_only=True,
                                    return_predecessors=True, limit=limit)
    node_to_pos = np.full(n, -1, dtype=np.int64)
    node_to_pos[uniq] = first
    source = np.where(src_node >= 0, node_to_pos[np.maximum(src_node, 0)], -1)
    pred = np.where(pred >= 0, pred, -1)
    return NearestTree(dist, source, pred, sources, csr)


def tree_path_sums(pred: np.ndarray, step_value: np.ndarray) -> np.ndarray:
    """Sum *step_value* along every node's path to its tree root, by pointer jumping.

    Parameters
    ----------
    pred
        Parent per node (``-1`` at roots and unreachable nodes).
    step_value
        Value of the step from each node to its parent (ignored at roots).

    Returns
    -------
    numpy.ndarray
        Per node, the sum over its path (0 at roots).
    """
    p = np.asarray(pred, dtype=np.int64).copy()
    s = np.where(p >= 0, np.asarray(step_value, dtype=np.float64), 0.0)
    idx = np.flatnonzero(p >= 0)
    while len(idx):
        pi = p[idx]
        s[idx] += s[pi]
        p[idx] = p[pi]
        idx = idx[p[idx] >= 0]
    return s


def tree_depth(pred: np.ndarray) -> np.ndarray:
    """Number of hops from every node to its tree root."""
    return tree_path_sums(pred, np.ones(len(pred))).astype(np.int64)


def tree_next_edge(csr: CsrGraph, pred: np.ndarray, nodes: np.ndarray | None = None) -> np.ndarray:
    """Edge row used by each node to step to its parent (``-1`` where it has none).

    On a reversed CSR graph the parent *p* of node *i* was reached through the
    entry ``p → i``, which is the road edge ``i → p``.  With a forward graph
    (a tree grown *from* an origin) the edge is ``p → i``.
    """
    pred = np.asarray(pred, dtype=np.int64)
    nodes = np.arange(len(pred)) if nodes is None else np.asarray(nodes, dtype=np.int64)
    p = pred[nodes]
    out = np.full(len(nodes), -1, dtype=np.int64)
    has = p >= 0
    if has.any():
        out[has] = csr.edge_between(p[has], nodes[has])
    return out


@dataclass
class Paths:
    """Many paths stored flat: path *k* is ``nodes[node_ptr[k]:node_ptr[k+1]]``.

    ``edges[edge_ptr[k]:edge_ptr[k+1]]`` are its edge rows in travel order
    (one fewer than its nodes).
    """

    nodes: np.ndarray
    node_ptr: np.ndarray
    edges: np.ndarray
    edge_ptr: np.ndarray

    def __len__(self) -> int:
        return len(self.node_ptr) - 1

    @property
    def n_edges(self) -> np.ndarray:
        return np.diff(self.edge_ptr)

    def edge_path_index(self) -> np.ndarray:
        """For every entry of :attr:`edges`, the path it belongs to."""
        return np.repeat(np.arange(len(self)), self.n_edges)


def paths_from_predecessors(pred: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node sequences from each origin up its predecessor tree, all origins walked together.

    Returns
    -------
    nodes, node_ptr
        Flat node array and offsets (path *k* is ``nodes[node_ptr[k]:node_ptr[k+1]]``,
        origin first, root last).  An origin with no parent gives a one-node path.
    """
    pred = np.asarray(pred, dtype=np.int64)
    origins = np.asarray(origins, dtype=np.int64)
    m = len(origins)
    chunks_path: list[np.ndarray] = []
    chunks_node: list[np.ndarray] = []
    active = np.arange(m)
    cur = origins.copy()
    while len(active):
        chunks_path.append(active)
        chunks_node.append(cur)
        nxt = pred[cur]
        keep = nxt >= 0
        active, cur = active[keep], nxt[keep]
    path_of = np.concatenate(chunks_path) if chunks_path else np.zeros(0, np.int64)
    node_seq = np.concatenate(chunks_node) if chunks_node else np.zeros(0, np.int64)
    order = np.argsort(path_of, kind="stable")  # hop order is kept within each path
    counts = np.bincount(path_of, minlength=m)
    ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return node_seq[order], ptr


def tree_paths(tree: NearestTree, origins: np.ndarray, *, next_edge: np.ndarray | None = None) -> Paths:
    """Paths from *origins* to their nearest facility, from a :class:`NearestTree`.

    Parameters
    ----------
    tree
        Result of :func:`nearest_sources` (reversed graph).
    origins
        Origin node indices; unreachable origins give empty paths.
    next_edge
        Precomputed :meth:`NearestTree.next_edge` (saves a lookup when called often).
    """
    origins = np.asarray(origins, dtype=np.int64)
    reached = tree.source[origins] >= 0
    nodes, ptr = paths_from_predecessors(tree.pred, origins)
    # unreachable origins: drop their single node
    counts = np.diff(ptr)
    counts = np.where(reached, counts, 0)
    keep = np.repeat(reached, np.diff(ptr))
    nodes = nodes[keep]
    ptr = np.zeros(len(origins) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return _attach_edges(tree.csr, tree.pred, nodes, ptr, next_edge)


def _attach_edges(csr: CsrGraph, pred: np.ndarray, nodes: np.ndarray, ptr: np.ndarray,
                  next_edge: np.ndarray | None) -> Paths:
    counts = np.diff(ptr)
    last = np.zeros(len(nodes), dtype=bool)
    nz = counts > 0
    last[ptr[1:][nz] - 1] = True
    step_nodes = nodes[~last]
    if next_edge is not None:
        edges = next_edge[step_nodes]
    else:
        edges = tree_next_edge(csr, pred, step_nodes)
    ecounts = np.maximum(counts - 1, 0)
    eptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(ecounts, out=eptr[1:])
    return Paths(nodes, ptr, edges, eptr)


def single_source_paths(csr: CsrGraph, source: int, origins: np.ndarray, *,
                        limit: float = np.inf) -> tuple[np.ndarray, Paths]:
    """Cost and path from each origin to one facility (one Dijkstra on the reversed graph).

    Returns
    -------
    cost, paths
        ``cost[k]`` is ``inf`` (and path *k* empty) when origin *k* cannot reach it.
    """
    dist, pred = dijkstra(csr.matrix, directed=True, indices=int(source), return_predecessors=True, limit=limit)
    pred = np.where(pred >= 0, pred, -1)
    origins = np.asarray(origins, dtype=np.int64)
    cost = dist[origins]
    reached = np.isfinite(cost)
    nodes, ptr = paths_from_predecessors(pred, origins)
    counts = np.where(reached, np.diff(ptr), 0)
    nodes = nodes[np.repeat(reached, np.diff(ptr))]
    ptr = np.zeros(len(origins) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return cost, _attach_edges(csr, pred, nodes, ptr, None)


def route_geometries(network: RoadNetwork, paths: Paths) -> np.ndarray:
    """One LineString per path, merging its edges' geometries in travel order.

    Paths with no edge (origin at the facility, or unreachable) give ``None``.
    """
    m = len(paths)
    out = np.full(m, None, dtype=object)
    ne = paths.n_edges
    has = ne > 0
    if not has.any():
        return out
    if network.geometry is None:
        # straight edges: the node sequence is the line
        nodes_count = np.diff(paths.node_ptr)
        take = np.repeat(has, nodes_count)
        nodes = paths.nodes[take]
        idx = np.repeat(np.flatnonzero(has), nodes_count[has])
        coords = np.column_stack([network.x[nodes], network.y[nodes]])
        lines = shapely.linestrings(coords, indices=np.searchsorted(np.flatnonzero(has), idx))
        out[has] = lines
        return out
    geoms = network.edge_geometries(paths.edges)
    coords, gidx = shapely.get_coordinates(geoms, return_index=True)
    path_of_edge = paths.edge_path_index()
    # drop the first vertex of every edge that is not the first of its path (it repeats the previous end)
    first_vertex = np.ones(len(gidx), dtype=bool)
    first_vertex[1:] = gidx[1:] != gidx[:-1]
    first_edge_of_path = np.zeros(len(geoms), dtype=bool)
    first_edge_of_path[paths.edge_ptr[:-1][has]] = True
    drop = first_vertex & ~first_edge_of_path[gidx]
    coords = coords[~drop]
    pidx = path_of_edge[gidx[~drop]]
    used = np.flatnonzero(has)
    lines = shapely.linestrings(coords, indices=np.searchsorted(used, pidx))
    out[used] = lines
    return out


def tree_edge_load(tree_pred: np.ndarray, next_edge: np.ndarray, weight: np.ndarray, n_edges: int) -> np.ndarray:
    """People per edge when every node sends *weight* along its tree path.

    Subtree sums, one vectorised step per tree level (deepest first), so the
    cost is ``O(n + depth)`` numpy operations rather than one walk per origin.

    Parameters
    ----------
    tree_pred
        Parent per node (``-1`` at roots / unreachable).
    next_edge
        Edge row from each node to its parent (``-1`` where none).
    weight
        People starting at each node.
    n_edges
        Number of edges in the network (length of the result).
    """
    pred = np.asarray(tree_pred, dtype=np.int64)
    acc = np.asarray(weight, dtype=np.float64).copy()
    # only the ancestors of weighted nodes matter
    nodes = np.flatnonzero((acc > 0) & (pred >= 0))
    if len(nodes) == 0:
        return np.zeros(n_edges)
    involved = np.zeros(len(pred), dtype=bool)
    frontier = nodes
    while len(frontier):
        frontier = frontier[~involved[frontier]]
        involved[frontier] = True
        frontier = pred[frontier]
        frontier = frontier[frontier >= 0]
    inv = np.flatnonzero(involved & (pred >= 0))
    depth = tree_depth(pred)[inv]
    order = np.argsort(-depth, kind="stable")
    inv, depth = inv[order], depth[order]
    bounds = np.flatnonzero(np.diff(depth)) + 1
    for level in np.split(inv, bounds):
        np.add.at(acc, pred[level], acc[level])
    return np.bincount(next_edge[inv], weights=acc[inv], minlength=n_edges)


def path_edge_load(paths: Paths, weight: np.ndarray, n_edges: int) -> np.ndarray:
    """People per edge from explicit paths, path *k* carrying ``weight[k]``."""
    w = np.repeat(np.asarray(weight, dtype=np.float64), paths.n_edges)
    return np.bincount(paths.edges, weights=w, minlength=n_edges)


def undirected_bridges(network: RoadNetwork, open_edges: np.ndarray | None = None) -> np.ndarray:
    """Edge rows of the road segments whose removal disconnects the (undirected) network.

    Both directions of a two-way road are one segment; two different roads
    joining the same pair of junctions are never bridges.  One directed edge
    row is returned per bridge.

    Parameters
    ----------
    network
        The road network.
    open_edges
        Boolean mask of usable edges (closed roads are left out first).
    """
    import networkx as nx

    keep = np.ones(network.n_edges, bool) if open_edges is None else np.asarray(open_edges, bool)
    rows = np.flatnonzero(keep & (network.u != network.v))
    a = np.minimum(network.u[rows], network.v[rows])
    b = np.maximum(network.u[rows], network.v[rows])
    n = np.int64(network.n_nodes)
    pair = a * n + b
    # distinct physical roads per junction pair (both directions of a road share its length)
    road = np.unique(np.column_stack([pair, np.round(network.length_m[rows] * 10).astype(np.int64)]), axis=0)
    upair, n_roads = np.unique(road[:, 0], return_counts=True)
    single = upair[n_roads == 1]
    g = nx.Graph()
    g.add_edges_from(zip((upair // n).tolist(), (upair % n).tolist()))
    br = np.array([min(x, y) * int(n) + max(x, y) for x, y in nx.bridges(g)], dtype=np.int64)
    br = br[np.isin(br, single)]
    if len(br) == 0:
        return np.zeros(0, dtype=np.int64)
    # first directed edge row of each bridge pair
    order = np.argsort(pair, kind="stable")
    pos = np.searchsorted(pair[order], br)
    return np.sort(rows[order[pos]])


def two_edge_components(network: RoadNetwork, open_edges: np.ndarray, bridges: np.ndarray) -> np.ndarray:
    """Component label per node after removing *bridges* and closed edges (undirected)."""
    keep = np.asarray(open_edges, bool).copy()
    if len(bridges):
        a = np.minimum(network.u[bridges], network.v[bridges])
        b = np.maximum(network.u[bridges], network.v[bridges])
        n = np.int64(network.n_nodes)
        bpair = a * n + b
        epair = np.minimum(network.u, network.v) * n + np.maximum(network.u, network.v)
        keep &= ~np.isin(epair, bpair)
    m = sp.csr_array((np.ones(int(keep.sum())), (network.u[keep], network.v[keep])),
                     shape=(network.n_nodes, network.n_nodes))
    _, labels = connected_components(m, directed=False)
    return labels


def forest_subtree_sums(n: int, a: np.ndarray, b: np.ndarray, weights: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Root every tree of a forest (edges *a*–*b* on *n* vertices) and sum *weights* per subtree.

    Parameters
    ----------
    weights
        ``(n, k)`` array of per-vertex quantities.

    Returns
    -------
    parent, subtree, tree_label, tree_total
        Parent per vertex (``-1`` at roots), ``(n, k)`` subtree sums, the tree
        each vertex is in, and ``(n_trees, k)`` totals per tree.
    """
    from scipy.sparse.csgraph import breadth_first_order

    weights = np.asarray(weights, dtype=np.float64).reshape(n, -1)
    # a virtual root joined to one vertex of every tree makes one BFS enough
    m = sp.csr_array((np.ones(len(a)), (a, b)), shape=(n, n))
    n_trees, tree_label = connected_components(m, directed=False)
    roots = np.unique(tree_label, return_index=True)[1]
    va = np.concatenate([a, np.full(len(roots), n)])
    vb = np.concatenate([b, roots])
    g = sp.csr_array((np.ones(len(va)), (va, vb)), shape=(n + 1, n + 1))
    _, parent = breadth_first_order(g, n, directed=False, return_predecessors=True)
    parent = parent[:n].astype(np.int64)
    parent = np.where((parent >= 0) & (parent < n), parent, -1)
    depth = tree_depth(parent)
    sub = weights.copy()
    kids = np.flatnonzero(parent >= 0)
    d = depth[kids]
    srt = np.argsort(-d, kind="stable")
    kids, d = kids[srt], d[srt]
    for level in np.split(kids, np.flatnonzero(np.diff(d)) + 1):
        np.add.at(sub, parent[level], sub[level])
    totals = np.zeros((n_trees, weights.shape[1]))
    np.add.at(totals, tree_label, weights)
    return parent, sub, tree_label, totals
