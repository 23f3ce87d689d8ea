// DATEV EXTF: the header, what a booking becomes (invoice, payment, credit
// note, nothing) from its accounts and S/H flag, the Belegdatum's year,
// master data, the bad-input corpus, the public samples against their
// expectation files, an export that re-imports with the same documents and
// amounts, and flat memory on a large batch.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "connectors/common/text.h"
#include "connectors/datev/parse_datev.h"
#include "connectors/datev/write_datev.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/expected_records.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

struct Parsed : testing::Collected {
  DatevStats stats;
  const v1::SyncRecord& rec(size_t i) const { return records.at(i).record; }
};

Parsed Parse(const std::string& text, const std::string& name = "EXTF.csv", DatevOptions d = {}) {
  Parsed out;
  std::istringstream in(text);
  ParseOptions o;
  o.file_name = name;
  out.status = ParseDatev(
      in, o, d, [&](ParsedRecord r) { out.records.push_back(std::move(r)); },
      [&](ParseIssue i) { out.issues.push_back(std::move(i)); }, &out.stats);
  return out;
}

constexpr char kCaptions[] =
    "Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basisumsatz;WKZ "
    "Basisumsatz;"
    "Konto;Gegenkonto (ohne BU-Schl\xFC"
    "ssel);BU-Schl\xFC"
    "ssel;Belegdatum;Belegfeld 1;Belegfeld 2;"
    "Skonto;Buchungstext\r\n";

// A Buchungsstapel of November 2026 (SKR03, 4-digit accounts) around `rows`.
std::string Batch(const std::string& rows) {
  return absl::StrCat(
      "\"EXTF\";700;21;\"Buchungsstapel\";12;20261201120000000;;\"RE\";\"\";\"\";1001;456;20260101;"
      "4;"
      "20261101;20261130;\"Test\";\"\";1;0;0;\"EUR\";;\"\";;;\"03\";;;\"\";\"\"\r\n",
      kCaptions, rows);
}

TEST(DatevHeader, VersionsCategoriesAndRanges) {
  auto h = ParseDatevHeader({"EXTF", "510", "21", "Buchungsstapel", "7", "", "", "", "", "", "1001",
                             "456", "20180101", "5", "20180201", "20180228"});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, 510);
  EXPECT_EQ(h->FirstDebtor(), 100000);
  EXPECT_EQ(h->LastDebtor(), 699999);
  EXPECT_EQ(h->LastCreditor(), 999999);
  EXPECT_EQ(*h->period_to, absl::CivilDay(2018, 2, 28));
  EXPECT_EQ(domain::ReasonOf(ParseDatevHeader({"EXTF", "600", "21"}).status()),
            "UNSUPPORTED_VERSION");
  EXPECT_EQ(domain::ReasonOf(ParseDatevHeader({"Konto", "Name"}).status()), "NOT_DATEV");
  EXPECT_EQ(DefaultBankAccounts("04", 5), (AccountRanges{{16000, 18999}}));
  EXPECT_EQ(DefaultBankAccounts("", 4), (AccountRanges{{1000, 1299}}));
  EXPECT_EQ(*ParseAccountRanges("1200-1299, 1800"), (AccountRanges{{1200, 1299}, {1800, 1800}}));
  EXPECT_FALSE(ParseAccountRanges("12a0").ok());
}

