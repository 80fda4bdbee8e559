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

from safegeo._errors import EvacuationError
from safegeo.evacuation.assign import assign_with_capacity, greedy_nearest_fill
from safegeo.evacuation.plan import demo_step, evacuate, evacuate_network
from safegeo.evacuation.result import (
    GPKG_GEOMETRY_TYPES,
    STATUSES,
    SUMMARY_MINUTES,
    UNREACHABLE_REASONS,
    EvacuationResult,
)

__all__ = [
    "GPKG_GEOMETRY_TYPES",
    "STATUSES",
    "SUMMARY_MINUTES",
    "UNREACHABLE_REASONS",
    "EvacuationError",
    "EvacuationResult",
    "assign_with_capacity",
    "demo_step",
    "evacuate",
    "evacuate_network",
    "greedy_nearest_fill",
]
