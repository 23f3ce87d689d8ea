#include "service/http/openapi.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace collections::http {

namespace pb = ::google::protobuf;
namespace {

using FD = pb::FieldDescriptor;

// Deep enough for every request of this API ("asOf.year" is 2); stops
// recursive messages from expanding forever.
constexpr int kMaxQueryDepth = 3;

pb::Value Str(absl::string_view s) {
  pb::Value v;
  v.set_string_value(std::string(s));
  return v;
}
pb::Value Bool(bool b) {
  pb::Value v;
  v.set_bool_value(b);
  return v;
}
pb::Struct& Obj(pb::Value& v) { return *v.mutable_struct_value(); }
pb::Value& At(pb::Struct& s, const std::string& key) { return (*s.mutable_fields())[key]; }
pb::Value& At(pb::Value& v, const std::string& key) { return At(Obj(v), key); }
pb::Value& Push(pb::Value& list) { return *list.mutable_list_value()->add_values(); }

std::string SchemaRef(const pb::Descriptor& m) {
  return absl::StrCat("#/components/schemas/", m.full_name());
}

// The parameter name of a '*' segment: the collection before it, singular.
std::string SegmentName(const PathTemplate& path, size_t i) {
  if (i == 0 || path.segments[i - 1].kind != PathTemplate::Segment::kLiteral) {
    return absl::StrCat("segment", i);
  }
  const std::string& c = path.segments[i - 1].literal;
  return absl::EndsWith(c, "s") ? c.substr(0, c.size() - 1) : absl::StrCat(c, "Id");
}

// `v` as indented JSON with object keys sorted: protobuf's printer follows
// the map's order, which changes from run to run.
void Print(const pb::Value& v, int depth, std::string& out) {
  const std::string pad(2 * (depth + 1), ' ');
  switch (v.kind_case()) {
    case pb::Value::kStructValue: {
      const std::map<std::string, const pb::Value*> sorted = [&] {
        std::map<std::string, const pb::Value*> m;
        for (const auto& [k, x] : v.struct_value().fields()) m[k] = &x;
        return m;
      }();
      if (sorted.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      for (auto it = sorted.begin(); it != sorted.end(); ++it) {
        out += pad;
        std::string key;
        (void)pb::util::MessageToJsonString(Str(it->first), &key);
        absl::StrAppend(&out, key, ": ");
        Print(*it->second, depth + 1, out);
        out += std::next(it) == sorted.end() ? "\n" : ",\n";
      }
      absl::StrAppend(&out, std::string(2 * depth, ' '), "}");
      return;
    }
    case pb::Value::kListValue: {
      const auto& values = v.list_value().values();
      if (values.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (int i = 0; i < values.size(); ++i) {
        out += pad;
        Print(values[i], depth + 1, out);
        out += i + 1 == values.size() ? "\n" : ",\n";
      }
      absl::StrAppend(&out, std::string(2 * depth, ' '), "]");
      return;
    }
    default: {
      std::string scalar;
      (void)pb::util::MessageToJsonString(v, &scalar);
      out += scalar;
    }
  }
}

class Writer {
 public:
  explicit Writer(const OpenApiInfo& info) {
    At(doc_, "openapi") = Str("3.0.3");
    At(At(doc_, "info"), "title") = Str(info.title);
    At(At(doc_, "info"), "version") = Str(info.version);
    pb::Value& bearer = At(At(At(doc_, "components"), "securitySchemes"), "bearerAuth");
    At(bearer, "type") = Str("http");
    At(bearer, "scheme") = Str("bearer");
    At(bearer, "description") = Str("An API token from collectionsctl tokens create.");
    At(Push(At(doc_, "security")), "bearerAuth").mutable_list_value();
    ErrorSchema();
  }

  void AddRoute(const Route& r, const std::string& operation_id) {
    pb::Value& op =
        At(At(At(doc_, "paths"), OpenApiPath(r.path)), absl::AsciiStrToLower(r.http_method));
    At(op, "operationId") = Str(operation_id);
    At(op, "summary") = Str(r.method->full_name());
    Push(At(op, "tags")) = Str(r.method->service()->name());
    PathParameters(r, op);
    if (r.body.empty() || !r.body_field.empty()) {
      QueryParameters(r, *r.method->input_type(), "", 0, op);
    }
    if (!r.body.empty()) {
      const pb::Descriptor& body =
          r.body == "*" ? *r.method->input_type() : *r.body_field.back()->message_type();
      pb::Value& rb = At(op, "requestBody");
      At(rb, "required") = Bool(true);
      At(At(At(At(rb, "content"), "application/json"), "schema"), "$ref") = Str(SchemaRef(body));
      Schema(body);
    }
    const pb::Descriptor& out = *r.method->output_type();
    Schema(out);
    pb::Value& ok = At(At(op, "responses"), "200");
    if (r.method->server_streaming()) {
      At(ok, "description") =
          Str(absl::StrCat("A stream of ", out.name(),
                           ", one JSON object per line; a line {\"error\": ...} "
                           "ends a stream that failed after it started."));
      At(At(At(At(ok, "content"), "application/x-ndjson"), "schema"), "$ref") = Str(SchemaRef(out));
    } else {
      At(ok, "description") = Str(out.name());
      At(At(At(At(ok, "content"), "application/json"), "schema"), "$ref") = Str(SchemaRef(out));
    }
    pb::Value& err = At(At(op, "responses"), "default");
    At(err, "description") = Str("An error: the gRPC status and its details.");
    At(At(At(At(err, "content"), "application/json"), "schema"), "$ref") =
        Str("#/components/schemas/Error");
  }

  std::string Text() const {
    std::string out;
    Print(doc_, 0, out);
    return out;
  }

 private:
  void PathParameters(const Route& r, pb::Value& op) {
    for (size_t i = 0; i < r.path.segments.size(); ++i) {
      if (r.path.segments[i].kind == PathTemplate::Segment::kLiteral) continue;
      pb::Value& p = Push(At(op, "parameters"));
      At(p, "name") = Str(SegmentName(r.path, i));
      At(p, "in") = Str("path");
      At(p, "required") = Bool(true);
      At(At(p, "schema"), "type") = Str("string");
      for (const auto& v : r.path.variables) {
        if (i >= v.begin && i < v.end) {
          At(p, "description") = Str(absl::StrCat("A segment of ", FieldPathName(v.field)));
        }
      }
    }
  }

  bool Covered(const Route& r, const FD* f, const std::vector<const FD*>& prefix) {
    std::vector<const FD*> path = prefix;
    path.push_back(f);
    const auto overlaps = [&](const FieldPath& b) {
      const size_t n = std::min(path.size(), b.size());
      return std::equal(path.begin(), path.begin() + n, b.begin());
    };
    if (!r.body_field.empty() && overlaps(r.body_field)) return true;
    for (const auto& v : r.path.variables) {
      if (overlaps(v.field)) return true;
    }
    return false;
  }

  void QueryParameters(const Route& r, const pb::Descriptor& m, const std::string& prefix,
                       int depth, pb::Value& op, std::vector<const FD*> stack = {}) {
    for (int i = 0; i < m.field_count(); ++i) {
      const FD* f = m.field(i);
      if (Covered(r, f, stack) || f->is_map()) continue;
      const std::string name = absl::StrCat(prefix, f->json_name());
      if (f->message_type() != nullptr &&
          f->message_type()->file()->package() != "google.protobuf") {
        if (f->is_repeated() || depth + 1 >= kMaxQueryDepth) continue;
        auto next = stack;
        next.push_back(f);
        QueryParameters(r, *f->message_type(), absl::StrCat(name, "."), depth + 1, op, next);
        continue;
      }
      pb::Value& p = Push(At(op, "parameters"));
      At(p, "name") = Str(name);
      At(p, "in") = Str("query");
      pb::Value schema = FieldSchema(*f);
      At(p, "schema") = schema;
      if (f->is_repeated()) {
        At(p, "explode") = Bool(true);
        At(p, "style") = Str("form");
      }
    }
  }

  pb::Value ScalarSchema(const FD& f) {
    pb::Value s;
    switch (f.type()) {
      case FD::TYPE_INT32:
      case FD::TYPE_SINT32:
      case FD::TYPE_SFIXED32:
      case FD::TYPE_UINT32:
      case FD::TYPE_FIXED32:
        At(s, "type") = Str("integer");
        At(s, "format") = Str("int32");
        break;
      case FD::TYPE_INT64:
      case FD::TYPE_SINT64:
      case FD::TYPE_SFIXED64:
      case FD::TYPE_UINT64:
      case FD::TYPE_FIXED64:
        At(s, "type") = Str("string");
        At(s, "format") = Str("int64");
        break;
      case FD::TYPE_DOUBLE:
      case FD::TYPE_FLOAT:
        At(s, "type") = Str("number");
        break;
      case FD::TYPE_BOOL:
        At(s, "type") = Str("boolean");
        break;
      case FD::TYPE_STRING:
        At(s, "type") = Str("string");
        break;
      case FD::TYPE_BYTES:
        At(s, "type") = Str("string");
        At(s, "format") = Str("byte");
        break;
      case FD::TYPE_ENUM: {
        At(s, "type") = Str("string");
        for (int i = 0; i < f.enum_type()->value_count(); ++i) {
          Push(At(s, "enum")) = Str(f.enum_type()->value(i)->name());
        }
        break;
      }
      case FD::TYPE_MESSAGE:
      case FD::TYPE_GROUP: {
        const pb::Descriptor& m = *f.message_type();
        if (m.file()->package() == "google.protobuf") return WellKnown(m);
        At(s, "$ref") = Str(SchemaRef(m));
        Schema(m);
        break;
      }
    }
    return s;
  }

  pb::Value FieldSchema(const FD& f) {
    if (f.is_map()) {
      pb::Value s;
      At(s, "type") = Str("object");
      At(s, "additionalProperties") = ScalarSchema(*f.message_type()->map_value());
      return s;
    }
    if (!f.is_repeated()) return ScalarSchema(f);
    pb::Value s;
    At(s, "type") = Str("array");
    At(s, "items") = ScalarSchema(f);
    return s;
  }

  // google.protobuf types in their JSON form.
  pb::Value WellKnown(const pb::Descriptor& m) {
    pb::Value s;
    const std::string& n = m.name();
    if (n == "Timestamp") {
      At(s, "type") = Str("string");
      At(s, "format") = Str("date-time");
    } else if (n == "Duration" || n == "FieldMask") {
      At(s, "type") = Str("string");
    } else if (absl::EndsWith(n, "Value") && n != "Value" && n != "ListValue") {
      return ScalarSchema(*m.FindFieldByName("value"));  // wrappers
    } else if (n == "Any") {
      At(s, "type") = Str("object");
      At(At(At(s, "properties"), "@type"), "type") = Str("string");
      At(s, "additionalProperties") = Bool(true);
    } else if (n == "Struct") {
      At(s, "type") = Str("object");
      At(s, "additionalProperties") = Bool(true);
    } else if (n == "ListValue") {
      At(s, "type") = Str("array");
      At(s, "items").mutable_struct_value();
    } else {
      s.mutable_struct_value();  // Value, Empty: any JSON
    }
    return s;
  }

  void Schema(const pb::Descriptor& m) {
    if (!done_.insert(m.full_name()).second) return;
    pb::Value s;
    At(s, "type") = Str("object");
    At(s, "properties").mutable_struct_value();
    for (int i = 0; i < m.field_count(); ++i) {
      const FD& f = *m.field(i);
      At(At(s, "properties"), f.json_name()) = FieldSchema(f);
    }
    At(At(At(doc_, "components"), "schemas"), m.full_name()) = s;
  }

  void ErrorSchema() {
    pb::Value s;
    At(s, "type") = Str("object");
    pb::Value& e = At(At(s, "properties"), "error");
    At(e, "type") = Str("object");
    pb::Value& p = At(e, "properties");
    At(At(p, "code"), "type") = Str("integer");
    At(At(p, "code"), "description") = Str("The HTTP status code.");
    At(At(p, "status"), "type") = Str("string");
    At(At(p, "status"), "description") = Str("The gRPC status code's name, e.g. NOT_FOUND.");
    At(At(p, "message"), "type") = Str("string");
    At(At(p, "details"), "type") = Str("array");
    pb::Value& item = At(At(p, "details"), "items");
    At(item, "type") = Str("object");
    At(At(At(item, "properties"), "@type"), "type") = Str("string");
    At(item, "additionalProperties") = Bool(true);
    At(At(At(item, "properties"), "@type"), "description") =
        Str("type.googleapis.com/collections_sidecar.v1.ErrorInfo, BadRequest or RetryInfo");
    At(At(At(doc_, "components"), "schemas"), "Error") = s;
  }

  pb::Value doc_;
  std::set<std::string> done_;
};

}  // namespace

std::string OpenApiPath(const PathTemplate& path) {
  std::string out;
  for (size_t i = 0; i < path.segments.size(); ++i) {
    const auto& s = path.segments[i];
    absl::StrAppend(&out, "/",
                    s.kind == PathTemplate::Segment::kLiteral
                        ? s.literal
                        : absl::StrCat("{", SegmentName(path, i), "}"));
  }
  if (!path.verb.empty()) absl::StrAppend(&out, ":", path.verb);
  return out;
}

std::string OpenApiDocument(const RouteTable& routes, const OpenApiInfo& info) {
  Writer w(info);
  std::map<std::string, int> seen;
  for (const Route& r : routes.routes()) {
    std::string id = absl::StrCat(r.method->service()->name(), "_", r.method->name());
    if (const int n = ++seen[id]; n > 1) absl::StrAppend(&id, "_", n);
    w.AddRoute(r, id);
  }
  return w.Text() + "\n";
}

}  // namespace collections::http
