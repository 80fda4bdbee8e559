"""Study file parsing: the ``study.toml`` sections, layer entries and the files they name.

A layer entry names a file and says how to read it, so that real files go in
as they are::

    [layers]
    shelters = [ { path = "hc12_hos.geojson", columns = { capacity = "bed" }, defaults = { kind = "hospital" }, clip = true },
                 { path = "schools.csv", x = "lon", y = "lat", defaults = { kind = "shelter" } } ]
    [layers.districts]
    path = "tha_adm2.shp"
    where = "adm1_pcode = 'TH96'"
    encoding = "cp874"
    columns = { district_id = "adm2_pcode", name_en = "adm2_en", name_th = "adm2_th" }

Entry keys: ``path``, ``layer`` (inside a GeoPackage), ``x``/``y``/``crs`` (CSV
coordinates, or the CRS of a file that has none), ``columns`` (safegeo name =
the file's column), ``where`` (an SQL attribute filter), ``clip`` (keep only
features inside the study area), ``encoding`` (of a Shapefile ``.dbf`` or a
CSV), ``defaults`` (a value for every feature where the column is missing or
empty).  A layer may list several entries; their features are put together.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import (
    LayerReadError,
    Problem,
    StudyFileError,
)
from safegeo._validate import check_overlap
from safegeo.io import ROWS_ATTR, FileRows, file_rows, is_osm_path, is_raster_path, read_vector, shapefile_text_encoding
from safegeo.schema import LAYER_SPECS, TABLE_LAYERS
from safegeo.settings import DEFAULT_PARAMS, check_param_values, move_old_keys
from safegeo.study.model import HazardSource, LayerReport, PopulationSource

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
ENTRY_KEYS = ("path", "layer", "x", "y", "crs", "columns", "where", "clip", "encoding", "defaults")
ONLINE_KEYS = ("place", "bbox", "polygon")
HAZARD_KEYS = ("kind", "name", "depth_threshold_m")
#: Keys of a ``population`` raster entry.
POPULATION_KEYS = ("path", "group", "kind", "name")
#: What a population raster holds.
POPULATION_KINDS = ("count", "density")
#: Keys that say how to read a vector file: not for OSM files, online roads or rasters.
READING_KEYS = ("layer", "x", "y", "columns", "where", "clip", "encoding", "defaults")

#: ``GeoDataFrame.attrs`` key of how many features the file has (before where / clip).
_TOTAL_ATTR = "safegeo_file_features"


def drop_reading_attrs(frames: list[gpd.GeoDataFrame]) -> None:
    """Forget what reading kept in ``attrs`` (file rows, feature counts) once the layers are validated."""
    for frame in frames:
        for key in (ROWS_ATTR, _TOTAL_ATTR):
            frame.attrs.pop(key, None)


def known_columns(lname: str) -> list[str]:
    """The columns safegeo knows for layer *lname*: its id column first, then the spec's columns."""
    spec = LAYER_SPECS[lname]
    return ([spec.id_column] if spec.id_column else []) + [c.name for c in spec.columns]


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
        for key in ("path", "layer", "x", "y", "crs", "kind", "name", "place", "polygon", "where", "encoding"):
            if key in raw and not isinstance(raw[key], str):
                raise StudyFileError(f"{path}: [layers] {where}: {key} must be text in quotes, not {raw[key]!r}",
                                     hint=f'e.g. {key} = "{raw[key]}"')
        if "depth_threshold_m" in raw:
            thr = raw["depth_threshold_m"]
            if isinstance(thr, bool) or not isinstance(thr, (int, float)) or not np.isfinite(thr) or thr < 0:
                raise StudyFileError(f"{path}: [layers] {where}: depth_threshold_m must be a number of metres >= 0, "
                                     f"not {thr!r}", hint="e.g. depth_threshold_m = 0.3")
        if "clip" in raw:
            if not isinstance(raw["clip"], bool):
                raise StudyFileError(f"{path}: [layers] {where}: clip must be true or false, not {raw['clip']!r}",
                                     hint="clip = true")
            if raw["clip"] and lname == "districts":
                raise StudyFileError(f"{path}: [layers] {where}: districts cannot be clipped: they are the study area",
                                     hint="choose the districts with where, e.g. where = \"adm1_pcode = 'TH96'\"")
        if "where" in raw and not raw["where"].strip():
            raise StudyFileError(f"{path}: [layers] {where}: where is empty",
                                 hint="remove it, or give a filter such as where = \"prov_code = '96'\"")
        known_cols = known_columns(lname)
        for key in ("columns", "defaults"):
            if key not in raw:
                continue
            table = raw[key]
            example = ('columns = { population = "POP_2024" }' if key == "columns" else 'defaults = { kind = "hospital" }')
            if not isinstance(table, dict):
                raise StudyFileError(f"{path}: [layers] {where}: {key} must be a table, not {table!r}",
                                     hint=f"e.g. {example}")
            unknown = sorted(set(table) - set(known_cols))
            if unknown:
                raise StudyFileError(
                    f"{path}: [layers] {where}: {key} names column(s) safegeo does not know for {lname}: "
                    f"{', '.join(unknown)}",
                    hint=(f"the left-hand side is safegeo's name; {lname} has: {', '.join(known_cols) or 'no columns'}"
                          f" (e.g. {example})"))
            for k, v in table.items():
                if key == "columns" and (not isinstance(v, str) or not v):
                    raise StudyFileError(f"{path}: [layers] {where}: columns.{k} must be the file's column name in "
                                         f"quotes, not {v!r}", hint=f'e.g. columns = {{ {k} = "MY_COLUMN" }}')
                if key == "defaults" and (not isinstance(v, (str, int, float, bool)) or
                                          (isinstance(v, float) and not np.isfinite(v))):
                    raise StudyFileError(f"{path}: [layers] {where}: defaults.{k} must be text, a number or "
                                         f"true/false, not {v!r}", hint=f"e.g. {example}")
            if key == "columns":
                sources = list(table.values())
                twice = sorted({v for v in sources if sources.count(v) > 1})
                if twice:
                    raise StudyFileError(f"{path}: [layers] {where}: columns maps the file's {', '.join(twice)} to "
                                         "more than one safegeo column", hint="map each file column once")
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
    #: what reading found for layers that were read: clip counts, encodings, mappings (warnings and notes)
    notes: dict[str, list[Problem]] = field(default_factory=dict)
    #: layer -> (min lon, min lat, max lon, max lat) of what was read (OSM header box, raster bounds)
    extents: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    #: population rasters (``[layers] population``)
    population: list[PopulationSource] = field(default_factory=list)
    #: layers not read yet (``read_study_layers(only=...)``)
    deferred: list[str] = field(default_factory=list)

    @property
    def study_cfg(self) -> dict:
        return self.cfg.get("study", {})

    @property
    def params(self) -> dict:
        return {k: v for k, v in self.cfg.items() if k not in ("study", "layers")}


