"""Targeted warnings: hand-checked targets, shelters, roads and vehicles; messages and SMS lengths; a valid CAP alert;
contacts that never reach a public output."""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from conftest import UTM47, X0, Y0

from safegeo._errors import SettingsError, StudyFileError, WarningAreaError
from safegeo.cli import cli
from safegeo.study import load_study
from safegeo.warning import read_alert, validate_alert
from safegeo.warning.targets import render_message, warn, warning_area

FLEET = gpd.GeoDataFrame(
    {"vehicle_id": ["A1", "A2", "F1"], "type": ["ambulance", "ambulance", "fire_engine"],
     "status": ["available", "maintenance", "available"], "agency": ["H", "H", "M"]},
    geometry=shapely.points([[X0 + 2000, Y0 + 500], [X0 + 1750, Y0 + 500], [X0 + 1250, Y0 + 500]]), crs=UTM47)


@pytest.fixture
def study(hand_study: Path):
    pd.DataFrame({"contact_id": ["C1", "C2", "C3"], "village_id": ["V1", "V2", "V3"], "role": "village_head",
                  "name": ["Somchai", "Abdullah", "Hasan"], "phone": ["081-111-2222", "082-333-4444", "083-555-6666"]}
                 ).to_csv(hand_study.parent / "contacts.csv", index=False)
    text = hand_study.read_text().replace("\n[layers]\n", '\n[layers]\ncontacts = { path = "contacts.csv" }\n')
    hand_study.write_text(text, encoding="utf-8")
    return load_study(hand_study)


def test_flood_warning_targets_shelters_roads_and_vehicles(study) -> None:
    area = warning_area(study, hazard="hazards")
    assert area.kind == "flood" and not area.is_buffer
    res = warn(study, area, onset="2026-11-28T18:00", fleet=FLEET, status="Exercise")
    # the flood covers the west tambon only: V1 and V2, 300 people, 30 under-5s
    assert sorted(res.villages["village_id"]) == ["V1", "V2"]
    assert res.villages["population"].sum() == 300 and res.villages["under5"].sum() == 30
    assert list(res.tambons["tambon_id"]) == ["T1"]  # T2 only shares an edge with the flood
    t1 = res.tambons.iloc[0]
    assert t1["share_inside"] == pytest.approx(1.0) and t1["raster_total"] == pytest.approx(100.0)
    assert t1["villages_population"] == 300 and t1["is_border"]
    # the clinic stands in the flood: everyone goes to the hall in the east, within its 500 places
    assert list(res.shelters["shelter_id"]) == ["S2"]
    assert res.shelters.iloc[0]["expected_people"] == 300 and res.shelters.iloc[0]["over_capacity"] == 0
    assert set(res.villages["shelter_id"]) == {"S2"} and (res.villages["status"] == "assigned").all()
    # the two road pieces touching the high class close: 250 m + 500 m
    assert len(res.roads) == 2 and res.roads["length_m"].sum() == pytest.approx(750.0)
    # vehicles: the maintenance ambulance is not proposed; the fire engine at x=1250 drives 500 m of slowed road
    v = res.vehicles.set_index("vehicle_id")
    assert set(v.index) == {"A1", "F1"} and not v["inside_area"].any()
    net = study.network()
    edge = [(u, w) for u, w in zip(net.u, net.v, strict=True)
            if math.isclose(net.x[u], X0 + 1250) and math.isclose(net.x[w], X0 + 750)]
    assert len(edge) == 1
    k = next(i for i in range(net.n_edges) if (net.u[i], net.v[i]) == edge[0])
    assert v.loc["F1", "eta_min"] == pytest.approx(net.time_s[k] / 0.25 / 60.0, abs=0.06)  # medium: speed x 0.25
    assert v.loc["A1", "eta_min"] > v.loc["F1", "eta_min"]
    assert v.loc["F1"].geometry.length == pytest.approx(500.0)


