"""Running a command's stages: timed (``-v`` prints them) and, on a terminal, with a progress bar."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from safegeo._progress import Stages


@contextlib.contextmanager
def command_stages(task: str, stages: list[str]) -> Iterator[Stages]:
    """Stages of a command; a progress bar on stderr when it is a terminal (and not ``-q``).

    *stages* are the expected stage names, for the bar's length; library
    functions given ``progress=st.progress`` add their own.
    """
    ctx = click.get_current_context(silent=True)
    show = bool(ctx and (ctx.find_root().obj or {}).get("progress"))
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=len(stages), desc=f"safegeo {task}", unit="stage", leave=False)

    def progress(stage: str) -> None:
        if bar is not None:
            bar.set_postfix_str(stage)
            if stage in stages:
                bar.update(1)

    st = Stages(task, progress if bar is not None else None)
    try:
        yield st
    finally:
        if bar is not None:
            bar.close()
