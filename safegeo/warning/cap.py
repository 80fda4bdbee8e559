"""CAP 1.2 alerts (OASIS Common Alerting Protocol): build, read, validate; SMS lengths.

A CAP alert is the XML message that warning systems, cell-broadcast gateways,
sirens and apps exchange.  This module writes one from safegeo's data and reads
an incoming one back into shapely geometries, so ``safegeo warn`` can both send
a warning for an area and take its area from somebody else's alert.

Building
--------
:func:`cap_area` / :func:`cap_areas` turn geometries in any CRS into
:class:`CapArea` objects (EPSG:4326, simplified for CAP consumers);
:class:`CapInfo` holds one language's text and CAP codes; :func:`build_alert`
checks every value against CAP's lists (all problems reported at once, as one
:class:`~safegeo.CapError`) and returns the XML text.

Polygons in an alert
--------------------
* ``<polygon>`` is WGS 84 ``"lat,lon"`` pairs separated by spaces, a closed ring
  (first point repeated), at least 4 pairs; coordinates are written with 6
  decimals (about 0.1 m).  Exterior rings are written **counter-clockwise** as
  seen on a map (east to the right, north up), as GeoJSON (RFC 7946) does; CAP
  itself does not fix an orientation.
* A multipolygon becomes several ``<polygon>`` elements of one ``<area>``.
  **Holes are dropped**: CAP has no way to write them, and filling a hole only
  enlarges the area, which is the safe side for a warning.
* **Simplification rule** (many CAP consumers accept at most about 100 points
  per polygon): a ring already within ``max_vertices`` points (counting the
  repeated first point) is written as it is.  A longer ring is simplified in
  the local UTM zone (metres): for a tolerance *t*, the ring is buffered
  outward by *t* (round joins) and then simplified with Douglas-Peucker at
  0.8 *t* preserving topology; a result is accepted when it has at most
  ``max_vertices`` points **and covers the whole original ring**.  *t* starts
  at 5 m and doubles until a result is accepted; three bisections (in log
  scale) then bring it within 9 % of the smallest tolerance that works.  A
  Douglas-Peucker line stays within its tolerance of the line it replaces, so
  the 0.2 *t* margin makes covering hold by construction, and it is checked
  as well.  Because the original is covered, every point that was inside — a
  village, a shelter, a house — stays inside, with no need to list them; the
  polygon reaches outward by roughly *t* to 2 *t*, and inlets narrower than
  about 2 *t* are filled.  On the 77 Narathiwat tambons (129–3,843 points
  each) a 100-point cap needs *t* of 5–207 m (median 28 m) and grows the areas
  by 2.0 % (median; at most 7.7 %).  The tolerance used is kept in
  :attr:`CapArea.tolerance_m`.
* ``<circle>`` is ``"lat,lon radius_km"``: points given with ``radius_m``
  become circles.  When reading, a circle becomes a 64-sided polygon computed
  in an azimuthal equidistant projection centred on it (metres).

Geocodes
--------
``<geocode>`` carries ``valueName``/``value`` pairs.  safegeo writes the OCHA
COD-AB place codes under the COD-AB field names (:data:`GEOCODE_VALUE_NAMES`):
``ADM1_PCODE`` (province, ``TH96`` = Narathiwat), ``ADM2_PCODE`` (district,
``TH9601`` = Mueang Narathiwat) and ``ADM3_PCODE`` (tambon, ``TH960101`` = Bang
Nak).  A Thai pcode is ``TH`` followed by the Interior Ministry (DOPA) code.

Reading
-------
:func:`read_alert` parses CAP 1.2 and CAP 1.1 (also when wrapped, e.g. in an
EDXL-DE envelope or an Atom entry holding exactly one alert).  Required
elements must be present; values outside CAP's lists are kept as written (use
:func:`validate_alert` for a full schema check against the bundled OASIS XSD).
Documents with a DOCTYPE are refused: CAP never needs one, and refusing it
rules out entity-expansion attacks from untrusted feeds.

Examples
--------
>>> import shapely
>>> from safegeo.warning.cap import CapInfo, build_alert, cap_area, read_alert, sms_segments
>>> area = cap_area(shapely.box(101.80, 6.41, 101.84, 6.45), crs="EPSG:4326",
...                 desc={"th-TH": "เมืองนราธิวาส", "en-US": "Mueang Narathiwat"},
...                 geocodes={"ADM2_PCODE": "TH9601"})
>>> en = CapInfo(language="en-US", category="Met", event="Flood", urgency="Immediate",
...              severity="Severe", certainty="Observed", response_type="Evacuate", areas=(area,))
>>> th = CapInfo(language="th-TH", category="Met", event="น้ำท่วม", urgency="Immediate",
...              severity="Severe", certainty="Observed", response_type="Evacuate", areas=(area,))
>>> xml = build_alert([th, en], sender="narathiwat@disaster.go.th", sent="2025-11-20T08:00:00+07:00")
>>> alert = read_alert(xml)
>>> alert.info("en").areas[0].desc, alert.geocodes("ADM2_PCODE")
('Mueang Narathiwat', ['TH9601'])
>>> sms_segments("น้ำท่วม")
SmsLength(encoding='UCS-2', characters=7, segments=1)
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from safegeo._errors import CapError, CRSError
from safegeo.projection import utm_crs_for_lonlat

log = logging.getLogger(__name__)

__all__ = [
    "BANGKOK",
    "CAP11_NS",
    "CAP12_NS",
    "CATEGORIES",
    "CERTAINTIES",
    "GEOCODE_VALUE_NAMES",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "HAZARD_CATEGORIES",
    "MAX_VERTICES",
    "MSG_TYPES",
    "RESPONSE_TYPES",
    "SCOPES",
    "SEVERITIES",
    "STATUSES",
    "URGENCIES",
    "CapAlert",
    "CapArea",
    "CapInfo",
    "Circle",
    "SmsLength",
    "build_alert",
    "cap_area",
    "cap_areas",
    "format_cap_time",
    "hazard_category",
    "read_alert",
    "sms_segments",
    "validate_alert",
]

# --- CAP vocabulary -----------------------------------------------------------

CAP12_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11_NS = "urn:oasis:names:tc:emergency:cap:1.1"
_CAP10_NS = "http://www.incident.com/cap/1.0"
_VERSIONS = {CAP12_NS: "1.2", CAP11_NS: "1.1"}

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other")
RESPONSE_TYPES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
#: msgType values :func:`build_alert` writes (Ack and Error are for system-to-system replies).
_BUILD_MSG_TYPES = ("Alert", "Update", "Cancel")

#: CAP category of each safegeo hazard kind.  CAP 1.2 itself files floods under
#: Met ("Meteorological, inc. flood") and landslides under Geo ("Geophysical,
#: inc. landslide"); haze (PM2.5 from burning) is pollution (Env) and a health
#: hazard (Health); the southern unrest is Security.
HAZARD_CATEGORIES: dict[str, tuple[str, ...]] = {
    "flood": ("Met",),
    "flash_flood": ("Met",),
    "storm": ("Met",),
    "storm_surge": ("Met",),
    "drought": ("Met",),
    "landslide": ("Geo",),
    "tsunami": ("Geo",),
    "fire": ("Fire",),
    "haze": ("Env", "Health"),
    "epidemic": ("Health",),
    "unrest": ("Security",),
}

#: ``<geocode>`` valueName written for each place-code column (COD-AB field names).
GEOCODE_VALUE_NAMES: dict[str, str] = {
    "adm1_pcode": "ADM1_PCODE",
    "adm2_pcode": "ADM2_PCODE",
    "adm3_pcode": "ADM3_PCODE",
}

#: Most points a written ``<polygon>`` may have, counting the repeated first point.
MAX_VERTICES = 100
#: Thailand's time zone (UTC+07:00 all year, no daylight saving).
BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")

_DECIMALS = 6  # 1e-6 degree is about 0.11 m
_MIN_TOLERANCE_M = 5.0
_REFINE_STEPS = 3  # bisections (in log scale) after doubling the tolerance
_SIMPLIFY_FRACTION = 0.8  # Douglas-Peucker tolerance as a share of the outward buffer
_BUFFER_QUAD_SEGS = 4  # round-join arcs: chord sag 1.9 % of the buffer, well inside the 20 % margin
_CIRCLE_QUAD_SEGS = 16  # 64-sided circles when reading <circle>
_FORBIDDEN_ID_CHARS = re.compile(r"[\s,<&]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def hazard_category(kind: str) -> tuple[str, ...]:
    """CAP ``<category>`` values for a safegeo hazard kind (see :data:`HAZARD_CATEGORIES`).

    Raises
    ------
    CapError
        *kind* is not a hazard kind safegeo knows.

    Examples
    --------
    >>> hazard_category("haze")
    ('Env', 'Health')
    """
    key = str(kind).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in HAZARD_CATEGORIES:
        raise CapError(
            f"hazard kind {kind!r} has no CAP category",
            hint=f"use one of {', '.join(HAZARD_CATEGORIES)}, or give the category yourself (one of {', '.join(CATEGORIES)})",
        )
    return HAZARD_CATEGORIES[key]


# --- data classes --------------------------------------------------------------


class Circle(NamedTuple):
    """A CAP ``<circle>``: centre in WGS 84 degrees, radius in kilometres."""

    lat: float
    lon: float
    radius_km: float


def _pairs(value: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    """Normalise a mapping or pair list to a tuple of (name, value) strings; list values repeat the name."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    out: list[tuple[str, str]] = []
    for name, v in items:
        if isinstance(v, (list, tuple, set, frozenset)):
            out.extend((str(name), str(x)) for x in v)
        else:
            out.append((str(name), str(v)))
    return tuple(out)


