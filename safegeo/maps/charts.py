"""Charts as inline SVG: bars, stacked and grouped bars, histograms, step curves, scorecards.

A :class:`Chart` is drawn in Python as one ``<svg>`` element: no script, no
CDN, no web font, the same bytes for the same data.  It shows in Jupyter
(``_repr_svg_`` / ``_repr_html_``), saves as ``.svg`` or as a printable
``.html`` page, and goes beside a map with :meth:`SafegeoMap.add_chart`.

Every chart has a ``<title>`` and a ``<desc>`` listing its data (read by screen
readers), ``role="img"``, labels in English or Thai (``lang="th"``: keys known to
:func:`safegeo._i18n.t` are translated, Thai text uses the system's Thai fonts),
units in the axis titles, and colour-blind-safe colours (Okabe & Ito; blues for
"reached in time", oranges and purple for "not reached", as on the maps).  All
text is escaped, so an area named ``<script>`` is shown as written.  Empty data
give a chart that says so instead of an error.

Builders: :func:`bar_chart` (one value per area, sorted), :func:`stacked_bar_chart`
(parts of a whole per area), :func:`grouped_bar_chart` (several indicators per
area), :func:`histogram` (a distribution, optionally weighted), :func:`step_chart`
(share reached within *t*, one curve per series) and :func:`indicator_chart`
(small multiples: a row of bars per area, one column per indicator).
:func:`evacuation_charts`, :func:`coverage_charts` and :func:`response_charts`
turn analysis results into the charts a report needs.

Examples
--------
>>> from safegeo.maps.charts import bar_chart
>>> chart = bar_chart({"Tak Bai": 27934, "Mueang": 52886}, title="population", value_label="people")
>>> svg = chart.to_svg()
>>> svg.startswith("<svg") and 'role="img"' in svg
True
>>> [label for label in chart.data["labels"]]  # largest first
['Mueang', 'Tak Bai']
"""

from __future__ import annotations

import dataclasses
import hashlib
import html as _html
import math
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safegeo._errors import Problem, ValidationError
from safegeo._i18n import LANGUAGES, t, t_value
from safegeo.maps.style import _atomic_write_text, _colour

# --------------------------------------------------------------------------- #
# look
# --------------------------------------------------------------------------- #

#: Font stacks: Latin first for English, Thai first for Thai (fonts-thai-tlwg gives Loma, Garuda, Waree...).
FONT_FAMILY = {
    "en": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, 'Noto Sans Thai', Sarabun, "
          "Tahoma, Loma, Garuda, sans-serif",
    "th": "'Noto Sans Thai', Sarabun, 'Leelawadee UI', Tahoma, Loma, Garuda, Waree, 'Noto Sans', sans-serif",
}

#: Okabe & Ito's colour-blind-safe qualitative palette (black moved last).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Dash patterns paired with :data:`PALETTE` on line charts, so curves differ without colour too.
DASHES = ("", "7 3", "2 3", "9 3 2 3", "4 4", "1 2", "12 4", "6 2 2 2")
#: Outcome colours shared by evacuation charts: blues reach a shelter in time, oranges do
#: not, purple cannot reach one (the evacuation map's colour for unreachable origins).
EVACUATION_COLOURS = {
    "evac_within_15": "#08519c", "evac_15_30": "#4292c6", "evac_30_60": "#9ecae1",
    "evac_over_60": "#fdae6b", "evac_overflow": "#e6550d", "evac_unreachable": "#7b1fa2",
}
#: Asset colours of coverage charts (lights amber, cameras purple, SOS vermilion, as on the coverage map).
ASSET_COLOURS = {"lit_pct": "#E69F00", "seen_pct": "#6a3d9a", "sos_pct": "#D55E00"}

BAR_COLOUR = PALETTE[0]
_TEXT = "#222222"
_MUTED = "#555555"
_GRID = "#dddddd"
_AXIS = "#888888"
_REF = "#333333"

_FONT = 12  # px
_SMALL = 11
_TITLE = 14
_ROW = 20  # px per bar row
_PAD = 8

#: Chart kinds :class:`Chart` can draw.
KINDS = ("bars", "histogram", "step", "indicators", "message")


# --------------------------------------------------------------------------- #
# the chart object
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Chart:
    """An SVG chart: what to draw (``kind`` and ``data``) and how to label it.

    Build charts with the functions of this module (:func:`bar_chart`, ...);
    they validate and prepare ``data``.  The SVG is drawn on demand, so
    :meth:`with_title` and a different ``width`` cost nothing.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    title : str
        Shown at the top and as the SVG ``<title>``.
    data : dict
        Prepared data for the kind (labels, values, colours, axis titles).
    lang : {"en", "th"}
        Language of the labels; sets the font stack.
    width : int
        Width in pixels (the height follows from the data).
    note : str, optional
        A line under the chart (e.g. what was left out).

    Examples
    --------
    >>> chart = bar_chart({"A": 1, "B": 3}, title="Example")
    >>> chart.with_title("Renamed").title
    'Renamed'
    """

    kind: str
    title: str
    data: Mapping[str, Any] = field(repr=False)
    lang: str = "en"
    width: int = 440
    note: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {self.lang!r}")
        if not 200 <= int(self.width) <= 4000:
            raise ValueError(f"width must be between 200 and 4000 px, got {self.width}")

    # ------------------------------------------------------------------ output

    @property
    def description(self) -> str:
        """Plain-text summary of the data (the SVG ``<desc>``)."""
        return _describe(self)

    def with_title(self, title: str) -> Chart:
        """A copy with another title."""
        return dataclasses.replace(self, title=str(title))

    def to_svg(self, *, id: str | None = None) -> str:
        """Draw the chart.

        Parameters
        ----------
        id : str, optional
            ``id`` of the ``<svg>`` element (its ``<title>`` and ``<desc>`` ids
            derive from it); default a hash of the chart, so identical charts
            give identical bytes.

        Returns
        -------
        str
            One ``<svg>`` element, well-formed XML, usable inline in HTML.
        """
        draw = _Drawing(self.width, self.lang)
        draw.title(self.title)
        _RENDERERS[self.kind](draw, self.data, self.lang)
        if self.note:
            draw.paragraph(self.note, size=_SMALL, fill=_MUTED)
        sid = id or "sg-chart-" + hashlib.sha1(
            repr((self.kind, self.title, self.lang, self.width, self.note, _freeze(self.data))).encode("utf-8")
        ).hexdigest()[:10]
        return draw.svg(sid=_attr(sid), kind=self.kind, title=self.title, desc=self.description)

    def _repr_svg_(self) -> str:  # Jupyter
        return self.to_svg()

    def _repr_html_(self) -> str:  # Jupyter, notebooks exported to HTML
        return f'<div class="sg-chart" style="max-width:100%;overflow-x:auto">{self.to_svg()}</div>'

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the chart as ``.svg`` (standalone SVG file) or ``.html`` (a printable page).

        Parameters
        ----------
        path : path-like
            Output file ending in ``.svg`` or ``.html``; parent folders are created.

        Returns
        -------
        Path
            The written file.
        """
        out = Path(path)
        suffix = out.suffix.lower()
        if suffix == ".svg":
            text = '<?xml version="1.0" encoding="UTF-8"?>\n' + self.to_svg() + "\n"
        elif suffix in (".html", ".htm"):
            text = charts_page([self], title=self.title, lang=self.lang)
        else:
            raise ValueError(f"{out.name}: save a chart as .svg or .html")
        out.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_text(out, text)
        return out


def charts_page(charts: Sequence[Chart], *, title: str | None = None, lang: str = "en") -> str:
    """A self-contained, printable HTML page of charts (one column, no page break inside a chart).

    Parameters
    ----------
    charts : sequence of Chart
        Charts in order.
    title : str, optional
        Page heading and ``<title>``.
    lang : {"en", "th"}
        Page language.

    Returns
    -------
    str
        The complete page.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    head = f"<title>{_text(title)}</title>\n" if title else ""
    h1 = f"<h1>{_text(title)}</h1>\n" if title else ""
    figures = "\n".join(
        f'<figure class="sg-chart">{c.to_svg(id=f"sg-chart-{n}")}</figure>' for n, c in enumerate(charts)
    )
    css = (
        f"body{{font-family:{FONT_FAMILY[lang]};color:{_TEXT};margin:16px auto;max-width:760px;padding:0 12px}}"
        "h1{font-size:20px}figure{margin:0 0 18px;break-inside:avoid;page-break-inside:avoid}"
        "svg{max-width:100%;height:auto}@media print{body{margin:0}}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8" />\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1" />\n{head}'
        f"<style>{css}</style>\n</head>\n<body>\n{h1}{figures}\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- #
# builders
# --------------------------------------------------------------------------- #


def bar_chart(
    values: Mapping[Any, float] | pd.Series,
    *,
    title: str,
    value_label: str | None = None,
    lang: str = "en",
    sort: bool = True,
    color: str | Mapping[Any, str] = BAR_COLOUR,
    max_value: float | None = None,
    percent: bool = False,
    reference: float | None = None,
    reference_label: str | None = None,
    width: int = 440,
    note: str | None = None,
) -> Chart:
    """Horizontal bars, one value per area (largest first).

    Parameters
    ----------
    values : mapping or Series
        Label -> value (a Series: index -> value).  NaN is drawn as "no data".
    title : str
        Chart title (translated when it is a known key).
    value_label : str, optional
        Axis title with its unit, e.g. ``"road_km"`` -> "Road (km)".
    lang : {"en", "th"}
        Language of the labels.
    sort : bool
        Largest first (missing values last); False keeps the given order.
    color : str or mapping
        One colour, or label -> colour.
    max_value : float, optional
        End of the axis (e.g. 100 for percentages); default the largest value.
    percent : bool
        Show values with a % sign.
    reference : float, optional
        A vertical reference line (e.g. 100 % of capacity), labelled ``reference_label``.
    width : int
        Width in pixels.
    note : str, optional
        A line under the chart.

    Returns
    -------
    Chart

    Raises
    ------
    ValidationError
        If a value is negative or not a number.

    Examples
    --------
    >>> bar_chart(pd.Series([2.5, 1.0], index=["Rueso", "Bacho"]), title="road_km").data["series"][0]["values"]
    [2.5, 1.0]
    """
    labels, vals = _labels_values(values)
    frame = pd.DataFrame({"value": vals}, index=labels)
    colours = {str(k): _colour(v) for k, v in color.items()} if isinstance(color, Mapping) else None
    return _bars(
        frame, columns=["value"], mode="single", title=title, value_label=value_label, lang=lang, sort=sort,
        colors={"value": _colour(color)} if isinstance(color, str) else {"value": BAR_COLOUR}, row_colors=colours,
        max_value=max_value, percent=percent, reference=reference, reference_label=reference_label,
        width=width, note=note, series_labels=None,
    )


def stacked_bar_chart(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str],
    title: str,
    label_column: str | None = None,
    series_labels: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    value_label: str | None = None,
    lang: str = "en",
    sort: bool | str = True,
    normalize: bool = False,
    width: int = 440,
    note: str | None = None,
) -> Chart:
    """Horizontal stacked bars: the parts of a whole per area (e.g. people by time to a shelter).

    Parameters
    ----------
    frame : DataFrame
        One row per area; ``columns`` hold the parts (NaN counts as 0).
    columns : sequence of str
        Parts, left to right; their legend labels are ``t(column)`` unless
        ``series_labels`` names them.
    title : str
        Chart title.
    label_column : str, optional
        Column with the area labels; default the index.
    colors : mapping, optional
        Column -> colour; default :data:`PALETTE` in order.
    value_label : str, optional
        Axis title with its unit.
    sort : bool or str
        True: largest total first; a column name: largest value of that column
        first; False: as given.
    normalize : bool
        Show each bar as percentages of its total (every bar 100 % long).
    width : int
        Width in pixels.

    Returns
    -------
    Chart

    Raises
    ------
    ValidationError
        If a column is missing or holds negative values.
    """
    return _frame_bars(frame, columns, "stacked", title=title, label_column=label_column,
                       series_labels=series_labels, colors=colors, value_label=value_label, lang=lang, sort=sort,
                       normalize=normalize, max_value=None, percent=False, width=width, note=note)


