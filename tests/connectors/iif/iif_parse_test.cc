#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "connectors/iif/parse_iif.h"
#include "gtest/gtest.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;
using testing::Collected;

ParseOptions Usd(const std::string& file = "test.iif") {
  ParseOptions o;
  o.file_name = file;
  o.default_currency = "USD";
  return o;
}

// The tests below look at what the file states; the customers a parse
// implies for transactions without a !CUST row (D2) are checked here, to
// come right before the first record naming them, and set aside in
// `implied`. TransactionsAloneImplyTheirCustomers tests them directly.
Collected SetImpliedAside(Collected c, std::vector<ParsedRecord>* implied = nullptr) {
  std::vector<ParsedRecord> kept;
  for (size_t i = 0; i < c.records.size(); ++i) {
    if (!c.records[i].implied_customer) {
      kept.push_back(std::move(c.records[i]));
      continue;
    }
    EXPECT_LT(i + 1, c.records.size()) << "an implied customer must precede its record";
    if (i + 1 < c.records.size()) {
      EXPECT_EQ(c.records[i + 1].record.customer_ref(),
                c.records[i].record.customer().external_ref().id());
    }
    if (implied != nullptr) implied->push_back(std::move(c.records[i]));
  }
  c.records = std::move(kept);
  return c;
}

Collected ParseText(const std::string& text, const ParseOptions& options = Usd(),
                    IifTermsTable* terms = nullptr, IifParseOptions iif = {},
                    std::vector<ParsedRecord>* implied = nullptr) {
  return SetImpliedAside(
      testing::CollectString(text,
                             [&](std::istream& in, auto on_record, auto on_issue) {
                               return ParseIif(in, options, on_record, on_issue, terms, iif);
                             }),
      implied);
}

Collected ParseFile(const std::string& path, const ParseOptions& options,
                    IifTermsTable* terms = nullptr) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << path;
  return SetImpliedAside(testing::Collect(in, [&](std::istream& s, auto on_record, auto on_issue) {
    return ParseIif(s, options, on_record, on_issue, terms);
  }));
}

#define EXPECT_DATE(actual, y, m, d)                                                   \
  EXPECT_EQ(absl::StrCat((actual).year(), "-", (actual).month(), "-", (actual).day()), \
            absl::StrCat(y, "-", m, "-", d))

// ------------------------------------------------------------ public samples

class IifSamples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSamples("iif")) {
      GTEST_SKIP() << "public samples not found at " << testing::SampleDir("iif")
                   << " (see ../shared/samples/SOURCES.md)";
    }
  }
  Collected Parse(const std::string& name, IifTermsTable* terms = nullptr) {
    return ParseFile(testing::SamplePath("iif", name), Usd(name), terms);
  }
};

TEST_F(IifSamples, InvoiceWithSalesTax) {
  Collected c = Parse("gnucash-intuit-invoice_sales_tax_charged.iif");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 1u);
  const v1::SyncRecord& r = c.records[0].record;
  ASSERT_TRUE(r.has_invoice());
  const v1::Invoice& inv = r.invoice();
  EXPECT_EQ(r.customer_ref(), "Invoice with Sales Tax");
  EXPECT_EQ(inv.number(), "3");
  EXPECT_EQ(inv.external_ref().source_system(), "quickbooks");
  EXPECT_EQ(inv.external_ref().id(), "3");
  EXPECT_DATE(inv.issue_date(), 1998, 7, 16);
  EXPECT_DATE(inv.due_date(), 1998, 7, 16);
  EXPECT_EQ(inv.currency_code(), "USD");
  EXPECT_EQ(inv.total().minor_units(), 87344);
  EXPECT_EQ(inv.tax().minor_units(), 6094);
  ASSERT_EQ(inv.lines_size(), 2);
  EXPECT_EQ(inv.lines(0).description(), "Cabinet Pulls");
  EXPECT_EQ(inv.lines(0).quantity_milli(), 25000);
  EXPECT_EQ(inv.lines(0).unit_price().minor_units(), 250);
  EXPECT_EQ(inv.lines(0).amount().minor_units(), 6250);
  EXPECT_EQ(inv.lines(0).line_id(), "7");
  EXPECT_EQ(inv.lines(1).description(), "Cabinets");
  EXPECT_EQ(inv.lines(1).quantity_milli(), 5000);
  EXPECT_EQ(inv.lines(1).unit_price().minor_units(), 15000);
  EXPECT_EQ(inv.lines(1).amount().minor_units(), 75000);
  EXPECT_EQ(c.records[0].where.line, 4);
  EXPECT_EQ(r.source_location(), "gnucash-intuit-invoice_sales_tax_charged.iif:4");
}

