"""Compiled searches of road planning: the bounded label update, point-to-point and closed-road searches, link scan.

All work on CSR arrays (``indptr``, ``indices``, ``data``; ``edge_of`` the
edge row behind each entry) as :func:`safegeo.network.build_csr` makes them,
with the 4-ary heap of :mod:`safegeo.kernels`.  Working arrays are reset
through the list of nodes a search touched, so a search costs what it
explores, never the size of the graph.
"""

from __future__ import annotations

import numpy as np

from safegeo.kernels import _heap_pop, _heap_push, _jit


def _grow(arr, n):  # pragma: no cover - compiled
    """*arr* with room for one more element at position *n* (doubled when full)."""
    if n < arr.shape[0]:
        return arr
    out = np.empty(2 * arr.shape[0], arr.dtype)
    for i in range(n):
        out[i] = arr[i]
    return out


def _lower(y, nd, x, edge, lab, pred_node, pred_edge, mark, touched, n_t, heap, size):  # pragma: no cover
    """Node *y* takes label *nd* (reached from *x* over edge row *edge*) when that is lower: it is recorded
    as touched (once) and pushed.  Returns the (possibly grown) heap, its size, touched and its count."""
    if nd < lab[y]:
        if not mark[y]:
            mark[y] = True
            touched = _grow(touched, n_t)
            touched[n_t] = y
            n_t += 1
        lab[y] = nd
        pred_node[y] = x
        pred_edge[y] = edge
        heap = _heap_push(heap, size, np.float64(nd).view(np.int64), np.int64(y))
        size += 1
    return heap, size, touched, n_t


def _update_kernel(indptr, indices, data, entry_edge, blocked,
                   t_indptr, t_indices, t_data, t_entry_edge, t_blocked,
                   lab, base, pred_node, pred_edge, mark,
                   invalid, ex_tail, ex_head, ex_w, ex_edge, has_extra):  # pragma: no cover - compiled
    """Labels after a change of a few arcs, by a Dijkstra limited by the current labels.

    *lab* holds the labels of the graph before the change (a copy of *base*)
    and is restored before returning.  *invalid* nodes (whose label may have
    grown: their path used an arc that became dearer) start at infinity and are
    seeded from their neighbours outside through the transposed graph; the
    extra arcs (new arcs, or arcs that became cheaper, in search direction)
    seed their heads.  Then only nodes whose label strictly falls are pushed.

    Returns
    -------
    nodes, labels, pred, pred_edge
        Every node whose label was recomputed, its new label, the node it is
        reached from and the edge row of that step (``-1`` where unreached).
    """
    n_t = 0
    touched = np.empty(256, np.int64)
    heap = np.empty((256, 2), np.int64)
    size = 0
    for i in range(invalid.shape[0]):
        v = invalid[i]
        if not mark[v]:
            mark[v] = True
            touched = _grow(touched, n_t)
            touched[n_t] = v
            n_t += 1
        lab[v] = np.inf
        pred_node[v] = -1
        pred_edge[v] = -1
    for i in range(invalid.shape[0]):
        v = invalid[i]
        best = lab[v]
        bn = -1
        be = -1
        for k in range(t_indptr[v], t_indptr[v + 1]):
            if t_blocked[k]:
                continue
            c = lab[t_indices[k]] + t_data[k]
            if c < best:
                best = c
                bn = t_indices[k]
                be = t_entry_edge[k]
        if best < lab[v]:
            lab[v] = best
            pred_node[v] = bn
            pred_edge[v] = be
            heap = _heap_push(heap, size, np.float64(best).view(np.int64), np.int64(v))
            size += 1
    for i in range(ex_tail.shape[0]):
        a = ex_tail[i]
        heap, size, touched, n_t = _lower(ex_head[i], lab[a] + ex_w[i], a, ex_edge[i], lab, pred_node, pred_edge,
                                          mark, touched, n_t, heap, size)
    while size > 0:
        d = np.int64(heap[0, 0]).view(np.float64)
        x = heap[0, 1]
        size = _heap_pop(heap, size)
        if d > lab[x]:
            continue
        for k in range(indptr[x], indptr[x + 1]):
            if blocked[k]:
                continue
            heap, size, touched, n_t = _lower(indices[k], d + data[k], x, entry_edge[k], lab, pred_node,
                                              pred_edge, mark, touched, n_t, heap, size)
        if has_extra[x]:
            for i in range(ex_tail.shape[0]):
                if ex_tail[i] == x:
                    heap, size, touched, n_t = _lower(ex_head[i], d + ex_w[i], x, ex_edge[i], lab, pred_node,
                                                      pred_edge, mark, touched, n_t, heap, size)
    nodes = touched[:n_t].copy()
    labels = np.empty(n_t)
    pn = np.empty(n_t, np.int64)
    pe = np.empty(n_t, np.int64)
    for i in range(n_t):
        v = nodes[i]
        labels[i] = lab[v]
        pn[i] = pred_node[v]
        pe[i] = pred_edge[v]
        lab[v] = base[v]
        mark[v] = False
        pred_node[v] = -1
        pred_edge[v] = -1
    return nodes, labels, pn, pe


