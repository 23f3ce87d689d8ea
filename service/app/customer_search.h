// Finding an account by what a collector types: a word of the customer's
// name ("dental"), its reference in the accounting system ("C-1042") or one
// of its invoice numbers ("INV-1042"), by prefix and without case.
//
// The index lives in the store as documents of kind "customer_search", one
// per (term, customer), with the id "<term>|<customer id>", so that a
// prefix is a range of ids (Transaction::ListDocs after the prefix). A
// search reads at most kSearchScanRows index rows and the customers they
// name, never the ledger; the ledger's write path keeps the index in the
// transaction that changes a name or adds an invoice. Stores written
// before the index existed are indexed once at start-up
// (MigrateCustomerSearch).
#ifndef COLLECTIONS_APP_CUSTOMER_SEARCH_H_
#define COLLECTIONS_APP_CUSTOMER_SEARCH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/app/app_common.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

inline constexpr char kSearchKind[] = "customer_search";
// Index rows read by one search; the terms of a query's most selective
// word beyond this many are not looked at.
inline constexpr int kSearchScanRows = 500;

// The terms of a text: lower-case runs of letters and digits, plus the
// whole text lower-cased when it has other characters ("inv-1042" as well
// as "inv" and "1042"), each at most 64 bytes.
std::vector<std::string> SearchTerms(absl::string_view text);

// Keeps the index of `customer_id` in step with its name and reference:
// `before` is the stored customer (null when new), `after` the one written.
absl::Status IndexCustomer(store::Transaction& tx, const std::string& customer_id,
                           const v1::Customer* before, const v1::Customer& after);
// Adds an invoice number (or a changed one) to the index of its customer.
absl::Status IndexInvoiceNumber(store::Transaction& tx, const std::string& customer_id,
                                absl::string_view old_number, absl::string_view number);

struct SearchHit {
  std::string customer;  // resource name
  std::string display_name;
};

// Customers of `tenant` matching every word of `query` by prefix, by
// display name, at most `limit`. An empty query finds nothing.
// PERMISSION_DENIED when the caller may not read `tenant`.
absl::StatusOr<std::vector<SearchHit>> SearchCustomers(store::Store& store, const CallContext& ctx,
                                                       const std::string& tenant,
                                                       absl::string_view query, int limit);

// Indexes the customers and invoices of every tenant whose store has
// customers but no index yet, a few hundred per transaction.
absl::Status MigrateCustomerSearch(store::Store& store);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_CUSTOMER_SEARCH_H_
