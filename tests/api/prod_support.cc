#include "tests/api/prod_support.h"

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace collections::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/collections-prod-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::Write(const std::string& name, const std::string& text) const {
  std::ofstream(File(name), std::ios::binary | std::ios::trunc) << text;
}

ProdServer::ProdServer()
    : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12, 0, 0), absl::UTCTimeZone())) {
  options_.listen = "";
  options_.store_uri = "sqlite:" + dir_.File("ledger.db");
  options_.workers = 4;
  options_.log_requests = false;
  options_.clock = &clock_;
}

ProdServer::~ProdServer() { Stop(); }

absl::Status ProdServer::Start() {
  auto p = server::Production::Prepare(prod_options_, &options_);
  if (!p.ok()) return p.status();
  production_ = *std::move(p);
  auto s = server::Server::Start(options_);
  if (!s.ok()) return s.status();
  server_ = *std::move(s);
  return production_->Attach(*server_);
}

void ProdServer::Stop() {
  if (production_) production_->Detach();
  if (server_) server_->Shutdown(absl::Seconds(2));
  server_.reset();
  production_.reset();
}

std::string ProdServer::Token(const std::string& tenant, auth::Scope scope) {
  auto t = tokens().Create(tenant, scope, "test");
  if (!t.ok()) {
    ADD_FAILURE() << t.status();
    return "";
  }
  return t->bearer;
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

HttpResult HttpGet(int port, const std::string& path, const std::string& bearer) {
  HttpResult r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return r;
  }
  const std::string req = absl::StrCat(
      "GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
      bearer.empty() ? "" : absl::StrCat("Authorization: Bearer ", bearer, "\r\n"), "\r\n");
  (void)!::write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  if (resp.size() > 12) absl::SimpleAtoi(resp.substr(9, 3), &r.status);
  const size_t body = resp.find("\r\n\r\n");
  if (body != std::string::npos) r.body = resp.substr(body + 4);
  return r;
}

// The response is HealthCheckResponse{status = 1 (SERVING)} = bytes 08 01.
std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel, absl::Duration deadline) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  grpc::Slice empty;
  grpc::ByteBuffer req(&empty, 1), resp;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&](grpc::Status st) {
                   status = st;
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return "error: " + status.error_message();
  std::vector<grpc::Slice> slices;
  (void)resp.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes += std::string(s.begin(), s.end());
  return bytes == std::string("\x08\x01", 2) ? "SERVING" : "other";
}

bool Run(const std::string& command, std::string* log) {
  std::string cmd = command + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  std::array<char, 512> buf;
  std::string out;
  while (fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int rc = ::pclose(p);
  if (log) *log = out;
  if (rc != 0) ADD_FAILURE() << command << " failed:\n" << out;
  return rc == 0;
}

bool NewCa(const TempDir& dir, const std::string& name) {
  return Run(absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj '/CN=",
      name, " test CA' -keyout ", dir.File(name + ".key"), " -out ", dir.File(name + ".pem")));
}

bool NewCert(const TempDir& dir, const std::string& name, const std::string& ca,
             const std::string& cn, const std::string& san) {
  dir.Write(name + ".ext", san.empty() ? "basicConstraints=CA:FALSE\n"
                                       : absl::StrCat("basicConstraints=CA:FALSE\n"
                                                      "subjectAltName=",
                                                      san, "\n"));
  return Run(absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                          "-subj '/CN=",
                          cn, "' -keyout ", dir.File(name + ".key"), " -out ",
                          dir.File(name + ".csr"))) &&
         Run(absl::StrCat("openssl x509 -req -days 2 -in ", dir.File(name + ".csr"), " -CA ",
                          dir.File(ca + ".pem"), " -CAkey ", dir.File(ca + ".key"),
                          " -CAcreateserial -out ", dir.File(name + ".pem"), " -extfile ",
                          dir.File(name + ".ext")));
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

absl::Mutex g_services_mu;
std::set<std::string>* g_services = new std::set<std::string>;

// grpc::ServerBuilder instantiates each registered plugin for every server.
class ServiceRecorder : public grpc::ServerBuilderPlugin {
 public:
  std::string name() override { return "collections_test_service_recorder"; }
  void InitServer(grpc::ServerInitializer*) override {}
  void Finish(grpc::ServerInitializer* si) override {
    absl::MutexLock l(&g_services_mu);
    for (const std::string& s : *si->GetServiceList()) g_services->insert(s);
  }
  void ChangeArguments(const std::string&, void*) override {}
};

}  // namespace

void RecordRegisteredServices() {
  static const bool once = [] {
    grpc::ServerBuilder::InternalAddPluginFactory(
        [] { return std::unique_ptr<grpc::ServerBuilderPlugin>(new ServiceRecorder); });
    return true;
  }();
  (void)once;
}

std::set<std::string> RegisteredServices() {
  absl::MutexLock l(&g_services_mu);
  return *g_services;
}

}  // namespace collections::testing
