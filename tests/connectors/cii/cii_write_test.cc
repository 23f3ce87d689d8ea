// The CII export: documents checked against the EN 16931 business rules
// that matter for them (our own checks, on the written XML), refused when
// the data would break a rule, and read back by the parser with the same
// content; the Factur-X PDF likewise.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "connectors/cii/facturx_pdf.h"
#include "connectors/cii/parse_cii.h"
#include "connectors/cii/write_cii.h"
#include "connectors/common/xml_stream.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;
using testing::ProtoDay;
using testing::ProtoMoney;

CiiWriteOptions Seller() {
  CiiWriteOptions o;
  o.seller.name = "Acme Inkasso GmbH";
  o.seller.country_code = "DE";
  o.seller.vat_id = "DE123456789";
  o.seller.address_line = "Hauptstr. 1";
  o.seller.postcode = "10115";
  o.seller.city = "Berlin";
  o.payee_iban = "DE89370400440532013000";
  o.vat_percent = "19";
  return o;
}

CiiParty Buyer() {
  v1::Customer c;
  c.mutable_external_ref()->set_id("0088:4000001123452");
  c.set_display_name("Kunde AG");
  c.set_country_code("DE");
  return CiiPartyFromCustomer(c);
}

v1::Invoice Fee(int64_t net, int64_t tax) {
  v1::Invoice inv;
  inv.set_number("FEE-2026-7");
  inv.set_currency_code("EUR");
  *inv.mutable_issue_date() = ProtoDay(2026, 11, 20);
  *inv.mutable_due_date() = ProtoDay(2026, 12, 4);
  *inv.mutable_total() = ProtoMoney("EUR", net + tax);
  *inv.mutable_tax() = ProtoMoney("EUR", tax);
  inv.set_payment_reference("RF18539007547034");
  v1::InvoiceLine* l = inv.add_lines();
  l->set_description("Late fee for invoice INV-1001");
  l->set_quantity_milli(1000);
  *l->mutable_unit_price() = ProtoMoney("EUR", net);
  *l->mutable_amount() = ProtoMoney("EUR", net);
  return inv;
}

int64_t Minor(const XmlElement* e) {
  EXPECT_NE(e, nullptr);
  if (e == nullptr) return 0;
  auto v = domain::ParseMinorUnits(e->text, "EUR");
  EXPECT_TRUE(v.ok()) << e->path << ": " << v.status();
  return v.value_or(0);
}

