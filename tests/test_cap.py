"""CAP 1.2 alerts: schema validity, polygon text, simplification, geocodes, round trip, errors, SMS lengths."""

from __future__ import annotations

import hashlib
import re
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatch
from importlib import resources

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import REPO
from shapely import affinity

from safegeo._errors import CapError, CRSError, SafegeoError
from safegeo.warning.cap import (
    BANGKOK,
    CAP11_NS,
    CAP12_NS,
    GSM7_BASIC,
    GSM7_EXTENSION,
    CapAlert,
    CapArea,
    CapInfo,
    Circle,
    build_alert,
    cap_area,
    cap_areas,
    format_cap_time,
    hazard_category,
    read_alert,
    sms_segments,
    validate_alert,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TAMBONS = "th_narathiwat_fullres_cctvnara/narathiwat_tambon_fullres.geojson"
SENT = datetime(2025, 11, 20, 7, 0, tzinfo=BANGKOK)
NS = {"cap": CAP12_NS}
# a point in Narathiwat town (Mueang Narathiwat)
TOWN_LON, TOWN_LAT = 101.82, 6.43


def info(language: str = "en-US", **kw) -> CapInfo:
    texts = {"en-US": ("Flood", "Flood warning for Narathiwat town", "Go to the shelter at the school now."),
             "th-TH": ("น้ำท่วม", "เตือนภัยน้ำท่วมเขตเทศบาลเมืองนราธิวาส", "อพยพไปศูนย์พักพิงที่โรงเรียนทันที")}
    event, headline, instruction = texts.get(language, texts["en-US"])
    base = {"language": language, "category": hazard_category("flood"), "event": event, "urgency": "Immediate",
            "severity": "Severe", "certainty": "Observed", "response_type": ("Evacuate",), "headline": headline,
            "instruction": instruction, "sender_name": "ปภ. นราธิวาส" if language == "th-TH" else "DDPM Narathiwat",
            "onset": SENT + timedelta(hours=1), "expires": SENT + timedelta(days=1),
            "parameters": {"safegeo:hazard": "flood", "safegeo:villages": "12"}}
    return CapInfo(**{**base, **kw})


def town_area(**kw) -> CapArea:
    """A 2 km disk around Narathiwat town, built in UTM 47N (so cap_area must reproject)."""
    utm = gpd.GeoSeries([shapely.Point(TOWN_LON, TOWN_LAT)], crs=4326).to_crs(32647)
    return cap_area(utm.buffer(2000), desc={"th-TH": "เมืองนราธิวาส", "en-US": "Narathiwat town"},
                    geocodes={"ADM2_PCODE": "TH9601"}, **kw)


def both(area: CapArea | None = None, **kw) -> list[CapInfo]:
    areas = (area or town_area(),)
    return [info("th-TH", areas=areas, **kw), info("en-US", areas=areas, **kw)]


def pairs(text: str) -> np.ndarray:
    """'lat,lon lat,lon' -> array of (lat, lon)."""
    return np.array([[float(v) for v in tok.split(",")] for tok in text.split()])


@pytest.fixture(scope="module")
def tambons(shared_data):
    return gpd.read_file(shared_data / TAMBONS)


# --- the schema ----------------------------------------------------------------


def test_bundled_xsd_is_the_oasis_cap_1_2_schema():
    xsd = resources.files("safegeo").joinpath("assets", "cap", "CAP-v1.2.xsd")
    raw = xsd.read_bytes()
    text = raw.decode("utf-8")
    assert "<!-- Copyright OASIS Open 2010 All Rights Reserved -->" in text.splitlines()[1]
    root = ET.fromstring(raw)
    assert root.get("targetNamespace") == CAP12_NS and root.get("version") == "1.2"
    assert root.find("{http://www.w3.org/2001/XMLSchema}element").get("name") == "alert"
    # the file is the copy PROVENANCE.md describes, unchanged
    provenance = xsd.parent.joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(raw).hexdigest() in provenance
    # and it is shipped: pyproject's package data matches it
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = data["tool"]["setuptools"]["package-data"]["safegeo"]
    assert any(fnmatch("assets/cap/CAP-v1.2.xsd", g) and "/" in g.removeprefix("assets/") for g in globs)


def test_thai_and_english_alert_validates_against_the_xsd():
    xml = build_alert(both(), sender="narathiwat@disaster.go.th", sent=SENT, codes=["safegeo"], note="exercise note")
    assert validate_alert(xml) == []
    root = ET.fromstring(xml.encode("utf-8"))
    assert [el.text for el in root.findall("cap:info/cap:language", NS)] == ["th-TH", "en-US"]
    th = root.find("cap:info", NS)
    assert th.find("cap:event", NS).text == "น้ำท่วม"
    assert th.find("cap:area/cap:areaDesc", NS).text == "เมืองนราธิวาส"
    assert root.findall("cap:info", NS)[1].find("cap:area/cap:areaDesc", NS).text == "Narathiwat town"
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_validate_alert_reports_schema_violations():
    xml = build_alert(both(), sender="s", sent=SENT)
    # the XSD's pattern forbids fractional seconds and 'Z'; it lists the urgencies
    broken = xml.replace("<sent>2025-11-20T07:00:00+07:00</sent>", "<sent>2025-11-20T00:00:00.5Z</sent>")
    broken = broken.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>", 1)
    problems = validate_alert(broken)
    assert len(problems) == 2
    assert problems[0].startswith("/alert/sent:")
    assert problems[1].startswith("/alert/info[1]/urgency:") and "Immediate" in problems[1]
    assert validate_alert("<rss/>") == ["CAP document: not a CAP alert (root element <rss>)"]
    assert validate_alert(b"<alert><info></alert>")[0].startswith("CAP document: not well-formed XML")
    assert "CAP 1.1" in validate_alert(xml.replace(CAP12_NS, CAP11_NS))[0]


# --- polygon text --------------------------------------------------------------


def test_polygons_are_closed_lat_lon_counter_clockwise():
    xml = build_alert(both(), sender="s", sent=SENT)
    texts = [el.text for el in ET.fromstring(xml.encode()).iter(f"{{{CAP12_NS}}}polygon")]
    assert len(texts) == 2  # one per info
    ring = pairs(texts[0])
    assert re.match(r"^6\.4\d*,101\.8\d*$", texts[0].split()[0])  # "lat,lon": Narathiwat town is 6.43 N, 101.82 E
    assert np.all((ring[:, 0] > 6.40) & (ring[:, 0] < 6.46)) and np.all((ring[:, 1] > 101.79) & (ring[:, 1] < 101.85))
    assert np.allclose(ring[:-1].mean(axis=0), [TOWN_LAT, TOWN_LON], atol=1e-3)
    assert np.array_equal(ring[0], ring[-1]) and len(ring) >= 4
    lonlat = shapely.Polygon(ring[:, ::-1])
    assert lonlat.exterior.is_ccw  # counter-clockwise with east right, north up


def test_small_polygon_is_written_as_given():
    area = cap_area(shapely.box(101.81, 6.42, 101.83, 6.44), crs="EPSG:4326", desc="box")
    assert area.tolerance_m is None
    xml = build_alert([info(areas=(area,))], sender="s", sent=SENT, require_languages=())
    text = ET.fromstring(xml.encode()).find("cap:info/cap:area/cap:polygon", NS).text
    tokens = text.split()
    assert len(tokens) == 5 and tokens[0] == tokens[-1]
    assert set(tokens) == {"6.42,101.81", "6.42,101.83", "6.44,101.83", "6.44,101.81"}


def test_circle_for_a_point_with_radius():
    area = cap_area(shapely.Point(TOWN_LON, TOWN_LAT), crs=4326, radius_m=2500, desc="town")
    xml = build_alert([info(areas=(area,))], sender="s", sent=SENT, require_languages=())
    assert "<circle>6.43,101.82 2.5</circle>" in xml
    assert validate_alert(xml) == []
    disk = read_alert(xml).areas[0].geometry
    metric = gpd.GeoSeries([disk], crs=4326).to_crs(32647).iloc[0]
    assert metric.area == pytest.approx(np.pi * 2500**2, rel=0.01)
    centre = gpd.GeoSeries([shapely.Point(TOWN_LON, TOWN_LAT)], crs=4326).to_crs(32647).iloc[0]
    assert metric.exterior.distance(centre) == pytest.approx(2500, rel=0.002)


def test_multipolygon_parts_become_polygons_and_holes_are_dropped():
    outer = shapely.box(0, 0, 4000, 4000)
    hole = shapely.box(1500, 1500, 2500, 2500)
    island = shapely.box(6000, 0, 7000, 1000)
    geom = shapely.MultiPolygon([shapely.Polygon(outer.exterior, [hole.exterior]), island])
    shifted = affinity.translate(geom, 812_000, 711_000)
    area = cap_area(shifted, crs="EPSG:32647", desc="two parts")
    assert len(area.polygons) == 2 and all(len(p.interiors) == 0 for p in area.polygons)
    xml = build_alert([info(areas=(area,))], sender="s", sent=SENT, require_languages=())
    assert xml.count("<polygon>") == 2
    footprint = gpd.GeoSeries([read_alert(xml).footprint()], crs=4326).to_crs(32647).iloc[0]
    in_hole = shapely.Point(814_000, 713_000)
    assert footprint.contains(in_hole)  # the hole is filled: the area only grows
    assert footprint.area == pytest.approx(4000 * 4000 + 1000 * 1000, rel=1e-4)


# --- simplification on real tambons ------------------------------------------------


@pytest.mark.shared_data
def test_simplification_keeps_every_inside_point_and_the_vertex_cap(tambons):
    n = shapely.get_num_coordinates(tambons.geometry.values)
    worst = tambons.iloc[[int(np.argmax(n))]]  # Sukhirin, 3,843 points
    assert n.max() > 3000
    area = cap_area(worst, desc="worst", max_vertices=100)
    assert area.tolerance_m is not None and area.tolerance_m > 5
    xml = build_alert([info(areas=(area,))], sender="s", sent=SENT, require_languages=())
    back = read_alert(xml).areas[0]  # what a consumer sees, after rounding to 1e-6 degree
    assert all(shapely.get_num_coordinates(p) <= 100 for p in back.polygons)

    utm = worst.to_crs(32647).geometry.iloc[0]
    written = gpd.GeoSeries([back.geometry], crs=4326).to_crs(32647).iloc[0]
    # every boundary vertex and 2,000 random inside points (stand-ins for villages) stay inside
    shapely.prepare(utm)
    shapely.prepare(written)
    rng = np.random.default_rng(7)
    xmin, ymin, xmax, ymax = utm.bounds
    cand = shapely.points(rng.uniform(xmin, xmax, 20_000), rng.uniform(ymin, ymax, 20_000))
    inside = cand[shapely.contains(utm, cand)][:2000]
    edge = shapely.points(np.asarray(utm.exterior.coords))
    assert len(inside) == 2000
    assert shapely.covers(written, inside).all() and shapely.covers(written, edge).all()
    # ...and not by covering everything: the area grows by a few per cent only
    assert 1.0 < written.area / utm.area < 1.15
    # an independent check that the test can fail: plain simplification to the same size loses edge points
    naive = shapely.simplify(utm, area.tolerance_m, preserve_topology=True)
    assert not shapely.covers(naive, edge).all()


@pytest.mark.shared_data
def test_geocodes_carry_the_tambon_pcodes(tambons):
    mueang = tambons[tambons["adm2_pcode"] == "TH9601"]
    assert len(mueang) >= 3
    areas = cap_areas(mueang, desc={"th-TH": "adm3_th", "en-US": "adm3_en"})
    xml = build_alert(both_areas(areas), sender="s", sent=SENT)
    assert validate_alert(xml) == []
    alert = read_alert(xml)
    assert alert.geocodes("ADM3_PCODE") == list(mueang["adm3_pcode"])
    assert alert.geocodes("adm2_pcode") == ["TH9601"] and alert.geocodes("ADM1_PCODE") == ["TH96"]
    th, en = alert.info("th"), alert.info("en")
    assert [a.desc for a in th.areas] == list(mueang["adm3_th"])
    assert [a.desc for a in en.areas] == list(mueang["adm3_en"])
    frame = alert.areas_frame()
    assert len(frame) == 2 * len(mueang) and frame.crs.to_epsg() == 4326
    assert frame["geocodes"].iloc[0] == f"ADM1_PCODE=TH96;ADM2_PCODE=TH9601;ADM3_PCODE={mueang['adm3_pcode'].iloc[0]}"
    # each written tambon polygon still covers its tambon
    for a, geom in zip(en.areas, mueang.geometry, strict=True):
        assert a.geometry.buffer(1e-6).covers(geom)  # 1e-6 degree: the written rounding


def both_areas(areas: list[CapArea]) -> list[CapInfo]:
    return [info("th-TH", areas=tuple(areas)), info("en-US", areas=tuple(areas))]


# --- round trip ----------------------------------------------------------------


def test_round_trip_gives_back_infos_and_areas(tmp_path):
    town = town_area()
    circle = cap_area(shapely.Point(101.78, 6.40), crs=4326, radius_m=1500, desc={"th-TH": "จุดอพยพ", "en-US": "Muster point"})
    area3 = CapArea(desc="geocode only", geocodes=(("ADM3_PCODE", "TH960101"),), altitude=0, ceiling=1000)
    infos = [info("th-TH", areas=(town, circle, area3), web="https://example.go.th/a?x=1&y=2", contact="1784",
                  event_codes={"SAME": "FLW"}),
             info("en-US", areas=(town, circle, area3), description="Water is rising <fast> & high.")]
    xml = build_alert(infos, sender="narathiwat@disaster.go.th", sent=SENT, status="exercise", scope="Restricted",
                      restriction="DDPM staff only", incidents=["flood-2025-11"])
    assert validate_alert(xml) == []
    path = tmp_path / "alert.xml"
    path.write_text(xml, encoding="utf-8")
    alert = read_alert(path)
    assert isinstance(alert, CapAlert) and alert.version == "1.2"
    assert (alert.sender, alert.sent, alert.status, alert.msg_type, alert.scope) == (
        "narathiwat@disaster.go.th", SENT, "Exercise", "Alert", "Restricted")
    assert alert.restriction == "DDPM staff only" and alert.incidents == ("flood-2025-11",)
    for written, read in zip(infos, alert.infos, strict=True):
        for field in ("language", "category", "event", "response_type", "urgency", "severity", "certainty",
                      "event_codes", "effective", "onset", "expires", "sender_name", "headline", "description",
                      "instruction", "web", "contact", "parameters"):
            assert getattr(read, field) == getattr(written, field), field
        assert [a.desc for a in read.areas] == [a.desc_for(written.language) for a in written.areas]
        for w, r in zip(written.areas, read.areas, strict=True):
            assert r.geocodes == w.geocodes and r.circles == w.circles
            assert (r.altitude, r.ceiling) == (w.altitude, w.ceiling)
            assert len(r.polygons) == len(w.polygons)
            for pw, pr in zip(w.polygons, r.polygons, strict=True):
                assert shapely.hausdorff_distance(pw, pr) < 1e-6  # 6 decimals
    assert alert.info("th").description is None and alert.info("en-US").description == "Water is rising <fast> & high."
    fp = gpd.GeoSeries([alert.footprint()], crs=4326).to_crs(32647).iloc[0]
    assert fp.area == pytest.approx(np.pi * (2000**2 + 1500**2), rel=0.02)  # two disjoint disks


def test_read_cap_1_1_with_circle_and_unclosed_polygon():
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP11_NS}">
  <identifier>KSTO1055887203</identifier><sender>KSTO@NWS.NOAA.GOV</sender>
  <sent>2003-06-17T14:57:00-07:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><category>Met</category><event>SEVERE THUNDERSTORM</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Observed</certainty>
    <area><areaDesc>EXTREME NORTH CENTRAL TUOLUMNE COUNTY</areaDesc>
      <polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89</polygon>
      <circle>38.5,-120.0 10</circle>
      <geocode><valueName>FIPS6</valueName><value>006109</value></geocode></area></info>
