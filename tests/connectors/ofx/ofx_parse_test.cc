// OFX/QFX parser: both generations give the same payments, what is and is
// not a payment, dates with time zones, amounts with either decimal mark,
// the bad-input corpus, the public samples against their expectation files,
// and flat memory on a large statement.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/ofx/parse_ofx.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/expected_records.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

struct Parsed : testing::Collected {
  OfxStats stats;
  const v1::Payment& payment(size_t i) const { return records.at(i).record.payment(); }
};

Parsed Parse(const std::string& text, const std::string& name = "stmt.ofx") {
  Parsed out;
  std::istringstream in(text);
  ParseOptions o;
  o.file_name = name;
  out.status = ParseOfx(
      in, o, [&](ParsedRecord r) { out.records.push_back(std::move(r)); },
      [&](ParseIssue i) { out.issues.push_back(std::move(i)); }, &out.stats);
  return out;
}

constexpr char kSgmlHeader[] =
    "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
    "CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n";

// The same bank statement as OFX 1.02 SGML (unclosed leaves) and 2.11 XML.
std::string Sgml(const std::string& transactions, const std::string& curdef = "USD") {
  return absl::StrCat(
      kSgmlHeader,
      "<OFX>\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
      "<DTSERVER>20261120<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n"
      "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
      "<STMTRS><CURDEF>",
      curdef,
      "\n<BANKACCTFROM><BANKID>121000248<ACCTID>4711"
      "<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20261101<DTEND>20261120\n",
      transactions, "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n");
}
std::string Xml(const std::string& transactions) {
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
      "<?OFX OFXHEADER=\"200\" VERSION=\"211\" SECURITY=\"NONE\" OLDFILEUID=\"NONE\" "
      "NEWFILEUID=\"NONE\"?>\n"
      "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
      "<DTSERVER>20261120</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>\n"
      "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></"
      "STATUS>\n"
      "<STMTRS><CURDEF>USD</CURDEF><BANKACCTFROM><BANKID>121000248</BANKID><ACCTID>4711</ACCTID>"
      "<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20261101</DTSTART>"
      "<DTEND>20261120</DTEND>\n",
      transactions, "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n");
}

TEST(Ofx, SgmlAndXmlGenerationsGiveTheSamePayment) {
  Parsed a =
      Parse(Sgml("<STMTTRN><TRNTYPE>CHECK<DTPOSTED>20261118235959.000[-5:EST]<TRNAMT>1234.50"
                 "<FITID>F-1<CHECKNUM>1042<NAME>Joe's Diner &amp; Bar<MEMO>INV-7</STMTTRN>\n"));
  Parsed b =
      Parse(Xml("<STMTTRN><TRNTYPE>CHECK</TRNTYPE><DTPOSTED>20261118235959.000[-5:EST]</DTPOSTED>"
                "<TRNAMT>1234.50</TRNAMT><FITID>F-1</FITID><CHECKNUM>1042</CHECKNUM>"
                "<NAME>Joe's Diner &amp; Bar</NAME><MEMO>INV-7</MEMO></STMTTRN>\n"));
  for (const Parsed* p : {&a, &b}) {
    ASSERT_TRUE(p->status.ok()) << p->status;
    ASSERT_TRUE(p->issues.empty()) << p->IssuesText();
    ASSERT_EQ(p->records.size(), 1u);
    const v1::Payment& x = p->payment(0);
    EXPECT_EQ(x.amount().minor_units(), 123450);
    EXPECT_EQ(x.amount().currency_code(), "USD");
    // The day as written, in the bank's zone (23:59 EST is still the 18th).
    EXPECT_EQ(x.received_date().day(), 18);
    EXPECT_EQ(x.method(), v1::Payment::CHECK);
    EXPECT_EQ(x.payer_reference(), "1042");
    EXPECT_EQ(x.payer_name(), "Joe's Diner & Bar");
    EXPECT_EQ(x.remittance_text(), "INV-7");
    EXPECT_EQ(x.bank_reference(), "F-1");
    EXPECT_EQ(x.account_id(), "4711");
    EXPECT_EQ(x.external_ref().id(), "4711/F-1");
    EXPECT_EQ(x.external_ref().source_system(), "ofx");
  }
  EXPECT_EQ(a.stats.version, "102");
  EXPECT_EQ(b.stats.version, "211");
  EXPECT_EQ(a.records[0].where.line, 17);  // the <STMTTRN> line
}

