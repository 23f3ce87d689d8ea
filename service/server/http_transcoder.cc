#include "service/server/http_transcoder.h"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "service/base/errors.h"
#include "service/base/json_text.h"
#include "service/grpc_status/status_convert.h"
#include "service/http/openapi.h"
#include "service/http/request_json.h"

namespace collections::server {

namespace pb = ::google::protobuf;
namespace {

constexpr char kJson[] = "application/json";
constexpr char kNdjson[] = "application/x-ndjson";
// Unary calls end by then at the latest (RunCollections on a large ledger
// takes seconds); streams have no deadline.
constexpr absl::Duration kUnaryDeadline = absl::Seconds(120);
// Streams hold an HTTP thread each (HttpEndpoint has 8): at most half of
// them, so that /healthz and unary calls are always answered.
constexpr int kMaxOpenStreams = 4;
// How long a stream may wait for its first message before the 200 is sent
// anyway; and how often an idle stream checks that its client is still there.
constexpr absl::Duration kFirstMessageWait = absl::Seconds(1);
constexpr absl::Duration kIdleCheck = absl::Seconds(1);
// An idle stream writes an empty line this often: a closed socket is only
// noticed by a write, and a client that went away must free its slot.
constexpr absl::Duration kKeepAlive = absl::Seconds(15);
// Request metadata passed on to the service, from the HTTP headers.
constexpr const char* kForwardedHeaders[] = {"authorization", "x-request-id",
                                             "x-collections-actor"};

// google/rpc/code.proto: the HTTP mapping of each code.
int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:
      return 500;  // UNKNOWN, INTERNAL, DATA_LOSS
  }
}

// The error object of `status` as one line, and the Retry-After seconds its
// RetryInfo asks for (0 when none).
std::string ErrorJson(const grpc::Status& status, int64_t* retry_after = nullptr) {
  google::rpc::Status details;
  std::vector<std::string> parts;
  if (details.ParseFromString(status.error_details())) {
    for (const pb::Any& any : details.details()) {
      std::string json;
      if (pb::util::MessageToJsonString(any, &json).ok()) parts.push_back(std::move(json));
      google::rpc::RetryInfo retry;
      if (retry_after != nullptr && any.UnpackTo(&retry)) {
        *retry_after = retry.retry_delay().seconds() + (retry.retry_delay().nanos() > 0 ? 1 : 0);
      }
    }
  }
  return absl::StrCat("{\"error\":{\"code\":", HttpStatusOf(status.error_code()), ",\"status\":\"",
                      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                      "\",\"message\":\"", base::JsonEscape(status.error_message()),
                      "\",\"details\":[", absl::StrJoin(parts, ","), "]}}");
}

HttpResponse ErrorResponse(const grpc::Status& status) {
  int64_t retry_after = 0;
  HttpResponse out{
      HttpStatusOf(status.error_code()), kJson, ErrorJson(status, &retry_after) + "\n", {}, {}};
  if (retry_after > 0) out.headers["Retry-After"] = absl::StrCat(retry_after);
  return out;
}

HttpResponse ErrorResponse(const absl::Status& status) {
  return ErrorResponse(grpc_status::ToGrpcStatus(status));
}

