// Support for the production-readiness tests (auth, TLS, limits, metrics):
// a Server started with the same Production wiring collectionsd uses, a
// temporary directory, stubs with bearer tokens, a raw HTTP GET, and
// throwaway certificates made with the openssl command-line tool.
#ifndef COLLECTIONS_TESTS_API_PROD_SUPPORT_H_
#define COLLECTIONS_TESTS_API_PROD_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "collections_sidecar/v1/audit.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "service/base/dates.h"
#include "service/server/production.h"
#include "service/server/server.h"
#include "tests/api/test_server.h"

namespace collections::testing {

// A fresh temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

// Server + Production on a SQLite file in a TempDir, clock fixed at
// 2026-11-20 12:00 UTC. Start() returns the error instead of aborting so
// that tests of refused configurations can use it too.
class ProdServer {
 public:
  ProdServer();
  ~ProdServer();

  server::ServerOptions& options() { return options_; }
  server::ProductionOptions& production_options() { return prod_options_; }
  absl::Status Start();
  void Stop();

  server::Server& server() { return *server_; }
  server::Production& production() { return *production_; }
  auth::TokenStore& tokens() { return *production_->tokens(); }
  const TempDir& dir() const { return dir_; }
  // An in-process channel (no TLS; auth by metadata only).
  std::shared_ptr<grpc::Channel> channel() { return server_->InProcessChannel(); }
  std::string target() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  // A new token's bearer string.
  std::string Token(const std::string& tenant, auth::Scope scope);

 private:
  TempDir dir_;
  domain::FixedClock clock_;
  server::ServerOptions options_;
  server::ProductionOptions prod_options_;
  std::unique_ptr<server::Production> production_;
  std::unique_ptr<server::Server> server_;
};

// A ClientContext carrying "authorization: Bearer <token>" (none if empty)
// and a 10-second deadline.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token);

// GET http://127.0.0.1:<port><path>: the status code and body; status 0 when
// the connection fails.
struct HttpResult {
  int status = 0;
  std::string body;
};
// `bearer` (when set) is sent as "Authorization: Bearer <bearer>".
HttpResult HttpGet(int port, const std::string& path, const std::string& bearer = "");

// grpc.health.v1.Health/Check for the whole server over `channel` within
// `deadline`: "SERVING", "other" or "error: <message>". Through a generic stub:
// Debian ships no health proto for C++ clients.
std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel,
                        absl::Duration deadline = absl::Seconds(5));

// From now on, records the names of the services every server built in this
// process registers (a grpc::ServerBuilderPlugin). Call before the first
// server starts; calling it again changes nothing.
void RecordRegisteredServices();
// The names recorded so far, e.g. "collections_sidecar.v1.LedgerService".
std::set<std::string> RegisteredServices();

// Runs a shell command; true when it exits 0. Output goes to `log` if given.
bool Run(const std::string& command, std::string* log = nullptr);

// A throwaway PKI in `dir` (EC P-256 keys, 2-day validity) made with the
// openssl CLI: "<name>.pem" / "<name>.key". NewCa makes a self-signed CA;
// NewCert a leaf signed by `ca` with the given subject CN and SANs
// ("DNS:localhost,IP:127.0.0.1"; empty = none). false when openssl fails.
bool NewCa(const TempDir& dir, const std::string& name);
bool NewCert(const TempDir& dir, const std::string& name, const std::string& ca,
             const std::string& cn, const std::string& san);
std::string ReadText(const std::string& path);

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_API_PROD_SUPPORT_H_
