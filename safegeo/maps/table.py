"""Sortable, filterable HTML tables for offline pages (no library, no CDN).

:func:`table_html` writes an ordinary ``<table>`` (every cell escaped, so a
name like ``<img onerror=...>`` is shown as text) with the sort value of each
cell in ``data-v``; the safegeo runtime (``safegeo.js``, ``safegeo.tables``)
makes the headers sort on click (numbers as numbers, again to reverse) and a
search box hide rows that do not contain the text typed.  Without script the
table is still a readable, printable table.

Examples
--------
>>> import pandas as pd
>>> html = table_html(pd.DataFrame({"name_en": ["<b>A</b>"], "score": [3.5]}), title="Scorecard")
>>> "&lt;b&gt;A&lt;/b&gt;" in html and 'data-v="3.5"' in html
True
"""

from __future__ import annotations

import html as _html
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from safegeo._i18n import t, t_value

_ids = itertools.count()


@dataclass
class Table:
    """A table to show in a page: the frame, the columns (in order) and how to show them.

    Attributes
    ----------
    frame : DataFrame
        The rows.
    columns : sequence of str
        Columns shown, left to right (default: all but ``geometry``).
    title : str, optional
        Heading (translated when a known key).
    labels : mapping, optional
        Column -> header (default ``t(column)``).
    digits : mapping, optional
        Column -> decimals shown (default 2 for fractions, 1 otherwise, 0 for whole numbers).
    percent : sequence of str
        Columns holding shares (0-1) shown as percentages.
    """

    frame: pd.DataFrame
    columns: Sequence[str] | None = None
    title: str | None = None
    labels: Mapping[str, str] | None = None
    digits: Mapping[str, int] = field(default_factory=dict)
    percent: Sequence[str] = ()

    def to_html(self, lang: str = "en") -> str:
        """The table's HTML (see :func:`table_html`)."""
        return table_html(self.frame, columns=self.columns, title=self.title, labels=self.labels, lang=lang,
                          digits=self.digits, percent=self.percent)


