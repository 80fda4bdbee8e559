"""Reading layers from user files and writing results atomically.

Readers accept anything pyogrio reads (GeoPackage with a layer name, GeoJSON,
Shapefile, FlatGeobuf, ...), GeoParquet, and CSV with x/y (lon/lat) columns.
Writers never leave a half-written file behind: they write to a temporary file
in the destination folder and move it in place.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from safegeo._errors import CRSError, LayerReadError
from safegeo.output import TMP_PREFIX

log = logging.getLogger(__name__)

try:  # pyogrio reads and writes through Arrow (columnar, no per-feature Python) when pyarrow is there
    import pyarrow  # noqa: F401

    _ARROW = True
except ImportError:  # pragma: no cover
    _ARROW = False



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


#: ``GeoDataFrame.attrs`` key of the 1-based file row of each feature (a :class:`FileRows`), set when a
#: filter dropped rows, so that messages name the rows of the file, not of the filtered frame.
ROWS_ATTR = "safegeo_rows"


class FileRows:
    """The 1-based file row of each feature of a filtered frame, kept in ``GeoDataFrame.attrs``.

    pandas deep-copies ``attrs`` on every operation and compares them on
    ``concat``: this holder is shared instead of copied and compares by
    identity, so a large filtered layer costs nothing to carry.
    """

    __slots__ = ("rows",)

    def __init__(self, rows: Any) -> None:
        self.rows = np.asarray(rows, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    def __copy__(self) -> FileRows:
        return self

    def __deepcopy__(self, memo: dict) -> FileRows:
        return self

    def __repr__(self) -> str:
        return f"FileRows({len(self.rows)} rows)"


def file_rows(gdf: pd.DataFrame) -> np.ndarray:
    """The 1-based file row of each feature: from ``attrs[ROWS_ATTR]`` when it fits, else 1..n."""
    held = gdf.attrs.get(ROWS_ATTR)
    if isinstance(held, FileRows) and len(held) == len(gdf):
        return held.rows
    return np.arange(1, len(gdf) + 1, dtype=np.int64)

#: Suffixes whose text encoding the reader can be told (``encoding=``): Shapefile ``.dbf`` and CSV.
ENCODING_SUFFIXES = {".shp", ".dbf"} | CSV_SUFFIXES


def read_vector(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
    where: str | None = None,
    encoding: str | None = None,
    table_ok: bool = False,
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
    where
        An SQL attribute filter, e.g. ``"prov_code = '96' AND bed > 0"``.
        Files GDAL reads get it as an OGR SQL ``WHERE`` clause (pyogrio
        ``where=``); for CSV and GeoParquet the same expression is evaluated by
        SQLite over the attribute table (pandas-style ``==``, ``and``/``or``
        work too).
    encoding
        Text encoding of a Shapefile's ``.dbf`` or of a CSV file, e.g.
        ``"cp874"`` (TIS-620, the Thai legacy code page).

    Returns
    -------
    geopandas.GeoDataFrame
        With a default RangeIndex; row numbers in error messages are
        1-based data rows of this frame.  When *where* dropped rows,
        ``gdf.attrs[ROWS_ATTR]`` holds the file row of each feature (:func:`file_rows`).

    Raises
    ------
    LayerReadError
        The file is missing or unreadable, the layer name is wrong, the
        filter is not valid, or CSV coordinates are missing or not finite.

    Examples
    --------
    >>> read_vector("hc12_phc.geojson", where="ADM1_PCODE = 'TH96'")  # doctest: +SKIP
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
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise LayerReadError(f"{p}: encoding {encoding!r} is not a text encoding Python knows",
                                 hint='e.g. encoding = "cp874" (TIS-620, Thai) or "utf-8"') from None
        if suffix not in ENCODING_SUFFIXES:
            raise LayerReadError(f"{p}: encoding applies to Shapefiles and CSV files only; a {suffix} file says its "
                                 "own encoding", hint="remove encoding from this entry")
    if where is not None and not str(where).strip():
        raise LayerReadError(f"{p}: where is empty", hint="remove it, or give a filter such as where = \"prov_code = '96'\"")
    if suffix in CSV_SUFFIXES:
        return _read_csv(p, x=x, y=y, crs=crs, encoding=encoding, where=where, table_ok=table_ok)
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
            gdf = _read_ogr(p, layer=layer, where=where, encoding=encoding)
    except LayerReadError:
        raise
    except Exception as exc:  # pyogrio / arrow raise many types
        raise LayerReadError(f"{p}: cannot read ({exc.__class__.__name__}: {exc})", hint="is it a valid GIS file?") from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        if not table_ok:
            raise LayerReadError(f"{p}: has no geometry column",
                                 hint="for a CSV give x/y columns; otherwise export with geometry")
        gdf = _as_table(pd.DataFrame(gdf))
    if crs is not None:
        if gdf.crs is None:
            gdf = gdf.set_crs(crs)
        elif not _same_crs(gdf.crs, crs):
            raise LayerReadError(
                f"{p}: the file says its CRS is {_crs_name(gdf.crs)}, but study.toml gives crs = \"{_crs_name(crs)}\"",
                hint="remove crs from this entry (the file's own CRS is used), or fix the file's CRS if it is wrong")
    if where is not None and suffix in PARQUET_SUFFIXES:
        rows = np.flatnonzero(where_mask(gdf, where, source=str(p))) + 1
        gdf = gdf.iloc[rows - 1]
        rows_attr = FileRows(rows)
    else:
        rows_attr = gdf.attrs.get(ROWS_ATTR)
    gdf = gdf.reset_index(drop=True)
    if rows_attr is not None:
        gdf.attrs[ROWS_ATTR] = rows_attr
    return gdf


def _read_ogr(p: Path, *, layer: str | None, where: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    """pyogrio read; with *where*, the file row of each feature kept goes to ``attrs[ROWS_ATTR]``."""
    import pyogrio
    from pyogrio.raw import read as raw_read

    opts: dict[str, Any] = {"encoding": encoding} if encoding else {}
    if where is None:
        # columnar through Arrow when we can (3x faster on large layers); GDAL's own recoding otherwise
        # (not for Shapefiles: their text encoding is handled by GDAL's classic reader, see _check_dbf_text)
        arrow = _ARROW and not encoding and p.suffix.lower() not in (".shp", ".dbf", ".zip")
        return pyogrio.read_dataframe(p, layer=layer, use_arrow=arrow, **opts)
    try:
        gdf = pyogrio.read_dataframe(p, layer=layer, where=where, fid_as_index=True, **opts)
    except Exception as exc:
        try:
            fields = ", ".join(str(f) for f in pyogrio.read_info(p, layer=layer)["fields"])
        except Exception:  # the file itself is broken: the plain read says so
            fields = "?"
        raise LayerReadError(f"{p}: where {where!r} is not a filter GDAL can evaluate ({exc})",
                             hint=f"write it as SQL, e.g. where = \"prov_code = '96' AND bed > 0\" (text in single "
                                  f"quotes); columns: {fields}") from exc
    # the position of each kept feature among all features: its row number in the file
    _, all_fids, _, _ = raw_read(p, layer=layer, columns=[], read_geometry=False, return_fids=True)
    pos = pd.Index(all_fids).get_indexer(gdf.index)
    gdf.attrs[ROWS_ATTR] = FileRows(pos + 1)
    return gdf


def where_mask(frame: pd.DataFrame, where: str, *, source: str) -> np.ndarray:
    """Rows of *frame* that satisfy the SQL filter *where*, evaluated by SQLite over its attribute columns.

    The same expression works for files GDAL reads (OGR SQL): ``=``, ``<>``,
    ``AND``/``OR``/``NOT``, ``IN (...)``, ``LIKE``, ``IS NULL``, ``BETWEEN``;
    pandas-style ``==`` and lower-case ``and``/``or`` work too.

    Raises
    ------
    LayerReadError
        The expression is not valid SQL or names a column the file does not have.
    """
    import sqlite3

    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    cols = [c for c in frame.columns if c != geom]
    lower: dict[str, str] = {}
    for c in cols:
        if str(c).lower() in lower:
            raise LayerReadError(f"{source}: columns '{lower[str(c).lower()]}' and '{c}' differ only in case, so an "
                                 "SQL filter cannot tell them apart", hint="rename or delete one of them in the file")
        lower[str(c).lower()] = str(c)
    table = pd.DataFrame({str(c): _sql_value(frame[c]) for c in cols})
    table["_safegeo_row"] = np.arange(len(frame))
    con = sqlite3.connect(":memory:")
    try:
        table.to_sql("layer", con, index=False)
        rows = [r[0] for r in con.execute(f"SELECT _safegeo_row FROM layer WHERE {where}").fetchall()]
    except (sqlite3.Error, sqlite3.Warning) as exc:
        raise LayerReadError(f"{source}: where {where!r} is not a valid filter ({exc})",
                             hint=f"write it as SQL, e.g. where = \"prov_code = '96' AND bed > 0\" (text in single "
                                  f"quotes, column names as they are in the file); columns: {', '.join(map(str, cols))}"
                             ) from None
    finally:
        con.close()
    mask = np.zeros(len(frame), dtype=bool)
    mask[np.asarray(rows, dtype=np.int64)] = True
    return mask


def _sql_value(series: pd.Series) -> pd.Series:
    """A column as SQLite can store it: numbers and text as they are, anything else as text."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("Int64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.astype(str).where(series.notna(), None)
    ok = (int, float, str, np.integer, np.floating)
    return series.astype(object).map(lambda v: v if v is None or isinstance(v, ok) else str(v))


