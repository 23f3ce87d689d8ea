"""A grpcurl stand-in driven by server reflection (Debian 12 lacks grpcurl).

    python3 -m collections_sidecar.grpcurl [-plaintext] [-H 'name: value']...
        [-d '{...}' | -d @] [-max-time SECONDS [--stream-until-deadline]]
        [-cacert F [-cert F -key F]] [-servername NAME] [-emit-defaults]
        host:port (list [SERVICE] | describe SYMBOL | SERVICE/METHOD)

It speaks the subset of grpcurl the documentation uses, with grpcurl's
conventions: JSON in (proto field names or their lowerCamelCase forms, one
object per request message, `@` reads stdin), JSON out with lowerCamelCase
names, errors on stderr and exit code 64 + the gRPC code. One addition for
scripts: --stream-until-deadline makes -max-time end a server stream (such
as WatchEvents, which follows forever) with exit code 0. Nothing is
compiled in: every type comes from the server's reflection service
(grpc.reflection.v1alpha), as with grpcurl, so it calls any method the server
exposes, grpc.health.v1.Health/Check included.
"""

import argparse
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from collections_sidecar.standard import reflection_pb2

_REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"


class ReflectionError(Exception):
    pass


class Reflection:
    """Types and services of a server, read through reflection and kept in a
    private descriptor pool (never the process's default pool)."""

    def __init__(self, channel, metadata=(), timeout=30.0):
        self._call = channel.stream_stream(
            _REFLECTION,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        self._metadata = list(metadata)
        self._timeout = timeout
        self.pool = descriptor_pool.DescriptorPool()
        self._factory = message_factory.MessageFactory(self.pool)
        self._files = set()

    def _ask(self, **kwargs):
        responses = self._call(iter([reflection_pb2.ServerReflectionRequest(**kwargs)]),
                               metadata=self._metadata, timeout=self._timeout)
        resp = next(iter(responses))
        if resp.HasField("error_response"):
            raise ReflectionError(resp.error_response.error_message)
        return resp

    def list_services(self):
        return [s.name for s in self._ask(list_services="*").list_services_response.service]

    def _add_files(self, serialized):
        protos = {}
        for raw in serialized:
            fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
            protos[fd.name] = fd
        pending = [n for n in protos if n not in self._files]

        def add(name):
            if name in self._files:
                return
            fd = protos.get(name)
            if fd is None:
                self._add_files(self._ask(file_by_filename=name)
                                .file_descriptor_response.file_descriptor_proto)
                return
            for dep in fd.dependency:
                add(dep)
            self.pool.Add(fd)
            self._files.add(name)

        for name in pending:
            add(name)

    def load_symbol(self, symbol):
        """Makes `symbol` (a service, method or message full name) and its
        dependencies known to the pool."""
        resp = self._ask(file_containing_symbol=symbol)
        self._add_files(resp.file_descriptor_response.file_descriptor_proto)

    def find(self, symbol):
        self.load_symbol(symbol)
        for finder in (self.pool.FindServiceByName, self.pool.FindMessageTypeByName,
                       self.pool.FindEnumTypeByName):
            try:
                return finder(symbol)
            except KeyError:
                pass
        raise ReflectionError("Symbol not found: " + symbol)

    def method(self, full_name):
        """The MethodDescriptor of "pkg.Service/Method" or "pkg.Service.Method"."""
        service, _, name = full_name.replace("/", ".").rpartition(".")
        desc = self.find(service)
        try:
            return desc.methods_by_name[name]
        except (AttributeError, KeyError):
            raise ReflectionError("Method not found: " + full_name) from None

    def message_class(self, descriptor):
        return self._factory.GetPrototype(descriptor)


def invoke(channel, reflection, method_name, requests_json, metadata=(), timeout=None):
    """Calls a method by name with requests given as JSON texts; returns the
    response messages (a list, one for unary answers)."""
    method = reflection.method(method_name)
    req_cls = reflection.message_class(method.input_type)
    resp_cls = reflection.message_class(method.output_type)
    requests = [json_format.Parse(text, req_cls(), descriptor_pool=reflection.pool)
                for text in requests_json] or [req_cls()]
    path = "/%s/%s" % (method.containing_service.full_name, method.name)
    kind = (("stream" if method.client_streaming else "unary") + "_" +
            ("stream" if method.server_streaming else "unary"))
    call = getattr(channel, kind)(path, request_serializer=req_cls.SerializeToString,
                                  response_deserializer=resp_cls.FromString)
    arg = iter(requests) if method.client_streaming else requests[0]
    result = call(arg, metadata=list(metadata), timeout=timeout)
    return result if method.server_streaming else [result]


def describe(desc):
    """A short proto-like rendering of a service, message or enum."""
    lines = []
    if hasattr(desc, "methods"):
        lines.append("%s is a service:" % desc.full_name)
        lines.append("service %s {" % desc.name)
        for m in desc.methods:
            lines.append("  rpc %s ( %s.%s ) returns ( %s.%s );" % (
                m.name, "stream " if m.client_streaming else "", m.input_type.full_name,
                "stream " if m.server_streaming else "", m.output_type.full_name))
    elif hasattr(desc, "fields"):
        lines.append("%s is a message:" % desc.full_name)
        lines.append("message %s {" % desc.name)
        for f in desc.fields:
            type_name = (f.message_type.full_name if f.message_type else
                         f.enum_type.full_name if f.enum_type else
                         descriptor_pb2.FieldDescriptorProto.Type.Name(f.type)[5:].lower())
            label = "repeated " if f.label == f.LABEL_REPEATED else ""
            lines.append("  %s%s %s = %d;" % (label, type_name, f.name, f.number))
    else:
        lines.append("%s is an enum:" % desc.full_name)
        lines.append("enum %s {" % desc.name)
        for v in desc.values:
            lines.append("  %s = %d;" % (v.name, v.number))
    lines.append("}")
    return "\n".join(lines)


def _json_objects(text):
    """The JSON objects of a text holding zero or more of them."""
    decoder = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, end = decoder.raw_decode(text, i)
        out.append(json.dumps(obj))
        i = end


def _parse_args(argv):
    # grpcurl's single-dash long flags.
    argv = ["-" + a if a.startswith("-") and not a.startswith("--") and len(a) > 2 else a
            for a in argv]
    p = argparse.ArgumentParser(prog="grpcurl", description=__doc__.split("\n")[0])
    p.add_argument("--plaintext", action="store_true")
    p.add_argument("--cacert")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--servername")
    p.add_argument("-H", "--rpc-header", dest="headers", action="append", default=[])
    p.add_argument("-d", dest="data")
    p.add_argument("--max-time", type=float)
    p.add_argument("--stream-until-deadline", action="store_true")
    p.add_argument("--emit-defaults", action="store_true")
    p.add_argument("target")
    p.add_argument("verb", nargs="?", default="list")
    p.add_argument("symbol", nargs="?")
    return p.parse_args(argv)


def _channel(a):
    if a.plaintext:
        return grpc.insecure_channel(a.target)
    read = lambda path: open(path, "rb").read() if path else None  # noqa: E731
    creds = grpc.ssl_channel_credentials(read(a.cacert), read(a.key), read(a.cert))
    options = [("grpc.ssl_target_name_override", a.servername)] if a.servername else []
    return grpc.secure_channel(a.target, creds, options=options)


def main(argv=None, stdin=None, stdout=None, stderr=None):
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    a = _parse_args(sys.argv[1:] if argv is None else argv)
    metadata = []
    for h in a.headers:
        name, _, value = h.partition(":")
        metadata.append((name.strip().lower(), value.strip()))
    channel = _channel(a)
    reflection = Reflection(channel, metadata)
    server_stream = False
    try:
        if a.verb == "list":
            if a.symbol:
                for m in reflection.find(a.symbol).methods:
                    print(m.full_name, file=stdout)
            else:
                for name in sorted(reflection.list_services()):
                    print(name, file=stdout)
            return 0
        if a.verb == "describe":
            print(describe(reflection.find(a.symbol)), file=stdout)
            return 0
        server_stream = reflection.method(a.verb).server_streaming
        data = a.data or ""
        if data == "@":
            data = stdin.read()
        for resp in invoke(channel, reflection, a.verb, _json_objects(data), metadata,
                           a.max_time):
            print(json_format.MessageToJson(resp, descriptor_pool=reflection.pool,
                                            including_default_value_fields=a.emit_defaults),
                  file=stdout)
        return 0
    except ReflectionError as e:
        print("Failed to resolve symbol: %s" % e, file=stderr)
        return 1
    except grpc.RpcError as e:
        if (server_stream and a.stream_until_deadline
                and e.code() == grpc.StatusCode.DEADLINE_EXCEEDED):
            return 0
        print("ERROR:\n  Code: %s\n  Message: %s" % (e.code().name, e.details()), file=stderr)
        from collections_sidecar.errors import from_rpc_error
        err = from_rpc_error(e)
        if err.status is not None:
            for d in err.status.details:
                print("  Details: %s" % d.type_url, file=stderr)
        return 64 + e.code().value[0]
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main())
