"""safegeo: geospatial safety planning for Thai provinces.

Road networks, shelters, CCTV / SOS / street-light points, hazard layers and
border districts combined into evacuation plans, coverage-gap reports, an
emergency-vehicle registry and offline HTML maps.
"""

from __future__ import annotations

__version__ = "0.1.0"

from safegeo._errors import (
    CapError,
    CoverageError,
    CRSError,
    EvacuationError,
    ExposureError,
    HazardError,
    LayerReadError,
    MissingExtraError,
    NetworkError,
    OnlineError,
    OutputExistsError,
    Problem,
    RegistryError,
    RoadPlanError,
    SafegeoError,
    SettingsError,
    SnapError,
    StudyFileError,
    ValidationError,
    VehicleDataError,
    VehicleNotFoundError,
    WarningAreaError,
)

#: Public API, imported on first use (``import safegeo`` stays light for the CLI).
_LAZY = {
    "load_study": "safegeo.study",
    "validate_study": "safegeo.study",
    "StudyArea": "safegeo.study",
    "RoadNetwork": "safegeo.network",
    "SafegeoMap": "safegeo.maps",
    "study_map": "safegeo.maps",
    "generate_demo": "safegeo.generate",
    "generate_study_area": "safegeo.generate",
    "evacuate": "safegeo.evacuation",
    "analyze_coverage": "safegeo.coverage",
    "propose_sites": "safegeo.coverage",
    "Registry": "safegeo.vehicles",
    "dispatch_for_study": "safegeo.vehicles",
    "response_for_study": "safegeo.vehicles",
    "plan_roads": "safegeo.roadplan",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'safegeo' has no attribute {name!r}")


__all__ = [
    "__version__",
    *_LAZY,
    "CRSError",
    "CapError",
    "ExposureError",
    "WarningAreaError",
    "CoverageError",
    "EvacuationError",
    "HazardError",
    "LayerReadError",
    "MissingExtraError",
    "NetworkError",
    "OnlineError",
    "OutputExistsError",
    "Problem",
    "RegistryError",
    "RoadPlanError",
    "SafegeoError",
    "SettingsError",
    "SnapError",
    "StudyFileError",
    "ValidationError",
    "VehicleDataError",
    "VehicleNotFoundError",
]
