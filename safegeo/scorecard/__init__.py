"""Tambon and village safety scorecards: every analysis in one row per area, a composite score, ranks, actions.

:func:`scorecard` runs (or takes) the evacuation, coverage, response and
exposure results of a study under one hazard and joins their per-tambon
summaries, so each indicator is the very figure of its analysis.  The
composite score follows the JRC INFORM risk index (see
:mod:`safegeo.scorecard.score` for the method and where it differs); ranks
are within the district and the province (1 = needs help first), and each
tambon gets the two or three actions that would lower its score most
(:mod:`safegeo.scorecard.actions`).  :func:`district_report` writes one
printable page set per district (and a PDF when Chromium is installed).

Examples
--------
>>> from safegeo.study import load_study                          # doctest: +SKIP
>>> from safegeo.scorecard import scorecard, district_report      # doctest: +SKIP
>>> st = load_study("out/demo/data/study.toml")                   # doctest: +SKIP
>>> sc = scorecard(st, hazard="flood")                            # doctest: +SKIP
>>> sc.write("out/scorecard")                                     # doctest: +SKIP
>>> district_report(sc, "D01", "out/report")                      # doctest: +SKIP
"""

from safegeo.scorecard.build import scorecard
from safegeo.scorecard.report import demo_step, district_report, print_pdf
from safegeo.scorecard.result import ScorecardResult
from safegeo.scorecard.score import DIMENSIONS, FAMILY_CATEGORY, Indicator, composite, indicator, normalise, ranks

__all__ = ["DIMENSIONS", "FAMILY_CATEGORY", "Indicator", "ScorecardResult", "composite", "demo_step",
           "district_report", "indicator", "normalise", "print_pdf", "ranks", "scorecard"]
