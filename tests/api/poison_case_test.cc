// One account whose stored data is corrupt holds back no other: the daily
// run (RunCollections) and the catch-up of cases a bulk sync deferred pass
// over it, name it in the reply, write nothing of it, and take it up again
// once it is repaired. A store that fails as a whole still stops the run.
// The corruption is made the way it happens: bytes of one stored invoice
// changed under the running server, in its SQLite file.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/store/faulty_store.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

const char kTenant[] = "tenants/acme";

absl::Time Noon(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 12, 0, 0), absl::UTCTimeZone());
}

// Replaces the stored body of invoice `number` of tenant "acme" in the
// SQLite file at `path`; returns the body it held.
std::string SetInvoiceBody(const std::string& path, const std::string& number,
                           const std::string& body) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  std::string old;
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT body FROM invoices WHERE tenant='acme' AND number=?", -1,
                               &s, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(s, 1, number.c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(s), SQLITE_ROW) << number;
  old.assign(static_cast<const char*>(sqlite3_column_blob(s, 0)),
             static_cast<size_t>(sqlite3_column_bytes(s, 0)));
  sqlite3_finalize(s);
  EXPECT_EQ(sqlite3_prepare_v2(db, "UPDATE invoices SET body=? WHERE tenant='acme' AND number=?",
                               -1, &s, nullptr),
            SQLITE_OK);
  sqlite3_bind_blob(s, 1, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, number.c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return old;
}

// Field 1 (the invoice's name) declared 100 bytes long with 1 present.
const std::string kCorrupt("\x0a\x64x", 3);

class PoisonCase : public ::testing::Test {
 protected:
  PoisonCase()
      : srv_(
            Noon(2026, 11, 20), "",
            [this](std::unique_ptr<store::Store> s) {
              auto faulty = std::make_unique<store::FaultyStore>(std::move(s));
              faulty_ = faulty.get();
              return faulty;
            },
            // Only the readers' and the run's own catch-up move deferred cases.
            [](server::ServerOptions& o) { o.refresh_deferred_cases = false; }),
        cases_(v1::CaseService::NewStub(srv_.channel())),
        recovery_(v1::RecoveryService::NewStub(srv_.channel())) {}

  v1::RunCollectionsResponse Run(grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    v1::RunCollectionsRequest req;
    req.set_parent(kTenant);
    *req.mutable_as_of() = D(2026, 11, 20);
    v1::RunCollectionsResponse out;
    const grpc::Status st = recovery_->RunCollections(&ctx, req, &out);
    if (status != nullptr) {
      *status = st;
    } else {
      EXPECT_TRUE(st.ok()) << st.error_message();
    }
    return out;
  }

  // The customer of each outbox action (StreamActions from the start).
  std::multiset<std::string> ActionCustomers() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::StreamActionsRequest req;
    req.set_parent(kTenant);
    auto reader = recovery_->StreamActions(&ctx, req);
    std::multiset<std::string> out;
    v1::OutboxAction a;
    while (reader->Read(&a)) out.insert(a.customer());
    const grpc::Status st = reader->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  // Customer i with one invoice "INV-i" of 1,000 + i EUR due 2026-10-01
  // (50 days overdue on 2026-11-20): one customer per write, so each case
  // moves with its write, or all of them in one chunk, so that each case is
  // deferred. Returns the resource names.
  std::vector<std::string> Seed(int n, bool one_chunk) {
    std::vector<std::string> names(n);
    std::vector<v1::SyncRecord> recs;
    for (int i = 0; i < n; ++i) {
      const v1::Customer c = MakeCustomer(absl::StrFormat("C%03d", i), absl::StrFormat("D %d", i));
      const v1::Invoice inv = MakeInvoice(absl::StrFormat("INV-%03d", i), D(2026, 9, 1),
                                          D(2026, 10, 1), "EUR", (1000 + i) * 100);
      if (!one_chunk) {
        names[i] = SeedCustomer(srv_, c);
        SeedInvoice(srv_, names[i], inv);
        continue;
      }
      v1::SyncRecord cr;
      *cr.mutable_customer() = c;
      recs.push_back(cr);
      v1::SyncRecord ir;
      *ir.mutable_invoice() = inv;
      ir.set_customer_ref(absl::StrFormat("C%03d", i));
      recs.push_back(ir);
    }
    if (one_chunk) {
      const v1::SyncLedgerResponse resp = SyncChunk(srv_, kTenant, "bulk", recs);
      EXPECT_EQ(resp.rejected(), 0);
      for (const v1::RecordOutcome& o : resp.outcomes()) {
        if (o.record_index() % 2 == 0) names[o.record_index() / 2] = o.name();
      }
    }
    return names;
  }

  store::FaultyStore* faulty_ = nullptr;
  TestServer srv_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
};

