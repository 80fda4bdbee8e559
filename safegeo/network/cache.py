"""Prepared networks, reused: a routable network is built once per roads source and settings.

Building a province's network from an OSM file or a road layer takes seconds
to minutes; loading a prepared one takes about a second.  A prepared network is
stored under a key made of

* the content of the roads source (the bytes of the OSM file or the road
  layer's file, and the study-file entry that reads it),
* the network settings (mode, speeds, the working CRS, whether only the
  largest strongly connected component is kept),
* the storage format version,

so any change to the roads or the settings builds (and stores) a new one.
``safegeo prepare`` fills the cache; every command reads it, and builds and
stores the network when it is missing.  The cache lives beside the study file,
in ``.safegeo/cache/`` (``SAFEGEO_CACHE_DIR`` puts it elsewhere; ``[network]
cache = false`` turns it off; a study folder that cannot be written to gets no
cache).

The stored form is columnar and memory-mappable: node and edge arrays as
``.npy`` files, edge attributes as an Arrow (Feather) table with
dictionary-encoded text, edge geometries as one coordinate array with offsets.

Examples
--------
>>> from safegeo.network.cache import save_network, load_network   # doctest: +SKIP
>>> save_network(net, "prepared/drive")                              # doctest: +SKIP
>>> same = load_network("prepared/drive")                            # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from safegeo._errors import NetworkError
from safegeo.network.core import NetworkReport, RoadNetwork

log = logging.getLogger(__name__)

#: Version of the stored form; a new version never reads an old cache entry (it is rebuilt).
FORMAT = "safegeo-network-3"  # 3: each edge's reverse (twin.npy) is stored
#: Cache folder name beside the study file.
CACHE_DIRNAME = ".safegeo/cache"


def file_digest(path: str | os.PathLike, *, chunk: int = 1 << 22) -> str:
    """BLAKE2b digest of a file's bytes (a folder: of every file in it, by relative path)."""
    h = hashlib.blake2b(digest_size=20)
    p = Path(path)
    files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
    for f in files:
        if p.is_dir():
            h.update(f.relative_to(p).as_posix().encode())
        with open(f, "rb") as fh:
            while True:
                block = fh.read(chunk)
                if not block:
                    break
                h.update(block)
    return h.hexdigest()


def roads_fingerprint(study_dir: Path, entry: Any) -> str | None:
    """Digest of what a study file's ``roads`` entry reads: the file's bytes and the entry's options.

    None when the roads are downloaded (osmnx caches those itself) or the
    file cannot be read.
    """
    if isinstance(entry, list):  # several files make the layer
        parts = [roads_fingerprint(study_dir, e) for e in entry]
        if not parts or any(p is None for p in parts):
            return None
        return hashlib.blake2b("".join(parts).encode(), digest_size=20).hexdigest()
    if isinstance(entry, str):
        entry = {"path": entry}
    if not isinstance(entry, Mapping) or "path" not in entry:
        return None
    path = Path(study_dir) / str(entry["path"])
    try:
        digest = file_digest(path)
        if path.suffix.lower() == ".shp":  # a Shapefile is several files
            for ext in (".dbf", ".shx", ".prj", ".cpg"):
                side = path.with_suffix(ext)
                if side.exists():
                    digest += file_digest(side)
    except OSError:
        return None
    options = json.dumps({k: v for k, v in entry.items() if k != "path"}, sort_keys=True, default=str)
    return hashlib.blake2b((digest + options).encode(), digest_size=20).hexdigest()


