// Horizontal scale-out: several real collectionsd processes over one
// PostgreSQL database give the same answers as one server.
//
// kClients threads, spread over kReplicas collectionsd processes, all sync the
// same ledger (overlapping SyncLedger streams with different sync ids), then
// record the same payments with the same request ids (RecordPayment) and the
// same bank payments by external reference (SyncLedger), in different orders.
// A WatchEvents stream on replica 0 follows the log meanwhile. Afterwards:
//   * every call succeeded, no record was rejected, and every replay of a
//     request id returned the first answer;
//   * balances, invoices and payment applications equal those of the same
//     workload run once, sequentially, on a single SQLite-backed server;
//   * the event log has exactly the reference's events (no duplicate, none
//     lost), strictly increasing sequences, and the watcher on replica 0 saw
//     exactly that log, in order, including the other replica's events.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <google/protobuf/util/message_differencer.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/api/test_server.h"
#include "tests/store/ledger_workload.h"
#include "tests/store/pg_harness.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr int kReplicas = 2;
constexpr int kClients = 8;
std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Payments of customer c as text, without their creation times (which
// differ between the reference run and the replicas).
std::vector<std::string> PaymentsWithoutTimes(LedgerClient& client, int c) {
  std::vector<std::string> out;
  for (v1::Payment p : client.Payments(c)) {
    p.clear_create_time();
    out.push_back(p.DebugString());
  }
  return out;
}

// One collectionsd process.
struct Replica {
  pid_t pid = 0;
  int port = 0;
  std::string log;
};

absl::StatusOr<Replica> StartReplica(const std::string& dir, int index, const std::string& store) {
  Replica r;
  r.log = absl::StrCat(dir, "/collectionsd-", index, ".log");
  absl::StatusOr<pid_t> pid =
      SpawnProcess({COLLECTIONSD_PATH, "--listen=127.0.0.1:0", absl::StrCat("--store=", store),
                    "--log_requests=false", "--workers=8"},
                   r.log);
  if (!pid.ok()) return pid.status();
  r.pid = *pid;
  // main.cc logs {"msg":"serving","listen":"127.0.0.1:<port>",...} once
  // the port is bound.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    const std::string text = ReadFile(r.log);
    const size_t at = text.find("\"listen\":\"127.0.0.1:");
    if (text.find("\"msg\":\"serving\"") != std::string::npos && at != std::string::npos) {
      const size_t begin = at + std::string("\"listen\":\"127.0.0.1:").size();
      const size_t end = text.find('"', begin);
      if (absl::SimpleAtoi(text.substr(begin, end - begin), &r.port)) return r;
    }
    int status = 0;
    if (waitpid(r.pid, &status, WNOHANG) == r.pid) {
      return absl::InternalError(absl::StrCat("collectionsd exited at start:\n", text));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  kill(r.pid, SIGKILL);
  waitpid(r.pid, nullptr, 0);
  return absl::DeadlineExceededError(
      absl::StrCat("collectionsd did not report a port:\n", ReadFile(r.log)));
}

// SIGTERM, then the exit status (0 = a graceful shutdown).
int StopReplica(const Replica& r) {
  kill(r.pid, SIGTERM);
  int status = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (waitpid(r.pid, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(r.pid, SIGKILL);
      waitpid(r.pid, &status, 0);
      return -1;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What one sequential run of the workload yields on a single SQLite server.
struct Reference {
  std::vector<std::string> event_content;
  std::vector<v1::AccountSummary> summaries;
  std::map<std::string, std::pair<int, int64_t>> invoices;
  std::vector<std::vector<std::string>> payments;
};

Reference RunReference() {
  TestServer srv;
  LedgerClient client(srv.channel());
  v1::SyncLedgerResponse resp;
  grpc::Status st = client.Sync(LedgerStream("reference"), &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  for (const Operation& op : PaymentOperations()) {
    std::string answer;
    st = client.Run(op, "reference-pay", &answer);
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  Reference ref;
  ref.event_content = EventContent(client.Events());
  for (int c = 0; c < kCustomers; ++c) {
    ref.summaries.push_back(client.Summary(c));
    ref.payments.push_back(PaymentsWithoutTimes(client, c));
  }
  ref.invoices = client.Invoices();
  return ref;
}

class ReplicasTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    char tmpl[] = "/tmp/replicas-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (int i = 0; i < kReplicas; ++i) {
      absl::StatusOr<Replica> r = StartReplica(dir_, i, uri_);
      ASSERT_TRUE(r.ok()) << r.status();
      replicas_.push_back(*r);
      clients_.push_back(std::make_unique<LedgerClient>(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", r->port), grpc::InsecureChannelCredentials())));
    }
  }
  void TearDown() override {
    for (const Replica& r : replicas_) {
      EXPECT_EQ(StopReplica(r), 0) << "collectionsd did not shut down cleanly:\n"
                                   << ReadFile(r.log);
    }
    if (HasFailure()) {
      for (const Replica& r : replicas_) std::cerr << r.log << ":\n" << ReadFile(r.log) << "\n";
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::vector<Replica> replicas_;
  std::vector<std::unique_ptr<LedgerClient>> clients_;
};

TEST_F(ReplicasTest, ConcurrentClientsOnTwoReplicasMatchOneServer) {
  const Reference ref = RunReference();
  ASSERT_FALSE(ref.event_content.empty());
  const size_t expected_events = ref.event_content.size();

  // The watcher follows the log on replica 0 from the start.
  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  std::vector<v1::Event> watched;
  absl::Mutex watched_mu;
  std::thread watcher([&] {
    v1::WatchEventsRequest req;
    req.set_parent(kParent);
    auto stream = clients_[0]->audit().WatchEvents(&watch_ctx, req);
    v1::Event e;
    while (stream->Read(&e)) {
      absl::MutexLock l(&watched_mu);
      watched.push_back(e);
    }
    stream->Finish().IgnoreError();
  });

  std::latch synced(kClients);
  absl::Mutex answers_mu;
  std::map<std::string, std::vector<std::string>> answers;  // per request id / sync ref
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      LedgerClient& client = *clients_[t % kReplicas];
      v1::SyncLedgerResponse resp;
      grpc::Status st = client.Sync(LedgerStream(absl::StrCat("ledger-", t)), &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      EXPECT_EQ(resp.chunks_applied(), 3) << resp.DebugString();
      EXPECT_EQ(resp.rejected() + resp.chunks_rejected(), 0) << resp.DebugString();
      EXPECT_EQ(resp.created() + resp.updated() + resp.unchanged(), kCustomers * (1 + kInvoices));
      synced.arrive_and_wait();
      std::vector<Operation> ops = PaymentOperations();
      std::shuffle(ops.begin(), ops.end(), std::mt19937(t));
      for (const Operation& op : ops) {
        std::string answer;
        st = client.Run(op, absl::StrCat("pay-", t, "-", op.payment.external_ref().id()), &answer);
        EXPECT_TRUE(st.ok()) << op.payment.external_ref().id() << ": " << st.error_message();
        absl::MutexLock l(&answers_mu);
        answers[op.payment.external_ref().id()].push_back(answer);
      }
    });
  }
  for (auto& t : clients) t.join();

  // Every replay answered what the first call answered.
  ASSERT_EQ(answers.size(), PaymentOperations().size());
  for (const auto& [key, list] : answers) {
    ASSERT_EQ(list.size(), static_cast<size_t>(kClients));
    for (const auto& a : list) EXPECT_EQ(a, list[0]) << key;
  }

  // The log: exactly the reference's events, in strictly increasing order,
  // the same through either replica.
  const std::vector<v1::Event> events = clients_[1]->Events();
  EXPECT_EQ(events.size(), expected_events);
  EXPECT_EQ(EventContent(events), ref.event_content);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_LT(events[i - 1].sequence(), events[i].sequence());
  }
  std::vector<int64_t> sequences;
  for (const auto& e : events) sequences.push_back(e.sequence());
  std::vector<int64_t> via_replica0;
  for (const auto& e : clients_[0]->Events()) via_replica0.push_back(e.sequence());
  EXPECT_EQ(via_replica0, sequences);

  // The watcher on replica 0 saw the whole log in order: the events that
  // replica 1 wrote included.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    {
      absl::MutexLock l(&watched_mu);
      if (watched.size() >= events.size()) break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  watch_ctx.TryCancel();
  watcher.join();
  std::vector<int64_t> watched_sequences;
  for (const auto& e : watched) watched_sequences.push_back(e.sequence());
  EXPECT_EQ(watched_sequences, sequences);

  // Balances, invoices and payment applications, on both replicas.
  for (auto& client : clients_) {
    for (int c = 0; c < kCustomers; ++c) {
      v1::AccountSummary got = client->Summary(c);
      EXPECT_TRUE(MessageDifferencer::Equals(got, ref.summaries[c]))
          << "customer " << c << "\ngot:\n"
          << got.DebugString() << "\nwant:\n"
          << ref.summaries[c].DebugString();
      EXPECT_EQ(PaymentsWithoutTimes(*client, c), ref.payments[c]);
    }
    EXPECT_EQ(client->Invoices(), ref.invoices);
  }

  // And in the database itself: one settlement per payment, one stored
  // request per request id.
  EXPECT_EQ(PgQuery(uri_, "SELECT count(*) FROM settlements").value_or("?"),
            absl::StrCat(3 * kCustomers));
  EXPECT_EQ(PgQuery(uri_, "SELECT count(*) FROM requests").value_or("?"),
            absl::StrCat(2 * kCustomers));
  EXPECT_EQ(PgQuery(uri_, "SELECT count(*) FROM docs WHERE kind = 'payment'").value_or("?"),
            absl::StrCat(3 * kCustomers));
}

}  // namespace
}  // namespace collections::testing
