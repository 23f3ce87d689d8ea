#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "connectors/plaintext/parse_plaintext.h"
#include "connectors/plaintext/write_plaintext.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

namespace fs = std::filesystem;
using v1::SyncRecord;

struct Parsed {
  absl::Status status;
  std::vector<ParsedRecord> records;
  std::vector<ParseIssue> issues;
  PlaintextStats stats;
};

Parsed Parse(std::istream& in, const std::string& name, const std::string& default_currency = "",
             int default_year = 0) {
  Parsed p;
  ParseOptions o;
  o.file_name = name;
  o.default_currency = default_currency;
  PlaintextParseOptions po;
  po.default_year = default_year;
  p.status = ParsePlaintextJournal(
      in, o, [&](ParsedRecord r) { p.records.push_back(std::move(r)); },
      [&](ParseIssue i) { p.issues.push_back(std::move(i)); }, po, &p.stats);
  return p;
}

Parsed ParseFile(const fs::path& path, const std::string& default_currency = "",
                 int default_year = 0) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return Parse(in, path.filename().string(), default_currency, default_year);
}

std::string Date(const v1::Date& d) { return absl::StrCat(d.year(), "-", d.month(), "-", d.day()); }

std::string Summary(const Parsed& p) {
  std::vector<std::string> lines;
  for (const ParsedRecord& r : p.records) {
    const SyncRecord& s = r.record;
    std::string at = absl::StrCat(" @", r.where.line);
    switch (s.record_case()) {
      case SyncRecord::kCustomer:
        lines.push_back(absl::StrCat("customer ", s.customer().external_ref().id(), " \"",
                                     s.customer().display_name(), "\"", at));
        break;
      case SyncRecord::kInvoice:
        lines.push_back(absl::StrCat(
            "invoice ", s.invoice().number(), " ", s.customer_ref(), " ",
            s.invoice().total().minor_units(), " ", s.invoice().currency_code(), " ",
            Date(s.invoice().issue_date()), " due ", Date(s.invoice().due_date()), at));
        break;
      case SyncRecord::kCreditNote:
        lines.push_back(absl::StrCat("credit ", s.customer_ref(), " ",
                                     s.credit_note().amount().minor_units(), " ",
                                     s.credit_note().amount().currency_code(), " for ",
                                     s.credit_note().invoice_number(), at));
        break;
      case SyncRecord::kPayment: {
        std::vector<std::string> alloc;
        for (const auto& a : s.payment().allocations()) {
          alloc.push_back(absl::StrCat(a.invoice_number(), "=", a.amount().minor_units()));
        }
        lines.push_back(absl::StrCat(
            "payment ", s.customer_ref(), " ", s.payment().amount().minor_units(), " ",
            s.payment().amount().currency_code(), " ", Date(s.payment().received_date()), " [",
            absl::StrJoin(alloc, ","), "]", at));
        break;
      }
      default:
        break;
    }
  }
  return absl::StrJoin(lines, "\n");
}

fs::path Fixture(const std::string& name) { return fs::path(PLAINTEXT_TESTDATA_DIR) / name; }

// ----------------------------------------------------------------- parsing

TEST(PlaintextJournal, LedgerQuirks) {
  Parsed p = ParseFile(Fixture("quirks.journal"));
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(Summary(p),
            "customer acme \"Acme Corp\" @6\n"
            "invoice INV-100 acme 125050 USD 2025-1-5 due 2025-2-4 @9\n"
            "customer globex \"Globex\" @12\n"
            "invoice INV-101 globex 50000 EUR 2025-1-10 due 2025-2-10 @14\n"
            "invoice INV-102 acme 7500 USD 2025-1-15 due 2025-1-15 @18\n"
            "payment acme 132550 USD 2025-1-20 [INV-100=125050,INV-102=7500] @24\n"
            "credit globex 5000 EUR for INV-101 @29\n"
            "payment globex 20000 EUR 2025-1-28 [] @34");
  EXPECT_EQ(p.stats.rules_skipped, 2);
  ASSERT_EQ(p.issues.size(), 2u);
  EXPECT_EQ(p.issues[0].where.line, 45);
  EXPECT_EQ(p.issues[0].field, "assets:receivable:acme");
  EXPECT_EQ(p.issues[1].reason, "INVALID_DATE");
  EXPECT_EQ(p.issues[1].where.line, 48);
  // Ids are stable: the same journal gives the same ids.
  Parsed again = ParseFile(Fixture("quirks.journal"));
  ASSERT_EQ(again.records.size(), p.records.size());
  for (size_t i = 0; i < p.records.size(); ++i) {
    EXPECT_EQ(again.records[i].record.SerializeAsString(), p.records[i].record.SerializeAsString());
  }
}

