#include "service/messages/json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/type.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "service/base/status_macros.h"

namespace collections::messages {
namespace {

namespace pb = ::google::protobuf;

constexpr absl::string_view kUrlPrefix = "type.googleapis.com/";
// The type of a list of T: message { repeated T items = 1; }. Resolved here
// only; no message of the generated pool has this prefix.
constexpr absl::string_view kArrayPrefix = "type.googleapis.com/collections.internal.ArrayOf/";
constexpr absl::string_view kArrayOpen = "{\"items\":";
// The type of an object of named members (ObjectJson): the rest of the URL
// lists them in order, "name=R:full.Type" (repeated) or "name=S:full.Type"
// (singular) joined by ';'; member i is field i + 1.
constexpr absl::string_view kObjectPrefix = "type.googleapis.com/collections.internal.Object/";
constexpr uint32_t kItemsTag = (1 << 3) | 2;  // field 1, length-delimited

// The generated pool's types, each resolved once and copied out on demand
// (the printer takes a copy it owns). Thread-safe.
class CachingResolver final : public pb::util::TypeResolver {
 public:
  CachingResolver()
      : base_(pb::util::NewTypeResolverForDescriptorPool(
            std::string(kUrlPrefix.substr(0, kUrlPrefix.size() - 1)),
            pb::DescriptorPool::generated_pool())) {}

  pb::util::Status ResolveMessageType(const std::string& type_url, pb::Type* type) override {
    return Resolve(types_, type_url, type, [&](pb::Type* resolved) {
      if (absl::StartsWith(type_url, kObjectPrefix)) return ResolveObject(type_url, resolved);
      if (!absl::StartsWith(type_url, kArrayPrefix)) {
        return base_->ResolveMessageType(type_url, resolved);
      }
      resolved->set_name(type_url.substr(kUrlPrefix.size()));
      pb::Field* f = resolved->add_fields();
      f->set_kind(pb::Field::TYPE_MESSAGE);
      f->set_cardinality(pb::Field::CARDINALITY_REPEATED);
      f->set_number(1);
      f->set_name("items");
      f->set_json_name("items");
      f->set_type_url(absl::StrCat(kUrlPrefix, type_url.substr(kArrayPrefix.size())));
      return pb::util::Status();
    });
  }

  pb::util::Status ResolveEnumType(const std::string& type_url, pb::Enum* enum_type) override {
    return Resolve(enums_, type_url, enum_type,
                   [&](pb::Enum* resolved) { return base_->ResolveEnumType(type_url, resolved); });
  }

 private:
  // The type of an ObjectJson shape (kObjectPrefix).
  static pb::util::Status ResolveObject(const std::string& type_url, pb::Type* resolved) {
    resolved->set_name(type_url.substr(kUrlPrefix.size()));
    int number = 0;
    for (absl::string_view member :
         absl::StrSplit(absl::string_view(type_url).substr(kObjectPrefix.size()), ';')) {
      const std::vector<absl::string_view> parts = absl::StrSplit(member, absl::MaxSplits('=', 1));
      if (parts.size() != 2 || parts[1].size() < 3 || parts[1][1] != ':' ||
          (parts[1][0] != 'R' && parts[1][0] != 'S')) {
        return pb::util::Status(pb::util::StatusCode::kInvalidArgument,
                                absl::StrCat("malformed object type ", type_url));
      }
      pb::Field* f = resolved->add_fields();
      f->set_kind(pb::Field::TYPE_MESSAGE);
      f->set_cardinality(parts[1][0] == 'R' ? pb::Field::CARDINALITY_REPEATED
                                            : pb::Field::CARDINALITY_OPTIONAL);
      f->set_number(++number);
      f->set_name(std::string(parts[0]));
      f->set_json_name(std::string(parts[0]));
      f->set_type_url(absl::StrCat(kUrlPrefix, parts[1].substr(2)));
    }
    return pb::util::Status();
  }

