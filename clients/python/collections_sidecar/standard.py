"""The standard protocols the sidecar speaks besides its own API.

google.rpc.Status / ErrorInfo / BadRequest / RetryInfo (error details) come
from google.rpc, which the wheel installs (the modules googleapis-common-protos
would; Debian 12 packages neither). For grpc.health.v1 and
grpc.reflection.v1alpha the modules of grpcio-health-checking and
grpcio-reflection are used when they are installed, so that a process never
registers two copies of one .proto file; otherwise the copies generated into
this package at build time (collections_sidecar._std).
"""

from google.rpc import error_details_pb2, status_pb2

try:
    from grpc_health.v1 import health_pb2  # grpcio-health-checking
except ImportError:
    from collections_sidecar._std import health_pb2

try:
    from grpc_reflection.v1alpha import reflection_pb2  # grpcio-reflection
except ImportError:
    from collections_sidecar._std import reflection_pb2

__all__ = ["error_details_pb2", "health_pb2", "reflection_pb2", "status_pb2"]
