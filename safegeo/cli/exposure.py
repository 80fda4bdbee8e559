"""``safegeo exposure`` and ``safegeo warn``: who is in harm's way, and the warning that reaches them."""

from __future__ import annotations

from pathlib import Path

import click

from safegeo.cli._run import command_stages
from safegeo.cli.options import lang_opt, out_dir_opt, public_opt, study_arg


@click.command()
@study_arg
@click.option("--hazard", "hazard", metavar="NAME",
              help="Hazard entry name or kind from the study file (default: every hazard entry).")
@click.option("--depth-classes-m", metavar="A,B,C", default=None,
              help="Depth classes of raster hazards in metres (default: [exposure] depth_classes_m, 0.3,1,2).")
@click.option("--inside-within-m", type=click.FloatRange(min=0), default=None, metavar="M",
              help="A village or place within this distance of a hazard counts as inside (default 0).")
@out_dir_opt
@lang_opt
@public_opt
@click.option("--no-tiles", is_flag=True, help="Leave out the online basemap (fully offline page).")
def exposure(study: Path, hazard: str | None, depth_classes_m: str | None, inside_within_m: float | None, out: Path,
             lang: str, public: bool, no_tiles: bool) -> None:
    """People, vulnerable groups, places and roads inside each hazard, per village, tambon and district.

    Polygon hazards are reported by severity, rasters by depth class; people
    come from the villages layer and the population rasters of the study
    ([layers] population), summed with exact cell coverage.  Repeat-disaster
    tambons (from the events layer) and border districts are flagged.  Writes
    OUT/exposure.gpkg (villages, tambons, districts, assets, hazard_classes),
    OUT/exposure_summary.csv and OUT/exposure.html.

    Example: safegeo exposure data/demo/study.toml --out out/exposure
    """
    from safegeo.exposure import exposure as run
    from safegeo.study import load_study

    classes = None
    if depth_classes_m:
        try:
            classes = [float(v) for v in depth_classes_m.replace(" ", "").split(",") if v]
        except ValueError:
            raise click.BadParameter(f"'{depth_classes_m}' is not a list of depths in metres (e.g. 0.3,1,2)",
                                     param_hint="--depth-classes-m") from None
    with command_stages("exposure", ["load study", "hazard classes", "villages", "assets", "population rasters",
                                     "roads", "summary", "write"]) as stage:
        with stage("load study"):
            st = load_study(study, layers=["villages", "shelters", "pois", "hazards", "population", "events", "roads"])
        result = run(st, hazards=hazard, depth_classes_m=classes, inside_within_m=inside_within_m, progress=stage)
        for line in result.report_lines():
            click.echo(line, err=True)
        if result.problem:
            from safegeo._errors import ExposureError

            raise ExposureError(f"no exposure to report: {result.problem}")
        with stage("write"):
            written = result.write(out, lang=lang, public=public, tiles=not no_tiles, title=f"{st.name}: exposure")
    for p in written:
        click.echo(str(p))


