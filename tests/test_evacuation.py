"""Evacuation planning: hand-checkable towns, an independent LP, and the demo province."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import UTM47, X0, Y0, grid_roads

from safegeo._errors import SettingsError
from safegeo.evacuation import (
    STATUSES,
    EvacuationError,
    assign_with_capacity,
    evacuate,
    greedy_nearest_fill,
)
from safegeo.network import from_lines
from safegeo.study import HazardSource, StudyArea

# residential 30 km/h and tertiary 50 km/h (the study defaults)
RES_MPS = 30 / 3.6
TER_MPS = 50 / 3.6


def _pts(cols, xy):
    return gpd.GeoDataFrame(cols, geometry=[shapely.Point(X0 + a, Y0 + b) for a, b in xy], crs=UTM47)


def _two_towns(*, shelters=None, villages=None, bridge_oneway=None, hazards=None, bridge_reversed=False,
               detour=False, bridge_name="River bridge"):
    """West town (3x3 grid at x 0..200) and east town (x 1000..1200) joined by one 800 m bridge at y=100.

    With *detour*, a 3200 m residential road also joins the towns' south-east and south-west corners.
    """
    west = grid_roads(3)
    east = grid_roads(3, x0=X0 + 1000)
    a, b = (X0 + 200, Y0 + 100), (X0 + 1000, Y0 + 100)
    if bridge_reversed:
        a, b = b, a
    bridge = gpd.GeoDataFrame({"road_id": [999], "highway": ["tertiary"], "name": [bridge_name],
                               "oneway": [bool(bridge_oneway)]}, geometry=[shapely.LineString([a, b])], crs=UTM47)
    roads = pd.concat([west.assign(oneway=False), east.assign(road_id=east["road_id"] + 100, oneway=False), bridge],
                      ignore_index=True)
    if detour:
        loop = shapely.LineString([(X0 + 1200, Y0), (X0 + 1200, Y0 - 1000), (X0, Y0 - 1000), (X0, Y0)])
        roads = pd.concat([roads, gpd.GeoDataFrame({"road_id": [998], "highway": ["residential"], "oneway": [False]},
                                                   geometry=[loop], crs=UTM47)], ignore_index=True)
    roads = gpd.GeoDataFrame(roads, crs=UTM47)
    villages = villages if villages is not None else _pts(
        {"village_id": ["VW", "VE"], "population": [100, 300], "name_en": ["West", "East"]}, [(0, 0), (1200, 200)])
    shelters = shelters if shelters is not None else _pts(
        {"shelter_id": ["SW"], "capacity": [500], "kind": ["shelter"], "safe_for": [""]}, [(200, 200)])
    districts = gpd.GeoDataFrame({"district_id": ["DW", "DE"], "name_en": ["West", "East"]},
                                 geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 600, Y0 + 250),
                                           shapely.box(X0 + 600, Y0 - 50, X0 + 1250, Y0 + 250)], crs=UTM47)
    return StudyArea.from_layers({"roads": roads, "villages": villages, "shelters": shelters, "districts": districts},
                                 crs=UTM47, hazards=hazards or [])


def _flood_on_bridge(severity="high"):
    poly = gpd.GeoDataFrame({"hazard_id": ["F1"], "kind": ["flood"], "severity": [severity]},
                            geometry=[shapely.box(X0 + 550, Y0 + 50, X0 + 650, Y0 + 150)], crs=UTM47)
    return HazardSource("flood", "flood", polygons=poly)


def _row(res, origin, shelter=None):
    a = res.assignments
    sel = a[(a["origin_id"] == origin) & ((a["shelter_id"] == shelter) if shelter else True)]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_nearest_shelter_times_distances_and_routes_are_hand_checkable():
    res = evacuate(_two_towns(), capacity=False)
    vw, ve = _row(res, "VW"), _row(res, "VE")
    assert vw["shelter_id"] == ve["shelter_id"] == "SW"
    assert vw["distance_m"] == pytest.approx(400) and vw["travel_time_s"] == pytest.approx(400 / RES_MPS)
    assert ve["distance_m"] == pytest.approx(1200)
    assert ve["travel_time_s"] == pytest.approx(400 / RES_MPS + 800 / TER_MPS)
    assert set(res.assignments["status"]) == {"assigned"}
    routes = res.routes.set_index("origin_id")
    assert routes.loc["VE"].geometry.length == pytest.approx(1200)
    start = shapely.get_coordinates(routes.loc["VE"].geometry)[0]
    end = shapely.get_coordinates(routes.loc["VE"].geometry)[-1]
    assert tuple(start) == (X0 + 1200, Y0 + 200) and tuple(end) == (X0 + 200, Y0 + 200)
    sh = res.shelters.set_index("shelter_id")
    assert sh.loc["SW", "assigned"] == 400 and sh.loc["SW", "utilisation"] == pytest.approx(0.8)
    # the bridge carries the east village and is the road whose loss cuts it off
    top = res.critical_roads.iloc[0]
    assert top["name"] == "River bridge" and top["is_bridge"]
    assert top["isolated_population"] == 300 and top["evacuee_load"] == 300 and top["rank"] == 1
    # west-town roads are not bridges (grid), so no other row isolates anybody
    assert (res.critical_roads["isolated_population"].iloc[1:] == 0).all()
    summ = res.summary.set_index("area_id")
    assert summ.loc["DW", "population"] == 100 and summ.loc["DE", "population"] == 300
    assert summ.loc["DE", "share_within_15min"] == 1.0 and summ.loc["DW", "most_loaded_shelter"] == "SW"


def test_closed_bridge_strands_the_east_village():
    res = evacuate(_two_towns(hazards=[_flood_on_bridge()]), capacity=False)
    ve = _row(res, "VE")
    assert ve["status"] == "unreachable" and pd.isna(ve["shelter_id"]) and pd.isna(ve["travel_time_s"])
    assert ve["reason"] == "isolated_by_hazard"
    assert res.unreachable["origin_id"].tolist() == ["VE"]
    assert res.unreachable["reason"].tolist() == ["isolated_by_hazard"]
    assert _row(res, "VW")["status"] == "assigned"
    assert res.hazard_edges.closed.sum() == 2
    assert res.summary.set_index("area_id").loc["DE", "unreachable"] == 300
    # slowed, not closed: a "low" flood halves the bridge speed
    slow = evacuate(_two_towns(hazards=[_flood_on_bridge("low")]), capacity=False)
    assert _row(slow, "VE")["travel_time_s"] == pytest.approx(400 / RES_MPS + 2 * 800 / TER_MPS)


def _flooded_pocket(exit_kph):
    """A 3x3 grid town whose centre junction is flooded on every side; its village must wade out."""
    roads = grid_roads(3)
    villages = _pts({"village_id": ["VC", "VX"], "population": [50, 20]}, [(100, 100), (200, 200)])
    shelters = _pts({"shelter_id": ["S"], "capacity": [500], "kind": ["shelter"]}, [(0, 0)])
    flood = gpd.GeoDataFrame({"hazard_id": ["F"], "kind": ["flood"], "severity": ["high"]},
                             geometry=[shapely.box(X0 + 40, Y0 + 40, X0 + 160, Y0 + 160)], crs=UTM47)
    study = StudyArea.from_layers({"roads": roads, "villages": villages, "shelters": shelters}, crs=UTM47,
                                  hazards=[HazardSource("flood", "flood", polygons=flood)])
    return evacuate(study, capacity=False, hazard_exit_kph=exit_kph)


def test_people_in_a_closed_area_wade_out_to_the_first_open_junction():
    res = _flooded_pocket(3.0)
    vc = _row(res, "VC")
    # 100 m of flooded road at 3 km/h (120 s) to a junction on the grid's edge, then 100 m of open road
    assert vc["status"] == "assigned" and vc["hazard_exit_m"] == pytest.approx(100.0)
    assert vc["travel_time_s"] == pytest.approx(100 / (3 / 3.6) + 100 / RES_MPS)
    assert vc["distance_m"] == pytest.approx(200.0)
    # a village outside the pocket never routes through it: the flooded roads cannot be entered
    vx = _row(res, "VX")
    assert vx["hazard_exit_m"] == 0.0 and vx["distance_m"] == pytest.approx(400.0)
    assert vx["travel_time_s"] == pytest.approx(400 / RES_MPS)
    # with no way of wading out, the centre is stranded
    stranded = _flooded_pocket(0.0)
    assert _row(stranded, "VC")["reason"] == "isolated_by_hazard"
    assert _row(stranded, "VX")["status"] == "assigned"


def test_one_way_bridge_is_used_only_in_its_direction():
    # digitised west -> east: the east village must take the 3.2 km detour to the west shelter
    res = evacuate(_two_towns(bridge_oneway=True, detour=True), capacity=False)
    assert _row(res, "VE")["distance_m"] == pytest.approx(200 + 3200 + 400)
    assert _row(res, "VE")["travel_time_s"] == pytest.approx(3800 / RES_MPS)
    # while the west village's people could cross it eastwards (a shelter only in the east)
    east = _pts({"shelter_id": ["SE"], "capacity": [500], "kind": ["shelter"]}, [(1000, 100)])
    res = evacuate(_two_towns(bridge_oneway=True, detour=True, shelters=east), capacity=False)
    assert _row(res, "VW")["distance_m"] == pytest.approx(300 + 800)
    # digitised east -> west: the bridge is the way west again
    res = evacuate(_two_towns(bridge_oneway=True, bridge_reversed=True, detour=True), capacity=False)
    assert _row(res, "VE")["travel_time_s"] == pytest.approx(400 / RES_MPS + 800 / TER_MPS)
    # with no detour the one-way towns are not strongly connected: the network keeps one, reported off-network
    res = evacuate(_two_towns(bridge_oneway=True), capacity=False)
    assert res.people("unreachable") > 0


def test_a_shelter_that_fills_up_splits_the_village_and_reports_overflow():
    shelters = _pts({"shelter_id": ["SW", "SE"], "capacity": [500, 100], "kind": ["shelter", "shelter"]},
                    [(200, 200), (1000, 0)])
    res = evacuate(_two_towns(shelters=shelters), capacity=True)
    a = res.assignments
    ve = a[a["origin_id"] == "VE"].set_index("shelter_id")
    assert ve.loc["SE", "population"] == 100 and ve.loc["SW", "population"] == 200
    assert ve.loc["SE", "is_nearest"] and not ve.loc["SW", "is_nearest"]
    assert ve.loc["SE", "travel_time_s"] == pytest.approx(400 / RES_MPS)
    sh = res.shelters.set_index("shelter_id")
    assert sh.loc["SE", "assigned"] == 100 and sh.loc["SW", "assigned"] == 300
    assert (sh["over_capacity"] == 0).all()
    # routes exist for both shares
    assert sorted(res.routes.loc[res.routes["origin_id"] == "VE", "shelter_id"]) == ["SE", "SW"]
    # the greedy nearest assignment overflows the small shelter
    cmp = res.comparison.set_index("method")
    assert cmp.loc["greedy_nearest", "overflow"] == 200 and cmp.loc["capacity_optimal", "overflow"] == 0
    # considering only each village's nearest shelter, 200 people overflow, and the reason says why
    res = evacuate(_two_towns(shelters=shelters), capacity=True, k_nearest=1)
    ov = res.assignments[res.assignments["status"] == "overflow"]
    assert ov["origin_id"].tolist() == ["VE"] and ov["population"].tolist() == [200]
    assert ov["reason"].iloc[0] == "shelters with room within 60 min are not among the 1 nearest (raise k_nearest)"
    # less room in the west: 150 people have no place and are reported, never dropped
    small = shelters.assign(capacity=[150, 100])
    res = evacuate(_two_towns(shelters=small), capacity=True)
    assert res.people("overflow") == 150 and res.people("assigned") == 250
    assert res.assignments["population"].sum() == 400
    ov = res.assignments[res.assignments["status"] == "overflow"]
    assert ov["origin_id"].tolist() == ["VE"] and ov["reason"].iloc[0].startswith("no shelter capacity")
    assert res.summary.set_index("area_id").loc["DE", "overflow"] == 150
    assert set(res.assignments["status"]) <= set(STATUSES)


def test_max_minutes_limits_assignments():
    near = evacuate(_two_towns(), capacity=False, max_minutes=1.0)
    assert _row(near, "VE")["status"] == "beyond_max_time" and _row(near, "VW")["status"] == "assigned"
    # the east village is 1.8 min away: beyond the 1-min limit, but still within 15 min in the summary
    s = near.summary.set_index("area_id")
    assert s.loc["DE", "beyond_max_time"] == 300 and s.loc["DE", "share_within_15min"] == 1.0
    cap = evacuate(_two_towns(), capacity=True, max_minutes=1.0)
    assert _row(cap, "VE")["status"] == "overflow"
    assert _row(cap, "VE")["reason"] == "no shelter within 1 min"
    s = cap.summary.set_index("area_id")
    assert s.loc["DE", "overflow"] == 300 and s.loc["DW", "pop_within_15min"] == 100


def test_shelters_in_the_hazard_or_not_safe_for_it_are_excluded():
    shelters = _pts({"shelter_id": ["SW", "SF", "SS", "S0"], "capacity": [500, 900, 900, 0],
                     "kind": ["shelter"] * 4, "safe_for": ["flood", "", "storm_surge", ""]},
                    [(200, 200), (600, 100), (1200, 0), (1000, 200)])
    res = evacuate(_two_towns(shelters=shelters, hazards=[_flood_on_bridge("low")]), capacity=False)
    sh = res.shelters.set_index("shelter_id")
    assert sh["eligible"].to_dict() == {"SW": True, "SF": False, "SS": False, "S0": False}
    assert sh.loc["SF", "excluded_reason"] == "inside hazard flood"
    assert sh.loc["SS", "excluded_reason"] == "not safe for flood"
    assert sh.loc["S0", "excluded_reason"] == "no capacity"
    assert set(res.assignments["shelter_id"]) == {"SW"}
    # without the hazard the east shelter is usable again
    res = evacuate(_two_towns(shelters=shelters, hazards=[_flood_on_bridge("low")]), hazards="none", capacity=False)
    assert _row(res, "VE")["shelter_id"] == "SS"


def test_off_network_village_and_no_eligible_shelter():
    villages = _pts({"village_id": ["VW", "FAR"], "population": [100, 7]}, [(0, 0), (0, 5000)])
    res = evacuate(_two_towns(villages=villages), capacity=True, max_snap_m=500)
    assert res.unreachable.set_index("origin_id")["reason"].to_dict() == {"FAR": "off_network"}
    shelters = _pts({"shelter_id": ["SW"], "capacity": [500], "kind": ["shelter"], "safe_for": ["storm_surge"]},
                    [(200, 200)])
    res = evacuate(_two_towns(shelters=shelters, hazards=[_flood_on_bridge("low")]))
    assert set(res.unreachable["reason"]) == {"no_eligible_shelter"} and res.people("unreachable") == 400


def test_every_node_as_origin_matches_the_tree():
    study = _two_towns()
    res = evacuate(study, origins="nodes", capacity=False, routes=False)
    net = study.network()
    assert len(res.assignments) == net.n_nodes and res.assignments["population"].sum() == net.n_nodes
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(net.v.tolist(), net.u.tolist(), net.time_s.tolist()))
    sw = int(net.snap(study.layer("shelters"), max_snap_m=500).node[0])
    want = nx.single_source_dijkstra_path_length(g, sw)
    got = res.assignments.set_index("origin_id")["travel_time_s"]
    for node, t in want.items():
        assert got[node] == pytest.approx(t)


def test_bad_options_are_clear_errors():
    study = _two_towns()
    with pytest.raises(EvacuationError, match="unknown weight"):
        evacuate(study, weight="speed")
    with pytest.raises(SettingsError, match=r"max_minutes \(--max-minutes\) must be a number > 0"):
        evacuate(study, max_minutes=0)
    from safegeo import SafegeoError

    with pytest.raises(SafegeoError, match="no hazard named 'quake'"):
        evacuate(study, hazards="quake")


def test_greedy_nearest_fill_by_arrival_order():
    served = greedy_nearest_fill(np.array([0, 0, 1, 0]), np.array([30.0, 10, 5, 20]), np.array([50.0, 60, 10, 40]),
                                 np.array([100.0, 5]), max_travel_s=25)
    # shelter 0 takes the 10 s village (60), then the 20 s one (40 of 40); the 30 s one is beyond 25 s
    assert served.tolist() == [0, 60, 5, 40]


def _flow_reference(cost, pop, cap):
    """Independent optimum: networkx max-flow min-cost (network simplex) on costs in milliseconds."""
    n_s, n_o = cost.shape
    g = nx.DiGraph()
    for o in range(n_o):
        g.add_edge("src", ("o", o), capacity=int(pop[o]), weight=0)
    for s in range(n_s):
        g.add_edge(("s", s), "sink", capacity=int(cap[s]), weight=0)
        for o in range(n_o):
            if np.isfinite(cost[s, o]):
                g.add_edge(("o", o), ("s", s), capacity=int(pop[o]), weight=round(cost[s, o] * 1000))
    flow = nx.max_flow_min_cost(g, "src", "sink")
    served = sum(flow["src"].values())
    return served, nx.cost_of_flow(g, flow) / 1000.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capacity_assignment_matches_an_independent_lp(seed):
    rng = np.random.default_rng(seed)
    net = from_lines(grid_roads(7, spacing=150.0))
    origins = rng.choice(net.n_nodes, 12, replace=False)
    shelters = rng.choice(np.setdiff1d(np.arange(net.n_nodes), origins), 4, replace=False)
    pop = rng.integers(10, 120, len(origins)).astype(float)
    cap = rng.integers(50, 300, len(shelters)).astype(float)
    if seed == 2:
        cap = cap / 3  # not enough room: overflow
        cap = np.round(cap)
    csr = net.csr("time", reverse=True)
    (fo, fs, fp), over, _ = assign_with_capacity(csr, origins, pop, shelters, cap, k_nearest=len(shelters))
    # independent costs: networkx Dijkstra from every shelter on the reversed graph
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(net.v.tolist(), net.u.tolist(), net.time_s.tolist()))
    cost = np.array([[nx.single_source_dijkstra_path_length(g, int(s)).get(int(o), np.inf) for o in origins]
                     for s in shelters])
    served_ref, cost_ref = _flow_reference(cost, pop, cap)
    np.testing.assert_allclose(np.bincount(fs, weights=fp, minlength=len(shelters)) <= cap + 1e-9, True)
    np.testing.assert_allclose(np.bincount(fo, weights=fp, minlength=len(origins)) + over, pop)
    assert fp.sum() == pytest.approx(served_ref)
    assert (cost[fs, fo] * fp).sum() == pytest.approx(cost_ref, abs=0.001 * pop.sum())
    assert np.all(fp == np.round(fp))  # whole people


@pytest.mark.parametrize("seed", [3, 4])
def test_capacity_assignment_with_a_time_limit_and_k_nearest_matches_an_independent_lp(seed):
    rng = np.random.default_rng(seed)
    net = from_lines(grid_roads(7, spacing=150.0))
    origins = rng.choice(net.n_nodes, 15, replace=False)
    shelters = rng.choice(np.setdiff1d(np.arange(net.n_nodes), origins), 5, replace=False)
    pop = rng.integers(10, 120, len(origins)).astype(float)
    cap = np.round(rng.integers(50, 300, len(shelters)) / 2.0)
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(net.v.tolist(), net.u.tolist(), net.time_s.tolist()))
    cost = np.array([[nx.single_source_dijkstra_path_length(g, int(s)).get(int(o), np.inf) for o in origins]
                     for s in shelters])
    limit = float(np.median(cost)) + 0.5  # a shelter farther than this is no option
    csr = net.csr("time", reverse=True)
    (fo, fs, fp), over, best = assign_with_capacity(csr, origins, pop, shelters, cap, k_nearest=len(shelters),
                                                    max_cost=limit)
    ref_cost = np.where(cost <= limit, cost, np.inf)
    served_ref, cost_ref = _flow_reference(ref_cost, pop, cap)
    assert (cost[fs, fo] <= limit).all()
    assert np.all(np.bincount(fs, weights=fp, minlength=len(shelters)) <= cap + 1e-9)
    np.testing.assert_allclose(np.bincount(fo, weights=fp, minlength=len(origins)) + over, pop)
    assert fp.sum() == pytest.approx(served_ref) and fp.sum() < pop.sum()
    assert (cost[fs, fo] * fp).sum() == pytest.approx(cost_ref, abs=0.001 * pop.sum())
    np.testing.assert_allclose(best, np.where(np.isfinite(ref_cost).any(axis=0), ref_cost.min(axis=0), np.inf))
    # with k = 2 every flow goes to one of the origin's two nearest shelters
    (fo, fs, fp), over, _ = assign_with_capacity(csr, origins, pop, shelters, cap, k_nearest=2)
    second = np.sort(cost, axis=0)[1]
    assert (cost[fs, fo] <= second[fo] + 1e-9).all()
    np.testing.assert_allclose(np.bincount(fo, weights=fp, minlength=len(origins)) + over, pop)


def test_write_outputs(tmp_path):
    import pyogrio

    shelters = _pts({"shelter_id": ["SW", "SE"], "capacity": [500, 100], "kind": ["shelter", "shelter"],
                     "contact": ["081", "082"]}, [(200, 200), (1000, 0)])
    res = evacuate(_two_towns(shelters=shelters, hazards=[_flood_on_bridge("low")]))
    paths = res.write(tmp_path / "out", tiles=False, public=True)
    assert [p.name for p in paths] == ["evacuation.html", "evacuation.gpkg", "summary.csv"]
    layers = set(pyogrio.list_layers(paths[1])[:, 0])
    assert layers == {"assignments", "routes", "unreachable", "critical_roads", "edge_load", "shelters"}
    a = pyogrio.read_dataframe(paths[1], layer="assignments")
    assert {"origin_id", "shelter_id", "population", "travel_time_s", "distance_m", "status"} <= set(a.columns)
    sh = pyogrio.read_dataframe(paths[1], layer="shelters")
    assert {"assigned", "capacity"} <= set(sh.columns) and "contact" not in sh.columns
    # (the internal run keeps the contact numbers: it is --public that leaves them out)
    internal = res.write(tmp_path / "internal", tiles=False)
    assert "contact" in pyogrio.read_dataframe(internal[1], layer="shelters").columns
    summ = pd.read_csv(paths[2])
    assert {"share_within_15min", "share_within_30min", "share_within_60min", "overflow", "unreachable",
            "most_loaded_shelter"} <= set(summ.columns)
    html = paths[0].read_text(encoding="utf-8")
    assert "081" not in html


# --- the demo province -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_study(tmp_path_factory):
    from safegeo.generate import generate_demo
    from safegeo.study import load_study

    return load_study(generate_demo(tmp_path_factory.mktemp("demo")))


def test_demo_invariants(demo_study):
    villages = demo_study.layer("villages")
    res = evacuate(demo_study)
    a = res.assignments
    # nobody is dropped, capacities hold, statuses are explicit
    assert a["population"].sum() == pytest.approx(villages["population"].sum())
    assert set(a["status"]) <= set(STATUSES)
    sh = res.shelters
    assert (sh["assigned"] <= sh["capacity"] + 1e-9).all()
    assert (sh.loc[~sh["eligible"], "assigned"] == 0).all() and (sh.loc[~sh["eligible"], "excluded_reason"] != "").all()
    asg = a[a["status"] == "assigned"]
    assert (asg["travel_time_s"] <= 60 * 60 + 1e-6).all() and asg["shelter_id"].notna().all()
    un = a[a["status"] == "unreachable"]
    assert un["shelter_id"].isna().all() and set(un["reason"]) <= {"off_network", "isolated_by_hazard", "no_path",
                                                                   "no_eligible_shelter"}
    # the optimum serves at least as many people as the greedy fill, and the summary adds up
    cmp = res.comparison.set_index("method")
    assert cmp.loc["capacity_optimal", "people_served"] >= cmp.loc["greedy_nearest", "people_served"]
    d = res.summary[res.summary["level"] == "district"]
    inside = a["district_id"].notna()
    assert d["population"].sum() == pytest.approx(a.loc[inside, "population"].sum())
    assert (d["share_within_15min"].fillna(0) <= d["share_within_60min"].fillna(0) + 1e-12).all()
    # routes: one per assigned share that moves, as long as its distance
    r = res.routes
    assert np.allclose(r.geometry.length, r["distance_m"], rtol=1e-6)
    # nearest-only run: every reachable village gets its nearest shelter, within the same time or less
    near = evacuate(demo_study, capacity=False)
    nt = near.assignments.groupby("origin_id")["travel_time_s"].min()
    ct = asg.groupby("origin_id")["travel_time_s"].min()
    assert (nt.reindex(ct.index) <= ct + 1e-6).all()


def test_demo_step_writes_map_first(demo_study, tmp_path):
    from safegeo.evacuation import demo_step

    paths = demo_step(demo_study, tmp_path / "evac")
    assert paths[0].name == "evacuation.html" and all(p.exists() for p in paths)


@pytest.mark.browser
def test_demo_map_in_a_browser(demo_study, browser, tmp_path):
    res = evacuate(demo_study, at_risk_within_m=1000)
    path = res.map(tiles=False).save(tmp_path / "evacuation.html")
    with browser.open(path) as page:
        assert page.page_errors == [] and page.console_errors == [] and page.blocked_requests == []
        for layer in ("districts", "hazards", "routes", "critical_roads", "shelters"):
            assert page.drawn_counts.get(layer, 0) > 0, (layer, page.drawn_counts)
        assert page.drawn_counts.get("unreachable", 0) == len(res.unreachable)
        assert page.drawn_counts["routes"] == len(res.routes)
        assert page.drawn_counts["shelters"] == len(res.shelters)
        assert page.canvas_pixels > 1000


def _depth_raster_on_bridge(path, depth):
    """A one-cell depth raster (100 m) over the middle of the bridge."""
    import rasterio
    from affine import Affine

    with rasterio.open(path, "w", driver="GTiff", width=1, height=1, count=1, dtype="float32", crs=UTM47,
                       transform=Affine(100.0, 0.0, X0 + 550, 0.0, -100.0, Y0 + 150), nodata=-9999.0) as ds:
        ds.write(np.array([[depth]], dtype="float32"), 1)
    return path


def test_each_raster_keeps_its_own_depth_threshold(tmp_path):
    tif = _depth_raster_on_bridge(tmp_path / "depth.tif", 0.5)

    def status(threshold_in_entry, **kw):
        hz = HazardSource("depth", "flood", raster_path=tif, depth_threshold_m=threshold_in_entry)
        study = _two_towns(hazards=[hz])
        if "params" in kw:
            study.params["hazards"].update(kw.pop("params"))
        return _row(evacuate(study, capacity=False, **kw), "VE")["status"]

    # 0.5 m of water: the entry's 1 m threshold keeps the bridge open (the study default 0.3 m must not win)
    assert status(1.0) == "assigned"
    # an entry without a threshold takes [hazards] depth_threshold_m (0.3 m by default, or the study's own)
    assert status(None) == "unreachable"
    assert status(None, params={"depth_threshold_m": 0.6}) == "assigned"
    # an explicit threshold applies to every raster
    assert status(1.0, depth_threshold_m=0.2) == "unreachable"


def test_an_origin_with_nobody_still_gets_a_row():
    villages = _pts({"village_id": ["VW", "VE"], "population": [0, 300]}, [(0, 0), (1200, 200)])
    res = evacuate(_two_towns(villages=villages), capacity=True)
    vw = _row(res, "VW")
    assert vw["status"] == "assigned" and vw["shelter_id"] == "SW" and vw["population"] == 0
    assert vw["distance_m"] == pytest.approx(400) and vw["is_nearest"]
    assert "VW" in set(res.routes["origin_id"])
    assert res.shelters.set_index("shelter_id").loc["SW", "assigned"] == 300
    # beyond the time limit it is an (empty) overflow row, not missing
    res = evacuate(_two_towns(villages=villages.assign(population=[300, 0])), capacity=True, max_minutes=1.0)
    ve = _row(res, "VE")
    assert ve["status"] == "overflow" and ve["population"] == 0 and pd.isna(ve["shelter_id"])
    assert set(res.assignments["origin_id"]) == {"VW", "VE"}


def test_most_loaded_shelter_among_full_ones_holds_most_people():
    # two shelters in the west district, both filled: the 300-place one is the most loaded, though listed second
    shelters = _pts({"shelter_id": ["SA", "SB"], "capacity": [50, 300], "kind": ["shelter", "shelter"]},
                    [(0, 200), (200, 200)])
    res = evacuate(_two_towns(shelters=shelters), capacity=True)
    sh = res.shelters.set_index("shelter_id")
    assert sh.loc["SA", "utilisation"] == sh.loc["SB", "utilisation"] == 1.0
    assert res.summary.set_index("area_id").loc["DW", "most_loaded_shelter"] == "SB"


def _map_layers(m):
    import json

    return {spec.name: json.loads(spec.payload) for spec in m._layers}


def test_map_sizes_shelters_by_load_against_capacity_and_flags_unreachable_apart():
    # the one shelter is 80 % full: a fixed scale (4 px empty, 14 px at 150 %), not "largest on this map"
    res = evacuate(_two_towns(), capacity=False)
    layers = _map_layers(res.map(tiles=False))
    r = [f["properties"]["_r"] for f in layers["shelters"]["data"]["features"]]
    assert r == [pytest.approx(4 + 10 * np.sqrt(0.8 / 1.5), abs=0.05)]
    # half full and over full: sizes follow the load
    shelters = _pts({"shelter_id": ["SW", "SE"], "capacity": [200, 600], "kind": ["shelter", "shelter"]},
                    [(200, 200), (1000, 0)])
    res = evacuate(_two_towns(shelters=shelters, hazards=[_flood_on_bridge()]), capacity=False)
    sh = res.shelters.set_index("shelter_id")
    assert sh.loc["SW", "utilisation"] == 0.5 and sh.loc["SE", "utilisation"] == 0.5
    layers = _map_layers(res.map(tiles=False))
    r = [f["properties"]["_r"] for f in layers["shelters"]["data"]["features"]]
    assert r == [pytest.approx(4 + 10 * np.sqrt(0.5 / 1.5), abs=0.05)] * 2
    # an unreachable village is not drawn in a shelter-load colour
    villages = _pts({"village_id": ["VW", "VE", "VX"], "population": [100, 300, 5]}, [(0, 0), (1200, 200), (0, 5000)])
    res = evacuate(_two_towns(villages=villages, shelters=shelters.assign(capacity=[50, 50])), capacity=False)
    layers = _map_layers(res.map(tiles=False))
    assert len(layers["unreachable"]["data"]["features"]) == 1
    assert set(layers["unreachable"]["palette"]).isdisjoint(layers["shelters"]["palette"])


def test_report_names_over_capacity_shelters_and_unnamed_roads():
    shelters = _pts({"shelter_id": ["SW"], "capacity": [100], "kind": ["shelter"]}, [(200, 200)])
    study = _two_towns(shelters=shelters)
    text = "\n".join(evacuate(study, capacity=False).report_lines())
    assert "Shelters over capacity: 1 (300 people above capacity" in text
    assert "Shelters over capacity" not in "\n".join(evacuate(study, capacity=True).report_lines())
    # the bridge has a name; an unnamed critical road is labelled by its class and id, not an edge row
    text = "\n".join(evacuate(_two_towns(shelters=shelters, bridge_name=None), capacity=False).report_lines())
    assert "Most critical road: unnamed tertiary (road_id 999)" in text


def test_public_outputs_drop_sensitive_columns_whatever_their_case(tmp_path):
    import pyogrio

    shelters = _pts({"shelter_id": ["SW"], "capacity": [500], "kind": ["shelter"], "Phone": ["081-111-2222"],
                     "CONTACT": ["Khun A"]}, [(200, 200)])
    res = evacuate(_two_towns(shelters=shelters), capacity=False)
    paths = res.write(tmp_path / "pub", public=True, tiles=False)
    cols = set(pyogrio.read_dataframe(paths[1], layer="shelters").columns)
    assert {"Phone", "CONTACT"}.isdisjoint(cols) and "shelter_id" in cols
    assert "081-111-2222" not in paths[0].read_text(encoding="utf-8")
    full = res.write(tmp_path / "full", tiles=False)
    assert "Phone" in set(pyogrio.read_dataframe(full[1], layer="shelters").columns)


# ---------------------------------------------------------------------------------------------
# people cut off by one road's loss, against removing every road in turn
# ---------------------------------------------------------------------------------------------
def _cut_off_brute_force(res) -> tuple[dict[str, set[int]], dict[int, int]]:
    """Remove each road segment in turn and look again for an eligible shelter (undirected, open roads).

    Segments are the roads of the network split at the villages and shelters (a village midway between two
    junctions has a way out on each side).  Returns, per reached origin, the segments whose loss alone leaves it
    no shelter, and the ``road_id`` of each segment.
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    net = res.network  # split at the villages and shelters: each one's node is its nearest node
    kd = cKDTree(np.column_stack([net.x, net.y]))
    a = res.assignments.drop_duplicates("origin_id")
    reached = a[a["status"] != "unreachable"]
    onode = kd.query(shapely.get_coordinates(reached.geometry))[1]
    snode = kd.query(shapely.get_coordinates(res.shelters[res.shelters["eligible"]].geometry))[1]
    pair = np.minimum(net.u, net.v).astype(np.int64) * net.n_nodes + np.maximum(net.u, net.v)
    ce = res.settings["_closed_edges"]  # closed segments, as (u, v) of this network
    closed = np.isin(pair, np.minimum(ce["u"], ce["v"]).to_numpy(np.int64) * net.n_nodes
                     + np.maximum(ce["u"], ce["v"]).to_numpy(np.int64))
    road = net.edge_data["road_id"].to_numpy()

    def labels(keep: np.ndarray) -> np.ndarray:
        m = csr_array((np.ones(int(keep.sum())), (net.u[keep], net.v[keep])), shape=(net.n_nodes, net.n_nodes))
        return connected_components(m, directed=False)[1]

    # people inside a closed area walk out along its closed roads: they may join the open roads at any
    # junction of their closed area that has an open road
    on_open = np.zeros(net.n_nodes, bool)
    on_open[net.u[~closed]] = on_open[net.v[~closed]] = True
    lab_c = labels(closed)
    entries = [np.flatnonzero(on_open & (lab_c == lab_c[n])) if not on_open[n] else np.array([n]) for n in onode]
    ids = reached["origin_id"].to_numpy()

    def stranded(keep: np.ndarray) -> np.ndarray:
        lab = labels(keep)
        return np.array([not np.isin(lab[e], lab[snode]).any() for e in entries])

    cuts: dict[str, set[int]] = {o: set() for o in ids}
    road_of: dict[int, int] = {}
    for seg in np.unique(pair[~closed]):
        road_of[int(seg)] = int(road[pair == seg][0])
        for o in ids[stranded(~closed & (pair != seg))]:
            cuts[o].add(int(seg))
    return cuts, road_of


