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


# -- both backends: spatial filters and upgrades ------------------------------------------------------------------
def test_bbox_filter_keeps_bases_inside_edges_included(reg: Registry) -> None:
    grid = [(round(101.70 + 0.05 * i, 2), round(6.30 + 0.05 * j, 2)) for i in range(5) for j in range(5)]
    reg.import_frame(pd.DataFrame([{"vehicle_id": f"V{i:02d}", "type": "ambulance", "lon": x, "lat": y}
                                   for i, (x, y) in enumerate(grid)]))
    box = (101.75, 6.35, 101.85, 6.40)  # edges through grid points: those bases are inside
    expected = [f"V{i:02d}" for i, (x, y) in enumerate(grid) if box[0] <= x <= box[2] and box[1] <= y <= box[3]]
    assert len(expected) == 6
    assert list(reg.vehicles(bbox=box)["vehicle_id"]) == expected
    assert list(reg.vehicles(bbox=box, type="fire_engine")["vehicle_id"]) == []
    assert reg.vehicles(bbox=(101.71, 6.31, 101.74, 6.34)).empty
    with pytest.raises(VehicleDataError, match="min <= max"):
        reg.vehicles(bbox=(101.9, 6.3, 101.7, 6.5))
    with pytest.raises(VehicleDataError, match="not four numbers"):
        reg.vehicles(bbox=(101.9, 6.3))


def test_a_district_takes_the_vehicles_of_its_tambons_even_across_its_border(reg: Registry) -> None:
    # the tambon of D1 reaches 500 m into D2's polygon: a base there is in D1 (the one area rule), on both backends
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name_en": ["West", "East"]},
                                 geometry=[shapely.box(X0 - 5000, Y0 - 5000, X0, Y0 + 5000),
                                           shapely.box(X0, Y0 - 5000, X0 + 5000, Y0 + 5000)], crs=UTM47)
    tambons = gpd.GeoDataFrame({"tambon_id": ["T1", "T2"], "district_id": ["D1", "D2"]},
                               geometry=[shapely.box(X0 - 5000, Y0 - 5000, X0 + 500, Y0 + 5000),
                                         shapely.box(X0 + 500, Y0 - 5000, X0 + 5000, Y0 + 5000)], crs=UTM47)
    study = StudyArea.from_layers({"roads": grid_roads(), "districts": districts, "tambons": tambons}, crs=UTM47)
    pts = gpd.GeoSeries([shapely.Point(X0 - 1000, Y0), shapely.Point(X0 + 250, Y0), shapely.Point(X0 + 2000, Y0)],
                        crs=UTM47).to_crs(4326)
    for vid, p in zip(["W", "BORDER", "E"], pts, strict=True):
        reg.add(vid, type="ambulance", lon=p.x, lat=p.y)
    assert list(reg.vehicles(district="West", study=study)["vehicle_id"]) == ["BORDER", "W"]
    assert list(reg.vehicles(district="D2", study=study)["vehicle_id"]) == ["E"]


def _old_registry(db: str, version: int) -> None:
    """A registry as safegeo left it at schema *version*, holding one vehicle."""
    from safegeo.vehicles.records import db_url
    from safegeo.vehicles.registry import MIGRATIONS

    engine = sa.create_engine(db_url(db))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                             "applied_at TEXT NOT NULL)"))
        for m in MIGRATIONS[:version]:
            m.apply(conn)
            conn.execute(sa.text("INSERT INTO schema_version VALUES (:v, :d, 'then')"), {"v": m.version,
                                                                                       "d": m.description})
        conn.execute(sa.text("INSERT INTO vehicles VALUES ('OLD-1', 'ambulance', NULL, 101.8, 6.4, 'available', "
                             "NULL, '', NULL, NULL, 'then', NULL)"))
    engine.dispose()


def test_an_older_registry_is_upgraded_on_sqlite_and_only_when_asked_on_postgres(registry_db: str,
                                                                               request) -> None:
    backend = request.node.callspec.params["registry_db"]
    _old_registry(registry_db, 2)
    with Registry(registry_db) as reg:
        if backend == "sqlite":  # one user: upgraded on opening
            assert reg.schema_version == SCHEMA_VERSION and reg.applied_migrations
            return
        # a shared database: read as it is, changes wait for `safegeo vehicles migrate`
        assert reg.schema_version == 2 and not reg.read_only and not reg.applied_migrations
        assert [m.version for m in reg.pending_migrations] == [3]
        assert list(reg.vehicles()["vehicle_id"]) == ["OLD-1"]
        assert list(reg.vehicles(bbox=(101.7, 6.3, 101.9, 6.5))["vehicle_id"]) == ["OLD-1"]  # lon/lat without geom
        with pytest.raises(RegistryError, match=r"schema v2 is older than this safegeo .*nothing was changed") as err:
            reg.update("OLD-1", status="dispatched")
        assert "safegeo vehicles migrate" in str(err.value)
        assert reg.get("OLD-1")["status"] == "available" and len(reg.history()) == 0
        assert [m.version for m in reg.migrate()] == [3]
        reg.update("OLD-1", status="dispatched")
        assert reg.schema_version == SCHEMA_VERSION and reg.migrate() == []
        with reg.engine.connect() as conn:  # the new geometry column was filled from the old rows
            assert conn.execute(sa.text("SELECT ST_X(geom), ST_Y(geom) FROM vehicles")).one() == (101.8, 6.4)


