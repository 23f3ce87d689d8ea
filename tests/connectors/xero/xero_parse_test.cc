#include <fstream>

#include "absl/strings/str_cat.h"
#include "connectors/xero/parse_xero.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;
using testing::Collected;

ParseOptions Opts(const std::string& file, DateOrder order = DateOrder::kDayMonthYear,
                  const std::string& currency = "GBP") {
  ParseOptions o;
  o.file_name = file;
  o.date_order = order;
  o.default_currency = currency;
  return o;
}

Collected ParseStream(std::istream& in, const ParseOptions& o, XeroParseOptions x = {}) {
  return testing::Collect(in, [&](std::istream& s, auto on_record, auto on_issue) {
    return ParseXeroInvoices(s, o, on_record, on_issue, x);
  });
}
Collected ParseFile(const std::string& path, const ParseOptions& o, XeroParseOptions x = {}) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << path;
  return ParseStream(in, o, x);
}

std::string Day(const v1::Date& d) { return absl::StrCat(d.year(), "-", d.month(), "-", d.day()); }

// ------------------------------------------------------------ public samples

class XeroSamples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSamples("xero")) {
      GTEST_SKIP() << "public samples not found at " << testing::SampleDir("xero")
                   << " (see ../shared/samples/SOURCES.md)";
    }
  }
};

TEST_F(XeroSamples, HeaderOnlyTemplateYieldsNothing) {
  const std::string name = "xero-sales-invoice-template-header-only.csv";
  Collected c = ParseFile(testing::SamplePath("xero", name), Opts(name));
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.records.empty());
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
}

TEST_F(XeroSamples, MockDataCrlfDayFirst) {
  const std::string name = "xero-sales-invoice-template-mockdata-crlf.csv";
  Collected c = ParseFile(testing::SamplePath("xero", name), Opts(name));
  ASSERT_TRUE(c.status.ok()) << c.status;
  // 100 rows, 64 distinct invoice numbers; the 36 rows that reuse a number
  // after other invoices (with other contacts and dates: the data is
  // generated) are rejected.
  const auto invoices = c.Of(v1::SyncRecord::kInvoice);
  EXPECT_EQ(invoices.size(), 64u);
  EXPECT_EQ(c.Of(v1::SyncRecord::kCustomer).size(), 46u);
  ASSERT_EQ(c.issues.size(), 36u) << c.IssuesText();
  for (const auto& i : c.issues) {
    EXPECT_EQ(i.reason, "DUPLICATE_INVOICE_NUMBER");
    EXPECT_EQ(i.field, "*InvoiceNumber");
    EXPECT_EQ(i.where.file, name);
  }
  EXPECT_EQ(c.issues[0].where.line, 31);    // "55" again, first seen on line 16
  EXPECT_EQ(c.issues[0].where.column, 18);  // "Matsoft" and ten empty cells precede it
  int64_t sum = 0;
  for (const auto* r : invoices) sum += r->invoice().total().minor_units();
  EXPECT_EQ(sum, 15428800);  // sum of Quantity x UnitAmount over the kept rows

  const v1::SyncRecord& first_customer = c.records[0].record;
  EXPECT_EQ(first_customer.customer().display_name(), "Sonair");
  EXPECT_EQ(first_customer.customer().kind(), v1::CUSTOMER_KIND_CONSUMER);
  const v1::SyncRecord& first = *invoices[0];
  EXPECT_EQ(first.customer_ref(), "Sonair");
  EXPECT_EQ(first.invoice().number(), "12");
  EXPECT_EQ(first.invoice().external_ref().source_system(), "xero");
  EXPECT_EQ(Day(first.invoice().issue_date()), "2019-6-7");  // 7/6/2019, day first
  EXPECT_EQ(Day(first.invoice().due_date()), "2019-2-8");    // before issue: generated data
  EXPECT_EQ(first.invoice().total().minor_units(), 206700);  // 53 x 39
  EXPECT_EQ(first.invoice().currency_code(), "GBP");
  ASSERT_EQ(first.invoice().lines_size(), 1);
  EXPECT_EQ(first.invoice().lines(0).quantity_milli(), 53000);
  EXPECT_EQ(first.invoice().lines(0).unit_price().minor_units(), 3900);
  EXPECT_NE(first.invoice().lines(0).description().find("Curae; Nulla"), std::string::npos);
  EXPECT_EQ(c.records[1].where.line, 2);
  const v1::Invoice& last = invoices.back()->invoice();
  EXPECT_EQ(last.number(), "6");
  EXPECT_EQ(Day(last.issue_date()), "2019-7-20");
  EXPECT_EQ(last.total().minor_units(), 26 * 14 * 100);
}

