// One conformance suite for every Store backend: the same tests, stamped out
// for SQLite (a temporary file and :memory:) and PostgreSQL (a fresh database
// on the throwaway cluster of pg_harness.h). A backend is correct when it
// answers exactly as these tests expect; the SQLite store is the reference.
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
#include "service/domain/status_macros.h"
#include "service/store/copy_tenant.h"
#include "service/store/store.h"
#include "tests/store/pg_harness.h"

namespace collections::store {
namespace {

using ::collections::testing::FreshPostgresDatabase;
using ::collections::testing::PostgresRequired;

enum class BackendKind { kSqliteFile, kSqliteMemory, kPostgres };
struct Backend {
  const char* name;
  BackendKind kind;
};
void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

// Bodies are arbitrary bytes: NUL, high bytes, invalid UTF-8.
const std::string kBinaryBody("\0\x01\xff\xfe body \x80", 11);

Doc MakeDoc(std::string kind, std::string id, std::string customer = "", std::string ref = "",
            std::string number = "", std::string body = "b") {
  return Doc{std::move(kind), std::move(id),     std::move(customer),
             std::move(ref),  std::move(number), std::move(body)};
}

InvoiceRow MakeInvoice(std::string id, std::string customer, std::string currency,
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
auto Fields(const Doc& d) {
  return std::make_tuple(d.kind, d.id, d.customer, d.ref, d.number, d.body);
}
auto Fields(const InvoiceRow& r) {
  return std::make_tuple(r.id, r.customer, r.ref, r.number, r.currency, r.issue_day, r.due_day,
                         r.total, r.amount_due, r.status, r.body);
}
auto Fields(const SettlementRow& s) {
  return std::make_tuple(s.invoice_id, s.source_kind, s.source_id, s.day, s.amount);
}
auto Fields(const AgingCell& c) {
  return std::make_tuple(c.customer, c.currency, c.bucket, c.amount, c.count);
}
template <typename T>
auto AllFields(const std::vector<T>& v) {
  std::vector<decltype(Fields(v[0]))> out;
  for (const auto& x : v) out.emplace_back(Fields(x));
  return out;
}

std::vector<std::string> Ids(const std::vector<Doc>& docs) {
  std::vector<std::string> out;
  for (const auto& d : docs) out.push_back(d.id);
  return out;
}
std::vector<std::string> Ids(const std::vector<InvoiceRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.id);
  return out;
}
std::vector<int64_t> Sequences(const std::vector<EventRow>& events) {
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
    return tx.AppendEvent(EventRow{0, "", std::string(customer), std::string(resource),
                                   std::string(body)});
  }

  std::string dir_;
  std::string uri_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> other_;
};

// ---------------------------------------------------------------- documents

TEST_P(StoreConformance, DocRoundTripsEveryFieldAndBinaryBody) {
  const Doc d = MakeDoc("customer", "c-1", "c-1", "erp/C1", "K-001", kBinaryBody);
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) { return tx.PutDoc(d); }).ok());
  std::optional<Doc> got = GetDoc("acme", "customer", "c-1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(Fields(*got), Fields(d));
  EXPECT_EQ(got->body.size(), kBinaryBody.size());
  EXPECT_FALSE(GetDoc("acme", "customer", "c-2").has_value());
  EXPECT_FALSE(GetDoc("acme", "payment", "c-1").has_value());
}

TEST_P(StoreConformance, PutDocReplacesAndDeleteRemoves) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutDoc(MakeDoc("payment", "p-1", "c-1", "bank/1", "", "v1"));
              }).ok());
  // Replace: every column follows, and an optional ref/number may go away.
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutDoc(MakeDoc("payment", "p-1", "c-2", "", "PN-9", "v2"));
              }).ok());
  std::optional<Doc> got = GetDoc("acme", "payment", "p-1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(Fields(*got), Fields(MakeDoc("payment", "p-1", "c-2", "", "PN-9", "v2")));
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::optional<Doc> by_ref, tx.FindDocByRef("payment", "bank/1"));
                EXPECT_FALSE(by_ref.has_value());
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) { return tx.DeleteDoc("payment", "p-1"); }).ok());
  EXPECT_FALSE(GetDoc("acme", "payment", "p-1").has_value());
  // Deleting what is not there is not an error.
  EXPECT_TRUE(Write("acme", [&](Transaction& tx) { return tx.DeleteDoc("payment", "p-1"); }).ok());
}

TEST_P(StoreConformance, FindDocByRefAndByNumber) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("credit_note", "cn-2", "c-1", "erp/CN2", "CN-7")));
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("credit_note", "cn-1", "c-1", "erp/CN1", "CN-7")));
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("credit_note", "cn-3", "c-2", "erp/CN3", "CN-7")));
                return tx.PutDoc(MakeDoc("payment", "p-1", "c-1", "erp/CN1", "CN-7"));
              }).ok());
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::optional<Doc> r, tx.FindDocByRef("credit_note", "erp/CN3"));
                EXPECT_TRUE(r.has_value() && r->id == "cn-3");
                ASSIGN_OR_RETURN(r, tx.FindDocByRef("payment", "erp/CN1"));
                EXPECT_TRUE(r.has_value() && r->id == "p-1");
                ASSIGN_OR_RETURN(r, tx.FindDocByRef("credit_note", "erp/none"));
                EXPECT_FALSE(r.has_value());
                // Several documents share a number: the lowest id wins.
                ASSIGN_OR_RETURN(r, tx.FindDocByNumber("credit_note", "c-1", "CN-7"));
                EXPECT_TRUE(r.has_value() && r->id == "cn-1");
                ASSIGN_OR_RETURN(r, tx.FindDocByNumber("credit_note", "c-2", "CN-7"));
                EXPECT_TRUE(r.has_value() && r->id == "cn-3");
                ASSIGN_OR_RETURN(r, tx.FindDocByNumber("credit_note", "c-3", "CN-7"));
                EXPECT_FALSE(r.has_value());
                return absl::OkStatus();
              }).ok());
}

