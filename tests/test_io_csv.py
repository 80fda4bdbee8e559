"""safegeo.io.write_csv / csv_text: CSV files that Excel opens with Thai text intact and no formula run."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from safegeo.io import FORMULA_PREFIXES, csv_safe, csv_text, write_csv

BOM = b"\xef\xbb\xbf"


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "district": ["ตากใบ", "=HYPERLINK(\"http://x\",\"y\")", "+66812223334", "-2+3", "@SUM(A1)", "\tcmd", "\rx",
                     "Su-ngai Kolok", "＝1+1"],
        "people": [1200, 0, 3, 4, 5, 6, 7, 8, 9],
        "change": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    })


def test_write_csv_has_a_bom_and_round_trips_thai(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "summary.csv", _frame())
    raw = path.read_bytes()
    assert raw.startswith(BOM) and not raw[3:].startswith(BOM)
    back = pd.read_csv(path)
    assert list(back.columns) == ["district", "people", "change"]  # the mark is not glued to the first name
    assert back.loc[0, "district"] == "ตากใบ" and back.loc[7, "district"] == "Su-ngai Kolok"
    assert back["people"].tolist() == [1200, 0, 3, 4, 5, 6, 7, 8, 9] and back["people"].dtype == "int64"
    assert back["change"].dtype == float and back.loc[0, "change"] == -3.5  # a number is not text: no prefix
    # Excel's own reading: the bytes after the mark are plain UTF-8
    assert raw[3:].decode("utf-8").splitlines()[1].startswith("ตากใบ,1200,-3.5")


def test_formula_cells_get_a_leading_quote(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "out.csv", _frame())
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    cells = [r[0] for r in rows[1:]]
    assert cells == ["ตากใบ", "'=HYPERLINK(\"http://x\",\"y\")", "'+66812223334", "'-2+3", "'@SUM(A1)", "'\tcmd",
                     "'\rx", "Su-ngai Kolok", "'＝1+1"]
    # no text cell left that a spreadsheet would evaluate (the numbers column is numbers)
    assert not [c for r in rows for c in r[:2] if c.startswith(FORMULA_PREFIXES)]
    assert [r[2] for r in rows[1:3]] == ["-3.5", "1.0"]


def test_headers_geometry_and_categoricals(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"=cmd": ["a"], "kind": pd.Categorical(["-x"])}, geometry=[shapely.Point(0, 0)],
                           crs="EPSG:4326")
    back = pd.read_csv(write_csv(tmp_path / "g.csv", gdf), dtype=str)
    assert list(back.columns) == ["'=cmd", "kind"] and back.loc[0, "kind"] == "'-x"


def test_csv_safe_leaves_the_input_alone() -> None:
    df = _frame()
    before = df.copy()
    safe = csv_safe(df)
    pd.testing.assert_frame_equal(df, before)
    assert safe.loc[1, "district"].startswith("'=") and safe["change"].dtype == float


def test_csv_text_for_stdout_has_no_bom() -> None:
    text = csv_text(_frame())
    assert not text.startswith("\ufeff") and text.splitlines()[0] == "district,people,change"
    assert text.endswith("\r\n") and '\r\n"\'=HYPERLINK(""http://x"",""y"")",0,1.0\r\n' in text
    assert pd.read_csv(io.StringIO(text))["district"].tolist() == csv_safe(_frame())["district"].tolist()


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\t1", "\r1"])
def test_each_owasp_prefix_is_neutralised(value: str) -> None:
    assert csv_safe(pd.DataFrame({"a": [value]})).loc[0, "a"] == "'" + value
