// The daily run at scale, with real collectionsd processes:
//   * kill -9 in the middle of a RunCollections over a few thousand due
//     cases, restart, run again: every due action is in the outbox exactly
//     once (SQLite and PostgreSQL);
//   * two replicas over one PostgreSQL run RunCollections at the same
//     moment: every due action exactly once, both calls succeed;
//   * the reply's size does not grow with the number of actions.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "tests/api/prod_support.h"
#include "tests/api/test_server.h"
#include "tests/reliability/daemon_process.h"
#include "tests/store/pg_harness.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr char kTenant[] = "tenants/acme";
constexpr char kToday[] = "2026-11-20";

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

template <typename Ctx>
void Deadline(Ctx* ctx, int seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

// `customers` customers, each with one invoice 50 days overdue today: every
// case is due, and each run writes one action per customer.
grpc::Status SeedDueLedger(const std::shared_ptr<grpc::Channel>& channel, int customers) {
  auto ledger = v1::LedgerService::NewStub(channel);
  grpc::ClientContext ctx;
  Deadline(&ctx, 300);
  v1::SyncLedgerResponse out;
  auto writer = ledger->SyncLedger(&ctx, &out);
  int chunk = 0;
  for (int first = 0; first < customers; first += 400) {
    v1::SyncLedgerRequest req;
    req.set_parent(kTenant);
    req.set_sync_id("due-ledger");
    req.set_chunk_index(chunk++);
    const int last = std::min(customers, first + 400);
    for (int c = first; c < last; ++c) {
      v1::Customer customer = MakeCustomer(absl::StrFormat("C%05d", c), absl::StrCat("Debtor ", c));
      *req.add_records()->mutable_customer() = customer;
      v1::SyncRecord* r = req.add_records();
      *r->mutable_invoice() = MakeInvoice(absl::StrFormat("INV-%05d", c), D(2026, 9, 1),
                                          D(2026, 10, 1), "EUR", 50000 + c);
      r->set_customer_ref(absl::StrFormat("C%05d", c));
    }
    if (!writer->Write(req)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status RunDay(v1::RecoveryService::Stub& stub, v1::RunCollectionsResponse* out,
                    bool dry_run = false) {
  grpc::ClientContext ctx;
  Deadline(&ctx, 600);
  v1::RunCollectionsRequest req;
  req.set_parent(kTenant);
  req.set_dry_run(dry_run);
  return stub.RunCollections(&ctx, req, out);
}

// Every outbox action, in sequence order.
std::vector<v1::OutboxAction> Outbox(v1::RecoveryService::Stub& stub) {
  grpc::ClientContext ctx;
  Deadline(&ctx, 120);
  v1::StreamActionsRequest req;
  req.set_parent(kTenant);
  auto reader = stub.StreamActions(&ctx, req);
  std::vector<v1::OutboxAction> out;
  v1::OutboxAction a;
  while (reader->Read(&a)) out.push_back(a);
  const grpc::Status st = reader->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  return out;
}

// One action per customer, sequences strictly increasing without repeats.
void ExpectEachDueActionOnce(const std::vector<v1::OutboxAction>& outbox, int customers) {
  std::map<std::string, int> per_customer;
  std::set<int64_t> sequences;
  for (const auto& a : outbox) {
    ++per_customer[a.customer()];
    EXPECT_TRUE(sequences.insert(a.sequence()).second) << "sequence twice: " << a.sequence();
    EXPECT_EQ(a.status(), v1::OutboxAction::PENDING);
  }
  EXPECT_EQ(static_cast<int>(per_customer.size()), customers);
  int twice = 0;
  for (const auto& [customer, n] : per_customer) twice += n != 1;
  EXPECT_EQ(twice, 0) << "customers with more than one action";
  EXPECT_EQ(static_cast<int>(outbox.size()), customers);
}

class CollectionsRun : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      store_ = "sqlite:" + dir_.File("ledger.db");
      return;
    }
    absl::StatusOr<std::string> db = FreshPostgresDatabase();
    if (!db.ok()) {
      if (PostgresRequired()) FAIL() << db.status();
      GTEST_SKIP() << db.status();
    }
    store_ = *db;
  }

  absl::StatusOr<Daemon> Start(const std::string& name) {
    return StartDaemon(COLLECTIONSD_PATH,
                       {"--listen=127.0.0.1:0", "--store=" + store_, "--log_requests=false",
                        absl::StrCat("--clock=fixed:", kToday)},
                       dir_.File(name + ".log"));
  }

  TempDir dir_;
  std::string store_;
};

TEST_P(CollectionsRun, KilledMidRunResumesAndWritesEveryDueActionOnce) {
  constexpr int kCustomers = 2500;
  absl::StatusOr<Daemon> first = Start("first");
  ASSERT_TRUE(first.ok()) << first.status();
  auto channel = ChannelTo(first->port);
  ASSERT_TRUE(SeedDueLedger(channel, kCustomers).ok());
  auto recovery = v1::RecoveryService::NewStub(channel);

  // The run in the background; the kill once some batches committed and
  // before the last one did.
  std::thread run([&] {
    v1::RunCollectionsResponse ignored;
    (void)RunDay(*recovery, &ignored);
  });
  auto watcher = v1::RecoveryService::NewStub(ChannelTo(first->port));
  int64_t seen = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  while (absl::Now() < give_up) {
    v1::StreamActionsRequest req;
    req.set_parent(kTenant);
    req.set_after_sequence(seen);
    grpc::ClientContext ctx;
    Deadline(&ctx, 10);
    auto reader = watcher->StreamActions(&ctx, req);
    v1::OutboxAction a;
    while (reader->Read(&a)) seen = a.sequence();
    (void)reader->Finish();
    if (seen >= 200) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  kill(first->pid, SIGKILL);
  EXPECT_EQ(WaitExit(first->pid).signal, SIGKILL);
  run.join();
  ASSERT_GE(seen, 200) << ReadAll(first->log);
  ASSERT_LT(seen, kCustomers) << "the run ended before the kill; nothing was interrupted";

  absl::StatusOr<Daemon> second = Start("second");
  ASSERT_TRUE(second.ok()) << second.status();
  auto again = v1::RecoveryService::NewStub(ChannelTo(second->port));
  const size_t before = Outbox(*again).size();
  EXPECT_GE(before, 200u);
  EXPECT_LT(before, static_cast<size_t>(kCustomers));
  v1::RunCollectionsResponse resumed;
  const grpc::Status st = RunDay(*again, &resumed);
  ASSERT_TRUE(st.ok()) << st.error_message();
  // The resumed run wrote exactly what the killed one had not.
  EXPECT_EQ(resumed.actions_created() + static_cast<int64_t>(before), kCustomers);
  ExpectEachDueActionOnce(Outbox(*again), kCustomers);

  // A same-day re-run finds nothing due.
  v1::RunCollectionsResponse rerun;
  ASSERT_TRUE(RunDay(*again, &rerun).ok());
  EXPECT_EQ(rerun.evaluated(), 0);
  EXPECT_EQ(rerun.actions_created(), 0);
  kill(second->pid, SIGTERM);
  EXPECT_EQ(WaitExit(second->pid).code, 0) << ReadAll(second->log);
}

TEST_P(CollectionsRun, ReplySizeDoesNotGrowWithTheActions) {
  absl::StatusOr<Daemon> d = Start("server");
  ASSERT_TRUE(d.ok()) << d.status();
  auto channel = ChannelTo(d->port);
  auto recovery = v1::RecoveryService::NewStub(channel);
  // Two tenants' worth of work in one: 50 due cases, then 1,500 more.
  ASSERT_TRUE(SeedDueLedger(channel, 50).ok());
  v1::RunCollectionsResponse dry_small, small;
  ASSERT_TRUE(RunDay(*recovery, &dry_small, /*dry_run=*/true).ok());
  ASSERT_TRUE(RunDay(*recovery, &small).ok());
  ASSERT_EQ(small.actions_created(), 50);
  ASSERT_TRUE(SeedDueLedger(channel, 1550).ok());
  v1::RunCollectionsResponse dry_large, large;
  ASSERT_TRUE(RunDay(*recovery, &dry_large, /*dry_run=*/true).ok());
  ASSERT_TRUE(RunDay(*recovery, &large).ok());
  ASSERT_EQ(large.actions_created(), 1500);
  // Thirty times the actions, and the reply stays within a few bytes (the
  // counts take a digit or two more); a dry run's samples are bounded.
  EXPECT_LE(large.ByteSizeLong(), small.ByteSizeLong() + 16)
      << small.DebugString() << large.DebugString();
  EXPECT_LE(dry_large.ByteSizeLong(), 40u * 1024);
  EXPECT_LE(dry_large.samples_size(), 10);
  EXPECT_EQ(dry_large.actions_created(), 1500);
  // The range names exactly the actions of the run.
  EXPECT_EQ(large.last_sequence() - large.first_sequence() + 1, 1500);
  EXPECT_EQ(large.first_sequence(), small.last_sequence() + 1);
  kill(d->pid, SIGTERM);
  EXPECT_EQ(WaitExit(d->pid).code, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CollectionsRun, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

// Two replicas over one PostgreSQL, RunCollections on both at the same
// moment: the due cases are split between them, none twice, none missed.
class CollectionsReplicas : public PostgresTest {};

TEST_F(CollectionsReplicas, TwoReplicasSplitTheDueCasesAndWriteEachActionOnce) {
  constexpr int kCustomers = 2000;
  TempDir dir;
  const std::vector<std::string> flags = {"--listen=127.0.0.1:0", "--store=" + uri_,
                                          "--log_requests=false",
                                          absl::StrCat("--clock=fixed:", kToday)};
  absl::StatusOr<Daemon> a = StartDaemon(COLLECTIONSD_PATH, flags, dir.File("a.log"));
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<Daemon> b = StartDaemon(COLLECTIONSD_PATH, flags, dir.File("b.log"));
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(SeedDueLedger(ChannelTo(a->port), kCustomers).ok());

  auto stub_a = v1::RecoveryService::NewStub(ChannelTo(a->port));
  auto stub_b = v1::RecoveryService::NewStub(ChannelTo(b->port));
  v1::RunCollectionsResponse ra, rb;
  grpc::Status sa, sb;
  std::thread ta([&] { sa = RunDay(*stub_a, &ra); });
  std::thread tb([&] { sb = RunDay(*stub_b, &rb); });
  ta.join();
  tb.join();
  ASSERT_TRUE(sa.ok()) << sa.error_message() << ReadAll(a->log);
  ASSERT_TRUE(sb.ok()) << sb.error_message() << ReadAll(b->log);
  EXPECT_EQ(ra.actions_created() + rb.actions_created(), kCustomers);
  EXPECT_EQ(ra.evaluated() + rb.evaluated(), kCustomers);
  // Both replicas took part (each reports its share on stderr for the log).
  std::fprintf(stderr, "replica a wrote %lld, replica b wrote %lld\n",
               static_cast<long long>(ra.actions_created()),
               static_cast<long long>(rb.actions_created()));
  ExpectEachDueActionOnce(Outbox(*stub_a), kCustomers);
  for (pid_t pid : {a->pid, b->pid}) {
    kill(pid, SIGTERM);
    EXPECT_EQ(WaitExit(pid).code, 0);
  }
}

}  // namespace
}  // namespace collections::testing
