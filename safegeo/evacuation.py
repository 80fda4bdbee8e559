"""Evacuation planning: where each village goes, how long it takes, who cannot get out, which roads matter.

One offline pass over the road network (:mod:`safegeo.routing`) answers, for a
hazard scenario:

* **nearest shelter** for every origin by travel time (or distance), from one
  multi-source Dijkstra on the reversed, hazard-aware graph, with travel time,
  distance and route geometry from the predecessor tree;
* **capacity-aware assignment**: village populations split across shelters
  to minimise total person-travel-time subject to shelter capacities, solved
  exactly as a transportation problem (HiGHS ``linprog``) on each origin's k
  nearest eligible shelters, with an overflow variable per origin so that
  people with no capacity within the maximum time are *reported*, never
  dropped; compared against the greedy nearest-shelter assignment;
* **unreachable** origins with the reason (``off_network``,
  ``isolated_by_hazard``, ``no_path``, ``no_eligible_shelter``);
* **critical roads**: bridges of the open network with the population they
  cut off from every shelter, and the road segments carrying most evacuees;
* a **district / tambon summary**.

Shelters inside the hazard footprint, or whose ``safe_for`` list leaves out
the hazard's kind, or with no capacity, are not used; the ``shelters`` layer
says why (``excluded_reason``).

Examples
--------
>>> from safegeo.study import load_study                     # doctest: +SKIP
>>> from safegeo.evacuation import evacuate                  # doctest: +SKIP
>>> study = load_study("out/demo/data/study.toml")           # doctest: +SKIP
>>> res = evacuate(study, hazards="flood", max_minutes=60)   # doctest: +SKIP
>>> res.summary[["name_en", "share_within_30min", "overflow"]]  # doctest: +SKIP
>>> res.write("out/evac")                                    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import dijkstra

from safegeo._errors import SafegeoError
from safegeo.hazards import (
    HazardEdges,
    hazard_edge_costs,
    hazard_footprint,
    shelters_in_hazard,
)
from safegeo.network import RoadNetwork
from safegeo.routing import (
    forest_subtree_sums,
    nearest_sources,
    path_edge_load,
    route_geometries,
    single_source_paths,
    tree_edge_load,
    tree_path_sums,
    tree_paths,
    two_edge_components,
    undirected_bridges,
)
from safegeo.study import HazardSource, StudyArea

log = logging.getLogger(__name__)

__all__ = [
    "STATUSES",
    "UNREACHABLE_REASONS",
    "EvacuationError",
    "EvacuationResult",
    "assign_with_capacity",
    "demo_step",
    "evacuate",
    "evacuate_network",
    "greedy_nearest_fill",
]

#: Values of ``assignments.status``.
STATUSES = ("assigned", "beyond_max_time", "overflow", "unreachable")
#: Values of ``unreachable.reason``.
UNREACHABLE_REASONS = ("off_network", "isolated_by_hazard", "no_path", "no_eligible_shelter")
#: Map colour of unreachable origins (distinct from every shelter load colour).
UNREACHABLE_COLOUR = "#7b1fa2"
#: Thresholds (minutes) of the summary's "share within" columns.
SUMMARY_MINUTES = (15, 30, 60)


class EvacuationError(SafegeoError, ValueError):
    """Evacuation inputs cannot be used (missing columns, bad options)."""


# ---------------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------------
@dataclass
class EvacuationResult:
    """Everything one evacuation run found; every table is a (Geo)DataFrame in the study CRS.

    Attributes
    ----------
    assignments
        One row per origin and shelter share: ``origin_id``, ``shelter_id``
        (None for overflow / unreachable), ``population``, ``travel_time_s``,
        ``distance_m`` (NaN when there is no route), ``status`` (one of
        :data:`STATUSES`), ``reason``, ``is_nearest``, ``district_id``; origin points.
    routes
        One LineString per assigned share: ``origin_id``, ``shelter_id``,
        ``population``, ``travel_time_s``, ``travel_time_min``, ``distance_m``.
    unreachable
        Origins with no open path to any eligible shelter, with ``reason``.
    critical_roads
        Road segments ranked by the population at stake: ``isolated_population``
        (people cut off from every shelter if the segment is lost; bridges),
        ``evacuee_load`` (people routed over it), ``is_bridge``, ``rank``.
    edge_load
        Directed road edges carrying evacuees: ``load_people``.
    shelters
        Every shelter with ``eligible``, ``excluded_reason``, ``capacity``,
        ``assigned``, ``utilisation`` (assigned / capacity), ``over_capacity``.
    summary
        Per district (and tambon when the study has them): population, people
        and share within 15 / 30 / 60 min, overflow, unreachable, most-loaded shelter.
    comparison
        Greedy nearest-shelter assignment against the capacity-aware optimum
        (people served, overflow, total person-hours, mean minutes).
    hazard_edges
        Per-edge hazard effect (:class:`~safegeo.hazards.HazardEdges`).
    hazard_areas
        Hazard footprints (rasters polygonised) for maps.
    settings
        The options used.
    """

    assignments: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    unreachable: gpd.GeoDataFrame
    critical_roads: gpd.GeoDataFrame
    edge_load: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    hazard_edges: HazardEdges
    hazard_areas: gpd.GeoDataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    districts: gpd.GeoDataFrame | None = None
    synthetic: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    # -- quick facts ----------------------------------------------------------------------------
    @property
    def population(self) -> float:
        return float(self.assignments["population"].sum())

    def people(self, status: str) -> float:
        """People with *status* (one of :data:`STATUSES`)."""
        a = self.assignments
        return float(a.loc[a["status"] == status, "population"].sum())

    def report_lines(self) -> list[str]:
        """A short plain-text report (for the CLI and notebooks)."""
        s = self.settings
        sh = self.shelters
        n_elig = int(sh["eligible"].sum())
        counts = sh.loc[~sh["eligible"], "excluded_reason"].value_counts()
        excluded = " | ".join(f"{k} ({v})" for k, v in counts.items())
        lines = [
            f"Hazards: {', '.join(s.get('hazards', [])) or 'none'}; {self.hazard_edges.summary()}",
            f"Shelters: {n_elig} of {len(sh)} eligible" + (f" ({len(sh) - n_elig} excluded: {excluded})" if excluded else ""),
            (f"People: {self.population:,.0f}; assigned {self.people('assigned'):,.0f}, "
            f"beyond {s.get('max_minutes')} min {self.people('beyond_max_time'):,.0f}, "
            f"overflow {self.people('overflow'):,.0f}, unreachable {self.people('unreachable'):,.0f}"),
        ]
        a = self.assignments
        if "hazard_exit_m" in a.columns:
            wade = (a["status"] == "assigned") & (a["hazard_exit_m"] > 0)
            if wade.any():
                lines.append(f"Leaving a closed area first (on foot or by boat): {a.loc[wade, 'population'].sum():,.0f} "
                             f"people, median {a.loc[wade, 'hazard_exit_m'].median():,.0f} m through the hazard")
        over = sh["over_capacity"].to_numpy(float)
        if (over > 0).any():
            lines.append(f"Shelters over capacity: {int((over > 0).sum())} ({over.sum():,.0f} people above capacity: "
                         "this plan ignores capacities; plan with capacity on to respect them)")
        for _, r in self.comparison.iterrows():
            lines.append(f"  {r['method']:<16} served {r['people_served']:>10,.0f}  overflow {r['overflow']:>9,.0f}"
                         f"  mean {r['mean_minutes']:6.1f} min  total {r['person_hours']:,.0f} person-hours")
        if len(self.critical_roads):
            top = self.critical_roads.iloc[0]
            name = top.get("name")
            if isinstance(name, str) and name:
                label = name
            else:
                hw = top.get("highway")
                rid = top.get("road_id")
                label = (f"unnamed {hw if isinstance(hw, str) and hw else 'road'}"
                         + (f" (road_id {rid})" if rid is not None and not pd.isna(rid) else f" (edge {top['edge']})"))
            lines.append(f"Most critical road: {label} "
                         f"(isolates {top['isolated_population']:,.0f}, carries {top['evacuee_load']:,.0f})")
        return lines

    # -- output ---------------------------------------------------------------------------------
    def layers(self) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
        """The GeoPackage layers, by name."""
        return {
            "assignments": self.assignments,
            "routes": self.routes,
            "unreachable": self.unreachable,
            "critical_roads": self.critical_roads,
            "edge_load": self.edge_load,
            "shelters": self.shelters,
        }

    def map(self, *, lang: str = "en", public: bool = False, tiles: bool = True, title: str | None = None):
        """The evacuation map (:class:`~safegeo.maps.SafegeoMap`).

        Routes coloured by travel time, shelters sized by load against
        capacity, the hazard footprint, unreachable origins, critical roads,
        and districts with their summary in popups.
        """
        from safegeo.maps import SafegeoMap

        bounds = self.districts if self.districts is not None and len(self.districts) else None
        m = SafegeoMap(title=title or "Evacuation", lang=lang, bounds=bounds, public=public,
                       synthetic=self.synthetic, tiles=tiles)
        if self.districts is not None and len(self.districts):
            d = self.districts
            summ = self.summary[self.summary["level"] == "district"]
            cols = ["population", "share_within_15min", "share_within_30min", "share_within_60min", "overflow",
                    "unreachable", "most_loaded_shelter", "most_loaded_utilisation"]
            d = d.merge(summ[["area_id", *cols]], left_on="district_id", right_on="area_id", how="left")
            names = [c for c in ("name_en", "name_th") if c in d.columns]
            m.add_polygons(d, name="districts", fill_column="share_within_30min", cmap="RdYlGn", vmin=0, vmax=1,
                           tooltip=[*names[:1], "share_within_30min"], popup=[*names, *cols])
        if len(self.hazard_areas):
            m.add_polygons(self.hazard_areas, name="hazards", color="#3366cc", fill_color="#3366cc",
                           fill_opacity=0.35, tooltip=["hazard", "kind", "severity"])
        closed = self.settings.get("_closed_edges")
        if closed is not None and len(closed):
            m.add_lines(closed, name="closed_roads", color="#555555", weight=2, tooltip=["reason"])
        if len(self.routes):
            m.add_lines(self.routes, name="routes", color_column="travel_time_min", cmap="YlOrRd", weight=3,
                        tooltip=["origin_id", "shelter_id", "population", "travel_time_min", "distance_m"])
        if len(self.critical_roads):
            m.add_lines(self.critical_roads, name="critical_roads", color="#000000", weight=6,
                        tooltip=["name", "isolated_population", "evacuee_load", "rank"])
        sh = self.shelters.copy()
        sh["load_pct"] = np.round(100 * sh["utilisation"].astype(float), 0)
        sh["load_class"] = np.select(
            [~sh["eligible"], sh["over_capacity"] > 0, sh["utilisation"] >= 0.9, sh["assigned"] > 0],
            ["excluded", "over_capacity", "nearly_full", "in_use"], "unused")
        # size by load against capacity on a fixed scale (empty 4 px, full ~12 px, 150 % and more 14 px): the
        # map scales a radius column between its own min and max, so hand it (r - r_min)^2 and that range
        want = 4.0 + 10.0 * np.sqrt(np.clip(np.nan_to_num(sh["utilisation"].to_numpy(float), posinf=1.5), 0.0, 1.5)
                                    / 1.5)
        r_lo, r_hi = (float(want.min()), float(want.max())) if len(want) else (4.0, 4.0)
        sh["radius_load"] = (want - r_lo) ** 2
        names = [c for c in ("name_en", "name_th") if c in sh.columns]
        m.add_points(sh, name="shelters", color_column="load_class", radius_column="radius_load",
                     radius_range=(r_lo, r_hi),
                     categories={"unused": "#9e9e9e", "in_use": "#2ca02c", "nearly_full": "#ff7f0e",
                                 "over_capacity": "#d62728", "excluded": "#000000"},
                     tooltip=[*names[:1], "shelter_id", "assigned", "capacity", "load_pct"],
                     popup=[*names, "shelter_id", "kind", "capacity", "assigned", "load_pct", "excluded_reason"])
        if len(self.unreachable):
            # purple: red already means "over capacity" among the shelters
            m.add_points(self.unreachable, name="unreachable", color=UNREACHABLE_COLOUR, radius=8,
                         tooltip=["origin_id", "population", "reason"])
        return m

    def write(self, out_dir: str | Path, *, lang: str = "en", public: bool = False, tiles: bool = True,
              title: str | None = None) -> list[Path]:
        """Write ``evacuation.html``, ``evacuation.gpkg`` and ``summary.csv`` into *out_dir* (atomically).

        Returns
        -------
        list of Path
            The map first, then the GeoPackage and the CSV.
        """
        from safegeo.io import write_csv, write_gpkg

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        html = self.map(lang=lang, public=public, tiles=tiles, title=title).save(out / "evacuation.html")
        layers = self.layers()
        if public:
            from safegeo.schema import drop_sensitive

            layers = {k: drop_sensitive(v) for k, v in layers.items()}
        gpkg = write_gpkg(out / "evacuation.gpkg", layers, geometry_types=GPKG_GEOMETRY_TYPES)
        csv = write_csv(out / "summary.csv", self.summary)
        return [html, gpkg, csv]


# ---------------------------------------------------------------------------------------------
# study-level adapter
# ---------------------------------------------------------------------------------------------
#: Declared geometry type of each GeoPackage layer (so an empty layer is still typed for QGIS).
GPKG_GEOMETRY_TYPES = {"assignments": "Point", "routes": "LineString", "unreachable": "Point",
                       "critical_roads": "LineString", "edge_load": "LineString", "shelters": "Point"}


def evacuate(
    study: StudyArea,
    *,
    hazards: str | Sequence[HazardSource] | None = None,
    origins: str | gpd.GeoDataFrame = "villages",
    population_column: str = "population",
    weight: str = "time",
    mode: str | None = None,
    capacity: bool = True,
    max_minutes: float | None = None,
    k_nearest: int | None = None,
    max_snap_m: float | None = None,
    severity_speed_factor: dict[str, float] | None = None,
    depth_threshold_m: float | None = None,
    at_risk_within_m: float | None = None,
    hazard_exit_kph: float | None = None,
    routes: bool = True,
) -> EvacuationResult:
    """Plan the evacuation of a study area for a hazard scenario.

    Parameters
    ----------
    study
        The study area (:func:`~safegeo.study.load_study`).
    hazards
        ``None``: every hazard of the study; a name or kind (``"flood"``):
        the matching entries (:meth:`StudyArea.hazard`); ``"none"`` or ``[]``:
        no hazard; or a list of :class:`HazardSource`.
    origins
        ``"villages"`` (weighted by ``population``), ``"nodes"`` (every
        network node, weight 1), or any point GeoDataFrame (weighted by
        *population_column* when it has one, else 1 each).
    weight
        ``"time"`` (fastest routes) or ``"length"`` (shortest routes).
    mode
        Network mode, ``"drive"`` or ``"walk"`` (default ``[network] mode``).
    capacity
        Assign with shelter capacities (exact LP); otherwise everyone goes to
        the nearest eligible shelter.
    max_minutes
        Longest acceptable travel time (default ``[evacuation] max_minutes``, 60).
    k_nearest
        Shelters considered per origin in the capacity assignment (default
        ``[evacuation] k_nearest``, 20).
    max_snap_m
        Farthest an origin or shelter may be from a road (default ``[network] max_snap_m``).
    severity_speed_factor, depth_threshold_m
        Hazard effect on roads (see :func:`~safegeo.hazards.hazard_edge_costs`).
        *depth_threshold_m* given here applies to every raster; otherwise
        each raster entry's own ``depth_threshold_m`` is used, and
        ``[evacuation] depth_threshold_m`` (0.3 m) for entries without one.
    at_risk_within_m
        Evacuate only origins within this distance (m) of the hazard
        footprint (default ``[evacuation] at_risk_within_m`` when set, else
        every origin).
    hazard_exit_kph
        Speed (km/h: on foot, by small boat) at which people whose road is
        closed on every side may still *leave* the closed area along its
        closed roads, out to the first junction with an open road (default
        ``[evacuation] hazard_exit_kph``, 3).  Nobody may enter a closed area
        this way, so a village cut off by a closed bridge stays
        ``isolated_by_hazard``.  ``0`` disables it: everyone inside a closed
        area is then isolated.
    routes
        Build route geometries (turn off for very many origins).

    Returns
    -------
    EvacuationResult

    Raises
    ------
    StudyFileError
        The study has no shelters / villages layer, or no hazard of that name.
    EvacuationError
        Bad options or unusable columns.
    """
    ev = study.params.get("evacuation", {})
    net_p = study.params.get("network", {})
    if isinstance(hazards, str):
        hz = [] if hazards.lower() == "none" else study.hazard(hazards)
    elif hazards is None:
        hz = study.hazard(None)
    else:
        hz = list(hazards)
    if depth_threshold_m is None and ev.get("depth_threshold_m") is not None:
        # the study-wide default fills in only for entries without their own depth_threshold_m
        hz = [h if not h.is_raster or h.depth_threshold_m is not None
              else dataclasses.replace(h, depth_threshold_m=float(ev["depth_threshold_m"])) for h in hz]
    if isinstance(origins, str):
        if origins == "villages":
            org = study.layer("villages")
            id_col = "village_id"
        elif origins == "nodes":
            org = None
            id_col = None
        else:
            raise EvacuationError(f"unknown origins {origins!r}", hint="use 'villages', 'nodes' or a point GeoDataFrame")
    else:
        org = origins
        id_col = None
    network = study.network(mode)
    if org is None:
        org = network.nodes_gdf().rename(columns={"node": "origin_id"}).drop(columns=["node_id"])
        id_col = "origin_id"
    tambons = study.layers.get("tambons")
    return evacuate_network(
        network, org, study.layer("shelters"), hazards=hz, population_column=population_column,
        origin_id_column=id_col, weight=weight, capacity=capacity,
        max_minutes=float(max_minutes if max_minutes is not None else ev.get("max_minutes", 60.0)),
        k_nearest=int(k_nearest if k_nearest is not None else ev.get("k_nearest", 20)),
        max_snap_m=float(max_snap_m if max_snap_m is not None else net_p.get("max_snap_m", 500.0)),
        severity_speed_factor=severity_speed_factor or ev.get("severity_speed_factor"),
        depth_threshold_m=depth_threshold_m,
        at_risk_within_m=at_risk_within_m if at_risk_within_m is not None else ev.get("at_risk_within_m"),
        hazard_exit_kph=float(hazard_exit_kph if hazard_exit_kph is not None else ev.get("hazard_exit_kph", 3.0)),
        routes=routes, districts=study.layers.get("districts"), tambons=tambons,
        synthetic=study.synthetic,
    )


# ---------------------------------------------------------------------------------------------
# core
# ---------------------------------------------------------------------------------------------
def evacuate_network(
    network: RoadNetwork,
    origins: gpd.GeoDataFrame,
    shelters: gpd.GeoDataFrame,
    *,
    hazards: Sequence[HazardSource] = (),
    population_column: str = "population",
    origin_id_column: str | None = None,
    weight: str = "time",
    capacity: bool = True,
    max_minutes: float = 60.0,
    k_nearest: int = 20,
    max_snap_m: float = 500.0,
    severity_speed_factor: dict[str, float] | None = None,
    depth_threshold_m: float | None = None,
    at_risk_within_m: float | None = None,
    hazard_exit_kph: float = 3.0,
    routes: bool = True,
    districts: gpd.GeoDataFrame | None = None,
    tambons: gpd.GeoDataFrame | None = None,
    n_loaded_roads: int = 20,
    synthetic: bool = False,
) -> EvacuationResult:
    """Evacuation on a road network (the core; :func:`evacuate` prepares its inputs from a study).

    Parameters
    ----------
    network
        Road network in a projected CRS.
    origins
        Points to evacuate (villages, buildings, nodes).
    shelters
        Points with ``shelter_id``, ``capacity`` (people) and optionally
        ``safe_for`` (comma-separated hazard kinds; empty = safe for all).
    hazards
        The hazard scenario (may be empty).
    population_column
        People per origin; when the column is absent every origin counts 1.
    origin_id_column
        Column with origin ids (default: ``village_id``, ``id`` or the row number).
    weight, capacity, max_minutes, k_nearest, max_snap_m, severity_speed_factor, depth_threshold_m, at_risk_within_m, routes
        As for :func:`evacuate`.
    hazard_exit_kph
        As for :func:`evacuate`; the metres walked (or boated) out of a closed
        area are in ``assignments.hazard_exit_m``.
    districts, tambons
        Areas for the summary (optional).
    n_loaded_roads
        How many of the most-loaded segments join the bridges in ``critical_roads``.

    Returns
    -------
    EvacuationResult
    """
    t0 = time.perf_counter()
    seconds: dict[str, float] = {}
    if weight not in ("time", "length"):
        raise EvacuationError(f"unknown weight {weight!r}", hint="use 'time' or 'length'")
    if not max_minutes > 0:
        raise EvacuationError(f"max_minutes must be positive, got {max_minutes}")
    if k_nearest < 1:
        raise EvacuationError(f"k_nearest must be at least 1, got {k_nearest}")
    crs = network.crs
    org = _prepare_origins(origins, crs, population_column, origin_id_column)
    sh = _prepare_shelters(shelters, crs)
    areas = hazard_footprint(hazards, crs, depth_threshold_m=depth_threshold_m)
    if at_risk_within_m is not None:
        near = np.zeros(len(org), bool)
        if len(areas):
            oi, _ = shapely.STRtree(areas.geometry.values).query(org.geometry.values, predicate="dwithin",
                                                                   distance=float(at_risk_within_m))
            near[oi] = True
        log.info("%d of %d origins within %g m of the hazard", int(near.sum()), len(org), at_risk_within_m)
        org = org[near].reset_index(drop=True)
    n_o = len(org)
    max_s = max_minutes * 60.0

    # hazard-aware costs
    he = hazard_edge_costs(network, hazards, weight="time", severity_speed_factor=severity_speed_factor,
                           depth_threshold_m=depth_threshold_m)
    time_cost = he.cost
    len_cost = np.where(he.closed, np.inf, network.length_m)
    # people inside a closed area (every road out of their junction closed) may still leave it along the
    # closed roads, slowly, to the first junction with an open road; nobody can enter that way
    exit_edge = np.zeros(network.n_edges, bool)
    if hazard_exit_kph and hazard_exit_kph > 0 and he.closed.any():
        out_deg = np.bincount(network.u, minlength=network.n_nodes)
        open_out = np.bincount(network.u[~he.closed], minlength=network.n_nodes)
        inside = (out_deg > 0) & (open_out == 0)
        exit_edge = he.closed & inside[network.u]
        time_cost = np.where(exit_edge, network.length_m / (hazard_exit_kph / 3.6), time_cost)
        len_cost = np.where(exit_edge, network.length_m, len_cost)
    exit_len = np.where(exit_edge, network.length_m, 0.0)
    cost = time_cost if weight == "time" else len_cost
    he_out = he if weight == "time" else HazardEdges(len_cost, he.closed, he.speed_factor, he.reason, "length")
    seconds["hazards"] = time.perf_counter() - t0

    # snapping
    osnap = network.snap(org, max_snap_m=max_snap_m)
    ssnap = network.snap(sh, max_snap_m=max_snap_m)
    onode = osnap.node

    # shelter eligibility
    kinds = sorted({h.kind for h in hazards})
    inside = shelters_in_hazard(sh, hazards)
    reasons = np.full(len(sh), "", dtype=object)

    def exclude(mask: np.ndarray, text: np.ndarray | str) -> None:
        txt = np.broadcast_to(np.asarray(text, dtype=object), mask.shape)
        reasons[:] = np.where(mask & (reasons == ""), txt, np.where(mask, reasons + "; " + txt, reasons))

    exclude(inside["in_hazard"].to_numpy(), np.array(["inside hazard " + n for n in inside["hazard_names"]], dtype=object))
    if kinds and "safe_for" in sh.columns:
        safe = sh["safe_for"].fillna("").astype(str).str.lower()
        listed = safe.str.strip() != ""
        for k in kinds:
            ok = safe.apply(lambda s, k=k: k.lower() in {p.strip() for p in s.split(",")})
            exclude((listed & ~ok).to_numpy(), f"not safe for {k}")
    exclude(sh["capacity"].to_numpy(float) <= 0, "no capacity")
    exclude(~ssnap.ok, f"farther than {max_snap_m:g} m from a road")
    eligible = reasons == ""
    elig_idx = np.flatnonzero(eligible)
    snode = ssnap.node

    # nearest shelter for every origin: one multi-source pass on the reversed hazard-aware graph
    t = time.perf_counter()
    csr = network.csr(weight, reverse=True) if not hazards or not (he.closed.any() or he.slowed.any()) \
        else network.csr(cost, reverse=True)
    n_nodes = network.n_nodes
    o_ok = osnap.ok
    if len(elig_idx):
        tree = nearest_sources(csr, snode[elig_idx])
        reached = o_ok & (tree.source[np.where(o_ok, onode, 0)] >= 0)
    else:
        tree = None
        reached = np.zeros(n_o, bool)
    seconds["nearest"] = time.perf_counter() - t

    # unreachable reasons
    reason_u = np.full(n_o, "", dtype=object)
    reason_u[~o_ok] = "off_network"
    pending = o_ok & ~reached
    if pending.any():
        if len(elig_idx) == 0:
            reason_u[pending] = "no_eligible_shelter"
        elif he.closed.any():
            free = nearest_sources(network.csr(weight, reverse=True), snode[elig_idx])
            ok_free = free.source[onode[pending]] >= 0
            idx = np.flatnonzero(pending)
            reason_u[idx[ok_free]] = "isolated_by_hazard"
            reason_u[idx[~ok_free]] = "no_path"
        else:
            reason_u[pending] = "no_path"

    pop = org["_population"].to_numpy(float)
    ro = np.flatnonzero(reached)
    rnode = onode[ro]

    # nearest-shelter answer (always computed: it is the greedy baseline)
    t = time.perf_counter()
    if tree is not None and len(ro):
        next_edge = tree.next_edge()
        step_t = np.where(next_edge >= 0, time_cost[np.maximum(next_edge, 0)], 0.0)
        step_l = np.where(next_edge >= 0, network.length_m[np.maximum(next_edge, 0)], 0.0)
        near_time = tree_path_sums(tree.pred, step_t)[rnode]
        near_dist = tree_path_sums(tree.pred, step_l)[rnode]
        near_exit = tree_path_sums(tree.pred, np.where(next_edge >= 0, exit_len[np.maximum(next_edge, 0)], 0.0))[rnode]
        near_sh = elig_idx[tree.source[rnode]]
    else:
        next_edge = None
        near_time = near_dist = near_exit = np.zeros(0)
        near_sh = np.zeros(0, np.int64)
    seconds["nearest_values"] = time.perf_counter() - t

    # greedy fill of the nearest assignment (baseline)
    greedy_served = greedy_nearest_fill(near_sh, near_time, pop[ro], sh["capacity"].to_numpy(float),
                                        max_travel_s=max_s)

    t = time.perf_counter()
    rows: list[pd.DataFrame] = []
    edge_load = np.zeros(network.n_edges)
    route_geom = np.zeros(0, dtype=object)
    if capacity and len(ro):
        flows, over, cand_cost = assign_with_capacity(
            csr, rnode, pop[ro], snode[elig_idx], sh["capacity"].to_numpy(float)[elig_idx],
            k_nearest=k_nearest, max_cost=max_s if weight == "time" else np.inf,
            edge_time_s=None if weight == "time" else time_cost, max_time_s=max_s)
        # flows: sparse (origin position in ro, eligible position) -> people
        fo, fs, fp = flows
        near_pos = np.searchsorted(elig_idx, near_sh)
        # origins with nobody to move get no flow and no overflow from the LP: every origin still gets a
        # row, at its nearest shelter (0 people) when that is within the limit, else a 0-people overflow row
        has_row = np.zeros(len(ro), bool)
        has_row[fo] = True
        has_row[over > 1e-9] = True
        empty = np.flatnonzero(~has_row)
        empty_near = empty[near_time[empty] <= max_s + 1e-9]
        fo = np.r_[fo, empty_near].astype(np.int64)
        fs = np.r_[fs, near_pos[empty_near]].astype(np.int64)
        fp = np.r_[fp, np.zeros(len(empty_near))]
        empty_far = np.setdiff1d(empty, empty_near)
        is_nearest = fs == near_pos[fo]
        tt = np.full(len(fo), np.nan)
        dd = np.full(len(fo), np.nan)
        xx = np.full(len(fo), np.nan)
        geo = np.full(len(fo), None, dtype=object)
        for s in np.unique(fs):
            sel = np.flatnonzero(fs == s)
            _, paths = single_source_paths(csr, int(snode[elig_idx[s]]), rnode[fo[sel]])
            pidx = paths.edge_path_index()
            tt[sel] = np.bincount(pidx, weights=time_cost[paths.edges], minlength=len(sel))
            dd[sel] = np.bincount(pidx, weights=network.length_m[paths.edges], minlength=len(sel))
            xx[sel] = np.bincount(pidx, weights=exit_len[paths.edges], minlength=len(sel))
            edge_load += path_edge_load(paths, fp[sel], network.n_edges)
            if routes:
                geo[sel] = route_geometries(network, paths)
        rows.append(pd.DataFrame({"_o": ro[fo], "_s": elig_idx[fs], "population": fp, "travel_time_s": tt,
                                  "distance_m": dd, "hazard_exit_m": xx, "status": "assigned", "reason": "",
                                  "is_nearest": is_nearest}))
        route_geom = geo
        ov = over > 1e-9
        ov[empty_far] = True
        reason_ov = np.where(np.isfinite(cand_cost), f"no shelter capacity within {max_minutes:g} min",
                             f"no shelter within {max_minutes:g} min").astype(object)
        # the LP only looks at each origin's k nearest shelters: say so when one with room left is within reach
        cap_e = sh["capacity"].to_numpy(float)[elig_idx]
        room = cap_e - np.bincount(fs, weights=fp, minlength=len(elig_idx)) > 1e-9
        if ov.any() and room.any():
            spare = nearest_sources(csr, snode[elig_idx[room]], limit=max_s if weight == "time" else np.inf)
            ne_sp = spare.next_edge()
            t_sp = tree_path_sums(spare.pred, np.where(ne_sp >= 0, time_cost[np.maximum(ne_sp, 0)], 0.0))
            missed = ov & (spare.source[rnode] >= 0) & (t_sp[rnode] <= max_s + 1e-9)
            reason_ov[missed] = (f"shelters with room within {max_minutes:g} min are not among the "
                                 f"{k_nearest} nearest (raise k_nearest)")
        rows.append(pd.DataFrame({"_o": ro[ov], "_s": -1, "population": over[ov], "travel_time_s": np.nan,
                                  "distance_m": np.nan, "status": "overflow", "reason": reason_ov[ov],
                                  "is_nearest": False}))
    elif len(ro):
        status = np.where(near_time <= max_s + 1e-9, "assigned", "beyond_max_time")
        rows.append(pd.DataFrame({"_o": ro, "_s": near_sh, "population": pop[ro], "travel_time_s": near_time,
                                  "distance_m": near_dist, "hazard_exit_m": near_exit, "status": status,
                                  "reason": np.where(status == "assigned", "", f"nearest shelter over {max_minutes:g} min"),
                                  "is_nearest": True}))
        edge_load = tree_edge_load(tree.pred, next_edge, np.bincount(rnode, weights=pop[ro], minlength=n_nodes),
                                   network.n_edges)
        if routes:
            paths = tree_paths(tree, rnode, next_edge=next_edge)
            route_geom = route_geometries(network, paths)
    un = np.flatnonzero(~reached)
    rows.append(pd.DataFrame({"_o": un, "_s": -1, "population": pop[un], "travel_time_s": np.nan,
                              "distance_m": np.nan, "status": "unreachable", "reason": reason_u[un],
                              "is_nearest": False}))
    seconds["assign_routes"] = time.perf_counter() - t

    a = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else rows[-1]
    n_assigned_rows = len(rows[0]) if len(ro) else 0
    ids = org["_origin_id"].to_numpy(object)
    sids = sh["shelter_id"].to_numpy(object)
    a.insert(0, "origin_id", ids[a["_o"].to_numpy()])
    a.insert(1, "shelter_id", np.where(a["_s"].to_numpy() >= 0, sids[np.maximum(a["_s"].to_numpy(), 0)], None))
    district = _area_of(org, districts, "district_id")
    a["district_id"] = district[a["_o"].to_numpy()]
    a["population"] = a["population"].astype(float)
    assignments = gpd.GeoDataFrame(a.drop(columns=["_o", "_s"]), geometry=org.geometry.values[a["_o"].to_numpy()],
                                   crs=crs)

    # routes layer
    if routes and n_assigned_rows:
        ra = a.iloc[:n_assigned_rows]
        keep = np.array([g is not None for g in route_geom], dtype=bool)
        rt = ra.loc[keep, ["origin_id", "shelter_id", "population", "travel_time_s", "distance_m", "status"]].copy()
        rt["travel_time_min"] = np.round(rt["travel_time_s"] / 60.0, 1)
        routes_gdf = gpd.GeoDataFrame(rt.reset_index(drop=True), geometry=list(route_geom[keep]), crs=crs)
    else:
        routes_gdf = gpd.GeoDataFrame({c: [] for c in ("origin_id", "shelter_id", "population", "travel_time_s",
                                                       "distance_m", "status", "travel_time_min")},
                                      geometry=[], crs=crs)

    # unreachable layer
    ur = org.iloc[un]
    unreachable = gpd.GeoDataFrame({"origin_id": ids[un], "population": pop[un], "reason": reason_u[un],
                                    "district_id": district[un]}, geometry=ur.geometry.values, crs=crs)
    for c in ("name_en", "name_th"):
        if c in org.columns:
            unreachable[c] = org[c].to_numpy()[un]

    # shelters layer
    assigned_mask = a["_s"].to_numpy() >= 0
    load = np.bincount(a["_s"].to_numpy()[assigned_mask], weights=a["population"].to_numpy()[assigned_mask],
                       minlength=len(sh))
    sh_out = sh.drop(columns=["_row"], errors="ignore").copy()
    sh_out["eligible"] = eligible
    sh_out["excluded_reason"] = reasons
    sh_out["assigned"] = load
    cap = sh_out["capacity"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sh_out["utilisation"] = np.where(cap > 0, load / np.where(cap > 0, cap, 1), np.where(load > 0, np.inf, 0.0))
    sh_out["over_capacity"] = np.maximum(load - cap, 0.0)
    sh_out["snap_m"] = np.where(ssnap.ok, ssnap.snap_m, np.nan)

    # edge load & critical roads
    t = time.perf_counter()
    edges_used = np.flatnonzero(edge_load > 0)
    edge_load_gdf = _edges_frame(network, edges_used, {"load_people": edge_load[edges_used]})
    edge_load_gdf = edge_load_gdf.sort_values("load_people", ascending=False, kind="stable").reset_index(drop=True)
    critical = _critical_roads(network, he.closed, reached, onode, pop, snode[elig_idx], edge_load, n_loaded_roads)
    seconds["critical"] = time.perf_counter() - t

    # comparison and summary
    comparison = _comparison(capacity, a, near_time, pop[ro], greedy_served, max_s)
    summary = _summary(a, org, district, districts, tambons, sh_out, max_s)
    closed_gdf = _edges_frame(network, np.flatnonzero(he.closed), {"reason": he.reason[he.closed]})
    seconds["total"] = time.perf_counter() - t0
    settings = {"hazards": [h.name for h in hazards], "weight": weight, "mode": network.mode, "capacity": capacity,
                "max_minutes": max_minutes, "k_nearest": k_nearest, "max_snap_m": max_snap_m,
                "at_risk_within_m": at_risk_within_m,
                "_closed_edges": _undirected(closed_gdf)}
    log.info("evacuation: %d origins, %d eligible shelters, %.2f s", n_o, len(elig_idx), seconds["total"])
    return EvacuationResult(assignments, routes_gdf, unreachable, critical, edge_load_gdf, sh_out, summary, comparison,
                            he_out, areas, settings, districts, synthetic, seconds)


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------
def _prepare_origins(origins: gpd.GeoDataFrame, crs: CRS, population_column: str,
                     id_column: str | None) -> gpd.GeoDataFrame:
    if not isinstance(origins, gpd.GeoDataFrame):
        raise EvacuationError("origins must be a GeoDataFrame of points")
    if origins.crs is None:
        from safegeo._errors import CRSError

        raise CRSError("origins: the layer has no CRS", hint="set its CRS (e.g. gdf.set_crs('EPSG:4326'))")
    org = origins.to_crs(crs) if CRS.from_user_input(origins.crs) != crs else origins
    org = org.reset_index(drop=True)
    types = shapely.get_type_id(org.geometry.values)
    if len(org) and not np.all(types == 0):
        bad = np.flatnonzero(types != 0)[:10] + 1
        raise EvacuationError(f"origins must be points; rows {', '.join(map(str, bad))} are not",
                              hint="use centroids (gdf.geometry.centroid) for buildings")
    if population_column in org.columns:
        p = pd.to_numeric(org[population_column], errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(p) | (p < 0))
        if len(bad):
            raise EvacuationError(f"origins: column '{population_column}' has {len(bad)} missing or negative values "
                                  f"(rows {', '.join(str(b + 1) for b in bad[:10])})", hint="population must be >= 0")
    else:
        p = np.ones(len(org))
    if id_column is None:
        id_column = next((c for c in ("village_id", "origin_id", "id") if c in org.columns), None)
    ids = org[id_column].to_numpy(object) if id_column is not None else np.arange(len(org)).astype(object)
    return org.assign(_population=p, _origin_id=ids)


def _prepare_shelters(shelters: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    missing = [c for c in ("shelter_id", "capacity") if c not in shelters.columns]
    if missing:
        raise EvacuationError(f"shelters: missing column(s) {', '.join(missing)}",
                              hint="shelters need shelter_id and capacity (people)")
    if len(shelters) == 0:
        raise EvacuationError("shelters: the layer is empty", hint="add at least one shelter")
    if shelters.crs is None:
        from safegeo._errors import CRSError

        raise CRSError("shelters: the layer has no CRS")
    sh = shelters.to_crs(crs) if CRS.from_user_input(shelters.crs) != crs else shelters
    sh = sh.reset_index(drop=True).copy()
    sh["capacity"] = pd.to_numeric(sh["capacity"], errors="coerce").fillna(0).astype(float)
    return sh


def _area_of(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, id_col: str) -> np.ndarray:
    """Id of the area containing each point (None outside all areas)."""
    out = np.full(len(points), None, dtype=object)
    if areas is None or len(areas) == 0 or id_col not in areas.columns or len(points) == 0:
        return out
    ar = areas.to_crs(points.crs) if CRS.from_user_input(areas.crs) != CRS.from_user_input(points.crs) else areas
    tree = shapely.STRtree(ar.geometry.values)
    pi, ai = tree.query(points.geometry.values, predicate="intersects")
    first = np.unique(pi, return_index=True)[1]
    out[pi[first]] = ar[id_col].to_numpy(object)[ai[first]]
    return out


# ---------------------------------------------------------------------------------------------
# capacity-aware assignment
# ---------------------------------------------------------------------------------------------
def greedy_nearest_fill(nearest: np.ndarray, travel_s: np.ndarray, population: np.ndarray, capacity: np.ndarray,
                        *, max_travel_s: float = np.inf) -> np.ndarray:
    """People served when everyone goes to the nearest shelter and shelters fill first-come (nearest first).

    Parameters
    ----------
    nearest
        Shelter row per origin.
    travel_s
        Travel time to it; origins beyond *max_travel_s* are not served.
    population, capacity
        People per origin; capacity per shelter row.

    Returns
    -------
    numpy.ndarray
        People served per origin (the rest overflow).
    """
    n = len(nearest)
    if n == 0:
        return np.zeros(0)
    order = np.lexsort((travel_s, nearest))
    s = nearest[order]
    p = np.where(travel_s[order] <= max_travel_s + 1e-9, population[order], 0.0)
    cum = np.cumsum(p)
    start = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    base = np.repeat(cum[start] - p[start], np.diff(np.r_[start, n]))
    before = cum - p - base
    served = np.clip(capacity[s] - before, 0.0, p)
    out = np.zeros(n)
    out[order] = served
    return out


def assign_with_capacity(
    csr,
    origin_nodes: np.ndarray,
    population: np.ndarray,
    shelter_nodes: np.ndarray,
    capacity: np.ndarray,
    *,
    k_nearest: int = 20,
    max_cost: float = np.inf,
    edge_time_s: np.ndarray | None = None,
    max_time_s: float = np.inf,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
    """Exact capacity-constrained assignment (transportation problem, HiGHS).

    Each origin may use its *k_nearest* shelters reachable within *max_cost*
    (and, when *edge_time_s* is given, whose cost-shortest path takes at most
    *max_time_s*: for routing by length with a time limit).  Minimises the total people × cost plus a
    penalty per person left over, the penalty larger than any re-routing
    could save, so the number of people served is maximal first.

    Parameters
    ----------
    csr
        Reversed CSR graph of the routing cost.
    origin_nodes, population
        Origin nodes and people per origin.
    shelter_nodes, capacity
        Eligible shelters' nodes and capacities.

    Returns
    -------
    flows, overflow, best_cost
        ``flows = (origin position, shelter position, people)`` for every
        positive flow; ``overflow`` people per origin; ``best_cost`` the cost to
        the nearest candidate (``inf`` where none is within the limits).

    Raises
    ------
    EvacuationError
        When the solver fails.
    """
    from scipy.optimize import linprog

    n_o, n_s = len(origin_nodes), len(shelter_nodes)
    k = min(k_nearest, n_s)
    cost = np.full((n_s, n_o), np.inf)
    uniq, inv = np.unique(shelter_nodes, return_inverse=True)
    chunk = max(1, int(2e7 // max(csr.matrix.shape[0], 1)))
    for c0 in range(0, len(uniq), chunk):
        ids = uniq[c0:c0 + chunk]
        d = dijkstra(csr.matrix, directed=True, indices=ids, limit=max_cost)
        d = np.atleast_2d(d)[:, origin_nodes]
        if edge_time_s is not None and np.isfinite(max_time_s):
            # the time along each cost-shortest path must stay within the limit
            d = np.where(_time_on_cost_paths(csr, edge_time_s, ids, origin_nodes) <= max_time_s + 1e-9, d, np.inf)
        for j, node in enumerate(ids):
            cost[inv == c0 + j] = d[j]
    cost[cost > max_cost] = np.inf
    # k nearest finite candidates per origin
    if k < n_s:
        part = np.argpartition(cost, k - 1, axis=0)[:k]
    else:
        part = np.broadcast_to(np.arange(n_s)[:, None], (n_s, n_o))
    cand_s = part.T.ravel()
    cand_o = np.repeat(np.arange(n_o), part.shape[0])
    cc = cost[cand_s, cand_o]
    fin = np.isfinite(cc)
    cand_s, cand_o, cc = cand_s[fin], cand_o[fin], cc[fin]
    best = np.full(n_o, np.inf)
    np.minimum.at(best, cand_o, cc)
    nv = len(cc)
    if nv == 0:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)), population.astype(float).copy(), best
    # penalty: more than any augmenting path can cost (alternating path of at most min(n_o, n_s) pairs)
    scale = float(cc.max()) if cc.max() > 0 else 1.0
    c_norm = cc / scale
    penalty = float(min(n_o, n_s) + 1) * 2.0
    c = np.r_[c_norm, np.full(n_o, penalty)]
    # equality: per origin, flows + overflow = population
    a_eq = sp.csr_array((np.ones(nv + n_o), (np.r_[cand_o, np.arange(n_o)], np.r_[np.arange(nv), nv + np.arange(n_o)])),
                        shape=(n_o, nv + n_o))
    a_ub = sp.csr_array((np.ones(nv), (cand_s, np.arange(nv))), shape=(n_s, nv + n_o))
    res = linprog(c, A_ub=a_ub, b_ub=capacity.astype(float), A_eq=a_eq, b_eq=population.astype(float),
                  bounds=(0, None), method="highs")
    if res.status != 0 or res.x is None:
        raise EvacuationError(f"capacity assignment failed: {res.message}",
                              hint="try --no-capacity, or check shelter capacities and populations")
    x = res.x[:nv]
    over = res.x[nv:]
    # populations and capacities are whole people: the optimal vertex is integral; tidy solver noise
    if np.allclose(population, np.round(population)) and np.allclose(capacity, np.round(capacity)):
        x = np.round(x)
        over = np.round(over)
    pos = x > 1e-9
    return (cand_o[pos], cand_s[pos], x[pos]), np.maximum(over, 0.0), best


def _time_on_cost_paths(csr, edge_time_s: np.ndarray, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Travel time along each cost-shortest path from *targets* to each source (rows: sources)."""
    from safegeo.routing import tree_next_edge

    out = np.full((len(sources), len(targets)), np.inf)
    tt = np.asarray(edge_time_s, dtype=float)
    for j, s in enumerate(sources):
        d, pred = dijkstra(csr.matrix, directed=True, indices=int(s), return_predecessors=True)
        pred = np.where(pred >= 0, pred, -1)
        ne = tree_next_edge(csr, pred)
        step = np.where(ne >= 0, tt[np.maximum(ne, 0)], 0.0)
        sums = tree_path_sums(pred, step)
        out[j] = np.where(np.isfinite(d[targets]), sums[targets], np.inf)
    return out


