"""``safegeo init``: a first ``study.toml`` guessed from the files a user has.

Each file (every vector layer of a GeoPackage, GeoJSON, Shapefile, CSV with
lon/lat, GeoParquet, ``.osm``/``.osm.pbf``, GeoTIFF) is opened, and the layer
it holds is guessed from its geometry type, its columns and its name:
polygons with amphoe codes are districts, tambon codes tambons, lines with a
``highway`` column roads, a border-like line the border, points with beds or
a capacity shelters (hospitals get ``kind = "hospital"``), points with a
population villages, rasters a hazard or a population grid.  The ``columns``
mapping is guessed with :func:`safegeo.schema.guess_columns`; ``where`` and
``clip`` are suggested in comments; what cannot be guessed is said in a
comment.  Nothing is read beyond the headers and a few columns.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safegeo._errors import LayerReadError
from safegeo.io import (
    _X_CANDIDATES,
    _Y_CANDIDATES,
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    is_osm_path,
    is_raster_path,
    shapefile_text_encoding,
)
from safegeo.schema import COLUMN_ALIASES, LAYER_SPECS, guess_columns

log = logging.getLogger(__name__)

#: Columns that name the province a feature is in (for the ``where`` hint).
_PROVINCE_COLUMNS = ("adm1_pcode", "adm1_en", "pro_code", "prov_code", "province_code", "th_pcode", "pv_code",
                     "changwat", "province", "pro_en", "prov_en", "th_province")
#: Layers a study has once; a second file guessed as one of these is left commented out.
_SINGLE = ("districts", "tambons", "border")


@dataclass
class _Guess:
    """What one file (or GeoPackage layer) looks like."""

    path: str  # as written in study.toml
    layer: str | None
    summary: str  # "13 polygons, EPSG:4326, lon 101.37–102.09, lat 5.73–6.64"
    target: str | None  # safegeo layer, or None when unknown
    entry: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    commented_out: bool = False
    bounds: tuple[float, float, float, float] | None = None  # lon/lat
    province: tuple[str, pd.Series] | None = None  # province-like column and its value counts


def init_study(paths: Sequence[str | os.PathLike], *, base_dir: str | os.PathLike | None = None,
               name: str | None = None) -> str:
    """The text of a ``study.toml`` for *paths*, with the layer of each file guessed.

    Parameters
    ----------
    paths
        Files to inspect: GeoPackage (every vector layer), GeoJSON,
        Shapefile, FlatGeobuf, CSV with lon/lat columns, GeoParquet, OSM
        (``.osm``, ``.osm.bz2``, ``.osm.pbf``), GeoTIFF.
    base_dir
        Folder the study file will be written in; paths are written relative
        to it (default: the current folder).
    name
        ``[study] name`` (default: the folder's name).

    Returns
    -------
    str
        TOML text; every guess is marked ``GUESS`` in a comment, and what
        could not be guessed is said in a comment.

    Raises
    ------
    LayerReadError
        A file is missing or cannot be opened.

    Examples
    --------
    >>> text = init_study(["amphoe.geojson", "hospitals.geojson", "roads.osm.pbf"])  # doctest: +SKIP
    >>> print(text)                                                                    # doctest: +SKIP
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    guesses: list[_Guess] = []
    for p in paths:
        guesses += _inspect(Path(p), base)
    _hint_where(guesses)
    _hint_clip(guesses)
    return _render(guesses, name=name or base.resolve().name or "study area", n_files=len(paths))


# --------------------------------------------------------------------------------------------------
# inspecting files
# --------------------------------------------------------------------------------------------------


def _rel(path: Path, base: Path) -> str:
    """*path* relative to the study file's folder when it is in it (or one level up), else absolute."""
    try:
        rel = Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_posix()
    return path.resolve().as_posix() if rel.startswith("../..") else rel


def _fmt_bounds(b: tuple[float, float, float, float] | None) -> str:
    return f", lon {b[0]:.2f}–{b[2]:.2f}, lat {b[1]:.2f}–{b[3]:.2f}" if b else ""


def _lonlat(bounds: Any, crs: Any) -> tuple[float, float, float, float] | None:
    if bounds is None or crs is None:
        return None
    b = np.asarray(bounds, dtype=float)
    if len(b) != 4 or not np.all(np.isfinite(b)):
        return None
    try:
        from pyproj import CRS, Transformer

        c = CRS.from_user_input(crs)
        if not c.is_geographic:
            b = np.asarray(Transformer.from_crs(c, "EPSG:4326", always_xy=True).transform_bounds(*b, densify_pts=21))
    except Exception:
        return None
    if not (np.all(np.isfinite(b)) and -180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90):
        return None
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _inspect(path: Path, base: Path) -> list[_Guess]:
    if not path.exists():
        raise LayerReadError(f"{path}: file not found", hint="give the paths of your layer files")
    rel = _rel(path, base)
    if is_osm_path(path):
        return [_osm_guess(path, rel)]
    if is_raster_path(path):
        return [_raster_guess(path, rel)]
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return [_csv_guess(path, rel)]
    if suffix in PARQUET_SUFFIXES:
        return [_parquet_guess(path, rel)]
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise LayerReadError(f"{path}: cannot open ({exc.__class__.__name__}: {exc})",
                             hint="is it a GIS file (GeoPackage, GeoJSON, Shapefile, CSV, GeoTIFF, OSM)?") from exc
    out = []
    for lname, gtype in layers:
        layer = str(lname) if len(layers) > 1 else None
        if gtype is None:  # an attribute table inside a GeoPackage
            out.append(_Guess(rel, layer, "a table without geometry", None, commented_out=True,
                              comments=["not a map layer (no geometry): left out"]))
            continue
        info = pyogrio.read_info(path, layer=layer)
        fields = [str(f) for f in info["fields"]]
        bounds = _lonlat(info.get("total_bounds"), info.get("crs"))
        geom = _geometry_kind(str(info.get("geometry_type") or gtype))
        if geom is None:  # "Unknown": mixed single and multi parts; look at the features
            sample = pyogrio.read_dataframe(path, layer=layer, columns=[], max_features=1000)
            kinds = {_geometry_kind(t) for t in sample.geom_type.dropna().unique()} - {None}
            geom = kinds.pop() if len(kinds) == 1 else None
        plural = "" if info["features"] == 1 else "s"
        summary = (f"{info['features']} {geom + plural if geom else 'features of mixed geometry'}, "
                   f"{info.get('crs') or 'no CRS'}{_fmt_bounds(bounds)}")
        g = _Guess(rel, layer, summary, None, bounds=bounds)
        if layer is not None:
            g.entry["layer"] = layer
        if info.get("crs") is None:
            g.comments.append('the file has no CRS: add crs = "EPSG:4326" (lon/lat) or the right code')
        if suffix == ".shp":
            enc = shapefile_text_encoding(path)
            if enc in ("cp874", "utf-8"):
                g.entry["encoding"] = enc
                g.comments.append(f"GUESS encoding: the Shapefile has no .cpg and its text reads as "
                                  f"{'Thai in TIS-620' if enc == 'cp874' else 'UTF-8'}")
            elif enc == "unknown":
                g.comments.append('the Shapefile has no .cpg and its text is not UTF-8: add encoding = "..." '
                                  '(cp874 for Thai)')
        _classify(g, geom, fields, f"{path.stem} {layer or ''}")
        _province_hint(g, fields, lambda col, p=path, lyr=layer: _ogr_values(p, lyr, col))
        out.append(g)
    return out


def _geometry_kind(gtype: str) -> str | None:
    t = gtype.lower().replace(" ", "")
    if "polygon" in t:
        return "polygon"
    if "linestring" in t or t in ("line", "multiline"):
        return "line"
    if "point" in t:
        return "point"
    return None


def _ogr_values(path: Path, layer: str | None, col: str) -> pd.Series:
    import pyogrio

    return pyogrio.read_dataframe(path, layer=layer, columns=[col], read_geometry=False)[col]


def _csv_guess(path: Path, rel: str) -> _Guess:
    head = None
    for enc in ("utf-8-sig", "cp874"):
        try:
            head = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",", encoding=enc)
            break
        except UnicodeDecodeError:
            continue
        except Exception as exc:
            raise LayerReadError(f"{path}: cannot read CSV ({exc})", hint="save it as CSV with a header row") from exc
    if head is None:
        raise LayerReadError(f"{path}: the CSV is neither UTF-8 nor Thai Windows-874 text",
                             hint="save it as UTF-8 CSV")
    fields = [str(c) for c in head.columns]
    lower = {c.lower(): c for c in fields}
    x = next((lower[c] for c in _X_CANDIDATES if c in lower), None)
    y = next((lower[c] for c in _Y_CANDIDATES if c in lower), None)
    g = _Guess(rel, None, f"{len(head)} rows", None)
    if x is None or y is None:
        g.summary += " without lon/lat columns"
        g.commented_out = True
        g.comments.append(f"no lon/lat columns found (columns: {', '.join(fields)}): name them with x = \"...\", "
                          'y = "...", crs = "EPSG:..."')
        return g
    xs = pd.to_numeric(head[x], errors="coerce")
    ys = pd.to_numeric(head[y], errors="coerce")
    ok = np.isfinite(xs) & np.isfinite(ys)
    if ok.any():
        b = (float(xs[ok].min()), float(ys[ok].min()), float(xs[ok].max()), float(ys[ok].max()))
        g.bounds = _lonlat(b, "EPSG:4326")
    g.summary = f"{len(head)} point{'' if len(head) == 1 else 's'} (columns {x}/{y}){_fmt_bounds(g.bounds)}"
    g.entry.update({"x": x, "y": y, "crs": "EPSG:4326"})
    if g.bounds is None:
        g.comments.append(f"'{x}'/'{y}' are not lon/lat degrees: set crs to the CRS of these coordinates")
    try:
        pd.read_csv(path, nrows=0, encoding="utf-8-sig")
        with open(path, encoding="utf-8-sig") as fh:
            fh.read()
    except UnicodeDecodeError:
        g.entry["encoding"] = "cp874"
        g.comments.append("GUESS encoding: the CSV is not UTF-8; it reads as Thai Windows-874")
    _classify(g, "point", [c for c in fields if c not in (x, y)], path.stem)
    _province_hint(g, fields, lambda col: head[col])
    return g


