"""Siting new lights, cameras and SOS buttons (maximal covering location problem)."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

from safegeo.coverage import CoverageError, analyze_coverage
from safegeo.coverage.siting import exact_max_cover, greedy_max_cover, propose_sites
from safegeo.study import HazardSource, StudyArea

UTM = "EPSG:32647"
X0, Y0 = 812_000.0, 711_000.0


def roads(*coords_list) -> gpd.GeoDataFrame:
    geoms = [shapely.LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords_list]
    return gpd.GeoDataFrame({"road_id": [f"R{i}" for i in range(len(geoms))], "highway": "residential"},
                            geometry=geoms, crs=UTM)


def points(xy, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols or None, geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy], crs=UTM)


def brute_force(cover: np.ndarray, w: np.ndarray, n: int) -> float:
    best = 0.0
    for combo in itertools.combinations(range(cover.shape[0]), n):
        best = max(best, float(w[cover[list(combo)].any(axis=0)].sum()))
    return best


# --------------------------------------------------------------------------- solvers
def test_greedy_is_fooled_where_exact_is_not():
    # S0 covers the middle (4); S1 / S2 each cover half of it plus 1.5 of their own
    cover = np.array([[0, 1, 1, 1, 1, 0],
                      [1, 1, 1, 0, 0, 0],
                      [0, 0, 0, 1, 1, 1]])
    w = np.array([1.5, 1.0, 1.0, 1.0, 1.0, 1.5])
    g = greedy_max_cover(cover, w, 2)
    e = exact_max_cover(cover, w, 2)
    assert g.order.tolist() == [0, 1] and g.objective == pytest.approx(5.5)
    assert sorted(e.order.tolist()) == [1, 2] and e.objective == pytest.approx(7.0) and e.optimal
    assert e.gain.tolist() == pytest.approx([3.5, 3.5])  # marginal gains in order


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_exact_matches_brute_force_and_greedy_keeps_its_guarantee(seed):
    rng = np.random.default_rng(seed)
    cover = (rng.random((12, 40)) < 0.15).astype(int)
    w = rng.uniform(0.1, 5.0, 40)
    for n in (1, 2, 3):
        best = brute_force(cover, w, n)
        e = exact_max_cover(sp.csr_array(cover), w, n)
        g = greedy_max_cover(sp.csr_array(cover), w, n)
        assert e.objective == pytest.approx(best)
        assert best * (1 - 1 / math.e) - 1e-9 <= g.objective <= best + 1e-9
        # the reported objective is what the chosen set really covers
        assert g.objective == pytest.approx(float(w[cover[g.order].any(axis=0)].sum()))


def test_greedy_stops_when_nothing_is_left_and_exact_refuses_huge_instances():
    cover = np.array([[1, 0], [1, 0]])
    assert greedy_max_cover(cover, np.array([1.0, 0.0]), 5).order.tolist() == [0]
    with pytest.raises(CoverageError, match="too many"):
        exact_max_cover(np.ones((5, 3)), np.ones(3), 1, max_candidates=4)


# --------------------------------------------------------------------------- on roads
def plus_and_lane() -> StudyArea:
    """A + junction of four 100 m roads, and a lone 100 m lane far away; one old light on the lane's end."""
    r = roads([(0, 0), (100, 0)], [(0, 0), (-100, 0)], [(0, 0), (0, 100)], [(0, 0), (0, -100)],
              [(1000, 0), (1100, 0)])
    return StudyArea.from_layers({"roads": r, "lights": points([(1100, 0)], light_id=["old"])}, crs=UTM)


def test_siting_picks_the_junction_first():
    study = plus_and_lane()
    res = analyze_coverage(study, propose=3, asset_type="lights", light_radius_m=25.0)
    p = res.proposals
    first = shapely.get_coordinates(p.geometry.iloc[0])[0] - [X0, Y0]
    np.testing.assert_allclose(first, [0.0, 0.0], atol=1e-6)  # one light lights 4 x 25 m
    assert p["gain_m"].iloc[0] == pytest.approx(100.0)
    assert p["rank"].tolist() == [1, 2, 3]
    assert (np.diff(p["weighted_gain_m"]) <= 1e-9).all()  # greedy gains never grow
    assert p["cumulative_gain_m"].iloc[-1] == pytest.approx(p["gain_m"].sum())


