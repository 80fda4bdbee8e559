"""The study area: layers named in ``study.toml``, validated and put in one projected CRS.

A study file names the layers by path and sets the parameters::

    [study]
    name = "Narathiwat demo"
    crs = "EPSG:32647"            # optional; UTM picked from the data when absent
    [layers]
    roads = "roads.osm.pbf"
    districts = { path = "layers.gpkg", layer = "districts" }
    shelters = { path = "shelters.csv", x = "lon", y = "lat", crs = "EPSG:4326" }
    hazards = [ { path = "flood.gpkg", kind = "flood" },
                { path = "flood_depth.tif", kind = "flood", depth_threshold_m = 0.3 } ]
    [network.speeds_kph]
    residential = 25

Paths are relative to the study file.  :func:`load_study` reads and validates
everything, reporting every problem at once (:class:`~safegeo.ValidationError`);
:meth:`StudyArea.from_layers` is the same model built from GeoDataFrames in a
notebook.
"""

from __future__ import annotations

import copy
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from safegeo._errors import (
    CRSError,
    LayerReadError,
    Problem,
    SafegeoError,
    StudyFileError,
    ValidationError,
)
from safegeo._validate import check_extent, validate_layer
from safegeo.io import is_osm_path, is_raster_path, read_vector
from safegeo.network import DEFAULT_SPEEDS_KPH
from safegeo.projection import pick_working_crs
from safegeo.schema import LAYER_SPECS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from safegeo.network import RoadNetwork

log = logging.getLogger(__name__)

#: Default parameters; the study file's sections override them key by key.
DEFAULT_PARAMS: dict[str, Any] = {
    "network": {
        "mode": "drive",
        "max_snap_m": 500.0,
        "walk_speed_kph": 4.5,
        "default_speed_kph": 40.0,
        "speeds_kph": dict(DEFAULT_SPEEDS_KPH),  # Thai class speeds (safegeo.network)
    },
    "border": {"touch_tolerance_m": 100.0},
    "evacuation": {
        "max_minutes": 60.0,
        "severity_speed_factor": {"low": 0.5, "medium": 0.25, "high": 0.0, "extreme": 0.0},
        "depth_threshold_m": 0.3,
        "k_nearest": 20,
        # people whose junction is closed on every side leave along the closed roads at this speed (0: stranded)
        "hazard_exit_kph": 3.0,
        # evacuate only villages within this distance of the hazard footprint (None: every village)
        "at_risk_within_m": None,
    },
    "coverage": {
        "light_radius_m": 25.0,
        "camera_range_m": 50.0,
        "camera_fov_deg": 90.0,
        "sos_max_walk_m": 300.0,
        "weights": {"hazard": 2.0, "border": 1.5, "poi": 1.5, "incident": 2.0, "poi_distance_m": 200.0,
                    "incident_distance_m": 200.0},
    },
    "vehicles": {"bands_minutes": [5, 10, 15, 30], "isochrone_cell_m": 200.0,
                 "target_minutes": {"ambulance": 15, "fire_engine": 15, "rescue_truck": 20, "rescue_boat": 30,
                                     "water_tanker": 30, "pickup_4x4": 20, "other": 30}},
    "map": {"lang": "en"},
}


@dataclass
class HazardSource:
    """One hazard entry of the study file: polygons or a raster."""

    name: str
    kind: str
    polygons: gpd.GeoDataFrame | None = None  # in the working CRS
    raster_path: Path | None = None
    depth_threshold_m: float | None = None

    @property
    def is_raster(self) -> bool:
        return self.raster_path is not None


