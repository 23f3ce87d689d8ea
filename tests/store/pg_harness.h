// A throwaway PostgreSQL server for tests. The first call to
// PgCluster::Get() in a test process starts a private cluster from Debian's
// server package (initdb + postgres from /usr/lib/postgresql/<v>/bin) in a
// fresh temporary folder, listening on a Unix socket in that folder only
// (listen_addresses=''), and stops it and removes the folder at exit. The
// server is our child with a parent-death signal, so it also goes away when a
// test crashes. Running as root, initdb and the server run as the `postgres`
// user (initdb refuses root).
//
// Each test takes a fresh empty database from CreateDatabase(), so tests of
// one process share the server but never see each other's rows.
//
// Environment:
//   COLLECTIONS_TEST_PG_URI  use this running server (a libpq URI of a
//                            database the user may CREATE DATABASE from)
//                            instead of starting one;
//   COLLECTIONS_PG_BINDIR    where initdb and postgres live (default: the
//                            newest /usr/lib/postgresql/*/bin);
//   COLLECTIONS_PG_TMPDIR    where cluster folders go (default: /dev/shm when
//                            it has 1 GB free, else /tmp); a pristine initdb
//                            result is cached there and copied per cluster;
//   CI=true                  PostgreSQL is required: a missing server fails
//                            the test instead of skipping it.
//
// Typical use: derive the fixture from PostgresTest (below), which puts a
// fresh database's URI in uri_.
#ifndef COLLECTIONS_TESTS_STORE_PG_HARNESS_H_
#define COLLECTIONS_TESTS_STORE_PG_HARNESS_H_

#include <sys/types.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace collections::testing {

// True when env CI is "true": tests must fail, not skip, without PostgreSQL.
bool PostgresRequired();

class PgCluster {
 public:
  // The process-wide server, started on the first call (thread-safe). The
  // error says why none can run (no server binaries, initdb failed, ...);
  // it is remembered, so later calls fail fast with the same status.
  static absl::StatusOr<PgCluster*> Get();

  // libpq URI of the maintenance database ("postgresql:///postgres?host=...").
  const std::string& uri() const { return uri_; }
  // URI of database `name` on this server.
  std::string UriFor(absl::string_view name) const;
  // Creates an empty database with a new unique name and returns its URI.
  absl::StatusOr<std::string> CreateDatabase();

  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

 private:
  explicit PgCluster(std::string uri) : uri_(std::move(uri)) {}
  friend class PgClusterStarter;

  std::string uri_;
  std::atomic<int> next_db_{0};
};

// PgCluster::Get() then CreateDatabase(): the URI of a new empty database,
// or why there is none (prefixed with what the caller should do about it).
absl::StatusOr<std::string> FreshPostgresDatabase();

// A fixture base for tests that need a fresh database: SetUp() puts its URI
// in uri_, skips the test without PostgreSQL, and fails it when CI=true. A
// subclass that overrides SetUp() calls PostgresTest::SetUp() first and
// returns when IsSkipped() || HasFatalFailure().
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  std::string uri_;
};

// Runs one SQL statement on `uri` with its own connection; returns the first
// column of the first row as text ("" when there is none).
absl::StatusOr<std::string> PgQuery(const std::string& uri, const std::string& sql);

// Starts `args` (args[0] an absolute path) with stdout and stderr appended to
// `log`. The child is killed (SIGKILL) if the calling thread exits first, so
// a crashed test leaves no servers behind; stop it yourself (kill + waitpid)
// for an orderly end. Used for collectionsd replicas in tests.
absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& args, const std::string& log);

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_STORE_PG_HARNESS_H_
