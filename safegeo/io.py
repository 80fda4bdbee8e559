"""Reading layers from user files and writing results atomically.

Readers accept anything pyogrio reads (GeoPackage with a layer name, GeoJSON,
Shapefile, FlatGeobuf, ...), GeoParquet, and CSV with x/y (lon/lat) columns.
Writers never leave a half-written file behind: they write to a temporary file
in the destination folder and move it in place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from safegeo._errors import CRSError, LayerReadError

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml", ".sqlite", ".zip"}
PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img"}
OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".osm.gz")

_X_CANDIDATES = ("lon", "longitude", "lng", "x", "long")
_Y_CANDIDATES = ("lat", "latitude", "y")


def is_osm_path(path: str | os.PathLike) -> bool:
    name = str(path).lower()
    return name.endswith(OSM_SUFFIXES)


def is_raster_path(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in RASTER_SUFFIXES


def read_vector(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Read one vector layer from a file.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile, GeoParquet, CSV, ... .
    layer
        Layer name inside a multi-layer file (GeoPackage).  Required when the
        file has more than one layer.
    x, y
        CSV only: names of the longitude/x and latitude/y columns.  Guessed from
        common names (``lon``/``lat``, ``longitude``/``latitude``, ``x``/``y``)
        when not given.
    crs
        CRS of the CSV coordinates (default EPSG:4326), or the CRS to assume
        for a vector file that has none.  A vector file that declares a CRS
        different from this one raises :class:`CRSError`.

    Returns
    -------
    geopandas.GeoDataFrame
        With a default RangeIndex; row numbers in error messages are
        1-based data rows of this frame.

    Raises
    ------
    LayerReadError
        The file is missing, unreadable, or the layer name is wrong.
    """
    p = Path(path)
    if not p.exists():
        raise LayerReadError(f"{p}: file not found", hint="check the path (paths in study.toml are relative to the study file)")
    if crs is not None:
        try:
            crs = CRS.from_user_input(crs)
        except Exception as exc:
            raise LayerReadError(f"{p}: crs {crs!r} is not a CRS pyproj knows",
                                 hint='use an EPSG code such as "EPSG:4326" (lon/lat) or "EPSG:32647" (UTM 47N)') from exc
    suffix = p.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(p, x=x, y=y, crs=crs)
    try:
        if suffix in PARQUET_SUFFIXES:
            gdf = gpd.read_parquet(p)
        else:
            import pyogrio

            if layer is None:
                layers = pyogrio.list_layers(p)
                if len(layers) > 1:
                    names = ", ".join(str(n) for n in layers[:, 0])
                    raise LayerReadError(
                        f"{p}: file has {len(layers)} layers ({names}) and no layer was named",
                        hint='name one, e.g. { path = "' + p.name + '", layer = "' + str(layers[0, 0]) + '" }',
                    )
            elif layer not in set(pyogrio.list_layers(p)[:, 0]):
                names = ", ".join(str(n) for n in pyogrio.list_layers(p)[:, 0])
                raise LayerReadError(f"{p}: no layer '{layer}' (layers: {names})", hint="fix the layer name in study.toml")
            gdf = pyogrio.read_dataframe(p, layer=layer)
    except LayerReadError:
        raise
    except Exception as exc:  # pyogrio / arrow raise many types
        raise LayerReadError(f"{p}: cannot read ({exc.__class__.__name__}: {exc})", hint="is it a valid GIS file?") from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise LayerReadError(f"{p}: has no geometry column", hint="for a CSV give x/y columns; otherwise export with geometry")
    if crs is not None:
        if gdf.crs is None:
            gdf = gdf.set_crs(crs)
        elif not _same_crs(gdf.crs, crs):
            raise LayerReadError(
                f"{p}: the file says its CRS is {_crs_name(gdf.crs)}, but study.toml gives crs = \"{_crs_name(crs)}\"",
                hint="remove crs from this entry (the file's own CRS is used), or fix the file's CRS if it is wrong")
    return gdf.reset_index(drop=True)


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _same_crs(a: CRS, b: CRS) -> bool:
    if a.equals(b, ignore_axis_order=True):
        return True
    ea, eb = a.to_epsg(), b.to_epsg()
    return ea is not None and ea == eb


