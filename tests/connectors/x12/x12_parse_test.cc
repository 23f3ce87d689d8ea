#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "connectors/x12/parse_x12.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/expected_records.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;
using testing::Collected;

struct Parsed {
  Collected c;
  std::vector<ParseIssue> warnings;
  X12Stats stats;
};

Parsed ParseFile(const std::string& path, const std::string& name, const std::string& currency = "",
                 bool payer_is_customer = false) {
  Parsed p;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << path;
  ParseOptions o;
  o.file_name = name;
  o.default_currency = currency;
  X12Options x12;
  x12.payer_is_customer = payer_is_customer;
  x12.on_warning = [&](ParseIssue w) { p.warnings.push_back(std::move(w)); };
  p.c = testing::Collect(in, [&](std::istream& s, auto on_record, auto on_issue) {
    return ParseX12(s, o, on_record, on_issue, x12, &p.stats);
  });
  return p;
}

std::string Day(const v1::Date& d) { return absl::StrCat(d.year(), "-", d.month(), "-", d.day()); }

// ------------------------------------------------------------ public samples
// Expected values read from the sample files themselves (see SOURCES.md).

class X12Samples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSamples("x12")) GTEST_SKIP() << "no samples at " << testing::SampleDir("x12");
  }
  Parsed Parse(const std::string& name, const std::string& currency = "") {
    return ParseFile(testing::SamplePath("x12", name), name, currency);
  }
};

TEST_F(X12Samples, WithoutCurSegmentTheCurrencyMustBeGiven) {
  Parsed p = Parse("bots-x12-810-004010VICS-two-invoices.x12");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  EXPECT_TRUE(p.c.records.empty());
  ASSERT_EQ(p.c.issues.size(), 2u);  // one per invoice, each located
  EXPECT_EQ(p.c.issues[0].reason, "MISSING_CURRENCY");
  EXPECT_EQ(p.c.issues[0].where.line, 12);
  EXPECT_EQ(p.c.issues[1].where.line, 41);
}

TEST_F(X12Samples, VicsTwoInvoicesInOneGroup) {
  Parsed p = Parse("bots-x12-810-004010VICS-two-invoices.x12", "CAD");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.stats.transaction_sets, 2);
  auto invoices = p.c.Of(v1::SyncRecord::kInvoice);
  ASSERT_EQ(invoices.size(), 2u);
  const v1::Invoice& a = invoices[0]->invoice();
  EXPECT_EQ(a.number(), "465266");
  EXPECT_EQ(Day(a.issue_date()), "2002-5-24");
  EXPECT_EQ(Day(a.due_date()), "2002-6-23");   // ITD06
  EXPECT_EQ(a.total().minor_units(), 843202);  // TDS 843202 = 8432.02
  EXPECT_EQ(a.lines_size(), 4);
  EXPECT_EQ(a.terms().payment_terms_text(),
            "1 % discount within 15 days (until 20020608), net 30 days (due 20020623)");
  EXPECT_EQ(invoices[0]->customer_ref(), "9:2100988529600");  // N1*BT
  EXPECT_EQ(invoices[1]->invoice().number(), "465267");
  EXPECT_EQ(invoices[1]->invoice().total().minor_units(), 112992);
}

TEST_F(X12Samples, RetailerDiscountDaysAreNotTheNetTerm) {
  Parsed p = Parse("bots-x12-810-004010-retailer-inbound.x12", "USD");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  auto invoices = p.c.Of(v1::SyncRecord::kInvoice);
  ASSERT_EQ(invoices.size(), 1u);
  const v1::Invoice& inv = invoices[0]->invoice();
  EXPECT_EQ(inv.number(), "95018017");
  EXPECT_EQ(inv.total().minor_units(), 1234579);  // TDS 1234579 = 12345.79
  // ITD gives 2.5 % within 30 days and no net term: due on the issue date.
  EXPECT_EQ(Day(inv.due_date()), "2007-9-29");
  EXPECT_EQ(p.c.records[0].record.customer().display_name(), "JIT MANUFACTURING");
}

