"""notebooks/coverage.ipynb runs top to bottom on the demo province."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_notebook


@pytest.fixture(scope="module")
def demo_study(tmp_path_factory) -> Path:
    from safegeo.generate import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo"))


def test_demo_step_writes_the_map_first(demo_study, tmp_path):
    from safegeo.coverage import demo_step
    from safegeo.study import load_study

    paths = demo_step(load_study(demo_study), tmp_path / "coverage", lang="th")
    assert [p.name for p in paths] == ["coverage.html", "coverage.gpkg", "coverage_summary.csv"]
    assert all(p.stat().st_size > 0 for p in paths)
    html = paths[0].read_text(encoding="utf-8")
    assert "ความครอบคลุม" in html  # Thai title


def test_coverage_notebook_runs(demo_study, tmp_path, monkeypatch):
    run = run_notebook("coverage.ipynb", demo_study, tmp_path, monkeypatch)
    text, out = run.text, run.out_dir
    assert "'start_m': 25.0, 'end_m': 75.0" in text  # the hand-checked light
    assert "'start_m': 40.0, 'end_m': 60.0" in text  # the hand-checked camera
    assert "10 proposed lights" in text and "of the optimum" in text
    tables = run.tables
    assert "tambon" in tables and "Mueang Narathiwat T1" in tables  # the tambon roll-up is shown too
    assert "lit_high_gap_km" in tables
    assert (out / "coverage.html").stat().st_size > 10_000
    assert (out / "coverage.gpkg").exists() and (out / "coverage_summary.csv").exists()
