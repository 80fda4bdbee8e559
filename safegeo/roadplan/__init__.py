"""Road-network improvement planning: which road project helps evacuation most, measured exactly and fast.

Candidates
----------
Four kinds of project (:mod:`safegeo.roadplan.candidates`): a **new link**
between two junctions, a **bridge** (a new link over water), an **upgrade**
of existing roads to a faster class, and **flood-proofing** of roads the
hazard closes.  They come from a planner's file (checked row by row), or are
generated from the evacuation's own gaps (:mod:`safegeo.roadplan.generate`):
junctions close in a straight line but far apart by road (a river without a
bridge; never across the international border), closed roads whose
reopening would bring evacuees out, slow roads that many evacuees use.

What a candidate is worth
-------------------------
The evacuation model is that of ``safegeo evacuate``
(:func:`safegeo.evacuation.evacuate_network`: the hazard scenario of the
study, villages with population attached where they stand, eligible shelters,
people inside a closed area leaving it on foot).  For each candidate, on the
network **with the candidate built**:

* ``benefit_people_min``: the person-minutes of evacuation to the nearest
  shelter saved, a person who cannot reach any shelter counting
  ``[roadplan] unreachable_minutes`` (120), so reconnecting people counts and
  the sum never meets an infinity;
* the people it reconnects (``isolated_by_hazard`` / ``no_path`` becoming
  reachable), brings within ``max_minutes``, or makes faster;
* the response-time gain of every vehicle type for the villages it touches
  (as :func:`safegeo.vehicles.response.response_coverage` computes it);
* for the best ``verify_top``: the same by full runs, also with shelter
  capacities (people served, capped person-minutes).

Candidates are ranked by benefit and by benefit per cost (million baht;
estimated from ``[roadplan] unit_cost_mthb_per_km`` when not given), and a
portfolio is chosen greedily within ``budget``, best benefit per cost first,
every gain re-measured on the network with the projects already chosen built
(lazily: a candidate is re-measured when it reaches the top of the queue).
The portfolio's gains therefore add up to its total benefit exactly; a full
recomputation with every project built confirms it (``settings["portfolio_check"]``).

Exactness of the fast measure
-----------------------------
No candidate needs a full recomputation.  Let ``d(x)`` be the time from node
*x* to its nearest shelter (one multi-source Dijkstra on the reversed graph,
the labels ``safegeo evacuate`` computes), and let a candidate change a few
arcs.  Arcs that get cheaper (a new link, an upgrade, a road opened under the
hazard) can only lower labels, and a node's label falls only if its new
shortest path uses a changed arc; so a Dijkstra seeded at the changed arcs'
heads with ``d(tail) + new cost``, and pushing a node only when its label
*strictly falls below its current value* ``d``, reaches exactly the nodes
whose time changes and stops at the first node whose current path is at least
as good (:func:`safegeo.roadplan._search.update_labels`).  Correctness: take
a node *v* whose time falls and the last node *p* before it on its new path
whose time does not; the arc ``p -> v`` is either changed (so *v* was seeded)
or unchanged (then ``d(v) <= d(p) + cost = new d(v)``, a contradiction).  By
induction on the new times every falling node is pushed with its exact time.

One change can make arcs dearer: building an open road out of a node whose
roads were all closed ends that node's way out on foot (the hazard-exit rule
of :func:`safegeo.evacuation.plan.hazard_exit_costs`).  Then the subtree of
the shortest-path tree hanging from the dearer arc is invalidated (labels set
to infinity), re-seeded from its neighbours outside it, and the same search
runs; the labels outside the subtree stay valid upper bounds realised by
paths, so the argument above still holds.  Multiple-source ties, parallel
roads (the cheapest one is what the graph stores; a blocked pair is re-offered
road by road) and new links reached only at their ends (``access`` False: a
village never joins a planned road along its length, in the full run too) are
handled the same way.  The searches touch only nodes whose time changes (plus
their neighbours), so 500 candidates on a province take seconds; a test
compares the best candidates with full ``evacuate_network`` runs on the
network with each built (nearest-shelter person-minutes and cut-off counts
equal), and ``benchmarks/bench_roadplan.py`` measures the speed-up.

Shelter capacities couple everyone's assignment; they are left out of the
ranking (an approximation) and measured by full runs for the best candidates
and for the portfolio.

Examples
--------
>>> from safegeo.study import load_study                              # doctest: +SKIP
>>> from safegeo.roadplan import plan_roads                          # doctest: +SKIP
>>> plan = plan_roads(load_study("data/study.toml"), budget=300)     # doctest: +SKIP
>>> plan.candidates.head()                                           # doctest: +SKIP
>>> plan.write("out/roads")                                          # doctest: +SKIP
"""

from safegeo._errors import RoadPlanError
from safegeo.roadplan.candidates import (
    KINDS,
    CandidateSet,
    apply_to_network,
    read_candidates,
)
from safegeo.roadplan.generate import generate_candidates
from safegeo.roadplan.plan import demo_step, plan_roads, plan_roads_network
from safegeo.roadplan.result import RoadPlanResult, road_plan_charts

__all__ = [
    "KINDS",
    "CandidateSet",
    "RoadPlanError",
    "RoadPlanResult",
    "apply_to_network",
    "demo_step",
    "generate_candidates",
    "plan_roads",
    "plan_roads_network",
    "read_candidates",
    "road_plan_charts",
]
