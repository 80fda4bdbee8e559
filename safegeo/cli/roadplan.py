"""``safegeo plan-roads``: which road projects help evacuation most, and the best set within a budget."""

from __future__ import annotations

from pathlib import Path

import click

from safegeo.cli._run import command_stages
from safegeo.cli.options import lang_opt, out_dir_opt, public_opt, study_arg

#: Environment variable naming the vehicle registry (as for ``safegeo response``).
DB_ENV = "SAFEGEO_DB"


def _check_candidates(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if value.strip().lower() == "auto":
        return "auto"
    if not Path(value).exists():
        raise click.BadParameter(f"{value}: no such file (give a candidate file, or 'auto')", ctx=ctx, param=param)
    return value


@click.command("plan-roads")
@study_arg
@click.option("--hazard", "hazard", metavar="NAME",
              help="Hazard entry name or kind from the study file (default: every hazard; 'none' for none).")
@click.option("--candidates", required=True, metavar="FILE|auto", callback=_check_candidates,
              help="Projects to weigh: a GeoPackage / GeoJSON / CSV of candidates (kind new_link, bridge, upgrade or "
                   "floodproof; optional cost in million baht, name, highway or speed_kph), or 'auto' to generate "
                   "missing links, bridges, flood-proofing and upgrades from the evacuation's gaps.")
@click.option("--layer", default=None, help="Layer of a multi-layer candidate file.")
@click.option("--budget", type=click.FloatRange(min=0), required=True, metavar="N",
              help="Money available, in the unit of the costs (million baht): the portfolio is chosen greedily by "
                   "benefit per cost within it.")
@click.option("--max-candidates", type=click.IntRange(min=1), default=None,
              help="At most this many generated candidates (default [roadplan] max_candidates, 500).")
@click.option("--verify-top", type=click.IntRange(min=0), default=None,
              help="Re-measure the best N by full evacuation runs, also with shelter capacities "
                   "(default [roadplan] verify_top, 5).")
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), default=None, metavar="N",
              help="Longest acceptable evacuation time (default: [evacuation] max_minutes, 60).")
@click.option("--at-risk-within-m", type=click.FloatRange(min=0), default=None,
              help="Count only villages within this distance (m) of the hazard footprint (default: all).")
@click.option("--db", "db", envvar=DB_ENV, default=None, metavar="PATH_OR_URL",
              help=f"Vehicle registry for response times (env {DB_ENV}; default: the study's vehicles layer).")
@click.option("--no-response", is_flag=True, help="Leave vehicle response times out.")
@out_dir_opt
@lang_opt
@public_opt
@click.option("--no-tiles", is_flag=True, help="Leave out the online basemap (fully offline page).")
def plan_roads(study: Path, hazard: str | None, candidates: str, layer: str | None, budget: float,
               max_candidates: int | None, verify_top: int | None, max_minutes: float | None,
               at_risk_within_m: float | None, db: str | None, no_response: bool, out: Path, lang: str,
               public: bool, no_tiles: bool) -> None:
    """Rank road projects by the evacuation time they save, measured exactly, and choose a set within a budget.

    Each candidate is measured on the network with it built: person-minutes
    of evacuation to the nearest shelter saved (people cut off count
    [roadplan] unreachable_minutes), people reconnected or brought within the
    time limit, and vehicle response-time gains.  Writes OUT/road_plan.gpkg
    (candidates with benefits, rank and chosen flag; routes before and after;
    villages; portfolio; verification; summary), OUT/road_plan.csv and
    OUT/road_plan.html.

    Example: safegeo plan-roads data/demo/study.toml --candidates auto --budget 300 --out out/roads
    """
    import geopandas as gpd

    from safegeo.roadplan import plan_roads as run
    from safegeo.study import load_study

    with command_stages("plan-roads", ["load study", "network", "baseline", "response", "candidates", "benefits",
                                       "verify", "portfolio", "routes", "write"]) as stage:
        with stage("load study"):
            st = load_study(study, layers=["villages", "shelters", "hazards", "rivers", "vehicles"])
        with stage("network"):
            st.network()
        fleet = None
        if no_response:
            fleet = gpd.GeoDataFrame({"type": []}, geometry=[], crs=st.crs)
        elif db:
            from safegeo.vehicles.registry import Registry

            with Registry(db, create=False) as reg:
                fleet = reg.vehicles()
        result = run(st, hazards=hazard, candidates=candidates, budget=budget, layer=layer, vehicles=fleet,
                     max_candidates=max_candidates, verify_top=verify_top, max_minutes=max_minutes,
                     at_risk_within_m=at_risk_within_m, progress=stage.progress)
        for line in result.report_lines():
            click.echo(line, err=True)
        with stage("write"):
            written = result.write(out, lang=lang, public=public, tiles=not no_tiles, title=f"{st.name}: road plan")
    for p in written:
        click.echo(str(p))


ALL = [plan_roads]
