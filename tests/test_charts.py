"""Tests for safegeo.maps.charts: inline SVG charts, and the charts of analysis results.

The SVG is parsed as XML and measured: bar lengths must follow the values, text
must be escaped and translated, empty data must give a chart that says so.  The
analysis charts (and the Thai analysis maps) are checked on a small generated
study area.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from safegeo import ValidationError
from safegeo._i18n import has_label, t
from safegeo.maps.charts import (
    EVACUATION_COLOURS,
    FONT_FAMILY,
    Chart,
    bar_chart,
    charts_page,
    coverage_charts,
    evacuation_charts,
    grouped_bar_chart,
    histogram,
    indicator_chart,
    message_chart,
    response_charts,
    stacked_bar_chart,
    step_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
SCRIPT = "<script>alert(1)</script>"
THAI = re.compile(r"[\u0e00-\u0e7f]")


def parse(chart: Chart) -> ET.Element:
    """The chart's SVG as an XML tree (fails on anything not well-formed)."""
    return ET.fromstring(chart.to_svg())


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "sg-bar"]


def texts(root: ET.Element) -> list[str]:
    """Text of every <text> element (without its <title> tooltip)."""
    return ["".join(e.itertext()) if e.find(f"{SVG}title") is None else (e.find(f"{SVG}title").tail or "")
            for e in root.iter(f"{SVG}text")]


def widths(root: ET.Element) -> dict[tuple[str, str], float]:
    return {(r.get("data-label"), r.get("data-series")): float(r.get("width")) for r in bars(root)}


# --------------------------------------------------------------------------- #
# one chart kind at a time
# --------------------------------------------------------------------------- #


def test_bar_lengths_follow_the_values_largest_first():
    values = {"Rueso": 10.0, "Tak Bai": 40.0, "Bacho": 25.0, "Yi-ngo": np.nan, "Chanae": 0.0}
    root = parse(bar_chart(values, title="road_km", value_label="road_km"))
    rects = bars(root)
    got = {r.get("data-label"): float(r.get("width")) for r in rects}
    assert set(got) == {"Rueso", "Tak Bai", "Bacho", "Chanae"}  # no bar for a missing value
    per_unit = got["Tak Bai"] / 40.0
    for label in ("Rueso", "Bacho", "Chanae"):
        assert got[label] == pytest.approx(values[label] * per_unit, abs=0.02)
    # largest first, missing last: rows go down the page in that order
    order = [r.get("data-label") for r in sorted(rects, key=lambda r: float(r.get("y")))]
    assert order == ["Tak Bai", "Bacho", "Rueso", "Chanae"]
    shown = texts(root)
    assert t("no_data") in shown and "Road (km)" in shown  # the missing value says so; the axis has its unit
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id and root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}title").text == "Road (km)"
    assert "Tak Bai: 40" in root.find(f"{SVG}desc").text


def test_stacked_parts_are_proportional_and_normalize_fills_every_bar():
    frame = pd.DataFrame({"area": ["A", "B"], "near": [30.0, 10.0], "far": [10.0, 0.0], "lost": [0.0, 5.0]})
    root = parse(stacked_bar_chart(frame, columns=["near", "far", "lost"], label_column="area", title="t"))
    w = widths(root)
    per_unit = w[("A", "near")] / 30.0
    assert w[("A", "far")] == pytest.approx(10 * per_unit, abs=0.02)
    assert w[("B", "near")] == pytest.approx(10 * per_unit, abs=0.02)
    assert w[("B", "lost")] == pytest.approx(5 * per_unit, abs=0.02)
    assert ("A", "lost") not in w and ("B", "far") not in w  # zero parts draw nothing
    # parts sit end to end
    rects = {(r.get("data-label"), r.get("data-series")): r for r in bars(root)}
    a_near, a_far = rects[("A", "near")], rects[("A", "far")]
    assert float(a_far.get("x")) == pytest.approx(float(a_near.get("x")) + float(a_near.get("width")), abs=0.02)
    # legend names each part
    assert {"near", "far", "lost"} <= set(texts(root))

    norm = parse(stacked_bar_chart(frame, columns=["near", "far", "lost"], label_column="area", title="t",
                                   normalize=True))
    w = widths(norm)
    total_a = w[("A", "near")] + w[("A", "far")]
    total_b = w[("B", "near")] + w[("B", "lost")]
    assert total_a == pytest.approx(total_b, abs=0.05)
    assert w[("A", "near")] / total_a == pytest.approx(0.75, abs=1e-3)