def _check_cut_off(res) -> int:
    """Check critical roads, ``cut_off_road`` and the summary against :func:`_cut_off_brute_force`."""
    cuts, road_of = _cut_off_brute_force(res)
    people = res.assignments.groupby("origin_id")["population"].sum()  # whatever their shelter shares
    iso = {s: float(sum(people[o] for o, ss in cuts.items() if s in ss)) for s in set().union(*cuts.values())}
    iso = {s: v for s, v in iso.items() if v > 0}
    # a road isolates the most people any of its segments does
    by_road: dict[int, float] = {}
    for s, v in iso.items():
        by_road[road_of[s]] = max(by_road.get(road_of[s], 0.0), v)
    crit = res.critical_roads
    got = crit[crit["isolated_population"] > 0].set_index("road_id")["isolated_population"].to_dict()
    assert got == pytest.approx(by_road)
    road_of_edge = crit.set_index("edge")["road_id"]
    assert (res.assignments.groupby("origin_id")["cut_off_road"].nunique(dropna=False) == 1).all()
    by_origin = res.assignments.drop_duplicates("origin_id").set_index("origin_id")["cut_off_road"]
    n = 0
    for o, edge in by_origin.items():
        segs = {s for s in cuts.get(o, set()) if s in iso}
        if not segs:
            assert pd.isna(edge), (o, edge)
            continue
        n += 1
        # the road named holds a segment that cuts this origin off, with as many people as any segment that does
        most = max(iso[s] for s in segs)
        assert any(road_of[s] == road_of_edge[int(edge)] and iso[s] == most for s in segs), (o, edge)
    cut_people = float(sum(people[o] for o, e in by_origin.items() if pd.notna(e)))
    dist = res.summary[res.summary["level"] == "district"]
    assert dist["cut_off_by_one_road"].sum() == pytest.approx(cut_people)
    # shares are rounded to 4 decimals like the other shares
    assert np.allclose(dist["share_cut_off_by_one_road"], dist["cut_off_by_one_road"] / dist["population"], atol=5e-5)
    return n


