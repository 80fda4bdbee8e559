"""Targeted warnings: who is in the warning area, where they go, what to close, what to send, and the CAP alert.

:func:`warning_area` builds the area to warn from what an officer has at
hand: a polygon file, a hazard entry of the study, a buffer around a point or
a line (a river gauge, a stretch of river), or an incoming CAP alert's
polygons.  :func:`warn` then lists, through the shared core:

* **targets** — the villages inside (people and vulnerable groups) and the
  tambons the area touches (people inside from the population rasters, with
  exact cell coverage);
* **shelters to open** — the evacuation plan of the villages inside
  (:func:`safegeo.evacuation.evacuate` with shelter capacities) says which
  eligible shelters receive how many people, against their capacity;
* **roads to close** — the roads the hazard closes inside the area;
* **vehicles to pre-position** — per vehicle type, the nearest available
  vehicles of the fleet by travel time to the edge of the area (one
  multi-source search from the area's road nodes, on the open roads);
* **messages** — in Thai and English, from the templates of ``[warning]
  messages`` (one for the whole area, one per village naming its shelter),
  each with its SMS length (Thai is UCS-2: 70 characters in one SMS, 67 per
  segment after that); a **send list** pairs each village message with the
  village heads of the ``contacts`` layer, and is private: it is never
  written with ``public=True`` and never shown on a map;
* **alert.xml** — a CAP 1.2 alert with one ``<info>`` per language
  (``th-TH``, ``en-US``), the area as simplified polygons that keep every
  target inside, and the tambon (ADM3) and district (ADM2) codes as
  ``<geocode>``, validated against the OASIS schema before it is written.

Where the hazard is
-------------------
The warning area says *who is warned*.  Which roads close and which shelters
are unsafe come from the hazard: the ``hazard`` entry when one is named;
otherwise the warning area itself is taken as the hazard footprint (a
polygon file or a CAP alert outline where the water or the fire is), except
for a buffer around a point or line (a gauge says who to warn, not where the
water will be), which closes nothing unless ``closes_roads=True``.

Examples
--------
>>> from safegeo.study import load_study                                   # doctest: +SKIP
>>> from safegeo.warning import warning_area, warn                         # doctest: +SKIP
>>> study = load_study("out/demo/data/study.toml")                         # doctest: +SKIP
>>> area = warning_area(study, hazard="flood")                             # doctest: +SKIP
>>> res = warn(study, area, hazard="flood", onset="2026-11-28T18:00+07:00")  # doctest: +SKIP
>>> res.write("out/warning")                                               # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import SafegeoError, SettingsError, WarningAreaError
from safegeo.hazards import HazardSource

if TYPE_CHECKING:
    from safegeo.maps import SafegeoMap
    from safegeo.study import StudyArea
    from safegeo.warning.cap import CapAlert

log = logging.getLogger(__name__)

__all__ = ["EVENT_NAMES", "WarningArea", "WarningResult", "render_message", "warn", "warning_area"]

#: Bangkok time (UTC+7, no daylight saving): the time zone of onset / expires given without one.
BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
#: Event names per hazard kind, Thai and English (used in messages and the CAP ``<event>``).
EVENT_NAMES: dict[str, tuple[str, str]] = {
    "flood": ("น้ำท่วม", "Flood"), "flash_flood": ("น้ำป่าไหลหลาก", "Flash flood"),
    "landslide": ("ดินโคลนถล่ม", "Landslide"), "storm": ("พายุ", "Storm"),
    "storm_surge": ("คลื่นพายุซัดฝั่ง", "Storm surge"), "tsunami": ("สึนามิ", "Tsunami"),
    "fire": ("ไฟไหม้", "Fire"), "wildfire": ("ไฟป่า", "Wildfire"), "haze": ("หมอกควัน PM2.5", "Haze (PM2.5)"),
    "drought": ("ภัยแล้ง", "Drought"), "epidemic": ("โรคระบาด", "Epidemic"), "unrest": ("เหตุความไม่สงบ", "Unrest"),
    "earthquake": ("แผ่นดินไหว", "Earthquake"),
}
#: Placeholders a message template may use.
PLACEHOLDERS = ("event", "areas", "onset", "expires", "village", "shelter", "minutes", "people", "sender")
_TH_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")


# --------------------------------------------------------------------------------------------
# the warning area
# --------------------------------------------------------------------------------------------
@dataclass
class WarningArea:
    """The area to warn, in the study CRS.

    Attributes
    ----------
    polygons
        One row per piece (``source``, ``desc``), study CRS.
    source
        Where it came from, in words (``"hazard flood"``, ``"file areas.gpkg"``,
        ``"2,000 m around 101.82,6.43"``, ``"CAP alert <identifier>"``).
    kind
        The hazard kind when the source says it (a hazard entry, a CAP event), else None.
    is_buffer
        Built as a buffer around points or lines (it closes no road by itself).
    cap
        The incoming alert when the area came from one.
    """

    polygons: gpd.GeoDataFrame
    source: str
    kind: str | None = None
    is_buffer: bool = False
    cap: CapAlert | None = None
    hazard: str | None = None

    @property
    def geometry(self) -> shapely.Geometry:
        """The whole area as one (multi)polygon, study CRS."""
        return shapely.union_all(self.polygons.geometry.values)


def _polygons_only(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    types = set(gdf.geom_type.dropna())
    if not types or not types <= {"Polygon", "MultiPolygon"}:
        raise WarningAreaError(f"{what}: the warning area must be polygons, not {', '.join(sorted(types)) or 'empty'}",
                               hint="for points or lines (a river gauge, a river) use --near FILE --radius-m R")
    return gdf


def warning_area(
    study: StudyArea,
    *,
    area: str | Path | gpd.GeoDataFrame | None = None,
    hazard: str | None = None,
    near: tuple[float, float] | str | Path | gpd.GeoDataFrame | None = None,
    radius_m: float | None = None,
    cap: str | Path | None = None,
) -> WarningArea:
    """The area to warn, from a polygon file, a hazard entry, a buffer around points / lines, or a CAP alert.

    Several sources may be given: the area is their union.  With only
    *hazard*, the area is that hazard's footprint (rasters: cells deeper than
    their threshold).

    Parameters
    ----------
    study
        The study (its CRS is the working CRS).
    area
        A polygon file (any format safegeo reads) or GeoDataFrame.
    hazard
        A hazard entry name or kind of the study.
    near, radius_m
        ``(lon, lat)``, or a file / GeoDataFrame of points or lines, and the
        buffer radius in metres around them.
    cap
        A CAP 1.1 / 1.2 alert file whose polygons and circles are the area
        (an alert with geocodes only is matched to the tambons by ``ADM3_PCODE``).

    Raises
    ------
    WarningAreaError
        Nothing given, a missing or empty file, lines without a radius, an area
        that misses the study's districts entirely.
    """
    crs = study.crs
    parts: list[gpd.GeoDataFrame] = []
    words: list[str] = []
    kind = None
    is_buffer = False
    cap_alert = None
    if area is not None:
        gdf = _read(area, "--area")
        gdf = _polygons_only(gdf, f"--area {area if not isinstance(area, gpd.GeoDataFrame) else 'frame'}")
        parts.append(_piece("area", _desc_column(gdf), gdf.geometry.to_crs(crs).values, crs))
        words.append(f"file {Path(area).name}" if not isinstance(area, gpd.GeoDataFrame) else "given polygons")
    if near is not None:
        if radius_m is None or not radius_m > 0:
            raise WarningAreaError("--near needs --radius-m (metres, more than 0)",
                                   hint="e.g. --near 101.82,6.43 --radius-m 2000")
        if isinstance(near, tuple):
            pts = gpd.GeoSeries(shapely.points([near]), crs="EPSG:4326").to_crs(crs)
            label = f"{radius_m:,.0f} m around {near[0]:.5f},{near[1]:.5f}"
        else:
            g = _read(near, "--near")
            pts = g.geometry.to_crs(crs)
            label = f"{radius_m:,.0f} m around {Path(near).name if not isinstance(near, gpd.GeoDataFrame) else 'given'}"
        parts.append(_piece("near", label, pts.buffer(radius_m).values, crs))
        words.append(label)
        is_buffer = area is None and cap is None
    elif radius_m is not None:
        raise WarningAreaError("--radius-m is only used with --near", hint="give --near LON,LAT or --near FILE")
    if cap is not None:
        from safegeo.warning.cap import read_alert

        try:
            cap_alert = read_alert(cap)
        except OSError as exc:
            raise WarningAreaError(f"--cap {cap}: cannot read it ({exc.strerror or exc})") from None
        fr = cap_alert.areas_frame()
        fr = fr[fr["info"] == 0]  # the same place in every language: take the first info's areas
        geoms = fr.geometry.dropna()
        if len(geoms):
            parts.append(_piece("cap", fr.loc[geoms.index, "area_desc"].to_numpy(), geoms.to_crs(crs).values, crs))
        else:
            codes = cap_alert.geocodes("ADM3_PCODE")
            tam = study.areas.areas("tambon") if study.areas and study.areas.has("tambon") else None
            if not codes or tam is None:
                raise WarningAreaError(f"CAP alert {cap_alert.identifier} has no polygon, circle or tambon geocode "
                                       "this study can place", hint="give the area as a polygon file (--area)")
            hit = tam[tam["tambon_id"].astype(str).isin(codes)]
            if not len(hit):
                raise WarningAreaError(f"CAP alert {cap_alert.identifier}: none of its tambon codes "
                                       f"({', '.join(codes[:5])}) is a tambon of this study")
            parts.append(_piece("cap", hit.get("name_en", hit["tambon_id"]).to_numpy(), hit.geometry.to_crs(crs).values,
                                crs))
        info = cap_alert.infos[0] if cap_alert.infos else None
        kind = _kind_of_event(info.event if info else "", [i.event for i in cap_alert.infos])
        words.append(f"CAP alert {cap_alert.identifier}")
    if hazard is not None and not parts:
        scenario = study.scenario(hazard)
        fp = scenario.footprint(crs)
        if not len(fp) or shapely.union_all(fp.geometry.values).is_empty:
            raise WarningAreaError(f"hazard {hazard!r} has no footprint (no polygon, no cell deeper than its threshold)",
                                   hint="check the hazard layer, or give the area with --area / --near")
        parts.append(_piece("hazard", hazard, fp.geometry.values, crs))
        words.append(f"hazard {hazard}")
    if hazard is not None:
        kinds = study.scenario(hazard).kinds
        kind = kind or (kinds[0] if kinds else None)
    if not parts:
        raise WarningAreaError("no warning area given",
                               hint="give --area FILE, --hazard NAME, --near LON,LAT --radius-m R, or --cap ALERT.xml")
    poly = pd.concat(parts, ignore_index=True)
    poly = poly[~poly.geometry.is_empty & poly.geometry.notna()]
    poly["geometry"] = shapely.make_valid(poly.geometry.values)
    whole = shapely.union_all(poly.geometry.values)
    if whole.is_empty or whole.area <= 0:
        raise WarningAreaError(f"the warning area ({'; '.join(words)}) is empty")
    ext = _study_land(study)
    if ext is not None and not shapely.intersects(whole, ext):
        lon, lat = gpd.GeoSeries([whole.representative_point()], crs=crs).to_crs(4326).iloc[0].coords[0]
        raise WarningAreaError(f"the warning area ({'; '.join(words)}) is outside the study's districts "
                               f"(it lies around {lon:.4f},{lat:.4f})",
                               hint="check the coordinates: longitude first, then latitude (e.g. 101.82,6.43)")
    return WarningArea(polygons=poly.reset_index(drop=True), source="; ".join(words), kind=kind,
                       is_buffer=is_buffer, cap=cap_alert, hazard=hazard)


def _piece(source: str, desc: Any, geoms: np.ndarray, crs: Any) -> gpd.GeoDataFrame:
    n = len(geoms)
    d = np.asarray(desc, dtype=object) if not isinstance(desc, str) else np.full(n, desc, dtype=object)
    return gpd.GeoDataFrame({"source": np.full(n, source, dtype=object), "desc": d}, geometry=np.asarray(geoms),
                            crs=crs)


def _read(src: str | Path | gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if isinstance(src, gpd.GeoDataFrame):
        gdf = src
    else:
        from safegeo.io import read_vector

        p = Path(src)
        if not p.exists():
            raise WarningAreaError(f"{what} {src}: no such file")
        gdf = read_vector(p)
    if gdf.crs is None:
        raise WarningAreaError(f"{what}: the layer has no CRS", hint="save it with a CRS (GeoJSON is EPSG:4326)")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if not len(gdf):
        raise WarningAreaError(f"{what}: the layer has no geometry")
    return gdf


def _desc_column(gdf: gpd.GeoDataFrame) -> np.ndarray:
    for c in ("name_en", "name", "desc", "name_th"):
        if c in gdf.columns:
            return gdf[c].astype(str).to_numpy()
    return np.full(len(gdf), "warning area", dtype=object)


def _study_land(study: StudyArea) -> shapely.Geometry | None:
    a = study.areas
    if a and a.has("district"):
        return shapely.union_all(a.areas("district").geometry.values)
    return None


def _kind_of_event(event: str, events: Sequence[str]) -> str | None:
    """The hazard kind a CAP event names (English or Thai), if any."""
    texts = [str(e).strip().lower() for e in [event, *events]]
    for k, (th, en) in EVENT_NAMES.items():
        if any(t in (k, en.lower(), th.lower()) or t.startswith(en.lower()) for t in texts):
            return k
    return None


# --------------------------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------------------------
def _fields(template: str, where: str) -> list[str]:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise SettingsError(f"{where}: the template is not valid ({exc})",
                            hint="placeholders are names in braces, e.g. {areas}; write {{ }} for a literal brace") \
            from None
    bad = [n for n in names if n not in PLACEHOLDERS]
    if bad:
        raise SettingsError(f"{where}: unknown placeholder(s) {', '.join('{' + b + '}' for b in bad)}",
                            hint=f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
    return names


def render_message(template: str, values: Mapping[str, Any], *, where: str = "template") -> str:
    """Fill a message template (placeholders :data:`PLACEHOLDERS`); whitespace runs become one space."""
    _fields(template, where)
    text = template.format_map({k: ("" if v is None else v) for k, v in values.items()} | {
        p: values.get(p, "") for p in PLACEHOLDERS})
    return re.sub(r"\s+", " ", text).strip()


def _when(t: datetime | None, lang: str) -> str:
    if t is None:
        return "-"
    t = t.astimezone(BANGKOK)
    if lang == "th":
        return f"{t.day} {_TH_MONTHS[t.month - 1]} {t.year + 543 - 2500:02d} {t:%H:%M} น."
    return f"{t:%d %b %Y %H:%M}"


def _parse_time(value: datetime | str | None, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        t = value
    else:
        try:
            t = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise WarningAreaError(f"{what} {value!r} is not a date and time",
                                   hint="ISO 8601, e.g. 2026-11-28T18:00 (Bangkok time) or 2026-11-28T11:00Z") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=BANGKOK)


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@dataclass
class WarningResult:
    """What :func:`warn` found and wrote.

    Attributes
    ----------
    area
        The warning area.
    villages
        Target villages: ids, names, tambon and district, ``population`` and
        vulnerable groups, ``shelter_id`` / ``shelter_name`` (where most of
        its people go), ``travel_min``, ``status`` (from the evacuation plan).
    tambons
        Tambons the area touches: ``share_inside`` (of the tambon's area),
        ``villages``, ``villages_population`` and ``raster_<group>`` people
        inside, ``is_border``.
    shelters
        Shelters to open: ``expected_people``, ``capacity``, ``load_pct``, ``over_capacity``.
    roads
        Roads to close (each two-way road once): ``reason``, ``length_m``.
    vehicles
        Vehicles to pre-position: ``vehicle_type``, ``rank``, ``vehicle_id``,
        ``eta_min`` to the edge of the area, route geometry.
    messages
        ``audience`` (``area`` / ``village``), ``village_id``, ``lang``,
        ``text``, ``encoding``, ``characters``, ``segments``.
    send_list
        Private: each village message with the village heads' ``contact_name``
        and ``contact_phone`` (empty without a contacts layer).
    alert_xml
        The CAP 1.2 alert, validated.
    """

    area: WarningArea
    villages: gpd.GeoDataFrame
    tambons: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    vehicles: gpd.GeoDataFrame
    messages: pd.DataFrame
    send_list: pd.DataFrame
    alert_xml: str
    kind: str
    groups: list[str] = field(default_factory=list)
    synthetic: bool = False
    name: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        """Why there is nothing to warn, when so."""
        if not len(self.villages) and not len(self.tambons):
            return "no village and no tambon is inside the warning area"
        return None

    def targets(self) -> pd.DataFrame:
        """``targets.csv``: tambon rows then village rows, in one table (``level``, ``area_id``, ...)."""
        t = pd.DataFrame(self.tambons.drop(columns="geometry", errors="ignore")).rename(columns={"tambon_id": "area_id"})
        t.insert(0, "level", "tambon")
        v = pd.DataFrame(self.villages.drop(columns="geometry", errors="ignore")).rename(columns={"village_id": "area_id"})
        v.insert(0, "level", "village")
        return pd.concat([t, v], ignore_index=True)

    def report_lines(self) -> list[str]:
        v, s = self.villages, self.shelters
        people = float(v["population"].sum()) if "population" in v.columns else 0.0
        lines = [f"warning area: {self.area.source} ({self.kind})",
                 f"{len(v):,} villages ({people:,.0f} people) in {len(self.tambons):,} tambons",
                 f"{len(s):,} shelters to open ({float(s['expected_people'].sum()) if len(s) else 0:,.0f} people "
                 f"expected; {int((s['over_capacity'] > 0).sum()) if len(s) else 0} over capacity)",
                 f"{len(self.roads):,} roads to close ({self.roads['length_m'].sum() / 1000 if len(self.roads) else 0:,.1f} km)",
                 f"{len(self.vehicles):,} vehicles to pre-position"]
        for lang in ("th", "en"):
            m = self.messages[(self.messages["audience"] == "area") & (self.messages["lang"] == lang)]
            if len(m):
                r = m.iloc[0]
                lines.append(f"area message ({lang}): {r['characters']} characters, {r['segments']} SMS ({r['encoding']})")
        return lines + [f"note: {n}" for n in self.notes]

    def layers(self) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
        return {"area": self.area.polygons, "villages": self.villages, "tambons": self.tambons,
                "shelters": self.shelters, "roads_to_close": self.roads, "vehicles": self.vehicles}

    def map(self, *, lang: str = "en", public: bool = False, tiles: bool = True, title: str | None = None,
            back_href: str | None = None, charts: bool = True) -> SafegeoMap:
        """The warning map (:func:`warning_map`)."""
        return warning_map(self, lang=lang, public=public, tiles=tiles, title=title, back_href=back_href,
                           charts=charts)

    def write(self, out_dir: str | Path, *, lang: str = "en", public: bool = False, tiles: bool = True,
              title: str | None = None, back_href: str | None = None) -> list[Path]:
        """Write ``warning.html``, ``warning.gpkg``, ``targets.csv``, ``messages.csv`` and ``alert.xml`` as one set,
        and, unless *public*, the private ``send_list.csv`` (village heads and their phone numbers).

        Returns
        -------
        list of Path
            The map first.
        """
        from safegeo.io import write_csv, write_text_atomic
        from safegeo.output import write_analysis

        def more(stage: Path) -> list[Path]:
            out = [write_text_atomic(stage / "alert.xml", self.alert_xml)]
            if not public and len(self.send_list):  # the private list of who to call: never in a public set
                out.append(write_csv(stage / "send_list.csv", self.send_list))
            return out

        return write_analysis(
            out_dir, what="warning", html="warning.html", gpkg="warning.gpkg", public=public,
            page=lambda: self.map(lang=lang, public=public, tiles=tiles, title=title, back_href=back_href),
            layers=self.layers(), geometry_types=GPKG_GEOMETRY_TYPES,
            tables={"targets.csv": self.targets(), "messages.csv": self.messages}, more=more)


GPKG_GEOMETRY_TYPES = {"area": "MultiPolygon", "villages": "Point", "tambons": "MultiPolygon", "shelters": "Point",
                       "roads_to_close": "LineString", "vehicles": "LineString"}


# --------------------------------------------------------------------------------------------
# the analysis
# --------------------------------------------------------------------------------------------
def warn(
    study: StudyArea,
    area: WarningArea,
    *,
    hazard: str | None = None,
    kind: str | None = None,
    closes_roads: bool | None = None,
    onset: datetime | str | None = None,
    expires: datetime | str | None = None,
    sent: datetime | str | None = None,
    urgency: str | None = None,
    severity: str | None = None,
    certainty: str | None = None,
    status: str = "Actual",
    msg_type: str = "Alert",
    references: Sequence[Any] = (),
    fleet: gpd.GeoDataFrame | None = None,
    vehicles_per_type: int | None = None,
    progress: Any = None,
) -> WarningResult:
    """Targets, shelters to open, roads to close, vehicles to pre-position, messages and the CAP alert.

    Parameters
    ----------
    study
        The study (villages, shelters, tambons, districts, population
        rasters, contacts, roads as it has them).
    area
        From :func:`warning_area`.
    hazard
        The hazard entry whose effect closes roads and rules out shelters
        (default: the area's own hazard, else the area itself; see the module notes).
    kind
        Hazard kind (default: the hazard's or the CAP event's, else ``flood``).
    closes_roads
        Whether the warning area itself closes the roads inside it when no
        hazard entry is named (default: yes, except for a buffer).
    onset, expires, sent
        Times (ISO 8601 text or aware datetimes; without a zone: Bangkok time).
        Default onset now, expires ``[warning] expires_hours`` after onset.
    urgency, severity, certainty
        CAP codes (default ``[warning]``).
    status, msg_type, references
        CAP ``status`` (Actual, Exercise, Test, ...), ``msgType`` and, for
        Update / Cancel, the alerts referred to.
    fleet
        Vehicles (registry or layer); default the study's ``vehicles`` layer.
    vehicles_per_type
        Vehicles to pre-position per type (default ``[warning] vehicles_per_type``).

    Returns
    -------
    WarningResult

    Raises
    ------
    SettingsError
        A message template with an unknown placeholder.
    CapError
        A CAP code outside CAP's lists.
    WarningAreaError
        An unreadable time.
    """
    from safegeo.evacuation import evacuate
    from safegeo.warning.cap import (
        CapInfo,
        build_alert,
        cap_area,
        hazard_category,
        sms_segments,
        validate_alert,
    )

    stage = progress if progress is not None else _NoStages()
    cfg = study.settings("warning", urgency=urgency, severity=severity, certainty=certainty,
                         vehicles_per_type=vehicles_per_type)
    templates = dict(cfg["messages"])
    for key, text in templates.items():
        _fields(str(text), f"[warning] messages.{key}")
    crs = study.crs
    hazard = hazard or area.hazard
    kind = (kind or area.kind or (study.scenario(hazard).kinds[0] if hazard and study.scenario(hazard).kinds
                                  else None) or "flood").lower()
    now = datetime.now(BANGKOK).replace(microsecond=0)
    if area.cap is not None and area.cap.infos:  # an incoming alert: its times and codes unless given
        first = area.cap.infos[0]
        onset = onset if onset is not None else (first.onset or first.effective)
        expires = expires if expires is not None else first.expires
        cfg["urgency"] = urgency or first.urgency
        cfg["severity"] = severity or first.severity
        cfg["certainty"] = certainty or first.certainty
    t_onset = _parse_time(onset, "--onset") or now
    t_expires = _parse_time(expires, "--expires") or t_onset + timedelta(hours=float(cfg["expires_hours"]))
    t_sent = _parse_time(sent, "--sent") or now
    if t_expires <= t_onset:
        raise WarningAreaError(f"expires ({t_expires.isoformat()}) is not after onset ({t_onset.isoformat()})",
                               hint="give --expires later than --onset")
    whole = area.geometry
    areas = study.areas
    notes: list[str] = []

    # -- hazard effect ---------------------------------------------------------------------
    if hazard is not None:
        sources: list[HazardSource] = list(study.scenario(hazard).sources)
    elif closes_roads or (closes_roads is None and not area.is_buffer):
        sources = [HazardSource(name="warning_area", kind=kind,
                                polygons=gpd.GeoDataFrame({"severity": ["high"]}, geometry=[whole], crs=crs))]
    else:
        sources = []
    # -- targets ---------------------------------------------------------------------------
    with stage("targets"):
        vill = study.layer("villages").to_crs(crs) if study.has("villages") else None
        groups = [g for g in study.settings("exposure")["village_groups"] if vill is not None and g in vill.columns]
        if vill is not None:
            inside = vill[shapely.intersects(whole, vill.geometry.values)].copy()
        else:
            inside = gpd.GeoDataFrame({"village_id": [], "population": []}, geometry=[], crs=crs)
            notes.append("the study has no villages layer: no village targets or village messages")
        if areas and len(inside):
            loc = areas.locate(inside.geometry)
            for c in loc.columns:
                inside[c] = loc[c].to_numpy()
        tambons = _tambon_targets(study, whole, inside, groups)
    # -- shelters and evacuation -----------------------------------------------------------
    with stage("shelters to open"):
        plan = None
        if len(inside) and study.has("shelters"):
            plan = evacuate(study, hazards=sources, origins=inside[["village_id", "population", "geometry"]],
                            population_column="population", routes=False)
            a = plan.assignments
            a = pd.DataFrame(a.drop(columns="geometry", errors="ignore"))
            main = (a[a["shelter_id"].notna()].sort_values("population", ascending=False, kind="stable")
                    .drop_duplicates("origin_id").set_index("origin_id"))
            vstatus = a.sort_values("population", ascending=False, kind="stable").drop_duplicates("origin_id") \
                .set_index("origin_id")["status"]
            ids = inside["village_id"].astype(str)
            main.index = main.index.astype(str)
            vstatus.index = vstatus.index.astype(str)
            inside["shelter_id"] = ids.map(main["shelter_id"]).to_numpy()
            inside["travel_min"] = np.round(ids.map(main["travel_time_s"]).to_numpy(float) / 60.0, 1)
            inside["status"] = ids.map(vstatus).fillna("unreachable").to_numpy()
            sh = plan.shelters
            used = sh[sh["assigned"] > 0].copy()
            used["expected_people"] = used["assigned"].astype(float).round(0)
            used["load_pct"] = np.round(100.0 * used["utilisation"].astype(float), 0)
            used = used.sort_values("expected_people", ascending=False, kind="stable")
            keep = [c for c in ("shelter_id", "name_en", "name_th", "kind", "category", "capacity", "expected_people",
                                "load_pct", "over_capacity", "district_id", "tambon_id") if c in used.columns]
            shelters = gpd.GeoDataFrame(used[keep], geometry=used.geometry.values, crs=used.crs).to_crs(crs)
            names = sh.set_index(sh["shelter_id"].astype(str))
            name_col = "name_en" if "name_en" in names.columns else "shelter_id"
            inside["shelter_name"] = inside["shelter_id"].astype(str).map(names[name_col]).where(
                inside["shelter_id"].notna()).to_numpy()
            if "name_th" in names.columns:
                inside["shelter_name_th"] = inside["shelter_id"].astype(str).map(names["name_th"]).where(
                    inside["shelter_id"].notna()).to_numpy()
            over = int((shelters["over_capacity"] > 0).sum()) if "over_capacity" in shelters.columns else 0
            if over:
                notes.append(f"{over} shelter(s) to open are over capacity: open more or send people farther")
            overflow = float(a.loc[a["status"] == "overflow", "population"].sum())
            if overflow:
                notes.append(f"{overflow:,.0f} people have no shelter place within the time limit")
        else:
            shelters = gpd.GeoDataFrame({"shelter_id": [], "expected_people": [], "capacity": [],
                                         "over_capacity": []}, geometry=[], crs=crs)
            if len(inside):
                notes.append("the study has no shelters layer: no shelters to open")
    # -- roads -----------------------------------------------------------------------------
    with stage("roads to close"):
        roads = _roads_to_close(study, sources, whole) if sources and study.has("roads") else \
            gpd.GeoDataFrame({"reason": [], "length_m": []}, geometry=[], crs=crs)
    # -- vehicles --------------------------------------------------------------------------
    with stage("vehicles"):
        if fleet is None and study.has("vehicles"):
            fleet = study.layer("vehicles")
        vehicles = _preposition(study, fleet, whole, sources, int(cfg["vehicles_per_type"])) if fleet is not None \
            else gpd.GeoDataFrame({"vehicle_type": [], "vehicle_id": [], "eta_min": []}, geometry=[], crs=crs)
        if fleet is None:
            notes.append("no vehicle fleet (registry or vehicles layer): no vehicles to pre-position")
        elif len(vehicles) and vehicles["inside_area"].any():
            notes.append(f"{int(vehicles['inside_area'].sum())} of the vehicles to pre-position are based inside the "
                         "warning area: move them out before the onset")
    # -- messages --------------------------------------------------------------------------
    with stage("messages"):
        th_event, en_event = EVENT_NAMES.get(kind, (kind, kind.replace("_", " ").capitalize()))
        area_names = {"th": _names(tambons, "name_th"), "en": _names(tambons, "name_en")}
        common = {"sender": cfg["sender_name"] or cfg["sender"]}
        rows = []
        for lang, event in (("th", th_event), ("en", en_event)):
            vals = {**common, "event": event, "areas": area_names[lang] or area.source,
                    "onset": _when(t_onset, lang), "expires": _when(t_expires, lang),
                    "people": f"{float(inside['population'].sum()) if len(inside) else 0:,.0f}"}
            text = render_message(str(templates[f"area_{lang}"]), vals, where=f"[warning] messages.area_{lang}")
            rows.append({"audience": "area", "village_id": None, "lang": lang, "text": text})
            for _, v in inside.iterrows():
                has_shelter = isinstance(v.get("shelter_id"), str) or pd.notna(v.get("shelter_id"))
                key = f"village_{lang}" if has_shelter else f"village_noshelter_{lang}"
                vname = v.get("name_th" if lang == "th" else "name_en") or v.get("name_en") or v["village_id"]
                sname = (v.get("shelter_name_th") if lang == "th" else None) or v.get("shelter_name") or \
                    v.get("shelter_id")
                vv = {**vals, "village": vname, "shelter": sname if has_shelter else "",
                      "minutes": f"{v['travel_min']:.0f}" if has_shelter and pd.notna(v.get("travel_min")) else "",
                      "people": f"{float(v['population']):,.0f}"}
                rows.append({"audience": "village", "village_id": v["village_id"], "lang": lang,
                             "text": render_message(str(templates[key]), vv, where=f"[warning] messages.{key}")})
        messages = pd.DataFrame(rows, columns=["audience", "village_id", "lang", "text"])
        lengths = [sms_segments(t) for t in messages["text"]]
        messages["encoding"] = [s.encoding for s in lengths]
        messages["characters"] = [s.characters for s in lengths]
        messages["segments"] = [s.segments for s in lengths]
        send_list = _send_list(study, messages, inside)
    # -- CAP -------------------------------------------------------------------------------
    with stage("alert"):
        geocodes: dict[str, list[str]] = {}
        if len(tambons):
            geocodes["ADM3_PCODE"] = [str(t) for t in tambons["tambon_id"]]
            if "district_id" in tambons.columns:
                geocodes["ADM2_PCODE"] = list(dict.fromkeys(str(d) for d in tambons["district_id"].dropna()))
        desc = {"th-TH": area_names["th"] or area.source, "en-US": area_names["en"] or area.source}
        cap = cap_area(gpd.GeoSeries([whole], crs=crs), desc=desc, geocodes=geocodes,
                       max_vertices=int(cfg["max_vertices"]))
        category = hazard_category(kind) if kind in _cap_kinds() else ("Other",)
        infos = []
        for lang, language, event in (("th", "th-TH", th_event), ("en", "en-US", en_event)):
            area_msg = messages[(messages["audience"] == "area") & (messages["lang"] == lang)]["text"].iloc[0]
            infos.append(CapInfo(
                language=language, category=category, event=event, urgency=cfg["urgency"], severity=cfg["severity"],
                certainty=cfg["certainty"], response_type=tuple(cfg["response_type"]), onset=t_onset,
                expires=t_expires, sender_name=cfg["sender_name"] or None,
                headline=(f"เตือนภัย{event}" if lang == "th" else f"{event} warning")[:160],
                description=area_msg, instruction=_instruction(shelters, lang), web=cfg["web"] or None,
                contact=cfg["contact"] or None, areas=(cap,),
                parameters={"safegeo_villages": str(len(inside)), "safegeo_people": f"{inside['population'].sum():.0f}"
                            if len(inside) else "0"},
            ))
        xml = build_alert(infos, sender=cfg["sender"], sent=t_sent, status=status, msg_type=msg_type,
                          references=list(references))
        errors = validate_alert(xml)
        if errors:  # pragma: no cover - build_alert checks every value CAP restricts
            raise SafegeoError("the CAP alert does not validate against the CAP 1.2 schema: " + "; ".join(errors[:3]))
    villages = inside.drop(columns=[c for c in ("shelter_name_th",) if c in inside.columns])
    return WarningResult(area=area, villages=villages, tambons=tambons, shelters=shelters, roads=roads,
                         vehicles=vehicles, messages=messages, send_list=send_list, alert_xml=xml, kind=kind,
                         groups=groups, synthetic=bool(getattr(study, "synthetic", False)),
                         name=getattr(study, "name", ""), notes=notes)


class _NoStages:
    def __call__(self, name: str):
        import contextlib

        return contextlib.nullcontext()


def _cap_kinds() -> set[str]:
    from safegeo.warning.cap import HAZARD_CATEGORIES

    return set(HAZARD_CATEGORIES)


def _names(tambons: gpd.GeoDataFrame, col: str, limit: int = 3) -> str:
    if not len(tambons) or col not in tambons.columns:
        return ""
    names = [str(n) for n in tambons.sort_values("villages_population" if "villages_population" in tambons.columns
                                                 else tambons.columns[0], ascending=False)[col].dropna()]
    shown = [f"ต.{n}" if col == "name_th" and not n.startswith(("ต.", "ตำบล")) else n for n in names[:limit]]
    more = len(names) - limit
    if more > 0:
        shown.append(f"และอีก {more} ตำบล" if col == "name_th" else f"and {more} more tambons")
    return ", ".join(shown)


def _instruction(shelters: gpd.GeoDataFrame, lang: str) -> str:
    if not len(shelters):
        return "ปฏิบัติตามคำแนะนำของเจ้าหน้าที่ สายด่วน 1784" if lang == "th" else \
            "Follow the instructions of officials. Hotline 1784."
    col = "name_th" if lang == "th" and "name_th" in shelters.columns else (
        "name_en" if "name_en" in shelters.columns else "shelter_id")
    top = ", ".join(str(n) for n in shelters[col].head(5))
    return (f"อพยพไปยังศูนย์พักพิงที่กำหนด: {top} สายด่วน 1784" if lang == "th"
            else f"Evacuate to your designated shelter: {top}. Hotline 1784.")


def _tambon_targets(study: StudyArea, whole: shapely.Geometry, inside: gpd.GeoDataFrame,
                    groups: list[str]) -> gpd.GeoDataFrame:
    areas = study.areas
    crs = study.crs
    if not (areas and areas.has("tambon")):
        return gpd.GeoDataFrame({"tambon_id": []}, geometry=[], crs=crs)
    tam = areas.areas("tambon").to_crs(crs)
    touch = shapely.intersects(tam.geometry.values, whole)
    touch[touch] = shapely.area(shapely.intersection(tam.geometry.values[touch], whole)) > 0  # not a shared edge
    hit = tam[touch].copy()
    keep = [c for c in ("tambon_id", "name_en", "name_th", "district_id") if c in hit.columns]
    out = gpd.GeoDataFrame(hit[keep].reset_index(drop=True), geometry=hit.geometry.values, crs=crs)
    area = shapely.area(out.geometry.values)
    out["share_inside"] = np.round(shapely.area(shapely.intersection(out.geometry.values, whole))
                                   / np.where(area > 0, area, 1.0), 4)
    if len(inside) and "tambon_id" in inside.columns:
        g = inside.groupby(inside["tambon_id"].astype(str))
        ids = out["tambon_id"].astype(str)
        out["villages"] = ids.map(g.size()).fillna(0).astype(int).to_numpy()
        out["villages_population"] = ids.map(g["population"].sum()).fillna(0).astype(float).to_numpy()
        for grp in groups:
            out[f"villages_{grp}"] = ids.map(g[grp].sum()).fillna(0).astype(float).to_numpy()
    else:
        out["villages"] = 0
        out["villages_population"] = 0.0
    if study.population and len(out):
        from safegeo.exposure.zonal import PopulationRaster, exposure_sums

        rasters = [PopulationRaster(p.raster_path, group=p.group, kind=p.kind) for p in study.population]
        table = exposure_sums(rasters, out.geometry, gpd.GeoDataFrame(geometry=[whole], crs=crs))
        per = table.groupby(level=0).sum()
        for grp in per.columns:
            out[f"raster_{grp}"] = np.round(per[grp].reindex(range(len(out))).fillna(0.0).to_numpy(float), 1)
    d = areas.areas("district") if areas.has("district") else None
    if d is not None and "is_border" in d.columns and "district_id" in out.columns:
        border = dict(zip(d["district_id"].astype(str), d["is_border"].fillna(False).astype(bool), strict=True))
        out["is_border"] = out["district_id"].astype(str).map(border).fillna(False).astype(bool).to_numpy()
    return out


def _roads_to_close(study: StudyArea, sources: list[HazardSource], whole: shapely.Geometry) -> gpd.GeoDataFrame:
    from safegeo.hazards import HazardScenario

    net = study.network()
    scenario = HazardScenario.from_sources(sources, params=study.params)
    he = scenario.edges(net)
    a, b = np.minimum(net.u, net.v), np.maximum(net.u, net.v)
    once = ~pd.DataFrame({"a": a, "b": b, "l": np.round(net.length_m, 3)}).duplicated().to_numpy()
    pick = np.flatnonzero(he.closed & once)
    geoms = net.edge_geometries()[pick]
    near = shapely.intersects(geoms, shapely.buffer(whole, 1.0))
    pick, geoms = pick[near], geoms[near]
    cols = {c: net.edge_data[c].to_numpy()[pick] for c in ("road_id", "name", "highway", "bridge")
            if c in net.edge_data.columns}
    out = gpd.GeoDataFrame({"edge": pick, **cols, "reason": he.reason[pick], "length_m": np.round(net.length_m[pick], 1)},
                           geometry=geoms, crs=net.crs)
    if study.areas:
        loc = study.areas.locate(gpd.GeoSeries(shapely.line_interpolate_point(geoms, 0.5, normalized=True),
                                               crs=net.crs))
        for c in loc.columns:
            out[c] = loc[c].to_numpy()
    return out


def _preposition(study: StudyArea, fleet: gpd.GeoDataFrame, whole: shapely.Geometry, sources: list[HazardSource],
                 per_type: int) -> gpd.GeoDataFrame:
    """Per type, the *per_type* available vehicles with the shortest road time to the edge of the area."""
    from safegeo.hazards import HazardScenario
    from safegeo.routing import nearest_sources, route_geometries, tree_paths

    crs = study.crs
    empty = gpd.GeoDataFrame({"vehicle_type": [], "rank": [], "vehicle_id": [], "eta_min": []}, geometry=[], crs=crs)
    if fleet is None or not len(fleet):
        return empty
    f = fleet.to_crs(crs) if fleet.crs is not None else fleet.set_crs(4326).to_crs(crs)
    if "status" in f.columns:
        f = f[f["status"].astype(str).str.lower().isin(["available", "nan", "none", ""])]
    if not len(f):
        return empty
    net = study.network()
    scenario = HazardScenario.from_sources(sources, params=study.params)
    cost = scenario.edges(net).cost if sources else net.edge_cost("time")
    # the area's road nodes: nodes inside it, or the one nearest to it
    xy = shapely.points(net.x, net.y)
    targets = np.flatnonzero(shapely.intersects(whole, xy))
    if not len(targets):
        targets = np.array([int(np.argmin(shapely.distance(xy, whole)))])
    tree = nearest_sources(net.csr(cost, reverse=True), targets)
    max_snap = float(study.settings("network")["max_snap_m"])
    node = net.snap(f.geometry, max_snap_m=max_snap).node
    rows = []
    for vtype, grp in f.assign(_node=node).groupby("type", sort=True):
        ok = grp[grp["_node"] >= 0]
        if not len(ok):
            continue
        t = tree.cost[ok["_node"].to_numpy()]
        reach = np.isfinite(t)
        ok, t = ok[reach], t[reach]
        order = np.argsort(t, kind="stable")[:per_type]
        for r, i in enumerate(order, start=1):
            rows.append({"vehicle_type": vtype, "rank": r, "vehicle_id": ok["vehicle_id"].iloc[i],
                         "agency": ok["agency"].iloc[i] if "agency" in ok.columns else None,
                         "eta_min": round(float(t[i]) / 60.0, 1),
                         "inside_area": bool(shapely.intersects(whole, ok.geometry.iloc[i])),
                         "_node": int(ok["_node"].iloc[i])})
    if not rows:
        return empty
    out = pd.DataFrame(rows)
    paths = tree_paths(tree, out["_node"].to_numpy())
    geoms = route_geometries(net, paths)
    return gpd.GeoDataFrame(out.drop(columns="_node"), geometry=geoms, crs=net.crs)


def _send_list(study: StudyArea, messages: pd.DataFrame, inside: gpd.GeoDataFrame) -> pd.DataFrame:
    """Village messages paired with the village heads of the contacts layer (private)."""
    cols = ["village_id", "lang", "contact_name", "contact_phone", "contact_role", "text", "segments"]
    if not study.has("contacts") or not len(inside):
        return pd.DataFrame(columns=cols)
    c = pd.DataFrame(study.layer("contacts").drop(columns="geometry", errors="ignore"))
    if "village_id" not in c.columns:
        return pd.DataFrame(columns=cols)
    c = c[c["village_id"].astype(str).isin(inside["village_id"].astype(str))]
    name = next((x for x in ("name", "contact_name", "full_name") if x in c.columns), None)
    phone = next((x for x in ("phone", "mobile", "tel", "contact_phone") if x in c.columns), None)
    lang = c["lang"].astype(str) if "lang" in c.columns else pd.Series("th", index=c.index)
    recipients = pd.DataFrame({"village_id": c["village_id"].astype(str).to_numpy(), "lang": lang.to_numpy(),
                               "contact_name": c[name].to_numpy() if name else None,
                               "contact_phone": c[phone].astype(str).to_numpy() if phone else None,
                               "contact_role": c["role"].to_numpy() if "role" in c.columns else None})
    vm = messages[messages["audience"] == "village"].assign(village_id=lambda m: m["village_id"].astype(str))
    out = recipients.merge(vm[["village_id", "lang", "text", "segments"]], on=["village_id", "lang"], how="left")
    return out[cols]


# --------------------------------------------------------------------------------------------
# map
# --------------------------------------------------------------------------------------------
def warning_map(result: WarningResult, *, lang: str = "en", public: bool = False, tiles: bool = True,
                title: str | None = None, back_href: str | None = None, charts: bool = True) -> SafegeoMap:
    """The warning area, target tambons and villages, shelters to open, roads to close, vehicles to pre-position."""
    from safegeo._i18n import t
    from safegeo.maps import SafegeoMap

    m = SafegeoMap(title=title or (f"{result.name}: " if result.name else "") + t("warning_title", lang), lang=lang,
                   public=public, synthetic=result.synthetic, tiles=tiles, back_href=back_href,
                   bounds=["warning_area", "target_villages"])
    if charts:
        for chart in warning_charts(result, lang=lang):
            m.add_chart(chart)
    if len(result.tambons):
        tb = result.tambons
        people = next((c for c in ("raster_total", "villages_population") if c in tb.columns), None)
        m.add_polygons(tb, name="target_tambons", fill_column=people, cmap="YlOrRd", vmin=0, fill_opacity=0.35,
                       weight=1, color="#555555",
                       tooltip=[c for c in ("name_en", "name_th", people) if c in tb.columns][:2],
                       popup=[c for c in tb.columns if c != "geometry"])
    m.add_polygons(result.area.polygons, name="warning_area", color="#d7301f", fill_color="#fc8d59",
                   fill_opacity=0.2, weight=3, tooltip=["desc", "source"])
    if len(result.roads):
        m.add_lines(result.roads, name="roads_to_close", color="#000000", weight=4,
                    tooltip=[c for c in ("name", "reason", "length_m") if c in result.roads.columns])
    if len(result.vehicles):
        from safegeo.vehicles.dispatch import TYPE_COLOURS

        v = result.vehicles.copy()
        unit = "นาที" if lang == "th" else "min"
        m.add_lines(v, name="vehicles_to_preposition", color_column="vehicle_type", categories=TYPE_COLOURS,
                    weight=3, tooltip=["vehicle_type", "rank", "vehicle_id", "eta_min"])
        starts = gpd.GeoDataFrame(pd.DataFrame(v.drop(columns="geometry")),
                                  geometry=shapely.get_point(v.geometry.values, 0), crs=v.crs)
        starts["eta_label"] = [f"{e:.0f} {unit}" for e in starts["eta_min"]]
        m.add_points(starts, name="vehicle_bases", color_column="vehicle_type", categories=TYPE_COLOURS, radius=7,
                     tooltip=["vehicle_type", "vehicle_id", "eta_min"], label_column="eta_label")
    if len(result.shelters):
        s = result.shelters.copy()
        s["over"] = np.where(s["over_capacity"] > 0, "over_capacity", "room")
        m.add_points(s, name="shelters_to_open", color_column="over",
                     categories={"room": "#1a9850", "over_capacity": "#d73027"},
                     radius_column="expected_people", radius_range=(6.0, 14.0),
                     tooltip=[c for c in ("name_en", "expected_people", "capacity", "load_pct") if c in s.columns],
                     popup=[c for c in s.columns if c not in ("geometry", "over")])
    if len(result.villages):
        v = result.villages
        cats = {"assigned": "#2c7bb6", "beyond_max_time": "#fdae61", "overflow": "#d7191c",
                "unreachable": "#7b3294"}
        v = v.assign(status=v["status"].where(v["status"].isin(list(cats)), "unreachable")) \
            if "status" in v.columns else v.assign(status="assigned")
        m.add_points(v, name="target_villages", color_column="status", categories=cats, radius=5,
                     tooltip=[c for c in ("name_en", "population", "shelter_name", "travel_min") if c in v.columns],
                     popup=[c for c in v.columns if c != "geometry"])
    return m


def warning_charts(result: WarningResult, *, lang: str = "en", width: int = 440) -> list:
    """People per target tambon, and the shelters to open against their capacity."""
    from safegeo.maps.charts import bar_chart, message_chart

    out = []
    tb = result.tambons
    people = next((c for c in ("raster_total", "villages_population") if c in tb.columns), None)
    if len(tb) and people:
        col = "name_th" if lang == "th" and "name_th" in tb.columns else ("name_en" if "name_en" in tb.columns
                                                                          else "tambon_id")
        out.append(bar_chart(pd.Series(tb[people].to_numpy(float), index=tb[col].astype(str)).sort_values(
            ascending=False).head(15), title="warning_people_by_tambon", value_label=people, lang=lang, width=width))
    else:
        out.append(message_chart(title="warning_people_by_tambon", lang=lang, width=width))
    s = result.shelters
    if len(s):
        col = "name_th" if lang == "th" and "name_th" in s.columns else ("name_en" if "name_en" in s.columns
                                                                         else "shelter_id")
        load = pd.Series(s["load_pct"].to_numpy(float), index=s[col].astype(str)).head(12)
        out.append(bar_chart(load, title="warning_shelter_load", value_label="load_pct", lang=lang, percent=True,
                             reference=100.0, max_value=max(100.0, float(load.max())), width=width))
    return out


def demo_step(study: StudyArea, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """Warn for the demo's flood polygons (onset this evening, Bangkok time) and write the outputs."""
    onset = datetime.now(BANGKOK).replace(hour=18, minute=0, second=0, microsecond=0)
    area = warning_area(study, hazard="hazards")
    res = warn(study, area, onset=onset, expires=onset + timedelta(hours=24), status="Exercise")
    return res.write(Path(out_dir), lang=lang, title=f"{study.name}: warning", back_href="../index.html")
