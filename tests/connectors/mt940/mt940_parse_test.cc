// MT940 parser: the :61: grammar, the three :86: dialects, balance
// reconciliation, envelopes and line ends, the bad-input corpus, the public
// samples against their expectation files, and flat memory on a large file.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "connectors/mt940/narrative.h"
#include "connectors/mt940/parse_mt940.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/expected_records.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

using testing::Collected;

struct Parsed : Collected {
  Mt940Stats stats;
  const v1::Payment& payment(size_t i) const { return records.at(i).record.payment(); }
};

Parsed Parse(const std::string& text, const std::string& name = "stmt.sta",
             AmountRules rules = {}) {
  Parsed out;
  std::istringstream in(text);
  ParseOptions o;
  o.file_name = name;
  o.amounts = rules;
  out.status = ParseMt940(
      in, o, [&](ParsedRecord r) { out.records.push_back(std::move(r)); },
      [&](ParseIssue i) { out.issues.push_back(std::move(i)); }, &out.stats);
  return out;
}

// A statement around `lines` (":61:..." and ":86:..." lines), opening at
// `opening` and closing at `closing` (both "C260301EUR100,00"-style).
std::string Statement(const std::string& lines, const std::string& opening,
                      const std::string& closing, const std::string& ref = "STMT1") {
  return absl::StrCat(":20:", ref, "\n:25:DE89370400440532013000\n:28C:7/1\n:60F:", opening, "\n",
                      lines, ":62F:", closing, "\n-\n");
}

// ------------------------------------------------------------ :61: grammar

TEST(Mt940, StatementLineInFull) {
  Parsed p = Parse(Statement(
      // value date, entry date, C, funds code R, amount, type, both references
      ":61:2603020303CR1234,5NTRFEREF-77//BANK-0001\n"
      "/OCMT/USD1350,00//CHGS/EUR0,50/\n"
      ":86:Invoice INV-1001\n"
      // no entry date, no references
      ":61:260303C0,99NMSC\n"
      // a debit and a reversal of a debit are not payments
      ":61:260303D10,00NDDTNONREF//B2\n"
      ":61:260303RD5,00NDDTNONREF//B3\n"
      // a reversal of a credit undoes an earlier payment
      ":61:260304RC20,00NTRFEREF-55//B4\n",
      "C260301EUR100,00", "C260304EUR1310,49"));
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_TRUE(p.issues.empty()) << p.IssuesText();
  ASSERT_EQ(p.records.size(), 3u);
  const v1::Payment& a = p.payment(0);
  EXPECT_EQ(a.amount().minor_units(), 123450);
  EXPECT_EQ(a.amount().currency_code(), "EUR");
  EXPECT_EQ(a.received_date().day(), 2);  // the value date, not the entry date
  EXPECT_EQ(a.payer_reference(), "EREF-77");
  EXPECT_EQ(a.bank_reference(), "BANK-0001");
  EXPECT_EQ(a.external_ref().id(), "DE89370400440532013000/BANK-0001");
  EXPECT_EQ(a.external_ref().source_system(), "mt940");
  EXPECT_EQ(a.instructed_amount().currency_code(), "USD");
  EXPECT_EQ(a.instructed_amount().minor_units(), 135000);
  EXPECT_EQ(a.remittance_text(), "Invoice INV-1001");
  EXPECT_EQ(a.account_id(), "DE89370400440532013000");
  EXPECT_EQ(p.records[0].where.line, 5);
  EXPECT_EQ(p.payment(1).amount().minor_units(), 99);
  EXPECT_TRUE(absl::StartsWith(p.payment(1).external_ref().id(), "DE89370400440532013000/fp-"));
  const v1::Payment& rc = p.payment(2);
  EXPECT_TRUE(rc.reversal());
  EXPECT_EQ(rc.payer_reference(), "EREF-55");
  EXPECT_EQ(rc.external_ref().id(), "reversal:DE89370400440532013000/B4");
  EXPECT_EQ(p.stats.credits, 2);
  EXPECT_EQ(p.stats.reversals, 1);
  EXPECT_EQ(p.stats.debits_ignored, 1);
  EXPECT_EQ(p.stats.reversed_debits_ignored, 1);
}

