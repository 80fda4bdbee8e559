"""Write a synthetic road graph as an OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz``).

The segments of a :class:`~safegeo.generate.SyntheticGraph` are joined into
OSM ways the way mappers draw them: a street continues through a junction
when exactly two of the segments meeting there carry the same attributes
(class, name, one-way, bridge, speed limit), so a long street is one way
crossed by its side streets, as in real OSM data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from safegeo.generate.graph import SyntheticGraph

#: OSM API limit on the number of nodes in one way.
MAX_WAY_NODES = 2000


def _segment_keys(g: SyntheticGraph) -> np.ndarray:
    """One integer per segment; segments with equal keys carry equal tags."""
    key = np.zeros(g.n_edges, dtype=np.int64)
    for part in (pd.factorize(g.highway)[0], pd.factorize(pd.Series(g.name, dtype=object).fillna("\x00"))[0],
                 g.oneway.astype(np.int64), g.bridge.astype(np.int64),
                 pd.factorize(np.nan_to_num(g.maxspeed_kph, nan=-1.0))[0]):
        key = pd.factorize(key * (int(part.max(initial=0)) + 1) + part)[0].astype(np.int64)  # stays small
    return key


def way_node_sequences(g: SyntheticGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join the segments of *g* into ways.

    Returns
    -------
    nodes : numpy.ndarray
        Node indices of all ways, one way after the other (travel direction for one-way ways).
    counts : numpy.ndarray
        Number of nodes of each way (2 ... :data:`MAX_WAY_NODES`).
    first_segment : numpy.ndarray
        A segment of each way (its tags are the way's tags).

    Examples
    --------
    >>> from safegeo.generate import synthetic_road_graph
    >>> g = synthetic_road_graph(2_000, seed=1)
    >>> nodes, counts, first = way_node_sequences(g)
    >>> int((counts - 1).sum()) == g.n_edges  # every segment in exactly one way
    True
    """
    m = g.n_edges
    key = _segment_keys(g)
    # segment ends: 0..m-1 are the u ends, m..2m-1 the v ends
    end_node = np.concatenate([g.u, g.v])
    end_key = np.concatenate([key, key])
    seg = np.concatenate([np.arange(m), np.arange(m)])
    order = np.lexsort((end_key, end_node))
    gn, gk = end_node[order], end_key[order]
    new = np.r_[True, (gn[1:] != gn[:-1]) | (gk[1:] != gk[:-1])]
    start = np.flatnonzero(new)
    size = np.diff(np.r_[start, len(order)])
    pair = start[size == 2]
    a, b = order[pair], order[pair + 1]
    ok = seg[a] != seg[b]  # a self loop does not continue through itself
    # a one-way street continues only when one segment enters the node and the other leaves it
    ow = g.oneway[seg[a]]
    ok &= ~ow | ((a >= m) != (b >= m))
    partner = np.full(2 * m, -1, dtype=np.int64)
    partner[a[ok]] = b[ok]
    partner[b[ok]] = a[ok]

    u_l, v_l, p_l = g.u.tolist(), g.v.tolist(), partner.tolist()
    oneway = g.oneway.tolist()
    visited = bytearray(m)
    flat: list[int] = []
    counts: list[int] = []
    firsts: list[int] = []

    def walk(s: int, entry_is_u: bool) -> None:
        # entering segment s through its u end (entry_is_u) or its v end
        seq = [u_l[s] if entry_is_u else v_l[s]]
        first = s
        while True:
            visited[s] = 1
            seq.append(v_l[s] if entry_is_u else u_l[s])
            exit_end = s + m if entry_is_u else s
            q = p_l[exit_end]
            if q < 0 or len(seq) >= MAX_WAY_NODES:
                break
            t = q % m
            if visited[t]:
                break
            s, entry_is_u = t, q < m
        if oneway[first] and seq[0] != u_l[first]:
            seq.reverse()
        flat.extend(seq)
        counts.append(len(seq))
        firsts.append(first)

    free_u = (partner[:m] < 0).tolist()
    free_v = (partner[m:] < 0).tolist()
    for s in range(m):  # chains start at a free end
        if not visited[s] and (free_u[s] or free_v[s]):
            walk(s, free_u[s])
    for s in range(m):  # closed rings, and chains cut at MAX_WAY_NODES
        if not visited[s]:
            walk(s, True)
    return np.array(flat, dtype=np.int64), np.array(counts, dtype=np.int64), np.array(firsts, dtype=np.int64)