TEST_P(StoreConformance, DocRefIsUniquePerKindAndTheTransactionGoesOn) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutDoc(MakeDoc("customer", "c-1", "c-1", "erp/1"));
              }).ok());
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                absl::Status st = tx.PutDoc(MakeDoc("customer", "c-2", "c-2", "erp/1"));
                EXPECT_TRUE(absl::IsAlreadyExists(st)) << st;
                // The conflict does not poison the transaction.
                ASSIGN_OR_RETURN(std::optional<Doc> c1, tx.GetDoc("customer", "c-1"));
                EXPECT_TRUE(c1.has_value());
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c-3", "c-3", "erp/3")));
                // Same id, same ref: an update. Same ref, other kind: fine.
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c-1", "c-1", "erp/1", "", "v2")));
                return tx.PutDoc(MakeDoc("payment", "p-1", "c-1", "erp/1"));
              }).ok());
  EXPECT_FALSE(GetDoc("acme", "customer", "c-2").has_value());
  EXPECT_TRUE(GetDoc("acme", "customer", "c-3").has_value());
  EXPECT_EQ(GetDoc("acme", "customer", "c-1")->body, "v2");
  // Once c-1 lets go of the reference, another id may take it.
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c-1", "c-1", "erp/1-old")));
                return tx.PutDoc(MakeDoc("customer", "c-2", "c-2", "erp/1"));
              }).ok());
  EXPECT_EQ(GetDoc("acme", "customer", "c-2")->ref, "erp/1");
}

TEST_P(StoreConformance, ListDocsSortsIdsByBytesAndPaginates) {
  const std::vector<std::string> ids = {"a", "B", "_x", "10", "9", "a1", "Z"};
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                for (size_t i = 0; i < ids.size(); ++i) {
                  RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", ids[i], i % 2 ? "odd" : "even")));
                }
                return tx.PutDoc(MakeDoc("payment", "a", "even"));
              }).ok());
  std::vector<std::string> pages;
  std::vector<std::string> all;
  std::string after;
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                while (true) {
                  ASSIGN_OR_RETURN(std::vector<Doc> page, tx.ListDocs("customer", "", after, 3));
                  if (page.empty()) break;
                  for (const auto& d : page) all.push_back(d.id);
                  pages.push_back(absl::StrCat(page.size()));
                  after = page.back().id;
                }
                ASSIGN_OR_RETURN(std::vector<Doc> even, tx.ListDocs("customer", "even", "", 10));
                EXPECT_EQ(Ids(even), (std::vector<std::string>{"9", "Z", "_x", "a"}));
                ASSIGN_OR_RETURN(std::vector<Doc> odd, tx.ListDocs("customer", "odd", "B", 10));
                EXPECT_EQ(Ids(odd), (std::vector<std::string>{"a1"}));
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(all, (std::vector<std::string>{"10", "9", "B", "Z", "_x", "a", "a1"}));
  EXPECT_EQ(pages, (std::vector<std::string>{"3", "3", "1"}));
}

// ----------------------------------------------------------------- invoices

TEST_P(StoreConformance, InvoiceRoundTripsAndIsFoundByRefAndNumber) {
  InvoiceRow inv = MakeInvoice("i-1", "c-1", "EUR", 19000, 19030, 12345, 12000, 2, "erp/I1");
  inv.body = kBinaryBody;
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) { return tx.PutInvoice(inv); }).ok());
  std::optional<InvoiceRow> got = GetInvoice("acme", "i-1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(Fields(*got), Fields(inv));
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::optional<InvoiceRow> r, tx.FindInvoiceByRef("erp/I1"));
                EXPECT_TRUE(r.has_value() && r->id == "i-1");
                ASSIGN_OR_RETURN(r, tx.FindInvoiceByNumber("c-1", "N-i-1"));
                EXPECT_TRUE(r.has_value() && r->id == "i-1");
                ASSIGN_OR_RETURN(r, tx.FindInvoiceByNumber("c-2", "N-i-1"));
                EXPECT_FALSE(r.has_value());
                ASSIGN_OR_RETURN(r, tx.GetInvoice("i-2"));
                EXPECT_FALSE(r.has_value());
                return absl::OkStatus();
              }).ok());
  // Upsert by id replaces every column.
  InvoiceRow paid = MakeInvoice("i-1", "c-1", "EUR", 19000, 19035, 12345, 0, 3, "erp/I1b");
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) { return tx.PutInvoice(paid); }).ok());
  EXPECT_EQ(Fields(*GetInvoice("acme", "i-1")), Fields(paid));
}

TEST_P(StoreConformance, InvoiceRefIsUniqueAndTheTransactionGoesOn) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutInvoice(MakeInvoice("i-1", "c-1", "EUR", 1, 2, 100, 100, 1, "erp/1"));
              }).ok());
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                absl::Status st =
                    tx.PutInvoice(MakeInvoice("i-2", "c-1", "EUR", 1, 2, 100, 100, 1, "erp/1"));
                EXPECT_TRUE(absl::IsAlreadyExists(st)) << st;
                return tx.PutInvoice(MakeInvoice("i-3", "c-1", "EUR", 1, 2, 100, 100, 1, "erp/3"));
              }).ok());
  EXPECT_FALSE(GetInvoice("acme", "i-2").has_value());
  EXPECT_TRUE(GetInvoice("acme", "i-3").has_value());
  // Invoices without a reference never conflict.
  EXPECT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i-4", "c-1", "EUR", 1, 2, 1, 1, 1)));
                return tx.PutInvoice(MakeInvoice("i-5", "c-1", "EUR", 1, 2, 1, 1, 1));
              }).ok());
}

