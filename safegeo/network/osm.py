"""Read OSM extracts (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``) straight into routable arrays.

One streaming pass in libosmium's C++ (through pyosmium) reads the file,
keeps the ways with a ``highway`` tag and attaches each node's location to
the way; the result is parsed into flat numpy arrays (way, node id, lon,
lat) and everything after that is vectorised:

* ways not usable for the mode are dropped (road class, ``access``,
  ``motor_vehicle``/``motorcar`` for driving, ``foot`` for walking), as
  :func:`~safegeo.network.from_osmnx_graph` does;
* a way is cut where the extract lacks its nodes (a clipped extract): the
  pieces with at least two located nodes stay;
* ways are split into segments at junctions (nodes used by two or more
  kept ways, or twice by one way) and at their ends; the nodes in between
  become the segment's geometry (the simplification osmnx does).

Why not pyosmium's Python objects: iterating ``way.nodes`` builds one
Python object per node reference, which makes that pass alone 1.8x slower
than a plain pyosmium count of the file.  Instead libosmium writes the
filtered ways with their node locations as OPL text into a temporary file,
and Arrow's multi-threaded CSV reader and compute functions parse it in
batches, so no Python code runs per node or per tag.  No XML round trip and
no networkx graph.  pyrosm (Cython) and QuackOSM (DuckDB) read PBF only,
not the ``.osm``/``.osm.bz2`` exports people also have, and neither cuts
ways at missing nodes; libosmium reads every format.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from safegeo._errors import LayerReadError, NetworkError
from safegeo.network.classes import classes_for_mode, parse_maxspeed

log = logging.getLogger(__name__)

#: Way tags read from the file.
WAY_TAGS = ("highway", "oneway", "junction", "maxspeed", "name", "bridge", "access", "motor_vehicle", "motorcar",
            "foot")
#: ``junction`` values that make a way one-way when it has no ``oneway`` tag.
ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})

_FORMAT_HINT = "expected an OSM extract: OSM XML (.osm, .osm.bz2, .osm.gz) or PBF (.osm.pbf), e.g. from Geofabrik"
_OPL_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")


def _unescape(text: str) -> str:
    """Decode OPL's ``%hex%`` escapes."""
    return _OPL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "%" in text else text


def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise LayerReadError(f"{path}: OSM file not found", hint="check the roads path in study.toml")
    if not path.is_file():
        raise LayerReadError(f"{path}: not a file", hint=_FORMAT_HINT)
    return path


def _not_osm(path: Path, exc: Exception) -> LayerReadError:
    from safegeo.io import is_osm_path

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    hint = _FORMAT_HINT if is_osm_path(path) else "name the file .osm, .osm.bz2, .osm.gz or .osm.pbf by its format"
    return LayerReadError(f"{path}: not readable as OSM data ({text})", hint=hint)


def osm_header_box(path: str | Path) -> tuple[float, float, float, float] | None:
    """The bounding box in an OSM file's header, cheaply (the data is not read).

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file.

    Returns
    -------
    tuple or None
        ``(west, south, east, north)`` in degrees, or None when the header
        has no box (many XML exports).

    Raises
    ------
    LayerReadError
        If the file does not exist or is not OSM data (random bytes, a
        text file, a file name osmium cannot place).

    Examples
    --------
    >>> osm_header_box("roads.osm.pbf")  # doctest: +SKIP
    (101.2, 5.7, 102.1, 6.6)
    """
    import osmium

    path = _check_path(path)
    try:
        with osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING) as reader:
            box = reader.header().box()
    except Exception as exc:  # osmium raises RuntimeError/ValueError for anything it cannot parse
        raise _not_osm(path, exc) from exc
    if not box.valid():
        return None
    bl, tr = box.bottom_left, box.top_right
    return (bl.lon, bl.lat, tr.lon, tr.lat)


