"""Vehicle commands: ``safegeo vehicles ...`` (the registry), ``safegeo dispatch``, ``safegeo response``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from safegeo.cli._run import command_stages
from safegeo.cli.options import (
    check_new_file,
    lang_opt,
    out_dir_opt,
    overwrite_opt,
    public_opt,
    study_arg,
)
from safegeo.schema import VEHICLE_CAPABILITIES, VEHICLE_STATUSES, VEHICLE_TYPES

DB_ENV = "SAFEGEO_DB"


def _parse_at(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lon, lat = (float(v) for v in value.replace(" ", "").split(","))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not LON,LAT (e.g. 101.82,6.42)", ctx=ctx, param=param) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise click.BadParameter(f"'{value}' is out of range: longitude first, then latitude (e.g. 101.82,6.42)",
                                 ctx=ctx, param=param)
    return lon, lat


def _parse_bbox(ctx: click.Context, param: click.Parameter,
                value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        w, s, e, n = (float(v) for v in value.replace(" ", "").split(","))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not MIN_LON,MIN_LAT,MAX_LON,MAX_LAT (e.g. 101.7,6.3,101.9,6.5)",
                                 ctx=ctx, param=param) from None
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise click.BadParameter(f"'{value}' is not MIN_LON,MIN_LAT,MAX_LON,MAX_LAT in degrees with min <= max "
                                 "(longitudes first)", ctx=ctx, param=param)
    return w, s, e, n


def _parse_caps(ctx: click.Context, param: click.Parameter, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if not value:
        return None if param.name == "capabilities" else ()
    items = sorted({c.strip().lower() for v in value for c in v.split(",") if c.strip()})
    bad = [c for c in items if c not in VEHICLE_CAPABILITIES]
    if bad:
        raise click.BadParameter(f"unknown capability {', '.join(bad)}; choose from {', '.join(VEHICLE_CAPABILITIES)}",
                                 ctx=ctx, param=param)
    return tuple(items)


def _db_opt(default: str | None):
    return click.option(
        "--db", "db", envvar=DB_ENV, default=default, show_default=default is not None, metavar="PATH_OR_URL",
        help=f"Vehicle registry: an SQLite file, or a PostgreSQL URL such as postgresql://user@host/fleet (the "
             f"password in PGPASSWORD or ~/.pgpass) (env {DB_ENV}).",
    )


type_choice = click.Choice(VEHICLE_TYPES)
status_choice = click.Choice(VEHICLE_STATUSES)
fmt_opt = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                       show_default=True, help="Output format (stdout).")


by_opt = click.option("--by", "by", default=None, metavar="NAME",
                      help="Who makes the change (kept in the history); also accepted before the command.")


def _by(ctx: click.Context, by: str | None) -> str | None:
    return by if by is not None else ctx.obj["by"]


def _registry(ctx: click.Context, *, create: bool = False):
    from safegeo.vehicles.registry import Registry

    return Registry(ctx.obj["db"], create=create)


def _echo_frame(df: Any, fmt: str) -> None:
    import pandas as pd

    df = pd.DataFrame(df.drop(columns="geometry") if "geometry" in df.columns else df)
    if fmt == "json":
        click.echo(df.to_json(orient="records", force_ascii=False, indent=2))
    elif fmt == "csv":
        from safegeo.io import csv_text

        click.echo(csv_text(df), nl=False)
    elif df.empty:
        click.echo("(none)")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                               "display.max_colwidth", 40):
            click.echo(df.to_string(index=False, na_rep=""))


# ---------------------------------------------------------------------------------------------
# safegeo vehicles ...
# ---------------------------------------------------------------------------------------------
@click.group()
@_db_opt("safegeo_vehicles.db")
@click.option("--by", "by", envvar="SAFEGEO_USER", default=None, help="Who makes the change (kept in the history).")
@click.pass_context
def vehicles(ctx: click.Context, db: str, by: str | None) -> None:
    """The emergency-vehicle registry: an SQLite file, or one PostgreSQL/PostGIS database for a province.

    A registry whose file or folder is not writable, or whose database role
    may only read it, is opened read-only: list, show, history, export and
    backup work, changes are refused.  A --db that names a GeoPackage or
    another database is refused and left unchanged.  After upgrading safegeo,
    run `safegeo vehicles migrate` once on a shared PostgreSQL registry.

    Examples:

        safegeo vehicles --db fleet.db add KT-1234 --type ambulance --at 101.82,6.42 --agency "Narathiwat Hospital"

        safegeo vehicles --db fleet.db update KT-1234 --status maintenance

        safegeo vehicles --db fleet.db list --type ambulance --format csv
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    ctx.obj["by"] = by