TEST_F(X12Samples, AdobeCrTerminatorBomAndIndentation) {
  Parsed p = Parse("oopfactory-x12-810-4010-adobe-crlf-terminator-bom.txt");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  auto invoices = p.c.Of(v1::SyncRecord::kInvoice);
  ASSERT_EQ(invoices.size(), 1u);
  const v1::Invoice& inv = invoices[0]->invoice();
  EXPECT_EQ(inv.number(), "0013833070");
  EXPECT_EQ(inv.currency_code(), "USD");                    // CUR*SE*USD
  EXPECT_EQ(inv.total().minor_units(), 16000);              // TDS 16000 = 160.00
  EXPECT_EQ(Day(inv.due_date()), "2007-3-5");               // 35 net days after 2007-01-29
  EXPECT_EQ(invoices[0]->customer_ref(), "91:0000012137");  // N1*BT
}

TEST_F(X12Samples, NakTerminatorTwoRemittancesInCad) {
  Parsed p = Parse("bots-x12-820-004030-nak-terminator-cad.x12");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  ASSERT_EQ(p.c.records.size(), 2u);
  const v1::Payment& a = p.c.records[0].record.payment();
  EXPECT_EQ(a.amount().currency_code(), "CAD");
  EXPECT_EQ(a.amount().minor_units(), 56172);
  EXPECT_EQ(Day(a.received_date()), "2005-5-31");
  // RMR*PO names a purchase order, not an invoice: no allocation.
  EXPECT_EQ(a.allocations_size(), 0);
  EXPECT_EQ(a.remittance_text(), "PO 00583236 541.20");
  EXPECT_EQ(p.c.records[1].record.payment().amount().minor_units(), 23633);
}

TEST_F(X12Samples, SafewayDeductionsShortPayTheLastInvoiceNamed) {
  Parsed p = Parse("oopfactory-x12-820-4010-safeway-ach-ctx-adx.txt", "USD");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  ASSERT_EQ(p.c.records.size(), 1u);
  const v1::Payment& pay = p.c.records[0].record.payment();
  EXPECT_EQ(pay.amount().minor_units(), 41609315);
  EXPECT_EQ(pay.external_ref().id(), "trn:4311000190");
  EXPECT_EQ(pay.payer_reference(), "4311000190");
  EXPECT_EQ(pay.payer_name(), "Safeway - U. S. Corporate");
  EXPECT_EQ(Day(pay.received_date()), "2005-10-20");  // BPR16
  EXPECT_EQ(pay.method(), v1::Payment::BANK_TRANSFER);
  ASSERT_EQ(pay.remitted_documents_size(), 9);  // 6 invoices, 3 credit memos (ADX CM)
  EXPECT_EQ(pay.remitted_documents(0).number(), "6092392");
  EXPECT_EQ(pay.remitted_documents(0).amount().minor_units(), 2043034);
  EXPECT_TRUE(pay.remitted_documents(6).credit_note());
  EXPECT_EQ(pay.remitted_documents(6).number(), "WSO_144324_05");
  // 448862.76 of invoices named, 416093.15 paid (the ADX deductions): each
  // invoice gets what it was remitted while the payment lasts; the last one
  // named, 6093692, gets the 253539.22 left and stays open by 32769.61.
  ASSERT_EQ(pay.allocations_size(), 6);
  EXPECT_EQ(pay.allocations(0).invoice_number(), "6092392");
  EXPECT_EQ(pay.allocations(0).amount().minor_units(), 2043034);
  EXPECT_EQ(pay.allocations(5).invoice_number(), "6093692");
  EXPECT_EQ(pay.allocations(5).amount().minor_units(), 25353922);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].reason, "X12_REMITTANCE_EXCEEDS_PAYMENT");
}