// Our own checks of the EN 16931 rules for the documents we write:
// mandatory terms and the totals. Returns the violated rules.
std::vector<std::string> En16931Violations(const std::string& xml) {
  std::vector<std::string> bad;
  auto reader = XmlStreamReader::FromBytes(xml, "out.xml");
  EXPECT_TRUE(reader.ok());
  bool more = false;
  do {
    auto n = (*reader)->Next();
    EXPECT_TRUE(n.ok()) << n.status();
    more = n.value_or(false);
  } while (more && (*reader)->kind() != XmlStreamReader::NodeKind::kStartElement);
  auto root = (*reader)->ReadSubtree();
  EXPECT_TRUE(root.ok());
  const XmlElement& r = *root;
  auto need = [&](const char* rule, const char* path) {
    if (r.TextAt(path).empty()) bad.push_back(rule);
  };
  need("BR-1", "ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID");
  need("BR-2", "ExchangedDocument/ID");
  need("BR-3", "ExchangedDocument/IssueDateTime/DateTimeString");
  need("BR-4", "ExchangedDocument/TypeCode");
  need("BR-5", "SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/InvoiceCurrencyCode");
  need("BR-6", "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/SellerTradeParty/Name");
  need("BR-7", "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerTradeParty/Name");
  need("BR-9",
       "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/SellerTradeParty/"
       "PostalTradeAddress/CountryID");
  need("BR-11",
       "SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerTradeParty/"
       "PostalTradeAddress/CountryID");
  const XmlElement* tx = r.Find("SupplyChainTradeTransaction");
  if (tx == nullptr) return {"no transaction"};
  const auto lines = tx->Children("IncludedSupplyChainTradeLineItem");
  if (lines.empty()) bad.push_back("BR-16");
  int64_t line_sum = 0;
  for (const XmlElement* l : lines) {
    line_sum +=
        Minor(l->Find("SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/"
                      "LineTotalAmount"));
    if (l->TextAt("SpecifiedTradeProduct/Name").empty()) bad.push_back("BR-25");
  }
  const XmlElement* s =
      tx->Find("ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementHeaderMonetarySummation");
  if (s == nullptr) return {"no totals"};
  const int64_t line_total = Minor(s->Child("LineTotalAmount")),
                basis = Minor(s->Child("TaxBasisTotalAmount"));
  const int64_t tax = Minor(s->Child("TaxTotalAmount")),
                grand = Minor(s->Child("GrandTotalAmount"));
  const int64_t due = Minor(s->Child("DuePayableAmount"));
  if (line_total != line_sum) bad.push_back("BR-CO-10");
  if (basis != line_total) bad.push_back("BR-CO-13");
  if (grand != basis + tax) bad.push_back("BR-CO-15");
  if (due != grand) bad.push_back("BR-CO-16");
  const XmlElement* vat = tx->Find("ApplicableHeaderTradeSettlement/ApplicableTradeTax");
  if (vat == nullptr) {
    bad.push_back("BR-CO-18");
  } else {
    if (Minor(vat->Child("CalculatedAmount")) != tax) bad.push_back("BR-CO-14");
    if (Minor(vat->Child("BasisAmount")) != basis) bad.push_back("BR-CO-18");
    if (vat->TextAt("CategoryCode") == "E" && vat->TextAt("ExemptionReason").empty())
      bad.push_back("BR-E-10");
  }
  if (due > 0 &&
      tx->TextAt("ApplicableHeaderTradeSettlement/SpecifiedTradePaymentTerms/DueDateDateTime/"
                 "DateTimeString")
          .empty() &&
      tx->TextAt("ApplicableHeaderTradeSettlement/SpecifiedTradePaymentTerms/Description")
          .empty()) {
    bad.push_back("BR-CO-25");
  }
  return bad;
}

testing::Collected ReadBack(const std::string& bytes) {
  ParseOptions o;
  o.file_name = "export";
  return testing::CollectString(
      bytes, [&](std::istream& in, auto r, auto i) { return ParseCii(in, o, r, i); });
}

TEST(CiiWrite, FeeInvoiceWithVatFollowsEn16931AndReadsBack) {
  const v1::Invoice fee = Fee(4000, 760);
  auto xml = WriteCiiInvoice(fee, Buyer(), Seller());
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_EQ(En16931Violations(*xml), std::vector<std::string>{}) << *xml;
  testing::Collected c = ReadBack(*xml);
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].record.customer().external_ref().id(), "0088:4000001123452");
  const v1::Invoice& back = c.records[1].record.invoice();
  EXPECT_EQ(back.number(), "FEE-2026-7");
  EXPECT_EQ(back.total().minor_units(), 4760);
  EXPECT_EQ(back.tax().minor_units(), 760);
  EXPECT_EQ(back.due_date().day(), 4);
  EXPECT_EQ(back.payment_reference(), "RF18539007547034");
  ASSERT_EQ(back.lines_size(), 1);
  EXPECT_EQ(back.lines(0).description(), "Late fee for invoice INV-1001");
}

TEST(CiiWrite, ExemptFeeHasItsExemptionReason) {
  auto xml = WriteCiiInvoice(Fee(4000, 0), Buyer(), Seller());
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_TRUE(En16931Violations(*xml).empty());
  EXPECT_TRUE(absl::StrContains(*xml, "<ram:CategoryCode>E</ram:CategoryCode>"));
  EXPECT_TRUE(absl::StrContains(*xml, "<ram:ExemptionReason>Compensation for late payment"));
}