@dataclass
class _Part:
    """One entry of a layer, read."""

    lname: str  # layer name, or hazards[name]
    entry: dict
    src: str
    gdf: gpd.GeoDataFrame


def read_study_layers(path: str | Path, *, only: Collection[str] | None = None) -> StudyFiles:
    """Parse a study file and read its layers without validating them.

    With *only*, just those layers are read (``"hazards"`` and ``"population"``
    name the raster and hazard entries); the others are listed in
    :attr:`StudyFiles.deferred` to be read when first used.

    Each entry is read with its ``where`` filter and ``encoding``, its
    ``columns`` renamed to safegeo's names and its ``defaults`` filled; then
    entries with ``clip = true`` keep only the features inside the study area
    (the districts, else the extent of the other layers).  Layers that lie
    elsewhere (roads on another continent, a hazard raster beside the study
    area) are reported as failed, so that the working CRS is never picked
    from them.
    """
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
    unknown = set(layers_cfg) - set(LAYER_SPECS) - {"population"}
    if unknown:
        raise StudyFileError(f"{path}: unknown layer(s) {', '.join(sorted(unknown))} in [layers]",
                             hint=f"known layers: {', '.join([*LAYER_SPECS, 'population'])}")
    sources: dict[str, str] = {}
    population: list[PopulationSource] = []
    failed: dict[str, LayerReport] = {}
    notes: dict[str, list[Problem]] = {}
    raster_reports: list[LayerReport] = []
    extents: dict[str, tuple[float, float, float, float]] = {}
    roads_source: Any = None
    parts: dict[str, list[_Part]] = {}
    hazard_info: dict[str, tuple[str, dict]] = {}  # hazards[name] -> (name, entry) of polygon hazards
    rasters: list[tuple[str, HazardSource, LayerReport]] = []
    hazard_order: list[str] = []  # hazard names in file order

    def fail(lname: str, src: str, message: str, fix: str | None, *, features: int | None = 0) -> None:
        rep = failed.setdefault(lname, LayerReport(lname, src, features))
        rep.problems.append(Problem(lname, message, "error", src, fix=fix))

    def read_part(lname: str, entry: dict) -> None:
        file = base / str(entry["path"])
        src = str(entry["path"]) + (f" (layer {entry['layer']})" if entry.get("layer") else "")
        try:
            gdf = _read_entry(file, lname, entry, src, notes.setdefault(lname, []))
        except LayerReadError as exc:
            fail(lname, src, str(exc).split("\n")[0].split(": ", 1)[-1], exc.hint)
            return
        parts.setdefault(lname, []).append(_Part(lname, entry, src, gdf))

    deferred: list[str] = []
    for lname, raw in layers_cfg.items():
        osm_roads = lname == "roads" and (isinstance(raw, (str, dict)) and (
            is_osm_path(raw if isinstance(raw, str) else str(raw.get("path", ""))) or
            (isinstance(raw, dict) and "path" not in raw)))
        if only is not None and lname not in only and not osm_roads:
            deferred.append(lname)  # read when first used (StudyArea.layers loads it)
            continue
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise StudyFileError(f"{path}: [layers] {lname} is an empty list", hint=f'e.g. {lname} = "{lname}.gpkg"')
        numbered = isinstance(raw, list) and (len(items) > 1 or lname == "hazards")
        if lname == "population":
            for i, item in enumerate(items):
                pop = _population_entry(path, base, item, i + 1, [p.name for p in population])
                src = str(pop.raster_path.relative_to(base)) if pop.raster_path.is_relative_to(base) else str(
                    pop.raster_path)
                label = f"population[{pop.name}]"
                if not pop.raster_path.exists():
                    fail(label, src, "file not found", "check the path (relative to the study file)", features=None)
                    continue
                problem, box = _check_raster(pop.raster_path)
                if problem:
                    fail(label, src, problem[0], problem[1], features=None)
                    continue
                if box is not None:
                    extents[label] = box
                population.append(pop)
                raster_reports.append(LayerReport(label, src, None))
            continue
        if lname == "hazards":
            for i, item in enumerate(items):
                entry = _entry(path, "hazards", item, number=i + 1)
                if "path" not in entry:
                    raise StudyFileError(f"{path}: hazards entry {i + 1} has no path",
                                         hint='e.g. { path = "flood.gpkg", kind = "flood" }')
                hname = str(entry.get("name") or entry.get("layer") or Path(entry["path"]).stem)
                if f"hazards[{hname}]" in hazard_info or any(r[0] == hname for r in rasters):
                    hname = f"{hname}_{i + 1}"
                label = f"hazards[{hname}]"
                hazard_order.append(hname)
                file = base / str(entry["path"])
                sources[f"hazard:{hname}"] = str(entry["path"]) + (f" (layer {entry['layer']})" if entry.get("layer")
                                                                   else "")
                if is_raster_path(file):
                    extra = sorted(set(entry) & set(READING_KEYS) - {"layer"}) + (["layer"] if "layer" in entry else [])
                    if extra:
                        raise StudyFileError(f"{path}: hazards entry {i + 1}: {', '.join(extra)} do(es) not apply to "
                                             "a raster", hint="a raster entry takes path, kind, name and "
                                                              "depth_threshold_m")
                    src = str(entry["path"])
                    if not file.exists():
                        fail(label, src, "file not found", "check the path (relative to the study file)", features=None)
                        continue
                    if "kind" not in entry:
                        fail(label, src, "has no kind: every hazard needs one (safe_for and the maps use it)",
                             'add kind to the entry, e.g. { path = "' + src + '", kind = "flood" } '
                             "(flood, landslide, storm_surge, ...)", features=None)
                    problem, box = _check_raster(file)
                    if problem:
                        fail(label, src, problem[0], problem[1], features=None)
                    if label in failed:
                        continue
                    if box is not None:
                        extents[label] = box
                    thr = entry.get("depth_threshold_m")
                    rasters.append((hname, HazardSource(hname, str(entry["kind"]), raster_path=file,
                                                        depth_threshold_m=float(thr) if thr is not None else None),
                                    LayerReport(label, src, None)))
                else:
                    hazard_info[label] = (hname, entry)
                    read_part(label, entry)
            continue
        for i, item in enumerate(items):
            entry = _entry(path, lname, item, number=i + 1 if numbered else None)
            if lname == "roads" and "path" not in entry:
                online = {k: entry[k] for k in ONLINE_KEYS if k in entry}
                if not online:
                    raise StudyFileError(f"{path}: roads needs a path, or one of place / bbox / polygon for an OSM "
                                         "download", hint='e.g. roads = "roads.osm.pbf" or roads = { place = '
                                                          '"Tak Bai, Narathiwat, Thailand" }')
                if len(items) > 1 or set(entry) & set(READING_KEYS):
                    raise StudyFileError(f"{path}: [layers] roads: an online source is one entry with place, bbox or "
                                         "polygon only", hint='e.g. roads = { place = "Tak Bai, Narathiwat, Thailand" }')
                roads_source = online
                box = _online_box(online)
                if box is not None:
                    extents["roads"] = box
                continue
            if "path" not in entry:
                raise StudyFileError(f"{path}: [layers] {lname} has no path",
                                     hint=f'e.g. {lname} = {{ path = "{lname}.gpkg" }}')
            if lname == "roads" and is_osm_path(entry["path"]):
                extra = sorted(set(entry) & set(READING_KEYS))
                if len(items) > 1 or extra:
                    raise StudyFileError(
                        f"{path}: [layers] roads: an OSM file is read as it is"
                        + (f" ({', '.join(extra)} do(es) not apply)" if extra else " (one file, not a list)"),
                        hint='give one entry, e.g. roads = "roads.osm.pbf" (cut the extract with osmium extract)')
                file = base / str(entry["path"])
                sources["roads"] = str(entry["path"])
                if not file.exists():
                    fail("roads", str(entry["path"]), "file not found", "check the path (relative to the study file)",
                         features=None)
                    continue
                box, problem = _osm_box(file)
                if problem:
                    fail("roads", str(entry["path"]), problem[0], problem[1], features=None)
                    continue
                if box is not None:
                    extents["roads"] = box
                roads_source = file
                continue
            read_part(lname, entry)

    frames = _clip_and_combine(parts, failed, notes, sources, extents)
    hazards: list[HazardSource] = []
    for label, (hname, entry) in hazard_info.items():
        gdf = frames.pop(label, None)
        if gdf is None:
            continue
        if "kind" not in entry and "kind" not in gdf.columns:
            fail(label, sources.get(f"hazard:{hname}", hname),
                 "has no kind: every hazard needs one (no kind in the entry and no 'kind' column)",
                 'add kind to the entry, e.g. kind = "flood", or map a column: columns = { kind = "..." }')
            continue
        kind = entry.get("kind")
        if kind is None:  # the layer's own kind column: its one value, or the most common one
            kinds = gdf["kind"].astype("string").str.strip().str.lower().dropna()
            kind = kinds.mode().iloc[0] if len(kinds) else "hazard"
            if kinds.nunique() > 1:
                notes.setdefault(label, []).append(Problem(
                    label, f"holds several kinds ({', '.join(sorted(kinds.unique()))}); the entry is treated as {kind!r}",
                    "warning", sources.get(f"hazard:{hname}", hname), "kind",
                    fix="split it into one entry per kind (where = \"kind = 'flood'\") to keep them apart"))
        hazards.append(HazardSource(hname, str(kind), polygons=gdf))

    # layers that lie elsewhere: reported, and left out of everything after (the working CRS above all)
    labels = {f"hazards[{h.name}]": h for h in hazards}
    layer_src = {**sources, **{k: sources.get(f"hazard:{k[8:-1]}", k) for k in extents if k.startswith("hazards[")}}
    for p in check_overlap({k: v for k, v in extents.items() if k not in failed}, sources=layer_src):
        counted = p.layer in frames or p.layer in labels
        fail(p.layer, p.source or p.layer, p.message, p.fix,
             features=len(frames[p.layer]) if p.layer in frames else (len(labels[p.layer].polygons) if counted else None))
        frames.pop(p.layer, None)
        if p.layer in labels:
            hazards.remove(labels[p.layer])
        if p.layer == "roads":
            roads_source = None
    for _, hz, rep in rasters:
        if rep.name not in failed:
            hazards.append(hz)
            raster_reports.append(rep)
    order = list(hazard_order)
    hazards.sort(key=lambda h: order.index(h.name))
    for lname, rep in failed.items():
        rep.problems[:0] = [p for p in notes.pop(lname, []) if p not in rep.problems]
    notes = {k: v for k, v in notes.items() if v}
    population = [p for p in population if f"population[{p.name}]" not in failed]
    raster_reports = [r for r in raster_reports if r.name not in failed]
    return StudyFiles(cfg, frames, hazards, sources, list(failed.values()), roads_source, raster_reports, notes,
                      {k: v for k, v in extents.items() if k not in failed}, population, deferred)