def _pair_distance_kernel(indptr, indices, data, x, y, src, dst, limit):  # pragma: no cover - compiled
    """Shortest distance from ``src[i]`` to ``dst[i]`` (``inf`` when farther than ``limit[i]``), by A*.

    *data* are road lengths (m) and *x*, *y* the node coordinates (m): the
    straight-line distance to the target (scaled by 0.999 against rounding of
    lengths) never exceeds the road distance, so A* settles the target at its
    exact distance; paths whose length so far plus that distance pass the
    limit are never extended.  A pair close by road explores a thin ellipse
    around its straight line, a pair far by road at most the limit's ellipse.
    """
    n = indptr.shape[0] - 1
    m = src.shape[0]
    out = np.full(m, np.inf)
    dist = np.full(n, np.inf)
    done = np.zeros(n, np.bool_)
    touched = np.empty(1024, np.int64)
    heap = np.empty((1024, 2), np.int64)
    for i in range(m):
        o = src[i]
        t = dst[i]
        lim = limit[i]
        tx = x[t]
        ty = y[t]
        n_t = 0
        size = 0
        dist[o] = 0.0
        touched[n_t] = o
        n_t += 1
        h0 = 0.999 * np.sqrt((x[o] - tx) ** 2 + (y[o] - ty) ** 2)
        if h0 <= lim:
            heap = _heap_push(heap, size, np.float64(h0).view(np.int64), np.int64(o))
            size += 1
        while size > 0:
            v = heap[0, 1]
            size = _heap_pop(heap, size)
            if done[v]:
                continue
            done[v] = True
            d = dist[v]
            if v == t:
                out[i] = d
                break
            for k in range(indptr[v], indptr[v + 1]):
                w = indices[k]
                nd = d + data[k]
                if done[w] or nd >= dist[w]:
                    continue
                f = nd + 0.999 * np.sqrt((x[w] - tx) ** 2 + (y[w] - ty) ** 2)
                if f > lim:
                    continue
                if dist[w] == np.inf:
                    touched = _grow(touched, n_t)
                    touched[n_t] = w
                    n_t += 1
                dist[w] = nd
                heap = _heap_push(heap, size, np.float64(f).view(np.int64), np.int64(w))
                size += 1
        for z in range(n_t):
            dist[touched[z]] = np.inf
            done[touched[z]] = False
    return out


