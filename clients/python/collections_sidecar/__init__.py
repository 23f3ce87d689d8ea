"""Python client of the collections sidecar.

collections_sidecar.v1 holds the generated messages and stubs of the API;
this package adds a thin layer over them: connect() (TLS, bearer token,
request ids), errors as exceptions with their google.rpc details, paging
iterators, and as_of dates.
"""

from collections_sidecar.client import Client, as_of, channel, connect, new_request_id, to_date
from collections_sidecar.errors import (AlreadyExists, Aborted, ApiError, FailedPrecondition,
                                        InvalidArgument, NotFound, PermissionDenied,
                                        ResourceExhausted, Unauthenticated, Unavailable,
                                        from_rpc_error, status_from_call)

__all__ = [
    "Aborted", "AlreadyExists", "ApiError", "Client", "FailedPrecondition", "InvalidArgument",
    "NotFound", "PermissionDenied", "ResourceExhausted", "Unauthenticated", "Unavailable",
    "as_of", "channel", "connect", "from_rpc_error", "new_request_id", "status_from_call",
    "to_date",
]