TEST_F(IifSamples, CreditMemo) {
  Collected c = Parse("gnucash-intuit-credit_memo.iif");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 1u);
  const v1::SyncRecord& r = c.records[0].record;
  ASSERT_TRUE(r.has_credit_note());
  EXPECT_EQ(r.customer_ref(), "Jeremy");
  EXPECT_EQ(r.credit_note().number(), "2");
  EXPECT_EQ(r.credit_note().amount().minor_units(), 6000);
  EXPECT_EQ(r.credit_note().amount().currency_code(), "USD");
  EXPECT_DATE(r.credit_note().issue_date(), 1998, 7, 24);
  // The Intuit sample names no invoice: the credit is account-level.
  EXPECT_EQ(r.credit_note().invoice_number(), "");
}

TEST_F(IifSamples, CustomerPaymentToAJob) {
  Collected c = Parse("gnucash-intuit-customer_payment.iif");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 1u);
  const v1::SyncRecord& r = c.records[0].record;
  ASSERT_TRUE(r.has_payment());
  EXPECT_EQ(r.customer_ref(), "Ecker Designs");  // job "Office Repairs" folds into its customer
  EXPECT_EQ(r.payment().amount().minor_units(), 50000);
  EXPECT_DATE(r.payment().received_date(), 1998, 7, 16);
  EXPECT_EQ(r.payment().payer_reference(), "321");
  EXPECT_EQ(r.payment().external_ref().id().size(), 16u);
  // The id is stable across runs.
  Collected again = Parse("gnucash-intuit-customer_payment.iif");
  ASSERT_EQ(again.records.size(), 1u);
  EXPECT_EQ(again.records[0].record.payment().external_ref().id(), r.payment().external_ref().id());
}

// Two identical payments in one file (same day, customer, amount, no
// DOCNUM or TRNSID to tell them apart) are two payments, not one: the
// second gets the content id numbered "-2", the same on every run.
TEST(IifParse, IdenticalPaymentsStayTwoPayments) {
  const std::string text =
      "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\n"
      "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\n"
      "!ENDTRNS\n"
      "TRNS\t\tPAYMENT\t7/16/98\tUndeposited Funds\tEcker Designs\t500\t\n"
      "SPL\t\tPAYMENT\t7/16/98\tAccounts Receivable\tEcker Designs\t-500\t\n"
      "ENDTRNS\n"
      "TRNS\t\tPAYMENT\t7/16/98\tUndeposited Funds\tEcker Designs\t500\t\n"
      "SPL\t\tPAYMENT\t7/16/98\tAccounts Receivable\tEcker Designs\t-500\t\n"
      "ENDTRNS\n";
  Collected c = ParseText(text);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  const std::string first = c.records[0].record.payment().external_ref().id();
  const std::string second = c.records[1].record.payment().external_ref().id();
  EXPECT_EQ(second, first + "-2");
  Collected again = ParseText(text);
  ASSERT_EQ(again.records.size(), 2u);
  EXPECT_EQ(again.records[0].record.payment().external_ref().id(), first);
  EXPECT_EQ(again.records[1].record.payment().external_ref().id(), second);
}