def test_proposed_gains_are_what_the_new_lights_really_add():
    study = plus_and_lane()
    res = analyze_coverage(study, propose=6, asset_type="lights", light_radius_m=25.0, spacing_m=20.0)
    before = res.segments["lit_m"].sum()
    new = res.proposals[["geometry"]].assign(light_id=[f"new{i}" for i in range(len(res.proposals))])
    study.layers["lights"] = pd.concat([study.layers["lights"], new], ignore_index=True)
    after = analyze_coverage(study, assets=["lights"], light_radius_m=25.0).segments["lit_m"].sum()
    assert after - before == pytest.approx(res.proposals["gain_m"].sum(), abs=1e-6)


def test_priority_weight_steers_the_choice():
    r = roads([(0, 0), (100, 0)], [(1000, 0), (1100, 0)])
    flood = gpd.GeoDataFrame({"hazard_id": ["H"], "kind": ["flood"]},
                             geometry=[shapely.box(X0 + 990, Y0 - 10, X0 + 1110, Y0 + 10)], crs=UTM)
    study = StudyArea.from_layers({"roads": r, "lights": points([(-500, 0)])}, crs=UTM,
                                  hazards=[HazardSource("flood", "flood", polygons=flood)])
    res = analyze_coverage(study, propose=1, asset_type="lights")
    p = res.proposals.iloc[0]
    assert p["segment_id"] == 1  # the road in the flood zone
    assert p["weighted_gain_m"] == pytest.approx(2.0 * p["gain_m"])


def test_greedy_and_exact_on_a_small_road_network():
    r = roads([(0, 0), (60, 0), (120, 0)], [(60, 0), (60, 80)], [(60, 80), (160, 80)], [(120, 0), (160, 80)])
    study = StudyArea.from_layers({"roads": r, "lights": points([(0, 0)])}, crs=UTM)
    g = analyze_coverage(study, propose=3, asset_type="lights", method="greedy", spacing_m=15.0).proposals
    e = analyze_coverage(study, propose=3, asset_type="lights", method="exact", spacing_m=15.0).proposals
    assert e["weighted_gain_m"].sum() >= g["weighted_gain_m"].sum() - 1e-9
    assert g["weighted_gain_m"].sum() >= (1 - 1 / math.e) * e["weighted_gain_m"].sum()
    assert set(e["method"]) == {"exact"} and set(g["method"]) == {"greedy"}


def test_cameras_are_proposed_facing_along_the_road():
    r = roads([(0, 0), (200, 0)])
    study = StudyArea.from_layers({"roads": r, "cameras": points([(-500, 0)], camera_id=["far"])}, crs=UTM)
    res = analyze_coverage(study, propose=2, asset_type="cameras", camera_range_m=50.0, camera_fov_deg=60.0)
    p = res.proposals
    assert set(np.round(p["direction_deg"]) % 180) == {90.0}  # east or west
    assert p["gain_m"].sum() == pytest.approx(100.0)  # two 50 m views, no overlap


def test_sos_button_is_proposed_on_the_bank_that_needs_it():
    # two 400 m banks joined by a bridge at x=0; the near bank has a button mid-way, 2 m off the road
    r = roads([(0, 0), (400, 0)], [(0, 20), (400, 20)], [(0, 0), (0, 20)])
    study = StudyArea.from_layers({"roads": r, "sos": points([(200, -2)], sos_id=["B"])}, crs=UTM)
    res = analyze_coverage(study, propose=1, asset_type="sos", sos_max_walk_m=150.0)
    p = res.proposals.iloc[0]
    # near bank covered 52..348; the far-bank end of the bridge adds far 0..150, the bridge, and near 0..52
    np.testing.assert_allclose(shapely.get_coordinates(p.geometry)[0] - [X0, Y0], [0.0, 20.0])
    assert p["gain_m"] == pytest.approx(150.0 + 20.0 + 52.0)
    before = res.segments["sos_m"].sum()
    study.layers["sos"] = pd.concat([study.layers["sos"], res.proposals[["geometry"]].assign(sos_id="new")],
                                    ignore_index=True)
    after = analyze_coverage(study, assets=["sos"], sos_max_walk_m=150.0).segments["sos_m"].sum()
    assert after - before == pytest.approx(p["gain_m"], abs=1e-6)


def test_propose_sites_rejects_assets_not_analysed():
    study = plus_and_lane()
    res = analyze_coverage(study, assets=["lights"])
    with pytest.raises(CoverageError, match="no cameras analysis"):
        propose_sites(res, asset="cameras", n=1)
    with pytest.raises(CoverageError, match="unknown method"):
        propose_sites(res, asset="lights", n=1, method="best")
