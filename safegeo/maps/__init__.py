"""Self-contained HTML maps: :class:`SafegeoMap` (offline Leaflet pages) and the study overview map."""

from safegeo.maps.core import SafegeoMap
from safegeo.maps.overview import (
    add_study_layers,
    district_table,
    name_columns,
    study_map,
)
from safegeo.maps.style import N_CLASSES, OUTLINE_MAX_POINTS, PRECISION

__all__ = [
    "N_CLASSES",
    "OUTLINE_MAX_POINTS",
    "PRECISION",
    "SafegeoMap",
    "add_study_layers",
    "district_table",
    "name_columns",
    "study_map",
]
