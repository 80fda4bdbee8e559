"""Loading and validating a study file: :func:`load_study` and :func:`validate_study`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from safegeo._errors import (
    Problem,
    ValidationError,
)
from safegeo.network.cache import roads_fingerprint
from safegeo.study.config import read_study_layers
from safegeo.study.model import LayerReport, StudyArea

log = logging.getLogger(__name__)


def load_study(path: str | Path, *, strict: bool = False) -> StudyArea:
    """Read, validate and project every layer named in a study file.

    Parameters
    ----------
    path
        The ``study.toml``.
    strict
        Treat warnings (e.g. repaired invalid geometries) as errors.

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
    files = read_study_layers(path)
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
    study.roads_fingerprint = roads_fingerprint(path.parent, files.cfg.get("layers", {}).get("roads"))
    study.reports = study.reports + files.raster_reports
    return study


@dataclass
class ValidationReport:
    """Per-layer findings for ``safegeo validate``."""

    study_path: Path
    layers: list[LayerReport]
    study_problems: list[Problem] = field(default_factory=list)

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
        lines.append(f"{n_err} error(s), {n_warn} warning(s)")
        return "\n".join(lines)


def validate_study(path: str | Path, *, strict: bool = False) -> ValidationReport:
    """Validate a study file and report per layer, without raising on data errors.

    Raises only :class:`StudyFileError` when the study file itself cannot be
    parsed.
    """
    path = Path(path)
    files = read_study_layers(path)
    frames, hazards, sources = files.frames, files.hazards, files.sources
    reports: list[LayerReport] = list(files.failed)
    study_problems: list[Problem] = []
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
                by_layer[f"hazards[{h.name}]"] = LayerReport(f"hazards[{h.name}]", sources.get(f"hazard:{h.name}", h.name), len(h.polygons))
        for p in exc.problems:
            if p.layer in by_layer:
                by_layer[p.layer].problems.append(p)
            else:
                study_problems.append(p)
        reports += list(by_layer.values())
    if isinstance(files.roads_source, Path) and files.roads_source.exists():
        reports.append(LayerReport("roads", sources.get("roads", files.roads_source.name), None))
    reports += files.raster_reports
    order = list(files.cfg.get("layers", {}))
    reports.sort(key=lambda r: order.index(r.name.split("[")[0]) if r.name.split("[")[0] in order else len(order))
    return ValidationReport(path, reports, study_problems)
