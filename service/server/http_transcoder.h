// JSON over HTTP on collectionsd's HTTP port, for callers without gRPC (a
// PHP or JavaScript ERP module, a spreadsheet script). Generic: the routes
// are the google.api.http options of the services (service/http/
// http_rules.h), requests and responses proto3 JSON (request_json.h), and
// each call goes through an in-process gRPC channel to the very services
// that answer gRPC, so authentication (the bearer token in Authorization,
// the same scopes), tenancy, rate limits, worker-pool admission, logs,
// metrics and errors are theirs. mTLS identities do not reach this port:
// over HTTP a caller presents a token.
//
// Answers:
//   - 200 with the response message as JSON (lowerCamelCase names, default
//     values omitted, int64 as strings, enums by name);
//   - a server-streaming method (WatchEvents, StreamActions): 200 with
//     application/x-ndjson, one message per line while the stream lasts,
//     an empty line after 15 s without one (a keep-alive that finds clients
//     gone); an error after the first line arrives as a last line
//     {"error": ...};
//   - a client-streaming method (SyncLedger): one HTTP request is a stream
//     of exactly one message;
//   - an error: the HTTP code of the gRPC code (google/rpc/code.proto's
//     table: INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED
//     403, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409, FAILED_PRECONDITION
//     400, RESOURCE_EXHAUSTED 429, CANCELLED 499, UNIMPLEMENTED 501,
//     UNAVAILABLE 503, DEADLINE_EXCEEDED 504, others 500) and the body
//     {"error": {"code": <http>, "status": "<gRPC code name>", "message": ...,
//     "details": [ErrorInfo, BadRequest, RetryInfo as the gRPC trailer has
//     them, with "@type"]}}; RetryInfo also becomes Retry-After;
//   - GET /v1/openapi.json: the OpenAPI description (service/http/openapi.h),
//     without authentication: it describes the API, not a tenant's data.
#ifndef COLLECTIONS_SERVER_HTTP_TRANSCODER_H_
#define COLLECTIONS_SERVER_HTTP_TRANSCODER_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/http/http_rules.h"
#include "service/server/http_endpoint.h"

namespace collections::server {

inline constexpr char kOpenApiPath[] = "/v1/openapi.json";

class HttpTranscoder {
 public:
  // The routes of `service_names` (http::ApiServiceNames()), called on
  // `channel` (Server::InProcessChannel()). INVALID_ARGUMENT or NOT_FOUND
  // when an annotation is broken: the server should not start.
  static absl::StatusOr<std::unique_ptr<HttpTranscoder>> Create(
      std::shared_ptr<grpc::Channel> channel, const std::vector<std::string>& service_names);

  // The API handler for HttpEndpoint::Start. Thread-safe; blocks the
  // serving thread for the call (a stream: while it lasts).
  HttpResponse Handle(const HttpRequest& request);

  const http::RouteTable& routes() const { return routes_; }

  // Ends the open streams within about a second (their clients see the
  // chunked body end) and refuses new ones, so that the HTTP endpoint can
  // stop. Call before HttpEndpoint::Stop().
  void Stop() { stopping_ = true; }

 private:
  HttpTranscoder(std::shared_ptr<grpc::Channel> channel, http::RouteTable routes);
  HttpResponse Call(const http::Route& route, const HttpRequest& request,
                    const std::string& request_bytes);

  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  http::RouteTable routes_;
  std::string openapi_;
  std::atomic<int> open_streams_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_HTTP_TRANSCODER_H_
