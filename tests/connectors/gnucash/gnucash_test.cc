#include <sqlite3.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "connectors/common/csv.h"
#include "connectors/gnucash/parse_gnucash.h"
#include "connectors/gnucash/write_gnucash.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

namespace fs = std::filesystem;
using v1::SyncRecord;

struct Parsed {
  absl::Status status;
  std::vector<ParsedRecord> records;
  std::vector<ParseIssue> issues;
  GnuCashStats stats;

  std::vector<const SyncRecord*> Of(SyncRecord::RecordCase kind) const {
    std::vector<const SyncRecord*> out;
    for (const auto& r : records) {
      if (r.record.record_case() == kind) out.push_back(&r.record);
    }
    return out;
  }
};

RecordSink Into(Parsed& p) {
  return [&p](ParsedRecord r) { p.records.push_back(std::move(r)); };
}
IssueSink IssuesInto(Parsed& p) {
  return [&p](ParseIssue i) { p.issues.push_back(std::move(i)); };
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Parsed ParseXmlText(const std::string& bytes, const std::string& name) {
  Parsed p;
  std::istringstream in(bytes);
  ParseOptions o;
  o.file_name = name;
  p.status = ParseGnuCashXml(in, o, Into(p), IssuesInto(p), &p.stats);
  return p;
}

Parsed ParsePath(const fs::path& path) {
  Parsed p;
  ParseOptions o;
  o.file_name = path.filename().string();
  p.status = ParseGnuCashFile(path.string(), o, Into(p), IssuesInto(p), &p.stats);
  return p;
}

fs::path Fixture(const std::string& name) { return fs::path(GNUCASH_TESTDATA_DIR) / name; }

fs::path TempPath(const std::string& name) {
  return fs::temp_directory_path() / absl::StrCat("gnucash_test_", getpid(), "_", name);
}

std::string Date(const v1::Date& d) { return absl::StrCat(d.year(), "-", d.month(), "-", d.day()); }

// A compact, order-preserving summary of everything a parse emitted, so
// that the XML, gzip and SQLite forms of one book can be compared.
std::string Summary(const Parsed& p) {
  std::vector<std::string> lines;
  for (const ParsedRecord& r : p.records) {
    const SyncRecord& s = r.record;
    switch (s.record_case()) {
      case SyncRecord::kCustomer:
        lines.push_back(absl::StrCat("customer ", s.customer().external_ref().id(), " ",
                                     s.customer().display_name(), " terms ",
                                     s.customer().payment_terms_days(), " limit ",
                                     s.customer().credit_limit().minor_units()));
        break;
      case SyncRecord::kInvoice:
        lines.push_back(absl::StrCat(
            "invoice ", s.invoice().number(), " ", s.customer_ref(), " ",
            s.invoice().total().minor_units(), " ", s.invoice().currency_code(), " issued ",
            Date(s.invoice().issue_date()), " due ", Date(s.invoice().due_date())));
        break;
      case SyncRecord::kCreditNote:
        lines.push_back(absl::StrCat("credit ", s.credit_note().number(), " ", s.customer_ref(),
                                     " ", s.credit_note().amount().minor_units()));
        break;
      case SyncRecord::kPayment: {
        std::vector<std::string> alloc;
        for (const auto& a : s.payment().allocations()) {
          alloc.push_back(absl::StrCat(a.invoice_number(), "=", a.amount().minor_units()));
        }
        lines.push_back(absl::StrCat(
            "payment ", s.customer_ref(), " ", s.payment().amount().minor_units(), " on ",
            Date(s.payment().received_date()), " [", absl::StrJoin(alloc, ","), "]"));
        break;
      }
      default:
        break;
    }
  }
  return absl::StrJoin(lines, "\n");
}

constexpr char kSmallBookSummary[] =
    "customer 000001 Acme Trading GmbH terms 30 limit 500000\n"
    "customer 000002 Globex Société Anonyme terms 0 limit 0\n"
    "invoice INV-1 000001 225300 EUR issued 2026-1-10 due 2026-2-9\n"
    "invoice INV-2 000001 50000 EUR issued 2026-1-31 due 2026-3-15\n"
    "credit CN-1 000001 2500\n"
    "invoice G-7 000002 12000 EUR issued 2026-2-15 due 2026-2-15\n"
    "payment 000001 100000 on 2026-2-20 [INV-1=100000]\n"
    "payment 000001 175300 on 2026-3-1 [INV-1=125300,INV-2=50000]";

// ------------------------------------------------------------------ XML

TEST(GnuCashXml, SmallBookQuirks) {
  Parsed p = ParsePath(Fixture("small_book.gnucash"));
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(Summary(p), kSmallBookSummary);
  EXPECT_EQ(p.stats.customers, 2);
  EXPECT_EQ(p.stats.invoices, 3);
  EXPECT_EQ(p.stats.credit_notes, 1);
  EXPECT_EQ(p.stats.payments, 2);
  EXPECT_EQ(p.stats.drafts_skipped, 1);
  EXPECT_EQ(p.stats.non_customer_skipped, 1);
  // -1/3 EUR is not a whole number of cents: reported, never rounded.
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_EQ(p.issues[0].reason, "INEXACT_AMOUNT");
  EXPECT_EQ(p.issues[0].where.xpath, "/gnc-v2/book/transaction[8]");
  EXPECT_GT(p.issues[0].where.line, 100);

  auto customers = p.Of(SyncRecord::kCustomer);
  const v1::Customer& acme = customers[0]->customer();
  EXPECT_EQ(acme.external_ref().source_system(), "gnucash");
  ASSERT_EQ(acme.contacts_size(), 1);
  EXPECT_EQ(acme.contacts(0).name(), "Ana Ortiz");
  EXPECT_EQ(acme.contacts(0).channels_size(), 2);
  auto invoices = p.Of(SyncRecord::kInvoice);
  EXPECT_EQ(invoices[0]->invoice().external_ref().id(), "e0000000000000000000000000000001");
  EXPECT_EQ(invoices[0]->invoice().terms().payment_terms_text(), "Net 30");
  auto payments = p.Of(SyncRecord::kPayment);
  EXPECT_EQ(payments[0]->payment().payer_reference(), "CHK-77");
  EXPECT_EQ(payments[0]->payment().allocations(0).invoice(), "e0000000000000000000000000000001");
  EXPECT_EQ(p.Of(SyncRecord::kCreditNote)[0]->credit_note().reason(), "Damaged goods");
}

TEST(GnuCashXml, GzipBookReadsTheSame) {
  std::string xml = ReadFile(Fixture("small_book.gnucash"));
  fs::path gz = TempPath("book.gnucash");
  gzFile f = gzopen(gz.string().c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, xml.data(), static_cast<unsigned>(xml.size())),
            static_cast<int>(xml.size()));
  gzclose(f);
  std::string bytes = ReadFile(gz);
  ASSERT_EQ(SniffGnuCash(bytes), GnuCashFormat::kGzipXml);
  Parsed p = ParsePath(gz);
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(Summary(p), kSmallBookSummary);

  // Damaged compressed data: a located error, no records.
  std::string broken = bytes;
  for (size_t i = 40; i < 60 && i < broken.size(); ++i) broken[i] = static_cast<char>(~broken[i]);
  Parsed q = ParseXmlText(broken, "broken.gnucash");
  EXPECT_FALSE(q.status.ok());
  EXPECT_TRUE(q.records.empty());
  std::string reason = domain::ReasonOf(q.status);
  EXPECT_TRUE(reason == "GZIP_CORRUPT" || reason == "XML_MALFORMED") << q.status;

  Parsed t = ParseXmlText(bytes.substr(0, bytes.size() / 2), "truncated.gnucash");
  EXPECT_FALSE(t.status.ok());
  EXPECT_TRUE(t.records.empty());
  fs::remove(gz);
}