TEST_F(IifSamples, TermsListThenCustomerList) {
  IifTermsTable terms;
  Collected t = Parse("qbd-enterprise-terms-list-export.IIF", &terms);
  ASSERT_TRUE(t.status.ok()) << t.status;
  EXPECT_TRUE(t.records.empty());
  EXPECT_TRUE(t.issues.empty()) << t.IssuesText();
  EXPECT_EQ(terms.size(), 7u);
  ASSERT_TRUE(terms.Find("8% 30 Net 60").has_value());
  EXPECT_EQ(terms.Find("8% 30 Net 60")->due_days, 60);
  EXPECT_EQ(terms.Find("Due on receipt")->due_days, 0);
  EXPECT_EQ(terms.Find("net 15")->due_days, 15);

  Collected c = Parse("qbd-enterprise-customers-list-export.IIF", &terms);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  // 65 CUST rows, 20 of them jobs of another customer.
  ASSERT_EQ(c.records.size(), 45u);
  int consumers = 0;
  for (const auto& r : c.records) {
    ASSERT_TRUE(r.record.has_customer());
    EXPECT_NE(r.record.customer().kind(), v1::CUSTOMER_KIND_UNSPECIFIED);
    EXPECT_FALSE(r.record.customer().display_name().empty());
    if (r.record.customer().kind() == v1::CUSTOMER_KIND_CONSUMER) ++consumers;
  }
  EXPECT_GT(consumers, 0);
  const v1::Customer& adam = c.records[0].record.customer();
  EXPECT_EQ(adam.external_ref().id(), "Adam's Candy Shop");
  EXPECT_EQ(adam.display_name(), "Adam's Candy Shop");
  EXPECT_EQ(adam.kind(), v1::CUSTOMER_KIND_BUSINESS);
  const v1::Customer& andres = c.records[1].record.customer();
  EXPECT_EQ(andres.external_ref().id(), "Andres, Cristina");  // quoted in the file
  EXPECT_EQ(andres.display_name(), "Cristina Andres");
  EXPECT_EQ(andres.kind(), v1::CUSTOMER_KIND_CONSUMER);  // CTYPE Residential
  EXPECT_EQ(andres.payment_terms_days(), 30);            // "2% 10 Net 30"
  ASSERT_EQ(andres.contacts_size(), 1);
  EXPECT_EQ(andres.contacts(0).name(), "Cristina Andres");
  bool has_email = false;
  for (const auto& ch : andres.contacts(0).channels()) {
    if (ch.type() == v1::ContactChannel::EMAIL) {
      has_email = true;
      EXPECT_EQ(ch.address(), "cristina@samplename.com");
    }
  }
  EXPECT_TRUE(has_email);
  bool found_limit = false;
  for (const auto& r : c.records) {
    if (r.record.customer().external_ref().id() == "Hermann, Jennifer") {
      found_limit = true;
      EXPECT_EQ(r.record.customer().credit_limit().minor_units(), 300000);  // "3,000.00"
    }
  }
  EXPECT_TRUE(found_limit);
}

// --------------------------------------------------------------- quirks

