"""``validate_study`` checks what later steps need: OSM files, layers that lie elsewhere, hazards, the network."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import UTM47, X0, Y0, grid_roads, write_study

from safegeo import ValidationError
from safegeo._validate import check_overlap
from safegeo.study import load_study, validate_study

NARA = (101.82, 6.42)  # lon/lat in Mueang Narathiwat, beside the grid of conftest


def osm_grid(path, lon0, lat0, *, n=3, step_deg=0.001, bounds=True):
    """A tiny OSM XML extract: an n × n grid of residential ways around (lon0, lat0)."""
    nodes, ways = [], []
    ident = {}
    for i in range(n):
        for j in range(n):
            ident[i, j] = len(ident) + 1
            nodes.append(f'<node id="{ident[i, j]}" version="1" lat="{lat0 + i * step_deg:.7f}" '
                         f'lon="{lon0 + j * step_deg:.7f}"/>')
    w = 100
    for i in range(n):
        refs_row = "".join(f'<nd ref="{ident[i, j]}"/>' for j in range(n))
        refs_col = "".join(f'<nd ref="{ident[j, i]}"/>' for j in range(n))
        for refs in (refs_row, refs_col):
            w += 1
            ways.append(f'<way id="{w}" version="1">{refs}<tag k="highway" v="residential"/></way>')
    box = (f'<bounds minlat="{lat0}" minlon="{lon0}" maxlat="{lat0 + (n - 1) * step_deg}" '
           f'maxlon="{lon0 + (n - 1) * step_deg}"/>') if bounds else ""
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">{box}'
                    + "".join(nodes) + "".join(ways) + "</osm>\n", encoding="utf-8")
    return path


def _districts():
    return gpd.GeoDataFrame({"district_id": ["D1"], "name_en": ["Mueang"]},
                            geometry=[shapely.box(X0 - 2000, Y0 - 2000, X0 + 2000, Y0 + 2000)], crs=UTM47)


def _problems(report, layer, severity="error"):
    return [p.format() for p in report.problems if p.layer == layer and p.severity == severity]


# --- OSM roads files ------------------------------------------------------------------------------
def test_osm_roads_on_another_continent_are_an_error_naming_both_extents(tmp_path):
    osm_grid(tmp_path / "roads.osm", -3.70, 40.42)  # Madrid
    toml = write_study(tmp_path, {"districts": _districts()}, crs=None)
    with open(toml, "a") as fh:
        fh.write('roads = "roads.osm"\n')
    report = validate_study(toml, strict=True)
    (err,) = _problems(report, "roads")
    assert "lies elsewhere: its extent (lon -3.70–-3.70, lat 40.42–40.42) does not overlap the districts' extent " \
           "(lon 101.80–101.84, lat 6.41–6.44)" in err
    assert report.ok is False
    # load refuses too, and the UTM zone is never picked between Madrid and Narathiwat (30N / 47N)
    with pytest.raises(ValidationError) as exc:
        load_study(toml)
    assert "lies elsewhere" in str(exc.value) and "UTM" not in str(exc.value)
    # the same extract where the study is: valid, and the network is reported
    osm_grid(tmp_path / "roads.osm", NARA[0], NARA[1])
    report = validate_study(toml)
    assert report.ok, report.format()
    # all 9 grid nodes: the 4 corners are where two ways meet end to end, kept as nodes by the OSM reader
    assert report.network["nodes"] == 9 and report.network["largest_component_share"] == 1.0
    assert any("100.0% of its nodes are in the largest strongly connected component" in m
               for m in _problems(report, "roads", "info"))


def test_osm_file_without_bounds_is_placed_by_its_nodes(tmp_path):
    osm_grid(tmp_path / "roads.osm", -3.70, 40.42, bounds=False)
    toml = write_study(tmp_path, {"districts": _districts()}, crs=None)
    with open(toml, "a") as fh:
        fh.write('roads = "roads.osm"\n')
    assert "lon -3.70–-3.70, lat 40.42–40.42" in _problems(validate_study(toml), "roads")[0]


@pytest.mark.parametrize("name, content", [
    ("roads.osm.pbf", np.random.default_rng(1).bytes(4000)),
    ("roads.osm", np.random.default_rng(2).bytes(4000)),
    ("roads.osm", b'<?xml version="1.0"?>\n<osm version="0.6"></osm>\n'),
])
def test_a_roads_file_that_is_not_osm_data_is_an_error(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    toml = write_study(tmp_path, {"districts": _districts()})
    with open(toml, "a") as fh:
        fh.write(f'roads = "{name}"\n')
    report = validate_study(toml)
    (err,) = _problems(report, "roads")
    assert "is not OSM data" in err or "has no nodes" in err
    rep = next(r for r in report.layers if r.name == "roads")
    assert rep.features is None and len([r for r in report.layers if r.name == "roads"]) == 1
    with pytest.raises(ValidationError, match="is not OSM data|has no nodes"):
        load_study(toml)


# --- layers that lie elsewhere -------------------------------------------------------------------------
def test_a_point_layer_far_from_osm_roads_and_no_districts(tmp_path):
    osm_grid(tmp_path / "roads.osm", NARA[0], NARA[1])
    pd.DataFrame({"capacity": [10, 20], "kind": ["shelter"] * 2, "lon": [100.5, 100.51], "lat": [13.75, 13.76]}).to_csv(
        tmp_path / "shelters.csv", index=False)  # Bangkok
    pd.DataFrame({"population": [5], "lon": [NARA[0]], "lat": [NARA[1]]}).to_csv(tmp_path / "villages.csv", index=False)
    (tmp_path / "study.toml").write_text('[layers]\nroads = "roads.osm"\nshelters = "shelters.csv"\n'
                                         'villages = "villages.csv"\n')
    report = validate_study(tmp_path / "study.toml")
    (err,) = _problems(report, "shelters")
    assert "does not come near the extent of the other layers (roads, villages)" in err
    assert not _problems(report, "roads") and not _problems(report, "villages")


def test_check_overlap_names_both_layers_when_no_majority():
    out = check_overlap({"roads": (-3.8, 40.3, -3.6, 40.5), "villages": (101.8, 6.4, 101.9, 6.5)})
    assert [p.layer for p in out] == ["roads", "villages"]
    assert "lies apart from villages" in out[0].message
    # within the margin (a vehicle depot just outside the districts) is fine; a raster must overlap
    near = check_overlap({"districts": (101.4, 5.7, 102.1, 6.6), "vehicles": (102.2, 6.0, 102.3, 6.1),
                          "hazards[depth]": (102.2, 6.0, 102.3, 6.1)})
    assert [p.layer for p in near] == ["hazards[depth]"]


# --- hazards ----------------------------------------------------------------------------------------------
def _raster(path, *, x0=X0, y0=Y0 + 400, values=None, nodata=-9999.0):
    import rasterio
    from rasterio.transform import from_origin

    data = np.ones((1, 4, 4), dtype="float32") if values is None else np.asarray(values, dtype="float32")[None]
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=1,
                       dtype="float32", crs=UTM47, transform=from_origin(x0, y0, 100, 100), nodata=nodata) as dst:
        dst.write(data)


@pytest.mark.parametrize("entry, raster, message", [
    ('{ path = "depth.tif", depth_threshold_m = 0.3 }', {},
     'has no kind: every hazard needs one (safe_for and the maps use it); add kind to the entry, e.g. '
     '{ path = "depth.tif", kind = "flood" }'),
    ('{ path = "depth.tif", kind = "flood" }', {"values": np.full((4, 4), -9999.0)},
     "has no valid pixel: every pixel is nodata (nodata = -9999); check the nodata value"),
    ('{ path = "depth.tif", kind = "flood" }', {"values": np.full((4, 4), np.nan), "nodata": None},
     "has no valid pixel"),
    ('{ path = "depth.tif", kind = "flood" }', {"x0": X0 + 900_000},
     "lies elsewhere: its extent (lon 109.89–109.90"),
])
def test_hazard_raster_checks(tmp_path, entry, raster, message):
    _raster(tmp_path / "depth.tif", **raster)
    toml = write_study(tmp_path, {"roads": grid_roads(), "districts": _districts()})
    with open(toml, "a") as fh:
        fh.write(f"hazards = [ {entry} ]\n")
    report = validate_study(toml)
    (err,) = _problems(report, "hazards[depth]")
    assert message in err
    with pytest.raises(ValidationError, match="depth.tif"):
        load_study(toml)


def test_good_raster_and_polygon_hazard_without_kind(tmp_path):
    _raster(tmp_path / "depth.tif", values=np.where(np.eye(4) > 0, 0.5, -9999.0))  # a few valid pixels
    zones = gpd.GeoDataFrame({"severity": ["high"]}, geometry=[shapely.box(X0, Y0, X0 + 50, Y0 + 50)], crs=UTM47)
    toml = write_study(tmp_path, {"roads": grid_roads(), "districts": _districts(), "zones": zones})
    with open(toml, "a") as fh:
        fh.write('hazards = [ { path = "depth.tif", kind = "flood" }, { path = "layers.gpkg", layer = "zones" } ]\n')
    toml.write_text(toml.read_text().replace('zones = { path = "layers.gpkg", layer = "zones" }\n', ""))
    report = validate_study(toml)
    assert not _problems(report, "hazards[depth]")
    (err,) = _problems(report, "hazards[zones]")
    assert "has no kind" in err
    toml.write_text(toml.read_text().replace('layer = "zones" }', 'layer = "zones", kind = "landslide" }'))
    study = load_study(toml)
    assert [(h.name, h.kind, h.is_raster) for h in study.hazards] == [("depth", "flood", True),
                                                                       ("zones", "landslide", False)]


# --- the drive network -----------------------------------------------------------------------------------
def test_network_share_warning_and_no_usable_roads(tmp_path):
    roads = grid_roads(3)
    island = gpd.GeoDataFrame({"road_id": [99], "highway": ["residential"]},
                              geometry=[shapely.LineString([(X0 + 1500, Y0), (X0 + 1600, Y0)])], crs=UTM47)
    toml = write_study(tmp_path, {"roads": gpd.GeoDataFrame(pd.concat([roads, island], ignore_index=True), crs=UTM47)})
    report = validate_study(toml)
    assert report.ok
    (warn,) = _problems(report, "roads", "warning")
    assert "only 81.8% of the drive network's nodes are in its largest strongly connected component" in warn  # 9 / 11
    assert report.network["largest_component_share"] == pytest.approx(9 / 11, abs=1e-4)
    assert report.to_dict()["network"]["nodes"] == 9
    # footways only: nothing to drive on
    toml = write_study(tmp_path, {"roads": grid_roads(3).assign(highway="footway")})
    report = validate_study(toml)
    (err,) = _problems(report, "roads")
    assert "no drive network can be built: no road segment is usable for the drive network" in err
    assert not report.ok and report.network is None


def test_zero_capacity_shelters_are_a_warning(tmp_path):
    shelters = gpd.GeoDataFrame({"capacity": [0, 50], "kind": ["hospital", "shelter"]},
                                geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 100, Y0)], crs=UTM47)
    toml = write_study(tmp_path, {"roads": grid_roads(), "shelters": shelters})
    report = validate_study(toml, strict=True)
    assert report.ok
    (warn,) = _problems(report, "shelters", "warning")
    assert "column 'capacity' has 1 value(s) of 0: they will be excluded from evacuation" in warn and "(rows 1)" in warn
