#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "connectors/edifact/parse_edifact.h"
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
  EdifactStats stats;
};

Parsed ParseFile(const std::string& path, const std::string& name) {
  Parsed p;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << path;
  ParseOptions o;
  o.file_name = name;
  EdifactOptions e;
  e.on_warning = [&](ParseIssue w) { p.warnings.push_back(std::move(w)); };
  p.c = testing::Collect(in, [&](std::istream& s, auto on_record, auto on_issue) {
    return ParseEdifact(s, o, on_record, on_issue, e, &p.stats);
  });
  return p;
}

std::string Day(const v1::Date& d) { return absl::StrCat(d.year(), "-", d.month(), "-", d.day()); }

// ------------------------------------------------------------ public samples
// Expected values read from the sample files themselves (see SOURCES.md).

class EdifactSamples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSamples("edifact"))
      GTEST_SKIP() << "no samples at " << testing::SampleDir("edifact");
  }
  Parsed Parse(const std::string& name) {
    return ParseFile(testing::SamplePath("edifact", name), name);
  }
};

TEST_F(EdifactSamples, Eancom96aTwoInvoicesInOneInterchange) {
  Parsed p = Parse("bots-edifact-d96a-ean008-invoic.edi");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.stats.syntax, "UNOA:3");
  auto invoices = p.c.Of(v1::SyncRecord::kInvoice);
  ASSERT_EQ(invoices.size(), 2u);
  EXPECT_EQ(invoices[0]->invoice().number(), "20051098");
  EXPECT_EQ(invoices[1]->invoice().number(), "20051099");
  EXPECT_EQ(invoices[0]->invoice().total().minor_units(), 28620);  // MOA+77:286.2
  EXPECT_EQ(invoices[0]->invoice().tax().minor_units(), 4570);     // MOA+176:45.7
  EXPECT_EQ(invoices[0]->customer_ref(), "0088:8712345678930");    // NAD+IV, GLN (agency 9)
}

TEST_F(EdifactSamples, Cen16bPrepaidDueDateAndReleaseCharacters) {
  Parsed p = Parse("cen-tc434-edifact-d14b-invoic-example2-nok.txt");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  ASSERT_EQ(p.c.records.size(), 3u);
  EXPECT_EQ(p.c.records[0].record.customer().external_ref().id(), "0088:3456789012098");
  const v1::Invoice& inv = p.c.records[1].record.invoice();
  EXPECT_EQ(inv.number(), "TOSL108");
  EXPECT_EQ(inv.currency_code(), "NOK");
  EXPECT_EQ(inv.total().minor_units(), 180178);  // MOA+388
  EXPECT_EQ(Day(inv.due_date()), "2013-7-20");   // PYT / DTM+13
  EXPECT_EQ(inv.payment_reference(), "0003434323213231");
  EXPECT_EQ(inv.terms().payment_terms_text(),
            "2 % discount if paid within 2 days\nPenalty percentage 10% from due date");
  EXPECT_EQ(p.c.records[2].record.payment().amount().minor_units(), 100000);  // MOA+113
  // The same invoice in CII (cen-tc434-cii-example2) maps to the same amounts.
  ASSERT_EQ(p.warnings.size(), 1u);  // UNZ02 TOSL108 vs UNB 87846595
  EXPECT_EQ(p.warnings[0].reason, "EDIFACT_CONTROL_MISMATCH");
}

TEST_F(EdifactSamples, Cen16bMultiLineFreeText) {
  Parsed p = Parse("cen-tc434-edifact-d14b-invoic-example9-nl-multiline-ftx.txt");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  auto invoices = p.c.Of(v1::SyncRecord::kInvoice);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0]->invoice().number(), "20150483");
  EXPECT_EQ(invoices[0]->invoice().total().minor_units(), 17787);
  EXPECT_EQ(Day(invoices[0]->invoice().due_date()), "2015-4-15");
  EXPECT_EQ(p.c.records[0].record.customer().display_name(), "Provide Verzekeringen");
}