TEST(PlaintextJournal, Beancount) {
  Parsed p = ParseFile(Fixture("small.beancount"));
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_TRUE(p.issues.empty()) << p.issues[0].ToString();
  EXPECT_EQ(Summary(p),
            "customer Initech \"Initech\" @10\n"
            "invoice INV-7 Initech 120000 EUR 2025-3-1 due 2025-3-31 @13\n"
            "payment Initech 120000 EUR 2025-3-20 [INV-7=120000] @18");
}

TEST(PlaintextJournal, UnitlessWithoutDefaultCurrencyIsAnIssue) {
  std::istringstream in("2025-01-01 lend\n  assets:receivable:bob  25\n  assets:cash\n");
  Parsed p = Parse(in, "mem.journal");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_EQ(p.issues[0].reason, "MISSING_CURRENCY");
  EXPECT_EQ(p.issues[0].where.line, 2);
  EXPECT_TRUE(p.records.empty());
  std::istringstream two("2025-01-01 x\n  assets:receivable:bob\n  assets:cash\n");
  Parsed q = Parse(two, "mem.journal", "USD");
  ASSERT_EQ(q.issues.size(), 1u);
  EXPECT_EQ(q.issues[0].reason, "UNBALANCED_TRANSACTION");
}

TEST(PlaintextJournal, Utf8AccountsAndApplyTagBlocks) {
  std::istringstream in(
      "decimal-mark ,\n"
      "apply tag client\n"
      "2025-05-02 * (F-17) Société Générale | facture\n"
      "    actifs:créances:Société Générale    1 200,50 EUR\n"
      "    produits:ventes\n"
      "end apply tag\n"
      "\n"
      "2025-05-03 * (С-1) Ромашка\n"
      "    assets:receivable:Ромашка    ₽ 3500\n"
      "    income\n"
      "2025-05-04 (発注-9) 株式会社 | 請求\n"
      "    Assets:Receivable:株式会社    ¥15000\n"
      "    Income:売上\n");
  ParseOptions o;
  o.file_name = "utf8.journal";
  PlaintextParseOptions po;
  po.receivable_marker = "réanc";  // "créances" in a French chart of accounts
  Parsed fr;
  fr.status = ParsePlaintextJournal(
      in, o, [&](ParsedRecord r) { fr.records.push_back(std::move(r)); },
      [&](ParseIssue i) { fr.issues.push_back(std::move(i)); }, po, &fr.stats);
  ASSERT_TRUE(fr.status.ok());
  EXPECT_TRUE(fr.issues.empty()) << fr.issues[0].ToString();
  EXPECT_EQ(Summary(fr),
            "customer Société Générale \"Société Générale\" @3\n"
            "invoice F-17 Société Générale 120050 EUR 2025-5-2 due 2025-5-2 @4");
  in.clear();
  in.seekg(0);
  Parsed all = Parse(in, "utf8.journal");
  EXPECT_TRUE(all.issues.empty()) << all.issues[0].ToString();
  EXPECT_EQ(Summary(all),
            "customer Ромашка \"Ромашка\" @8\n"
            "invoice С-1 Ромашка 350000 RUB 2025-5-3 due 2025-5-3 @9\n"
            "customer 株式会社 \"株式会社\" @11\n"
            "invoice 発注-9 株式会社 15000 JPY 2025-5-4 due 2025-5-4 @12");
}

struct AmountCase {
  const char* text;
  int64_t minor;
  const char* currency;
};

// One receivable posting of `c.text` after `directives` reads as c.minor.
void ExpectAmount(const std::string& directives, const AmountCase& c) {
  std::istringstream in(
      absl::StrCat(directives, "2025-03-01 t\n  assets:receivable:x  ", c.text, "\n  income:y\n"));
  Parsed p = Parse(in, "mem");
  ASSERT_TRUE(p.issues.empty()) << c.text << ": " << p.issues[0].ToString();
  ASSERT_EQ(p.records.size(), 2u) << c.text;
  const SyncRecord& r = p.records[1].record;
  const v1::Money& m = c.minor > 0 ? r.invoice().total() : r.credit_note().amount();
  EXPECT_EQ(m.minor_units(), c.minor > 0 ? c.minor : -c.minor) << c.text;
  EXPECT_EQ(m.currency_code(), c.currency) << c.text;
}