def test_messages_sms_lengths_and_the_private_send_list(study) -> None:
    res = warn(study, warning_area(study, hazard="hazards"), onset="2026-11-28T18:00+07:00", fleet=FLEET)
    m = res.messages
    assert set(m["lang"]) == {"th", "en"} and (m["audience"] == "area").sum() == 2
    assert (m["audience"] == "village").sum() == 4  # 2 villages x 2 languages
    th = m[(m["audience"] == "area") & (m["lang"] == "th")].iloc[0]
    assert "น้ำท่วม" in th["text"] and "28 พ.ย. 69 18:00 น." in th["text"] and "ต.ตะวันตก" in th["text"]
    en = m[(m["audience"] == "village") & (m["lang"] == "en") & (m["village_id"] == "V2")].iloc[0]
    assert re.search(r"B: go to Hall \(about \d+ min\) before 28 Nov 2026 18:00", en["text"])
    for _, r in m.iterrows():  # Thai is UCS-2: 70 characters in one SMS, 67 a segment beyond
        if r["encoding"] == "UCS-2":
            n = len(r["text"])
            assert r["segments"] == (1 if n <= 70 else math.ceil(n / 67))
        else:
            assert r["segments"] == (1 if len(r["text"]) <= 160 else math.ceil(len(r["text"]) / 153))
    s = res.send_list
    assert set(s["village_id"]) == {"V1", "V2"} and set(s["contact_phone"]) == {"081-111-2222", "082-333-4444"}
    assert (s["lang"] == "th").all() and s["text"].str.contains("เตือนภัยน้ำท่วม").all()


def test_the_alert_is_valid_cap_and_covers_every_target(study, tmp_path: Path) -> None:
    res = warn(study, warning_area(study, hazard="hazards"), onset="2026-11-28T18:00", expires="2026-11-29T06:00",
               fleet=FLEET, status="Exercise")
    assert validate_alert(res.alert_xml) == []
    alert = read_alert(res.alert_xml)
    assert alert.status == "Exercise" and [i.language for i in alert.infos] == ["th-TH", "en-US"]
    th, en = alert.info("th"), alert.info("en")
    assert th.event == "น้ำท่วม" and en.event == "Flood" and en.category == ("Met",)
    assert en.onset.isoformat() == "2026-11-28T18:00:00+07:00" and en.expires.isoformat() == "2026-11-29T06:00:00+07:00"
    assert alert.geocodes("ADM3_PCODE") == ["T1"] and alert.geocodes("ADM2_PCODE") == ["D1"]
    foot = gpd.GeoSeries([alert.footprint()], crs=4326).to_crs(UTM47).iloc[0]
    assert shapely.contains(foot.buffer(0.01), res.villages.geometry.values).all()
    # the written alert and a CAP file taken back as the area give the same targets
    res.write(tmp_path / "w")
    again = warning_area(study, cap=tmp_path / "w" / "alert.xml")
    assert again.kind == "flood"
    res2 = warn(study, again, fleet=FLEET)
    assert sorted(res2.villages["village_id"]) == ["V1", "V2"]
    assert read_alert(res2.alert_xml).info("en").expires == en.expires  # the incoming alert's times are kept


def test_public_outputs_hold_no_contact(study, tmp_path: Path) -> None:
    res = warn(study, warning_area(study, hazard="hazards"), fleet=FLEET)
    private = {p.name for p in res.write(tmp_path / "private")}
    assert "send_list.csv" in private
    public = res.write(tmp_path / "public", public=True)
    assert "send_list.csv" not in {p.name for p in public}
    for p in public:
        data = p.read_bytes()
        for phone in ("081-111-2222", "082-333-4444", "Somchai", "Abdullah"):
            assert phone.encode() not in data, (p.name, phone)


