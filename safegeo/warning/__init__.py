"""Targeted warnings: who must be warned in an area, the messages, and CAP 1.2 alerts.

See :mod:`safegeo.warning.targets` (:func:`warning_area`, :func:`warn`) and
:mod:`safegeo.warning.cap` (building, reading and validating CAP alerts).
"""

from __future__ import annotations

from safegeo.warning.cap import (
    CapAlert,
    CapArea,
    CapInfo,
    build_alert,
    cap_area,
    cap_areas,
    hazard_category,
    read_alert,
    sms_segments,
    validate_alert,
)
from safegeo.warning.targets import WarningArea, WarningResult, render_message, warn, warning_area

__all__ = [
    "CapAlert",
    "CapArea",
    "CapInfo",
    "build_alert",
    "cap_area",
    "cap_areas",
    "hazard_category",
    "read_alert",
    "sms_segments",
    "validate_alert",
    "WarningArea",
    "WarningResult",
    "render_message",
    "warn",
    "warning_area",
]
