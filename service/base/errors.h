// Errors that carry a machine reason and field violations without knowing
// about gRPC. The API edge (service/grpc_status/status_convert) turns the
// payloads into google.rpc.ErrorInfo, BadRequest and RetryInfo details.
//
// Use InvalidInput() for bad requests ("fix the request"), and the plain
// absl constructors plus WithReason() for NotFound / FailedPrecondition.
#ifndef COLLECTIONS_BASE_ERRORS_H_
#define COLLECTIONS_BASE_ERRORS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace collections::domain {

struct FieldViolation {
  std::string field;        // e.g. "records[3].invoice.due_date"
  std::string description;  // e.g. "before issue_date 2026-03-01"
};

// Attaches a machine reason such as "INVOICE_CURRENCY_MISMATCH".
absl::Status WithReason(absl::Status status, absl::string_view reason);
// Attaches one more field violation.
absl::Status WithField(absl::Status status, absl::string_view field, absl::string_view description);

// INVALID_ARGUMENT with a reason and one field violation; the message is
// "<field>: <description>".
absl::Status InvalidInput(absl::string_view reason, absl::string_view field,
                          absl::string_view description);
absl::Status NotFoundError(absl::string_view reason, absl::string_view message);
absl::Status PreconditionError(absl::string_view reason, absl::string_view message);

// Attaches one fact about the error ("field" -> "next_consequence"); the
// API edge sends these as collections_sidecar.v1.ErrorInfo.metadata. Keys and values
// must not contain tabs or newlines.
absl::Status WithMetadata(absl::Status status, absl::string_view key, absl::string_view value);

// Reads the payloads back (empty when absent).
std::string ReasonOf(const absl::Status& status);
std::vector<FieldViolation> FieldsOf(const absl::Status& status);
std::map<std::string, std::string> MetadataOf(const absl::Status& status);

// Attaches how long the caller should wait before retrying (a rate limit or
// overload answer); the API edge sends it as collections_sidecar.v1.RetryInfo.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
// The delay attached by WithRetryDelay, or absl::ZeroDuration() when none.
absl::Duration RetryDelayOf(const absl::Status& status);

// Prefixes every field path with `prefix` (e.g. "records[3].").
absl::Status PrefixFields(const absl::Status& status, absl::string_view prefix);

}  // namespace collections::domain

#endif  // COLLECTIONS_BASE_ERRORS_H_
