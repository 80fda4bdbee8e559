"""Benchmark: scenario ensembles, a sequential loop against Dask with 1 and 2 workers, in the same run.

Two cases, each with sampled bridge failures (``bridge_failure_p``, seeded)
on top of every hazard of the study:

* **demo**: the demo province (``data/demo/study.toml``, 6,000 road nodes,
  300 villages), 1,000 scenarios by default;
* **big**: a generated study area of ``--big-nodes`` road nodes (default
  1,000,000; 50,000 villages, 10,000 shelters), ``--big-samples`` scenarios.
  Generating it takes minutes, so it is cached under ``--cache`` (default
  ``$TMPDIR/safegeo-bench``) and its generation time is printed apart.

For each case and each way of running (``sequential``: a plain loop here;
``1 worker``, ``2 workers``: a :class:`~dask.distributed.LocalCluster` of
one-thread worker processes, reached through its address as a remote
scheduler would be) it prints:

* scenarios per second and the ratio to the sequential loop;
* the serial part: from the call to the first outcome (connect, send the
  prepared network to every worker, attach the villages and shelters, build
  the hazard state), less one scenario's work;
* the per-scenario time in the steady state (between the first and the last
  outcome) and its overhead over the work the workers measured;
* how many times each worker received the payload (must be 1: the network is
  sent once per worker, not per scenario), its size and pickling time;
* a check that every outcome equals the sequential one.

On paper, a machine with ``--paper-cores`` cores (default 16) then runs the
case in ``serial + n * per_scenario / cores`` seconds (Amdahl, from the
1-worker numbers; memory: each worker holds one copy of the payload).

Run::

    python benchmarks/bench_ensemble.py                                  # both cases, defaults
    python benchmarks/bench_ensemble.py --skip-big                       # demo only
    python benchmarks/bench_ensemble.py --demo-samples 200 --big-nodes 200000 --big-samples 20
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "study.toml"


def cached_area(cache: Path, n_nodes: int, seed: int) -> tuple[Path, float, bool]:
    """The study.toml of a generated area (generated once, then reused), its generation time and whether cached."""
    from safegeo.generate import generate_study_area

    out = cache / f"area-{n_nodes}-seed{seed}"
    meta = out / "generated.json"
    if meta.exists() and (out / "study.toml").exists():
        info = json.loads(meta.read_text())
        if info.get("n_nodes") == n_nodes and info.get("seed") == seed:
            return out / "study.toml", float(info["generate_s"]), True
    t = time.perf_counter()
    generate_study_area(out, n_nodes=n_nodes, seed=seed, overwrite=True)
    gen_s = time.perf_counter() - t
    meta.write_text(json.dumps({"n_nodes": n_nodes, "seed": seed, "generate_s": gen_s}))
    return out / "study.toml", gen_s, False


def prepare(study_toml: Path, *, samples: int, p_fail: float, seed: int, tmp: Path):
    from safegeo.ensemble import payload_for, read_scenarios
    from safegeo.study import load_study

    t = time.perf_counter()
    study = load_study(study_toml, layers=["villages", "shelters", "hazards"])
    study.network("drive")
    sc_file = tmp / f"scenarios-{study_toml.parent.name}.toml"
    sc_file.write_text(f'[[scenario]]\nname = "bridges"\nhazards = "all"\nbridge_failure_p = {p_fail}\n'
                       f"samples = {samples}\nseed = {seed}\n", encoding="utf-8")
    scenarios = read_scenarios(sc_file, study)
    payload = payload_for(study)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    blob = pickle.dumps(payload, protocol=5)
    pickle_s = time.perf_counter() - t
    t = time.perf_counter()
    pickle.loads(blob)
    unpickle_s = time.perf_counter() - t
    info = {"nodes": payload.network.n_nodes, "edges": payload.network.n_edges, "villages": len(payload.villages),
            "shelters": len(payload.shelters), "load_s": load_s, "payload_mb": len(blob) / 1e6,
            "pickle_s": pickle_s, "unpickle_s": unpickle_s,
            "bridges_failed": statistics.mean(s.meta.get("bridges_failed", 0) for s in scenarios)}
    del blob
    return payload, scenarios, info


def timed_run(payload, scenarios, *, workers: int | None) -> dict:
    """One run: sequential (workers None) or on a fresh LocalCluster of *workers* processes."""
    from safegeo.ensemble import run_scenarios

    arrivals: list[float] = []
    row: dict = {"mode": "sequential" if workers is None else f"{workers} worker{'s' if workers > 1 else ''}"}
    cluster = None
    try:
        if workers is None:
            address = "sequential"
        else:
            from dask.distributed import LocalCluster

            t = time.perf_counter()
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   memory_limit=0, scheduler_kwargs={"dashboard_address": ":0"})
            address = cluster.scheduler_address
            row["cluster_start_s"] = time.perf_counter() - t
        t0 = time.perf_counter()
        outcomes = run_scenarios(payload, scenarios, scheduler=address,
                                 progress=lambda done, total: arrivals.append(time.perf_counter()))
        row["wall_s"] = time.perf_counter() - t0
        if cluster is not None:
            from dask.distributed import Client

            def received() -> int:
                from safegeo.ensemble.run import RECEIVED

                return RECEIVED["payloads"]

            def rss_mb() -> float:
                import psutil

                return psutil.Process().memory_info().rss / 1e6

            with Client(address) as client:
                row["received"] = sorted(client.run(received).values())
                row["worker_rss_mb"] = max(client.run(rss_mb).values())
    finally:
        if cluster is not None:
            cluster.close()
    n = len(scenarios)
    secs = [o.seconds for o in outcomes]
    steady = statistics.median(secs)
    row["outcomes"] = outcomes
    row["failed"] = sum(not o.ok for o in outcomes)
    row["rate"] = n / row["wall_s"]
    row["first_s"] = arrivals[0] - t0
    row["serial_s"] = max(0.0, row["first_s"] - steady)
    row["per_scenario_s"] = (arrivals[-1] - arrivals[0]) / max(1, n - 1)
    # steady work per scenario (median, without the first scenario's setup) spread over the workers
    row["work_s"] = steady
    row["overhead_s"] = row["per_scenario_s"] - steady / (workers or 1)
    return row


def run_case(name: str, study_toml: Path, *, samples: int, p_fail: float, seed: int, workers: list[int],
             cores: int, tmp: Path) -> dict:
    payload, scenarios, info = prepare(study_toml, samples=samples, p_fail=p_fail, seed=seed, tmp=tmp)
    print(f"[{name}] {info['nodes']:,} nodes, {info['edges']:,} edges, {info['villages']:,} villages, "
          f"{info['shelters']:,} shelters; {len(scenarios)} scenarios (p = {p_fail}, "
          f"{info['bridges_failed']:.1f} bridges failed on average); load + network {info['load_s']:.1f} s; "
          f"payload {info['payload_mb']:.1f} MB, pickled in {info['pickle_s']:.2f} s, unpickled in "
          f"{info['unpickle_s']:.2f} s", flush=True)
    rows = []
    for w in [None, *workers]:
        r = timed_run(payload, scenarios, workers=w)
        rows.append(r)
        print(f"[{name}] {r['mode']}: {r['wall_s']:.1f} s, {r['rate']:.2f} scenarios/s, load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    base = rows[0]
    for r in rows[1:]:
        r["same"] = all(a.same_as(b) for a, b in zip(base["outcomes"], r["outcomes"], strict=True))
    one = next((r for r in rows if r["mode"] == "1 worker"), base)
    n = len(scenarios)
    paper_s = one["serial_s"] + n * one["per_scenario_s"] / cores
    return {"name": name, "info": info, "rows": rows, "n": n, "paper_s": paper_s, "cores": cores,
            "paper_gb": info["payload_mb"] / 1e3 * cores}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--demo-samples", type=int, default=1000)
    ap.add_argument("--big-nodes", type=int, default=1_000_000)
    ap.add_argument("--big-samples", type=int, default=100)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--bridge-failure-p", type=float, default=0.1)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--paper-cores", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7, help="seed of the bridge failure draws")
    ap.add_argument("--area-seed", type=int, default=None, help="seed of the generated area (default: the demo's)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "safegeo-bench")
    a = ap.parse_args()
    from safegeo.generate.geography import DEMO_SEED

    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    cases = []
    with tempfile.TemporaryDirectory(prefix="bench-ensemble-") as tmp:
        if not a.skip_demo:
            cases.append(run_case("demo", DEMO, samples=a.demo_samples, p_fail=a.bridge_failure_p, seed=a.seed,
                                  workers=a.workers, cores=a.paper_cores, tmp=Path(tmp)))
        if not a.skip_big:
            a.cache.mkdir(parents=True, exist_ok=True)
            toml, gen_s, cached = cached_area(a.cache, a.big_nodes, a.area_seed or DEMO_SEED)
            print(f"[big] generate_study_area(n_nodes={a.big_nodes:,}): {gen_s:.0f} s"
                  f"{' (cached in ' + str(toml.parent) + ')' if cached else ''}", flush=True)
            cases.append(run_case(f"{a.big_nodes:,} nodes", toml, samples=a.big_samples, p_fail=a.bridge_failure_p,
                                  seed=a.seed, workers=a.workers, cores=a.paper_cores, tmp=Path(tmp)))

    print()
    print("Scenario ensembles: sampled bridge failures on every hazard, evacuation with capacities, per scenario")
    hdr = (f"{'case':<16} {'scenarios':>9} {'run':<11} {'wall':>9} {'scen/s':>8} {'vs seq':>7} {'serial':>8} "
           f"{'per scen':>9} {'work':>8} {'overhead':>9} {'payload recv/worker':>20} {'same':>5}")
    print(hdr)
    for c in cases:
        base = c["rows"][0]
        for r in c["rows"]:
            recv = ",".join(map(str, r["received"])) if "received" in r else "-"
            same = "-" if "same" not in r else ("yes" if r["same"] else "NO")
            print(f"{c['name']:<16} {c['n']:>9} {r['mode']:<11} {r['wall_s']:>8.1f}s {r['rate']:>8.2f} "
                  f"{r['rate'] / base['rate']:>6.2f}x {r['serial_s']:>7.2f}s {r['per_scenario_s']:>8.3f}s "
                  f"{r['work_s']:>7.3f}s {1000 * r['overhead_s']:>7.0f}ms {recv:>20} {same:>5}")
    for c in cases:
        i = c["info"]
        one = next((r for r in c["rows"] if r["mode"] == "1 worker"), c["rows"][0])
        print(f"  {c['name']}: payload {i['payload_mb']:.1f} MB (pickle {i['pickle_s']:.2f} s, unpickle "
              f"{i['unpickle_s']:.2f} s), sent once per worker; cluster start "
              + ", ".join(f"{r['cluster_start_s']:.1f} s ({r['mode']})" for r in c["rows"] if "cluster_start_s" in r)
              + "; peak worker RSS "
              + ", ".join(f"{r['worker_rss_mb']:.0f} MB ({r['mode']})" for r in c["rows"] if "worker_rss_mb" in r))
        print(f"  {c['name']} on paper, {c['cores']} cores (1-worker serial {one['serial_s']:.1f} s + {c['n']} x "
              f"{one['per_scenario_s']:.3f} s / {c['cores']}): {c['paper_s']:.1f} s, "
              f"{c['n'] / c['paper_s']:.1f} scenarios/s, {c['rows'][0]['wall_s'] / c['paper_s']:.1f}x the sequential "
              f"loop here; about {c['paper_gb']:.1f} GB of payload copies")


if __name__ == "__main__":
    main()