TEST_F(PoisonCase, ADueCaseThatFailsOnItsDataHoldsBackNoOther) {
  const std::vector<std::string> names = Seed(5, /*one_chunk=*/false);
  const std::string good_body = SetInvoiceBody(srv_.db_path(), "INV-002", kCorrupt);

  const v1::RunCollectionsResponse first = Run();
  EXPECT_EQ(first.failed(), 1);
  ASSERT_EQ(first.failure_samples_size(), 1);
  EXPECT_EQ(first.failure_samples(0).code(), "INTERNAL");
  EXPECT_TRUE(absl::StartsWith(first.failure_samples(0).text(), names[2] + ": not advanced: "))
      << first.failure_samples(0).text();
  // What failed is named: the invoice by its number.
  EXPECT_NE(first.failure_samples(0).text().find("(number INV-002) does not parse"),
            std::string::npos)
      << first.failure_samples(0).text();
  EXPECT_EQ(first.evaluated(), 4);
  // Every other account got its step; nothing was written for the failed one.
  std::multiset<std::string> acted = ActionCustomers();
  EXPECT_EQ(acted.count(names[2]), 0u);
  EXPECT_EQ(acted.size(), static_cast<size_t>(first.actions_created()));
  for (int i : {0, 1, 3, 4}) EXPECT_EQ(acted.count(names[i]), 1u) << i;

  // The failed case stays due: a re-run tries it again, and only it.
  const v1::RunCollectionsResponse again = Run();
  EXPECT_EQ(again.failed(), 1);
  EXPECT_EQ(again.evaluated(), 0);
  EXPECT_EQ(again.actions_created(), 0);

  // Repaired, it takes its step; the others are not touched again.
  SetInvoiceBody(srv_.db_path(), "INV-002", good_body);
  const v1::RunCollectionsResponse repaired = Run();
  EXPECT_EQ(repaired.failed(), 0);
  EXPECT_EQ(repaired.failure_samples_size(), 0);
  EXPECT_EQ(repaired.evaluated(), 1);
  acted = ActionCustomers();
  EXPECT_EQ(acted.count(names[2]), 1u);
  EXPECT_EQ(acted.size(), 5u);
}

TEST_F(PoisonCase, ADeferredCaseThatFailsOnItsDataHoldsBackNoOther) {
  constexpr int kCustomers = 40;  // more than a write moves inline: all deferred
  const std::vector<std::string> names = Seed(kCustomers, /*one_chunk=*/true);
  const std::string good_body = SetInvoiceBody(srv_.db_path(), "INV-007", kCorrupt);

  // The work queue's catch-up passes over it too.
  {
    grpc::ClientContext ctx;
    v1::ListWorkQueueRequest req;
    req.set_parent(kTenant);
    req.set_page_size(100);
    v1::ListWorkQueueResponse resp;
    const grpc::Status st = recovery_->ListWorkQueue(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    std::set<std::string> listed;
    for (const v1::WorkQueueItem& item : resp.items()) listed.insert(item.customer());
    EXPECT_EQ(listed.count(names[7]), 0u);
    EXPECT_EQ(listed.count(names[8]), 1u);
  }
  const v1::RunCollectionsResponse first = Run();
  EXPECT_EQ(first.failed(), 1);
  ASSERT_EQ(first.failure_samples_size(), 1);
  EXPECT_EQ(first.failure_samples(0).code(), "INTERNAL");
  EXPECT_TRUE(absl::StartsWith(first.failure_samples(0).text(),
                               names[7] + ": case not brought up to date with the ledger: "))
      << first.failure_samples(0).text();
  EXPECT_EQ(first.evaluated(), kCustomers - 1);
  EXPECT_EQ(ActionCustomers().count(names[7]), 0u);

  // Its own reader sees the error, naming what does not parse.
  {
    grpc::ClientContext ctx;
    v1::GetCaseRequest req;
    req.set_name(names[7] + "/case");
    v1::Case out;
    const grpc::Status st = cases_->GetCase(&ctx, req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL) << st.error_message();
  }
  EXPECT_NE(first.failure_samples(0).text().find("(number INV-007) does not parse"),
            std::string::npos)
      << first.failure_samples(0).text();

  SetInvoiceBody(srv_.db_path(), "INV-007", good_body);
  const v1::RunCollectionsResponse repaired = Run();
  EXPECT_EQ(repaired.failed(), 0);
  EXPECT_EQ(repaired.evaluated(), 1);
  EXPECT_EQ(ActionCustomers().count(names[7]), 1u);
}

// The store failing as a whole is not a case's data: the run stops with the
// error, writes nothing, and a run after the store is back does the work.
TEST_F(PoisonCase, AStoreFailureStillStopsTheRun) {
  const std::vector<std::string> names = Seed(5, /*one_chunk=*/false);
  faulty_->FailWrites(absl::UnavailableError("database is gone"));
  grpc::Status st;
  Run(&st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  faulty_->Heal();
  EXPECT_TRUE(ActionCustomers().empty());
  const v1::RunCollectionsResponse after = Run();
  EXPECT_EQ(after.failed(), 0);
  EXPECT_EQ(after.evaluated(), 5);
  EXPECT_EQ(ActionCustomers().size(), 5u);
}

}  // namespace
}  // namespace collections::testing
