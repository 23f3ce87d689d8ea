// LedgerOps's mutations: the Apply* upserts of customers, invoices,
// payments and credit notes (maskless merges and update masks), the waiting
// credits applied to a new invoice, and VoidInvoice.

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "service/app/customer_search.h"
#include "service/app/ledger_ops.h"
#include "service/app/ledger_ops_internal.h"
#include "service/app/partial_update.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"
#include "service/messages/convert.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using domain::InvalidInput;
using google::protobuf::util::MessageDifferencer;
using ledger_internal::FillCurrency;
using ledger_internal::ValidateRef;

// Fields the caller provides (everything that is not output only).
v1::Customer CustomerInput(v1::Customer c) {
  c.clear_name();
  c.clear_create_time();
  c.clear_update_time();
  c.clear_etag();
  return c;
}
v1::Invoice InvoiceInput(v1::Invoice i) {
  i.clear_name();
  i.clear_status();
  i.clear_amount_due();
  i.clear_amount_paid();
  i.clear_amount_credited();
  i.clear_voided();
  i.clear_amount_written_off();
  i.clear_paid_date();
  i.clear_create_time();
  i.clear_update_time();
  i.clear_etag();
  return i;
}
// Payment and credit-note inputs compare without allocations, which are
// compared after resolution.
v1::Payment PaymentInput(v1::Payment p) {
  p.clear_name();
  p.clear_unapplied();
  p.clear_create_time();
  p.clear_allocations();
  return p;
}
v1::CreditNote CreditNoteInput(v1::CreditNote c) {
  c.clear_name();
  c.clear_unapplied();
  c.clear_create_time();
  c.clear_allocations();
  c.clear_invoice();
  c.clear_invoice_number();
  return c;
}

// Fields an update mask may not name: output only, or the record's key
// (external_ref: a record is found by it, so it cannot be changed by it).
const OutputOnlyFields& CustomerOutputOnly() {
  static const auto* f =
      new OutputOnlyFields{"name", "external_ref", "create_time", "update_time", "etag"};
  return *f;
}
const OutputOnlyFields& InvoiceOutputOnly() {
  static const auto* f = new OutputOnlyFields{
      "name",   "external_ref",       "status",    "amount_due",  "amount_paid", "amount_credited",
      "voided", "amount_written_off", "paid_date", "create_time", "update_time", "etag"};
  return *f;
}
const OutputOnlyFields& SettlingDocOutputOnly() {
  static const auto* f = new OutputOnlyFields{"name", "external_ref", "unapplied", "create_time"};
  return *f;
}

bool SameChannel(const v1::ContactChannel& a, const v1::ContactChannel& b) {
  return a.type() == b.type() && absl::EqualsIgnoreCase(a.address(), b.address());
}

// A maskless upsert's contacts are merged into the stored ones (README,
// "Partial updates"): a source system knows addresses but not what the
// debtor told the collector, so nothing is removed and a channel's consent
// and opt-out, once recorded, stay (Reg F §1006.6(d)(4): an opt-out must be
// honoured until the consumer revokes it).
void MergeContacts(const google::protobuf::RepeatedPtrField<v1::Contact>& incoming,
                   v1::Customer* stored) {
  for (const v1::Contact& in : incoming) {
    v1::Contact* target = nullptr;
    for (v1::Contact& c : *stored->mutable_contacts()) {
      if (absl::EqualsIgnoreCase(c.name(), in.name())) target = &c;
    }
    if (target == nullptr) {
      *stored->add_contacts() = in;
      continue;
    }
    if (!in.role().empty()) target->set_role(in.role());
    if (in.primary()) target->set_primary(true);
    for (const v1::ContactChannel& ch : in.channels()) {
      v1::ContactChannel* same = nullptr;
      for (v1::ContactChannel& have : *target->mutable_channels()) {
        if (SameChannel(have, ch)) same = &have;
      }
      if (same == nullptr) {
        *target->add_channels() = ch;
        continue;
      }
      if (ch.consent()) same->set_consent(true);
      if (ch.opted_out()) same->set_opted_out(true);
    }
  }
}

