#include "service/server/http_endpoint.h"

#include <httplib.h>
#include <sys/socket.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace collections::server {
namespace {

// Threads answering requests; one per connection being read or answered.
constexpr int kThreads = 8;
constexpr int kReadTimeoutSeconds = 2;
constexpr int kKeepAliveSeconds = 2;
// Notification bodies are small JSON documents (a payment notification is
// ~300 bytes); API bodies may carry a ledger chunk or a policy.
constexpr size_t kMaxBodyBytes = 64 << 10;
constexpr size_t kMaxApiBodyBytes = 4 << 20;

HttpRequest FromLibrary(const httplib::Request& req) {
  HttpRequest in{req.path, req.get_header_value("Authorization"), {}, {}, req.body};
  for (size_t i = 1; i < req.matches.size(); ++i) in.path_params.push_back(req.matches[i]);
  for (const auto& [k, v] : req.headers) in.headers.emplace_back(k, v);
  in.method = req.method == "HEAD" ? "GET" : req.method;
  for (const auto& [k, v] : req.params) in.query.emplace_back(k, v);
  in.remote_addr = req.remote_addr;
  return in;
}

void Answer(const HttpResponse& out, httplib::Response& res) {
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k, v);
  if (!out.stream) {
    res.set_content(out.body, out.content_type);
    return;
  }
  res.set_chunked_content_provider(
      out.content_type, [stream = out.stream](size_t, httplib::DataSink& sink) {
        HttpResponse::Sink s{
            [&sink](const std::string& chunk) { return sink.write(chunk.data(), chunk.size()); },
            [&sink] { return !sink.is_writable || sink.is_writable(); }};
        stream(s);
        sink.done();
        return true;
      });
}

}  // namespace

HttpEndpoint::HttpEndpoint() : server_(std::make_unique<httplib::Server>()) {}

HttpEndpoint::~HttpEndpoint() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(
    const std::string& listen, std::map<std::string, HttpHandler> handlers,
    std::map<std::string, HttpHandler> post_handlers, HttpHandler api_handler) {
  // host:port, with [v6] brackets.
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen needs host:port, not \"", listen, "\""));
  }
  std::string host = listen.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]"))
    host = host.substr(1, host.size() - 2);

  std::unique_ptr<HttpEndpoint> e(new HttpEndpoint());
  httplib::Server& s = *e->server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  s.set_read_timeout(kReadTimeoutSeconds, 0);
  s.set_keep_alive_timeout(kKeepAliveSeconds);
  // The library's default adds SO_REUSEPORT, which would let a second
  // process share the port.
  s.set_socket_options([](int fd) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  for (auto& [pattern, handler] : handlers) {
    s.Get(pattern,
          [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
            Answer(handler(FromLibrary(req)), res);
          });
  }
  s.set_payload_max_length(api_handler ? kMaxApiBodyBytes : kMaxBodyBytes);
  for (auto& [pattern, handler] : post_handlers) {
    s.Post(pattern,
           [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
             if (req.body.size() > kMaxBodyBytes) {
               res.status = 413;
               return;
             }
             Answer(handler(FromLibrary(req)), res);
           });
  }
  if (api_handler) {
    auto api = [handler = std::move(api_handler)](const httplib::Request& req,
                                                  httplib::Response& res) {
      Answer(handler(FromLibrary(req)), res);
    };
    const char* kApiPattern = "/v1/.*";
    s.Get(kApiPattern, api);
    s.Post(kApiPattern, api);
    s.Put(kApiPattern, api);
    s.Patch(kApiPattern, api);
    s.Delete(kApiPattern, api);
  }
  const bool bound =
      port == 0 ? (e->port_ = s.bind_to_any_port(host)) > 0 : s.bind_to_port(host, port);
  if (!bound) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot listen on ", listen, " for HTTP (address in use, or not an address of this host)"));
  }
  if (port != 0) e->port_ = port;
  e->thread_ = std::thread([raw = e->server_.get()] { raw->listen_after_bind(); });
  return e;
}

void HttpEndpoint::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace collections::server