TEST(PlaintextJournal, AmountForms) {
  const AmountCase cases[] = {
      {"$1000", 100000, "USD"},
      {"$-1000", -100000, "USD"},
      {"-$1,000.00", -100000, "USD"},
      {"500.00€", 50000, "EUR"},
      {"431.92 USD", 43192, "USD"},
      {"USD 431.92", 43192, "USD"},
      {"£600", 60000, "GBP"},
      {"1,234,567.89 USD", 123456789, "USD"},
      {"¥1500", 1500, "JPY"},
      {"-0.5 EUR", -50, "EUR"},
      {"10 EUR @ 1.1 USD", 1000, "EUR"},
      {"3 CHF {2.50 EUR}", 300, "CHF"},
  };
  for (const AmountCase& c : cases) ExpectAmount("", c);
}

// A transaction with every amount stated must balance; an unbalanced one
// was booked silently with its receivable amount.
TEST(PlaintextJournal, UnbalancedTransactionIsRefused) {
  std::istringstream in(
      "2025-03-01 (INV-1) Acme\n    assets:receivable:acme    EUR 10.00\n    income    EUR -9.00\n"
      "2025-03-02 (INV-2) Acme\n    assets:receivable:acme    EUR 10.00\n    income    EUR -10.00\n"
      "2025-03-03 (INV-3) Acme\n    assets:receivable:acme    10 EUR @ 1.1 USD\n    income    USD "
      "-11\n");
  Parsed p = Parse(in, "mem");
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_EQ(p.issues[0].reason, "UNBALANCED_TRANSACTION");
  EXPECT_EQ(p.issues[0].where.line, 1);
  int invoices = 0;
  for (const auto& r : p.records) invoices += r.record.has_invoice();
  EXPECT_EQ(invoices, 2);  // INV-2, and INV-3 balanced through its price
}

// A journal's decimal comma is declared (hledger's decimal-mark directive,
// or --number_format), never guessed from the digits: "12,50" in a journal
// without it is an error that names the fix, not 1250.00.
TEST(PlaintextJournal, DecimalCommaIsDeclaredNotGuessed) {
  const AmountCase comma[] = {{"€ 12,50", 1250, "EUR"},
                              {"1.000,00 EUR", 100000, "EUR"},
                              {"-1.234.567,8 EUR", -123456780, "EUR"}};
  for (const AmountCase& c : comma) ExpectAmount("decimal-mark ,\n", c);
  for (const char* text : {"€ 12,50", "1.000,00 EUR", "12.345 USD", "1,23,456.00 USD"}) {
    std::istringstream in(
        absl::StrCat("2025-03-01 t\n  assets:receivable:x  ", text, "\n  income:y\n"));
    Parsed p = Parse(in, "mem");
    ASSERT_EQ(p.issues.size(), 1u) << text;
    EXPECT_TRUE(p.records.empty()) << text;
    EXPECT_EQ(p.issues[0].where.line, 2) << text;
  }
}

// ----------------------------------------------------------------- samples

fs::path Sample(const std::string& name) {
  return fs::path(COLLECTIONS_SAMPLES_DIR) / "plaintext" / name;
}

TEST(PlaintextSamples, HledgerAccrualInvoicing) {
  fs::path path = Sample("hledger-invoicing-accrual.journal");
  if (!fs::exists(path)) GTEST_SKIP() << "sample not found: " << path;
  Parsed p = ParseFile(path);
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_TRUE(p.issues.empty());
  EXPECT_EQ(Summary(p),
            "customer ab \"AB Inc.\" @3\n"
            "invoice 201602ab ab 100000 USD 2020-2-1 due 2020-2-1 @5\n"
            "payment ab 100000 USD 2020-2-15 [201602ab=100000] @8");
}

TEST(PlaintextSamples, HledgerBorrowing) {
  fs::path path = Sample("hledger-borrowing-receivable-payable.journal");
  if (!fs::exists(path)) GTEST_SKIP() << "sample not found: " << path;
  Parsed p = ParseFile(path, "USD", 2024);
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_TRUE(p.issues.empty()) << p.issues[0].ToString();
  // Only bob's receivable; alice and the bank are payables.
  std::string summary = Summary(p);
  EXPECT_EQ(summary.substr(0, summary.find(" @", summary.find("invoice"))),
            "customer bob \"bob\" @15\ninvoice JNL-" +
                p.records[1].record.invoice().external_ref().id().substr(0, 8) +
                " bob 2500 USD 2024-1-3 due 2024-1-3");
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[2].record.payment().amount().minor_units(), 2500);
  EXPECT_EQ(Date(p.records[2].record.payment().received_date()), "2024-1-4");
}

