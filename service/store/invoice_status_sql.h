// The invoice statuses as the store keeps them in invoices.status, and the
// SQL conditions both backends filter on. The values are those of
// collections_sidecar.v1.Invoice.Status; the store may not include the
// generated messages (docs/style.md, layers), so they are repeated here and
// checked against the enum by static_asserts where both are visible
// (service/app/invoice_status_check.cc): renumbering the enum breaks the
// build instead of the aging report.
#ifndef COLLECTIONS_STORE_INVOICE_STATUS_SQL_H_
#define COLLECTIONS_STORE_INVOICE_STATUS_SQL_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace collections::store {

inline constexpr int kInvoiceOpen = 1;
inline constexpr int kInvoicePartiallyPaid = 2;
inline constexpr int kInvoicePaid = 3;
inline constexpr int kInvoiceVoid = 4;
inline constexpr int kInvoiceWrittenOff = 5;

// "status IN (1,2)": the invoice still has money due (open or partially
// paid), what the aging report and the overdue filter count.
inline std::string OutstandingStatusSql() {
  return absl::StrCat("status IN (", kInvoiceOpen, ",", kInvoicePartiallyPaid, ")");
}

// "status<>4": every invoice but a voided one, which never was owed (aging
// as of a past day and by invoiced amount count paid and written-off ones).
inline std::string NotVoidStatusSql() { return absl::StrCat("status<>", kInvoiceVoid); }

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_INVOICE_STATUS_SQL_H_
