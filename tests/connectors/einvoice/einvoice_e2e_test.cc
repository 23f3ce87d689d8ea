// The e-invoice connectors against a real in-process collectionsd: every
// public sample is parsed, synced with SyncLedger, and what the server then
// holds (read back with Get*) is compared field by field with the
// expectation file written by reading the sample,
// tests/connectors/<format>/expected/<sample>.expected. A sample the parser
// refuses has its located issues as the expectation, and nothing is synced.
// Then the 820's promise: a remittance pays exactly the invoices it names.
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/cii/parse_cii.h"
#include "connectors/cii/write_cii.h"
#include "connectors/common/client.h"
#include "connectors/common/connector_main.h"
#include "connectors/edifact/parse_edifact.h"
#include "connectors/x12/parse_x12.h"
#include "gtest/gtest.h"
#include "tests/api/test_server.h"
#include "tests/connectors/common/expected_records.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections::v1;
using collections::testing::TestServer;
using testing::Quoted;

constexpr char kTenant[] = "tenants/acme";

struct Parsed {
  absl::Status status;
  std::vector<v1::SyncRecord> records;
  std::vector<ParseIssue> issues;
};

using Parser = std::function<absl::Status(std::istream&, const ParseOptions&, const RecordSink&,
                                          const IssueSink&)>;

Parsed ParsePath(const std::string& path, const std::string& name, const Parser& parse,
                 const std::string& currency = "") {
  Parsed p;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  ParseOptions o;
  o.file_name = name;
  o.default_currency = currency;
  p.status = parse(in, o, [&](ParsedRecord r) { p.records.push_back(std::move(r.record)); },
                   [&](ParseIssue i) { p.issues.push_back(std::move(i)); });
  return p;
}

class Ledger {
 public:
  v1::SyncLedgerResponse Sync(const std::string& sync_id, const std::vector<v1::SyncRecord>& recs) {
    return collections::testing::SyncChunk(srv_, kTenant, sync_id, recs);
  }

  // What the server holds for an accepted record, as one expectation line.
  std::string Describe(const v1::SyncRecord& rec, const v1::RecordOutcome& out) {
    if (out.kind() == v1::RecordOutcome::REJECTED) {
      return absl::StrCat("rejected reason=", out.reason(), " field=", out.field());
    }
    const std::string& name = out.name();
    grpc::ClientContext ctx;
    if (rec.has_customer()) {
      v1::GetCustomerRequest req;
      req.set_name(name);
      v1::Customer c;
      Check(srv_.ledger().GetCustomer(&ctx, req, &c), name);
      return absl::StrCat("customer id=", Quoted(c.external_ref().id()), " name=", Quoted(c.display_name()),
                          " kind=", v1::CustomerKind_Name(c.kind()), " country=", c.country_code());
    }
    if (rec.has_invoice()) {
      v1::GetInvoiceRequest req;
      req.set_name(name);
      v1::Invoice i;
      Check(srv_.ledger().GetInvoice(&ctx, req, &i), name);
      return absl::StrCat("invoice ", Quoted(i.number()), " customer=", Quoted(rec.customer_ref()),
                          " issued=", testing::DateText(i.issue_date()), " due=", testing::DateText(i.due_date()),
                          " total=", testing::MoneyText(i.total()), " tax=", testing::MoneyText(i.tax()),
                          " amount_due=", testing::MoneyText(i.amount_due()),
                          " status=", v1::Invoice::Status_Name(i.status()), " lines=", i.lines_size(),
                          " reference=", Quoted(i.payment_reference()),
                          " terms=", Quoted(i.terms().payment_terms_text()));
    }
    if (rec.has_credit_note()) {
      v1::GetCreditNoteRequest req;
      req.set_name(name);
      v1::CreditNote c;
      Check(srv_.ledger().GetCreditNote(&ctx, req, &c), name);
      return absl::StrCat("credit_note ", Quoted(c.number()), " customer=", Quoted(rec.customer_ref()),
                          " issued=", testing::DateText(c.issue_date()), " amount=", testing::MoneyText(c.amount()),
                          " corrects=", Quoted(c.invoice_number()), " unapplied=", testing::MoneyText(c.unapplied()));
    }
    if (name.find("/unappliedCash/") != std::string::npos) {
      const v1::Payment& p = rec.payment();
      return absl::StrCat("unapplied_cash amount=", testing::MoneyText(p.amount()),
                          " payer=", Quoted(p.payer_name()), " documents=", p.remitted_documents_size());
    }
    v1::GetPaymentRequest req;
    req.set_name(name);
    v1::Payment p;
    Check(srv_.ledger().GetPayment(&ctx, req, &p), name);
    std::vector<std::string> allocations;
    for (const auto& a : p.allocations()) {
      allocations.push_back(absl::StrCat(a.invoice().substr(a.invoice().rfind('/') + 1), ":",
                                         domain::FormatDecimal(a.amount().minor_units(), a.amount().currency_code())));
    }
    return absl::StrCat("payment id=", Quoted(p.external_ref().id()), " amount=", testing::MoneyText(p.amount()),
                        " received=", testing::DateText(p.received_date()), " allocations=[",
                        absl::StrJoin(allocations, " "), "] unapplied=", testing::MoneyText(p.unapplied()));
  }

