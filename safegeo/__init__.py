"""safegeo: geospatial safety planning for Thai provinces.

Road networks, shelters, CCTV / SOS / street-light points, hazard layers and
border districts combined into evacuation plans, coverage-gap reports, an
emergency-vehicle registry and offline HTML maps.
"""

from __future__ import annotations

__version__ = "0.1.0"

from safegeo._errors import (  # noqa: E402
    CRSError,
    LayerReadError,
    NetworkError,
    OnlineError,
    Problem,
    RegistryError,
    SafegeoError,
    SnapError,
    StudyFileError,
    ValidationError,
)

__all__ = [
    "__version__",
    "CRSError",
    "LayerReadError",
    "NetworkError",
    "OnlineError",
    "Problem",
    "RegistryError",
    "SafegeoError",
    "SnapError",
    "StudyFileError",
    "ValidationError",
]
