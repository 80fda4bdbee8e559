"""``safegeo demo``: the synthetic demo province, every analysis, and the maps.

The demo study area is generated (seeded, deterministic) at Narathiwat's real
coordinates and is labelled synthetic everywhere it appears.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from safegeo.io import write_text_atomic

log = logging.getLogger(__name__)

#: Demo steps in order: output folder -> module whose ``demo_step(study, out_dir, lang=...)`` runs it.
DEMO_STEPS = {"evacuation": "safegeo.evacuation", "coverage": "safegeo.coverage", "response": "safegeo.vehicles.response",
              "exposure": "safegeo.exposure", "warning": "safegeo.warning.targets", "road_plan": "safegeo.roadplan",
              "scorecard": "safegeo.scorecard"}


@dataclass
class DemoResult:
    out_dir: Path
    study_path: Path
    main_map: Path
    outputs: dict[str, list[Path]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        lines = [f"Demo study area (synthetic): {self.study_path}"]
        for step, paths in self.outputs.items():
            shown = ", ".join(p.name for p in paths[:4]) + (" ..." if len(paths) > 4 else "")
            lines.append(f"  {step:<12} {self.seconds.get(step, 0):6.1f} s  {shown}")
        return lines


def run_demo(out_dir: str | Path = "out/demo", *, lang: str = "en", progress: bool = False) -> DemoResult:
    """Generate the demo province into ``out_dir/data`` and run every analysis on it.

    Writes ``out_dir/index.html`` (the main map: every layer of the study
    area) and each analysis's outputs in ``out_dir/<analysis>/``.

    Returns
    -------
    DemoResult
        Paths of everything written and the time each step took.
    """
    from safegeo.generate import generate_demo
    from safegeo.maps.overview import study_map
    from safegeo.prepare import prepare_study
    from safegeo.study import load_study

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result_outputs: dict[str, list[Path]] = {}
    seconds: dict[str, float] = {}
    steps = list(DEMO_STEPS)
    bar = None
    if progress:  # only when asked (the CLI asks when stderr is a terminal)
        from tqdm import tqdm

        bar = tqdm(total=3 + len(steps), desc="safegeo demo", unit="step", leave=False)

    def done(step: str) -> None:
        if bar is not None:
            bar.set_postfix_str(step)
            bar.update(1)

    t = time.perf_counter()
    toml = generate_demo(out / "data", overwrite=True)
    study = load_study(toml)
    seconds["generate"] = time.perf_counter() - t
    result_outputs["generate"] = [toml]
    done("generate")

    t = time.perf_counter()
    result_outputs["prepare"] = prepare_study(study, out / "prepared", modes=("drive", "walk"),
                                               network_gpkg=True)
    seconds["prepare"] = time.perf_counter() - t
    done("prepare")

    for step in steps:
        fn = importlib.import_module(DEMO_STEPS[step]).demo_step
        t = time.perf_counter()
        result_outputs[step] = list(fn(study, out / step, lang=lang))
        seconds[step] = time.perf_counter() - t
        log.info("demo step %s took %.1f s", step, seconds[step])
        done(step)
    t = time.perf_counter()
    links = [(p.stem, p.relative_to(out).as_posix()) for step in steps for p in result_outputs[step] if p.suffix == ".html"]
    main = study_map(study, lang=lang, title=study.name, links=links).save(out / "index.html")
    public_links = [(label, href.replace(".html", "_public.html")) for label, href in links
                    if (out / href.replace(".html", "_public.html")).exists()]
    study_map(study, lang=lang, public=True, title=study.name, links=public_links).save(out / "index_public.html")
    result_outputs["map"] = [main, out / "index_public.html"]
    seconds["map"] = time.perf_counter() - t
    done("map")
    if bar is not None:
        bar.close()

    write_text_atomic(out / "README.txt", _readme(result_outputs))
    return DemoResult(out, toml, main, result_outputs, seconds)


def _readme(outputs: dict[str, list[Path]]) -> str:
    lines = ["safegeo demo outputs (SYNTHETIC data placed at Narathiwat's coordinates; not real locations)", ""]
    for step, paths in outputs.items():
        lines.append(f"{step}:")
        lines += [f"  {p}" for p in paths]
    return "\n".join(lines) + "\n"
