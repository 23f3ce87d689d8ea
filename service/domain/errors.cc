#include "service/domain/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace collections::domain {
namespace {
constexpr char kReasonUrl[] = "collections.v1/reason";
constexpr char kFieldsUrl[] = "collections.v1/fields";
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