def _population_entry(path: Path, base: Path, raw: Any, number: int, taken: list[str]) -> PopulationSource:
    """One ``population`` raster entry: ``{ path = "u5.tif", group = "under5", kind = "count" }``."""
    where = f"[layers] population entry {number}"
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict) or "path" not in raw:
        raise StudyFileError(f"{path}: {where} needs a path",
                             hint='e.g. population = [{ path = "pop.tif", group = "total" }]')
    typos = sorted(set(raw) - set(POPULATION_KEYS))
    if typos:
        raise StudyFileError(f"{path}: unknown key(s) {', '.join(typos)} in {where}",
                             hint=f"known keys: {', '.join(POPULATION_KEYS)}")
    for key in POPULATION_KEYS:
        if key in raw and not isinstance(raw[key], str):
            raise StudyFileError(f"{path}: {where}: {key} must be text in quotes, not {raw[key]!r}",
                                 hint=f'e.g. {key} = "{raw[key]}"')
    kind = str(raw.get("kind", "count")).strip().lower()
    if kind not in POPULATION_KINDS:
        raise StudyFileError(f"{path}: {where}: kind must be \"count\" (people per cell) or \"density\" "
                             f"(people per km²), not {raw['kind']!r}", hint='e.g. kind = "count" for WorldPop ppp rasters')
    file = base / str(raw["path"])
    if not is_raster_path(file):
        raise StudyFileError(f"{path}: {where}: {raw['path']} is not a raster (GeoTIFF)",
                             hint="population comes from rasters here; villages carry their own population column")
    name = str(raw.get("name") or Path(raw["path"]).stem)
    if name in taken:
        name = f"{name}_{number}"
    return PopulationSource(name, str(raw.get("group", "total")).strip() or "total", file, kind)


