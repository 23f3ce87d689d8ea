#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "connectors/cii/facturx_pdf.h"
#include "connectors/cii/parse_cii.h"
#include "connectors/einvoice/document.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/expected_records.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;
using testing::Collected;

Collected ParseFile(const std::string& path, const std::string& name, CiiStats* stats = nullptr) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << path;
  ParseOptions o;
  o.file_name = name;
  return testing::Collect(in, [&](std::istream& s, auto on_record, auto on_issue) {
    return ParseCii(s, o, on_record, on_issue, stats);
  });
}

std::string Day(const v1::Date& d) { return absl::StrCat(d.year(), "-", d.month(), "-", d.day()); }

// ------------------------------------------------------------ public samples
// Expected values read from the sample files themselves (see SOURCES.md).

class CiiSamples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSamples("cii")) GTEST_SKIP() << "no samples at " << testing::SampleDir("cii");
  }
  Collected Parse(const std::string& name, CiiStats* stats = nullptr) {
    return ParseFile(testing::SamplePath("cii", name), name, stats);
  }
};

TEST_F(CiiSamples, CenExample2PrepaidAndDueDate) {
  Collected c = Parse("cen-tc434-cii-example2-nok-prepaid-duedate.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 3u);
  const v1::Customer& buyer = c.records[0].record.customer();
  EXPECT_EQ(buyer.external_ref().id(), "0088:3456789012098");  // GlobalID schemeID 0088
  EXPECT_EQ(buyer.display_name(), "The Buyercompany");
  EXPECT_EQ(buyer.country_code(), "NO");
  EXPECT_EQ(buyer.kind(), v1::CUSTOMER_KIND_BUSINESS);
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.number(), "TOSL108");
  EXPECT_EQ(inv.currency_code(), "NOK");
  EXPECT_EQ(Day(inv.issue_date()), "2013-6-30");
  EXPECT_EQ(Day(inv.due_date()), "2013-7-20");   // DueDateDateTime 20130720
  EXPECT_EQ(inv.total().minor_units(), 180178);  // GrandTotalAmount 1801.78
  EXPECT_EQ(inv.tax().minor_units(), 36528);     // TaxTotalAmount 365.28
  EXPECT_EQ(inv.payment_reference(), "0003434323213231");
  EXPECT_EQ(inv.lines_size(), 5);
  const v1::Payment& prepaid = c.records[2].record.payment();
  EXPECT_EQ(prepaid.amount().minor_units(), 100000);  // TotalPrepaidAmount 1000
  ASSERT_EQ(prepaid.allocations_size(), 1);
  EXPECT_EQ(prepaid.allocations(0).invoice_number(), "TOSL108");
  // What remains due is DuePayableAmount 801.78.
  EXPECT_EQ(inv.total().minor_units() - prepaid.amount().minor_units(), 80178);
}

TEST_F(CiiSamples, FacturXPdfCreditNote) {
  CiiStats stats;
  Collected c = Parse("fnfe-facturx-basic-avoir-381.pdf", &stats);
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  EXPECT_EQ(stats.embedded_file, "factur-x.xml");
  EXPECT_EQ(stats.profile, "urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic");
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].record.customer().display_name(), "Ma jolie boutique");
  const v1::CreditNote& cn = c.records[1].record.credit_note();
  EXPECT_EQ(cn.number(), "AV-2017-0005");
  EXPECT_EQ(cn.amount().currency_code(), "EUR");
  EXPECT_EQ(cn.amount().minor_units(), 23347);  // 233.47
  EXPECT_EQ(cn.invoice_number(), "FA-2017-0010");
  EXPECT_EQ(Day(cn.issue_date()), "2017-11-16");
  EXPECT_NE(c.records[1].where.file.find("#factur-x.xml"), std::string::npos);
}

