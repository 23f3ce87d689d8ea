// The one place where absl::Status becomes grpc::Status. Every error travels
// as a google.rpc.Status in the grpc-status-details-bin trailer, with details
// under their standard type URLs, so that stock clients (Python's grpc_status,
// Go's status.Details(), grpcurl) decode them:
//   type.googleapis.com/google.rpc.ErrorInfo   always: reason (the machine
//       reason of base/errors.h, else the code's name, e.g. "NOT_FOUND"),
//       domain kErrorDomain, metadata with the facts of the error plus
//       "resource" (the resource the call named) or, for UNAUTHENTICATED and
//       PERMISSION_DENIED, only "tenant", so a refusal reads the same whether
//       the resource exists or not;
//   type.googleapis.com/google.rpc.BadRequest  when fields are at fault;
//   type.googleapis.com/google.rpc.RetryInfo   when the caller should wait.
#ifndef COLLECTIONS_GRPC_STATUS_STATUS_CONVERT_H_
#define COLLECTIONS_GRPC_STATUS_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace collections::grpc_status {

// ErrorInfo.domain of every error this service returns.
inline constexpr char kErrorDomain[] = "collections-sidecar";

// The tenant id named by a resource name ("tenants/acme/..." -> "acme"), or
// "" when the name has none.
std::string TenantOf(absl::string_view resource_name);

// `resource` is the resource name the call was about (its name or parent
// field), or empty when the call names none.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view resource = "");
// Inverse, for clients (collectionsctl, connectors, tests): keeps reason,
// metadata, field violations and retry delay as payloads. A reason that only
// repeats the code's name is dropped. Also reads details packed under the
// type URLs of releases before the google.rpc switch
// (collections.v1.ErrorInfo, collections_sidecar.v1.ErrorInfo, ...), which
// are wire-compatible.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace collections::grpc_status

#endif  // COLLECTIONS_GRPC_STATUS_STATUS_CONVERT_H_
