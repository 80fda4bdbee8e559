"""Coverage of roads by lights, cameras and SOS buttons: hand-checkable cases and independent checks."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from safegeo._errors import StudyFileError
from safegeo.coverage import (
    CoverageError,
    Intervals,
    SegmentIndex,
    analyze_coverage,
    camera_coverage,
    camera_sectors,
    coverage_gaps,
    light_coverage,
    sos_coverage,
)
from safegeo.coverage.intervals import complement_intervals, merge_intervals
from safegeo.network import RoadNetwork
from safegeo.study import StudyArea

UTM = "EPSG:32647"
X0, Y0 = 812_000.0, 711_000.0


def lines(*coords_list, **cols) -> gpd.GeoDataFrame:
    geoms = [shapely.LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords_list]
    return gpd.GeoDataFrame(cols or None, geometry=geoms, crs=UTM)


def points(xy, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols or None, geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy], crs=UTM)


def total(df: pd.DataFrame, seg: int | None = None) -> float:
    if seg is not None:
        df = df[df["segment_id"] == seg]
    return float((df["end_m"] - df["start_m"]).sum())


# --------------------------------------------------------------------------- lights
def test_light_in_the_middle_of_a_100m_road_lights_50m():
    road = lines([(0, 0), (100, 0)])
    got = light_coverage(road, points([(50, 0)]), radius_m=25.0)
    assert got.to_dict("records") == [{"segment_id": 0, "start_m": 25.0, "end_m": 75.0}]


def test_light_radius_column_overrides_default_and_offset_light_gives_chord():
    road = lines([(0, 0), (100, 0)])
    # 15 m beside the road with a 25 m radius: half-chord sqrt(25^2 - 15^2) = 20
    got = light_coverage(road, points([(50, 15)], radius_m=[25.0]), radius_m=5.0)
    assert total(got) == pytest.approx(40.0, abs=1e-9)
    assert got["start_m"].iloc[0] == pytest.approx(30.0)


def test_overlapping_lights_are_not_double_counted():
    road = lines([(0, 0), (100, 0)])
    got = light_coverage(road, points([(50, 0), (50, 0), (60, 0)]), radius_m=25.0)
    assert total(got) == pytest.approx(60.0)  # 25..85
    assert len(got) == 1


def test_light_on_a_bent_road_covers_both_arms():
    # an L-shaped road with the light at the corner: 25 m each way
    road = lines([(0, 0), (100, 0), (100, 100)])
    got = light_coverage(road, points([(100, 0)]), radius_m=25.0)
    assert got.to_dict("records") == [{"segment_id": 0, "start_m": 75.0, "end_m": 125.0}]


def test_random_lights_match_union_of_buffers_and_never_exceed_length():
    rng = np.random.default_rng(7)
    roads = lines(*[[(rng.uniform(0, 500), rng.uniform(0, 500)) for _ in range(rng.integers(2, 6))] for _ in range(30)])
    xy = rng.uniform(0, 500, size=(300, 2))
    radius = rng.choice([10.0, 25.0, 40.0], 300)
    lights = points(xy, radius_m=radius)
    got = light_coverage(roads, lights, radius_m=25.0)
    lit = got.groupby("segment_id").apply(total, include_groups=False).reindex(range(len(roads))).fillna(0.0).to_numpy()
    # independent: union of finely polygonised circles, intersected with each road
    disc = shapely.union_all(shapely.buffer(lights.geometry.values, radius, quad_segs=512))
    expected = shapely.length(shapely.intersection(roads.geometry.values, disc))
    assert np.all(lit <= shapely.length(roads.geometry.values) + 1e-9)
    np.testing.assert_allclose(lit, expected, atol=0.02)


# --------------------------------------------------------------------------- cameras
def test_camera_facing_away_sees_none_of_the_road():
    road = lines([(0, 0), (100, 0)])
    cam = points([(50, 10)], direction_deg=[0.0], fov_deg=[90.0], range_m=[100.0])  # looking north, road south
    assert camera_coverage(road, cam).empty


def test_90_degree_camera_sees_exactly_its_sector():
    road = lines([(0, 0), (100, 0)])
    # 10 m north of the road looking south, 90 degrees: the road within 45 degrees of south is |x - 50| <= 10
    cam = points([(50, 10)], direction_deg=[180.0], fov_deg=[90.0], range_m=[100.0])
    got = camera_coverage(road, cam)
    np.testing.assert_allclose(got[["start_m", "end_m"]].to_numpy(), [[40.0, 60.0]])


def test_camera_looking_east_along_the_road_is_limited_by_range():
    road = lines([(0, 0), (100, 0)])
    cam = points([(20, 0)], direction_deg=[90.0], fov_deg=[30.0], range_m=[50.0])
    got = camera_coverage(road, cam)
    np.testing.assert_allclose(got[["start_m", "end_m"]].to_numpy(), [[20.0, 70.0]])


def test_wide_and_all_round_cameras():
    road = lines([(-100, 0), (100, 0)])
    # 270 degrees looking north from 10 m north of the road: blind within 45 degrees of south
    wide = camera_coverage(road, points([(0, 10)], direction_deg=[0.0], fov_deg=[270.0], range_m=[100.0]))
    half = np.sqrt(100**2 - 10**2)
    assert total(wide) == pytest.approx(2 * (half - 10.0))
    # no direction: a full disc, whatever fov says
    omni = camera_coverage(road, points([(0, 10)], direction_deg=[np.nan], fov_deg=[30.0], range_m=[100.0]))
    assert total(omni) == pytest.approx(2 * half)


def test_random_cameras_match_sector_polygons():
    rng = np.random.default_rng(11)
    roads = lines(*[[(rng.uniform(0, 300), rng.uniform(0, 300)) for _ in range(3)] for _ in range(25)])
    n = 120
    cams = points(rng.uniform(0, 300, size=(n, 2)), direction_deg=rng.uniform(0, 360, n),
                  fov_deg=rng.choice([20.0, 90.0, 180.0, 250.0, 360.0], n), range_m=rng.uniform(20, 80, n))
    got = camera_coverage(roads, cams)
    seen = np.bincount(got["segment_id"], weights=got["end_m"] - got["start_m"], minlength=len(roads))
    poly = shapely.union_all(camera_sectors(cams, arc_points=2048).geometry.values)
    expected = shapely.length(shapely.intersection(roads.geometry.values, poly))
    np.testing.assert_allclose(seen, expected, atol=0.05)


def test_camera_sectors_are_drawn_where_the_camera_looks():
    cams = points([(0, 0), (0, 0)], direction_deg=[90.0, np.nan], fov_deg=[90.0, 90.0], range_m=[50.0, 20.0])
    sec = camera_sectors(cams)
    assert sec.geometry.iloc[0].contains(shapely.Point(X0 + 40, Y0))  # east: seen
    assert not sec.geometry.iloc[0].contains(shapely.Point(X0 - 40, Y0))  # west: not
    assert sec.geometry.iloc[0].area == pytest.approx(np.pi * 50**2 / 4, rel=0.01)
    assert sec.geometry.iloc[1].area == pytest.approx(np.pi * 20**2, rel=0.01)  # all round
    assert np.isnan(sec["direction_deg"].iloc[1])


def test_building_blocks_the_view_but_not_the_wall_the_camera_is_on():
    road = lines([(0, 0), (100, 0)])
    building = gpd.GeoDataFrame(geometry=[shapely.box(X0 + 40, Y0 + 8, X0 + 60, Y0 + 12)], crs=UTM)
    cam = points([(50, 20)], direction_deg=[180.0], fov_deg=[180.0], range_m=[100.0])
    # the building's near corners (40, 12) and (60, 12) cast the shadow x in 25..75
    got = camera_coverage(road, cam, obstacles=building)
    np.testing.assert_allclose(got[["start_m", "end_m"]].to_numpy(), [[0.0, 25.0], [75.0, 100.0]])
    # a camera mounted on the building's north wall, looking north at a road 18 m away
    north = lines([(0, 30), (100, 30)])
    on_wall = points([(50, 12)], direction_deg=[0.0], fov_deg=[90.0], range_m=[100.0])
    got = camera_coverage(north, on_wall, obstacles=building)
    assert total(got) == pytest.approx(36.0)
    # a wall hides only its own camera's view: a second camera south of the road fills the shadow
    both = pd.concat([cam, points([(50, -20)], direction_deg=[0.0], fov_deg=[120.0], range_m=[100.0])])
    assert total(camera_coverage(road, both, obstacles=building)) == pytest.approx(100.0)


# --------------------------------------------------------------------------- intervals and gaps
def test_merge_and_complement_are_exact():
    seg_len = np.array([100.0, 50.0, 10.0])
    iv = Intervals(np.array([0, 0, 0, 1, 1]), np.array([10.0, 15.0, 60.0, -5.0, 20.0]),
                   np.array([20.0, 30.0, 60.0, 10.0, 80.0]))
    m = merge_intervals(iv, seg_len)
    assert list(zip(m.seg, m.start, m.end)) == [(0, 10.0, 30.0), (1, 0.0, 10.0), (1, 20.0, 50.0)]
    g = complement_intervals(m, seg_len)
    assert list(zip(g.seg, g.start, g.end)) == [(0, 0.0, 10.0), (0, 30.0, 100.0), (1, 10.0, 20.0), (2, 0.0, 10.0)]


def test_gaps_are_cut_exactly_where_coverage_stops_and_starts():
    road = lines([(0, 0), (100, 0), (100, 100)])
    road.insert(0, "segment_id", [0])
    covered = pd.DataFrame({"segment_id": [0], "start_m": [30.0], "end_m": [150.0]})
    gaps = coverage_gaps(road, covered, asset="lights")
    assert gaps["length_m"].tolist() == pytest.approx([30.0, 50.0])
    coords = [shapely.get_coordinates(g) - [X0, Y0] for g in gaps.geometry]
    np.testing.assert_allclose(coords[0], [[0, 0], [30, 0]])
    np.testing.assert_allclose(coords[1], [[100, 50], [100, 100]])


def test_gap_substring_keeps_interior_vertices():
    index = SegmentIndex(lines([(0, 0), (10, 0), (10, 10), (0, 10)]).geometry.values)
    geom = index.substrings(Intervals(np.array([0]), np.array([5.0]), np.array([25.0])))[0]
    np.testing.assert_allclose(shapely.get_coordinates(geom) - [X0, Y0], [[5, 0], [10, 0], [10, 10], [5, 10]])


# --------------------------------------------------------------------------- SOS
def river_study(bridge_x: float) -> StudyArea:
    """Two 1 km roads on either bank of a 20 m river, joined by one bridge at *bridge_x*."""
    roads = lines([(0, 0), (bridge_x, 0), (1000, 0)], [(0, 20), (bridge_x, 20), (1000, 20)],
                  [(bridge_x, 0), (bridge_x, 20)], road_id=["near", "far", "bridge"], highway="residential")
    # lines are noded at the bridge ends: split them there
    roads = gpd.GeoDataFrame(
        {"road_id": ["near_w", "near_e", "far_w", "far_e", "bridge"], "highway": "residential"},
        geometry=[shapely.LineString([(X0, Y0), (X0 + bridge_x, Y0)]),
                  shapely.LineString([(X0 + bridge_x, Y0), (X0 + 1000, Y0)]),
                  shapely.LineString([(X0, Y0 + 20), (X0 + bridge_x, Y0 + 20)]),
                  shapely.LineString([(X0 + bridge_x, Y0 + 20), (X0 + 1000, Y0 + 20)]),
                  shapely.LineString([(X0 + bridge_x, Y0), (X0 + bridge_x, Y0 + 20)])], crs=UTM)
    sos = points([(100, -5)], sos_id=["B1"])
    return StudyArea.from_layers({"roads": roads, "sos": sos}, crs=UTM)


def test_sos_button_across_a_river_without_a_nearby_bridge_does_not_cover_the_far_bank():
    study = river_study(bridge_x=900.0)
    res = analyze_coverage(study, assets=["sos"])
    s = res.segments.set_index("road_id")["sos_m"]
    # near bank: 5 m to the road at x=100, then 295 m either way (clipped at x=0)
    assert s["near_w"] == pytest.approx(395.0)
    assert s["near_e"] == 0.0
    # the far bank is 25 m away as the crow flies but 5 + 800 + 20 m on foot
    assert s["far_w"] == 0.0 and s["far_e"] == 0.0 and s["bridge"] == 0.0


def test_sos_reach_crosses_the_river_by_the_bridge():
    study = river_study(bridge_x=150.0)
    res = analyze_coverage(study, assets=["sos"], sos_max_walk_m=300.0)
    s = res.segments.set_index("road_id")["sos_m"]
    # to the bridge foot: 5 + 50 = 55 m; across: 75 m; 225 m left on the far bank each way
    assert s["near_w"] == pytest.approx(150.0)
    assert s["near_e"] == pytest.approx(295.0 - 50.0)
    assert s["bridge"] == pytest.approx(20.0)
    assert s["far_w"] == pytest.approx(150.0)
    assert s["far_e"] == pytest.approx(225.0)


def test_sos_coverage_matches_networkx_distances_on_a_grid():
    # 6 x 6 grid, 80 m blocks; buttons exactly on junctions so the walking distance is a node distance
    n, step, R = 6, 80.0, 200.0
    segs = []
    for i in range(n):
        for j in range(n - 1):
            segs.append([(j * step, i * step), ((j + 1) * step, i * step)])
            segs.append([(i * step, j * step), (i * step, (j + 1) * step)])
    roads = lines(*segs, highway=["residential"] * len(segs))
    buttons = [(0, 0), (3 * step, 2 * step), (5 * step, 5 * step)]
    net = RoadNetwork.from_arrays(*_grid_arrays(roads), crs=UTM, mode="walk")
    got = sos_coverage(roads, points(buttons), net, max_walk_m=R)
    covered = np.bincount(got["segment_id"], weights=got["end_m"] - got["start_m"], minlength=len(roads))
    # independent: networkx multi-source distances, then each road covered from both ends
    g = nx.Graph()
    for c in segs:
        g.add_edge(c[0], c[1], length=step)
    d = nx.multi_source_dijkstra_path_length(g, {tuple(map(float, b)) for b in buttons}, weight="length")
    expected = np.array([min(step, max(0.0, R - d[c[0]]) + max(0.0, R - d[c[1]])) for c in segs])
    np.testing.assert_allclose(covered, expected, atol=1e-6)


def _grid_arrays(roads: gpd.GeoDataFrame):
    xy = shapely.get_coordinates(roads.geometry.values)
    uniq, inv = np.unique(np.round(xy, 3), axis=0, return_inverse=True)
    inv = inv.ravel()
    return uniq[:, 0], uniq[:, 1], inv[0::2], inv[1::2]


# --------------------------------------------------------------------------- whole analysis
@pytest.fixture
def town() -> StudyArea:
    roads = lines([(0, 0), (100, 0)], [(100, 0), (200, 0)], [(200, 0), (300, 0)],
                  road_id=["A", "B", "C"], highway="residential")
    districts = gpd.GeoDataFrame(
        {"district_id": ["D1", "D2"], "name_en": ["West", "East"]},
        geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 120, Y0 + 50), shapely.box(X0 + 120, Y0 - 50, X0 + 350, Y0 + 50)],
        crs=UTM)
    border = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0 + 120, Y0 - 50), (X0 + 350, Y0 - 50)])], crs=UTM)
    lights = points([(50, 0), (250, 0)], light_id=["L1", "L2"], radius_m=[25.0, 50.0])
    cameras = points([(150, 5)], camera_id=["C1"], direction_deg=[np.nan], fov_deg=[360.0], range_m=[30.0])
    sos = points([(0, 0)], sos_id=["S1"])
    hazard = gpd.GeoDataFrame({"hazard_id": ["H1"], "kind": ["flood"]},
                              geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 10, Y0 + 10)], crs=UTM)
    pois = points([(300, 40)], poi_id=["school"], kind=["school"])
    from safegeo.study import HazardSource

    return StudyArea.from_layers({"roads": roads, "districts": districts, "border": border, "lights": lights,
                                  "cameras": cameras, "sos": sos, "pois": pois}, crs=UTM,
                                 hazards=[HazardSource("flood", "flood", polygons=hazard)])


def test_segments_table_per_asset(town):
    res = analyze_coverage(town, sos_max_walk_m=120.0)
    s = res.segments.set_index("road_id")
    assert s["lit_m"].tolist() == pytest.approx([50.0, 0.0, 100.0])
    half = np.sqrt(30**2 - 5**2)
    assert s["seen_m"].tolist() == pytest.approx([0.0, 2 * half, 0.0])
    assert s["sos_m"].tolist() == pytest.approx([100.0, 20.0, 0.0])
    assert s["lit_frac"].tolist() == pytest.approx([0.5, 0.0, 1.0])
    assert s["district"].tolist() == ["West", "East", "East"]  # by midpoint
    for p in ("lit", "seen", "sos"):
        assert (res.segments[f"{p}_m"] <= res.segments["length_m"] + 1e-9).all()


def test_gaps_priority_and_rollup(town):
    res = analyze_coverage(town, assets=["lights"])
    g = res.gaps
    np.testing.assert_allclose(g[["segment_id", "start_m", "end_m"]].to_numpy(dtype=float),
                               [[0, 0.0, 25.0], [0, 75.0, 100.0], [1, 0.0, 100.0]])
    # the first gap touches the flood polygon; segment B is in East, the border district
    assert g["in_hazard"].tolist() == [True, False, False]
    assert g["in_border_district"].tolist() == [False, False, True]
    assert g["near_poi"].tolist() == [False, False, True]  # school 107 m from B, 204 m from A
    assert g["weight"].tolist() == pytest.approx([2.0, 1.0, 1.5 * 1.5])
    assert g["priority"].tolist() == ["high", "low", "high"]
    d = res.districts.set_index("district_id")
    assert d.loc["D1", "road_km"] == pytest.approx(0.1)
    assert d.loc["D1", "lit_pct"] == pytest.approx(50.0)
    assert d.loc["D2", "lit_pct"] == pytest.approx(50.0)
    assert d.loc["D2", "high_priority_gap_km"] == pytest.approx(0.1)
    assert d.loc["D1", "high_priority_gap_km"] == pytest.approx(0.025)
    assert d["rank"].tolist() == [1, 2] and d.index[0] == "D2"
    total = res.summary.set_index("area_id").loc["ALL"]
    assert total["lit_pct"] == pytest.approx(50.0)


def test_weights_come_from_the_study_params(town):
    town.params["coverage"]["weights"]["hazard"] = 5.0
    res = analyze_coverage(town, assets=["lights"])
    assert res.gaps["weight"].iloc[0] == pytest.approx(5.0)


def test_bad_options_raise_clear_errors(town):
    with pytest.raises(CoverageError, match="unknown asset"):
        analyze_coverage(town, assets=["lamps"])
    with pytest.raises(CoverageError, match="light_radius_m"):
        analyze_coverage(town, light_radius_m=-1)
    no_sos = StudyArea.from_layers({"roads": lines([(0, 0), (10, 0)])}, crs=UTM)
    with pytest.raises(StudyFileError, match="sos"):
        analyze_coverage(no_sos, assets=["sos"])
    with pytest.raises(CoverageError, match="none of the asset layers"):
        analyze_coverage(no_sos)
    bad = points([(0, 0)], radius_m=[-3.0])
    with pytest.raises(CoverageError, match="negative"):
        light_coverage(lines([(0, 0), (10, 0)]), bad)


# --------------------------------------------------------------------------- review fixes
def test_compass_bearings_0_north_90_east_measured_clockwise():
    # four 100 m arms from a junction; a 60-degree camera at the junction sees only the arm it faces
    arms = {"N": (0, 100), "E": (100, 0), "S": (0, -100), "W": (-100, 0)}
    roads = lines(*[[(0, 0), xy] for xy in arms.values()])
    for bearing, arm in ((0.0, "N"), (90.0, "E"), (180.0, "S"), (270.0, "W"), (-90.0, "W"), (450.0, "E")):
        cam = points([(0, 0)], direction_deg=[bearing], fov_deg=[60.0], range_m=[50.0])
        got = camera_coverage(roads, cam)
        assert got["segment_id"].tolist() == [list(arms).index(arm)], bearing
        assert total(got) == pytest.approx(50.0)
    # 45 degrees (north-east) between the N and E arms with a 100-degree view: 50 m of each
    got = camera_coverage(roads, points([(0, 0)], direction_deg=[45.0], fov_deg=[100.0], range_m=[50.0]))
    assert sorted(got["segment_id"].tolist()) == [0, 1] and total(got) == pytest.approx(100.0)
    # the bearing of a road, used to point proposed cameras along it
    index = SegmentIndex(roads.geometry.values)
    np.testing.assert_allclose(index.bearing_at(np.arange(4), np.full(4, 50.0)), [0.0, 90.0, 180.0, 270.0])


def test_cameras_with_zero_or_too_wide_fov_or_negative_range_are_rejected_all_at_once():
    road = lines([(0, 0), (100, 0)])
    cams = points([(0, 0), (10, 0), (20, 0), (30, 0)], direction_deg=[90.0, 90.0, 90.0, np.nan],
                  fov_deg=[0.0, 400.0, 90.0, 0.0], range_m=[50.0, 50.0, -1.0, 50.0])
    with pytest.raises(CoverageError) as exc:
        camera_coverage(road, cams)
    msg = str(exc.value)
    # row 4 has no direction: an all-round camera, whatever fov says
    assert "'fov_deg' has 1 zero value(s) (rows 1)" in msg
    assert "'fov_deg' has 1 above-360 value(s) (rows 2)" in msg
    assert "'range_m' has 1 negative value(s) (rows 3)" in msg
    # a zero default opening angle is refused as well, not silently blind
    with pytest.raises(CoverageError, match="fov_deg"):
        camera_coverage(road, points([(0, 0)], direction_deg=[90.0]), fov_deg=0.0)


def test_bad_analysis_options_are_reported_together(town):
    with pytest.raises(CoverageError) as exc:
        analyze_coverage(town, light_radius_m=-1, camera_fov_deg=0, sos_max_walk_m=-5)
    msg = str(exc.value)
    assert "light_radius_m" in msg and "camera_fov_deg" in msg and "sos_max_walk_m" in msg


def test_degrees_are_refused_for_metric_work():
    from safegeo._errors import CRSError

    road = lines([(0, 0), (100, 0)]).to_crs(4326)
    with pytest.raises(CRSError, match="degrees"):
        light_coverage(road, points([(50, 0)]), radius_m=25.0)
    with pytest.raises(CRSError, match="degrees"):
        camera_sectors(points([(0, 0)], direction_deg=[0.0]).to_crs(4326))


def test_high_priority_gap_km_counts_each_stretch_of_road_once(town):
    # every asset leaves segment B (East, a border district near the school) largely uncovered:
    # the three assets' gaps lie on the same road and must not add up to more road than there is
    res = analyze_coverage(town, sos_max_walk_m=120.0)
    d = res.districts.set_index("district_id")
    assert (d["high_priority_gap_km"] <= d["road_km"] + 1e-12).all()
    g = res.gaps[res.gaps["priority"] == "high"]
    for pre, asset in (("lit", "lights"), ("seen", "cameras"), ("sos", "sos")):
        mine = g[(g["asset"] == asset) & (g["district_id"] == "D2")]
        assert d.loc["D2", f"{pre}_high_gap_km"] == pytest.approx(mine["length_m"].sum() / 1000.0)
    # East: B (100 m) is unlit; C is lit but unseen and beyond SOS reach, all high priority: the union is 200 m
    assert d.loc["D2", "high_priority_gap_km"] == pytest.approx(0.2)
    assert g.loc[g["district_id"] == "D2", "length_m"].sum() > 200.0  # what plain summing would report
    total = res.summary.set_index("area_id").loc["ALL"]
    assert total["high_priority_gap_km"] == pytest.approx(d["high_priority_gap_km"].sum())
    assert total["high_priority_gap_km"] <= total["road_km"]


def test_a_depth_raster_hazard_raises_gap_priority(town, tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    from safegeo.study import HazardSource

    depth = np.zeros((4, 12), np.float32)
    depth[:, 8:9] = 1.0  # one wet column of 10 m cells: x = 80..90 on road A
    path = tmp_path / "depth.tif"
    with rasterio.open(path, "w", driver="GTiff", width=12, height=4, count=1, dtype="float32", crs=UTM,
                       transform=from_origin(X0, Y0 + 20, 10.0, 10.0)) as ds:
        ds.write(depth, 1)
    before = analyze_coverage(town, assets=["lights"]).gaps
    town.hazards.append(HazardSource("depth", "flood", raster_path=path, depth_threshold_m=0.3))
    g = analyze_coverage(town, assets=["lights"]).gaps
    assert before["in_hazard"].tolist() == [True, False, False]
    assert g["in_hazard"].tolist() == [True, True, False]  # the 75..100 gap crosses the wet cells
    assert g["priority"].iloc[1] == "high"


def test_sos_button_on_an_island_road_is_not_attached_to_the_other_bank():
    # the network keeps only its largest connected part: a 200 m island road across a 30 m river is dropped;
    # its button must not be snapped across the water onto the 1 km bank
    roads = gpd.GeoDataFrame({"road_id": ["bank", "island"], "highway": "residential"},
                             geometry=[shapely.LineString([(X0, Y0), (X0 + 1000, Y0)]),
                                       shapely.LineString([(X0, Y0 + 30), (X0 + 200, Y0 + 30)])], crs=UTM)
    study = StudyArea.from_layers({"roads": roads, "sos": points([(100, 25)], sos_id=["B"])}, crs=UTM)
    s = analyze_coverage(study, assets=["sos"]).segments.set_index("road_id")["sos_m"]
    assert s["bank"] == 0.0
    assert s["island"] == pytest.approx(200.0)  # 5 m to the road, then 295 m each way, clipped to the road


def test_a_province_map_groups_gaps_by_district_and_priority(monkeypatch):
    import json
    import re
    from pathlib import Path

    import safegeo.coverage.result as cres
    from safegeo.study import load_study

    study = load_study(Path(__file__).resolve().parents[1] / "data" / "demo" / "study.toml")
    res = analyze_coverage(study, assets=["lights"])
    gaps = res.gaps[res.gaps["asset"] == "lights"]
    monkeypatch.setattr(cres, "GAPS_GROUPED_ABOVE", 10)  # the demo has a few hundred gaps; a province, 100k
    html = res.map(tiles=False).to_html()
    layer = next(d for d in (json.loads(m) for m in re.findall(
        r'<script type="application/json" id="safegeo-layer-\d+">(.*?)</script>', html, re.S))
        if d["name"] == "gaps_lights")
    labels = layer["labels"]
    values = {lab: (v if isinstance(v, list) else [v["d"][k] for k in v["k"]]) for lab, v in zip(labels, layer["values"])}
    pairs = gaps.groupby([gaps["district"].fillna(""), "priority"]).size()
    assert len(values["Gap pieces"]) == len(pairs)
    assert sum(int(v) for v in values["Gap pieces"]) == len(gaps)
    assert sum(float(v) for v in values["Gap length (km)"]) == pytest.approx(gaps["length_m"].sum() / 1000, rel=1e-3)
    # each grouped feature holds exactly its district's and priority's pieces
    grouped = cres._grouped_gaps(gaps)
    for row in grouped.itertuples():
        d = row.district if isinstance(row.district, str) else ""
        mine = gaps[(gaps["district"].fillna("") == d) & (gaps["priority"] == row.priority)]
        assert row.gap_pieces == len(mine) and row.gap_km == pytest.approx(mine["length_m"].sum() / 1000)
        assert row.geometry.length == pytest.approx(mine.geometry.length.sum())
        assert row.asset == "lights"


def test_lines_near_points_equals_the_geos_dwithin_query():
    from safegeo.coverage.gaps import lines_near_points

    rng = np.random.default_rng(5)
    for trial in range(24):
        n = int(rng.integers(1, 300))
        starts = rng.uniform(0, 1000, (n, 2))
        lines = np.array([shapely.LineString(starts[i] + np.cumsum(rng.normal(0, 30, (int(rng.integers(2, 6)), 2)), axis=0))
                          for i in range(n)], dtype=object)
        if trial % 3 == 0:  # multi-part gaps go through GEOS
            lines[:5] = [shapely.MultiLineString([g, shapely.affinity.translate(g, 50, 50)]) for g in lines[:5]]
        pts = shapely.points(rng.uniform(0, 1000, (int(rng.integers(0, 60)), 2)))
        if trial % 4 == 0:  # a place given as a polygon
            pts = np.r_[pts, [shapely.box(10, 10, 50, 50)]]
        d = float(rng.uniform(1, 60))
        want = np.zeros(n, bool)
        if len(pts):
            want[shapely.STRtree(lines).query(pts, predicate="dwithin", distance=d)[1]] = True
        np.testing.assert_array_equal(lines_near_points(lines, pts, d), want)