TEST_F(CiiSamples, XRechnungSkontoGivesTheNetDueDate) {
  Collected c = Parse("kosit-xrechnung30-cii-01.10a-skonto-terms.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.total().minor_units(), 259420);
  // No due date: #SKONTO#TAGE=30#PROZENT=0.00# is the net term, 30 days
  // after 2016-06-27.
  EXPECT_EQ(Day(inv.due_date()), "2016-7-27");
  EXPECT_EQ(
      inv.terms().payment_terms_text(),
      "#SKONTO#TAGE=7#PROZENT=2.00#\n#SKONTO#TAGE=14#PROZENT=1.00#\n#SKONTO#TAGE=30#PROZENT=0.00#");
}

TEST_F(CiiSamples, BetriebskostenPrepaidAdvancePayments) {
  Collected c = Parse("zugferd-corpus-en16931-betriebskosten-prepaid-duedate.cii.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 3u);
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.number(), "471102");
  EXPECT_EQ(inv.total().minor_units(), 1831063);  // 18310.63
  EXPECT_EQ(Day(inv.due_date()), "2018-4-4");
  EXPECT_EQ(c.records[2].record.payment().amount().minor_units(), 1780800);  // 17808.00
}

TEST_F(CiiSamples, NegativeCorrection384BecomesACreditNote) {
  Collected c = Parse("zugferd-corpus-en16931-rechnungskorrektur-384-negative.cii.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].record.customer().external_ref().id(), "009420");
  const v1::CreditNote& cn = c.records[1].record.credit_note();
  EXPECT_EQ(cn.number(), "RK21012345");
  EXPECT_EQ(cn.amount().minor_units(), 879);  // GrandTotalAmount -8.79
}

TEST_F(CiiSamples, MustangCreditNote381) {
  Collected c = Parse("zugferd-corpus-mustang-creditnote-381.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].record.customer().external_ref().id(), "VA:DE0815");
  EXPECT_EQ(c.records[0].record.customer().display_name(), "Franz Müller");
  const v1::CreditNote& cn = c.records[1].record.credit_note();
  EXPECT_EQ(cn.number(), "123");
  EXPECT_EQ(cn.amount().minor_units(), 357);  // 3.57
}

// ------------------------------------------------------------ own fixtures

TEST(CiiParse, En16931InvoiceWithMandateAndReference) {
  Collected c = ParseFile(testing::TestData("en16931-invoice.xml"), "en16931-invoice.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].record.customer().external_ref().id(), "0088:4000001123452");
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.total().minor_units(), 23800);
  EXPECT_EQ(inv.tax().minor_units(), 3800);
  EXPECT_EQ(inv.payment_reference(), "RF18539007547034");
  // "30 Tagen" in the terms: due 30 days after 2026-01-05.
  EXPECT_EQ(Day(inv.due_date()), "2026-2-4");
  EXPECT_EQ(inv.terms().payment_terms_text(),
            "Zahlbar innerhalb 30 Tagen netto\nSEPA mandate MANDATE-77");
  ASSERT_EQ(inv.lines_size(), 1);
  EXPECT_EQ(inv.lines(0).quantity_milli(), 2000);
  EXPECT_EQ(inv.lines(0).unit_price().minor_units(), 10000);
  EXPECT_EQ(inv.lines(0).amount().minor_units(), 20000);
}

TEST(CiiParse, MinimumProfileWithoutLinesOrIds) {
  CiiStats stats;
  Collected c = ParseFile(testing::TestData("minimum-profile.xml"), "minimum-profile.xml", &stats);
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  EXPECT_EQ(stats.profile, "urn:factur-x.eu:1p0:minimum");
  ASSERT_EQ(c.records.size(), 2u);
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.total().minor_units(), 11900);
  EXPECT_EQ(inv.lines_size(), 0);
  EXPECT_EQ(Day(inv.due_date()), Day(inv.issue_date()));  // no terms: due on issue
}

TEST(CiiParse, CreditNoteNamesTheCorrectedInvoice) {
  Collected c = ParseFile(testing::TestData("credit-note-381.xml"), "credit-note-381.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].record.credit_note().invoice_number(), "INV-1");
  EXPECT_EQ(c.records[1].record.credit_note().amount().minor_units(), 23800);
}

TEST(CiiParse, RoundingAddsToTheTotalAndPrepaidIsAllocated) {
  Collected c = ParseFile(testing::TestData("rounding-prepaid.xml"), "rounding-prepaid.xml");
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[1].record.invoice().total().minor_units(), 23802);
  EXPECT_EQ(c.records[2].record.payment().amount().minor_units(), 10000);
}

TEST(CiiParse, IssuesAreLocatedByXPathAndLine) {
  Collected c = ParseFile(testing::TestData("bad/TOTALS_INCONSISTENT.xml"), "t.xml");
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].field, "ram:DuePayableAmount");
  EXPECT_EQ(c.issues[0].where.xpath,
            "/CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/"
            "SpecifiedTradeSettlementHeaderMonetarySummation/DuePayableAmount");
  EXPECT_EQ(c.issues[0].where.line, 31);
}