  int64_t Due(const std::string& invoice_name) {
    grpc::ClientContext ctx;
    v1::GetInvoiceRequest req;
    req.set_name(invoice_name);
    v1::Invoice i;
    Check(srv_.ledger().GetInvoice(&ctx, req, &i), invoice_name);
    return i.amount_due().minor_units();
  }

 private:
  static void Check(const grpc::Status& st, const std::string& what) {
    EXPECT_TRUE(st.ok()) << what << ": " << st.error_message();
  }
  TestServer srv_;
};

// The expectation lines of one sample: the parser's issues if it refused
// the file, else one line per record as the server holds it after the sync.
std::vector<std::string> SyncedLines(const Parsed& p, const std::string& name) {
  std::vector<std::string> lines;
  lines.push_back(p.status.ok() ? "status OK" : absl::StrCat("status ", domain::ReasonOf(p.status)));
  if (!p.issues.empty() || !p.status.ok()) {
    for (const ParseIssue& i : p.issues) lines.push_back(testing::IssueLine(i));
    return lines;
  }
  Ledger ledger;
  v1::SyncLedgerResponse resp = ledger.Sync(absl::StrCat("sample-", name), p.records);
  EXPECT_EQ(resp.outcomes_size(), static_cast<int>(p.records.size()));
  for (int k = 0; k < resp.outcomes_size() && k < static_cast<int>(p.records.size()); ++k) {
    lines.push_back(ledger.Describe(p.records[static_cast<size_t>(k)], resp.outcomes(k)));
  }
  return lines;
}

void CheckSamples(const std::string& format, const Parser& parse,
                  const std::map<std::string, std::string>& currency = {}) {
  if (!testing::HaveSamples(format)) GTEST_SKIP() << "no samples at " << testing::SampleDir(format);
  const int files = testing::ForEachSample(format, [&](const std::string& path, const std::string& name) {
    auto it = currency.find(name);
    Parsed p = ParsePath(path, name, parse, it == currency.end() ? "" : it->second);
    testing::ExpectMatchesFile(SyncedLines(p, name),
                               absl::StrCat(CONNECTORS_TESTS_DIR, "/", format, "/expected/", name, ".expected"),
                               absl::StrCat("# ", name, " synced into collectionsd (einvoice_e2e_test)\n"));
  });
  EXPECT_GE(files, 5);
}

TEST(EInvoiceSamplesE2E, Cii) {
  CheckSamples("cii", [](std::istream& in, const ParseOptions& o, const RecordSink& r, const IssueSink& i) {
    return ParseCii(in, o, r, i);
  });
}

TEST(EInvoiceSamplesE2E, Edifact) {
  CheckSamples("edifact", [](std::istream& in, const ParseOptions& o, const RecordSink& r, const IssueSink& i) {
    return ParseEdifact(in, o, r, i);
  });
}