TEST_P(StoreConformance, ListInvoicesFiltersAndPaginates) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i1", "A", "EUR", 100, 130, 1000, 1000, 1)));
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i2", "A", "USD", 100, 120, 900, 500, 2)));
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i3", "B", "EUR", 100, 100, 800, 0, 3)));
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i4", "B", "EUR", 100, 110, 700, 700, 1)));
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i5", "A", "EUR", 50, 90, 300, 300, 5)));
                return tx.PutInvoice(MakeInvoice("i6", "A", "EUR", 50, 90, 300, 0, 4));
              }).ok());
  auto list = [&](InvoiceFilter f) {
    std::vector<std::string> ids;
    EXPECT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                  ASSIGN_OR_RETURN(std::vector<InvoiceRow> rows, tx.ListInvoices(f));
                  ids = Ids(rows);
                  return absl::OkStatus();
                }).ok());
    return ids;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(list({}), (V{"i1", "i2", "i3", "i4", "i5", "i6"}));
  EXPECT_EQ(list({.customer = "A"}), (V{"i1", "i2", "i5", "i6"}));
  EXPECT_EQ(list({.statuses = {1}}), (V{"i1", "i4"}));
  EXPECT_EQ(list({.statuses = {3, 4, 5}}), (V{"i3", "i5", "i6"}));
  EXPECT_EQ(list({.currency = "USD"}), (V{"i2"}));
  // Overdue: something left to pay, open or partially paid, due before the day.
  EXPECT_EQ(list({.overdue_as_of_day = 125}), (V{"i2", "i4"}));
  EXPECT_EQ(list({.overdue_as_of_day = 110}), V{});
  EXPECT_EQ(list({.customer = "B", .overdue_as_of_day = 125}), (V{"i4"}));
  EXPECT_EQ(list({.customer = "A", .statuses = {1, 5}, .currency = "EUR"}), (V{"i1", "i5"}));
  EXPECT_EQ(list({.limit = 4}), (V{"i1", "i2", "i3", "i4"}));
  EXPECT_EQ(list({.after_id = "i4", .limit = 4}), (V{"i5", "i6"}));
  EXPECT_EQ(list({.customer = "A", .after_id = "i2", .limit = 1}), (V{"i5"}));
}

// -------------------------------------------------------------- settlements

TEST_P(StoreConformance, ReplaceSettlementsReplacesOnlyThatSource) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i1", "A", "EUR", 1, 2, 1000, 1000, 1)));
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i2", "A", "EUR", 1, 2, 1000, 1000, 1)));
                RETURN_IF_ERROR(tx.ReplaceSettlements(
                    "payment", "p1", {{"i2", "", "", 10, 300}, {"i1", "", "", 10, 200}}));
                RETURN_IF_ERROR(
                    tx.ReplaceSettlements("credit_note", "cn1", {{"i1", "", "", 11, 50}}));
                return tx.ReplaceSettlements("payment", "p2", {{"i1", "", "", 12, 25}});
              }).ok());
  using S = SettlementRow;
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                // Grouped by invoice in the order asked; insertion order within.
                ASSIGN_OR_RETURN(std::vector<S> rows, tx.ListSettlements({"i2", "i1", "i9"}));
                EXPECT_EQ(AllFields(rows), AllFields(std::vector<S>{
                                               {"i2", "payment", "p1", 10, 300},
                                               {"i1", "payment", "p1", 10, 200},
                                               {"i1", "credit_note", "cn1", 11, 50},
                                               {"i1", "payment", "p2", 12, 25}}));
                ASSIGN_OR_RETURN(rows, tx.ListSettlementsBySource("payment", "p1"));
                EXPECT_EQ(AllFields(rows), AllFields(std::vector<S>{
                                               {"i2", "payment", "p1", 10, 300},
                                               {"i1", "payment", "p1", 10, 200}}));
                ASSIGN_OR_RETURN(rows, tx.ListSettlements({}));
                EXPECT_TRUE(rows.empty());
                return absl::OkStatus();
              }).ok());
  // A smaller replacement, then an empty one.
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.ReplaceSettlements("payment", "p1", {{"i1", "", "", 13, 400}});
              }).ok());
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.ReplaceSettlements("credit_note", "cn1", {});
              }).ok());
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::vector<S> rows, tx.ListSettlements({"i1", "i2"}));
                EXPECT_EQ(AllFields(rows), AllFields(std::vector<S>{
                                               {"i1", "payment", "p2", 12, 25},
                                               {"i1", "payment", "p1", 13, 400}}));
                ASSIGN_OR_RETURN(rows, tx.ListSettlementsBySource("credit_note", "cn1"));
                EXPECT_TRUE(rows.empty());
                return absl::OkStatus();
              }).ok());
}

TEST_P(StoreConformance, BadSettlementFailsAndWritesNothing) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutInvoice(MakeInvoice("i1", "A", "EUR", 1, 2, 1000, 1000, 1));
              }).ok());
  // An allocation to an unknown invoice, and a non-positive amount.
  const std::vector<std::vector<SettlementRow>> bad = {{{"i-missing", "", "", 10, 100}},
                                                       {{"i1", "", "", 10, 0}}};
  for (const auto& rows : bad) {
    absl::Status st = Write("acme", [&](Transaction& tx) -> absl::Status {
      RETURN_IF_ERROR(tx.PutDoc(MakeDoc("payment", "p1", "A")));
      RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p1", {{"i1", "", "", 9, 10}}));
      return tx.ReplaceSettlements("payment", "p2", rows);
    });
    EXPECT_FALSE(st.ok());
    EXPECT_FALSE(GetDoc("acme", "payment", "p1").has_value());
    ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                  ASSIGN_OR_RETURN(std::vector<SettlementRow> rows,
                                   tx.ListSettlements({"i1", "i-missing"}));
                  EXPECT_TRUE(rows.empty());
                  return absl::OkStatus();
                }).ok());
  }
}

// -------------------------------------------------------------------- aging

