#include "service/api/status_convert.h"

#include <cstdio>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/error_details.pb.h"
#include "service/api/json_text.h"
#include "service/domain/errors.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;
namespace {

// True when the message may hold internals: SQL text, file paths, driver
// errors. The stores prefix theirs with "sqlite " or "postgresql ".
bool IsPrivate(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss: return true;
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
                          JsonEscape(status.message()), "\"}\n")
                 .c_str(),
             stderr);
  return absl::StrCat(status.code() == absl::StatusCode::kAborted
                          ? "the store could not complete the request; retry"
                          : "internal error",
                      " (error id ", id, " in the server log)");
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  v1::Status details;
  details.set_code(static_cast<int>(status.code()));
  const std::string message = IsPrivate(status) ? Redact(status) : std::string(status.message());
  details.set_message(message);
  const std::string reason = domain::ReasonOf(status);
  if (!reason.empty()) {
    v1::ErrorInfo info;
    info.set_reason(reason);
    info.set_domain("collections_sidecar.v1");
    for (const auto& [key, value] : domain::MetadataOf(status)) (*info.mutable_metadata())[key] = value;
    details.add_details()->PackFrom(info);
  }
  const auto fields = domain::FieldsOf(status);
  if (!fields.empty()) {
    v1::BadRequest bad;
    for (const auto& f : fields) {
      auto* v = bad.add_field_violations();
      v->set_field(f.field);
      v->set_description(f.description);
    }
    details.add_details()->PackFrom(bad);
  }
  if (const absl::Duration delay = domain::RetryDelayOf(status); delay > absl::ZeroDuration()) {
    v1::RetryInfo retry;
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
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  v1::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      v1::ErrorInfo info;
      v1::BadRequest bad;
      v1::RetryInfo retry;
      if (any.UnpackTo(&info)) {
        out = domain::WithReason(std::move(out), info.reason());
        for (const auto& [key, value] : info.metadata()) {
          out = domain::WithMetadata(std::move(out), key, value);
        }
      } else if (any.UnpackTo(&bad)) {
        for (const auto& v : bad.field_violations()) {
          out = domain::WithField(std::move(out), v.field(), v.description());
        }
      } else if (any.UnpackTo(&retry)) {
        out = domain::WithRetryDelay(std::move(out),
                                     absl::Seconds(retry.retry_delay().seconds()) +
                                         absl::Nanoseconds(retry.retry_delay().nanos()));
      }
    }
  }
  return out;
}

}  // namespace collections::api