TEST(IifParse, QuirksFixture) {
  // BOM, CRLF, no final newline, HDR with an ISO date, header typo
  // "NAMEIS TAXABLE", padded header columns, quoted names and grouped
  // amounts, TRNSID of a space, 0/0/0 dates, terms in the same file
  // (standard and date-driven), jobs, a memo-linked credit memo, a check
  // payment and a skipped GENERAL JOURNAL.
  Collected c = ParseFile(testing::TestData("quirks.iif"), Usd("quirks.iif"));
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 6u);

  const v1::Customer& melton = c.records[0].record.customer();
  EXPECT_EQ(melton.external_ref().id(), "Melton, Johnny");
  EXPECT_EQ(melton.display_name(), "Johnny Melton");
  EXPECT_EQ(melton.kind(), v1::CUSTOMER_KIND_CONSUMER);
  EXPECT_EQ(melton.payment_terms_days(), 15);
  EXPECT_EQ(melton.credit_limit().minor_units(), 150000);
  ASSERT_EQ(melton.contacts_size(), 1);
  ASSERT_EQ(melton.contacts(0).channels_size(), 3);
  EXPECT_EQ(melton.contacts(0).channels(2).type(), v1::ContactChannel::POSTAL);
  EXPECT_EQ(melton.contacts(0).channels(2).address(),
            "Johnny Melton\n500 Main St\nBayshore, CA 94326");

  const v1::Customer& big = c.records[1].record.customer();
  EXPECT_EQ(big.external_ref().id(), "Big Corp");
  EXPECT_EQ(big.kind(), v1::CUSTOMER_KIND_BUSINESS);

  const v1::SyncRecord& i1 = c.records[2].record;
  EXPECT_EQ(i1.customer_ref(), "Melton, Johnny");
  EXPECT_EQ(i1.invoice().number(), "1001");
  EXPECT_EQ(i1.invoice().total().minor_units(), 9925002);
  EXPECT_EQ(i1.invoice().tax().minor_units(), 25002);
  EXPECT_DATE(i1.invoice().issue_date(), 2026, 3, 2);
  EXPECT_DATE(i1.invoice().due_date(), 2026, 3, 17);  // Net 15 from !TERMS
  EXPECT_EQ(i1.invoice().terms().payment_terms_text(), "Net 15");
  ASSERT_EQ(i1.invoice().lines_size(), 1);
  EXPECT_EQ(i1.invoice().lines(0).description(), "Remodel, phase 1");
  EXPECT_EQ(i1.invoice().lines(0).unit_price().minor_units(), 9900000);
  EXPECT_EQ(i1.invoice().lines(0).line_id(), "1");  // SPLID was a space
  EXPECT_EQ(c.records[2].where.line, 13);

  const v1::Invoice& i2 = c.records[3].record.invoice();
  EXPECT_EQ(i2.number(), "1002");
  EXPECT_DATE(i2.due_date(), 2026, 4, 10);  // date-driven: the 10th, next month
  EXPECT_EQ(i2.lines(0).quantity_milli(), 2500);

  const v1::CreditNote& cn = c.records[4].record.credit_note();
  EXPECT_EQ(cn.number(), "CM-7");
  EXPECT_EQ(cn.invoice_number(), "1001");
  EXPECT_EQ(cn.reason(), "tax charged in error");
  EXPECT_EQ(cn.amount().minor_units(), 25002);

  const v1::SyncRecord& p = c.records[5].record;
  EXPECT_EQ(p.customer_ref(), "Melton, Johnny");
  EXPECT_EQ(p.payment().amount().minor_units(), 5000000);
  EXPECT_EQ(p.payment().method(), v1::Payment::CHECK);
  EXPECT_EQ(p.payment().payer_reference(), "4711");
  EXPECT_EQ(p.payment().remittance_text(), "March remittance");
}

TEST(IifParse, JobsAsCustomersOption) {
  IifParseOptions iif;
  iif.jobs_as_customers = true;
  std::ifstream in(testing::TestData("quirks.iif"), std::ios::binary);
  Collected c = testing::Collect(in, [&](std::istream& s, auto on_record, auto on_issue) {
    return ParseIif(s, Usd(), on_record, on_issue, nullptr, iif);
  });
  ASSERT_TRUE(c.status.ok());
  ASSERT_EQ(c.Of(v1::SyncRecord::kCustomer).size(), 3u);
  EXPECT_EQ(c.Of(v1::SyncRecord::kInvoice)[0]->customer_ref(), "Melton, Johnny:Dental Office");
}

TEST(IifParse, Windows1252Text) {
  Collected c = ParseFile(testing::TestData("windows1252.iif"), Usd());
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].record.customer().external_ref().id(), "Caf\xC3\xA9 M\xC3\xBCller");
  EXPECT_EQ(c.records[0].record.customer().display_name(), "Caf\xC3\xA9 M\xC3\xBCller GmbH");
}

TEST(IifParse, TermsFromAnEarlierFileDeriveDueDates) {
  IifTermsTable terms;
  ASSERT_TRUE(
      ParseText("!TERMS\tNAME\tSTDDUEDAYS\nTERMS\tSpecial 45\t45\n", Usd(), &terms).status.ok());
  Collected c = ParseText(
      "!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tTERMS\n"
      "!SPL\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\n!ENDTRNS\n"
      "TRNS\tINVOICE\t12/20/25\tAR\tX\t10\tT1\tSpecial 45\n"
      "SPL\tINVOICE\t12/20/25\tIncome\t-10\nENDTRNS\n",
      Usd(), &terms);
  ASSERT_EQ(c.records.size(), 1u) << c.IssuesText();
  EXPECT_DATE(c.records[0].record.invoice().due_date(), 2026, 2, 3);
}

TEST(IifParse, CommaDelimitedIsNotIif) {
  // IIF may reportedly be comma-delimited (aaatex); without tabs nothing
  // maps, and nothing is emitted.
  Collected c = ParseText("!TRNS,TRNSTYPE,DATE\nTRNS,INVOICE,1/1/26\n");
  EXPECT_TRUE(c.status.ok());
  EXPECT_TRUE(c.records.empty());
}