class AgingTest : public StoreConformance {
 protected:
  // Days are day numbers; bounds {30, 60, 90}: bucket 0 = not yet due,
  // 1 = 1..30 days past due, 2 = 31..60, 3 = 61..90, 4 = over 90.
  void SetUpPortfolio() {
    ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                  RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i1", "A", "EUR", 900, 990, 1000, 1000, 1)));
                  // 500 issued, 200 paid on day 960.
                  RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i2", "A", "EUR", 850, 950, 500, 300, 2)));
                  RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p1", {{"i2", "", "", 960, 200}}));
                  RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i3", "B", "EUR", 800, 1010, 700, 700, 1)));
                  RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i4", "B", "USD", 700, 800, 400, 400, 1)));
                  // Paid in full on day 850.
                  RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i5", "B", "EUR", 700, 800, 100, 0, 3)));
                  RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p2", {{"i5", "", "", 850, 100}}));
                  // Void: never counts.
                  return tx.PutInvoice(MakeInvoice("i6", "A", "EUR", 700, 800, 999, 999, 4));
                }).ok());
  }
  using Cells = std::vector<std::tuple<std::string, std::string, int, int64_t, int64_t>>;
};

TEST_P(AgingTest, FastPathUsesStoredAmountsWhenNothingHappenedAfterAsOf) {
  SetUpPortfolio();
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1000})),
            (Cells{{"A", "EUR", 1, 1000, 1},
                   {"A", "EUR", 2, 300, 1},
                   {"B", "EUR", 0, 700, 1},
                   {"B", "USD", 4, 400, 1}}));
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1000, .by_customer = false})),
            (Cells{{"", "EUR", 0, 700, 1},
                   {"", "EUR", 1, 1000, 1},
                   {"", "EUR", 2, 300, 1},
                   {"", "USD", 4, 400, 1}}));
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1000, .currency = "USD"})),
            (Cells{{"B", "USD", 4, 400, 1}}));
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1000, .customers = {"B", "Z"}})),
            (Cells{{"B", "EUR", 0, 700, 1}, {"B", "USD", 4, 400, 1}}));
  EXPECT_TRUE(Aging("other", {.as_of_day = 1000}).empty());
}

TEST_P(AgingTest, SlowPathReplaysSettlementsAsOfAnEarlierDay) {
  SetUpPortfolio();
  // Before the payment of day 960: i2 still owes all 500.
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 955})),
            (Cells{{"A", "EUR", 0, 1000, 1},
                   {"A", "EUR", 1, 500, 1},
                   {"B", "EUR", 0, 700, 1},
                   {"B", "USD", 4, 400, 1}}));
  // Before i1 was issued, and i5 already paid on day 850.
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 890})),
            (Cells{{"A", "EUR", 0, 500, 1},
                   {"B", "EUR", 0, 700, 1},
                   {"B", "USD", 3, 400, 1}}));
  // Before i5's payment (and before i1, i2 were issued), grouped by currency.
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 849, .by_customer = false})),
            (Cells{{"", "EUR", 0, 700, 1}, {"", "EUR", 2, 100, 1}, {"", "USD", 2, 400, 1}}));
}

TEST_P(AgingTest, FutureInvoiceForcesSlowPathWithSameAnswer) {
  SetUpPortfolio();
  const std::vector<AgingCell> fast = Aging("acme", {.as_of_day = 1000});
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutInvoice(MakeInvoice("i7", "A", "EUR", 1500, 1530, 50, 50, 1));
              }).ok());
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1000})), AllFields(fast));
  // And a later payment (day 1200) is ignored as of day 1000.
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i1", "A", "EUR", 900, 990, 1000, 0, 3)));
                return tx.ReplaceSettlements("payment", "p3", {{"i1", "", "", 1200, 1000}});
              }).ok());
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1000})), AllFields(fast));
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1600, .customers = {"A"}})),
            (Cells{{"A", "EUR", 3, 50, 1}, {"A", "EUR", 4, 300, 1}}));
}

TEST_P(AgingTest, InvoicedMeasureSumsTotalsByDaysSinceIssue) {
  SetUpPortfolio();
  // Bounds {100, 200, 300} on days since issue: paid invoices count (they
  // were sales), void ones never, and invoices issued after as_of neither.
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1000,
                                     .bucket_bounds = {100, 200, 300},
                                     .by_customer = false,
                                     .measure = AgingMeasure::kInvoiced})),
            (Cells{{"", "EUR", 1, 1000, 1},
                   {"", "EUR", 2, 1200, 2},
                   {"", "EUR", 3, 100, 1},
                   {"", "USD", 3, 400, 1}}));
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 860,
                                     .bucket_bounds = {100, 200, 300},
                                     .by_customer = false,
                                     .currency = "EUR",
                                     .measure = AgingMeasure::kInvoiced})),
            (Cells{{"", "EUR", 1, 1200, 2}, {"", "EUR", 2, 100, 1}}));
}

// ------------------------------------------------------------------- events

