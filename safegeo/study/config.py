"""Study file parsing: the ``study.toml`` sections, layer entries and the files they name."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from safegeo._errors import (
    LayerReadError,
    Problem,
    StudyFileError,
)
from safegeo.io import is_osm_path, is_raster_path, read_vector
from safegeo.schema import LAYER_SPECS
from safegeo.settings import DEFAULT_PARAMS, check_param_values, move_old_keys
from safegeo.study.model import HazardSource, LayerReport

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)


def _read_toml(path: Path) -> dict:
    if not path.exists():
        raise StudyFileError(f"{path}: study file not found", hint="give the path of a study.toml (see README)")
    try:
        # utf-8-sig: Windows Notepad saves UTF-8 with a byte-order mark
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise StudyFileError(f"{path}: not valid TOML ({exc})", hint="fix the syntax at the line given") from exc
    except UnicodeDecodeError as exc:
        raise StudyFileError(f"{path}: not UTF-8 text", hint="save the study file as UTF-8") from exc


#: Keys a [layers] entry may have (roads may instead name an online source; hazards add their own).
ENTRY_KEYS = ("path", "layer", "x", "y", "crs")
ONLINE_KEYS = ("place", "bbox", "polygon")
HAZARD_KEYS = ("kind", "name", "depth_threshold_m")


def _entry(path: Path, lname: str, raw: Any, *, number: int | None = None) -> dict:
    where = f"{lname} entry {number}" if number is not None else lname
    if isinstance(raw, str):
        return {"path": raw}
    if isinstance(raw, dict):
        known = ENTRY_KEYS + (ONLINE_KEYS if lname == "roads" else ()) + (HAZARD_KEYS if lname == "hazards" else ())
        typos = sorted(set(raw) - set(known))
        if typos:
            raise StudyFileError(f"{path}: unknown key(s) {', '.join(typos)} in [layers] {where}",
                                 hint=f"known keys: {', '.join(known)}")
        for key in ("path", "layer", "x", "y", "crs", "kind", "name", "place", "polygon"):
            if key in raw and not isinstance(raw[key], str):
                raise StudyFileError(f"{path}: [layers] {where}: {key} must be text in quotes, not {raw[key]!r}",
                                     hint=f'e.g. {key} = "{raw[key]}"')
        if "depth_threshold_m" in raw:
            thr = raw["depth_threshold_m"]
            if isinstance(thr, bool) or not isinstance(thr, (int, float)) or not np.isfinite(thr) or thr < 0:
                raise StudyFileError(f"{path}: [layers] {where}: depth_threshold_m must be a number of metres >= 0, "
                                     f"not {thr!r}", hint="e.g. depth_threshold_m = 0.3")
        return dict(raw)
    raise StudyFileError(f"{path}: [layers] {lname} must be a path string or a table like {{ path = \"...\" }}",
                         hint=f'e.g. {lname} = "{lname}.gpkg"')


@dataclass
class StudyFiles:
    """What a study file names, read but not yet validated."""

    cfg: dict
    frames: dict[str, gpd.GeoDataFrame]
    hazards: list[HazardSource]
    sources: dict[str, str]  # layer -> file (and layer) it came from, for messages
    failed: list[LayerReport]  # layers that could not be read at all
    roads_source: Any  # OSM file path, online dict, or None (roads is a line layer)
    raster_reports: list[LayerReport]

    @property
    def study_cfg(self) -> dict:
        return self.cfg.get("study", {})

    @property
    def params(self) -> dict:
        return {k: v for k, v in self.cfg.items() if k not in ("study", "layers")}


def read_study_layers(path: str | Path) -> StudyFiles:
    """Parse a study file and read its layers without validating them."""
    path = Path(path)
    cfg = move_old_keys(_read_toml(path), source=str(path))
    base = path.parent
    unknown_sections = set(cfg) - {"study", "layers"} - set(DEFAULT_PARAMS)
    if unknown_sections:
        raise StudyFileError(f"{path}: unknown section(s) [{'], ['.join(sorted(unknown_sections))}]",
                             hint=f"known sections: study, layers, {', '.join(DEFAULT_PARAMS)}")
    for section, defaults in DEFAULT_PARAMS.items():
        given = cfg.get(section, {})
        if not isinstance(given, dict):
            raise StudyFileError(f"{path}: [{section}] must be a table of settings",
                                 hint=f"known keys: {', '.join(defaults)}")
        typos = sorted(set(given) - set(defaults))
        if typos:
            raise StudyFileError(f"{path}: unknown setting(s) {', '.join(typos)} in [{section}]",
                                 hint=f"known keys in [{section}]: {', '.join(defaults)}")
    check_param_values(path, cfg)
    study_keys = sorted(set(cfg.get("study", {})) - {"name", "crs", "synthetic", "description"})
    if study_keys:
        raise StudyFileError(f"{path}: unknown setting(s) {', '.join(study_keys)} in [study]",
                             hint="known keys in [study]: name, crs, synthetic, description")
    layers_cfg = cfg.get("layers")
    if not isinstance(layers_cfg, dict) or not layers_cfg:
        raise StudyFileError(f"{path}: no [layers] section", hint='add [layers] with at least roads = "..."')
    unknown = set(layers_cfg) - set(LAYER_SPECS)
    if unknown:
        raise StudyFileError(f"{path}: unknown layer(s) {', '.join(sorted(unknown))} in [layers]",
                             hint=f"known layers: {', '.join(LAYER_SPECS)}")
    frames: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, str] = {}
    failed: list[LayerReport] = []
    hazards: list[HazardSource] = []
    raster_reports: list[LayerReport] = []
    roads_source: Any = None

    def read_one(lname: str, entry: dict) -> gpd.GeoDataFrame | None:
        file = base / str(entry["path"])
        src = str(entry["path"]) + (f" (layer {entry['layer']})" if entry.get("layer") else "")
        sources[lname] = src
        try:
            return read_vector(file, layer=entry.get("layer"), x=entry.get("x"), y=entry.get("y"), crs=entry.get("crs"))
        except LayerReadError as exc:
            failed.append(LayerReport(lname, src, 0, [Problem(lname, str(exc).split("\n")[0].split(": ", 1)[-1], "error",
                                                              src, fix=exc.hint)]))
            return None

    for lname, raw in layers_cfg.items():
        if lname == "hazards":
            items = raw if isinstance(raw, list) else [raw]
            for i, item in enumerate(items):
                entry = _entry(path, "hazards", item, number=i + 1)
                if "path" not in entry:
                    raise StudyFileError(f"{path}: hazards entry {i + 1} has no path", hint='e.g. { path = "flood.gpkg", kind = "flood" }')
                kind = str(entry.get("kind", "hazard"))
                hname = str(entry.get("name") or entry.get("layer") or Path(entry["path"]).stem)
                if any(h.name == hname for h in hazards):
                    hname = f"{hname}_{i + 1}"
                file = base / str(entry["path"])
                if is_raster_path(file):
                    sources[f"hazard:{hname}"] = str(entry["path"])
                    if not file.exists():
                        failed.append(LayerReport(f"hazards[{hname}]", str(entry["path"]), 0, [Problem(
                            f"hazards[{hname}]", "file not found", "error", str(entry["path"]),
                            fix="check the path (relative to the study file)")]))
                        continue
                    problem = _check_raster(file)
                    rep = LayerReport(f"hazards[{hname}]", str(entry["path"]), None)
                    if problem:
                        rep.problems.append(Problem(rep.name, problem[0], "error", rep.source, fix=problem[1]))
                        failed.append(rep)
                        continue
                    raster_reports.append(rep)
                    thr = entry.get("depth_threshold_m")
                    hazards.append(HazardSource(hname, kind, raster_path=file,
                                                depth_threshold_m=float(thr) if thr is not None else None))
                else:
                    gdf = read_one(f"hazard:{hname}", entry)
                    if gdf is not None:
                        hazards.append(HazardSource(hname, kind, polygons=gdf))
            continue
        entry = _entry(path, lname, raw)
        if lname == "roads" and "path" not in entry:
            online = {k: entry[k] for k in ("place", "bbox", "polygon") if k in entry}
            if not online:
                raise StudyFileError(f"{path}: roads needs a path, or one of place / bbox / polygon for an OSM download",
                                     hint='e.g. roads = "roads.osm.pbf" or roads = { place = "Tak Bai, Narathiwat, Thailand" }')
            roads_source = online
            continue
        if "path" not in entry:
            raise StudyFileError(f"{path}: [layers] {lname} has no path", hint=f'e.g. {lname} = {{ path = "{lname}.gpkg" }}')
        if lname == "roads" and is_osm_path(entry["path"]):
            file = base / str(entry["path"])
            sources["roads"] = str(entry["path"])
            if not file.exists():
                failed.append(LayerReport("roads", str(entry["path"]), 0, [Problem(
                    "roads", "file not found", "error", str(entry["path"]), fix="check the path (relative to the study file)")]))
            roads_source = file
            continue
        gdf = read_one(lname, entry)
        if gdf is not None:
            frames[lname] = gdf
    return StudyFiles(cfg, frames, hazards, sources, failed, roads_source, raster_reports)




def _check_raster(path: Path) -> tuple[str, str] | None:
    """(problem, fix) when a hazard raster cannot be used, else None."""
    import rasterio

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                return ("the raster has no CRS", "assign one with gdal_edit.py -a_srs EPSG:32647 (or the right code)")
            if src.count < 1:
                return ("the raster has no band", "use a single-band GeoTIFF of depth in metres")
    except rasterio.errors.RasterioIOError as exc:
        return (f"cannot read the raster ({exc})", "use a GeoTIFF")
    return None

