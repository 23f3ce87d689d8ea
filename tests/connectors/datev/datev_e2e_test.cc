// DATEV files through a real in-process server: the Debitoren/Kreditoren
// file creates the customers, the Buchungsstapel their invoices, a payment
// from the bank allocated to the invoice in Belegfeld 1 and a credit note;
// the balances come out as the bookings say, and a re-import changes
// nothing.
#include <fstream>
#include <string>
#include <vector>

#include "connectors/datev/parse_datev.h"
#include "tests/api/cash_ledger_fixture.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

class DatevLedger : public InProcessLedger {
 protected:
  v1::SyncLedgerResponse Import(const std::string& name) {
    std::ifstream in(std::string(COLLECTIONS_TESTDATA_DIR) + "/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    std::vector<v1::SyncRecord> recs;
    connectors::ParseOptions o;
    o.file_name = name;
    absl::Status st = connectors::ParseDatev(
        in, o, connectors::DatevOptions{},
        [&](connectors::ParsedRecord r) { recs.push_back(r.record); },
        [&](connectors::ParseIssue i) { ADD_FAILURE() << i.ToString(); });
    EXPECT_TRUE(st.ok()) << st;
    v1::SyncLedgerResponse resp = Sync("datev-" + name, recs);
    for (const auto& out : resp.outcomes()) {
      EXPECT_NE(out.kind(), v1::RecordOutcome::REJECTED) << out.ShortDebugString();
    }
    return resp;
  }
};

TEST_F(DatevLedger, MasterDataThenBookingsGiveTheBalancesTheBookingsSay) {
  v1::SyncLedgerResponse customers = Import("debitoren_skr04.csv");
  EXPECT_EQ(customers.created(), 2);  // the creditor 700000 is not a customer
  v1::SyncLedgerResponse bookings = Import("batch_skr04.csv");
  ASSERT_EQ(bookings.created(), 4);
  // RE-2018-77: 1000.00 + 70.00, paid 500.00 from the bank, credited 50.00.
  v1::Invoice a = Get(bookings.outcomes(0).name());
  EXPECT_EQ(a.number(), "RE-2018-77");
  EXPECT_NE(a.name().find("/customers/100000/"), std::string::npos) << a.name();
  EXPECT_EQ(a.total().minor_units(), 107000);
  EXPECT_EQ(a.amount_paid().minor_units(), 50000);
  EXPECT_EQ(a.amount_credited().minor_units(), 5000);
  EXPECT_EQ(a.amount_due().minor_units(), 52000);
  v1::Invoice b = Get(bookings.outcomes(1).name());
  EXPECT_NE(b.name().find("/customers/200000/"), std::string::npos) << b.name();
  EXPECT_EQ(b.amount_due().minor_units(), 107000);
  EXPECT_EQ(Import("batch_skr04.csv").unchanged(), 4);
}

}  // namespace
}  // namespace collections::testing
