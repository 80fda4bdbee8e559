"""The vehicle registry: records, history, validated all-or-none imports, exports, reliability."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from conftest import UTM47, X0, Y0, grid_roads

from safegeo import RegistryError
from safegeo.study import StudyArea
from safegeo.vehicles.registry import (
    SCHEMA_VERSION,
    Registry,
    VehicleDataError,
    VehicleNotFoundError,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def reg(registry_db: str) -> Registry:
    """A new registry, once on SQLite and once on PostgreSQL/PostGIS (``registry_db`` in conftest.py)."""
    r = Registry(registry_db)
    yield r
    r.close()


def _add_two(reg: Registry) -> None:
    reg.add("KT-1", type="ambulance", lon=101.82, lat=6.42, agency="Narathiwat Hospital", capacity=2,
            capabilities="4x4, high_clearance", contact="081-111-1111")
    reg.add("KT-2", type="rescue_boat", lon=101.90, lat=6.30, agency="DDPM", status="maintenance")


def _csv(tmp_path: Path, rows: list[dict], name: str = "fleet.csv") -> Path:
    p = tmp_path / name
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


GOOD = {"vehicle_id": "N-1", "type": "ambulance", "lon": 101.80, "lat": 6.40, "agency": "A", "status": "available"}


# -- records and history --------------------------------------------------------------------------------------
def test_add_update_remove_are_all_in_the_history(reg: Registry) -> None:
    _add_two(reg)
    rec = reg.get("KT-1")
    assert rec["capabilities"] == "4x4,high_clearance" and rec["status"] == "available" and rec["capacity"] == 2
    reg.update("KT-1", status="maintenance", lon=101.83, by="somchai")
    reg.update("KT-1", status="maintenance")  # no change: no history row
    reg.remove("KT-2", by="admin")
    h = reg.history()
    assert list(h["action"]) == ["add", "add", "update", "update", "remove"]
    upd = h[h["action"] == "update"].set_index("field")
    assert upd.loc["status", "old_value"] == "available" and upd.loc["status", "new_value"] == "maintenance"
    assert upd.loc["location", "old_value"] == "101.8200000,6.4200000"
    assert upd.loc["location", "new_value"] == "101.8300000,6.4200000"
    assert set(upd["changed_by"]) == {"somchai"}
    removed = json.loads(h.iloc[-1]["old_value"])
    assert removed["vehicle_id"] == "KT-2" and removed["type"] == "rescue_boat"
    assert h.iloc[-1]["changed_by"] == "admin"
    assert list(reg.vehicles()["vehicle_id"]) == ["KT-1"]
    assert reg.get("KT-1")["updated_by"] == "somchai"
    # the history outlives the vehicle
    assert len(reg.history("KT-2")) == 2


def test_bad_values_and_unknown_ids_are_refused(reg: Registry) -> None:
    _add_two(reg)
    with pytest.raises(VehicleDataError, match="already registered"):
        reg.add("KT-1", type="ambulance", lon=101.8, lat=6.4)
    with pytest.raises(VehicleDataError, match="unknown type 'tank'"):
        reg.add("X", type="tank", lon=101.8, lat=6.4)
    with pytest.raises(VehicleDataError, match="swapped"):
        reg.add("X", type="ambulance", lon=6.4, lat=101.8)
    with pytest.raises(VehicleDataError, match="unknown status 'broken'"):
        reg.update("KT-1", status="broken")
    with pytest.raises(VehicleDataError, match="unknown capability wings"):
        reg.update("KT-1", capabilities=["wings"])
    with pytest.raises(VehicleNotFoundError, match="no vehicle 'KT-9'"):
        reg.update("KT-9", status="available")
    with pytest.raises(ValueError):  # callers may catch the builtin too
        reg.add("X", type="ambulance", lon=101.8, lat=None)
    assert len(reg.history()) == 2


def test_vehicles_filters_and_public(reg: Registry) -> None:
    _add_two(reg)
    assert list(reg.vehicles(type="ambulance")["vehicle_id"]) == ["KT-1"]
    assert list(reg.vehicles(status=["maintenance"])["vehicle_id"]) == ["KT-2"]
    assert list(reg.vehicles(agency="hospital")["vehicle_id"]) == ["KT-1"]
    assert "contact" in reg.vehicles().columns
    assert "contact" not in reg.vehicles(public=True).columns
    assert "contact" not in reg.get("KT-1", public=True)
    with pytest.raises(VehicleDataError, match="unknown type"):
        reg.vehicles(type="tank")


def test_filter_by_district_uses_the_study(reg: Registry) -> None:
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name_en": ["West", "East"]},
                                 geometry=[shapely.box(X0 - 5000, Y0 - 5000, X0, Y0 + 5000),
                                           shapely.box(X0, Y0 - 5000, X0 + 5000, Y0 + 5000)], crs=UTM47)
    study = StudyArea.from_layers({"roads": grid_roads(), "districts": districts}, crs=UTM47)
    west = gpd.GeoSeries([shapely.Point(X0 - 1000, Y0), shapely.Point(X0 + 1000, Y0)], crs=UTM47).to_crs(4326)
    reg.add("W", type="ambulance", lon=west.iloc[0].x, lat=west.iloc[0].y)
    reg.add("E", type="ambulance", lon=west.iloc[1].x, lat=west.iloc[1].y)
    assert list(reg.vehicles(district="west", study=study)["vehicle_id"]) == ["W"]
    assert list(reg.vehicles(district="D2", study=study)["district"]) == ["East"]
    with pytest.raises(VehicleDataError, match="no district 'North'"):
        reg.vehicles(district="North", study=study)
    with pytest.raises(VehicleDataError, match="needs a study"):
        reg.vehicles(district="West")


# -- schema -------------------------------------------------------------------------------------------------
def test_schema_version_pragmas_and_migrations(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    with Registry(db) as reg:
        assert reg.schema_version == SCHEMA_VERSION
        with reg.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    with Registry(db) as reg, reg.engine.connect() as conn:  # reopening applies nothing twice
        versions = [r[0] for r in conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    con = sqlite3.connect(db)
    con.execute("INSERT INTO schema_version VALUES (99, 'from the future', 'x')")
    con.commit()
    con.close()
    with pytest.raises(RegistryError, match="newer than this safegeo"):
        Registry(db)


def test_a_v1_registry_is_migrated(tmp_path: Path) -> None:
    from safegeo.vehicles.registry import MIGRATIONS

    db = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                             "applied_at TEXT NOT NULL)")
        MIGRATIONS[0].apply(conn)
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (1, 'v1', 'then')")
    engine.dispose()
    with Registry(db) as reg:
        assert reg.schema_version == SCHEMA_VERSION
        with reg.engine.connect() as conn:
            names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_vehicles_type_status" in names


def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    with Registry(db) as reg:
        _add_two(reg)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a long import holds the write lock ...
    writer.execute("UPDATE vehicles SET notes = 'importing' WHERE vehicle_id = 'KT-1'")
    try:
        # ... and listing (open + read) still works at once, seeing the last committed state
        with Registry(db, create=False, busy_timeout_s=0.2) as reader:
            assert list(reader.vehicles()["vehicle_id"]) == ["KT-1", "KT-2"]
            assert reader.get("KT-1")["notes"] is None
            with pytest.raises(RegistryError, match="stayed locked by another process"):
                reader.update("KT-1", status="dispatched")  # a second writer waits, then says why
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_missing_registry_is_not_created_when_reading(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="no vehicle registry there"):
        Registry(tmp_path / "typo.db", create=False)
    assert not (tmp_path / "typo.db").exists()


# -- damaged files ------------------------------------------------------------------------------------------
def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "fleet.db"
    bad.write_bytes(b"this is not sqlite at all\n" * 200)
    with pytest.raises(RegistryError, match="not an SQLite database.*left unchanged"):
        Registry(bad)
    assert bad.read_bytes() == b"this is not sqlite at all\n" * 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.db"]


def test_a_damaged_database_gives_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    with Registry(db) as reg:
        reg.import_frame(pd.DataFrame([{**GOOD, "vehicle_id": f"V{i}", "notes": "x" * 200} for i in range(300)]))
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode = DELETE")
    con.close()
    size = db.stat().st_size
    with db.open("r+b") as fh:  # scribble over the b-tree pages after the header page
        fh.seek(4096)
        fh.write(b"\xff\x00garbage" * ((size - 8192) // 9))
    with pytest.raises(RegistryError, match="damaged"):
        Registry(db)


def test_another_sqlite_database_is_not_taken_for_a_registry(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(RegistryError, match="an SQLite database of something else, not a vehicle registry "
                                            r"\(tables customers\)"):
        Registry(db)
    assert db.read_bytes() == before


# -- imports ------------------------------------------------------------------------------------------------
def _study() -> StudyArea:
    districts = gpd.GeoDataFrame({"district_id": ["D1"], "name_en": ["Town"]},
                                 geometry=[shapely.box(X0 - 2000, Y0 - 2000, X0 + 2000, Y0 + 2000)], crs=UTM47)
    return StudyArea.from_layers({"roads": grid_roads(), "districts": districts}, crs=UTM47)


def _inside_lonlat() -> tuple[float, float]:
    p = gpd.GeoSeries([shapely.Point(X0 + 100, Y0 + 100)], crs=UTM47).to_crs(4326).iloc[0]
    return round(p.x, 6), round(p.y, 6)


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ({"type": "tank"}, "unknown type 'tank'"),
        ({"status": "broken"}, "unknown status 'broken'"),
        ({"capabilities": "4x4,wings"}, "unknown capability wings"),
        ({"capacity": "-3"}, "capacity '-3' is not a whole number"),
        ({"lon": "abc"}, "coordinates 'abc', '6.4' are not numbers"),
        ({"lon": 250.0}, "out of range"),
        ({"lat": -95.0}, "out of range"),
        ({"lon": 100.5, "lat": 13.7}, "outside the study area"),  # Bangkok
        ({"vehicle_id": "OLD-1"}, "already in the registry (use --update"),
        ({"vehicle_id": "N-1"}, "vehicle_id 'N-1' repeats row 1"),
        ({"vehicle_id": ""}, "vehicle_id is missing"),
        ({"type": ""}, "type is missing"),
        ({"lat": ""}, "coordinates are missing"),
    ],
)
def test_each_bad_row_kind_is_reported_and_nothing_is_imported(tmp_path: Path, reg: Registry, bad_row: dict,
                                                               message: str) -> None:
    lon, lat = _inside_lonlat()
    reg.add("OLD-1", type="fire_engine", lon=lon, lat=lat)
    good = {**GOOD, "lon": lon, "lat": lat}
    rows = [good, {**good, "vehicle_id": "N-2"}, {**good, "vehicle_id": "N-3", **bad_row}]
    if "lat" in bad_row and "lon" not in bad_row and bad_row["lat"] != "":
        rows[2]["lon"] = lon
    if bad_row.get("lon") == "abc":
        rows[2]["lat"] = 6.4
    path = _csv(tmp_path, rows)
    before = reg.history()
    with pytest.raises(VehicleDataError) as err:
        reg.import_file(path, study=_study())
    text = str(err.value)
    assert "row 3: " in text and message in text, text
    assert "row 1:" not in text and "row 2:" not in text
    assert "nothing was imported" in text
    assert [p.rows for p in err.value.problems] == [(3,)]
    assert list(reg.vehicles()["vehicle_id"]) == ["OLD-1"]
    pd.testing.assert_frame_equal(reg.history(), before)


def test_every_bad_row_is_listed_at_once(tmp_path: Path, reg: Registry) -> None:
    rows = [GOOD, {**GOOD, "vehicle_id": "A", "type": "tank"}, {**GOOD, "vehicle_id": "B"},
            {**GOOD, "vehicle_id": "C", "lon": None}, {**GOOD, "vehicle_id": "A", "status": "lost"}]
    with pytest.raises(VehicleDataError) as err:
        reg.import_file(_csv(tmp_path, rows))
    assert sorted(r for p in err.value.problems for r in p.rows) == [2, 4, 5]
    assert "3 bad row(s) of 5" in str(err.value)
    assert reg.vehicles().empty


def test_missing_columns_are_reported(tmp_path: Path, reg: Registry) -> None:
    p = tmp_path / "nocoords.csv"
    pd.DataFrame([{"vehicle_id": "A", "type": "ambulance"}]).to_csv(p, index=False)
    with pytest.raises(VehicleDataError, match="no coordinate columns"):
        reg.import_file(p)
    p2 = tmp_path / "notype.csv"
    pd.DataFrame([{"vehicle_id": "A", "lon": 101.8, "lat": 6.4}]).to_csv(p2, index=False)
    with pytest.raises(VehicleDataError, match=r"column\(s\) type missing"):
        reg.import_file(p2)


def test_import_reads_geojson_and_geopackage_in_any_crs(tmp_path: Path, reg: Registry) -> None:
    pts = gpd.GeoDataFrame({"vehicle_id": ["G1", "G2"], "type": ["ambulance", "pickup_4x4"],
                            "capabilities": ["", "4x4"], "capacity": [2, 5]},
                           geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 500, Y0)], crs=UTM47)
    pts.to_file(tmp_path / "fleet.gpkg", layer="vehicles", driver="GPKG")
    pts.to_crs(4326).to_file(tmp_path / "fleet.geojson", driver="GeoJSON")
    res = reg.import_file(tmp_path / "fleet.gpkg", layer="vehicles")
    assert res.added == ["G1", "G2"]
    got = reg.vehicles()
    expected = pts.to_crs(4326)
    assert got.geometry.geom_equals_exact(expected.geometry, tolerance=1e-6).all()
    assert list(got["capacity"]) == [2, 5]
    other = Registry(tmp_path / "b.db")
    other.import_file(tmp_path / "fleet.geojson")
    assert list(other.vehicles()["capabilities"]) == ["", "4x4"]
    other.close()


def test_update_mode_upserts_and_empty_cells_keep_values(tmp_path: Path, reg: Registry) -> None:
    _add_two(reg)
    rows = [{"vehicle_id": "KT-1", "type": "", "lon": "", "lat": "", "status": "dispatched", "contact": ""},
            {"vehicle_id": "KT-3", "type": "fire_engine", "lon": 101.7, "lat": 6.5, "status": "", "contact": "x"}]
    with pytest.raises(VehicleDataError, match="already in the registry"):
        reg.import_file(_csv(tmp_path, rows))
    res = reg.import_file(_csv(tmp_path, rows), update=True, by="import")
    assert res.added == ["KT-3"] and res.updated == ["KT-1"]
    kt1 = reg.get("KT-1")
    assert kt1["status"] == "dispatched" and kt1["contact"] == "081-111-1111" and kt1["lon"] == 101.82
    assert reg.get("KT-3")["status"] == "available"
    again = reg.import_file(_csv(tmp_path, rows), update=True)
    assert again.unchanged == ["KT-1", "KT-3"]
    new_without_type = [{"vehicle_id": "KT-4", "type": "", "lon": 101.7, "lat": 6.5}]
    with pytest.raises(VehicleDataError, match="new vehicle 'KT-4' needs a type"):
        reg.import_file(_csv(tmp_path, new_without_type, "n.csv"), update=True)


# -- export / backup ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".csv"])
def test_export_round_trips_and_public_drops_contact(tmp_path: Path, reg: Registry, suffix: str) -> None:
    _add_two(reg)
    out = reg.export(tmp_path / f"fleet{suffix}")
    back = Registry(tmp_path / "copy.db")
    back.import_file(out)
    cols = ["vehicle_id", "type", "agency", "status", "capacity", "capabilities", "contact"]
    pd.testing.assert_frame_equal(pd.DataFrame(back.vehicles()[cols]), pd.DataFrame(reg.vehicles()[cols]))
    assert back.vehicles().geometry.geom_equals_exact(reg.vehicles().geometry, tolerance=1e-7).all()
    back.close()
    public = reg.export(tmp_path / f"public{suffix}", public=True)
    assert "081-111-1111" not in public.read_bytes().decode("utf-8", "replace")
    assert "081-111-1111" in out.read_bytes().decode("utf-8", "replace")


@pytest.mark.parametrize(("suffix", "n_vehicles"), [(".gpkg", 0), (".gpkg", 2), (".geojson", 2)])
def test_export_is_a_point_layer_in_lonlat_even_when_empty(tmp_path: Path, reg: Registry, suffix: str,
                                                          n_vehicles: int) -> None:
    import pyogrio

    if n_vehicles:
        _add_two(reg)
    info = pyogrio.read_info(reg.export(tmp_path / f"fleet{suffix}"))
    assert info["geometry_type"] == "Point" and info["features"] == n_vehicles
    assert info["crs"] == "EPSG:4326"
    if n_vehicles:
        back = pyogrio.read_dataframe(tmp_path / f"fleet{suffix}")
        assert list(back["vehicle_id"]) == ["KT-1", "KT-2"]
        assert list(zip(back.geometry.x.round(6), back.geometry.y.round(6))) == [(101.82, 6.42), (101.9, 6.3)]


def test_public_history_leaves_out_contacts(reg: Registry) -> None:
    _add_two(reg)
    reg.update("KT-1", contact="089-000-0000", status="dispatched", by="somchai")
    reg.remove("KT-1")
    full = reg.history().to_csv()
    assert "081-111-1111" in full and "089-000-0000" in full
    public = reg.history(public=True)
    text = public.to_csv()
    assert "081-111-1111" not in text and "089-000-0000" not in text
    # what changed stays visible; the values are withheld, and so is who changed it (a person's name)
    contact = public[public["field"] == "contact"].iloc[0]
    assert pd.isna(contact["old_value"]) and pd.isna(contact["new_value"])
    assert "changed_by" not in public.columns and "somchai" not in text
    assert public[public["field"] == "status"]["new_value"].tolist() == ["dispatched"]
    added = json.loads(public.iloc[0]["new_value"])
    assert "contact" not in added and added["agency"] == "Narathiwat Hospital"
    assert "contact" not in json.loads(public.iloc[-1]["old_value"])
    assert len(public) == len(reg.history())


def test_export_to_an_unknown_format_is_refused(tmp_path: Path, reg: Registry) -> None:
    with pytest.raises(VehicleDataError, match="cannot export to '.xlsx'"):
        reg.export(tmp_path / "fleet.xlsx")


def test_backup_is_a_complete_registry(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "fleet.db")
    _add_two(reg)
    reg.update("KT-1", status="dispatched")
    dest = reg.backup(tmp_path / "backup.db")
    with Registry(dest, create=False) as copy:
        pd.testing.assert_frame_equal(pd.DataFrame(copy.vehicles()), pd.DataFrame(reg.vehicles()))
        assert len(copy.history()) == 3
    reg.close()


# -- several processes ----------------------------------------------------------------------------------------
_WRITERS = """
import os, sys, time, traceback
from safegeo.vehicles.registry import Registry
db, procs, n, pause_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
apply_update = Registry._apply_update
def slow_apply(self, conn, old, clean, **kw):
    time.sleep(pause_s)  # widen the read-modify-write window so an unprotected update would surely be lost
    return apply_update(self, conn, old, clean, **kw)
