// Every writer round-trips what the service produced.
//
// The source collectionsd holds the host's books (a customer with three
// invoices and a partial payment, tenant "acme", source system "erp") and
// what the service did to them through its own API: late fees on INV-1
// (two fee invoices), a settlement of INV-2 closed by its lump sum (a credit
// note of the forgiven part), and a write-off of INV-3. Each connector
// executable exports that (`<connector> export`), the target system's own
// tool checks the file where Debian ships one, and the file is synced with
// --source_system=erp into a fresh collectionsd that holds the same host
// books, as the host's connector would after booking it. Both ledgers must
// then agree on the customers, every document number, every amount due and
// which invoice each credit note credits.
//
// A write-off is a settlement row of its invoice, not a document; the
// writers carry it as a credit note "WO-<id>" crediting the invoice, so after
// the round trip INV-3 is closed in both ledgers.
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/arrangements.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/connectors/runtime/runtime_test_support.h"

namespace collections::testing {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::collections_sidecar::v1;

constexpr char kTenant[] = "tenants/acme";
// A Peppol participant id (GLN), so that UBL has the buyer's endpoint.
constexpr char kCustomerId[] = "0088:5790000435968";

std::string Bin(const std::string& format) {
  return absl::StrCat(COLLECTIONS_BUILD_DIR, "/connectors/", format, "/collections-", format);
}

bool HaveTool(const std::string& name) {
  return RunProcess({"/bin/sh", "-c", "command -v " + name}).exit_code == 0;
}

// The host's own books, the same in the source and in the target.
struct HostBooks {
  std::string customer, inv1, inv2, inv3;
};

HostBooks SeedHostBooks(TestServer& srv) {
  HostBooks b;
  v1::Customer c = MakeCustomer(kCustomerId, "Northwind Traders Ltd");
  c.set_country_code("GB");
  b.customer = SeedCustomer(srv, c);
  v1::Invoice inv1 = MakeInvoice("INV-1", D(2026, 8, 16), D(2026, 9, 15), "GBP", 500000);
  inv1.mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::STATUTORY);
  inv1.mutable_terms()->mutable_late_fee()->set_statutory_pack("UK_LATE_PAYMENT_1998");
  v1::Invoice inv2 = MakeInvoice("INV-2", D(2026, 10, 1), D(2026, 10, 31), "GBP", 120000);
  inv2.mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::NONE);
  v1::Invoice inv3 = MakeInvoice("INV-3", D(2026, 6, 1), D(2026, 7, 1), "GBP", 80000);
  inv3.mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::NONE);
  auto upsert = [&](const v1::Invoice& inv) {
    grpc::ClientContext ctx;
    v1::UpsertInvoiceRequest req;
    req.set_parent(b.customer);
    *req.mutable_invoice() = inv;
    v1::Invoice out;
    grpc::Status st = srv.ledger().UpsertInvoice(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.name();
  };
  b.inv1 = upsert(inv1);
  b.inv2 = upsert(inv2);
  b.inv3 = upsert(inv3);
  return b;
}

