"""Road networks: OSM files, line layers, components, snapping and the CSR kernel."""

from __future__ import annotations

import pickle

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from conftest import UTM47, X0, Y0, grid_roads
from scipy.sparse.csgraph import dijkstra

from safegeo import CRSError, NetworkError
from safegeo.network import (
    DRIVE_CLASSES,
    RoadNetwork,
    build_csr,
    from_lines,
    from_osm_file,
    read_osm_graph,
)


def _lines(coords_list, **cols):
    return gpd.GeoDataFrame(cols, geometry=[shapely.LineString(c) for c in coords_list], crs=UTM47)


# --- CSR kernel -------------------------------------------------------------------------------
def test_build_csr_keeps_cheapest_parallel_edge():
    u = np.array([0, 0, 1, 0])
    v = np.array([1, 1, 2, 1])
    w = np.array([5.0, 3.0, 1.0, 4.0])
    g = build_csr(3, u, v, w)
    assert g.matrix[0, 1] == 3.0 and g.matrix[1, 2] == 1.0
    assert g.edge_of.tolist() == [1, 2]  # the 3.0 edge and the 1→2 edge
    # scipy's own COO conversion would sum the parallel edges
    assert sp.coo_array((w, (u, v)), shape=(3, 3)).tocsr()[0, 1] == 12.0
    rev = build_csr(3, u, v, w, reverse=True)
    assert rev.matrix[1, 0] == 3.0 and rev.matrix[2, 1] == 1.0
    assert rev.edge_between(np.array([2, 1]), np.array([1, 0])).tolist() == [2, 1]


def test_build_csr_drops_closed_and_keeps_zero_edges():
    g = build_csr(3, np.array([0, 1]), np.array([1, 2]), np.array([0.0, np.inf]))
    d = dijkstra(g.matrix, indices=0)
    assert d[1] == 0.0 and np.isinf(d[2])


# --- arrays -----------------------------------------------------------------------------------
def test_one_way_and_largest_scc_reported():
    # square 0-1-2-3 two-way, plus a one-way spur 3 -> 4 (4 can be reached but not left)
    x = np.array([0, 100, 100, 0, -100.0]) + X0
    y = np.array([0, 0, 100, 100, 100.0]) + Y0
    u = np.array([0, 1, 2, 3, 3])
    v = np.array([1, 2, 3, 0, 4])
    oneway = np.array([False, False, False, False, True])
    net = RoadNetwork.from_arrays(x, y, u, v, crs=UTM47, oneway=oneway, highway=np.array(["residential"] * 5))
    assert net.n_nodes == 4 and net.n_edges == 8
    r = net.report
    assert r.components == 2 and r.dropped_nodes == 1 and r.dropped_edges == 1 and r.largest_dropped_island == 1
    assert "dropped 1 nodes" in r.format()


def test_travel_time_from_class_speeds():
    x = np.array([0.0, 1000.0]) + X0
    y = np.array([0.0, 0.0]) + Y0
    net = RoadNetwork.from_arrays(x, y, np.array([0]), np.array([1]), crs=UTM47, highway=np.array(["primary"]),
                                  speeds_kph={"primary": 72.0})
    assert net.length_m.tolist() == [1000.0, 1000.0]
    assert net.time_s.tolist() == pytest.approx([50.0, 50.0])  # 1 km at 72 km/h = 50 s


def test_geographic_crs_refused():
    with pytest.raises(CRSError, match="projected CRS"):
        RoadNetwork.from_arrays(np.array([101.0, 101.1]), np.array([6.0, 6.0]), np.array([0]), np.array([1]),
                                crs="EPSG:4326")


def test_no_usable_roads():
    roads = _lines([[(X0, Y0), (X0 + 100, Y0)]], highway=["footway"])
    with pytest.raises(NetworkError, match="no road segment is usable for the drive network"):
        from_lines(roads, mode="drive")
    assert from_lines(roads, mode="walk").n_edges == 2


