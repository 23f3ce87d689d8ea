#include "connectors/camt/parse_camt.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "service/domain/cash_matching.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

namespace fs = std::filesystem;

struct Parsed {
  absl::Status status;
  std::vector<ParsedRecord> records;
  std::vector<ParseIssue> issues;
  CamtStats stats;

  const v1::Payment& payment(size_t i) const { return records.at(i).record.payment(); }
};

Parsed ParseText(const std::string& text, const std::string& name = "mem.xml") {
  Parsed out;
  std::istringstream in(text);
  ParseOptions opts;
  opts.file_name = name;
  out.status = ParseCamt(
      in, opts, [&](ParsedRecord r) { out.records.push_back(std::move(r)); },
      [&](ParseIssue i) { out.issues.push_back(std::move(i)); }, &out.stats);
  return out;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Parsed ParseFixture(const std::string& name) {
  fs::path p = fs::path(CAMT_TESTDATA_DIR) / name;
  EXPECT_TRUE(fs::exists(p)) << p;
  return ParseText(ReadFile(p), name);
}

std::string Ids(const Parsed& p) {
  std::string out;
  for (const ParsedRecord& r : p.records)
    absl::StrAppend(&out, r.record.payment().external_ref().id(), "\n");
  return out;
}

// ------------------------------------------------------------- fixtures

TEST(ParseCamt, Version08StructuredRemittanceAndFx) {
  Parsed p = ParseFixture("camt053_v08_structured_fx.xml");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_TRUE(p.issues.empty());
  EXPECT_EQ(p.stats.message_version, "camt.053.001.08");
  ASSERT_EQ(p.records.size(), 2u);

  const v1::Payment& a = p.payment(0);
  EXPECT_EQ(a.amount().currency_code(), "EUR");
  EXPECT_EQ(a.amount().minor_units(), 12000);
  EXPECT_EQ(a.received_date().year(), 2026);
  EXPECT_EQ(a.received_date().day(), 10);
  EXPECT_EQ(a.payer_name(), "ACME Trading GmbH");
  EXPECT_EQ(a.payer_reference(), "E2E-ACME-77");
  EXPECT_EQ(a.bank_reference(), "BANK-2026031000001");
  EXPECT_EQ(a.account_id(), "DE89370400440532013000");
  EXPECT_EQ(a.method(), v1::Payment::BANK_TRANSFER);
  ASSERT_EQ(a.creditor_references_size(), 1);
  EXPECT_EQ(a.creditor_references(0), "RF18539007547034");
  ASSERT_EQ(a.remitted_documents_size(), 3);
  EXPECT_EQ(a.remitted_documents(0).number(), "INV-1001");
  EXPECT_FALSE(a.remitted_documents(0).credit_note());
  EXPECT_EQ(a.remitted_documents(0).amount().minor_units(), 10000);
  EXPECT_EQ(a.remitted_documents(1).amount().minor_units(), 5000);
  EXPECT_EQ(a.remitted_documents(2).number(), "CN-9001");
  EXPECT_TRUE(a.remitted_documents(2).credit_note());
  EXPECT_EQ(a.remitted_documents(2).amount().minor_units(), 3000);
  EXPECT_FALSE(a.reversal());
  EXPECT_EQ(a.external_ref().source_system(), "camt");
  EXPECT_EQ(a.external_ref().id(), "DE89370400440532013000/BANK-2026031000001/E2E-ACME-77");
  // The customer is unknown to the bank: cash application decides.
  EXPECT_TRUE(p.records[0].record.customer_ref().empty());
  EXPECT_EQ(p.records[0].where.line, 22);
  EXPECT_EQ(p.records[0].where.xpath, "/Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls");
  EXPECT_EQ(
      p.records[0].record.source_location(),
      "camt053_v08_structured_fx.xml:/Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls (line 22)");

  const v1::Payment& fx = p.payment(1);
  EXPECT_EQ(fx.amount().minor_units(), 9210);
  EXPECT_EQ(fx.amount().currency_code(), "EUR");
  EXPECT_EQ(fx.instructed_amount().currency_code(), "USD");
  EXPECT_EQ(fx.instructed_amount().minor_units(), 10000);
  EXPECT_EQ(fx.received_date().day(), 11);     // value date, not booking date
  EXPECT_EQ(fx.payer_reference(), "TX-FX-1");  // NOTPROVIDED is not a reference
  EXPECT_EQ(fx.remittance_text(), "Invoice G-77001");
  EXPECT_EQ(p.records[1].where.xpath, "/Document/BkToCstmrStmt/Stmt/Ntry[2]/NtryDtls/TxDtls");
}

TEST(ParseCamt, Version03PendingDebitsReversedDebitsAndSeveralAccounts) {
  Parsed p = ParseFixture("camt053_v03_mixed.xml");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.stats.message_version, "camt.053.001.03");
  EXPECT_EQ(p.stats.statements, 2);
  EXPECT_EQ(p.stats.entries, 6);
  EXPECT_EQ(p.stats.not_booked_ignored, 1);
  EXPECT_EQ(p.stats.debits_ignored, 1);
  EXPECT_EQ(p.stats.reversed_debits_ignored, 1);
  EXPECT_EQ(p.stats.credits, 2);
  EXPECT_EQ(p.stats.rejected, 1);
  // "1,234.50": grouping separators are not camt decimals.
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_EQ(p.issues[0].where.xpath, "/Document/BkToCstmrStmt/Stmt/Ntry[4]/Amt");
  EXPECT_EQ(p.issues[0].where.line, 24);

  ASSERT_EQ(p.records.size(), 2u);
  const v1::Payment& gbp = p.payment(0);
  EXPECT_EQ(gbp.amount().minor_units(), 25000);
  EXPECT_EQ(gbp.received_date().day(), 2);  // from ValDt/DtTm
  EXPECT_EQ(gbp.remittance_text(), "Payment INV-2001\nand INV-2002");
  EXPECT_EQ(gbp.payer_name(), "Initech Ltd");
  EXPECT_EQ(gbp.account_id(), "GB29NWBK60161331926819");

  const v1::Payment& jpy = p.payment(1);
  EXPECT_EQ(jpy.amount().currency_code(), "JPY");
  EXPECT_EQ(jpy.amount().minor_units(), 5000);  // JPY has no minor unit
  EXPECT_EQ(jpy.account_id(), "ACC-0042");
  EXPECT_EQ(jpy.remittance_text(), "Furikomi INV-3001 Tanaka Shoji");  // AddtlNtryInf
  // No bank reference at all: a fingerprint id, still stable.
  EXPECT_TRUE(absl::StartsWith(jpy.external_ref().id(), "ACC-0042/fp-"));
}