@vehicles.command()
@click.argument("vehicle_id")
@click.option("--type", "vtype", type=type_choice, required=True, help="Vehicle type.")
@click.option("--at", "at", callback=_parse_at, required=True, metavar="LON,LAT", help="Base location (degrees).")
@click.option("--agency", help="Agency operating it.")
@click.option("--status", type=status_choice, default="available", show_default=True)
@click.option("--capacity", type=click.IntRange(min=0), help="People it can carry.")
@click.option("--capability", "capabilities", multiple=True, callback=_parse_caps,
              help=f"Capability ({', '.join(VEHICLE_CAPABILITIES)}); repeat or comma-separate.")
@click.option("--contact", help="Contact (sensitive: left out of public outputs).")
@click.option("--notes")
@by_opt
@click.pass_context
def add(ctx: click.Context, vehicle_id: str, vtype: str, at: tuple[float, float], agency: str | None, status: str,
        capacity: int | None, capabilities: tuple[str, ...] | None, contact: str | None, notes: str | None,
        by: str | None) -> None:
    """Register a new vehicle."""
    with _registry(ctx, create=True) as reg:
        rec = reg.add(vehicle_id, type=vtype, lon=at[0], lat=at[1], agency=agency, status=status, capacity=capacity,
                      capabilities=capabilities or (), contact=contact, notes=notes, by=_by(ctx, by))
    click.echo(f"added {rec['vehicle_id']} ({rec['type']}, {rec['status']})")


@vehicles.command()
@click.argument("vehicle_id")
@click.option("--type", "vtype", type=type_choice)
@click.option("--at", "at", callback=_parse_at, metavar="LON,LAT", help="New base location.")
@click.option("--agency")
@click.option("--status", type=status_choice)
@click.option("--capacity", type=click.IntRange(min=0))
@click.option("--capability", "capabilities", multiple=True, callback=_parse_caps,
              help="Replace the capabilities (repeat or comma-separate).")
@click.option("--no-capabilities", is_flag=True, help="Clear the capabilities.")
@click.option("--contact")
@click.option("--notes")
@by_opt
@click.pass_context
def update(ctx: click.Context, vehicle_id: str, vtype: str | None, at: tuple[float, float] | None,
           agency: str | None, status: str | None, capacity: int | None, capabilities: tuple[str, ...] | None,
           no_capabilities: bool, contact: str | None, notes: str | None, by: str | None) -> None:
    """Change fields of a vehicle (each change is kept in the history)."""
    changes: dict[str, Any] = {k: v for k, v in {"type": vtype, "agency": agency, "status": status,
                                                 "capacity": capacity, "contact": contact,
                                                 "notes": notes}.items() if v is not None}
    if at is not None:
        changes["lon"], changes["lat"] = at
    if capabilities is not None:
        changes["capabilities"] = capabilities
    if no_capabilities:
        changes["capabilities"] = ()
    if not changes:
        raise click.UsageError("nothing to change; give at least one option such as --status maintenance")
    with _registry(ctx) as reg:
        before = reg.get(vehicle_id)
        after = reg.update(vehicle_id, by=_by(ctx, by), **changes)
    changed = [k for k in after if k not in ("updated_at", "updated_by") and before.get(k) != after.get(k)]
    click.echo(f"updated {vehicle_id}: {', '.join(changed) if changed else 'no change'}")


@vehicles.command()
@click.argument("vehicle_id")
@by_opt
@click.pass_context
def remove(ctx: click.Context, vehicle_id: str, by: str | None) -> None:
    """Remove a vehicle (its history is kept)."""
    with _registry(ctx) as reg:
        reg.remove(vehicle_id, by=_by(ctx, by))
    click.echo(f"removed {vehicle_id}")


