"""notebooks/vehicles.ipynb runs top to bottom on the demo province."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_notebook


def test_vehicles_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from safegeo.generate import generate_demo
    from safegeo.vehicles.registry import Registry

    study = generate_demo(tmp_path / "demo")
    run = run_notebook("vehicles.ipynb", study, tmp_path, monkeypatch)
    text, out = run.text, run.out_dir
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