TEST_F(XeroSamples, MonthFirstRejectsDayFirstDates) {
  const std::string name = "xero-sales-invoice-template-mockdata-crlf.csv";
  Collected c = ParseFile(testing::SamplePath("xero", name), Opts(name, DateOrder::kMonthDayYear));
  ASSERT_TRUE(c.status.ok());
  int invalid_dates = 0;
  for (const auto& i : c.issues) invalid_dates += i.reason == "INVALID_DATE";
  EXPECT_GT(invalid_dates, 0);  // 29/3/2019 is no month-first date
}

// ----------------------------------------------------------------- quirks

TEST(XeroParse, QuirksFixture) {
  // CRLF without a final newline; quoted fields with commas, semicolons and
  // a line break; unpadded day-first dates; a blank line; two-row invoice;
  // UnitAmount with four decimals; Discount; TaxAmount; Currency column and
  // the default currency; a zero-decimal currency (JPY).
  // The file has no Total column, so Xero's rounding of the four-decimal
  // line (2.5 x 100.1234 less 10%) is applied on request only (--round).
  ParseOptions o = Opts("quirks.csv");
  o.amounts.round = true;
  Collected c = ParseFile(testing::TestData("quirks.csv"), o);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 6u);
  Collected strict = ParseFile(testing::TestData("quirks.csv"), Opts("quirks.csv"));
  ASSERT_FALSE(strict.issues.empty());
  EXPECT_EQ(strict.issues[0].reason, "TOO_MANY_DECIMALS");
  EXPECT_NE(strict.issues[0].description.find("--round"), std::string::npos);
  const v1::Customer& smith = c.records[0].record.customer();
  EXPECT_EQ(smith.external_ref().id(), "Smith & Jones, Ltd");
  EXPECT_EQ(smith.country_code(), "GB");
  ASSERT_EQ(smith.contacts_size(), 1);
  ASSERT_EQ(smith.contacts(0).channels_size(), 2);
  EXPECT_EQ(smith.contacts(0).channels(0).address(), "ap@smithjones.example");
  EXPECT_EQ(smith.contacts(0).channels(1).address(), "1 High St\nLondon\nEC1A 1AA\nGB");

  const v1::Invoice& i1 = c.records[1].record.invoice();
  EXPECT_EQ(i1.number(), "INV-1");
  EXPECT_EQ(Day(i1.issue_date()), "2019-6-7");
  EXPECT_EQ(Day(i1.due_date()), "2019-6-21");
  ASSERT_EQ(i1.lines_size(), 2);
  // 2.5 x 100.1234 less 10 % = 225.27765 -> 225.28
  EXPECT_EQ(i1.lines(0).amount().minor_units(), 22528);
  EXPECT_EQ(i1.lines(0).unit_price().minor_units(), 10012);
  EXPECT_EQ(i1.lines(0).tax().minor_units(), 4506);
  EXPECT_EQ(i1.lines(0).description(), "Consulting, phase 1; remote");
  EXPECT_EQ(i1.lines(1).amount().minor_units(), 5997);
  EXPECT_EQ(i1.lines(1).description(), "WIDGET");
  EXPECT_EQ(i1.tax().minor_units(), 5705);
  EXPECT_EQ(i1.total().minor_units(), 22528 + 4506 + 5997 + 1199);

  const v1::SyncRecord& i2 = c.records[3].record;
  EXPECT_EQ(i2.customer_ref(), "M\xC3\xBCller GmbH");
  EXPECT_EQ(i2.invoice().currency_code(), "GBP");  // the default
  EXPECT_EQ(i2.invoice().total().minor_units(), 125000);
  EXPECT_EQ(i2.invoice().lines(0).description(), "Line one\nline two");
  EXPECT_EQ(c.records[3].where.line, 4);

  const v1::Invoice& i3 = c.records[5].record.invoice();
  EXPECT_EQ(i3.currency_code(), "JPY");
  EXPECT_EQ(i3.total().minor_units(), 3000);
  EXPECT_EQ(c.records[5].where.line, 7);
}

