"""notebooks/evacuation.ipynb runs top to bottom on the demo province."""

from __future__ import annotations

import re

from conftest import run_notebook


def test_evacuation_notebook_runs(tmp_path, monkeypatch):
    from safegeo.generate import generate_demo

    run = run_notebook("evacuation.ipynb", generate_demo(tmp_path / "demo"), tmp_path, monkeypatch)
    text, out = run.text, run.out_dir
    # the capacity change shows: fewer people without a place, and the districts where it changed
    m = re.search(r"(SH\d+): capacity doubled; overflow ([\d,]+) -> ([\d,]+) people", text)
    assert m, text
    before, after = (int(g.replace(",", "")) for g in m.group(2, 3))
    assert 0 <= after < before
    n_changed = int(re.search(r"(\d+) district\(s\) changed", text).group(1))
    assert n_changed >= 1
    # the map is shown in the notebook itself, with the re-run plan's layers
    assert any("Critical roads" in h and "Evacuation routes" in h for h in run.html)
    assert (out / "evacuation.html").stat().st_size > 10_000
    assert (out / "evacuation.gpkg").exists() and (out / "summary.csv").exists()