def test_a_shared_registry_too_old_to_read_asks_for_migrate(pg_url: str, monkeypatch) -> None:
    import safegeo.vehicles.registry as registry

    _old_registry(pg_url, 2)
    steps = tuple(dataclasses.replace(m, read_compatible=False) for m in registry.MIGRATIONS)
    monkeypatch.setattr(registry, "MIGRATIONS", steps)
    with pytest.raises(RegistryError, match=r"schema v2 is older than this safegeo reads") as err:
        Registry(pg_url)
    assert "`safegeo vehicles migrate`" in str(err.value)
    with Registry(pg_url, upgrade=True) as reg:  # what `safegeo vehicles migrate` does
        assert [m.version for m in reg.applied_migrations] == [3] and reg.schema_version == SCHEMA_VERSION


def test_two_migrations_at_once_apply_each_step_once(pg_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _old_registry(pg_url, 1)
    regs = [Registry(pg_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:
            applied = list(pool.map(lambda r: [m.version for m in r.migrate()], regs))
        assert sorted(applied) == [[], [], [2, 3]]
        with regs[0].engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).scalars().all()
        assert versions == [1, 2, 3]
    finally:
        for r in regs:
            r.close()


# -- PostgreSQL / PostGIS ------------------------------------------------------------------------------------------
def _schema_of(url: str) -> str:
    with Registry(url) as reg, reg.engine.connect() as conn:
        return conn.execute(sa.text("SELECT current_schema()")).scalar()


def test_postgis_geometry_follows_lon_lat_and_has_a_gist_index(pg_url: str) -> None:
    with Registry(pg_url) as reg:
        _add_two(reg)
        reg.update("KT-1", lon=101.8312345, by="somchai")
        reg.import_frame(pd.DataFrame([{"vehicle_id": "KT-2", "type": "", "lon": 101.9, "lat": 6.3333333}]),
                         update=True)
        with reg.engine.begin() as conn:
            rows = conn.execute(sa.text("SELECT vehicle_id, lon, lat, ST_X(geom), ST_Y(geom), ST_SRID(geom), "
                                        "GeometryType(geom) FROM vehicles ORDER BY vehicle_id")).all()
            assert [tuple(r) for r in rows] == [("KT-1", 101.8312345, 6.42, 101.8312345, 6.42, 4326, "POINT"),
                                                ("KT-2", 101.9, 6.3333333, 101.9, 6.3333333, 4326, "POINT")]
            # the database keeps geom in step with lon/lat whoever writes them, and refuses a geom of its own
            conn.execute(sa.text("UPDATE vehicles SET lon = 101.5 WHERE vehicle_id = 'KT-2'"))
            assert conn.execute(sa.text("SELECT ST_X(geom) FROM vehicles WHERE vehicle_id = 'KT-2'")).scalar() == 101.5
            assert conn.execute(sa.text("SELECT type, srid FROM geometry_columns WHERE f_table_name = 'vehicles' "
                                        "AND f_geometry_column = 'geom'")).one() == ("POINT", 4326)
            index = conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_vehicles_geom'")).scalar()
            assert "USING gist (geom)" in index
        with reg.engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="generated column"):
            conn.execute(sa.text("UPDATE vehicles SET geom = ST_SetSRID(ST_MakePoint(0, 0), 4326)"))


def test_the_bbox_filter_uses_the_spatial_index_on_postgis(pg_url: str) -> None:
    with Registry(pg_url) as reg:
        _add_two(reg)
        seen: list[tuple[str, dict]] = []
        sa.event.listen(reg.engine, "before_cursor_execute",
                        lambda conn, cur, stmt, params, ctx, many: seen.append((stmt, params)))
        assert list(reg.vehicles(bbox=(101.8, 6.4, 101.85, 6.45))["vehicle_id"]) == ["KT-1"]
        stmt, params = next((s, p) for s, p in seen if "ST_Intersects" in s)
        with reg.engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # two rows: make the planner show what it can use
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + stmt, params).scalars())
    assert "ix_vehicles_geom" in plan


