"""Open safegeo HTML maps in headless Chromium and report what a person would see.

Every request that is not ``file:`` or ``data:`` is blocked and recorded, so a
test can prove a map works offline.  Console errors, uncaught page errors and
JavaScript dialogs (an ``alert`` from an injected payload) are recorded too.

>>> with open_map("out/map.html") as page:          # doctest: +SKIP
...     assert not page.page_errors and not page.dialogs
...     print(page.layer_names, page.drawn_counts)
...     page.screenshot("out/map.png")

For several maps, reuse one browser::

    with MapBrowser() as browser:
        with browser.open("a.html") as a: ...
        with browser.open("b.html") as b: ...
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_STATS_JS = "() => (window.safegeo && window.safegeo.ready) ? window.safegeo.stats() : null"

# every visible, unclustered layer has painted all its features on the canvas
_ALL_DRAWN_JS = """() => {
  if (!(window.safegeo && window.safegeo.ready)) return false;
  const s = window.safegeo.stats();
  return Object.values(s).every(v => !v.visible || v.cluster || v.drawn >= v.in_view);
}"""

_CANVAS_PIXELS_JS = """() => {
  let n = 0;
  for (const c of document.querySelectorAll('.leaflet-overlay-pane canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] !== 0) n++;
  }
  return n;
}"""

_LAYER_NAMES_JS = """() => Array.from(
  document.querySelectorAll('.leaflet-control-layers-list label'), l => l.textContent.trim())"""


def chromium_path() -> str | None:
    """The Chromium executable to use, or None when there is none."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class MapPageReport:
    """What happened when a map page was opened (live while the page is open).

    Attributes
    ----------
    url : str
        The ``file://`` URL opened.
    console_errors, page_errors : list of str
        ``console.error`` messages (failed loads included) and uncaught exceptions.
    blocked_requests : list of str
        URLs the page tried to fetch that are not ``file:`` or ``data:``.
    dialogs : list of str
        Messages of alert / confirm / prompt dialogs (dismissed).
    layer_names : list of str
        Labels in the Leaflet layer control.
    stats : dict
        ``safegeo.stats()``: per layer key, features / drawn / visible / cluster.
    drawn_counts : dict of str to int
        Per layer key, features painted on the canvas.
    canvas_pixels : int
        Sampled non-transparent pixels of the vector canvas (0: nothing drawn).
    load_s : float
        Seconds from navigation to every visible layer being drawn.
    """

    url: str
    page: Any = field(repr=False)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    layer_names: list[str] = field(default_factory=list)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    drawn_counts: dict[str, int] = field(default_factory=dict)
    canvas_pixels: int = 0
    load_s: float = float("nan")

    def evaluate(self, script: str, arg: Any = None) -> Any:
        """Run JavaScript in the page (``page.evaluate``)."""
        return self.page.evaluate(script, arg)

    def refresh(self) -> MapPageReport:
        """Re-read layer names, draw counts and canvas pixels."""
        self.layer_names = self.page.evaluate(_LAYER_NAMES_JS)
        self.stats = self.page.evaluate(_STATS_JS) or {}
        self.drawn_counts = {k: v["drawn"] for k, v in self.stats.items()}
        self.canvas_pixels = self.page.evaluate(_CANVAS_PIXELS_JS)
        return self

    def screenshot(self, path: str | os.PathLike[str]) -> Path:
        """Save a PNG of the page."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(out))
        return out


class MapBrowser:
    """A headless Chromium that opens local map files with the network cut off."""

    def __init__(self, *, executable: str | None = None, viewport: tuple[int, int] = (1024, 768)) -> None:
        self.executable = executable or chromium_path()
        if self.executable is None:
            raise RuntimeError("no Chromium found (looked for /usr/bin/chromium and chromium on PATH)")
        self.viewport = viewport
        self._pw: Any = None
        self._browser: Any = None

    def __enter__(self) -> MapBrowser:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=self.executable, headless=True, args=CHROMIUM_ARGS
            )
        except BaseException:
            self._pw.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._pw is not None:
                self._pw.stop()
            self._browser = self._pw = None

    @contextmanager
    def open(
        self,
        path: str | os.PathLike[str],
        *,
        timeout_s: float = 30.0,
        wait_drawn: bool = True,
        ready_js: str | None = None,
    ) -> Iterator[MapPageReport]:
        """Open ``path`` and wait until the map is ready (and drawn).

        ``ready_js`` replaces the wait condition (a JS function returning truthy),
        e.g. for pages that are not safegeo maps.

        Yields
        ------
        MapPageReport
            Live while the ``with`` block runs; closed afterwards.
        """
        url = Path(path).resolve().as_uri()
        w, h = self.viewport
        context = self._browser.new_context(viewport={"width": w, "height": h}, service_workers="block")
        page = context.new_page()
        report = MapPageReport(url=url, page=page)

        def route(r: Any) -> None:
            u = r.request.url
            if u.startswith(("file:", "data:")):
                r.continue_()
            else:
                if u not in report.blocked_requests:
                    report.blocked_requests.append(u)
                r.abort()

        def on_request(req: Any) -> None:  # anything that slipped past routing
            u = req.url
            if not u.startswith(("file:", "data:", "blob:")) and u not in report.blocked_requests:
                report.blocked_requests.append(u)

        def on_dialog(dialog: Any) -> None:
            report.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        context.route("**/*", route)
        page.on("request", on_request)
        page.on("dialog", on_dialog)
        page.on("pageerror", lambda err: report.page_errors.append(str(err)))
        page.on("console", lambda msg: msg.type == "error" and report.console_errors.append(msg.text))
        try:
            t0 = time.perf_counter()
            page.goto(url, wait_until="load", timeout=timeout_s * 1000)
            if ready_js is None:
                ready_js = _ALL_DRAWN_JS if wait_drawn else "() => window.safegeo && window.safegeo.ready"
            page.wait_for_function(
                ready_js,
                polling="raf", timeout=timeout_s * 1000,
            )
            report.load_s = time.perf_counter() - t0
            report.refresh()
            yield report
        finally:
            context.close()


@contextmanager
def open_map(path: str | os.PathLike[str], **kwargs: Any) -> Iterator[MapPageReport]:
    """Launch Chromium, open one map file and yield its :class:`MapPageReport`."""
    with MapBrowser() as browser, browser.open(path, **kwargs) as report:
        yield report
