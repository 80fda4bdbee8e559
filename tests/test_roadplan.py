"""Road planning: hand-checkable towns across a river, the fast measure against full runs, files, portfolio, CLI."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from conftest import UTM47, X0, Y0, grid_roads, write_study
from pyproj import Transformer

from safegeo._errors import RoadPlanError
from safegeo.evacuation import evacuate_network
from safegeo.roadplan import KINDS, apply_to_network, plan_roads, read_candidates, road_plan_charts
from safegeo.roadplan.benefit import Change, RoutingGraph, driving_rule, evacuation_rule
from safegeo.study import HazardSource, StudyArea

# residential 30 km/h and tertiary 50 km/h (the study defaults)
RES = 30 / 3.6
TER = 50 / 3.6
TO_LL = Transformer.from_crs(UTM47, "EPSG:4326", always_xy=True)


def _ll(x: float, y: float) -> tuple[float, float]:
    return TO_LL.transform(X0 + x, Y0 + y)


def _pts(cols, xy):
    return gpd.GeoDataFrame(cols, geometry=[shapely.Point(X0 + a, Y0 + b) for a, b in xy], crs=UTM47)


def _river_layers(*, flood_detour: bool = False) -> tuple[dict[str, gpd.GeoDataFrame], list[HazardSource]]:
    """A west town (3x3 grid at x 0..200) and an east town (x 1000..1200) with a river between them and no bridge.

    The only road between them is a 3200 m residential detour from (1200, 0) round to (0, 0) (road_id 998).  The
    shelter is in the west town at (200, 200); village VE (300 people) at (1200, 200), VW (100) at (0, 0); an
    ambulance waits at (0, 200).  With *flood_detour* a flood closes the detour.
    """
    west = grid_roads(3)
    east = grid_roads(3, x0=X0 + 1000)
    loop = shapely.LineString([(X0 + 1200, Y0), (X0 + 1200, Y0 - 1000), (X0, Y0 - 1000), (X0, Y0)])
    roads = pd.concat([west, east.assign(road_id=east["road_id"] + 100),
                       gpd.GeoDataFrame({"road_id": [998], "highway": ["residential"]}, geometry=[loop], crs=UTM47)],
                      ignore_index=True)
    roads = gpd.GeoDataFrame(roads, crs=UTM47)
    layers = {
        "roads": roads,
        "villages": _pts({"village_id": ["VW", "VE"], "population": [100, 300], "name_en": ["West", "East"]},
                         [(0, 0), (1200, 200)]),
        "shelters": _pts({"shelter_id": ["SW"], "capacity": [1000], "kind": ["shelter"]}, [(200, 200)]),
        "districts": gpd.GeoDataFrame({"district_id": ["DW", "DE"], "name_en": ["West", "East"]},
                                      geometry=[shapely.box(X0 - 50, Y0 - 1050, X0 + 600, Y0 + 250),
                                                shapely.box(X0 + 600, Y0 - 1050, X0 + 1250, Y0 + 250)], crs=UTM47),
        "rivers": gpd.GeoDataFrame({"name_en": ["River"]},
                                   geometry=[shapely.LineString([(X0 + 600, Y0 - 500), (X0 + 600, Y0 + 600)])],
                                   crs=UTM47),
        "vehicles": _pts({"vehicle_id": ["AMB1"], "type": ["ambulance"], "status": ["available"]}, [(0, 200)]),
    }
    hazards = []
    if flood_detour:
        flood = gpd.GeoDataFrame({"hazard_id": ["F1"], "kind": ["flood"], "severity": ["high"]},
                                 geometry=[shapely.box(X0 + 550, Y0 - 1100, X0 + 650, Y0 - 900)], crs=UTM47)
        hazards = [HazardSource("flood", "flood", polygons=flood)]
    return layers, hazards


def _river_towns(**kw) -> StudyArea:
    layers, hazards = _river_layers(**kw)
    return StudyArea.from_layers(layers, crs=UTM47, hazards=hazards)


def _bridge_file(tmp_path, rows=None):
    a, b = _ll(200, 100), _ll(1000, 100)
    rows = rows or [{"candidate_id": "B1", "kind": "bridge", "name": "River bridge", "from_lon": a[0],
                     "from_lat": a[1], "to_lon": b[0], "to_lat": b[1], "cost": 80}]
    path = tmp_path / "projects.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


# --- hand-checkable towns ------------------------------------------------------------------------
def test_a_bridge_over_the_river_saves_exactly_the_detour(tmp_path):
    study = _river_towns()
    a, b = _ll(200, 100), _ll(1000, 100)
    path = _bridge_file(tmp_path, [
        {"candidate_id": "B1", "kind": "bridge", "from_lon": a[0], "from_lat": a[1], "to_lon": b[0], "to_lat": b[1],
         "cost": 80},
        {"candidate_id": "U1", "kind": "upgrade", "road_id": 998, "highway": "tertiary", "cost": 20},
    ])
    plan = plan_roads(study, candidates=path, budget=None, verify_top=2)
    c = plan.candidates.set_index("candidate_id")
    # before: 200 + 3200 + 400 m of residential road = 456 s; after: 400 m residential + 800 m of tertiary bridge
    before = 3800 / RES
    after = 400 / RES + 800 / TER
    assert c.loc["B1", "benefit_people_min"] == pytest.approx(300 * (before - after) / 60, abs=1e-3)  # 1752
    assert c.loc["B1", "benefit_people_min"] == pytest.approx(1752.0, abs=1e-3)
    assert c.loc["B1", "people_faster"] == 300 and c.loc["B1", "villages_faster"] == 1
    assert c.loc["B1", "people_reconnected"] == 0 and c.loc["B1", "length_m"] == pytest.approx(800)
    # the upgrade of the detour to tertiary: 3200 m at 50 km/h instead of 30
    assert c.loc["U1", "benefit_people_min"] == pytest.approx(300 * (3200 / RES - 3200 / TER) / 60, abs=1e-3)
    assert c.loc["B1", "rank"] == 1 and c.loc["U1", "rank"] == 2
    assert c.loc["B1", "benefit_per_cost"] == pytest.approx(1752.0 / 80, rel=1e-6)
    assert c.loc["U1", "rank_per_cost"] == 1  # 768 / 20 beats 1752 / 80
    # the ambulance in the west town reaches VE over the bridge: 600 m residential + 800 m tertiary
    amb = (3600 / RES - (600 / RES + 800 / TER)) / 60
    assert c.loc["B1", "response_people_min"] == pytest.approx(300 * amb, abs=1e-3)
    assert c.loc["B1", "response_max_gain_min"] == pytest.approx(amb, abs=1e-6)
    # both confirmed by full runs of the evacuation on the network with each built
    assert plan.verification["matches"].all() and len(plan.verification) == 2
    # the route after crosses the bridge and takes 105.6 s
    r = plan.routes[(plan.routes["candidate_id"] == "B1")].set_index("when")
    assert r.loc["after", "travel_time_min"] == pytest.approx(after / 60, abs=0.01)
    assert r.loc["before", "travel_time_min"] == pytest.approx(before / 60, abs=0.01)
    assert r.loc["after", "geometry"].length == pytest.approx(1200, abs=1e-6)
    assert r.loc["before", "geometry"].length == pytest.approx(3800, abs=1e-6)


def test_reconnecting_a_cut_off_town_counts_the_unreachable_minutes(tmp_path):
    study = _river_towns(flood_detour=True)
    path = _bridge_file(tmp_path, [
        {"candidate_id": "B1", "kind": "bridge", **dict(zip(("from_lon", "from_lat"), _ll(200, 100), strict=True)),
         **dict(zip(("to_lon", "to_lat"), _ll(1000, 100), strict=True))},
        {"candidate_id": "F1", "kind": "floodproof", "road_id": 998},
    ])
    plan = plan_roads(study, candidates=path, budget=200, verify_top=2)
    c = plan.candidates.set_index("candidate_id")
    cap = 120 * 60.0  # [roadplan] unreachable_minutes
    assert c.loc["B1", "people_reconnected"] == 300 and c.loc["F1", "people_reconnected"] == 300
    assert c.loc["B1", "benefit_people_min"] == pytest.approx(300 * (cap - (400 / RES + 800 / TER)) / 60, abs=1e-3)
    assert c.loc["F1", "benefit_people_min"] == pytest.approx(300 * (cap - 3800 / RES) / 60, abs=1e-3)
    assert c.loc["B1", "people_newly_within_max"] == 300
    assert plan.verification["matches"].all()
    assert (plan.verification["full_net_reconnected"] == 300).all()
    # costs were estimated (bridge 150, flood-proofing 20 million baht per km)
    assert c.loc["B1", "cost_estimated"] and c.loc["B1", "cost"] == pytest.approx(0.8 * 150)
    assert c.loc["F1", "cost"] == pytest.approx(3.2 * 20)
    # the portfolio (budget 200) takes the flood-proofing first (benefit per cost), then the bridge's extra
    p = plan.portfolio
    assert p["candidate_id"].tolist() == ["F1", "B1"]
    assert p["marginal_benefit_people_min"].iloc[1] == pytest.approx(300 * (3800 / RES - (400 / RES + 800 / TER))
                                                                    / 60, abs=1e-3)
    chk = plan.settings["portfolio_check"]
    assert chk["matches"] and chk["full_people_reconnected"] == 300
    assert p["cumulative_cost"].iloc[-1] <= 200
    s = plan.summary.set_index("area_id")
    assert s.loc["DE", "people_reconnected"] == 300 and s.loc["DW", "people_reconnected"] == 0
    assert s.loc["DE", "projects"] + s.loc["DW", "projects"] == 2


def test_floodproofing_the_way_out_of_a_flooded_pocket(tmp_path):
    roads = grid_roads(3)
    villages = _pts({"village_id": ["VC"], "population": [50]}, [(100, 100)])
    shelters = _pts({"shelter_id": ["S"], "capacity": [500], "kind": ["shelter"]}, [(0, 0)])
    flood = gpd.GeoDataFrame({"hazard_id": ["F"], "kind": ["flood"], "severity": ["high"]},
                             geometry=[shapely.box(X0 + 40, Y0 + 40, X0 + 160, Y0 + 160)], crs=UTM47)
    study = StudyArea.from_layers({"roads": roads, "villages": villages, "shelters": shelters}, crs=UTM47,
                                  hazards=[HazardSource("flood", "flood", polygons=flood)])
    # road_id 5 is the spoke (100, 0) - (100, 100): 100 m waded at 3 km/h, then 100 m driven; after: both driven
    cands = read_candidates(pd.DataFrame({"candidate_id": ["P"], "kind": ["floodproof"], "road_id": [5]}),
                            study.network(), params=study.params)
    plan = plan_roads(study, candidates=cands, verify_top=1)
    row = plan.candidates.iloc[0]
    assert row["benefit_people_min"] == pytest.approx(50 * ((100 / (3 / 3.6) + 100 / RES) - 200 / RES) / 60,
                                                      abs=1e-3)  # 90
    assert plan.verification["matches"].all()


def test_generated_candidates_find_the_missing_bridge():
    plan = plan_roads(_river_towns(), candidates="auto", verify_top=1)
    c = plan.candidates
    bridges = c[c["kind"] == "bridge"]
    assert len(bridges) >= 1
    best = bridges.iloc[0]
    # a bridge across the river, at least 3x shorter than the road between its ends, that helps the east town
    assert shapely.intersects(best.geometry, _river_towns().layers["rivers"].geometry.iloc[0])
    assert best["detour_ratio"] >= 3 or np.isnan(best["detour_ratio"])
    assert best["benefit_people_min"] > 0 and best["people_faster"] == 300
    assert best["length_m"] <= 1500
    assert plan.verification["matches"].all()
    # candidates are distinct
    ends = [tuple(np.round(shapely.get_coordinates(g)[[0, -1]].ravel(), 0)) for g in bridges.geometry]
    assert len(set(ends)) == len(ends)


def test_links_never_cross_the_border():
    layers, _ = _river_layers()
    layers["border"] = layers["rivers"].assign(name_en="border")
    study = StudyArea.from_layers({k: v for k, v in layers.items() if k != "rivers"}, crs=UTM47)
    plan = plan_roads(study, candidates="auto", verify_top=0)
    links = plan.candidates[plan.candidates["kind"].isin(["new_link", "bridge"])]
    border = layers["border"].geometry.iloc[0]
    assert not shapely.intersects(links.geometry.to_numpy(), border).any()


# --- the fast measure against full runs on a generated province ------------------------------
def _grid_province(seed: int = 3, n: int = 36, spacing: float = 250.0) -> StudyArea:
    """A jittered n x n grid of mixed roads split by a river crossed by two bridges, with floods, seeded.

    Only the southern part of the river is mapped (in ``rivers``): links over the northern half are new links.
    """
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    x = X0 + ii.ravel() * spacing + rng.uniform(-40, 40, n * n)
    y = Y0 + jj.ravel() * spacing + rng.uniform(-40, 40, n * n)
    idx = np.arange(n * n).reshape(n, n)
    a = np.r_[idx[:-1, :].ravel(), idx[:, :-1].ravel()]
    b = np.r_[idx[1:, :].ravel(), idx[:, 1:].ravel()]
    river_x = X0 + (n // 2 - 0.5) * spacing
    crossing = (x[a] < river_x) != (x[b] < river_x)
    bridges = np.flatnonzero(crossing)[[3, n - 6]]
    keep = (~crossing | np.isin(np.arange(len(a)), bridges)) & ((rng.random(len(a)) > 0.08) | crossing)
    a, b = a[keep], b[keep]
    cls = rng.choice(["residential", "track", "tertiary", "secondary"], size=len(a), p=[0.6, 0.2, 0.15, 0.05])
    roads = gpd.GeoDataFrame({"road_id": np.arange(len(a)), "highway": cls},
                             geometry=shapely.linestrings(np.stack([np.c_[x[a], y[a]], np.c_[x[b], y[b]]], axis=1)),
                             crs=UTM47)
    vn = rng.choice(n * n, 120, replace=False)
    villages = gpd.GeoDataFrame({"village_id": [f"V{i:03d}" for i in range(120)],
                                 "population": rng.integers(50, 800, 120), "name_en": [f"Ban {i}" for i in range(120)]},
                                geometry=shapely.points(x[vn] + rng.uniform(-60, 60, 120),
                                                        y[vn] + rng.uniform(-60, 60, 120)), crs=UTM47)
    sn = rng.choice(n * n, 12, replace=False)
    shelters = gpd.GeoDataFrame({"shelter_id": [f"S{i}" for i in range(12)],
                                 "capacity": rng.integers(200, 2000, 12), "kind": "shelter"},
                                geometry=shapely.points(x[sn], y[sn]), crs=UTM47)
    vehicles = gpd.GeoDataFrame({"vehicle_id": ["A1", "A2", "A3", "B1"],
                                 "type": ["ambulance", "ambulance", "ambulance", "rescue_boat"],
                                 "status": "available"}, geometry=shapely.points(x[sn[:4]], y[sn[:4]]), crs=UTM47)
    span = n * spacing
    rivers = gpd.GeoDataFrame({"name_en": ["River"]}, geometry=[shapely.LineString(
        [(river_x, Y0 - 500), (river_x, Y0 + 0.55 * span)])], crs=UTM47)
    flood = gpd.GeoDataFrame({"hazard_id": ["F1", "F2", "F3"], "kind": "flood", "severity": ["high", "high", "low"]},
                             geometry=[shapely.box(X0 + 0.15 * span, Y0 + 0.2 * span, X0 + 0.35 * span,
                                                   Y0 + 0.45 * span),
                                       shapely.box(X0 + 0.6 * span, Y0 + 0.55 * span, X0 + 0.8 * span,
                                                   Y0 + 0.7 * span),
                                       shapely.box(X0 + 0.4 * span, Y0 + 0.75 * span, X0 + 0.7 * span,
                                                   Y0 + 0.9 * span)], crs=UTM47)
    return StudyArea.from_layers({"roads": roads, "villages": villages, "shelters": shelters, "rivers": rivers,
                                  "vehicles": vehicles}, crs=UTM47,
                                 hazards=[HazardSource("flood", "flood", polygons=flood)])


@pytest.fixture(scope="module")
def small_area():
    return _grid_province()


def test_top_candidates_match_full_recomputation_village_by_village(small_area):
    study = small_area
    plan = plan_roads(study, candidates="auto", verify_top=0, max_candidates=80)
    c = plan.candidates
    cands = plan.candidate_set
    assert set(c["kind"]) == {"upgrade", "floodproof", "new_link", "bridge"} and len(c) <= 80
    network = study.network()
    kw = {"scenario": study.scenario(None), "origin_id_column": "village_id", "capacity": False, "routes": False,
          "critical": False, "areas": study.areas}
    vill, sh = study.layer("villages"), study.layer("shelters")

    def times(res):
        a = res.assignments
        t = np.where(a["status"].isin(["assigned", "beyond_max_time"]), a["travel_time_s"], np.inf)
        return pd.Series(t, index=a["origin_id"].to_numpy()), pd.Series(a["population"].to_numpy(),
                                                                         index=a["origin_id"].to_numpy())

    before, pop = times(evacuate_network(network, vill, sh, **kw))
    pos = {cid: i for i, cid in enumerate(cands.ids)}
    picks = list(c.groupby("kind", sort=False).head(2)["candidate_id"])
    assert len(picks) == 8
    for cid in picks:
        row = c.set_index("candidate_id").loc[cid]
        after, _ = times(evacuate_network(apply_to_network(network, cands, [pos[cid]]), vill, sh, **kw))
        after = after.reindex(before.index)
        capped = (np.minimum(before, 7200) - np.minimum(after, 7200)) * pop
        assert row["benefit_people_min"] == pytest.approx(capped.sum() / 60, abs=2e-3), cid
        faster = (after < before - 1e-6) | (np.isinf(before) & np.isfinite(after))
        assert row["people_faster"] == pytest.approx(pop[faster].sum()), cid
        assert row["people_reconnected"] == pytest.approx(pop[np.isinf(before) & np.isfinite(after)].sum()), cid
        within = lambda t: t <= 3600 + 1e-9  # noqa: E731
        assert row["people_newly_within_max"] == pytest.approx(pop[within(after) & ~within(before)].sum()), cid
        assert row["people_newly_cut_off"] == pytest.approx(pop[np.isfinite(before) & np.isinf(after)].sum()), cid


def test_portfolio_stays_within_budget_and_adds_up(small_area):
    plan = plan_roads(small_area, candidates="auto", budget=60, verify_top=0, max_candidates=60)
    p = plan.portfolio
    assert len(p) >= 2 and p["cost"].sum() <= 60 + 1e-9
    assert (p["marginal_benefit_people_min"] > 0).all()
    chk = plan.settings["portfolio_check"]
    assert chk["matches"]
    assert chk["full_benefit_people_min"] == pytest.approx(p["marginal_benefit_people_min"].sum(), abs=0.01)
    chosen = plan.candidates[plan.candidates["chosen"]]
    assert set(chosen["candidate_id"]) == set(p["candidate_id"])
    # the study row of the summary is the whole portfolio's effect
    study_row = plan.summary.set_index("level").loc["study"]
    assert study_row["projects"] == len(p)


def test_response_gain_equals_response_coverage_on_the_built_network(tmp_path):
    from safegeo.vehicles.response import response_coverage

    study = _river_towns()
    plan = plan_roads(study, candidates=_bridge_file(tmp_path), verify_top=0)
    built = apply_to_network(study.network(), plan.candidate_set, [0])
    kw = {"max_snap_m": 500.0, "isochrones": False}
    t0 = response_coverage(study.network(), study.layer("vehicles"), study.layer("villages"), **kw).villages
    t1 = response_coverage(built, study.layer("vehicles"), study.layer("villages"), **kw).villages
    gain = (t0["time_min"] - t1["time_min"]) * t0["population"]
    r = plan.response.set_index("vehicle_type").loc["ambulance"]
    assert r["people_min"] == pytest.approx(gain.sum(), abs=0.02)  # response times are rounded to 0.01 min
    assert r["villages_faster"] == 1


# --- the update kernel on random graphs ------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_bounded_update_equals_a_fresh_search_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(5, 50))
        m = int(rng.integers(n, 3 * n))
        u, v = rng.integers(0, n, m), rng.integers(0, n, m)
        keep = u != v
        u, v = np.r_[u[keep], v[keep]], np.r_[v[keep], u[keep]]
        length = rng.uniform(10, 500, len(u))
        time_s = length / rng.choice([5.0, 10.0, 15.0], len(u))
        factor = np.where(rng.random(len(u)) < 0.3, 0.0, np.where(rng.random(len(u)) < 0.2, 0.5, 1.0))
        towards = bool(rng.random() < 0.7)
        rule = evacuation_rule(3.0) if towards else driving_rule
        g = RoutingGraph(n, u, v, length, time_s, factor, np.zeros(len(u), bool), rule, towards=towards)
        src = rng.choice(n, size=int(rng.integers(1, 4)), replace=False)
        lab = g.labels(src)
        rows = rng.choice(len(u), size=min(int(rng.integers(0, 4)), len(u)), replace=False).astype(np.int64)
        k = int(rng.integers(0, 3))
        nl = rng.uniform(10, 300, k)
        ch = Change(rows, time_s[rows] * rng.uniform(0.3, 1.0, len(rows)), rng.random(len(rows)) < 0.5,
                    rng.integers(0, n, k).astype(np.int64), rng.integers(0, n, k).astype(np.int64), nl, nl / 10.0,
                    np.where(rng.random(k) < 0.3, 0.0, 1.0), np.full(k, None, dtype=object))
        (up,) = g.update(ch, [lab])
        fresh = g.apply(ch).labels(src).cost
        new = lab.cost.copy()
        new[up.nodes] = up.labels
        assert np.array_equal(np.isfinite(new), np.isfinite(fresh))
        fin = np.isfinite(fresh)
        assert np.allclose(new[fin], fresh[fin], rtol=1e-12, atol=1e-9)
        assert np.array_equal(lab._work, lab.cost)  # the working labels are restored


def test_pair_distances_equal_scipy_within_their_limits():
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from safegeo.roadplan._search import pair_distances

    rng = np.random.default_rng(11)
    n, m = 60, 240
    x, y = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    # a road is at least as long as the straight line between its ends (what the A* bound relies on)
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 2.0, m)
    arcs = {(int(a), int(b)): float(c) for a, b, c in zip(u, v, length, strict=True) if a != b}
    ends = np.array(list(arcs), dtype=np.int64)  # one arc per pair (scipy would add parallel arcs up)
    mat = sp.csr_array((np.array(list(arcs.values())), (ends[:, 0], ends[:, 1])), shape=(n, n))
    src, dst = rng.integers(0, n, 400), rng.integers(0, n, 400)
    limit = rng.uniform(0, 3000, 400)
    got = pair_distances(mat.indptr.astype(np.int64), mat.indices.astype(np.int64), mat.data.astype(np.float64),
                         x, y, src.astype(np.int64), dst.astype(np.int64), limit)
    full = dijkstra(mat, directed=True)[src, dst]
    want = np.where(full <= limit, full, np.inf)
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    assert 50 < np.isfinite(got).sum() < 350  # both outcomes are tested
    assert np.allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-12)


# --- candidate files ------------------------------------------------------------------------------
def test_a_bad_candidate_file_lists_every_problem_with_its_row(tmp_path):
    study = _river_towns()
    a, b = _ll(200, 100), _ll(1000, 100)
    far = _ll(5000, 5000)
    rows = [
        {"candidate_id": "A", "kind": "bridge", "from_lon": a[0], "from_lat": a[1], "to_lon": b[0], "to_lat": b[1]},
        {"candidate_id": "A", "kind": "new_link", "from_lon": a[0], "from_lat": a[1], "to_lon": b[0],
         "to_lat": b[1]},
        {"candidate_id": "C", "kind": "teleport"},
        {"candidate_id": "D", "kind": "new_link", "from_lon": a[0], "from_lat": a[1], "to_lon": far[0],
         "to_lat": far[1]},
        {"candidate_id": "E", "kind": "upgrade", "road_id": 4242},
        {"candidate_id": "F", "kind": "upgrade", "road_id": 998, "highway": "track"},
        {"candidate_id": "G", "kind": "floodproof"},
        {"candidate_id": "H", "kind": "new_link", "from_lon": a[0], "from_lat": a[1], "to_lon": b[0],
         "to_lat": b[1], "cost": "lots"},
        {"candidate_id": "I", "kind": "new_link", "from_lon": a[0], "from_lat": a[1], "to_lon": b[0],
         "to_lat": b[1], "highway": "footway"},
    ]
    with pytest.raises(RoadPlanError) as info:
        read_candidates(_bridge_file(tmp_path, rows), study.network(), params=study.params)
    err = info.value
    msg = str(err)
    by_row = {p.rows: p.message for p in err.problems}
    assert "repeat (A)" in by_row[(1, 2)]
    assert "unknown kind (teleport)" in by_row[(3,)] and "new_link, bridge, upgrade, floodproof" in msg
    assert "m from the nearest road junction" in by_row[(4,)] and "endpoint_snap_m" in msg
    assert "road_id 4242" in by_row[(5,)]
    assert "already 30 km/h" in by_row[(6,)]
    assert "needs the road" in by_row[(7,)]
    assert "cost is not a number" in by_row[(8,)]
    assert "unknown road class (footway)" in by_row[(9,)]
    assert "projects.csv" in msg and len(err.problems) == 8
    # a missing kind column and an empty file are clear too
    with pytest.raises(RoadPlanError, match="no 'kind' column"):
        read_candidates(pd.DataFrame({"name": ["x"]}), study.network())
    with pytest.raises(RoadPlanError, match="no rows"):
        read_candidates(pd.DataFrame({"kind": []}), study.network())


def test_candidates_from_a_geopackage_line_and_wkt(tmp_path):
    study = _river_towns()
    # a line drawn along the detour (in lon/lat) is an upgrade of road 998; a WKT line is a link
    loop = gpd.GeoSeries([shapely.LineString([(X0 + 1200, Y0), (X0 + 1200, Y0 - 1000), (X0, Y0 - 1000), (X0, Y0)])],
                         crs=UTM47).to_crs(4326)
    link = gpd.GeoSeries([shapely.LineString([(X0 + 205, Y0 + 95), (X0 + 995, Y0 + 105)])], crs=UTM47).to_crs(4326)
    gdf = gpd.GeoDataFrame({"kind": ["upgrade", "new link"], "name": ["Detour", "Ford"]},
                           geometry=[loop.iloc[0], link.iloc[0]], crs=4326)
    gdf.to_file(tmp_path / "c.gpkg", layer="projects")
    cands = read_candidates(tmp_path / "c.gpkg", study.network(), params=study.params)
    t = cands.table
    assert t["kind"].tolist() == ["upgrade", "new_link"] and t["road_ids"].iloc[0] == "998"
    assert t["length_m"].iloc[0] == pytest.approx(3200) and t["highway"].iloc[0] == "tertiary"
    # the link's ends moved onto the junctions (200, 100) and (1000, 100)
    xy = shapely.get_coordinates(t.geometry.iloc[1])
    assert np.allclose(xy[[0, -1]], [[X0 + 200, Y0 + 100], [X0 + 1000, Y0 + 100]])
    wkt = pd.DataFrame({"kind": ["bridge"], "wkt": [link.iloc[0].wkt]})
    w = read_candidates(wkt, study.network(), params=study.params)
    assert w.table["length_m"].iloc[0] == pytest.approx(800)


# --- outputs and the command ------------------------------------------------------------------------
def test_cli_writes_the_plan(tmp_path):
    from safegeo.cli import cli

    layers, _ = _river_layers()
    toml = write_study(tmp_path, layers)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["plan-roads", str(toml), "--candidates", str(_bridge_file(tmp_path)),
                                 "--budget", "100", "--out", str(out), "--no-tiles", "--verify-top", "1"])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} >= {"road_plan.gpkg", "road_plan.csv", "road_plan.html"}
    assert {"candidates", "routes", "villages", "portfolio", "verification", "summary", "response"} <= set(
        pyogrio.list_layers(out / "road_plan.gpkg")[:, 0])
    raw = (out / "road_plan.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out / "road_plan.csv")
    assert table.loc[0, "candidate_id"] == "B1" and bool(table.loc[0, "chosen"])
    assert table.loc[0, "benefit_people_min"] == pytest.approx(1752.0, abs=1e-3)
    assert {"mid_lon", "mid_lat", "rank", "benefit_per_cost"} <= set(table.columns)
    cand = pyogrio.read_dataframe(out / "road_plan.gpkg", layer="candidates")
    assert cand.crs is not None and len(cand) == 1
    html = (out / "road_plan.html").read_text(encoding="utf-8")
    assert "B1" in html and "https://" not in html.split("<body>")[1]
    assert "B1" in r.output or "1,752" in r.output
    # auto, in Thai
    r = CliRunner().invoke(cli, ["plan-roads", str(toml), "--candidates", "auto", "--budget", "0",
                                 "--out", str(tmp_path / "auto"), "--no-tiles", "--lang", "th", "--verify-top", "0",
                                 "--no-response"])
    assert r.exit_code == 0, r.output
    assert "สะพาน" in (tmp_path / "auto" / "road_plan.html").read_text(encoding="utf-8")


def test_cli_reports_a_bad_file_without_traceback(tmp_path):
    from safegeo.cli import cli

    layers, _ = _river_layers()
    toml = write_study(tmp_path, layers)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"kind": ["teleport"]}).to_csv(bad, index=False)
    r = CliRunner().invoke(cli, ["plan-roads", str(toml), "--candidates", str(bad), "--budget", "10",
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "unknown kind (teleport)" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["plan-roads", str(toml), "--candidates", str(tmp_path / "nope.csv"), "--budget", "10",
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "nope.csv" in r.output


def test_public_outputs_leave_out_personal_columns(tmp_path):
    study = _river_towns()
    study.layers["villages"]["contact"] = "081-234-5678"
    plan = plan_roads(study, candidates=_bridge_file(tmp_path), verify_top=0)
    paths = plan.write(tmp_path / "pub", public=True, tiles=False)
    for p in paths:
        if p.suffix == ".gpkg":
            for layer in pyogrio.list_layers(p)[:, 0]:
                assert "contact" not in pyogrio.read_dataframe(p, layer=layer).columns
        else:
            assert "081-234-5678" not in p.read_text(encoding="utf-8-sig")


def test_charts_beside_the_map_in_thai(tmp_path):
    from test_charts import RAW_CODES, THAI, _shown

    plan = plan_roads(_river_towns(), candidates=_bridge_file(tmp_path), budget=100, verify_top=0)
    top, routes, by_district = road_plan_charts(plan, lang="th")
    assert top.data["series"][0]["values"] == [pytest.approx(1752.0)] and "สะพาน" in top.data["labels"][0]
    # the bridge's route: 456 s before (3800 m residential), 105.6 s after (400 m residential + 800 m tertiary)
    before, after = (s["values"][0] for s in routes.data["series"])
    assert before == pytest.approx(3800 / RES / 60, abs=0.01) and after == pytest.approx((400 / RES + 800 / TER) / 60,
                                                                                           abs=0.01)
    assert routes.data["labels"] == ["East (B1)"]
    # the portfolio (the bridge) saves 1752 person-min, all in the east district
    assert by_district.data["labels"] == ["East"]
    assert by_district.data["series"][0]["values"] == [pytest.approx(1752.0, abs=0.1)]
    assert all(THAI.search(c.title) for c in (top, routes, by_district))
    html = plan.map(lang="th", tiles=False, back_href="../index.html").to_html()
    assert html.count('class="sg-chart"') == 3
    config = json.loads(re.search(r'id="safegeo-config">(.*?)</script>', html, re.S).group(1))
    assert config["back"]["href"] == "../index.html" and THAI.search(config["back"]["label"])
    labels, shown = _shown(html)
    assert not sorted({c for c in labels if not THAI.search(c)})
    assert not sorted({v for v in shown if v in RAW_CODES or v in KINDS})
    # without a budget the third chart says why it is empty
    bare = plan_roads(_river_towns(), candidates=_bridge_file(tmp_path), verify_top=0)
    assert road_plan_charts(bare)[2].kind == "message"


@pytest.mark.browser
def test_road_plan_map_in_a_browser(tmp_path, browser):
    plan = plan_roads(_river_towns(), candidates=_bridge_file(tmp_path), budget=100, verify_top=0)
    path = plan.map(tiles=False).save(tmp_path / "road_plan.html")
    with browser.open(path) as page:
        assert page.page_errors == [] and page.console_errors == [] and page.blocked_requests == []
        for layer in ("road_candidates", "chosen_projects", "routes_before_after", "districts"):
            assert page.drawn_counts.get(layer, 0) > 0, (layer, page.drawn_counts)
        assert page.drawn_counts["routes_before_after"] == len(plan.routes)
