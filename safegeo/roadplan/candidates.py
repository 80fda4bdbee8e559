"""Road-improvement candidates: one table, read from a planner's file (checked row by row) or generated.

Four kinds of project:

* ``new_link`` — a new two-way road between two junctions (one-way with ``oneway``);
* ``bridge`` — a new link that crosses water (a river without a bridge);
* ``upgrade`` — existing roads raised to a faster class (``highway``) or speed (``speed_kph``);
* ``floodproof`` — existing roads made passable under the hazard (raised, culverted).

A candidate file is a GeoPackage / GeoJSON / Shapefile of lines, or a CSV
with a ``wkt`` column or ``from_lon, from_lat, to_lon, to_lat`` (links) or
``road_id`` / ``edge`` (existing roads).  Columns: ``kind`` (required),
``candidate_id``, ``name``, ``cost`` (million baht; estimated from
``[roadplan] unit_cost_mthb_per_km`` when missing), ``highway`` or
``speed_kph``, ``oneway``.  A link's ends join the nearest junction within
``[roadplan] endpoint_snap_m``; the roads of an upgrade or flood-proofing
drawn as a line are every road lying within ``[roadplan] match_m`` of it.
Every problem in the file is reported at once, with its row and the fix.

Examples
--------
>>> cands = read_candidates("projects.csv", study.network())        # doctest: +SKIP
>>> cands.table[["candidate_id", "kind", "cost", "length_m"]]       # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from safegeo._errors import Problem, RoadPlanError
from safegeo.hazards import HAZARD_PROOF_COLUMN
from safegeo.network import DEFAULT_SPEED_KPH, DRIVE_CLASSES, RoadNetwork, speeds_for
from safegeo.network.snap import ACCESS_COLUMN, road_groups

log = logging.getLogger(__name__)

#: Kinds of candidate project.
KINDS = ("new_link", "bridge", "upgrade", "floodproof")
#: Kinds that add a road.
LINK_KINDS = ("new_link", "bridge")
#: Spellings a planner may use for each kind.
KIND_ALIASES = {"link": "new_link", "new_road": "new_link", "newlink": "new_link", "road": "new_link",
                "flood_proof": "floodproof", "floodproofing": "floodproof", "flood_proofing": "floodproof",
                "raise": "floodproof", "upgrading": "upgrade", "widen": "upgrade"}
#: Columns of :attr:`CandidateSet.table`, in order (the generator adds ``detour_ratio``, ``road_m``, ``screen``).
TABLE_COLUMNS = ("candidate_id", "kind", "name", "source", "highway", "speed_kph", "oneway", "length_m", "cost",
                 "cost_estimated", "road_ids")


@dataclass
class CandidateSet:
    """Candidates as a table plus where each acts on the network.

    Attributes
    ----------
    table
        One row per candidate (:data:`TABLE_COLUMNS`), LineString (or
        MultiLineString) geometry in the network CRS.
    from_node, to_node
        Links: the network nodes (junctions) they join; ``-1`` for other kinds.
    edge_ptr, edge_rows
        Upgrades and flood-proofing: the network's edge rows of candidate *i*
        are ``edge_rows[edge_ptr[i]:edge_ptr[i + 1]]`` (both directions).
    """

    table: gpd.GeoDataFrame
    from_node: np.ndarray
    to_node: np.ndarray
    edge_ptr: np.ndarray
    edge_rows: np.ndarray

    def __len__(self) -> int:
        return len(self.table)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns the measures read, as arrays (taken from :attr:`table` on each call: edit the table freely)."""
        t = self.table
        return {"kind": t["kind"].to_numpy(object), "speed_kph": t["speed_kph"].to_numpy(float),
                "oneway": t["oneway"].fillna(False).to_numpy(bool) if t["oneway"].dtype == object
                else t["oneway"].to_numpy(bool), "geometry": t.geometry.to_numpy()}

    @property
    def kind(self) -> np.ndarray:
        return self.table["kind"].to_numpy(object)

    @property
    def ids(self) -> np.ndarray:
        return np.array([str(v) for v in self.table["candidate_id"].tolist()], dtype=object)

    def edges(self, i: int) -> np.ndarray:
        """Edge rows of candidate *i* (empty for links)."""
        return self.edge_rows[self.edge_ptr[i]:self.edge_ptr[i + 1]]

    def is_link(self) -> np.ndarray:
        return np.isin(self.kind, LINK_KINDS)

    def take(self, idx: np.ndarray) -> CandidateSet:
        """The candidates at positions *idx*, in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        counts = self.edge_ptr[idx + 1] - self.edge_ptr[idx]
        starts = np.repeat(self.edge_ptr[idx], counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        ptr = np.zeros(len(idx) + 1, np.int64)
        np.cumsum(counts, out=ptr[1:])
        return CandidateSet(self.table.iloc[idx].reset_index(drop=True), self.from_node[idx], self.to_node[idx], ptr,
                            self.edge_rows[starts + offs])

    @classmethod
    def concat(cls, sets: list[CandidateSet], crs: Any) -> CandidateSet:
        sets = [s for s in sets if len(s)]
        if not sets:
            return empty_set(crs)
        ptr = [np.zeros(1, np.int64)]
        off = 0
        for s in sets:
            ptr.append(s.edge_ptr[1:] + off)
            off += int(s.edge_ptr[-1])
        table = gpd.GeoDataFrame(pd.concat([s.table for s in sets], ignore_index=True), crs=crs)
        return cls(table, np.concatenate([s.from_node for s in sets]), np.concatenate([s.to_node for s in sets]),
                   np.concatenate(ptr), np.concatenate([s.edge_rows for s in sets]))


def empty_set(crs: Any) -> CandidateSet:
    """A candidate set with no candidate."""
    table = gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in TABLE_COLUMNS}, geometry=[], crs=crs)
    z = np.zeros(0, np.int64)
    return CandidateSet(table, z, z, np.zeros(1, np.int64), z)


def class_speeds(params: Mapping[str, Any] | None) -> tuple[dict[str, float], float]:
    """Speeds (km/h) per road class and the default speed, from ``[network]`` settings."""
    from safegeo.network import DEFAULT_SPEEDS_KPH

    net = dict((params or {}).get("network", {}))
    return ({**DEFAULT_SPEEDS_KPH, **dict(net.get("speeds_kph", {}))},
            float(net.get("default_speed_kph", DEFAULT_SPEED_KPH)))


def class_speed(highway: str, speeds: Mapping[str, float], default_kph: float) -> float:
    """Speed (km/h) of one road class."""
    return float(speeds_for(np.array([highway], dtype=object), dict(speeds), default_kph)[0])


def edge_speed_kph(network: RoadNetwork) -> np.ndarray:
    """Free-flow speed (km/h) of every edge."""
    if "speed_kph" in network.edge_data.columns:
        return np.array(pd.to_numeric(network.edge_data["speed_kph"], errors="coerce"), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return network.length_m / network.time_s * 3.6


def estimate_costs(kind: np.ndarray, length_m: np.ndarray, unit_cost_mthb_per_km: Mapping[str, float]) -> np.ndarray:
    """Rough cost (million baht): the kind's unit cost per km times the length."""
    rate = np.array([float(unit_cost_mthb_per_km.get(str(k), np.nan)) for k in kind])
    return np.round(rate * np.asarray(length_m, dtype=float) / 1000.0, 3)