Registry._apply_update = slow_apply
def write(me):
    reg = Registry(db)
    for k in range(n):
        reg.update("SHARED", notes=f"{me}-{k}", by=me)
        reg.update(f"OWN-{me}", capacity=k + 1, by=me)
children = []
for p in range(procs):  # one process per writer, forked after the slow import so that they all start at once
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            write(f"p{p}")
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    children.append(pid)
failed = [pid for pid in children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0]
sys.exit(f"{len(failed)} writer process(es) failed" if failed else 0)
"""

#: (processes, updates of the shared vehicle by each, pause inside each update's transaction in seconds).
#: SQLite serialises every writer through one file lock (its busy handler sleeps between tries): 4 x 15.
#: PostgreSQL: 8 processes x 50 updates of the one shared vehicle (400 updates queued on one row lock) plus
#: 8 x 50 of their own vehicles (about 7 s on 2 cores; 8 x 200 takes four times as long and shows nothing more).
_CONCURRENCY = {"sqlite": (4, 15, 0.01), "postgres": (8, 50, 0.002)}


def test_concurrent_writers_lose_no_update(registry_db: str, request) -> None:
    db = registry_db
    procs, per, pause_s = _CONCURRENCY[request.node.callspec.params["registry_db"]]
    with Registry(db) as reg:
        reg.add("SHARED", type="ambulance", lon=101.8, lat=6.4)
        for p in range(procs):
            reg.add(f"OWN-p{p}", type="ambulance", lon=101.8, lat=6.4, capacity=0)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-c", _WRITERS, db, str(procs), str(per), str(pause_s)], env=env,
                         capture_output=True, timeout=300)
    assert run.returncode == 0, run.stderr.decode()
    with Registry(db, create=False) as reg:
        h = reg.history("SHARED")
        notes = h[h["field"] == "notes"]
        # every update is there, and each one saw the value the previous one wrote (no lost update)
        assert sorted(notes["new_value"]) == sorted(f"p{p}-{k}" for p in range(procs) for k in range(per))
        assert list(notes["old_value"].iloc[1:]) == list(notes["new_value"].iloc[:-1])
        assert reg.get("SHARED")["notes"] == notes["new_value"].iloc[-1]
        for p in range(procs):
            assert reg.get(f"OWN-p{p}")["capacity"] == per
            assert len(reg.history(f"OWN-p{p}")) == 1 + per


_KILLED_IMPORT = """
import sys, time
from pathlib import Path
import safegeo.vehicles.registry as registry
db, csv, marker, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
original = registry.Registry._insert
written = 0
def stall(self, conn, rows, **kwargs):
    global written
    out = original(self, conn, rows, **kwargs)
    written += len(rows)
    if written >= total:               # every row has been written (in however many steps) ...
        Path(marker).write_text("written")
        time.sleep(120)                # ... and the process is killed before the import returns
    return out
