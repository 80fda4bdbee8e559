"""OSM reading benchmark: safegeo's reader against a raw pyosmium pass (and pyrosm, osmnx) on the same file.

    python benchmarks/bench_osm.py [--nodes 1000000] [--repeat 3] [--file roads.osm.pbf] [--with-osmnx]

Writes the generated road graph of *--nodes* nodes as an ``.osm.pbf``
(:func:`safegeo.generate.osm.write_osm`) unless *--file* names an existing
extract, then runs each reader in a fresh Python process (so peak memory,
C++ included, is the process's own maximum resident set size) and prints
one table: wall time of the reading (best of *--repeat* processes, the
readers taking turns; imports excluded), peak memory, and the time as a
multiple of the raw pass.

* ``raw pyosmium pass`` - ``osmium.FileProcessor`` over nodes and ways,
  counting them: the least any Python reader of the file does;
* ``safegeo from_osm_file`` - the file to a routable drive
  :class:`~safegeo.network.RoadNetwork` (largest strongly connected part);
  the lines of backward edges are turned round on first use, timed apart
  and shown in the result column;
* ``pyrosm get_network`` - ``OSM(path).get_network("driving", nodes=True)``
  (nodes and edges GeoDataFrames), when pyrosm is installed; PBF only;
* ``osmnx graph_from_xml`` (with *--with-osmnx*) - the previous safegeo
  path: PBF to XML, osmnx graph, simplification, arrays.

Targets at 1M nodes: safegeo at most 2x the raw pass and at most 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOOLS = {
    "raw": "raw pyosmium pass (count nodes, ways)",
    "safegeo": "safegeo from_osm_file (drive)",
    "pyrosm": "pyrosm get_network (driving, nodes)",
    "osmnx": "osmnx graph_from_xml path (old safegeo)",
}


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (MB), C++ allocations included.

    ``VmHWM`` belongs to this program alone; ``getrusage``'s ``ru_maxrss`` of a
    child also counts the parent's memory at the fork.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1024**2)


def _child(tool: str, path: str) -> None:
    """Run one reader in this (fresh) process; print seconds, peak RSS and a size summary as JSON."""

    if tool == "raw":
        import osmium

        def run():
            n = w = 0
            for obj in osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY):
                if obj.is_node():
                    n += 1
                else:
                    w += 1
            return f"{n:,} nodes, {w:,} ways"
    elif tool == "safegeo":
        from safegeo.network import from_osm_file

        def run():
            net = from_osm_file(path, mode="drive")
            t = time.perf_counter()
            net.geometry  # noqa: B018 - backward edges' lines are turned round on first use: time it apart
            return (f"{net.n_nodes:,} nodes, {net.n_edges:,} directed edges "
                    f"(+{time.perf_counter() - t:.2f} s for all edge lines, on first use)"), time.perf_counter() - t
    elif tool == "pyrosm":
        from pyrosm import OSM

        def run():
            nodes, edges = OSM(path).get_network(network_type="driving", nodes=True)
            return f"{len(nodes):,} nodes, {len(edges):,} edges"
    elif tool == "osmnx":
        from safegeo.network import from_osmnx_graph, read_osm_graph

        def run():
            net = from_osmnx_graph(read_osm_graph(path), mode="drive")
            return f"{net.n_nodes:,} nodes, {net.n_edges:,} directed edges"
    else:
        raise SystemExit(f"unknown tool {tool}")
    t = time.perf_counter()
    what = run()
    sec = time.perf_counter() - t
    if isinstance(what, tuple):  # (summary, seconds of deferred work not part of the reading)
        what, deferred = what
        sec -= deferred
    rss_mb = _peak_rss_mb()
    print(json.dumps({"seconds": sec, "rss_mb": rss_mb, "what": what}))


def _run(tool: str, path: Path) -> dict | None:
    proc = subprocess.run([sys.executable, __file__, "--child", tool, str(path)], capture_output=True, text=True,
                          env=os.environ.copy())
    if proc.returncode != 0:
        print(f"{tool}: failed\n{proc.stderr.strip()[-800:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _measure(tools: list[str], path: Path, repeat: int) -> dict[str, dict | None]:
    """Best time and highest peak memory of each tool; the rounds interleave the tools (fair under a varying load)."""
    best: dict[str, dict | None] = {}
    for r in range(max(1, repeat)):
        for tool in tools:
            if (tool == "osmnx" and r > 0) or (tool in best and best[tool] is None):
                continue  # the old path runs once; a failed tool is not tried again
            out = _run(tool, path)
            prev = best.get(tool)
            if out is None or prev is None:  # failed, or the first round
                best[tool] = out
                continue
            best[tool] = {**(out if out["seconds"] < prev["seconds"] else prev),
                          "rss_mb": max(out["rss_mb"], prev["rss_mb"])}
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=1_000_000, help="size of the generated road graph")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per reader (best time is shown)")
    ap.add_argument("--file", type=Path, help="an existing OSM file instead of a generated one")
    ap.add_argument("--keep", type=Path, help="write the generated file here (kept) instead of a temporary folder")
    ap.add_argument("--with-osmnx", action="store_true", help="also time the old osmnx path (slow, memory-hungry)")
    ap.add_argument("--skip-pyrosm", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return

    with tempfile.TemporaryDirectory(prefix="bench-osm-") as tmp:
        path = args.file
        if path is None:
            from safegeo.generate import synthetic_road_graph
            from safegeo.generate.osm import write_osm

            path = args.keep or Path(tmp) / f"generated_{args.nodes}.osm.pbf"
            t = time.perf_counter()
            g = synthetic_road_graph(args.nodes, seed=args.seed)
            write_osm(g, path, overwrite=True)
            print(f"wrote {path.name}: {g.n_nodes:,} nodes, {g.n_edges:,} segments, "
                  f"{path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s")
        tools = ["raw", "safegeo"]
        if not args.skip_pyrosm and path.name.lower().endswith(".pbf"):
            try:
                import pyrosm  # noqa: F401

                tools.append("pyrosm")
            except ImportError:
                print("pyrosm not installed: skipped")
        if args.with_osmnx:
            tools.append("osmnx")
        results = _measure(tools, path, args.repeat)

    raw = results.get("raw")
    print(f"\n{path.name}  (best of {args.repeat} fresh processes; peak = the process's peak resident memory, VmHWM)")
    print(f"{'reader':<42} {'seconds':>8} {'peak MB':>8} {'x raw':>6}  result")
    for tool, res in results.items():
        if res is None:
            print(f"{TOOLS[tool]:<42} {'failed':>8}")
            continue
        ratio = f"{res['seconds'] / raw['seconds']:.2f}" if raw else "-"
        print(f"{TOOLS[tool]:<42} {res['seconds']:>8.2f} {res['rss_mb']:>8.0f} {ratio:>6}  {res['what']}")
    sg = results.get("safegeo")
    if raw and sg:
        ok_t = sg["seconds"] <= 2 * raw["seconds"]
        ok_m = sg["rss_mb"] <= 2048
        print(f"\ntargets: <= 2x raw pass: {sg['seconds'] / raw['seconds']:.2f}x ({'OK' if ok_t else 'MISSED'}); "
              f"<= 2 GB: {sg['rss_mb']:.0f} MB ({'OK' if ok_m else 'MISSED'})")


if __name__ == "__main__":
    main()