def _cell(value: object, *, digits: int | None, percent: bool, lang: str) -> tuple[str, str]:
    """(shown text, sort value) of one cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "", ""
    if isinstance(value, (bool, np.bool_)):
        return (t("yes", lang) if value else t("no", lang)), ("1" if value else "0")
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if not np.isfinite(v):
            return ("∞" if v > 0 else "-∞"), ("1e300" if v > 0 else "-1e300")
        if percent:
            return f"{100 * v:,.{1 if digits is None else digits}f} %", repr(v)
        d = digits if digits is not None else (0 if float(v).is_integer() else (2 if abs(v) < 10 else 1))
        return f"{v:,.{d}f}", repr(v)
    text = str(t_value(value, lang))
    return text, text.lower()


def table_html(frame: pd.DataFrame, *, columns: Sequence[str] | None = None, title: str | None = None,
               labels: Mapping[str, str] | None = None, lang: str = "en", digits: Mapping[str, int] | None = None,
               percent: Sequence[str] = (), table_id: str | None = None) -> str:
    """A sortable, filterable ``<table>`` (with a search box) as an HTML fragment.

    Parameters
    ----------
    frame : DataFrame
        The rows (a GeoDataFrame's geometry is never shown).
    columns : sequence of str, optional
        Columns shown, in order (default every column but ``geometry``);
        names missing from *frame* are skipped.
    title : str, optional
        Heading above the table (translated when a known key).
    labels : mapping, optional
        Column -> header; default :func:`~safegeo._i18n.t` of the column.
    lang : {"en", "th"}
        Language of headers, codes and yes/no.
    digits : mapping, optional
        Column -> decimals.
    percent : sequence of str
        Share columns (0-1) shown as percentages.
    table_id : str, optional
        The ``id`` of the ``<table>`` (default a fresh one).

    Returns
    -------
    str
        ``<section class="sg-table">`` with a heading, a search box and the table.
    """
    cols = [c for c in (columns or [c for c in frame.columns if c != "geometry"]) if c in frame.columns]
    tid = table_id or f"sg-table-{next(_ids)}"
    esc = _html.escape
    heads = []
    for c in cols:
        label = (labels or {}).get(c) or t(c, lang)
        numeric = pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
        heads.append(f'<th scope="col" data-type="{"num" if numeric else "text"}" data-key="{esc(str(c), quote=True)}"'
                     f' tabindex="0" aria-sort="none">{esc(label)}</th>')
    body = []
    vals = {c: frame[c].tolist() for c in cols}
    for i in range(len(frame)):
        cells = []
        for c in cols:
            text, key = _cell(vals[c][i], digits=(digits or {}).get(c), percent=c in percent, lang=lang)
            wrap = ' class="sg-wrap"' if len(text) > 40 else ""
            cells.append(f'<td data-v="{esc(key, quote=True)}"{wrap}>{esc(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    heading = f"<h2>{esc(t(title, lang))}</h2>" if title else ""
    search = esc(t("table_filter", lang), quote=True)
    count = esc(t("table_rows", lang), quote=True)
    return (f'<section class="sg-table" data-table="{tid}">{heading}'
            f'<div class="sg-table-tools"><input type="search" class="sg-table-filter" aria-controls="{tid}" '
            f'placeholder="{search}" aria-label="{search}"> <span class="sg-table-count" data-label="{count}">'
            f'{len(frame)} {esc(t("table_rows", lang))}</span></div>'
            f'<div class="sg-table-scroll"><table id="{tid}"><thead><tr>{"".join(heads)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div></section>')


#: The table runtime, also inlined by pages that are not maps (the district report).
TABLE_JS = r"""
(function () {
  "use strict";
  function sortBy(table, th) {
    var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    var num = th.getAttribute("data-type") === "num";
    var dir = th.getAttribute("aria-sort") === "descending" ? 1 : -1;
    if (th.getAttribute("aria-sort") === "none") dir = num ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[idx].getAttribute("data-v"), y = b.cells[idx].getAttribute("data-v");
      if (x === "" && y === "") return 0;
      if (x === "") return 1;
      if (y === "") return -1;
      if (num) return dir * (parseFloat(x) - parseFloat(y));
      return dir * x.localeCompare(y);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function setup(section) {
    var table = section.querySelector("table");
    if (!table || section.getAttribute("data-ready")) return;
    section.setAttribute("data-ready", "1");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th); }
      });
    });
    var box = section.querySelector(".sg-table-filter");
    var count = section.querySelector(".sg-table-count");
    if (box) box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase(), shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        var hit = !q || r.textContent.toLowerCase().indexOf(q) >= 0;
        r.style.display = hit ? "" : "none";
        if (hit) shown += 1;
      });
      if (count) count.textContent = shown + " " + count.getAttribute("data-label");
    });
  }
  window.safegeoTables = function () {
    Array.prototype.forEach.call(document.querySelectorAll("section.sg-table"), setup);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", window.safegeoTables);
  else window.safegeoTables();
})();
"""

#: Table styles, shared by maps and the district report.
TABLE_CSS = """
.sg-table { margin: 4px 0 16px; font: 12px/1.35 system-ui, -apple-system, "Segoe UI", "Noto Sans Thai", "Noto Sans",
  Sarabun, Tahoma, Loma, sans-serif; color: #222; }
.sg-table h2 { font-size: 15px; margin: 6px 0; }
.sg-table-tools { margin: 0 0 4px; }
.sg-table-filter { font: inherit; padding: 2px 6px; width: 14em; max-width: 60%; }
.sg-table-count { color: #666; margin-left: 6px; }
.sg-table-scroll { overflow-x: auto; }
.sg-table table { border-collapse: collapse; width: 100%; }
.sg-table th, .sg-table td { border-bottom: 1px solid #ddd; padding: 2px 6px; text-align: right; white-space: nowrap; }
.sg-table td.sg-wrap { white-space: normal; min-width: 16em; text-align: left; }
.sg-table th { position: sticky; top: 0; background: #f3f5f8; cursor: pointer; user-select: none; font-weight: 600; }
.sg-table th[data-type="text"], .sg-table td:first-child { text-align: left; }
.sg-table th[aria-sort="ascending"]::after { content: " \\25B2"; }
.sg-table th[aria-sort="descending"]::after { content: " \\25BC"; }
@media print { .sg-table-tools { display: none; } .sg-table th { position: static; }
  .sg-table tr { break-inside: avoid; page-break-inside: avoid; } }
"""
