"""Where new street lights, cameras or SOS buttons close the most priority-weighted coverage gap.

This is the maximal covering location problem (MCLP, Church & ReVelle 1974)
on road stretches: choose *n* sites among candidates so that the
priority-weighted length of gap they newly cover is largest.  Existing assets
stay fixed (their coverage is already removed from the gaps).

The gaps are cut into *atoms* at every point where a candidate's coverage
starts or stops, so each candidate covers a set of whole atoms and the
problem becomes weighted maximum coverage on a sparse candidate × atom
matrix (built with numpy, no per-candidate loops):

* :func:`greedy_max_cover` repeatedly takes the candidate with the largest
  marginal gain.  The objective is monotone submodular, so greedy is
  guaranteed at least ``1 - 1/e`` (about 63 %) of the optimum (Nemhauser,
  Wolsey & Fisher 1978), and in practice it is usually within a few percent;
  it handles any size.
* :func:`exact_max_cover` solves the integer programme with HiGHS (through
  ``scipy.optimize.milp``, so offline and with no extra solver) for small
  instances, to check greedy or when the optimum matters.

:func:`propose_sites` generates candidates along the gaps of a
:class:`~safegeo.coverage.CoverageResult` (every ``spacing_m``; cameras in
both directions along the road; SOS buttons at walking-network junctions),
computes what each would cover with the same exact kernels as the coverage
analysis, and returns the chosen sites in order with the length each adds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from safegeo._errors import CoverageError
from safegeo.coverage.assets import (
    ASSETS,
    _camera_kernel,
    _reach_intervals,
    _walk_link,
    _WalkLink,
    sector_intervals,
)
from safegeo.coverage.intervals import Intervals, SegmentIndex, intersect_intervals
from safegeo.coverage.result import _empty_proposals

if TYPE_CHECKING:
    from safegeo.coverage.result import CoverageResult

log = logging.getLogger(__name__)

__all__ = ["MclpSolution", "greedy_max_cover", "exact_max_cover", "coverage_matrix", "propose_sites"]

#: Largest candidate count :func:`exact_max_cover` accepts by default.
MAX_EXACT_CANDIDATES = 3000


@dataclass
class MclpSolution:
    """Chosen candidates in order of selection.

    Attributes
    ----------
    order
        Candidate indices, best first (for the exact solver: re-ordered by
        marginal gain so the first site is the one that adds most).
    gain
        Weighted gain each adds given those before it.
    objective
        Total weighted coverage of the chosen set.
    method
        ``"greedy"`` or ``"exact"``.
    optimal
        True when the solver proved optimality (exact).
    """

    order: np.ndarray
    gain: np.ndarray
    objective: float
    method: str
    optimal: bool


def _as_csr(cover: Any) -> sp.csr_array:
    c = sp.csr_array(cover, dtype=np.float64)
    c.sum_duplicates()
    c.data[:] = 1.0
    return c


def greedy_max_cover(cover: Any, weight: np.ndarray, n: int) -> MclpSolution:
    """Greedy weighted maximum coverage.

    Parameters
    ----------
    cover
        Sparse (candidates × elements) 0/1 matrix: which elements each candidate covers.
    weight
        Weight of each element (here: priority-weighted metres).
    n
        Number of candidates to choose.

    Returns
    -------
    MclpSolution
        Stops early when no candidate adds anything.  Ties go to the lowest
        candidate index.  Guarantee: at least ``(1 - 1/e)`` of the optimum.

    Examples
    --------
    >>> import numpy as np
    >>> sol = greedy_max_cover(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]]), np.array([1.0, 5.0, 1.0]), 1)
    >>> sol.order.tolist(), float(sol.objective)
    ([0], 6.0)
    """
    c = _as_csr(cover)
    w = np.asarray(weight, dtype=np.float64)
    if w.shape != (c.shape[1],):
        raise CoverageError(f"weight has shape {w.shape}; expected ({c.shape[1]},)")
    live = w.copy()
    order: list[int] = []
    gains: list[float] = []
    for _ in range(max(int(n), 0)):
        g = c @ live
        j = int(np.argmax(g)) if len(g) else -1
        if j < 0 or g[j] <= 0:
            break
        order.append(j)
        gains.append(float(g[j]))
        live[c.indices[c.indptr[j]:c.indptr[j + 1]]] = 0.0
    return MclpSolution(np.array(order, np.int64), np.array(gains), float(sum(gains)), "greedy", False)


def exact_max_cover(cover: Any, weight: np.ndarray, n: int, *, time_limit_s: float = 60.0,
                    max_candidates: int = MAX_EXACT_CANDIDATES) -> MclpSolution:
    """Optimal weighted maximum coverage as a mixed-integer programme (HiGHS via ``scipy.optimize.milp``).

    ``max Σ w_e y_e  s.t.  y_e <= Σ_{j covers e} x_j,  Σ x_j <= n,  x binary, 0 <= y <= 1``.
    Elements covered by the same set of candidates are merged first, which
    keeps the programme small.  HiGHS ships inside SciPy, so this works offline
    with no extra solver to install.

    Returns
    -------
    MclpSolution
        ``optimal`` is False when the time limit stopped the solver first
        (the best set found is returned).

    Raises
    ------
    CoverageError
        More than *max_candidates* useful candidates (use the greedy solver,
        or a larger candidate spacing), or the solver failed.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    c = _as_csr(cover)
    w = np.asarray(weight, dtype=np.float64)
    useful = np.flatnonzero(c @ w > 0)
    if len(useful) > max_candidates:
        raise CoverageError(f"{len(useful)} candidates are too many for the exact solver (limit {max_candidates})",
                            hint="use method='greedy', or a larger spacing_m for fewer candidates")
    if len(useful) == 0 or n <= 0:
        return MclpSolution(np.zeros(0, np.int64), np.zeros(0), 0.0, "exact", True)
    sub = c[useful]
    cols = sp.csc_array(sub)
    cols.sort_indices()
    # group elements by the set of candidates covering them
    keys: dict[tuple, int] = {}
    group = np.full(sub.shape[1], -1, np.int64)
    for e in np.flatnonzero(np.diff(cols.indptr) > 0):
        group[e] = keys.setdefault(tuple(cols.indices[cols.indptr[e]:cols.indptr[e + 1]].tolist()), len(keys))
    ng, nc = len(keys), len(useful)
    gw = np.bincount(group[group >= 0], weights=w[group >= 0], minlength=ng)
    # rows: y_g - sum_{j in K_g} x_j <= 0, then sum x_j <= n
    rows = [np.arange(ng)]
    cols_ = [nc + np.arange(ng)]
    vals = [np.ones(ng)]
    for k, g in keys.items():
        rows.append(np.full(len(k), g))
        cols_.append(np.asarray(k, np.int64))
        vals.append(-np.ones(len(k)))
    rows.append(np.full(nc, ng))
    cols_.append(np.arange(nc))
    vals.append(np.ones(nc))
    a = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols_))), shape=(ng + 1, nc + ng))
    ub = np.zeros(ng + 1)
    ub[-1] = n
    res = milp(c=np.r_[np.zeros(nc), -gw], constraints=LinearConstraint(a, -np.inf, ub),
               integrality=np.r_[np.ones(nc), np.zeros(ng)], bounds=Bounds(0, 1),
               options={"time_limit": float(time_limit_s)})
    if res.x is None:
        raise CoverageError(f"the exact siting solver failed ({res.message})", hint="use method='greedy'")
    chosen = useful[res.x[:nc] > 0.5]
    # report in greedy order among the chosen ones, with marginal gains
    ordered = greedy_max_cover(c[chosen], w, len(chosen))
    return MclpSolution(chosen[ordered.order], ordered.gain, ordered.objective, "exact", bool(res.status == 0))