def _merge_lines(geoms: np.ndarray) -> Any:
    """One line (or multi-line) from pieces of road."""
    g = shapely.line_merge(shapely.multilinestrings(list(geoms)))
    return g


def link_rows(u_nodes: np.ndarray, v_nodes: np.ndarray, network: RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates of link ends (x, y arrays of shape (k, 2))."""
    return (np.column_stack([network.x[u_nodes], network.y[u_nodes]]),
            np.column_stack([network.x[v_nodes], network.y[v_nodes]]))


# ---------------------------------------------------------------------------------------------
# reading a planner's file
# ---------------------------------------------------------------------------------------------
def read_candidates(
    source: str | Path | gpd.GeoDataFrame | pd.DataFrame,
    network: RoadNetwork,
    *,
    layer: str | None = None,
    crs: Any = None,
    params: Mapping[str, Any] | None = None,
) -> CandidateSet:
    """Read and check a candidate file (or frame) against the road network.

    Parameters
    ----------
    source
        Path of a GeoPackage / GeoJSON / Shapefile / CSV, or a (Geo)DataFrame.
    network
        The study's road network (its junctions and roads, in a projected CRS).
    layer
        Layer of a multi-layer file.
    crs
        CRS of CSV coordinates (default EPSG:4326, lon/lat) or of a file without one.
    params
        The study's parameters (``[roadplan]`` for the snapping distances, default
        classes and unit costs; ``[network]`` for class speeds).

    Returns
    -------
    CandidateSet

    Raises
    ------
    RoadPlanError
        Listing every problem (row, what is wrong, how to fix it).
    LayerReadError
        The file cannot be read.
    """
    from safegeo.settings import resolve

    rp = resolve(params, "roadplan")
    speeds, default_kph = class_speeds(params)
    name = str(source) if not isinstance(source, pd.DataFrame) else "candidates"
    frame = _read_frame(source, layer=layer, crs=crs)
    problems: list[Problem] = []

    def bad(rows: list[int] | np.ndarray, message: str, fix: str, column: str | None = None) -> None:
        rows = [int(r) for r in rows]
        if rows:
            problems.append(Problem("candidates", message, "error", name, column, tuple(rows), fix))

    n = len(frame)
    cols = {str(c).strip().lower(): c for c in frame.columns}
    if n == 0:
        raise RoadPlanError(f"{name}: the candidate file has no rows", hint="add one row per project")
    if "kind" not in cols:
        raise RoadPlanError(f"{name}: no 'kind' column (columns: {', '.join(map(str, frame.columns))})",
                            hint=f"add a column kind with one of {', '.join(KINDS)} per row")
    rownum = np.arange(1, n + 1)
    kind = frame[cols["kind"]].astype(str).str.strip().str.lower().str.replace(" ", "_").str.replace("-", "_")
    kind = kind.map(lambda k: KIND_ALIASES.get(k, k)).to_numpy(object)
    unknown = ~np.isin(kind, KINDS)
    bad(rownum[unknown], f"unknown kind ({', '.join(sorted(set(frame[cols['kind']].astype(str)[unknown])))})",
        f"kind must be one of {', '.join(KINDS)}", "kind")
    ids = (frame[cols["candidate_id"]] if "candidate_id" in cols else frame[cols["id"]] if "id" in cols
           else pd.Series([f"C{i:03d}" for i in rownum])).astype(str).str.strip().to_numpy(object)
    empty_id = (ids == "") | (ids == "nan")
    bad(rownum[empty_id], "candidate id is empty", "give every row an id (or leave the id column out)", "candidate_id")
    dup = pd.Series(ids).duplicated(keep=False).to_numpy() & ~empty_id
    bad(rownum[dup], f"candidate ids repeat ({', '.join(sorted(set(ids[dup])))})", "give every row its own id",
        "candidate_id")
    names = (frame[cols["name"]].astype(object).where(frame[cols["name"]].notna(), None).to_numpy(object)
             if "name" in cols else np.full(n, None, dtype=object))
    names = np.array([nm if isinstance(nm, str) and nm.strip() else i for nm, i in zip(names, ids, strict=True)],
                     dtype=object)
    cost = _numbers(frame, cols, "cost", n)
    bad(rownum[np.isnan(cost) & _given(frame, cols, "cost", n)], "cost is not a number",
        "write the cost in million baht as a number (e.g. 45.5), or leave it empty to estimate it", "cost")
    bad(rownum[cost < 0], "cost is negative", "costs must be >= 0 (million baht)", "cost")
    speed = _numbers(frame, cols, "speed_kph", n)
    bad(rownum[np.isnan(speed) & _given(frame, cols, "speed_kph", n)], "speed_kph is not a number",
        "write the speed in km/h (e.g. 60), or leave it empty to use the highway class", "speed_kph")
    bad(rownum[speed <= 0], "speed_kph must be > 0", "write the speed in km/h (e.g. 60)", "speed_kph")
    highway = (frame[cols["highway"]].astype(object).to_numpy(object) if "highway" in cols
               else np.full(n, None, dtype=object))
    highway = np.array([str(h).strip().lower() if isinstance(h, str) and h.strip() else None for h in highway],
                       dtype=object)
    bad_class = np.array([h is not None and h not in DRIVE_CLASSES for h in highway])
    bad(rownum[bad_class], f"unknown road class ({', '.join(sorted(set(highway[bad_class])))})",
        f"use an OSM highway class a car may use: {', '.join(sorted(DRIVE_CLASSES))}", "highway")
    oneway = _flags(frame, cols, "oneway", n)
    bad(rownum[oneway == -1], "oneway is not true/false", "write true or false (or 1 / 0, yes / no)", "oneway")

    # geometry (lines in the network CRS) where given
    geom = _geometries(frame, cols, network.crs, n, bad, name)
    is_link = np.isin(kind, LINK_KINDS)

    # links: both ends join a junction
    snap_m = float(rp["endpoint_snap_m"])
    from_node = np.full(n, -1, np.int64)
    to_node = np.full(n, -1, np.int64)
    link_geom = np.full(n, None, dtype=object)
    li = np.flatnonzero(is_link & (geom != None))  # noqa: E711 (object array)
    no_geom = np.flatnonzero(is_link & (geom == None))  # noqa: E711
    bad(rownum[no_geom], "a link needs its line (or from/to coordinates)",
        "draw the link as a line from junction to junction, or give from_lon, from_lat, to_lon, to_lat", None)
    if len(li):
        ends = np.vstack([shapely.get_coordinates(shapely.get_point(geom[li], 0)),
                          shapely.get_coordinates(shapely.get_point(geom[li], -1))])
        node, dist = network.nearest_nodes(ends)
        k = len(li)
        a, b = node[:k], node[k:]
        far = (dist[:k] > snap_m) | (dist[k:] > snap_m)
        for j in np.flatnonzero(far):
            d = max(dist[j], dist[k + j])
            bad([li[j] + 1], f"a link end is {d:,.0f} m from the nearest road junction",
                f"links join junctions within {snap_m:g} m ([roadplan] endpoint_snap_m): end the line at a junction "
                "of the road network, or raise endpoint_snap_m")
        same = (a == b) & ~far
        bad(rownum[li[same]], "both ends of the link join the same junction",
            "draw the link between two different junctions")
        ok = ~far & ~same
        from_node[li[ok]], to_node[li[ok]] = a[ok], b[ok]
        for j in np.flatnonzero(ok):
            c = shapely.get_coordinates(geom[li[j]])
            c[0] = (network.x[a[j]], network.y[a[j]])
            c[-1] = (network.x[b[j]], network.y[b[j]])
            link_geom[li[j]] = shapely.LineString(c)

    # existing roads: by road_id, edge row or a line along them
    rows_of: list[np.ndarray] = [np.zeros(0, np.int64) for _ in range(n)]
    road_ids = np.full(n, None, dtype=object)
    ex = np.flatnonzero(~is_link & ~unknown)
    if len(ex):
        _match_roads(frame, cols, network, geom, ex, rows_of, road_ids, float(rp["match_m"]), bad)

    # speeds and classes
    target = np.full(n, np.nan)
    cls = np.full(n, None, dtype=object)
    for i in range(n):
        if kind[i] in ("floodproof",) or unknown[i]:
            continue
        default_cls = rp["new_link_class"] if is_link[i] else rp["upgrade_class"]
        cls[i] = highway[i] or default_cls if not bad_class[i] else default_cls
        target[i] = speed[i] if np.isfinite(speed[i]) else class_speed(cls[i], speeds, default_kph)
    cur = edge_speed_kph(network)
    for i in np.flatnonzero(kind == "upgrade"):
        r = rows_of[i]
        if len(r) and np.isfinite(target[i]) and not (cur[r] < target[i] - 1e-9).any():
            bad([i + 1], f"the road is already {np.nanmax(cur[r]):g} km/h; an upgrade to {target[i]:g} km/h "
                         "changes nothing", "give a faster highway class or speed_kph for the upgrade")
    if problems:
        raise RoadPlanError(f"{name}: {len(problems)} problem(s) in the candidates", problems=problems,
                            hint="fix the rows listed and run again")

    # the table
    geometry = np.full(n, None, dtype=object)
    length = np.zeros(n)
    for i in range(n):
        if is_link[i]:
            geometry[i] = link_geom[i]
            length[i] = link_geom[i].length
        else:
            r = rows_of[i]
            one_way = _one_direction(network, r)
            geometry[i] = _merge_lines(network.edge_geometries(one_way))
            length[i] = float(network.length_m[one_way].sum())
    est = np.isnan(cost)
    cost = np.where(est, estimate_costs(kind, length, rp["unit_cost_mthb_per_km"]), cost)
    table = gpd.GeoDataFrame({
        "candidate_id": ids, "kind": kind, "name": names, "source": "file",
        "highway": cls, "speed_kph": np.round(target, 1), "oneway": oneway == 1, "length_m": np.round(length, 1),
        "cost": cost, "cost_estimated": est, "road_ids": road_ids,
    }, geometry=list(geometry), crs=network.crs)
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum([len(r) for r in rows_of], out=ptr[1:])
    rows = np.concatenate(rows_of) if n else np.zeros(0, np.int64)
    log.info("%s: %d candidates (%s)", name, n, ", ".join(f"{k} {int((kind == k).sum())}" for k in KINDS
                                                          if (kind == k).any()))
    return CandidateSet(table, from_node, to_node, ptr, rows.astype(np.int64))


def _read_frame(source: Any, *, layer: str | None, crs: Any) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True)
    p = Path(source)
    if p.suffix.lower() in (".csv", ".tsv", ".txt"):
        from safegeo._errors import LayerReadError

        if not p.exists():
            raise LayerReadError(f"{p}: file not found", hint="check the path of the candidate file")
        try:
            df = pd.read_csv(p, sep="\t" if p.suffix.lower() == ".tsv" else ",", encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LayerReadError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                                 hint='save it as UTF-8: in Excel, "Save As" > "CSV UTF-8 (Comma delimited)"') from exc
        except Exception as exc:
            raise LayerReadError(f"{p}: cannot read CSV ({exc})", hint="save it as UTF-8 CSV with a header row") from exc
        df.attrs["crs"] = CRS.from_user_input(crs or "EPSG:4326")
        return df
    from safegeo.io import read_vector

    return read_vector(p, layer=layer, crs=crs, table_ok=True)


def _given(frame: pd.DataFrame, cols: dict, key: str, n: int) -> np.ndarray:
    if key not in cols:
        return np.zeros(n, bool)
    v = frame[cols[key]]
    return (v.notna() & (v.astype(str).str.strip() != "")).to_numpy()


def _numbers(frame: pd.DataFrame, cols: dict, key: str, n: int) -> np.ndarray:
    if key not in cols:
        return np.full(n, np.nan)
    return pd.to_numeric(frame[cols[key]], errors="coerce").to_numpy(float)


def _flags(frame: pd.DataFrame, cols: dict, key: str, n: int) -> np.ndarray:
    """1 true, 0 false (or missing), -1 unreadable."""
    if key not in cols:
        return np.zeros(n, np.int64)
    out = np.zeros(n, np.int64)
    for i, v in enumerate(frame[cols[key]].tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        s = str(v).strip().lower()
        if s in ("1", "true", "yes", "y", "t", "1.0"):
            out[i] = 1
        elif s in ("0", "false", "no", "n", "f", "", "0.0"):
            out[i] = 0
        else:
            out[i] = -1
    return out


def _geometries(frame: pd.DataFrame, cols: dict, crs: CRS, n: int, bad, name: str) -> np.ndarray:
    """Lines in the network CRS (None where the row gives none)."""
    out = np.full(n, None, dtype=object)
    rownum = np.arange(1, n + 1)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns and frame.crs is not None:
        g = frame.geometry.to_crs(crs).to_numpy()
        have = ~(shapely.is_missing(g) | shapely.is_empty(g))
        multi = have & (shapely.get_type_id(g) == 5)
        g = np.where(multi, shapely.line_merge(np.where(multi, g, None)), g)
        is_line = have & (shapely.get_type_id(g) == 1)
        bad(rownum[have & ~is_line], "the geometry is not a single line",
            "draw each candidate as one LineString (a MultiLineString must join into one line)")
        out[is_line] = g[is_line]
        return out
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is None and len(frame.geometry.dropna()):
        raise RoadPlanError(f"{name}: the candidate layer has no CRS",
                            hint="save it with its CRS (e.g. EPSG:4326), or pass crs=")
    src_crs = frame.attrs.get("crs") or CRS.from_user_input("EPSG:4326")
    lines = np.full(n, None, dtype=object)
    wkt_col = cols.get("wkt") or cols.get("geometry")
    if wkt_col is not None:
        text = frame[wkt_col].astype(object).to_numpy(object)
        for i, w in enumerate(text):
            if w is None or (isinstance(w, float) and np.isnan(w)) or not str(w).strip():
                continue
            try:
                g = shapely.from_wkt(str(w))
            except Exception:  # shapely raises GEOSException subclasses
                bad([i + 1], "the WKT text is not a geometry", "write it as LINESTRING (lon lat, lon lat, ...)", "wkt")
                continue
            if shapely.get_type_id(g) != 1:
                bad([i + 1], "the WKT geometry is not a LINESTRING", "write it as LINESTRING (lon lat, lon lat, ...)",
                    "wkt")
                continue
            lines[i] = g
    keys = [next((cols[k] for k in ks if k in cols), None) for ks in
            (("from_lon", "from_x", "lon1", "x1"), ("from_lat", "from_y", "lat1", "y1"),
             ("to_lon", "to_x", "lon2", "x2"), ("to_lat", "to_y", "lat2", "y2"))]
    if all(k is not None for k in keys):
        xy = np.column_stack([pd.to_numeric(frame[k], errors="coerce").to_numpy(float) for k in keys])
        given = np.any(pd.notna(frame[keys]).to_numpy(), axis=1)
        broken = given & ~np.all(np.isfinite(xy), axis=1)
        bad(rownum[broken], "from/to coordinates are missing or not numbers",
            "give all four of from_lon, from_lat, to_lon, to_lat as numbers (degrees)")
        use = given & ~broken & (lines == None)  # noqa: E711
        for i in np.flatnonzero(use):
            lines[i] = shapely.LineString([xy[i, :2], xy[i, 2:]])
    elif any(k is not None for k in keys):
        bad(rownum, "from/to coordinates are incomplete",
            "give all four columns from_lon, from_lat, to_lon, to_lat", None)
    have = np.flatnonzero(lines != None)  # noqa: E711
    if len(have):
        g = gpd.GeoSeries(list(lines[have]), crs=src_crs)
        if src_crs.is_geographic:
            c = shapely.get_coordinates(g.to_numpy())
            bad_ll = (np.abs(c[:, 0]) > 180) | (np.abs(c[:, 1]) > 90)
            if bad_ll.any():
                _, gi = shapely.get_coordinates(g.to_numpy(), return_index=True)
                bad(rownum[have[np.unique(gi[bad_ll])]], "coordinates are not longitude/latitude in degrees",
                    "give lon/lat in degrees (Narathiwat is near lon 101.8, lat 6.4), or pass the file's crs")
                keep = np.ones(len(have), bool)
                keep[np.unique(gi[bad_ll])] = False
                have, g = have[keep], g[keep]
        out[have] = g.to_crs(crs).to_numpy()
    return out


def road_codes(network: RoadNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per edge row, the road it belongs to (both directions of a two-way road: same junctions, same length to
    0.1 m), and the rows of each road (``order[ptr[c]:ptr[c + 1]]``); computed once per network."""
    cached = network._csr_cache.get("_roadplan_roads")
    if cached is not None and len(cached[0]) == network.n_edges:
        return cached
    order, new = road_groups(network, per_m=10.0)
    code_sorted = np.cumsum(new) - 1
    codes = np.empty(len(order), np.int64)
    codes[order] = code_sorted
    ptr = np.r_[np.flatnonzero(new), len(order)].astype(np.int64)
    out = (codes, ptr, order.astype(np.int64))
    network._csr_cache["_roadplan_roads"] = out
    return out


