"""Scenario ensembles: scenario files, identical outcomes on Dask and one by one, failures kept apart, aggregation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from safegeo import StudyFileError
from safegeo.cli import cli
from safegeo.ensemble import Scenario, aggregate, payload_for, read_scenarios, run_scenarios
from safegeo.ensemble.run import CUT_OFF, OVERFLOW
from safegeo.study import load_study

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "study.toml"

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


def test_dask_gives_the_outcomes_of_a_sequential_run_and_keeps_failures_apart(demo, scenario_file):
    sc = read_scenarios(scenario_file, demo)
    sc.insert(2, Scenario("broken", hazards="no_such_hazard"))  # fails on the worker, not before
    payload = payload_for(demo)
    seq = run_scenarios(payload, sc, scheduler="sequential")
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
    assert study_row["expected_cut_off"] == pytest.approx((pop * res.villages["p_cut_off"]).sum())
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
