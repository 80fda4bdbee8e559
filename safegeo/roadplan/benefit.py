"""What a road candidate changes on the network, and the exact travel times after it, by bounded searches.

A :class:`RoutingGraph` holds the edges of a network with its places
attached (villages, shelters, vehicle bases) and their costs under the hazard;
:class:`Labels` the cost from (or to) the nearest facility for every node,
with the shortest-path tree.  A :class:`Change` is what a candidate does to
the edges (new rows, cheaper rows, rows opened under the hazard, and the exit
rows they remove).  :meth:`RoutingGraph.update` returns the nodes whose label
changes and their new labels, exactly, by the bounded search of
:func:`safegeo.roadplan._search.update_labels` (the argument is in the
package documentation, :mod:`safegeo.roadplan`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import dijkstra

from safegeo.evacuation.plan import hazard_exit_costs
from safegeo.hazards import HazardScenario, hazard_edge_costs
from safegeo.network import RoadNetwork, attach_points, build_csr, point_xy
from safegeo.roadplan._search import update_labels
from safegeo.roadplan.candidates import LINK_KINDS, CandidateSet

log = logging.getLogger(__name__)

#: Travel times closer than this (s) are the same time.
TIME_EPS_S = 1e-6


@dataclass
class Change:
    """What one candidate (or several) does to the rows of a :class:`RoutingGraph`.

    Attributes
    ----------
    rows
        Existing rows changed.
    time_s
        Their free-flow time after the change (s).
    proof
        Per changed row: made passable under every hazard (flood-proofed).
    new_u, new_v, new_length_m, new_time_s, new_factor
        Rows added (a new link: both directions unless one-way), with their
        hazard speed factor (1 open, between 0 and 1 slowed, 0 closed).
    new_geometry
        LineString of each added row, in travel direction.
    """

    rows: np.ndarray
    time_s: np.ndarray
    proof: np.ndarray
    new_u: np.ndarray
    new_v: np.ndarray
    new_length_m: np.ndarray
    new_time_s: np.ndarray
    new_factor: np.ndarray
    new_geometry: np.ndarray

    @classmethod
    def empty(cls) -> Change:
        z = np.zeros(0)
        zi = np.zeros(0, np.int64)
        return cls(zi, z, np.zeros(0, bool), zi, zi, z, z, z, np.zeros(0, dtype=object))

    @property
    def n_new(self) -> int:
        return len(self.new_u)

    def __add__(self, other: Change) -> Change:
        """Both changes (a row changed by both keeps the faster time; proofing adds up)."""
        rows = np.r_[self.rows, other.rows].astype(np.int64)
        t = np.r_[self.time_s, other.time_s]
        p = np.r_[self.proof, other.proof]
        if len(rows):
            order = np.lexsort((t, rows))
            rows, t, p = rows[order], t[order], p[order]
            first = np.r_[True, rows[1:] != rows[:-1]]
            grp = np.cumsum(first) - 1
            anyp = np.zeros(int(grp[-1]) + 1, bool)
            np.logical_or.at(anyp, grp, p)
            rows, t, p = rows[first], t[first], anyp
        return Change(rows, t, p, np.r_[self.new_u, other.new_u].astype(np.int64),
                      np.r_[self.new_v, other.new_v].astype(np.int64), np.r_[self.new_length_m, other.new_length_m],
                      np.r_[self.new_time_s, other.new_time_s], np.r_[self.new_factor, other.new_factor],
                      np.concatenate([self.new_geometry, other.new_geometry]))


#: A cost rule: (u, closed, factor, length_m, time_s) -> cost per row (``inf``: unusable).
CostRule = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def evacuation_rule(hazard_exit_kph: float | None) -> CostRule:
    """Evacuation costs: closed rows unusable, slowed rows at ``time / factor``, exits of closed areas on foot."""

    def rule(u, closed, factor, length_m, time_s):
        with np.errstate(divide="ignore"):
            c = np.where(closed, np.inf, time_s / np.where(closed, 1.0, factor))
        return hazard_exit_costs(u, closed, length_m, c, hazard_exit_kph=hazard_exit_kph)[0]

    return rule


def driving_rule(u, closed, factor, length_m, time_s):
    """Vehicle costs under the hazard: closed rows unusable, slowed rows at ``time / factor``."""
    with np.errstate(divide="ignore"):
        return np.where(closed, np.inf, time_s / np.where(closed, 1.0, factor))


def free_flow_rule(u, closed, factor, length_m, time_s):
    """Boats under a water hazard: every row at its free-flow time."""
    return np.asarray(time_s, dtype=float).copy()


@dataclass
class Update:
    """New labels after a change: ``nodes`` recomputed, their ``labels``, and the step each is reached by."""

    nodes: np.ndarray
    labels: np.ndarray
    pred: np.ndarray
    pred_edge: np.ndarray


@dataclass
class Labels:
    """Cost from every node to its nearest source (or from it, on a forward graph) and the tree of those paths."""

    sources: np.ndarray
    cost: np.ndarray
    pred: np.ndarray
    pred_edge: np.ndarray
    _children: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _work: np.ndarray | None = field(default=None, repr=False)  # a copy of cost the update kernel works in

    def subtree(self, roots: np.ndarray) -> np.ndarray:
        """Every node whose tree path passes through one of *roots* (the roots included)."""
        if self._children is None:
            has = np.flatnonzero(self.pred >= 0)
            order = has[np.argsort(self.pred[has], kind="stable")]
            ptr = np.zeros(len(self.pred) + 1, np.int64)
            np.cumsum(np.bincount(self.pred[has], minlength=len(self.pred)), out=ptr[1:])
            self._children = (ptr, order)
        ptr, order = self._children
        seen = np.zeros(0, np.int64)
        frontier = np.unique(np.asarray(roots, dtype=np.int64))
        while len(frontier):
            seen = np.r_[seen, frontier]
            counts = ptr[frontier + 1] - ptr[frontier]
            if counts.sum() == 0:
                break
            starts = np.repeat(ptr[frontier], counts)
            offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            frontier = order[starts + offs]
        return np.unique(seen)


class RoutingGraph:
    """Rows of an attached network with their costs, the CSR graphs to search, and the working arrays.

    Parameters
    ----------
    n_nodes
        Nodes of the network.
    u, v, length_m, time_s
        Per row: end nodes, length (m) and free-flow time (s).
    factor
        Hazard speed factor per row (0 closed, 1 unaffected).
    proof
        Rows flood-proofed (the hazard does not act on them).
    rule
        The cost rule (:func:`evacuation_rule`, :func:`driving_rule`, :func:`free_flow_rule`).
    towards
        True: labels are costs *to* the sources (evacuation to shelters; the
        search runs on the reversed graph); False: *from* them (vehicles).
    geometry
        Per-row LineStrings (for routes), or None.
    """

    def __init__(self, n_nodes: int, u: np.ndarray, v: np.ndarray, length_m: np.ndarray, time_s: np.ndarray,
                 factor: np.ndarray, proof: np.ndarray, rule: CostRule, *, towards: bool,
                 geometry: np.ndarray | None = None) -> None:
        self.n_nodes = int(n_nodes)
        self.u = np.asarray(u, dtype=np.int64)
        self.v = np.asarray(v, dtype=np.int64)
        self.length_m = np.asarray(length_m, dtype=float)
        self.time_s = np.asarray(time_s, dtype=float)
        self.factor = np.where(proof, 1.0, np.asarray(factor, dtype=float))
        self.proof = np.asarray(proof, dtype=bool)
        self.rule = rule
        self.towards = towards
        self.geometry = geometry
        self.closed = self.factor <= 0.0
        self.cost = rule(self.u, self.closed, self.factor, self.length_m, self.time_s)
        # the graph searched (arcs in search direction) and its transpose
        self.search = build_csr(self.n_nodes, self.u, self.v, self.cost, reverse=towards)
        self.trans = build_csr(self.n_nodes, self.u, self.v, self.cost, reverse=not towards)
        order = np.argsort(self.u, kind="stable")
        self.out_rows = order
        self.out_ptr = np.zeros(self.n_nodes + 1, np.int64)
        np.cumsum(np.bincount(self.u, minlength=self.n_nodes), out=self.out_ptr[1:])
        s, t = self.search.matrix, self.trans.matrix
        self._s = (np.asarray(s.indptr, np.int64), np.asarray(s.indices, np.int64), np.asarray(s.data, np.float64),
                   np.asarray(self.search.edge_of, np.int64))
        self._t = (np.asarray(t.indptr, np.int64), np.asarray(t.indices, np.int64), np.asarray(t.data, np.float64),
                   np.asarray(self.trans.edge_of, np.int64))
        self._blocked = np.zeros(len(self._s[1]), np.bool_)
        self._t_blocked = np.zeros(len(self._t[1]), np.bool_)
        self._mark = np.zeros(self.n_nodes, np.bool_)
        self._pred_node = np.full(self.n_nodes, -1, np.int64)
        self._pred_edge = np.full(self.n_nodes, -1, np.int64)
        self._has_extra = np.zeros(self.n_nodes, np.bool_)

    @property
    def n_rows(self) -> int:
        return len(self.u)

    # -- labels ---------------------------------------------------------------------------------
    def labels(self, sources: np.ndarray) -> Labels:
        """Cost to (or from) the nearest of *sources* for every node: one multi-source Dijkstra."""
        sources = np.unique(np.asarray(sources, dtype=np.int64))
        n = self.n_nodes
        if len(sources) == 0:
            return Labels(sources, np.full(n, np.inf), np.full(n, -1, np.int64), np.full(n, -1, np.int64))
        dist, pred, _ = dijkstra(self.search.matrix, directed=True, indices=sources, min_only=True,
                                 return_predecessors=True)
        pred = np.where(pred >= 0, pred, -1).astype(np.int64)
        pe = np.full(n, -1, np.int64)
        has = np.flatnonzero(pred >= 0)
        pe[has] = self.search.edge_between(pred[has], has)
        return Labels(sources, dist, pred, pe)

    # -- changes --------------------------------------------------------------------------------
    def apply(self, change: Change) -> RoutingGraph:
        """A new graph with *change* applied (rows changed in place, new rows appended)."""
        time_s = self.time_s.copy()
        proof = self.proof.copy()
        time_s[change.rows] = np.minimum(time_s[change.rows], change.time_s)
        proof[change.rows] |= change.proof
        geom = None
        if self.geometry is not None:
            geom = np.concatenate([self.geometry, np.asarray(change.new_geometry, dtype=object)])
        factor = self.factor
        return RoutingGraph(self.n_nodes, np.r_[self.u, change.new_u], np.r_[self.v, change.new_v],
                            np.r_[self.length_m, change.new_length_m], np.r_[time_s, change.new_time_s],
                            np.r_[factor, change.new_factor], np.r_[proof, np.zeros(change.n_new, bool)], self.rule,
                            towards=self.towards, geometry=geom)

    def update(self, change: Change, labels_list: list[Labels]) -> list[Update]:
        """Exact new labels of every label set after *change* (the graph itself is left as it was)."""
        n_rows = self.n_rows
        rows = np.asarray(change.rows, dtype=np.int64)
        tails = np.unique(np.concatenate([self.u[rows], change.new_u])).astype(np.int64)
        # every outgoing row of the nodes the change touches (the exit rule looks at all of them)
        cnt = self.out_ptr[tails + 1] - self.out_ptr[tails]
        starts = np.repeat(self.out_ptr[tails], cnt)
        offs = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        sub = np.sort(self.out_rows[starts + offs])
        time_sub = self.time_s[sub].copy()
        factor_sub = self.factor[sub].copy()
        at = np.searchsorted(sub, rows)
        time_sub[at] = np.minimum(time_sub[at], change.time_s)
        factor_sub[at] = np.where(change.proof, 1.0, factor_sub[at])
        u_all = np.concatenate([self.u[sub], change.new_u])
        v_all = np.concatenate([self.v[sub], change.new_v])
        f_all = np.concatenate([factor_sub, change.new_factor])
        len_all = np.concatenate([self.length_m[sub], change.new_length_m])
        t_all = np.concatenate([time_sub, change.new_time_s])
        _, local_u = np.unique(u_all, return_inverse=True)
        cost_all = self.rule(local_u.ravel(), f_all <= 0.0, f_all, len_all, t_all)
        row_all = np.concatenate([sub, n_rows + np.arange(change.n_new)])
        old = np.concatenate([self.cost[sub], np.full(change.n_new, np.inf)])
        dec = cost_all < old
        inc = cost_all > old
        # arcs in search direction
        a_tail, a_head = (v_all, u_all) if self.towards else (u_all, v_all)
        ex = dec.copy()
        blocked_s = np.zeros(0, np.int64)
        blocked_t = np.zeros(0, np.int64)
        roots_pairs = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        if inc.any():
            # a dearer row: its pair's stored entry is blocked and every row of the pair is offered again
            pk = a_tail * np.int64(self.n_nodes) + a_head
            inc_pairs = np.unique(pk[inc])
            same = np.isin(pk, inc_pairs) & np.isfinite(cost_all)
            ex |= same
            it, ih = inc_pairs // self.n_nodes, inc_pairs % self.n_nodes
            blocked_s = self.search.entry_between(it, ih)
            blocked_t = self.trans.entry_between(ih, it)
            blocked_s, blocked_t = blocked_s[blocked_s >= 0], blocked_t[blocked_t >= 0]
            roots_pairs = (it, ih)
        ex_tail = a_tail[ex].astype(np.int64)
        ex_head = a_head[ex].astype(np.int64)
        ex_w = cost_all[ex].astype(np.float64)
        ex_edge = row_all[ex].astype(np.int64)
        self._blocked[blocked_s] = True
        self._t_blocked[blocked_t] = True
        self._has_extra[ex_tail] = True
        out = []
        try:
            for lab in labels_list:
                invalid = np.zeros(0, np.int64)
                it, ih = roots_pairs
                if len(it):
                    hit = lab.pred[ih] == it
                    if hit.any():
                        invalid = lab.subtree(ih[hit])
                if lab._work is None:
                    lab._work = lab.cost.copy()
                nodes, new, pn, pe = update_labels(
                    *self._s, self._blocked, *self._t, self._t_blocked, lab._work, lab.cost, self._pred_node,
                    self._pred_edge, self._mark, invalid, ex_tail, ex_head, ex_w, ex_edge, self._has_extra)
                out.append(Update(nodes, new, pn, pe))
        finally:
            self._blocked[blocked_s] = False
            self._t_blocked[blocked_t] = False
            self._has_extra[ex_tail] = False
        return out

    # -- paths ----------------------------------------------------------------------------------
    def path_rows(self, labels: Labels, node: int, update: Update | None = None, *,
                  max_steps: int = 1_000_000) -> list[int]:
        """Rows of the path from *node* along the tree (after *update* when given; new rows numbered on)."""
        changed: dict[int, tuple[int, int]] = {}
        if update is not None:
            changed = {int(n): (int(p), int(e)) for n, p, e in zip(update.nodes, update.pred, update.pred_edge,
                                                                     strict=True)}
        out = []
        x = int(node)
        for _ in range(max_steps):
            p, e = changed.get(x, (int(labels.pred[x]), int(labels.pred_edge[x])))
            if p < 0:
                break
            out.append(e)
            x = p
        return out


# ---------------------------------------------------------------------------------------------
# candidates on an attached network
# ---------------------------------------------------------------------------------------------
class RowMap:
    """The rows of a network with places attached for each row of the network it was split from.

    ``frac`` is each row's share of its parent road's time (1 for whole rows).
    """

    def __init__(self, net: RoadNetwork, base: RoadNetwork) -> None:
        parent = net.parent_edge if net.parent_edge is not None else np.arange(net.n_edges)
        self.parent = np.asarray(parent, dtype=np.int64)
        self.order = np.argsort(self.parent, kind="stable")
        self.ptr = np.zeros(base.n_edges + 1, np.int64)
        np.cumsum(np.bincount(self.parent, minlength=base.n_edges), out=self.ptr[1:])
        bt = base.time_s[self.parent]
        with np.errstate(divide="ignore", invalid="ignore"):
            self.frac = np.where(bt > 0, net.time_s / np.where(bt > 0, bt, 1.0), 1.0)

    def rows(self, base_rows: np.ndarray) -> np.ndarray:
        """Rows of the attached network that are (pieces of) *base_rows*."""
        base_rows = np.asarray(base_rows, dtype=np.int64)
        counts = self.ptr[base_rows + 1] - self.ptr[base_rows]
        starts = np.repeat(self.ptr[base_rows], counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.order[starts + offs]


def link_factors(cands: CandidateSet, scenario: HazardScenario | None, crs) -> np.ndarray:
    """Hazard speed factor of every candidate's new road (1 for other kinds), as the scenario sets it on any road."""
    out = np.ones(len(cands))
    li = np.flatnonzero(cands.is_link())
    if scenario is None or not scenario.active or len(li) == 0:
        return out
    geoms = cands.table.geometry.to_numpy()[li]
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(geoms, 0)),
                      shapely.get_coordinates(shapely.get_point(geoms, -1))])
    k = len(li)
    length = shapely.length(geoms)
    small = RoadNetwork(CRS.from_user_input(crs), ends[:, 0], ends[:, 1], np.arange(2 * k), np.arange(k),
                        np.arange(k) + k, length, length / 10.0, pd.DataFrame(index=np.arange(k)),
                        np.asarray(geoms, dtype=object))
    he = hazard_edge_costs(small, scenario.sources, weight="time", severity_speed_factor=scenario.severity_speed_factor)
    out[li] = he.speed_factor
    return out


