// The ledger's mutations inside one store transaction: validate, upsert by
// external reference, allocate, refresh derived invoice state, append audit
// events. LedgerApp's RPCs and SyncLedger chunks are built from these, and
// other application services (arrangements: fee invoices, settlement credit
// notes, write-offs) reuse them so balances are derived in exactly one place.
#ifndef COLLECTIONS_APP_LEDGER_OPS_H_
#define COLLECTIONS_APP_LEDGER_OPS_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/app/app_common.h"
#include "service/domain/ledger.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

inline constexpr char kCustomerKind[] = "customer";
inline constexpr char kPaymentKind[] = "payment";
inline constexpr char kCreditNoteKind[] = "credit_note";
inline constexpr char kWriteOffKind[] = "write_off";

struct ApplyResult {
  v1::RecordOutcome::Kind kind = v1::RecordOutcome::KIND_UNSPECIFIED;
  std::string name;  // resource name
};

// Everything the ledger knows about one account, for summaries and the
// recovery engine.
struct AccountSnapshot {
  v1::Customer customer;
  std::vector<v1::Invoice> invoices;                 // every status
  std::vector<domain::InvoiceState> invoice_states;  // same order
  std::vector<v1::Payment> payments;
  std::vector<v1::CreditNote> credit_notes;
  std::vector<domain::CreditState> credits;  // unapplied amounts, dated
  std::vector<absl::CivilDay> payment_days;
};

class LedgerOps {
 public:
  // Ledger writes of `tenant` inside `tx`; the audit events they append
  // carry `request_id` (may be empty). Field paths in its errors are relative
  // to the record: a caller that handles several records prefixes them
  // itself (SyncLedger reports "records[3].invoice.due_date").
  LedgerOps(store::Transaction& tx, const domain::Clock& clock, const CallContext& ctx,
            std::string tenant, std::string request_id)
      : tx_(tx),
        clock_(clock),
        ctx_(ctx),
        tenant_(std::move(tenant)),
        request_id_(std::move(request_id)) {}

  // Static checks that need no stored state (shape, ranges, currencies).
  // `complete` = false checks only the fields that are set (the shape of a
  // partial update before it is merged with the stored record).
  static absl::Status ValidateCustomer(const v1::Customer& c, bool complete = true);
  static absl::Status ValidateInvoice(const v1::Invoice& inv);
  static absl::Status ValidatePayment(const v1::Payment& p);
  static absl::Status ValidateCreditNote(const v1::CreditNote& cn);

  // Upserts by external reference (partial_update.h, README "Partial
  // updates"). An existing customer or invoice takes the fields `mask` names
  // or, with an empty mask, the fields `in` populates (a customer's contacts
  // merged); a payment or credit note takes the fields `mask` names or, with
  // an empty mask, is replaced. A set etag must match the stored record's
  // (ABORTED ETAG_MISMATCH). A customer may be named by `name` alone.
  absl::StatusOr<ApplyResult> ApplyCustomer(
      const v1::Customer& in,
      const google::protobuf::FieldMask& mask = google::protobuf::FieldMask());
  // `customer_id` must exist (NotFound otherwise).
  absl::StatusOr<ApplyResult> ApplyInvoice(
      const std::string& customer_id, const v1::Invoice& in,
      const google::protobuf::FieldMask& mask = google::protobuf::FieldMask());
  absl::StatusOr<ApplyResult> ApplyPayment(
      const std::string& customer_id, const v1::Payment& in,
      const google::protobuf::FieldMask& mask = google::protobuf::FieldMask());
  absl::StatusOr<ApplyResult> ApplyCreditNote(
      const std::string& customer_id, const v1::CreditNote& in,
      const google::protobuf::FieldMask& mask = google::protobuf::FieldMask());
  absl::StatusOr<v1::Invoice> VoidInvoice(const std::string& customer_id,
                                          const std::string& invoice_id, const std::string& reason);

  // Resolves a customer reference of a record from `source_system`: a
  // resource name of this tenant, or the customer's external id.
  absl::StatusOr<std::string> ResolveCustomer(const std::string& ref,
                                              const std::string& source_system);

  // Recomputes amount due, status and paid date of an invoice from its
  // settlements; writes and audits a status change.
  absl::Status RefreshInvoice(const std::string& invoice_id);

