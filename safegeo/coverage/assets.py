"""What each asset covers: street-light discs, camera sectors (with building shadows), SOS walking reach."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._errors import CoverageError
from safegeo.coverage.intervals import (
    _EPS_M,
    Intervals,
    SegmentIndex,
    _envelopes,
    _merge_sorted,
    merge_intervals,
)

if TYPE_CHECKING:
    from safegeo.network import RoadNetwork

log = logging.getLogger(__name__)


#: Asset layers the analysis knows, in report order.
ASSETS = ("lights", "cameras", "sos")
#: Column prefix of each asset in the segments table (``lit_m``, ``seen_m``, ``sos_m``).
PREFIX = {"lights": "lit", "cameras": "seen", "sos": "sos"}
#: Priority classes of a gap by weight: >= 2 high, > 1 medium, else low.
HIGH_PRIORITY_WEIGHT = 2.0



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


def _pair_keys(a: np.ndarray, b: np.ndarray, grid_m: float) -> np.ndarray:
    """One hashable key per directed vertex pair (a -> b), coordinates on a *grid_m* grid."""
    q = np.round(np.column_stack([a, b]) / grid_m).astype(np.int64)
    return q.view(np.dtype((np.void, q.dtype.itemsize * 4))).ravel()


def _walk_link(index: SegmentIndex, segments_geoms: np.ndarray, net: RoadNetwork, *, tol_m: float = 0.05) -> _WalkLink:
    """Place every walk edge on the road segment it runs along (or none: a footpath that is no segment).

    Walk edges and segments are cut from the same lines, so an edge's first
    two vertices are two consecutive vertices of its segment: matching vertex
    pairs (either way round, on a *tol_m* grid) places each edge exactly, with
    one hash join instead of a nearest-geometry search per edge.
    """
    geoms = net.edge_geometries()
    length = shapely.length(geoms)
    seg = np.full(len(geoms), -1, np.int64)
    p0 = np.zeros(len(geoms))
    sign = np.ones(len(geoms))
    ecoords, egi = shapely.get_coordinates(geoms, return_index=True)
    efirst = np.flatnonzero(np.r_[True, egi[1:] != egi[:-1]]) if len(egi) else np.zeros(0, np.int64)
    ok = (efirst + 1 < len(egi)) & (egi[np.minimum(efirst + 1, len(egi) - 1)] == egi[efirst])
    efirst = efirst[ok]
    e_of = egi[efirst]
    from safegeo.network.snap import _vertex_positions

    scoords, sgi, scum, _ = _vertex_positions(segments_geoms)
    k = np.flatnonzero(np.r_[sgi[1:] == sgi[:-1], False])  # vertex k and k+1 on the same segment
    if len(k) and len(efirst):
        table = pd.DataFrame({"key": _pair_keys(scoords[k], scoords[k + 1], tol_m), "k": k})
        table = table.drop_duplicates("key")
        fwd = pd.Series(table["k"].to_numpy(), index=table["key"].to_numpy())
        a, b = ecoords[efirst], ecoords[efirst + 1]
        hit_f = fwd.reindex(_pair_keys(a, b, tol_m)).to_numpy()
        hit_b = fwd.reindex(_pair_keys(b, a, tol_m)).to_numpy()
        f_ok = ~np.isnan(hit_f)
        b_ok = ~f_ok & ~np.isnan(hit_b)
        kf = hit_f[f_ok].astype(np.int64)
        kb = hit_b[b_ok].astype(np.int64)
        seg[e_of[f_ok]] = sgi[kf]
        p0[e_of[f_ok]] = scum[kf]  # the edge starts at vertex k and runs with the segment
        seg[e_of[b_ok]] = sgi[kb]
        sign[e_of[b_ok]] = -1.0
        p0[e_of[b_ok]] = scum[kb + 1]  # it starts at vertex k+1 and runs against it
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

