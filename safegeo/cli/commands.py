"""Foundation commands: demo, generate, validate, prepare, map."""

from __future__ import annotations

import json
from pathlib import Path

import click

from safegeo.cli.options import (
    check_new_file,
    lang_opt,
    layers_opt,
    no_tiles_opt,
    out_dir_opt,
    overwrite_opt,
    public_opt,
    show_basemap_opt,
    strict_opt,
    study_arg,
)


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("out/demo"),
              show_default=True, help="Output folder for the demo data, results and maps.")
@lang_opt
@click.pass_context
def demo(ctx: click.Context, out: Path, lang: str) -> None:
    """Write the synthetic demo province and run every analysis on it, with maps.

    The demo study area is generated (seeded, deterministic) at Narathiwat's
    real coordinates and labelled synthetic.  Example:

        safegeo demo --out out/demo --lang th
    """
    from safegeo.demo import run_demo

    result = run_demo(out, lang=lang, progress=ctx.obj.get("progress", False))
    for line in result.summary_lines():
        click.echo(line)
    click.echo(f"Main map: {result.main_map.resolve()}")


def _check_nodes(ctx: click.Context, param: click.Parameter, value: int) -> int:
    from safegeo.generate import MIN_N_NODES

    if value < MIN_N_NODES:
        raise click.BadParameter(f"{value} is too few: the generator needs at least {MIN_N_NODES} road nodes "
                                 f"(valid range: {MIN_N_NODES} or more)", ctx=ctx, param=param)
    return value


@click.command()
@click.option("--nodes", type=int, default=6000, show_default=True, callback=_check_nodes,
              help="About how many road nodes to generate (too few is refused with the minimum).")
@click.option("--seed", type=click.IntRange(min=0), default=20261125, show_default=True,
              help="Random seed (a whole number >= 0); the same seed gives the same layers.")
@out_dir_opt
@overwrite_opt
def generate(nodes: int, seed: int, out: Path, overwrite: bool) -> None:
    """Generate a synthetic study area of about N road nodes (the demo generator, scaled).

    Example: safegeo generate --nodes 200000 --out bench/area
    """
    from safegeo.generate import generate_study_area

    toml = generate_study_area(out, n_nodes=nodes, seed=seed, overwrite=overwrite)
    click.echo(f"Study file: {toml}")


@click.command()
@study_arg
@strict_opt
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (stdout).")
def validate(study: Path, strict: bool, as_json: bool) -> None:
    """Check every layer of a study file and print a per-layer report.

    Exits 1 when any layer has errors.  Example: safegeo validate data/demo/study.toml
    """
    from safegeo._errors import Problem, StudyFileError
    from safegeo.study import ValidationReport, validate_study

    try:
        report = validate_study(study, strict=strict)
    except StudyFileError as exc:
        if not as_json:
            raise
        # scripts reading --json get JSON for a broken study file too
        message = str(exc).split("\n")[0]
        report = ValidationReport(study, [], [Problem("study", message, "error", str(study), fix=exc.hint)])
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.format())
    if not report.ok:
        raise SystemExit(1)


@click.command()
@study_arg
@out_dir_opt
@strict_opt
@click.option("--mode", type=click.Choice(["drive", "walk", "both"]), default="both", show_default=True,
              help="Which routable networks to save.")
@click.option("--network-gpkg", is_flag=True,
              help="Also write OUT/network_<mode>.gpkg (nodes and directed edges) to look at in a GIS; "
                   "large at province scale.")
@click.pass_context
def prepare(ctx: click.Context, study: Path, out: Path, strict: bool, mode: str, network_gpkg: bool) -> None:
    """Validate layers, project them to the working CRS and store the routable networks.

    Writes OUT/study.gpkg (every layer; districts with is_border and
    border_km) and OUT/prepare_report.json, and keeps the drive and walk
    networks in the prepared-network cache, where every later command
    loads them in about a second (the report and stderr say where).
    """
    from safegeo.prepare import prepare_study

    written = prepare_study(study, out, strict=strict, modes=("drive", "walk") if mode == "both" else (mode,),
                            progress=(ctx.obj or {}).get("progress", False), network_gpkg=network_gpkg)
    for p in written:
        click.echo(str(p))
    report_path = next((p for p in written if p.name == "prepare_report.json"), None)
    if report_path is not None and (ctx.obj or {}).get("quiet", 0) == 0:
        # what routing will not reach, on stderr (stdout lists the files)
        from safegeo.network import NetworkReport

        report = json.loads(report_path.read_text(encoding="utf-8"))
        for rep in report["networks"].values():
            if rep:
                click.echo(NetworkReport(**rep).format(), err=True)
        for net_mode, folder in report.get("cache", {}).items():
            click.echo(f"{net_mode} network prepared for reuse in {folder}", err=True)


@click.command(name="map")
@study_arg
@layers_opt
@public_opt
@lang_opt
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="HTML file to write.")
@overwrite_opt
@no_tiles_opt
@show_basemap_opt
def map_cmd(study: Path, layers: list[str] | None, public: bool, lang: str, out: Path, overwrite: bool,
            no_tiles: bool, show_basemap: bool) -> None:
    """Draw any study layers on a self-contained HTML map.

    Example: safegeo map data/demo/study.toml --layers districts,shelters --public --out shelters.html
    """
    from safegeo.maps.overview import study_map
    from safegeo.study import load_study

    check_new_file(out, overwrite)
    m = study_map(load_study(study, layers=layers), layers=layers, lang=lang, public=public, tiles=not no_tiles,
                  tiles_visible=show_basemap)
    m.save(out)
    click.echo(str(out))


ALL = [demo, generate, validate, prepare, map_cmd]
