"""Benchmark: road-project benefits by bounded label updates, against full recomputation.

For each area, ``plan_roads`` ranks up to 500 generated candidates (every
village, every hazard of the study, no budget, no verification runs) and the
time of its stages is printed.  The baseline, measured in the same run, is
what the benefits would cost without the bounded searches: for each candidate
build it into the network (:func:`~safegeo.roadplan.apply_to_network`) and run
:func:`~safegeo.evacuation.evacuate_network` again (nearest shelter, as the
ranking measures).  Full runs are timed on a seeded **sample** of the
candidates and **extrapolated** to all of them (the script says so when it
prints); each sampled candidate's person-minutes saved by the full run is
compared with the fast measure.

Areas: the demo province (``data/demo/study.toml``, about 6 000 nodes; target:
500 candidates ranked in under a minute) and a generated area of
``--nodes`` nodes (default 300 000, :func:`safegeo.generate.generate_study_area`;
target: under 10 minutes).

Run::

    python benchmarks/bench_roadplan.py                       # demo and 300k
    python benchmarks/bench_roadplan.py --areas demo          # quicker
    python benchmarks/bench_roadplan.py --nodes 100000 --sample 5
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from safegeo.evacuation import evacuate_network
from safegeo.generate import generate_study_area
from safegeo.roadplan import apply_to_network, plan_roads
from safegeo.study import load_study

REPO = Path(__file__).resolve().parent.parent


def _capped_people_min(res, cap_s: float) -> float:
    a = res.assignments
    p = a["population"].to_numpy(float)
    t = a["travel_time_s"].to_numpy(float)
    routed = a["status"].isin(["assigned", "beyond_max_time"]).to_numpy()
    return float((p * np.where(routed, np.minimum(np.nan_to_num(t, nan=cap_s), cap_s), cap_s)).sum()) / 60.0


def run(label: str, toml: Path, *, n_candidates: int, sample: int, seed: int) -> dict:
    t = time.perf_counter()
    study = load_study(toml)
    network = study.network("drive")
    load_s = time.perf_counter() - t
    print(f"\n== {label}: {network.n_nodes:,} nodes, {network.n_edges:,} edges, "
          f"{len(study.layer('villages')):,} villages, {len(study.layer('shelters')):,} shelters "
          f"(loaded and built in {load_s:.1f} s, not counted below)", flush=True)

    t = time.perf_counter()
    plan = plan_roads(study, candidates="auto", budget=None, max_candidates=n_candidates, verify_top=0)
    plan_s = time.perf_counter() - t
    c = plan.candidates
    kinds = ", ".join(f"{k} {v}" for k, v in c["kind"].value_counts().items())
    stages = ", ".join(f"{k} {v:.1f}" for k, v in plan.seconds.items())
    print(f"plan_roads: {len(c)} candidates ({kinds}) ranked in {plan_s:.1f} s  [stages, s: {stages}]")
    if len(c) < n_candidates:
        print(f"  (the generator found {len(c)} candidates, fewer than the {n_candidates} asked)")

    # the baseline: full evacuation runs with each sampled candidate built
    rp = study.settings("roadplan")
    ev = study.settings("evacuation")
    net_p = study.settings("network")
    cap_s = float(rp["unreachable_minutes"]) * 60.0
    kw = {"scenario": study.scenario(None), "population_column": "population", "origin_id_column": "village_id",
          "weight": "time", "max_minutes": ev["max_minutes"], "k_nearest": ev["k_nearest"],
          "max_snap_m": net_p["max_snap_m"], "at_risk_within_m": ev["at_risk_within_m"],
          "hazard_exit_kph": ev["hazard_exit_kph"], "routes": False, "critical": False, "areas": study.areas,
          "capacity": False}
    villages, shelters = study.layer("villages"), study.layer("shelters")
    t = time.perf_counter()
    base = _capped_people_min(evacuate_network(network, villages, shelters, **kw), cap_s)
    base_s = time.perf_counter() - t
    cands = plan.candidate_set
    pos = {cid: i for i, cid in enumerate(cands.ids)}
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(c), size=min(sample, len(c)), replace=False)
    full_s, worst = [], 0.0
    for j in picks:
        row = c.iloc[int(j)]
        t = time.perf_counter()
        built = apply_to_network(network, cands, [pos[row["candidate_id"]]])
        after = _capped_people_min(evacuate_network(built, villages, shelters, **kw), cap_s)
        full_s.append(time.perf_counter() - t)
        worst = max(worst, abs((base - after) - float(row["benefit_people_min"])))
    per = float(np.mean(full_s))
    full_all = per * len(c)
    fast = plan.seconds.get("benefits", float("nan"))
    print(f"baseline run (no project): {base_s:.1f} s")
    print(f"full recomputation: {per:.2f} s per candidate (mean of a seeded sample of {len(picks)}), "
          f"EXTRAPOLATED to {len(c)} candidates: {full_all:.0f} s")
    print(f"bounded updates: {fast:.2f} s for {len(c)} candidates ({1000 * fast / max(1, len(c)):.1f} ms each)")
    print(f"ratio full / bounded (benefit measurement): {full_all / fast:,.0f}x; "
          f"full / whole plan_roads: {full_all / plan_s:,.1f}x")
    print(f"sampled candidates: largest |fast - full| person-minutes saved = {worst:.4f}")
    return {"area": label, "nodes": network.n_nodes, "candidates": len(c), "plan_s": plan_s, "benefits_s": fast,
            "full_per_candidate_s": per, "full_extrapolated_s": full_all, "max_abs_diff": worst}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--areas", default="demo,generated", help="comma-separated: demo, generated")
    ap.add_argument("--nodes", type=int, default=300_000, help="size of the generated area (nodes asked)")
    ap.add_argument("--candidates", type=int, default=500)
    ap.add_argument("--sample", type=int, default=None,
                    help="candidates recomputed in full (default 20 on the demo, 3 on the generated area)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--area-dir", type=Path, default=None,
                    help="folder of the generated area (reused when it holds a study.toml)")
    args = ap.parse_args()
    areas = [a.strip() for a in args.areas.split(",") if a.strip()]
    rows = []
    if "demo" in areas:
        rows.append(run("demo province", REPO / "data" / "demo" / "study.toml", n_candidates=args.candidates,
                        sample=args.sample or 20, seed=args.seed))
    if "generated" in areas:
        folder = args.area_dir or Path(tempfile.mkdtemp(prefix="bench_roadplan_"))
        toml = folder / "study.toml"
        if not toml.exists():
            t = time.perf_counter()
            generate_study_area(folder, n_nodes=args.nodes, seed=args.seed, overwrite=True)
            print(f"\ngenerated {args.nodes:,}-node area in {time.perf_counter() - t:.0f} s: {folder}")
        rows.append(run(f"generated area ({args.nodes:,} nodes asked)", toml, n_candidates=args.candidates,
                        sample=args.sample or 3, seed=args.seed))
    print("\narea                                  nodes  cands  plan_roads  benefits  full (extrap.)  ratio")
    for r in rows:
        print(f"{r['area']:<36} {r['nodes']:>7,} {r['candidates']:>6} {r['plan_s']:>10.1f}s {r['benefits_s']:>8.2f}s "
              f"{r['full_extrapolated_s']:>13.0f}s {r['full_extrapolated_s'] / r['benefits_s']:>6,.0f}x")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