TEST(ParseCamt, Camt054BatchWithRepeatedBankReference) {
  Parsed p = ParseFixture("camt054_v05_batch_qrr.xml");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(p.stats.message_version, "camt.054.001.05");
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.payment(0).amount().minor_units(), 10000);
  EXPECT_EQ(p.payment(1).amount().minor_units(), 20000);
  EXPECT_EQ(p.payment(2).amount().minor_units(), 30000);
  EXPECT_EQ(p.payment(0).creditor_references(0), "210000000003139471430009017");
  // Spaces of the printed form are removed; the (invalid) check digit is the
  // matcher's business, not the parser's.
  EXPECT_EQ(p.payment(1).creditor_references(0), "210000000003139471430009018");
  EXPECT_EQ(p.payment(2).payer_name(), "Müller & Söhne AG");
  EXPECT_EQ(Ids(p),
            "CH4431999123000889012/QRR-BATCH-0401/PKG-1\n"
            "CH4431999123000889012/QRR-BATCH-0401/PKG-1#2\n"
            "CH4431999123000889012/QRR-BATCH-0401/PKG-1#3\n");
}

TEST(ParseCamt, ReversalUndoesTheEarlierCredit) {
  Parsed p = ParseFixture("camt053_v06_reversal.xml");
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.records.size(), 2u);
  const v1::Payment& credit = p.payment(0);
  const v1::Payment& reversal = p.payment(1);
  EXPECT_FALSE(credit.reversal());
  EXPECT_TRUE(reversal.reversal());
  EXPECT_EQ(credit.method(), v1::Payment::DIRECT_DEBIT);
  // The pair shares the end-to-end id and the amount: that is the link.
  EXPECT_EQ(reversal.payer_reference(), credit.payer_reference());
  EXPECT_EQ(reversal.amount().minor_units(), credit.amount().minor_units());
  EXPECT_NE(reversal.external_ref().id(), credit.external_ref().id());
  EXPECT_TRUE(absl::StartsWith(reversal.external_ref().id(), "reversal:"));
  EXPECT_EQ(p.stats.reversals, 1);
  EXPECT_EQ(p.stats.credits, 1);
}