def _opl_escape(value: str) -> str:
    """OPL text of a tag key or value: anything but letters, digits and ``-_.:/`` as ``%hex%``."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.:/") else f"%{ord(c):x}%" for c in value)


def _way_tags(g: SyntheticGraph, first: np.ndarray) -> list[str]:
    """OPL tag lists (``k=v,k=v``) of the ways whose first segments are *first*."""
    cols = {
        "highway": g.highway[first].astype(object),
        "name": g.name[first],
        "oneway": np.where(g.oneway[first], "yes", None),
        "bridge": np.where(g.bridge[first], "yes", None),
        "maxspeed": np.array([None if v != v else f"{v:g}" for v in g.maxspeed_kph[first].tolist()], dtype=object),
    }
    text = {}
    out = [""] * len(first)
    for key, values in cols.items():
        for w, v in enumerate(values.tolist()):
            if v is None:
                continue
            if v not in text:
                text[v] = _opl_escape(str(v))
            out[w] = f"{out[w]},{key}={text[v]}" if out[w] else f"{key}={text[v]}"
    return out


def write_osm(g: SyntheticGraph, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a synthetic road graph as an OSM file, readable by any OSM tool.

    Node ids are 1..n in the order of the graph's nodes; ways carry
    ``highway``, ``name``, ``oneway=yes``, ``bridge=yes`` and ``maxspeed``
    tags.  The header holds the bounding box.  The format follows the file
    name: ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz``.

    Parameters
    ----------
    g : SyntheticGraph
        From :func:`~safegeo.generate.synthetic_road_graph` (EPSG:32647).
    path : str or Path
        Output file.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputExistsError
        If *path* exists and *overwrite* is false.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from safegeo.generate import synthetic_road_graph
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "roads.osm.pbf"
    >>> write_osm(synthetic_road_graph(2_000, seed=1), out).stat().st_size > 0
    True
    """
    import osmium

    from safegeo._errors import OutputExistsError
    from safegeo.generate.layers import _to_lonlat
    from safegeo.io import OSM_SUFFIXES, atomic_path

    path = Path(path)
    suffix = next((s for s in sorted(OSM_SUFFIXES, key=len, reverse=True) if path.name.lower().endswith(s)), None)
    if suffix is None:
        raise ValueError(f"{path}: not an OSM file name; use one ending in {', '.join(OSM_SUFFIXES)}")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: file exists", hint="pass overwrite=True to replace it")
    nodes, counts, first = way_node_sequences(g)
    lon, lat = _to_lonlat(g.x, g.y)
    lon, lat = np.round(lon, 7), np.round(lat, 7)
    header = osmium.io.Header()
    header.set("generator", "safegeo.generate")
    header.add_box(osmium.osm.Box(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())))
    # the objects as OPL text, then libosmium turns it into the file (one Python string per object, not per call)
    refs = [f"n{i}" for i in range(1, g.n_nodes + 1)]
    node_lines = [f"{r} x{x:.7f} y{y:.7f}" for r, x, y in zip(refs, lon.tolist(), lat.tolist(), strict=True)]
    tags = _way_tags(g, first)
    ends = np.cumsum(counts).tolist()
    flat = nodes.tolist()
    way_lines, lo = [], 0
    for w, hi in enumerate(ends):
        way_lines.append(f"w{w + 1} T{tags[w]} N" + ",".join([refs[k] for k in flat[lo:hi]]))
        lo = hi
    text = "\n".join(node_lines + way_lines) + "\n"
    with atomic_path(path, suffix=suffix) as tmp, osmium.SimpleWriter(str(tmp), header=header) as writer:
        osmium.apply(osmium.io.FileBuffer(text.encode("utf-8"), "opl"), writer)
    return path
