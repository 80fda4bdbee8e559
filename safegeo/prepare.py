"""``safegeo prepare``: validated layers in the working CRS, and the routable networks, saved for reuse."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from safegeo.io import write_gpkg, write_text_atomic
from safegeo.study import StudyArea, load_study

log = logging.getLogger(__name__)


def prepare_study(
    study: str | Path | StudyArea,
    out_dir: str | Path,
    *,
    strict: bool = False,
    modes: Sequence[str] = ("drive", "walk"),
    progress: bool = False,
) -> list[Path]:
    """Write ``study.gpkg`` (all layers in the working CRS) and ``network_<mode>.gpkg`` per mode.

    A study whose only layer is an OSM roads file has no ``study.gpkg``: its
    roads are the networks.

    Parameters
    ----------
    progress
        Show a progress bar on stderr (the CLI asks for it on a terminal).

    Returns
    -------
    list of Path
        The files written, plus ``prepare_report.json`` with the network
        reports (kept / dropped nodes and edges).  Each network report is
        also logged at INFO level (what the largest strongly connected
        component left out).
    """
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=2 + len(modes), desc="safegeo prepare", unit="step", leave=False)

    def step(name: str) -> None:
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)

    try:
        sa = study if isinstance(study, StudyArea) else load_study(study, strict=strict)
        step("layers")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        layers = {name: gdf for name, gdf in sa.layers.items() if len(gdf)}
        written = []
        if layers:
            written.append(write_gpkg(out / "study.gpkg", layers))
        else:  # roads only, from an OSM file: the networks below are all there is (a GeoPackage needs a layer)
            log.info("no vector layers besides the OSM roads: study.gpkg not written")
        step("study.gpkg")
        report = {"study": sa.name, "crs": sa.crs.to_string(), "layers": {k: len(v) for k, v in layers.items()},
                  "networks": {}}
        for mode in modes:
            net = sa.network(mode)
            written.append(net.save(out / f"network_{mode}.gpkg"))
            report["networks"][mode] = net.report.to_dict() if net.report else {}
            if net.report is not None:
                log.info("%s", net.report.format())
            step(f"{mode} network")
        written.append(write_text_atomic(out / "prepare_report.json", json.dumps(report, indent=2, ensure_ascii=False)))
    finally:
        if bar is not None:
            bar.close()
    return written
