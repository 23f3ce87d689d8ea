// MT940 statements through the server's cash application, the path camt
// statements take: a German ?xx statement and a Dutch /CODE/ statement in
// one file pay the fixture ledger's invoices; referenced payments are
// applied, the unreferenced one is queued with a suggestion, a re-import
// changes nothing, and an RC line gives the invoice its balance back.
#include "connectors/mt940/parse_mt940.h"
#include "tests/api/cash_ledger_fixture.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

std::string Fixture(const std::string& name) {
  return std::string(COLLECTIONS_TESTDATA_DIR) + "/" + name;
}

class Mt940CashApplication : public CashLedger {
 protected:
  v1::SyncLedgerResponse Import(const std::string& name) {
    return SyncStatement(Fixture(name), [&](std::istream& in, const connectors::RecordSink& r,
                                            const connectors::IssueSink& i) {
      connectors::ParseOptions o;
      o.file_name = name;
      return connectors::ParseMt940(in, o, r, i);
    });
  }
};

TEST_F(Mt940CashApplication, ReferencedPaymentsAreAppliedAndTheRestQueued) {
  v1::SyncLedgerResponse resp = Import("cash_statement.sta");
  ASSERT_EQ(resp.outcomes_size(), 4);
  EXPECT_EQ(resp.created(), 4);
  EXPECT_EQ(resp.rejected(), 0);
  // Invoice number in the SVWZ+ text: INV-1002, Alpha's, applied.
  EXPECT_NE(resp.outcomes(0).name().find("/customers/C-1/payments/"), std::string::npos)
      << resp.outcomes(0).name();
  EXPECT_EQ(Due("C-1", "INV-1002"), 0);
  // Two invoice numbers whose amounts add up to the payment.
  EXPECT_NE(resp.outcomes(1).name().find("/customers/C-2/payments/"), std::string::npos)
      << resp.outcomes(1).name();
  EXPECT_EQ(Due("C-2", "INV-2001"), 0);
  EXPECT_EQ(Due("C-2", "INV-2002"), 0);
  // /REMI/STRD/CUR/RF...: the invoice that asked for this RF reference.
  EXPECT_NE(resp.outcomes(2).name().find("/customers/C-1/payments/"), std::string::npos)
      << resp.outcomes(2).name();
  EXPECT_EQ(Get(Inv("C-1", "INV-1001")).status(), v1::Invoice::PAID);
  // No reference: amount and payer only suggest INV-3001; a person decides.
  EXPECT_NE(resp.outcomes(3).name().find("tenants/acme/unappliedCash/"), std::string::npos)
      << resp.outcomes(3).name();
  EXPECT_EQ(Due("C-3", "INV-3001"), 25000);
  v1::ListUnappliedCashResponse q = Queue();
  ASSERT_EQ(q.items_size(), 1);
  EXPECT_EQ(q.items(0).payment().payer_name(), "Gamma SA");
  ASSERT_GE(q.items(0).suggestions_size(), 1);
  EXPECT_EQ(q.items(0).suggestions(0).customer(), "tenants/acme/customers/C-3");
  EXPECT_EQ(q.items(0).suggestions(0).allocations(0).invoice(), Inv("C-3", "INV-3001"));

  // The same file again changes nothing.
  const int events = srv_.EventCount();
  v1::SyncLedgerResponse again = Import("cash_statement.sta");
  EXPECT_EQ(again.unchanged(), 4);
  EXPECT_EQ(srv_.EventCount(), events);
}

TEST_F(Mt940CashApplication, ReversalOfACreditRestoresTheInvoiceOnce) {
  Import("cash_statement.sta");
  ASSERT_EQ(Due("C-1", "INV-1001"), 0);
  v1::SyncLedgerResponse rev = Import("cash_return.sta");
  ASSERT_EQ(rev.outcomes_size(), 1);
  EXPECT_EQ(rev.created(), 1);
  EXPECT_NE(rev.outcomes(0).name().find("/customers/C-1/payments/"), std::string::npos)
      << rev.outcomes(0).name();
  EXPECT_EQ(Due("C-1", "INV-1001"), 100000);
  EXPECT_EQ(Get(Inv("C-1", "INV-1001")).status(), v1::Invoice::OPEN);
  EXPECT_EQ(Import("cash_return.sta").unchanged(), 1);
  EXPECT_EQ(Due("C-1", "INV-1001"), 100000);
}

}  // namespace
}  // namespace collections::testing
