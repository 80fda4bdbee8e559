"""What many scenarios say together: probabilities per village and tambon, the roads and shelters that matter."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo.areas import AreaIndex
from safegeo.ensemble.run import BEYOND, CUT_OFF, OFF_NETWORK, OVERFLOW, Outcome, Payload
from safegeo.ensemble.scenarios import Scenario

log = logging.getLogger(__name__)

#: Geometry type of each spatial layer of ``ensemble.gpkg``.
GPKG_GEOMETRY_TYPES = {"villages": "Point", "roads": "LineString", "shelters": "Point"}


@dataclass
class EnsembleResult:
    """The scenarios' outcomes and what they say together.

    Attributes
    ----------
    scenarios
        One row per scenario: ``scenario``, ``group``, ``ok``, ``error``,
        ``people_cut_off``, ``people_overflow``, ``mean_minutes``, ``seconds``.
    villages
        Per village (points): ``p_cut_off``, ``p_overflow``, ``p_beyond``,
        travel time percentiles ``p50_min``, ``p90_min``, ``max_min`` over the
        scenarios where its people reach a shelter, ``scenarios``.
    summary
        Per district / tambon / study (the shared summary shape): people,
        expected people cut off and in overflow, ``p_cut_off`` (share of the
        people), villages cut off in any scenario, and ``p10_min``,
        ``p50_min``, ``p90_min``: percentiles of the villages' travel times
        over every scenario, weighted by population.
    roads
        Roads whose loss cuts people off in some scenario: ``scenarios``
        (how many), ``p_critical``, ``expected_isolated`` (people, averaged
        over all scenarios), ``max_isolated``, ranked.
    shelters
        Per shelter: ``mean_load``, ``p_full`` (share of scenarios at or
        over capacity), ``max_load``.
    outcomes
        The raw per-scenario outcomes.
    """

    scenarios: pd.DataFrame
    villages: gpd.GeoDataFrame
    summary: pd.DataFrame
    roads: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    outcomes: list[Outcome] = field(default_factory=list, repr=False)
    synthetic: bool = False

    @property
    def failed(self) -> pd.DataFrame:
        return self.scenarios[~self.scenarios["ok"]]

    def report_lines(self) -> list[str]:
        s = self.scenarios
        ok = s[s["ok"]]
        lines = [f"{len(s)} scenario(s): {len(ok)} ran, {len(s) - len(ok)} failed"]
        for row in self.failed.head(5).itertuples():
            lines.append(f"  failed: {row.scenario}: {row.error}")
        if len(ok):
            lines.append(f"People cut off: mean {ok['people_cut_off'].mean():,.0f}, worst {ok['people_cut_off'].max():,.0f}"
                         f" ({ok.loc[ok['people_cut_off'].idxmax(), 'scenario']})")
            lines.append(f"People without a place in time: mean {ok['people_overflow'].mean():,.0f}, "
                         f"worst {ok['people_overflow'].max():,.0f}")
        if len(self.roads):
            top = self.roads.iloc[0]
            name = top.get("name") if isinstance(top.get("name"), str) and top.get("name") else f"edge {top['edge']}"
            lines.append(f"Road that matters most: {name} (cuts off {top['expected_isolated']:,.0f} people on "
                         f"average, in {top['scenarios']} scenario(s))")
        return lines

    def layers(self) -> dict:
        return {"villages": self.villages, "roads": self.roads, "shelters": self.shelters,
                "scenarios": self.scenarios, "summary": self.summary}

    def map(self, *, lang: str = "en", public: bool = False, tiles: bool = True, title: str | None = None,
            back_href: str | None = None, charts: bool = True):
        """Villages by probability of being cut off, the roads that matter, shelters by chance of filling up;
        the charts of :func:`ensemble_charts` beside them."""
        from safegeo._i18n import t
        from safegeo.maps import SafegeoMap

        m = SafegeoMap(title=title or t("ens_title", lang), lang=lang, public=public, synthetic=self.synthetic,
                       tiles=tiles, bounds=self.villages if len(self.villages) else None, back_href=back_href)
        if charts:
            for chart in ensemble_charts(self, lang=lang):
                m.add_chart(chart)
        if len(self.roads):
            m.add_lines(self.roads.head(200), name="roads_that_matter", color_column="expected_isolated",
                        cmap="YlOrRd", weight=5, tooltip=["name", "scenarios", "p_critical", "expected_isolated"])
        v = self.villages.assign(p_cut_off_pct=np.round(100 * self.villages["p_cut_off"], 1))
        m.add_points(v, name="villages", color_column="p_cut_off_pct", cmap="YlOrRd", vmin=0, vmax=100, radius=6,
                     tooltip=[c for c in ("village_id", "name_en", "population", "p_cut_off_pct", "p_overflow",
                                          "p50_min", "p90_min") if c in v.columns])
        m.add_points(self.shelters, name="shelters", color_column="p_full", cmap="Blues", vmin=0, vmax=1, radius=7,
                     tooltip=[c for c in ("shelter_id", "name_en", "capacity", "mean_load", "p_full")
                              if c in self.shelters.columns])
        return m

    def write(self, out_dir: str | Path, *, lang: str = "en", public: bool = False, tiles: bool = True,
              title: str | None = None, back_href: str | None = None) -> list[Path]:
        """``ensemble.gpkg``, ``ensemble.csv`` (per-area summary), ``scenarios.csv`` and ``ensemble.html`` (with its
        charts), as one set."""
        from safegeo.output import write_analysis

        return write_analysis(
            out_dir, what="ensemble", html="ensemble.html", gpkg="ensemble.gpkg", public=public,
            page=lambda: self.map(lang=lang, public=public, tiles=tiles, title=title, back_href=back_href),
            layers=self.layers(), geometry_types=GPKG_GEOMETRY_TYPES,
            tables={"ensemble.csv": self.summary, "scenarios.csv": self.scenarios})


def aggregate(payload: Payload, scenarios: Sequence[Scenario], outcomes: Sequence[Outcome], *,
              areas: AreaIndex | None = None, synthetic: bool = False) -> EnsembleResult:
    """What the outcomes say together (see :class:`EnsembleResult`)."""
    vill = payload.villages.reset_index(drop=True)
    pop = pd.to_numeric(vill["population"], errors="coerce").fillna(0.0).to_numpy(float)
    n = len(vill)
    ok = [o for o in outcomes if o.ok]
    k = len(ok)
    status = np.vstack([o.status for o in ok]) if k else np.zeros((0, n), np.int8)
    times = np.vstack([o.time_s for o in ok]) if k else np.zeros((0, n))
    overflow = np.vstack([o.overflow for o in ok]) if k else np.zeros((0, n))
    rows = []
    for sc, o in zip(scenarios, outcomes, strict=True):
        if o.ok:
            cut = pop[o.status == CUT_OFF].sum()
            with np.errstate(invalid="ignore"):
                fin = np.isfinite(o.time_s) & (pop > 0)
                mean_min = float(np.average(o.time_s[fin], weights=pop[fin]) / 60.0) if fin.any() and pop[fin].sum() \
                    else np.nan
            rows.append({"scenario": o.name, "group": sc.group, "ok": True, "error": "", "people_cut_off": cut,
                         "people_overflow": float(o.overflow.sum()), "mean_minutes": round(mean_min, 2),
                         "seconds": round(o.seconds, 3)})
        else:
            rows.append({"scenario": o.name, "group": sc.group, "ok": False, "error": o.error, "people_cut_off": np.nan,
                         "people_overflow": np.nan, "mean_minutes": np.nan, "seconds": round(o.seconds, 3)})
    table = pd.DataFrame(rows)
    v = vill.copy()
    if k:
        v["p_cut_off"] = np.round((status == CUT_OFF).mean(axis=0), 4)
        v["p_overflow"] = np.round((status == OVERFLOW).mean(axis=0), 4)
        v["p_beyond"] = np.round((status == BEYOND).mean(axis=0), 4)
        v["p_off_network"] = np.round((status == OFF_NETWORK).mean(axis=0), 4)
        import warnings

        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a village never reached: all-NaN column
            v["p50_min"] = np.round(np.nanpercentile(times, 50, axis=0) / 60.0, 2)
            v["p90_min"] = np.round(np.nanpercentile(times, 90, axis=0) / 60.0, 2)
            v["max_min"] = np.round(np.nanmax(times, axis=0) / 60.0, 2)
        v["expected_overflow"] = np.round(overflow.mean(axis=0), 2)
    else:
        for c in ("p_cut_off", "p_overflow", "p_beyond", "p_off_network", "p50_min", "p90_min", "max_min",
                  "expected_overflow"):
            v[c] = np.nan
    v["scenarios"] = k
    areas = areas or AreaIndex(payload.districts, payload.tambons)
    where = areas.locate(v.geometry)
    for c in where.columns:
        v[c] = where[c].to_numpy()
    p_cut = (status == CUT_OFF).mean(axis=0) if k else np.zeros(n)  # unrounded: expected people are sums of it
    per = pd.DataFrame({"population": pop, "expected_cut_off": pop * p_cut,
                        "expected_overflow": v["expected_overflow"].fillna(0.0).to_numpy(),
                        "villages_ever_cut_off": (p_cut > 0).astype(float)})
    for c in ("district_id", "tambon_id"):
        if c in where.columns:
            per[c] = where[c].to_numpy()
    summary = areas.summary(per, sums=["population", "expected_cut_off", "expected_overflow", "villages_ever_cut_off"],
                            shares={"p_cut_off": ("expected_cut_off", "population")})
    _add_time_percentiles(summary, times, pop, where)
    # roads: how often and how many people their loss cuts off
    base = payload.network
    if k:
        e = np.concatenate([o.critical_edges for o in ok]) if any(len(o.critical_edges) for o in ok) else \
            np.zeros(0, np.int64)
        p = np.concatenate([o.critical_people for o in ok]) if len(e) else np.zeros(0)
    else:
        e, p = np.zeros(0, np.int64), np.zeros(0)
    if len(e):
        g = pd.DataFrame({"edge": e, "people": p}).groupby("edge")["people"].agg(["size", "sum", "max"])
        g = g.sort_values(["sum", "size"], ascending=False)
        edges = g.index.to_numpy(np.int64)
        roads = gpd.GeoDataFrame({
            "edge": edges, "scenarios": g["size"].to_numpy(int), "p_critical": np.round(g["size"].to_numpy() / k, 4),
            "expected_isolated": np.round(g["sum"].to_numpy() / k, 2), "max_isolated": g["max"].to_numpy(float)},
            geometry=base.edge_geometries(edges), crs=base.crs)
        for c in ("name", "highway", "road_id", "bridge"):
            if c in base.edge_data.columns:
                roads[c] = base.edge_data[c].to_numpy()[edges]
        roads.insert(1, "rank", np.arange(1, len(roads) + 1))
    else:
        roads = gpd.GeoDataFrame({"edge": [], "rank": [], "scenarios": [], "p_critical": [], "expected_isolated": [],
                                  "max_isolated": []}, geometry=gpd.GeoSeries([], crs=base.crs), crs=base.crs)
    sh = payload.shelters.reset_index(drop=True).copy()
    cap = pd.to_numeric(sh["capacity"], errors="coerce").fillna(0.0).to_numpy(float)
    loads = np.vstack([o.shelter_load for o in ok]) if k else np.zeros((0, len(sh)))
    sh["mean_load"] = np.round(loads.mean(axis=0), 1) if k else np.nan
    sh["max_load"] = loads.max(axis=0) if k else np.nan
    sh["p_full"] = np.round(((loads >= cap - 1e-9) & (cap > 0)).mean(axis=0), 4) if k else np.nan
    return EnsembleResult(table, v, summary, roads, sh, list(outcomes), synthetic)


#: Travel-time percentiles of the per-area summary (column -> percentile).
TIME_PERCENTILES = {"p10_min": 10.0, "p50_min": 50.0, "p90_min": 90.0}


def weighted_percentiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Weighted percentiles: the smallest value whose cumulative weight reaches q % of the total (NaN: no weight).

    Examples
    --------
    >>> weighted_percentiles(np.array([1.0, 2.0, 10.0]), np.array([1.0, 1.0, 2.0]), [25, 50, 90])
    [1.0, 2.0, 10.0]
    """
    ok = np.isfinite(values) & (weights > 0)
    v, w = values[ok], weights[ok]
    if not len(v):
        return [np.nan] * len(qs)
    order = np.argsort(v, kind="stable")
    v, cum = v[order], np.cumsum(w[order])
    return [float(v[min(len(v) - 1, int(np.searchsorted(cum, q / 100.0 * cum[-1] * (1 - 1e-12))))]) for q in qs]