registry.Registry._insert = stall
registry.Registry(db).import_file(csv)
"""


def test_an_import_killed_mid_transaction_leaves_the_registry_as_it_was(tmp_path: Path, registry_db: str) -> None:
    db = registry_db
    with Registry(db) as reg:
        _add_two(reg)
        before = pd.DataFrame(reg.vehicles())
        before_history = reg.history()
    csv = _csv(tmp_path, [{**GOOD, "vehicle_id": f"BULK-{i}", "notes": "n" * 50} for i in range(20000)])
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_IMPORT, str(db), str(csv), str(marker), "20000"],
                            env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the import never reached its write"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    with Registry(db, create=False) as reg:
        pd.testing.assert_frame_equal(pd.DataFrame(reg.vehicles()), before)
        pd.testing.assert_frame_equal(reg.history(), before_history)
        reg.add("AFTER", type="ambulance", lon=101.8, lat=6.4)  # and it still takes writes
        assert len(reg.vehicles()) == 3


# -- read-only copies and files that are not registries ----------------------------------------------------------
def _digest(folder: Path) -> dict[str, str]:
    """Every file in *folder* with the sha256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@contextlib.contextmanager
def _frozen(db: Path, *, file: bool = True, folder: bool = True):
    """chmod 444 the registry file and/or 555 its folder (permission bits are honoured even for root)."""
    try:
        if file:
            db.chmod(0o444)
        if folder:
            db.parent.chmod(0o555)
        yield
    finally:
        db.parent.chmod(0o755)
        db.chmod(0o644)


