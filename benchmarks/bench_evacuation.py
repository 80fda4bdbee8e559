"""Benchmark: nearest shelter for every node, against networkx and the osmnx per-origin approach.

For each size (default 100 000 and 1 000 000 nodes) a road network is made
with the demo generator (:func:`safegeo.generate.synthetic_road_graph`), 200
shelters are drawn at random nodes and **every node is an origin**.  Measured
in the same run, on the same graph:

* CSR build (reversed graph, cheapest parallel edge kept);
* the raw SciPy kernel ``csgraph.dijkstra(indices=shelters, min_only=True,
  return_predecessors=True)``;
* safegeo's :func:`~safegeo.routing.nearest_sources` (the kernel plus mapping
  every node to its shelter), end to end, and its ratio to the raw kernel;
* travel time and distance along the tree for all origins (pointer jumping);
* route geometries for 10 000 origins;
* networkx ``multi_source_dijkstra`` (distances and paths for every node);
* the osmnx per-origin approach (``osmnx.routing.shortest_path`` from an origin
  to every shelter, keep the nearest), timed on 20 origins and extrapolated to
  every node.  Each sample origin is routed to a random subset of the
  shelters (20; 5 at 1M nodes, where one path takes seconds) and the time is
  scaled by the shelter count (printed).

Run::

    python benchmarks/bench_evacuation.py                 # 100k and 1M
    python benchmarks/bench_evacuation.py --sizes 100000  # quicker
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np
from _timing import best_of
from scipy.sparse.csgraph import dijkstra

from safegeo.generate import synthetic_road_graph
from safegeo.network import RoadNetwork, build_csr
from safegeo.routing import (
    nearest_sources,
    route_geometries,
    tree_path_sums,
    tree_paths,
)


def run(n_nodes: int, *, n_shelters: int, n_routes: int, osmnx_sample: int, osmnx_shelters: int | None,
        networkx: bool, repeat: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    g = synthetic_road_graph(n_nodes, seed=seed)
    net = RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs=g.crs, highway=g.highway, oneway=g.oneway,
                                  maxspeed_kph=g.maxspeed_kph)
    gen_s = time.perf_counter() - t
    n = net.n_nodes
    row = {"nodes": n, "edges": net.n_edges, "generate_s": gen_s}

    row["csr_s"], csr = best_of(lambda: build_csr(n, net.u, net.v, net.time_s, reverse=True), repeat)
    shelters = rng.choice(n, n_shelters, replace=False)
    uniq = np.unique(shelters)

    row["scipy_s"], _ = best_of(lambda: dijkstra(csr.matrix, directed=True, indices=uniq, min_only=True,
                                               return_predecessors=True), repeat)
    row["safegeo_s"], tree = best_of(lambda: nearest_sources(csr, shelters), repeat)
    assert tree.reached.all() or tree.reached.mean() > 0.99

    def values():
        ne = tree.next_edge()
        step_t = np.where(ne >= 0, net.time_s[np.maximum(ne, 0)], 0.0)
        step_l = np.where(ne >= 0, net.length_m[np.maximum(ne, 0)], 0.0)
        return ne, tree_path_sums(tree.pred, step_t), tree_path_sums(tree.pred, step_l)

    row["values_s"], (ne, tt, _) = best_of(values, 1)
    np.testing.assert_allclose(tt[tree.reached], tree.cost[tree.reached], rtol=1e-9, atol=1e-6)

    origins = rng.choice(n, n_routes, replace=False)

    def routes():
        return route_geometries(net, tree_paths(tree, origins, next_edge=ne))

    row["routes_s"], geoms = best_of(routes, repeat)
    row["routes_n"] = int(sum(x is not None for x in geoms))

    if networkx:
        import networkx as nx

        t = time.perf_counter()
        grev = nx.DiGraph()
        grev.add_nodes_from(range(n))
        # reversed graph, cheapest parallel edge (as the CSR)
        m = csr.matrix.tocoo()
        grev.add_weighted_edges_from(zip(m.row.tolist(), m.col.tolist(), m.data.tolist()), weight="travel_time")
        del m
        row["nx_build_s"] = time.perf_counter() - t
        t = time.perf_counter()
        dist, _paths = nx.multi_source_dijkstra(grev, set(uniq.tolist()), weight="travel_time")
        row["networkx_s"] = time.perf_counter() - t
        chk = rng.choice(n, 1000, replace=False)
        got = np.array([dist.get(int(i), np.inf) for i in chk])
        np.testing.assert_allclose(got, tree.cost[chk], rtol=1e-9)
        del dist, _paths
        gc.collect()

        import osmnx as ox

        # osmnx wants a MultiDiGraph with a CRS; the same reversed graph, routed shelter -> origin
        gm = nx.MultiDiGraph(grev)
        gm.graph["crs"] = net.crs.to_string()
        del grev
        gc.collect()
        k = n_shelters if osmnx_shelters is None else min(osmnx_shelters, n_shelters)
        sample = rng.choice(n, osmnx_sample, replace=False)
        t = time.perf_counter()
        for o in sample.tolist():
            targets = uniq[:k] if k == len(uniq) else rng.choice(uniq, k, replace=False)
            paths = ox.routing.shortest_path(gm, targets.tolist(), [o] * len(targets), weight="travel_time")
            _ = paths  # the nearest is the cheapest path; its cost needs one more pass, not counted
        per_origin = (time.perf_counter() - t) / osmnx_sample * (len(uniq) / k)
        row["osmnx_per_origin_s"] = per_origin
        row["osmnx_s"] = per_origin * n
        row["osmnx_shelters_routed"] = k
        del gm
        gc.collect()
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--shelters", type=int, default=200)
    ap.add_argument("--routes", type=int, default=10_000)
    ap.add_argument("--osmnx-sample", type=int, default=20)
    ap.add_argument("--osmnx-shelters", type=int, default=20,
                    help="route each osmnx sample origin to this many shelters and scale up to all of them")
    ap.add_argument("--osmnx-shelters-1m", type=int, default=5, help="the same at >= 500k nodes")
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rows = []
    for size in a.sizes:
        r = run(size, n_shelters=a.shelters, n_routes=a.routes, osmnx_sample=a.osmnx_sample,
                osmnx_shelters=a.osmnx_shelters if size < 500_000 else a.osmnx_shelters_1m, networkx=not a.no_networkx,
                repeat=a.repeat, seed=a.seed)
        rows.append(r)
        print(f"done {size:,}: {r}", flush=True)

    print()
    print(f"All-origin nearest shelter ({a.shelters} shelters, every node an origin), best of {a.repeat}")
    hdr = (f"{'nodes':>10} {'edges':>10} {'CSR build':>10} {'scipy kernel':>13} {'safegeo':>9} {'/kernel':>8} "
           f"{'+time&dist':>11} {'10k routes':>11} {'networkx':>10} {'nx/safegeo':>11} {'osmnx per-origin (extrap.)':>27} "
           f"{'osmnx/safegeo':>14}")
    print(hdr)
    for r in rows:
        nx_s = r.get("networkx_s")
        ox_s = r.get("osmnx_s")
        print(f"{r['nodes']:>10,} {r['edges']:>10,} {r['csr_s']:>9.2f}s {r['scipy_s']:>12.3f}s {r['safegeo_s']:>8.3f}s "
              f"{r['safegeo_s'] / r['scipy_s']:>7.2f}x {r['values_s']:>10.3f}s {r['routes_s']:>10.3f}s "
              + (f"{nx_s:>9.2f}s {nx_s / r['safegeo_s']:>10.0f}x " if nx_s else f"{'-':>10} {'-':>11} ")
              + (f"{ox_s / 3600:>20.1f} hours {ox_s / r['safegeo_s']:>13.1e}x" if ox_s else f"{'-':>27} {'-':>14}"))
    for r in rows:
        if "osmnx_per_origin_s" in r:
            print(f"  {r['nodes']:,} nodes: osmnx {r['osmnx_per_origin_s'] * 1000:.0f} ms per origin "
                  f"(routed to {r['osmnx_shelters_routed']} of {a.shelters} shelters, scaled); "
                  f"networkx graph build {r['nx_build_s']:.1f} s (not counted); generator + network {r['generate_s']:.1f} s")
    print("Targets: safegeo <= 1.7x the kernel and < 0.5 s at 1M; >= 20x networkx; CSR build < 2 s.")


if __name__ == "__main__":
    main()