TEST_F(EdifactSamples, D03bSyntax4MessageTotal) {
  Parsed p = Parse("dfdlschemas-edifact-d03b-invoic-syntax4-gbp.txt");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  auto invoices = p.c.Of(v1::SyncRecord::kInvoice);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0]->invoice().currency_code(), "GBP");
  EXPECT_EQ(invoices[0]->invoice().total().minor_units(), 36200);  // MOA+86:362.00
  EXPECT_EQ(invoices[0]->invoice().lines(0).description(),
            "Collectors edition of The Hobbit with Tolkien's original colours on sleeve");
}

TEST_F(EdifactSamples, Eancom01bBomMonthTermsAndUnzCountWarning) {
  Parsed p = Parse("edifabric-eancom-d01b-ean011-invoic-bom.txt");
  ASSERT_TRUE(p.c.status.ok()) << p.c.status;
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  auto invoices = p.c.Of(v1::SyncRecord::kInvoice);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0]->invoice().number(), "IN432097");
  EXPECT_EQ(invoices[0]->invoice().total().minor_units(), 576710);  // MOA+86:5767.10
  EXPECT_EQ(Day(invoices[0]->invoice().due_date()), "2002-5-8");    // PAT+1++5:3:M:2
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].field, "UNZ01");
  EXPECT_EQ(p.warnings[0].reason, "EDIFACT_COUNT_MISMATCH");
  EXPECT_EQ(p.warnings[0].where.line, 55);
}

// ------------------------------------------------------------ own fixtures

TEST(EdifactParse, Latin1IsConvertedToUtf8) {
  Parsed p = ParseFile(testing::TestData("invoic-latin1-unoc.edi"), "i.edi");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  ASSERT_EQ(p.c.records.size(), 2u);
  const v1::Customer& c = p.c.records[0].record.customer();
  EXPECT_EQ(c.display_name(), "Müller GmbH");
  EXPECT_EQ(c.external_ref().id(), "0088:4000001123452");
  ASSERT_EQ(c.contacts_size(), 1);
  EXPECT_EQ(c.contacts(0).name(), "Erika Mustermann");
  const v1::Invoice& inv = p.c.records[1].record.invoice();
  EXPECT_EQ(inv.total().minor_units(), 23800);
  EXPECT_EQ(Day(inv.due_date()), "2026-2-4");                    // PAT 5:3:D:30
  EXPECT_EQ(inv.lines(0).description(), "Beratung + Schulung");  // released '+'
  EXPECT_EQ(inv.lines(0).amount().minor_units(), 20000);
}

TEST(EdifactParse, SingleLineAndUnaSyntax4ReadAlike) {
  Parsed a = ParseFile(testing::TestData("invoic-latin1-unoc.edi"), "i.edi");
  for (const char* other : {"invoic-single-line.edi", "invoic-una-syntax4-utf8.edi"}) {
    Parsed b = ParseFile(testing::TestData(other), "i.edi");
    ASSERT_TRUE(b.c.issues.empty()) << other << ": " << b.c.IssuesText();
    ASSERT_EQ(a.c.records.size(), b.c.records.size()) << other;
    for (size_t i = 0; i < a.c.records.size(); ++i) {
      v1::SyncRecord want = a.c.records[i].record;
      want.clear_source_location();
      testing::ExpectSameRecord(want, b.c.records[i].record);
    }
  }
}

TEST(EdifactParse, CreditNoteInTheSameInterchange) {
  Parsed p = ParseFile(testing::TestData("two-messages-credit.edi"), "t.edi");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  EXPECT_EQ(p.stats.messages, 2);
  auto credits = p.c.Of(v1::SyncRecord::kCreditNote);
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(credits[0]->credit_note().invoice_number(), "INV-E-1");  // RFF+OI
  EXPECT_EQ(credits[0]->credit_note().amount().minor_units(), 2380);
}

