"""People per area from population rasters: exact zonal sums with fractional cell coverage.

Every cell contributes ``value x (fraction of the cell's area inside the
polygon)``, so a small tambon over coarse cells gets its share instead of zero
(cell-centre methods such as ``rasterstats`` give it nothing when no centre
falls inside).  Nodata and NaN cells contribute nothing; overlapping polygons
each get their full share.

How it works
------------
For a polygon P and a cell C, ``area(P ∩ C)`` is a line integral over the
boundary of P (Green's theorem).  The polygon rings are cut wherever they
cross a grid line, so each piece lies in one cell; a piece of signed width
``du`` (in columns) at mean row position ``w`` in cell (k, j) adds
``du * ((w - k) * v[k, j] + sum(v[:k, j]))`` to the polygon's sum.  The column
prefix sums are computed once per strip of rows, so the cost is one pass over
the raster window (read in strips of ``max_cells_in_memory`` cells, the next
strip read in a background thread) plus work proportional to the polygons'
boundary crossings; interior cells are never visited one polygon at a time.
The result is the exact area-weighted sum for the raster's own cell
definition (cells are squares in the raster CRS), up to float64 rounding.
``exactextract`` computes the same quantity; on 7,400 polygons over a
20,000 x 20,000 raster it took 58 s against about 7 s here
(``benchmarks/bench_exposure.py``), so it is used only as a cross-check there.

CRS policy
----------
Polygons are reprojected (vertex by vertex, edges stay straight in the
raster CRS) to the raster's CRS and the coverage fractions are computed in
the raster's grid; the raster is never resampled.  Polygons with a CRS of
their own are required (:class:`~safegeo.CRSError` otherwise); invalid ones
are repaired with ``shapely.make_valid``.  For a raster in degrees (WorldPop
and Meta are EPSG:4326) the fraction is a fraction of the cell in degree
space, which differs from the ground-area fraction by less than the change of
cos(latitude) across one cell (under 2e-5 for 30 arc-second cells in Thailand).

Raster kinds
------------
``"count"`` (default): people per cell (WorldPop ``ppp``, Meta HRSL); summed.
``"density"``: people per km²; each cell is first multiplied by its ground
area in km² (exact ellipsoidal area for lat/lon grids; for projected grids the
nominal cell area divided by the projection's areal scale factor, sampled on a
lattice and interpolated, so UTM's 0.9996 scale does not bias the count).

Examples
--------
>>> from safegeo.exposure import zonal_sums                      # doctest: +SKIP
>>> people = zonal_sums("u5pd.tif", tambons)                     # doctest: +SKIP
>>> tambons.assign(under5=people).nlargest(3, "under5")          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from safegeo._errors import CRSError, ExposureError, LayerReadError

log = logging.getLogger(__name__)

__all__ = [
    "RASTER_KINDS",
    "ExposureError",
    "PopulationRaster",
    "RasterGrid",
    "cell_area_km2",
    "depth_class_polygons",
    "exposure_sums",
    "population_sums",
    "regrid",
    "zonal_sums",
]

RasterKind = Literal["count", "density"]
#: What a population raster's cells hold: people per cell, or people per km².
RASTER_KINDS: tuple[str, ...] = ("count", "density")
#: Cells held in memory at once (per strip; the next strip is read meanwhile).
DEFAULT_MAX_CELLS = 4_000_000

RasterLike = Any  # a path (str / PathLike) or an open rasterio dataset


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PopulationRaster:
    """One population raster of the study: where it is, which group it counts, what its cells hold.

    Several rasters may share a group (tiles of one country); their sums add up.

    Examples
    --------
    >>> PopulationRaster("u5.tif", group="under5")
    PopulationRaster(path=PosixPath('u5.tif'), group='under5', kind='count', band=1)
    """

    path: Path
    group: str = "total"
    kind: RasterKind = "count"
    band: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        _check_kind(self.kind, where=str(self.path))


@dataclass(frozen=True)
class RasterGrid:
    """An axis-aligned raster grid: affine transform, size and CRS."""

    transform: Any  # affine.Affine
    width: int
    height: int
    crs: CRS

    @classmethod
    def of(cls, ds: Any) -> RasterGrid:
        """The grid of an open rasterio dataset (raises when it has no CRS or is rotated)."""
        name = getattr(ds, "name", "raster")
        if ds.crs is None:
            raise CRSError(f"{name}: the raster has no CRS",
                           hint="assign one, e.g. gdal_edit.py -a_srs EPSG:4326 FILE (WorldPop and Meta rasters are EPSG:4326)")
        t = ds.transform
        if t.b != 0 or t.d != 0:
            raise ExposureError(f"{name}: rotated or sheared rasters are not supported (transform {tuple(t)[:6]})",
                                hint="warp it to a north-up grid first: gdalwarp -r sum SRC DST (counts)")
        return cls(t, int(ds.width), int(ds.height), CRS.from_user_input(ds.crs))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return min(xs), min(ys), max(xs), max(ys)

    def key(self) -> tuple:
        return (self.crs.to_wkt(), tuple(self.transform)[:6], self.width, self.height)


def _check_kind(kind: str, *, where: str) -> None:
    if kind not in RASTER_KINDS:
        raise ExposureError(f"{where}: raster kind {kind!r} is not one of {', '.join(RASTER_KINDS)}",
                            hint='"count" = people per cell (WorldPop ppp, Meta HRSL); "density" = people per km²')


@contextmanager
def _open(raster: RasterLike) -> Iterator[Any]:
    """An open rasterio dataset for a path (closed afterwards) or the dataset itself."""
    import rasterio

    if hasattr(raster, "read") and hasattr(raster, "transform"):
        yield raster
        return
    try:
        ds = rasterio.open(raster)
    except Exception as exc:  # RasterioIOError and friends
        raise LayerReadError(f"{raster}: cannot open raster ({exc})", hint="is it a GeoTIFF (or another GDAL raster)?") from exc
    with ds:
        yield ds


def _geoseries(polygons: Any, crs: Any, *, what: str = "polygons") -> gpd.GeoSeries:
    """The polygons as a GeoSeries with a CRS (checked), keeping their index."""
    if isinstance(polygons, gpd.GeoDataFrame):
        gs = polygons.geometry
    elif isinstance(polygons, gpd.GeoSeries):
        gs = polygons
    else:
        arr = np.asarray(polygons, dtype=object)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        gs = gpd.GeoSeries(arr, crs=crs)
    if crs is not None:
        want = CRS.from_user_input(crs)
        if gs.crs is None:
            gs = gs.set_crs(want)
        elif CRS.from_user_input(gs.crs) != want:
            raise CRSError(f"{what} are in {gs.crs.name} but crs={want.name} was given",
                           hint="drop crs= (the layer's own CRS is used) or reproject the layer with to_crs")
    if gs.crs is None:
        raise CRSError(f"{what} have no CRS; cannot place them on the raster",
                       hint="set it with GeoDataFrame.set_crs (e.g. EPSG:4326 for lon/lat) or pass crs=")
    _check_polygonal(gs, what)
    return gs


def _check_polygonal(gs: gpd.GeoSeries, what: str) -> None:
    g = gs.values
    kind = shapely.get_type_id(g)
    nonempty = ~(shapely.is_missing(g) | shapely.is_empty(g))
    bad = np.flatnonzero(nonempty & ~np.isin(kind, (3, 6, 7)))  # Polygon, MultiPolygon, GeometryCollection
    if len(bad):
        rows = ", ".join(str(r) for r in gs.index[bad[:10]])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        types = sorted({str(t) for t in shapely.get_type_id(g[bad])})
        raise ExposureError(f"{what}: {len(bad)} geometries are not polygons (rows {rows}{more}; type ids {types})",
                            hint="zonal sums need areas; buffer points or lines first if you mean a zone around them")


def _to_crs(gs: gpd.GeoSeries, crs: CRS, what: str) -> np.ndarray:
    """Geometries of *gs* in *crs*, valid, as a numpy array."""
    if CRS.from_user_input(gs.crs) != crs:
        gs = gs.to_crs(crs)
        xy = shapely.get_coordinates(gs.values)
        if len(xy) and not np.isfinite(xy).all():
            raise CRSError(f"{what}: some vertices cannot be reprojected to the raster CRS ({crs.name})",
                           hint="are the polygons far outside the raster's area of use?")
    g = np.asarray(gs.values, dtype=object)
    invalid = ~shapely.is_valid(g) & ~shapely.is_missing(g)
    if invalid.any():
        log.info("%s: %d invalid polygons repaired with shapely.make_valid", what, int(invalid.sum()))
        g = g.copy()
        g[invalid] = shapely.make_valid(g[invalid])
    return g


# --------------------------------------------------------------------------- the kernel


@dataclass
class _Pieces:
    """Polygon boundaries cut at the grid lines: one row per piece (see the module docstring)."""

    n: int  # number of polygons
    owner: np.ndarray  # polygon index
    row: np.ndarray
    col: np.ndarray
    du: np.ndarray  # signed width in columns, orientation folded in
    frac: np.ndarray  # mean row position minus row, in [0, 1]

    @property
    def window(self) -> tuple[int, int, int, int] | None:
        """(row0, row1, col0, col1) covering every piece, or None when there is none."""
        if len(self.row) == 0:
            return None
        return int(self.row.min()), int(self.row.max()) + 1, int(self.col.min()), int(self.col.max()) + 1


def _split(a1: np.ndarray, a2: np.ndarray, others: list[tuple[np.ndarray, np.ndarray]]):
    """Cut segments a1 -> a2 at every integer value of ``a`` they cross (no sorting: crossings come in order).

    Returns, for every sub-segment, its segment, its (start, end) in ``a`` and
    the matching (start, end) of each coordinate pair in *others*; cut points
    lie exactly on the grid line.
    """
    n_seg = len(a1)
    f1 = np.floor(a1)
    cnt = np.abs(np.floor(a2) - f1).astype(np.int64)
    npts = cnt + 2  # start, the cuts, end
    off = np.cumsum(npts) - npts
    end = off + cnt + 1
    cut_seg = np.repeat(np.arange(n_seg), cnt)
    j = np.arange(len(cut_seg)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    up = a2 > a1
    step = np.where(up, 1.0, -1.0)
    line = np.where(up, f1 + 1.0, f1)[cut_seg] + step[cut_seg] * j  # grid lines in crossing order
    pos = off[cut_seg] + 1 + j
    total = int(npts.sum())
    pts = np.empty(total)
    pts[off], pts[end], pts[pos] = a1, a2, line
    first = np.ones(total, dtype=bool)
    first[end] = False  # sub-segments start at every point but a segment's last
    idx = np.flatnonzero(first)
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (line - a1[cut_seg]) / (a2 - a1)[cut_seg]
    for b1, b2 in others:
        q = np.empty(total)
        q[off], q[end], q[pos] = b1, b2, b1[cut_seg] + frac * (b2 - b1)[cut_seg]
        out.append((q[idx], q[idx + 1]))
    return np.repeat(np.arange(n_seg), cnt + 1), (pts[idx], pts[idx + 1]), out


def _cut_pieces(geoms: np.ndarray, grid: RasterGrid) -> _Pieces:
    """Cut the rings of *geoms* (in the grid's CRS) at every grid line crossed."""
    n = len(geoms)
    empty = _Pieces(n, *(np.zeros(0, dtype=np.int64),) * 3, np.zeros(0), np.zeros(0))
    g = np.asarray(geoms, dtype=object)
    g = np.where(shapely.is_missing(g), shapely.Polygon(), g)
    # clip to the raster extent: cells outside it hold nothing
    x0, y0, x1, y1 = grid.bounds
    b = shapely.bounds(g)
    outside = ~((b[:, 0] >= x0) & (b[:, 1] >= y0) & (b[:, 2] <= x1) & (b[:, 3] <= y1)) & ~shapely.is_empty(g)
    if outside.any():
        g = g.copy()
        g[outside] = shapely.intersection(g[outside], shapely.box(x0, y0, x1, y1))
    parts, owner = shapely.get_parts(g, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    parts, owner = parts[keep], owner[keep]
    if len(parts) == 0:
        return empty
    parts = shapely.orient_polygons(parts, exterior_cw=False)  # exteriors counter-clockwise, holes clockwise
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, vert_ring = shapely.get_coordinates(rings, return_index=True)
    inv = ~grid.transform
    u = inv.a * xy[:, 0] + inv.b * xy[:, 1] + inv.c  # column position
    w = inv.d * xy[:, 0] + inv.e * xy[:, 1] + inv.f  # row position
    same = vert_ring[1:] == vert_ring[:-1]
    seg_owner = owner[ring_part[vert_ring[:-1][same]]].astype(np.int32 if n < 2**31 else np.int64)
    u1, u2, w1, w2 = u[:-1][same], u[1:][same], w[:-1][same], w[1:][same]
    # segments are cut independently: in chunks of about _CHUNK pieces, so the temporaries stay in cache
    n_pieces = np.abs(np.floor(u2) - np.floor(u1)) + np.abs(np.floor(w2) - np.floor(w1)) + 1
    edges = np.unique(np.r_[0, np.searchsorted(np.cumsum(n_pieces), np.arange(_CHUNK, n_pieces.sum(), _CHUNK),
                                               side="right"), len(u1)])
    chunks = [_cut_segments(u1[a:b], u2[a:b], w1[a:b], w2[a:b], seg_owner[a:b], grid)
              for a, b in zip(edges[:-1], edges[1:])]
    if not chunks:
        return empty
    owner_p, row, col, du, frac = (np.concatenate(x) for x in zip(*chunks))
    # in (column, row) space a counter-clockwise (x, y) ring turns the other way when rows grow southwards
    sign = 1.0 if inv.a * inv.e - inv.b * inv.d < 0 else -1.0
    return _Pieces(n, owner_p, row, col, sign * du, frac)


_CHUNK = 262_144  # pieces cut at a time


def _cut_segments(u1: np.ndarray, u2: np.ndarray, w1: np.ndarray, w2: np.ndarray, owner: np.ndarray,
                  grid: RasterGrid) -> tuple[np.ndarray, ...]:
    """(owner, row, col, du, frac) of the pieces of segments (u1, w1) -> (u2, w2) in grid coordinates."""
    # cut at the columns' edges, then each piece at the rows' edges
    seg1, (ua, ub), [(wa, wb)] = _split(u1, u2, [(w1, w2)])
    nz = ua != ub  # vertical pieces add nothing
    seg1, ua, ub, wa, wb = seg1[nz], ua[nz], ub[nz], wa[nz], wb[nz]
    seg2, (wa, wb), [(ua, ub)] = _split(wa, wb, [(ua, ub)])
    du = ub - ua
    nz = du != 0.0
    seg, du, um, wm = seg1[seg2[nz]], du[nz], 0.5 * (ua[nz] + ub[nz]), 0.5 * (wa[nz] + wb[nz])
    col = np.clip(np.floor(um), 0, grid.width - 1).astype(np.int32)  # int32: pieces can number tens of millions
    row = np.clip(np.floor(wm), 0, grid.height - 1).astype(np.int32)
    return owner[seg], row, col, du, wm - row


class _CellArea:
    """Ground area (km²) of the cells of *grid* inside a window; call with (row0, row1, col0, col1)."""

    def __init__(self, grid: RasterGrid, window: tuple[int, int, int, int], *, lattice: int = 64) -> None:
        crs, t = grid.crs, grid.transform
        r0, r1, c0, c1 = window
        self._r0 = r0
        if crs.is_geographic:
            # exact: the ellipsoid between two parallels, times the cell's share of longitude
            ell = crs.ellipsoid
            rad = crs.axis_info[0].unit_conversion_factor  # radians per CRS unit
            lat = np.clip((t.f + t.e * np.arange(r0, r1 + 1, dtype=np.float64)) * rad, -math.pi / 2, math.pi / 2)
            zone = _authalic_zone(lat, ell.semi_major_metre, ell.semi_minor_metre)
            self._per_row: np.ndarray | None = (np.abs(np.diff(zone)) * abs(t.a) * rad / 1e6)[:, None]
            return
        self._per_row = None
        unit = crs.axis_info[0].unit_conversion_factor  # metres per CRS unit
        nominal = abs(t.a * t.e) * unit * unit / 1e6
        rows = np.unique(np.r_[np.arange(r0, r1, max(1, math.ceil((r1 - r0) / lattice))), r1 - 1])
        cols = np.unique(np.r_[np.arange(c0, c1, max(1, math.ceil((c1 - c0) / lattice))), c1 - 1])
        cc, rr = np.meshgrid(cols + 0.5, rows + 0.5)
        x, y = t.c + t.a * cc, t.f + t.e * rr
        try:
            from pyproj import Proj

            lon, lat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform(x, y)
            scale = np.asarray(Proj(crs).get_factors(lon, lat).areal_scale, dtype=np.float64).reshape(x.shape)
        except Exception as exc:  # a CRS pyproj cannot describe as a projection
            raise ExposureError(f"cannot compute cell areas in {crs.name} ({exc})",
                                hint="use a count raster, or a density raster in lon/lat or a projected CRS") from exc
        if not np.isfinite(scale).all() or (scale <= 0).any():
            raise ExposureError(f"the areal scale of {crs.name} is undefined over part of the raster",
                                hint="warp the density raster to lon/lat or an equal-area CRS first")
        self._rows, self._cols, self._lattice = rows, cols, nominal / scale

    def __call__(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        if self._per_row is not None:
            return self._per_row[r0 - self._r0:r1 - self._r0]
        # bilinear interpolation of the lattice (a smooth field: the areal scale changes slowly)
        along_rows = _lerp(self._lattice, self._rows, np.arange(r0, r1), axis=0)
        return _lerp(along_rows, self._cols, np.arange(c0, c1), axis=1)


def _lerp(a: np.ndarray, at: np.ndarray, to: np.ndarray, *, axis: int) -> np.ndarray:
    """Linear interpolation of *a* (sampled at positions *at* along *axis*) to positions *to*."""
    if len(at) == 1:
        return np.repeat(a, len(to), axis=axis)
    i = np.clip(np.searchsorted(at, to, side="right") - 1, 0, len(at) - 2)
    f = np.clip((to - at[i]) / (at[i + 1] - at[i]), 0.0, 1.0)
    lo, hi = np.take(a, i, axis=axis), np.take(a, i + 1, axis=axis)
    f = f[:, None] if axis == 0 else f[None, :]
    return lo + (hi - lo) * f


def _authalic_zone(lat: np.ndarray, a: float, b: float) -> np.ndarray:
    """Area (m²) of the ellipsoid between the equator and *lat* (radians), per radian of longitude."""
    e2 = 1.0 - (b * b) / (a * a)
    s = np.sin(lat)
    if e2 < 1e-14:
        return a * a * s
    e = math.sqrt(e2)
    return 0.5 * b * b * (s / (1.0 - e2 * s * s) + np.arctanh(e * s) / e)


def cell_area_km2(raster: RasterLike) -> np.ndarray:
    """Ground area (km²) of every cell of *raster* (rows x columns, or rows x 1 for lat/lon grids).

    Lat/lon grids: the exact area of each cell on the CRS's ellipsoid (one value
    per row).  Projected grids: the nominal cell area divided by the
    projection's areal scale factor (sampled on a lattice and interpolated).

    Examples
    --------
    >>> cell_area_km2("u5pd.tif").mean()      # doctest: +SKIP
    0.2708...
    """
    with _open(raster) as ds:
        grid = RasterGrid.of(ds)
    return np.asarray(_CellArea(grid, (0, grid.height, 0, grid.width))(0, grid.height, 0, grid.width))


def _strip_rows(ds: Any, band: int, width: int, max_cells: int) -> int:
    """Rows per strip: about *max_cells* cells, a whole number of the raster's blocks when possible."""
    block_h = ds.block_shapes[band - 1][0] if ds.block_shapes else 1
    rows = max(1, max_cells // max(width, 1))
    return max(block_h, rows // block_h * block_h) if rows >= block_h else rows


def _read_strips(ds: Any, band: int, window: tuple[int, int, int, int], *, kind: str, nodata: float | None,
                 rows: int, want_valid: bool = False) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """(row0, people, valid) strips of *window*, top to bottom.

    *people* holds people per cell (nodata, NaN and masked cells 0; density
    cells times their area); *valid* (only when *want_valid*) marks the cells
    that hold data.  The next strip is read in a background thread while the
    caller works on this one.
    """
    from rasterio.enums import MaskFlags
    from rasterio.windows import Window

    r0, r1, c0, c1 = window
    flags = ds.mask_flag_enums[band - 1]
    nd = nodata if nodata is not None else ds.nodata
    if nd is not None and isinstance(nd, float) and math.isnan(nd):
        nd = None  # NaN cells are skipped anyway
    use_mask = nodata is None and not (MaskFlags.all_valid in flags or MaskFlags.nodata in flags)
    scale, offset = ds.scales[band - 1], ds.offsets[band - 1]
    area = _CellArea(RasterGrid.of(ds), window) if kind == "density" else None
    starts = list(range(r0, r1, rows))

    dtype = np.dtype(ds.dtypes[band - 1])
    h = min(rows, r1 - r0)
    bufs = [np.empty((h, c1 - c0), dtype=dtype) for _ in range(min(2, len(starts)))]  # read k+1 while k is used
    nd_buf = np.empty((h, c1 - c0), dtype=bool)
    nd_typed = None
    if nd is not None:
        lim = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
        if lim.min <= nd <= lim.max and (dtype.kind == "f" or float(nd).is_integer()):
            nd_typed = np.asarray(nd).astype(dtype)
        else:
            nd = None  # a nodata value the data type cannot hold marks nothing

    def read(i0: int, b: int) -> tuple[np.ndarray, np.ndarray | None]:
        win = Window(c0, i0, c1 - c0, min(rows, r1 - i0))
        data = ds.read(band, window=win, out=bufs[b][:win.height])
        return data, (ds.read_masks(band, window=win) if use_mask else None)

    with ThreadPoolExecutor(max_workers=1) as pool:
        nxt = pool.submit(read, starts[0], 0) if starts else None
        for k, i0 in enumerate(starts):
            data, mask = nxt.result()
            if k + 1 < len(starts):
                nxt = pool.submit(read, starts[k + 1], (k + 1) % 2)
            valid = None
            if want_valid:
                valid = np.isfinite(data) if data.dtype.kind == "f" else np.ones(data.shape, dtype=bool)
            is_nd = np.equal(data, nd_typed, out=nd_buf[:len(data)]) if nd is not None else None
            if scale != 1.0 or offset != 0.0:  # stored values -> people (nodata found on the stored values)
                data = data.astype(np.float64) * scale + offset
            if is_nd is not None:  # nodata -> 0 (in place: the buffers are ours)
                if valid is not None:
                    valid &= ~is_nd
                np.copyto(data, 0, where=is_nd)
            if mask is not None:
                if valid is not None:
                    valid &= mask > 0
                np.copyto(data, 0, where=mask == 0)
            if data.size:
                low = np.fmin.reduce(data, axis=None) if data.dtype.kind == "f" else data.min()
                if low < 0:  # negative cells other than nodata are a mistake, not people
                    neg = data < 0
                    raise ExposureError(
                        f"{ds.name}: {int(neg.sum())} cells in rows {i0}-{i0 + len(data) - 1} hold negative values "
                        f"(smallest {low:g}); a population raster holds people >= 0",
                        hint="if that value marks missing data, declare it: gdal_edit.py -a_nodata VALUE FILE, "
                             "or pass nodata=VALUE")
            v = np.fmax(data, 0, out=data) if data.dtype.kind == "f" else data  # NaN -> 0
            if area is not None:
                v = v * area(i0, i0 + len(v), c0, c1)
            yield i0, v, valid


def _exclusive_prefix(v: np.ndarray, start: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out[i] = start + sum(v[:i]) along axis 0, in float64, and the strip's total in out[len(v)].

    Row by row: much faster than ``cumsum(axis=0)`` on wide rows.
    """
    out = out[:len(v) + 1]
    if v.shape[1] < 256:
        out[0] = start
        np.cumsum(v, axis=0, dtype=np.float64, out=out[1:])
        out[1:] += start
        return out
    out[0] = start
    for i in range(len(v)):
        np.add(out[i], v[i], out=out[i + 1])
    return out


def _sum_pieces(pieces: _Pieces, ds: Any, band: int, *, kind: str, nodata: float | None,
                max_cells: int, valid_area: bool = False) -> np.ndarray:
    """Coverage-weighted sum of band *band* of *ds* over each polygon of *pieces*.

    With *valid_area*, sum the valid cells' coverage instead (cells of the
    polygon that hold data, in cell units).
    """
    if not 1 <= band <= ds.count:
        raise ExposureError(f"{ds.name}: band {band} does not exist (the raster has {ds.count})",
                            hint="bands are numbered from 1")
    out = np.zeros(pieces.n)
    win = pieces.window
    if win is None:
        return out
    r0, r1, c0, c1 = win
    width = c1 - c0
    rows = _strip_rows(ds, band, width, max_cells)
    strip = (pieces.row - r0) // rows
    n_strips = -(-(r1 - r0) // rows)
    order = np.argsort(strip.astype(np.uint16) if n_strips < 65536 else strip, kind="stable")
    bounds = np.searchsorted(strip[order], np.arange(n_strips + 1))
    # one permutation, then each strip's pieces are a contiguous slice
    flat = (pieces.row[order].astype(np.int64) - r0) * width + (pieces.col[order] - c0)  # cell index in the window
    du, frac, owner = pieces.du[order], pieces.frac[order], pieces.owner[order]
    above = np.zeros(width)  # column sums of the rows above the current strip
    prefix = np.empty((min(rows, r1 - r0) + 1, width))
    for k, (i0, v, valid) in enumerate(_read_strips(ds, band, win, kind=kind, nodata=nodata, rows=rows,
                                                    want_valid=valid_area)):
        if valid_area:
            v = valid.astype(np.float64)
        pre = _exclusive_prefix(v, above, prefix)
        a, b = bounds[k], bounds[k + 1]
        if b > a:
            cell = flat[a:b] - (i0 - r0) * width
            val = du[a:b] * (frac[a:b] * np.take(v.reshape(-1), cell) + np.take(pre.reshape(-1), cell))
            out += np.bincount(owner[a:b], weights=val, minlength=pieces.n)
        above = pre[len(v)].copy()
    return out


# --------------------------------------------------------------------------- public API


def zonal_sums(
    raster: RasterLike,
    polygons: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[shapely.Geometry],
    *,
    raster_kind: RasterKind = "count",
    band: int = 1,
    crs: Any = None,
    nodata: float | None = None,
    max_cells_in_memory: int = DEFAULT_MAX_CELLS,
) -> np.ndarray:
    """People in each polygon: the raster summed with exact fractional cell coverage.

    Parameters
    ----------
    raster
        Path of a raster GDAL reads (GeoTIFF, VRT, ...) or an open rasterio
        dataset; read in strips, so it may be larger than memory.
    polygons
        GeoDataFrame / GeoSeries (their CRS is used) or a sequence of shapely
        geometries with *crs*.  Polygons, MultiPolygons, GeometryCollections
        (their polygon parts); missing or empty geometries sum to 0.
        Reprojected to the raster CRS when they are in another one.
    raster_kind
        ``"count"`` (people per cell; WorldPop ``ppp``, Meta HRSL) or
        ``"density"`` (people per km²: each cell times its ground area).
    band
        Band to read (1-based).
    crs
        CRS of *polygons* when they are plain shapely geometries.
    nodata
        Value marking missing cells, overriding the raster's own; NaN cells
        and the raster's mask are always skipped.
    max_cells_in_memory
        Cells per strip read at once.

    Returns
    -------
    numpy.ndarray
        float64, one sum per polygon, in their order (0 where a polygon is off the raster).

    Raises
    ------
    LayerReadError
        The raster cannot be opened.
    CRSError
        The raster or the polygons have no CRS.
    ExposureError
        Non-polygon geometries, an unknown *raster_kind*, a missing band, a
        rotated raster, or negative (undeclared nodata) cell values.

    Examples
    --------
    A 3 x 3 raster of ones and a polygon over two and a half cells:

    >>> import numpy as np, rasterio, shapely                                     # doctest: +SKIP
    >>> from rasterio.transform import from_origin                                 # doctest: +SKIP
    >>> with rasterio.open("ones.tif", "w", driver="GTiff", width=3, height=3, count=1, dtype="float32",
    ...                    crs="EPSG:32647", transform=from_origin(0, 3, 1, 1)) as ds:  # doctest: +SKIP
    ...     ds.write(np.ones((1, 3, 3), "float32"))
    >>> zonal_sums("ones.tif", [shapely.box(0, 0, 2.5, 1)], crs="EPSG:32647")     # doctest: +SKIP
    array([2.5])
    """
    _check_kind(raster_kind, where="zonal_sums")
    gs = _geoseries(polygons, crs)
    with _open(raster) as ds:
        grid = RasterGrid.of(ds)
        pieces = _cut_pieces(_to_crs(gs, grid.crs, "polygons"), grid)
        return _sum_pieces(pieces, ds, band, kind=raster_kind, nodata=nodata, max_cells=max_cells_in_memory)


def _as_sources(rasters: Any) -> list[PopulationRaster]:
    if isinstance(rasters, PopulationRaster):
        return [rasters]
    if isinstance(rasters, (str, os.PathLike)):
        return [PopulationRaster(Path(rasters))]
    if isinstance(rasters, Mapping):
        return [PopulationRaster(Path(p), group=str(g)) for g, p in rasters.items()]
    out = [r if isinstance(r, PopulationRaster) else PopulationRaster(Path(r)) for r in rasters]
    if not out:
        raise ExposureError("no population raster given", hint='e.g. population = [{ path = "pop.tif", group = "total" }]')
    return out


def _group_sums(sources: list[PopulationRaster], polygons: gpd.GeoSeries, *, max_cells: int) -> pd.DataFrame:
    """Sum every source over the polygons; the pieces are cut once per distinct grid."""
    groups = list(dict.fromkeys(s.group for s in sources))
    out = pd.DataFrame(0.0, index=polygons.index, columns=groups)
    cache: dict[tuple, _Pieces] = {}
    for src in sources:
        with _open(src.path) as ds:
            grid = RasterGrid.of(ds)
            key = grid.key()
            if key not in cache:
                cache[key] = _cut_pieces(_to_crs(polygons, grid.crs, "polygons"), grid)
            out[src.group] += _sum_pieces(cache[key], ds, src.band, kind=src.kind, nodata=None, max_cells=max_cells)
    return out


def population_sums(
    rasters: PopulationRaster | Sequence[PopulationRaster] | Mapping[str, str | os.PathLike] | str | os.PathLike,
    polygons: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    max_cells_in_memory: int = DEFAULT_MAX_CELLS,
) -> pd.DataFrame:
    """People per polygon and group, from one or several population rasters.

    Parameters
    ----------
    rasters
        :class:`PopulationRaster` entries (path, group, kind, band), a mapping
        ``{group: path}`` of count rasters, or one path (group ``"total"``).
        Rasters of the same group add up (tiles, which must not overlap, or
        they count the overlap twice); rasters on the same grid share the
        polygon preparation.
    polygons
        The areas, with a CRS (any; see :func:`zonal_sums`).

    Returns
    -------
    pandas.DataFrame
        Indexed like *polygons*, one float column per group, in order of first appearance.

    Examples
    --------
    >>> population_sums([PopulationRaster("pop.tif"), PopulationRaster("u5.tif", group="under5")],
    ...                 tambons)                                         # doctest: +SKIP
    """
    sources = _as_sources(rasters)
    gs = _geoseries(polygons, None)
    return _group_sums(sources, gs, max_cells=max_cells_in_memory)


def _class_parts(hazard: gpd.GeoDataFrame, by: str | None,
                 priority: Sequence[Any] | None) -> tuple[gpd.GeoDataFrame, list[Any]]:
    """One set of non-overlapping parts per hazard class (``class`` column, hazard CRS), and the classes in order."""
    hz = _geoseries(hazard, None, what="hazard polygons")
    if by is None:
        labels = np.full(len(hz), "inside", dtype=object)
    else:
        if by not in hazard.columns:
            raise ExposureError(f"hazard polygons have no column {by!r} (columns: {', '.join(map(str, hazard.columns))})",
                                hint="name the column that holds the class, e.g. by='severity', or by=None for one footprint")
        labels = hazard[by].to_numpy(dtype=object)
    present = list(dict.fromkeys(lb for lb in labels if not pd.isna(lb)))
    if by is not None and isinstance(hazard[by].dtype, pd.CategoricalDtype):
        present = list(hazard[by].cat.categories)  # every category, in its order (depth classes)
    if priority is not None:
        missing = [c for c in present if c not in list(priority)]
        if missing:
            raise ExposureError(f"hazard classes {missing} are not in priority={list(priority)}",
                                hint="list every class, worst first")
        classes = list(priority)
    else:
        classes = present
    g = _to_crs(hz, CRS.from_user_input(hz.crs), "hazard polygons")
    merged, taken = [], None
    for c in classes:
        u = shapely.union_all(g[labels == c])
        if priority is not None:
            u, taken = (u, u) if taken is None else (shapely.difference(u, taken), shapely.union(taken, u))
        merged.append(u)
    parts, idx = shapely.get_parts(np.array(merged, dtype=object), return_index=True)
    keep = shapely.get_type_id(parts) == 3
    frame = gpd.GeoDataFrame({"class": np.array(classes, dtype=object)[idx[keep]]}, geometry=parts[keep], crs=hz.crs)
    return frame, classes


def exposure_sums(
    rasters: PopulationRaster | Sequence[PopulationRaster] | Mapping[str, str | os.PathLike] | str | os.PathLike,
    areas: gpd.GeoDataFrame | gpd.GeoSeries,
    hazard: gpd.GeoDataFrame,
    *,
    by: str | None = None,
    priority: Sequence[Any] | None = None,
    max_cells_in_memory: int = DEFAULT_MAX_CELLS,
) -> pd.DataFrame:
    """People per area and hazard class: the population summed over each ``area ∩ class``.

    The hazard polygons of one class are merged first, so people under two
    overlapping polygons of the same class count once.  For a hazard raster
    (flood depth), make the class polygons with :func:`depth_class_polygons`;
    the two rasters may then have any grids and CRSs.

    Parameters
    ----------
    rasters
        Population rasters, as for :func:`population_sums`.
    areas
        Villages / tambons / districts polygons (any CRS); overlapping areas
        each get their full share.
    hazard
        Hazard polygons (any CRS).
    by
        Column of *hazard* holding the class (``"severity"``,
        ``"depth_class"``); None: one class, ``"inside"`` (the footprint).
    priority
        Classes worst first.  When given, a place inside polygons of several
        classes counts once, in the first listed class (nested severity
        zones), and every listed class gets rows.  When None, each class gets
        its full share; the classes are those present (every category of a
        categorical column), in order of appearance (category order).

    Returns
    -------
    pandas.DataFrame
        MultiIndex (area index, class): every area with every class (0 where
        they do not meet); one float column per population group.

    Examples
    --------
    >>> depth = depth_class_polygons("flood_depth.tif", breaks_m=[0.3, 1.0, 2.0])          # doctest: +SKIP
    >>> exposure_sums("pop.tif", tambons, depth, by="depth_class").unstack()               # doctest: +SKIP
    """
    sources = _as_sources(rasters)
    ags = _geoseries(areas, None, what="areas")
    parts, classes = _class_parts(hazard, by, priority)
    level = by or "class"
    index = pd.MultiIndex.from_product([ags.index, classes], names=[ags.index.name or "area", level])
    groups = list(dict.fromkeys(s.group for s in sources))
    out = pd.DataFrame(0.0, index=index, columns=groups)
    if not classes or len(ags) == 0:
        return out
    class_pos = {c: i for i, c in enumerate(classes)}
    part_class = np.array([class_pos[c] for c in parts["class"]], dtype=np.int64)
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    pieces_cache: dict[tuple, _Pieces] = {}
    for src in sources:
        with _open(src.path) as ds:
            grid = RasterGrid.of(ds)
            ck = grid.crs.to_wkt()
            if ck not in cache:  # area ∩ class part, in the raster CRS
                a = _to_crs(ags, grid.crs, "areas")
                p = _to_crs(parts.geometry, grid.crs, "hazard polygons")
                ai, pi = shapely.STRtree(p).query(a, predicate="intersects")  # (area, part) pairs
                cell = ai * len(classes) + part_class[pi] if len(ai) else np.zeros(0, dtype=np.int64)
                cache[ck] = (shapely.intersection(a[ai], p[pi]) if len(ai) else np.zeros(0, dtype=object), cell)
            inter, cell = cache[ck]
            key = grid.key()
            if key not in pieces_cache:
                pieces_cache[key] = _cut_pieces(inter, grid)
            sums = _sum_pieces(pieces_cache[key], ds, src.band, kind=src.kind, nodata=None,
                               max_cells=max_cells_in_memory)
            out[src.group] += np.bincount(cell, weights=sums, minlength=len(index))
    return out


def depth_class_polygons(
    raster: RasterLike,
    *,
    breaks_m: Sequence[float],
    band: int = 1,
    max_cells_in_memory: int = DEFAULT_MAX_CELLS,
) -> gpd.GeoDataFrame:
    """Polygons of the cells of a depth raster in each depth class (exact cell squares, raster CRS).

    Class k holds the cells with ``breaks_m[k] <= depth < breaks_m[k+1]`` (the
    last class is open-ended); cells shallower than the first break, nodata
    and NaN cells are in no class.  The raster is polygonised strip by strip,
    so one class may come in several pieces; they never overlap.

    Parameters
    ----------
    raster
        Path or open rasterio dataset of depths in metres.
    breaks_m
        Increasing class boundaries in metres, e.g. ``[0.3, 1.0, 2.0]``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``depth_class`` (ordered categorical: ``"0.3-1 m"``, ``"1-2 m"``, ``">= 2 m"``; every
        class is a category even when no cell is in it),
        ``min_depth_m``, ``max_depth_m`` (inf for the last class), geometry.

    Examples
    --------
    >>> depth_class_polygons("flood_depth.tif", breaks_m=[0.3, 1.0]).depth_class.unique()  # doctest: +SKIP
    array(['0.3-1 m', '>= 1 m'], dtype=object)
    """
    from rasterio.features import shapes
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    b = np.asarray(breaks_m, dtype=np.float64)
    if b.ndim != 1 or len(b) == 0 or not np.isfinite(b).all() or (np.diff(b) <= 0).any():
        raise ExposureError(f"breaks_m must be increasing finite depths in metres, not {list(breaks_m)}",
                            hint="e.g. breaks_m=[0.3, 1.0, 2.0]")
    if len(b) > 254:
        raise ExposureError(f"{len(b)} depth classes are too many (at most 254)")
    labels = [f"{lo:g}-{hi:g} m" for lo, hi in zip(b[:-1], b[1:])] + [f">= {b[-1]:g} m"]
    geoms, cls = [], []
    with _open(raster) as ds:
        grid = RasterGrid.of(ds)
        if not 1 <= band <= ds.count:
            raise ExposureError(f"{ds.name}: band {band} does not exist (the raster has {ds.count})")
        rows = max(1, max_cells_in_memory // grid.width)
        for i0 in range(0, grid.height, rows):
            win = Window(0, i0, grid.width, min(rows, grid.height - i0))
            d = np.ma.filled(ds.read(band, window=win, masked=True).astype(np.float64), np.nan)
            k = np.searchsorted(b, d, side="right")  # 0: below the first break (or NaN -> len(b))
            k[~np.isfinite(d)] = 0
            k = k.astype(np.uint8)
            for gj, v in shapes(k, mask=k > 0, transform=window_transform(win, ds.transform)):
                geoms.append(shapely.geometry.shape(gj))
                cls.append(int(v) - 1)
    cls_a = np.asarray(cls, dtype=np.int64)
    hi = np.r_[b[1:], np.inf]
    return gpd.GeoDataFrame({"depth_class": pd.Categorical.from_codes(cls_a, categories=labels, ordered=True),
                             "min_depth_m": b[cls_a], "max_depth_m": hi[cls_a]},
                            geometry=np.array(geoms, dtype=object) if geoms else [], crs=grid.crs)


def _edges_overlap(src_edges: np.ndarray, dst_edges: np.ndarray):
    """Sparse matrix (source cells x target cells) of the fraction of each source interval in each target interval."""
    from scipy import sparse

    def span(e: np.ndarray) -> tuple[float, float]:
        return float(min(e[0], e[-1])), float(max(e[0], e[-1]))

    lo, hi = max(span(src_edges)[0], span(dst_edges)[0]), min(span(src_edges)[1], span(dst_edges)[1])
    n_s, n_d = len(src_edges) - 1, len(dst_edges) - 1
    if hi <= lo:
        return sparse.csr_matrix((n_s, n_d))
    cuts = np.unique(np.r_[src_edges, dst_edges, lo, hi])
    cuts = cuts[(cuts >= lo) & (cuts <= hi)]
    mid = 0.5 * (cuts[:-1] + cuts[1:])
    length = np.diff(cuts)

    def index(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
        step = (edges[-1] - edges[0]) / (len(edges) - 1)
        return np.floor((x - edges[0]) / step).astype(np.int64)

    i, j = index(src_edges, mid), index(dst_edges, mid)
    ok = (i >= 0) & (i < n_s) & (j >= 0) & (j < n_d) & (length > 0)
    w = length[ok] / abs(src_edges[1] - src_edges[0])
    return sparse.csr_matrix((w, (i[ok], j[ok])), shape=(n_s, n_d))


def regrid(
    raster: RasterLike,
    *,
    transform: Any,
    width: int,
    height: int,
    crs: Any = None,
    raster_kind: RasterKind = "count",
    band: int = 1,
    max_cells_in_memory: int = DEFAULT_MAX_CELLS,
    max_target_cells: int = 4_000_000,
) -> np.ndarray:
    """Resample a population raster to another grid, conserving people.

    * ``"count"``: each target cell gets the people of the source cells times
      the fraction of each source cell inside it (fine cells summed into
      coarse ones; a coarse cell's people split among fine cells by area).
    * ``"density"``: the same people, divided by the target cell's ground
      area (km²): the area-weighted density.

    Nodata and NaN source cells hold nobody; target cells that no valid source
    cell reaches are NaN.  In the same CRS the overlap is separable (exact,
    any alignment and resolution); in another CRS each target cell is a
    polygon summed with :func:`zonal_sums` (exact in the source grid), at
    most *max_target_cells* cells.

    Returns
    -------
    numpy.ndarray
        float64, ``(height, width)``, people per target cell (count) or per km² (density).

    Examples
    --------
    >>> from rasterio.transform import from_origin                                            # doctest: +SKIP
    >>> coarse = regrid("pop100m.tif", transform=from_origin(600000, 900000, 1000, 1000),
    ...                 width=200, height=200)                                                   # doctest: +SKIP
    """
    _check_kind(raster_kind, where="regrid")
    with _open(raster) as ds:
        src = RasterGrid.of(ds)
        dst = RasterGrid(transform, int(width), int(height), CRS.from_user_input(crs) if crs is not None else src.crs)
        if dst.transform.b != 0 or dst.transform.d != 0:
            raise ExposureError("the target grid is rotated; give a north-up transform")
        if dst.crs == src.crs:
            out, cover = _regrid_separable(ds, band, src, dst, kind=raster_kind, max_cells=max_cells_in_memory)
        else:
            n = dst.width * dst.height
            if n > max_target_cells:
                raise ExposureError(f"regrid to another CRS sums every target cell as a polygon; {n:,} cells is more "
                                    f"than max_target_cells={max_target_cells:,}",
                                    hint="raise max_target_cells, or regrid in the raster's CRS first")
            cells = _to_crs(gpd.GeoSeries(_grid_cells(dst), crs=dst.crs), src.crs, "target cells")
            pieces = _cut_pieces(cells, src)
            shape = (dst.height, dst.width)
            out = _sum_pieces(pieces, ds, band, kind=raster_kind, nodata=None,
                              max_cells=max_cells_in_memory).reshape(shape)
            cover = _sum_pieces(pieces, ds, band, kind=raster_kind, nodata=None, max_cells=max_cells_in_memory,
                                valid_area=True).reshape(shape)
    if raster_kind == "density":
        out = out / _CellArea(dst, (0, dst.height, 0, dst.width))(0, dst.height, 0, dst.width)
    return np.where(cover > 0, out, np.nan)


def _regrid_separable(ds: Any, band: int, src: RasterGrid, dst: RasterGrid, *, kind: str,
                      max_cells: int) -> tuple[np.ndarray, np.ndarray]:
    ts, td = src.transform, dst.transform
    wc = _edges_overlap(ts.c + ts.a * np.arange(src.width + 1), td.c + td.a * np.arange(dst.width + 1))
    wr = _edges_overlap(ts.f + ts.e * np.arange(src.height + 1), td.f + td.e * np.arange(dst.height + 1)).tocsr()
    out = np.zeros((dst.height, dst.width))
    cover = np.zeros((dst.height, dst.width))
    window = (0, src.height, 0, src.width)
    rows = _strip_rows(ds, band, src.width, max_cells)
    for i0, v, valid in _read_strips(ds, band, window, kind=kind, nodata=None, rows=rows, want_valid=True):
        part = wr[i0:i0 + len(v)]
        rows = np.unique(part.indices)
        if len(rows) == 0:
            continue
        part = part[:, rows].T.tocsr()  # target rows hit x strip rows
        out[rows] += (wc.T @ (part @ v).T).T
        cover[rows] += (wc.T @ (part @ valid.astype(np.float64)).T).T
    return out, cover


def _grid_cells(grid: RasterGrid, *, segments: int = 4) -> np.ndarray:
    """Every cell of *grid* as a polygon (row-major), edges cut in *segments* so they bend when reprojected."""
    t = grid.transform
    cols, rows = np.meshgrid(np.arange(grid.width), np.arange(grid.height))
    x0, y0 = t.c + t.a * cols.ravel(), t.f + t.e * rows.ravel()
    boxes = shapely.box(np.minimum(x0, x0 + t.a), np.minimum(y0, y0 + t.e), np.maximum(x0, x0 + t.a),
                        np.maximum(y0, y0 + t.e))
    return shapely.segmentize(boxes, min(abs(t.a), abs(t.e)) / segments)
