"""Running many scenarios: one by one, or on Dask's distributed scheduler, with the same answers.

Everything a scenario needs (the prepared network, the villages, the shelters,
the hazard sources and the areas) travels to the workers **once**
(``Client.scatter(..., broadcast=True)``); each scenario then sends only its
small :class:`~safegeo.ensemble.scenarios.Scenario` and returns a small
:class:`Outcome` (per-village arrays, shelter loads, critical roads).  On a
worker the network with the villages and shelters attached, and the hazard
state of each hazard choice, are built once and reused by every scenario it
runs.

A scenario that fails is reported with its error in :attr:`Outcome.error`;
the others go on.  Running the same scenarios one by one in this process
(``scheduler="sequential"``) gives identical outcomes (a test checks it).

Where to run
------------
* ``scheduler=None`` (default): a :class:`dask.distributed.LocalCluster` on
  this machine, one worker process per core (``workers=``);
* ``scheduler="tcp://host:8786"``: a running Dask scheduler whose workers
  may be on other machines.  Start one with ``dask scheduler`` on one machine
  and ``dask worker tcp://host:8786 --nthreads 1 --nworkers N`` on each of the
  others; every worker needs safegeo installed and the study's raster files at
  the same path;
* ``scheduler="sequential"``: no Dask, a plain loop here.
"""

from __future__ import annotations

import logging
import time
import traceback
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo._errors import SafegeoError
from safegeo.ensemble.scenarios import Scenario

log = logging.getLogger(__name__)

#: Per-village status codes of an :class:`Outcome`.
ASSIGNED, BEYOND, OVERFLOW, CUT_OFF, OFF_NETWORK = 0, 1, 2, 3, 4
_STATUS = {"assigned": ASSIGNED, "beyond_max_time": BEYOND, "overflow": OVERFLOW}


class EnsembleError(SafegeoError, RuntimeError):
    """The ensemble cannot run (no scenario, no scheduler reachable, dask missing)."""


@dataclass
class Payload:
    """What every scenario needs, sent to each worker once."""

    network: Any  # RoadNetwork (the study's drive network)
    villages: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    hazards: list  # HazardSource
    params: dict
    districts: gpd.GeoDataFrame | None
    tambons: gpd.GeoDataFrame | None
    capacity: bool = True

    def __setstate__(self, state: dict) -> None:
        RECEIVED["payloads"] += 1  # how often this process unpickled a payload: once per run on a worker
        self.__dict__.update(state)


#: Payloads this process has received (unpickled); a worker of a run counts one (``Client.run`` reads it).
RECEIVED = {"payloads": 0}


@dataclass
class Outcome:
    """What one scenario found, compact enough to send back.

    Attributes
    ----------
    name
        The scenario's name.
    status
        Per village (in layer order): the worst of its people — 0 assigned,
        1 beyond the time limit, 2 some overflow, 3 cut off (no road to any
        usable shelter), 4 off the network.
    time_s
        Per village: people-weighted travel time of its assigned people (NaN: none).
    overflow
        Per village: people without a place within the time limit.
    assigned_to
        Per village: the shelter most of its people go to ("" none).
    shelter_load
        Per shelter (layer order): people assigned.
    critical_edges, critical_people
        Road edges (rows of the drive network) whose loss cuts people off, and how many.
    seconds
        Time the scenario took on its worker.
    error
        The error when the scenario failed (then the arrays are empty).
    """

    name: str
    status: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    overflow: np.ndarray = field(default_factory=lambda: np.zeros(0))
    assigned_to: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    shelter_load: np.ndarray = field(default_factory=lambda: np.zeros(0))
    critical_edges: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    critical_people: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def same_as(self, other: Outcome) -> bool:
        """Equal results (times within 1e-9 s): what sequential and distributed runs must give."""
        if self.ok != other.ok or self.name != other.name:
            return False
        if not self.ok:
            return True
        return (np.array_equal(self.status, other.status)
                and np.allclose(self.time_s, other.time_s, rtol=0, atol=1e-9, equal_nan=True)
                and np.array_equal(self.overflow, other.overflow)
                and np.array_equal(self.assigned_to, other.assigned_to)
                and np.array_equal(self.shelter_load, other.shelter_load)
                and np.array_equal(self.critical_edges, other.critical_edges)
                and np.array_equal(self.critical_people, other.critical_people))


