"""notebooks/coverage.ipynb runs top to bottom on the demo province."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "coverage.ipynb"


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
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    study = demo_study
    out = tmp_path / "out"
    monkeypatch.setenv("SAFEGEO_DEMO_STUDY", str(study))
    monkeypatch.setenv("SAFEGEO_NOTEBOOK_OUT", str(out))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    text = "\n".join(o.get("text", "") for o in outputs)
    assert "'start_m': 25.0, 'end_m': 75.0" in text  # the hand-checked light
    assert "'start_m': 40.0, 'end_m': 60.0" in text  # the hand-checked camera
    assert "10 proposed lights" in text and "of the optimum" in text
    tables = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "tambon" in tables and "Mueang Narathiwat T1" in tables  # the tambon roll-up is shown too
    assert "lit_high_gap_km" in tables
    assert (out / "coverage.html").stat().st_size > 10_000
    assert (out / "coverage.gpkg").exists() and (out / "coverage_summary.csv").exists()
