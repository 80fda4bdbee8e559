"""``safegeo init``: a study.toml guessed from the user's files (library and command)."""

from __future__ import annotations

import sys

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from conftest import UTM47, X0, Y0, grid_roads

from safegeo.cli import cli
from safegeo.init import init_study
from safegeo.study import load_study, validate_study

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _files(tmp_path):
    """A GeoPackage of COD-AB-like districts and tambons, Geofabrik-like roads, a hospital CSV, a village SHP."""
    gpkg = tmp_path / "admin.gpkg"
    d = gpd.GeoDataFrame({"ADM2_PCODE": ["TH9601", "TH9602"], "ADM2_EN": ["Mueang", "Tak Bai"],
                          "ADM2_TH": ["เมือง", "ตากใบ"], "ADM1_PCODE": ["TH96", "TH96"]},
                         geometry=[shapely.box(X0 - 500, Y0 - 500, X0 + 200, Y0 + 800),
                                   shapely.box(X0 + 200, Y0 - 500, X0 + 900, Y0 + 800)], crs=UTM47)
    t = gpd.GeoDataFrame({"adm3_pcode": ["TH960101"], "adm3_en": ["Bang Nak"], "adm3_th": ["บางนาค"],
                          "adm2_pcode": ["TH9601"]}, geometry=[shapely.box(X0 - 500, Y0 - 500, X0, Y0)], crs=UTM47)
    pyogrio.write_dataframe(d, gpkg, layer="amphoe")
    pyogrio.write_dataframe(t, gpkg, layer="tambon")
    grid_roads().rename(columns={"highway": "fclass"}).to_file(tmp_path / "gis_osm_roads.gpkg")
    ll = gpd.GeoSeries([shapely.Point(X0 + 100, Y0 + 100), shapely.Point(X0 + 90_000, Y0)], crs=UTM47).to_crs(4326)
    pd.DataFrame({"id": ["c873", "c001"], "hoslvl": ["2-General", "2-General"], "bed": [120, 30],
                  "ADM1_PCODE": ["TH96", "TH95"], "lon": ll.x, "lat": ll.y}).to_csv(tmp_path / "hospitals.csv",
                                                                                   index=False)
    v = gpd.GeoDataFrame({"VILL_CODE": ["96010101"], "POP_2024": [350]}, geometry=[shapely.Point(X0 + 10, Y0 + 10)],
                         crs=UTM47)
    pyogrio.write_dataframe(v, tmp_path / "muban.gpkg")
    return [gpkg, tmp_path / "gis_osm_roads.gpkg", tmp_path / "hospitals.csv", tmp_path / "muban.gpkg"]


def test_init_guesses_layers_columns_and_hints(tmp_path):
    text = init_study(_files(tmp_path), base_dir=tmp_path, name="Narathiwat test")
    cfg = tomllib.loads(text)
    layers = cfg["layers"]
    assert cfg["study"]["name"] == "Narathiwat test"
    assert layers["districts"] == {"path": "admin.gpkg", "layer": "amphoe", "columns": {
        "district_id": "ADM2_PCODE", "name_en": "ADM2_EN", "name_th": "ADM2_TH"}}
    assert layers["tambons"]["columns"] == {"tambon_id": "adm3_pcode", "name_en": "adm3_en", "name_th": "adm3_th",
                                            "district_id": "adm2_pcode"}
    assert layers["roads"] == {"path": "gis_osm_roads.gpkg", "columns": {"highway": "fclass"}}
    assert layers["shelters"] == {"path": "hospitals.csv", "x": "lon", "y": "lat", "crs": "EPSG:4326",
                                  "columns": {"capacity": "bed"}, "defaults": {"kind": "hospital"}}
    assert layers["villages"]["columns"] == {"village_id": "VILL_CODE", "population": "POP_2024"}
    # where / clip hints as comments, for the hospital file that reaches into Yala
    assert "keep yours with where = \"ADM1_PCODE = 'TH96'\" (the districts' province)" in text
    assert "the file reaches beyond the districts: clip = true" in text
    assert "GUESS" in text
    # with the hint taken, the guessed study loads as it is
    (tmp_path / "study.toml").write_text(text.replace('defaults = { kind = "hospital" } }',
                                                      'defaults = { kind = "hospital" }, clip = true }'))
    study = load_study(tmp_path / "study.toml")
    assert study.layers["districts"]["name_th"].tolist() == ["เมือง", "ตากใบ"]
    assert study.layers["shelters"]["shelter_id"].tolist() == ["c873"]
    assert validate_study(tmp_path / "study.toml").ok