@dataclass
class OsmWays:
    """The ways with a ``highway`` tag of an OSM file, as flat arrays.

    ``way_id`` and the tag columns have one entry per way; ``ref``, ``lon``
    and ``lat`` hold every way's node references one way after the other
    (``start[i]:start[i + 1]``), with NaN where the file lacks the node.
    """

    way_id: np.ndarray
    tags: pd.DataFrame
    start: np.ndarray
    ref: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    @property
    def n_ways(self) -> int:
        return len(self.way_id)

    @property
    def way_of(self) -> np.ndarray:
        """Way index of every node reference."""
        return np.repeat(np.arange(self.n_ways), np.diff(self.start))


def read_osm_ways(path: str | Path, *, tags: tuple[str, ...] = WAY_TAGS) -> OsmWays:
    """Read the ``highway`` ways of an OSM file with their node locations, in one pass.

    libosmium keeps every node location in memory (its ``flex_mem`` index)
    and writes the road ways as text to a temporary file (in ``TMPDIR``,
    about 100 bytes per way node), which is parsed batch by batch.

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file.
    tags
        Way tags to return (columns of ``tags``; missing tags are None).

    Returns
    -------
    OsmWays

    Raises
    ------
    LayerReadError
        If the file does not exist or is not OSM data.

    Examples
    --------
    >>> ways = read_osm_ways("roads.osm.pbf")  # doctest: +SKIP
    >>> ways.tags["highway"].value_counts().head(3)  # doctest: +SKIP
    """
    import osmium

    path = _check_path(path)
    osm_header_box(path)  # a clear error for files that are not OSM data
    with tempfile.TemporaryDirectory(prefix="safegeo-osm-") as tmp:
        opl = Path(tmp) / "ways.opl"
        try:
            index = osmium.index.create_map("flex_mem")
            locations = osmium.NodeLocationsForWays(index)
            locations.ignore_errors()  # a clipped extract lacks nodes: their locations stay invalid
            roads = osmium.filter.KeyFilter("highway")
            with osmium.io.Reader(str(path), osmium.osm.NODE | osmium.osm.WAY) as reader, \
                    osmium.SimpleWriter(osmium.io.File(str(opl), "opl,locations_on_ways=true,add_metadata=false")) as out:
                osmium.apply(reader, locations, osmium.filter.EntityFilter(osmium.osm.WAY), roads, out)
        except Exception as exc:
            raise _not_osm(path, exc) from exc
        ways = _parse_opl_ways(opl, tags)
    _locate_negative_ids(path, ways)
    return ways


def _locate_negative_ids(path: Path, ways: OsmWays) -> None:
    """Fill the locations of nodes with negative ids (files saved by JOSM), which libosmium's index skips."""
    import osmium

    missing = np.flatnonzero((ways.ref < 0) & np.isnan(ways.lon))
    if len(missing) == 0:
        return
    wanted = set(np.unique(ways.ref[missing]).tolist())
    found: dict[int, tuple[float, float]] = {}
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):  # such files are small hand-made ones
        if node.id < 0 and node.id in wanted and node.location.valid():
            found[node.id] = (node.location.lon, node.location.lat)
    if found:
        known = np.array(sorted(found), dtype=np.int64)
        xy = np.array([found[k] for k in known.tolist()], dtype=np.float64)
        at = np.searchsorted(known, ways.ref[missing])
        hit = (at < len(known)) & (known[np.minimum(at, len(known) - 1)] == ways.ref[missing])
        ways.lon[missing[hit]] = xy[at[hit], 0]
        ways.lat[missing[hit]] = xy[at[hit], 1]


_OPL_COLUMNS = ("id", "tags", "nodes")  # OPL way lines without metadata: w<id> T<tags> N<nodes>


#: Bytes map turning an OPL node list (``Nn<ref>x<lon>y<lat>,...``) into CSV lines `` <ref> <lon> <lat>``.
_OPL_NODES_TO_CSV = bytes.maketrans(b",Nnxy", b"\n\n   ")


