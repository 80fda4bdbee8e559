"""Study files: reading every format, validation messages, CRS policy, border districts."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import UTM47, X0, Y0, grid_roads, write_study

from safegeo import CRSError, StudyFileError, ValidationError
from safegeo.study import flag_border_districts, load_study, validate_study


def _points(n, **cols):
    geom = [shapely.Point(X0 + 10 * i, Y0 + 10 * i) for i in range(n)]
    return gpd.GeoDataFrame(cols, geometry=geom, crs=UTM47)


def test_load_tiny_study(tiny_study):
    study = load_study(tiny_study)
    assert study.crs.to_epsg() == 32647
    assert set(study.layers) == {"roads", "districts", "border", "villages", "shelters"}
    d = study.layers["districts"].set_index("district_id")
    # the border runs along the south of D2 only; D1 touches it at a corner
    assert d.loc["D2", "is_border"] and not d.loc["D1", "is_border"]
    assert d.loc["D2", "border_km"] == pytest.approx(0.3, abs=0.01)  # 300 m within 100 m of D2
    assert study.layers["villages"]["population"].sum() == 350


def test_utm_picked_when_no_crs(tmp_path):
    roads = grid_roads().to_crs(4326)
    villages = _points(2, population=[1, 2]).to_crs(4326)
    toml = write_study(tmp_path, {"roads": roads, "villages": villages}, crs=None)
    study = load_study(toml)
    assert study.crs.to_epsg() == 32647
    assert study.layers["villages"].crs.to_epsg() == 32647


def test_geographic_study_crs_rejected(tmp_path):
    toml = write_study(tmp_path, {"roads": grid_roads()}, crs="EPSG:4326")
    with pytest.raises(ValidationError, match="geographic"):
        load_study(toml)


def test_csv_geojson_shapefile_parquet_read(tmp_path):
    roads = grid_roads()
    shelters = _points(3, shelter_id=["a", "b", "c"], capacity=[1, 2, 3], kind=["shelter"] * 3)
    ll = shelters.to_crs(4326)
    csv = pd.DataFrame({"shelter_id": ll.shelter_id, "capacity": ll.capacity, "kind": ll.kind,
                        "lon": ll.geometry.x, "lat": ll.geometry.y})
    csv.to_csv(tmp_path / "shelters.csv", index=False)
    roads.to_file(tmp_path / "roads.geojson", driver="GeoJSON")
    _points(2, population=[5, 6]).to_file(tmp_path / "villages.shp")
    _points(2).to_parquet(tmp_path / "sos.parquet")
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "formats"\n[layers]\nroads = "roads.geojson"\nvillages = "villages.shp"\n'
        'sos = "sos.parquet"\nshelters = { path = "shelters.csv", x = "lon", y = "lat", crs = "EPSG:4326" }\n')
    study = load_study(tmp_path / "study.toml")
    got = study.layers["shelters"]
    assert list(got.capacity) == [1, 2, 3]
    # the CSV round trip through lon/lat lands within a millimetre of the original points
    assert np.allclose(got.geometry.x, shelters.geometry.x, atol=1e-3)
    assert len(study.layers["sos"]) == 2 and len(study.layers["villages"]) == 2


def test_every_problem_of_a_layer_reported_at_once(tmp_path):
    shelters = _points(5, shelter_id=["a", "b", "b", "d", "e"], capacity=[10, -1, 5, -3, "many"],
                       kind=["shelter", "shelter", "castle", "hospital", "refuge"])
    toml = write_study(tmp_path, {"roads": grid_roads(), "shelters": shelters})
    with pytest.raises(ValidationError) as err:
        load_study(toml)
    text = str(err.value)
    assert "column 'capacity' has 2 negative value(s) (rows 2, 4); capacity must be >= 0" in text
    assert "column 'capacity' has 1 non-numeric value(s) (rows 5)" in text
    assert "column 'kind' has 1 unknown value(s) (castle) (rows 3)" in text
    assert "column 'shelter_id' has 2 duplicate id(s) (b) (rows 2, 3)" in text
    assert "layers.gpkg (layer shelters)" in text


def test_missing_required_column_names_fix(tmp_path):
    toml = write_study(tmp_path, {"roads": grid_roads(), "villages": _points(2, name_en=["a", "b"])})
    with pytest.raises(ValidationError, match=r"column 'population' is missing; add a 'population' column"):
        load_study(toml)


def test_wrong_geometry_type(tmp_path):
    villages = gpd.GeoDataFrame({"population": [1]}, geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1)], crs=UTM47)
    toml = write_study(tmp_path, {"roads": grid_roads(), "villages": villages})
    with pytest.raises(ValidationError, match="has 1 Polygon geometries where point geometries are expected"):
        load_study(toml)


def test_empty_layer(tmp_path):
    toml = write_study(tmp_path, {"roads": grid_roads(), "sos": _points(0)})
    with pytest.raises(ValidationError, match="sos.*is empty"):
        load_study(toml)


def test_missing_crs(tmp_path):
    toml = write_study(tmp_path, {"roads": grid_roads()})
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)]).to_file(tmp_path / "sos.shp")  # no .prj
    with open(toml, "a") as fh:
        fh.write('sos = "sos.shp"\n')
    with pytest.raises(ValidationError) as err:
        load_study(toml)
    # the fix names the exact entry to write, and the CRS the coordinates look like (metres here)
    assert 'sos.shp: has no CRS; the coordinates look like metres' in str(err.value)
    assert 'sos = { path = "sos.shp", crs = "EPSG:32647" }' in str(err.value)
    assert ".prj file" in str(err.value)


def test_invalid_polygon_repaired_or_strict_error(tmp_path):
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    districts = gpd.GeoDataFrame({"district_id": ["D"], "name_en": ["x"]}, geometry=[bowtie], crs=UTM47)
    toml = write_study(tmp_path, {"roads": grid_roads(), "districts": districts})
    study = load_study(toml)
    assert study.layers["districts"].is_valid.all()
    assert study.layers["districts"].area.iloc[0] == pytest.approx(5000.0)
    with pytest.raises(ValidationError, match="invalid geometry"):
        load_study(toml, strict=True)
    report = validate_study(toml)
    assert report.ok and any(p.severity == "warning" for p in report.problems)


def test_swapped_lat_lon_detected(tmp_path):
    roads = grid_roads()
    ll = _points(3, shelter_id=["a", "b", "c"], capacity=[1, 1, 1], kind=["shelter"] * 3).to_crs(4326)
    df = pd.DataFrame({"capacity": [1, 1, 1], "kind": ["shelter"] * 3,
                       "lon": ll.geometry.y, "lat": ll.geometry.x})  # swapped
    df.to_csv(tmp_path / "shelters.csv", index=False)
    roads.to_file(tmp_path / "roads.gpkg", layer="roads")
    (tmp_path / "study.toml").write_text(
        '[study]\n[layers]\nroads = { path = "roads.gpkg", layer = "roads" }\n'
        'shelters = { path = "shelters.csv", x = "lon", y = "lat", crs = "EPSG:4326" }\n')
    with pytest.raises(ValidationError, match="lon and lat look swapped|swap the x/y"):
        load_study(tmp_path / "study.toml")


def test_points_far_outside(tmp_path):
    far = gpd.GeoDataFrame({"population": [1, 2]}, geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 300_000, Y0)],
                           crs=UTM47)
    toml = write_study(tmp_path, {"roads": grid_roads(), "villages": far})
    with pytest.raises(ValidationError, match=r"1 feature\(s\) lie far outside the study area .*\(rows 2\)"):
        load_study(toml)


def test_study_file_errors(tmp_path):
    with pytest.raises(StudyFileError, match="study file not found"):
        load_study(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[study\nname=1")
    with pytest.raises(StudyFileError, match="not valid TOML"):
        load_study(bad)
    bad.write_text('[layers]\nroadz = "x.gpkg"\n')
    with pytest.raises(StudyFileError, match="unknown layer.*roadz"):
        load_study(bad)
    bad.write_text('[layers]\nroads = "missing.gpkg"\n')
    with pytest.raises(ValidationError, match="missing.gpkg.*file not found"):
        load_study(bad)


def test_multilayer_gpkg_needs_layer_name(tmp_path):
    write_study(tmp_path, {"roads": grid_roads(), "sos": _points(2)})
    (tmp_path / "s2.toml").write_text('[layers]\nroads = "layers.gpkg"\n')
    with pytest.raises(ValidationError, match=r"has 2 layers \(roads, sos\) and no layer was named"):
        load_study(tmp_path / "s2.toml")


def test_border_flag_tolerance_and_corner():
    sq = [shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000), shapely.box(0, 1000, 1000, 2000)]
    d = gpd.GeoDataFrame({"district_id": ["a", "b", "c"]}, geometry=sq, crs=UTM47)
    # border runs along the bottom of b (offset 30 m, as digitising differs) and touches a at its corner
    border = gpd.GeoDataFrame(geometry=[shapely.LineString([(1000, -30), (2000, -30), (2500, -30)])], crs=UTM47)
    out = flag_border_districts(d, border, touch_tolerance_m=100)
    assert out.is_border.tolist() == [False, True, False]
    assert out.border_km.iloc[1] == pytest.approx(1.0954, abs=0.01)  # 1000 m + ~95 m past the corner


def test_real_narathiwat_border_districts(shared_data):
    d = gpd.read_file(shared_data / "th_narathiwat_fullres_cctvnara" / "narathiwat_amphoe_fullres.geojson").to_crs(UTM47)
    b = gpd.read_file(shared_data / "th_my_border_derived" / "th_my_border_line.geojson").to_crs(UTM47)
    out = flag_border_districts(d, b, touch_tolerance_m=100)
    flagged = set(out.loc[out.is_border, "adm2_pcode"])
    assert len(out) == 13
    # Tak Bai, Waeng, Sukhirin, Su-ngai Kolok, Chanae border Kelantan
    assert flagged == {"TH9602", "TH9608", "TH9609", "TH9610", "TH9612"}
    # the flagged lengths add up to the Narathiwat part of the border line (177.9 km)
    assert out.border_km.sum() == pytest.approx(177.9, rel=0.03)


def test_unknown_hazard_name(tiny_study):
    study = load_study(tiny_study)
    with pytest.raises(StudyFileError, match="no hazard named 'flood'"):
        study.hazard("flood")


def test_crs_error_is_value_error():
    assert issubclass(CRSError, ValueError)


def test_raster_hazard_without_crs(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    toml = write_study(tmp_path, {"roads": grid_roads()})
    with rasterio.open(tmp_path / "depth.tif", "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=from_origin(X0, Y0 + 400, 100, 100)) as dst:
        dst.write(np.ones((1, 4, 4), dtype="float32"))
    with open(toml, "a") as fh:
        fh.write('hazards = [ { path = "depth.tif", kind = "flood", depth_threshold_m = 0.3 } ]\n')
    with pytest.raises(ValidationError, match=r"depth.tif: the raster has no CRS; assign one with gdal_edit.py"):
        load_study(toml)


def test_study_with_osm_pbf_roads(tmp_path, shared_data):
    pbf = shared_data / "osm_osmnx_tests" / "aguascalientes.osm.pbf"
    pd.DataFrame({"shelter_id": ["s1"], "capacity": [100], "kind": ["shelter"],
                  "lon": [-102.29], "lat": [21.87]}).to_csv(tmp_path / "shelters.csv", index=False)
    (tmp_path / "study.toml").write_text(
        f'[study]\nname = "Aguascalientes"\n[layers]\nroads = "{pbf}"\n'
        'shelters = { path = "shelters.csv", x = "lon", y = "lat", crs = "EPSG:4326" }\n'
        '[network.speeds_kph]\nresidential = 20\n')
    study = load_study(tmp_path / "study.toml")
    assert study.crs.to_epsg() == 32613  # picked from the data
    net = study.network("drive")
    from safegeo.network import DRIVE_CLASSES, from_osm_file

    assert net.n_nodes == from_osm_file(pbf).n_nodes > 700
    assert set(net.edge_data["highway"]) <= DRIVE_CLASSES  # untagged ways (parks, buildings) are not roads
    res = net.edge_data["highway"].to_numpy() == "residential"
    speed = net.length_m / net.time_s * 3.6
    assert np.allclose(speed, net.edge_data["speed_kph"])
    # the study file's residential speed, except where OSM tags a maxspeed
    assert (np.isclose(speed[res], 20.0)).mean() > 0.8
    assert study.network("drive") is net  # built once
    report = validate_study(tmp_path / "study.toml")
    assert report.ok and any(r.name == "roads" and r.features is None for r in report.layers)


def test_write_gpkg_declares_types_of_empty_layers(tmp_path):
    import pyogrio

    from safegeo.io import write_gpkg

    empty = gpd.GeoDataFrame({"a": []}, geometry=gpd.GeoSeries([], crs=UTM47), crs=UTM47)
    path = write_gpkg(tmp_path / "x.gpkg", {"declared": empty, "undeclared": empty, "table": pd.DataFrame({"k": [1]})},
                      geometry_types={"declared": "MultiLineString"})
    info = dict(pyogrio.list_layers(path))
    assert info["declared"] == "MultiLineString" and info["undeclared"] == "Unknown" and info["table"] is None


def test_camera_fov_must_be_positive(tmp_path):
    cams = _points(3, camera_id=["c1", "c2", "c3"], direction_deg=[0.0, 90.0, 180.0], fov_deg=[0.0, 60.0, 400.0])
    toml = write_study(tmp_path, {"roads": grid_roads(), "cameras": cams})
    with pytest.raises(ValidationError) as err:
        load_study(toml)
    text = str(err.value)
    assert "column 'fov_deg' has 1 value(s) of 0 or less (rows 1); fov_deg must be > 0" in text
    assert "column 'fov_deg' has 1 value(s) above 360 (rows 3)" in text


def test_misspelt_setting_is_named(tiny_study):
    text = tiny_study.read_text()
    tiny_study.write_text(text + "[evacuation]\nmax_minuts = 30\n")
    with pytest.raises(StudyFileError, match=r"unknown setting\(s\) max_minuts in \[evacuation\]") as err:
        load_study(tiny_study)
    assert "max_minutes" in str(err.value)  # the hint lists the right spelling
    tiny_study.write_text(text.replace('[study]', '[study]\ncrss = "EPSG:4326"'))
    with pytest.raises(StudyFileError, match=r"crss in \[study\]"):
        load_study(tiny_study)


# --- user mistakes: each gives one message naming the file and the fix ---------------------------
def test_study_file_saved_by_notepad_with_bom_and_thai_name(tiny_study):
    text = tiny_study.read_text(encoding="utf-8").replace('name = "test study"', 'name = "นราธิวาส ทดสอบ"')
    tiny_study.write_text(text, encoding="utf-8-sig")  # UTF-8 with a byte-order mark
    assert tiny_study.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert load_study(tiny_study).name == "นราธิวาส ทดสอบ"


def test_paths_with_spaces(tmp_path):
    folder = tmp_path / "my study area"
    folder.mkdir()
    grid_roads().to_file(folder / "road lines.gpkg", layer="roads")
    (folder / "study.toml").write_text('[layers]\nroads = "road lines.gpkg"\n')
    assert len(load_study(folder / "study.toml").layers["roads"]) == len(grid_roads())


def test_osm_oneway_minus_one_in_a_roads_layer(tmp_path):
    # an OSM export keeps oneway as text; "-1" means one-way against the digitised direction
    roads = gpd.GeoDataFrame({"highway": ["residential"] * 2, "oneway": ["-1", "yes"]},
                             geometry=[shapely.LineString([(X0, Y0), (X0 + 100, Y0)]),
                                       shapely.LineString([(X0 + 100, Y0), (X0 + 200, Y0)])], crs=UTM47)
    study = load_study(write_study(tmp_path, {"roads": roads}))
    got = study.layers["roads"]
    assert got["oneway"].tolist() == [True, True]
    # the -1 road was turned round: traffic now runs in its digitised direction, from X0 + 100 to X0
    assert shapely.get_coordinates(got.geometry.iloc[0]).tolist() == [[X0 + 100, Y0], [X0, Y0]]
    net = study.network("drive", largest_component=False)
    arcs = {(float(net.x[a]), float(net.x[b])) for a, b in zip(net.u, net.v)}
    assert arcs == {(X0 + 100, X0), (X0 + 100, X0 + 200)}


def test_yes_no_columns_with_unknown_values(tmp_path):
    roads = grid_roads(2).assign(oneway=["yes", "no", "maybe", ""], bridge=["viaduct", "no", "1", "tunnel"])
    with pytest.raises(ValidationError) as err:
        load_study(write_study(tmp_path, {"roads": roads}))
    text = str(err.value)
    assert "column 'oneway' has 1 value(s) that are not yes/no (maybe) (rows 3)" in text
    assert "column 'bridge' has 1 value(s) that are not yes/no (tunnel) (rows 4)" in text  # viaduct is a bridge


def test_shapefile_cut_column_names_are_restored(tmp_path):
    cams = _points(2, camera_id=["c1", "c2"], direction_deg=[90.0, 180.0], fov_deg=[60.0, 60.0])
    with warnings.catch_warnings():  # GDAL and geopandas warn on writing: that is the point
        warnings.simplefilter("ignore")
        cams.to_file(tmp_path / "cameras.shp")
    toml = write_study(tmp_path, {"roads": grid_roads()})
    with open(toml, "a") as fh:
        fh.write('cameras = "cameras.shp"\n')
    study = load_study(toml)
    cams = study.layers["cameras"]
    # without the repair every camera would silently look all round (no direction) with new ids
    assert cams["direction_deg"].tolist() == [90.0, 180.0] and cams["camera_id"].tolist() == ["c1", "c2"]
    assert any("'direction_' read as 'direction_deg'" in p.format() for r in study.reports for p in r.problems)


def test_layer_crs_mistakes(tmp_path):
    toml = write_study(tmp_path, {"roads": grid_roads()})
    text = toml.read_text()
    # a crs pyproj does not know: one message, not an internal error
    toml.write_text(text.replace('layer = "roads" }', 'layer = "roads", crs = "EPSG:99999" }'))
    with pytest.raises(ValidationError, match=r"layers.gpkg \(layer roads\): crs 'EPSG:99999' is not a CRS pyproj knows"):
        load_study(toml)
    # a crs that contradicts the file's own: refused, not silently ignored
    toml.write_text(text.replace('layer = "roads" }', 'layer = "roads", crs = "EPSG:4326" }'))
    with pytest.raises(ValidationError, match=r"the file says its CRS is EPSG:32647, but study.toml gives crs = "
                                              r"\"EPSG:4326\"; remove crs from this entry"):
        load_study(toml)
    toml.write_text(text.replace('layer = "roads" }', 'layer = "roads", crs = "EPSG:32647" }'))  # agrees: fine
    assert load_study(toml).crs.to_epsg() == 32647


def test_lonlat_layer_without_crs_gets_a_lonlat_fix(tmp_path):
    with warnings.catch_warnings():  # a Shapefile of lon/lat points whose .prj was not copied
        warnings.simplefilter("ignore")
        gpd.GeoDataFrame({"population": [5]}, geometry=[shapely.Point(101.82, 6.43)]).to_file(tmp_path / "villages.shp")
    toml = write_study(tmp_path, {"roads": grid_roads()})
    with open(toml, "a") as fh:
        fh.write('villages = { path = "villages.shp" }\n')
    with pytest.raises(ValidationError) as err:
        load_study(toml)
    assert 'look like lon/lat degrees; name the CRS in study.toml, e.g. villages = { path = "villages.shp", ' \
           'crs = "EPSG:4326" }' in str(err.value)
    # and the fix works
    toml.write_text(toml.read_text().replace('villages.shp" }', 'villages.shp", crs = "EPSG:4326" }'))
    assert load_study(toml).layers["villages"].crs.to_epsg() == 32647


def test_swapped_lonlat_without_study_crs_is_one_message(tmp_path):
    # with no study crs the swapped layer must not also break the UTM pick with a second, puzzling error
    pd.DataFrame({"capacity": [1, 1], "kind": ["shelter"] * 2, "lon": [6.43, 6.44], "lat": [101.82, 101.83]}).to_csv(
        tmp_path / "shelters.csv", index=False)
    grid_roads().to_file(tmp_path / "roads.gpkg", layer="roads")
    (tmp_path / "study.toml").write_text('[layers]\nroads = "roads.gpkg"\nshelters = "shelters.csv"\n')
    with pytest.raises(ValidationError) as err:
        load_study(tmp_path / "study.toml")
    assert len(err.value.problems) == 1 and "lon and lat look swapped" in str(err.value)
    assert "UTM" not in str(err.value)


def test_thai_excel_csv_is_named(tmp_path):
    (tmp_path / "shelters.csv").write_bytes("name_th,capacity,kind,lon,lat\nโรงเรียน,10,shelter,101.8,6.4\n"
                                            .encode("cp874"))
    grid_roads().to_file(tmp_path / "roads.gpkg", layer="roads")
    (tmp_path / "study.toml").write_text('[layers]\nroads = "roads.gpkg"\nshelters = "shelters.csv"\n')
    with pytest.raises(ValidationError, match=r"shelters.csv: not UTF-8 text .*CSV UTF-8"):
        load_study(tmp_path / "study.toml")


@pytest.mark.parametrize("entry, message", [
    ('{ path = "depth.tif", kind = "flood", depth_treshold_m = 0.5 }',
     r"(?s)unknown key\(s\) depth_treshold_m in \[layers\] hazards entry 1.*known keys: .*depth_threshold_m"),
    ('{ path = "depth.tif", kind = "flood", depth_threshold_m = "deep" }',
     r"hazards entry 1: depth_threshold_m must be a number of metres >= 0, not 'deep'"),
    ('{ layer = "hazards", kind = "flood" }', r"hazards entry 1 has no path"),
])
def test_hazard_entry_mistakes(tiny_study, entry, message):
    with open(tiny_study, "a") as fh:
        fh.write(f"hazards = [ {entry} ]\n")
    with pytest.raises(StudyFileError, match=message):
        load_study(tiny_study)


@pytest.mark.parametrize("section, message", [
    ("[network.speeds_kph]\nresidential = -5\n", r"\[network.speeds_kph\] residential must be a number > 0, not -5"),
    ("[network.speeds_kph]\nresidental = 25\n", r"road class\(es\) the drive network does not use: residental"),
    ("[network]\nspeeds_kph = 30\n", r"(?s)\[network\] speeds_kph must be a table of settings.*a line \[network.speeds_kph\]"),
    ("[network]\nmax_snap_m = \"500\"\n", r"\[network\] max_snap_m must be a number > 0, not '500'"),
    ("[network]\nmode = \"car\"\n", r"mode must be \"drive\" or \"walk\""),
    ("[evacuation]\nk_nearest = 2.5\n", r"k_nearest must be a whole number"),
    ("[evacuation.severity_speed_factor]\nhigh = -1\n", r"severity_speed_factor\] high must be a number >= 0"),
    ("[coverage.weights]\nhazzard = 2\n", r"unknown key\(s\) hazzard in \[coverage\] weights"),
    ("[vehicles]\nbands_minutes = [5, 0]\n", r"bands_minutes must be a list of numbers > 0"),
    ("[vehicles]\nbands_minutes = [5, 15, 15]\n", r"bands_minutes must increase from one value to the next"),
])
def test_parameter_values_checked(tiny_study, section, message):
    tiny_study.write_text(tiny_study.read_text() + section)
    with pytest.raises(StudyFileError, match=message):
        load_study(tiny_study)


def test_parameter_overrides_that_are_right_load(tiny_study):
    tiny_study.write_text(tiny_study.read_text() + "[network.speeds_kph]\nResidential = 25\n"
                          "[vehicles.target_minutes]\nambulance = 12.5\n[evacuation]\nat_risk_within_m = 1000\n")
    study = load_study(tiny_study)
    assert study.params["vehicles"]["target_minutes"]["ambulance"] == 12.5
    assert set(study.network("drive").edge_data["speed_kph"]) == {25.0}  # the grid is residential


def test_border_flag_needs_metres():
    d = gpd.GeoDataFrame(geometry=[shapely.box(101.8, 6.0, 101.9, 6.1)], crs="EPSG:4326")
    b = gpd.GeoDataFrame(geometry=[shapely.LineString([(101.8, 6.0), (101.9, 6.0)])], crs="EPSG:4326")
    with pytest.raises(CRSError, match="projected CRS is needed"):  # 100 "m" in degrees would flag everything
        flag_border_districts(d, b)
