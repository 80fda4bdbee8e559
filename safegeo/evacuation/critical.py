"""Critical roads: bridges of the open network with the people each cuts off, and the most-loaded segments."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from safegeo.kernels import road_bridges
from safegeo.network import RoadNetwork
from safegeo.routing import (
    forest_subtree_sums,
    two_edge_components,
)

log = logging.getLogger(__name__)


def _edges_frame(network: RoadNetwork, edges: np.ndarray, cols: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    ed = network.edge_data
    df = pd.DataFrame({"edge": edges, "u": network.u[edges], "v": network.v[edges]})
    for c in ("name", "highway", "road_id", "bridge", "osmid"):
        if c in ed.columns:
            df[c] = ed[c].to_numpy()[edges]
    if "name" not in df.columns:
        df["name"] = None
    df["length_m"] = np.round(network.length_m[edges], 1)
    for k, v in cols.items():
        df[k] = v
    return gpd.GeoDataFrame(df, geometry=network.edge_geometries(edges) if len(edges) else [], crs=network.crs)


def _undirected(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if len(edges) == 0:
        return edges
    a = np.minimum(edges["u"], edges["v"])
    b = np.maximum(edges["u"], edges["v"])
    return edges[~pd.DataFrame({"a": a, "b": b}).duplicated().to_numpy()].reset_index(drop=True)


def _critical_roads(network: RoadNetwork, closed: np.ndarray, reached: np.ndarray, onode: np.ndarray,
                    pop: np.ndarray, shelter_nodes: np.ndarray, edge_load: np.ndarray,
                    n_loaded: int, *, base: RoadNetwork | None = None) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Bridges of the open network with the population each isolates, plus the most-loaded segments.

    With *base* (the network *network* was split from at the villages and
    shelters), each road is reported once, as the road of *base* it belongs
    to: the most people any of its pieces isolates or carries.

    Returns
    -------
    (critical_roads, cut_off_road)
        The table, and per origin the ``edge`` (as in the table) of the one
        road whose loss alone cuts it off from every shelter, the road that
        cuts off most people when several do (``-1``: no single road does).
    """
    n = network.n_nodes
    open_ = ~closed
    bridges = road_bridges(network, open_)
    isolated = np.zeros(len(bridges))
    origin_bridge = np.full(len(onode), -1, dtype=np.int64)  # per origin: a bridge row (in *bridges*)
    if len(bridges) and len(shelter_nodes):
        comp = two_edge_components(network, open_, bridges)
        n_comp = int(comp.max()) + 1
        w = np.zeros((n_comp, 2))
        ro = np.flatnonzero(reached)
        np.add.at(w[:, 0], comp[onode[ro]], pop[ro])
        np.add.at(w[:, 1], comp[shelter_nodes], 1.0)
        ca, cb = comp[network.u[bridges]], comp[network.v[bridges]]
        # every tree with a shelter is rooted at one: a bridge then cuts off exactly its shelter-less subtrees
        parent, sub, label, totals = forest_subtree_sums(n_comp, ca, cb, w, roots=comp[shelter_nodes])
        child = np.where(parent[cb] == ca, cb, ca)
        sub_pop, sub_sh = sub[child, 0], sub[child, 1]
        tot = totals[label[child]]
        isolated = np.where(sub_sh == 0, sub_pop, np.where(tot[:, 1] - sub_sh == 0, tot[:, 0] - sub_pop, 0.0))
        # an origin is cut off by one road when its component hangs, shelter-less, below the shelters' part of
        # its tree; of the roads on its way there, the highest cuts off most people (its subtree holds the rest)
        no_sh = sub[:, 1] == 0
        up = np.arange(n_comp)
        climb = no_sh & (parent >= 0)
        climb[climb] = no_sh[parent[climb]]
        up[climb] = parent[climb]
        while True:  # pointer jumping to the highest shelter-less ancestor
            nxt = up[up]
            if np.array_equal(nxt, up):
                break
            up = nxt
        bridge_of_child = np.full(n_comp, -1, dtype=np.int64)
        bridge_of_child[child] = np.arange(len(bridges))
        oc = comp[onode[ro]]
        hit = no_sh[oc] & (totals[label[oc], 1] > 0)
        origin_bridge[ro[hit]] = bridge_of_child[up[oc[hit]]]
    # the load on a segment counts both directions
    a = np.minimum(network.u, network.v).astype(np.int64) * np.int64(n) + np.maximum(network.u, network.v)
    pair_load = pd.Series(edge_load).groupby(a).transform("sum").to_numpy()
    loaded = np.flatnonzero(edge_load > 0)
    if len(loaded):
        # one row per segment: the direction carrying more
        lo = pd.DataFrame({"e": loaded, "pair": a[loaded], "l": edge_load[loaded]}).sort_values(
            ["pair", "l"], ascending=[True, False]).drop_duplicates("pair")
        lo = lo.sort_values("l", ascending=False, kind="stable").head(n_loaded)["e"].to_numpy()
    else:
        lo = np.zeros(0, np.int64)
    crit_b = bridges[isolated > 0]
    rows = np.r_[crit_b, lo[~np.isin(a[lo], a[crit_b])]].astype(np.int64)
    iso_all = np.zeros(len(rows))
    iso_all[: len(crit_b)] = isolated[isolated > 0]
    load_all = pair_load[rows] if len(rows) else np.zeros(0)
    is_bridge = np.r_[np.ones(len(crit_b), bool), np.zeros(len(rows) - len(crit_b), bool)]
    # the road of each origin, as an edge row of the network reported (only roads in the table)
    cut_edge = np.full(len(onode), -1, dtype=np.int64)
    has = origin_bridge >= 0
    has[has] = isolated[origin_bridge[has]] > 0
    cut_edge[has] = bridges[origin_bridge[has]]
    frame_net = network
    if base is not None and network.parent_edge is not None:
        prow = network.parent_edge[rows]
        nb = np.int64(base.n_nodes)
        key = np.minimum(base.u[prow], base.v[prow]).astype(np.int64) * nb + np.maximum(base.u[prow], base.v[prow])
        g = pd.DataFrame({"key": key, "row": prow, "iso": iso_all, "load": load_all, "br": is_bridge}).groupby(
            "key", sort=False).agg(row=("row", "first"), iso=("iso", "max"), load=("load", "max"), br=("br", "max"))
        rows, iso_all = g["row"].to_numpy(np.int64), g["iso"].to_numpy(float)
        load_all, is_bridge = g["load"].to_numpy(float), g["br"].to_numpy(bool)
        if has.any():
            op = network.parent_edge[cut_edge[has]]
            okey = np.minimum(base.u[op], base.v[op]).astype(np.int64) * nb + np.maximum(base.u[op], base.v[op])
            cut_edge[has] = g["row"].reindex(okey).to_numpy(np.int64)
        frame_net = base
    df = _edges_frame(frame_net, rows, {
        "isolated_population": iso_all,
        "evacuee_load": load_all,
        "is_bridge": is_bridge,
    })
    df["population_at_stake"] = np.maximum(df["isolated_population"], df["evacuee_load"])
    df = df.sort_values(["isolated_population", "evacuee_load"], ascending=False, kind="stable").reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    return df, cut_edge
