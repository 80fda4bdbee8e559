"""Network build benchmark: RoadNetwork + CSR from a generated graph, against networkx in the same run.

    python benchmarks/bench_network.py [--nodes 1000000] [--repeat 3]

Prints one table: the time to build safegeo's network (largest strongly
connected component included) and its CSR arrays (forward and reversed), and
the same graph built as a networkx DiGraph and converted with
``nx.to_scipy_sparse_array`` (which, unlike safegeo, *sums* parallel edges).
"""

from __future__ import annotations

import argparse
import time

from _timing import best_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-networkx", action="store_true")
    args = ap.parse_args()

    from safegeo.generate import synthetic_road_graph
    from safegeo.network import RoadNetwork, build_csr

    t = time.perf_counter()
    g = synthetic_road_graph(args.nodes, seed=1)
    t_gen = time.perf_counter() - t
    print(f"generated {len(g.x):,} nodes / {len(g.u):,} segments in {t_gen:.2f} s")

    t_net, net = best_of(lambda: RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs="EPSG:32647", highway=g.highway,
                                                          oneway=g.oneway), args.repeat)
    t_csr, _ = best_of(lambda: build_csr(net.n_nodes, net.u, net.v, net.time_s), args.repeat)
    t_rcsr, _ = best_of(lambda: build_csr(net.n_nodes, net.u, net.v, net.time_s, reverse=True), args.repeat)
    rows = [
        ("safegeo RoadNetwork.from_arrays (incl. SCC)", t_net),
        ("safegeo CSR build (forward)", t_csr),
        ("safegeo CSR build (reversed)", t_rcsr),
    ]
    if not args.skip_networkx:
        import networkx as nx

        def nx_build():
            G = nx.DiGraph()
            G.add_weighted_edges_from(zip(net.u.tolist(), net.v.tolist(), net.time_s.tolist()), weight="time")
            return G

        t_nx, G = best_of(nx_build, 1)
        t_nxsp, _ = best_of(lambda: nx.to_scipy_sparse_array(G, weight="time", format="csr"), 1)
        rows += [("networkx DiGraph build (baseline)", t_nx), ("networkx to_scipy_sparse_array", t_nxsp)]
        base = t_nx + t_nxsp
    else:
        base = None
    print(f"\nnetwork: {net.n_nodes:,} nodes, {net.n_edges:,} directed edges (largest SCC)")
    print(f"{'step':<46} {'seconds':>9} {'vs nx build+csr':>16}")
    for name, sec in rows:
        ratio = f"{base / sec:>15.1f}x" if base else "—"
        print(f"{name:<46} {sec:>9.3f} {ratio:>16}")
    target = "OK" if t_csr < 2.0 else "SLOW"
    print(f"\nCSR build target < 2 s at 1M nodes: {t_csr:.3f} s ({target})")


if __name__ == "__main__":
    main()