# --- line layers ------------------------------------------------------------------------------
def test_lines_connect_at_shared_vertices_only():
    # a '+' whose lines share the centre vertex: one junction, 4 arms, 5 nodes
    shared = _lines([[(X0 - 100, Y0), (X0, Y0), (X0 + 100, Y0)], [(X0, Y0 - 100), (X0, Y0), (X0, Y0 + 100)]],
                    highway=["residential", "residential"])
    net = from_lines(shared)
    assert net.n_nodes == 5 and net.n_edges == 8
    # the same lines crossing without a shared vertex (a flyover): not connected
    flyover = _lines([[(X0 - 100, Y0), (X0 + 100, Y0)], [(X0, Y0 - 100), (X0, Y0 + 100)]],
                     highway=["residential", "residential"])
    net2 = from_lines(flyover)
    assert net2.report.components == 2 and net2.n_nodes == 2
    # every component, when asked (reach from points on small islands of road)
    every = from_lines(flyover, largest_component=False)
    assert every.n_nodes == 4 and every.n_edges == 4


def test_grid_network_shortest_paths_match_networkx():
    net = from_lines(grid_roads(5, 100.0))
    assert net.n_nodes == 25 and net.n_edges == 2 * 40
    d = dijkstra(net.csr("length").matrix, indices=0)
    g = net.to_networkx()
    ref = nx.single_source_dijkstra_path_length(g, 0, weight="length")
    assert all(d[k] == pytest.approx(val) for k, val in ref.items())
    # Manhattan distance on a grid: the far corner is 800 m away
    far = int(np.argmax(np.hypot(net.x - net.x[0], net.y - net.y[0])))
    assert d[far] == pytest.approx(800.0)


def test_snap_max_distance_and_nearer_end():
    net = from_lines(grid_roads(2, 100.0))  # a 100 m square
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 20, Y0 - 10), shapely.Point(X0 + 50, Y0 - 600)], crs=UTM47)
    s = net.snap(pts, max_snap_m=500)
    assert s.ok.tolist() == [True, False]
    assert s.snap_m[0] == pytest.approx(10.0)
    assert (net.x[s.node[0]], net.y[s.node[0]]) == (X0, Y0)  # 20 m along: the nearer end is the corner at X0
    assert s.node[1] == -1 and s.unsnappable.tolist() == [1]
    # the same points in lon/lat are reprojected before snapping
    s2 = net.snap(pts.to_crs(4326), max_snap_m=500)
    assert s2.node.tolist() == s.node.tolist()


def test_save_load_roundtrip(tmp_path):
    net = from_lines(grid_roads(3, 100.0))
    path = net.save(tmp_path / "net.gpkg")
    back = RoadNetwork.load(path)
    assert back.n_nodes == net.n_nodes and back.n_edges == net.n_edges
    assert np.allclose(back.time_s, net.time_s) and back.crs == net.crs
    d1 = dijkstra(net.csr().matrix, indices=0)
    d2 = dijkstra(back.csr().matrix, indices=0)
    assert np.allclose(d1, d2)


def test_pickle_keeps_lines_shared_and_equal():
    # a bent road (3 vertices) and a grid: the backward edges share their road's line until first use
    roads = grid_roads(3, 100.0)
    roads.loc[0, "geometry"] = shapely.LineString([(X0, Y0), (X0 + 50, Y0 - 30), (X0 + 100, Y0)])
    net = from_lines(roads)
    assert net._flip is not None
    shared = len({id(g) for g in net._geometry})
    assert shared < net.n_edges  # two directions, one line object
    back = pickle.loads(pickle.dumps(net, protocol=5))
    assert len({id(g) for g in back._geometry}) == shared
    np.testing.assert_array_equal(back._flip, net._flip)
    assert shapely.equals_exact(back.edge_geometries(), net.edge_geometries(), tolerance=0).all()
    net.snap(gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 20, Y0 - 10)], crs=UTM47), max_snap_m=50)  # builds a tree
    assert net._tree is not None
    back = pickle.loads(pickle.dumps(net, protocol=5))
    assert back._tree is None and shapely.equals_exact(back.geometry, net.geometry, tolerance=0).all()
    np.testing.assert_array_equal(dijkstra(back.csr().matrix, indices=0), dijkstra(net.csr().matrix, indices=0))
    # some straight edges without a line, and lines not packable (3-D) round-trip too
    full = net.geometry.copy()
    g = full.copy()
    g[::3] = None
    net.geometry = g
    back = pickle.loads(pickle.dumps(net))
    assert [x is None for x in back.geometry] == [x is None for x in g]
    assert shapely.equals_exact(back.geometry[1::3], g[1::3], tolerance=0).all()
    net.geometry = shapely.force_3d(full)
    back = pickle.loads(pickle.dumps(net))
    assert shapely.has_z(back.geometry).all() and shapely.equals_exact(back.geometry, net.geometry, tolerance=0).all()


