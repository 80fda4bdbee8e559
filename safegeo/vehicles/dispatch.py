"""Nearest-available dispatch: which vehicles reach an incident first by road.

Travel time is directed: from a vehicle's base *to* the incident.  One search
on the reversed road graph, started at the incident, gives every base's time
to it; the search is bounded (``scipy.sparse.csgraph.dijkstra(limit=...)``)
and its limit grows until *n* eligible vehicles are inside it, so a query on a
million-node network only explores the neighbourhood of the incident.  Every
node inside the limit is settled exactly, so the *n* vehicles found are the
*n* nearest.

Eligibility
-----------
* ``status == "available"`` (a vehicle in maintenance, dispatched or out of
  service is never proposed);
* the asked type, and every needed capability (``high_clearance``, ``4x4``,
  ``boat``);
* rescue boats (``type == "rescue_boat"``) only when asked for, by type or
  by ``need=("boat",)``;
* a base within *max_snap_m* of a road.

Hazards close or slow roads (:func:`safegeo.hazards.hazard_edge_costs`).
When a boat is asked for (``vehicle_type="rescue_boat"`` or
``need=("boat",)``), vehicles that are or carry a boat (type ``rescue_boat``
or capability ``boat``) are not stopped by *water* hazards (flood, storm
surge): a flooded road is water they can cross.  They are routed on the
unhazarded network, a simplification that takes boat speed as road speed.
Otherwise every vehicle, a truck carrying a boat included, is routed as a
road vehicle, so no boat is proposed for a flooded incident unless asked.

Examples
--------
>>> from safegeo.vehicles.dispatch import Dispatcher                           # doctest: +SKIP
>>> d = Dispatcher(study.network(), registry.vehicles())              # doctest: +SKIP
>>> d.dispatch((101.82, 6.42), n=3, vehicle_type="ambulance").table   # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse.csgraph import dijkstra

from safegeo._errors import SnapError, VehicleDataError
from safegeo._i18n import t
from safegeo.hazards import WATER_KINDS, HazardScenario
from safegeo.network import CsrGraph, RoadNetwork, attach_points, line_substrings, point_xy
from safegeo.schema import VEHICLE_CAPABILITIES, VEHICLE_TYPES
from safegeo.settings import resolve
from safegeo.vehicles.records import parse_capabilities

if TYPE_CHECKING:
    from safegeo.maps import SafegeoMap
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)

#: Hazard kinds that are water: boats cross the roads they close.
WATER_HAZARDS = WATER_KINDS
#: Column order of :attr:`DispatchResult.table`.
RESULT_COLUMNS = ("rank", "vehicle_id", "type", "agency", "status", "capabilities", "eta_s", "eta_min",
                  "distance_m", "base_snap_m", "base_lon", "base_lat")


#: An incident this close (m) to a junction is at the junction.
_AT_NODE_M = 0.5


def is_boat(types: np.ndarray, capabilities: Sequence[tuple[str, ...]]) -> np.ndarray:
    """Vehicles that are or carry a boat."""
    return (np.asarray(types) == "rescue_boat") | np.array(["boat" in c for c in capabilities], dtype=bool)


@dataclass
class DispatchResult:
    """The vehicles proposed for one incident, nearest first.

    Attributes
    ----------
    proposals
        GeoDataFrame (network CRS), one row per proposed vehicle: ``rank``,
        ``vehicle_id``, ``type``, ``agency``, ``status``, ``capabilities``,
        ``eta_s`` (network travel time base → incident), ``eta_min``,
        ``distance_m`` (length of that fastest route), ``base_snap_m``,
        ``base_lon``/``base_lat``, ``contact`` when the fleet had it, and the
        route as geometry (base → incident).
    incident
        One point (network CRS) with ``node`` and ``snap_m``.
    excluded
        ``vehicle_id``, ``reason``: every vehicle of the fleet not proposed
        and why (not available, wrong type, lacks a capability, boat not
        asked for, base off the road network, unreachable, farther than the
        *n* nearest).
    notes
        Plain-language remarks (fewer than *n* found, hazard in force, ...).
    """

    proposals: gpd.GeoDataFrame
    incident: gpd.GeoDataFrame
    excluded: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    hazard: str | None = None

    @property
    def table(self) -> pd.DataFrame:
        """The proposals without geometry (for printing)."""
        cols = [c for c in RESULT_COLUMNS if c in self.proposals.columns]
        return pd.DataFrame(self.proposals[cols]).reset_index(drop=True)

    def to_records(self, *, public: bool = False) -> list[dict[str, Any]]:
        """Proposals as JSON-ready dicts (``vehicle_id``, ``type``, ``eta_s``, ``distance_m``, ``contact``, ...).

        *public* applies the public filter (:func:`safegeo.privacy.public_record`): no contact.
        """
        from safegeo.privacy import public_record

        cols = list(RESULT_COLUMNS) + ["contact"]
        out = []
        for rec in pd.DataFrame(self.proposals[[c for c in cols if c in self.proposals.columns]]).to_dict("records"):
            if public:
                rec = public_record(rec)
            clean = {}
            for k, v in rec.items():
                if isinstance(v, (np.integer,)):
                    v = int(v)
                elif isinstance(v, (np.floating, float)):
                    v = None if not np.isfinite(v) else round(float(v), 3 if k.endswith(("_s", "_m", "_min")) else 7)
                elif v is pd.NA:
                    v = None
                clean[k] = v
            out.append(clean)
        return out


class Dispatcher:
    """A fleet snapped to a road network, ready to answer dispatch queries fast.

    Building it snaps the bases and builds the reversed CSR graph once;
    :meth:`dispatch` then runs a bounded search per incident.

    Parameters
    ----------
    network
        The (drive) road network.
    vehicles
        Vehicle points in any CRS with ``vehicle_id``, ``type``, ``status``
        and optional ``agency``, ``capabilities``, ``contact``, ... (the
        registry's :meth:`~safegeo.vehicles.registry.Registry.vehicles` or a study's
        ``vehicles`` layer).  Bases join the road where they stand
        (:func:`~safegeo.network.attach_points`), and so does every incident.
    scenario
        The hazard in force (:meth:`StudyArea.scenario <safegeo.study.StudyArea.scenario>`):
        its closed roads are avoided; under a water hazard boats cross them.
    edge_cost_s
        Per-edge travel time of *network* with hazards (``inf`` closes a
        road), instead of a scenario; default free-flow time.
    boat_edge_cost_s
        Per-edge time for vehicles that are or carry a boat; default
        *edge_cost_s* (pass ``network.time_s`` when the hazard is water).
    max_snap_m
        Bases and incidents farther than this from a road are not routed
        (default ``[network] max_snap_m``).
    hazard
        Name of the hazard in force (for notes and maps; default the scenario's).

    Raises
    ------
    VehicleDataError
        The vehicle table lacks ``vehicle_id`` or ``type``.
    """

    def __init__(
        self,
        network: RoadNetwork,
        vehicles: gpd.GeoDataFrame,
        *,
        scenario: HazardScenario | None = None,
        edge_cost_s: np.ndarray | None = None,
        boat_edge_cost_s: np.ndarray | None = None,
        max_snap_m: float | None = None,
        hazard: str | None = None,
    ) -> None:
        missing = [c for c in ("vehicle_id", "type") if c not in vehicles.columns]
        if missing:
            raise VehicleDataError(f"the vehicle table has no {', '.join(missing)} column",
                                   hint="use the registry's vehicles or a study 'vehicles' layer")
        if vehicles.crs is None:
            from safegeo._errors import CRSError

            raise CRSError("vehicles: the layer has no CRS", hint="vehicle bases are lon/lat: set EPSG:4326")
        self.base_network = network
        self.max_snap_m = float(resolve(None, "network", max_snap_m=max_snap_m)["max_snap_m"])
        if scenario is not None and not scenario.active:
            scenario = None
        self.scenario = scenario
        self.hazard = hazard or (scenario.label if scenario is not None else None)
        v = vehicles.to_crs(network.crs).reset_index(drop=True)
        if "status" not in v.columns:
            v["status"] = "available"
        v["status"] = v["status"].fillna("available").astype(str)
        v["type"] = v["type"].astype(str)
        caps = [parse_capabilities(c) for c in (v["capabilities"] if "capabilities" in v.columns
                                                else [None] * len(v))]
        self._caps = caps
        v["capabilities"] = [",".join(c) for c in caps]
        xy = point_xy(v, network.crs) if len(v) else np.zeros((0, 2))
        # bases join the road where they stand: the network gets a node at each base
        self.network, snap = attach_points(network, xy, max_snap_m=self.max_snap_m)
        network = self.network
        v["node"] = snap.node
        v["base_snap_m"] = np.round(snap.snap_m, 1)
        if len(v):
            lonlat = v.geometry.to_crs(4326)
            v["base_lon"], v["base_lat"] = lonlat.x.round(7).to_numpy(), lonlat.y.round(7).to_numpy()
        else:
            v["base_lon"], v["base_lat"] = np.zeros(0), np.zeros(0)
        self.vehicles = v
        self._node = snap.node
        self._xy = xy
        self._on_net = snap.ok
        self._ratios: list[float] = []  # observed network seconds per straight-line metre
        self._boat = is_boat(v["type"].to_numpy(), caps)
        if scenario is not None:
            road = scenario.edges(network).cost
            boat = network.time_s if scenario.is_water else road
        else:
            road, boat = self._on_split(edge_cost_s), self._on_split(boat_edge_cost_s)
            boat = boat if boat is not None else road
        self._cost = {"road": road, "boat": boat}
        self._twin: np.ndarray | None = None
        self._csr: dict[str, CsrGraph] = {}
        self._to_net = Transformer.from_crs(CRS.from_epsg(4326), network.crs, always_xy=True)
        # fastest possible speed: a lower bound on time from straight-line distance
        t = network.time_s
        with np.errstate(divide="ignore", invalid="ignore"):
            speeds = np.where(t > 0, network.length_m / t, 0.0)
        self._vmax_mps = float(speeds.max()) if len(speeds) else 30.0

    def _on_split(self, cost: np.ndarray | None) -> np.ndarray | None:
        """Per-edge costs of the original network carried to its pieces (in proportion to their length)."""
        if cost is None:
            return None
        cost = np.asarray(cost, dtype=float)
        net, base = self.network, self.base_network
        if cost.shape != (base.n_edges,):
            raise ValueError(f"edge cost array has shape {cost.shape}; expected ({base.n_edges},)")
        if net.parent_edge is None:
            return cost
        par = net.parent_edge
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(base.length_m[par] > 0, net.length_m / base.length_m[par], 1.0)
        return cost[par] * frac

    def csr(self, kind: str) -> CsrGraph:
        """The reversed graph for ``"road"`` or ``"boat"`` costs (built once)."""
        if kind not in self._csr:
            cost = self._cost[kind]
            if cost is None:
                self._csr[kind] = self.network.csr("time", reverse=True)
            elif kind == "boat" and self._cost["road"] is cost and "road" in self._csr:
                self._csr[kind] = self._csr["road"]
            else:
                self._csr[kind] = self.network.csr(np.asarray(cost, dtype=float), reverse=True)
        return self._csr[kind]

    def eligible(self, *, vehicle_type: str | None = None, need: Iterable[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Mask of eligible vehicles and, for the others, why not (``""`` when eligible)."""
        need = tuple(parse_capabilities(list(need)))
        bad_need = [c for c in need if c not in VEHICLE_CAPABILITIES]
        if bad_need:
            raise VehicleDataError(f"unknown capability {', '.join(bad_need)}",
                                   hint=f"choose from {', '.join(VEHICLE_CAPABILITIES)}")
        if vehicle_type is not None and vehicle_type not in VEHICLE_TYPES:
            raise VehicleDataError(f"unknown vehicle type '{vehicle_type}'", hint=f"one of {', '.join(VEHICLE_TYPES)}")
        v = self.vehicles
        n = len(v)
        reason = np.full(n, "", dtype=object)

        def mark(mask: np.ndarray, text: Any) -> None:
            sel = mask & (reason == "")
            reason[sel] = text[sel] if isinstance(text, np.ndarray) else text

        status = v["status"].to_numpy(str) if n else np.zeros(0, str)
        mark(status != "available", np.char.add("status ", status.astype(str)) if n else "")
        types = v["type"].to_numpy(str) if n else np.zeros(0, str)
        if vehicle_type is not None:
            mark(types != vehicle_type, np.char.add("type ", types.astype(str)) if n else "")
        boats_asked = vehicle_type == "rescue_boat" or "boat" in need
        if not boats_asked:
            mark(types == "rescue_boat", "rescue boat (only proposed when a boat is asked for)")
        for cap in need:
            has = np.array([cap in c or (cap == "boat" and t == "rescue_boat") for c, t in zip(self._caps, types)],
                           dtype=bool)
            mark(~has, f"lacks {cap}")
        mark(~self._on_net, f"base more than {self.max_snap_m:g} m from a road")
        return reason == "", reason

    def dispatch(
        self,
        at: tuple[float, float] | shapely.Point,
        *,
        n: int = 3,
        vehicle_type: str | None = None,
        need: Iterable[str] = (),
        at_crs: Any = "EPSG:4326",
        routes: bool = True,
    ) -> DispatchResult:
        """Propose the *n* eligible vehicles with the shortest travel time to an incident.

        Parameters
        ----------
        at
            Incident location: ``(lon, lat)`` or a point, in *at_crs*.
        n
            How many vehicles to propose.
        vehicle_type
            Only this type (default: any type except rescue boats).
        need
            Capabilities every proposed vehicle must have.
        at_crs
            CRS of *at* (default longitude/latitude).
        routes
            Build route geometries (default); without, geometry is the base point.

        Returns
        -------
        DispatchResult

        Raises
        ------
        SnapError
            The incident is farther than *max_snap_m* from any road.
        VehicleDataError
            Unknown type or capability.
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        ax, ay = (at.x, at.y) if isinstance(at, shapely.Point) else (float(at[0]), float(at[1]))
        if CRS.from_user_input(at_crs) == CRS.from_epsg(4326):
            x, y = self._to_net.transform(ax, ay)
        else:
            x, y = Transformer.from_crs(CRS.from_user_input(at_crs), self.network.crs, always_xy=True).transform(ax, ay)
        entry = self._incident_entry(x, y)
        if entry is None:
            raise SnapError(f"the incident at {ax:.6f}, {ay:.6f} is more than {self.max_snap_m:g} m from the nearest "
                            "road of the network",
                            hint="check the coordinates are lon,lat inside the study area")
        snap_m, ends, on_road = entry
        need = parse_capabilities(list(need))
        ok, reason = self.eligible(vehicle_type=vehicle_type, need=need)
        # boats cross water only when a boat was asked for; otherwise they are road vehicles
        boat = self._boat & (vehicle_type == "rescue_boat" or "boat" in need)
        eta = np.full(len(self.vehicles), np.inf)
        preds: dict[str, np.ndarray] = {}
        notes: list[str] = []
        unreachable = np.zeros(len(self.vehicles), bool)
        via = np.full(len(self.vehicles), -1, dtype=np.int64)  # which end of the incident's road each comes by
        for kind, mask in (("road", ok & ~boat), ("boat", ok & boat)):
            idx = np.flatnonzero(mask)
            if len(idx) == 0:
                continue
            offsets = self._offsets(kind, ends)
            dist, pred, complete = self._bounded_search(kind, offsets, idx, n, (x, y))
            total = dist[:, self._node[idx]] + np.array([o for _, o, _ in offsets])[:, None]
            best = np.argmin(total, axis=0)
            eta[idx] = total[best, np.arange(len(idx))]
            via[idx] = best
            preds[kind] = (pred, offsets)
            if complete:  # the whole reachable network was searched: what is not reached cannot reach
                unreachable[idx] = ~np.isfinite(eta[idx])
        reason[unreachable] = "cannot reach the incident" + (" (roads closed by the hazard)" if self.hazard else "")
        order = np.flatnonzero(ok & np.isfinite(eta))
        order = order[np.lexsort((self.vehicles["vehicle_id"].to_numpy(str)[order], eta[order]))]
        chosen = order[:n]
        # eligible but not chosen: farther than the n nearest (some beyond where the bounded search stopped)
        reason[ok & ~unreachable & (reason == "")] = f"not among the {n} nearest"
        reason[chosen] = ""

        props = self.vehicles.iloc[chosen].copy()
        props.insert(0, "rank", np.arange(1, len(chosen) + 1))
        props["eta_s"] = eta[chosen]
        props["eta_min"] = eta[chosen] / 60.0
        dist_m = np.zeros(len(chosen))
        geoms = np.empty(len(chosen), dtype=object)
        for k, i in enumerate(chosen):
            kind = "boat" if boat[i] else "road"
            pred, offsets = preds[kind]
            end_node, _, part = offsets[int(via[i])]
            edges = self._path_edges(kind, pred[int(via[i])], int(self._node[i]), end_node)
            last = part[1] if part is not None else 0.0  # metres along the incident's road from that end
            dist_m[k] = float(self.network.length_m[edges].sum()) + last
            if routes:
                lines = self.network.edge_geometries(edges)
                if part is not None and last > 0:
                    lines = np.r_[lines, line_substrings(self.network.edge_geometries(np.array([part[0]])),
                                                         np.array([0.0]), np.array([last]))]
                geoms[k] = _join_lines(lines, x if on_road is None else on_road[0],
                                       y if on_road is None else on_road[1])
            else:
                geoms[k] = props.geometry.iat[k]
        props["distance_m"] = dist_m
        props = gpd.GeoDataFrame(props.drop(columns="geometry"), geometry=list(geoms), crs=self.network.crs)
        keep = [c for c in RESULT_COLUMNS if c in props.columns]
        extra = [c for c in props.columns if c not in keep and c not in ("geometry", "node")]
        props = props[keep + extra + ["geometry"]].reset_index(drop=True)

        if len(chosen) < n:
            what = f"{vehicle_type} " if vehicle_type else ""
            notes.append(f"only {len(chosen)} available {what}vehicle(s) can reach the incident (asked for {n})")
            if self.hazard and not any(boat[chosen]) and vehicle_type != "rescue_boat":
                notes.append("roads are closed by the hazard; ask for a boat with --type rescue_boat or --need boat")
        if self.hazard:
            notes.append(f"hazard in force: {self.hazard}")
        incident = gpd.GeoDataFrame({"snap_m": [round(float(snap_m), 1)], "lon": [ax], "lat": [ay]},
                                    geometry=[shapely.Point(x, y)], crs=self.network.crs)
        excl = pd.DataFrame({"vehicle_id": self.vehicles["vehicle_id"].to_numpy()[reason != ""],
                             "reason": reason[reason != ""]})
        return DispatchResult(props, incident, excl.reset_index(drop=True), notes, self.hazard)

    # -- kernel ----------------------------------------------------------------------------------
    def _incident_entry(self, x: float, y: float) -> tuple[float, list[tuple[int, int, float]], tuple | None] | None:
        """Where an incident joins the road: (snap distance, [(end node, edge row, metres to the incident)], point).

        The incident lies on a road between two nodes: a vehicle arrives through
        one end and drives the rest of that road.  Each entry of the list is one
        end: the node, the edge row from it towards the incident, and the
        metres along that edge up to the incident.
        """
        net = self.network
        if net._tree is None:
            net._tree = shapely.STRtree(net.edge_geometries())
        pt = shapely.Point(x, y)
        (_, ei), d = net._tree.query_nearest([pt], max_distance=self.max_snap_m, return_distance=True,
                                             all_matches=False)
        if len(ei) == 0 or not d[0] <= self.max_snap_m:
            return None
        e = int(ei[0])
        line = net._tree.geometries[e]
        s_m = float(shapely.line_locate_point(line, pt))
        length = float(shapely.length(line))
        on_road = tuple(shapely.get_coordinates(shapely.line_interpolate_point(line, s_m))[0])
        if s_m <= _AT_NODE_M:  # at a junction: every road into it leads there
            return float(d[0]), [(int(net.u[e]), -1, 0.0)], on_road
        if length - s_m <= _AT_NODE_M:
            return float(d[0]), [(int(net.v[e]), -1, 0.0)], on_road
        if self._twin is None:
            from safegeo.network.snap import _twins

            self._twin = _twins(net)
        ends = [(int(net.u[e]), e, s_m)]  # through the edge's first node, along it
        tw = int(self._twin[e])
        if tw >= 0:  # two-way road: also through its other end, along the twin edge
            ends.append((int(net.v[e]), tw, length - s_m))
        return float(d[0]), ends, on_road

    def _offsets(self, kind: str, ends: list[tuple[int, int, float]]) -> list[tuple[int, float, tuple | None]]:
        """(end node, seconds from it to the incident, (edge, metres)) for each end the incident is reached by."""
        cost = self._cost[kind] if self._cost[kind] is not None else self.network.time_s
        out = []
        for node, e, along in ends:
            if e < 0:
                out.append((node, 0.0, None))
                continue
            length = float(self.network.length_m[e])
            frac = min(max(along / length, 0.0), 1.0) if length > 0 else 0.0
            out.append((node, float(cost[e]) * frac if frac > 0 else 0.0, (e, along)))
        return out

    def _bounded_search(self, kind: str, offsets: list[tuple[int, float, tuple | None]], cand: np.ndarray, n: int,
                        xy: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, bool]:
        """Dijkstra from the incident's road ends on the reversed graph, limit grown until *n* of *cand* are settled.

        Returns the distances and predecessors (one row per end) and whether
        the search covered everything reachable (so an unreached candidate
        cannot reach at all).  A time counts as settled when it is within the
        limit once the end's offset is added.
        """
        csr = self.csr(kind)
        nodes = self._node[cand]
        src = np.array([o[0] for o in offsets], dtype=np.int64)
        off = np.array([o[1] for o in offsets], dtype=float)
        k = min(n, len(cand)) - 1
        crow = np.hypot(self._xy[cand, 0] - xy[0], self._xy[cand, 1] - xy[1])
        crow_k = float(np.partition(crow, k)[k])
        # first limit: the k-th straight-line distance at the network's observed seconds per metre
        # (at top speed it would be a lower bound; real trips take 2-3x that)
        if self._ratios:
            sec_per_m = 1.2 * float(np.quantile(self._ratios, 0.9))
        else:
            sec_per_m = 3.0 / max(self._vmax_mps, 1e-6)
        limit = max(60.0, crow_k * sec_per_m)
        seen = -1
        while True:
            dist, pred = dijkstra(csr.matrix, directed=True, indices=src, return_predecessors=True,
                                  limit=limit if np.isfinite(limit) else np.inf)
            dist, pred = np.atleast_2d(dist), np.atleast_2d(pred)
            times = (dist[:, nodes] + off[:, None]).min(axis=0)
            found = int(np.count_nonzero(times <= limit))
            if not np.isfinite(limit):
                complete = True
                break
            if found >= n or found == len(cand):  # n settled, or every candidate (fewer than n) reached
                complete = found == len(cand)
                break
            settled = int(np.count_nonzero(np.isfinite(dist)))
            if settled == seen:  # the search did not grow: everything reachable is settled
                complete = True
                break
            seen = settled
            limit = limit * 2.0 if limit < 86_400.0 * 7 else np.inf
        finite = np.isfinite(times)
        if finite.any() and crow_k > 0:
            t_k = float(np.sort(times[finite])[min(k, int(finite.sum()) - 1)])
            self._ratios = [*self._ratios[-49:], t_k / max(crow_k, 1.0)]
        log.debug("dispatch search (%s): limit %.0f s, %d of %d candidates reached", kind, limit, found, len(cand))
        # times beyond the limit may not be the best (the other end's search stopped early): drop them
        bad = (dist + off[:, None]) > limit
        return np.where(bad, np.inf, dist), pred, complete

    def _path_edges(self, kind: str, pred: np.ndarray, start: int, target: int) -> np.ndarray:
        """Edge rows of the route start → target from a reversed-search predecessor tree."""
        nodes = [start]
        cur = start
        while cur != target:
            cur = int(pred[cur])
            if cur < 0:
                raise RuntimeError("broken predecessor chain")  # pragma: no cover
            nodes.append(cur)
        a = np.asarray(nodes[:-1], dtype=np.int64)
        b = np.asarray(nodes[1:], dtype=np.int64)
        # forward edge a -> b is the reversed CSR entry b -> a
        return _row_lookup(self.csr(kind), b, a)


def _row_lookup(csr: CsrGraph, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Edge rows of CSR entries tail → head, searching only the rows of *tail* (cheap for short paths)."""
    m = csr.matrix
    if len(tail) == 0:
        return np.zeros(0, dtype=np.int64)
    start = m.indptr[tail].astype(np.int64)
    length = m.indptr[tail + 1].astype(np.int64) - start
    owner = np.repeat(np.arange(len(tail)), length)
    pos = np.repeat(start, length) + (np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length))
    hit = m.indices[pos] == head[owner]
    out = np.full(len(tail), -1, dtype=np.int64)
    out[owner[hit]] = csr.edge_of[pos[hit]]
    return out