# ---------------------------------------------------------------------------------------------
# Candidates and the coverage matrix
# ---------------------------------------------------------------------------------------------
def _gap_intervals(result: CoverageResult, asset: str) -> tuple[Intervals, np.ndarray]:
    g = result.gaps[result.gaps["asset"] == asset]
    order = np.lexsort((g["start_m"].to_numpy(), g["segment_id"].to_numpy()))
    g = g.iloc[order]
    iv = Intervals(g["segment_id"].to_numpy(np.int64), g["start_m"].to_numpy(float), g["end_m"].to_numpy(float))
    return iv, g["weight"].to_numpy(float)


def _points_along(gaps: Intervals, spacing_m: float, seg_len: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate positions: evenly along each gap (ceil(length / spacing) points, centred), plus the
    gap ends that are road ends (junctions, where one asset serves several roads)."""
    length = gaps.end - gaps.start
    k = np.maximum(np.ceil(length / spacing_m - 1e-9), 1).astype(np.int64)
    gi = np.repeat(np.arange(len(gaps)), k)
    within = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
    pos = gaps.start[gi] + (within + 0.5) * length[gi] / k[gi]
    at0 = gaps.start <= 0.0
    atl = gaps.end >= seg_len[gaps.seg]
    seg = np.r_[gaps.seg[gi], gaps.seg[at0], gaps.seg[atl]]
    pos = np.r_[pos, np.zeros(int(at0.sum())), seg_len[gaps.seg[atl]]]
    return seg, pos


def coverage_matrix(index: SegmentIndex, gaps: Intervals, gap_weight: np.ndarray, candidate_cover: Intervals,
                    n_candidates: int) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Cut the gaps into atoms at every candidate coverage boundary; which candidate covers which atom.

    Parameters
    ----------
    index
        The road segments.
    gaps
        Sorted, disjoint gap stretches, with *gap_weight* per stretch.
    candidate_cover
        What each candidate covers (``owner`` = candidate).
    n_candidates
        Number of candidates (rows of the matrix).

    Returns
    -------
    cover, atom_length_m, atom_weighted_m
        The 0/1 sparse matrix (candidates × atoms), and each atom's length
        and priority-weighted length.
    """
    clipped = intersect_intervals(candidate_cover, gaps)
    base = index.base
    gs = base[gaps.seg] + gaps.start
    ge = base[gaps.seg] + gaps.end
    cs = base[clipped.seg] + clipped.start
    ce = base[clipped.seg] + clipped.end
    bp = np.unique(np.concatenate([gs, ge, cs, ce]))
    if len(bp) < 2:
        return sp.csr_array((n_candidates, 0)), np.zeros(0), np.zeros(0)
    a0, a1 = bp[:-1], bp[1:]
    mid = (a0 + a1) / 2.0
    j = np.searchsorted(gs, mid, side="right") - 1
    inside = (j >= 0) & (mid < ge[np.maximum(j, 0)])
    a0, a1, mid, j = a0[inside], a1[inside], mid[inside], j[inside]
    alen = a1 - a0
    aw = alen * gap_weight[j]
    lo = np.searchsorted(mid, cs, side="left")
    hi = np.searchsorted(mid, ce, side="right")
    cnt = np.maximum(hi - lo, 0)
    rows = np.repeat(clipped.owner, cnt)
    cols = np.repeat(lo, cnt) + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    cover = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n_candidates, len(mid)))
    cover.sum_duplicates()
    cover.data[:] = 1.0
    return cover, alen, aw


