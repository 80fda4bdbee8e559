"""The shared core on the demo province: every analysis answers the same question the same way.

* travel times run from each village's own position on its road (checked against an
  independent networkx computation: road-graph Dijkstra plus the partial edges);
* one flood closes the same roads in evacuation, dispatch and response;
* one village lands in the same district and tambon in every analysis's output;
* people standing in the flood leave it along their flooded road.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from safegeo.evacuation import evacuate
from safegeo.study import load_study
from safegeo.vehicles.dispatch import Dispatcher
from safegeo.vehicles.response import response_for_study

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "study.toml"


@pytest.fixture(scope="module")
def demo():
    return load_study(DEMO)


def _attach_nx(g: nx.DiGraph, net, groups: dict[str, np.ndarray], cost: np.ndarray) -> dict[str, list]:
    """Add points to *g* as their own nodes on their nearest road, chained in order along it.

    Each point projects on its nearest road (edge ``u -> v`` at fraction ``t``);
    the points of one road are put in order along it and joined to each other
    and to its ends by the partial edges, in both directions when the road is
    two-way.  Independent of safegeo's attach_points (plain shapely + networkx).
    """
    geoms = net.edge_geometries()
    tree = shapely.STRtree(geoms)
    pairs = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(net.u, net.v, strict=True))}
    on_road: dict[int, list] = {}
    out: dict[str, list] = {}
    for name, pts in groups.items():
        out[name] = []
        for i, (x, y) in enumerate(pts):
            p = shapely.Point(x, y)
            e = int(tree.nearest(p))
            u, v = int(net.u[e]), int(net.v[e])
            tw = pairs.get((v, u))
            if tw is not None and tw < e and np.isclose(net.length_m[tw], net.length_m[e]):
                e, u, v = tw, v, u  # one direction per road
            t = geoms[e].project(p) / geoms[e].length
            on_road.setdefault(e, []).append((t, (name, i)))
            out[name].append((name, i))
    for e, items in on_road.items():
        u, v = int(net.u[e]), int(net.v[e])
        tw = pairs.get((v, u))
        two_way = tw is not None and np.isclose(net.length_m[tw], net.length_m[e])
        items.sort()
        chain = [(0.0, u), *items, (1.0, v)]
        for (ta, a), (tb, b) in zip(chain[:-1], chain[1:], strict=True):
            g.add_edge(a, b, w=(tb - ta) * cost[e])
            if two_way:
                g.add_edge(b, a, w=(tb - ta) * cost[tw])
    return out


def test_village_travel_times_run_from_the_village_on_its_road(demo):
    res = evacuate(demo, hazards="none", capacity=False, routes=False, max_minutes=600)
    net = demo.network()
    g = nx.DiGraph()
    for a, b, c in zip(net.u.tolist(), net.v.tolist(), net.time_s.tolist(), strict=True):
        if not g.has_edge(a, b) or g[a][b]["w"] > c:
            g.add_edge(a, b, w=c)
    vill = demo.layer("villages")
    sh = demo.layer("shelters")
    nodes = _attach_nx(g, net, {"v": shapely.get_coordinates(vill.geometry.values),
                                "s": shapely.get_coordinates(sh.geometry.values)}, net.time_s)
    v_nodes, s_nodes = nodes["v"], nodes["s"]
    to_shelter = nx.multi_source_dijkstra_path_length(g.reverse(copy=False), set(s_nodes), weight="w")
    a = res.assignments.set_index("origin_id")
    got = a.loc[vill["village_id"], "travel_time_s"].to_numpy(float)
    want = np.array([to_shelter.get(n, np.inf) for n in v_nodes])
    assert np.isfinite(want).all()
    # equal up to the 0.5 m within which safegeo lets two points on a road share a node (0.12 s at 15 km/h)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=0.5 / (15 / 3.6))
    # snapping to the nearer end node instead would have been off by up to minutes
    assert (a["snap_m"] > 0).all() and a["snap_m"].max() <= demo.settings("network")["max_snap_m"]


def test_one_flood_closes_the_same_roads_in_every_analysis(demo):
    base = demo.network()
    scenario = demo.scenario("flood")
    closed_base = set(np.flatnonzero(scenario.edges(base).closed).tolist())
    assert len(closed_base) > 50  # the demo flood closes roads

    def closed_roads(net) -> set[int]:
        he = scenario.edges(net)
        return set(np.unique(net.parent_edge[he.closed]).tolist())

    evac = evacuate(demo, hazards="flood", capacity=False, routes=False)
    assert closed_roads(evac.network) == closed_base
    fleet = demo.layer("vehicles")
    d = Dispatcher(base, fleet, scenario=scenario)
    assert closed_roads(d.network) == closed_base
    resp = response_for_study(demo, fleet, hazard="flood", isochrones=False)
    assert closed_roads(resp.network) == closed_base
    # a depth threshold given for this run applies to every analysis alike
    deep = demo.scenario("flood", depth_threshold_m=1.0)
    assert np.flatnonzero(deep.edges(base).closed).size < len(closed_base)


def test_a_village_lands_in_the_same_district_everywhere(demo):
    where = demo.areas.locate(demo.layer("villages").geometry)
    ids = demo.layer("villages")["village_id"].to_numpy()
    truth = dict(zip(ids, where["district_id"], strict=True))
    truth_t = dict(zip(ids, where["tambon_id"], strict=True)) if "tambon_id" in where.columns else None
    evac = evacuate(demo, hazards="none", capacity=False, routes=False)
    a = evac.assignments.drop_duplicates("origin_id")
    assert all(truth[o] == d for o, d in zip(a["origin_id"], a["district_id"], strict=True))
    if truth_t is not None:
        assert all(truth_t[o] == t for o, t in zip(a["origin_id"], a["tambon_id"], strict=True))
    resp = response_for_study(demo, demo.layer("vehicles"), isochrones=False)
    r = resp.villages.drop_duplicates("village_id")
    assert all(truth[o] == d for o, d in zip(r["village_id"], r["district_id"], strict=True))
    # and the per-area rows add up to the study row, in the same shape in both summaries
    for summ in (evac.summary, resp.summary[resp.summary["vehicle_type"] == resp.summary["vehicle_type"].iloc[0]]):
        study_row = summ[summ["level"] == "study"]
        districts = summ[summ["level"] == "district"]
        assert len(study_row) == 1 and study_row["area_id"].iloc[0] == "ALL"
        assert districts["population"].sum() == pytest.approx(study_row["population"].iloc[0])


def test_people_standing_in_the_flood_leave_along_their_flooded_road(demo):
    res = evacuate(demo, hazards="flood", capacity=False, routes=False)
    vill = demo.layer("villages")
    from safegeo.hazards import sample_raster

    src = next(h for h in demo.scenario("flood").sources if h.is_raster)
    depth = sample_raster(str(src.raster_path), shapely.get_coordinates(vill.geometry.values), demo.crs)
    a = res.assignments.set_index("origin_id")
    wet = vill["village_id"].to_numpy()[np.nan_to_num(depth, nan=0.0) > src.depth_threshold_m + 0.2]
    assigned = [v for v in wet if a.loc[v, "status"] == "assigned"]
    assert assigned, "the demo has villages standing in water deeper than the threshold"
    # their road is closed where they stand: they wade or boat out first
    assert all(a.loc[v, "hazard_exit_m"] > 0 for v in assigned)
