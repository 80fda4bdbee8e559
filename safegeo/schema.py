"""What each study-area layer holds: geometry type, id column, required and optional columns.

This is the single description of the layer model, shared by the loader and
validator (:mod:`safegeo.study`), the demo generator (:mod:`safegeo.generate`)
and the maps (:mod:`safegeo.maps`).  Which columns a public output leaves out
is decided by :mod:`safegeo.privacy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Shelter kinds accepted in ``shelters.kind``.
SHELTER_KINDS = ("shelter", "safe_area", "refuge", "hospital")

#: Hazard severities, mildest first.  ``[evacuation.severity_speed_factor]`` maps them to speed factors.
SEVERITIES = ("low", "medium", "high", "extreme")

#: Emergency-vehicle types.
VEHICLE_TYPES = (
    "ambulance",
    "fire_engine",
    "rescue_truck",
    "rescue_boat",
    "water_tanker",
    "pickup_4x4",
    "other",
)
VEHICLE_STATUSES = ("available", "dispatched", "maintenance", "out_of_service")
VEHICLE_CAPABILITIES = ("high_clearance", "4x4", "boat")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "int", "float", "str", "bool"
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None
    min_exclusive: bool = False  # values must be > min_value (not >=)
    choices: tuple[str, ...] | None = None
    description: str = ""
    zero_note: str | None = None  # a warning for values of exactly 0 (allowed, but the feature will not be used)


@dataclass(frozen=True)
class LayerSpec:
    name: str
    geometry: str  # "point", "line", "polygon", or "any" (points, polygons or none: a table)
    id_column: str | None
    columns: tuple[Column, ...] = field(default_factory=tuple)
    multiple: bool = False  # several sources allowed (hazards)
    description: str = ""

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


LAYER_SPECS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "roads",
            "line",
            "road_id",
            (
                Column("highway", "str", description="OSM road class (primary, residential, ...)"),
                Column("name", "str"),
                Column("oneway", "bool", description="true when traffic runs only in digitised direction"),
                Column("maxspeed_kph", "float", min_value=1, max_value=200),
                Column("bridge", "bool"),
            ),
            description="road centre lines, noded at junctions (or an OSM file)",
        ),
        LayerSpec(
            "districts",
            "polygon",
            "district_id",
            (
                Column("name_en", "str"),
                Column("name_th", "str"),
                Column("province", "str"),
            ),
            description="amphoe (district) polygons with admin code and Thai/English names",
        ),
        LayerSpec(
            "tambons",
            "polygon",
            "tambon_id",
            (
                Column("name_en", "str"),
                Column("name_th", "str"),
                Column("district_id", "str"),
            ),
            description="tambon (sub-district) polygons",
        ),
        LayerSpec("border", "line", None, (), description="international border lines"),
        LayerSpec(
            "villages",
            "point",
            "village_id",
            (
                Column("population", "int", required=True, min_value=0),
                Column("name_en", "str"),
                Column("name_th", "str"),
            ),
            description="village (muban) points with population",
        ),
        LayerSpec(
            "shelters",
            "point",
            "shelter_id",
            (
                Column("capacity", "int", required=True, min_value=0,
                       zero_note="they will be excluded from evacuation (no room for anyone)"),
                Column("kind", "str", required=True, choices=SHELTER_KINDS),
                Column("safe_for", "str", description="comma-separated hazard kinds it is safe for (empty: all)"),
                Column("name_en", "str"),
                Column("name_th", "str"),
                Column("category", "str", description="school, mosque, temple, district_office, hospital ..."),
            ),
            description="shelters, safe areas, refuges and hospitals with capacity (people)",
        ),
        LayerSpec(
            "cameras",
            "point",
            "camera_id",
            (
                Column("direction_deg", "float", min_value=0, max_value=360,
                       description="compass bearing of the view axis: 0 north, 90 east; empty = all round"),
                Column("fov_deg", "float", min_value=0, max_value=360, min_exclusive=True,
                       description="whole opening angle"),
                Column("range_m", "float", min_value=0),
            ),
            description="CCTV cameras",
        ),
        LayerSpec(
            "lights",
            "point",
            "light_id",
            (Column("radius_m", "float", min_value=0),),
            description="street lights",
        ),
        LayerSpec("sos", "point", "sos_id", (), description="SOS / emergency-call buttons"),
        LayerSpec(
            "hazards",
            "polygon",
            "hazard_id",
            (
                Column("kind", "str", required=True, description="flood, landslide, storm_surge, ..."),
                Column("severity", "str", choices=SEVERITIES),
            ),
            multiple=True,
            description="hazard footprints (polygons) and/or rasters such as flood depth",
        ),
        LayerSpec(
            "vehicles",
            "point",
            "vehicle_id",
            (
                Column("type", "str", required=True, choices=VEHICLE_TYPES),
                Column("status", "str", choices=VEHICLE_STATUSES),
                Column("agency", "str"),
                Column("capacity", "int", min_value=0),
                Column("capabilities", "str", description="comma-separated: high_clearance, 4x4, boat"),
            ),
            description="emergency vehicles at their base",
        ),
        LayerSpec(
            "pois",
            "point",
            "poi_id",
            (Column("kind", "str", required=True, description="school, market, ..."),),
            description="points of interest that raise coverage priority",
        ),
        LayerSpec("incidents", "point", "incident_id", (), description="reported incidents"),
        LayerSpec("rivers", "line", None, (), description="rivers (context only)"),
        LayerSpec(
            "events",
            "any",
            "event_id",
            (
                Column("kind", "str", required=True,
                       description="flood, landslide, storm, drought, fire, haze, epidemic, unrest, ..."),
                Column("date", "str", description="the day of the event (YYYY-MM-DD), or start/end"),
                Column("start", "str"),
                Column("end", "str"),
                Column("severity", "str", choices=SEVERITIES),
                Column("affected", "float", min_value=0, description="people affected"),
                Column("tambon_id", "str", description="the tambon declared a disaster area (DDPM records)"),
                Column("district_id", "str"),
            ),
            description="past disasters: points, polygons, or a table keyed by tambon code",
        ),
        LayerSpec(
            "contacts",
            "any",
            "contact_id",
            (
                Column("village_id", "str"),
                Column("tambon_id", "str"),
                Column("role", "str", description="village head, kamnan, volunteer, ..."),
            ),
            description="who to call in each village or tambon (private: never in public outputs)",
        ),
    )
}

POINT_LAYERS = tuple(n for n, s in LAYER_SPECS.items() if s.geometry == "point")
#: Layers that may be plain tables (no geometry), joined to the areas by a code column.
TABLE_LAYERS = tuple(n for n, s in LAYER_SPECS.items() if s.geometry == "any")


#: Column names real files use for safegeo's columns (lower case), per layer: COD-AB (``adm2_pcode``,
#: ``adm2_en``, ``adm2_th``), the Thai open-data sets (``amp_code``, ``tam_th``, ...), MOPH (``bed``),
#: Geofabrik (``fclass``).  ``safegeo init`` and ``safegeo validate`` use them to suggest ``columns = {...}``.
COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "districts": {
        "district_id": ("adm2_pcode", "amp_code", "amphoe_code", "amphoe_id", "ap_code", "amp_id", "district_code",
                        "dist_code", "adm2_code", "ampcode", "amphoe_idn"),
        "name_en": ("adm2_en", "amp_en", "amp_name_en", "amphoe_en", "amphoe_e", "ap_en", "district_en", "adm2_name",
                    "dist_name_en", "district_name", "name_eng"),
        "name_th": ("adm2_th", "amp_th", "amp_name_th", "amphoe_th", "amphoe_t", "ap_th", "district_th", "name_thai"),
        "province": ("adm1_en", "pro_en", "prov_en", "province_en", "prov_name", "province_name", "changwat_e"),
    },
    "tambons": {
        "tambon_id": ("adm3_pcode", "tam_code", "tambon_code", "tambon_id", "tb_code", "tb_idn", "subdistrict_code",
                      "adm3_code", "tamcode"),
        "name_en": ("adm3_en", "tam_en", "tam_name_en", "tambon_en", "tambon_e", "tb_en", "subdistrict_en", "adm3_name"),
        "name_th": ("adm3_th", "tam_th", "tam_name_th", "tambon_th", "tambon_t", "tb_th", "subdistrict_th"),
        "district_id": ("adm2_pcode", "amp_code", "amphoe_code", "ap_code", "adm2_code", "amphoe_idn"),
    },
    "villages": {
        "village_id": ("vill_code", "village_code", "vil_code", "vill_id", "muban_code", "mooban_code", "mb_code",
                       "vcode", "villcode", "vill_no_code"),
        "population": ("population", "pop", "pop_total", "total_pop", "popn", "people", "pop_all", "tot_pop"),
        "name_en": ("vill_en", "village_en", "vill_name_en", "muban_en", "mooban_en"),
        "name_th": ("vill_th", "village_th", "vill_name_th", "vill_nam_t", "muban_th", "mooban_th", "mb_name_t"),
    },
    "shelters": {
        "capacity": ("bed", "beds", "capacity", "cap", "n_beds", "bed_count", "num_beds", "capacity_people"),
        "name_en": ("name_eng", "hname_en", "facility_en"),
        "name_th": ("name_thai", "hname_th", "hname", "facility_th"),
    },
    "roads": {
        "highway": ("fclass", "road_class", "roadclass", "highway_t"),
        "maxspeed_kph": ("maxspeed", "max_speed", "speed_limit", "speedlimit"),
    },
    "cameras": {
        "direction_deg": ("direction", "bearing", "heading", "azimuth", "dir_deg"),
        "fov_deg": ("fov", "field_of_view", "angle_deg"),
        "range_m": ("range", "view_range", "distance_m"),
    },
    "vehicles": {"type": ("vehicle_type", "veh_type", "vtype")},
    "pois": {"kind": ("type", "category", "fclass", "amenity")},
}

#: Year-stamped population columns (``POP_2024``, ``population2563``) count as population too.
_POPULATION_RE = re.compile(r"^(pop|population|popn|tot_pop|pop_total)[_ ]?(\d{2,4})$")


def guess_columns(layer: str, columns: Iterable[object]) -> dict[str, str]:
    """safegeo column -> the file's column that looks like it, for the columns the file does not have.

    Only columns safegeo knows for *layer* (:data:`LAYER_SPECS`) are
    guessed, from :data:`COLUMN_ALIASES`, case-insensitively; a column the
    file already has under safegeo's own name is not guessed.

    Examples
    --------
    >>> guess_columns("districts", ["adm2_pcode", "ADM2_EN", "adm2_th", "geometry"])
    {'district_id': 'adm2_pcode', 'name_en': 'ADM2_EN', 'name_th': 'adm2_th'}
    >>> guess_columns("villages", ["VILL_CODE", "POP_2024"])
    {'village_id': 'VILL_CODE', 'population': 'POP_2024'}
    """
    names = [str(c) for c in columns]
    by_lower: dict[str, str] = {}
    for c in names:
        by_lower.setdefault(c.lower(), c)
    present = set(by_lower)
    out: dict[str, str] = {}
    taken: set[str] = set()
    for target, aliases in COLUMN_ALIASES.get(layer, {}).items():
        if target in present:
            continue
        found = next((by_lower[a] for a in aliases if a in by_lower and a != target and by_lower[a] not in taken), None)
        if found is None and target == "population":
            found = next((c for c in names if _POPULATION_RE.match(c.lower()) and c not in taken), None)
        if found is not None:
            out[target] = found
            taken.add(found)
    return out