def test_buffers_areas_and_bad_input(study, tmp_path: Path) -> None:
    lon, lat = gpd.GeoSeries([shapely.Point(X0 + 1500, Y0 + 750)], crs=UTM47).to_crs(4326).iloc[0].coords[0]
    buf = warning_area(study, near=(lon, lat), radius_m=100.0)
    assert buf.is_buffer and buf.polygons.iloc[0]["desc"].startswith("100 m around")
    res = warn(study, buf, kind="landslide", fleet=FLEET)
    assert list(res.villages["village_id"]) == ["V3"] and len(res.roads) == 0  # a buffer closes no road
    assert read_alert(res.alert_xml).info("en").event == "Landslide"
    # a polygon file is an area; it closes the roads inside it
    gpd.GeoDataFrame({"name": ["east"]}, geometry=[shapely.box(X0 + 1400, Y0 + 400, X0 + 1600, Y0 + 900)],
                     crs=UTM47).to_crs(4326).to_file(tmp_path / "east.geojson")
    east = warn(study, warning_area(study, area=tmp_path / "east.geojson"), fleet=FLEET)
    assert list(east.villages["village_id"]) == ["V3"] and len(east.roads) == 1
    with pytest.raises(WarningAreaError, match="no warning area given"):
        warning_area(study)
    with pytest.raises(WarningAreaError, match="needs --radius-m"):
        warning_area(study, near=(lon, lat))
    with pytest.raises(WarningAreaError, match="outside the study's districts"):
        warning_area(study, near=(100.5, 13.7), radius_m=500.0)
    gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)], crs=UTM47).to_file(tmp_path / "pt.gpkg")
    with pytest.raises(WarningAreaError, match="must be polygons"):
        warning_area(study, area=tmp_path / "pt.gpkg")
    with pytest.raises(WarningAreaError, match="not after onset"):
        warn(study, buf, onset="2026-11-28T18:00", expires="2026-11-28T06:00")
    with pytest.raises(SettingsError, match=r"unknown placeholder\(s\) \{villlage\}"):
        render_message("{event} {villlage}", {})


def test_templates_from_the_study_file(hand_study: Path) -> None:
    text = hand_study.read_text(encoding="utf-8")
    hand_study.write_text(text + '\n[warning]\nsender = "narathiwat@disaster.go.th"\n'
                          '[warning.messages]\narea_en = "FLOOD at {areas}!"\n', encoding="utf-8")
    st = load_study(hand_study)
    res = warn(st, warning_area(st, hazard="hazards"), fleet=FLEET)
    m = res.messages
    assert m[(m["audience"] == "area") & (m["lang"] == "en")]["text"].iloc[0] == "FLOOD at West!"
    assert read_alert(res.alert_xml).sender == "narathiwat@disaster.go.th"
    hand_study.write_text(text + '\n[warning.messages]\nareaen = "x"\n', encoding="utf-8")
    with pytest.raises(StudyFileError, match="unknown key"):
        load_study(hand_study)


def test_cli_warn_near_a_gauge_and_from_a_cap_file(hand_study: Path, tmp_path: Path) -> None:
    lon, lat = gpd.GeoSeries([shapely.Point(X0 + 600, Y0 + 700)], crs=UTM47).to_crs(4326).iloc[0].coords[0]
    out = tmp_path / "w"
    r = CliRunner().invoke(cli, ["warn", str(hand_study), "--near", f"{lon},{lat}", "--radius-m", "300",
                                 "--hazard", "hazards", "--onset", "2026-11-28T18:00", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} >= {"warning.html", "warning.gpkg", "targets.csv", "messages.csv",
                                                "alert.xml"}
    targets = pd.read_csv(out / "targets.csv", encoding="utf-8-sig")
    assert set(targets.loc[targets["level"] == "village", "area_id"]) == {"V2"}
    assert validate_alert(out / "alert.xml") == []
    r = CliRunner().invoke(cli, ["warn", str(hand_study), "--cap", str(out / "alert.xml"), "--out", str(tmp_path / "c"),
                                 "--lang", "th", "--public"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "c" / "send_list.csv").exists()
    # bad input: exit 1 or 2 with the reason, no traceback, nothing written
    for args, words in ((["--near", "101.8"], "neither LON,LAT"), ([], "give the warning area"),
                        (["--near", "100.5,13.7", "--radius-m", "500"], "outside the study")):
        r = CliRunner().invoke(cli, ["warn", str(hand_study), *args, "--out", str(tmp_path / "bad")])
        assert r.exit_code in (1, 2) and words in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