@vehicles.command(name="list")
@click.option("--type", "vtype", type=type_choice, multiple=True, help="Only these types (repeatable).")
@click.option("--status", type=status_choice, multiple=True, help="Only these statuses (repeatable).")
@click.option("--agency", help="Agency contains this text.")
@click.option("--district", help="Based in this district (code or name); needs --study.")
@click.option("--bbox", callback=_parse_bbox, metavar="W,S,E,N",
              help="Based inside this box: MIN_LON,MIN_LAT,MAX_LON,MAX_LAT in degrees.")
@click.option("--study", "study_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Study file, to add and filter by district.")
@fmt_opt
@public_opt
@click.pass_context
def list_(ctx: click.Context, vtype: tuple[str, ...], status: tuple[str, ...], agency: str | None,
          district: str | None, bbox: tuple[float, float, float, float] | None, study_path: Path | None, fmt: str,
          public: bool) -> None:
    """List vehicles, filtered by type, status, agency, district or a lon/lat box."""
    study = None
    if study_path is not None:
        from safegeo.study import load_study

        study = load_study(study_path, layers=[])  # the districts (always read) are what it needs
    elif district:
        raise click.UsageError("--district needs --study STUDY.toml (the districts come from the study area)")
    with _registry(ctx) as reg:
        gdf = reg.vehicles(type=vtype or None, status=status or None, agency=agency, district=district, bbox=bbox,
                           study=study, public=public)
    df = gdf.assign(lon=gdf.geometry.x.round(6), lat=gdf.geometry.y.round(6))
    if fmt == "table":
        df = df.drop(columns=[c for c in ("updated_by", "notes") if c in df.columns])
    _echo_frame(df, fmt)


@vehicles.command()
@click.argument("vehicle_id")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@public_opt
@click.pass_context
def show(ctx: click.Context, vehicle_id: str, as_json: bool, public: bool) -> None:
    """Show one vehicle."""
    with _registry(ctx) as reg:
        rec = reg.get(vehicle_id, public=public)
    if as_json:
        click.echo(json.dumps(rec, ensure_ascii=False, indent=2))
    else:
        width = max(len(k) for k in rec)
        for k, v in rec.items():
            click.echo(f"{k:<{width}}  {'' if v is None else v}")


@vehicles.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layer", help="Layer name in a multi-layer file (GeoPackage).")
@click.option("--study", "study_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Refuse bases outside this study area.")
@click.option("--update", "upsert", is_flag=True, help="Update vehicles already registered instead of refusing them.")
@by_opt
@click.pass_context
def import_(ctx: click.Context, path: Path, layer: str | None, study_path: Path | None, upsert: bool,
            by: str | None) -> None:
    """Import vehicles from CSV (lon/lat columns), GeoJSON or GeoPackage: every row or none.

    Each row needs vehicle_id, type and a location; status, agency, capacity,
    capabilities (comma-separated), contact and notes are optional.  Every
    bad row is listed and nothing is imported when any row is bad.
    """
    study = None
    if study_path is not None:
        from safegeo.study import load_study

        study = load_study(study_path, layers=[])  # the districts (always read) are what it needs
    with _registry(ctx, create=True) as reg:
        result = reg.import_file(path, layer=layer, study=study, update=upsert, by=_by(ctx, by))
    click.echo(result.format())


@vehicles.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@public_opt
@overwrite_opt
@click.pass_context
def export(ctx: click.Context, out: Path, public: bool, overwrite: bool) -> None:
    """Write the fleet to OUT (.gpkg, .geojson or .csv) for QGIS or a spreadsheet."""
    check_new_file(out, overwrite)
    with _registry(ctx) as reg:
        reg.export(out, public=public)
    click.echo(f"wrote {out}")


@vehicles.command()
@click.argument("vehicle_id", required=False)
@click.option("--limit", type=click.IntRange(min=1), help="Only the last N changes.")
@fmt_opt
@public_opt
@click.pass_context
def history(ctx: click.Context, vehicle_id: str | None, limit: int | None, fmt: str, public: bool) -> None:
    """Show the change history (of one vehicle, or all)."""
    with _registry(ctx) as reg:
        df = reg.history(vehicle_id, limit=limit, public=public)
    _echo_frame(df, fmt)


