// What the collections service asks a host ledger to book: a late fee or
// interest charged to a customer, or the write-off of what is left of an
// invoice. The GnuCash and plain-text ledger writers take these; each writer
// turns them into its ledger's own shape (an invoice, a journal transaction).
#ifndef COLLECTIONS_CONNECTORS_COMMON_COLLECTION_ENTRY_H_
#define COLLECTIONS_CONNECTORS_COMMON_COLLECTION_ENTRY_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "service/base/errors.h"
#include "service/base/money.h"

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
  // The document number the debtor sees ("FEE-STAGE-9A75"); `id` when empty.
  std::string number;
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

// The entry's description, or "Late fee for invoice INV-1" and the like.
inline std::string DescribeEntry(const CollectionEntry& e) {
  if (!e.description.empty()) return e.description;
  const char* what = e.kind == CollectionEntry::Kind::kFee        ? "Late fee"
                     : e.kind == CollectionEntry::Kind::kInterest ? "Late payment interest"
                                                                  : "Write-off";
  return e.invoice_number.empty() ? what : absl::StrCat(what, " for invoice ", e.invoice_number);
}

// What every writer needs before writing anything: an id, a customer, a
// positive amount in a known currency; with `invoices_only`, no write-offs.
// InvalidArgument naming "entries[i].field" otherwise.
inline absl::Status ValidateEntries(absl::Span<const CollectionEntry> entries,
                                    bool invoices_only = false) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const CollectionEntry& e = entries[i];
    std::string field = absl::StrCat("entries[", i, "]");
    if (invoices_only && e.kind == CollectionEntry::Kind::kWriteOff) {
      return domain::InvalidInput("UNSUPPORTED_ENTRY", field,
                                  "a write-off is not an invoice; use a transaction export");
    }
    if (e.id.empty()) return domain::InvalidInput("MISSING_FIELD", field + ".id", "required");
    if (e.customer.empty()) {
      return domain::InvalidInput("MISSING_FIELD", field + ".customer", "required");
    }
    if (e.amount.minor <= 0 || !domain::IsKnownCurrency(e.amount.currency)) {
      return domain::InvalidInput("INVALID_AMOUNT", field + ".amount",
                                  "a positive amount in a known currency is required");
    }
  }
  return absl::OkStatus();
}

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_COLLECTION_ENTRY_H_
