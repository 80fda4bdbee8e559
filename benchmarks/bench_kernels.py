"""Benchmark: the compiled kernels (k nearest shelters, bridges) and the transportation solvers.

For each size (default 100 000, 300 000 and 1 000 000 nodes) a road network
is made with :func:`safegeo.generate.synthetic_road_graph`; shelters are
``nodes / 100`` random nodes; ``k = 20``.  Measured in the same run:

* :func:`safegeo.kernels.k_nearest_sources` (one multi-label pass, travel
  time, reversed graph) against the floor, one multi-source
  ``csgraph.dijkstra(indices=shelters, min_only=True)`` (the nearest shelter
  only), and against today's approach in ``assign_with_capacity``: one full
  Dijkstra per shelter (timed on a sample of shelters in chunks, scaled to all
  of them);
* :func:`safegeo.kernels.road_bridges` against
  :func:`safegeo.routing.undirected_bridges` (networkx) and, when installed,
  igraph and rustworkx on the same deduplicated edge list (graph build
  included: that is what a caller pays);
* numba compile time: the first call in a fresh process with an empty cache
  directory (``NUMBA_CACHE_DIR``) and again with that cache filled;
* :func:`safegeo.evacuation.transport.solve_transport` with OR-Tools
  min-cost flow and HiGHS on generated instances (villages and shelters at
  random points, each village's 20 nearest shelters as candidates, costs
  distance / speed with noise, total capacity = total population).

Run::

    python benchmarks/bench_kernels.py                        # everything (~15 min)
    python benchmarks/bench_kernels.py --sizes 100000 --transport-origins 15000
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _timing import best_of
from scipy.sparse.csgraph import dijkstra

from safegeo.generate import synthetic_road_graph
from safegeo.kernels import k_nearest_sources, road_bridges
from safegeo.network import RoadNetwork
from safegeo.routing import undirected_bridges

REPO = Path(__file__).resolve().parents[1]


def compile_times() -> dict:
    """First call of both kernels in fresh processes: empty cache, then filled cache."""
    code = ("import time; t0 = time.perf_counter(); import numpy as np; import safegeo.kernels as K; "
            "from safegeo.network import build_csr; t1 = time.perf_counter(); "
            "c = build_csr(3, np.array([0, 1]), np.array([1, 2]), np.array([1., 1.]), reverse=True); "
            "K.k_nearest_sources(c, np.array([0]), k=2); t2 = time.perf_counter(); "
            "K.bridges_and_articulation_points(3, np.array([0, 1]), np.array([1, 2])); t3 = time.perf_counter(); "
            "print(t1 - t0, t2 - t1, t3 - t2)")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(REPO)}
        for label in ("cold", "warm"):
            res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            out[label] = [float(x) for x in res.stdout.split()]
    return out


def run_graph(n_nodes: int, *, k: int, per_shelter_sample: int, networkx: bool, repeat: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    g = synthetic_road_graph(n_nodes, seed=seed)
    net = RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs=g.crs, highway=g.highway, oneway=g.oneway,
                                  maxspeed_kph=g.maxspeed_kph)
    del g
    n = net.n_nodes
    csr = net.csr("time", reverse=True)
    shelters = rng.choice(n, n // 100, replace=False)
    row = {"nodes": n, "edges": net.n_edges, "shelters": len(shelters)}

    row["floor_s"], _ = best_of(lambda: dijkstra(csr.matrix, directed=True, indices=shelters, min_only=True), repeat)
    row["knn_s"], knn = best_of(lambda: k_nearest_sources(csr, shelters, k=k), repeat)
    row["labels"] = int((knn.source >= 0).sum())
    del knn
    gc.collect()
    # today's approach: one full Dijkstra per shelter, chunked as in assign_with_capacity
    sample = shelters[:per_shelter_sample]
    chunk = max(1, int(2e7 // n))
    t = time.perf_counter()
    for c0 in range(0, len(sample), chunk):
        dijkstra(csr.matrix, directed=True, indices=sample[c0:c0 + chunk])
    row["per_shelter_s"] = (time.perf_counter() - t) / len(sample) * len(shelters)

    row["bridges_s"], br = best_of(lambda: road_bridges(net), repeat)
    row["n_bridges"] = len(br)
    if networkx:
        t = time.perf_counter()
        want = undirected_bridges(net)
        row["nx_bridges_s"] = time.perf_counter() - t
        assert np.array_equal(want, br)
    # the libraries on the simple graph of junction pairs (what undirected_bridges hands networkx)
    a = np.minimum(net.u, net.v)
    b = np.maximum(net.u, net.v)
    pairs = np.unique(a * np.int64(n) + b)
    ea, eb = pairs // n, pairs % n
    try:
        import igraph

        def ig():
            gr = igraph.Graph(n=n, edges=np.column_stack([ea, eb]))
            return gr.bridges()

        row["igraph_s"], ib = best_of(ig, repeat)
        row["igraph_n"] = len(ib)
    except ImportError:
        pass
    try:
        import rustworkx as rx

        def rw():
            gr = rx.PyGraph(multigraph=False)
            gr.add_nodes_from(range(n))
            gr.add_edges_from_no_data(list(zip(ea.tolist(), eb.tolist())))
            return rx.bridges(gr)

        row["rustworkx_s"], rb = best_of(rw, 1)
        row["rustworkx_n"] = len(rb)
    except ImportError:
        pass
    return row


def transport_instance(n_o: int, n_s: int, k: int, seed: int, ratio: float = 1.0):
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    side = 100_000 * np.sqrt(n_o / 15_000)
    po = rng.random((n_o, 2)) * side
    ps = rng.random((n_s, 2)) * side
    d, idx = cKDTree(ps).query(po, k=k)
    cost = d / 10 * (1 + 0.3 * rng.random(d.shape))
    pop = rng.integers(20, 400, n_o)
    cap = rng.multinomial(int(pop.sum() * ratio), np.full(n_s, 1 / n_s))
    return np.repeat(np.arange(n_o), k), idx.ravel(), cost.ravel(), pop, cap


def run_transport(n_o: int, *, n_s: int, k: int, highs: bool, seed: int) -> dict:
    from safegeo.evacuation.transport import solve_transport

    co, cs, cc, pop, cap = transport_instance(n_o, n_s, k, seed)
    row = {"origins": n_o, "shelters": n_s, "candidates": len(cc), "people": int(pop.sum())}
    t = time.perf_counter()
    mcf = solve_transport(co, cs, cc, pop, cap, solver="mcf")
    row["mcf_s"] = time.perf_counter() - t
    row["served"] = mcf.served
    row["mcf_cost"] = mcf.total_cost
    if highs:
        t = time.perf_counter()
        lp = solve_transport(co, cs, cc, pop, cap, solver="highs")
        row["highs_s"] = time.perf_counter() - t
        row["highs_cost"] = lp.total_cost
        assert lp.served == mcf.served
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--per-shelter-sample", type=int, default=40)
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--transport-origins", type=int, nargs="*", default=[15_000, 150_000])
    ap.add_argument("--transport-shelters", type=int, default=3_000)
    ap.add_argument("--highs-max-origins", type=int, default=15_000, help="HiGHS only up to this many origins")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    ct = compile_times()
    print(f"numba first call (import / k-nearest / bridges, s): cold cache {ct['cold']}, warm cache {ct['warm']}",
          flush=True)

    rows = []
    for size in a.sizes:
        r = run_graph(size, k=a.k, per_shelter_sample=a.per_shelter_sample, networkx=not a.no_networkx,
                      repeat=a.repeat, seed=a.seed)
        rows.append(r)
        print(f"done {size:,}: {r}", flush=True)
        gc.collect()
    trows = []
    for n_o in a.transport_origins:
        r = run_transport(n_o, n_s=a.transport_shelters, k=a.k, highs=n_o <= a.highs_max_origins, seed=a.seed)
        trows.append(r)
        print(f"done transport {n_o:,}: {r}", flush=True)

    print()
    print(f"k = {a.k} nearest shelters for every node (shelters = nodes / 100, travel time), best of {a.repeat}")
    print(f"{'nodes':>10} {'shelters':>9} {'floor min_only':>15} {'k-nearest':>10} {'/floor':>7} "
          f"{'per-shelter (extrap.)':>22} {'per-shelter/k-nearest':>22}")
    for r in rows:
        print(f"{r['nodes']:>10,} {r['shelters']:>9,} {r['floor_s']:>14.3f}s {r['knn_s']:>9.2f}s "
              f"{r['knn_s'] / r['floor_s']:>6.0f}x {r['per_shelter_s']:>21.1f}s {r['per_shelter_s'] / r['knn_s']:>21.1f}x")
    print()
    print("Bridges of the undirected road network (graph build included)")
    print(f"{'nodes':>10} {'bridges':>8} {'numba':>8} {'networkx':>9} {'nx/numba':>9} {'igraph':>8} {'ig/numba':>9} "
          f"{'rustworkx':>10} {'rx/numba':>9}")
    for r in rows:
        def cell(key, r=r):
            return (f"{r[key]:>7.2f}s {r[key] / r['bridges_s']:>8.1f}x" if key in r else f"{'-':>8} {'-':>9}")
        print(f"{r['nodes']:>10,} {r['n_bridges']:>8,} {r['bridges_s']:>7.3f}s {cell('nx_bridges_s')} "
              f"{cell('igraph_s')} {cell('rustworkx_s'):>20}")
    print()
    print(f"Transportation problem (k = {a.k} candidates per origin, total capacity = total people)")
    print(f"{'origins':>9} {'shelters':>9} {'candidates':>11} {'min-cost flow':>14} {'HiGHS':>9} {'HiGHS/mcf':>10} "
          f"{'cost rel. diff':>15}")
    for r in trows:
        h = r.get("highs_s")
        diff = abs(r["mcf_cost"] - r["highs_cost"]) / r["highs_cost"] if h else None
        print(f"{r['origins']:>9,} {r['shelters']:>9,} {r['candidates']:>11,} {r['mcf_s']:>13.2f}s "
              + (f"{h:>8.1f}s {h / r['mcf_s']:>9.0f}x {diff:>15.1e}" if h else f"{'-':>9} {'-':>10} {'-':>15}"))


if __name__ == "__main__":
    main()
