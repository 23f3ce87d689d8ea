// The store's invoice status numbers (service/store/invoice_status_sql.h)
// are collections_sidecar.v1.Invoice.Status's: the store may not include the
// generated messages, so the check lives here, where both are visible.
// Renumbering the enum fails the build instead of the aging report.
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/store/invoice_status_sql.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

static_assert(store::kInvoiceOpen == v1::Invoice::OPEN);
static_assert(store::kInvoicePartiallyPaid == v1::Invoice::PARTIALLY_PAID);
static_assert(store::kInvoicePaid == v1::Invoice::PAID);
static_assert(store::kInvoiceVoid == v1::Invoice::VOID);
static_assert(store::kInvoiceWrittenOff == v1::Invoice::WRITTEN_OFF);

}  // namespace collections::app