// The record a RecordPayment/RecordCreditNote applies: `given` without a
// mask; with one, the stored record (found by `given`'s external_ref) with
// the fields `mask` names taken from `given`, its allocations kept as
// resolved unless the mask names them.
template <typename Msg>
absl::StatusOr<Msg> MaskedSettlingDoc(store::Transaction& tx, const std::string& kind,
                                      const Msg& given, const google::protobuf::FieldMask& mask,
                                      absl::string_view field) {
  RETURN_IF_ERROR(
      ValidateUpdateMask(Msg::descriptor(), mask, SettlingDocOutputOnly(), "update_mask"));
  if (mask.paths_size() == 0) return given;
  RETURN_IF_ERROR(ValidateRef(given.external_ref(), absl::StrCat(field, ".external_ref")));
  ASSIGN_OR_RETURN(auto stored, tx.FindDocByRef(kind, RefKey(given.external_ref())));
  if (!stored) return given;
  Msg merged;
  if (!merged.ParseFromString(stored->body)) return absl::InternalError("bad stored document");
  merged.clear_name();
  merged.clear_unapplied();
  merged.clear_create_time();
  ApplyUpdateMask(given, mask, SettlingDocOutputOnly(), &merged);
  return merged;
}

}  // namespace

absl::StatusOr<ApplyResult> LedgerOps::ApplyCustomer(const v1::Customer& given,
                                                     const google::protobuf::FieldMask& mask) {
  RETURN_IF_ERROR(
      ValidateUpdateMask(v1::Customer::descriptor(), mask, CustomerOutputOnly(), "update_mask"));
  v1::Customer in = given;
  std::optional<store::Doc> existing;
  if (!in.has_external_ref() && !in.name().empty()) {
    // An update by resource name: the stored record supplies the key.
    ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(in.name(), "customer.name"));
    if (cn.tenant != tenant_) {
      return InvalidInput("CROSS_TENANT_REFERENCE", "customer.name", "names another tenant");
    }
    ASSIGN_OR_RETURN(existing, tx_.GetDoc(kCustomerKind, cn.customer));
    if (!existing) {
      return domain::NotFoundError("CUSTOMER_NOT_FOUND",
                                   absl::StrCat(in.name(),
                                                " does not exist; give external_ref "
                                                "to create it"));
    }
    v1::Customer stored;
    if (!stored.ParseFromString(existing->body)) return absl::InternalError("bad stored customer");
    *in.mutable_external_ref() = stored.external_ref();
  }
  RETURN_IF_ERROR(ValidateRef(in.external_ref(), "customer.external_ref"));
  const std::string ref = RefKey(in.external_ref());
  if (!existing) {
    ASSIGN_OR_RETURN(existing, tx_.FindDocByRef(kCustomerKind, ref));
  }
  v1::Customer next = CustomerInput(in);
  if (existing) {
    v1::Customer before;
    if (!before.ParseFromString(existing->body)) return absl::InternalError("bad stored customer");
    RETURN_IF_ERROR(CheckEtag(in.etag(), ComputeEtag(before), "customer.etag", before.name()));
    next = CustomerInput(before);
    if (mask.paths_size() > 0) {
      ApplyUpdateMask(in, mask, CustomerOutputOnly(), &next);
    } else {
      ApplyUpdateMask(in, PopulatedFields(in, CustomerOutputOnly(), {"contacts"}),
                      CustomerOutputOnly(), &next);
      MergeContacts(in.contacts(), &next);
    }
    RETURN_IF_ERROR(ValidateCustomer(next));
    if (MessageDifferencer::Equals(CustomerInput(before), next)) {
      return ApplyResult{v1::RecordOutcome::UNCHANGED, before.name()};
    }
    next.set_name(before.name());
    *next.mutable_create_time() = before.create_time();
    *next.mutable_update_time() = messages::Ts(clock_.Now());
    existing->body = next.SerializeAsString();
    existing->number.clear();
    RETURN_IF_ERROR(tx_.PutDoc(*existing));
    RETURN_IF_ERROR(IndexCustomer(tx_, existing->id, &before, next));
    RETURN_IF_ERROR(Event("customer.updated", next.name(), existing->id, &before, &next));
    return ApplyResult{v1::RecordOutcome::UPDATED, next.name()};
  }
  RETURN_IF_ERROR(ValidateCustomer(in));
  std::string id;
  if (!in.name().empty()) {
    ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(in.name(), "customer.name"));
    if (cn.tenant != tenant_) {
      return InvalidInput("CROSS_TENANT_REFERENCE", "customer.name", "names another tenant");
    }
    ASSIGN_OR_RETURN(auto clash, tx_.GetDoc(kCustomerKind, cn.customer));
    if (clash) {
      return domain::WithReason(
          absl::AlreadyExistsError(absl::StrCat(in.name(), " exists with another external_ref")),
          "CUSTOMER_ID_TAKEN");
    }
    id = cn.customer;
  } else {
    ASSIGN_OR_RETURN(id, ChooseDocId(kCustomerKind, in.external_ref()));
  }
  if (!in.etag().empty()) {
    return CheckEtag(in.etag(), "", "customer.etag", CustomerResource(tenant_, id));
  }
  next.set_name(CustomerResource(tenant_, id));
  *next.mutable_create_time() = messages::Ts(clock_.Now());
  *next.mutable_update_time() = next.create_time();
  RETURN_IF_ERROR(tx_.PutDoc(store::Doc{kCustomerKind, id, id, ref, "", next.SerializeAsString()}));
  RETURN_IF_ERROR(IndexCustomer(tx_, id, nullptr, next));
  known_customers_.insert(id);
  RETURN_IF_ERROR(Event("customer.created", next.name(), id, nullptr, &next));
  return ApplyResult{v1::RecordOutcome::CREATED, next.name()};
}