# --------------------------------------------------------------------------------------------------
# one entry: read, filter, rename, fill
# --------------------------------------------------------------------------------------------------


def _read_entry(file: Path, lname: str, entry: dict, src: str, notes: list[Problem]) -> gpd.GeoDataFrame:
    """Read one layer entry (where, encoding), rename its ``columns`` and fill its ``defaults``."""

    def note(message: str, severity: str = "info", fix: str | None = None) -> None:
        notes.append(Problem(lname, message, severity, src, fix=fix))

    encoding = entry.get("encoding")
    if encoding is None and file.suffix.lower() == ".shp" and file.exists():
        found = shapefile_text_encoding(file)
        if found == "utf-8":
            encoding = "utf-8"
            note("the Shapefile has no .cpg file; its text is valid UTF-8 and was read as UTF-8",
                 fix='say so to silence this: encoding = "utf-8"')
        elif found == "cp874":
            note("the Shapefile has no .cpg file and its text is not UTF-8: it reads as Thai in TIS-620, so names "
                 "would be garbled (mojibake)", "warning",
                 fix='add encoding = "cp874" to the entry (TIS-620 / Windows-874, the Thai legacy code page)')
        elif found == "unknown":
            note("the Shapefile has no .cpg file and its text is not UTF-8: names would be garbled (mojibake)",
                 "warning", fix='name the encoding in the entry, e.g. encoding = "cp874" (Thai) or "cp1252"')
    gdf = read_vector(file, layer=entry.get("layer"), x=entry.get("x"), y=entry.get("y"), crs=entry.get("crs"),
                      table_ok=lname in TABLE_LAYERS,
                      where=entry.get("where"), encoding=encoding)
    total = len(gdf)
    if ROWS_ATTR in gdf.attrs:
        total = _count_features(file, entry, default=len(gdf))
        note(f"where {entry['where']!r} kept {len(gdf)} of {total} features")
    gdf.attrs[_TOTAL_ATTR] = total
    gdf = _apply_columns(gdf, lname, entry.get("columns") or {}, src, note)
    _check_case_duplicates(gdf, lname, src)
    for col, value in (entry.get("defaults") or {}).items():
        if col in gdf.columns:
            empty = gdf[col].isna() | (gdf[col].astype(str).str.strip() == "")
            if empty.any():
                gdf[col] = gdf[col].astype(object).where(~empty, value)
                note(f"defaults filled {int(empty.sum())} empty value(s) of '{col}' with {value!r}")
        else:
            gdf[col] = value
    return gdf