def _add_time_percentiles(summary: pd.DataFrame, times: np.ndarray, pop: np.ndarray, where: pd.DataFrame) -> None:
    """Per area: percentiles (minutes) of the villages' travel times over every scenario, weighted by population.

    Villages whose people reach no shelter in a scenario count in neither
    (they are in ``p_cut_off`` / ``expected_overflow``).
    """
    k = times.shape[0]
    flat_t = times.reshape(-1) / 60.0 if k else np.zeros(0)
    flat_w = np.tile(pop, k)
    for col in TIME_PERCENTILES:
        summary[col] = np.nan
    groups = {"study": np.zeros(len(pop), dtype=object)}
    for level, col in (("district", "district_id"), ("tambon", "tambon_id")):
        if col in where.columns:
            groups[level] = where[col].to_numpy(object)
    for level, ids in groups.items():
        flat_ids = np.tile(ids, k)
        rows = summary.index[summary["level"] == level]
        for r in rows:
            mask = np.ones(len(flat_ids), bool) if level == "study" else flat_ids == summary.at[r, "area_id"]
            got = weighted_percentiles(flat_t[mask], flat_w[mask], list(TIME_PERCENTILES.values()))
            for col, value in zip(TIME_PERCENTILES, got, strict=True):
                summary.at[r, col] = round(value, 2) if np.isfinite(value) else np.nan