TEST(XeroParse, TaxInclusiveAmounts) {
  XeroParseOptions x;
  x.amounts_include_tax = true;
  ParseOptions o = Opts("quirks.csv");
  o.amounts.round = true;
  Collected c = ParseFile(testing::TestData("quirks.csv"), o, x);
  ASSERT_TRUE(c.status.ok());
  const v1::Invoice& i1 = c.records[1].record.invoice();
  EXPECT_EQ(i1.lines(0).amount().minor_units(), 22528 - 4506);
  EXPECT_EQ(i1.total().minor_units(), 22528 + 5997);
  EXPECT_EQ(i1.tax().minor_units(), 5705);
}

TEST(XeroParse, ExportFlavourMonthFirstWithCreditNote) {
  Collected c = ParseFile(testing::TestData("export-us.csv"),
                          Opts("export-us.csv", DateOrder::kMonthDayYear, ""));
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 4u);
  const v1::Invoice& inv = c.records[1].record.invoice();
  EXPECT_EQ(inv.number(), "INV-0100");
  EXPECT_EQ(Day(inv.issue_date()), "2026-3-15");
  EXPECT_EQ(inv.total().minor_units(), 66000);
  EXPECT_EQ(inv.currency_code(), "USD");
  // InvoiceAmountPaid 100.00 of 660.00: a payment allocated to the invoice.
  const v1::Payment& paid = c.records[2].record.payment();
  EXPECT_EQ(paid.external_ref().id(), "paid:INV-0100");
  EXPECT_EQ(paid.amount().minor_units(), 10000);
  ASSERT_EQ(paid.allocations_size(), 1);
  EXPECT_EQ(paid.allocations(0).invoice_number(), "INV-0100");
  EXPECT_EQ(c.records[2].record.customer_ref(), "Acme Corp");
  const v1::SyncRecord& cn = c.records[3].record;
  ASSERT_TRUE(cn.has_credit_note());
  EXPECT_EQ(cn.customer_ref(), "Acme Corp");
  EXPECT_EQ(cn.credit_note().number(), "CN-0007");
  EXPECT_EQ(cn.credit_note().invoice_number(), "INV-0100");
  EXPECT_EQ(cn.credit_note().reason(), "goodwill");
  EXPECT_EQ(cn.credit_note().amount().minor_units(), 5000);
}

TEST(XeroParse, TotalColumnMustAgreeWithTheLines) {
  std::istringstream in(
      "ContactName,InvoiceNumber,InvoiceDate,DueDate,Total,Quantity,UnitAmount,Currency\n"
      "A,1,1/2/2026,1/3/2026,99.00,2,50,EUR\n");
  Collected c = ParseStream(in, Opts("t.csv"));
  ASSERT_TRUE(c.status.ok());
  EXPECT_TRUE(c.records.empty());
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].reason, "TOTAL_MISMATCH");
  EXPECT_EQ(c.issues[0].field, "Total");
}

