"""The commands an officer runs, end to end, against their floor measured in the same run.

For generated study areas of about 30k, 300k and 1M road nodes (``--sizes``),
every command runs as a user runs it (a fresh ``safegeo`` process, reading
the study, every stage, writing its files and maps): ``prepare``, ``map``,
``evacuate`` (its defaults: capacity and the flood), ``coverage``,
``response`` and ``dispatch``.  Each prints its wall time, its peak memory and
the time of each stage (from ``safegeo -v``).

``prepare`` keeps the networks in the cache (the network GeoPackages are
written only with ``--network-gpkg``, not asked for here).

The floor of a command is what it cannot do without, measured in its own
fresh process: reading the layers it needs with pyogrio (Arrow), its scipy
kernel (the multi-source Dijkstra from the shelters / bases on the prepared
network's CSR; coverage: the light discs against the segments' tree), and
writing as many rows as its outputs hold with pyogrio through Arrow.  The
ratio command / floor is what safegeo adds.

Targets at 1M nodes on this machine: every command under 30 s and 6 GB, and
no command over 3x its floor.

Run: ``python benchmarks/bench_cli.py [--sizes 30000,300000,1000000] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SAFEGEO = [PY, "-c", "from safegeo.cli import main; main()"]

FLOOR = r'''
import json, sys, time
from pathlib import Path
import numpy as np, pandas as pd, pyogrio, shapely
from scipy.sparse.csgraph import dijkstra
cmd, study_dir, out, cache = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
gpkg = study_dir / "layers.gpkg"

def read(layer):
    return pyogrio.read_dataframe(gpkg, layer=layer, use_arrow=True)

def write(frames):
    for i, (name, df) in enumerate(frames.items()):
        pyogrio.write_dataframe(df, out / "floor.gpkg", layer=name, driver="GPKG", use_arrow=True, append=i > 0)

def network(mode="drive"):
    from safegeo.network.cache import load_network
    from safegeo._errors import NetworkError
    for meta in cache.glob("*/meta.json"):
        if json.loads(meta.read_text())["mode"] == mode:
            try:
                return load_network(meta.parent)
            except NetworkError:  # an entry of an older format
                continue
    raise SystemExit("no prepared network: run prepare first")

if cmd in ("evacuate", "response", "dispatch"):
    net = network()
    m = net.csr("time", reverse=True).matrix
if cmd == "evacuate":
    vill, sh = read("villages"), pd.read_csv(study_dir / "shelters.csv")
    dijkstra(m, indices=np.linspace(0, net.n_nodes - 1, len(sh)).astype(int), min_only=True)
    write({"assignments": vill, "routes": vill})
elif cmd == "response":
    veh, vill = read("vehicles"), read("villages")
    for t in np.unique(veh["type"]):
        k = int((veh["type"] == t).sum())
        dijkstra(m.T.tocsr(), indices=np.linspace(0, net.n_nodes - 1, k).astype(int), min_only=True)
    write({"villages": pd.concat([vill] * len(np.unique(veh["type"])), ignore_index=True)})
elif cmd == "dispatch":
    veh = read("vehicles")
    dijkstra(m, indices=[net.n_nodes // 2], limit=1800)
elif cmd == "coverage":
    roads, lights = read("roads"), read("lights")
    tree = shapely.STRtree(roads.geometry.values)
    tree.query(lights.geometry.buffer(25).values, predicate="intersects")
    write({"segments": roads, "gaps": roads})
elif cmd == "prepare":
    layers = {n: read(n) for n in pyogrio.list_layers(gpkg)[:, 0]}
    write(layers)
elif cmd == "map":
    for n in ("districts", "villages", "shelters"):
        df = read(n) if n != "shelters" else pd.read_csv(study_dir / "shelters.csv")
        (df.to_crs(4326).to_json() if hasattr(df, "to_crs") else df.to_json())
'''


#: Runs a command and reports its own peak memory (a fresh process: children's accounting starts at zero).
_WRAP = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
         "print('maxrss', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
         "sys.exit(p.returncode)")


def _rss_of(cmd: list[str], env: dict) -> tuple[float, float, str, int]:
    """Run *cmd*; (wall seconds, peak RSS in GB of that process, stderr, exit code)."""
    t = time.perf_counter()
    p = subprocess.run([PY, "-c", _WRAP, *cmd], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    m = re.findall(r"^maxrss (\d+)$", p.stderr, flags=re.M)
    return wall, (int(m[-1]) / 1e6 if m else float("nan")), p.stderr, p.returncode


def _stages(stderr: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in re.finditer(r"^\w[\w ]*: (.+?)\s+([\d.]+) s$", stderr, flags=re.M):
        out[m.group(1).strip()] = float(m.group(2))
    return out


def _commands(study: Path, out: Path, fleet_at: str) -> dict[str, list[str]]:
    s = str(study)
    return {
        "prepare": ["prepare", s, "--out", str(out / "prepared")],
        "map": ["map", s, "--layers", "districts,villages,shelters", "--out", str(out / "map.html"), "--overwrite"],
        "evacuate": ["evacuate", s, "--out", str(out / "evac")],
        "coverage": ["coverage", s, "--out", str(out / "cov")],
        "response": ["response", s, "--out", str(out / "resp")],
        "dispatch": ["dispatch", s, "--at", fleet_at, "--n", "3", "--json"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="30000,300000,1000000")
    ap.add_argument("--commands", default="prepare,map,evacuate,coverage,response,dispatch")
    ap.add_argument("--keep", default=None, help="folder for the generated areas (kept between runs)")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="safegeo-bench-cli-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(v) for v in args.sizes.split(",")]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SAFEGEO_CACHE_DIR": str(work / f"cache_{n}")}
        area = work / f"area_{n}"
        if not (area / "study.toml").exists():
            subprocess.run([*SAFEGEO, "generate", "--nodes", str(n), "--out", str(area)], check=True, env=env,
                           capture_output=True)
        import geopandas as gpd

        v = gpd.read_file(area / "layers.gpkg", layer="villages", rows=1).to_crs(4326).geometry.iloc[0]
        out = work / f"out_{n}"
        out.mkdir(exist_ok=True)
        cmds = _commands(area / "study.toml", out, f"{v.x:.6f},{v.y:.6f}")
        for name in args.commands.split(","):
            wall, gb, err, code = _rss_of([*SAFEGEO, "-v", *cmds[name]], env)
            floor, _, fl_err, fl_code = _rss_of([PY, "-c", FLOOR, name, str(area), str(out),
                                                 env["SAFEGEO_CACHE_DIR"]], env)
            if fl_code != 0:
                floor = float("nan")
                print(f"floor of {name} failed: {fl_err.strip().splitlines()[-1:]}", flush=True)
            rows.append((n, name, wall, gb, floor, code, _stages(err)))
            status = "" if code == 0 else f"  EXIT {code}: {err.strip().splitlines()[-1][:100] if err else ''}"
            print(f"{n:>9,} {name:<9} {wall:8.1f} s {gb:6.2f} GB   floor {floor:7.1f} s   x{wall / floor:5.1f}{status}",
                  flush=True)
            for stage, sec in _stages(err).items():
                print(f"{'':>20}{stage:<34}{sec:8.2f} s")
    print()
    print(f"{'nodes':>9} {'command':<9} {'seconds':>8} {'GB':>6} {'floor s':>8} {'ratio':>6}")
    for n, name, wall, gb, floor, code, _ in rows:
        flag = "" if code == 0 else " (failed)"
        print(f"{n:>9,} {name:<9} {wall:8.1f} {gb:6.2f} {floor:8.1f} {wall / floor:6.1f}{flag}")
    big = [r for r in rows if r[0] >= 1_000_000]
    if big:
        ok = all(r[2] < 30 and r[3] < 6 and r[2] / r[4] <= 3 for r in big)
        print(f"targets at 1M nodes (< 30 s, < 6 GB, <= 3x floor): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