TEST(ParseCamt, BadValuesAreReportedWithLocationsAndSkipped) {
  Parsed p = ParseFixture("bad_values.xml");
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.payment(0).bank_reference(), "GOOD");
  std::vector<std::string> reasons;
  for (const ParseIssue& i : p.issues) {
    reasons.push_back(i.reason);
    EXPECT_GT(i.where.line, 0) << i.ToString();
    EXPECT_FALSE(i.where.xpath.empty()) << i.ToString();
  }
  ASSERT_EQ(reasons.size(), 8u) << absl::StrJoin(reasons, ",");
  EXPECT_EQ(reasons[0], "TOO_MANY_DECIMALS");  // 10.005 EUR
  EXPECT_EQ(reasons[1], "MISSING_CURRENCY");   // no Ccy
  EXPECT_EQ(reasons[2], "INVALID_AMOUNT");     // signed
  EXPECT_EQ(reasons[3], "INVALID_DATE");       // 2026-02-30
  EXPECT_EQ(reasons[4], "UNKNOWN_CURRENCY");   // XYZ
  EXPECT_EQ(reasons[5], "INVALID_VALUE");      // CdtDbtInd CREDIT
  EXPECT_EQ(reasons[6], "MISSING_FIELD");      // batch without amounts (x2)
  EXPECT_EQ(reasons[7], "MISSING_FIELD");
  EXPECT_EQ(p.issues[0].where.xpath, "/Document/BkToCstmrStmt/Stmt/Ntry/Amt");
  EXPECT_EQ(p.issues[3].where.xpath, "/Document/BkToCstmrStmt/Stmt/Ntry[4]");
  EXPECT_EQ(p.stats.rejected, 8);
}

TEST(ParseCamt, MalformedXmlFailsWithLine) {
  Parsed p = ParseFixture("malformed_truncated.xml");
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(domain::ReasonOf(p.status), "XML_MALFORMED");
  std::vector<domain::FieldViolation> f = domain::FieldsOf(p.status);
  ASSERT_EQ(f.size(), 1u);
  // libxml2 notices the mismatched end tag once past it, on line 12/13.
  EXPECT_TRUE(absl::StartsWith(f[0].field, "malformed_truncated.xml:1")) << f[0].field;
  EXPECT_NE(f[0].description.find("Nrty"), std::string::npos) << f[0].description;
  EXPECT_NE(f[0].description.find("line 10"), std::string::npos) << f[0].description;
}

// In a longer document the records before the damage are delivered, and the
// error names the line and (near) element path where reading stopped.
TEST(ParseCamt, MalformedXmlDeepInALongDocument) {
  std::string text =
      "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt>\n";
  for (int i = 0; i < 300; ++i) {
    absl::StrAppend(&text,
                    "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
                    "<BookgDt><Dt>2026-01-01</Dt></BookgDt><AcctSvcrRef>R",
                    i, "</AcctSvcrRef></Ntry>\n");
  }
  absl::StrAppend(&text,
                  "<Ntry><Amt Ccy=\"EUR\">1.00</Amt></Ntyr>\n</Stmt></BkToCstmrStmt></Document>\n");
  Parsed p = ParseText(text, "long.xml");
  ASSERT_FALSE(p.status.ok());
  std::vector<domain::FieldViolation> f = domain::FieldsOf(p.status);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(f[0].field, "long.xml:302 /Document/BkToCstmrStmt/Stmt"))
      << f[0].field;
  EXPECT_GT(p.records.size(), 250u);  // streamed before the damage
}

TEST(ParseCamt, OtherDocumentsAreNotCamt) {
  Parsed p = ParseFixture("not_camt_ubl.xml");
  EXPECT_EQ(domain::ReasonOf(p.status), "NOT_CAMT");
  EXPECT_TRUE(p.records.empty());
  for (const char* text :
       {"", "EndToEndId,Amount\n1,2\n", "<Document><Other/></Document>",
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"/>"}) {
    Parsed q = ParseText(text);
    EXPECT_FALSE(q.status.ok()) << text;
    EXPECT_TRUE(q.records.empty()) << text;
  }
}