TEST(IifParse, RequiresACurrency) {
  ParseOptions o = Usd();
  o.default_currency.clear();
  Collected c = ParseFile(testing::TestData("quirks.iif"), o);
  ASSERT_TRUE(c.status.ok());
  // Customers still import (credit limit needs a currency and is left out);
  // every transaction is rejected.
  EXPECT_EQ(c.Of(v1::SyncRecord::kCustomer).size(), 2u);
  EXPECT_FALSE(c.Of(v1::SyncRecord::kCustomer)[0]->customer().has_credit_limit());
  ASSERT_EQ(c.issues.size(), 4u);
  for (const auto& i : c.issues) EXPECT_EQ(i.reason, "MISSING_CURRENCY");
}

// QuickBooks exports of transactions alone are the norm; the
// customer is implied from NAME, keyed by its customer part (a job belongs
// to its customer), and marked so that the runtime never overwrites a
// customer the tenant already has.
TEST(IifParse, TransactionsAloneImplyTheirCustomers) {
  std::vector<ParsedRecord> implied;
  Collected c = ParseText(
      "!CUST\tNAME\tCOMPANYNAME\nCUST\tKnown\tKnown Ltd\n"
      "!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\n"
      "!SPL\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\n!ENDTRNS\n"
      "TRNS\tINVOICE\t1/2/26\tAR\tEcker Designs:Office Repairs\t10\tA1\n"
      "SPL\tINVOICE\t1/2/26\tIncome\t-10\nENDTRNS\n"
      "TRNS\tINVOICE\t1/3/26\tAR\tEcker Designs:Kitchen\t20\tA2\n"
      "SPL\tINVOICE\t1/3/26\tIncome\t-20\nENDTRNS\n"
      "TRNS\tINVOICE\t1/4/26\tAR\tKnown\t30\tA3\n"
      "SPL\tINVOICE\t1/4/26\tIncome\t-30\nENDTRNS\n",
      Usd(), nullptr, {}, &implied);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(implied.size(), 1u);  // once per customer; "Known" has its !CUST row
  const v1::Customer& e = implied[0].record.customer();
  EXPECT_EQ(e.external_ref().id(), "Ecker Designs");
  EXPECT_EQ(e.external_ref().source_system(), "quickbooks");
  EXPECT_EQ(e.display_name(), "Ecker Designs");
  EXPECT_EQ(e.kind(), v1::CUSTOMER_KIND_CONSUMER);
  EXPECT_EQ(implied[0].where.line, 6);
  ASSERT_EQ(c.records.size(), 4u);
  EXPECT_FALSE(c.records[0].implied_customer);  // from the !CUST row
}

// A statement charge is a receivable, imported as an invoice.
TEST(IifParse, StatementChargeIsAnInvoice) {
  Collected c = ParseText(
      "!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\n"
      "!SPL\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\n!ENDTRNS\n"
      "TRNS\tSTMT CHG\t3/5/26\tAccounts Receivable\tAcme\t45.00\t\tService call\n"
      "SPL\tSTMT CHG\t3/5/26\tIncome\t-45.00\nENDTRNS\n"
      "TRNS\tSTMT CHG\t3/6/26\tAccounts Receivable\tAcme\t12.50\tSC-2\tParts\n"
      "SPL\tSTMT CHG\t3/6/26\tIncome\t-12.50\nENDTRNS\n");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(c.issues.empty()) << c.IssuesText();
  ASSERT_EQ(c.records.size(), 2u);
  const v1::Invoice& first = c.records[0].record.invoice();
  EXPECT_EQ(first.total().minor_units(), 4500);
  EXPECT_TRUE(absl::StartsWith(first.number(), "CHG-")) << first.number();
  EXPECT_EQ(first.external_ref().id(), first.number());
  EXPECT_DATE(first.due_date(), 2026, 3, 5);
  // The generated number is stable across runs.
  EXPECT_EQ(ParseText("!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\n"
                      "!SPL\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\n!ENDTRNS\n"
                      "TRNS\tSTMT CHG\t3/5/26\tAccounts Receivable\tAcme\t45.00\t\tService call\n"
                      "SPL\tSTMT CHG\t3/5/26\tIncome\t-45.00\nENDTRNS\n")
                .records[0]
                .record.invoice()
                .number(),
            first.number());
  EXPECT_EQ(c.records[1].record.invoice().number(), "SC-2");
}