def _parquet_guess(path: Path, rel: str) -> _Guess:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        meta = json.loads((pf.schema_arrow.metadata or {}).get(b"geo", b"{}"))
    except Exception as exc:
        raise LayerReadError(f"{path}: cannot read GeoParquet ({exc})", hint="is it a GeoParquet file?") from exc
    gcol = meta.get("primary_column", "geometry")
    col_meta = meta.get("columns", {}).get(gcol, {})
    types = col_meta.get("geometry_types") or []
    kinds = {_geometry_kind(t) for t in types} - {None}
    geom = kinds.pop() if len(kinds) == 1 else None
    fields = [c for c in pf.schema_arrow.names if c != gcol]
    crs = col_meta.get("crs", "EPSG:4326")
    crs_text = "EPSG:4326" if crs == "EPSG:4326" or crs is None else "its CRS"
    bounds = _lonlat(col_meta.get("bbox"), "EPSG:4326") if crs_text == "EPSG:4326" else None
    g = _Guess(rel, None, f"{pf.metadata.num_rows} {geom or 'feature'}s, {crs_text}{_fmt_bounds(bounds)}", None,
               bounds=bounds)
    if geom is None:
        # no geometry types in the metadata: read the geometries to see
        import geopandas as gpd

        frame = gpd.read_parquet(path, columns=[gcol])
        geom = _geometry_kind(str(frame.geom_type.mode().iloc[0])) if len(frame) else None
    _classify(g, geom, fields, path.stem)
    _province_hint(g, fields, lambda col: pq.read_table(path, columns=[col]).column(0).to_pandas())
    return g