@pytest.mark.parametrize(("file", "folder"), [(True, True), (True, False), (False, True)])
def test_a_read_only_copy_is_listed_exported_and_backed_up_unchanged(tmp_path: Path, file: bool,
                                                                      folder: bool) -> None:
    db = tmp_path / "ro" / "fleet.db"
    db.parent.mkdir()
    with Registry(db) as reg:
        _add_two(reg)
        reg.update("KT-1", status="dispatched", notes="key with Malee 0937778888", by="somchai")
        full = reg.vehicles()
    before = _digest(db.parent)
    assert list(before) == ["fleet.db"]
    out = tmp_path / "out"
    with _frozen(db, file=file, folder=folder), Registry(db, create=False) as ro:
        assert ro.read_only and "not writable" in (ro.read_only_reason or "")
        pd.testing.assert_frame_equal(pd.DataFrame(ro.vehicles()), pd.DataFrame(full))
        assert ro.get("KT-1")["status"] == "dispatched" and len(ro.history()) == 4  # 2 adds, 2 fields changed
        assert "0937778888" not in ro.history(public=True).to_csv()
        back = pd.read_csv(ro.export(out / "fleet.csv", public=True))
        assert list(back["vehicle_id"]) == ["KT-1", "KT-2"] and "notes" not in back.columns
        assert len(gpd.read_file(ro.export(out / "fleet.gpkg"))) == 2
        copy = ro.backup(out / "copy.db")
        with pytest.raises(RegistryError, match="read-only .*nothing was changed"):
            ro.update("KT-1", status="available")
        with pytest.raises(RegistryError, match="read-only"):
            ro.add("KT-3", type="ambulance", lon=101.8, lat=6.4)
        assert _digest(db.parent) == before  # no byte changed, no -wal / -shm / -journal file appeared
    with Registry(copy, create=False) as c:
        assert c.get("KT-1")["status"] == "dispatched" and not c.read_only