TEST(CiiParse, EveryBadInputIsRefusedWithItsReasonAndNoRecord) {
  // testdata/bad/<REASON>[_what].<ext> (expected_records.h).
  const int files = testing::ForEachBadInput([](const std::string& path, const std::string& name) {
    std::ifstream in(path, std::ios::binary);
    ParseOptions o;
    o.file_name = name;
    testing::BadInputResult got;
    int records = 0;
    got.status = ParseCii(
        in, o, [&](ParsedRecord) { ++records; },
        [&](ParseIssue i) { got.issues.push_back(std::move(i)); });
    EXPECT_EQ(records, 0) << name;
    return got;
  });
  EXPECT_GE(files, 10);
}

TEST(CiiParse, PdfWithoutAnInvoiceIsRefused) {
  // A valid PDF with no attachment, made here with qpdf.
  const std::string pdf =
      "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
      "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
  auto got = ExtractEmbeddedInvoice(pdf, "empty.pdf");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(domain::ReasonOf(got.status()), "FACTURX_NO_INVOICE") << got.status();
}

TEST(CiiParse, LongDocumentsStreamWithBoundedLineDetail) {
  // 20000 lines: all are read, the first kMaxKeptLines are kept.
  std::string lines;
  std::string line =
      "<ram:IncludedSupplyChainTradeLineItem><ram:SpecifiedLineTradeSettlement>"
      "<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>1.00</"
      "ram:LineTotalAmount>"
      "</ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>"
      "</ram:IncludedSupplyChainTradeLineItem>\n";
  for (int i = 0; i < 20000; ++i) lines += line;
  std::string xml = testing::ReadFile(testing::TestData("minimum-profile.xml"));
  xml.replace(xml.find("<rsm:SupplyChainTradeTransaction>") + 34, 0, lines);
  CiiStats stats;
  ParseOptions o;
  Collected c = testing::CollectString(xml, [&](std::istream& s, auto on_record, auto on_issue) {
    return ParseCii(s, o, on_record, on_issue, &stats);
  });
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_TRUE(c.issues.empty()) << c.IssuesText();
  EXPECT_EQ(stats.lines, 20000);
  EXPECT_EQ(c.records[1].record.invoice().lines_size(), kMaxKeptLines);
}

TEST(CiiStreaming, OneHugeDocumentKeepsMemoryFlat) {
  // An EN 16931 invoice with as many lines as fit in the test size (50 MB
  // in CI, COLLECTIONS_STREAM_TEST_MB for the benchmark), each line 1.00.
  const std::string xml = testing::ReadFile(testing::TestData("minimum-profile.xml"));
  const size_t cut = xml.find("<rsm:SupplyChainTradeTransaction>") + 34;
  const std::string line =
      "<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>1</"
      "ram:LineID>"
      "</ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct><ram:Name>Consulting "
      "hour</ram:Name>"
      "</ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>"
      "<ram:ChargeAmount>1.00</ram:ChargeAmount></ram:NetPriceProductTradePrice></"
      "ram:SpecifiedLineTradeAgreement>"
      "<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"HUR\">1</ram:BilledQuantity>"
      "</ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement>"
      "<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>1.00</"
      "ram:LineTotalAmount>"
      "</ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>"
      "</ram:IncludedSupplyChainTradeLineItem>\n";
  const std::string head = xml.substr(0, cut), tail = xml.substr(cut);
  const int64_t n = (testing::StreamTestBytes() - static_cast<int64_t>(head.size() + tail.size())) /
                    static_cast<int64_t>(line.size());
  testing::GeneratedInput source(
      head, [&](int64_t i) { return i < n    ? line
                                    : i == n ? tail
                                             : std::string(); },
      static_cast<int64_t>(head.size() + tail.size()) + n * static_cast<int64_t>(line.size()));
  CiiStats stats;
  int64_t kept = 0;
  testing::StreamMeasure m = testing::MeasureStreaming(
      source,
      [&](std::istream& in, const RecordSink& r, const IssueSink& i) {
        ParseOptions o;
        o.file_name = "generated.xml";
        return ParseCii(in, o, r, i, &stats);
      },
      [&](const ParsedRecord& r) {
        if (r.record.has_invoice()) kept = r.record.invoice().lines_size();
      });
  ASSERT_TRUE(m.status.ok()) << m.status;
  m.Print("cii");
  EXPECT_EQ(m.issues, 0);
  EXPECT_EQ(stats.lines, n);
  EXPECT_EQ(kept, kMaxKeptLines);
  EXPECT_LT(m.growth_kb(), 16384) << "RSS grew while streaming";
}

}  // namespace
}  // namespace collections::connectors
