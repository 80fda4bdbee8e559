"""The scorecard result: tables, report lines, the map with its table and charts, and the files."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from safegeo.scorecard.score import Indicator

if TYPE_CHECKING:
    from safegeo.areas import AreaIndex
    from safegeo.maps import SafegeoMap
    from safegeo.maps.charts import Chart

log = logging.getLogger(__name__)

#: Declared geometry types of ``scorecard.gpkg``.
GPKG_GEOMETRY_TYPES = {"tambons": "MultiPolygon", "villages": "Point"}
#: Colours of the score (0 = fine, 10 = needs help first).
SCORE_CMAP = "YlOrRd"


@dataclass
class ScorecardResult:
    """What :func:`safegeo.scorecard.scorecard` built.

    Attributes
    ----------
    tambons
        One row per tambon (``level = "tambon"``, ``area_id`` = ``tambon_id``,
        names, ``district_id``, district names, ``population`` of its
        villages): the indicators copied from each analysis's summary
        (``evac_*``, ``lit_pct`` / ``seen_pct`` / ``sos_pct`` and gap km,
        ``<vehicle type>_median_min`` / ``_p90_min`` / ``_target_min``,
        ``exposed_population``, ``repeat_area``, ``is_border``), the derived
        shares ``evac_overflow_share`` and ``exposed_share``, the normalised
        indicators ``n_*`` (0-10), ``cat_*``, ``dim_*``, ``score``,
        ``rank_in_district``, ``rank_in_province`` and ``action_1`` ...
        (``action_1_th`` ...).
    villages
        The same per village (its own evacuation, response and exposure
        figures; its tambon's coverage, border and repeat-disaster values),
        with ``cut_off_road`` and point geometry.
    actions
        Candidate actions per tambon (:func:`safegeo.scorecard.actions.tambon_actions`).
    indicators
        The indicators that counted.
    settings
        The ``[scorecard]`` settings used.
    """

    tambons: pd.DataFrame
    villages: gpd.GeoDataFrame
    actions: pd.DataFrame
    indicators: list[Indicator]
    settings: dict[str, Any]
    hazard: str = "none"
    study_name: str = ""
    synthetic: bool = False
    notes: list[str] = field(default_factory=list)
    areas: AreaIndex | None = field(default=None, repr=False)
    tambon_polygons: gpd.GeoDataFrame | None = field(default=None, repr=False)
    district_polygons: gpd.GeoDataFrame | None = field(default=None, repr=False)
    evacuation: Any = field(default=None, repr=False)
    coverage: Any = field(default=None, repr=False)
    response: Any = field(default=None, repr=False)
    exposure: Any = field(default=None, repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        """The tambon rows in the shared summary shape (``level``, ``area_id``, names first)."""
        return self.tambons

    def report_lines(self) -> list[str]:
        """A few lines: how many tambons, the method, the five that need help first and their first action."""
        t = self.tambons
        dims = [c.removeprefix("dim_") for c in t.columns if c.startswith("dim_")]
        lines = [f"scorecard of {len(t)} tambons and {len(self.villages)} villages (hazard: {self.hazard}); "
                 f"{len(self.indicators)} indicators in {len(dims)} dimensions ({', '.join(dims)}), "
                 f"{self.settings['between_dimensions']} mean between dimensions"]
        top = t.sort_values("score", ascending=False, kind="stable").head(5)
        for _, r in top.iterrows():
            name = r.get("name_en") if isinstance(r.get("name_en"), str) else r["area_id"]
            act = f"; first: {r['action_1']}" if r.get("action_1") else ""
            lines.append(f"  #{r['rank_in_province']} {name} ({r['district_id']}): score {r['score']:.2f}{act}")
        return lines + [f"note: {n}" for n in self.notes]

    # -- output -----------------------------------------------------------------------------
    def tambon_frame(self) -> gpd.GeoDataFrame:
        """The tambon rows with their polygons (study CRS)."""
        polys = self.tambon_polygons
        geo = polys.drop_duplicates("tambon_id").set_index("tambon_id").geometry
        return gpd.GeoDataFrame(self.tambons.copy(), geometry=geo.reindex(self.tambons["area_id"]).to_numpy(),
                                crs=polys.crs)

    def layers(self) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
        """The GeoPackage layers: ``tambons`` (polygons), ``villages`` (points), ``actions`` (table)."""
        return {"tambons": self.tambon_frame(), "villages": self.villages, "actions": self.actions}

    def table_columns(self, lang: str = "en") -> list[str]:
        """Columns of the tambon table in the page and the district report."""
        name = "name_th" if lang == "th" else "name_en"
        dname = "district_name_th" if lang == "th" else "district_name_en"
        cols = [name, dname if dname in self.tambons.columns else "district_id", "population", "score",
                "rank_in_district", "rank_in_province"]
        cols += [c for c in self.tambons.columns if c.startswith("dim_")]
        cols += [i.column for i in self.indicators]
        cols += [c + ("_th" if lang == "th" else "") for c in ("action_1", "action_2", "action_3")]
        return [c for c in dict.fromkeys(cols) if c in self.tambons.columns]

    def percent_columns(self) -> list[str]:
        return [c for c in self.tambons.columns if "share" in c]

    def charts(self, *, lang: str = "en", district: str | None = None, width: int = 440) -> list[Chart]:
        """Indicator bars per tambon: the dimension scores and score, then the main indicators (worst first)."""
        from safegeo.maps.charts import indicator_chart

        t = self.tambons if district is None else self.tambons[self.tambons["district_id"] == district]
        name = "name_th" if lang == "th" else "name_en"
        t = t.assign(label=t[name].where(t[name].notna(), t["area_id"]) if name in t.columns else t["area_id"])
        dims = [c for c in t.columns if c.startswith("dim_")] + ["score"]
        charts = [indicator_chart(t, columns=dims, title="scorecard_dimensions", label_column="label", lang=lang,
                                  max_values=dict.fromkeys(dims, 10.0), sort="score", width=width)]
        main = [c for c in ("evac_share_within_30min", "evac_share_cut_off_by_one_road", "lit_pct", "sos_pct",
                            "ambulance_median_min", "exposed_share") if c in t.columns and t[c].notna().any()]
        if main:
            shares = [c for c in main if "share" in c]
            tt = t.copy()
            for c in shares:  # shares drawn as percentages
                tt[c] = 100.0 * tt[c]
            charts.append(indicator_chart(tt, columns=main, title="scorecard_indicators", label_column="label",
                                          lang=lang, percent=shares, max_values=dict.fromkeys(shares, 100.0),
                                          sort="score" if "score" in tt.columns else False, width=width))
        return charts

    def map(self, *, lang: str = "en", public: bool = False, tiles: bool = True, title: str | None = None,
            back_href: str | None = None, charts: bool = True, district: str | None = None) -> SafegeoMap:
        """Choropleth of the score per tambon, villages by score, the sortable table and the charts."""
        from safegeo._i18n import t
        from safegeo.maps import SafegeoMap
        from safegeo.maps.table import Table

        tam = self.tambon_frame()
        vil = self.villages
        if district is not None:
            tam = tam[tam["district_id"] == district]
            vil = vil[vil["district_id"] == district]
        m = SafegeoMap(title=title or (f"{self.study_name}: " if self.study_name else "") + t("scorecard_title", lang),
                       lang=lang, public=public, synthetic=self.synthetic, tiles=tiles, back_href=back_href,
                       bounds=tam if len(tam) else None)
        name = "name_th" if lang == "th" else "name_en"
        names = [c for c in (name, "area_id") if c in tam.columns]
        cols = self.table_columns(lang)
        m.add_table(Table(pd.DataFrame(tam.drop(columns="geometry")).sort_values("score", ascending=False),
                          columns=cols, title="scorecard", percent=self.percent_columns()))
        if charts:
            for chart in self.charts(lang=lang, district=district):
                m.add_chart(chart)
        if len(tam):
            m.add_polygons(tam, name="scorecard", fill_column="score", cmap=SCORE_CMAP, vmin=0, vmax=10,
                           fill_opacity=0.6, weight=0.8, color="#555555", tooltip=[*names[:1], "score",
                                                                                   "rank_in_district"],
                           popup=[c for c in cols if not c.endswith("_th") or lang == "th"] + ["area_id"],
                           legend_title="score")
        if len(vil):
            vcols = [c for c in (name, "area_id", "population", "score", "rank_in_province",
                                 "evac_share_within_30min", "evac_cut_off_by_one_road", "ambulance_median_min")
                     if c in vil.columns]
            m.add_points(vil, name="scorecard_villages", color_column="score", cmap=SCORE_CMAP, vmin=0, vmax=10,
                         radius=4, tooltip=vcols[:4], popup=vcols, show=False, legend_title="score")
        return m

    def write(self, out_dir: str | Path, *, lang: str = "en", public: bool = False, tiles: bool = True,
              title: str | None = None, back_href: str | None = None) -> list[Path]:
        """Write ``scorecard.html``, ``scorecard.gpkg`` and ``scorecard.csv`` (Excel-ready) as one set.

        The CSV holds the tambon rows, then the village rows (``level``
        says which); UTF-8 with a byte-order mark so Excel shows Thai.

        Returns
        -------
        list of Path
            The map first, then the GeoPackage and the CSV.
        """
        from safegeo.output import write_analysis

        rows = pd.concat([self.tambons, pd.DataFrame(self.villages.drop(columns="geometry"))], ignore_index=True)
        return write_analysis(
            out_dir, what="scorecard", html="scorecard.html", gpkg="scorecard.gpkg", public=public,
            page=lambda: self.map(lang=lang, public=public, tiles=tiles, title=title, back_href=back_href),
            layers=self.layers(), geometry_types=GPKG_GEOMETRY_TYPES, tables={"scorecard.csv": rows})

