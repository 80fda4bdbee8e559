"""The hazard scenario: which roads a hazard closes or slows, which places it floods, where it is.

A :class:`HazardScenario` is built once from the study (:meth:`StudyArea.scenario
<safegeo.study.StudyArea.scenario>`): its sources (polygons with an optional
``severity``, rasters such as flood depth in metres) with every threshold
resolved, and the ``[hazards]`` settings.  Evacuation, dispatch, response,
coverage and exposure all ask the same scenario, so one flood closes the same
roads in every analysis.  :func:`hazard_edge_costs` is its kernel: one cost per
directed road edge (``inf`` = closed) for the routing kernel (:mod:`safegeo.routing`):

* **polygons** — an edge that intersects a footprint is slowed by the speed
  factor of the polygon's severity (``[hazards] severity_speed_factor``:
  low 0.5, medium 0.25, high and extreme 0 = closed).  A polygon with no
  severity closes the road.  All edges are tested against all polygons at once
  with an STRtree.
* **rasters** — points are sampled every *sample_step_m* along every edge
  (``shapely.line_interpolate_point``, vectorised) and read from the raster in
  one array lookup; an edge is closed when any sample exceeds the depth
  threshold (``depth_threshold_m`` of the hazard entry, else
  ``[hazards] depth_threshold_m``, 0.3 m: what a car can drive through).

Examples
--------
>>> scenario = study.scenario("flood")                      # doctest: +SKIP
>>> he = scenario.edges(study.network())                   # doctest: +SKIP
>>> he.closed.sum(), he.reason[he.closed][:3]              # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import logging
import math
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from safegeo._errors import HazardError, LayerReadError
from safegeo.network import RoadNetwork
from safegeo.network.snap import line_points
from safegeo.settings import DEFAULT_DEPTH_THRESHOLD_M, DEFAULT_SEVERITY_SPEED_FACTOR, resolve

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_DEPTH_THRESHOLD_M",
    "DEFAULT_SEVERITY_SPEED_FACTOR",
    "HAZARD_PROOF_COLUMN",
    "WATER_KINDS",
    "HazardEdges",
    "HazardScenario",
    "hazard_edge_costs",
    "hazard_footprint",
    "sample_raster",
    "shelters_in_hazard",
]



@dataclass
class HazardSource:
    """One hazard entry of the study file: polygons or a raster.

    Attributes
    ----------
    name
        Entry name (``name``, else the layer or file name).
    kind
        Hazard kind (flood, landslide, storm_surge, ...).
    polygons
        Footprints with an optional ``severity``, in the working CRS.
    raster_path
        A raster such as flood depth in metres.
    depth_threshold_m
        Raster only: deeper than this closes a road (None: the ``[hazards]`` default).
    """

    name: str
    kind: str
    polygons: gpd.GeoDataFrame | None = None  # in the working CRS
    raster_path: Path | None = None
    depth_threshold_m: float | None = None

    @property
    def is_raster(self) -> bool:
        return self.raster_path is not None


@dataclass
class HazardEdges:
    """Per-edge effect of a hazard scenario.

    Attributes
    ----------
    cost
        Edge cost for routing (s for ``weight="time"``, m for ``"length"``);
        ``inf`` where the road is closed.
    closed
        Roads closed by the hazard.
    speed_factor
        1 for unaffected roads, between 0 and 1 for slowed ones, 0 for closed.
    reason
        Why each edge is affected (``""`` when it is not), e.g.
        ``"flood: severity high"`` or ``"flood_depth: depth 0.85 m > 0.3 m"``.
    weight
        The weight the costs are in.
    """

    cost: np.ndarray
    closed: np.ndarray
    speed_factor: np.ndarray
    reason: np.ndarray
    weight: str
    #: raster source name -> (edge, metres along it, depth) of the samples deeper than the threshold, the
    #: threshold and the half spacing of the samples: how pieces of these edges inherit the state exactly
    wet: dict = dataclasses.field(default_factory=dict, repr=False)

    @property
    def slowed(self) -> np.ndarray:
        return (self.speed_factor < 1.0) & ~self.closed

    @property
    def open(self) -> np.ndarray:
        return ~self.closed

    def summary(self) -> str:
        return f"{int(self.closed.sum()):,} road edges closed, {int(self.slowed.sum()):,} slowed"


#: Spacing (m) of the depth samples read along every road.
SAMPLE_STEP_M = 15.0


def hazard_edge_costs(
    network: RoadNetwork,
    hazards: Sequence[HazardSource],
    *,
    weight: str = "time",
    severity_speed_factor: Mapping[str, float] | None = None,
    depth_threshold_m: float | None = None,
    sample_step_m: float = SAMPLE_STEP_M,
) -> HazardEdges:
    """Per-edge routing costs with the roads a hazard closes or slows.

    Parameters
    ----------
    network
        The road network (projected CRS).
    hazards
        Hazard sources (polygons in the network CRS, or rasters); an empty
        list leaves every road open.
    weight
        ``"time"`` (s): slowed roads take ``time / factor``; or ``"length"``
        (m): slowed roads keep their length, closed ones are ``inf``.
    severity_speed_factor
        Speed factor per ``severity`` value (default
        :data:`DEFAULT_SEVERITY_SPEED_FACTOR`); 0 closes the road.  Polygons
        without a severity (or with one not listed) close the road.
    depth_threshold_m
        Raster hazards: close edges where any sampled value exceeds this.
        Default: each hazard's own ``depth_threshold_m``, else 0.3 m.
    sample_step_m
        Distance between raster samples along an edge (every edge gets at
        least its two ends and its midpoint).

    Returns
    -------
    HazardEdges

    Raises
    ------
    HazardError
        A raster cannot be read, or a factor is outside 0–1.
    """
    factors = dict(DEFAULT_SEVERITY_SPEED_FACTOR if severity_speed_factor is None else severity_speed_factor)
    bad = {k: v for k, v in factors.items() if not 0.0 <= float(v) <= 1.0}
    if bad:
        raise HazardError(f"severity speed factors must be between 0 and 1, got {bad}",
                          hint="use 0 to close roads and e.g. 0.5 to halve the speed")
    base = network.edge_cost(weight)
    m = network.n_edges
    factor = np.ones(m)
    reason = np.full(m, "", dtype=object)
    wet: dict = {}
    geoms = None
    for hz in hazards:
        if hz.polygons is not None and len(hz.polygons):
            if geoms is None:
                geoms = network.edge_geometries()
            _apply_polygons(network, geoms, hz, factors, factor, reason)
        elif hz.is_raster:
            if geoms is None:
                geoms = network.edge_geometries()
            thr = depth_threshold_m if depth_threshold_m is not None else hz.depth_threshold_m
            thr = DEFAULT_DEPTH_THRESHOLD_M if thr is None else float(thr)
            wet[hz.name] = _apply_raster(network, geoms, hz, thr, sample_step_m, factor, reason)
    _keep_proof_open(network, factor, reason)
    closed = factor <= 0.0
    if weight in ("length", "length_m", "distance"):
        cost = np.where(closed, np.inf, base)
    else:
        with np.errstate(divide="ignore"):
            cost = np.where(closed, np.inf, base / np.where(closed, 1.0, factor))
    log.info("hazards %s: %d edges closed, %d slowed", [h.name for h in hazards], int(closed.sum()),
             int(((factor < 1) & ~closed).sum()))
    return HazardEdges(cost, closed, factor, reason, weight, wet)


#: Edge attribute (``edge_data`` column) of roads built to stay passable (raised, culverted, flood-proofed):
#: no hazard closes or slows them.  Road planning (:mod:`safegeo.roadplan`) sets it on the roads it flood-proofs.
HAZARD_PROOF_COLUMN = "hazard_proof"


def _keep_proof_open(network: RoadNetwork, factor: np.ndarray, reason: np.ndarray) -> None:
    """Undo the hazard's effect on the edges marked :data:`HAZARD_PROOF_COLUMN` (in place)."""
    col = network.edge_data.get(HAZARD_PROOF_COLUMN)
    if col is None:
        return
    vals = col.to_numpy()
    known = pd.notna(vals)
    proof = np.zeros(len(vals), bool)
    proof[known] = vals[known].astype(bool)
    factor[proof] = 1.0
    reason[proof] = ""


