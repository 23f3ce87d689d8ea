#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <sstream>

#include "connectors/ubl/parse_ubl.h"
#include "connectors/ubl/write_ubl.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

UblWriteOptions Seller() {
  UblWriteOptions o;
  o.supplier.endpoint_scheme = "0088";
  o.supplier.endpoint_id = "5790000435975";
  o.supplier.registration_name = "Acme Collections & Co <Ltd>";  // needs escaping
  o.supplier.vat_id = "DK12345678";
  o.supplier.street = "Hovedgaden 1";
  o.supplier.city =
      "K\xC3\xB8"
      "benhavn";
  o.supplier.postal_zone = "1050";
  o.supplier.country_code = "DK";
  o.payee_account = "DK5000400440116243";
  return o;
}

UblParty Buyer() {
  UblParty p;
  p.endpoint_scheme = "9930";
  p.endpoint_id = "DE123456789";
  p.registration_name = "K\xC3\xA4ufer GmbH";
  p.country_code = "DE";
  p.city = "K\xC3\xB6ln";
  return p;
}

v1::Invoice FeeInvoice() {
  v1::Invoice inv;
  inv.mutable_external_ref()->set_source_system("peppol");
  inv.mutable_external_ref()->set_id("FEE-2026-0001");
  inv.set_number("FEE-2026-0001");
  *inv.mutable_issue_date() = testing::ProtoDay(2026, 4, 1);
  *inv.mutable_due_date() = testing::ProtoDay(2026, 4, 15);
  inv.set_currency_code("EUR");
  *inv.mutable_total() = testing::ProtoMoney("EUR", 4250);
  inv.set_payment_reference("RF71FEE20260001");
  inv.mutable_terms()->set_payment_terms_text("Due within 14 days");
  auto* l1 = inv.add_lines();
  l1->set_line_id("1");
  l1->set_description("Flat compensation for late payment (Directive 2011/7/EU art. 6)");
  l1->set_quantity_milli(1000);
  *l1->mutable_unit_price() = testing::ProtoMoney("EUR", 4000);
  *l1->mutable_amount() = testing::ProtoMoney("EUR", 4000);
  auto* l2 = inv.add_lines();
  l2->set_line_id("2");
  l2->set_description("Interest, 10 days");
  l2->set_quantity_milli(10000);
  *l2->mutable_unit_price() = testing::ProtoMoney("EUR", 25);
  *l2->mutable_amount() = testing::ProtoMoney("EUR", 250);
  return inv;
}

v1::CreditNote Settlement() {
  v1::CreditNote cn;
  cn.mutable_external_ref()->set_source_system("peppol");
  cn.mutable_external_ref()->set_id("SC-2026-0007");
  cn.set_number("SC-2026-0007");
  *cn.mutable_issue_date() = testing::ProtoDay(2026, 6, 1);
  *cn.mutable_amount() = testing::ProtoMoney("EUR", 50000);
  cn.set_invoice_number("INV-2025-0133");
  cn.set_reason("Settlement agreed on 2026-05-28");
  return cn;
}

std::vector<ParsedRecord> Reparse(const std::string& xml) {
  std::vector<ParsedRecord> out;
  std::istringstream in(xml);
  ParseOptions o;
  o.file_name = "written.xml";
  absl::Status st = ParseUbl(
      in, o, [&](ParsedRecord r) { out.push_back(std::move(r)); },
      [&](ParseIssue i) { ADD_FAILURE() << i.ToString(); });
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

// Counts the nodes an XPath (with cbc:/cac: prefixes and "u:" for the root
// namespace) selects in `xml`.
int Count(const std::string& xml, const std::string& root_ns, const std::string& xpath) {
  xmlDocPtr doc =
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "w.xml", nullptr, XML_PARSE_NONET);
  if (doc == nullptr) return -1;
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  auto reg = [&](const char* prefix, const std::string& uri) {
    xmlXPathRegisterNs(ctx, reinterpret_cast<const xmlChar*>(prefix),
                       reinterpret_cast<const xmlChar*>(uri.c_str()));
  };
  reg("u", root_ns);
  reg("cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2");
  reg("cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2");
  xmlXPathObjectPtr result =
      xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx);
  int n = -1;
  if (result != nullptr) {
    n = result->nodesetval != nullptr ? result->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(result);
  }
  xmlXPathFreeContext(ctx);
  xmlFreeDoc(doc);
  return n;
}