std::string ToBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// One call through the generic stub: writes the request and half-closes,
// then hands out the responses one at a time; the next read starts only
// when the previous message was taken, so a slow HTTP client slows the
// stream down instead of buffering it.
//
// That next read starts outside any reaction (in Wait), so the call holds
// gRPC's hold from before StartCall until it will start no more reads (the
// stream ended, or the call is being destroyed): without the hold, gRPC may
// finish the call (OnDone) and free the stream between a read's completion
// and the next StartRead, which then calls into freed memory.
class InProcessCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  enum class Next { kMessage, kEnd, kTimeout };

  InProcessCall(grpc::GenericStub& stub, const std::string& method, const HttpRequest& http,
                const std::string& request_bytes, bool unary) {
    for (const char* name : kForwardedHeaders) {
      const std::string value = http.Header(name);
      if (!value.empty()) ctx_.AddMetadata(name, value);
    }
    // Without credentials (--auth=none) the audit log's actor would be the
    // in-process channel's nameless peer; name the HTTP peer instead.
    if (http.Header("x-collections-actor").empty()) {
      ctx_.AddMetadata("x-collections-actor", absl::StrCat("http:", http.remote_addr));
    }
    if (unary) ctx_.set_deadline(absl::ToChronoTime(absl::Now() + kUnaryDeadline));
    grpc::Slice slice(request_bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    stub.PrepareBidiStreamingCall(&ctx_, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    AddHold();
    StartCall();
  }

  ~InProcessCall() override {
    Cancel();
    ReleaseHold();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

  // The next message into *out, the end of the call, or nothing yet.
  Next Wait(std::string* out, absl::Duration timeout) {
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]()
                             ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return has_message_ || done_; };
      if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) return Next::kTimeout;
      if (!has_message_) return Next::kEnd;
      has_message_ = false;
      *out = ToBytes(response_);
    }
    StartRead(&response_);
    return Next::kMessage;
  }

  // After Wait() said kEnd.
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  std::string request_id() {
    absl::MutexLock lock(&mu_);
    return request_id_;
  }

  void Cancel() { ctx_.TryCancel(); }

  void OnReadInitialMetadataDone(bool ok) override {
    if (!ok) return;
    absl::MutexLock lock(&mu_);
    const auto& md = ctx_.GetServerInitialMetadata();
    if (auto it = md.find("x-request-id"); it != md.end()) {
      request_id_.assign(it->second.data(), it->second.size());
    }
  }
  void OnReadDone(bool ok) override {
    if (!ok) {  // No more messages: no more reads, and OnDone follows.
      ReleaseHold();
      return;
    }
    absl::MutexLock lock(&mu_);
    has_message_ = true;
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  }

 private:
  // Once: RemoveHold may run OnDone at once, which takes mu_.
  void ReleaseHold() {
    bool release = false;
    {
      absl::MutexLock lock(&mu_);
      std::swap(release, holding_);
    }
    if (release) RemoveHold();
  }

  grpc::ClientContext ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  absl::Mutex mu_;
  bool has_message_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool holding_ ABSL_GUARDED_BY(mu_) = true;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::string request_id_ ABSL_GUARDED_BY(mu_);
};

// The response message of `method` from its bytes, as one JSON line.
std::string JsonLine(const pb::MethodDescriptor& method, const std::string& bytes) {
  std::unique_ptr<pb::Message> m(
      pb::MessageFactory::generated_factory()->GetPrototype(method.output_type())->New());
  (void)m->ParseFromString(bytes);
  return http::ResponseJson(*m) + "\n";
}

}  // namespace

HttpTranscoder::HttpTranscoder(std::shared_ptr<grpc::Channel> channel, http::RouteTable routes)
    : channel_(channel), stub_(channel), routes_(std::move(routes)) {
  openapi_ = http::OpenApiDocument(routes_);
}

absl::StatusOr<std::unique_ptr<HttpTranscoder>> HttpTranscoder::Create(
    std::shared_ptr<grpc::Channel> channel, const std::vector<std::string>& service_names) {
  auto services = http::FindServices(service_names);
  if (!services.ok()) return services.status();
  auto routes = http::RouteTable::Build(*services);
  if (!routes.ok()) return routes.status();
  return std::unique_ptr<HttpTranscoder>(
      new HttpTranscoder(std::move(channel), *std::move(routes)));
}

