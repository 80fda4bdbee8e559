"""Nearest-available dispatch: ETAs against networkx, eligibility, hazards and boats, routes, maps."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from conftest import UTM47, X0, Y0, grid_roads

from safegeo import SnapError
from safegeo.network import RoadNetwork, from_lines
from safegeo.study import HazardSource, StudyArea
from safegeo.vehicles.dispatch import Dispatcher, dispatch_for_study, dispatch_map
from safegeo.vehicles.registry import VehicleDataError


def _grid_network(side: int = 25, seed: int = 3) -> RoadNetwork:
    """A side × side grid, 100 m blocks, mixed road classes and ~15 % one-way streets."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    idx = ii * side + jj
    x = X0 + jj.ravel() * 100.0
    y = Y0 + ii.ravel() * 100.0
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    hw = rng.choice(np.array(["residential", "primary", "track", "secondary"]), len(u))
    oneway = rng.random(len(u)) < 0.15
    return RoadNetwork.from_arrays(x, y, u, v, crs=UTM47, highway=hw, oneway=oneway,
                                   speeds_kph={"residential": 30, "primary": 70, "track": 15, "secondary": 50})


def _fleet(net: RoadNetwork, n: int, seed: int = 5) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    nodes = rng.choice(net.n_nodes, n, replace=False)
    return gpd.GeoDataFrame({
        "vehicle_id": [f"V{i:03d}" for i in range(n)],
        "type": rng.choice(np.array(["ambulance", "fire_engine", "rescue_truck", "rescue_boat"]), n),
        "status": rng.choice(np.array(["available", "maintenance", "dispatched"]), n, p=[0.7, 0.2, 0.1]),
        "capabilities": rng.choice(np.array(["", "4x4", "high_clearance", "4x4,high_clearance"]), n),
        "contact": [f"08{i:08d}" for i in range(n)],
    }, geometry=shapely.points(net.x[nodes] + 7, net.y[nodes] - 4), crs=UTM47).to_crs(4326)


@pytest.fixture(scope="module")
def net() -> RoadNetwork:
    return _grid_network()


def test_etas_match_networkx_dijkstra_from_base_to_incident(net: RoadNetwork) -> None:
    fleet = _fleet(net, 60)
    d = Dispatcher(net, fleet)
    # the bases joined their roads where they stand (7 m along, 4 m off): the network has a node at each
    assert (d.vehicles["node"] >= net.n_nodes).all() and d.network.n_nodes == net.n_nodes + 60
    g = d.network.to_networkx()
    rng = np.random.default_rng(11)
    for node in rng.choice(net.n_nodes, 8, replace=False):
        res = d.dispatch((net.x[node], net.y[node]), at_crs=UTM47, n=4, vehicle_type="ambulance")
        inc = int(node)  # the incident is at a junction (the original nodes keep their numbers)
        assert res.incident["snap_m"].iloc[0] == 0
        # independent: time from every eligible base to the incident (directed: base -> incident)
        to_inc = nx.single_source_dijkstra_path_length(g.reverse(copy=False), inc, weight="travel_time")
        eligible = d.vehicles[(d.vehicles["type"] == "ambulance") & (d.vehicles["status"] == "available")]
        expect = sorted((to_inc[int(nd)], vid) for nd, vid in zip(eligible["node"], eligible["vehicle_id"])
                        if int(nd) in to_inc)[:4]
        np.testing.assert_allclose(res.proposals["eta_s"], [t for t, _ in expect], rtol=1e-9)
        assert list(res.proposals["vehicle_id"]) == [v for _, v in expect]
        assert list(res.proposals["rank"]) == [1, 2, 3, 4]
        others = set(eligible["vehicle_id"]) - set(res.proposals["vehicle_id"])
        reasons = res.excluded.set_index("vehicle_id")["reason"]
        assert {reasons[v] for v in others} == {"not among the 4 nearest"}
        # the route is the fastest one: its edges' times add up to the ETA and it runs base -> incident
        for row in res.proposals.itertuples():
            base_node = int(d.vehicles.loc[d.vehicles["vehicle_id"] == row.vehicle_id, "node"].iloc[0])
            start, end = shapely.get_coordinates(row.geometry)[[0, -1]]
            np.testing.assert_allclose(start, [d.network.x[base_node], d.network.y[base_node]])
            np.testing.assert_allclose(end, [net.x[inc], net.y[inc]])
            assert row.distance_m == pytest.approx(row.geometry.length)