def grouped_bar_chart(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str],
    title: str,
    label_column: str | None = None,
    series_labels: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    value_label: str | None = None,
    lang: str = "en",
    sort: bool | str = False,
    max_value: float | None = None,
    percent: bool = False,
    width: int = 440,
    note: str | None = None,
) -> Chart:
    """Horizontal grouped bars: several indicators side by side per area (e.g. lit / seen / SOS %).

    Parameters are those of :func:`stacked_bar_chart`, plus ``max_value`` (end
    of the shared axis, e.g. 100) and ``percent`` (values shown with %);
    ``sort=True`` sorts by the first column.

    Returns
    -------
    Chart
    """
    return _frame_bars(frame, columns, "grouped", title=title, label_column=label_column,
                       series_labels=series_labels, colors=colors, value_label=value_label, lang=lang, sort=sort,
                       normalize=False, max_value=max_value, percent=percent, width=width, note=note)


def histogram(
    values: Sequence[float] | np.ndarray | pd.Series,
    *,
    title: str,
    weights: Sequence[float] | np.ndarray | pd.Series | None = None,
    bin_width: float | None = None,
    max_value: float | None = None,
    x_label: str | None = None,
    y_label: str | None = None,
    markers: Sequence[float] | Mapping[float, str] = (),
    lang: str = "en",
    color: str = BAR_COLOUR,
    width: int = 440,
    note: str | None = None,
) -> Chart:
    """A distribution as vertical bars (e.g. people by travel time to a shelter).

    Parameters
    ----------
    values : array-like
        The values; NaN and infinite ones are left out and counted in the note.
    title : str
        Chart title.
    weights : array-like, optional
        Weight of each value (e.g. population); default 1.
    bin_width : float, optional
        Width of the bins; default a round step giving about 12 bins.
    max_value : float, optional
        Values above go into one last, open bin ("> max"); default none.
    x_label, y_label : str, optional
        Axis titles with units (default y: "Count").
    markers : sequence or mapping of float
        Vertical reference lines (value -> label; a sequence is labelled by value).
    color : str
        Bar colour.

    Returns
    -------
    Chart

    Raises
    ------
    ValidationError
        If weights do not match the values or are negative.

    Examples
    --------
    >>> h = histogram([1, 2, 2, 7], title="t", bin_width=5)
    >>> h.data["edges"], h.data["counts"]
    ([0.0, 5.0, 10.0], [3.0, 1.0])
    """
    what = _what(title)
    x = np.asarray(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), dtype=float) \
        if not isinstance(values, np.ndarray) else values.astype(float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != x.shape:
        raise ValidationError([Problem(layer=what, message=f"has {len(x)} values but {len(w)} weights",
                                       fix="give one weight per value")])
    problems = []
    if np.any(w < 0):
        problems.append(_rows_problem(what, "weights", np.flatnonzero(w < 0), "are negative", "weights must be >= 0"))
    finite = np.isfinite(x) & np.isfinite(w)
    if np.any(x[finite] < 0):
        problems.append(_rows_problem(what, "values", np.flatnonzero(finite & (x < 0)), "are negative",
                                      "a histogram here starts at 0"))
    if problems:
        raise ValidationError(problems)
    left_out = float(w[~np.isfinite(x) & np.isfinite(w)].sum())
    x, w = x[finite], w[finite]
    marks = _markers(markers)
    labels = _axis_labels(x_label, y_label or "count", lang)
    if len(x) == 0 or w.sum() <= 0:
        return message_chart(title=title, lang=lang, width=width, note=note)
    top = float(x.max())
    cap = float(max_value) if max_value is not None else None
    span = min(top, cap) if cap is not None else top
    if bin_width is not None and not bin_width > 0:
        raise ValueError(f"bin_width must be > 0, got {bin_width}")
    step = float(bin_width) if bin_width else (_nice_step(span / 12.0) if span > 0 else 1.0)
    n_bins = max(1, int(math.ceil(span / step - 1e-9)))
    if cap is not None:
        n_bins = max(1, int(math.ceil(cap / step - 1e-9)))
    edges = [round(k * step, 10) for k in range(n_bins + 1)]
    # bins are [lo, hi) except the last regular one, which takes its upper edge too
    idx = np.minimum(np.floor(x / step + 1e-12).astype(np.int64), n_bins - 1)
    if cap is not None:
        idx = np.where(x > edges[-1], n_bins, idx)
    counts = np.bincount(idx, weights=w, minlength=n_bins + 1)
    open_last = bool(cap is not None and counts[n_bins] > 0)
    if not open_last:
        counts[n_bins - 1] += counts[n_bins]
        counts = counts[:n_bins]
    data = {"edges": [float(e) for e in edges], "counts": [float(c) for c in counts], "open_last": open_last,
            "x_label": labels[0], "y_label": labels[1], "markers": marks, "color": _colour(color),
            "left_out": left_out}
    return Chart("histogram", _label(title, lang), data, lang=lang, width=width, note=note)


def step_chart(
    series: Mapping[str, Sequence[float] | np.ndarray | pd.Series],
    *,
    title: str,
    weights: Mapping[str, Sequence[float] | np.ndarray | pd.Series] | None = None,
    x_label: str | None = None,
    y_label: str | None = None,
    max_value: float | None = None,
    markers: Sequence[float] | Mapping[float, str] = (),
    colors: Mapping[str, str] | None = None,
    lang: str = "en",
    width: int = 440,
    note: str | None = None,
) -> Chart:
    """Cumulative step curves: the share reached within *t*, one curve per series.

    For each series the curve at *t* is the share of its items (or of their
    weight) with a value <= *t*.  NaN and infinite values (never reached) stay
    in the total, so a curve that ends below 100 % says how many are never
    reached.

    Parameters
    ----------
    series : mapping
        Series name (e.g. a vehicle type; translated when known) -> values (e.g. minutes).
    title : str
        Chart title.
    weights : mapping, optional
        Series name -> weight per value (e.g. population); default 1.
    x_label, y_label : str, optional
        Axis titles (default y: "Share (%)").
    max_value : float, optional
        End of the x axis; default the largest finite value (and marker).
    markers : sequence or mapping of float
        Vertical reference lines (value -> label), e.g. response targets.
    colors : mapping, optional
        Series name -> colour; default :data:`PALETTE` in order.

    Returns
    -------
    Chart

    Examples
    --------
    >>> c = step_chart({"ambulance": [1.0, 3.0, float("nan"), 3.0]}, title="t")
    >>> c.data["series"][0]["points"], c.data["series"][0]["final"]
    ([[1.0, 25.0], [3.0, 75.0]], 75.0)
    """
    what = _what(title)
    out = []
    top = 0.0
    for k, (name, vals) in enumerate(series.items()):
        x = np.asarray(pd.to_numeric(pd.Series(vals, dtype=object), errors="coerce"), dtype=float)
        w = np.ones(len(x)) if weights is None or name not in weights else np.asarray(weights[name], dtype=float)
        if w.shape != x.shape:
            raise ValidationError([Problem(layer=what, message=f"series {name!r} has {len(x)} values but "
                                           f"{len(w)} weights", fix="give one weight per value")])
        if np.any(w < 0) or np.any(x[np.isfinite(x)] < 0):
            raise ValidationError([Problem(layer=what, message=f"series {name!r} has negative values or weights",
                                           fix="times and weights must be >= 0")])
        total = float(w.sum())
        fin = np.isfinite(x)
        order = np.argsort(x[fin], kind="stable")
        xs, ws = x[fin][order], w[fin][order]
        uniq, first = np.unique(xs, return_index=True)
        cum = np.cumsum(ws)
        last = np.r_[first[1:] - 1, len(xs) - 1] if len(xs) else np.array([], dtype=np.int64)
        shares = 100.0 * cum[last] / total if total > 0 else np.zeros(len(uniq))
        points = [[float(a), round(float(b), 6)] for a, b in zip(uniq, shares, strict=True)]
        if len(uniq):
            top = max(top, float(uniq[-1]))
        colour = _colour((colors or {}).get(name) or PALETTE[k % len(PALETTE)])
        out.append({"name": str(t_value(str(name), lang)), "key": str(name), "color": colour,
                    "dash": DASHES[k % len(DASHES)], "points": points,
                    "final": round(float(points[-1][1]), 6) if points else 0.0, "n": int(len(x)),
                    "never": float(w[~fin].sum()), "total": total})
    marks = _markers(markers)
    labels = _axis_labels(x_label, y_label or "percent", lang)
    if not out or all(s["total"] <= 0 for s in out):
        return message_chart(title=title, lang=lang, width=width, note=note)
    hi = float(max_value) if max_value is not None else max([top, *(m["value"] for m in marks)])
    data = {"series": out, "x_max": hi if hi > 0 else 1.0, "x_label": labels[0], "y_label": labels[1],
            "markers": marks}
    return Chart("step", _label(title, lang), data, lang=lang, width=width, note=note)


def indicator_chart(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str],
    title: str,
    label_column: str | None = None,
    series_labels: Mapping[str, str] | None = None,
    max_values: Mapping[str, float] | None = None,
    colors: Mapping[str, str] | None = None,
    percent: Sequence[str] = (),
    lang: str = "en",
    sort: bool | str = False,
    ascending: bool = False,
    width: int = 440,
    note: str | None = None,
) -> Chart:
    """Small multiples: one row per area, one column of bars per indicator, each on its own scale.

    A scorecard for many areas (e.g. lit / seen / SOS % and high-priority gap
    km per sub-district).  Columns ending in ``_pct`` (or listed in
    ``percent``) run from 0 to 100; the others from 0 to their largest value.

    Parameters
    ----------
    frame : DataFrame
        One row per area.
    columns : sequence of str
        Indicators, left to right (headers ``t(column)`` unless ``series_labels``).
    title : str
        Chart title.
    label_column : str, optional
        Column with the area labels; default the index.
    max_values : mapping, optional
        Column -> end of its scale.
    sort : bool or str
        A column to sort by (True: the first), or False to keep the order.
    ascending : bool
        Sort smallest first (e.g. worst coverage first).

    Returns
    -------
    Chart
    """
    what = _what(title)
    labels, table = _frame_columns(frame, columns, label_column, what)
    if len(table) == 0:
        return message_chart(title=title, lang=lang, width=width, note=note)
    if sort:
        key = columns[0] if sort is True else str(sort)
        if key not in frame.columns:
            raise ValidationError([Problem(layer=what, column=key, message="is missing (sort)",
                                           fix=f"sort by one of {', '.join(map(str, frame.columns))}")])
        by = pd.Series(pd.to_numeric(frame[key], errors="coerce").to_numpy(float))
        order = by.sort_values(ascending=ascending, na_position="last", kind="stable").index
        table, labels = table.loc[order].reset_index(drop=True), [labels[i] for i in order]
    inds = []
    for k, c in enumerate(columns):
        vals = table[c].to_numpy(float)
        pct = c in percent or str(c).endswith("_pct")
        hi = (max_values or {}).get(c)
        if hi is None:
            finite = vals[np.isfinite(vals)]
            hi = 100.0 if pct else (float(finite.max()) if len(finite) and finite.max() > 0 else 1.0)
        colour = _colour((colors or {}).get(c) or ASSET_COLOURS.get(str(c)) or PALETTE[k % len(PALETTE)])
        inds.append({"key": str(c), "name": _series_label(c, series_labels, lang), "values": _floats(vals),
                     "max": float(hi), "color": colour, "percent": pct})
    data = {"labels": labels, "indicators": inds}
    return Chart("indicators", _label(title, lang), data, lang=lang, width=width, note=note)


