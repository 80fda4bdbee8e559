"""Road-network improvement planning: the study adapter :func:`plan_roads` and the core :func:`plan_roads_network`."""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import RoadPlanError
from safegeo._progress import Progress, Stages
from safegeo.areas import AreaIndex
from safegeo.evacuation.plan import evacuate_network
from safegeo.hazards import HazardScenario
from safegeo.network import RoadNetwork
from safegeo.roadplan.benefit import (
    TIME_EPS_S,
    Change,
    EvacuationModel,
    Labels,
    ResponseModel,
    RoutingGraph,
    Update,
    change_for,
    link_factors,
)
from safegeo.roadplan.candidates import (
    CandidateSet,
    apply_to_network,
    check_candidates,
    class_speeds,
    edge_speed_kph,
    read_candidates,
)
from safegeo.roadplan.generate import generate_candidates
from safegeo.roadplan.result import RoadPlanResult
from safegeo.settings import merged_params, resolve

log = logging.getLogger(__name__)

#: Stages of a plan, in order (for progress bars).
STAGES = ("baseline", "response", "candidates", "benefits", "verify", "portfolio", "routes")


def plan_roads(
    study,
    *,
    hazards: str | Sequence | HazardScenario | None = None,
    candidates: str | Path | gpd.GeoDataFrame | CandidateSet = "auto",
    budget: float | None = None,
    layer: str | None = None,
    vehicles: gpd.GeoDataFrame | None = None,
    max_candidates: int | None = None,
    verify_top: int | None = None,
    response_weight: float | None = None,
    max_minutes: float | None = None,
    at_risk_within_m: float | None = None,
    progress: Progress | None = None,
) -> RoadPlanResult:
    """Which road projects would help evacuation most, measured exactly, and the best set within a budget.

    Parameters
    ----------
    study
        The study area (:func:`~safegeo.study.load_study`): roads, villages
        (with population), shelters (with capacity); districts, border and
        rivers help the generator; a ``vehicles`` layer adds response times.
    hazards
        As for :func:`safegeo.evacuation.evacuate` (default: every hazard of the study).
    candidates
        ``"auto"`` (generated, see :mod:`safegeo.roadplan.generate`), the path
        of a candidate file (:func:`~safegeo.roadplan.candidates.read_candidates`),
        a GeoDataFrame in that format, or a :class:`CandidateSet`.
    budget
        Money available (the unit of ``cost``: million baht); the portfolio is
        chosen greedily by benefit per cost within it.  None: rank only.
    layer
        Layer of a multi-layer candidate file.
    vehicles
        The fleet for response times (default: the study's ``vehicles`` layer,
        when it has one).  Pass an empty frame to leave response times out.
    max_candidates, verify_top, response_weight
        Overrides of ``[roadplan]``.
    max_minutes, at_risk_within_m
        Overrides of ``[evacuation]`` (as for :func:`~safegeo.evacuation.evacuate`).
    progress
        Called with each stage's name as it starts.

    Returns
    -------
    RoadPlanResult

    Raises
    ------
    RoadPlanError
        A bad candidate file (every problem listed), or a bad budget.
    StudyFileError
        The study has no villages or shelters.

    Examples
    --------
    >>> from safegeo.study import load_study                                # doctest: +SKIP
    >>> from safegeo.roadplan import plan_roads                            # doctest: +SKIP
    >>> plan = plan_roads(load_study("data/study.toml"), budget=300)       # doctest: +SKIP
    >>> plan.candidates[["candidate_id", "kind", "benefit_people_min", "cost", "chosen"]].head()  # doctest: +SKIP
    >>> plan.write("out/roads")                                             # doctest: +SKIP
    """
    scenario = study.scenario(hazards)
    net_p = study.settings("network")
    network = study.network(net_p["mode"])
    if isinstance(candidates, (str, Path)) and str(candidates) != "auto":
        candidates = read_candidates(candidates, network, layer=layer, params=study.params)
    elif isinstance(candidates, pd.DataFrame):
        candidates = read_candidates(candidates, network, params=study.params)
    fleet = vehicles if vehicles is not None else study.layers.get("vehicles")
    if net_p["mode"] != "drive":
        fleet = None  # vehicles drive: their times are not on a walking network
    extent = study.extent if study.has("districts") else None
    border = shapely.union_all(study.layers["border"].geometry.values) if study.has("border") else None
    rivers = shapely.union_all(study.layers["rivers"].geometry.values) if study.has("rivers") else None
    return plan_roads_network(
        network, study.layer("villages"), study.layer("shelters"), scenario=scenario, candidates=candidates,
        budget=budget, fleet=fleet, params=study.params, areas=study.areas, districts=study.layers.get("districts"),
        extent=extent, border=border, rivers=rivers, synthetic=study.synthetic, max_candidates=max_candidates,
        verify_top=verify_top, response_weight=response_weight, max_minutes=max_minutes,
        at_risk_within_m=at_risk_within_m, progress=progress)