def test_read_only_on_request_never_switches_the_journal(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    with Registry(db) as reg:
        _add_two(reg)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode = DELETE")  # as a backup copy is
    con.close()
    before = _digest(tmp_path)
    with Registry(db, read_only=True) as ro:
        assert ro.read_only and ro.read_only_reason == "it was opened read-only"
        assert list(ro.vehicles()["vehicle_id"]) == ["KT-1", "KT-2"]
        with ro.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "delete"
        with pytest.raises(RegistryError, match="read-only"):
            ro.remove("KT-1")
    assert _digest(tmp_path) == before
    assert db.read_bytes()[18:20] == b"\x01\x01"  # the header still says rollback journal ...
    with Registry(db) as rw:  # ... which opening for writing switches to WAL: the check above can fail
        assert not rw.read_only
    assert db.read_bytes()[18:20] == b"\x02\x02"
    with pytest.raises(RegistryError, match="no vehicle registry there"):
        Registry(tmp_path / "new.db", read_only=True)
    assert not (tmp_path / "new.db").exists()


def _v1_registry(db: Path) -> None:
    from safegeo.vehicles.registry import MIGRATIONS

    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                             "applied_at TEXT NOT NULL)")
        MIGRATIONS[0].apply(conn)
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (1, 'v1', 'then')")
        conn.exec_driver_sql("INSERT INTO vehicles VALUES ('OLD-1', 'ambulance', NULL, 101.8, 6.4, 'available', "
                             "NULL, '', NULL, NULL, 'then', NULL)")
    engine.dispose()


