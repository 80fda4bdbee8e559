"""Exposure: who and what is in harm's way, per village, tambon and district; repeat-disaster areas.

* :func:`exposure` — people, vulnerable groups, shelters, POIs and roads inside
  every hazard entry, by severity or depth class (:mod:`safegeo.exposure.analysis`);
* :func:`zonal_sums`, :func:`population_sums`, :func:`exposure_sums` — people
  per area from population rasters with exact fractional cell coverage
  (:mod:`safegeo.exposure.zonal`);
* :func:`repeat_disasters` — events per tambon and kind, years affected, the
  repeat-area rule (:mod:`safegeo.exposure.events`).
"""

from __future__ import annotations

from safegeo._errors import ExposureError
from safegeo.exposure.analysis import ALL_CLASSES, ExposureResult, demo_step, exposure, exposure_map, hazard_classes
from safegeo.exposure.events import repeat_disasters, repeat_flags
from safegeo.exposure.zonal import (
    RASTER_KINDS,
    PopulationRaster,
    RasterGrid,
    cell_area_km2,
    depth_class_polygons,
    exposure_sums,
    population_sums,
    regrid,
    zonal_sums,
)

__all__ = [
    "ALL_CLASSES",
    "RASTER_KINDS",
    "ExposureError",
    "ExposureResult",
    "PopulationRaster",
    "RasterGrid",
    "cell_area_km2",
    "demo_step",
    "depth_class_polygons",
    "exposure",
    "exposure_map",
    "exposure_sums",
    "hazard_classes",
    "population_sums",
    "regrid",
    "repeat_disasters",
    "repeat_flags",
    "zonal_sums",
]
