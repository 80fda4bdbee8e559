"""Who is in harm's way: people, vulnerable groups, places and roads inside each hazard, per village, tambon and district.

:func:`exposure` asks every hazard entry of the study (polygons with a
``severity``, rasters of depth, several kinds at once) the same questions,
through the shared core: the hazard scenario (:mod:`safegeo.hazards`) says
which roads close, the area index (:mod:`safegeo.areas`) says which tambon and
district everything is in, and the summary has the one shape every analysis
uses.

Classes
-------
A polygon hazard's classes are its ``severity`` values, worst first
(``extreme``, ``high``, ``medium``, ``low``; one class ``inside`` without a
severity column).  A raster's classes are depth classes from ``[exposure]
depth_classes_m`` (default 0.3, 1 and 2 m: ``0.3-1 m``, ``1-2 m``, ``>= 2 m``),
deepest first.  A place under several classes counts once, in the worst, so
the classes of one hazard add up to its ``all`` row.  Different hazard
entries are reported side by side and never added together (a village both
flooded and under a landslide warning is in both).

People
------
* **Villages** (points with ``population``): a village is exposed when it
  stands in a class (within ``[exposure] inside_within_m``); its population
  and its vulnerable-group columns (``[exposure] village_groups``: under-5s,
  elderly, disabled, bed-ridden, pregnant — those the layer has) count there:
  columns ``villages``, ``villages_population``, ``villages_<group>``.
* **Population rasters** (``[layers] population``; WorldPop / Meta style, any
  CRS, ``count`` or ``density``): summed over ``tambon ∩ class`` with exact
  fractional cell coverage (:func:`safegeo.exposure.exposure_sums`): columns
  ``raster_<group>``.  Districts are the sums of their tambons (the tambon
  decides the district, as everywhere in safegeo); without tambons the
  district polygons are used directly.

Places and roads
----------------
Shelters (hospitals among them), POIs (schools among them) inside a class
are listed in ``assets`` and counted per area; road kilometres closed and
slowed by each hazard (each two-way road once, placed by its midpoint) are in
the ``all`` rows.  Border districts and repeat-disaster tambons (from the
``events`` layer, :func:`safegeo.exposure.events.repeat_disasters`) are
flagged on every row.

Examples
--------
>>> from safegeo.study import load_study                        # doctest: +SKIP
>>> from safegeo.exposure import exposure                       # doctest: +SKIP
>>> res = exposure(load_study("out/demo/data/study.toml"))      # doctest: +SKIP
>>> res.summary.query("level == 'district' and `class` == 'all'")  # doctest: +SKIP
>>> res.write("out/exposure")                                   # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from safegeo.areas import STUDY_ROW_ID
from safegeo.hazards import HazardScenario, HazardSource
from safegeo.schema import SEVERITIES

if TYPE_CHECKING:
    from safegeo.maps import SafegeoMap
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)

__all__ = ["ALL_CLASSES", "ExposureResult", "exposure", "hazard_classes"]

#: ``class`` of the rows that total every class of one hazard.
ALL_CLASSES = "all"
#: Class of a polygon hazard without a ``severity`` column.
INSIDE = "inside"
#: Asset layers looked for inside the hazards, and their id column.
ASSET_LAYERS = {"shelters": "shelter_id", "pois": "poi_id"}
#: Per-area asset counts: column -> (layer, test on the row) .
_ASSET_COUNTS: dict[str, tuple[str, Callable[[pd.DataFrame], np.ndarray] | None]] = {
    "shelters_inside": ("shelters", None),
    "hospitals_inside": ("shelters", lambda f: _text(f, "kind", "category").str.contains("hospital").to_numpy()),
    "pois_inside": ("pois", None),
    "schools_inside": ("", lambda f: _text(f, "kind", "category").str.contains("school").to_numpy()),
}


def _text(frame: pd.DataFrame, *cols: str) -> pd.Series:
    """Lower-case text of the first of *cols* the frame has joined with the others (empty when none)."""
    parts = [frame[c].astype("string").fillna("").str.lower() for c in cols if c in frame.columns]
    if not parts:
        return pd.Series("", index=frame.index, dtype="string")
    out = parts[0]
    for p in parts[1:]:
        out = out + " " + p
    return out


# --------------------------------------------------------------------------------------------
# classes of one hazard
# --------------------------------------------------------------------------------------------
def hazard_classes(source: HazardSource, *, depth_classes_m: Sequence[float], crs: Any) -> gpd.GeoDataFrame:
    """Non-overlapping class polygons of one hazard entry, worst class first, in *crs*.

    Returns
    -------
    GeoDataFrame
        ``class`` (ordered categorical, worst first: categories are every
        class even when empty), ``min_depth_m`` for rasters, geometry.
    """
    if source.is_raster:
        from safegeo.exposure.zonal import depth_class_polygons

        cls = depth_class_polygons(source.raster_path, breaks_m=list(depth_classes_m))
        order = list(reversed(cls["depth_class"].cat.categories))
        frame = gpd.GeoDataFrame({"class": cls["depth_class"].astype(object).to_numpy(),
                                  "min_depth_m": cls["min_depth_m"].to_numpy(float)},
                                 geometry=cls.geometry.values, crs=cls.crs).to_crs(crs)
    else:
        poly = source.polygons if source.polygons is not None else gpd.GeoDataFrame(geometry=[], crs=crs)
        if "severity" in poly.columns and poly["severity"].notna().any():
            sev = poly["severity"].astype("string").str.strip().str.lower()
            present = set(sev.dropna())
            order = [s for s in reversed(SEVERITIES) if s in present] + sorted(present - set(SEVERITIES))
            labels = sev.fillna(order[-1] if order else INSIDE).to_numpy(object)
        else:
            order = [INSIDE]
            labels = np.full(len(poly), INSIDE, dtype=object)
        frame = gpd.GeoDataFrame({"class": labels}, geometry=poly.geometry.values, crs=poly.crs).to_crs(crs)
    # one geometry per class, the worse classes cut out of the milder ones
    merged, taken = [], None
    for c in order:
        g = shapely.union_all(shapely.make_valid(frame.geometry.values[(frame["class"] == c).to_numpy()]))
        if taken is not None and not g.is_empty:
            g = shapely.difference(g, taken)
        taken = g if taken is None else shapely.union(taken, g)
        merged.append(g)
    out = gpd.GeoDataFrame({"class": pd.Categorical(order, categories=order, ordered=True)},
                           geometry=np.array(merged, dtype=object) if merged else [], crs=crs)
    if source.is_raster:
        out["min_depth_m"] = [float(frame.loc[frame["class"] == c, "min_depth_m"].iloc[0])
                              if (frame["class"] == c).any() else np.nan for c in order]
    return out


def _worst_class(points: gpd.GeoSeries, classes: gpd.GeoDataFrame, within_m: float) -> np.ndarray:
    """Per point, the index of the worst class it stands in (within *within_m*), -1 outside every class."""
    out = np.full(len(points), -1, dtype=np.int64)
    geoms = classes.geometry.values
    ok = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
    if not ok.any() or len(points) == 0:
        return out
    tree = shapely.STRtree(geoms[ok])
    cls_of = np.flatnonzero(ok)
    if within_m > 0:
        pi, ci = tree.query(points.values, predicate="dwithin", distance=within_m)
    else:
        pi, ci = tree.query(points.values, predicate="intersects")
    if len(pi):
        best = np.full(len(points), np.iinfo(np.int64).max)
        np.minimum.at(best, pi, cls_of[ci])
        hit = best < np.iinfo(np.int64).max
        out[hit] = best[hit]
    return out


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@dataclass
class ExposureResult:
    """What :func:`exposure` found.

    Attributes
    ----------
    summary
        The long table: one row per area (``level`` district / tambon /
        study, ``area_id``, ``name_en``, ``name_th``), hazard entry
        (``hazard``, ``kind``) and ``class`` (each class, worst first, then
        ``all``), with people (``villages``, ``villages_population``,
        ``villages_<group>``, ``raster_<group>``), assets inside
        (``shelters_inside``, ``hospitals_inside``, ``schools_inside``,
        ``pois_inside``), ``road_km_closed`` / ``road_km_slowed`` (``all``
        rows), ``is_border`` and the repeat-disaster columns.
    villages
        Exposed villages: one row per village and hazard, with ``class``,
        ``depth_m`` (rasters), people and areas.
    assets
        Shelters and POIs inside a hazard: ``layer``, ``asset_id``, names,
        kind, ``hazard``, ``class`` and areas.
    classes
        The class polygons of every hazard (``hazard``, ``kind``, ``class``), study CRS.
    repeat
        Repeat-disaster table per tambon and kind (empty without events).
    tambons, districts
        Area polygons (study CRS) with the ``all`` figures of the first
        hazard, for maps (None when the study has no such layer).
    groups
        The people columns, in order (villages first).
    """

    summary: pd.DataFrame
    villages: gpd.GeoDataFrame
    assets: gpd.GeoDataFrame
    classes: gpd.GeoDataFrame
    repeat: pd.DataFrame
    tambons: gpd.GeoDataFrame | None
    districts: gpd.GeoDataFrame | None
    groups: list[str]
    hazards: list[str]
    synthetic: bool = False
    name: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        """Why the result is empty, when it is (no hazard to ask about)."""
        return None if self.hazards else "the study has no hazard entry (add one under [layers] hazards)"

    def people(self, level: str = "district", *, hazard: str | None = None, klass: str = ALL_CLASSES) -> pd.DataFrame:
        """Rows of one level, hazard (default the first) and class (default ``all``)."""
        hz = hazard or (self.hazards[0] if self.hazards else None)
        s = self.summary
        return s[(s["level"] == level) & (s["hazard"] == hz) & (s["class"] == klass)].reset_index(drop=True)

    def report_lines(self) -> list[str]:
        """A few human-readable lines: people and places inside each hazard."""
        lines = []
        main = self.groups[0] if self.groups else None
        for hz in self.hazards:
            row = self.people("study", hazard=hz)
            if not len(row):
                continue
            r = row.iloc[0]
            parts = [f"{r[g]:,.0f} {g}" for g in self.groups if g in r.index and pd.notna(r[g])]
            lines.append(f"{hz} ({r['kind']}): " + (", ".join(parts) if main else "no population layer")
                         + f"; {int(r['shelters_inside'])} shelters, {int(r['pois_inside'])} POIs inside; "
                         f"{r['road_km_closed']:,.1f} road km closed, {r['road_km_slowed']:,.1f} slowed")
        if len(self.repeat):
            flagged = self.repeat[self.repeat["repeat_area"]]
            lines.append(f"repeat-disaster tambons: {flagged['tambon_id'].nunique()} "
                         f"({', '.join(sorted(flagged['kind'].unique())) or 'none'})")
        return lines + [f"note: {n}" for n in self.notes]

    # -- output -----------------------------------------------------------------------------
    def layers(self) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
        """The GeoPackage layers: villages, tambons, districts (long, with geometry), assets, hazard classes."""
        out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {"villages": self.villages}
        for level, polys in (("tambon", self.tambons), ("district", self.districts)):
            if polys is None:
                continue
            id_col = f"{level}_id"
            rows = self.summary[self.summary["level"] == level]
            geo = polys[[id_col, "geometry"]].drop_duplicates(id_col).set_index(id_col).geometry
            out[f"{level}s"] = gpd.GeoDataFrame(rows.reset_index(drop=True),
                                                geometry=geo.reindex(rows["area_id"]).to_numpy(), crs=polys.crs)
        out["assets"] = self.assets
        out["hazard_classes"] = self.classes
        if len(self.repeat):
            out["repeat_disasters"] = self.repeat
        return out

    def map(self, *, lang: str = "en", public: bool = False, tiles: bool = True, title: str | None = None,
            back_href: str | None = None, charts: bool = True) -> SafegeoMap:
        """The exposure map (:func:`exposure_map`)."""
        return exposure_map(self, lang=lang, public=public, tiles=tiles, title=title, back_href=back_href,
                            charts=charts)

    def write(self, out_dir: str | Path, *, lang: str = "en", public: bool = False, tiles: bool = True,
              title: str | None = None, back_href: str | None = None) -> list[Path]:
        """Write ``exposure.html``, ``exposure.gpkg`` and ``exposure_summary.csv`` into *out_dir*, as one set.

        With *public*, every file goes through the public filter
        (:func:`safegeo.privacy.public_frame`).

        Returns
        -------
        list of Path
            The map first, then the GeoPackage and the CSV.
        """
        from safegeo.output import write_analysis

        return write_analysis(
            out_dir, what="exposure", html="exposure.html", gpkg="exposure.gpkg", public=public,
            page=lambda: self.map(lang=lang, public=public, tiles=tiles, title=title, back_href=back_href),
            layers=self.layers(), geometry_types=GPKG_GEOMETRY_TYPES, tables={"exposure_summary.csv": self.summary})


#: Declared geometry types (an empty layer is still typed for QGIS).
GPKG_GEOMETRY_TYPES = {"villages": "Point", "assets": "Point", "tambons": "MultiPolygon",
                       "districts": "MultiPolygon", "hazard_classes": "MultiPolygon"}


# --------------------------------------------------------------------------------------------
# the analysis
# --------------------------------------------------------------------------------------------
def exposure(
    study: StudyArea,
    *,
    hazards: str | Sequence[str] | None = None,
    depth_classes_m: Sequence[float] | None = None,
    inside_within_m: float | None = None,
    village_groups: Sequence[str] | None = None,
    progress: Any = None,
) -> ExposureResult:
    """People, vulnerable groups, places and roads inside every hazard, per village, tambon and district.

    Parameters
    ----------
    study
        The study area (villages, population rasters, hazards, shelters,
        POIs, districts, tambons, events, roads as it has them).
    hazards
        Hazard entry names or kinds (default: every entry).
    depth_classes_m, inside_within_m, village_groups
        Overrides of ``[exposure]``.
    progress
        Optional :class:`safegeo._progress.Stages` (stage timing).

    Returns
    -------
    ExposureResult

    Raises
    ------
    ExposureError
        A hazard name that is not in the study; a population raster that cannot be read.
    """
    from safegeo.settings import resolve

    stage = progress if progress is not None else _NoStages()
    cfg = resolve(study.params, "exposure", depth_classes_m=depth_classes_m, inside_within_m=inside_within_m,
                  village_groups=village_groups)
    crs = study.crs
    areas = study.areas
    with stage("hazard classes"):
        scenario = study.scenario(hazards)
        sources = list(scenario.sources)
        class_frames = []
        for src in sources:
            cl = hazard_classes(src, depth_classes_m=cfg["depth_classes_m"], crs=crs)
            class_frames.append(cl)
    # -- villages --------------------------------------------------------------------------
    with stage("villages"):
        vill = study.layer("villages") if study.has("villages") else None
        vgroups = [g for g in cfg["village_groups"] if vill is not None and g in vill.columns]
        village_frames: list[gpd.GeoDataFrame] = []
        if vill is not None and len(vill):
            v = vill.to_crs(crs)
            loc = areas.locate(v.geometry) if areas else pd.DataFrame(index=range(len(v)))
            for src, cl in zip(sources, class_frames, strict=True):
                k = _worst_class(v.geometry, cl, float(cfg["inside_within_m"]))
                hit = k >= 0
                if not hit.any():
                    continue
                rows = pd.DataFrame({
                    "village_id": v["village_id"].astype(object).to_numpy()[hit] if "village_id" in v.columns
                    else np.flatnonzero(hit),
                    **{c: v[c].to_numpy()[hit] for c in ("name_en", "name_th") if c in v.columns},
                    "hazard": src.name, "kind": src.kind,
                    "class": np.asarray(cl["class"].astype(object))[k[hit]],
                })
                if src.is_raster:
                    from safegeo.hazards import sample_raster

                    xy = shapely.get_coordinates(v.geometry.values[hit])
                    rows["depth_m"] = np.round(sample_raster(str(src.raster_path), xy, crs), 3)
                rows["villages"] = 1
                rows["villages_population"] = pd.to_numeric(v["population"], errors="coerce").fillna(0).to_numpy()[hit]
                for g in vgroups:
                    rows[f"villages_{g}"] = pd.to_numeric(v[g], errors="coerce").fillna(0).to_numpy()[hit]
                for c in loc.columns:
                    rows[c] = loc[c].to_numpy()[hit]
                village_frames.append(gpd.GeoDataFrame(rows, geometry=v.geometry.values[hit], crs=crs))
    village_cols = (["villages", "villages_population", *[f"villages_{g}" for g in vgroups]]
                    if vill is not None else [])
    exposed_villages = (pd.concat(village_frames, ignore_index=True) if village_frames else
                        gpd.GeoDataFrame({"village_id": [], "hazard": [], "class": []}, geometry=[], crs=crs))
    # -- assets -----------------------------------------------------------------------------
    with stage("assets"):
        asset_frames = []
        for layer, id_col in ASSET_LAYERS.items():
            if not study.has(layer):
                continue
            a = study.layer(layer).to_crs(crs)
            if not len(a):
                continue
            loc = areas.locate(a.geometry) if areas else pd.DataFrame(index=range(len(a)))
            for src, cl in zip(sources, class_frames, strict=True):
                k = _worst_class(a.geometry, cl, float(cfg["inside_within_m"]))
                hit = k >= 0
                if not hit.any():
                    continue
                rows = pd.DataFrame({
                    "layer": layer,
                    "asset_id": a[id_col].astype(str).to_numpy()[hit] if id_col in a.columns
                    else np.flatnonzero(hit).astype(str),
                    **{c: a[c].to_numpy()[hit] for c in ("name_en", "name_th", "kind", "category", "capacity")
                       if c in a.columns},
                    "hazard": src.name, "hazard_kind": src.kind,
                    "class": np.asarray(cl["class"].astype(object))[k[hit]],
                })
                for c in loc.columns:
                    rows[c] = loc[c].to_numpy()[hit]
                asset_frames.append(gpd.GeoDataFrame(rows, geometry=a.geometry.values[hit], crs=crs))
        assets = (pd.concat(asset_frames, ignore_index=True) if asset_frames else
                  gpd.GeoDataFrame({"layer": [], "asset_id": [], "hazard": [], "class": []}, geometry=[], crs=crs))
        for col, (layer, test) in _ASSET_COUNTS.items():
            sel = np.ones(len(assets), bool) if not layer else (assets["layer"] == layer).to_numpy().copy()
            if test is not None and len(assets):
                sel &= np.asarray(test(assets), dtype=bool)
            assets[col] = sel.astype(int) if len(assets) else pd.Series(dtype=int)
    # -- population rasters -----------------------------------------------------------------
    raster_groups = list(dict.fromkeys(p.group for p in study.population))
    with stage("population rasters"):
        raster_tables = _raster_exposure(study, sources, class_frames) if raster_groups else {}
    # -- roads ------------------------------------------------------------------------------
    with stage("roads"):
        road_tables = _road_exposure(study, scenario, sources) if study.has("roads") else {}
    # -- per area ---------------------------------------------------------------------------
    with stage("summary"):
        repeat = _repeat(study)
        summary = _summary(study, sources, class_frames, exposed_villages, village_cols, assets, raster_tables,
                           raster_groups, road_tables, repeat)
    groups = [*village_cols[1:], *[f"raster_{g}" for g in raster_groups]]
    classes = (pd.concat([cl.assign(hazard=src.name, kind=src.kind) for src, cl in zip(sources, class_frames,
                                                                                       strict=True)],
                         ignore_index=True) if class_frames else gpd.GeoDataFrame(geometry=[], crs=crs))
    if len(classes):
        classes["class"] = classes["class"].astype(str)
        classes = classes[~classes.geometry.is_empty].reset_index(drop=True)
    notes = []
    if not raster_groups and vill is None:
        notes.append("no villages layer and no population raster: people are not counted")
    tam = areas.areas("tambon") if areas and areas.has("tambon") else None
    dis = areas.areas("district") if areas and areas.has("district") else None
    return ExposureResult(
        summary=summary, villages=exposed_villages, assets=assets, classes=classes, repeat=repeat,
        tambons=tam, districts=dis, groups=groups, hazards=[s.name for s in sources],
        synthetic=bool(getattr(study, "synthetic", False)), name=getattr(study, "name", ""), notes=notes,
    )


class _NoStages:
    def __call__(self, name: str):
        import contextlib

        return contextlib.nullcontext()


def _raster_exposure(study: StudyArea, sources: list[HazardSource],
                     class_frames: list[gpd.GeoDataFrame]) -> dict[str, pd.DataFrame]:
    """Per hazard: people per (area row, class) from the population rasters, at the finest level there is."""
    from safegeo.exposure.zonal import PopulationRaster, exposure_sums

    rasters = [PopulationRaster(p.raster_path, group=p.group, kind=p.kind) for p in study.population]
    areas = study.areas
    if areas and areas.has("tambon"):
        polys = areas.areas("tambon")
    elif areas and areas.has("district"):
        polys = areas.areas("district")
    else:
        polys = gpd.GeoDataFrame({"area": [STUDY_ROW_ID]}, geometry=[study.extent()], crs=study.crs)
    out = {}
    for src, cl in zip(sources, class_frames, strict=True):
        cl = cl[~cl.geometry.is_empty]
        order = list(cl["class"].astype(object))
        if not order:
            continue
        table = exposure_sums(rasters, polys.geometry.reset_index(drop=True),
                              gpd.GeoDataFrame({"class": order}, geometry=cl.geometry.values, crs=cl.crs),
                              by="class", priority=order)
        out[src.name] = table
    return out


def _road_exposure(study: StudyArea, scenario: HazardScenario, sources: list[HazardSource]) -> dict[str, pd.DataFrame]:
    """Per hazard: km of road closed and slowed, per road (each two-way road once) with its areas."""
    net = study.network()
    a = np.minimum(net.u, net.v)
    b = np.maximum(net.u, net.v)
    once = ~pd.DataFrame({"a": a, "b": b, "l": np.round(net.length_m, 3)}).duplicated().to_numpy()
    geoms = net.edge_geometries()
    mid = shapely.line_interpolate_point(geoms[once], 0.5, normalized=True)
    loc = study.areas.locate(gpd.GeoSeries(mid, crs=net.crs)) if study.areas else pd.DataFrame(index=range(len(mid)))
    out = {}
    for src in sources:
        one = HazardScenario([src], scenario.severity_speed_factor, scenario.wet_depth_m)
        he = one.edges(net)
        km = net.length_m[once] / 1000.0
        frame = pd.DataFrame({"road_km_closed": np.where(he.closed[once], km, 0.0),
                              "road_km_slowed": np.where(he.slowed[once], km, 0.0)})
        for c in loc.columns:
            frame[c] = loc[c].to_numpy()
        out[src.name] = frame[(frame["road_km_closed"] > 0) | (frame["road_km_slowed"] > 0)]
    return out


def _repeat(study: StudyArea) -> pd.DataFrame:
    if not study.has("events"):
        return pd.DataFrame(columns=["tambon_id", "kind", "repeat_area"])
    from safegeo.exposure.events import repeat_disasters

    return repeat_disasters(study.layer("events"), areas=study.areas, params=study.params)


def _summary(study: StudyArea, sources: list[HazardSource], class_frames: list[gpd.GeoDataFrame],
             villages: gpd.GeoDataFrame, village_cols: list[str], assets: gpd.GeoDataFrame,
             raster_tables: dict[str, pd.DataFrame], raster_groups: list[str], road_tables: dict[str, pd.DataFrame],
             repeat: pd.DataFrame) -> pd.DataFrame:
    """The long summary: area x hazard x class (each class, then all)."""
    from safegeo.areas import AreaIndex

    areas = study.areas if study.areas else AreaIndex()
    asset_cols = list(_ASSET_COUNTS)
    road_cols = ["road_km_closed", "road_km_slowed"]
    raster_cols = [f"raster_{g}" for g in raster_groups]
    sums = [*village_cols, *raster_cols, *asset_cols, *road_cols]
    tam = areas.areas("tambon") if areas.has("tambon") else None
    dis = areas.areas("district") if areas.has("district") else None
    frames = []
    for src, cl in zip(sources, class_frames, strict=True):
        order = [str(c) for c in cl["class"].astype(object)]
        for klass in [*order, ALL_CLASSES]:
            def pick(f: pd.DataFrame, k: str = klass, name: str = src.name) -> pd.DataFrame:
                return f[(f["hazard"] == name) & ((f["class"].astype(str) == k) | (k == ALL_CLASSES))]

            items = [pick(villages)[["district_id", "tambon_id", *village_cols]]
                     if len(villages) and "district_id" in villages.columns else None,
                     pick(assets)[["district_id", "tambon_id", *asset_cols]]
                     if len(assets) and "district_id" in assets.columns else None]
            if klass == ALL_CLASSES and src.name in road_tables and "district_id" in road_tables[src.name].columns:
                items.append(road_tables[src.name][["district_id", "tambon_id", *road_cols]])
            rt = raster_tables.get(src.name)
            if rt is not None:
                sel = rt if klass == ALL_CLASSES else rt.xs(klass, level=1, drop_level=False)
                per = sel.groupby(level=0).sum()
                frame = pd.DataFrame({f"raster_{g}": per[g].to_numpy(float) for g in raster_groups})
                if tam is not None:
                    frame["tambon_id"] = tam["tambon_id"].astype(object).to_numpy()[per.index.to_numpy()]
                    frame["district_id"] = (tam["district_id"].astype(object).to_numpy()[per.index.to_numpy()]
                                            if "district_id" in tam.columns else None)
                    if "district_id" not in tam.columns and dis is not None:
                        frame["district_id"] = areas.locate(tam.geometry.representative_point())["district_id"] \
                            .to_numpy()[per.index.to_numpy()]
                elif dis is not None:
                    frame["district_id"] = dis["district_id"].astype(object).to_numpy()[per.index.to_numpy()]
                    frame["tambon_id"] = None
                else:
                    frame["district_id"] = None
                    frame["tambon_id"] = None
                items.append(frame)
            items = [i for i in items if i is not None and len(i)]
            frame = (pd.concat(items, ignore_index=True) if items
                     else pd.DataFrame(columns=["district_id", "tambon_id", *sums]))
            for c in ("district_id", "tambon_id", *sums):
                if c not in frame.columns:
                    frame[c] = None if c.endswith("_id") else 0.0
            table = areas.summary(frame, sums=sums)
            if rt is not None and not areas.has("tambon") and not areas.has("district"):
                # no areas: the study row is the rasters' own total (nothing was placed in an area)
                for c in raster_cols:
                    table.loc[table["level"] == "study", c] = float(frame[c].sum())
            table.insert(table.columns.get_loc("level"), "hazard", src.name)
            table.insert(1, "kind", src.kind)
            table.insert(2, "class", klass)
            frames.append(table)
    if not frames:
        return pd.DataFrame(columns=["hazard", "kind", "class", "level", "area_id", "name_en", "name_th", *sums])
    out = pd.concat(frames, ignore_index=True)
    out = out[[c for c in ("level", "area_id", "name_en", "name_th", "district_id", "hazard", "kind", "class")
               if c in out.columns] + [c for c in out.columns if c not in
                                       ("level", "area_id", "name_en", "name_th", "district_id", "hazard", "kind",
                                        "class")]]
    for c in village_cols[:1] + asset_cols:
        if c in out.columns:
            out[c] = out[c].round().astype(int)
    for c in [*village_cols[1:], *raster_cols, *road_cols]:
        if c in out.columns:
            out[c] = out[c].astype(float).round(3 if c.startswith("road") else 2)
    for c in road_cols:
        out.loc[out["class"] != ALL_CLASSES, c] = np.nan
    out = _flags(study, out, repeat)
    level_order = {"district": 0, "tambon": 1, "study": 2}
    out["_l"] = out["level"].map(level_order)
    out["_h"] = out["hazard"].map({s.name: i for i, s in enumerate(sources)})
    out = out.sort_values(["_h", "_l"], kind="stable").drop(columns=["_l", "_h"]).reset_index(drop=True)
    return out


def _flags(study: StudyArea, out: pd.DataFrame, repeat: pd.DataFrame) -> pd.DataFrame:
    """``is_border`` per row (districts flagged by the study; tambons by their district) and repeat-disaster columns."""
    areas = study.areas
    border: dict[str, bool] = {}
    if areas and areas.has("district"):
        d = areas.areas("district")
        if "is_border" in d.columns:
            border = dict(zip(d["district_id"].astype(str), d["is_border"].fillna(False).astype(bool), strict=True))
    district_of = out["area_id"].where(out["level"] == "district", out.get("district_id"))
    out["is_border"] = district_of.astype(str).map(border).fillna(False).astype(bool)
    if border:
        out.loc[out["level"] == "study", "is_border"] = any(border.values())
    if len(repeat) and "repeat_area" in repeat.columns:
        from safegeo.exposure.events import repeat_flags

        flags = repeat_flags(repeat)
        tam_rows = out["level"] == "tambon"
        ids = out.loc[tam_rows, "area_id"].astype(str)
        out["repeat_area"] = False
        out["repeat_kinds"] = ""
        out["events"] = 0
        f = flags.copy()
        f.index = f.index.astype(str)
        out.loc[tam_rows, "repeat_area"] = ids.map(f["repeat_area"]).fillna(False).astype(bool).to_numpy()
        out.loc[tam_rows, "repeat_kinds"] = ids.map(f["repeat_kinds"]).fillna("").to_numpy()
        out.loc[tam_rows, "events"] = ids.map(f["events"]).fillna(0).astype(int).to_numpy()
        # a district / the study counts its repeat-disaster tambons
        tam = out[tam_rows & (out["class"] == ALL_CLASSES)].drop_duplicates("area_id")
        if "district_id" in tam.columns:
            per_d = tam.groupby("district_id")["repeat_area"].sum()
            drows = out["level"] == "district"
            out["repeat_tambons"] = 0
            out.loc[drows, "repeat_tambons"] = out.loc[drows, "area_id"].map(per_d).fillna(0).astype(int).to_numpy()
            out.loc[tam_rows, "repeat_tambons"] = out.loc[tam_rows, "repeat_area"].astype(int)
            out.loc[out["level"] == "study", "repeat_tambons"] = int(tam["repeat_area"].sum())
            per_e = tam.groupby("district_id")["events"].sum()
            out.loc[drows, "events"] = out.loc[drows, "area_id"].map(per_e).fillna(0).astype(int).to_numpy()
            out.loc[out["level"] == "study", "events"] = int(tam["events"].sum())
        out["repeat_area"] = out["repeat_area"].astype(bool)
    return out


# --------------------------------------------------------------------------------------------
# map
# --------------------------------------------------------------------------------------------
_CLASS_COLOURS = ["#08306b", "#2171b5", "#6baed6", "#c6dbef", "#deebf7"]


def exposure_map(result: ExposureResult, *, lang: str = "en", public: bool = False, tiles: bool = True,
                 title: str | None = None, back_href: str | None = None, charts: bool = True) -> SafegeoMap:
    """Choropleth of exposed people per tambon (one layer per hazard, group and class), hazard classes,
    exposed villages, places inside, repeat-disaster tambons; a chart of exposed people per district.
    """
    from safegeo._i18n import t
    from safegeo.maps import SafegeoMap

    m = SafegeoMap(title=title or (f"{result.name}: " if result.name else "") + t("exposure_title", lang),
                   lang=lang, public=public, synthetic=result.synthetic, tiles=tiles, back_href=back_href,
                   bounds=["hazard_classes", "exposed_villages"])
    if charts:
        for chart in exposure_charts(result, lang=lang):
            m.add_chart(chart)
    polys_level = "tambon" if result.tambons is not None else ("district" if result.districts is not None else None)
    polys = result.tambons if polys_level == "tambon" else result.districts
    first = True
    if polys is not None and result.groups:
        id_col = f"{polys_level}_id"
        geo = polys[[id_col, "geometry"]].drop_duplicates(id_col).set_index(id_col).geometry
        names = [c for c in ("name_en", "name_th") if c in result.summary.columns]
        for hz in result.hazards:
            s = result.summary[(result.summary["level"] == polys_level) & (result.summary["hazard"] == hz)]
            for klass in [ALL_CLASSES, *[c for c in s["class"].unique() if c != ALL_CLASSES]]:
                rows = s[s["class"] == klass]
                if not len(rows):
                    continue
                frame = gpd.GeoDataFrame(rows.reset_index(drop=True),
                                         geometry=geo.reindex(rows["area_id"]).to_numpy(), crs=polys.crs)
                frame = frame[frame.geometry.notna()]
                for g in result.groups:
                    if g not in frame.columns or not np.nansum(frame[g].to_numpy(float)) and not first:
                        continue
                    label = f"{hz}: {t(g, lang)} ({t(klass, lang)})"
                    extra = [c for c in ("repeat_kinds", "road_km_closed", "shelters_inside") if c in frame.columns]
                    m.add_polygons(frame, name=label, fill_column=g, cmap="YlOrRd", vmin=0, fill_opacity=0.6,
                                   weight=0.6, color="#555555", tooltip=[*names[:1], g],
                                   popup=[*names, "area_id", "class", *result.groups, *extra], show=first,
                                   legend_title=t(g, lang))
                    first = False
    if len(result.classes):
        for hz in result.hazards:
            cl = result.classes[result.classes["hazard"] == hz]
            if len(cl):
                cats = {c: _CLASS_COLOURS[min(i, len(_CLASS_COLOURS) - 1)] for i, c in enumerate(cl["class"].unique())}
                m.add_polygons(cl, name="hazard_classes" if hz == result.hazards[0] else f"{hz}: {t('hazard_classes', lang)}",
                               fill_column="class", categories=cats, fill_opacity=0.35, weight=0.5,
                               tooltip=["hazard", "class"], show=hz == result.hazards[0], legend_title="class")
    if polys is not None and "repeat_area" in result.summary.columns and result.tambons is not None:
        rep = result.summary[(result.summary["level"] == "tambon") & result.summary["repeat_area"]]
        rep = rep.drop_duplicates("area_id")
        if len(rep):
            geo = result.tambons.drop_duplicates("tambon_id").set_index("tambon_id").geometry
            frame = gpd.GeoDataFrame(rep.reset_index(drop=True), geometry=geo.reindex(rep["area_id"]).to_numpy(),
                                     crs=result.tambons.crs)
            m.add_polygons(frame, name="repeat_disaster_tambons", color="#7a0177", fill_opacity=0.0, weight=3,
                           tooltip=[c for c in ("name_en", "repeat_kinds", "events") if c in frame.columns])
    for hz in result.hazards:
        v = result.villages[result.villages["hazard"] == hz] if len(result.villages) else result.villages
        if not len(v):
            continue
        order = list(dict.fromkeys(result.classes.loc[result.classes["hazard"] == hz, "class"])) or \
            list(dict.fromkeys(v["class"]))
        v = v.dropna(axis=1, how="all")
        m.add_points(v, name="exposed_villages" if hz == result.hazards[0] else f"{t('exposed_villages', lang)}: {hz}",
                     color_column="class", cluster=len(v) > 5000, radius=5,
                     categories={c: _CLASS_COLOURS[min(i, len(_CLASS_COLOURS) - 1)] for i, c in enumerate(order)},
                     tooltip=[c for c in ("name_en", "village_id", "class", "villages_population", "depth_m")
                              if c in v.columns],
                     popup=[c for c in v.columns if c not in ("geometry", "villages", "hazard")],
                     show=hz == result.hazards[0])
    if len(result.assets):
        a = result.assets
        m.add_points(a, name="assets_inside", color_column="layer", legend_title="kind",
                     categories={"shelters": "#d62728", "pois": "#ff7f0e"}, radius=7,
                     tooltip=[c for c in ("name_en", "asset_id", "layer", "hazard", "class") if c in a.columns],
                     popup=[c for c in ("name_en", "name_th", "asset_id", "layer", "kind", "category", "capacity",
                                        "hazard", "class") if c in a.columns])
    return m


def exposure_charts(result: ExposureResult, *, lang: str = "en", width: int = 440) -> list:
    """Exposed people per district, by class (one chart per hazard, for the first people column)."""
    from safegeo._i18n import t
    from safegeo.maps.charts import message_chart, stacked_bar_chart

    charts = []
    if not result.groups:
        return [message_chart(title="exposure_by_district", lang=lang, width=width)]
    g = result.groups[0]
    for hz in result.hazards:
        s = result.summary[(result.summary["level"] == "district") & (result.summary["hazard"] == hz)
                           & (result.summary["class"] != ALL_CLASSES)]
        if not len(s):
            continue
        wide = s.pivot_table(index="area_id", columns="class", values=g, aggfunc="sum", sort=False).fillna(0.0)
        order = [c for c in dict.fromkeys(s["class"]) if c in wide.columns]
        names = s.drop_duplicates("area_id").set_index("area_id")
        col = "name_th" if lang == "th" and "name_th" in names.columns else "name_en"
        label = names[col].where(names[col].notna(), names.index.to_series()) if col in names.columns \
            else names.index.to_series()
        wide = wide[order].assign(label=label.reindex(wide.index).astype(str).to_numpy())
        wide = wide[wide[order].sum(axis=1) > 0] if (wide[order].sum(axis=1) > 0).any() else wide
        colours = {c: _CLASS_COLOURS[min(i, len(_CLASS_COLOURS) - 1)] for i, c in enumerate(order)}
        chart = stacked_bar_chart(wide, columns=order, label_column="label", title="exposure_by_district",
                                  colors=colours, value_label=t(g, lang), lang=lang, width=width,
                                  series_labels={c: t(c, lang) for c in order})
        charts.append(chart.with_title(f"{t('exposure_by_district', lang)}: {hz}") if len(result.hazards) > 1
                      else chart)
    return charts or [message_chart(title="exposure_by_district", lang=lang, width=width)]


def demo_step(study: StudyArea, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """Run the exposure analysis on the demo study and write its outputs (map first)."""
    res = exposure(study)
    return res.write(Path(out_dir), lang=lang, title=f"{study.name}: exposure", back_href="../index.html")
