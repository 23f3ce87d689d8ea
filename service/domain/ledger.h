// The ledger's arithmetic on plain types: invoice status and amount due as of
// a day, default payment allocation, aging buckets, payment history and DSO.
// The store loads InvoiceState snapshots; everything here is pure and
// deterministic for a given as_of day.
#ifndef COLLECTIONS_DOMAIN_LEDGER_H_
#define COLLECTIONS_DOMAIN_LEDGER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "service/base/money.h"

namespace collections::domain {

enum class InvoiceStatus { kOpen, kPartiallyPaid, kPaid, kVoid, kWrittenOff };

// What reduced an invoice's amount due, and when.
enum class SettlementKind { kPayment, kCreditNote, kWriteOff };
struct Settlement {
  SettlementKind kind = SettlementKind::kPayment;
  absl::CivilDay day;
  int64_t amount = 0;  // minor units of the invoice currency, > 0
};

struct InvoiceState {
  std::string id;        // resource id within the customer
  std::string number;    // what the debtor sees
  std::string customer;  // customer id
  std::string currency;
  absl::CivilDay issue_date;
  absl::CivilDay due_date;
  int64_t total = 0;
  bool voided = false;
  std::vector<Settlement> settlements;

  int64_t Settled(SettlementKind kind) const;
  // total minus every settlement (all dates).
  int64_t AmountDue() const;
  // total minus settlements dated on or before `day`.
  int64_t AmountDueAsOf(absl::CivilDay day) const;
  // The day the last settlement made the amount due zero, if it is zero.
  std::optional<absl::CivilDay> PaidDate() const;
};

// OPEN, PARTIALLY_PAID (something paid or credited), PAID (nothing due),
// VOID, WRITTEN_OFF (a write-off closed it).
InvoiceStatus DeriveStatus(const InvoiceState& invoice);
const char* StatusName(InvoiceStatus status);

// as_of - due_date in days; <= 0 means not yet due.
int DaysPastDue(absl::CivilDay due_date, absl::CivilDay as_of);

// One line of a default allocation.
struct AllocationLine {
  std::string invoice_id;
  int64_t amount = 0;
};

// The documented default rule: `amount` goes to open invoices of the same
// currency by oldest due date first, then issue date, then number, then id;
// each invoice receives at most its amount due. What is left is returned in
// *unapplied.
std::vector<AllocationLine> AllocateOldestFirst(std::vector<const InvoiceState*> open,
                                                int64_t amount, int64_t* unapplied);

// ----------------------------------------------------------------- aging

struct BucketSpec {
  std::string label;
  int min_days = 0;   // inclusive; INT32_MIN for "current"
  int max_days = -1;  // inclusive; -1 = unbounded
};

// The standard buckets: current, 1-30, 31-60, 61-90, 91-120, over 120.
std::vector<int> DefaultBucketBounds();
// Builds buckets from ascending positive upper bounds: [30, 60] gives
// current, 1-30, 31-60, over 60. InvalidArgument when not strictly ascending,
// not positive, or more than 12 bounds.
absl::StatusOr<std::vector<BucketSpec>> MakeBuckets(const std::vector<int>& bounds);
// Index of the bucket holding `days_past_due`.
int BucketIndex(const std::vector<BucketSpec>& buckets, int days_past_due);

struct BucketTotal {
  int64_t amount = 0;
  int count = 0;
};

struct CurrencyAging {
  std::string currency;
  int64_t balance = 0;      // open amount due
  int64_t overdue = 0;      // part of balance past due
  int64_t unapplied = 0;    // unapplied payments and credits
  int64_t net_balance = 0;  // balance - unapplied
  int open_count = 0;
  int overdue_count = 0;
  std::vector<BucketTotal> buckets;
  int64_t dso_centi = 0;  // days sales outstanding x 100
};

struct PaymentHistoryFacts {
  int invoices_paid = 0;
  int paid_late_bp = 0;             // basis points of paid invoices
  int average_days_late_centi = 0;  // over late ones
  int worst_days_late = 0;
  std::optional<absl::CivilDay> last_payment_date;
};

struct AccountFacts {
  std::vector<CurrencyAging> positions;  // sorted by currency
  int oldest_days_past_due = 0;
  PaymentHistoryFacts history;
};

// Unapplied customer credit of one currency, dated (payments or credit notes
// not allocated to an invoice).
struct CreditState {
  std::string currency;
  absl::CivilDay day;
  int64_t unapplied = 0;
};

// Summarises one account as of `as_of`: invoices issued after as_of and
// settlements dated after it are ignored, so an old day replays exactly.
// OUT_OF_RANGE AMOUNT_SUM_OVERFLOW (amount_limits.h) when a per-currency sum
// leaves int64, instead of a wrapped figure.
absl::StatusOr<AccountFacts> SummarizeAccount(const std::vector<InvoiceState>& invoices,
                                              const std::vector<CreditState>& credits,
                                              const std::vector<absl::CivilDay>& payment_days,
                                              absl::CivilDay as_of,
                                              const std::vector<BucketSpec>& buckets);

// Countback DSO in hundredths of a day: walks back from as_of in 30-day
// periods, consuming each period's invoiced total against the open balance.
// At most 12 periods; a balance not covered by 12 periods reports 360 days +.
int64_t CountbackDsoCenti(const std::vector<InvoiceState>& invoices, const std::string& currency,
                          int64_t balance, absl::CivilDay as_of);

// The same walk over sales already summed per period: `period_sales[p]` is
// the amount invoiced in the p-th 30-day period back from as_of (p = 0 ends
// on as_of, inclusive). Periods beyond the vector count as no sales. The
// portfolio DSO of the dashboard reads its periods from the store
// (store::AgingMeasure::kInvoiced).
inline constexpr int kDsoPeriodDays = 30;
inline constexpr int kDsoPeriods = 12;
int64_t CountbackDsoCentiFromPeriods(int64_t balance, const std::vector<int64_t>& period_sales);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_LEDGER_H_
