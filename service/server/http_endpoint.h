// A minimal HTTP/1.1 responder for operational endpoints (/metrics,
// /healthz, /readyz) on a port of its own, bound to 127.0.0.1 by default.
// One thread accepts and answers connections one at a time with
// "Connection: close": scrapes and probes are a few requests a minute, and a
// slow peer is cut off by a 5-second socket timeout, so no HTTP library is
// needed. Only GET and HEAD are answered; anything else gets 405.
#ifndef COLLECTIONS_SERVER_HTTP_ENDPOINT_H_
#define COLLECTIONS_SERVER_HTTP_ENDPOINT_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace collections::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse()>;

class HttpEndpoint {
 public:
  // Binds `listen` ("127.0.0.1:9464", "[::1]:0", "0.0.0.0:9464") and starts
  // serving `handlers` by exact path (the query string is ignored).
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(
      const std::string& listen, std::map<std::string, HttpHandler> handlers);
  ~HttpEndpoint();  // Stop()

  int port() const { return port_; }
  // Stops accepting and joins the thread. Idempotent.
  void Stop();

 private:
  HttpEndpoint() = default;
  void Loop();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::map<std::string, HttpHandler> handlers_;
  std::thread thread_;
};

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_HTTP_ENDPOINT_H_
