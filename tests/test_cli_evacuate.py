"""``safegeo evacuate``: outputs, hazard selection and clean errors."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from conftest import UTM47, X0, Y0, grid_roads, write_study

from safegeo.cli import cli

LAYERS = {"assignments", "routes", "unreachable", "critical_roads", "edge_load", "shelters"}


def _study(tmp_path):
    """The tiny grid town with a flood polygon over the west shelter (S1) and a severity-low strip."""
    roads = grid_roads()
    villages = gpd.GeoDataFrame({"village_id": ["V1", "V2"], "population": [100, 250]},
                                geometry=[shapely.Point(X0 + 5, Y0 + 5), shapely.Point(X0 + 295, Y0 + 290)], crs=UTM47)
    shelters = gpd.GeoDataFrame({"shelter_id": ["S1", "S2"], "capacity": [200, 200], "kind": ["shelter", "hospital"],
                                 "contact": ["081-000-0000", "082-000-0000"]},
                                geometry=[shapely.Point(X0 + 100, Y0 + 100), shapely.Point(X0 + 300, Y0 + 300)], crs=UTM47)
    flood = gpd.GeoDataFrame({"hazard_id": ["F1"], "kind": ["flood"], "severity": ["high"]},
                             geometry=[shapely.box(X0 + 80, Y0 + 80, X0 + 120, Y0 + 120)], crs=UTM47)
    toml = write_study(tmp_path, {"roads": roads, "villages": villages, "shelters": shelters, "flood": flood})
    text = toml.read_text().replace('flood = { path = "layers.gpkg", layer = "flood" }',
                                    'hazards = [{ path = "layers.gpkg", layer = "flood", kind = "flood", name = "river" }]')
    toml.write_text(text)
    return toml


def test_evacuate_writes_every_output(tmp_path):
    toml = _study(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["evacuate", str(toml), "--out", str(out), "--no-tiles"])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} >= {"evacuation.gpkg", "summary.csv", "evacuation.html"}
    assert set(pyogrio.list_layers(out / "evacuation.gpkg")[:, 0]) == LAYERS
    sh = pyogrio.read_dataframe(out / "evacuation.gpkg", layer="shelters").set_index("shelter_id")
    # the flood covers S1: everyone goes to S2, whose 200 places leave 150 people over
    assert not sh.loc["S1", "eligible"] and sh.loc["S1", "excluded_reason"] == "inside hazard river"
    a = pyogrio.read_dataframe(out / "evacuation.gpkg", layer="assignments")
    assert a.loc[a["status"] == "assigned", "population"].sum() == 200
    assert a.loc[a["status"] == "overflow", "population"].sum() == 150
    assert "overflow 150" in r.output and "river" in r.output
    summ = pd.read_csv(out / "summary.csv")
    assert summ["overflow"].sum() == 150


def test_hazard_selection_by_name_kind_or_none(tmp_path):
    toml = _study(tmp_path)
    runner = CliRunner()
    for args, s1_eligible in ((["--hazard", "river"], False), (["--hazard", "flood"], False),
                              (["--hazard", "none"], True), (["--no-hazard"], True)):
        out = tmp_path / ("o" + "_".join(args).replace("-", ""))
        r = runner.invoke(cli, ["evacuate", str(toml), "--out", str(out), "--no-tiles", "--no-capacity", *args])
        assert r.exit_code == 0, r.output
        sh = pyogrio.read_dataframe(out / "evacuation.gpkg", layer="shelters").set_index("shelter_id")
        assert bool(sh.loc["S1", "eligible"]) is s1_eligible, args


def test_errors_are_clean(tmp_path):
    toml = _study(tmp_path)
    runner = CliRunner()
    r = runner.invoke(cli, ["evacuate", str(toml), "--out", str(tmp_path / "x"), "--hazard", "quake"])
    assert r.exit_code == 1 and "no hazard named 'quake'" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["evacuate", str(toml), "--out", str(tmp_path / "x"), "--hazard", "river", "--no-hazard"])
    assert r.exit_code == 2 and "contradict" in r.output
    r = runner.invoke(cli, ["evacuate", str(toml), "--out", str(tmp_path / "x"), "--weight", "speed"])
    assert r.exit_code == 2
    r = runner.invoke(cli, ["evacuate", str(toml), "--out", str(tmp_path / "x"), "--max-minutes", "0"])
    assert r.exit_code == 2
    assert not (tmp_path / "x" / "evacuation.gpkg").exists()


def test_walking_by_distance(tmp_path):
    toml = _study(tmp_path)
    out = tmp_path / "walk"
    r = CliRunner().invoke(cli, ["evacuate", str(toml), "--out", str(out), "--no-tiles", "--no-hazard",
                                 "--mode", "walk", "--weight", "length", "--no-capacity", "--max-minutes", "5"])
    assert r.exit_code == 0, r.output
    a = pyogrio.read_dataframe(out / "evacuation.gpkg", layer="assignments").set_index("origin_id")
    # each village walks to the shelter nearest by distance, at 4.5 km/h, from where it joins its road:
    # V1 (5, 5) joins 5 m from the corner, 195 m from S1 (100, 100); V2 (295, 290) joins 10 m below S2 (300, 300)
    assert a.loc["V1", "shelter_id"] == "S1" and a.loc["V1", "distance_m"] == pytest.approx(195)
    assert a.loc["V2", "shelter_id"] == "S2" and a.loc["V2", "distance_m"] == pytest.approx(10)
    assert a.loc["V1", "snap_m"] == pytest.approx(5) and a.loc["V2", "snap_m"] == pytest.approx(5)
    assert a.loc["V1", "travel_time_s"] == pytest.approx(195 / (4.5 / 3.6))
    assert a.loc["V1", "status"] == "assigned"  # 2.7 min of walking, within 5
    r = CliRunner().invoke(cli, ["evacuate", str(toml), "--out", str(tmp_path / "walk2"), "--no-tiles", "--no-hazard",
                                 "--mode", "walk", "--weight", "length", "--no-capacity", "--max-minutes", "2"])
    a = pyogrio.read_dataframe(tmp_path / "walk2" / "evacuation.gpkg", layer="assignments").set_index("origin_id")
    assert a.loc["V1", "status"] == "beyond_max_time"


def test_bad_output_folder_and_missing_layer_are_clean_errors(tmp_path):
    toml = _study(tmp_path)
    runner = CliRunner()
    (tmp_path / "afile").write_text("x")
    r = runner.invoke(cli, ["evacuate", str(toml), "--out", str(tmp_path / "afile"), "--no-tiles"])
    assert r.exit_code == 2 and "is a file" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["evacuate", str(toml), "--out", str(tmp_path / "afile" / "sub"), "--no-tiles"])
    assert r.exit_code == 1 and "Traceback" not in r.output and (tmp_path / "afile").read_text() == "x"
    text = toml.read_text()
    toml.write_text("\n".join(line for line in text.splitlines() if not line.startswith("shelters")))
    r = runner.invoke(cli, ["evacuate", str(toml), "--out", str(tmp_path / "y"), "--no-tiles"])
    assert r.exit_code == 1 and "no 'shelters' layer" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "y").exists()


def test_origins_from_a_point_file_and_every_node(tiny_study, tmp_path):
    import geopandas as gpd
    import pyogrio
    import shapely
    from click.testing import CliRunner
    from conftest import UTM47, X0, Y0

    from safegeo.cli import cli

    buildings = gpd.GeoDataFrame({"population": [4, 6, 5]},
                                 geometry=[shapely.Point(X0 + 10, Y0 + 190), shapely.Point(X0 + 210, Y0 + 10),
                                           shapely.Point(X0 + 290, Y0 + 110)], crs=UTM47)
    buildings.to_file(tmp_path / "buildings.gpkg", layer="buildings")
    runner = CliRunner()
    r = runner.invoke(cli, ["evacuate", str(tiny_study), "--origins", str(tmp_path / "buildings.gpkg"),
                            "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    a = pyogrio.read_dataframe(tmp_path / "b" / "evacuation.gpkg", layer="assignments")
    assert a["population"].sum() == 15 and set(a["status"]) == {"assigned"}
    r = runner.invoke(cli, ["evacuate", str(tiny_study), "--origins", "nodes", "--no-capacity",
                            "--out", str(tmp_path / "n")])
    assert r.exit_code == 0, r.output
    a = pyogrio.read_dataframe(tmp_path / "n" / "evacuation.gpkg", layer="assignments")
    assert len(a) == 16  # the 4x4 grid's junctions
