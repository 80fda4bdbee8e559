"""``safegeo init``: write a first study.toml guessed from the user's files."""

from __future__ import annotations

from pathlib import Path

import click

from safegeo.cli.options import check_new_file, overwrite_opt


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("study.toml"),
              show_default=True, help="The study file to write.")
@overwrite_opt
def init(files: tuple[Path, ...], out: Path, overwrite: bool) -> None:
    """Write a study.toml for FILES, guessing the layer each one holds.

    Every file is opened (each layer of a GeoPackage; GeoJSON, Shapefile,
    CSV with lon/lat, GeoParquet, .osm/.osm.pbf, GeoTIFF) and its layer,
    column mapping and reading options are guessed from its geometry, its
    columns and its name. Guesses are marked GUESS in comments, with hints
    for where / clip; check them, then run safegeo validate. Example:

        safegeo init amphoe.geojson hc12_hos.geojson roads.osm.pbf --out study.toml
    """
    from safegeo.init import init_study
    from safegeo.io import write_text_atomic

    check_new_file(out, overwrite)
    text = init_study(files, base_dir=out.parent if str(out.parent) else Path("."))
    write_text_atomic(out, text)
    click.echo(str(out))


ALL = [init]
