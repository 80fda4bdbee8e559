"""``safegeo ensemble``: many scenarios at once, on Dask, aggregated per village and tambon."""

from __future__ import annotations

from pathlib import Path

import click

from safegeo.cli._run import command_stages
from safegeo.cli.options import lang_opt, out_dir_opt, public_opt, study_arg


@click.command()
@study_arg
@click.option("--scenarios", "scenarios_file", required=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Scenario file (.toml with [[scenario]] entries, or .csv; see the README).")
@click.option("--scheduler", metavar="ADDRESS|sequential", default=None,
              help="A running Dask scheduler (tcp://host:8786), or 'sequential' for no Dask "
                   "(default: a local cluster on this machine).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local cluster (default: one per core).")
@click.option("--capacity/--no-capacity", default=True, show_default=True,
              help="Respect shelter capacities in every scenario.")
@out_dir_opt
@lang_opt
@public_opt
@click.option("--no-tiles", is_flag=True, help="Leave out the online basemap (fully offline page).")
def ensemble(study: Path, scenarios_file: Path, scheduler: str | None, workers: int | None, capacity: bool,
             out: Path, lang: str, public: bool, no_tiles: bool) -> None:
    """Run many evacuation scenarios (hazards, closed roads, failing bridges, shelters out) and aggregate them.

    Every scenario runs on the same prepared network, sent to each worker
    once.  Writes OUT/ensemble.gpkg (villages with the probability of being
    cut off or without a place, travel-time percentiles; the roads and
    shelters that matter most; scenarios), OUT/ensemble.csv (per district
    and tambon), OUT/scenarios.csv and OUT/ensemble.html.  A scenario that
    fails is listed with its error; the others are kept.

    Example: safegeo ensemble data/demo/study.toml --scenarios scenarios.toml --out out/ensemble
    """
    from safegeo.ensemble import aggregate, payload_for, read_scenarios, run_scenarios
    from safegeo.study import load_study

    with command_stages("ensemble", ["load study", "network", "scenarios", "run", "aggregate", "write"]) as stage:
        with stage("load study"):
            st = load_study(study, layers=["villages", "shelters", "hazards"])
        with stage("network"):
            st.network("drive")
        with stage("scenarios"):
            scenarios = read_scenarios(scenarios_file, st)
            payload = payload_for(st, capacity=capacity)
        click.echo(f"{len(scenarios)} scenario(s) on "
                   f"{'this machine' if scheduler in (None, 'sequential') else scheduler}", err=True)
        with stage("run"):
            outcomes = run_scenarios(payload, scenarios, scheduler=scheduler, workers=workers)
        with stage("aggregate"):
            result = aggregate(payload, scenarios, outcomes, areas=st.areas, synthetic=st.synthetic)
        for line in result.report_lines():
            click.echo(line, err=True)
        if result.scenarios["ok"].sum() == 0:
            from safegeo.ensemble import EnsembleError

            raise EnsembleError(f"every scenario failed (first: {result.scenarios['error'].iloc[0]})",
                                hint="run one with --scheduler sequential and -vv to see why")
        with stage("write"):
            written = result.write(out, lang=lang, public=public, tiles=not no_tiles)
    for p in written:
        click.echo(str(p))


ALL = [ensemble]
