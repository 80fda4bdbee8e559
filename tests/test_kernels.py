"""Compiled graph kernels: k nearest facilities (against brute-force Dijkstra), paths, bridges (against networkx)."""

from __future__ import annotations

import doctest

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

import safegeo.kernels
from safegeo._errors import NetworkError
from safegeo.generate import synthetic_road_graph
from safegeo.kernels import bridges_and_articulation_points, k_nearest_sources, path_sums, road_bridges
from safegeo.network import CsrGraph, RoadNetwork, build_csr
from safegeo.routing import undirected_bridges


def test_docstring_examples_run():
    assert doctest.testmod(safegeo.kernels, raise_on_error=False).failed == 0


# -- k nearest sources ---------------------------------------------------------------------------

def _five_node():
    """Roads (two-way unless noted) and their costs:

        0 -1- 1 -2- 2 -1- 3 -4- 4,   1 -5- 3,   and one-way 4 -> 0 costing 1.

    Facilities at nodes 0 (facility 0) and 4 (facility 1).
    """
    two = [(0, 1, 1), (1, 2, 2), (2, 3, 1), (3, 4, 4), (1, 3, 5)]
    u = [a for a, b, _ in two] + [b for a, b, _ in two] + [4]
    v = [b for a, b, _ in two] + [a for a, b, _ in two] + [0]
    w = [c for *_, c in two] * 2 + [1]
    return np.array(u), np.array(v), np.array(w, float)


def test_five_node_graph_by_hand():
    u, v, w = _five_node()
    csr = build_csr(5, u, v, w, reverse=True)
    knn = k_nearest_sources(csr, np.array([0, 4]), k=2)
    # node: [(facility, cost), ...] from node to facility, nearest first
    expected = {0: [(0, 0), (1, 8)],   # 0->1->2->3->4 (the one-way 4->0 cannot be driven backwards)
                1: [(0, 1), (1, 7)],
                2: [(0, 3), (1, 5)],
                3: [(0, 4), (1, 4)],   # a tie: both at 4, the lower facility index first
                4: [(1, 0), (0, 1)]}   # 4->0 on the one-way road
    for node, labels in expected.items():
        assert knn.source[node].tolist() == [f for f, _ in labels]
        assert knn.cost[node].tolist() == [c for _, c in labels]
    # paths are walked back slot by slot, node first, facility last, edges in travel order
    nodes = np.array([0, 2, 4, 3])
    fac = np.array([1, 1, 0, 0])
    paths = knn.paths(nodes, knn.slot_of(nodes, fac))
    got = [paths.nodes[paths.node_ptr[i]:paths.node_ptr[i + 1]].tolist() for i in range(4)]
    assert got == [[0, 1, 2, 3, 4], [2, 3, 4], [4, 0], [3, 2, 1, 0]]
    np.testing.assert_array_equal(path_sums(paths, w), [8, 5, 1, 4])
    for i in range(4):
        e = paths.edges[paths.edge_ptr[i]:paths.edge_ptr[i + 1]]
        assert u[e].tolist() == got[i][:-1] and v[e].tolist() == got[i][1:]
    # k = 1 keeps the tie's lower index; limit is inclusive
    assert k_nearest_sources(csr, np.array([0, 4]), k=1).source[3].tolist() == [0]
    lim = k_nearest_sources(csr, np.array([0, 4]), k=2, limit=4)
    assert lim.source[0].tolist() == [0, -1] and lim.cost[0, 1] == np.inf
    assert lim.cost[3].tolist() == [4, 4]
    # two facilities on one node are two facilities; a third beyond k is dropped
    same = k_nearest_sources(csr, np.array([0, 0, 4]), k=2)
    assert same.source[1].tolist() == [0, 1] and same.cost[1].tolist() == [1, 1]
    # a facility at the node itself: one-node path, no edge
    p = same.paths(np.array([0]), np.array([0]))
    assert p.nodes.tolist() == [0] and len(p.edges) == 0
    # an empty slot gives an empty path
    p = lim.paths(np.array([0]), np.array([-1]))
    assert len(p.nodes) == 0 and p.node_ptr.tolist() == [0, 0]