_UPDATE_ONE = """
import sys
from safegeo.vehicles.registry import Registry
url, vid, timeout_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
with Registry(url, busy_timeout_s=timeout_s) as reg:
    sys.stdin.readline()  # started early (the import is slow); updates when told
    reg.update(vid, notes=f"office {vid}", by=f"office {vid}")
"""


def _waiting_for_a_lock(conn: sa.Connection, app: str) -> bool:
    """True while a connection named *app* waits for a lock (read in a new transaction: a fresh snapshot)."""
    waiting = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a "
                                   "AND wait_event_type = 'Lock'"), {"a": app}).scalar() > 0
    conn.rollback()
    return waiting


def test_offices_updating_different_vehicles_never_wait_for_each_other(pg_url: str) -> None:
    with Registry(pg_url) as reg:
        reg.add("A", type="ambulance", lon=101.8, lat=6.4)
        reg.add("B", type="ambulance", lon=101.9, lat=6.3)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder_engine = sa.create_engine(pg_url)
    watch_engine = sa.create_engine(pg_url)
    holder = holder_engine.connect()
    waiter = other = None
    try:
        holder.begin()  # office 1 is in the middle of changing vehicle A: its row is locked until it commits
        holder.execute(sa.text("SELECT * FROM vehicles WHERE vehicle_id = 'A' FOR UPDATE"))
        holder.execute(sa.text("UPDATE vehicles SET notes = 'office 1' WHERE vehicle_id = 'A'"))
        # office 2 updates A too: it waits for the row (30 s lock timeout); office 3 will update B
        waiter = subprocess.Popen([sys.executable, "-c", _UPDATE_ONE, pg_url + "&application_name=office_A", "A",
                                   "30"], env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        other = subprocess.Popen([sys.executable, "-c", _UPDATE_ONE, pg_url, "B", "1"], env=env,
                                 stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        waiter.stdin.write(b"go\n")
        waiter.stdin.flush()
        with watch_engine.connect() as watch:
            deadline = time.monotonic() + 60
            while not _waiting_for_a_lock(watch, "office_A"):
                assert waiter.poll() is None, waiter.stderr.read().decode()
                assert time.monotonic() < deadline, "the update of A never reached the row lock"
                time.sleep(0.05)
            # office 3 updates B meanwhile, with a 1 s lock timeout: had it to wait for A's lock, it would fail
            _, err = other.communicate(b"go\n", timeout=120)
            assert other.returncode == 0, err.decode()
            assert waiter.poll() is None and _waiting_for_a_lock(watch, "office_A")  # A still waits
        with Registry(pg_url, busy_timeout_s=0.2) as reg:
            assert reg.get("B")["notes"] == "office B"
            assert reg.get("A")["notes"] is None  # readers see the last committed state, without waiting
            with pytest.raises(RegistryError, match="stayed locked by another process"):
                reg.update("A", status="dispatched")  # a writer gives up after its lock timeout, saying why
        holder.commit()
        _, err = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, err.decode()
    finally:
        for proc in (waiter, other):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
        holder.close()
        holder_engine.dispose()
        watch_engine.dispose()
    with Registry(pg_url) as reg:  # office 2's update came after office 1's commit and saw its value
        h = reg.history("A")
        assert h[h["field"] == "notes"][["old_value", "new_value"]].values.tolist() == [["office 1", "office A"]]
        assert reg.get("A")["notes"] == "office A"


def test_two_offices_adding_the_same_vehicle_at_once_get_a_clear_error(pg_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with Registry(pg_url) as reg:
        reg.add("A", type="ambulance", lon=101.8, lat=6.4)
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as first, engine.connect() as watch, ThreadPoolExecutor(1) as pool:
            first.begin()  # the first office has inserted NEW but not committed yet
            first.execute(sa.text("INSERT INTO vehicles VALUES ('NEW', 'ambulance', NULL, 101.8, 6.4, 'available', "
                                  "NULL, '', NULL, NULL, 'now', NULL)"))
            second = Registry(pg_url + "&application_name=second_office")
            pending = pool.submit(second.add, "NEW", type="fire_engine", lon=101.9, lat=6.3)
            deadline = time.monotonic() + 60
            while not _waiting_for_a_lock(watch, "second_office"):
                assert not pending.done(), pending.exception()
                assert time.monotonic() < deadline
                time.sleep(0.05)
            first.commit()
            with pytest.raises(RegistryError, match="another writer made the same change at the same moment"):
                pending.result(timeout=60)
            second.close()
    finally:
        engine.dispose()
    with Registry(pg_url) as reg:
        assert reg.get("NEW")["type"] == "ambulance" and list(reg.history()["vehicle_id"]) == ["A"]


@contextlib.contextmanager
def _role(postgis, name: str, *grants: str):
    """A login role for the test (dropped afterwards), given *grants* (SQL) in the test database."""
    with postgis.admin("safegeo_test") as conn:
        conn.execute(f"DROP ROLE IF EXISTS {name}")
        conn.execute(f"CREATE ROLE {name} LOGIN")
        for g in grants:
            conn.execute(g)
    try:
        yield name
    finally:
        with postgis.admin("safegeo_test") as conn:
            conn.execute(f"DROP OWNED BY {name}")
            conn.execute(f"DROP ROLE {name}")


def test_a_read_only_role_reads_everything_and_changes_nothing(postgis, pg_url: str, tmp_path: Path) -> None:
    schema = _schema_of(pg_url)
    with Registry(pg_url) as reg:
        _add_two(reg)
        reg.update("KT-1", status="dispatched", notes="key with Malee 0937778888", by="somchai")
        full, history = reg.vehicles(), reg.history()
    # the README's public-export role
    with _role(postgis, "fleet_public", f"GRANT USAGE ON SCHEMA {schema} TO fleet_public",
               f"GRANT SELECT ON {schema}.vehicles, {schema}.vehicle_history, {schema}.schema_version "
               "TO fleet_public") as role:
        url = postgis.url_of("safegeo_test", user=role, schema=schema)
        with Registry(url, create=True) as ro:  # never tries to create or migrate what it may not
            assert ro.read_only and "the database role 'fleet_public' may only read it" in ro.read_only_reason
            pd.testing.assert_frame_equal(pd.DataFrame(ro.vehicles()), pd.DataFrame(full))
            pd.testing.assert_frame_equal(ro.history(), history)
            assert "0937778888" not in ro.history(public=True).to_csv()
            back = pd.read_csv(ro.export(tmp_path / "fleet.csv", public=True))
            assert list(back["vehicle_id"]) == ["KT-1", "KT-2"] and "contact" not in back.columns
            for change in (lambda: ro.update("KT-1", status="available"), lambda: ro.remove("KT-2"),
                           lambda: ro.add("KT-3", type="ambulance", lon=101.8, lat=6.4), ro.migrate):
                with pytest.raises(RegistryError, match="read-only .*may only read it") as err:
                    change()
                assert "connect as a role that may change the registry" in str(err.value)
        # and on a schema without a registry it says so, creating nothing
        with postgis.admin("safegeo_test") as conn:
            conn.execute(f"CREATE SCHEMA {schema}_empty")
            conn.execute(f"GRANT USAGE ON SCHEMA {schema}_empty TO {role}")
        try:
            with pytest.raises(RegistryError, match=r"no vehicle registry yet and it is read-only \(the database "
                                                    r"role 'fleet_public' may not create tables"):
                Registry(postgis.url_of("safegeo_test", user=role, schema=f"{schema}_empty"))
        finally:
            with postgis.admin("safegeo_test") as conn:
                conn.execute(f"DROP SCHEMA {schema}_empty CASCADE")
    with Registry(pg_url) as reg:
        pd.testing.assert_frame_equal(reg.history(), history)


def test_read_only_on_request_is_enforced_by_the_server(postgis, pg_url: str) -> None:
    with Registry(pg_url) as reg:
        _add_two(reg)
    with Registry(pg_url, read_only=True) as ro:
        assert ro.read_only_reason == "it was opened read-only"
        with pytest.raises(RegistryError, match="read-only"):
            ro.update("KT-1", status="dispatched")
        with ro.engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="read-only transaction"):
            conn.execute(sa.text("UPDATE vehicles SET status = 'dispatched'"))
        assert ro.get("KT-1")["status"] == "available"
    with postgis.admin("safegeo_test") as conn:
        conn.execute("CREATE SCHEMA ro_empty")
    try:
        with pytest.raises(RegistryError, match="no vehicle registry yet and it is read-only"):
            Registry(postgis.url_of("safegeo_test", schema="ro_empty"), read_only=True)
    finally:
        with postgis.admin("safegeo_test") as conn:
            conn.execute("DROP SCHEMA ro_empty CASCADE")


def test_a_database_without_postgis_gets_a_clear_error_and_no_tables(postgis) -> None:
    with _role(postgis, "fleet_owner"):
        with postgis.admin() as conn:  # a database owned by a role that may not install extensions
            conn.execute("DROP DATABASE IF EXISTS bare WITH (FORCE)")
            conn.execute("CREATE DATABASE bare OWNER fleet_owner TEMPLATE template0")
        try:
            url = postgis.url_of("bare", user="fleet_owner")
            with pytest.raises(RegistryError, match=r"database bare has no PostGIS extension .*nothing was changed") \
                    as err:
                Registry(url)
            assert "CREATE EXTENSION postgis" in str(err.value)
            engine = sa.create_engine(url)
            assert sa.inspect(engine).get_table_names() == []  # the steps before it were rolled back too
            engine.dispose()
        finally:
            postgis.drop_database("bare")


def test_backup_of_a_server_registry_points_to_pg_dump(pg_url: str, tmp_path: Path) -> None:
    with Registry(pg_url) as reg, pytest.raises(RegistryError, match="copies SQLite registries only") as err:
        reg.backup(tmp_path / "copy.db")
    assert "pg_dump --format=custom" in str(err.value) and not (tmp_path / "copy.db").exists()


def test_server_urls_keep_passwords_out_of_messages(postgis) -> None:
    from safegeo.vehicles.records import db_url

    assert db_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db" == db_url("postgres://u@h/db")
    assert db_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    url = postgis.url_of("no_such_db").replace("postgres@", "postgres:s3cret@")
    with pytest.raises(RegistryError, match='cannot connect to the database .*database "no_such_db" does not exist') \
            as err:
        Registry(url)
    assert "s3cret" not in str(err.value) and "postgres:***@" in str(err.value)
    assert "PGPASSWORD" in str(err.value)


def test_a_server_url_without_the_postgres_extra_names_it(monkeypatch) -> None:
    from safegeo import MissingExtraError

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(MissingExtraError, match="needs psycopg, which is not installed") as err:
        Registry("postgresql://fleet@db.example/fleet")
    assert isinstance(err.value, ImportError) and "pip install 'safegeo[postgres]'" in str(err.value)


def _office_grants(schema: str, role: str) -> list[str]:
    """The README's grants for the offices' role (in *schema* instead of public)."""
    return [f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.vehicles TO {role}",
            f"GRANT SELECT, INSERT ON {schema}.vehicle_history TO {role}",
            f"GRANT SELECT ON {schema}.schema_version TO {role}",
            f"GRANT USAGE ON SEQUENCE {schema}.vehicle_history_id_seq TO {role}"]


def test_an_office_role_with_the_readme_grants_changes_vehicles_but_not_the_schema(postgis, pg_url: str,
                                                                                   tmp_path: Path) -> None:
    _old_registry(pg_url, 2)
    schema = _schema_of(pg_url)
    with _role(postgis, "fleet_office", *_office_grants(schema, "fleet_office")) as role:
        url = postgis.url_of("safegeo_test", user=role, schema=schema)
        with Registry(url) as office:
            assert not office.read_only
            with pytest.raises(RegistryError, match="safegeo vehicles migrate"):
                office.update("OLD-1", status="dispatched")
            with pytest.raises(RegistryError, match="the database role may not do this .*must be owner") as err:
                office.migrate()  # altering the tables is the owner's job
            assert "needs the owner of the registry tables" in str(err.value)
        with Registry(pg_url) as owner:
            assert [m.version for m in owner.migrate()] == [3]
        with Registry(url) as office:
            office.update("OLD-1", status="dispatched", by="Tak Bai office")
            office.add("KT-9", type="ambulance", lon=101.8, lat=6.4)
            office.import_file(_csv(tmp_path, [GOOD]))
            office.remove("KT-9")
            assert list(office.vehicles()["vehicle_id"]) == ["N-1", "OLD-1"]
            assert list(office.history()["action"]) == ["update", "add", "add", "remove"]


def test_a_role_whose_transactions_are_read_only_opens_read_only(postgis, pg_url: str) -> None:
    with Registry(pg_url) as reg:
        _add_two(reg)
    schema = _schema_of(pg_url)
    grants = [*_office_grants(schema, "fleet_viewer"), "ALTER ROLE fleet_viewer SET default_transaction_read_only = on"]
    with _role(postgis, "fleet_viewer", *grants) as role, \
            Registry(postgis.url_of("safegeo_test", user=role, schema=schema)) as ro:
        assert ro.read_only and "opens read-only transactions" in ro.read_only_reason
        assert list(ro.vehicles()["vehicle_id"]) == ["KT-1", "KT-2"]
        with pytest.raises(RegistryError, match="read-only"):
            ro.update("KT-1", status="dispatched")
