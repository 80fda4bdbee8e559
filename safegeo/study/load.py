"""Loading and validating a study file: :func:`load_study` and :func:`validate_study`."""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from safegeo._errors import (
    Problem,
    SafegeoError,
    StudyFileError,
    ValidationError,
)
from safegeo.network.cache import roads_fingerprint
from safegeo.study.config import StudyFiles, drop_reading_attrs, read_study_layers
from safegeo.study.model import LayerReport, StudyArea

log = logging.getLogger(__name__)

#: Below this share of nodes in the largest strongly connected component, ``validate`` warns.
MIN_CONNECTED_SHARE = 0.9


def load_study(path: str | Path, *, strict: bool = False, layers: Collection[str] | None = None) -> StudyArea:
    """Read, validate and project every layer named in a study file.

    Parameters
    ----------
    path
        The ``study.toml``.
    strict
        Treat warnings (e.g. repaired invalid geometries) as errors.
    layers
        Read these layers now (and the districts, tambons and border, which
        place everything); the others are read, validated and projected the
        first time they are used (``study.layers[name]``).  A command reads
        what it needs: an evacuation of a province never reads its street
        lights.  Default: every layer now.

    Returns
    -------
    StudyArea

    Raises
    ------
    StudyFileError
        The file is missing or malformed.
    ValidationError
        One or more layers have errors; the exception lists all of them.

    Examples
    --------
    >>> study = load_study("data/demo/study.toml")          # doctest: +SKIP
    >>> study.layers["districts"][["name_en", "is_border"]]  # doctest: +SKIP
    """
    path = Path(path)
    only = None if layers is None else set(layers) | {"districts", "tambons", "border"}
    files = read_study_layers(path, only=only)
    try:
        study = StudyArea.from_layers(
            files.frames,
            name=str(files.study_cfg.get("name", path.parent.name)),
            crs=files.study_cfg.get("crs"),
            params=files.params,
            hazards=files.hazards,
            strict=strict,
            synthetic=bool(files.study_cfg.get("synthetic", False)),
            sources=files.sources,
            roads_source=files.roads_source,
        )
    except ValidationError as exc:
        problems = [p for r in files.failed for p in r.problems] + exc.problems
        raise ValidationError(problems, hint=exc.hint) from None
    if files.failed:
        raise ValidationError([p for r in files.failed for p in r.problems],
                              hint="run `safegeo validate STUDY.toml` for the full report")
    study.path = path
    study.population = list(files.population)
    study.roads_fingerprint = roads_fingerprint(path.parent, files.cfg.get("layers", {}).get("roads"))
    study.reports = _with_notes(study.reports + files.raster_reports, files, log_them=True)
    drop_reading_attrs(list(study.layers.values()) + [h.polygons for h in study.hazards if h.polygons is not None])
    if files.deferred:
        study.layers = LazyLayers(study.layers, {name: functools.partial(_load_later, path, name, strict, study)
                                                 for name in files.deferred})
    return study


class LazyLayers(dict):
    """The study's layers, some read the first time they are used (see ``load_study(layers=...)``)."""

    def __init__(self, loaded: dict, pending: dict) -> None:
        super().__init__(loaded)
        self._pending = dict(pending)

    def _load(self, name: str) -> gpd.GeoDataFrame:
        frame = self._pending[name]()
        del self._pending[name]
        super().__setitem__(name, frame)
        return frame

    def __missing__(self, name: str) -> gpd.GeoDataFrame:
        if name in self._pending:
            return self._load(name)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in self._pending

    def get(self, name: str, default=None):
        return self[name] if name in self else default  # noqa: SIM401 - dict.get would not load a pending layer

    def _load_all(self) -> None:
        for name in list(self._pending):
            self._load(name)

    def keys(self):
        self._load_all()
        return super().keys()

    def values(self):
        self._load_all()
        return super().values()

    def items(self):
        self._load_all()
        return super().items()

    def __iter__(self):
        self._load_all()
        return super().__iter__()

    def __len__(self) -> int:
        return super().__len__() + len(self._pending)

    def pending(self) -> list[str]:
        """Layers not read yet."""
        return list(self._pending)


