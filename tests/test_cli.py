"""The foundation commands through click's CliRunner: exit codes, messages, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from conftest import UTM47, X0, Y0, grid_roads, write_study

from safegeo import __version__
from safegeo.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


def test_version_and_help(runner):
    r = runner.invoke(cli, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output
    r = runner.invoke(cli, ["--help"])
    for cmd in ("demo", "generate", "validate", "prepare", "map"):
        assert cmd in r.output


def test_validate_ok_and_json(runner, tiny_study):
    r = runner.invoke(cli, ["validate", str(tiny_study)])
    assert r.exit_code == 0, r.output
    assert "0 error(s)" in r.output and "shelters" in r.output
    r = runner.invoke(cli, ["validate", str(tiny_study), "--json"])
    data = json.loads(r.output)
    assert data["ok"] is True
    assert {lay["layer"]: lay["features"] for lay in data["layers"]}["villages"] == 2


def test_validate_reports_every_layer_and_exits_1(runner, tmp_path):
    villages = gpd.GeoDataFrame({"population": [10, -5]}, geometry=[shapely.Point(X0, Y0), shapely.Point(X0, Y0)], crs=UTM47)
    shelters = gpd.GeoDataFrame({"shelter_id": ["a", "a"], "capacity": [1, 2], "kind": ["shelter", "hut"]},
                                geometry=[shapely.Point(X0, Y0)] * 2, crs=UTM47)
    toml = write_study(tmp_path, {"roads": grid_roads(), "villages": villages, "shelters": shelters})
    r = runner.invoke(cli, ["validate", str(toml)])
    assert r.exit_code == 1
    assert "column 'population' has 1 negative value(s) (rows 2); population must be >= 0" in r.output
    assert "column 'shelter_id' has 2 duplicate id(s)" in r.output
    assert "column 'kind' has 1 unknown value(s) (hut)" in r.output
    assert "Traceback" not in r.output


def test_data_error_exit_1_no_traceback(runner, tmp_path):
    toml = tmp_path / "study.toml"
    toml.write_text('[layers]\nroads = "nowhere.gpkg"\n')
    out = tmp_path / "out"
    r = runner.invoke(cli, ["prepare", str(toml), "--out", str(out)])
    assert r.exit_code == 1
    assert "nowhere.gpkg" in r.output and "file not found" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_usage_error_exit_2(runner, tiny_study, tmp_path):
    r = runner.invoke(cli, ["map", str(tiny_study), "--layers", "roads,unicorns", "--out", str(tmp_path / "m.html")])
    assert r.exit_code == 2 and "unknown layer(s) unicorns" in r.output
    r = runner.invoke(cli, ["map", str(tiny_study), "--lang", "fr", "--out", str(tmp_path / "m.html")])
    assert r.exit_code == 2


def test_prepare_writes_layers_and_network(runner, tiny_study, tmp_path):
    out = tmp_path / "prep"
    r = runner.invoke(cli, ["prepare", str(tiny_study), "--out", str(out), "--network-gpkg"])
    assert r.exit_code == 0, r.output
    layers = set(pyogrio.list_layers(out / "study.gpkg")[:, 0])
    assert {"roads", "districts", "villages", "shelters", "border"} <= layers
    d = gpd.read_file(out / "study.gpkg", layer="districts")
    assert d.crs.to_epsg() == 32647 and {"is_border", "border_km"} <= set(d.columns)
    from safegeo.network import RoadNetwork

    net = RoadNetwork.load(out / "network_drive.gpkg")
    assert net.n_nodes == 16 and net.n_edges == 48
    report = json.loads((out / "prepare_report.json").read_text())
    assert report["networks"]["walk"]["nodes"] == 16
    # the networks are kept in the cache the commands read, and the report says where
    from safegeo.network.cache import load_network

    for mode in ("drive", "walk"):
        folder = Path(report["cache"][mode])
        assert f"{mode} network prepared for reuse in {folder}" in r.stderr
        cached = load_network(folder)
        assert cached.mode == mode and cached.n_nodes == 16
    np.testing.assert_array_equal(load_network(report["cache"]["drive"]).u, net.u)


def test_prepare_writes_network_geopackages_only_on_request(runner, tiny_study, tmp_path, monkeypatch):
    out = tmp_path / "prep"
    r = runner.invoke(cli, ["prepare", str(tiny_study), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["prepare_report.json", "study.gpkg"]
    # with the cache turned off nothing would be kept: the user is told how to keep it
    toml = tiny_study.read_text()
    (tiny_study.parent / "nocache.toml").write_text(toml.replace("[layers]", "[network]\ncache = false\n\n[layers]", 1))
    r = runner.invoke(cli, ["prepare", str(tiny_study.parent / "nocache.toml"), "--out", str(tmp_path / "q")])
    assert r.exit_code == 0, r.output
    assert "cache = false" in r.stderr and "--network-gpkg" in r.stderr
    assert "cache" not in json.loads((tmp_path / "q" / "prepare_report.json").read_text())


def test_map_public_drops_contacts_and_keeps_existing_file(runner, tiny_study, tmp_path):
    out = tmp_path / "map.html"
    r = runner.invoke(cli, ["map", str(tiny_study), "--public", "--no-tiles", "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "081-000-0000" not in html and "School" in html
    r = runner.invoke(cli, ["map", str(tiny_study), "--out", str(out)])
    assert r.exit_code == 2 and "--overwrite" in r.output
    r = runner.invoke(cli, ["map", str(tiny_study), "--no-tiles", "--overwrite", "--out", str(out)])
    assert r.exit_code == 0 and "081-000-0000" in out.read_text(encoding="utf-8")


def test_map_draws_osm_roads_from_the_network(runner, tmp_path, shared_data):
    pbf = shared_data / "osm_osmnx_tests" / "aguascalientes.osm.pbf"
    (tmp_path / "study.toml").write_text(f'[study]\nname = "Aguascalientes"\n[layers]\nroads = "{pbf}"\n')
    out = tmp_path / "roads.html"
    r = runner.invoke(cli, ["map", str(tmp_path / "study.toml"), "--no-tiles", "--out", str(out)])
    assert r.exit_code == 0, r.output
    from safegeo.network import from_osm_file

    n_roads = len(from_osm_file(pbf).edges_gdf(undirected=True))
    html = out.read_text(encoding="utf-8")
    assert html.count('"LineString"') + html.count('"MultiLineString"') >= n_roads


def test_internal_error_is_reported_without_traceback(runner, tiny_study, tmp_path, monkeypatch):
    import safegeo.prepare

    def broken(*args, **kwargs):
        raise IndexError("index 3 is out of bounds")

    monkeypatch.setattr(safegeo.prepare, "prepare_study", broken)
    r = runner.invoke(cli, ["prepare", str(tiny_study), "--out", str(tmp_path / "p")])
    assert r.exit_code == 3
    assert "internal error (IndexError: index 3 is out of bounds)" in r.output and "safegeo bug" in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("edit, fix", [
    (lambda t: t.replace('layer = "villages" }', 'layer = "vilages" }'), "no layer 'vilages' (layers: "),
    (lambda t: t.replace('layer = "shelters" }', 'layer = "shelters", crs = "EPSG:99999" }'),
     "is not a CRS pyproj knows"),
    (lambda t: t + "[network]\nspeeds_kph = 30\n", "must be a table of settings"),
    (lambda t: t + 'hazards = [ { path = "depth.tif", kind = "flood", depth_threshold_m = "deep" } ]\n',
     "depth_threshold_m must be a number of metres"),
    (lambda t: "", "no [layers] section"),
])
def test_user_mistakes_exit_1_with_one_clear_message(runner, tiny_study, tmp_path, edit, fix):
    tiny_study.write_text(edit(tiny_study.read_text(encoding="utf-8")), encoding="utf-8")
    for args in (["validate", str(tiny_study)], ["prepare", str(tiny_study), "--out", str(tmp_path / "p")]):
        r = runner.invoke(cli, args)
        assert r.exit_code == 1, r.output
        assert fix in r.output
        assert "Traceback" not in r.output and "internal error" not in r.output
    assert not (tmp_path / "p" / "study.gpkg").exists()


def test_prepare_reports_the_network_on_stderr_and_no_bar_off_a_terminal(runner, tmp_path, monkeypatch):
    # a grid plus a separate road: the island is dropped and the user is told
    roads = grid_roads(3)
    island = gpd.GeoDataFrame({"road_id": [99], "highway": ["residential"]},
                              geometry=[shapely.LineString([(X0 + 5000, Y0), (X0 + 5100, Y0)])], crs=UTM47)
    toml = write_study(tmp_path, {"roads": gpd.GeoDataFrame(pd.concat([roads, island], ignore_index=True), crs=UTM47)})
    r = runner.invoke(cli, ["prepare", str(toml), "--out", str(tmp_path / "p"), "--mode", "drive", "--network-gpkg"])
    assert r.exit_code == 0, r.output
    assert "drive network: kept 9 nodes" in r.stderr and "dropped 2 nodes and 2 edges in smaller islands" in r.stderr
    assert r.stdout.split() == [str(tmp_path / "p" / n) for n in ("study.gpkg", "network_drive.gpkg",
                                                                   "prepare_report.json")]
    r = runner.invoke(cli, ["-q", "prepare", str(toml), "--out", str(tmp_path / "p"), "--mode", "drive"])
    assert r.exit_code == 0 and "drive network" not in r.stderr
    # CliRunner's stderr is not a terminal: no progress bar is asked for
    import safegeo.prepare

    seen = {}
    monkeypatch.setattr(safegeo.prepare, "prepare_study", lambda *a, **kw: seen.update(kw) or [])
    r = runner.invoke(cli, ["prepare", str(toml), "--out", str(tmp_path / "q")])
    assert r.exit_code == 0 and seen["progress"] is False


def test_validate_json_for_a_broken_study_file(runner, tmp_path):
    toml = tmp_path / "study.toml"
    toml.write_text("[layers\nroads = 1\n")
    r = runner.invoke(cli, ["validate", str(toml), "--json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["ok"] is False and "not valid TOML" in data["problems"][0]["message"]
    r = runner.invoke(cli, ["validate", str(toml)])
    assert r.exit_code == 1 and "not valid TOML" in r.stderr and "hint: fix the syntax" in r.stderr


def test_top_level_api_resolves_every_name():
    import safegeo

    for name in safegeo._LAZY:
        assert getattr(safegeo, name) is getattr(__import__(safegeo._LAZY[name], fromlist=[name]), name)
    with pytest.raises(AttributeError, match="no attribute 'evacuation_plan'"):
        safegeo.evacuation_plan  # noqa: B018


# --- failures from the user trial: each a clear exit, never an internal error -------------------------
def test_prepare_a_study_with_only_osm_roads(runner, tmp_path):
    from test_validate import NARA, osm_grid

    osm_grid(tmp_path / "roads.osm", *NARA)
    (tmp_path / "study.toml").write_text('[layers]\nroads = "roads.osm"\n')
    r = runner.invoke(cli, ["prepare", str(tmp_path / "study.toml"), "--out", str(tmp_path / "p"), "--network-gpkg"])
    assert r.exit_code == 0, r.output
    assert r.stdout.split() == [str(tmp_path / "p" / n) for n in ("network_drive.gpkg", "network_walk.gpkg",
                                                                   "prepare_report.json")]
    report = json.loads((tmp_path / "p" / "prepare_report.json").read_text())
    assert report["layers"] == {} and report["networks"]["drive"]["nodes"] == 9  # every grid node: crossings and way ends


@pytest.mark.parametrize("args, message", [
    (["--nodes", "150"], "150 is too few: the generator needs at least 200 road nodes"),
    (["--seed", "-3", "--nodes", "300"], "-3 is not in the range x>=0"),
])
def test_generate_bad_numbers_are_usage_errors(runner, tmp_path, args, message):
    r = runner.invoke(cli, ["generate", *args, "--out", str(tmp_path / "g")])
    assert r.exit_code == 2 and message in r.output and "internal error" not in r.output
    assert not (tmp_path / "g" / "study.toml").exists()


@pytest.mark.parametrize("name, content, message", [
    ("villages.csv", "population,lon,lat\n5,inf,6.4\n6,101.8,6.4\n7,101.8,-inf\n",
     "villages.csv: 2 row(s) have infinite coordinates in 'lon'/'lat' (rows 1, 3)"),
    ("villages.geojson", '{"type": "FeatureCollection", "features": ['
     '{"type": "Feature", "properties": {"population": 5}, "geometry": {"type": "Point", "coordinates": [101.8, 6.4]}},'
     '{"type": "Feature", "properties": {"population": 6}, "geometry": {"type": "Point", "coordinates": [Infinity, 6.4]}}'
     ']}', "villages.geojson: 1 feature(s) have infinite or NaN coordinates (rows 2)"),
    ("villages.csv", "Population,population,lon,lat\n5,5,101.8,6.4\n",
     "columns 'Population' and 'population' differ only in case"),
])
def test_bad_coordinates_and_case_duplicate_columns_exit_1(runner, tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    toml = write_study(tmp_path, {"roads": grid_roads()})
    with open(toml, "a") as fh:
        fh.write(f'villages = "{name}"\n')
    for args in (["validate", str(toml)], ["prepare", str(toml), "--out", str(tmp_path / "p")]):
        r = runner.invoke(cli, args)
        assert r.exit_code == 1, r.output
        assert message in r.output and "internal error" not in r.output


def test_decreasing_response_bands_are_a_study_file_error(runner, tiny_study):
    tiny_study.write_text(tiny_study.read_text() + "[vehicles]\nbands_minutes = [10, 5]\n")
    r = runner.invoke(cli, ["validate", str(tiny_study)])
    assert r.exit_code == 1
    assert "[vehicles] bands_minutes must increase from one value to the next, not [10, 5]" in r.output
    assert "bands_minutes = [5, 10]" in r.output
