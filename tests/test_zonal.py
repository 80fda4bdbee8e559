"""Exact zonal sums of population rasters (safegeo.exposure.zonal).

Hand-checkable rasters built in tmp_path, an independent reference (shapely
intersection of the polygon with every cell box), and the real Narathiwat
tambons over the real under-5 raster.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import CRS, Geod, Transformer
from rasterio.transform import Affine, from_origin

from safegeo._errors import CRSError, LayerReadError, SafegeoError
from safegeo.exposure import (
    ExposureError,
    PopulationRaster,
    cell_area_km2,
    depth_class_polygons,
    exposure_sums,
    population_sums,
    regrid,
    zonal_sums,
)

UTM = "EPSG:32647"
X0, Y0 = 812_000.0, 711_000.0  # Mueang Narathiwat, UTM 47N


def write_raster(path: Path, values: np.ndarray, transform: Affine, *, crs: str = UTM,
                 nodata: float | None = None, dtype: str = "float32") -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype=dtype, crs=crs, transform=transform, nodata=nodata) as ds:
        ds.write(values.astype(dtype), 1)
    return path


def reference_sums(path: Path, polys: list, *, crs: str | None = None) -> np.ndarray:
    """Independent exact sums: each cell box the polygon touches, weighted by area(polygon ∩ box) / area(box)."""
    out = []
    with rasterio.open(path) as ds:
        vals = ds.read(1, masked=True).astype(np.float64)
        vals = np.ma.filled(np.ma.masked_invalid(vals), 0.0)
        t = ds.transform
        if crs is not None and CRS.from_user_input(crs) != CRS.from_user_input(ds.crs):
            polys = list(gpd.GeoSeries(polys, crs=crs).to_crs(ds.crs).values)
        rows, cols = np.meshgrid(np.arange(ds.height), np.arange(ds.width), indexing="ij")
        xa, ya = t.c + t.a * cols.ravel(), t.f + t.e * rows.ravel()
        xb, yb = xa + t.a, ya + t.e
        boxes = shapely.box(np.minimum(xa, xb), np.minimum(ya, yb), np.maximum(xa, xb), np.maximum(ya, yb))
        cell = abs(t.a * t.e)
    for p in polys:
        if p is None or p.is_empty:
            out.append(0.0)
            continue
        frac = shapely.area(shapely.intersection(p, boxes)) / cell
        out.append(float(np.sum(frac * vals.ravel())))
    return np.array(out)


@pytest.fixture
def ones3(tmp_path: Path) -> Path:
    """3 x 3 cells of 1 person, 1 m cells, corner (0, 0) bottom-left."""
    return write_raster(tmp_path / "ones.tif", np.ones((3, 3)), from_origin(0, 3, 1, 1))


# ----------------------------------------------------------------------------- hand-checkable


def test_two_and_a_half_cells(ones3: Path) -> None:
    got = zonal_sums(ones3, [shapely.box(0, 0, 2.5, 1)], crs=UTM)
    assert got == pytest.approx([2.5], rel=1e-12)


def test_polygon_inside_one_cell_gets_its_area_fraction(tmp_path: Path) -> None:
    v = np.zeros((4, 4))
    v[1, 2] = 40.0  # the cell x 200..300, y 100..200 (100 m cells, origin (0, 400))
    path = write_raster(tmp_path / "one.tif", v, from_origin(0, 400, 100, 100))
    tri = shapely.Polygon([(210, 210), (290, 220), (250, 290)])  # area 3,000 m² of a 10,000 m² cell
    sq = shapely.box(220, 220, 270, 240)  # 1,000 m²
    got = zonal_sums(path, gpd.GeoSeries([tri, sq], crs=UTM))
    assert got == pytest.approx([40 * tri.area / 10_000, 40 * 0.1], rel=1e-12)
    assert tri.area == pytest.approx(3000)


def test_nodata_and_nan_cells_add_nothing(tmp_path: Path) -> None:
    v = np.ones((3, 3))
    v[0, 0] = np.nan
    v[2, 2] = -9
    path = write_raster(tmp_path / "nd.tif", v, from_origin(0, 3, 1, 1), nodata=-9)
    got = zonal_sums(path, [shapely.box(0, 0, 3, 3), shapely.box(2, 0, 3, 1), shapely.box(-1, -1, 1.5, 1.5)], crs=UTM)
    assert got == pytest.approx([7.0, 0.0, 2.25], rel=1e-12)


def test_overlapping_polygons_each_get_their_full_share(ones3: Path) -> None:
    a, b = shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)
    got = zonal_sums(ones3, [a, b, shapely.union_all([a, b])], crs=UTM)
    assert got == pytest.approx([4.0, 4.0, 7.0], rel=1e-12)


def test_holes_multipolygons_off_raster_and_empty(ones3: Path) -> None:
    ring = shapely.Polygon([(0, 0), (3, 0), (3, 3), (0, 3)], holes=[[(1, 1), (2, 1), (2, 2), (1, 2)]])
    multi = shapely.MultiPolygon([shapely.box(0, 0, 0.5, 0.5), shapely.box(2.5, 2.5, 3.5, 3.5)])
    far = shapely.box(100, 100, 101, 101)
    got = zonal_sums(ones3, gpd.GeoSeries([ring, multi, far, None, shapely.Polygon()], crs=UTM))
    assert got == pytest.approx([8.0, 0.5, 0.0, 0.0, 0.0], rel=1e-12, abs=1e-12)


def test_polygons_in_lonlat_over_a_utm_raster(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = write_raster(tmp_path / "utm.tif", rng.gamma(2.0, 3.0, (30, 40)), from_origin(X0, Y0, 100, 100))
    polys_utm = [shapely.Polygon(X0 + 500 + 1500 * rng.random((5, 2)) * [1, -1]).convex_hull for _ in range(4)]
    polys_ll = gpd.GeoSeries(polys_utm, crs=UTM).to_crs(4326)
    got = zonal_sums(path, polys_ll)
    assert got == pytest.approx(reference_sums(path, list(polys_ll.values), crs="EPSG:4326"), rel=1e-9)
    assert got == pytest.approx(reference_sums(path, polys_utm), rel=1e-6)  # the round trip moves vertices by < 1 µm


# ----------------------------------------------------------------------------- against the independent reference


@pytest.mark.parametrize("north_up", [True, False])
def test_random_polygons_match_the_cell_box_reference(tmp_path: Path, north_up: bool) -> None:
    rng = np.random.default_rng(7 if north_up else 8)
    v = rng.gamma(1.5, 4.0, (25, 30)) * (rng.random((25, 30)) < 0.7)
    v[3, 4] = np.nan
    t = from_origin(X0, Y0, 30, 30) if north_up else Affine(30, 0, X0, 0, 30, Y0 - 750)  # south-up rows
    path = write_raster(tmp_path / "r.tif", v if north_up else v[::-1], t)
    cx, cy = X0 + 450, Y0 - 375
    polys = []
    for k in range(12):  # stars (non-convex), some with holes, some reaching past the raster edge
        n = 7 + k
        ang = np.sort(rng.random(n)) * 2 * np.pi
        r = 80 + 400 * rng.random(n)
        p = shapely.Polygon(np.column_stack([cx + r * np.cos(ang) + rng.normal(0, 200), cy + r * np.sin(ang)]))
        if k % 3 == 0:
            p = p.difference(p.centroid.buffer(40))
        polys.append(shapely.make_valid(p))
    ref = reference_sums(path, polys)
    got = zonal_sums(path, gpd.GeoSeries(polys, crs=UTM))
    assert got == pytest.approx(ref, rel=1e-9, abs=1e-9)
    # strips of one row each (the raster read in many pieces) give the same sums
    assert zonal_sums(path, gpd.GeoSeries(polys, crs=UTM), max_cells_in_memory=7) == pytest.approx(got, rel=1e-12)


# ----------------------------------------------------------------------------- errors


def test_bad_inputs_raise_clear_errors(tmp_path: Path, ones3: Path) -> None:
    with pytest.raises(ExposureError, match="not polygons"):
        zonal_sums(ones3, gpd.GeoSeries([shapely.box(0, 0, 1, 1), shapely.Point(1, 1)], crs=UTM))
    with pytest.raises(CRSError, match="no CRS"):
        zonal_sums(ones3, [shapely.box(0, 0, 1, 1)])
    with pytest.raises(ExposureError, match="raster kind"):
        zonal_sums(ones3, [shapely.box(0, 0, 1, 1)], crs=UTM, raster_kind="people")  # type: ignore[arg-type]
    with pytest.raises(LayerReadError):
        zonal_sums(tmp_path / "missing.tif", [shapely.box(0, 0, 1, 1)], crs=UTM)
    with pytest.raises(ExposureError, match="band 2"):
        zonal_sums(ones3, [shapely.box(0, 0, 1, 1)], crs=UTM, band=2)
    neg = write_raster(tmp_path / "neg.tif", np.array([[1.0, -99999.0], [2.0, 3.0]]), from_origin(0, 2, 1, 1))
    with pytest.raises(ExposureError, match="negative") as err:
        zonal_sums(neg, [shapely.box(0, 0, 2, 2)], crs=UTM)
    assert "nodata" in str(err.value)
    assert isinstance(err.value, SafegeoError) and isinstance(err.value, ValueError)
    assert zonal_sums(neg, [shapely.box(0, 0, 2, 2)], crs=UTM, nodata=-99999) == pytest.approx([6.0])
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(nocrs, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
                       transform=from_origin(0, 2, 1, 1)) as ds:
        ds.write(np.ones((1, 2, 2), "float32"))
    with pytest.raises(CRSError, match="raster has no CRS"):
        zonal_sums(nocrs, [shapely.box(0, 0, 1, 1)], crs=UTM)


# ----------------------------------------------------------------------------- count vs density, cell areas


def _cell_area_geod_km2(lon0: float, lat0: float, dlon: float, dlat: float, n: int = 2000) -> float:
    """A lat/lon cell's area on WGS 84, its parallels densified (geodesics between close points)."""
    lons = np.linspace(lon0, lon0 + dlon, n)
    ring_lon = np.r_[lons, lons[::-1]]
    ring_lat = np.r_[np.full(n, lat0), np.full(n, lat0 + dlat)]
    area, _ = Geod(ellps="WGS84").polygon_area_perimeter(ring_lon, ring_lat)
    return abs(area) / 1e6


