"""Layer validation: collect every problem of a layer at once (what, where, how to fix)."""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import Problem
from safegeo.io import file_rows
from safegeo.schema import LayerSpec, guess_columns

_GEOM_TYPES = {
    "point": {"Point"},
    "line": {"LineString", "MultiLineString"},
    "polygon": {"Polygon", "MultiPolygon"},
    "any": {"Point", "MultiPoint", "Polygon", "MultiPolygon"},
}


def _rows(mask: np.ndarray) -> tuple[int, ...]:
    """1-based row numbers where *mask* is true (row 1 = first data row)."""
    return tuple(int(i) + 1 for i in np.flatnonzero(mask))


def _file_rows(problems: list[Problem], gdf: gpd.GeoDataFrame) -> list[Problem]:
    """*problems* with row positions turned into the file rows kept in ``gdf.attrs`` (after where/clip)."""
    labels = file_rows(gdf)
    return [dataclasses.replace(p, rows=tuple(int(labels[r - 1]) for r in p.rows)) if p.rows else p for p in problems]


def _mapping_text(mapping: Mapping[str, str]) -> str:
    return "columns = { " + ", ".join(f'{k} = "{v}"' for k, v in mapping.items()) + " }"


def validate_layer(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    *,
    source: str,
    strict: bool = False,
    layer_name: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check *gdf* against *spec*; return the cleaned frame and every problem found.

    Cleaning is limited to what is safe: invalid geometries are repaired
    (``make_valid``, a warning; an error when *strict*), numeric columns are
    cast, a missing id column is taken from an ``id`` column (any case) or
    created from row numbers.  Nothing is dropped silently: bad rows are
    errors.  Problems have severity ``"error"``, ``"warning"`` or ``"info"``
    (a note: what was assumed, a column mapping that would help).
    """
    attrs = dict(gdf.attrs)
    out, problems = _validate_layer(gdf, spec, source=source, strict=strict, name=layer_name or spec.name)
    out.attrs.update(attrs)  # the file rows of a filtered layer stay with it (check_extent uses them too)
    return out, _file_rows(problems, out)


def _validate_layer(gdf: gpd.GeoDataFrame, spec: LayerSpec, *, source: str, strict: bool,
                    name: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    problems: list[Problem] = []

    def add(message: str, *, column: str | None = None, rows: tuple[int, ...] = (), fix: str | None = None,
            severity: str = "error") -> None:
        problems.append(Problem(name, message, severity, source, column, rows, fix))

    if gdf.crs is None:
        add("has no CRS", fix=_crs_fix(gdf, name, source))
    if len(gdf) == 0:
        add("is empty (no features)", fix="point the study file at a layer with features, or remove the entry")
        return gdf, problems

    gdf = gdf.copy()
    geom = gdf.geometry.values
    missing_geom = np.asarray(shapely.is_missing(geom) | shapely.is_empty(geom))
    if missing_geom.any() and spec.geometry != "any":  # "any": a table joined by a code column needs none
        add(f"{missing_geom.sum()} feature(s) have no geometry", rows=_rows(missing_geom),
            fix="give them a geometry or delete them")
    coords, owner = shapely.get_coordinates(geom, return_index=True)
    nonfinite = np.zeros(len(gdf), dtype=bool)
    nonfinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    if nonfinite.any():
        add(f"{nonfinite.sum()} feature(s) have infinite or NaN coordinates", rows=_rows(nonfinite),
            fix="give them real coordinates or delete them")
        missing_geom = missing_geom | nonfinite  # no geometry check can run on them
    types = np.asarray(shapely.get_type_id(geom))
    allowed = _GEOM_TYPES[spec.geometry]
    type_names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                           "MultiPolygon", "GeometryCollection"])
    tn = np.where(types >= 0, type_names[np.clip(types, 0, 7)], "None")
    wrong = ~np.isin(tn, list(allowed)) & ~missing_geom
    if wrong.any():
        found = ", ".join(sorted(set(tn[wrong])))
        add(f"has {wrong.sum()} {found} geometries where {spec.geometry} geometries are expected",
            rows=_rows(wrong), fix=f"this layer needs {'/'.join(sorted(allowed))} features; check you named the right file/layer")
    ok_geom = ~missing_geom & ~wrong
    invalid = ok_geom & ~np.asarray(shapely.is_valid(geom))
    if invalid.any():
        sev = "error" if strict else "warning"
        reasons = sorted(set(shapely.is_valid_reason(geom[invalid])))[:3]
        add(f"{invalid.sum()} invalid geometr{'y' if invalid.sum() == 1 else 'ies'} ({'; '.join(reasons)})"
            + ("" if strict else ", repaired with make_valid"),
            rows=_rows(invalid), severity=sev, fix="repair them in QGIS (Vector > Geometry Tools > Fix Geometries)")
        if not strict:
            fixed = shapely.make_valid(geom[invalid])
            if spec.geometry == "polygon":  # keep the polygonal part only
                fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
            geom = geom.copy()
            geom[invalid] = fixed
            gdf = gdf.set_geometry(gpd.GeoSeries(geom, index=gdf.index, crs=gdf.crs))

    # Shapefiles cut column names at 10 characters: 'direction_deg' arrives as 'direction_'
    known = [c.name for c in spec.columns] + ([spec.id_column] if spec.id_column else [])
    for full in known:
        cut = full[:10]
        if len(full) > 10 and full not in gdf.columns and cut in gdf.columns:
            gdf = gdf.rename(columns={cut: full})
            add(f"read as '{full}' (a Shapefile cuts column names at 10 characters)", column=cut, severity="warning",
                fix=f"rename the column to '{full}' in a GeoPackage to silence this")

    guess = guess_columns(spec.name, [c for c in gdf.columns if c != gdf.geometry.name])
    _name_notes(gdf, spec, guess, add)

    # columns
    for col in spec.columns:
        if col.name not in gdf.columns:
            if col.required:
                mapped = (f"; or map the file's column in the entry: {_mapping_text({col.name: guess[col.name]})}"
                          if col.name in guess else "")
                add("is missing", column=col.name,
                    fix=f"add a '{col.name}' column ({col.kind}{', ' + col.description if col.description else ''})"
                        f"{mapped}; columns present: {', '.join(c for c in gdf.columns if c != gdf.geometry.name)}")
            continue
        series = gdf[col.name]
        if col.kind in ("int", "float"):
            numeric = pd.to_numeric(series, errors="coerce")
            nonnum = numeric.isna().to_numpy() & series.notna().to_numpy()
            if nonnum.any():
                add(f"has {nonnum.sum()} non-numeric value(s)", column=col.name, rows=_rows(nonnum),
                    fix=f"{col.name} must be a number")
            if col.required:
                empty = series.isna().to_numpy()
                if empty.any():
                    add(f"has {empty.sum()} empty value(s)", column=col.name, rows=_rows(empty),
                        fix=f"fill in {col.name} for every feature")
            if col.min_value is not None:
                below = (numeric <= col.min_value) if col.min_exclusive else (numeric < col.min_value)
                low = below.fillna(False).to_numpy()
                if low.any():
                    if col.min_exclusive:
                        what, rule = f"value(s) of {col.min_value:g} or less", f"> {col.min_value:g}"
                    else:
                        what = "negative value(s)" if col.min_value == 0 else f"value(s) below {col.min_value:g}"
                        rule = f">= {col.min_value:g}"
                    add(f"has {low.sum()} {what}", column=col.name, rows=_rows(low), fix=f"{col.name} must be {rule}")
            if col.zero_note:
                zero = (numeric == 0).fillna(False).to_numpy()
                if zero.any():
                    add(f"has {zero.sum()} value(s) of 0: {col.zero_note}", column=col.name, rows=_rows(zero),
                        severity="warning", fix=f"give them a {col.name} above 0, or leave them out with where")
            if col.max_value is not None:
                high = (numeric > col.max_value).fillna(False).to_numpy()
                if high.any():
                    add(f"has {high.sum()} value(s) above {col.max_value:g}", column=col.name, rows=_rows(high),
                        fix=f"{col.name} must be <= {col.max_value:g}")
            if col.kind == "int":
                frac = (numeric.notna() & (numeric != np.floor(numeric))).to_numpy()
                if frac.any():
                    add(f"has {frac.sum()} non-whole value(s)", column=col.name, rows=_rows(frac),
                        fix=f"{col.name} counts people; use whole numbers")
            gdf[col.name] = numeric
        elif col.kind == "str":
            if col.required:
                empty = series.isna().to_numpy() | (series.astype(str).str.strip() == "").to_numpy()
                if empty.any():
                    add(f"has {empty.sum()} empty value(s)", column=col.name, rows=_rows(empty),
                        fix=f"fill in {col.name} for every feature")
            if col.choices:
                text = series.astype("string").str.strip().str.lower()
                bad = (text.notna() & ~text.isin(col.choices)).fillna(False).to_numpy()
                if bad.any():
                    values = ", ".join(sorted({str(v) for v in series[bad]})[:5])
                    add(f"has {bad.sum()} unknown value(s) ({values})", column=col.name, rows=_rows(bad),
                        fix=f"use one of: {', '.join(col.choices)}")
                gdf[col.name] = text.astype(object).where(text.notna(), None)
        elif col.kind == "bool":
            if col.name == "oneway" and spec.name == "roads":
                direction, unknown = oneway_direction(series)
                against = direction < 0
                if against.any():  # OSM oneway=-1: one-way against the digitising direction
                    geom = np.asarray(gdf.geometry.values, dtype=object).copy()
                    geom[against] = shapely.reverse(geom[against])
                    gdf = gdf.set_geometry(gpd.GeoSeries(geom, index=gdf.index, crs=gdf.crs))
                    logging.getLogger(__name__).info(
                        "%s: %d road(s) with oneway=-1 turned round so that traffic runs in digitised direction",
                        source, int(against.sum()))
                values = pd.Series(direction != 0, index=gdf.index)
            else:
                values, unknown = _parse_bool(series)
            if unknown.any():
                shown = ", ".join(sorted({str(v) for v in series[unknown]})[:5])
                add(f"has {unknown.sum()} value(s) that are not yes/no ({shown})", column=col.name, rows=_rows(unknown),
                    fix=f"use yes/no, true/false or 1/0 in {col.name}"
                        + (" (-1: one-way against the digitised direction)" if col.name == "oneway" else ""))
            gdf[col.name] = values.to_numpy(dtype=bool)

    # ids
    if spec.id_column:
        idc = spec.id_column
        alt = [c for c in gdf.columns if str(c).strip().lower() == "id" and c != gdf.geometry.name]
        if idc not in gdf.columns and len(alt) == 1:
            gdf = gdf.rename(columns={alt[0]: idc})
            add(f"column '{alt[0]}' used as {idc} (the layer has no {idc} column)", severity="info",
                fix=f"to number the features instead, drop '{alt[0]}' from the file")
        if idc not in gdf.columns:
            gdf[idc] = [f"{name}-{i + 1}" for i in range(len(gdf))]
        else:
            ids = gdf[idc]
            empty = ids.isna().to_numpy()
            if empty.any():
                add(f"has {empty.sum()} empty id(s)", column=idc, rows=_rows(empty),
                    fix=f"give every feature a unique {idc}, or drop the column to number them automatically")
            dup = ids.duplicated(keep=False).to_numpy() & ~empty
            if dup.any():
                values = ", ".join(sorted({str(v) for v in ids[dup]})[:5])
                add(f"has {dup.sum()} duplicate id(s) ({values})", column=idc, rows=_rows(dup),
                    fix=f"{idc} must be unique")
            gdf[idc] = ids.astype(str).where(~ids.isna(), None) if ids.dtype == object else ids
    return gdf, problems


def _name_notes(gdf: gpd.GeoDataFrame, spec: LayerSpec, guess: dict[str, str], add) -> None:
    """Districts and tambons without ids or names: a warning with the ``columns`` mapping that would fix it."""
    optional = {c.name for c in spec.columns if not c.required} | ({spec.id_column} if spec.id_column else set())
    useful = {k: v for k, v in guess.items() if k in optional}
    cols = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    if spec.name in ("districts", "tambons"):
        wanted = [spec.id_column, "name_en", "name_th"]
        if not any(c in gdf.columns for c in wanted) and not any(str(c).lower() == "id" for c in cols):
            fix = (f"map the file's columns in the entry: {_mapping_text(useful)}" if useful else
                   f"map the file's columns in the entry, e.g. columns = {{ {spec.id_column} = \"...\", "
                   f"name_en = \"...\", name_th = \"...\" }}; columns present: {', '.join(cols) or 'none'}")
            add(f"has no {spec.id_column}, name_en or name_th column: maps and reports will show numbered ids "
                f"({spec.name}-1, {spec.name}-2, ...) and no names", severity="warning", fix=fix)
            return
    if useful:
        add(f"the file's column(s) {', '.join(repr(v) for v in useful.values())} look like safegeo's "
            f"{', '.join(useful)}", severity="info", fix=f"to use them, map them in the entry: {_mapping_text(useful)}")


def _polygonal(g):
    if g is None:
        return g
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    polys = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else g


_TRUE = frozenset({"1", "true", "yes", "y", "t",
                   # OSM bridge=* values: any kind of bridge is a bridge
                   "viaduct", "aqueduct", "boardwalk", "movable", "covered", "cantilever", "trestle", "suspension"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "", "nan", "none"})
_ONEWAY_AGAINST = frozenset({"-1", "reverse"})
# OSM oneway values meaning "both ways, at different times": usable both ways for planning
_ONEWAY_BOTH = frozenset({"reversible", "alternating"})


def _as_text(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower-case stripped text, numeric value or NaN, missing mask) of each value, without a Python loop."""
    series = pd.Series(series).reset_index(drop=True)
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        num = series.astype(float).to_numpy()
        return np.full(len(series), "", dtype=object), num, missing
    is_num = series.map(lambda v: isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating))).to_numpy(bool)
    num = np.full(len(series), np.nan)
    if is_num.any():
        num[is_num] = series[is_num].astype(float).to_numpy()
    text = series.astype(str).str.strip().str.lower().to_numpy(dtype=object)
    text[is_num | missing] = ""
    return text, num, missing