TEST(EdifactParse, RemittanceAdviceIsAPaymentWithAllocations) {
  Parsed p = ParseFile(testing::TestData("remadv.edi"), "r.edi");
  ASSERT_TRUE(p.c.issues.empty()) << p.c.IssuesText();
  ASSERT_EQ(p.c.records.size(), 1u);
  const v1::Payment& pay = p.c.records[0].record.payment();
  EXPECT_EQ(pay.external_ref().id(), "remadv:RA-77");
  EXPECT_EQ(pay.amount().minor_units(), 30944);
  EXPECT_EQ(pay.payer_name(), "Müller GmbH");
  ASSERT_EQ(pay.remitted_documents_size(), 3);
  EXPECT_EQ(pay.remitted_documents(0).amount().minor_units(), 23324);  // 238.00 - 4.76
  EXPECT_TRUE(pay.remitted_documents(2).credit_note());
  // 333.24 of invoices, 309.44 paid (net of credit note CN-E-2).
  ASSERT_EQ(pay.allocations_size(), 2);
  EXPECT_EQ(pay.allocations(0).amount().minor_units(), 23324);
  EXPECT_EQ(pay.allocations(1).invoice_number(), "INV-E-9");
  EXPECT_EQ(pay.allocations(1).amount().minor_units(), 7620);
}

TEST(EdifactParse, EveryBadInputIsRefusedWithItsReasonAndNoRecord) {
  // testdata/bad/<REASON>[_what].<ext> (expected_records.h).
  const int files = testing::ForEachBadInput([](const std::string& path, const std::string& name) {
    std::ifstream in(path, std::ios::binary);
    ParseOptions o;
    o.file_name = name;
    testing::BadInputResult got;
    int records = 0;
    got.status = ParseEdifact(
        in, o, [&](ParsedRecord) { ++records; },
        [&](ParseIssue i) { got.issues.push_back(std::move(i)); });
    EXPECT_EQ(records, 0) << name;
    return got;
  });
  EXPECT_GE(files, 10);
}

TEST(EdifactStreaming, ManyMessagesKeepMemoryFlat) {
  auto message = [](int64_t i) {
    return absl::StrCat(
        "UNH+", i, "+INVOIC:D:96A:UN:EAN008'\nBGM+380+INV", i,
        "+9'\nDTM+137:20260105:102'\n"
        "NAD+BY+",
        4000001000000 + i % 1000, "::9++Kunde ", i % 1000,
        "'\nCUX+2:EUR:4'\n"
        "PAT+1++5:3:D:30'\nLIN+1++4000862141404:SRV'\nIMD+F++:::Beratung'\nQTY+47:2'\n"
        "MOA+203:200.00'\nPRI+AAA:100'\nUNS+S'\nMOA+77:238.00'\nMOA+176:38.00'\nUNT+15+",
        i, "'\n");
  };
  testing::GeneratedInput source("UNA:+.? 'UNB+UNOC:3+SELLER:14+BUYER:14+260105:1200+REF1'\n",
                                 message, testing::StreamTestBytes());
  int64_t total = 0;
  testing::StreamMeasure m = testing::MeasureStreaming(
      source,
      [](std::istream& in, const RecordSink& r, const IssueSink& i) {
        ParseOptions o;
        o.file_name = "generated.edi";
        return ParseEdifact(in, o, r, i);
      },
      [&](const ParsedRecord& r) {
        if (r.record.has_invoice()) total += r.record.invoice().total().minor_units();
      });
  ASSERT_TRUE(m.status.ok()) << m.status;
  m.Print("edifact");
  EXPECT_EQ(m.issues, 0);
  EXPECT_EQ(total, m.records / 2 * 23800);
  EXPECT_LT(m.growth_kb(), 8192) << "RSS grew while streaming";
}

}  // namespace
}  // namespace collections::connectors