def shapefile_text_encoding(path: str | os.PathLike, *, max_records: int = 20_000) -> str | None:
    """How the text of a Shapefile that does not name its encoding decodes, read from the raw ``.dbf``.

    GDAL reads a ``.dbf`` with no ``.cpg`` beside it (and no code page in its
    header) as Latin-1, which turns Thai text into mojibake.  Returns None
    when the file names its encoding or its text is plain ASCII, ``"utf-8"``
    when the text is valid UTF-8, ``"cp874"`` when it reads as Thai in
    TIS-620 (Windows-874), else ``"unknown"``.
    """
    shp = Path(path)
    dbf = next((q for q in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if q.exists()), None)
    if dbf is None or any(shp.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    with open(dbf, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            return None
        n_rec = int.from_bytes(head[4:8], "little")
        head_len = int.from_bytes(head[8:10], "little")
        rec_len = int.from_bytes(head[10:12], "little")
        if head[29] != 0 or rec_len <= 0:  # a language-driver code page: GDAL uses it
            return None
        desc = fh.read(max(head_len - 32, 0))
        fields, offset = [], 1  # each record starts with the deletion flag
        for i in range(0, len(desc) - 31, 32):
            if desc[i] == 0x0D:
                break
            length = desc[i + 16]
            if desc[i + 11:i + 12] == b"C":
                fields.append((offset, length))
            offset += length
        if not fields:
            return None
        n = min(n_rec, max_records)
        fh.seek(head_len)
        raw = np.frombuffer(fh.read(n * rec_len), dtype=np.uint8)
    n = len(raw) // rec_len
    records = raw[: n * rec_len].reshape(n, rec_len)
    text = np.concatenate([records[:, o:o + w].ravel() for o, w in fields]) if n else raw[:0]
    if not (text >= 0x80).any():
        return None
    # every value on its own: a multi-byte character never spans two fields
    values = [bytes(records[r, o:o + w]).rstrip(b" \x00") for o, w in fields for r in range(n)]
    try:
        for v in values:
            v.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    decoded = "".join(v.decode("cp874", errors="replace") for v in values)
    high = [c for c in decoded if ord(c) >= 0x80]
    thai = sum("\u0e01" <= c <= "\u0e5b" for c in high)
    return "cp874" if high and thai >= 0.9 * len(high) else "unknown"


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _same_crs(a: CRS, b: CRS) -> bool:
    if a.equals(b, ignore_axis_order=True):
        return True
    ea, eb = a.to_epsg(), b.to_epsg()
    return ea is not None and ea == eb


def _as_table(df: pd.DataFrame) -> gpd.GeoDataFrame:
    """A plain table as a GeoDataFrame with no geometry (layers joined to the areas by a code column)."""
    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=gpd.GeoSeries([None] * len(df), crs="EPSG:4326"),
                            crs="EPSG:4326")


def _read_csv(p: Path, *, x: str | None, y: str | None, crs: Any, encoding: str | None = None,
              where: str | None = None, table_ok: bool = False) -> gpd.GeoDataFrame:
    sep = "\t" if p.suffix.lower() == ".tsv" else ","
    try:
        df = pd.read_csv(p, sep=sep, encoding=encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        if encoding:
            raise LayerReadError(f"{p}: not {encoding} text ({exc.reason} at byte {exc.start})",
                                 hint="check the encoding in study.toml (cp874 for Thai Windows files, utf-8 otherwise)"
                                 ) from exc
        raise LayerReadError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                             hint='save it as UTF-8: in Excel, "Save As" > "CSV UTF-8 (Comma delimited)" '
                                  '(plain CSV from Thai Excel is Windows-874), or add encoding = "cp874" to the entry'
                             ) from exc
    except Exception as exc:
        raise LayerReadError(f"{p}: cannot read CSV ({exc})", hint="save it as UTF-8 CSV with a header row") from exc
    lower = {c.lower(): c for c in df.columns}
    if x is None:
        x = next((lower[c] for c in _X_CANDIDATES if c in lower), None)
    if y is None:
        y = next((lower[c] for c in _Y_CANDIDATES if c in lower), None)
    missing = [name for name, col in (("x", x), ("y", y)) if col is None or col not in df.columns]
    if missing and table_ok and x is None and y is None:  # a table (events by tambon code): no coordinates
        rows = np.arange(1, len(df) + 1)
        if where is not None:
            keep = where_mask(df, where, source=str(p))
            df, rows = df[keep].reset_index(drop=True), rows[keep]
        out = _as_table(df)
        if where is not None:
            out.attrs[ROWS_ATTR] = FileRows(rows)
        return out
    if missing:
        raise LayerReadError(
            f"{p}: cannot find the coordinate columns ({', '.join(missing)}); columns are {', '.join(map(str, df.columns))}",
            hint='name them in study.toml, e.g. { path = "' + p.name + '", x = "lon", y = "lat", crs = "EPSG:4326" }',
        )
    rows = np.arange(1, len(df) + 1)
    if where is not None:
        keep = where_mask(df, where, source=str(p))
        df, rows = df[keep].reset_index(drop=True), rows[keep]
    xs = pd.to_numeric(df[x], errors="coerce")
    ys = pd.to_numeric(df[y], errors="coerce")
    bad = (xs.isna() | ys.isna()).to_numpy().nonzero()[0]
    if len(bad):
        shown = ", ".join(str(r) for r in rows[bad][:10])
        raise LayerReadError(
            f"{p}: {len(bad)} row(s) have missing or non-numeric coordinates in '{x}'/'{y}' (rows {shown})",
            hint="fill in or remove those rows",
        )
    infinite = (~np.isfinite(xs.to_numpy(float)) | ~np.isfinite(ys.to_numpy(float))).nonzero()[0]
    if len(infinite):
        shown = ", ".join(str(r) for r in rows[infinite][:10])
        raise LayerReadError(
            f"{p}: {len(infinite)} row(s) have infinite coordinates in '{x}'/'{y}' (rows {shown})",
            hint="give those rows real coordinates (lon/lat in degrees) or remove them",
        )
    geometry = gpd.points_from_xy(xs, ys)
    gdf = gpd.GeoDataFrame(df.drop(columns=[x, y]), geometry=geometry, crs=crs or "EPSG:4326")
    if where is not None:
        gdf.attrs[ROWS_ATTR] = FileRows(rows)
    return gdf


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
    # a recognisable name: the next run removes it if this process is killed (safegeo.output.recover)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=f"-{dest.stem}{suffix or dest.suffix}",
                               dir=dest.parent)
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


def _arrow_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns of mixed types (numbers and text, lists) as text, so Arrow can type them."""
    fixes = {}
    for c in frame.columns:
        if c == getattr(frame, "_geometry_column_name", None) or frame[c].dtype != object:
            continue
        kind = pd.api.types.infer_dtype(frame[c], skipna=True)
        if kind not in ("string", "integer", "floating", "boolean", "mixed-integer-float", "empty"):
            fixes[c] = frame[c].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
    return frame.assign(**fixes) if fixes else frame


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
                pyogrio.write_dataframe(_arrow_safe(frame), tmp, layer=name, driver="GPKG", use_arrow=_ARROW, **extra)
            else:
                pyogrio.write_dataframe(_arrow_safe(pd.DataFrame(frame)), tmp, layer=name, driver="GPKG",
                                        use_arrow=_ARROW)
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
