"""Layer entries that fit real files: columns, where, clip, encoding, defaults, several entries, an id column."""

from __future__ import annotations

import json
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import UTM47, X0, Y0, grid_roads, write_study

from safegeo import StudyFileError, ValidationError
from safegeo.study import load_study, validate_study


def _points(xy, **cols):
    return gpd.GeoDataFrame(cols, geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy], crs=UTM47)


def _messages(report, layer=None, severity=None):
    return [p.format() for p in report.problems if (layer is None or p.layer == layer)
            and (severity is None or p.severity == severity)]


# --- columns ------------------------------------------------------------------------------------
def test_columns_rename_the_files_own_names(tmp_path):
    villages = _points([(10, 10), (200, 200)], VILL_CODE=["9601-01", "9601-02"], POP_2024=[120, 80],
                       name_local=["บ้านหนึ่ง", "บ้านสอง"])
    toml = write_study(tmp_path, {"roads": grid_roads()})
    pyogrio.write_dataframe(villages, tmp_path / "villages.gpkg", layer="villages")
    with open(toml, "a", encoding="utf-8") as fh:
        fh.write('villages = { path = "villages.gpkg", columns = { population = "POP_2024", village_id = "vill_code", '
                 'name_th = "name_local" } }\n')
    v = load_study(toml).layers["villages"]
    # the mapped id is kept (not replaced by generated ids); the case of 'vill_code' does not matter
    assert v["village_id"].tolist() == ["9601-01", "9601-02"]
    assert v["population"].tolist() == [120, 80] and v["name_th"].tolist() == ["บ้านหนึ่ง", "บ้านสอง"]
    assert "POP_2024" not in v.columns


def test_columns_mistakes_name_the_fix(tmp_path):
    toml = write_study(tmp_path, {"roads": grid_roads(), "villages": _points([(5, 5)], POP=[3])})
    text = toml.read_text()
    # an unknown safegeo name: the layer's known columns are listed
    toml.write_text(text.replace('layer = "villages" }', 'layer = "villages", columns = { people = "POP" } }'))
    with pytest.raises(StudyFileError, match=r"columns names column\(s\) safegeo does not know for villages: people") \
            as err:
        load_study(toml)
    assert "villages has: village_id, population, name_en, name_th" in str(err.value)
    # a source column the file does not have: the file's columns are listed, for validate too
    toml.write_text(text.replace('layer = "villages" }', 'layer = "villages", columns = { population = "POP_2024" } }'))
    with pytest.raises(ValidationError, match=r'columns maps population = "POP_2024", but the file has no such '
                                              r"column; the right-hand side is the file's column; the file has: POP"):
        load_study(toml)
    report = validate_study(toml)
    assert not report.ok and any("POP_2024" in m for m in _messages(report, "villages", "error"))


def test_an_id_column_is_used_as_the_layer_id(tmp_path):
    shelters = _points([(0, 0), (100, 100)], ID=["c873", "c874"], capacity=[10, 20], kind=["hospital"] * 2)
    toml = write_study(tmp_path, {"roads": grid_roads(), "shelters": shelters})
    study = load_study(toml)
    assert study.layers["shelters"]["shelter_id"].tolist() == ["c873", "c874"]
    assert "column 'ID' used as shelter_id" in " ".join(_messages(validate_study(toml), "shelters", "info"))
    # its duplicates are checked like any id
    shelters["ID"] = ["c1", "c1"]
    toml = write_study(tmp_path, {"roads": grid_roads(), "shelters": shelters})
    with pytest.raises(ValidationError, match=r"column 'shelter_id' has 2 duplicate id\(s\) \(c1\)"):
        load_study(toml)