TEST(UblWrite, FeeInvoiceRoundTrips) {
  auto xml = WriteUblInvoice(FeeInvoice(), Buyer(), Seller());
  ASSERT_TRUE(xml.ok()) << xml.status();
  auto back = Reparse(*xml);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].record.customer().external_ref().id(), "9930:DE123456789");
  EXPECT_EQ(back[0].record.customer().display_name(), "K\xC3\xA4ufer GmbH");
  v1::SyncRecord want;
  want.set_customer_ref("9930:DE123456789");
  *want.mutable_invoice() = FeeInvoice();
  testing::ExpectSameRecord(want, back[1].record);
}

TEST(UblWrite, SettlementCreditNoteRoundTripsWithItsBillingReference) {
  auto xml = WriteUblCreditNote(Settlement(), Buyer(), Seller());
  ASSERT_TRUE(xml.ok()) << xml.status();
  auto back = Reparse(*xml);
  ASSERT_EQ(back.size(), 2u);
  v1::SyncRecord want;
  want.set_customer_ref("9930:DE123456789");
  *want.mutable_credit_note() = Settlement();
  testing::ExpectSameRecord(want, back[1].record);
}

TEST(UblWrite, InvoiceCarriesEveryMandatoryBis3Element) {
  auto xml = WriteUblInvoice(FeeInvoice(), Buyer(), Seller());
  ASSERT_TRUE(xml.ok()) << xml.status();
  const std::string ns = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
  EXPECT_EQ(
      Count(*xml, ns,
            std::string("/u:Invoice/cbc:CustomizationID[.='") + kPeppolBis3CustomizationId + "']"),
      1);
  EXPECT_EQ(
      Count(*xml, ns, std::string("/u:Invoice/cbc:ProfileID[.='") + kPeppolBis3ProfileId + "']"),
      1);
  for (const char* path : {
           "/u:Invoice/cbc:ID",
           "/u:Invoice/cbc:IssueDate",
           "/u:Invoice/cbc:DueDate",
           "/u:Invoice/cbc:InvoiceTypeCode[.='380']",
           "/u:Invoice/cbc:DocumentCurrencyCode",
           "/u:Invoice/cbc:BuyerReference",
           "/u:Invoice/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID[@schemeID='0088']",
           "/u:Invoice/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/"
           "cbc:IdentificationCode",
           "/u:Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
           "/u:Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/"
           "cbc:RegistrationName",
           "/u:Invoice/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID[@schemeID='9930']",
           "/u:Invoice/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/"
           "cbc:IdentificationCode",
           "/u:Invoice/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/"
           "cbc:RegistrationName",
           "/u:Invoice/cac:PaymentMeans/cbc:PaymentMeansCode",
           "/u:Invoice/cac:PaymentMeans/cbc:PaymentID",
           "/u:Invoice/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
           "/u:Invoice/cac:TaxTotal/cbc:TaxAmount[@currencyID='EUR']",
           "/u:Invoice/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[cbc:ID='E'][cbc:Percent='0']/"
           "cbc:TaxExemptionReason",
           "/u:Invoice/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID[.='VAT']",
           "/u:Invoice/cac:LegalMonetaryTotal/cbc:LineExtensionAmount[.='42.50']",
           "/u:Invoice/cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
           "/u:Invoice/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
           "/u:Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount[.='42.50']",
       }) {
    EXPECT_EQ(Count(*xml, ns, path), 1) << path << "\n" << *xml;
  }
  for (const char* path : {
           "/u:Invoice/cac:InvoiceLine/cbc:ID",
           "/u:Invoice/cac:InvoiceLine/cbc:InvoicedQuantity[@unitCode='C62']",
           "/u:Invoice/cac:InvoiceLine/cbc:LineExtensionAmount[@currencyID='EUR']",
           "/u:Invoice/cac:InvoiceLine/cac:Item/cbc:Name",
           "/u:Invoice/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
           "/u:Invoice/cac:InvoiceLine/cac:Price/cbc:PriceAmount",
       }) {
    EXPECT_EQ(Count(*xml, ns, path), 2) << path;
  }
  EXPECT_NE(xml->find("Acme Collections &amp; Co &lt;Ltd&gt;"), std::string::npos);
}