def _osm_guess(path: Path, rel: str) -> _Guess:
    from safegeo.study.config import _osm_box

    box, problem = _osm_box(path)
    g = _Guess(rel, None, "OSM extract" + _fmt_bounds(box), "roads", bounds=box)
    if problem:
        g.commented_out = True
        g.comments.append(f"this file {problem[0]}: {problem[1]}")
    return g


def _raster_guess(path: Path, rel: str) -> _Guess:
    import rasterio
    from rasterio.warp import transform_bounds

    try:
        with rasterio.open(path) as src:
            box = (_lonlat(transform_bounds(src.crs, "EPSG:4326", *src.bounds), "EPSG:4326")
                   if src.crs is not None else None)
            desc = " ".join(d or "" for d in src.descriptions)
            res = abs(src.transform.a)
            summary = (f"raster {src.width}×{src.height}, {src.count} band(s) {src.dtypes[0]}, "
                       f"{src.crs.to_string() if src.crs else 'no CRS'}, pixel {res:g}{_fmt_bounds(box)}")
    except rasterio.errors.RasterioIOError as exc:
        raise LayerReadError(f"{path}: cannot read the raster ({exc})", hint="use a GeoTIFF") from exc
    words = f"{path.stem} {desc}".lower()
    g = _Guess(rel, None, summary, None, bounds=box)
    kind = _hazard_kind(words)
    if kind is not None:
        g.target = "hazards"
        g.entry.update({"kind": kind, "name": path.stem})
        g.comments.append(f"GUESS: a {kind} hazard raster (from its name); if it is depth in metres, "
                          "depth_threshold_m = 0.3 closes roads under 30 cm of water")
    elif re.search(r"pop|u5|under5|density|worldpop|ppp|people|\bpd\b", words):
        g.commented_out = True
        g.target = "hazards"
        g.comments.append("GUESS: a population raster (from its name). safegeo has no population-raster layer: "
                          "sum it to village points (villages need a population column); left out")
    elif re.search(r"dem|elev|srtm|height|terrain", words):
        g.commented_out = True
        g.target = "hazards"
        g.comments.append("GUESS: an elevation model (from its name); safegeo has no elevation layer: left out")
    else:
        g.commented_out = True
        g.target = "hazards"
        g.entry.update({"kind": "flood", "name": path.stem})
        g.comments.append("could not tell what this raster holds: if it is a hazard (flood depth in metres, ...), "
                          "uncomment the entry and set its kind")
    return g


