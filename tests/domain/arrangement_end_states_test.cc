// Allocation order, disputes and end states (write-off, referrals).
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "service/domain/allocation_order.h"
#include "service/domain/disputes.h"
#include "service/domain/end_states.h"

namespace collections::domain {
namespace {

InvoiceState Inv(const std::string& id, int64_t total, absl::CivilDay due) {
  InvoiceState inv;
  inv.id = id;
  inv.number = id;
  inv.currency = "EUR";
  inv.issue_date = due - 30;
  inv.due_date = due;
  inv.total = total;
  return inv;
}

// The customer owes principal 1,000.00, interest 50.00 and a 40.00
// compensation cost, and pays 500.00.
TEST(AllocationOrder, ChangingTheOrderChangesWhatRemains) {
  const InvoiceState principal = Inv("inv-1", 100000, absl::CivilDay(2026, 1, 31));
  const InvoiceState interest = Inv("fee-int", 5000, absl::CivilDay(2026, 3, 1));
  const InvoiceState cost = Inv("fee-comp", 4000, absl::CivilDay(2026, 3, 1));
  const std::vector<ClassifiedInvoice> open = {{&interest, DebtClass::kInterest},
                                               {&cost, DebtClass::kCost},
                                               {&principal, DebtClass::kPrincipal}};
  int64_t unapplied = -1;
  auto first = AllocateInOrder(open, 50000, AllocationOrder::kPrincipalFirst, &unapplied);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].invoice_id, "inv-1");
  EXPECT_EQ(first[0].amount, 50000);  // principal 500.00 left, fees 90.00 untouched
  EXPECT_EQ(unapplied, 0);

  // BGB §367: costs, then interest, then principal.
  auto bgb = AllocateInOrder(open, 50000, AllocationOrder::kCostsInterestPrincipal, &unapplied);
  ASSERT_EQ(bgb.size(), 3u);
  EXPECT_EQ(bgb[0].invoice_id, "fee-comp");
  EXPECT_EQ(bgb[0].amount, 4000);
  EXPECT_EQ(bgb[1].invoice_id, "fee-int");
  EXPECT_EQ(bgb[1].amount, 5000);
  EXPECT_EQ(bgb[2].invoice_id, "inv-1");
  EXPECT_EQ(bgb[2].amount, 41000);  // principal 590.00 left, fees cleared

  auto over = AllocateInOrder(open, 120000, AllocationOrder::kPrincipalFirst, &unapplied);
  EXPECT_EQ(unapplied, 11000);
  EXPECT_EQ(over.size(), 3u);

  EXPECT_EQ(*ParseAllocationOrder(""), AllocationOrder::kPrincipalFirst);
  EXPECT_EQ(*ParseAllocationOrder("COSTS_INTEREST_PRINCIPAL"),
            AllocationOrder::kCostsInterestPrincipal);
  EXPECT_EQ(ReasonOf(ParseAllocationOrder("LIFO").status()), "INVALID_ALLOCATION_ORDER");
  EXPECT_EQ(ClassOfFee(FeeKind::kStatutoryCompensation), DebtClass::kCost);
  EXPECT_EQ(ClassOfFee(FeeKind::kStatutoryInterest), DebtClass::kInterest);
}

TEST(Disputes, PauseTheDisputedAmountAndResumeOnRejection) {
  const absl::CivilDay today(2026, 3, 10);
  const InvoiceState inv = Inv("inv-1", 100000, absl::CivilDay(2026, 2, 28));
  const std::vector<DisputableLine> lines = {{"L1", 70000}, {"L2", 30000}};
  AccountContext account;
  account.customer.kind = CustomerKind::kBusiness;

  Dispute d;
  d.id = "d-1";
  d.invoice_id = "inv-1";
  d.line_id = "L2";
  d.reason = "QUALITY";
  ASSERT_TRUE(PrepareDispute(d, inv, lines, account.disputes, today).ok());
  EXPECT_EQ(d.amount, 30000);  // the line's amount
  EXPECT_EQ(d.status, DisputeStatus::kOpen);
  account.disputes.push_back(d);

  // Collection pauses for the disputed 300.00 only.
  EXPECT_EQ(account.DisputedAmount(inv, today), 30000);
  EXPECT_EQ(CollectibleAmount(account, inv, today), 70000);

  // A second dispute on the same line is refused while the first is open.
  Dispute dup = d;
  dup.id = "d-2";
  EXPECT_EQ(ReasonOf(PrepareDispute(dup, inv, lines, account.disputes, today)),
            "DISPUTE_ALREADY_OPEN");

  // Rejected: collection of the whole amount resumes.
  auto r = ResolveDispute(account.disputes[0], DisputeOutcome::kRejected, 0, inv, today + 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(account.disputes[0].status, DisputeStatus::kRejected);
  EXPECT_EQ(account.disputes[0].resolved_date, today + 5);
  EXPECT_EQ(CollectibleAmount(account, inv, today + 5), 100000);
  EXPECT_EQ(
      ReasonOf(ResolveDispute(account.disputes[0], DisputeOutcome::kRejected, 0, inv, today + 6)
                   .status()),
      "DISPUTE_NOT_OPEN");
}

TEST(Disputes, CreditNoteOutcomeIsBoundedByTheDisputedAmount) {
  const absl::CivilDay today(2026, 3, 10);
  const InvoiceState inv = Inv("inv-1", 100000, absl::CivilDay(2026, 2, 28));
  Dispute d;
  d.id = "d-1";
  d.invoice_id = "inv-1";
  d.reason = "PRICING";
  d.amount = 20000;
  ASSERT_TRUE(PrepareDispute(d, inv, {}, {}, today).ok());
  Dispute copy = d;
  auto too_much = ResolveDispute(copy, DisputeOutcome::kCreditNote, 25000, inv, today);
  EXPECT_EQ(FieldsOf(too_much.status())[0].field, "credit_amount");
  EXPECT_EQ(copy.status, DisputeStatus::kOpen);  // unchanged on error
  auto ok = ResolveDispute(d, DisputeOutcome::kCreditNote, 0, inv, today);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->credit_amount, 20000);
  EXPECT_EQ(d.status, DisputeStatus::kResolved);

  Dispute bad;
  bad.invoice_id = "inv-1";
  bad.reason = "BECAUSE";
  EXPECT_EQ(FieldsOf(PrepareDispute(bad, inv, {}, {}, today))[0].field, "dispute.reason");
  bad.reason = "OTHER";
  bad.line_id = "nope";
  EXPECT_EQ(FieldsOf(PrepareDispute(bad, inv, {}, {}, today))[0].field, "dispute.line_id");
}

