#include "service/grpc_status/status_convert.h"

#include <cstdio>
#include <map>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "service/base/errors.h"
#include "service/base/json_text.h"

namespace collections::grpc_status {

namespace {

// UNAUTHENTICATED and PERMISSION_DENIED: answers that must not depend on
// whether the named resource exists.
bool IsRefusal(absl::StatusCode code) {
  return code == absl::StatusCode::kUnauthenticated || code == absl::StatusCode::kPermissionDenied;
}

// The message name of a detail this edge knows, by its type URL: "ErrorInfo"
// for type.googleapis.com/google.rpc.ErrorInfo and for the wire-compatible
// collections.v1 / collections_sidecar.v1 types of earlier releases; "" for
// anything else.
absl::string_view DetailType(absl::string_view type_url) {
  const absl::string_view full = type_url.substr(type_url.rfind('/') + 1);
  for (absl::string_view package : {"google.rpc.", "collections_sidecar.v1.", "collections.v1."}) {
    absl::string_view name = full;
    if (absl::ConsumePrefix(&name, package) &&
        (name == "ErrorInfo" || name == "BadRequest" || name == "RetryInfo")) {
      return name;
    }
  }
  return "";
}

// True when the message may hold internals: SQL text, file paths, driver
// errors. The stores prefix theirs with "sqlite " or "postgresql ".
bool IsPrivate(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return true;
    default:
      return absl::StartsWith(status.message(), "sqlite ") ||
             absl::StartsWith(status.message(), "postgresql ");
  }
}

// Logs a private message with a fresh id and returns what the client sees.
std::string Redact(const absl::Status& status) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  const std::string id = absl::StrCat(absl::Hex(gen(), absl::kZeroPad16));
  std::fputs(absl::StrCat("{\"msg\":\"error withheld from client\",\"error_id\":\"", id,
                          "\",\"code\":", static_cast<int>(status.code()), ",\"error\":\"",
                          base::JsonEscape(status.message()), "\"}\n")
                 .c_str(),
             stderr);
  return absl::StrCat(status.code() == absl::StatusCode::kAborted
                          ? "the store could not complete the request; retry"
                          : "internal error",
                      " (error id ", id, " in the server log)");
}

}  // namespace

std::string TenantOf(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "tenants/")) return "";
  return std::string(name.substr(0, name.find('/')));
}

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view resource) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  const std::string message = IsPrivate(status) ? Redact(status) : std::string(status.message());
  details.set_message(message);
  google::rpc::ErrorInfo info;
  const std::string reason = domain::ReasonOf(status);
  info.set_reason(reason.empty() ? absl::StatusCodeToString(status.code()) : reason);
  info.set_domain(kErrorDomain);
  auto& metadata = *info.mutable_metadata();
  for (const auto& [key, value] : domain::MetadataOf(status)) metadata[key] = value;
  if (!resource.empty()) {
    if (IsRefusal(status.code())) {
      metadata.try_emplace("tenant", TenantOf(resource));
    } else {
      metadata.try_emplace("resource", std::string(resource));
    }
  }
  details.add_details()->PackFrom(info);
  const auto fields = domain::FieldsOf(status);
  if (!fields.empty()) {
    google::rpc::BadRequest bad;
    for (const auto& f : fields) {
      auto* v = bad.add_field_violations();
      v->set_field(f.field);
      v->set_description(f.description);
    }
    details.add_details()->PackFrom(bad);
  }
  if (const absl::Duration delay = domain::RetryDelayOf(status); delay > absl::ZeroDuration()) {
    google::rpc::RetryInfo retry;
    const int64_t ns = absl::ToInt64Nanoseconds(delay);
    retry.mutable_retry_delay()->set_seconds(ns / 1000000000);
    retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(ns % 1000000000));
    details.add_details()->PackFrom(retry);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
                      details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  absl::Status out(code, status.error_message());
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return out;
  }
  for (const auto& any : details.details()) {
    const absl::string_view type = DetailType(any.type_url());
    if (type == "ErrorInfo") {
      google::rpc::ErrorInfo info;
      if (!info.ParseFromString(any.value())) continue;
      if (info.reason() != absl::StatusCodeToString(code)) {
        out = domain::WithReason(std::move(out), info.reason());
      }
      // Sorted, so that equal errors compare equal.
      const std::map<std::string, std::string> sorted(info.metadata().begin(),
                                                      info.metadata().end());
      for (const auto& [key, value] : sorted) {
        out = domain::WithMetadata(std::move(out), key, value);
      }
    } else if (type == "BadRequest") {
      google::rpc::BadRequest bad;
      if (!bad.ParseFromString(any.value())) continue;
      for (const auto& v : bad.field_violations()) {
        out = domain::WithField(std::move(out), v.field(), v.description());
      }
    } else if (type == "RetryInfo") {
      google::rpc::RetryInfo retry;
      if (!retry.ParseFromString(any.value())) continue;
      out = domain::WithRetryDelay(std::move(out),
                                   absl::Seconds(retry.retry_delay().seconds()) +
                                       absl::Nanoseconds(retry.retry_delay().nanos()));
    }
  }
  return out;
}

}  // namespace collections::grpc_status
