"""The foundation commands through click's CliRunner: exit codes, messages, outputs."""

from __future__ import annotations

import json

import geopandas as gpd
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
    r = runner.invoke(cli, ["prepare", str(tiny_study), "--out", str(out)])
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