TEST(EInvoiceSamplesE2E, X12) {
  // The operator's --currency for the partners whose files have no CUR:
  // the US retailers' in USD; the VICS sample (a Canadian supplier with a
  // GST registration) is left without one and must be refused, located.
  CheckSamples(
      "x12",
      [](std::istream& in, const ParseOptions& o, const RecordSink& r, const IssueSink& i) {
        return ParseX12(in, o, r, i);
      },
      {{"bots-x12-810-004010-retailer-inbound.x12", "USD"},
       {"oopfactory-x12-820-4010-safeway-ach-ctx-adx.txt", "USD"},
       {"oopfactory-x12-820-4010-wikipedia-backslash-terminator.txt", "USD"}});
}

// ------------------------------------------------ 820 through the server

class X12RemittanceE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    Parsed invoices = ParsePath(Fixture("810-three-invoices.x12"), "810-three-invoices.x12", Parse(false));
    ASSERT_TRUE(invoices.issues.empty());
    v1::SyncLedgerResponse resp = ledger_.Sync("invoices", invoices.records);
    ASSERT_EQ(resp.rejected(), 0);
    for (int k = 0; k < resp.outcomes_size(); ++k) {
      const v1::SyncRecord& r = invoices.records[static_cast<size_t>(k)];
      if (r.has_invoice()) invoice_[r.invoice().number()] = resp.outcomes(k).name();
      if (r.has_customer()) customer_ = resp.outcomes(k).name();
    }
    ASSERT_EQ(Due("INV-810-1"), 17650);
  }
  int64_t Due(const std::string& number) { return ledger_.Due(invoice_[number]); }
  static std::string Fixture(const std::string& name) {
    return absl::StrCat(CONNECTORS_TESTS_DIR, "/x12/testdata/", name);
  }
  static Parser Parse(bool payer_is_customer) {
    return [payer_is_customer](std::istream& in, const ParseOptions& o, const RecordSink& r, const IssueSink& i) {
      X12Options x12;
      x12.payer_is_customer = payer_is_customer;
      return ParseX12(in, o, r, i, x12);
    };
  }
  void ExpectOnlyTheNamedInvoicesPaid() {
    // RMR*IV*INV-810-1 paid 151.00 (176.50 less the 25.50 discount taken);
    // RMR*IV*INV-999 30.00 less ADX 5.00; INV-OTHER is not named.
    EXPECT_EQ(Due("INV-810-1"), 2550);
    EXPECT_EQ(Due("INV-999"), 500);
    EXPECT_EQ(Due("INV-OTHER"), 5000);
  }
  Ledger ledger_;
  std::map<std::string, std::string> invoice_;  // number -> resource name
  std::string customer_;                        // the bill-to's resource name
};

TEST_F(X12RemittanceE2E, PayerAsCustomerAppliesTheExplicitAllocations) {
  Parsed pay = ParsePath(Fixture("820-explicit-allocations.x12"), "820.x12", Parse(true));
  ASSERT_TRUE(pay.issues.empty());
  v1::SyncLedgerResponse resp = ledger_.Sync("remittance", pay.records);
  ASSERT_EQ(resp.created(), 1) << resp.ShortDebugString();
  EXPECT_EQ(resp.outcomes(0).name().rfind(customer_ + "/payments/", 0), 0u) << resp.outcomes(0).name();
  ExpectOnlyTheNamedInvoicesPaid();
  EXPECT_EQ(ledger_.Sync("remittance", pay.records).unchanged(), 1);
  ExpectOnlyTheNamedInvoicesPaid();
}

TEST_F(X12RemittanceE2E, WithoutCustomerCashApplicationFollowsTheRemittance) {
  Parsed pay = ParsePath(Fixture("820-explicit-allocations.x12"), "820.x12", Parse(false));
  ASSERT_TRUE(pay.issues.empty());
  v1::SyncLedgerResponse resp = ledger_.Sync("remittance", pay.records);
  ASSERT_EQ(resp.created(), 1) << resp.ShortDebugString();
  // Matched by the documents it names, whose amounts add up to the payment.
  EXPECT_EQ(resp.outcomes(0).name().rfind(customer_ + "/payments/", 0), 0u) << resp.outcomes(0).name();
  ExpectOnlyTheNamedInvoicesPaid();
}

// ------------------------------------------------ CII export round trip