// Found by UBSan: 99999999999 x 99999999999.99 wrapped to
// 2,003,754,105,206,896,641 minor units and was stored with exit 0.
TEST(XeroParse, HugeLinesAreRefusedNotWrapped) {
  const std::string head =
      "*ContactName,*InvoiceNumber,*InvoiceDate,*DueDate,*Description,*Quantity,*UnitAmount\n";
  for (const char* row : {"A,X1,1/2/2019,1/3/2019,x,99999999999,99999999999.99\n",
                          "A,X2,1/2/2019,1/3/2019,x,999999999999999,9999999999999.99\n",
                          "A,X3,1/2/2019,1/3/2019,x,1,1000000000000.01\n"}) {
    std::istringstream in(head + row);
    Collected c = ParseStream(in, Opts("t.csv"));
    ASSERT_TRUE(c.status.ok()) << row;
    EXPECT_TRUE(c.Of(v1::SyncRecord::kInvoice).empty()) << row;
    ASSERT_EQ(c.issues.size(), 1u) << row;
    EXPECT_TRUE(c.issues[0].reason == "MONEY_OVERFLOW" ||
                c.issues[0].reason == "AMOUNT_ABOVE_CEILING")
        << c.issues[0].ToString();
    EXPECT_EQ(c.issues[0].where.line, 2);
  }
}

// 100.50 JPY was rounded to 101 without a word.
TEST(XeroParse, DecimalsTheCurrencyCannotHoldNeedRound) {
  const std::string head =
      "*ContactName,*InvoiceNumber,*InvoiceDate,*DueDate,*Description,*Quantity,*UnitAmount,"
      "Currency\n";
  std::istringstream in(head + "A,J1,1/2/2019,1/3/2019,x,1,100.50,JPY\n");
  Collected c = ParseStream(in, Opts("t.csv"));
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].reason, "TOO_MANY_DECIMALS");
  EXPECT_TRUE(c.Of(v1::SyncRecord::kInvoice).empty());
  std::istringstream again(head + "A,J1,1/2/2019,1/3/2019,x,1,100.50,JPY\n");
  ParseOptions o = Opts("t.csv");
  o.amounts.round = true;
  Collected rounded = ParseStream(again, o);
  ASSERT_EQ(rounded.Of(v1::SyncRecord::kInvoice).size(), 1u) << rounded.IssuesText();
  EXPECT_EQ(rounded.Of(v1::SyncRecord::kInvoice)[0]->invoice().total().minor_units(), 101);
  // "1,50" is no amount in the default 1,234.56 format (was 150.00).
  std::istringstream comma(head + "A,C1,1/2/2019,1/3/2019,x,1,\"1,50\",GBP\n");
  Collected c2 = ParseStream(comma, Opts("t.csv"));
  ASSERT_EQ(c2.issues.size(), 1u);
  EXPECT_EQ(c2.issues[0].reason, "INVALID_NUMBER");
}

// -------------------------------------------------------------- malformed

TEST(XeroParse, MalformedRowsAreEachNamed) {
  Collected c = ParseFile(testing::TestData("malformed.csv"), Opts("malformed.csv"));
  ASSERT_TRUE(c.status.ok()) << c.status;
  std::vector<std::string> numbers;
  for (const auto* r : c.Of(v1::SyncRecord::kInvoice)) numbers.push_back(r->invoice().number());
  // B3's 10.001 GBP was silently stored as 10.00.
  EXPECT_EQ(numbers, (std::vector<std::string>{"B8"}));
  EXPECT_EQ(c.Of(v1::SyncRecord::kInvoice)[0]->invoice().total().minor_units(), 2000);
  struct Want {
    int64_t line;
    const char* field;
    const char* reason;
  } want[] = {
      {2, "*InvoiceDate", "INVALID_DATE"},
      {3, "*Quantity", "INVALID_QUANTITY"},
      {4, "*UnitAmount", "TOO_MANY_DECIMALS"},
      {5, "*UnitAmount", "TOO_MANY_DECIMALS"},
      {6, "*InvoiceNumber", "DUPLICATE_INVOICE_NUMBER"},
      {8, "*ContactName", "INCONSISTENT_INVOICE_ROWS"},
      {9, "*InvoiceNumber", "MISSING_FIELD"},
      {10, "Currency", "UNKNOWN_CURRENCY"},
      {11, "Discount", "INVALID_DISCOUNT"},
  };
  ASSERT_EQ(c.issues.size(), std::size(want)) << c.IssuesText();
  for (size_t k = 0; k < std::size(want); ++k) {
    EXPECT_EQ(c.issues[k].where.file, "malformed.csv");
    EXPECT_EQ(c.issues[k].where.line, want[k].line) << c.issues[k].ToString();
    EXPECT_EQ(c.issues[k].field, want[k].field) << c.issues[k].ToString();
    EXPECT_EQ(c.issues[k].reason, want[k].reason) << c.issues[k].ToString();
  }
}