TEST(Mt940, ReturnedItemDebitIsAReversalOfItsEndToEndId) {
  // Commerzbank's SEPA direct-debit return: a D line of type RTI.
  Parsed p =
      Parse(Statement(":61:2006080608D12,35 NRTIKREF+//2016021783252833\n"
                      "/OCMT/EUR11,85//CHGS/EUR0,50/\n"
                      ":86:109?00SEPA-LASTSCHR. RETOURE CORE?109075/629?20EREF+A1.200080779.\n"
                      "400143254?21.4961336 KREF+SEPA-DA202006?2201221740-34972000-P1 MR\n"
                      "EF+2?230852HW2723821 CRED+DE41EON0?240000129793 OAMT+11,85 SVWZ+?\n"
                      "25SONSTIGE GRUENDE ENDABRECHN?26UNG NR. 500106875 ZU VERTRA?2740\n"
                      "0143254, KUNDENNUM MER 2?2802227779?30CSDBDE71XXX?31DE50712345600\n"
                      "200691329?32TESTER?33EL\n",
                      "C200605EUR12,35", "C200608EUR0,00"));
  ASSERT_TRUE(p.issues.empty()) << p.IssuesText();
  ASSERT_EQ(p.records.size(), 1u);
  const v1::Payment& r = p.payment(0);
  EXPECT_TRUE(r.reversal());
  EXPECT_EQ(r.amount().minor_units(), 1235);
  EXPECT_EQ(r.payer_reference(), "A1.200080779.400143254.4961336");
  EXPECT_EQ(r.payer_name(), "TESTEREL");
  EXPECT_EQ(r.remittance_text(),
            "SONSTIGE GRUENDE ENDABRECHNUNG NR. 500106875 ZU VERTRA400143254, KUNDENNUM MER "
            "202227779");
}

// ------------------------------------------------------------ :86: dialects

TEST(Mt940Narrative, GermanSubfieldsWithSepaKeywords) {
  Mt940Narrative n = ParseNarrative(
      {"166?00SEPA-UEBERWEISUNG?109310?20EREF+E2E-2026-0042?21SVWZ+Rechnung RE-2026-0",
       "042 und RE-2026-0043?30GENODEF1S04?31DE02701500000000594937?32Muster", "mann GmbH"});
  EXPECT_EQ(n.dialect, Mt940Narrative::Dialect::kGermanSubfields);
  EXPECT_EQ(n.transaction_code, "166");
  EXPECT_EQ(n.booking_text, "SEPA-UEBERWEISUNG");
  EXPECT_EQ(n.end_to_end_id, "E2E-2026-0042");
  EXPECT_EQ(n.remittance, "Rechnung RE-2026-0042 und RE-2026-0043");
  EXPECT_EQ(n.counterparty_bic, "GENODEF1S04");
  EXPECT_EQ(n.counterparty_account, "DE02701500000000594937");
  EXPECT_EQ(n.counterparty_name, "Mustermann GmbH");
}

TEST(Mt940Narrative, GermanWithoutKeywordsKeepsTheWholePurpose) {
  // Older layout: each ?2x a line; a full 27-character one runs on.
  Mt940Narrative n = ParseNarrative(
      {"051?00UEBERWEISUNGSGUTSCHRIFT?20RE 4711?21KD 55?22Lieferung vom 01.02.2026 un",
       "?23d 03.02.2026?32Meier"});
  EXPECT_EQ(n.remittance, "RE 4711 KD 55 Lieferung vom 01.02.2026 und 03.02.2026");
  EXPECT_EQ(n.counterparty_name, "Meier");
  EXPECT_TRUE(n.end_to_end_id.empty());
}

TEST(Mt940Narrative, DutchSlashCodes) {
  Mt940Narrative n =
      ParseNarrative({"/EREF/02164810730000043//MARF/M12345678909//CSID/NL39KPN12345",
                      "0000000//CNTP/NL75INGB0000012345/INGBNL2A/KPN - MOBIEL///REMI/UST",
                      "D//Factuurnr: 2015/123456789.00/"});
  EXPECT_EQ(n.dialect, Mt940Narrative::Dialect::kSlashCodes);
  EXPECT_EQ(n.end_to_end_id, "02164810730000043");
  EXPECT_EQ(n.mandate_reference, "M12345678909");
  EXPECT_EQ(n.creditor_id, "NL39KPN123450000000");
  EXPECT_EQ(n.counterparty_account, "NL75INGB0000012345");
  EXPECT_EQ(n.counterparty_bic, "INGBNL2A");
  EXPECT_EQ(n.counterparty_name, "KPN - MOBIEL");
  EXPECT_EQ(n.remittance, "Factuurnr: 2015/123456789.00");
}