def _random_graph(rng, n, m, *, integer=False):
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    # some parallel edges and two-way pairs
    dup = rng.random(m) < 0.2
    u, v = np.r_[u, u[dup], v[dup]], np.r_[v, v[dup], u[dup]]
    w = rng.integers(1, 4, len(u)).astype(float) if integer else rng.random(len(u)) * 10
    keep = u != v
    return u[keep], v[keep], w[keep]


def _brute_force(csr, sources, k, limit=np.inf):
    """k lowest (cost, facility index) per node from one scipy Dijkstra per facility."""
    d = np.atleast_2d(dijkstra(csr.matrix, directed=True, indices=sources, limit=limit))  # (facilities, nodes)
    idx = np.broadcast_to(np.arange(len(sources))[:, None], d.shape)
    order = np.lexsort((idx, d), axis=0)[:k].T
    cost = np.take_along_axis(d.T, order, axis=1)
    src = np.where(np.isfinite(cost), order, -1)
    if k > len(sources):
        pad = k - len(sources)
        cost = np.pad(cost, ((0, 0), (0, pad)), constant_values=np.inf)
        src = np.pad(src, ((0, 0), (0, pad)), constant_values=-1)
    return src, cost


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 3, 8])
def test_k_nearest_matches_brute_force(seed, k):
    rng = np.random.default_rng(seed)
    n = 150
    u, v, w = _random_graph(rng, n, 400)
    csr = build_csr(n, u, v, w, reverse=True)
    sources = rng.choice(n, 12, replace=False)
    for limit in (np.inf, 6.0):
        knn = k_nearest_sources(csr, sources, k=k, limit=limit)
        src, cost = _brute_force(csr, sources, k, limit)
        np.testing.assert_array_equal(knn.source, src)
        np.testing.assert_allclose(knn.cost, cost, rtol=1e-12)
        assert (knn.cost[np.isfinite(knn.cost)] <= limit).all()


@pytest.mark.parametrize("seed", range(3))
def test_k_nearest_ties_go_to_the_lower_index(seed):
    # small whole-number weights: many exact ties, compared exactly
    rng = np.random.default_rng(100 + seed)
    n = 120
    u, v, w = _random_graph(rng, n, 300, integer=True)
    csr = build_csr(n, u, v, w, reverse=True)
    sources = rng.choice(n, 25, replace=False)
    knn = k_nearest_sources(csr, sources, k=4)
    src, cost = _brute_force(csr, sources, 4)
    assert (cost[:, 1:] == cost[:, :-1]).any()  # ties do occur
    np.testing.assert_array_equal(knn.cost, cost)
    np.testing.assert_array_equal(knn.source, src)


@pytest.mark.parametrize("integer", [False, True])
def test_paths_of_every_label_reproduce_the_costs(integer):
    rng = np.random.default_rng(7)
    n = 200
    u, v, w = _random_graph(rng, n, 600, integer=integer)
    aux = rng.random(len(u))
    csr = build_csr(n, u, v, w, reverse=True)
    sources = rng.choice(n, 15, replace=False)
    knn = k_nearest_sources(csr, sources, k=5, aux_edge_values=aux)
    nodes, slots = np.nonzero(knn.source >= 0)
    paths = knn.paths(nodes, slots)
    total = path_sums(paths, w)
    if integer:
        np.testing.assert_array_equal(total, knn.cost[nodes, slots])
    else:
        np.testing.assert_allclose(total, knn.cost[nodes, slots], rtol=1e-12)
    np.testing.assert_allclose(path_sums(paths, aux), knn.aux[nodes, slots], rtol=1e-12)
    d = dijkstra(csr.matrix, directed=True, indices=sources)
    np.testing.assert_allclose(total, d[knn.source[nodes, slots], nodes], rtol=1e-12)
    # every path is a chain of real edges from the node to its facility
    for i in rng.choice(len(nodes), 50, replace=False):
        pn = paths.nodes[paths.node_ptr[i]:paths.node_ptr[i + 1]]
        pe = paths.edges[paths.edge_ptr[i]:paths.edge_ptr[i + 1]]
        assert pn[0] == nodes[i] and pn[-1] == sources[knn.source[nodes[i], slots[i]]]
        np.testing.assert_array_equal(u[pe], pn[:-1])
        np.testing.assert_array_equal(v[pe], pn[1:])
    # candidates: every label of the asked nodes, nearest first
    pos, fac, cost, slot = knn.candidates(np.array([3, 9]))
    assert len(pos) == (knn.source[[3, 9]] >= 0).sum()
    np.testing.assert_array_equal(fac, knn.source[np.array([3, 9])[pos], slot])
    np.testing.assert_array_equal(cost, knn.cost[np.array([3, 9])[pos], slot])