def _note(reason: np.ndarray, idx: np.ndarray, text: np.ndarray | str) -> None:
    if len(idx) == 0:
        return
    old = reason[idx]
    new = np.broadcast_to(np.asarray(text, dtype=object), idx.shape)
    reason[idx] = np.where(old == "", new, old + "; " + new)


def _apply_polygons(network: RoadNetwork, geoms: np.ndarray, hz: HazardSource, factors: Mapping[str, float],
                    factor: np.ndarray, reason: np.ndarray) -> None:
    polys = hz.polygons
    if polys.crs is not None and CRS.from_user_input(polys.crs) != network.crs:
        polys = polys.to_crs(network.crs)
    pg = polys.geometry.values
    sev = polys["severity"].to_numpy(dtype=object) if "severity" in polys.columns else np.full(len(polys), None)
    sev = np.array([s if isinstance(s, str) and s else None for s in sev], dtype=object)
    poly_factor = np.array([float(factors.get(s, 0.0)) if s is not None else 0.0 for s in sev])
    tree = shapely.STRtree(geoms)
    pi, ei = tree.query(pg, predicate="intersects")
    if len(ei) == 0:
        return
    f = np.ones(len(factor))
    np.minimum.at(f, ei, poly_factor[pi])
    hit = np.unique(ei)
    # the worst polygon per edge names the reason
    order = np.lexsort((poly_factor[pi], ei))
    first = np.r_[True, ei[order][1:] != ei[order][:-1]]
    worst_poly = pi[order][first]
    labels = np.array([f"{hz.name}: severity {s}" if s is not None else f"{hz.name}: inside footprint"
                       for s in sev], dtype=object)
    np.minimum(factor, f, out=factor)
    _note(reason, hit, labels[worst_poly])


