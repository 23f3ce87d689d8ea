// The fixture of the store conformance suite (store_conformance_test.cc and
// store_conformance_tenants_test.cc): the backends it is stamped out for,
// record builders, and a store of the parameter's backend per test.
#ifndef COLLECTIONS_TESTS_STORE_STORE_CONFORMANCE_H_
#define COLLECTIONS_TESTS_STORE_STORE_CONFORMANCE_H_

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/base/status_macros.h"
#include "service/store/copy_tenant.h"
#include "service/store/store.h"
#include "tests/store/pg_harness.h"

namespace collections::store::conformance {

using ::collections::testing::FreshPostgresDatabase;
using ::collections::testing::PostgresRequired;

enum class BackendKind { kSqliteFile, kSqliteMemory, kPostgres };
struct Backend {
  const char* name;
  BackendKind kind;
};
inline void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

// Bodies are arbitrary bytes: NUL, high bytes, invalid UTF-8.
inline const std::string kBinaryBody("\0\x01\xff\xfe body \x80", 11);

inline Doc MakeDoc(std::string kind, std::string id, std::string customer = "",
                   std::string ref = "", std::string number = "", std::string body = "b") {
  return Doc{std::move(kind), std::move(id),     std::move(customer),
             std::move(ref),  std::move(number), std::move(body)};
}

inline InvoiceRow MakeInvoice(std::string id, std::string customer, std::string currency,
                              int64_t issue_day, int64_t due_day, int64_t total, int64_t amount_due,
                              int status, std::string ref = "") {
  InvoiceRow r;
  r.id = id;
  r.customer = std::move(customer);
  r.ref = std::move(ref);
  r.number = "N-" + id;
  r.currency = std::move(currency);
  r.issue_day = issue_day;
  r.due_day = due_day;
  r.total = total;
  r.amount_due = amount_due;
  r.status = status;
  r.body = "invoice " + id;
  return r;
}

// Value tuples, so that gtest compares and prints whole rows.
inline auto Fields(const Doc& d) {
  return std::make_tuple(d.kind, d.id, d.customer, d.ref, d.number, d.body);
}
inline auto Fields(const InvoiceRow& r) {
  return std::make_tuple(r.id, r.customer, r.ref, r.number, r.currency, r.issue_day, r.due_day,
                         r.total, r.amount_due, r.status, r.body);
}
inline auto Fields(const SettlementRow& s) {
  return std::make_tuple(s.invoice_id, s.source_kind, s.source_id, s.day, s.amount);
}
inline auto Fields(const AgingCell& c) {
  return std::make_tuple(c.customer, c.currency, c.bucket, c.amount, c.count);
}
template <typename T>
inline auto AllFields(const std::vector<T>& v) {
  std::vector<decltype(Fields(v[0]))> out;
  for (const auto& x : v) out.emplace_back(Fields(x));
  return out;
}

inline std::vector<std::string> Ids(const std::vector<Doc>& docs) {
  std::vector<std::string> out;
  for (const auto& d : docs) out.push_back(d.id);
  return out;
}
inline std::vector<std::string> Ids(const std::vector<InvoiceRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.id);
  return out;
}
inline std::vector<int64_t> Sequences(const std::vector<EventRow>& events) {
  std::vector<int64_t> out;
  for (const auto& e : events) out.push_back(e.sequence);
  return out;
}

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    switch (GetParam().kind) {
      case BackendKind::kSqliteFile: {
        char tmpl[] = "/tmp/store-conformance-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        uri_ = absl::StrCat("sqlite:", dir_, "/ledger.db");
        break;
      }
      case BackendKind::kSqliteMemory:
        uri_ = "sqlite::memory:";
        break;
      case BackendKind::kPostgres: {
        absl::StatusOr<std::string> uri = FreshPostgresDatabase();
        if (!uri.ok()) {
          if (PostgresRequired()) FAIL() << uri.status();
          GTEST_SKIP() << uri.status();
        }
        uri_ = *uri;
        break;
      }
    }
    absl::StatusOr<std::unique_ptr<Store>> s = OpenStore(uri_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Whether a second Store opened on uri_ sees the same data.
  bool Shareable() const { return GetParam().kind != BackendKind::kSqliteMemory; }
  // A second Store over the same data (another replica), or store_ itself
  // for :memory:.
  Store& Other() {
    if (!Shareable()) return *store_;
    if (other_ == nullptr) {
      absl::StatusOr<std::unique_ptr<Store>> s = OpenStore(uri_);
      EXPECT_TRUE(s.ok()) << s.status();
      if (!s.ok()) return *store_;
      other_ = *std::move(s);
    }
    return *other_;
  }

  absl::Status Write(absl::string_view tenant, const std::function<absl::Status(Transaction&)>& fn,
                     Store* store = nullptr) {
    return (store != nullptr ? store : store_.get())->Run(tenant, TxMode::kWrite, fn);
  }
  absl::Status Read(absl::string_view tenant, const std::function<absl::Status(Transaction&)>& fn) {
    return store_->Run(tenant, TxMode::kRead, fn);
  }
  std::optional<Doc> GetDoc(absl::string_view tenant, absl::string_view kind,
                            absl::string_view id) {
    std::optional<Doc> out;
    EXPECT_TRUE(Read(tenant, [&](Transaction& tx) -> absl::Status {
                  ASSIGN_OR_RETURN(out, tx.GetDoc(kind, id));
                  return absl::OkStatus();
                }).ok());
    return out;
  }
  std::optional<InvoiceRow> GetInvoice(absl::string_view tenant, absl::string_view id) {
    std::optional<InvoiceRow> out;
    EXPECT_TRUE(Read(tenant, [&](Transaction& tx) -> absl::Status {
                  ASSIGN_OR_RETURN(out, tx.GetInvoice(id));
                  return absl::OkStatus();
                }).ok());
    return out;
  }
  std::vector<EventRow> Events(absl::string_view tenant, EventFilter f = {}) {
    f.limit = 100000;
    absl::StatusOr<std::vector<EventRow>> events = store_->ListEvents(tenant, f);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<EventRow>();
  }
  std::vector<AgingCell> Aging(absl::string_view tenant, AgingQuery q) {
    if (q.bucket_bounds.empty()) q.bucket_bounds = {30, 60, 90};
    absl::StatusOr<std::vector<AgingCell>> cells = store_->Aging(tenant, q);
    EXPECT_TRUE(cells.ok()) << cells.status();
    return cells.ok() ? *cells : std::vector<AgingCell>();
  }
  static absl::StatusOr<int64_t> Append(Transaction& tx, absl::string_view customer,
                                        absl::string_view resource, absl::string_view body = "e") {
    return tx.AppendEvent(
        EventRow{0, "", std::string(customer), std::string(resource), std::string(body), ""});
  }
  // Appends three events to "acme" in one transaction (c1's invoice i1,
  // c2's invoice i2, c1's payment p1, with kBinaryBody) and one to "other";
  // returns acme's sequences in that order, empty on failure.
  std::vector<int64_t> AppendSampleEvents() {
    std::vector<int64_t> seq;
    absl::Status st = Write("acme", [&](Transaction& tx) -> absl::Status {
      seq.clear();
      for (auto [customer, resource] : std::vector<std::pair<std::string, std::string>>{
               {"c1", "tenants/acme/customers/c1/invoices/i1"},
               {"c2", "tenants/acme/customers/c2/invoices/i2"},
               {"c1", "tenants/acme/customers/c1/payments/p1"}}) {
        ASSIGN_OR_RETURN(int64_t s, Append(tx, customer, resource, kBinaryBody));
        seq.push_back(s);
      }
      return absl::OkStatus();
    });
    if (st.ok()) {
      st = Write("other", [&](Transaction& tx) {
        return Append(tx, "c1", "tenants/other/customers/c1").status();
      });
    }
    EXPECT_TRUE(st.ok()) << st;
    return st.ok() ? seq : std::vector<int64_t>();
  }

  std::string dir_;
  std::string uri_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> other_;
};

inline const Backend kBackends[] = {
    {"SqliteFile", BackendKind::kSqliteFile},
    {"SqliteMemory", BackendKind::kSqliteMemory},
    {"Postgres", BackendKind::kPostgres},
};
inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

}  // namespace collections::store::conformance

#endif  // COLLECTIONS_TESTS_STORE_STORE_CONFORMANCE_H_