def _strings(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass(frozen=True, kw_only=True)
class CapArea:
    """One CAP ``<area>``: a description and polygons / circles / geocodes in WGS 84.

    Build it with :func:`cap_area` / :func:`cap_areas` (which reproject and
    simplify), or directly when the polygons are already EPSG:4326 and small.

    Attributes
    ----------
    desc : str
        ``<areaDesc>``, used for any language not in *desc_i18n*.
    polygons : tuple of shapely.Polygon
        Exterior rings in EPSG:4326 (lon, lat); holes are not written.
    circles : tuple of Circle
        ``(lat, lon, radius_km)``.
    geocodes : tuple of (valueName, value)
        E.g. ``(("ADM3_PCODE", "TH960101"),)``.
    altitude, ceiling : float, optional
        CAP ``<altitude>`` / ``<ceiling>`` in feet above mean sea level, as CAP defines them.
    desc_i18n : tuple of (language, text)
        Per-language descriptions, e.g. ``(("th-TH", "บางนาค"), ("en-US", "Bang Nak"))``.
    tolerance_m : float, optional
        Largest simplification tolerance used for the polygons (see the module
        notes); ``None`` when they were written as given or read from a file.
    """

    desc: str
    polygons: tuple[shapely.Polygon, ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()
    altitude: float | None = None
    ceiling: float | None = None
    desc_i18n: tuple[tuple[str, str], ...] = ()
    tolerance_m: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "polygons", tuple(self.polygons))
        object.__setattr__(self, "circles", tuple(Circle(*(float(v) for v in c)) for c in self.circles))
        object.__setattr__(self, "geocodes", _pairs(self.geocodes))
        object.__setattr__(self, "desc_i18n", _pairs(self.desc_i18n))

    def desc_for(self, language: str) -> str:
        """The description for *language*: exact tag, then same primary language (``th`` for ``th-TH``), else :attr:`desc`."""
        lang = language.lower()
        for tag, text in self.desc_i18n:
            if tag.lower() == lang:
                return text
        primary = lang.split("-")[0]
        for tag, text in self.desc_i18n:
            if tag.lower().split("-")[0] == primary:
                return text
        return self.desc

    @property
    def geometry(self) -> BaseGeometry | None:
        """Polygons and circles as one geometry in EPSG:4326 (lon, lat), or ``None`` for a geocode-only area."""
        parts = [_polygonal(shapely.make_valid(p)) for p in self.polygons]
        parts += [_circle_polygon(c) for c in self.circles]
        parts = [p for p in parts if p is not None and not p.is_empty]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else shapely.union_all(parts)


@dataclass(frozen=True, kw_only=True)
class CapInfo:
    """One CAP ``<info>`` block: the message in one language, with CAP's codes and the areas.

    ``category`` and ``response_type`` take one value or several; enumerations
    are matched case-insensitively and checked by :func:`build_alert`.
    Datetimes must carry a time zone (e.g. ``tzinfo=BANGKOK``).

    Examples
    --------
    >>> info = CapInfo(language="th-TH", category=hazard_category("flood"), event="น้ำท่วม",
    ...                urgency="Immediate", severity="Severe", certainty="Observed")
    >>> info.category
    ('Met',)
    """

    language: str
    category: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_type: tuple[str, ...] = ()
    audience: str | None = None
    event_codes: tuple[tuple[str, str], ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    areas: tuple[CapArea, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", _strings(self.category))
        object.__setattr__(self, "response_type", _strings(self.response_type))
        object.__setattr__(self, "event_codes", _pairs(self.event_codes))
        object.__setattr__(self, "parameters", _pairs(self.parameters))
        object.__setattr__(self, "areas", tuple(self.areas))


@dataclass(frozen=True, kw_only=True)
class CapAlert:
    """A CAP alert as read by :func:`read_alert`.

    Attributes follow the CAP element names in snake case; ``references`` are
    ``(sender, identifier, sent)`` triples, ``version`` is ``"1.2"`` or ``"1.1"``.
    """

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    infos: tuple[CapInfo, ...] = ()
    source: str | None = None
    restriction: str | None = None
    addresses: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[tuple[str, str, str], ...] = ()
    incidents: tuple[str, ...] = ()
    version: str = "1.2"

    @property
    def reference(self) -> tuple[str, str, str]:
        """``(sender, identifier, sent)`` of this alert, for the ``references`` of an Update or Cancel."""
        return (self.sender, self.identifier, format_cap_time(self.sent))

    @property
    def areas(self) -> tuple[CapArea, ...]:
        """Every area of every info (the same place in two languages appears twice)."""
        return tuple(a for info in self.infos for a in info.areas)

    def info(self, language: str) -> CapInfo:
        """The info block in *language* (exact tag, else same primary language, e.g. ``"th"``).

        Raises
        ------
        CapError
            No info block is in that language.
        """
        lang = language.lower()
        for match in (lambda t: t == lang, lambda t: t.split("-")[0] == lang.split("-")[0]):
            for info in self.infos:
                if match(info.language.lower()):
                    return info
        have = ", ".join(i.language for i in self.infos) or "none"
        raise CapError(f"alert {self.identifier}: no info block in language {language!r} (it has: {have})")

    def geocodes(self, value_name: str) -> list[str]:
        """Distinct geocode values named *value_name* (case-insensitive), in order of appearance."""
        name = value_name.lower()
        seen: dict[str, None] = {}
        for area in self.areas:
            for n, v in area.geocodes:
                if n.lower() == name:
                    seen.setdefault(v)
        return list(seen)

    def footprint(self) -> BaseGeometry:
        """Union of every area's polygons and circles, EPSG:4326; empty when areas are geocodes only."""
        parts = [a.geometry for a in self.areas]
        parts = [p for p in parts if p is not None]
        return shapely.union_all(parts) if parts else shapely.GeometryCollection()

    def areas_frame(self) -> gpd.GeoDataFrame:
        """One row per area per info: ``info`` (0-based), ``language``, ``event``, ``area_desc``,
        ``geocodes`` (``"NAME=value;..."``), ``geometry`` (EPSG:4326; ``None`` for geocode-only areas)."""
        rows = [
            {
                "info": i,
                "language": info.language,
                "event": info.event,
                "area_desc": area.desc,
                "geocodes": ";".join(f"{n}={v}" for n, v in area.geocodes),
                "geometry": area.geometry,
            }
            for i, info in enumerate(self.infos)
            for area in info.areas
        ]
        columns = ["info", "language", "event", "area_desc", "geocodes", "geometry"]
        if not rows:
            return gpd.GeoDataFrame({c: [] for c in columns}, geometry="geometry", crs="EPSG:4326")
        return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:4326")


# --- geometry ------------------------------------------------------------------


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygonal part of *geom* (make_valid can return lines and points beside polygons)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def _circle_polygon(circle: Circle) -> BaseGeometry:
    """A CAP circle as a 64-sided polygon (EPSG:4326), computed in an azimuthal equidistant projection."""
    if circle.radius_km <= 0:
        return shapely.Point(circle.lon, circle.lat)
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={circle.lat} +lon_0={circle.lon} +datum=WGS84 +units=m +no_defs")
    disk = shapely.Point(0.0, 0.0).buffer(circle.radius_km * 1000.0, quad_segs=_CIRCLE_QUAD_SEGS)
    back = Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True)
    return shapely.transform(disk, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def _simplify_ring(ring: shapely.Polygon, max_vertices: int) -> tuple[shapely.Polygon, float | None]:
    """Cover *ring* (a hole-free polygon in metres) with at most *max_vertices* points; see the module notes."""
    if shapely.get_num_coordinates(ring) <= max_vertices:
        return ring, None
    shapely.prepare(ring)

    def attempt(tol: float) -> shapely.Polygon | None:
        grown = ring.buffer(tol, quad_segs=_BUFFER_QUAD_SEGS)
        cand = shapely.Polygon(shapely.simplify(grown, _SIMPLIFY_FRACTION * tol, preserve_topology=True).exterior)
        return cand if shapely.get_num_coordinates(cand) <= max_vertices and cand.covers(ring) else None

    low, tol = None, _MIN_TOLERANCE_M
    best = attempt(tol)
    while best is None:  # double until it fits...
        if tol > 1e7:  # pragma: no cover - a buffered blob always simplifies to a few points
            raise CapError(f"could not simplify a polygon to {max_vertices} points")
        low, tol = tol, tol * 2
        best = attempt(tol)
    for _ in range(_REFINE_STEPS if low is not None else 0):  # ...then narrow down to within 2**(1/8) = 9 %
        mid = math.sqrt(low * tol)
        if (cand := attempt(mid)) is not None:
            best, tol = cand, mid
        else:
            low = mid
    return best, round(tol, 2)


def _as_series(geometry: Any, crs: Any, what: str) -> gpd.GeoSeries:
    if isinstance(geometry, gpd.GeoDataFrame):
        series = geometry.geometry
    elif isinstance(geometry, gpd.GeoSeries):
        series = geometry
    elif isinstance(geometry, BaseGeometry):
        series = gpd.GeoSeries([geometry], crs=crs)
    elif isinstance(geometry, Sequence) and all(isinstance(g, BaseGeometry) for g in geometry):
        series = gpd.GeoSeries(list(geometry), crs=crs)
    else:
        raise CapError(f"{what}: expected a shapely geometry, GeoSeries or GeoDataFrame, got {type(geometry).__name__}")
    if crs is not None and series.crs is None:
        series = series.set_crs(crs)
    if series.crs is None:
        raise CRSError(
            f"{what}: the geometry has no CRS, so its coordinates cannot be placed on the earth",
            hint='pass crs="EPSG:4326" (lon/lat) or the layer\'s CRS, or use a GeoDataFrame with a CRS',
        )
    return series


@lru_cache(maxsize=64)
def _utm_near(lon_01: float, lat_01: float) -> CRS:
    """UTM zone at a 0.1-degree cell: the pyproj zone lookup takes about 0.4 s, and a zone
    stays accurate a few kilometres beyond its edge."""
    return utm_crs_for_lonlat(lon_01, lat_01)


def _working_crs(series: gpd.GeoSeries) -> CRS:
    b = series.to_crs(4326).total_bounds
    if not np.all(np.isfinite(b)):
        return CRS.from_epsg(32647)  # nothing to place: any metric CRS will do
    return _utm_near(round(float((b[0] + b[2]) / 2), 1), round(float((b[1] + b[3]) / 2), 1))


def _area_parts(
    geoms: Sequence[BaseGeometry | None], to_lonlat: Transformer, *, what: str, radius_m: float | None, max_vertices: int
) -> tuple[list[shapely.Polygon], list[Circle], float | None]:
    """Polygons (EPSG:4326) and circles for geometries given in the working CRS (metres)."""
    polygons: list[shapely.Polygon] = []
    circles: list[Circle] = []
    tol_used: float | None = None
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    parts = [p for p in shapely.get_parts(geoms) if not p.is_empty]
    if not parts:
        return polygons, circles, None
    kinds = {p.geom_type for p in parts}
    if kinds & {"LineString", "LinearRing", "MultiLineString"}:
        raise CapError(
            f"{what}: CAP areas are polygons or circles, not lines",
            hint="buffer the lines to polygons first (GeoSeries.buffer in a metric CRS)",
        )
    points = [p for p in parts if p.geom_type == "Point"]
    if points:
        if radius_m is None or not math.isfinite(radius_m) or radius_m < 0:
            raise CapError(f"{what}: points need a radius to become CAP circles", hint="pass radius_m=… (metres, >= 0)")
        lon, lat = to_lonlat.transform(shapely.get_x(points), shapely.get_y(points))
        circles = [Circle(float(la), float(lo), float(radius_m) / 1000.0) for la, lo in zip(lat, lon, strict=True)]
    areal = [p for p in parts if p.geom_type != "Point"]
    polys = _polygonal(shapely.union_all(shapely.make_valid(areal))) if areal else None
    for poly in shapely.get_parts(polys) if polys is not None else []:
        ring, tol = _simplify_ring(shapely.Polygon(poly.exterior), max_vertices)
        if tol is not None:
            tol_used = max(tol, tol_used or 0.0)
        ll = shapely.transform(ring, lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1])))
        polygons.append(ll)
    return polygons, circles, tol_used