def _one_direction(network: RoadNetwork, rows: np.ndarray) -> np.ndarray:
    """One row per road among *rows* (both directions of a two-way road are one road)."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return rows
    codes = road_codes(network)[0][rows]
    _, first = np.unique(codes, return_index=True)
    return rows[np.sort(first)]


def both_directions(network: RoadNetwork, rows: np.ndarray) -> np.ndarray:
    """*rows* and the rows of the same roads in the other direction (same junctions, same length), sorted."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return rows
    codes, ptr, order = road_codes(network)
    c = np.unique(codes[rows])
    counts = ptr[c + 1] - ptr[c]
    starts = np.repeat(ptr[c], counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.sort(order[starts + offs])


def _match_roads(frame: pd.DataFrame, cols: dict, network: RoadNetwork, geom: np.ndarray, rows_idx: np.ndarray,
                 rows_of: list[np.ndarray], road_ids: np.ndarray, match_m: float, bad) -> None:
    ed = network.edge_data
    rid_net = ed["road_id"].astype(str).to_numpy(object) if "road_id" in ed.columns else None
    by_rid: dict[str, np.ndarray] = {}
    if rid_net is not None:
        s = pd.Series(np.arange(network.n_edges)).groupby(rid_net).apply(lambda x: x.to_numpy())
        by_rid = {str(k): v for k, v in s.items()}
    rid_col = cols.get("road_id")
    edge_col = cols.get("edge") or cols.get("edge_id")
    tree = None
    for i in rows_idx:
        found = np.zeros(0, np.int64)
        how = None
        if rid_col is not None and pd.notna(frame[rid_col].iloc[i]) and str(frame[rid_col].iloc[i]).strip():
            how = "road_id"
            val = frame[rid_col].iloc[i]
            parts = [p.strip() for p in str(val).split(",") if p.strip()]
            parts = [p[:-2] if p.endswith(".0") else p for p in parts]
            if rid_net is None:
                bad([i + 1], "the network has no road_id to match", "draw the road as a line instead", "road_id")
                continue
            missing = [p for p in parts if p not in by_rid]
            if missing:
                bad([i + 1], f"no road with road_id {', '.join(missing)} in the network",
                    "use a road_id of the study's roads layer (roads outside the drive network cannot be used)",
                    "road_id")
                continue
            found = np.concatenate([by_rid[p] for p in parts])
            road_ids[i] = ",".join(parts)
        elif edge_col is not None and pd.notna(frame[edge_col].iloc[i]):
            how = "edge"
            e = pd.to_numeric(pd.Series([frame[edge_col].iloc[i]]), errors="coerce").iloc[0]
            if not np.isfinite(e) or e != int(e) or not 0 <= e < network.n_edges:
                bad([i + 1], f"edge {frame[edge_col].iloc[i]!r} is not an edge of the network",
                    f"give an edge number 0..{network.n_edges - 1} (the 'edge' column of safegeo outputs) or road_id",
                    "edge")
                continue
            found = np.array([int(e)], np.int64)
        elif geom[i] is not None:
            how = "line"
            if tree is None:
                tree = shapely.STRtree(network.edge_geometries())
            zone = shapely.buffer(geom[i], match_m)
            cand = tree.query(zone, predicate="intersects")
            if len(cand):
                inside = shapely.covered_by(tree.geometries[cand], zone)
                found = np.sort(cand[inside]).astype(np.int64)
            if len(found) == 0:
                bad([i + 1], f"no road of the network lies along this line (within {match_m:g} m)",
                    "draw the line along the road to upgrade or flood-proof (or give its road_id)")
                continue
        else:
            bad([i + 1], "an upgrade or flood-proofing needs the road: road_id, edge or a line along it",
                "give road_id (the study's roads layer), or draw the road as a line")
            continue
        rows = both_directions(network, found)
        rows_of[i] = rows
        if how != "road_id" and rid_net is not None:
            road_ids[i] = ",".join(sorted(set(rid_net[rows].tolist())))


# ---------------------------------------------------------------------------------------------
# applying candidates to a network (for a full recomputation)
# ---------------------------------------------------------------------------------------------
def apply_to_network(network: RoadNetwork, cands: CandidateSet,
                     idx: np.ndarray | list[int] | None = None) -> RoadNetwork:
    """A copy of *network* with candidates *idx* built: the network a full recomputation runs on.

    New links become edges reached only at their ends (``access`` False,
    :data:`safegeo.network.snap.ACCESS_COLUMN`); upgraded edges get the new
    speed and class; flood-proofed edges are marked ``hazard_proof``
    (:data:`safegeo.hazards.HAZARD_PROOF_COLUMN`), so no hazard closes them.

    Parameters
    ----------
    network
        The study's road network (not one with places attached).
    cands
        The candidate set.
    idx
        Positions of the candidates to build (default: all).

    Examples
    --------
    >>> built = apply_to_network(study.network(), cands, [0, 3])           # doctest: +SKIP
    >>> evacuate_network(built, villages, shelters, scenario=scenario)     # doctest: +SKIP
    """
    idx = np.arange(len(cands)) if idx is None else np.asarray(idx, dtype=np.int64)
    time_s = network.time_s.copy()
    ed = network.edge_data.copy()
    speed = edge_speed_kph(network)
    highway = ed["highway"].to_numpy(object).copy() if "highway" in ed.columns else np.full(network.n_edges, None,
                                                                                             dtype=object)
    proof = np.zeros(network.n_edges, bool)
    if HAZARD_PROOF_COLUMN in ed.columns:
        vals = ed[HAZARD_PROOF_COLUMN].to_numpy()
        known = pd.notna(vals)
        proof[known] = vals[known].astype(bool)
    tab = cands.table
    nu, nv, nl, nt, ng, nrows = [], [], [], [], [], []
    for i in idx:
        k = tab["kind"].iloc[i]
        if k in LINK_KINDS:
            a, b = int(cands.from_node[i]), int(cands.to_node[i])
            g = tab.geometry.iloc[i]
            length = float(g.length)
            t = length / (float(tab["speed_kph"].iloc[i]) / 3.6)
            pairs = [(a, b, g)] if bool(tab["oneway"].iloc[i]) else [(a, b, g), (b, a, shapely.reverse(g))]
            for x, y, gg in pairs:
                nu.append(x)
                nv.append(y)
                nl.append(length)
                nt.append(t)
                ng.append(gg)
                nrows.append({"highway": tab["highway"].iloc[i], "name": tab["name"].iloc[i],
                              "road_id": f"candidate:{tab['candidate_id'].iloc[i]}",
                              "bridge": k == "bridge", "speed_kph": float(tab["speed_kph"].iloc[i])})
        elif k == "upgrade":
            r = cands.edges(i)
            tgt = float(tab["speed_kph"].iloc[i])
            up = r[speed[r] < tgt]
            speed[up] = tgt
            time_s[up] = network.length_m[up] / (tgt / 3.6)
            highway[up] = tab["highway"].iloc[i]
        elif k == "floodproof":
            proof[cands.edges(i)] = True
    ed["speed_kph"] = speed
    if "highway" in ed.columns:
        ed["highway"] = highway
    ed[HAZARD_PROOF_COLUMN] = proof
    ed[ACCESS_COLUMN] = True
    geometry = network.geometry if network.geometry is not None else network.edge_geometries()
    if nu:
        new = pd.DataFrame(nrows)
        new[HAZARD_PROOF_COLUMN] = False
        new[ACCESS_COLUMN] = False
        ed = pd.concat([ed, new], ignore_index=True)
        geometry = np.concatenate([geometry, np.asarray(ng, dtype=object)])
    out = RoadNetwork(network.crs, network.x, network.y, network.node_id,
                      np.r_[network.u, np.asarray(nu, np.int64)], np.r_[network.v, np.asarray(nv, np.int64)],
                      np.r_[network.length_m, np.asarray(nl, float)], np.r_[time_s, np.asarray(nt, float)],
                      ed, geometry, network.mode, network.report)
    return out


def check_candidates(cands: CandidateSet, network: RoadNetwork) -> None:
    """Raise :class:`RoadPlanError` when a candidate set does not belong to *network*."""
    bad = (cands.from_node >= network.n_nodes) | (cands.to_node >= network.n_nodes)
    if len(cands.edge_rows) and cands.edge_rows.max() >= network.n_edges:
        bad = bad | True
    if bad.any():
        raise RoadPlanError("the candidates were read against another road network",
                            hint="read them again with the study's network (read_candidates(path, study.network()))")


__all__ = [
    "KINDS",
    "LINK_KINDS",
    "CandidateSet",
    "apply_to_network",
    "both_directions",
    "estimate_costs",
    "read_candidates",
]
