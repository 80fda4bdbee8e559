"""The working CRS: one projected CRS for all metric work.

The study file may name it; otherwise the UTM zone is picked from the data
(EPSG:32647 for Narathiwat).  Folium gets EPSG:4326 only at the map edge.
"""

from __future__ import annotations

import functools
from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import CRS
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from safegeo._errors import CRSError


def utm_crs_for_lonlat(lon: float, lat: float) -> CRS:
    """The WGS 84 / UTM zone CRS containing (lon, lat)."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise CRSError(f"cannot pick a UTM zone for lon={lon}, lat={lat}: not geographic coordinates")
    # the regular 6-degree zones by arithmetic (the database query below takes ~0.1-0.4 s); the query decides
    # on a zone edge, near the poles, and where Norway and Svalbard have wider zones
    if -80 <= lat < 56 and -180 < lon < 180 and (lon + 180) % 6 != 0:
        return CRS.from_epsg((32600 if lat >= 0 else 32700) + int((lon + 180) // 6) + 1)
    return _utm_crs(round(float(lon), 2), round(float(lat), 2))


@functools.lru_cache(maxsize=256)
def _utm_crs(lon: float, lat: float) -> CRS:
    """(The pyproj database query: asked once per 0.01° cell.)"""
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon, lat, lon, lat),
    )
    # prefer the plain "WGS 84 / UTM zone NNx" codes (326xx / 327xx)
    infos = sorted(infos, key=lambda i: (not i.code.startswith(("326", "327")), i.code))
    return CRS.from_epsg(int(infos[0].code))


def pick_working_crs(frames: list[gpd.GeoDataFrame], crs: Any = None) -> CRS:
    """Return *crs* as a projected CRS, or the UTM zone at the centre of *frames*.

    Raises
    ------
    CRSError
        *crs* is given but geographic (degrees), or no frame has a CRS.
    """
    if crs is not None:
        try:
            out = CRS.from_user_input(crs)
        except Exception as exc:
            raise CRSError(f"study crs {crs!r} is not a CRS pyproj knows ({exc})", hint='use an EPSG code like "EPSG:32647"') from exc
        if not out.is_projected:
            raise CRSError(
                f"study crs {crs!r} is geographic (degrees); metric work needs a projected CRS",
                hint='use the UTM zone, e.g. crs = "EPSG:32647" for Narathiwat, or leave crs out to pick it automatically',
            )
        return out
    bounds = []
    for f in frames:
        if f is None or f.crs is None or f.empty:
            continue
        b = f.to_crs(4326).total_bounds
        if np.all(np.isfinite(b)):
            bounds.append(b)
    if not bounds:
        raise CRSError("cannot pick a working CRS: no layer has both features and a CRS", hint='set crs = "EPSG:…" in [study]')
    b = np.array(bounds)
    lon = (b[:, 0].min() + b[:, 2].max()) / 2
    lat = (b[:, 1].min() + b[:, 3].max()) / 2
    return utm_crs_for_lonlat(float(lon), float(lat))


def to_lonlat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 for display (the map edge)."""
    if gdf.crs is None:
        raise CRSError("layer has no CRS; cannot place it on a map", hint="set its CRS first (GeoDataFrame.set_crs)")
    return gdf.to_crs(4326)
