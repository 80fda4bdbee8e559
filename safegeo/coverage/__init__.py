"""Coverage of roads by street lights, CCTV cameras and SOS buttons, the gaps, and a district roll-up.

Coverage is kept as 1-D intervals along each road segment (metres from the
segment's first vertex), which makes it exact and fast:

* **Street lights** cover the road within ``radius_m`` of the light: the
  intersection of a circle with each straight piece of the road is solved
  analytically (a quadratic in the piece parameter).
* **Cameras** cover a sector: ``direction_deg`` is the compass bearing of the
  view axis (0 north, 90 east), ``fov_deg`` the whole opening angle and
  ``range_m`` the reach; no direction (or ``fov_deg >= 360``) means all round.
  A sector of at most 180° is a disc cut by two half-planes, so its
  intersection with a straight piece is one interval; wider sectors are split
  into two halves.  Optional building footprints (``obstacles``) block the
  view: the shadow of every building edge is subtracted exactly.
* **SOS buttons** cover what a person reaches on foot within ``max_walk_m``
  along the walking network (walk to the road, then along it): one
  multi-source Dijkstra pass from all buttons.  A button across a river with
  no bridge does not cover the far bank.

Candidate (asset, road piece) pairs come from one STRtree query; the interval
arithmetic is plain numpy.  Intervals of all assets are merged per segment
(sort, running maximum), so overlapping assets are never counted twice and no
segment is ever more than fully covered.  The complement of the merged
intervals are the **gaps**, cut out of the road geometry exactly where
coverage starts and stops, and weighted by priority (hazard zones, border
districts, schools/markets and incidents nearby; weights in
``[coverage.weights]`` of the study file).

:func:`analyze_coverage` runs everything on a :class:`~safegeo.study.StudyArea`
and returns a :class:`CoverageResult` (segments, gaps, district and tambon
roll-ups, camera sectors, proposals from :mod:`safegeo.coverage.siting`).

Examples
--------
>>> from safegeo.study import load_study                      # doctest: +SKIP
>>> study = load_study("out/demo/data/study.toml")            # doctest: +SKIP
>>> res = analyze_coverage(study, propose=10, asset_type="lights")  # doctest: +SKIP
>>> res.districts[["district", "road_km", "lit_pct", "high_priority_gap_km"]]  # doctest: +SKIP
"""

from safegeo._errors import CoverageError
from safegeo.coverage.analysis import analyze_coverage, demo_step
from safegeo.coverage.assets import (
    ASSETS,
    HIGH_PRIORITY_WEIGHT,
    PREFIX,
    camera_coverage,
    camera_sectors,
    light_coverage,
    sos_coverage,
)
from safegeo.coverage.gaps import (
    coverage_gaps,
    gap_priority,
    high_priority_gap_m,
    road_segments,
    rollup,
)
from safegeo.coverage.intervals import Intervals, SegmentIndex
from safegeo.coverage.result import CoverageResult, coverage_map, write_coverage
from safegeo.coverage.siting import propose_sites

__all__ = [
    "ASSETS",
    "HIGH_PRIORITY_WEIGHT",
    "PREFIX",
    "CoverageError",
    "CoverageResult",
    "Intervals",
    "SegmentIndex",
    "analyze_coverage",
    "camera_coverage",
    "camera_sectors",
    "coverage_gaps",
    "coverage_map",
    "demo_step",
    "gap_priority",
    "high_priority_gap_m",
    "light_coverage",
    "propose_sites",
    "road_segments",
    "rollup",
    "sos_coverage",
    "write_coverage",
]