def message_chart(*, title: str, message: str | None = None, lang: str = "en", width: int = 440,
                  note: str | None = None) -> Chart:
    """A chart that says there is nothing to draw (default: "No data to show").

    Examples
    --------
    >>> "No data to show" in message_chart(title="Empty").to_svg()
    True
    """
    return Chart("message", _label(title, lang), {"message": message or t("no_chart_data", lang)},
                 lang=lang, width=width, note=note)


# --------------------------------------------------------------------------- #
# charts of analysis results
# --------------------------------------------------------------------------- #


def evacuation_charts(result: Any, *, lang: str = "en", level: str = "district", max_shelters: int = 12,
                      width: int = 440) -> list[Chart]:
    """Charts of an :class:`~safegeo.evacuation.EvacuationResult`.

    1. People per area by time to reach a shelter: within 15, 15–30, 30–60,
       over 60 min, no place in time (overflow), cannot reach (stacked bars).
    2. Travel time to the assigned shelter, people per 5 minutes (histogram
       with 15 / 30 / 60 min and the time limit marked).
    3. The fullest shelters, % of capacity (bars, 100 % marked).

    Parameters
    ----------
    result : EvacuationResult
        Uses ``summary``, ``assignments``, ``shelters`` and ``settings``.
    lang : {"en", "th"}
        Language of the labels (Thai area names when the summary has ``name_th``).
    level : {"district", "tambon"}
        Summary level of chart 1.
    max_shelters : int
        Shelters in chart 3.

    Returns
    -------
    list of Chart
    """
    charts = []
    s = result.summary
    rows = s[s["level"] == level] if "level" in s.columns and (s["level"] == level).any() else s
    table = pd.DataFrame({"label": _area_labels(rows, lang)}, index=rows.index)
    pop = rows["population"].to_numpy(float)
    p15, p30, p60 = (rows[f"pop_within_{m}min"].to_numpy(float) for m in (15, 30, 60))
    over = rows["overflow"].to_numpy(float) if "overflow" in rows else np.zeros(len(rows))
    unr = rows["unreachable"].to_numpy(float) if "unreachable" in rows else np.zeros(len(rows))
    table["evac_within_15"] = p15
    table["evac_15_30"] = p30 - p15
    table["evac_30_60"] = p60 - p30
    table["evac_over_60"] = np.clip(pop - p60 - over - unr, 0.0, None).round(6)
    table["evac_overflow"] = over
    table["evac_unreachable"] = unr
    cols = list(EVACUATION_COLOURS)
    charts.append(stacked_bar_chart(table, columns=cols, label_column="label", title="evac_time_by_area",
                                    colors=EVACUATION_COLOURS, value_label="people", lang=lang, width=width))

    a = result.assignments
    routed = a[a["status"].isin(["assigned", "beyond_max_time"]) & np.isfinite(a["travel_time_s"].astype(float))]
    minutes = routed["travel_time_s"].to_numpy(float) / 60.0
    limit = float(result.settings.get("max_minutes") or 60.0) if hasattr(result, "settings") else 60.0
    marks = {m: f"{m:g} min" if lang == "en" else f"{m:g} นาที" for m in (15.0, 30.0, 60.0)}
    if limit not in marks:
        marks[limit] = f"{limit:g} min" if lang == "en" else f"{limit:g} นาที"
    cap = max(60.0, limit) * 1.5
    not_routed = float(a.loc[a["status"].isin(["overflow", "unreachable"]), "population"].sum())
    note = t("evac_not_routed", lang).format(n=_num(not_routed)) if not_routed > 0 else None
    charts.append(histogram(minutes, weights=routed["population"].to_numpy(float), title="evac_time_hist",
                            bin_width=5.0, max_value=cap, x_label="travel_time_min", y_label="people",
                            markers=marks, lang=lang, color=EVACUATION_COLOURS["evac_15_30"], width=width,
                            note=note))

    sh = result.shelters
    used = sh[sh["eligible"].astype(bool) & (sh["assigned"].astype(float) > 0)]
    util = 100.0 * used["utilisation"].astype(float).replace([np.inf, -np.inf], np.nan)
    names = _area_labels(used, lang, id_column="shelter_id")
    load = pd.Series(util.to_numpy(), index=names).sort_values(ascending=False, kind="stable").head(max_shelters)
    charts.append(bar_chart(load, title="evac_shelter_load", value_label="load_pct", lang=lang, percent=True,
                            reference=100.0, reference_label=t("capacity_line", lang),
                            max_value=max(100.0, float(np.nanmax(load.to_numpy()))) if len(load) else 100.0,
                            width=width))
    return charts


