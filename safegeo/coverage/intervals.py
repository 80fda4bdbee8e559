"""Coverage as 1-D intervals along road segments (metres from each segment's first vertex), and the segment index."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from safegeo._errors import CoverageError

log = logging.getLogger(__name__)


_EPS_M = 1e-9  # intervals shorter than this are dropped (tangent points)



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
    has = np.zeros(n, bool)
    has[merged.seg] = True
    none = np.flatnonzero(~has)
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

