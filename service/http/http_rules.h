// The HTTP routes of the API, read from the `google.api.http` options that
// the services carry in proto/ (google/api/http.proto defines the rule and
// its path template grammar). Both the transcoder on collectionsd's HTTP
// port and the OpenAPI generator take their routes from here, so a new RPC
// with an option is served and documented without code of its own.
//
// Supported template grammar (http.proto):
//   Template = "/" Segments [ ":" Verb ]
//   Segment  = "*" | "**" | LITERAL | "{" FieldPath [ "=" Segments ] "}"
// "**" only as the last segment. A verb is split off the last segment of a
// request path at its last ':'; resource ids of this API never contain ':'.
// Knows protobuf descriptors only: no gRPC, no HTTP server.
#ifndef COLLECTIONS_HTTP_HTTP_RULES_H_
#define COLLECTIONS_HTTP_HTTP_RULES_H_

#include <google/protobuf/descriptor.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::http {

// A dotted field path into a message ("parent", "profile.name"), resolved.
using FieldPath = std::vector<const google::protobuf::FieldDescriptor*>;

// "profile.name" from a resolved path (proto field names).
std::string FieldPathName(const FieldPath& path);

// Resolves a dotted path of proto names ("credit_note") or JSON names
// ("creditNote") in `message`; every step but the last must be a singular
// message field. NOT_FOUND names the step that does not exist.
absl::StatusOr<FieldPath> ResolveFieldPath(const google::protobuf::Descriptor& message,
                                           absl::string_view dotted);

struct PathTemplate {
  struct Segment {
    enum Kind { kLiteral, kOne /* "*" */, kRest /* "**" */ } kind = kLiteral;
    std::string literal;
  };
  // A variable covers segments [begin, end) and is bound to `field`.
  struct Variable {
    FieldPath field;
    size_t begin = 0;
    size_t end = 0;
  };
  std::vector<Segment> segments;
  std::vector<Variable> variables;
  std::string verb;  // without the ':'; empty when none

  // The template as written in the option ("/v1/{parent=tenants/*}/customers").
  std::string text;
};

// Parses `text` against the request message `request` (variables must name
// singular string fields). INVALID_ARGUMENT says what is wrong and where.
absl::StatusOr<PathTemplate> ParsePathTemplate(absl::string_view text,
                                               const google::protobuf::Descriptor& request);

// One binding of a method: an HTTP method and path, and where the body goes.
struct Route {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string http_method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  PathTemplate path;
  // Empty: no body. "*": the whole request. Otherwise the field it fills.
  std::string body;
  FieldPath body_field;  // resolved when `body` names a field
};

// The value of each path variable of a matched request.
using PathBindings = std::vector<std::pair<const FieldPath*, std::string>>;

class RouteTable {
 public:
  // Every binding (with additional_bindings) of every method of `services`
  // that has a google.api.http option; methods without one are skipped.
  // INVALID_ARGUMENT when an option is malformed or names a field the request
  // does not have, so a broken annotation stops start-up (and the build,
  // through the OpenAPI generator) instead of failing a call.
  static absl::StatusOr<RouteTable> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  const std::vector<Route>& routes() const { return routes_; }

  // The route for `http_method` and a decoded request path, with its
  // variables. When several match, the one with the most literal segments
  // wins (then the first declared). Null when none matches;
  // `*path_known` (when given) tells whether another HTTP method would have.
  const Route* Match(absl::string_view http_method, absl::string_view path, PathBindings* bindings,
                     bool* path_known = nullptr) const;

 private:
  std::vector<Route> routes_;
};

// The application services of this API in `pool` by full name, in the
// order given. NOT_FOUND names a missing one.
absl::StatusOr<std::vector<const google::protobuf::ServiceDescriptor*>> FindServices(
    const std::vector<std::string>& full_names,
    const google::protobuf::DescriptorPool* pool =
        google::protobuf::DescriptorPool::generated_pool());

}  // namespace collections::http

#endif  // COLLECTIONS_HTTP_HTTP_RULES_H_