TEST(Mt940Narrative, StructuredRemittanceAndRabobankNames) {
  Mt940Narrative a = ParseNarrative(
      {"/CNTP/BE68539007547034/GKCCBEBB/Client SA///REMI/STRD/CUR/RF18539007547034/"});
  ASSERT_EQ(a.structured_references.size(), 1u);
  EXPECT_EQ(a.structured_references[0], "RF18539007547034");
  EXPECT_EQ(a.counterparty_name, "Client SA");
  // Rabobank: /ORDP//NAME/..., short lines end a line of the remittance.
  Mt940Narrative b = ParseNarrative({"/ORDP//NAME/Bedrijf B.V./REMI/NR.201303-111/11.3.2013",
                                     "NR.201303-112/11.3.2013/ISDT/2013-04-03"});
  EXPECT_EQ(b.counterparty_name, "Bedrijf B.V.");
  EXPECT_EQ(b.remittance, "NR.201303-111/11.3.2013 NR.201303-112/11.3.2013");
}

TEST(Mt940Narrative, FreeTextIsKeptWithWrappedLinesJoined) {
  std::string padded = "Betaling aan I" + std::string(0, ' ');
  Mt940Narrative n =
      ParseNarrative({"NL47INGB9999999999 hr jansen", std::string(65, ' '),
                      "000000000000000000000000000000000 0000000000000000 Betaling aan I",
                      "CS 99999999999 factuur 2026-17"});
  EXPECT_EQ(n.dialect, Mt940Narrative::Dialect::kFreeText);
  EXPECT_EQ(n.remittance,
            "NL47INGB9999999999 hr jansen\n000000000000000000000000000000000 0000000000000000 "
            "Betaling aan ICS 99999999999 factuur 2026-17");
}

TEST(Mt940, ReferencesTypedIntoTheTextBecomeStructured) {
  Parsed p =
      Parse(Statement(":61:260302C10,00NTRFNONREF\n"
                      ":86:166?00GUTSCHRIFT?20SVWZ+RF18 5390 0754 7034 +++090/9337/55493+++\n",
                      "C260301EUR0,00", "C260302EUR10,00"));
  ASSERT_EQ(p.records.size(), 1u) << p.IssuesText();
  ASSERT_EQ(p.payment(0).creditor_references_size(), 2);
  EXPECT_EQ(p.payment(0).creditor_references(0), "RF18539007547034");
  EXPECT_EQ(p.payment(0).creditor_references(1), "+++090/9337/55493+++");
}

TEST(Mt940, SharedAmountRulesRoundAndCeiling) {
  std::string s = Statement(":61:260302C10,005NTRF//A\n", "C260301EUR0,00", "C260302EUR10,01");
  Parsed strict = Parse(s);
  ASSERT_FALSE(strict.issues.empty());
  EXPECT_EQ(strict.issues[0].reason, "TOO_MANY_DECIMALS");
  EXPECT_EQ(strict.issues[0].where.column, 12);  // where the amount starts
  AmountRules round;
  round.round = true;
  Parsed rounded = Parse(s, "stmt.sta", round);
  ASSERT_EQ(rounded.records.size(), 1u) << rounded.IssuesText();
  EXPECT_EQ(rounded.payment(0).amount().minor_units(), 1001);
  AmountRules low;
  low.ceiling_major = 5;
  Parsed capped = Parse(Statement(":61:260302C1,00NTRF//A\n", "C260301EUR0,00", "C260302EUR6,00"),
                        "stmt.sta", low);
  EXPECT_TRUE(capped.records.empty());
  ASSERT_FALSE(capped.issues.empty());
  EXPECT_EQ(capped.issues[0].reason, "AMOUNT_ABOVE_CEILING");
  EXPECT_EQ(capped.issues[0].field, ":62F:");
}

// --------------------------------------------------------- reconciliation

TEST(Mt940, AStatementThatDoesNotReconcileIsWithheldAndTheOthersImported) {
  std::string good =
      Statement(":61:260302C50,00NTRFNONREF//G1\n", "C260301EUR100,00", "C260302EUR150,00", "GOOD");
  std::string bad = Statement(":61:260303C50,00NTRFNONREF//B1\n:61:260303D20,00NTRFNONREF//B2\n",
                              "C260302EUR150,00", "C260303EUR190,00", "BAD");
  Parsed p = Parse(good + bad);
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.payment(0).bank_reference(), "G1");
  ASSERT_EQ(p.issues.size(), 2u) << p.IssuesText();
  EXPECT_EQ(p.issues[0].reason, "BALANCE_MISMATCH");
  EXPECT_EQ(p.issues[0].field, ":62F:");
  EXPECT_EQ(p.issues[0].where.line, 14);
  EXPECT_EQ(p.issues[0].description,
            "opening balance 150.00 + statement lines 30.00 = 180.00 EUR, but the closing balance "
            "is 190.00 EUR (statement :20:BAD :28C:7/1 of line 8)");
  EXPECT_EQ(p.issues[1].reason, "STATEMENT_NOT_RECONCILED");
  EXPECT_EQ(p.issues[1].where.line, 12);
  EXPECT_EQ(p.stats.unreconciled_statements, 1);
}

