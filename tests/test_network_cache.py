"""Prepared networks are reused: stored once per roads source and settings, loaded identical, rebuilt on change."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from safegeo.network.cache import load_network, save_network
from safegeo.study import load_study

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def _same(a, b) -> None:
    for name in ("x", "y", "u", "v", "length_m", "time_s"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(np.asarray(a.node_id), np.asarray(b.node_id))
    assert a.crs == b.crs and a.mode == b.mode and a.report == b.report
    assert shapely.equals_exact(a.edge_geometries(), b.edge_geometries(), tolerance=0).all()
    def norm(df):  # missing text is missing, whether NaN or None
        df = df.astype(object)
        return df.where(df.notna(), None)

    pd.testing.assert_frame_equal(norm(a.edge_data), norm(b.edge_data), check_dtype=False)


def test_a_stored_network_loads_identical(tmp_path):
    from safegeo.network.snap import _find_twins

    net = load_study(DEMO / "study.toml").network("drive")
    back = load_network(save_network(net, tmp_path / "drive"))
    _same(net, back)
    # each edge's reverse is stored with it and loaded (snapping needs it), equal to finding it again
    stored = back._csr_cache["_twins"]
    np.testing.assert_array_equal(stored, _find_twins(back))
    assert (stored >= 0).sum() > 0.9 * back.n_edges
    two_way = np.flatnonzero(stored >= 0)
    np.testing.assert_array_equal(back.u[stored[two_way]], back.v[two_way])


@pytest.fixture
def study_copy(tmp_path, monkeypatch):
    """The demo study copied to tmp_path, with the cache in its default place beside the study file."""
    monkeypatch.delenv("SAFEGEO_CACHE_DIR", raising=False)
    dest = tmp_path / "study"
    shutil.copytree(DEMO, dest, ignore=shutil.ignore_patterns(".safegeo"))
    return dest / "study.toml"


def test_commands_reuse_the_prepared_network_and_rebuild_when_roads_or_settings_change(study_copy, monkeypatch):
    import safegeo.network.build as build

    calls = []
    real = build.from_lines

    def counting(*args, **kwargs):
        calls.append(kwargs.get("mode"))
        return real(*args, **kwargs)

    monkeypatch.setattr(build, "from_lines", counting)
    first = load_study(study_copy).network("drive")
    assert calls == ["drive"]
    cache = study_copy.parent / ".safegeo" / "cache"
    assert len(list(cache.iterdir())) == 1
    again = load_study(study_copy).network("drive")  # a new process would do the same: no build
    assert calls == ["drive"]
    _same(first, again)
    # other settings: another network
    text = study_copy.read_text(encoding="utf-8")
    study_copy.write_text(text + "\n[network.speeds_kph]\nresidential = 20\n", encoding="utf-8")
    slower = load_study(study_copy).network("drive")
    assert calls == ["drive", "drive"] and len(list(cache.iterdir())) == 2
    assert slower.time_s.sum() > first.time_s.sum()
    # other roads (the layer file changed): built again
    study_copy.write_text(text, encoding="utf-8")
    import pyogrio

    gpkg = study_copy.parent / "layers.gpkg"
    roads = pyogrio.read_dataframe(gpkg, layer="roads")
    pyogrio.write_dataframe(roads.iloc[:-50], gpkg, layer="roads", driver="GPKG")
    load_study(study_copy).network("drive")
    assert calls == ["drive", "drive", "drive"]


def test_no_cache_when_turned_off(study_copy, monkeypatch):
    study_copy.write_text(study_copy.read_text(encoding="utf-8").replace("[network]", "[network]\ncache = false")
                          if "[network]" in study_copy.read_text(encoding="utf-8")
                          else study_copy.read_text(encoding="utf-8") + "\n[network]\ncache = false\n",
                          encoding="utf-8")
    load_study(study_copy).network("drive")
    assert not (study_copy.parent / ".safegeo").exists()


def test_a_damaged_cache_entry_is_rebuilt(study_copy):
    net = load_study(study_copy).network("drive")
    entry = next((study_copy.parent / ".safegeo" / "cache").iterdir())
    (entry / "u.npy").write_bytes(b"garbage")
    again = load_study(study_copy).network("drive")
    _same(net, again)
