"""The demo province: the committed data is the generator's output, and `safegeo demo` works end to end."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from conftest import REPO

from safegeo.generate import generate_demo
from safegeo.maps.overview import study_map
from safegeo.study import load_study

DEMO = REPO / "data" / "demo"
XSS = '<img src=x onerror="alert(1)">'


def test_committed_demo_is_the_generator_output(tmp_path):
    fresh = generate_demo(tmp_path / "demo").parent
    for name in ("study.toml", "shelters.csv", "flood_depth.tif", "population.tif", "under5.tif", "events.csv",
                 "contacts.csv", "README.md"):
        assert (DEMO / name).read_bytes() == (fresh / name).read_bytes(), f"data/demo/{name} is stale"
    layers = list(pyogrio.list_layers(DEMO / "layers.gpkg")[:, 0])
    assert layers == list(pyogrio.list_layers(fresh / "layers.gpkg")[:, 0])
    for layer in layers:
        a = pyogrio.read_dataframe(DEMO / "layers.gpkg", layer=layer)
        b = pyogrio.read_dataframe(fresh / "layers.gpkg", layer=layer)
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")))
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all(), layer


def test_demo_study_is_valid_and_labelled_synthetic():
    study = load_study(DEMO / "study.toml", strict=True)
    assert study.synthetic and "synthetic" in study.name.lower()
    assert study.crs.to_epsg() == 32647
    d = study.layers["districts"]
    assert 8 <= len(d) <= 13 and d["is_border"].sum() >= 3
    assert d.loc[d.is_border, "border_km"].gt(0).all()
    assert 250 <= len(study.layers["villages"]) <= 350
    net = study.network("drive")
    assert net.n_nodes > 3000 and net.report.components >= 1


def test_demo_end_to_end(demo_run):
    out = demo_run.out_dir
    assert demo_run.main_map == out / "index.html" and demo_run.main_map.exists()
    assert (out / "prepared" / "study.gpkg").exists() and (out / "prepared" / "network_drive.gpkg").exists()
    # prepare kept every network the analyses use, the SOS walking network with all its components too
    import json

    from safegeo.network.cache import load_network

    cache = json.loads((out / "prepared" / "prepare_report.json").read_text(encoding="utf-8"))["cache"]
    assert set(cache) == {"drive", "walk", "walk:all"}
    walk, walk_all = load_network(cache["walk"]), load_network(cache["walk:all"])
    assert walk_all.mode == walk.mode == "walk" and walk_all.n_nodes >= walk.n_nodes
    public = (out / "index_public.html").read_text(encoding="utf-8")
    full = (out / "index.html").read_text(encoding="utf-8")
    shelters = pd.read_csv(out / "data" / "shelters.csv")
    phone = str(shelters["contact"].dropna().iloc[0])
    assert phone in full and phone not in public
    assert "demo" in "\n".join(demo_run.summary_lines()).lower()


@pytest.mark.browser
def test_demo_map_in_browser_offline(demo_run, browser, tmp_path):
    study = load_study(demo_run.study_path)
    expected_layers = [k for k in ("districts", "tambons", "hazards", "rivers", "roads", "border", "villages",
                                   "shelters", "pois", "incidents", "cameras", "lights", "sos", "vehicles")
                       if study.has(k)]
    with browser.open(demo_run.main_map) as page:
        assert page.blocked_requests == [], "the demo map must not request anything"
        assert page.console_errors == [] and page.page_errors == [] and page.dialogs == []
        assert len(page.layer_names) == len(expected_layers) + 1  # + the basemap, listed but off
        stats = page.stats
        for name in expected_layers:
            assert stats[name]["features"] == len(study.layers[name]) or name in ("hazards",), name
        visible = {k for k, v in stats.items() if v["visible"]}
        assert {"districts", "roads", "villages", "shelters"} <= visible
        for name in visible:  # the demo map opens on the whole study area: everything is in view
            assert stats[name]["drawn"] >= stats[name]["in_view"] == stats[name]["features"] > 0, name
        assert page.canvas_pixels > 10_000
        # the header links to every analysis map, by relative path
        hrefs = page.evaluate("() => [...document.querySelectorAll('.sg-links a')].map(a => a.getAttribute('href'))")
        analysis_maps = sorted(p.relative_to(demo_run.out_dir).as_posix()
                               for p in [*Path(demo_run.out_dir).glob("*/*.html"),
                                         *Path(demo_run.out_dir).glob("scorecard/report/*.html")])
        assert sorted(hrefs) == analysis_maps and len(hrefs) >= 3
        shot = page.screenshot(tmp_path / "demo_map.png")
    assert shot.stat().st_size > 20_000
    if os.environ.get("SAFEGEO_UPDATE_SCREENSHOT"):
        shutil.copy(shot, REPO / "docs" / "demo_map.png")

    # every analysis map opens offline too, with its charts drawn and a link back to the overview
    charted = {"evacuation", "coverage", "response", "exposure", "warning", "road_plan", "scorecard"}
    for html in sorted(Path(demo_run.out_dir).glob("*/*.html")):
        with browser.open(html) as page:
            assert page.blocked_requests == [] and page.page_errors == [] and page.console_errors == [], html.name
            assert page.layer_names, html.name
            if html.stem in charted:
                bars = page.evaluate("() => [...document.querySelectorAll('#sg-charts svg rect.sg-bar')]"
                                     ".filter(r => r.getBoundingClientRect().width > 0).length")
                assert bars > 0, html.name
                href = page.evaluate("() => { const a = document.querySelector('.sg-back, a.sg-back-link');"
                                     " return a ? a.getAttribute('href') : null; }")
                assert href == "../index.html", html.name
            if html.stem == "scorecard":
                _check_table_sorts_and_filters(page)

    # the district report: the overview map, the scorecard table and the charts, all drawn offline
    reports = sorted(Path(demo_run.out_dir).glob("scorecard/report/report_*.html"))
    assert len(reports) == 1
    with browser.open(reports[0], ready_js="() => document.querySelector('section.sg-table[data-ready]')") as page:
        assert page.blocked_requests == [] and page.page_errors == [] and page.console_errors == []
        drawn = page.evaluate("() => [...document.querySelectorAll('.sg-overview svg path')]"
                              ".filter(p => p.getBoundingClientRect().width > 0).length")
        assert drawn >= 2
        assert page.evaluate("() => document.querySelectorAll('#sg-report-table tbody tr').length") >= 2
        assert page.evaluate("() => document.querySelectorAll('.sg-figure svg rect.sg-bar').length") > 0
        _check_table_sorts_and_filters(page)


_SORT_JS = """(key) => {
  const table = document.querySelector('section.sg-table table');
  const th = [...table.tHead.rows[0].cells].find(h => h.dataset.key === key);
  const idx = [...th.parentNode.children].indexOf(th);
  const read = () => [...table.tBodies[0].rows].map(r => r.cells[idx].dataset.v).filter(v => v !== '')
      .map(Number);
  th.click();
  const first = read();
  th.click();
  return [first, read(), th.getAttribute('aria-sort')];
}"""

_FILTER_JS = """() => {
  const section = document.querySelector('section.sg-table');
  const rows = [...section.querySelectorAll('tbody tr')];
  const word = rows[0].cells[0].textContent;
  const box = section.querySelector('.sg-table-filter');
  box.value = word;
  box.dispatchEvent(new Event('input'));
  return [rows.length, rows.filter(r => r.style.display !== 'none').length,
          rows.filter(r => r.style.display !== 'none').every(r => r.textContent.includes(word))];
}"""


def _check_table_sorts_and_filters(page) -> None:
    """Clicking the population header sorts the table by it (largest first), again reverses; the filter filters."""
    first, second, state = page.evaluate(_SORT_JS, "population")
    assert len(first) >= 2 and first == sorted(first, reverse=True) and second == sorted(first)
    assert state == "ascending"
    total, shown, match = page.evaluate(_FILTER_JS)
    assert 1 <= shown < total and match


@pytest.mark.browser
def test_injected_payload_in_demo_data_does_not_run(demo_run, browser, tmp_path):
    study = load_study(demo_run.study_path)
    shelters = study.layers["shelters"].copy()
    shelters.loc[shelters.index[0], "name_en"] = XSS
    study.layers["shelters"] = shelters
    path = study_map(study, layers=["districts", "shelters"]).save(tmp_path / "xss.html")
    with browser.open(path) as page:
        text = page.evaluate("() => safegeo.openPopup('shelters', 0).textContent")
        page.page.wait_for_timeout(150)
        assert XSS in text
        assert page.dialogs == [] and page.page_errors == []
