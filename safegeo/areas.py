"""Which district and tambon each point or line is in: one lookup, one rule on boundaries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS


def area_of(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, id_col: str) -> np.ndarray:
    """Id of the area containing each point (None outside all areas)."""
    out = np.full(len(points), None, dtype=object)
    if areas is None or len(areas) == 0 or id_col not in areas.columns or len(points) == 0:
        return out
    ar = areas.to_crs(points.crs) if CRS.from_user_input(areas.crs) != CRS.from_user_input(points.crs) else areas
    tree = shapely.STRtree(ar.geometry.values)
    pi, ai = tree.query(points.geometry.values, predicate="intersects")
    first = np.unique(pi, return_index=True)[1]
    out[pi[first]] = ar[id_col].to_numpy(object)[ai[first]]
    return out