def change_for(arrays: Mapping[str, np.ndarray], cands: CandidateSet, i: int, net: RoadNetwork, rowmap: RowMap,
               base: RoadNetwork, base_speed_kph: np.ndarray, link_factor: float) -> Change:
    """What candidate *i* does to the rows of *net* (the study's network *base* with places attached).

    *arrays* is :meth:`CandidateSet.arrays` of *cands*.
    """
    kind = arrays["kind"][i]
    if kind in LINK_KINDS:
        a, b = int(cands.from_node[i]), int(cands.to_node[i])
        g = arrays["geometry"][i]
        length = float(shapely.length(g))
        t = length / (float(arrays["speed_kph"][i]) / 3.6)
        if bool(arrays["oneway"][i]):
            nu, nv, geo = [a], [b], [g]
        else:
            nu, nv, geo = [a, b], [b, a], [g, shapely.reverse(g)]
        k = len(nu)
        z = np.zeros(0)
        return Change(np.zeros(0, np.int64), z, np.zeros(0, bool), np.asarray(nu, np.int64), np.asarray(nv, np.int64),
                      np.full(k, length), np.full(k, t), np.full(k, float(link_factor)),
                      np.asarray(geo, dtype=object))
    e = cands.edges(i)
    ch = Change.empty()
    if kind == "upgrade":
        tgt = float(arrays["speed_kph"][i])
        e = e[base_speed_kph[e] < tgt]
        rows = rowmap.rows(e)
        t_new = base.length_m[rowmap.parent[rows]] / (tgt / 3.6) * rowmap.frac[rows]
        ch.rows, ch.time_s, ch.proof = rows, t_new, np.zeros(len(rows), bool)
    elif kind == "floodproof":
        rows = rowmap.rows(e)
        ch.rows, ch.time_s, ch.proof = rows, net.time_s[rows].copy(), np.ones(len(rows), bool)
    return ch


