"""Scorecards: every indicator is its analysis's own figure; hand-checked normalisation, aggregation and ranks."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from safegeo._errors import ScorecardError, SettingsError
from safegeo.scorecard import composite, district_report, indicator, normalise, ranks, scorecard
from safegeo.settings import resolve
from safegeo.study import load_study


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A generated study with every layer (800 road nodes) and its scorecard."""
    from safegeo.generate.area import generate_study_area

    study = load_study(generate_study_area(tmp_path_factory.mktemp("scorecard") / "data", n_nodes=800))
    return study, scorecard(study)


def _same(a: pd.Series, b: pd.Series) -> None:
    """Equal values, NaN where the other is NaN (compared as numbers when they are numbers)."""
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
        assert np.allclose(a.to_numpy(float), b.to_numpy(float), equal_nan=True, rtol=0, atol=0), (a, b)
    else:
        assert a.fillna("").astype(str).tolist() == b.fillna("").astype(str).tolist()


def test_every_indicator_equals_its_analysis_summary(small):
    study, sc = small
    t = sc.tambons.set_index("area_id")
    ids = pd.Index(study.layers["tambons"]["tambon_id"])
    assert sorted(t.index) == sorted(ids)
    # evacuation: the tambon rows of its own summary
    ev = sc.evacuation.summary
    ev = ev[ev["level"] == "tambon"].set_index("area_id").loc[t.index]
    for c in ("population", "share_within_15min", "share_within_30min", "share_within_60min", "overflow",
              "cut_off_by_one_road", "share_cut_off_by_one_road", "most_loaded_shelter"):
        _same(t[f"evac_{c}"], ev[c])
    assert (t["evac_cut_off_by_one_road"] > 0).any() and (t["evac_overflow"] > 0).any()
    # coverage
    cov = sc.coverage.summary
    cov = cov[cov["level"] == "tambon"].set_index("area_id").loc[t.index]
    for c in ("road_km", "lit_pct", "seen_pct", "sos_pct", "lit_high_gap_km"):
        _same(t[c], cov[c])
    # response, per vehicle type
    rs = sc.response.summary
    for vt in ("ambulance", "rescue_truck", "rescue_boat"):
        r = rs[(rs["level"] == "tambon") & (rs["vehicle_type"] == vt)].set_index("area_id").loc[t.index]
        for c in ("median_min", "p90_min", "target_min"):
            _same(t[f"{vt}_{c}"], r[c])
    # exposure (the first hazard, all classes), repeat disasters and border districts
    ex = sc.exposure.people("tambon").set_index("area_id").loc[t.index]
    _same(t["exposed_population"], ex["villages_population"])
    _same(t["repeat_area"].astype(bool), ex["repeat_area"].astype(bool))
    _same(t["is_border"].astype(bool), ex["is_border"].astype(bool))
    # the people each concerns: the villages of the tambon
    vill = study.areas.add_columns(study.layer("villages"))
    _same(t["population"], vill.groupby("tambon_id")["population"].sum().reindex(t.index).fillna(0).astype(float))
    # village rows add up to their tambon's figures
    v = sc.villages
    per = v.groupby("tambon_id")[["evac_population", "evac_cut_off_by_one_road", "evac_overflow"]].sum()
    for c in per.columns:
        assert np.allclose(per[c].reindex(t.index).fillna(0), t[c].fillna(0))
    # a village's response time is its own, from the response analysis
    rv = sc.response.villages
    amb = rv[rv["vehicle_type"] == "ambulance"].set_index("village_id")["time_min"]
    _same(v.set_index("area_id")["ambulance_median_min"], amb.reindex(v["area_id"]))


def test_actions_point_at_what_the_analyses_found(small):
    _, sc = small
    a = sc.actions
    assert set(a["kind"]) >= {"road", "shelter", "coverage", "response"}
    assert (a["score_gain"] >= 0).all() and ((a["score_gain"] > 0) | (a["dimension_gain"] > 0)).all()
    # a road action names a road of the critical-roads table that cuts off exactly that many of the tambon's people
    road = a[a["kind"] == "road"].iloc[0]
    crit = sc.evacuation.critical_roads.set_index("edge")
    assert crit.loc[int(road["target"]), "isolated_population"] >= road["people"] > 0
    asg = sc.evacuation.assignments
    mine = asg[(asg["tambon_id"] == road["area_id"]) & (asg["cut_off_road"] == int(road["target"]))]
    assert mine["population"].sum() == pytest.approx(road["people"])
    # coverage actions link to proposals of the coverage analysis when there are any in the tambon
    props = a[(a["kind"] == "coverage") & a["target"].str.startswith("#")]
    assert len(props) and set(props["target"].str.split(", ").explode().str[1:].astype(int)) <= set(
        sc.coverage.proposals["rank"])
    # at most [scorecard] actions per tambon, best first
    first = a[a["order"] > 0]
    assert first.groupby("area_id")["order"].max().max() <= 3
    best = first.sort_values("order").groupby("area_id").head(1).set_index("area_id")["text_en"]
    assert (sc.tambons.set_index("area_id").loc[best.index, "action_1"] == best).all()