def test_case_duplicate_columns_are_an_error_unless_mapped(tmp_path):
    pd.DataFrame({"Population": [10, 20], "population": [1, 2], "lon": [101.8, 101.81], "lat": [6.4, 6.41]}).to_csv(
        tmp_path / "villages.csv", index=False)
    toml = write_study(tmp_path, {"roads": grid_roads().to_crs(4326)}, crs=None)
    with open(toml, "a") as fh:
        fh.write('villages = "villages.csv"\n')
    with pytest.raises(ValidationError, match=r"columns 'Population' and 'population' differ only in case") as err:
        load_study(toml)
    assert 'columns = { population = "Population" } uses \'Population\'' in str(err.value)
    # the defined rule: the mapping says which one is safegeo's population; the other is left out
    toml.write_text(toml.read_text().replace('villages = "villages.csv"',
                                             'villages = { path = "villages.csv", columns = { population = "Population" } }'))
    v = load_study(toml).layers["villages"]
    assert v["population"].tolist() == [10, 20] and [c for c in v.columns if c.lower() == "population"] == ["population"]


# --- where ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv", "parquet"])
def test_where_filters_every_format_and_rows_stay_file_rows(tmp_path, fmt):
    pts = _points([(i * 10, i * 10) for i in range(6)], prov_code=["96", "95", "96", "95", "96", "96"],
                  population=[1, 2, -3, 4, 5, 6]).to_crs(4326)
    name = f"villages.{fmt}"
    if fmt == "csv":
        pd.DataFrame({"prov_code": pts.prov_code, "population": pts.population, "lon": pts.geometry.x,
                      "lat": pts.geometry.y}).to_csv(tmp_path / name, index=False)
    elif fmt == "parquet":
        pts.to_parquet(tmp_path / name)
    else:
        pyogrio.write_dataframe(pts, tmp_path / name)
    toml = write_study(tmp_path, {"roads": grid_roads()})
    with open(toml, "a") as fh:
        fh.write(f'villages = {{ path = "{name}", where = "prov_code = \'96\' AND population <> 6" }}\n')
    # rows 1, 3, 5 kept; row 3 has a negative population and the message names file row 3, not filtered row 2
    with pytest.raises(ValidationError, match=r"column 'population' has 1 negative value\(s\) \(rows 3\)"):
        load_study(toml)
    report = validate_study(toml)
    assert "where \"prov_code = '96' AND population <> 6\" kept 3 of 6 features" in " ".join(_messages(report))
    toml.write_text(toml.read_text().replace("<> 6", "> 0"))
    assert load_study(toml).layers["villages"]["population"].tolist() == [1, 5, 6]


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_a_bad_where_is_a_clear_error(tmp_path, fmt):
    pts = _points([(0, 0)], population=[1]).to_crs(4326)
    if fmt == "csv":
        pd.DataFrame({"population": [1], "lon": pts.geometry.x, "lat": pts.geometry.y}).to_csv(tmp_path / "v.csv",
                                                                                              index=False)
    else:
        pyogrio.write_dataframe(pts, tmp_path / "v.geojson")
    toml = write_study(tmp_path, {"roads": grid_roads()})
    with open(toml, "a") as fh:
        fh.write(f'villages = {{ path = "v.{fmt}", where = "prov = \'96\'" }}\n')
    with pytest.raises(ValidationError, match=r"where \"prov = '96'\" is not a (valid filter|filter GDAL can evaluate)"
                                              r".*columns: population"):
        load_study(toml)


# --- defaults, several entries, clip ---------------------------------------------------------------
def test_defaults_fill_a_constant_or_empty_values(tmp_path):
    shelters = _points([(0, 0), (100, 100), (200, 200)], capacity=[10, 20, 30], kind=["shelter", None, ""])
    toml = write_study(tmp_path, {"roads": grid_roads(), "shelters": shelters})
    toml.write_text(toml.read_text().replace('layer = "shelters" }', 'layer = "shelters", defaults = { kind = "refuge",'
                                                                     ' safe_for = "flood" } }'))
    sh = load_study(toml).layers["shelters"]
    assert sh["kind"].tolist() == ["shelter", "refuge", "refuge"] and sh["safe_for"].tolist() == ["flood"] * 3
    toml.write_text(toml.read_text().replace('kind = "refuge"', 'colour = "red"'))
    with pytest.raises(StudyFileError, match=r"defaults names column\(s\) safegeo does not know for shelters: colour"):
        load_study(toml)