// A decimal comma was read as a thousands separator ("1,50" -> 150.00).
TEST(IifParse, CommaOnlyBetweenGroupsOfThree) {
  const std::string head =
      "!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\n"
      "!SPL\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\n!ENDTRNS\n";
  Collected c = ParseText(head +
                          "TRNS\tINVOICE\t1/2/26\tAR\tX\t1,50\tA1\n"
                          "SPL\tINVOICE\t1/2/26\tIncome\t-1,50\nENDTRNS\n"
                          "TRNS\tINVOICE\t1/2/26\tAR\tX\t\"1,234.50\"\tA2\n"
                          "SPL\tINVOICE\t1/2/26\tIncome\t-1234.50\nENDTRNS\n");
  ASSERT_EQ(c.issues.size(), 1u) << c.IssuesText();
  EXPECT_EQ(c.issues[0].reason, "INVALID_AMOUNT");
  EXPECT_EQ(c.issues[0].where.line, 4);
  EXPECT_NE(c.issues[0].description.find("--number_format"), std::string::npos);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].record.invoice().total().minor_units(), 123450);
  // With the flag for a decimal comma, "1,50" is 1.50.
  ParseOptions o = Usd();
  o.amounts.format = kCommaDecimalGrouped;
  o.amounts.format_chosen = true;
  Collected eu = ParseText(head +
                               "TRNS\tINVOICE\t1/2/26\tAR\tX\t1,50\tA1\n"
                               "SPL\tINVOICE\t1/2/26\tIncome\t-1,50\nENDTRNS\n",
                           o);
  ASSERT_EQ(eu.records.size(), 1u) << eu.IssuesText();
  EXPECT_EQ(eu.records[0].record.invoice().total().minor_units(), 150);
}

// ------------------------------------------------------------- malformed

TEST(IifParse, MalformedTransactionsAreEachNamedAndSkipped) {
  Collected c = ParseFile(testing::TestData("malformed.iif"), Usd("malformed.iif"));
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].record.invoice().number(), "B8");
  EXPECT_DATE(c.records[0].record.invoice().due_date(), 2026, 1, 31);
  struct Want {
    int64_t line;
    const char* field;
    const char* reason;
  } want[] = {
      {4, "DATE", "INVALID_DATE"},
      {7, "AMOUNT", "INVALID_AMOUNT"},
      {10, "AMOUNT", "UNBALANCED_TRANSACTION"},
      {13, "TERMS", "UNKNOWN_TERMS"},
      {16, "NAME", "MISSING_FIELD"},
      {19, "", "SPL_WITHOUT_TRNS"},
      {20, "AMOUNT", "UNEXPECTED_SIGN"},
      {24, "QNTY", "INVALID_QUANTITY"},
      {29, "ENDTRNS", "MISSING_ENDTRNS"},
  };
  ASSERT_EQ(c.issues.size(), std::size(want)) << c.IssuesText();
  for (size_t k = 0; k < std::size(want); ++k) {
    EXPECT_EQ(c.issues[k].where.file, "malformed.iif");
    EXPECT_EQ(c.issues[k].where.line, want[k].line) << c.issues[k].ToString();
    EXPECT_EQ(c.issues[k].field, want[k].field) << c.issues[k].ToString();
    EXPECT_EQ(c.issues[k].reason, want[k].reason) << c.issues[k].ToString();
    EXPECT_FALSE(c.issues[k].description.empty());
  }
  // Columns point at the cell: DATE is the 4th cell of line 4.
  EXPECT_EQ(c.issues[0].where.column, 1 + 5 + 1 + 8);
}

TEST(IifParse, RowsBeforeTheirHeader) {
  Collected c = ParseText("TRNS\tINVOICE\nSPL\tINVOICE\nENDTRNS\nCUST\tX\n");
  ASSERT_TRUE(c.status.ok());
  EXPECT_TRUE(c.records.empty());
  ASSERT_EQ(c.issues.size(), 2u) << c.IssuesText();
  EXPECT_EQ(c.issues[0].reason, "MISSING_HEADER");
  EXPECT_EQ(c.issues[0].where.line, 1);
  EXPECT_EQ(c.issues[1].where.line, 4);
}

