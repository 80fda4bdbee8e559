"""District reports: one printable page set per district (A4), and a PDF when Chromium is installed."""

from __future__ import annotations

import datetime as _dt
import html as _html
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from safegeo._errors import ScorecardError
from safegeo._i18n import t

if TYPE_CHECKING:
    from safegeo.scorecard.result import ScorecardResult
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)

#: Chromium executables looked for (Debian's ``chromium`` first).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")

_PRINT_CSS = """
@page { size: A4; margin: 14mm 12mm; }
html { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans Thai", "Noto Sans", Sarabun, Tahoma, Loma,
  sans-serif; color: #222; }
body { margin: 0 auto; max-width: 186mm; padding: 8px; }
h1 { font-size: 20px; margin: 0 0 2px; } .sg-sub { color: #555; margin: 0 0 10px; font-size: 13px; }
.sg-page { break-after: page; page-break-after: always; }
.sg-page:last-child { break-after: auto; page-break-after: auto; }
.sg-overview svg { width: 100%; height: auto; border: 1px solid #ccc; }
.sg-legend-bar { display: flex; align-items: center; gap: 6px; font-size: 12px; margin: 4px 0 10px; }
.sg-legend-bar span.ramp { display: inline-block; width: 160px; height: 10px;
  background: linear-gradient(to right, #ffffcc, #fed976, #fd8d3c, #e31a1c, #800026); }
.sg-figure { break-inside: avoid; page-break-inside: avoid; margin: 0 0 12px; }
.sg-figure svg { max-width: 100%; height: auto; }
.sg-method { font-size: 11px; color: #444; }
a.sg-back { font-size: 13px; } @media print { a.sg-back { display: none; } }
@media print { .sg-table-scroll { overflow: visible; } .sg-table th, .sg-table td { white-space: normal; } }
"""


def _score_colour(v: float) -> str:
    import branca.colormap as cm

    if v is None or not np.isfinite(v):
        return "#dddddd"
    return cm.linear.YlOrRd_09.scale(0, 10)(float(v))[:7]