def test_several_entries_clip_and_file_rows(tmp_path):
    districts = gpd.GeoDataFrame({"district_id": ["D1"]}, geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 350, Y0 + 350)],
                                 crs=UTM47)
    # hospitals: 2 inside, 1 outside; schools: 1 inside, 2 outside (one with a negative capacity, dropped by clip)
    hos = _points([(0, 0), (60_000, 0), (300, 300)], bed=[50, 60, 70])
    schools = _points([(100, 100), (-60_000, 0), (0, 90_000)], cap=[200, -1, 300]).to_crs(4326)
    toml = write_study(tmp_path, {"roads": grid_roads(), "districts": districts})
    pyogrio.write_dataframe(hos, tmp_path / "hos.gpkg")
    pyogrio.write_dataframe(schools, tmp_path / "schools.geojson")
    with open(toml, "a") as fh:
        fh.write('shelters = [ { path = "hos.gpkg", columns = { capacity = "bed" }, defaults = { kind = "hospital" }, '
                 'clip = true },\n  { path = "schools.geojson", columns = { capacity = "cap" }, '
                 'defaults = { kind = "shelter" }, clip = true } ]\n')
    study = load_study(toml)
    sh = study.layers["shelters"]
    assert sh["kind"].tolist() == ["hospital", "hospital", "shelter"] and sh["capacity"].tolist() == [50, 70, 200]
    assert sh.crs == study.crs and "safegeo_rows" not in sh.attrs  # what reading kept is forgotten after loading
    report = validate_study(toml)
    msgs = " ".join(_messages(report, "shelters", "warning"))
    assert "hos.gpkg: clip = true kept 2 of 3 features inside the 1 district polygons; 1 dropped" in msgs
    assert "schools.geojson: clip = true kept 1 of 3 features" in msgs
    rep = next(r for r in report.layers if r.name == "shelters")
    assert rep.source == "hos.gpkg (rows 1–3) + schools.geojson (rows 4–6)" and rep.features == 3
    # without clip, rows count on from one file to the next: schools.geojson row 2 is row 5
    toml.write_text(toml.read_text().replace("clip = true", "clip = false"))
    with pytest.raises(ValidationError, match=r"column 'capacity' has 1 negative value\(s\) \(rows 5\)"):
        load_study(toml)
    pyogrio.write_dataframe(schools.assign(cap=[200, 1, 300]), tmp_path / "schools.geojson")
    with pytest.raises(ValidationError, match=r"3 feature\(s\) lie far outside the study area .*\(rows 2, 5, 6\).*"
                                              r"add clip = true"):
        load_study(toml)


def test_clip_without_districts_uses_the_other_layers(tmp_path):
    sos = _points([(0, 0), (150, 150), (80_000, 0)])
    toml = write_study(tmp_path, {"roads": grid_roads(), "sos": sos})
    toml.write_text(toml.read_text().replace('layer = "sos" }', 'layer = "sos", clip = true }'))
    assert len(load_study(toml).layers["sos"]) == 2
    assert "inside the extent of roads" in " ".join(_messages(validate_study(toml), "sos"))
    # districts are the study area: they cannot be clipped
    toml.write_text(toml.read_text() + 'districts = { path = "layers.gpkg", layer = "sos", clip = true }\n')
    with pytest.raises(StudyFileError, match="districts cannot be clipped"):
        load_study(toml)


# --- encodings ------------------------------------------------------------------------------------
def _tis620_shapefile(tmp_path, *, cpg: bool = False):
    d = gpd.GeoDataFrame({"adm2_pcode": ["TH9602", "TH9610"], "adm2_th": ["ตากใบ", "สุไหงโก-ลก"]},
                         geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
                         crs=UTM47)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(d, tmp_path / "amphoe.shp", encoding="cp874")
    if not cpg:
        (tmp_path / "amphoe.cpg").unlink()  # what Thai GIS offices often send: no .cpg
    return tmp_path / "amphoe.shp"


