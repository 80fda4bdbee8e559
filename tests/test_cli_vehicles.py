"""``safegeo vehicles ...``, ``safegeo dispatch`` and ``safegeo response`` through click's CliRunner."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import UTM47, X0, Y0

from safegeo.cli import cli
from safegeo.vehicles.registry import Registry


def _lonlat(x: float, y: float) -> str:
    p = gpd.GeoSeries([shapely.Point(x, y)], crs=UTM47).to_crs(4326).iloc[0]
    return f"{p.x:.7f},{p.y:.7f}"


def run(*args: str, env: dict | None = None, ok: bool = True):
    result = CliRunner().invoke(cli, list(args), env=env)
    if ok:
        assert result.exit_code == 0, result.output + (str(result.exception) if result.exception else "")
    return result


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "fleet.db")


def test_add_update_list_show_history_remove(registry_db: str) -> None:
    db = registry_db
    run("vehicles", "--db", db, "add", "KT-1234", "--type", "ambulance", "--at", "101.82,6.42",
        "--agency", "Narathiwat Hospital", "--capability", "4x4", "--capability", "high_clearance",
        "--contact", "081-222-3333")
    run("vehicles", "--db", db, "add", "KT-2", "--type", "fire_engine", "--at", "101.83,6.43")
    out = run("vehicles", "--db", db, "--by", "somchai", "update", "KT-1234", "--status", "maintenance").output
    assert "updated KT-1234: status" in out
    listed = json.loads(run("vehicles", "--db", db, "list", "--format", "json").stdout)
    assert [r["vehicle_id"] for r in listed] == ["KT-1234", "KT-2"]
    assert listed[0]["capabilities"] == "4x4,high_clearance" and listed[0]["lon"] == 101.82
    csv = run("vehicles", "--db", db, "list", "--type", "ambulance", "--format", "csv", "--public").output
    assert csv.splitlines()[0].startswith("vehicle_id,type") and "contact" not in csv and "081-222" not in csv
    assert len(csv.strip().splitlines()) == 2
    table = run("vehicles", "--db", db, "list", "--status", "available").output
    assert "KT-2" in table and "KT-1234" not in table
    shown = json.loads(run("vehicles", "--db", db, "show", "KT-1234", "--json").stdout)
    assert shown["status"] == "maintenance" and shown["updated_by"] == "somchai"
    hist = json.loads(run("vehicles", "--db", db, "history", "KT-1234", "--format", "json").stdout)
    assert [h["action"] for h in hist] == ["add", "update"]
    assert hist[1]["old_value"] == "available" and hist[1]["changed_by"] == "somchai"
    run("vehicles", "--db", db, "remove", "KT-2")
    assert "KT-2" not in run("vehicles", "--db", db, "list").output


def test_the_issue_examples_verbatim(registry_db: str) -> None:
    db = registry_db
    run("vehicles", "--db", db, "add", "KT-1234", "--type", "ambulance", "--at", "101.82,6.42", "--agency",
        "Narathiwat Hospital")
    run("vehicles", "--db", db, "update", "KT-1234", "--status", "maintenance", "--by", "somchai")
    table = run("vehicles", "--db", db, "list", "--type", "ambulance", "--format", "table").output
    assert "KT-1234" in table and "maintenance" in table and "Narathiwat Hospital" in table
    csv = run("vehicles", "--db", db, "list", "--type", "ambulance", "--format", "csv").output
    assert "KT-1234,ambulance,Narathiwat Hospital,maintenance" in csv
    (rec,) = json.loads(run("vehicles", "--db", db, "list", "--type", "ambulance", "--format", "json").stdout)
    assert (rec["lon"], rec["lat"], rec["updated_by"]) == (101.82, 6.42, "somchai")
    # --by after the command is the same as before it; the history says who changed what
    hist = json.loads(run("vehicles", "--db", db, "history", "KT-1234", "--format", "json").stdout)
    assert [(h["field"], h["old_value"], h["new_value"], h["changed_by"]) for h in hist[1:]] == [
        ("status", "available", "maintenance", "somchai")]
    run("vehicles", "--db", db, "--by", "admin", "update", "KT-1234", "--status", "available")
    assert json.loads(run("vehicles", "--db", db, "history", "--format", "json").stdout)[-1]["changed_by"] == "admin"


def test_list_by_district(registry_db: str, tiny_study: Path) -> None:
    db = registry_db
    run("vehicles", "--db", db, "add", "W1", "--type", "ambulance", "--at", _lonlat(X0 + 50, Y0 + 50))
    run("vehicles", "--db", db, "add", "E1", "--type", "fire_engine", "--at", _lonlat(X0 + 250, Y0 + 50))
    for key in ("West", "d1", "ตะวันตก"):  # name, code (any case) or Thai name
        rows = json.loads(run("vehicles", "--db", db, "list", "--district", key, "--study", str(tiny_study),
                              "--format", "json").stdout)
        assert [(r["vehicle_id"], r["district"]) for r in rows] == [("W1", "West")], key
    east = run("vehicles", "--db", db, "list", "--district", "East", "--study", str(tiny_study), "--type",
               "ambulance", "--format", "csv").output
    assert east.strip().count("\n") == 0  # header only: the east vehicle is no ambulance
    unknown = run("vehicles", "--db", db, "list", "--district", "North", "--study", str(tiny_study), ok=False)
    assert unknown.exit_code == 1 and "no district 'North'" in unknown.output
    nostudy = run("vehicles", "--db", db, "list", "--district", "West", ok=False)
    assert nostudy.exit_code == 2 and "--study" in nostudy.output


def test_public_history_has_no_contacts(registry_db: str) -> None:
    db = registry_db
    run("vehicles", "--db", db, "add", "KT-1", "--type", "ambulance", "--at", "101.82,6.42", "--contact", "081-1")
    run("vehicles", "--db", db, "update", "KT-1", "--contact", "081-2")
    full = run("vehicles", "--db", db, "history", "--format", "json").stdout
    assert "081-1" in full and "081-2" in full
    for fmt in ("json", "csv", "table"):
        public = run("vehicles", "--db", db, "history", "--format", fmt, "--public").stdout
        assert "081-1" not in public and "081-2" not in public and "contact" in public, fmt


def test_user_mistakes_exit_cleanly(db: str, tmp_path: Path) -> None:
    missing = run("vehicles", "--db", db, "list", ok=False, env={"SAFEGEO_DB": None})
    assert missing.exit_code == 1 and "no vehicle registry there" in missing.output
    assert not Path(db).exists()
    bad_at = run("vehicles", "--db", db, "add", "X", "--type", "ambulance", "--at", "6.4,101.8", ok=False)
    assert bad_at.exit_code == 2 and "longitude first" in bad_at.output
    bad_type = run("vehicles", "--db", db, "add", "X", "--type", "tank", "--at", "101.8,6.4", ok=False)
    assert bad_type.exit_code == 2
    run("vehicles", "--db", db, "add", "X", "--type", "ambulance", "--at", "101.8,6.4")
    nothing = run("vehicles", "--db", db, "update", "X", ok=False)
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    unknown = run("vehicles", "--db", db, "show", "Y", ok=False)
    assert unknown.exit_code == 1 and "no vehicle 'Y'" in unknown.output and "Traceback" not in unknown.output
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 500)
    damaged = run("vehicles", "--db", str(junk), "list", ok=False)
    assert damaged.exit_code == 1 and "not an SQLite database" in damaged.output
    assert damaged.exception is None or isinstance(damaged.exception, SystemExit)


def test_db_from_the_environment(registry_db: str) -> None:
    db = registry_db
    run("vehicles", "add", "E1", "--type", "other", "--at", "101.8,6.4", env={"SAFEGEO_DB": db})
    assert "E1" in run("vehicles", "--db", db, "list").output


def test_import_lists_every_bad_row_and_imports_nothing(registry_db: str, tmp_path: Path, tiny_study: Path) -> None:
    db = registry_db
    inside = _lonlat(X0 + 100, Y0 + 100).split(",")
    rows = pd.DataFrame([
        {"vehicle_id": "A", "type": "ambulance", "lon": inside[0], "lat": inside[1]},
        {"vehicle_id": "B", "type": "tank", "lon": inside[0], "lat": inside[1]},
        {"vehicle_id": "C", "type": "ambulance", "lon": "100.5", "lat": "13.7"},
        {"vehicle_id": "A", "type": "ambulance", "lon": inside[0], "lat": inside[1]},
    ])
    rows.to_csv(tmp_path / "fleet.csv", index=False)
    res = run("vehicles", "--db", db, "import", str(tmp_path / "fleet.csv"), "--study", str(tiny_study), ok=False)
    assert res.exit_code == 1
    assert "row 2: unknown type 'tank'" in res.output
    assert "row 3: base lies outside the study area" in res.output
    assert "row 4: vehicle_id 'A' repeats row 1" in res.output
    assert "nothing was imported" in res.output
    assert json.loads(run("vehicles", "--db", db, "list", "--format", "json").stdout) == []
    rows.iloc[[0]].to_csv(tmp_path / "good.csv", index=False)
    assert "added 1" in run("vehicles", "--db", db, "import", str(tmp_path / "good.csv")).output
    again = run("vehicles", "--db", db, "import", str(tmp_path / "good.csv"), ok=False)
    assert "already in the registry" in again.output
    assert "unchanged 1" in run("vehicles", "--db", db, "import", str(tmp_path / "good.csv"), "--update").output


def test_export_and_backup(db: str, tmp_path: Path) -> None:
    run("vehicles", "--db", db, "add", "KT-1", "--type", "ambulance", "--at", "101.82,6.42", "--contact", "0812")
    out = tmp_path / "fleet.gpkg"
    run("vehicles", "--db", db, "export", str(out), "--public")
    gdf = gpd.read_file(out)
    assert list(gdf["vehicle_id"]) == ["KT-1"] and "contact" not in gdf.columns and gdf.crs.to_epsg() == 4326
    assert (gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]) == pytest.approx((101.82, 6.42))
    import pyogrio

    assert pyogrio.read_info(out)["geometry_type"] == "Point"
    refused = run("vehicles", "--db", db, "export", str(out), ok=False)
    assert refused.exit_code == 2 and "--overwrite" in refused.output
    run("vehicles", "--db", db, "backup", str(tmp_path / "copy.db"))
    assert "KT-1" in run("vehicles", "--db", str(tmp_path / "copy.db"), "list").output


def _fleet_db(db: str) -> None:
    run("vehicles", "--db", db, "add", "NEAR", "--type", "ambulance", "--at", _lonlat(X0 + 100, Y0))
    run("vehicles", "--db", db, "add", "FAR", "--type", "ambulance", "--at", _lonlat(X0 + 300, Y0 + 300),
        "--capability", "high_clearance", "--contact", "081-999-0000")
    run("vehicles", "--db", db, "add", "BROKEN", "--type", "ambulance", "--at", _lonlat(X0, Y0),
        "--status", "maintenance")


def test_dispatch_json_table_and_map(db: str, tiny_study: Path, tmp_path: Path) -> None:
    _fleet_db(db)
    at = _lonlat(X0, Y0)
    recs = json.loads(run("dispatch", str(tiny_study), "--db", db, "--at", at, "--json").stdout)
    assert [r["vehicle_id"] for r in recs] == ["NEAR", "FAR"]  # BROKEN sits at the incident but is in maintenance
    assert recs[0]["eta_s"] < recs[1]["eta_s"] and recs[0]["distance_m"] == pytest.approx(100, abs=0.5)
    assert {"vehicle_id", "type", "eta_s", "distance_m"} <= set(recs[0])
    need = json.loads(run("dispatch", str(tiny_study), "--db", db, "--at", at, "--need", "high_clearance",
                          "--json").stdout)
    assert [r["vehicle_id"] for r in need] == ["FAR"]
    run("vehicles", "--db", db, "update", "NEAR", "--agency", "Rescue 1669, LINE: @near_rescue")
    assert "near_rescue" in run("dispatch", str(tiny_study), "--db", db, "--at", at, "--n", "1").output
    res = run("dispatch", str(tiny_study), "--db", db, "--at", at, "--n", "1", "--out", str(tmp_path / "d.html"),
              "--public")
    assert "NEAR" in res.output and "FAR" not in res.output.split("map:")[0] and "near_rescue" not in res.output
    html = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "081-999-0000" not in html
    run("dispatch", str(tiny_study), "--db", db, "--at", at, "--out", str(tmp_path / "maps"))
    assert (tmp_path / "maps" / "dispatch.html").is_file()  # a folder gets dispatch.html
    (tmp_path / "folder.html").mkdir()
    for bad in ("d.txt", "folder.html"):
        wrong = run("dispatch", str(tiny_study), "--db", db, "--at", at, "--out", str(tmp_path / bad), ok=False)
        assert wrong.exit_code == 2 and "--out" in wrong.output, bad
    assert not (tmp_path / "d.txt").exists()
    far = run("dispatch", str(tiny_study), "--db", db, "--at", "100.5,13.7", ok=False)
    assert far.exit_code == 1 and "from the nearest road" in far.output
    nodb = run("dispatch", str(tiny_study), "--at", at, ok=False, env={"SAFEGEO_DB": None})
    assert nodb.exit_code == 2 and "--db" in nodb.output


def test_response_writes_outputs_and_lists_unserved(db: str, tiny_study: Path, tmp_path: Path) -> None:
    _fleet_db(db)
    out = tmp_path / "resp"
    res = run("response", str(tiny_study), "--db", db, "--out", str(out), "--public")
    for name in ("response.gpkg", "response_summary.csv", "response.html"):
        assert (out / name).exists()
    assert "ambulance" in res.output and "0 of 2 villages not reached in time" in res.output
    assert "081-999-0000" not in (out / "response.html").read_text(encoding="utf-8")
    summary = pd.read_csv(out / "response_summary.csv")
    assert set(summary["vehicle_type"]) == {"ambulance"}


# -- read-only copies, foreign files, spreadsheets -------------------------------------------------------------
def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_read_only_registry_is_listed_and_dispatched_from(tmp_path: Path, tiny_study: Path) -> None:
    db = tmp_path / "ro" / "fleet.db"
    db.parent.mkdir()
    _fleet_db(str(db))
    before = _digest(db.parent)
    out = tmp_path / "out"
    db.chmod(0o444)
    db.parent.chmod(0o555)
    try:
        ro = str(db)
        assert "NEAR" in run("vehicles", "--db", ro, "list").output
        assert len(json.loads(run("vehicles", "--db", ro, "list", "--format", "json").stdout)) == 3
        assert json.loads(run("vehicles", "--db", ro, "show", "FAR", "--json").stdout)["contact"] == "081-999-0000"
        assert "add" in run("vehicles", "--db", ro, "history", "--format", "csv").output
        run("vehicles", "--db", ro, "export", str(out / "fleet.csv"), "--public")
        run("vehicles", "--db", ro, "backup", str(out / "copy.db"))
        recs = json.loads(run("dispatch", str(tiny_study), "--db", ro, "--at", _lonlat(X0, Y0), "--json").stdout)
        assert [r["vehicle_id"] for r in recs] == ["NEAR", "FAR"]
        run("response", str(tiny_study), "--out", str(out / "resp"), env={"SAFEGEO_DB": ro})
        for args in (["update", "NEAR", "--status", "dispatched"], ["remove", "NEAR"],
                     ["add", "NEW", "--type", "ambulance", "--at", "101.8,6.4"]):
            refused = run("vehicles", "--db", ro, *args, ok=False)
            assert refused.exit_code == 1 and "read-only" in refused.output and "Traceback" not in refused.output
        assert _digest(db.parent) == before
    finally:
        db.parent.chmod(0o755)
        db.chmod(0o644)
    assert (out / "resp" / "response.gpkg").is_file() and "NEAR" in (out / "fleet.csv").read_text("utf-8-sig")


def test_db_pointing_at_a_geopackage_changes_nothing(tmp_path: Path, tiny_study: Path) -> None:
    import pyogrio

    gpkg = tmp_path / "vehicles.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"vehicle_id": ["KT-1"], "type": ["ambulance"]},
                                             geometry=[shapely.Point(101.8, 6.4)], crs="EPSG:4326"),
                            gpkg, layer="vehicles", driver="GPKG")
    before = _digest(tmp_path)
    for args in (["vehicles", "--db", str(gpkg), "list"],
                 ["vehicles", "--db", str(gpkg), "add", "X", "--type", "ambulance", "--at", "101.8,6.4"],
                 ["vehicles", "--db", str(gpkg), "import", str(gpkg)],
                 ["dispatch", str(tiny_study), "--db", str(gpkg), "--at", _lonlat(X0, Y0)]):
        res = run(*args, ok=False)
        assert res.exit_code == 1 and "is a GeoPackage, not a vehicle registry" in res.output, args
    res = run("vehicles", "list", ok=False, env={"SAFEGEO_DB": str(gpkg)})
    assert res.exit_code == 1 and "GeoPackage" in res.output
    assert _digest(tmp_path) == before


def test_csv_output_is_safe_in_a_spreadsheet(registry_db: str, tmp_path: Path) -> None:
    db = registry_db
    evil = "=HYPERLINK(\"http://evil.example\",\"click\")"
    run("vehicles", "--db", db, "add", "KT-1", "--type", "ambulance", "--at", "101.82,6.42", "--agency", evil,
        "--notes", "@SUM(1+1)")
    listed = run("vehicles", "--db", db, "list", "--format", "csv").stdout
    assert not listed.startswith("\ufeff")
    row = pd.read_csv(io.StringIO(listed), dtype=str).iloc[0]
    assert row["agency"] == "'" + evil and row["notes"] == "'@SUM(1+1)"
    out = tmp_path / "fleet.csv"
    run("vehicles", "--db", db, "export", str(out))
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(out, dtype=str).iloc[0]
    assert back["agency"] == "'" + evil and back["lon"] == "101.82"
    run("vehicles", "--db", db, "update", "KT-1", "--agency", "-2+3")
    hist = pd.read_csv(io.StringIO(run("vehicles", "--db", db, "history", "--format", "csv").stdout), dtype=str)
    assert hist.iloc[-1][["field", "old_value", "new_value"]].tolist() == ["agency", "'" + evil, "'-2+3"]


def test_public_list_and_show_leave_out_notes_and_scrub_text(registry_db: str) -> None:
    db = registry_db
    run("vehicles", "--db", db, "--by", "somchai", "add", "KT-1", "--type", "ambulance", "--at", "101.82,6.42",
        "--agency", "Tak Bai, LINE: @takbai_rescue", "--notes", "driver Somchai 0812223334",
        "--contact", "สมชาย 089-111-2222")
    for args in (["list", "--format", "json"], ["list", "--format", "csv"], ["list"], ["show", "KT-1", "--json"],
                 ["show", "KT-1"], ["history", "--format", "json"]):
        full = run("vehicles", "--db", db, *args).stdout
        public = run("vehicles", "--db", db, *args, "--public").stdout
        assert "takbai_rescue" in full, args
        for secret in ("takbai_rescue", "0812223334", "089-111-2222", "สมชาย", "Somchai", "somchai"):
            assert secret not in public, (args, secret)
        assert "Tak Bai" in public and "KT-1" in public, args


# -- PostgreSQL / PostGIS ----------------------------------------------------------------------------------------
def test_dispatch_and_response_read_the_same_fleet_from_postgis(pg_url: str, tiny_study: Path, tmp_path: Path) -> None:
    lite = str(tmp_path / "fleet.db")
    for db in (lite, pg_url):
        _fleet_db(db)
    at = _lonlat(X0, Y0)
    proposals = [json.loads(run("dispatch", str(tiny_study), "--db", db, "--at", at, "--json", "--public").stdout)
                 for db in (lite, pg_url)]
    assert [r["vehicle_id"] for r in proposals[1]] == ["NEAR", "FAR"] and proposals[1] == proposals[0]
    summaries = []
    for name, db in (("lite", lite), ("pg", pg_url)):
        res = run("response", str(tiny_study), "--out", str(tmp_path / name), env={"SAFEGEO_DB": db})
        assert "0 of 2 villages not reached in time" in res.output
        summaries.append(pd.read_csv(tmp_path / name / "response_summary.csv"))
    pd.testing.assert_frame_equal(summaries[1], summaries[0])
    box = ",".join(f"{v:.7f}" for v in (*map(float, _lonlat(X0 - 10, Y0 - 10).split(",")),
                                         *map(float, _lonlat(X0 + 150, Y0 + 10).split(","))))
    for db in (lite, pg_url):
        rows = json.loads(run("vehicles", "--db", db, "list", "--bbox", box, "--format", "json").stdout)
        assert [r["vehicle_id"] for r in rows] == ["BROKEN", "NEAR"], db


def test_migrate_creates_upgrades_and_says_what_it_did(registry_db: str, request) -> None:
    from test_registry import _old_registry

    db = registry_db
    if request.node.callspec.params["registry_db"] == "postgres":
        created = run("vehicles", "--db", db, "migrate").output
        assert "created the registry, schema v3" in created
        assert [line.split(":")[0].strip() for line in created.splitlines()[1:]] == [
            "applied migration 1", "applied migration 2", "applied migration 3"]
        with Registry(db) as reg, reg.engine.begin() as conn:  # start again from an old schema
            conn.execute(sa.text("DROP TABLE vehicles, vehicle_history, schema_version"))
    else:
        missing = run("vehicles", "--db", db, "migrate", ok=False)  # a typo in a path creates nothing
        assert missing.exit_code == 1 and "no vehicle registry there" in missing.output and not Path(db).exists()
    _old_registry(db, 1)
    if request.node.callspec.params["registry_db"] == "postgres":  # shared: changes wait for the migration
        assert "OLD-1" in run("vehicles", "--db", db, "list").output
        refused = run("vehicles", "--db", db, "update", "OLD-1", "--status", "dispatched", ok=False)
        assert refused.exit_code == 1 and "schema v1 is older than this safegeo" in refused.output
        assert "safegeo vehicles migrate" in refused.output and "Traceback" not in refused.output
    out = run("vehicles", "--db", db, "migrate").output
    assert "upgraded schema v1 to v3" in out
    assert "applied migration 2: indexes" in out and "applied migration 3: PostGIS point geometry" in out
    run("vehicles", "--db", db, "update", "OLD-1", "--status", "dispatched")
    assert "schema v3 is up to date; nothing to do" in run("vehicles", "--db", db, "migrate").output


def test_a_read_only_role_lists_and_dispatches_but_changes_nothing(postgis, pg_url: str, tiny_study: Path) -> None:
    from test_registry import _role, _schema_of

    _fleet_db(pg_url)
    schema = _schema_of(pg_url)
    with _role(postgis, "fleet_public", f"GRANT USAGE ON SCHEMA {schema} TO fleet_public",
               f"GRANT SELECT ON {schema}.vehicles, {schema}.vehicle_history, {schema}.schema_version "
               "TO fleet_public") as role:
        env = {"SAFEGEO_DB": postgis.url_of("safegeo_test", user=role, schema=schema)}
        public = run("vehicles", "list", "--public", "--format", "csv", env=env).output
        assert "NEAR" in public and "081-999-0000" not in public
        recs = json.loads(run("dispatch", str(tiny_study), "--at", _lonlat(X0, Y0), "--json", env=env).stdout)
        assert [r["vehicle_id"] for r in recs] == ["NEAR", "FAR"]
        assert "up to date; nothing to do" in run("vehicles", "migrate", env=env).output  # reading it is allowed
        for args in (["update", "NEAR", "--status", "dispatched"], ["remove", "NEAR"],
                     ["add", "NEW", "--type", "ambulance", "--at", "101.8,6.4"]):
            refused = run("vehicles", *args, ok=False, env=env)
            assert refused.exit_code == 1 and "the database role 'fleet_public' may only read it" in refused.output
            assert "Traceback" not in refused.output, args
    assert json.loads(run("vehicles", "--db", pg_url, "show", "NEAR", "--json").stdout)["status"] == "available"


def test_backup_of_a_postgres_registry_points_to_pg_dump(pg_url: str, tmp_path: Path) -> None:
    _fleet_db(pg_url)
    res = run("vehicles", "--db", pg_url, "backup", str(tmp_path / "copy.db"), ok=False)
    assert res.exit_code == 1 and "pg_dump --format=custom" in res.output and not (tmp_path / "copy.db").exists()


def test_a_postgres_url_without_the_extra_says_what_to_install(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "geoalchemy2", None)
    res = run("vehicles", "--db", "postgresql://fleet@db.example/fleet", "list", ok=False)
    assert res.exit_code == 1 and "needs geoalchemy2" in res.output and "safegeo[postgres]" in res.output
    assert "Traceback" not in res.output