def test_a_read_only_older_registry_is_read_without_upgrading(tmp_path: Path, monkeypatch) -> None:
    import safegeo.vehicles.registry as registry

    db = tmp_path / "old.db"
    _v1_registry(db)
    before = _digest(tmp_path)
    with _frozen(db), Registry(db, create=False) as ro:
        assert ro.schema_version == 1 and list(ro.vehicles()["vehicle_id"]) == ["OLD-1"]
    assert _digest(tmp_path) == before
    # a pending step that changes what is read cannot be skipped: a clear error, and still nothing written
    steps = tuple(dataclasses.replace(m, read_compatible=False) for m in registry.MIGRATIONS)
    monkeypatch.setattr(registry, "MIGRATIONS", steps)
    with _frozen(db), pytest.raises(RegistryError, match="schema v1 is older .* cannot be upgraded"):
        Registry(db, create=False)
    assert _digest(tmp_path) == before


def _gpkg(path: Path) -> Path:
    import pyogrio

    gdf = gpd.GeoDataFrame({"vehicle_id": ["KT-1"], "type": ["ambulance"]}, geometry=[shapely.Point(101.8, 6.4)],
                           crs="EPSG:4326")
    pyogrio.write_dataframe(gdf, path, layer="vehicles", driver="GPKG")
    return path