def overview_svg(result: ScorecardResult, district: str, *, lang: str = "en", width: int = 700) -> str:
    """A static map of the district's tambons coloured by score, named, with the villages (prints everywhere)."""
    tam = result.tambon_frame()
    tam = tam[tam["district_id"] == district]
    if not len(tam):
        return ""
    minx, miny, maxx, maxy = tam.total_bounds
    w = max(maxx - minx, 1.0)
    h = max(maxy - miny, 1.0)
    height = int(round(width * h / w))
    height = max(200, min(height, int(width * 1.3)))
    s = min(width / w, height / h) * 0.96
    ox, oy = (width - w * s) / 2, (height - h * s) / 2

    def xy(coords: np.ndarray) -> str:
        x = ox + (coords[:, 0] - minx) * s
        y = height - (oy + (coords[:, 1] - miny) * s)
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))

    esc = _html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{esc(t("scorecard", lang), quote=True)}">']
    name = "name_th" if lang == "th" else "name_en"
    labels = []
    for _, r in tam.iterrows():
        geom = r.geometry
        if geom is None or geom.is_empty:
            continue
        polys = getattr(geom, "geoms", [geom])
        d = ""
        for p in polys:
            for ring in [p.exterior, *p.interiors]:
                d += "M" + xy(np.asarray(ring.coords)[:, :2]).replace(" ", " L") + " Z "
        score = r.get("score")
        parts.append(f'<path d="{d}" fill="{_score_colour(score)}" fill-rule="evenodd" stroke="#555" '
                     f'stroke-width="0.8"><title>{esc(str(r.get(name) or r["area_id"]))}: '
                     f'{"" if pd.isna(score) else f"{score:.1f}"}</title></path>')
        pt = shapely.get_coordinates(geom.representative_point())
        label = str(r.get(name) if isinstance(r.get(name), str) else r["area_id"])
        rank = r.get("rank_in_district")
        labels.append((xy(pt).split(","), f"{label} ({'' if pd.isna(score) else f'{score:.1f}'}"
                                          f"{'' if pd.isna(rank) else f', #{int(rank)}'})"))
    vil = result.villages[result.villages["district_id"] == district]
    vil = vil.to_crs(tam.crs) if vil.crs is not None and tam.crs is not None else vil
    if len(vil):
        c = shapely.get_coordinates(vil.geometry.values)
        for pair in xy(c).split(" "):
            a, b = pair.split(",")
            parts.append(f'<circle cx="{a}" cy="{b}" r="1.8" fill="#1c4f8a" opacity="0.7"/>')
    for (a, b), text in labels:
        parts.append(f'<text x="{a}" y="{b}" font-size="11" text-anchor="middle" paint-order="stroke" '
                     f'stroke="#fff" stroke-width="3">{esc(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def report_html(result: ScorecardResult, district: str, *, lang: str = "en", back_href: str | None = None) -> str:
    """The district report page (A4 print stylesheet): overview map, the tambons' scorecard table, the charts."""
    from safegeo.maps.table import TABLE_CSS, TABLE_JS, table_html

    esc = _html.escape
    tam = result.tambons[result.tambons["district_id"] == district]
    dname = district
    col = "district_name_th" if lang == "th" else "district_name_en"
    if col in tam.columns and tam[col].notna().any():
        dname = f"{tam[col].dropna().iloc[0]} ({district})"
    title = f"{t('district_report', lang)}: {dname}"
    date = _dt.date.today().isoformat()
    sub = (f"{esc(result.study_name)} · {esc(t('hazards', lang))}: {esc(result.hazard)} · {date}"
           + (f" · {esc(t('synthetic_data', lang))}" if result.synthetic else ""))
    back = (f'<p><a class="sg-back" href="{esc(back_href, quote=True)}">{esc(t("back_overview", lang))}</a></p>'
            if back_href else "")
    table = table_html(tam.sort_values("score", ascending=False), columns=result.table_columns(lang),
                       title="scorecard", lang=lang, percent=result.percent_columns(), table_id="sg-report-table")
    charts = "".join(f'<figure class="sg-figure">{c.to_svg(id=f"sg-report-chart-{i}")}</figure>'
                     for i, c in enumerate(result.charts(lang=lang, district=district, width=680)))
    dims = ", ".join(t(c, lang) for c in result.tambons.columns if c.startswith("dim_"))
    method = esc(
        f"Score 0-10 (higher: needs help sooner), after the JRC INFORM risk index: indicators scaled 0-10 between "
        f"fixed bounds, averaged in categories and dimensions ({dims}), {result.settings['between_dimensions']} "
        f"mean between dimensions. Ranks: 1 = needs help first." if lang == "en" else
        f"คะแนน 0-10 (ยิ่งสูงยิ่งต้องช่วยก่อน) ตามแนวทางดัชนี INFORM ของ JRC: ปรับตัวชี้วัดเป็น 0-10 ตามขอบเขตที่กำหนด "
        f"เฉลี่ยในหมวดและมิติ ({dims}) และรวมระหว่างมิติแบบ{'เรขาคณิต' if result.settings['between_dimensions'] == 'geometric' else 'เลขคณิต'} "
        f"ลำดับ 1 = ต้องช่วยก่อน")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8" />\n<title>{esc(title)}</title>\n'
        f"<style>{_PRINT_CSS}{TABLE_CSS}</style>\n</head>\n<body>\n"
        f'<section class="sg-page sg-overview">{back}<h1>{esc(title)}</h1><p class="sg-sub">{sub}</p>'
        f"{overview_svg(result, district, lang=lang)}"
        f'<div class="sg-legend-bar">0 <span class="ramp"></span> 10 · {esc(t("score", lang))}</div>'
        f'<p class="sg-method">{method}</p></section>\n'
        f'<section class="sg-page">{table}</section>\n'
        f'<section class="sg-page"><h2>{esc(t("charts", lang))}</h2>{charts}</section>\n'
        f"<script>{TABLE_JS}</script>\n</body>\n</html>\n"
    )