@dataclass
class _State:
    """The network as it stands (base, or with chosen candidates built): graphs and labels."""

    evac_graph: RoutingGraph
    evac_labels: Labels
    resp_graphs: dict[str, RoutingGraph]
    resp_labels: dict[str, Labels]


class _Evaluator:
    """Measures candidates on a state of the network, and builds them into it."""

    def __init__(self, evac: EvacuationModel, resp: ResponseModel | None, cands: CandidateSet,
                 factor: np.ndarray, weight: float) -> None:
        self.evac, self.resp, self.cands, self.factor, self.weight = evac, resp, cands, factor, weight
        self.base_speed = edge_speed_kph(evac.base)
        self.arrays = cands.arrays()
        self._changes: dict[int, tuple[Change, Change | None]] = {}
        self.state = _State(evac.graph, evac.labels, dict(resp.graphs) if resp else {},
                            dict(resp.labels) if resp else {})

    def changes(self, i: int) -> tuple[Change, Change | None]:
        if i not in self._changes:
            ev = self.evac
            ca = change_for(self.arrays, self.cands, i, ev.net, ev.rowmap, ev.base, self.base_speed,
                            float(self.factor[i]))
            cr = None
            if self.resp is not None and self.resp.types:
                r = self.resp
                cr = change_for(self.arrays, self.cands, i, r.net, r.rowmap, r.base, self.base_speed,
                                float(self.factor[i]))
            self._changes[i] = (ca, cr)
        return self._changes[i]

    def evaluate(self, i: int, state: _State | None = None) -> tuple[dict[str, float], Update]:
        """Benefit of candidate *i* on *state* (default: the network as it is), and the evacuation update."""
        state = state or self.state
        ca, cr = self.changes(i)
        (up,) = state.evac_graph.update(ca, [state.evac_labels])
        m = self.evac.metrics(state.evac_labels, up)
        m.update(self._response(state, cr))
        m["benefit"] = m["benefit_people_min"] + self.weight * m["response_people_min"]
        return m, up

    def _response(self, state: _State, cr: Change | None) -> dict[str, Any]:
        out: dict[str, Any] = {"response_people_min": 0.0, "response_villages_faster": 0,
                               "response_max_gain_min": 0.0, "response_people_newly_within_target": 0.0,
                               "_per_type": {}}
        r = self.resp
        if r is None or cr is None or not r.types:
            return out
        faster_nodes = []
        for gname, graph in state.resp_graphs.items():
            if gname == "boat" and graph is state.resp_graphs.get("car"):
                continue
            types = [t for t in r.types if (r.graph_of[t] == gname or
                                            state.resp_graphs[r.graph_of[t]] is graph)]
            if not types:
                continue
            ups = graph.update(cr, [state.resp_labels[t] for t in types])
            for vt, up in zip(types, ups, strict=True):
                m = r.metrics(vt, state.resp_labels[vt], up)
                out["_per_type"][vt] = m
                out["response_people_min"] += m["people_min"]
                out["response_max_gain_min"] = max(out["response_max_gain_min"], m["max_gain_min"])
                out["response_people_newly_within_target"] += m["people_newly_within_target"]
                before = state.resp_labels[vt].cost[up.nodes]
                f = (up.labels < before - TIME_EPS_S) | (~np.isfinite(before) & np.isfinite(up.labels))
                faster_nodes.append(up.nodes[f])
        if faster_nodes:
            nodes = np.unique(np.concatenate(faster_nodes))
            out["response_villages_faster"] = int(r.count_at[nodes].sum())
        return out

    def advance(self, state: _State, i: int) -> _State:
        """*state* with candidate *i* built."""
        ca, cr = self.changes(i)
        g = state.evac_graph.apply(ca)
        lab = g.labels(self.evac.shelter_nodes)
        graphs: dict[str, RoutingGraph] = {}
        labels: dict[str, Labels] = {}
        if self.resp is not None and cr is not None:
            done: dict[int, RoutingGraph] = {}
            for gname, graph in state.resp_graphs.items():
                if id(graph) not in done:
                    done[id(graph)] = graph.apply(cr)
                graphs[gname] = done[id(graph)]
            for vt, old in state.resp_labels.items():
                labels[vt] = graphs[self.resp.graph_of[vt]].labels(old.sources)
        return _State(g, lab, graphs, labels)


