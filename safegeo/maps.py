"""Self-contained HTML maps of safegeo results.

Every analysis renders through :class:`SafegeoMap`: one Folium map with a layer
per theme, a layer control, legends, a metric scale bar, tooltips and popups,
English or Thai labels, and an optional "synthetic data" badge.

The page works with no network at all.  Leaflet (and Leaflet.markercluster when
a layer asks for clustering) is inlined from the installed ``xstatic`` packages,
icons are ``data:`` URIs, and Folium's CDN links (jQuery, Bootstrap,
Font Awesome, awesome-markers) are dropped.  OpenStreetMap tiles are the only
online extra and can be switched off with ``tiles=False``; without them the
vector layers still draw on a plain light background.

Vector layers are written as compact GeoJSON (coordinates rounded to 6
decimals, about 0.1 m, and only the columns a tooltip or popup shows) and drawn
on one canvas renderer.  Styling comes from a small palette index per feature,
so 100 000 points stay fast to build, small to store and quick to open.

Every value shown in the page is inserted as text, never as HTML, so a shelter
named ``<img src=x onerror=alert(1)>`` is shown literally.  ``public=True`` drops
:data:`safegeo.schema.SENSITIVE_COLUMNS` before anything is serialised.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> from safegeo.maps import SafegeoMap
>>> shelters = gpd.GeoDataFrame(
...     {"name_en": ["Mosque", "School"], "capacity": [120, 300]},
...     geometry=[Point(101.82, 6.43), Point(101.83, 6.44)], crs="EPSG:4326")
>>> m = SafegeoMap(title="Shelters", lang="en", synthetic=True, tiles=False)
>>> m = m.add_points(shelters, name="shelters", radius_column="capacity",
...                  tooltip=["name_en", "capacity"])
>>> html = m.to_html()
>>> "https://" in html.split("<body>")[1]
False
"""

from __future__ import annotations

import base64
import html as _html
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.map import Layer
from folium.template import Template

from safegeo._errors import CRSError, Problem, ValidationError
from safegeo._i18n import LANGUAGES, t
from safegeo.schema import drop_sensitive, is_sensitive

__all__ = ["SafegeoMap", "PRECISION", "N_CLASSES", "OUTLINE_MAX_POINTS"]

log = logging.getLogger(__name__)

#: Decimal places kept in map coordinates (1e-6 degree is about 0.1 m).
PRECISION = 6

#: Above this many points, ``stroke_color="auto"`` draws markers without outline.
OUTLINE_MAX_POINTS = 20_000

#: Number of colour classes used for a numeric ``color_column``.
N_CLASSES = 9

_NODATA_COLOUR = "#bdbdbd"
_OTHER_COLOUR = "#9e9e9e"
_QUALITATIVE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
)
_THAILAND_BOUNDS = (97.3, 5.6, 105.7, 20.5)
_COLOUR_RE = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-zA-Z]{3,20})$")
_GEOM_TYPES = {
    "point": {"Point", "MultiPoint"},
    "line": {"LineString", "MultiLineString", "LinearRing"},
    "polygon": {"Polygon", "MultiPolygon"},
}
_KIND_ORDER = {"polygon": 0, "line": 1, "point": 2}

Kind = Literal["point", "line", "polygon"]


# --------------------------------------------------------------------------- #
# public API
# --------------------------------------------------------------------------- #


@dataclass
class _LayerSpec:
    name: str
    label: str
    kind: str
    payload: str  # escaped JSON, safe inside <script type="application/json">
    bounds: tuple[float, float, float, float] | None
    n_features: int
    show: bool
    cluster: bool
    legend_row: dict[str, Any] | None = None
    legends: list[dict[str, Any]] = field(default_factory=list)