// GnuCash 1.8 wrote no namespace declarations (wiki "GnuCash XML format"):
// the prefixes are undeclared, the book is the same.
TEST(GnuCashXml, BookWithoutNamespaceDeclarations) {
  std::string xml = ReadFile(Fixture("small_book.gnucash"));
  size_t open = xml.find("<gnc-v2");
  size_t close = xml.find('>', open);
  xml.replace(open, close - open + 1, "<gnc-v2>");
  ASSERT_EQ(xml.find("xmlns"), std::string::npos);
  Parsed p = ParseXmlText(xml, "old.gnucash");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(Summary(p), kSmallBookSummary);
}

TEST(GnuCashXml, OtherInputsAreRefused) {
  const std::string inputs[] = {"", "hello", "<Document/>",
                                std::string("SQLite format 3\0rest", 20)};
  for (const std::string& text : inputs) {
    Parsed p = ParseXmlText(text, "x");
    EXPECT_EQ(domain::ReasonOf(p.status), "NOT_GNUCASH") << text << " " << p.status;
    EXPECT_TRUE(p.records.empty());
  }
  // Well-formedness errors name the line.
  Parsed m =
      ParseXmlText("<?xml version=\"1.0\"?>\n<gnc-v2>\n<gnc:book>\n</gnc-v2>\n", "bad.gnucash");
  EXPECT_EQ(domain::ReasonOf(m.status), "XML_MALFORMED");
  EXPECT_TRUE(m.records.empty());
}