TEST(DatevBookings, WhatEachBookingBecomes) {
  Parsed p = Parse(Batch(
      // An invoice in two lines (two tax rates), then its partial payment
      // from the bank (1200) naming it in Belegfeld 1, a credit note against
      // revenue reductions, an invoice booked from the revenue side (H on
      // the revenue account), and a bank fee without a debtor.
      "1000,00;\"S\";\"\";;;\"\";10000;8400;\"\";0511;\"RE-100\";\"\";;\"Beratung\"\r\n"
      "70,00;\"S\";\"\";;;\"\";10000;8300;\"\";0511;\"RE-100\";\"\";;\"B\xFC"
      "cher\"\r\n"
      "500,00;\"H\";\"\";;;\"\";10000;1200;\"\";2011;\"RE-100\";\"\";;\"Zahlung\"\r\n"
      "50,00;\"S\";\"\";;;\"\";8736;10000;\"\";2111;\"RE-100\";\"GS-7\";;\"Nachlass\"\r\n"
      "119,00;\"H\";\"\";;;\"\";8400;20000;\"\";2211;\"RE-101\";\"\";;\"Wartung\"\r\n"
      "9,90;\"H\";\"\";;;\"\";1200;4970;\"\";3011;\"\";\"\";;\"Kontof\xFChrung\"\r\n"));
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_TRUE(p.issues.empty()) << p.IssuesText();
  ASSERT_EQ(p.records.size(), 4u);
  const v1::SyncRecord& inv = p.rec(0);
  EXPECT_EQ(inv.customer_ref(), "10000");
  EXPECT_EQ(inv.invoice().number(), "RE-100");
  EXPECT_EQ(inv.invoice().external_ref().id(), "RE-100");
  EXPECT_EQ(inv.invoice().total().minor_units(), 107000);
  ASSERT_EQ(inv.invoice().lines_size(), 2);
  EXPECT_EQ(inv.invoice().lines(1).description(), "B\u00fccher");
  EXPECT_EQ(inv.invoice().issue_date().day(), 5);
  EXPECT_EQ(inv.invoice().issue_date().month(), 11);
  EXPECT_EQ(inv.invoice().due_date().day(), 19);  // 14 days of payment terms
  EXPECT_EQ(p.records[0].where.line, 3);
  const v1::Payment& pay = p.rec(1).payment();
  EXPECT_EQ(p.rec(1).customer_ref(), "10000");
  EXPECT_EQ(pay.amount().minor_units(), 50000);
  ASSERT_EQ(pay.allocations_size(), 1);
  EXPECT_EQ(pay.allocations(0).invoice_number(), "RE-100");
  EXPECT_EQ(pay.account_id(), "1200");
  const v1::CreditNote& cn = p.rec(2).credit_note();
  EXPECT_EQ(cn.number(), "GS-7");
  EXPECT_EQ(cn.invoice_number(), "RE-100");
  EXPECT_EQ(cn.amount().minor_units(), 5000);
  EXPECT_EQ(p.rec(3).customer_ref(), "20000");
  EXPECT_EQ(p.rec(3).invoice().total().minor_units(), 11900);
  EXPECT_EQ(p.stats.other_bookings_ignored, 1);
}

TEST(DatevBookings, BelegdatumYearComesFromThePeriodAcrossTheYearEnd) {
  Parsed p = Parse(testing::ReadFile(testing::TestData("batch_skr04.csv")), "batch_skr04.csv");
  ASSERT_TRUE(p.issues.empty()) << p.IssuesText();
  ASSERT_EQ(p.records.size(), 4u);
  // Fiscal year from July 2018, period December 2018 to January 2019.
  EXPECT_EQ(p.rec(0).invoice().issue_date().year(), 2018);
  EXPECT_EQ(p.rec(0).invoice().due_date().year(), 2019);  // Fälligkeit 15012019 of its 2nd line
  EXPECT_EQ(p.rec(0).invoice().due_date().day(), 15);
  EXPECT_EQ(p.rec(1).invoice().issue_date().year(), 2019);
  EXPECT_EQ(p.rec(1).customer_ref(), "200000");
  // SKR04 with 5-digit accounts: 18000 is a bank account.
  EXPECT_TRUE(p.rec(2).has_payment());
  EXPECT_TRUE(p.rec(3).has_credit_note());
  EXPECT_EQ(p.rec(3).credit_note().reason(), "Nachlass M\u00fcller");
}