absl::StatusOr<ApplyResult> LedgerOps::ApplyInvoice(const std::string& customer_id,
                                                    const v1::Invoice& in,
                                                    const google::protobuf::FieldMask& mask) {
  RETURN_IF_ERROR(
      ValidateUpdateMask(v1::Invoice::descriptor(), mask, InvoiceOutputOnly(), "update_mask"));
  RETURN_IF_ERROR(ValidateRef(in.external_ref(), "invoice.external_ref"));
  RETURN_IF_ERROR(RequireCustomer(customer_id));
  const std::string ref = RefKey(in.external_ref());
  std::string new_id;
  ASSIGN_OR_RETURN(auto existing, FindInvoiceByRef(in.external_ref(), &new_id));
  store::InvoiceRow row;
  v1::Invoice before;
  v1::Invoice next = InvoiceInput(in);
  bool update = false;
  if (existing) {
    if (!before.ParseFromString(existing->body)) {
      return absl::InternalError(absl::StrCat("stored invoice ", existing->id, " (number ",
                                              existing->number, ") does not parse"));
    }
    if (existing->customer == customer_id) {
      RETURN_IF_ERROR(CheckEtag(in.etag(), ComputeEtag(before), "invoice.etag", before.name()));
    }
    next = InvoiceInput(before);
    ApplyUpdateMask(in, mask.paths_size() > 0 ? mask : PopulatedFields(in, InvoiceOutputOnly()),
                    InvoiceOutputOnly(), &next);
  } else if (!in.etag().empty()) {
    return CheckEtag(in.etag(), "", "invoice.etag", ref);
  }
  RETURN_IF_ERROR(ValidateInvoice(next));
  FillCurrency(next.mutable_total(), next.currency_code());
  if (next.has_tax()) FillCurrency(next.mutable_tax(), next.currency_code());
  if (existing) {
    if (existing->customer != customer_id) {
      return domain::WithField(
          domain::PreconditionError(
              "INVOICE_CUSTOMER_CHANGED",
              absl::StrCat("invoice ", ref, " belongs to ", before.name(),
                           "; moving an invoice to another customer is not supported")),
          "customer_ref", "differs from the invoice's customer");
    }
    if (MessageDifferencer::Equals(InvoiceInput(before), next)) {
      return ApplyResult{v1::RecordOutcome::UNCHANGED, before.name()};
    }
    const int64_t settled = existing->total - existing->amount_due;
    if (before.currency_code() != next.currency_code() && settled > 0) {
      return domain::PreconditionError(
          "INVOICE_CURRENCY_LOCKED",
          absl::StrCat(before.name(), " has allocations; its currency cannot change"));
    }
    if (next.total().minor_units() < settled) {
      return domain::PreconditionError(
          "INVOICE_TOTAL_BELOW_SETTLED",
          absl::StrCat(before.name(), ": new total ", domain::FormatMoney(ToMoney(next.total())),
                       " is below the ", domain::FormatMoney({existing->currency, settled}),
                       " already settled"));
    }
    row = *existing;
    update = true;
    next.set_name(before.name());
    next.set_voided(before.voided());
    *next.mutable_create_time() = before.create_time();
  } else {
    row.id = new_id;
    row.customer = customer_id;
    next.set_name(ChildResource(tenant_, customer_id, kInvoices, new_id));
    *next.mutable_create_time() = messages::Ts(clock_.Now());
  }
  *next.mutable_update_time() = messages::Ts(clock_.Now());
  ASSIGN_OR_RETURN(absl::CivilDay issue, ToDay(next.issue_date(), "invoice.issue_date"));
  ASSIGN_OR_RETURN(absl::CivilDay due, ToDay(next.due_date(), "invoice.due_date"));
  row.ref = ref;
  row.number = next.number();
  row.currency = next.currency_code();
  row.issue_day = domain::DayNumber(issue);
  row.due_day = domain::DayNumber(due);
  row.total = next.total().minor_units();
  const int64_t settled = update ? existing->total - existing->amount_due : 0;
  row.amount_due = row.total - settled;
  // Derived fields are finished by RefreshInvoice below.
  *next.mutable_amount_due() = ToProtoMoney(row.currency, row.amount_due);
  if (next.voided()) {
    next.set_status(v1::Invoice::VOID);
  } else {
    next.set_status(row.amount_due == 0 ? v1::Invoice::PAID
                    : settled > 0       ? v1::Invoice::PARTIALLY_PAID
                                        : v1::Invoice::OPEN);
  }
  row.status = next.status();
  row.body = next.SerializeAsString();
  RETURN_IF_ERROR(tx_.PutInvoice(row));
  RETURN_IF_ERROR(
      IndexInvoiceNumber(tx_, customer_id, update ? before.number() : "", next.number()));
  if (update) {
    RETURN_IF_ERROR(RefreshInvoice(row.id));
    ASSIGN_OR_RETURN(v1::Invoice after, LoadInvoice(customer_id, row.id));
    RETURN_IF_ERROR(Event("invoice.updated", after.name(), customer_id, &before, &after));
    return ApplyResult{v1::RecordOutcome::UPDATED, after.name()};
  }
  RETURN_IF_ERROR(Event("invoice.created", next.name(), customer_id, nullptr, &next));
  RETURN_IF_ERROR(ApplyWaitingCredits(customer_id, next));
  return ApplyResult{v1::RecordOutcome::CREATED, next.name()};
}