# ---------------------------------------------------------------------------------------------
# what a change is worth
# ---------------------------------------------------------------------------------------------
def _gains(before: np.ndarray, after: np.ndarray, weight: np.ndarray, cap_s: float) -> dict[str, float]:
    """Sums over places: capped person-minutes, person-minutes among those reachable both times, people faster."""
    fb, fa = np.isfinite(before), np.isfinite(after)
    both = fb & fa
    capped = np.minimum(np.where(fb, before, cap_s), cap_s) - np.minimum(np.where(fa, after, cap_s), cap_s)
    faster = (after < before - TIME_EPS_S) | (~fb & fa)
    return {
        "capped": float((weight * capped).sum()) / 60.0,
        "saved": float((weight[both] * (before[both] - after[both])).sum()) / 60.0,
        "faster": float(weight[faster].sum()),
        "n_faster": int(faster.sum()),
        "reconnected": float(weight[~fb & fa].sum()),
        "cut_off": float(weight[fb & ~fa].sum()),
    }


class EvacuationModel:
    """The evacuation run a plan is measured against (``evacuate_network`` with ``capacity=False``).

    Attributes
    ----------
    net
        The network with origins and shelters attached (``result.network``).
    rowmap
        Its rows per row of the study network.
    graph, labels
        Routing graph (evacuation costs: hazard, exits of closed areas) and
        the time from every node to its nearest eligible shelter.
    origin_node, population, origin_id, origin_geometry
        Per origin (``origin_node`` -1: off the network).
    max_s, cap_s
        Longest acceptable trip and the time a cut-off person counts for (s).
    """

    def __init__(self, result, base: RoadNetwork, *, cap_minutes: float) -> None:
        r = result.routing
        if r is None or result.network is None:
            raise ValueError("the evacuation result has no routing inputs (run it with safegeo.evacuation)")
        self.base = base
        self.net = net = result.network
        self.rowmap = RowMap(net, base)
        he = r["hazard_edges"]
        self.graph = RoutingGraph(net.n_nodes, net.u, net.v, net.length_m, net.time_s, he.speed_factor,
                                  np.zeros(net.n_edges, bool), evacuation_rule(r["hazard_exit_kph"]), towards=True,
                                  geometry=net.edge_geometries())
        if not np.array_equal(self.graph.cost, r["cost"]):  # pragma: no cover - one rule for both
            raise RuntimeError("road planning costs differ from the evacuation's; the two rules have drifted apart")
        self.shelter_nodes = np.asarray(r["shelter_nodes"], dtype=np.int64)
        self.labels = self.graph.labels(self.shelter_nodes)
        self.origin_node = np.asarray(r["origin_node"], dtype=np.int64)
        self.population = np.asarray(r["population"], dtype=float)
        self.origin_id = np.asarray(r["origin_id"], dtype=object)
        self.origin_geometry = r["origin_geometry"]
        self.max_s = float(r["max_s"])
        self.cap_s = float(cap_minutes) * 60.0
        ok = self.origin_node >= 0
        n = net.n_nodes
        self.pop_at = np.bincount(self.origin_node[ok], weights=self.population[ok], minlength=n)
        self.count_at = np.bincount(self.origin_node[ok], minlength=n)
        self.ok = ok

    def origin_times(self, labels: Labels, update: Update | None = None) -> np.ndarray:
        """Travel time (s) of every origin to its nearest shelter (``inf``: cut off or off the network)."""
        cost = labels.cost
        if update is not None:
            cost = cost.copy()
            cost[update.nodes] = update.labels
        return np.where(self.ok, cost[np.maximum(self.origin_node, 0)], np.inf)

    def metrics(self, labels: Labels, up: Update) -> dict[str, float]:
        """Evacuation benefit of an update (see the package doc for each number)."""
        nodes = up.nodes
        w = self.pop_at[nodes]
        sel = self.count_at[nodes] > 0
        nodes, w, after = nodes[sel], w[sel], up.labels[sel]
        before = labels.cost[nodes]
        g = _gains(before, after, w, self.cap_s)
        within_b = before <= self.max_s + 1e-9
        within_a = after <= self.max_s + 1e-9
        faster = (after < before - TIME_EPS_S) | (~np.isfinite(before) & np.isfinite(after))
        return {
            "benefit_people_min": g["capped"],
            "people_min_saved": g["saved"],
            "people_faster": g["faster"],
            "villages_faster": int(self.count_at[nodes][faster].sum()),
            "people_reconnected": g["reconnected"],
            "people_newly_within_max": float(w[within_a & ~within_b].sum()),
            "people_newly_beyond_max": float(w[within_b & ~within_a].sum()),
            "people_newly_cut_off": g["cut_off"],
        }


