"""notebooks/vehicles.ipynb runs top to bottom on the demo province."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "vehicles.ipynb"


def test_vehicles_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from safegeo.generate import generate_demo
    from safegeo.registry import Registry

    study = generate_demo(tmp_path / "demo")
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
    import pyogrio

    n_vehicles = len(pyogrio.read_dataframe(study.parent / "layers.gpkg", layer="vehicles"))
    assert f"added {n_vehicles}, updated 0" in text
    assert "excluded: status maintenance" in text
    # the ambulance in maintenance leaves villages beyond the 15-minute target
    import re

    before, after = map(int, re.search(r"villages within target: (\d+) -> (\d+)", text).groups())
    assert after < before
    assert (out / "dispatch.html").stat().st_size > 10_000
    with Registry(out / "vehicles.db", create=False) as reg:
        h = reg.history()
    # the import, the maintenance and the return to service are all in the history
    assert set(h["action"]) == {"add", "update"}
    status = h[h["field"] == "status"]
    assert list(status["new_value"]) == ["maintenance", "available"]