def test_grouped_bars_share_one_axis_up_to_max_value():
    frame = pd.DataFrame({"lit_pct": [100.0, 50.0], "seen_pct": [25.0, 0.0]}, index=["D1", "D2"])
    chart = grouped_bar_chart(frame, columns=["lit_pct", "seen_pct"], title="cov_by_district", max_value=100,
                              percent=True)
    root = parse(chart)
    w = widths(root)
    assert w[("D1", "lit_pct")] == pytest.approx(2 * w[("D2", "lit_pct")], abs=0.02)
    assert w[("D1", "seen_pct")] == pytest.approx(w[("D1", "lit_pct")] / 4, abs=0.02)
    assert w[("D2", "seen_pct")] == 0
    assert {"Lit (%)", "Seen by CCTV (%)"} <= set(texts(root))
    # 100 % reaches the last tick of the axis
    ticks = [e for e in root.iter(f"{SVG}text") if e.get("class") == "sg-tick"]
    last = max(ticks, key=lambda e: float(e.get("x")))
    x0 = float(bars(root)[0].get("x"))
    assert "".join(last.itertext()) == "100"
    assert float(last.get("x")) - x0 == pytest.approx(w[("D1", "lit_pct")], abs=0.05)


def test_histogram_counts_weights_and_an_open_last_bin():
    minutes = [1.0, 4.0, 6.0, 12.0, 95.0, np.nan, np.inf]
    people = [10, 20, 30, 40, 50, 60, 70]
    chart = histogram(minutes, weights=people, title="evac_time_hist", bin_width=5, max_value=15,
                      x_label="travel_time_min", y_label="people", markers={15: "15 min"})
    assert chart.data["edges"] == [0.0, 5.0, 10.0, 15.0]
    assert chart.data["counts"] == [30.0, 30.0, 40.0, 50.0]  # the last is "> 15"
    assert chart.data["open_last"] and chart.data["left_out"] == 130.0  # NaN and inf are not drawn
    root = parse(chart)
    heights = {r.get("data-lo"): float(r.get("height")) for r in bars(root)}
    assert heights["0"] == pytest.approx(heights["5"], abs=0.02)
    assert heights["10"] / heights["0"] == pytest.approx(40 / 30, rel=1e-3)
    assert heights["15"] / heights["0"] == pytest.approx(50 / 30, rel=1e-3)
    assert "> 15" in texts(root) and "15 min" in texts(root)
    assert "People" in texts(root) and "Travel time (min)" in texts(root)
    # no cap: the last regular bin takes its upper edge; unweighted counts
    plain = histogram([0, 5, 10], title="t", bin_width=5)
    assert plain.data["edges"] == [0.0, 5.0, 10.0] and plain.data["counts"] == [1.0, 2.0]


def test_step_curve_is_the_share_reached_within_t():
    chart = step_chart({"ambulance": [2.0, 2.0, 5.0, np.nan], "rescue_boat": [1.0, 9.0]},
                       weights={"rescue_boat": [3.0, 1.0]}, title="resp_curve", x_label="resp_minutes",
                       markers={15: "target 15"})
    amb, boat = chart.data["series"]
    assert amb["points"] == [[2.0, 50.0], [5.0, 75.0]] and amb["final"] == 75.0  # one never reached
    assert boat["points"] == [[1.0, 75.0], [9.0, 100.0]]  # weighted
    assert chart.data["x_max"] == 15.0  # the axis reaches the target marker
    root = parse(chart)
    paths = {p.get("data-series"): p for p in root.iter(f"{SVG}path")}
    assert float(paths["ambulance"].get("data-final")) == 75.0
    assert paths["ambulance"].get("stroke-dasharray") is None and paths["rescue_boat"].get("stroke-dasharray")
    assert {"Ambulance", "Rescue boat", "target 15"} <= set(texts(root))  # legend names are translated codes
    # the curve's last vertical step ends at 75 % of the plot height
    d = paths["ambulance"].get("d")
    ys = [float(v) for v in re.findall(r"V([\d.]+)", d)]
    y0 = float(re.match(r"M[\d.]+ ([\d.]+)", d).group(1))  # the 0 % line
    y100 = y0 - (y0 - ys[0]) / 0.5  # first step reaches 50 %
    assert (y0 - ys[-1]) / (y0 - y100) == pytest.approx(0.75, abs=1e-3)


