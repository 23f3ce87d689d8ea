// One conformance suite for every Store backend: the same tests, stamped out
// for SQLite (a temporary file and :memory:) and PostgreSQL (a fresh database
// on the throwaway cluster of pg_harness.h). A backend is correct when it
// answers exactly as these tests expect; the SQLite store is the reference.
#include "tests/store/store_conformance.h"
#include "service/store/customer_doc_cache.h"

namespace collections::store::conformance {
namespace {

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
  ASSERT_TRUE(
      Write("acme", [&](Transaction& tx) -> absl::Status {
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

TEST_P(StoreConformance, DocRefIsUniquePerKind) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutDoc(MakeDoc("customer", "c-1", "c-1", "erp/1"));
              }).ok());
  // A reference held by another id: ALREADY_EXISTS, from the put itself or
  // (a pipelining backend) from the transaction's next call; either way the
  // transaction does not commit and no call after the failure succeeds.
  bool read_reached = false, read_failed = false;
  absl::Status taken = Write("acme", [&](Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c-9", "c-9", "erp/9")));
    RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c-2", "c-2", "erp/1")));
    read_reached = true;
    absl::StatusOr<std::optional<Doc>> read = tx.GetDoc("customer", "c-1");
    read_failed = !read.ok();
    RETURN_IF_ERROR(read.status());
    return tx.PutDoc(MakeDoc("customer", "c-8", "c-8", "erp/8"));
  });
  EXPECT_TRUE(absl::IsAlreadyExists(taken)) << taken;
  EXPECT_TRUE(!read_reached || read_failed) << "a read after an unreported conflict succeeded";
  EXPECT_FALSE(GetDoc("acme", "customer", "c-2").has_value());
  EXPECT_FALSE(GetDoc("acme", "customer", "c-9").has_value());
  EXPECT_FALSE(GetDoc("acme", "customer", "c-8").has_value());
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c-3", "c-3", "erp/3")));
                // Same id, same ref: an update. Same ref, other kind: fine.
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("customer", "c-1", "c-1", "erp/1", "", "v2")));
                return tx.PutDoc(MakeDoc("payment", "p-1", "c-1", "erp/1"));
              }).ok());
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

TEST_P(StoreConformance, ListCustomerDocsReadsTheKindsAskedForInOneList) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("payment", "p2", "c-1")));
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("payment", "P1", "c-1")));
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("fee", "f1", "c-1")));
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("contact", "k1", "c-1")));
                RETURN_IF_ERROR(tx.PutDoc(MakeDoc("payment", "p3", "c-2")));
                return tx.PutDoc(MakeDoc("fee", "f2", "c-1"));
              }).ok());
  ASSERT_TRUE(
      Read("acme", [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<Doc> all, tx.ListCustomerDocs("c-1", {"payment", "fee"}, 10));
        EXPECT_EQ(Ids(all), (std::vector<std::string>{"f1", "f2", "P1", "p2"}));
        ASSIGN_OR_RETURN(std::vector<Doc> two, tx.ListCustomerDocs("c-1", {"payment", "fee"}, 2));
        EXPECT_EQ(Ids(two), (std::vector<std::string>{"f1", "f2"}));
        ASSIGN_OR_RETURN(std::vector<Doc> none, tx.ListCustomerDocs("c-3", {"fee"}, 10));
        EXPECT_TRUE(none.empty());
        return absl::OkStatus();
      }).ok());
}

// The per-transaction cache of customers' documents answers every listing
// and lookup exactly as the backend does, through writes that add, replace,
// delete and move documents between customers, and past the number of
// customers it holds (it starts over).
TEST_P(StoreConformance, CustomerDocCacheAnswersAsTheBackend) {
  const std::vector<std::string> kinds = {"payment", "fee"};
  const std::vector<std::string> all_kinds = {"payment", "fee", "contact"};
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto customer = [&](int n) { return absl::StrCat("c", pick(n)); };
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                std::unique_ptr<Transaction> cached = CachingTransaction(tx, kinds);
                for (int step = 0; step < 1500; ++step) {
                  // Many customers early on, so that the cache fills and starts over.
                  const int customers = step < 700 ? kMaxCustomers + 40 : 12;
                  const std::string kind = all_kinds[pick(3)];
                  const std::string id = absl::StrCat(pick(2) ? "d" : "D", pick(40));
                  switch (pick(5)) {
                    case 0:
                    case 1:
                      RETURN_IF_ERROR(cached->PutDoc(MakeDoc(kind, id, customer(customers), "", "",
                                                             absl::StrCat("body ", step))));
                      break;
                    case 2:
                      RETURN_IF_ERROR(cached->DeleteDoc(kind, id));
                      break;
                    case 3: {
                      const std::string c = customer(customers);
                      const std::string after = pick(3) == 0 ? "" : absl::StrCat("d", pick(40));
                      const int limit = 1 + pick(5);
                      ASSIGN_OR_RETURN(std::vector<Doc> want, tx.ListDocs(kind, c, after, limit));
                      ASSIGN_OR_RETURN(std::vector<Doc> got,
                                       cached->ListDocs(kind, c, after, limit));
                      EXPECT_EQ(AllFields(got), AllFields(want))
                          << "step " << step << " " << kind << " " << c;
                      break;
                    }
                    default: {
                      ASSIGN_OR_RETURN(std::optional<Doc> want, tx.GetDoc(kind, id));
                      ASSIGN_OR_RETURN(std::optional<Doc> got, cached->GetDoc(kind, id));
                      EXPECT_EQ(got.has_value(), want.has_value()) << "step " << step;
                      if (got && want) {
                        EXPECT_EQ(Fields(*got), Fields(*want)) << "step " << step;
                      }
                    }
                  }
                }
                return absl::OkStatus();
              }).ok());
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

