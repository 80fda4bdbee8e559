"""``safegeo coverage``: outputs, asset selection, proposals, clean errors, and the map in a browser."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from conftest import UTM47, X0, Y0, grid_roads, write_study

from safegeo.cli import cli


def _study(tmp_path, *, with_sos: bool = True):
    """The 4 x 4 grid town (100 m blocks) with two districts, lights, cameras and an SOS button."""
    roads = grid_roads()
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name_en": ["West", "East"], "name_th": ["ตะวันตก", "ตะวันออก"]},
                                 geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 350),
                                           shapely.box(X0 + 150, Y0 - 50, X0 + 350, Y0 + 350)], crs=UTM47)
    border = gpd.GeoDataFrame({"name": ["border"]},
                              geometry=[shapely.LineString([(X0 + 150, Y0 - 50), (X0 + 650, Y0 - 50)])], crs=UTM47)
    lights = gpd.GeoDataFrame({"light_id": ["L1", "L2", "L3"], "radius_m": [25.0, 25.0, 40.0]},
                              geometry=[shapely.Point(X0 + 50, Y0), shapely.Point(X0 + 100, Y0 + 100),
                                        shapely.Point(X0 + 300, Y0 + 300)], crs=UTM47)
    cameras = gpd.GeoDataFrame({"camera_id": ["C1", "C2"], "direction_deg": [90.0, None], "fov_deg": [60.0, 90.0],
                                "range_m": [80.0, 30.0]},
                               geometry=[shapely.Point(X0, Y0 + 200), shapely.Point(X0 + 200, Y0 + 200)], crs=UTM47)
    layers = {"roads": roads, "districts": districts, "border": border, "lights": lights, "cameras": cameras}
    if with_sos:
        layers["sos"] = gpd.GeoDataFrame({"sos_id": ["S1"]}, geometry=[shapely.Point(X0 + 150, Y0 + 205)], crs=UTM47)
    return write_study(tmp_path, layers)


def test_coverage_writes_every_output(tmp_path):
    toml = _study(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["coverage", str(toml), "--propose", "3", "--asset-type", "lights", "--out", str(out),
                                 "--no-tiles"])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} >= {"coverage.gpkg", "coverage_summary.csv", "coverage.html"}
    assert set(pyogrio.list_layers(out / "coverage.gpkg")[:, 0]) >= {"segments", "gaps", "districts", "proposals",
                                                                        "camera_sectors"}
    seg = pyogrio.read_dataframe(out / "coverage.gpkg", layer="segments")
    for col in ("segment_id", "length_m", "lit_m", "seen_m", "sos_m", "lit_frac", "seen_frac", "sos_frac", "district"):
        assert col in seg.columns
    assert len(seg) == 24 and seg["length_m"].sum() == pytest.approx(2400.0)
    # L1 lights 50 m of the bottom road; L2 sits on a junction: 25 m on each of four roads
    assert seg["lit_m"].sum() == pytest.approx(50.0 + 100.0 + 80.0)
    # C1 looks east along the y=200 road for 80 m
    assert seg["seen_m"].max() == pytest.approx(80.0)
    gaps = pyogrio.read_dataframe(out / "coverage.gpkg", layer="gaps")
    for asset, pre in (("lights", "lit"), ("cameras", "seen"), ("sos", "sos")):
        assert gaps.loc[gaps["asset"] == asset, "length_m"].sum() == pytest.approx(2400.0 - seg[f"{pre}_m"].sum())
    prop = pyogrio.read_dataframe(out / "coverage.gpkg", layer="proposals")
    assert prop["rank"].tolist() == [1, 2, 3] and (prop["gain_m"] > 0).all()
    dist = pyogrio.read_dataframe(out / "coverage.gpkg", layer="districts")
    for col in ("road_km", "lit_pct", "seen_pct", "sos_pct", "lit_high_gap_km", "high_priority_gap_km", "rank"):
        assert col in dist.columns
    assert (dist["high_priority_gap_km"] <= dist["road_km"] + 1e-12).all()
    summ = pd.read_csv(out / "coverage_summary.csv")
    assert summ["area_id"].tolist()[-1] == "ALL" and summ["level"].tolist() == ["district", "district", "study"]
    assert summ.set_index("area_id").loc["ALL", "road_km"] == pytest.approx(2.4)
    assert "3 proposed lights" in r.output and "coverage.html" in r.output


def test_assets_option_limits_the_analysis(tmp_path):
    toml = _study(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["coverage", str(toml), "--assets", "lights", "--light-radius-m", "10", "--out", str(out),
                                 "--no-tiles"])
    assert r.exit_code == 0, r.output
    seg = pyogrio.read_dataframe(out / "coverage.gpkg", layer="segments")
    assert "lit_m" in seg.columns and "seen_m" not in seg.columns and "sos_m" not in seg.columns
    # every light has its own radius_m in the file: the option only fills in missing values, so nothing changes
    assert seg["lit_m"].sum() == pytest.approx(230.0)
    assert len(pyogrio.read_dataframe(out / "coverage.gpkg", layer="proposals")) == 0


def test_buildings_block_camera_views(tmp_path):
    toml = _study(tmp_path)
    # a building 20-30 m east of C1 on the y=200 road hides the rest of its 80 m view
    bld = gpd.GeoDataFrame({"building": ["shop"]}, geometry=[shapely.box(X0 + 20, Y0 + 195, X0 + 30, Y0 + 205)],
                           crs=UTM47)
    pyogrio.write_dataframe(bld, tmp_path / "buildings.gpkg", layer="buildings")
    runner = CliRunner()
    seen = {}
    for name, extra in (("open", []), ("blocked", ["--buildings", str(tmp_path / "buildings.gpkg")])):
        out = tmp_path / name
        r = runner.invoke(cli, ["coverage", str(toml), "--assets", "cameras", "--out", str(out), "--no-tiles", *extra])
        assert r.exit_code == 0, r.output
        seen[name] = pyogrio.read_dataframe(out / "coverage.gpkg", layer="segments")["seen_m"].sum()
    # the building straddles the road 20-30 m east of C1: C1 now sees only its first 20 m; C2 is untouched
    assert seen["open"] - seen["blocked"] == pytest.approx(60.0)
    r = runner.invoke(cli, ["coverage", str(toml), "--buildings", str(tmp_path / "missing.gpkg"), "--out",
                            str(tmp_path / "x")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_user_mistakes_exit_cleanly(tmp_path):
    toml = _study(tmp_path, with_sos=False)
    runner = CliRunner()
    r = runner.invoke(cli, ["coverage", str(toml), "--assets", "lamps", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "unknown asset(s) lamps" in r.output
    r = runner.invoke(cli, ["coverage", str(toml), "--asset-type", "lights", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "--propose" in r.output
    r = runner.invoke(cli, ["coverage", str(toml), "--assets", "sos", "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "no 'sos' layer" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "o" / "coverage.gpkg").exists()
    r = runner.invoke(cli, ["coverage", str(toml), "--camera-fov-deg", "0", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "--camera-fov-deg" in r.output
    (tmp_path / "afile").write_text("x")
    r = runner.invoke(cli, ["coverage", str(toml), "--out", str(tmp_path / "afile")])
    assert r.exit_code == 2 and "is a file" in r.output


def test_study_without_lights_and_cameras_with_a_zero_fov(tmp_path):
    roads = grid_roads()
    good = gpd.GeoDataFrame({"camera_id": ["C1"], "direction_deg": [90.0], "fov_deg": [90.0]},
                            geometry=[shapely.Point(X0, Y0)], crs=UTM47)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    toml = write_study(tmp_path / "a", {"roads": roads, "cameras": good})
    runner = CliRunner()
    r = runner.invoke(cli, ["coverage", str(toml), "--assets", "lights", "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "no 'lights' layer" in r.output and "Traceback" not in r.output
    # a zero field of view is refused when the study is loaded, with the row named
    bad = gpd.GeoDataFrame({"camera_id": ["C1", "C2"], "direction_deg": [90.0, 0.0], "fov_deg": [90.0, 0.0]},
                           geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 100, Y0)], crs=UTM47)
    toml = write_study(tmp_path / "b", {"roads": roads, "cameras": bad})
    r = runner.invoke(cli, ["coverage", str(toml), "--assets", "cameras", "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "column 'fov_deg' has 1 value(s) of 0 or less (rows 2); fov_deg must be > 0" in r.output
    assert not (tmp_path / "o").exists()


@pytest.mark.browser
def test_map_opens_offline_and_draws_every_layer(tmp_path, browser):
    toml = _study(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["coverage", str(toml), "--propose", "2", "--out", str(out), "--no-tiles", "--lang", "th"])
    assert r.exit_code == 0, r.output
    with browser.open(out / "coverage.html") as page:
        assert not page.page_errors and not page.console_errors and not page.dialogs
        assert page.blocked_requests == []
        stats = page.stats
        assert {"districts", "camera_views", "coverage", "gaps_lights", "proposals", "cameras", "sos"} <= set(stats)
        assert stats["coverage"]["features"] == 24
        assert stats["camera_views"]["features"] == 2 and stats["proposals"]["features"] == 2
        for key, s in stats.items():
            if s["visible"]:
                assert s["drawn"] == s["features"], key
        assert "อำเภอ" in page.layer_names  # Thai label of the districts layer
        assert page.canvas_pixels > 0
