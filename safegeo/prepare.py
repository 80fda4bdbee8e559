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
    network_gpkg: bool = False,
) -> list[Path]:
    """Write ``study.gpkg`` (all layers in the working CRS) and store the routable network of each mode.

    The networks go to the prepared-network cache (``.safegeo/cache/`` beside
    the study file, or ``SAFEGEO_CACHE_DIR``), where every later command
    loads them in about a second; ``prepare_report.json`` says where.  With
    an ``sos`` layer the walk network with every component (what coverage
    uses to reach buttons on road islands) is prepared too.  A
    study whose only layer is an OSM roads file has no ``study.gpkg``: its
    roads are the networks.

    Parameters
    ----------
    progress
        Show a progress bar on stderr (the CLI asks for it on a terminal).
    network_gpkg
        Also write ``network_<mode>.gpkg`` (layers ``nodes`` and ``edges``, one
        row per directed edge) to look at in a GIS or load with
        :meth:`RoadNetwork.load`.  At province scale these are large (about
        800 MB and a minute per mode for a million nodes), so only on request.

    Returns
    -------
    list of Path
        The files written, plus ``prepare_report.json`` with the network
        reports (kept / dropped nodes and edges) and the cache folder of each
        network.  Each network report is also logged at INFO level (what the
        largest strongly connected component left out).
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
        if not sa.params.get("network", {}).get("cache", True) and not network_gpkg:
            log.warning("[network] cache = false: the prepared networks are not kept, so every command builds them "
                        "again; turn the cache on, or pass --network-gpkg to save them as GeoPackages")
        for mode in modes:
            net = sa.network(mode)
            if network_gpkg:
                written.append(net.save(out / f"network_{mode}.gpkg"))
            report["networks"][mode] = net.report.to_dict() if net.report else {}
            _note_cache(report, sa, mode, largest=True)
            if net.report is not None:
                log.info("%s", net.report.format())
            step(f"{mode} network")
        if "walk" in modes and sa.has("sos"):  # coverage reaches SOS buttons on road islands too: every component
            sa.network("walk", largest_component=False)
            _note_cache(report, sa, "walk", largest=False)
        written.append(write_text_atomic(out / "prepare_report.json", json.dumps(report, indent=2, ensure_ascii=False)))
    finally:
        if bar is not None:
            bar.close()
    return written


def _note_cache(report: dict, sa: StudyArea, mode: str, *, largest: bool) -> None:
    """Record in *report* the cache folder holding the study's *mode* network (``walk:all``: every component)."""
    from safegeo.network.cache import cache_dir_for, network_key

    net_p = sa.params.get("network", {})
    folder = cache_dir_for(sa.path, net_p)
    if folder is not None and sa.roads_fingerprint:
        key = network_key(sa.roads_fingerprint, mode=mode, largest_component=largest, crs=sa.crs, params=net_p)
        if (folder / key / "meta.json").exists():
            report.setdefault("cache", {})[mode if largest else f"{mode}:all"] = str((folder / key).resolve())