@dataclass
class LayerReport:
    """What the loader found for one layer (for ``safegeo validate``)."""

    name: str
    source: str
    features: int | None = 0  # None: not counted (an OSM file, read when the network is built)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def to_dict(self) -> dict:
        return {
            "layer": self.name,
            "source": self.source,
            "features": self.features,
            "status": "error" if self.errors else ("warning" if self.warnings else "ok"),
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass
class StudyArea:
    """Validated layers in one projected CRS, plus the study parameters.

    Attributes
    ----------
    name
        Study name (``[study] name``).
    crs
        The working CRS (projected, metres).
    layers
        Layer name → GeoDataFrame in :attr:`crs`.  Districts carry
        ``is_border`` and ``border_km``.
    hazards
        Hazard sources (polygons and rasters) in file order.
    params
        Parameters: :data:`DEFAULT_PARAMS` overridden by the study file.
    """

    name: str
    crs: CRS
    layers: dict[str, gpd.GeoDataFrame]
    hazards: list[HazardSource] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_PARAMS))
    synthetic: bool = False
    path: Path | None = None
    roads_source: Any = None  # Path of an OSM file, or a dict for osmnx download; None when roads is a line layer
    reports: list[LayerReport] = field(default_factory=list)
    _networks: dict[str, RoadNetwork] = field(default_factory=dict, repr=False)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_layers(
        cls,
        layers: dict[str, gpd.GeoDataFrame],
        *,
        name: str = "study area",
        crs: Any = None,
        params: dict[str, Any] | None = None,
        hazards: list[HazardSource] | None = None,
        strict: bool = False,
        synthetic: bool = False,
        sources: dict[str, str] | None = None,
        roads_source: Any = None,
        log_warnings: bool = True,
    ) -> StudyArea:
        """Validate GeoDataFrames and build a study area (the core constructor).

        Warnings (repaired geometries, ...) are logged unless *log_warnings*
        is false; they are kept in :attr:`reports` either way.

        Raises
        ------
        ValidationError
            With every problem of every layer, when any is an error.
        """
        sources = sources or {}
        reports: list[LayerReport] = []
        clean: dict[str, gpd.GeoDataFrame] = {}
        for lname, gdf in layers.items():
            spec = LAYER_SPECS.get(lname)
            src = sources.get(lname, lname)
            if spec is None:
                raise StudyFileError(f"unknown layer '{lname}'", hint=f"known layers: {', '.join(LAYER_SPECS)}")
            out, probs = validate_layer(gdf, spec, source=src, strict=strict, layer_name=lname)
            reports.append(LayerReport(lname, src, len(gdf), probs))
            clean[lname] = out
        for hz in hazards or []:
            if hz.polygons is not None:
                spec = LAYER_SPECS["hazards"]
                poly = hz.polygons
                if "kind" not in poly.columns:
                    poly = poly.assign(kind=hz.kind)
                out, probs = validate_layer(poly, spec, source=sources.get(f"hazard:{hz.name}", hz.name),
                                            strict=strict, layer_name=f"hazards[{hz.name}]")
                reports.append(LayerReport(f"hazards[{hz.name}]", sources.get(f"hazard:{hz.name}", hz.name), len(poly), probs))
                hz.polygons = out

        crs_problem: list[Problem] = []
        # extent checks for point layers, against the districts (or roads) extent
        extent = _extent_lonlat(clean)
        for rep in reports:
            base = rep.name.split("[")[0]
            gdf = clean.get(rep.name)
            if gdf is None or base not in LAYER_SPECS or rep.errors:
                continue
            if LAYER_SPECS[base].geometry == "point" or base in ("districts", "roads", "tambons"):
                rep.problems += check_extent(gdf, extent if base not in ("districts",) else None,
                                             layer=rep.name, source=rep.source)

        working = None
        try:
            # layers with errors (swapped lon/lat, ...) would place the UTM zone wrongly: leave them out
            bad = {r.name for r in reports if r.errors}
            frames = [g for k, g in clean.items() if g.crs is not None and len(g) and k not in bad]
            frames += [h.polygons for h in hazards or [] if h.polygons is not None and h.polygons.crs is not None
                       and f"hazards[{h.name}]" not in bad]
            if crs is None and isinstance(roads_source, Path):  # the OSM extract places the study too
                from safegeo.network import osm_file_center

                center = osm_file_center(roads_source)
                if center is not None:
                    frames.append(gpd.GeoDataFrame(geometry=[shapely.Point(center)], crs="EPSG:4326"))
            if frames or crs is not None or not bad:
                working = pick_working_crs(frames, crs)
        except SafegeoError as exc:
            crs_problem.append(Problem("study", str(exc).split("\n")[0], "error", "study", fix=exc.hint))

        problems = crs_problem + [p for r in reports for p in r.problems]
        if any(p.severity == "error" for p in problems):
            raise ValidationError(problems, hint="run `safegeo validate STUDY.toml` for the full report")
        if log_warnings:
            for p in problems:
                log.warning("%s", p.format())
        assert working is not None

        projected = {k: v.to_crs(working) for k, v in clean.items()}
        for hz in hazards or []:
            if hz.polygons is not None:
                hz.polygons = hz.polygons.to_crs(working)
        merged = copy.deepcopy(DEFAULT_PARAMS)
        _deep_update(merged, params or {})
        if "districts" in projected:
            border = projected.get("border")
            projected["districts"] = flag_border_districts(
                projected["districts"], border, touch_tolerance_m=float(merged["border"]["touch_tolerance_m"]))
        if hazards:
            polys = [h.polygons.assign(hazard_source=h.name) for h in hazards if h.polygons is not None]
            if polys:
                projected["hazards"] = gpd.GeoDataFrame(pd.concat(polys, ignore_index=True), crs=working)
        return cls(name=name, crs=working, layers=projected, hazards=list(hazards or []), params=merged,
                   synthetic=synthetic, roads_source=roads_source, reports=reports)

    # -- access ---------------------------------------------------------------------------------
    def layer(self, name: str) -> gpd.GeoDataFrame:
        """The layer *name*; raises a clear error when the study file does not define it."""
        if name not in self.layers:
            where = f" in {self.path}" if self.path else ""
            raise StudyFileError(
                f"the study area has no '{name}' layer{where}",
                hint=f'add it under [layers], e.g. {name} = {{ path = "layers.gpkg", layer = "{name}" }}',
            )
        return self.layers[name]

    def has(self, name: str) -> bool:
        return name in self.layers and len(self.layers[name]) > 0

    def hazard(self, name: str | None = None) -> list[HazardSource]:
        """Hazard sources named *name* (by entry name or kind); all of them when *name* is None."""
        if name is None:
            return list(self.hazards)
        found = [h for h in self.hazards if name in (h.name, h.kind)]
        if not found:
            names = ", ".join(sorted({h.name for h in self.hazards} | {h.kind for h in self.hazards})) or "none"
            raise StudyFileError(f"no hazard named '{name}' (available: {names})",
                                 hint="use a hazard entry's name or kind from study.toml")
        return found

    @property
    def extent(self) -> shapely.Polygon:
        """Study-area outline in the working CRS: the district union, else the bounds of all layers (or the network)."""
        if self.has("districts"):
            return shapely.union_all(self.layers["districts"].geometry.values)
        b = [g.total_bounds for g in self.layers.values() if len(g)]
        if not b and self.roads_source is not None:  # roads only as an OSM file: the network's extent
            net = self.network()
            b = [(net.x.min(), net.y.min(), net.x.max(), net.y.max())]
        if not b:
            raise StudyFileError("the study area has no features to take its extent from",
                                 hint="add districts (or any layer with features) under [layers]")
        arr = np.array(b, dtype=float)
        return shapely.box(arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())

    def network(self, mode: str | None = None, *, largest_component: bool = True) -> RoadNetwork:
        """The routable road network, built once per mode and cached.

        Parameters
        ----------
        mode
            ``"drive"`` (default from ``[network] mode``) or ``"walk"``.
        largest_component
            Keep only the largest strongly connected component (default: what
            routing between any two places needs).  False keeps every
            component, for reach *from* points that may sit on small islands
            of road (SOS buttons).
        """
        from safegeo.network import network_for_study

        mode = mode or self.params["network"]["mode"]
        key = mode if largest_component else f"{mode}:all"
        if key not in self._networks:
            self._networks[key] = network_for_study(self, mode=mode, largest_component=largest_component)
        return self._networks[key]


