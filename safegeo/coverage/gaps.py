"""Road segments, coverage gaps, gap priority and the per-area roll-up."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo.areas import _labels
from safegeo.coverage.assets import ASSETS, HIGH_PRIORITY_WEIGHT, PREFIX, _segment_geoms
from safegeo.coverage.intervals import (
    Intervals,
    SegmentIndex,
    _merge_sorted,
    complement_intervals,
    merge_intervals,
)
from safegeo.network.snap import line_points

if TYPE_CHECKING:
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)


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
    mid = shapely.points(line_points(seg.geometry.values, fraction=0.5))
    _add_area_columns(seg, mid, study)
    return seg


def _add_area_columns(frame: gpd.GeoDataFrame, points: np.ndarray, study: StudyArea) -> None:
    """``district_id``/``district`` (and ``tambon_id``/``tambon``) of each row, by the study's one area lookup."""
    where = study.areas.locate(points, crs=study.crs)
    for c in ("district_id", "district", "tambon_id", "tambon"):
        if c in where.columns:
            frame[c] = where[c].to_numpy(object)
        elif c in ("district_id", "district"):
            frame[c] = None


def _hazard_geoms(study: StudyArea, hazard: str | None = None) -> np.ndarray:
    """Footprints of the study's hazard scenario (polygons, depth rasters above their thresholds), as single parts."""
    geoms = study.scenario(hazard).footprint(study.crs).geometry.values
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    # single parts: a polygonised raster is one huge multipolygon, which an STRtree cannot narrow down
    parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)])
    return parts[~shapely.is_empty(parts)]


def _mask(n: int, rows: np.ndarray) -> np.ndarray:
    """Boolean mask of length *n*, true at *rows* (repeats allowed; no sort)."""
    out = np.zeros(n, bool)
    out[rows] = True
    return out


def lines_near_points(lines: np.ndarray, points: np.ndarray, distance_m: float, *,
                      tree: shapely.STRtree | None = None) -> np.ndarray:
    """Which *lines* lie within *distance_m* of any of *points* (bool per line).

    The same answer as ``STRtree(lines).query(points, predicate="dwithin")``,
    without a GEOS call per (point, line) pair: every vertex segment of the
    lines asks a k-d tree of the points for the point nearest its midpoint.
    Within *distance_m* of the midpoint the segment is near; farther than
    *distance_m* plus half the segment no point can be near it; only the
    segments in between test their few candidate points exactly.  Places
    that are not single points (a school drawn as a polygon) go through
    GEOS with *tree* (an STRtree of *lines*, built when not given).
    """
    from scipy.spatial import cKDTree

    lines = np.asarray(lines, dtype=object)
    points = np.asarray(points, dtype=object)
    n = len(lines)
    out = np.zeros(n, bool)
    if n == 0 or len(points) == 0:
        return out
    d = float(distance_m)
    single = (shapely.get_type_id(points) == 0) & ~shapely.is_empty(points)
    other = ~single & ~shapely.is_missing(points) & ~shapely.is_empty(points)
    if other.any():
        tree = tree if tree is not None else shapely.STRtree(lines)
        out[tree.query(points[other], predicate="dwithin", distance=d)[1]] = True
    if not single.any():
        return out
    kd = cKDTree(shapely.get_coordinates(points[single]))
    multi = shapely.get_type_id(lines) != 1
    if multi.any():  # vertex segments must never join two parts
        parts, part_of = shapely.get_parts(lines, return_index=True)
    else:
        parts, part_of = lines, np.arange(n)
    coords, part_idx = shapely.get_coordinates(parts, return_index=True)
    owner = part_of[part_idx]
    inner = np.flatnonzero(part_idx[1:] == part_idx[:-1])  # segment i runs from vertex i to vertex i + 1
    a, b = coords[inner], coords[inner + 1]
    seg_owner = owner[inner]
    mid = (a + b) / 2.0
    half = np.hypot(*(b - a).T) / 2.0
    r, _ = kd.query(mid, k=1)
    out[seg_owner[r <= d]] = True
    amb = np.flatnonzero((r > d) & (r <= d + half) & ~out[seg_owner])
    if len(amb):
        cand = kd.query_ball_point(mid[amb], d + half[amb])
        k = np.fromiter((len(c) for c in cand), np.int64, len(cand))
        q = kd.data[np.concatenate([np.asarray(c, np.int64) for c in cand])] if k.sum() else np.zeros((0, 2))
        s_i = np.repeat(amb, k)
        sa, ab = a[s_i], b[s_i] - a[s_i]
        den = (ab * ab).sum(axis=1)
        t = np.clip(((q - sa) * ab).sum(axis=1) / np.where(den > 0, den, 1.0), 0.0, 1.0)
        near = ((q - (sa + ab * t[:, None])) ** 2).sum(axis=1) <= d * d
        out[seg_owner[s_i[near]]] = True
    lone = np.bincount(part_idx, minlength=len(parts)) == 1  # a part of one vertex: its point
    if lone.any():
        first = np.r_[0, np.flatnonzero(np.diff(part_idx)) + 1]
        pos = first[lone[part_idx[first]]]
        r1, _ = kd.query(coords[pos], k=1)
        out[owner[pos][r1 <= d]] = True
    return out


def gap_priority(gaps: gpd.GeoDataFrame, study: StudyArea, *, weights: dict | None = None,
                 hazard: str | None = None) -> pd.DataFrame:
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
    w = study.settings("coverage", weights=weights)["weights"]
    poi_d = float(w["poi_distance_m"])
    inc_d = float(w["incident_distance_m"])
    geoms = gaps.geometry.values
    n = len(geoms)
    flags = pd.DataFrame({k: np.zeros(n, bool) for k in ("in_hazard", "in_border_district", "near_poi", "near_incident")})
    if n:
        hz = _hazard_geoms(study, hazard)
        if len(hz):  # few, detailed footprints: each is prepared once and queried against the gaps' tree
            _, gi = shapely.STRtree(geoms).query(hz, predicate="intersects")
            flags["in_hazard"] = _mask(n, gi)
        if study.has("districts") and "is_border" in study.layers["districts"].columns and "district_id" in gaps.columns:
            d = study.layers["districts"]
            border_ids = set(d.loc[d["is_border"].astype(bool), "district_id"].tolist())
            flags["in_border_district"] = gaps["district_id"].isin(border_ids).to_numpy()
        gap_tree = None
        for layer, col, dist in (("pois", "near_poi", poi_d), ("incidents", "near_incident", inc_d)):
            if study.has(layer):
                pts = study.layers[layer].geometry.values
                # few points, many gaps: ask the gaps' tree about each point (the relation is symmetric)
                gap_tree = gap_tree if gap_tree is not None else shapely.STRtree(geoms)
                flags[col] = lines_near_points(geoms, pts, dist, tree=gap_tree)
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
        base[label_col] = _labels(areas, id_col)
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


