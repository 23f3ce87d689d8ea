#include <fstream>

#include "absl/strings/str_cat.h"
#include "connectors/ubl/parse_ubl.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;
using testing::Collected;

Collected ParseFile(const std::string& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << path;
  ParseOptions o;
  o.file_name = name;
  return testing::Collect(in, [&](std::istream& s, auto on_record, auto on_issue) {
    return ParseUbl(s, o, on_record, on_issue);
  });
}

std::string Day(const v1::Date& d) { return absl::StrCat(d.year(), "-", d.month(), "-", d.day()); }

bool HasChannel(const v1::Customer& c, v1::ContactChannel::Type type, const std::string& address) {
  for (const auto& contact : c.contacts()) {
    for (const auto& ch : contact.channels()) {
      if (ch.type() == type && ch.address() == address) return true;
    }
  }
  return false;
}

// ------------------------------------------------------------ public samples

class UblSamples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSamples("ubl")) {
      GTEST_SKIP() << "public samples not found at " << testing::SampleDir("ubl")
                   << " (see ../shared/samples/SOURCES.md)";
    }
  }
  Collected Parse(const std::string& name) {
    return ParseFile(testing::SamplePath("ubl", name), name);
  }
};

TEST_F(UblSamples, PeppolBaseInvoice) {
  Collected c = Parse("peppol-bis3-base-example-invoice.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  const v1::Customer& buyer = c.records[0].record.customer();
  EXPECT_EQ(buyer.external_ref().source_system(), "peppol");
  EXPECT_EQ(buyer.external_ref().id(), "0002:FR23342");
  EXPECT_EQ(buyer.display_name(), "Buyer Official Name");
  EXPECT_EQ(buyer.kind(), v1::CUSTOMER_KIND_BUSINESS);
  EXPECT_EQ(buyer.country_code(), "SE");
  ASSERT_EQ(buyer.contacts_size(), 1);
  EXPECT_EQ(buyer.contacts(0).name(), "Lisa Johnson");
  EXPECT_TRUE(HasChannel(buyer, v1::ContactChannel::EMAIL, "lj@buyer.se"));
  EXPECT_TRUE(HasChannel(buyer, v1::ContactChannel::PHONE, "23434234"));
  EXPECT_TRUE(HasChannel(buyer, v1::ContactChannel::POSTAL,
                         "Hovedgatan 32\nPo box 878\nStockholm\n456 34\nSE"));

  const v1::SyncRecord& r = c.records[1].record;
  EXPECT_EQ(r.customer_ref(), "0002:FR23342");
  const v1::Invoice& inv = r.invoice();
  EXPECT_EQ(inv.number(), "Snippet1");
  EXPECT_EQ(inv.external_ref().id(), "Snippet1");
  EXPECT_EQ(Day(inv.issue_date()), "2017-11-13");
  EXPECT_EQ(Day(inv.due_date()), "2017-12-1");
  EXPECT_EQ(inv.currency_code(), "EUR");
  EXPECT_EQ(inv.total().minor_units(), 165625);
  EXPECT_EQ(inv.tax().minor_units(), 33125);
  EXPECT_EQ(inv.payment_reference(), "Snippet1");
  EXPECT_EQ(inv.terms().payment_terms_text(), "Payment within 10 days, 2% discount");
  ASSERT_EQ(inv.lines_size(), 2);
  EXPECT_EQ(inv.lines(0).line_id(), "1");
  EXPECT_EQ(inv.lines(0).description(), "item name");
  EXPECT_EQ(inv.lines(0).quantity_milli(), 7000);
  EXPECT_EQ(inv.lines(0).amount().minor_units(), 280000);  // currencyID= "EUR" with a space
  EXPECT_EQ(inv.lines(0).unit_price().minor_units(), 40000);
  EXPECT_EQ(inv.lines(1).quantity_milli(), -3000);
  EXPECT_EQ(inv.lines(1).amount().minor_units(), -150000);
  EXPECT_EQ(c.records[1].where.xpath, "/Invoice");
  EXPECT_EQ(c.records[0].where.xpath, "/Invoice/AccountingCustomerParty/Party");
}

TEST_F(UblSamples, PeppolCreditNoteCorrectsSnippet1) {
  Collected c = Parse("peppol-bis3-base-creditnote-correction.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  const v1::SyncRecord& r = c.records[1].record;
  ASSERT_TRUE(r.has_credit_note());
  EXPECT_EQ(r.customer_ref(), "0002:FR23342");
  EXPECT_EQ(r.credit_note().number(), "Snippet1");
  EXPECT_EQ(r.credit_note().invoice_number(), "Snippet1");  // BillingReference
  EXPECT_EQ(r.credit_note().amount().minor_units(), 165625);
  EXPECT_EQ(r.credit_note().amount().currency_code(), "EUR");
  EXPECT_EQ(Day(r.credit_note().issue_date()), "2017-11-13");
  EXPECT_EQ(r.credit_note().reason(), "Please note we have a new phone number: 22 22 22 22");
}

TEST_F(UblSamples, AllowancesTaxCurrencyAndPrepaidAmount) {
  Collected c = Parse("peppol-bis3-allowance-example.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 3u);
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.total().minor_units(), 712500);
  EXPECT_EQ(inv.tax().minor_units(), 122500);  // the EUR TaxTotal, not the SEK 9324.00
  ASSERT_EQ(inv.lines_size(), 3);
  EXPECT_EQ(inv.lines(1).unit_price().minor_units(), 10000);  // 200 per BaseQuantity 2
  EXPECT_EQ(inv.lines(1).amount().minor_units(), 100000);
  const v1::Customer& buyer = c.records[0].record.customer();
  EXPECT_TRUE(HasChannel(buyer, v1::ContactChannel::POSTAL,
                         "Hovedgatan 32\nPo box 878\nStockholm\n456 34\nS\xC3\xB6"
                         "dermalm\nSE"));
  // PrepaidAmount 1000 becomes a payment on the invoice, so that the
  // ledger's amount due is PayableAmount 6125.00.
  const v1::SyncRecord& p = c.records[2].record;
  ASSERT_TRUE(p.has_payment());
  EXPECT_EQ(p.payment().external_ref().id(), "prepaid:Snippet1");
  EXPECT_EQ(p.payment().amount().minor_units(), 100000);
  ASSERT_EQ(p.payment().allocations_size(), 1);
  EXPECT_EQ(p.payment().allocations(0).invoice_number(), "Snippet1");
  EXPECT_EQ(inv.total().minor_units() - p.payment().amount().minor_units(), 612500);
}

TEST_F(UblSamples, ExemptGbpInvoiceWithoutDueDate) {
  Collected c = Parse("peppol-bis3-vat-category-E-GBP.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].record.customer().external_ref().id(), "0184:12345678");
  EXPECT_EQ(c.records[0].record.customer().display_name(), "The Buyercompany");
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.number(), "Vat-Z");
  EXPECT_EQ(inv.currency_code(), "GBP");
  EXPECT_EQ(inv.total().minor_units(), 120000);
  EXPECT_FALSE(inv.has_tax());
  EXPECT_EQ(Day(inv.issue_date()), "2018-8-30");
  EXPECT_EQ(Day(inv.due_date()), "2018-9-29");  // "Payment within 30 days"
}

TEST_F(UblSamples, CenCreditNoteWithSpacesInItsNumber) {
  Collected c = Parse("cen-tc434-ubl-creditnote1-BE.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].record.customer().external_ref().id(), "0201:0000000295");
  EXPECT_EQ(c.records[0].record.customer().country_code(), "BE");
  const v1::CreditNote& cn = c.records[1].record.credit_note();
  EXPECT_EQ(cn.number(), "018304 / 28865");
  EXPECT_EQ(cn.amount().minor_units(), 10011);
  EXPECT_EQ(cn.invoice_number(), "");  // no BillingReference: account-level credit
  EXPECT_EQ(Day(cn.issue_date()), "2019-9-23");
}

// ----------------------------------------------------------------- quirks

TEST(UblParse, NegativeInvoiceIsACreditNoteForTheReferencedInvoice) {
  // CRLF, tab indentation, an XML comment, spaces around '=' in attributes,
  // decimals without fixed scale, non-ASCII UTF-8.
  Collected c = ParseFile(testing::TestData("negative-correction.xml"), "neg.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  const v1::Customer& buyer = c.records[0].record.customer();
  EXPECT_EQ(buyer.external_ref().id(), "9930:DE123456789");
  EXPECT_EQ(buyer.display_name(), "K\xC3\xA4ufer GmbH");
  const v1::SyncRecord& r = c.records[1].record;
  ASSERT_TRUE(r.has_credit_note());
  EXPECT_EQ(r.credit_note().number(), "INV-9");
  EXPECT_EQ(r.credit_note().invoice_number(), "INV-7");
  EXPECT_EQ(r.credit_note().amount().minor_units(), 12100);
  EXPECT_EQ(r.credit_note().reason(),
            "Correction \xE2\x80\x93 facture annul\xC3\xA9"
            "e");
}

TEST(UblParse, PrepaidRoundingAndDueDateInPaymentMeans) {
  Collected c = ParseFile(testing::TestData("prepaid-rounding.xml"), "p.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 3u);
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.total().minor_units(), 121001);  // TaxInclusive + PayableRounding
  EXPECT_EQ(inv.tax().minor_units(), 21000);
  EXPECT_EQ(Day(inv.due_date()), "2026-2-15");
  EXPECT_EQ(inv.payment_reference(), "RF18539007547034");
  EXPECT_EQ(inv.lines(0).line_id(), "A");
  EXPECT_EQ(inv.lines(0).description(), "Only a description");
  EXPECT_EQ(inv.lines(0).quantity_milli(), 2500);
  EXPECT_EQ(inv.lines(0).unit_price().minor_units(), 40000);
  EXPECT_EQ(c.records[2].record.payment().amount().minor_units(), 20000);
  EXPECT_EQ(inv.total().minor_units() - 20000, 101001);  // = PayableAmount
}

// -------------------------------------------------------------- malformed

struct BadCase {
  const char* file;
  bool file_error;  // the whole input is unusable
  const char* reason;
  const char* field;
  const char* xpath_part;
};

class UblMalformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(UblMalformed, NamesTheProblemAndEmitsNothing) {
  const BadCase& bad = GetParam();
  Collected c = ParseFile(testing::TestData(bad.file), bad.file);
  EXPECT_TRUE(c.records.empty());
  if (bad.file_error) {
    ASSERT_FALSE(c.status.ok());
    EXPECT_EQ(domain::ReasonOf(c.status), bad.reason) << c.status;
    EXPECT_NE(c.status.message().find(bad.file), std::string::npos) << c.status;
    EXPECT_NE(c.status.message().find(bad.xpath_part), std::string::npos) << c.status;
    return;
  }
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_EQ(c.issues.size(), 1u) << c.IssuesText();
  EXPECT_EQ(c.issues[0].reason, bad.reason);
  EXPECT_EQ(c.issues[0].field, bad.field);
  EXPECT_EQ(c.issues[0].where.file, bad.file);
  EXPECT_NE(c.issues[0].where.xpath.find(bad.xpath_part), std::string::npos)
      << c.issues[0].ToString();
  EXPECT_GT(c.issues[0].where.line, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Files, UblMalformed,
    ::testing::Values(BadCase{"not-well-formed.xml", true, "XML_MALFORMED", "", ":33"},
                      BadCase{"camt-root.xml", true, "UBL_UNKNOWN_ROOT", "", "/Document"},
                      BadCase{"empty.xml", true, "XML_MALFORMED", "", "empty.xml"},
                      BadCase{"missing-id.xml", false, "MISSING_FIELD", "cbc:ID", "/Invoice/ID"},
                      BadCase{"bad-date.xml", false, "INVALID_DATE", "cbc:IssueDate",
                              "/Invoice/IssueDate"},
                      BadCase{"bad-amount.xml", false, "INVALID_AMOUNT", "cbc:TaxInclusiveAmount",
                              "/Invoice/LegalMonetaryTotal/TaxInclusiveAmount"},
                      BadCase{"totals-inconsistent.xml", false, "UBL_TOTALS_INCONSISTENT",
                              "cbc:PayableAmount", "/Invoice/LegalMonetaryTotal/PayableAmount"},
                      BadCase{"currency-mismatch.xml", false, "CURRENCY_MISMATCH",
                              "cbc:PrepaidAmount", "/Invoice/LegalMonetaryTotal/PrepaidAmount"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name;
      for (const char* p = info.param.file; *p != '.'; ++p) name.push_back(*p == '-' ? '_' : *p);
      return name;
    });

}  // namespace
}  // namespace collections::connectors
