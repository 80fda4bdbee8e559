"""The study-area model: validated layers in one projected CRS, hazard sources, per-layer reports."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
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
    Problem,
    SafegeoError,
    StudyFileError,
    ValidationError,
)
from safegeo._validate import check_extent, validate_layer
from safegeo.areas import AreaIndex
from safegeo.hazards import HazardScenario, HazardSource
from safegeo.projection import pick_working_crs
from safegeo.schema import LAYER_SPECS
from safegeo.settings import DEFAULT_PARAMS, merged_params, resolve

if TYPE_CHECKING:
    from safegeo.network import RoadNetwork

log = logging.getLogger(__name__)


@dataclass
class PopulationSource:
    """A population raster named under ``[layers] population``: people per cell (or per km²) of one group.

    Attributes
    ----------
    name
        Entry name (``name``, else the file name).
    group
        Who it counts: ``total``, ``under5``, ``elderly``, ``disabled``, ... .
    raster_path
        The raster (any CRS; Meta / WorldPop style).
    kind
        ``"count"`` (people per cell, summed) or ``"density"`` (people per km², area-weighted).
    """

    name: str
    group: str
    raster_path: Path
    kind: str = "count"


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
    population: list[PopulationSource] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_PARAMS))
    synthetic: bool = False
    path: Path | None = None
    roads_source: Any = None  # Path of an OSM file, or a dict for osmnx download; None when roads is a line layer
    reports: list[LayerReport] = field(default_factory=list)
    roads_fingerprint: str | None = None  # digest of the roads source, for the prepared-network cache
    _networks: dict[str, RoadNetwork] = field(default_factory=dict, repr=False)
    _scenarios: dict[Any, HazardScenario] = field(default_factory=dict, repr=False)
    _areas: AreaIndex | None = field(default=None, repr=False)

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
        if log_warnings:  # notes ("info": an id column used, a mapping that would help) at INFO
            for p in problems:
                log.log(logging.WARNING if p.severity == "warning" else logging.INFO, "%s", p.format())
        assert working is not None

        projected = {k: v.to_crs(working) for k, v in clean.items()}
        for hz in hazards or []:
            if hz.polygons is not None:
                hz.polygons = hz.polygons.to_crs(working)
        merged = merged_params(params)
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
        """Hazard sources named *name* (by entry name or kind); all of them when *name* is None or ``"all"``.

        Several names may be given separated by commas (``"flood,landslide"``);
        ``"none"`` gives no source.
        """
        if name is None or str(name).strip().lower() == "all":
            return list(self.hazards)
        if str(name).strip().lower() == "none":
            return []
        if "," in str(name):
            picked: list[HazardSource] = []
            for part in str(name).split(","):
                picked += [h for h in self.hazard(part.strip()) if h not in picked]
            return picked
        found = [h for h in self.hazards if name in (h.name, h.kind)]
        if not found:
            names = ", ".join(sorted({h.name for h in self.hazards} | {h.kind for h in self.hazards})) or "none"
            raise StudyFileError(f"no hazard named '{name}' (available: {names})",
                                 hint="use a hazard entry's name or kind from study.toml")
        return found

    def scenario(
        self,
        hazards: str | Sequence[HazardSource] | HazardScenario | None = None,
        *,
        depth_threshold_m: float | None = None,
        severity_speed_factor: dict[str, float] | None = None,
    ) -> HazardScenario:
        """The hazard scenario every analysis uses (built once per choice of hazards and options).

        Parameters
        ----------
        hazards
            ``None`` or ``"all"``: every hazard of the study; a name or kind
            (``"flood"``), or several separated by commas; ``"none"``: no
            hazard; a list of :class:`HazardSource`; or a scenario (returned as is).
        depth_threshold_m, severity_speed_factor
            Overrides of ``[hazards]`` (a depth threshold given here applies to
            every raster).
        """
        if isinstance(hazards, HazardScenario):
            return hazards
        sources = self.hazard(hazards) if hazards is None or isinstance(hazards, str) else list(hazards)
        key = (tuple(id(h) for h in sources), depth_threshold_m,
               tuple(sorted((severity_speed_factor or {}).items())))
        if key not in self._scenarios:
            self._scenarios[key] = HazardScenario.from_sources(
                sources, params=self.params, depth_threshold_m=depth_threshold_m,
                severity_speed_factor=severity_speed_factor)
        return self._scenarios[key]

    @property
    def areas(self) -> AreaIndex:
        """Districts and tambons as one lookup (:class:`~safegeo.areas.AreaIndex`), built once."""
        if self._areas is None:
            self._areas = AreaIndex(self.layers.get("districts"), self.layers.get("tambons"))
        return self._areas

    def settings(self, section: str, **overrides: Any) -> dict[str, Any]:
        """The settings of *section* with every non-None override applied and checked (:func:`~safegeo.settings.resolve`)."""
        return resolve(self.params, section, **overrides)

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
        from safegeo.network import network_from_source
        from safegeo.network.cache import cache_dir_for, cached_network, network_key

        mode = mode or self.params["network"]["mode"]
        key = mode if largest_component else f"{mode}:all"
        if key not in self._networks:
            net_p = self.params.get("network", {})

            def build() -> RoadNetwork:
                return network_from_source(self.roads_source, self.layers.get("roads"), mode=mode, crs=self.crs,
                                           params=net_p, largest_component=largest_component)

            cache_key = (network_key(self.roads_fingerprint, mode=mode, largest_component=largest_component,
                                     crs=self.crs, params=net_p) if self.roads_fingerprint else None)
            self._networks[key], _ = cached_network(cache_dir_for(self.path, net_p), cache_key, build)
        return self._networks[key]




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