def test_k_nearest_on_a_road_network_agrees_with_nearest_sources():
    from safegeo.routing import nearest_sources

    g = synthetic_road_graph(2000, seed=1)
    net = RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs=g.crs, highway=g.highway, oneway=g.oneway)
    csr = net.csr("time", reverse=True)
    sources = np.random.default_rng(1).choice(net.n_nodes, 20, replace=False)
    knn = k_nearest_sources(csr, sources, k=3, aux_edge_values=net.length_m)
    tree = nearest_sources(csr, sources)
    np.testing.assert_allclose(knn.cost[:, 0], tree.cost, rtol=1e-12)
    src, cost = _brute_force(csr, sources, 3)
    np.testing.assert_allclose(knn.cost, cost, rtol=1e-12)
    np.testing.assert_array_equal(knn.source, src)


def test_k_nearest_rejects_bad_input():
    m = sp.csr_array((np.array([1.0, -1.0]), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2))
    good = build_csr(2, np.array([0, 1]), np.array([1, 0]), np.array([1.0, 1.0]))
    with pytest.raises(NetworkError, match="k must be"):
        k_nearest_sources(good, np.array([0]), k=0)
    with pytest.raises(NetworkError, match="no facility"):
        k_nearest_sources(good, np.array([], dtype=int), k=1)
    with pytest.raises(NetworkError, match="outside the graph"):
        k_nearest_sources(good, np.array([0, 5]), k=1)
    with pytest.raises(NetworkError, match=">= 0"):
        k_nearest_sources(CsrGraph(m, np.arange(2)), np.array([0]), k=1)
    with pytest.raises(NetworkError, match="CsrGraph"):
        k_nearest_sources(m, np.array([0]), k=1)
    with pytest.raises(NetworkError, match="one per network edge"):
        k_nearest_sources(good, np.array([0]), k=1, aux_edge_values=np.ones(1))
    knn = k_nearest_sources(good, np.array([0]), k=2)
    with pytest.raises(NetworkError, match="empty label"):
        knn.paths(np.array([0]), np.array([1]))


