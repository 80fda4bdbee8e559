"""Study settings: every default once, and one way to check and resolve them.

The study file's parameter sections (``[network]``, ``[evacuation]``, ...)
override :data:`DEFAULT_PARAMS` key by key; every command and library
function resolves its options against the same table.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from safegeo._errors import (
    StudyFileError,
)
from safegeo.network.classes import DEFAULT_SPEEDS_KPH, DRIVE_CLASSES

log = logging.getLogger(__name__)


#: Default parameters; the study file's sections override them key by key.
DEFAULT_PARAMS: dict[str, Any] = {
    "network": {
        "mode": "drive",
        "max_snap_m": 500.0,
        "walk_speed_kph": 4.5,
        "default_speed_kph": 40.0,
        "speeds_kph": dict(DEFAULT_SPEEDS_KPH),  # Thai class speeds (safegeo.network)
    },
    "border": {"touch_tolerance_m": 100.0},
    "evacuation": {
        "max_minutes": 60.0,
        "severity_speed_factor": {"low": 0.5, "medium": 0.25, "high": 0.0, "extreme": 0.0},
        "depth_threshold_m": 0.3,
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
    "vehicles": {"bands_minutes": [5, 10, 15, 30], "isochrone_cell_m": 200.0,
                 "target_minutes": {"ambulance": 15, "fire_engine": 15, "rescue_truck": 20, "rescue_boat": 30,
                                     "water_tanker": 30, "pickup_4x4": 20, "other": 30}},
    "map": {"lang": "en"},
}



def deep_update(base: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_update(base[k], v)
        else:
            base[k] = v



#: Settings that must be greater than zero (the rest of the numbers must be >= 0).
_POSITIVE = {("network", "max_snap_m"), ("network", "walk_speed_kph"), ("network", "default_speed_kph"),
             ("network", "speeds_kph"), ("evacuation", "max_minutes"), ("evacuation", "k_nearest"),
             ("vehicles", "bands_minutes"), ("vehicles", "isochrone_cell_m"), ("vehicles", "target_minutes")}
#: Lists that must increase strictly (response-time bands: each band's upper limit).
_INCREASING = {("vehicles", "bands_minutes")}
#: Tables whose keys are open (any OSM road class): every other table's keys are checked for typos.
_OPEN_TABLES = {("network", "speeds_kph")}


def check_param_values(path: Path, cfg: dict) -> None:
    """Type and range of every parameter the study file sets: one clear message per mistake."""

    def is_number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and bool(np.isfinite(v))

    def check(where: str, key: tuple[str, str], default: Any, value: Any) -> None:
        positive = key in _POSITIVE
        rule = "a number > 0" if positive else "a number >= 0"
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise StudyFileError(f"{path}: {where} must be a table of settings, not {value!r}",
                                     hint=f"write it as a table: a line [{key[0]}.{key[1]}], then one setting per line")
            if key not in _OPEN_TABLES:
                typos = sorted(set(value) - set(default))
                if typos:
                    raise StudyFileError(f"{path}: unknown key(s) {', '.join(typos)} in {where}",
                                         hint=f"known keys: {', '.join(default)}")
            sample = next(iter(default.values()), None)
            for k, v in value.items():
                check(f"[{key[0]}.{key[1]}] {k}", key, default.get(k, sample), v)
            return
        if isinstance(default, list):
            if not isinstance(value, list) or not value or not all(is_number(v) and v > 0 for v in value):
                raise StudyFileError(f"{path}: {where} must be a list of numbers > 0, not {value!r}",
                                     hint=f"e.g. {where.split()[-1]} = {default}")
            if key in _INCREASING and any(b <= a for a, b in zip(value[:-1], value[1:], strict=True)):
                raise StudyFileError(f"{path}: {where} must increase from one band to the next, not {value!r}",
                                     hint=f"e.g. {where.split()[-1]} = {sorted(set(value))}")
            return
        if isinstance(default, str):
            if not isinstance(value, str):
                raise StudyFileError(f"{path}: {where} must be text, not {value!r}", hint=f'e.g. "{default}"')
            return
        if default is None or is_number(default):
            if not is_number(value) or value < 0 or (positive and value <= 0):
                raise StudyFileError(f"{path}: {where} must be {rule}, not {value!r}",
                                     hint=f"e.g. {where.split()[-1]} = {default if default is not None else 500}")
            if key == ("evacuation", "k_nearest") and not float(value).is_integer():
                raise StudyFileError(f"{path}: {where} must be a whole number, not {value!r}",
                                     hint=f"e.g. {where.split()[-1]} = {default}")

    for section, defaults in DEFAULT_PARAMS.items():
        given = cfg.get(section, {})
        if not isinstance(given, dict):
            continue  # reported by the caller
        for k, v in given.items():
            if k in defaults:
                check(f"[{section}] {k}", (section, k), defaults[k], v)
    mode = cfg.get("network", {}).get("mode") if isinstance(cfg.get("network"), dict) else None
    if mode is not None and mode not in ("drive", "walk"):
        raise StudyFileError(f"{path}: [network] mode must be \"drive\" or \"walk\", not {mode!r}",
                             hint='mode = "drive"')
    lang = cfg.get("map", {}).get("lang") if isinstance(cfg.get("map"), dict) else None
    if lang is not None and lang not in ("en", "th"):
        raise StudyFileError(f"{path}: [map] lang must be \"en\" or \"th\", not {lang!r}", hint='lang = "th"')
    speeds = cfg.get("network", {}).get("speeds_kph", {}) if isinstance(cfg.get("network"), dict) else {}
    unknown = sorted(k for k in speeds if str(k).strip().lower() not in DRIVE_CLASSES)
    if unknown:
        raise StudyFileError(f"{path}: [network.speeds_kph] has road class(es) the drive network does not use: "
                             f"{', '.join(unknown)}", hint=f"use OSM highway classes: {', '.join(sorted(DRIVE_CLASSES))}")

