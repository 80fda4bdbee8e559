"""Evacuation planning: the study adapter :func:`evacuate` and the core :func:`evacuate_network`."""

from __future__ import annotations

import hashlib
import logging
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from safegeo._errors import EvacuationError
from safegeo._progress import Progress
from safegeo.areas import AreaIndex
from safegeo.evacuation.assign import greedy_nearest_fill
from safegeo.evacuation.critical import _critical_roads, _edges_frame, _undirected
from safegeo.evacuation.result import EvacuationResult
from safegeo.evacuation.summary import _comparison, _summary
from safegeo.evacuation.transport import solve_transport
from safegeo.hazards import HazardEdges, HazardScenario, HazardSource
from safegeo.kernels import k_nearest_sources, path_sums
from safegeo.network import RoadNetwork, attach_points, point_xy
from safegeo.routing import (
    nearest_sources,
    path_edge_load,
    route_geometries,
    tree_edge_load,
    tree_path_sums,
    tree_paths,
)
from safegeo.settings import resolve
from safegeo.study import StudyArea

log = logging.getLogger(__name__)


def evacuate(
    study: StudyArea,
    *,
    hazards: str | Sequence[HazardSource] | HazardScenario | None = None,
    origins: str | gpd.GeoDataFrame = "villages",
    population_column: str | None = "population",
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
    progress: Progress | None = None,
) -> EvacuationResult:
    """Plan the evacuation of a study area for a hazard scenario.

    Parameters
    ----------
    study
        The study area (:func:`~safegeo.study.load_study`).
    hazards
        ``None`` or ``"all"``: every hazard of the study; a name or kind
        (``"flood"``, or several separated by commas); ``"none"`` or ``[]``:
        no hazard; a list of :class:`HazardSource`; or a
        :class:`~safegeo.hazards.HazardScenario` (:meth:`StudyArea.scenario`).
    origins
        ``"villages"`` (weighted by ``population``), ``"nodes"`` (every
        network node, weight 1), or any point GeoDataFrame (buildings, ...)
        weighted by *population_column*.
    population_column
        People per origin for a GeoDataFrame of origins.  A layer without this
        column is an error naming the columns it has; ``None`` counts every
        origin as one person (say so explicitly).
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
        Origins and shelters join the road where they project on it (:func:`~safegeo.network.attach_points`).
    severity_speed_factor, depth_threshold_m
        Overrides of ``[hazards]`` for this run (see :meth:`StudyArea.scenario`).
        *depth_threshold_m* given here applies to every raster; otherwise
        each raster entry's own ``depth_threshold_m`` is used, and
        ``[hazards] depth_threshold_m`` (0.3 m) for entries without one.
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
    scenario = study.scenario(hazards, depth_threshold_m=depth_threshold_m,
                              severity_speed_factor=severity_speed_factor)
    ev = study.settings("evacuation", max_minutes=max_minutes, k_nearest=k_nearest, hazard_exit_kph=hazard_exit_kph,
                        at_risk_within_m=at_risk_within_m)
    net_p = study.settings("network", max_snap_m=max_snap_m, mode=mode)
    network = study.network(net_p["mode"])
    if isinstance(origins, str):
        if origins == "villages":
            org = study.layer("villages")
            id_col: str | None = "village_id"
        elif origins == "nodes":
            org = network.nodes_gdf().rename(columns={"node": "origin_id"}).drop(columns=["node_id"])
            id_col, population_column = "origin_id", None
        else:
            raise EvacuationError(f"unknown origins {origins!r}", hint="use 'villages', 'nodes' or a point GeoDataFrame")
    else:
        org, id_col = origins, None
    return evacuate_network(
        network, org, study.layer("shelters"), scenario=scenario, population_column=population_column,
        origin_id_column=id_col, weight=weight, capacity=capacity, max_minutes=ev["max_minutes"],
        k_nearest=ev["k_nearest"], max_snap_m=net_p["max_snap_m"], at_risk_within_m=ev["at_risk_within_m"],
        hazard_exit_kph=ev["hazard_exit_kph"], routes=routes, areas=study.areas,
        districts=study.layers.get("districts"), synthetic=study.synthetic, progress=progress,
    )


def evacuate_network(
    network: RoadNetwork,
    origins: gpd.GeoDataFrame,
    shelters: gpd.GeoDataFrame,
    *,
    scenario: HazardScenario | Sequence[HazardSource] = (),
    population_column: str | None = "population",
    origin_id_column: str | None = None,
    weight: str = "time",
    capacity: bool = True,
    max_minutes: float | None = None,
    k_nearest: int | None = None,
    max_snap_m: float | None = None,
    at_risk_within_m: float | None = None,
    hazard_exit_kph: float | None = None,
    routes: bool = True,
    areas: AreaIndex | None = None,
    districts: gpd.GeoDataFrame | None = None,
    tambons: gpd.GeoDataFrame | None = None,
    n_loaded_roads: int = 20,
    synthetic: bool = False,
    closed_edges: np.ndarray | None = None,
    critical: bool = True,
    reuse: dict | None = None,
    progress: Progress | None = None,
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
    scenario
        The hazard scenario (:class:`~safegeo.hazards.HazardScenario`), or
        hazard sources (a scenario is built with the default ``[hazards]``
        settings); may be empty.
    population_column
        People per origin (``None``: one each).
    origin_id_column
        Column with origin ids (default: ``village_id``, ``id`` or the row number).
    weight, capacity, max_minutes, k_nearest, max_snap_m, at_risk_within_m, routes
        As for :func:`evacuate` (None: the default of ``[evacuation]`` / ``[network]``).
    hazard_exit_kph
        As for :func:`evacuate`; the metres walked (or boated) out of a closed
        area are in ``assignments.hazard_exit_m``.
    areas
        Districts and tambons for the summary (:class:`~safegeo.areas.AreaIndex`);
        default: built from *districts* and *tambons*.
    districts, tambons
        Area polygons (optional; *districts* also frames the map).
    n_loaded_roads
        How many of the most-loaded segments join the bridges in ``critical_roads``.
    closed_edges
        Edge rows of *network* closed as well (a bridge that failed, a road
        closed in a scenario), on top of the hazard.  Nobody crosses them:
        unlike roads closed by a hazard, people do not leave along them at
        *hazard_exit_kph*.
    critical
        Find the critical roads (bridges of the open network); off for speed
        when only the assignments are wanted.
    reuse
        A dict kept by the caller between runs on the same network and points
        (scenario ensembles): the network with the points attached is built
        once and found there again.
    progress
        Called with each stage's name as it starts (the CLI's progress bar); stage
        times are logged at INFO level and kept in :attr:`EvacuationResult.seconds`.

    Returns
    -------
    EvacuationResult
    """
    t0 = time.perf_counter()
    seconds: dict[str, float] = {}
    step = progress or (lambda stage: None)
    step("attach")
    if weight not in ("time", "length"):
        raise EvacuationError(f"unknown weight {weight!r}", hint="use 'time' or 'length'")
    ev = resolve(None, "evacuation", max_minutes=max_minutes, k_nearest=k_nearest, hazard_exit_kph=hazard_exit_kph,
                 at_risk_within_m=at_risk_within_m)
    max_minutes, k_nearest, hazard_exit_kph = ev["max_minutes"], ev["k_nearest"], ev["hazard_exit_kph"]
    at_risk_within_m = ev["at_risk_within_m"]
    max_snap_m = resolve(None, "network", max_snap_m=max_snap_m)["max_snap_m"]
    if not isinstance(scenario, HazardScenario):
        scenario = HazardScenario.from_sources(list(scenario))
    if areas is None:
        areas = AreaIndex(districts, tambons)
    base_network = network
    crs = network.crs
    org = _prepare_origins(origins, crs, population_column, origin_id_column)
    sh = _prepare_shelters(shelters, crs)
    hazard_areas = scenario.footprint(crs)
    if at_risk_within_m is not None:
        near = np.zeros(len(org), bool)
        if len(hazard_areas):
            oi, _ = shapely.STRtree(hazard_areas.geometry.values).query(
                org.geometry.values, predicate="dwithin", distance=float(at_risk_within_m))
            near[oi] = True
        log.info("%d of %d origins within %g m of the hazard", int(near.sum()), len(org), at_risk_within_m)
        org = org[near].reset_index(drop=True)
    n_o = len(org)
    max_s = max_minutes * 60.0

    # origins and shelters join the roads where they stand: the network gets a node at each of them
    xy = np.vstack([point_xy(org, crs), point_xy(sh, crs)])
    key = ("attach", id(network), float(max_snap_m), hashlib.blake2b(xy.tobytes(), digest_size=16).hexdigest())
    hit = reuse.get(key) if reuse is not None else None
    if hit is not None and hit[0]() is network:
        network, attached = hit[1], hit[2]
    else:
        base_ref = weakref.ref(network)
        network, attached = attach_points(network, xy, max_snap_m=max_snap_m)
        if reuse is not None:  # many runs on the same points (scenario ensembles): attach once
            reuse[key] = (base_ref, network, attached)
    osnap, ssnap = attached.take(np.arange(n_o)), attached.take(np.arange(n_o, n_o + len(sh)))
    seconds["attach"] = time.perf_counter() - t0
    step("hazards")

    # hazard-aware costs (on the pieces of road each point stands on too)
    he = scenario.edges(network)
    cut = np.zeros(network.n_edges, bool)  # closed in the scenario (a failed bridge): nobody crosses, not even slowly
    if closed_edges is not None and len(closed_edges):
        parent = network.parent_edge if network.parent_edge is not None else np.arange(network.n_edges)
        cut = np.isin(parent, np.asarray(closed_edges, dtype=np.int64))
        extra = cut & ~he.closed
        if extra.any():
            reason = he.reason.copy()
            reason[extra] = "closed in the scenario"
            he = HazardEdges(np.where(extra, np.inf, he.cost), he.closed | extra,
                             np.where(extra, 0.0, he.speed_factor), reason, he.weight)
    time_cost = he.cost
    len_cost = np.where(he.closed, np.inf, network.length_m)
    # people inside a closed area (every road out of their junction closed) may still leave it along the
    # closed roads, slowly, to the first junction with an open road; nobody can enter that way
    time_cost, exit_edge = hazard_exit_costs(network.u, he.closed, network.length_m, time_cost,
                                             hazard_exit_kph=hazard_exit_kph, never=cut)
    len_cost = np.where(exit_edge, network.length_m, len_cost)
    stuck = np.zeros(network.n_nodes, bool)  # junctions whose every road out is closed (they wade out)
    if exit_edge.any():
        stuck[network.u[exit_edge]] = True
    exit_len = np.where(exit_edge, network.length_m, 0.0)
    cost = time_cost if weight == "time" else len_cost
    he_out = he if weight == "time" else HazardEdges(len_cost, he.closed, he.speed_factor, he.reason, "length")
    seconds["hazards"] = time.perf_counter() - t0 - seconds["attach"]
    step("nearest shelter")

    onode = osnap.node

    # shelter eligibility
    kinds = scenario.kinds
    inside = scenario.points_inside(sh)
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
    csr = network.csr(weight, reverse=True) if not (he.closed.any() or he.slowed.any() or exit_edge.any()) \
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
    step("assignment and routes")

    # greedy fill of the nearest assignment (baseline)
    greedy_served = greedy_nearest_fill(near_sh, near_time, pop[ro], sh["capacity"].to_numpy(float),
                                        max_travel_s=max_s)

    t = time.perf_counter()
    rows: list[pd.DataFrame] = []
    edge_load = np.zeros(network.n_edges)
    route_geom = np.zeros(0, dtype=object)
    if capacity and len(ro):
        # each origin's k nearest eligible shelters in one bounded pass (labels keep their paths), then the
        # exact transportation problem over those candidates (min-cost flow)
        n_sh = len(elig_idx)
        lim = max_s if weight == "time" else np.inf
        knn = k_nearest_sources(csr, snode[elig_idx], k=min(k_nearest, n_sh), limit=lim,
                                aux_edge_values=None if weight == "time" else time_cost)
        cpos, cfac, ccost, cslot = knn.candidates(rnode)
        if weight != "time":  # routing by length with a time limit: the trip must also be short enough
            ok_t = knn.aux[rnode[cpos], cslot] <= max_s + 1e-9
            cpos, cfac, ccost, cslot = cpos[ok_t], cfac[ok_t], ccost[ok_t], cslot[ok_t]
        cand_cost = np.full(len(ro), np.inf)
        np.minimum.at(cand_cost, cpos, ccost)
        cap_e = sh["capacity"].to_numpy(float)[elig_idx]
        tr = solve_transport(cpos, cfac, ccost, pop[ro], cap_e)
        fo, fs, fp, fslot = tr.origin, tr.shelter, tr.people, cslot[tr.candidate]
        over = tr.overflow
        near_pos = np.searchsorted(elig_idx, near_sh)
        # origins with nobody to move get no flow and no overflow: every origin still gets a row, at its
        # nearest shelter (0 people) when that is within the limit, else a 0-people overflow row
        has_row = np.zeros(len(ro), bool)
        has_row[fo] = True
        has_row[over > 1e-9] = True
        empty = np.flatnonzero(~has_row)
        empty_near = empty[(near_time[empty] <= max_s + 1e-9) & (knn.source[rnode[empty], 0] >= 0)]
        fo = np.r_[fo, empty_near].astype(np.int64)
        fs = np.r_[fs, knn.source[rnode[empty_near], 0]].astype(np.int64)
        fslot = np.r_[fslot, np.zeros(len(empty_near), np.int64)]
        fp = np.r_[fp, np.zeros(len(empty_near))]
        empty_far = np.setdiff1d(empty, empty_near)
        is_nearest = fs == near_pos[fo]
        # every flow's route walked back from the labels: no further search
        paths = knn.paths(rnode[fo], fslot)
        tt = path_sums(paths, time_cost)
        dd = path_sums(paths, network.length_m)
        xx = path_sums(paths, exit_len)
        edge_load = path_edge_load(paths, fp, network.n_edges)
        geo = route_geometries(network, paths) if routes else np.full(len(fo), None, dtype=object)
        rows.append(pd.DataFrame({"_o": ro[fo], "_s": elig_idx[fs], "population": fp, "travel_time_s": tt,
                                  "distance_m": dd, "hazard_exit_m": xx, "status": "assigned", "reason": "",
                                  "is_nearest": is_nearest}))
        route_geom = geo
        ov = over > 1e-9
        ov[empty_far] = True
        reason_ov = np.where(np.isfinite(cand_cost), f"no shelter capacity within {max_minutes:g} min",
                             f"no shelter within {max_minutes:g} min").astype(object)
        # the LP only looks at each origin's k nearest shelters: say so when one with room left is within reach
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
    step("critical roads")

    a = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else rows[-1]
    n_assigned_rows = len(rows[0]) if len(ro) else 0
    ids = org["_origin_id"].to_numpy(object)
    sids = sh["shelter_id"].to_numpy(object)
    a.insert(0, "origin_id", ids[a["_o"].to_numpy()])
    a.insert(1, "shelter_id", np.where(a["_s"].to_numpy() >= 0, sids[np.maximum(a["_s"].to_numpy(), 0)], None))
    where = areas.locate(org.geometry)
    oi = a["_o"].to_numpy()
    a["snap_m"] = np.round(np.where(osnap.ok, osnap.snap_m, np.nan)[oi], 1)
    for c in ("district_id", "tambon_id"):
        if c in where.columns:
            a[c] = where[c].to_numpy(object)[oi]
    a["in_area"] = where["in_area"].to_numpy(bool)[oi]
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
                                    "snap_m": np.round(osnap.snap_m[un], 1),
                                    "district_id": where["district_id"].to_numpy(object)[un]},
                                   geometry=ur.geometry.values, crs=crs)
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
    # reported per road of the study's network: a road split at a village carries the load of its busiest piece
    parent = network.parent_edge if network.parent_edge is not None else np.arange(network.n_edges)
    base_load = np.zeros(base_network.n_edges)
    np.maximum.at(base_load, parent, edge_load)
    edges_used = np.flatnonzero(base_load > 0)
    edge_load_gdf = _edges_frame(base_network, edges_used, {"load_people": base_load[edges_used]})
    edge_load_gdf = edge_load_gdf.sort_values("load_people", ascending=False, kind="stable").reset_index(drop=True)
    if critical:
        # people who leave a closed area along its closed roads join the open roads where their way out ends:
        # from there on, the roads they depend on are the open ones
        entry = onode.copy()
        if tree is not None and stuck.any():
            walk = reached & stuck[entry]
            while walk.any():
                entry[walk] = tree.pred[entry[walk]]
                walk &= (entry >= 0) & stuck[np.maximum(entry, 0)]
            entry = np.where(entry >= 0, entry, onode)
        critical, cut_edge = _critical_roads(network, he.closed, reached, entry, pop, snode[elig_idx], edge_load,
                                             n_loaded_roads, base=base_network)
    else:
        critical = _edges_frame(base_network, np.zeros(0, np.int64), {
            "isolated_population": np.zeros(0), "evacuee_load": np.zeros(0), "is_bridge": np.zeros(0, bool)})
        cut_edge = np.full(n_o, -1, dtype=np.int64)
    # the one road whose loss alone would cut each origin off from every shelter (see critical_roads.edge)
    cut = cut_edge[oi]
    assignments["cut_off_road"] = pd.Series(cut, dtype="Int64", index=assignments.index).mask(cut < 0)
    a["cut_off_road"] = cut
    seconds["critical"] = time.perf_counter() - t

    # comparison and summary
    comparison = _comparison(capacity, a, near_time, pop[ro], greedy_served, max_s)
    summary = _summary(a, areas, where, sh_out)
    closed_gdf = _edges_frame(network, np.flatnonzero(he.closed), {"reason": he.reason[he.closed]})
    seconds["total"] = time.perf_counter() - t0
    settings = {"hazards": scenario.names, "weight": weight, "mode": network.mode, "capacity": capacity,
                "max_minutes": max_minutes, "k_nearest": k_nearest, "max_snap_m": max_snap_m,
                "at_risk_within_m": at_risk_within_m,
                "_closed_edges": _undirected(closed_gdf)}
    for stage, sec in seconds.items():
        log.info("evacuate: %-24s %7.2f s", stage, sec)
    log.info("evacuation: %d origins, %d eligible shelters, %.2f s", n_o, len(elig_idx), seconds["total"])
    result = EvacuationResult(assignments, routes_gdf, unreachable, critical, edge_load_gdf, sh_out, summary,
                              comparison, he_out, hazard_areas, settings, districts, synthetic, seconds)
    result.network = network
    result.routing = {"origin_node": np.where(o_ok, onode, -1), "population": pop, "origin_id": ids,
                      "origin_geometry": org.geometry.values, "shelter_nodes": snode[elig_idx], "cost": cost,
                      "hazard_edges": he, "exit_edge": exit_edge, "max_s": max_s, "hazard_exit_kph": hazard_exit_kph}
    return result


