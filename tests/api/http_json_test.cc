// JSON over HTTP against collectionsd's real HTTP port:
// every method the gRPC server registers is reachable through its
// google.api.http route and answers as gRPC does (status, reason, field
// violations) for the owner's token, another tenant's and none; the
// transcoder's own refusals; a write through HTTP read back through gRPC;
// a stream as NDJSON; the OpenAPI description served equals the build's.
// The methods are iterated from the descriptors, so a new RPC is covered
// without touching this file.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "service/http/api_services.h"
#include "service/http/openapi.h"
#include "service/http/request_json.h"
#include "tests/api/prod_support.h"

namespace collections::testing {
namespace {

namespace pb = ::google::protobuf;
namespace v1 = ::collections_sidecar::v1;
using auth::Scope;

// google/rpc/code.proto's HTTP mapping, as data.
int ExpectedHttpStatus(grpc::StatusCode code) {
  static const std::map<grpc::StatusCode, int> kTable = {
      {grpc::OK, 200},
      {grpc::CANCELLED, 499},
      {grpc::UNKNOWN, 500},
      {grpc::INVALID_ARGUMENT, 400},
      {grpc::DEADLINE_EXCEEDED, 504},
      {grpc::NOT_FOUND, 404},
      {grpc::ALREADY_EXISTS, 409},
      {grpc::PERMISSION_DENIED, 403},
      {grpc::UNAUTHENTICATED, 401},
      {grpc::RESOURCE_EXHAUSTED, 429},
      {grpc::FAILED_PRECONDITION, 400},
      {grpc::ABORTED, 409},
      {grpc::OUT_OF_RANGE, 400},
      {grpc::UNIMPLEMENTED, 501},
      {grpc::INTERNAL, 500},
      {grpc::UNAVAILABLE, 503},
      {grpc::DATA_LOSS, 500},
  };
  return kTable.at(code);
}

// ------------------------------------------------------------ gRPC side

// The gRPC answer to one request: the first response message (streams are
// cancelled after it) or the status.
struct GrpcAnswer {
  grpc::Status status;
  bool got_message = false;
};

class OneCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  OneCall(grpc::GenericStub& stub, const std::string& method, const std::string& bytes,
          const std::string& token) {
    if (!token.empty()) ctx_.AddMetadata("authorization", "Bearer " + token);
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    stub.PrepareBidiStreamingCall(&ctx_, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  GrpcAnswer Await() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(&done_));
    return answer_;
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    {
      absl::MutexLock l(&mu_);
      answer_.got_message = true;
    }
    ctx_.TryCancel();  // one message is enough
  }
  void OnDone(const grpc::Status& s) override {
    absl::MutexLock l(&mu_);
    if (!answer_.got_message) answer_.status = s;
    done_ = true;
  }

 private:
  grpc::ClientContext ctx_;
  grpc::ByteBuffer request_, response_;
  absl::Mutex mu_;
  bool done_ = false;
  GrpcAnswer answer_;
};

// ------------------------------------------------------------ HTTP side

struct HttpAnswer {
  int status = 0;
  std::string body;  // for a stream, up to the first line
  std::string content_type;
};

HttpAnswer Send(int port, const std::string& method, const std::string& target,
                const std::string& body, const std::string& token) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  httplib::Request req;
  req.method = method;
  req.path = target;
  if (!token.empty()) req.headers.emplace("Authorization", "Bearer " + token);
  if (!body.empty()) {
    req.body = body;
    req.headers.emplace("Content-Type", "application/json");
  }
  HttpAnswer out;
  // Read up to the first newline, then stop: a WatchEvents stream never ends.
  req.content_receiver = [&out](const char* data, size_t n, uint64_t, uint64_t) {
    out.body.append(data, n);
    return out.body.find('\n') == std::string::npos;
  };
  req.response_handler = [&out](const httplib::Response& r) {
    out.status = r.status;
    out.content_type = r.get_header_value("Content-Type");
    return true;
  };
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  client.send(req, res, error);
  if (out.status == 0)
    ADD_FAILURE() << method << " " << target << ": " << httplib::to_string(error);
  return out;
}

