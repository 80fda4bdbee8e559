"""For each tambon, the few actions that would lower its score most.

Candidate actions come from the analyses' own findings:

* ``road``: secure the road whose loss alone cuts most of the tambon's people
  off from every shelter (evacuation ``cut_off_road`` → ``critical_roads``);
* ``road_project``: build the road project of the road plan (when one is
  given) that saves the tambon's people most person-minutes; the shares
  within 15 / 30 / 60 min move by the people it brings within each limit
  (the plan's nearest-shelter times, before and after);
* ``shelter``: add shelter places for the people with no place in time
  (evacuation overflow; the fullest shelter is named);
* ``coverage``: build the coverage analysis's proposed sites in the tambon
  (their ``gain_m``), else close its high-priority gaps;
* ``response``: bring a vehicle type's median and p90 ETA down to its target.

Each candidate is scored exactly: the tambon's indicators with the action
applied go through the same normalisation and aggregation
(:func:`safegeo.scorecard.score.composite`), and ``score_gain`` is the drop
in score (``dimension_gain``: the drop in the dimension it acts on, which
orders actions when the geometric score is 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from safegeo._i18n import t
from safegeo.scorecard.score import Indicator, composite

_PREFIX_ASSET = {"lit": "lights", "seen": "cameras", "sos": "sos"}
_KIND_ORDER = {"road": 0, "road_project": 1, "shelter": 2, "response": 3, "coverage": 4}


def _road_label(row: pd.Series, edge: int) -> str:
    """A road's name, else its class and id (as the evacuation report names it)."""
    name = row.get("name")
    if isinstance(name, str) and name.strip():
        return name
    rid = row.get("road_id")
    return f"{row.get('highway') or 'road'} {rid if rid is not None and pd.notna(rid) else edge}"


def _road_project_actions(road_plan: Any, evacuation: Any, tam: pd.DataFrame, cols: set[str], add: Any) -> None:
    """Per tambon, the road-plan project that saves its people most person-minutes, as a candidate action."""
    asg = evacuation.assignments
    if "tambon_id" not in asg.columns:
        return
    where = asg.drop_duplicates("origin_id").set_index("origin_id")["tambon_id"]
    v = pd.DataFrame(road_plan.villages.drop(columns="geometry", errors="ignore"))
    v["tambon_id"] = v["origin_id"].map(where)
    v = v[v["tambon_id"].isin(tam.index) & (v["population"] > 0)]
    before = v["minutes_before"].to_numpy(float)
    after = v["minutes_after"].to_numpy(float)
    unreach = float(road_plan.settings["unreachable_minutes"])  # how the plan itself counts people cut off
    gain = np.nan_to_num(before, nan=unreach) - np.nan_to_num(after, nan=unreach)
    v = v.assign(_gain=gain, _pm=gain * v["population"].to_numpy(float))
    v = v[v["_gain"] > 0]
    if not len(v):
        return
    per = v.groupby(["tambon_id", "candidate_id"], sort=True)["_pm"].sum().reset_index()
    per = per.sort_values(["tambon_id", "_pm"], ascending=[True, False], kind="stable").drop_duplicates("tambon_id")
    cands = road_plan.candidates.set_index("candidate_id")
    for _, r in per.iterrows():
        area, cid = r["tambon_id"], r["candidate_id"]
        mine = v[(v["tambon_id"] == area) & (v["candidate_id"] == cid)]
        pop = float(tam.at[area, "evac_population"]) if "evac_population" in tam.columns else 0.0
        changes: dict[str, float] = {}
        for m in (15, 30, 60):
            col = f"evac_share_within_{m}min"
            if col not in cols or not pop > 0 or pd.isna(tam.at[area, col]):
                continue
            b, a = mine["minutes_before"].to_numpy(float), mine["minutes_after"].to_numpy(float)
            newly = float(mine["population"].to_numpy(float)[~(b <= m) & (a <= m)].sum())
            if newly > 0:
                changes[col] = min(1.0, float(tam.at[area, col]) + newly / pop)
        if not changes:
            continue
        c = cands.loc[cid]
        kind = str(c.get("kind", "project"))
        cost = c.get("cost")
        cost_txt = f", {float(cost):,.0f} M THB" if cost is not None and pd.notna(cost) else ""
        cost_th = f" งบประมาณ {float(cost):,.0f} ล้านบาท" if cost is not None and pd.notna(cost) else ""
        n = float(mine["population"].sum())
        most = float(mine["_gain"].max())
        add(area, "road_project", cid, n, changes,
            f"Build road project {cid} ({t(kind, 'en').lower()}{cost_txt}): {n:,.0f} people reach a shelter "
            f"up to {most:.0f} min sooner",
            f"ก่อสร้างโครงการถนน {cid} ({t(kind, 'th')}{cost_th}): ประชาชน {n:,.0f} คนถึงศูนย์พักพิงเร็วขึ้นสูงสุด "
            f"{most:.0f} นาที")


