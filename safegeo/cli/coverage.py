"""``safegeo coverage``: street-light, CCTV and SOS coverage per road segment and district, gaps, new sites."""

from __future__ import annotations

from pathlib import Path

import click

from safegeo.cli._run import command_stages
from safegeo.cli.options import lang_opt, out_dir_opt, public_opt, study_arg

_ASSETS = ("lights", "cameras", "sos")


def _parse_assets(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if not value:
        return None
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in _ASSETS]
    if unknown:
        raise click.BadParameter(f"unknown asset(s) {', '.join(unknown)}; choose from {', '.join(_ASSETS)}",
                                 ctx=ctx, param=param)
    return names


@click.command()
@study_arg
@click.option("--assets", callback=_parse_assets, metavar="LIST",
              help="Comma-separated assets to analyse: lights,cameras,sos (default: every one the study has).")
@click.option("--propose", type=click.IntRange(min=0), default=0, show_default=True,
              help="Propose N new sites that close the most priority-weighted gap.")
@click.option("--asset-type", type=click.Choice(_ASSETS), default=None,
              help="Asset to propose (default: the first analysed).")
@click.option("--method", type=click.Choice(["greedy", "exact"]), default="greedy", show_default=True,
              help="Siting solver: greedy (any size, >= 63% of optimum) or exact (HiGHS MILP, small instances).")
@click.option("--spacing-m", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Candidate spacing along the gaps (default: light radius, half camera range / walk distance).")
@click.option("--light-radius-m", type=click.FloatRange(min=0), default=None,
              help="Lit radius of lights without their own radius_m (default: [coverage] light_radius_m, 25).")
@click.option("--camera-range-m", type=click.FloatRange(min=0), default=None,
              help="Range of cameras without their own range_m (default: [coverage] camera_range_m, 50).")
@click.option("--camera-fov-deg", type=click.FloatRange(min=0, max=360, min_open=True), default=None,
              help="Opening angle of cameras without their own fov_deg (default: [coverage] camera_fov_deg, 90).")
@click.option("--max-walk-m", type=click.FloatRange(min=0), default=None,
              help="Walking distance an SOS button serves (default: [coverage] sos_max_walk_m, 300).")
@click.option("--buildings", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Building footprints (polygons, any vector file) that block camera views.")
@click.option("--buildings-layer", default=None, help="Layer of --buildings inside a multi-layer file (GeoPackage).")
@click.option("--min-gap-m", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Leave out gaps shorter than this.")
@out_dir_opt
@lang_opt
@public_opt
@click.option("--no-tiles", is_flag=True, help="Leave out the online basemap (fully offline page).")
def coverage(study: Path, assets: list[str] | None, propose: int, asset_type: str | None, method: str,
             spacing_m: float | None, light_radius_m: float | None, camera_range_m: float | None,
             camera_fov_deg: float | None, max_walk_m: float | None, buildings: Path | None,
             buildings_layer: str | None, min_gap_m: float, out: Path, lang: str, public: bool,
             no_tiles: bool) -> None:
    """Coverage of the roads by street lights, CCTV cameras and SOS buttons, and where new ones would help.

    Per road segment: metres lit (within each light's radius), seen (inside
    a camera's sector; --buildings block the view) and within SOS reach
    (walking distance along the network).  Gaps are the uncovered stretches,
    weighted by priority (hazard zones, border districts, schools/markets and
    incidents nearby).
    Writes OUT/coverage.gpkg (layers segments, gaps, districts, proposals,
    and tambons / camera_sectors when present), OUT/coverage_summary.csv and
    OUT/coverage.html.

    Example: safegeo coverage data/demo/study.toml --assets lights,cameras,sos --propose 10 --asset-type lights --out out/coverage
    """
    from safegeo.coverage import analyze_coverage, write_coverage
    from safegeo.io import read_vector
    from safegeo.study import load_study

    if asset_type and not propose:
        raise click.UsageError("--asset-type only applies with --propose N")
    with command_stages("coverage", ["load study", "coverage", "write"]) as stage:
        with stage("load study"):
            st = load_study(study, layers=[*(assets or ("lights", "cameras", "sos")), "roads", "pois", "incidents",
                                           "hazards"])
            obstacles = read_vector(buildings, layer=buildings_layer) if buildings else None
        with stage("coverage"):
            result = analyze_coverage(st, assets=assets, obstacles=obstacles, propose=propose, asset_type=asset_type,
                                      method=method, spacing_m=spacing_m, light_radius_m=light_radius_m,
                                      camera_range_m=camera_range_m, camera_fov_deg=camera_fov_deg,
                                      sos_max_walk_m=max_walk_m, min_gap_m=min_gap_m)
        for line in result.report_lines():
            click.echo(line, err=True)
        with stage("write"):
            written = write_coverage(result, out, lang=lang, public=public, tiles=not no_tiles)
    for p in written:
        click.echo(str(p))


ALL = [coverage]
