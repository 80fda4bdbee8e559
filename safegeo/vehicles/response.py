"""Response-time coverage: how long the nearest available vehicle of each type takes to reach every place.

For each vehicle type one multi-source Dijkstra pass on the *forward* road
graph, started at every available base of that type at once, gives the
travel time from the nearest base to every network node
(:func:`node_response_times`).  Villages take the time of the node they snap
to and are compared with the type's target (``[vehicles] target_minutes``,
e.g. 15 min for ambulances); isochrone bands (5 / 10 / 15 / 30 min by default)
are drawn as polygons by rasterising the reached roads (times interpolated
along every edge), widening them by one cell and polygonising each band, all
vectorised.

Village ``status`` says explicitly what happened: ``within_target``,
``beyond_target``, ``unreachable`` (no road path from any base),
``no_vehicle`` (no available vehicle of the type) or ``off_network`` (the
village is farther than ``max_snap_m`` from a road).

Examples
--------
>>> from safegeo.vehicles.response import response_for_study, write_response     # doctest: +SKIP
>>> result = response_for_study(study, registry.vehicles())             # doctest: +SKIP
>>> result.summary.query("level == 'study'")                            # doctest: +SKIP
>>> write_response(result, "out/response", study=study)                 # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import SafegeoError, VehicleDataError
from safegeo._i18n import t
from safegeo.areas import AreaIndex
from safegeo.hazards import HazardScenario
from safegeo.network import RoadNetwork, attach_points, point_xy
from safegeo.network.snap import line_points
from safegeo.schema import VEHICLE_TYPES
from safegeo.settings import resolve

if TYPE_CHECKING:
    from safegeo.maps import SafegeoMap
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)

#: Isochrone band limits (minutes).
DEFAULT_BANDS_MIN = (5.0, 10.0, 15.0, 30.0)
#: Fallback response targets (minutes) when the study gives none for a type.
DEFAULT_TARGET_MIN = 30.0
STATUSES = ("within_target", "beyond_target", "unreachable", "no_vehicle", "off_network")
STATUS_COLOURS = {"within_target": "#1a9850", "beyond_target": "#fc8d59", "unreachable": "#d73027",
                  "no_vehicle": "#7b3294", "off_network": "#999999"}
BAND_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#a50026")

#: Geometry type of each spatial layer of ``response.gpkg``.
GPKG_GEOMETRY_TYPES = {"villages": "Point", "unserved": "Point", "isochrones": "MultiPolygon", "vehicles": "Point",
                       "nodes": "Point"}

#: Map label keys (in :mod:`safegeo._i18n`) of the response map.
_LABEL_KEYS = {"isochrones": "response_time", "unserved": "unserved_villages", "unavailable": "vehicles_unavailable",
               "available": "vehicles_available", "title": "response_title"}
_STATUS_KEYS = {"within_target": "within_target", "beyond_target": "beyond_target",
                "unreachable": "unreachable_by_road", "no_vehicle": "no_vehicle", "off_network": "off_network"}


def _status_label(status: str, lang: str) -> str:
    return t(_STATUS_KEYS.get(status, status), lang)


def _label(key: str, lang: str) -> str:
    return t(_LABEL_KEYS[key], lang)


@dataclass
class ResponseResult:
    """Response-time coverage per vehicle type.

    Attributes
    ----------
    node_time_s
        Vehicle type → per-node travel time (s) from the nearest available
        base (``inf``: unreachable).
    villages
        One row per village and type: ``village_id``, ``name``,
        ``population``, ``district_id``, ``district`` (and ``tambon_id``,
        ``tambon``), ``in_area`` (false outside every district), ``snap_m``, ``vehicle_type``,
        ``time_min`` (NaN unless reached), ``target_min``, ``status`` (see
        module doc), ``nearest_vehicle``, point geometry (network CRS).
    summary
        Per type and area in the shared summary shape (``level``, ``area_id``,
        names; ``level == "study"``: the whole area): village and population
        counts within / beyond target and unreachable, median / p90 / max minutes.
    isochrones
        ``vehicle_type``, ``band`` (``"5–10 min"``), ``min_minutes``,
        ``max_minutes``, ``area_km2``, polygon geometry.  Bands are disjoint.
    vehicles
        The fleet used (network CRS), with ``node`` and ``on_network``.
    targets_min
        Target minutes per type.
    """

    node_time_s: dict[str, np.ndarray]
    villages: gpd.GeoDataFrame
    summary: pd.DataFrame
    isochrones: gpd.GeoDataFrame
    vehicles: gpd.GeoDataFrame
    targets_min: dict[str, float]
    bands_min: tuple[float, ...] = DEFAULT_BANDS_MIN
    notes: list[str] = field(default_factory=list)
    network: RoadNetwork | None = field(default=None, repr=False)  # the network with bases and villages attached

    @property
    def unserved(self) -> gpd.GeoDataFrame:
        """Villages not reached within the target, by type and district, slowest first."""
        u = self.villages[self.villages["status"] != "within_target"]
        # by type, district (places outside every district last), slowest first (never reached before that)
        key = u.assign(_d=u["district"].fillna("\uffff").astype(str), _t=u["time_min"].fillna(np.inf))
        order = key.sort_values(["vehicle_type", "_d", "_t"], ascending=[True, True, False], kind="stable").index
        return u.loc[order].reset_index(drop=True)

    def report_lines(self) -> list[str]:
        """Per vehicle type: villages and people reached within the target (for the CLI and notebooks)."""
        lines = []
        tot = self.summary[self.summary["level"] == "study"] if "level" in self.summary.columns else self.summary
        for row in tot.itertuples():
            share = "n/a" if row.share_population_within_target != row.share_population_within_target else \
                f"{row.share_population_within_target:.0%}"
            lines.append(f"{row.vehicle_type:<13} target {row.target_min:g} min: {row.villages - row.within_target} of "
                         f"{row.villages} villages not reached in time; {share} of people reached in time")
        return lines + [f"note: {n}" for n in self.notes]

    def map(self, *, study: StudyArea | None = None, lang: str = "en", public: bool = False, tiles: bool = True,
            title: str | None = None, back_href: str | None = None, charts: bool = True) -> SafegeoMap:
        """The response map (:func:`response_map`)."""
        return response_map(self, study=study, lang=lang, public=public, tiles=tiles, title=title,
                            back_href=back_href, charts=charts)

    def write(self, out_dir: str | Path, *, study: StudyArea | None = None, lang: str = "en", public: bool = False,
              tiles: bool = True, back_href: str | None = None) -> list[Path]:
        """Write the map, GeoPackage and summary CSV as one set (:func:`write_response`)."""
        return write_response(self, out_dir, study=study, lang=lang, public=public, tiles=tiles, back_href=back_href)

    def node_times_gdf(self, network: RoadNetwork | None = None) -> gpd.GeoDataFrame:
        """Network nodes with one ``<type>_min`` column per type (NaN: unreachable); default the result's network."""
        network = network if network is not None and network.n_nodes == len(next(iter(self.node_time_s.values()), [])) \
            else self.network
        cols = {f"{k}_min": np.where(np.isfinite(v), v / 60.0, np.nan) for k, v in self.node_time_s.items()}
        return gpd.GeoDataFrame({"node": np.arange(network.n_nodes), **cols},
                                geometry=shapely.points(network.x, network.y), crs=network.crs)