# ---------------------------------------------------------------------------------------------
# one scenario (runs on a worker)
# ---------------------------------------------------------------------------------------------
_WORKER_STATE: dict[int, dict] = {}  # per payload (id): reused attachment and hazard states


def run_scenario(payload: Payload, scenario: Scenario) -> Outcome:
    """Run one scenario's evacuation; never raises (a failure is the outcome's ``error``)."""
    from safegeo.areas import AreaIndex
    from safegeo.evacuation.plan import evacuate_network
    from safegeo.hazards import HazardScenario

    t0 = time.perf_counter()
    try:
        state = _state_of(payload)
        if state["areas"] is None:
            state["areas"] = AreaIndex(payload.districts, payload.tambons)
        key = (scenario.hazards, scenario.depth_threshold_m)
        hz = state["hazards"].get(key)
        if hz is None:
            sources = _pick(payload.hazards, scenario.hazards)
            hz = HazardScenario.from_sources(sources, params=payload.params,
                                             depth_threshold_m=scenario.depth_threshold_m)
            state["hazards"][key] = hz
        sh = payload.shelters
        if scenario.shelters_out or scenario.capacity_factor != 1.0:
            sh = sh.copy()
            cap = pd.to_numeric(sh["capacity"], errors="coerce").fillna(0.0).to_numpy(float)
            cap = np.floor(cap * scenario.capacity_factor)
            cap[sh["shelter_id"].astype(str).isin(scenario.shelters_out).to_numpy()] = 0.0
            sh["capacity"] = cap
        ev = payload.params.get("evacuation", {})
        res = evacuate_network(
            payload.network, payload.villages, sh, scenario=hz, origin_id_column="village_id",
            capacity=payload.capacity, max_minutes=scenario.max_minutes or ev.get("max_minutes"),
            k_nearest=ev.get("k_nearest"), max_snap_m=payload.params.get("network", {}).get("max_snap_m"),
            hazard_exit_kph=ev.get("hazard_exit_kph"), routes=False, areas=state["areas"],
            closed_edges=np.asarray(scenario.closed_edges, dtype=np.int64), reuse=state["reuse"])
        return _outcome(scenario.name, res, payload, time.perf_counter() - t0)
    except Exception as exc:  # a failed scenario is reported, the others go on
        log.debug("scenario %s failed", scenario.name, exc_info=True)
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Outcome(scenario.name, seconds=time.perf_counter() - t0, error=tb)


def _state_of(payload: Payload) -> dict:
    """This process's reusable state for *payload*; dropped when the payload is (no stale state under a reused id)."""
    key = id(payload)
    state = _WORKER_STATE.get(key)
    if state is None:
        state = _WORKER_STATE[key] = {"reuse": {}, "hazards": {}, "areas": None}
        weakref.finalize(payload, _WORKER_STATE.pop, key, None)
    return state


def _pick(sources: list, choice: str) -> list:
    if choice is None or str(choice).strip().lower() == "all":
        return list(sources)
    if str(choice).strip().lower() == "none":
        return []
    picked = []
    for part in str(choice).split(","):
        part = part.strip()
        found = [h for h in sources if part in (h.name, h.kind)]
        if not found:
            raise SafegeoError(f"no hazard named {part!r}")
        picked += [h for h in found if h not in picked]
    return picked