def test_tis620_shapefile_without_cpg_warns_and_reads_with_encoding(tmp_path):
    _tis620_shapefile(tmp_path)
    toml = write_study(tmp_path, {"roads": grid_roads()})
    entry = 'districts = { path = "amphoe.shp", columns = { district_id = "adm2_pcode", name_th = "adm2_th" } }\n'
    with open(toml, "a") as fh:
        fh.write(entry)
    report = validate_study(toml)
    warned = " ".join(_messages(report, "districts", "warning"))
    assert "has no .cpg file and its text is not UTF-8: it reads as Thai in TIS-620" in warned
    assert 'encoding = "cp874"' in warned
    assert "ตากใบ" not in load_study(toml).layers["districts"]["name_th"].tolist()  # mojibake, hence the warning
    toml.write_text(toml.read_text().replace('path = "amphoe.shp"', 'path = "amphoe.shp", encoding = "cp874"'))
    assert load_study(toml).layers["districts"]["name_th"].tolist() == ["ตากใบ", "สุไหงโก-ลก"]
    assert not _messages(validate_study(toml), "districts", "warning")


def test_utf8_shapefile_without_cpg_is_read_as_utf8(tmp_path):
    d = gpd.GeoDataFrame({"adm2_pcode": ["TH9602"], "adm2_th": ["ตากใบ"]}, geometry=[shapely.box(X0, Y0, X0 + 9, Y0 + 9)],
                         crs=UTM47)
    pyogrio.write_dataframe(d, tmp_path / "d.shp")
    (tmp_path / "d.cpg").unlink()
    toml = write_study(tmp_path, {"roads": grid_roads()})
    with open(toml, "a") as fh:
        fh.write('districts = { path = "d.shp", columns = { district_id = "adm2_pcode", name_th = "adm2_th" } }\n')
    assert load_study(toml).layers["districts"]["name_th"].tolist() == ["ตากใบ"]
    assert "its text is valid UTF-8 and was read as UTF-8" in " ".join(_messages(validate_study(toml), "districts"))


def test_thai_csv_with_encoding(tmp_path):
    (tmp_path / "shelters.csv").write_bytes("name_th,capacity,kind,lon,lat\nโรงเรียน,10,shelter,101.8,6.4\n"
                                            .encode("cp874"))
    grid_roads().to_file(tmp_path / "roads.gpkg", layer="roads")
    (tmp_path / "study.toml").write_text('[layers]\nroads = "roads.gpkg"\nshelters = { path = "shelters.csv", '
                                         'encoding = "cp874" }\n')
    assert load_study(tmp_path / "study.toml").layers["shelters"]["name_th"].tolist() == ["โรงเรียน"]
    (tmp_path / "study.toml").write_text('[layers]\nroads = "roads.gpkg"\nshelters = { path = "shelters.csv", '
                                         'encoding = "tis-6200" }\n')
    with pytest.raises(ValidationError, match="encoding 'tis-6200' is not a text encoding Python knows"):
        load_study(tmp_path / "study.toml")
    # without encoding the message names the fix
    (tmp_path / "study.toml").write_text('[layers]\nroads = "roads.gpkg"\nshelters = "shelters.csv"\n')
    with pytest.raises(ValidationError, match='not UTF-8 text.*or add encoding = "cp874" to the entry'):
        load_study(tmp_path / "study.toml")


# --- districts without names --------------------------------------------------------------------------
def test_districts_without_names_warn_with_the_mapping_to_write(tmp_path):
    d = gpd.GeoDataFrame({"adm2_pcode": ["TH9602"], "ADM2_EN": ["Tak Bai"], "adm2_th": ["ตากใบ"]},
                         geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 350, Y0 + 350)], crs=UTM47)
    toml = write_study(tmp_path, {"roads": grid_roads(), "districts": d})
    report = validate_study(toml, strict=True)
    assert report.ok  # a warning, not an error ...
    warned = _messages(report, "districts", "warning")
    # ... that says what the map would show and the exact fix
    assert len(warned) == 1 and "maps and reports will show numbered ids (districts-1, districts-2, ...)" in warned[0]
    assert 'columns = { district_id = "adm2_pcode", name_en = "ADM2_EN", name_th = "adm2_th" }' in warned[0]


