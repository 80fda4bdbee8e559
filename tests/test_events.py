"""Repeat-disaster areas: a DDPM-style table of declared disaster tambons, counted by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from safegeo import ValidationError
from safegeo.exposure.events import repeat_disasters, repeat_flags
from safegeo.study import load_study

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"

# Declared disaster areas as the DDPM lists them: Thai headers, Buddhist-era dates in some rows.
CSV = """รหัสตำบล,ภัย,วันที่เกิดภัย,วันที่สิ้นสุด,ผู้ได้รับผลกระทบ
TH960101,flood,2020-12-01,2020-12-20,1200
TH960101,flood,2022-01-05,,800
TH960101,flood,2567-11-28,2568-01-10,1500
TH960101,landslide,2023-05-02,,40
TH960102,flood,2021-12-03,,300
TH960102,flood,2024-12-01,,500
TH960103,flood,2019-11-20,,100
TH960103,flood,2020-11-21,,100
TH960103,flood,2021-11-22,,100
TH960104,haze,2023-03-01,2023-03-31,5000
TH960104,haze,2024-02-10,2024-03-15,6000
TH960104,haze,2025-03-02,,5500
"""


@pytest.fixture
def study_with_events(tmp_path):
    dest = tmp_path / "study"
    shutil.copytree(DEMO, dest, ignore=shutil.ignore_patterns(".safegeo"))
    (dest / "events.csv").write_text(CSV, encoding="utf-8")
    toml = dest / "study.toml"
    text = toml.read_text(encoding="utf-8")
    # the demo's own events entry gives way to this table, named the way a DDPM export names its columns
    assert 'events = { path = "events.csv" }\n' in text
    text = text.replace('events = { path = "events.csv" }\n',
                        'events = { path = "events.csv", columns = { tambon_id = "รหัสตำบล", kind = "ภัย", '
                        'start = "วันที่เกิดภัย", end = "วันที่สิ้นสุด", affected = "ผู้ได้รับผลกระทบ" } }\n', 1)
    toml.write_text(text + '\n[events]\nas_of = "2025-12-31"\n', encoding="utf-8")
    return toml


def test_a_tambon_table_gives_the_hand_counted_repeat_areas(study_with_events):
    study = load_study(study_with_events)
    assert study.layers["events"].geometry.isna().all() and len(study.layers["events"]) == 12
    t = repeat_disasters(study.layers["events"], areas=study.areas, params=study.params)
    t = t.set_index(["tambon_id", "kind"])
    # window 2021-2025 (5 years up to as_of)
    # T1 flood: 2020 (out), 2022, 2024-2025 (B.E. 2567-2568) -> years 2022, 2024, 2025 = 3 -> repeat
    r = t.loc[("TH960101", "flood")]
    assert (r["years_affected"], r["events"], bool(r["repeat_area"])) == (3, 3, True)
    assert r["last_event"] == "2025-01-10" and r["affected"] == 800 + 1500
    assert r["events_per_year"] == pytest.approx(2 / 5)
    # T1 landslide: one year -> not repeat
    assert not t.loc[("TH960101", "landslide"), "repeat_area"]
    # T2 flood: 2021, 2024 -> 2 years -> not repeat
    assert t.loc[("TH960102", "flood"), "years_affected"] == 2 and not t.loc[("TH960102", "flood"), "repeat_area"]
    # T3 flood: 2019, 2020 out of the window, 2021 in -> 1 year
    assert t.loc[("TH960103", "flood"), "years_affected"] == 1
    # T4 haze (PM2.5) is a kind like any other: 2023, 2024, 2025 -> repeat
    assert bool(t.loc[("TH960104", "haze"), "repeat_area"]) and t.loc[("TH960104", "haze"), "window_years"] == "2021-2025"
    flags = repeat_flags(t.reset_index())
    assert flags.loc["TH960101", "repeat_kinds"] == "flood" and flags.loc["TH960104", "repeat_kinds"] == "haze"
    assert not flags.loc["TH960102", "repeat_area"]
    # a stricter rule (every year of the last three) flags nobody
    strict = repeat_disasters(study.layers["events"], areas=study.areas, params=study.params, window_years=3,
                              min_years_affected=3, as_of="2024-12-31")
    assert not strict["repeat_area"].any()


def test_events_by_location_are_placed_in_tambons(study_with_events):
    study = load_study(study_with_events)
    tam = study.layers["tambons"]
    inner = tam.geometry.iloc[[0, 1]].representative_point().to_numpy()
    flood_poly = shapely.union_all(tam.geometry.iloc[[2, 3]].buffer(-50).to_numpy())  # over two tambons
    ev = gpd.GeoDataFrame({"kind": ["fire", "fire", "flood"], "date": ["2024-01-01", "2025-01-01", "2025-06-01"]},
                          geometry=[inner[0], inner[0], flood_poly], crs=tam.crs)
    t = repeat_disasters(ev, areas=study.areas, window_years=2, min_years_affected=2).set_index(["tambon_id", "kind"])
    assert bool(t.loc[(tam["tambon_id"].iloc[0], "fire"), "repeat_area"])
    assert set(t.xs("flood", level="kind").index) == set(tam["tambon_id"].iloc[[2, 3]])


def test_unreadable_dates_are_reported_with_rows(study_with_events):
    study = load_study(study_with_events)
    ev = study.layers["events"].copy()
    ev.loc[[3, 7], "start"] = "sometime"
    with pytest.raises(ValidationError, match=r"2 event\(s\) without a readable date.*rows 4, 8"):
        repeat_disasters(ev, areas=study.areas)