TEST(UblWrite, CreditNoteCarriesTheCreditNoteElements) {
  auto xml = WriteUblCreditNote(Settlement(), Buyer(), Seller());
  ASSERT_TRUE(xml.ok()) << xml.status();
  const std::string ns = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
  for (const char* path : {
           "/u:CreditNote/cbc:CustomizationID",
           "/u:CreditNote/cbc:ProfileID",
           "/u:CreditNote/cbc:CreditNoteTypeCode[.='381']",
           "/u:CreditNote/cac:BillingReference/cac:InvoiceDocumentReference/"
           "cbc:ID[.='INV-2025-0133']",
           "/u:CreditNote/cac:CreditNoteLine/cbc:CreditedQuantity",
           "/u:CreditNote/cac:LegalMonetaryTotal/cbc:PayableAmount[.='500.00']",
       }) {
    EXPECT_EQ(Count(*xml, ns, path), 1) << path << "\n" << *xml;
  }
  EXPECT_EQ(Count(*xml, ns, "/u:CreditNote/cbc:DueDate"), 0);  // not in the CreditNote schema
}

TEST(UblWrite, StandardRatedInvoiceChecksTheVatAmount) {
  v1::Invoice inv = FeeInvoice();
  *inv.mutable_tax() = testing::ProtoMoney("EUR", 893);  // 21 % of 42.50 = 8.925 -> 8.93
  *inv.mutable_total() = testing::ProtoMoney("EUR", 4250 + 893);
  UblWriteOptions o = Seller();
  o.vat_percent = "21";
  auto xml = WriteUblInvoice(inv, Buyer(), o);
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_EQ(Count(*xml, "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
                  "//cac:TaxSubtotal/cac:TaxCategory[cbc:ID='S'][cbc:Percent='21']"),
            1);
  auto back = Reparse(*xml);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].record.invoice().tax().minor_units(), 893);
  EXPECT_EQ(back[1].record.invoice().total().minor_units(), 5143);

  o.vat_percent = "20";
  auto wrong = WriteUblInvoice(inv, Buyer(), o);
  EXPECT_EQ(domain::ReasonOf(wrong.status()), "PEPPOL_RULE");
  EXPECT_NE(wrong.status().message().find("BR-CO-17"), std::string::npos) << wrong.status();
}

TEST(UblWrite, RefusesDocumentsBis3WouldReject) {
  UblParty no_endpoint = Buyer();
  no_endpoint.endpoint_id.clear();
  EXPECT_EQ(domain::ReasonOf(WriteUblInvoice(FeeInvoice(), no_endpoint, Seller()).status()),
            "PEPPOL_MISSING_ELEMENT");
  UblParty no_country = Buyer();
  no_country.country_code.clear();
  EXPECT_EQ(domain::ReasonOf(WriteUblInvoice(FeeInvoice(), no_country, Seller()).status()),
            "PEPPOL_MISSING_ELEMENT");
  UblWriteOptions no_vat_id = Seller();
  no_vat_id.supplier.vat_id.clear();
  auto st = WriteUblInvoice(FeeInvoice(), Buyer(), no_vat_id).status();
  EXPECT_NE(st.message().find("BR-E-02"), std::string::npos) << st;
  // A total that no charge, allowance or rounding explains under the VAT
  // rate (20 % of 42.50 is 8.50; 8.50 is not 20 % of 91.49 - 8.50).
  v1::Invoice unbalanced = FeeInvoice();
  *unbalanced.mutable_tax() = testing::ProtoMoney("EUR", 850);
  *unbalanced.mutable_total() = testing::ProtoMoney("EUR", 9999);
  UblWriteOptions twenty = Seller();
  twenty.vat_percent = "20";
  auto unbalanced_st = WriteUblInvoice(unbalanced, Buyer(), twenty).status();
  EXPECT_EQ(domain::ReasonOf(unbalanced_st), "PEPPOL_RULE");
  EXPECT_NE(unbalanced_st.message().find("BR-CO-15"), std::string::npos) << unbalanced_st;
  // Category O: no seller VAT id is written (BR-O-02), no percent.
  UblWriteOptions outside = Seller();
  outside.zero_vat_category = "O";
  auto xml = WriteUblInvoice(FeeInvoice(), Buyer(), outside);
  ASSERT_TRUE(xml.ok()) << xml.status();
  const std::string ns = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
  EXPECT_EQ(Count(*xml, ns, "//cac:AccountingSupplierParty//cac:PartyTaxScheme"), 0);
  EXPECT_EQ(Count(*xml, ns, "//cac:ClassifiedTaxCategory/cbc:Percent"), 0);
}