absl::StatusOr<ApplyResult> LedgerOps::ApplyPayment(const std::string& customer_id,
                                                    const v1::Payment& given,
                                                    const google::protobuf::FieldMask& mask) {
  ASSIGN_OR_RETURN(v1::Payment in, MaskedSettlingDoc(tx_, kPaymentKind, given, mask, "payment"));
  RETURN_IF_ERROR(ValidatePayment(in));
  RETURN_IF_ERROR(RequireCustomer(customer_id));
  const std::string ref = RefKey(in.external_ref());
  const std::string& ccy = in.amount().currency_code();
  v1::Payment before;
  std::string id;
  ASSIGN_OR_RETURN(auto existing, FindOwnedDoc(kPaymentKind, in.external_ref(), customer_id,
                                               "PAYMENT_CUSTOMER_CHANGED", &before, &id));
  ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(in.received_date(), "payment.received_date"));
  const bool same_input =
      existing && MessageDifferencer::Equals(PaymentInput(before), PaymentInput(in));
  if (same_input && in.allocations().empty()) {
    // A replay without explicit allocations keeps the allocation made first.
    return ApplyResult{v1::RecordOutcome::UNCHANGED, before.name()};
  }
  ASSIGN_OR_RETURN(auto rows, ResolveAllocations(customer_id, ccy, in.amount().minor_units(), day,
                                                 in.allocations(), kPaymentKind, id, "payment",
                                                 in.external_ref().source_system()));
  v1::Payment next = PaymentInput(in);
  next.set_name(ChildResource(tenant_, customer_id, kPayments, id));
  int64_t allocated = 0;
  for (const auto& r : rows) {
    auto* a = next.add_allocations();
    a->set_invoice(ChildResource(tenant_, customer_id, kInvoices, r.invoice_id));
    *a->mutable_amount() = ToProtoMoney(ccy, r.amount);
    allocated += r.amount;
  }
  *next.mutable_unapplied() = ToProtoMoney(ccy, in.amount().minor_units() - allocated);
  *next.mutable_create_time() = existing ? before.create_time() : messages::Ts(clock_.Now());
  return StoreSettlingDoc(kPaymentKind, "payment", id, customer_id, ref, "",
                          existing ? &before : nullptr, next, rows);
}