def test_init_rasters_osm_and_unknown_files(tmp_path):
    import rasterio
    from rasterio.transform import from_origin
    from test_validate import NARA, osm_grid

    osm_grid(tmp_path / "roads.osm", *NARA)
    for name in ("flood_depth_2022.tif", "u5pd.tif", "mystery.tif"):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32", crs=UTM47,
                           transform=from_origin(X0, Y0, 100, 100)) as dst:
            dst.write(pd.DataFrame([[1.0, 2.0], [3.0, 4.0]]).to_numpy("float32")[None])
    gpd.GeoDataFrame({"colour": ["red"]}, geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1)], crs=UTM47).to_file(
        tmp_path / "stuff.geojson")
    files = [tmp_path / n for n in ("roads.osm", "flood_depth_2022.tif", "u5pd.tif", "mystery.tif", "stuff.geojson")]
    text = init_study(files, base_dir=tmp_path)
    layers = tomllib.loads(text)["layers"]
    assert layers["roads"] == {"path": "roads.osm"}
    assert layers["hazards"] == [{"path": "flood_depth_2022.tif", "kind": "flood", "name": "flood_depth_2022"}]
    assert set(layers) == {"roads", "hazards"}
    assert "GUESS: a population raster" in text and "could not tell what this raster holds" in text
    assert "could not tell which layer this is (polygons; columns: colour)" in text


def test_init_command_writes_and_never_overwrites(tmp_path):
    runner = CliRunner()
    files = [str(p) for p in _files(tmp_path)]
    out = tmp_path / "study.toml"
    r = runner.invoke(cli, ["init", *files, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == str(out) and "districts" in out.read_text(encoding="utf-8")
    out.write_text("# mine\n")
    r = runner.invoke(cli, ["init", *files, "--out", str(out)])
    assert r.exit_code == 2 and "exists; pass --overwrite" in r.output
    assert out.read_text() == "# mine\n"
    r = runner.invoke(cli, ["init", *files, "--out", str(out), "--overwrite"])
    assert r.exit_code == 0 and "[layers]" in out.read_text(encoding="utf-8")
    r = runner.invoke(cli, ["init", str(tmp_path / "nope.gpkg"), "--out", str(tmp_path / "x.toml")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_init_on_the_real_narathiwat_files(tmp_path, shared_data):
    files = [shared_data / "th_narathiwat_fullres_cctvnara" / "narathiwat_amphoe_fullres.geojson",
             shared_data / "th_narathiwat_fullres_cctvnara" / "narathiwat_tambon_fullres.geojson",
             shared_data / "th_my_border_derived" / "th_my_border_line.geojson",
             shared_data / "th_health_facilities_region12_spax" / "hc12_hos.geojson"]
    text = init_study(files, base_dir=tmp_path)
    layers = tomllib.loads(text)["layers"]
    assert layers["districts"]["columns"] == {"district_id": "adm2_pcode", "name_en": "adm2_en", "name_th": "adm2_th"}
    assert layers["tambons"]["columns"]["tambon_id"] == "adm3_pcode"
    assert set(layers["border"]) == {"path"} and layers["shelters"]["defaults"] == {"kind": "hospital"}
    assert "where = \"th_pcode = 'TH96'\" (the districts' province)" in text


@pytest.mark.parametrize("bad", ["not a gis file", ""])
def test_init_refuses_unreadable_files(tmp_path, bad):
    from safegeo import LayerReadError

    (tmp_path / "x.gpkg").write_text(bad)
    with pytest.raises(LayerReadError, match="x.gpkg: cannot open"):
        init_study([tmp_path / "x.gpkg"], base_dir=tmp_path)
