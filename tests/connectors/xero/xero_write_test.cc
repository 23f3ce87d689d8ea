#include <sstream>

#include "connectors/xero/parse_xero.h"
#include "connectors/xero/write_xero.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

v1::Date D(int y, int m, int d) { return testing::ProtoDay(y, m, d); }
v1::Money Eur(int64_t minor) { return testing::ProtoMoney("EUR", minor); }

v1::SyncRecord FeeInvoice() {
  v1::SyncRecord r;
  r.set_customer_ref("Smith & Jones, Ltd");
  v1::Invoice* inv = r.mutable_invoice();
  inv->mutable_external_ref()->set_source_system("xero");
  inv->mutable_external_ref()->set_id("FEE-0042");
  inv->set_number("FEE-0042");
  *inv->mutable_issue_date() = D(2026, 4, 3);
  *inv->mutable_due_date() = D(2026, 4, 17);
  inv->set_currency_code("EUR");
  *inv->mutable_total() = Eur(4500);
  *inv->mutable_tax() = Eur(200);
  auto* l1 = inv->add_lines();
  l1->set_line_id("1");
  l1->set_description("Late payment fee, \"stage 2\"; INV-7");
  l1->set_quantity_milli(1000);
  *l1->mutable_unit_price() = Eur(4000);
  *l1->mutable_amount() = Eur(4000);
  *l1->mutable_tax() = Eur(200);
  auto* l2 = inv->add_lines();
  l2->set_line_id("2");
  l2->set_description("Interest\n12 days");
  l2->set_quantity_milli(12000);
  *l2->mutable_unit_price() = Eur(25);
  *l2->mutable_amount() = Eur(300);
  return r;
}

v1::SyncRecord Credit() {
  v1::SyncRecord r;
  r.set_customer_ref("Smith & Jones, Ltd");
  v1::CreditNote* cn = r.mutable_credit_note();
  cn->mutable_external_ref()->set_source_system("xero");
  cn->mutable_external_ref()->set_id("SC-3");
  cn->set_number("SC-3");
  *cn->mutable_issue_date() = D(2026, 5, 9);
  *cn->mutable_amount() = Eur(1234567);
  cn->set_invoice_number("INV-7");
  cn->set_reason("settlement, 20 % discount");
  return r;
}

std::vector<ParsedRecord> Reparse(const std::string& csv, DateOrder order,
                                  std::vector<ParseIssue>* issues) {
  ParseOptions o;
  o.date_order = order;
  std::vector<ParsedRecord> out;
  std::istringstream in(csv);
  absl::Status st = ParseXeroInvoices(
      in, o, [&](ParsedRecord r) { out.push_back(std::move(r)); },
      [&](ParseIssue i) { issues->push_back(std::move(i)); });
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

TEST(XeroWrite, InvoicesRoundTripInBothDateOrders) {
  for (DateOrder order : {DateOrder::kDayMonthYear, DateOrder::kMonthDayYear}) {
    std::ostringstream out;
    XeroWriteOptions options;
    options.date_order = order;
    XeroWriter writer(out, XeroDocument::kInvoices, options);
    ASSERT_TRUE(writer.Write(FeeInvoice()).ok());
    std::vector<ParseIssue> issues;
    auto back = Reparse(out.str(), order, &issues);
    ASSERT_TRUE(issues.empty()) << issues[0].ToString();
    ASSERT_EQ(back.size(), 2u);  // the contact, then the invoice
    EXPECT_EQ(back[0].record.customer().display_name(), "Smith & Jones, Ltd");
    testing::ExpectSameRecord(FeeInvoice(), back[1].record);
  }
}

TEST(XeroWrite, CreditNotesRoundTripWithTheirInvoiceLink) {
  std::ostringstream out;
  XeroWriter writer(out, XeroDocument::kCreditNotes);
  ASSERT_TRUE(writer.Write(Credit()).ok());
  std::vector<ParseIssue> issues;
  auto back = Reparse(out.str(), DateOrder::kDayMonthYear, &issues);
  ASSERT_TRUE(issues.empty()) << issues[0].ToString();
  ASSERT_EQ(back.size(), 2u);
  testing::ExpectSameRecord(Credit(), back[1].record);
}

TEST(XeroWrite, FileIsXerosTemplate) {
  std::ostringstream out;
  XeroWriter writer(out, XeroDocument::kInvoices);
  ASSERT_TRUE(writer.Write(FeeInvoice()).ok());
  const std::string text = out.str();
  // The header is the downloaded template's, byte for byte.
  EXPECT_EQ(text.substr(0, text.find("\r\n")),
            "*ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,"
            "POAddressLine4,POCity,PORegion,POPostalCode,POCountry,*InvoiceNumber,Reference,"
            "*InvoiceDate,*DueDate,Total,InventoryItemCode,*Description,*Quantity,*UnitAmount,"
            "Discount,*AccountCode,*TaxType,TaxAmount,TrackingName1,TrackingOption1,"
            "TrackingName2,TrackingOption2,Currency,BrandingTheme");
  EXPECT_NE(text.find("\r\n\"Smith & Jones, Ltd\",,,,,,,,,,FEE-0042,,03/04/2026,17/04/2026,,,"
                      "\"Late payment fee, \"\"stage 2\"\"; INV-7\",1,40.00,,260,Tax Exempt,2.00,"
                      ",,,,EUR,\r\n"),
            std::string::npos)
      << text;
}

TEST(XeroWrite, LinesThatAreNotQuantityTimesPriceBecomeOneTimesAmount) {
  v1::SyncRecord r = FeeInvoice();
  r.mutable_invoice()->mutable_lines(1)->set_quantity_milli(7000);  // 7 x 0.25 != 3.00
  std::ostringstream out;
  XeroWriter writer(out, XeroDocument::kInvoices);
  ASSERT_TRUE(writer.Write(r).ok());
  std::vector<ParseIssue> issues;
  auto back = Reparse(out.str(), DateOrder::kDayMonthYear, &issues);
  ASSERT_EQ(back.size(), 2u);
  const auto& line = back[1].record.invoice().lines(1);
  EXPECT_EQ(line.quantity_milli(), 1000);
  EXPECT_EQ(line.amount().minor_units(), 300);
  EXPECT_EQ(back[1].record.invoice().total().minor_units(), 4500);
}

TEST(XeroWrite, RejectsWrongKindAndUnbalancedAndWritesNothing) {
  std::ostringstream out;
  XeroWriter writer(out, XeroDocument::kInvoices);
  EXPECT_EQ(domain::ReasonOf(writer.Write(Credit())), "UNSUPPORTED_RECORD");
  v1::SyncRecord bad = FeeInvoice();
  bad.mutable_invoice()->mutable_total()->set_minor_units(1);
  EXPECT_EQ(domain::ReasonOf(writer.Write(bad)), "INVOICE_UNBALANCED");
  v1::SyncRecord no_contact = FeeInvoice();
  no_contact.clear_customer_ref();
  EXPECT_EQ(domain::ReasonOf(writer.Write(no_contact)), "MISSING_CUSTOMER");
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace collections::connectors