TEST(DatevBookings, ARefusedLineRefusesItsWholeInvoice) {
  Parsed p =
      Parse(Batch("100,00;\"S\";\"\";;;\"\";10000;8400;\"\";0511;\"RE-1\";\"\";;\"A\"\r\n"
                  "1,005;\"S\";\"\";;;\"\";10000;8300;\"\";0511;\"RE-1\";\"\";;\"B\"\r\n"
                  "5,00;\"S\";\"\";;;\"\";10000;8300;\"\";0511;\"RE-1\";\"\";;\"C\"\r\n"
                  "7,00;\"S\";\"\";;;\"\";10000;8400;\"\";0611;\"RE-2\";\"\";;\"D\"\r\n"));
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.rec(0).invoice().number(), "RE-2");
  std::vector<std::string> reasons;
  for (const auto& i : p.issues) reasons.push_back(absl::StrCat(i.where.line, " ", i.reason));
  EXPECT_EQ(reasons, (std::vector<std::string>{"4 TOO_MANY_DECIMALS", "3 INCOMPLETE_DOCUMENT",
                                               "5 INCOMPLETE_DOCUMENT"}));
}

TEST(DatevMaster, DebtorsBecomeCustomersCreditorsAreSkipped) {
  std::string file = absl::StrCat(
      "\"EXTF\";700;16;\"Debitoren/"
      "Kreditoren\";5;20261201120000000;;\"RE\";\"\";\"\";1001;456;20260101;4;;;"
      "\"\";\"\";;;;\"\";;\"\";;;\"03\";;;\"\";\"\"\r\n",
      "Konto;Name (Adressattyp Unternehmen);Unternehmensgegenstand;Name (Adressattyp nat\xFCrl. "
      "Person);"
      "Vorname (Adressattyp nat\xFCrl. Person);Name (Adressattyp keine "
      "Angabe);Adressattyp;Kurzbezeichnung\r\n",
      "10000;\"M\xF6"
      "bel GmbH\";\"\";\"\";\"\";\"\";\"2\";\"M\xF6"
      "bel\"\r\n",
      "10001;\"\";\"\";\"Meier\";\"Anna\";\"\";\"1\";\"\"\r\n",
      "70000;\"Lieferant AG\";\"\";\"\";\"\";\"\";\"2\";\"\"\r\n");
  Parsed p = Parse(file);
  ASSERT_TRUE(p.issues.empty()) << p.IssuesText();
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.rec(0).customer().display_name(), "M\u00f6bel GmbH");
  EXPECT_EQ(p.rec(0).customer().kind(), v1::CUSTOMER_KIND_BUSINESS);
  EXPECT_EQ(p.rec(0).customer().external_ref().id(), "10000");
  EXPECT_EQ(p.rec(1).customer().display_name(), "Anna Meier");
  EXPECT_EQ(p.rec(1).customer().kind(), v1::CUSTOMER_KIND_CONSUMER);
  EXPECT_EQ(p.stats.creditors_ignored, 1);
}

TEST(DatevBadInput, EveryFileIsRefusedWithItsReason) {
  int files = testing::ForEachBadInput([](const std::string& path, const std::string& name) {
    Parsed p = Parse(testing::ReadFile(path), name);
    // DUPLICATE_DOCUMENT keeps the first invoice of the number.
    if (!absl::StartsWith(name, "DUPLICATE")) {
      EXPECT_TRUE(p.records.empty());
    }
    return testing::BadInputResult{p.status, p.issues};
  });
  EXPECT_GE(files, 15);
}

TEST(DatevSamples, EverySampleMatchesItsExpectationFile) {
  if (!testing::HaveSamples("datev"))
    GTEST_SKIP() << "no samples at " << testing::SampleDir("datev");
  int files = testing::ForEachSample("datev", [](const std::string& path, const std::string& name) {
    Parsed p = Parse(testing::ReadFile(path), name);
    const DatevHeader& h = p.stats.header;
    std::string stats = absl::StrCat(
        "version=", h.version, " category=", h.category, " berater=", h.berater,
        " mandant=", h.mandant, " account_length=", h.account_length, " rows=", p.stats.rows,
        " customers=", p.stats.customers, " invoices=", p.stats.invoices,
        " credit_notes=", p.stats.credit_notes, " payments=", p.stats.payments,
        " other_bookings_ignored=", p.stats.other_bookings_ignored,
        " creditors_ignored=", p.stats.creditors_ignored);
    testing::ExpectMatchesFile(testing::ParseLines(p.status, stats, p.records, p.issues),
                               absl::StrCat(EXPECTED_DIR, "/", name, ".expected"),
                               absl::StrCat("# ", name, "\n"));
  });
  EXPECT_GE(files, 4);
}

