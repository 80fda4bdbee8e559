"""Public-filter benchmark: the cost of ``public=True`` on a large map layer and on a GeoPackage write.

    .venv/bin/python benchmarks/bench_privacy.py [--n 200000] [--repeat 3]

Builds *n* seeded points with an id, a distinct Thai/English name (every 50th
with a phone number in it), a contact, notes and a population, and times, in
the same run:

* ``SafegeoMap(public=False).add_points(...)`` (the baseline) against
  ``public=True`` (drops the contact and notes, scrubs the names);
* ``public_frame`` alone on the layer, against ``frame.copy()``.

Target: a public map costs less than 1.5x a full one.
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
from _timing import best_of

from safegeo.maps import SafegeoMap
from safegeo.privacy import REMOVED, public_frame

SEED = 20240611


def layer(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(SEED)
    names = np.array([f"บ้าน {i % 97} Ban {i}" for i in range(n)], dtype=object)
    names[::50] = [f"Shop {i} โทร 08{i % 10}-{i % 1000:03d}-{i % 10000:04d}" for i in range(0, n, 50)]
    return gpd.GeoDataFrame(
        {"village_id": np.arange(n), "name": names, "contact": [f"08{i % 10}-222-{i % 10000:04d}" for i in range(n)],
         "notes": ["driver Somchai"] * n, "population": rng.integers(10, 3000, n)},
        geometry=gpd.points_from_xy(rng.uniform(101.5, 102.1, n), rng.uniform(5.8, 6.6, n)), crs="EPSG:4326")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    gdf = layer(args.n)

    def draw(public: bool):
        m = SafegeoMap(title="bench", public=public, tiles=False)
        return m.add_points(gdf, name="villages", tooltip=["name", "population", "contact"], popup=["notes"])

    full_s, _ = best_of(lambda: draw(False), args.repeat)
    pub_s, _ = best_of(lambda: draw(True), args.repeat)
    copy_s, _ = best_of(gdf.copy, args.repeat)
    frame_s, out = best_of(lambda: public_frame(gdf), args.repeat)
    scrubbed = int(out["name"].str.contains(REMOVED, regex=False).sum())
    print(f"{args.n:,} points; {scrubbed:,} names scrubbed; columns left {list(out.columns)}")
    print(f"{'step':<32}{'seconds':>10}{'ratio':>10}")
    print(f"{'map layer, full (baseline)':<32}{full_s:>10.3f}{1.0:>10.2f}")
    print(f"{'map layer, public':<32}{pub_s:>10.3f}{pub_s / full_s:>10.2f}")
    print(f"{'frame.copy() (baseline)':<32}{copy_s:>10.3f}{1.0:>10.2f}")
    print(f"{'public_frame()':<32}{frame_s:>10.3f}{frame_s / copy_s:>10.2f}")


if __name__ == "__main__":
    main()