def node_response_times(network: RoadNetwork, base_nodes: np.ndarray, *,
                        edge_cost_s: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Travel time from the nearest of several bases to every node, in one pass.

    Parameters
    ----------
    network
        The road network.
    base_nodes
        Node index of each base (repeats allowed).
    edge_cost_s
        Per-edge time (``inf`` closes a road); default free-flow time.

    Returns
    -------
    (time_s, source)
        Per node: seconds from the nearest base (``inf`` unreachable) and the
        position in *base_nodes* of that base (``-1`` unreachable).
    """
    from safegeo.routing import nearest_sources

    csr = network.csr("time") if edge_cost_s is None else network.csr(np.asarray(edge_cost_s, dtype=float))
    base_nodes = np.asarray(base_nodes, dtype=np.int64)
    if len(base_nodes) == 0:
        return np.full(network.n_nodes, np.inf), np.full(network.n_nodes, -1, dtype=np.int64)
    # forward graph: the cost found runs from the base to each node
    tree = nearest_sources(csr, base_nodes)
    return tree.cost, tree.source


def response_coverage(
    network: RoadNetwork,
    vehicles: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    *,
    districts: gpd.GeoDataFrame | None = None,
    areas: AreaIndex | None = None,
    vehicle_types: Sequence[str] | None = None,
    targets_min: Mapping[str, float] | None = None,
    bands_min: Sequence[float] | None = None,
    scenario: HazardScenario | None = None,
    edge_cost_s: np.ndarray | None = None,
    boat_edge_cost_s: np.ndarray | None = None,
    max_snap_m: float | None = None,
    isochrones: bool = True,
    cell_m: float | None = None,
) -> ResponseResult:
    """Response times from the available bases of each vehicle type to every node and village.

    Parameters
    ----------
    network
        The drive network.
    vehicles
        The fleet (any CRS): ``vehicle_id``, ``type``, ``status``.  Only
        ``status == "available"`` bases count.
    villages
        Village points with ``village_id`` and ``population``.
    districts
        District polygons (``district_id``, ``name_en``) to group the results.
    areas
        Districts and tambons as one lookup (:class:`~safegeo.areas.AreaIndex`;
        default: built from *districts*).
    vehicle_types
        Types to analyse; default every type present in the fleet (a type
        whose vehicles are all unavailable is reported as ``no_vehicle``).
    targets_min
        Target minutes per type (default ``[vehicles] target_minutes``).
    bands_min
        Upper limits of the isochrone bands (minutes), increasing (default
        ``[vehicles] bands_minutes``).
    scenario
        The hazard in force: its closed roads are avoided; under a water
        hazard boats cross them.
    edge_cost_s
        Per-edge time of *network* with hazard closures (``inf``), instead of
        a scenario; default free flow.
    boat_edge_cost_s
        Per-edge time for ``rescue_boat`` (default *edge_cost_s*).
    max_snap_m
        Bases and villages farther from a road are not routed (default
        ``[network] max_snap_m``); the others join the road where they stand.
    isochrones
        Build isochrone polygons (skip for speed).
    cell_m
        Isochrone grid cell size (m, default ``[vehicles] isochrone_cell_m``);
        the polygons follow the roads within about one cell.

    Returns
    -------
    ResponseResult

    Raises
    ------
    VehicleDataError
        Unknown vehicle type, or the fleet lacks ``type``/``status`` columns.
    """
    for col in ("vehicle_id", "type"):
        if col not in vehicles.columns:
            raise VehicleDataError(f"the vehicle table has no '{col}' column")
    cfg = resolve(None, "vehicles", bands_minutes=bands_min, isochrone_cell_m=cell_m, target_minutes=targets_min)
    bands = tuple(float(b) for b in cfg["bands_minutes"])
    cell_m = float(cfg["isochrone_cell_m"])
    max_snap_m = float(resolve(None, "network", max_snap_m=max_snap_m)["max_snap_m"])
    if areas is None:
        areas = AreaIndex(districts)
    if scenario is not None and not scenario.active:
        scenario = None
    base_network = network
    fleet = vehicles.to_crs(network.crs).reset_index(drop=True)
    status = fleet["status"].fillna("available").astype(str) if "status" in fleet.columns else \
        pd.Series("available", index=fleet.index)
    fleet["status"] = status
    types = list(vehicle_types) if vehicle_types is not None else \
        [t for t in VEHICLE_TYPES if (fleet["type"] == t).any()]
    bad = [t for t in types if t not in VEHICLE_TYPES]
    if bad:
        raise VehicleDataError(f"unknown vehicle type {', '.join(bad)}", hint=f"one of {', '.join(VEHICLE_TYPES)}")
    targets = {t: float(cfg["target_minutes"].get(t, DEFAULT_TARGET_MIN)) for t in types}

    vill = villages.to_crs(network.crs).reset_index(drop=True)
    # bases and villages join the roads where they stand
    network, att = attach_points(network, np.vstack([point_xy(fleet, network.crs), point_xy(vill, network.crs)]),
                                 max_snap_m=max_snap_m)
    vsnap, vsn = att.take(np.arange(len(fleet))), att.take(np.arange(len(fleet), len(fleet) + len(vill)))
    fleet["node"] = vsnap.node
    fleet["on_network"] = vsnap.ok
    fleet["base_snap_m"] = np.round(vsnap.snap_m, 1)
    if scenario is not None:
        edge_cost_s = scenario.edges(network).cost
        boat_edge_cost_s = network.time_s if scenario.is_water else edge_cost_s
    else:
        edge_cost_s = _on_pieces(network, base_network, edge_cost_s)
        boat_edge_cost_s = _on_pieces(network, base_network, boat_edge_cost_s)
    notes: list[str] = []
    off = fleet[~fleet["on_network"]]
    if len(off):
        notes.append(f"{len(off)} vehicle base(s) more than {max_snap_m:g} m from a road were left out: "
                     + ", ".join(off["vehicle_id"].astype(str).head(10)))

    vid = vill["village_id"].astype(str).to_numpy() if "village_id" in vill.columns else \
        np.array([str(i + 1) for i in range(len(vill))])
    name_col = next((c for c in ("name_en", "name_th", "name") if c in vill.columns), None)
    names = vill[name_col].astype(object).to_numpy() if name_col else np.full(len(vill), None, dtype=object)
    pop = pd.to_numeric(vill["population"], errors="coerce").fillna(0).to_numpy() if "population" in vill.columns \
        else np.zeros(len(vill))
    where = areas.locate(vill.geometry)

    node_time: dict[str, np.ndarray] = {}
    frames = []
    iso_frames = []
    samples: EdgeSamples | None = None
    for vtype in types:
        sel = (fleet["type"] == vtype) & (fleet["status"] == "available") & fleet["on_network"]
        bases = fleet[sel]
        cost = boat_edge_cost_s if vtype == "rescue_boat" and boat_edge_cost_s is not None else edge_cost_s
        t_s, src = node_response_times(network, bases["node"].to_numpy(), edge_cost_s=cost)
        node_time[vtype] = t_s
        vt = np.where(vsn.ok, t_s[np.maximum(vsn.node, 0)], np.inf)
        vsrc = np.where(vsn.ok, src[np.maximum(vsn.node, 0)], -1)
        nearest = np.where(vsrc >= 0, bases["vehicle_id"].astype(str).to_numpy()[np.maximum(vsrc, 0)]
                           if len(bases) else None, None)
        st = np.where(~vsn.ok, "off_network",
                      np.where(len(bases) == 0, "no_vehicle",
                               np.where(~np.isfinite(vt), "unreachable",
                                        np.where(vt <= targets[vtype] * 60.0, "within_target", "beyond_target"))))
        frame = pd.DataFrame({
            "village_id": vid, "name": names, "population": pop,
            "vehicle_type": vtype, "time_min": np.where(np.isfinite(vt), np.round(vt / 60.0, 2), np.nan),
            "target_min": targets[vtype], "status": st, "nearest_vehicle": nearest,
            "snap_m": np.where(vsn.ok, np.round(vsn.snap_m, 1), np.nan)})
        for c in where.columns:
            frame[c] = where[c].to_numpy()
        frame["geometry"] = vill.geometry.values
        frames.append(frame)
        if len(bases) == 0:
            notes.append(f"no available {vtype}: every village is unserved for this type")
        if isochrones and len(bases):
            if samples is None:  # the same points for every vehicle type: only their times differ
                samples = edge_samples(network, cell_m=cell_m)
            iso_frames.append(isochrone_bands(network, t_s, bands, cell_m=cell_m, edge_cost_s=cost, samples=samples)
                              .assign(vehicle_type=vtype))
    if frames:
        long = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=network.crs)
    else:
        long = gpd.GeoDataFrame({c: [] for c in ("village_id", "name", "population", "vehicle_type", "time_min",
                                                 "target_min", "status", "nearest_vehicle", "snap_m",
                                                 *where.columns)}, geometry=[], crs=network.crs)
    iso_cols = ["vehicle_type", "band", "min_minutes", "max_minutes", "area_km2"]
    if iso_frames:
        iso = gpd.GeoDataFrame(pd.concat(iso_frames, ignore_index=True), crs=network.crs)[iso_cols + ["geometry"]]
    else:
        iso = gpd.GeoDataFrame({c: [] for c in iso_cols}, geometry=[], crs=network.crs)
    summary = _summary(long, fleet, types, targets, areas)
    return ResponseResult(node_time, long, summary, iso, fleet, targets, bands, notes, network=network)


def _on_pieces(network: RoadNetwork, base: RoadNetwork, cost: np.ndarray | None) -> np.ndarray | None:
    """Per-edge costs of *base* carried to the pieces of *network* (split from it), in proportion to length."""
    if cost is None:
        return None
    cost = np.asarray(cost, dtype=float)
    if cost.shape != (base.n_edges,):
        raise ValueError(f"edge cost array has shape {cost.shape}; expected ({base.n_edges},)")
    if network.parent_edge is None:
        return cost
    par = network.parent_edge
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(base.length_m[par] > 0, network.length_m / base.length_m[par], 1.0)
    return cost[par] * frac


#: Columns of :attr:`ResponseResult.summary`.
SUMMARY_COLUMNS = ("vehicle_type", "level", "area_id", "name_en", "name_th", "target_min", "vehicles_available",
                   "villages", "population", "within_target", "beyond_target", "unreachable",
                   "population_beyond_target", "share_population_within_target", "median_min", "p90_min", "max_min")


def _summary(long: pd.DataFrame, fleet: pd.DataFrame, types: list[str], targets: dict[str, float],
             areas: AreaIndex) -> pd.DataFrame:
    """Per vehicle type and area (the shared summary shape, plus ``vehicle_type``): counts, shares, times."""
    if long.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    df = pd.DataFrame(long.drop(columns="geometry"))
    df["within"] = (df["status"] == "within_target").astype(float)
    df["beyond"] = (df["status"] == "beyond_target").astype(float)
    df["unreach"] = 1.0 - df["within"] - df["beyond"]
    df["pop_out"] = np.where(df["within"] > 0, 0.0, df["population"])
    avail = fleet[(fleet["status"] == "available") & fleet["on_network"]].groupby("type").size()
    frames = []
    groups = [(lv, "district_id" if lv == "district" else "tambon_id") for lv in ("district", "tambon")
              if areas.has(lv)] + [("study", None)]
    for level, col in groups:
        key = df[col] if col is not None else pd.Series("ALL", index=df.index)
        g = df.assign(_area=key.to_numpy(object)).dropna(subset=["_area"]).groupby(["vehicle_type", "_area"])
        agg = g.agg(villages=("village_id", "size"), population=("population", "sum"), within_target=("within", "sum"),
                    beyond_target=("beyond", "sum"), unreachable=("unreach", "sum"),
                    population_beyond_target=("pop_out", "sum"), median_min=("time_min", "median"),
                    p90_min=("time_min", lambda t: t.quantile(0.9)), max_min=("time_min", "max"))
        lv = areas.levels.get(level)
        ids = list(lv.ids) if lv is not None else ["ALL"]
        full = pd.MultiIndex.from_product([types, ids], names=["vehicle_type", "_area"])
        agg = agg.reindex(full)
        for c in ("villages", "population", "within_target", "beyond_target", "unreachable",
                  "population_beyond_target"):
            agg[c] = agg[c].fillna(0.0)
        agg = agg.reset_index().rename(columns={"_area": "area_id"})
        agg.insert(1, "level", level)
        if lv is not None:
            for c in ("name_en", "name_th"):
                if c in lv.areas.columns:
                    agg[c] = agg["area_id"].map(dict(zip(lv.ids, lv.areas[c].to_numpy(object), strict=True)))
        frames.append(agg)
    out = pd.concat(frames, ignore_index=True)
    out["vehicles_available"] = out["vehicle_type"].map(avail).fillna(0).astype(int)
    out["target_min"] = out["vehicle_type"].map(targets)
    for c in ("villages", "within_target", "beyond_target", "unreachable"):
        out[c] = out[c].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 1.0 - out["population_beyond_target"] / out["population"]
    out["share_population_within_target"] = np.where(out["population"] > 0, share.round(4), np.nan)
    for c in ("median_min", "p90_min", "max_min"):
        out[c] = out[c].astype(float).round(2)
    return out[[c for c in SUMMARY_COLUMNS if c in out.columns]].reset_index(drop=True)


@dataclass
class EdgeSamples:
    """Points along a network's edges, at most half a grid cell apart (see :func:`edge_samples`).

    Attributes
    ----------
    edge
        Edge row of each point.
    fraction
        Where the point lies along its edge (0 at the start node, 1 at the end).
    xy
        (n, 2) coordinates.
    cell_m
        The grid cell the spacing was chosen for (m; may be coarser than asked, see *max_samples*).
    """

    edge: np.ndarray
    fraction: np.ndarray
    xy: np.ndarray
    cell_m: float


def edge_samples(network: RoadNetwork, *, cell_m: float = 200.0, max_samples: int = 5_000_000,
                 edges: np.ndarray | None = None) -> EdgeSamples:
    """Points along *edges* (all by default) at most ``cell_m / 2`` apart, both ends of every edge included.

    When that would give more than *max_samples* points the cell is made
    coarser (x1.5 at a time), down to two points (the ends) per edge.
    """
    e = np.arange(network.n_edges) if edges is None else np.asarray(edges, dtype=np.int64)
    length = network.length_m[e]
    cell = float(cell_m)
    while True:  # every edge gives at least its two ends, however coarse the grid must become
        k = np.maximum(np.ceil(length / (cell / 2.0)).astype(np.int64) + 1, 2)
        if k.sum() <= max_samples or (k == 2).all() or len(k) == 0:
            break
        cell *= 1.5
    owner = np.repeat(np.arange(len(e)), k)
    frac = (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)) / np.repeat(k - 1, k)
    if network.geometry is not None and len(e):
        xy = line_points(network.edge_geometries(e), fraction=frac, index=owner)
    else:
        uu, vv = network.u[e][owner], network.v[e][owner]
        xy = np.column_stack([network.x[uu] + frac * (network.x[vv] - network.x[uu]),
                              network.y[uu] + frac * (network.y[vv] - network.y[uu])])
    return EdgeSamples(e[owner], frac, xy, cell)


def isochrone_bands(
    network: RoadNetwork,
    node_time_s: np.ndarray,
    bands_min: Sequence[float] = DEFAULT_BANDS_MIN,
    *,
    cell_m: float = 200.0,
    reach_m: float = 400.0,
    edge_cost_s: np.ndarray | None = None,
    max_samples: int = 5_000_000,
    samples: EdgeSamples | None = None,
) -> gpd.GeoDataFrame:
    """Disjoint travel-time band polygons around the reached roads.

    Points are sampled along every edge whose start is reached (at most
    half a cell apart), timed by linear interpolation along the edge, put on
    a grid of *cell_m* (the fastest sample wins a cell), widened by *reach_m*,
    classified into bands and polygonised.

    Parameters
    ----------
    network
        The road network.
    node_time_s
        Per-node time (s), ``inf`` where unreached.
    bands_min
        Upper band limits (minutes), increasing.
    cell_m
        Grid cell size (m); raised automatically when the samples would
        exceed *max_samples*.
    reach_m
        How far either side of a reached road the band extends (m): the
        last stretch on foot or the width of the settlement along it.
    edge_cost_s
        The per-edge time the node times were computed with.
    samples
        Points along the edges from :func:`edge_samples`, to share between
        several calls on one network (one per vehicle type); by default the
        reached edges are sampled here.

    Returns
    -------
    geopandas.GeoDataFrame
        ``band`` (``"0–5 min"``), ``min_minutes``, ``max_minutes``,
        ``area_km2``, geometry; one row per non-empty band.
    """
    import rasterio.features
    from rasterio.transform import from_origin
    from scipy.ndimage import minimum_filter

    bands = np.asarray(bands_min, dtype=float)
    cols = ["band", "min_minutes", "max_minutes", "area_km2"]
    empty = gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=network.crs)
    cost = network.time_s if edge_cost_s is None else np.asarray(edge_cost_s, dtype=float)
    t_u = node_time_s[network.u]
    horizon = bands[-1] * 60.0
    usable = np.isfinite(t_u) & np.isfinite(cost) & (t_u <= horizon)
    if not usable.any():
        return empty
    if samples is None:
        samples = edge_samples(network, cell_m=cell_m, max_samples=max_samples, edges=np.flatnonzero(usable))
    cell = samples.cell_m
    # the time at each sample; edges not usable give inf or NaN, which fail the horizon test (t >= t_u)
    e_cost = np.where(usable, cost, np.inf)
    with np.errstate(invalid="ignore"):
        t = t_u[samples.edge] + samples.fraction * e_cost[samples.edge]
        keep = t <= horizon
    xy, t = samples.xy[keep], t[keep]
    if len(t) == 0:
        return empty
    pad = reach_m + 2 * cell
    west, south = xy.min(axis=0) - pad
    east, north = xy.max(axis=0) + pad
    ncol = int(np.ceil((east - west) / cell))
    nrow = int(np.ceil((north - south) / cell))
    ix = np.clip(((xy[:, 0] - west) / cell).astype(np.int64), 0, ncol - 1)
    iy = np.clip(((north - xy[:, 1]) / cell).astype(np.int64), 0, nrow - 1)
    flat = iy * ncol + ix
    grid = np.full(nrow * ncol, np.inf)
    np.minimum.at(grid, flat, t)  # the fastest sample wins its cell
    size = 2 * max(1, int(round(reach_m / cell))) + 1
    grid = minimum_filter(grid.reshape(nrow, ncol), size=size, mode="constant", cval=np.inf)
    minutes = grid / 60.0
    cls = np.where(np.isfinite(minutes), np.searchsorted(bands, minutes, side="left") + 1, 0)
    cls[cls > len(bands)] = 0
    cls = cls.astype(np.uint8)
    transform = from_origin(west, north, cell, cell)
    geoms, values = [], []
    for geom, val in rasterio.features.shapes(cls, mask=cls > 0, transform=transform, connectivity=4):
        geoms.append(shapely.geometry.shape(geom))
        values.append(int(val))
    if not geoms:
        return empty
    values_a = np.asarray(values)
    geoms_a = np.asarray(geoms, dtype=object)
    rows = []
    lows = np.r_[0.0, bands[:-1]]
    for c in np.unique(values_a):
        poly = shapely.union_all(geoms_a[values_a == c])
        lo, hi = lows[c - 1], bands[c - 1]
        rows.append({"band": f"{lo:g}–{hi:g} min", "min_minutes": lo, "max_minutes": hi,
                     "area_km2": round(float(poly.area) / 1e6, 3), "geometry": poly})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=network.crs)


def response_for_study(
    study: StudyArea,
    vehicles: gpd.GeoDataFrame,
    *,
    vehicle_types: Sequence[str] | None = None,
    hazard: str | None = None,
    bands_min: Sequence[float] | None = None,
    isochrones: bool = True,
) -> ResponseResult:
    """Response-time coverage on a study area (its drive network, villages, districts and targets).

    Parameters
    ----------
    study
        Needs ``villages``; ``districts`` group the results.
    vehicles
        The fleet (e.g. ``Registry.vehicles()`` or ``study.layers["vehicles"]``).
    vehicle_types
        Types to analyse (default: every type in the fleet).
    hazard
        A hazard name or kind: its closed roads are avoided.
    bands_min
        Isochrone bands; default ``[vehicles] bands_minutes`` or 5/10/15/30.
    isochrones
        Build the band polygons.

    Returns
    -------
    ResponseResult
    """
    net = study.network("drive")
    scenario = study.scenario(hazard) if hazard and str(hazard).lower() != "none" else None
    cfg = study.settings("vehicles", bands_minutes=bands_min)
    return response_coverage(
        net, vehicles, study.layer("villages"),
        districts=study.layers.get("districts"),
        areas=study.areas,
        vehicle_types=vehicle_types,
        targets_min=cfg["target_minutes"],
        bands_min=cfg["bands_minutes"],
        scenario=scenario,
        max_snap_m=study.settings("network")["max_snap_m"],
        isochrones=isochrones,
        cell_m=cfg["isochrone_cell_m"],
    )


def response_map(
    result: ResponseResult,
    *,
    study: StudyArea | None = None,
    lang: str = "en",
    public: bool = False,
    title: str | None = None,
    tiles: bool = True,
    show_type: str | None = None,
    back_href: str | None = None,
    charts: bool = True,
) -> SafegeoMap:
    """The response map: isochrone bands per type, villages beyond target, vehicles by type and status.

    With *charts*, the charts of :func:`safegeo.maps.charts.response_charts`
    sit beside the map; *back_href* links the title box back to an overview.

    Parameters
    ----------
    result
        From :func:`response_coverage` / :func:`response_for_study`.
    study
        Adds the districts; its ``synthetic`` flag sets the badge.
    lang, public, title, tiles
        As for :class:`~safegeo.maps.SafegeoMap`; *public* applies the public filter (no contacts).
    show_type
        The type whose bands are visible when the page opens (default:
        ambulance, else the first type); the others can be switched on.
    """
    from safegeo.maps import SafegeoMap
    from safegeo.vehicles.dispatch import TYPE_COLOURS

    synthetic = bool(getattr(study, "synthetic", False))
    bounds = study.layers["districts"] if study is not None and study.has("districts") else None
    m = SafegeoMap(title=title or _label("title", lang), lang=lang, public=public, synthetic=synthetic,
                   tiles=tiles, bounds=bounds, back_href=back_href)
    if charts:
        from safegeo.maps.charts import response_charts

        for chart in response_charts(result, lang=lang):
            m.add_chart(chart)
    if study is not None and study.has("districts"):
        d = study.layers["districts"]
        m.add_polygons(d, name="districts", color="#555555", fill_opacity=0.03,
                       tooltip=[c for c in ("name_en", "name_th") if c in d.columns])
    types = list(result.targets_min)
    show_type = show_type or ("ambulance" if "ambulance" in types else (types[0] if types else None))
    band_names = list(dict.fromkeys(result.isochrones["band"])) if len(result.isochrones) else []
    band_colours = {b: BAND_COLOURS[i % len(BAND_COLOURS)] for i, b in enumerate(band_names)}
    for vtype in types:
        iso = result.isochrones[result.isochrones["vehicle_type"] == vtype]
        if len(iso):
            m.add_polygons(iso, name=f"{_label('isochrones', lang)}: {t(vtype, lang)}", color="#666666",
                           fill_column="band", categories=band_colours, fill_opacity=0.45, weight=0.5,
                           tooltip=["band", "area_km2"], show=vtype == show_type, legend_title="band")
    uns = result.unserved
    for vtype in types:
        u = uns[uns["vehicle_type"] == vtype]
        if len(u):
            u = u.assign(time_min=u["time_min"].round(1),
                         status=[_status_label(s, lang) for s in u["status"]])
            m.add_points(u, name=f"{_label('unserved', lang)}: {t(vtype, lang)}", color_column="status",
                         categories={_status_label(k, lang): c for k, c in STATUS_COLOURS.items()}, radius=5,
                         tooltip=["name", "time_min", "target_min", "status"],
                         popup=["village_id", "name", "district", "population", "vehicle_type", "time_min",
                                "target_min", "status"], show=vtype == show_type)
    fleet = result.vehicles
    cols = [c for c in ("vehicle_id", "type", "status", "agency", "capabilities", "contact") if c in fleet.columns]
    avail = fleet[fleet["status"] == "available"]
    if len(avail):
        m.add_points(avail, name=_label("available", lang), color_column="type", categories=TYPE_COLOURS, radius=6,
                     tooltip=cols[:4], popup=cols)
    other = fleet[fleet["status"] != "available"]
    if len(other):
        m.add_points(other, name=_label("unavailable", lang), color_column="status",
                     categories={"dispatched": "#ff7f00", "maintenance": "#6a3d9a", "out_of_service": "#000000"},
                     radius=5, tooltip=cols[:4], popup=cols)
    return m


def write_response(
    result: ResponseResult,
    out_dir: str | Path,
    *,
    network: RoadNetwork | None = None,
    study: StudyArea | None = None,
    lang: str = "en",
    public: bool = False,
    tiles: bool = True,
    back_href: str | None = None,
) -> list[Path]:
    """Write ``response.html``, ``response.gpkg`` and ``response_summary.csv`` into *out_dir*.

    The GeoPackage holds ``villages`` (one row per village and type),
    ``unserved``, ``isochrones``, ``vehicles``, ``summary`` and, when
    *network* is given, ``nodes`` with one ``<type>_min`` column per type
    (NaN: unreachable).  With *public*, every file goes through the public
    filter (:func:`safegeo.privacy.public_frame`): no contact, driver, owner
    or notes column, and no phone number or e-mail address in the rest.

    Returns
    -------
    list of Path
        The map first.
    """

    from safegeo.output import write_analysis

    fleet = result.vehicles.drop(columns=["node"], errors="ignore")
    layers: dict[str, Any] = {
        "villages": result.villages, "unserved": result.unserved, "isochrones": result.isochrones,
        "vehicles": fleet, "summary": result.summary,
    }
    if network is not None or result.network is not None:
        layers["nodes"] = result.node_times_gdf(network)
    # declared geometry types: an empty layer (no village unserved) is still a point layer in QGIS
    return write_analysis(
        out_dir, what="response", html="response.html", gpkg="response.gpkg", public=public,
        page=lambda: response_map(result, study=study, lang=lang, public=public, tiles=tiles, back_href=back_href),
        layers=layers, geometry_types=GPKG_GEOMETRY_TYPES, tables={"response_summary.csv": result.summary})


def _fleet_for_demo(study: StudyArea, out_dir: Path) -> tuple[Path, gpd.GeoDataFrame]:
    """Import the demo study's vehicles layer into a fresh registry in *out_dir*."""
    from safegeo.vehicles.registry import Registry

    db = out_dir / "vehicles.db"
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(db) + suffix)
        if p.exists():
            p.unlink()
    with Registry(db) as reg:
        reg.import_frame(study.layer("vehicles"), source="demo vehicles layer", study=study, by="safegeo demo")
        fleet = reg.vehicles()
    return db, fleet