def test_cut_off_road_matches_removing_each_road_on_a_generated_network():
    rng = np.random.default_rng(11)
    n = 6
    g = nx.grid_2d_graph(n, n)
    for e in g.edges:
        g.edges[e]["w"] = rng.random()
    tree = nx.minimum_spanning_tree(g, weight="w")
    extra = [e for e in g.edges if not tree.has_edge(*e)]
    keep = list(tree.edges) + [extra[i] for i in rng.choice(len(extra), 5, replace=False)]
    # dead-end spurs off the east side make bridges with people behind them
    lines = [shapely.LineString([(X0 + 100 * a[0], Y0 + 100 * a[1]), (X0 + 100 * b[0], Y0 + 100 * b[1])])
             for a, b in keep]
    lines += [shapely.LineString([(X0 + 500, Y0 + 100 * j), (X0 + 650, Y0 + 100 * j)]) for j in (1, 4)]
    roads = gpd.GeoDataFrame({"road_id": range(len(lines)), "highway": "residential", "oneway": False},
                             geometry=lines, crs=UTM47)
    # villages beside the middle of random roads (the network is split there) and on some junctions
    mids = shapely.line_interpolate_point(roads.geometry.values, 0.5, normalized=True)
    pick = rng.choice(len(roads), 10, replace=False)
    vx = np.r_[shapely.get_x(mids[pick]) + 10, X0 + 100 * rng.integers(0, n, 3), X0 + 650]
    vy = np.r_[shapely.get_y(mids[pick]) + 10, Y0 + 100 * rng.integers(0, n, 3), Y0 + 400]
    villages = gpd.GeoDataFrame({"village_id": [f"V{i}" for i in range(len(vx))],
                                 "population": rng.integers(10, 500, len(vx))},
                                geometry=shapely.points(vx, vy), crs=UTM47)
    shelters = _pts({"shelter_id": ["S1", "S2"], "capacity": [10_000, 10_000], "kind": ["shelter"] * 2},
                    [(0, 0), (300, 500)])
    districts = gpd.GeoDataFrame({"district_id": ["DW", "DE"]},
                                 geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 250, Y0 + 700),
                                           shapely.box(X0 + 250, Y0 - 50, X0 + 700, Y0 + 700)], crs=UTM47)
    study = StudyArea.from_layers({"roads": roads, "villages": villages, "shelters": shelters,
                                   "districts": districts}, crs=UTM47)
    res = evacuate(study, capacity=False, max_minutes=10_000, max_snap_m=50)
    assert _check_cut_off(res) >= 3
    # the capacity-aware assignment splits villages over shelters: each share row names the same road
    assert _check_cut_off(evacuate(study, max_minutes=10_000, max_snap_m=50)) >= 3


