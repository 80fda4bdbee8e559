"""Adapters that build a :class:`~safegeo.network.RoadNetwork` from OSM files, road lines and osmnx."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from safegeo._errors import CRSError, NetworkError, OnlineError
from safegeo.network.classes import parse_maxspeed
from safegeo.network.core import RoadNetwork

if TYPE_CHECKING:
    import networkx as nx


log = logging.getLogger(__name__)


def _net_kwargs(params: dict | None) -> dict:
    p = params or {}
    out = {}
    if "speeds_kph" in p:
        out["speeds_kph"] = p["speeds_kph"]
    if "default_speed_kph" in p:
        out["default_speed_kph"] = float(p["default_speed_kph"])
    if "walk_speed_kph" in p:
        out["walk_speed_kph"] = float(p["walk_speed_kph"])
    return out


def _unique_rows(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(q, axis=0, return_inverse=True, return_counts=True)[1:]`` for (n, 2) integer rows.

    The same inverse and counts (rows in lexicographic order), from one 1-D
    int64 key when the rows' range allows it: sorting a key is many times
    faster than sorting rows (a province's roads: 11 s -> under 1 s).
    """
    lo = q.min(axis=0)
    span = q.max(axis=0) - lo + 1
    if len(q) and float(span[0]) * float(span[1]) < 2.0**62:
        key = (q[:, 0] - lo[0]) * span[1] + (q[:, 1] - lo[1])
        _, vid, vcount = np.unique(key, return_inverse=True, return_counts=True)
    else:
        _, vid, vcount = np.unique(q, axis=0, return_inverse=True, return_counts=True)
    return vid.ravel(), vcount


def from_lines(
    roads: gpd.GeoDataFrame,
    *,
    mode: str = "drive",
    crs: Any = None,
    params: dict | None = None,
    snap_tolerance_m: float = 0.01,
    largest_component: bool = True,
) -> RoadNetwork:
    """Build a network from a road line layer.

    Lines are split into edges at every vertex shared by two or more lines
    (and at their ends), the way OSM ways meet.  Lines that merely cross
    without a shared vertex (bridges, flyovers) are *not* connected.
    Vertices closer than *snap_tolerance_m* are merged.

    Columns used when present: ``highway`` (OSM road class, any case),
    ``oneway`` (yes/true/1: only in digitised direction; OSM ``-1``: only
    against it; no/empty: both ways), ``maxspeed_kph`` (numbers or OSM text
    such as ``"30 mph"``; empty: the class speed), ``name``, ``road_id``,
    ``bridge``.  With
    *largest_component* false every component is kept (reach from points on
    small islands of road, e.g. SOS buttons).
    """
    if roads.crs is None:
        raise CRSError("roads: the layer has no CRS", hint="set the CRS of the roads layer in study.toml")
    work_crs = CRS.from_user_input(crs) if crs is not None else roads.crs
    if not work_crs.is_projected:
        from safegeo.projection import pick_working_crs

        work_crs = pick_working_crs([roads])
    roads = roads.to_crs(work_crs)
    geom = roads.geometry.values
    oneway_all = None
    if "oneway" in roads.columns:
        from safegeo._validate import oneway_direction

        direction, _ = oneway_direction(roads["oneway"])
        if (direction < 0).any():  # OSM oneway=-1: traffic runs against the digitising direction
            geom = np.asarray(geom, dtype=object).copy()
            geom[direction < 0] = shapely.reverse(geom[direction < 0])
        oneway_all = direction != 0
    parts, src = shapely.get_parts(geom, return_index=True)
    keep = shapely.get_type_id(parts) == 1  # LineString
    parts, src = parts[keep], src[keep]
    coords, line_of = shapely.get_coordinates(parts, return_index=True)
    if len(coords) == 0:
        raise NetworkError("roads: no line geometry to build a network from")
    q = np.round(coords / snap_tolerance_m).astype(np.int64)
    vid, vcount = _unique_rows(q)
    # a vertex is a node when shared (count>1) or a line end
    starts = np.r_[0, np.flatnonzero(np.diff(line_of)) + 1]
    ends = np.r_[starts[1:] - 1, len(line_of) - 1]
    is_node = vcount[vid] > 1
    is_node[starts] = True
    is_node[ends] = True
    # split points: node vertices that are not a line's first vertex end an edge
    node_pos = np.flatnonzero(is_node)
    # each edge runs from one node vertex to the next node vertex on the same line
    a = node_pos[:-1]
    b = node_pos[1:]
    same = line_of[a] == line_of[b]
    a, b = a[same], b[same]
    # geometry of each edge = coords a..b
    lens = b - a + 1
    idx = np.repeat(a, lens) + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
    edge_geom = shapely.linestrings(coords[idx], indices=np.repeat(np.arange(len(a)), lens))
    uniq_nodes, node_index = np.unique(vid[np.r_[a, b]], return_inverse=True)
    eu = node_index[: len(a)]
    ev = node_index[len(a):]
    # node coordinates: first occurrence of each vertex id
    first_occ = np.full(vid.max() + 1, -1, dtype=np.int64)
    first_occ[vid[::-1]] = np.arange(len(vid))[::-1]
    nxy = coords[first_occ[uniq_nodes]]
    row = src[line_of[a]]
    attrs = pd.DataFrame({c: roads[c].to_numpy()[row] for c in ("road_id", "name", "bridge") if c in roads.columns},
                         index=np.arange(len(row)))
    highway = roads["highway"].to_numpy()[row] if "highway" in roads.columns else None
    oneway = oneway_all[row] if oneway_all is not None else None
    maxs = None
    if "maxspeed_kph" in roads.columns:  # numbers, or OSM-style text ("50", "30 mph"); unreadable: class speed
        col = roads["maxspeed_kph"]
        if pd.api.types.is_numeric_dtype(col.dtype):
            maxs = col.astype(float).to_numpy()[row]
        else:
            maxs = np.array([parse_maxspeed(v) for v in col.tolist()], dtype=float)[row]
    # drop zero-length self loops
    ok = eu != ev
    return RoadNetwork.from_arrays(
        nxy[:, 0], nxy[:, 1], eu[ok], ev[ok], crs=work_crs,
        highway=None if highway is None else highway[ok], oneway=None if oneway is None else oneway[ok],
        geometry=edge_geom[ok], attrs=attrs[ok].reset_index(drop=True), mode=mode,
        maxspeed_kph=None if maxs is None else maxs[ok], largest_component=largest_component, **_net_kwargs(params),
    )


