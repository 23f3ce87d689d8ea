// `collectionsctl migrate-tenant` end to end: a ledger built
// through a real server on the embedded SQLite store is copied by the
// collectionsctl binary to PostgreSQL; a server on the copy then gives
// identical account summaries, invoices, payments and event history (only
// the event sequence numbers, assigned by the target, differ). Copying again
// is refused and changes nothing; other tenants are not copied.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/server/server.h"
#include "service/store/store.h"
#include "tests/api/test_server.h"
#include "tests/store/ledger_workload.h"
#include "tests/store/pg_harness.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

using google::protobuf::util::MessageDifferencer;

// Runs collectionsctl with `args`; returns its exit code, output in *log.
int Collectionsctl(const std::vector<std::string>& args, const std::string& dir, std::string* log) {
  const std::string path = dir + "/collectionsctl.log";
  std::filesystem::remove(path);
  std::vector<std::string> argv = {COLLECTIONSCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<pid_t> pid = SpawnProcess(argv, path);
  if (!pid.ok()) return -1;
  int status = 0;
  waitpid(*pid, &status, 0);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  *log = ss.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<v1::Event> WithoutPositions(std::vector<v1::Event> events) {
  for (auto& e : events) {
    e.clear_sequence();
    e.clear_name();
  }
  return events;
}

using MigrateTenantTest = PostgresTest;

TEST_F(MigrateTenantTest, CopyAnswersLikeTheOriginal) {
  TestServer source;  // a SQLite file, the clock fixed
  LedgerClient src(source.channel());
  v1::SyncLedgerResponse synced;
  ASSERT_TRUE(src.Sync(LedgerStream("initial"), &synced).ok());
  for (const Operation& op : PaymentOperations()) {
    std::string answer;
    grpc::Status st = src.Run(op, "payments", &answer);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  // Another tenant in the same file, which must stay behind.
  {
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/other");
    *req.mutable_customer() = MakeCustomer("O-1", "Other");
    v1::Customer out;
    ASSERT_TRUE(source.ledger().UpsertCustomer(&ctx, req, &out).ok());
  }

  char tmpl[] = "/tmp/migrate-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::vector<std::string> migrate = {"--tenant=acme", "migrate-tenant",
                                            "--from=sqlite:" + source.db_path(), "--to=" + uri_};
  std::string log;
  ASSERT_EQ(Collectionsctl(migrate, dir, &log), 0) << log;
  EXPECT_NE(log.find("event cursor: source sequence"), std::string::npos) << log;

  server::ServerOptions opts;
  opts.listen = "";
  opts.store_uri = uri_;
  opts.log_requests = false;
  opts.clock = &source.clock();
  absl::StatusOr<std::unique_ptr<server::Server>> copy = server::Server::Start(opts);
  ASSERT_TRUE(copy.ok()) << copy.status();
  LedgerClient dst((*copy)->InProcessChannel());

  for (int c = 0; c < kCustomers; ++c) {
    const v1::AccountSummary want = src.Summary(c);
    const v1::AccountSummary got = dst.Summary(c);
    EXPECT_TRUE(MessageDifferencer::Equals(got, want)) << "customer " << c << "\ngot:\n"
                                                       << got.DebugString() << "want:\n"
                                                       << want.DebugString();
    const std::vector<v1::Payment> want_payments = src.Payments(c);
    const std::vector<v1::Payment> got_payments = dst.Payments(c);
    ASSERT_EQ(got_payments.size(), want_payments.size());
    for (size_t i = 0; i < got_payments.size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(got_payments[i], want_payments[i]));
    }
  }
  EXPECT_TRUE(MessageDifferencer::Equals(dst.ListInvoices(), src.ListInvoices()));

  // The event history: same events, same order, same content; new sequence
  // numbers, strictly increasing.
  const std::vector<v1::Event> want_events = src.Events();
  const std::vector<v1::Event> got_events = dst.Events();
  ASSERT_EQ(got_events.size(), want_events.size());
  ASSERT_FALSE(got_events.empty());
  const std::vector<v1::Event> want_plain = WithoutPositions(want_events);
  const std::vector<v1::Event> got_plain = WithoutPositions(got_events);
  for (size_t i = 0; i < got_events.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(got_plain[i], want_plain[i]))
        << i << "\ngot:\n"
        << got_plain[i].DebugString() << "want:\n"
        << want_plain[i].DebugString();
    if (i > 0) {
      EXPECT_LT(got_events[i - 1].sequence(), got_events[i].sequence());
    }
  }

  // Once copied, copying again is a conflict (exit 5) and writes nothing.
  EXPECT_EQ(Collectionsctl(migrate, dir, &log), 5) << log;
  EXPECT_NE(log.find("TENANT_EXISTS_IN_TARGET"), std::string::npos) << log;
  EXPECT_EQ(dst.Events().size(), want_events.size());
  // Only the tenant asked for was copied.
  EXPECT_EQ(PgQuery(uri_, "SELECT string_agg(DISTINCT tenant, ',') FROM docs").value_or("?"),
            "acme");

  (*copy)->Shutdown(absl::Seconds(2));
  std::filesystem::remove_all(dir);
}

TEST(MigrateTenantUsage, MissingStoresIsAUsageError) {
  std::string log;
  char tmpl[] = "/tmp/migrate-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  EXPECT_EQ(Collectionsctl({"--tenant=acme", "migrate-tenant", "--from=sqlite:/nonexistent/x.db"},
                           tmpl, &log),
            2)
      << log;
  EXPECT_EQ(Collectionsctl({"--tenant=acme", "migrate-tenant",
                            "--from=sqlite::memory:", "--to=sqlite::memory:"},
                           tmpl, &log),
            2)
      << log;
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace collections::testing