def coverage_charts(result: Any, *, lang: str = "en", width: int = 440) -> list[Chart]:
    """Charts of a :class:`~safegeo.coverage.CoverageResult`.

    1. Road covered per district: lit / seen by CCTV / within SOS reach, %
       (grouped bars, assets analysed only).
    2. Road with high-priority gaps per district, km (bars).
    3. With sub-districts: a scorecard per tambon (the % columns and the
       high-priority gap km), worst covered first.

    Returns
    -------
    list of Chart
    """
    d = result.districts
    pct = [c for c in ("lit_pct", "seen_pct", "sos_pct") if c in d.columns]
    table = pd.DataFrame(d.drop(columns="geometry", errors="ignore"))
    table["label"] = _area_labels(table, lang, id_column="district_id", name_column="district")
    charts = [
        grouped_bar_chart(table, columns=pct, label_column="label", title="cov_by_district", colors=ASSET_COLOURS,
                          value_label="covered_pct", max_value=100.0, percent=True, lang=lang, width=width),
        bar_chart(pd.Series(table["high_priority_gap_km"].to_numpy(float), index=table["label"]),
                  title="cov_gaps_by_district", value_label="high_priority_gap_km", lang=lang, width=width),
    ]
    tambons = getattr(result, "tambons", None)
    if tambons is not None and len(tambons):
        tb = pd.DataFrame(tambons.drop(columns="geometry", errors="ignore"))
        tb["label"] = _area_labels(tb, lang, id_column="tambon_id", name_column="tambon")
        sort = "covered_pct" if "covered_pct" in tb.columns else (pct[0] if pct else False)
        charts.append(indicator_chart(tb, columns=[*pct, "high_priority_gap_km"], label_column="label",
                                      title="cov_tambon_scorecard", lang=lang, width=width,
                                      sort=sort if sort in tb.columns else False, ascending=True,
                                      series_labels={"high_priority_gap_km": "high_priority_gap_km"}))
    return charts


def response_charts(result: Any, *, lang: str = "en", districts: pd.DataFrame | None = None,
                    width: int = 440) -> list[Chart]:
    """Charts of a :class:`~safegeo.vehicles.response.ResponseResult`.

    1. Share of villages reached within *t* minutes, one step curve per
       vehicle type, targets marked (villages never reached keep the curve
       below 100 %).
    2. People within the response target per district and vehicle type, %
       (grouped bars).

    Parameters
    ----------
    result : ResponseResult
        Uses ``villages``, ``summary`` and ``targets_min``.
    districts : DataFrame, optional
        ``district_id`` with ``name_th`` / ``name_en``, names to use instead
        of the summary's own (the summary has both languages already).

    Returns
    -------
    list of Chart
    """
    v = result.villages
    types = list(result.targets_min)
    curves = {vt: v.loc[v["vehicle_type"] == vt, "time_min"].to_numpy(float) for vt in types}
    targets = {float(m) for m in result.targets_min.values()}
    marks = {m: f"{t('target', lang)} {m:g}" for m in sorted(targets)}
    never = int(sum(int(np.sum(~np.isfinite(c))) for c in curves.values()))
    note = t("resp_not_reached", lang).format(n=never) if never else None
    charts = [step_chart(curves, title="resp_curve", x_label="resp_minutes", y_label="resp_villages_pct",
                         markers=marks, lang=lang, width=width, note=note)]
    s = result.summary
    per = s[s["level"] == "district"] if "level" in s.columns else s.iloc[0:0]
    if len(per) and types:
        wide = per.pivot_table(index="area_id", columns="vehicle_type", values="share_population_within_target",
                               aggfunc="first", sort=False) * 100.0
        wide = wide.reindex(columns=[c for c in types if c in wide.columns])
        first = per.drop_duplicates("area_id").set_index("area_id")
        name_col = "name_th" if lang == "th" and "name_th" in first.columns else "name_en"
        names = first[name_col].where(first[name_col].notna(), first["name_en"]) if name_col in first.columns \
            else pd.Series(first.index, index=first.index)
        label = names.reindex(wide.index).astype(str)
        if districts is not None and "district_id" in districts.columns:
            col = "name_th" if lang == "th" and "name_th" in districts.columns else \
                ("name_en" if "name_en" in districts.columns else None)
            if col:
                lookup = pd.Series(districts[col].to_numpy(), index=districts["district_id"].astype(str))
                label = pd.Series([lookup.get(str(i), label[i]) for i in wide.index], index=wide.index)
        wide = wide.assign(label=label.to_numpy())
        charts.append(grouped_bar_chart(wide, columns=[c for c in types if c in wide.columns], label_column="label",
                                        title="resp_by_district", value_label="percent", max_value=100.0,
                                        percent=True, lang=lang, width=width))
    else:
        charts.append(message_chart(title="resp_by_district", lang=lang, width=width))
    return charts


# --------------------------------------------------------------------------- #
# preparing data
# --------------------------------------------------------------------------- #