def _candidates(result: CoverageResult, asset: str, gaps: Intervals, spacing_m: float,
                link: _WalkLink | None) -> tuple[pd.DataFrame, np.ndarray, Intervals]:
    """Candidate sites (frame with x, y, segment_id, position_m, and asset parameters) and their coverage."""
    index = result.index
    p = result.params
    seg, pos = _points_along(gaps, spacing_m, index.length)
    xy = index.points_at(seg, pos)
    # one candidate per place (a junction is the end of several gaps)
    _, first = np.unique(np.round(xy, 2), axis=0, return_index=True)
    first = np.sort(first)
    seg, pos, xy = seg[first], pos[first], xy[first]
    if asset == "lights":
        r = np.full(len(seg), p["light_radius_m"])
        cand = pd.DataFrame({"segment_id": seg, "position_m": pos, "radius_m": r})
        cover = sector_intervals(index, xy[:, 0], xy[:, 1], r)
        return cand, xy, cover
    if asset == "cameras":
        fov = p["camera_fov_deg"]
        rng = p["camera_range_m"]
        if fov >= 360.0:
            direction = np.full(len(seg), np.nan)
        else:
            b = index.bearing_at(seg, pos)
            seg, pos, xy = np.r_[seg, seg], np.r_[pos, pos], np.r_[xy, xy]
            direction = np.r_[b, (b + 180.0) % 360.0]
        n = len(seg)
        fovs = np.full(n, 360.0 if fov >= 360.0 else fov)
        cand = pd.DataFrame({"segment_id": seg, "position_m": pos, "direction_deg": direction, "fov_deg": fovs,
                             "range_m": np.full(n, rng)})
        cover = _camera_kernel(index, xy[:, 0], xy[:, 1], direction, fovs, np.full(n, rng))
        return cand, xy, cover
    # SOS: buttons at walking-network junctions near the gaps
    from scipy.sparse.csgraph import dijkstra

    net = result.study.network("walk", largest_component=False)
    link = link or _walk_link(index, result.segments.geometry.values, net)
    node, _ = net.nearest_nodes(xy)
    node = np.unique(node)
    R = p["sos_max_walk_m"]
    mat = net.csr("length").matrix
    chunk = max(1, int(2e7 // max(net.n_nodes, 1)))
    parts = []
    for k in range(0, len(node), chunk):
        src = node[k:k + chunk]
        d = dijkstra(mat, directed=True, indices=src, limit=R)
        ci, ni = np.nonzero(d < R)
        parts.append(_reach_intervals(link, ni, d[ci, ni], R, owner=ci + k))
    cover = Intervals.concat(parts) if parts else Intervals.empty(owner=True)
    nxy = np.column_stack([net.x[node], net.y[node]])
    cand = pd.DataFrame({"node": node, "segment_id": 0, "position_m": 0.0, "max_walk_m": R})  # placed below
    return cand, nxy, cover


def propose_sites(result: CoverageResult, *, asset: str = "lights", n: int = 10, method: str = "greedy",
                  spacing_m: float | None = None, link: _WalkLink | None = None,
                  max_exact_candidates: int = MAX_EXACT_CANDIDATES) -> gpd.GeoDataFrame:
    """Propose *n* new sites that cover the most priority-weighted gap length.

    Parameters
    ----------
    result
        A coverage analysis that includes *asset* (its gaps and weights).
    asset
        ``"lights"``, ``"cameras"`` or ``"sos"``.  New lights use
        ``light_radius_m``; new cameras ``camera_range_m`` and
        ``camera_fov_deg``, facing either way along the road; new SOS buttons
        sit at walking-network junctions and serve ``sos_max_walk_m``.
    n
        Number of sites.
    method
        ``"greedy"`` (any size; at least ``1 - 1/e`` of the optimum) or
        ``"exact"`` (HiGHS MILP; small instances).
    spacing_m
        Candidate spacing along the gaps (default: the light radius, half the
        camera range, half the SOS walking distance).

    Returns
    -------
    GeoDataFrame
        Points in order of selection: ``rank``, ``asset``, ``segment_id``,
        ``gain_m`` (metres of gap newly covered), ``weighted_gain_m``,
        ``cumulative_gain_m``, ``cumulative_weighted_gain_m``, ``district``,
        the asset's parameters and ``method``.  Fewer than *n* rows when
        fewer sites add anything.

    Raises
    ------
    CoverageError
        Unknown asset or method, asset not analysed, or too many candidates for ``exact``.
    """
    if asset not in ASSETS:
        raise CoverageError(f"unknown asset {asset!r}", hint=f"choose from {', '.join(ASSETS)}")
    if asset not in result.assets:
        raise CoverageError(f"the coverage result has no {asset} analysis", hint=f"run analyze_coverage with {asset}")
    if method not in ("greedy", "exact"):
        raise CoverageError(f"unknown method {method!r}", hint="use 'greedy' or 'exact'")
    p = result.params
    if spacing_m is None:
        spacing_m = {"lights": p["light_radius_m"], "cameras": p["camera_range_m"] / 2.0,
                     "sos": p["sos_max_walk_m"] / 2.0}[asset]
    if not spacing_m > 0:
        raise CoverageError(f"spacing_m must be > 0, got {spacing_m}")
    crs = result.segments.crs
    gaps, gw = _gap_intervals(result, asset)
    if len(gaps) == 0 or n <= 0:
        return _empty_proposals(crs)
    cand, xy, cov = _candidates(result, asset, gaps, float(spacing_m), link)
    cover, alen, aw = coverage_matrix(result.index, gaps, gw, cov, len(cand))
    log.info("siting %s: %d candidates, %d gap atoms", asset, len(cand), len(alen))
    if method == "greedy":
        sol = greedy_max_cover(cover, aw, n)
    else:
        sol = exact_max_cover(cover, aw, n, max_candidates=max_exact_candidates)
    # unweighted metres each adds, in order
    live = alen.copy()
    gain_m = np.zeros(len(sol.order))
    for k, j in enumerate(sol.order):
        idx = cover.indices[cover.indptr[j]:cover.indptr[j + 1]]
        gain_m[k] = live[idx].sum()
        live[idx] = 0.0
    out = cand.iloc[sol.order].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.insert(1, "asset", asset)
    out["gain_m"] = gain_m
    out["weighted_gain_m"] = sol.gain
    out["cumulative_gain_m"] = np.cumsum(gain_m)
    out["cumulative_weighted_gain_m"] = np.cumsum(sol.gain)
    out["method"] = sol.method
    pts = gpd.points_from_xy(xy[sol.order, 0], xy[sol.order, 1], crs=crs)
    out = gpd.GeoDataFrame(out, geometry=pts, crs=crs)
    if asset == "sos" and len(out):  # the road each junction lies on, for the report
        import shapely

        si = result.index.seg_tree.query_nearest(out.geometry.values, all_matches=False)[1]
        out["segment_id"] = result.segments["segment_id"].to_numpy()[si]
        out["position_m"] = shapely.line_locate_point(result.segments.geometry.values[si], out.geometry.values)
    for col in ("district_id", "district", "tambon_id", "tambon"):
        if col in result.segments.columns:
            out[col] = result.segments[col].to_numpy()[out["segment_id"].to_numpy(np.int64)] if len(out) else None
    return out