def network_key(fingerprint: str, *, mode: str, largest_component: bool, crs: CRS, params: Mapping) -> str:
    """The cache key of a network: roads fingerprint, mode, component rule, CRS and network settings."""
    settings = {k: params[k] for k in ("speeds_kph", "default_speed_kph", "walk_speed_kph") if k in params}
    text = json.dumps({"format": FORMAT, "roads": fingerprint, "mode": mode, "largest": bool(largest_component),
                       "crs": CRS.from_user_input(crs).to_wkt(), "settings": settings}, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def cache_dir_for(study_path: Path | None, params: Mapping | None = None) -> Path | None:
    """Where a study's prepared networks live (None: no cache for this study)."""
    if params is not None and not params.get("cache", True):
        return None
    env = os.environ.get("SAFEGEO_CACHE_DIR")
    if env:
        return Path(env)
    if study_path is None:
        return None
    return Path(study_path).parent / CACHE_DIRNAME


# ---------------------------------------------------------------------------------------------
# storage
# ---------------------------------------------------------------------------------------------
def _text_column(s: pd.Series):
    """A text column as a dictionary-encoded Arrow string array (missing values stay null; other values as text)."""
    import pyarrow as pa

    obj = s.astype(object).where(s.notna(), None)
    try:
        arr = pa.array(obj.to_numpy(), type=pa.string(), from_pandas=True)  # all text or missing: one C pass
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array(obj.map(lambda v: v if v is None or isinstance(v, str) else str(v)), type=pa.string())
    return arr.dictionary_encode()


def save_network(net: RoadNetwork, folder: str | os.PathLike, *, key: str | None = None) -> Path:
    """Store *net* in *folder* (replaced as a whole: written beside it, then renamed into place)."""
    import pyarrow as pa
    import pyarrow.feather as feather

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.safegeo-tmp-{os.getpid()}-", dir=folder.parent))
    try:
        np.save(tmp / "x.npy", np.asarray(net.x, dtype=np.float64))
        np.save(tmp / "y.npy", np.asarray(net.y, dtype=np.float64))
        node_id = np.asarray(net.node_id)
        np.save(tmp / "node_id.npy", node_id if node_id.dtype != object else node_id.astype(str))
        for name in ("u", "v"):
            np.save(tmp / f"{name}.npy", np.asarray(getattr(net, name), dtype=np.int64))
        np.save(tmp / "length_m.npy", np.asarray(net.length_m, dtype=np.float64))
        np.save(tmp / "time_s.npy", np.asarray(net.time_s, dtype=np.float64))
        from safegeo.network.snap import _twins

        np.save(tmp / "twin.npy", _twins(net))  # each edge's reverse, for snapping (a sort of all edges)
        if net.geometry is not None:
            coords, idx = shapely.get_coordinates(net.geometry, return_index=True)
            offsets = np.zeros(net.n_edges + 1, dtype=np.int64)
            np.cumsum(np.bincount(idx, minlength=net.n_edges), out=offsets[1:])
            np.save(tmp / "coords.npy", coords)
            np.save(tmp / "offsets.npy", offsets)
        cols = {}
        for c in net.edge_data.columns:
            s = net.edge_data[c]
            if s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s):
                cols[c] = _text_column(s)
            else:
                cols[c] = pa.array(s.to_numpy())
        feather.write_feather(pa.table(cols) if cols else pa.table({"_": pa.array([], pa.int8())}),
                              tmp / "edges.arrow", compression="uncompressed")
        meta = {"format": FORMAT, "key": key, "mode": net.mode, "crs": net.crs.to_wkt(),
                "report": net.report.to_dict() if net.report else None,
                "n_nodes": net.n_nodes, "n_edges": net.n_edges, "node_id_text": bool(node_id.dtype == object)}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.safegeo-tmp-{os.getpid()}-old")
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def load_network(folder: str | os.PathLike, *, key: str | None = None) -> RoadNetwork:
    """Load a network stored with :func:`save_network` (memory-mapped arrays).

    Raises
    ------
    NetworkError
        The folder holds no stored network, an older format, or one stored under another *key*.
    """
    import pyarrow.feather as feather

    folder = Path(folder)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NetworkError(f"{folder}: not a prepared safegeo network ({exc})",
                           hint="create it with `safegeo prepare STUDY.toml --out DIR`") from exc
    if meta.get("format") != FORMAT or (key is not None and meta.get("key") != key):
        raise NetworkError(f"{folder}: a prepared network of another format or for other roads/settings",
                           hint="run `safegeo prepare` again")

    def arr(name: str) -> np.ndarray:
        return np.load(folder / f"{name}.npy", mmap_mode="r")

    x, y = np.array(arr("x")), np.array(arr("y"))
    node_id = np.array(arr("node_id"))
    if meta.get("node_id_text"):
        node_id = node_id.astype(object)
    u, v = np.array(arr("u")), np.array(arr("v"))
    edges = feather.read_table(folder / "edges.arrow", memory_map=True)
    edge_data = edges.to_pandas() if "_" not in edges.column_names else pd.DataFrame(index=np.arange(len(u)))
    for c in edge_data.columns:
        if isinstance(edge_data[c].dtype, pd.CategoricalDtype):
            edge_data[c] = edge_data[c].astype(object).where(edge_data[c].notna(), None)
    geometry = None
    if (folder / "coords.npy").exists():
        coords, offsets = np.array(arr("coords")), np.array(arr("offsets"))
        counts = np.diff(offsets)
        geometry = shapely.linestrings(coords, indices=np.repeat(np.arange(len(counts)), counts))
    report = NetworkReport(**meta["report"]) if meta.get("report") else None
    net = RoadNetwork(CRS.from_wkt(meta["crs"]), x, y, node_id, u, v, np.array(arr("length_m")),
                      np.array(arr("time_s")), edge_data.reset_index(drop=True), geometry, meta.get("mode", "drive"),
                      report)
    if net.n_nodes != meta.get("n_nodes") or net.n_edges != meta.get("n_edges"):
        raise NetworkError(f"{folder}: the prepared network is incomplete", hint="run `safegeo prepare` again")
    if (folder / "twin.npy").exists():
        twin = np.array(arr("twin"))
        if len(twin) == net.n_edges:
            net._csr_cache["_twins"] = twin
    return net


def cached_network(cache_dir: Path | None, key: str | None, build) -> tuple[RoadNetwork, str]:
    """The network stored under *key* in *cache_dir*, or ``build()`` (then stored there, best effort).

    Returns the network and where it came from (``"cache"``, ``"built"``).
    """
    folder = cache_dir / key if cache_dir is not None and key is not None else None
    if folder is not None and (folder / "meta.json").exists():
        try:
            net = load_network(folder, key=key)
            log.info("network from the prepared cache %s", folder)
            return net, "cache"
        except (NetworkError, OSError, ValueError) as exc:  # a damaged entry: build it again
            log.warning("%s: prepared network unusable (%s); building it again", folder, exc)
    net = build()
    if folder is not None:
        with contextlib.suppress(OSError):
            save_network(net, folder, key=key)
            log.info("network stored in the prepared cache %s", folder)
    return net, "built"
