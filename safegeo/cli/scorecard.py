"""``safegeo scorecard`` and ``safegeo report``: tambon scorecards, and printable district reports."""

from __future__ import annotations

from pathlib import Path

import click

from safegeo.cli._run import command_stages
from safegeo.cli.options import lang_opt, out_dir_opt, public_opt, study_arg

hazard_opt = click.option("--hazard", "hazard", metavar="NAME",
                          help="Hazard entry name or kind for every analysis (default: every hazard; 'none': none).")


@click.command()
@study_arg
@hazard_opt
@out_dir_opt
@lang_opt
@public_opt
@click.option("--no-tiles", is_flag=True, help="Leave out the online basemap (fully offline page).")
@click.option("--road-plan", "road_plan", is_flag=True,
              help="Also plan road projects (generated candidates, as plan-roads --candidates auto) and offer the "
                   "best one for each tambon among its actions.")
def scorecard(study: Path, hazard: str | None, out: Path, lang: str, public: bool, no_tiles: bool,
              road_plan: bool) -> None:
    """One row per tambon and village from every analysis, a 0-10 score, ranks and the actions that help most.

    Runs evacuation, coverage, response and exposure (those the study has
    layers for) under one hazard, joins their per-tambon summaries, scores
    each tambon the INFORM way ([scorecard] weights and bounds in the study
    file) and ranks it in its district and the province.  Writes
    OUT/scorecard.gpkg (tambons, villages, actions), OUT/scorecard.csv
    (Excel-ready) and OUT/scorecard.html (map, sortable table, charts).

    Example: safegeo scorecard data/demo/study.toml --hazard flood --road-plan --out out/scorecard
    """
    from safegeo.scorecard import scorecard as run
    from safegeo.study import load_study

    with command_stages("scorecard", ["load study", "analyses", "write"]) as stage:
        with stage("load study"):
            st = load_study(study)
        with stage("analyses"):
            plan = None
            if road_plan:
                from safegeo.roadplan import plan_roads

                plan = plan_roads(st, hazards=hazard, candidates="auto", verify_top=0)
            result = run(st, hazard=hazard, road_plan=plan)
        for line in result.report_lines():
            click.echo(line, err=True)
        with stage("write"):
            written = result.write(out, lang=lang, public=public, tiles=not no_tiles)
    for p in written:
        click.echo(str(p))


@click.command()
@study_arg
@click.option("--district", "district", required=True, metavar="CODE", help="The district_id to report on.")
@hazard_opt
@out_dir_opt
@lang_opt
@click.option("--no-pdf", is_flag=True, help="Write the HTML page only (default: also a PDF when Chromium is installed).")
def report(study: Path, district: str, hazard: str | None, out: Path, lang: str, no_pdf: bool) -> None:
    """A printable district report: overview map, the scorecard of its tambons, and the charts.

    One A4 page set (print stylesheet) as OUT/report_CODE.html, printed to
    OUT/report_CODE.pdf with headless Chromium when it is installed (no
    network needed).

    Example: safegeo report data/demo/study.toml --district D01 --out out/report
    """
    from safegeo.scorecard import district_report, scorecard
    from safegeo.study import load_study

    with command_stages("report", ["load study", "analyses", "write"]) as stage:
        with stage("load study"):
            st = load_study(study)
        tambons = st.layers.get("tambons")
        if tambons is not None and "district_id" in tambons.columns \
                and district not in set(tambons["district_id"].astype(str)):
            known = sorted(set(tambons["district_id"].astype(str)))
            raise click.BadParameter(f"no tambon of the study is in district {district!r}; "
                                     f"districts: {', '.join(known[:20])}", param_hint="--district")
        with stage("analyses"):
            result = scorecard(st, hazard=hazard)
        with stage("write"):
            written = district_report(result, district, out, lang=lang, pdf=not no_pdf)
    if not no_pdf and len(written) == 1:
        click.echo("no Chromium on PATH: wrote the HTML page only (print it from a browser)", err=True)
    for p in written:
        click.echo(str(p))


ALL = [scorecard, report]
