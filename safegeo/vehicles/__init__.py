"""Emergency vehicles: the fleet registry, nearest-available dispatch and response-time coverage.

* :class:`Registry` — the fleet in a database (an SQLite file, or one
  PostgreSQL + PostGIS database shared by a province), with validated
  imports and a history of every change;
* :class:`Dispatcher` / :func:`dispatch_for_study` — the *n* nearest
  available vehicles to an incident by travel time;
* :func:`response_coverage` / :func:`response_for_study` — how fast each
  village can be reached, per vehicle type, with isochrones.
"""

from safegeo._errors import RegistryError, VehicleDataError, VehicleNotFoundError
from safegeo.vehicles.dispatch import (
    Dispatcher,
    DispatchResult,
    dispatch_for_study,
    dispatch_map,
)
from safegeo.vehicles.records import (
    DEFAULT_DB,
    FIELDS,
    ImportResult,
    parse_capabilities,
    read_vehicle_file,
)
from safegeo.vehicles.registry import Registry
from safegeo.vehicles.response import (
    ResponseResult,
    response_coverage,
    response_for_study,
    response_map,
    write_response,
)

__all__ = [
    "DEFAULT_DB",
    "FIELDS",
    "DispatchResult",
    "Dispatcher",
    "ImportResult",
    "Registry",
    "RegistryError",
    "ResponseResult",
    "VehicleDataError",
    "VehicleNotFoundError",
    "dispatch_for_study",
    "dispatch_map",
    "parse_capabilities",
    "read_vehicle_file",
    "response_coverage",
    "response_for_study",
    "response_map",
    "write_response",
]