  // Replaces every settlement of (source_kind, source_id) with `rows` and
  // refreshes the invoices touched (before and after). Used directly by
  // write-offs ("write_off" rows); payments and credit notes go through
  // ApplyPayment / ApplyCreditNote.
  // Finds the payment or credit note with external reference `ref`, parsed
  // into *before, refusing one owned by another customer; sets *id to its id
  // or to a new one.
  absl::StatusOr<std::optional<store::Doc>> FindOwnedDoc(
      const std::string& kind, const v1::ExternalRef& ref, const std::string& customer_id,
      const std::string& moved_reason, google::protobuf::Message* before, std::string* id);
  // Writes a payment or credit note with its settlements and audit event;
  // UNCHANGED (and nothing written) when `next` equals `before`.
  absl::StatusOr<ApplyResult> StoreSettlingDoc(const std::string& kind,
                                               absl::string_view event_noun, const std::string& id,
                                               const std::string& customer_id,
                                               const std::string& ref, const std::string& number,
                                               const google::protobuf::Message* before,
                                               const google::protobuf::Message& next,
                                               const std::vector<store::SettlementRow>& rows);
  absl::Status ApplySettlements(const std::string& source_kind, const std::string& source_id,
                                const std::vector<store::SettlementRow>& rows);

  // NotFound (CUSTOMER_NOT_FOUND) when the customer does not exist.
  absl::StatusOr<v1::Customer> LoadCustomer(const std::string& customer_id);
  // The same check without the body, and without a query for a customer
  // this LedgerOps already found, created or loaded (customers are never
  // deleted, and a LedgerOps lives in one transaction).
  absl::Status RequireCustomer(const std::string& customer_id);
  absl::StatusOr<v1::Invoice> LoadInvoice(const std::string& customer_id,
                                          const std::string& invoice_id);
  absl::StatusOr<AccountSnapshot> LoadAccount(const std::string& customer_id);

  // Converts a stored invoice row and its settlements into domain state.
  static domain::InvoiceState ToInvoiceState(const store::InvoiceRow& row,
                                             const std::vector<store::SettlementRow>& settlements);

  const std::string& tenant() const { return tenant_; }
  store::Transaction& tx() { return tx_; }

 private:
  // Resolves allocations of a payment or credit note to settlement rows.
  absl::StatusOr<std::vector<store::SettlementRow>> ResolveAllocations(
      const std::string& customer_id, const std::string& currency, int64_t amount,
      absl::CivilDay day, const google::protobuf::RepeatedPtrField<v1::Allocation>& allocations,
      const std::string& source_kind, const std::string& source_id, const std::string& field,
      const std::string& source_system);
  // The customer's invoice that `invoice` names: its resource name, else its
  // ExternalRef.id in `source_system` (the referring document's), else its
  // number; `number` alone is looked up as a number (ledger.proto,
  // Allocation.invoice). NotFound (INVOICE_NOT_FOUND) when none matches.
  absl::StatusOr<std::optional<store::InvoiceRow>> LookupInvoice(const std::string& customer_id,
                                                                 const std::string& invoice,
                                                                 const std::string& number,
                                                                 const std::string& field,
                                                                 const std::string& source_system);
  // Applies the customer's unapplied credit notes that name `invoice` (by
  // number or external id) but arrived before it.
  absl::Status ApplyWaitingCredits(const std::string& customer_id, const v1::Invoice& invoice);
  absl::Status Event(absl::string_view type, absl::string_view resource,
                     absl::string_view customer_id, const google::protobuf::Message* before,
                     const google::protobuf::Message* after);
  // A new id for a document of `kind` with reference `ref`: the readable
  // form when free, else the hashed one.
  absl::StatusOr<std::string> ChooseDocId(absl::string_view kind, const v1::ExternalRef& ref);
  // The invoice with reference `ref`, usually in one lookup; when there is
  // none, *new_id is the id a new invoice with that reference takes.
  absl::StatusOr<std::optional<store::InvoiceRow>> FindInvoiceByRef(const v1::ExternalRef& ref,
                                                                    std::string* new_id);

  store::Transaction& tx_;
  const domain::Clock& clock_;
  const CallContext& ctx_;
  std::string tenant_;
  std::string request_id_;
  std::set<std::string> known_customers_;  // exist in this transaction
};

// "source_system/id", the stored form of an ExternalRef.
std::string RefKey(const v1::ExternalRef& ref);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_LEDGER_OPS_H_
