"""Road classes: which OSM ``highway`` classes each mode uses, free-flow speeds, ``maxspeed`` parsing."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from safegeo._errors import NetworkError

log = logging.getLogger(__name__)


#: Road classes a car may use.  Thai village roads are often tagged ``track``;
#: they are kept (at a low speed) because they are how villages are reached.
DRIVE_CLASSES = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street", "service", "road", "track",
})
#: Free-flow speeds (km/h) per road class, used when no others are given.  Thai roads: Department of
#: Highways limits (90 km/h on highways, 80 on rural roads, 60 in built-up areas) less the slower
#: reality of mixed traffic, motorcycles and village lanes.  Other classes: ``default_speed_kph``.
DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0,
    "trunk": 80.0, "trunk_link": 50.0,
    "primary": 70.0, "primary_link": 45.0,
    "secondary": 60.0, "secondary_link": 40.0,
    "tertiary": 50.0, "tertiary_link": 35.0,
    "unclassified": 40.0, "road": 40.0,
    "residential": 30.0, "living_street": 15.0,
    "service": 20.0, "track": 15.0,
}
#: Speed (km/h) of road classes that :data:`DEFAULT_SPEEDS_KPH` does not list.
DEFAULT_SPEED_KPH = 40.0
#: Walking speed (km/h) on every path of the walk network.
WALK_SPEED_KPH = 4.5
#: Road classes nobody walks or drives on (planned, closed, not roads).
NEVER_CLASSES = frozenset({"construction", "proposed", "abandoned", "raceway", "bus_guideway", "platform",
                           "elevator", "escape", "disused", "razed", "rest_area", "services"})
#: Classes excluded from the walking network.
NO_WALK_CLASSES = frozenset({"motorway", "motorway_link"})

MODES = ("drive", "walk")


def _class_codes(highway: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Factorise road classes: integer codes per segment and the distinct class names.

    osmnx gives a list of classes for merged ways; the first is used.  Missing
    classes become ``"road"``.
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(highway, dtype=object), dtype=object), use_na_sentinel=True)
    # "Residential " from a hand-made layer is the OSM class residential
    names = np.array([str(u[0] if isinstance(u, list) and u else u).strip().lower() for u in uniques] + ["road"],
                     dtype=object)
    codes = np.where(codes < 0, len(names) - 1, codes)
    return codes, names


def classes_for_mode(highway: np.ndarray, mode: str) -> np.ndarray:
    """Boolean mask of road classes usable in *mode* (``drive`` or ``walk``)."""
    codes, names = _class_codes(highway)
    if mode == "drive":
        ok = np.isin(names, list(DRIVE_CLASSES))
    elif mode == "walk":
        ok = ~np.isin(names, list(NEVER_CLASSES | NO_WALK_CLASSES | {"none", ""}))
    else:
        raise NetworkError(f"unknown network mode {mode!r}", hint="use 'drive' or 'walk'")
    return ok[codes]


def speeds_for(highway: np.ndarray, speeds_kph: dict[str, float], default_kph: float) -> np.ndarray:
    """Speed (km/h) for each road class; classes not in *speeds_kph* get *default_kph*."""
    codes, names = _class_codes(highway)
    speeds = {str(k).strip().lower(): v for k, v in speeds_kph.items()}
    per_class = np.array([float(speeds.get(n, default_kph)) for n in names])
    return per_class[codes]



def parse_maxspeed(val: Any) -> float:
    if val is None or val is pd.NA:
        return np.nan
    if isinstance(val, (int, float, np.integer, np.floating)) and not isinstance(val, bool):
        return float(val)
    s = str(val).strip().lower()
    try:
        if s.endswith("mph"):
            return float(s[:-3]) * 1.609344
        return float(s.split()[0])
    except (ValueError, IndexError):
        return np.nan

