// What ledger_ops.cc shares with its parts, ledger_validate.cc (the
// Validate* checks) and ledger_apply.cc (the Apply* mutations and
// VoidInvoice): the external-reference check and the currency default that
// both validation and the mutations use. Not for other files.
#ifndef COLLECTIONS_SERVICE_APP_LEDGER_OPS_INTERNAL_H_
#define COLLECTIONS_SERVICE_APP_LEDGER_OPS_INTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "collections_sidecar/v1/ledger.pb.h"

namespace collections::app::ledger_internal {

namespace v1 = ::collections_sidecar::v1;

// An external reference: source_system of 1..64 characters of [a-z0-9._-]
// and an id of 1..256 characters without control characters. `field` names
// the reference in the error.
absl::Status ValidateRef(const v1::ExternalRef& ref, absl::string_view field);

// Normalises amounts that omit their currency to the document currency.
void FillCurrency(v1::Money* m, const std::string& currency);

}  // namespace collections::app::ledger_internal

#endif  // COLLECTIONS_SERVICE_APP_LEDGER_OPS_INTERNAL_H_