def test_lonlat_cell_areas_are_exact(tmp_path: Path) -> None:
    res = 30 / 3600  # WorldPop / Meta: 30 arc-seconds
    path = write_raster(tmp_path / "ll.tif", np.ones((4, 3)), from_origin(101.5, 6.5, res, res), crs="EPSG:4326")
    area = cell_area_km2(path)
    assert area.shape == (4, 1)
    for r in (0, 3):
        lat0 = 6.5 - (r + 1) * res
        assert area[r, 0] == pytest.approx(_cell_area_geod_km2(101.5, lat0, res, res), rel=1e-6)
    assert area[0, 0] == pytest.approx(0.85, rel=1e-2)  # about 0.92 km x 0.92 km near 6.5°N


def test_utm_cell_areas_use_the_areal_scale(tmp_path: Path) -> None:
    path = write_raster(tmp_path / "utm.tif", np.ones((3, 3)), from_origin(X0, Y0, 520.0, 520.0))
    area = cell_area_km2(path)
    # the cell (1, 1) as a densified polygon in lon/lat, measured on the ellipsoid
    cell = shapely.segmentize(shapely.box(X0 + 520, Y0 - 1040, X0 + 1040, Y0 - 520), 5.0)
    lon, lat = Transformer.from_crs(UTM, 4326, always_xy=True).transform(*shapely.get_coordinates(cell).T)
    true_km2 = abs(Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)[0]) / 1e6
    assert area[1, 1] == pytest.approx(true_km2, rel=1e-6)
    assert abs(area[1, 1] / 0.2704 - 1) > 1e-4  # not the nominal 520 m x 520 m: UTM's scale matters here