TEST(Ofx, OnlyCreditsOfBankStatementsArePayments) {
  Parsed p = Parse(
      Sgml("<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261118<TRNAMT>-5.00<FITID>D1<NAME>Shop</STMTTRN>\n"
           "<STMTTRN><TRNTYPE>INT<DTPOSTED>20261118<TRNAMT>0.12<FITID>I1<NAME>Interest</STMTTRN>\n"
           "<STMTTRN><TRNTYPE>DIV<DTPOSTED>20261118<TRNAMT>3.00<FITID>V1<NAME>Dividend</STMTTRN>\n"
           "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>0.00<FITID>Z1<NAME>Zero</STMTTRN>\n"
           "<STMTTRN><TRNTYPE>DIRECTDEP<DTPOSTED>20261118<TRNAMT>+75,25<FITID>C1<PAYEE><NAME>Acme"
           "<ADDR1>1 Main St</PAYEE><MEMO>RF18 5390 0754 7034</STMTTRN>\n"));
  ASSERT_TRUE(p.issues.empty()) << p.IssuesText();
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.payment(0).amount().minor_units(), 7525);
  EXPECT_EQ(p.payment(0).payer_name(), "Acme");
  ASSERT_EQ(p.payment(0).creditor_references_size(), 1);
  EXPECT_EQ(p.payment(0).creditor_references(0), "RF18539007547034");
  EXPECT_EQ(p.stats.debits_ignored, 1);
  EXPECT_EQ(p.stats.bank_income_ignored, 2);
  EXPECT_EQ(p.stats.zero_ignored, 1);
}

TEST(Ofx, CreditCardCreditsAreNotCustomerPayments) {
  std::string cc = absl::StrCat(
      kSgmlHeader,
      "<OFX><CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>1<CCSTMTRS><CURDEF>AUD<CCACCTFROM>"
      "<ACCTID>1234</CCACCTFROM><BANKTRANLIST><STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118"
      "<TRNAMT>100.00<FITID>P1<NAME>PAYMENT THANK YOU</STMTTRN></BANKTRANLIST></CCSTMTRS>"
      "</CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>");
  Parsed p = Parse(cc);
  EXPECT_TRUE(p.records.empty());
  EXPECT_EQ(p.stats.card_credits_ignored, 1);
}

TEST(Ofx, ForeignCurrencyTransactionIsInItsCurrency) {
  Parsed p =
      Parse(Sgml("<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>5000<FITID>J1<NAME>Tokyo KK"
                 "<CURRENCY><CURRATE>0.0067<CURSYM>JPY</CURRENCY></STMTTRN>\n"));
  ASSERT_EQ(p.records.size(), 1u) << p.IssuesText();
  EXPECT_EQ(p.payment(0).amount().currency_code(), "JPY");
  EXPECT_EQ(p.payment(0).amount().minor_units(), 5000);
}

TEST(Ofx, Windows1252NamesBecomeUtf8) {
  Parsed p =
      Parse(Sgml("<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>1<FITID>U1<NAME>M\xFCller"
                 " \x96 Caf\xE9</STMTTRN>\n"));
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.payment(0).payer_name(), "M\u00fcller \u2013 Caf\u00e9");
}

TEST(Ofx, ElementsAfterTheClosedRootAreIgnored) {
  // Found by fuzzing: a leaf after </OFX> once read an empty element stack.
  Parsed p = Parse(
      Sgml("<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>1<FITID>U1<NAME>A</STMTTRN>\n") +
      "<STMTTRN><TRNAMT>5<FITID>X</STMTTRN><A>text</B>");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.records.size(), 1u);
}