absl::StatusOr<ApplyResult> LedgerOps::ApplyCreditNote(const std::string& customer_id,
                                                       const v1::CreditNote& given,
                                                       const google::protobuf::FieldMask& mask) {
  ASSIGN_OR_RETURN(v1::CreditNote in,
                   MaskedSettlingDoc(tx_, kCreditNoteKind, given, mask, "credit_note"));
  RETURN_IF_ERROR(ValidateCreditNote(in));
  RETURN_IF_ERROR(RequireCustomer(customer_id));
  const std::string ref = RefKey(in.external_ref());
  const std::string& ccy = in.amount().currency_code();
  v1::CreditNote before;
  std::string id;
  ASSIGN_OR_RETURN(auto existing, FindOwnedDoc(kCreditNoteKind, in.external_ref(), customer_id,
                                               "CREDIT_NOTE_CUSTOMER_CHANGED", &before, &id));
  ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(in.issue_date(), "credit_note.issue_date"));
  // A credit note against one invoice credits it up to its amount due; the
  // rest stays as account credit.
  google::protobuf::RepeatedPtrField<v1::Allocation> allocations = in.allocations();
  std::string target_name;
  std::string waiting_reference;
  absl::StatusOr<std::optional<store::InvoiceRow>> found;
  if (!in.invoice().empty() || !in.invoice_number().empty()) {
    found = LookupInvoice(customer_id, in.invoice(), in.invoice_number(), "credit_note",
                          in.external_ref().source_system());
    // EN 16931 BG-3: the preceding invoice reference is information, not a
    // precondition. A credit note naming an invoice the service does not
    // hold (yet) is kept as unapplied credit with the reference, and
    // applied when that invoice arrives (ApplyWaitingCredits).
    const bool by_name = absl::StartsWith(in.invoice(), "tenants/");
    if (!found.ok() && domain::ReasonOf(found.status()) == "INVOICE_NOT_FOUND" && !by_name) {
      waiting_reference = in.invoice().empty() ? in.invoice_number() : in.invoice();
    } else if (!found.ok()) {
      return found.status();
    }
  }
  if (waiting_reference.empty() && (!in.invoice().empty() || !in.invoice_number().empty())) {
    const store::InvoiceRow* inv_row = &**found;
    if (inv_row->currency != ccy) {
      return InvalidInput("CREDIT_NOTE_CURRENCY_MISMATCH", "credit_note.amount.currency_code",
                          absl::StrCat("the credit note is in ", ccy, " but invoice ",
                                       inv_row->number, " is in ", inv_row->currency));
    }
    ASSIGN_OR_RETURN(auto held, tx_.ListSettlementsBySource(kCreditNoteKind, id));
    int64_t available = inv_row->amount_due;
    for (const auto& h : held) {
      if (h.invoice_id == inv_row->id) available += h.amount;
    }
    target_name = ChildResource(tenant_, customer_id, kInvoices, inv_row->id);
    allocations.Clear();
    const int64_t take = std::min(available, in.amount().minor_units());
    if (take > 0) {
      auto* a = allocations.Add();
      a->set_invoice(target_name);
      *a->mutable_amount() = ToProtoMoney(ccy, take);
    }
  }
  std::vector<store::SettlementRow> rows;
  if (!allocations.empty()) {
    ASSIGN_OR_RETURN(rows, ResolveAllocations(customer_id, ccy, in.amount().minor_units(), day,
                                              allocations, kCreditNoteKind, id, "credit_note",
                                              in.external_ref().source_system()));
  }
  v1::CreditNote next = CreditNoteInput(in);
  next.set_name(ChildResource(tenant_, customer_id, kCreditNotes, id));
  next.set_invoice(target_name);
  next.set_invoice_number(waiting_reference.empty() ? in.invoice_number() : waiting_reference);
  int64_t allocated = 0;
  for (const auto& r : rows) {
    auto* a = next.add_allocations();
    a->set_invoice(ChildResource(tenant_, customer_id, kInvoices, r.invoice_id));
    *a->mutable_amount() = ToProtoMoney(ccy, r.amount);
    allocated += r.amount;
  }
  *next.mutable_unapplied() = ToProtoMoney(ccy, in.amount().minor_units() - allocated);
  *next.mutable_create_time() = existing ? before.create_time() : messages::Ts(clock_.Now());
  return StoreSettlingDoc(kCreditNoteKind, "credit_note", id, customer_id, ref, in.number(),
                          existing ? &before : nullptr, next, rows);
}

