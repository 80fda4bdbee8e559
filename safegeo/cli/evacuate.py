"""``safegeo evacuate``: shelters, routes, overflow and critical roads for a hazard scenario."""

from __future__ import annotations

from pathlib import Path

import click

from safegeo.cli._run import command_stages
from safegeo.cli.options import lang_opt, out_dir_opt, public_opt, study_arg


@click.command()
@study_arg
@click.option("--hazard", "hazard", metavar="NAME",
              help="Hazard entry name or kind from the study file (default: every hazard; 'none' for none).")
@click.option("--no-hazard", is_flag=True, help="Ignore the study's hazards (all roads and shelters usable).")
@click.option("--weight", type=click.Choice(["time", "length"]), default="time", show_default=True,
              help="Route by travel time or by distance (with --mode walk, travel times are at walking speed).")
@click.option("--mode", type=click.Choice(["drive", "walk"]), default=None,
              help="Road network to use (default: [network] mode of the study, drive).")
@click.option("--capacity/--no-capacity", default=True, show_default=True,
              help="Respect shelter capacities (exact assignment) or send everyone to the nearest shelter.")
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), default=None, metavar="N",
              help="Longest acceptable travel time (default: [evacuation] max_minutes, 60).")
@click.option("--k-nearest", type=click.IntRange(min=1), default=None,
              help="Shelters considered per village in the capacity assignment (default [evacuation] k_nearest, 20).")
@click.option("--at-risk-within-m", type=click.FloatRange(min=0), default=None,
              help="Evacuate only villages within this distance (m) of the hazard footprint (default: all).")
@click.option("--origins", default="villages", show_default=True, metavar="villages|nodes|FILE",
              help="Who evacuates: the villages layer (by population), every network node, or a point file "
                   "(e.g. buildings; a 'population' column is used when present).")
@click.option("--population-column", default="population", show_default=True, metavar="COLUMN|none",
              help="Column of people per origin in an --origins FILE ('none': count each origin as one person).")
@click.option("--hazard-exit-kph", type=click.FloatRange(min=0), default=None,
              help="Speed at which people in a closed area leave it along its closed roads, on foot or by boat "
                   "(default: [evacuation] hazard_exit_kph, 3; 0: they are stranded).")
@out_dir_opt
@lang_opt
@public_opt
@click.option("--no-tiles", is_flag=True, help="Leave out the online basemap (fully offline page).")
def evacuate(study: Path, hazard: str | None, no_hazard: bool, weight: str, mode: str | None, capacity: bool,
             max_minutes: float | None, k_nearest: int | None, at_risk_within_m: float | None,
             origins: str, population_column: str, hazard_exit_kph: float | None, out: Path, lang: str, public: bool,
             no_tiles: bool) -> None:
    """Assign villages to shelters for a hazard scenario and write the plan.

    Shelters inside the hazard or not safe for its kind are left out; roads
    crossing it are closed or slowed.  Writes OUT/evacuation.gpkg (layers
    assignments, routes, unreachable, critical_roads, edge_load, shelters),
    OUT/summary.csv (per district / tambon) and OUT/evacuation.html.

    Example: safegeo evacuate data/demo/study.toml --hazard flood --max-minutes 45 --out out/evac
    """
    from safegeo.evacuation import evacuate as run
    from safegeo.study import load_study

    if no_hazard and hazard and hazard.lower() != "none":
        raise click.UsageError("--hazard and --no-hazard contradict each other; give one")
    if origins not in ("villages", "nodes"):
        from safegeo.io import read_vector

        if not Path(origins).exists():
            raise click.BadParameter(f"{origins}: no such file (or use 'villages' or 'nodes')", param_hint="--origins")
        origins = read_vector(origins)
    with command_stages("evacuate", ["load study", "network", "attach", "hazards", "nearest shelter",
                                     "assignment and routes", "critical roads", "write"]) as stage:
        with stage("load study"):
            st = load_study(study, layers=["villages", "shelters", "hazards", "population"])
        with stage("network"):
            st.network(mode)
        result = run(st, hazards="none" if no_hazard else hazard, weight=weight, mode=mode, capacity=capacity,
                     origins=origins,
                     population_column=None if population_column.lower() == "none" else population_column,
                     max_minutes=max_minutes, k_nearest=k_nearest, at_risk_within_m=at_risk_within_m,
                     hazard_exit_kph=hazard_exit_kph, progress=stage.progress)
        for line in result.report_lines():
            click.echo(line, err=True)
        if result.problem:  # an empty plan the data explains: say why, keep the previous outputs
            from safegeo._errors import EvacuationError

            raise EvacuationError(f"no evacuation plan: {result.problem}",
                                  hint="check the hazard, the shelters and --max-snap-m / [network] max_snap_m")
        with stage("write"):
            written = result.write(out, lang=lang, public=public, tiles=not no_tiles, title=f"{st.name}: evacuation")
    for p in written:
        click.echo(str(p))


ALL = [evacuate]