TEST(ParseCamt, EntityExpansionIsRefused) {
  Parsed p = ParseText(
      "<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt>"
      "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-01-01</Dt>"
      "</BookgDt><AddtlNtryInf>&x;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>");
  EXPECT_FALSE(p.status.ok());
  for (const ParsedRecord& r : p.records) {
    EXPECT_EQ(r.record.payment().remittance_text().find("root:"), std::string::npos);
  }
}

// Every version seen in practice: same elements, other namespace.
TEST(ParseCamt, EveryVersionFrom02To08) {
  const std::string body =
      "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.05M.001.VV\"><BkToCstmrSTAG>"
      "<NODE><Id>S</Id><Acct><Id><IBAN>BE68539007547034</IBAN></Id></Acct>"
      "<Ntry><Amt Ccy=\"EUR\">42.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
      "<BookgDt><Dt>2026-06-01</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry>"
      "</NODE></BkToCstmrSTAG></Document>";
  for (const char* msg : {"053", "054", "052"}) {
    for (const char* v : {"02", "03", "04", "05", "06", "07", "08"}) {
      std::string m = msg;
      std::string text = absl::StrReplaceAll(body, {{"05M", m},
                                                    {"VV", v},
                                                    {"STAG", m == "053"   ? "Stmt"
                                                             : m == "054" ? "DbtCdtNtfctn"
                                                                          : "AcctRpt"},
                                                    {"NODE", m == "053"   ? "Stmt"
                                                             : m == "054" ? "Ntfctn"
                                                                          : "Rpt"}});
      Parsed p = ParseText(text);
      SCOPED_TRACE(absl::StrCat("camt.", msg, ".001.", v));
      ASSERT_TRUE(p.status.ok()) << p.status;
      ASSERT_EQ(p.records.size(), 1u);
      EXPECT_EQ(p.payment(0).amount().minor_units(), 4200);
      EXPECT_EQ(p.stats.message_version, absl::StrCat("camt.", msg, ".001.", v));
      EXPECT_EQ(p.payment(0).external_ref().id(), "BE68539007547034/R1");
    }
  }
}

TEST(ParseCamt, SameStatementTwiceGivesTheSameIds) {
  for (const char* f : {"camt053_v08_structured_fx.xml", "camt053_v03_mixed.xml",
                        "camt054_v05_batch_qrr.xml", "camt053_v06_reversal.xml"}) {
    Parsed a = ParseFixture(f);
    Parsed b = ParseFixture(f);
    EXPECT_EQ(Ids(a), Ids(b)) << f;
    EXPECT_FALSE(Ids(a).empty()) << f;
  }
}

// ------------------------------------------------------- cash application

// What the service's cash application does with a parsed payment: the
// bank's facts become the matcher's input (the wiring lives in the service).
domain::IncomingPayment ToIncoming(const v1::Payment& p) {
  domain::IncomingPayment in;
  in.amount = domain::Money{p.amount().currency_code(), p.amount().minor_units()};
  if (p.has_instructed_amount()) {
    in.instructed_amount =
        domain::Money{p.instructed_amount().currency_code(), p.instructed_amount().minor_units()};
  }
  in.payer_name = p.payer_name();
  in.unstructured_text = p.remittance_text();
  for (const std::string& r : p.creditor_references()) in.structured_references.push_back(r);
  for (const auto& d : p.remitted_documents()) {
    domain::ReferredDocument doc{d.number(), d.credit_note(), std::nullopt};
    if (d.has_amount())
      doc.amount = domain::Money{d.amount().currency_code(), d.amount().minor_units()};
    in.referred_documents.push_back(doc);
  }
  return in;
}

