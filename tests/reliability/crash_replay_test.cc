// kill -9 of a real collectionsd during a RecordPayment burst and during
// RunCollections, then a restart and a replay (a regression guard for
// idempotency across crashes): each payment is
// applied exactly once, a replay of an acknowledged request returns its
// first answer, and a collections run cut short and run again leaves exactly
// the outbox of an uninterrupted run, with no action twice. Collections runs
// are judged by the outbox as StreamActions delivers it, never by
// RunCollections' reply.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "tests/api/prod_support.h"
#include "tests/api/test_server.h"
#include "tests/reliability/daemon_process.h"
#include "tests/store/ledger_workload.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr int kPayments = 400;
// The day of every collections run: the server's today, so that the run
// finds the cases due (a past as_of replays an old day).
constexpr char kClock[] = "--clock=fixed:2026-11-20";
constexpr int kThreads = 4;

v1::RecordPaymentRequest PaymentRequest(int i) {
  v1::RecordPaymentRequest req;
  req.set_parent(CustomerName(i % kCustomers));
  *req.mutable_payment() =
      MakePayment(absl::StrCat("TX-burst-", i), "EUR", 1 + i % 7, D(2026, 9, 10));
  req.set_request_id(absl::StrCat("burst-", i));
  return req;
}

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

grpc::Status RunCollections(v1::RecoveryService::Stub& stub, v1::RunCollectionsResponse* out) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::RunCollectionsRequest req;
  req.set_parent(kParent);
  *req.mutable_as_of() = D(2026, 11, 20);
  return stub.RunCollections(&ctx, req, out);
}

// The outbox as StreamActions delivers it: one line per action (name,
// customer, day, stage, channel, action, template, status), sorted.
std::vector<std::string> Outbox(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::RecoveryService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::StreamActionsRequest req;
  req.set_parent(kParent);
  auto reader = stub->StreamActions(&ctx, req);
  std::vector<std::string> out;
  v1::OutboxAction a;
  while (reader->Read(&a)) {
    const v1::Recommendation& r = a.recommendation();
    out.push_back(absl::StrCat(a.name(), " ", a.customer(), " ", a.as_of().year(), "-",
                               a.as_of().month(), "-", a.as_of().day(), " stage=", r.stage(),
                               " channel=", r.channel(), " action=", r.action(), " ",
                               r.template_id(), " status=", a.status()));
  }
  const grpc::Status st = reader->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  std::sort(out.begin(), out.end());
  return out;
}

// Action names are derived from (customer, day, stage): a name twice is an
// action created twice.
void ExpectNoActionTwice(const std::vector<std::string>& outbox) {
  std::set<std::string> names;
  for (const std::string& line : outbox) {
    EXPECT_TRUE(names.insert(line.substr(0, line.find(' '))).second) << "twice: " << line;
  }
}

// A portfolio large enough for a collections run to take a while:
// `customers` customers with one invoice each, overdue by 50 to 140 days.
std::vector<v1::SyncLedgerRequest> PortfolioStream(int customers) {
  std::vector<v1::SyncLedgerRequest> chunks(2);
  for (int i = 0; i < 2; ++i) {
    chunks[i].set_parent(kParent);
    chunks[i].set_sync_id("portfolio");
    chunks[i].set_chunk_index(i);
  }
  for (int c = 0; c < customers; ++c) {
    const std::string id = absl::StrCat("P-", c);
    *chunks[0].add_records()->mutable_customer() = MakeCustomer(id, absl::StrCat("Debtor ", c));
    v1::SyncRecord* r = chunks[1].add_records();
    *r->mutable_invoice() = MakeInvoice(absl::StrCat("PINV-", c), D(2026, 6, 1 + c % 28),
                                        D(2026, 7, 1 + c % 90 / 3), "EUR", 10000 + 37 * c);
    r->set_customer_ref(id);
  }
  return chunks;
}

