"""Map data preparation: reprojection at the edge, public filtering, colours, radii, value formats, payloads."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import CRSError, Problem, ValidationError
from safegeo._i18n import t, t_value
from safegeo.privacy import is_withheld, public_frame

log = logging.getLogger(__name__)

#: Decimal places kept in map coordinates (1e-6 degree is about 0.1 m).
PRECISION = 6

#: Above this many points, ``stroke_color="auto"`` draws markers without outline.
OUTLINE_MAX_POINTS = 20_000

#: Number of colour classes used for a numeric ``color_column``.
N_CLASSES = 9

_NODATA_COLOUR = "#bdbdbd"
_OTHER_COLOUR = "#9e9e9e"
_QUALITATIVE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
)
_THAILAND_BOUNDS = (97.3, 5.6, 105.7, 20.5)
_COLOUR_RE = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-zA-Z]{3,20})$")
_GEOM_TYPES = {
    "point": {"Point", "MultiPoint"},
    "line": {"LineString", "MultiLineString", "LinearRing"},
    "polygon": {"Polygon", "MultiPolygon"},
}
_KIND_ORDER = {"polygon": 0, "line": 1, "point": 2}

Kind = Literal["point", "line", "polygon"]



@dataclass
class _LayerSpec:
    name: str
    label: str
    kind: str
    payload: str  # escaped JSON, safe inside <script type="application/json">
    bounds: tuple[float, float, float, float] | None
    n_features: int
    show: bool
    cluster: bool
    legend_row: dict[str, Any] | None = None
    legends: list[dict[str, Any]] = field(default_factory=list)



# --------------------------------------------------------------------------- #
# data preparation
# --------------------------------------------------------------------------- #


def _bounds_4326(
    bounds: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[float],
) -> tuple[float, float, float, float]:
    if isinstance(bounds, (gpd.GeoDataFrame, gpd.GeoSeries)):
        frame = _to_wgs84(bounds, "bounds")
        box = frame.total_bounds
    else:
        box = np.asarray(bounds, dtype=float)
        if box.shape != (4,):
            raise ValueError("bounds must be a GeoDataFrame or (minx, miny, maxx, maxy)")
        if not (-180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90):
            raise CRSError(
                f"bounds {tuple(box.tolist())} are not longitude/latitude (minx, miny, maxx, maxy)",
                hint="pass the study area as a GeoDataFrame (any CRS) or its EPSG:4326 total_bounds",
            )
    if not np.all(np.isfinite(box)):
        raise ValueError("bounds are empty (no geometry to take an extent from)")
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _to_wgs84(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> gpd.GeoDataFrame | gpd.GeoSeries:
    if not isinstance(gdf, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise TypeError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise CRSError(
            f"{what}: the layer has no CRS, so it cannot be placed on a map",
            hint="set the CRS its coordinates are in, e.g. gdf.set_crs('EPSG:32647') for UTM zone 47N "
            "or gdf.set_crs('EPSG:4326') for longitude/latitude",
        )
    if gdf.crs.equals("EPSG:4326", ignore_axis_order=True):
        return gdf
    return gdf.to_crs("EPSG:4326")


def _prepare(gdf: gpd.GeoDataFrame, *, name: str, kind: Kind, public: bool) -> gpd.GeoDataFrame:
    """Reproject, apply the public filter (:func:`safegeo.privacy.public_frame`), skip empty geometries, check types."""
    if isinstance(gdf, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=gdf)
    what = f"layer {name!r}"
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:  # checked before any work, with the layer named
        _to_wgs84(gdf, what)
    if public:
        gdf = public_frame(gdf, what=what)
    geoms = gdf.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not keep.all():
        log.debug("%s: skipped %d empty geometries", what, int((~keep).sum()))
        gdf = gdf[keep]
    types = gdf.geom_type.to_numpy()
    wrong = ~np.isin(types, list(_GEOM_TYPES[kind]))
    if wrong.any():
        rows = tuple(int(r) for r in np.flatnonzero(wrong)[:50])
        found = ", ".join(sorted(set(types[wrong])))
        method = {"point": "add_points", "line": "add_lines", "polygon": "add_polygons"}
        raise ValidationError([Problem(
            layer=name,
            message=f"has {int(wrong.sum())} {found} geometries where {kind}s are expected",
            rows=rows,
            fix=f"map them with {', '.join(v for k, v in method.items() if k != kind)} "
            "or convert them (e.g. gdf.representative_point())",
        )])
    gdf = _to_wgs84(gdf, what)
    if kind == "point" and (gdf.geom_type == "MultiPoint").any():
        gdf = gdf.explode(index_parts=False)
    return gdf


def _visible_columns(columns: Sequence[str] | None, public: bool) -> list[str]:
    if columns is None:
        return []
    if isinstance(columns, str):
        columns = [columns]
    cols = list(dict.fromkeys(columns))
    if public:
        cols = [c for c in cols if not is_withheld(c)]
    return cols


def _check_columns(
    frame: gpd.GeoDataFrame,
    name: str,
    *,
    tooltip: list[str],
    popup: list[str],
    color_column: str | None,
    radius_column: str | None,
    public: bool,
    original: gpd.GeoDataFrame,
) -> None:
    problems = []
    wanted = [("tooltip", c) for c in tooltip] + [("popup", c) for c in popup]
    wanted += [("color_column", color_column), ("radius_column", radius_column)]
    available = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
    for role, col in wanted:
        if col is None or col in frame.columns:
            continue
        if public and col in original.columns:
            fix = "personal and free-text columns are left out of public maps; colour by another column"
        else:
            fix = f"available columns: {available or '(none)'}"
        problems.append(Problem(layer=name, column=col, message=f"is missing ({role})", fix=fix))
    if radius_column is not None and radius_column in frame.columns and \
            not pd.api.types.is_numeric_dtype(frame[radius_column]):
        problems.append(Problem(layer=name, column=radius_column,
                                    message="must be numeric to scale marker radius"))
    if problems:
        raise ValidationError(problems)


def _colour(value: str) -> str:
    if not isinstance(value, str) or not _COLOUR_RE.match(value):
        raise ValueError(f"colour {value!r} is not a hex colour (#rgb, #rrggbb) or a CSS colour name")
    return value


def _cmap_colours(cmap: str | Sequence[str], n: int) -> list[str]:
    """Sample ``n`` hex colours from a branca scale name or a list of colours."""
    from branca.colormap import LinearColormap, linear

    if isinstance(cmap, str):
        scales = linear._colormaps
        if cmap in scales:
            key = cmap
        else:
            options = sorted(k for k in scales if k.lower().startswith(cmap.lower() + "_"))
            if not options:
                raise ValueError(f"unknown colour scale {cmap!r}; try YlOrRd, Blues, RdYlGn, viridis or a list of colours")
            key = options[-1]  # the one with most classes
        scale = getattr(linear, key)
    else:
        scale = LinearColormap([_colour(c) for c in cmap])
    scale = scale.scale(0.0, 1.0)
    return [scale.rgb_hex_str((k + 0.5) / n) for k in range(n)]


def _colour_classes(
    series: pd.Series,
    *,
    categories: Mapping[Any, str] | None,
    cmap: str | Sequence[str],
    vmin: float | None,
    vmax: float | None,
    lang: str,
    kind: str,
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Palette, per-feature palette index and legend for a colour column."""
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if categories is None and numeric:
        values = series.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(values)
        lo = float(np.nanmin(values[finite])) if vmin is None and finite.any() else (vmin or 0.0)
        hi = float(np.nanmax(values[finite])) if vmax is None and finite.any() else (vmax if vmax is not None else 1.0)
        shown_hi = hi
        if not hi > lo:  # one value: everything in the lowest class
            hi = lo + 1.0
            shown_hi = lo
        palette = _cmap_colours(cmap, N_CLASSES)
        codes = np.full(len(values), N_CLASSES, dtype=np.int64)
        scaled = np.clip((values[finite] - lo) / (hi - lo) * N_CLASSES, 0, N_CLASSES - 1)
        codes[finite] = np.floor(scaled).astype(np.int64)
        legend: dict[str, Any] = {
            "ramp": {"colors": palette, "min": _fmt(lo), "max": _fmt(shown_hi)}, "rows": [],
        }
        if not finite.all():
            legend["rows"] = [{"label": t("no_data", lang), "color": _NODATA_COLOUR, "kind": kind}]
        return [*palette, _NODATA_COLOUR], codes, legend

    if categories is None:
        counts = series.dropna().value_counts()
        keys = list(counts.index[: len(_QUALITATIVE)])
        with contextlib.suppress(TypeError):
            keys = sorted(keys)
        categories = dict(zip(keys, _QUALITATIVE))
    palette = [_colour(c) for c in categories.values()]
    lookup = {key: k for k, key in enumerate(categories)}
    mapped = series.map(lookup)
    other = mapped.isna().to_numpy()
    codes = mapped.fillna(len(palette)).to_numpy(dtype=np.int64)
    rows = [
        {"label": _category_label(key, lang), "color": colour, "kind": kind}
        for key, colour in categories.items()
    ]
    if other.any():
        rows.append({"label": t("other", lang), "color": _OTHER_COLOUR, "kind": kind})
    return [*palette, _OTHER_COLOUR], codes, {"ramp": None, "rows": rows}