def _hazard_kind(words: str) -> str | None:
    for pattern, kind in ((r"surge", "storm_surge"), (r"landslide|slide", "landslide"),
                          (r"flood|inund|depth|water|น้ำท่วม", "flood"), (r"fire", "fire"),
                          (r"hazard|risk", "hazard")):
        if re.search(pattern, words):
            return kind
    return None


def _has(fields_lower: set[str], layer: str, column: str) -> bool:
    return any(a in fields_lower for a in COLUMN_ALIASES.get(layer, {}).get(column, ())) or column in fields_lower


def _classify(g: _Guess, geom: str | None, fields: list[str], name: str) -> None:
    """Set the target layer, the columns mapping, defaults and comments of *g*."""
    low = {f.lower() for f in fields}
    words = name.lower()
    target = None
    why = ""
    if geom == "polygon":
        if _has(low, "tambons", "tambon_id") or re.search(r"tambon|adm3|subdistrict|tambol", words):
            target, why = "tambons", "tambon (adm3) codes or name"
        elif _has(low, "districts", "district_id") or re.search(r"amphoe|adm2|district|amphur", words):
            target, why = "districts", "amphoe (adm2) codes or name"
        elif re.search(r"flood|hazard|inund|surge|landslide", words) or {"severity", "depth"} & low:
            target, why = "hazards", "a hazard name or columns"
            kind = _hazard_kind(words)
            if "kind" not in low:
                g.entry["kind"] = kind or "flood"
                if kind is None:
                    g.comments.append('GUESS kind = "flood": set the real hazard kind')
            g.entry["name"] = Path(g.path).stem if g.layer is None else g.layer
    elif geom == "line":
        if _has(low, "roads", "highway") or re.search(r"road|street|highway|osm|transport", words):
            target, why = "roads", "a road class column or name"
        elif re.search(r"border|boundary|frontier|adm0|international", words):
            target, why = "border", "a border-like name"
        elif re.search(r"river|waterway|stream|canal|khlong", words) or "waterway" in low:
            target, why = "rivers", "a river-like name"
    elif geom == "point":
        if _has(low, "shelters", "capacity") or re.search(r"shelter|hospital|evac", words):
            target, why = "shelters", "a beds / capacity column"
            if "kind" not in low:
                hospital = ({"hoslvl", "facility_type", "hospital", "hcode", "hos_type"} & low
                            or re.search(r"hos|health|clinic|phc|hc\d", words))
                kind = "hospital" if hospital else "shelter"
                g.entry["defaults"] = {"kind": kind}
                g.comments.append(f'GUESS defaults = {{ kind = "{kind}" }}: every feature is a {kind} '
                                  "(kinds: shelter, safe_area, refuge, hospital)")
        elif _has(low, "villages", "population") or guess_columns("villages", fields).get("population") \
                or re.search(r"village|muban|mooban", words):
            target, why = "villages", "a population column or village name"
        elif re.search(r"cctv|camera", words) or "direction_deg" in low:
            target, why = "cameras", "a camera name"
        elif re.search(r"light|lamp", words):
            target, why = "lights", "a street-light name"
        elif re.search(r"\bsos\b|sos_|emergency_button", words):
            target, why = "sos", "an SOS name"
        elif re.search(r"vehicle|ambulance|fleet", words):
            target, why = "vehicles", "a vehicle name"
        elif re.search(r"incident|accident|crash", words):
            target, why = "incidents", "an incident name"
        elif re.search(r"poi|school|market|mosque|temple|amenity", words):
            target, why = "pois", "a point-of-interest name"
    g.target = target
    if target is None:
        g.commented_out = True
        g.comments.append(f"could not tell which layer this is ({geom + 's' if geom else 'mixed geometry'}; columns: "
                          f"{', '.join(fields[:12])}{', ...' if len(fields) > 12 else ''}): rename the key to one "
                          f"of {', '.join(LAYER_SPECS)} and uncomment")
        return
    g.comments.insert(0, f"GUESS {target}: {geom}s with {why}")
    mapping = guess_columns(target, fields)
    if mapping:
        g.entry["columns"] = mapping
        g.comments.append("GUESS columns: safegeo name = the file's column; check them")
    spec = LAYER_SPECS[target]
    have = low | set(mapping) | set(g.entry.get("defaults", {}))
    if spec.id_column and spec.id_column not in have:
        if "id" in low:
            g.comments.append(f"the file's 'id' column is used as {spec.id_column}")
        elif target in ("districts", "tambons"):
            g.comments.append(f"no {spec.id_column} found: map one (columns = {{ {spec.id_column} = \"...\" }}) or "
                              "features are numbered")
    for col in spec.columns:
        if col.required and col.name not in have and not (target == "hazards" and col.name == "kind"):
            g.comments.append(f"{target} need a '{col.name}' column and none was found: map yours with "
                              f'columns = {{ {col.name} = "..." }} or give defaults = {{ {col.name} = ... }}')
    if target in ("districts", "tambons") and not ({"name_en", "name_th"} & have):
        g.comments.append('no name columns found: map them (columns = { name_en = "...", name_th = "..." }) '
                          "to see names on the maps")