def _outcome(name: str, res, payload: Payload, seconds: float) -> Outcome:
    ids = payload.villages["village_id"].astype(str).to_numpy()
    pos = pd.Index(ids)
    a = res.assignments
    o = pos.get_indexer(a["origin_id"].astype(str))
    n = len(ids)
    st = a["status"].to_numpy(object)
    p = a["population"].to_numpy(float)
    code = np.full(len(a), ASSIGNED, np.int8)
    code[st == "beyond_max_time"] = BEYOND
    code[st == "overflow"] = OVERFLOW
    unreach = st == "unreachable"
    code[unreach] = np.where(a["reason"].to_numpy(object)[unreach] == "off_network", OFF_NETWORK, CUT_OFF)
    status = np.zeros(n, np.int8)
    np.maximum.at(status, o, code)
    assigned = st == "assigned"
    w = np.bincount(o[assigned], weights=p[assigned], minlength=n)
    wt = np.bincount(o[assigned], weights=(p * a["travel_time_s"].to_numpy(float))[assigned], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        time_s = np.where(w > 0, wt / np.where(w > 0, w, 1.0), np.nan)
    # villages of nobody assigned but a known trip (0 people): their travel time still tells
    zero = (w == 0) & np.isin(np.arange(n), o[assigned])
    if zero.any():
        first = pd.Series(a["travel_time_s"].to_numpy(float)[assigned], index=o[assigned]).groupby(level=0).first()
        time_s[zero] = first.reindex(np.flatnonzero(zero)).to_numpy()
    overflow = np.bincount(o[st == "overflow"], weights=p[st == "overflow"], minlength=n)
    main = (a.loc[assigned, ["origin_id", "shelter_id", "population"]]
            .sort_values("population", ascending=False, kind="stable").drop_duplicates("origin_id"))
    to = np.full(n, "", dtype=object)
    to[pos.get_indexer(main["origin_id"].astype(str))] = main["shelter_id"].astype(str).to_numpy()
    load = res.shelters["assigned"].to_numpy(float)
    cr = res.critical_roads
    if len(cr) and "isolated_population" in cr.columns:
        cut = cr[cr["isolated_population"] > 0]
        edges, people = cut["edge"].to_numpy(np.int64), cut["isolated_population"].to_numpy(float)
        order = np.argsort(edges, kind="stable")
        edges, people = edges[order], people[order]
    else:
        edges, people = np.zeros(0, np.int64), np.zeros(0)
    return Outcome(name, status, time_s, overflow, to, load, edges, people, seconds)


# ---------------------------------------------------------------------------------------------
# many scenarios
# ---------------------------------------------------------------------------------------------
def payload_for(study, *, capacity: bool = True) -> Payload:
    """The payload of a study: its drive network, villages, shelters, hazards, areas and parameters."""
    villages = study.layer("villages")
    keep_v = [c for c in ("village_id", "population", "name_en", "name_th", "geometry") if c in villages.columns]
    shelters = study.layer("shelters")
    keep_s = [c for c in ("shelter_id", "capacity", "kind", "safe_for", "name_en", "geometry") if c in shelters.columns]
    return Payload(study.network("drive"), villages[keep_v].copy(), shelters[keep_s].copy(), list(study.hazards),
                   dict(study.params), study.layers.get("districts"), study.layers.get("tambons"), capacity)


def run_scenarios(
    payload: Payload,
    scenarios: Sequence[Scenario],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    """Run every scenario; outcomes in the order of *scenarios*.

    Parameters
    ----------
    scheduler
        ``None``: a local Dask cluster; ``"tcp://host:port"``: a running
        scheduler; ``"sequential"``: a plain loop in this process.
    workers
        Worker processes of the local cluster (default: the machine's cores).
    progress
        Called with (done, total) as outcomes arrive.
    """
    if not scenarios:
        raise EnsembleError("no scenario to run", hint="the scenario file lists none")
    total = len(scenarios)
    if scheduler == "sequential":
        out = []
        for i, sc in enumerate(scenarios, start=1):
            out.append(run_scenario(payload, sc))
            if progress:
                progress(i, total)
        return out
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise EnsembleError("dask.distributed is not installed", hint="pip install 'dask[distributed]'") from exc
    import os

    cluster = None
    try:
        if scheduler is None:
            n = workers or max(1, os.cpu_count() or 1)
            # no dashboard, and its HTTP server on a free port: no clash with another cluster on 8787
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                   scheduler_kwargs={"dashboard_address": ":0"})
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise EnsembleError(f"cannot reach the Dask scheduler at {scheduler} ({exc})",
                                    hint="start it with `dask scheduler` and its workers with "
                                         "`dask worker tcp://HOST:8786`") from None
        with client:
            shared = client.scatter(payload, broadcast=True)  # the network goes to every worker once
            futures = client.map(run_scenario, [shared] * total, list(scenarios), pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            out: list[Outcome | None] = [None] * total
            for done, fut in enumerate(as_completed(futures), start=1):
                try:
                    out[index[fut.key]] = fut.result()
                except Exception as exc:  # the worker died: report it, keep the rest
                    sc = scenarios[index[fut.key]]
                    out[index[fut.key]] = Outcome(sc.name, error=f"worker failed: {exc}")
                if progress:
                    progress(done, total)
            return [o for o in out if o is not None]
    finally:
        if cluster is not None:
            cluster.close()