void Pay(TestServer& srv, const std::string& customer, const std::string& id, int64_t amount,
         const std::string& invoice) {
  grpc::ClientContext ctx;
  v1::RecordPaymentRequest req;
  req.set_parent(customer);
  *req.mutable_payment() = MakePayment(id, "GBP", amount, D(2026, 11, 20));
  v1::Allocation* a = req.mutable_payment()->add_allocations();
  a->set_invoice(invoice);
  *a->mutable_amount() = M("GBP", amount);
  v1::Payment out;
  grpc::Status st = srv.ledger().RecordPayment(&ctx, req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
}

// The host's payments: part of INV-1, and the settlement's lump sum on INV-2.
void SeedHostPayments(TestServer& srv, const HostBooks& b) {
  Pay(srv, b.customer, "p-1", 100000, b.inv1);
  Pay(srv, b.customer, "p-lump", 90000, b.inv2);
}

// What the service does through its API on 2026-11-20.
void RunCollections(TestServer& srv, const HostBooks& b) {
  auto arr = v1::ArrangementService::NewStub(srv.channel());
  {
    grpc::ClientContext ctx;
    v1::ApplyLateFeesRequest req;
    req.set_customer(b.customer);
    req.set_request_id("fees-1");
    v1::ApplyLateFeesResponse out;
    grpc::Status st = arr->ApplyLateFees(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(out.fees_size(), 2);  // statutory interest and compensation on INV-1
  }
  v1::Settlement s;
  {
    grpc::ClientContext ctx;
    v1::ProposeSettlementRequest req;
    req.set_parent(b.customer);
    req.add_invoices(b.inv2);
    *req.mutable_amount() = M("GBP", 90000);
    grpc::Status st = arr->ProposeSettlement(&ctx, req, &s);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  {
    grpc::ClientContext ctx;
    v1::AcceptSettlementRequest req;
    req.set_name(s.name());
    grpc::Status st = arr->AcceptSettlement(&ctx, req, &s);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  SeedHostPayments(srv, b);
  {
    grpc::ClientContext ctx;
    v1::RefreshArrangementsRequest req;
    req.set_customer(b.customer);
    v1::RefreshArrangementsResponse out;
    grpc::Status st = arr->RefreshArrangements(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(out.changed_size(), 1);
    ASSERT_FALSE(out.changed(0).settlement().credit_note().empty());
  }
  {
    grpc::ClientContext ctx;
    v1::WriteOffRequest req;
    req.set_parent(b.customer);
    req.mutable_write_off()->add_items()->set_invoice(b.inv3);
    req.mutable_write_off()->set_reason(v1::WriteOff::UNECONOMIC);
    v1::WriteOff out;
    grpc::Status st = arr->WriteOff(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
}

// The first page (100) of a List call of the ledger service under `parent`.
template <typename Request, typename Response>
Response List(TestServer& srv,
              grpc::Status (v1::LedgerService::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                           Response*),
              const std::string& parent) {
  grpc::ClientContext ctx;
  Request req;
  req.set_parent(parent);
  req.set_page_size(100);
  Response out;
  grpc::Status st = (srv.ledger().*rpc)(&ctx, req, &out);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return out;
}

// The tenant's documents by number: customer, kind, total, amount due, and
// the invoice a credit note credits (by number) with what stays unapplied.
std::map<std::string, std::string> Documents(TestServer& srv, std::vector<std::string>* customers) {
  using Stub = v1::LedgerService::Stub;
  std::map<std::string, std::string> out;
  const v1::ListCustomersResponse cs = List(srv, &Stub::ListCustomers, kTenant);
  for (const v1::Customer& c : cs.customers()) {
    customers->push_back(c.external_ref().id());
    std::map<std::string, std::string> numbers;
    const v1::ListInvoicesResponse is = List(srv, &Stub::ListInvoices, c.name());
    for (const v1::Invoice& inv : is.invoices()) {
      numbers[inv.name()] = inv.number();
      out[inv.number()] = absl::StrCat(
          "invoice customer=", c.external_ref().id(), " total=", inv.total().minor_units(), " ",
          inv.currency_code(), " due=", inv.amount_due().minor_units());
    }
    const v1::ListCreditNotesResponse ns = List(srv, &Stub::ListCreditNotes, c.name());
    for (const v1::CreditNote& cn : ns.credit_notes()) {
      // The write-off's credit note exists only after the round trip; in the
      // source the write-off itself closes INV-3 (compared by amount due).
      if (absl::StartsWith(cn.number(), "WO-")) {
        out["write-off " + numbers[cn.invoice()]] =
            absl::StrCat("amount=", cn.amount().minor_units(), " ", cn.amount().currency_code());
        continue;
      }
      std::vector<std::string> credits;
      if (!cn.invoice().empty()) credits.push_back(numbers[cn.invoice()]);
      for (const v1::Allocation& a : cn.allocations()) {
        if (a.invoice() != cn.invoice()) credits.push_back(numbers[a.invoice()]);
      }
      out[cn.number()] = absl::StrCat(
          "credit_note customer=", c.external_ref().id(), " amount=", cn.amount().minor_units(),
          " ", cn.amount().currency_code(), " credits=", absl::StrJoin(credits, ","),
          " unapplied=", cn.unapplied().minor_units());
    }
    // The service's own write-offs (the source holds them, the target holds
    // their credit notes instead).
    auto arr = v1::ArrangementService::NewStub(srv.channel());
    grpc::ClientContext ctx;
    v1::ListArrangementsRequest req;
    req.set_parent(c.name());
    req.add_kinds("write_off");
    v1::ListArrangementsResponse as;
    grpc::Status st = arr->ListArrangements(&ctx, req, &as);
    EXPECT_TRUE(st.ok()) << st.error_message();
    for (const v1::Arrangement& a : as.arrangements()) {
      for (const v1::WriteOff::Item& item : a.write_off().items()) {
        out["write-off " + numbers[item.invoice()]] = absl::StrCat(
            "amount=", item.amount().minor_units(), " ", item.amount().currency_code());
      }
    }
  }
  return out;
}

std::string Show(const std::map<std::string, std::string>& docs) {
  std::string s;
  for (const auto& [number, doc] : docs) absl::StrAppend(&s, "  ", number, ": ", doc, "\n");
  return s;
}

// One export of one writer: the arguments after `export`, the files to
// import (relative to the run's folder) with their import flags, and the
// target system's checks of those files.
struct Writer {
  std::string name;
  std::string format;
  std::vector<std::vector<std::string>> exports;  // each: extra export flags incl. --out
  std::vector<std::string> import_flags;
  // Shell commands checking the exported files ("{dir}" is the run folder),
  // each with the tool it needs.
  std::vector<std::pair<std::string, std::string>> checks;
};

std::vector<Writer> Writers() {
  const std::vector<std::string> supplier = {
      "--supplier_endpoint=0088:5790000435975", "--supplier_name=Acme Collections Ltd",
      "--supplier_country=GB", "--supplier_vat_id=GB123456789",
      "--payee_account=GB29NWBK60161331926819"};
  std::vector<std::string> ubl_export = {"--out_dir={dir}/ubl"};
  ubl_export.insert(ubl_export.end(), supplier.begin(), supplier.end());
  return {
      // IIF NAME separates Customer:Job with ':'; an id holding one comes
      // back whole with --jobs_as_customers.
      {"IIF", "iif", {{"--out={dir}/export.iif"}}, {"--currency=GBP", "--jobs_as_customers"}, {}},
      {"Xero CSV",
       "xero",
       {{"--document=invoices", "--out={dir}/invoices.csv"},
        {"--document=credit-notes", "--out={dir}/credit-notes.csv"}},
       {},
       {}},
      {"UBL 2.1",
       "ubl",
       {ubl_export},
       {},
       {{"xmllint", "xmllint --noout --nonet --schema " COLLECTIONS_UBL_SCHEMA_DIR
                    "/UBL-Invoice-2.1.xsd {dir}/ubl/FEE-*.xml"},
        {"xmllint", "xmllint --noout --nonet --schema " COLLECTIONS_UBL_SCHEMA_DIR
                    "/UBL-CreditNote-2.1.xsd {dir}/ubl/SETTLEMENT-*.xml {dir}/ubl/WO-*.xml"}}},
      {"hledger/ledger journal",
       "plaintext",
       {{"--dialect=ledger", "--out={dir}/export.journal"}},
       {},
       {{"hledger", "hledger -f {dir}/export.journal check"},
        {"ledger", "ledger -f {dir}/export.journal balance"}}},
      {"beancount",
       "plaintext",
       {{"--dialect=beancount", "--out={dir}/export.beancount"}},
       {},
       {{"bean-check", "bean-check {dir}/export.beancount"}}},
  };
}

std::string Expand(std::string s, const std::string& dir) {
  for (size_t at = s.find("{dir}"); at != std::string::npos; at = s.find("{dir}", at)) {
    s.replace(at, 5, dir);
  }
  return s;
}

class RoundTrip : public ::testing::TestWithParam<Writer> {};

TEST_P(RoundTrip, ReimportKeepsCustomersNumbersAmountsDueAndCreditLinks) {
  const Writer& w = GetParam();
  TempDir dir;
  LoopbackServer source;
  const HostBooks books = SeedHostBooks(source.server());
  RunCollections(source.server(), books);
  if (HasFatalFailure()) return;

  // Export, as an operator would.
  std::vector<std::string> files;
  for (const std::vector<std::string>& extra : w.exports) {
    std::vector<std::string> argv = {Bin(w.format), "export", "--server=" + source.address(),
                                     "--tenant=acme"};
    for (const std::string& a : extra) argv.push_back(Expand(a, dir.path()));
    ProcessResult r = RunProcess(argv);
    ASSERT_EQ(r.exit_code, 0) << w.name << ": " << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, " documents of 1 customers")) << r.err;
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      files.emplace_back(line);  // one file per document: the paths written
    }
    for (const std::string& a : argv) {
      if (absl::StartsWith(a, "--out=")) files.push_back(a.substr(6));
    }
  }
  ASSERT_FALSE(files.empty());
  for (const std::string& f : files) {
    const std::string text = ReadFile(f);
    // D10: no internal resource name in any exported text.
    EXPECT_FALSE(absl::StrContains(text, "tenants/")) << f << ":\n" << text;
  }
  for (const auto& [tool, command] : w.checks) {
    if (!HaveTool(tool)) {
      ADD_FAILURE() << tool << " is not installed (deploy/install.sh installs it)";
      continue;
    }
    ProcessResult r = RunProcess({"/bin/sh", "-c", Expand(command, dir.path())});
    EXPECT_EQ(r.exit_code, 0) << w.name << ": " << command << "\n" << r.out << r.err;
  }

  // Re-import into a fresh server that holds the host's books.
  LoopbackServer target;
  const HostBooks target_books = SeedHostBooks(target.server());
  SeedHostPayments(target.server(), target_books);
  for (const std::string& f : files) {
    std::vector<std::string> argv = {Bin(w.format),
                                     "--server=" + target.address(),
                                     "--tenant=acme",
                                     "--source_system=erp",
                                     "--file=" + f,
                                     "--progress=never",
                                     "--state_dir=" + dir.File("state")};
    argv.insert(argv.end(), w.import_flags.begin(), w.import_flags.end());
    ProcessResult r = RunProcess(argv);
    ASSERT_EQ(r.exit_code, 0) << w.name << ": " << f << "\n"
                              << r.out << r.err << "\n"
                              << ReadFile(f);
  }

  std::vector<std::string> source_customers, target_customers;
  auto want = Documents(source.server(), &source_customers);
  const auto got = Documents(target.server(), &target_customers);
  EXPECT_EQ(got, want) << w.name << "\nsource:\n"
                       << Show(want) << "after the round trip:\n"
                       << Show(got);
  EXPECT_EQ(target_customers, source_customers);
  // 3 host invoices, 2 fee invoices, the settlement credit note, the write-off.
  EXPECT_EQ(want.size(), 7u) << Show(want);
  EXPECT_TRUE(absl::StrContains(want["INV-3"], " due=0")) << want["INV-3"];
}

INSTANTIATE_TEST_SUITE_P(Writers, RoundTrip, ::testing::ValuesIn(Writers()),
                         [](const ::testing::TestParamInfo<Writer>& info) {
                           std::string n;
                           for (char c : info.param.name) {
                             if (absl::ascii_isalnum(static_cast<unsigned char>(c))) n += c;
                           }
                           return n;
                         });

}  // namespace
}  // namespace collections::testing