  const std::unique_ptr<pb::util::TypeResolver> base_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<pb::Type>> types_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<pb::Enum>> enums_ ABSL_GUARDED_BY(mu_);

  // A copy of the cached description of `type_url`, resolved by `resolve`
  // the first time.
  template <typename T, typename F>
  pb::util::Status Resolve(absl::flat_hash_map<std::string, std::unique_ptr<T>>& cache,
                           const std::string& type_url, T* out, F resolve) {
    {
      absl::ReaderMutexLock l(&mu_);
      auto it = cache.find(type_url);
      if (it != cache.end()) {
        *out = *it->second;
        return pb::util::Status();
      }
    }
    auto resolved = std::make_unique<T>();
    pb::util::Status st = resolve(resolved.get());
    if (!st.ok()) return st;
    *out = *resolved;
    absl::MutexLock l(&mu_);
    cache.try_emplace(type_url, std::move(resolved));
    return pb::util::Status();
  }
};

CachingResolver& Resolver() {
  static CachingResolver* const resolver = new CachingResolver();
  return *resolver;
}

pb::util::JsonPrintOptions Options(JsonNames names) {
  pb::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = names == JsonNames::kProto;
  return opts;
}

absl::Status Render(const std::string& type_url, const std::string& bytes, std::string* out,
                    JsonNames names = JsonNames::kProto) {
  pb::util::Status st =
      pb::util::BinaryToJsonString(&Resolver(), type_url, bytes, out, Options(names));
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", type_url, " that does not render as JSON: ", st.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string MessageJson(const pb::Message& m, JsonNames names) {
  std::string out;
  // A generated message always renders (its type is in the generated pool).
  (void)Render(absl::StrCat(kUrlPrefix, m.GetDescriptor()->full_name()), m.SerializeAsString(),
               &out, names);
  return out;
}

namespace {

// The generated message type `type_url` names, or null.
const pb::Descriptor* GeneratedType(absl::string_view type_url) {
  if (!absl::StartsWith(type_url, kUrlPrefix)) return nullptr;
  return pb::DescriptorPool::generated_pool()->FindMessageTypeByName(
      std::string(type_url.substr(kUrlPrefix.size())));
}

// InvalidArgument unless each of `items` parses as `type`: the printer
// renders what it can of bytes that do not parse.
absl::Status CheckParses(const pb::Descriptor* type, absl::Span<const absl::string_view> items) {
  std::unique_ptr<pb::Message> parsed(
      pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
  for (size_t i = 0; i < items.size(); ++i) {
    if (!parsed->ParseFromArray(items[i].data(), static_cast<int>(items[i].size()))) {
      return absl::InvalidArgumentError(
          absl::StrCat("bytes that do not parse as ", type->full_name(), " (item ", i, ")"));
    }
  }
  return absl::OkStatus();
}

// The serialized messages of `type` as one JSON array, in one pass of the
// printer: rendered as message { repeated T items = 1; }, whose wire form is
// each item as field 1, length-delimited.
absl::StatusOr<std::string> RenderArray(const pb::Descriptor* type,
                                        absl::Span<const absl::string_view> items) {
  if (items.empty()) return std::string("[]");
  std::string bytes;
  {
    pb::io::StringOutputStream sos(&bytes);
    pb::io::CodedOutputStream cos(&sos);
    for (absl::string_view item : items) {
      cos.WriteTag(kItemsTag);
      cos.WriteVarint32(static_cast<uint32_t>(item.size()));
      cos.WriteRaw(item.data(), static_cast<int>(item.size()));
    }
  }
  std::string out;
  RETURN_IF_ERROR(Render(absl::StrCat(kArrayPrefix, type->full_name()), bytes, &out));
  // {"items":[...]} -> [...]
  if (!absl::StartsWith(out, kArrayOpen) || !absl::EndsWith(out, "]}")) {
    return absl::InternalError(
        absl::StrCat("a list of ", type->full_name(), " rendered as unexpected JSON"));
  }
  out.pop_back();
  out.erase(0, kArrayOpen.size());
  return out;
}

// The top-level values of `inner`, the text between the brackets of a JSON
// array or the braces of an object as the printer writes it (nothing between
// tokens outside strings), split at its top-level commas; empty when the
// text does not close every string and bracket it opens.
std::vector<std::string> SplitTopLevel(absl::string_view inner, size_t expected) {
  std::vector<std::string> items;
  if (inner.empty()) return items;
  items.reserve(expected);
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  size_t start = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 0) {
      items.emplace_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0 || in_string) return {};
  items.emplace_back(inner.substr(start));
  return items;
}

// The top-level items of a JSON array as the printer writes it, or an empty
// vector when it does not hold `n` of them.
std::vector<std::string> SplitArray(absl::string_view array, size_t n) {
  if (array.size() < 2 || array.front() != '[' || array.back() != ']') return {};
  std::vector<std::string> items = SplitTopLevel(array.substr(1, array.size() - 2), n);
  if (items.size() != n) return {};
  return items;
}

// The array joined from each item's JSON.
std::string JoinedArrayJson(absl::Span<const pb::Message* const> items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", MessageJson(*items[i]));
  }
  out.push_back(']');
  return out;
}

}  // namespace

absl::StatusOr<std::string> SerializedJson(absl::string_view type_url, absl::string_view bytes) {
  ASSIGN_OR_RETURN(std::vector<std::string> each, SerializedJsonEach(type_url, {bytes}));
  return std::move(each.front());
}

absl::StatusOr<std::vector<std::string>> SerializedJsonEach(
    absl::string_view type_url, absl::Span<const absl::string_view> items) {
  const pb::Descriptor* type = GeneratedType(type_url);
  if (type == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown message type ", type_url));
  }
  RETURN_IF_ERROR(CheckParses(type, items));
  if (items.empty()) return std::vector<std::string>();
  ASSIGN_OR_RETURN(std::string array, RenderArray(type, items));
  std::vector<std::string> each = SplitArray(array, items.size());
  if (each.empty()) {
    return absl::InternalError(absl::StrCat(items.size(), " ", type->full_name(),
                                            " rendered as an array of another length"));
  }
  return each;
}

namespace {

// The items serialized, when they share one type (else `type` is null), for
// RenderArray. They need no parse check, being messages already.
struct OneType {
  const pb::Descriptor* type = nullptr;
  std::vector<std::string> bytes;