TEST_F(X12Samples, BackslashTerminatorAllocatesEachNamedItem) {
  Parsed p = Parse("oopfactory-x12-820-4010-wikipedia-backslash-terminator.txt", "USD");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  ASSERT_EQ(p.c.records.size(), 1u);
  const v1::Payment& pay = p.c.records[0].record.payment();
  EXPECT_EQ(pay.amount().minor_units(), 7777);
  ASSERT_EQ(pay.allocations_size(), 3);
  EXPECT_EQ(pay.allocations(0).invoice_number(), "1111111111111111");
  EXPECT_EQ(pay.allocations(0).amount().minor_units(), 1111);
  EXPECT_EQ(pay.allocations(2).amount().minor_units(), 4444);
}

// ------------------------------------------------------------ own fixtures

TEST(X12Parse, InvoiceWithCurrencyTermsAndContact) {
  Parsed p = ParseFile(testing::TestData("810-invoice-usd.x12"), "i.x12");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  EXPECT_TRUE(p.warnings.empty());
  ASSERT_EQ(p.c.records.size(), 2u);
  const v1::Customer& c = p.c.records[0].record.customer();
  EXPECT_EQ(c.external_ref().id(), "92:C-100");
  EXPECT_EQ(c.country_code(), "US");
  ASSERT_EQ(c.contacts_size(), 1);
  EXPECT_EQ(c.contacts(0).name(), "JANE ROE");
  const v1::Invoice& inv = p.c.records[1].record.invoice();
  EXPECT_EQ(inv.total().minor_units(), 17650);
  EXPECT_EQ(Day(inv.due_date()), "2026-2-4");  // ITD07 30 days
  ASSERT_EQ(inv.lines_size(), 2);
  EXPECT_EQ(inv.lines(0).amount().minor_units(), 7650);  // 3 x 25.50
  EXPECT_EQ(inv.lines(0).description(), "WIDGET");
}

TEST(X12Parse, SingleLineFileReadsTheSame) {
  Parsed a = ParseFile(testing::TestData("810-invoice-usd.x12"), "i.x12");
  Parsed b = ParseFile(testing::TestData("810-single-line.x12"), "i.x12");
  ASSERT_EQ(a.c.records.size(), b.c.records.size());
  for (size_t i = 0; i < a.c.records.size(); ++i) {
    v1::SyncRecord want = a.c.records[i].record;
    want.clear_source_location();
    testing::ExpectSameRecord(want, b.c.records[i].record);
  }
}

TEST(X12Parse, CreditMemoNamesTheOriginalInvoice) {
  Parsed p = ParseFile(testing::TestData("810-credit-memo.x12"), "c.x12");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  auto credits = p.c.Of(v1::SyncRecord::kCreditNote);
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(credits[0]->credit_note().invoice_number(), "INV-810-1");
  EXPECT_EQ(credits[0]->credit_note().amount().minor_units(), 2550);
}

TEST(X12Parse, RemittanceAllocatesExactlyTheNamedInvoices) {
  Parsed p = ParseFile(testing::TestData("820-explicit-allocations.x12"), "r.x12", "", true);
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  ASSERT_EQ(p.c.records.size(), 1u);
  const v1::SyncRecord& r = p.c.records[0].record;
  EXPECT_EQ(r.customer_ref(), "92:C-100");  // --payer_is_customer
  const v1::Payment& pay = r.payment();
  EXPECT_EQ(pay.amount().minor_units(), 17600);
  EXPECT_EQ(pay.payer_reference(), "TRACE-555");
  ASSERT_EQ(pay.allocations_size(), 2);
  EXPECT_EQ(pay.allocations(0).invoice_number(), "INV-810-1");
  EXPECT_EQ(pay.allocations(0).amount().minor_units(), 15100);  // RMR04
  EXPECT_EQ(pay.allocations(1).invoice_number(), "INV-999");
  EXPECT_EQ(pay.allocations(1).amount().minor_units(), 2500);  // RMR05 30.00 + ADX -5.00
}

TEST(X12Parse, WithoutPayerIsCustomerThePaymentHasNoCustomer) {
  Parsed p = ParseFile(testing::TestData("820-explicit-allocations.x12"), "r.x12");
  ASSERT_EQ(p.c.records.size(), 1u);
  EXPECT_EQ(p.c.records[0].record.customer_ref(), "");
}

