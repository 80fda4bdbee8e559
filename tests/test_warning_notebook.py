"""notebooks/warning.ipynb runs top to bottom on the demo province: exposure, targets, messages, a valid alert."""

from __future__ import annotations

import re

from conftest import REPO, run_notebook


def test_warning_notebook_runs(tmp_path, monkeypatch):
    import shutil

    shutil.copytree(REPO / "data" / "demo", tmp_path / "demo")
    run = run_notebook("warning.ipynb", tmp_path / "demo" / "study.toml", tmp_path, monkeypatch)
    text, out = run.text, run.out_dir
    assert re.search(r"flood_depth \(flood\): [\d,]+ villages_population", text), text
    assert re.search(r"\d+ repeat-disaster tambons", text)
    assert "schema errors: []" in text and "['th-TH', 'en-US'] Flood" in text
    assert re.search(r"\d+ village messages, \d+ SMS segments in all", text)
    # the charts and the map are shown in the notebook itself
    assert any("<svg" in h for h in run.html) or "image/svg+xml" in str(run.outputs)
    assert any("Warning area" in h and "Shelters to open" in h for h in run.html)
    for name in ("warning/warning.html", "warning/alert.xml", "warning/send_list.csv", "exposure/exposure.html"):
        assert (out / name).stat().st_size > 500, name