def hazard_exit_costs(u: np.ndarray, closed: np.ndarray, length_m: np.ndarray, time_cost: np.ndarray, *,
                      hazard_exit_kph: float | None,
                      never: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Travel times with the way out of closed areas: the rule of ``hazard_exit_kph``, in one place.

    A node whose every outgoing edge is closed is *inside* a closed area; its
    closed outgoing edges may be used at *hazard_exit_kph* (on foot, by small
    boat), so people there can leave, but nobody can enter that way.

    Parameters
    ----------
    u
        Tail node of each edge.  A subset of the edges may be given, as long as
        it holds *every* outgoing edge of the nodes it mentions.
    closed, length_m, time_cost
        Per edge: closed by the hazard, length (m), and travel time (s; ``inf`` where closed).
    hazard_exit_kph
        Exit speed (km/h); ``None`` or 0: nobody leaves a closed area.
    never
        Per edge: closed for good (a failed bridge in a scenario): never an
        exit, not even slowly.

    Returns
    -------
    time_cost, exit_edge
        The times with exit edges at walking (boating) speed, and which edges are exits.
    """
    exit_edge = np.zeros(len(u), bool)
    if hazard_exit_kph and hazard_exit_kph > 0 and closed.any():
        n = int(u.max()) + 1
        out_deg = np.bincount(u, minlength=n)
        open_out = np.bincount(u[~closed], minlength=n)
        inside = (out_deg > 0) & (open_out == 0)
        exit_edge = closed & inside[u]
        if never is not None:
            exit_edge &= ~never
        time_cost = np.where(exit_edge, length_m / (hazard_exit_kph / 3.6), time_cost)
    return time_cost, exit_edge


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
    if population_column is None:
        p = np.ones(len(org))
    elif population_column in org.columns:
        p = pd.to_numeric(org[population_column], errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(p) | (p < 0))
        if len(bad):
            raise EvacuationError(f"origins: column '{population_column}' has {len(bad)} missing or negative values "
                                  f"(rows {', '.join(str(b + 1) for b in bad[:10])})", hint="population must be >= 0")
    else:
        cols = [str(c) for c in org.columns if c != org.geometry.name]
        raise EvacuationError(
            f"origins: no '{population_column}' column, so the people at each origin are unknown "
            f"(columns: {', '.join(cols) or 'none'})",
            hint="name the column with --population-column COLUMN (population_column=...), or pass "
                 "--population-column none to count each origin as one person")
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
    return res.write(Path(out_dir), lang=lang, title=f"{study.name}: evacuation", back_href="../index.html")
