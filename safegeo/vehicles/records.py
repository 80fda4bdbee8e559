"""Vehicle records: fields, value checks, capabilities, and reading fleet files."""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import Problem
from safegeo.privacy import public_record, scrub_text
from safegeo.schema import (
    VEHICLE_CAPABILITIES,
    VEHICLE_STATUSES,
    VEHICLE_TYPES,
)

if TYPE_CHECKING:
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)


#: Registry used when none is named (``--db`` / ``SAFEGEO_DB``).
DEFAULT_DB = "safegeo_vehicles.db"
#: Seconds a writer waits for another writer's lock before giving up.
BUSY_TIMEOUT_S = 30.0

#: Columns of a vehicle record, in display order.
FIELDS = ("vehicle_id", "type", "agency", "lon", "lat", "status", "capacity", "capabilities", "contact",
          "notes", "updated_at", "updated_by")
#: Fields a caller may set (``add`` / ``update`` / import columns).
EDITABLE = ("type", "agency", "lon", "lat", "status", "capacity", "capabilities", "contact", "notes")

_X_NAMES = ("lon", "longitude", "lng", "long", "x")
_Y_NAMES = ("lat", "latitude", "y")



# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    """What an import changed: ids added, updated (``update=True``) and left unchanged."""

    source: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.added) + len(self.updated) + len(self.unchanged)

    def format(self) -> str:
        return (f"{self.source}: {self.n_rows} row(s); added {len(self.added)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def db_url(db: str | os.PathLike) -> str:
    """SQLAlchemy URL for *db*: a path becomes ``sqlite:///path``, a URL is kept.

    ``postgresql://`` and ``postgres://`` (no driver named) use psycopg 3:
    ``postgresql+psycopg://``.

    >>> db_url("postgresql://fleet@db.example/fleet")
    'postgresql+psycopg://fleet@db.example/fleet'
    """
    s = os.fspath(db)
    if "://" not in s:
        return "sqlite:///" + str(Path(s).expanduser())
    scheme, rest = s.split("://", 1)
    if scheme.lower() in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + rest
    return s


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and value.strip() == ""


def _text(value: Any) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return str(value).strip()


def parse_capabilities(value: Any) -> tuple[str, ...]:
    """Capabilities as a sorted tuple from ``"4x4, boat"``, a list, or empty."""
    if _is_missing(value):
        return ()
    if isinstance(value, str):
        items = value.replace(";", ",").split(",")
    else:
        items = list(value)
    return tuple(sorted({str(i).strip().lower() for i in items if str(i).strip()}))


def _check_values(values: Mapping[str, Any], *, require: bool) -> tuple[dict[str, Any], list[str]]:
    """Normalise vehicle values; return (clean values, problems).

    With *require*, ``type`` and both coordinates must be present (a new
    vehicle); otherwise only the keys given are checked (an update).
    """
    clean: dict[str, Any] = {}
    errors: list[str] = []
    unknown = set(values) - set(EDITABLE)
    if unknown:
        errors.append(f"unknown field(s) {', '.join(sorted(unknown))}; fields are {', '.join(EDITABLE)}")
    if "type" in values or require:
        vtype = _text(values.get("type"))
        if vtype is None:
            errors.append("type is missing (one of " + ", ".join(VEHICLE_TYPES) + ")")
        elif vtype.lower() not in VEHICLE_TYPES:
            errors.append(f"unknown type '{vtype}' (one of {', '.join(VEHICLE_TYPES)})")
        else:
            clean["type"] = vtype.lower()
    if "status" in values:
        st = _text(values.get("status"))
        if st is None:
            if not require:
                errors.append("status is empty (one of " + ", ".join(VEHICLE_STATUSES) + ")")
        elif st.lower() not in VEHICLE_STATUSES:
            errors.append(f"unknown status '{st}' (one of {', '.join(VEHICLE_STATUSES)})")
        else:
            clean["status"] = st.lower()
    if "lon" in values or "lat" in values or require:
        lon, lat = values.get("lon"), values.get("lat")
        if _is_missing(lon) or _is_missing(lat):
            errors.append("coordinates are missing (lon and lat of the base)")
        else:
            try:
                lonf, latf = float(lon), float(lat)
            except (TypeError, ValueError):
                errors.append(f"coordinates '{lon}', '{lat}' are not numbers")
            else:
                if not (math.isfinite(lonf) and math.isfinite(latf)):
                    errors.append("coordinates are not finite numbers")
                elif not (-180 <= lonf <= 180 and -90 <= latf <= 90):
                    swap = " (lon and lat swapped?)" if -180 <= latf <= 180 and -90 <= lonf <= 90 else ""
                    errors.append(f"coordinates {lonf:g}, {latf:g} are out of range: lon must be within "
                                  f"-180..180 and lat within -90..90{swap}")
                else:
                    clean["lon"], clean["lat"] = round(lonf, 7), round(latf, 7)
    if "capacity" in values:
        cap = values.get("capacity")
        if _is_missing(cap):
            clean["capacity"] = None
        else:
            try:
                capf = float(cap)
            except (TypeError, ValueError):
                capf = math.nan
            if not math.isfinite(capf) or capf < 0 or not capf.is_integer():
                errors.append(f"capacity '{cap}' is not a whole number >= 0")
            else:
                clean["capacity"] = int(capf)
    if "capabilities" in values:
        caps = parse_capabilities(values.get("capabilities"))
        bad = [c for c in caps if c not in VEHICLE_CAPABILITIES]
        if bad:
            errors.append(f"unknown capabilit{'y' if len(bad) == 1 else 'ies'} {', '.join(bad)} "
                          f"(choose from {', '.join(VEHICLE_CAPABILITIES)})")
        else:
            clean["capabilities"] = ",".join(caps)
    for key in ("agency", "contact", "notes"):
        if key in values:
            clean[key] = _text(values.get(key))
    return clean, errors


def _fmt_value(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if key == "location":
        return f"{value[0]:.7f},{value[1]:.7f}"
    return str(value)


def _public_snapshot(text: str) -> str:
    """A history snapshot (JSON record) through the public filter: no contact or notes, other text scrubbed."""
    try:
        rec = json.loads(text)
    except ValueError:
        return scrub_text(text)
    if not isinstance(rec, dict):
        return scrub_text(text)
    return json.dumps(public_record(rec), ensure_ascii=False)


def _rows_problem(source: str, rows: list[int], message: str, fix: str | None = None) -> Problem:
    return Problem("vehicles", message, "error", source, None, tuple(rows), fix)




def _with_district(gdf: gpd.GeoDataFrame, study: StudyArea) -> gpd.GeoDataFrame:
    """*gdf* with ``district_id`` and ``district`` (and tambon) of each base, by the study's one area lookup."""
    where = study.areas.locate(gdf.geometry)
    out = gdf.copy()
    for c in [c for c in ("district_id", "district", "tambon_id", "tambon") if c in where.columns]:
        out.insert(len(out.columns) - 1, c, where[c].to_numpy(object))
    return out


def _points_to_lonlat(gdf: gpd.GeoDataFrame, source: str) -> tuple[pd.DataFrame, list[Problem]]:
    """lon/lat columns from point geometry (EPSG:4326); bad geometries become row problems."""
    problems: list[Problem] = []
    g = gdf
    if g.crs is None:
        log.info("%s: no CRS; assuming EPSG:4326 longitude/latitude", source)
    elif not g.crs.equals("EPSG:4326"):
        g = g.to_crs(4326)
    geom = g.geometry.values
    missing = np.asarray(shapely.is_missing(geom) | shapely.is_empty(geom))
    is_point = np.asarray(shapely.get_type_id(geom)) == 0
    df = pd.DataFrame(g.drop(columns=g.geometry.name))
    df = df.drop(columns=[c for c in ("lon", "lat") if c in df.columns])
    lon = np.full(len(g), np.nan)
    lat = np.full(len(g), np.nan)
    ok = ~missing & is_point
    lon[ok] = shapely.get_x(geom[ok])
    lat[ok] = shapely.get_y(geom[ok])
    df["lon"], df["lat"] = lon, lat
    wrong = ~missing & ~is_point
    if wrong.any():
        problems.append(_rows_problem(source, [int(i) + 1 for i in np.flatnonzero(wrong)],
                                      "geometry is not a point", "a vehicle base is one point"))
    return df, problems


def read_vehicle_file(path: str | os.PathLike, *, layer: str | None = None) -> tuple[pd.DataFrame, str, list[Problem]]:
    """Read a vehicle file into a table with ``lon``/``lat`` columns, without validating rows.

    Returns
    -------
    (DataFrame, source name, file-level problems)

    Raises
    ------
    LayerReadError
        The file is missing or unreadable.
    """
    from safegeo._errors import LayerReadError
    from safegeo.io import CSV_SUFFIXES, read_vector

    p = Path(path)
    source = p.name
    if not p.exists():
        raise LayerReadError(f"{p}: file not found", hint="check the path")
    problems: list[Problem] = []
    if p.suffix.lower() in CSV_SUFFIXES:
        try:
            df = pd.read_csv(p, sep="\t" if p.suffix.lower() == ".tsv" else ",", dtype=str, keep_default_na=False,
                             encoding="utf-8-sig")
        except Exception as exc:
            raise LayerReadError(f"{p}: cannot read CSV ({exc})",
                                 hint="save it as UTF-8 CSV with a header row") from exc
        df.columns = [str(c).strip() for c in df.columns]
        lower = {c.lower(): c for c in df.columns}
        x = next((lower[c] for c in _X_NAMES if c in lower), None)
        y = next((lower[c] for c in _Y_NAMES if c in lower), None)
        if x is None or y is None:
            problems.append(_rows_problem(source, [], "has no coordinate columns (lon/lat, longitude/latitude "
                                                      f"or x/y); columns are {', '.join(df.columns)}",
                                          "add lon and lat columns in degrees"))
        else:
            df = df.rename(columns={x: "lon", y: "lat"})
        df = df.replace({"": None})
        return df, source, problems
    gdf = read_vector(p, layer=layer)
    if layer:
        source = f"{p.name} (layer {layer})"
    frame, geo_problems = _points_to_lonlat(gdf, source)
    return frame, source, problems + geo_problems