TEST_P(StoreConformance, EventsListInSequenceOrderWithFilters) {
  std::vector<int64_t> seq;
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                for (auto [customer, resource] :
                     std::vector<std::pair<std::string, std::string>>{
                         {"c1", "tenants/acme/customers/c1/invoices/i1"},
                         {"c2", "tenants/acme/customers/c2/invoices/i2"},
                         {"c1", "tenants/acme/customers/c1/payments/p1"}}) {
                  ASSIGN_OR_RETURN(int64_t s, Append(tx, customer, resource, kBinaryBody));
                  seq.push_back(s);
                }
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(Write("other", [&](Transaction& tx) {
                return Append(tx, "c1", "tenants/other/customers/c1").status();
              }).ok());
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(int64_t s, Append(tx, "", "tenants/acme/settings"));
                seq.push_back(s);
                return absl::OkStatus();
              }).ok());
  ASSERT_EQ(seq.size(), 4u);
  EXPECT_TRUE(std::is_sorted(seq.begin(), seq.end()));
  EXPECT_EQ(std::adjacent_find(seq.begin(), seq.end()), seq.end());

  std::vector<EventRow> all = Events("acme");
  EXPECT_EQ(Sequences(all), seq);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].tenant, "acme");
  EXPECT_EQ(all[0].customer, "c1");
  EXPECT_EQ(all[0].resource, "tenants/acme/customers/c1/invoices/i1");
  EXPECT_EQ(all[0].body, kBinaryBody);
  EXPECT_EQ(Sequences(Events("acme", {.after_sequence = seq[1]})),
            (std::vector<int64_t>{seq[2], seq[3]}));
  absl::StatusOr<std::vector<EventRow>> page = store_->ListEvents("acme", {.limit = 2});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Sequences(*page), (std::vector<int64_t>{seq[0], seq[1]}));
  EXPECT_EQ(Sequences(Events("acme", {.customer = "c1"})), (std::vector<int64_t>{seq[0], seq[2]}));
  EXPECT_EQ(Sequences(Events("acme", {.resource_prefix = "tenants/acme/customers/c1/"})),
            (std::vector<int64_t>{seq[0], seq[2]}));
  EXPECT_EQ(Sequences(Events("acme", {.customer = "c1", .resource_prefix = "tenants/acme/customers/c1/p"})),
            (std::vector<int64_t>{seq[2]}));
  EXPECT_EQ(Events("other").size(), 1u);
  EXPECT_TRUE(Events("nobody").empty());
}

TEST_P(StoreConformance, WaitForEventsWakesOnCommit) {
  std::atomic<bool> woke{false};
  const absl::Time start = absl::Now();
  std::thread waiter([&] {
    store_->WaitForEvents(0, start + absl::Seconds(60));
    woke = true;
  });
  // The waiter may start waiting after any given commit, so keep committing
  // (paced, not as synchronization) until it reports.
  int commits = 0;
  while (!woke && absl::Now() - start < absl::Seconds(30)) {
    absl::Status st = Write("acme", [&](Transaction& tx) { return Append(tx, "c", "r").status(); });
    EXPECT_TRUE(st.ok()) << st;
    ++commits;
    absl::SleepFor(absl::Milliseconds(20));
  }
  waiter.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_GE(commits, 1);
}

TEST_P(StoreConformance, WaitForEventsReturnsAtTheDeadline) {
  const absl::Time start = absl::Now();
  store_->WaitForEvents(0, start + absl::Milliseconds(200));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

// Writers on two stores (replicas) append while a follower pages through
// the log by cursor; the follower must see every event exactly once, in
// order. Appends hold their transaction open a little after taking a
// sequence, which is when a later sequence could otherwise commit first.
TEST_P(StoreConformance, FollowerByCursorSeesEveryEventOnceInOrder) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 25;
  std::atomic<bool> done{false};
  std::vector<int64_t> followed;
  std::thread follower([&] {
    int64_t cursor = 0;
    while (true) {
      const bool last_round = done;
      absl::StatusOr<std::vector<EventRow>> page =
          store_->ListEvents("acme", {.after_sequence = cursor, .limit = 7});
      ASSERT_TRUE(page.ok()) << page.status();
      for (const auto& e : *page) followed.push_back(e.sequence);
      if (!page->empty()) cursor = page->back().sequence;
      if (page->empty() && last_round) break;
      if (page->empty()) absl::SleepFor(absl::Milliseconds(1));
    }
  });
  Store& other = Other();
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::minstd_rand rng(w);
      for (int i = 0; i < kPerWriter; ++i) {
        absl::Status st = Write(
            "acme",
            [&](Transaction& tx) -> absl::Status {
              RETURN_IF_ERROR(Append(tx, "c", absl::StrCat("w", w, "/", i)).status());
              absl::SleepFor(absl::Microseconds(rng() % 2000));
              return absl::OkStatus();
            },
            w % 2 ? &other : store_.get());
        ASSERT_TRUE(st.ok()) << st;
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  follower.join();
  const std::vector<int64_t> all = Sequences(Events("acme"));
  ASSERT_EQ(all.size(), static_cast<size_t>(kWriters * kPerWriter));
  EXPECT_EQ(followed, all);
}

// ----------------------------------------------------------------- requests

TEST_P(StoreConformance, RequestRecordsAreWrittenOnce) {
  const StoredRequest first{"RecordPayment", "hash-1", kBinaryBody};
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::optional<StoredRequest> none, tx.GetRequest("req-1"));
                EXPECT_FALSE(none.has_value());
                return tx.PutRequest("req-1", first);
              }).ok());
  absl::Status again = Write("acme", [&](Transaction& tx) {
    return tx.PutRequest("req-1", StoredRequest{"RecordPayment", "hash-2", "other"});
  });
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  // Request ids are per tenant.
  ASSERT_TRUE(Write("other", [&](Transaction& tx) {
                return tx.PutRequest("req-1", StoredRequest{"SyncLedger", "h", "r"});
              }).ok());
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::optional<StoredRequest> got, tx.GetRequest("req-1"));
                EXPECT_TRUE(got.has_value());
                if (got) {
                  EXPECT_EQ(std::tie(got->method, got->request_hash, got->response),
                            std::tie(first.method, first.request_hash, first.response));
                }
                return absl::OkStatus();
              }).ok());
}

