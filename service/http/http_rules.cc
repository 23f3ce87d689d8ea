#include "service/http/http_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "service/base/status_macros.h"

namespace collections::http {

namespace pb = ::google::protobuf;
namespace {

const pb::FieldDescriptor* FindField(const pb::Descriptor& message, absl::string_view name) {
  const std::string n(name);
  if (const auto* f = message.FindFieldByName(n)) return f;
  for (int i = 0; i < message.field_count(); ++i) {
    if (message.field(i)->json_name() == n) return message.field(i);
  }
  return nullptr;
}

// Splits "a/b/{x=c/*}/d" on the '/' outside braces.
std::vector<std::string> SplitOutsideBraces(absl::string_view s) {
  std::vector<std::string> out(1);
  int depth = 0;
  for (char c : s) {
    if (c == '{') ++depth;
    if (c == '}') --depth;
    if (c == '/' && depth == 0) {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

absl::Status AddSegments(absl::string_view text, absl::string_view whole, PathTemplate& t) {
  for (absl::string_view s : absl::StrSplit(text, '/')) {
    PathTemplate::Segment seg;
    if (s == "*") {
      seg.kind = PathTemplate::Segment::kOne;
    } else if (s == "**") {
      seg.kind = PathTemplate::Segment::kRest;
    } else if (s.empty() || s.find_first_of("{}*:") != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad segment \"", s, "\" in path template \"", whole, "\""));
    } else {
      seg.literal = std::string(s);
    }
    t.segments.push_back(std::move(seg));
  }
  return absl::OkStatus();
}

void AddRoute(const pb::MethodDescriptor* method, const google::api::HttpRule& rule,
              std::vector<std::pair<std::string, std::string>>& out) {
  using R = google::api::HttpRule;
  switch (rule.pattern_case()) {
    case R::kGet:
      out.emplace_back("GET", rule.get());
      break;
    case R::kPost:
      out.emplace_back("POST", rule.post());
      break;
    case R::kPut:
      out.emplace_back("PUT", rule.put());
      break;
    case R::kPatch:
      out.emplace_back("PATCH", rule.patch());
      break;
    case R::kDelete:
      out.emplace_back("DELETE", rule.delete_());
      break;
    case R::kCustom:
      out.emplace_back(rule.custom().kind(), rule.custom().path());
      break;
    case R::PATTERN_NOT_SET:
      out.emplace_back("", "");
      break;
  }
}

absl::StatusOr<Route> MakeRoute(const pb::MethodDescriptor* method, std::string http_method,
                                absl::string_view path, const std::string& body) {
  const auto where = [&] { return absl::StrCat(method->full_name(), ": "); };
  if (http_method.empty() || path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where(), "google.api.http without a path"));
  }
  Route r;
  r.method = method;
  r.http_method = std::move(http_method);
  auto t = ParsePathTemplate(path, *method->input_type());
  if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat(where(), t.status().message()));
  r.path = *std::move(t);
  r.body = body;
  if (!body.empty() && body != "*") {
    auto f = ResolveFieldPath(*method->input_type(), body);
    if (!f.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "body: ", f.status().message()));
    }
    if (f->back()->is_repeated() || f->back()->message_type() == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "body \"", body, "\" must name a singular message field"));
    }
    r.body_field = *std::move(f);
  }
  return r;
}

int LiteralCount(const Route& r) {
  int n = r.path.verb.empty() ? 0 : 1;
  for (const auto& s : r.path.segments) n += s.kind == PathTemplate::Segment::kLiteral;
  return n;
}

// Matches `parts` (the request path's segments, verb split off) against `t`.
bool MatchTemplate(const PathTemplate& t, const std::vector<absl::string_view>& parts,
                   absl::string_view verb, PathBindings* bindings) {
  if (verb != t.verb) return false;
  // Index in `parts` where each template segment starts; "**" takes the rest.
  std::vector<size_t> start(t.segments.size() + 1);
  size_t p = 0;
  for (size_t i = 0; i < t.segments.size(); ++i) {
    start[i] = p;
    const auto& seg = t.segments[i];
    if (seg.kind == PathTemplate::Segment::kRest) {
      if (p >= parts.size()) return false;
      p = parts.size();
      continue;
    }
    if (p >= parts.size() || parts[p].empty()) return false;
    if (seg.kind == PathTemplate::Segment::kLiteral && parts[p] != seg.literal) return false;
    ++p;
  }
  start[t.segments.size()] = p;
  if (p != parts.size()) return false;
  if (bindings != nullptr) {
    bindings->clear();
    for (const auto& v : t.variables) {
      std::vector<absl::string_view> covered(parts.begin() + start[v.begin],
                                             parts.begin() + start[v.end]);
      bindings->emplace_back(&v.field, absl::StrJoin(covered, "/"));
    }
  }
  return true;
}

}  // namespace

std::string FieldPathName(const FieldPath& path) {
  return absl::StrJoin(
      path, ".", [](std::string* out, const pb::FieldDescriptor* f) { out->append(f->name()); });
}

