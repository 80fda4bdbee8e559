"""Self-contained HTML maps: :class:`SafegeoMap` (offline Leaflet pages), SVG charts beside them, the overview map."""

from safegeo.maps.charts import (
    Chart,
    bar_chart,
    charts_page,
    coverage_charts,
    evacuation_charts,
    grouped_bar_chart,
    histogram,
    indicator_chart,
    message_chart,
    response_charts,
    stacked_bar_chart,
    step_chart,
)
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
    "Chart",
    "SafegeoMap",
    "add_study_layers",
    "bar_chart",
    "charts_page",
    "coverage_charts",
    "evacuation_charts",
    "grouped_bar_chart",
    "histogram",
    "indicator_chart",
    "message_chart",
    "response_charts",
    "stacked_bar_chart",
    "step_chart",
    "district_table",
    "name_columns",
    "study_map",
]