def test_normalisation_by_hand():
    assert normalise(np.array([0.5, 1.0, 0.0, np.nan]), best=1.0, worst=0.0).tolist()[:3] == [5.0, 0.0, 10.0]
    assert normalise(np.array([90.0, 30.0]), best=0.0, worst=60.0).tolist() == [10.0, 5.0]  # clipped
    with pytest.raises(ScorecardError, match="best and worst"):
        normalise(np.array([1.0]), best=1.0, worst=1.0)


def test_aggregation_by_hand():
    """Two travel indicators (weights 3 and 1), overflow, lighting and exposure on a two-row table."""
    t = pd.DataFrame({"s30": [0.5, 1.0], "s15": [0.0, 1.0], "ov": [0.2, 0.0], "lit": [25.0, np.nan],
                      "exp": [0.4, 0.1]})
    ind = [indicator("s30", "share_within_30min"), indicator("s15", "share_within_15min"),
           indicator("ov", "overflow_share"), indicator("lit", "lit_pct"), indicator("exp", "exposed_share")]
    cfg = resolve(None, "scorecard", weights={"share_within_30min": 3.0})
    out = composite(t, ind, cfg)
    # row 0: travel = (3*5 + 1*10)/4 = 6.25, capacity 2 -> evacuation 4.125; coverage 7.5 -> coping 7.5;
    # exposure 4 -> hazard & exposure 4; score = (4 * 4.125 * 7.5) ** (1/3)
    assert out.loc[0, "cat_travel"] == pytest.approx(6.25)
    assert out.loc[0, "dim_evacuation"] == pytest.approx(4.125)
    assert out.loc[0, "dim_coping"] == pytest.approx(7.5)
    assert out.loc[0, "score"] == pytest.approx((4 * 4.125 * 7.5) ** (1 / 3))
    # row 1: no lighting figure, so no coping dimension: score = (1 * 0) ** (1/2) = 0 (nothing to improve in
    # evacuation); INFORM's geometric mean is 0 when one dimension is
    assert np.isnan(out.loc[1, "dim_coping"]) and out.loc[1, "score"] == 0.0
    # equal weights: travel (5 + 10) / 2 = 7.5, evacuation (7.5 + 2) / 2 = 4.75; arithmetic between dimensions
    ar = composite(t, ind, resolve(None, "scorecard", between_dimensions="arithmetic"))
    assert ar.loc[0, "dim_evacuation"] == pytest.approx(4.75)
    assert ar.loc[0, "score"] == pytest.approx((4 + 4.75 + 7.5) / 3)
    # a dimension weight of 2 counts coping twice in the geometric mean
    w = composite(t, ind, resolve(None, "scorecard", dimension_weights={"coping": 2.0}))
    assert w.loc[0, "score"] == pytest.approx((4 * 4.75 * 7.5 ** 2) ** (1 / 4))
    with pytest.raises(SettingsError, match="weights"):
        resolve(None, "scorecard", weights={"lit": 1.0})
    with pytest.raises(SettingsError):
        resolve(None, "scorecard", between_dimensions="harmonic")


def test_ranks_within_district_and_province():
    f = pd.DataFrame({"district_id": ["A", "A", "A", "B", "B"], "score": [2.0, 5.0, 5.0, 1.0, np.nan]})
    assert ranks(f, by="district_id").tolist() == [3, 1, 1, 1, pd.NA]
    assert ranks(f).tolist() == [3, 1, 1, 4, pd.NA]