// The service's own documents (a fee invoice with VAT, a settlement credit
// note), exported as collections-cii export does (CollectExport, then one
// Factur-X PDF per document) and imported into a second server: the same
// amounts come back.
TEST(CiiExportE2E, FacturXExportReimportsWithTheSameAmounts) {
  TestServer source;
  v1::SyncRecord customer;
  *customer.mutable_customer() = collections::testing::MakeCustomer("0088:4000001123452", "Kunde AG");
  customer.mutable_customer()->set_country_code("DE");
  v1::SyncRecord fee;
  *fee.mutable_invoice() = collections::testing::MakeInvoice("FEE-1", collections::testing::D(2026, 11, 20),
                                                             collections::testing::D(2026, 12, 4), "EUR", 4760);
  fee.mutable_invoice()->mutable_external_ref()->set_source_system("collections");
  *fee.mutable_invoice()->mutable_tax() = collections::testing::M("EUR", 760);
  fee.set_customer_ref("erp/0088:4000001123452");
  v1::SyncRecord credit;
  v1::CreditNote* cn = credit.mutable_credit_note();
  cn->mutable_external_ref()->set_source_system("collections");
  cn->mutable_external_ref()->set_id("SET-1");
  cn->set_number("SET-1");
  *cn->mutable_issue_date() = collections::testing::D(2026, 11, 21);
  *cn->mutable_amount() = collections::testing::M("EUR", 1000);
  cn->set_invoice_number("FEE-1");
  credit.set_customer_ref("erp/0088:4000001123452");
  v1::SyncLedgerResponse seeded = collections::testing::SyncChunk(source, kTenant, "seed", {customer, fee, credit});
  ASSERT_EQ(seeded.rejected(), 0) << seeded.ShortDebugString();

  LedgerClient client(source.channel());
  absl::StatusOr<ExportSet> set = CollectExport(client, "acme", "collections");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->records.size(), 2u);
  CiiWriteOptions w;
  w.seller.name = "Acme Inkasso GmbH";
  w.seller.country_code = "DE";
  w.seller.vat_id = "DE123456789";
  w.payee_iban = "DE89370400440532013000";
  w.vat_percent = "19";
  const std::string dir = ::testing::TempDir() + "/cii-export";
  std::filesystem::remove_all(dir);
  std::ostringstream written;
  absl::Status st = WriteOneFilePerDocument(
      *set, dir, ".pdf",
      [&](const v1::SyncRecord& r, const v1::Customer& owner) { return WriteCiiDocument(r, owner, w, true); },
      written);
  ASSERT_TRUE(st.ok()) << st;

  std::vector<v1::SyncRecord> imported;
  for (const char* file : {"FEE-1.pdf", "SET-1.pdf"}) {
    Parsed p = ParsePath(dir + "/" + file, file, [](std::istream& in, const ParseOptions& o, const RecordSink& r,
                                                     const IssueSink& i) { return ParseCii(in, o, r, i); });
    ASSERT_TRUE(p.status.ok()) << p.status;
    ASSERT_TRUE(p.issues.empty()) << file;
    imported.insert(imported.end(), p.records.begin(), p.records.end());
  }
  Ledger target;
  v1::SyncLedgerResponse resp = target.Sync("reimport", imported);
  ASSERT_EQ(resp.rejected(), 0) << resp.ShortDebugString();
  std::vector<std::string> lines;
  for (int k = 0; k < resp.outcomes_size(); ++k) {
    lines.push_back(target.Describe(imported[static_cast<size_t>(k)], resp.outcomes(k)));
  }
  EXPECT_EQ(lines, (std::vector<std::string>{
                       R"(customer id="0088:4000001123452" name="Kunde AG" kind=CUSTOMER_KIND_BUSINESS country=DE)",
                       R"(invoice "FEE-1" customer="0088:4000001123452" issued=2026-11-20 due=2026-12-04 total=EUR 47.60 tax=EUR 7.60 amount_due=EUR 37.60 status=PARTIALLY_PAID lines=1 reference="" terms="")",
                       R"(customer id="0088:4000001123452" name="Kunde AG" kind=CUSTOMER_KIND_BUSINESS country=DE)",
                       R"(credit_note "SET-1" customer="0088:4000001123452" issued=2026-11-21 amount=EUR 10.00 corrects="FEE-1" unapplied=EUR 0.00)"}));
}

}  // namespace
}  // namespace collections::connectors
