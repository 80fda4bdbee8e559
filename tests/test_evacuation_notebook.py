"""notebooks/evacuation.ipynb runs top to bottom on the demo province."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "evacuation.ipynb"


def test_evacuation_notebook_runs(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from safegeo.generate import generate_demo

    study = generate_demo(tmp_path / "demo")
    out = tmp_path / "out"
    monkeypatch.setenv("SAFEGEO_DEMO_STUDY", str(study))
    monkeypatch.setenv("SAFEGEO_NOTEBOOK_OUT", str(out))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    text = "\n".join(o.get("text", "") for o in outputs)
    # the capacity change shows: fewer people without a place, and the districts where it changed
    m = re.search(r"(SH\d+): capacity doubled; overflow ([\d,]+) -> ([\d,]+) people", text)
    assert m, text
    before, after = (int(g.replace(",", "")) for g in m.group(2, 3))
    assert 0 <= after < before
    n_changed = int(re.search(r"(\d+) district\(s\) changed", text).group(1))
    assert n_changed >= 1
    # the map is shown in the notebook itself, with the re-run plan's layers
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("Critical roads" in h and "Evacuation routes" in h for h in html)
    assert (out / "evacuation.html").stat().st_size > 10_000
    assert (out / "evacuation.gpkg").exists() and (out / "summary.csv").exists()