</alert>"""
    alert = read_alert(doc)
    assert alert.version == "1.1" and alert.sent == datetime(2003, 6, 17, 14, 57, tzinfo=timezone(timedelta(hours=-7)))
    info11 = alert.infos[0]
    assert info11.language == "en-US"  # CAP's default
    poly = info11.areas[0].polygons[0]
    assert poly.exterior.coords[0] == (-120.14, 38.47) and len(poly.exterior.coords) == 5  # closed on reading
    assert info11.areas[0].circles == (Circle(38.5, -120.0, 10.0),)
    assert alert.geocodes("FIPS6") == ["006109"]


# --- errors ----------------------------------------------------------------------


def test_update_and_cancel_need_references():
    first = read_alert(build_alert(both(), sender="s", sent=SENT))
    with pytest.raises(CapError, match="msgType Update needs references"):
        build_alert(both(), sender="s", sent=SENT + timedelta(hours=1), msg_type="Update")
    with pytest.raises(CapError, match="msgType Cancel needs references"):
        build_alert([], sender="s", sent=SENT + timedelta(hours=1), msg_type="cancel")
    update = build_alert(both(), sender="s", sent=SENT + timedelta(hours=1), msg_type="Update", references=[first])
    cancel = build_alert([], sender="s", sent=SENT + timedelta(hours=2), msg_type="Cancel",
                         references=[("s", first.identifier, SENT)])
    for xml in (update, cancel):
        assert validate_alert(xml) == []
        assert read_alert(xml).references == (("s", first.identifier, "2025-11-20T07:00:00+07:00"),)
    with pytest.raises(CapError, match="not supported"):
        build_alert(both(), sender="s", sent=SENT, msg_type="Ack")


def test_bad_values_are_reported_together_and_clearly():
    with pytest.raises(CapError) as err:
        build_alert([info("th-TH", severity="Bad", category=("Met", "Weather"), response_type="Run",
                          expires=datetime(2025, 11, 21, 8, 0)), info("en US")],
                    sender="DDPM Narathiwat", sent=SENT, status="Real", scope="Private")
    text = str(err.value)
    assert text.startswith("9 problem(s) in the CAP alert:")
    for expected in ("sender 'DDPM Narathiwat' must not contain spaces",
                     "status 'Real' is not a CAP status; use one of Actual, Exercise, System, Test, Draft",
                     "scope Private needs addresses",
                     "no info block in en",  # 'en US' is no English tag
                     "info[0] (th-TH): severity 'Bad' is not a CAP severity; use one of Extreme, Severe, Moderate, Minor, Unknown",
                     "info[0] (th-TH): category 'Weather' is not a CAP category",
                     "info[0] (th-TH): responseType 'Run' is not a CAP responseType",
                     "info[0] (th-TH): expires: 2025-11-21T08:00:00 has no time zone",
                     "info[1] (en US): language 'en US' is not an RFC 3066 tag"):
        assert expected in text, expected
    assert isinstance(err.value, SafegeoError) and isinstance(err.value, ValueError)
    # CAP's words are matched whatever their case
    xml = build_alert(both(severity="severe", urgency="IMMEDIATE"), sender="s", sent=SENT)
    assert "<severity>Severe</severity>" in xml and "<urgency>Immediate</urgency>" in xml


def test_scope_and_language_rules():
    with pytest.raises(CapError, match="scope Restricted needs a restriction"):
        build_alert(both(), sender="s", sent=SENT, scope="Restricted")
    xml = build_alert(both(), sender="s", sent=SENT, scope="Private", addresses=["ddpm-nara", "Governor Office"])
    assert '<addresses>ddpm-nara "Governor Office"</addresses>' in xml
    assert read_alert(xml).addresses == ("ddpm-nara", "Governor Office")
    with pytest.raises(CapError, match="no info block in th"):
        build_alert([info("en-US")], sender="s", sent=SENT)
    with pytest.raises(CapError, match="expires .* is not after onset"):
        build_alert(both(expires=SENT), sender="s", sent=SENT)


def test_times_have_zone_no_fraction_and_utc_as_minus_zero():
    assert format_cap_time(datetime(2025, 11, 20, 8, 0, 0, 999_999, tzinfo=BANGKOK)) == "2025-11-20T08:00:00+07:00"
    assert format_cap_time(datetime(2025, 11, 20, 1, 0, tzinfo=timezone.utc)) == "2025-11-20T01:00:00-00:00"
    assert format_cap_time("2025-11-20T01:00:00Z") == "2025-11-20T01:00:00-00:00"
    with pytest.raises(CapError, match="no time zone"):
        format_cap_time(datetime(2025, 11, 20, 8, 0))
    with pytest.raises(CapError, match="not an ISO 8601"):
        format_cap_time("yesterday")
    xml = build_alert(both(), sender="s")  # sent defaults to now in Bangkok
    sent = ET.fromstring(xml.encode()).find("cap:sent", NS).text
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", sent)
    assert validate_alert(xml) == []


def test_identifier_is_stable_and_follows_cap_rules():
    a = build_alert(both(), sender="narathiwat@disaster.go.th", sent=SENT)
    b = build_alert(both(), sender="narathiwat@disaster.go.th", sent=SENT)
    other_area = both(cap_area(shapely.Point(101.8, 6.4), crs=4326, radius_m=100, desc="x"))
    c = build_alert(other_area, sender="narathiwat@disaster.go.th", sent=SENT)
    ids = [read_alert(x).identifier for x in (a, b, c)]
    assert ids[0] == ids[1] != ids[2]
    assert re.fullmatch(r"narathiwat@disaster\.go\.th\.20251120T070000\+0700\.[0-9a-f]{12}", ids[0])
    assert read_alert(build_alert(both(), sender="s", sent=SENT, identifier="TH-96-0001")).identifier == "TH-96-0001"
    with pytest.raises(CapError, match="identifier 'a,b' must not contain"):
        build_alert(both(), sender="s", sent=SENT, identifier="a,b")


def test_reading_bad_documents_is_a_clear_error(tmp_path):
    cases = {
        "<alert><info></alert>": "not well-formed XML",
        '<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "aaaa">]><alert>&a;</alert>': "DOCTYPE",
        "<rss><channel/></rss>": r"not a CAP alert \(root element <rss>\)",
        "<alert/>": "not in a CAP namespace",
        '<alert xmlns="http://www.incident.com/cap/1.0"/>': "CAP 1.0",
        f'<alert xmlns="{CAP12_NS}"><identifier>x</identifier></alert>': "missing alert/sender, alert/sent",
    }
    for doc, message in cases.items():
        with pytest.raises(CapError, match=message):
            read_alert(doc)
    bad_polygon = build_alert(both(), sender="s", sent=SENT)
    bad_polygon = re.sub(r"<polygon>[^<]*</polygon>", "<polygon>6.4,101.8 6.5,101.9</polygon>", bad_polygon)
    with pytest.raises(CapError, match="CAP needs at least 4"):
        read_alert(bad_polygon)
    swapped = re.sub(r"<polygon>[^<]*</polygon>", "<polygon>101.8,6.4 101.9,6.4 101.9,6.5 101.8,6.4</polygon>",
                     build_alert(both(), sender="s", sent=SENT))
    with pytest.raises(CapError, match="outside latitude/longitude ranges"):
        read_alert(swapped)
    with pytest.raises(CapError, match="cannot read CAP file"):
        read_alert(tmp_path / "missing.xml")


def test_geometry_inputs_are_checked():
    with pytest.raises(CRSError, match="no CRS"):
        cap_area(shapely.box(0, 0, 1, 1), desc="x")
    with pytest.raises(CapError, match="not lines"):
        cap_area(shapely.LineString([(101.8, 6.4), (101.9, 6.5)]), crs=4326, desc="x")
    with pytest.raises(CapError, match="points need a radius"):
        cap_area(shapely.Point(101.8, 6.4), crs=4326, desc="x")
    with pytest.raises(CapError, match="at least 4 points"):
        cap_area(shapely.box(101.8, 6.4, 101.9, 6.5), crs=4326, desc="x", max_vertices=3)
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(101.8, 6.4, 101.9, 6.5)], crs=4326)
    with pytest.raises(CapError, match="column\\(s\\) 'name_th' not in the layer"):
        cap_areas(frame, desc={"th-TH": "name_th", "en-US": "name"})
    utm_poly = CapArea(desc="utm by mistake", polygons=(shapely.box(812_000, 711_000, 813_000, 712_000),))
    with pytest.raises(CapError, match="must be EPSG:4326"):
        build_alert([info(areas=(utm_poly,))], sender="s", sent=SENT, require_languages=())


def test_hazard_categories():
    assert hazard_category("flood") == ("Met",) and hazard_category("landslide") == ("Geo",)
    assert hazard_category("storm_surge") == ("Met",) and hazard_category("Storm surge") == ("Met",)
    assert hazard_category("haze") == ("Env", "Health") and hazard_category("unrest") == ("Security",)
    assert hazard_category("fire") == ("Fire",) and hazard_category("epidemic") == ("Health",)
    assert hazard_category("drought") == ("Met",) and hazard_category("storm") == ("Met",)
    with pytest.raises(CapError, match="hazard kind 'meteor' has no CAP category"):
        hazard_category("meteor")


# --- SMS -------------------------------------------------------------------------


def test_sms_segments_known_lengths():
    assert len(GSM7_BASIC) == 127 and len(GSM7_EXTENSION) == 10  # GSM 03.38: 128 codes less the escape; 10 extensions
    thai = "น้ำท่วมฉับพลัน" * 10  # 14 UTF-16 units each
    assert sms_segments(thai[:70]) == ("UCS-2", 70, 1)
    assert sms_segments(thai[:71]) == ("UCS-2", 71, 2)
    assert sms_segments(thai[:134]) == ("UCS-2", 134, 2) and sms_segments(thai[:135]) == ("UCS-2", 135, 3)
    assert sms_segments("a" * 160) == ("GSM-7", 160, 1)
    assert sms_segments("a" * 161) == ("GSM-7", 161, 2)
    assert sms_segments("a" * 306) == ("GSM-7", 306, 2) and sms_segments("a" * 307) == ("GSM-7", 307, 3)
    assert sms_segments("€" * 80) == ("GSM-7", 160, 1)
    assert sms_segments("€" * 81) == ("GSM-7", 162, 2)
    # an escape pair is not split: 152 + [2] + 152 needs three 153-septet segments, not two
    assert sms_segments("a" * 152 + "€" + "a" * 152) == ("GSM-7", 306, 3)
    assert sms_segments("Flood! Go to: school @ 08:00").encoding == "GSM-7"
    assert sms_segments("a" * 159 + "😀") == ("UCS-2", 161, 3)  # an emoji is two UTF-16 units and forces UCS-2
    assert sms_segments("") == ("GSM-7", 0, 0)
