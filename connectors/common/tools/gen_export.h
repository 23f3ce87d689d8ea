// A deterministic generator of large, valid QuickBooks IIF exports, for the
// connector benchmarks (a >= 1 GB file parsed with flat memory) and for the
// end-to-end tests of the runtime (crash-resume, quarantine). The same
// options always give the same bytes, so a benchmark can be rerun exactly.
//
// The file holds a !CUST list of `customers` customers, then transactions
// round-robin over them: each customer's turns alternate between an INVOICE
// (2 lines) and a PAYMENT, and every fifth payment turn is a CREDIT MEMO
// for the customer's last invoice instead. Amounts are exact decimals; dates MM/DD/YYYY.
#ifndef COLLECTIONS_CONNECTORS_COMMON_TOOLS_GEN_EXPORT_H_
#define COLLECTIONS_CONNECTORS_COMMON_TOOLS_GEN_EXPORT_H_

#include <cstdint>
#include <ostream>

namespace collections::connectors {

struct GenExportOptions {
  int64_t customers = 1000;
  // Stop after the transaction that reaches this many bytes (0 = use
  // `transactions`).
  int64_t target_bytes = 0;
  // Number of transactions when target_bytes is 0.
  int64_t transactions = 1000;
  // Every n-th transaction gets an invalid amount (0 = none), for tests of
  // the reject and quarantine modes.
  int64_t bad_every = 0;
  uint64_t seed = 1;
};

struct GenExportStats {
  int64_t bytes = 0;
  int64_t customers = 0;
  int64_t invoices = 0;
  int64_t payments = 0;
  int64_t credit_memos = 0;
  int64_t bad = 0;
};

// Writes the IIF file to `out` and returns what it wrote.
GenExportStats GenerateIif(const GenExportOptions& options, std::ostream& out);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_TOOLS_GEN_EXPORT_H_
