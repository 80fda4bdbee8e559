"""Exposure: who and what is in harm's way, per village, tambon and district; repeat-disaster areas.

* :func:`exposure` — people, vulnerable groups, shelters, POIs and roads inside
  every hazard entry, by severity or depth class (:mod:`safegeo.exposure.analysis`);
* :func:`repeat_disasters` — events per tambon and kind, years affected, the
  repeat-area rule (:mod:`safegeo.exposure.events`).
"""

from __future__ import annotations

from safegeo._errors import ExposureError
from safegeo.exposure.analysis import ALL_CLASSES, ExposureResult, demo_step, exposure, exposure_map, hazard_classes
from safegeo.exposure.events import repeat_disasters, repeat_flags

__all__ = [
    "ALL_CLASSES",
    "ExposureError",
    "ExposureResult",
    "demo_step",
    "exposure",
    "exposure_map",
    "hazard_classes",
    "repeat_disasters",
    "repeat_flags",
]
