"""The shortest-path kernel: nearest facility, predecessor trees, paths, loads, bridges."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from conftest import UTM47, X0, Y0, grid_roads

from safegeo.network import RoadNetwork, from_lines, from_osm_file
from safegeo.routing import (
    forest_subtree_sums,
    nearest_sources,
    path_edge_load,
    paths_from_predecessors,
    route_geometries,
    single_source_paths,
    tree_depth,
    tree_edge_load,
    tree_path_sums,
    tree_paths,
    undirected_bridges,
)


def _line_net(n=5, spacing=100.0, oneway=None):
    """Nodes 0..n-1 on a line, 100 m apart, two-way unless *oneway* lists segments."""
    x = X0 + spacing * np.arange(n, dtype=float)
    y = np.full(n, Y0)
    u = np.arange(n - 1)
    v = u + 1
    ow = np.zeros(n - 1, bool) if oneway is None else np.asarray(oneway, bool)
    return RoadNetwork.from_arrays(x, y, u, v, crs=UTM47, oneway=ow, largest_component=False)


def test_nearest_source_on_a_line_is_obvious():
    net = _line_net(5)
    tree = nearest_sources(net.csr("length", reverse=True), np.array([0, 4]))
    assert tree.cost.tolist() == [0, 100, 200, 100, 0]
    assert tree.source[[0, 1, 3, 4]].tolist() == [0, 0, 1, 1]
    # the parent is the next node towards the facility
    assert tree.pred[1] == 0 and tree.pred[3] == 4 and tree.pred[0] == -1
    paths = tree_paths(tree, np.array([1, 3]))
    assert paths.nodes.tolist() == [1, 0, 3, 4]
    assert net.u[paths.edges].tolist() == [1, 3] and net.v[paths.edges].tolist() == [0, 4]


def test_search_is_towards_the_facility_on_one_way_streets():
    # 0 -> 1 -> 2 one-way eastwards: from 0 the facility at 2 is reachable, from 2 the one at 0 is not
    net = _line_net(3, oneway=[True, True])
    t2 = nearest_sources(net.csr("length", reverse=True), np.array([2]))
    assert t2.cost.tolist() == [200, 100, 0]
    t0 = nearest_sources(net.csr("length", reverse=True), np.array([0]))
    assert np.isinf(t0.cost[1:]).all() and t0.source[1:].tolist() == [-1, -1]


def test_shared_source_node_first_listed_wins_and_limit():
    net = _line_net(4)
    tree = nearest_sources(net.csr("length", reverse=True), np.array([3, 0, 0]), limit=150)
    assert tree.source.tolist() == [1, 1, 0, 0]
    assert tree.cost.tolist() == [0, 100, 100, 0]
    tree = nearest_sources(net.csr("length", reverse=True), np.array([0]), limit=150)
    assert tree.source.tolist() == [0, 0, -1, -1]
    with pytest.raises(ValueError):
        nearest_sources(net.csr("length", reverse=True), np.array([], dtype=int))


def test_path_sums_and_depth_match_walking_the_tree():
    rng = np.random.default_rng(1)
    n = 400
    pred = np.array([-1] + [int(rng.integers(0, i)) for i in range(1, n)])  # a random tree rooted at 0
    pred[rng.choice(np.arange(1, n), 20, replace=False)] = -1  # a forest
    val = rng.random(n)
    sums = tree_path_sums(pred, val)
    depth = tree_depth(pred)
    for i in rng.choice(n, 50, replace=False):
        s, d, j = 0.0, 0, i
        while pred[j] >= 0:
            s += val[j]
            d += 1
            j = pred[j]
        assert sums[i] == pytest.approx(s) and depth[i] == d
    nodes, ptr = paths_from_predecessors(pred, np.array([5, 0, 5]))
    assert nodes[ptr[1]:ptr[2]].tolist() == [0]
    assert nodes[ptr[0]:ptr[1]].tolist() == nodes[ptr[2]:ptr[3]].tolist()
    assert nodes[ptr[0]] == 5 and pred[nodes[ptr[1] - 1]] == -1


def test_tree_edge_load_equals_loads_from_explicit_paths():
    net = from_lines(grid_roads(6))
    rng = np.random.default_rng(2)
    tree = nearest_sources(net.csr("time", reverse=True), np.array([0, 35]))
    ne = tree.next_edge()
    weight = rng.integers(0, 50, net.n_nodes).astype(float)
    load_tree = tree_edge_load(tree.pred, ne, weight, net.n_edges)
    paths = tree_paths(tree, np.arange(net.n_nodes), next_edge=ne)
    load_paths = path_edge_load(paths, weight, net.n_edges)
    np.testing.assert_allclose(load_tree, load_paths)
    # everybody not at a facility leaves through exactly one first edge
    assert load_tree[ne[ne >= 0]].sum() >= weight[ne >= 0].sum()


def test_route_geometries_follow_the_roads():
    # an L-shaped road digitised with a bend vertex
    roads = shapely.LineString([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100)])
    import geopandas as gpd

    net = from_lines(gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[roads], crs=UTM47))
    end = int(np.argmin(np.hypot(net.x - X0 - 100, net.y - Y0 - 100)))
    start = 1 - end
    tree = nearest_sources(net.csr("length", reverse=True), np.array([end]))
    paths = tree_paths(tree, np.array([start, end]))
    geoms = route_geometries(net, paths)
    assert geoms[1] is None  # already at the shelter
    assert shapely.get_coordinates(geoms[0]).tolist() == [[X0, Y0], [X0 + 100, Y0], [X0 + 100, Y0 + 100]]
    # straight-edge networks use the node sequence
    line = _line_net(4)
    t = nearest_sources(line.csr("length", reverse=True), np.array([3]))
    g = route_geometries(line, tree_paths(t, np.array([0])))
    assert g[0].length == 300 and len(shapely.get_coordinates(g[0])) == 4


def test_single_source_paths_match_tree_costs():
    net = from_lines(grid_roads(5))
    cost, paths = single_source_paths(net.csr("length", reverse=True), 12, np.arange(net.n_nodes))
    seg = np.bincount(paths.edge_path_index(), weights=net.length_m[paths.edges], minlength=net.n_nodes)
    np.testing.assert_allclose(seg, cost)


def test_bridges_match_networkx_and_parallel_roads_are_not_bridges():
    # a square 0-1-2-3 with a tail 3-4-5, and two different roads joining 4 and 5
    x = X0 + np.array([0, 100, 100, 0, -100, -200.0])
    y = Y0 + np.array([0, 0, 100, 100, 100, 100.0])
    u = np.array([0, 1, 2, 3, 3, 4, 4])
    v = np.array([1, 2, 3, 0, 4, 5, 5])
    length = np.array([100, 100, 100, 100, 100, 100, 180.0])
    net = RoadNetwork.from_arrays(x, y, u, v, crs=UTM47, length_m=length)
    br = undirected_bridges(net)
    pairs = {tuple(sorted((int(net.u[e]), int(net.v[e])))) for e in br}
    assert pairs == {(3, 4)}
    # on a simple grid with a random tree of spurs: same answer as networkx
    net2 = from_lines(grid_roads(4))
    g = nx.Graph(list(zip(net2.u.tolist(), net2.v.tolist())))
    assert len(undirected_bridges(net2)) == len(list(nx.bridges(g))) == 0
    closed = np.zeros(net2.n_edges, bool)
    # close every edge of node 0 but one: that one becomes a bridge
    at0 = np.flatnonzero((net2.u == 0) | (net2.v == 0))
    other = net2.v[at0[0]] if net2.u[at0[0]] == 0 else net2.u[at0[0]]
    closed[at0] = True
    closed[(net2.u == 0) & (net2.v == other) | (net2.v == 0) & (net2.u == other)] = False
    br = undirected_bridges(net2, ~closed)
    assert {tuple(sorted((int(net2.u[e]), int(net2.v[e])))) for e in br} == {(0, int(other))}


def test_forest_subtree_sums():
    # two trees: 0-1, 1-2, 1-3 and 4-5
    parent, sub, label, totals = forest_subtree_sums(6, np.array([0, 1, 1, 4]), np.array([1, 2, 3, 5]),
                                                     np.array([1.0, 2, 3, 4, 5, 6]))
    assert label[0] == label[3] != label[4]
    root = next(i for i in range(4) if parent[i] == -1)
    assert sub[root, 0] == 10 and totals[label[0], 0] == 10 and totals[label[4], 0] == 11
    for i in range(6):
        if parent[i] >= 0:
            kids = [j for j in range(6) if parent[j] == i]
            assert sub[i, 0] == pytest.approx(i + 1 + sum(sub[k, 0] for k in kids))


def test_nearest_matches_networkx_dijkstra_on_real_osm(shared_data):
    """Independent check: networkx Dijkstra from each origin, on a real OSM extract."""
    net = from_osm_file(shared_data / "osm_osmnx_tests" / "aguascalientes.osm.pbf", mode="drive")
    rng = np.random.default_rng(7)
    shelters = rng.choice(net.n_nodes, 12, replace=False)
    origins = rng.choice(net.n_nodes, 40, replace=False)
    g = nx.DiGraph()
    # cheapest of parallel edges, exactly as a MultiDiGraph Dijkstra would take
    for a, b, t in zip(net.u.tolist(), net.v.tolist(), net.time_s.tolist()):
        if not g.has_edge(a, b) or g[a][b]["w"] > t:
            g.add_edge(a, b, w=t)
    for weight, cost_arr in (("time", net.time_s), ("length", net.length_m)):
        if weight == "length":
            for a, b, le in zip(net.u.tolist(), net.v.tolist(), net.length_m.tolist()):
                if "l" not in g[a][b] or g[a][b]["l"] > le:
                    g[a][b]["l"] = le
        tree = nearest_sources(net.csr(weight, reverse=True), shelters)
        attr = "w" if weight == "time" else "l"
        sset = set(shelters.tolist())
        for o in origins.tolist():
            d = nx.single_source_dijkstra_path_length(g, o, weight=attr)
            best = min((d[s] for s in sset if s in d), default=np.inf)
            assert tree.cost[o] == pytest.approx(best, rel=1e-12, abs=1e-9)
            assert shelters[tree.source[o]] in sset
            assert d[int(shelters[tree.source[o]])] == pytest.approx(best, rel=1e-12, abs=1e-9)
        # the reconstructed paths add up to the costs found
        paths = tree_paths(tree, origins)
        sums = np.bincount(paths.edge_path_index(), weights=cost_arr[paths.edges], minlength=len(origins))
        np.testing.assert_allclose(sums, tree.cost[origins], rtol=1e-9)