def test_indicator_rows_each_on_its_own_scale():
    frame = pd.DataFrame({"tambon": ["T1", "T2", "T3"], "lit_pct": [80.0, 20.0, 50.0],
                          "high_priority_gap_km": [1.0, 4.0, np.nan]})
    chart = indicator_chart(frame, columns=["lit_pct", "high_priority_gap_km"], label_column="tambon",
                            title="cov_tambon_scorecard", sort="lit_pct", ascending=True)
    assert chart.data["labels"] == ["T2", "T3", "T1"]  # worst lit first
    w = widths(parse(chart))
    # % on 0-100, km on 0-max(4 km): 80 % is as long as 3.2 km would be
    assert w[("T1", "lit_pct")] / w[("T2", "lit_pct")] == pytest.approx(4.0, rel=1e-3)
    assert w[("T2", "high_priority_gap_km")] / w[("T1", "lit_pct")] == pytest.approx(1 / 0.8, rel=1e-3)
    assert ("T3", "high_priority_gap_km") not in w  # missing: a dash, no bar


def test_thai_labels_and_font():
    frame = pd.DataFrame({"label": ["ตากใบ", "บาเจาะ"], "evac_within_15": [5.0, 1.0], "evac_overflow": [1.0, 2.0]})
    chart = stacked_bar_chart(frame, columns=["evac_within_15", "evac_overflow"], label_column="label",
                              title="evac_time_by_area", colors=EVACUATION_COLOURS, value_label="people", lang="th")
    root = parse(chart)
    shown = set(texts(root))
    assert {t("evac_within_15", "th"), t("evac_overflow", "th"), t("people", "th"), "ตากใบ"} <= shown
    assert root.find(f"{SVG}title").text == t("evac_time_by_area", "th") and THAI.search(chart.title)
    assert not any(code in " ".join(shown) for code in ("evac_", "people", "within"))
    assert root.get("lang") == "th" and root.get("font-family") == FONT_FAMILY["th"]
    assert "Loma" in FONT_FAMILY["th"] and FONT_FAMILY["th"].index("Thai") < FONT_FAMILY["th"].index("Noto Sans'")
    empty = parse(message_chart(title="resp_curve", lang="th"))
    assert t("no_chart_data", "th") in texts(empty)


def test_text_is_escaped():
    chart = bar_chart({SCRIPT: 3.0, "A & B": 1.0}, title=f"Title {SCRIPT}", value_label="<b>km</b>")
    svg = chart.to_svg()
    assert "<script" not in svg and "<b>" not in svg
    root = ET.fromstring(svg)
    assert SCRIPT in texts(root) and "A & B" in texts(root) and "<b>km</b>" in texts(root)
    assert root.find(f"{SVG}title").text == f"Title {SCRIPT}"
    assert {r.get("data-label") for r in bars(root)} == {SCRIPT, "A & B"}


def test_empty_data_gives_a_message_chart():
    empty = [
        bar_chart({}, title="road_km"),
        bar_chart({"A": np.nan}, title="road_km"),
        stacked_bar_chart(pd.DataFrame({"a": []}), columns=["a"], title="t"),
        grouped_bar_chart(pd.DataFrame({"a": [np.nan]}), columns=["a"], title="t"),
        histogram([], title="t"),
        histogram([np.nan, 3.0], weights=[1.0, 0.0], title="t"),
        step_chart({}, title="t"),
        step_chart({"ambulance": []}, title="t"),
        indicator_chart(pd.DataFrame({"a": []}), columns=["a"], title="t"),
    ]
    for chart in empty:
        assert chart.kind == "message"
        root = parse(chart)
        assert "No data to show" in texts(root) and not bars(root)
    assert empty[0].title == "Road (km)"  # the title stays


