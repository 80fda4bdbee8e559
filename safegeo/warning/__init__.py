"""Targeted warnings: CAP 1.2 alerts for a warning area, and SMS lengths of the messages.

See :mod:`safegeo.warning.cap`.
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
]
