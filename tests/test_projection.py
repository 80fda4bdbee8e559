"""The working CRS: UTM zones picked by arithmetic agree with the EPSG database."""

from __future__ import annotations

import numpy as np
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from safegeo.projection import utm_crs_for_lonlat


def test_utm_zone_by_arithmetic_matches_the_database():
    rng = np.random.default_rng(5)
    points = list(zip(rng.uniform(-180, 180, 24).tolist(), rng.uniform(-80, 84, 24).tolist()))
    # Narathiwat, a zone edge, the equator, Norway's wide zone 32, Svalbard
    points += [(101.8, 6.4), (102.0, 6.0), (5.9, 0.0), (4.0, 60.0), (20.0, 78.0), (-179.99, -79.9)]
    for lon, lat in points:
        infos = query_utm_crs_info(datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat))
        best = sorted(infos, key=lambda i: (not i.code.startswith(("326", "327")), i.code))[0]
        assert utm_crs_for_lonlat(lon, lat).to_epsg() == int(best.code), (lon, lat)
