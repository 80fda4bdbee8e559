"""Road networks: build once from OSM files, road lines or osmnx; route on CSR arrays.

One internal form serves every analysis: :class:`RoadNetwork` holds node
coordinates and *directed* edges as numpy arrays (``u``, ``v``,
``length_m``, ``time_s``), restricted to the largest strongly connected
component.  :meth:`RoadNetwork.csr` turns any per-edge cost into a SciPy CSR
matrix (cheapest of parallel edges kept, closed edges dropped) for
``scipy.sparse.csgraph`` shortest paths.

Adapters build it from:

* a local ``.osm`` / ``.osm.bz2`` / ``.osm.gz`` / ``.osm.pbf`` file
  (offline, one streaming pass, clipped extracts too) — :func:`from_osm_file`
  on :func:`osm_arrays`;
* a line layer (GeoPackage, GeoJSON, ...) noded at shared vertices —
  :func:`from_lines`;
* osmnx downloads by place, bbox or polygon (online, cached) —
  :func:`from_osmnx_download`;
* plain arrays (the generator, benchmarks) — :meth:`RoadNetwork.from_arrays`.
"""

from safegeo.network.build import (
    from_lines,
    from_osm_file,
    from_osmnx_download,
    from_osmnx_graph,
    network_from_source,
    osm_file_center,
    read_osm_graph,
)
from safegeo.network.classes import (
    DEFAULT_SPEED_KPH,
    DEFAULT_SPEEDS_KPH,
    DRIVE_CLASSES,
    MODES,
    NEVER_CLASSES,
    NO_WALK_CLASSES,
    WALK_SPEED_KPH,
    classes_for_mode,
    parse_maxspeed,
    speeds_for,
)
from safegeo.network.core import (
    CsrGraph,
    NetworkReport,
    RoadNetwork,
    SnapResult,
    build_csr,
)
from safegeo.network.osm import (
    OsmArrays,
    OsmWays,
    osm_arrays,
    osm_header_box,
    read_osm_ways,
)
from safegeo.network.snap import Attachment, attach_points, line_substrings, point_xy

__all__ = [
    "DEFAULT_SPEED_KPH",
    "DEFAULT_SPEEDS_KPH",
    "DRIVE_CLASSES",
    "MODES",
    "NEVER_CLASSES",
    "NO_WALK_CLASSES",
    "WALK_SPEED_KPH",
    "Attachment",
    "CsrGraph",
    "NetworkReport",
    "OsmArrays",
    "OsmWays",
    "RoadNetwork",
    "SnapResult",
    "attach_points",
    "build_csr",
    "classes_for_mode",
    "from_lines",
    "from_osm_file",
    "from_osmnx_download",
    "from_osmnx_graph",
    "network_from_source",
    "osm_arrays",
    "osm_file_center",
    "line_substrings",
    "osm_header_box",
    "parse_maxspeed",
    "point_xy",
    "read_osm_graph",
    "read_osm_ways",
    "speeds_for",
]
