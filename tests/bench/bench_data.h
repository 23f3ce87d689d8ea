// Deterministic benchmark ledgers: the same seed and sizes always give the
// same customers, invoices and payments, so every scenario of a run (and
// every later run) measures the same rows. Distributions follow what real
// receivables look like: a few large accounts and many small ones, invoice
// totals log-normal around ~850 with a long tail, issue dates spread over the
// year before `as_of`, net-15..60 terms, and four payment behaviours (prompt,
// late, chronic, non-payer) that decide who pays what and when.
#ifndef COLLECTIONS_TESTS_BENCH_BENCH_DATA_H_
#define COLLECTIONS_TESTS_BENCH_BENCH_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "collections_sidecar/v1/ledger.pb.h"

namespace collections::bench {

namespace v1 = ::collections_sidecar::v1;

inline constexpr char kTenant[] = "bench";
inline constexpr char kSourceSystem[] = "bench";

struct DataOptions {
  int64_t customers = 100000;
  int64_t invoices = 1000000;
  uint64_t seed = 42;
  absl::CivilDay as_of = absl::CivilDay(2026, 6, 30);
};

enum class Behaviour { kPrompt, kLate, kChronic, kNonPayer };

struct CustomerSpec {
  std::string id;  // also the external id and the resource id
  std::string currency;
  int terms_days = 30;
  Behaviour behaviour = Behaviour::kPrompt;
  bool consumer = false;
};

struct InvoiceSpec {
  int64_t customer = 0;  // index into customers
  std::string id;        // external id = number = resource id
  absl::CivilDay issue;
  absl::CivilDay due;
  int64_t total = 0;  // minor units
  // A payment of `paid` (0 = none) received on `paid_on` (<= as_of).
  int64_t paid = 0;
  absl::CivilDay paid_on;
};

// A small, fast, portable generator (SplitMix64); <random> distributions are
// implementation-defined, so they are not used.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next();
  double Uniform();                         // [0, 1)
  int64_t Between(int64_t lo, int64_t hi);  // [lo, hi]
  double Normal();

 private:
  uint64_t s_;
};

class Dataset {
 public:
  explicit Dataset(const DataOptions& options);

  const DataOptions& options() const { return options_; }
  const std::vector<CustomerSpec>& customers() const { return customers_; }
  const std::vector<InvoiceSpec>& invoices() const { return invoices_; }
  // Invoices with an amount still due at as_of (OPEN or PARTIALLY_PAID).
  int64_t open_invoices() const { return open_invoices_; }
  int64_t payments() const { return payments_; }

  // The SyncLedger records of each phase, in order.
  v1::SyncRecord CustomerRecord(int64_t i) const;
  v1::SyncRecord InvoiceRecord(int64_t i) const;
  // Only for invoices with paid > 0.
  v1::SyncRecord PaymentRecord(int64_t i) const;

  // The resource name of customer i: tenants/bench/customers/C0000001.
  std::string CustomerName(int64_t i) const;

 private:
  DataOptions options_;
  std::vector<CustomerSpec> customers_;
  std::vector<InvoiceSpec> invoices_;
  int64_t open_invoices_ = 0;
  int64_t payments_ = 0;
};

v1::Date ToDate(absl::CivilDay d);

}  // namespace collections::bench

#endif  // COLLECTIONS_TESTS_BENCH_BENCH_DATA_H_