pb::Struct ParseObject(const std::string& json) {
  pb::Struct s;
  const auto st = pb::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(st.ok()) << st << " in " << json;
  return s;
}

// "reason=... fields=a,b" of an HTTP error body / of a gRPC status.
std::string DetailsOf(const pb::Struct& error_body) {
  std::vector<std::string> parts;
  const auto& err = error_body.fields().at("error").struct_value();
  if (!err.fields().contains("details")) return "";
  for (const auto& d : err.fields().at("details").list_value().values()) {
    const auto& f = d.struct_value().fields();
    if (f.contains("reason")) parts.push_back("reason=" + f.at("reason").string_value());
    if (f.contains("fieldViolations")) {
      for (const auto& v : f.at("fieldViolations").list_value().values()) {
        parts.push_back("field=" + v.struct_value().fields().at("field").string_value());
      }
    }
  }
  return absl::StrJoin(parts, " ");
}
std::string DetailsOf(const grpc::Status& s) {
  std::vector<std::string> parts;
  google::rpc::Status details;
  if (!details.ParseFromString(s.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&info)) parts.push_back("reason=" + info.reason());
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) parts.push_back("field=" + v.field());
    }
  }
  return absl::StrJoin(parts, " ");
}

class HttpJsonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RecordRegisteredServices(); }

  void SetUp() override {
    srv_.production_options().auth = "tokens";
    srv_.production_options().http_listen = "127.0.0.1:0";
    ASSERT_TRUE(srv_.Start().ok());
    port_ = srv_.production().http_port();
    acme_ = srv_.Token("acme", Scope::kAdmin);
    acme_read_ = srv_.Token("acme", Scope::kRead);
    beta_ = srv_.Token("beta", Scope::kAdmin);
    // One customer, so that customer-level methods find something.
    auto stub = v1::LedgerService::NewStub(srv_.channel());
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/acme");
    req.mutable_customer()->set_name("tenants/acme/customers/c-1");
    req.mutable_customer()->mutable_external_ref()->set_source_system("erp");
    req.mutable_customer()->mutable_external_ref()->set_id("C-1");
    req.mutable_customer()->set_display_name("Northwind");
    req.mutable_customer()->set_kind(v1::CUSTOMER_KIND_BUSINESS);
    v1::Customer c;
    ASSERT_TRUE(stub->UpsertCustomer(Ctx(acme_).get(), req, &c).ok());
    ASSERT_EQ(c.name(), "tenants/acme/customers/c-1");
  }

  ProdServer srv_;
  int port_ = 0;
  std::string acme_, acme_read_, beta_;
};

// The concrete URL of a route: tenants/* is acme, the customer c-1, every
// other '*' segment x-1.
std::string UrlOf(const http::Route& r) {
  std::string url;
  for (size_t i = 0; i < r.path.segments.size(); ++i) {
    const auto& s = r.path.segments[i];
    const std::string prev = i > 0 ? r.path.segments[i - 1].literal : "";
    std::string v = s.literal;
    if (s.kind != http::PathTemplate::Segment::kLiteral) {
      v = prev == "tenants" ? "acme" : prev == "customers" ? "c-1" : "x-1";
    }
    absl::StrAppend(&url, "/", v);
  }
  if (!r.path.verb.empty()) absl::StrAppend(&url, ":", r.path.verb);
  return url;
}

TEST_F(HttpJsonTest, RoutesCoverEveryRegisteredService) {
  std::set<std::string> ours;
  for (const std::string& s : RegisteredServices()) {
    if (absl::StartsWith(s, "collections_sidecar.")) ours.insert(s);
  }
  const auto& names = http::ApiServiceNames();
  EXPECT_EQ(ours, std::set<std::string>(names.begin(), names.end()));
  auto services = http::FindServices(names);
  ASSERT_TRUE(services.ok());
  auto routes = http::RouteTable::Build(*services);
  ASSERT_TRUE(routes.ok()) << routes.status();
  std::set<const pb::MethodDescriptor*> routed;
  for (const auto& r : routes->routes()) routed.insert(r.method);
  for (const auto* s : *services) {
    for (int i = 0; i < s->method_count(); ++i) {
      EXPECT_TRUE(routed.count(s->method(i))) << s->method(i)->full_name() << " has no route";
    }
  }
}