def _read_csv(p: Path, *, x: str | None, y: str | None, crs: Any) -> gpd.GeoDataFrame:
    sep = "\t" if p.suffix.lower() == ".tsv" else ","
    try:
        df = pd.read_csv(p, sep=sep, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LayerReadError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                             hint='save it as UTF-8: in Excel, "Save As" > "CSV UTF-8 (Comma delimited)" '
                                  "(plain CSV from Thai Excel is Windows-874)") from exc
    except Exception as exc:
        raise LayerReadError(f"{p}: cannot read CSV ({exc})", hint="save it as UTF-8 CSV with a header row") from exc
    lower = {c.lower(): c for c in df.columns}
    if x is None:
        x = next((lower[c] for c in _X_CANDIDATES if c in lower), None)
    if y is None:
        y = next((lower[c] for c in _Y_CANDIDATES if c in lower), None)
    missing = [name for name, col in (("x", x), ("y", y)) if col is None or col not in df.columns]
    if missing:
        raise LayerReadError(
            f"{p}: cannot find the coordinate columns ({', '.join(missing)}); columns are {', '.join(map(str, df.columns))}",
            hint='name them in study.toml, e.g. { path = "' + p.name + '", x = "lon", y = "lat", crs = "EPSG:4326" }',
        )
    xs = pd.to_numeric(df[x], errors="coerce")
    ys = pd.to_numeric(df[y], errors="coerce")
    bad = (xs.isna() | ys.isna()).to_numpy().nonzero()[0]
    if len(bad):
        rows = ", ".join(str(r + 1) for r in bad[:10])
        raise LayerReadError(
            f"{p}: {len(bad)} row(s) have missing or non-numeric coordinates in '{x}'/'{y}' (rows {rows})",
            hint="fill in or remove those rows",
        )
    geometry = gpd.points_from_xy(xs, ys)
    return gpd.GeoDataFrame(df.drop(columns=[x, y]), geometry=geometry, crs=crs or "EPSG:4326")


def require_crs(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Raise :class:`CRSError` if *gdf* has no CRS."""
    if gdf.crs is None:
        raise CRSError(
            f"{what}: the layer has no CRS, so its coordinates cannot be placed on the earth",
            hint="add crs = \"EPSG:4326\" (or the right code) to the layer in study.toml, or save the file with a CRS",
        )


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside *dest*; move it onto *dest* only if the block succeeds.

    Anything already at *dest* stays untouched when the block raises.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix or dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # let the writer create it (GDAL refuses to open an empty file as GPKG)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(dest: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(dest)


def write_gpkg(
    dest: str | os.PathLike,
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame],
    *,
    geometry_types: dict[str, str] | None = None,
) -> Path:
    """Write several layers into one GeoPackage, atomically (all layers or none).

    Non-spatial frames are written as attribute tables.  Empty layers are
    written too (with their columns), so readers find every documented layer.

    Parameters
    ----------
    geometry_types
        Layer name → declared geometry type (``"Point"``, ``"LineString"``,
        ``"MultiPolygon"``, ...).  Without it an empty layer is typed
        "Unknown", which QGIS shows as a geometry-less table; give the type
        for layers that may be empty.
    """
    import pyogrio

    types = geometry_types or {}
    with atomic_path(dest, suffix=".gpkg") as tmp:
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                kind = types.get(name)
                extra = {"geometry_type": kind, "promote_to_multi": kind.startswith("Multi")} if kind else {}
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", **extra)
            else:
                pyogrio.write_dataframe(pd.DataFrame(frame), tmp, layer=name, driver="GPKG")
    return Path(dest)


#: First characters that make a spreadsheet read a text cell as a formula (OWASP "CSV injection"):
#: ``=``, ``+``, ``-``, ``@``, tab, carriage return, and their full-width forms.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _defuse(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) else value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of *frame* whose text cells (and column names) cannot run as spreadsheet formulas.

    A string starting with one of :data:`FORMULA_PREFIXES` gets a leading
    ``'``, which Excel and LibreOffice read as "this is text"; numbers stay
    numbers (a float -3.5 is not text).  The geometry column, if any, is
    dropped: CSV holds attributes.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_safe(pd.DataFrame({"a": ["=1+1", "ok", "-2"], "b": [-3.5, 1.0, 2.0]})).to_dict("list")
    {'a': ["'=1+1", 'ok', "'-2"], 'b': [-3.5, 1.0, 2.0]}
    """
    df = pd.DataFrame(frame.drop(columns=frame.geometry.name)) if isinstance(frame, gpd.GeoDataFrame) else frame.copy()
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        elif not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        df[col] = s.map(_defuse)
    df.columns = [_defuse(c) for c in df.columns]
    return df


def csv_text(frame: pd.DataFrame) -> str:
    """*frame* as formula-safe CSV text (:func:`csv_safe`) for stdout: no index, no byte-order mark.

    Lines end with CRLF, as RFC 4180 says: with a bare newline, the csv
    module would leave a value holding a carriage return unquoted, and every
    reader would split the row there.
    """
    return csv_safe(frame).to_csv(index=False, lineterminator="\r\n")


def write_csv(dest: str | os.PathLike, frame: pd.DataFrame) -> Path:
    """Write *frame* to a CSV file that Excel opens safely, atomically.

    UTF-8 with a byte-order mark (``utf-8-sig``), so Excel shows Thai text
    instead of mojibake; text cells that look like formulas are neutralised
    (:func:`csv_safe`); CRLF line ends (RFC 4180, see :func:`csv_text`); no
    index.  Every CSV file safegeo writes goes through here.
    ``pandas.read_csv(path)`` reads it back (pandas skips the mark).

    Returns
    -------
    Path
        *dest*.

    Examples
    --------
    >>> write_csv("summary.csv", pd.DataFrame({"district": ["ตากใบ"], "people": [1200]}))  # doctest: +SKIP
    """
    with atomic_path(dest, suffix=".csv") as tmp:
        csv_safe(frame).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return Path(dest)
