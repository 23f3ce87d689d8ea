// The CII export end to end: the service's own documents (a fee invoice
// with VAT and a settlement credit note) are read from a real in-process
// collectionsd as `collections-cii export --facturx` reads them
// (CollectExport), written as one Factur-X PDF each
// (WriteOneFilePerDocument + WriteCiiDocument), parsed back and synced into
// a second server, whose ledger must hold the same documents and amounts.
// The import side of every sample runs in tests/connectors/samples
// (tests/connectors/{cii,edifact,x12}/expected/*.ledger).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "connectors/cii/parse_cii.h"
#include "connectors/cii/write_cii.h"
#include "connectors/common/client.h"
#include "connectors/common/connector_main.h"
#include "gtest/gtest.h"
#include "tests/api/test_server.h"
#include "tests/connectors/samples/stored_ledger.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;
using collections::testing::D;
using collections::testing::M;
using collections::testing::SyncChunk;
using collections::testing::TestServer;

constexpr char kTenant[] = "tenants/acme";

TEST(CiiExportE2E, FacturXExportReimportsWithTheSameAmounts) {
  TestServer source;
  v1::SyncRecord customer;
  *customer.mutable_customer() =
      collections::testing::MakeCustomer("0088:4000001123452", "Kunde AG");
  customer.mutable_customer()->set_country_code("DE");
  v1::SyncRecord fee;
  *fee.mutable_invoice() =
      collections::testing::MakeInvoice("FEE-1", D(2026, 11, 20), D(2026, 12, 4), "EUR", 4760);
  fee.mutable_invoice()->mutable_external_ref()->set_source_system("collections");
  *fee.mutable_invoice()->mutable_tax() = M("EUR", 760);
  fee.set_customer_ref("erp/0088:4000001123452");
  v1::SyncRecord credit;
  v1::CreditNote* cn = credit.mutable_credit_note();
  cn->mutable_external_ref()->set_source_system("collections");
  cn->mutable_external_ref()->set_id("SET-1");
  cn->set_number("SET-1");
  *cn->mutable_issue_date() = D(2026, 11, 21);
  *cn->mutable_amount() = M("EUR", 1000);
  cn->set_invoice_number("FEE-1");
  credit.set_customer_ref("erp/0088:4000001123452");
  v1::SyncLedgerResponse seeded = SyncChunk(source, kTenant, "seed", {customer, fee, credit});
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
      [&](const v1::SyncRecord& r, const v1::Customer& owner) {
        return WriteCiiDocument(r, owner, w, true);
      },
      written);
  ASSERT_TRUE(st.ok()) << st;

  std::vector<v1::SyncRecord> imported;
  for (const char* file : {"FEE-1.pdf", "SET-1.pdf"}) {
    std::ifstream in(dir + "/" + file, std::ios::binary);
    ParseOptions o;
    o.file_name = file;
    int issues = 0;
    absl::Status parsed = ParseCii(
        in, o, [&](ParsedRecord r) { imported.push_back(std::move(r.record)); },
        [&](ParseIssue) { ++issues; });
    ASSERT_TRUE(parsed.ok()) << parsed;
    ASSERT_EQ(issues, 0) << file;
  }
  TestServer target;
  v1::SyncLedgerResponse resp = SyncChunk(target, kTenant, "reimport", imported);
  ASSERT_EQ(resp.rejected(), 0) << resp.ShortDebugString();
  const std::vector<std::string> lines = collections::testing::StoredLedgerLines(target, "acme");
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  // The fee's 47.60 (7.60 VAT) less the 10.00 settlement credit it names.
  EXPECT_NE(all.find("invoice \"FEE-1\""), std::string::npos) << all;
  EXPECT_NE(all.find("total=EUR 47.60 tax=EUR 7.60 amount_due=EUR 37.60"), std::string::npos)
      << all;
  EXPECT_NE(all.find("credit_note \"SET-1\""), std::string::npos) << all;
  EXPECT_NE(all.find("amount=EUR 10.00 credits=\"FEE-1\""), std::string::npos) << all;
}

}  // namespace
}  // namespace collections::connectors