def _what(title: str) -> str:
    return f"chart {title!r}"


def _label(key: Any, lang: str) -> str:
    return t(str(key), lang) if key is not None else ""


def _series_label(column: Any, labels: Mapping[str, str] | None, lang: str) -> str:
    if labels and column in labels:
        return _label(labels[column], lang)
    return _label(column, lang)


def _axis_labels(x: str | None, y: str | None, lang: str) -> tuple[str, str]:
    return (_label(x, lang) if x else "", _label(y, lang) if y else "")


def _floats(values: Any) -> list[float | None]:
    arr = np.asarray(values, dtype=float)
    return [float(v) if math.isfinite(v) else None for v in arr.tolist()]


def _rows_problem(what: str, column: str, rows: np.ndarray, message: str, fix: str) -> Problem:
    return Problem(layer=what, column=column, message=f"has {len(rows)} values that {message}",
                   rows=tuple(int(r) for r in rows[:50]), fix=fix)


def _labels_values(values: Mapping[Any, float] | pd.Series) -> tuple[list[str], np.ndarray]:
    if isinstance(values, pd.Series):
        labels = [str(i) for i in values.index]
        vals = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    elif isinstance(values, Mapping):
        labels = [str(k) for k in values]
        vals = pd.to_numeric(pd.Series(list(values.values()), dtype=object), errors="coerce").to_numpy(dtype=float)
    else:
        raise TypeError(f"values must be a mapping or a pandas Series, got {type(values).__name__}")
    return labels, vals


def _frame_columns(frame: pd.DataFrame, columns: Sequence[str], label_column: str | None,
                   what: str) -> tuple[list[str], pd.DataFrame]:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
    wanted = list(columns) + ([label_column] if label_column else [])
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns)) or "(none)"
        raise ValidationError([Problem(layer=what, column=str(c), message="is missing", fix=f"columns: {have}")
                               for c in missing])
    table = pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce") for c in columns}).reset_index(drop=True)
    labels = [str(v) for v in (frame[label_column] if label_column else frame.index).tolist()]
    bad = [Problem(layer=what, column=str(c), message=f"has {int((table[c] < 0).sum())} negative values",
                   rows=tuple(int(r) for r in np.flatnonzero(table[c].to_numpy(float) < 0)[:50]),
                   fix="bars start at 0; chart magnitudes")
           for c in columns if (table[c] < 0).any()]
    if bad:
        raise ValidationError(bad)
    return labels, table


def _frame_bars(frame: pd.DataFrame, columns: Sequence[str], mode: str, *, title: str, label_column: str | None,
                series_labels: Mapping[str, str] | None, colors: Mapping[str, str] | None, value_label: str | None,
                lang: str, sort: bool | str, normalize: bool, max_value: float | None, percent: bool, width: int,
                note: str | None) -> Chart:
    labels, table = _frame_columns(frame, columns, label_column, _what(title))
    table["_label"] = labels
    if normalize:
        total = table[list(columns)].fillna(0.0).sum(axis=1)
        table[list(columns)] = table[list(columns)].fillna(0.0).div(total.where(total > 0), axis=0) * 100.0
        max_value, percent = 100.0, True
        value_label = value_label or "percent"
    cols = {c: _colour((colors or {}).get(c) or PALETTE[k % len(PALETTE)]) for k, c in enumerate(columns)}
    return _bars(table, columns=list(columns), mode=mode, title=title, value_label=value_label, lang=lang, sort=sort,
                 colors=cols, row_colors=None, max_value=max_value, percent=percent, reference=None,
                 reference_label=None, width=width, note=note, series_labels=series_labels)


def _bars(table: pd.DataFrame, *, columns: list[str], mode: str, title: str, value_label: str | None, lang: str,
          sort: bool | str, colors: Mapping[str, str], row_colors: Mapping[Any, str] | None,
          max_value: float | None, percent: bool, reference: float | None, reference_label: str | None,
          width: int, note: str | None, series_labels: Mapping[str, str] | None) -> Chart:
    what = _what(title)
    labels = [str(v) for v in (table["_label"] if "_label" in table.columns else table.index)]
    vals = table[columns].to_numpy(dtype=float)
    if mode == "single" and np.any(vals[np.isfinite(vals)] < 0):
        rows = np.flatnonzero(np.nan_to_num(vals[:, 0], nan=0.0) < 0)
        raise ValidationError([Problem(layer=what, message=f"has negative values for {', '.join(labels[r] for r in rows[:10])}",
                                       rows=tuple(int(r) for r in rows[:50]), fix="bars start at 0; chart magnitudes")])
    if len(labels) == 0 or not np.isfinite(vals).any():
        return message_chart(title=title, lang=lang, width=width, note=note)
    order = np.arange(len(labels))
    if sort:
        if sort is True:
            key = np.nansum(vals, axis=1) if mode == "stacked" else vals[:, 0]
        else:
            if sort not in columns:
                raise ValidationError([Problem(layer=what, column=str(sort), message="is missing (sort)",
                                               fix=f"sort by one of {', '.join(columns)}")])
            key = vals[:, columns.index(sort)]
        missing = ~np.isfinite(key) | (np.isnan(vals).all(axis=1))
        order = np.lexsort((np.arange(len(labels)), -np.nan_to_num(key, nan=0.0), missing))
    labels = [labels[i] for i in order]
    vals = vals[order]
    series = []
    for k, c in enumerate(columns):
        entry = {"key": str(c), "name": _series_label(c, series_labels, lang) if mode != "single" else "",
                 "color": colors.get(c, PALETTE[k % len(PALETTE)]), "values": _floats(vals[:, k])}
        series.append(entry)
    bar_colours = None
    if row_colors is not None:
        bar_colours = [row_colors.get(lb, colors.get(columns[0], BAR_COLOUR)) for lb in labels]
    data = {"mode": mode, "labels": labels, "series": series, "value_label": _label(value_label, lang),
            "max_value": float(max_value) if max_value is not None else None, "percent": bool(percent),
            "reference": None if reference is None else {"value": float(reference),
                                                         "label": str(reference_label or "")},
            "bar_colors": bar_colours}
    return Chart("bars", _label(title, lang), data, lang=lang, width=width, note=note)


def _markers(markers: Sequence[float] | Mapping[float, str]) -> list[dict[str, Any]]:
    items = markers.items() if isinstance(markers, Mapping) else ((m, None) for m in markers)
    out = [{"value": float(v), "label": str(lb) if lb is not None else _num(float(v))} for v, lb in items]
    return sorted(out, key=lambda m: m["value"])


def _area_labels(frame: pd.DataFrame, lang: str, *, id_column: str = "area_id",
                 name_column: str | None = None) -> list[str]:
    """Area names in the language asked, falling back to the other language, a name column, then the id."""
    order = ["name_th", "name_en"] if lang == "th" else ["name_en", "name_th"]
    cols = [c for c in [*order, name_column, "name", id_column] if c and c in frame.columns]
    if not cols:
        return [str(i) for i in frame.index]

    def usable(v: Any) -> bool:
        return bool(v.strip()) if isinstance(v, str) else v is not None and bool(pd.notna(v))

    rows = frame[cols].to_numpy(dtype=object)
    return [next((str(v) for v in row if usable(v)), "") for row in rows]