TEST(PlaintextSamples, BeancountBasicExample) {
  fs::path path = Sample("beancount-basic-example.beancount");
  if (!fs::exists(path)) GTEST_SKIP() << "sample not found: " << path;
  Parsed p = ParseFile(path);
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_TRUE(p.issues.empty()) << p.issues[0].ToString();
  EXPECT_EQ(p.stats.transactions, 61);
  // The iPhone lent to Gilbert, paid back in CAD cash: the receivable is in
  // USD both ways; the CAD residual is the cash account's business.
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].record.customer().external_ref().id(), "Assets:AccountsReceivable");
  EXPECT_EQ(p.records[1].record.invoice().total().minor_units(), 43192);
  EXPECT_EQ(p.records[1].record.invoice().currency_code(), "USD");
  EXPECT_EQ(Date(p.records[1].record.invoice().issue_date()), "2008-3-26");
  EXPECT_EQ(p.records[2].record.payment().amount().minor_units(), 43192);
  EXPECT_EQ(p.records[2].record.payment().amount().currency_code(), "USD");
  EXPECT_EQ(Date(p.records[2].record.payment().received_date()), "2008-4-2");
}

// ------------------------------------------------------------------ writer

std::vector<CollectionEntry> Entries() {
  CollectionEntry fee;
  fee.kind = CollectionEntry::Kind::kFee;
  fee.id = "fee-0001";
  fee.date = absl::CivilDay(2026, 4, 1);
  fee.customer = "acme";
  fee.customer_name = "Acme Corp";
  fee.invoice_number = "INV-100";
  fee.amount = domain::Money{"EUR", 4000};
  CollectionEntry interest = fee;
  interest.kind = CollectionEntry::Kind::kInterest;
  interest.id = "int-0001";
  interest.amount = domain::Money{"EUR", 1531};
  CollectionEntry write_off = fee;
  write_off.kind = CollectionEntry::Kind::kWriteOff;
  write_off.id = "wo-0001";
  write_off.date = absl::CivilDay(2026, 4, 30);
  write_off.amount = domain::Money{"EUR", 125300};
  CollectionEntry odd = fee;
  odd.id = "fee-0002";
  odd.customer = "Globex; (Europe)  [Ltd]";
  odd.customer_name = "Globex | Europe; Ltd";
  odd.amount = domain::Money{"JPY", 1500};
  return {fee, interest, write_off, odd};
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult Command(const std::string& cmd) {
  CommandResult r;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) r.output.append(buf, n);
  int status = pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool HaveBinary(const std::string& name) { return Command("command -v " + name).exit_code == 0; }

fs::path WriteTemp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / absl::StrCat("plaintext_", getpid(), "_", name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

TEST(JournalWriter, LayoutAndBalance) {
  std::vector<CollectionEntry> e = Entries();
  std::ostringstream out;
  ASSERT_TRUE(WriteJournal(out, absl::MakeSpan(e).subspan(0, 1)).ok());
  EXPECT_EQ(out.str(),
            "2026-04-01 * (fee-0001) Acme Corp | Late fee for invoice INV-100\n"
            "    ; collections-entry: fee-0001\n"
            "    ; document: fee-0001\n"
            "    ; customer: acme\n"
            "    ; for-invoice: INV-100\n"
            "    assets:receivable:acme     40.00 EUR\n"
            "    income:late fees          -40.00 EUR\n"
            "\n");
}

TEST(JournalWriter, BadEntriesWriteNothing) {
  std::vector<CollectionEntry> e = Entries();
  e[2].amount.minor = -5;
  std::ostringstream out;
  absl::Status s = WriteJournal(out, e);
  EXPECT_EQ(domain::ReasonOf(s), "INVALID_AMOUNT");
  EXPECT_EQ(domain::FieldsOf(s)[0].field, "entries[2].amount");
  EXPECT_TRUE(out.str().empty());
  e = Entries();
  e[1].id.clear();
  EXPECT_EQ(domain::ReasonOf(WriteJournal(out, e)), "MISSING_FIELD");
  EXPECT_TRUE(out.str().empty());
}

// Parses "<amount> <commodity>  <account>" lines of `balance --flat`
// output (hledger and ledger print the same shape with these options).
// Parses `balance --flat` output: "<amount> <commodity>  <account>" lines;
// a multi-commodity balance puts its other amounts on lines of their own
// above the account's line. Values are joined with ", ".
std::map<std::string, std::string> BalanceLines(const std::string& output) {
  std::map<std::string, std::string> out;
  std::vector<std::string> pending;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StrContains(line, "---")) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits("  ", 1));
    if (parts.size() != 2) {
      pending.emplace_back(line);
      continue;
    }
    pending.emplace_back(absl::StripAsciiWhitespace(parts[0]));
    out[std::string(absl::StripAsciiWhitespace(parts[1]))] = absl::StrJoin(pending, ", ");
    pending.clear();
  }
  return out;
}

