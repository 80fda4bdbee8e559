"""Scenario ensembles: scenario files, identical outcomes on Dask and one by one, failures kept apart, aggregation."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from safegeo import StudyFileError
from safegeo._i18n import t
from safegeo.cli import cli
from safegeo.ensemble import (
    Outcome,
    Scenario,
    aggregate,
    ensemble_charts,
    payload_for,
    read_scenarios,
    run_scenarios,
    weighted_percentiles,
)
from safegeo.ensemble.run import ASSIGNED, CUT_OFF, OVERFLOW
from safegeo.study import load_study

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "study.toml"
THAI = re.compile(r"[\u0e00-\u0e7f]")

SCENARIOS = """
[defaults]
max_minutes = 60

[[scenario]]
name = "flood"
hazards = "flood"

[[scenario]]
name = "no hazard"
hazards = "none"

[[scenario]]
name = "deep water only"
hazards = "flood_depth"
depth_threshold_m = 1.0

[[scenario]]
name = "bridges"
hazards = "flood"
bridge_failure_p = 0.5
samples = 3
seed = 11

[[scenario]]
name = "two shelters out"
hazards = "none"
shelters_out = ["SH002", "SH003"]
capacity_factor = 0.5
"""


@pytest.fixture(scope="module")
def demo():
    return load_study(DEMO)


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("ens") / "scenarios.toml"
    p.write_text(SCENARIOS, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def payload(demo):
    return payload_for(demo)


@pytest.fixture(scope="module")
def sequential(demo, scenario_file, payload):
    """The file's scenarios with one that fails on the worker (third), run one by one here."""
    sc = read_scenarios(scenario_file, demo)
    sc.insert(2, Scenario("broken", hazards="no_such_hazard"))  # fails on the worker, not before
    return sc, run_scenarios(payload, sc, scheduler="sequential")


def test_scenario_files_are_read_resolved_and_sampled_reproducibly(demo, scenario_file, tmp_path):
    sc = read_scenarios(scenario_file, demo)
    assert [s.name for s in sc] == ["flood", "no hazard", "deep water only", "bridges #1", "bridges #2", "bridges #3",
                                    "two shelters out"]
    again = read_scenarios(scenario_file, demo)
    assert [s.closed_edges for s in sc] == [s.closed_edges for s in again]  # seeded
    samples = [s for s in sc if s.group == "bridges"]
    assert len({s.closed_edges for s in samples}) == 3 and all(s.closed_edges for s in samples)
    net = demo.network()
    for s in samples:  # only bridges fail, both directions of a bridge together
        e = np.asarray(s.closed_edges)
        assert net.edge_data["bridge"].to_numpy()[e].all()
    assert sc[-1].shelters_out == ("SH002", "SH003") and sc[-1].capacity_factor == 0.5 and sc[0].max_minutes == 60
    csv = tmp_path / "s.csv"
    csv.write_text("name,hazards,shelters_out,close_roads\nA,none,SH002;SH004,\nB,flood,,edge:5\n", encoding="utf-8")
    from_csv = read_scenarios(csv, demo)
    assert from_csv[0].shelters_out == ("SH002", "SH004") and 5 in from_csv[1].closed_edges
    for text, message in (('[[scenario]]\nname = "x"\nshelters_out = ["NOPE"]\n', "no shelter NOPE"),
                          ('[[scenario]]\nname = "x"\nhazards = "quake"\n', "no hazard named 'quake'"),
                          ('[[scenario]]\nname = "x"\nbridge_failure_p = 2\n', "bridge_failure_p must be"),
                          ('[[scenario]]\nname = "x"\nclose_roads = ["road:1"]\n', "close_roads 'road:1'"),
                          ('[[scenario]]\nname = "x"\nsamples = 3\n', "samples needs something to sample"),
                          ('[[scenario]]\nname = "x"\ncolour = 1\n', "unknown key")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(StudyFileError, match=message):
            read_scenarios(bad, demo)


def test_dask_gives_the_outcomes_of_a_sequential_run_and_keeps_failures_apart(demo, payload, sequential):
    sc, seq = sequential
    dist = run_scenarios(payload, sc, workers=2)
    assert [o.name for o in dist] == [s.name for s in sc]
    assert all(a.same_as(b) for a, b in zip(seq, dist, strict=True))
    broken = dist[2]
    assert not broken.ok and "no hazard named 'no_such_hazard'" in broken.error
    assert all(o.ok for i, o in enumerate(dist) if i != 2)
    # the scenarios change the answers
    flood, dry, bridges = dist[0], dist[1], [o for o in dist if o.name.startswith("bridges")]
    assert not np.array_equal(flood.time_s, dry.time_s, equal_nan=True)
    assert any(not np.array_equal(b.status, flood.status) or not np.allclose(b.time_s, flood.time_s, equal_nan=True)
               for b in bridges)
    out_two = dist[-1]
    sh = payload.shelters["shelter_id"].astype(str).to_numpy()
    assert out_two.shelter_load[np.isin(sh, ["SH002", "SH003"])].sum() == 0

    res = aggregate(payload, sc, dist, areas=demo.areas)
    ok = [o for o in dist if o.ok]
    status = np.vstack([o.status for o in ok])
    np.testing.assert_allclose(res.villages["p_cut_off"], np.round((status == CUT_OFF).mean(axis=0), 4))
    np.testing.assert_allclose(res.villages["p_overflow"], np.round((status == OVERFLOW).mean(axis=0), 4))
    assert list(res.scenarios["ok"]) == [o.ok for o in dist]
    study_row = res.summary[res.summary["level"] == "study"].iloc[0]
    pop = payload.villages["population"].to_numpy(float)
    assert study_row["expected_cut_off"] == pytest.approx((pop * (status == CUT_OFF).mean(axis=0)).sum())
    if len(res.roads):
        assert (res.roads["expected_isolated"].diff().dropna() <= 1e-9).all()  # ranked


def test_cli_writes_the_outputs(scenario_file, tmp_path):
    out = tmp_path / "ens"
    r = CliRunner().invoke(cli, ["ensemble", str(DEMO), "--scenarios", str(scenario_file), "--out", str(out),
                                 "--scheduler", "sequential", "--no-tiles"])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} >= {"ensemble.gpkg", "ensemble.csv", "scenarios.csv", "ensemble.html"}
    import pyogrio

    assert set(pyogrio.list_layers(out / "ensemble.gpkg")[:, 0]) == {"villages", "roads", "shelters", "scenarios",
                                                                      "summary"}
    r = CliRunner().invoke(cli, ["ensemble", str(DEMO), "--scenarios", str(tmp_path / "missing.toml"), "--out",
                                 str(out)])
    assert r.exit_code == 1 and "scenario file not found" in r.output


