"""Exposure: people in harm's way per area (population rasters summed with exact cell coverage)."""

from __future__ import annotations

from safegeo.exposure.zonal import (
    RASTER_KINDS,
    ExposureError,
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
    "RASTER_KINDS",
    "ExposureError",
    "PopulationRaster",
    "RasterGrid",
    "cell_area_km2",
    "depth_class_polygons",
    "exposure_sums",
    "population_sums",
    "regrid",
    "zonal_sums",
]
