"""Exposure benchmark: people per tambon from a 20,000 x 20,000 population raster, against rasterstats in the same run.

    python benchmarks/bench_exposure.py [--size 20000] [--polygons 7400] [--sample 50] [--repeat 1]
                                        [--keep DIR] [--skip-baselines] [--skip-exactextract]

Generates (seeded) a tiled, deflate-compressed float32 GeoTIFF of people per
100 m cell in UTM 47N (clustered settlements, zeros between them, a nodata
"sea" strip along the east edge) and a Voronoi tessellation of ``--polygons``
random points over it (Thailand has about 7,400 tambons), then times:

* **safegeo** ``zonal_sums`` (exact fractional cell coverage);
* **exactextract** 0.3 ``exact_extract(..., "sum")`` (the same exact
  definition; the library candidate, if installed);
* **rasterstats** ``zonal_stats(..., stats="sum", all_touched=False)``: cells
  whose centre is inside;
* **rasterio mask loop**: ``rasterio.mask.mask(crop=True)`` per polygon, then
  the sum of the unmasked cells (cell centres too);
* **read only**: one pass reading the raster in strips (the floor for any
  method that must look at every cell).

Accuracy: for ``--sample`` polygons an independent exact reference intersects
the polygon with every cell box it touches (shapely) and weights each cell by
the area fraction; the table gives each method's max and median relative
error per polygon against it.  Targets: safegeo < 10 s, >= 5x rasterstats,
within 0.5 % of the reference per polygon.

The raster (about 0.3 GB) is written to a temporary folder, or kept in
``--keep DIR`` and reused by later runs with the same size and seed.

The synthetic tambons are large (about 54,000 cells each), so cell-centre
methods are only slightly off there.  When ``../shared/data`` is present the
run ends with the real case: Narathiwat's 77 tambons over the 520 m under-5
raster (tens of cells per tambon), where they are not.
"""

from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from _timing import best_of

SEED = 20240611
CELL_M = 100.0
X0, Y1 = 600_000.0, 900_000.0  # top-left corner, UTM 47N
CRS = "EPSG:32647"
NODATA = -99999.0


