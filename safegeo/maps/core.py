"""Self-contained HTML maps of safegeo results.

Every analysis renders through :class:`SafegeoMap`: one Folium map with a layer
per theme, a layer control, legends, a metric scale bar, tooltips and popups,
English or Thai labels, and an optional "synthetic data" badge.  Charts
(:mod:`safegeo.maps.charts`) go in a side panel of the same page
(:meth:`SafegeoMap.add_chart`); printing the page prints the map, then the charts.

The page adapts to small screens: the title box takes the band between the
corner controls (and popups pan clear of it), and on a phone the layer list and
the legend fold into buttons.  ``back_href`` adds a link back to an overview
page; ``bounds`` may name layers, so a map opens on its hazard or result.
Codes in tooltips, popups and legends (``isolated_by_hazard``, ``high``) are
shown as labels in the map's language (:func:`safegeo._i18n.t_value`).

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
named ``<img src=x onerror=alert(1)>`` is shown literally.  ``public=True`` passes
every layer through :func:`safegeo.privacy.public_frame` before anything is
serialised: personal and free-text columns are dropped and phone numbers,
e-mail addresses and LINE ids in the other text are removed.

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

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from safegeo._i18n import LANGUAGES, t
from safegeo.maps.charts import Chart
from safegeo.maps.page import (
    _Assets,
    _chart_panel,
    _control_label,
    _Finish,
    _OfflineFigure,
    _VectorLayer,
)
from safegeo.maps.style import (
    _KIND_ORDER,
    _THAILAND_BOUNDS,
    OUTLINE_MAX_POINTS,
    PRECISION,
    Kind,
    _atomic_write_text,
    _bounds_4326,
    _check_columns,
    _check_href,
    _colour,
    _colour_classes,
    _format_values,
    _is_code_column,
    _layer_payload,
    _LayerSpec,
    _prepare,
    _scale_radius,
    _script_json,
    _visible_columns,
)

log = logging.getLogger(__name__)



# --------------------------------------------------------------------------- #
# public API
# --------------------------------------------------------------------------- #


class SafegeoMap:
    """An offline-ready Leaflet map of safegeo layers.

    Parameters
    ----------
    title : str, optional
        Shown at the top of the map and as the page title.
    lang : {"en", "th"}
        Language of layer names, legend titles and column labels
        (see :func:`safegeo._i18n.t`).
    bounds : GeoDataFrame, GeoSeries, (minx, miny, maxx, maxy), str or sequence of str, optional
        The area the map opens on.  A GeoDataFrame may be in any CRS; a
        4-tuple must be longitude/latitude (EPSG:4326); layer names (e.g.
        ``["hazards", "unreachable"]``) open on the extent of those layers as
        added to this map, ignoring names that were not added or are empty, so
        an analysis map can open on its hazard or result whatever is present.
        Default (and when no named layer has a feature): the extent of all
        layers added.
    public : bool
        Apply the public filter (:func:`safegeo.privacy.public_frame`) to every
        layer before it is serialised: contact, personal and free-text columns
        (phone, e-mail, owner, driver, notes, ...) are dropped and phone numbers,
        e-mail addresses and LINE ids in other text are removed.  Tooltip and
        popup entries naming dropped columns are left out.
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
    back_href : str, optional
        A link back to the overview, shown first in the title box, e.g.
        ``"../index.html"`` (relative paths or http(s) URLs).
    back_label : str, optional
        Its text; default "← Overview" / "← ภาพรวม" (translated when a known key).

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
        bounds: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[float] | str | Sequence[str] | None = None,
        public: bool = False,
        synthetic: bool = False,
        tiles: bool = True,
        tiles_visible: bool = False,
        links: Sequence[tuple[str, str]] | None = None,
        back_href: str | None = None,
        back_label: str | None = None,
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
        self.back_href = _check_href(str(back_href)) if back_href is not None else None
        self.back_label = back_label
        self.focus_layers: tuple[str, ...] | None = None
        self.bounds: tuple[float, float, float, float] | None = None
        if isinstance(bounds, str) or (
            isinstance(bounds, Sequence) and len(bounds) and all(isinstance(b, str) for b in bounds)
        ):
            self.focus_layers = (bounds,) if isinstance(bounds, str) else tuple(bounds)
        elif bounds is not None:
            self.bounds = _bounds_4326(bounds)
        self._layers: list[_LayerSpec] = []
        self._legends: list[dict[str, Any]] = []
        self._charts: list[Chart] = []

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
        label_column: str | None = None,
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
        label_column : str, optional
            A column shown as a permanent label on each line (an ETA, a rank).

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
            tooltip=tooltip, popup=popup, legend_title=legend_title, show=show, label_column=label_column,
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
        label_column: str | None = None,
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
        label_column : str, optional
            A column shown as a permanent label beside each point (an ETA, a
            name); meant for a handful of points, not thousands.

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
            auto_outline=stroke_color == "auto", label_column=label_column,
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

    def add_chart(self, chart: Chart, *, title: str | None = None) -> SafegeoMap:
        """Show a chart beside the map, in the same offline page.

        Charts sit in a side panel that a "Charts" button opens and closes
        (under the map on screens narrower than 700 px); printing the page
        prints the map, then every chart.

        Parameters
        ----------
        chart : Chart
            From :mod:`safegeo.maps.charts` (e.g. :func:`~safegeo.maps.charts.bar_chart`
            or :func:`~safegeo.maps.charts.evacuation_charts`).
        title : str, optional
            Replaces the chart's own title (translated when a known key).

        Returns
        -------
        SafegeoMap
            ``self``, for chaining.

        Examples
        --------
        >>> from safegeo.maps.charts import bar_chart
        >>> m = SafegeoMap(tiles=False).add_chart(bar_chart({"Tak Bai": 3.2}, title="road_km"))
        >>> 'class="sg-charts"' in m.to_html()
        True
        """
        if not isinstance(chart, Chart):
            raise TypeError(f"add_chart expects a safegeo.maps.charts.Chart, got {type(chart).__name__}")
        self._charts.append(chart.with_title(t(title, self.lang)) if title is not None else chart)
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
        figure = _OfflineFigure(title=self.title, lang=self.lang, page_class="sg-with-charts" if self._charts else None)
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

        lang = self.lang
        config = {
            "title": self.title,
            "badge": t("synthetic_data", lang) if self.synthetic else None,
            "links": [{"label": t(label, lang), "href": href} for label, href in self.links],
            "back": None if self.back_href is None else
            {"label": t(self.back_label or "back_overview", lang), "href": self.back_href},
            "prefix": "Leaflet",
            "legends": self._legend_config(layers),
            "legend": {"label": t("legend", lang), "show": t("show_legend", lang), "hide": t("hide_legend", lang)},
            "charts": {"label": t("charts", lang), "show": t("show_charts", lang), "hide": t("hide_charts", lang)}
            if self._charts else None,
            "bounds": [[round(v, PRECISION) for v in (south, west)], [round(v, PRECISION) for v in (north, east)]],
            "maxZoom": 16,
        }
        panel = _chart_panel(self._charts, lang) if self._charts else None
        fmap.add_child(_Finish(_script_json(config), panel=panel), name="safegeo_finish")
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
        log.debug("wrote %s (%.1f MB, %d layers)", out, out.stat().st_size / 1e6, len(self._layers))
        return out

    def _repr_html_(self) -> str:  # Jupyter
        return self.to_folium()._repr_html_()

    # --------------------------------------------------------------- internals

    def _ordered_layers(self) -> list[_LayerSpec]:
        return sorted(self._layers, key=lambda spec: _KIND_ORDER[spec.kind])

    def _extent(self, layers: list[_LayerSpec]) -> tuple[float, float, float, float]:
        if self.bounds is not None:
            return self.bounds
        boxes = []
        if self.focus_layers is not None:
            boxes = [spec.bounds for spec in layers if spec.name in self.focus_layers and spec.bounds is not None]
            if not boxes:
                log.debug("none of the focus layers %s has a feature: opening on every layer", self.focus_layers)
        boxes = boxes or [spec.bounds for spec in layers if spec.bounds is not None]
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
        label_column: str | None = None,
    ) -> None:
        if any(spec.name == name for spec in self._layers):
            raise ValueError(f"layer {name!r} was already added to this map; use another name")
        if categories is not None and color_column is None:
            raise ValueError(f"layer {name!r}: categories need a column to colour by (color_column / fill_column)")
        label = t(name, self.lang)
        frame = _prepare(gdf, name=name, kind=kind, public=self.public)
        tooltip = _visible_columns(tooltip, self.public)
        popup = _visible_columns(popup, self.public)
        if label_column is not None:
            label_column = next(iter(_visible_columns([label_column], self.public)), None)
        _check_columns(frame, name, tooltip=[*tooltip, *([label_column] if label_column else [])], popup=popup,
                       color_column=color_column, radius_column=radius_column, public=self.public, original=gdf)

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
        fields = list(dict.fromkeys([*tooltip, *popup, *([label_column] if label_column else [])]))
        values = [_format_values(frame[c], self.lang, translate=_is_code_column(c)) for c in fields]
        payload = _layer_payload(
            name=name, label=label, kind=kind, cluster=cluster and kind == "point",
            palette=palette, style=style,
            labels=[t(c, self.lang) for c in fields],
            tooltip=[fields.index(c) for c in tooltip],
            popup=[fields.index(c) for c in popup],
            values=values, geoms=geoms, codes=codes, radii=radii,
            mark=fields.index(label_column) if label_column else None,
        )
        self._layers.append(_LayerSpec(
            name=name, label=label, kind=kind, payload=payload, bounds=bounds, n_features=n,
            show=show, cluster=cluster and kind == "point", legend_row=legend_row, legends=legends,
        ))
        log.debug("layer %s: %d %s features, %.1f MB", name, n, kind, len(payload) / 1e6)

