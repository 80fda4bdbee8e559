"""The capacity-constrained transportation problem over sparse candidates: who goes to which shelter.

Each origin *i* (a village, a building, a node) may send its people to a few
candidate shelters (its *k* nearest, from
:func:`safegeo.kernels.k_nearest_sources`), each candidate with a cost (travel
time or distance).  :func:`solve_transport` finds flows that

1. serve as many people as possible within the shelters' capacities, and
   among those
2. minimise the total people × cost,

the model of :func:`safegeo.evacuation.assign.assign_with_capacity` (an
overflow variable per origin whose penalty is larger than any re-routing
could save).  Two exact solvers are available:

* ``"mcf"`` (default) — OR-Tools' ``SimpleMinCostFlow``
  (``solve_max_flow_with_min_cost``: the maximum flow, at minimum cost among
  maximum flows; no penalty constant needed).  It is a network algorithm
  (cost-scaling push-relabel) on integers: people and capacities must be
  whole numbers (or multiples of 0.001 person, scaled), costs are rounded to
  a resolution far below anything meaningful (see :func:`solve_transport`).
* ``"highs"`` — the linear programme with HiGHS (``scipy.optimize.linprog``),
  the matrix built vectorised.  Works on any real numbers; slower.

``benchmarks/bench_kernels.py`` measures both on generated instances.

Examples
--------
>>> import numpy as np
>>> from safegeo.evacuation.transport import solve_transport
>>> # two villages of 10 people, one shelter for 15 near both, one far shelter for 100
>>> res = solve_transport(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([1.0, 5.0, 2.0, 3.0]),
...                       np.array([10, 10]), np.array([15, 100]))
>>> res.served, res.total_cost
(20.0, 35.0)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from safegeo._errors import EvacuationError

log = logging.getLogger(__name__)

__all__ = ["SOLVERS", "TransportResult", "solve_transport"]

#: Solvers accepted by :func:`solve_transport`.
SOLVERS = ("mcf", "highs")

# people are scaled to whole units of 1/_PEOPLE_QUANTUM when they are not whole already
_PEOPLE_QUANTUM = 1000
# largest integer cost handed to the min-cost-flow solver (see solve_transport, Notes)
_MAX_INT_COST = 2**31


@dataclass
class TransportResult:
    """Flows of people from origins to shelters.

    Attributes
    ----------
    candidate
        Per positive flow: the row in the candidate arrays it uses.
    origin, shelter
        Per positive flow: origin and shelter index.
    people
        Per positive flow: people sent.
    overflow
        Per origin: people left without a shelter place.
    total_cost
        Sum of people × cost over the flows (the overflow penalty not included).
    solver
        ``"mcf"`` or ``"highs"``.
    """

    candidate: np.ndarray
    origin: np.ndarray
    shelter: np.ndarray
    people: np.ndarray
    overflow: np.ndarray
    total_cost: float
    solver: str

    @property
    def served(self) -> float:
        """People given a shelter place."""
        return float(self.people.sum())


def solve_transport(
    cand_origin: np.ndarray,
    cand_shelter: np.ndarray,
    cand_cost: np.ndarray,
    population: np.ndarray,
    capacity: np.ndarray,
    *,
    solver: str = "mcf",
) -> TransportResult:
    """Serve as many people as the capacities allow, at the least total people × cost.

    Parameters
    ----------
    cand_origin, cand_shelter, cand_cost
        One row per candidate (origin index, shelter index, cost >= 0, finite),
        e.g. each origin's *k* nearest shelters.  Origins are
        ``0 .. len(population) - 1``, shelters ``0 .. len(capacity) - 1``.
    population
        People per origin (>= 0).
    capacity
        Places per shelter (>= 0).
    solver
        ``"mcf"`` (OR-Tools min-cost flow; default, the faster) or ``"highs"``
        (HiGHS linear programme).  ``"mcf"`` falls back to ``"highs"`` when
        people or capacities are not multiples of 0.001.

    Returns
    -------
    TransportResult
        Whole-number flows when people and capacities are whole numbers.

    Raises
    ------
    EvacuationError
        When the arrays do not match, hold negative or non-finite values, name
        an origin or shelter that does not exist, or the solver fails.

    Notes
    -----
    The model (as in :func:`~safegeo.evacuation.assign.assign_with_capacity`):
    minimise ``sum(x * cost) + M * sum(overflow)`` subject to, per origin,
    ``sum(x) + overflow = population`` and, per shelter, ``sum(x) <= capacity``,
    with ``x, overflow >= 0`` and ``M`` larger than the cost of any
    re-routing chain, so the number served is maximal first.  The
    constraint matrix is that of a network, so with whole-number people and
    capacities the optimum is whole numbers.

    Exactness of ``"mcf"``: people and capacities are integers (or scaled by
    1000 when they are multiples of 0.001), so the flow is exact; the number
    served is the exact maximum whatever the costs.  Costs are rounded to
    integers ``round(cost / delta)`` with ``delta = max(cost) / 2**31``
    (smaller if the totals would overflow 64 bits): the flows are exactly
    optimal for the rounded costs, and their true total cost exceeds the true
    optimum by at most ``served * delta`` (for one-hour costs, 1.7 µs per
    person).
    """
    co, cs, cc, pop, cap = _validate(cand_origin, cand_shelter, cand_cost, population, capacity)
    if solver not in SOLVERS:
        raise EvacuationError(f"unknown transport solver {solver!r}", hint=f"use one of {', '.join(SOLVERS)}")
    if len(cc) == 0 or pop.sum() == 0 or cap.sum() == 0:
        return TransportResult(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                               pop.copy(), 0.0, solver)
    if solver == "mcf":
        quantum = _people_quantum(pop, cap)
        if quantum is None:
            log.info("people or capacities are not multiples of 1/%d: solving with HiGHS", _PEOPLE_QUANTUM)
            solver = "highs"
        else:
            x = _solve_mcf(co, cs, cc, pop, cap, quantum)
    if solver == "highs":
        x = _solve_highs(co, cs, cc, pop, cap)
    pos = np.flatnonzero(x > 1e-9)
    people = x[pos]
    sent = np.bincount(co[pos], weights=people, minlength=len(pop))
    overflow = np.maximum(pop - sent, 0.0)
    return TransportResult(pos.astype(np.int64), co[pos], cs[pos], people, overflow,
                           float(people @ cc[pos]), solver)


def _validate(cand_origin, cand_shelter, cand_cost, population, capacity):
    co = np.asarray(cand_origin).ravel()
    cs = np.asarray(cand_shelter).ravel()
    cc = np.asarray(cand_cost, dtype=np.float64).ravel()
    pop = np.asarray(population, dtype=np.float64).ravel()
    cap = np.asarray(capacity, dtype=np.float64).ravel()
    problems = []
    if not (len(co) == len(cs) == len(cc)):
        raise EvacuationError(f"candidate arrays differ in length: origin {len(co)}, shelter {len(cs)}, cost {len(cc)}")
    for name, a in (("cand_origin", co), ("cand_shelter", cs)):
        if len(a) and not np.issubdtype(a.dtype, np.integer):
            problems.append(f"{name} must hold integer indices (dtype {a.dtype})")
    if problems:
        raise EvacuationError("; ".join(problems))
    co = co.astype(np.int64)
    cs = cs.astype(np.int64)
    if len(co) and (co.min() < 0 or co.max() >= len(pop)):
        problems.append(f"cand_origin names origins outside 0..{len(pop) - 1}")
    if len(cs) and (cs.min() < 0 or cs.max() >= len(cap)):
        problems.append(f"cand_shelter names shelters outside 0..{len(cap) - 1}")
    for name, a in (("cand_cost", cc), ("population", pop), ("capacity", cap)):
        bad = np.flatnonzero(~np.isfinite(a) | (a < 0))
        if len(bad):
            problems.append(f"{name} has {len(bad)} negative or non-finite values (e.g. row {bad[0]})")
    if problems:
        raise EvacuationError("transportation problem: " + "; ".join(problems),
                              hint="drop unreachable candidates (infinite cost) and check populations and capacities")
    return co, cs, cc, pop, cap


def _people_quantum(pop: np.ndarray, cap: np.ndarray) -> int | None:
    """1 when people and capacities are whole numbers, 1000 when multiples of 0.001, else None."""
    for q in (1, _PEOPLE_QUANTUM):
        ok = all(np.array_equal(np.round(a * q), a * q) or np.allclose(np.round(a * q), a * q, rtol=0, atol=1e-6)
                 for a in (pop, cap))
        if ok:
            return q
    return None


def _solve_mcf(co, cs, cc, pop, cap, quantum: int) -> np.ndarray:
    from ortools.graph.python import min_cost_flow

    n_o, n_s = len(pop), len(cap)
    pop_i = np.round(pop * quantum).astype(np.int64)
    cap_i = np.round(cap * quantum).astype(np.int64)
    total = int(pop_i.sum())
    # integer costs: as fine as 64-bit totals (people x cost, and the solver's scaling by the node count) allow
    max_c = float(cc.max())
    limit = min(_MAX_INT_COST, (2**62) // max(total, 1), (2**62) // (n_o + n_s + 2) // 16)
    scale = limit / max_c if max_c > 0 else 1.0
    c_int = np.round(cc * scale).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    # origins 0..n_o-1 supply their people; shelters n_o.. take up to their capacity
    smcf.add_arcs_with_capacity_and_unit_cost(co.astype(np.int32), (n_o + cs).astype(np.int32), pop_i[co], c_int)
    smcf.set_nodes_supplies(np.arange(n_o + n_s, dtype=np.int32), np.r_[pop_i, -cap_i])
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        raise EvacuationError(f"min-cost flow failed (status {status})",
                              hint="try solver='highs', or check shelter capacities and populations")
    return smcf.flows(np.arange(len(co))).astype(np.float64) / quantum


def _solve_highs(co, cs, cc, pop, cap) -> np.ndarray:
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n_o, n_s, nv = len(pop), len(cap), len(cc)
    # the model of assign_with_capacity: costs normalised to <= 1, penalty above any re-routing chain
    scale = float(cc.max()) if cc.max() > 0 else 1.0
    penalty = float(min(n_o, n_s) + 1) * 2.0
    c = np.r_[cc / scale, np.full(n_o, penalty)]
    a_eq = sp.csr_array((np.ones(nv + n_o), (np.r_[co, np.arange(n_o)], np.arange(nv + n_o))), shape=(n_o, nv + n_o))
    a_ub = sp.csr_array((np.ones(nv), (cs, np.arange(nv))), shape=(n_s, nv + n_o))
    res = linprog(c, A_ub=a_ub, b_ub=cap, A_eq=a_eq, b_eq=pop, bounds=(0, None), method="highs")
    if res.status != 0 or res.x is None:
        raise EvacuationError(f"capacity assignment failed: {res.message}",
                              hint="try solver='mcf', or check shelter capacities and populations")
    x = res.x[:nv]
    if _people_quantum(pop, cap) == 1:  # whole people: the optimal vertex is integral; tidy solver noise
        x = np.round(x)
    return np.maximum(x, 0.0)