  absl::StatusOr<std::string> Render() const {
    const std::vector<absl::string_view> views(bytes.begin(), bytes.end());
    return RenderArray(type, views);
  }
};
OneType SerializeOneType(absl::Span<const pb::Message* const> items) {
  OneType out;
  if (items.empty()) return out;
  for (const pb::Message* m : items) {
    if (m->GetDescriptor() != items.front()->GetDescriptor()) return out;
  }
  out.type = items.front()->GetDescriptor();
  out.bytes.reserve(items.size());
  for (const pb::Message* m : items) out.bytes.push_back(m->SerializeAsString());
  return out;
}

}  // namespace

std::vector<std::string> EachJson(absl::Span<const pb::Message* const> items) {
  const OneType serialized = SerializeOneType(items);
  if (serialized.type != nullptr) {
    absl::StatusOr<std::string> array = serialized.Render();
    // Messages of a generated type always render; the fallback is a safety net.
    if (array.ok()) {
      std::vector<std::string> each = SplitArray(*array, items.size());
      if (!each.empty()) return each;
    }
  }
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const pb::Message* m : items) out.push_back(MessageJson(*m));
  return out;
}

std::string ArrayJson(absl::Span<const pb::Message* const> items) {
  if (items.empty()) return "[]";
  const OneType serialized = SerializeOneType(items);
  if (serialized.type != nullptr) {
    absl::StatusOr<std::string> array = serialized.Render();
    // Messages of a generated type always render; the fallback is a safety net.
    if (array.ok()) return *std::move(array);
  }
  return JoinedArrayJson(items);
}