def test_density_is_area_weighted(tmp_path: Path) -> None:
    res = 30 / 3600
    rng = np.random.default_rng(3)
    dens = rng.gamma(2.0, 100.0, (6, 8))  # people per km²
    t = from_origin(101.5, 6.5, res, res)
    dpath = write_raster(tmp_path / "dens.tif", dens, t, crs="EPSG:4326", dtype="float64")
    counts = dens * cell_area_km2(dpath)
    cpath = write_raster(tmp_path / "count.tif", counts, t, crs="EPSG:4326", dtype="float64")
    polys = gpd.GeoSeries([shapely.box(101.5 + 0.3 * res, 6.5 - 5.2 * res, 101.5 + 6.7 * res, 6.5 - 0.4 * res),
                           shapely.box(101.4, 6.4, 101.6, 6.6)], crs="EPSG:4326").to_crs(UTM)
    got = zonal_sums(dpath, polys, raster_kind="density")
    assert got == pytest.approx(zonal_sums(cpath, polys), rel=1e-12)
    assert got[1] == pytest.approx(counts.sum(), rel=1e-12)  # the second box holds the whole raster
    # summing the density as if it were a count is wrong by the cell area (about 0.85 km² here)
    assert zonal_sums(dpath, polys)[1] / got[1] == pytest.approx(1 / 0.85, rel=0.01)


