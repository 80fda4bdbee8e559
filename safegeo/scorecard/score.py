"""The composite score: INFORM-style normalisation, grouping and aggregation, and ranks.

Method (after the JRC INFORM risk index; see :mod:`safegeo.scorecard`):

1. **Normalise** each indicator to 0-10 by min-max scaling between fixed,
   documented bounds: ``10 * (x - best) / (worst - best)``, clipped to
   [0, 10].  ``best`` may be above ``worst`` (shares within 15 min: best 1,
   worst 0), so 10 always means "needs help most".  Bounds come from
   ``[scorecard] best`` / ``worst`` per indicator *family* (``median_min``
   covers every vehicle type's median ETA).
2. **Categories**: the weighted arithmetic mean of their normalised
   indicators (``[scorecard] weights``); an indicator that is missing for an
   area (NaN) is left out and the other weights are rescaled.
3. **Dimensions**: the arithmetic mean of their categories.
4. **Score**: the weighted geometric mean of the dimensions
   (``[scorecard] dimension_weights``), as INFORM combines hazard & exposure,
   vulnerability and lack of coping capacity; ``between_dimensions =
   "arithmetic"`` uses the weighted arithmetic mean instead.  A dimension
   with no indicator at all (e.g. no hazard, so no exposure) is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from safegeo._errors import ScorecardError


@dataclass(frozen=True)
class Indicator:
    """One scorecard indicator: its column, family (the key of its bounds and weight), category and dimension."""

    column: str
    family: str
    category: str
    dimension: str


#: Dimension -> categories, in the order shown.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "hazard_exposure": ("exposure", "history"),
    "evacuation": ("travel", "capacity", "fragility"),
    "coping": ("response", "coverage"),
}

#: Family -> category (the dimension follows from :data:`DIMENSIONS`).
FAMILY_CATEGORY: dict[str, str] = {
    "exposed_share": "exposure",
    "repeat_area": "history",
    "is_border": "history",
    "share_within_15min": "travel",
    "share_within_30min": "travel",
    "share_within_60min": "travel",
    "overflow_share": "capacity",
    "share_cut_off_by_one_road": "fragility",
    "median_min": "response",
    "p90_min": "response",
    "lit_pct": "coverage",
    "seen_pct": "coverage",
    "sos_pct": "coverage",
}

_CATEGORY_DIMENSION = {c: d for d, cats in DIMENSIONS.items() for c in cats}


def indicator(column: str, family: str) -> Indicator:
    """The :class:`Indicator` of *column* in *family*."""
    cat = FAMILY_CATEGORY[family]
    return Indicator(column, family, cat, _CATEGORY_DIMENSION[cat])


def normalise(values: pd.Series | np.ndarray, *, best: float, worst: float) -> np.ndarray:
    """Min-max scale to 0 (at *best*) .. 10 (at *worst*), clipped; NaN stays NaN.

    Examples
    --------
    >>> normalise(np.array([0.0, 0.25, 1.0, 2.0]), best=0.0, worst=1.0).tolist()
    [0.0, 2.5, 10.0, 10.0]
    >>> normalise(np.array([1.0, 0.8]), best=1.0, worst=0.0).tolist()
    [0.0, 2.0]
    """
    if best == worst:
        raise ScorecardError(f"best and worst bounds are equal ({best:g})",
                             hint="set different [scorecard] best and worst values for this indicator")
    x = np.asarray(values, dtype=float)
    return np.clip(10.0 * (x - best) / (worst - best), 0.0, 10.0) + 0.0  # no -0.0


def _weighted_mean(frame: pd.DataFrame, weights: Sequence[float]) -> np.ndarray:
    """Row-wise weighted mean over the non-missing cells (NaN when every cell is missing or weights are 0)."""
    v = frame.to_numpy(float)
    w = np.broadcast_to(np.asarray(weights, float), v.shape)
    have = ~np.isnan(v)
    den = np.where(have, w, 0.0).sum(axis=1)
    num = np.where(have, v * w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def composite(table: pd.DataFrame, indicators: Sequence[Indicator], settings: Mapping[str, Any]) -> pd.DataFrame:
    """Normalised indicators, category and dimension scores and the score of every row of *table*.

    Parameters
    ----------
    table
        One row per area with the indicator columns.
    indicators
        Which columns count, and where (:func:`indicator`).
    settings
        The ``[scorecard]`` settings (``best``, ``worst``, ``weights``,
        ``dimension_weights``, ``between_dimensions``).

    Returns
    -------
    DataFrame
        Same index: ``n_<column>`` (0-10), ``cat_<category>``,
        ``dim_<dimension>`` and ``score`` (0-10, NaN when nothing is known).

    Examples
    --------
    >>> from safegeo.settings import resolve
    >>> t = pd.DataFrame({"evac_share_within_30min": [1.0, 0.5], "lit_pct": [50.0, 0.0]})
    >>> ind = [indicator("evac_share_within_30min", "share_within_30min"), indicator("lit_pct", "lit_pct")]
    >>> composite(t, ind, resolve(None, "scorecard"))["score"].round(3).tolist()
    [0.0, 7.071]
    """
    out = pd.DataFrame(index=table.index)
    best, worst, weights = settings["best"], settings["worst"], settings["weights"]
    for ind in indicators:
        out[f"n_{ind.column}"] = normalise(table[ind.column], best=float(best[ind.family]),
                                           worst=float(worst[ind.family]))
    cats: dict[str, list[Indicator]] = {}
    for ind in indicators:
        cats.setdefault(ind.category, []).append(ind)
    dims: dict[str, list[str]] = {}
    for dim, categories in DIMENSIONS.items():
        for cat in categories:
            mine = cats.get(cat)
            if not mine:
                continue
            out[f"cat_{cat}"] = _weighted_mean(out[[f"n_{i.column}" for i in mine]],
                                               [float(weights[i.family]) for i in mine])
            dims.setdefault(dim, []).append(f"cat_{cat}")
    dim_cols = []
    for dim, cols in dims.items():
        out[f"dim_{dim}"] = _weighted_mean(out[cols], [1.0] * len(cols))
        dim_cols.append(dim)
    if not dim_cols:
        out["score"] = np.nan
        return out
    d = out[[f"dim_{x}" for x in dim_cols]].to_numpy(float)
    w = np.broadcast_to(np.array([float(settings["dimension_weights"][x]) for x in dim_cols]), d.shape)
    have = ~np.isnan(d)
    den = np.where(have, w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if settings["between_dimensions"] == "geometric":
            logs = np.where(have & (w > 0), w * np.log(np.where(have, np.maximum(d, 0.0), 1.0)), 0.0)
            score = np.exp(logs.sum(axis=1) / np.where(den > 0, den, 1.0))
        else:
            score = np.where(have, d * w, 0.0).sum(axis=1) / np.where(den > 0, den, 1.0)
    out["score"] = np.where(den > 0, np.round(score, 6), np.nan)
    return out


def ranks(frame: pd.DataFrame, *, by: str | None = None, column: str = "score") -> pd.Series:
    """Rank 1 = highest *column* (needs help first), within each *by* group (or over all rows); ties share a rank.

    Rows with no score get no rank (``<NA>``).

    Examples
    --------
    >>> f = pd.DataFrame({"d": ["A", "A", "B"], "score": [2.0, 5.0, 1.0]})
    >>> ranks(f, by="d").tolist()
    [2, 1, 1]
    """
    s = frame[column].astype(float)
    r = s.groupby(frame[by]).rank(method="min", ascending=False) if by else s.rank(method="min", ascending=False)
    return r.astype("Int64")