# --- real Narathiwat files through study.toml alone ------------------------------------------------------
def test_real_narathiwat_files_through_the_study_file_alone(tmp_path, shared_data):
    from safegeo.maps.overview import study_map

    nara = shared_data / "th_narathiwat_fullres_cctvnara"
    hc = shared_data / "th_health_facilities_region12_spax"
    moph = 'columns = { capacity = "bed" }, defaults = { kind = "hospital" }, clip = true'
    lines = [
        '[study]', 'name = "Narathiwat"', '[layers]',
        f'districts = {{ path = "{nara}/narathiwat_amphoe_fullres.geojson", '
        'columns = { district_id = "adm2_pcode", name_en = "adm2_en", name_th = "adm2_th" } }',
        f'tambons = {{ path = "{nara}/narathiwat_tambon_fullres.geojson", columns = {{ tambon_id = "adm3_pcode", '
        'name_en = "adm3_en", name_th = "adm3_th", district_id = "adm2_pcode" } }',
        f'border = {{ path = "{shared_data}/th_my_border_derived/th_my_border_line.geojson", '
        "where = \"th_pcode = 'TH96'\" }",
        f'shelters = [ {{ path = "{hc}/hc12_hos.geojson", {moph} }},',
        f'             {{ path = "{hc}/hc12_phc.geojson", {moph} }} ]',
    ]
    (tmp_path / "study.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_study(tmp_path / "study.toml", strict=True)
    assert report.ok, report.format()
    study = load_study(tmp_path / "study.toml", strict=True)
    d = study.layers["districts"]
    # COD-AB pcodes kept as the ids, names in both languages
    assert sorted(d["district_id"]) == [f"TH96{i:02d}" for i in range(1, 14)]
    assert d.set_index("district_id").loc["TH9602", ["name_en", "name_th"]].tolist() == ["Tak Bai", "ตากใบ"]
    assert len(study.layers["tambons"]) == 77 and len(study.layers["border"]) == 1
    # border districts, checked against the line independently: 1 km of district boundary within 500 m of it
    line = shapely.union_all(study.layers["border"].geometry.values)
    near = shapely.length(shapely.intersection(d.boundary.values, shapely.buffer(line, 500))) > 1000
    assert set(d.loc[d.is_border, "district_id"]) == set(d.loc[near, "district_id"]) == {
        "TH9602", "TH9608", "TH9609", "TH9610", "TH9612"}  # Tak Bai, Waeng, Sukhirin, Su-ngai Kolok, Chanae
    # MOPH facilities: only those inside Narathiwat (13 hospitals, 113 health centres), their ids kept, kind filled
    sh = study.layers["shelters"]
    assert len(sh) == 126 and set(sh["kind"]) == {"hospital"}
    assert sh["shelter_id"].str.fullmatch(r"c\d{3}").all() and sh["shelter_id"].is_unique
    inside = shapely.union_all(d.geometry.values)
    assert shapely.contains(inside, sh.geometry.values).all()
    # zero beds: a warning saying they will be excluded, not an error
    assert any("value(s) of 0: they will be excluded" in m for m in _messages(report, "shelters", "warning"))
    # names on the overview map, in English and in Thai
    for lang, name in (("en", "Tak Bai"), ("th", "ตากใบ")):
        html = study_map(study, layers=["districts"], lang=lang, tiles=False).to_html()
        payload = next(json.loads(b) for b in re.findall(
            r'<script type="application/json" id="safegeo-layer-\d+">(.*?)</script>', html, re.S)
            if json.loads(b)["name"] == "districts")
        values = [v for column in payload["values"] for v in column]
        assert name in values and "TH9602" in values and not any(str(v).startswith("districts-") for v in values)
    assert np.isclose(d["border_km"].sum(), 177.9, rtol=0.03)