TEST(IifParse, HeaderRowsInsideATransaction) {
  // Found by fuzz_iif: new header rows while a transaction is open used to
  // move the column maps its rows point at (heap-use-after-free under ASan).
  std::string text =
      "!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\n!SPL\tTRNSTYPE\tAMOUNT\n!ENDTRNS\n"
      "TRNS\tINVOICE\t1/1/26\tAR\tX\t5\tA1\n";
  for (int i = 0; i < 40; ++i) absl::StrAppend(&text, "!LIST", i, "\tNAME\n");
  absl::StrAppend(&text, "SPL\tINVOICE\t-5\nENDTRNS\n");
  Collected c = ParseText(text);
  ASSERT_TRUE(c.status.ok());
  ASSERT_EQ(c.records.size(), 1u) << c.IssuesText();
  EXPECT_EQ(c.records[0].record.invoice().total().minor_units(), 500);

  // Redefining !SPL inside a transaction abandons it, with one issue.
  c = ParseText(
      "!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\n!SPL\tTRNSTYPE\tAMOUNT\n"
      "TRNS\tINVOICE\t1/1/26\tAR\tX\t5\tA1\n!SPL\tAMOUNT\tTRNSTYPE\nSPL\t-5\tINVOICE\n"
      "ENDTRNS\n");
  ASSERT_TRUE(c.status.ok());
  EXPECT_TRUE(c.records.empty());
  ASSERT_EQ(c.issues.size(), 1u) << c.IssuesText();
  EXPECT_EQ(c.issues[0].reason, "MISSING_ENDTRNS");
  EXPECT_EQ(c.issues[0].where.line, 3);
}

TEST(IifParse, UnreadableInputIsAFileError) {
  ParseOptions o = Usd("huge.iif");
  std::string text = "!CUST\tNAME\nCUST\t" + std::string(17 << 20, 'x') + "\n";
  Collected c = ParseText(text, o);
  EXPECT_FALSE(c.status.ok());
  EXPECT_NE(c.status.message().find("huge.iif"), std::string::npos) << c.status;
  EXPECT_TRUE(c.records.empty());
}

// ------------------------------------------------------------- streaming

TEST(IifParse, MemoryStaysFlatOnALargeGeneratedExport) {
  const std::string header =
      "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tDUEDATE\tTERMS\n"
      "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tQNTY\tPRICE\tINVITEM\n"
      "!ENDTRNS\n";
  auto body = [](int64_t i) {
    const std::string n = absl::StrCat(100000 + i);
    return absl::StrCat(
        "TRNS\t\tINVOICE\t3/", 1 + i % 28, "/26\tAccounts Receivable\t\"Customer ", i % 5000,
        ", Inc.\"\t\"1,234.56\"\t", n, "\tgenerated\t\tNet 30\n",
        "SPL\t\tINVOICE\t3/1/26\tIncome\t\t-1000.00\t\tConsulting services\t-8\t125\tHours\n",
        "SPL\t\tINVOICE\t3/1/26\tIncome\t\t-234.56\t\tExpenses\t-1\t234.56\tExp\n", "ENDTRNS\n");
  };
  testing::GeneratedInput source(header, body, testing::StreamTestBytes());
  int64_t invoices = 0, total = 0;
  testing::StreamMeasure m = testing::MeasureStreaming(
      source,
      [](std::istream& in, auto on_record, auto on_issue) {
        return ParseIif(in, Usd("generated.iif"), on_record, on_issue);
      },
      [&](const ParsedRecord& r) {
        if (!r.record.has_invoice()) return;  // the 5000 implied customers
        ++invoices;
        total += r.record.invoice().total().minor_units();
      });
  ASSERT_TRUE(m.status.ok()) << m.status;
  m.Print("IIF invoices (3-row transactions)");
  EXPECT_EQ(m.issues, 0);
  EXPECT_GT(invoices, testing::StreamTestBytes() / 500);
  EXPECT_EQ(total, invoices * 123456);
  EXPECT_LT(m.growth_kb(), 8 * 1024) << "memory grew with the input";
}

}  // namespace
}  // namespace collections::connectors
