"""The road plan: ranked candidates, the chosen portfolio, routes before and after, report, map and files."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo._i18n import t

log = logging.getLogger(__name__)

#: Declared geometry type of each spatial layer of ``road_plan.gpkg``.
GPKG_GEOMETRY_TYPES = {"candidates": "MultiLineString", "routes": "LineString", "villages": "Point",
                       "portfolio_villages": "Point"}
#: Columns of ``road_plan.csv``, in order (those present).
CSV_COLUMNS = (
    "rank", "rank_per_cost", "chosen", "portfolio_order", "candidate_id", "kind", "name", "source", "cost",
    "cost_estimated", "benefit", "benefit_per_cost", "benefit_people_min", "people_min_saved", "people_faster",
    "villages_faster", "people_reconnected", "people_newly_within_max", "people_newly_beyond_max",
    "people_newly_cut_off", "response_people_min", "response_villages_faster", "response_max_gain_min",
    "response_people_newly_within_target", "length_m", "highway", "speed_kph", "oneway", "road_ids", "detour_ratio",
    "road_m", "screen_people_min", "hazard_factor", "mid_lon", "mid_lat",
)
#: Colours of the kinds of candidate on the map's legend of chosen projects.
KIND_COLOURS = {"new_link": "#1f78b4", "bridge": "#6a3d9a", "upgrade": "#ff7f00", "floodproof": "#33a02c"}
ROUTE_COLOURS = {"before": "#8c8c8c", "after": "#2166ac"}


@dataclass
class RoadPlanResult:
    """Everything a road plan found; every table is a (Geo)DataFrame in the study CRS.

    Attributes
    ----------
    candidates
        One row per candidate, best first: ``candidate_id``, ``kind``,
        ``name``, ``cost`` (million baht; ``cost_estimated``), ``length_m``,
        and what it does, each measured exactly on the network with it built:

        * ``benefit_people_min`` — person-minutes of evacuation saved, people
          who cannot reach a shelter counting ``unreachable_minutes`` (so
          reconnecting them counts too);
        * ``people_min_saved`` — among people who reach a shelter before and after;
        * ``people_faster``, ``villages_faster``, ``people_reconnected``,
          ``people_newly_within_max`` (and ``..._beyond_max``, ``..._cut_off``
          for the rare project that lengthens someone's trip: a new open road
          that ends the way out of a closed area on foot);
        * ``response_people_min``, ``response_villages_faster``,
          ``response_max_gain_min``, ``response_people_newly_within_target``:
          vehicle response times, summed over vehicle types;
        * ``benefit`` (``benefit_people_min + response_weight * response_people_min``),
          ``benefit_per_cost``, ``rank``, ``rank_per_cost``, ``chosen``, ``portfolio_order``.
    portfolio
        The chosen projects in the order taken, each with its gain on the
        network with the earlier ones built (so the gains add up exactly).
    routes
        Before and after routes of the villages that gain most from the best candidates.
    villages
        Every village whose trip the best candidates change (before, after, gain).
    village_gain
        Every village the whole portfolio helps.
    response
        Per candidate and vehicle type: response-time gains.
    verification
        The best candidates measured again by full evacuation runs, nearest
        shelter and with shelter capacities.
    summary
        Per district and tambon (and the whole study): what the portfolio does there.
    settings
        The options used; ``baseline`` (totals before any project) and
        ``portfolio_check`` (the portfolio's summed gains against a full run
        with every project built, nearest shelter and with capacities).
    """

    candidates: gpd.GeoDataFrame
    portfolio: pd.DataFrame
    routes: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    village_gain: gpd.GeoDataFrame
    response: pd.DataFrame
    verification: pd.DataFrame
    summary: pd.DataFrame
    hazard_areas: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    #: the candidates with where each acts on the network (for :func:`~safegeo.roadplan.apply_to_network`)
    candidate_set: Any = field(default=None, repr=False)

    # -- report ---------------------------------------------------------------------------------
    def report_lines(self) -> list[str]:
        """A short plain-text report (for the CLI and notebooks)."""
        s = self.settings
        c = self.candidates
        lines = [f"Candidates: {len(c)} ({s.get('candidates')}; "
                 + ", ".join(f"{k} {int((c['kind'] == k).sum())}" for k in ("new_link", "bridge", "upgrade",
                                                                            "floodproof") if (c["kind"] == k).any())
                 + f"), measured in {s.get('evaluate_seconds', 0.0):.1f} s"]
        good = c[c["benefit"] > 0]
        lines.append(f"With a benefit: {len(good)}; hazards {', '.join(s.get('hazards', [])) or 'none'}")
        for _, r in good.head(5).iterrows():
            extra = f", reconnects {r['people_reconnected']:,.0f}" if r["people_reconnected"] > 0 else ""
            lines.append(f"  #{r['rank']:<3} {r['candidate_id']:<10} {r['kind']:<10} saves "
                         f"{r['benefit_people_min']:>12,.0f} person-min{extra}  cost {r['cost']:,.1f}")
        v = self.verification
        if len(v):
            ok = int(v["matches"].sum())
            lines.append(f"Full recomputation of the best {len(v)}: {ok} of {len(v)} match the fast measure")
        p = self.portfolio
        chk = s.get("portfolio_check") or {}
        if len(p):
            lines.append(f"Portfolio within {s.get('budget'):,g}: {len(p)} projects, cost {chk.get('cost', 0):,.1f}, "
                         f"saves {chk.get('benefit_people_min', 0):,.0f} person-min "
                         f"(full recomputation {chk.get('full_benefit_people_min', 0):,.0f}); with shelter "
                         f"capacities {chk.get('capacity_served_gain', 0):+,.0f} people served")
        elif s.get("budget") is not None:
            lines.append(f"Portfolio within {s.get('budget'):,g}: no project fits the budget with a benefit")
        return lines

    # -- output ---------------------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """The candidates for a spreadsheet: no geometry, the midpoint's lon/lat, best first."""
        c = self.candidates
        mid = gpd.GeoSeries(shapely.line_interpolate_point(c.geometry.to_numpy(), 0.5, normalized=True),
                            crs=c.crs).to_crs(4326) if len(c) else gpd.GeoSeries([], crs=c.crs)
        df = pd.DataFrame(c.drop(columns=c.geometry.name))
        df["mid_lon"] = np.round(mid.x.to_numpy(), 6) if len(c) else []
        df["mid_lat"] = np.round(mid.y.to_numpy(), 6) if len(c) else []
        return df[[col for col in CSV_COLUMNS if col in df.columns]]

    def layers(self) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
        """The GeoPackage layers, by name."""
        cand = self.candidates.copy()
        if "portfolio_order" in cand.columns:
            cand["portfolio_order"] = cand["portfolio_order"].astype(float)
        return {"candidates": cand, "routes": self.routes, "villages": self.villages,
                "portfolio": self.portfolio, "portfolio_villages": self.village_gain, "response": self.response,
                "verification": self.verification, "summary": self.summary}

    def map(self, *, lang: str = "en", public: bool = False, tiles: bool = True, title: str | None = None,
            back_href: str | None = None, charts: bool = True):
        """The road-plan map (:class:`~safegeo.maps.SafegeoMap`).

        Candidates coloured by the person-minutes they save (those that save
        nothing in a layer of their own, off at first), the chosen portfolio
        drawn wide under them, the routes before and after of the villages that
        gain most, and those villages with their travel times.  It opens on the
        candidates with a benefit; with *charts*, :func:`road_plan_charts` sit
        beside it; *back_href* links back to an index page.
        """
        from safegeo.maps import SafegeoMap

        m = SafegeoMap(title=title or t("road_plan_title", lang), lang=lang,
                       bounds=["chosen_projects", "road_candidates"], public=public, synthetic=self.synthetic,
                       tiles=tiles, back_href=back_href)
        if charts:
            for chart in road_plan_charts(self, lang=lang):
                m.add_chart(chart)
        if self.districts is not None and len(self.districts):
            d = self.districts
            m.add_polygons(d, name="districts", color="#555555", fill_opacity=0.03,
                           tooltip=[c for c in ("name_en", "name_th") if c in d.columns])
        if len(self.hazard_areas):
            m.add_polygons(self.hazard_areas, name="hazards", color="#3366cc", fill_color="#3366cc",
                           fill_opacity=0.3, tooltip=["hazard", "kind", "severity"])
        c = self.candidates.copy()
        c["kind_label"] = [t(k, lang) for k in c["kind"]]
        pop = ["candidate_id", "name", "kind_label", "rank", "rank_per_cost", "cost", "cost_estimated",
               "benefit_people_min", "people_min_saved", "people_faster", "villages_faster",
               "people_reconnected", "people_newly_within_max", "response_people_min", "response_max_gain_min",
               "benefit_per_cost", "length_m", "chosen"]
        pop = [p for p in pop if p in c.columns]
        tip = ["candidate_id", "kind_label", "benefit_people_min", "cost", "rank"]
        chosen = c[c["chosen"]] if "chosen" in c.columns else c.iloc[:0]
        if len(chosen):
            m.add_lines(chosen, name="chosen_projects", color_column="kind", categories=KIND_COLOURS, weight=9,
                        opacity=0.55, tooltip=tip, popup=pop, legend_title="kind")
        good = c[c["benefit_people_min"] > 0]
        if len(good):
            m.add_lines(good, name="road_candidates", color_column="benefit_people_min", cmap="YlOrRd", weight=4,
                        tooltip=tip, popup=pop, legend_title="benefit_people_min")
        rest = c[~(c["benefit_people_min"] > 0)]
        if len(rest):
            m.add_lines(rest, name="candidates_no_benefit", color="#9e9e9e", weight=2, tooltip=tip, popup=pop,
                        show=False)
        if len(self.routes):
            r = self.routes.copy()
            r["when_label"] = [t(w, lang) for w in r["when"]]
            m.add_lines(r, name="routes_before_after", color_column="when", categories=ROUTE_COLOURS, weight=3,
                        tooltip=["candidate_id", "origin_id", "when_label", "travel_time_min", "population"],
                        legend_title="when")
        if len(self.villages):
            v = self.villages.sort_values("gain_min", ascending=False, kind="stable").drop_duplicates("origin_id")
            cols = [col for col in ("origin_id", "name_en", "name_th", "population", "candidate_id",
                                    "minutes_before", "minutes_after", "gain_min") if col in v.columns]
            m.add_points(v, name="villages_gain", color_column="gain_min", cmap="viridis", radius=5,
                         tooltip=cols[:2] + ["minutes_before", "minutes_after"], popup=cols, show=False)
        return m

    def write(self, out_dir: str | Path, *, lang: str = "en", public: bool = False, tiles: bool = True,
              title: str | None = None, back_href: str | None = None) -> list[Path]:
        """Write ``road_plan.html``, ``road_plan.gpkg`` and ``road_plan.csv`` into *out_dir*, as one set.

        With *public*, every file goes through the public filter
        (:func:`safegeo.privacy.public_frame`).

        Returns
        -------
        list of Path
            The map first, then the GeoPackage and the CSV.
        """
        from safegeo.output import write_analysis

        return write_analysis(
            out_dir, what="road plan", html="road_plan.html", gpkg="road_plan.gpkg", public=public,
            page=lambda: self.map(lang=lang, public=public, tiles=tiles, title=title, back_href=back_href),
            layers=self.layers(), geometry_types=GPKG_GEOMETRY_TYPES, tables={"road_plan.csv": self.table()})


