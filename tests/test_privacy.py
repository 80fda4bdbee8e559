"""safegeo.privacy: which columns a public output leaves out, what it scrubs, and that no writer lets them through."""

from __future__ import annotations

import doctest
import html
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import safegeo.privacy
from safegeo.privacy import (
    REMOVED,
    is_free_text,
    is_sensitive,
    is_withheld,
    public_frame,
    public_record,
    scrub_text,
)

# the 15 contact-like columns of the user trial, then more
TRIAL_COLUMNS = ["tel", "เบอร์โทร", "driver_name", "e-mail", "mobile_no", "Contact Phone", "owner_name", "ผู้ติดต่อ",
                 "telephone", "contact", "phone", "owner", "email", "line_id", "notes"]
SENSITIVE = [c for c in TRIAL_COLUMNS if c != "notes"] + [
    "CONTACT", "Phone", "PHONE_NUMBER", "phoneNo", "phoneno", "telno", "Tel.", "tel_2", "mobile", "MobilePhone",
    "cellphone", "cell", "Cell No", "E_Mail_Address", "mail", "emailAddress", "LINE ID", "lineid", "LineId", "line",
    "OwnerName", "name_owner", "Driver", "driverName", "name of driver", "contact_person", "person", "personal_id",
    "citizen_id", "national id", "nationalID", "id_card", "first_name", "FirstName", "last name", "name_last",
    "fullname", "surname", "nickname", "username", "staff_name", "updated_by", "changed_by", "fax",
    "โทรศัพท์", "เบอร์ติดต่อ", "มือถือ", "อีเมล", "อีเมล์", "ไลน์", "ไลน์ไอดี", "เจ้าของ", "ชื่อเจ้าของ", "คนขับ",
    "ชื่อคนขับ", "ผู้ขับขี่", "พนักงานขับรถ", "ชื่อ-สกุล", "ชื่อสกุล", "นามสกุล", "ชื่อ - นามสกุล", "ชื่อผู้ติดต่อ",
    "ชื่อผู้ใหญ่บ้าน", "ผู้รับผิดชอบ", "เลขบัตรประชาชน", "เลขประจำตัวประชาชน", "ชื่อจริง",
]
PUBLIC = [
    "name", "name_en", "name_th", "NAME", "ชื่อหมู่บ้าน", "ชื่อตำบล", "ชื่ออำเภอ", "ชื่อ", "district", "district_id",
    "road_name", "tambon", "province", "village_id", "shelter_id", "camera_id", "vehicle_id", "population",
    "capacity", "kind", "category", "highway", "maxspeed_kph", "direction_deg", "fov_deg", "range_m", "radius_m",
    "type", "status", "agency", "capabilities", "updated_at", "changed_at", "share_within_30min", "geometry",
    "timeline", "hotel", "telemetry", "persons", "line_type", "cell_m", "national_road", "headcount", "idea",
    "most_loaded_shelter", "nearest_vehicle", "สถานีโทรทัศน์", "เสาโทรคมนาคม", "สถานะออนไลน์", "สกุลเงิน", "อำเภอ",
    "จำนวนประชากร",
]
FREE_TEXT = ["notes", "note", "Notes", "remark", "Remarks", "comment", "comments", "description", "driver_notes",
             "internalNote", "details", "memo", "หมายเหตุ", "รายละเอียด", "ความคิดเห็น"]


@pytest.mark.parametrize("column", SENSITIVE)
def test_contact_and_personal_columns_are_recognised(column: str) -> None:
    assert is_sensitive(column) and is_withheld(column)


@pytest.mark.parametrize("column", PUBLIC)
def test_place_names_and_analysis_columns_are_public(column: str) -> None:
    assert not is_sensitive(column) and not is_withheld(column)


@pytest.mark.parametrize("column", FREE_TEXT)
def test_free_text_columns_are_withheld(column: str) -> None:
    assert is_free_text(column) and is_withheld(column)


def test_every_trial_column_is_withheld() -> None:
    assert [c for c in TRIAL_COLUMNS if not is_withheld(c)] == []


def _thai_id(first12: str) -> str:
    """A 13-digit Thai national id with its check digit."""
    d = [int(c) for c in first12]
    return first12 + str((11 - sum(x * (13 - i) for i, x in enumerate(d)) % 11) % 10)


VALID_ID = _thai_id("310170020345")
WRONG_ID = VALID_ID[:-1] + str((int(VALID_ID[-1]) + 1) % 10)