def _parse_bool(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Yes/no values as booleans (empty: False), and a mask of values that are neither."""
    text, num, missing = _as_text(series)
    has_num = np.isfinite(num)
    out = np.where(has_num, num != 0, np.isin(text, list(_TRUE)))
    unknown = ~missing & ~has_num & ~np.isin(text, list(_TRUE | _FALSE))
    return pd.Series(out & ~missing, index=series.index), unknown


def _to_bool(series: pd.Series) -> pd.Series:
    """Yes/no values as booleans; empty and unrecognised values are False."""
    return _parse_bool(series)[0]


def oneway_direction(values) -> tuple[np.ndarray, np.ndarray]:
    """OSM-style ``oneway`` values as directions: 1 digitised direction only, -1 against it, 0 both ways.

    ``yes``/``true``/``1`` are one-way along the line, ``-1``/``reverse``
    one-way against it (OSM), ``no``/empty/``reversible``/``alternating``
    both ways.  Returns the directions and a mask of unrecognised values
    (treated as both ways).
    """
    text, num, missing = _as_text(pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values)
    has_num = np.isfinite(num)
    out = np.zeros(len(text), dtype=np.int8)
    out[has_num] = np.sign(num[has_num]).astype(np.int8)
    out[~has_num & np.isin(text, list(_TRUE))] = 1
    out[~has_num & np.isin(text, list(_ONEWAY_AGAINST))] = -1
    unknown = ~missing & ~has_num & ~np.isin(text, list(_TRUE | _FALSE | _ONEWAY_AGAINST | _ONEWAY_BOTH))
    return out, unknown


def _crs_fix(gdf: gpd.GeoDataFrame, layer: str, source: str) -> str:
    """How to give a CRS to a layer that has none, with the study.toml line to write."""
    path, _, rest = source.partition(" (layer ")
    inner = f'path = "{path}"' + (f', layer = "{rest.rstrip(")")}"' if rest else "")
    b = np.asarray(gdf.total_bounds, dtype=float) if len(gdf) else np.full(4, np.nan)
    lonlat = bool(np.all(np.isfinite(b)) and -180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90)
    code = "EPSG:4326" if lonlat else "EPSG:32647"
    looks = ("the coordinates look like lon/lat degrees" if lonlat else
             "the coordinates look like metres (a projected CRS such as UTM 47N, EPSG:32647, for most of Thailand)")
    shp = " (a Shapefile keeps its CRS in the .prj file beside the .shp: copy that file too)" \
        if path.lower().endswith(".shp") else ""
    base = layer.split("[")[0]
    return f'{looks}; name the CRS in study.toml, e.g. {base} = {{ {inner}, crs = "{code}" }}, or save the file with a CRS{shp}'


def check_extent(
    gdf: gpd.GeoDataFrame,
    extent_lonlat: tuple[float, float, float, float] | None,
    *,
    layer: str,
    source: str,
    margin_deg: float = 0.25,
) -> list[Problem]:
    """Points far outside the study area; detects swapped lon/lat, the classic mistake.

    *gdf* must be in EPSG:4326 (or convertible).  *extent_lonlat* is
    (minlon, minlat, maxlon, maxlat) of the study area.
    """
    return _file_rows(_check_extent(gdf, extent_lonlat, layer=layer, source=source, margin_deg=margin_deg), gdf)


def _probe_lonlat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One lon/lat point per feature (NaN when empty): a polygon's representative point, else its first vertex.

    Only these points are reprojected, not every vertex: on a province's roads
    that is a few hundred thousand points instead of millions.
    """
    values = np.asarray(gdf.geometry.values, dtype=object)
    n = len(values)
    probe = values.copy()
    kind = shapely.get_type_id(values)
    poly = (kind == 3) | (kind == 6)
    if poly.any():
        probe[poly] = shapely.point_on_surface(values[poly])
    coords, idx = shapely.get_coordinates(probe, return_index=True)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if len(idx):
        first = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
        x[idx[first]] = coords[first, 0]
        y[idx[first]] = coords[first, 1]
    if not gdf.crs.is_geographic:
        from pyproj import Transformer

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, y = Transformer.from_crs(gdf.crs, 4326, always_xy=True).transform(x, y)
        x, y = np.asarray(x, float), np.asarray(y, float)
    return x, y


def _check_extent(gdf: gpd.GeoDataFrame, extent_lonlat: tuple[float, float, float, float] | None, *, layer: str,
                  source: str, margin_deg: float) -> list[Problem]:
    problems: list[Problem] = []
    if gdf.crs is None or len(gdf) == 0:
        return problems
    x, y = _probe_lonlat(gdf)
    impossible = ~np.isfinite(x) | ~np.isfinite(y) | (np.abs(y) > 90) | (np.abs(x) > 180)
    if gdf.crs.is_geographic:
        impossible |= (np.abs(y) > 90)
    if impossible.any():
        swapped = (np.abs(x) <= 90) & (np.abs(y) <= 180) & (np.abs(y) > 90)
        hint = ("latitude is above 90°: lon and lat look swapped; swap the x/y columns"
                if swapped[impossible].any() else "coordinates are not valid lon/lat; check the CRS")
        problems.append(Problem(layer, f"{impossible.sum()} feature(s) have impossible coordinates", "error",
                                source, None, _rows(impossible), hint))
    if extent_lonlat is None:
        return problems
    minx, miny, maxx, maxy = extent_lonlat
    outside = ~impossible & ((x < minx - margin_deg) | (x > maxx + margin_deg) | (y < miny - margin_deg) | (y > maxy + margin_deg))
    if outside.any():
        sw_in = (y >= minx - margin_deg) & (y <= maxx + margin_deg) & (x >= miny - margin_deg) & (x <= maxy + margin_deg)
        if (sw_in & outside).sum() * 2 >= outside.sum():
            fix = "with lon and lat swapped they would fall inside: swap the x/y (lon/lat) columns"
        else:
            fix = ("check the CRS of this layer and the coordinates of these rows; if the file covers more than the "
                   "study area, add clip = true (or a where filter) to its entry")
        problems.append(Problem(
            layer,
            f"{outside.sum()} feature(s) lie far outside the study area "
            f"(lon {minx:.2f}–{maxx:.2f}, lat {miny:.2f}–{maxy:.2f})",
            "error", source, None, _rows(outside), fix))
    return problems


def _fmt_box(b: tuple[float, float, float, float]) -> str:
    return f"lon {b[0]:.2f}–{b[2]:.2f}, lat {b[1]:.2f}–{b[3]:.2f}"


def _meets(a, b, margin: float) -> bool:
    return a[0] - margin <= b[2] and b[0] - margin <= a[2] and a[1] - margin <= b[3] and b[1] - margin <= a[3]


def check_overlap(
    extents: Mapping[str, tuple[float, float, float, float]],
    *,
    sources: Mapping[str, str] | None = None,
    margin_deg: float = 0.25,
) -> list[Problem]:
    """Layers that lie elsewhere: their lon/lat extent does not meet the study area's.

    The study area is the districts' extent when there are districts, else
    the largest group of layers whose extents meet (when two groups are as
    large, every layer is named).  Hazards (``hazards[...]``) are only compared with the study area;
    they and the roads must overlap it, other layers must come within
    *margin_deg* of it.  The working CRS must not be picked from a layer that
    lies on another continent, so callers leave flagged layers out of it.

    Parameters
    ----------
    extents
        Layer name -> (min lon, min lat, max lon, max lat), in file order.

    Returns
    -------
    list of Problem
        One error per layer that lies elsewhere, naming both extents.

    Examples
    --------
    >>> p = check_overlap({"districts": (101.4, 5.7, 102.1, 6.6), "roads": (-3.8, 40.3, -3.6, 40.5)})
    >>> p[0].layer, "lon -3.80–-3.60" in p[0].message
    ('roads', True)
    """
    sources = sources or {}
    names = [n for n in extents if not n.startswith("hazards")]
    if not names:
        return []

    def margin(n: str) -> float:
        return 0.0 if n == "roads" or n.startswith("hazards") else margin_deg

    if "districts" in extents:
        group = ["districts"]
        what = "the districts' extent"
    else:
        # connected groups of layers whose extents meet
        group_of = {n: i for i, n in enumerate(names)}
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if _meets(extents[a], extents[b], max(margin(a), margin(b))) and group_of[a] != group_of[b]:
                    old, new = group_of[b], group_of[a]
                    group_of = {k: (new if g == old else g) for k, g in group_of.items()}
        groups: dict[int, list[str]] = {}
        for n in names:
            groups.setdefault(group_of[n], []).append(n)
        sizes = sorted((len(g) for g in groups.values()), reverse=True)
        if len(sizes) > 1 and sizes[0] == sizes[1]:
            # no majority (two layers far apart): which one is wrong cannot be told, so each is named
            problems = []
            for n in names:
                others = [m for m in names if group_of[m] != group_of[n]]
                arr = np.array([extents[m] for m in others], dtype=float)
                ref = (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())
                problems.append(Problem(
                    n, f"lies apart from {', '.join(others)}: its extent ({_fmt_box(extents[n])}) does not come near "
                       f"theirs ({_fmt_box(ref)})", "error", sources.get(n, n),
                    fix="one of them is the wrong file (or has the wrong CRS): every layer must cover the same study "
                        "area"))
            return problems
        group = max(groups.values(), key=lambda g: len(g))
        what = f"the extent of the other layers ({', '.join(group)})"
    arr = np.array([extents[n] for n in group], dtype=float)
    ref = (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())
    problems = []
    for n, box in extents.items():
        if n in group or _meets(box, ref, margin(n)):
            continue
        swapped = (box[1], box[0], box[3], box[2])
        fix = ("with lon and lat swapped it would fall inside: swap the x/y (lon/lat) columns"
               if _meets(swapped, ref, margin(n)) else
               "check that the entry names the right file (and CRS): every layer must cover the same study area")
        verb = "does not overlap" if margin(n) == 0 else "does not come near"
        problems.append(Problem(n, f"lies elsewhere: its extent ({_fmt_box(box)}) {verb} {what} ({_fmt_box(ref)})",
                                "error", sources.get(n, n), fix=fix))
    return problems