# --- real OSM extracts ------------------------------------------------------------------------
@pytest.mark.shared_data
def test_osm_xml_bz2_and_pbf_agree(shared_data):
    osm = shared_data / "osm_osmnx_tests"
    bz2 = from_osm_file(osm / "aguascalientes.osm.bz2")
    pbf = from_osm_file(osm / "aguascalientes.osm.pbf")
    assert bz2.crs.to_epsg() == 32613  # UTM 13N for Aguascalientes
    assert (bz2.n_nodes, bz2.n_edges) == (pbf.n_nodes, pbf.n_edges)
    assert bz2.length_m.sum() == pytest.approx(pbf.length_m.sum(), rel=1e-9)
    assert set(bz2.edge_data["highway"]) <= DRIVE_CLASSES


@pytest.mark.shared_data
def test_drive_filters_footways_walk_keeps_them(shared_data):
    path = shared_data / "osm_osmnx_tests" / "West-Oakland.osm.bz2"
    raw = read_osm_graph(path)
    raw_classes = {d.get("highway") for *_, d in raw.edges(data=True)}
    assert "footway" in raw_classes  # graph_from_xml keeps every way it is given
    drive = from_osm_file(path, mode="drive")
    walk = from_osm_file(path, mode="walk")
    assert "footway" not in set(drive.edge_data["highway"])
    assert "footway" in set(walk.edge_data["highway"])
    assert drive.report.dropped_by_class > 0
    # walking ignores one-way restrictions: every walk edge has its reverse
    pairs = set(zip(walk.u.tolist(), walk.v.tolist()))
    assert all((b, a) in pairs for a, b in pairs)


@pytest.mark.shared_data
def test_plain_osm_xml(shared_data):
    net = from_osm_file(shared_data / "osm_osmnx_tests" / "planet_10.068_48.135_10.071_48.137.osm", mode="walk")
    assert net.crs.to_epsg() == 32632 and net.n_nodes > 0
    # reachable everywhere: the kept part is strongly connected
    from scipy.sparse.csgraph import connected_components

    assert connected_components(net.csr().matrix, directed=True, connection="strong")[0] == 1


def test_build_csr_matches_bruteforce_min_on_random_multigraph():
    rng = np.random.default_rng(42)
    n, m = 30, 400  # many parallel edges
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    w = rng.integers(0, 5, m).astype(float)  # ties included
    w[rng.random(m) < 0.05] = np.inf
    ref: dict[tuple[int, int], tuple[float, int]] = {}
    for k, (a, b, c) in enumerate(zip(u.tolist(), v.tolist(), w.tolist())):
        if np.isfinite(c) and ((a, b) not in ref or c < ref[(a, b)][0]):
            ref[(a, b)] = (c, k)
    for reverse in (False, True):
        g = build_csr(n, u, v, w, reverse=reverse)
        coo = g.matrix.tocoo()
        got = {((c, r) if reverse else (r, c)): val for r, c, val in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist())}
        assert got == {k: val for k, (val, _) in ref.items()}
        # each stored entry points at an edge with that cost and those ends (the first cheapest one)
        e = g.edge_of
        assert np.array_equal(w[e], g.matrix.data)
        assert all(ref[(int(u[i]), int(v[i]))][1] == i for i in e)