TEST(X12Parse, ControlCountMismatchesAreLocatedWarnings) {
  Parsed p = ParseFile(testing::TestData("two-interchanges-bad-counts.x12"), "t.x12");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  EXPECT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  EXPECT_EQ(p.stats.interchanges, 2);
  EXPECT_EQ(p.c.Of(v1::SyncRecord::kInvoice).size(), 1u);
  EXPECT_EQ(p.c.Of(v1::SyncRecord::kCreditNote).size(), 1u);
  std::vector<std::string> got;
  for (const auto& w : p.warnings)
    got.push_back(absl::StrCat(w.field, " ", w.reason, " line ", w.where.line));
  EXPECT_EQ(got, (std::vector<std::string>{"GE01 X12_COUNT_MISMATCH line 18",
                                           "IEA01 X12_COUNT_MISMATCH line 19",
                                           "IEA02 X12_CONTROL_MISMATCH line 19"}));
}

TEST(X12Parse, EveryBadInputIsRefusedWithItsReasonAndNoRecord) {
  // testdata/bad/<REASON>[_what].<ext> (expected_records.h).
  const int files = testing::ForEachBadInput([](const std::string& path, const std::string& name) {
    std::ifstream in(path, std::ios::binary);
    ParseOptions o;
    o.file_name = name;
    testing::BadInputResult got;
    int records = 0;
    got.status = ParseX12(
        in, o, [&](ParsedRecord) { ++records; },
        [&](ParseIssue i) { got.issues.push_back(std::move(i)); });
    EXPECT_EQ(records, 0) << name;
    return got;
  });
  EXPECT_GE(files, 10);
}

TEST(X12Streaming, ManyTransactionSetsKeepMemoryFlat) {
  // One interchange of alternating 810 invoices (2 lines each) and 820
  // remittances paying them; the trailer never comes (a warning).
  const std::string isa =
      "ISA*00*          *00*          *ZZ*SELLER         *ZZ*BUYER          "
      "*260105*1200*^*00501*000000042*0*P*:~\n"
      "GS*IN*SELLER*BUYER*20260105*1200*7*X*005010~\n";
  auto set = [](int64_t i) {
    if (i % 2 == 0) {
      return absl::StrCat("ST*810*", i, "~\nBIG*20260105*INV-", i,
                          "~\nCUR*SE*USD~\nN1*BT*CUSTOMER ", i % 1000, "*92*C-", i % 1000,
                          "~\nITD*01*3*****30~\nIT1*1*3*EA*25.50**VP*W-1~\nPID*F****WIDGET~\n"
                          "IT1*2*1*EA*100**VP*S-1~\nTDS*17650~\nCTT*2~\nSE*11*",
                          i, "~\n");
    }
    return absl::StrCat(
        "ST*820*", i,
        "~\nBPR*C*176.50*C*ACH*CCP*01*011000015*DA*1*2**01*021000021*DA*9*20260120~\n"
        "TRN*1*T",
        i, "~\nCUR*PR*USD~\nN1*PR*CUSTOMER*92*C-1~\nENT*1~\nRMR*IV*INV-", i - 1,
        "*PI*176.50~\nSE*8*", i, "~\n");
  };
  testing::GeneratedInput source(isa, set, testing::StreamTestBytes());
  int64_t paid = 0;
  testing::StreamMeasure m = testing::MeasureStreaming(
      source,
      [](std::istream& in, const RecordSink& r, const IssueSink& i) {
        ParseOptions o;
        o.file_name = "generated.x12";
        return ParseX12(in, o, r, i);
      },
      [&](const ParsedRecord& r) {
        if (r.record.has_payment())
          paid += r.record.payment().allocations(0).amount().minor_units();
      });
  ASSERT_TRUE(m.status.ok()) << m.status;
  m.Print("x12");
  EXPECT_EQ(m.issues, 0);
  EXPECT_GT(paid, 0);
  EXPECT_LT(m.growth_kb(), 8192) << "RSS grew while streaming";
}

}  // namespace
}  // namespace collections::connectors
