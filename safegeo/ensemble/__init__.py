"""Scenario ensembles: many hazard scenarios at once, on Dask's scheduler, aggregated per village and tambon.

Planning for a disaster means many scenarios, not one: flood depths by return
period, rainfall that closes different roads, bridges that may fail, shelters
that may not open.  A scenario file (:mod:`safegeo.ensemble.scenarios`)
lists them as changes to one study; :func:`run_ensemble` runs the evacuation
of each on the same prepared network (sent to every worker once,
:mod:`safegeo.ensemble.run`) and says what they say together
(:class:`EnsembleResult`): the probability that each village is cut off or
finds no place in time, travel-time percentiles, and the roads and shelters
that matter most across the scenarios.

Examples
--------
>>> from safegeo.ensemble import run_ensemble                       # doctest: +SKIP
>>> res = run_ensemble(study, "scenarios.toml")                     # doctest: +SKIP
>>> res.villages.nlargest(5, "p_cut_off")                           # doctest: +SKIP
>>> res.write("out/ensemble")                                       # doctest: +SKIP
"""

from safegeo.ensemble.result import EnsembleResult, aggregate, ensemble_charts, run_ensemble, weighted_percentiles
from safegeo.ensemble.run import EnsembleError, Outcome, Payload, payload_for, run_scenario, run_scenarios
from safegeo.ensemble.scenarios import Scenario, read_scenarios

__all__ = [
    "EnsembleError",
    "EnsembleResult",
    "Outcome",
    "Payload",
    "Scenario",
    "aggregate",
    "ensemble_charts",
    "payload_for",
    "read_scenarios",
    "run_ensemble",
    "run_scenario",
    "run_scenarios",
    "weighted_percentiles",
]