// D8: an invoice whose total is not lines + VAT (a UBL import with a
// document-level charge, allowance or payable rounding keeps only lines,
// tax and total) is written with that charge, allowance or rounding, so
// that BR-CO-13/15/16 hold: TaxExclusive = lines - allowances + charges,
// TaxInclusive = TaxExclusive + VAT, Payable = TaxInclusive + rounding.
// Reading it back gives the same total and tax.
TEST(UblWrite, DocumentLevelChargesAllowancesAndRoundingKeepTheTotalsConsistent) {
  struct Case {
    const char* name;
    int64_t tax;
    int64_t total;
    const char* vat_percent;
    std::vector<std::string> paths;  // each must select one node
  };
  const std::string m = "/u:Invoice/cac:LegalMonetaryTotal/";
  const std::vector<Case> cases = {
      {"rounding",
       0,
       4248,
       "",
       {m + "cbc:LineExtensionAmount[.='42.50']", m + "cbc:TaxExclusiveAmount[.='42.50']",
        m + "cbc:TaxInclusiveAmount[.='42.50']", m + "cbc:PayableRoundingAmount[.='-0.02']",
        m + "cbc:PayableAmount[.='42.48']"}},
      {"charge with VAT",
       1000,
       6000,
       "20",
       {"/u:Invoice/cac:AllowanceCharge[cbc:ChargeIndicator='true'][cbc:Amount='7.50']"
        "[cbc:AllowanceChargeReason]/cac:TaxCategory[cbc:ID='S'][cbc:Percent='20']",
        "//cac:TaxSubtotal/cbc:TaxableAmount[.='50.00']", m + "cbc:LineExtensionAmount[.='42.50']",
        m + "cbc:TaxExclusiveAmount[.='50.00']", m + "cbc:ChargeTotalAmount[.='7.50']",
        m + "cbc:TaxInclusiveAmount[.='60.00']", m + "cbc:PayableAmount[.='60.00']"}},
      {"allowance",
       0,
       4000,
       "",
       {"/u:Invoice/cac:AllowanceCharge[cbc:ChargeIndicator='false'][cbc:Amount='2.50']",
        m + "cbc:TaxExclusiveAmount[.='40.00']", m + "cbc:AllowanceTotalAmount[.='2.50']",
        m + "cbc:PayableAmount[.='40.00']"}},
  };
  const std::string ns = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
  for (const Case& c : cases) {
    v1::Invoice inv = FeeInvoice();
    *inv.mutable_tax() = testing::ProtoMoney("EUR", c.tax);
    *inv.mutable_total() = testing::ProtoMoney("EUR", c.total);
    UblWriteOptions o = Seller();
    o.vat_percent = c.vat_percent;
    auto xml = WriteUblInvoice(inv, Buyer(), o);
    ASSERT_TRUE(xml.ok()) << c.name << ": " << xml.status();
    for (const std::string& path : c.paths) {
      EXPECT_EQ(Count(*xml, ns, path), 1) << c.name << ": " << path << "\n" << *xml;
    }
    auto back = Reparse(*xml);
    ASSERT_EQ(back.size(), 2u) << c.name;
    EXPECT_EQ(back[1].record.invoice().total().minor_units(), c.total) << c.name;
    EXPECT_EQ(back[1].record.invoice().tax().minor_units(), c.tax) << c.name;
  }
}

TEST(UblWrite, PartyFromAParsedCustomer) {
  v1::Customer c;
  c.mutable_external_ref()->set_id("0002:FR23342");
  c.set_display_name("Buyer Official Name");
  c.set_country_code("FR");
  UblParty p = UblPartyFromCustomer(c);
  EXPECT_EQ(p.endpoint_scheme, "0002");
  EXPECT_EQ(p.endpoint_id, "FR23342");
  EXPECT_EQ(p.registration_name, "Buyer Official Name");
  EXPECT_EQ(p.country_code, "FR");
}

}  // namespace
}  // namespace collections::connectors
