"""Compiled graph kernels on CSR arrays: the k nearest facilities of every node, bridges and articulation points.

Two kernels that ``scipy.sparse.csgraph`` does not have, written with numba
(``@njit(cache=True)``) on the same CSR arrays (``indptr``, ``indices``,
``data``) that :func:`safegeo.network.build_csr` makes:

* :func:`k_nearest_sources` — a multi-source, multi-label Dijkstra: for every
  node, its *k* nearest distinct facilities within a cost limit, in **one**
  pass over the graph (the label-setting "k nearest facilities" algorithm:
  each node keeps at most *k* labels, one per facility, and a label is settled
  at most once).  Each label remembers the node and label slot it came from,
  so the path of any (node, facility) pair is walked back slot by slot
  (:meth:`KNearest.paths`): travel time, distance and route geometry of the
  pairs an assignment actually uses need no further Dijkstra.  An optional
  second per-edge quantity (``aux_edge_values``, e.g. travel time while
  routing by length) is summed along every label's path in the same pass.
* :func:`bridges_and_articulation_points` — bridges and cut vertices of an
  undirected multigraph given as edge arrays, by one iterative (no
  recursion) Tarjan depth-first search on CSR.  Parallel edges are handled
  by edge id (two roads joining the same junctions are never bridges); rows
  that are the two directions of one road are merged first (``road``).
  :func:`road_bridges` applies it to a :class:`~safegeo.network.RoadNetwork`
  with exactly the semantics of :func:`safegeo.routing.undirected_bridges`.

Why numba: no well-kept library has the k-nearest-facilities search
(``csgraph.dijkstra(min_only=True)`` keeps one label per node; without it,
one Dijkstra per facility is needed).  For bridges, igraph and rustworkx have
the algorithm but building their graph objects from arrays costs more than
the whole numba search (``benchmarks/bench_kernels.py``).  The compiled code
is cached on disk (``cache=True``): beside this file in ``__pycache__`` when
it is writable, else in the user cache directory (``~/.cache/numba``), or in
``NUMBA_CACHE_DIR`` when that is set (read-only installs, containers).  When
no cache location is writable at all the kernels still work, compiled on
first use in every process.

Examples
--------
>>> import numpy as np
>>> from safegeo.network import RoadNetwork
>>> from safegeo.kernels import k_nearest_sources
>>> net = RoadNetwork.from_arrays(np.array([0., 100, 200, 300]), np.zeros(4), np.array([0, 1, 2]),
...                               np.array([1, 2, 3]), crs="EPSG:32647")
>>> knn = k_nearest_sources(net.csr("length", reverse=True), np.array([0, 3]), k=2)
>>> knn.source[1].tolist(), knn.cost[1].tolist()
([0, 1], [100.0, 200.0])
>>> paths = knn.paths(np.array([1]), knn.slot_of(np.array([1]), np.array([1])))
>>> paths.nodes.tolist()
[1, 2, 3]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from safegeo._errors import NetworkError
from safegeo.network import CsrGraph, RoadNetwork
from safegeo.routing import Paths

log = logging.getLogger(__name__)

__all__ = [
    "KNearest",
    "OriginNearest",
    "bridges_and_articulation_points",
    "k_nearest_from_origins",
    "k_nearest_sources",
    "path_sums",
    "road_bridges",
]


def _jit(fn):
    """``numba.njit(cache=True)``, or without the on-disk cache when no cache location is writable."""
    import numba

    try:
        return numba.njit(cache=True, nogil=True)(fn)
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        log.warning("numba cannot cache %s (%s); it is compiled in every process. Set NUMBA_CACHE_DIR "
                    "to a writable directory to keep the compiled code.", fn.__name__, exc)
        return numba.njit(cache=False, nogil=True)(fn)


# ----------------------------------------------------------------------------------------------
# k nearest sources
# ----------------------------------------------------------------------------------------------


def _heap_push(heap, size, cost_bits, key):  # pragma: no cover - compiled
    """Push (cost, key) on a 4-ary min-heap of int64 pairs ordered lexicographically; grows when full.

    ``cost_bits`` is the float64 cost viewed as int64 (for costs >= 0 the order is the same);
    ``key = source << 32 | node``, so ties in cost go to the lower source index.  Four
    children of 16 bytes share one cache line.
    """
    if size == heap.shape[0]:
        h2 = np.empty((2 * size, 2), np.int64)
        for i in range(size):  # (a loop: slice assignment costs seconds of compile time)
            h2[i, 0] = heap[i, 0]
            h2[i, 1] = heap[i, 1]
        heap = h2
    j = size
    while j > 0:
        p = (j - 1) >> 2
        pc = heap[p, 0]
        if cost_bits < pc or (cost_bits == pc and key < heap[p, 1]):
            heap[j, 0] = pc
            heap[j, 1] = heap[p, 1]
            j = p
        else:
            break
    heap[j, 0] = cost_bits
    heap[j, 1] = key
    return heap


def _heap_pop(heap, size):  # pragma: no cover - compiled
    """Remove the top of the heap (the caller has read it); returns the new size."""
    size -= 1
    if size == 0:
        return size
    lc = heap[size, 0]
    lk = heap[size, 1]
    j = 0
    while True:
        c = 4 * j + 1
        if c >= size:
            break
        best = c
        bc = heap[c, 0]
        bk = heap[c, 1]
        for q in range(c + 1, min(c + 4, size)):
            qc = heap[q, 0]
            if qc < bc or (qc == bc and heap[q, 1] < bk):
                best = q
                bc = qc
                bk = heap[q, 1]
        if bc < lc or (bc == lc and bk < lk):
            heap[j, 0] = bc
            heap[j, 1] = bk
            j = best
        else:
            break
    heap[j, 0] = lc
    heap[j, 1] = lk
    return size


def _k_nearest_kernel(indptr, indices, data, aux_w, use_aux, src_nodes, k, limit):  # pragma: no cover - compiled
    n = indptr.shape[0] - 1
    lab_src = np.full((n, k), -1, np.int32)
    lab_cost = np.full((n, k), np.inf)
    lab_pred = np.full((n, k), -1, np.int32)
    lab_slot = np.full((n, k), -1, np.int16)
    lab_aux = np.full((n, k) if use_aux else (1, 1), np.inf)
    n_set = np.zeros(n, np.int32)  # slots [0, n_set) are settled, in (cost, source) order
    n_occ = np.zeros(n, np.int32)  # slots [n_set, n_occ) hold tentative labels
    worst_cost = np.full(n, np.inf)  # largest cost held by a node whose k slots are all used (else inf)
    cap = max(1024, 2 * src_nodes.shape[0] + n)
    heap = np.empty((cap + (-cap) % 4, 2), np.int64)
    costs_as_bits = np.empty(1)  # float64 <-> int64 views of one value
    bits = costs_as_bits.view(np.int64)
    size = 0
    n_push = 0
    n_settle = 0
    # every facility starts at its own node with cost 0 (more than k on one node: the k lowest indices)
    for i in range(src_nodes.shape[0]):
        s = np.int32(i)
        v = src_nodes[i]
        slot = n_occ[v]
        if slot == k:
            continue
        n_occ[v] = slot + 1
        lab_src[v, slot] = s
        lab_cost[v, slot] = 0.0
        if use_aux:
            lab_aux[v, slot] = 0.0
        heap = _heap_push(heap, size, np.int64(0), (np.int64(s) << 32) | v)
        size += 1
        n_push += 1
    while size > 0:
        bits[0] = heap[0, 0]
        d = costs_as_bits[0]
        s = np.int32(heap[0, 1] >> 32)
        v = np.int32(heap[0, 1] & 0xFFFFFFFF)
        size = _heap_pop(heap, size)
        lo = n_set[v]
        if lo == k:
            continue
        hit = -1
        for j in range(lo, n_occ[v]):
            if lab_src[v, j] == s:
                hit = j
                break
        if hit < 0 or lab_cost[v, hit] < d:
            continue  # evicted (cannot be among the k nearest), or a stale entry
        if hit != lo:  # move the label into the next settled slot
            lab_src[v, hit], lab_src[v, lo] = lab_src[v, lo], lab_src[v, hit]
            lab_cost[v, hit], lab_cost[v, lo] = lab_cost[v, lo], lab_cost[v, hit]
            lab_pred[v, hit], lab_pred[v, lo] = lab_pred[v, lo], lab_pred[v, hit]
            lab_slot[v, hit], lab_slot[v, lo] = lab_slot[v, lo], lab_slot[v, hit]
            if use_aux:
                lab_aux[v, hit], lab_aux[v, lo] = lab_aux[v, lo], lab_aux[v, hit]
        n_set[v] = lo + 1
        n_settle += 1
        base_aux = lab_aux[v, lo] if use_aux else 0.0
        came_from = lab_pred[v, lo]
        # relax: offer (w, s, d + weight) to every neighbour w
        for a in range(indptr[v], indptr[v + 1]):
            w = indices[a]
            nd = d + data[a]
            if nd > limit or nd > worst_cost[w] or w == came_from:
                continue  # too far, k nearer facilities already, or back where the facility came from
            lo_w = n_set[w]
            if lo_w == k:
                continue
            hi_w = n_occ[w]
            found = -1
            for j in range(hi_w):
                if lab_src[w, j] == s:
                    found = j
                    break
            if found >= 0:
                if found < lo_w or nd >= lab_cost[w, found]:
                    continue  # settled already, or no improvement
                slot = found
            elif hi_w < k:
                slot = hi_w
                n_occ[w] = hi_w + 1
            else:
                # full: k other facilities are tentatively nearer unless the new one beats the worst of them;
                # an evicted label has k better facilities, so it cannot be among the k nearest
                worst = lo_w
                for j in range(lo_w + 1, k):
                    if lab_cost[w, j] > lab_cost[w, worst] or (lab_cost[w, j] == lab_cost[w, worst]
                                                               and lab_src[w, j] > lab_src[w, worst]):
                        worst = j
                if nd > lab_cost[w, worst] or (nd == lab_cost[w, worst] and s > lab_src[w, worst]):
                    continue
                slot = worst
            lab_src[w, slot] = s
            lab_cost[w, slot] = nd
            lab_pred[w, slot] = v
            lab_slot[w, slot] = lo
            if use_aux:
                lab_aux[w, slot] = base_aux + aux_w[a]
            if n_occ[w] == k:
                wc = lab_cost[w, 0]
                for j in range(1, k):
                    if lab_cost[w, j] > wc:
                        wc = lab_cost[w, j]
                worst_cost[w] = wc
            costs_as_bits[0] = nd
            heap = _heap_push(heap, size, bits[0], (np.int64(s) << 32) | w)
            size += 1
            n_push += 1
    # tentative labels never settled (their node filled up first) are not results
    for v in range(n):
        for j in range(n_set[v], k):
            lab_src[v, j] = -1
            lab_cost[v, j] = np.inf
            lab_pred[v, j] = -1
            lab_slot[v, j] = -1
            if use_aux:
                lab_aux[v, j] = np.inf
    return lab_src, lab_cost, lab_pred, lab_slot, lab_aux, n_push, n_settle


_heap_push = _jit(_heap_push)
_heap_pop = _jit(_heap_pop)
_k_nearest_jit = _jit(_k_nearest_kernel)


@dataclass
class KNearest:
    """The *k* nearest facilities of every node, with the labels' predecessors for walking paths back.

    Arrays are ``(n_nodes, k)``; row *i* lists node *i*'s facilities nearest
    first (ties: lower facility index first); unused slots hold ``-1`` /
    ``inf``.  On a reversed graph (``network.csr(weight, reverse=True)``) the
    costs are those of travelling *from* the node *to* the facility.

    Attributes
    ----------
    source
        Facility index (position in :attr:`sources`), ``-1`` for an empty slot; int32.
    cost
        Cost from the node to that facility (``inf`` for an empty slot).
    pred
        The next node on the path to the facility (the node this label was
        reached from in the search), ``-1`` at the facility itself and in
        empty slots; int32.
    pred_slot
        The slot of that next node's label for the same facility (``-1`` where
        :attr:`pred` is); int16.
    aux
        Sum of ``aux_edge_values`` along each label's path (``None`` when not asked).
    sources
        Facility nodes searched from, as given.
    csr
        The graph searched (for turning steps into edge rows).
    n_pushed, n_settled
        Heap pushes and settled labels (work done; for benchmarks).
    """

    source: np.ndarray
    cost: np.ndarray
    pred: np.ndarray
    pred_slot: np.ndarray
    aux: np.ndarray | None
    sources: np.ndarray
    csr: CsrGraph
    n_pushed: int = 0
    n_settled: int = 0

    @property
    def k(self) -> int:
        """Labels kept per node."""
        return int(self.source.shape[1])

    def slot_of(self, nodes: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """Slot of facility ``sources[i]`` in node ``nodes[i]``'s labels, ``-1`` where it is not among them."""
        nodes = np.asarray(nodes, dtype=np.int64)
        sources = np.asarray(sources, dtype=np.int64)
        if nodes.shape != sources.shape:
            raise NetworkError(f"nodes and sources must have the same shape, got {nodes.shape} and {sources.shape}")
        if len(nodes) == 0:
            return np.zeros(0, np.int64)
        hit = self.source[nodes] == sources[:, None]
        return np.where(hit.any(axis=1), hit.argmax(axis=1), -1).astype(np.int64)

    def candidates(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every label of *nodes* as flat arrays (position in *nodes*, facility, cost, slot), nearest first.

        This is the sparse candidate list of a transportation problem
        (:func:`safegeo.evacuation.transport.solve_transport`): origin *i*
        may go to any of its *k* nearest facilities.
        """
        nodes = np.asarray(nodes, dtype=np.int64)
        src = self.source[nodes]
        pos, slot = np.nonzero(src >= 0)
        return pos.astype(np.int64), src[pos, slot].astype(np.int64), self.cost[nodes][pos, slot], slot.astype(np.int64)

    def paths(self, nodes: np.ndarray, slots: np.ndarray) -> Paths:
        """Node and edge sequence of the label ``(nodes[i], slots[i])``, walked back slot by slot.

        Path *i* runs from ``nodes[i]`` to its facility (travel order on a
        reversed graph); its edges are the network's edge rows (the cheapest of
        parallel edges, the one the search used).  A slot of ``-1`` gives an
        empty path; a node that is its facility gives a one-node path.

        Returns
        -------
        safegeo.routing.Paths
            Usable with :func:`path_sums`, :func:`safegeo.routing.path_edge_load`
            and :func:`safegeo.routing.route_geometries`.
        """
        nodes = np.asarray(nodes, dtype=np.int64)
        slots = np.asarray(slots, dtype=np.int64)
        if nodes.shape != slots.shape:
            raise NetworkError(f"nodes and slots must have the same shape, got {nodes.shape} and {slots.shape}")
        m = len(nodes)
        ok = slots >= 0
        if ok.any() and (slots[ok].max() >= self.k or (self.source[nodes[ok], slots[ok]] < 0).any()):
            raise NetworkError("a slot names an empty label", hint="get slots from KNearest.slot_of")
        path_chunks: list[np.ndarray] = []
        node_chunks: list[np.ndarray] = []
        epath_chunks: list[np.ndarray] = []
        edge_chunks: list[np.ndarray] = []
        active = np.flatnonzero(ok)
        cur, cslot = nodes[active], slots[active]
        while len(active):
            path_chunks.append(active)
            node_chunks.append(cur)
            nxt = self.pred[cur, cslot].astype(np.int64)
            nslot = self.pred_slot[cur, cslot].astype(np.int64)
            keep = nxt >= 0
            active, cur, nxt, cslot = active[keep], cur[keep], nxt[keep], nslot[keep]
            if len(active):
                epath_chunks.append(active)
                edge_chunks.append(self.csr.edge_between(nxt, cur))
            cur = nxt
        empty = np.zeros(0, np.int64)
        path_of = np.concatenate(path_chunks) if path_chunks else empty
        node_seq = np.concatenate(node_chunks) if node_chunks else empty
        epath_of = np.concatenate(epath_chunks) if epath_chunks else empty
        edge_seq = np.concatenate(edge_chunks) if edge_chunks else empty
        order = np.argsort(path_of, kind="stable")  # hop order is kept within each path
        eorder = np.argsort(epath_of, kind="stable")
        ptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(path_of, minlength=m), out=ptr[1:])
        eptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(epath_of, minlength=m), out=eptr[1:])
        return Paths(node_seq[order], ptr, edge_seq[eorder], eptr)


def k_nearest_sources(csr: CsrGraph, sources: np.ndarray, *, k: int, limit: float = np.inf,
                      aux_edge_values: np.ndarray | None = None) -> KNearest:
    """The *k* nearest distinct facilities of every node within *limit*, in one search.

    A multi-source, multi-label Dijkstra (label-setting): labels ``(node,
    facility, cost)`` leave a priority queue in ``(cost, facility index)``
    order; a node keeps the first *k* distinct facilities that reach it and
    passes each on to its neighbours, so every label is settled at most once
    and the work is about *k* single-source passes, whatever the number of
    facilities.  The result is exact: a facility among a node's *k* nearest is
    among the *k* nearest of every node on its shortest path, so it is never
    cut off on the way.

    Run it on the **reversed** graph (``network.csr(weight, reverse=True)``):
    the search then goes from the facilities *backwards* along the roads, and
    each cost is that of travelling from the node *to* the facility, with
    one-way streets respected.

    Parameters
    ----------
    csr
        The graph (a :class:`~safegeo.network.CsrGraph`; wrap a plain matrix as
        ``CsrGraph(matrix, np.arange(matrix.nnz))``).  Weights must be >= 0.
    sources
        Facility node per facility.  Several facilities may share a node (each
        is its own facility; at most *k* of them are kept per node, the lowest
        indices).
    k
        Facilities kept per node (>= 1).
    limit
        Largest cost kept (inclusive); farther facilities are left out.
    aux_edge_values
        Optional second quantity per network edge row (e.g. ``time_s`` while
        routing by ``length``), summed along every label's path into
        :attr:`KNearest.aux`.

    Returns
    -------
    KNearest

    Raises
    ------
    NetworkError
        When *k* < 1, *sources* is empty or names a node outside the graph,
        a weight is negative or NaN, or *aux_edge_values* has the wrong length.

    Notes
    -----
    Ties: labels are ordered by ``(cost, facility index)``, so among
    facilities at exactly equal cost the lower index is kept; with floating
    point costs "equal" means equal sums along the paths found.  The path of
    a label is the one the search found first (for equal-cost paths, it may
    differ from scipy's).  Memory: four ``(n_nodes, k)`` arrays, 18 bytes per
    node and slot (a fifth with *aux_edge_values*: 26 bytes); 360 MB for one
    million nodes and k = 20.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from safegeo.network import CsrGraph
    >>> m = sp.csr_array((np.array([1.0, 1.0, 5.0]), (np.array([0, 1, 0]), np.array([1, 2, 2]))), shape=(3, 3))
    >>> knn = k_nearest_sources(CsrGraph(m, np.arange(m.nnz)), np.array([0, 1]), k=2)
    >>> knn.source[2].tolist(), knn.cost[2].tolist()
    ([1, 0], [1.0, 2.0])
    """
    if not isinstance(csr, CsrGraph):
        raise NetworkError(f"k_nearest_sources needs a CsrGraph, got {type(csr).__name__}",
                           hint="use network.csr(weight, reverse=True), or CsrGraph(matrix, np.arange(matrix.nnz))")
    k = int(k)
    if k < 1 or k > np.iinfo(np.int16).max:
        raise NetworkError(f"k must be between 1 and {np.iinfo(np.int16).max}, got {k}")
    m = csr.matrix
    n = int(m.shape[0])
    if n >= np.iinfo(np.int32).max:
        raise NetworkError(f"graph too large for the k-nearest kernel ({n:,} nodes)")
    sources = np.asarray(sources).ravel()
    if len(sources) == 0:
        raise NetworkError("no facility nodes given", hint="pass at least one facility node")
    if not np.issubdtype(sources.dtype, np.integer):
        raise NetworkError(f"facility nodes must be integers, got dtype {sources.dtype}")
    if sources.min() < 0 or sources.max() >= n:
        bad = np.flatnonzero((sources < 0) | (sources >= n))
        raise NetworkError(f"{len(bad)} facility nodes are outside the graph (0..{n - 1}), e.g. position {bad[0]}")
    data = np.asarray(m.data, dtype=np.float64) + 0.0  # (-0.0 becomes 0.0: costs are compared as int64 bits)
    if len(data) and not (data.min() >= 0):  # also catches NaN
        raise NetworkError("edge weights must be >= 0 and not NaN for the k-nearest search")
    limit = float(limit)
    if not limit >= 0:
        raise NetworkError(f"limit must be >= 0, got {limit}")
    if aux_edge_values is not None:
        aux_e = np.asarray(aux_edge_values, dtype=np.float64)
        if aux_e.ndim != 1 or (len(csr.edge_of) and csr.edge_of.max() >= len(aux_e)):
            raise NetworkError(f"aux_edge_values has {aux_e.size} values; one per network edge row is needed")
        aux_w = aux_e[csr.edge_of]
    else:
        aux_w = np.zeros(1)
    src, cost, pred, pslot, aux, n_push, n_settle = _k_nearest_jit(
        np.asarray(m.indptr, dtype=np.int64), np.asarray(m.indices, dtype=np.int32), data, aux_w,
        aux_edge_values is not None, sources.astype(np.int32), k, limit)
    return KNearest(src, cost, pred, pslot, aux if aux_edge_values is not None else None, sources, csr,
                    int(n_push), int(n_settle))


def path_sums(paths: Paths, edge_values: np.ndarray) -> np.ndarray:
    """Sum of a per-edge quantity (``time_s``, ``length_m``, ...) along each path."""
    vals = np.asarray(edge_values, dtype=np.float64)
    return np.bincount(paths.edge_path_index(), weights=vals[paths.edges], minlength=len(paths))


# ----------------------------------------------------------------------------------------------
# bridges and articulation points
# ----------------------------------------------------------------------------------------------


def _bridges_kernel(n, a, b):  # pragma: no cover - compiled
    # undirected CSR by counting sort: edge e is stored at both ends, with its id
    m = a.shape[0]
    indptr = np.zeros(n + 1, np.int64)
    for e in range(m):
        indptr[a[e] + 1] += 1
        indptr[b[e] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = np.empty(n, np.int64)
    for i in range(n):
        fill[i] = indptr[i]
    adj = np.empty(2 * m, np.int64)
    eid = np.empty(2 * m, np.int64)
    for e in range(m):
        adj[fill[a[e]]] = b[e]
        eid[fill[a[e]]] = e
        fill[a[e]] += 1
        adj[fill[b[e]]] = a[e]
        eid[fill[b[e]]] = e
        fill[b[e]] += 1
    n_edges = m
    disc = np.full(n, -1, np.int64)
    low = np.zeros(n, np.int64)
    parent_edge = np.full(n, -1, np.int64)
    nxt = np.empty(n, np.int64)
    for i in range(n):
        nxt[i] = indptr[i]
    stack = np.empty(n, np.int64)
    is_bridge = np.zeros(n_edges, np.bool_)
    is_cut = np.zeros(n, np.bool_)
    t = 0
    for r in range(n):
        if disc[r] >= 0 or indptr[r] == indptr[r + 1]:
            continue
        disc[r] = t
        low[r] = t
        t += 1
        top = 0
        stack[0] = r
        root_children = 0
        while top >= 0:
            x = stack[top]
            if nxt[x] < indptr[x + 1]:
                a = nxt[x]
                nxt[x] = a + 1
                e = eid[a]
                if e == parent_edge[x]:
                    continue  # the tree edge itself; a parallel edge (another id) is a back edge
                y = adj[a]
                if disc[y] < 0:
                    disc[y] = t
                    low[y] = t
                    t += 1
                    parent_edge[y] = e
                    top += 1
                    stack[top] = y
                elif disc[y] < low[x]:
                    low[x] = disc[y]
            else:
                top -= 1
                if top >= 0:
                    p = stack[top]
                    if low[x] < low[p]:
                        low[p] = low[x]
                    if low[x] > disc[p]:
                        is_bridge[parent_edge[x]] = True
                    if p == r:
                        root_children += 1
                    elif low[x] >= disc[p]:
                        is_cut[p] = True
        if root_children > 1:
            is_cut[r] = True
    return is_bridge, is_cut


_bridges_jit = _jit(_bridges_kernel)


def bridges_and_articulation_points(n_nodes: int, u: np.ndarray, v: np.ndarray, *,
                                    road: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bridges and articulation points of an undirected multigraph given as edge rows ``u[i] – v[i]``.

    Parameters
    ----------
    n_nodes
        Number of nodes (nodes are ``0 .. n_nodes - 1``).
    u, v
        End nodes of each edge row.  Self-loops are ignored.
    road
        Optional road identifier per row: rows joining the same two nodes
        (either way round) with the same identifier are **one** undirected
        edge, e.g. the two directed rows of a two-way road.  Without it every
        row is its own edge, so two rows joining the same nodes are never
        bridges.

    Returns
    -------
    bridges, articulation_points
        Sorted edge rows of the bridges (the lowest row of each bridging
        edge), and sorted node indices whose removal splits their component.

    Raises
    ------
    NetworkError
        When the arrays differ in length or name a node outside ``0 .. n_nodes - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> br, cut = bridges_and_articulation_points(4, np.array([0, 1, 2, 2]), np.array([1, 2, 0, 3]))
    >>> br.tolist(), cut.tolist()
    ([3], [2])
    """
    n = int(n_nodes)
    u = np.asarray(u, dtype=np.int64).ravel()
    v = np.asarray(v, dtype=np.int64).ravel()
    if u.shape != v.shape or (road is not None and np.shape(road) != u.shape):
        raise NetworkError(f"u, v (and road) must have the same length, got {u.shape}, {v.shape}"
                           + ("" if road is None else f", {np.shape(road)}"))
    if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        raise NetworkError(f"edge end nodes must be in 0..{n - 1}")
    rows = np.flatnonzero(u != v)
    a = np.minimum(u[rows], v[rows])
    b = np.maximum(u[rows], v[rows])
    if road is not None:
        # one undirected edge per (pair, road): the lowest row of each group stands for it
        r = np.asarray(road).ravel()[rows]
        r = r.astype(np.int64) if np.issubdtype(r.dtype, np.integer) else np.unique(r, return_inverse=True)[1].ravel()
        if len(r):
            r = r - r.min()
        span = int(r.max()) + 1 if len(r) else 1
        pair = a * np.int64(n) + b
        if float(n) * n * span < 2.0**62:
            # a stable sort keeps the lowest row of each group first
            rep = np.unique(pair * span + r, return_index=True)[1]
        else:
            order = np.lexsort((r, pair))
            ps, rs = pair[order], r[order]
            first = np.ones(len(order), bool)
            first[1:] = (ps[1:] != ps[:-1]) | (rs[1:] != rs[:-1])
            rep = order[first]
        rows, a, b = rows[rep], a[rep], b[rep]
    is_bridge, is_cut = _bridges_jit(n, a, b)
    return np.sort(rows[is_bridge]), np.flatnonzero(is_cut)


def road_bridges(network: RoadNetwork, open_edges: np.ndarray | None = None) -> np.ndarray:
    """Edge rows of the road segments whose removal disconnects the (undirected) network.

    The same answer as :func:`safegeo.routing.undirected_bridges` (rows with
    the same two junctions and the same length to 0.1 m are one road; one
    edge row, the lowest, per bridge), from the compiled kernel.

    Parameters
    ----------
    network
        The road network.
    open_edges
        Boolean mask of usable edges (closed roads are left out first).
    """
    keep = np.ones(network.n_edges, bool) if open_edges is None else np.asarray(open_edges, bool)
    if keep.shape != (network.n_edges,):
        raise NetworkError(f"open_edges has shape {keep.shape}; expected ({network.n_edges},)")
    rows = np.flatnonzero(keep)
    road = np.round(network.length_m[rows] * 10).astype(np.int64)
    br, _ = bridges_and_articulation_points(network.n_nodes, network.u[rows], network.v[rows], road=road)
    # a bridge's junction pair carries this one road only, so its lowest row is the pair's lowest row
    return rows[br]


# ----------------------------------------------------------------------------------------------
# k nearest facilities of a few origins: one small search per origin
# ----------------------------------------------------------------------------------------------


def _origin_knn_kernel(indptr, indices, data, aux_w, use_aux, fac_ptr, fac_ids, origins, k, limit,
                       want_paths, targets):  # pragma: no cover - compiled
    """Per origin: a Dijkstra on the *forward* graph that stops once its k nearest facilities are settled.

    Facilities sit on nodes (``fac_ptr``/``fac_ids``: a CSR of node -> facility ids).  The search from an
    origin settles nodes in cost order and collects the facilities on them; it stops when k are
    collected and the next node is farther than the k-th (so ties at the k-th cost are all seen and
    the lower facility index wins), or at *limit*.  The working arrays are reset through the list of
    nodes touched, so each search costs what it explores, not the size of the graph.

    With *want_paths*, the search of origin i stops at node ``targets[i]`` instead and returns the
    CSR entries of its path (for walking the route of an assigned trip).
    """
    n = indptr.shape[0] - 1
    n_o = origins.shape[0]
    out_fac = np.full((n_o, k), -1, np.int32)
    out_cost = np.full((n_o, k), np.inf)
    out_aux = np.full((n_o, k), np.inf)
    path_ptr = np.zeros(n_o + 1, np.int64)
    path_ent = np.empty(1024, np.int64)
    n_ent = 0
    dist = np.full(n, np.inf)
    auxd = np.zeros(n)
    pred_ent = np.full(n, -1, np.int64)
    done = np.zeros(n, np.bool_)
    touched = np.empty(max(1024, n // 16), np.int64)
    heap = np.empty((1024, 2), np.int64)
    cand_f = np.empty(64, np.int64)
    cand_c = np.empty(64, np.float64)
    cand_a = np.empty(64, np.float64)
    for i in range(n_o):
        o = origins[i]
        n_t = 0
        size = 0
        n_c = 0
        kth = np.inf
        stop_at = targets[i] if want_paths else -1
        dist[o] = 0.0
        auxd[o] = 0.0
        touched[n_t] = o
        n_t += 1
        heap = _heap_push(heap, size, np.float64(0.0).view(np.int64), np.int64(o))
        size += 1
        while size > 0:
            cb = heap[0, 0]
            x = heap[0, 1]
            size = _heap_pop(heap, size)
            d = np.int64(cb).view(np.float64)
            if done[x] or d > dist[x]:
                continue
            if not want_paths and n_c >= k and d > kth:
                break
            done[x] = True
            if want_paths and x == stop_at:
                break
            if not want_paths:
                for q in range(fac_ptr[x], fac_ptr[x + 1]):
                    if n_c == cand_f.shape[0]:
                        nf = np.empty(2 * n_c, np.int64)
                        nc = np.empty(2 * n_c, np.float64)
                        na = np.empty(2 * n_c, np.float64)
                        for z in range(n_c):
                            nf[z] = cand_f[z]
                            nc[z] = cand_c[z]
                            na[z] = cand_a[z]
                        cand_f, cand_c, cand_a = nf, nc, na
                    cand_f[n_c] = fac_ids[q]
                    cand_c[n_c] = d
                    cand_a[n_c] = auxd[x]
                    n_c += 1
                    if n_c == k:
                        kth = d
            for e in range(indptr[x], indptr[x + 1]):
                y = indices[e]
                nd = d + data[e]
                if nd > limit or done[y]:
                    continue
                if nd < dist[y]:
                    if dist[y] == np.inf:
                        if n_t == touched.shape[0]:
                            t2 = np.empty(2 * n_t, np.int64)
                            for z in range(n_t):
                                t2[z] = touched[z]
                            touched = t2
                        touched[n_t] = y
                        n_t += 1
                    dist[y] = nd
                    pred_ent[y] = e
                    if use_aux:
                        auxd[y] = auxd[x] + aux_w[e]
                    heap = _heap_push(heap, size, np.float64(nd).view(np.int64), np.int64(y))
                    size += 1
        if want_paths:
            t = stop_at
            if done[t]:
                start = n_ent
                while t != o:
                    e = pred_ent[t]
                    if n_ent == path_ent.shape[0]:
                        p2 = np.empty(2 * n_ent, np.int64)
                        for z in range(n_ent):
                            p2[z] = path_ent[z]
                        path_ent = p2
                    path_ent[n_ent] = e
                    n_ent += 1
                    # the tail of entry e: the node whose row holds e
                    lo = 0
                    hi = n
                    while hi - lo > 1:
                        mid = (lo + hi) >> 1
                        if indptr[mid] <= e:
                            lo = mid
                        else:
                            hi = mid
                    t = lo
                # entries were collected target -> origin: put them in travel order
                a = start
                b = n_ent - 1
                while a < b:
                    tmp = path_ent[a]
                    path_ent[a] = path_ent[b]
                    path_ent[b] = tmp
                    a += 1
                    b -= 1
            path_ptr[i + 1] = n_ent
        else:
            # the k nearest, by (cost, facility index)
            order = np.argsort(cand_f[:n_c], kind="mergesort")
            order = order[np.argsort(cand_c[:n_c][order], kind="mergesort")]
            for z in range(min(n_c, k)):
                j = order[z]
                out_fac[i, z] = cand_f[j]
                out_cost[i, z] = cand_c[j]
                out_aux[i, z] = cand_a[j]
        for z in range(n_t):
            y = touched[z]
            dist[y] = np.inf
            done[y] = False
            pred_ent[y] = -1
            auxd[y] = 0.0
    return out_fac, out_cost, out_aux, path_ptr, path_ent[:n_ent]


_origin_knn = _jit(_origin_knn_kernel)


@dataclass
class OriginNearest:
    """The *k* nearest facilities of some origins (:func:`k_nearest_from_origins`).

    Arrays are ``(n_origins, k)``, nearest first (ties: lower facility index);
    empty slots hold ``-1`` / ``inf``.
    """

    source: np.ndarray
    cost: np.ndarray
    aux: np.ndarray | None
    origins: np.ndarray
    sources: np.ndarray
    csr: CsrGraph

    def candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Flat (origin position, facility, cost, slot) of every found facility, nearest first."""
        pos, slot = np.nonzero(self.source >= 0)
        return pos.astype(np.int64), self.source[pos, slot].astype(np.int64), self.cost[pos, slot], \
            slot.astype(np.int64)

    def paths(self, positions: np.ndarray, facilities: np.ndarray, *, limit: np.ndarray | float = np.inf) -> Paths:
        """Node and edge sequence from ``origins[positions[i]]`` to facility ``facilities[i]`` (one search each)."""
        positions = np.asarray(positions, dtype=np.int64)
        targets = np.asarray(self.sources, dtype=np.int64)[np.asarray(facilities, dtype=np.int64)]
        m = self.csr.matrix
        n = int(m.shape[0])
        empty = np.zeros(n + 1, np.int64)
        _, _, _, ptr, ent = _origin_knn(
            np.asarray(m.indptr, np.int64), np.asarray(m.indices, np.int32), np.asarray(m.data, np.float64) + 0.0,
            np.zeros(1), False, empty, np.zeros(0, np.int64), self.origins[positions].astype(np.int64), 1,
            float(np.max(limit)) if np.size(limit) else np.inf, True, targets)
        edges = self.csr.edge_of[ent]
        counts = np.diff(ptr)
        # node sequence: the origin, then the head of each entry
        heads = np.asarray(m.indices, np.int64)[ent]
        nodes = np.concatenate([[o, *heads[a:b]] for o, a, b in zip(self.origins[positions], ptr[:-1], ptr[1:],
                                                                    strict=True)]) if len(positions) else \
            np.zeros(0, np.int64)
        node_ptr = np.zeros(len(positions) + 1, np.int64)
        np.cumsum(counts + 1, out=node_ptr[1:])
        return Paths(nodes.astype(np.int64), node_ptr, edges.astype(np.int64), ptr.astype(np.int64))


def k_nearest_from_origins(csr: CsrGraph, origins: np.ndarray, sources: np.ndarray, *, k: int,
                           limit: float = np.inf, aux_edge_values: np.ndarray | None = None) -> OriginNearest:
    """The *k* nearest facilities of each origin, by one small search per origin on the **forward** graph.

    Each search stops as soon as its *k* nearest facilities are settled (ties
    at the k-th cost included, lower facility index first), so the work is what
    the origins explore around them, not *k* passes over the whole graph:
    with a few thousand villages on a province of a million nodes it is much
    faster than :func:`k_nearest_sources`, and gives the same facilities and
    costs (a test checks both against brute force).

    Parameters
    ----------
    csr
        The **forward** graph (``network.csr(weight)``): costs run from the origin to the facility.
    origins
        Origin nodes.
    sources
        Facility node per facility.
    k, limit, aux_edge_values
        As for :func:`k_nearest_sources`.
    """
    if not isinstance(csr, CsrGraph):
        raise NetworkError(f"k_nearest_from_origins needs a CsrGraph, got {type(csr).__name__}")
    k = int(k)
    if k < 1:
        raise NetworkError(f"k must be >= 1, got {k}")
    m = csr.matrix
    n = int(m.shape[0])
    sources = np.asarray(sources, dtype=np.int64).ravel()
    origins = np.asarray(origins, dtype=np.int64).ravel()
    if len(sources) == 0:
        raise NetworkError("no facility nodes given", hint="pass at least one facility node")
    for name, arr in (("facility", sources), ("origin", origins)):
        if len(arr) and (arr.min() < 0 or arr.max() >= n):
            raise NetworkError(f"{name} nodes must be in 0..{n - 1}")
    data = np.asarray(m.data, dtype=np.float64) + 0.0
    if len(data) and not (data.min() >= 0):
        raise NetworkError("edge weights must be >= 0 and not NaN for the k-nearest search")
    order = np.argsort(sources, kind="stable")
    fac_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(sources, minlength=n), out=fac_ptr[1:])
    fac_ids = order.astype(np.int64)  # facilities grouped by node, lower index first
    if aux_edge_values is not None:
        aux_w = np.asarray(aux_edge_values, dtype=np.float64)[csr.edge_of]
    else:
        aux_w = np.zeros(1)
    fac, cost, aux, _, _ = _origin_knn(
        np.asarray(m.indptr, np.int64), np.asarray(m.indices, np.int32), data, aux_w, aux_edge_values is not None,
        fac_ptr, fac_ids, origins, k, float(limit), False, np.zeros(len(origins), np.int64))
    return OriginNearest(fac, cost, aux if aux_edge_values is not None else None, origins, sources, csr)