TEST(Mt940, DebitBalancesAndIntermediatePagesReconcile) {
  // A statement in two pages (:60M:/:62M:), starting overdrawn.
  std::string page1 =
      ":20:P\n:25:X\n:28C:3/1\n:60F:D260301EUR100,00\n:61:260302C250,00NTRF//"
      "A\n:62M:C260302EUR150,00\n-\n";
  std::string page2 =
      ":20:P\n:25:X\n:28C:3/2\n:60M:C260302EUR150,00\n:61:260302D200,00NTRF//"
      "B\n:62F:D260302EUR50,00\n:64:D260302EUR50,00\n-\n";
  Parsed p = Parse(page1 + page2);
  EXPECT_TRUE(p.issues.empty()) << p.IssuesText();
  EXPECT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.stats.statements, 2);
}

TEST(Mt940, AnUnreadableLineWithholdsItsStatementWithAColumn) {
  Parsed p = Parse(Statement(":61:260302C10,00NTRF//OK\n:61:260302C5,00XTRF//BAD\n",
                             "C260301EUR0,00", "C260302EUR15,00"));
  EXPECT_TRUE(p.records.empty());
  ASSERT_EQ(p.issues.size(), 2u) << p.IssuesText();
  EXPECT_EQ(p.issues[0].reason, "INVALID_VALUE");
  EXPECT_EQ(p.issues[0].where.line, 6);
  EXPECT_EQ(p.issues[0].where.column, 16);  // the 'X' after ":61:260302C5,00"
  EXPECT_EQ(p.issues[1].reason, "STATEMENT_NOT_RECONCILED");
  EXPECT_NE(p.issues[1].description.find("unreadable field at line 6"), std::string::npos);
}

// ------------------------------------------------- envelopes, encodings

TEST(Mt940, SwiftEnvelopesHeadersAndLineEndsGiveTheSameRecords) {
  std::string body = Statement(":61:260302C50,00NTRFNONREF//G1\n:86:/REMI/USTD//INV 9/\n",
                               "C260301EUR100,00", "C260302EUR150,00");
  std::string plain = body + body;
  std::string body_no_dash = body.substr(0, body.size() - 2);  // without "-\n"
  std::string enveloped =
      absl::StrCat("{1:F01INGBNL2AXXXX0000000000}{2:O940INGBNL2AXXXXN}{3:{108:X}}{4:\n",
                   body_no_dash, "-}{5:}\n", "{1:F01X}{2:O940X}{4:\n", body_no_dash, "-}\n");
  std::string rabo = ":940:\n" + plain;
  std::string crlf = absl::StrReplaceAll(plain, {{"\n", "\r\n"}});
  Parsed a = Parse(plain);
  ASSERT_EQ(a.records.size(), 2u) << a.IssuesText();
  for (const std::string& variant : {enveloped, rabo, crlf}) {
    Parsed b = Parse(variant);
    EXPECT_TRUE(b.issues.empty()) << b.IssuesText();
    ASSERT_EQ(b.records.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(b.payment(i).external_ref().id(), a.payment(i).external_ref().id());
      EXPECT_EQ(b.payment(i).remittance_text(), "INV 9");
    }
  }
  // Two statements with the same bank reference keep distinct ids? No: the
  // same booking in two statements is the same booking.
  EXPECT_EQ(a.payment(0).external_ref().id(), a.payment(1).external_ref().id());
}

TEST(Mt940, Windows1252NarrativeBecomesUtf8) {
  Parsed p =
      Parse(Statement(":61:260302C10,00NTRF//A\n:86:166?00GUTSCHRIFT?20SVWZ+Gr\xFC\xDF"
                      "e?32M\xFCller\n",
                      "C260301EUR0,00", "C260302EUR10,00"));
  ASSERT_EQ(p.records.size(), 1u) << p.IssuesText();
  EXPECT_EQ(p.payment(0).remittance_text(), "Gr\u00fc\u00dfe");
  EXPECT_EQ(p.payment(0).payer_name(), "M\u00fcller");
}