def _load_later(path: Path, name: str, strict: bool, study: StudyArea) -> gpd.GeoDataFrame:
    """Read, validate and project one deferred layer into *study*'s CRS (clipped to its districts)."""
    files = read_study_layers(path, only={name, "districts"})
    if files.failed:
        raise ValidationError([p for r in files.failed for p in r.problems],
                              hint="run `safegeo validate STUDY.toml` for the full report")
    if name not in files.frames:
        raise StudyFileError(f"{path}: layer '{name}' could not be read")
    one = StudyArea.from_layers({name: files.frames[name]}, name=study.name, crs=study.crs, params=files.params,
                                strict=strict, sources=files.sources, log_warnings=True)
    frame = one.layers[name]
    districts = dict.get(study.layers, "districts")
    if districts is not None and len(districts) and name != "roads":
        from safegeo._validate import check_extent

        box = tuple(float(v) for v in districts.to_crs(4326).total_bounds)
        far = [p for p in check_extent(frame.to_crs(4326), box, layer=name, source=files.sources.get(name, name))
               if p.severity == "error"]
        if far:
            raise ValidationError(far, hint="run `safegeo validate STUDY.toml` for the full report")
    study.reports = [*study.reports, *one.reports]
    drop_reading_attrs([frame])
    return frame


def _with_notes(reports: list[LayerReport], files: StudyFiles, *, log_them: bool = False) -> list[LayerReport]:
    """*reports* with what reading found (clip counts, encodings, mappings) at the front of each layer's problems."""
    by_name = {r.name: r for r in reports}
    for lname, notes in files.notes.items():
        rep = by_name.get(lname)
        if rep is None:
            rep = LayerReport(lname, files.sources.get(lname, lname), None)
            reports.append(rep)
            by_name[lname] = rep
        rep.problems[:0] = notes
        if log_them:
            for p in notes:
                log.log(logging.WARNING if p.severity == "warning" else logging.INFO, "%s", p.format())
    return reports


@dataclass
class ValidationReport:
    """Per-layer findings for ``safegeo validate``.

    Problems have severity ``"error"``, ``"warning"`` or ``"info"`` (a note
    such as the drive network's connected share, or a column mapping that
    would help).  :attr:`network` holds the drive network's report when the
    roads could be built into one.
    """

    study_path: Path
    layers: list[LayerReport]
    study_problems: list[Problem] = field(default_factory=list)
    network: dict | None = None

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def problems(self) -> list[Problem]:
        return self.study_problems + [p for r in self.layers for p in r.problems]

    def to_dict(self) -> dict:
        return {
            "study": str(self.study_path),
            "ok": self.ok,
            "problems": [p.to_dict() for p in self.study_problems],
            "layers": [r.to_dict() for r in self.layers],
            "network": self.network,
        }

    def format(self) -> str:
        lines = [f"Study file {self.study_path}"]
        for p in self.study_problems:
            lines.append(f"  {p.severity.upper()}: {p.format()}")
        for r in self.layers:
            status = "ERROR" if r.errors else ("warn " if r.warnings else "ok   ")
            count = f"{r.features:>8} features" if r.features is not None else f"{'(file)':>17}"
            lines.append(f"  [{status}] {r.name:<22} {count}  {r.source}")
            for p in r.problems:
                lines.append(f"        {p.severity}: {p.format()}")
        n_err = sum(p.severity == "error" for p in self.problems)
        n_warn = sum(p.severity == "warning" for p in self.problems)
        n_info = sum(p.severity == "info" for p in self.problems)
        lines.append(f"{n_err} error(s), {n_warn} warning(s)" + (f", {n_info} note(s)" if n_info else ""))
        return "\n".join(lines)


