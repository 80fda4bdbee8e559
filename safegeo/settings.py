"""Study settings: every default once, and one way to check and resolve them.

The study file's parameter sections (``[network]``, ``[hazards]``,
``[evacuation]``, ...) override :data:`DEFAULT_PARAMS` key by key.  Every
library function and command resolves its options the same way, with
:func:`resolve`: an option given by the caller (a keyword argument, a
command-line flag) wins over the study file, the study file over the default,
and every value is checked by the same rules whichever way it came in.

Examples
--------
>>> from safegeo.settings import resolve
>>> resolve(None, "evacuation", max_minutes=45)["max_minutes"]
45.0
>>> resolve({"evacuation": {"k_nearest": 5}}, "evacuation")["k_nearest"]
5
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from safegeo._errors import SettingsError, StudyFileError
from safegeo.network.classes import DEFAULT_SPEED_KPH, DEFAULT_SPEEDS_KPH, DRIVE_CLASSES, WALK_SPEED_KPH

log = logging.getLogger(__name__)

#: Speed factor per hazard severity on the roads it touches (0 closes the road).
DEFAULT_SEVERITY_SPEED_FACTOR: dict[str, float] = {"low": 0.5, "medium": 0.25, "high": 0.0, "extreme": 0.0}
#: Water depth (m) above which a road is closed to cars.
DEFAULT_DEPTH_THRESHOLD_M = 0.3

#: Default parameters; the study file's sections override them key by key.
DEFAULT_PARAMS: dict[str, Any] = {
    "network": {
        "mode": "drive",
        "max_snap_m": 500.0,
        "walk_speed_kph": WALK_SPEED_KPH,
        "default_speed_kph": DEFAULT_SPEED_KPH,
        "speeds_kph": dict(DEFAULT_SPEEDS_KPH),  # Thai class speeds (safegeo.network.classes)
        # keep prepared networks in .safegeo/cache beside the study file (safegeo.network.cache)
        "cache": True,
    },
    "border": {"touch_tolerance_m": 100.0},
    # how a hazard acts on roads and places, for every analysis (evacuation, dispatch, response, coverage, exposure)
    "hazards": {
        "severity_speed_factor": dict(DEFAULT_SEVERITY_SPEED_FACTOR),
        # raster entries without their own depth_threshold_m close roads deeper than this
        "depth_threshold_m": DEFAULT_DEPTH_THRESHOLD_M,
        # a shelter, hospital or vehicle base standing in water deeper than this is inside the hazard
        "wet_depth_m": 0.0,
    },
    "evacuation": {
        "max_minutes": 60.0,
        "k_nearest": 20,
        # people whose junction is closed on every side leave along the closed roads at this speed (0: stranded)
        "hazard_exit_kph": 3.0,
        # evacuate only villages within this distance of the hazard footprint (None: every village)
        "at_risk_within_m": None,
    },
    "coverage": {
        "light_radius_m": 25.0,
        "camera_range_m": 50.0,
        "camera_fov_deg": 90.0,
        "sos_max_walk_m": 300.0,
        "weights": {"hazard": 2.0, "border": 1.5, "poi": 1.5, "incident": 2.0, "poi_distance_m": 200.0,
                    "incident_distance_m": 200.0},
    },
    # repeat-disaster areas: a tambon hit in at least min_years_affected of the last window_years years
    "events": {"window_years": 5, "min_years_affected": 3, "as_of": ""},
    "exposure": {
        # depth classes of raster hazards (m): below the first, between each pair, above the last
        "depth_classes_m": [0.3, 1.0, 2.0],
        # a POI / shelter / village standing within this distance of a hazard footprint counts as inside it
        "inside_within_m": 0.0,
        # numeric columns of the villages layer counted as vulnerable groups (those the layer has)
        "village_groups": ["under5", "elderly", "disabled", "bedridden", "pregnant"],
    },
    # targeted warnings (safegeo warn): CAP codes, sender, and the message templates (Thai and English)
    "warning": {
        "sender": "safegeo@localhost",
        "sender_name": "",
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
        "response_type": ["Evacuate"],
        "expires_hours": 24.0,
        "vehicles_per_type": 2,
        # most points per CAP polygon (the area is simplified outward, never cutting a target off)
        "max_vertices": 100,
        "web": "",
        "contact": "",
        # placeholders: {event} {areas} {onset} {expires} {village} {shelter} {minutes} {people} {sender}
        "messages": {
            "area_th": "เตือนภัย{event} พื้นที่ {areas} ตั้งแต่ {onset} ถึง {expires} "
                       "ให้อพยพไปยังศูนย์พักพิงที่กำหนด ปฏิบัติตามคำแนะนำของเจ้าหน้าที่ สายด่วน 1784",
            "area_en": "{event} warning for {areas} from {onset} to {expires}. Move to your designated shelter "
                       "and follow officials' instructions. Hotline 1784.",
            "village_th": "เตือนภัย{event} {village}: อพยพไปที่ {shelter} (ประมาณ {minutes} นาที) ก่อน {onset} "
                          "สายด่วน 1784",
            "village_en": "{event} warning, {village}: go to {shelter} (about {minutes} min) before {onset}. "
                          "Hotline 1784.",
            "village_noshelter_th": "เตือนภัย{event} {village}: ยังไม่มีศูนย์พักพิงที่ไปถึงได้ "
                                    "รอทีมกู้ภัยและโทร 1784",
            "village_noshelter_en": "{event} warning, {village}: no shelter can be reached; wait for the rescue "
                                    "team and call 1784.",
        },
    },
    "vehicles": {"bands_minutes": [5, 10, 15, 30], "isochrone_cell_m": 200.0,
                 "target_minutes": {"ambulance": 15, "fire_engine": 15, "rescue_truck": 20, "rescue_boat": 30,
                                    "water_tanker": 30, "pickup_4x4": 20, "other": 30}},
    "map": {"lang": "en"},
    # tambon and village scorecards (safegeo.scorecard): INFORM-style 0-10 scores, higher = needs help sooner.
    # Each indicator family is scaled linearly from its best value (0) to its worst (10), clipped; weights are
    # relative within their category; categories average into dimensions, dimensions combine geometrically.
    "scorecard": {
        "best": {"share_within_15min": 1.0, "share_within_30min": 1.0, "share_within_60min": 1.0,
                 "overflow_share": 0.0, "share_cut_off_by_one_road": 0.0, "lit_pct": 100.0, "seen_pct": 100.0,
                 "sos_pct": 100.0, "median_min": 0.0, "p90_min": 0.0, "exposed_share": 0.0, "repeat_area": 0.0,
                 "is_border": 0.0},
        "worst": {"share_within_15min": 0.0, "share_within_30min": 0.0, "share_within_60min": 0.0,
                  "overflow_share": 1.0, "share_cut_off_by_one_road": 1.0, "lit_pct": 0.0, "seen_pct": 0.0,
                  "sos_pct": 0.0, "median_min": 60.0, "p90_min": 60.0, "exposed_share": 1.0, "repeat_area": 1.0,
                  "is_border": 1.0},
        "weights": {"share_within_15min": 1.0, "share_within_30min": 1.0, "share_within_60min": 1.0,
                    "overflow_share": 1.0, "share_cut_off_by_one_road": 1.0, "lit_pct": 1.0, "seen_pct": 1.0,
                    "sos_pct": 1.0, "median_min": 1.0, "p90_min": 1.0, "exposed_share": 1.0, "repeat_area": 1.0,
                    "is_border": 0.5},
        "dimension_weights": {"hazard_exposure": 1.0, "evacuation": 1.0, "coping": 1.0},
        # "geometric" (INFORM: a tambon with nothing in one dimension scores 0) or "arithmetic"
        "between_dimensions": "geometric",
        # response-time indicators for these vehicle types (those the fleet has)
        "vehicle_types": ["ambulance", "rescue_truck", "rescue_boat"],
        # new sites the coverage analysis proposes (for the first asset: lights, else cameras, else SOS)
        "proposals": 10,
        "actions": 3,
    },
    # road-network improvement planning (safegeo.roadplan)
    "roadplan": {
        # generated candidates: at most this many (near-identical ones merged first)
        "max_candidates": 500,
        # a generated link joins two junctions at most this far apart in a straight line (m) ...
        "link_max_m": 1500.0,
        # ... that are at least this many times farther apart by road (a river without a bridge); at most this many
        # close pairs, best screened first, are checked by road (on a dense network most are close by road too)
        "min_detour_ratio": 3.0,
        "max_link_checks": 25000,
        # new links and bridges are built as this road class; upgrades raise a road to this class
        "new_link_class": "tertiary",
        "upgrade_class": "tertiary",
        # generated upgrades: roads slower than this (km/h) that carry evacuees
        "upgrade_below_kph": 40.0,
        # generated flood-proofing: closed stretches up to this long (m)
        "floodproof_max_m": 5000.0,
        # candidate files: a link's end joins the nearest junction within this distance (m); a road to upgrade
        # or flood-proof is every road lying within match_m of the line drawn along it
        "endpoint_snap_m": 250.0,
        "match_m": 25.0,
        # generated candidates whose ends are both within this distance (m) of a better one's are dropped
        "dedupe_m": 200.0,
        # a person who cannot reach a shelter (or a village no vehicle can reach) counts as this many minutes
        "unreachable_minutes": 120.0,
        # rough costs (million baht per km) for candidates without one
        "unit_cost_mthb_per_km": {"new_link": 12.0, "bridge": 150.0, "upgrade": 6.0, "floodproof": 20.0},
        # the best candidates re-checked by a full evacuation run (nearest shelter and with capacities)
        "verify_top": 5,
        # weight of the response-time gain (person-minutes) in the benefit used for ranking (0: evacuation only)
        "response_weight": 0.0,
        # candidates whose routes before and after are drawn, and villages drawn per candidate
        "route_candidates": 10,
        "route_villages": 3,
    },
}

#: Keys that moved to another section; the old place still works (with a note in the log).
MOVED_KEYS: dict[tuple[str, str], str] = {
    ("evacuation", "severity_speed_factor"): "hazards",
    ("evacuation", "depth_threshold_m"): "hazards",
}

#: Settings that must be greater than zero (the rest of the numbers must be >= 0).
_POSITIVE = {("network", "max_snap_m"), ("network", "walk_speed_kph"), ("network", "default_speed_kph"),
             ("network", "speeds_kph"), ("evacuation", "max_minutes"), ("evacuation", "k_nearest"),
             ("vehicles", "bands_minutes"), ("vehicles", "isochrone_cell_m"), ("vehicles", "target_minutes"),
             ("coverage", "camera_fov_deg"), ("events", "window_years"), ("events", "min_years_affected"),
             ("exposure", "depth_classes_m")}
#: Settings that are whole numbers.
_INTEGER = {("evacuation", "k_nearest"), ("events", "window_years"), ("events", "min_years_affected"),
            ("warning", "vehicles_per_type"), ("warning", "max_vertices"), ("scorecard", "proposals"),
            ("scorecard", "actions")}
#: Settings with an upper bound.
_MAXIMUM = {("coverage", "camera_fov_deg"): 360.0, ("hazards", "severity_speed_factor"): 1.0}
#: Lists whose values must increase.
_INCREASING = {("vehicles", "bands_minutes"), ("exposure", "depth_classes_m")}
#: Text settings with a fixed set of values.
_CHOICES = {("network", "mode"): ("drive", "walk"), ("map", "lang"): ("en", "th"),
            ("scorecard", "between_dimensions"): ("geometric", "arithmetic"),
            ("warning", "urgency"): ("Immediate", "Expected", "Future", "Past", "Unknown"),
            ("warning", "severity"): ("Extreme", "Severe", "Moderate", "Minor", "Unknown"),
            ("warning", "certainty"): ("Observed", "Likely", "Possible", "Unlikely", "Unknown")}
#: Tables whose keys are open (any OSM road class): every other table's keys are checked for typos.
_OPEN_TABLES = {("network", "speeds_kph")}
# road planning
_POSITIVE |= {("roadplan", k) for k in ("max_candidates", "max_link_checks", "link_max_m", "min_detour_ratio", "upgrade_below_kph",
                                        "floodproof_max_m", "endpoint_snap_m", "match_m", "unreachable_minutes")}
_INTEGER |= {("roadplan", k) for k in ("max_candidates", "verify_top", "route_candidates", "route_villages",
                                       "max_link_checks")}
_CHOICES |= {("roadplan", k): tuple(sorted(DRIVE_CLASSES)) for k in ("new_link_class", "upgrade_class")}


def deep_update(base: dict, new: Mapping) -> None:
    """Update *base* in place with *new*, merging nested tables key by key."""
    for k, v in new.items():
        if isinstance(v, Mapping) and isinstance(base.get(k), dict):
            deep_update(base[k], v)
        else:
            base[k] = copy.deepcopy(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and bool(np.isfinite(v))


def check_setting(section: str, key: str, value: Any, *, where: str | None = None) -> None:
    """Check one setting against its default's type and the range rules; raise :class:`SettingsError`.

    *where* names the setting in the message (default ``[section] key``).
    """
    defaults = DEFAULT_PARAMS.get(section)
    if defaults is None:
        raise SettingsError(f"unknown settings section [{section}]", hint=f"known sections: {', '.join(DEFAULT_PARAMS)}")
    if key not in defaults:
        raise SettingsError(f"unknown setting {key!r} in [{section}]", hint=f"known keys in [{section}]: {', '.join(defaults)}")
    _check((section, key), defaults[key], value, where or f"[{section}] {key}")


def _eg(where: str, value: Any) -> str:
    """An example setting: ``e.g. max_minutes = 60`` in a study file, ``e.g. --max-minutes 60`` for an option."""
    if where.endswith(")") and "(--" in where:  # an option: "max_minutes (--max-minutes)"
        name, option = where[:-1].split(" (", 1)
        return f"e.g. {option} {value} (in Python: {name}={value!r})"
    return f'e.g. {where.split()[-1]} = "{value}"' if isinstance(value, str) else f"e.g. {where.split()[-1]} = {value}"


def _check(key: tuple[str, str], default: Any, value: Any, where: str) -> None:
    positive = key in _POSITIVE
    rule = "a number > 0" if positive else "a number >= 0"
    if isinstance(default, bool):
        if not isinstance(value, (bool, np.bool_)):
            raise SettingsError(f"{where} must be true or false, not {value!r}", hint=_eg(where, str(default).lower()))
        return
    if isinstance(default, dict):
        if not isinstance(value, Mapping):
            raise SettingsError(f"{where} must be a table of settings, not {value!r}",
                                hint=f"write it as a table: a line [{key[0]}.{key[1]}], then one setting per line")
        if key not in _OPEN_TABLES:
            typos = sorted(set(value) - set(default))
            if typos:
                raise SettingsError(f"unknown key(s) {', '.join(map(str, typos))} in {where}",
                                    hint=f"known keys: {', '.join(default)}")
        else:
            unknown = sorted(str(k) for k in value if str(k).strip().lower() not in DRIVE_CLASSES)
            if unknown:
                raise SettingsError(f"{where} has road class(es) the drive network does not use: {', '.join(unknown)}",
                                    hint=f"use OSM highway classes: {', '.join(sorted(DRIVE_CLASSES))}")
        sample = next(iter(default.values()), None)
        for k, v in value.items():
            _check(key, default.get(k, sample), v, f"[{key[0]}.{key[1]}] {k}")
        return
    if isinstance(default, list):
        if isinstance(value, tuple):
            value = list(value)
        if default and isinstance(default[0], str):  # a list of names (column names, CAP codes)
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise SettingsError(f"{where} must be a list of text, not {value!r}", hint=_eg(where, default))
            return
        if not isinstance(value, list) or not value or not all(_is_number(v) and v > 0 for v in value):
            raise SettingsError(f"{where} must be a list of numbers > 0, not {value!r}", hint=_eg(where, default))
        if key in _INCREASING and any(b <= a for a, b in zip(value, value[1:])):
            raise SettingsError(f"{where} must increase from one value to the next, not {value!r}",
                                hint=_eg(where, sorted(set(value))))
        return
    if isinstance(default, str):
        if not isinstance(value, str):
            raise SettingsError(f"{where} must be text, not {value!r}", hint=_eg(where, default))
        choices = _CHOICES.get(key)
        if choices and value not in choices:
            allowed = " or ".join(f'"{c}"' for c in choices)
            raise SettingsError(f"{where} must be {allowed}, not {value!r}",
                                hint=_eg(where, default))
        return
    if default is None or _is_number(default):
        if not _is_number(value) or value < 0 or (positive and value <= 0):
            raise SettingsError(f"{where} must be {rule}, not {value!r}",
                                hint=_eg(where, default if default is not None else 500))
        top = _MAXIMUM.get(key)
        if top is not None and value > top:
            raise SettingsError(f"{where} must be at most {top:g}, not {value!r}", hint=_eg(where, default))
        if key in _INTEGER and not float(value).is_integer():
            raise SettingsError(f"{where} must be a whole number, not {value!r}", hint=_eg(where, default))


def move_old_keys(cfg: dict, *, source: str = "study file") -> dict:
    """*cfg* with settings that moved section (:data:`MOVED_KEYS`) put in their new section."""
    out = copy.deepcopy(cfg)
    for (old, key), new in MOVED_KEYS.items():
        sec = out.get(old)
        if isinstance(sec, dict) and key in sec:
            value = sec.pop(key)
            target = out.setdefault(new, {})
            if isinstance(target, dict) and key not in target:
                target[key] = value
                log.info("%s: [%s] %s is read as [%s] %s (it applies to every analysis)", source, old, key, new, key)
    return out


def check_param_values(path: Path, cfg: dict) -> None:
    """Type and range of every parameter a study file sets; the first mistake raises :class:`StudyFileError`."""
    cfg = move_old_keys(cfg, source=str(path))
    for section, defaults in DEFAULT_PARAMS.items():
        given = cfg.get(section, {})
        if not isinstance(given, dict):
            continue  # reported by the caller
        for k, v in given.items():
            if k in defaults:
                try:
                    _check((section, k), defaults[k], v, f"[{section}] {k}")
                except SettingsError as exc:
                    raise StudyFileError(f"{path}: {exc.args[0]}", hint=exc.hint) from None


def merged_params(params: Mapping | None = None) -> dict[str, Any]:
    """:data:`DEFAULT_PARAMS` overridden by *params* (a study's parameter sections), as a new dict."""
    out = copy.deepcopy(DEFAULT_PARAMS)
    deep_update(out, move_old_keys(dict(params or {})))
    return out


def resolve(params: Mapping | None, section: str, **overrides: Any) -> dict[str, Any]:
    """The settings of *section*: defaults, then *params* (the study's), then every override that is not None.

    Overrides are checked by the same rules as the study file; a nested table
    (``severity_speed_factor``) is merged key by key.

    Raises
    ------
    SettingsError
        An override is out of range, of the wrong type, or not a setting of *section*.
    """
    if section not in DEFAULT_PARAMS:
        raise SettingsError(f"unknown settings section [{section}]", hint=f"known sections: {', '.join(DEFAULT_PARAMS)}")
    out = merged_params(params)[section]
    for key, value in overrides.items():
        if value is None:
            continue
        check_setting(section, key, value, where=f"{key} (--{key.replace('_', '-')})")
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            deep_update(out[key], value)
        else:
            out[key] = list(value) if isinstance(value, tuple) else value
    for key, default in DEFAULT_PARAMS[section].items():  # numbers as floats (ints where whole numbers are asked for)
        if (section, key) in _INTEGER and out.get(key) is not None:
            out[key] = int(out[key])
        elif isinstance(default, float) and _is_number(out.get(key)):
            out[key] = float(out[key])
    return out