# ----------------------------------------------------------------------------- resampling between grids


def test_regrid_counts_fine_to_coarse_and_back_conserves_people(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    v = rng.gamma(1.5, 4.0, (40, 30))
    v[10:14, 5:9] = -1.0  # nodata: nobody
    v = v.astype(np.float32)
    src = write_raster(tmp_path / "fine.tif", v, from_origin(X0, Y0, 100, 100), nodata=-1.0)
    people = v[v >= 0].sum(dtype=np.float64)
    # coarse 250 m cells, shifted by 30 m and reaching past the raster on every side
    coarse_t = from_origin(X0 - 230, Y0 + 170, 250, 250)
    coarse = regrid(src, transform=coarse_t, width=15, height=19)
    assert np.nansum(coarse) == pytest.approx(people, rel=1e-12)
    assert np.isnan(coarse[0, 14]) and np.isnan(coarse[18, 0]) and np.isfinite(coarse[0, 0])  # beyond the source: NaN
    # one coarse cell against the cell-box reference
    box = shapely.box(X0 - 230 + 3 * 250, Y0 + 170 - 5 * 250, X0 - 230 + 4 * 250, Y0 + 170 - 4 * 250)
    assert coarse[4, 3] == pytest.approx(reference_sums(src, [box])[0], rel=1e-12)
    # back to 100 m: a coarse cell's people split among fine cells by area
    coarse_path = write_raster(tmp_path / "coarse.tif", np.nan_to_num(coarse, nan=-1.0), coarse_t, nodata=-1.0,
                               dtype="float64")
    fine = regrid(coarse_path, transform=from_origin(X0 - 230, Y0 + 170, 100, 100), width=38, height=48)
    assert np.nansum(fine) == pytest.approx(people, rel=1e-12)
    # fine cell (row 8, col 11) lies inside coarse cell (row 3, col 4): 100² / 250² of its people
    assert fine[8, 11] == pytest.approx(coarse[3, 4] * (100 * 100) / (250 * 250), rel=1e-12)
    # a fine grid smaller than the coarse one keeps only the people of the part it covers
    part = regrid(coarse_path, transform=from_origin(X0, Y0, 100, 100), width=30, height=40)
    assert np.nansum(part) < people


def test_regrid_density_conserves_people_not_density_sums(tmp_path: Path) -> None:
    res = 30 / 3600
    rng = np.random.default_rng(6)
    dens = rng.gamma(2.0, 100.0, (12, 10))
    src = write_raster(tmp_path / "dens.tif", dens, from_origin(101.5, 6.5, res, res), crs="EPSG:4326",
                       dtype="float64")
    people = float((dens * cell_area_km2(src)).sum())
    dst_t = from_origin(101.5 - res / 3, 6.5 + res / 4, 2.5 * res, 2.5 * res)
    out = regrid(src, transform=dst_t, width=5, height=6, raster_kind="density")
    dst_area = np.broadcast_to(cell_area_km2(write_raster(tmp_path / "dst.tif", np.zeros((6, 5)), dst_t,
                                                          crs="EPSG:4326")), out.shape)
    assert np.nansum(out * dst_area) == pytest.approx(people, rel=1e-12)
    assert np.nanmean(out) == pytest.approx(np.average(dens), rel=0.3)  # still a density, not a sum of densities
    counts = regrid(src, transform=dst_t, width=5, height=6, raster_kind="count")
    assert np.nansum(counts) == pytest.approx(dens.sum(), rel=1e-12)  # a count raster: the cells' values, moved


def test_regrid_to_another_crs_conserves_people(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    v = rng.gamma(1.5, 4.0, (12, 14)).astype(np.float32)
    src = write_raster(tmp_path / "utm.tif", v, from_origin(X0, Y0, 250, 250))
    tr = Transformer.from_crs(UTM, 4326, always_xy=True)
    lon0, lat1 = tr.transform(X0 - 500, Y0 + 500)
    res = 0.004
    out = regrid(src, transform=from_origin(lon0, lat1, res, res), width=12, height=10, crs="EPSG:4326")
    assert np.nansum(out) == pytest.approx(v.sum(dtype=np.float64), rel=1e-9)
    assert np.isnan(out[0, 0])


# ----------------------------------------------------------------------------- groups and hazard classes


def test_population_sums_groups_and_tiles(tmp_path: Path) -> None:
    left = write_raster(tmp_path / "left.tif", np.full((2, 2), 2.0), from_origin(0, 2, 1, 1))
    right = write_raster(tmp_path / "right.tif", np.full((2, 2), 3.0), from_origin(2, 2, 1, 1))
    u5 = write_raster(tmp_path / "u5.tif", np.full((4, 8), 0.25), from_origin(0, 2, 0.5, 0.5))
    areas = gpd.GeoDataFrame({"tambon": ["A", "B"]}, geometry=[shapely.box(0, 0, 3, 2), shapely.box(1.5, 0.5, 4, 1.5)],
                             crs=UTM).set_index("tambon")
    out = population_sums([PopulationRaster(left), PopulationRaster(right), PopulationRaster(u5, group="under5")], areas)
    assert list(out.columns) == ["total", "under5"]
    assert list(out.index) == ["A", "B"]
    assert out.loc["A"].tolist() == pytest.approx([2 * 4 + 3 * 2, 6 * 1.0])
    assert out.loc["B"].tolist() == pytest.approx([2 * 0.5 + 3 * 2, 2.5 * 1.0])
    assert population_sums({"total": left}, areas)["total"].tolist() == pytest.approx([8.0, 1.0])


@pytest.fixture
def tens(tmp_path: Path) -> Path:
    """10 x 10 cells of 1 person, 1 m cells, corner (0, 0) bottom-left: people = area in m²."""
    return write_raster(tmp_path / "tens.tif", np.ones((10, 10)), from_origin(0, 10, 1, 1))


def test_exposure_per_area_and_class(tens: Path) -> None:
    areas = gpd.GeoDataFrame({"tambon": ["A", "B"]}, geometry=[shapely.box(0, 0, 5, 10), shapely.box(5, 0, 10, 10)],
                             crs=UTM).set_index("tambon")
    hazard = gpd.GeoDataFrame({"severity": ["high", "low", "low"]},
                              geometry=[shapely.box(2, 2, 4, 4), shapely.box(3, 3, 8, 8), shapely.box(7, 7, 9, 9)],
                              crs=UTM)
    full = exposure_sums(tens, areas, hazard, by="severity")["total"]
    assert full.index.names == ["tambon", "severity"]
    # the two "low" polygons overlap by 1 m²: counted once
    assert full.to_dict() == pytest.approx({("A", "high"): 4, ("A", "low"): 10, ("B", "high"): 0, ("B", "low"): 18})
    worst = exposure_sums(tens, areas, hazard, by="severity", priority=["extreme", "high", "low"])["total"]
    assert worst[("A", "low")] == pytest.approx(9)  # the 1 m² under both counts as high
    assert worst[("A", "high")] == pytest.approx(4)
    assert worst[("B", "extreme")] == 0  # a listed class with no polygon still gets its rows
    inside = exposure_sums(tens, areas, hazard)["total"]
    assert inside.to_dict() == pytest.approx({("A", "inside"): 13, ("B", "inside"): 18})
    with pytest.raises(ExposureError, match="priority"):
        exposure_sums(tens, areas, hazard, by="severity", priority=["high"])
    with pytest.raises(ExposureError, match="no column"):
        exposure_sums(tens, areas, hazard, by="depth")


def test_exposure_to_a_depth_raster_on_another_grid(tmp_path: Path, tens: Path) -> None:
    rng = np.random.default_rng(11)
    depth = rng.gamma(1.0, 0.6, (6, 7))  # 1.5 m cells, shifted: no cell edge lines up with the population grid
    depth[2, 3] = np.nan
    dt = from_origin(-0.7, 9.6, 1.5, 1.5)
    dpath = write_raster(tmp_path / "depth.tif", depth, dt, dtype="float64")
    classes = depth_class_polygons(dpath, breaks_m=[0.3, 1.0])
    assert set(classes["depth_class"]) <= {"0.3-1 m", ">= 1 m"}
    areas = gpd.GeoDataFrame({"tambon": ["A", "B"]}, geometry=[shapely.box(0, 0, 5, 10), shapely.box(5, 0, 10, 10)],
                             crs=UTM).set_index("tambon")
    got = exposure_sums(tens, areas.to_crs(4326), classes, by="depth_class")["total"]
    assert list(got.index.get_level_values("depth_class").unique()) == ["0.3-1 m", ">= 1 m"]  # depth order
    # independent: the depth cells of each class as boxes, intersected with each area and the population raster
    for k, (lo, hi) in enumerate([(0.3, 1.0), (1.0, np.inf)]):
        rows, cols = np.nonzero((depth >= lo) & (depth < hi))
        cells = shapely.union_all(shapely.box(-0.7 + 1.5 * cols, 9.6 - 1.5 * (rows + 1), -0.7 + 1.5 * (cols + 1),
                                              9.6 - 1.5 * rows))
        label = ["0.3-1 m", ">= 1 m"][k]
        for name, area in areas.geometry.items():
            want = shapely.intersection(area, shapely.intersection(cells, shapely.box(0, 0, 10, 10))).area
            assert got[(name, label)] == pytest.approx(want, rel=1e-6, abs=1e-6), (name, label)
    with pytest.raises(ExposureError, match="increasing"):
        depth_class_polygons(dpath, breaks_m=[1.0, 0.3])


# ----------------------------------------------------------------------------- real data (CI)


@pytest.mark.shared_data
def test_narathiwat_tambons_under5_exact(shared_data: Path) -> None:
    from rasterio.features import rasterize

    tambons = gpd.read_file(shared_data / "th_narathiwat_fullres_cctvnara" / "narathiwat_tambon_fullres.geojson")
    raster = shared_data / "th_u5pd_raster_spax" / "u5pd.tif"
    assert len(tambons) == 77 and tambons.crs.to_epsg() == 4326
    got = zonal_sums(raster, tambons)

    with rasterio.open(raster) as ds:
        t, shape = ds.transform, (ds.height, ds.width)
        vals = np.ma.filled(ds.read(1, masked=True).astype(np.float64), 0.0)
        assert ds.crs.to_epsg() == 32647 and ds.nodata < -1e38
    utm = tambons.to_crs(32647)
    # independent exact reference in the raster CRS: cell boxes inside count whole, boundary boxes by area
    ref = np.zeros(len(utm))
    for k, poly in enumerate(utm.geometry.values):
        minx, miny, maxx, maxy = poly.bounds
        c0, r0 = (math.floor(v) for v in ~t * (minx, maxy))
        c1, r1 = (math.ceil(v) for v in ~t * (maxx, miny))
        c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, shape[1]), min(r1, shape[0])  # the east edge is off it
        rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
        x, y = t.c + t.a * cc.ravel(), t.f + t.e * rr.ravel()
        boxes = shapely.box(x, y + t.e, x + t.a, y)
        shapely.prepare(poly)
        frac = shapely.contains(poly, boxes).astype(np.float64)
        edge = (frac == 0) & shapely.intersects(poly, boxes)
        frac[edge] = shapely.area(shapely.intersection(poly, boxes[edge])) / abs(t.a * t.e)
        ref[k] = np.sum(frac * vals[rr.ravel(), cc.ravel()])
    np.testing.assert_allclose(got, ref, rtol=1e-6)

    # the tambons tile the province: their sums add up to the sum over the province polygon
    province = zonal_sums(raster, [shapely.union_all(utm.geometry.values)], crs=32647)[0]
    assert got.sum() == pytest.approx(province, rel=1e-6)
    assert 40_000 < province < 50_000  # under-5 children in Narathiwat (about 44,200)

    # no tambon is left at zero where the raster has people; cell centres miss and double people
    assert (got > 0).all()
    centres = np.array([vals[rasterize([g], out_shape=shape, transform=t, all_touched=False).astype(bool)].sum()
                        for g in utm.geometry.values])
    rel = np.abs(centres - got) / got
    assert rel.max() > 0.05  # a cell-centre sum is more than 5 % off for some tambon
    assert np.median(rel) > 1e-3
    frame = pd.DataFrame({"tambon": tambons["adm3_en"], "exact": got, "centres": centres, "rel": rel})
    assert frame["exact"].sum() == pytest.approx(province, rel=1e-6)


def test_integer_rasters_scale_and_internal_masks(tmp_path: Path) -> None:
    v = np.array([[1, 2, 65535], [3, 4, 5]], dtype=np.uint16)
    path = write_raster(tmp_path / "u16.tif", v, from_origin(0, 2, 1, 1), nodata=65535, dtype="uint16")
    assert zonal_sums(path, [shapely.box(0, 0, 3, 2)], crs=UTM) == pytest.approx([15.0])
    with rasterio.open(path, "r+") as ds:  # stored in tenths of a person, 0.5 added; nodata stays nobody
        ds.scales, ds.offsets = (0.1,), (0.5,)
    assert zonal_sums(path, [shapely.box(0, 0, 3, 2)], crs=UTM) == pytest.approx([1.5 + 5 * 0.5])
    # no nodata value but an internal mask: masked cells hold nobody
    masked = tmp_path / "masked.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            masked, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32", crs=UTM,
            transform=from_origin(0, 2, 1, 1)) as ds:
        ds.write(np.array([[[1, 2], [3, -7]]], dtype="float32"))
        ds.write_mask(np.array([[255, 255], [255, 0]], dtype="uint8"))
    assert zonal_sums(masked, [shapely.box(0, 0, 2, 2)], crs=UTM) == pytest.approx([6.0])