def _totals(res, cap_s: float, *, capacity: bool) -> dict[str, float]:
    """Whole-study totals of an evacuation run: capped person-minutes, people within the limit, cut off, served."""
    a = res.assignments
    p = a["population"].to_numpy(float)
    t = a["travel_time_s"].to_numpy(float)
    st = a["status"].to_numpy(object)
    routed = np.isin(st, ("assigned", "beyond_max_time"))
    capped = np.where(routed, np.minimum(np.nan_to_num(t, nan=cap_s), cap_s), cap_s)
    return {"capped_people_min": float((p * capped).sum()) / 60.0,
            "within_max": float(p[st == "assigned"].sum()) if not capacity else float("nan"),
            "unreachable": float(p[st == "unreachable"].sum()),
            "served": float(p[st == "assigned"].sum())}


def plan_roads_network(
    network: RoadNetwork,
    villages: gpd.GeoDataFrame,
    shelters: gpd.GeoDataFrame,
    *,
    scenario: HazardScenario,
    candidates: CandidateSet | str = "auto",
    budget: float | None = None,
    fleet: gpd.GeoDataFrame | None = None,
    params: Mapping[str, Any] | None = None,
    areas: AreaIndex | None = None,
    districts: gpd.GeoDataFrame | None = None,
    extent: Any = None,
    border: Any = None,
    rivers: Any = None,
    synthetic: bool = False,
    max_candidates: int | None = None,
    verify_top: int | None = None,
    response_weight: float | None = None,
    max_minutes: float | None = None,
    at_risk_within_m: float | None = None,
    progress: Progress | None = None,
) -> RoadPlanResult:
    """Road planning on a network (the core; :func:`plan_roads` prepares its inputs from a study).

    Parameters
    ----------
    network
        The study's road network (projected CRS).
    villages, shelters
        Origins (``village_id``, ``population``) and shelters (``shelter_id``, ``capacity``).
    scenario
        The hazard scenario.
    candidates
        A :class:`CandidateSet` read against *network*, or ``"auto"``.
    budget, fleet, max_candidates, verify_top, response_weight, max_minutes, at_risk_within_m
        As for :func:`plan_roads` (*fleet*: the vehicles, or None).
    params
        The study's parameters (``[evacuation]``, ``[network]``, ``[roadplan]``, ``[vehicles]``).
    areas, districts
        Districts and tambons for the summary, and the map's frame.
    extent, border, rivers
        Shapely geometries for the generator (study outline, border, rivers), or None.

    Returns
    -------
    RoadPlanResult
    """
    params = merged_params(params)
    st = Stages("plan-roads", progress)
    ev = resolve(params, "evacuation", max_minutes=max_minutes, at_risk_within_m=at_risk_within_m)
    net_p = resolve(params, "network")
    rp = resolve(params, "roadplan", max_candidates=max_candidates, verify_top=verify_top,
                 response_weight=response_weight)
    if budget is not None and (not np.isfinite(budget) or budget < 0):
        raise RoadPlanError(f"budget must be a number >= 0, not {budget!r}",
                            hint="give the money available in the unit of the costs (million baht), e.g. --budget 300")
    if areas is None:
        areas = AreaIndex(districts)
    cap_min = float(rp["unreachable_minutes"])
    id_col = "village_id" if "village_id" in villages.columns else None
    evac_kw = {"scenario": scenario, "population_column": "population", "origin_id_column": id_col, "weight": "time",
               "max_minutes": ev["max_minutes"], "k_nearest": ev["k_nearest"], "max_snap_m": net_p["max_snap_m"],
               "at_risk_within_m": ev["at_risk_within_m"], "hazard_exit_kph": ev["hazard_exit_kph"],
               "routes": False, "critical": False, "areas": areas}
    with st("baseline"):
        base_run = evacuate_network(network, villages, shelters, capacity=False, **evac_kw)
        evac = EvacuationModel(base_run, network, cap_minutes=cap_min)
    resp = None
    with st("response"):
        if fleet is not None and len(fleet) and "type" in fleet.columns:
            vcfg = resolve(params, "vehicles")
            resp = ResponseModel(network, fleet, villages, scenario=scenario, max_snap_m=net_p["max_snap_m"],
                                 targets_min=vcfg["target_minutes"], cap_minutes=cap_min)
            if not resp.types:
                resp = None
    with st("candidates"):
        speeds, default_kph = class_speeds(params)
        if isinstance(candidates, str):
            if candidates != "auto":
                raise RoadPlanError(f"candidates must be 'auto', a file or a CandidateSet, not {candidates!r}",
                                    hint="use --candidates auto or --candidates FILE")
            cands = generate_candidates(evac, scenario, params=rp, speeds=speeds, default_kph=default_kph,
                                        extent=extent, border=border, rivers=rivers)
            source = "auto"
        else:
            cands = candidates
            check_candidates(cands, network)
            source = "file"
        factor = link_factors(cands, scenario, network.crs)
    weight = float(rp["response_weight"])
    evaluator = _Evaluator(evac, resp, cands, factor, weight)
    with st("benefits"):
        t0 = time.perf_counter()
        rows, per_type = [], []
        ids = cands.ids
        for i in range(len(cands)):
            m, _ = evaluator.evaluate(i)
            for vt, pm in m.pop("_per_type").items():
                per_type.append({"candidate_id": ids[i], "vehicle_type": vt, **pm})
            rows.append(m)
        eval_s = time.perf_counter() - t0
    table = _ranked(cands, rows, factor)
    base_near = _totals(base_run, cap_min * 60.0, capacity=False)
    with st("verify"):
        verification, cap_base = _verify(table, cands, network, villages, shelters, evac_kw, cap_min,
                                         int(rp["verify_top"]), base_near)
    with st("portfolio"):
        portfolio, final, port_check = _portfolio(evaluator, table, budget, network, cands, villages, shelters,
                                                  evac_kw, cap_min, cap_base, base_near)
        table["chosen"] = table["candidate_id"].isin(portfolio["candidate_id"]) if len(portfolio) else False
        order = dict(zip(portfolio["candidate_id"], portfolio["order"], strict=True)) if len(portfolio) else {}
        table["portfolio_order"] = table["candidate_id"].map(order).astype("Int64")
        summary, village_gain = _area_summary(evac, final, areas, villages, table)
    with st("routes"):
        routes, touched = _routes(evaluator, table, cands, villages, int(rp["route_candidates"]),
                                  int(rp["route_villages"]))
    response = pd.DataFrame(per_type, columns=["candidate_id", "vehicle_type", "people_min", "villages_faster",
                                               "people_faster", "max_gain_min", "people_newly_within_target",
                                               "villages_reconnected"])
    settings = {"hazards": scenario.names, "candidates": source, "budget": budget, "max_minutes": ev["max_minutes"],
                "at_risk_within_m": ev["at_risk_within_m"], "unreachable_minutes": cap_min,
                "response_weight": weight, "vehicle_types": list(resp.types) if resp else [],
                "evaluate_seconds": eval_s, "n_candidates": len(cands),
                "baseline": _totals(base_run, cap_min * 60.0, capacity=False), "portfolio_check": port_check}
    return RoadPlanResult(candidates=table, portfolio=portfolio, routes=routes, villages=touched,
                          village_gain=village_gain, response=response, verification=verification, summary=summary,
                          hazard_areas=scenario.footprint(network.crs), districts=districts, settings=settings,
                          synthetic=synthetic, seconds=dict(st.seconds), candidate_set=cands)


