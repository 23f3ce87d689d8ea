// The store conformance suite (store_conformance_test.cc), continued:
// transactions, tenants, reopening, and enumerating and copying a tenant.
#include "tests/store/store_conformance.h"

namespace collections::store::conformance {
namespace {

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
  ASSERT_TRUE(
      Write("acme", [&](Transaction& tx) { return tx.PutDoc(MakeDoc("customer", "c1")); }).ok());
  const absl::Status not_found = absl::NotFoundError("stop");
  EXPECT_EQ(Read("acme",
                 [&](Transaction& tx) -> absl::Status {
                   ASSIGN_OR_RETURN(std::optional<Doc> d, tx.GetDoc("customer", "c1"));
                   EXPECT_TRUE(d.has_value());
                   return not_found;  // A read's own error comes back unchanged.
                 }),
            not_found);
}

TEST_P(StoreConformance, ListTenantsNamesTenantsWithDocsInvoicesOrEvents) {
  ASSERT_TRUE(
      Write("b", [&](Transaction& tx) { return tx.PutDoc(MakeDoc("customer", "c")); }).ok());
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
      RETURN_IF_ERROR(
          tx.PutDoc(MakeDoc("customer", "c1", "c1", "erp/c1", "K1", std::string(tenant))));
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
    RETURN_IF_ERROR(
        tx.ReplaceSettlements("payment", "p1", {{"i2", "", "", 4, 400}, {"i1", "", "", 4, 300}}));
    RETURN_IF_ERROR(tx.ReplaceSettlements("credit_note", "c1", {{"i1", "", "", 6, 500}}));
    // Replaced last: p2's rows now come after p1's and c1's.
    RETURN_IF_ERROR(tx.ReplaceSettlements("payment", "p2", {{"i1", "", "", 7, 100}}));
    for (int i = 0; i < 3; ++i) {
      RETURN_IF_ERROR(
          tx.AppendEvent(EventRow{0, "", "A", absl::StrCat("r", i), absl::StrCat("body", i), ""})
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
      out.push_back(absl::StrCat("settlement ", r.invoice_id, "|", r.source_kind, "|", r.source_id,
                                 "|", r.day, "|", r.amount));
    }
    ASSIGN_OR_RETURN(auto requests, tx.ListRequests("", 1000));
    for (const auto& [id, r] : requests) {
      out.push_back(
          absl::StrCat("request ", id, "|", r.method, "|", r.request_hash, "|", r.response));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st;
  absl::StatusOr<std::vector<EventRow>> events = store.ListEvents(tenant, {.limit = 1000});
  EXPECT_TRUE(events.ok()) << events.status();
  if (events.ok()) {
    for (const auto& e : *events) {
      out.push_back(
          absl::StrCat("event ", e.tenant, "|", e.customer, "|", e.resource, "|", e.body));
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

}  // namespace
}  // namespace collections::store::conformance