namespace {

// `name` as a JSON string.
std::string QuotedName(absl::string_view name) {
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

// Whether `name` can name a field of an object type (kObjectPrefix).
bool IsIdentifier(absl::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

ObjectJson& ObjectJson::Raw(absl::string_view name, std::string json) {
  Member member;
  member.name = std::string(name);
  member.raw = std::move(json);
  members_.push_back(std::move(member));
  return *this;
}

ObjectJson& ObjectJson::Message(absl::string_view name, const pb::Message& m) {
  if (!IsIdentifier(name)) return Raw(name, MessageJson(m));
  Member member;
  member.name = std::string(name);
  member.type = m.GetDescriptor();
  member.bytes.push_back(m.SerializeAsString());
  members_.push_back(std::move(member));
  return *this;
}

ObjectJson& ObjectJson::Array(absl::string_view name, absl::Span<const pb::Message* const> items) {
  if (items.empty()) return Raw(name, "[]");
  OneType serialized = SerializeOneType(items);
  if (serialized.type == nullptr || !IsIdentifier(name)) return Raw(name, ArrayJson(items));
  Member member;
  member.name = std::string(name);
  member.type = serialized.type;
  member.repeated = true;
  member.bytes = std::move(serialized.bytes);
  members_.push_back(std::move(member));
  return *this;
}

std::string ObjectJson::Render() const {
  // The members with messages, as the fields of one object type.
  std::string type_url(kObjectPrefix);
  std::string bytes;
  size_t fields = 0;
  {
    pb::io::StringOutputStream sos(&bytes);
    pb::io::CodedOutputStream cos(&sos);
    for (const Member& m : members_) {
      if (m.type == nullptr) continue;
      absl::StrAppend(&type_url, fields == 0 ? "" : ";", m.name,
                      m.repeated ? "=R:" : "=S:", m.type->full_name());
      ++fields;
      const uint32_t tag = (static_cast<uint32_t>(fields) << 3) | 2;
      for (const std::string& b : m.bytes) {
        cos.WriteTag(tag);
        cos.WriteVarint32(static_cast<uint32_t>(b.size()));
        cos.WriteRaw(b.data(), static_cast<int>(b.size()));
      }
    }
  }
  // Each field's `"name":value`, in order, or none when the pass failed.
  std::vector<std::string> rendered;
  if (fields > 0) {
    std::string object;
    if (messages::Render(type_url, bytes, &object).ok() && object.size() >= 2 &&
        object.front() == '{' && object.back() == '}') {
      rendered = SplitTopLevel(absl::string_view(object).substr(1, object.size() - 2), fields);
      if (rendered.size() != fields) rendered.clear();
    }
  }
  std::string out = "{";
  size_t next = 0;
  for (const Member& m : members_) {
    if (out.size() > 1) out.push_back(',');
    if (m.type == nullptr) {
      absl::StrAppend(&out, QuotedName(m.name), ":", m.raw);
      continue;
    }
    const std::string prefix = absl::StrCat(QuotedName(m.name), ":");
    if (!rendered.empty() && absl::StartsWith(rendered[next], prefix)) {
      absl::StrAppend(&out, rendered[next]);
    } else {
      // A safety net: messages of a generated type always render.
      std::string value;
      if (m.repeated) {
        std::vector<absl::string_view> views(m.bytes.begin(), m.bytes.end());
        value = RenderArray(m.type, views).value_or("[]");
      } else {
        (void)messages::Render(absl::StrCat(kUrlPrefix, m.type->full_name()), m.bytes.front(),
                               &value);
      }
      absl::StrAppend(&out, prefix, value);
    }
    ++next;
  }
  out.push_back('}');
  return out;
}

}  // namespace collections::messages