def test_edge_between_finds_every_stored_entry_and_rejects_missing():
    rng = np.random.default_rng(3)
    n, m = 50, 300
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.random(m)
    for reverse in (False, True):
        g = build_csr(n, u, v, w, reverse=reverse)
        coo = g.matrix.tocoo()
        got = g.edge_between(coo.row, coo.col)
        tails, heads = (v[got], u[got]) if reverse else (u[got], v[got])
        assert np.array_equal(tails, coo.row) and np.array_equal(heads, coo.col)
        present = set(zip(coo.row.tolist(), coo.col.tolist()))
        missing = [(a, b) for a in range(n) for b in range(n) if (a, b) not in present][:200]
        ma = np.array(missing)
        assert (g.edge_between(ma[:, 0], ma[:, 1]) == -1).all()


@pytest.mark.shared_data
def test_online_sources_go_through_osmnx_and_fail_clearly(shared_data, monkeypatch):
    import osmnx as ox

    from safegeo import OnlineError
    from safegeo.network import from_osmnx_download

    xml = shared_data / "osm_osmnx_tests" / "aguascalientes.osm.bz2"
    calls = []

    def fake_place(place, **kw):  # stands in for the download, offline
        calls.append((place, kw["network_type"]))
        return ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)

    monkeypatch.setattr(ox, "graph_from_place", fake_place)
    net = from_osmnx_download({"place": "Aguascalientes, Mexico"}, mode="drive")
    assert calls == [("Aguascalientes, Mexico", "drive")]
    local = from_osm_file(xml)  # splits at every way end too: osmnx's nodes are a subset, the roads the same
    assert set(net.node_id.tolist()) <= set(local.node_id.tolist())
    assert net.length_m.sum() == pytest.approx(local.length_m.sum(), rel=1e-9)

    def offline(*a, **kw):
        raise ConnectionError("Max retries exceeded with url: nominatim.openstreetmap.org")

    monkeypatch.setattr(ox, "graph_from_bbox", offline)
    with pytest.raises(OnlineError, match=r"could not download OSM data") as err:
        from_osmnx_download({"bbox": [101.8, 6.4, 101.85, 6.45]})
    assert "offline, point roads at a local .osm/.osm.pbf file" in str(err.value)


# --- line layers as users export them -------------------------------------------------------------
def _square(**cols):
    """A 100 m square digitised anticlockwise from (X0, Y0): four lines, one per side."""
    c = [(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100)]
    return _lines([[c[i], c[(i + 1) % 4]] for i in range(4)], **cols)


def _arcs(net):
    """Directed edges as ((x, y) tail, (x, y) head) offsets from (X0, Y0)."""
    return {((round(net.x[a] - X0), round(net.y[a] - Y0)), (round(net.x[b] - X0), round(net.y[b] - Y0)))
            for a, b in zip(net.u.tolist(), net.v.tolist())}


@pytest.mark.parametrize("values", [["no", "yes", "-1", None], [0, 1, -1, 0], ["", "true", "reverse", "no"]])
def test_oneway_minus_one_runs_against_the_digitised_direction(values):
    # OSM oneway=-1: one-way against the way's direction; it must not become a forward one-way
    net = from_lines(_square(highway=["residential"] * 4, oneway=values), largest_component=False)
    arcs = _arcs(net)
    assert ((100, 0), (100, 100)) in arcs and ((100, 100), (100, 0)) not in arcs  # side 2: oneway=yes
    assert ((0, 100), (100, 100)) in arcs and ((100, 100), (0, 100)) not in arcs  # side 3: -1, drawn (100,100)->(0,100)
    assert ((0, 0), (100, 0)) in arcs and ((100, 0), (0, 0)) in arcs  # side 1: both ways
    assert net.n_edges == 6
    # the edge geometry runs in travel direction
    e = next(k for k, (a, b) in enumerate(zip(net.u, net.v))
             if (net.x[a], net.y[a], net.x[b], net.y[b]) == (X0, Y0 + 100, X0 + 100, Y0 + 100))
    assert shapely.get_coordinates(net.geometry[e]).tolist() == [[X0, Y0 + 100], [X0 + 100, Y0 + 100]]