def tambon_actions(tambons: pd.DataFrame, indicators: Sequence[Indicator], settings: Mapping[str, Any], *,
                   evacuation: Any = None, coverage: Any = None, study: Any = None,
                   road_plan: Any = None) -> pd.DataFrame:
    """Candidate actions per tambon with their exact score gain; the best ``[scorecard] actions`` get an ``order``.

    Returns
    -------
    DataFrame
        ``area_id``, ``order`` (1 = the action that helps most; 0 = not among
        the best), ``kind``, ``target`` (road edge, shelter id, proposal
        ranks, road project id, vehicle type), ``people``, ``score_gain``, ``dimension_gain``,
        ``text_en``, ``text_th``.
    """
    cols = {i.column for i in indicators}
    rows: list[dict] = []
    tam = tambons.set_index("area_id", drop=False)

    def add(area: str, kind: str, target: Any, people: float, changes: dict[str, float], en: str, th: str) -> None:
        rows.append({"area_id": area, "kind": kind, "target": target, "people": people, "changes": changes,
                     "text_en": en, "text_th": th})

    if evacuation is not None and "evac_share_cut_off_by_one_road" in cols:
        a = evacuation.assignments
        cut = a[a["cut_off_road"].notna() & a["tambon_id"].notna()] if "tambon_id" in a.columns else a.iloc[0:0]
        if len(cut):
            per = cut.groupby(["tambon_id", "cut_off_road"])["population"].sum().reset_index()
            per = per.sort_values(["tambon_id", "population"], ascending=[True, False], kind="stable")
            crit = evacuation.critical_roads.set_index("edge")
            for _, r in per.drop_duplicates("tambon_id").iterrows():
                area = r["tambon_id"]
                if area not in tam.index or r["population"] <= 0:
                    continue
                road = crit.loc[int(r["cut_off_road"])]
                label = _road_label(road, int(r["cut_off_road"]))
                pop = float(tam.at[area, "evac_population"])
                share = float(tam.at[area, "evac_share_cut_off_by_one_road"])
                n = float(r["population"])
                add(area, "road", int(r["cut_off_road"]), n,
                    {"evac_share_cut_off_by_one_road": max(share - n / pop, 0.0) if pop > 0 else 0.0},
                    f"Secure road {label}: its loss alone cuts {n:,.0f} people off from every shelter",
                    f"เสริมความมั่นคงถนน {label}: หากถนนนี้ขาด ประชาชน {n:,.0f} คนจะไปศูนย์พักพิงไม่ได้")
    if road_plan is not None and evacuation is not None and len(getattr(road_plan, "villages", ())):
        _road_project_actions(road_plan, evacuation, tam, cols, add)
    if "evac_overflow_share" in cols:
        for area, r in tam[tam["evac_overflow"].fillna(0) > 0].iterrows():
            n = float(r["evac_overflow"])
            sh = r.get("evac_most_loaded_shelter")
            u = r.get("evac_most_loaded_utilisation")
            where_en = f" (fullest shelter {sh}, {100 * u:.0f} % full)" if isinstance(sh, str) and pd.notna(u) else ""
            where_th = f" (ศูนย์ที่แน่นที่สุด {sh} ใช้ไป {100 * u:.0f}%)" if isinstance(sh, str) and pd.notna(u) else ""
            add(area, "shelter", sh if isinstance(sh, str) else None, n, {"evac_overflow_share": 0.0},
                f"Add shelter places for {n:,.0f} people with no place in time{where_en}",
                f"เพิ่มที่พักในศูนย์พักพิงสำหรับ {n:,.0f} คนที่ไม่มีที่พักภายในเวลา{where_th}")
    if coverage is not None:
        props = coverage.proposals
        if len(props) and study is not None:
            where = study.areas.locate(props.geometry)
            props = props.assign(tambon_id=where["tambon_id"].to_numpy() if "tambon_id" in where.columns else None)
        for prefix, asset in _PREFIX_ASSET.items():
            col = f"{prefix}_pct"
            if col not in cols:
                continue
            mine = props[props["asset"] == asset] if len(props) else props
            km = tam["road_km"].astype(float)
            for area, r in tam.iterrows():
                if not (km[area] > 0) or pd.isna(r[col]):
                    continue
                p = mine[mine["tambon_id"] == area] if len(mine) else mine
                name_en, name_th = t(asset, "en").lower(), t(asset, "th")
                if len(p):
                    gain_km = float(p["gain_m"].sum()) / 1000.0
                    ranks = ", ".join(f"#{int(x)}" for x in p["rank"])
                    add(area, "coverage", ranks, np.nan,
                        {col: min(100.0, float(r[col]) + 100.0 * gain_km / km[area])},
                        f"Build the {len(p)} proposed {name_en} ({ranks}): +{gain_km:,.2f} km covered",
                        f"ติดตั้ง{name_th}ตามข้อเสนอ {len(p)} จุด ({ranks}): ครอบคลุมเพิ่ม {gain_km:,.2f} กม.")
                elif r.get(f"{prefix}_high_gap_km", 0) and r.get(f"{prefix}_high_gap_km", 0) > 0:
                    g = float(r[f"{prefix}_high_gap_km"])
                    add(area, "coverage", f"{asset} gaps", np.nan,
                        {col: min(100.0, float(r[col]) + 100.0 * g / km[area])},
                        f"Close {g:,.2f} km of high-priority {name_en} gaps",
                        f"ปิดช่องว่าง{name_th}ที่สำคัญสูง {g:,.2f} กม.")
    for vt in settings["vehicle_types"]:
        med, p90, tgt = f"{vt}_median_min", f"{vt}_p90_min", f"{vt}_target_min"
        if med not in cols or tgt not in tam.columns:
            continue
        for area, r in tam.iterrows():
            if pd.notna(r[med]) and pd.notna(r[tgt]) and (r[med] > r[tgt] or r[p90] > r[tgt]):
                target = float(r[tgt])
                add(area, "response", vt, np.nan, {med: min(r[med], target), p90: min(r[p90], target)},
                    f"Station a {t(vt, 'en').lower()} nearer: median {r[med]:.0f} min, p90 {r[p90]:.0f} min "
                    f"against a {target:.0f}-min target",
                    f"จัด{t(vt, 'th')}ประจำใกล้ขึ้น: เวลาเฉลี่ยกลาง {r[med]:.0f} นาที p90 {r[p90]:.0f} นาที "
                    f"เป้าหมาย {target:.0f} นาที")
    columns = ["area_id", "order", "kind", "target", "people", "score_gain", "dimension_gain", "text_en", "text_th"]
    if not rows:
        return pd.DataFrame({c: [] for c in columns})
    cand = pd.DataFrame(rows)
    # every candidate scored exactly: its tambon's row with the change applied
    changed = tam.loc[cand["area_id"]].reset_index(drop=True).copy()
    for i, ch in enumerate(cand["changes"]):
        for c, v in ch.items():
            changed.at[i, c] = v
    after = composite(changed, indicators, settings)
    before = tam.loc[cand["area_id"]].reset_index(drop=True)
    cand["score_gain"] = np.round(before["score"].to_numpy(float) - after["score"].to_numpy(float), 4)
    dim_of = {i.column: i.dimension for i in indicators}
    dims = [dim_of[next(iter(ch))] for ch in cand["changes"]]
    cand["dimension_gain"] = np.round([before.at[i, f"dim_{d}"] - after.at[i, f"dim_{d}"]
                                       for i, d in enumerate(dims)], 4)
    cand = cand[(cand["score_gain"] > 0) | (cand["dimension_gain"] > 0)].copy()
    cand["_k"] = cand["kind"].map(_KIND_ORDER)
    cand = cand.sort_values(["area_id", "score_gain", "dimension_gain", "_k"], ascending=[True, False, False, True],
                            kind="stable")
    cand["order"] = cand.groupby("area_id").cumcount() + 1
    cand["target"] = [("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)) for v in cand["target"]]
    cand.loc[cand["order"] > int(settings["actions"]), "order"] = 0
    return cand[columns].reset_index(drop=True)
