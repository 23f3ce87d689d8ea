// The request and response of collectionsd's HTTP port, as its handlers see
// them: plain values, no HTTP library. The server (service/server/
// http_endpoint.h) fills them from cpp-httplib and sends them back; the
// dashboard and the JSON-over-HTTP transcoder answer them. They live here,
// below both, so that the dashboard does not include the server that links it.
#ifndef COLLECTIONS_HTTP_HTTP_MESSAGE_H_
#define COLLECTIONS_HTTP_HTTP_MESSAGE_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace collections::http {

struct HttpRequest {
  std::string path;           // percent-decoded
  std::string authorization;  // the Authorization header, or empty
  // The parts captured by the route's pattern, the headers (names compared
  // case-insensitively by Header()) and, for POST, the body.
  std::vector<std::string> path_params;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // "GET", "POST", ...; the decoded query parameters in order (a repeated
  // name appears once per value).
  std::string method = {};
  std::vector<std::pair<std::string, std::string>> query = {};
  std::string remote_addr = {};  // the peer's IP address

  // The first header named `name` (any case), or empty.
  std::string Header(const std::string& name) const;
  // The first query parameter named `name`, or empty.
  std::string Query(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers = {};  // extra response headers
  // When set, the body is sent chunked instead: `stream` is called once on
  // the serving thread and writes until it returns. `write` returns false
  // once the client is gone; `alive` is false once the connection cannot
  // be written (a peer that closed it may show only on the next write).
  struct Sink {
    std::function<bool(const std::string&)> write;
    std::function<bool()> alive;
  };
  std::function<void(const Sink&)> stream = nullptr;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace collections::http

#endif  // COLLECTIONS_HTTP_HTTP_MESSAGE_H_