// ---------------------------------------------------------------- export

ExportSet FeesAndWriteOffs() {
  ExportSet set;
  auto invoice = [&](const char* customer, const char* number, int64_t minor, const char* text,
                     int month, int day) {
    v1::SyncRecord r;
    r.set_customer_ref(customer);
    v1::Invoice* inv = r.mutable_invoice();
    inv->mutable_external_ref()->set_source_system("collections");
    inv->mutable_external_ref()->set_id(absl::StrCat("fee-", number));
    inv->set_number(number);
    inv->set_currency_code("EUR");
    *inv->mutable_issue_date() = testing::ProtoDay(2026, month, day);
    *inv->mutable_due_date() = testing::ProtoDay(2026, month, day + 10);
    *inv->mutable_total() = testing::ProtoMoney("EUR", minor);
    inv->add_lines()->set_description(text);
    set.records.push_back(r);
  };
  invoice("10000", "MG-2026-0001", 500, "Mahngeb\u00fchr RE-100", 11, 3);
  invoice("10000", "ZI-2026-0002", 1234, "Interest for RE-100 (9 % p.a.)", 11, 4);
  invoice("20000", "MG-2026-0003", 1000, "Late fee \"second\" notice", 11, 5);
  v1::SyncRecord cn;
  cn.set_customer_ref("20000");
  v1::CreditNote* c = cn.mutable_credit_note();
  c->mutable_external_ref()->set_id("settle-1");
  c->set_number("VG-1");
  c->set_invoice_number("RE-101");
  *c->mutable_issue_date() = testing::ProtoDay(2026, 11, 20);
  *c->mutable_amount() = testing::ProtoMoney("EUR", 4050);
  c->set_reason("Vergleich: Rest erlassen");
  set.records.push_back(cn);
  return set;
}

DatevExportOptions ExportOptions() {
  DatevExportOptions o;
  o.berater = "1001";
  o.mandant = "456";
  o.fee_account = "8400";
  o.interest_account = "2650";
  o.writeoff_account = "2400";
  o.created = "20261201120000000";
  o.chart = "03";
  return o;
}

std::vector<CollectionEntry> EntriesOf(const ExportSet& set) {
  absl::StatusOr<std::vector<CollectionEntry>> entries = CollectionEntriesOf(set);
  EXPECT_TRUE(entries.ok()) << entries.status();
  return entries.ok() ? *entries : std::vector<CollectionEntry>{};
}

TEST(DatevExport, ReimportsWithTheSameDocumentsAndAmounts) {
  ExportSet set = FeesAndWriteOffs();
  std::ostringstream out;
  ASSERT_TRUE(WriteDatevBookings(set, EntriesOf(set), ExportOptions(), out).ok());
  const std::string file = out.str();
  EXPECT_TRUE(
      absl::StartsWith(file, "\"EXTF\";700;21;\"Buchungsstapel\";12;20261201120000000;;\"CO\";"));
  EXPECT_TRUE(absl::StrContains(file, ";1001;456;20260101;4;20261103;20261120;")) << file;
  EXPECT_TRUE(
      absl::StrContains(file, "12,34;\"S\";\"EUR\";;;\"\";10000;2650;\"\";0411;\"ZI-2026-0002\""));
  EXPECT_TRUE(absl::StrContains(file, "\"Mahngeb\xFChr RE-100\""));  // Windows-1252
  Parsed back = Parse(file, "export.csv");
  ASSERT_TRUE(back.status.ok()) << back.status;
  ASSERT_TRUE(back.issues.empty()) << back.IssuesText();
  ASSERT_EQ(back.records.size(), set.records.size());
  for (size_t i = 0; i < set.records.size(); ++i) {
    const v1::SyncRecord& want = set.records[i];
    const v1::SyncRecord& got = back.rec(i);
    EXPECT_EQ(got.customer_ref(), want.customer_ref());
    if (want.has_invoice()) {
      ASSERT_TRUE(got.has_invoice());
      EXPECT_EQ(got.invoice().number(), want.invoice().number());
      EXPECT_EQ(got.invoice().total().minor_units(), want.invoice().total().minor_units());
      EXPECT_EQ(got.invoice().issue_date().day(), want.invoice().issue_date().day());
      EXPECT_EQ(got.invoice().lines(0).description(), want.invoice().lines(0).description());
    } else {
      ASSERT_TRUE(got.has_credit_note());
      EXPECT_EQ(got.credit_note().number(), "VG-1");
      EXPECT_EQ(got.credit_note().invoice_number(), "RE-101");
      EXPECT_EQ(got.credit_note().amount().minor_units(), 4050);
    }
  }
}