def osm_file_center(path: str | Path) -> tuple[float, float] | None:
    """(lon, lat) of the centre of an OSM file: its header box, else the mean of up to 10,000 nodes.

    None when the file cannot be read (the error is reported when the network is built).
    """
    import osmium

    from safegeo._errors import LayerReadError
    from safegeo.network.osm import osm_header_box

    try:
        box = osm_header_box(path)
    except LayerReadError:
        return None
    if box is not None:
        return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    lons, lats = [], []
    try:
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if node.location.valid():
                lons.append(node.location.lon)
                lats.append(node.location.lat)
            if len(lons) >= 10_000:
                break
    except Exception:  # unreadable data is reported when the network is built
        return None
    return (float(np.mean(lons)), float(np.mean(lats))) if lons else None


def _pbf_to_xml(pbf: Path, out: Path) -> None:
    import osmium

    with osmium.SimpleWriter(str(out), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            writer.add(obj)


def read_osm_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read an OSM file (.osm, .osm.bz2, .osm.pbf) into an unsimplified osmnx graph.

    Every way is kept (footways, and untagged ways too); filter by mode
    afterwards.  Slow and memory-hungry (a PBF goes through XML): networks
    are built with :func:`from_osm_file`; this is the osmnx reading, kept
    for cross-checks and for graphs handed to :func:`from_osmnx_graph`.
    """
    import osmnx as ox

    path = Path(path)
    if not path.exists():
        from safegeo._errors import LayerReadError

        raise LayerReadError(f"{path}: OSM file not found", hint="check the roads path in study.toml")
    try:
        if path.name.lower().endswith(".pbf"):
            with tempfile.TemporaryDirectory(prefix="safegeo-osm-") as tmp:
                xml = Path(tmp) / "roads.osm"
                _pbf_to_xml(path, xml)
                return ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)
        return ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    except Exception as exc:
        from safegeo._errors import LayerReadError

        raise LayerReadError(f"{path}: cannot read OSM data ({exc.__class__.__name__}: {exc})",
                             hint="is it an OSM XML/PBF extract with highway ways?") from exc


def from_osmnx_graph(
    g: nx.MultiDiGraph,
    *,
    mode: str = "drive",
    crs: Any = None,
    params: dict | None = None,
    simplify: bool = True,
    largest_component: bool = True,
) -> RoadNetwork:
    """Build a network from an osmnx graph (unprojected or projected).

    Edges whose ``highway`` class is not usable for *mode* are removed first
    (``osmnx.graph_from_xml`` keeps footways too), then the graph is
    simplified (interstitial nodes removed, geometry kept) and projected.
    """
    import osmnx as ox

    from safegeo.network.osm import usable_ways

    g = g.copy()

    def first(val):
        return val[0] if isinstance(val, list) and val else val

    # OSM ways without a highway tag (railways, barriers...) are not roads; private / no-access ways neither
    tags = pd.DataFrame([{k: first(d.get(k)) for k in ("highway", "access", "motor_vehicle", "motorcar", "foot")}
                         for _, _, _, d in g.edges(keys=True, data=True)],
                        columns=["highway", "access", "motor_vehicle", "motorcar", "foot"], dtype=object)
    tags["highway"] = tags["highway"].fillna("none")
    usable = usable_ways(tags, mode) if len(tags) else np.zeros(0, bool)
    drop = [e for e, ok in zip(list(g.edges(keys=True)), usable) if not ok]
    dropped_by_class = len(drop)
    g.remove_edges_from(drop)
    g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
    if g.number_of_edges() == 0:
        raise NetworkError(f"the OSM data has no ways usable for the {mode} network")
    if simplify and not g.graph.get("simplified", False):
        g = ox.simplify_graph(g)
    if crs is None:
        from safegeo.projection import utm_crs_for_lonlat

        xs = np.array([d["x"] for _, d in g.nodes(data=True)])
        ys = np.array([d["y"] for _, d in g.nodes(data=True)])
        crs = utm_crs_for_lonlat(float(np.mean(xs)), float(np.mean(ys))) if CRS.from_user_input(g.graph["crs"]).is_geographic else g.graph["crs"]
    gp = ox.project_graph(g, to_crs=crs)
    nodes = list(gp.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    x = np.array([gp.nodes[n]["x"] for n in nodes])
    y = np.array([gp.nodes[n]["y"] for n in nodes])
    edges = list(gp.edges(keys=True, data=True))
    u = np.array([index[a] for a, _, _, _ in edges], dtype=np.int64)
    v = np.array([index[b] for _, b, _, _ in edges], dtype=np.int64)
    length = np.array([float(d.get("length", np.nan)) for *_, d in edges])
    geoms = np.array([d.get("geometry") or shapely.LineString([(x[index[a]], y[index[a]]), (x[index[b]], y[index[b]])])
                      for a, b, _, d in edges], dtype=object)
    geo_len = shapely.length(geoms)
    length = np.where(np.isfinite(length), length, geo_len)
    # osmnx lengths are great-circle metres; use the projected geometry's length for consistency
    length = geo_len

    highway = np.array([first(d.get("highway", "road")) for *_, d in edges], dtype=object)
    maxspeed = np.array([parse_maxspeed(first(d.get("maxspeed"))) for *_, d in edges], dtype=float)
    attrs = pd.DataFrame({
        "osmid": [str(first(d.get("osmid", ""))) for *_, d in edges],
        "name": [first(d.get("name")) for *_, d in edges],
        "bridge": [str(first(d.get("bridge", ""))).lower() in ("yes", "true", "1", "viaduct") for *_, d in edges],
    })
    node_id = np.array(nodes)
    # osmnx already expanded two-way ways into both directions (bidirectional=False keeps one-ways one way)
    oneway_directed = np.ones(len(u), dtype=bool)
    if mode == "walk":
        # walkers use one-way streets both ways: add the reverse of osmnx's one-way edges (its two-way
        # edges come in pairs already); an edge without the flag gets a reverse unless one joins the same nodes
        def one_way(f):  # osmnx sets a bool; a graph read back from GraphML has the text "True"/"False"
            return f.strip().lower() in ("true", "yes", "1") if isinstance(f, str) else bool(f)

        flag = [first(d.get("oneway")) for *_, d in edges]
        n = np.int64(len(x))
        has_reverse = np.isin(v * n + u, u * n + v)
        oneway_directed = np.array([has_reverse[i] if f is None else not one_way(f) for i, f in enumerate(flag)],
                                   dtype=bool)
    net = RoadNetwork.from_arrays(
        x, y, u, v, crs=crs, highway=highway, oneway=oneway_directed, length_m=length, geometry=geoms,
        attrs=attrs, node_id=node_id, mode=mode, maxspeed_kph=maxspeed, directed_input=True,
        largest_component=largest_component, **_net_kwargs(params),
    )
    if net.report is not None:
        net.report.dropped_by_class = dropped_by_class
    return net




def from_osm_file(path: str | Path, *, mode: str = "drive", crs: Any = None, params: dict | None = None,
                  largest_component: bool = True) -> RoadNetwork:
    """Build a network from a local OSM extract (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``), offline.

    The file is read in one streaming pass straight into arrays (see
    :mod:`safegeo.network.osm`): ways are split at junctions, one-way
    streets kept one way (``oneway=-1`` turned round), ways not usable for
    *mode* left out.  A clipped extract is fine: ways are cut where their
    nodes are missing, and ``report.ways_cut`` says how many.

    Parameters
    ----------
    path
        The OSM file.
    mode
        ``"drive"`` or ``"walk"``.
    crs
        Projected working CRS; the UTM zone of the roads when None.
    params
        The study's ``[network]`` section (speeds).
    largest_component
        Keep only the largest strongly connected component.

    Raises
    ------
    LayerReadError
        If the file is missing or not OSM data.
    NetworkError
        If no way in it is usable for *mode*.

    Examples
    --------
    >>> net = from_osm_file("narathiwat.osm.pbf", mode="drive")  # doctest: +SKIP
    >>> print(net.report.format())  # doctest: +SKIP
    """
    from safegeo.network.osm import osm_arrays

    arrays = osm_arrays(path, mode=mode, crs=crs)
    net = RoadNetwork.from_arrays(**arrays.from_arrays_kwargs(), mode=mode, largest_component=largest_component,
                                  **_net_kwargs(params))
    if net.report is not None:
        net.report.dropped_by_class = arrays.dropped_segments
        net.report.ways_cut = arrays.ways_cut
    return net


def from_osmnx_download(source: dict, *, mode: str = "drive", crs: Any = None, params: dict | None = None,
                        largest_component: bool = True) -> RoadNetwork:
    """Download a network with osmnx (``place``, ``bbox`` = [west, south, east, north], or ``polygon`` WKT).

    Needs the internet; responses are cached by osmnx (``ox.settings.use_cache``).
    """
    import osmnx as ox

    ox.settings.use_cache = True
    network_type = "drive" if mode == "drive" else "walk"
    try:
        if "place" in source:
            g = ox.graph_from_place(source["place"], network_type=network_type, simplify=True, retain_all=True)
        elif "bbox" in source:
            w, s, e, n = (float(c) for c in source["bbox"])
            g = ox.graph_from_bbox((w, s, e, n), network_type=network_type, simplify=True, retain_all=True)
        elif "polygon" in source:
            g = ox.graph_from_polygon(shapely.from_wkt(source["polygon"]), network_type=network_type, simplify=True,
                                      retain_all=True)
        else:
            raise NetworkError("roads: online source needs place, bbox or polygon")
    except NetworkError:
        raise
    except Exception as exc:
        raise OnlineError(f"roads: could not download OSM data for {source} ({exc.__class__.__name__}: {exc})",
                          hint="this needs the internet; offline, point roads at a local .osm/.osm.pbf file or a line layer") from exc
    return from_osmnx_graph(g, mode=mode, crs=crs, params=params, largest_component=largest_component)


def network_from_source(
    source: Any,
    roads: gpd.GeoDataFrame | None,
    *,
    mode: str = "drive",
    crs: Any = None,
    params: dict | None = None,
    largest_component: bool = True,
) -> RoadNetwork:
    """Build a network from whatever a study's ``roads`` entry names.

    Parameters
    ----------
    source
        Path of an OSM extract, a dict for an osmnx download (``place``,
        ``bbox`` or ``polygon``), or None when *roads* is a line layer.
    roads
        The road line layer (used when *source* is None).
    mode, crs, params, largest_component
        As for :func:`from_lines`; *params* is the ``[network]`` section.
    """
    lc = largest_component
    if isinstance(source, (str, os.PathLike)):
        return from_osm_file(source, mode=mode, crs=crs, params=params, largest_component=lc)
    if isinstance(source, dict):
        return from_osmnx_download(source, mode=mode, crs=crs, params=params, largest_component=lc)
    if roads is None:
        from safegeo._errors import StudyFileError

        raise StudyFileError("the study area has no roads layer",
                             hint='add roads = "roads.gpkg" (or an .osm.pbf) under [layers]')
    return from_lines(roads, mode=mode, crs=crs, params=params, largest_component=lc)
