"""The offline page: Folium/branca elements that inline Leaflet and our assets, with no CDN link."""

from __future__ import annotations

import base64
import html as _html
import json
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.map import Layer
from folium.template import Template

from safegeo._i18n import t
from safegeo.maps.charts import Chart
from safegeo.maps.style import _LayerSpec

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- #
# folium / branca elements
# --------------------------------------------------------------------------- #


class _OfflineFigure(Figure):
    """The page: a Figure that refuses external scripts and stylesheets."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}"{% if this.page_class %} class="{{ this.page_class }}"{% endif %}>\n'
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

    def __init__(self, *, title: str | None, lang: str, page_class: str | None = None) -> None:
        super().__init__(title=_html.escape(title) if title else None)
        self.header._children.pop("meta_http", None)
        self.lang = lang
        self.page_class = page_class

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
    """Title, badge, legends, charts, scale bar and the initial view; runs after every layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        safegeo.finish({{ this._parent.get_name() }}, "safegeo-config",
            typeof layer_control_safegeo === "undefined" ? null : layer_control_safegeo);
        {% endmacro %}
        """
    )

    def __init__(self, payload: str, *, panel: str | None = None) -> None:
        super().__init__()
        self._name = "SafegeoFinish"
        self.payload = payload
        self.panel = panel

    def render(self, **kwargs: Any) -> None:
        root = self.get_root()
        if self.panel is not None:  # after the map in the page, so it sits beside or under it
            root.html.add_child(_Raw(self.panel), name="safegeo-charts")
        block = f'<script type="application/json" id="safegeo-config">{self.payload}</script>'
        root.html.add_child(_Raw(block), name="safegeo-config")
        super().render(**kwargs)


def _chart_panel(charts: Sequence[Chart], lang: str) -> str:
    """The chart side panel: a heading, a close button and one figure per chart (SVG drawn in Python)."""
    heading = _html.escape(t("charts", lang))
    hide = _html.escape(t("hide_charts", lang), quote=True)
    figures = "\n".join(
        f'<figure class="sg-chart" data-chart-kind="{chart.kind}">{chart.to_svg(id=f"sg-chart-{n}")}</figure>'
        for n, chart in enumerate(charts)
    )
    return (
        f'<aside id="sg-charts" class="sg-charts" aria-label="{_html.escape(t("charts", lang), quote=True)}">\n'
        f'<div class="sg-charts-head"><h2>{heading}</h2>'
        f'<button type="button" class="sg-charts-close" aria-controls="sg-charts" title="{hide}" '
        f'aria-label="{hide}">\u00d7</button></div>\n{figures}\n</aside>'
    )


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

