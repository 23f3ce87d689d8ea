#include "service/http/request_json.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/messages/json.h"

namespace collections::http {

namespace pb = ::google::protobuf;
namespace {

using FD = pb::FieldDescriptor;

absl::Status BadParam(absl::string_view field, absl::string_view why) {
  return domain::InvalidInput("HTTP_REQUEST_INVALID", field, why);
}

absl::Status ParseJsonInto(absl::string_view json, pb::Message& m, absl::string_view field) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto st = pb::util::JsonStringToMessage(std::string(json), &m, options);
  if (st.ok()) return absl::OkStatus();
  // The parser's message quotes the input on further lines; keep the first.
  const std::string why = st.message().as_string();
  return domain::InvalidInput("HTTP_BODY_INVALID", field.empty() ? "body" : field,
                              absl::StrCat("not the JSON form of ", m.GetDescriptor()->full_name(),
                                           ": ", why.substr(0, why.find('\n'))));
}

// The message holding the last field of `path`, created on the way.
pb::Message& Holder(pb::Message& request, const FieldPath& path) {
  pb::Message* m = &request;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    m = m->GetReflection()->MutableMessage(m, path[i]);
  }
  return *m;
}

// Sets (or, for a repeated field, adds) one text value to the last field of
// `path`.
absl::Status SetText(pb::Message& request, const FieldPath& path, const std::string& text,
                     absl::string_view name) {
  pb::Message& m = Holder(request, path);
  const FD* f = path.back();
  const pb::Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  const auto not_a = [&](absl::string_view what) {
    return BadParam(name, absl::StrCat("\"", text, "\" is not ", what));
  };
  switch (f->cpp_type()) {
    case FD::CPPTYPE_STRING: {
      std::string v = text;
      if (f->type() == FD::TYPE_BYTES && !absl::Base64Unescape(text, &v) &&
          !absl::WebSafeBase64Unescape(text, &v)) {
        return not_a("base64");
      }
      rep ? r->AddString(&m, f, v) : r->SetString(&m, f, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_BOOL: {
      bool v;
      if (text == "true")
        v = true;
      else if (text == "false")
        v = false;
      else
        return not_a("true or false");
      rep ? r->AddBool(&m, f, v) : r->SetBool(&m, f, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v)) return not_a("a 32-bit integer");
      rep ? r->AddInt32(&m, f, v) : r->SetInt32(&m, f, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return not_a("a 64-bit integer");
      rep ? r->AddInt64(&m, f, v) : r->SetInt64(&m, f, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(text, &v)) return not_a("an unsigned 32-bit integer");
      rep ? r->AddUInt32(&m, f, v) : r->SetUInt32(&m, f, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) return not_a("an unsigned 64-bit integer");
      rep ? r->AddUInt64(&m, f, v) : r->SetUInt64(&m, f, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_DOUBLE:
    case FD::CPPTYPE_FLOAT: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return not_a("a number");
      if (f->cpp_type() == FD::CPPTYPE_FLOAT) {
        rep ? r->AddFloat(&m, f, static_cast<float>(v)) : r->SetFloat(&m, f, static_cast<float>(v));
      } else {
        rep ? r->AddDouble(&m, f, v) : r->SetDouble(&m, f, v);
      }
      return absl::OkStatus();
    }
    case FD::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* e = f->enum_type()->FindValueByName(text);
      int number;
      if (e == nullptr && absl::SimpleAtoi(text, &number)) {
        e = f->enum_type()->FindValueByNumber(number);
      }
      if (e == nullptr) return not_a(absl::StrCat("a value of ", f->enum_type()->full_name()));
      rep ? r->AddEnum(&m, f, e) : r->SetEnum(&m, f, e);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_MESSAGE: {
      // Well-known types whose JSON form is a string (Timestamp, Duration,
      // FieldMask, wrappers).
      pb::Message* sub = rep ? r->AddMessage(&m, f) : r->MutableMessage(&m, f);
      std::string quoted = "\"";
      absl::StrAppend(&quoted, absl::CEscape(text), "\"");
      return ParseJsonInto(quoted, *sub, name);
    }
  }
  return BadParam(name, "unsupported field type");
}

// True when `a` is `b` or a prefix of it, or the other way round.
bool Overlaps(const FieldPath& a, const FieldPath& b) {
  const size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + n, b.begin());
}

}  // namespace

absl::Status FillRequest(const Route& route, const PathBindings& bindings, const QueryParams& query,
                         const std::string& body, pb::Message& request) {
  const bool has_body = !absl::StripAsciiWhitespace(body).empty();
  if (route.body.empty() && has_body) {
    return BadParam("body", absl::StrCat(route.http_method, " ", route.path.text,
                                         " takes no body; send the fields as query parameters"));
  }
  if (route.body == "*" && has_body) {
    RETURN_IF_ERROR(ParseJsonInto(body, request, ""));
  } else if (!route.body_field.empty() && has_body) {
    pb::Message& holder = Holder(request, route.body_field);
    pb::Message* sub = holder.GetReflection()->MutableMessage(&holder, route.body_field.back());
    RETURN_IF_ERROR(ParseJsonInto(body, *sub, route.body));
  }
  for (const auto& [field, value] : bindings) {
    RETURN_IF_ERROR(SetText(request, *field, value, FieldPathName(*field)));
  }
  for (const auto& [name, value] : query) {
    if (route.body == "*") {
      return BadParam(name, "this method takes its fields in the JSON body, not the query");
    }
    auto path = ResolveFieldPath(*request.GetDescriptor(), name);
    if (!path.ok()) return BadParam(name, path.status().message());
    if (!route.body_field.empty() && Overlaps(*path, route.body_field)) {
      return BadParam(name, "set by the body");
    }
    for (const auto& [field, unused] : bindings) {
      if (Overlaps(*path, *field)) return BadParam(name, "set by the path");
    }
    if (path->back()->is_map() ||
        (path->back()->message_type() != nullptr &&
         path->back()->message_type()->file()->package() != "google.protobuf")) {
      return BadParam(name, "a message field: set its fields one by one (name.field=value)");
    }
    RETURN_IF_ERROR(SetText(request, *path, value, name));
  }
  return absl::OkStatus();
}

std::string ResponseJson(const pb::Message& response) {
  // Printing a valid message cannot fail (Any payloads are our own types).
  return messages::MessageJson(response, messages::JsonNames::kLowerCamel);
}

}  // namespace collections::http
