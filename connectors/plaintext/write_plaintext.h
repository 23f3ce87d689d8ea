// Writes collection entries (late fees, interest, write-offs) as journal
// transactions that hledger, ledger and (in beancount mode) beancount
// accept, for appending to the books the customer is kept in:
//
//   2026-04-01 * (FEE-STAGE-9A75) Acme Trading GmbH | Late fee for invoice INV-1
//       ; collections-entry: fee-stage-9a75
//       ; document: FEE-STAGE-9A75
//       ; customer: 000001
//       ; for-invoice: INV-1
//       assets:receivable:000001     40.00 EUR
//       income:late fees            -40.00 EUR
//
// The transaction code is the document number. Account names cannot hold
// every customer id (beancount capitalises, ':' and ';' are syntax), so the
// identity travels in tags (ledger comments "; key: value", beancount
// metadata key: "value") that ParsePlaintextJournal reads back: a re-import
// gives the same customer, number and credited invoice (D7).
// A fee or interest debits the customer's receivable sub-account and
// credits income; a write-off debits the bad-debt expense and credits the
// receivable. Every transaction balances to zero in one commodity, written
// as the ISO code after the number with the currency's minor-unit decimals,
// so the journal's own checks (`hledger check`, `ledger balance`) hold.
#ifndef COLLECTIONS_CONNECTORS_PLAINTEXT_WRITE_PLAINTEXT_H_
#define COLLECTIONS_CONNECTORS_PLAINTEXT_WRITE_PLAINTEXT_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "connectors/common/collection_entry.h"

namespace collections::connectors {

struct JournalWriteOptions {
  enum class Dialect { kLedger, kBeancount };
  // kLedger output is read by both hledger and ledger.
  Dialect dialect = Dialect::kLedger;
  // The customer's account is "<receivable_account>:<customer>".
  std::string receivable_account = "assets:receivable";
  std::string fee_income_account = "income:late fees";
  std::string interest_income_account = "income:interest";
  std::string write_off_account = "expenses:bad debt";
};

// Appends one transaction per entry. InvalidArgument (nothing written) when
// an entry lacks an id or customer or has a non-positive amount; customer
// names are made safe for account names (no ';', brackets, or runs of
// spaces; beancount: capitalised words of letters, digits and '-').
absl::Status WriteJournal(std::ostream& out, absl::Span<const CollectionEntry> entries,
                          const JournalWriteOptions& options = {});

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_PLAINTEXT_WRITE_PLAINTEXT_H_