def ensemble_charts(result: EnsembleResult, *, lang: str = "en", width: int = 440, max_items: int = 10) -> list:
    """The charts beside ``ensemble.html``, every number from :class:`EnsembleResult`.

    1. Chance of being cut off per district: ``summary.p_cut_off`` (share of the people), in %.
    2. Travel time to a shelter per district across the scenarios: ``summary.p50_min`` and the band up to
       ``p90_min`` (stacked).
    3. People cut off per scenario (histogram of ``scenarios.people_cut_off``).
    4. The roads that matter most: ``roads.expected_isolated`` of the first *max_items*.
    5. The shelters full most often: ``shelters.p_full`` in % (ties: higher ``mean_load`` first).
    """
    from safegeo._i18n import t
    from safegeo.maps.charts import _area_labels, bar_chart, histogram, message_chart, stacked_bar_chart

    charts = []
    s = result.summary
    level = "district" if (s["level"] == "district").any() else "study"
    rows = s[s["level"] == level].reset_index(drop=True)
    labels = _area_labels(rows, lang)
    charts.append(bar_chart(pd.Series(100.0 * rows["p_cut_off"].to_numpy(float), index=labels),
                            title="ens_cut_off_by_district", value_label="ens_people_pct", percent=True, lang=lang,
                            width=width))
    bands = pd.DataFrame({"label": labels, "ens_p50": rows["p50_min"].to_numpy(float),
                          "ens_p50_p90": (rows["p90_min"] - rows["p50_min"]).to_numpy(float)})
    charts.append(stacked_bar_chart(bands, columns=["ens_p50", "ens_p50_p90"], label_column="label",
                                    title="ens_time_bands", colors={"ens_p50": "#2171b5", "ens_p50_p90": "#9ecae1"},
                                    value_label="travel_time_min", lang=lang, sort=False, width=width))
    ok = result.scenarios[result.scenarios["ok"]]
    charts.append(histogram(ok["people_cut_off"].to_numpy(float), title="ens_cut_off_hist", x_label="ens_people_cut_off",
                            y_label="ens_scenarios", lang=lang, color="#7b1fa2", width=width))
    roads = result.roads.head(max_items)
    if len(roads):
        names = roads["name"].astype(object) if "name" in roads.columns else pd.Series([None] * len(roads))
        road_labels = [f"{n} ({t('edge', lang)} {e})" if isinstance(n, str) and n.strip() else f"{t('edge', lang)} {e}"
                       for n, e in zip(names, roads["edge"], strict=True)]
        charts.append(bar_chart(pd.Series(roads["expected_isolated"].to_numpy(float), index=road_labels),
                                title="ens_roads", value_label="ens_expected_isolated", lang=lang, sort=False,
                                color="#D55E00", width=width))
    else:
        charts.append(message_chart(title="ens_roads", message=t("ens_no_critical_road", lang), lang=lang, width=width))
    sh = result.shelters
    if len(sh) and sh["p_full"].notna().any():
        top = sh.assign(_m=sh["mean_load"].astype(float)).sort_values(["p_full", "_m"], ascending=False,
                                                                     kind="stable").head(max_items)
        charts.append(bar_chart(pd.Series(100.0 * top["p_full"].to_numpy(float),
                                          index=_area_labels(top, lang, id_column="shelter_id")),
                                title="ens_shelters_full", value_label="ens_scenarios_pct", percent=True,
                                max_value=100.0, sort=False, color="#0072B2", lang=lang, width=width))
    else:
        charts.append(message_chart(title="ens_shelters_full", lang=lang, width=width))
    return charts


def run_ensemble(study, scenarios_file: str | Path, *, scheduler: str | None = None, workers: int | None = None,
                 capacity: bool = True, progress=None) -> EnsembleResult:
    """Read a scenario file, run every scenario (Dask by default) and aggregate (see :mod:`safegeo.ensemble`)."""
    from safegeo.ensemble.run import payload_for, run_scenarios
    from safegeo.ensemble.scenarios import read_scenarios

    scenarios = read_scenarios(scenarios_file, study)
    payload = payload_for(study, capacity=capacity)
    outcomes = run_scenarios(payload, scenarios, scheduler=scheduler, workers=workers, progress=progress)
    return aggregate(payload, scenarios, outcomes, areas=study.areas, synthetic=study.synthetic)
