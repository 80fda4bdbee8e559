"""Coverage of roads by street lights, CCTV cameras and SOS buttons, the gaps, and a district roll-up.

Coverage is kept as 1-D intervals along each road segment (metres from the
segment's first vertex), which makes it exact and fast:

* **Street lights** cover the road within ``radius_m`` of the light: the
  intersection of a circle with each straight piece of the road is solved
  analytically (a quadratic in the piece parameter).
* **Cameras** cover a sector: ``direction_deg`` is the compass bearing of the
  view axis (0 north, 90 east), ``fov_deg`` the whole opening angle and
  ``range_m`` the reach; no direction (or ``fov_deg >= 360``) means all round.
  A sector of at most 180° is a disc cut by two half-planes, so its
  intersection with a straight piece is one interval; wider sectors are split
  into two halves.  Optional building footprints (``obstacles``) block the
  view: the shadow of every building edge is subtracted exactly.
* **SOS buttons** cover what a person reaches on foot within ``max_walk_m``
  along the walking network (walk to the road, then along it): one
  multi-source Dijkstra pass from all buttons.  A button across a river with
  no bridge does not cover the far bank.

Candidate (asset, road piece) pairs come from one STRtree query; the interval
arithmetic is plain numpy.  Intervals of all assets are merged per segment
(sort, running maximum), so overlapping assets are never counted twice and no
segment is ever more than fully covered.  The complement of the merged
intervals are the **gaps**, cut out of the road geometry exactly where
coverage starts and stops, and weighted by priority (hazard zones, border
districts, schools/markets and incidents nearby; weights in
``[coverage.weights]`` of the study file).

:func:`analyze_coverage` runs everything on a :class:`~safegeo.study.StudyArea`
and returns a :class:`CoverageResult` (segments, gaps, district and tambon
roll-ups, camera sectors, proposals from :mod:`safegeo.siting`).

Examples
--------
>>> from safegeo.study import load_study                      # doctest: +SKIP
>>> study = load_study("out/demo/data/study.toml")            # doctest: +SKIP
>>> res = analyze_coverage(study, propose=10, asset_type="lights")  # doctest: +SKIP
>>> res.districts[["district", "road_km", "lit_pct", "high_priority_gap_km"]]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import SafegeoError

if TYPE_CHECKING:
    from safegeo.maps import SafegeoMap
    from safegeo.network import RoadNetwork
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)

__all__ = [
    "ASSETS",
    "CoverageError",
    "CoverageResult",
    "analyze_coverage",
    "camera_coverage",
    "camera_sectors",
    "coverage_gaps",
    "coverage_map",
    "demo_step",
    "gap_priority",
    "high_priority_gap_m",
    "light_coverage",
    "road_segments",
    "rollup",
    "sos_coverage",
    "write_coverage",
]

#: Asset layers the analysis knows, in report order.
ASSETS = ("lights", "cameras", "sos")
#: Column prefix of each asset in the segments table (``lit_m``, ``seen_m``, ``sos_m``).
PREFIX = {"lights": "lit", "cameras": "seen", "sos": "sos"}
#: Priority classes of a gap by weight: >= 2 high, > 1 medium, else low.
HIGH_PRIORITY_WEIGHT = 2.0

_EPS_M = 1e-9  # intervals shorter than this are dropped (tangent points)


class CoverageError(SafegeoError, ValueError):
    """A coverage option or asset layer is unusable (unknown asset, negative radius, ...)."""


# ---------------------------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Intervals:
    """Stretches along segments: ``seg[i]`` covers ``start[i] .. end[i]`` metres from its first vertex.

    ``owner`` (optional) is the asset or candidate each stretch comes from.
    """

    seg: np.ndarray
    start: np.ndarray
    end: np.ndarray
    owner: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.seg)

    @classmethod
    def empty(cls, *, owner: bool = False) -> Intervals:
        z = np.zeros(0)
        return cls(np.zeros(0, np.int64), z, z.copy(), np.zeros(0, np.int64) if owner else None)

    @classmethod
    def concat(cls, parts: Sequence[Intervals]) -> Intervals:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        owner = None
        if all(p.owner is not None for p in parts):
            owner = np.concatenate([p.owner for p in parts])
        return cls(np.concatenate([p.seg for p in parts]), np.concatenate([p.start for p in parts]),
                    np.concatenate([p.end for p in parts]), owner)

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame({"segment_id": self.seg, "start_m": self.start, "end_m": self.end})
        if self.owner is not None:
            df.insert(0, "owner", self.owner)
        return df


def _merge_sorted(key: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of intervals grouped by *key* (any int64); returns sorted disjoint (key, start, end)."""
    order = np.lexsort((s, key))
    key, s, e = key[order], s[order], e[order]
    change = np.r_[True, key[1:] != key[:-1]]
    gid = np.cumsum(change) - 1  # consecutive group numbers keep the offsets small (exact to ~1e-6 m)
    span = float(e.max() - min(s.min(), 0.0)) + 1.0
    base = gid.astype(np.float64) * span
    run = np.maximum.accumulate(e + base)
    new = change.copy()
    new[1:] |= s[1:] + base[1:] > run[:-1]
    starts = np.flatnonzero(new)
    return key[starts], s[starts], np.maximum.reduceat(e, starts)


def merge_intervals(iv: Intervals, seg_len: np.ndarray) -> Intervals:
    """Union of intervals per segment: sorted, disjoint, clipped to ``[0, length]``.

    Sort by segment then start; a running maximum of the ends (offset per
    segment so it never leaks across segments) shows where a new stretch
    begins.  Touching stretches are joined.
    """
    if len(iv) == 0:
        return Intervals.empty()
    seg = np.asarray(iv.seg, np.int64)
    s = np.clip(iv.start, 0.0, seg_len[seg])
    e = np.clip(iv.end, 0.0, seg_len[seg])
    keep = e - s > _EPS_M
    if not keep.any():
        return Intervals.empty()
    return Intervals(*_merge_sorted(seg[keep], s[keep], e[keep]))


def covered_length(merged: Intervals, n_seg: int) -> np.ndarray:
    """Covered metres per segment from merged intervals."""
    return np.bincount(merged.seg, weights=merged.end - merged.start, minlength=n_seg)


def complement_intervals(merged: Intervals, seg_len: np.ndarray, *, min_len_m: float = _EPS_M) -> Intervals:
    """The uncovered stretches of every segment (merged input, sorted output)."""
    n = len(seg_len)
    parts = []
    if len(merged):
        seg, s, e = merged.seg, merged.start, merged.end
        first = np.ones(len(seg), bool)
        first[1:] = seg[1:] != seg[:-1]
        last = np.ones(len(seg), bool)
        last[:-1] = seg[1:] != seg[:-1]
        prev_end = np.r_[0.0, e[:-1]]
        prev_end[first] = 0.0
        parts.append(Intervals(seg, prev_end, s))
        parts.append(Intervals(seg[last], e[last], seg_len[seg[last]]))
    none = np.setdiff1d(np.arange(n), merged.seg)
    parts.append(Intervals(none, np.zeros(len(none)), seg_len[none]))
    out = Intervals.concat(parts)
    keep = out.end - out.start > max(min_len_m, _EPS_M)
    seg, s, e = out.seg[keep], out.start[keep], out.end[keep]
    order = np.lexsort((s, seg))
    return Intervals(seg[order], s[order], e[order])