HttpResponse HttpTranscoder::Handle(const HttpRequest& request) {
  if (request.path == kOpenApiPath && request.method == "GET") {
    return HttpResponse{200, kJson, openapi_, {}, {}};
  }
  http::PathBindings bindings;
  bool path_known = false;
  const http::Route* route = routes_.Match(request.method, request.path, &bindings, &path_known);
  if (route == nullptr) {
    if (path_known) {
      HttpResponse out = ErrorResponse(
          domain::WithReason(absl::UnimplementedError(absl::StrCat(
                                 request.method, " is not a method of ", request.path)),
                             "HTTP_METHOD_NOT_ALLOWED"));
      out.status = 405;
      return out;
    }
    return ErrorResponse(domain::NotFoundError(
        "HTTP_ROUTE_NOT_FOUND", absl::StrCat("no API method at ", request.method, " ", request.path,
                                             " (the routes are listed in ", kOpenApiPath, ")")));
  }
  std::unique_ptr<pb::Message> message(
      pb::MessageFactory::generated_factory()->GetPrototype(route->method->input_type())->New());
  if (absl::Status st = http::FillRequest(*route, bindings, request.query, request.body, *message);
      !st.ok()) {
    return ErrorResponse(st);
  }
  return Call(*route, request, message->SerializeAsString());
}

HttpResponse HttpTranscoder::Call(const http::Route& route, const HttpRequest& request,
                                  const std::string& request_bytes) {
  const pb::MethodDescriptor& method = *route.method;
  const std::string path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  const bool streaming = method.server_streaming();
  // Holds one of kMaxOpenStreams while a stream is open: released when the
  // endpoint drops the response (the stream ended or never started).
  std::shared_ptr<void> slot;
  if (streaming) {
    if (open_streams_.fetch_add(1) >= kMaxOpenStreams || stopping_) {
      --open_streams_;
      return ErrorResponse(domain::WithRetryDelay(
          domain::WithReason(
              absl::ResourceExhaustedError(absl::StrCat(
                  "at most ", kMaxOpenStreams, " streams over HTTP at once; use gRPC for more")),
              "HTTP_STREAMS_EXHAUSTED"),
          absl::Seconds(5)));
    }
    slot = std::shared_ptr<void>(nullptr, [this](void*) { --open_streams_; });
  }
  auto call = std::make_shared<InProcessCall>(stub_, path, request, request_bytes, !streaming);
  std::string first;
  const auto next = call->Wait(&first, streaming ? kFirstMessageWait : absl::InfiniteDuration());
  HttpResponse out;
  if (next == InProcessCall::Next::kEnd && !call->status().ok()) {
    out = ErrorResponse(call->status());
  } else if (!streaming) {
    // A unary answer is its one message; an OK without one cannot happen.
    out = HttpResponse{200, kJson, JsonLine(method, first), {}, {}};
    (void)call->Wait(&first, absl::InfiniteDuration());
  } else {
    out.content_type = kNdjson;
    std::optional<std::string> pending;
    if (next == InProcessCall::Next::kMessage) pending = std::move(first);
    out.stream = [this, slot, call, m = &method, pending](const HttpResponse::Sink& sink) {
      if (pending && !sink.write(JsonLine(*m, *pending))) return;
      std::string bytes;
      absl::Time last_write = absl::Now();
      for (;;) {
        switch (call->Wait(&bytes, kIdleCheck)) {
          case InProcessCall::Next::kTimeout:
            if (!sink.alive() || stopping_) return;
            if (absl::Now() - last_write >= kKeepAlive) {
              if (!sink.write("\n")) return;
              last_write = absl::Now();
            }
            break;
          case InProcessCall::Next::kMessage:
            if (!sink.write(JsonLine(*m, bytes)) || stopping_) return;
            last_write = absl::Now();
            break;
          case InProcessCall::Next::kEnd:
            if (!call->status().ok()) sink.write(ErrorJson(call->status()) + "\n");
            return;
        }
      }
    };
  }
  if (const std::string id = call->request_id(); !id.empty()) out.headers["X-Request-Id"] = id;
  return out;
}

}  // namespace collections::server
