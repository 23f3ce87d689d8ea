// A deterministic synthetic ledger with known payment behaviour per customer
// segment, for the risk model's and the backtest's tests and benchmarks.
//
// Segments (each customer's true probability of paying an invoice late is
// TrueLateProbability):
//   kStable    a constant rate, one of 2, 5, 10, 20, 40, 60 or 85 %;
//   kDrifting  a rate moving linearly over the range, 10 % -> 70 % for half
//              of them and 70 % -> 10 % for the other half;
//   kSeasonal  80 % for invoices due in July, August or December, else 10 %;
//   kDisputer  25 %, and a quarter of their invoices are disputed three days
//              before the due date; a disputed invoice is paid a few days
//              after the dispute is resolved, 30-60 days after the due date
//              (so 44 % of their invoices are late in all).
// A late invoice is paid 1 + Exp(mean delay) days late, the mean delay being
// the customer's (5, 10, 20 or 40 days); an on-time one 0-10 days early.
// Payments after the last day are not in the ledger (the invoice is open).
// With `reminder_response` > 0, customers with an even index get a reminder
// on the 7th day past due of every invoice still open then, and that many of
// the reminded invoices are paid 3 days after it instead (when that is
// earlier): the effect FitReminderEffect should find.
#ifndef COLLECTIONS_TESTS_COMMON_SYNTHETIC_LEDGER_H_
#define COLLECTIONS_TESTS_COMMON_SYNTHETIC_LEDGER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"

namespace collections::synthetic {

enum class PayerSegment { kStable, kDrifting, kSeasonal, kDisputer };
const char* SegmentName(PayerSegment segment);

struct SyntheticOptions {
  uint64_t seed = 20;
  int customers_per_segment = 25;
  absl::CivilDay start = absl::CivilDay(2024, 1, 1);
  int days = 730;
  int mean_days_between_invoices = 14;
  int terms_days = 30;
  double reminder_response = 0;
};

struct SyntheticCustomer {
  std::string id;
  PayerSegment segment = PayerSegment::kStable;
  double late_start = 0;  // kStable: the rate; kDrifting: the rate at the start
  double late_end = 0;    // kDrifting: the rate at the end
  double mean_delay = 10;
};

struct SyntheticLedger {
  SyntheticOptions options;
  std::vector<domain::AccountContext> accounts;
  std::vector<SyntheticCustomer> customers;  // same order as accounts
  absl::CivilDay end;                        // last day of the range

  // The generating probability that `customer`'s invoice due on `due` is
  // paid late.
  double TrueLateProbability(int customer, absl::CivilDay due) const;
};

SyntheticLedger GenerateSyntheticLedger(const SyntheticOptions& options);

}  // namespace collections::synthetic

#endif  // COLLECTIONS_TESTS_COMMON_SYNTHETIC_LEDGER_H_