TEST(EndStates, WriteOffAndItsReversal) {
  const absl::CivilDay day(2026, 6, 30);
  std::vector<InvoiceState> invoices = {Inv("inv-1", 100000, absl::CivilDay(2026, 1, 31)),
                                        Inv("inv-2", 25000, absl::CivilDay(2026, 2, 28))};
  invoices[1].settlements.push_back({SettlementKind::kPayment, absl::CivilDay(2026, 3, 1), 25000});
  auto lines = PrepareWriteOff(invoices, {}, day);
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 1u);  // inv-2 is paid
  EXPECT_EQ((*lines)[0].invoice_id, "inv-1");
  EXPECT_EQ((*lines)[0].amount, 100000);

  // Recorded as a write-off settlement, the invoice is WRITTEN_OFF ...
  InvoiceState& inv = invoices[0];
  inv.settlements.push_back({SettlementKind::kWriteOff, day, (*lines)[0].amount});
  EXPECT_EQ(DeriveStatus(inv), InvoiceStatus::kWrittenOff);
  EXPECT_EQ(inv.AmountDue(), 0);
  // ... and the reversal removes that settlement: the debt is back.
  inv.settlements.pop_back();
  EXPECT_EQ(DeriveStatus(inv), InvoiceStatus::kOpen);
  EXPECT_EQ(inv.AmountDue(), 100000);

  auto over = PrepareWriteOff(invoices, {{"inv-1", 100001}}, day);
  EXPECT_EQ(FieldsOf(over.status())[0].field, "write_off.items[0].amount");
  auto none = PrepareWriteOff({invoices[1]}, {}, day);
  EXPECT_EQ(ReasonOf(none.status()), "NOTHING_TO_WRITE_OFF");
  EXPECT_TRUE(IsWriteOffReason("UNECONOMIC"));
  EXPECT_FALSE(IsWriteOffReason("BORED"));
}

TEST(EndStates, WriteOffRecommendedWhenRecoveryIsBelowCost) {
  // EUR 300.00 owed; an agency would net 300 x 40% x 70% = 84.00 minus a
  // 100.00 fee; legal costs 500.00; internal 10% minus 50.00 staff time.
  std::vector<SettlementAlternative> alts = {{RecoveryPath::kInternal, 1000, 60, 0, 5000},
                                             {RecoveryPath::kAgency, 4000, 120, 3000, 10000},
                                             {RecoveryPath::kLegal, 8000, 365, 0, 50000}};
  auto f = ComputeSettlementFigures(Money{"EUR", 30000}, alts, SettlementPolicy(),
                                    Economics().annual_discount_rate_bp);
  ASSERT_TRUE(f.ok());
  WriteOffAdvice advice = AdviseWriteOff(*f);
  EXPECT_TRUE(advice.recommended);
  EXPECT_LT(advice.best_present_value, 0);

  // The same account owing EUR 30,000.00 is worth pursuing.
  auto big = ComputeSettlementFigures(Money{"EUR", 3000000}, alts, SettlementPolicy(),
                                      Economics().annual_discount_rate_bp);
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(AdviseWriteOff(*big).recommended);
}

TEST(EndStates, ReferralCollectionsAreNetOfCommissionAndRecallable) {
  Referral r;
  r.state = EndState::kAgency;
  r.since = absl::CivilDay(2026, 5, 1);
  r.party = "Acme Collections Ltd";
  r.commission_bp = 2500;
  // 1,234.57 collected: commission 25% = 308.6425 -> 308.64 (half up); net 925.93.
  auto c = SplitCollection(r, 500000, 0, 123457, absl::CivilDay(2026, 6, 1));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->commission, 30864);
  EXPECT_EQ(c->net, 92593);
  EXPECT_EQ(
      ReasonOf(SplitCollection(r, 500000, 400000, 123457, absl::CivilDay(2026, 6, 1)).status()),
      "INVALID_COLLECTION");

  EXPECT_EQ(ReasonOf(CheckNewReferral(r, EndState::kAgency)), "REFERRAL_ACTIVE");
  EXPECT_TRUE(CheckNewReferral(r, EndState::kLegal).ok());  // escalate to legal
  r.recalled = true;
  EXPECT_TRUE(CheckNewReferral(r, EndState::kAgency).ok());
  EXPECT_EQ(ReasonOf(SplitCollection(r, 500000, 0, 100, absl::CivilDay(2026, 6, 1)).status()),
            "REFERRAL_NOT_ACTIVE");
}

}  // namespace
}  // namespace collections::domain