def _parse_near(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    parts = value.replace(" ", "").split(",")
    if len(parts) == 2:
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except ValueError:
            lon = lat = None
        if lon is not None:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise click.BadParameter(f"'{value}' is out of range: longitude first, then latitude "
                                         "(e.g. 101.82,6.43)", ctx=ctx, param=param)
            return lon, lat
    if not Path(value).exists():
        raise click.BadParameter(f"'{value}' is neither LON,LAT nor an existing point/line file", ctx=ctx, param=param)
    return value


@click.command()
@study_arg
@click.option("--area", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="The warning area: a polygon file (GeoPackage, GeoJSON, Shapefile, ...).")
@click.option("--hazard", metavar="NAME",
              help="A hazard entry of the study: its footprint is the area when no other area is given, and it "
                   "decides which roads close and which shelters are unsafe.")
@click.option("--near", callback=_parse_near, metavar="LON,LAT|FILE",
              help="Warn around a point (a river gauge) or the points / lines of a file; needs --radius-m.")
@click.option("--radius-m", type=click.FloatRange(min=0, min_open=True), metavar="M",
              help="Buffer radius around --near, in metres.")
@click.option("--cap", "cap", type=click.Path(exists=True, dir_okay=False), metavar="ALERT.xml",
              help="An incoming CAP 1.1/1.2 alert whose polygons (or tambon geocodes) are the area.")
@click.option("--kind", metavar="KIND", help="Hazard kind for the messages and the alert (default: from the hazard or "
                                             "the CAP event, else flood).")
@click.option("--closes-roads/--no-closes-roads", default=None,
              help="Whether the warning area itself closes the roads inside it when no --hazard is given "
                   "(default: yes, except for --near buffers).")
@click.option("--onset", metavar="TIME", help="When the hazard is expected (ISO 8601; Bangkok time without a zone; "
                                              "default now).")
@click.option("--expires", metavar="TIME", help="When the warning ends (default [warning] expires_hours after onset).")
@click.option("--urgency", type=click.Choice(["Immediate", "Expected", "Future", "Past", "Unknown"]),
              help="CAP urgency (default [warning] urgency).")
@click.option("--severity", type=click.Choice(["Extreme", "Severe", "Moderate", "Minor", "Unknown"]),
              help="CAP severity (default [warning] severity).")
@click.option("--certainty", type=click.Choice(["Observed", "Likely", "Possible", "Unlikely", "Unknown"]),
              help="CAP certainty (default [warning] certainty).")
@click.option("--status", type=click.Choice(["Actual", "Exercise", "System", "Test", "Draft"]), default="Actual",
              show_default=True, help="CAP status: Exercise for drills.")
@click.option("--db", "db", envvar="SAFEGEO_DB", metavar="PATH_OR_URL",
              help="Vehicle registry for the vehicles to pre-position (default: the study's vehicles layer).")
@out_dir_opt
@lang_opt
@public_opt
@click.option("--no-tiles", is_flag=True, help="Leave out the online basemap (fully offline page).")
def warn(study: Path, area: str | None, hazard: str | None, near, radius_m: float | None, cap: str | None,
         kind: str | None, closes_roads: bool | None, onset: str | None, expires: str | None, urgency: str | None,
         severity: str | None, certainty: str | None, status: str, db: str | None, out: Path, lang: str,
         public: bool, no_tiles: bool) -> None:
    """Who must be warned in an area, where they go, what to close and send, and the CAP 1.2 alert.

    The area comes from --area, --hazard, --near with --radius-m, or --cap
    (several: their union).  Lists the villages and tambons inside with their
    people and vulnerable groups, the shelters to open (from the evacuation
    plan of those villages, with capacities), the roads to close, the
    vehicles to pre-position, and Thai and English messages from the
    [warning] templates with their SMS lengths.  Writes OUT/warning.gpkg,
    OUT/targets.csv, OUT/messages.csv, OUT/alert.xml (validated against the
    CAP 1.2 schema), OUT/warning.html and, unless --public, the private
    OUT/send_list.csv (village heads and their phone numbers).

    Example: safegeo warn data/demo/study.toml --near 101.80,6.42 --radius-m 3000 --kind flood --out out/warning
    """
    from safegeo.study import load_study
    from safegeo.warning.targets import warn as run
    from safegeo.warning.targets import warning_area

    if near is not None and radius_m is None:
        raise click.UsageError("--near needs --radius-m (metres), e.g. --near 101.82,6.43 --radius-m 2000")
    if radius_m is not None and near is None:
        raise click.UsageError("--radius-m is only used with --near")
    if not (area or hazard or near or cap):
        raise click.UsageError("give the warning area: --area FILE, --hazard NAME, --near LON,LAT --radius-m M, "
                               "or --cap ALERT.xml")
    with command_stages("warn", ["load study", "area", "targets", "shelters to open", "roads to close", "vehicles",
                                 "messages", "alert", "write"]) as stage:
        with stage("load study"):
            st = load_study(study, layers=["villages", "shelters", "hazards", "population", "contacts", "roads",
                                           *(["vehicles"] if db is None else [])])
            fleet = None
            if db:
                from safegeo.vehicles.registry import Registry

                with Registry(db, create=False) as reg:
                    fleet = reg.vehicles()
        with stage("area"):
            wa = warning_area(st, area=area, hazard=hazard, near=near, radius_m=radius_m, cap=cap)
        result = run(st, wa, hazard=hazard, kind=kind, closes_roads=closes_roads, onset=onset, expires=expires,
                     urgency=urgency, severity=severity, certainty=certainty, status=status, fleet=fleet,
                     progress=stage)
        for line in result.report_lines():
            click.echo(line, err=True)
        if result.problem:
            from safegeo._errors import WarningAreaError

            raise WarningAreaError(f"nothing to warn: {result.problem}",
                                   hint="check the area's coordinates, or widen --radius-m")
        with stage("write"):
            written = result.write(out, lang=lang, public=public, tiles=not no_tiles, title=f"{st.name}: warning")
    for p in written:
        click.echo(str(p))


ALL = [exposure, warn]