TEST(CamtCashApplication, FixturePaymentsMatchTheDemoBook) {
  Parsed p = ParseFixture("camt053_v08_structured_fx.xml");
  ASSERT_EQ(p.records.size(), 2u);
  auto item = [](const char* id, const char* number, const char* customer, const char* name,
                 int64_t minor, const char* currency, domain::OpenItem::Kind kind) {
    domain::OpenItem it;
    it.kind = kind;
    it.id = id;
    it.number = number;
    it.customer = customer;
    it.customer_name = name;
    it.amount_due = domain::Money{currency, minor};
    it.due_date = absl::CivilDay(2026, 3, 1);
    return it;
  };
  std::vector<domain::OpenItem> book = {
      item("i1", "INV-1001", "acme", "ACME Trading GmbH", 10000, "EUR",
           domain::OpenItem::Kind::kInvoice),
      item("i2", "INV-1002", "acme", "ACME Trading GmbH", 5000, "EUR",
           domain::OpenItem::Kind::kInvoice),
      item("c1", "CN-9001", "acme", "ACME Trading GmbH", 3000, "EUR",
           domain::OpenItem::Kind::kCreditNote),
      item("g1", "G-77001", "globex", "Globex Corporation", 10000, "USD",
           domain::OpenItem::Kind::kInvoice),
  };
  // Referred documents net of a credit note: applied automatically.
  domain::MatchResult a = domain::MatchPayment(ToIncoming(p.payment(0)), book);
  ASSERT_EQ(a.decision, domain::MatchResult::Decision::kAutoApply);
  EXPECT_EQ(a.candidates[0].allocations.size(), 3u);
  EXPECT_EQ(a.candidates[0].unapplied.minor, 0);
  // The FX payment names its invoice and matches on the instructed USD.
  domain::MatchResult b = domain::MatchPayment(ToIncoming(p.payment(1)), book);
  ASSERT_EQ(b.decision, domain::MatchResult::Decision::kAutoApply);
  EXPECT_EQ(b.candidates[0].allocations[0].item_id, "g1");
  EXPECT_EQ(b.candidates[0].allocations[0].amount, (domain::Money{"USD", 10000}));
}

// ------------------------------------------------------------- samples

struct SampleExpectation {
  const char* file;
  const char* version;
  int64_t credits;
  int64_t reversals;
  int64_t debits_ignored;
  std::vector<int64_t> amounts;  // minor units, in order
  const char* currency;
};

TEST(ParseCamtSamples, ImportWithExpectedAmounts) {
  fs::path dir = fs::path(COLLECTIONS_SAMPLES_DIR) / "camt";
  if (!fs::exists(dir)) GTEST_SKIP() << "samples not found at " << dir;
  const SampleExpectation expected[] = {
      // 1 credit 1405.31; the returned direct-debit batch (DBIT + RvslInd)
      // reverses two earlier credits of 564.05 and 100.00; 1 debit.
      {"oca-camt053-v02-abnamro-style.xml",
       "camt.053.001.02",
       1,
       2,
       1,
       {56405, 10000, 140531},
       "EUR"},
      // One batched credit of 3483.00 split into its two ESR payments.
      {"oca-camt053-v04-swiss-batched-esr.xml",
       "camt.053.001.04",
       2,
       0,
       0,
       {218700, 129600},
       "CHF"},
      // Two statements: a credit of 8.85 in the first, a debit in the second.
      {"genkgo-camt053-v02-multi-statement.xml", "camt.053.001.02", 1, 0, 1, {885}, "EUR"},
      // A notification whose only entry is a debit of SEK 200000 in 3 parts.
      {"genkgo-camt054-v02-isr-refs.xml", "camt.054.001.02", 0, 0, 3, {}, "SEK"},
  };
  for (const SampleExpectation& e : expected) {
    SCOPED_TRACE(e.file);
    fs::path p = dir / e.file;
    if (!fs::exists(p)) {
      ADD_FAILURE() << "sample missing: " << p;
      continue;
    }
    Parsed r = ParseText(ReadFile(p), e.file);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_TRUE(r.issues.empty()) << r.issues[0].ToString();
    EXPECT_EQ(r.stats.message_version, e.version);
    EXPECT_EQ(r.stats.credits, e.credits);
    EXPECT_EQ(r.stats.reversals, e.reversals);
    EXPECT_EQ(r.stats.debits_ignored, e.debits_ignored);
    std::vector<int64_t> amounts;
    for (const ParsedRecord& rec : r.records) {
      amounts.push_back(rec.record.payment().amount().minor_units());
      EXPECT_EQ(rec.record.payment().amount().currency_code(), e.currency);
    }
    EXPECT_EQ(amounts, e.amounts);
    Parsed again = ParseText(ReadFile(p), e.file);
    EXPECT_EQ(Ids(r), Ids(again));
  }
}

