"""One run, one set of outputs: a command's files are put in place together, or not at all.

Each command writes its files (maps, GeoPackages, CSVs) into a staging folder
beside the output folder; only when every file is written are they moved into
the output folder, replacing the previous run's set.  A run that fails leaves
the previous set untouched and removes its staging folder.

The move itself is a short sequence of renames on one file system.  Before it
starts, a journal (``.safegeo-commit.json``) listing the files is written into
the output folder; a run killed in the middle of the moves leaves the journal
behind, and the next run (or :func:`recover`) finishes the moves first.  So a
reader who looks after any safegeo run sees one complete set: the old one or
the new one.  Staging folders and temporary files of killed runs are removed
by the next run (those of a process still running are left alone).

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> out = Path(tempfile.mkdtemp()) / "evac"
>>> with OutputSet(out) as stage:
...     _ = (stage / "summary.csv").write_text("a,b\\n1,2\\n")
>>> sorted(p.name for p in out.iterdir())
['summary.csv']
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

#: Name of the commit journal in an output folder.
JOURNAL = ".safegeo-commit.json"
#: Marker in the names of staging folders (beside the output folder).
STAGING_MARK = ".safegeo-staging-"
#: Prefix of temporary files written by :func:`safegeo.io.atomic_path`.
TMP_PREFIX = ".safegeo-tmp-"
#: Leftovers of a process that cannot be checked (no pid) are removed after this many seconds.
STALE_AFTER_S = 6 * 3600.0

_PID_RE = re.compile(r"safegeo-(?:tmp|staging)-(\d+)-")


def _alive(pid: int) -> bool:
    """True when a process with this id runs (on this machine)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - no cheap check without extra packages
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # pragma: no cover
        return True
    return True


def _stale(path: Path) -> bool:
    """A leftover of a process that no longer runs (or an unreadable old one)."""
    m = _PID_RE.search(path.name)
    if m:
        return not _alive(int(m.group(1)))
    try:
        return time.time() - path.stat().st_mtime > STALE_AFTER_S
    except OSError:
        return False


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


def _replay(out_dir: Path, journal: dict) -> None:
    stage = Path(journal.get("staging", ""))
    for rel in journal.get("files", []):
        src, dst = stage / rel, out_dir / rel
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)


def recover(out_dir: str | os.PathLike) -> bool:
    """Finish an interrupted commit in *out_dir* and remove leftovers of killed runs.

    Returns True when an interrupted commit was completed.
    """
    out = Path(out_dir)
    finished = False
    jpath = out / JOURNAL
    if jpath.exists():
        try:
            journal = json.loads(jpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal = {}
        pid = int(journal.get("pid", -1))
        if pid != os.getpid() and not (pid > 0 and _alive(pid)):
            _replay(out, journal)
            if journal.get("staging"):
                _remove(Path(journal["staging"]))
            _remove(jpath)
            log.warning("%s: completed the output set of an interrupted run", out)
            finished = True
    parent = out.parent
    if parent.is_dir():
        for p in parent.glob(f".{out.name}{STAGING_MARK}*"):
            if _stale(p):
                _remove(p)
    if out.is_dir():
        for p in out.glob(f"{TMP_PREFIX}*"):
            if _stale(p):
                _remove(p)
    return finished


class OutputSet:
    """A staging folder whose files replace those in *out_dir* together, when the block succeeds.

    Parameters
    ----------
    out_dir
        The output folder (created when missing).  Files of the set replace
        files of the same name; other files in the folder are left alone.
    replaces
        Names (relative paths) of files that belong to this command's set even
        when the new run does not write them (e.g. an optional layer file):
        they are removed at commit so no stale file of an older run remains.
    """

    def __init__(self, out_dir: str | os.PathLike, *, replaces: Iterable[str] = ()) -> None:
        self.out_dir = Path(out_dir)
        self.replaces = tuple(replaces)
        self.stage: Path | None = None
        self.written: list[Path] = []

    def __enter__(self) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        recover(self.out_dir)
        token = secrets.token_hex(4)
        self.stage = self.out_dir.parent / f".{self.out_dir.name}{STAGING_MARK}{os.getpid()}-{token}"
        self.stage.mkdir()
        return self.stage

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self.stage is not None
        if exc_type is not None:
            _remove(self.stage)
            return
        try:
            self.commit()
        finally:
            _remove(self.stage)

    def commit(self) -> list[Path]:
        """Move every staged file into the output folder (journalled; see the module doc)."""
        assert self.stage is not None
        files = sorted(p.relative_to(self.stage).as_posix() for p in self.stage.rglob("*") if p.is_file())
        journal = {"pid": os.getpid(), "staging": str(self.stage), "files": files}
        jpath = self.out_dir / JOURNAL
        tmp = self.out_dir / f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-journal"
        tmp.write_text(json.dumps(journal), encoding="utf-8")
        os.replace(tmp, jpath)
        for rel in self.replaces:
            if rel not in files:
                _remove(self.out_dir / rel)
        _replay(self.out_dir, journal)
        jpath.unlink()
        self.written = [self.out_dir / rel for rel in files]
        return self.written


def write_set(out_dir: str | os.PathLike, write: Callable[[Path], list[Path]], *,
              replaces: Iterable[str] = ()) -> list[Path]:
    """Run ``write(stage)`` (which writes files into *stage* and returns their paths) as one set.

    Returns the paths of the files in *out_dir*, in the order *write* returned them.
    """
    out = Path(out_dir)
    with OutputSet(out, replaces=replaces) as stage:
        staged = write(stage)
    return [out / Path(p).relative_to(stage) for p in staged]


def write_analysis(out_dir: str | os.PathLike, *, what: str, page: Callable[[], Any], html: str, gpkg: str,
                   layers: Mapping[str, Any], tables: Mapping[str, Any], public: bool = False,
                   geometry_types: Mapping[str, str] | None = None,
                   more: Callable[[Path], list[Path]] | None = None) -> list[Path]:
    """An analysis's files as one set: its map, its GeoPackage and its CSV tables, then *more*.

    Parameters
    ----------
    out_dir
        Output folder.
    what
        The analysis, for the public filter's log (``"exposure"``).
    page
        Builds the map (a :class:`~safegeo.maps.SafegeoMap`, already made with
        the same *public*); saved as *html*.
    html, gpkg
        File names of the map and the GeoPackage.
    layers
        GeoPackage layers by name (see :func:`safegeo.io.write_gpkg`, with *geometry_types*).
    tables
        CSV file name -> table (:func:`safegeo.io.write_csv`: BOM, formula cells neutralised).
    public
        Every layer and table goes through :func:`safegeo.privacy.public_frame` first.
    more
        Writes further files into the stage folder and returns their paths.

    Returns
    -------
    list of Path
        The map, the GeoPackage, the tables in order, then *more*'s files.
    """
    from safegeo.io import write_csv, write_gpkg
    from safegeo.privacy import public_frame

    if public:
        layers = {k: public_frame(v, what=f"{what} layer {k}") for k, v in layers.items()}
        tables = {k: public_frame(v, what=f"{what} {k}") for k, v in tables.items()}

    def write(stage: Path) -> list[Path]:
        out = [Path(page().save(stage / html)), write_gpkg(stage / gpkg, layers, geometry_types=geometry_types)]
        out += [write_csv(stage / name, table) for name, table in tables.items()]
        return out + (more(stage) if more is not None else [])

    return write_set(out_dir, write)