TEST(GnuCashRational, ExactOrRejected) {
  struct Case {
    const char* text;
    const char* currency;
    int64_t minor;
    const char* reason;  // "" when OK
  } cases[] = {
      {"225300/100", "EUR", 225300, ""},
      {"-132760/100", "EUR", -132760, ""},
      {"7", "EUR", 700, ""},
      {"1000000/10000", "EUR", 10000, ""},
      {"5/2", "EUR", 250, ""},
      {"12345/1000", "EUR", 0, "INEXACT_AMOUNT"},
      {"12340/1000", "EUR", 1234, ""},
      {"1/3", "EUR", 0, "INEXACT_AMOUNT"},
      {"500/1", "JPY", 500, ""},
      {"5001/10", "JPY", 0, "INEXACT_AMOUNT"},
      {"1234/1000", "KWD", 1234, ""},
      {"1/0", "EUR", 0, "INVALID_AMOUNT"},
      {"abc", "EUR", 0, "INVALID_AMOUNT"},
      {"1/2/3", "EUR", 0, "INVALID_AMOUNT"},
      {"922337203685477580/1", "EUR", 0, "INVALID_AMOUNT"},
      {"1/1", "XXX", 0, "UNKNOWN_CURRENCY"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> v = GnuCashRationalToMinor(c.text, c.currency);
    if (c.reason[0] == '\0') {
      ASSERT_TRUE(v.ok()) << c.text << " " << v.status();
      EXPECT_EQ(*v, c.minor) << c.text;
    } else {
      ASSERT_FALSE(v.ok()) << c.text;
      EXPECT_EQ(domain::ReasonOf(v.status()), c.reason) << c.text;
    }
  }
}

// --------------------------------------------------------------- SQLite

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err != nullptr ? err : "") << "\n"
      << sql;
}

