"""Errors of the sidecar as Python exceptions with their structured details.

Every error the sidecar returns carries a google.rpc.Status in the
`grpc-status-details-bin` trailer, with google.rpc.ErrorInfo (reason, domain
"collections-sidecar", metadata naming the resource), google.rpc.BadRequest
(field violations) and google.rpc.RetryInfo under their standard type URLs.
status_from_call() reads that trailer the way grpcio-status's
rpc_status.from_call does (that module is not packaged for Debian 12);
ApiError and its subclasses expose the details as attributes.
"""

import datetime

import grpc

from collections_sidecar.standard import error_details_pb2, status_pb2

_DETAILS_KEY = "grpc-status-details-bin"


def status_from_call(call):
    """The google.rpc.Status of a finished call (a grpc.RpcError or a Call),
    or None when the server attached none. Raises ValueError when the trailer
    disagrees with the call's code or message, as rpc_status.from_call does."""
    for key, value in call.trailing_metadata() or ():
        if key == _DETAILS_KEY:
            status = status_pb2.Status.FromString(value)
            if status.code != call.code().value[0]:
                raise ValueError("code in the status details (%d) differs from the call's (%s)"
                                 % (status.code, call.code()))
            if status.message != call.details():
                raise ValueError("message in the status details differs from the call's")
            return status
    return None


class ApiError(Exception):
    """A failed call. Attributes:

    code: grpc.StatusCode; message: the server's message (English);
    reason: machine reason, e.g. "INVOICE_CURRENCY_MISMATCH" (the code's name
        when the server has no finer reason); domain: "collections-sidecar";
    metadata: dict of facts, e.g. {"resource": "tenants/acme/customers/C-1"};
    field_violations: list of (field, description), e.g.
        [("customer.external_ref.id", "required")];
    retry_delay: datetime.timedelta to wait before retrying, or None;
    status: the google.rpc.Status itself (None when the server sent none).
    """

    code = None

    def __init__(self, code, message, status=None):
        super().__init__("%s: %s" % (code.name, message))
        self.code = code
        self.message = message
        self.status = status
        self.reason = ""
        self.domain = ""
        self.metadata = {}
        self.field_violations = []
        self.retry_delay = None
        for any_ in status.details if status is not None else ():
            if any_.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                any_.Unpack(info)
                self.reason, self.domain = info.reason, info.domain
                self.metadata = dict(info.metadata)
            elif any_.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                any_.Unpack(bad)
                self.field_violations += [(v.field, v.description) for v in bad.field_violations]
            elif any_.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                any_.Unpack(retry)
                self.retry_delay = datetime.timedelta(
                    seconds=retry.retry_delay.seconds,
                    microseconds=retry.retry_delay.nanos // 1000)


class InvalidArgument(ApiError):
    """Fix the request (see field_violations)."""


class NotFound(ApiError):
    pass


class AlreadyExists(ApiError):
    pass


class FailedPrecondition(ApiError):
    """The state must change first (e.g. paying a written-off invoice)."""


class Aborted(ApiError):
    """A concurrent change won: read again and retry."""


class Unauthenticated(ApiError):
    pass


class PermissionDenied(ApiError):
    pass


class ResourceExhausted(ApiError):
    """Rate limit or overload: wait retry_delay and retry."""


class Unavailable(ApiError):
    """Retry the call."""


_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
}


def from_rpc_error(error):
    """The ApiError (subclass by code) for a grpc.RpcError."""
    try:
        status = status_from_call(error)
    except ValueError:
        status = None
    cls = _BY_CODE.get(error.code(), ApiError)
    return cls(error.code(), error.details() or "", status)