def _edge_samples(geoms: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Sample points at most *step_m* apart along every edge: (edge index per sample, (k, 2) coordinates).

    The edges are densified (``shapely.segmentize``) and their vertices taken,
    so every vertex and both ends are samples; edges shorter than *step_m*
    also get their midpoint (``shapely.line_interpolate_point``).
    """
    dense = shapely.segmentize(geoms, step_m)
    xy, edge = shapely.get_coordinates(dense, return_index=True)
    mids = line_points(geoms, fraction=0.5)
    return np.r_[edge, np.arange(len(geoms))], np.vstack([xy, mids])


def sample_raster(path: str, xy: np.ndarray, xy_crs: CRS) -> np.ndarray:
    """Values of band 1 of a raster at coordinates *xy* (in *xy_crs*); NaN off the raster or at nodata.

    The window covering the points is read once and indexed with numpy.
    """
    import rasterio
    from rasterio.windows import Window

    try:
        ds = rasterio.open(path)
    except Exception as exc:  # rasterio raises RasterioIOError and others
        raise LayerReadError(f"{path}: cannot open raster ({exc})", hint="is it a GeoTIFF?") from exc
    with ds:
        out = np.full(len(xy), np.nan)
        if len(xy) == 0:
            return out
        x, y = xy[:, 0], xy[:, 1]
        if ds.crs is not None and CRS.from_user_input(ds.crs) != xy_crs:
            x, y = Transformer.from_crs(xy_crs, CRS.from_user_input(ds.crs), always_xy=True).transform(x, y)
        inv = ~ds.transform
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        col_f = inv.a * x + inv.b * y + inv.c
        row_f = inv.d * x + inv.e * y + inv.f
        row = np.floor(row_f).astype(np.int64)
        col = np.floor(col_f).astype(np.int64)
        inside = (row >= 0) & (row < ds.height) & (col >= 0) & (col < ds.width)
        if not inside.any():
            return out
        r0, r1 = row[inside].min(), row[inside].max() + 1
        c0, c1 = col[inside].min(), col[inside].max() + 1
        band = ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True)
        vals = band[row[inside] - r0, col[inside] - c0]
        out[inside] = np.ma.filled(vals.astype(np.float64), np.nan)
    return out


def _edges_on_raster(geoms: np.ndarray, hz: HazardSource, crs: CRS, *, threshold_m: float | None = None,
                     tree: shapely.STRtree | None = None, max_blocks: int = 250_000) -> np.ndarray:
    """Edges that can be closed by the raster: those meeting a block of cells with water deeper than *threshold_m*.

    The raster is read once in strips and summarised on blocks of cells (a
    block is wet when any of its cells is); only roads crossing a wet block
    are sampled, which on a province with a local flood is a small share.
    Without a threshold, every edge meeting the raster's extent.
    """
    import rasterio
    from pyproj import Transformer
    from rasterio.warp import transform_bounds

    try:
        ds = rasterio.open(hz.raster_path)
    except Exception as exc:
        raise LayerReadError(f"{hz.raster_path}: cannot open raster ({exc})", hint="is it a GeoTIFF?") from exc
    tree = tree if tree is not None else shapely.STRtree(geoms)
    with ds:
        rcrs = ds.crs
        same = rcrs is None or CRS.from_user_input(rcrs) == crs
        if threshold_m is None:
            b = ds.bounds if same else transform_bounds(rcrs, crs, *ds.bounds)
            return tree.query(shapely.box(*b), predicate="intersects")
        f = max(1, math.ceil(math.sqrt(ds.width * ds.height / max_blocks)))
        wet = _coarse_wet(ds, threshold_m, f)
        rows, cols = np.nonzero(wet)
        if len(rows) == 0:
            return np.zeros(0, dtype=np.int64)
        t = ds.transform
        x0, y0 = t * (cols * f, rows * f)
        x1, y1 = t * (np.minimum((cols + 1) * f, ds.width), np.minimum((rows + 1) * f, ds.height))
        if not same:
            tr = Transformer.from_crs(CRS.from_user_input(rcrs), crs, always_xy=True)
            xs = np.stack([x0, x1, x0, x1])
            ys = np.stack([y0, y0, y1, y1])
            xx, yy = tr.transform(xs, ys)
            x0, x1, y0, y1 = xx.min(axis=0), xx.max(axis=0), yy.min(axis=0), yy.max(axis=0)
        boxes = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1))
    _, edges = tree.query(boxes, predicate="intersects")
    return np.unique(edges)


def _apply_raster(network: RoadNetwork, geoms: np.ndarray, hz: HazardSource, threshold_m: float, step_m: float,
                  factor: np.ndarray, reason: np.ndarray) -> tuple:
    """Close edges with a sample deeper than the threshold; returns the wet samples (see :attr:`HazardEdges.wet`)."""
    none = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), float(threshold_m), step_m / 2.0)
    tree = network._tree if network._tree is not None and len(network._tree.geometries) == len(geoms) else None
    cand = _edges_on_raster(geoms, hz, network.crs, threshold_m=threshold_m, tree=tree)
    if len(cand) == 0:
        return none
    sub, xy = _edge_samples(geoms[cand], step_m)
    edge = cand[sub]
    vals = sample_raster(str(hz.raster_path), xy, network.crs)
    vals = np.where(np.isfinite(vals), vals, -np.inf)
    worst = np.full(len(factor), -np.inf)
    np.maximum.at(worst, edge, vals)
    hit = np.flatnonzero(worst > threshold_m)
    factor[hit] = 0.0
    depths, which = np.unique(worst[hit], return_inverse=True)  # a raster has few distinct depths: format each once
    labels = np.array([f"{hz.name}: depth {w:.2f} m > {threshold_m:g} m" for w in depths], dtype=object)[which]
    _note(reason, hit, labels)
    deep = vals > threshold_m
    if not deep.any():
        return none
    along = shapely.line_locate_point(geoms[edge[deep]], shapely.points(xy[deep]))
    order = np.lexsort((along, edge[deep]))
    return edge[deep][order], along[order], vals[deep][order], float(threshold_m), step_m / 2.0


def _carry(he: HazardEdges, base: RoadNetwork, net: RoadNetwork, scenario: HazardScenario, weight: str) -> HazardEdges:
    """The hazard state of *net* (split from *base*) from that of *base*, consistent with it by construction.

    Whole edges keep their parent's state.  A piece of a road is tested on
    its own: against the polygons exactly, and against each raster through the
    parent's samples (each sample stands for the stretch of road half a sample
    spacing either side of it), so a road is closed in *base* exactly when one
    of its pieces is closed, and a village standing on the dry part of a
    half-flooded road drives off it.
    """
    par = net.parent_edge
    piece = ~np.isnan(net.parent_start_m) if net.parent_start_m is not None else np.zeros(net.n_edges, bool)
    factor = he.speed_factor[par].astype(float).copy()
    reason = he.reason[par].astype(object).copy()
    idx = np.flatnonzero(piece)
    if len(idx):
        f = np.ones(len(idx))
        r = np.full(len(idx), "", dtype=object)
        geoms = None
        for hz in scenario.sources:
            if hz.polygons is not None and len(hz.polygons):
                geoms = net.edge_geometries(idx) if geoms is None else geoms
                _apply_polygons(net, geoms, hz, scenario.severity_speed_factor, f, r)
            elif hz.is_raster and hz.name in he.wet:
                e, along, depth, thr, half = he.wet[hz.name]
                if len(e) == 0:
                    continue
                a, b = net.parent_start_m[idx], net.parent_end_m[idx]
                p = par[idx]
                # the first wet sample of the parent edge whose stretch ends after the piece starts
                key = e.astype(np.float64) * 1e6 + along
                pos = np.searchsorted(key, p.astype(np.float64) * 1e6 + (a - half), side="right")
                ok = pos < len(e)
                posc = np.minimum(pos, len(e) - 1)
                hit = ok & (e[posc] == p) & (along[posc] - half < b)
                f[hit] = 0.0
                labels = np.array([f"{hz.name}: depth {w:.2f} m > {thr:g} m" for w in depth[posc[hit]]], dtype=object)
                _note(r, np.flatnonzero(hit), labels)
        factor[idx] = f
        reason[idx] = r
    _keep_proof_open(net, factor, reason)
    closed = factor <= 0.0
    base_cost = net.edge_cost(weight)
    if weight in ("length", "length_m", "distance"):
        cost = np.where(closed, np.inf, base_cost)
    else:
        with np.errstate(divide="ignore"):
            cost = np.where(closed, np.inf, base_cost / np.where(closed, 1.0, factor))
    return HazardEdges(cost, closed, factor, reason, weight, {})


def shelters_in_hazard(shelters: gpd.GeoDataFrame, hazards: Sequence[HazardSource], *,
                       wet_depth_m: float = 0.0) -> pd.DataFrame:
    """Which shelters lie inside a hazard (and so must not be used for it).

    A shelter is inside a polygon hazard when its point intersects a
    footprint (any severity), and inside a raster hazard when the value at
    its point exceeds *wet_depth_m* (default 0: any water).

    Returns
    -------
    DataFrame
        Indexed like *shelters*: ``in_hazard`` (bool) and ``hazard_names``
        (comma-separated names of the hazards it is inside, ``""`` if none).
    """
    names: list[list[str]] = [[] for _ in range(len(shelters))]
    pts = shelters.geometry.values
    crs = CRS.from_user_input(shelters.crs)
    for hz in hazards:
        if hz.polygons is not None and len(hz.polygons):
            polys = hz.polygons if CRS.from_user_input(hz.polygons.crs) == crs else hz.polygons.to_crs(crs)
            tree = shapely.STRtree(polys.geometry.values)
            si, _ = tree.query(pts, predicate="intersects")
            hit = np.unique(si)
        elif hz.is_raster:
            vals = sample_raster(str(hz.raster_path), shapely.get_coordinates(pts), crs)
            hit = np.flatnonzero(np.isfinite(vals) & (vals > wet_depth_m))
        else:
            continue
        for i in hit.tolist():
            names[i].append(hz.name)
    return pd.DataFrame({"in_hazard": [bool(n) for n in names], "hazard_names": [", ".join(n) for n in names]},
                        index=shelters.index)


def _coarse_wet(ds, threshold_m: float, f: int, *, chunk_cells: int = 16_000_000) -> np.ndarray:
    """Wet mask on blocks of *f* x *f* cells (wet when any cell of the block exceeds *threshold_m*), read in strips."""
    from rasterio.windows import Window

    h, w = ds.height, ds.width
    h2, w2 = math.ceil(h / f), math.ceil(w / f)
    out = np.zeros((h2, w2), dtype=np.uint8)
    per = max(1, chunk_cells // (f * w))  # block rows per read
    for i0 in range(0, h2, per):
        r0 = i0 * f
        rows = min(per * f, h - r0)
        strip = np.ma.filled(ds.read(1, window=Window(0, r0, w, rows), masked=True) > threshold_m, False)
        nb = math.ceil(rows / f)
        pad = np.zeros((nb * f, w2 * f), dtype=bool)
        pad[:rows, :w] = strip
        out[i0:i0 + nb] = pad.reshape(nb, f, w2, f).any(axis=(1, 3))
    return out


def hazard_footprint(hazards: Sequence[HazardSource], crs: CRS, *, depth_threshold_m: float | None = None,
                     max_cells: int = 4_000_000) -> gpd.GeoDataFrame:
    """The hazards' footprints as polygons (rasters: cells above the threshold, polygonised).

    Returns
    -------
    GeoDataFrame
        ``hazard`` (source name), ``kind``, ``severity`` (None for rasters), geometry in *crs*.
    """
    frames = []
    for hz in hazards:
        if hz.polygons is not None and len(hz.polygons):
            p = hz.polygons.to_crs(crs)
            sev = p["severity"] if "severity" in p.columns else pd.Series([None] * len(p), index=p.index)
            frames.append(gpd.GeoDataFrame({"hazard": hz.name, "kind": hz.kind, "severity": sev.to_numpy(object)},
                                           geometry=p.geometry.values, crs=crs))
        elif hz.is_raster:
            import rasterio
            from rasterio.features import shapes

            thr = depth_threshold_m if depth_threshold_m is not None else hz.depth_threshold_m
            thr = DEFAULT_DEPTH_THRESHOLD_M if thr is None else float(thr)
            with rasterio.open(hz.raster_path) as ds:
                transform = ds.transform
                n_cells = ds.width * ds.height
                if n_cells > max_cells:
                    # too many cells to polygonise: a coarser grid whose cell is wet when any cell it covers
                    # is, so the footprint can only grow (never drops water that puts villages at risk)
                    f = math.ceil(math.sqrt(n_cells / max_cells))
                    log.info("%s: %d cells; footprint drawn on %d x %d blocks", hz.name, n_cells, f, f)
                    wet = _coarse_wet(ds, thr, f)
                    transform = transform * transform.scale(f, f)
                else:
                    wet = np.ma.filled(ds.read(1, masked=True) > thr, False).astype(np.uint8)
                geoms = [shapely.geometry.shape(g) for g, v in shapes(wet, mask=wet.astype(bool), transform=transform)
                         if v == 1]
                rcrs = ds.crs
            if geoms:
                g = gpd.GeoDataFrame({"hazard": [hz.name], "kind": [hz.kind], "severity": [None]},
                                     geometry=[shapely.union_all(geoms)], crs=rcrs)
                frames.append(g.to_crs(crs))
    if not frames:
        return gpd.GeoDataFrame({"hazard": [], "kind": [], "severity": []}, geometry=[], crs=crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


#: Hazard kinds that are water: boats cross the roads they close, and depth rasters measure them.
WATER_KINDS = frozenset({"flood", "flash_flood", "storm_surge", "tsunami"})


@dataclass
class HazardScenario:
    """One hazard scenario, asked the same questions by every analysis.

    Build it with :meth:`StudyArea.scenario <safegeo.study.StudyArea.scenario>`
    (or :meth:`from_sources`).  Every raster source carries its resolved depth
    threshold, so the roads it closes are the same whoever asks.

    Attributes
    ----------
    sources
        The hazard sources, thresholds resolved.
    severity_speed_factor
        Speed factor per polygon ``severity`` (0 closes the road).
    wet_depth_m
        A point (shelter, base) in water deeper than this is inside a raster hazard.
    """

    sources: list[HazardSource]
    severity_speed_factor: dict[str, float] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_SPEED_FACTOR))
    wet_depth_m: float = 0.0
    _edges: dict = dataclasses.field(default_factory=dict, repr=False)
    _footprints: dict = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def from_sources(
        cls,
        sources: Sequence[HazardSource],
        *,
        params: Mapping | None = None,
        depth_threshold_m: float | None = None,
        severity_speed_factor: Mapping[str, float] | None = None,
        wet_depth_m: float | None = None,
    ) -> HazardScenario:
        """A scenario from hazard sources and the study's parameters (``[hazards]``).

        *depth_threshold_m* given here applies to every raster source;
        otherwise each source keeps its own threshold and sources without
        one take ``[hazards] depth_threshold_m`` (0.3 m).
        """
        cfg = resolve(params, "hazards", depth_threshold_m=depth_threshold_m,
                      severity_speed_factor=severity_speed_factor, wet_depth_m=wet_depth_m)
        resolved = []
        for hz in sources:
            if hz.is_raster:
                thr = depth_threshold_m if depth_threshold_m is not None else hz.depth_threshold_m
                thr = float(cfg["depth_threshold_m"] if thr is None else thr)
                hz = dataclasses.replace(hz, depth_threshold_m=thr)
            resolved.append(hz)
        return cls(resolved, dict(cfg["severity_speed_factor"]), float(cfg["wet_depth_m"]))

    # -- facts ------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """True when the scenario has at least one hazard source."""
        return bool(self.sources)

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.sources]

    @property
    def kinds(self) -> list[str]:
        """Distinct hazard kinds, in source order."""
        return list(dict.fromkeys(str(h.kind) for h in self.sources))

    @property
    def is_water(self) -> bool:
        """True when every source is a water hazard (boats cross what it closes)."""
        return self.active and all(k.lower() in WATER_KINDS for k in self.kinds)

    @property
    def label(self) -> str:
        return ", ".join(self.names) if self.sources else "none"

    # -- questions --------------------------------------------------------------------------------
    def edges(self, network: RoadNetwork, *, weight: str = "time") -> HazardEdges:
        """Per-edge effect on *network* (computed once per network and weight)."""
        key = (id(network), weight)
        hit = self._edges.get(key)
        if hit is not None and hit[0]() is network:
            return hit[1]
        base = network.base_network
        if base is not None and network.parent_edge is not None and base is not network:
            # a network split at villages, shelters or bases: the same roads closed as in the study's network
            he = _carry(self.edges(base, weight=weight), base, network, self, weight)
        else:
            he = hazard_edge_costs(network, self.sources, weight=weight,
                                   severity_speed_factor=self.severity_speed_factor)
        self._edges[key] = (weakref.ref(network), he)
        return he

    def footprint(self, crs: CRS | str) -> gpd.GeoDataFrame:
        """Footprints as polygons in *crs* (rasters: cells deeper than their threshold), computed once per CRS."""
        key = CRS.from_user_input(crs).to_wkt()
        if key not in self._footprints:
            self._footprints[key] = hazard_footprint(self.sources, crs)
        return self._footprints[key]

    def points_inside(self, points: gpd.GeoDataFrame) -> pd.DataFrame:
        """Which points stand inside the hazard: ``in_hazard``, ``hazard_names`` (see :func:`shelters_in_hazard`)."""
        return shelters_in_hazard(points, self.sources, wet_depth_m=self.wet_depth_m)

    def summary(self, network: RoadNetwork) -> str:
        return f"hazards {self.label}: {self.edges(network).summary()}"
