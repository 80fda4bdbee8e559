"""Exposure analysis: hand-counted people, places and roads per class; sums that add up; the real Narathiwat data."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from click.testing import CliRunner

from safegeo.cli import cli
from safegeo.exposure import ALL_CLASSES, exposure
from safegeo.study import load_study


def _row(s: pd.DataFrame, level: str, area: str, klass: str) -> pd.Series:
    r = s[(s["level"] == level) & (s["area_id"] == area) & (s["class"] == klass)]
    assert len(r) == 1, (level, area, klass)
    return r.iloc[0]


def test_hand_counted_people_places_and_roads(hand_study: Path) -> None:
    res = exposure(load_study(hand_study))
    s = res.summary
    assert res.hazards == ["hazards"] and set(s["class"]) == {"high", "medium", ALL_CLASSES}
    # villages: V1 under the high class only (worst wins), V2 medium, V3 dry
    hi, me, al = (_row(s, "tambon", "T1", k) for k in ("high", "medium", ALL_CLASSES))
    assert (hi["villages"], hi["villages_population"], hi["villages_under5"], hi["villages_elderly"]) == (1, 100, 10, 5)
    assert (me["villages"], me["villages_population"], me["villages_under5"]) == (1, 200, 20)
    assert (al["villages"], al["villages_population"]) == (2, 300)
    assert _row(s, "tambon", "T2", ALL_CLASSES)["villages"] == 0
    # rasters: 1 person per 100 m cell; high = 50 cells, medium = the other 50 of T1; no under-5s in the west
    assert hi["raster_total"] == pytest.approx(50.0) and me["raster_total"] == pytest.approx(50.0)
    assert al["raster_total"] == pytest.approx(100.0) and al["raster_under5"] == pytest.approx(0.0)
    # places: the clinic (a hospital) in the high class, the school in medium; the market is dry
    assert (hi["shelters_inside"], hi["hospitals_inside"], hi["pois_inside"]) == (1, 1, 0)
    assert (me["schools_inside"], me["pois_inside"]) == (1, 1)
    # roads: [0,250] and [250,750] touch the high class (closed), [750,1250] only medium (slowed to 0.25)
    d = _row(s, "district", "D1", ALL_CLASSES)
    assert d["road_km_closed"] == pytest.approx(0.75) and d["road_km_slowed"] == pytest.approx(0.5)
    assert np.isnan(hi["road_km_closed"])  # roads are reported for the hazard as a whole
    # flags: the border runs along the district; T1 flooded in 2021, 2022 and 2023 (3 of the last 5 years)
    assert d["is_border"] and al["is_border"]
    assert al["repeat_area"] and al["repeat_kinds"] == "flood"
    t2 = _row(s, "tambon", "T2", ALL_CLASSES)
    assert not t2["repeat_area"] and t2["events"] == 2
    assert d["repeat_tambons"] == 1 and _row(s, "study", "ALL", ALL_CLASSES)["events"] == 5
    # the exposed-village layer carries the class and areas
    v = res.villages.set_index("village_id")
    assert v.loc["V1", "class"] == "high" and v.loc["V2", "tambon_id"] == "T1" and "V3" not in v.index


def test_inside_within_m_reaches_nearby_villages(hand_study: Path) -> None:
    st = load_study(hand_study)
    near = exposure(st, inside_within_m=600.0).villages
    assert set(near["village_id"]) == {"V1", "V2", "V3"}  # V3 is 500 m from the medium class
    assert near.set_index("village_id").loc["V3", "class"] == "medium"


def test_classes_add_up_and_areas_add_up_on_the_demo(tmp_path: Path) -> None:
    import shutil

    from conftest import REPO

    shutil.copytree(REPO / "data" / "demo", tmp_path / "demo")
    res = exposure(load_study(tmp_path / "demo" / "study.toml"))
    s = res.summary
    people = [c for c in s.columns if c.startswith(("villages", "raster_"))]
    assert {"raster_total", "raster_under5", "villages_under5", "villages_elderly"} <= set(people)
    for hz in res.hazards:
        part = s[s["hazard"] == hz]
        by_class = part[part["class"] != ALL_CLASSES].groupby(["level", "area_id"])[people].sum()
        whole = part[part["class"] == ALL_CLASSES].set_index(["level", "area_id"])[people]
        pd.testing.assert_frame_equal(by_class.sort_index(), whole.sort_index(), check_exact=False, atol=0.05)
        for lvl in ("district", "tambon"):
            tot = part[(part["level"] == lvl) & (part["class"] == ALL_CLASSES)][people].sum()
            study = part[(part["level"] == "study") & (part["class"] == ALL_CLASSES)][people].iloc[0]
            np.testing.assert_allclose(tot.to_numpy(float), study.to_numpy(float), atol=0.05)
        # the depth raster's classes are depth bands, deepest first
    assert list(dict.fromkeys(s.loc[s["hazard"] == "flood_depth", "class"])) == [">= 2 m", "1-2 m", "0.3-1 m", "all"]
    # exposed people never exceed the people there are
    total = s[(s["level"] == "study") & (s["class"] == ALL_CLASSES)]
    assert (total["villages_under5"] <= total["villages_population"]).all()


def test_cli_writes_the_exposure_set(hand_study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["exposure", str(hand_study), "--out", str(out), "--lang", "th"])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} == {"exposure.html", "exposure.gpkg", "exposure_summary.csv"}
    import pyogrio

    layers = set(pyogrio.list_layers(out / "exposure.gpkg")[:, 0])
    assert {"villages", "tambons", "districts", "assets", "hazard_classes", "repeat_disasters"} <= layers
    csv = pd.read_csv(out / "exposure_summary.csv", encoding="utf-8-sig")
    assert _row(csv, "tambon", "T1", "high")["villages_population"] == 100
    html = (out / "exposure.html").read_text(encoding="utf-8")
    assert "ประชากรในพื้นที่เสี่ยง จำแนกตามอำเภอ" in html and "<svg" in html
    # an unknown hazard: a clear error, nothing written
    r = CliRunner().invoke(cli, ["exposure", str(hand_study), "--hazard", "tsunami", "--out", str(tmp_path / "x")])
    assert r.exit_code != 0 and "tsunami" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x" / "exposure.html").exists()


@pytest.mark.shared_data
def test_real_tambons_and_under5_raster_through_the_study_file(tmp_path: Path, shared_data: Path) -> None:
    """Under-5s inside a flood strip along the Kolok, per real tambon, against an independent cell-box computation."""
    nara = shared_data / "th_narathiwat_fullres_cctvnara"
    raster = shared_data / "th_u5pd_raster_spax" / "u5pd.tif"
    border = gpd.read_file(shared_data / "th_my_border_derived" / "th_my_border_line.geojson")
    line = border[border["th_pcode"] == "TH96"].to_crs(32647)
    strip = gpd.GeoDataFrame({"hazard_id": ["K1"], "kind": ["flood"], "severity": ["high"]},
                             geometry=[shapely.union_all(line.buffer(3000).values)], crs=32647)
    strip.to_file(tmp_path / "kolok_flood.gpkg", engine="pyogrio")
    (tmp_path / "study.toml").write_text("\n".join([
        '[study]', 'name = "Narathiwat"', '[layers]',
        f'districts = {{ path = "{nara}/narathiwat_amphoe_fullres.geojson", '
        'columns = { district_id = "adm2_pcode", name_en = "adm2_en", name_th = "adm2_th" } }',
        f'tambons = {{ path = "{nara}/narathiwat_tambon_fullres.geojson", columns = {{ tambon_id = "adm3_pcode", '
        'name_en = "adm3_en", name_th = "adm3_th", district_id = "adm2_pcode" } }',
        f'border = {{ path = "{shared_data}/th_my_border_derived/th_my_border_line.geojson", '
        "where = \"th_pcode = 'TH96'\" }",
        'hazards = { path = "kolok_flood.gpkg", kind = "flood", name = "kolok" }',
        f'population = [ {{ path = "{raster}", group = "under5" }} ]',
    ]) + "\n", encoding="utf-8")
    res = exposure(load_study(tmp_path / "study.toml"))
    got = res.people("tambon").set_index("area_id")["raster_under5"]

    tambons = gpd.read_file(nara / "narathiwat_tambon_fullres.geojson").to_crs(32647)
    zone = strip.geometry.iloc[0]
    with rasterio.open(raster) as ds:
        t, shape = ds.transform, (ds.height, ds.width)
        vals = np.ma.filled(ds.read(1, masked=True).astype(np.float64), 0.0)
    ref = {}
    for code, poly in zip(tambons["adm3_pcode"], tambons.geometry.values, strict=True):
        piece = shapely.intersection(poly, zone)
        if piece.is_empty:
            ref[code] = 0.0
            continue
        minx, miny, maxx, maxy = piece.bounds
        c0, r0 = (math.floor(v) for v in ~t * (minx, maxy))
        c1, r1 = (math.ceil(v) for v in ~t * (maxx, miny))
        c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, shape[1]), min(r1, shape[0])
        rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
        x, y = t.c + t.a * cc.ravel(), t.f + t.e * rr.ravel()
        boxes = shapely.box(x, y + t.e, x + t.a, y)
        frac = shapely.area(shapely.intersection(piece, boxes)) / abs(t.a * t.e)
        ref[code] = float(np.sum(frac * vals[rr.ravel(), cc.ravel()]))
    ref = pd.Series(ref)
    assert (ref > 0).sum() >= 10  # the strip crosses a dozen tambons or more
    np.testing.assert_allclose(got.reindex(ref.index).to_numpy(float), ref.to_numpy(), rtol=1e-5, atol=0.01)
    # the five border districts carry the flag, and the districts add up to the tambons
    d = res.people("district").set_index("area_id")
    assert set(d.index[d["is_border"]]) == {"TH9602", "TH9608", "TH9609", "TH9610", "TH9612"}
    assert d["raster_under5"].sum() == pytest.approx(got.sum(), abs=0.01 * len(got))  # rounded to 0.01 per row