// Every route, with the owner's admin token, another tenant's admin token
// and no token: the HTTP answer is the gRPC answer to the same request.
TEST_F(HttpJsonTest, EveryMethodAnswersAsGrpcDoes) {
  auto services = http::FindServices(http::ApiServiceNames());
  ASSERT_TRUE(services.ok());
  auto routes = http::RouteTable::Build(*services);
  ASSERT_TRUE(routes.ok());
  grpc::GenericStub stub(srv_.channel());
  int calls = 0;
  for (const http::Route& r : routes->routes()) {
    const std::string url = UrlOf(r);
    // Each route is the one its URL reaches (no other shadows it), and the
    // request gRPC gets is what the transcoder builds from that URL.
    http::PathBindings bindings;
    ASSERT_EQ(routes->Match(r.http_method, url, &bindings), &r) << url;
    const std::string body = r.body.empty() ? "" : "{}";
    std::unique_ptr<pb::Message> request(
        pb::MessageFactory::generated_factory()->GetPrototype(r.method->input_type())->New());
    ASSERT_TRUE(http::FillRequest(r, bindings, {}, body, *request).ok());
    const std::string grpc_method =
        absl::StrCat("/", r.method->service()->full_name(), "/", r.method->name());
    for (const std::string& token : {acme_, beta_, std::string()}) {
      SCOPED_TRACE(absl::StrCat(r.http_method, " ", url, " token=",
                                token == acme_   ? "acme"
                                : token == beta_ ? "beta"
                                                 : "none"));
      OneCall call(stub, grpc_method, request->SerializeAsString(), token);
      const GrpcAnswer g = call.Await();
      const HttpAnswer h = Send(port_, r.http_method, url, body, token);
      ++calls;
      if (g.got_message) {
        EXPECT_EQ(h.status, 200) << h.body;
        if (r.method->server_streaming()) {
          EXPECT_EQ(h.content_type, "application/x-ndjson");
        } else {
          EXPECT_EQ(h.content_type, "application/json");
        }
        // The body (a stream's first line) is the response message's JSON.
        std::unique_ptr<pb::Message> response(
            pb::MessageFactory::generated_factory()->GetPrototype(r.method->output_type())->New());
        EXPECT_TRUE(
            pb::util::JsonStringToMessage(h.body.substr(0, h.body.find('\n')), response.get()).ok())
            << h.body;
        continue;
      }
      if (g.status.ok() && r.method->server_streaming()) {
        // A stream that ended without a message: 200 and no line.
        EXPECT_EQ(h.status, 200) << h.body;
        continue;
      }
      EXPECT_EQ(h.status, ExpectedHttpStatus(g.status.error_code()))
          << h.body << " vs gRPC " << g.status.error_code() << " " << g.status.error_message();
      const pb::Struct err = ParseObject(h.body);
      ASSERT_TRUE(err.fields().contains("error")) << h.body;
      const auto& e = err.fields().at("error").struct_value().fields();
      EXPECT_EQ(e.at("code").number_value(), h.status);
      EXPECT_EQ(e.at("status").string_value(),
                absl::StatusCodeToString(static_cast<absl::StatusCode>(g.status.error_code())));
      EXPECT_EQ(DetailsOf(err), DetailsOf(g.status));
      if (g.status.error_code() != grpc::INTERNAL) {
        EXPECT_EQ(e.at("message").string_value(), g.status.error_message());
      }
    }
  }
  EXPECT_GE(calls, 3 * 63);
}