TEST(Mt940, SameFileTwiceGivesTheSameIdsAndRepeatsAreNumbered) {
  std::string s =
      Statement(":61:260302C10,00NTRFNONREF\n:86:same\n:61:260302C10,00NTRFNONREF\n:86:same\n",
                "C260301EUR0,00", "C260302EUR20,00");
  Parsed a = Parse(s), b = Parse(s);
  ASSERT_EQ(a.records.size(), 2u);
  EXPECT_NE(a.payment(0).external_ref().id(), a.payment(1).external_ref().id());
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(a.payment(i).external_ref().id(), b.payment(i).external_ref().id());
  }
}

// --------------------------------------------------------- bad inputs

// testdata/bad/<REASON>[_what].sta: the reason must be reported (as an
// issue, or as the error for the whole input) and no payment of the bad
// statement emitted.
TEST(Mt940BadInput, EveryFileIsRefusedWithItsReasonAndEmitsNothing) {
  int files = testing::ForEachBadInput([](const std::string& path, const std::string& name) {
    Parsed p = Parse(testing::ReadFile(path), name);
    // Only a statement without :20: is still imported (it reconciles).
    if (!absl::StartsWith(name, "MISSING_FIELD_reference")) {
      EXPECT_TRUE(p.records.empty());
    }
    return testing::BadInputResult{p.status, p.issues};
  });
  EXPECT_GE(files, 12);
}

TEST(Mt940BadInput, EmptyInputIsNotMt940) {
  Parsed p = Parse("");
  EXPECT_EQ(domain::ReasonOf(p.status), "NOT_MT940");
}

// --------------------------------------------------------------- samples

TEST(Mt940Samples, EverySampleMatchesItsExpectationFile) {
  if (!testing::HaveSamples("mt940"))
    GTEST_SKIP() << "no samples at " << testing::SampleDir("mt940");
  int files = testing::ForEachSample("mt940", [](const std::string& path, const std::string& name) {
    Parsed p = Parse(testing::ReadFile(path), name);
    std::string stats =
        absl::StrCat("statements=", p.stats.statements, " entries=", p.stats.entries,
                     " credits=", p.stats.credits, " reversals=", p.stats.reversals,
                     " debits_ignored=", p.stats.debits_ignored,
                     " unreconciled=", p.stats.unreconciled_statements);
    testing::ExpectMatchesFile(testing::ParseLines(p.status, stats, p.records, p.issues),
                               absl::StrCat(EXPECTED_DIR, "/", name, ".expected"),
                               absl::StrCat("# ", name, "\n"));
    // A second import yields the same ids.
    Parsed again = Parse(testing::ReadFile(path), name);
    ASSERT_EQ(again.records.size(), p.records.size());
    for (size_t i = 0; i < p.records.size(); ++i) {
      EXPECT_EQ(again.payment(i).external_ref().id(), p.payment(i).external_ref().id());
    }
  });
  EXPECT_GE(files, 6);
}

// ------------------------------------------------------------- streaming

TEST(Mt940Streaming, MemoryStaysFlatOverManyStatements) {
  // One daily statement of 20 lines per chunk: 10 credits, 10 debits.
  auto day = [](int64_t i) {
    std::string s = absl::StrCat(":20:STMT", i, "\n:25:NL91ABNA0417164300\n:28C:", i % 1000,
                                 "/1\n:60F:C260101EUR1000,00\n");
    for (int k = 0; k < 20; ++k) {
      absl::StrAppend(&s, ":61:2601010101", k % 2 == 0 ? "C" : "D", "12,34NTRFE2E-", i, "-", k,
                      "//B", i, "-", k, "\n:86:/EREF/E2E-", i, "-", k,
                      "//CNTP/NL91ABNA0417164300/ABNANL2A/Customer ", i % 500,
                      "///REMI/USTD//Invoice INV-", 100000 + i, " thank you/\n");
    }
    absl::StrAppend(&s, ":62F:C260101EUR1000,00\n-\n");
    return s;
  };
  testing::GeneratedInput source("", day, testing::StreamTestBytes());
  int64_t sum = 0;
  testing::StreamMeasure m = testing::MeasureStreaming(
      source,
      [](std::istream& in, const RecordSink& r, const IssueSink& i) {
        ParseOptions o;
        o.file_name = "generated.sta";
        return ParseMt940(in, o, r, i);
      },
      [&](const ParsedRecord& r) { sum += r.record.payment().amount().minor_units(); });
  ASSERT_TRUE(m.status.ok()) << m.status;
  m.Print("mt940");
  EXPECT_EQ(m.issues, 0);
  EXPECT_EQ(sum, m.records * 1234);
  EXPECT_LT(m.growth_kb(), 8192) << "RSS grew while streaming";
}

}  // namespace
}  // namespace collections::connectors
