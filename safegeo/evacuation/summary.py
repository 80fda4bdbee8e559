"""Evacuation summaries: per district and tambon, and greedy against capacity-optimal."""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo.areas import area_of
from safegeo.evacuation.result import SUMMARY_MINUTES

log = logging.getLogger(__name__)


def _comparison(capacity: bool, a: pd.DataFrame, near_time: np.ndarray, near_pop: np.ndarray,
                greedy_served: np.ndarray, max_s: float) -> pd.DataFrame:
    total = float(a["population"].sum())
    rows = []
    served = float(greedy_served.sum())
    ph = float((greedy_served * near_time).sum()) / 3600.0
    rows.append({"method": "greedy_nearest", "people_served": served, "overflow": float(near_pop.sum()) - served,
                 "unreachable": float(a.loc[a["status"] == "unreachable", "population"].sum()),
                 "person_hours": ph, "mean_minutes": 60.0 * ph / served if served else np.nan, "population": total})
    if capacity:
        asg = a[a["status"] == "assigned"]
        served = float(asg["population"].sum())
        ph = float((asg["population"] * asg["travel_time_s"]).sum()) / 3600.0
        rows.append({"method": "capacity_optimal", "people_served": served,
                     "overflow": float(a.loc[a["status"] == "overflow", "population"].sum()),
                     "unreachable": float(a.loc[a["status"] == "unreachable", "population"].sum()),
                     "person_hours": ph, "mean_minutes": 60.0 * ph / served if served else np.nan,
                     "population": total})
    return pd.DataFrame(rows)


def _summary(a: pd.DataFrame, org: gpd.GeoDataFrame, district: np.ndarray, districts: gpd.GeoDataFrame | None,
             tambons: gpd.GeoDataFrame | None, shelters: gpd.GeoDataFrame, max_s: float) -> pd.DataFrame:
    frames = []
    for level, areas, col in (("district", districts, "district_id"), ("tambon", tambons, "tambon_id")):
        if areas is None or len(areas) == 0 or col not in areas.columns:
            continue
        area = district if level == "district" else area_of(org, areas, col)
        aid = area[a["_o"].to_numpy()]
        p = a["population"].to_numpy(float)
        t = a["travel_time_s"].to_numpy(float)
        st = a["status"].to_numpy(object)
        # people with a shelter, at their travel time (with --no-capacity, also those beyond --max-minutes:
        # "within 60 min" is a fact about the trip, whatever the limit)
        routed = np.isin(st, ("assigned", "beyond_max_time"))
        df = pd.DataFrame({"area_id": aid, "population": p})
        for mins in SUMMARY_MINUTES:
            df[f"within_{mins}min"] = np.where(routed & (t <= mins * 60 + 1e-9), p, 0.0)
        df["beyond_max_time"] = np.where(st == "beyond_max_time", p, 0.0)
        df["overflow"] = np.where(st == "overflow", p, 0.0)
        df["unreachable"] = np.where(st == "unreachable", p, 0.0)
        g = df.groupby("area_id", dropna=True).sum(numeric_only=True)
        ids = areas[col].to_numpy(object)
        g = g.reindex(ids, fill_value=0.0)
        out = pd.DataFrame({"level": level, "area_id": ids})
        for c in ("name_en", "name_th"):
            if c in areas.columns:
                out[c] = areas[c].to_numpy(object)
        out["population"] = g["population"].to_numpy()
        for mins in SUMMARY_MINUTES:
            out[f"pop_within_{mins}min"] = g[f"within_{mins}min"].to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"share_within_{mins}min"] = np.round(np.where(out["population"] > 0,
                                                                   out[f"pop_within_{mins}min"] / out["population"],
                                                                   np.nan), 4)
        for c in ("beyond_max_time", "overflow", "unreachable"):
            out[c] = g[c].to_numpy()
        # most-loaded shelter located in the area
        sh_area = area_of(shelters, areas, col)
        s = pd.DataFrame({"area_id": sh_area, "shelter_id": shelters["shelter_id"].to_numpy(object),
                          "u": shelters["utilisation"].to_numpy(float), "n": shelters["assigned"].to_numpy(float),
                          "elig": shelters["eligible"].to_numpy()})
        # fullest first; among equally full shelters, the one holding most people
        s = s[s["elig"] & s["area_id"].notna()].sort_values(["u", "n"], ascending=False, kind="stable")
        s = s.drop_duplicates("area_id")
        s = s.set_index("area_id")
        out["most_loaded_shelter"] = s["shelter_id"].reindex(ids).to_numpy(object)
        out["most_loaded_utilisation"] = np.round(s["u"].reindex(ids).to_numpy(float), 3)
        frames.append(out)
    if not frames:
        p = a["population"].to_numpy(float)
        t = a["travel_time_s"].to_numpy(float)
        st = a["status"].to_numpy(object)
        row: dict[str, Any] = {"level": "study", "area_id": "all", "population": p.sum()}
        for mins in SUMMARY_MINUTES:
            w = p[np.isin(st, ("assigned", "beyond_max_time")) & (t <= mins * 60 + 1e-9)].sum()
            row[f"pop_within_{mins}min"] = w
            row[f"share_within_{mins}min"] = round(w / p.sum(), 4) if p.sum() else np.nan
        for c in ("beyond_max_time", "overflow", "unreachable"):
            row[c] = p[st == c].sum()
        return pd.DataFrame([row])
    return pd.concat(frames, ignore_index=True)