// The small book again, in the GnuCash SQL backend's tables (the columns
// the parser reads; GnuCash has more).
void BuildSqliteBook(const fs::path& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK);
  Exec(db, "PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY;");
  Exec(db, R"sql(
    CREATE TABLE versions (table_name TEXT, table_version INTEGER);
    INSERT INTO versions VALUES ('Gnucash', 3000005);
    CREATE TABLE commodities (guid TEXT PRIMARY KEY, namespace TEXT, mnemonic TEXT, fraction INTEGER);
    INSERT INTO commodities VALUES ('cmd-eur', 'CURRENCY', 'EUR', 100);
    CREATE TABLE accounts (guid TEXT PRIMARY KEY, name TEXT, account_type TEXT, commodity_guid TEXT);
    INSERT INTO accounts VALUES ('ar', 'Accounts Receivable', 'RECEIVABLE', 'cmd-eur'),
      ('inc', 'Income', 'INCOME', 'cmd-eur'), ('bank', 'Bank', 'BANK', 'cmd-eur');
    CREATE TABLE lots (guid TEXT PRIMARY KEY, account_guid TEXT, is_closed INTEGER);
    INSERT INTO lots VALUES ('lot1', 'ar', 0), ('lot2', 'ar', 0), ('lot3', 'ar', 0), ('lot4', 'ar', 0);
    CREATE TABLE slots (id INTEGER PRIMARY KEY, obj_guid TEXT, name TEXT, slot_type INTEGER,
      int64_val INTEGER, string_val TEXT, double_val REAL, timespec_val TEXT, guid_val TEXT,
      numeric_val_num INTEGER, numeric_val_denom INTEGER, gdate_val TEXT);
    INSERT INTO slots (obj_guid, name, slot_type, guid_val) VALUES
      ('lot1', 'gncInvoice/invoice-guid', 5, 'inv1'), ('lot2', 'gncInvoice/invoice-guid', 5, 'inv2'),
      ('lot3', 'gncInvoice/invoice-guid', 5, 'inv3'), ('lot4', 'gncInvoice/invoice-guid', 5, 'inv4');
    INSERT INTO slots (obj_guid, name, slot_type, string_val) VALUES
      ('t1', 'trans-txn-type', 4, 'I'), ('t2', 'trans-txn-type', 4, 'I'), ('t3', 'trans-txn-type', 4, 'I'),
      ('t4', 'trans-txn-type', 4, 'I'), ('t5', 'trans-txn-type', 4, 'P'), ('t6', 'trans-txn-type', 4, 'P'),
      ('t7', 'trans-txn-type', 4, 'L'), ('t8', 'trans-txn-type', 4, 'P');
    INSERT INTO slots (obj_guid, name, slot_type, timespec_val) VALUES
      ('t1', 'trans-date-due', 6, '2026-02-09 10:59:00');
    INSERT INTO slots (obj_guid, name, slot_type, int64_val) VALUES ('inv3', 'credit-note', 1, 1);
    CREATE TABLE transactions (guid TEXT PRIMARY KEY, currency_guid TEXT, num TEXT,
      post_date TEXT, enter_date TEXT, description TEXT);
    INSERT INTO transactions VALUES
      ('t1', 'cmd-eur', 'INV-1', '2026-01-10 10:59:00', NULL, 'Acme Trading'),
      ('t2', 'cmd-eur', '', '2026-01-31 10:59:00', NULL, 'Acme Trading'),
      ('t3', 'cmd-eur', '', '2026-02-01 10:59:00', NULL, 'credit'),
      ('t4', 'cmd-eur', '', '20260215105900', NULL, 'Globex job work'),
      ('t5', 'cmd-eur', 'CHK-77', '2026-02-20 10:59:00', NULL, 'part of INV-1'),
      ('t6', 'cmd-eur', '', '2026-03-01 10:59:00', NULL, 'the rest'),
      ('t7', 'cmd-eur', '', '2026-03-02 10:59:00', NULL, 'link'),
      ('t8', 'cmd-eur', '', '2026-03-05 10:59:00', NULL, 'inexact');
    CREATE TABLE splits (guid TEXT PRIMARY KEY, tx_guid TEXT, account_guid TEXT, memo TEXT,
      action TEXT, reconcile_state TEXT, value_num INTEGER, value_denom INTEGER,
      quantity_num INTEGER, quantity_denom INTEGER, lot_guid TEXT);
    INSERT INTO splits (guid, tx_guid, account_guid, value_num, value_denom, lot_guid) VALUES
      ('s01', 't1', 'ar', 225300, 100, 'lot1'), ('s02', 't1', 'inc', -225300, 100, NULL),
      ('s03', 't2', 'ar', 50000, 100, 'lot2'), ('s04', 't2', 'inc', -50000, 100, NULL),
      ('s05', 't3', 'ar', -2500, 100, 'lot3'), ('s06', 't3', 'inc', 2500, 100, NULL),
      ('s07', 't4', 'ar', 12000, 100, 'lot4'), ('s08', 't4', 'inc', -12000, 100, NULL),
      ('s09', 't5', 'bank', 100000, 100, NULL), ('s10', 't5', 'ar', -100000, 100, 'lot1'),
      ('s11', 't6', 'bank', 175300, 100, NULL), ('s12', 't6', 'ar', -125300, 100, 'lot1'),
      ('s13', 't6', 'ar', -50000, 100, 'lot2'),
      ('s14', 't7', 'ar', 2500, 100, 'lot3'), ('s15', 't7', 'ar', -2500, 100, 'lot2'),
      ('s16', 't8', 'ar', -1, 3, 'lot4');
    CREATE TABLE billterms (guid TEXT PRIMARY KEY, name TEXT, description TEXT, refcount INTEGER,
      invisible INTEGER, parent TEXT, type TEXT, duedays INTEGER, discountdays INTEGER,
      discount_num INTEGER, discount_denom INTEGER, cutoff INTEGER);
    INSERT INTO billterms (guid, name, type, duedays, cutoff) VALUES
      ('bt30', 'Net 30', 'GNC_TERM_TYPE_DAYS', 30, 0),
      ('bt15', '15th', 'GNC_TERM_TYPE_PROXIMO', 15, 25);
    CREATE TABLE customers (guid TEXT PRIMARY KEY, name TEXT, id TEXT, notes TEXT, active INTEGER,
      discount_num INTEGER, discount_denom INTEGER, credit_num INTEGER, credit_denom INTEGER,
      currency TEXT, tax_override INTEGER, addr_name TEXT, addr_addr1 TEXT, addr_addr2 TEXT,
      addr_addr3 TEXT, addr_addr4 TEXT, addr_phone TEXT, addr_fax TEXT, addr_email TEXT,
      terms TEXT, tax_included INTEGER, taxtable TEXT);
    INSERT INTO customers (guid, name, id, credit_num, credit_denom, currency, addr_name,
      addr_phone, addr_email, terms) VALUES
      ('c1', 'Acme Trading GmbH', '000001', 500000, 100, 'cmd-eur', 'Ana Ortiz', '+49 30 1234567',
       'ap@acme.example', 'bt30'),
      ('c2', 'Globex Société Anonyme', '000002', 0, 1, 'cmd-eur', NULL, NULL, NULL, NULL);
    CREATE TABLE jobs (guid TEXT PRIMARY KEY, id TEXT, name TEXT, reference TEXT, active INTEGER,
      owner_type INTEGER, owner_guid TEXT);
    INSERT INTO jobs VALUES ('j1', '000001', 'Globex rollout', '', 1, 2, 'c2');
    CREATE TABLE invoices (guid TEXT PRIMARY KEY, id TEXT, date_opened TEXT, date_posted TEXT,
      notes TEXT, active INTEGER, currency TEXT, owner_type INTEGER, owner_guid TEXT, terms TEXT,
      billing_id TEXT, post_txn TEXT, post_lot TEXT, post_acc TEXT, billto_type INTEGER,
      billto_guid TEXT, charge_amt_num INTEGER, charge_amt_denom INTEGER);
    INSERT INTO invoices (guid, id, date_opened, date_posted, notes, currency, owner_type,
      owner_guid, terms, post_txn, post_lot, post_acc) VALUES
      ('inv1', 'INV-1', '2026-01-10 10:59:00', '2026-01-10 10:59:00', '', 'cmd-eur', 2, 'c1', 'bt30', 't1', 'lot1', 'ar'),
      ('inv2', 'INV-2', '2026-01-31 10:59:00', '2026-01-31 10:59:00', '', 'cmd-eur', 2, 'c1', 'bt15', 't2', 'lot2', 'ar'),
      ('inv3', 'CN-1', '2026-02-01 10:59:00', '2026-02-01 10:59:00', 'Damaged goods', 'cmd-eur', 2, 'c1', NULL, 't3', 'lot3', 'ar'),
      ('inv4', 'G-7', '2026-02-15 10:59:00', '2026-02-15 10:59:00', '', 'cmd-eur', 3, 'j1', NULL, 't4', 'lot4', 'ar'),
      ('inv5', 'DRAFT-1', '2026-03-01 10:59:00', NULL, '', 'cmd-eur', 2, 'c2', NULL, NULL, NULL, NULL),
      ('inv6', 'BILL-9', '2026-03-02 10:59:00', '2026-02-01 10:59:00', '', 'cmd-eur', 4, 'v1', NULL, NULL, NULL, NULL);
  )sql");
  sqlite3_close(db);
}