def make_raster(path: Path, size: int, *, seed: int = SEED, block: int = 2048) -> None:
    """People per 100 m cell: settlement clusters on a 10 km intensity field, zeros between, a nodata sea strip."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    coarse_n = size // 100 + 1
    intensity = np.random.default_rng(seed).gamma(0.5, 1.0, size=(coarse_n, coarse_n))
    occupied = np.minimum(0.3 * intensity, 0.9)
    sea_col = int(size * 0.97)  # the last 3 % of columns are sea (nodata)
    prof = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32", "crs": CRS,
            "transform": from_origin(X0, Y1, CELL_M, CELL_M), "nodata": NODATA, "tiled": True,
            "blockxsize": 512, "blockysize": 512, "compress": "deflate", "zlevel": 1, "BIGTIFF": "IF_SAFER"}
    tmp = path.with_suffix(".part.tif")
    with rasterio.open(tmp, "w", **prof) as ds:
        for i0 in range(0, size, block):
            for j0 in range(0, size, block):
                h, w = min(block, size - i0), min(block, size - j0)
                rng = np.random.default_rng([seed, i0, j0])
                p = occupied[np.ix_(np.arange(i0, i0 + h) // 100, np.arange(j0, j0 + w) // 100)]
                v = np.zeros((h, w), dtype=np.float32)
                occ = rng.random((h, w)) < p
                v[occ] = rng.gamma(1.5, 4.0, int(occ.sum()))
                cols = np.arange(j0, j0 + w)
                v[:, cols >= sea_col] = NODATA
                ds.write(v, 1, window=Window(j0, i0, w, h))
    tmp.rename(path)


def make_polygons(n: int, size: int, *, seed: int = SEED) -> gpd.GeoDataFrame:
    """A Voronoi tessellation of n random points over the raster (tambon-like cells of ~size²/n cells)."""
    rng = np.random.default_rng(seed + 1)
    span = size * CELL_M
    pts = np.column_stack([X0 + rng.random(n) * span, Y1 - rng.random(n) * span])
    env = shapely.box(X0, Y1 - span, X0 + span, Y1)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env))
    cells = shapely.intersection(cells, env)
    return gpd.GeoDataFrame({"tambon": np.arange(len(cells))}, geometry=cells, crs=CRS)


def exact_reference(path: Path, polys: np.ndarray) -> np.ndarray:
    """Independent exact sums: every cell box a polygon touches, weighted by its area fraction (shapely)."""
    import rasterio
    from rasterio.windows import Window

    out = np.zeros(len(polys))
    with rasterio.open(path) as ds:
        inv = ~ds.transform
        for k, poly in enumerate(polys):
            minx, miny, maxx, maxy = poly.bounds
            c0, r0 = (math.floor(v) for v in inv * (minx, maxy))
            c1, r1 = (math.ceil(v) for v in inv * (maxx, miny))
            c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, ds.width), min(r1, ds.height)
            vals = ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True).astype(np.float64)
            rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
            x = ds.transform.c + ds.transform.a * cc.ravel()
            y = ds.transform.f + ds.transform.e * rr.ravel()
            boxes = shapely.box(x, y + ds.transform.e, x + ds.transform.a, y)
            shapely.prepare(poly)
            frac = np.zeros(len(boxes))
            inside = shapely.contains(poly, boxes)
            frac[inside] = 1.0
            edge = ~inside & shapely.intersects(poly, boxes)
            frac[edge] = shapely.area(shapely.intersection(poly, boxes[edge])) / abs(ds.transform.a * ds.transform.e)
            out[k] = float(np.sum(np.ma.filled(vals, 0.0).ravel() * frac))
    return out


def read_only(path: Path, rows: int = 800) -> float:
    import rasterio
    from rasterio.windows import Window

    total = 0.0
    with rasterio.open(path) as ds:
        for i0 in range(0, ds.height, rows):
            strip = ds.read(1, window=Window(0, i0, ds.width, min(rows, ds.height - i0)))
            total += float(strip[strip != ds.nodata].sum(dtype=np.float64))
    return total


def rasterstats_sums(path: Path, polys: gpd.GeoDataFrame) -> np.ndarray:
    from rasterstats import zonal_stats

    res = zonal_stats(list(polys.geometry.values), str(path), stats="sum", all_touched=False)
    return np.array([r["sum"] if r["sum"] is not None else 0.0 for r in res], dtype=np.float64)


def mask_loop_sums(path: Path, polys: gpd.GeoDataFrame) -> np.ndarray:
    import rasterio
    from rasterio.mask import mask

    out = np.zeros(len(polys))
    with rasterio.open(path) as ds:
        for k, g in enumerate(polys.geometry.values):
            arr, _ = mask(ds, [g], crop=True, filled=False)
            out[k] = float(arr.sum(dtype=np.float64)) if arr.count() else 0.0
    return out


def exactextract_sums(path: Path, polys: gpd.GeoDataFrame) -> np.ndarray:
    from exactextract import exact_extract

    return exact_extract(str(path), polys, "sum", output="pandas")["sum"].to_numpy(dtype=np.float64)


def real_data(shared: Path, *, skip_baselines: bool) -> None:
    """Narathiwat tambons (EPSG:4326) over the real under-5 raster (EPSG:32647, 520 m): errors per tambon."""
    from safegeo.exposure import zonal_sums

    tambon_file = shared / "th_narathiwat_fullres_cctvnara" / "narathiwat_tambon_fullres.geojson"
    raster = shared / "th_u5pd_raster_spax" / "u5pd.tif"
    if not (tambon_file.exists() and raster.exists()):
        print(f"\nreal data not found in {shared}; skipped")
        return
    tambons = gpd.read_file(tambon_file)
    utm = tambons.to_crs(32647)  # the baselines need the raster's CRS; safegeo takes the lon/lat polygons
    ref = exact_reference(raster, utm.geometry.values)
    rows = [("safegeo zonal_sums (lon/lat polygons)", *best_of(lambda: zonal_sums(raster, tambons), 3))]
    if not skip_baselines:
        rows.append(("rasterstats zonal_stats sum (centres)", *best_of(lambda: rasterstats_sums(raster, utm), 3)))
        rows.append(("rasterio mask loop (centres)", *best_of(lambda: mask_loop_sums(raster, utm), 3)))
    print(f"\nreal data: {len(tambons)} Narathiwat tambons over u5pd.tif (520 m cells), {ref.sum():,.0f} children")
    print(f"{'method':40s} {'time s':>8s} {'max rel err':>12s} {'median rel err':>15s} {'tambons > 0.5 % off':>20s}")
    for name, secs, vals in rows:
        mx, med = errors(vals, ref)
        off = int(np.sum(np.abs(vals - ref) > 0.005 * ref))
        print(f"{name:40s} {secs:8.3f} {mx:12.2e} {med:15.2e} {off:20d}")


def errors(values: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    ok = ref > 0
    rel = np.abs(values[ok] - ref[ok]) / ref[ok]
    return float(rel.max()), float(np.median(rel))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=20_000, help="raster width and height in cells (100 m)")
    ap.add_argument("--polygons", type=int, default=7_400)
    ap.add_argument("--sample", type=int, default=50, help="polygons checked against the exact reference")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="folder to keep (and reuse) the generated raster in")
    ap.add_argument("--skip-baselines", action="store_true", help="skip rasterstats and the rasterio mask loop")
    ap.add_argument("--skip-exactextract", action="store_true")
    ap.add_argument("--shared-data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"),
                    help="folder of the real data (Narathiwat tambons, under-5 raster); skipped when absent")
    args = ap.parse_args()

    from safegeo.exposure import zonal_sums

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"pop_{args.size}_{SEED}.tif"
        if not path.exists():
            t = time.perf_counter()
            make_raster(path, args.size)
            print(f"generated {args.size:,} x {args.size:,} raster ({path.stat().st_size / 2**20:,.0f} MB) "
                  f"in {time.perf_counter() - t:.1f} s")
        polys = make_polygons(args.polygons, args.size)
        print(f"{len(polys):,} Voronoi polygons, mean {polys.area.mean() / 1e6:.1f} km² "
              f"({polys.area.mean() / CELL_M**2:,.0f} cells)")

        rows: list[tuple[str, float, np.ndarray | None]] = []
        t_read, _ = best_of(lambda: read_only(path), args.repeat)
        rows.append(("read only (strips, no sums)", t_read, None))
        t_sg, sg = best_of(lambda: zonal_sums(path, polys), args.repeat)
        rows.append(("safegeo zonal_sums (exact)", t_sg, sg))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS after safegeo: {peak_mb:,.0f} MB, GDAL's block cache (GDAL_CACHEMAX) included; "
              f"the raster is {args.size**2 * 4 / 2**20:,.0f} MB as float32")
        if not args.skip_exactextract:
            try:
                t_ee, ee = best_of(lambda: exactextract_sums(path, polys), args.repeat)
                rows.append(("exactextract 0.3 exact_extract sum", t_ee, ee))
            except ImportError:
                print("exactextract not installed; skipped (pip install exactextract)")
        t_rs = None
        if not args.skip_baselines:
            t_rs, rs = best_of(lambda: rasterstats_sums(path, polys), args.repeat)
            rows.append(("rasterstats zonal_stats sum (centres)", t_rs, rs))
            t_mk, mk = best_of(lambda: mask_loop_sums(path, polys), args.repeat)
            rows.append(("rasterio mask loop (centres)", t_mk, mk))

        sample = np.random.default_rng(SEED + 2).choice(len(polys), size=min(args.sample, len(polys)), replace=False)
        t = time.perf_counter()
        ref = exact_reference(path, polys.geometry.values[sample])
        t_ref = time.perf_counter() - t

        print(f"\nexact reference (shapely cell boxes) for {len(sample)} polygons: {t_ref:.1f} s")
        print(f"{'method':40s} {'time s':>8s} {'vs safegeo':>11s} {'max rel err':>12s} {'median rel err':>15s}")
        for name, secs, vals in rows:
            ratio = f"{secs / t_sg:10.1f}x"
            if vals is None:
                print(f"{name:40s} {secs:8.2f} {ratio} {'':>12s} {'':>15s}")
                continue
            mx, med = errors(vals[sample], ref)
            print(f"{name:40s} {secs:8.2f} {ratio} {mx:12.2e} {med:15.2e}")
        print(f"\nraster total {read_only(path):,.0f} people; safegeo sum over the tessellation {sg.sum():,.0f}")
        real_data(Path(args.shared_data), skip_baselines=args.skip_baselines)
        ok_time = t_sg < 10
        mx_sg = errors(sg[sample], ref)[0]
        line = f"targets: safegeo {t_sg:.1f} s < 10 s: {'yes' if ok_time else 'NO'}; max error {mx_sg:.1e} < 0.5 %: " \
               f"{'yes' if mx_sg < 0.005 else 'NO'}"
        if t_rs is not None:
            line += f"; {t_rs / t_sg:.1f}x rasterstats >= 5x: {'yes' if t_rs / t_sg >= 5 else 'NO'}"
        print(line)


if __name__ == "__main__":
    main()
