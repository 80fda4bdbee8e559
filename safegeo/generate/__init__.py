"""Deterministic, seeded synthetic study area placed at Narathiwat's real coordinates.

Nothing here is real data.  The generator lays out a fixed synthetic geography
(coastline, the Kolok border river, the Bang Nara and Bacho rivers, thirteen
district seats with their real amphoe names) and draws everything else from a
seeded random generator: a road hierarchy noded at junctions, villages with
population, shelters, CCTV cameras, street lights, SOS buttons, points of
interest, incidents, emergency vehicles, flood polygons and a matching
flood-depth GeoTIFF.  The same seed always gives the same layer contents.

All geometry is built in EPSG:32647 (UTM 47N, metres).

Two entry points:

* :func:`synthetic_road_graph` - a fast numpy road graph of any size (1M nodes
  in a few seconds) for benchmarks, and :func:`write_osm` to save it as an
  OSM file (``.osm.pbf`` ...) with streets as ways through their junctions;
* :func:`generate_study_area` / :func:`generate_demo` - a complete study area
  folder (``study.toml``, ``layers.gpkg``, ``shelters.csv``,
  ``flood_depth.tif``, ``README.md``).

Examples
--------
>>> from safegeo.generate import synthetic_road_graph
>>> g = synthetic_road_graph(2_000, seed=1)
>>> g.n_nodes > 1_000 and g.n_edges > g.n_nodes
True
"""

from safegeo._errors import OutputExistsError
from safegeo.generate.area import generate_demo, generate_study_area
from safegeo.generate.geography import CRS, DEMO_N_NODES, DEMO_SEED, OUTPUT_FILES
from safegeo.generate.graph import MIN_N_NODES, SyntheticGraph, synthetic_road_graph
from safegeo.generate.osm import write_osm

__all__ = [
    "CRS",
    "DEMO_N_NODES",
    "DEMO_SEED",
    "MIN_N_NODES",
    "OUTPUT_FILES",
    "OutputExistsError",
    "SyntheticGraph",
    "generate_demo",
    "generate_study_area",
    "synthetic_road_graph",
    "write_osm",
]