def test_a_failed_critical_road_cuts_off_the_people_it_was_said_to(payload, sequential):
    sc, outs = sequential
    dry = outs[[s.name for s in sc].index("no hazard")]
    edge = int(dry.critical_edges[np.argmax(dry.critical_people)])
    net = payload.network
    both = [edge, *np.flatnonzero((net.u == net.v[edge]) & (net.v == net.u[edge])).tolist()]
    (o,) = run_scenarios(payload, [Scenario("bridge down", hazards="none", closed_edges=tuple(both))],
                         scheduler="sequential")
    pop = payload.villages["population"].to_numpy(float)
    assert (o.status == CUT_OFF).any()
    assert pop[o.status == CUT_OFF].sum() == dry.critical_people.max()


def test_weighted_percentiles_by_hand():
    v, w = np.array([3.0, 1.0, 2.0, np.nan, 9.0]), np.array([1.0, 1.0, 1.0, 5.0, 0.0])
    assert weighted_percentiles(v, w, [0, 33, 34, 50, 67, 100]) == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert weighted_percentiles(np.array([5.0, 1.0]), np.array([3.0, 1.0]), [25, 26]) == [1.0, 5.0]
    assert np.isnan(weighted_percentiles(np.array([np.nan]), np.array([1.0]), [50])).all()


def test_summary_time_percentiles_and_cut_off_by_hand(demo, payload):
    # three scenarios: every village 1, 2 and 10 minutes away; in the third the first village is cut off
    n = len(payload.villages)
    pop = payload.villages["population"].to_numpy(float)
    names = ["one", "two", "ten"]
    outs = []
    for name, minutes in zip(names, (1.0, 2.0, 10.0), strict=True):
        status, times = np.full(n, ASSIGNED, np.int8), np.full(n, 60.0 * minutes)
        if name == "ten":
            status[0], times[0] = CUT_OFF, np.nan
        outs.append(Outcome(name, status, times, np.zeros(n), np.full(n, "", dtype=object),
                            np.zeros(len(payload.shelters))))
    res = aggregate(payload, [Scenario(x) for x in names], outs, areas=demo.areas)
    assert pop[0] < pop.sum() / 2
    study = res.summary[res.summary["level"] == "study"].iloc[0]
    assert (study["p10_min"], study["p50_min"], study["p90_min"]) == (1.0, 2.0, 10.0)
    assert study["expected_cut_off"] == pytest.approx(pop[0] / 3)
    assert study["p_cut_off"] == pytest.approx(round(pop[0] / 3 / pop.sum(), 4))
    peopled = res.summary[(res.summary["level"] == "district") & (res.summary["population"] > 0)]
    assert len(peopled) > 1 and (peopled["p50_min"] == 2.0).all() and (peopled["p90_min"] == 10.0).all()
    assert res.villages["p_cut_off"].iloc[0] == pytest.approx(round(1 / 3, 4)) and res.villages["p_cut_off"].iloc[1] == 0


def _bars(chart) -> dict[str, list[float | None]]:
    return {s["key"]: s["values"] for s in chart.data["series"]}