TEST_F(HttpJsonTest, WriteThroughHttpIsReadThroughGrpc) {
  // snake_case and lowerCamelCase input are both accepted.
  const HttpAnswer created = Send(port_, "POST", "/v1/tenants/acme/customers?requestId=r-1",
                                  R"({"external_ref": {"sourceSystem": "erp", "id": "C-2"},
                                      "displayName": "Contoso", "kind": "CUSTOMER_KIND_BUSINESS",
                                      "timeZone": "Europe/Berlin"})",
                                  acme_);
  ASSERT_EQ(created.status, 200) << created.body;
  v1::Customer c;
  ASSERT_TRUE(pb::util::JsonStringToMessage(created.body, &c).ok()) << created.body;
  // Output uses lowerCamelCase.
  EXPECT_TRUE(absl::StrContains(created.body, "\"displayName\":\"Contoso\"")) << created.body;

  auto stub = v1::LedgerService::NewStub(srv_.channel());
  v1::GetCustomerRequest get;
  get.set_name(c.name());
  v1::Customer read;
  ASSERT_TRUE(stub->GetCustomer(Ctx(acme_read_).get(), get, &read).ok());
  EXPECT_EQ(read.display_name(), "Contoso");
  EXPECT_EQ(read.time_zone(), "Europe/Berlin");

  // And back through HTTP, with query parameters on a list.
  const HttpAnswer list =
      Send(port_, "GET", "/v1/tenants/acme/customers?pageSize=1", "", acme_read_);
  ASSERT_EQ(list.status, 200) << list.body;
  v1::ListCustomersResponse page;
  ASSERT_TRUE(pb::util::JsonStringToMessage(list.body, &page).ok());
  EXPECT_EQ(page.customers_size(), 1);
  EXPECT_FALSE(page.next_page_token().empty());
}

// A server stream as NDJSON: one OutboxAction per line, the lines gRPC's
// StreamActions gives, then the end of the body.
TEST_F(HttpJsonTest, StreamsAreNewlineDelimitedJson) {
  const HttpAnswer invoice = Send(port_, "POST", "/v1/tenants/acme/customers/c-1/invoices",
                                  R"({"externalRef": {"sourceSystem": "erp", "id": "I-1"},
                                      "number": "I-1", "currencyCode": "EUR",
                                      "issueDate": {"year": 2026, "month": 8, "day": 1},
                                      "dueDate": {"year": 2026, "month": 9, "day": 1},
                                      "total": {"currencyCode": "EUR", "minorUnits": 50000}})",
                                  acme_);
  ASSERT_EQ(invoice.status, 200) << invoice.body;
  const HttpAnswer run = Send(port_, "POST", "/v1/tenants/acme:runCollections",
                              R"({"asOf": {"year": 2026, "month": 11, "day": 20}})", acme_);
  ASSERT_EQ(run.status, 200) << run.body;

  httplib::Client client("127.0.0.1", port_);
  auto res =
      client.Get("/v1/tenants/acme/outboxActions:stream", {{"Authorization", "Bearer " + acme_}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/x-ndjson");
  std::vector<std::string> lines = absl::StrSplit(res->body, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty()) << res->body;
  EXPECT_TRUE(absl::EndsWith(res->body, "\n"));

  auto stub = v1::RecoveryService::NewStub(srv_.channel());
  v1::StreamActionsRequest req;
  req.set_parent("tenants/acme");
  auto ctx = Ctx(acme_);
  auto reader = stub->StreamActions(ctx.get(), req);
  std::vector<std::string> names;
  for (v1::OutboxAction a; reader->Read(&a);) names.push_back(a.name());
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(lines.size(), names.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    v1::OutboxAction a;
    ASSERT_TRUE(pb::util::JsonStringToMessage(lines[i], &a).ok()) << lines[i];
    EXPECT_EQ(a.name(), names[i]);
  }
}

TEST_F(HttpJsonTest, ScopeAndTenantRefusalsAreGrpcs) {
  // A read token cannot write: 403 INSUFFICIENT_SCOPE, nothing written.
  const HttpAnswer denied = Send(port_, "POST", "/v1/tenants/acme/customers",
                                 R"({"externalRef": {"sourceSystem": "erp", "id": "C-3"},
                                     "displayName": "X", "kind": "CUSTOMER_KIND_BUSINESS"})",
                                 acme_read_);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(DetailsOf(ParseObject(denied.body)), "reason=INSUFFICIENT_SCOPE") << denied.body;
  // Another tenant's token: the same 403 whether the customer exists or not.
  const HttpAnswer exists = Send(port_, "GET", "/v1/tenants/acme/customers/c-1", "", beta_);
  const HttpAnswer missing = Send(port_, "GET", "/v1/tenants/acme/customers/nobody", "", beta_);
  EXPECT_EQ(exists.status, 403);
  EXPECT_EQ(exists.body, missing.body);
  EXPECT_EQ(DetailsOf(ParseObject(exists.body)), "reason=TENANT_ACCESS_DENIED");
  // No token.
  EXPECT_EQ(Send(port_, "GET", "/v1/tenants/acme/customers/c-1", "", "").status, 401);
  const HttpAnswer list = Send(port_, "GET", "/v1/tenants/acme/customers", "", acme_read_);
  v1::ListCustomersResponse page;
  ASSERT_TRUE(pb::util::JsonStringToMessage(list.body, &page).ok());
  EXPECT_EQ(page.customers_size(), 1) << "the refused write wrote";
}

