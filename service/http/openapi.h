// The OpenAPI 3.0 description of the JSON-over-HTTP API, derived from the
// RouteTable and the message descriptors alone: nothing in it is written by
// hand per method, so it cannot drift from what the transcoder serves. The
// build writes it to openapi.json (tools/openapi_main.cc); collectionsd
// serves the same text at GET /v1/openapi.json.
//
// Conventions, as the transcoder applies them (request_json.h):
//   - a path variable spanning "tenants/*/customers/*" becomes one path
//     parameter per '*', named after the collection before it (tenant,
//     customer), so that clients fill segments, not slashes;
//   - fields that the path and body do not set become query parameters,
//     nested message fields as "asOf.year";
//   - schemas use the proto3 JSON names (lowerCamelCase); 64-bit integers
//     are strings, enums their value names;
//   - a server-streaming method answers application/x-ndjson, one message
//     per line; every error answers the Error schema.
#ifndef COLLECTIONS_HTTP_OPENAPI_H_
#define COLLECTIONS_HTTP_OPENAPI_H_

#include <string>

#include "service/http/http_rules.h"

namespace collections::http {

struct OpenApiInfo {
  std::string title = "collections sidecar";
  std::string version = "v1";
};

// The document as indented JSON, deterministic for a given table.
std::string OpenApiDocument(const RouteTable& routes, const OpenApiInfo& info = {});

// The OpenAPI path of a template: "/v1/tenants/{tenant}/customers/{customer}"
// for "/v1/{name=tenants/*/customers/*}".
std::string OpenApiPath(const PathTemplate& path);

}  // namespace collections::http

#endif  // COLLECTIONS_HTTP_OPENAPI_H_