def _category_label(key: Any, lang: str) -> str:
    if isinstance(key, (bool, np.bool_)):
        return t("yes" if key else "no", lang)
    return str(t_value(str(key), lang))


def _scale_radius(series: pd.Series, radius_range: tuple[float, float]) -> np.ndarray:
    lo_r, hi_r = radius_range
    values = series.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(values)
    out = np.full(len(values), lo_r)
    if finite.any():
        lo, hi = float(values[finite].min()), float(values[finite].max())
        frac = (values[finite] - lo) / (hi - lo) if hi > lo else np.ones(int(finite.sum()))
        out[finite] = lo_r + (hi_r - lo_r) * np.sqrt(frac)
    return np.round(out, 1)


def _fmt(value: float) -> str:
    """Short, locale-neutral number text: 1234, 12.5, 0.0375."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else "–"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    digits = 2 if abs(value) >= 1 else 4
    return np.format_float_positional(value, precision=digits, trim="-")


def _fmt_array(values: np.ndarray) -> list[str | None]:
    """:func:`_fmt` for a whole column at C speed (None where not finite)."""
    out = np.full(len(values), None, dtype=object)
    finite = np.isfinite(values)
    whole = finite & (np.floor(values) == values) & (np.abs(values) < 1e15)
    out[whole] = values[whole].astype(np.int64).astype(str)
    rest = finite & ~whole
    for mask, fmt in ((rest & (np.abs(values) >= 1), "%.2f"), (rest & (np.abs(values) < 1), "%.4f")):
        if mask.any():
            text = np.char.mod(fmt, values[mask])
            out[mask] = np.char.rstrip(np.char.rstrip(text, "0"), ".")
    return out.tolist()


def _is_code_column(column: Any) -> bool:
    """Whether a column's text values may be codes to translate (not ids, names or contacts)."""
    name = str(column).lower()
    return not (name.endswith("_id") or name.startswith("name") or is_withheld(name))


