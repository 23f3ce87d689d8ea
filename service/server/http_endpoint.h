// The HTTP side of collectionsd on a port of its own: operational endpoints
// today (/metrics, /healthz, /readyz), and the place for what later shares
// that port (a dashboard, JSON over HTTP, payment notifications).
//
// Served by cpp-httplib (Debian's libcpp-httplib-dev) with a fixed pool of
// threads, so connections are answered concurrently: an idle or slow peer
// holds one pool thread for at most the read timeout (2 s) and never stalls
// /healthz for the others. The port is exclusive (SO_REUSEADDR only, never
// SO_REUSEPORT). GET and POST handlers see the request's path, the parts
// captured by the route's pattern, the query parameters, every header and,
// for POST (payment notifications, the dashboard's forms), the body (at
// most 64 KiB; larger is 413). The API
// handler (JSON over HTTP, http_transcoder.h) takes every other request under
// /v1/ with any method, its query and a body of up to 4 MiB, and may answer
// with a stream.
#ifndef COLLECTIONS_SERVER_HTTP_ENDPOINT_H_
#define COLLECTIONS_SERVER_HTTP_ENDPOINT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "service/http/http_message.h"

namespace httplib {
class Server;
}

namespace collections::server {

// The handlers' request and response (service/http/http_message.h).
using http::HttpHandler;
using http::HttpRequest;
using http::HttpResponse;

class HttpEndpoint {
 public:
  // Binds `listen` ("127.0.0.1:9464", "[::1]:0", "0.0.0.0:9464") and starts
  // serving GET and HEAD of `handlers`, each keyed by an ECMAScript regular
  // expression matched against the whole path ("/metrics" is its own exact
  // path), 404 otherwise.
  // INVALID_ARGUMENT for a malformed address, FAILED_PRECONDITION when it
  // cannot be bound (in use, not an address of this host).
  // `post_handlers` are keyed by an ECMAScript regular expression matched
  // against the whole path, e.g. "/v1/tenants/([a-z0-9-]+)/paymentNotifications".
  // `api_handler`, when set, answers the requests under /v1/ that no other
  // handler takes.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(
      const std::string& listen, std::map<std::string, HttpHandler> handlers,
      std::map<std::string, HttpHandler> post_handlers = {}, HttpHandler api_handler = nullptr);
  ~HttpEndpoint();  // Stop()

  int port() const { return port_; }
  // Stops accepting, finishes the requests in progress. Idempotent.
  void Stop();

 private:
  HttpEndpoint();
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_HTTP_ENDPOINT_H_
