"""Which district and tambon each place is in: one lookup, one rule on boundaries, one summary shape.

Every analysis that reports per district or tambon asks :class:`AreaIndex`
(``study.areas``), so the same village lands in the same district in every
summary, and per-area tables share one shape (:func:`area_summary`).

The rules
---------
* A **point** is in the polygon that contains it.  On a boundary shared by two
  areas (or where areas overlap) it goes to the area with the smallest id, so
  the answer does not depend on the order of the rows.
* A **line** (a road segment) is where its midpoint is.
* When tambons are given and carry ``district_id``, a place's district is its
  tambon's district: tambon figures always add up to their district's.  A
  place in no tambon falls back to the district polygons.
* A place outside every area gets no id and ``in_area = False``, so callers
  can say so (a village on the coast outside the amphoe polygons, an incident
  at sea).

Summary shape
-------------
One row per area and level: ``level`` (``"district"``, ``"tambon"``),
``area_id``, ``name_en``, ``name_th`` (when the areas have them), then the
analysis's columns; the whole study is one more row with ``level = "study"``
and ``area_id = "ALL"`` (:data:`STUDY_ROW_ID`).

Examples
--------
>>> import geopandas as gpd, shapely
>>> d = gpd.GeoDataFrame({"district_id": ["A", "B"], "name_en": ["West", "East"]},
...                      geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], crs="EPSG:32647")
>>> idx = AreaIndex(d)
>>> idx.locate(gpd.GeoSeries(shapely.points([[5, 5], [10, 5], [30, 5]]), crs="EPSG:32647"))["district_id"].tolist()
['A', 'A', None]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

#: ``area_id`` of the whole-study row of every summary.
STUDY_ROW_ID = "ALL"
#: Levels of a summary, finest last.
LEVELS = ("district", "tambon")
#: Columns that identify a row of a per-area summary, in order.
KEY_COLUMNS = ("level", "area_id", "name_en", "name_th")

_ID = {"district": "district_id", "tambon": "tambon_id"}
_LABEL = {"district": "district", "tambon": "tambon"}


def _labels(areas: gpd.GeoDataFrame, id_col: str) -> np.ndarray:
    """English name where there is one, else the id."""
    ids = areas[id_col].astype(str).to_numpy(object)
    if "name_en" in areas.columns:
        names = areas["name_en"].astype(object).to_numpy()
        return np.where(pd.isna(names) | (pd.Series(names).astype(str).str.strip() == "").to_numpy(), ids, names)
    return ids


def _first_by_id(pi: np.ndarray, ai: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """Per query, the candidate area with the smallest id (-1 without candidate)."""
    out = np.full(n, -1, dtype=np.int64)
    if len(pi) == 0:
        return out
    rank = np.argsort(np.argsort(ids.astype(str), kind="stable"), kind="stable")  # order of each area by id
    order = np.lexsort((rank[ai], pi))
    pi, ai = pi[order], ai[order]
    first = np.r_[True, pi[1:] != pi[:-1]]
    out[pi[first]] = ai[first]
    return out


@dataclass
class _Level:
    name: str
    areas: gpd.GeoDataFrame
    id_col: str
    ids: np.ndarray
    labels: np.ndarray
    tree: shapely.STRtree


class AreaIndex:
    """Districts and tambons, ready to say which one holds a point or a line.

    Parameters
    ----------
    districts, tambons
        Polygons with ``district_id`` / ``tambon_id`` (and ``name_en``,
        ``name_th``); either may be None.  Tambons with a ``district_id``
        decide the district of what they hold.
    """

    def __init__(self, districts: gpd.GeoDataFrame | None = None, tambons: gpd.GeoDataFrame | None = None) -> None:
        self.levels: dict[str, _Level] = {}
        for name, frame in (("district", districts), ("tambon", tambons)):
            col = _ID[name]
            if frame is None or len(frame) == 0 or col not in frame.columns:
                continue
            frame = frame.reset_index(drop=True)
            self.levels[name] = _Level(name, frame, col, frame[col].astype(object).to_numpy(), _labels(frame, col),
                                       shapely.STRtree(frame.geometry.values))
        self.crs = next((CRS.from_user_input(lv.areas.crs) for lv in self.levels.values() if lv.areas.crs), None)
        t = self.levels.get("tambon")
        self._tambon_district = (t.areas["district_id"].astype(object).to_numpy()
                                 if t is not None and "district_id" in t.areas.columns else None)

    def __bool__(self) -> bool:
        return bool(self.levels)

    def has(self, level: str) -> bool:
        return level in self.levels

    def areas(self, level: str) -> gpd.GeoDataFrame | None:
        lv = self.levels.get(level)
        return lv.areas if lv is not None else None

    # -- lookup -----------------------------------------------------------------------------------
    def _points(self, geoms: gpd.GeoSeries | np.ndarray | Sequence, crs: CRS | None) -> np.ndarray:
        g = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
        if isinstance(g, gpd.GeoSeries):
            if self.crs is not None and g.crs is not None and CRS.from_user_input(g.crs) != self.crs:
                g = g.to_crs(self.crs)
            arr = np.asarray(g.values, dtype=object)
        else:
            arr = np.asarray(g, dtype=object)
            if crs is not None and self.crs is not None and CRS.from_user_input(crs) != self.crs:
                arr = gpd.GeoSeries(arr, crs=crs).to_crs(self.crs).values
        types = shapely.get_type_id(arr)
        lines = (types == 1) | (types == 5)  # (multi)lines: by their midpoint
        polys = (types == 3) | (types == 6)  # polygons: by a point surely inside
        if lines.any() or polys.any():
            arr = arr.copy()
            if lines.any():
                from safegeo.network.snap import line_points

                single = lines & (types == 1)
                arr[single] = shapely.points(line_points(arr[single], fraction=0.5))
                multi = lines & (types == 5)
                if multi.any():
                    arr[multi] = shapely.line_interpolate_point(arr[multi], 0.5, normalized=True)
            if polys.any():
                arr[polys] = shapely.point_on_surface(arr[polys])
        return arr

    def rows(self, level: str, geoms, *, crs: CRS | str | None = None) -> np.ndarray:
        """Row (in the level's polygons) holding each place; -1 outside every area of the level."""
        pts = self._points(geoms, CRS.from_user_input(crs) if crs is not None else None)
        return self._rows_of_points(level, pts)

    def _rows_of_points(self, level: str, pts: np.ndarray, trees: dict | None = None) -> np.ndarray:
        lv = self.levels.get(level)
        if lv is None or len(pts) == 0:
            return np.full(len(pts), -1, dtype=np.int64)
        ok = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
        q = pts[ok]
        if len(q) > 20 * len(lv.ids):
            # many places, few areas: each area polygon is prepared once and asks a tree of the places
            # (the other way round, every place tests its areas unprepared: 3x slower on a province)
            trees = trees if trees is not None else {}
            if "places" not in trees:
                trees["places"] = shapely.STRtree(q)
            ai, pi = trees["places"].query(lv.areas.geometry.values, predicate="intersects")
        else:
            pi, ai = lv.tree.query(q, predicate="intersects")
        out = np.full(len(pts), -1, dtype=np.int64)
        out[ok] = _first_by_id(pi, ai, lv.ids, int(ok.sum()))
        return out

    def locate(self, geoms, *, crs: CRS | str | None = None) -> pd.DataFrame:
        """District and tambon of each place (points, lines by their midpoint, polygons by an inner point).

        Returns
        -------
        DataFrame
            ``district_id``, ``district`` (English name, else the id),
            ``tambon_id``, ``tambon`` (when tambons are given) and ``in_area``
            (False for places outside every area), in the order of *geoms*.
        """
        n = len(geoms)
        out = pd.DataFrame(index=np.arange(n))
        pts = self._points(geoms, CRS.from_user_input(crs) if crs is not None else None) if self.levels else None
        trees: dict = {}  # one tree of the places for both levels
        t_row = self._rows_of_points("tambon", pts, trees) if "tambon" in self.levels else np.full(n, -1)
        d_row = self._rows_of_points("district", pts, trees) if "district" in self.levels else np.full(n, -1)
        d = self.levels.get("district")
        dist_id = np.where(d_row >= 0, d.ids[np.maximum(d_row, 0)], None) if d is not None else np.full(n, None)
        if self._tambon_district is not None:
            from_tambon = np.where(t_row >= 0, self._tambon_district[np.maximum(t_row, 0)], None)
            dist_id = np.where(pd.notna(from_tambon), from_tambon, dist_id)
        dist_id = np.asarray(dist_id, dtype=object)
        out["district_id"] = dist_id
        if d is not None:  # the district's label, else its id (a tambon's district missing from the districts)
            known = pd.notna(dist_id)
            ids = pd.Index(d.ids.astype(object))
            keep = ~ids.duplicated(keep="last")
            labels = d.labels.astype(object)[keep]
            pos = np.full(n, -1, dtype=np.int64)
            if known.any():
                pos[known] = ids[keep].get_indexer(dist_id[known])
            out["district"] = np.where(pos >= 0, labels[np.maximum(pos, 0)], np.where(known, dist_id, None))
        else:
            out["district"] = out["district_id"]
        t = self.levels.get("tambon")
        if t is not None:
            out["tambon_id"] = np.where(t_row >= 0, t.ids[np.maximum(t_row, 0)], None)
            out["tambon"] = np.where(t_row >= 0, t.labels[np.maximum(t_row, 0)], None)
        out["in_area"] = (d_row >= 0) | (t_row >= 0) if self.levels else np.ones(n, bool)
        return out

    def add_columns(self, frame: gpd.GeoDataFrame, *, geoms=None) -> gpd.GeoDataFrame:
        """*frame* with the columns of :meth:`locate` added (replacing any of the same name)."""
        loc = self.locate(frame.geometry if geoms is None else geoms, crs=frame.crs if geoms is None else None)
        out = frame.copy()
        for c in loc.columns:
            out[c] = loc[c].to_numpy()
        return out

    # -- summaries --------------------------------------------------------------------------------
    def summary(
        self,
        frame: pd.DataFrame,
        *,
        sums: Sequence[str] = (),
        shares: Mapping[str, tuple[str, str]] | None = None,
        levels: Sequence[str] = LEVELS,
        total: bool = True,
        extra: Mapping[str, pd.DataFrame] | None = None,
        round_shares: int = 4,
    ) -> pd.DataFrame:
        """Per-area sums of *frame*'s columns, in the one summary shape (see the module doc).

        Parameters
        ----------
        frame
            One row per item, with ``district_id`` (and ``tambon_id``) as
            from :meth:`locate`, and the columns to sum.
        sums
            Columns summed per area.
        shares
            New column -> (numerator, denominator) of two summed columns;
            NaN where the denominator is 0.
        levels
            Levels to report (those the index has).
        total
            Add the whole-study row (``level = "study"``, ``area_id = "ALL"``).
        extra
            Level -> a frame indexed by area id with more columns to join.

        Returns
        -------
        DataFrame
            Every area of each level, even those with no item (zeros).
        """
        shares = dict(shares or {})
        frames = []
        for level in levels:
            lv = self.levels.get(level)
            if lv is None:
                continue
            col = _ID[level]
            key = frame[col] if col in frame.columns else pd.Series([None] * len(frame), index=frame.index)
            g = pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce").fillna(0.0).to_numpy(float) for c in sums},
                             index=frame.index).groupby(key.to_numpy(object), dropna=True).sum()
            g = g.reindex(lv.ids, fill_value=0.0)
            out = pd.DataFrame({"level": level, "area_id": lv.ids})
            for c in ("name_en", "name_th"):
                if c in lv.areas.columns:
                    out[c] = lv.areas[c].astype(object).to_numpy()
            if level == "tambon" and "district_id" in lv.areas.columns:
                out["district_id"] = lv.areas["district_id"].astype(object).to_numpy()
            for c in sums:
                out[c] = g[c].to_numpy(float) if c in g.columns else 0.0
            if extra and level in extra:
                ex = extra[level]
                for c in ex.columns:
                    out[c] = ex[c].reindex(lv.ids).to_numpy()
            frames.append(out)
        if total:
            row: dict = {"level": "study", "area_id": STUDY_ROW_ID}
            for c in sums:
                row[c] = float(pd.to_numeric(frame[c], errors="coerce").fillna(0.0).sum()) if c in frame.columns else 0.0
            if extra and "study" in extra:
                ex = extra["study"]
                for c in ex.columns:
                    row[c] = ex[c].iloc[0] if len(ex) else None
            frames.append(pd.DataFrame([row]))
        if not frames:
            return pd.DataFrame(columns=["level", "area_id", *sums, *shares])
        table = pd.concat(frames, ignore_index=True)
        for name, (num, den) in shares.items():
            a = table[num].to_numpy(float)
            b = table[den].to_numpy(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                table[name] = np.round(np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan), round_shares)
        return table


def area_of(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, id_col: str) -> np.ndarray:
    """Id of the area holding each point (None outside all areas), by the rule of :class:`AreaIndex`."""
    level = "district" if id_col == "district_id" else "tambon"
    if areas is None or len(areas) == 0 or id_col not in areas.columns:
        return np.full(len(points), None, dtype=object)
    index = AreaIndex(**{f"{level}s": areas})
    col = index.locate(points.geometry)[id_col]
    return col.to_numpy(object)
