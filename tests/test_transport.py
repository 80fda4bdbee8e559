"""The capacity transportation problem: min-cost flow and HiGHS agree, and match assign_with_capacity."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

import safegeo.evacuation.transport
from safegeo._errors import EvacuationError
from safegeo.evacuation.assign import assign_with_capacity
from safegeo.evacuation.transport import solve_transport
from safegeo.generate import synthetic_road_graph
from safegeo.kernels import k_nearest_sources, path_sums
from safegeo.network import RoadNetwork


def test_docstring_examples_run():
    assert doctest.testmod(safegeo.evacuation.transport, raise_on_error=False).failed == 0


def test_rerouting_by_hand():
    # village 0 (10 people): shelter A costs 1, B 5; village 1 (10 people): A 2, B 3; A holds 15.
    # Moving a person of village 1 from A to B costs 1, of village 0 costs 4: village 0 keeps A.
    for solver in ("mcf", "highs"):
        res = solve_transport(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([1.0, 5.0, 2.0, 3.0]),
                              np.array([10, 10]), np.array([15, 100]), solver=solver)
        flows = {(int(o), int(s)): float(p) for o, s, p in zip(res.origin, res.shelter, res.people, strict=True)}
        assert flows == {(0, 0): 10, (1, 0): 5, (1, 1): 5}
        assert res.total_cost == 35 and res.overflow.tolist() == [0, 0] and res.solver == solver


def test_serving_more_people_comes_before_cost():
    # one shelter place; village 0 is next to it (cost 1, 1 person), village 1 is far (cost 100, 2 people)
    # and village 0 also has a second shelter with room: the place goes to village 1
    co, cs, cc = np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 50.0, 100.0])
    for solver in ("mcf", "highs"):
        res = solve_transport(co, cs, cc, np.array([1, 2]), np.array([2, 1]), solver=solver)
        assert res.served == 3 and res.total_cost == 250 and res.overflow.tolist() == [0, 0]


def _instance(rng, n_o, n_s, k, *, ratio):
    po = rng.random((n_o, 2)) * 10_000
    ps = rng.random((n_s, 2)) * 10_000
    d, idx = cKDTree(ps).query(po, k=k)
    cost = d / 10 * (1 + 0.3 * rng.random(d.shape))
    pop = rng.integers(0, 300, n_o)
    cap = rng.multinomial(int(pop.sum() * ratio), np.full(n_s, 1 / n_s))
    return np.repeat(np.arange(n_o), k), idx.ravel(), cost.ravel(), pop, cap


def _check(res, co, cs, cc, pop, cap):
    sent = np.bincount(res.origin, weights=res.people, minlength=len(pop))
    np.testing.assert_allclose(sent + res.overflow, pop)  # nobody lost or invented
    assert (np.bincount(res.shelter, weights=res.people, minlength=len(cap)) <= cap + 1e-9).all()
    assert (res.people > 0).all() and (res.overflow >= 0).all()
    np.testing.assert_array_equal(co[res.candidate], res.origin)
    np.testing.assert_array_equal(cs[res.candidate], res.shelter)
    np.testing.assert_allclose(res.people @ cc[res.candidate], res.total_cost)


@pytest.mark.parametrize("ratio", [0.6, 1.0, 1.5])
@pytest.mark.parametrize("seed", range(3))
def test_min_cost_flow_and_highs_agree(seed, ratio):
    rng = np.random.default_rng(seed)
    co, cs, cc, pop, cap = _instance(rng, 400, 40, 5, ratio=ratio)
    mcf = solve_transport(co, cs, cc, pop, cap, solver="mcf")
    lp = solve_transport(co, cs, cc, pop, cap, solver="highs")
    for res in (mcf, lp):
        _check(res, co, cs, cc, pop, cap)
        assert np.array_equal(res.people, np.round(res.people))  # whole people
    assert mcf.served == lp.served
    np.testing.assert_allclose(mcf.total_cost, lp.total_cost, rtol=1e-9)
    # with capacity to spare (and 5 candidates each), everyone is served
    if ratio >= 1.5:
        assert mcf.served == pop.sum()


def test_fractional_people():
    rng = np.random.default_rng(5)
    co, cs, cc, pop, cap = _instance(rng, 200, 20, 4, ratio=0.9)
    half = pop / 2.0
    mcf = solve_transport(co, cs, cc, half, cap / 2.0)
    lp = solve_transport(co, cs, cc, half, cap / 2.0, solver="highs")
    assert mcf.solver == "mcf"  # multiples of 0.001 are scaled to whole units
    _check(mcf, co, cs, cc, half, cap / 2.0)
    assert mcf.served == pytest.approx(lp.served, abs=1e-6)
    np.testing.assert_allclose(mcf.total_cost, lp.total_cost, rtol=1e-7)
    third = solve_transport(co, cs, cc, pop / 3.0, cap / 3.0)
    assert third.solver == "highs"  # not a multiple of 0.001: the LP solves it exactly
    _check(third, co, cs, cc, pop / 3.0, cap / 3.0)


def test_matches_assign_with_capacity_on_a_road_network():
    g = synthetic_road_graph(2500, seed=4)
    net = RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs=g.crs, highway=g.highway, oneway=g.oneway)
    csr = net.csr("time", reverse=True)
    rng = np.random.default_rng(4)
    nodes = rng.permutation(net.n_nodes)
    shelters, origins = nodes[:25], nodes[25:325]
    pop = rng.integers(1, 200, len(origins)).astype(float)
    cap = rng.integers(100, 1500, len(shelters)).astype(float)
    assert cap.sum() < pop.sum() * 1.2  # capacity binds somewhere
    (fo, fs, fp), over, _ = assign_with_capacity(csr, origins, pop, shelters, cap, k_nearest=5)
    cost = dijkstra(csr.matrix, directed=True, indices=shelters)[:, origins]
    old_total = float(fp @ cost[fs, fo])

    knn = k_nearest_sources(csr, shelters, k=5)
    pos, fac, cc, _ = knn.candidates(origins)
    for solver in ("mcf", "highs"):
        res = solve_transport(pos, fac, cc, pop, cap, solver=solver)
        assert res.served == pytest.approx(fp.sum())
        np.testing.assert_allclose(res.overflow.sum(), over.sum())
        np.testing.assert_allclose(res.total_cost, old_total, rtol=1e-9)
    # the assigned pairs' travel times come from walking the labels back: the same costs
    res = solve_transport(pos, fac, cc, pop, cap)
    slots = knn.slot_of(origins[res.origin], res.shelter)
    paths = knn.paths(origins[res.origin], slots)
    np.testing.assert_allclose(path_sums(paths, net.time_s), cost[res.shelter, res.origin], rtol=1e-9)


def test_empty_and_bad_input():
    res = solve_transport(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.array([5.0]), np.array([3.0]))
    assert res.served == 0 and res.overflow.tolist() == [5.0]
    ok = (np.array([0]), np.array([0]), np.array([1.0]), np.array([5]), np.array([3]))
    with pytest.raises(EvacuationError, match="unknown transport solver"):
        solve_transport(*ok, solver="simplex")
    with pytest.raises(EvacuationError, match="differ in length"):
        solve_transport(np.array([0, 0]), *ok[1:])
    with pytest.raises(EvacuationError, match="cand_cost has 1 negative or non-finite"):
        solve_transport(ok[0], ok[1], np.array([np.inf]), *ok[3:])
    with pytest.raises(EvacuationError, match="capacity has 1 negative"):
        solve_transport(*ok[:4], np.array([-1]))
    with pytest.raises(EvacuationError, match="outside 0..0"):
        solve_transport(ok[0], np.array([2]), *ok[2:])
    with pytest.raises(EvacuationError, match="integer indices"):
        solve_transport(np.array([0.0]), *ok[1:])
