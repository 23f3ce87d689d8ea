// What the collections service asks a host ledger to book: a late fee or
// interest charged to a customer, or the write-off of what is left of an
// invoice. The GnuCash and plain-text ledger writers take these; each writer
// turns them into its ledger's own shape (an invoice, a journal transaction).
#ifndef COLLECTIONS_CONNECTORS_COMMON_COLLECTION_ENTRY_H_
#define COLLECTIONS_CONNECTORS_COMMON_COLLECTION_ENTRY_H_

#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "service/domain/money.h"

namespace collections::connectors {

struct CollectionEntry {
  enum class Kind {
    kFee,       // a fixed late fee: an invoice to the customer
    kInterest,  // late-payment interest: an invoice to the customer
    kWriteOff,  // bad debt: receivable moved to an expense, no new invoice
  };
  Kind kind = Kind::kFee;
  // Stable id of the entry in the collections service (the fee's or
  // write-off's name); becomes the invoice id or transaction code, so that a
  // re-export is recognisable. 1..64 printable characters.
  std::string id;
  absl::CivilDay date;
  // The customer as the host ledger knows it: GnuCash customer id, or the
  // ledger account leaf / payee for journals.
  std::string customer;
  std::string customer_name;
  // The invoice the entry is about (may be empty for account-level fees).
  std::string invoice_number;
  std::string description;
  // > 0.
  domain::Money amount;
  // Due date of a fee invoice; `date` when unset.
  std::optional<absl::CivilDay> due_date;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_COLLECTION_ENTRY_H_