TEST(CiiWrite, SettlementCreditNoteNamesTheInvoice) {
  v1::CreditNote cn;
  cn.set_number("SET-3");
  *cn.mutable_issue_date() = ProtoDay(2026, 11, 21);
  *cn.mutable_amount() = ProtoMoney("EUR", 25000);
  cn.set_invoice("tenants/acme/customers/c-1/invoices/INV-1001");
  cn.set_reason("Settlement: remaining balance forgiven");
  auto xml = WriteCiiCreditNote(cn, Buyer(), Seller());
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_EQ(En16931Violations(*xml), std::vector<std::string>{}) << *xml;
  testing::Collected c = ReadBack(*xml);
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  const v1::CreditNote& back = c.records[1].record.credit_note();
  EXPECT_EQ(back.amount().minor_units(), 25000);
  EXPECT_EQ(back.invoice_number(), "INV-1001");
}

TEST(CiiWrite, DataThatBreaksARuleIsRefused) {
  struct Case {
    const char* rule;
    std::function<void(v1::Invoice&, CiiWriteOptions&, CiiParty&)> edit;
  };
  const std::vector<Case> cases = {
      {"BR-CO-17",
       [](v1::Invoice& i, CiiWriteOptions&, CiiParty&) {
         *i.mutable_tax() = ProtoMoney("EUR", 700);
         *i.mutable_total() = ProtoMoney("EUR", 4700);
       }},
      {"BR-S-05", [](v1::Invoice&, CiiWriteOptions& o, CiiParty&) { o.vat_percent.clear(); }},
      {"BR-S-02", [](v1::Invoice&, CiiWriteOptions& o, CiiParty&) { o.seller.vat_id.clear(); }},
      {"BR-11", [](v1::Invoice&, CiiWriteOptions&, CiiParty& b) { b.country_code.clear(); }},
      {"BR-61", [](v1::Invoice&, CiiWriteOptions& o, CiiParty&) { o.payee_iban.clear(); }},
  };
  for (const Case& c : cases) {
    v1::Invoice inv = Fee(4000, 760);
    CiiWriteOptions o = Seller();
    CiiParty b = Buyer();
    c.edit(inv, o, b);
    auto xml = WriteCiiInvoice(inv, b, o);
    ASSERT_FALSE(xml.ok()) << c.rule;
    EXPECT_EQ(domain::ReasonOf(xml.status()), "EN16931_RULE") << c.rule << ": " << xml.status();
    EXPECT_TRUE(absl::StrContains(xml.status().ToString(), c.rule)) << xml.status();
  }
}

TEST(FacturX, ExportIsPdfA3WithTheInvoiceAndReimportsTheSameAmounts) {
  const v1::Invoice fee = Fee(4000, 760);
  auto xml = WriteCiiInvoice(fee, Buyer(), Seller());
  ASSERT_TRUE(xml.ok()) << xml.status();
  v1::SyncRecord rec;
  *rec.mutable_invoice() = fee;
  FacturXPdfOptions po;
  po.title = "Invoice FEE-2026-7";
  po.document_date = "2026-11-20T00:00:00Z";
  auto pdf = WriteFacturXPdf(*xml, FacturXPageLines(rec, Buyer(), Seller()), po);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  ASSERT_TRUE(absl::StartsWith(*pdf, "%PDF-1.7")) << pdf->substr(0, 10);
  // The PDF/A-3 and Factur-X structures.
  for (const char* part :
       {"<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
        "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>", "/GTS_PDFA1",
        "/AFRelationship /Alternative", "/Subtype /text#2fxml", "/FontFile"}) {
    EXPECT_TRUE(absl::StrContains(*pdf, part)) << part;
  }
  auto embedded = ExtractEmbeddedInvoice(*pdf, "fee.pdf");
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  EXPECT_EQ(embedded->file_name, "factur-x.xml");
  EXPECT_EQ(embedded->xml, *xml);
  // Re-import: the same amounts as the ledger's invoice.
  testing::Collected c = ReadBack(*pdf);
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  const v1::Invoice& back = c.records[1].record.invoice();
  EXPECT_EQ(back.total().minor_units(), fee.total().minor_units());
  EXPECT_EQ(back.tax().minor_units(), fee.tax().minor_units());
  EXPECT_EQ(back.number(), fee.number());
}

}  // namespace
}  // namespace collections::connectors