# ---------------------------------------------------------------------------------------------
# critical roads
# ---------------------------------------------------------------------------------------------
def _edges_frame(network: RoadNetwork, edges: np.ndarray, cols: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    ed = network.edge_data
    df = pd.DataFrame({"edge": edges, "u": network.u[edges], "v": network.v[edges]})
    for c in ("name", "highway", "road_id", "bridge", "osmid"):
        if c in ed.columns:
            df[c] = ed[c].to_numpy()[edges]
    if "name" not in df.columns:
        df["name"] = None
    df["length_m"] = np.round(network.length_m[edges], 1)
    for k, v in cols.items():
        df[k] = v
    return gpd.GeoDataFrame(df, geometry=network.edge_geometries(edges) if len(edges) else [], crs=network.crs)


def _undirected(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if len(edges) == 0:
        return edges
    a = np.minimum(edges["u"], edges["v"])
    b = np.maximum(edges["u"], edges["v"])
    return edges[~pd.DataFrame({"a": a, "b": b}).duplicated().to_numpy()].reset_index(drop=True)


def _critical_roads(network: RoadNetwork, closed: np.ndarray, reached: np.ndarray, onode: np.ndarray,
                    pop: np.ndarray, shelter_nodes: np.ndarray, edge_load: np.ndarray,
                    n_loaded: int) -> gpd.GeoDataFrame:
    """Bridges of the open network with the population each isolates, plus the most-loaded segments."""
    n = network.n_nodes
    open_ = ~closed
    bridges = undirected_bridges(network, open_)
    isolated = np.zeros(len(bridges))
    if len(bridges) and len(shelter_nodes):
        comp = two_edge_components(network, open_, bridges)
        n_comp = int(comp.max()) + 1
        w = np.zeros((n_comp, 2))
        ro = np.flatnonzero(reached)
        np.add.at(w[:, 0], comp[onode[ro]], pop[ro])
        np.add.at(w[:, 1], comp[shelter_nodes], 1.0)
        ca, cb = comp[network.u[bridges]], comp[network.v[bridges]]
        parent, sub, label, totals = forest_subtree_sums(n_comp, ca, cb, w)
        child = np.where(parent[cb] == ca, cb, ca)
        sub_pop, sub_sh = sub[child, 0], sub[child, 1]
        tot = totals[label[child]]
        isolated = np.where(sub_sh == 0, sub_pop, np.where(tot[:, 1] - sub_sh == 0, tot[:, 0] - sub_pop, 0.0))
    # the load on a segment counts both directions
    a = np.minimum(network.u, network.v).astype(np.int64) * np.int64(n) + np.maximum(network.u, network.v)
    pair_load = pd.Series(edge_load).groupby(a).transform("sum").to_numpy()
    loaded = np.flatnonzero(edge_load > 0)
    if len(loaded):
        # one row per segment: the direction carrying more
        lo = pd.DataFrame({"e": loaded, "pair": a[loaded], "l": edge_load[loaded]}).sort_values(
            ["pair", "l"], ascending=[True, False]).drop_duplicates("pair")
        lo = lo.sort_values("l", ascending=False, kind="stable").head(n_loaded)["e"].to_numpy()
    else:
        lo = np.zeros(0, np.int64)
    crit_b = bridges[isolated > 0]
    rows = np.r_[crit_b, lo[~np.isin(a[lo], a[crit_b])]].astype(np.int64)
    iso_all = np.zeros(len(rows))
    iso_all[: len(crit_b)] = isolated[isolated > 0]
    df = _edges_frame(network, rows, {
        "isolated_population": iso_all,
        "evacuee_load": pair_load[rows] if len(rows) else np.zeros(0),
        "is_bridge": np.r_[np.ones(len(crit_b), bool), np.zeros(len(rows) - len(crit_b), bool)],
    })
    df["population_at_stake"] = np.maximum(df["isolated_population"], df["evacuee_load"])
    df = df.sort_values(["isolated_population", "evacuee_load"], ascending=False, kind="stable").reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    return df


# ---------------------------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------------------------
def _comparison(capacity: bool, a: pd.DataFrame, near_time: np.ndarray, near_pop: np.ndarray,
                greedy_served: np.ndarray, max_s: float) -> pd.DataFrame:
    total = float(a["population"].sum())
    rows = []
    served = float(greedy_served.sum())
    ph = float((greedy_served * near_time).sum()) / 3600.0
    rows.append({"method": "greedy_nearest", "people_served": served, "overflow": float(near_pop.sum()) - served,
                 "unreachable": float(a.loc[a["status"] == "unreachable", "population"].sum()),
                 "person_hours": ph, "mean_minutes": 60.0 * ph / served if served else np.nan, "population": total})
    if capacity:
        asg = a[a["status"] == "assigned"]
        served = float(asg["population"].sum())
        ph = float((asg["population"] * asg["travel_time_s"]).sum()) / 3600.0
        rows.append({"method": "capacity_optimal", "people_served": served,
                     "overflow": float(a.loc[a["status"] == "overflow", "population"].sum()),
                     "unreachable": float(a.loc[a["status"] == "unreachable", "population"].sum()),
                     "person_hours": ph, "mean_minutes": 60.0 * ph / served if served else np.nan,
                     "population": total})
    return pd.DataFrame(rows)


def _summary(a: pd.DataFrame, org: gpd.GeoDataFrame, district: np.ndarray, districts: gpd.GeoDataFrame | None,
             tambons: gpd.GeoDataFrame | None, shelters: gpd.GeoDataFrame, max_s: float) -> pd.DataFrame:
    frames = []
    for level, areas, col in (("district", districts, "district_id"), ("tambon", tambons, "tambon_id")):
        if areas is None or len(areas) == 0 or col not in areas.columns:
            continue
        area = district if level == "district" else _area_of(org, areas, col)
        aid = area[a["_o"].to_numpy()]
        p = a["population"].to_numpy(float)
        t = a["travel_time_s"].to_numpy(float)
        st = a["status"].to_numpy(object)
        # people with a shelter, at their travel time (with --no-capacity, also those beyond --max-minutes:
        # "within 60 min" is a fact about the trip, whatever the limit)
        routed = np.isin(st, ("assigned", "beyond_max_time"))
        df = pd.DataFrame({"area_id": aid, "population": p})
        for mins in SUMMARY_MINUTES:
            df[f"within_{mins}min"] = np.where(routed & (t <= mins * 60 + 1e-9), p, 0.0)
        df["beyond_max_time"] = np.where(st == "beyond_max_time", p, 0.0)
        df["overflow"] = np.where(st == "overflow", p, 0.0)
        df["unreachable"] = np.where(st == "unreachable", p, 0.0)
        g = df.groupby("area_id", dropna=True).sum(numeric_only=True)
        ids = areas[col].to_numpy(object)
        g = g.reindex(ids, fill_value=0.0)
        out = pd.DataFrame({"level": level, "area_id": ids})
        for c in ("name_en", "name_th"):
            if c in areas.columns:
                out[c] = areas[c].to_numpy(object)
        out["population"] = g["population"].to_numpy()
        for mins in SUMMARY_MINUTES:
            out[f"pop_within_{mins}min"] = g[f"within_{mins}min"].to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"share_within_{mins}min"] = np.round(np.where(out["population"] > 0,
                                                                   out[f"pop_within_{mins}min"] / out["population"],
                                                                   np.nan), 4)
        for c in ("beyond_max_time", "overflow", "unreachable"):
            out[c] = g[c].to_numpy()
        # most-loaded shelter located in the area
        sh_area = _area_of(shelters, areas, col)
        s = pd.DataFrame({"area_id": sh_area, "shelter_id": shelters["shelter_id"].to_numpy(object),
                          "u": shelters["utilisation"].to_numpy(float), "n": shelters["assigned"].to_numpy(float),
                          "elig": shelters["eligible"].to_numpy()})
        # fullest first; among equally full shelters, the one holding most people
        s = s[s["elig"] & s["area_id"].notna()].sort_values(["u", "n"], ascending=False, kind="stable")
        s = s.drop_duplicates("area_id")
        s = s.set_index("area_id")
        out["most_loaded_shelter"] = s["shelter_id"].reindex(ids).to_numpy(object)
        out["most_loaded_utilisation"] = np.round(s["u"].reindex(ids).to_numpy(float), 3)
        frames.append(out)
    if not frames:
        p = a["population"].to_numpy(float)
        t = a["travel_time_s"].to_numpy(float)
        st = a["status"].to_numpy(object)
        row: dict[str, Any] = {"level": "study", "area_id": "all", "population": p.sum()}
        for mins in SUMMARY_MINUTES:
            w = p[np.isin(st, ("assigned", "beyond_max_time")) & (t <= mins * 60 + 1e-9)].sum()
            row[f"pop_within_{mins}min"] = w
            row[f"share_within_{mins}min"] = round(w / p.sum(), 4) if p.sum() else np.nan
        for c in ("beyond_max_time", "overflow", "unreachable"):
            row[c] = p[st == c].sum()
        return pd.DataFrame([row])
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------
def demo_step(study: StudyArea, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """Run the evacuation on the demo study and write its outputs.

    Every hazard, capacities on, and the villages within 1 km of the flood
    evacuate (the demo's shelters hold about one person in seven).

    Returns
    -------
    list of Path
        ``evacuation.html`` first, then ``evacuation.gpkg`` and ``summary.csv``.
    """
    res = evacuate(study, at_risk_within_m=1000.0)
    for line in res.report_lines():
        log.info("%s", line)
    return res.write(Path(out_dir), lang=lang, title=f"{study.name}: evacuation")
