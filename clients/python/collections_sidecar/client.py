"""A channel to the sidecar and its services, with credentials, request ids,
errors as exceptions and paging.

    client = connect("collections.internal:50051", token=token, root_ca=ca_pem)
    customer = client.ledger.GetCustomer(ledger_pb2.GetCustomerRequest(name=...))

Every call through client.<service>.<Method> sends `authorization: Bearer
<token>` (when a token is given) and an `x-request-id` (new_request_id(), or
request_id=... for one call), applies the client's timeout unless timeout=...
is passed, and raises ApiError subclasses (errors.py) instead of
grpc.RpcError. The request_id *field* of mutations (replay-safe retries) is
part of the request message and stays the caller's choice.
"""

import datetime
import uuid

import grpc
from google.protobuf import message as _message

from collections_sidecar import errors
from collections_sidecar.standard import health_pb2
from collections_sidecar.v1 import (arrangements_pb2_grpc, audit_pb2_grpc, cases_pb2_grpc,
                                    cash_pb2_grpc, ledger_pb2_grpc, letters_pb2_grpc,
                                    recovery_pb2_grpc, types_pb2)

_SERVICES = {
    "ledger": ledger_pb2_grpc.LedgerServiceStub,
    "audit": audit_pb2_grpc.AuditServiceStub,
    "recovery": recovery_pb2_grpc.RecoveryServiceStub,
    "letters": letters_pb2_grpc.LetterServiceStub,
    "arrangements": arrangements_pb2_grpc.ArrangementServiceStub,
    "cash": cash_pb2_grpc.CashApplicationServiceStub,
    "cases": cases_pb2_grpc.CaseServiceStub,
}


def new_request_id():
    """32 lowercase hex digits, the form the server generates itself."""
    return uuid.uuid4().hex


def as_of(day):
    """A collections_sidecar.v1.Date for a datetime.date (or (y, m, d))."""
    if isinstance(day, tuple):
        day = datetime.date(*day)
    return types_pb2.Date(year=day.year, month=day.month, day=day.day)


def to_date(date):
    """The datetime.date of a collections_sidecar.v1.Date, or None when unset."""
    if date.year == 0:
        return None
    return datetime.date(date.year, date.month, date.day)


class _Method:
    """One RPC of a stub, with the client's metadata, timeout and errors."""

    def __init__(self, client, rpc):
        self._client = client
        self._rpc = rpc

    def __call__(self, request, timeout=None, metadata=(), request_id=None):
        md = self._client._metadata(request_id) + list(metadata)
        timeout = self._client.timeout if timeout is None else timeout
        try:
            result = self._rpc(request, timeout=timeout, metadata=md)
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e) from None
        if isinstance(result, _message.Message):
            return result
        return self._stream(result)

    @staticmethod
    def _stream(responses):
        try:
            yield from responses
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e) from None


class _Service:
    def __init__(self, client, stub):
        self._client = client
        self._stub = stub

    def __getattr__(self, name):
        return _Method(self._client, getattr(self._stub, name))


class Client:
    """The services of one sidecar: ledger, audit, recovery, letters,
    arrangements, cash, cases (attributes named as in _SERVICES)."""

    def __init__(self, channel, token=None, timeout=30.0):
        self.channel = channel
        self.timeout = timeout
        self._token = token
        for name, stub in _SERVICES.items():
            setattr(self, name, _Service(self, stub(channel)))

    def _metadata(self, request_id=None):
        md = [("x-request-id", request_id or new_request_id())]
        if self._token:
            md.append(("authorization", "Bearer " + self._token))
        return md

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def pages(self, method, request, page_size=None):
        """Yields each response of a paged List/Get method (one with
        page_token and next_page_token), following next_page_token. The
        request is copied, not changed."""
        req = type(request)()
        req.CopyFrom(request)
        if page_size is not None:
            req.page_size = page_size
        while True:
            resp = method(req)
            yield resp
            if not resp.next_page_token:
                return
            req.page_token = resp.next_page_token

    def paginate(self, method, request, field, page_size=None):
        """Yields every item of the repeated `field` (e.g. "customers") across
        all pages."""
        for resp in self.pages(method, request, page_size):
            yield from getattr(resp, field)

    def health(self, service=""):
        """The serving status name of the server ("" = as a whole) or of one
        service, e.g. "SERVING"; calls grpc.health.v1.Health/Check."""
        check = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString)
        try:
            resp = check(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout)
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e) from None
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)


def channel(target, root_ca=None, client_cert=None, client_key=None, server_name=None):
    """A gRPC channel: TLS when root_ca (PEM bytes) is given, with mutual TLS
    when client_cert and client_key are given too; plaintext otherwise (for
    loopback deployments only: the server refuses plaintext beyond loopback
    without --auth)."""
    options = []
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    if root_ca is None:
        return grpc.insecure_channel(target, options=options)
    creds = grpc.ssl_channel_credentials(root_certificates=root_ca, private_key=client_key,
                                         certificate_chain=client_cert)
    return grpc.secure_channel(target, creds, options=options)


def connect(target, token=None, root_ca=None, client_cert=None, client_key=None,
            server_name=None, timeout=30.0):
    """A Client of the sidecar at `target` ("host:port"). token: a bearer
    token (collectionsctl tokens create). See channel() for TLS."""
    return Client(channel(target, root_ca, client_cert, client_key, server_name),
                  token=token, timeout=timeout)