TEST(CrashReplay, KilledDuringAPaymentBurstAndACollectionsRunEachPaymentAppliesOnce) {
  TempDir dir;
  const std::vector<std::string> flags = {"--listen=127.0.0.1:0",
                                          "--store=sqlite:" + dir.File("ledger.db"),
                                          "--log_requests=false", kClock};
  absl::StatusOr<Daemon> first = StartDaemon(COLLECTIONSD_PATH, flags, dir.File("first.log"));
  ASSERT_TRUE(first.ok()) << first.status();
  {
    LedgerClient client(ChannelTo(first->port));
    v1::SyncLedgerResponse synced;
    ASSERT_TRUE(client.Sync(LedgerStream("crash"), &synced).ok());
  }

  // The burst: kThreads clients, plus RunCollections in a loop, until the kill.
  absl::Mutex mu;
  std::map<int, std::string> acknowledged;  // request index -> payment name
  std::atomic<bool> server_gone{false};
  std::vector<std::thread> threads;
  auto channel = ChannelTo(first->port);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = v1::LedgerService::NewStub(channel);
      for (int i = t; i < kPayments && !server_gone; i += kThreads) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        v1::Payment out;
        if (!stub->RecordPayment(&ctx, PaymentRequest(i), &out).ok()) break;
        absl::MutexLock l(&mu);
        acknowledged[i] = out.name();
      }
    });
  }
  int runs = 0;
  threads.emplace_back([&] {
    auto stub = v1::RecoveryService::NewStub(channel);
    while (!server_gone) {
      v1::RunCollectionsResponse out;
      if (!RunCollections(*stub, &out).ok()) break;
      ++runs;
    }
  });
  // Kill once about a third of the payments were acknowledged.
  for (int i = 0; i < 1000; ++i) {
    {
      absl::MutexLock l(&mu);
      if (acknowledged.size() >= kPayments / 3) break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  kill(first->pid, SIGKILL);
  server_gone = true;
  EXPECT_EQ(WaitExit(first->pid).signal, SIGKILL);
  for (auto& th : threads) th.join();
  ASSERT_GT(acknowledged.size(), 0u);
  ASSERT_LT(acknowledged.size(), static_cast<size_t>(kPayments)) << "the kill came too late";

  // Restart on the same file and replay every request.
  absl::StatusOr<Daemon> second = StartDaemon(COLLECTIONSD_PATH, flags, dir.File("second.log"));
  ASSERT_TRUE(second.ok()) << second.status();
  auto replay_channel = ChannelTo(second->port);
  auto stub = v1::LedgerService::NewStub(replay_channel);
  for (int i = 0; i < kPayments; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::Payment out;
    grpc::Status st = stub->RecordPayment(&ctx, PaymentRequest(i), &out);
    ASSERT_TRUE(st.ok()) << i << ": " << st.error_message();
    if (auto it = acknowledged.find(i); it != acknowledged.end()) {
      EXPECT_EQ(out.name(), it->second) << "replay of acknowledged request " << i;
    }
  }
  LedgerClient client(replay_channel);
  std::set<std::string> external_ids;
  int payments = 0;
  for (int c = 0; c < kCustomers; ++c) {
    for (const v1::Payment& p : client.Payments(c)) {
      if (p.external_ref().id().rfind("TX-burst-", 0) != 0) continue;
      ++payments;
      external_ids.insert(p.external_ref().id());
    }
  }
  EXPECT_EQ(payments, kPayments);
  EXPECT_EQ(external_ids.size(), static_cast<size_t>(kPayments));

  // Collections: a run completes, and a second one for the day adds nothing.
  auto recovery = v1::RecoveryService::NewStub(replay_channel);
  v1::RunCollectionsResponse again;
  ASSERT_TRUE(RunCollections(*recovery, &again).ok());
  const std::vector<std::string> outbox = Outbox(replay_channel);
  EXPECT_FALSE(outbox.empty());
  ExpectNoActionTwice(outbox);
  ASSERT_TRUE(RunCollections(*recovery, &again).ok());
  EXPECT_EQ(Outbox(replay_channel), outbox) << "runs before the kill: " << runs;

  kill(second->pid, SIGTERM);
  EXPECT_EQ(WaitExit(second->pid).code, 0) << ReadAll(second->log);
}

TEST(CrashReplay, ACollectionsRunKilledMidwayAndRunAgainLeavesTheOutboxOfAnUninterruptedRun) {
  constexpr int kPortfolio = 400;
  TempDir dir;
  auto flags = [&dir](const std::string& db) {
    return std::vector<std::string>{"--listen=127.0.0.1:0", "--store=sqlite:" + dir.File(db),
                                    "--log_requests=false", kClock};
  };
  v1::SyncLedgerResponse synced;

  // The reference: the same portfolio, one run, no kill.
  std::vector<std::string> reference;
  absl::Duration run_time;
  {
    absl::StatusOr<Daemon> d = StartDaemon(COLLECTIONSD_PATH, flags("ref.db"), dir.File("ref.log"));
    ASSERT_TRUE(d.ok()) << d.status();
    auto channel = ChannelTo(d->port);
    ASSERT_TRUE(LedgerClient(channel).Sync(PortfolioStream(kPortfolio), &synced).ok());
    ASSERT_EQ(synced.rejected(), 0);
    auto stub = v1::RecoveryService::NewStub(channel);
    v1::RunCollectionsResponse out;
    const absl::Time start = absl::Now();
    ASSERT_TRUE(RunCollections(*stub, &out).ok());
    run_time = absl::Now() - start;
    reference = Outbox(channel);
    kill(d->pid, SIGTERM);
    EXPECT_EQ(WaitExit(d->pid).code, 0);
  }
  ASSERT_GE(reference.size(), static_cast<size_t>(kPortfolio / 2)) << "too few actions to cut";
  ExpectNoActionTwice(reference);

  // The victim: killed while its run is under way, as soon as the run's
  // first actions are visible (the run commits a batch of cases at a time)
  // and before it has finished.
  absl::StatusOr<Daemon> first =
      StartDaemon(COLLECTIONSD_PATH, flags("cut.db"), dir.File("cut1.log"));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(LedgerClient(ChannelTo(first->port)).Sync(PortfolioStream(kPortfolio), &synced).ok());
  grpc::Status cut_run;
  std::atomic<bool> run_ended{false};
  std::thread run([&] {
    auto stub = v1::RecoveryService::NewStub(ChannelTo(first->port));
    v1::RunCollectionsResponse out;
    cut_run = RunCollections(*stub, &out);
    run_ended = true;
  });
  auto victim = ChannelTo(first->port);
  const absl::Time give_up = absl::Now() + run_time * 10 + absl::Seconds(5);
  while (!run_ended && absl::Now() < give_up && Outbox(victim).empty()) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  kill(first->pid, SIGKILL);
  EXPECT_EQ(WaitExit(first->pid).signal, SIGKILL);
  run.join();
  ASSERT_FALSE(cut_run.ok()) << "the run finished before the kill (" << run_time << ")";

  absl::StatusOr<Daemon> second =
      StartDaemon(COLLECTIONSD_PATH, flags("cut.db"), dir.File("cut2.log"));
  ASSERT_TRUE(second.ok()) << second.status();
  auto channel = ChannelTo(second->port);
  const std::vector<std::string> after_kill = Outbox(channel);
  ExpectNoActionTwice(after_kill);
  auto stub = v1::RecoveryService::NewStub(channel);
  v1::RunCollectionsResponse out;
  ASSERT_TRUE(RunCollections(*stub, &out).ok());
  EXPECT_EQ(Outbox(channel), reference)
      << after_kill.size() << " of " << reference.size() << " actions were there after the kill";
  // And a third run of the day adds nothing.
  ASSERT_TRUE(RunCollections(*stub, &out).ok());
  EXPECT_EQ(Outbox(channel), reference);
  RecordProperty("actions", static_cast<int>(reference.size()));
  RecordProperty("actions_after_kill", static_cast<int>(after_kill.size()));
  std::printf("run of %d customers: %s, %zu actions, %zu of them present after the kill\n",
              kPortfolio, absl::FormatDuration(run_time).c_str(), reference.size(),
              after_kill.size());
  kill(second->pid, SIGTERM);
  EXPECT_EQ(WaitExit(second->pid).code, 0) << ReadAll(second->log);
}

}  // namespace
}  // namespace collections::testing