TEST(Ofx, ATruncatedFileClosesItsOpenAggregates) {
  // Found by an ASan fuzz run: closing the aggregates left open at the end
  // compared a name with a stack element it had just popped.
  std::string whole =
      Sgml("<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>1<FITID>U1<NAME>A</STMTTRN>\n");
  Parsed p = Parse(whole.substr(0, whole.find("</BANKTRANLIST>")));
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.records.size(), 1u);
}

TEST(Ofx, SameFileTwiceGivesTheSameIds) {
  std::string s =
      Sgml("<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>1<FITID>U1<NAME>A</STMTTRN>\n");
  EXPECT_EQ(Parse(s).payment(0).external_ref().id(), Parse(s).payment(0).external_ref().id());
}

// testdata/bad/<REASON>[_what].ofx: the reason is reported (as an issue or
// as the error for the whole input) and no payment is emitted.
TEST(OfxBadInput, EveryFileIsRefusedWithItsReasonAndEmitsNothing) {
  int files = testing::ForEachBadInput([](const std::string& path, const std::string& name) {
    Parsed p = Parse(testing::ReadFile(path), name);
    EXPECT_TRUE(p.records.empty());
    return testing::BadInputResult{p.status, p.issues};
  });
  EXPECT_GE(files, 11);
}

TEST(OfxSamples, EverySampleMatchesItsExpectationFile) {
  if (!testing::HaveSamples("ofx")) GTEST_SKIP() << "no samples at " << testing::SampleDir("ofx");
  int files = testing::ForEachSample("ofx", [](const std::string& path, const std::string& name) {
    Parsed p = Parse(testing::ReadFile(path), name);
    std::string stats =
        absl::StrCat("version=", p.stats.version, " statements=", p.stats.statements,
                     " transactions=", p.stats.transactions, " credits=", p.stats.credits,
                     " debits_ignored=", p.stats.debits_ignored,
                     " card_credits_ignored=", p.stats.card_credits_ignored);
    testing::ExpectMatchesFile(testing::ParseLines(p.status, stats, p.records, p.issues),
                               absl::StrCat(EXPECTED_DIR, "/", name, ".expected"),
                               absl::StrCat("# ", name, "\n"));
  });
  EXPECT_GE(files, 6);
}

TEST(OfxStreaming, MemoryStaysFlatOnALargeStatement) {
  auto txn = [](int64_t i) {
    return absl::StrCat("<STMTTRN><TRNTYPE>", i % 3 == 0 ? "DEBIT" : "CREDIT",
                        "<DTPOSTED>20261118120000.000[-5:EST]<TRNAMT>", i % 3 == 0 ? "-" : "",
                        "12.34<FITID>F", i, "<NAME>Customer ", i % 500, "<MEMO>Invoice INV-",
                        100000 + i, " thank you</STMTTRN>\n");
  };
  testing::GeneratedInput source(
      absl::StrCat(kSgmlHeader,
                   "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD<BANKACCTFROM>"
                   "<ACCTID>4711</BANKACCTFROM><BANKTRANLIST>\n"),
      txn, testing::StreamTestBytes());
  int64_t sum = 0;
  testing::StreamMeasure m = testing::MeasureStreaming(
      source,
      [](std::istream& in, const RecordSink& r, const IssueSink& i) {
        ParseOptions o;
        o.file_name = "generated.ofx";
        return ParseOfx(in, o, r, i);
      },
      [&](const ParsedRecord& r) { sum += r.record.payment().amount().minor_units(); });
  ASSERT_TRUE(m.status.ok()) << m.status;
  m.Print("ofx");
  EXPECT_EQ(m.issues, 0);
  EXPECT_EQ(sum, m.records * 1234);
  EXPECT_LT(m.growth_kb(), 8192) << "RSS grew while streaming";
}

}  // namespace
}  // namespace collections::connectors