def test_bad_input_is_reported():
    with pytest.raises(ValidationError, match="negative values for B"):
        bar_chart({"A": 1.0, "B": -2.0}, title="t")
    with pytest.raises(ValidationError) as err:
        stacked_bar_chart(pd.DataFrame({"a": [1.0]}), columns=["a", "b", "c"], title="t")
    assert "'b'" in str(err.value) and "'c'" in str(err.value)  # every missing column at once
    with pytest.raises(ValidationError, match="3 values but 2 weights"):
        histogram([1, 2, 3], weights=[1, 1], title="t")
    with pytest.raises(ValidationError, match="are negative"):
        histogram([1, 2], weights=[1, -1], title="t")
    with pytest.raises(ValueError, match="lang"):
        bar_chart({"A": 1.0}, title="t", lang="fr")
    with pytest.raises(ValueError, match="not a hex colour"):  # a colour cannot smuggle markup in
        bar_chart({"A": 1.0}, title="t", color='red" onload="alert(1)')


def test_deterministic_bytes_reprs_and_files(tmp_path):
    make = lambda: bar_chart({"A": 1.0, "B": 2.5}, title="road_km")  # noqa: E731
    assert make().to_svg() == make().to_svg()
    assert make().to_svg(id="x") != make().to_svg()
    chart = make()
    assert chart._repr_svg_() == chart.to_svg() and chart.to_svg() in chart._repr_html_()
    svg = chart.save(tmp_path / "c.svg")
    ET.parse(svg)  # a standalone, well-formed SVG file
    page = chart.save(tmp_path / "c.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "break-inside:avoid" in page and "<svg" in page
    with pytest.raises(ValueError, match=r"\.svg or \.html"):
        chart.save(tmp_path / "c.png")
    both = charts_page([chart, message_chart(title="t")], title=SCRIPT)
    assert both.count("<svg") == 2 and "<script" not in both
    assert len(set(re.findall(r'<svg[^>]* id="([^"]+)"', both))) == 2  # unique ids on one page


# --------------------------------------------------------------------------- #
# charts of analysis results (and their Thai maps), on a small generated study
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    import safegeo
    from safegeo.generate.area import generate_study_area
    from safegeo.study import load_study
    from safegeo.vehicles.response import response_for_study

    study = load_study(generate_study_area(tmp_path_factory.mktemp("charts") / "data", n_nodes=800))
    return {
        "study": study,
        "evacuation": safegeo.evacuate(study),
        "coverage": safegeo.analyze_coverage(study),
        "response": response_for_study(study, study.layer("vehicles")),
    }


def test_evacuation_charts_add_up_to_the_summary(results):
    res = results["evacuation"]
    stacked, hist, load = evacuation_charts(res)
    assert (stacked.kind, hist.kind, load.kind) == ("bars", "histogram", "bars")
    summ = res.summary[res.summary["level"] == "district"].set_index("name_en")
    parts = {s["key"]: dict(zip(stacked.data["labels"], s["values"], strict=True)) for s in stacked.data["series"]}
    for name, row in summ.iterrows():
        total = sum(parts[k][name] or 0.0 for k in EVACUATION_COLOURS)
        assert total == pytest.approx(row["population"], abs=1e-6), name
        assert parts["evac_within_15"][name] == pytest.approx(row["pop_within_15min"])
        assert parts["evac_overflow"][name] == pytest.approx(row["overflow"])
    a = res.assignments
    routed = a[a["status"].isin(["assigned", "beyond_max_time"])]
    assert sum(hist.data["counts"]) == pytest.approx(routed["population"].sum())
    assert hist.data["left_out"] == 0
    not_routed = a.loc[a["status"].isin(["overflow", "unreachable"]), "population"].sum()
    assert (hist.note is not None) == (not_routed > 0)
    used = res.shelters[res.shelters["eligible"] & (res.shelters["assigned"] > 0)]
    assert max(load.data["series"][0]["values"]) == pytest.approx(100 * used["utilisation"].max())
    th = evacuation_charts(res, lang="th")
    assert all(THAI.search(c.title) for c in th)
    assert set(th[0].data["labels"]) == set(summ["name_th"])  # Thai district names


def test_coverage_and_response_charts(results):
    cov = results["coverage"]
    grouped, gaps, *scorecard = coverage_charts(cov)
    d = cov.districts.set_index("name_en")
    lit = dict(zip(grouped.data["labels"], grouped.data["series"][0]["values"], strict=True))
    assert {k: pytest.approx(v) for k, v in lit.items()} == d["lit_pct"].to_dict()
    assert gaps.data["series"][0]["values"][0] == pytest.approx(d["high_priority_gap_km"].max())
    assert len(scorecard) == (cov.tambons is not None)
    res = results["response"]
    curve, by_district = response_charts(res, districts=results["study"].layer("districts"), lang="th")
    v = res.villages
    for s in curve.data["series"]:
        times = v.loc[v["vehicle_type"] == s["key"], "time_min"]
        assert s["final"] == pytest.approx(100 * times.notna().mean())
    assert {m["value"] for m in curve.data["markers"]} == set(res.targets_min.values())
    assert set(by_district.data["labels"]) <= set(results["study"].layer("districts")["name_th"])
    for c in (curve, by_district, *coverage_charts(cov, lang="th")):
        ET.fromstring(c.to_svg())


#: Codes and English words the analyses write that a Thai reader must never see raw.
RAW_CODES = (
    "assigned", "beyond_max_time", "overflow", "unreachable", "off_network", "isolated_by_hazard", "no_path",
    "no_eligible_shelter", "within_target", "beyond_target", "no_vehicle", "high", "medium", "low", "extreme",
    "lights", "cameras", "sos", "ambulance", "fire_engine", "rescue_truck", "rescue_boat", "water_tanker",
    "pickup_4x4", "available", "dispatched", "maintenance", "out_of_service", "shelter", "hospital", "safe_area",
    "refuge", "flood", "landslide", "unused", "in_use", "nearly_full", "over_capacity", "excluded", "yes", "no",
)


def _shown(html: str) -> tuple[list[str], list[str]]:
    """(column labels, values and legend / layer texts) a reader of the map can see."""
    labels, shown = [], []
    for block in re.findall(r'<script type="application/json" id="safegeo-layer-\d+">(.*?)</script>', html, re.S):
        spec = json.loads(block)
        labels += spec["labels"]
        shown += [spec["label"]] + [v for col in spec["values"] for v in col if v is not None]
    config = json.loads(re.search(r'id="safegeo-config">(.*?)</script>', html, re.S).group(1))
    for lg in config["legends"]:
        shown += [lg["title"]] + [r["label"] for r in lg["rows"]]
    return labels, shown


def test_thai_analysis_maps_show_no_raw_codes(results):
    from safegeo.coverage.result import coverage_map
    from safegeo.vehicles.response import response_map

    study = results["study"]
    pages = {
        "evacuation": results["evacuation"].map(lang="th", tiles=False).to_html(),
        "coverage": coverage_map(results["coverage"], lang="th", tiles=False).to_html(),
        "response": response_map(results["response"], study=study, lang="th", tiles=False).to_html(),
    }
    english = re.compile(r"\b(min|severity|depth|inside|safe for|capacity|shelter|road)\b")
    for name, html in pages.items():
        labels, shown = _shown(html)
        untranslated = sorted({c for c in labels if not THAI.search(c)} - {"SOS"})
        assert not untranslated, (name, untranslated)
        raw = sorted({v for v in shown if v in RAW_CODES})
        assert not raw, (name, raw)
        parts = {part for v in shown for part in v.split("; ")}
        words = sorted({v for v in parts if english.search(v) and not THAI.search(v)})
        assert not words, (name, words[:10])
    # and the English maps show labels, not codes
    labels, shown = _shown(results["evacuation"].map(lang="en", tiles=False).to_html())
    assert not {v for v in shown if v in ("isolated_by_hazard", "off_network", "no_path", "over_capacity")}
    assert all(has_label(k) for k in ("hazard", "band", "vehicle_type", "time_min", "target_min", "eta_min"))


def test_analysis_charts_beside_an_analysis_map(results, tmp_path):
    res = results["evacuation"]
    # the map carries its own charts; added charts follow them, and charts=False leaves the map bare
    bare = res.map(lang="th", tiles=False, charts=False)
    assert 'class="sg-chart"' not in bare.to_html()
    m = bare
    for chart in evacuation_charts(res, lang="th"):
        m.add_chart(chart)
    assert m.to_html().count('class="sg-chart"') == 3
    m = res.map(lang="th", tiles=False)
    html = m.save(tmp_path / "evacuation.html").read_text(encoding="utf-8")
    assert html.count('class="sg-chart"') == 3 and '<html lang="th" class="sg-with-charts">' in html
    assert t("charts", "th") in html
    assert Path(tmp_path / "evacuation.html").stat().st_size < 5e6