TEST(JournalWriter, HledgerAcceptsAndBalancesMatch) {
  if (!HaveBinary("hledger")) GTEST_SKIP() << "hledger not installed (deploy/install.sh)";
  std::vector<CollectionEntry> e = Entries();
  std::ostringstream out;
  ASSERT_TRUE(WriteJournal(out, e).ok());
  fs::path file = WriteTemp("export.journal", out.str());
  CommandResult check = Command(absl::StrCat("hledger -f ", file.string(), " check"));
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << out.str();
  CommandResult bal = Command(absl::StrCat("hledger -f ", file.string(), " balance --flat -N"));
  ASSERT_EQ(bal.exit_code, 0) << bal.output;
  std::map<std::string, std::string> b = BalanceLines(bal.output);
  // 40.00 + 15.31 - 1253.00 for acme; the write-off is the expense.
  EXPECT_EQ(b["assets:receivable:acme"], "-1197.69 EUR") << bal.output;
  EXPECT_EQ(b["expenses:bad debt"], "1253.00 EUR") << bal.output;
  EXPECT_EQ(b["income:late fees"], "-40.00 EUR, -1500 JPY") << bal.output;
  EXPECT_EQ(b["income:interest"], "-15.31 EUR") << bal.output;
  EXPECT_EQ(b["assets:receivable:Globex Europe Ltd"], "1500 JPY") << bal.output;
  fs::remove(file);
}

TEST(JournalWriter, LedgerAcceptsAndBalancesMatch) {
  if (!HaveBinary("ledger")) GTEST_SKIP() << "ledger not installed (deploy/install.sh)";
  std::vector<CollectionEntry> e = Entries();
  std::ostringstream out;
  ASSERT_TRUE(WriteJournal(out, e).ok());
  fs::path file = WriteTemp("export.ledger", out.str());
  CommandResult bal = Command(absl::StrCat(
      "ledger -f ", file.string(), " balance --flat --no-total ^assets:receivable ^expenses"));
  ASSERT_EQ(bal.exit_code, 0) << bal.output << "\n" << out.str();
  std::map<std::string, std::string> b = BalanceLines(bal.output);
  EXPECT_EQ(b["assets:receivable:acme"], "-1197.69 EUR") << bal.output;
  EXPECT_EQ(b["expenses:bad debt"], "1253.00 EUR") << bal.output;
  EXPECT_EQ(b["assets:receivable:Globex Europe Ltd"], "1500 JPY") << bal.output;
  fs::remove(file);
}

TEST(JournalWriter, RoundTripsThroughTheParser) {
  std::vector<CollectionEntry> e = Entries();
  std::ostringstream out;
  ASSERT_TRUE(WriteJournal(out, e).ok());
  std::istringstream in(out.str());
  Parsed p = Parse(in, "export.journal");
  ASSERT_TRUE(p.issues.empty()) << p.issues[0].ToString();
  std::string s = Summary(p);
  EXPECT_TRUE(absl::StrContains(s, "invoice fee-0001 acme 4000 EUR 2026-4-1")) << s;
  EXPECT_TRUE(absl::StrContains(s, "invoice int-0001 acme 1531 EUR 2026-4-1")) << s;
  // The write-off credits INV-100, which is not in the file: by number.
  EXPECT_TRUE(absl::StrContains(s, "credit acme 125300 EUR for INV-100 @")) << s;
  EXPECT_TRUE(absl::StrContains(s, "invoice fee-0002 Globex; (Europe)  [Ltd] 1500 JPY")) << s;
}