TEST_P(StoreConformance, InvoiceRefIsUnique) {
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutInvoice(MakeInvoice("i-1", "c-1", "EUR", 1, 2, 100, 100, 1, "erp/1"));
              }).ok());
  absl::Status taken = Write("acme", [&](Transaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i-2", "c-1", "EUR", 1, 2, 100, 100, 1, "erp/1")));
    return tx.PutInvoice(MakeInvoice("i-6", "c-1", "EUR", 1, 2, 100, 100, 1, "erp/6"));
  });
  EXPECT_TRUE(absl::IsAlreadyExists(taken)) << taken;
  EXPECT_FALSE(GetInvoice("acme", "i-2").has_value());
  EXPECT_FALSE(GetInvoice("acme", "i-6").has_value());
  ASSERT_TRUE(Write("acme", [&](Transaction& tx) {
                return tx.PutInvoice(MakeInvoice("i-3", "c-1", "EUR", 1, 2, 100, 100, 1, "erp/3"));
              }).ok());
  EXPECT_TRUE(GetInvoice("acme", "i-3").has_value());
  // Invoices without a reference never conflict.
  EXPECT_TRUE(Write("acme", [&](Transaction& tx) -> absl::Status {
                RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i-4", "c-1", "EUR", 1, 2, 1, 1, 1)));
                return tx.PutInvoice(MakeInvoice("i-5", "c-1", "EUR", 1, 2, 1, 1, 1));
              }).ok());
}