def intersect_intervals(a: Intervals, b: Intervals) -> Intervals:
    """Pairwise intersection of two merged interval sets (same segments); keeps ``a.owner``.

    Used to clip candidate coverage to gaps.  Both inputs must be sorted by
    segment then start, and *b* disjoint per segment.
    """
    if len(a) == 0 or len(b) == 0:
        return Intervals.empty(owner=a.owner is not None)
    span = float(max(a.end.max(), b.end.max())) + 1.0
    gb_s = b.seg * span + b.start
    gb_e = b.seg * span + b.end
    ga_s = a.seg * span + a.start
    ga_e = a.seg * span + a.end
    # b intervals overlapping each a interval: those with end > a.start and start < a.end
    lo = np.searchsorted(gb_e, ga_s, side="right")
    hi = np.searchsorted(gb_s, ga_e, side="left")
    cnt = np.maximum(hi - lo, 0)
    ia = np.repeat(np.arange(len(a)), cnt)
    ib = np.repeat(lo, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    s = np.maximum(a.start[ia], b.start[ib])
    e = np.minimum(a.end[ia], b.end[ib])
    ok = e - s > _EPS_M
    return Intervals(a.seg[ia][ok], s[ok], e[ok], None if a.owner is None else a.owner[ia][ok])


# ---------------------------------------------------------------------------------------------
# Road segments as straight pieces
# ---------------------------------------------------------------------------------------------
def _envelopes(cx: np.ndarray, cy: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Box-query geometries: the diagonal of each square has the square as its envelope (cheaper than boxes)."""
    c = np.empty((len(cx), 2, 2))
    c[:, 0, 0], c[:, 0, 1] = cx - r, cy - r
    c[:, 1, 0], c[:, 1, 1] = cx + r, cy + r
    return shapely.linestrings(c)


class SegmentIndex:
    """Road segments split into straight pieces, with an STRtree over the pieces.

    Positions along a segment are metres from its first vertex.  Built once
    per analysis and reused for lights, cameras, gaps and siting candidates.
    """

    def __init__(self, geoms: np.ndarray) -> None:
        geoms = np.asarray(geoms, dtype=object)
        self.n = len(geoms)
        xy, li = shapely.get_coordinates(geoms, return_index=True)
        nv = np.bincount(li, minlength=self.n)
        if self.n and (nv < 2).any():
            raise CoverageError(f"{int((nv < 2).sum())} road segment(s) have fewer than two vertices")
        self.xy = xy
        self.vstart = np.r_[0, np.cumsum(nv)[:-1]].astype(np.int64)
        self.vlast = self.vstart + nv - 1
        d = np.zeros(len(xy))
        if len(xy) > 1:
            step = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
            same = li[1:] == li[:-1]
            d[1:] = np.where(same, step, 0.0)
        c = np.cumsum(d)
        self.cum = c - c[self.vstart][li] if len(xy) else c  # along-distance of each vertex
        self.length = self.cum[self.vlast] if self.n else np.zeros(0)
        # global monotone coordinate: segment k occupies base[k] .. base[k] + length[k]
        self.base = np.r_[0.0, np.cumsum(self.length + 1.0)[:-1]] if self.n else np.zeros(0)
        self.gcum = self.cum + self.base[li] if len(xy) else self.cum
        p = np.flatnonzero((li[1:] == li[:-1]) & (d[1:] > 0)) if len(xy) > 1 else np.zeros(0, np.int64)
        self.pseg = li[p]
        self.px0, self.py0 = xy[p, 0], xy[p, 1]
        self.pdx, self.pdy = xy[p + 1, 0] - xy[p, 0], xy[p + 1, 1] - xy[p, 1]
        self.plen = d[p + 1]
        self.poff = self.cum[p]
        self._tree: shapely.STRtree | None = None
        self._geoms = geoms
        self._seg_tree: shapely.STRtree | None = None

    @property
    def tree(self) -> shapely.STRtree:
        """STRtree over the straight pieces (built on first use)."""
        if self._tree is None:
            seg = np.empty((len(self.px0), 2, 2))
            seg[:, 0, 0], seg[:, 0, 1] = self.px0, self.py0
            seg[:, 1, 0], seg[:, 1, 1] = self.px0 + self.pdx, self.py0 + self.pdy
            self._tree = shapely.STRtree(shapely.linestrings(seg))
        return self._tree

    @property
    def seg_tree(self) -> shapely.STRtree:
        if self._seg_tree is None:
            self._seg_tree = shapely.STRtree(self._geoms)
        return self._seg_tree

    def query_boxes(self, cx: np.ndarray, cy: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(asset, piece) pairs whose bounding boxes meet the square of half-side *r* around each asset."""
        if len(cx) == 0 or len(self.px0) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ai, pi = self.tree.query(_envelopes(cx, cy, r))
        return ai.astype(np.int64), pi.astype(np.int64)

    def points_at(self, seg: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """(n, 2) coordinates of the points *pos* metres along segments *seg*."""
        seg = np.asarray(seg, np.int64)
        pos = np.clip(np.asarray(pos, float), 0.0, self.length[seg])
        g = self.base[seg] + pos
        v = np.searchsorted(self.gcum, g, side="right") - 1
        v = np.clip(v, self.vstart[seg], self.vlast[seg] - 1)
        den = self.gcum[v + 1] - self.gcum[v]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(den > 0, (g - self.gcum[v]) / den, 0.0)
        t = np.clip(t, 0.0, 1.0)[:, None]
        return self.xy[v] + t * (self.xy[v + 1] - self.xy[v])

    def bearing_at(self, seg: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Compass bearing (degrees) of the segment's direction at *pos*."""
        a = self.points_at(seg, np.asarray(pos) - 0.5)
        b = self.points_at(seg, np.asarray(pos) + 0.5)
        return np.degrees(np.arctan2(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])) % 360.0

    def substrings(self, iv: Intervals) -> np.ndarray:
        """LineStrings of the stretches *iv*, cut exactly at their start and end."""
        k = len(iv)
        if k == 0:
            return np.empty(0, dtype=object)
        seg = np.asarray(iv.seg, np.int64)
        gs = self.base[seg] + iv.start
        ge = self.base[seg] + iv.end
        i0 = np.searchsorted(self.gcum, gs, side="right")
        i1 = np.searchsorted(self.gcum, ge, side="left")
        n_int = np.maximum(i1 - i0, 0)
        counts = n_int + 2
        first = np.cumsum(counts) - counts
        out = np.empty((int(counts.sum()), 2))
        out[first] = self.points_at(seg, iv.start)
        out[first + counts - 1] = self.points_at(seg, iv.end)
        within = np.arange(int(n_int.sum())) - np.repeat(np.cumsum(n_int) - n_int, n_int)
        out[np.repeat(first + 1, n_int) + within] = self.xy[np.repeat(i0, n_int) + within]
        return shapely.linestrings(out, indices=np.repeat(np.arange(k), counts))


# ---------------------------------------------------------------------------------------------
# Analytic kernels
# ---------------------------------------------------------------------------------------------
def _unit(bearing_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = np.radians(bearing_deg)
    return np.sin(b), np.cos(b)


def _halfplane(lo: np.ndarray, hi: np.ndarray, ok: np.ndarray, c: np.ndarray, k: np.ndarray,
               mask: np.ndarray | None = None) -> None:
    """Restrict ``[lo, hi]`` in place to the t with ``c + t k >= 0`` (where *mask*)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tt = -c / k
    m = np.ones(len(c), bool) if mask is None else mask
    np.copyto(lo, np.maximum(lo, tt), where=m & (k > 0))
    np.copyto(hi, np.minimum(hi, tt), where=m & (k < 0))
    ok &= ~(m & (k == 0) & (c < 0))


def sector_intervals(
    index: SegmentIndex,
    x: np.ndarray,
    y: np.ndarray,
    range_m: np.ndarray,
    *,
    start_deg: np.ndarray | None = None,
    end_deg: np.ndarray | None = None,
) -> Intervals:
    """Road stretches inside discs or sectors, one interval per (asset, straight piece).

    Parameters
    ----------
    index
        The road segments.
    x, y, range_m
        Centres and radii (metres, working CRS).
    start_deg, end_deg
        Optional compass bearings bounding each sector clockwise from start to
        end; the sweep ``(end - start) mod 360`` must be at most 180 (split
        wider sectors first).  NaN means a full disc.

    Returns
    -------
    Intervals
        With ``owner`` = the asset's position in *x*.
    """
    x, y, r = (np.asarray(a, float) for a in (x, y, range_m))
    ai, pi = index.query_boxes(x, y, r)
    if len(ai) == 0:
        return Intervals.empty(owner=True)
    ax = index.px0[pi] - x[ai]
    ay = index.py0[pi] - y[ai]
    dx, dy = index.pdx[pi], index.pdy[pi]
    qa = dx * dx + dy * dy
    qb = 2.0 * (ax * dx + ay * dy)
    qc = ax * ax + ay * ay - r[ai] ** 2
    disc = qb * qb - 4.0 * qa * qc
    ok = (disc > 0) & (qa > 0)
    sq = np.sqrt(np.where(ok, disc, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.maximum((-qb - sq) / (2.0 * qa), 0.0)
        hi = np.minimum((-qb + sq) / (2.0 * qa), 1.0)
    if start_deg is not None and end_deg is not None:
        s_deg = np.asarray(start_deg, float)[ai]
        e_deg = np.asarray(end_deg, float)[ai]
        wedge = np.isfinite(s_deg) & np.isfinite(e_deg)
        if wedge.any():
            u1x, u1y = _unit(np.where(wedge, s_deg, 0.0))
            u2x, u2y = _unit(np.where(wedge, e_deg, 0.0))
            # clockwise of the start ray: cross(u1, p) <= 0;  anticlockwise of the end ray: cross(u2, p) >= 0
            _halfplane(lo, hi, ok, -(u1x * ay - u1y * ax), -(u1x * dy - u1y * dx), wedge)
            _halfplane(lo, hi, ok, u2x * ay - u2y * ax, u2x * dy - u2y * dx, wedge)
    ok &= hi - lo > 0
    ok &= (hi - lo) * index.plen[pi] > _EPS_M
    pi, ai, lo, hi = pi[ok], ai[ok], lo[ok], hi[ok]
    off, plen = index.poff[pi], index.plen[pi]
    return Intervals(index.pseg[pi], off + lo * plen, off + hi * plen, ai)


def _shadow_intervals(index: SegmentIndex, x: np.ndarray, y: np.ndarray, range_m: np.ndarray,
                      obstacles: np.ndarray, *, self_tol_m: float = 0.5) -> Intervals:
    """Stretches hidden from each camera by obstacle edges (exact: each edge's shadow is convex).

    Point X is hidden behind edge P1P2 when segment camera→X crosses P1P2:
    X lies in the wedge from the camera through P1 and P2 and beyond the line
    P1P2.  Edges passing within *self_tol_m* of the camera (the wall it is
    mounted on) are ignored.
    """
    rings = shapely.get_rings(shapely.get_parts(obstacles))
    xy, ri = shapely.get_coordinates(rings, return_index=True)
    same = ri[1:] == ri[:-1]
    e0, e1 = xy[:-1][same], xy[1:][same]
    if len(e0) == 0:
        return Intervals.empty(owner=True)
    ecoords = np.stack([e0, e1], axis=1)
    etree = shapely.STRtree(shapely.linestrings(ecoords))
    ca, ei = etree.query(_envelopes(x, y, range_m))
    # drop edges through the camera (its own wall)
    cam = shapely.points(x[ca], y[ca])
    far = shapely.distance(etree.geometries[ei], cam) > self_tol_m
    ca, ei = ca[far], ei[far]
    if len(ca) == 0:
        return Intervals.empty(owner=True)
    ai, pi = index.query_boxes(x, y, range_m)
    # join (camera, edge) with (camera, piece) on camera
    o1 = np.argsort(ca, kind="stable")
    ca, ei = ca[o1], ei[o1]
    o2 = np.argsort(ai, kind="stable")
    ai, pi = ai[o2], pi[o2]
    n_cam = len(x)
    ce_ptr = np.searchsorted(ca, np.arange(n_cam + 1))
    n_e = np.diff(ce_ptr)[ai]
    pairs_p = np.repeat(pi, n_e)
    pairs_c = np.repeat(ai, n_e)
    within = np.arange(int(n_e.sum())) - np.repeat(np.cumsum(n_e) - n_e, n_e)
    pairs_e = ei[np.repeat(ce_ptr[ai], n_e) + within]
    if len(pairs_p) == 0:
        return Intervals.empty(owner=True)
    cx, cy = x[pairs_c], y[pairs_c]
    p1 = ecoords[pairs_e, 0] - np.column_stack([cx, cy])
    p2 = ecoords[pairs_e, 1] - np.column_stack([cx, cy])
    ax = index.px0[pairs_p] - cx
    ay = index.py0[pairs_p] - cy
    dx, dy = index.pdx[pairs_p], index.pdy[pairs_p]

    def cross(ux, uy, vx, vy):
        return ux * vy - uy * vx

    orient = np.sign(cross(p1[:, 0], p1[:, 1], p2[:, 0], p2[:, 1]))
    ok = orient != 0
    lo = np.zeros(len(ax))
    hi = np.ones(len(ax))
    # orient * cross(p1, X) >= 0 and orient * cross(X, p2) >= 0
    _halfplane(lo, hi, ok, orient * cross(p1[:, 0], p1[:, 1], ax, ay), orient * cross(p1[:, 0], p1[:, 1], dx, dy))
    _halfplane(lo, hi, ok, orient * cross(ax, ay, p2[:, 0], p2[:, 1]), orient * cross(dx, dy, p2[:, 0], p2[:, 1]))
    # beyond the edge's line: side(X) has the opposite sign of side(camera)
    ex, ey = p2[:, 0] - p1[:, 0], p2[:, 1] - p1[:, 1]
    side_c = cross(ex, ey, -p1[:, 0], -p1[:, 1])
    sgn = -np.sign(side_c)
    ok &= sgn != 0
    _halfplane(lo, hi, ok, sgn * cross(ex, ey, ax - p1[:, 0], ay - p1[:, 1]), sgn * cross(ex, ey, dx, dy))
    ok &= hi - lo > 0
    pp = pairs_p[ok]
    off, plen = index.poff[pp], index.plen[pp]
    return Intervals(index.pseg[pp], off + lo[ok] * plen, off + hi[ok] * plen, pairs_c[ok])


def _subtract_per_owner(seen: Intervals, hidden: Intervals, index: SegmentIndex) -> Intervals:
    """``seen - hidden`` for each (owner, segment) separately (a wall hides only its own camera's view)."""
    if len(hidden) == 0 or len(seen) == 0:
        return seen
    key_len_owner = np.int64(index.n)
    ks = seen.owner.astype(np.int64) * key_len_owner + seen.seg
    kh = hidden.owner.astype(np.int64) * key_len_owner + hidden.seg
    # events: seen +1/-1 (channel a), hidden +1/-1 (channel b), swept per key
    keys = np.concatenate([ks, ks, kh, kh])
    pos = np.concatenate([seen.start, seen.end, hidden.start, hidden.end])
    da = np.concatenate([np.ones(len(ks)), -np.ones(len(ks)), np.zeros(2 * len(kh))])
    db = np.concatenate([np.zeros(2 * len(ks)), np.ones(len(kh)), -np.ones(len(kh))])
    order = np.lexsort((pos, keys))
    keys, pos, da, db = keys[order], pos[order], da[order], db[order]
    ca = np.cumsum(da)
    cb = np.cumsum(db)
    # the stretch after event i (up to event i+1, same key) is visible when a > 0 and b == 0
    vis = (ca[:-1] > 0.5) & (cb[:-1] < 0.5) & (keys[1:] == keys[:-1]) & (pos[1:] - pos[:-1] > _EPS_M)
    i = np.flatnonzero(vis)
    return Intervals(keys[i] % key_len_owner, pos[i], pos[i + 1], keys[i] // key_len_owner)


# ---------------------------------------------------------------------------------------------
# Public per-asset coverage
# ---------------------------------------------------------------------------------------------
def _xy(points: gpd.GeoDataFrame, crs: Any, what: str) -> np.ndarray:
    if points.crs is None:
        from safegeo._errors import CRSError

        raise CRSError(f"{what}: the layer has no CRS", hint="set the CRS of the layer in study.toml")
    if crs is not None and points.crs != crs:
        points = points.to_crs(crs)
    geom = points.geometry.values
    if len(geom) and not (shapely.get_type_id(geom) == 0).all():
        geom = shapely.centroid(geom)
    empty = shapely.is_empty(geom) | shapely.is_missing(geom)
    if empty.any():
        raise CoverageError(f"{what}: {int(empty.sum())} feature(s) have empty geometry (rows "
                            f"{', '.join(str(r + 1) for r in np.flatnonzero(empty)[:10])})",
                            hint="remove them or give them coordinates")
    return shapely.get_coordinates(geom).reshape(-1, 2)


def _values(points: gpd.GeoDataFrame, name: str, default: float) -> np.ndarray:
    """Column *name* as floats, missing values (or no column) filled with *default*."""
    if name in points.columns:
        v = pd.to_numeric(points[name], errors="coerce").to_numpy(dtype=float)
        return np.where(np.isfinite(v), v, default)
    return np.full(len(points), float(default))


def _bad_rows(what: str, name: str, bad: np.ndarray, kind: str) -> str:
    rows = np.flatnonzero(bad)
    more = ", ..." if len(rows) > 10 else ""
    return (f"{what}: column '{name}' has {len(rows)} {kind} value(s) (rows "
            f"{', '.join(str(r + 1) for r in rows[:10])}{more})")


def _column(points: gpd.GeoDataFrame, name: str, default: float, what: str) -> np.ndarray:
    v = _values(points, name, default)
    if (v < 0).any():
        raise CoverageError(_bad_rows(what, name, v < 0, "negative"), hint=f"{name} must be >= 0")
    return v


def _check_metric(frame: gpd.GeoDataFrame, what: str) -> None:
    """Coverage is metric work: refuse a layer without a CRS or in degrees."""
    from safegeo._errors import CRSError

    if frame.crs is None:
        raise CRSError(f"{what}: the layer has no CRS", hint="set its CRS (e.g. gdf.set_crs('EPSG:32647'))")
    if not frame.crs.is_projected:
        raise CRSError(f"{what}: the layer is in {frame.crs.to_string()} (degrees); radii and lengths need metres",
                       hint="reproject first, e.g. gdf.to_crs('EPSG:32647') (UTM 47N) for Narathiwat")


def _segment_geoms(segments: gpd.GeoDataFrame | SegmentIndex) -> SegmentIndex:
    if isinstance(segments, SegmentIndex):
        return segments
    _check_metric(segments, "road segments")
    return SegmentIndex(segments.geometry.values)


def light_intervals(index: SegmentIndex, lights: gpd.GeoDataFrame, *, radius_m: float = 25.0,
                    crs: Any = None) -> Intervals:
    """Unmerged lit stretches (``owner`` = light row)."""
    if radius_m < 0:
        raise CoverageError(f"radius_m must be >= 0, got {radius_m}")
    xy = _xy(lights, crs, "lights")
    r = _column(lights, "radius_m", radius_m, "lights")
    return sector_intervals(index, xy[:, 0], xy[:, 1], r)


def _camera_sectors_params(cameras: gpd.GeoDataFrame, range_m: float, fov_deg: float
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-camera (direction, fov, range) with defaults filled in; every bad value reported at once."""
    rng = _values(cameras, "range_m", range_m)
    fov = _values(cameras, "fov_deg", fov_deg)
    if "direction_deg" in cameras.columns:
        direction = pd.to_numeric(cameras["direction_deg"], errors="coerce").to_numpy(dtype=float)
    else:
        direction = np.full(len(cameras), np.nan)
    # a directed camera with no opening angle is a data error, not a blind camera
    checks = ((rng < 0, "range_m", "negative"), (fov < 0, "fov_deg", "negative"),
              (np.isfinite(direction) & (fov == 0), "fov_deg", "zero"), (fov > 360, "fov_deg", "above-360"))
    problems = [_bad_rows("cameras", name, bad, kind) for bad, name, kind in checks if bad.any()]
    if problems:
        raise CoverageError("; ".join(problems),
                            hint="fov_deg is the whole opening angle, > 0 and <= 360 (360, or no direction_deg: "
                                 "all round); range_m must be >= 0")
    fov = np.where(np.isfinite(direction), fov, 360.0)
    return direction % 360.0, fov, rng


def camera_intervals(index: SegmentIndex, cameras: gpd.GeoDataFrame, *, range_m: float = 50.0,
                     fov_deg: float = 90.0, obstacles: gpd.GeoDataFrame | None = None,
                     crs: Any = None) -> Intervals:
    """Unmerged seen stretches (``owner`` = camera row)."""
    xy = _xy(cameras, crs, "cameras")
    direction, fov, rng = _camera_sectors_params(cameras, range_m, fov_deg)
    return _camera_kernel(index, xy[:, 0], xy[:, 1], direction, fov, rng, obstacles=obstacles, crs=crs)


def _camera_kernel(index: SegmentIndex, x: np.ndarray, y: np.ndarray, direction: np.ndarray, fov: np.ndarray,
                   rng: np.ndarray, *, obstacles: gpd.GeoDataFrame | None = None, crs: Any = None) -> Intervals:
    full = ~np.isfinite(direction) | (fov >= 360.0)
    wide = ~full & (fov > 180.0)
    # narrow sectors as they are; wide ones as two halves; full circles without wedge
    src = np.r_[np.arange(len(x)), np.flatnonzero(wide)]
    half = np.where(wide, fov / 2.0, fov)
    start = np.r_[np.where(full, np.nan, direction - fov / 2.0), (direction - fov / 2.0 + half)[wide]]
    end = np.r_[np.where(full, np.nan, direction - fov / 2.0 + half), (direction + fov / 2.0)[wide]]
    use = np.r_[fov > 0, np.ones(int(wide.sum()), bool)]
    src, start, end = src[use], start[use], end[use]
    iv = sector_intervals(index, x[src], y[src], rng[src], start_deg=start, end_deg=end)
    iv = Intervals(iv.seg, iv.start, iv.end, src[iv.owner])
    if obstacles is not None and len(obstacles) and len(iv):
        obs = obstacles
        if crs is not None and obs.crs is not None and obs.crs != crs:
            obs = obs.to_crs(crs)
        hidden = _shadow_intervals(index, x, y, rng, obs.geometry.values)
        # merge per (camera, segment) first so subtraction sees disjoint stretches
        key = iv.owner.astype(np.int64) * np.int64(index.n) + iv.seg
        mk, ms, me = _merge_sorted(key, iv.start, iv.end)
        merged = Intervals(mk, ms, me)
        iv = Intervals(merged.seg % index.n, merged.start, merged.end, merged.seg // index.n)
        iv = _subtract_per_owner(iv, hidden, index)
    return iv


def light_coverage(segments: gpd.GeoDataFrame, lights: gpd.GeoDataFrame, *, radius_m: float = 25.0) -> pd.DataFrame:
    """Lit stretches of each road segment, merged (no double counting).

    Parameters
    ----------
    segments
        Road segments (LineStrings) in a projected CRS, e.g. from :func:`road_segments`.
    lights
        Street-light points; a ``radius_m`` column overrides *radius_m* per light.
    radius_m
        Lit radius (m) of lights without their own value.

    Returns
    -------
    DataFrame
        ``segment_id`` (row position in *segments*), ``start_m``, ``end_m``.

    Raises
    ------
    CoverageError
        A negative radius or an empty light geometry.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> road = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 0)])], crs=32647)
    >>> light = gpd.GeoDataFrame(geometry=[shapely.Point(50, 0)], crs=32647)
    >>> light_coverage(road, light, radius_m=25).to_dict("records")
    [{'segment_id': 0, 'start_m': 25.0, 'end_m': 75.0}]
    """
    index = _segment_geoms(segments)
    return merge_intervals(light_intervals(index, lights, radius_m=radius_m, crs=segments.crs),
                           index.length).to_frame()


def camera_coverage(segments: gpd.GeoDataFrame, cameras: gpd.GeoDataFrame, *, range_m: float = 50.0,
                    fov_deg: float = 90.0, obstacles: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Stretches of each road segment seen by at least one camera, merged.

    Parameters
    ----------
    segments
        Road segments (LineStrings) in a projected CRS.
    cameras
        Camera points with optional ``direction_deg`` (compass bearing of the
        view axis: 0 north, 90 east; missing = all round), ``fov_deg`` (whole
        opening angle) and ``range_m``.
    range_m, fov_deg
        Defaults for cameras without their own value.
    obstacles
        Building footprints (polygons) that block the view, or None.  A
        camera mounted on a wall sees past that wall; a camera inside a
        footprint sees nothing outside it.

    Returns
    -------
    DataFrame
        ``segment_id``, ``start_m``, ``end_m``.
    """
    index = _segment_geoms(segments)
    iv = camera_intervals(index, cameras, range_m=range_m, fov_deg=fov_deg, obstacles=obstacles, crs=segments.crs)
    return merge_intervals(iv, index.length).to_frame()


def camera_sectors(cameras: gpd.GeoDataFrame, *, range_m: float = 50.0, fov_deg: float = 90.0,
                   arc_points: int = 24) -> gpd.GeoDataFrame:
    """The area each camera sees, as polygons (sectors; discs for all-round cameras).

    Parameters
    ----------
    cameras
        Camera points (see :func:`camera_coverage` for the columns).
    range_m, fov_deg
        Defaults for cameras without their own value.
    arc_points
        Vertices on each arc (drawing only; coverage is computed exactly).

    Returns
    -------
    GeoDataFrame
        The cameras' columns with ``direction_deg``, ``fov_deg``, ``range_m``
        filled in, and sector polygons as geometry, in the cameras' CRS.
    """
    _check_metric(cameras, "cameras")
    xy = _xy(cameras, None, "cameras")
    direction, fov, rng = _camera_sectors_params(cameras, range_m, fov_deg)
    n = len(xy)
    geoms = np.empty(n, dtype=object)
    full = fov >= 360.0
    if full.any():
        geoms[full] = shapely.buffer(shapely.points(xy[full]), rng[full], quad_segs=max(arc_points // 2, 8))
    part = ~full & (fov > 0) & (rng > 0)
    if part.any():
        k = arc_points + 1
        frac = np.linspace(0.0, 1.0, k)
        b = np.radians((direction[part] - fov[part] / 2.0)[:, None] + fov[part][:, None] * frac[None, :])
        ring = np.empty((int(part.sum()), k + 2, 2))
        ring[:, 0] = xy[part]
        ring[:, 1:-1, 0] = xy[part, 0:1] + rng[part][:, None] * np.sin(b)
        ring[:, 1:-1, 1] = xy[part, 1:2] + rng[part][:, None] * np.cos(b)
        ring[:, -1] = xy[part]
        geoms[part] = shapely.polygons(ring)
    none = ~full & ~part
    geoms[none] = shapely.Polygon()
    out = gpd.GeoDataFrame(cameras.drop(columns=cameras.geometry.name), geometry=geoms, crs=cameras.crs)
    out["direction_deg"] = np.where(full, np.nan, direction)
    out["fov_deg"] = fov
    out["range_m"] = rng
    return out


# ---------------------------------------------------------------------------------------------
# SOS: reach along the walking network
# ---------------------------------------------------------------------------------------------
@dataclass
class _WalkLink:
    """Directed walk edges placed on the road segments (for carrying reach onto segments)."""

    net: RoadNetwork
    geoms: np.ndarray
    length: np.ndarray
    seg: np.ndarray  # segment of each edge, -1 when the edge is on no segment (footpath not in roads)
    p0: np.ndarray  # segment position of the edge's start
    sign: np.ndarray  # +1 when the edge runs with the segment, -1 against it
    out_ptr: np.ndarray  # edges sorted by tail node: CSR pointer
    out_edges: np.ndarray
    _tree: Any = field(default=None, repr=False)

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree

    def to_segments(self, edge: np.ndarray, a: np.ndarray, b: np.ndarray, owner: np.ndarray | None = None
                    ) -> Intervals:
        """Edge stretches ``a..b`` (metres from the edge start) as segment intervals."""
        on = self.seg[edge] >= 0
        edge, a, b = edge[on], a[on], b[on]
        pa = self.p0[edge] + self.sign[edge] * a
        pb = self.p0[edge] + self.sign[edge] * b
        return Intervals(self.seg[edge], np.minimum(pa, pb), np.maximum(pa, pb),
                         None if owner is None else owner[on])


def _walk_link(index: SegmentIndex, segments_geoms: np.ndarray, net: RoadNetwork, *, tol_m: float = 0.05) -> _WalkLink:
    geoms = net.edge_geometries()
    length = shapely.length(geoms)
    mid = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    (ei, si), _ = index.seg_tree.query_nearest(mid, max_distance=tol_m, return_distance=True, all_matches=False)
    seg = np.full(len(geoms), -1, np.int64)
    p0 = np.zeros(len(geoms))
    sign = np.ones(len(geoms))
    if len(ei):
        sg = segments_geoms[si]
        m = shapely.line_locate_point(sg, mid[ei])
        q1 = shapely.line_locate_point(sg, shapely.line_interpolate_point(geoms[ei], 0.25, normalized=True))
        q3 = shapely.line_locate_point(sg, shapely.line_interpolate_point(geoms[ei], 0.75, normalized=True))
        sgn = np.where(q3 >= q1, 1.0, -1.0)
        seg[ei] = si
        sign[ei] = sgn
        p0[ei] = m - sgn * length[ei] / 2.0
    order = np.argsort(net.u, kind="stable")
    ptr = np.searchsorted(net.u[order], np.arange(net.n_nodes + 1))
    unplaced = int((seg < 0).sum())
    if unplaced:
        log.debug("%d walk edges lie on no road segment (footpaths not in the roads layer)", unplaced)
    return _WalkLink(net, geoms, length, seg, p0, sign, ptr, order)


def _reach_intervals(link: _WalkLink, node: np.ndarray, dist: np.ndarray, max_walk_m: float,
                     owner: np.ndarray | None = None) -> Intervals:
    """Stretches reached from nodes at walking distance *dist*: along every edge out of each node."""
    left = max_walk_m - dist
    keep = left > 0
    node, left = node[keep], left[keep]
    own = None if owner is None else owner[keep]
    deg = link.out_ptr[node + 1] - link.out_ptr[node]
    within = np.arange(int(deg.sum())) - np.repeat(np.cumsum(deg) - deg, deg)
    edge = link.out_edges[np.repeat(link.out_ptr[node], deg) + within]
    reach = np.minimum(np.repeat(left, deg), link.length[edge])
    return link.to_segments(edge, np.zeros(len(edge)), reach, None if own is None else np.repeat(own, deg))


def _snap_to_edges(link: _WalkLink, xy: np.ndarray, max_snap_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest walk edge of each point: (point index, edge, distance to the road, position along the edge)."""
    pts = shapely.points(xy)
    (pi, ei), d = link.tree.query_nearest(pts, max_distance=max_snap_m, return_distance=True, all_matches=False)
    along = shapely.line_locate_point(link.geoms[ei], pts[pi])
    return pi, ei, d, along


def _off_network_buttons(index: SegmentIndex, segments_geoms: np.ndarray, link: _WalkLink, pts: np.ndarray,
                         d_net: np.ndarray, walkable: np.ndarray | None, max_snap_m: float,
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Buttons whose nearest walkable road is not part of the walking network (an island the network dropped).

    Such a button must not be attached to the network across the water: it
    serves its own road only.  Returns (button, segment, distance, position).
    """
    on = np.zeros(index.n, bool)
    on[link.seg[link.seg >= 0]] = True
    off = ~on if walkable is None else (~on & np.asarray(walkable, bool))
    none = np.zeros(0, np.int64)
    if not off.any() or len(pts) == 0:
        return none, none, np.zeros(0), np.zeros(0)
    off_idx = np.flatnonzero(off)
    (bi, k), d = shapely.STRtree(segments_geoms[off_idx]).query_nearest(
        pts, max_distance=max_snap_m, return_distance=True, all_matches=False)
    closer = d < d_net[bi]
    bi, seg, d = bi[closer], off_idx[k[closer]], d[closer]
    return bi, seg, d, shapely.line_locate_point(segments_geoms[seg], pts[bi])


def sos_intervals(index: SegmentIndex, segments_geoms: np.ndarray, sos: gpd.GeoDataFrame, net: RoadNetwork, *,
                  max_walk_m: float = 300.0, max_snap_m: float = 500.0, link: _WalkLink | None = None,
                  walkable: np.ndarray | None = None) -> Intervals:
    """Road stretches within *max_walk_m* walking of a button (snap distance included).

    *walkable* (bool per segment, optional) marks the roads a person may walk
    on; a button whose nearest walkable road is missing from *net* (an island
    dropped with the smaller network components) covers its own road only,
    instead of being attached to the nearest networked road across a river.
    """
    from scipy.sparse.csgraph import dijkstra

    from safegeo.network import build_csr

    if max_walk_m < 0:
        raise CoverageError(f"max_walk_m must be >= 0, got {max_walk_m}")
    link = link or _walk_link(index, segments_geoms, net)
    xy = _xy(sos, net.crs, "sos")
    if len(xy) == 0:
        return Intervals.empty()
    pi, ei, d, along = _snap_to_edges(link, xy, max_snap_m)
    d_net = np.full(len(xy), np.inf)
    d_net[pi] = d
    ib, iseg, idist, ipos = _off_network_buttons(index, segments_geoms, link, shapely.points(xy), d_net, walkable,
                                                 max_snap_m)
    island = Intervals.empty()
    if len(ib):
        rows = ", ".join(str(r + 1) for r in np.sort(ib)[:10])
        log.warning("sos: %d button(s) (rows %s) stand by roads that are not connected to the walking network; "
                    "each covers only its own road", len(ib), rows)
        left = max_walk_m - idist
        ok = left > 0
        island = Intervals(iseg[ok], ipos[ok] - left[ok], ipos[ok] + left[ok])
        keep = ~np.isin(pi, ib)
        pi, ei, d, along = pi[keep], ei[keep], d[keep], along[keep]
    lost = len(xy) - len(pi) - len(ib)
    if lost:
        log.warning("sos: %d button(s) are more than %.0f m from any walkable road and cover nothing", lost, max_snap_m)
    ok = d < max_walk_m
    ei, d, along = ei[ok], d[ok], along[ok]
    if len(ei) == 0:
        return island
    n = net.n_nodes
    le = link.length[ei]
    # a virtual source joined to both ends of each button's edge
    u = np.r_[net.u, np.full(2 * len(ei), n)]
    v = np.r_[net.v, net.u[ei], net.v[ei]]
    w = np.r_[net.length_m, d + along, d + le - along]
    g = build_csr(n + 1, u, v, w)
    dist = dijkstra(g.matrix, directed=True, indices=n, limit=max_walk_m)[:n]
    reached = np.flatnonzero(dist < max_walk_m)
    left = max_walk_m - d
    own = link.to_segments(ei, np.maximum(along - left, 0.0), np.minimum(along + left, le))
    return Intervals.concat([_reach_intervals(link, reached, dist[reached], max_walk_m), own, island])


def _walkable(segments: gpd.GeoDataFrame) -> np.ndarray | None:
    if "highway" not in segments.columns:
        return None
    from safegeo.network import classes_for_mode

    return classes_for_mode(segments["highway"].to_numpy(), "walk")


def sos_coverage(segments: gpd.GeoDataFrame, sos: gpd.GeoDataFrame, network: RoadNetwork, *,
                 max_walk_m: float = 300.0, max_snap_m: float = 500.0) -> pd.DataFrame:
    """Stretches of each road segment within *max_walk_m* walking of an SOS button, merged.

    Each button is attached to its nearest walkable road (the walk to the
    road counts); from there one multi-source Dijkstra pass on *network*
    (a ``"walk"`` :class:`~safegeo.network.RoadNetwork`) gives the walking
    distance to every junction, and each road is covered from each end for
    what is left of *max_walk_m*.  Reach only follows the network, so a
    button across a river without a bridge does not cover the far bank.  A
    button beside a road that *network* left out (a small disconnected
    component) is not attached across the water to the nearest networked
    road: it covers its own road only (logged).

    Parameters
    ----------
    segments
        Road segments in the network CRS.
    sos
        Button points.
    network
        The walking network (``study.network("walk")``).
    max_walk_m
        Walking distance a button serves (m).
    max_snap_m
        Buttons farther than this from every walkable road cover nothing (logged).

    Returns
    -------
    DataFrame
        ``segment_id``, ``start_m``, ``end_m``.
    """
    index = _segment_geoms(segments)
    iv = sos_intervals(index, segments.geometry.values, sos, network, max_walk_m=max_walk_m, max_snap_m=max_snap_m,
                       walkable=_walkable(segments))
    return merge_intervals(iv, index.length).to_frame()


# ---------------------------------------------------------------------------------------------
# Segments, areas, priority
# ---------------------------------------------------------------------------------------------
def road_segments(study: StudyArea) -> gpd.GeoDataFrame:
    """The road segments coverage is reported on.

    The study's ``roads`` line layer split into single LineStrings, or, when
    the roads come from an OSM file or download, the (undirected) edges of
    the study's default network.  Each row gets ``segment_id`` (0..n-1),
    ``length_m``, and ``district_id``/``district`` (and ``tambon_id``/``tambon``
    when a tambons layer exists) by the district holding the segment's
    midpoint.

    Returns
    -------
    GeoDataFrame
        In the study CRS.
    """
    if study.has("roads"):
        roads = study.layers["roads"]
        keep_cols = [c for c in ("road_id", "highway", "name") if c in roads.columns]
        parts, src = shapely.get_parts(roads.geometry.values, return_index=True)
        lines = shapely.get_type_id(parts) == 1
        parts, src = parts[lines], src[lines]
        seg = gpd.GeoDataFrame({c: roads[c].to_numpy()[src] for c in keep_cols}, geometry=parts, crs=study.crs)
    else:
        edges = study.network().edges_gdf(undirected=True)
        keep_cols = [c for c in ("road_id", "osmid", "highway", "name") if c in edges.columns]
        seg = gpd.GeoDataFrame(edges[keep_cols].reset_index(drop=True), geometry=edges.geometry.values, crs=study.crs)
    seg = seg[shapely.length(seg.geometry.values) > 0].reset_index(drop=True)
    seg.insert(0, "segment_id", np.arange(len(seg), dtype=np.int64))
    seg["length_m"] = shapely.length(seg.geometry.values)
    mid = shapely.line_interpolate_point(seg.geometry.values, 0.5, normalized=True)
    _add_area_columns(seg, mid, study)
    return seg


def _area_labels(areas: gpd.GeoDataFrame, id_col: str) -> np.ndarray:
    if "name_en" in areas.columns:
        names = areas["name_en"].astype(object).to_numpy()
        ids = areas[id_col].astype(str).to_numpy()
        return np.where(pd.isna(names), ids, names)
    return areas[id_col].astype(str).to_numpy()


def _assign(points: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray:
    """Row of the area holding each point, -1 outside every area."""
    out = np.full(len(points), -1, np.int64)
    if len(points) == 0 or len(areas) == 0:
        return out
    tree = shapely.STRtree(areas.geometry.values)
    pi, ai = tree.query(points, predicate="intersects")
    # first (lowest-row) area per point
    order = np.lexsort((ai, pi))
    pi, ai = pi[order], ai[order]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
    out[pi[first]] = ai[first]
    return out


def _add_area_columns(frame: gpd.GeoDataFrame, points: np.ndarray, study: StudyArea) -> None:
    for layer, id_col, label in (("districts", "district_id", "district"), ("tambons", "tambon_id", "tambon")):
        if not study.has(layer):
            if layer == "districts":
                frame["district_id"] = None
                frame["district"] = None
            continue
        areas = study.layers[layer]
        row = _assign(points, areas)
        ids = areas[id_col].astype(object).to_numpy()
        labels = _area_labels(areas, id_col)
        frame[id_col] = np.where(row >= 0, ids[np.maximum(row, 0)], None)
        frame[label] = np.where(row >= 0, labels[np.maximum(row, 0)], None)


def _hazard_geoms(study: StudyArea) -> np.ndarray:
    """Footprints of every hazard of the study: polygon layers and depth rasters (cells above the threshold)."""
    if getattr(study, "hazards", None):
        from safegeo.hazards import hazard_footprint

        geoms = hazard_footprint(study.hazards, study.crs).geometry.values
    elif study.has("hazards"):
        geoms = study.layers["hazards"].geometry.values
    else:
        return np.empty(0, dtype=object)
    # single parts: a polygonised raster is one huge multipolygon, which an STRtree cannot narrow down
    parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)])
    return parts[~shapely.is_empty(parts)]


def gap_priority(gaps: gpd.GeoDataFrame, study: StudyArea, *, weights: dict | None = None) -> pd.DataFrame:
    """Priority weight of each gap: the product of the factors that apply.

    Factors (``[coverage.weights]`` of the study file): ``hazard`` when the gap
    touches a hazard footprint (polygons, or depth-raster cells above the
    entry's threshold), ``border`` when it lies in a border district,
    ``poi`` when a point of interest (school, market, ...) is within
    ``poi_distance_m``, ``incident`` when a reported incident is within
    ``incident_distance_m`` (default: ``poi_distance_m``).  A gap with no
    factor weighs 1.

    Returns
    -------
    DataFrame
        ``in_hazard``, ``in_border_district``, ``near_poi``, ``near_incident``
        (bool), ``weight`` and ``priority`` (``high`` when weight >= 2,
        ``medium`` when > 1, else ``low``), aligned with *gaps*.
    """
    w = dict(study.params.get("coverage", {}).get("weights", {}))
    w.update(weights or {})
    poi_d = float(w.get("poi_distance_m", 200.0))
    inc_d = float(w.get("incident_distance_m", poi_d))
    geoms = gaps.geometry.values
    n = len(geoms)
    flags = pd.DataFrame({k: np.zeros(n, bool) for k in ("in_hazard", "in_border_district", "near_poi", "near_incident")})
    if n:
        hz = _hazard_geoms(study)
        if len(hz):  # few, detailed footprints: each is prepared once and queried against the gaps' tree
            _, gi = shapely.STRtree(geoms).query(hz, predicate="intersects")
            flags.loc[np.unique(gi), "in_hazard"] = True
        if study.has("districts") and "is_border" in study.layers["districts"].columns and "district_id" in gaps.columns:
            d = study.layers["districts"]
            border_ids = set(d.loc[d["is_border"].astype(bool), "district_id"].tolist())
            flags["in_border_district"] = gaps["district_id"].isin(border_ids).to_numpy()
        for layer, col, dist in (("pois", "near_poi", poi_d), ("incidents", "near_incident", inc_d)):
            if study.has(layer):
                pts = study.layers[layer].geometry.values
                gi, _ = shapely.STRtree(pts).query(geoms, predicate="dwithin", distance=dist)
                flags.loc[np.unique(gi), col] = True
    weight = np.ones(n)
    for col, key in (("in_hazard", "hazard"), ("in_border_district", "border"), ("near_poi", "poi"),
                     ("near_incident", "incident")):
        weight = np.where(flags[col].to_numpy(), weight * float(w.get(key, 1.0)), weight)
    flags["weight"] = weight
    flags["priority"] = np.where(weight >= HIGH_PRIORITY_WEIGHT, "high", np.where(weight > 1.0, "medium", "low"))
    return flags


def coverage_gaps(segments: gpd.GeoDataFrame, covered: pd.DataFrame | Intervals, *, asset: str = "",
                  min_gap_m: float = 0.0, index: SegmentIndex | None = None) -> gpd.GeoDataFrame:
    """Uncovered stretches of every segment as LineStrings, cut exactly where coverage stops and starts.

    Parameters
    ----------
    segments
        Road segments (with ``segment_id`` = row position, e.g. :func:`road_segments`).
    covered
        Merged covered stretches (``segment_id``, ``start_m``, ``end_m``).
    asset
        Written to the ``asset`` column.
    min_gap_m
        Leave out gaps shorter than this.

    Returns
    -------
    GeoDataFrame
        ``gap_id``, ``asset``, ``segment_id``, ``start_m``, ``end_m``,
        ``length_m``, plus the segment's district/tambon columns.
    """
    index = index or _segment_geoms(segments)
    if isinstance(covered, pd.DataFrame):
        covered = merge_intervals(Intervals(covered["segment_id"].to_numpy(np.int64), covered["start_m"].to_numpy(float),
                                            covered["end_m"].to_numpy(float)), index.length)
    gaps = complement_intervals(covered, index.length, min_len_m=min_gap_m)
    out = gpd.GeoDataFrame({
        "asset": np.full(len(gaps), asset, dtype=object),
        "segment_id": gaps.seg,
        "start_m": gaps.start,
        "end_m": gaps.end,
        "length_m": gaps.end - gaps.start,
    }, geometry=index.substrings(gaps), crs=segments.crs)
    for col in ("district_id", "district", "tambon_id", "tambon"):
        if col in segments.columns:
            out[col] = segments[col].to_numpy()[gaps.seg]
    return out


# ---------------------------------------------------------------------------------------------
# Roll-up
# ---------------------------------------------------------------------------------------------
def high_priority_gap_m(gaps: pd.DataFrame) -> pd.Series:
    """Metres of each segment inside a high-priority gap of any asset, overlaps counted once.

    The gaps of several assets often lie on the same stretch of road; summing
    them would count that road once per asset (and could exceed its length).

    Returns
    -------
    Series
        Indexed by ``segment_id`` (segments with such a gap only).
    """
    if "priority" in gaps.columns:
        gaps = gaps[gaps["priority"] == "high"]
    if len(gaps) == 0:
        return pd.Series(dtype=float)
    key, s, e = _merge_sorted(gaps["segment_id"].to_numpy(np.int64), gaps["start_m"].to_numpy(float),
                              gaps["end_m"].to_numpy(float))
    return pd.Series(e - s).groupby(key).sum()


def rollup(segments: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, *,
           id_col: str = "district_id", label_col: str = "district", assets: Sequence[str] = ASSETS
           ) -> gpd.GeoDataFrame | pd.DataFrame:
    """Per-area road km, % covered per asset, km of gaps and of high-priority gaps, ranked.

    Parameters
    ----------
    segments, gaps
        From :func:`analyze_coverage` (segments carry ``<prefix>_m`` columns).
    areas
        District or tambon polygons (``id_col``), or None for a table without geometry.
    assets
        Assets analysed.

    Returns
    -------
    GeoDataFrame
        One row per area: ``road_km``, ``<prefix>_pct`` (``lit_pct``,
        ``seen_pct``, ``sos_pct``; empty when the area has no road),
        ``covered_pct`` (mean over the assets), ``<prefix>_gap_km``,
        ``<prefix>_high_gap_km`` (high-priority gaps of that asset),
        ``high_priority_gap_km`` (road km with a high-priority gap of any
        asset, each stretch counted once) and ``rank`` (1 = most
        high-priority gap km).
    """
    key = segments[id_col].astype(object).where(segments[id_col].notna(), None)
    df = pd.DataFrame({id_col: key.to_numpy(), "length_m": segments["length_m"].to_numpy()})
    for a in assets:
        df[f"{PREFIX[a]}_m"] = segments[f"{PREFIX[a]}_m"].to_numpy()
    g = df.dropna(subset=[id_col]).groupby(id_col, sort=False).sum()
    table = pd.DataFrame(index=g.index)
    table["road_km"] = g["length_m"] / 1000.0
    pcts = []
    for a in assets:
        p = PREFIX[a]
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"{p}_pct"] = np.where(g["length_m"] > 0, 100.0 * g[f"{p}_m"] / g["length_m"], np.nan)
        pcts.append(f"{p}_pct")
    table["covered_pct"] = table[pcts].mean(axis=1) if pcts else np.nan
    per, per_high, high = pd.DataFrame(), pd.DataFrame(), None
    if len(gaps) and id_col in gaps.columns:
        gk = gaps.dropna(subset=[id_col])
        per = gk.groupby([id_col, "asset"])["length_m"].sum().unstack("asset")
        if "priority" in gk.columns:
            hk = gk[gk["priority"] == "high"]
            if len(hk):
                per_high = hk.groupby([id_col, "asset"])["length_m"].sum().unstack("asset")
            # road with a high-priority gap of any asset, counted once (never more than the road km)
            seg_m = high_priority_gap_m(hk)
            area = pd.Series(segments[id_col].to_numpy(), index=segments["segment_id"].to_numpy())
            high = seg_m.groupby(area.reindex(seg_m.index).to_numpy()).sum() if len(seg_m) else None
    for a in assets:
        for frame, col in ((per, f"{PREFIX[a]}_gap_km"), (per_high, f"{PREFIX[a]}_high_gap_km")):
            v = frame[a] if a in frame.columns else pd.Series(dtype=float)
            table[col] = v.reindex(table.index).fillna(0.0).to_numpy() / 1000.0
    table["high_priority_gap_km"] = (high.reindex(table.index).fillna(0.0).to_numpy() / 1000.0
                                     if high is not None else 0.0)
    table = table.reset_index().rename(columns={"index": id_col})
    if areas is not None:
        base = areas[[id_col] + [c for c in ("name_en", "name_th") if c in areas.columns]].copy()
        base[label_col] = _area_labels(areas, id_col)
        out = base.merge(table, on=id_col, how="left")
        out["road_km"] = out["road_km"].fillna(0.0)
        for c in [c for c in out.columns if c.endswith("_gap_km")]:
            out[c] = out[c].fillna(0.0)
        out = gpd.GeoDataFrame(out, geometry=areas.geometry.values, crs=areas.crs)
    else:
        out = table
    order = np.lexsort((-out["road_km"].to_numpy(), -out["high_priority_gap_km"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    return out


# ---------------------------------------------------------------------------------------------
# The whole analysis
# ---------------------------------------------------------------------------------------------
@dataclass
class CoverageResult:
    """Everything :func:`analyze_coverage` computed.

    Attributes
    ----------
    segments
        One row per road segment: ``segment_id``, ``length_m``, ``lit_m``,
        ``seen_m``, ``sos_m``, ``lit_frac``, ``seen_frac``, ``sos_frac`` (only
        for the assets analysed), ``covered_frac`` (mean), ``district_id``,
        ``district`` (and ``tambon_id``, ``tambon``).
    gaps
        Uncovered stretches (LineStrings) per asset with ``weight`` and ``priority``.
    districts, tambons
        Roll-ups (see :func:`rollup`); ``tambons`` is None without a tambons layer.
    sectors
        Camera view polygons (empty without cameras).
    proposals
        Proposed new sites in order of selection (empty unless asked for).
    assets
        Assets analysed.
    params
        The parameters used (radii, ranges, walking distance).
    """

    segments: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame | pd.DataFrame
    tambons: gpd.GeoDataFrame | None
    sectors: gpd.GeoDataFrame
    proposals: gpd.GeoDataFrame
    assets: tuple[str, ...]
    params: dict[str, Any]
    study: StudyArea | None = field(default=None, repr=False)
    intervals: dict[str, Intervals] = field(default_factory=dict, repr=False)
    index: SegmentIndex | None = field(default=None, repr=False)

    def report_lines(self) -> list[str]:
        """A few human-readable lines: km of road, % covered per asset, high-priority gaps, proposals."""
        s = self.segments
        total = float(s["length_m"].sum())
        lines = [f"{len(s):,} road segments, {total / 1000:,.1f} km"]
        names = {"lights": "lit", "cameras": "seen by cameras", "sos": "within SOS walking reach"}
        for a in self.assets:
            m = float(s[f"{PREFIX[a]}_m"].sum())
            g = self.gaps[self.gaps["asset"] == a]
            high = float(g.loc[g["priority"] == "high", "length_m"].sum())
            lines.append(f"  {names[a]:<26} {m / 1000:10,.1f} km ({100 * m / max(total, 1e-12):5.1f} %); "
                         f"gaps {len(g):,} ({high / 1000:,.1f} km high priority)")
        if len(self.proposals):
            p = self.proposals
            lines.append(f"  {len(p)} proposed {p['asset'].iloc[0]} ({p['method'].iloc[0]}): "
                         f"+{p['gain_m'].sum() / 1000:,.2f} km covered, "
                         f"+{p['weighted_gain_m'].sum() / 1000:,.2f} priority-weighted km")
        return lines

    def summary(self) -> pd.DataFrame:
        """District roll-up without geometry, plus a study-wide ``ALL`` row (``coverage_summary.csv``)."""
        cols = [c for c in self.districts.columns if c != "geometry"]
        table = pd.DataFrame(self.districts[cols])
        total = {"district_id": "ALL", "district": "ALL", "rank": None,
                 "road_km": self.segments["length_m"].sum() / 1000.0}
        for a in self.assets:
            p = PREFIX[a]
            total[f"{p}_pct"] = 100.0 * self.segments[f"{p}_m"].sum() / max(self.segments["length_m"].sum(), 1e-12)
            total[f"{p}_gap_km"] = self.gaps.loc[self.gaps["asset"] == a, "length_m"].sum() / 1000.0
            mine = (self.gaps["asset"] == a) & (self.gaps["priority"] == "high")
            total[f"{p}_high_gap_km"] = self.gaps.loc[mine, "length_m"].sum() / 1000.0
        total["covered_pct"] = float(np.mean([total[f"{PREFIX[a]}_pct"] for a in self.assets])) if self.assets else None
        total["high_priority_gap_km"] = float(high_priority_gap_m(self.gaps).sum()) / 1000.0
        return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def _check_obstacles(obstacles: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    from safegeo._errors import CRSError

    if obstacles.crs is None:
        raise CRSError("buildings: the layer has no CRS", hint="save the footprints with a CRS (e.g. EPSG:32647)")
    kinds = set(obstacles.geom_type.dropna())
    if kinds - {"Polygon", "MultiPolygon"}:
        raise CoverageError(f"buildings: footprints must be polygons, found {', '.join(sorted(kinds))}",
                            hint="give building outlines as (multi)polygons")
    return obstacles.to_crs(crs)


def _resolve_assets(study: StudyArea, assets: Sequence[str] | str | None) -> tuple[str, ...]:
    if assets is None:
        return tuple(a for a in ASSETS if a in study.layers)
    if isinstance(assets, str):
        assets = [a.strip() for a in assets.split(",") if a.strip()]
    unknown = [a for a in assets if a not in ASSETS]
    if unknown:
        raise CoverageError(f"unknown asset(s) {', '.join(unknown)}", hint=f"choose from {', '.join(ASSETS)}")
    for a in assets:
        study.layer(a)  # clear StudyFileError when the study has no such layer
    return tuple(dict.fromkeys(assets))


def analyze_coverage(
    study: StudyArea,
    *,
    assets: Sequence[str] | str | None = None,
    light_radius_m: float | None = None,
    camera_range_m: float | None = None,
    camera_fov_deg: float | None = None,
    sos_max_walk_m: float | None = None,
    obstacles: gpd.GeoDataFrame | None = None,
    min_gap_m: float = 0.0,
    propose: int = 0,
    asset_type: str | None = None,
    method: str = "greedy",
    spacing_m: float | None = None,
    weights: dict | None = None,
) -> CoverageResult:
    """Coverage per road segment, gaps, district/tambon roll-up and (optionally) proposed new sites.

    Parameters
    ----------
    study
        The study area (roads plus the ``lights``, ``cameras`` and ``sos`` layers).
    assets
        Which assets to analyse (names or a comma-separated string); default:
        every asset layer the study has.
    light_radius_m, camera_range_m, camera_fov_deg, sos_max_walk_m
        Defaults for assets without their own value; default from
        ``[coverage]`` of the study file (25 m, 50 m, 90°, 300 m).
    obstacles
        Building footprints that block camera views, or None.
    min_gap_m
        Leave out gaps shorter than this.
    propose
        Number of new sites to propose (0: none).
    asset_type
        Asset to propose (default: the first analysed); analysed as well when missing from *assets*.
    method
        ``"greedy"`` or ``"exact"`` (see :func:`safegeo.siting.propose_sites`).
    spacing_m
        Candidate spacing along gaps (default: the asset's radius).
    weights
        Overrides of ``[coverage.weights]``.

    Returns
    -------
    CoverageResult

    Raises
    ------
    CoverageError
        Unknown asset or bad option.
    StudyFileError
        An asset asked for has no layer in the study.
    """
    p = dict(study.params.get("coverage", {}))
    params = {
        "light_radius_m": float(light_radius_m if light_radius_m is not None else p.get("light_radius_m", 25.0)),
        "camera_range_m": float(camera_range_m if camera_range_m is not None else p.get("camera_range_m", 50.0)),
        "camera_fov_deg": float(camera_fov_deg if camera_fov_deg is not None else p.get("camera_fov_deg", 90.0)),
        "sos_max_walk_m": float(sos_max_walk_m if sos_max_walk_m is not None else p.get("sos_max_walk_m", 300.0)),
        "max_snap_m": float(study.params.get("network", {}).get("max_snap_m", 500.0)),
        "min_gap_m": float(min_gap_m),
    }
    bad = [f"{k} must be >= 0, got {params[k]:g}" for k in ("light_radius_m", "camera_range_m", "sos_max_walk_m",
                                                             "min_gap_m") if not params[k] >= 0]
    if not 0 < params["camera_fov_deg"] <= 360:
        bad.append(f"camera_fov_deg must be > 0 and <= 360, got {params['camera_fov_deg']:g}")
    if bad:
        raise CoverageError("; ".join(bad), hint="check the options and [coverage] in the study file")
    if obstacles is not None:
        obstacles = _check_obstacles(obstacles, study.crs)
    chosen = _resolve_assets(study, assets)
    if propose < 0:
        raise CoverageError(f"propose must be >= 0, got {propose}")
    if propose:
        asset_type = asset_type or (chosen[0] if chosen else None)
        if asset_type is None:
            raise CoverageError("nothing to propose: the study has no asset layer", hint="pass asset_type")
        if asset_type not in ASSETS:
            raise CoverageError(f"unknown asset type {asset_type!r} to propose", hint=f"choose from {', '.join(ASSETS)}")
    if not chosen and not propose:
        raise CoverageError("the study area has none of the asset layers lights, cameras, sos",
                            hint="add one under [layers], e.g. lights = { path = \"assets.gpkg\", layer = \"lights\" }")

    segments = road_segments(study)
    index = SegmentIndex(segments.geometry.values)
    raw: dict[str, Intervals] = {}
    merged: dict[str, Intervals] = {}
    link = None
    analysed = tuple(a for a in ASSETS if a in chosen or (propose and a == asset_type))
    for a in analysed:
        layer = study.layers.get(a)
        if layer is None:
            layer = gpd.GeoDataFrame(geometry=[], crs=study.crs)
        if a == "lights":
            raw[a] = light_intervals(index, layer, radius_m=params["light_radius_m"], crs=study.crs)
        elif a == "cameras":
            raw[a] = camera_intervals(index, layer, range_m=params["camera_range_m"], fov_deg=params["camera_fov_deg"],
                                      obstacles=obstacles, crs=study.crs)
        else:
            net = study.network("walk", largest_component=False)  # reach from buttons on road islands too
            link = _walk_link(index, segments.geometry.values, net)
            raw[a] = sos_intervals(index, segments.geometry.values, layer, net, max_walk_m=params["sos_max_walk_m"],
                                   max_snap_m=params["max_snap_m"], link=link, walkable=_walkable(segments))
        merged[a] = merge_intervals(raw[a], index.length)
        pre = PREFIX[a]
        segments[f"{pre}_m"] = np.minimum(covered_length(merged[a], index.n), index.length)
        segments[f"{pre}_frac"] = np.where(index.length > 0, segments[f"{pre}_m"] / index.length, 0.0)
    fr = [f"{PREFIX[a]}_frac" for a in analysed]
    segments["covered_frac"] = segments[fr].mean(axis=1) if fr else 0.0

    gap_frames = [coverage_gaps(segments, merged[a], asset=a, min_gap_m=params["min_gap_m"], index=index)
                  for a in analysed]
    gaps = pd.concat(gap_frames, ignore_index=True) if gap_frames else coverage_gaps(
        segments, Intervals.empty(), asset="", index=index).iloc[0:0]
    gaps = gpd.GeoDataFrame(gaps, geometry="geometry", crs=study.crs)
    pr = gap_priority(gaps, study, weights=weights)
    for c in pr.columns:
        gaps[c] = pr[c].to_numpy()
    gaps["weighted_m"] = gaps["length_m"] * gaps["weight"]
    gaps.insert(0, "gap_id", np.arange(len(gaps), dtype=np.int64))

    districts = rollup(segments, gaps, study.layers.get("districts"), assets=analysed)
    tambons = (rollup(segments, gaps, study.layers["tambons"], id_col="tambon_id", label_col="tambon",
                      assets=analysed) if study.has("tambons") else None)
    sectors = (camera_sectors(study.layers["cameras"], range_m=params["camera_range_m"],
                              fov_deg=params["camera_fov_deg"]) if "cameras" in analysed and study.has("cameras")
               else gpd.GeoDataFrame(geometry=[], crs=study.crs))

    result = CoverageResult(segments, gaps, districts, tambons, sectors, _empty_proposals(study.crs), analysed,
                            params, study, merged, index)
    if propose:
        from safegeo.siting import propose_sites

        result.proposals = propose_sites(result, asset=asset_type, n=propose, method=method, spacing_m=spacing_m,
                                         link=link)
    return result


def _empty_proposals(crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"rank": pd.Series(dtype="int64"), "asset": pd.Series(dtype=object),
                             "segment_id": pd.Series(dtype="int64"), "gain_m": pd.Series(dtype=float),
                             "weighted_gain_m": pd.Series(dtype=float), "cumulative_gain_m": pd.Series(dtype=float)},
                            geometry=gpd.GeoSeries([], crs=crs), crs=crs)


# ---------------------------------------------------------------------------------------------
# Map and files
# ---------------------------------------------------------------------------------------------
_GAP_COLOURS = {"high": "#b10026", "medium": "#fd8d3c", "low": "#fed976"}


def coverage_map(result: CoverageResult, *, lang: str = "en", public: bool = False, synthetic: bool | None = None,
                 tiles: bool = True, title: str | None = None) -> SafegeoMap:
    """The coverage map: segments by % covered, gaps by priority, camera sectors, districts, proposals.

    Returns
    -------
    SafegeoMap
        Call ``.save(path)`` to write the self-contained HTML page.
    """
    from safegeo.maps import SafegeoMap

    study = result.study
    synthetic = bool(getattr(study, "synthetic", False)) if synthetic is None else synthetic
    name = getattr(study, "name", "") or ""
    m = SafegeoMap(title=title or (f"{name} – coverage" if lang == "en" else f"{name} – ความครอบคลุม"), lang=lang,
                   bounds=result.segments if len(result.segments) else None, public=public, synthetic=synthetic,
                   tiles=tiles)
    pct_cols = [f"{PREFIX[a]}_pct" for a in result.assets]
    if isinstance(result.districts, gpd.GeoDataFrame) and len(result.districts):
        m.add_polygons(result.districts, name="districts", fill_column="covered_pct", cmap="RdYlGn", vmin=0, vmax=100,
                       fill_opacity=0.35, tooltip=["district", "road_km", *pct_cols, "high_priority_gap_km", "rank"],
                       legend_title="covered_pct")
    if len(result.sectors):
        m.add_polygons(result.sectors, name="camera_views", color="#6a3d9a", fill_opacity=0.25,
                       tooltip=[c for c in ("camera_id", "direction_deg", "fov_deg", "range_m") if c in result.sectors])
    seg = result.segments.copy()
    seg["covered_pct"] = 100.0 * seg["covered_frac"]
    for a in result.assets:
        seg[f"{PREFIX[a]}_pct"] = 100.0 * seg[f"{PREFIX[a]}_frac"]
    m.add_lines(seg, name="coverage", color_column="covered_pct", cmap="RdYlGn", vmin=0, vmax=100, weight=2.5,
                tooltip=["segment_id", "district", "length_m", *pct_cols], legend_title="covered_pct")
    for a in result.assets:
        g = result.gaps[result.gaps["asset"] == a]
        if len(g):
            m.add_lines(g, name=f"gaps_{a}", color_column="priority", categories=_GAP_COLOURS, weight=4,
                        tooltip=["asset", "length_m", "priority", "weight", "district"],
                        show=a == result.assets[0], legend_title="priority")
    style = {"lights": "#f2c500", "cameras": "#6a3d9a", "sos": "#e31a1c"}
    id_col = {"lights": "light_id", "cameras": "camera_id", "sos": "sos_id"}
    if study is not None:
        for a in result.assets:
            if study.has(a):
                layer = study.layers[a]
                m.add_points(layer, name=a, color=style[a], radius=4,
                             tooltip=[id_col[a]] if id_col[a] in layer.columns else None, show=a != "lights")
    if len(result.proposals):
        m.add_points(result.proposals, name="proposals", color="#1f78b4", radius_column="weighted_gain_m",
                     radius_range=(5.0, 14.0), tooltip=["rank", "asset", "gain_m", "weighted_gain_m", "district"])
    return m


def write_coverage(result: CoverageResult, out_dir: str | Path, *, lang: str = "en", public: bool = False,
                   tiles: bool = True) -> list[Path]:
    """Write ``coverage.html``, ``coverage.gpkg`` and ``coverage_summary.csv`` into *out_dir*, atomically.

    The GeoPackage has layers ``segments``, ``gaps``, ``districts``,
    ``proposals`` (and ``tambons``, ``camera_sectors`` when present).

    Returns
    -------
    list of Path
        The map first, then the GeoPackage and the CSV.
    """
    from safegeo.io import write_csv, write_gpkg

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = coverage_map(result, lang=lang, public=public, tiles=tiles).save(out / "coverage.html")
    layers: dict[str, Any] = {"segments": result.segments, "gaps": result.gaps, "districts": result.districts,
                              "proposals": result.proposals}
    if result.tambons is not None:
        layers["tambons"] = result.tambons
    if len(result.sectors):
        layers["camera_sectors"] = result.sectors
    gpkg = write_gpkg(out / "coverage.gpkg", layers)
    csv = write_csv(out / "coverage_summary.csv", result.summary())
    return [html, gpkg, csv]


def demo_step(study: StudyArea, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """Coverage of the demo province: every asset, 10 proposed street lights; map first."""
    asset = "lights" if study.has("lights") or "lights" in study.layers else None
    result = analyze_coverage(study, propose=10 if asset else 0, asset_type=asset)
    return write_coverage(result, out_dir, lang=lang)