def test_travel_time_is_directed() -> None:
    # a one-way loop: 0 -> 1 -> 2 -> 0, 100 m edges; from 1 to 0 takes two edges, from 0 to 1 one
    x = np.array([X0, X0 + 100, X0 + 50])
    y = np.array([Y0, Y0, Y0 + 86.6])
    net = RoadNetwork.from_arrays(x, y, np.array([0, 1, 2]), np.array([1, 2, 0]), crs=UTM47,
                                  oneway=np.ones(3, bool), highway=np.full(3, "residential"),
                                  speeds_kph={"residential": 36.0})
    fleet = gpd.GeoDataFrame({"vehicle_id": ["A"], "type": ["ambulance"]},
                             geometry=[shapely.Point(X0 + 100, Y0)], crs=UTM47)
    res = Dispatcher(net, fleet).dispatch((X0, Y0), at_crs=UTM47, n=1)
    # base at node 1, incident at node 0: 1 -> 2 -> 0 is 2 x 100 m at 10 m/s
    assert res.proposals["eta_s"].iloc[0] == pytest.approx(20.0, rel=1e-3)
    assert res.proposals["distance_m"].iloc[0] == pytest.approx(200.0, rel=1e-3)


def test_bounded_search_finds_the_same_vehicles_as_a_full_search() -> None:
    net = _grid_network(side=60, seed=8)
    fleet = _fleet(net, 200, seed=9)
    d = Dispatcher(net, fleet)
    from scipy.sparse.csgraph import dijkstra

    rev = d.network.csr("time", reverse=True).matrix
    rng = np.random.default_rng(4)
    for node in rng.choice(net.n_nodes, 10, replace=False):
        for n in (1, 3, 7):
            res = d.dispatch((net.x[node], net.y[node]), at_crs=UTM47, n=n, routes=False)
            full = dijkstra(rev, indices=int(node))
            ok = (d.vehicles["status"] == "available") & (d.vehicles["type"] != "rescue_boat")
            times = np.sort(full[d.vehicles.loc[ok, "node"].to_numpy()])[:n]
            np.testing.assert_allclose(res.proposals["eta_s"], times, rtol=1e-9)


def test_vehicles_not_available_are_never_proposed(net: RoadNetwork) -> None:
    fleet = _fleet(net, 80)
    # a vehicle in maintenance parked right at the incident
    at = (net.x[100], net.y[100])
    broken = gpd.GeoDataFrame({"vehicle_id": ["BROKEN"], "type": ["ambulance"], "status": ["maintenance"]},
                              geometry=[shapely.Point(*at)], crs=UTM47).to_crs(4326)
    fleet = gpd.GeoDataFrame(pd_concat([fleet, broken]), crs=4326)
    d = Dispatcher(net, fleet)
    res = d.dispatch(at, at_crs=UTM47, n=len(fleet))
    assert "BROKEN" not in set(res.proposals["vehicle_id"])
    assert (res.proposals["status"] == "available").all()
    reasons = res.excluded.set_index("vehicle_id")["reason"]
    assert reasons["BROKEN"] == "status maintenance"
    unavailable = set(fleet.loc[fleet["status"] != "available", "vehicle_id"])
    assert unavailable <= set(res.excluded["vehicle_id"])
    assert all(reasons[v].startswith("status ") for v in unavailable)


def pd_concat(frames):  # small helper: keep geometry and CRS
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_needed_capabilities_and_type_filter(net: RoadNetwork) -> None:
    fleet = _fleet(net, 80)
    d = Dispatcher(net, fleet)
    res = d.dispatch((net.x[300], net.y[300]), at_crs=UTM47, n=50, need=["high_clearance"])
    assert len(res.proposals) > 0
    assert all("high_clearance" in c.split(",") for c in res.proposals["capabilities"])
    res = d.dispatch((net.x[300], net.y[300]), at_crs=UTM47, n=50, vehicle_type="fire_engine", need=["4x4"])
    assert set(res.proposals["type"]) == {"fire_engine"}
    assert all("4x4" in c for c in res.proposals["capabilities"])
    with pytest.raises(VehicleDataError, match="unknown capability wings"):
        d.dispatch((net.x[0], net.y[0]), at_crs=UTM47, need=["wings"])
    with pytest.raises(VehicleDataError, match="unknown vehicle type"):
        d.dispatch((net.x[0], net.y[0]), at_crs=UTM47, vehicle_type="tank")


def test_an_incident_far_from_roads_is_refused(net: RoadNetwork) -> None:
    d = Dispatcher(net, _fleet(net, 10), max_snap_m=200)
    with pytest.raises(SnapError, match="from the nearest road"):
        d.dispatch((X0 - 5000, Y0), at_crs=UTM47)


