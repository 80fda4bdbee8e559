"""Response-time coverage: multi-source times against networkx, village status, bands, outputs, demo."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import UTM47, X0, Y0, grid_roads

from safegeo.network import RoadNetwork, from_lines
from safegeo.vehicles.response import (
    isochrone_bands,
    node_response_times,
    response_coverage,
    response_map,
    write_response,
)


def _random_net(side: int = 20, seed: int = 2) -> RoadNetwork:
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    idx = ii * side + jj
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    return RoadNetwork.from_arrays(X0 + jj.ravel() * 100.0, Y0 + ii.ravel() * 100.0, u, v, crs=UTM47,
                                   highway=rng.choice(np.array(["residential", "primary", "track"]), len(u)),
                                   oneway=rng.random(len(u)) < 0.2,
                                   speeds_kph={"residential": 30, "primary": 70, "track": 15})


def test_node_times_match_networkx_multi_source_from_the_bases() -> None:
    net = _random_net()
    bases = np.array([3, 150, 377, 150])
    t_s, src = node_response_times(net, bases)
    expect = nx.multi_source_dijkstra_path_length(net.to_networkx(), {int(b) for b in bases}, weight="travel_time")
    got = {i: t for i, t in enumerate(t_s) if np.isfinite(t)}
    assert got.keys() == expect.keys()
    np.testing.assert_allclose([got[k] for k in sorted(got)], [expect[k] for k in sorted(expect)], rtol=1e-9)
    # the nearest base is reported, and time from it equals the minimum
    assert set(np.unique(src)) <= {0, 1, 2}
    assert src[377] == 2 and t_s[377] == 0.0


# -- a hand-checkable town: 4x4 grid, 100 m residential blocks at 30 km/h = 12 s per block ------------------
def _town():
    net = from_lines(grid_roads(4), params={"speeds_kph": {"residential": 30.0}})
    villages = gpd.GeoDataFrame(
        {"village_id": ["NEAR", "MID", "FAR", "LOST"], "population": [100, 200, 300, 50],
         "name_en": ["Near", "Mid", "Far", "Lost"]},
        geometry=[shapely.Point(X0 + 100, Y0), shapely.Point(X0 + 200, Y0), shapely.Point(X0 + 300, Y0 + 300),
                  shapely.Point(X0 + 5000, Y0)], crs=UTM47)
    districts = gpd.GeoDataFrame({"district_id": ["W", "E"], "name_en": ["West", "East"]},
                                 geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 350),
                                           shapely.box(X0 + 150, Y0 - 50, X0 + 350, Y0 + 350)], crs=UTM47)
    fleet = gpd.GeoDataFrame({"vehicle_id": ["A1", "A2", "F1"], "type": ["ambulance", "ambulance", "fire_engine"],
                              "status": ["available", "maintenance", "maintenance"],
                              "contact": ["081-555-0101", "081-555-0102", "081-555-0103"]},
                             geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 300, Y0 + 300),
                                       shapely.Point(X0, Y0)], crs=UTM47)
    return net, villages, districts, fleet


def test_village_status_against_hand_computed_times() -> None:
    net, villages, districts, fleet = _town()
    res = response_coverage(net, fleet, villages, districts=districts, targets_min={"ambulance": 0.5},
                            max_snap_m=200, isochrones=False)
    amb = res.villages[res.villages["vehicle_type"] == "ambulance"].set_index("village_id")
    # A1 at the corner: Near is 1 block (12 s), Mid 2 blocks (24 s), Far 6 blocks (72 s) > 30 s target
    assert amb.loc["NEAR", "time_min"] == pytest.approx(12 / 60, abs=0.01)
    assert amb.loc["MID", "time_min"] == pytest.approx(24 / 60, abs=0.01)
    assert amb.loc["FAR", "time_min"] == pytest.approx(72 / 60, abs=0.01)
    assert list(amb["status"]) == ["within_target", "within_target", "beyond_target", "off_network"]
    assert np.isnan(amb.loc["LOST", "time_min"])
    assert amb.loc["NEAR", "nearest_vehicle"] == "A1"
    assert list(amb["district"].fillna("-")) == ["West", "East", "East", "-"]
    assert list(amb["in_area"]) == [True, True, True, False]  # LOST is outside every district
    fire = res.villages[res.villages["vehicle_type"] == "fire_engine"]
    assert set(fire["status"]) == {"no_vehicle", "off_network"}
    assert any("no available fire_engine" in n for n in res.notes)
    # the ambulance in maintenance would have served FAR at once
    fixed = fleet.assign(status="available")
    res2 = response_coverage(net, fixed, villages, targets_min={"ambulance": 0.5}, max_snap_m=200, isochrones=False)
    far = res2.villages[(res2.villages["vehicle_type"] == "ambulance") & (res2.villages["village_id"] == "FAR")]
    assert far["time_min"].iloc[0] == 0.0 and far["nearest_vehicle"].iloc[0] == "A2"


def test_summary_rows_add_up_to_the_study_total() -> None:
    net, villages, districts, fleet = _town()
    res = response_coverage(net, fleet, villages, districts=districts, targets_min={"ambulance": 0.5},
                            max_snap_m=200, isochrones=False)
    s = res.summary
    amb = s[s["vehicle_type"] == "ambulance"].set_index("area_id")
    assert list(amb["level"]) == ["district", "district", "study"]
    assert amb.loc["ALL", "villages"] == 4 and amb.loc["ALL", "within_target"] == 2
    assert amb.loc["ALL", "beyond_target"] == 1 and amb.loc["ALL", "unreachable"] == 1
    parts = amb.drop(index="ALL")
    # LOST lies outside every district: the districts add up to the study less that village
    for col in ("villages", "within_target", "beyond_target"):
        assert parts[col].sum() == amb.loc["ALL", col] - (1 if col == "villages" else 0)
    assert parts["population"].sum() == amb.loc["ALL", "population"] - 50
    assert amb.loc["ALL", "share_population_within_target"] == pytest.approx(300 / 650, abs=1e-4)
    assert amb.loc["ALL", "vehicles_available"] == 1
    assert amb.loc["W", "median_min"] == pytest.approx(0.2) and amb.loc["E", "max_min"] == pytest.approx(1.2)
    unserved = res.unserved
    assert len(unserved) == (res.villages["status"] != "within_target").sum()
    amb_unserved = unserved[unserved["vehicle_type"] == "ambulance"]
    assert list(amb_unserved["village_id"]) == ["FAR", "LOST"]  # by district name: "East", then none


def test_hazard_closures_make_villages_unreachable() -> None:
    net, villages, districts, fleet = _town()
    # close every edge into the far corner node
    far_node = int(np.argmin(np.hypot(net.x - (X0 + 300), net.y - (Y0 + 300))))
    cost = np.where(net.v == far_node, np.inf, net.time_s)
    res = response_coverage(net, fleet, villages, edge_cost_s=cost, max_snap_m=200, isochrones=False,
                            vehicle_types=["ambulance"])
    far = res.villages.set_index("village_id").loc["FAR"]
    assert far["status"] == "unreachable" and np.isnan(far["time_min"])


def test_under_a_flood_boats_cross_the_water_and_road_vehicles_do_not() -> None:
    from safegeo.study import HazardSource, StudyArea
    from safegeo.vehicles.response import response_for_study

    flood = shapely.box(X0 + 150, Y0 + 150, X0 + 450, Y0 + 450)  # the middle of a 7x7 grid
    hz = HazardSource("flood", "flood", polygons=gpd.GeoDataFrame(
        {"hazard_id": ["F1"], "kind": ["flood"], "severity": ["high"]}, geometry=[flood], crs=UTM47))
    villages = gpd.GeoDataFrame({"village_id": ["WET", "DRY"], "population": [100, 100]},
                                geometry=[shapely.Point(X0 + 300, Y0 + 300), shapely.Point(X0 + 100, Y0)], crs=UTM47)
    study = StudyArea.from_layers({"roads": grid_roads(7), "villages": villages}, crs=UTM47, hazards=[hz])
    fleet = gpd.GeoDataFrame({"vehicle_id": ["AMB", "BOAT"], "type": ["ambulance", "rescue_boat"]},
                             geometry=[shapely.Point(X0, Y0), shapely.Point(X0, Y0)], crs=UTM47)
    res = response_for_study(study, fleet, hazard="flood", isochrones=False)
    st = res.villages.set_index(["vehicle_type", "village_id"])["status"]
    assert st["ambulance", "WET"] == "unreachable" and st["ambulance", "DRY"] == "within_target"
    assert st["rescue_boat", "WET"] == "within_target"
    dry = response_for_study(study, fleet, isochrones=False)
    wet_t = res.villages.set_index(["vehicle_type", "village_id"])["time_min"]
    assert wet_t["rescue_boat", "WET"] == dry.villages.set_index(["vehicle_type", "village_id"])["time_min"][
        "ambulance", "WET"]


def test_isochrone_bands_are_disjoint_and_contain_their_nodes() -> None:
    net = _random_net(side=30, seed=6)
    t_s, _ = node_response_times(net, np.array([0, 870]))
    bands = (1.0, 2.0, 4.0)
    iso = isochrone_bands(net, t_s, bands, cell_m=50, reach_m=50)
    assert list(iso["max_minutes"]) == sorted(iso["max_minutes"])
    geoms = iso.geometry.to_numpy()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert shapely.intersection(geoms[i], geoms[j]).area < 1.0
    # a reached node lies in its own band or a faster one (the grid keeps the fastest time of a cell)
    minutes = t_s / 60.0
    for k, hi in enumerate(bands):
        lo = 0.0 if k == 0 else bands[k - 1]
        sel = (minutes > lo) & (minutes <= hi)
        upto = shapely.union_all(geoms[iso["max_minutes"].to_numpy() <= hi]).buffer(1.0)
        assert shapely.covers(upto, shapely.points(net.x[sel], net.y[sel])).all()
    # and nodes far from every node reached in time (more than an edge + reach + two cells) are outside
    from scipy.spatial import cKDTree

    reached = minutes <= bands[-1]
    gap, _ = cKDTree(np.column_stack([net.x[reached], net.y[reached]])).query(np.column_stack([net.x, net.y]))
    beyond = gap > 100 + 50 + 2 * 50
    assert beyond.sum() > 50
    everything = shapely.union_all(geoms)
    assert not shapely.covers(everything, shapely.points(net.x[beyond], net.y[beyond])).any()


def test_isochrone_bands_with_more_edges_than_samples_still_cover_the_reached_nodes() -> None:
    # a province with more road edges than max_samples: the grid coarsens until every edge is its two ends
    # (it used to coarsen past that, sample nothing usable and fail on an empty array)
    net = _random_net(side=30, seed=6)
    t_s, _ = node_response_times(net, np.array([0, 870]))
    iso = isochrone_bands(net, t_s, (1.0, 2.0, 4.0), cell_m=50, reach_m=50, max_samples=net.n_edges)
    assert len(iso) > 0
    reached = t_s / 60.0 <= 4.0
    everything = shapely.union_all(iso.geometry.to_numpy()).buffer(1.0)
    assert shapely.covers(everything, shapely.points(net.x[reached], net.y[reached])).all()


def test_outputs_are_written_and_public_drops_contacts(tmp_path: Path) -> None:
    net, villages, districts, fleet = _town()
    res = response_coverage(net, fleet, villages, districts=districts, targets_min={"ambulance": 0.5},
                            max_snap_m=200, cell_m=25, bands_min=(0.25, 0.5, 1.0))
    paths = write_response(res, tmp_path / "out", network=net, public=True, tiles=False)
    assert [p.name for p in paths] == ["response.html", "response.gpkg", "response_summary.csv"]
    layers = set(pyogrio.list_layers(paths[1])[:, 0])
    assert layers == {"villages", "unserved", "isochrones", "vehicles", "summary", "nodes"}
    assert "contact" not in pyogrio.read_dataframe(paths[1], layer="vehicles").columns
    assert "081-555-0101" not in paths[0].read_text(encoding="utf-8")
    summary = pd.read_csv(paths[2])
    assert set(summary["area_id"]) == {"W", "E", "ALL"} and set(summary["level"]) == {"district", "study"}
    nodes = pyogrio.read_dataframe(paths[1], layer="nodes")
    assert nodes["ambulance_min"].min() == 0.0
    kinds = {name: pyogrio.read_info(paths[1], layer=name)["geometry_type"] for name in layers - {"summary"}}
    assert kinds == {"villages": "Point", "unserved": "Point", "isochrones": "MultiPolygon", "vehicles": "Point",
                     "nodes": "Point"}


def test_empty_layers_keep_their_geometry_type(tmp_path: Path) -> None:
    net, villages, _, fleet = _town()
    everyone = villages[villages["village_id"] != "LOST"]
    res = response_coverage(net, fleet.iloc[:1], everyone, targets_min={"ambulance": 60}, max_snap_m=200,
                            isochrones=False)
    assert res.unserved.empty and res.isochrones.empty
    gpkg = write_response(res, tmp_path, tiles=False)[1]
    for name, kind in (("unserved", "Point"), ("isochrones", "MultiPolygon")):
        info = pyogrio.read_info(gpkg, layer=name)
        assert (info["geometry_type"], info["features"], info["crs"]) == (kind, 0, UTM47), name
    assert "081-555-0101" in response_map(res, tiles=False).to_html()


@pytest.mark.browser
def test_response_map_in_a_browser(tmp_path: Path, browser) -> None:
    net, villages, districts, fleet = _town()
    res = response_coverage(net, fleet, villages, districts=districts, targets_min={"ambulance": 0.5},
                            max_snap_m=200, cell_m=25, bands_min=(0.25, 0.5, 1.0))
    html = response_map(res, tiles=False).save(tmp_path / "response.html")
    with browser.open(html) as page:
        assert not page.page_errors and not page.console_errors and not page.blocked_requests
        assert "Response time: Ambulance" in page.layer_names
        assert "Villages beyond the response target: Ambulance" in page.layer_names
        assert page.drawn_counts["Villages beyond the response target: Ambulance"] == 2  # FAR and LOST
        assert page.drawn_counts["Available vehicles"] == 1
        assert page.drawn_counts["Vehicles not available"] == 2
        assert page.canvas_pixels > 0


@pytest.fixture(scope="module")
def demo_study(tmp_path_factory: pytest.TempPathFactory):
    from safegeo.generate import generate_demo
    from safegeo.study import load_study

    return load_study(generate_demo(tmp_path_factory.mktemp("demo") / "data"))


def test_demo_step_imports_the_fleet_and_writes_the_maps(demo_study, tmp_path: Path) -> None:
    from safegeo.vehicles.registry import Registry
    from safegeo.vehicles.response import demo_step

    paths = demo_step(demo_study, tmp_path / "response")
    assert paths[0].name == "response.html"
    assert {p.name for p in paths} >= {"response.html", "response.gpkg", "response_summary.csv", "vehicles.db",
                                       "dispatch.html"}
    assert all(p.exists() for p in paths)
    with Registry(tmp_path / "response" / "vehicles.db", create=False) as reg:
        assert len(reg.vehicles()) == len(demo_study.layers["vehicles"])
    summary = pd.read_csv(tmp_path / "response" / "response_summary.csv")
    assert (summary.loc[summary["level"] == "study", "villages"] == len(demo_study.layers["villages"])).all()