class SafegeoMap:
    """An offline-ready Leaflet map of safegeo layers.

    Parameters
    ----------
    title : str, optional
        Shown at the top of the map and as the page title.
    lang : {"en", "th"}
        Language of layer names, legend titles and column labels
        (see :func:`safegeo._i18n.t`).
    bounds : GeoDataFrame, GeoSeries or (minx, miny, maxx, maxy), optional
        Study-area extent the map opens on.  A GeoDataFrame may be in any CRS;
        a 4-tuple must be longitude/latitude (EPSG:4326).  Default: the extent
        of all layers added.
    public : bool
        Drop :data:`safegeo.schema.SENSITIVE_COLUMNS` (contact, phone, email,
        person, ...) from every layer before it is serialised.  Tooltip and popup
        entries naming them are left out.
    synthetic : bool
        Show a "synthetic data" badge under the title.
    tiles : bool
        List OpenStreetMap tiles in the layer control (the only part that
        needs a network).  With ``False`` the page contains no http(s)
        resource at all.
    tiles_visible : bool
        Draw the tiles as soon as the page opens.  Off by default, so a page
        opened offline makes no request at all and logs no failed tile loads;
        a reader with a network ticks the basemap in the layer control.
    links : sequence of (label, href), optional
        Links shown under the title, e.g. to the other maps of a report
        (relative paths, or http(s) URLs; labels are translated when known).

    Examples
    --------
    >>> m = SafegeoMap(title="Evacuation", lang="th", tiles=False)
    >>> m.add_legend("kind", {"hospital": "#d00", "shelter": "#06c"}).to_html()[:15]
    '<!DOCTYPE html>'
    """

    def __init__(
        self,
        *,
        title: str | None = None,
        lang: str = "en",
        bounds: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[float] | None = None,
        public: bool = False,
        synthetic: bool = False,
        tiles: bool = True,
        tiles_visible: bool = False,
        links: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
        self.title = title
        self.lang = lang
        self.public = public
        self.synthetic = synthetic
        self.tiles = tiles
        self.tiles_visible = tiles_visible
        self.links = [(str(label), _check_href(str(href))) for label, href in (links or [])]
        self.bounds = _bounds_4326(bounds) if bounds is not None else None
        self._layers: list[_LayerSpec] = []
        self._legends: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ layers

    @property
    def layer_names(self) -> list[str]:
        """Layer keys in drawing order (polygons, then lines, then points)."""
        return [spec.name for spec in self._ordered_layers()]

    def add_polygons(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        color: str = "#555555",
        fill_color: str | None = None,
        fill_column: str | None = None,
        categories: Mapping[Any, str] | None = None,
        cmap: str | Sequence[str] = "YlOrRd",
        vmin: float | None = None,
        vmax: float | None = None,
        fill_opacity: float | None = None,
        weight: float = 1.0,
        tooltip: Sequence[str] | None = None,
        popup: Sequence[str] | None = None,
        legend_title: str | None = None,
        show: bool = True,
    ) -> SafegeoMap:
        """Add a polygon layer (districts, hazards, isochrones, gaps...).

        Parameters
        ----------
        gdf : GeoDataFrame
            Polygons in any CRS (reprojected to EPSG:4326).  Empty geometries are skipped.
        name : str
            Layer key; its label in the layer control is ``t(name, lang)``.
        color : str
            Outline colour.
        fill_color : str, optional
            Fill colour when there is no ``fill_column``; default ``color``.
        fill_column : str, optional
            Column that sets the fill.  Numeric columns are split into
            :data:`N_CLASSES` classes of ``cmap`` between ``vmin`` and ``vmax``
            (default: data range) with a colour-ramp legend; other columns are
            categorical (``categories`` maps value -> colour).
        categories : mapping, optional
            Value -> colour for a categorical ``fill_column``; unlisted values are grey.
        cmap : str or sequence of str
            ColorBrewer / matplotlib-style scale name known to branca
            (``"YlOrRd"``, ``"viridis"``, ...) or a list of colours.
        vmin, vmax : float, optional
            Range of the colour scale.
        fill_opacity : float, optional
            Default 0.6 with a ``fill_column``, 0.15 without.
        weight : float
            Outline width in pixels.
        tooltip, popup : sequence of str, optional
            Columns shown on hover / click, labelled ``t(column, lang)``.
        legend_title : str, optional
            Default ``t(fill_column, lang)``.
        show : bool
            Visible when the page opens.

        Returns
        -------
        SafegeoMap
            ``self``, for chaining.

        Raises
        ------
        CRSError
            If ``gdf`` has no CRS.
        ValidationError
            If a named column is missing or a geometry is not a polygon.
        """
        if fill_opacity is None:
            fill_opacity = 0.6 if fill_column else 0.15
        style = {"stroke": _colour(color), "weight": weight, "opacity": 0.9, "fillOpacity": fill_opacity}
        self._add(
            gdf, name=name, kind="polygon", style=style,
            default_colour=_colour(fill_color or color), color_column=fill_column,
            categories=categories, cmap=cmap, vmin=vmin, vmax=vmax,
            tooltip=tooltip, popup=popup, legend_title=legend_title, show=show,
        )
        return self

    def add_lines(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        color: str = "#cc0000",
        color_column: str | None = None,
        categories: Mapping[Any, str] | None = None,
        cmap: str | Sequence[str] = "viridis",
        vmin: float | None = None,
        vmax: float | None = None,
        weight: float = 3.0,
        opacity: float = 0.9,
        tooltip: Sequence[str] | None = None,
        popup: Sequence[str] | None = None,
        legend_title: str | None = None,
        show: bool = True,
    ) -> SafegeoMap:
        """Add a line layer (roads, routes, critical roads, border...).

        Parameters
        ----------
        gdf : GeoDataFrame
            Lines in any CRS (reprojected to EPSG:4326).  Empty geometries are skipped.
        name : str
            Layer key; its label in the layer control is ``t(name, lang)``.
        color : str
            Line colour when there is no ``color_column``.
        color_column, categories, cmap, vmin, vmax :
            Colour by a column, as for :meth:`add_polygons`.
        weight : float
            Line width in pixels.
        opacity : float
            Line opacity.
        tooltip, popup : sequence of str, optional
            Columns shown on hover / click.
        legend_title : str, optional
            Default ``t(color_column, lang)``.
        show : bool
            Visible when the page opens.

        Returns
        -------
        SafegeoMap
            ``self``, for chaining.

        Raises
        ------
        CRSError
            If ``gdf`` has no CRS.
        ValidationError
            If a named column is missing or a geometry is not a line.
        """
        style = {"weight": weight, "opacity": opacity}
        self._add(
            gdf, name=name, kind="line", style=style, default_colour=_colour(color),
            color_column=color_column, categories=categories, cmap=cmap, vmin=vmin, vmax=vmax,
            tooltip=tooltip, popup=popup, legend_title=legend_title, show=show,
        )
        return self

    def add_points(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        color: str = "#0066cc",
        color_column: str | None = None,
        categories: Mapping[Any, str] | None = None,
        cmap: str | Sequence[str] = "viridis",
        vmin: float | None = None,
        vmax: float | None = None,
        radius: float = 6.0,
        radius_column: str | None = None,
        radius_range: tuple[float, float] = (3.0, 12.0),
        stroke_color: str | None = "auto",
        opacity: float = 0.9,
        tooltip: Sequence[str] | None = None,
        popup: Sequence[str] | None = None,
        cluster: bool = False,
        legend_title: str | None = None,
        show: bool = True,
    ) -> SafegeoMap:
        """Add a point layer drawn as circle markers (shelters, cameras, vehicles...).

        Parameters
        ----------
        gdf : GeoDataFrame
            Points (multi-points are split) in any CRS.  Empty geometries are skipped.
        name : str
            Layer key; its label in the layer control is ``t(name, lang)``.
        color : str
            Fill colour when there is no ``color_column``.
        color_column, categories, cmap, vmin, vmax :
            Colour by a column, as for :meth:`add_polygons`
            (e.g. ``color_column="kind", categories={"hospital": "#d00"}``).
        radius : float
            Marker radius in pixels.
        radius_column : str, optional
            Numeric column scaled (by square root, so area follows the value)
            into ``radius_range`` pixels; missing values get the smallest radius.
        radius_range : (float, float)
            Smallest and largest radius for ``radius_column``.
        stroke_color : str or None, default "auto"
            Marker outline colour; None draws none.  ``"auto"`` is white up to
            :data:`OUTLINE_MAX_POINTS` points and none above, where outlines
            cost about 40 % of the drawing time and are invisible at that density.
        opacity : float
            Fill opacity.
        tooltip, popup : sequence of str, optional
            Columns shown on hover / click.
        cluster : bool
            Group nearby points with Leaflet.markercluster (inlined too); useful
            for very large layers viewed zoomed out.
        legend_title : str, optional
            Default ``t(color_column, lang)``.
        show : bool
            Visible when the page opens.

        Returns
        -------
        SafegeoMap
            ``self``, for chaining.

        Raises
        ------
        CRSError
            If ``gdf`` has no CRS.
        ValidationError
            If a named column is missing or a geometry is not a point.
        """
        lo, hi = radius_range
        if not 0 < lo <= hi:
            raise ValueError(f"radius_range must be (min, max) with 0 < min <= max, got {radius_range!r}")
        style = {
            "stroke": None if stroke_color in (None, "auto") else _colour(stroke_color),
            "weight": 1, "opacity": 0.9,
            "fillOpacity": opacity, "radius": radius,
        }
        self._add(
            gdf, name=name, kind="point", style=style, default_colour=_colour(color),
            color_column=color_column, categories=categories, cmap=cmap, vmin=vmin, vmax=vmax,
            tooltip=tooltip, popup=popup, legend_title=legend_title, show=show,
            radius_column=radius_column, radius_range=(lo, hi), cluster=cluster,
            auto_outline=stroke_color == "auto",
        )
        return self

    def add_legend(
        self, title: str, items: Mapping[str, str], *, kind: Kind = "polygon"
    ) -> SafegeoMap:
        """Add a categorical legend.

        Parameters
        ----------
        title : str
            Legend title (translated with :func:`~safegeo._i18n.t` when known).
        items : mapping of str to str
            Label -> colour; labels are translated when known.
        kind : {"polygon", "line", "point"}
            Swatch shape.

        Returns
        -------
        SafegeoMap
            ``self``, for chaining.
        """
        rows = [{"label": t(str(k), self.lang), "color": _colour(v), "kind": kind} for k, v in items.items()]
        self._legends.append({"title": t(title, self.lang), "rows": rows, "layer": None, "ramp": None})
        return self

    # ------------------------------------------------------------------ output

    def to_folium(self) -> folium.Map:
        """Build the Folium map (a new one each call; its root is the page).

        Returns
        -------
        folium.Map
            Map whose ``get_root().render()`` is the self-contained page.
        """
        layers = self._ordered_layers()
        west, south, east, north = self._extent(layers)
        fmap = folium.Map(
            location=[round((south + north) / 2, PRECISION), round((west + east) / 2, PRECISION)],
            zoom_start=9,
            tiles=None,
            prefer_canvas=True,
            control_scale=False,
        )
        # instance-level: never mutate folium's module-level CDN lists
        fmap.default_js = []
        fmap.default_css = []
        fmap._id = "safegeo"
        fmap.options["max_zoom"] = 19  # markercluster needs it when there are no tiles
        figure = _OfflineFigure(title=self.title, lang=self.lang)
        figure.add_child(fmap)
        fmap.add_child(_Assets(cluster=any(spec.cluster for spec in layers)), name="safegeo_assets")

        if self.tiles:
            tile = folium.TileLayer(
                "OpenStreetMap", name=_control_label(t("basemap", self.lang)),
                overlay=True, control=True, max_zoom=19, show=self.tiles_visible,
            )
            tile._id = "osm"
            fmap.add_child(tile, name="tiles")
        for n, spec in enumerate(layers):
            element = _VectorLayer(spec, data_id=f"safegeo-layer-{n}")
            element._id = str(n)
            fmap.add_child(element, name=f"layer_{n}")
        if layers or self.tiles:
            control = folium.LayerControl(collapsed=len(layers) + self.tiles > 7)
            control._id = "safegeo"
            fmap.add_child(control, name="layer_control")

        config = {
            "title": self.title,
            "badge": t("synthetic_data", self.lang) if self.synthetic else None,
            "links": [{"label": t(label, self.lang), "href": href} for label, href in self.links],
            "prefix": "Leaflet",
            "legends": self._legend_config(layers),
            "bounds": [[round(v, PRECISION) for v in (south, west)], [round(v, PRECISION) for v in (north, east)]],
            "maxZoom": 16,
        }
        fmap.add_child(_Finish(_script_json(config)), name="safegeo_finish")
        return fmap

    def to_html(self) -> str:
        """Render the self-contained HTML page.

        Returns
        -------
        str
            The complete page.
        """
        return self.to_folium().get_root().render()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page atomically (temporary file in the same folder, then rename).

        Parameters
        ----------
        path : path-like
            Output ``.html`` file; missing parent folders are created.

        Returns
        -------
        Path
            The written file.
        """
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        text = self.to_html()
        _atomic_write_text(out, text)
        log.info("wrote %s (%.1f MB, %d layers)", out, out.stat().st_size / 1e6, len(self._layers))
        return out

    def _repr_html_(self) -> str:  # Jupyter
        return self.to_folium()._repr_html_()

    # --------------------------------------------------------------- internals

    def _ordered_layers(self) -> list[_LayerSpec]:
        return sorted(self._layers, key=lambda spec: _KIND_ORDER[spec.kind])

    def _extent(self, layers: list[_LayerSpec]) -> tuple[float, float, float, float]:
        if self.bounds is not None:
            return self.bounds
        boxes = [spec.bounds for spec in layers if spec.bounds is not None]
        if not boxes:
            return _THAILAND_BOUNDS
        arr = np.array(boxes)
        return (float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max()))

    def _legend_config(self, layers: list[_LayerSpec]) -> list[dict[str, Any]]:
        legends: list[dict[str, Any]] = []
        single = [spec.legend_row for spec in layers if spec.legend_row is not None]
        if single:
            legends.append({"title": t("legend", self.lang), "rows": single, "layer": None, "ramp": None})
        for spec in layers:
            legends.extend(spec.legends)
        legends.extend(self._legends)
        return legends

    def _add(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        kind: Kind,
        style: dict[str, Any],
        default_colour: str,
        color_column: str | None,
        categories: Mapping[Any, str] | None,
        cmap: str | Sequence[str],
        vmin: float | None,
        vmax: float | None,
        tooltip: Sequence[str] | None,
        popup: Sequence[str] | None,
        legend_title: str | None,
        show: bool,
        radius_column: str | None = None,
        radius_range: tuple[float, float] = (3.0, 12.0),
        cluster: bool = False,
        auto_outline: bool = False,
    ) -> None:
        if any(spec.name == name for spec in self._layers):
            raise ValueError(f"layer {name!r} was already added to this map; use another name")
        if categories is not None and color_column is None:
            raise ValueError(f"layer {name!r}: categories need a column to colour by (color_column / fill_column)")
        label = t(name, self.lang)
        frame = _prepare(gdf, name=name, kind=kind, public=self.public)
        tooltip = _visible_columns(tooltip, self.public)
        popup = _visible_columns(popup, self.public)
        _check_columns(frame, name, tooltip=tooltip, popup=popup, color_column=color_column,
                       radius_column=radius_column, public=self.public, original=gdf)

        geoms = frame.geometry.to_numpy()
        n = len(geoms)
        if auto_outline:
            style = {**style, "stroke": "#ffffff" if n <= OUTLINE_MAX_POINTS else None}
        bounds = tuple(float(v) for v in shapely.total_bounds(geoms)) if n else None

        # colours
        legends: list[dict[str, Any]] = []
        legend_row = None
        codes: np.ndarray | None = None
        if color_column is None:
            palette = [default_colour]
            legend_row = {"label": label, "color": default_colour, "kind": kind, "layer": name}
        else:
            title = t(legend_title or color_column, self.lang)
            palette, codes, legend = _colour_classes(
                frame[color_column], categories=categories, cmap=cmap, vmin=vmin, vmax=vmax,
                lang=self.lang, kind=kind,
            )
            legend.update(title=f"{label}: {title}" if title != label else title, layer=name)
            legends.append(legend)

        radii = None
        if radius_column is not None:
            radii = _scale_radius(frame[radius_column], radius_range)

        # values shown in tooltips / popups (columnar, formatted in Python)
        fields = list(dict.fromkeys([*tooltip, *popup]))
        values = [_format_values(frame[c], self.lang) for c in fields]
        payload = _layer_payload(
            name=name, label=label, kind=kind, cluster=cluster and kind == "point",
            palette=palette, style=style,
            labels=[t(c, self.lang) for c in fields],
            tooltip=[fields.index(c) for c in tooltip],
            popup=[fields.index(c) for c in popup],
            values=values, geoms=geoms, codes=codes, radii=radii,
        )
        self._layers.append(_LayerSpec(
            name=name, label=label, kind=kind, payload=payload, bounds=bounds, n_features=n,
            show=show, cluster=cluster and kind == "point", legend_row=legend_row, legends=legends,
        ))
        log.debug("layer %s: %d %s features, %.1f MB", name, n, kind, len(payload) / 1e6)


# --------------------------------------------------------------------------- #
# folium / branca elements
# --------------------------------------------------------------------------- #


class _OfflineFigure(Figure):
    """The page: a Figure that refuses external scripts and stylesheets."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n'
        "<head>\n"
        '<meta charset="utf-8" />\n'
        "{% if this.title %}<title>{{ this.title }}</title>\n{% endif %}"
        "{{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        "<body>\n"
        "{{ this.html.render(**kwargs) }}\n"
        "<script>\n"
        "{{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</body>\n"
        "</html>\n"
    )

    def __init__(self, *, title: str | None, lang: str) -> None:
        super().__init__(title=_html.escape(title) if title else None)
        self.header._children.pop("meta_http", None)
        self.lang = lang

    def render(self, **kwargs: Any) -> str:
        for child in self._children.values():
            child.render(**kwargs)
        for key, child in list(self.header._children.items()):
            if isinstance(child, (JavascriptLink, CssLink)):
                log.warning("dropped external resource %s: safegeo maps are self-contained", child.url)
                del self.header._children[key]
        return self._template.render(this=self, kwargs=kwargs)