def _format_values(series: pd.Series, lang: str, *, translate: bool = True) -> list[str | None]:
    """Display text per row; None for missing (shown as an en dash).

    With ``translate``, text that is a known code (``isolated_by_hazard``,
    ``high``) is shown as its label in ``lang`` (:func:`safegeo._i18n.t_value`).
    """
    if pd.api.types.is_bool_dtype(series):
        yes, no = t("yes", lang), t("no", lang)
        return [None if pd.isna(v) else (yes if v else no) for v in series.tolist()]
    if pd.api.types.is_integer_dtype(series):
        missing = series.isna().to_numpy()
        text = series.to_numpy(dtype=np.int64, na_value=0).astype(str).astype(object)
        text[missing] = None
        return text.tolist()
    if pd.api.types.is_float_dtype(series):
        return _fmt_array(series.to_numpy(dtype=float, na_value=np.nan))
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else v.isoformat() for v in series.tolist()]
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        # text only: each distinct value is formatted (and translated) once
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        shown = np.array([str(t_value(v, lang)) if translate else str(v) for v in uniques] + [None], dtype=object)
        return shown[codes].tolist()  # code -1 (missing) picks the None at the end
    out: list[str | None] = []
    labels: dict[str, str] = {}
    for v in series.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
            out.append(None)
        elif isinstance(v, float):
            out.append(_fmt(v))
        elif translate and isinstance(v, str):
            if v not in labels:
                labels[v] = str(t_value(v, lang))
            out.append(labels[v])
        else:
            out.append(str(v))
    return out