TEST(GnuCashSqlite, SameBookSameRecords) {
  fs::path path = TempPath("book.sqlite.gnucash");
  fs::remove(path);
  BuildSqliteBook(path);
  ASSERT_EQ(SniffGnuCash(ReadFile(path).substr(0, 16)), GnuCashFormat::kSqlite);
  Parsed p = ParsePath(path);
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(Summary(p), kSmallBookSummary);
  EXPECT_EQ(p.stats.drafts_skipped, 1);
  EXPECT_EQ(p.stats.non_customer_skipped, 1);
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_EQ(p.issues[0].reason, "INEXACT_AMOUNT");
  EXPECT_EQ(p.issues[0].where.xpath, "transactions/t8");
  fs::remove(path);
}

TEST(GnuCashSqlite, OtherDatabasesAreRefused) {
  fs::path path = TempPath("other.sqlite");
  fs::remove(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK);
  Exec(db, "CREATE TABLE notes (id INTEGER);");
  sqlite3_close(db);
  Parsed p = ParsePath(path);
  EXPECT_EQ(domain::ReasonOf(p.status), "NOT_GNUCASH") << p.status;
  EXPECT_TRUE(p.records.empty());
  fs::remove(path);
  Parsed missing = ParsePath(TempPath("does-not-exist"));
  EXPECT_EQ(missing.status.code(), absl::StatusCode::kNotFound);
}

