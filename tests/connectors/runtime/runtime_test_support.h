// Test support for the connector runtime: a real collectionsd on a free
// loopback port over a temporary SQLite file, a canonical dump of a tenant's
// ledger for "identical ledger" comparisons, generated IIF files, and
// running a connector executable as a subprocess.
#ifndef COLLECTIONS_TESTS_CONNECTORS_RUNTIME_RUNTIME_TEST_SUPPORT_H_
#define COLLECTIONS_TESTS_CONNECTORS_RUNTIME_RUNTIME_TEST_SUPPORT_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/common/client.h"
#include "connectors/common/tools/gen_export.h"
#include "tests/api/test_server.h"

namespace collections::testing {

// A temporary folder removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// tests/api's TestServer (temporary SQLite store, fixed clock) listening on
// 127.0.0.1, for connectors that reach it over TCP.
class LoopbackServer {
 public:
  // Starts on `port` (0 = a free one).
  explicit LoopbackServer(int port = 0);
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // A connector client over TCP with short backoff.
  std::unique_ptr<connectors::LedgerClient> Client(int max_attempts = 3);
  // Number of audit events of `tenant`.
  int EventCount(const std::string& tenant) { return server_.EventCount(tenant); }
  // The in-process server, for reading back what it stores.
  TestServer& server() { return server_; }

 private:
  TestServer server_;
  int port_ = 0;
};

// A port that was free a moment ago.
int FreePort();

// Every customer of `tenant` with its invoices, credit notes, payments and
// account summary (as of a fixed day), as text, in a canonical order.
std::string DumpLedger(connectors::LedgerClient& client, const std::string& tenant);

// Writes a generated IIF file and returns its stats.
connectors::GenExportStats WriteIif(const std::string& path,
                                    const connectors::GenExportOptions& options);

struct ProcessResult {
  bool killed = false;  // ended by a signal
  int signal = 0;
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `argv` with `env` added to the environment and waits for it.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {});
// Starts `argv` and returns its pid (stdout/stderr to /dev/null).
pid_t StartProcess(const std::vector<std::string>& argv);
ProcessResult WaitProcess(pid_t pid);

std::string ReadFile(const std::string& path);

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_CONNECTORS_RUNTIME_RUNTIME_TEST_SUPPORT_H_
