"""Hazard-aware edge costs: polygons close or slow roads, rasters close deep-water roads."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import UTM47, X0, Y0, grid_roads

from safegeo import SafegeoError
from safegeo.hazards import (
    HazardError,
    hazard_edge_costs,
    hazard_footprint,
    sample_raster,
    shelters_in_hazard,
)
from safegeo.network import RoadNetwork, from_lines
from safegeo.study import HazardSource


def _two_roads():
    """Node 0 - 1 along y=Y0 (100 m), node 1 - 2 along y=Y0 (100 m), both two-way."""
    x = X0 + np.array([0.0, 100.0, 200.0])
    y = np.full(3, Y0)
    return RoadNetwork.from_arrays(x, y, np.array([0, 1]), np.array([1, 2]), crs=UTM47,
                                   highway=np.array(["residential", "residential"]))


def _poly(box, severity=None, name="flood"):
    cols = {"hazard_id": ["H1"], "kind": ["flood"]}
    if severity is not None:
        cols["severity"] = [severity]
    return HazardSource(name, "flood", polygons=gpd.GeoDataFrame(cols, geometry=[shapely.box(*box)], crs=UTM47))


def _edge(net, a, b):
    return int(np.flatnonzero((net.u == a) & (net.v == b))[0])


def _write_raster(path, values, *, x0, y0, cell, crs=UTM47):
    import rasterio
    from affine import Affine

    values = np.asarray(values, dtype="float32")
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype="float32", crs=crs, transform=Affine(cell, 0.0, x0, 0.0, -cell, y0), nodata=-9999.0) as ds:
        ds.write(values, 1)
    return path


def test_polygon_severity_closes_or_slows_both_directions():
    net = _two_roads()
    base = net.time_s.copy()
    # a "low" footprint over the first road, "high" over the second
    he = hazard_edge_costs(net, [_poly((X0 + 20, Y0 - 5, X0 + 60, Y0 + 5), "low"),
                                 _poly((X0 + 140, Y0 - 5, X0 + 160, Y0 + 5), "high", name="surge")])
    for a, b in ((0, 1), (1, 0)):
        e = _edge(net, a, b)
        assert not he.closed[e] and he.speed_factor[e] == 0.5 and he.cost[e] == pytest.approx(2 * base[e])
        assert he.reason[e] == "flood: severity low"
    for a, b in ((1, 2), (2, 1)):
        e = _edge(net, a, b)
        assert he.closed[e] and np.isinf(he.cost[e]) and he.reason[e] == "surge: severity high"
    assert he.summary() == "2 road edges closed, 2 slowed"
    # by length: slowed roads keep their length, closed ones are closed
    hl = hazard_edge_costs(net, [_poly((X0 + 20, Y0 - 5, X0 + 60, Y0 + 5), "medium")], weight="length")
    assert hl.cost.tolist() == net.length_m.tolist()
    # custom factors, and a footprint without severity closes
    hc = hazard_edge_costs(net, [_poly((X0 + 20, Y0 - 5, X0 + 60, Y0 + 5), "low")], severity_speed_factor={"low": 0.0})
    assert hc.closed.sum() == 2
    hn = hazard_edge_costs(net, [_poly((X0 + 20, Y0 - 5, X0 + 60, Y0 + 5))])
    assert hn.closed.sum() == 2 and set(hn.reason[hn.closed]) == {"flood: inside footprint"}


def test_no_hazard_leaves_every_road_open_and_bad_factors_are_refused():
    net = _two_roads()
    he = hazard_edge_costs(net, [])
    assert not he.closed.any() and he.cost.tolist() == net.time_s.tolist() and set(he.reason) == {""}
    # a polygon far away changes nothing
    assert not hazard_edge_costs(net, [_poly((X0 + 5000, Y0, X0 + 5100, Y0 + 100), "high")]).closed.any()
    with pytest.raises(HazardError) as exc:
        hazard_edge_costs(net, [], severity_speed_factor={"low": 1.5})
    assert isinstance(exc.value, SafegeoError) and "between 0 and 1" in str(exc.value)


def test_raster_depth_closes_edges_above_the_threshold(tmp_path):
    net = _two_roads()
    # 10 m cells covering x X0..X0+200, y Y0+10..Y0-10; 0.2 m under the first road, 0.8 m in one cell of the second
    vals = np.zeros((2, 20))
    vals[:, 2:8] = 0.2
    vals[:, 14] = 0.8
    tif = _write_raster(tmp_path / "depth.tif", vals, x0=X0, y0=Y0 + 10, cell=10.0)
    hz = HazardSource("depth", "flood", raster_path=tif, depth_threshold_m=0.3)
    he = hazard_edge_costs(net, [hz])
    assert sorted(np.flatnonzero(he.closed).tolist()) == sorted([_edge(net, 1, 2), _edge(net, 2, 1)])
    assert he.reason[_edge(net, 1, 2)] == "depth: depth 0.80 m > 0.3 m"
    assert not he.closed[_edge(net, 0, 1)]
    # a car threshold of 0.1 m also closes the shallow road; override beats the entry's value
    assert hazard_edge_costs(net, [hz], depth_threshold_m=0.1).closed.all()
    # nodata and cells off the raster are dry
    vals2 = np.full((2, 20), -9999.0)
    tif2 = _write_raster(tmp_path / "nodata.tif", vals2, x0=X0, y0=Y0 + 10, cell=10.0)
    assert not hazard_edge_costs(net, [HazardSource("nd", "flood", raster_path=tif2)]).closed.any()


def test_raster_in_another_crs_is_sampled_in_its_own_crs(tmp_path):
    from pyproj import Transformer

    net = _two_roads()
    lon, lat = Transformer.from_crs(UTM47, 4326, always_xy=True).transform(X0 + 150, Y0)
    # one deep cell of ~0.0002 degrees (about 22 m) around the middle of the second road
    cell = 0.0002
    vals = np.zeros((3, 3))
    vals[1, 1] = 2.0
    tif = _write_raster(tmp_path / "wgs.tif", vals, x0=lon - 1.5 * cell, y0=lat + 1.5 * cell, cell=cell, crs="EPSG:4326")
    he = hazard_edge_costs(net, [HazardSource("w", "flood", raster_path=tif)])
    assert sorted(np.flatnonzero(he.closed).tolist()) == sorted([_edge(net, 1, 2), _edge(net, 2, 1)])
    v = sample_raster(str(tif), np.array([[X0 + 150, Y0], [X0 + 5000, Y0]]), net.crs)
    assert v[0] == 2.0 and np.isnan(v[1])


def test_raster_sampling_catches_a_puddle_shorter_than_the_step(tmp_path):
    # one 2 m wide deep strip across a 100 m road: sampled every 1 m it is found, every 15 m it may be missed
    net = _two_roads()
    vals = np.zeros((1, 100))
    vals[0, 32] = 1.0  # x 64..66 m on the first road
    tif = _write_raster(tmp_path / "strip.tif", vals, x0=X0, y0=Y0 + 1, cell=2.0)
    hz = [HazardSource("s", "flood", raster_path=tif)]
    fine = hazard_edge_costs(net, hz, sample_step_m=1.0)
    assert sorted(np.flatnonzero(fine.closed).tolist()) == sorted([_edge(net, 0, 1), _edge(net, 1, 0)])
    # 100 m in 15 m steps samples at 0, 14.3, ..., 57.1, 71.4 (and the 50 m midpoint): the strip falls between
    assert not hazard_edge_costs(net, hz, sample_step_m=15.0).closed.any()


def test_shelters_in_hazard_and_footprint(tmp_path):
    shelters = gpd.GeoDataFrame({"shelter_id": ["A", "B", "C"]},
                                geometry=[shapely.Point(X0 + 10, Y0), shapely.Point(X0 + 500, Y0),
                                          shapely.Point(X0 + 150, Y0)], crs=UTM47)
    vals = np.zeros((2, 20))
    vals[:, 15] = 0.05
    tif = _write_raster(tmp_path / "d.tif", vals, x0=X0, y0=Y0 + 10, cell=10.0)
    hz = [_poly((X0, Y0 - 5, X0 + 50, Y0 + 5), "low"), HazardSource("depth", "flood", raster_path=tif)]
    res = shelters_in_hazard(shelters, hz)
    assert res["in_hazard"].tolist() == [True, False, True]
    assert res["hazard_names"].tolist() == ["flood", "", "depth"]
    fp = hazard_footprint(hz, shelters.crs, depth_threshold_m=0.01)
    assert fp["hazard"].tolist() == ["flood", "depth"]
    assert fp.geometry.iloc[1].area == pytest.approx(200.0)  # two 10 m cells above 1 cm


def test_grid_flood_closes_exactly_the_crossing_edges():
    net = from_lines(grid_roads(4))
    # a thin horizontal band between the first and second rows crosses the 4 vertical roads there
    he = hazard_edge_costs(net, [_poly((X0 - 10, Y0 + 40, X0 + 310, Y0 + 60), "high")])
    closed = np.flatnonzero(he.closed)
    assert len(closed) == 8  # 4 roads x 2 directions
    assert np.all(np.minimum(net.y[net.u[closed]], net.y[net.v[closed]]) == Y0)
    assert np.all(np.maximum(net.y[net.u[closed]], net.y[net.v[closed]]) == Y0 + 100)


def test_a_raster_too_large_to_polygonise_still_has_a_footprint(tmp_path):
    # 41 x 43 cells of 10 m, two wet cells; allowed far fewer cells: coarser blocks, never less water
    vals = np.zeros((41, 43))
    vals[17, 23] = 1.0
    vals[40, 42] = 2.0  # the last row and column: partial blocks
    tif = _write_raster(tmp_path / "big.tif", vals, x0=X0, y0=Y0 + 410, cell=10.0)
    hz = [HazardSource("d", "flood", raster_path=tif)]
    wet = [shapely.Point(X0 + 235, Y0 + 410 - 175), shapely.Point(X0 + 425, Y0 + 5)]
    full = hazard_footprint(hz, UTM47)
    assert full.geometry.iloc[0].area == pytest.approx(200.0)
    for max_cells in (100, 10):
        fp = hazard_footprint(hz, UTM47, max_cells=max_cells)
        g = fp.geometry.iloc[0]
        assert all(g.contains(p) for p in wet) and g.contains(full.geometry.iloc[0])
        assert g.area < 41 * 43 * 100  # still a footprint, not the whole raster
