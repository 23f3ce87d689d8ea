#include "service/app/page_token.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"

namespace collections::app {
namespace {

namespace pb = ::google::protobuf;

// Token layout before web-safe base64: kVersion, the 16 hex digits of the
// request's binding, the last key, and 16 hex digits of a checksum over all
// that precedes it.
constexpr absl::string_view kVersion = "p2.";
constexpr size_t kHex = 16;

std::string Hex(uint64_t v) { return absl::StrCat(absl::Hex(v, absl::kZeroPad16)); }

// Hash of `request` without its paging fields, over its deterministic wire
// form (stable across processes and releases as long as the fields are).
std::string Binding(const pb::Message& request, absl::Span<const char* const> not_filters) {
  std::unique_ptr<pb::Message> filters(request.New());
  filters->CopyFrom(request);
  const pb::Descriptor* d = filters->GetDescriptor();
  auto clear = [&](const char* name) {
    if (const pb::FieldDescriptor* f = d->FindFieldByName(name)) {
      filters->GetReflection()->ClearField(filters.get(), f);
    }
  };
  clear("page_token");
  clear("page_size");
  for (const char* name : not_filters) clear(name);
  std::string bytes;
  {
    pb::io::StringOutputStream sos(&bytes);
    pb::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    filters->SerializeToCodedStream(&cos);
  }
  return Hex(StableHash(absl::StrCat(d->full_name(), "\n", bytes)));
}

std::string TokenOf(const pb::Message& request) {
  const pb::FieldDescriptor* f = request.GetDescriptor()->FindFieldByName("page_token");
  return f == nullptr ? std::string() : request.GetReflection()->GetString(request, f);
}

absl::Status NotOurs() {
  return domain::InvalidInput("INVALID_PAGE_TOKEN", "page_token",
                              "not a page token returned for this parent and these filters; "
                              "start again without page_token");
}

}  // namespace

absl::StatusOr<std::string> PageStart(const pb::Message& request,
                                      absl::Span<const char* const> not_filters) {
  const std::string token = TokenOf(request);
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < kVersion.size() + 2 * kHex ||
      !absl::StartsWith(raw, kVersion)) {
    return NotOurs();
  }
  const absl::string_view body = absl::string_view(raw).substr(0, raw.size() - kHex);
  if (raw.substr(raw.size() - kHex) != Hex(StableHash(body)) ||
      body.substr(kVersion.size(), kHex) != Binding(request, not_filters)) {
    return NotOurs();
  }
  return std::string(body.substr(kVersion.size() + kHex));
}

std::string NextPageToken(const pb::Message& request, absl::string_view last_key,
                          absl::Span<const char* const> not_filters) {
  const std::string body = absl::StrCat(kVersion, Binding(request, not_filters), last_key);
  return absl::WebSafeBase64Escape(absl::StrCat(body, Hex(StableHash(body))));
}

}  // namespace collections::app
