"""Tests of safegeo.generate: the seeded synthetic Narathiwat study area."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from geopandas.testing import assert_geodataframe_equal
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from safegeo import SafegeoError
from safegeo.generate import (
    OUTPUT_FILES,
    OutputExistsError,
    generate_demo,
    generate_study_area,
    synthetic_road_graph,
)
from safegeo.schema import LAYER_SPECS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GPKG_LAYERS = (
    "roads", "districts", "tambons", "border", "rivers", "villages", "cameras",
    "lights", "sos", "pois", "incidents", "vehicles", "hazards",
)
THAI = re.compile("[\u0e00-\u0e7f]")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out)
    return out


@pytest.fixture(scope="module")
def layers(demo_dir: Path) -> dict[str, gpd.GeoDataFrame]:
    out = {name: gpd.read_file(demo_dir / "layers.gpkg", layer=name, engine="pyogrio") for name in GPKG_LAYERS}
    sh = pd.read_csv(demo_dir / "shelters.csv", keep_default_na=False)
    out["shelters"] = gpd.GeoDataFrame(
        sh, geometry=gpd.points_from_xy(sh["lon"], sh["lat"]), crs="EPSG:4326"
    ).to_crs("EPSG:32647")
    return out


def _read_all(folder: Path) -> dict[str, object]:
    out: dict[str, object] = {n: gpd.read_file(folder / "layers.gpkg", layer=n, engine="pyogrio") for n in GPKG_LAYERS}
    out["shelters.csv"] = (folder / "shelters.csv").read_bytes()
    with rasterio.open(folder / "flood_depth.tif") as src:
        out["flood_depth"] = src.read(1)
    out["study.toml"] = (folder / "study.toml").read_text(encoding="utf-8")
    return out


# ---------------------------------------------------------------- determinism and files


def test_same_seed_gives_identical_layers(tmp_path: Path) -> None:
    generate_study_area(tmp_path / "a", n_nodes=1500, seed=42)
    generate_study_area(tmp_path / "b", n_nodes=1500, seed=42)
    generate_study_area(tmp_path / "c", n_nodes=1500, seed=43)
    a, b, c = _read_all(tmp_path / "a"), _read_all(tmp_path / "b"), _read_all(tmp_path / "c")
    for name in GPKG_LAYERS:
        assert_geodataframe_equal(a[name], b[name])
        assert (a[name].geometry.to_wkb() == b[name].geometry.to_wkb()).all()  # bit-for-bit
    assert a["shelters.csv"] == b["shelters.csv"]
    np.testing.assert_array_equal(a["flood_depth"], b["flood_depth"])
    assert len(a["roads"]) != len(c["roads"]) or not a["roads"].geometry.geom_equals(c["roads"].geometry).all()
    assert a["shelters.csv"] != c["shelters.csv"]


def test_study_toml_and_files(demo_dir: Path) -> None:
    for name in OUTPUT_FILES:
        assert (demo_dir / name).is_file(), name
    assert not [p for p in demo_dir.iterdir() if p.name.startswith(".")]  # temp dir cleaned up
    study = tomllib.loads((demo_dir / "study.toml").read_text(encoding="utf-8"))
    assert study["study"]["crs"] == "EPSG:32647"
    assert study["study"]["synthetic"] is True
    assert "seed=20261125" in study["study"]["description"]
    lay = study["layers"]
    assert set(lay) == set(GPKG_LAYERS) - {"hazards"} | {"shelters", "hazards", "population", "events", "contacts"}
    assert lay["population"] == [{"path": "population.tif", "group": "total"}, {"path": "under5.tif", "group": "under5"}]
    assert lay["shelters"] == {"path": "shelters.csv", "x": "lon", "y": "lat", "crs": "EPSG:4326"}
    assert lay["hazards"][1] == {"path": "flood_depth.tif", "kind": "flood", "depth_threshold_m": 0.3, "name": "flood_depth"}
    for name in GPKG_LAYERS:
        spec = lay[name] if name != "hazards" else lay["hazards"][0]
        assert spec["path"] == "layers.gpkg" and spec["layer"] == name
    readme = (demo_dir / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower() and "20261125" in readme


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    generate_study_area(tmp_path, n_nodes=400, seed=1)
    with pytest.raises(OutputExistsError, match="overwrite") as info:
        generate_study_area(tmp_path, n_nodes=400, seed=1)
    assert isinstance(info.value, FileExistsError) and isinstance(info.value, SafegeoError)
    before = (tmp_path / "shelters.csv").read_bytes()
    generate_study_area(tmp_path, n_nodes=400, seed=2, overwrite=True)
    assert (tmp_path / "shelters.csv").read_bytes() != before


@pytest.mark.parametrize("kwargs", [{"n_nodes": 50}, {"n_nodes": 1000, "seed": -1}])
def test_bad_arguments(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        generate_study_area(tmp_path, **kwargs)
    assert not (tmp_path / "study.toml").exists()


# ---------------------------------------------------------------- schema


def _check_kind(values: pd.Series, kind: str) -> bool:
    v = values.dropna()
    if kind == "int":
        return pd.api.types.is_integer_dtype(values)
    if kind == "float":
        return pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(values)
    return all(isinstance(x, str) for x in v)


@pytest.mark.parametrize("name", [*GPKG_LAYERS, "shelters"])
def test_layer_columns_follow_schema(layers: dict[str, gpd.GeoDataFrame], name: str) -> None:
    spec = LAYER_SPECS[name]
    gdf = layers[name]
    assert len(gdf) > 0
    assert gdf.crs == "EPSG:32647"
    geom_types = {"point": {"Point"}, "line": {"LineString"}, "polygon": {"Polygon"}}[spec.geometry]
    assert set(gdf.geom_type) <= geom_types
    assert gdf.geometry.is_valid.all()
    if spec.id_column:
        ids = gdf[spec.id_column]
        assert ids.notna().all() and ids.is_unique
    for col in spec.columns:
        if col.required:
            assert col.name in gdf.columns, f"{name}.{col.name} missing"
        if col.name not in gdf.columns:
            continue
        values = gdf[col.name]
        assert _check_kind(values, col.kind), f"{name}.{col.name} is not {col.kind}"
        present = values.dropna()
        if col.kind == "str":
            present = present[present != ""]
        if col.choices is not None:
            assert set(present) <= set(col.choices), f"{name}.{col.name}: {set(present) - set(col.choices)}"
        if col.min_value is not None:
            assert (present >= col.min_value).all()
        if col.max_value is not None:
            assert (present <= col.max_value).all()


def test_layer_contents(layers: dict[str, gpd.GeoDataFrame]) -> None:
    roads = layers["roads"]
    assert roads["road_id"].dtype.kind == "i"
    assert {"trunk", "secondary", "residential", "unclassified", "track", "footway"} <= set(roads["highway"])
    assert roads["oneway"].any() and roads["bridge"].any()
    assert roads["maxspeed_kph"].isna().mean() > 0.5
    villages = layers["villages"]
    assert 250 <= len(villages) <= 350
    assert villages["population"].between(200, 3000).all()
    assert villages["village_id"].str.fullmatch(r"V\d{4}").all()
    assert 5000 <= len(roads) <= 12000
    assert len(layers["cameras"]) >= 200 and len(layers["lights"]) >= 2000
    cams = layers["cameras"]
    assert cams["direction_deg"].isna().any() and cams["direction_deg"].notna().any()
    veh = layers["vehicles"]
    assert 30 <= len(veh) <= 50 and (veh["status"] == "available").mean() > 0.5
    caps = {c for s in veh["capabilities"].dropna() for c in s.split(",") if c}
    assert caps <= {"high_clearance", "4x4", "boat"} and "boat" in caps
    assert veh["contact"].str.match(r"0\d").all()
    inc = layers["incidents"]
    assert pd.to_datetime(inc["date"]).notna().all()


# ---------------------------------------------------------------- topology


def test_roads_meet_rivers_only_at_bridges(layers: dict[str, gpd.GeoDataFrame]) -> None:
    roads, rivers, border = layers["roads"], layers["rivers"], layers["border"]
    assert 2 <= len(rivers) <= 3
    river = shapely.union_all(rivers.geometry.values)
    hits = shapely.intersects(roads.geometry.values, river)
    assert hits.any()
    assert roads["bridge"].to_numpy()[hits].all()
    over_border = shapely.intersects(roads.geometry.values, border.geometry.iloc[0])
    assert 1 <= over_border.sum() <= 2 and roads["bridge"].to_numpy()[over_border].all()
    land = shapely.union_all(layers["districts"].geometry.values)
    for geom in roads.geometry[over_border]:  # border bridges end in "Malaysia"
        assert not land.buffer(5).contains(shapely.get_point(geom, -1))


def test_roads_are_noded(layers: dict[str, gpd.GeoDataFrame]) -> None:
    geoms = layers["roads"].geometry.values
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    ends = shapely.multipoints(
        np.stack(
            [shapely.get_coordinates(shapely.get_point(geoms, 0)), shapely.get_coordinates(shapely.get_point(geoms, -1))],
            axis=1,
        )
    )
    inter = shapely.intersection(geoms[a], geoms[b])
    shared = shapely.intersection(ends[a], ends[b])
    ok = shapely.equals(inter, shared) | (shapely.is_empty(inter) & shapely.is_empty(shared))
    assert not (~ok).any(), f"{(~ok).sum()} road pairs cross or overlap away from shared ends"
    assert not shapely.is_empty(inter).any()  # every candidate pair meets at an end


def test_road_network_is_connected(layers: dict[str, gpd.GeoDataFrame]) -> None:
    coords = shapely.get_coordinates(layers["roads"].geometry.values)
    first = shapely.get_coordinates(shapely.get_point(layers["roads"].geometry.values, 0))
    last = shapely.get_coordinates(shapely.get_point(layers["roads"].geometry.values, -1))
    pts, inv = np.unique(np.vstack([first, last]), axis=0, return_inverse=True)
    n = len(first)
    m = coo_matrix((np.ones(n), (inv[:n], inv[n:])), shape=(len(pts), len(pts)))
    n_comp, _ = connected_components(m, directed=False)
    assert n_comp == 1
    assert len(coords) >= 5000


# ---------------------------------------------------------------- hazards


def test_flood_raster_agrees_with_polygons(demo_dir: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    hz = layers["hazards"]
    assert 2 <= len(hz) <= 5
    assert (hz["kind"] == "flood").all()
    with rasterio.open(demo_dir / "flood_depth.tif") as src:
        assert src.crs.to_epsg() == 32647
        assert src.dtypes[0] == "float32" and src.nodata == -9999
        assert src.res == (50.0, 50.0)
        rep = hz.geometry.representative_point()
        inside = np.array([v[0] for v in src.sample(zip(rep.x, rep.y))])
        assert (inside > 0.1).all()
        # random land points far from any flood polygon are dry
        rng = np.random.default_rng(0)
        land = shapely.union_all(layers["districts"].geometry.values)
        xmin, ymin, xmax, ymax = land.bounds
        p = rng.uniform((xmin, ymin), (xmax, ymax), size=(4000, 2))
        flood = shapely.union_all(hz.geometry.values)
        far = shapely.contains_xy(land.buffer(-200), p[:, 0], p[:, 1]) & (shapely.distance(shapely.points(p), flood) > 1000)
        assert far.sum() > 1000
        dry = np.array([v[0] for v in src.sample(map(tuple, p[far]))])
        assert np.all(np.abs(dry) < 0.01)
        depth = src.read(1)
    wet_area = float((depth > 0.1).sum()) * 2500.0
    assert wet_area == pytest.approx(hz.area.sum(), rel=0.15)


def test_flood_touches_roads_villages_and_shelters(layers: dict[str, gpd.GeoDataFrame]) -> None:
    flood = shapely.union_all(layers["hazards"].geometry.values)
    roads = layers["roads"]
    flooded = shapely.intersects(roads.geometry.values, flood)
    assert 0.01 < flooded.mean() < 0.3
    v = layers["villages"]
    in_v = shapely.contains_xy(flood, v.geometry.x, v.geometry.y)
    assert in_v.sum() >= 5
    at_risk = v.loc[in_v, "population"].sum()
    sh = layers["shelters"]
    # the shelters usable in a flood (dry, safe for floods) hold 90-105 % of the people inside the flood
    dry = ~shapely.contains_xy(flood, sh.geometry.x, sh.geometry.y)
    safe = sh["safe_for"].fillna("").map(lambda t: t == "" or "flood" in t.split(","))
    assert 0.88 <= sh.loc[dry & safe, "capacity"].sum() / at_risk <= 1.07
    assert shapely.contains_xy(flood, sh.geometry.x, sh.geometry.y).sum() >= 2
    assert (sh["kind"] == "hospital").any() and set(sh["kind"]) == {"shelter", "safe_area", "refuge", "hospital"}
    assert sh["contact"].str.len().gt(6).all()


# ---------------------------------------------------------------- admin areas and placement


def test_districts_and_tambons(layers: dict[str, gpd.GeoDataFrame]) -> None:
    d, t, border = layers["districts"], layers["tambons"], layers["border"].geometry.iloc[0]
    assert 10 <= len(d) <= 13
    assert d["district_id"].str.fullmatch(r"TH96\d\d").all()
    assert d["name_th"].map(lambda s: bool(THAI.search(s))).all()
    assert d["name_en"].str.match(r"[A-Z]").all() and "Tak Bai" in set(d["name_en"])
    assert (d["province"] == "Narathiwat (synthetic)").all()
    assert (d.distance(border) < 5).sum() >= 3
    # districts tile the land without overlaps
    assert shapely.union_all(d.geometry.values).area == pytest.approx(d.area.sum(), rel=1e-6)
    per = t.groupby("district_id").size()
    assert set(per.index) == set(d["district_id"]) and per.between(3, 6).all()
    for did, group in t.groupby("district_id"):
        dist_poly = d.loc[d["district_id"] == did].geometry.iloc[0]
        assert shapely.union_all(group.geometry.values).symmetric_difference(dist_poly).area < 1.0


def test_villages_within_districts_near_roads(layers: dict[str, gpd.GeoDataFrame]) -> None:
    v = layers["villages"]
    land = shapely.union_all(layers["districts"].geometry.values)
    assert shapely.contains_xy(land, v.geometry.x, v.geometry.y).all()
    nodes = shapely.get_coordinates(layers["roads"].geometry.values)
    dist, _ = cKDTree(nodes).query(np.column_stack([v.geometry.x, v.geometry.y]))
    assert dist.max() <= 150.0
    river = shapely.union_all(layers["rivers"].geometry.values)
    assert (v.distance(river) > 30).all()
    for name in ("vehicles", "shelters", "pois"):
        g = layers[name]
        assert shapely.contains_xy(land.buffer(1), g.geometry.x, g.geometry.y).all(), name


@pytest.mark.parametrize("name", [*GPKG_LAYERS, "shelters"])
def test_coordinates_in_narathiwat(layers: dict[str, gpd.GeoDataFrame], name: str) -> None:
    xmin, ymin, xmax, ymax = layers[name].to_crs("EPSG:4326").total_bounds
    assert xmin >= 101.4 and xmax <= 102.2, (xmin, xmax)
    assert ymin >= 5.7 and ymax <= 6.7, (ymin, ymax)


def test_places_match_real_towns(layers: dict[str, gpd.GeoDataFrame]) -> None:
    d = layers["districts"].to_crs("EPSG:4326").set_index("name_en")
    assert d.loc["Mueang Narathiwat"].geometry.contains(shapely.Point(101.82, 6.43))
    assert d.loc["Su-ngai Kolok"].geometry.distance(shapely.Point(101.97, 6.04)) < 0.01
    assert d.loc["Tak Bai"].geometry.distance(shapely.Point(102.05, 6.25)) < 0.01


# ---------------------------------------------------------------- synthetic_road_graph


def test_synthetic_road_graph_size_and_connectivity() -> None:
    g = synthetic_road_graph(20_000, seed=3)
    assert 18_000 <= g.n_nodes <= 22_000
    assert 1.3 <= g.n_edges / g.n_nodes <= 2.0
    assert g.x.dtype == np.float64 and g.u.dtype == np.int64 and g.v.dtype == np.int64
    assert g.oneway.dtype == bool and g.bridge.dtype == bool
    assert (g.u != g.v).all()
    pairs = np.sort(np.column_stack([g.u, g.v]), axis=1)
    assert len(np.unique(pairs, axis=0)) == g.n_edges
    m = coo_matrix((np.ones(g.n_edges), (g.u, g.v)), shape=(g.n_nodes, g.n_nodes))
    _, labels = connected_components(m, directed=False)
    assert np.bincount(labels).max() / g.n_nodes > 0.95
    assert {"trunk", "residential", "unclassified"} <= set(g.highway.tolist())
    h = synthetic_road_graph(20_000, seed=3)
    for field in ("x", "y", "u", "v", "highway", "oneway", "bridge"):
        np.testing.assert_array_equal(getattr(g, field), getattr(h, field))
    assert not np.array_equal(synthetic_road_graph(20_000, seed=4).x[:100], g.x[:100])


def test_synthetic_graph_to_roads() -> None:
    g = synthetic_road_graph(2_000, seed=0)
    roads = g.to_roads()
    assert len(roads) == g.n_edges and roads.crs == "EPSG:32647"
    assert list(roads.columns) == ["road_id", "highway", "name", "oneway", "bridge", "maxspeed_kph", "geometry"]
    assert roads["road_id"].is_unique
    assert (shapely.get_num_coordinates(roads.geometry.values) == 2).all()
    lon, lat = roads.to_crs("EPSG:4326").total_bounds.reshape(2, 2).T
    assert lon[0] >= 101.4 and lon[1] <= 102.2 and lat[0] >= 5.7 and lat[1] <= 6.7


def test_people_layers_add_up(demo_dir: Path) -> None:
    """The population rasters hold exactly the villages' people; groups never exceed a village's population;
    events are keyed by tambons that exist, floods come back most in the most flooded tambons."""
    import pyogrio
    import rasterio

    v = pyogrio.read_dataframe(demo_dir / "layers.gpkg", layer="villages")
    for g in ("under5", "elderly", "disabled", "bedridden"):
        assert (v[g] >= 0).all() and (v[g] <= v["population"]).all()
    assert 0.05 < v["under5"].sum() / v["population"].sum() < 0.10
    for name, col in (("population.tif", "population"), ("under5.tif", "under5")):
        with rasterio.open(demo_dir / name) as ds:
            grid = ds.read(1).astype(float)
            assert ds.crs.to_epsg() == 32647 and ds.res == (100.0, 100.0)
        assert grid.min() >= 0
        assert abs(grid.sum() - v[col].sum()) < 1e-4 * v[col].sum()
    ev = pd.read_csv(demo_dir / "events.csv", encoding="utf-8-sig")
    tam = pyogrio.read_dataframe(demo_dir / "layers.gpkg", layer="tambons")
    assert set(ev["tambon_id"]) <= set(tam["tambon_id"])
    assert {"flood", "landslide", "storm"} <= set(ev["kind"])
    per = ev[ev["kind"] == "flood"].groupby("tambon_id")["start"].agg(lambda d: d.str[:4].nunique())
    assert per.max() >= 5  # some tambon floods in most years: the repeat rule has something to find
    c = pd.read_csv(demo_dir / "contacts.csv", encoding="utf-8-sig", dtype=str)
    assert list(c["village_id"]) == list(v["village_id"]) and c["phone"].str.match(r"0\d\d-").all()