TEST(ParseCamtSamples, SwissBatchCarriesEsrReferencesAndPayer) {
  fs::path p = fs::path(COLLECTIONS_SAMPLES_DIR) / "camt" / "oca-camt053-v04-swiss-batched-esr.xml";
  if (!fs::exists(p)) GTEST_SKIP() << "sample not found: " << p;
  Parsed r = ParseText(ReadFile(p), p.filename().string());
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.payment(0).creditor_references(0), "302388292000011111111111111");
  EXPECT_EQ(r.payment(1).creditor_references(0), "302388292000022222222222222");
  EXPECT_EQ(r.payment(0).payer_name(), "Banque Cantonale Vaudoise");
  EXPECT_EQ(r.payment(0).received_date().day(), 23);
  // Both transactions carry the bank reference 123456CHCAFEBABE.
  EXPECT_NE(r.payment(0).external_ref().id(), r.payment(1).external_ref().id());
}

TEST(ParseCamtSamples, AbnAmroReversalsCarryTheirEndToEndIds) {
  fs::path p = fs::path(COLLECTIONS_SAMPLES_DIR) / "camt" / "oca-camt053-v02-abnamro-style.xml";
  if (!fs::exists(p)) GTEST_SKIP() << "sample not found: " << p;
  Parsed r = ParseText(ReadFile(p), p.filename().string());
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_TRUE(r.payment(0).reversal());
  EXPECT_EQ(r.payment(0).payer_reference(), "TESTBANK/NL/20141229/01206408");
  EXPECT_EQ(r.payment(0).method(), v1::Payment::DIRECT_DEBIT);
  const v1::Payment& credit = r.payment(2);
  EXPECT_FALSE(credit.reversal());
  EXPECT_EQ(credit.payer_name(), "3rd party Media");
  EXPECT_EQ(credit.payer_reference(), "115");
  EXPECT_EQ(credit.remittance_text(), "#RD PARTY MEDIA CUSNO 90782 4210773");
}

// ------------------------------------------------------------- streaming

int64_t RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmRSS:")) return std::stoll(line.substr(6));
  }
  return -1;
}

TEST(ParseCamt, MemoryStaysFlatOnALargeStatement) {
  const int kEntries = 60000;
  fs::path path = fs::temp_directory_path() / absl::StrCat("camt_large_", getpid(), ".xml");
  {
    std::ofstream out(path, std::ios::binary);
    out << "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"
           "<Stmt><Id>BIG</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>\n";
    for (int i = 0; i < kEntries; ++i) {
      out << "<Ntry><Amt Ccy=\"EUR\">" << (i % 997) + 1 << ".25</Amt><CdtDbtInd>"
          << (i % 10 == 0 ? "DBIT" : "CRDT") << "</CdtDbtInd><Sts>BOOK</Sts>"
          << "<BookgDt><Dt>2026-01-15</Dt></BookgDt><AcctSvcrRef>REF" << i << "</AcctSvcrRef>"
          << "<NtryDtls><TxDtls><Refs><EndToEndId>E2E-" << i << "</EndToEndId></Refs>"
          << "<RltdPties><Dbtr><Nm>Customer " << i % 500 << "</Nm></Dbtr></RltdPties>"
          << "<RmtInf><Ustrd>Invoice INV-" << 100000 + i << " thank you for your business"
          << "</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n";
    }
    out << "</Stmt></BkToCstmrStmt></Document>\n";
  }
  int64_t size = static_cast<int64_t>(fs::file_size(path));
  std::ifstream in(path, std::ios::binary);
  ParseOptions opts;
  opts.file_name = path.string();
  int64_t count = 0, sum = 0, rss_at_10pct = 0, rss_max = 0;
  int64_t rss_before = RssKb();
  absl::Status st = ParseCamt(
      in, opts,
      [&](ParsedRecord r) {
        ++count;
        sum += r.record.payment().amount().minor_units();
        if (count == kEntries / 10) rss_at_10pct = RssKb();
        if (count % 1000 == 0) rss_max = std::max(rss_max, RssKb());
      },
      [&](ParseIssue) { ADD_FAILURE() << "unexpected issue"; });
  fs::remove(path);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(count, kEntries - kEntries / 10);
  int64_t expected_sum = 0;
  for (int i = 0; i < kEntries; ++i) {
    if (i % 10 != 0) expected_sum += ((i % 997) + 1) * 100 + 25;
  }
  EXPECT_EQ(sum, expected_sum);
  std::printf(
      "camt streaming: %lld bytes, %lld payments, RSS before %lld kB, at 10%% %lld kB, "
      "max %lld kB\n",
      static_cast<long long>(size), static_cast<long long>(count),
      static_cast<long long>(rss_before), static_cast<long long>(rss_at_10pct),
      static_cast<long long>(rss_max));
  // Flat: no growth with the number of entries beyond allocator noise.
  EXPECT_LT(rss_max - rss_at_10pct, 4096) << "RSS grew while streaming";
}

