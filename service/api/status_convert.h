// The one place where absl::Status becomes grpc::Status. Machine reasons and
// field violations (domain/errors.h payloads) travel as a collections_sidecar.v1.Status
// in the grpc-status-details-bin trailer, with ErrorInfo and BadRequest
// details that any gRPC client can decode.
#ifndef COLLECTIONS_API_STATUS_CONVERT_H_
#define COLLECTIONS_API_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace collections::api {

grpc::Status ToGrpcStatus(const absl::Status& status);
// Inverse, for clients (collectionsctl, connectors, tests): keeps reason and
// field violations as payloads.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace collections::api

#endif  // COLLECTIONS_API_STATUS_CONVERT_H_
