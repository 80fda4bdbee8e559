"""Tests for safegeo.maps: self-contained, escaped, public-safe HTML maps.

Small layers in UTM 47N (EPSG:32647) around Narathiwat (6.43N 101.82E).  The
browser tests open the pages in headless Chromium with the network cut off.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import xstatic.pkg.leaflet as xleaflet
from shapely.geometry import LineString, MultiPoint, Point, box

from safegeo import CRSError, ValidationError
from safegeo._i18n import t
from safegeo.maps import SafegeoMap

XSS = "<img src=x onerror=alert(1)>"
JINJA = "{{ 7*7 }}{% if 1 %}!{% endif %}"
PHONE = "081-234-5678 Somchai"
UTM47 = "EPSG:32647"
URL_RE = re.compile(r"https?://[^\s\"'<>()\\]+")
# URLs that sit inside the inlined Leaflet source: its licence header / attribution
# string and the SVG namespace identifier.  None is ever fetched.
LEAFLET_SOURCE_URLS = {"https://leafletjs.com", "http://www.w3.org/2000/svg"}


def _utm(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.set_crs("EPSG:4326").to_crs(UTM47)


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    districts = _utm(gpd.GeoDataFrame(
        {
            "district_id": ["9601", "9602"],
            "name_en": ["Mueang Narathiwat", "Tak Bai"],
            "name_th": ["เมืองนราธิวาส", "ตากใบ"],
            "share_30min": [0.82, np.nan],
        },
        geometry=[box(101.75, 6.38, 101.82, 6.46), box(101.82, 6.38, 101.90, 6.46)],
    ))
    roads = _utm(gpd.GeoDataFrame(
        {"highway": ["primary", "residential", "track"], "travel_time_s": [120.0, 300.5, np.nan]},
        geometry=[
            LineString([(101.76, 6.40), (101.88, 6.44)]),
            LineString([(101.80, 6.39), (101.81, 6.45)]),
            LineString(),  # empty: skipped
        ],
    ))
    shelters = _utm(gpd.GeoDataFrame(
        {
            "shelter_id": ["S1", "S2", "S3", "S4"],
            "name_en": [XSS, JINJA, "Ban Bang Khun Thong School", None],
            "kind": ["shelter", "hospital", "safe_area", "shelter"],
            "capacity": [120, 800, np.nan, 40],
            "contact": [PHONE, "somchai@example.org", "", "x"],
        },
        geometry=[Point(101.80, 6.42), Point(101.83, 6.43), Point(101.85, 6.44), Point(101.78, 6.41)],
    ))
    return {"districts": districts, "roads": roads, "shelters": shelters}


def _build(layers: dict[str, gpd.GeoDataFrame], **options: object) -> SafegeoMap:
    options = {"title": "Narathiwat evacuation", "synthetic": True, "tiles": False, **options}
    m = SafegeoMap(**options)  # type: ignore[arg-type]
    m.add_polygons(layers["districts"], name="districts", fill_column="share_30min",
                   tooltip=["name_en", "share_30min"])
    m.add_lines(layers["roads"], name="roads", color_column="highway",
                categories={"primary": "#e31a1c", "residential": "#999999"},
                tooltip=["highway", "travel_time_s"])
    m.add_points(layers["shelters"], name="shelters", color_column="kind",
                 categories={"shelter": "#0066cc", "hospital": "#d00000"}, radius_column="capacity",
                 tooltip=["name_en", "capacity", "contact"], popup=["shelter_id", "name_en", "kind", "capacity", "contact"])
    return m


def _payload(html: str, name: str) -> dict:
    for block in re.findall(r'<script type="application/json" id="safegeo-layer-\d+">(.*?)</script>', html, re.S):
        spec = json.loads(block)
        if spec["name"] == name:
            return spec
    raise AssertionError(f"no layer {name!r}")


# --------------------------------------------------------------------------- #
# HTML-level tests
# --------------------------------------------------------------------------- #


def test_offline_page_loads_nothing_from_the_network(layers):
    html = _build(layers).to_html()
    assert not re.search(r"<script[^>]+src=", html), "every script must be inline"
    assert not re.search(r"<link[^>]+href=", html), "every stylesheet must be inline"
    for cdn in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers", "cdn."):
        assert cdn not in html.lower()
    urls = set(URL_RE.findall(html))
    assert urls <= LEAFLET_SOURCE_URLS, urls - LEAFLET_SOURCE_URLS
    leaflet_js = (Path(xleaflet.BASE_DIR) / "leaflet.js").read_text(encoding="utf-8")
    assert all(u in leaflet_js for u in urls)
    assert "url(images/" not in html  # Leaflet's icons are data: URIs
    assert "sourceMappingURL" not in html


def test_tiles_are_the_only_online_part(layers):
    html = _build(layers, tiles=True).to_html()
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", html)
    extra = set(URL_RE.findall(html)) - LEAFLET_SOURCE_URLS
    assert extra and all("openstreetmap.org" in u for u in extra), extra


def test_layer_without_crs_raises_crs_error(layers):
    no_crs = layers["shelters"].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="layer 'shelters'.*no CRS") as err:
        SafegeoMap().add_points(no_crs, name="shelters")
    assert "set_crs" in str(err.value)
    with pytest.raises(CRSError):
        SafegeoMap(bounds=no_crs)
    with pytest.raises(CRSError, match="longitude/latitude"):
        SafegeoMap(bounds=tuple(layers["shelters"].total_bounds))  # UTM metres, not degrees


def test_reprojects_to_wgs84_and_rounds(layers):
    spec = _payload(_build(layers).to_html(), "shelters")
    xy = np.array([f["geometry"]["coordinates"] for f in spec["data"]["features"]])
    assert np.allclose(xy[0], [101.80, 6.42], atol=1e-6)
    text = json.dumps(spec["data"])
    assert not re.search(r"\d\.\d{7,}", text), "coordinates are rounded to 6 decimals"


def test_public_drops_sensitive_columns(layers):
    internal = _build(layers).to_html()
    assert PHONE in internal  # asked for in tooltip and popup
    public = _build(layers, public=True).to_html()
    assert PHONE not in public and "somchai@example.org" not in public
    spec = _payload(public, "shelters")
    assert t("contact") not in spec["labels"]
    assert spec["labels"] == ["Name", "Capacity (people)", "Shelter", "Kind"]


def test_values_are_escaped_and_never_templated(layers):
    html = _build(layers).to_html()
    body = html.split("<body>", 1)[1]
    assert "<img src=x" not in body
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in body
    spec = _payload(html, "shelters")
    assert spec["values"][spec["labels"].index("Name")][:2] == [XSS, JINJA]  # literal, not "49!"
    m = SafegeoMap(title=f"{XSS} {JINJA}", tiles=False)
    page = m.add_points(layers["shelters"], name=XSS, tooltip=["name_en"]).to_html()
    assert "<img src=x" not in page.split("</title>", 1)[1]
    config = json.loads(re.search(r'id="safegeo-config">(.*?)</script>', page, re.S).group(1))
    assert config["title"] == f"{XSS} {JINJA}"
    assert _payload(page, XSS)["values"][0][1] == JINJA
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # <title> and layer-control label


def test_missing_values_empty_geometries_and_legends(layers):
    html = _build(layers).to_html()
    roads = _payload(html, "roads")
    assert len(roads["data"]["features"]) == 2  # the empty line is skipped
    shelters = _payload(html, "shelters")
    capacity = shelters["values"][shelters["labels"].index("Capacity (people)")]
    assert capacity == ["120", "800", None, "40"]  # None is drawn as an en dash
    config = json.loads(re.search(r'id="safegeo-config">(.*?)</script>', html, re.S).group(1))
    assert config["title"] == "Narathiwat evacuation"
    assert config["badge"] == t("synthetic_data")
    titles = [lg["title"] for lg in config["legends"]]
    assert "Districts: Share reached within 30 min" in titles
    kinds = next(lg for lg in config["legends"] if lg["layer"] == "shelters")
    assert [r["label"] for r in kinds["rows"]] == ["Shelter", "Hospital", "Other"]
    west, south, east, north = 101.75, 6.38, 101.90, 6.46
    (s, w), (n, e) = config["bounds"]
    assert (w, s, e, n) == pytest.approx((west, south, east, north), abs=1e-6)


def test_bad_input_is_reported_all_at_once(layers):
    with pytest.raises(ValidationError) as err:
        SafegeoMap().add_points(layers["shelters"], name="shelters", tooltip=["nope", "name_en"],
                                popup=["also_missing"], color_column="colour")
    message = str(err.value)
    assert all(c in message for c in ("'nope'", "'also_missing'", "'colour'", "available columns"))
    with pytest.raises(ValidationError, match="Polygon geometries where points are expected"):
        SafegeoMap().add_points(layers["districts"], name="districts")
    with pytest.raises(ValueError, match="already added"):
        SafegeoMap().add_points(layers["shelters"], name="s").add_points(layers["shelters"], name="s")


def test_multipoints_are_split():
    gdf = gpd.GeoDataFrame({"n": [1]}, geometry=[MultiPoint([(101.8, 6.4), (101.9, 6.5)])], crs=4326)
    spec = _payload(SafegeoMap(tiles=False).add_points(gdf, name="sos", tooltip=["n"]).to_html(), "sos")
    assert [f["geometry"]["type"] for f in spec["data"]["features"]] == ["Point", "Point"]


def test_thai_labels(layers):
    html = _build(layers, lang="th").to_html()
    assert '<html lang="th">' in html
    assert _payload(html, "shelters")["label"] == "ศูนย์พักพิง"
    assert t("critical_roads", "th") != "critical_roads"
    assert t("not_a_key", "th") == "not_a_key"
    with pytest.raises(ValueError, match="en, th"):
        SafegeoMap(lang="fr")


def test_save_is_atomic_and_deterministic(layers, tmp_path, monkeypatch):
    out = tmp_path / "maps" / "evacuation.html"
    m = _build(layers)
    assert m.save(out) == out
    first = out.read_text(encoding="utf-8")
    assert first == m.to_html()  # same input, same bytes
    assert [p.name for p in out.parent.iterdir()] == ["evacuation.html"]

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        SafegeoMap(title="other", tiles=False).save(out)
    assert out.read_text(encoding="utf-8") == first  # old map intact
    assert [p.name for p in out.parent.iterdir()] == ["evacuation.html"]  # no temp file left


# --------------------------------------------------------------------------- #
# browser tests
# --------------------------------------------------------------------------- #


@pytest.mark.browser
def test_browser_offline_map_draws_every_layer(layers, browser, tmp_path):
    path = _build(layers).save(tmp_path / "map.html")
    with browser.open(path) as page:
        assert page.layer_names == ["Districts", "Roads", "Shelters"]
        assert page.drawn_counts == {"districts": 2, "roads": 2, "shelters": 4}
        assert page.canvas_pixels > 1000
        assert page.blocked_requests == []
        assert page.console_errors == [] and page.page_errors == [] and page.dialogs == []
        header = page.evaluate("() => document.querySelector('.sg-header').innerText")
        assert "Narathiwat evacuation" in header and "Synthetic data" in header
        legend = page.evaluate("() => document.querySelector('.sg-legend').innerText")
        assert "Hospital" in legend and "Share reached within 30 min" in legend
        # hiding a layer hides its legend
        page.evaluate("() => safegeo.map.removeLayer(Object.values(safegeo.map._layers)"
                      ".find(l => l.hasLayer && l.hasLayer(safegeoLayers.districts)))")
        page.evaluate("() => safegeo.map.fire('overlayremove')")
        legend = page.evaluate("() => document.querySelector('.sg-legend').innerText")
        assert "Share reached" not in legend
        page.screenshot(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 5000


@pytest.mark.browser
def test_browser_xss_payload_is_shown_as_text(layers, browser, tmp_path):
    path = _build(layers).save(tmp_path / "xss.html")
    with browser.open(path) as page:
        popup = page.evaluate(
            "() => { const e = safegeo.openPopup('shelters', 0);"
            " return {text: e.textContent, imgs: e.querySelectorAll('img').length}; }")
        assert XSS in popup["text"] and PHONE in popup["text"]
        assert popup["imgs"] == 0
        tip = page.evaluate("() => safegeo.openTooltip('shelters', 1).textContent")
        assert JINJA in tip
        nan = page.evaluate("() => safegeo.openPopup('shelters', 2).textContent")
        assert "Capacity (people)\u2013" in nan  # NaN shown as an en dash
        page.page.wait_for_timeout(100)  # give an injected onerror time to fire
        assert page.dialogs == [] and page.page_errors == []
        assert page.evaluate("() => document.querySelectorAll('.leaflet-container img').length") == 0


@pytest.mark.browser
def test_browser_detects_a_real_injection(browser, tmp_path):
    """The harness itself: an unescaped payload must be caught as a dialog."""
    bad = tmp_path / "bad.html"
    bad.write_text(f"<!DOCTYPE html><html><body>{XSS}<script>fetch('https://example.org/x')</script></body></html>")
    with browser.open(bad, ready_js="() => document.readyState === 'complete'") as page:
        page.page.wait_for_timeout(200)
        assert page.dialogs == ["alert: 1"]
        assert page.blocked_requests == ["https://example.org/x"]


@pytest.mark.browser
def test_browser_basemap_listed_but_off_makes_no_request(layers, browser, tmp_path):
    path = _build(layers, tiles=True).save(tmp_path / "offline_first.html")
    with browser.open(path) as page:
        assert page.blocked_requests == [] and page.console_errors == [] and page.page_errors == []
        assert page.layer_names[0] == t("basemap", "en")
        assert page.drawn_counts == {"districts": 2, "roads": 2, "shelters": 4}


@pytest.mark.browser
def test_browser_tiles_blocked_but_vectors_draw(layers, browser, tmp_path):
    path = _build(layers, tiles=True, tiles_visible=True, lang="th").save(tmp_path / "tiles.html")
    with browser.open(path) as page:
        assert page.blocked_requests, "tile requests should have been attempted"
        assert all("tile.openstreetmap.org" in u for u in page.blocked_requests)
        assert page.page_errors == [] and page.dialogs == []
        assert page.layer_names == [t("basemap", "th"), "อำเภอ", "ถนน", "ศูนย์พักพิง"]
        assert page.drawn_counts == {"districts": 2, "roads": 2, "shelters": 4}
        assert page.canvas_pixels > 1000


@pytest.mark.browser
def test_browser_clustered_points(browser, tmp_path):
    rng = np.random.default_rng(7)
    n = 5000
    pts = gpd.GeoDataFrame(
        {"light_id": np.arange(n)},
        geometry=gpd.points_from_xy(rng.uniform(101.7, 101.9, n), rng.uniform(6.35, 6.5, n)),
        crs="EPSG:4326",
    ).to_crs(UTM47)
    m = SafegeoMap(tiles=False).add_points(pts, name="lights", cluster=True, tooltip=["light_id"])
    html = m.to_html()
    assert "MarkerClusterGroup" in html
    path = m.save(tmp_path / "cluster.html")
    with browser.open(path) as page:
        assert page.stats["lights"]["features"] == n
        assert page.layer_names == ["Street lights"]
        assert page.evaluate("() => document.querySelectorAll('.marker-cluster').length") > 0
        assert page.console_errors == [] and page.page_errors == [] and page.blocked_requests == []


def test_links_allow_relative_and_http_only(layers):
    m = SafegeoMap(tiles=False, links=[("evacuation", "evacuation/evacuation.html"), ("docs", "https://example.org")])
    html = m.to_html()
    assert "evacuation/evacuation.html" in html and "https://example.org" in html
    assert "Evacuation" in html  # the label key is translated
    for bad in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>"):
        with pytest.raises(ValueError, match="only relative paths and http"):
            SafegeoMap(links=[("x", bad)])


# --------------------------------------------------------------------------- #
# opening view, back link, codes in Thai, charts beside the map
# --------------------------------------------------------------------------- #


def _config(html: str) -> dict:
    return json.loads(re.search(r'id="safegeo-config">(.*?)</script>', html, re.S).group(1))


def _opening_box(html: str) -> tuple[float, float, float, float]:
    (s, w), (n, e) = _config(html)["bounds"]
    return (w, s, e, n)


def test_map_opens_on_the_named_layers(layers):
    focus = _utm(gpd.GeoDataFrame({"hazard": ["flood"], "kind": ["flood"]}, geometry=[box(101.84, 6.42, 101.86, 6.43)]))

    def page(bounds):
        m = _build(layers, bounds=bounds)
        return m.add_polygons(focus, name="hazards", tooltip=["hazard"]).to_html()

    assert _opening_box(page("hazards")) == pytest.approx((101.84, 6.42, 101.86, 6.43), abs=1e-6)
    # several names: their joint extent; names not on the map are ignored
    assert _opening_box(page(["hazards", "shelters", "not_a_layer"])) == pytest.approx(
        (101.78, 6.41, 101.86, 6.44), abs=1e-6)
    everything = (101.75, 6.38, 101.90, 6.46)
    assert _opening_box(page(["unreachable"])) == pytest.approx(everything, abs=1e-6)  # nothing to focus on
    assert _opening_box(page(None)) == pytest.approx(everything, abs=1e-6)
    assert _opening_box(page(focus)) == pytest.approx((101.84, 6.42, 101.86, 6.43), abs=1e-6)  # a frame still works


def test_back_link_is_checked_and_translated(layers):
    en = _config(SafegeoMap(tiles=False, back_href="../index.html").to_html())
    assert en["back"] == {"label": "\u2190 Overview", "href": "../index.html"}
    th = _config(SafegeoMap(tiles=False, lang="th", back_href="../index.html").to_html())
    assert th["back"]["label"] == "\u2190 ภาพรวม"
    assert _config(SafegeoMap(tiles=False).to_html())["back"] is None
    with pytest.raises(ValueError, match="only relative paths and http"):
        SafegeoMap(back_href="javascript:alert(1)")


def test_codes_in_tooltips_and_popups_are_labelled(layers):
    unreachable = _utm(gpd.GeoDataFrame(
        {"origin_id": ["high", "V2"], "name_en": ["low", "Ban Lubo"], "reason": ["isolated_by_hazard", "off_network"],
         "status": ["overflow", "assigned"], "safe_for": ["flood,storm", "flood,somewhere"],
         "excluded_reason": ["not safe for flood; no capacity", "farther than 500 m from a road"]},
        geometry=[Point(101.80, 6.42), Point(101.81, 6.43)]))
    cols = ["origin_id", "name_en", "reason", "status", "safe_for", "excluded_reason"]

    def values(lang):
        m = SafegeoMap(tiles=False, lang=lang).add_points(unreachable, name="unreachable", tooltip=cols,
                                                          color_column="reason")
        html = m.to_html()
        spec = _payload(html, "unreachable")
        rows = {c: spec["values"][spec["labels"].index(t(c, lang))] for c in cols}
        legend = next(lg for lg in _config(html)["legends"] if lg["layer"] == "unreachable")
        return rows, [r["label"] for r in legend["rows"]]

    th, legend = values("th")
    assert th["origin_id"] == ["high", "V2"] and th["name_en"] == ["low", "Ban Lubo"]  # ids and names as written
    assert th["reason"] == ["ถูกตัดขาดจากภัย", "อยู่ห่างจากถนน"]
    assert th["status"] == ["ไม่มีที่พักภายในเวลา", "จัดที่พักแล้ว"]  # the status, not the column "assigned"
    assert th["safe_for"] == ["น้ำท่วม, พายุ", "flood,somewhere"]  # a list of codes only
    assert th["excluded_reason"] == ["ไม่ปลอดภัยสำหรับน้ำท่วม; ไม่มีความจุ", "อยู่ห่างจากถนนเกิน 500 เมตร"]
    assert legend == ["ถูกตัดขาดจากภัย", "อยู่ห่างจากถนน"]
    en, legend = values("en")
    assert en["reason"] == ["cut off by the hazard", "far from any road"] and en["status"] == ["no place in time", "assigned"]
    assert en["excluded_reason"] == ["not safe for flood; no capacity", "farther than 500 m from a road"]


def test_charts_sit_in_the_page_escaped(layers):
    from safegeo.maps.charts import bar_chart

    chart = bar_chart({"<script>alert(1)</script>": 2.0, "Tak Bai": 1.0}, title="road_km")
    m = _build(layers).add_chart(chart).add_chart(chart, title="{{ 7*7 }}")
    html = m.to_html()
    body = html.split("<body>", 1)[1]
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert body.count('<figure class="sg-chart"') == 2 and 'id="sg-chart-0"' in body and 'id="sg-chart-1"' in body
    assert "{{ 7*7 }}" in body  # a title, never templated
    assert '<html lang="en" class="sg-with-charts">' in html
    assert body.index('class="folium-map"') < body.index('<aside id="sg-charts"')
    assert _config(html)["charts"]["label"] == "Charts"
    assert "sg-with-charts" not in _build(layers).to_html().split("<head>")[0]  # no panel without charts
    with pytest.raises(TypeError, match="Chart"):
        SafegeoMap().add_chart("<svg></svg>")  # type: ignore[arg-type]


def _rect(page, selector: str) -> dict | None:
    return page.evaluate(
        "(s) => { const e = document.querySelector(s); if (!e) return null; const r = e.getBoundingClientRect();"
        " const st = getComputedStyle(e); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,"
        " width: r.width, height: r.height, visible: st.display !== 'none' && st.visibility !== 'hidden'"
        " && r.width > 0 && r.height > 0}; }", selector)


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.browser
def test_browser_charts_beside_the_map_and_on_paper(layers, browser, tmp_path):
    from safegeo.maps.charts import bar_chart, step_chart

    m = _build(layers)
    m.add_chart(bar_chart({"Mueang Narathiwat": 82.0, "Tak Bai": 41.0}, title="share_30min", percent=True))
    m.add_chart(step_chart({"ambulance": [3, 8, 20], "rescue_boat": [5, float("nan")]}, title="resp_curve",
                           markers={15: "target 15"}))
    path = m.save(tmp_path / "charts.html")
    with browser.open(path) as page:
        assert page.blocked_requests == [] and page.console_errors == [] and page.page_errors == []
        assert page.drawn_counts == {"districts": 2, "roads": 2, "shelters": 4}
        panel, map_box = _rect(page, "#sg-charts"), _rect(page, ".folium-map")
        assert panel["visible"] and panel["left"] >= map_box["right"] - 1  # beside the map, not over it
        svgs = page.evaluate("() => [...document.querySelectorAll('#sg-charts svg')].map(s => {"
                             " const r = s.getBoundingClientRect(); return [r.width, r.height]; })")
        assert len(svgs) == 2 and all(w > 200 and h > 100 for w, h in svgs)
        bars = page.evaluate("() => [...document.querySelectorAll('#sg-charts rect.sg-bar')]"
                             ".map(r => r.getBoundingClientRect().width)")
        assert len(bars) == 2 and bars[0] == pytest.approx(2 * bars[1], rel=0.01)  # 82 % against 41 %
        assert page.evaluate("() => document.querySelectorAll('#sg-charts path.sg-curve').length") == 2
        # the button folds the panel away and the map takes the room
        page.page.click(".sg-charts-toggle")
        assert not _rect(page, "#sg-charts")["visible"]
        assert _rect(page, ".folium-map")["width"] == pytest.approx(1024, abs=1)
        assert page.evaluate("() => safegeo.map.getSize().x") == pytest.approx(1024, abs=1)
        # on paper: the map, then every chart, even when the panel was folded
        page.page.emulate_media(media="print")
        map_box, panel = _rect(page, ".folium-map"), _rect(page, "#sg-charts")
        assert map_box["visible"] and map_box["height"] > 300 and panel["visible"]
        assert panel["top"] >= map_box["bottom"] - 1
        assert all(_rect(page, f"#sg-chart-{n}")["visible"] for n in (0, 1))
        assert not _rect(page, ".leaflet-control-layers")["visible"] and not _rect(page, ".sg-charts-toggle")["visible"]
        assert page.canvas_pixels > 1000
        assert page.page_errors == []


@pytest.mark.browser
def test_browser_popup_near_the_top_opens_below_the_title(browser, tmp_path):
    pts = gpd.GeoDataFrame({"name_en": ["North", "South"]}, geometry=[Point(101.80, 6.50), Point(101.80, 6.30)],
                           crs="EPSG:4326")
    m = SafegeoMap(title="A title long enough to sit over the top of the map", synthetic=True, tiles=False,
                   back_href="index.html")
    path = m.add_points(pts, name="shelters", tooltip=["name_en"], popup=["name_en"]).save(tmp_path / "top.html")
    with browser.open(path) as page:
        head = _rect(page, ".sg-header")
        north = page.evaluate("() => safegeo.map.latLngToContainerPoint([6.50, 101.80]).y")
        assert north >= head["bottom"]  # the map opens with every feature below the title box
        page.evaluate("() => safegeo.openPopup('shelters', 0)")
        # the popup pans the map until it sits clear of the title box
        page.page.wait_for_function(
            "() => { const p = document.querySelector('.leaflet-popup'), h = document.querySelector('.sg-header');"
            " return p && p.getBoundingClientRect().top >= h.getBoundingClientRect().bottom; }", timeout=3000)
        popup = _rect(page, ".leaflet-popup")
        assert not _overlap(popup, _rect(page, ".sg-title")) and not _overlap(popup, _rect(page, ".sg-badge"))
        assert "North" in page.evaluate("() => document.querySelector('.leaflet-popup').textContent")


@pytest.mark.browser
def test_browser_thai_map_on_a_phone(browser, tmp_path):
    districts = _utm(gpd.GeoDataFrame(
        {"name_th": ["ตากใบ"], "severity": ["high"]}, geometry=[box(101.75, 6.38, 101.90, 6.46)]))
    origins = _utm(gpd.GeoDataFrame(
        {"origin_id": ["V1", "V2", "V3"], "reason": ["isolated_by_hazard", "off_network", "no_path"],
         "status": ["overflow", "unreachable", "assigned"], "type": ["ambulance", "rescue_boat", "pickup_4x4"]},
        geometry=[Point(101.80, 6.42), Point(101.83, 6.43), Point(101.86, 6.44)]))
    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>index</title><p>overview</p>", encoding="utf-8")
    m = SafegeoMap(title="การอพยพ นราธิวาส – สถานการณ์น้ำท่วมปี 2565 (ทดสอบชื่อยาว)", lang="th", synthetic=True,
                   tiles=True, back_href="index.html")
    m.add_polygons(districts, name="districts", fill_column="severity", tooltip=["name_th", "severity"])
    m.add_points(origins, name="unreachable", color_column="reason", tooltip=["origin_id", "reason", "type"],
                 popup=["origin_id", "reason", "status", "type"])
    path = m.save(tmp_path / "phone.html")
    with browser.open(path) as page:
        page.page.set_viewport_size({"width": 390, "height": 844})
        page.page.reload()
        page.page.wait_for_function("() => window.safegeo && window.safegeo.ready")
        assert page.page_errors == [] and page.console_errors == []
        title, layers_box = _rect(page, ".sg-header"), _rect(page, ".leaflet-control-layers")
        assert title["visible"] and layers_box["visible"]
        assert not _overlap(title, layers_box) and not _overlap(title, _rect(page, ".leaflet-control-zoom"))
        assert layers_box["width"] < 60  # folded into its button
        # the legend is folded into one button, and opens on a tap
        legend = _rect(page, ".sg-legend")
        assert legend["height"] < 40 and legend["width"] * legend["height"] < 0.05 * 390 * 844
        assert page.evaluate("() => document.querySelector('.sg-legend-toggle').getAttribute('aria-expanded')") == "false"
        page.page.click(".sg-legend-toggle")
        assert _rect(page, ".sg-legend-body")["visible"] and _rect(page, ".sg-legend")["height"] > 60
        # every popup, tooltip, legend and layer label: no raw code
        texts = page.evaluate(
            "() => { const out = [document.querySelector('.sg-legend').innerText,"
            " document.querySelector('.leaflet-control-layers').textContent];"
            " for (let i = 0; i < 3; i++) { out.push(safegeo.openPopup('unreachable', i).textContent);"
            " out.push(safegeo.openTooltip('unreachable', i).textContent); }"
            " out.push(safegeo.openTooltip('districts', 0).textContent); return out.join('\\n'); }")
        for code in ("isolated_by_hazard", "off_network", "no_path", "overflow", "unreachable", "assigned",
                     "ambulance", "rescue_boat", "pickup_4x4", "high", "Reason", "Status", "Severity", "Legend"):
            assert code not in texts, code
        assert "ถูกตัดขาดจากภัย" in texts and "รถพยาบาล" in texts and "สูง" in texts
        # the way back: a relative link that works offline
        href = page.evaluate("() => document.querySelector('.sg-back').getAttribute('href')")
        assert href == "index.html" and not re.match(r"^[a-z]+:|^/", href)
        assert page.evaluate("() => document.querySelector('.sg-back').textContent") == "\u2190 ภาพรวม"
        page.page.click(".sg-back")
        page.page.wait_for_url("**/index.html")
        assert page.blocked_requests == []  # basemap listed but off: nothing fetched


# --------------------------------------------------------------------------- #
# province-sized layers travel packed
# --------------------------------------------------------------------------- #


def _big_layers(n: int = 2600) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from shapely.geometry import MultiLineString

    rng = np.random.default_rng(5)
    x0, y0 = 101.6 + rng.random(n) * 0.3, 6.0 + rng.random(n) * 0.3
    geoms = [LineString([(x, y), (x + 0.001, y + 0.0005), (x + 0.002, y)]) for x, y in zip(x0, y0)]
    geoms[7] = MultiLineString([[(101.7, 6.1), (101.701, 6.1)], [(101.71, 6.11), (101.711, 6.112), (101.712, 6.11)]])
    lines = gpd.GeoDataFrame({
        "segment_id": [f"S{k:05d}" for k in range(n)],
        "district": rng.choice(["Tak Bai", "Sungai Kolok", "ตากใบ"], n),
        "covered_pct": rng.random(n) * 100,
    }, geometry=geoms, crs="EPSG:4326")
    points = gpd.GeoDataFrame({"light_id": [f"L{k}" for k in range(n)]},
                              geometry=gpd.points_from_xy(x0, y0), crs="EPSG:4326").to_crs(32647)
    return lines, points


def _payload(html: str, name: str) -> dict:
    for m in re.finditer(r'<script type="application/json" id="safegeo-layer-\d+">(.*?)</script>', html, re.S):
        d = json.loads(m.group(1))
        if d["name"] == name:
            return d
    raise AssertionError(name)


def test_big_layers_are_packed_and_decode_to_their_coordinates():
    import shapely

    from safegeo.maps.style import PACK_SCALE

    lines, points = _big_layers()
    m = SafegeoMap(title="big", tiles=False)
    m.add_lines(lines, name="coverage", color_column="covered_pct", cmap="RdYlGn", vmin=0, vmax=100,
                tooltip=["segment_id", "district", "covered_pct"])
    m.add_points(points, name="lights", tooltip=["light_id"])
    html = m.to_html()
    seg = _payload(html, "coverage")
    assert "data" not in seg and seg["packed"]["scale"] == PACK_SCALE
    # an independent decoder: running sums of x and y deltas, split by points per part and parts per feature
    xy = np.cumsum(np.asarray(seg["packed"]["xy"]).reshape(-1, 2), axis=0) / PACK_SCALE
    ends = np.cumsum(seg["packed"]["np"])
    parts = np.split(xy, ends[:-1])
    assert len(parts) == len(lines) + 1 and seg["packed"]["pf"][7] == 2 and sum(seg["packed"]["pf"]) == len(parts)
    want = shapely.get_coordinates(shapely.get_parts(lines.geometry.to_numpy()))
    np.testing.assert_allclose(np.concatenate(parts), want, atol=0.6 / PACK_SCALE)
    # the district column (3 values) travels as a dictionary; ids stay a plain list
    district = seg["values"][1]
    assert isinstance(district, dict) and [district["d"][k] for k in district["k"]] == lines["district"].tolist()
    assert seg["values"][0] == lines["segment_id"].tolist()
    pts = _payload(html, "lights")
    got = np.cumsum(np.asarray(pts["packed"]["xy"]).reshape(-1, 2), axis=0) / PACK_SCALE
    np.testing.assert_allclose(got, shapely.get_coordinates(points.to_crs(4326).geometry), atol=0.6 / PACK_SCALE)
    # a third of the GeoJSON it replaces, or less
    import safegeo.maps.style as style

    big = len(html)
    old = style.PACK_MIN_FEATURES, style.PACK_MIN_COORDINATES
    style.PACK_MIN_FEATURES = style.PACK_MIN_COORDINATES = 10**9
    try:
        m2 = SafegeoMap(title="big", tiles=False)
        m2.add_lines(lines, name="coverage", color_column="covered_pct", cmap="RdYlGn", vmin=0, vmax=100,
                     tooltip=["segment_id", "district", "covered_pct"])
        m2.add_points(points, name="lights", tooltip=["light_id"])
        assert big < 0.5 * len(m2.to_html())
    finally:
        style.PACK_MIN_FEATURES, style.PACK_MIN_COORDINATES = old


@pytest.mark.browser
def test_browser_draws_packed_layers_with_their_values(browser, tmp_path):
    lines, points = _big_layers()
    m = SafegeoMap(title="big", tiles=False)
    m.add_lines(lines, name="coverage", color_column="covered_pct", cmap="RdYlGn", vmin=0, vmax=100,
                tooltip=["segment_id", "district", "covered_pct"])
    m.add_points(points, name="lights", tooltip=["light_id"])
    path = m.save(tmp_path / "big.html")
    with browser.open(path) as page:
        assert page.page_errors == [] and page.console_errors == []
        s = page.stats
        assert s["coverage"]["features"] == len(lines) and s["lights"]["features"] == len(points)
        assert s["coverage"]["drawn"] == s["coverage"]["in_view"] == len(lines)
        assert s["lights"]["drawn"] == s["lights"]["in_view"] == len(points)
        for k in (0, 7, 2000):
            tip = page.evaluate(f"() => safegeo.openTooltip('coverage', {k}).textContent")
            assert lines["segment_id"].iloc[k] in tip and lines["district"].iloc[k] in tip
        assert "L1999" in page.evaluate("() => safegeo.openTooltip('lights', 1999).textContent")
        # the multi-part feature keeps both parts; colours follow the values
        parts = page.evaluate("() => safegeoLayers.coverage.getLayers()[7].getLatLngs().length")
        assert parts == 2
        colour = page.evaluate("() => [safegeoLayers.coverage.getLayers()[0].options.color,"
                               " safegeoLayers.coverage.getLayers()[1].options.color]")
        spec = _payload(path.read_text(encoding="utf-8"), "coverage")
        assert colour == [spec["palette"][spec["codes"][0]], spec["palette"][spec["codes"][1]]]


def test_column_number_format_equals_the_per_value_format():
    from safegeo.maps.style import _fmt, _fmt_array

    rng = np.random.default_rng(1)
    v = np.concatenate([rng.normal(0, 1, 5000), rng.normal(0, 1000, 5000), rng.random(500) * 1e-5,
                        -rng.random(500) * 1e-5, np.round(rng.normal(0, 100, 500)), np.round(rng.random(500) * 100, 2),
                        [0.0, -0.0, 1e15, 1e16 + 2, 2.5e15, 99.999, 0.99999, 0.999949, 1.005, 2.675, -1.5, 1e-4]])
    assert _fmt_array(v) == [_fmt(x) for x in v]
    assert _fmt_array(np.array([np.nan, np.inf, -np.inf, 3.0])) == [None, None, None, "3"]