def demo_step(study: StudyArea, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """Demo: import the fleet into ``out_dir/vehicles.db``, write response outputs and one dispatch map.

    Returns
    -------
    list of Path
        ``response.html`` first, then the GeoPackage, the summary CSV, the
        registry and ``dispatch.html``.
    """
    from safegeo.vehicles.dispatch import Dispatcher, dispatch_map

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db, fleet = _fleet_for_demo(study, out)
    result = response_for_study(study, fleet)
    paths = write_response(result, out, network=study.network("drive"), study=study, lang=lang,
                           back_href="../index.html")
    # one dispatch: to the first incident (or the most populous village), nearest 3 available vehicles
    if study.has("incidents"):
        at = study.layers["incidents"].geometry.to_crs(4326).iloc[0]
    else:
        vill = study.layer("villages")
        at = vill.geometry.to_crs(4326).iloc[int(np.argmax(pd.to_numeric(vill["population"]).to_numpy()))]
    d = Dispatcher(study.network("drive"), fleet, max_snap_m=study.settings("network")["max_snap_m"])
    try:
        res = d.dispatch((at.x, at.y), n=3, vehicle_type="ambulance" if (fleet["type"] == "ambulance").any() else None)
    except SafegeoError as exc:  # pragma: no cover - demo data always has a reachable incident
        log.warning("demo dispatch skipped: %s", exc)
        return [*paths, db]
    html = dispatch_map(res, fleet=fleet, study=study, lang=lang).save(out / "dispatch.html")
    return [*paths, db, Path(html)]