def test_road_classes_any_case_and_osm_text_speeds():
    roads = _square(highway=["Residential", " PRIMARY", "residential", "residential"],
                    maxspeed_kph=["50", None, "30 mph", "fast"])
    net = from_lines(roads)
    assert net.n_edges == 8  # "Residential" is residential, not an unknown class dropped from the drive network
    speed = dict(zip(net.edge_data["highway"].str.strip().str.lower() + net.edge_data.index.astype(str),
                     net.edge_data["speed_kph"]))
    got = sorted({round(s, 1) for s in speed.values()})
    # 50 (tagged), 70 (primary class speed), 48.3 (30 mph), 30 (residential class speed; "fast" is unreadable)
    assert got == [30.0, 48.3, 50.0, 70.0]


def test_thai_class_speeds_are_the_default_everywhere():
    # a notebook user building from lines without a study file gets the same speeds as `safegeo prepare`
    from safegeo.network import DEFAULT_SPEEDS_KPH
    from safegeo.settings import DEFAULT_PARAMS

    net = from_lines(_square(highway=["primary", "residential", "track", "unclassified"]))
    got = dict(zip(net.edge_data["highway"], net.edge_data["speed_kph"]))
    assert got == {"primary": 70.0, "residential": 30.0, "track": 15.0, "unclassified": 40.0}
    assert DEFAULT_PARAMS["network"]["speeds_kph"] == DEFAULT_SPEEDS_KPH
    # a partial override keeps the other classes' defaults
    net = from_lines(_square(highway=["primary", "residential", "track", "unclassified"]),
                     params={"speeds_kph": {"track": 10.0}})
    assert dict(zip(net.edge_data["highway"], net.edge_data["speed_kph"]))["primary"] == 70.0


def test_multilinestrings_duplicates_and_zero_length_lines():
    base = from_lines(grid_roads(3, 100.0))
    d0 = dijkstra(base.csr("length").matrix, indices=0)
    roads = grid_roads(3, 100.0)
    # the same roads as two-part MultiLineStrings, plus a duplicated line and a zero-length line
    geoms = list(roads.geometry)
    multi = [shapely.MultiLineString([geoms[i], geoms[i + 1]]) for i in range(0, len(geoms) - 1, 2)]
    dup = [geoms[0], shapely.LineString([(X0 + 100, Y0 + 100), (X0 + 100, Y0 + 100)])]
    lines = multi + ([geoms[-1]] if len(geoms) % 2 else []) + dup
    odd = gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=UTM47)
    net = from_lines(odd)
    assert net.n_nodes == base.n_nodes
    assert (net.u != net.v).all()  # no self-loop from the zero-length line
    # node numbering may differ: compare distances from the same corner
    start = int(np.flatnonzero((net.x == X0) & (net.y == Y0))[0])
    d = dijkstra(net.csr("length").matrix, indices=start)
    assert sorted(np.round(d, 6)) == sorted(np.round(d0, 6))
    assert net.csr("length").matrix.nnz == base.csr("length").matrix.nnz  # the duplicate adds no arc


def test_report_does_not_count_footpath_nodes_as_islands():
    # a drive network beside a footpath: the footpath's nodes are not "dropped islands"
    roads = _lines([[(X0, Y0), (X0 + 100, Y0)], [(X0, Y0 + 500), (X0 + 100, Y0 + 500)]],
                   highway=["residential", "footway"])
    r = from_lines(roads).report
    assert (r.nodes, r.dropped_nodes, r.components, r.dropped_by_class) == (2, 0, 1, 1)
    assert "all strongly connected" in r.format()


def test_unique_rows_by_one_key_equals_numpy_unique_over_rows():
    from safegeo.network.build import _unique_rows

    rng = np.random.default_rng(11)
    for q in (rng.integers(-40, 40, (5000, 2)) * np.array([3, 7]) + np.array([-5 * 10**7, 6 * 10**8]),
              rng.integers(-2**40, 2**40, (300, 2))):  # too wide for one key: numpy's own path
        q = np.vstack([q, q[:100]]).astype(np.int64)  # shared vertices
        want = np.unique(q, axis=0, return_inverse=True, return_counts=True)[1:]
        got = _unique_rows(q)
        for w, g in zip(want, got, strict=True):
            np.testing.assert_array_equal(np.asarray(w).ravel(), np.asarray(g).ravel())
