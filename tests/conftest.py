"""Shared fixtures: the real data beside the repo, and tiny study areas built in tmp_path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
OSM_DIR = SHARED / "osm_osmnx_tests"
UTM47 = "EPSG:32647"
# a point in Mueang Narathiwat, in UTM 47N metres
X0, Y0 = 812_000.0, 711_000.0


@pytest.fixture(scope="session", autouse=True)
def _network_cache(tmp_path_factory):
    """Prepared networks of the whole test session go to one temporary folder, not beside study files.

    (``tests/test_network_cache.py`` checks the default place beside the study file.)
    """
    path = tmp_path_factory.mktemp("network-cache")
    old = os.environ.get("SAFEGEO_CACHE_DIR")
    os.environ["SAFEGEO_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("SAFEGEO_CACHE_DIR", None)
    else:
        os.environ["SAFEGEO_CACHE_DIR"] = old


def _need_shared() -> Path:
    if SHARED.is_dir():
        return SHARED
    if os.environ.get("CI"):
        pytest.fail(f"{SHARED} is missing; CI must run with the shared data beside the repo")
    pytest.skip(f"{SHARED} not present")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skips when absent, fails when CI is set."""
    return _need_shared()


def grid_roads(n: int = 4, spacing: float = 100.0, *, x0: float = X0, y0: float = Y0) -> gpd.GeoDataFrame:
    """An n × n street grid (noded at every junction), residential roads, in UTM 47N."""
    lines = []
    for i in range(n):
        for j in range(n - 1):
            lines.append(shapely.LineString([(x0 + j * spacing, y0 + i * spacing), (x0 + (j + 1) * spacing, y0 + i * spacing)]))
            lines.append(shapely.LineString([(x0 + i * spacing, y0 + j * spacing), (x0 + i * spacing, y0 + (j + 1) * spacing)]))
    return gpd.GeoDataFrame({"road_id": np.arange(len(lines)), "highway": "residential"}, geometry=lines, crs=UTM47)


def write_study(tmp: Path, layers: dict[str, gpd.GeoDataFrame], *, extra: str = "", crs: str | None = UTM47) -> Path:
    """Write layers to tmp/layers.gpkg and a study.toml naming them."""
    import pyogrio

    gpkg = tmp / "layers.gpkg"
    lines = ["[study]", 'name = "test study"']
    if crs:
        lines.append(f'crs = "{crs}"')
    lines.append("[layers]")
    for name, gdf in layers.items():
        pyogrio.write_dataframe(gdf, gpkg, layer=name, driver="GPKG")
        lines.append(f'{name} = {{ path = "layers.gpkg", layer = "{name}" }}')
    toml = tmp / "study.toml"
    toml.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return toml


@pytest.fixture
def tiny_study(tmp_path: Path) -> Path:
    """A 4×4 grid town with two villages, two shelters and one district, as a study file."""
    roads = grid_roads()
    villages = gpd.GeoDataFrame({"village_id": ["V1", "V2"], "population": [100, 250], "name_en": ["A", "B"]},
                                geometry=[shapely.Point(X0 + 5, Y0 + 5), shapely.Point(X0 + 295, Y0 + 290)], crs=UTM47)
    shelters = gpd.GeoDataFrame({"shelter_id": ["S1", "S2"], "capacity": [200, 200], "kind": ["shelter", "hospital"],
                                 "name_en": ["School", "Hospital"], "contact": ["081-000-0000", "082-000-0000"]},
                                geometry=[shapely.Point(X0 + 100, Y0 + 100), shapely.Point(X0 + 300, Y0 + 300)], crs=UTM47)
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name_en": ["West", "East"], "name_th": ["ตะวันตก", "ตะวันออก"]},
                                 geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 350),
                                           shapely.box(X0 + 150, Y0 - 50, X0 + 350, Y0 + 350)], crs=UTM47)
    border = gpd.GeoDataFrame({"name": ["border"]},
                              geometry=[shapely.LineString([(X0 + 150, Y0 - 50), (X0 + 650, Y0 - 50)])], crs=UTM47)
    return write_study(tmp_path, {"roads": roads, "districts": districts, "border": border,
                                  "villages": villages, "shelters": shelters})