@pytest.mark.parametrize(("text", "expected"), [
    ("driver Somchai 0812223334", "driver Somchai [removed]"),
    ("081-222-3334", REMOVED), ("081 222 3334", REMOVED), ("081.222.3334", REMOVED), ("08 1222 3334", REMOVED),
    ("+66 81 222 3334", REMOVED), ("+66812223334", REMOVED), ("+66 (0) 81-222-3334", REMOVED),
    ("0066 81 222 3334", REMOVED), ("061-234-5678", REMOVED), ("0991234567", REMOVED),
    ("02-123-4567", REMOVED), ("073-511-234", REMOVED), ("(073) 511 234", REMOVED), ("0 7351 1234", REMOVED),
    ("โทร.0812223334", "โทร.[removed]"), ("โทร 073511234 ต่อ 12", "โทร [removed] ต่อ 12"),
    ("0812223334,0812223335", "[removed],[removed]"), ("081 222 3334 073 511 234", "[removed] [removed]"),
    ("mail: somchai.j+fleet@example.co.th.", "mail: [removed]."),
    ("LINE: @somchai", "LINE: [removed]"), ("line id somchai_99", "line id [removed]"),
    ("Line ID: abc.def", "Line ID: [removed]"), ("ไลน์ somchai99", "ไลน์ [removed]"),
    ("ไอดีไลน์: abc", "ไอดีไลน์: [removed]"),
    (f"id {VALID_ID}", f"id {REMOVED}"),
    (f"{VALID_ID[0]}-{VALID_ID[1:5]}-{VALID_ID[5:10]}-{VALID_ID[10:12]}-{VALID_ID[12]}", REMOVED),
    (f"id {WRONG_ID}", f"id {WRONG_ID}"),  # wrong check digit: some other 13-digit number
])
def test_scrub_text_removes_contacts(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


@pytest.mark.parametrize("text", [
    "bands 05 10 15 20 25 min", "2024-06-01 08:00:00", "lon 101.8212345 lat 6.0812223334", "1.0812223334",
    "KT-1234", "capacity 1200", "0812223334567", "power line down near the bridge", "Railway Line Road",
    "online: yes", "ถนนสาย 42", "Mueang Narathiwat Hospital", "", "road_id 1234567890",
])
def test_scrub_text_keeps_what_is_not_a_contact(text: str) -> None:
    assert scrub_text(text) == text


def test_public_frame_drops_scrubs_and_keeps_types() -> None:
    gdf = gpd.GeoDataFrame(
        {"shelter_id": ["S1", "S2"], "name_en": ["Mosque 073-511-234", "School"], "Contact Phone": ["0812223334", None],
         "notes": ["driver Somchai", None], "capacity": [120, 80], "kind": pd.Categorical(["shelter", "refuge"]),
         "score": [-3.5, 2.0]},
        geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs="EPSG:32647")
    before = gdf.copy()
    out = public_frame(gdf)
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == gdf.crs and out.geometry.name == "geometry"
    assert list(out.columns) == ["shelter_id", "name_en", "capacity", "kind", "score", "geometry"]
    assert out["name_en"].tolist() == ["Mosque [removed]", "School"]
    assert out["capacity"].dtype == gdf["capacity"].dtype and out["score"].tolist() == [-3.5, 2.0]
    pd.testing.assert_frame_equal(gdf, before)  # the caller's frame is untouched
    # a geometry column whose name looks personal is still the geometry
    odd = gdf.rename_geometry("owner_location")
    assert public_frame(odd).geometry.name == "owner_location"


def test_public_record() -> None:
    rec = {"vehicle_id": "KT-1", "contact": "081-111-1111", "notes": "key with Malee", "capacity": 4,
           "agency": "Tak Bai, LINE: @takbai", "updated_by": "somchai"}
    assert public_record(rec) == {"vehicle_id": "KT-1", "capacity": 4, "agency": "Tak Bai, LINE: [removed]"}


def test_the_module_examples_run() -> None:
    failures, tried = doctest.testmod(safegeo.privacy, verbose=False)
    assert tried > 5 and failures == 0


# ---------------------------------------------------------------------------------------------------------------
# every public writer, on a generated study with personal columns added to its layers
# ---------------------------------------------------------------------------------------------------------------
ADDED = {
    "shelters": {"tel": "073-511-234", "เบอร์โทร": "081 222 3334", "e-mail": "somchai.j@example.org",
                 "Contact Phone": "+66 89 765 4321", "ผู้ติดต่อ": "สมชาย ใจดี", "telephone": "02-123-4567",
                 "notes": "driver Somchai Jaidee 0812223334, line: somchai99"},
    "vehicles": {"driver_name": "Somchai Jaidee", "mobile_no": "0861234567", "owner_name": "Malee Sukjai",
                 "LINE ID": "@malee_s", "หมายเหตุ": "คนขับ สมชาย ใจดี โทร 0925556666",
                 "notes": "spare key with Malee Sukjai 0937778888"},
    "cameras": {"owner": "Niran Rakdee", "phone": "0641112222"},
}
# personal data written into public text columns: the second net must catch it
IN_TEXT = {"shelters": ("name_en", " 073-999-888"), "villages": ("name_en", " (ban.info@example.org)"),
           "vehicles": ("agency", " LINE: @agency_line")}
SECRETS = sorted({v for cols in ADDED.values() for v in cols.values()}
                 | {"0812223334", "0925556666", "0937778888", "Jaidee", "ใจดี", "Sukjai", "Rakdee", "somchai99",
                    "malee_s", "073-999-888", "ban.info@example.org", "agency_line"})


def _variants(secret: str) -> set[str]:
    """How a value can appear in a file: as is, JSON-escaped (\\u0e43), HTML-escaped, digits only."""
    out = {secret, json.dumps(secret)[1:-1], html.escape(secret)}
    digits = "".join(ch for ch in secret if ch.isdigit())
    if len(digits) >= 9:
        out.add(digits)
    return out


def _file_text(path: Path) -> str:
    """Everything a reader of *path* can get: the raw bytes, and each GeoPackage layer as CSV."""
    text = path.read_bytes().decode("utf-8", "replace")
    if path.suffix == ".gpkg":
        for layer in pyogrio.list_layers(path)[:, 0]:
            df = pyogrio.read_dataframe(path, layer=layer)
            text += "\n" + " ".join(map(str, df.columns)) + "\n" + pd.DataFrame(df.drop(columns="geometry",
                                                                                       errors="ignore")).to_csv()
    return text


@pytest.fixture(scope="module")
def private_study(tmp_path_factory):
    """The generated study (400 road nodes) with the personal columns of :data:`ADDED` in its layers."""
    from safegeo.generate import generate_study_area
    from safegeo.study import load_study

    toml = generate_study_area(tmp_path_factory.mktemp("study"), n_nodes=400, seed=7)
    folder = toml.parent
    text = toml.read_text(encoding="utf-8")
    for layer in ("vehicles", "cameras", "villages"):
        gdf = pyogrio.read_dataframe(folder / "layers.gpkg", layer=layer)
        gdf = gdf.assign(**ADDED.get(layer, {}))
        if layer in IN_TEXT:
            col, extra = IN_TEXT[layer]
            gdf.loc[0, col] = f"{gdf.loc[0, col]}{extra}"
        pyogrio.write_dataframe(gdf, folder / "private.gpkg", layer=layer, driver="GPKG")
        text = text.replace(f'{layer} = {{ path = "layers.gpkg"', f'{layer} = {{ path = "private.gpkg"')
    toml.write_text(text, encoding="utf-8")
    shelters = pd.read_csv(folder / "shelters.csv", encoding="utf-8-sig").assign(**ADDED["shelters"])
    shelters.loc[0, "name_en"] += IN_TEXT["shelters"][1]
    shelters.to_csv(folder / "shelters.csv", index=False)
    return load_study(toml)


def _write_everything(study, out: Path, *, public: bool) -> list[Path]:
    """Every output a public run can produce: evacuation, coverage, response, registry, dispatch, study map."""
    from safegeo.coverage import analyze_coverage
    from safegeo.coverage.result import write_coverage
    from safegeo.evacuation import evacuate
    from safegeo.io import write_csv
    from safegeo.maps import study_map
    from safegeo.vehicles.dispatch import dispatch_for_study, dispatch_map
    from safegeo.vehicles.registry import Registry
    from safegeo.vehicles.response import response_for_study, write_response

    paths = list(evacuate(study).write(out / "evacuation", public=public, tiles=False))
    paths += write_coverage(analyze_coverage(study), out / "coverage", public=public, tiles=False)
    fleet = study.layer("vehicles")
    paths += write_response(response_for_study(study, fleet), out / "response", network=study.network("drive"),
                            study=study, public=public, tiles=False)
    paths.append(study_map(study, public=public, tiles=False).save(out / "study.html"))
    (out / "registry").mkdir()
    with Registry(out / "registry" / "fleet.db") as reg:
        reg.import_frame(fleet, study=study, by="Somchai Jaidee")
        reg.update(fleet["vehicle_id"].iloc[0], notes="call Malee Sukjai 0937778888", agency="x LINE: @malee_s",
                   by="Somchai Jaidee")
        for suffix in (".gpkg", ".geojson", ".csv"):
            paths.append(reg.export(out / "registry" / f"export{suffix}", public=public, study=study))
        paths.append(write_csv(out / "registry" / "history.csv", reg.history(public=public)))
        vid = fleet["vehicle_id"].iloc[0]
        (out / "registry" / "show.json").write_text(json.dumps(reg.get(vid, public=public), ensure_ascii=False),
                                                    encoding="utf-8")
        paths.append(out / "registry" / "show.json")
        registry_fleet = reg.vehicles()
    at = registry_fleet.geometry.iloc[0]
    res = dispatch_for_study(study, fleet, (at.x, at.y), n=3)
    (out / "dispatch.json").write_text(json.dumps(res.to_records(public=public), ensure_ascii=False),
                                       encoding="utf-8")
    paths.append(out / "dispatch.json")
    paths.append(dispatch_map(res, fleet=fleet, study=study, public=public, tiles=False).save(out / "dispatch.html"))
    return [Path(p) for p in paths]


def test_no_personal_data_reaches_any_public_output(private_study, tmp_path: Path) -> None:
    public = _write_everything(private_study, tmp_path / "public", public=True)
    full = _write_everything(private_study, tmp_path / "full", public=False)
    assert {p.suffix for p in public} == {".html", ".gpkg", ".csv", ".geojson", ".json"} and len(public) == 17
    # every file the public run wrote, not only those listed
    written = sorted(p for p in (tmp_path / "public").rglob("*") if p.is_file() and p.suffix != ".db"
                     and not p.name.endswith(("-wal", "-shm")))
    assert written == sorted(public)
    full_text = "\n".join(_file_text(p) for p in full)
    for secret in SECRETS:  # the test can fail: the planners' (non-public) outputs hold every value
        assert any(v in full_text for v in _variants(secret)), secret
    texts = {p: _file_text(p) for p in public}
    leaks = [(p.relative_to(tmp_path), secret) for p, text in texts.items() for secret in SECRETS
             if any(v in text for v in _variants(secret))]
    assert leaks == []
    # no personal or free-text column in any public GeoPackage layer or CSV
    for p in public:
        if p.suffix == ".gpkg":
            for layer in pyogrio.list_layers(p)[:, 0]:
                cols = pyogrio.read_info(p, layer=layer)["fields"]
                assert not [c for c in cols if is_withheld(c)], (p.name, layer)
        elif p.suffix == ".csv":
            assert not [c for c in pd.read_csv(p).columns if is_withheld(c)], p.name
    # what is public stays: the names around the removed number, and the camera sectors themselves
    shelters = pyogrio.read_dataframe(tmp_path / "public" / "evacuation" / "evacuation.gpkg", layer="shelters")
    first = shelters.loc[shelters["name_en"].str.contains(REMOVED, regex=False), "name_en"]
    assert len(first) == 1 and first.iloc[0].endswith(f" {REMOVED}") and "Hospital" in first.iloc[0]
    sectors = pyogrio.read_dataframe(tmp_path / "public" / "coverage" / "coverage.gpkg", layer="camera_sectors")
    assert len(sectors) == len(private_study.layer("cameras")) and "camera_id" in sectors.columns
    assert {"owner", "phone"} <= set(pyogrio.read_dataframe(tmp_path / "full" / "coverage" / "coverage.gpkg",
                                                           layer="camera_sectors").columns)


def test_public_csv_summaries_keep_their_numbers(private_study, tmp_path: Path) -> None:
    from safegeo.evacuation import evacuate

    res = evacuate(private_study)
    pub = pd.read_csv(res.write(tmp_path / "p", public=True, tiles=False)[2])
    full = pd.read_csv(res.write(tmp_path / "f", tiles=False)[2])
    numeric = full.select_dtypes(include=[np.number]).columns
    pd.testing.assert_frame_equal(pub[numeric], full[numeric])
