"""The safegeo exception tree.

Every error safegeo raises for bad input derives from :class:`SafegeoError` and
also from a builtin, so callers may catch either (``except ValueError`` keeps
working).  The CLI maps these to a clear message and exit code 1 (data).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SafegeoError(Exception):
    """Base class of every error safegeo raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:  # message, then the fix on its own line
        msg = super().__str__()
        return f"{msg}\n  hint: {self.hint}" if self.hint else msg


class StudyFileError(SafegeoError, ValueError):
    """The study file (study.toml) is malformed or names something that does not exist."""


class SettingsError(SafegeoError, ValueError):
    """A setting (from the study file or an option) has the wrong type, is out of range, or does not exist."""


class LayerReadError(SafegeoError, OSError):
    """A layer file cannot be opened or parsed."""


class CRSError(SafegeoError, ValueError):
    """A layer has no CRS, or a metric operation was asked of geographic coordinates."""


class NetworkError(SafegeoError, ValueError):
    """The road network cannot be built or is unusable (empty, no edges, ...)."""


class SnapError(SafegeoError, ValueError):
    """Points cannot be attached to the network within the maximum snap distance."""


class OnlineError(SafegeoError, ConnectionError):
    """An online source (OSM download) was asked for but could not be reached."""


class RegistryError(SafegeoError, RuntimeError):
    """The vehicle registry database is missing, damaged or refused a change."""


class MissingExtraError(SafegeoError, ImportError):
    """An optional feature needs packages of an extra that is not installed (``pip install 'safegeo[postgres]'``)."""


@dataclass(frozen=True)
class Problem:
    """One validation finding: what is wrong, where, and how to fix it."""

    layer: str
    message: str
    severity: str = "error"  # "error" or "warning"
    source: str | None = None  # file the layer came from
    column: str | None = None
    rows: tuple[int, ...] = field(default_factory=tuple)
    fix: str | None = None

    def format(self) -> str:
        where = self.source or self.layer
        parts = [f"{where}:"]
        if self.column:
            parts.append(f"column '{self.column}'")
        parts.append(self.message)
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:10])
            more = f" and {len(self.rows) - 10} more" if len(self.rows) > 10 else ""
            parts.append(f"(rows {shown}{more})")
        text = " ".join(parts)
        if self.fix:
            text += f"; {self.fix}"
        return text

    def to_dict(self) -> dict:
        return {
            "layer": self.layer,
            "severity": self.severity,
            "source": self.source,
            "column": self.column,
            "rows": list(self.rows),
            "message": self.message,
            "fix": self.fix,
        }


class ValidationError(SafegeoError, ValueError):
    """One or more layers failed validation; ``problems`` lists every finding at once."""

    def __init__(self, problems: list[Problem], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        lines = [f"{len(errors)} problem(s) in the study area:"]
        lines += [f"  - {p.format()}" for p in errors]
        super().__init__("\n".join(lines), hint=hint)


class HazardError(SafegeoError, ValueError):
    """A hazard source cannot be used (unreadable raster, bad parameters, no valid pixel)."""


class EvacuationError(SafegeoError, ValueError):
    """Evacuation inputs cannot be used (missing columns, bad options), or nobody can be evacuated."""


class CoverageError(SafegeoError, ValueError):
    """A coverage option or asset layer is unusable (unknown asset, negative radius, ...)."""


class VehicleDataError(RegistryError, ValueError):
    """Vehicle values or an import file were refused; ``problems`` lists every finding."""

    def __init__(self, message: str, *, problems: list[Problem] | None = None, hint: str | None = None) -> None:
        self.problems = list(problems or [])
        super().__init__(message, hint=hint)


class VehicleNotFoundError(RegistryError, LookupError):
    """No vehicle with the given id is registered."""


class OutputExistsError(SafegeoError, FileExistsError):
    """An output already exists and replacing it was not asked for."""


class CapError(SafegeoError, ValueError):
    """A CAP alert cannot be built or read: a value outside CAP's lists, malformed XML, not a CAP document."""


class RoadPlanError(SafegeoError, ValueError):
    """Road-improvement candidates or planning options are unusable; ``problems`` lists every finding in a file."""

    def __init__(self, message: str, *, problems: list[Problem] | None = None, hint: str | None = None) -> None:
        self.problems = list(problems or [])
        if self.problems:
            message = "\n".join([message, *(f"  - {p.format()}" for p in self.problems)])
        super().__init__(message, hint=hint)


class ExposureError(SafegeoError, ValueError):
    """An exposure or warning input cannot be used: a population or hazard raster, a warning area, an option."""


class WarningAreaError(ExposureError):
    """A warning area cannot be built: no file, no polygon, a point outside the study, a CAP alert without an area."""


class ScorecardError(SafegeoError, ValueError):
    """A scorecard or district report cannot be built: no tambons, an unknown district, bad weights or bounds."""


#: Every exception class, for ``safegeo.__all__`` and documentation.
__all__ = [
    "CRSError",
    "CapError",
    "CoverageError",
    "ExposureError",
    "WarningAreaError",
    "EvacuationError",
    "HazardError",
    "LayerReadError",
    "NetworkError",
    "OnlineError",
    "OutputExistsError",
    "Problem",
    "RegistryError",
    "RoadPlanError",
    "SafegeoError",
    "ScorecardError",
    "SettingsError",
    "SnapError",
    "StudyFileError",
    "ValidationError",
    "VehicleDataError",
    "VehicleNotFoundError",
]
