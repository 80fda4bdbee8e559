"""The ``safegeo`` command line: thin wrappers over library functions.

Each command parses its options, calls one library function and writes the
result.  User mistakes exit with a message and code 2 (usage) or 1 (data),
never a traceback.
"""

from __future__ import annotations

import logging
import sys

import click

from safegeo import __version__
from safegeo._errors import SafegeoError

log = logging.getLogger("safegeo")


class DataError(click.ClickException):
    """A data problem: printed without traceback, exit code 1."""

    exit_code = 1

    def show(self, file=None) -> None:  # no "Error:" doubling for multi-line messages
        click.echo(f"Error: {self.format_message()}", err=True)


class InternalError(DataError):
    """An unexpected failure inside safegeo: message without traceback, exit code 3."""

    exit_code = 3


class SafegeoGroup(click.Group):
    """Maps :class:`SafegeoError` (and file-system errors) to clean exits."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SafegeoError as exc:
            raise DataError(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except PermissionError as exc:
            raise DataError(f"{exc.filename}: permission denied\n  hint: choose a folder you can write to") from None
        except OSError as exc:
            if getattr(exc, "filename", None):
                raise DataError(f"{exc.filename}: {exc.strerror or exc}") from None
            raise DataError(str(exc)) from None
        except MemoryError:
            raise DataError("out of memory\n  hint: try a smaller study area or fewer origins") from None
        except Exception as exc:  # a bug in safegeo, not a user mistake: say so, keep the traceback for -vv
            log.debug("internal error", exc_info=True)
            raise InternalError(
                f"internal error ({exc.__class__.__name__}: {exc})\n"
                "  hint: this is a safegeo bug, not your data; please report it with the output of `safegeo -vv ...`"
            ) from None


def _setup_logging(verbose: int, quiet: int) -> None:
    level = logging.WARNING - 10 * verbose + 10 * quiet
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbose > 1 else "%(message)s"))
    root = logging.getLogger("safegeo")
    root.handlers[:] = [handler]
    root.setLevel(max(logging.DEBUG, min(logging.CRITICAL, level)))
    root.propagate = False


@click.group(cls=SafegeoGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="safegeo")
@click.option("-v", "--verbose", count=True, help="More messages (repeat for debug).")
@click.option("-q", "--quiet", count=True, help="Fewer messages.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """safegeo: safety planning for Thai provinces.

    Evacuation to shelters, street-light / CCTV / SOS coverage gaps, an
    emergency-vehicle registry, and offline HTML maps, from road networks and
    the layers named in a study file (study.toml).
    """
    _setup_logging(verbose, quiet)
    ctx.ensure_object(dict)
    ctx.obj["progress"] = sys.stderr.isatty() and quiet == 0
    ctx.obj["quiet"] = quiet


def _register() -> None:
    """Add the commands of every module in this package that lists them in ``ALL``."""
    import importlib
    import pkgutil

    import safegeo.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "options":
            continue
        module = importlib.import_module(f"safegeo.cli.{info.name}")
        for cmd in getattr(module, "ALL", []):
            cli.add_command(cmd)


_register()


def main() -> None:
    cli(prog_name="safegeo")
