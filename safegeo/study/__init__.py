"""The study area: layers named in ``study.toml``, validated and put in one projected CRS.

A study file names the layers by path and sets the parameters::

    [study]
    name = "Narathiwat demo"
    crs = "EPSG:32647"            # optional; UTM picked from the data when absent
    [layers]
    roads = "roads.osm.pbf"
    districts = { path = "layers.gpkg", layer = "districts" }
    shelters = { path = "shelters.csv", x = "lon", y = "lat", crs = "EPSG:4326" }
    hazards = [ { path = "flood.gpkg", kind = "flood" },
                { path = "flood_depth.tif", kind = "flood", depth_threshold_m = 0.3 } ]
    [network.speeds_kph]
    residential = 25

Paths are relative to the study file.  :func:`load_study` reads and validates
everything, reporting every problem at once (:class:`~safegeo.ValidationError`);
:meth:`StudyArea.from_layers` is the same model built from GeoDataFrames in a
notebook.
"""

from safegeo.study.config import StudyFiles, read_study_layers
from safegeo.study.load import ValidationReport, load_study, validate_study
from safegeo.study.model import (
    HazardSource,
    LayerReport,
    StudyArea,
    flag_border_districts,
)

__all__ = [
    "HazardSource",
    "LayerReport",
    "PopulationSource",
    "StudyArea",
    "StudyFiles",
    "ValidationReport",
    "flag_border_districts",
    "load_study",
    "read_study_layers",
    "validate_study",
]