def test_cut_off_road_matches_removing_each_road_on_the_hand_study(hand_study):
    from safegeo.study import load_study

    study = load_study(hand_study)
    # no hazard: V1 (x=250) hangs west of the clinic S1 (x=400); nobody else depends on one road
    res = evacuate(study, hazards="none", capacity=False)
    assert _check_cut_off(res) == 1
    by_origin = res.assignments.set_index("origin_id")["cut_off_road"]
    assert pd.isna(by_origin["V2"]) and pd.isna(by_origin["V3"])
    road = res.critical_roads.set_index("edge").loc[int(by_origin["V1"])]
    assert road["road_id"] == 1 and road["isolated_population"] == 100
    # the flood takes the clinic out and closes the road west of x=750: V1 wades out along it, then everyone
    # goes east on one road to the hall S2 (x=1900); roads 3 and 4 each cut all 600 off, road 2 the west 300
    res = evacuate(study, capacity=False)
    assert _check_cut_off(res) == 3
    crit = res.critical_roads.set_index("road_id")["isolated_population"]
    assert crit[3] == crit[4] == 600 and crit[2] == 300
    assert set(res.critical_roads.set_index("edge").loc[res.assignments["cut_off_road"].astype(int), "road_id"]) <= {3, 4}
    summ = res.summary.set_index("area_id")
    assert summ.loc["T1", "cut_off_by_one_road"] == 300 and summ.loc["T2", "share_cut_off_by_one_road"] == 1.0