def _join_lines(lines: np.ndarray, x: float, y: float) -> shapely.LineString:
    """One LineString from consecutive edge geometries (a point-length line when empty)."""
    if len(lines) == 0:
        return shapely.LineString([(x, y), (x, y)])
    coords = shapely.get_coordinates(lines)
    keep = np.ones(len(coords), bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    coords = coords[keep]
    if len(coords) == 1:
        coords = np.vstack([coords, coords])
    return shapely.LineString(coords)


def hazard_costs_for_study(study: StudyArea, network: RoadNetwork, hazard: str | None) -> tuple[
        np.ndarray | None, np.ndarray | None]:
    """(road cost, boat cost) per edge of *network* for the named hazard; ``(None, None)`` without one.

    The costs come from the study's one hazard scenario (:meth:`StudyArea.scenario`),
    so they close the same roads as every other analysis.
    """
    if not hazard or str(hazard).lower() == "none":
        return None, None
    scenario = study.scenario(hazard)
    he = scenario.edges(network)
    log.info("%s", scenario.summary(network))
    return he.cost, (network.time_s if scenario.is_water else he.cost)


def dispatch_for_study(
    study: StudyArea,
    vehicles: gpd.GeoDataFrame,
    at: tuple[float, float],
    *,
    n: int = 3,
    vehicle_type: str | None = None,
    need: Iterable[str] = (),
    hazard: str | None = None,
) -> DispatchResult:
    """Dispatch on a study area's drive network, with a named hazard's road closures.

    Parameters
    ----------
    study
        The study area (its drive network is used).
    vehicles
        The fleet (e.g. ``Registry.vehicles()``).
    at
        Incident ``(lon, lat)``.
    n, vehicle_type, need
        As for :meth:`Dispatcher.dispatch`.
    hazard
        A hazard entry name or kind from the study file; its closed roads are
        avoided (boats cross water hazards).

    Returns
    -------
    DispatchResult
    """
    net = study.network("drive")
    scenario = study.scenario(hazard) if hazard and str(hazard).lower() != "none" else None
    d = Dispatcher(net, vehicles, scenario=scenario, max_snap_m=study.settings("network")["max_snap_m"])
    result = d.dispatch(at, n=n, vehicle_type=vehicle_type, need=need)
    where = study.areas.locate(result.incident.geometry)
    for c in where.columns:
        result.incident[c] = where[c].to_numpy()
    if study.areas and not bool(where["in_area"].iloc[0]):
        result.notes.append(f"the incident lies outside every district of the study (at sea or across the border?), "
                            f"{result.incident['snap_m'].iloc[0]:,.0f} m from the road it was joined to: check the "
                            "coordinates")
    return result


#: Most road lines drawn under a dispatch map's routes (a denser window leaves the roads out).
MAP_ROADS_MAX = 20_000

#: Colours of vehicle types on maps.
TYPE_COLOURS = {"ambulance": "#d62728", "fire_engine": "#ff7f0e", "rescue_truck": "#1f77b4",
                "rescue_boat": "#17becf", "water_tanker": "#9467bd", "pickup_4x4": "#8c564b", "other": "#7f7f7f"}


#: Map label keys (in :mod:`safegeo._i18n`) of the dispatch map.
_LABEL_KEYS = {"title": "dispatch_title", "routes": "dispatch_routes", "proposed": "proposed_vehicles",
               "fleet": "other_vehicles", "incident": "incident"}


def _label(key: str, lang: str) -> str:
    return t(_LABEL_KEYS[key], lang)


def dispatch_map(
    result: DispatchResult,
    *,
    fleet: gpd.GeoDataFrame | None = None,
    study: StudyArea | None = None,
    lang: str = "en",
    public: bool = False,
    title: str | None = None,
    tiles: bool = True,
) -> SafegeoMap:
    """A map of one dispatch: the incident, the proposed vehicles' routes and bases, the rest of the fleet.

    The roads around the routes are drawn under them (from the study's
    ``roads`` layer) and each proposed vehicle carries its rank and ETA as a
    label.

    Parameters
    ----------
    result
        From :meth:`Dispatcher.dispatch` or :func:`dispatch_for_study`.
    fleet
        All vehicles, drawn grey under the proposals.
    study
        Adds districts and the hazard footprint when the dispatch had one.
    lang, public, title, tiles
        As for :class:`~safegeo.maps.SafegeoMap`; *public* applies the public filter (no contacts).
    """
    from safegeo.maps import SafegeoMap

    synthetic = bool(getattr(study, "synthetic", False))
    focus = pd.concat([result.proposals.geometry, result.incident.geometry.buffer(1000)])
    m = SafegeoMap(title=title or _label("title", lang), lang=lang, public=public, synthetic=synthetic, tiles=tiles,
                   bounds=gpd.GeoSeries(focus.to_numpy(), crs=result.incident.crs))
    if study is not None and study.has("districts"):
        d = study.layers["districts"]
        m.add_polygons(d, name="districts", color="#555555", fill_opacity=0.03,
                       tooltip=[c for c in ("name_en", "name_th") if c in d.columns])
    if study is not None and result.hazard:
        from safegeo.hazards import hazard_footprint

        fp = hazard_footprint(study.hazard(result.hazard), study.crs)
        if len(fp):
            m.add_polygons(fp, name="hazards", color="#1f78b4", fill_opacity=0.35, tooltip=["hazard", "kind"])
    if study is not None and study.has("roads"):
        # the roads under the routes (within the map's window and a margin), so a reader sees which way they go
        x0, y0, x1, y1 = gpd.GeoSeries(focus.to_numpy(), crs=result.incident.crs).total_bounds
        pad = 0.2 * max(x1 - x0, y1 - y0, 2000.0)
        roads = study.layer("roads")
        rx0, ry0, rx1, ry1 = gpd.GeoSeries(shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad),
                                           crs=result.incident.crs).to_crs(roads.crs).total_bounds
        near = roads.cx[rx0:rx1, ry0:ry1]
        if len(near) > MAP_ROADS_MAX:
            near = near.iloc[:0]
            log.info("dispatch map: more than %d roads in the window; roads left out", MAP_ROADS_MAX)
        if len(near):
            m.add_lines(near, name="roads", color="#8c8c8c", weight=1.5, opacity=0.8,
                        tooltip=[c for c in ("name", "name_th", "highway", "road_class") if c in near.columns])
    if fleet is not None and len(fleet):
        f = fleet[~fleet["vehicle_id"].isin(result.proposals["vehicle_id"])]
        if len(f):
            m.add_points(f, name=_label("fleet", lang), color_column="type", categories=TYPE_COLOURS, radius=4,
                         tooltip=[c for c in ("vehicle_id", "type", "status", "agency") if c in f.columns],
                         popup=[c for c in ("vehicle_id", "type", "status", "agency", "capabilities", "contact")
                                if c in f.columns])
    if len(result.proposals):
        routes = result.proposals.assign(eta_min=result.proposals["eta_min"].round(1),
                                         distance_m=result.proposals["distance_m"].round(0))
        m.add_lines(routes, name=_label("routes", lang), color_column="rank",
                    cmap=["#1a9850", "#fee08b", "#d73027"], weight=4,
                    tooltip=["rank", "vehicle_id", "eta_min", "distance_m"])
        bases = gpd.GeoDataFrame(
            pd.DataFrame(routes.drop(columns="geometry")),
            geometry=gpd.points_from_xy(routes["base_lon"], routes["base_lat"]), crs="EPSG:4326")
        unit = "นาที" if lang == "th" else "min"
        bases["eta_label"] = [f"{int(r)}. {e:.0f} {unit}" for r, e in zip(bases["rank"], bases["eta_min"], strict=True)]
        cols = [c for c in ("rank", "vehicle_id", "type", "agency", "eta_min", "distance_m", "contact")
                if c in bases.columns]
        m.add_points(bases, name=_label("proposed", lang), color_column="type", categories=TYPE_COLOURS, radius=8,
                     tooltip=cols, popup=cols, label_column="eta_label")
    inc = result.incident.assign(snap_m=result.incident["snap_m"].round(1))
    m.add_points(inc, name=_label("incident", lang), color="#000000", radius=9, tooltip=["lon", "lat", "snap_m"])
    return m