TEST_P(StoreConformance, ListInvoicesFiltersAndPaginates) {
  ASSERT_TRUE(
      Write("acme", [&](Transaction& tx) -> absl::Status {
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
  ASSERT_TRUE(
      Write("acme", [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i1", "A", "EUR", 1, 2, 1000, 1000, 1)));
        RETURN_IF_ERROR(tx.PutInvoice(MakeInvoice("i2", "A", "EUR", 1, 2, 1000, 1000, 1)));
        RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p1",
                                              {{"i2", "", "", 10, 300}, {"i1", "", "", 10, 200}}));
        RETURN_IF_ERROR(tx.ReplaceSettlements("credit_note", "cn1", {{"i1", "", "", 11, 50}}));
        return tx.ReplaceSettlements("payment", "p2", {{"i1", "", "", 12, 25}});
      }).ok());
  using S = SettlementRow;
  ASSERT_TRUE(
      Read("acme", [&](Transaction& tx) -> absl::Status {
        // Grouped by invoice in the order asked; insertion order within.
        ASSIGN_OR_RETURN(std::vector<S> rows, tx.ListSettlements({"i2", "i1", "i9"}));
        EXPECT_EQ(AllFields(rows), AllFields(std::vector<S>{{"i2", "payment", "p1", 10, 300},
                                                            {"i1", "payment", "p1", 10, 200},
                                                            {"i1", "credit_note", "cn1", 11, 50},
                                                            {"i1", "payment", "p2", 12, 25}}));
        ASSIGN_OR_RETURN(rows, tx.ListSettlementsBySource("payment", "p1"));
        EXPECT_EQ(AllFields(rows), AllFields(std::vector<S>{{"i2", "payment", "p1", 10, 300},
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
                EXPECT_EQ(AllFields(rows),
                          AllFields(std::vector<S>{{"i1", "payment", "p2", 12, 25},
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
    ASSERT_TRUE(
        Write("acme", [&](Transaction& tx) -> absl::Status {
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
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 1000})), (Cells{{"A", "EUR", 1, 1000, 1},
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
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 955})), (Cells{{"A", "EUR", 0, 1000, 1},
                                                                 {"A", "EUR", 1, 500, 1},
                                                                 {"B", "EUR", 0, 700, 1},
                                                                 {"B", "USD", 4, 400, 1}}));
  // Before i1 was issued, and i5 already paid on day 850.
  EXPECT_EQ(AllFields(Aging("acme", {.as_of_day = 890})),
            (Cells{{"A", "EUR", 0, 500, 1}, {"B", "EUR", 0, 700, 1}, {"B", "USD", 3, 400, 1}}));
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

TEST_P(AgingTest, VisitAgingWalksTheSameCellsInOrderAndStopsOnAnError) {
  SetUpPortfolio();
  const std::vector<int> bounds = {30, 60, 90};
  for (const AgingQuery& q :
       {AgingQuery{.as_of_day = 1000, .bucket_bounds = bounds},
        AgingQuery{.as_of_day = 955, .bucket_bounds = bounds},  // the replay path
        AgingQuery{.as_of_day = 1000, .bucket_bounds = bounds, .customers = {"B", "Z"}}}) {
    std::vector<AgingCell> visited;
    ASSERT_TRUE(store_
                    ->VisitAging("acme", q,
                                 [&](const AgingCell& c) {
                                   visited.push_back(c);
                                   return absl::OkStatus();
                                 })
                    .ok());
    std::vector<AgingCell> sorted = Aging("acme", q);
    std::sort(sorted.begin(), sorted.end(), [](const AgingCell& a, const AgingCell& b) {
      return std::tie(a.customer, a.currency, a.bucket) <
             std::tie(b.customer, b.currency, b.bucket);
    });
    ASSERT_FALSE(sorted.empty());
    EXPECT_EQ(AllFields(visited), AllFields(sorted));
  }
  int seen = 0;
  const absl::Status st = store_->VisitAging(
      "acme", {.as_of_day = 1000, .bucket_bounds = bounds}, [&](const AgingCell&) {
        return ++seen == 2 ? absl::CancelledError("enough") : absl::OkStatus();
      });
  EXPECT_EQ(st, absl::CancelledError("enough"));
  EXPECT_EQ(seen, 2);
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
  std::vector<int64_t> seq = AppendSampleEvents();
  ASSERT_EQ(seq.size(), 3u);
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
  EXPECT_EQ(Sequences(Events("acme",
                             {.customer = "c1", .resource_prefix = "tenants/acme/customers/c1/p"})),
            (std::vector<int64_t>{seq[2]}));
  EXPECT_EQ(Events("other").size(), 1u);
  EXPECT_TRUE(Events("nobody").empty());
}

// Transaction::ListEvents reads the log from the transaction's snapshot, so
// a read of documents and their audit trail agree: an event committed by
// another writer during the read transaction is not listed in it.
TEST_P(StoreConformance, EventsInAReadTransactionComeFromItsSnapshot) {
  std::vector<int64_t> seq = AppendSampleEvents();
  ASSERT_EQ(seq.size(), 3u);
  int64_t later = 0;
  auto add_later = [&](Transaction& w) -> absl::Status {
    ASSIGN_OR_RETURN(later, Append(w, "c1", "tenants/acme/customers/c1/notes/n1"));
    return absl::OkStatus();
  };
  // The in-memory SQLite store runs reads on its one writer connection, so
  // nothing can commit during a read there.
  const bool concurrent = GetParam().kind != BackendKind::kSqliteMemory;
  std::vector<EventRow> first, second;
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(first, tx.ListEvents({.customer = "c1"}));
                // Another writer commits an event of the same customer.
                if (concurrent) {
                  RETURN_IF_ERROR(Write("acme", add_later));
                }
                ASSIGN_OR_RETURN(second, tx.ListEvents({.customer = "c1"}));
                return absl::OkStatus();
              }).ok());
  if (!concurrent) {
    ASSERT_TRUE(Write("acme", add_later).ok());
  }
  EXPECT_EQ(Sequences(first), (std::vector<int64_t>{seq[0], seq[2]}));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].tenant, "acme");
  EXPECT_EQ(first[0].resource, "tenants/acme/customers/c1/invoices/i1");
  EXPECT_EQ(first[0].body, kBinaryBody);
  EXPECT_EQ(Sequences(second), Sequences(first));
  EXPECT_GT(later, seq[2]);
  // The next transaction sees it; the filters and the limit apply as in
  // Store::ListEvents.
  ASSERT_TRUE(Read("acme", [&](Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(std::vector<EventRow> now, tx.ListEvents({.customer = "c1"}));
                EXPECT_EQ(Sequences(now), (std::vector<int64_t>{seq[0], seq[2], later}));
                ASSIGN_OR_RETURN(now, tx.ListEvents({.after_sequence = seq[0], .limit = 2}));
                EXPECT_EQ(Sequences(now), (std::vector<int64_t>{seq[1], seq[2]}));
                ASSIGN_OR_RETURN(now,
                                 tx.ListEvents({.resource_prefix = "tenants/acme/customers/c1/n"}));
                EXPECT_EQ(Sequences(now), (std::vector<int64_t>{later}));
                return absl::OkStatus();
              }).ok());
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

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::ValuesIn(kBackends), BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, AgingTest, ::testing::ValuesIn(kBackends), BackendName);

}  // namespace
}  // namespace collections::store::conformance
