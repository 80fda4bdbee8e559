"""Benchmark: a 100k-point safegeo map against plain Folium circle markers.

Measures build time (GeoDataFrame -> HTML on disk), file size and the time
headless Chromium needs to open the page and draw every feature, with the
network cut off.  Plain Folium loads Leaflet from a CDN, so its page gets the
same inlined Leaflet (CDN tags swapped out) to be opened offline.

Targets for safegeo: build < 5 s, file < 30 MB, open + draw < 3 s.

Run::

    .venv/bin/python benchmarks/bench_map.py [--points 100000] [--folium-points 20000] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import MapBrowser  # noqa: E402

from safegeo.maps import SafegeoMap  # noqa: E402
from safegeo.maps.page import _asset_block  # noqa: E402

SEED = 20240601
# Narathiwat, around 6.43N 101.82E
WEST, SOUTH, EAST, NORTH = 101.3, 5.8, 102.1, 6.6
KINDS = np.array(["shelter", "safe_area", "refuge", "hospital"])

FOLIUM_DRAWN_JS = """(n) => document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length >= n"""


def random_points(n: int, seed: int = SEED) -> gpd.GeoDataFrame:
    """``n`` seeded random shelters in UTM 47N (so the map must reproject)."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(WEST, EAST, n)
    lat = rng.uniform(SOUTH, NORTH, n)
    frame = gpd.GeoDataFrame(
        {
            "shelter_id": [f"S{i:06d}" for i in range(n)],
            "kind": KINDS[rng.integers(0, len(KINDS), n)],
            "capacity": rng.integers(20, 800, n),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    return frame.to_crs("EPSG:32647")


def build_safegeo(gdf: gpd.GeoDataFrame, out: Path) -> float:
    t0 = time.perf_counter()
    m = SafegeoMap(title="Benchmark", lang="en", synthetic=True, tiles=False)
    m.add_points(
        gdf, name="shelters", color_column="kind",
        categories={"shelter": "#0066cc", "safe_area": "#2ca02c", "refuge": "#9467bd", "hospital": "#d00000"},
        radius=3, tooltip=["shelter_id", "kind", "capacity"],
    )
    m.save(out)
    return time.perf_counter() - t0


def build_folium(gdf: gpd.GeoDataFrame, out: Path) -> float:
    t0 = time.perf_counter()
    wgs = gdf.to_crs("EPSG:4326")
    m = folium.Map(location=[(SOUTH + NORTH) / 2, (WEST + EAST) / 2], zoom_start=9, tiles=None)
    colours = {"shelter": "#0066cc", "safe_area": "#2ca02c", "refuge": "#9467bd", "hospital": "#d00000"}
    for x, y, sid, kind, cap in zip(wgs.geometry.x, wgs.geometry.y, wgs["shelter_id"], wgs["kind"], wgs["capacity"]):
        folium.CircleMarker(
            [y, x], radius=3, color="#ffffff", weight=1, fill=True, fill_color=colours[kind],
            fill_opacity=0.9, tooltip=f"{sid} {kind} {cap}",
        ).add_to(m)
    m.fit_bounds([[SOUTH, WEST], [NORTH, EAST]])
    m.save(str(out))
    return time.perf_counter() - t0


def offline_copy_of_folium(page: Path) -> Path:
    """Swap Folium's CDN tags for the inlined Leaflet used by safegeo (timing only)."""
    html = page.read_text(encoding="utf-8")
    html = re.sub(r'<script src="https?://[^"]*"></script>', "", html)
    html = re.sub(r'<link rel="stylesheet" href="https?://[^"]*"/>', "", html)
    html = html.replace("</head>", _asset_block(False) + "\n</head>", 1)
    offline = page.with_name(page.stem + ".offline.html")
    offline.write_text(html, encoding="utf-8")
    return offline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--folium-points", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=None, help="keep the pages here")
    args = parser.parse_args(argv)

    out_dir = args.out or Path(tempfile.mkdtemp(prefix="safegeo-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []

    gdf = random_points(args.points)
    sg_path = out_dir / "safegeo.html"
    sg_build = build_safegeo(gdf, sg_path)

    fgdf = random_points(args.folium_points, seed=SEED + 1)
    fo_path = out_dir / "folium.html"
    fo_build = build_folium(fgdf, fo_path)
    fo_offline = offline_copy_of_folium(fo_path)

    with MapBrowser() as browser:
        with browser.open(sg_path, timeout_s=60) as report:
            sg_open = report.load_s
            drawn = sum(report.drawn_counts.values())
            assert drawn == args.points, f"only {drawn} of {args.points} points drawn"
            assert not report.page_errors and not report.blocked_requests, report
        with browser.open(fo_offline, timeout_s=120,
                          ready_js=f"() => ({FOLIUM_DRAWN_JS})({args.folium_points})") as report:
            fo_open = report.load_s

    rows.append(("safegeo (canvas GeoJSON)", args.points, sg_build, sg_path.stat().st_size, sg_open))
    rows.append(("folium CircleMarker (SVG)", args.folium_points, fo_build, fo_path.stat().st_size, fo_open))

    print(f"{'map':<27}{'features':>9}{'build s':>9}{'MB':>8}{'open+draw s':>13}"
          f"{'build ms/1k':>13}{'KB/1k':>8}{'open ms/1k':>12}")
    for name, n, build, size, opened in rows:
        k = n / 1000
        print(f"{name:<27}{n:>9}{build:>9.2f}{size / 1e6:>8.1f}{opened:>13.2f}"
              f"{build * 1000 / k:>13.1f}{size / 1e3 / k:>8.1f}{opened * 1000 / k:>12.1f}")
    (_, n1, b1, s1, o1), (_, n2, b2, s2, o2) = rows
    per = lambda v, n: v / n  # noqa: E731
    print(f"{'per-feature ratio folium/safegeo':<36}"
          f"build x{per(b2, n2) / per(b1, n1):.1f}  size x{per(s2, n2) / per(s1, n1):.1f}  "
          f"open x{per(o2, n2) / per(o1, n1):.1f}")
    ok = sg_build < 5 and sg_path.stat().st_size < 30e6 and sg_open < 3
    print(f"targets (build < 5 s, file < 30 MB, open+draw < 3 s): {'met' if ok else 'MISSED'}")
    print(f"pages in {out_dir}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