// An entry and its transaction details must agree; a
// contradictory entry is refused whole, located, naming the conflict.
std::string OneEntry(const std::string& entry) {
  return absl::StrCat(
      "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.04\">"
      "<BkToCstmrStmt><Stmt><Id>S</Id><Acct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id>"
      "</Acct>\n",
      entry, "\n</Stmt></BkToCstmrStmt></Document>\n");
}

TEST(ParseCamt, EntryDetailsThatContradictTheEntryAreRefused) {
  struct Case {
    const char* what;
    const char* entry;
    const char* field;
  } cases[] = {
      {"a CRDT detail in a DBIT entry",
       "<Ntry><Amt Ccy=\"EUR\">50.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-01-05</Dt>"
       "</BookgDt><NtryDtls><TxDtls><Amt Ccy=\"EUR\">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
       "<Refs><EndToEndId>P1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>",
       "NtryDtls/TxDtls/CdtDbtInd"},
      {"details that sum to more than the entry",
       "<Ntry><Amt Ccy=\"EUR\">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-01-05</Dt>"
       "</BookgDt><NtryDtls><TxDtls><Amt Ccy=\"EUR\">40.00</Amt></TxDtls>"
       "<TxDtls><Amt Ccy=\"EUR\">40.00</Amt></TxDtls></NtryDtls></Ntry>",
       "NtryDtls/TxDtls"},
      {"a stated count that differs",
       "<Ntry><Amt Ccy=\"EUR\">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-01-05</Dt>"
       "</BookgDt><NtryDtls><Btch><NbOfTxs>3</NbOfTxs></Btch><TxDtls><Amt Ccy=\"EUR\">40.00</Amt>"
       "</TxDtls><TxDtls><Amt Ccy=\"EUR\">40.00</Amt></TxDtls></NtryDtls></Ntry>",
       "NtryDtls/Btch/NbOfTxs"},
  };
  for (const Case& c : cases) {
    Parsed p = ParseText(OneEntry(c.entry));
    ASSERT_TRUE(p.status.ok()) << c.what << ": " << p.status;
    EXPECT_TRUE(p.records.empty()) << c.what;
    ASSERT_EQ(p.issues.size(), 1u) << c.what;
    EXPECT_EQ(p.issues[0].reason, "ENTRY_DETAILS_MISMATCH") << c.what;
    EXPECT_EQ(p.issues[0].where.line, 3) << c.what;
    EXPECT_EQ(p.issues[0].field, "NtryDtls") << c.what;
    EXPECT_FALSE(p.issues[0].description.empty()) << c.what;
  }
  // A netted batch that agrees is read: 70 credit + 20 debit = CRDT 50.
  Parsed ok = ParseText(OneEntry(
      "<Ntry><Amt Ccy=\"EUR\">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-01-05</Dt>"
      "</BookgDt><NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch><TxDtls><Amt Ccy=\"EUR\">70.00</Amt>"
      "<CdtDbtInd>CRDT</CdtDbtInd><Refs><EndToEndId>A</EndToEndId></Refs></TxDtls><TxDtls>"
      "<Amt Ccy=\"EUR\">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls></NtryDtls></Ntry>"));
  EXPECT_TRUE(ok.issues.empty()) << ok.issues[0].ToString();
  ASSERT_EQ(ok.records.size(), 1u);
  EXPECT_EQ(ok.payment(0).amount().minor_units(), 7000);
}

// An invalid value date was accepted (the booking date was used instead).
TEST(ParseCamt, AnInvalidValueDateIsAnError) {
  Parsed p = ParseText(OneEntry(
      "<Ntry><Amt Ccy=\"EUR\">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-01-05</Dt>"
      "</BookgDt><ValDt><Dt>2026-02-31</Dt></ValDt></Ntry>"));
  EXPECT_TRUE(p.records.empty());
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_EQ(p.issues[0].reason, "INVALID_DATE");
  EXPECT_EQ(p.issues[0].field, "ValDt");
}

}  // namespace
}  // namespace collections::connectors
