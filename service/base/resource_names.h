// Resource names of collections_sidecar.v1 ("tenants/acme/customers/c-42/invoices/
// INV-1001") and the ids inside them. Every API entry point parses names
// here, so a malformed name is always the same INVALID_ARGUMENT.
#ifndef COLLECTIONS_BASE_RESOURCE_NAMES_H_
#define COLLECTIONS_BASE_RESOURCE_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::app {

// Collection segments of the child resources of a customer.
inline constexpr char kInvoices[] = "invoices";
inline constexpr char kPayments[] = "payments";
inline constexpr char kCreditNotes[] = "creditNotes";
// Collection segment of a tenant's outbox actions.
inline constexpr char kOutboxActions[] = "outboxActions";

struct CustomerName {
  std::string tenant;
  std::string customer;
};
struct ChildName {
  std::string tenant;
  std::string customer;
  std::string collection;  // e.g. "invoices"
  std::string id;
};

// A tenant id: 1..63 of [a-z0-9-], starting with a letter or digit.
bool IsValidTenantId(absl::string_view id);
// A resource id: 1..63 of [A-Za-z0-9._~-], not starting with '.'.
bool IsValidResourceId(absl::string_view id);

// Each parser returns INVALID_ARGUMENT (reason INVALID_RESOURCE_NAME) naming
// `field` when `name` does not have the expected shape.
absl::StatusOr<std::string> ParseTenantName(absl::string_view name, absl::string_view field);
absl::StatusOr<CustomerName> ParseCustomerName(absl::string_view name, absl::string_view field);
absl::StatusOr<ChildName> ParseChildName(absl::string_view name, absl::string_view collection,
                                         absl::string_view field);

// tenants/{tenant}/outboxActions/{action}.
struct OutboxActionName {
  std::string tenant;
  std::string id;
};
absl::StatusOr<OutboxActionName> ParseOutboxActionName(absl::string_view name,
                                                       absl::string_view field);

std::string TenantName(absl::string_view tenant);
std::string CustomerResource(absl::string_view tenant, absl::string_view customer);
std::string ChildResource(absl::string_view tenant, absl::string_view customer,
                          absl::string_view collection, absl::string_view id);
std::string OutboxActionResource(absl::string_view tenant, absl::string_view id);

// A deterministic resource id for a record known by its external id: the
// external id itself when it is a valid resource id, otherwise a lower-case
// slug of it plus 6 hex digits of a stable hash of "source/id". The same
// input gives the same id on every replica.
std::string IdFromExternalRef(absl::string_view source_system, absl::string_view external_id);

// Stable 64-bit FNV-1a hash (for ids and request fingerprints).
uint64_t StableHash(absl::string_view data);

}  // namespace collections::app

#endif  // COLLECTIONS_BASE_RESOURCE_NAMES_H_
