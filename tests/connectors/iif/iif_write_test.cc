#include <sstream>

#include "connectors/iif/parse_iif.h"
#include "connectors/iif/write_iif.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

v1::Date D(int y, int m, int d) { return testing::ProtoDay(y, m, d); }
v1::Money Usd(int64_t minor) { return testing::ProtoMoney("USD", minor); }

v1::SyncRecord FeeInvoice() {
  v1::SyncRecord r;
  r.set_customer_ref("Melton, Johnny");
  v1::Invoice* inv = r.mutable_invoice();
  inv->mutable_external_ref()->set_source_system("quickbooks");
  inv->mutable_external_ref()->set_id("FEE-1001-1");
  inv->set_number("FEE-1001-1");
  *inv->mutable_issue_date() = D(2026, 4, 15);
  *inv->mutable_due_date() = D(2026, 4, 29);
  inv->set_currency_code("USD");
  *inv->mutable_total() = Usd(4250);
  *inv->mutable_tax() = Usd(250);
  inv->mutable_terms()->set_payment_terms_text("Net 14");
  auto* l1 = inv->add_lines();
  l1->set_line_id("1");
  l1->set_description("Late fee; invoice 1001, stage 1");  // ';' is not safe in IIF
  l1->set_quantity_milli(1000);
  *l1->mutable_unit_price() = Usd(2500);
  *l1->mutable_amount() = Usd(2500);
  auto* l2 = inv->add_lines();
  l2->set_line_id("2");
  l2->set_description("Interest 30 days \"8%\", Caf\xC3\xA9");
  l2->set_quantity_milli(2500);
  *l2->mutable_unit_price() = Usd(600);
  *l2->mutable_amount() = Usd(1500);
  return r;
}

v1::SyncRecord SettlementCredit() {
  v1::SyncRecord r;
  r.set_customer_ref("Melton, Johnny");
  v1::CreditNote* cn = r.mutable_credit_note();
  cn->mutable_external_ref()->set_source_system("quickbooks");
  cn->mutable_external_ref()->set_id("SC-9");
  cn->set_number("SC-9");
  *cn->mutable_issue_date() = D(2026, 5, 2);
  *cn->mutable_amount() = Usd(123456);
  cn->set_invoice_number("1001");
  cn->set_reason("settlement agreed 2026-05-01");
  return r;
}

std::vector<ParsedRecord> Reparse(const std::string& iif, std::vector<ParseIssue>* issues) {
  ParseOptions o;
  o.default_currency = "USD";
  std::vector<ParsedRecord> out;
  std::istringstream in(iif);
  // The customers a re-import implies (no !CUST rows) are set aside.
  EXPECT_TRUE(ParseIif(
                  in, o,
                  [&](ParsedRecord r) {
                    if (!r.implied_customer) out.push_back(std::move(r));
                  },
                  [&](ParseIssue i) { issues->push_back(std::move(i)); })
                  .ok());
  return out;
}

TEST(IifWrite, RoundTripsFeeInvoicesAndCreditMemos) {
  std::ostringstream out;
  IifWriter writer(out);
  const v1::SyncRecord invoice = FeeInvoice();
  const v1::SyncRecord credit = SettlementCredit();
  ASSERT_TRUE(writer.Write(invoice).ok());
  ASSERT_TRUE(writer.Write(credit).ok());
  std::vector<ParseIssue> issues;
  std::vector<ParsedRecord> back = Reparse(out.str(), &issues);
  ASSERT_TRUE(issues.empty()) << issues[0].ToString();
  ASSERT_EQ(back.size(), 2u);

  v1::SyncRecord want_invoice = invoice;
  // What IIF cannot carry: ';' and '"' become ',' and '\'' (QuickBooks
  // rejects the first and has no escape for the second).
  want_invoice.mutable_invoice()->mutable_lines(0)->set_description(
      "Late fee, invoice 1001, stage 1");
  want_invoice.mutable_invoice()->mutable_lines(1)->set_description(
      "Interest 30 days '8%', Caf\xC3\xA9");
  testing::ExpectSameRecord(want_invoice, back[0].record);
  testing::ExpectSameRecord(credit, back[1].record);
}

TEST(IifWrite, FileShapeIsWhatQuickBooksImports) {
  std::ostringstream out;
  IifWriter writer(out);
  ASSERT_TRUE(writer.Write(FeeInvoice()).ok());
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM", 0), 0u);
  EXPECT_NE(text.find("\r\nTRNS\t\tINVOICE\t04/15/2026\tAccounts Receivable\t\"Melton, Johnny\"\t"
                      "42.50\tFEE-1001-1\t"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\tSales Tax Payable\t\t-2.50\t"), std::string::npos) << text;
  EXPECT_NE(text.find("AUTOSTAX"), std::string::npos);
  EXPECT_EQ(text.find(';'), std::string::npos);
  EXPECT_NE(text.find("Caf\xE9"), std::string::npos) << "expected Windows-1252 output";
  EXPECT_EQ(text.substr(text.size() - 9), "ENDTRNS\r\n");
}

TEST(IifWrite, WriteOffIsABalancedGeneralJournal) {
  std::ostringstream out;
  IifWriteOptions options;
  options.windows1252 = false;
  options.line_end.assign(1, '\n');  // not = "\n": GCC 12 -Wrestrict false positive
  IifWriter writer(out, options);
  IifWriteOff w{"WO-1", absl::CivilDay(2026, 6, 30), "Melton, Johnny",
                "1001", domain::Money{"USD", 99925}, "uncollectible"};
  ASSERT_TRUE(writer.WriteWriteOff(w).ok());
  const std::string text = out.str();
  EXPECT_NE(text.find("TRNS\t\tGENERAL JOURNAL\t06/30/2026\tBad Debt\t\"Melton, Johnny\"\t999.25\t"
                      "WO-1\tWrite-off of invoice #1001: uncollectible"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("SPL\t\tGENERAL JOURNAL\t06/30/2026\tAccounts Receivable\t"
                      "\"Melton, Johnny\"\t-999.25\t"),
            std::string::npos)
      << text;
  // Re-importing a write-off yields no receivable record and no issue.
  std::vector<ParseIssue> issues;
  EXPECT_TRUE(Reparse(text, &issues).empty());
  EXPECT_TRUE(issues.empty());
}

TEST(IifWrite, RejectsWhatQuickBooksWouldNotBalanceAndWritesNothing) {
  std::ostringstream out;
  IifWriter writer(out);
  v1::SyncRecord bad = FeeInvoice();
  bad.mutable_invoice()->mutable_total()->set_minor_units(9999);
  absl::Status st = writer.Write(bad);
  EXPECT_EQ(domain::ReasonOf(st), "INVOICE_UNBALANCED");
  v1::SyncRecord payment;
  payment.mutable_payment();
  EXPECT_EQ(domain::ReasonOf(writer.Write(payment)), "UNSUPPORTED_RECORD");
  v1::SyncRecord no_customer = SettlementCredit();
  no_customer.clear_customer_ref();
  EXPECT_EQ(domain::ReasonOf(writer.Write(no_customer)), "MISSING_CUSTOMER");
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace collections::connectors