def test_ranks_and_outputs_of_a_scorecard(small, tmp_path):
    _, sc = small
    t = sc.tambons
    for d, g in t.groupby("district_id"):
        assert g.sort_values("score", ascending=False)["rank_in_district"].iloc[0] == 1, d
    assert t.loc[t["score"].idxmax(), "rank_in_province"] == 1
    paths = sc.write(tmp_path, lang="th")
    assert [p.name for p in paths] == ["scorecard.html", "scorecard.gpkg", "scorecard.csv"]
    raw = paths[2].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Thai names
    back = pd.read_csv(paths[2])
    assert set(back["level"]) == {"tambon", "village"} and len(back) == len(t) + len(sc.villages)
    import pyogrio

    assert {n for n, _ in pyogrio.list_layers(paths[1])} == {"tambons", "villages", "actions"}
    html = paths[0].read_text(encoding="utf-8")
    assert 'class="sg-table"' in html and "sg-chart" in html and "บัตรคะแนน" in html


def test_table_text_is_escaped(small):
    from safegeo.maps.table import table_html

    html = table_html(pd.DataFrame({"name_en": ['<img src=x onerror="alert(1)">'], "score": [1.0]}))
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_cli_scorecard_and_report(hand_study, tmp_path):
    from safegeo.cli import cli

    r = CliRunner().invoke(cli, ["scorecard", str(hand_study), "--out", str(tmp_path / "sc")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "sc" / "scorecard.csv").exists() and (tmp_path / "sc" / "scorecard.html").exists()
    r = CliRunner().invoke(cli, ["report", str(hand_study), "--district", "D9", "--out", str(tmp_path / "r")])
    assert r.exit_code == 2 and "D9" in r.output and "D1" in r.output
    r = CliRunner().invoke(cli, ["report", str(hand_study), "--district", "D1", "--no-pdf", "--lang", "th",
                                 "--out", str(tmp_path / "r")])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "r" / "report_D1.html").read_text(encoding="utf-8")
    assert "@page { size: A4" in page and "<svg" in page and "ตะวันตก" in page
    assert not (tmp_path / "r" / "report_D1.pdf").exists()


def test_report_pdf(hand_study, tmp_path):
    from safegeo.scorecard.report import chromium

    if chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("no Chromium on PATH")
    sc = scorecard(load_study(hand_study))
    paths = district_report(sc, "D1", tmp_path)
    assert [p.name for p in paths] == ["report_D1.html", "report_D1.pdf"]
    assert paths[1].read_bytes()[:4] == b"%PDF"
    with pytest.raises(ScorecardError, match="D2"):
        district_report(sc, "D2", tmp_path)


def test_road_projects_become_actions_of_the_tambons_they_bring_nearer_a_shelter():
    from pathlib import Path

    from safegeo.roadplan import plan_roads

    study = load_study(Path(__file__).resolve().parents[1] / "data" / "demo" / "study.toml")
    plan = plan_roads(study, candidates="auto", verify_top=0)
    sc = scorecard(study, road_plan=plan)
    acts = sc.actions[sc.actions["kind"] == "road_project"]
    assert len(acts) and (acts["order"] > 0).any()
    # independently: each village's tambon from the evacuation, the plan's before/after minutes
    where = sc.evacuation.assignments.drop_duplicates("origin_id").set_index("origin_id")["tambon_id"]
    v = plan.villages.assign(tambon_id=lambda d: d["origin_id"].map(where))
    v["gain"] = v["minutes_before"].fillna(120.0) - v["minutes_after"].fillna(120.0)
    v = v[v["gain"] > 0]
    tam = sc.tambons.set_index("area_id")
    for _, act in acts.iterrows():
        mine = v[v["tambon_id"] == act["area_id"]]
        pm = (mine["gain"] * mine["population"]).groupby(mine["candidate_id"]).sum()
        assert act["target"] == pm.idxmax()  # the project saving the tambon's people most person-minutes
        chosen = mine[mine["candidate_id"] == act["target"]]
        assert act["people"] == pytest.approx(chosen["population"].sum())
        # its score gain: the tambon's shares within 15/30/60 min raised by the people newly within each limit
        row = tam.loc[[act["area_id"]]].reset_index().copy()
        for m in (15, 30, 60):
            col = f"evac_share_within_{m}min"
            newly = chosen.loc[~(chosen["minutes_before"] <= m) & (chosen["minutes_after"] <= m), "population"].sum()
            row[col] = min(1.0, row[col].iloc[0] + newly / row["evac_population"].iloc[0])
        after = composite(row, sc.indicators, sc.settings)["score"].iloc[0]
        assert act["score_gain"] == pytest.approx(tam.at[act["area_id"], "score"] - after, abs=1e-4)
