// OFX statements through the server's cash application, the path camt and
// MT940 statements take: an RF reference in MEMO, invoice numbers in MEMO,
// and an unreferenced payment that is only suggested; debits and bank
// interest are not payments; FITID makes a re-import change nothing.
#include "connectors/ofx/parse_ofx.h"
#include "tests/api/cash_ledger_fixture.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

class OfxCashApplication : public CashLedger {
 protected:
  v1::SyncLedgerResponse Import(const std::string& name) {
    return SyncStatement(
        std::string(COLLECTIONS_TESTDATA_DIR) + "/" + name,
        [&](std::istream& in, const connectors::RecordSink& r, const connectors::IssueSink& i) {
          connectors::ParseOptions o;
          o.file_name = name;
          return connectors::ParseOfx(in, o, r, i);
        });
  }
};

TEST_F(OfxCashApplication, ReferencedPaymentsAreAppliedAndTheRestQueued) {
  v1::SyncLedgerResponse resp = Import("cash_statement.ofx");
  ASSERT_EQ(resp.outcomes_size(), 3);
  EXPECT_EQ(resp.created(), 3);
  EXPECT_NE(resp.outcomes(0).name().find("/customers/C-1/payments/"), std::string::npos)
      << resp.outcomes(0).name();
  EXPECT_EQ(Get(Inv("C-1", "INV-1001")).status(), v1::Invoice::PAID);
  EXPECT_EQ(Due("C-1", "INV-1002"), 77700);
  EXPECT_NE(resp.outcomes(1).name().find("/customers/C-2/payments/"), std::string::npos)
      << resp.outcomes(1).name();
  EXPECT_EQ(Due("C-2", "INV-2001"), 0);
  EXPECT_EQ(Due("C-2", "INV-2002"), 0);
  EXPECT_NE(resp.outcomes(2).name().find("tenants/acme/unappliedCash/"), std::string::npos)
      << resp.outcomes(2).name();
  EXPECT_EQ(Due("C-3", "INV-3001"), 25000);
  v1::ListUnappliedCashResponse q = Queue();
  ASSERT_EQ(q.items_size(), 1);
  ASSERT_GE(q.items(0).suggestions_size(), 1);
  EXPECT_EQ(q.items(0).suggestions(0).allocations(0).invoice(), Inv("C-3", "INV-3001"));

  const int events = srv_.EventCount();
  EXPECT_EQ(Import("cash_statement.ofx").unchanged(), 3);
  EXPECT_EQ(srv_.EventCount(), events);
}

}  // namespace
}  // namespace collections::testing