@vehicles.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the registry's schema up to date; run it once after upgrading safegeo.

    A shared PostgreSQL registry is upgraded only by this command (run it as
    the role that owns the tables); until then other commands read it as it
    is and refuse changes.  On an empty PostgreSQL database it creates the
    registry.  An SQLite file is upgraded by any command that may write it,
    and by this one.  Prints each step applied.  Example:

        safegeo vehicles --db postgresql://fleet_admin@db.example/fleet migrate
    """
    from safegeo.vehicles.records import db_url
    from safegeo.vehicles.registry import Registry

    server = not db_url(ctx.obj["db"]).startswith("sqlite")
    with Registry(ctx.obj["db"], create=server, upgrade=True) as reg:
        applied = list(reg.applied_migrations)
        if reg.pending_migrations:  # left when it opened read-only: migrate() says why it cannot upgrade
            applied += reg.migrate()
        version, where = reg.schema_version, reg.where
    if not applied:
        click.echo(f"{where}: schema v{version} is up to date; nothing to do")
        return
    start = applied[0].version - 1
    click.echo(f"{where}: " + ("created the registry, schema" if start == 0 else f"upgraded schema v{start} to")
               + f" v{version}")
    for m in applied:
        click.echo(f"  applied migration {m.version}: {m.description}")


@vehicles.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@overwrite_opt
@click.pass_context
def backup(ctx: click.Context, dest: Path, overwrite: bool) -> None:
    """Copy an SQLite registry to DEST safely, even while others write (SQLite backup API).

    A PostgreSQL registry is backed up with pg_dump (see the README).
    """
    check_new_file(dest, overwrite)
    with _registry(ctx) as reg:
        reg.backup(dest)
    click.echo(f"backed up to {dest}")


# ---------------------------------------------------------------------------------------------
# dispatch and response
# ---------------------------------------------------------------------------------------------
def _check_map_out(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A .html file, or a folder (existing, or a new name without a suffix) that gets dispatch.html."""
    if value is None:
        return None
    if value.suffix.lower() in (".html", ".htm"):
        if value.is_dir():
            raise click.BadParameter(f"{value} is a folder; give a file name such as dispatch.html",
                                     ctx=ctx, param=param)
        return value
    if value.is_dir():
        return value / "dispatch.html"
    if value.exists() or value.suffix:
        raise click.BadParameter(f"{value}: give a .html file or a folder for the map", ctx=ctx, param=param)
    return value / "dispatch.html"


def _fleet(db: str | None, study: Any):
    """The fleet from the registry, or the study's vehicles layer when no registry is named."""
    if db:
        from safegeo.vehicles.registry import Registry

        with Registry(db, create=False) as reg:
            return reg.vehicles()
    if study.has("vehicles"):
        return study.layers["vehicles"]
    raise click.UsageError(f"no vehicle registry: give --db (or set {DB_ENV}), or add a vehicles layer to the study")


@click.command()
@study_arg
@_db_opt(None)
@click.option("--at", "at", callback=_parse_at, required=True, metavar="LON,LAT", help="Incident location.")
@click.option("--type", "vtype", type=type_choice, help="Only this vehicle type (rescue boats only when asked).")
@click.option("--need", multiple=True, callback=_parse_caps,
              help=f"Required capability ({', '.join(VEHICLE_CAPABILITIES)}); repeat or comma-separate.")
@click.option("--n", "n", type=click.IntRange(min=1), default=3, show_default=True, help="How many vehicles.")
@click.option("--hazard", help="Avoid roads closed by this hazard (name or kind from the study file).")
@click.option("--json", "as_json", is_flag=True, help="Print the proposals as JSON.")
@click.option("--out", "out", type=click.Path(path_type=Path), callback=_check_map_out,
              help="Write an HTML map (a .html file, or a folder to hold dispatch.html).")