def test_fewer_reachable_vehicles_than_asked_is_said(net: RoadNetwork) -> None:
    fleet = _fleet(net, 30)
    d = Dispatcher(net, fleet)
    n_amb = int(((d.vehicles["type"] == "ambulance") & (d.vehicles["status"] == "available")).sum())
    res = d.dispatch((net.x[5], net.y[5]), at_crs=UTM47, n=n_amb + 5, vehicle_type="ambulance")
    assert len(res.proposals) == n_amb
    assert any(f"only {n_amb} available ambulance" in note for note in res.notes)


# -- floods and boats -------------------------------------------------------------------------------------
@pytest.fixture
def flooded() -> tuple[RoadNetwork, gpd.GeoDataFrame, shapely.Polygon, tuple[float, float]]:
    """A 7x7 grid (100 m) with a flood over its middle; an ambulance and a boat outside it."""
    net = from_lines(grid_roads(7))
    flood = shapely.box(X0 + 150, Y0 + 150, X0 + 450, Y0 + 450)
    fleet = gpd.GeoDataFrame({"vehicle_id": ["AMB", "BOAT", "TRUCK"],
                              "type": ["ambulance", "rescue_boat", "rescue_truck"],
                              "status": ["available", "available", "available"]},
                             geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 600, Y0 + 600),
                                       shapely.Point(X0 + 600, Y0)], crs=UTM47)
    return net, fleet, flood, (X0 + 300, Y0 + 300)


def _closures(net: RoadNetwork, flood: shapely.Polygon) -> np.ndarray:
    """Stand-in for hazards.hazard_edge_costs: close every edge touching the flood."""
    wet = shapely.intersects(net.edge_geometries(), flood)
    return np.where(wet, np.inf, net.time_s)


def test_a_boat_is_proposed_for_a_flooded_incident_only_when_asked(flooded) -> None:
    net, fleet, flood, at = flooded
    d = Dispatcher(net, fleet, edge_cost_s=_closures(net, flood), boat_edge_cost_s=net.time_s, hazard="flood")
    plain = d.dispatch(at, at_crs=UTM47, n=3)
    assert "BOAT" not in set(plain.proposals["vehicle_id"])
    assert plain.proposals.empty  # the road vehicles cannot get through the water
    reasons = plain.excluded.set_index("vehicle_id")["reason"]
    assert reasons["BOAT"].startswith("rescue boat")
    assert reasons["AMB"].startswith("cannot reach the incident")
    assert any("rescue_boat" in note for note in plain.notes)
    boat = d.dispatch(at, at_crs=UTM47, n=3, vehicle_type="rescue_boat")
    assert list(boat.proposals["vehicle_id"]) == ["BOAT"]
    by_need = d.dispatch(at, at_crs=UTM47, n=3, need=["boat"])
    assert list(by_need.proposals["vehicle_id"]) == ["BOAT"]
    # with no hazard the ambulance reaches it and the boat still stays home
    dry = Dispatcher(net, fleet).dispatch(at, at_crs=UTM47, n=3)
    assert set(dry.proposals["vehicle_id"]) == {"AMB", "TRUCK"}


def test_a_truck_carrying_a_boat_crosses_the_flood_only_when_a_boat_is_asked(flooded) -> None:
    net, fleet, flood, at = flooded
    fleet = fleet.assign(type=["ambulance", "pickup_4x4", "rescue_truck"], capabilities=["", "4x4,boat", ""])
    d = Dispatcher(net, fleet, edge_cost_s=_closures(net, flood), boat_edge_cost_s=net.time_s, hazard="flood")
    plain = d.dispatch(at, at_crs=UTM47, n=3)
    assert plain.proposals.empty  # routed as a road vehicle, the pickup is stopped by the water too
    assert plain.excluded.set_index("vehicle_id")["reason"]["BOAT"].startswith("cannot reach the incident")
    by_type = d.dispatch(at, at_crs=UTM47, n=3, vehicle_type="pickup_4x4")
    assert by_type.proposals.empty
    asked = d.dispatch(at, at_crs=UTM47, n=3, need=["boat"])
    assert list(asked.proposals["vehicle_id"]) == ["BOAT"]
    assert asked.proposals["eta_s"].iloc[0] == pytest.approx(d.dispatch(
        at, at_crs=UTM47, n=3, need=iter(["boat"])).proposals["eta_s"].iloc[0])  # any iterable of needs