def _count_features(file: Path, entry: dict, *, default: int) -> int:
    """How many features the file has before the where filter."""
    if file.suffix.lower() in (".csv", ".tsv", ".txt", ".parquet", ".geoparquet"):
        try:
            if file.suffix.lower() in (".parquet", ".geoparquet"):
                import pyarrow.parquet as pq

                return int(pq.ParquetFile(file).metadata.num_rows)
            return int(len(pd.read_csv(file, usecols=[0], sep="\t" if file.suffix.lower() == ".tsv" else ",",
                                       encoding=entry.get("encoding") or "utf-8-sig")))
        except Exception:
            return default
    try:
        import pyogrio

        return int(pyogrio.read_info(file, layer=entry.get("layer"), force_feature_count=True)["features"])
    except Exception:
        return default


def _apply_columns(gdf: gpd.GeoDataFrame, lname: str, mapping: dict[str, str], src: str, note) -> gpd.GeoDataFrame:
    """Rename the file's columns to safegeo's names (exact name first, else the one that differs only in case)."""
    if not mapping:
        return gdf
    cols = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    renames: dict[str, str] = {}
    missing = []
    for target, source in mapping.items():
        if source in cols:
            renames[source] = target
            continue
        alike = [c for c in cols if c.lower() == source.lower()]
        if len(alike) == 1:
            renames[alike[0]] = target
        else:
            missing.append(f"{target} = \"{source}\"")
    if missing:
        raise LayerReadError(f"{src}: columns maps {', '.join(missing)}, but the file has no such column",
                             hint=f"the right-hand side is the file's column; the file has: {', '.join(cols)}")
    replaced = [t for s, t in renames.items() if t in cols and t not in renames and s != t]
    if replaced:
        gdf = gdf.drop(columns=replaced)
        note(f"the file's own column(s) {', '.join(repr(t) for t in replaced)} replaced by the mapped column(s)")
    return gdf.rename(columns=renames)