def validate_study(path: str | Path, *, strict: bool = False, network: bool = True) -> ValidationReport:
    """Validate a study file and report per layer, without raising on data errors.

    Besides each layer's own checks (columns, ids, geometries, CRS, points
    far outside the area), it checks what later steps need: OSM files are
    opened (header box), layers that lie elsewhere are errors naming both
    extents, hazard rasters need a kind, a valid pixel and to overlap the
    study area, and - with *network* - the drive network is built and its
    strongly connected share reported (a warning below 90 %, an error when
    no road is usable).

    Raises only :class:`StudyFileError` when the study file itself cannot be
    parsed.

    Examples
    --------
    >>> report = validate_study("data/demo/study.toml")  # doctest: +SKIP
    >>> report.ok, report.network["nodes"]                 # doctest: +SKIP
    (True, 5731)
    """
    path = Path(path)
    files = read_study_layers(path)
    frames, hazards, sources = files.frames, files.hazards, files.sources
    reports: list[LayerReport] = list(files.failed)
    study_problems: list[Problem] = []
    study = None
    try:
        study = StudyArea.from_layers(frames, name=str(files.study_cfg.get("name", "")), crs=files.study_cfg.get("crs"),
                                      params=files.params, hazards=hazards, strict=strict, sources=sources,
                                      roads_source=files.roads_source, log_warnings=False)
        reports += study.reports
    except ValidationError as exc:
        by_layer: dict[str, LayerReport] = {}
        for lname, gdf in frames.items():
            by_layer[lname] = LayerReport(lname, sources.get(lname, lname), len(gdf))
        for h in hazards:
            if h.polygons is not None:
                by_layer[f"hazards[{h.name}]"] = LayerReport(f"hazards[{h.name}]", sources.get(f"hazard:{h.name}", h.name),
                                                             len(h.polygons))
        for p in exc.problems:
            if p.layer in by_layer:
                by_layer[p.layer].problems.append(p)
            elif not (files.failed and p.layer == "study" and "no layer has both features and a CRS" in p.message):
                study_problems.append(p)  # (with layers that failed to read, that one only repeats it)
        reports += list(by_layer.values())
    if isinstance(files.roads_source, Path) and files.roads_source.exists():
        reports.append(LayerReport("roads", sources.get("roads", files.roads_source.name), None))
    elif isinstance(files.roads_source, dict):
        reports.append(LayerReport("roads", ", ".join(f"{k} = {v}" for k, v in files.roads_source.items()), None))
    reports += files.raster_reports
    reports = _with_notes(reports, files)
    net_report = None
    if network and study is not None and not any(r.errors for r in reports):
        net_problems, net_report = _network_check(study, sources.get("roads", "roads"))
        if net_problems:
            rep = next((r for r in reports if r.name == "roads"), None)
            if rep is None:
                study_problems += net_problems
            else:
                rep.problems += net_problems
    order = list(files.cfg.get("layers", {}))
    reports.sort(key=lambda r: order.index(r.name.split("[")[0]) if r.name.split("[")[0] in order else len(order))
    return ValidationReport(path, reports, study_problems, net_report)


def _network_check(study: StudyArea, source: str) -> tuple[list[Problem], dict | None]:
    """Build the drive network: its connected share as a note, a warning when low, an error when there is none."""
    if not study.has("roads") and study.roads_source is None:
        return [], None
    if isinstance(study.roads_source, dict):
        return [Problem("roads", "the drive network was not checked: online roads are downloaded when first needed",
                        "info", source)], None
    try:
        net = study.network("drive")
    except SafegeoError as exc:
        return [Problem("roads", f"no drive network can be built: {str(exc).splitlines()[0]}", "error", source,
                        fix=exc.hint)], None
    rep = net.report
    if rep is None:
        return [], None
    share = rep.nodes / rep.nodes_in if rep.nodes_in else 0.0
    info = rep.to_dict() | {"largest_component_share": round(share, 4)}
    shown = f"{share:.1%}" if share == 1 or f"{share:.1%}" != "100.0%" else f"{share:.2%}"
    problems = [Problem("roads", f"{rep.format()}; {shown} of its nodes are in the largest strongly connected "
                                 "component", "info", source)]
    if share < MIN_CONNECTED_SHARE:
        problems.append(Problem(
            "roads", f"only {share:.1%} of the drive network's nodes are in its largest strongly connected component "
                     f"({rep.dropped_nodes:,} nodes in {rep.components - 1:,} smaller islands): routing cannot reach them",
            "warning", source,
            fix="roads must share a vertex where they meet (node the lines, e.g. QGIS v.clean break), one-way roads "
                "must point the right way, and the extract must cover the whole study area"))
    return problems, info