def road_plan_charts(result: RoadPlanResult, *, lang: str = "en", top: int = 12, width: int = 440) -> list:
    """Charts of a road plan, for beside its map or a report.

    1. The best candidates: person-minutes of evacuation saved, coloured by kind (bars).
    2. Travel time before and after, for the villages on the routes drawn
       (those that gain most from the best candidates; grouped bars).
    3. What the chosen portfolio saves per district, person-minutes (bars; a
       note when no budget was given or nothing fits it).

    Parameters
    ----------
    result : RoadPlanResult
    lang : {"en", "th"}
        Language of the labels.
    top : int
        Bars in charts 1 and 2.
    width : int
        Width in pixels.

    Returns
    -------
    list of Chart

    Examples
    --------
    >>> charts = road_plan_charts(plan, lang="th")                          # doctest: +SKIP
    """
    from safegeo.maps.charts import bar_chart, grouped_bar_chart, message_chart

    charts = []
    c = result.candidates
    good = c[c["benefit_people_min"] > 0].head(top)
    if len(good):
        labels = [f"{cid} {t(k, lang)}" for cid, k in zip(good["candidate_id"], good["kind"], strict=True)]
        colours = {lab: KIND_COLOURS.get(k, "#555555") for lab, k in zip(labels, good["kind"], strict=True)}
        charts.append(bar_chart(pd.Series(good["benefit_people_min"].to_numpy(float), index=labels),
                                title="road_plan_top", value_label="benefit_people_min", lang=lang, color=colours,
                                width=width))
    else:
        charts.append(message_chart(title="road_plan_top", lang=lang, width=width))
    r = result.routes
    if len(r):
        wide = pd.DataFrame(r.drop(columns=r.geometry.name)).pivot_table(
            index=["candidate_id", "origin_id"], columns="when", values="travel_time_min", aggfunc="first",
            sort=False).reindex(columns=["before", "after"])
        wide = wide.head(top).reset_index()
        names = {}
        v = result.villages
        if len(v):
            first = pd.DataFrame(v.drop(columns=v.geometry.name)).drop_duplicates("origin_id").set_index("origin_id")
            order = ["name_th", "name_en"] if lang == "th" else ["name_en", "name_th"]
            for col in [o for o in order if o in first.columns][::-1]:
                names.update({k: str(x) for k, x in first[col].items() if isinstance(x, str) and x.strip()})
        wide["label"] = [f"{names.get(o, o)} ({cid})" for cid, o in zip(wide["candidate_id"], wide["origin_id"],
                                                                         strict=True)]
        charts.append(grouped_bar_chart(wide, columns=["before", "after"], label_column="label",
                                        title="road_plan_routes", value_label="travel_time_min", lang=lang,
                                        colors=ROUTE_COLOURS, width=width,
                                        series_labels={"before": t("before", lang), "after": t("after", lang)}))
    else:
        charts.append(message_chart(title="road_plan_routes", lang=lang, width=width))
    s = result.summary
    per = s[(s["level"] == "district") & (s["people_min_saved"] > 0)] if len(result.portfolio) else s.iloc[:0]
    if len(per):
        from safegeo.maps.charts import _area_labels

        charts.append(bar_chart(pd.Series(per["people_min_saved"].to_numpy(float), index=_area_labels(per, lang)),
                                title="road_plan_by_district", value_label="people_min_saved", lang=lang,
                                color=KIND_COLOURS["new_link"], width=width))
    else:
        charts.append(message_chart(title="road_plan_by_district", lang=lang, width=width,
                                    message=t("road_plan_no_portfolio", lang)))
    return charts