class _Raw(Element):
    """Text put into the page verbatim.

    branca turns the output of every MacroElement macro into a new Jinja
    template, so data rendered through a macro would be evaluated: a shelter
    named ``{{ 7*7 }}`` would come out as ``49``.  Data, config and vendored
    scripts therefore go through this element, which is never templated.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "SafegeoRaw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _Assets(MacroElement):
    """Inline Leaflet, its default icons, optional markercluster and the safegeo runtime."""

    def __init__(self, *, cluster: bool) -> None:
        super().__init__()
        self._name = "SafegeoAssets"
        self.cluster = cluster

    def render(self, **kwargs: Any) -> None:
        self.get_root().header.add_child(_Raw(_asset_block(self.cluster)), name="safegeo_assets")


class _VectorLayer(Layer):
    """A GeoJSON overlay drawn on the shared canvas by ``safegeo.addLayer``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = safegeo.addLayer({{ this._parent.get_name() }}, {{ this.data_id|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, spec: _LayerSpec, *, data_id: str) -> None:
        super().__init__(name=_control_label(spec.label), overlay=True, control=True, show=spec.show)
        self._name = "SafegeoLayer"
        self.data_id = data_id
        self.payload = spec.payload

    def render(self, **kwargs: Any) -> None:
        block = f'<script type="application/json" id="{self.data_id}">{self.payload}</script>'
        self.get_root().html.add_child(_Raw(block), name=self.data_id)
        super().render(**kwargs)


class _Finish(MacroElement):
    """Title, badge, legends, scale bar and the initial view; runs after every layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        safegeo.finish({{ this._parent.get_name() }}, "safegeo-config");
        {% endmacro %}
        """
    )

    def __init__(self, payload: str) -> None:
        super().__init__()
        self._name = "SafegeoFinish"
        self.payload = payload

    def render(self, **kwargs: Any) -> None:
        block = f'<script type="application/json" id="safegeo-config">{self.payload}</script>'
        self.get_root().html.add_child(_Raw(block), name="safegeo-config")
        super().render(**kwargs)


def _control_label(label: str) -> str:
    """Layer-control label: Leaflet inserts it as HTML and branca re-templates it."""
    return _html.escape(label).replace("{", "&#123;").replace("}", "&#125;").replace("%", "&#37;")


@lru_cache(maxsize=2)
def _asset_block(cluster: bool) -> str:
    import xstatic.pkg.leaflet as xleaflet

    base = Path(xleaflet.BASE_DIR)
    images = base / "images"

    def data_uri(file: Path) -> str:
        return "data:image/png;base64," + base64.b64encode(file.read_bytes()).decode("ascii")

    css = (base / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)  # comments carry URLs, nothing else
    css = re.sub(r"url\(images/([\w.-]+)\)", lambda m: f"url({data_uri(images / m.group(1))})", css)
    icons = {
        "iconUrl": data_uri(images / "marker-icon.png"),
        "iconRetinaUrl": data_uri(images / "marker-icon-2x.png"),
        "shadowUrl": data_uri(images / "marker-shadow.png"),
    }
    parts = [
        _style(css),
        _script(_vendor_js(base / "leaflet.js")),
        _script(
            'L.Icon.Default.imagePath = "";\n'
            f"L.Icon.Default.mergeOptions({json.dumps(icons)});"
        ),
    ]
    if cluster:
        import xstatic.pkg.leaflet_markercluster as xcluster

        cbase = Path(xcluster.BASE_DIR)
        parts += [
            _style((cbase / "MarkerCluster.css").read_text(encoding="utf-8")),
            _style((cbase / "MarkerCluster.Default.css").read_text(encoding="utf-8")),
            _script(_vendor_js(cbase / "leaflet.markercluster.js")),
        ]
    assets = resources.files("safegeo") / "assets"
    parts += [
        _style((assets / "safegeo.css").read_text(encoding="utf-8")),
        _script((assets / "safegeo.js").read_text(encoding="utf-8")),
    ]
    return "\n".join(parts)


def _vendor_js(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    # devtools would try to fetch the source map; it is not shipped in the page
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    if "</script" in text.lower():  # pragma: no cover - guards a future vendor update
        raise RuntimeError(f"{path} contains '</script' and cannot be inlined")
    return text


def _style(text: str) -> str:
    return f"<style>\n{text}\n</style>"


def _script(text: str) -> str:
    return f"<script>\n{text}\n</script>"


# --------------------------------------------------------------------------- #
# data preparation
# --------------------------------------------------------------------------- #


def _bounds_4326(
    bounds: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[float],
) -> tuple[float, float, float, float]:
    if isinstance(bounds, (gpd.GeoDataFrame, gpd.GeoSeries)):
        frame = _to_wgs84(bounds, "bounds")
        box = frame.total_bounds
    else:
        box = np.asarray(bounds, dtype=float)
        if box.shape != (4,):
            raise ValueError("bounds must be a GeoDataFrame or (minx, miny, maxx, maxy)")
        if not (-180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90):
            raise CRSError(
                f"bounds {tuple(box.tolist())} are not longitude/latitude (minx, miny, maxx, maxy)",
                hint="pass the study area as a GeoDataFrame (any CRS) or its EPSG:4326 total_bounds",
            )
    if not np.all(np.isfinite(box)):
        raise ValueError("bounds are empty (no geometry to take an extent from)")
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _to_wgs84(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> gpd.GeoDataFrame | gpd.GeoSeries:
    if not isinstance(gdf, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise TypeError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise CRSError(
            f"{what}: the layer has no CRS, so it cannot be placed on a map",
            hint="set the CRS its coordinates are in, e.g. gdf.set_crs('EPSG:32647') for UTM zone 47N "
            "or gdf.set_crs('EPSG:4326') for longitude/latitude",
        )
    if gdf.crs.equals("EPSG:4326", ignore_axis_order=True):
        return gdf
    return gdf.to_crs("EPSG:4326")


def _prepare(gdf: gpd.GeoDataFrame, *, name: str, kind: Kind, public: bool) -> gpd.GeoDataFrame:
    """Reproject, drop sensitive columns, skip empty geometries, check geometry types."""
    if isinstance(gdf, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=gdf)
    what = f"layer {name!r}"
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:  # checked before any work, with the layer named
        _to_wgs84(gdf, what)
    if public:
        sensitive = [c for c in gdf.columns if is_sensitive(c)]
        if sensitive:
            gdf = drop_sensitive(gdf)
            log.debug("%s: public map, dropped %s", what, ", ".join(map(str, sensitive)))
    geoms = gdf.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not keep.all():
        log.debug("%s: skipped %d empty geometries", what, int((~keep).sum()))
        gdf = gdf[keep]
    types = gdf.geom_type.to_numpy()
    wrong = ~np.isin(types, list(_GEOM_TYPES[kind]))
    if wrong.any():
        rows = tuple(int(r) for r in np.flatnonzero(wrong)[:50])
        found = ", ".join(sorted(set(types[wrong])))
        method = {"point": "add_points", "line": "add_lines", "polygon": "add_polygons"}
        raise ValidationError([Problem(
            layer=name,
            message=f"has {int(wrong.sum())} {found} geometries where {kind}s are expected",
            rows=rows,
            fix=f"map them with {', '.join(v for k, v in method.items() if k != kind)} "
            "or convert them (e.g. gdf.representative_point())",
        )])
    gdf = _to_wgs84(gdf, what)
    if kind == "point" and (gdf.geom_type == "MultiPoint").any():
        gdf = gdf.explode(index_parts=False)
    return gdf


def _visible_columns(columns: Sequence[str] | None, public: bool) -> list[str]:
    if columns is None:
        return []
    if isinstance(columns, str):
        columns = [columns]
    cols = list(dict.fromkeys(columns))
    if public:
        cols = [c for c in cols if not is_sensitive(c)]
    return cols


def _check_columns(
    frame: gpd.GeoDataFrame,
    name: str,
    *,
    tooltip: list[str],
    popup: list[str],
    color_column: str | None,
    radius_column: str | None,
    public: bool,
    original: gpd.GeoDataFrame,
) -> None:
    problems = []
    wanted = [("tooltip", c) for c in tooltip] + [("popup", c) for c in popup]
    wanted += [("color_column", color_column), ("radius_column", radius_column)]
    available = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
    for role, col in wanted:
        if col is None or col in frame.columns:
            continue
        if public and col in original.columns:
            fix = "sensitive columns are dropped from public maps; colour by another column"
        else:
            fix = f"available columns: {available or '(none)'}"
        problems.append(Problem(layer=name, column=col, message=f"is missing ({role})", fix=fix))
    if radius_column is not None and radius_column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[radius_column]):
            problems.append(Problem(layer=name, column=radius_column,
                                    message="must be numeric to scale marker radius"))
    if problems:
        raise ValidationError(problems)


def _colour(value: str) -> str:
    if not isinstance(value, str) or not _COLOUR_RE.match(value):
        raise ValueError(f"colour {value!r} is not a hex colour (#rgb, #rrggbb) or a CSS colour name")
    return value


def _cmap_colours(cmap: str | Sequence[str], n: int) -> list[str]:
    """Sample ``n`` hex colours from a branca scale name or a list of colours."""
    from branca.colormap import LinearColormap, linear

    if isinstance(cmap, str):
        scales = linear._colormaps
        if cmap in scales:
            key = cmap
        else:
            options = sorted(k for k in scales if k.lower().startswith(cmap.lower() + "_"))
            if not options:
                raise ValueError(f"unknown colour scale {cmap!r}; try YlOrRd, Blues, RdYlGn, viridis or a list of colours")
            key = options[-1]  # the one with most classes
        scale = getattr(linear, key)
    else:
        scale = LinearColormap([_colour(c) for c in cmap])
    scale = scale.scale(0.0, 1.0)
    return [scale.rgb_hex_str((k + 0.5) / n) for k in range(n)]


def _colour_classes(
    series: pd.Series,
    *,
    categories: Mapping[Any, str] | None,
    cmap: str | Sequence[str],
    vmin: float | None,
    vmax: float | None,
    lang: str,
    kind: str,
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Palette, per-feature palette index and legend for a colour column."""
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if categories is None and numeric:
        values = series.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(values)
        lo = float(np.nanmin(values[finite])) if vmin is None and finite.any() else (vmin or 0.0)
        hi = float(np.nanmax(values[finite])) if vmax is None and finite.any() else (vmax if vmax is not None else 1.0)
        shown_hi = hi
        if not hi > lo:  # one value: everything in the lowest class
            hi = lo + 1.0
            shown_hi = lo
        palette = _cmap_colours(cmap, N_CLASSES)
        codes = np.full(len(values), N_CLASSES, dtype=np.int64)
        scaled = np.clip((values[finite] - lo) / (hi - lo) * N_CLASSES, 0, N_CLASSES - 1)
        codes[finite] = np.floor(scaled).astype(np.int64)
        legend: dict[str, Any] = {
            "ramp": {"colors": palette, "min": _fmt(lo), "max": _fmt(shown_hi)}, "rows": [],
        }
        if not finite.all():
            legend["rows"] = [{"label": t("no_data", lang), "color": _NODATA_COLOUR, "kind": kind}]
        return [*palette, _NODATA_COLOUR], codes, legend

    if categories is None:
        counts = series.dropna().value_counts()
        keys = list(counts.index[: len(_QUALITATIVE)])
        try:
            keys = sorted(keys)
        except TypeError:
            pass
        categories = dict(zip(keys, _QUALITATIVE))
    palette = [_colour(c) for c in categories.values()]
    lookup = {key: k for k, key in enumerate(categories)}
    mapped = series.map(lookup)
    other = mapped.isna().to_numpy()
    codes = mapped.fillna(len(palette)).to_numpy(dtype=np.int64)
    rows = [
        {"label": _category_label(key, lang), "color": colour, "kind": kind}
        for key, colour in categories.items()
    ]
    if other.any():
        rows.append({"label": t("other", lang), "color": _OTHER_COLOUR, "kind": kind})
    return [*palette, _OTHER_COLOUR], codes, {"ramp": None, "rows": rows}


def _category_label(key: Any, lang: str) -> str:
    if isinstance(key, (bool, np.bool_)):
        return t("yes" if key else "no", lang)
    return t(str(key), lang)


def _scale_radius(series: pd.Series, radius_range: tuple[float, float]) -> np.ndarray:
    lo_r, hi_r = radius_range
    values = series.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(values)
    out = np.full(len(values), lo_r)
    if finite.any():
        lo, hi = float(values[finite].min()), float(values[finite].max())
        frac = (values[finite] - lo) / (hi - lo) if hi > lo else np.ones(int(finite.sum()))
        out[finite] = lo_r + (hi_r - lo_r) * np.sqrt(frac)
    return np.round(out, 1)


def _fmt(value: float) -> str:
    """Short, locale-neutral number text: 1234, 12.5, 0.0375."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else "–"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    digits = 2 if abs(value) >= 1 else 4
    return np.format_float_positional(value, precision=digits, trim="-")


def _format_values(series: pd.Series, lang: str) -> list[str | None]:
    """Display text per row; None for missing (shown as an en dash)."""
    if pd.api.types.is_bool_dtype(series):
        yes, no = t("yes", lang), t("no", lang)
        return [None if pd.isna(v) else (yes if v else no) for v in series.tolist()]
    if pd.api.types.is_integer_dtype(series):
        return [None if pd.isna(v) else str(int(v)) for v in series.tolist()]
    if pd.api.types.is_float_dtype(series):
        return [None if not math.isfinite(v) else _fmt(v) for v in series.to_numpy(dtype=float, na_value=np.nan)]
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else v.isoformat() for v in series.tolist()]
    out: list[str | None] = []
    for v in series.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
            out.append(None)
        elif isinstance(v, float):
            out.append(_fmt(v))
        else:
            out.append(str(v))
    return out


def _script_json(obj: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    return _escape_json(json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def _escape_json(text: str) -> str:
    # '<', '>' and '&' only occur inside JSON strings, where \u escapes mean the same
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _layer_payload(
    *,
    name: str,
    label: str,
    kind: str,
    cluster: bool,
    palette: list[str],
    style: dict[str, Any],
    labels: list[str],
    tooltip: list[int],
    popup: list[int],
    values: list[list[str | None]],
    geoms: np.ndarray,
    codes: np.ndarray | None,
    radii: np.ndarray | None,
) -> str:
    head = _script_json({
        "name": name, "label": label, "kind": kind, "cluster": cluster,
        "palette": palette, "style": style, "labels": labels,
        "tooltip": tooltip, "popup": popup, "values": values,
    })
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, PRECISION))
    geometry = shapely.to_geojson(rounded).tolist()
    n = len(geometry)
    props: list[list[str]] = [[] for _ in range(n)]
    if values:
        props = [[f'"i":{k}'] for k in range(n)]
    if codes is not None:
        for p, c in zip(props, codes.tolist()):
            if c:
                p.append(f'"_c":{c}')
    if radii is not None:
        for p, r in zip(props, radii.tolist()):
            p.append(f'"_r":{r:g}')
    features = ",".join(
        f'{{"type":"Feature","geometry":{g},"properties":{{{",".join(p)}}}}}'
        for g, p in zip(geometry, props)
    )
    return f'{head[:-1]},"data":{{"type":"FeatureCollection","features":[{features}]}}}}'


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _check_href(href: str) -> str:
    """Allow relative paths and http(s) URLs only (no ``javascript:`` or ``data:`` links)."""
    from urllib.parse import urlparse

    scheme = urlparse(href).scheme.lower()
    if scheme not in ("", "http", "https"):
        raise ValueError(f"link {href!r}: only relative paths and http(s) URLs are allowed")
    return href