TEST(DatevExport, RefusesWhatDatevCannotHoldAndWritesNothing) {
  struct Case {
    const char* what;
    std::function<void(ExportSet&, DatevExportOptions&)> change;
    const char* reason;
  };
  const Case cases[] = {
      {"customer is not a debtor account",
       [](ExportSet& s, DatevExportOptions&) { s.records[0].set_customer_ref("C-1"); },
       "INVALID_ACCOUNT"},
      {"number with a character DATEV refuses",
       [](ExportSet& s, DatevExportOptions&) {
         s.records[0].mutable_invoice()->set_number("MG_1");
       },
       "INVALID_DOCUMENT_NUMBER"},
      {"missing write-off account",
       [](ExportSet&, DatevExportOptions& o) { o.writeoff_account.clear(); }, "INVALID_ACCOUNT"},
      {"two fiscal years",
       [](ExportSet& s, DatevExportOptions&) {
         *s.records[0].mutable_invoice()->mutable_issue_date() = testing::ProtoDay(2025, 12, 30);
       },
       "SPANS_FISCAL_YEARS"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ExportSet set = FeesAndWriteOffs();
    DatevExportOptions o = ExportOptions();
    c.change(set, o);
    std::ostringstream out;
    absl::Status st = WriteDatevBookings(set, EntriesOf(set), o, out);
    EXPECT_EQ(domain::ReasonOf(st), c.reason) << st;
    EXPECT_TRUE(out.str().empty());
  }
}

// ------------------------------------------------------------- streaming

TEST(DatevStreaming, MemoryStaysFlatOnALargeBatch) {
  // Per chunk: an invoice, its payment from the bank, a bank fee.
  auto rows = [](int64_t i) {
    int day = static_cast<int>(i % 28) + 1;
    char date[8];
    std::snprintf(date, sizeof date, "%02d11", day);
    return absl::StrCat("119,00;\"S\";\"\";;;\"\";", 10000 + i % 50000, ";8400;\"\";", date,
                        ";\"RE-", i, "\";\"\";;\"Leistung ", i, "\"\r\n119,00;\"H\";\"\";;;\"\";",
                        10000 + i % 50000, ";1200;\"\";", date, ";\"RE-", i,
                        "\";\"\";;\"Zahlung\"\r\n2,50;\"H\";\"\";;;\"\";1200;4970;\"\";", date,
                        ";\"\";\"\";;\"Geb\xFChr\"\r\n");
  };
  testing::GeneratedInput source(Batch(""), rows, testing::StreamTestBytes());
  int64_t invoiced = 0, paid = 0;
  testing::StreamMeasure m = testing::MeasureStreaming(
      source,
      [](std::istream& in, const RecordSink& r, const IssueSink& i) {
        ParseOptions o;
        o.file_name = "generated.csv";
        return ParseDatev(in, o, DatevOptions{}, r, i);
      },
      [&](const ParsedRecord& r) {
        if (r.record.has_invoice()) invoiced += r.record.invoice().total().minor_units();
        if (r.record.has_payment()) paid += r.record.payment().amount().minor_units();
      });
  ASSERT_TRUE(m.status.ok()) << m.status;
  m.Print("datev");
  EXPECT_EQ(m.issues, 0);
  EXPECT_EQ(invoiced, paid);
  // A 64-bit fingerprint per invoice and payment id is kept (duplicates);
  // nothing else grows.
  EXPECT_LT(m.growth_kb(), 32768) << "RSS grew while streaming";
}

}  // namespace
}  // namespace collections::connectors