def test_jit_falls_back_when_no_cache_location_is_writable(monkeypatch):
    import numba

    real = numba.njit

    def njit(*args, cache=False, **kwargs):
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x.py'")
        return real(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", njit)

    def add_one(x):
        return x + 1

    assert safegeo.kernels._jit(add_one)(1) == 2


# -- bridges and articulation points -------------------------------------------------------------

def _nx_answer(n, u, v, road):
    """Bridges (as node pairs) and articulation points from networkx, one edge per (pair, road)."""
    pairs = {}
    for a, b, r in zip(u.tolist(), v.tolist(), road.tolist()):
        if a != b:
            pairs.setdefault((min(a, b), max(a, b)), set()).add(r)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(pairs)
    bridges = {tuple(sorted(e)) for e in nx.bridges(g) if len(pairs[tuple(sorted(e))]) == 1}
    return bridges, set(nx.articulation_points(g))


def test_bridges_by_hand():
    # triangle 0-1-2 with a tail 2-3; 3-4 joined by two different roads; 4-5 one road digitised both ways
    u = np.array([0, 1, 2, 2, 3, 3, 4, 5])
    v = np.array([1, 2, 0, 3, 4, 4, 5, 4])
    road = np.array([0, 1, 2, 3, 4, 5, 6, 6])
    br, cut = bridges_and_articulation_points(6, u, v, road=road)
    assert br.tolist() == [3, 6]  # 2-3 and 4-5 (its lowest row)
    assert cut.tolist() == [2, 3, 4]
    # any road labels do: far-apart integers (a second grouping path) or strings
    for other in (road * 2**58, np.array(list("abcdefgg")), road + 0.5):
        assert bridges_and_articulation_points(6, u, v, road=other)[0].tolist() == [3, 6]
    # without road ids, every row is its own road: 4-5 has two, so it is no bridge
    br, _ = bridges_and_articulation_points(6, u, v)
    assert br.tolist() == [3]


@pytest.mark.parametrize("seed", range(6))
def test_bridges_match_networkx_on_random_multigraphs(seed):
    rng = np.random.default_rng(seed)
    for _ in range(30):
        n = int(rng.integers(2, 60))
        m = int(rng.integers(1, 90))
        u = rng.integers(0, n, m)
        v = rng.integers(0, n, m)
        road = np.arange(m)
        # the other direction of some roads (same road id), and some parallel roads (new ids)
        back = rng.random(m) < 0.3
        par = rng.random(m) < 0.08
        u, v = np.r_[u, v[back], u[par]], np.r_[v, u[back], v[par]]
        road = np.r_[road, road[back], m + np.arange(par.sum())]
        br, cut = bridges_and_articulation_points(n, u, v, road=road)
        want_br, want_cut = _nx_answer(n, u, v, road)
        assert {(min(int(u[e]), int(v[e])), max(int(u[e]), int(v[e]))) for e in br} == want_br
        assert set(cut.tolist()) == want_cut
        # one row per bridge, the lowest row of its road
        for e in br:
            same = np.flatnonzero((np.minimum(u, v) == min(u[e], v[e])) & (np.maximum(u, v) == max(u[e], v[e])))
            assert e == same.min()


def test_road_bridges_match_routing_undirected_bridges():
    g = synthetic_road_graph(3000, seed=2)
    net = RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs=g.crs, highway=g.highway, oneway=g.oneway)
    want = undirected_bridges(net)
    assert len(want) > 10
    np.testing.assert_array_equal(road_bridges(net), want)
    rng = np.random.default_rng(2)
    open_ = rng.random(net.n_edges) > 0.1
    np.testing.assert_array_equal(road_bridges(net, open_), undirected_bridges(net, open_))
    with pytest.raises(NetworkError, match="open_edges"):
        road_bridges(net, np.ones(3, bool))


def test_bridges_reject_bad_input():
    with pytest.raises(NetworkError, match="same length"):
        bridges_and_articulation_points(3, np.array([0, 1]), np.array([1]))
    with pytest.raises(NetworkError, match="0..2"):
        bridges_and_articulation_points(3, np.array([0]), np.array([3]))
    br, cut = bridges_and_articulation_points(3, np.zeros(0, int), np.zeros(0, int))
    assert len(br) == 0 and len(cut) == 0


def test_k_nearest_from_origins_matches_the_one_pass_search_and_walks_paths():
    from safegeo.kernels import k_nearest_from_origins


    g = synthetic_road_graph(4000, seed=9)
    net = RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs=g.crs, highway=g.highway, oneway=g.oneway)
    rng = np.random.default_rng(3)
    sources = rng.choice(net.n_nodes, 60, replace=True)  # facilities may share a node
    origins = rng.choice(net.n_nodes, 200, replace=False)
    for k, limit in ((1, np.inf), (5, 300.0), (20, np.inf)):
        one = k_nearest_sources(net.csr("time", reverse=True), sources, k=k, limit=limit, aux_edge_values=net.length_m)
        per = k_nearest_from_origins(net.csr("time"), origins, sources, k=k, limit=limit, aux_edge_values=net.length_m)
        np.testing.assert_array_equal(per.source, one.source[origins])
        np.testing.assert_allclose(per.cost, one.cost[origins])
        np.testing.assert_allclose(per.aux, one.aux[origins])
    pos, fac, cost, _ = per.candidates()
    paths = per.paths(pos, fac)
    np.testing.assert_allclose(path_sums(paths, net.time_s), cost, rtol=1e-12)
    starts = paths.nodes[paths.node_ptr[:-1]]
    ends = paths.nodes[paths.node_ptr[1:] - 1]
    np.testing.assert_array_equal(starts, origins[pos])
    np.testing.assert_array_equal(ends, sources[fac])