class ResponseModel:
    """Response times of every vehicle type, as :func:`safegeo.vehicles.response.response_coverage` computes them.

    Bases (available vehicles) and villages join the roads where they stand;
    cars avoid the roads the hazard closes, boats under a water hazard use
    every road at its free-flow time.
    """

    def __init__(self, base: RoadNetwork, fleet: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, *,
                 scenario: HazardScenario | None, max_snap_m: float, targets_min: Mapping[str, float],
                 cap_minutes: float) -> None:
        from safegeo.schema import VEHICLE_TYPES
        from safegeo.vehicles.response import DEFAULT_TARGET_MIN

        crs = base.crs
        fleet = fleet.to_crs(crs).reset_index(drop=True)
        status = fleet["status"].fillna("available").astype(str) if "status" in fleet.columns else \
            pd.Series("available", index=fleet.index)
        vill = villages.to_crs(crs).reset_index(drop=True)
        self.base = base
        self.net, att = attach_points(base, np.vstack([point_xy(fleet, crs), point_xy(vill, crs)]),
                                      max_snap_m=max_snap_m)
        fsnap = att.take(np.arange(len(fleet)))
        vsnap = att.take(np.arange(len(fleet), len(fleet) + len(vill)))
        self.rowmap = RowMap(self.net, base)
        if scenario is not None and not scenario.active:
            scenario = None
        factor = scenario.edges(self.net).speed_factor if scenario is not None else np.ones(self.net.n_edges)
        net = self.net
        proof = np.zeros(net.n_edges, bool)
        car = RoutingGraph(net.n_nodes, net.u, net.v, net.length_m, net.time_s, factor, proof, driving_rule,
                           towards=False, geometry=None)
        boat = car
        if scenario is not None and scenario.is_water:
            boat = RoutingGraph(net.n_nodes, net.u, net.v, net.length_m, net.time_s, factor, proof, free_flow_rule,
                                towards=False, geometry=None)
        self.graphs = {"car": car, "boat": boat}
        types = [t for t in VEHICLE_TYPES if (fleet["type"] == t).any()] if "type" in fleet.columns else []
        self.types: list[str] = []
        self.graph_of: dict[str, str] = {}
        self.labels: dict[str, Labels] = {}
        self.targets_s: dict[str, float] = {}
        for vt in types:
            sel = ((fleet["type"] == vt) & (status == "available")).to_numpy() & fsnap.ok
            if not sel.any():
                continue
            self.types.append(vt)
            self.graph_of[vt] = "boat" if vt == "rescue_boat" else "car"
            self.labels[vt] = self.graphs[self.graph_of[vt]].labels(fsnap.node[sel])
            self.targets_s[vt] = float(targets_min.get(vt, DEFAULT_TARGET_MIN)) * 60.0
        self.village_node = np.where(vsnap.ok, vsnap.node, -1)
        self.village_pop = pd.to_numeric(vill["population"], errors="coerce").fillna(0).to_numpy(float) \
            if "population" in vill.columns else np.zeros(len(vill))
        self.village_id = (vill["village_id"].astype(str).to_numpy(object) if "village_id" in vill.columns
                           else np.array([str(i + 1) for i in range(len(vill))], dtype=object))
        ok = self.village_node >= 0
        self.pop_at = np.bincount(self.village_node[ok], weights=self.village_pop[ok], minlength=net.n_nodes)
        self.count_at = np.bincount(self.village_node[ok], minlength=net.n_nodes)
        self.cap_s = float(cap_minutes) * 60.0

    def village_times(self, vt: str, labels: Labels, update: Update | None = None) -> np.ndarray:
        """Response time (s) of type *vt* to every village (``inf``: unreachable or off the network)."""
        cost = labels.cost
        if update is not None:
            cost = cost.copy()
            cost[update.nodes] = update.labels
        return np.where(self.village_node >= 0, cost[np.maximum(self.village_node, 0)], np.inf)

    def metrics(self, vt: str, labels: Labels, up: Update) -> dict[str, float]:
        nodes = up.nodes
        sel = self.count_at[nodes] > 0
        nodes, after = nodes[sel], up.labels[sel]
        w = self.pop_at[nodes]
        before = labels.cost[nodes]
        g = _gains(before, after, w, self.cap_s)
        tgt = self.targets_s[vt]
        faster = (after < before - TIME_EPS_S) | (~np.isfinite(before) & np.isfinite(after))
        gain = np.where(np.isfinite(before) & np.isfinite(after), before - after, 0.0)
        return {
            "people_min": g["capped"],
            "villages_faster": int(self.count_at[nodes][faster].sum()),
            "people_faster": g["faster"],
            "max_gain_min": float(gain.max()) / 60.0 if len(gain) else 0.0,
            "people_newly_within_target": float(w[(after <= tgt + 1e-9) & ~(before <= tgt + 1e-9)].sum()),
            "villages_reconnected": int(self.count_at[nodes][~np.isfinite(before) & np.isfinite(after)].sum()),
        }