def _check_case_duplicates(gdf: gpd.GeoDataFrame, lname: str, src: str) -> None:
    """Columns whose names differ only in case are an error: GeoPackages, Shapefiles and SQL cannot hold both.

    The rule: the study file must say which one to use (``columns``), or the file must be fixed.
    """
    seen: dict[str, str] = {}
    base = lname.split("[")[0]
    for c in gdf.columns:
        key = str(c).lower()
        if key in seen:
            first = seen[key]
            if key in known_columns(base):
                fix = (f"say which one is safegeo's {key}: columns = {{ {key} = \"{first}\" }} uses '{first}' "
                       f"and leaves '{c}' out; or rename or delete one in the file")
            else:
                fix = "rename or delete one of them in the file"
            raise LayerReadError(f"{src}: columns '{first}' and '{c}' differ only in case; GeoPackages, Shapefiles "
                                 "and SQL filters cannot tell them apart", hint=fix)
        seen[key] = str(c)


# --------------------------------------------------------------------------------------------------
# clip, and several entries of one layer put together
# --------------------------------------------------------------------------------------------------


def _lonlat_box(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of a layer, or None when it has no usable extent."""
    if gdf.crs is None or len(gdf) == 0:
        return None
    b = np.asarray(gdf.total_bounds, dtype=float)
    if not np.all(np.isfinite(b)):
        return None
    if not gdf.crs.is_geographic:
        from pyproj import Transformer

        try:
            t = Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)
            b = np.asarray(t.transform_bounds(*b, densify_pts=21), dtype=float)
        except Exception:
            return None
    if not np.all(np.isfinite(b)) or not (-180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90):
        return None
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _clip_area(parts: dict[str, list[_Part]], extents: dict) -> tuple[Any, Any, str] | None:
    """(area, its CRS, description) of the study area for clip: the districts, else the other layers' extent."""
    districts = [p.gdf for p in parts.get("districts", []) if p.gdf.crs is not None and len(p.gdf)]
    if districts:
        crs = districts[0].crs
        geoms = np.concatenate([d.to_crs(crs).geometry.values for d in districts])
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        area = shapely.union_all(shapely.make_valid(geoms))
        return area, crs, f"the {len(geoms)} district polygons"
    boxes = {}
    for lname, plist in parts.items():
        for p in plist:
            if not p.entry.get("clip"):
                box = _lonlat_box(p.gdf)
                if box is not None:
                    boxes[lname] = box
    boxes.update({k: v for k, v in extents.items() if k not in boxes})
    if not boxes:
        return None
    arr = np.array(list(boxes.values()))
    b = (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())
    return (shapely.box(*b), "EPSG:4326",
            f"the extent of {', '.join(boxes)} (lon {b[0]:.2f}–{b[2]:.2f}, lat {b[1]:.2f}–{b[3]:.2f})")


def _clip(part: _Part, area: Any, area_crs: Any, what: str) -> tuple[gpd.GeoDataFrame, str]:
    gdf = part.gdf
    geom = gdf.geometry.to_crs(area_crs).values
    shapely.prepare(area)
    usable = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    inside = np.zeros(len(gdf), dtype=bool)
    inside[usable] = shapely.intersects(area, geom[usable])
    lines_or_areas = usable & ~np.isin(shapely.get_type_id(geom), (0, 4))
    # a line or polygon that only touches the study area's edge is not inside it
    inside[lines_or_areas] &= ~shapely.touches(area, geom[lines_or_areas])
    rows = file_rows(gdf)
    attrs = dict(gdf.attrs)
    out = gdf[inside].reset_index(drop=True)
    out.attrs.update(attrs)
    out.attrs[ROWS_ATTR] = FileRows(rows[inside])
    message = f"clip = true kept {int(inside.sum())} of {len(gdf)} features inside {what}; " \
              f"{int((~inside).sum())} dropped"
    return out, message


def _clip_and_combine(parts: dict[str, list[_Part]], failed: dict[str, LayerReport], notes: dict[str, list[Problem]],
                      sources: dict[str, str], extents: dict) -> dict[str, gpd.GeoDataFrame]:
    """Apply ``clip``, put several entries of one layer together, and record each layer's source and extent."""
    area = None
    if any(p.entry.get("clip") for plist in parts.values() for p in plist):
        area = _clip_area(parts, extents)
    frames: dict[str, gpd.GeoDataFrame] = {}
    for lname, plist in parts.items():
        if lname in failed:  # one entry failed: the layer is reported as failed, with every entry's problem
            continue
        done: list[_Part] = []
        for part in plist:
            if part.entry.get("clip"):
                if area is None:
                    failed[lname] = LayerReport(lname, part.src, 0, [Problem(
                        lname, "clip = true needs districts or another layer to clip to", "error", part.src,
                        fix="add the districts layer, or remove clip")])
                    break
                if part.gdf.crs is None:
                    failed[lname] = LayerReport(lname, part.src, 0, [Problem(
                        lname, "clip = true needs the layer's CRS, and it has none", "error", part.src,
                        fix='name it in the entry, e.g. crs = "EPSG:4326"')])
                    break
                gdf, message = _clip(part, *area)
                notes.setdefault(lname, []).append(Problem(lname, message, "warning", part.src))
                part = _Part(lname, part.entry, part.src, gdf)
            done.append(part)
        if lname in failed:
            continue
        label = lname if not lname.startswith("hazards[") else f"hazard:{lname[8:-1]}"
        if len(done) == 1:
            frames[lname] = done[0].gdf
            sources[label] = done[0].src
        else:
            combined = _combine(lname, done)
            if isinstance(combined, Problem):
                failed[lname] = LayerReport(lname, combined.source or lname, 0, [combined])
                continue
            frames[lname], sources[label] = combined
        box = _lonlat_box(frames[lname])
        if box is not None:
            extents[lname] = box
    return frames


def _combine(lname: str, parts: list[_Part]) -> tuple[gpd.GeoDataFrame, str] | Problem:
    """Several entries of one layer as one frame; row numbers count on from one file to the next."""
    crs = next((p.gdf.crs for p in parts if p.gdf.crs is not None), None)
    frames, rows, described = [], [], []
    offset = 0
    for i, p in enumerate(parts):
        g = p.gdf
        if g.crs is None and crs is not None:
            return Problem(lname, f"entry {i + 1} ({p.src}) has no CRS while entry 1 has one", "error", p.src,
                           fix='name its CRS in the entry, e.g. crs = "EPSG:4326"')
        if g.crs is not None and g.crs != crs:
            g = g.to_crs(crs)
        total = int(g.attrs.get(_TOTAL_ATTR, len(g)))
        rows.append(file_rows(g) + offset)
        described.append(f"{p.src} (rows {offset + 1}–{offset + total})")
        offset += total
        frames.append(pd.DataFrame(g).rename(columns={g.geometry.name: "geometry"}))
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
    out.attrs[ROWS_ATTR] = FileRows(np.concatenate(rows))
    return out, " + ".join(described)


# --------------------------------------------------------------------------------------------------
# OSM files and rasters: opened, not read
# --------------------------------------------------------------------------------------------------


def _osm_box(path: Path, *, max_nodes: int = 200_000) -> tuple[tuple[float, float, float, float] | None,
                                                                 tuple[str, str] | None]:
    """(lon/lat box, None) of an OSM file from its header (else its first nodes), or (None, (problem, fix))."""
    import osmium

    from safegeo.network.osm import osm_header_box

    try:
        box = osm_header_box(path)
        if box is not None:
            return box, None
        lon_min = lat_min = np.inf
        lon_max = lat_max = -np.inf
        n = 0
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if node.location.valid():
                lon, lat = node.location.lon, node.location.lat
                lon_min, lon_max = min(lon_min, lon), max(lon_max, lon)
                lat_min, lat_max = min(lat_min, lat), max(lat_max, lat)
                n += 1
                if n >= max_nodes:
                    break
    except Exception as exc:  # osmium raises RuntimeError for anything that is not OSM data
        return None, (f"is not OSM data ({str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__})",
                      "give an OSM extract (.osm, .osm.bz2, .osm.pbf), e.g. from download.geofabrik.de, "
                      "or a road line layer (GeoPackage, Shapefile, ...)")
    if n == 0:
        return None, ("has no nodes: the OSM file is empty", "export the extract again with the study area in it")
    return (lon_min, lat_min, lon_max, lat_max), None


def _online_box(online: dict) -> tuple[float, float, float, float] | None:
    if "bbox" in online:
        try:
            w, s, e, n = (float(c) for c in online["bbox"])
            return (w, s, e, n)
        except (TypeError, ValueError):
            return None
    if "polygon" in online:
        try:
            return tuple(float(v) for v in shapely.from_wkt(online["polygon"]).bounds)  # type: ignore[return-value]
        except Exception:
            return None
    return None


def _check_raster(path: Path) -> tuple[tuple[str, str] | None, tuple[float, float, float, float] | None]:
    """((problem, fix) or None, lon/lat box) of a hazard raster: a CRS, a band, at least one valid pixel."""
    import rasterio
    from rasterio.warp import transform_bounds

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                return ("the raster has no CRS", "assign one with gdal_edit.py -a_srs EPSG:32647 (or the right code)"), None
            if src.count < 1:
                return ("the raster has no band", "use a single-band GeoTIFF of depth in metres"), None
            box = tuple(float(v) for v in transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21))
            if not _has_valid_pixel(src):
                nodata = f" (nodata = {src.nodata:g})" if src.nodata is not None else ""
                return (f"has no valid pixel: every pixel is nodata{nodata}",
                        "check the nodata value (gdalinfo shows it) or export the raster again"), box
            return None, box  # type: ignore[return-value]
    except rasterio.errors.RasterioIOError as exc:
        return (f"cannot read the raster ({exc})", "use a GeoTIFF"), None


def _has_valid_pixel(src) -> bool:
    """True when band 1 has a pixel that is neither nodata nor NaN (read block by block, stopping at the first)."""
    for _, window in src.block_windows(1):
        data = src.read(1, window=window, masked=True)
        values = np.ma.filled(data.astype("float64"), np.nan)
        if np.isfinite(values).any():
            return True
    return False
