"""Join every analysis's per-tambon summary (and per-village figures) into one scorecard row per area."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo._errors import ScorecardError
from safegeo.scorecard.score import Indicator, composite, indicator, ranks

if TYPE_CHECKING:
    from safegeo.coverage import CoverageResult
    from safegeo.evacuation import EvacuationResult
    from safegeo.exposure import ExposureResult
    from safegeo.scorecard.result import ScorecardResult
    from safegeo.study import StudyArea
    from safegeo.vehicles.response import ResponseResult

log = logging.getLogger(__name__)

#: Evacuation summary columns copied as they are (prefixed ``evac_``).
EVAC_COLUMNS = ("population", "share_within_15min", "share_within_30min", "share_within_60min", "overflow",
                "unreachable", "cut_off_by_one_road", "share_cut_off_by_one_road", "most_loaded_shelter",
                "most_loaded_utilisation")
#: Coverage summary columns copied as they are.
COVERAGE_COLUMNS = ("road_km", "lit_pct", "seen_pct", "sos_pct", "lit_gap_km", "lit_high_gap_km", "seen_gap_km",
                    "seen_high_gap_km", "sos_gap_km", "sos_high_gap_km")
#: Response summary columns copied per vehicle type (``<type>_<column>``).
RESPONSE_COLUMNS = ("median_min", "p90_min", "target_min")
_KEY = ["level", "area_id", "name_en", "name_th", "district_id", "tambon_id"]


def scorecard(
    study: StudyArea,
    *,
    hazard: str | None = None,
    evacuation: EvacuationResult | None = None,
    coverage: CoverageResult | None = None,
    response: ResponseResult | None = None,
    exposure: ExposureResult | None = None,
    road_plan: Any = None,
    weights: Mapping[str, float] | None = None,
    best: Mapping[str, float] | None = None,
    worst: Mapping[str, float] | None = None,
    between_dimensions: str | None = None,
) -> ScorecardResult:
    """One row of indicators per tambon and per village, a composite score, ranks and the actions that help most.

    Runs each analysis the study supports (or takes results already
    computed): evacuation (villages and shelters), coverage (street lights,
    cameras, SOS buttons; proposing ``[scorecard] proposals`` new sites),
    response (the study's ``vehicles`` layer) and exposure (hazards), all
    under the same *hazard*.  Every indicator is copied from that analysis's
    own ``summary`` row for the tambon, so the scorecard and the analysis
    never disagree; a few shares are derived and named so
    (``evac_overflow_share`` = overflow / evacuated people,
    ``exposed_share`` = exposed village people / village people).

    The score follows the JRC INFORM risk index (:mod:`safegeo.scorecard.score`):
    min-max normalisation to 0-10 between fixed bounds, categories
    (arithmetic), three dimensions (hazard & exposure; evacuation, where
    INFORM has socio-economic vulnerability; lack of coping capacity) and a
    geometric mean between dimensions.  Where it differs from INFORM: no log
    transforms or outlier caps (the bounds are physical: shares, percentages,
    minutes), no special aggregation for hazards, missing indicators are left
    out rather than imputed, and a dimension with no data is dropped.

    Parameters
    ----------
    study
        Needs tambons (with ``district_id``) and villages.
    hazard
        Hazard entry name or kind for every analysis (default: every hazard;
        exposure reports the first); ``"none"``: no hazard.
    evacuation, coverage, response, exposure
        Results already computed (they should be of the same study and hazard).
    road_plan
        A :class:`~safegeo.roadplan.RoadPlanResult` of the same study and
        hazard (optional): its best projects become candidate actions of the
        tambons whose villages they bring nearer a shelter.
    weights, best, worst
        Overrides of ``[scorecard] weights``, ``best`` and ``worst`` by
        indicator family (``lit_pct``, ``median_min``, ...).
    between_dimensions
        ``"geometric"`` (default, as INFORM) or ``"arithmetic"``.

    Returns
    -------
    ScorecardResult

    Raises
    ------
    ScorecardError
        The study has no tambons or no villages.
    SettingsError
        A weight or bound is not a number >= 0, or names no indicator.

    Examples
    --------
    >>> from safegeo.study import load_study                       # doctest: +SKIP
    >>> from safegeo.scorecard import scorecard                    # doctest: +SKIP
    >>> sc = scorecard(load_study("out/demo/data/study.toml"), hazard="flood")  # doctest: +SKIP
    >>> sc.tambons[["name_en", "score", "rank_in_district", "action_1"]].head()  # doctest: +SKIP
    >>> sc.write("out/scorecard")                                  # doctest: +SKIP
    """
    from safegeo.scorecard.result import ScorecardResult

    settings = study.settings("scorecard", weights=weights, best=best, worst=worst,
                              between_dimensions=between_dimensions)
    if not study.has("tambons") or "district_id" not in study.layers["tambons"].columns:
        raise ScorecardError("the study has no tambons layer with a district_id column",
                             hint="add tambons = { path = ..., layer = ... } under [layers] (tambon_id, district_id)")
    if not study.has("villages"):
        raise ScorecardError("the study has no villages layer", hint="add villages under [layers]")
    notes: list[str] = []
    hz = hazard
    if evacuation is None and study.has("shelters"):
        from safegeo.evacuation import evacuate

        evacuation = evacuate(study, hazards=hz)
    if coverage is None:
        from safegeo.coverage import analyze_coverage

        assets = [a for a in ("lights", "cameras", "sos") if study.has(a)]
        if assets:
            coverage = analyze_coverage(study, assets=assets, hazard=hz, propose=int(settings["proposals"]),
                                        asset_type=assets[0])
    if response is None and study.has("vehicles"):
        from safegeo.vehicles.response import response_for_study

        response = response_for_study(study, study.layer("vehicles"), hazard=hz, isochrones=False)
    if exposure is None:
        exposure = _run_exposure(study, hz)
    for name, res in (("evacuation", evacuation), ("coverage", coverage), ("response", response),
                      ("exposure", exposure)):
        if res is None:
            notes.append(f"no {name} analysis (the study lacks its layers): its indicators are left out")

    tambons = _tambon_rows(study, evacuation, coverage, response, exposure, settings)
    villages = _village_rows(study, tambons, evacuation, response, exposure, settings)
    inds = scored_indicators(tambons, settings)
    scored = []
    for frame in (tambons, villages):
        sc = composite(frame, inds, settings)
        frame = pd.concat([frame, sc], axis=1)
        frame["rank_in_district"] = ranks(frame, by="district_id")
        frame["rank_in_province"] = ranks(frame)
        scored.append(frame)
    tambons, villages = scored
    from safegeo.scorecard.actions import tambon_actions

    actions = tambon_actions(tambons, inds, settings, evacuation=evacuation, coverage=coverage, study=study,
                             road_plan=road_plan)
    for i in range(int(settings["actions"])):
        mine = actions[actions["order"] == i + 1].set_index("area_id")
        for col, src in ((f"action_{i + 1}", "text_en"), (f"action_{i + 1}_th", "text_th")):
            tambons[col] = [v if isinstance(v, str) else "" for v in tambons["area_id"].map(mine[src])]
    hazard_label = study.scenario(hazard).label
    return ScorecardResult(tambons=tambons, villages=villages, actions=actions, indicators=inds, settings=settings,
                           hazard=hazard_label, study_name=study.name, synthetic=study.synthetic, notes=notes,
                           areas=study.areas, tambon_polygons=study.layers["tambons"],
                           district_polygons=study.layers.get("districts"), evacuation=evacuation,
                           coverage=coverage, response=response, exposure=exposure)


def _run_exposure(study: StudyArea, hazard: str | None) -> ExposureResult | None:
    if hazard is not None and str(hazard).lower() == "none":
        return None
    if not study.hazard():
        return None
    from safegeo.exposure import exposure as run

    res = run(study, hazards=hazard)
    return None if res.problem else res


def scored_indicators(tambons: pd.DataFrame, settings: Mapping[str, Any]) -> list[Indicator]:
    """The indicators of :func:`scorecard` present in *tambons* (its columns decide what counts)."""
    out = []
    for m in (15, 30, 60):
        out.append(indicator(f"evac_share_within_{m}min", f"share_within_{m}min"))
    out += [indicator("evac_overflow_share", "overflow_share"),
            indicator("evac_share_cut_off_by_one_road", "share_cut_off_by_one_road")]
    out += [indicator(c, c) for c in ("lit_pct", "seen_pct", "sos_pct")]
    for vt in settings["vehicle_types"]:
        out += [indicator(f"{vt}_median_min", "median_min"), indicator(f"{vt}_p90_min", "p90_min")]
    out += [indicator("exposed_share", "exposed_share"), indicator("repeat_area", "repeat_area"),
            indicator("is_border", "is_border")]
    return [i for i in out if i.column in tambons.columns and tambons[i.column].notna().any()]


# ---------------------------------------------------------------------------------------------
# tambon rows: copies of each analysis's own summary row
# ---------------------------------------------------------------------------------------------
def _level(summary: pd.DataFrame, level: str = "tambon") -> pd.DataFrame:
    return summary[summary["level"] == level].drop_duplicates("area_id").set_index("area_id")


def _tambon_rows(study: StudyArea, evac: Any, cov: Any, resp: Any, expo: Any,
                 settings: Mapping[str, Any]) -> pd.DataFrame:
    areas = study.areas
    vill = areas.add_columns(study.layer("villages"))
    vill["population"] = pd.to_numeric(vill.get("population", 0), errors="coerce").fillna(0.0)
    base = areas.summary(vill, sums=["population"], levels=["tambon"], total=False)
    base = base.rename(columns={"area_id": "tambon_id"})
    base.insert(1, "area_id", base["tambon_id"])
    ids = base["area_id"]
    dist = areas.areas("district")
    if dist is not None and "is_border" in dist.columns:
        border = dict(zip(dist["district_id"], dist["is_border"].fillna(False).astype(bool), strict=True))
        base["is_border"] = base["district_id"].map(border).fillna(False).astype(float)
    if dist is not None:
        names = dist.drop_duplicates("district_id").set_index("district_id")
        for c in ("name_en", "name_th"):
            if c in names.columns:
                base[f"district_{c}"] = base["district_id"].map(names[c])
    if evac is not None:
        s = _level(evac.summary)
        for c in EVAC_COLUMNS:
            if c in s.columns:
                base[f"evac_{c}"] = ids.map(s[c]).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            pop = base["evac_population"].to_numpy(float)
            base["evac_overflow_share"] = np.where(pop > 0, base["evac_overflow"].to_numpy(float) / np.where(
                pop > 0, pop, 1.0), np.nan)
    if cov is not None:
        s = _level(cov.summary)
        for c in COVERAGE_COLUMNS:
            if c in s.columns:
                base[c] = ids.map(s[c]).to_numpy()
    if resp is not None and len(resp.summary):
        s = resp.summary[resp.summary["level"] == "tambon"]
        for vt in settings["vehicle_types"]:
            sv = s[s["vehicle_type"] == vt].set_index("area_id")
            if not len(sv):
                continue
            for c in RESPONSE_COLUMNS:
                base[f"{vt}_{c}"] = ids.map(sv[c]).to_numpy()
    if expo is not None:
        hz = expo.hazards[0]
        s = expo.people("tambon", hazard=hz).set_index("area_id")
        base["exposure_hazard"] = hz
        if "villages_population" in s.columns:
            base["exposed_population"] = ids.map(s["villages_population"]).to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                pop = base["population"].to_numpy(float)
                base["exposed_share"] = np.where(pop > 0, base["exposed_population"].to_numpy(float) / np.where(
                    pop > 0, pop, 1.0), np.nan)
        for c in ("raster_total", "shelters_inside", "schools_inside", "road_km_closed"):
            if c in s.columns:
                base[c] = ids.map(s[c]).to_numpy()
        if "repeat_area" in s.columns:
            base["repeat_area"] = ids.map(s["repeat_area"]).fillna(False).astype(float).to_numpy()
            base["repeat_kinds"] = ids.map(s["repeat_kinds"]).fillna("").to_numpy()
    base["level"] = "tambon"
    return base.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# village rows: the village's own figures where an analysis has them, its tambon's otherwise
# ---------------------------------------------------------------------------------------------
def _village_rows(study: StudyArea, tambons: pd.DataFrame, evac: Any, resp: Any, expo: Any,
                  settings: Mapping[str, Any]) -> gpd.GeoDataFrame:
    vill = study.areas.add_columns(study.layer("villages"))
    vid = vill["village_id"].astype(str)
    out = pd.DataFrame({"level": "village", "area_id": vid.to_numpy(),
                        "name_en": vill["name_en"].to_numpy() if "name_en" in vill.columns else None,
                        "name_th": vill["name_th"].to_numpy() if "name_th" in vill.columns else None,
                        "district_id": vill["district_id"].to_numpy(), "tambon_id": vill["tambon_id"].to_numpy(),
                        "population": pd.to_numeric(vill.get("population", 0), errors="coerce").fillna(0.0).to_numpy()})
    tam = tambons.set_index("tambon_id")
    # a village takes its tambon's context: border, coverage (measured on roads), repeat disasters
    for c in ("is_border", "district_name_en", "district_name_th", "road_km", "lit_pct", "seen_pct", "sos_pct",
              "repeat_area"):
        if c in tam.columns:
            out[c] = out["tambon_id"].map(tam[c]).to_numpy()
    if evac is not None:
        a = pd.DataFrame(evac.assignments.drop(columns="geometry"))
        a["origin_id"] = a["origin_id"].astype(str)
        p = a["population"].to_numpy(float)
        t = a["travel_time_s"].to_numpy(float)
        routed = a["status"].isin(["assigned", "beyond_max_time"]).to_numpy()
        per = pd.DataFrame({"origin_id": a["origin_id"], "population": p,
                            "overflow": np.where(a["status"] == "overflow", p, 0.0),
                            "unreachable": np.where(a["status"] == "unreachable", p, 0.0),
                            "cut": np.where(a["cut_off_road"].notna(), p, 0.0)})
        for m in (15, 30, 60):
            per[f"w{m}"] = np.where(routed & (t <= m * 60 + 1e-9), p, 0.0)
        g = per.groupby("origin_id").sum()
        pop = out["area_id"].map(g["population"]).to_numpy(float)
        ok = pop > 0
        out["evac_population"] = pop
        for m in (15, 30, 60):
            out[f"evac_share_within_{m}min"] = np.where(ok, out["area_id"].map(g[f"w{m}"]).to_numpy(float)
                                                        / np.where(ok, pop, 1.0), np.nan)
        for c, src in (("evac_overflow", "overflow"), ("evac_unreachable", "unreachable"),
                       ("evac_cut_off_by_one_road", "cut")):
            out[c] = out["area_id"].map(g[src]).to_numpy(float)
        out["evac_overflow_share"] = np.where(ok, out["evac_overflow"] / np.where(ok, pop, 1.0), np.nan)
        out["evac_share_cut_off_by_one_road"] = np.where(ok, out["evac_cut_off_by_one_road"] / np.where(ok, pop, 1.0),
                                                         np.nan)
        road = a.dropna(subset=["cut_off_road"]).drop_duplicates("origin_id").set_index("origin_id")["cut_off_road"]
        out["cut_off_road"] = out["area_id"].map(road).astype("Int64")
        sh = a[a["shelter_id"].notna()].sort_values("population", ascending=False).drop_duplicates("origin_id")
        out["shelter_id"] = out["area_id"].map(sh.set_index("origin_id")["shelter_id"])
    if resp is not None and len(resp.villages):
        rv = pd.DataFrame(resp.villages.drop(columns="geometry"))
        rv["village_id"] = rv["village_id"].astype(str)
        for vt in settings["vehicle_types"]:
            one = rv[rv["vehicle_type"] == vt].drop_duplicates("village_id").set_index("village_id")
            if not len(one):
                continue
            # one village, one time: its median and p90 are that time
            out[f"{vt}_median_min"] = out["area_id"].map(one["time_min"]).to_numpy(float)
            out[f"{vt}_p90_min"] = out[f"{vt}_median_min"]
            out[f"{vt}_target_min"] = out["area_id"].map(one["target_min"]).to_numpy(float)
    if expo is not None:
        hz = expo.hazards[0]
        ev = expo.villages[expo.villages["hazard"] == hz] if len(expo.villages) else expo.villages
        idcol = "village_id" if "village_id" in ev.columns else None
        exposed = set(ev[idcol].astype(str)) if idcol and len(ev) else set()
        out["exposed_population"] = np.where(out["area_id"].isin(exposed), out["population"], 0.0)
        out["exposed_share"] = np.where(out["population"] > 0, out["area_id"].isin(exposed).astype(float), np.nan)
        if idcol and len(ev) and "class" in ev.columns:
            out["exposure_class"] = out["area_id"].map(ev.astype({idcol: str}).drop_duplicates(idcol)
                                                       .set_index(idcol)["class"])
    return gpd.GeoDataFrame(out, geometry=vill.geometry.values, crs=vill.crs)