def _ranked(cands: CandidateSet, rows: list[dict], factor: np.ndarray) -> gpd.GeoDataFrame:
    table = cands.table.copy()
    met = pd.DataFrame(rows, index=table.index) if rows else pd.DataFrame(index=table.index)
    for c in ("benefit_people_min", "people_min_saved", "people_faster", "villages_faster", "people_reconnected",
              "people_newly_within_max", "people_newly_beyond_max", "people_newly_cut_off", "response_people_min",
              "response_villages_faster", "response_max_gain_min", "response_people_newly_within_target", "benefit"):
        table[c] = met[c].to_numpy() if c in met.columns else np.zeros(len(table))
    table["hazard_factor"] = factor
    cost = table["cost"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["benefit_per_cost"] = np.where(cost > 0, table["benefit"].to_numpy(float) / np.where(cost > 0, cost, 1),
                                             np.nan)
    for c in ("benefit_people_min", "people_min_saved", "benefit", "benefit_per_cost", "response_people_min",
              "response_max_gain_min"):
        table[c] = np.round(table[c].astype(float), 3)
    b = table["benefit"].to_numpy(float)
    order = np.lexsort((table["candidate_id"].astype(str).to_numpy(), -b))
    rank = np.empty(len(table), np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    table["rank"] = rank
    bpc = np.nan_to_num(table["benefit_per_cost"].to_numpy(float), nan=-np.inf)
    order = np.lexsort((table["candidate_id"].astype(str).to_numpy(), -b, -bpc))
    rank = np.empty(len(table), np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    table["rank_per_cost"] = rank
    return table.sort_values("rank", kind="stable").reset_index(drop=True)


def _verify(table: gpd.GeoDataFrame, cands: CandidateSet, network: RoadNetwork, villages, shelters, evac_kw: dict,
            cap_min: float, top: int, base_near: dict) -> tuple[pd.DataFrame, dict]:
    """The best candidates measured again by a full evacuation run on the network with each built."""
    cap_s = cap_min * 60.0
    pos = {cid: i for i, cid in enumerate(cands.ids)}
    cap_base: dict = {}
    rows = []
    best = table[table["benefit"] > 0].head(max(0, top))
    if len(best):
        cap_base.update(_totals(evacuate_network(network, villages, shelters, capacity=True, **evac_kw), cap_s,
                                capacity=True))
    for _, r in best.iterrows():
        built = apply_to_network(network, cands, [pos[r["candidate_id"]]])
        near = _totals(evacuate_network(built, villages, shelters, capacity=False, **evac_kw), cap_s, capacity=False)
        cap = _totals(evacuate_network(built, villages, shelters, capacity=True, **evac_kw), cap_s, capacity=True)
        rows.append(_check_row(r["candidate_id"], r, base_near, near, cap_base, cap))
    cols = ["candidate_id", "benefit_people_min", "full_benefit_people_min", "net_reconnected",
            "full_net_reconnected", "net_within_max", "full_net_within_max", "matches",
            "capacity_benefit_people_min", "capacity_served_gain"]
    return pd.DataFrame(rows, columns=cols), cap_base


def _check_row(cid: str, r: Mapping, base_near: dict, near: dict, cap_base: dict, cap: dict) -> dict:
    inc = (float(r["benefit_people_min"]), float(r["people_reconnected"] - r["people_newly_cut_off"]),
           float(r["people_newly_within_max"] - r["people_newly_beyond_max"]))
    full = (base_near["capped_people_min"] - near["capped_people_min"], base_near["unreachable"] - near["unreachable"],
            near["within_max"] - base_near["within_max"])
    same = all(abs(a - b) <= 1e-6 * max(1.0, abs(b)) + 1e-3 for a, b in zip(inc, full, strict=True))
    return {"candidate_id": cid, "benefit_people_min": round(inc[0], 3), "full_benefit_people_min": round(full[0], 3),
            "net_reconnected": inc[1], "full_net_reconnected": full[1], "net_within_max": inc[2],
            "full_net_within_max": full[2], "matches": bool(same),
            "capacity_benefit_people_min": round(cap_base["capped_people_min"] - cap["capped_people_min"], 3),
            "capacity_served_gain": cap["served"] - cap_base["served"]}


def _portfolio(ev: _Evaluator, table: gpd.GeoDataFrame, budget: float | None, network: RoadNetwork,
               cands: CandidateSet, villages, shelters, evac_kw: dict, cap_min: float,
               cap_base: dict, base_near: dict) -> tuple[pd.DataFrame, _State, dict]:
    """Greedy choice within the budget, best benefit per cost first, each gain re-measured on the network as built.

    Gains are re-measured lazily: a candidate whose last measured gain (on an
    earlier state) still tops the queue is measured again on the network with
    every chosen candidate built, and taken only if it still leads.
    """
    cols = ["order", "candidate_id", "kind", "name", "cost", "cumulative_cost", "marginal_benefit_people_min",
            "marginal_people_reconnected", "marginal_response_people_min", "cumulative_benefit_people_min"]
    state = ev.state
    if budget is None or len(cands) == 0:
        return pd.DataFrame(columns=cols), state, {}
    pos = {cid: i for i, cid in enumerate(cands.ids)}
    cost = table["cost"].to_numpy(float)
    ben = table["benefit"].to_numpy(float)
    heap: list[tuple[float, str, int, int]] = []
    for j in range(len(table)):
        if ben[j] > 1e-9 and cost[j] <= budget + 1e-9:
            key = ben[j] / cost[j] if cost[j] > 0 else np.inf
            heap.append((-key, table["candidate_id"].iloc[j], j, 0))
    heapq.heapify(heap)
    remaining = float(budget)
    rnd = 0
    rows = []
    last: dict[int, dict] = {}
    cum_cost = cum_ben = 0.0
    while heap:
        negk, cid, j, seen = heapq.heappop(heap)
        if cost[j] > remaining + 1e-9:
            continue
        if seen != rnd:
            m, _ = ev.evaluate(pos[cid], state)
            m.pop("_per_type", None)
            if m["benefit"] <= 1e-9:
                continue
            last[j] = m
            key = m["benefit"] / cost[j] if cost[j] > 0 else np.inf
            heapq.heappush(heap, (-key, cid, j, rnd))
            continue
        m = last.get(j)
        if m is None:
            m, _ = ev.evaluate(pos[cid], state)
            m.pop("_per_type", None)
        state = ev.advance(state, pos[cid])
        remaining -= cost[j]
        rnd += 1
        cum_cost += cost[j]
        cum_ben += m["benefit_people_min"]
        rows.append({"order": rnd, "candidate_id": cid, "kind": table["kind"].iloc[j], "name": table["name"].iloc[j],
                     "cost": cost[j], "cumulative_cost": round(cum_cost, 3),
                     "marginal_benefit_people_min": round(m["benefit_people_min"], 3),
                     "marginal_people_reconnected": m["people_reconnected"],
                     "marginal_response_people_min": round(m["response_people_min"], 3),
                     "cumulative_benefit_people_min": round(cum_ben, 3)})
    portfolio = pd.DataFrame(rows, columns=cols)
    check: dict[str, Any] = {}
    if len(portfolio):
        # the whole portfolio measured again by full runs on the network with every project built
        cap_s = cap_min * 60.0
        built = apply_to_network(network, cands, [pos[c] for c in portfolio["candidate_id"]])
        near = _totals(evacuate_network(built, villages, shelters, capacity=False, **evac_kw), cap_s, capacity=False)
        cap = _totals(evacuate_network(built, villages, shelters, capacity=True, **evac_kw), cap_s, capacity=True)
        if not cap_base:
            cap_base.update(_totals(evacuate_network(network, villages, shelters, capacity=True, **evac_kw), cap_s,
                                    capacity=True))
        full = base_near["capped_people_min"] - near["capped_people_min"]
        check = {"projects": len(portfolio), "cost": round(cum_cost, 3),
                 "benefit_people_min": round(cum_ben, 3), "full_benefit_people_min": round(full, 3),
                 "matches": bool(abs(cum_ben - full) <= 1e-6 * max(1.0, abs(full)) + 1e-3),
                 "full_people_reconnected": base_near["unreachable"] - near["unreachable"],
                 "full_people_newly_within_max": near["within_max"] - base_near["within_max"],
                 "capacity_benefit_people_min": round(cap_base["capped_people_min"] - cap["capped_people_min"], 3),
                 "capacity_served_gain": cap["served"] - cap_base["served"]}
    return portfolio, state, check


def _names(villages: gpd.GeoDataFrame) -> dict[str, tuple]:
    if "village_id" not in villages.columns:
        return {}
    cols = [c for c in ("name_en", "name_th") if c in villages.columns]
    ids = villages["village_id"].astype(str).to_numpy()
    vals = [villages[c].astype(object).to_numpy() for c in cols]
    return {i: tuple(v[k] for v in vals) for k, i in enumerate(ids)} | {"_cols": tuple(cols)}


def _area_summary(evac: EvacuationModel, final: _State, areas: AreaIndex, villages: gpd.GeoDataFrame,
                  table: gpd.GeoDataFrame) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Per district and tambon: what the chosen portfolio does for the people there."""
    before = evac.origin_times(evac.labels)
    after = evac.origin_times(final.evac_labels)
    pop = evac.population
    fb, fa = np.isfinite(before), np.isfinite(after)
    both = fb & fa
    saved = np.where(both, (before - np.where(fa, after, 0.0)) / 60.0, 0.0)
    faster = (after < before - TIME_EPS_S) | (~fb & fa)
    mx = evac.max_s
    frame = gpd.GeoDataFrame({
        "origin_id": evac.origin_id, "population": pop,
        "minutes_before": np.where(fb, np.round(before / 60.0, 2), np.nan),
        "minutes_after": np.where(fa, np.round(after / 60.0, 2), np.nan),
        "gain_min": np.round(saved, 2),
        "people_faster": np.where(faster, pop, 0.0),
        "people_min_saved": pop * saved,
        "people_reconnected": np.where(~fb & fa, pop, 0.0),
        "people_newly_within_max": np.where((after <= mx + 1e-9) & ~(before <= mx + 1e-9), pop, 0.0),
    }, geometry=evac.origin_geometry, crs=evac.net.crs)
    where = areas.locate(frame.geometry) if areas else pd.DataFrame(index=frame.index)
    for c in ("district_id", "tambon_id"):
        if c in where.columns:
            frame[c] = where[c].to_numpy(object)
    sums = ["population", "people_faster", "people_min_saved", "people_reconnected", "people_newly_within_max"]
    summary = areas.summary(frame, sums=sums, shares={"share_faster": ("people_faster", "population")})
    chosen = table[table["chosen"]] if "chosen" in table.columns else table.iloc[:0]
    if len(chosen):
        mids = gpd.GeoSeries(shapely.line_interpolate_point(chosen.geometry.to_numpy(), 0.5, normalized=True),
                             crs=table.crs)
        cw = areas.locate(mids) if areas else pd.DataFrame(index=np.arange(len(chosen)))
        cf = pd.DataFrame({"projects": np.ones(len(chosen)), "project_cost": chosen["cost"].to_numpy(float)})
        for c in ("district_id", "tambon_id"):
            if c in cw.columns:
                cf[c] = cw[c].to_numpy(object)
        cs = areas.summary(cf, sums=["projects", "project_cost"])
        summary = summary.merge(cs[["level", "area_id", "projects", "project_cost"]], on=["level", "area_id"],
                                how="left")
    else:
        summary["projects"] = 0.0
        summary["project_cost"] = 0.0
    summary["people_min_saved"] = summary["people_min_saved"].round(1)
    names = _names(villages)
    cols = names.pop("_cols", ())
    for k, c in enumerate(cols):
        frame[c] = [names.get(str(o), (None,) * len(cols))[k] for o in frame["origin_id"]]
    changed = frame[(frame["people_faster"] > 0) | (frame["people_reconnected"] > 0)].reset_index(drop=True)
    return summary, changed


def _route_line(graph: RoutingGraph, rows: list[int], change: Change) -> Any:
    n = graph.n_rows
    parts = []
    for r in rows:
        g = graph.geometry[r] if r < n else change.new_geometry[r - n]
        c = shapely.get_coordinates(g)
        parts.append(c if not parts else c[1:])
    if not parts:
        return None
    coords = np.vstack(parts)
    return shapely.LineString(coords) if len(coords) >= 2 else None


def _routes(ev: _Evaluator, table: gpd.GeoDataFrame, cands: CandidateSet, villages: gpd.GeoDataFrame, n_cand: int,
            n_vill: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Routes before and after for the best candidates, and every village whose trip they change."""
    evac = ev.evac
    crs = evac.net.crs
    pos = {cid: i for i, cid in enumerate(cands.ids)}
    names = _names(villages)
    ncols = names.pop("_cols", ())
    route_rows, vill_rows = [], []
    top = table[table["benefit_people_min"] > 0].head(max(0, n_cand))
    for _, r in top.iterrows():
        i = pos[r["candidate_id"]]
        _, up = ev.evaluate(i)
        ca, _ = ev.changes(i)
        new = dict(zip(up.nodes.tolist(), up.labels.tolist(), strict=True))
        on = np.flatnonzero(evac.ok & np.isin(evac.origin_node, up.nodes))
        if len(on) == 0:
            continue
        before = evac.labels.cost[evac.origin_node[on]]
        after = np.array([new[int(x)] for x in evac.origin_node[on]])
        gain = np.where(np.isfinite(before), before, evac.cap_s) - np.where(np.isfinite(after), after, evac.cap_s)
        keep = (after < before - TIME_EPS_S) | (~np.isfinite(before) & np.isfinite(after))
        on, before, after, gain = on[keep], before[keep], after[keep], gain[keep]
        for o, b, a, gsec in zip(on, before, after, gain, strict=True):
            oid = evac.origin_id[o]
            nm = names.get(str(oid), (None,) * len(ncols))
            vill_rows.append({"candidate_id": r["candidate_id"], "rank": int(r["rank"]), "origin_id": oid,
                              **dict(zip(ncols, nm, strict=True)), "population": evac.population[o],
                              "minutes_before": round(b / 60.0, 2) if np.isfinite(b) else np.nan,
                              "minutes_after": round(a / 60.0, 2) if np.isfinite(a) else np.nan,
                              "gain_min": round(gsec / 60.0, 2), "geometry": evac.origin_geometry[o]})
        best = np.argsort(-(evac.population[on] * gain), kind="stable")[:max(0, n_vill)]
        for k in best:
            o = on[k]
            node = int(evac.origin_node[o])
            for when, upd, secs in (("before", None, before[k]), ("after", up, after[k])):
                if not np.isfinite(secs):
                    continue
                line = _route_line(ev.state.evac_graph, ev.state.evac_graph.path_rows(evac.labels, node, upd), ca)
                if line is None:
                    continue
                route_rows.append({"candidate_id": r["candidate_id"], "rank": int(r["rank"]),
                                   "origin_id": evac.origin_id[o], "when": when,
                                   "travel_time_min": round(secs / 60.0, 2), "population": evac.population[o],
                                   "geometry": line})
    rcols = ["candidate_id", "rank", "origin_id", "when", "travel_time_min", "population"]
    routes = (gpd.GeoDataFrame(route_rows, geometry="geometry", crs=crs) if route_rows
              else gpd.GeoDataFrame({c: [] for c in rcols}, geometry=[], crs=crs))
    vcols = ["candidate_id", "rank", "origin_id", *ncols, "population", "minutes_before", "minutes_after", "gain_min"]
    touched = (gpd.GeoDataFrame(vill_rows, geometry="geometry", crs=crs) if vill_rows
               else gpd.GeoDataFrame({c: [] for c in vcols}, geometry=[], crs=crs))
    return routes, touched


def demo_step(study, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """Plan road improvements on the demo study and write the outputs.

    Generated candidates (``[roadplan] max_candidates``, 500), every hazard,
    the villages within 1 km of the flood (as the demo's evacuation), and a
    budget of 500 million baht.

    Returns
    -------
    list of Path
        ``road_plan.html`` first, then ``road_plan.gpkg`` and ``road_plan.csv``.
    """
    res = plan_roads(study, budget=500.0, at_risk_within_m=1000.0)
    for line in res.report_lines():
        log.info("%s", line)
    return res.write(Path(out_dir), lang=lang, title=f"{study.name}: road plan", back_href="../index.html")