def _string_bytes(column: Any) -> tuple[np.ndarray, np.ndarray]:
    """The characters of all values of an Arrow string column end to end (uint8), and each value's length."""
    import pyarrow as pa

    parts, lengths = [], []
    for chunk in column.chunks if hasattr(column, "chunks") else [column]:
        if len(chunk) == 0:
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], width)[chunk.offset: chunk.offset + len(chunk) + 1]
        parts.append(np.frombuffer(chunk.buffers()[2], np.uint8)[offsets[0]:offsets[-1]])
        lengths.append(np.diff(offsets))
    if not parts:
        return np.zeros(0, np.uint8), np.zeros(0, np.int64)
    return np.concatenate(parts), np.concatenate(lengths)


def _opl_tags(column: Any, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Values of *keys* in an Arrow column of OPL tag lists (``Tk=v,k=v``); None where a way lacks the tag."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lists = pc.split_pattern(pc.utf8_slice_codeunits(column, 1), ",")
    parent = pc.list_parent_indices(lists)
    flat = pc.list_flatten(lists)
    nonempty = pc.not_equal(flat, "")  # a way without tags: one empty item
    parent, flat = pc.filter(parent, nonempty), pc.filter(flat, nonempty)
    pairs = pc.split_pattern(flat, "=", max_splits=1)  # OPL always writes k=v, escaping any = inside
    code = pc.fill_null(pc.index_in(pc.list_element(pairs, 0), value_set=pa.array(list(keys))), -1).to_numpy()
    hit = np.flatnonzero(code >= 0)
    # one Python string per distinct value (a few road classes, the street names), OPL's %hex% escapes decoded
    encoded = pc.dictionary_encode(pc.list_element(pairs, 1).take(pa.array(hit)))
    distinct = np.array([_unescape(v) for v in encoded.dictionary.to_pylist()] + [None], dtype=object)
    values = distinct[encoded.indices.to_numpy()]
    rows = parent.to_numpy()[hit]
    out = {}
    for i, k in enumerate(keys):
        col = np.full(len(column), None, dtype=object)
        mine = code[hit] == i
        col[rows[mine]] = values[mine]
        out[k] = col
    return out


def _parse_opl_ways(opl: Path, tags: tuple[str, ...]) -> OsmWays:
    """Parse libosmium's OPL lines ``w<id> T<k=v,...> N<n<ref>x<lon>y<lat>,...>``, batch by batch, with Arrow.

    A node the file lacks is written ``n<ref>xy``: its lon/lat come out NaN.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    csv_parse = pcsv.ParseOptions(delimiter=" ", quote_char=False, escape_char=False)
    ids, counts, refs, lons, lats = [], [], [], [], []
    tag_parts: dict[str, list[np.ndarray]] = {k: [] for k in tags}
    if opl.stat().st_size > 0:
        reader = pcsv.open_csv(
            opl, read_options=pcsv.ReadOptions(column_names=list(_OPL_COLUMNS), block_size=1 << 25),
            parse_options=csv_parse,
            convert_options=pcsv.ConvertOptions(column_types={k: pa.string() for k in _OPL_COLUMNS}))
        for batch in reader:
            ids.append(pc.cast(pc.utf8_slice_codeunits(batch["id"], 1), pa.int64()).to_numpy())
            for k, values in _opl_tags(batch["tags"], tags).items():
                tag_parts[k].append(values)
            nodes = batch["nodes"]
            chars, length = _string_bytes(nodes)
            commas = pc.count_substring(nodes, ",").to_numpy()
            counts.append(np.where(length > 1, commas + 1, 0))  # "N" alone: a way without nodes
            if len(chars) == 0:
                continue
            text = chars.tobytes().translate(_OPL_NODES_TO_CSV)
            table = pcsv.read_csv(
                pa.BufferReader(pa.py_buffer(text)),
                read_options=pcsv.ReadOptions(column_names=["_", "ref", "lon", "lat"], block_size=1 << 24),
                parse_options=csv_parse,
                convert_options=pcsv.ConvertOptions(include_columns=["ref", "lon", "lat"], column_types={
                    "ref": pa.int64(), "lon": pa.float64(), "lat": pa.float64()}))
            refs.append(table["ref"].to_numpy())
            lons.append(table["lon"].to_numpy())  # null (node not in the file) -> NaN
            lats.append(table["lat"].to_numpy())

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

    pa.default_memory_pool().release_unused()  # hand Arrow's parsing buffers back before the arrays grow
    count = cat(counts, np.int64)
    start = np.zeros(len(count) + 1, dtype=np.int64)
    np.cumsum(count, out=start[1:])
    ref = cat(refs, np.int64)
    if len(ref) != start[-1]:  # cannot happen with libosmium's OPL; guards against silent misalignment
        raise LayerReadError(f"OSM ways: read {len(ref):,} node references, expected {start[-1]:,}")
    frame = pd.DataFrame({k: cat(v, object) for k, v in tag_parts.items()}, dtype=object)
    return OsmWays(cat(ids, np.int64), frame, start, ref, cat(lons, np.float64), cat(lats, np.float64))


def _by_value(values: pd.Series, fn: Any, missing: Any) -> np.ndarray:
    """``fn`` applied to the distinct values of *values* only (tags repeat a few values over many ways)."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    out = np.asarray(fn(pd.Series(np.asarray(uniq, dtype=object), dtype=object)))
    return np.append(out, np.asarray([missing], dtype=out.dtype))[codes]


def _lower(values: pd.Series) -> np.ndarray:
    return _by_value(values, lambda u: np.array([str(x).strip().lower() for x in u], dtype=object), "")


def usable_ways(tags: pd.DataFrame, mode: str) -> np.ndarray:
    """Mask of ways usable in *mode*: road class, then ``access`` / ``motor_vehicle`` / ``motorcar`` / ``foot``.

    The same rule as :func:`~safegeo.network.from_osmnx_graph`: ``access`` of
    ``private`` or ``no`` excludes a way; for driving ``motor_vehicle`` (else
    ``motorcar``) ``no`` does, for walking ``foot=no``.
    """
    ok = classes_for_mode(tags["highway"].to_numpy(dtype=object), mode)
    ok &= ~np.isin(_lower(tags["access"]), ["private", "no"]) if "access" in tags else True
    if mode == "drive" and ("motor_vehicle" in tags or "motorcar" in tags):
        mv = tags["motor_vehicle"] if "motor_vehicle" in tags else pd.Series([None] * len(tags), dtype=object)
        car = tags["motorcar"] if "motorcar" in tags else pd.Series([None] * len(tags), dtype=object)
        ok &= _lower(mv.where(mv.notna(), car)) != "no"
    if mode == "walk" and "foot" in tags:
        ok &= _lower(tags["foot"]) != "no"
    return ok


def way_directions(tags: pd.DataFrame) -> np.ndarray:
    """Travel direction of each way: 1 along its nodes, -1 against them, 0 both ways.

    ``oneway`` as in :func:`safegeo._validate.oneway_direction` (``yes``/``true``/``1``
    along, ``-1``/``reverse`` against, ``reversible``/``alternating`` both
    ways); a roundabout (``junction=roundabout``/``circular``) without a
    ``oneway`` tag is one-way along its nodes.
    """
    from safegeo._validate import oneway_direction

    direction = _by_value(tags["oneway"], lambda u: oneway_direction(u)[0], 0)
    if "junction" in tags:
        ring = np.isin(_lower(tags["junction"]), list(ONEWAY_JUNCTIONS)) & tags["oneway"].isna().to_numpy()
        direction[ring] = 1
    return direction


@dataclass
class OsmArrays:
    """An OSM extract as the arrays :meth:`RoadNetwork.from_arrays` takes (one row per road segment).

    ``x``/``y``/``node_id`` are the nodes (projected metres, OSM ids),
    ``u``/``v`` the segments in travel direction for one-way roads, with
    ``geometry`` (LineStrings ``u`` → ``v``) and ``length_m``; ``attrs``
    holds ``osmid`` (way id), ``name``, ``bridge`` and ``access``.
    ``ways_cut`` counts the usable ways that lost nodes missing from the
    file; ``dropped_segments`` the node-to-node steps of ways not usable
    for the mode.
    """

    crs: CRS
    x: np.ndarray
    y: np.ndarray
    node_id: np.ndarray
    u: np.ndarray
    v: np.ndarray
    highway: np.ndarray
    oneway: np.ndarray
    maxspeed_kph: np.ndarray
    geometry: np.ndarray
    length_m: np.ndarray
    attrs: pd.DataFrame
    ways_read: int = 0
    ways_used: int = 0
    ways_cut: int = 0
    dropped_segments: int = 0

    def from_arrays_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`RoadNetwork.from_arrays`."""
        names = ("x", "y", "u", "v", "crs", "highway", "oneway", "length_m", "geometry", "attrs", "node_id",
                 "maxspeed_kph")
        return {k: getattr(self, k) for k in names}


def osm_arrays(path: str | Path, *, mode: str = "drive", crs: Any = None) -> OsmArrays:
    """Read an OSM extract into road segments for *mode*, split at junctions.

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file; a
        clipped extract is fine (ways are cut where their nodes are missing).
    mode
        ``"drive"`` or ``"walk"``: which ways are kept (see :func:`usable_ways`).
    crs
        Projected working CRS; the UTM zone at the centre of the roads when None.

    Returns
    -------
    OsmArrays

    Raises
    ------
    LayerReadError
        If the file does not exist or is not OSM data.
    NetworkError
        If no way is usable for *mode*.

    Examples
    --------
    >>> from safegeo.network import RoadNetwork
    >>> a = osm_arrays("roads.osm.pbf", mode="drive")  # doctest: +SKIP
    >>> net = RoadNetwork.from_arrays(**a.from_arrays_kwargs(), mode="drive")  # doctest: +SKIP
    """
    return segments_from_ways(read_osm_ways(path), mode=mode, crs=crs, source=str(path))


def segments_from_ways(ways: OsmWays, *, mode: str = "drive", crs: Any = None, source: str = "OSM data") -> OsmArrays:
    """Split the usable ways of *ways* into road segments at junctions (see :func:`osm_arrays`)."""
    keep_way = usable_ways(ways.tags, mode)
    n_nodes_way = np.diff(ways.start)
    dropped_segments = int(np.maximum(n_nodes_way[~keep_way] - 1, 0).sum())
    way_of = ways.way_of
    pos = np.flatnonzero(keep_way[way_of])
    w, ref, lon, lat = way_of[pos], ways.ref[pos], ways.lon[pos], ways.lat[pos]
    # osmnx drops a node repeated right after itself
    dup = np.zeros(len(ref), bool)
    dup[1:] = (ref[1:] == ref[:-1]) & (w[1:] == w[:-1])
    located = np.isfinite(lon)
    ways_cut = int(np.count_nonzero(np.bincount(w[~located], minlength=ways.n_ways)))
    keep = ~dup & located
    # pieces: runs of located nodes; a missing node (not a repeated one) ends a piece
    breaks = np.ones(len(ref), bool)
    breaks[1:] = (w[1:] != w[:-1]) | ~located[:-1]
    piece = np.cumsum(breaks) - 1
    w, ref, lon, lat, piece = w[keep], ref[keep], lon[keep], lat[keep], piece[keep]
    if len(piece):  # piece numbers only grow: renumber them 0, 1, ... and count their nodes
        piece = np.cumsum(np.r_[True, piece[1:] != piece[:-1]]) - 1
        long_enough = np.bincount(piece)[piece] >= 2
        w, ref, lon, lat, piece = w[long_enough], ref[long_enough], lon[long_enough], lat[long_enough], piece[long_enough]
    if len(ref) == 0:
        raise NetworkError(f"{source}: no ways usable for the {mode} network",
                           hint=f"the file has {ways.n_ways:,} highway ways, none usable for {mode}"
                                + (f"; {ways_cut:,} lack their nodes (a clipped extract?)" if ways_cut else ""))
    if ways_cut:
        log.info("%s: %d ways cut where the extract lacks their nodes", source, ways_cut)

    # junctions: nodes used twice or more (by two ways, or twice by one), plus the ends of every piece
    inv, node_ids = pd.factorize(ref)  # hashing: faster than sorting
    used = np.bincount(inv)
    first = np.ones(len(ref), bool)
    first[1:] = piece[1:] != piece[:-1]
    last = np.ones(len(ref), bool)
    last[:-1] = piece[1:] != piece[:-1]
    is_node = (used[inv] >= 2) | first | last
    node_pos = np.flatnonzero(is_node)
    a, b = node_pos[:-1], node_pos[1:]
    same = piece[a] == piece[b]
    a, b = a[same], b[same]

    if crs is None:
        from safegeo.projection import utm_crs_for_lonlat

        crs = utm_crs_for_lonlat(float(np.mean(lon[node_pos])), float(np.mean(lat[node_pos])))
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        from safegeo._errors import CRSError

        raise CRSError(f"the working CRS {crs.name} is not projected", hint="give a projected CRS such as a UTM zone")
    px, py = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)

    # segment geometry: every vertex from a to b
    lens = b - a + 1
    offs = np.cumsum(lens) - lens
    idx = np.repeat(a - offs, lens) + np.arange(int(lens.sum()))
    geom = shapely.from_ragged_array(shapely.GeometryType.LINESTRING, np.column_stack([px[idx], py[idx]]),
                                     (np.r_[0, np.cumsum(lens)],))
    node_index = np.full(len(node_ids), -1, dtype=np.int64)
    node_of_pos = inv[node_pos]
    is_node_id = np.zeros(len(node_ids), bool)
    is_node_id[node_of_pos] = True
    present = np.flatnonzero(is_node_id)
    node_index[present] = np.arange(len(present))
    # coordinates of each node: its first position
    first_pos = np.full(len(node_ids), -1, dtype=np.int64)
    first_pos[node_of_pos] = node_pos  # any position of a node: they share its location
    nx_ = px[first_pos[present]]
    ny_ = py[first_pos[present]]
    u = node_index[inv[a]]
    v = node_index[inv[b]]

    seg_way = w[a]
    direction = way_directions(ways.tags)[seg_way]
    against = direction < 0
    if against.any():  # oneway=-1: traffic runs against the node order
        geom[against] = shapely.reverse(geom[against])
        u[against], v[against] = v[against].copy(), u[against].copy()
    # length: the sum of the steps between consecutive vertices (what shapely.length gives, without GEOS);
    # segments of a piece follow each other, and the step from one piece to the next counts for nothing
    step = np.r_[np.hypot(np.diff(px), np.diff(py)), 0.0]
    step[last] = 0.0
    length = np.add.reduceat(step, a) if len(a) else np.zeros(0)
    ok = length > 0  # a way back onto its own node with no length is no road
    tags = ways.tags
    hw = tags["highway"].to_numpy(dtype=object)
    maxspeed = _by_value(tags["maxspeed"], lambda u: np.array([parse_maxspeed(x) for x in u], dtype=float), np.nan)
    from safegeo._validate import _to_bool

    bridge = _by_value(tags["bridge"], lambda u: _to_bool(u).to_numpy(dtype=bool), False)
    seg = seg_way[ok]
    attrs = pd.DataFrame({
        "osmid": ways.way_id[seg],
        "name": pd.Series(tags["name"].to_numpy(dtype=object)[seg], dtype=object),
        "bridge": bridge[seg],
        "access": pd.Series(tags["access"].to_numpy(dtype=object)[seg], dtype=object),
    })
    return OsmArrays(
        crs=crs, x=nx_, y=ny_, node_id=node_ids[present], u=u[ok], v=v[ok], highway=hw[seg],
        oneway=(direction != 0)[ok], maxspeed_kph=maxspeed[seg], geometry=geom[ok], length_m=length[ok],
        attrs=attrs, ways_read=ways.n_ways, ways_used=int(np.count_nonzero(np.r_[True, w[1:] != w[:-1]])),
        ways_cut=ways_cut, dropped_segments=dropped_segments,
    )
