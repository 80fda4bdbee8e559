"""Evacuation summaries: per district and tambon, and greedy against capacity-optimal."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo.areas import AreaIndex
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


def _summary(a: pd.DataFrame, areas: AreaIndex, where: pd.DataFrame, shelters: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per district and tambon (and the whole study): people within 15 / 30 / 60 min, overflow, unreachable,
    and the people one road's loss would cut off from every shelter (``cut_off_by_one_road``).

    *a* is the assignments table (``_o`` = origin position), *where* the area of
    each origin (:meth:`AreaIndex.locate`).  "Within N min" counts people who
    have a shelter at that travel time (with capacity off, also those beyond
    ``max_minutes``: it is a fact about the trip, whatever the limit).
    """
    oi = a["_o"].to_numpy()
    p = a["population"].to_numpy(float)
    t = a["travel_time_s"].to_numpy(float)
    st = a["status"].to_numpy(object)
    routed = np.isin(st, ("assigned", "beyond_max_time"))
    per = pd.DataFrame({"population": p})
    for c in ("district_id", "tambon_id"):
        if c in where.columns:
            per[c] = where[c].to_numpy(object)[oi]
    for mins in SUMMARY_MINUTES:
        per[f"pop_within_{mins}min"] = np.where(routed & (t <= mins * 60 + 1e-9), p, 0.0)
    for c in ("beyond_max_time", "overflow", "unreachable"):
        per[c] = np.where(st == c, p, 0.0)
    cut = a["cut_off_road"].to_numpy() if "cut_off_road" in a.columns else np.full(len(a), -1)
    per["cut_off_by_one_road"] = np.where(cut >= 0, p, 0.0)
    sums = ["population", *[f"pop_within_{m}min" for m in SUMMARY_MINUTES], "beyond_max_time", "overflow",
            "unreachable", "cut_off_by_one_road"]
    shares = {f"share_within_{m}min": (f"pop_within_{m}min", "population") for m in SUMMARY_MINUTES}
    shares["share_cut_off_by_one_road"] = ("cut_off_by_one_road", "population")
    # the fullest shelter of each area (among equally full ones, the one holding most people)
    sh_where = areas.locate(shelters.geometry) if areas else pd.DataFrame(index=np.arange(len(shelters)))
    s = pd.DataFrame({"shelter_id": shelters["shelter_id"].to_numpy(object), "u": shelters["utilisation"].to_numpy(float),
                      "n": shelters["assigned"].to_numpy(float), "elig": shelters["eligible"].to_numpy(bool)})
    for c in ("district_id", "tambon_id"):
        if c in sh_where.columns:
            s[c] = sh_where[c].to_numpy(object)
    s = s[s["elig"]].sort_values(["u", "n"], ascending=False, kind="stable")
    extra = {}
    for level, col in (("district", "district_id"), ("tambon", "tambon_id")):
        if col in s.columns:
            top = s.dropna(subset=[col]).drop_duplicates(col).set_index(col)
            extra[level] = pd.DataFrame({"most_loaded_shelter": top["shelter_id"],
                                         "most_loaded_utilisation": np.round(top["u"], 3)})
    top_all = s.head(1)
    extra["study"] = pd.DataFrame({"most_loaded_shelter": top_all["shelter_id"].to_numpy(object),
                                   "most_loaded_utilisation": np.round(top_all["u"].to_numpy(float), 3)})
    table = areas.summary(per, sums=sums, shares=shares, extra=extra)
    order = ["level", "area_id", *[c for c in ("name_en", "name_th", "district_id") if c in table.columns],
             "population"]
    for m in SUMMARY_MINUTES:
        order += [f"pop_within_{m}min", f"share_within_{m}min"]
    order += ["beyond_max_time", "overflow", "unreachable", "cut_off_by_one_road", "share_cut_off_by_one_road",
              "most_loaded_shelter", "most_loaded_utilisation"]
    return table[[c for c in order if c in table.columns]]
