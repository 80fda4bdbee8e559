"""Candidates generated from the evacuation itself: missing links, flood-proofing of cut roads, slow busy roads.

Every generated candidate is screened by a *lower bound* of what it saves,
read off the nearest-shelter tree of the evacuation (``d(x)``: time from node
*x* to its nearest shelter; ``W(x)``: people whose route passes *x*):

* **missing link** a–b (two junctions at most ``link_max_m`` apart in a
  straight line): everyone whose route passes *a* can take the link and go on
  from *b*, so the link saves at least ``W(a) * (d(a) - (t_link + d(b)))``.
  People cut off count as ``unreachable_minutes``, and their ``W`` is the
  population of the cut-off area.  The pairs are found by one scan of a grid
  of cells ``link_max_m`` wide.  A link is kept only when the junctions are at
  least ``min_detour_ratio`` times farther apart by road than in a straight
  line (on the network without the hazard: a river without a bridge; the best
  ``max_link_checks`` pairs by the bound are checked, by A* searches), when it
  does not cross the international border or leave the study area, and when
  the hazard does not close it; a link crossing a river is a ``bridge``.
* **flood-proofing**: from each junction on a road the hazard closes, a
  search along the closed roads (at free-flow speed, up to
  ``floodproof_max_m``) finds the stretch to an open junction that saves
  most by the same bound; the stretch is the project.
* **upgrade**: roads slower than ``upgrade_below_kph`` carrying evacuees save
  at least ``load * (old time - new time)``; a project is one road (its
  ``road_id``), all its slow pieces.

Near-identical candidates are merged (links whose ends both lie within
``dedupe_m`` of a better link's; stretches sharing most of their roads), and
at most ``max_candidates`` are kept (half links, a quarter each of the other
kinds, unused places passed on).  The bound only orders the screening: every
kept candidate is then measured exactly (:mod:`safegeo.roadplan.plan`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from safegeo.hazards import HazardScenario
from safegeo.network import build_csr
from safegeo.roadplan._search import best_stretches, pair_distances, scan_links
from safegeo.roadplan.benefit import EvacuationModel, link_factors
from safegeo.roadplan.candidates import (
    TABLE_COLUMNS,
    CandidateSet,
    _merge_lines,
    _one_direction,
    both_directions,
    class_speed,
    edge_speed_kph,
    empty_set,
    estimate_costs,
)
from safegeo.routing import tree_edge_load

log = logging.getLogger(__name__)

#: Share of ``max_candidates`` given to each kind before unused places are passed on.
SHARES = {"link": 0.5, "floodproof": 0.25, "upgrade": 0.25}
#: Candidate id prefix per kind.
PREFIX = {"new_link": "NL", "bridge": "BR", "floodproof": "FP", "upgrade": "UP"}


def generate_candidates(
    evac: EvacuationModel,
    scenario: HazardScenario | None,
    *,
    params: Mapping[str, Any],
    speeds: Mapping[str, float],
    default_kph: float,
    extent: Any = None,
    border: Any = None,
    rivers: Any = None,
    max_candidates: int | None = None,
) -> CandidateSet:
    """Candidates from the evacuation's gaps (the method is in the module doc).

    Parameters
    ----------
    evac
        The evacuation the plan is measured against.
    scenario
        The hazard scenario (its closed roads make the flood-proofing candidates).
    params
        ``[roadplan]`` settings (resolved).
    speeds, default_kph
        Speed per road class (km/h).
    extent, border, rivers
        Study-area outline (links keep both ends inside, 200 m of slack), the
        international border (never crossed) and rivers (a link crossing one is
        a bridge), as shapely geometries in the network CRS, or None.
    max_candidates
        At most this many (default ``[roadplan] max_candidates``).

    Returns
    -------
    CandidateSet
    """
    m = int(params["max_candidates"] if max_candidates is None else max_candidates)
    base = evac.base
    crs = base.crs
    g, lab = evac.graph, evac.labels
    n = g.n_nodes
    load = tree_edge_load(lab.pred, lab.pred_edge, evac.pop_at, g.n_rows)
    fin = np.isfinite(lab.cost)
    w = np.zeros(n)
    has = lab.pred_edge >= 0
    w[has] = load[lab.pred_edge[has]]
    if (evac.pop_at[~fin] > 0).any():
        # people cut off: the whole cut-off area they are in can use a way out from any of its nodes
        usable = np.isfinite(g.cost) & ~fin[g.u] & ~fin[g.v]
        mat = sp.csr_array((np.ones(int(usable.sum())), (g.u[usable], g.v[usable])), shape=(n, n))
        _, comp = connected_components(mat, directed=False)
        comp_pop = np.bincount(comp, weights=np.where(fin, 0.0, evac.pop_at))
        w = np.where(fin, w, comp_pop[comp])
    start = np.where(fin, lab.cost, evac.cap_s)

    links = _links(evac, w, start, params=params, speeds=speeds, default_kph=default_kph, extent=extent,
                   border=border, rivers=rivers, scenario=scenario, want=m)
    proofs = _floodproofing(evac, w, start, scenario, params=params, want=m)
    upgrades = _upgrades(evac, load, params=params, speeds=speeds, default_kph=default_kph, want=m)
    lists = {"link": links, "floodproof": proofs, "upgrade": upgrades}
    quota = {k: int(np.floor(m * s)) for k, s in SHARES.items()}
    quota["link"] += m - sum(quota.values())
    take = {k: min(len(v), quota[k]) for k, v in lists.items()}
    spare = m - sum(take.values())
    for k in ("link", "floodproof", "upgrade"):
        extra = min(spare, len(lists[k]) - take[k])
        take[k] += extra
        spare -= extra
    parts = [lists[k].take(np.arange(take[k])) for k in ("link", "floodproof", "upgrade")]
    out = CandidateSet.concat(parts, crs)
    kinds = out.kind
    counter: dict[str, int] = {}
    ids = []
    for k in kinds:
        counter[k] = counter.get(k, 0) + 1
        ids.append(f"{PREFIX[k]}{counter[k]:03d}")
    out.table["candidate_id"] = ids
    out.table["name"] = [f"{k.replace('_', ' ')} {i}" for k, i in zip(kinds, ids, strict=True)]
    out.table["cost"] = estimate_costs(kinds, out.table["length_m"].to_numpy(float), params["unit_cost_mthb_per_km"])
    out.table["cost_estimated"] = True
    out.table["source"] = "auto"
    log.info("generated %d candidates: %s", len(out), ", ".join(f"{v} {k}" for k, v in counter.items()))
    return out


def _frame(crs, rows: dict[str, Any], geometry: list) -> gpd.GeoDataFrame:
    cols = {c: rows.get(c) for c in TABLE_COLUMNS}
    extra = {c: v for c, v in rows.items() if c not in cols}
    return gpd.GeoDataFrame({**cols, **extra}, geometry=geometry, crs=crs)


def _links(evac: EvacuationModel, w: np.ndarray, start: np.ndarray, *, params, speeds, default_kph, extent, border,
           rivers, scenario, want: int) -> CandidateSet:
    base = evac.base
    crs = base.crs
    nb = base.n_nodes
    lab = evac.labels
    r = float(params["link_max_m"])
    ratio = float(params["min_detour_ratio"])
    cls = params["new_link_class"]
    kph = class_speed(cls, speeds, default_kph)
    x, y = evac.net.x, evac.net.y
    src = np.flatnonzero((w[:nb] > 0) & (start[:nb] > 0))
    target_ok = np.zeros(evac.net.n_nodes, bool)
    target_ok[:nb] = np.isfinite(lab.cost[:nb])
    if len(src) == 0 or not target_ok.any():
        return _empty_links(crs)
    cx = np.floor((x[:nb] - x[:nb].min()) / r).astype(np.int64)
    cy = np.floor((y[:nb] - y[:nb].min()) / r).astype(np.int64)
    ncy = int(cy.max()) + 1
    key = cx * ncy + cy
    order = np.argsort(key, kind="stable")
    keys_sorted, first, counts = np.unique(key[order], return_index=True, return_counts=True)
    node, score = scan_links(x, y, src, w[src], start[src], lab.cost, target_ok, key, order.astype(np.int64),
                             first.astype(np.int64), (first + counts).astype(np.int64), keys_sorted.astype(np.int64),
                             ncy, r, kph / 3.6, 12)
    a = np.repeat(src, node.shape[1])
    b = node.ravel()
    s = score.ravel()
    keep = (b >= 0) & (s > 0)
    a, b, s = a[keep], b[keep], s[keep]
    if len(a) == 0:
        return _empty_links(crs)
    order = np.argsort(-s, kind="stable")
    a, b, s = a[order], b[order], s[order]
    pair = np.minimum(a, b) * np.int64(nb) + np.maximum(a, b)
    _, uniq = np.unique(pair, return_index=True)
    uniq = np.sort(uniq)
    a, b, s = a[uniq], b[uniq], s[uniq]
    lines = shapely.linestrings(np.stack([np.column_stack([x[a], y[a]]), np.column_stack([x[b], y[b]])], axis=1))
    ok = np.ones(len(a), bool)
    if border is not None:
        ok &= ~shapely.intersects(lines, border)
    if extent is not None:
        zone = shapely.buffer(extent, 200.0)
        shapely.prepare(zone)
        ok &= shapely.contains_xy(zone, x[a], y[a]) & shapely.contains_xy(zone, x[b], y[b])
    a, b, s, lines = a[ok], b[ok], s[ok], lines[ok]
    # far by road on the network without the hazard (a river without a bridge), in chunks of the best pairs until
    # enough are found (most close pairs are near each other by road too)
    lcsr = base.csr("length").matrix
    csr_arrays = (np.asarray(lcsr.indptr, np.int64), np.asarray(lcsr.indices, np.int64),
                  np.asarray(lcsr.data, np.float64))
    n_check = min(len(a), int(params["max_link_checks"]))
    chunk = max(5_000, 4 * want)
    parts = []
    found = 0
    for c0 in range(0, n_check, chunk):
        sl = slice(c0, min(c0 + chunk, n_check))
        ca, cb, cs, cl = a[sl], b[sl], s[sl], lines[sl]
        straight = shapely.length(cl)
        # A* searches bounded at the detour threshold: a pair close by road (most) costs a few nodes
        road = pair_distances(*csr_arrays, x, y, ca.astype(np.int64), cb.astype(np.int64), ratio * straight)
        keep = ~(road < ratio * straight)
        if keep.any():
            # how far the kept pairs are by road (up to twice the threshold), for the table
            road[keep] = pair_distances(*csr_arrays, x, y, ca[keep].astype(np.int64), cb[keep].astype(np.int64),
                                        2.0 * ratio * straight[keep])
        with np.errstate(divide="ignore", invalid="ignore"):
            detour = road / straight
        if keep.any():
            tmp = CandidateSet(_frame(crs, {"kind": np.full(int(keep.sum()), "new_link", dtype=object)},
                                      list(cl[keep])), ca[keep].astype(np.int64), cb[keep].astype(np.int64),
                               np.zeros(int(keep.sum()) + 1, np.int64), np.zeros(0, np.int64))
            factor = link_factors(tmp, scenario, crs)
            ok = factor > 0  # a link the hazard closes helps nobody in this scenario
            parts.append(tuple(v[keep][ok] for v in (ca, cb, cs, cl, straight, road, detour)))
            found += int(ok.sum())
        log.debug("links: %d of %d close pairs checked by road, %d far by road", sl.stop, len(a), found)
        if found >= 2 * want:
            break
    if not parts:
        return _empty_links(crs)
    a, b, s, lines, straight, road, detour = (np.concatenate([p[k] for p in parts]) for k in range(7))
    # near-identical links: both ends within dedupe_m of a better link's ends
    dd = float(params["dedupe_m"])
    kept: list[int] = []
    for i in range(len(a)):
        if len(kept) >= want:
            break
        if kept:
            k = np.asarray(kept)
            same = (np.hypot(x[a[k]] - x[a[i]], y[a[k]] - y[a[i]]) <= dd) & \
                (np.hypot(x[b[k]] - x[b[i]], y[b[k]] - y[b[i]]) <= dd)
            swap = (np.hypot(x[a[k]] - x[b[i]], y[a[k]] - y[b[i]]) <= dd) & \
                (np.hypot(x[b[k]] - x[a[i]], y[b[k]] - y[a[i]]) <= dd)
            if (same | swap).any():
                continue
        kept.append(i)
    k = np.asarray(kept, dtype=np.int64)
    lines = lines[k]
    kind = np.full(len(k), "new_link", dtype=object)
    if rivers is not None and len(k):
        kind[shapely.intersects(lines, rivers)] = "bridge"
    table = _frame(crs, {
        "kind": kind, "highway": np.full(len(k), cls, dtype=object), "speed_kph": np.full(len(k), kph),
        "oneway": np.zeros(len(k), bool), "length_m": np.round(straight[k], 1),
        "road_ids": np.full(len(k), None, dtype=object),
        "detour_ratio": np.round(np.where(np.isfinite(detour[k]), detour[k], np.nan), 2),
        "road_m": np.round(np.where(np.isfinite(road[k]), road[k], np.nan), 1),
        "screen_people_min": np.round(s[k] / 60.0, 1)}, list(lines))
    return CandidateSet(table, a[k].astype(np.int64), b[k].astype(np.int64), np.zeros(len(k) + 1, np.int64),
                        np.zeros(0, np.int64))


def _empty_links(crs) -> CandidateSet:
    return empty_set(crs)


def _floodproofing(evac: EvacuationModel, w: np.ndarray, start: np.ndarray, scenario: HazardScenario | None, *,
                   params, want: int) -> CandidateSet:
    base = evac.base
    crs = base.crs
    if scenario is None or not scenario.active:
        return empty_set(crs)
    closed = scenario.edges(base).closed
    if not closed.any():
        return empty_set(crs)
    nb = base.n_nodes
    g = evac.graph
    csr = build_csr(nb, base.u, base.v, np.where(closed, base.time_s, np.inf))
    mat = csr.matrix
    ent_len = base.length_m[csr.edge_of]
    src = np.unique(base.u[closed])
    src = src[(w[src] > 0) & (start[src] > 0)]
    if len(src) == 0:
        return empty_set(crs)
    open_out = np.bincount(g.u[~g.closed], minlength=g.n_nodes) > 0
    target_ok = np.zeros(nb, bool)
    target_ok[:] = np.isfinite(evac.labels.cost[:nb]) & open_out[:nb]
    # W(a) * start(a) bounds what any stretch from a can save: search the junctions in that order, in chunks,
    # and stop once the bound of the next chunk cannot beat the candidates already found (3x the number wanted,
    # for the near-duplicates dropped below)
    src = src[np.argsort(-(w[src] * start[src]), kind="stable")]
    bound = w[src] * start[src]
    arrays = (np.asarray(mat.indptr, np.int64), np.asarray(mat.indices, np.int64), np.asarray(mat.data, np.float64),
              ent_len, np.asarray(csr.edge_of, np.int64))
    parts = []
    found = np.zeros(0)
    chunk = max(2000, 4 * want)
    for c0 in range(0, len(src), chunk):
        cs = src[c0:c0 + chunk]
        part = best_stretches(*arrays, cs.astype(np.int64), w[cs], start[cs], evac.labels.cost[:nb], target_ok,
                              float(params["floodproof_max_m"]))
        parts.append(part)
        found = np.sort(np.r_[found, part[0][(part[1] >= 0) & (part[0] > 0)]])[::-1][:3 * want]
        nxt = c0 + chunk
        if nxt < len(src) and len(found) >= 3 * want and found[-1] >= bound[nxt]:
            log.debug("flood-proofing: searched %d of %d junctions (the rest cannot save more)", nxt, len(src))
            break
    score = np.concatenate([p[0] for p in parts])
    node = np.concatenate([p[1] for p in parts])
    ptr = np.zeros(len(score) + 1, np.int64)
    np.cumsum(np.concatenate([np.diff(p[2]) for p in parts]), out=ptr[1:])
    rows = np.concatenate([p[3] for p in parts])
    good = np.flatnonzero((node >= 0) & (score > 0))
    good = good[np.argsort(-score[good], kind="stable")]
    kept_sets: list[set] = []
    kept: list[tuple[int, np.ndarray]] = []
    for i in good:
        if len(kept) >= want:
            break
        r = both_directions(base, rows[ptr[i]:ptr[i + 1]])
        key = set(_one_direction(base, r).tolist())
        dup = any(len(key & o) >= 0.5 * min(len(key), len(o)) for o in kept_sets)
        if dup:
            continue
        kept_sets.append(key)
        kept.append((int(i), r))
    if not kept:
        return empty_set(crs)
    geoms, length, rid = [], [], []
    ed = base.edge_data
    road_id = ed["road_id"] if "road_id" in ed.columns else None
    for _, r in kept:
        one = _one_direction(base, r)
        geoms.append(_merge_lines(base.edge_geometries(one)))
        length.append(float(base.length_m[one].sum()))
        rid.append(",".join(sorted(set(road_id.iloc[one].astype(str).tolist()))) if road_id is not None else None)
    k = len(kept)
    idx = np.array([i for i, _ in kept])
    table = _frame(crs, {
        "kind": np.full(k, "floodproof", dtype=object), "highway": np.full(k, None, dtype=object),
        "speed_kph": np.full(k, np.nan), "oneway": np.zeros(k, bool), "length_m": np.round(length, 1),
        "road_ids": np.asarray(rid, dtype=object), "detour_ratio": np.full(k, np.nan), "road_m": np.full(k, np.nan),
        "screen_people_min": np.round(score[idx] / 60.0, 1)}, geoms)
    ptr_out = np.zeros(k + 1, np.int64)
    np.cumsum([len(r) for _, r in kept], out=ptr_out[1:])
    return CandidateSet(table, np.full(k, -1, np.int64), np.full(k, -1, np.int64), ptr_out,
                        np.concatenate([r for _, r in kept]).astype(np.int64))


def _upgrades(evac: EvacuationModel, load: np.ndarray, *, params, speeds, default_kph, want: int) -> CandidateSet:
    base = evac.base
    crs = base.crs
    g = evac.graph
    cls = params["upgrade_class"]
    tgt = class_speed(cls, speeds, default_kph)
    speed = edge_speed_kph(base)
    slow_base = (speed < float(params["upgrade_below_kph"])) & (speed < tgt)
    rm = evac.rowmap
    par = rm.parent
    use = (load > 0) & ~g.closed & slow_base[par]
    if not use.any():
        return empty_set(crs)
    rows = np.flatnonzero(use)
    t_new = base.length_m[par[rows]] / (tgt / 3.6) * rm.frac[rows]
    gain = load[rows] * (g.time_s[rows] - t_new) / g.factor[rows]
    per_base = np.bincount(par[rows], weights=gain, minlength=base.n_edges)
    ed = base.edge_data
    if "road_id" in ed.columns and ed["road_id"].notna().any():
        known = ed["road_id"].notna().to_numpy()
        group = np.where(known, ed["road_id"].astype(str).to_numpy(object),
                         np.array([f"edge:{i}" for i in range(base.n_edges)], dtype=object))
    else:
        a = np.minimum(base.u, base.v)
        b = np.maximum(base.u, base.v)
        group = (a.astype(np.int64) * base.n_nodes + b).astype(str).astype(object)
    df = pd.DataFrame({"g": group, "gain": per_base, "slow": slow_base})
    df = df[df["slow"]]
    tot = df.groupby("g", sort=False)["gain"].sum()
    tot = tot[tot > 0].sort_values(ascending=False, kind="stable").head(want)
    if len(tot) == 0:
        return empty_set(crs)
    sel = df[df["g"].isin(tot.index)]
    members = sel.groupby("g", sort=False).indices
    rows_of = [np.sort(sel.index.to_numpy()[members[gk]]).astype(np.int64) for gk in tot.index]
    geoms, length = [], []
    for r in rows_of:
        one = _one_direction(base, r)
        geoms.append(_merge_lines(base.edge_geometries(one)))
        length.append(float(base.length_m[one].sum()))
    k = len(rows_of)
    rid = [str(gk) if not str(gk).startswith("edge:") else None for gk in tot.index] \
        if "road_id" in ed.columns else [None] * k
    table = _frame(crs, {
        "kind": np.full(k, "upgrade", dtype=object), "highway": np.full(k, cls, dtype=object),
        "speed_kph": np.full(k, tgt), "oneway": np.zeros(k, bool), "length_m": np.round(length, 1),
        "road_ids": np.asarray(rid, dtype=object), "detour_ratio": np.full(k, np.nan), "road_m": np.full(k, np.nan),
        "screen_people_min": np.round(tot.to_numpy(float) / 60.0, 1)}, geoms)
    ptr = np.zeros(k + 1, np.int64)
    np.cumsum([len(r) for r in rows_of], out=ptr[1:])
    return CandidateSet(table, np.full(k, -1, np.int64), np.full(k, -1, np.int64), ptr,
                        np.concatenate(rows_of).astype(np.int64))
