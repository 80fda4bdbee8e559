"""Options shared by several commands, defined once (after rio's ``options.py``)."""

from __future__ import annotations

from pathlib import Path

import click

from safegeo.schema import LAYER_SPECS


def _check_study(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    if value is None:
        return None
    p = Path(value)
    if p.is_dir() and (p / "study.toml").exists():
        p = p / "study.toml"
    if not p.exists():
        raise click.BadParameter(f"{value}: no such file (give the path of a study.toml)", ctx=ctx, param=param)
    if p.is_dir():
        raise click.BadParameter(f"{value} is a folder without study.toml", ctx=ctx, param=param)
    return p


study_arg = click.argument("study", metavar="STUDY.toml", callback=_check_study)

out_dir_opt = click.option(
    "--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
    help="Output folder (created if missing).",
)


def _check_lang(ctx: click.Context, param: click.Parameter, value: str) -> str:
    return value.lower()


lang_opt = click.option(
    "--lang", type=click.Choice(["en", "th"], case_sensitive=False), default="en", show_default=True,
    callback=_check_lang, help="Map label language: English or Thai.",
)
public_opt = click.option(
    "--public", is_flag=True,
    help="Publishable output: leave out personal data (contacts, owners, drivers, notes) and remove phone "
         "numbers, e-mail addresses and LINE ids from other text.",
)
strict_opt = click.option("--strict", is_flag=True,
                          help="Refuse invalid geometries instead of repairing them (with a warning).")
overwrite_opt = click.option("--overwrite", is_flag=True, help="Replace existing output files.")


def parse_layers(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if not value:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in LAYER_SPECS]
    if unknown:
        raise click.BadParameter(
            f"unknown layer(s) {', '.join(unknown)}; choose from {', '.join(LAYER_SPECS)}", ctx=ctx, param=param)
    return names


layers_opt = click.option("--layers", callback=parse_layers, help="Comma-separated layers to include (default: all).")


def check_new_file(out: Path, overwrite: bool) -> None:
    """Refuse to replace an existing file unless --overwrite (nothing saved is lost)."""
    if out.exists() and not overwrite:
        raise click.UsageError(f"{out} exists; pass --overwrite to replace it")

no_tiles_opt = click.option("--no-tiles", is_flag=True,
                            help="Leave the online basemap out entirely (no URL in the page).")
show_basemap_opt = click.option(
    "--show-basemap", is_flag=True,
    help="Draw the OpenStreetMap basemap when the page opens (needs a network; by default it is listed "
         "in the layer control, switched off, so the page makes no request).")
