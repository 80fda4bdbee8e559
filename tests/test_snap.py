"""Points join the network where they stand (safegeo.network.snap), checked by hand and against the base graph."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from conftest import UTM47, X0, Y0
from scipy.sparse.csgraph import dijkstra

from safegeo.generate import synthetic_road_graph
from safegeo.network import RoadNetwork, attach_points, line_substrings


def _line(n=3, spacing=1000.0, oneway=None):
    x = X0 + spacing * np.arange(n, dtype=float)
    y = np.full(n, Y0)
    return RoadNetwork.from_arrays(x, y, np.arange(n - 1), np.arange(1, n), crs=UTM47, oneway=oneway,
                                   largest_component=False)


def test_a_point_splits_its_road_in_both_directions():
    net = _line()
    split, at = attach_points(net, np.array([[X0 + 600.0, Y0 + 30.0]]), max_snap_m=100)
    assert at.ok.all() and at.snap_m[0] == 30.0 and at.node[0] == net.n_nodes  # a new node after the old ones
    assert split.n_nodes == net.n_nodes + 1 and split.n_edges == net.n_edges + 2
    d = dijkstra(split.csr("length").matrix, indices=int(at.node[0]))
    assert np.allclose(d[:3], [600.0, 400.0, 1400.0])
    back = dijkstra(split.csr("length", reverse=True).matrix, indices=int(at.node[0]))  # node -> point
    assert np.allclose(back[:3], [600.0, 400.0, 1400.0])
    # the pieces keep their parent's attributes and time per metre, and tell which edge they came from
    assert np.allclose(split.time_s / split.length_m, net.time_s[0] / net.length_m[0])
    assert set(np.unique(split.parent_edge)) == set(range(net.n_edges))
    assert np.isclose(split.length_m.sum(), net.length_m.sum())
    assert np.isclose(shapely.length(split.edge_geometries()).sum(), net.length_m.sum())


def test_one_way_road_is_split_one_way_and_far_points_stay_out():
    net = _line(oneway=np.array([True, True]))
    pts = np.array([[X0 + 600.0, Y0 + 10.0], [X0 + 600.0, Y0 + 5000.0], [np.nan, np.nan]])
    split, at = attach_points(net, pts, max_snap_m=100)
    assert at.ok.tolist() == [True, False, False] and at.node[1] == -1 and at.node[2] == -1
    d = dijkstra(split.csr("length").matrix, indices=int(at.node[0]))
    assert np.isclose(d[1], 400.0) and np.isinf(d[0])  # cannot drive back against the one-way
    assert split.n_edges == net.n_edges + 1


def test_points_at_junctions_and_close_together_share_nodes():
    net = _line()
    pts = np.array([[X0 + 0.2, Y0 + 3.0], [X0 + 500.0, Y0], [X0 + 500.3, Y0 - 2.0], [X0 + 999.8, Y0]])
    split, at = attach_points(net, pts, max_snap_m=100, merge_m=0.5)
    assert at.node[0] == 0 and at.node[3] == 1  # at the junctions
    assert at.node[1] == at.node[2] == net.n_nodes  # one new node for the two points 0.3 m apart
    assert split.n_nodes == net.n_nodes + 1


def test_line_substrings_cut_exactly():
    g = np.array([shapely.LineString([(0, 0), (10, 0), (10, 10)])] * 3, dtype=object)
    parts = line_substrings(g, np.array([0.0, 5.0, 12.0]), np.array([5.0, 15.0, 20.0]))
    assert [list(p.coords) for p in parts] == [[(0, 0), (5, 0)], [(5, 0), (10, 0), (10, 5)], [(10, 2), (10, 10)]]


def test_travel_times_from_points_match_the_base_graph_plus_the_partial_edge():
    g = synthetic_road_graph(4000, seed=11)
    net = RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs=g.crs, highway=g.highway, oneway=g.oneway)
    rng = np.random.default_rng(5)
    e = rng.choice(net.n_edges, 60, replace=False)
    t = rng.uniform(0.05, 0.95, 60)
    lines = net.edge_geometries(e)
    on = shapely.get_coordinates(shapely.line_interpolate_point(lines, t, normalized=True))
    pts = on + rng.normal(0, 20, on.shape)
    split, at = attach_points(net, pts, max_snap_m=500)
    assert at.ok.all()
    # independent: Dijkstra on the base graph from both ends of the edge each point projects on
    base = net.csr("time").matrix
    sp = split.csr("time").matrix
    for k in range(0, 60, 6):
        ek = int(at.edge[k])
        frac = at.along_m[k] / shapely.length(net.edge_geometries(np.array([ek])))[0]
        u, v = int(net.u[ek]), int(net.v[ek])
        best = (1 - frac) * net.time_s[ek] + dijkstra(base, indices=v)
        twin = np.flatnonzero((net.u == v) & (net.v == u) & np.isclose(net.length_m, net.length_m[ek]))
        if len(twin):
            best = np.minimum(best, frac * net.time_s[twin[0]] + dijkstra(base, indices=u))
        got = dijkstra(sp, indices=int(at.node[k]))[: net.n_nodes]
        # the point may reach a node through another point's node: never slower than the independent bound
        assert np.allclose(got, best, rtol=1e-9, atol=1e-6)
    # the original nodes are as far apart as before
    src = rng.choice(net.n_nodes, 5, replace=False)
    assert np.allclose(dijkstra(sp, indices=src)[:, : net.n_nodes], dijkstra(base, indices=src))


def test_twins_pair_each_road_direction_with_its_reverse_like_a_brute_force_matching():
    from safegeo.network.snap import _find_twins

    rng = np.random.default_rng(3)
    # a multigraph: parallel roads of equal and different lengths, one-way rows, a loop road
    u = rng.integers(0, 6, 60)
    v = rng.integers(0, 6, 60)
    length = rng.choice([100.0, 100.004, 250.0], 60)
    net = RoadNetwork(UTM47, np.arange(6.0), np.zeros(6), np.arange(6), u, v, length, length / 10,
                      pd.DataFrame(index=np.arange(60)))
    twin = _find_twins(net)
    # brute force: in row order, the k-th u<=v row of a road (ends, length to the cm) pairs with its k-th u>v row
    expect = np.full(60, -1)
    groups: dict = {}
    for e in range(60):
        key = (min(u[e], v[e]), max(u[e], v[e]), round(length[e], 2))
        groups.setdefault(key, ([], []))[0 if u[e] <= v[e] else 1].append(e)
    for (a, b, _), (f, r) in groups.items():
        if a == b:
            continue
        for ef, eb in zip(f, r, strict=False):
            expect[ef], expect[eb] = eb, ef
    np.testing.assert_array_equal(twin, expect)
    assert (twin >= 0).any() and (twin < 0).any()
