// What a tenant's ledger holds, as expectation lines: one line per
// customer, invoice, credit note, payment and unapplied bank payment, with
// the fields a sync must get right (numbers, dates, currency, totals,
// amount due, status, the invoice a credit note credits, allocations,
// unapplied amounts). Shared by every connector's end-to-end sample test
// (sample_e2e_test.cc) and usable by any test that starts a TestServer.
//
//   customer "C-1" name="Ortiz Bakery" kind=CONSUMER
//   invoice "INV-1" customer="C-1" issued=2026-08-01 due=2026-08-31 total=EUR 100.00 tax=EUR 0.00
//   amount_due=EUR 90.00 status=PARTIALLY_PAID lines=2 credit_note "CN-1" customer="C-1"
//   issued=2026-09-02 amount=EUR 10.00 credits="INV-1" unapplied=EUR 0.00 payment "bank-7"
//   customer="C-1" received=2026-09-03 amount=EUR 5.00 allocations=[INV-1:5.00] unapplied=EUR 0.00
//   unapplied_cash "E2E-1" received=2026-09-03 amount=EUR 5.00 payer="Ortiz" status=OPEN
//   suggestions=1
//
// Customers in the server's order (by id), each followed by its documents.
#ifndef COLLECTIONS_TESTS_CONNECTORS_SAMPLES_STORED_LEDGER_H_
#define COLLECTIONS_TESTS_CONNECTORS_SAMPLES_STORED_LEDGER_H_

#include <string>
#include <vector>

#include "tests/api/test_server.h"

namespace collections::testing {

std::vector<std::string> StoredLedgerLines(TestServer& server, const std::string& tenant);

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_CONNECTORS_SAMPLES_STORED_LEDGER_H_