absl::StatusOr<FieldPath> ResolveFieldPath(const pb::Descriptor& message,
                                           absl::string_view dotted) {
  FieldPath path;
  const pb::Descriptor* m = &message;
  for (absl::string_view step : absl::StrSplit(dotted, '.')) {
    if (m == nullptr) {
      return absl::NotFoundError(absl::StrCat("\"", dotted, "\": ", FieldPathName(path),
                                              " is not a singular message field"));
    }
    const pb::FieldDescriptor* f = FindField(*m, step);
    if (f == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("\"", dotted, "\": ", m->full_name(), " has no field \"", step, "\""));
    }
    path.push_back(f);
    m = f->is_repeated() || f->is_map() ? nullptr : f->message_type();
  }
  return path;
}

absl::StatusOr<PathTemplate> ParsePathTemplate(absl::string_view text,
                                               const pb::Descriptor& request) {
  PathTemplate t;
  t.text = std::string(text);
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("path template \"", text, "\": ", why));
  };
  if (text.empty() || text[0] != '/') return bad("must start with '/'");
  absl::string_view rest = text.substr(1);
  // The verb follows the last '}' or '/'.
  const size_t tail = rest.find_last_of("/}");
  const size_t colon = rest.find(':', tail == absl::string_view::npos ? 0 : tail);
  if (colon != absl::string_view::npos) {
    t.verb = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (t.verb.empty()) return bad("empty verb");
  }
  for (const std::string& part : SplitOutsideBraces(rest)) {
    if (part.empty()) return bad("empty segment");
    if (part.front() != '{') {
      RETURN_IF_ERROR(AddSegments(part, text, t));
      continue;
    }
    if (part.back() != '}') return bad("a variable must be a whole segment");
    const absl::string_view inner = absl::string_view(part).substr(1, part.size() - 2);
    const size_t eq = inner.find('=');
    const absl::string_view name = inner.substr(0, eq);
    auto field = ResolveFieldPath(request, name);
    if (!field.ok()) return bad(field.status().message());
    if (field->back()->is_repeated() || field->back()->type() != pb::FieldDescriptor::TYPE_STRING) {
      return bad(absl::StrCat("variable ", name, " must be a singular string field"));
    }
    PathTemplate::Variable v{*std::move(field), t.segments.size(), 0};
    RETURN_IF_ERROR(
        AddSegments(eq == absl::string_view::npos ? "*" : inner.substr(eq + 1), text, t));
    v.end = t.segments.size();
    t.variables.push_back(std::move(v));
  }
  for (size_t i = 0; i + 1 < t.segments.size(); ++i) {
    if (t.segments[i].kind == PathTemplate::Segment::kRest) return bad("\"**\" must be last");
  }
  return t;
}

absl::StatusOr<RouteTable> RouteTable::Build(
    const std::vector<const pb::ServiceDescriptor*>& services) {
  RouteTable table;
  for (const pb::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules{&rule};
      for (const auto& extra : rule.additional_bindings()) rules.push_back(&extra);
      for (const google::api::HttpRule* r : rules) {
        std::vector<std::pair<std::string, std::string>> verb_path;
        AddRoute(method, *r, verb_path);
        ASSIGN_OR_RETURN(Route route,
                         MakeRoute(method, verb_path[0].first, verb_path[0].second, r->body()));
        table.routes_.push_back(std::move(route));
      }
    }
  }
  return table;
}

const Route* RouteTable::Match(absl::string_view http_method, absl::string_view path,
                               PathBindings* bindings, bool* path_known) const {
  if (path_known != nullptr) *path_known = false;
  if (path.empty() || path[0] != '/') return nullptr;
  std::vector<absl::string_view> parts = absl::StrSplit(path.substr(1), '/');
  absl::string_view verb;
  if (const size_t colon = parts.back().rfind(':'); colon != absl::string_view::npos) {
    verb = parts.back().substr(colon + 1);
    parts.back() = parts.back().substr(0, colon);
  }
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!MatchTemplate(r.path, parts, verb, nullptr)) continue;
    if (path_known != nullptr) *path_known = true;
    if (r.http_method != http_method) continue;
    if (best == nullptr || LiteralCount(r) > LiteralCount(*best)) best = &r;
  }
  if (best != nullptr && bindings != nullptr) MatchTemplate(best->path, parts, verb, bindings);
  return best;
}

absl::StatusOr<std::vector<const pb::ServiceDescriptor*>> FindServices(
    const std::vector<std::string>& full_names, const pb::DescriptorPool* pool) {
  std::vector<const pb::ServiceDescriptor*> out;
  for (const std::string& name : full_names) {
    const pb::ServiceDescriptor* s = pool->FindServiceByName(name);
    if (s == nullptr) return absl::NotFoundError(absl::StrCat("no service ", name));
    out.push_back(s);
  }
  return out;
}

}  // namespace collections::http
