"""Shelter assignment: greedy nearest fill (the baseline) and the exact capacity-aware transportation problem."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from safegeo._errors import EvacuationError
from safegeo.routing import (
    tree_path_sums,
)

log = logging.getLogger(__name__)


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
        for j in range(len(ids)):
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


