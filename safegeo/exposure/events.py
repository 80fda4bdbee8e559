"""Repeat-disaster areas: which tambons are hit by the same kind of disaster year after year.

The records come as the DDPM keeps them — a table of declared disaster areas
keyed by tambon code — or as points (an incident) or polygons (a flood
extent).  Every kind is a kind like any other: flood, landslide, storm,
drought, fire, haze (PM2.5), epidemic, unrest, ...

Per tambon and kind :func:`repeat_disasters` counts the events, the events per
year over a window, the years affected out of the last *window_years*, the
last event, and the people affected, and flags a **repeat-disaster area**
when the tambon was affected in at least *min_years_affected* of the last
*window_years* years (``[events]``: 3 of 5 by default).

Dates: ``date`` (one day), or ``start`` and ``end`` (an event spanning the new
year counts in each year it touches).  "The last N years" end with ``as_of``
(``[events] as_of``; default the latest event in the records, so an old
register is judged on its own last years).

Examples
--------
>>> import pandas as pd, geopandas as gpd
>>> ev = gpd.GeoDataFrame({"tambon_id": ["T1"] * 3 + ["T2"], "kind": "flood",
...                        "date": ["2021-11-02", "2022-12-10", "2024-01-05", "2024-01-06"]},
...                       geometry=[None] * 4, crs="EPSG:4326")
>>> t = repeat_disasters(ev, as_of="2024-12-31")
>>> t.set_index("tambon_id")["repeat_area"].to_dict()
{'T1': True, 'T2': False}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo._errors import Problem, SafegeoError, ValidationError
from safegeo.areas import AreaIndex
from safegeo.settings import resolve

log = logging.getLogger(__name__)

#: Columns of :func:`repeat_disasters`' table, after ``tambon_id``, ``kind``.
COLUMNS = ("events", "events_per_year", "years_affected", "window_years", "last_event", "affected", "repeat_area")


class EventError(SafegeoError, ValueError):
    """Event records that cannot be read as dates or placed in a tambon."""


def _dates(events: pd.DataFrame, source: str) -> tuple[pd.Series, pd.Series]:
    """(start, end) day of every event, from ``date`` or ``start``/``end``; bad values are errors with rows."""
    def parse(col: str) -> pd.Series:
        return pd.to_datetime(events[col].astype("string").str.strip(), errors="coerce", format="mixed")

    if "date" in events.columns:
        start = parse("date")
        end = start.copy()
        if "start" in events.columns:
            start = start.fillna(parse("start"))
        if "end" in events.columns:
            end = end.fillna(parse("end"))
        end = end.fillna(start)
    elif "start" in events.columns:
        start = parse("start")
        end = parse("end").fillna(start) if "end" in events.columns else start
    else:
        raise ValidationError([Problem("events", "has no date (a 'date' column, or 'start' and 'end')", "error", source,
                                       fix="add the day of each event, e.g. date = 2024-11-30, or map your column: "
                                           'columns = { date = "วันที่" }')])
    bad = start.isna().to_numpy()
    if bad.any():
        rows = tuple(int(i) + 1 for i in np.flatnonzero(bad))
        raise ValidationError([Problem("events", f"has {bad.sum()} event(s) without a readable date", "error", source,
                                       "date", rows, "write dates as YYYY-MM-DD (Buddhist-era years: subtract 543)")])
    backwards = (end < start).to_numpy()
    if backwards.any():
        rows = tuple(int(i) + 1 for i in np.flatnonzero(backwards))
        raise ValidationError([Problem("events", f"has {backwards.sum()} event(s) ending before they start", "error",
                                       source, "end", rows, "swap start and end")])
    return start, end


def _buddhist_era(start: pd.Series) -> pd.Series:
    """Years written in the Buddhist era (B.E. = C.E. + 543, e.g. 2567) brought back to the common era."""
    be = start.dt.year > 2300
    if be.any():
        log.info("events: %d date(s) in the Buddhist era read as year - 543", int(be.sum()))
        start = start.where(~be, start - pd.DateOffset(years=543))
    return start


def event_tambons(events: gpd.GeoDataFrame, areas: AreaIndex) -> pd.DataFrame:
    """Which tambon each event concerns: ``event`` (row of *events*) and ``tambon_id``, one row per pair.

    A table with ``tambon_id`` is taken as it is; a point is in one tambon; a
    polygon (a flood extent) concerns every tambon it overlaps.
    """
    n = len(events)
    geom = events.geometry.values if events.geometry is not None else np.full(n, None)
    has_geom = ~(gpd.GeoSeries(geom).isna() | gpd.GeoSeries(geom).is_empty).to_numpy()
    code = events["tambon_id"].astype("string").str.strip() if "tambon_id" in events.columns else \
        pd.Series(pd.NA, index=events.index, dtype="string")
    out = [pd.DataFrame({"event": np.flatnonzero(code.notna().to_numpy()),
                         "tambon_id": code[code.notna()].to_numpy(object)})]
    todo = np.flatnonzero(code.isna().to_numpy() & has_geom)
    if len(todo):
        tam = areas.areas("tambon")
        if tam is None:
            raise EventError("events with a location need a tambons layer to be placed",
                             hint="add tambons under [layers], or give each event its tambon_id")
        g = gpd.GeoSeries(geom[todo], crs=events.crs).to_crs(tam.crs)
        types = g.geom_type.to_numpy()
        pts = np.isin(types, ["Point", "MultiPoint"])
        if pts.any():
            rows = areas.rows("tambon", g[pts].values)
            ok = rows >= 0
            out.append(pd.DataFrame({"event": todo[pts][ok],
                                     "tambon_id": tam["tambon_id"].astype(object).to_numpy()[rows[ok]]}))
        if (~pts).any():
            tree = areas.levels["tambon"].tree
            ei, ti = tree.query(g[~pts].values, predicate="intersects")
            out.append(pd.DataFrame({"event": todo[~pts][ei], "tambon_id": tam["tambon_id"].astype(object).to_numpy()[ti]}))
    return pd.concat(out, ignore_index=True)


def repeat_disasters(
    events: gpd.GeoDataFrame,
    *,
    areas: AreaIndex | None = None,
    params: Mapping | None = None,
    window_years: int | None = None,
    min_years_affected: int | None = None,
    as_of: str | None = None,
    source: str = "events",
) -> pd.DataFrame:
    """Per tambon and kind: events, events per year, years affected of the last N, last event, repeat-area flag.

    Parameters
    ----------
    events
        Event records with ``kind`` and ``date`` (or ``start``/``end``), and
        ``tambon_id`` or a geometry; optional ``affected`` (people).
    areas
        The study's areas (needed for events given by location).
    params
        The study's parameters (``[events]``).
    window_years, min_years_affected, as_of
        Overrides of ``[events]``: affected in at least *min_years_affected*
        of the last *window_years* years up to *as_of* (default: the latest event).

    Returns
    -------
    DataFrame
        ``tambon_id``, ``kind``, ``events`` (all time), ``events_per_year``
        (in the window), ``years_affected`` (in the window), ``window_years``,
        ``last_event`` (ISO date), ``affected`` (people, in the window) and
        ``repeat_area``.

    Raises
    ------
    ValidationError
        Dates missing or unreadable (rows named).
    EventError
        Events by location without a tambons layer.
    """
    cfg = resolve(params, "events", window_years=window_years, min_years_affected=min_years_affected,
                  as_of=as_of if as_of is not None else None)
    window, min_years = int(cfg["window_years"]), int(cfg["min_years_affected"])
    if min_years > window:
        raise EventError(f"min_years_affected ({min_years}) cannot exceed window_years ({window})",
                         hint="e.g. 3 of the last 5 years")
    if len(events) == 0:
        return pd.DataFrame(columns=["tambon_id", "kind", *COLUMNS])
    if "kind" not in events.columns:
        raise ValidationError([Problem("events", "is missing", "error", source, "kind",
                                       fix='add a kind column (flood, landslide, ...) or map yours: columns = { kind = "..." }')])
    start, end = _dates(events, source)
    start, end = _buddhist_era(start), _buddhist_era(end)
    end_of = pd.Timestamp(cfg["as_of"]) if cfg["as_of"] else end.max()
    if pd.isna(end_of):
        raise EventError(f"[events] as_of {cfg['as_of']!r} is not a date", hint='e.g. as_of = "2026-11-28"')
    last_year = int(end_of.year)
    first_year = last_year - window + 1
    pairs = event_tambons(events, areas or AreaIndex())
    if pairs.empty:
        return pd.DataFrame(columns=["tambon_id", "kind", *COLUMNS])
    ev = pairs["event"].to_numpy()
    kind = events["kind"].astype("string").str.strip().str.lower().to_numpy(object)[ev]
    y0 = start.dt.year.to_numpy()[ev]
    y1 = end.dt.year.to_numpy()[ev]
    affected = pd.to_numeric(events["affected"], errors="coerce").fillna(0.0).to_numpy()[ev] \
        if "affected" in events.columns else np.zeros(len(ev))
    base = pd.DataFrame({"tambon_id": pairs["tambon_id"].to_numpy(object), "kind": kind, "event": ev,
                         "y0": y0, "y1": y1, "last": end.to_numpy()[ev], "affected": affected})
    base = base[base["y0"] <= last_year]  # events after as_of are not counted
    # one row per (event, year it touches) inside the window
    span = (np.minimum(base["y1"], last_year) - np.maximum(base["y0"], first_year) + 1).clip(lower=0).to_numpy()
    years = pd.DataFrame({"tambon_id": np.repeat(base["tambon_id"].to_numpy(), span),
                          "kind": np.repeat(base["kind"].to_numpy(), span),
                          "year": np.repeat(np.maximum(base["y0"], first_year).to_numpy(), span)
                          + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))})
    in_window = (base["y1"] >= first_year).to_numpy()
    g = base.groupby(["tambon_id", "kind"], sort=True)
    out = g.agg(events=("event", "nunique"), last_event=("last", "max")).reset_index()
    win = base[in_window].groupby(["tambon_id", "kind"]).agg(n_window=("event", "nunique"), affected=("affected", "sum"))
    yrs = years.groupby(["tambon_id", "kind"])["year"].nunique().rename("years_affected")
    out = out.join(win, on=["tambon_id", "kind"]).join(yrs, on=["tambon_id", "kind"])
    out["n_window"] = out["n_window"].fillna(0).astype(int)
    out["years_affected"] = out["years_affected"].fillna(0).astype(int)
    out["affected"] = out["affected"].fillna(0.0)
    out["events_per_year"] = np.round(out["n_window"] / window, 3)
    out["window_years"] = f"{first_year}-{last_year}"
    out["last_event"] = pd.to_datetime(out["last_event"]).dt.strftime("%Y-%m-%d")
    out["repeat_area"] = out["years_affected"] >= min_years
    return out[["tambon_id", "kind", *COLUMNS]].reset_index(drop=True)


def repeat_flags(table: pd.DataFrame) -> pd.DataFrame:
    """Per tambon (one row): ``repeat_kinds`` (comma-separated kinds flagged) and ``repeat_area`` (any)."""
    if table.empty:
        return pd.DataFrame(columns=["repeat_kinds", "repeat_area", "events"]).rename_axis("tambon_id")
    flagged = table[table["repeat_area"]]
    kinds = flagged.groupby("tambon_id")["kind"].agg(lambda k: ", ".join(sorted(k)))
    out = pd.DataFrame({"events": table.groupby("tambon_id")["events"].sum()})
    out["repeat_kinds"] = kinds.reindex(out.index).fillna("")
    out["repeat_area"] = out["repeat_kinds"] != ""
    return out
