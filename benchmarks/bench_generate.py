"""Generator benchmark: synthetic_road_graph at scale, the demo study area, a large study area.

    python benchmarks/bench_generate.py [--nodes 1000000] [--study-nodes 200000] [--repeat 1]

Prints one table: seconds for ``synthetic_road_graph(nodes)`` (with its node and
segment counts and the share of nodes in the largest connected component),
``generate_demo`` and ``generate_study_area(n_nodes=study_nodes)``.  Targets:
1M-node graph < 15 s, demo < 5 s, 200k-node study area < 120 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _timing import best_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=1_000_000, help="synthetic_road_graph size")
    ap.add_argument("--study-nodes", type=int, default=200_000, help="large study-area size (0 skips it)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from safegeo.generate import generate_demo, generate_study_area, synthetic_road_graph
    from safegeo.generate.geography import _geography

    t = time.perf_counter()
    _geography()  # fixed geography, built once per process
    t_geo = time.perf_counter() - t

    t_graph, g = best_of(lambda: synthetic_road_graph(args.nodes, seed=1), args.repeat)
    adj = coo_matrix((np.ones(g.n_edges), (g.u, g.v)), shape=(g.n_nodes, g.n_nodes))
    _, labels = connected_components(adj, directed=False)
    lcc = np.bincount(labels).max() / g.n_nodes

    rows = [("geography (once per process)", t_geo, "")]
    rows.append(
        (
            f"synthetic_road_graph({args.nodes:,})",
            t_graph,
            f"{g.n_nodes:,} nodes, {g.n_edges:,} segments ({g.n_edges / g.n_nodes:.2f}/node), LCC {lcc:.1%}",
        )
    )
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        t_demo, _ = best_of(lambda: generate_demo(Path(tmp) / "demo", overwrite=True), args.repeat)
        rows.append(("generate_demo", t_demo, ""))
        if args.study_nodes:
            t_big, _ = best_of(
                lambda: generate_study_area(Path(tmp) / "big", n_nodes=args.study_nodes, overwrite=True), args.repeat
            )
            size = (Path(tmp) / "big" / "layers.gpkg").stat().st_size / 1e6
            rows.append((f"generate_study_area(n_nodes={args.study_nodes:,})", t_big, f"layers.gpkg {size:.0f} MB"))

    print(f"{'step':<44} {'seconds':>9}  notes")
    for name, sec, note in rows:
        print(f"{name:<44} {sec:>9.2f}  {note}")


if __name__ == "__main__":
    main()