def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture
def hand_study(tmp_path: Path) -> Path:
    """One district of two tambons (west T1, east T2), a road along the middle, a nested flood (high inside medium).

    ::

        y=1000 +-----------T1-----------+-----------T2-----------+
               | high    | medium       |                        |
               | V1  S1  |   V2         |        V3      S2      |
        y=500  *---------*--------------*------------*-----------*   road, nodes at x = 0 250 750 1250 1750 2000
               |         |  P1 (school) |                        |
        y=0    +---------+--------------+------------------------+   border along y = 0
               x=0     500            1000                     2000
    """
    d = gpd.GeoDataFrame({"district_id": ["D1"], "name_en": ["Dist"], "name_th": ["อำเภอ"]},
                         geometry=[_box(0, 0, 2000, 1000)], crs=UTM47)
    t = gpd.GeoDataFrame({"tambon_id": ["T1", "T2"], "name_en": ["West", "East"], "name_th": ["ตะวันตก", "ตะวันออก"],
                          "district_id": ["D1", "D1"]}, geometry=[_box(0, 0, 1000, 1000), _box(1000, 0, 2000, 1000)],
                         crs=UTM47)
    xs = [0, 250, 750, 1250, 1750, 2000]
    roads = gpd.GeoDataFrame({"road_id": range(5), "highway": "primary"},
                             geometry=[shapely.LineString([(X0 + a, Y0 + 500), (X0 + b, Y0 + 500)])
                                       for a, b in zip(xs, xs[1:])], crs=UTM47)
    villages = gpd.GeoDataFrame({"village_id": ["V1", "V2", "V3"], "population": [100, 200, 300],
                                 "under5": [10, 20, 30], "elderly": [5, 6, 7], "name_en": ["A", "B", "C"]},
                                geometry=shapely.points([[X0 + 250, Y0 + 750], [X0 + 750, Y0 + 750],
                                                         [X0 + 1500, Y0 + 750]]), crs=UTM47)
    shelters = gpd.GeoDataFrame({"shelter_id": ["S1", "S2"], "capacity": [50, 500], "kind": ["hospital", "shelter"],
                                 "name_en": ["Clinic", "Hall"]},
                                geometry=shapely.points([[X0 + 400, Y0 + 750], [X0 + 1900, Y0 + 750]]), crs=UTM47)
    pois = gpd.GeoDataFrame({"poi_id": ["P1", "P2"], "kind": ["school", "market"]},
                            geometry=shapely.points([[X0 + 600, Y0 + 250], [X0 + 1600, Y0 + 250]]), crs=UTM47)
    hazards = gpd.GeoDataFrame({"hazard_id": ["H1", "H2"], "kind": ["flood", "flood"], "severity": ["high", "medium"]},
                               geometry=[_box(0, 0, 500, 1000), _box(0, 0, 1000, 1000)], crs=UTM47)
    border = gpd.GeoDataFrame({"name": ["border"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 2000, Y0)])],
                              crs=UTM47)
    # population raster: 100 m cells over the district, 1 person per cell, 3 under-5s per cell in the east half
    with rasterio.open(tmp_path / "pop.tif", "w", driver="GTiff", width=20, height=10, count=1, dtype="float32",
                       crs=UTM47, transform=from_origin(X0, Y0 + 1000, 100, 100)) as ds:
        ds.write(np.ones((10, 20), np.float32), 1)
    u5 = np.zeros((10, 20), np.float32)
    u5[:, 10:] = 3.0
    with rasterio.open(tmp_path / "u5.tif", "w", driver="GTiff", width=20, height=10, count=1, dtype="float32",
                       crs=UTM47, transform=from_origin(X0, Y0 + 1000, 100, 100)) as ds:
        ds.write(u5, 1)
    pd.DataFrame({"tambon_id": ["T1", "T1", "T1", "T2", "T2"], "kind": "flood",
                  "date": ["2021-11-02", "2022-12-01", "2023-11-20", "2019-11-05", "2025-01-03"]}
                 ).to_csv(tmp_path / "events.csv", index=False)
    extra = ('population = [ { path = "pop.tif", group = "total" }, { path = "u5.tif", group = "under5" } ]\n'
             'events = { path = "events.csv" }\n'
             '[events]\nas_of = "2025-12-31"\n')
    toml = write_study(tmp_path, {"roads": roads, "districts": d, "tambons": t, "border": border,
                                  "villages": villages, "shelters": shelters, "pois": pois, "hazards": hazards})
    text = toml.read_text().replace("\n[layers]\n", "\n[layers]\n" + extra.split("[events]")[0])
    toml.write_text(text + "[events]\n" + extra.split("[events]\n")[1], encoding="utf-8")
    return toml


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (network blocked per page) for the session's browser tests.

    Skips when Chromium or playwright is missing, except under CI, where it fails.
    """
    from browser import MapBrowser, chromium_path

    problem = None
    if chromium_path() is None:
        problem = "Chromium is not installed"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}, and browser tests must run on CI")
        pytest.skip(problem)
    with MapBrowser() as b:
        yield b


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``safegeo demo`` run once per session into a temporary folder (the DemoResult)."""
    from safegeo.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo"), lang="en")


@dataclass
class NotebookRun:
    """A notebook executed top to bottom: its code-cell outputs and their text."""

    outputs: list
    text: str  # stream output (print) of every code cell
    out_dir: Path

    @property
    def html(self) -> list[str]:
        return [o["data"]["text/html"] for o in self.outputs if "text/html" in o.get("data", {})]

    @property
    def tables(self) -> str:
        return "\n".join(o.get("data", {}).get("text/plain", "") for o in self.outputs)


def run_notebook(name: str, study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NotebookRun:
    """Run ``notebooks/<name>`` on *study* (env SAFEGEO_DEMO_STUDY), writing into tmp_path/out.

    Fails the test if any cell raised.
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    out = tmp_path / "out"
    monkeypatch.setenv("SAFEGEO_DEMO_STUDY", str(study))
    monkeypatch.setenv("SAFEGEO_NOTEBOOK_OUT", str(out))
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    return NotebookRun(outputs, "\n".join(o.get("text", "") for o in outputs), out)