// D7: what the writers had to change to fit the syntax (a beancount
// account capitalises "acme-gmbh", a ledger code cannot hold ')', ':' ends
// an account segment) comes back exactly from the tags: the customer's id,
// the document numbers as the debtor saw them, the service's ids, and the
// invoice a write-off credits.
TEST(JournalWriter, BothDialectsRoundTripIdentityExactly) {
  std::vector<CollectionEntry> e = Entries();
  e[0].id = "fee-stage-9a75";
  e[0].number = "FEE-STAGE-9A75";
  e[0].customer = "acme-gmbh:de";
  e[1].number = "INT (2026) 7";
  e[1].customer = "acme-gmbh:de";
  e[2].number = "WO-1";
  e[2].customer = "acme-gmbh:de";
  e[3].customer = "Globex \"EU\" \\ Ltd";
  for (auto dialect :
       {JournalWriteOptions::Dialect::kLedger, JournalWriteOptions::Dialect::kBeancount}) {
    JournalWriteOptions o;
    o.dialect = dialect;
    std::ostringstream out;
    ASSERT_TRUE(WriteJournal(out, e, o).ok());
    std::istringstream in(out.str());
    Parsed p = Parse(in, "export.journal");
    ASSERT_TRUE(p.issues.empty()) << p.issues[0].ToString() << "\n" << out.str();
    ASSERT_EQ(p.records.size(), 6u) << Summary(p);
    EXPECT_EQ(p.records[0].record.customer().external_ref().id(), "acme-gmbh:de");
    EXPECT_EQ(p.records[0].record.customer().display_name(), "Acme Corp");
    // Named by postings only: never overwrites a customer the tenant holds.
    EXPECT_TRUE(p.records[0].implied_customer);
    const v1::Invoice& fee = p.records[1].record.invoice();
    EXPECT_EQ(p.records[1].record.customer_ref(), "acme-gmbh:de");
    EXPECT_EQ(fee.number(), "FEE-STAGE-9A75") << out.str();
    EXPECT_EQ(fee.external_ref().id(), "fee-stage-9a75");
    EXPECT_EQ(p.records[2].record.invoice().number(), "INT (2026) 7") << out.str();
    const v1::CreditNote& wo = p.records[3].record.credit_note();
    EXPECT_EQ(p.records[3].record.customer_ref(), "acme-gmbh:de");
    EXPECT_EQ(wo.number(), "WO-1");
    EXPECT_EQ(wo.external_ref().id(), "wo-0001");
    EXPECT_EQ(wo.invoice_number(), "INV-100");
    EXPECT_EQ(p.records[4].record.customer().external_ref().id(), "Globex \"EU\" \\ Ltd")
        << out.str();
    EXPECT_EQ(p.records[5].record.customer_ref(), "Globex \"EU\" \\ Ltd");
  }
}

TEST(JournalWriter, BeanCheckAcceptsTheBeancountDialect) {
  if (!HaveBinary("bean-check")) GTEST_SKIP() << "bean-check not installed (deploy/install.sh)";
  std::vector<CollectionEntry> e = Entries();
  e[3].customer = "Globex \"EU\" \\ Ltd";
  JournalWriteOptions o;
  o.dialect = JournalWriteOptions::Dialect::kBeancount;
  std::ostringstream out;
  ASSERT_TRUE(WriteJournal(out, e, o).ok());
  fs::path file = WriteTemp("export.beancount", out.str());
  CommandResult check = Command(absl::StrCat("bean-check ", file.string()));
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << out.str();
  fs::remove(file);
}

TEST(JournalWriter, BeancountDialectOpensItsAccounts) {
  std::vector<CollectionEntry> e = Entries();
  std::ostringstream out;
  JournalWriteOptions o;
  o.dialect = JournalWriteOptions::Dialect::kBeancount;
  o.receivable_account = "Assets:Receivable";
  o.fee_income_account = "Income:Late-Fees";
  o.interest_income_account = "Income:Interest";
  o.write_off_account = "Expenses:Bad-Debt";
  ASSERT_TRUE(WriteJournal(out, e, o).ok());
  std::string text = out.str();
  EXPECT_TRUE(absl::StrContains(text, "2026-04-01 open Assets:Receivable:Acme\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "2026-04-01 open Assets:Receivable:Globex-Europe-Ltd\n"))
      << text;
  EXPECT_TRUE(
      absl::StrContains(text, "2026-04-30 * \"Acme Corp\" \"Write-off for invoice INV-100\"\n"))
      << text;
  // And the parser reads it back.
  std::istringstream in(text);
  Parsed p = Parse(in, "export.beancount");
  EXPECT_TRUE(p.issues.empty()) << p.issues[0].ToString();
  EXPECT_EQ(p.stats.invoices, 3);
  EXPECT_EQ(p.stats.credit_notes, 1);
}

}  // namespace
}  // namespace collections::connectors