absl::Status LedgerOps::ApplyWaitingCredits(const std::string& customer_id,
                                            const v1::Invoice& invoice) {
  std::vector<v1::CreditNote> waiting;
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto docs, tx_.ListDocs(kCreditNoteKind, customer_id, after, 500));
    for (const store::Doc& d : docs) {
      v1::CreditNote cn;
      if (!cn.ParseFromString(d.body)) return absl::InternalError("bad stored credit note");
      const std::string& named = cn.invoice_number();
      if (!cn.invoice().empty() || named.empty() || cn.unapplied().minor_units() <= 0 ||
          cn.amount().currency_code() != invoice.currency_code() ||
          ((named != invoice.number() || invoice.number().empty()) &&
           (named != invoice.external_ref().id() ||
            cn.external_ref().source_system() != invoice.external_ref().source_system()))) {
        continue;
      }
      waiting.push_back(std::move(cn));
    }
    if (docs.size() < 500) break;
    after = docs.back().id;
  }
  for (v1::CreditNote& cn : waiting) {
    const std::string reference = cn.invoice_number();
    v1::CreditNote input = CreditNoteInput(std::move(cn));
    input.set_invoice_number(reference);
    if (reference != invoice.number()) {
      input.clear_invoice_number();
      input.set_invoice(reference);  // an external id
    }
    RETURN_IF_ERROR(ApplyCreditNote(customer_id, input).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Invoice> LedgerOps::VoidInvoice(const std::string& customer_id,
                                                   const std::string& invoice_id,
                                                   const std::string& reason) {
  ASSIGN_OR_RETURN(v1::Invoice before, LoadInvoice(customer_id, invoice_id));
  if (before.voided()) return before;
  ASSIGN_OR_RETURN(auto settlements, tx_.ListSettlements({invoice_id}));
  if (!settlements.empty()) {
    return domain::PreconditionError(
        "INVOICE_HAS_ALLOCATIONS",
        absl::StrCat(before.name(), " has payments or credits allocated; reverse them first"));
  }
  ASSIGN_OR_RETURN(auto row, tx_.GetInvoice(invoice_id));
  v1::Invoice after = before;
  after.set_voided(true);
  after.set_status(v1::Invoice::VOID);
  *after.mutable_amount_due() = ToProtoMoney(row->currency, 0);
  *after.mutable_update_time() = messages::Ts(clock_.Now());
  row->status = v1::Invoice::VOID;
  row->amount_due = 0;
  row->body = after.SerializeAsString();
  RETURN_IF_ERROR(tx_.PutInvoice(*row));
  RETURN_IF_ERROR(Event("invoice.voided", after.name(), customer_id, &before, &after));
  return after;
}

}  // namespace collections::app