def _freeze(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return tuple((k, _freeze(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return tuple(_freeze(v) for v in obj)
    return obj


# --------------------------------------------------------------------------- #
# numbers and text
# --------------------------------------------------------------------------- #


def _num(value: float | None, *, percent: bool = False) -> str:
    """Short number text: 52,886 / 12.5 / 0.25 (and a % sign for percentages)."""
    if value is None or not math.isfinite(value):
        return "–"
    a = abs(value)
    if a >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    elif a >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} %" if percent else text


def _nice_step(raw: float) -> float:
    exp = math.floor(math.log10(raw)) if raw > 0 else 0
    frac = raw / 10 ** exp
    nice = 1 if frac <= 1 else 2 if frac <= 2 else 2.5 if frac <= 2.5 else 5 if frac <= 5 else 10
    return nice * 10 ** exp


def _ticks(hi: float, n: int = 5) -> tuple[float, list[float]]:
    """A round axis end >= hi and its ticks from 0."""
    if not hi > 0:
        return 1.0, [0.0, 1.0]
    step = _nice_step(hi / n)
    end = step * math.ceil(hi / step - 1e-9)
    count = int(round(end / step))
    return end, [round(k * step, 10) for k in range(count + 1)]


def _char_width(ch: str) -> float:
    """Rough advance width of a character, in em."""
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0.0  # Thai vowel and tone marks sit on the previous letter
    if ch == " ":
        return 0.28
    if ch in "il.,:;'|!()[]":
        return 0.3
    if ch.isdigit():
        return 0.56
    if "\u0e00" <= ch <= "\u0e7f":
        return 0.6
    if ch.isupper() or ch in "mwMW@%–—":
        return 0.72
    return 0.54


def _text_width(text: str, size: float) -> float:
    return sum(_char_width(c) for c in text) * size


def _fit(text: str, max_px: float, size: float) -> str:
    """Text shortened with an ellipsis to fit max_px (never splitting a letter from its marks)."""
    if _text_width(text, size) <= max_px:
        return text
    out, width = [], _char_width("…") * size
    for ch in text:
        w = _char_width(ch) * size
        if w and width + w > max_px:
            break
        out.append(ch)
        width += w
    return "".join(out).rstrip() + "…"


def _wrap(text: str, max_px: float, size: float, *, max_lines: int = 3) -> list[str]:
    """Greedy word wrap (at spaces; a word longer than a line is cut)."""
    lines: list[str] = []
    current = ""
    words: list[str] = []
    for word in text.split():
        words.extend(_split_word(word, max_px, size))
    for word in words:
        trial = f"{current} {word}" if current else word
        if _text_width(trial, size) <= max_px or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    lines = [_fit(line, max_px, size) for line in lines] or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _fit(" ".join(lines[max_lines - 1:]), max_px, size)]
    return lines


def _split_word(word: str, max_px: float, size: float) -> list[str]:
    """A word wider than a line (Thai has no spaces between words) cut into pieces that fit."""
    if _text_width(word, size) <= max_px:
        return [word]
    pieces, current, width = [], "", 0.0
    for ch in word:
        w = _char_width(ch) * size
        if w and width + w > max_px and current:
            pieces.append(current)
            current, width = "", 0.0
        current += ch
        width += w
    return [*pieces, current] if current else pieces


def _label_rows(marks: Sequence[tuple[float, str]], size: float) -> list[int]:
    """Row (0 = lowest, just above the plot) of each marker label, so that no two overlap."""
    ends: list[float] = []  # right edge of the last label in each row
    rows = []
    for x, label in marks:
        half = _text_width(label, size) / 2 + 3
        row = next((r for r, end in enumerate(ends) if x - half >= end), len(ends))
        if row == len(ends):
            ends.append(x + half)
        else:
            ends[row] = x + half
        rows.append(row)
    return rows


def _draw_markers(d: _Drawing, marks: Sequence[tuple[float, str]], rows: Sequence[int], top: float,
                  bottom: float) -> None:
    for (x, label), row in zip(marks, rows, strict=True):
        d.line(x, top - 3, x, bottom, _REF, width=1.2, dash="4 3", cls="sg-reference")
        d.text(x, top - 5 - row * (_SMALL + 1), label, size=_SMALL - 1, anchor="middle", fill=_REF,
               cls="sg-marker-label")


def _text(value: Any) -> str:
    return _html.escape(str(value), quote=False)


def _attr(value: Any) -> str:
    return _html.escape(str(value), quote=True)


def _n(value: float) -> str:
    """Coordinate text: 2 decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --------------------------------------------------------------------------- #
# drawing
# --------------------------------------------------------------------------- #


class _Drawing:
    """SVG parts laid out top to bottom; ``y`` is where the next block starts."""

    def __init__(self, width: int, lang: str) -> None:
        self.width = int(width)
        self.lang = lang
        self.parts: list[str] = []
        self.y = float(_PAD)

    def add(self, part: str) -> None:
        self.parts.append(part)

    def text(self, x: float, y: float, text: str, *, size: float = _FONT, anchor: str = "start",
             fill: str = _TEXT, weight: str | None = None, cls: str | None = None, full: str | None = None,
             rotate: bool = False) -> None:
        attrs = [f'x="{_n(x)}"', f'y="{_n(y)}"', f'font-size="{_n(size)}"', f'fill="{fill}"']
        if anchor != "start":
            attrs.append(f'text-anchor="{anchor}"')
        if weight:
            attrs.append(f'font-weight="{weight}"')
        if cls:
            attrs.append(f'class="{cls}"')
        if rotate:
            attrs.append(f'transform="rotate(-90 {_n(x)} {_n(y)})"')
        tip = f"<title>{_text(full)}</title>" if full is not None and full != text else ""
        self.add(f"<text {' '.join(attrs)}>{tip}{_text(text)}</text>")

    def rect(self, x: float, y: float, w: float, h: float, fill: str, *, cls: str | None = None,
             data: Mapping[str, Any] | None = None, tip: str | None = None, stroke: str | None = None) -> None:
        attrs = [f'x="{_n(x)}"', f'y="{_n(y)}"', f'width="{_n(max(w, 0.0))}"', f'height="{_n(h)}"', f'fill="{fill}"']
        if stroke:
            attrs.append(f'stroke="{stroke}"')
        if cls:
            attrs.append(f'class="{cls}"')
        for k, v in (data or {}).items():
            attrs.append(f'data-{k}="{_attr(v)}"')
        inner = f"<title>{_text(tip)}</title>" if tip else ""
        self.add(f"<rect {' '.join(attrs)}>{inner}</rect>" if inner else f"<rect {' '.join(attrs)}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, *, width: float = 1.0,
             dash: str | None = None, cls: str | None = None) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        extra += f' class="{cls}"' if cls else ""
        self.add(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
                 f'stroke-width="{_n(width)}"{extra}/>')

    def title(self, title: str) -> None:
        for line in _wrap(title, self.width - 2 * _PAD, _TITLE):
            self.y += _TITLE * 1.3
            self.text(_PAD, self.y - 4, line, size=_TITLE, weight="600", cls="sg-chart-title")
        self.y += 6

    def paragraph(self, text: str, *, size: float = _SMALL, fill: str = _MUTED) -> None:
        for line in _wrap(text, self.width - 2 * _PAD, size, max_lines=4):
            self.y += size * 1.35
            self.text(_PAD, self.y - 3, line, size=size, fill=fill, cls="sg-chart-note")
        self.y += 4

    def legend(self, items: Sequence[tuple[str, str, str | None]]) -> None:
        """Swatches with labels, wrapped over lines: (label, colour, dash or None for a box)."""
        x = _PAD
        line_h = _SMALL * 1.6
        self.y += 2
        row_y = self.y
        for label, colour, dash in items:
            w = 18 + _text_width(label, _SMALL) + 12
            if x + w > self.width - _PAD and x > _PAD:
                x = _PAD
                row_y += line_h
            cy = row_y + line_h / 2
            if dash is None:
                self.rect(x, cy - 5, 12, 10, colour, cls="sg-legend-swatch")
            else:
                self.add(f'<line x1="{_n(x)}" y1="{_n(cy)}" x2="{_n(x + 14)}" y2="{_n(cy)}" stroke="{colour}" '
                         f'stroke-width="2.5"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
            self.text(x + 18, cy + _SMALL * 0.36, label, size=_SMALL, cls="sg-legend-label")
            x += w
        self.y = row_y + line_h + 4

    def svg(self, *, sid: str, kind: str, title: str, desc: str) -> str:
        height = math.ceil(self.y + _PAD)
        font = FONT_FAMILY[self.lang]
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{sid}" class="sg-chart-svg" data-kind="{kind}" '
            f'role="img" aria-labelledby="{sid}-title {sid}-desc" lang="{self.lang}" '
            f'width="{self.width}" height="{height}" viewBox="0 0 {self.width} {height}" '
            f'font-family="{_attr(font)}">'
        )
        return (
            head + f'<title id="{sid}-title">{_text(title)}</title><desc id="{sid}-desc">{_text(desc)}</desc>'
            f'<rect class="sg-chart-bg" x="0" y="0" width="{self.width}" height="{height}" fill="#ffffff"/>'
            + "".join(self.parts) + "</svg>"
        )


def _draw_bars(d: _Drawing, data: Mapping[str, Any], lang: str) -> None:
    mode = data["mode"]
    labels: list[str] = data["labels"]
    series = data["series"]
    percent = data["percent"]
    if mode != "single":
        d.legend([(s["name"], s["color"], None) for s in series])
    vals = np.array([[np.nan if v is None else v for v in s["values"]] for s in series], dtype=float)  # (k, n)
    totals = np.nansum(vals, axis=0) if mode == "stacked" else np.nanmax(np.where(np.isnan(vals), -np.inf, vals),
                                                                          axis=0)
    data_max = float(np.nanmax(np.where(np.isfinite(totals), totals, np.nan))) if np.isfinite(totals).any() else 0.0
    if data["reference"]:
        data_max = max(data_max, data["reference"]["value"])
    if data["max_value"] and data["max_value"] >= data_max:
        hi = data["max_value"]
        ticks = [v for v in _ticks(hi)[1] if v <= hi + 1e-9]
    else:  # no fixed end, or a value beyond it: a round end past the data
        hi, ticks = _ticks(data_max)
    value_texts = [_num(float(v), percent=percent) if np.isfinite(v) else t("no_data", lang) for v in totals]
    value_w = max(_text_width(s, _SMALL) for s in value_texts) + 8
    label_w = min(max(_text_width(lb, _FONT) for lb in labels) + 6, 0.38 * d.width)
    x0 = _PAD + label_w + 6
    x1 = d.width - _PAD - value_w
    scale = (x1 - x0) / hi if hi > 0 else 0.0
    k = len(series)
    bar_h = 13.0 if mode != "grouped" else (10.0 if k <= 3 else 7.0)
    row_h = _ROW if mode != "grouped" else bar_h * k + 8
    ref = data["reference"]
    top = d.y + 4 + (_SMALL + 2 if ref and ref["label"] else 0)
    bottom = top + row_h * len(labels)
    for v in ticks:  # grid under the bars
        x = x0 + v * scale
        d.line(x, top - 2, x, bottom, _GRID, cls="sg-grid")
    for i, label in enumerate(labels):
        y = top + i * row_h
        d.text(x0 - 6, y + row_h / 2 + _FONT * 0.35, _fit(label, label_w, _FONT), anchor="end", cls="sg-label",
               full=label)
        if mode == "stacked":
            x = x0
            for s in series:
                v = s["values"][i]
                if v is None or v <= 0:
                    continue
                w = v * scale
                d.rect(x, y + (row_h - bar_h) / 2, w, bar_h, s["color"], cls="sg-bar",
                       data={"label": label, "series": s["key"], "value": _n6(v)},
                       tip=f"{label} – {s['name']}: {_num(v, percent=percent)}")
                x += w
        else:
            for j, s in enumerate(series):
                v = s["values"][i]
                by = y + (row_h - bar_h * k) / 2 + j * bar_h
                if v is None:
                    if mode == "single":
                        d.text(x0 + 4, y + row_h / 2 + _SMALL * 0.35, t("no_data", lang), size=_SMALL, fill=_MUTED)
                    continue
                colour = data["bar_colors"][i] if data.get("bar_colors") else s["color"]
                name = f" – {s['name']}" if s["name"] else ""
                d.rect(x0, by + (0.5 if mode == "grouped" else 0), v * scale, bar_h - (1 if mode == "grouped" else 0),
                       colour, cls="sg-bar", data={"label": label, "series": s["key"], "value": _n6(v)},
                       tip=f"{label}{name}: {_num(v, percent=percent)}")
                if mode == "grouped" and k <= 3:
                    d.text(x0 + v * scale + 3, by + bar_h * 0.5 + 3.2, _num(v, percent=percent), size=9,
                           fill=_MUTED, cls="sg-value")
        if mode != "grouped" and np.isfinite(totals[i]):
            d.text(x0 + totals[i] * scale + 4, y + row_h / 2 + _SMALL * 0.35, value_texts[i], size=_SMALL,
                   fill=_MUTED, cls="sg-value")
    if ref:
        x = x0 + ref["value"] * scale
        d.line(x, top - 4, x, bottom + 2, _REF, width=1.5, dash="4 3", cls="sg-reference")
        if ref["label"]:
            d.text(x, top - 6, ref["label"], size=_SMALL - 1, anchor="middle", fill=_REF, cls="sg-marker-label")
    d.line(x0, bottom, x1, bottom, _AXIS)
    d.line(x0, top - 2, x0, bottom, _AXIS)
    for v in ticks:
        x = x0 + v * scale
        d.line(x, bottom, x, bottom + 4, _AXIS)
        d.text(x, bottom + 15, _num(v), size=_SMALL - 1, anchor="middle", fill=_MUTED, cls="sg-tick")
    d.y = bottom + 18
    if data["value_label"]:
        d.y += _FONT + 2
        d.text((x0 + x1) / 2, d.y, data["value_label"], anchor="middle", fill=_TEXT, cls="sg-axis-title")
    d.y += 6


def _n6(v: float) -> str:
    return np.format_float_positional(float(v), precision=6, trim="-")


def _draw_histogram(d: _Drawing, data: Mapping[str, Any], lang: str) -> None:
    edges, counts = data["edges"], data["counts"]
    n = len(counts)
    hi, ticks = _ticks(max(counts) if counts else 1.0, 4)
    y_w = max(_text_width(_num(v), _SMALL - 1) for v in ticks) + 6
    x0 = _PAD + (_FONT + 6 if data["y_label"] else 0) + y_w
    x1 = d.width - _PAD - 4
    span = edges[-1] - edges[0] if n else 1.0
    slot = (x1 - x0) / (n + (0.6 if data["open_last"] else 0.0))
    open_w = slot * 1.0

    def x_of(v: float) -> float:
        return x0 + (v - edges[0]) / span * slot * (len(edges) - 1)

    marks = [(x_of(m["value"]), m["label"]) for m in data["markers"] if edges[0] <= m["value"] <= edges[-1] + 1e-9]
    rows = _label_rows(marks, _SMALL - 1)
    top = d.y + 8 + (max(rows, default=-1) + 1) * (_SMALL + 1)
    plot_h = 150.0
    bottom = top + plot_h

    for v in ticks:
        y = bottom - v / hi * plot_h
        d.line(x0, y, x1, y, _GRID, cls="sg-grid")
        d.text(x0 - 4, y + 3.5, _num(v), size=_SMALL - 1, anchor="end", fill=_MUTED, cls="sg-tick")
    regular = n - (1 if data["open_last"] else 0)
    for i in range(n):
        c = counts[i]
        if i < regular:
            x, w = x0 + i * slot, slot
            label = f"{_num(edges[i])}–{_num(edges[i + 1])}"
        else:
            x, w = x0 + regular * slot + slot * 0.2, open_w * 0.8
            label = f"> {_num(edges[-1])}"
        h = c / hi * plot_h
        d.rect(x + 0.5, bottom - h, w - 1, h, data["color"], cls="sg-bar",
               data={"lo": _n6(edges[min(i, len(edges) - 1)]), "hi": _n6(edges[i + 1]) if i < regular else "inf",
                     "value": _n6(c)},
               tip=f"{label}: {_num(c)}")
    _draw_markers(d, marks, rows, top, bottom)
    d.line(x0, bottom, x1, bottom, _AXIS)
    d.line(x0, top, x0, bottom, _AXIS)
    every = max(1, int(math.ceil(n / max(1, (x1 - x0) / 36))))
    for i in range(0, len(edges), every):
        x = x0 + i * slot
        d.line(x, bottom, x, bottom + 4, _AXIS)
        d.text(x, bottom + 15, _num(edges[i]), size=_SMALL - 1, anchor="middle", fill=_MUTED, cls="sg-tick")
    if data["open_last"]:
        d.text(x0 + regular * slot + slot * 0.6, bottom + 15, f"> {_num(edges[-1])}", size=_SMALL - 1,
               anchor="middle", fill=_MUTED, cls="sg-tick")
    if data["y_label"]:
        d.text(_PAD + _FONT, (top + bottom) / 2, data["y_label"], anchor="middle", rotate=True,
               cls="sg-axis-title")
    d.y = bottom + 18
    if data["x_label"]:
        d.y += _FONT + 2
        d.text((x0 + x1) / 2, d.y, data["x_label"], anchor="middle", cls="sg-axis-title")
    d.y += 6


def _draw_step(d: _Drawing, data: Mapping[str, Any], lang: str) -> None:
    series = data["series"]
    if len(series) > 1:
        d.legend([(s["name"], s["color"], s["dash"]) for s in series])
    hi, ticks = _ticks(data["x_max"], 6)
    y_ticks = [0.0, 25.0, 50.0, 75.0, 100.0]
    y_w = _text_width("100", _SMALL - 1) + 6
    x0 = _PAD + (_FONT + 6 if data["y_label"] else 0) + y_w
    x1 = d.width - _PAD - _text_width("100 %", _SMALL) - 6

    def px(v: float) -> float:
        return x0 + min(v, hi) / hi * (x1 - x0)

    marks = [(px(m["value"]), m["label"]) for m in data["markers"] if m["value"] <= hi]
    rows = _label_rows(marks, _SMALL - 1)
    top = d.y + 8 + (max(rows, default=-1) + 1) * (_SMALL + 1)
    plot_h = 160.0
    bottom = top + plot_h

    def py(share: float) -> float:
        return bottom - share / 100.0 * plot_h

    for v in y_ticks:
        d.line(x0, py(v), x1, py(v), _GRID, cls="sg-grid")
        d.text(x0 - 4, py(v) + 3.5, _num(v), size=_SMALL - 1, anchor="end", fill=_MUTED, cls="sg-tick")
    _draw_markers(d, marks, rows, top, bottom)
    end_labels: list[float] = []
    for s in series:
        path = [f"M{_n(x0)} {_n(bottom)}"]
        for v, share in s["points"]:
            if v > hi:
                break
            path.append(f"H{_n(px(v))}V{_n(py(share))}")
        path.append(f"H{_n(x1)}")
        dash = f' stroke-dasharray="{s["dash"]}"' if s["dash"] else ""
        at_end = next((sh for v, sh in reversed(s["points"]) if v <= hi), 0.0)
        d.add(f'<path class="sg-curve" d="{"".join(path)}" fill="none" stroke="{s["color"]}" stroke-width="2.2"'
              f'{dash} data-series="{_attr(s["key"])}" data-final="{_n6(s["final"])}">'
              f"<title>{_text(s['name'])}: {_text(_num(s['final'], percent=True))}</title></path>")
        if all(abs(py(at_end) - y) >= _SMALL for y in end_labels):  # no label on top of another
            end_labels.append(py(at_end))
            d.text(x1 + 3, py(at_end) + 3.5, _num(at_end, percent=True), size=_SMALL - 1, fill=s["color"],
                   cls="sg-value")
    d.line(x0, bottom, x1, bottom, _AXIS)
    d.line(x0, top, x0, bottom, _AXIS)
    for v in ticks:
        d.line(px(v), bottom, px(v), bottom + 4, _AXIS)
        d.text(px(v), bottom + 15, _num(v), size=_SMALL - 1, anchor="middle", fill=_MUTED, cls="sg-tick")
    if data["y_label"]:
        d.text(_PAD + _FONT, (top + bottom) / 2, data["y_label"], anchor="middle", rotate=True, cls="sg-axis-title")
    d.y = bottom + 18
    if data["x_label"]:
        d.y += _FONT + 2
        d.text((x0 + x1) / 2, d.y, data["x_label"], anchor="middle", cls="sg-axis-title")
    d.y += 6


def _draw_indicators(d: _Drawing, data: Mapping[str, Any], lang: str) -> None:
    labels: list[str] = data["labels"]
    inds = data["indicators"]
    k = len(inds)
    label_w = min(max(_text_width(lb, _FONT) for lb in labels) + 6, 0.3 * d.width)
    x0 = _PAD + label_w + 6
    panel = (d.width - _PAD - x0) / max(k, 1)
    value_w = 28.0
    bar_max = max(panel - value_w - 6, 10.0)
    head_lines = [_wrap(ind["name"], panel - 6, _SMALL - 1, max_lines=3) for ind in inds]
    n_head = max(len(h) for h in head_lines)
    for j, lines in enumerate(head_lines):
        for m, line in enumerate(lines):
            d.text(x0 + j * panel, d.y + (m + 1) * (_SMALL + 1), line, size=_SMALL - 1, weight="600",
                   cls="sg-indicator-name", full=inds[j]["name"])
    scale_y = d.y + n_head * (_SMALL + 1) + 10
    top = scale_y + 4
    row_h = 18.0
    for j, ind in enumerate(inds):
        px0 = x0 + j * panel
        d.line(px0, top - 2, px0, top + row_h * len(labels), _AXIS)
        d.line(px0 + bar_max, top - 2, px0 + bar_max, top + row_h * len(labels), _GRID, cls="sg-grid")
        d.text(px0 + bar_max, scale_y, _num(ind["max"], percent=ind["percent"]).replace(" %", "%"), size=8,
               anchor="middle", fill=_MUTED, cls="sg-tick")
    for i, label in enumerate(labels):
        y = top + i * row_h
        if i % 2 == 1:
            d.rect(_PAD, y, d.width - 2 * _PAD, row_h, "#f4f4f4", cls="sg-band")
        d.text(x0 - 6, y + row_h / 2 + _FONT * 0.35, _fit(label, label_w, _FONT), anchor="end", cls="sg-label",
               full=label)
        for j, ind in enumerate(inds):
            v = ind["values"][i]
            px0 = x0 + j * panel
            if v is None:
                d.text(px0 + 3, y + row_h / 2 + 3.5, "–", size=_SMALL, fill=_MUTED)
                continue
            w = min(v / ind["max"], 1.0) * bar_max if ind["max"] > 0 else 0.0
            d.rect(px0, y + 3, w, row_h - 6, ind["color"], cls="sg-bar",
                   data={"label": label, "series": ind["key"], "value": _n6(v)},
                   tip=f"{label} – {ind['name']}: {_num(v, percent=ind['percent'])}")
            d.text(px0 + w + 3, y + row_h / 2 + 3.5, _num(v, percent=ind["percent"]).replace(" %", "%"),
                   size=9.5, fill=_MUTED, cls="sg-value")
    d.y = top + row_h * len(labels) + 8


def _draw_message(d: _Drawing, data: Mapping[str, Any], lang: str) -> None:
    h = 64.0
    d.rect(_PAD, d.y, d.width - 2 * _PAD, h, "#f6f6f6", stroke="#cccccc", cls="sg-message-box")
    lines = _wrap(data["message"], d.width - 4 * _PAD, _FONT, max_lines=2)
    y = d.y + h / 2 - (len(lines) - 1) * _FONT * 0.65 + _FONT * 0.35
    for m, line in enumerate(lines):
        d.text(d.width / 2, y + m * _FONT * 1.3, line, anchor="middle", fill=_MUTED, cls="sg-message")
    d.y += h + 6


_RENDERERS = {
    "bars": _draw_bars,
    "histogram": _draw_histogram,
    "step": _draw_step,
    "indicators": _draw_indicators,
    "message": _draw_message,
}


def _describe(chart: Chart, limit: int = 40) -> str:
    """One-paragraph text version of the data, for screen readers and search."""
    data = chart.data
    kind = chart.kind
    if kind == "message":
        return str(data["message"])
    parts: list[str] = []
    if kind == "bars":
        pct = data["percent"]
        for i, label in enumerate(data["labels"][:limit]):
            vals = [(s["name"], s["values"][i]) for s in data["series"]]
            text = ", ".join(f"{n + ' ' if n else ''}{_num(v, percent=pct)}" for n, v in vals)
            parts.append(f"{label}: {text}")
        if data["value_label"]:
            parts.insert(0, f"({data['value_label']})")
    elif kind == "histogram":
        e, c = data["edges"], data["counts"]
        for i, v in enumerate(c):
            rng = f"{_num(e[i])}–{_num(e[i + 1])}" if i < len(e) - 1 else f"> {_num(e[-1])}"
            parts.append(f"{rng}: {_num(v)}")
        parts.insert(0, f"({data['x_label']}; {data['y_label']})")
    elif kind == "step":
        for s in data["series"]:
            parts.append(f"{s['name']}: {_num(s['final'], percent=True)}")
        parts.insert(0, f"({data['x_label']})")
    elif kind == "indicators":
        for i, label in enumerate(data["labels"][:limit]):
            text = ", ".join(f"{ind['name']} {_num(ind['values'][i], percent=ind['percent'])}"
                             for ind in data["indicators"])
            parts.append(f"{label}: {text}")
    n = len(data.get("labels", []))
    more = f"; … {n - limit} more" if n > limit else ""
    return "; ".join(parts) + more