def _desc(desc: str | Mapping[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    if isinstance(desc, Mapping):
        pairs = _pairs(desc)
        if not pairs:
            raise CapError("area description: the mapping of language to text is empty")
        return pairs[0][1], pairs
    return str(desc), ()


def _check_max_vertices(max_vertices: int) -> None:
    if int(max_vertices) != max_vertices or max_vertices < 4:
        raise CapError(f"max_vertices={max_vertices!r}: a CAP polygon needs at least 4 points (3 corners and the closing point)")


def cap_area(
    geometry: BaseGeometry | Sequence[BaseGeometry] | gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    desc: str | Mapping[str, str],
    crs: Any = None,
    geocodes: Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | None = None,
    radius_m: float | None = None,
    max_vertices: int = MAX_VERTICES,
) -> CapArea:
    """One CAP area from geometries in any CRS (all of them merged into one ``<area>``).

    Polygons are reprojected through the local UTM zone, holes dropped, parts
    written as separate ``<polygon>`` elements and simplified to at most
    *max_vertices* points each while covering the original (module notes);
    points become ``<circle>`` elements of *radius_m*.

    Parameters
    ----------
    geometry : shapely geometry, list of them, GeoSeries or GeoDataFrame
        Polygons, multipolygons, or points (with *radius_m*).  Several
        geometries are merged (shared borders dissolve).
    desc : str or mapping
        ``<areaDesc>``; a mapping ``{language: text}`` gives one per language.
    crs : optional
        CRS of bare shapely geometries (a GeoSeries/GeoDataFrame brings its own).
    geocodes : mapping or pairs, optional
        ``{valueName: value or [values]}``, e.g. ``{"ADM3_PCODE": ["TH960101", "TH960102"]}``.
    radius_m : float, optional
        Radius of the circle written for each point.
    max_vertices : int
        Most points per written polygon, counting the closing point (default 100).

    Returns
    -------
    CapArea

    Raises
    ------
    CRSError
        The geometry has no CRS.
    CapError
        Lines, points without a radius, or *max_vertices* below 4.

    Examples
    --------
    >>> a = cap_area(shapely.Point(101.82, 6.43), crs=4326, radius_m=2000, desc="Narathiwat town")
    >>> a.circles[0].radius_km
    2.0
    """
    _check_max_vertices(max_vertices)
    series = _as_series(geometry, crs, "cap_area")
    main, i18n = _desc(desc)
    work = _working_crs(series)
    metric = series.to_crs(work)
    to_lonlat = Transformer.from_crs(work, "EPSG:4326", always_xy=True)
    polygons, circles, tol = _area_parts(list(metric.values), to_lonlat, what=f"area {main!r}", radius_m=radius_m, max_vertices=max_vertices)
    return CapArea(desc=main, polygons=tuple(polygons), circles=tuple(circles), geocodes=_pairs(geocodes),
                   desc_i18n=i18n, tolerance_m=tol)


def cap_areas(
    frame: gpd.GeoDataFrame,
    *,
    desc: str | Mapping[str, str],
    geocodes: Mapping[str, str] | None = None,
    radius_m: float | None = None,
    max_vertices: int = MAX_VERTICES,
) -> list[CapArea]:
    """One CAP area per row of *frame* (e.g. one per tambon), in row order.

    Parameters
    ----------
    frame : GeoDataFrame
        Any CRS; polygons, or points with *radius_m*.
    desc : str or mapping
        Column holding ``<areaDesc>``, or ``{language: column}``, e.g.
        ``{"th-TH": "adm3_th", "en-US": "adm3_en"}``.
    geocodes : mapping, optional
        ``{valueName: column}``.  By default every COD-AB pcode column present
        (:data:`GEOCODE_VALUE_NAMES`, any letter case) is written.
    radius_m, max_vertices
        As for :func:`cap_area`.

    Raises
    ------
    CapError
        A named column is missing, or as for :func:`cap_area`.

    Examples
    --------
    >>> tambons = gpd.read_file("narathiwat_tambon_fullres.geojson")  # doctest: +SKIP
    >>> areas = cap_areas(tambons, desc={"th-TH": "adm3_th", "en-US": "adm3_en"})  # doctest: +SKIP
    >>> areas[0].geocodes  # doctest: +SKIP
    (('ADM1_PCODE', 'TH96'), ('ADM2_PCODE', 'TH9601'), ('ADM3_PCODE', 'TH960101'))
    """
    _check_max_vertices(max_vertices)
    series = _as_series(frame, None, "cap_areas")
    desc_cols = dict(desc) if isinstance(desc, Mapping) else {"": desc}
    if geocodes is None:
        lower = {str(c).lower(): c for c in frame.columns}
        geocodes = {name: lower[col] for col, name in GEOCODE_VALUE_NAMES.items() if col in lower}
    missing = [c for c in [*desc_cols.values(), *geocodes.values()] if c not in frame.columns]
    if missing:
        raise CapError(
            f"cap_areas: column(s) {', '.join(map(repr, missing))} not in the layer",
            hint=f"the layer has: {', '.join(map(str, frame.columns))}",
        )
    work = _working_crs(series)
    metric = series.to_crs(work)
    to_lonlat = Transformer.from_crs(work, "EPSG:4326", always_xy=True)
    out: list[CapArea] = []
    for i, geom in enumerate(metric.values):
        row = frame.iloc[i]
        texts = {lang: ("" if _missing(row[col]) else str(row[col])) for lang, col in desc_cols.items()}
        main = next(iter(texts.values()))
        i18n = tuple((lang, t) for lang, t in texts.items() if lang)
        codes = tuple((name, str(row[col])) for name, col in geocodes.items() if not _missing(row[col]))
        polygons, circles, tol = _area_parts([geom], to_lonlat, what=f"row {i} ({main!r})", radius_m=radius_m,
                                             max_vertices=max_vertices)
        out.append(CapArea(desc=main, polygons=tuple(polygons), circles=tuple(circles), geocodes=codes,
                           desc_i18n=i18n, tolerance_m=tol))
    return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- writing -------------------------------------------------------------------


def format_cap_time(value: datetime | str) -> str:
    """A CAP dateTime: ``YYYY-MM-DDThh:mm:ss±hh:mm``, no fractional seconds, UTC written ``-00:00``.

    CAP's schema pattern forbids fractional seconds and ``Z``; the CAP 1.2 text
    asks for UTC as ``-00:00``.  Fractions of a second are dropped.

    Raises
    ------
    CapError
        A naive datetime (no time zone) or an unreadable string.

    Examples
    --------
    >>> format_cap_time(datetime(2025, 11, 20, 8, 0, 30, 500, tzinfo=BANGKOK))
    '2025-11-20T08:00:30+07:00'
    >>> format_cap_time("2025-11-20T01:00:00Z")
    '2025-11-20T01:00:00-00:00'
    """
    return _cap_time_text(value, "time")


def _cap_time_text(value: datetime | str, what: str) -> str:
    dt = _to_datetime(value, what)
    off = dt.utcoffset()
    if off is None or off.seconds % 60 or off.microseconds:
        raise CapError(f"{what}: {value!r} has a UTC offset with seconds, which CAP cannot write")
    text = dt.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if off == timedelta(0) else text


def _to_datetime(value: datetime | str, what: str) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise CapError(f"{what}: {value!r} is not an ISO 8601 date and time",
                           hint="write e.g. 2025-11-20T08:00:00+07:00") from exc
    if not isinstance(value, datetime):
        raise CapError(f"{what}: expected a datetime or ISO 8601 text, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CapError(f"{what}: {value.isoformat()} has no time zone; CAP times must carry one",
                       hint="attach it, e.g. datetime(..., tzinfo=safegeo.warning.cap.BANGKOK), or write +07:00")
    return value


class _Checker:
    """Collects every problem in an alert so they can be reported at once."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def enum(self, value: Any, allowed: Sequence[str], what: str, where: str) -> str | None:
        canon = {a.lower(): a for a in allowed}
        if isinstance(value, str) and value.strip().lower() in canon:
            return canon[value.strip().lower()]
        self.problems.append(f"{where}{what} {value!r} is not a CAP {what}; use one of {', '.join(allowed)}")
        return None

    def text(self, value: Any, what: str, where: str, *, required: bool = False, token: bool = False) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.append(f"{where}{what} is required")
            return None
        text = str(value)
        if _XML_INVALID.search(text):
            self.problems.append(f"{where}{what} contains control characters that XML cannot carry")
        if token and _FORBIDDEN_ID_CHARS.search(text):
            self.problems.append(f"{where}{what} {text!r} must not contain spaces, commas, '<' or '&' (CAP rule)")
        return text

    def time(self, value: Any, what: str, where: str) -> str | None:
        if value is None:
            return None
        try:
            return _cap_time_text(value, f"{where}{what}")
        except CapError as exc:
            self.problems.append(exc.args[0])
            return None


def _num(x: float) -> str:
    text = f"{x:.{_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ring_text(poly: shapely.Polygon, where: str, check: _Checker) -> str | None:
    """``"lat,lon lat,lon ..."`` of the exterior ring, counter-clockwise, closed, rounded to 1e-6 degree."""
    if poly is None or poly.is_empty or poly.geom_type != "Polygon":
        check.problems.append(f"{where}: expected a Polygon, got {getattr(poly, 'geom_type', type(poly).__name__)}")
        return None
    ring = orient(shapely.Polygon(poly.exterior), sign=1.0)  # counter-clockwise in (lon, lat)
    xy = np.round(np.asarray(ring.exterior.coords)[:, :2], _DECIMALS)
    if np.any(np.abs(xy[:, 0]) > 180) or np.any(np.abs(xy[:, 1]) > 90):
        check.problems.append(f"{where}: coordinates outside longitude/latitude ranges; CapArea polygons must be "
                              "EPSG:4326 (build areas with cap_area(..., crs=...))")
        return None
    keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
    xy = xy[keep]
    if len(xy) < 4:
        log.info("%s: a polygon part smaller than 1e-6 degree was left out", where)
        return ""
    return " ".join(f"{_num(lat)},{_num(lon)}" for lon, lat in xy)


def _el(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{CAP12_NS}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _addresses_text(addresses: str | Sequence[str]) -> str | None:
    if isinstance(addresses, str):
        return addresses.strip() or None
    items = [f'"{a}"' if re.search(r"\s", a) else a for a in addresses]
    return " ".join(items) or None


def _references_text(references: str | Sequence[Any], check: _Checker) -> str | None:
    if isinstance(references, str):
        return references.strip() or None
    out = []
    for k, ref in enumerate(references):
        if isinstance(ref, CapAlert):
            ref = ref.reference
        if not (isinstance(ref, (tuple, list)) and len(ref) == 3):
            check.problems.append(f"references[{k}]: expected a CapAlert or (sender, identifier, sent), got {ref!r}")
            continue
        sender = check.text(ref[0], "sender", f"references[{k}]: ", required=True, token=True)
        ident = check.text(ref[1], "identifier", f"references[{k}]: ", required=True, token=True)
        sent = check.time(ref[2], "sent", f"references[{k}]: ")
        if sender and ident and sent:
            out.append(f"{sender},{ident},{sent}")
    return " ".join(out) or None


def _write_info(parent: ET.Element, info: CapInfo, k: int, check: _Checker) -> None:
    if not isinstance(info, CapInfo):
        check.problems.append(f"infos[{k}]: expected a CapInfo, got {type(info).__name__}")
        return
    where = f"info[{k}] ({info.language}): "
    el = _el(parent, "info")
    lang = check.text(info.language, "language", where, required=True)
    if lang and not _LANGUAGE.match(lang):
        check.problems.append(f"{where}language {lang!r} is not an RFC 3066 tag like 'th-TH' or 'en-US'")
    _el(el, "language", lang)
    if not info.category:
        check.problems.append(f"{where}category is required (one or more of {', '.join(CATEGORIES)})")
    for c in info.category:
        _el(el, "category", check.enum(c, CATEGORIES, "category", where))
    _el(el, "event", check.text(info.event, "event", where, required=True))
    for r in info.response_type:
        _el(el, "responseType", check.enum(r, RESPONSE_TYPES, "responseType", where))
    _el(el, "urgency", check.enum(info.urgency, URGENCIES, "urgency", where))
    _el(el, "severity", check.enum(info.severity, SEVERITIES, "severity", where))
    _el(el, "certainty", check.enum(info.certainty, CERTAINTIES, "certainty", where))
    if (audience := check.text(info.audience, "audience", where)) is not None:
        _el(el, "audience", audience)
    for name, value in info.event_codes:
        ec = _el(el, "eventCode")
        _el(ec, "valueName", check.text(name, "eventCode valueName", where, required=True))
        _el(ec, "value", check.text(value, "eventCode value", where))
    times = {}
    for tag in ("effective", "onset", "expires"):
        times[tag] = getattr(info, tag)
        if (text := check.time(times[tag], tag, where)) is not None:
            _el(el, tag, text)
    exp = times["expires"]
    for tag in ("effective", "onset"):
        t = times[tag]
        if isinstance(exp, datetime) and isinstance(t, datetime) and exp.tzinfo and t.tzinfo and exp <= t:
            check.problems.append(f"{where}expires ({format_cap_time(exp)}) is not after {tag} ({format_cap_time(t)})")
    for tag, attr in (("senderName", "sender_name"), ("headline", "headline"), ("description", "description"),
                      ("instruction", "instruction"), ("web", "web"), ("contact", "contact")):
        if (text := check.text(getattr(info, attr), tag, where)) is not None:
            _el(el, tag, text)
    for name, value in info.parameters:
        p = _el(el, "parameter")
        _el(p, "valueName", check.text(name, "parameter valueName", where, required=True))
        _el(p, "value", check.text(value, "parameter value", where))
    for j, area in enumerate(info.areas):
        _write_area(el, area, info.language or "", f"{where}area[{j}]", check)


def _write_area(parent: ET.Element, area: CapArea, language: str, where: str, check: _Checker) -> None:
    if not isinstance(area, CapArea):
        check.problems.append(f"{where}: expected a CapArea, got {type(area).__name__}")
        return
    el = _el(parent, "area")
    desc = area.desc_for(language)
    _el(el, "areaDesc", check.text(desc, "areaDesc", f"{where}: ", required=True))
    for i, poly in enumerate(area.polygons):
        text = _ring_text(poly, f"{where} ({desc}) polygon[{i}]", check)
        if text:
            _el(el, "polygon", text)
    for i, c in enumerate(area.circles):
        if not (abs(c.lat) <= 90 and abs(c.lon) <= 180 and math.isfinite(c.radius_km) and c.radius_km >= 0):
            check.problems.append(f"{where} ({desc}) circle[{i}]: {tuple(c)} is not (lat, lon, radius_km >= 0) in degrees")
            continue
        radius = math.ceil(round(c.radius_km * 1000.0, 6)) / 1000.0  # whole metres, rounded up
        _el(el, "circle", f"{_num(c.lat)},{_num(c.lon)} {_num(radius)}")
    for name, value in area.geocodes:
        g = _el(el, "geocode")
        _el(g, "valueName", check.text(name, "geocode valueName", f"{where}: ", required=True))
        _el(g, "value", check.text(value, "geocode value", f"{where}: "))
    if area.ceiling is not None and area.altitude is None:
        check.problems.append(f"{where} ({desc}): ceiling needs an altitude (CAP rule)")
    for tag in ("altitude", "ceiling"):
        value = getattr(area, tag)
        if value is not None:
            _el(el, tag, _num(float(value)))


def build_alert(
    infos: Sequence[CapInfo],
    *,
    sender: str,
    sent: datetime | str | None = None,
    identifier: str | None = None,
    status: str = "Actual",
    msg_type: str = "Alert",
    scope: str = "Public",
    restriction: str | None = None,
    addresses: str | Sequence[str] = (),
    codes: Sequence[str] = (),
    note: str | None = None,
    references: str | Sequence[CapAlert | tuple[str, str, datetime | str]] = (),
    incidents: Sequence[str] = (),
    source: str | None = None,
    require_languages: Sequence[str] = ("th", "en"),
) -> str:
    """A CAP 1.2 alert as XML text (UTF-8 declared), checked against CAP's rules.

    Parameters
    ----------
    infos : sequence of CapInfo
        One per language (Thai and English, by default required).
    sender : str
        Who sends it, globally unique (e.g. an e-mail or domain); no spaces, commas, ``<`` or ``&``.
    sent : datetime or ISO 8601 text, optional
        With a time zone; default now in Bangkok (whole seconds).
    identifier : str, optional
        Default ``"{sender}.{sent as YYYYMMDDThhmmss±hhmm}.{12 hex digits}"``, the
        digits hashing sender, sent, msgType, references and every info and area,
        so the same alert always gets the same identifier.
    status, msg_type, scope : str
        CAP's ``status`` (Actual, Exercise, System, Test, Draft), ``msgType``
        (Alert, Update, Cancel) and ``scope`` (Public, Restricted, Private); case-insensitive.
    restriction : str, optional
        Required when scope is Restricted.
    addresses : str or sequence of str
        Required when scope is Private; addresses with spaces are quoted.
    codes : sequence of str
        ``<code>`` handling codes.
    note : str, optional
    references : str or sequence
        Earlier alerts this one updates or cancels: :class:`CapAlert` objects or
        ``(sender, identifier, sent)`` triples; required for Update and Cancel.
    incidents : sequence of str
    source : str, optional
    require_languages : sequence of str
        Primary language tags that must each have an info block (Alert and
        Update); ``()`` turns the check off.

    Returns
    -------
    str
        The XML document; write it with UTF-8 (``safegeo.io.write_text_atomic``).

    Raises
    ------
    CapError
        Listing every problem: values outside CAP's lists, missing references,
        restriction or addresses, naive times, bad languages or coordinates.
    """
    check = _Checker()
    root = ET.Element(f"{{{CAP12_NS}}}alert")
    id_el = _el(root, "identifier")
    sender_text = check.text(sender, "sender", "", required=True, token=True)
    _el(root, "sender", sender_text)
    if sent is None:
        sent = datetime.now(BANGKOK).replace(microsecond=0)
    sent_text = check.time(sent, "sent", "")
    _el(root, "sent", sent_text)
    _el(root, "status", check.enum(status, STATUSES, "status", ""))
    msg = check.enum(msg_type, MSG_TYPES, "msgType", "")
    if msg is not None and msg not in _BUILD_MSG_TYPES:
        check.problems.append(f"msgType {msg!r} is not supported here; safegeo writes {', '.join(_BUILD_MSG_TYPES)}")
    _el(root, "msgType", msg)
    if (src := check.text(source, "source", "")) is not None:
        _el(root, "source", src)
    scope_c = check.enum(scope, SCOPES, "scope", "")
    _el(root, "scope", scope_c)
    restriction_text = check.text(restriction, "restriction", "")
    if scope_c == "Restricted" and restriction_text is None:
        check.problems.append("scope Restricted needs a restriction (the rule for who may see the alert)")
    if restriction_text is not None:
        _el(root, "restriction", restriction_text)
    addresses_text = check.text(_addresses_text(addresses), "addresses", "")
    if scope_c == "Private" and addresses_text is None:
        check.problems.append("scope Private needs addresses (the intended recipients)")
    if addresses_text is not None:
        _el(root, "addresses", addresses_text)
    for c in _strings(codes):
        _el(root, "code", check.text(c, "code", "", required=True))
    if (note_text := check.text(note, "note", "")) is not None:
        _el(root, "note", note_text)
    refs = _references_text(references, check)
    if msg in ("Update", "Cancel") and refs is None:
        check.problems.append(f"msgType {msg} needs references: the earlier alert(s) it {msg.lower()}s, "
                              "as CapAlert objects or (sender, identifier, sent)")
    if refs is not None:
        _el(root, "references", refs)
    incidents_text = " ".join(_strings(incidents)).strip()
    if incidents_text:
        _el(root, "incidents", check.text(incidents_text, "incidents", ""))
    infos = list(infos)
    if msg in ("Alert", "Update"):
        if not infos:
            check.problems.append(f"msgType {msg} needs at least one info block")
        have = {str(i.language).lower().split("-")[0] for i in infos if isinstance(i, CapInfo)}
        lacking = [lang for lang in require_languages if lang.lower().split("-")[0] not in have]
        if infos and lacking:
            check.problems.append(f"no info block in {', '.join(lacking)} (required by require_languages; "
                                  "pass require_languages=() to allow it)")
    for k, info in enumerate(infos):
        _write_info(root, info, k, check)
    if identifier is not None:
        id_text = check.text(identifier, "identifier", "", required=True, token=True)
    else:
        id_text = None
    if check.problems:
        lines = "\n".join(f"  - {p}" for p in check.problems)
        raise CapError(f"{len(check.problems)} problem(s) in the CAP alert:\n{lines}",
                       hint="CAP's code lists are in safegeo.warning.cap (CATEGORIES, URGENCIES, SEVERITIES, ...)")
    if id_text is None:
        digest = hashlib.sha256(ET.tostring(root, encoding="utf-8")).hexdigest()[:12]
        stamp = datetime.fromisoformat(sent_text).strftime("%Y%m%dT%H%M%S%z")
        id_text = f"{sender_text}.{stamp}.{digest}"
    id_el.text = id_text
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", default_namespace=CAP12_NS)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


# --- reading -------------------------------------------------------------------


def _load(source: str | bytes | os.PathLike) -> tuple[str | bytes, str]:
    """The document text and a name for messages; text is recognised by its leading '<'."""
    if isinstance(source, bytes):
        return source, "CAP document"
    if isinstance(source, str) and source.lstrip("\ufeff \t\r\n").startswith("<"):
        return source, "CAP document"
    if not isinstance(source, (str, os.PathLike)):
        raise CapError(f"expected CAP XML text or a file path, got {type(source).__name__}")
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise CapError(f"cannot read CAP file {path}: {exc.strerror or exc}") from exc


def _find_alert(text: str | bytes, where: str) -> tuple[ET.Element, str]:
    """Parse safely and find the CAP <alert> (the root, or the one alert inside an envelope)."""
    head = text[:4096] if isinstance(text, str) else text[:4096].decode("utf-8", "replace")
    if "<!DOCTYPE" in head.upper():
        raise CapError(f"{where}: has a DOCTYPE, which CAP never uses; refused (entity expansion risk)")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CapError(f"{where}: not well-formed XML ({exc})", hint="is this a CAP alert file?") from exc

    def ns_local(tag: str) -> tuple[str, str]:
        return (tag[1:].split("}", 1)[0], tag.split("}", 1)[1]) if tag.startswith("{") else ("", tag)

    found = [el for el in root.iter() if isinstance(el.tag, str) and ns_local(el.tag)[1] == "alert"
             and ns_local(el.tag)[0] in _VERSIONS]
    if len(found) == 1:
        return found[0], _VERSIONS[ns_local(found[0].tag)[0]]
    if len(found) > 1:
        raise CapError(f"{where}: holds {len(found)} CAP alerts; read them one at a time")
    ns, local = ns_local(root.tag)
    if local == "alert" and ns == _CAP10_NS:
        raise CapError(f"{where}: is CAP 1.0, which safegeo does not read", hint="CAP 1.1 and 1.2 are supported")
    if local == "alert":
        raise CapError(f"{where}: <alert> is not in a CAP namespace ({ns or 'no namespace'})",
                       hint=f"a CAP 1.2 alert starts <alert xmlns=\"{CAP12_NS}\">")
    raise CapError(f"{where}: not a CAP alert (root element <{local}>{f' in {ns}' if ns else ''})",
                   hint=f"a CAP 1.2 alert starts <alert xmlns=\"{CAP12_NS}\">")


class _Reader:
    def __init__(self, ns: str, where: str) -> None:
        self.ns, self.where = ns, where
        self.missing: list[str] = []

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def one(self, el: ET.Element, tag: str, path: str, *, required: bool = False) -> str | None:
        child = el.find(self.q(tag))
        text = child.text.strip() if child is not None and child.text else None
        if required and not text:
            self.missing.append(f"{path}/{tag}")
        return text or None

    def many(self, el: ET.Element, tag: str) -> list[str]:
        return [c.text.strip() for c in el.findall(self.q(tag)) if c.text and c.text.strip()]

    def pairs(self, el: ET.Element, tag: str) -> tuple[tuple[str, str], ...]:
        out = []
        for c in el.findall(self.q(tag)):
            out.append((self.one(c, "valueName", tag) or "", self.one(c, "value", tag) or ""))
        return tuple(out)

    def time(self, text: str | None, what: str) -> datetime | None:
        if text is None:
            return None
        try:
            return _to_datetime(text, f"{self.where}: {what}")
        except CapError as exc:
            raise CapError(exc.args[0], hint="CAP times look like 2025-11-20T08:00:00+07:00") from None


def _numbers(text: str, where: str, what: str) -> list[float]:
    if re.search(r"[^0-9eE.,+\-\s]", text):
        raise CapError(f"{where}: {what} {text[:60]!r} is not numbers (expected \"lat,lon lat,lon ...\")")
    return [float(x) for x in re.findall(_NUMBER, text)]


def _parse_polygon(text: str, where: str) -> shapely.Polygon:
    nums = _numbers(text, where, "polygon")
    if len(nums) % 2:
        raise CapError(f"{where}: polygon has an odd count of numbers ({len(nums)}); expected lat,lon pairs")
    lat, lon = np.asarray(nums[0::2]), np.asarray(nums[1::2])
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180):
        raise CapError(f"{where}: polygon coordinates outside latitude/longitude ranges (CAP writes \"lat,lon\")")
    xy = np.column_stack([lon, lat])
    if len(xy) and not np.array_equal(xy[0], xy[-1]):
        log.info("%s: polygon ring was not closed; closed it", where)
        xy = np.vstack([xy, xy[:1]])
    if len(xy) < 4:
        raise CapError(f"{where}: polygon has {len(xy)} points; CAP needs at least 4 (a closed ring)")
    return shapely.Polygon(xy)


def _parse_circle(text: str, where: str) -> Circle:
    nums = _numbers(text, where, "circle")
    if len(nums) != 3 or abs(nums[0]) > 90 or abs(nums[1]) > 180 or nums[2] < 0:
        raise CapError(f"{where}: circle {text!r} is not \"lat,lon radius_km\"")
    return Circle(*nums)


def read_alert(source: str | bytes | os.PathLike) -> CapAlert:
    """Read a CAP 1.2 or 1.1 alert (file path, XML text or bytes) into a :class:`CapAlert`.

    Polygons become shapely polygons in EPSG:4326 (lon, lat); circles are kept
    as :class:`Circle` and become polygons in :attr:`CapArea.geometry`;
    geocodes are listed.  Use :meth:`CapAlert.footprint` for the whole area.

    Raises
    ------
    CapError
        The file cannot be read, is not well-formed XML, is not a CAP 1.1/1.2
        alert, misses a required element, or has unreadable times or coordinates.

    Examples
    --------
    >>> alert = read_alert("alert.xml")  # doctest: +SKIP
    >>> alert.footprint().bounds         # doctest: +SKIP
    """
    text, where = _load(source)
    el, version = _find_alert(text, where)
    r = _Reader(next(ns for ns, v in _VERSIONS.items() if v == version), where)
    values = {tag: r.one(el, tag, "alert", required=True) for tag in ("identifier", "sender", "sent", "status", "msgType", "scope")}
    infos = []
    for k, info_el in enumerate(el.findall(r.q("info"))):
        path = f"info[{k}]"
        areas = []
        for j, area_el in enumerate(info_el.findall(r.q("area"))):
            apath = f"{path}/area[{j}]"
            desc = r.one(area_el, "areaDesc", apath, required=True) or ""
            polygons = tuple(_parse_polygon(t, f"{where}: {apath} ({desc})") for t in r.many(area_el, "polygon"))
            circles = tuple(_parse_circle(t, f"{where}: {apath} ({desc})") for t in r.many(area_el, "circle"))
            alt, ceil = r.one(area_el, "altitude", apath), r.one(area_el, "ceiling", apath)
            try:
                altitude, ceiling = (float(alt) if alt else None), (float(ceil) if ceil else None)
            except ValueError as exc:
                raise CapError(f"{where}: {apath} ({desc}): altitude/ceiling is not a number") from exc
            areas.append(CapArea(desc=desc, polygons=polygons, circles=circles, geocodes=r.pairs(area_el, "geocode"),
                                 altitude=altitude, ceiling=ceiling))
        infos.append(CapInfo(
            language=r.one(info_el, "language", path) or "en-US",  # CAP's default
            category=tuple(r.many(info_el, "category")),
            event=r.one(info_el, "event", path, required=True) or "",
            response_type=tuple(r.many(info_el, "responseType")),
            urgency=r.one(info_el, "urgency", path, required=True) or "",
            severity=r.one(info_el, "severity", path, required=True) or "",
            certainty=r.one(info_el, "certainty", path, required=True) or "",
            audience=r.one(info_el, "audience", path),
            event_codes=r.pairs(info_el, "eventCode"),
            effective=r.time(r.one(info_el, "effective", path), f"{path}/effective"),
            onset=r.time(r.one(info_el, "onset", path), f"{path}/onset"),
            expires=r.time(r.one(info_el, "expires", path), f"{path}/expires"),
            sender_name=r.one(info_el, "senderName", path),
            headline=r.one(info_el, "headline", path),
            description=r.one(info_el, "description", path),
            instruction=r.one(info_el, "instruction", path),
            web=r.one(info_el, "web", path),
            contact=r.one(info_el, "contact", path),
            parameters=r.pairs(info_el, "parameter"),
            areas=tuple(areas),
        ))
        if not infos[-1].category:
            r.missing.append(f"{path}/category")
    if r.missing:
        raise CapError(f"{where}: not a complete CAP {version} alert; missing {', '.join(r.missing)}")
    refs = []
    for token in (r.one(el, "references", "alert") or "").split():
        parts = token.split(",")
        if len(parts) != 3:
            raise CapError(f"{where}: reference {token!r} is not sender,identifier,sent")
        refs.append((parts[0], parts[1], parts[2]))
    return CapAlert(
        identifier=values["identifier"],
        sender=values["sender"],
        sent=r.time(values["sent"], "sent"),
        status=values["status"],
        msg_type=values["msgType"],
        scope=values["scope"],
        infos=tuple(infos),
        source=r.one(el, "source", "alert"),
        restriction=r.one(el, "restriction", "alert"),
        addresses=tuple(_split_addresses(r.one(el, "addresses", "alert") or "")),
        codes=tuple(r.many(el, "code")),
        note=r.one(el, "note", "alert"),
        references=tuple(refs),
        incidents=tuple((r.one(el, "incidents", "alert") or "").split()),
        version=version,
    )


def _split_addresses(text: str) -> list[str]:
    return [a if a else b for a, b in re.findall(r'"([^"]*)"|(\S+)', text)]


# --- validation ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _schema():
    import xmlschema

    xsd = resources.files("safegeo").joinpath("assets", "cap", "CAP-v1.2.xsd")
    return xmlschema.XMLSchema(xsd.read_text(encoding="utf-8"))


def validate_alert(source: str | bytes | os.PathLike) -> list[str]:
    """Check a CAP 1.2 alert against the OASIS XML Schema shipped with safegeo.

    Parameters
    ----------
    source : path, XML text or bytes

    Returns
    -------
    list of str
        One line per problem (``"path: reason"``); empty when the alert is valid.
        Malformed XML, a non-CAP document or a CAP 1.1 alert is reported as a problem.

    Raises
    ------
    CapError
        The file cannot be read.

    Examples
    --------
    >>> validate_alert("alert.xml")  # doctest: +SKIP
    []
    """
    text, where = _load(source)
    try:
        el, version = _find_alert(text, where)
    except CapError as exc:
        return [exc.args[0]]
    if version != "1.2":
        return [f"{where}: is a CAP {version} alert; the bundled schema is CAP 1.2"]
    return [f"{re.sub(r'{[^}]*}', '', e.path or '/alert')}: {e.reason or e.message}" for e in _schema().iter_errors(el)]


# --- SMS -----------------------------------------------------------------------

#: GSM 03.38 default alphabet (7-bit), without the escape code.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: GSM 03.38 extension table: each costs two septets (escape + code).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


class SmsLength(NamedTuple):
    """Length of a text as SMS: encoding ``"GSM-7"`` or ``"UCS-2"``, length in that encoding's units, segments."""

    encoding: str
    characters: int
    segments: int


def _segments(costs: list[int], single: int, multi: int) -> int:
    total = sum(costs)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for c in costs:  # an escape pair or a surrogate pair is never split between segments
        if used + c > multi:
            segments, used = segments + 1, 0
        used += c
    return segments


def sms_segments(text: str) -> SmsLength:
    """How long *text* is as an SMS and how many segments it needs.

    GSM-7 when every character is in the GSM 03.38 default alphabet or its
    extension table (``^ { } \\ [ ~ ] | €`` and form feed count two septets):
    160 septets fit one SMS, 153 per segment when concatenated.  Anything else
    (Thai, emoji) goes as UCS-2, counted in UTF-16 code units: 70 in one SMS,
    67 per concatenated segment.  A character pair that cannot be split (escape
    sequence, surrogate pair) moves whole to the next segment.  Empty text is 0
    segments.

    Examples
    --------
    >>> sms_segments("Flood warning: go to the school now.")
    SmsLength(encoding='GSM-7', characters=36, segments=1)
    >>> sms_segments("€" * 80)
    SmsLength(encoding='GSM-7', characters=160, segments=1)
    >>> sms_segments("ก" * 71)
    SmsLength(encoding='UCS-2', characters=71, segments=2)
    """
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SmsLength("GSM-7", sum(costs), _segments(costs, 160, 153))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsLength("UCS-2", sum(costs), _segments(costs, 70, 67))