def _province_hint(g: _Guess, fields: list[str], values) -> None:
    """Remember the value counts of a province-like column, for the ``where`` hint."""
    if g.target is None:
        return
    lower = {f.lower(): f for f in fields}
    col = next((lower[c] for c in _PROVINCE_COLUMNS if c in lower), None)
    if col is None:
        return
    try:
        g.province = (col, pd.Series(values(col)).dropna().astype(str).value_counts())
    except Exception:  # a hint only
        return


def _hint_where(guesses: list[_Guess]) -> None:
    """A ``where`` hint for files that cover several provinces: the districts' province when they have one."""
    districts = next((g for g in guesses if g.target == "districts" and not g.commented_out), None)
    ours: set[str] = set()
    if districts is not None and districts.province is not None and len(districts.province[1]) == 1:
        ours = set(districts.province[1].index)
    for g in guesses:
        if g.province is None:
            continue
        col, counts = g.province
        if len(counts) <= 1:
            continue
        shown = ", ".join(f"{v} ({n})" for v, n in counts.head(8).items())
        mine = [v for v in counts.index if v in ours]
        value = mine[0] if mine else str(counts.index[0])
        why = "the districts' province" if mine else "your province's code"
        g.comments.append(f"the file covers {len(counts)} values of {col} ({shown}{', ...' if len(counts) > 8 else ''})"
                          f": keep yours with where = \"{col} = '{value}'\" ({why})")