// The same payment (same request id) recorded by many clients at once, over
// two stores: exactly one application, one event and one request record.
TEST_P(StoreConformance, RacingSameRequestIdAppliesOnce) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutInvoice(MakeInvoice("i1", "A", "EUR", 1, 30, 1000, 1000, 1));
              }).ok());
  Store& other = Other();
  std::atomic<int> applied{0};
  std::atomic<int> replayed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      bool did_apply = false;
      absl::Status st = Write(
          "acme",
          [&](Transaction& tx) -> absl::Status {
            did_apply = false;
            ASSIGN_OR_RETURN(std::optional<StoredRequest> seen, tx.GetRequest("pay-1"));
            if (seen) return absl::OkStatus();
            ASSIGN_OR_RETURN(std::optional<InvoiceRow> inv, tx.GetInvoice("i1"));
            if (!inv) return absl::NotFoundError("i1");
            inv->amount_due -= 100;
            inv->status = 2;
            RETURN_IF_ERROR(tx.PutInvoice(*inv));
            RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "pay-1", {{"i1", "", "", 5, 100}}));
            RETURN_IF_ERROR(Append(tx, "A", "tenants/acme/customers/A/payments/pay-1").status());
            RETURN_IF_ERROR(tx.PutRequest("pay-1", StoredRequest{"RecordPayment", "h", "r"}));
            did_apply = true;
            return absl::OkStatus();
          },
          c % 2 ? &other : store_.get());
      ASSERT_TRUE(st.ok()) << st;
      (did_apply ? applied : replayed)++;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
  EXPECT_EQ(GetInvoice("acme", "i1")->amount_due, 900);
  EXPECT_EQ(Events("acme").size(), 1u);
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::vector<SettlementRow> rows, tx.ListSettlements({"i1"}));
                EXPECT_EQ(rows.size(), 1u);
                return absl::OkStatus();
              }).ok());
}

// Read-modify-write from many threads over two stores: no update is lost.
TEST_P(StoreConformance, ConcurrentIncrementsAreNotLost) {
  constexpr int kThreads = 4;
  constexpr int kEach = 20;
  Store& other = Other();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        absl::Status st = Write(
            "acme",
            [&](Transaction& tx) -> absl::Status {
              ASSIGN_OR_RETURN(std::optional<Doc> d, tx.GetDoc("counter", "n"));
              int64_t n = 0;
              if (d && !absl::SimpleAtoi(d->body, &n)) return absl::InternalError(d->body);
              RETURN_IF_ERROR(tx.PutDoc(MakeDoc("counter", "n", "", "", "", absl::StrCat(n + 1))));
              return Append(tx, "", "counter").status();
            },
            t % 2 ? &other : store_.get());
        ASSERT_TRUE(st.ok()) << st;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(GetDoc("acme", "counter", "n")->body, absl::StrCat(kThreads * kEach));
  EXPECT_EQ(Events("acme").size(), static_cast<size_t>(kThreads * kEach));
}

// ------------------------------------------------------------- transactions

TEST_P(StoreConformance, ErrorRollsBackEveryWrite) {
  const absl::Status boom = absl::FailedPreconditionError("boom");
  absl::Status st = Write("acme", [&](Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c1", "c1", "erp/c1")));
    RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i1", "c1", "EUR", 1, 2, 100, 100, 1, "erp/i1")));
    RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p1", {{"i1", "", "", 1, 10}}));
    RETURN_IF_ERROR(Append(tx, "c1", "r").status());
    RETURN_IF_ERROR(tx.PutRequest("req-1", StoredRequest{"m", "h", "r"}));
    return boom;
  });
  EXPECT_EQ(st, boom);
  EXPECT_FALSE(GetDoc("acme", "customer", "c1").has_value());
  EXPECT_FALSE(GetInvoice("acme", "i1").has_value());
  EXPECT_TRUE(Events("acme").empty());
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::vector<SettlementRow> rows,
                                 tx.ListSettlementsBySource("payment", "p1"));
                EXPECT_TRUE(rows.empty());
                ASSIGN_OR_RETURN(std::optional<StoredRequest> req, tx.GetRequest("req-1"));
                EXPECT_FALSE(req.has_value());
                ASSIGN_OR_RETURN(std::optional<Doc> by_ref, tx.FindDocByRef("customer", "erp/c1"));
                EXPECT_FALSE(by_ref.has_value());
                return absl::OkStatus();
              }).ok());
  absl::StatusOr<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_TRUE(tenants->empty());
  // The references stay free for the next, successful transaction.
  EXPECT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c2", "c2", "erp/c1")));
                return tx.PutRequest("req-1", StoredRequest{"m", "h", "r"});
              }).ok());
}

TEST_P(StoreConformance, ReadTransactionSeesCommittedWrites) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutDoc(MakeDoc("customer", "c1"));
              }).ok());
  const absl::Status not_found = absl::NotFoundError("stop");
  EXPECT_EQ(Read("acme", [&](Transaction& tx) -> absl::Status {
              ASSIGN_OR_RETURN(std::optional<Doc> d, tx.GetDoc("customer", "c1"));
              EXPECT_TRUE(d.has_value());
              return not_found;  // A read's own error comes back unchanged.
            }),
            not_found);
}