def test_a_geopackage_is_refused_and_left_byte_for_byte_unchanged(tmp_path: Path) -> None:
    gpkg = _gpkg(tmp_path / "vehicles.gpkg")
    before = _digest(tmp_path)
    for kwargs in ({}, {"create": False}, {"read_only": True}):
        with pytest.raises(RegistryError, match=r"vehicles.gpkg is a GeoPackage, not a vehicle registry; the file "
                                                r"was left unchanged"):
            Registry(gpkg, **kwargs)
        assert _digest(tmp_path) == before, kwargs
    # a GeoPackage without its application id is still recognised by its tables
    con = sqlite3.connect(gpkg)
    con.execute("PRAGMA application_id = 0")
    con.close()
    before = _digest(tmp_path)
    with pytest.raises(RegistryError, match=r"is a GeoPackage, not a vehicle registry \(tables gpkg_contents"):
        Registry(gpkg)
    assert _digest(tmp_path) == before


def test_other_files_are_refused_unchanged_and_an_empty_file_becomes_a_registry(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    con = sqlite3.connect(other)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE schema_version (version INTEGER)")  # a migration tool's table of the same name
    con.execute("CREATE TABLE vehicles (plate TEXT)")
    con.commit()
    con.close()
    (tmp_path / "notes.csv").write_text("vehicle_id,type\nKT-1,ambulance\n", encoding="utf-8")
    before = _digest(tmp_path)
    with pytest.raises(RegistryError, match="an SQLite database of something else"):
        Registry(other)
    with pytest.raises(RegistryError, match="not an SQLite database"):
        Registry(tmp_path / "notes.csv")
    assert _digest(tmp_path) == before
    empty = tmp_path / "empty.db"
    empty.touch()
    with Registry(empty) as reg:
        reg.add("KT-1", type="ambulance", lon=101.8, lat=6.4)
    with Registry(empty, read_only=True) as ro:
        assert ro.get("KT-1")["type"] == "ambulance"


def test_a_registry_cannot_be_created_in_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(RegistryError, match="cannot create a registry here: its folder .* is not writable"):
            Registry(folder / "fleet.db")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_public_records_leave_out_notes_and_who_changed_them(reg: Registry) -> None:
    _add_two(reg)
    reg.update("KT-2", notes="driver Somchai 0812223334", agency="DDPM, LINE: @ddpm_nara", by="somchai")
    rec = reg.get("KT-2", public=True)
    assert "notes" not in rec and "updated_by" not in rec and rec["agency"] == "DDPM, LINE: [removed]"
    listed = reg.vehicles(public=True)
    assert {"contact", "notes", "updated_by"}.isdisjoint(listed.columns)
    text = reg.history(public=True).to_csv()
    assert "Somchai" not in text and "0812223334" not in text and "ddpm_nara" not in text
    assert "Somchai" in reg.history().to_csv()
