"""Scenario files: many hazard scenarios as changes to one study.

A scenario file lists scenarios as changes to the base study, in TOML::

    [defaults]                      # applies to every scenario unless it says otherwise
    max_minutes = 60

    [[scenario]]
    name = "flood 10-year"
    hazards = "flood_rp10"          # hazard entries of the study (names or kinds, comma-separated; "none")
    depth_threshold_m = 0.5         # this scenario's depth threshold for every raster

    [[scenario]]
    name = "school closed"
    hazards = "flood"
    shelters_out = ["SH002", "SH017"]
    capacity_factor = 0.8           # every shelter holds 80 % of its capacity

    [[scenario]]
    name = "roads cut"
    close_roads = ["road_id:4711", "edge:1523"]   # by the roads layer's road_id, or a network edge row

    [[scenario]]
    name = "bridges fail"
    hazards = "flood"
    bridge_failure_p = 0.1          # each bridge fails with this probability ...
    samples = 500                   # ... in 500 sampled scenarios
    seed = 7

or as CSV (one scenario a row; lists separated by ``;``) with the same column
names.  Sampled entries expand into ``samples`` scenarios, each drawn with its
own seed (``seed + k``), so a run is reproducible scenario by scenario.

:func:`read_scenarios` returns :class:`Scenario` objects with every change
resolved against the study (names checked, edges and shelters found), so a
worker needs nothing but the prepared network to run one.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from safegeo._errors import StudyFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Keys a scenario may have.
KEYS = ("name", "hazards", "depth_threshold_m", "capacity_factor", "shelters_out", "close_roads",
        "bridge_failure_p", "samples", "seed", "max_minutes")


@dataclass(frozen=True)
class Scenario:
    """One scenario, resolved: what to close, exclude and scale, with no reference to files.

    Attributes
    ----------
    name
        Unique name (sampled scenarios: ``"<entry> #k"``).
    hazards
        Hazard choice for :meth:`StudyArea.scenario` (``"all"``, names, ``"none"``).
    depth_threshold_m
        This scenario's depth threshold for every raster (None: the entries' own).
    capacity_factor
        Every shelter's capacity is multiplied by this.
    shelters_out
        Shelter ids out of service.
    closed_edges
        Edge rows of the study's drive network closed (failed bridges, roads cut).
    max_minutes
        Longest acceptable trip (None: ``[evacuation] max_minutes``).
    group
        The file entry it came from (sampled scenarios share it).
    """

    name: str
    hazards: str = "all"
    depth_threshold_m: float | None = None
    capacity_factor: float = 1.0
    shelters_out: tuple[str, ...] = ()
    closed_edges: tuple[int, ...] = ()
    max_minutes: float | None = None
    group: str = ""
    meta: dict = field(default_factory=dict, compare=False)


def _list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(",", ";").split(";") if v.strip()]
    return [str(v).strip() for v in value]


def _number(value: Any, where: str, *, lo: float | None = None, hi: float | None = None,
            integer: bool = False) -> float | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise StudyFileError(f"{where} must be a number, not {value!r}") from None
    if not math.isfinite(x) or (lo is not None and x < lo) or (hi is not None and x > hi) or (
            integer and not x.is_integer()):
        rule = " and ".join(r for r in (f">= {lo:g}" if lo is not None else "", f"<= {hi:g}" if hi is not None else "",
                                        "whole" if integer else "") if r)
        raise StudyFileError(f"{where} must be {rule}, not {value!r}")
    return x


def _entries(path: Path) -> tuple[list[dict], dict]:
    if not path.exists():
        raise StudyFileError(f"{path}: scenario file not found", hint="give a .toml or .csv scenario file")
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = [{k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in r.items() if k}
                    for r in csv.DictReader(fh)]
        return [{k: v for k, v in r.items() if v not in ("", None)} for r in rows], {}
    try:
        cfg = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise StudyFileError(f"{path}: not valid TOML ({exc})", hint="fix the syntax at the line given") from exc
    extra = sorted(set(cfg) - {"scenario", "defaults"})
    if extra:
        raise StudyFileError(f"{path}: unknown section(s) {', '.join(extra)}",
                             hint="a scenario file has [defaults] and [[scenario]] entries")
    entries = cfg.get("scenario", [])
    if not isinstance(entries, list) or not entries:
        raise StudyFileError(f"{path}: no [[scenario]] entries", hint='add [[scenario]] with name = "..."')
    return entries, cfg.get("defaults", {})


def read_scenarios(path: str | Path, study) -> list[Scenario]:
    """Read a scenario file and resolve it against *study* (names, roads, shelters), expanding sampled entries.

    Raises
    ------
    StudyFileError
        A malformed file, an unknown key, hazard, shelter or road, or a value out of range (the entry is named).
    """
    path = Path(path)
    entries, defaults = _entries(path)
    net = study.network("drive")
    edge_data = net.edge_data
    shelters = set(study.layer("shelters")["shelter_id"].astype(str)) if study.has("shelters") else set()
    bridges = np.flatnonzero(edge_data["bridge"].fillna(False).astype(bool).to_numpy()) \
        if "bridge" in edge_data.columns else np.zeros(0, np.int64)
    # one failure draw per bridge (both directions of a two-way bridge fail together)
    pair = np.minimum(net.u[bridges], net.v[bridges]).astype(np.int64) * net.n_nodes + np.maximum(
        net.u[bridges], net.v[bridges])
    bridge_groups = [bridges[pair == k] for k in np.unique(pair)]
    road_ids = edge_data["road_id"].astype(str).to_numpy() if "road_id" in edge_data.columns else None
    out: list[Scenario] = []
    names: set[str] = set()
    for i, raw in enumerate(entries, start=1):
        if not isinstance(raw, dict):
            raise StudyFileError(f"{path}: scenario {i} must be a table", hint='[[scenario]]\nname = "..."')
        entry = {**defaults, **raw}
        typos = sorted(set(entry) - set(KEYS))
        if typos:
            raise StudyFileError(f"{path}: scenario {i}: unknown key(s) {', '.join(typos)}",
                                 hint=f"known keys: {', '.join(KEYS)}")
        name = str(entry.get("name") or f"scenario {i}")
        where = f"{path}: scenario {name!r}"
        if name in names:
            raise StudyFileError(f"{where}: the name is used twice", hint="give every scenario its own name")
        names.add(name)
        hazards = str(entry.get("hazards", "all")).strip() or "all"
        try:
            study.hazard(hazards)
        except StudyFileError as exc:
            raise StudyFileError(f"{where}: {exc.args[0]}", hint=exc.hint) from None
        thr = _number(entry.get("depth_threshold_m"), f"{where}: depth_threshold_m", lo=0)
        factor = _number(entry.get("capacity_factor"), f"{where}: capacity_factor", lo=0)
        factor = 1.0 if factor is None else factor
        mins = _number(entry.get("max_minutes"), f"{where}: max_minutes", lo=1e-9)
        out_sh = _list(entry.get("shelters_out"))
        unknown = [s for s in out_sh if s not in shelters]
        if unknown:
            raise StudyFileError(f"{where}: no shelter {', '.join(unknown)} in the study",
                                 hint="shelters_out takes shelter_id values of the shelters layer")
        closed: list[int] = []
        for ref in _list(entry.get("close_roads")):
            kind, _, value = ref.partition(":")
            if kind == "edge" and value.isdigit() and int(value) < net.n_edges:
                row = int(value)
                twin = np.flatnonzero((net.u == net.v[row]) & (net.v == net.u[row]))
                closed += [row, *twin.tolist()]
            elif kind == "road_id" and road_ids is not None and (road_ids == value).any():
                closed += np.flatnonzero(road_ids == value).tolist()
            else:
                raise StudyFileError(f"{where}: close_roads {ref!r} is no road of the study's drive network",
                                     hint='write "road_id:<id of the roads layer>" or "edge:<row of the network>"')
        p_fail = _number(entry.get("bridge_failure_p"), f"{where}: bridge_failure_p", lo=0, hi=1)
        samples = _number(entry.get("samples"), f"{where}: samples", lo=1, integer=True)
        seed = _number(entry.get("seed"), f"{where}: seed", lo=0, integer=True)
        base = {"hazards": hazards, "depth_threshold_m": thr, "capacity_factor": factor,
                "shelters_out": tuple(out_sh), "max_minutes": mins, "group": name}
        if p_fail is None:
            if samples not in (None, 1):
                raise StudyFileError(f"{where}: samples needs something to sample",
                                     hint="add bridge_failure_p, or remove samples")
            out.append(Scenario(name, closed_edges=tuple(sorted(set(closed))), **base))
            continue
        n = int(samples or 1)
        s0 = int(seed if seed is not None else 0)
        for k in range(n):
            rng = np.random.default_rng([s0, k])
            fail = rng.random(len(bridge_groups)) < p_fail
            failed = [int(e) for g, f in zip(bridge_groups, fail, strict=True) if f for e in g]
            out.append(Scenario(f"{name} #{k + 1}", closed_edges=tuple(sorted(set(closed) | set(failed))),
                                meta={"sample": k + 1, "seed": [s0, k], "bridges_failed": int(fail.sum())}, **base))
            names.add(f"{name} #{k + 1}")
    return out
