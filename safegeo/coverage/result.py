"""The coverage result: tables, report, map and files."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo.areas import STUDY_ROW_ID
from safegeo.coverage.assets import PREFIX
from safegeo.coverage.gaps import high_priority_gap_m
from safegeo.coverage.intervals import Intervals, SegmentIndex

if TYPE_CHECKING:
    from safegeo.maps import SafegeoMap
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)


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

    def map(self, *, lang: str = "en", public: bool = False, tiles: bool = True, title: str | None = None,
            back_href: str | None = None, charts: bool = True):
        """The coverage map (:func:`coverage_map`)."""
        return coverage_map(self, lang=lang, public=public, tiles=tiles, title=title, back_href=back_href,
                            charts=charts)

    def write(self, out_dir: str | Path, *, lang: str = "en", public: bool = False, tiles: bool = True,
              back_href: str | None = None) -> list[Path]:
        """Write the map, GeoPackage and summary CSV as one set (:func:`write_coverage`)."""
        return write_coverage(self, out_dir, lang=lang, public=public, tiles=tiles, back_href=back_href)

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

    @property
    def summary(self) -> pd.DataFrame:
        """Per district and tambon, and the whole study, in the shared summary shape (``coverage_summary.csv``).

        ``level``, ``area_id``, ``name_en``, ``name_th``, then ``rank`` (within
        the level), ``road_km``, ``<prefix>_pct``, ``covered_pct``,
        ``<prefix>_gap_km``, ``<prefix>_high_gap_km`` and ``high_priority_gap_km``;
        the study row is ``level = "study"``, ``area_id = "ALL"``.
        """
        frames = []
        for level, table, id_col in (("district", self.districts, "district_id"), ("tambon", self.tambons, "tambon_id")):
            if table is None or id_col not in table.columns or len(table) == 0:
                continue
            t = pd.DataFrame(table.drop(columns=["geometry", "district", "tambon"], errors="ignore"))
            if level == "tambon" and "district_id" not in t.columns and self.study is not None:
                tam = self.study.layers.get("tambons")
                if tam is not None and "district_id" in tam.columns:
                    t = t.merge(pd.DataFrame(tam[["tambon_id", "district_id"]]), on="tambon_id", how="left")
            t = t.rename(columns={id_col: "area_id"})
            t.insert(0, "level", level)
            frames.append(t)
        total: dict[str, Any] = {"level": "study", "area_id": STUDY_ROW_ID, "rank": None,
                                 "road_km": self.segments["length_m"].sum() / 1000.0}
        for a in self.assets:
            p = PREFIX[a]
            total[f"{p}_pct"] = 100.0 * self.segments[f"{p}_m"].sum() / max(self.segments["length_m"].sum(), 1e-12)
            total[f"{p}_gap_km"] = self.gaps.loc[self.gaps["asset"] == a, "length_m"].sum() / 1000.0
            mine = (self.gaps["asset"] == a) & (self.gaps["priority"] == "high")
            total[f"{p}_high_gap_km"] = self.gaps.loc[mine, "length_m"].sum() / 1000.0
        total["covered_pct"] = float(np.mean([total[f"{PREFIX[a]}_pct"] for a in self.assets])) if self.assets else None
        total["high_priority_gap_km"] = float(high_priority_gap_m(self.gaps).sum()) / 1000.0
        frames.append(pd.DataFrame([total]))
        out = pd.concat(frames, ignore_index=True)
        first = [c for c in ("level", "area_id", "name_en", "name_th", "district_id", "rank") if c in out.columns]
        return out[first + [c for c in out.columns if c not in first]]



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
                 tiles: bool = True, title: str | None = None, back_href: str | None = None,
                 charts: bool = True) -> SafegeoMap:
    """The coverage map: segments by % covered, gaps by priority, camera sectors, districts, proposals.

    With *charts*, the charts of :func:`safegeo.maps.charts.coverage_charts`
    sit beside the map; *back_href* links the title box back to an overview.

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
                   tiles=tiles, back_href=back_href)
    if charts:
        from safegeo.maps.charts import coverage_charts

        for chart in coverage_charts(result, lang=lang):
            m.add_chart(chart)
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
        if len(g) > GAPS_GROUPED_ABOVE:
            # a province's gaps: one feature per district and priority (the pieces are in the GeoPackage)
            m.add_lines(_grouped_gaps(g), name=f"gaps_{a}", color_column="priority", categories=_GAP_COLOURS,
                        weight=4, tooltip=["asset", "district", "priority", "gap_km", "gap_pieces"],
                        show=a == result.assets[0], legend_title="priority")
        elif len(g):
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


#: Above this many gaps of one asset, the map draws them grouped by district and priority.
GAPS_GROUPED_ABOVE = 5000


def _grouped_gaps(gaps: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Gap pieces gathered per district and priority: one MultiLineString each, ``gap_km`` (sum) and ``gap_pieces``.

    The pieces are not joined end to end (``line_merge`` of a province's gaps
    took 12 s and joins little: gaps are separated by the covered stretches).
    """
    import shapely

    district = gaps["district"].astype(object).where(gaps["district"].notna(), "").to_numpy(object)
    priority = gaps["priority"].astype(object).to_numpy()
    group = pd.DataFrame({"district": district, "priority": priority}).groupby(
        ["district", "priority"], sort=True).ngroup().to_numpy()
    _, first_row = np.unique(group, return_index=True)  # groups are numbered 0.. in key order
    n_groups = len(first_row)
    parts, src = shapely.get_parts(gaps.geometry.to_numpy(), return_index=True)
    order = np.argsort(group[src], kind="stable")
    geoms = np.full(n_groups, None, dtype=object)
    if len(parts):
        made = shapely.multilinestrings(parts[order], indices=group[src][order])
        geoms[: len(made)] = made
    return gpd.GeoDataFrame({
        "asset": gaps["asset"].to_numpy(object)[first_row],
        "district": [d or None for d in district[first_row]],
        "priority": priority[first_row],
        "gap_km": np.bincount(group, weights=gaps["length_m"].to_numpy(float), minlength=n_groups) / 1000.0,
        "gap_pieces": np.bincount(group, minlength=n_groups),
    }, geometry=geoms, crs=gaps.crs)


def write_coverage(result: CoverageResult, out_dir: str | Path, *, lang: str = "en", public: bool = False,
                   tiles: bool = True, back_href: str | None = None) -> list[Path]:
    """Write ``coverage.html``, ``coverage.gpkg`` and ``coverage_summary.csv`` into *out_dir*, as one set.

    The GeoPackage has layers ``segments``, ``gaps``, ``districts``,
    ``proposals`` (and ``tambons``, ``camera_sectors`` when present).  With
    *public*, every file goes through the public filter
    (:func:`safegeo.privacy.public_frame`): a camera's ``owner`` or ``phone``
    carried into ``camera_sectors`` is left out, for example.

    Returns
    -------
    list of Path
        The map first, then the GeoPackage and the CSV.
    """
    from safegeo.output import write_analysis

    layers: dict[str, Any] = {"segments": result.segments, "gaps": result.gaps, "districts": result.districts,
                              "proposals": result.proposals}
    if result.tambons is not None:
        layers["tambons"] = result.tambons
    if len(result.sectors):
        layers["camera_sectors"] = result.sectors
    return write_analysis(
        out_dir, what="coverage", html="coverage.html", gpkg="coverage.gpkg", public=public,
        page=lambda: coverage_map(result, lang=lang, public=public, tiles=tiles, back_href=back_href),
        layers=layers, tables={"coverage_summary.csv": result.summary})


