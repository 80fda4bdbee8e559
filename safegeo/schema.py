"""What each study-area layer holds: geometry type, id column, required and optional columns.

This is the single description of the layer model, shared by the loader and
validator (:mod:`safegeo.study`), the demo generator (:mod:`safegeo.generate`)
and the maps (:mod:`safegeo.maps`).  Which columns a public output leaves out
is decided by :mod:`safegeo.privacy`.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class LayerSpec:
    name: str
    geometry: str  # "point", "line", "polygon"
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
                Column("capacity", "int", required=True, min_value=0),
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
    )
}

POINT_LAYERS = tuple(n for n, s in LAYER_SPECS.items() if s.geometry == "point")