def test_charts_show_the_numbers_of_the_ensemble(demo, payload, sequential):
    sc, outs = sequential
    # and one in which the first five villages are cut off (built by hand: see the note in the report)
    first = outs[0]
    status, times = first.status.copy(), first.time_s.copy()
    status[:5], times[:5] = CUT_OFF, np.nan
    sc, outs = [*sc, Scenario("cut")], [*outs, dataclasses.replace(first, name="cut", status=status, time_s=times)]
    res = aggregate(payload, sc, outs, areas=demo.areas)
    cut, bands, hist, roads, shelters = ensemble_charts(res)
    d = res.summary[res.summary["level"] == "district"]
    assert (d["p_cut_off"] > 0).any()  # something to see
    got = dict(zip(cut.data["labels"], cut.data["series"][0]["values"], strict=True))
    assert got == pytest.approx(dict(zip(d["name_en"], 100 * d["p_cut_off"], strict=True)))
    assert bands.data["mode"] == "stacked" and bands.data["labels"] == list(d["name_en"])  # district order
    b = _bars(bands)
    np.testing.assert_allclose(np.array(b["ens_p50"], float), d["p50_min"], equal_nan=True)
    np.testing.assert_allclose(np.array(b["ens_p50"], float) + np.array(b["ens_p50_p90"], float), d["p90_min"],
                               equal_nan=True)
    ok = res.scenarios[res.scenarios["ok"]]
    assert sum(hist.data["counts"]) == len(ok) == len(sc) - 1
    top = res.roads.head(10)
    assert len(top) and roads.data["series"][0]["values"] == pytest.approx(list(top["expected_isolated"]))
    assert all(str(e) in label for e, label in zip(top["edge"], roads.data["labels"], strict=True))
    full = res.shelters.sort_values(["p_full", "mean_load"], ascending=False, kind="stable").head(10)
    assert shelters.data["series"][0]["values"] == pytest.approx(list(100 * full["p_full"]))
    assert (res.shelters["p_full"] > 0).any()
    # the page shows them, in Thai too, with the link back to the overview
    html = res.map(lang="th", tiles=False, back_href="../index.html").to_html()
    assert 'aria-controls="sg-charts"' in html and '"href":"../index.html"' in html
    for key in ("ens_cut_off_by_district", "ens_time_bands", "ens_cut_off_hist", "ens_roads", "ens_shelters_full"):
        assert THAI.search(t(key, "th")) and t(key, "th") in html
    assert 'aria-controls="sg-charts"' not in res.map(tiles=False, charts=False).to_html()


def _start(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dask", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_running_dask_scheduler_and_workers_give_the_sequential_outcomes(demo, payload, sequential, scenario_file,
                                                                           tmp_path):
    """`dask scheduler` and `dask worker` as separate processes, as on several machines."""
    from dask.distributed import Client

    def received() -> int:  # runs on a worker: read its own counter (imported there, not sent from here)
        from safegeo.ensemble.run import RECEIVED

        return RECEIVED["payloads"]

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    address_file = tmp_path / "scheduler.json"
    procs = [_start(["scheduler", "--scheduler-file", str(address_file), "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard"], env)]
    try:
        for _ in range(600):
            if address_file.exists() and address_file.stat().st_size:
                break
            assert procs[0].poll() is None, "dask scheduler exited"
            time.sleep(0.1)
        procs.append(_start(["worker", "--scheduler-file", str(address_file), "--nworkers", "2", "--nthreads", "1",
                             "--no-dashboard", "--memory-limit", "0"], env))
        with Client(scheduler_file=str(address_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            address = client.scheduler.address
            assert address.startswith("tcp://")
            sc, seq = sequential
            dist = run_scenarios(payload, sc, scheduler=address)
            assert all(a.same_as(b) for a, b in zip(seq, dist, strict=True))
            assert not dist[2].ok and "no hazard named 'no_such_hazard'" in dist[2].error
            assert sum(o.ok for o in dist) == len(sc) - 1
            # the payload went to each worker once, not once per scenario
            assert sorted(client.run(received).values()) == [1, 1]
            # the command, on the same workers
            out = tmp_path / "ens"
            r = CliRunner().invoke(cli, ["ensemble", str(DEMO), "--scenarios", str(scenario_file), "--out", str(out),
                                         "--scheduler", address, "--no-tiles"])
            assert r.exit_code == 0, r.output
            assert address in r.output
            assert sorted(client.run(received).values()) == [2, 2]
        import pandas as pd

        table = pd.read_csv(out / "scenarios.csv")
        keep = [i for i, s in enumerate(sc) if s.name != "broken"]
        expected = aggregate(payload, [sc[i] for i in keep], [seq[i] for i in keep], areas=demo.areas).scenarios
        assert list(table["scenario"]) == list(expected["scenario"])
        np.testing.assert_allclose(table["people_cut_off"], expected["people_cut_off"])
        np.testing.assert_allclose(table["people_overflow"], expected["people_overflow"])
    finally:
        for p in reversed(procs):
            _stop(p)