TEST_P(StoreConformance, ListTenantsNamesTenantsWithDocsInvoicesOrEvents) {
  ASSERT_TRUE(Write("b", [&](Transaction& tx) { return tx.PutDoc(MakeDoc("customer", "c")); }).ok());
  ASSERT_TRUE(Write("a", [&](Transaction& tx) {
                return tx.PutInvoice(MakeInvoice("i", "c", "EUR", 1, 2, 1, 1, 1));
              }).ok());
  ASSERT_TRUE(Write("c", [&](Transaction& tx) { return Append(tx, "", "r").status(); }).ok());
  ASSERT_TRUE(Write("b", [&](Transaction& tx) { return Append(tx, "", "r").status(); }).ok());
  absl::StatusOr<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok()) << tenants.status();
  EXPECT_EQ(*tenants, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_P(StoreConformance, TenantsAreIsolated) {
  auto fill = [&](absl::string_view tenant) {
    return Write(tenant, [&](Transaction& tx) -> absl::Status {
      RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c1", "c1", "erp/c1", "K1", std::string(tenant))));
      RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i1", "c1", "EUR", 1, 2, 100, 90, 2, "erp/i1")));
      RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p1", {{"i1", "", "", 1, 10}}));
      RETURN_IF_ERROR(Append(tx, "c1", "r").status());
      return tx.PutRequest("req-1", StoredRequest{"m", std::string(tenant), "r"});
    });
  };
  ASSERT_TRUE(fill("tenant-a").ok());
  ASSERT_TRUE(Read("tenant-b", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::optional<Doc> d, tx.GetDoc("customer", "c1"));
                EXPECT_FALSE(d.has_value());
                ASSIGN_OR_RETURN(d, tx.FindDocByRef("customer", "erp/c1"));
                EXPECT_FALSE(d.has_value());
                ASSIGN_OR_RETURN(d, tx.FindDocByNumber("customer", "c1", "K1"));
                EXPECT_FALSE(d.has_value());
                ASSIGN_OR_RETURN(std::vector<Doc> docs, tx.ListDocs("customer", "", "", 10));
                EXPECT_TRUE(docs.empty());
                ASSIGN_OR_RETURN(std::optional<InvoiceRow> i, tx.GetInvoice("i1"));
                EXPECT_FALSE(i.has_value());
                ASSIGN_OR_RETURN(i, tx.FindInvoiceByRef("erp/i1"));
                EXPECT_FALSE(i.has_value());
                ASSIGN_OR_RETURN(i, tx.FindInvoiceByNumber("c1", "N-i1"));
                EXPECT_FALSE(i.has_value());
                ASSIGN_OR_RETURN(std::vector<InvoiceRow> rows, tx.ListInvoices({}));
                EXPECT_TRUE(rows.empty());
                ASSIGN_OR_RETURN(std::vector<SettlementRow> s, tx.ListSettlements({"i1"}));
                EXPECT_TRUE(s.empty());
                ASSIGN_OR_RETURN(s, tx.ListSettlementsBySource("payment", "p1"));
                EXPECT_TRUE(s.empty());
                ASSIGN_OR_RETURN(std::optional<StoredRequest> r, tx.GetRequest("req-1"));
                EXPECT_FALSE(r.has_value());
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(Events("tenant-b").empty());
  EXPECT_TRUE(Aging("tenant-b", {.as_of_day = 10}).empty());
  // Tenant B may use the same ids, references and request ids; replacing
  // its settlements leaves A's alone.
  ASSERT_TRUE(fill("tenant-b").ok());
  ASSERT_TRUE(Write("tenant-b", [&](Transaction& tx) {
                return tx.ReplaceSettlements("payment", "p1", {});
              }).ok());
  EXPECT_EQ(GetDoc("tenant-a", "customer", "c1")->body, "tenant-a");
  EXPECT_EQ(GetDoc("tenant-b", "customer", "c1")->body, "tenant-b");
  ASSERT_TRUE(Read("tenant-a", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::vector<SettlementRow> s, tx.ListSettlements({"i1"}));
                EXPECT_EQ(s.size(), 1u);
                ASSIGN_OR_RETURN(std::optional<StoredRequest> r, tx.GetRequest("req-1"));
                EXPECT_TRUE(r.has_value() && r->request_hash == "tenant-a");
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(Events("tenant-a").size(), 1u);
  EXPECT_EQ(Events("tenant-b").size(), 1u);
}

TEST_P(StoreConformance, DataSurvivesReopen) {
  if (!Shareable()) GTEST_SKIP() << "an in-memory store ends with its process";
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c1", "c1", "erp/c1")));
                return Append(tx, "c1", "r").status();
              }).ok());
  store_.reset();
  absl::StatusOr<std::unique_ptr<Store>> reopened = OpenStore(uri_);  // migrations are a no-op
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = *std::move(reopened);
  EXPECT_TRUE(GetDoc("acme", "customer", "c1").has_value());
  EXPECT_EQ(Events("acme").size(), 1u);
}

// ---------------------------------------------------- enumeration and copy

// A tenant with a bit of everything, settlements replaced so that their
// insertion order differs from id order.
absl::Status FillTenant(Store& store, absl::string_view tenant) {
  return store.Run(tenant, TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.PutDoc(MakeDoc("payment", "p2", "A", "bank/2", "", kBinaryBody)));
    RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "A", "A", "erp/A", "K-1")));
    RETURN_IF_ERROR(tx.PutDoc(MakeDoc("payment", "p1", "A", "bank/1")));
    RETURN_IF_ERROR(tx.PutDoc(MakeDoc("contact", "x1", "A")));
    RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i2", "A", "EUR", 1, 30, 500, 100, 2, "erp/i2")));
    RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i1", "A", "EUR", 1, 30, 900, 0, 3, "erp/i1")));
    RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p2", {{"i1", "", "", 5, 100}}));
    RETURN_IF_ERROR(tx.ReplaceSettlements(
        "payment", "p1", {{"i2", "", "", 4, 400}, {"i1", "", "", 4, 300}}));
    RETURN_IF_ERROR(tx.ReplaceSettlements("credit_note", "c1", {{"i1", "", "", 6, 500}}));
    // Replaced last: p2's rows now come after p1's and c1's.
    RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p2", {{"i1", "", "", 7, 100}}));
    for (int i = 0; i < 3; ++i) {
      RETURN_IF_ERROR(
          tx.AppendEvent(EventRow{0, "", "A", absl::StrCat("r", i), absl::StrCat("body", i)})
              .status());
    }
    RETURN_IF_ERROR(tx.PutRequest("req-b", StoredRequest{"RecordPayment", "h2", kBinaryBody}));
    return tx.PutRequest("req-a", StoredRequest{"SyncLedger", "h1", "resp"});
  });
}

