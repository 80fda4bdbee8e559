"""The whole coverage analysis: :func:`analyze_coverage`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo._errors import CoverageError
from safegeo.coverage.assets import (
    ASSETS,
    PREFIX,
    _walk_link,
    _walkable,
    camera_intervals,
    camera_sectors,
    light_intervals,
    sos_intervals,
)
from safegeo.coverage.gaps import coverage_gaps, gap_priority, road_segments, rollup
from safegeo.coverage.intervals import (
    Intervals,
    SegmentIndex,
    covered_length,
    merge_intervals,
)
from safegeo.coverage.result import CoverageResult, _empty_proposals, write_coverage
from safegeo.coverage.siting import propose_sites

if TYPE_CHECKING:
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)


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
    hazard: str | None = None,
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
        ``"greedy"`` or ``"exact"`` (see :func:`safegeo.coverage.siting.propose_sites`).
    spacing_m
        Candidate spacing along gaps (default: the asset's radius).
    weights
        Overrides of ``[coverage.weights]``.
    hazard
        The hazard whose footprint raises gap priority (default: every hazard of
        the study; ``"none"``: none), as for :meth:`StudyArea.scenario`.

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
    p = study.settings("coverage")  # defaults and the study file; the options below are checked together
    params = {
        "light_radius_m": float(light_radius_m if light_radius_m is not None else p["light_radius_m"]),
        "camera_range_m": float(camera_range_m if camera_range_m is not None else p["camera_range_m"]),
        "camera_fov_deg": float(camera_fov_deg if camera_fov_deg is not None else p["camera_fov_deg"]),
        "sos_max_walk_m": float(sos_max_walk_m if sos_max_walk_m is not None else p["sos_max_walk_m"]),
        "max_snap_m": float(study.settings("network")["max_snap_m"]),
        "min_gap_m": float(min_gap_m),
        "hazard": study.scenario(hazard).label,
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
    pr = gap_priority(gaps, study, weights=weights, hazard=hazard)
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
        result.proposals = propose_sites(result, asset=asset_type, n=propose, method=method, spacing_m=spacing_m,
                                         link=link)
    return result




def demo_step(study: StudyArea, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """Coverage of the demo province: every asset, 10 proposed street lights; map first."""
    asset = "lights" if study.has("lights") or "lights" in study.layers else None
    result = analyze_coverage(study, propose=10 if asset else 0, asset_type=asset)
    return write_coverage(result, out_dir, lang=lang, back_href="../index.html")