TEST(XeroParse, NotAXeroFileIsAFileError) {
  std::istringstream in("Date,Amount,Payee\n1/2/2026,10,X\n");
  Collected c = ParseStream(in, Opts("bank.csv"));
  EXPECT_FALSE(c.status.ok());
  EXPECT_EQ(domain::ReasonOf(c.status), "XERO_MISSING_COLUMN");
  EXPECT_NE(c.status.message().find("bank.csv:1"), std::string::npos) << c.status;
  EXPECT_TRUE(c.records.empty());
  EXPECT_TRUE(c.issues.empty());
}

TEST(XeroParse, UnterminatedQuoteIsAFileError) {
  std::istringstream in(
      "ContactName,InvoiceNumber,InvoiceDate,DueDate,Quantity,UnitAmount\n"
      "A,1,1/2/2026,1/3/2026,1,\"10\n");
  Collected c = ParseStream(in, Opts("q.csv"));
  EXPECT_FALSE(c.status.ok());
  EXPECT_EQ(domain::ReasonOf(c.status), "CSV_UNTERMINATED_QUOTE");
  EXPECT_TRUE(c.records.empty());
}

TEST(XeroParse, MissingCurrencyWithoutDefault) {
  std::istringstream in(
      "ContactName,InvoiceNumber,InvoiceDate,DueDate,Quantity,UnitAmount\n"
      "A,1,1/2/2026,1/3/2026,1,10\n");
  Collected c = ParseStream(in, Opts("c.csv", DateOrder::kDayMonthYear, ""));
  ASSERT_TRUE(c.status.ok());
  EXPECT_TRUE(c.records.empty());
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].reason, "MISSING_CURRENCY");
}

// -------------------------------------------------------------- streaming

TEST(XeroParse, MemoryStaysFlatOnALargeGeneratedFile) {
  const std::string header =
      "*ContactName,EmailAddress,*InvoiceNumber,*InvoiceDate,*DueDate,*Description,*Quantity,"
      "*UnitAmount,Discount,*AccountCode,*TaxType,TaxAmount,Currency\r\n";
  auto body = [](int64_t i) {
    std::string out;
    for (int line = 0; line < 3; ++line) {
      absl::StrAppend(&out, "\"Customer ", i % 5000, ", Ltd\",ap", i % 5000, "@example.com,INV-", i,
                      ",", 1 + i % 28, "/3/2026,", 1 + i % 28, "/4/2026,\"Service, line ", line,
                      "; with text\",2,100.50,,200,20% (VAT on Income),40.20,GBP\r\n");
    }
    return out;
  };
  testing::GeneratedInput source(header, body, testing::StreamTestBytes());
  int64_t invoices = 0, total = 0;
  testing::StreamMeasure m = testing::MeasureStreaming(
      source,
      [](std::istream& in, auto on_record, auto on_issue) {
        return ParseXeroInvoices(in, Opts("generated.csv"), on_record, on_issue);
      },
      [&](const ParsedRecord& r) {
        if (!r.record.has_invoice()) return;
        ++invoices;
        total += r.record.invoice().total().minor_units();
      });
  ASSERT_TRUE(m.status.ok()) << m.status;
  // Growth includes the 16 bytes per invoice number kept to reject repeats.
  m.Print("Xero invoices (3 lines each)");
  EXPECT_EQ(m.issues, 0);
  EXPECT_GT(invoices, testing::StreamTestBytes() / 500);
  EXPECT_EQ(total, invoices * 3 * (20100 + 4020));
  // Flat apart from the duplicate-number fingerprints: at most 40 bytes per
  // invoice (a flat_hash_set of uint64 just after it doubles).
  EXPECT_LT(m.growth_kb(), 8 * 1024 + invoices * 40 / 1024) << "memory grew with the input";
}

}  // namespace
}  // namespace collections::connectors