def chromium() -> str | None:
    """The Chromium executable on PATH (Debian ``chromium``), or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html_path: str | Path, pdf_path: str | Path, *, executable: str | None = None,
              timeout_s: float = 120.0) -> Path | None:
    """Print an HTML page to PDF with headless Chromium (no network); None when Chromium is not installed.

    Raises
    ------
    ScorecardError
        Chromium ran but wrote no PDF.
    """
    exe = executable or chromium()
    if exe is None:
        log.info("no Chromium on PATH: %s not printed to PDF", html_path)
        return None
    src, dest = Path(html_path).resolve(), Path(pdf_path).resolve()
    with tempfile.TemporaryDirectory(prefix="safegeo-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--disable-extensions", "--disable-background-networking", "--proxy-server=127.0.0.1:9",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={dest}", src.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    if not dest.exists() or dest.stat().st_size == 0:
        raise ScorecardError(f"Chromium did not print {src.name} to PDF (exit {proc.returncode}): "
                             f"{proc.stderr.decode(errors='replace')[-300:]}",
                             hint="check that `chromium --headless` runs on this machine")
    return dest


def district_report(result: ScorecardResult, district: str, out_dir: str | Path, *, lang: str = "en",
                    pdf: bool = True, back_href: str | None = None) -> list[Path]:
    """Write ``report_<district>.html`` (A4 pages: overview map, scorecard table, charts) and its PDF.

    Parameters
    ----------
    result
        A scorecard (:func:`safegeo.scorecard.scorecard`).
    district
        The ``district_id``.
    out_dir
        Folder to write into (created).
    lang
        ``"en"`` or ``"th"``.
    pdf
        Also print ``report_<district>.pdf`` when Chromium is installed.
    back_href
        A link back to an overview (shown on screen, not on paper).

    Returns
    -------
    list of Path
        The HTML page, then the PDF when one was printed.

    Raises
    ------
    ScorecardError
        No tambon of the scorecard is in *district*.

    Examples
    --------
    >>> district_report(sc, "D01", "out/report")   # doctest: +SKIP
    """
    from safegeo.io import atomic_path

    known = sorted(result.tambons["district_id"].dropna().astype(str).unique())
    if str(district) not in known:
        raise ScorecardError(f"no tambon of the scorecard is in district {district!r}",
                             hint=f"use one of: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}")
    district = next(d for d in result.tambons["district_id"].dropna().unique() if str(d) == str(district))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / f"report_{district}.html"
    with atomic_path(page, suffix=".html") as tmp:
        Path(tmp).write_text(report_html(result, district, lang=lang, back_href=back_href), encoding="utf-8")
    paths = [page]
    if pdf:
        printed = print_pdf(page, out / f"report_{district}.pdf")
        if printed is not None:
            paths.append(printed)
    return paths


def demo_step(study: StudyArea, out_dir: Path, *, lang: str = "en") -> list[Path]:
    """The demo scorecard (every analysis, all hazards) and the report of the district ranked worst; map first."""
    from safegeo.roadplan import plan_roads
    from safegeo.scorecard.build import scorecard

    out = Path(out_dir)
    sc = scorecard(study, road_plan=plan_roads(study, candidates="auto", verify_top=0))
    paths = sc.write(out, lang=lang, title=f"{study.name}: {t('scorecard_title', lang)}", back_href="../index.html")
    worst = sc.tambons.sort_values("score", ascending=False, kind="stable")["district_id"].dropna()
    if len(worst):
        paths += district_report(sc, worst.iloc[0], out / "report", lang=lang, back_href="../../index.html")
    return paths
