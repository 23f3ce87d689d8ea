#include "service/base/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace collections::domain {
namespace {
constexpr char kReasonUrl[] = "collections_sidecar.v1/reason";
constexpr char kFieldsUrl[] = "collections_sidecar.v1/fields";
constexpr char kRetryUrl[] = "collections_sidecar.v1/retry_delay_ns";
constexpr char kMetadataUrl[] = "collections_sidecar.v1/metadata";
}  // namespace

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  status.SetPayload(kReasonUrl, absl::Cord(reason));
  return status;
}

absl::Status WithField(absl::Status status, absl::string_view field,
                       absl::string_view description) {
  std::string text;
  if (auto existing = status.GetPayload(kFieldsUrl)) text = std::string(*existing);
  absl::StrAppend(&text, field, "\t", description, "\n");
  status.SetPayload(kFieldsUrl, absl::Cord(text));
  return status;
}

absl::Status InvalidInput(absl::string_view reason, absl::string_view field,
                          absl::string_view description) {
  absl::Status st = absl::InvalidArgumentError(absl::StrCat(field, ": ", description));
  return WithField(WithReason(std::move(st), reason), field, description);
}

absl::Status NotFoundError(absl::string_view reason, absl::string_view message) {
  return WithReason(absl::NotFoundError(message), reason);
}

absl::Status PreconditionError(absl::string_view reason, absl::string_view message) {
  return WithReason(absl::FailedPreconditionError(message), reason);
}

absl::Status WithMetadata(absl::Status status, absl::string_view key, absl::string_view value) {
  std::string text;
  if (auto existing = status.GetPayload(kMetadataUrl)) text = std::string(*existing);
  absl::StrAppend(&text, key, "\t", value, "\n");
  status.SetPayload(kMetadataUrl, absl::Cord(text));
  return status;
}

std::map<std::string, std::string> MetadataOf(const absl::Status& status) {
  std::map<std::string, std::string> out;
  auto p = status.GetPayload(kMetadataUrl);
  if (!p) return out;
  for (absl::string_view line : absl::StrSplit(std::string(*p), '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    out[kv.first] = kv.second;
  }
  return out;
}

std::string ReasonOf(const absl::Status& status) {
  if (auto p = status.GetPayload(kReasonUrl)) return std::string(*p);
  return "";
}

std::vector<FieldViolation> FieldsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto p = status.GetPayload(kFieldsUrl);
  if (!p) return out;
  for (absl::string_view line : absl::StrSplit(std::string(*p), '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    out.push_back({kv.first, kv.second});
  }
  return out;
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  status.SetPayload(kRetryUrl, absl::Cord(absl::StrCat(absl::ToInt64Nanoseconds(delay))));
  return status;
}

absl::Duration RetryDelayOf(const absl::Status& status) {
  int64_t ns = 0;
  if (auto p = status.GetPayload(kRetryUrl); p && absl::SimpleAtoi(std::string(*p), &ns)) {
    return absl::Nanoseconds(ns);
  }
  return absl::ZeroDuration();
}

absl::Status PrefixFields(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  absl::Status out(status.code(), FieldsOf(status).empty()
                                      ? std::string(status.message())
                                      : absl::StrCat(prefix, status.message()));
  std::string reason = ReasonOf(status);
  if (!reason.empty()) out = WithReason(std::move(out), reason);
  for (const auto& f : FieldsOf(status)) {
    out = WithField(std::move(out), absl::StrCat(prefix, f.field), f.description);
  }
  return out;
}

}  // namespace collections::domain