TEST_F(HttpJsonTest, TranscoderRefusalsUseTheSameErrorModel) {
  struct Case {
    std::string method, target, body;
    int status;
    std::string details;
  };
  const std::vector<Case> cases = {
      {"GET", "/v1/tenants/acme/nothing", "", 404, "reason=HTTP_ROUTE_NOT_FOUND"},
      {"DELETE", "/v1/tenants/acme/customers/c-1", "", 405, "reason=HTTP_METHOD_NOT_ALLOWED"},
      {"POST", "/v1/tenants/acme/customers", "{not json", 400,
       "reason=HTTP_BODY_INVALID field=customer"},
      {"POST", "/v1/tenants/acme/customers", R"({"noSuchField": 1})", 400,
       "reason=HTTP_BODY_INVALID field=customer"},
      {"GET", "/v1/tenants/acme/customers?noSuchParam=1", "", 400,
       "reason=HTTP_REQUEST_INVALID field=noSuchParam"},
      {"GET", "/v1/tenants/acme/customers?pageSize=ten", "", 400,
       "reason=HTTP_REQUEST_INVALID field=pageSize"},
      {"POST", "/v1/tenants/acme:runCollections?dryRun=true", "", 400,
       "reason=HTTP_REQUEST_INVALID field=dryRun"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    const HttpAnswer h = Send(port_, c.method, c.target, c.body, acme_);
    EXPECT_EQ(h.status, c.status) << h.body;
    EXPECT_EQ(DetailsOf(ParseObject(h.body)), c.details) << h.body;
  }
}

TEST_F(HttpJsonTest, OpenApiIsServedAndMatchesTheBuild) {
  const HttpAnswer h = Send(port_, "GET", "/v1/openapi.json", "", "");
  ASSERT_EQ(h.status, 200);
  std::ifstream in(OPENAPI_JSON);
  std::stringstream built;
  built << in.rdbuf();
  // Send() stops at the first newline; fetch the whole document.
  httplib::Client client("127.0.0.1", port_);
  auto res = client.Get("/v1/openapi.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, built.str());
  const pb::Struct doc = ParseObject(res->body);
  const auto& paths = doc.fields().at("paths").struct_value().fields();
  EXPECT_TRUE(paths.contains("/v1/tenants/{tenant}/customers/{customer}"));
  EXPECT_TRUE(paths.contains("/v1/tenants/{tenant}/customers/{customer}:exportCaseFile"));
  int operations = 0;
  for (const auto& [path, item] : paths) operations += item.struct_value().fields_size();
  auto services = http::FindServices(http::ApiServiceNames());
  auto routes = http::RouteTable::Build(*services);
  EXPECT_EQ(operations, static_cast<int>(routes->routes().size()));
}

}  // namespace
}  // namespace collections::testing