def _hint_clip(guesses: list[_Guess]) -> None:
    """A ``clip`` hint for layers that reach well beyond the districts."""
    districts = next((g for g in guesses if g.target == "districts" and not g.commented_out and g.bounds), None)
    if districts is None:
        return
    d = districts.bounds
    assert d is not None
    pad = 0.02
    for g in guesses:
        if g is districts or g.bounds is None or g.target in (None, "districts", "hazards", "roads"):
            continue
        b = g.bounds
        if b[0] < d[0] - pad or b[1] < d[1] - pad or b[2] > d[2] + pad or b[3] > d[3] + pad:
            g.comments.append("the file reaches beyond the districts: clip = true keeps only the features inside "
                              "them (or use where)")


# --------------------------------------------------------------------------------------------------
# writing TOML
# --------------------------------------------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(str(v), ensure_ascii=False)


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k, ensure_ascii=False)


_KEY_ORDER = ("path", "layer", "x", "y", "crs", "encoding", "kind", "name", "where", "clip", "columns", "defaults")


def _inline(g: _Guess) -> str:
    entry = {"path": g.path, **g.entry}
    return _toml_value({k: entry[k] for k in sorted(entry, key=_KEY_ORDER.index)})


def _render(guesses: list[_Guess], *, name: str, n_files: int) -> str:
    lines = [
        f"# study.toml written by `safegeo init` from {n_files} file(s).",
        "# Lines marked GUESS are guesses: check them, then run `safegeo validate study.toml`.",
        "# Entry keys: path, layer, x/y/crs (CSV), columns (safegeo name = your column), where (SQL filter),",
        "# clip (keep features inside the districts), encoding (Shapefile .dbf / CSV), defaults (fill a column).",
        "",
        "[study]",
        f"name = {_toml_value(name)}",
        '# crs = "EPSG:32647"   # optional: the UTM zone is picked from the data',
        "",
        "[layers]",
    ]
    by_target: dict[str, list[_Guess]] = {}
    unknown: list[_Guess] = []
    for g in guesses:
        if g.target is None or (g.commented_out and g.target != "roads"):
            unknown.append(g)
            continue
        if g.target in _SINGLE and g.target in by_target:
            g.commented_out = True
            g.comments.insert(0, f"also looks like {g.target}, which a study has once: left out")
            unknown.append(g)
            continue
        if g.target == "roads" and "roads" in by_target and (
                is_osm_path(g.path) or any(is_osm_path(o.path) for o in by_target["roads"])):
            g.commented_out = True
            g.comments.insert(0, "a second road source: an OSM file is used alone; left out")
            unknown.append(g)
            continue
        by_target.setdefault(g.target, []).append(g)
    if "roads" not in by_target:
        lines += ["# roads = \"roads.osm.pbf\"   # no road file was given: evacuation, coverage and dispatch need "
                  "roads", "#   (an OSM extract, a road line layer, or { place = \"Tak Bai, Narathiwat, Thailand\" } "
                  "online)"]
    order = [n for n in LAYER_SPECS if n in by_target]
    for target in order:
        items = by_target[target]
        many = len(items) > 1 or target == "hazards"
        lines.append("")
        if many:
            lines.append(f"{target} = [")
            for i, g in enumerate(items):
                lines.append(f"  # {g.path}{' layer ' + g.layer if g.layer else ''}: {g.summary}")
                lines += [f"  # {c}" for c in g.comments]
                prefix = "  # " if g.commented_out else "  "
                lines.append(f"{prefix}{_inline(g)}{',' if i < len(items) - 1 else ''}")
            lines.append("]")
        else:
            g = items[0]
            lines.append(f"# {g.path}{' layer ' + g.layer if g.layer else ''}: {g.summary}")
            lines += [f"# {c}" for c in g.comments]
            lines.append(f"{'# ' if g.commented_out else ''}{target} = {_inline(g)}")
    if unknown:
        lines += ["", "# --- files left out ---"]
        for g in unknown:
            lines.append(f"# {g.path}{' layer ' + g.layer if g.layer else ''}: {g.summary}")
            lines += [f"#   {c}" for c in g.comments]
            if not (g.target == "hazards" and "kind" not in g.entry):
                lines.append(f"# {g.target or 'LAYER'} = {_inline(g)}")
    return "\n".join(lines) + "\n"
