"""Overview maps of a study area's layers (``safegeo map``)."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from safegeo.maps.core import SafegeoMap
from safegeo.study import StudyArea

#: Drawing order and style of each layer on the overview map.
KIND_COLOURS = {"shelter": "#1f78b4", "safe_area": "#33a02c", "refuge": "#6a3d9a", "hospital": "#e31a1c"}
SEVERITY_COLOURS = {"low": "#fee391", "medium": "#fe9929", "high": "#d95f0e", "extreme": "#993404"}
ROAD_COLOURS = {
    "motorway": "#e8590c", "trunk": "#e8590c", "primary": "#f08c00", "secondary": "#f59f00",
    "tertiary": "#fcc419", "unclassified": "#868e96", "residential": "#adb5bd", "track": "#ced4da",
    "service": "#ced4da", "footway": "#b2f2bb", "path": "#b2f2bb",
}
STATUS_COLOURS = {"available": "#2b8a3e", "dispatched": "#e67700", "maintenance": "#868e96", "out_of_service": "#495057"}

#: Layers visible when an all-layer map opens; the rest are listed in the layer control, switched off.
DEFAULT_VISIBLE = ("districts", "hazards", "rivers", "roads", "border", "villages", "shelters", "vehicles")

DEFAULT_ORDER = ("districts", "tambons", "hazards", "rivers", "roads", "border", "villages", "shelters", "pois",
                 "incidents", "cameras", "lights", "sos", "vehicles")


def name_columns(gdf: gpd.GeoDataFrame, lang: str) -> list[str]:
    """The name columns to show, in the map language first."""
    order = ["name_th", "name_en"] if lang == "th" else ["name_en", "name_th"]
    return [c for c in order + ["name"] if c in gdf.columns]


def _cols(gdf: gpd.GeoDataFrame, wanted: Sequence[str]) -> list[str]:
    return [c for c in wanted if c in gdf.columns]


def add_study_layers(m: SafegeoMap, study: StudyArea, layers: Sequence[str] | None = None, *,
                     show: Sequence[str] | None = None) -> SafegeoMap:
    """Add the study's layers to *m* with the house styles.

    Parameters
    ----------
    layers
        Layer names to draw (default: all present, in :data:`DEFAULT_ORDER`).
    show
        Layers visible when the page opens (default: all drawn); others are
        listed in the layer control, switched off.
    """
    lang = m.lang
    wanted = [n for n in (layers or DEFAULT_ORDER) if study.has(n) or (n == "roads" and study.roads_source is not None)]
    for name in wanted:
        # roads from an OSM file or download exist only as the network: draw its edges
        gdf = study.layers[name] if name in study.layers else study.network().edges_gdf(undirected=True)
        vis = show is None or name in show
        ids = [c for c in gdf.columns if c.endswith("_id")][:1]
        if name == "districts":
            d = gdf.assign(border=gdf["is_border"].map({True: "yes", False: "no"}))
            m.add_polygons(d, name=name, color="#343a40", fill_column="border", categories={"yes": "#f4a261", "no": "#e9ecef"},
                           fill_opacity=0.25, weight=1.5, tooltip=name_columns(d, lang) + ids,
                           popup=name_columns(d, lang) + ids + _cols(d, ["is_border", "border_km"]),
                           legend_title="is_border", show=vis)
        elif name == "tambons":
            m.add_polygons(gdf, name=name, color="#868e96", fill_opacity=0.0, weight=0.6,
                           tooltip=name_columns(gdf, lang) + ids, show=vis)
        elif name == "hazards":
            sev = gdf.assign(severity=gdf["severity"].fillna("medium") if "severity" in gdf else "medium")
            m.add_polygons(sev, name=name, color="#d9480f", fill_column="severity", categories=SEVERITY_COLOURS,
                           fill_opacity=0.45, tooltip=_cols(sev, ["kind", "severity", "hazard_source"]), show=vis)
        elif name == "rivers":
            m.add_lines(gdf, name=name, color="#4dabf7", weight=3, tooltip=name_columns(gdf, lang), show=vis)
        elif name == "roads":
            hw = gdf.assign(highway=gdf["highway"].fillna("road").astype(str)) if "highway" in gdf else gdf.assign(highway="road")
            m.add_lines(hw, name=name, color_column="highway", categories=ROAD_COLOURS, weight=2,
                        tooltip=_cols(hw, ["name", "highway"]), show=vis)
        elif name == "border":
            m.add_lines(gdf, name=name, color="#c92a2a", weight=4, show=vis)
        elif name == "villages":
            m.add_points(gdf, name=name, color="#5f3dc4", radius_column="population", radius_range=(2.5, 9),
                         tooltip=name_columns(gdf, lang) + ["population"], popup=name_columns(gdf, lang) + ids + ["population"],
                         show=vis)
        elif name == "shelters":
            m.add_points(gdf, name=name, color_column="kind", categories=KIND_COLOURS, radius_column="capacity",
                         radius_range=(4, 12), tooltip=name_columns(gdf, lang) + ["kind", "capacity"],
                         popup=name_columns(gdf, lang) + ids + _cols(gdf, ["kind", "category", "capacity", "safe_for", "contact"]),
                         show=vis)
        elif name == "vehicles":
            m.add_points(gdf, name=name, color_column="status", categories=STATUS_COLOURS, radius=6,
                         tooltip=ids + _cols(gdf, ["type", "status"]),
                         popup=ids + _cols(gdf, ["type", "status", "agency", "capacity", "capabilities", "contact"]),
                         show=vis)
        elif name == "cameras":
            m.add_points(gdf, name=name, color="#1864ab", radius=3,
                         tooltip=ids + _cols(gdf, ["direction_deg", "fov_deg", "range_m"]), show=vis)
        elif name == "lights":
            m.add_points(gdf, name=name, color="#fab005", radius=2, stroke_color="#fab005",
                         tooltip=ids + _cols(gdf, ["radius_m"]), show=vis)
        elif name == "sos":
            m.add_points(gdf, name=name, color="#e03131", radius=4, tooltip=ids, show=vis)
        elif name == "pois":
            m.add_points(gdf, name=name, color="#0b7285", radius=3, tooltip=name_columns(gdf, lang) + ids + ["kind"], show=vis)
        elif name == "incidents":
            m.add_points(gdf, name=name, color="#212529", radius=3, tooltip=ids + _cols(gdf, ["kind", "date"]), show=vis)
    return m


def study_map(
    study: StudyArea,
    *,
    layers: Sequence[str] | None = None,
    lang: str = "en",
    public: bool = False,
    tiles: bool = True,
    tiles_visible: bool = False,
    title: str | None = None,
    links: Sequence[tuple[str, str]] | None = None,
) -> SafegeoMap:
    """A map of the study area's layers (all, or *layers*), fitted to the study area.

    Examples
    --------
    >>> m = study_map(load_study("data/demo/study.toml"), layers=["districts", "shelters"], public=True)  # doctest: +SKIP
    >>> m.save("shelters.html")                                                                        # doctest: +SKIP
    """
    bounds = gpd.GeoSeries([study.extent], crs=study.crs)
    m = SafegeoMap(title=title or study.name, lang=lang, bounds=bounds, public=public, synthetic=study.synthetic,
                   tiles=tiles, tiles_visible=tiles_visible, links=links)
    return add_study_layers(m, study, layers, show=None if layers else DEFAULT_VISIBLE)


def district_table(study: StudyArea) -> pd.DataFrame:
    """Districts without geometry (codes, names, border flags) for reports."""
    d = study.layer("districts")
    return pd.DataFrame(d.drop(columns=d.geometry.name))