def _best_stretch_kernel(indptr, indices, data, length, entry_edge, sources, weight, start_cost, label, target_ok,
                         limit_m):  # pragma: no cover - compiled
    """Per source node: the stretch of road (search graph: closed roads at free-flow time) that saves most.

    From ``sources[i]`` the search settles nodes within ``limit_m`` metres; a
    node *b* with ``target_ok[b]`` scores ``weight[i] * (start_cost[i] - (t(a, b) + label[b]))``.
    Returns the best score, its node and the edge rows of its path (CSR ``ptr``/``edges``).
    """
    n = indptr.shape[0] - 1
    m = sources.shape[0]
    best_score = np.zeros(m)
    best_node = np.full(m, -1, np.int64)
    ptr = np.zeros(m + 1, np.int64)
    edges = np.empty(1024, np.int64)
    n_e = 0
    dist = np.full(n, np.inf)
    dlen = np.zeros(n)
    pred_n = np.full(n, -1, np.int64)
    pred_e = np.full(n, -1, np.int64)
    done = np.zeros(n, np.bool_)
    touched = np.empty(1024, np.int64)
    heap = np.empty((1024, 2), np.int64)
    for i in range(m):
        o = sources[i]
        n_t = 0
        size = 0
        dist[o] = 0.0
        dlen[o] = 0.0
        touched[n_t] = o
        n_t += 1
        heap = _heap_push(heap, size, np.float64(0.0).view(np.int64), np.int64(o))
        size += 1
        bs = 0.0
        bn = -1
        while size > 0:
            d = np.int64(heap[0, 0]).view(np.float64)
            x = heap[0, 1]
            size = _heap_pop(heap, size)
            if done[x] or d > dist[x]:
                continue
            done[x] = True
            if x != o and target_ok[x]:
                s = weight[i] * (start_cost[i] - (d + label[x]))
                if s > bs:
                    bs = s
                    bn = x
            for k in range(indptr[x], indptr[x + 1]):
                y = indices[k]
                nd = d + data[k]
                nl = dlen[x] + length[k]
                if nl > limit_m or done[y] or nd >= dist[y]:
                    continue
                if dist[y] == np.inf:
                    touched = _grow(touched, n_t)
                    touched[n_t] = y
                    n_t += 1
                dist[y] = nd
                dlen[y] = nl
                pred_n[y] = x
                pred_e[y] = entry_edge[k]
                heap = _heap_push(heap, size, np.float64(nd).view(np.int64), np.int64(y))
                size += 1
        best_score[i] = bs
        best_node[i] = bn
        if bn >= 0:
            x = bn
            while x != o:
                edges = _grow(edges, n_e)
                edges[n_e] = pred_e[x]
                n_e += 1
                x = pred_n[x]
        ptr[i + 1] = n_e
        for z in range(n_t):
            y = touched[z]
            dist[y] = np.inf
            dlen[y] = 0.0
            pred_n[y] = -1
            pred_e[y] = -1
            done[y] = False
    return best_score, best_node, ptr, edges[:n_e].copy()


def _link_scan_kernel(x, y, sources, weight, start_cost, label, target_ok, cell_key, cell_order, cell_start,
                      cell_stop, keys_sorted, ncy, radius_m, speed_mps, top_k):  # pragma: no cover - compiled
    """Per source node: the *top_k* nodes within *radius_m* whose straight link saves most.

    Nodes sit in square cells of side *radius_m* (``cell_key = cx * ncy + cy``,
    sorted in ``keys_sorted`` with the nodes of each in
    ``cell_order[cell_start[j]:cell_stop[j]]``).  A link a -> b of length *s*
    scores ``weight * (start_cost - (s / speed + label[b]))``.
    """
    m = sources.shape[0]
    out_node = np.full((m, top_k), -1, np.int64)
    out_score = np.zeros((m, top_k))
    r2 = radius_m * radius_m
    for i in range(m):
        a = sources[i]
        ka = cell_key[a]
        cx = ka // ncy
        cy = ka % ncy
        for dx in range(-1, 2):
            for dy in range(-1, 2):
                if cy + dy < 0 or cy + dy >= ncy:
                    continue
                key = (cx + dx) * ncy + (cy + dy)
                j = np.searchsorted(keys_sorted, key)
                if j >= keys_sorted.shape[0] or keys_sorted[j] != key:
                    continue
                for q in range(cell_start[j], cell_stop[j]):
                    b = cell_order[q]
                    if b == a or not target_ok[b]:
                        continue
                    ddx = x[b] - x[a]
                    ddy = y[b] - y[a]
                    s2 = ddx * ddx + ddy * ddy
                    if s2 > r2:
                        continue
                    sc = weight[i] * (start_cost[i] - (np.sqrt(s2) / speed_mps + label[b]))
                    if sc <= out_score[i, top_k - 1]:
                        continue
                    # insert, keeping the row sorted by score (descending)
                    p = top_k - 1
                    while p > 0 and out_score[i, p - 1] < sc:
                        out_score[i, p] = out_score[i, p - 1]
                        out_node[i, p] = out_node[i, p - 1]
                        p -= 1
                    out_score[i, p] = sc
                    out_node[i, p] = b
    return out_node, out_score


_grow = _jit(_grow)
_lower = _jit(_lower)
update_labels = _jit(_update_kernel)
pair_distances = _jit(_pair_distance_kernel)
best_stretches = _jit(_best_stretch_kernel)
scan_links = _jit(_link_scan_kernel)