def _deep_update(base: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _deep_update(base[k], v)
        else:
            base[k] = v


def _extent_lonlat(layers: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    for name in ("districts", "roads"):
        g = layers.get(name)
        if g is not None and g.crs is not None and len(g):
            b = g.to_crs(4326).total_bounds
            if np.all(np.isfinite(b)) and abs(b[1]) <= 90 and abs(b[3]) <= 90:
                return tuple(float(v) for v in b)
    return None


def flag_border_districts(
    districts: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None,
    *,
    touch_tolerance_m: float = 100.0,
) -> gpd.GeoDataFrame:
    """Add ``is_border`` and ``border_km`` to districts.

    A district is a border district when the international border runs along
    its boundary: more than ``2 * touch_tolerance_m`` of border line lies
    within *touch_tolerance_m* of the polygon.  A district that meets the
    border only at a corner point is not flagged.

    Parameters
    ----------
    districts, border
        In the same projected CRS (metres).
    touch_tolerance_m
        How far from a district boundary the border line may run and still
        count as touching (digitising offsets between sources are often
        100–500 m).

    Returns
    -------
    GeoDataFrame
        A copy with ``is_border`` (bool) and ``border_km`` (float, km of
        border line within the tolerance of the district).
    """
    if districts.crs is None or not districts.crs.is_projected:
        raise CRSError(f"districts are in {districts.crs.name if districts.crs else 'no CRS'}; the border tolerance "
                       "is in metres, so a projected CRS is needed",
                       hint="project them first, e.g. districts.to_crs(32647) (UTM 47N)")
    out = districts.copy()
    if border is None or len(border) == 0:
        out["is_border"] = False
        out["border_km"] = 0.0
        return out
    if border.crs != districts.crs:
        border = border.to_crs(districts.crs)
    line = shapely.union_all(border.geometry.values)
    zones = shapely.buffer(out.geometry.values, touch_tolerance_m)
    lengths = shapely.length(shapely.intersection(zones, line))
    # the part of the border inside the tolerance zone, less what a corner touch could give
    out["border_km"] = np.round(lengths / 1000.0, 3)
    out["is_border"] = lengths > 2 * touch_tolerance_m + 1.0
    out.loc[~out["is_border"], "border_km"] = 0.0
    return out


# ---------------------------------------------------------------------------------------------
# Study file parsing
# ---------------------------------------------------------------------------------------------
def _read_toml(path: Path) -> dict:
    if not path.exists():
        raise StudyFileError(f"{path}: study file not found", hint="give the path of a study.toml (see README)")
    try:
        # utf-8-sig: Windows Notepad saves UTF-8 with a byte-order mark
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise StudyFileError(f"{path}: not valid TOML ({exc})", hint="fix the syntax at the line given") from exc
    except UnicodeDecodeError as exc:
        raise StudyFileError(f"{path}: not UTF-8 text", hint="save the study file as UTF-8") from exc


#: Keys a [layers] entry may have (roads may instead name an online source; hazards add their own).
ENTRY_KEYS = ("path", "layer", "x", "y", "crs")
ONLINE_KEYS = ("place", "bbox", "polygon")
HAZARD_KEYS = ("kind", "name", "depth_threshold_m")


def _entry(path: Path, lname: str, raw: Any, *, number: int | None = None) -> dict:
    where = f"{lname} entry {number}" if number is not None else lname
    if isinstance(raw, str):
        return {"path": raw}
    if isinstance(raw, dict):
        known = ENTRY_KEYS + (ONLINE_KEYS if lname == "roads" else ()) + (HAZARD_KEYS if lname == "hazards" else ())
        typos = sorted(set(raw) - set(known))
        if typos:
            raise StudyFileError(f"{path}: unknown key(s) {', '.join(typos)} in [layers] {where}",
                                 hint=f"known keys: {', '.join(known)}")
        for key in ("path", "layer", "x", "y", "crs", "kind", "name", "place", "polygon"):
            if key in raw and not isinstance(raw[key], str):
                raise StudyFileError(f"{path}: [layers] {where}: {key} must be text in quotes, not {raw[key]!r}",
                                     hint=f'e.g. {key} = "{raw[key]}"')
        if "depth_threshold_m" in raw:
            thr = raw["depth_threshold_m"]
            if isinstance(thr, bool) or not isinstance(thr, (int, float)) or not np.isfinite(thr) or thr < 0:
                raise StudyFileError(f"{path}: [layers] {where}: depth_threshold_m must be a number of metres >= 0, "
                                     f"not {thr!r}", hint="e.g. depth_threshold_m = 0.3")
        return dict(raw)
    raise StudyFileError(f"{path}: [layers] {lname} must be a path string or a table like {{ path = \"...\" }}",
                         hint=f'e.g. {lname} = "{lname}.gpkg"')


@dataclass
class StudyFiles:
    """What a study file names, read but not yet validated."""

    cfg: dict
    frames: dict[str, gpd.GeoDataFrame]
    hazards: list[HazardSource]
    sources: dict[str, str]  # layer -> file (and layer) it came from, for messages
    failed: list[LayerReport]  # layers that could not be read at all
    roads_source: Any  # OSM file path, online dict, or None (roads is a line layer)
    raster_reports: list[LayerReport]

    @property
    def study_cfg(self) -> dict:
        return self.cfg.get("study", {})

    @property
    def params(self) -> dict:
        return {k: v for k, v in self.cfg.items() if k not in ("study", "layers")}


def read_study_layers(path: str | Path) -> StudyFiles:
    """Parse a study file and read its layers without validating them."""
    path = Path(path)
    cfg = _read_toml(path)
    base = path.parent
    unknown_sections = set(cfg) - {"study", "layers"} - set(DEFAULT_PARAMS)
    if unknown_sections:
        raise StudyFileError(f"{path}: unknown section(s) [{'], ['.join(sorted(unknown_sections))}]",
                             hint=f"known sections: study, layers, {', '.join(DEFAULT_PARAMS)}")
    for section, defaults in DEFAULT_PARAMS.items():
        given = cfg.get(section, {})
        if not isinstance(given, dict):
            raise StudyFileError(f"{path}: [{section}] must be a table of settings",
                                 hint=f"known keys: {', '.join(defaults)}")
        typos = sorted(set(given) - set(defaults))
        if typos:
            raise StudyFileError(f"{path}: unknown setting(s) {', '.join(typos)} in [{section}]",
                                 hint=f"known keys in [{section}]: {', '.join(defaults)}")
    _check_param_values(path, cfg)
    study_keys = sorted(set(cfg.get("study", {})) - {"name", "crs", "synthetic", "description"})
    if study_keys:
        raise StudyFileError(f"{path}: unknown setting(s) {', '.join(study_keys)} in [study]",
                             hint="known keys in [study]: name, crs, synthetic, description")
    layers_cfg = cfg.get("layers")
    if not isinstance(layers_cfg, dict) or not layers_cfg:
        raise StudyFileError(f"{path}: no [layers] section", hint='add [layers] with at least roads = "..."')
    unknown = set(layers_cfg) - set(LAYER_SPECS)
    if unknown:
        raise StudyFileError(f"{path}: unknown layer(s) {', '.join(sorted(unknown))} in [layers]",
                             hint=f"known layers: {', '.join(LAYER_SPECS)}")
    frames: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, str] = {}
    failed: list[LayerReport] = []
    hazards: list[HazardSource] = []
    raster_reports: list[LayerReport] = []
    roads_source: Any = None

    def read_one(lname: str, entry: dict) -> gpd.GeoDataFrame | None:
        file = base / str(entry["path"])
        src = str(entry["path"]) + (f" (layer {entry['layer']})" if entry.get("layer") else "")
        sources[lname] = src
        try:
            return read_vector(file, layer=entry.get("layer"), x=entry.get("x"), y=entry.get("y"), crs=entry.get("crs"))
        except LayerReadError as exc:
            failed.append(LayerReport(lname, src, 0, [Problem(lname, str(exc).split("\n")[0].split(": ", 1)[-1], "error",
                                                              src, fix=exc.hint)]))
            return None

    for lname, raw in layers_cfg.items():
        if lname == "hazards":
            items = raw if isinstance(raw, list) else [raw]
            for i, item in enumerate(items):
                entry = _entry(path, "hazards", item, number=i + 1)
                if "path" not in entry:
                    raise StudyFileError(f"{path}: hazards entry {i + 1} has no path", hint='e.g. { path = "flood.gpkg", kind = "flood" }')
                kind = str(entry.get("kind", "hazard"))
                hname = str(entry.get("name") or entry.get("layer") or Path(entry["path"]).stem)
                if any(h.name == hname for h in hazards):
                    hname = f"{hname}_{i + 1}"
                file = base / str(entry["path"])
                if is_raster_path(file):
                    sources[f"hazard:{hname}"] = str(entry["path"])
                    if not file.exists():
                        failed.append(LayerReport(f"hazards[{hname}]", str(entry["path"]), 0, [Problem(
                            f"hazards[{hname}]", "file not found", "error", str(entry["path"]),
                            fix="check the path (relative to the study file)")]))
                        continue
                    problem = _check_raster(file)
                    rep = LayerReport(f"hazards[{hname}]", str(entry["path"]), None)
                    if problem:
                        rep.problems.append(Problem(rep.name, problem[0], "error", rep.source, fix=problem[1]))
                        failed.append(rep)
                        continue
                    raster_reports.append(rep)
                    thr = entry.get("depth_threshold_m")
                    hazards.append(HazardSource(hname, kind, raster_path=file,
                                                depth_threshold_m=float(thr) if thr is not None else None))
                else:
                    gdf = read_one(f"hazard:{hname}", entry)
                    if gdf is not None:
                        hazards.append(HazardSource(hname, kind, polygons=gdf))
            continue
        entry = _entry(path, lname, raw)
        if lname == "roads" and "path" not in entry:
            online = {k: entry[k] for k in ("place", "bbox", "polygon") if k in entry}
            if not online:
                raise StudyFileError(f"{path}: roads needs a path, or one of place / bbox / polygon for an OSM download",
                                     hint='e.g. roads = "roads.osm.pbf" or roads = { place = "Tak Bai, Narathiwat, Thailand" }')
            roads_source = online
            continue
        if "path" not in entry:
            raise StudyFileError(f"{path}: [layers] {lname} has no path", hint=f'e.g. {lname} = {{ path = "{lname}.gpkg" }}')
        if lname == "roads" and is_osm_path(entry["path"]):
            file = base / str(entry["path"])
            sources["roads"] = str(entry["path"])
            if not file.exists():
                failed.append(LayerReport("roads", str(entry["path"]), 0, [Problem(
                    "roads", "file not found", "error", str(entry["path"]), fix="check the path (relative to the study file)")]))
            roads_source = file
            continue
        gdf = read_one(lname, entry)
        if gdf is not None:
            frames[lname] = gdf
    return StudyFiles(cfg, frames, hazards, sources, failed, roads_source, raster_reports)


#: Settings that must be greater than zero (the rest of the numbers must be >= 0).
_POSITIVE = {("network", "max_snap_m"), ("network", "walk_speed_kph"), ("network", "default_speed_kph"),
             ("network", "speeds_kph"), ("evacuation", "max_minutes"), ("evacuation", "k_nearest"),
             ("vehicles", "bands_minutes"), ("vehicles", "isochrone_cell_m"), ("vehicles", "target_minutes")}
#: Tables whose keys are open (any OSM road class): every other table's keys are checked for typos.
_OPEN_TABLES = {("network", "speeds_kph")}


def _check_param_values(path: Path, cfg: dict) -> None:
    """Type and range of every parameter the study file sets: one clear message per mistake."""

    def is_number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and bool(np.isfinite(v))

    def check(where: str, key: tuple[str, str], default: Any, value: Any) -> None:
        positive = key in _POSITIVE
        rule = "a number > 0" if positive else "a number >= 0"
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise StudyFileError(f"{path}: {where} must be a table of settings, not {value!r}",
                                     hint=f"write it as a table: a line [{key[0]}.{key[1]}], then one setting per line")
            if key not in _OPEN_TABLES:
                typos = sorted(set(value) - set(default))
                if typos:
                    raise StudyFileError(f"{path}: unknown key(s) {', '.join(typos)} in {where}",
                                         hint=f"known keys: {', '.join(default)}")
            sample = next(iter(default.values()), None)
            for k, v in value.items():
                check(f"[{key[0]}.{key[1]}] {k}", key, default.get(k, sample), v)
            return
        if isinstance(default, list):
            if not isinstance(value, list) or not value or not all(is_number(v) and v > 0 for v in value):
                raise StudyFileError(f"{path}: {where} must be a list of numbers > 0, not {value!r}",
                                     hint=f"e.g. {where.split()[-1]} = {default}")
            return
        if isinstance(default, str):
            if not isinstance(value, str):
                raise StudyFileError(f"{path}: {where} must be text, not {value!r}", hint=f'e.g. "{default}"')
            return
        if default is None or is_number(default):
            if not is_number(value) or value < 0 or (positive and value <= 0):
                raise StudyFileError(f"{path}: {where} must be {rule}, not {value!r}",
                                     hint=f"e.g. {where.split()[-1]} = {default if default is not None else 500}")
            if key == ("evacuation", "k_nearest") and not float(value).is_integer():
                raise StudyFileError(f"{path}: {where} must be a whole number, not {value!r}",
                                     hint=f"e.g. {where.split()[-1]} = {default}")

    for section, defaults in DEFAULT_PARAMS.items():
        given = cfg.get(section, {})
        if not isinstance(given, dict):
            continue  # reported by the caller
        for k, v in given.items():
            if k in defaults:
                check(f"[{section}] {k}", (section, k), defaults[k], v)
    mode = cfg.get("network", {}).get("mode") if isinstance(cfg.get("network"), dict) else None
    if mode is not None and mode not in ("drive", "walk"):
        raise StudyFileError(f"{path}: [network] mode must be \"drive\" or \"walk\", not {mode!r}",
                             hint='mode = "drive"')
    lang = cfg.get("map", {}).get("lang") if isinstance(cfg.get("map"), dict) else None
    if lang is not None and lang not in ("en", "th"):
        raise StudyFileError(f"{path}: [map] lang must be \"en\" or \"th\", not {lang!r}", hint='lang = "th"')
    speeds = cfg.get("network", {}).get("speeds_kph", {}) if isinstance(cfg.get("network"), dict) else {}
    from safegeo.network import DRIVE_CLASSES

    unknown = sorted(k for k in speeds if str(k).strip().lower() not in DRIVE_CLASSES)
    if unknown:
        raise StudyFileError(f"{path}: [network.speeds_kph] has road class(es) the drive network does not use: "
                             f"{', '.join(unknown)}", hint=f"use OSM highway classes: {', '.join(sorted(DRIVE_CLASSES))}")


def _check_raster(path: Path) -> tuple[str, str] | None:
    """(problem, fix) when a hazard raster cannot be used, else None."""
    import rasterio

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                return ("the raster has no CRS", "assign one with gdal_edit.py -a_srs EPSG:32647 (or the right code)")
            if src.count < 1:
                return ("the raster has no band", "use a single-band GeoTIFF of depth in metres")
    except rasterio.errors.RasterioIOError as exc:
        return (f"cannot read the raster ({exc})", "use a GeoTIFF")
    return None


def load_study(path: str | Path, *, strict: bool = False) -> StudyArea:
    """Read, validate and project every layer named in a study file.

    Parameters
    ----------
    path
        The ``study.toml``.
    strict
        Treat warnings (e.g. repaired invalid geometries) as errors.

    Returns
    -------
    StudyArea

    Raises
    ------
    StudyFileError
        The file is missing or malformed.
    ValidationError
        One or more layers have errors; the exception lists all of them.

    Examples
    --------
    >>> study = load_study("data/demo/study.toml")          # doctest: +SKIP
    >>> study.layers["districts"][["name_en", "is_border"]]  # doctest: +SKIP
    """
    path = Path(path)
    files = read_study_layers(path)
    try:
        study = StudyArea.from_layers(
            files.frames,
            name=str(files.study_cfg.get("name", path.parent.name)),
            crs=files.study_cfg.get("crs"),
            params=files.params,
            hazards=files.hazards,
            strict=strict,
            synthetic=bool(files.study_cfg.get("synthetic", False)),
            sources=files.sources,
            roads_source=files.roads_source,
        )
    except ValidationError as exc:
        problems = [p for r in files.failed for p in r.problems] + exc.problems
        raise ValidationError(problems, hint=exc.hint) from None
    if files.failed:
        raise ValidationError([p for r in files.failed for p in r.problems],
                              hint="run `safegeo validate STUDY.toml` for the full report")
    study.path = path
    study.reports = study.reports + files.raster_reports
    return study


@dataclass
class ValidationReport:
    """Per-layer findings for ``safegeo validate``."""

    study_path: Path
    layers: list[LayerReport]
    study_problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def problems(self) -> list[Problem]:
        return self.study_problems + [p for r in self.layers for p in r.problems]

    def to_dict(self) -> dict:
        return {
            "study": str(self.study_path),
            "ok": self.ok,
            "problems": [p.to_dict() for p in self.study_problems],
            "layers": [r.to_dict() for r in self.layers],
        }

    def format(self) -> str:
        lines = [f"Study file {self.study_path}"]
        for p in self.study_problems:
            lines.append(f"  {p.severity.upper()}: {p.format()}")
        for r in self.layers:
            status = "ERROR" if r.errors else ("warn " if r.warnings else "ok   ")
            count = f"{r.features:>8} features" if r.features is not None else f"{'(file)':>17}"
            lines.append(f"  [{status}] {r.name:<22} {count}  {r.source}")
            for p in r.problems:
                lines.append(f"        {p.severity}: {p.format()}")
        n_err = sum(p.severity == "error" for p in self.problems)
        n_warn = sum(p.severity == "warning" for p in self.problems)
        lines.append(f"{n_err} error(s), {n_warn} warning(s)")
        return "\n".join(lines)


def validate_study(path: str | Path, *, strict: bool = False) -> ValidationReport:
    """Validate a study file and report per layer, without raising on data errors.

    Raises only :class:`StudyFileError` when the study file itself cannot be
    parsed.
    """
    path = Path(path)
    files = read_study_layers(path)
    frames, hazards, sources = files.frames, files.hazards, files.sources
    reports: list[LayerReport] = list(files.failed)
    study_problems: list[Problem] = []
    try:
        study = StudyArea.from_layers(frames, name=str(files.study_cfg.get("name", "")), crs=files.study_cfg.get("crs"),
                                      params=files.params, hazards=hazards, strict=strict, sources=sources,
                                      roads_source=files.roads_source, log_warnings=False)
        reports += study.reports
    except ValidationError as exc:
        by_layer: dict[str, LayerReport] = {}
        for lname, gdf in frames.items():
            by_layer[lname] = LayerReport(lname, sources.get(lname, lname), len(gdf))
        for h in hazards:
            if h.polygons is not None:
                by_layer[f"hazards[{h.name}]"] = LayerReport(f"hazards[{h.name}]", sources.get(f"hazard:{h.name}", h.name), len(h.polygons))
        for p in exc.problems:
            if p.layer in by_layer:
                by_layer[p.layer].problems.append(p)
            else:
                study_problems.append(p)
        reports += list(by_layer.values())
    if isinstance(files.roads_source, Path) and files.roads_source.exists():
        reports.append(LayerReport("roads", sources.get("roads", files.roads_source.name), None))
    reports += files.raster_reports
    order = list(files.cfg.get("layers", {}))
    reports.sort(key=lambda r: order.index(r.name.split("[")[0]) if r.name.split("[")[0] in order else len(order))
    return ValidationReport(path, reports, study_problems)
