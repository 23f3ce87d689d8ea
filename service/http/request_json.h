// Between an HTTP request matched to a Route and the request message of its
// RPC, in proto3's JSON mapping (google.protobuf.util.JsonStringToMessage):
//   - the body fills the whole request (body "*") or one message field;
//   - each path variable sets its string field (after the body, so the path
//     wins over a body that names another resource);
//   - each query parameter sets the field it names, by proto name
//     ("page_size") or JSON name ("pageSize"), nested with '.' ("asOf.year");
//     repeated fields take the parameter once per value; enums take a value
//     name or number; well-known types (Timestamp, FieldMask, ...) their JSON
//     string form. A parameter naming a field that the path or the body
//     already sets, or no field at all, is refused.
// Knows protobuf only; every refusal is INVALID_ARGUMENT with a reason and
// the offending field or parameter, as the services' own errors are.
#ifndef COLLECTIONS_HTTP_REQUEST_JSON_H_
#define COLLECTIONS_HTTP_REQUEST_JSON_H_

#include <google/protobuf/message.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "service/http/http_rules.h"

namespace collections::http {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Fills `request` (of route.method->input_type()). On error the message is
// left partly filled: discard it.
absl::Status FillRequest(const Route& route, const PathBindings& bindings, const QueryParams& query,
                         const std::string& body, google::protobuf::Message& request);

// A response message as one line of JSON (lowerCamelCase names, fields at
// their default value omitted, enums by name, int64 as strings).
std::string ResponseJson(const google::protobuf::Message& response);

}  // namespace collections::http

#endif  // COLLECTIONS_HTTP_REQUEST_JSON_H_