def _script_json(obj: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    return _escape_json(json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def _escape_json(text: str) -> str:
    # '<', '>' and '&' only occur inside JSON strings, where \u escapes mean the same
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


#: Line and point layers with at least this many features travel packed: coordinates as
#: delta-encoded integers (:data:`PACK_SCALE`), repeated values as a dictionary.
PACK_MIN_FEATURES = 2000
#: ... or at least this many coordinates (a few long merged lines).
PACK_MIN_COORDINATES = 20000
#: Packed coordinates are integers of 1 / PACK_SCALE degree (1e-5: about a metre).
PACK_SCALE = 100_000


def _pack_values(values: list[list[str | None]], n: int) -> list[Any]:
    """Columns with few distinct values (district names, priorities) as ``{"d": dictionary, "k": codes}``."""
    out: list[Any] = []
    for col in values:
        codes, uniques = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
        if len(uniques) * 4 <= n:
            out.append({"d": [None, *uniques.tolist()], "k": (codes + 1).tolist()})
        else:
            out.append(col)
    return out


def _pack_geometry(geoms: np.ndarray, kind: str) -> dict[str, Any]:
    """Points or lines as delta-encoded integer lon/lat pairs (see :data:`PACK_SCALE`).

    ``xy``: x, y, x, y ... each the difference from the previous coordinate
    (the first from 0); lines add ``np`` (points in each part) and, when a
    feature has several parts, ``pf`` (parts in each feature).
    """
    if kind == "point":
        xy = shapely.get_coordinates(geoms)
        part_points = feature_parts = None
    else:
        # vertices closer than the packed resolution to the line through their neighbours add nothing
        geoms = shapely.simplify(geoms, 1.0 / PACK_SCALE, preserve_topology=False)
        if (shapely.get_type_id(geoms) == 1).all():  # single lines (most layers): each is its one part
            parts, feat = geoms, np.arange(len(geoms))
        else:
            parts, feat = shapely.get_parts(geoms, return_index=True)
        xy, part_of = shapely.get_coordinates(parts, return_index=True)
        part_points = np.bincount(part_of, minlength=len(parts))
        feature_parts = np.bincount(feat, minlength=len(geoms))
    q = np.rint(xy * PACK_SCALE).astype(np.int64).reshape(-1, 2)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), np.int64))  # x from the previous x, y from the previous y
    out: dict[str, Any] = {"scale": PACK_SCALE, "xy": delta.ravel().tolist()}
    if part_points is not None:
        out["np"] = part_points.tolist()
        if (feature_parts != 1).any():
            out["pf"] = feature_parts.tolist()
    return out


def _layer_payload(
    *,
    name: str,
    label: str,
    kind: str,
    cluster: bool,
    palette: list[str],
    style: dict[str, Any],
    labels: list[str],
    tooltip: list[int],
    popup: list[int],
    values: list[list[str | None]],
    geoms: np.ndarray,
    codes: np.ndarray | None,
    radii: np.ndarray | None,
    mark: int | None = None,
) -> str:
    n = len(geoms)
    if kind in ("line", "point") and (n >= PACK_MIN_FEATURES
                                      or int(shapely.get_num_coordinates(geoms).sum()) >= PACK_MIN_COORDINATES):
        # a province-sized layer: integer coordinates and dictionary-coded values, about a third of the GeoJSON
        return _script_json({
            "name": name, "label": label, "kind": kind, "cluster": cluster,
            "palette": palette, "style": style, "labels": labels,
            "tooltip": tooltip, "popup": popup, "values": _pack_values(values, n), "mark": mark,
            "packed": _pack_geometry(geoms, kind),
            "codes": codes.tolist() if codes is not None else None,
            "radii": [float(f"{r:g}") for r in radii.tolist()] if radii is not None else None,
        })
    head = _script_json({
        "name": name, "label": label, "kind": kind, "cluster": cluster,
        "palette": palette, "style": style, "labels": labels,
        "tooltip": tooltip, "popup": popup, "values": values, "mark": mark,
    })
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, PRECISION))
    geometry = shapely.to_geojson(rounded).tolist()
    props: list[list[str]] = [[] for _ in range(n)]
    if values:
        props = [[f'"i":{k}'] for k in range(n)]
    if codes is not None:
        for p, c in zip(props, codes.tolist()):
            if c:
                p.append(f'"_c":{c}')
    if radii is not None:
        for p, r in zip(props, radii.tolist()):
            p.append(f'"_r":{r:g}')
    features = ",".join(
        f'{{"type":"Feature","geometry":{g},"properties":{{{",".join(p)}}}}}'
        for g, p in zip(geometry, props)
    )
    return f'{head[:-1]},"data":{{"type":"FeatureCollection","features":[{features}]}}}}'


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _check_href(href: str) -> str:
    """Allow relative paths and http(s) URLs only (no ``javascript:`` or ``data:`` links)."""
    from urllib.parse import urlparse

    scheme = urlparse(href).scheme.lower()
    if scheme not in ("", "http", "https"):
        raise ValueError(f"link {href!r}: only relative paths and http(s) URLs are allowed")
    return href