// -------------------------------------------------------------- samples

TEST(GnuCashSamples, JGnuCashTestBook) {
  fs::path path =
      fs::path(COLLECTIONS_SAMPLES_DIR) / "gnucash" / "jgnucash-test-book-with-invoices.gnucash";
  if (!fs::exists(path)) GTEST_SKIP() << "sample not found: " << path;
  Parsed p = ParsePath(path);
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_TRUE(p.issues.empty()) << p.issues[0].ToString();
  EXPECT_EQ(Summary(p),
            "customer 000003 N'importe Quoi S.A. terms 0 limit 0\n"
            "customer 000001 Unfug und Quatsch GmbH terms 30 limit 0\n"
            "customer 000002 Is That So Ltd. terms 0 limit 200000\n"
            "invoice R1731 000001 190995 EUR issued 2023-8-13 due 2023-8-23\n"
            "invoice R1730 000001 132760 EUR issued 2023-7-29 due 2023-7-29\n"
            "payment 000001 132760 on 2023-8-3 [R1730=132760]\n"
            "payment 000001 120000 on 2023-8-17 [R1731=120000]");
  // One unposted customer-job invoice; vendor bills, job bills and an
  // employee voucher are not receivables.
  EXPECT_EQ(p.stats.drafts_skipped, 1);
  EXPECT_EQ(p.stats.non_customer_skipped, 6);
}

TEST(GnuCashSamples, CustomersImportCsv) {
  fs::path path = fs::path(COLLECTIONS_SAMPLES_DIR) / "gnucash" / "gnucash-customers-import.csv";
  if (!fs::exists(path)) GTEST_SKIP() << "sample not found: " << path;
  std::ifstream in(path, std::ios::binary);
  Parsed p;
  ParseOptions o;
  o.file_name = path.filename().string();
  p.status = ParseGnuCashCustomersCsv(in, o, Into(p), IssuesInto(p));
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_TRUE(p.issues.empty());
  std::vector<std::string> names;
  for (const auto& r : p.records) names.push_back(r.record.customer().display_name());
  EXPECT_EQ(absl::StrJoin(names, "|"),
            "Good Company|Average Company|Academy|No Address Company|Bad Company");
  EXPECT_EQ(p.records[1].record.customer().external_ref().id(), "000099");
  EXPECT_EQ(p.records[1].where.line, 9);
  // No id: a stable one, the same on every import.
  std::string id0 = p.records[0].record.customer().external_ref().id();
  EXPECT_FALSE(id0.empty());
  std::ifstream again(path, std::ios::binary);
  Parsed q;
  ASSERT_TRUE(ParseGnuCashCustomersCsv(again, o, Into(q), IssuesInto(q)).ok());
  EXPECT_EQ(q.records[0].record.customer().external_ref().id(), id0);
  const v1::Contact& academy = p.records[2].record.customer().contacts(0);
  EXPECT_EQ(academy.name(), "Academy");
  ASSERT_EQ(academy.channels_size(), 2);
  EXPECT_EQ(academy.channels(1).address(), "555-237-6959");
}

// ---------------------------------------------------------------- writer

std::vector<CollectionEntry> Entries() {
  CollectionEntry fee;
  fee.kind = CollectionEntry::Kind::kFee;
  fee.id = "fee-0001";
  fee.date = absl::CivilDay(2026, 4, 1);
  fee.due_date = absl::CivilDay(2026, 4, 15);
  fee.customer = "000001";
  fee.customer_name = "Acme Trading GmbH";
  fee.invoice_number = "INV-1";
  fee.amount = domain::Money{"EUR", 4000};
  CollectionEntry interest = fee;
  interest.kind = CollectionEntry::Kind::kInterest;
  interest.id = "int-0001";
  interest.due_date.reset();
  interest.description = "Interest 8% p.a., 31 days, on 2,253.00";
  interest.amount = domain::Money{"EUR", 1531};
  CollectionEntry write_off = fee;
  write_off.kind = CollectionEntry::Kind::kWriteOff;
  write_off.id = "wo-0001";
  write_off.amount = domain::Money{"EUR", 125300};
  return {fee, interest, write_off};
}

