// kill -9 of a real collectionsd during a RecordPayment burst and
// RunCollections, then a restart and a replay of every request (issue 15,
// "Idempotency" of the reliability campaign, kept as a regression guard):
// each payment is applied exactly once, a replay of an acknowledged request
// returns its first answer, and collections runs are not duplicated.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collections/v1/recovery.grpc.pb.h"
#include "tests/api/prod_support.h"
#include "tests/api/test_server.h"
#include "tests/reliability/daemon_process.h"
#include "tests/store/ledger_workload.h"

namespace collections::testing {
namespace {

constexpr int kPayments = 400;
constexpr int kThreads = 4;

v1::RecordPaymentRequest PaymentRequest(int i) {
  v1::RecordPaymentRequest req;
  req.set_parent(CustomerName(i % kCustomers));
  *req.mutable_payment() = MakePayment(absl::StrCat("TX-burst-", i), "EUR", 1 + i % 7,
                                       D(2026, 9, 10));
  req.set_request_id(absl::StrCat("burst-", i));
  return req;
}

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

grpc::Status RunCollections(v1::RecoveryService::Stub& stub, v1::RunCollectionsResponse* out) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::RunCollectionsRequest req;
  req.set_parent(kParent);
  *req.mutable_as_of() = D(2026, 11, 20);
  return stub.RunCollections(&ctx, req, out);
}

TEST(CrashReplay, KilledDuringAPaymentBurstAndACollectionsRunEachPaymentAppliesOnce) {
  TempDir dir;
  const std::vector<std::string> flags = {"--listen=127.0.0.1:0",
                                          "--store=sqlite:" + dir.File("ledger.db"),
                                          "--log_requests=false"};
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
  ASSERT_TRUE(RunCollections(*recovery, &again).ok());
  EXPECT_EQ(again.actions_created(), 0) << "runs before the kill: " << runs;

  kill(second->pid, SIGTERM);
  EXPECT_EQ(WaitExit(second->pid).code, 0) << ReadAll(second->log);
}

}  // namespace
}  // namespace collections::testing