// Everything Transaction can enumerate about a tenant, as comparable text.
std::vector<std::string> Snapshot(Store& store, absl::string_view tenant) {
  std::vector<std::string> out;
  absl::Status st = store.Run(tenant, TxMode::kRead, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> kinds, tx.ListDocKinds());
    for (const auto& kind : kinds) {
      ASSIGN_OR_RETURN(std::vector<Doc> docs, tx.ListDocs(kind, "", "", 1000));
      for (const auto& d : docs) {
        out.push_back(absl::StrCat("doc ", d.kind, "|", d.id, "|", d.customer, "|", d.ref, "|",
                                   d.number, "|", d.body));
      }
    }
    ASSIGN_OR_RETURN(std::vector<InvoiceRow> invoices, tx.ListInvoices({}));
    for (const auto& r : invoices) {
      out.push_back(absl::StrCat("invoice ", r.id, "|", r.customer, "|", r.ref, "|", r.number, "|",
                                 r.currency, "|", r.issue_day, "|", r.due_day, "|", r.total, "|",
                                 r.amount_due, "|", r.status, "|", r.body));
    }
    ASSIGN_OR_RETURN(auto settlements, tx.ListSettlementsInOrder(0, 1000));
    for (const auto& [pos, r] : settlements) {
      out.push_back(absl::StrCat("settlement ", r.invoice_id, "|", r.source_kind, "|",
                                 r.source_id, "|", r.day, "|", r.amount));
    }
    ASSIGN_OR_RETURN(auto requests, tx.ListRequests("", 1000));
    for (const auto& [id, r] : requests) {
      out.push_back(absl::StrCat("request ", id, "|", r.method, "|", r.request_hash, "|",
                                 r.response));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st;
  absl::StatusOr<std::vector<EventRow>> events = store.ListEvents(tenant, {.limit = 1000});
  EXPECT_TRUE(events.ok()) << events.status();
  if (events.ok()) {
    for (const auto& e : *events) {
      out.push_back(absl::StrCat("event ", e.tenant, "|", e.customer, "|", e.resource, "|", e.body));
    }
  }
  return out;
}

TEST_P(StoreConformance, EnumeratesKindsRequestsAndSettlementsInOrder) {
  ASSERT_TRUE(FillTenant(*store_, "acme").ok());
  ASSERT_TRUE(Write("other", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("zebra", "z")));
                return tx.PutRequest("req-0", StoredRequest{"m", "h", "r"});
              }).ok());
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::vector<std::string> kinds, tx.ListDocKinds());
                EXPECT_EQ(kinds, (std::vector<std::string>{"contact", "customer", "payment"}));
                ASSIGN_OR_RETURN(auto requests, tx.ListRequests("", 10));
                if (requests.size() != 2) return absl::InternalError("expected 2 requests");
                EXPECT_EQ(requests[0].first, "req-a");
                EXPECT_EQ(requests[1].first, "req-b");
                EXPECT_EQ(requests[1].second.response, kBinaryBody);
                ASSIGN_OR_RETURN(requests, tx.ListRequests("req-a", 10));
                EXPECT_EQ(requests.size(), 1u);
                ASSIGN_OR_RETURN(auto rows, tx.ListSettlementsInOrder(0, 10));
                std::vector<std::string> order;
                for (const auto& [pos, r] : rows) {
                  order.push_back(absl::StrCat(r.source_id, ":", r.invoice_id));
                }
                EXPECT_EQ(order, (std::vector<std::string>{"p1:i2", "p1:i1", "c1:i1", "p2:i1"}));
                // Paging by position.
                ASSIGN_OR_RETURN(auto page, tx.ListSettlementsInOrder(0, 2));
                ASSIGN_OR_RETURN(auto rest, tx.ListSettlementsInOrder(page.back().first, 10));
                if (page.size() != 2 || rest.size() != 2) return absl::InternalError("paging");
                EXPECT_TRUE(page[0].first < page[1].first && page[1].first < rest[0].first);
                return absl::OkStatus();
              }).ok());
}

// CopyTenant into a second store of the same backend: everything arrives, in
// order, byte for byte; other tenants stay behind; a second copy is refused
// and changes nothing.
TEST_P(StoreConformance, CopyTenantCopiesEverythingInOrder) {
  ASSERT_TRUE(FillTenant(*store_, "acme").ok());
  ASSERT_TRUE(FillTenant(*store_, "other").ok());
  std::string target_uri = "sqlite::memory:";
  std::string target_dir;
  if (GetParam().kind == BackendKind::kSqliteFile) {
    target_uri = absl::StrCat("sqlite:", dir_, "/target.db");
  } else if (GetParam().kind == BackendKind::kPostgres) {
    absl::StatusOr<std::string> uri = FreshPostgresDatabase();
    ASSERT_TRUE(uri.ok()) << uri.status();
    target_uri = *uri;
  }
  absl::StatusOr<std::unique_ptr<Store>> target = OpenStore(target_uri);
  ASSERT_TRUE(target.ok()) << target.status();
  absl::StatusOr<CopyStats> stats = CopyTenant(*store_, **target, "acme");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->docs, 4);
  EXPECT_EQ(stats->invoices, 2);
  EXPECT_EQ(stats->settlements, 4);
  EXPECT_EQ(stats->events, 3);
  EXPECT_EQ(stats->requests, 2);
  const std::vector<std::string> source = Snapshot(*store_, "acme");
  EXPECT_EQ(Snapshot(**target, "acme"), source);
  absl::StatusOr<std::vector<std::string>> tenants = (*target)->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(*tenants, std::vector<std::string>{"acme"});
  // The aging of the copy agrees, on both paths.
  for (int64_t day : {3, 10}) {
    absl::StatusOr<std::vector<AgingCell>> want = store_->Aging("acme", {day, {30}});
    absl::StatusOr<std::vector<AgingCell>> got = (*target)->Aging("acme", {day, {30}});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(AllFields(*got), AllFields(*want));
  }

  absl::StatusOr<CopyStats> again = CopyTenant(*store_, **target, "acme");
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
  EXPECT_EQ(Snapshot(**target, "acme"), source);
}

const Backend kBackends[] = {
    {"SqliteFile", BackendKind::kSqliteFile},
    {"SqliteMemory", BackendKind::kSqliteMemory},
    {"Postgres", BackendKind::kPostgres},
};
std::string BackendName(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::ValuesIn(kBackends), BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, AgingTest, ::testing::ValuesIn(kBackends), BackendName);

}  // namespace
}  // namespace collections::store