TEST(GnuCashWriter, InvoiceImportLines) {
  std::vector<CollectionEntry> e = Entries();
  std::ostringstream out;
  ASSERT_TRUE(WriteGnuCashInvoiceCsv(out, absl::MakeSpan(e).subspan(0, 2)).ok());
  EXPECT_EQ(out.str(),
            "fee-0001,2026-04-01,000001,INV-1,collections entry fee-0001,2026-04-01,"
            "Late fee for invoice INV-1,,Income:Late Fees,1,40.00,,,,N,N,,2026-04-01,2026-04-15,"
            "Assets:Accounts Receivable,Late fee for invoice INV-1,N\n"
            "int-0001,2026-04-01,000001,INV-1,collections entry int-0001,2026-04-01,"
            "\"Interest 8% p.a., 31 days, on 2,253.00\",,Income:Interest Income,1,15.31,,,,N,N,,"
            "2026-04-01,2026-04-01,Assets:Accounts Receivable,"
            "\"Interest 8% p.a., 31 days, on 2,253.00\",N\n");
  // 22 fields per line, as bi_import requires.
  std::istringstream in(out.str());
  LineReader lines(in);
  CsvReader csv(lines);
  CsvRecord rec;
  int n = 0;
  while (*csv.Next(&rec)) {
    EXPECT_EQ(rec.size(), 22u);
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST(GnuCashWriter, BadEntriesWriteNothing) {
  std::vector<CollectionEntry> e = Entries();
  std::ostringstream out;
  absl::Status s = WriteGnuCashInvoiceCsv(out, e);  // includes a write-off
  EXPECT_EQ(domain::ReasonOf(s), "UNSUPPORTED_ENTRY");
  EXPECT_EQ(domain::FieldsOf(s)[0].field, "entries[2]");
  EXPECT_TRUE(out.str().empty());

  e[1].amount.minor = 0;
  std::ostringstream out2;
  s = WriteGnuCashTransactionCsv(out2, e);
  EXPECT_EQ(domain::ReasonOf(s), "INVALID_AMOUNT");
  EXPECT_EQ(domain::FieldsOf(s)[0].field, "entries[1].amount");
  EXPECT_TRUE(out2.str().empty());

  e = Entries();
  e[0].customer.clear();
  std::ostringstream out3;
  EXPECT_EQ(domain::ReasonOf(WriteGnuCashTransactionCsv(out3, e)), "MISSING_FIELD");
  EXPECT_TRUE(out3.str().empty());
}

TEST(GnuCashWriter, TransactionImportBalances) {
  std::vector<CollectionEntry> e = Entries();
  std::ostringstream out;
  ASSERT_TRUE(WriteGnuCashTransactionCsv(out, e).ok());
  std::istringstream in(out.str());
  LineReader lines(in);
  CsvReader csv(lines);
  CsvRecord rec;
  ASSERT_TRUE(*csv.Next(&rec));
  ASSERT_EQ(rec.size(), 18u);
  EXPECT_EQ(rec.Value(0), "Date");
  EXPECT_EQ(rec.Value(17), "Rate/Price");
  std::vector<std::vector<std::string>> rows;
  while (*csv.Next(&rec)) {
    ASSERT_EQ(rec.size(), 18u);
    std::vector<std::string> row;
    for (const auto& f : rec.fields) row.push_back(f.value);
    rows.push_back(row);
  }
  ASSERT_EQ(rows.size(), 6u);
  for (size_t i = 0; i < rows.size(); i += 2) {
    int64_t a = *domain::ParseMinorUnits(rows[i][12], "EUR");
    int64_t b = *domain::ParseMinorUnits(rows[i + 1][12], "EUR");
    EXPECT_EQ(a + b, 0) << "transaction " << rows[i][1] << " does not balance";
    EXPECT_EQ(rows[i][5], "CURRENCY::EUR");
    EXPECT_TRUE(rows[i + 1][0].empty());  // continuation split
  }
  EXPECT_EQ(rows[0][9], "Assets:Accounts Receivable");
  EXPECT_EQ(rows[1][9], "Income:Late Fees");
  EXPECT_EQ(rows[3][9], "Income:Interest Income");
  EXPECT_EQ(rows[4][9], "Expenses:Bad Debt");  // write-off debits bad debt
  EXPECT_EQ(rows[4][12], "1253.00");
  EXPECT_EQ(rows[5][9], "Assets:Accounts Receivable");
  EXPECT_EQ(rows[5][12], "-1253.00");
}

}  // namespace
}  // namespace collections::connectors