def test_bounded_search_stops_once_every_candidate_is_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    import safegeo.vehicles.dispatch as dispatch_mod

    net = _grid_network(side=60, seed=8)
    centre = 30 * 60 + 30
    fleet = gpd.GeoDataFrame({"vehicle_id": ["A", "B"], "type": ["ambulance", "ambulance"]},
                             geometry=[shapely.Point(net.x[centre + 2], net.y[centre + 2]),
                                       shapely.Point(net.x[centre - 60], net.y[centre - 60])], crs=UTM47)
    settled: list[int] = []
    real = dispatch_mod.dijkstra

    def counting(*args, **kwargs):
        dist, pred = real(*args, **kwargs)
        settled.append(int(np.isfinite(dist).sum()))
        return dist, pred

    monkeypatch.setattr(dispatch_mod, "dijkstra", counting)
    res = Dispatcher(net, fleet).dispatch((net.x[centre], net.y[centre]), at_crs=UTM47, n=5)
    assert sorted(res.proposals["vehicle_id"]) == ["A", "B"]
    assert any("only 2 available" in note for note in res.notes)
    # asking for more vehicles than there are must not search the whole network
    assert settled[-1] < net.n_nodes / 4, settled


def test_dispatch_for_study_applies_the_named_hazard(flooded) -> None:
    net, fleet, flood, at = flooded
    hz = HazardSource("flood", "flood", polygons=gpd.GeoDataFrame(
        {"hazard_id": ["F1"], "kind": ["flood"], "severity": ["high"]}, geometry=[flood], crs=UTM47))
    study = StudyArea.from_layers({"roads": grid_roads(7)}, crs=UTM47, hazards=[hz])
    lonlat = gpd.GeoSeries([shapely.Point(at)], crs=UTM47).to_crs(4326).iloc[0]
    wet = dispatch_for_study(study, fleet, (lonlat.x, lonlat.y), hazard="flood")
    assert wet.proposals.empty and wet.hazard == "flood"
    boat = dispatch_for_study(study, fleet, (lonlat.x, lonlat.y), hazard="flood", vehicle_type="rescue_boat")
    assert list(boat.proposals["vehicle_id"]) == ["BOAT"]
    dry = dispatch_for_study(study, fleet, (lonlat.x, lonlat.y))
    assert list(dry.proposals["vehicle_id"])[0] in {"AMB", "TRUCK"}


def test_records_and_map_respect_public(tmp_path, net: RoadNetwork) -> None:
    fleet = _fleet(net, 40)
    d = Dispatcher(net, fleet)
    res = d.dispatch((net.x[200], net.y[200]), at_crs=UTM47, n=2)
    recs = res.to_records()
    assert {"vehicle_id", "type", "eta_s", "distance_m", "contact"} <= set(recs[0])
    assert "contact" not in res.to_records(public=True)[0]
    contact = recs[0]["contact"]
    m = dispatch_map(res, fleet=fleet, public=True, tiles=False)
    html = m.to_html()
    assert contact not in html
    assert contact in dispatch_map(res, fleet=fleet, tiles=False).to_html()
    path = m.save(tmp_path / "dispatch.html")
    assert path.exists()


@pytest.mark.browser
def test_dispatch_map_opens_offline_zoomed_on_the_incident(tmp_path, net: RoadNetwork, browser) -> None:
    import pandas as pd

    far = gpd.GeoDataFrame({"vehicle_id": ["FAR"], "type": ["ambulance"], "status": ["available"],
                            "contact": ["099-999-9999"]},
                           geometry=[shapely.Point(X0 + 30_000, Y0 + 30_000)], crs=UTM47).to_crs(4326)
    fleet = gpd.GeoDataFrame(pd.concat([_fleet(net, 40), far], ignore_index=True), crs=4326)
    res = Dispatcher(net, fleet).dispatch((net.x[200], net.y[200]), at_crs=UTM47, n=3)
    contacts = list(fleet["contact"])
    path = dispatch_map(res, fleet=fleet, public=True, tiles=False).save(tmp_path / "dispatch.html")
    with browser.open(path) as page:
        assert page.blocked_requests == [] and page.console_errors == [] and page.page_errors == []
        assert page.dialogs == []
        assert page.layer_names == ["Routes to the incident", "Other vehicles", "Proposed vehicles", "Incident"]
        stats = page.stats
        assert stats["Routes to the incident"]["drawn"] == stats["Proposed vehicles"]["drawn"] == 3
        assert stats["Incident"]["drawn"] == 1
        # the map opens on the incident and its routes: the vehicle 40 km away is off screen
        others = stats["Other vehicles"]
        assert others["features"] == len(fleet) - 3 and others["in_view"] == others["features"] - 1
        assert others["drawn"] >= others["in_view"]
        assert page.canvas_pixels > 500
        first = page.evaluate("() => safegeo.openPopup('Proposed vehicles', 0).textContent")
        assert res.proposals["vehicle_id"].iloc[0] in first
        tip = page.evaluate("() => safegeo.openTooltip('Routes to the incident', 0).textContent")
        assert res.proposals["vehicle_id"].iloc[0] in tip
        html = page.evaluate("() => document.documentElement.outerHTML")
        assert not any(c in html for c in contacts)  # --public: no contact in any popup or data