@lang_opt
@public_opt
def dispatch(study: Path, db: str | None, at: tuple[float, float], vtype: str | None, need: tuple[str, ...],
             n: int, hazard: str | None, as_json: bool, out: Path | None, lang: str, public: bool) -> None:
    """Propose the N available vehicles that reach an incident first by road.

    Travel time runs from each base to the incident on the road network.
    Vehicles not available or lacking a needed capability are left out.
    Without --db the study's vehicles layer is used.  Example:

        safegeo dispatch study.toml --db fleet.db --at 101.82,6.42 --type ambulance --n 3
    """
    from safegeo.study import load_study
    from safegeo.vehicles.dispatch import dispatch_for_study, dispatch_map

    s = load_study(study, layers=["vehicles"] if db is None else [])
    fleet = _fleet(db, s)
    result = dispatch_for_study(s, fleet, at, n=n, vehicle_type=vtype, need=need, hazard=hazard)
    if as_json:
        click.echo(json.dumps(result.to_records(public=public), ensure_ascii=False, indent=2))
    else:
        table = result.table.drop(columns=["base_lon", "base_lat", "status"], errors="ignore")
        if public:
            from safegeo.privacy import public_frame

            table = public_frame(table, what="dispatch")
        if len(table):
            table = table.assign(eta_min=table["eta_min"].round(1), eta_s=table["eta_s"].round(0),
                                 distance_m=table["distance_m"].round(0), base_snap_m=table["base_snap_m"].round(0))
        _echo_frame(table, "table")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if result.proposals.empty:  # nothing to send, for a reason the fleet or the roads explain
        from safegeo._errors import VehicleDataError

        counts = result.excluded["reason"].value_counts()
        why = "; ".join(f"{k} ({v})" for k, v in counts.head(4).items()) or "the fleet is empty"
        raise VehicleDataError(f"no vehicle can be dispatched: {why}",
                               hint="ask for another --type or fewer --need capabilities, or check the fleet's status")
    if out is not None:
        dispatch_map(result, fleet=fleet, study=s, lang=lang, public=public).save(out)
        click.echo(f"map: {out}", err=as_json)


@click.command()
@study_arg
@_db_opt(None)
@out_dir_opt
@click.option("--type", "vtypes", type=type_choice, multiple=True, help="Vehicle types (default: all in the fleet).")
@click.option("--hazard", help="Avoid roads closed by this hazard.")
@lang_opt
@public_opt
def response(study: Path, db: str | None, out: Path, vtypes: tuple[str, ...], hazard: str | None, lang: str,
             public: bool) -> None:
    """Response-time coverage: time from the nearest available base of each type to every village.

    Writes response.gpkg, response_summary.csv and response.html into --out,
    and prints the villages beyond each type's target per district.  Without
    --db the study's vehicles layer is used.  Example:

        safegeo response study.toml --db fleet.db --out out/response
    """
    from safegeo.study import load_study
    from safegeo.vehicles.response import response_for_study

    with command_stages("response", ["load study", "network", "response", "write"]) as stage:
        with stage("load study"):
            s = load_study(study, layers=["villages", "hazards"] + (["vehicles"] if db is None else []))
            fleet = _fleet(db, s)
        with stage("network"):
            s.network("drive")
        with stage("response"):
            result = response_for_study(s, fleet, vehicle_types=vtypes or None, hazard=hazard)
        _response_outputs(result, s, out, lang=lang, public=public, stage=stage)


def _response_outputs(result, s, out: Path, *, lang: str, public: bool, stage) -> None:
    if not result.vehicles["on_network"].to_numpy(bool)[result.vehicles["status"].to_numpy() == "available"].any():
        from safegeo._errors import VehicleDataError

        raise VehicleDataError("no available vehicle can be routed: every vehicle is unavailable or its base is "
                               f"more than {s.settings('network')['max_snap_m']:g} m from a road",
                               hint="update the fleet's status (safegeo vehicles update ID --status available)")
    from safegeo.vehicles.response import write_response

    with stage("write"):
        paths = write_response(result, out, study=s, lang=lang, public=public)
    tot = result.summary[result.summary["level"] == "study"]
    for row in tot.itertuples():
        share = "n/a" if row.share_population_within_target != row.share_population_within_target else \
            f"{row.share_population_within_target:.0%}"
        click.echo(f"{row.vehicle_type:<13} target {row.target_min:g} min: {row.villages - row.within_target} of "
                   f"{row.villages} villages not reached in time; {share} of people reached in time")
        per = result.summary[(result.summary["vehicle_type"] == row.vehicle_type)
                             & (result.summary["level"] == "district")
                             & (result.summary["within_target"] < result.summary["villages"])]
        for d in per.itertuples():
            name = getattr(d, "name_en", None)
            click.echo(f"    {name if isinstance(name, str) and name else d.area_id}: "
                       f"{d.villages - d.within_target} village(s)")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for p in paths:
        click.echo(f"wrote {p}")


ALL = [vehicles, dispatch, response]

