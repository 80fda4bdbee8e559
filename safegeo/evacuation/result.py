"""The evacuation result: tables, report, map and files."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo.hazards import HazardEdges
from safegeo.network import RoadNetwork

log = logging.getLogger(__name__)



#: Values of ``assignments.status``.
STATUSES = ("assigned", "beyond_max_time", "overflow", "unreachable")
#: Values of ``unreachable.reason``.
UNREACHABLE_REASONS = ("off_network", "isolated_by_hazard", "no_path", "no_eligible_shelter")
#: Map colour of unreachable origins (distinct from every shelter load colour).
UNREACHABLE_COLOUR = "#7b1fa2"
#: Thresholds (minutes) of the summary's "share within" columns.
SUMMARY_MINUTES = (15, 30, 60)



@dataclass
class EvacuationResult:
    """Everything one evacuation run found; every table is a (Geo)DataFrame in the study CRS.

    Attributes
    ----------
    assignments
        One row per origin and shelter share: ``origin_id``, ``shelter_id``
        (None for overflow / unreachable), ``population``, ``travel_time_s``,
        ``distance_m`` (NaN when there is no route), ``status`` (one of
        :data:`STATUSES`), ``reason``, ``is_nearest``, ``district_id``,
        ``cut_off_road`` (the ``edge`` of the critical road whose loss alone
        would cut the origin off from every shelter, the one cutting off most
        people when several do; empty when no single road does); origin points.
    routes
        One LineString per assigned share: ``origin_id``, ``shelter_id``,
        ``population``, ``travel_time_s``, ``travel_time_min``, ``distance_m``.
    unreachable
        Origins with no open path to any eligible shelter, with ``reason``.
    critical_roads
        Road segments ranked by the population at stake: ``isolated_population``
        (people cut off from every shelter if the segment is lost; bridges),
        ``evacuee_load`` (people routed over it), ``is_bridge``, ``rank``.
    edge_load
        Directed road edges carrying evacuees: ``load_people``.
    shelters
        Every shelter with ``eligible``, ``excluded_reason``, ``capacity``,
        ``assigned``, ``utilisation`` (assigned / capacity), ``over_capacity``.
    summary
        Per district (and tambon when the study has them): population, people
        and share within 15 / 30 / 60 min, overflow, unreachable, people cut
        off by one road's loss (``cut_off_by_one_road``: their every way to a
        shelter crosses one road whose loss alone strands them) and its share,
        most-loaded shelter.
    comparison
        Greedy nearest-shelter assignment against the capacity-aware optimum
        (people served, overflow, total person-hours, mean minutes).
    hazard_edges
        Per-edge hazard effect (:class:`~safegeo.hazards.HazardEdges`).
    hazard_areas
        Hazard footprints (rasters polygonised) for maps.
    settings
        The options used.
    """

    assignments: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    unreachable: gpd.GeoDataFrame
    critical_roads: gpd.GeoDataFrame
    edge_load: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    hazard_edges: HazardEdges
    hazard_areas: gpd.GeoDataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    districts: gpd.GeoDataFrame | None = None
    synthetic: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    network: RoadNetwork | None = field(default=None, repr=False)  # the network with origins and shelters attached
    # the run's routing inputs (origin nodes, eligible shelter nodes, edge costs) for analyses built on it (roadplan)
    routing: dict[str, Any] | None = field(default=None, repr=False)

    # -- quick facts ----------------------------------------------------------------------------
    @property
    def population(self) -> float:
        return float(self.assignments["population"].sum())

    @property
    def problem(self) -> str | None:
        """Why the plan is empty, when the data explains it (nobody at risk, no usable shelter, all cut off); else None."""
        a = self.assignments
        if len(a) == 0:
            within = self.settings.get("at_risk_within_m")
            if within is not None:
                return (f"no origin lies within {within:g} m of the hazard ({', '.join(self.settings.get('hazards', []))})"
                        "; nobody needs to evacuate in this scenario")
            return "there is no origin to evacuate (the origin layer is empty)"
        moving = a["status"].isin(("assigned", "beyond_max_time", "overflow")) & (a["population"] > 0)
        if moving.any() or self.population == 0:
            return None
        sh = self.shelters
        if not sh["eligible"].any():
            counts = sh["excluded_reason"].value_counts()
            why = "; ".join(f"{k} ({v})" for k, v in counts.head(4).items())
            return f"no shelter can be used: all {len(sh)} are excluded ({why})"
        reasons = a.loc[a["status"] == "unreachable", "reason"].value_counts()
        if reasons.index[0] == "off_network" and len(reasons) == 1:
            return (f"every origin is farther than {self.settings.get('max_snap_m', 0):g} m from a road of the "
                    f"{self.settings.get('mode', 'drive')} network")
        if "isolated_by_hazard" in reasons.index:
            return (f"nobody can reach a shelter: {self.hazard_edges.summary()} by "
                    f"{', '.join(self.settings.get('hazards', []))}, which cuts every origin off")
        return "nobody can reach a usable shelter by road"

    def people(self, status: str) -> float:
        """People with *status* (one of :data:`STATUSES`)."""
        a = self.assignments
        return float(a.loc[a["status"] == status, "population"].sum())

    def report_lines(self) -> list[str]:
        """A short plain-text report (for the CLI and notebooks)."""
        s = self.settings
        sh = self.shelters
        n_elig = int(sh["eligible"].sum())
        counts = sh.loc[~sh["eligible"], "excluded_reason"].value_counts()
        excluded = " | ".join(f"{k} ({v})" for k, v in counts.items())
        lines = [
            f"Hazards: {', '.join(s.get('hazards', [])) or 'none'}; {self.hazard_edges.summary()}",
            f"Shelters: {n_elig} of {len(sh)} eligible" + (f" ({len(sh) - n_elig} excluded: {excluded})" if excluded else ""),
            (f"People: {self.population:,.0f}; assigned {self.people('assigned'):,.0f}, "
            f"beyond {s.get('max_minutes')} min {self.people('beyond_max_time'):,.0f}, "
            f"overflow {self.people('overflow'):,.0f}, unreachable {self.people('unreachable'):,.0f}"),
        ]
        a = self.assignments
        if "hazard_exit_m" in a.columns:
            wade = (a["status"] == "assigned") & (a["hazard_exit_m"] > 0)
            if wade.any():
                lines.append(f"Leaving a closed area first (on foot or by boat): {a.loc[wade, 'population'].sum():,.0f} "
                             f"people, median {a.loc[wade, 'hazard_exit_m'].median():,.0f} m through the hazard")
        over = sh["over_capacity"].to_numpy(float)
        if (over > 0).any():
            lines.append(f"Shelters over capacity: {int((over > 0).sum())} ({over.sum():,.0f} people above capacity: "
                         "this plan ignores capacities; plan with capacity on to respect them)")
        for _, r in self.comparison.iterrows():
            lines.append(f"  {r['method']:<16} served {r['people_served']:>10,.0f}  overflow {r['overflow']:>9,.0f}"
                         f"  mean {r['mean_minutes']:6.1f} min  total {r['person_hours']:,.0f} person-hours")
        if len(self.critical_roads):
            top = self.critical_roads.iloc[0]
            name = top.get("name")
            if isinstance(name, str) and name:
                label = name
            else:
                hw = top.get("highway")
                rid = top.get("road_id")
                label = (f"unnamed {hw if isinstance(hw, str) and hw else 'road'}"
                         + (f" (road_id {rid})" if rid is not None and not pd.isna(rid) else f" (edge {top['edge']})"))
            lines.append(f"Most critical road: {label} "
                         f"(isolates {top['isolated_population']:,.0f}, carries {top['evacuee_load']:,.0f})")
        return lines

    # -- output ---------------------------------------------------------------------------------
    def layers(self) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
        """The GeoPackage layers, by name."""
        return {
            "assignments": self.assignments,
            "routes": self.routes,
            "unreachable": self.unreachable,
            "critical_roads": self.critical_roads,
            "edge_load": self.edge_load,
            "shelters": self.shelters,
        }

    def map(self, *, lang: str = "en", public: bool = False, tiles: bool = True, title: str | None = None,
            back_href: str | None = None, charts: bool = True):
        """The evacuation map (:class:`~safegeo.maps.SafegeoMap`).

        Routes coloured by travel time, shelters sized by load against
        capacity, the hazard footprint, unreachable origins, critical roads,
        and districts with their summary in popups; it opens on the hazard,
        the routes and the people cut off.  With *charts*, the charts of
        :func:`safegeo.maps.charts.evacuation_charts` sit beside the map;
        *back_href* links the title box back to an overview page.
        """
        from safegeo.maps import SafegeoMap
        from safegeo.maps.charts import evacuation_charts

        m = SafegeoMap(title=title or "Evacuation", lang=lang, bounds=["hazards", "routes", "unreachable"],
                       public=public, synthetic=self.synthetic, tiles=tiles, back_href=back_href)
        if charts:
            for chart in evacuation_charts(self, lang=lang):
                m.add_chart(chart)
        if self.districts is not None and len(self.districts):
            d = self.districts
            summ = self.summary[self.summary["level"] == "district"]
            cols = ["population", "share_within_15min", "share_within_30min", "share_within_60min", "overflow",
                    "unreachable", "most_loaded_shelter", "most_loaded_utilisation"]
            d = d.merge(summ[["area_id", *cols]], left_on="district_id", right_on="area_id", how="left")
            names = [c for c in ("name_en", "name_th") if c in d.columns]
            m.add_polygons(d, name="districts", fill_column="share_within_30min", cmap="RdYlGn", vmin=0, vmax=1,
                           tooltip=[*names[:1], "share_within_30min"], popup=[*names, *cols])
        if len(self.hazard_areas):
            m.add_polygons(self.hazard_areas, name="hazards", color="#3366cc", fill_color="#3366cc",
                           fill_opacity=0.35, tooltip=["hazard", "kind", "severity"])
        closed = self.settings.get("_closed_edges")
        if closed is not None and len(closed):
            m.add_lines(closed, name="closed_roads", color="#555555", weight=2, tooltip=["reason"])
        if len(self.routes):
            m.add_lines(self.routes, name="routes", color_column="travel_time_min", cmap="YlOrRd", weight=3,
                        tooltip=["origin_id", "shelter_id", "population", "travel_time_min", "distance_m"])
        if len(self.critical_roads):
            m.add_lines(self.critical_roads, name="critical_roads", color="#000000", weight=6,
                        tooltip=["name", "isolated_population", "evacuee_load", "rank"])
        sh = self.shelters.copy()
        sh["load_pct"] = np.round(100 * sh["utilisation"].astype(float), 0)
        sh["load_class"] = np.select(
            [~sh["eligible"], sh["over_capacity"] > 0, sh["utilisation"] >= 0.9, sh["assigned"] > 0],
            ["excluded", "over_capacity", "nearly_full", "in_use"], "unused")
        # size by load against capacity on a fixed scale (empty 4 px, full ~12 px, 150 % and more 14 px): the
        # map scales a radius column between its own min and max, so hand it (r - r_min)^2 and that range
        want = 4.0 + 10.0 * np.sqrt(np.clip(np.nan_to_num(sh["utilisation"].to_numpy(float), posinf=1.5), 0.0, 1.5)
                                    / 1.5)
        r_lo, r_hi = (float(want.min()), float(want.max())) if len(want) else (4.0, 4.0)
        sh["radius_load"] = (want - r_lo) ** 2
        names = [c for c in ("name_en", "name_th") if c in sh.columns]
        m.add_points(sh, name="shelters", color_column="load_class", radius_column="radius_load",
                     radius_range=(r_lo, r_hi),
                     categories={"unused": "#9e9e9e", "in_use": "#2ca02c", "nearly_full": "#ff7f0e",
                                 "over_capacity": "#d62728", "excluded": "#000000"},
                     tooltip=[*names[:1], "shelter_id", "assigned", "capacity", "load_pct"],
                     popup=[*names, "shelter_id", "kind", "capacity", "assigned", "load_pct", "excluded_reason"])
        if len(self.unreachable):
            # purple: red already means "over capacity" among the shelters
            m.add_points(self.unreachable, name="unreachable", color=UNREACHABLE_COLOUR, radius=8,
                         tooltip=["origin_id", "population", "reason"])
        return m

    def write(self, out_dir: str | Path, *, lang: str = "en", public: bool = False, tiles: bool = True,
              title: str | None = None, back_href: str | None = None) -> list[Path]:
        """Write ``evacuation.html``, ``evacuation.gpkg`` and ``summary.csv`` into *out_dir*, as one set.

        The files are written into a staging folder and put in place together
        (:mod:`safegeo.output`): a failed run leaves the previous set as it was.

        With *public*, every file goes through the public filter
        (:func:`safegeo.privacy.public_frame`): contact, personal and
        free-text columns carried over from the input layers are left out and
        phone numbers, e-mail addresses and LINE ids in other text are removed.

        Returns
        -------
        list of Path
            The map first, then the GeoPackage and the CSV.
        """
        from safegeo.output import write_analysis

        return write_analysis(
            out_dir, what="evacuation", html="evacuation.html", gpkg="evacuation.gpkg", public=public,
            page=lambda: self.map(lang=lang, public=public, tiles=tiles, title=title, back_href=back_href),
            layers=self.layers(), geometry_types=GPKG_GEOMETRY_TYPES, tables={"summary.csv": self.summary})



#: Declared geometry type of each GeoPackage layer (so an empty layer is still typed for QGIS).
GPKG_GEOMETRY_TYPES = {"assignments": "Point", "routes": "LineString", "unreachable": "Point",
                       "critical_roads": "LineString", "edge_load": "LineString", "shelters": "Point"}

