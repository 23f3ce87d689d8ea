#include "service/app/ledger_ops.h"

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
#include "service/app/partial_update.h"
#include "service/base/resource_names.h"
#include "service/domain/amount_limits.h"
#include "service/messages/convert.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using domain::InvalidInput;
using google::protobuf::util::MessageDifferencer;

bool IsValidSourceSystem(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

absl::Status ValidateRef(const v1::ExternalRef& ref, absl::string_view field) {
  if (!IsValidSourceSystem(ref.source_system())) {
    return InvalidInput("INVALID_EXTERNAL_REF", absl::StrCat(field, ".source_system"),
                        "required: 1..64 characters of [a-z0-9._-]");
  }
  if (ref.id().empty() || ref.id().size() > 256) {
    return InvalidInput("INVALID_EXTERNAL_REF", absl::StrCat(field, ".id"),
                        "required: 1..256 characters");
  }
  for (unsigned char c : ref.id()) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidInput("INVALID_EXTERNAL_REF", absl::StrCat(field, ".id"),
                          "contains a control character");
    }
  }
  return absl::OkStatus();
}

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
      "name",     "external_ref",       "status",    "amount_due",  "amount_paid", "amount_credited",
      "voided",   "amount_written_off", "paid_date", "create_time", "update_time", "etag"};
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

// Normalises amounts that omit their currency to the document currency.
void FillCurrency(v1::Money* m, const std::string& currency) {
  if (m->currency_code().empty()) m->set_currency_code(currency);
}

}  // namespace

std::string RefKey(const v1::ExternalRef& ref) {
  return absl::StrCat(ref.source_system(), "/", ref.id());
}

// ---------------------------------------------------------------- validation

absl::Status LedgerOps::ValidateCustomer(const v1::Customer& c, bool complete) {
  RETURN_IF_ERROR(ValidateRef(c.external_ref(), "customer.external_ref"));
  if ((complete && c.display_name().empty()) || c.display_name().size() > 200) {
    return InvalidInput("INVALID_DISPLAY_NAME", "customer.display_name",
                        "required: 1..200 characters");
  }
  if (complete && c.kind() == v1::CUSTOMER_KIND_UNSPECIFIED) {
    return InvalidInput("CUSTOMER_KIND_UNSPECIFIED", "customer.kind",
                        "must be CUSTOMER_KIND_BUSINESS or CUSTOMER_KIND_CONSUMER");
  }
  if (!c.time_zone().empty()) {
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(c.time_zone(), &tz)) {
      return InvalidInput("INVALID_TIME_ZONE", "customer.time_zone",
                          absl::StrCat("\"", c.time_zone(), "\" is not an IANA time zone"));
    }
  }
  if (c.payment_terms_days() < 0 || c.payment_terms_days() > 3650) {
    return InvalidInput("INVALID_PAYMENT_TERMS", "customer.payment_terms_days", "must be 0..3650");
  }
  if (c.has_credit_limit()) {
    RETURN_IF_ERROR(CheckMoney(c.credit_limit(), "", 0, "customer.credit_limit"));
  }
  if (c.relationship().has_lifetime_revenue()) {
    RETURN_IF_ERROR(CheckMoney(c.relationship().lifetime_revenue(), "", 0,
                               "customer.relationship.lifetime_revenue"));
  }
  for (int i = 0; i < c.relationship().tags_size(); ++i) {
    const auto& t = c.relationship().tags(i);
    if (t.empty() || t.size() > 64) {
      return InvalidInput("INVALID_TAG", absl::StrCat("customer.relationship.tags[", i, "]"),
                          "tags are 1..64 characters");
    }
  }
  for (int i = 0; i < c.contacts_size(); ++i) {
    for (int j = 0; j < c.contacts(i).channels_size(); ++j) {
      const auto& ch = c.contacts(i).channels(j);
      std::string f = absl::StrCat("customer.contacts[", i, "].channels[", j, "]");
      if (ch.type() == v1::ContactChannel::TYPE_UNSPECIFIED) {
        return InvalidInput("CHANNEL_TYPE_UNSPECIFIED", absl::StrCat(f, ".type"),
                            "must be EMAIL, PHONE, SMS or POSTAL");
      }
      if (ch.address().empty()) {
        return InvalidInput("INVALID_CHANNEL_ADDRESS", absl::StrCat(f, ".address"), "required");
      }
    }
  }
  if (!c.country_code().empty() &&
      (c.country_code().size() != 2 || !absl::ascii_isupper(c.country_code()[0]) ||
       !absl::ascii_isupper(c.country_code()[1]))) {
    return InvalidInput("INVALID_COUNTRY", "customer.country_code",
                        "two upper-case ISO 3166 letters");
  }
  return absl::OkStatus();
}

absl::Status LedgerOps::ValidateInvoice(const v1::Invoice& inv) {
  RETURN_IF_ERROR(ValidateRef(inv.external_ref(), "invoice.external_ref"));
  if (inv.number().empty() || inv.number().size() > 64) {
    return InvalidInput("INVALID_INVOICE_NUMBER", "invoice.number", "required: 1..64 characters");
  }
  if (!domain::IsKnownCurrency(inv.currency_code())) {
    return InvalidInput("UNKNOWN_CURRENCY", "invoice.currency_code",
                        absl::StrCat("\"", inv.currency_code(), "\" is not an ISO 4217 code"));
  }
  ASSIGN_OR_RETURN(absl::CivilDay issue, ToDay(inv.issue_date(), "invoice.issue_date"));
  ASSIGN_OR_RETURN(absl::CivilDay due, ToDay(inv.due_date(), "invoice.due_date"));
  if (due < issue) {
    return InvalidInput("INVOICE_DUE_BEFORE_ISSUE", "invoice.due_date",
                        absl::StrCat(domain::FormatIsoDay(due), " is before issue_date ",
                                     domain::FormatIsoDay(issue)));
  }
  v1::Money total = inv.total();
  FillCurrency(&total, inv.currency_code());
  if (total.currency_code() != inv.currency_code()) {
    return InvalidInput("CURRENCY_MISMATCH", "invoice.total.currency_code",
                        absl::StrCat(total.currency_code(), " differs from the invoice currency ",
                                     inv.currency_code()));
  }
  if (total.minor_units() < 0) {
    return InvalidInput("INVOICE_NEGATIVE_TOTAL", "invoice.total.minor_units",
                        "an invoice total is never negative; record a credit note instead");
  }
  RETURN_IF_ERROR(domain::CheckAmountCeiling(total.minor_units(), inv.currency_code(),
                                             "invoice.total.minor_units"));
  if (inv.has_tax()) {
    v1::Money tax = inv.tax();
    FillCurrency(&tax, inv.currency_code());
    RETURN_IF_ERROR(CheckMoney(tax, inv.currency_code(), 0, "invoice.tax"));
    if (tax.minor_units() > total.minor_units()) {
      return InvalidInput("INVOICE_TAX_ABOVE_TOTAL", "invoice.tax.minor_units",
                          "tax is part of the total and cannot exceed it");
    }
  }
  for (int i = 0; i < inv.lines_size(); ++i) {
    const auto& l = inv.lines(i);
    std::string f = absl::StrCat("invoice.lines[", i, "]");
    for (const auto& [m, name] : {std::pair{&l.unit_price(), "unit_price"},
                                  std::pair{&l.amount(), "amount"}, std::pair{&l.tax(), "tax"}}) {
      if (!m->currency_code().empty() && m->currency_code() != inv.currency_code()) {
        return InvalidInput("CURRENCY_MISMATCH", f,
                            absl::StrCat("line amounts must be in ", inv.currency_code()));
      }
      RETURN_IF_ERROR(domain::CheckAmountCeiling(m->minor_units(), inv.currency_code(),
                                                 absl::StrCat(f, ".", name, ".minor_units")));
    }
  }
  const auto& fee = inv.terms().late_fee();
  if (fee.percentage_bp() < 0 || fee.annual_rate_bp() < 0) {
    return InvalidInput("INVALID_LATE_FEE", "invoice.terms.late_fee", "rates are not negative");
  }
  return absl::OkStatus();
}

absl::Status LedgerOps::ValidatePayment(const v1::Payment& p) {
  RETURN_IF_ERROR(ValidateRef(p.external_ref(), "payment.external_ref"));
  RETURN_IF_ERROR(CheckMoney(p.amount(), "", 1, "payment.amount"));
  RETURN_IF_ERROR(ToDay(p.received_date(), "payment.received_date").status());
  int64_t sum = 0;
  for (int i = 0; i < p.allocations_size(); ++i) {
    const auto& a = p.allocations(i);
    std::string f = absl::StrCat("payment.allocations[", i, "]");
    v1::Money m = a.amount();
    FillCurrency(&m, p.amount().currency_code());
    RETURN_IF_ERROR(CheckMoney(m, p.amount().currency_code(), 1, absl::StrCat(f, ".amount")));
    if (a.invoice().empty() && a.invoice_number().empty()) {
      return InvalidInput("ALLOCATION_WITHOUT_INVOICE", absl::StrCat(f, ".invoice"),
                          "name the invoice (resource name or invoice_number)");
    }
    if (domain::AddOverflows(sum, m.minor_units(), &sum) || sum > p.amount().minor_units()) {
      return InvalidInput("PAYMENT_OVER_ALLOCATED", f,
                          absl::StrCat("allocations exceed the payment amount ",
                                       domain::FormatMoney(ToMoney(p.amount()))));
    }
  }
  return absl::OkStatus();
}

absl::Status LedgerOps::ValidateCreditNote(const v1::CreditNote& cn) {
  RETURN_IF_ERROR(ValidateRef(cn.external_ref(), "credit_note.external_ref"));
  RETURN_IF_ERROR(CheckMoney(cn.amount(), "", 1, "credit_note.amount"));
  RETURN_IF_ERROR(ToDay(cn.issue_date(), "credit_note.issue_date").status());
  const bool targeted = !cn.invoice().empty() || !cn.invoice_number().empty();
  if (targeted && cn.allocations_size() > 0) {
    return InvalidInput("CREDIT_NOTE_TARGET_AMBIGUOUS", "credit_note.allocations",
                        "give either the corrected invoice or allocations, not both");
  }
  int64_t sum = 0;
  for (int i = 0; i < cn.allocations_size(); ++i) {
    std::string f = absl::StrCat("credit_note.allocations[", i, "]");
    v1::Money m = cn.allocations(i).amount();
    FillCurrency(&m, cn.amount().currency_code());
    RETURN_IF_ERROR(CheckMoney(m, cn.amount().currency_code(), 1, absl::StrCat(f, ".amount")));
    if (domain::AddOverflows(sum, m.minor_units(), &sum) || sum > cn.amount().minor_units()) {
      return InvalidInput("CREDIT_NOTE_OVER_ALLOCATED", f, "allocations exceed the credit amount");
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------ helpers

absl::Status LedgerOps::Event(absl::string_view type, absl::string_view resource,
                              absl::string_view customer_id,
                              const google::protobuf::Message* before,
                              const google::protobuf::Message* after) {
  return AppendEvent(tx_, clock_, ctx_, tenant_, type, resource,
                     CustomerResource(tenant_, customer_id), before, after, request_id_);
}

namespace {

// The id of a reference whose readable id another reference already holds:
// unique per (source_system, id).
std::string HashedDocId(const v1::ExternalRef& ref) {
  return absl::StrFormat("x%016x", StableHash(RefKey(ref)));
}

}  // namespace

absl::StatusOr<std::string> LedgerOps::ChooseDocId(absl::string_view kind,
                                                   const v1::ExternalRef& ref) {
  std::string id = IdFromExternalRef(ref.source_system(), ref.id());
  ASSIGN_OR_RETURN(auto doc, tx_.GetDoc(kind, id));
  if (!doc.has_value()) return id;
  return HashedDocId(ref);
}

absl::StatusOr<std::optional<store::InvoiceRow>> LedgerOps::FindInvoiceByRef(
    const v1::ExternalRef& ref, std::string* new_id) {
  const std::string key = RefKey(ref);
  if (IsValidResourceId(ref.id())) {
    // One lookup. Invoice ids are given only here: the reference's id when
    // free, else HashedDocId; invoices are never deleted. So when no invoice
    // has the reference's id, no invoice has the reference either. (Ids
    // that are not valid resource ids took another readable form before
    // 2026-11-22, so they are looked up by reference below.)
    ASSIGN_OR_RETURN(std::optional<store::InvoiceRow> row, tx_.GetInvoice(ref.id()));
    if (!row.has_value()) {
      *new_id = ref.id();
      return row;
    }
    if (row->ref == key) return row;
    // The id is another reference's: this one, if stored, has the hashed id.
    *new_id = HashedDocId(ref);
    return tx_.FindInvoiceByRef(key);
  }
  ASSIGN_OR_RETURN(std::optional<store::InvoiceRow> row, tx_.FindInvoiceByRef(key));
  if (row.has_value()) return row;
  const std::string readable = IdFromExternalRef(ref.source_system(), ref.id());
  ASSIGN_OR_RETURN(auto taken, tx_.GetInvoice(readable));
  *new_id = taken.has_value() ? HashedDocId(ref) : readable;
  return row;
}

absl::StatusOr<v1::Customer> LedgerOps::LoadCustomer(const std::string& customer_id) {
  ASSIGN_OR_RETURN(auto doc, tx_.GetDoc(kCustomerKind, customer_id));
  if (!doc) {
    return domain::NotFoundError("CUSTOMER_NOT_FOUND",
                                 absl::StrCat(CustomerResource(tenant_, customer_id),
                                              " does not exist"));
  }
  v1::Customer c;
  if (!c.ParseFromString(doc->body)) return absl::InternalError("stored customer does not parse");
  known_customers_.insert(customer_id);
  return c;
}

absl::Status LedgerOps::RequireCustomer(const std::string& customer_id) {
  if (known_customers_.count(customer_id) > 0) return absl::OkStatus();
  return LoadCustomer(customer_id).status();
}

absl::StatusOr<v1::Invoice> LedgerOps::LoadInvoice(const std::string& customer_id,
                                                   const std::string& invoice_id) {
  ASSIGN_OR_RETURN(auto row, tx_.GetInvoice(invoice_id));
  if (!row || row->customer != customer_id) {
    return domain::NotFoundError(
        "INVOICE_NOT_FOUND",
        absl::StrCat(ChildResource(tenant_, customer_id, kInvoices, invoice_id), " does not exist"));
  }
  v1::Invoice inv;
  if (!inv.ParseFromString(row->body)) return absl::InternalError("stored invoice does not parse");
  return inv;
}

absl::StatusOr<std::string> LedgerOps::ResolveCustomer(const std::string& ref,
                                                       const std::string& source_system) {
  if (absl::StartsWith(ref, "tenants/")) {
    ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(ref, "customer_ref"));
    if (cn.tenant != tenant_) {
      return InvalidInput("CROSS_TENANT_REFERENCE", "customer_ref",
                          "refers to a customer of another tenant");
    }
    RETURN_IF_ERROR(LoadCustomer(cn.customer).status());
    return cn.customer;
  }
  if (ref.empty()) {
    return InvalidInput("MISSING_CUSTOMER", "customer_ref",
                        "name the customer by resource name or external id");
  }
  ASSIGN_OR_RETURN(auto doc, tx_.FindDocByRef(kCustomerKind, absl::StrCat(source_system, "/", ref)));
  if (!doc && ref.find('/') != std::string::npos) {
    // "source_system/id": a customer known in another system (a bank
    // payment for an ERP customer).
    ASSIGN_OR_RETURN(doc, tx_.FindDocByRef(kCustomerKind, ref));
  }
  if (!doc) {
    return domain::WithField(
        domain::NotFoundError("CUSTOMER_NOT_FOUND",
                              absl::StrCat("customer_ref: no customer with external id \"", ref,
                                           "\" in source system \"", source_system, "\"")),
        "customer_ref", "unknown customer");
  }
  known_customers_.insert(doc->id);
  return doc->id;
}

domain::InvoiceState LedgerOps::ToInvoiceState(const store::InvoiceRow& row,
                                               const std::vector<store::SettlementRow>& settlements) {
  domain::InvoiceState s;
  s.id = row.id;
  s.number = row.number;
  s.customer = row.customer;
  s.currency = row.currency;
  s.issue_date = domain::DayFromNumber(row.issue_day);
  s.due_date = domain::DayFromNumber(row.due_day);
  s.total = row.total;
  s.voided = row.status == v1::Invoice::VOID;
  for (const auto& r : settlements) {
    if (r.invoice_id != row.id) continue;
    domain::SettlementKind k = r.source_kind == kPaymentKind      ? domain::SettlementKind::kPayment
                               : r.source_kind == kWriteOffKind ? domain::SettlementKind::kWriteOff
                                                                : domain::SettlementKind::kCreditNote;
    s.settlements.push_back({k, domain::DayFromNumber(r.day), r.amount});
  }
  return s;
}

absl::Status LedgerOps::RefreshInvoice(const std::string& invoice_id) {
  ASSIGN_OR_RETURN(auto row, tx_.GetInvoice(invoice_id));
  if (!row) return absl::InternalError(absl::StrCat("invoice ", invoice_id, " vanished"));
  ASSIGN_OR_RETURN(auto settlements, tx_.ListSettlements({invoice_id}));
  domain::InvoiceState st = ToInvoiceState(*row, settlements);
  v1::Invoice before;
  if (!before.ParseFromString(row->body)) return absl::InternalError("stored invoice does not parse");
  v1::Invoice after = before;
  const std::string& ccy = row->currency;
  const int64_t due = st.AmountDue();
  if (due < 0) {
    return domain::PreconditionError(
        "INVOICE_OVER_SETTLED",
        absl::StrCat(before.name(), " would be settled beyond its total (amount due ", due, ")"));
  }
  *after.mutable_amount_due() = ToProtoMoney(ccy, due);
  *after.mutable_amount_paid() = ToProtoMoney(ccy, st.Settled(domain::SettlementKind::kPayment));
  *after.mutable_amount_credited() =
      ToProtoMoney(ccy, st.Settled(domain::SettlementKind::kCreditNote));
  *after.mutable_amount_written_off() =
      ToProtoMoney(ccy, st.Settled(domain::SettlementKind::kWriteOff));
  domain::InvoiceStatus status = domain::DeriveStatus(st);
  after.set_status(static_cast<v1::Invoice::Status>(static_cast<int>(status) + 1));
  if (auto paid = st.PaidDate(); paid && status == domain::InvoiceStatus::kPaid) {
    *after.mutable_paid_date() = ToProtoDate(*paid);
  } else {
    after.clear_paid_date();
  }
  if (MessageDifferencer::Equals(before, after)) return absl::OkStatus();
  *after.mutable_update_time() = messages::Ts(clock_.Now());
  row->amount_due = due;
  row->status = after.status();
  row->body = after.SerializeAsString();
  RETURN_IF_ERROR(tx_.PutInvoice(*row));
  if (before.status() != after.status()) {
    RETURN_IF_ERROR(Event("invoice.status_changed", after.name(), row->customer, &before, &after));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<store::InvoiceRow>> LedgerOps::LookupInvoice(
    const std::string& customer_id, const std::string& invoice, const std::string& number,
    const std::string& f, const std::string& source_system) {
  std::optional<store::InvoiceRow> row;
  if (!invoice.empty()) {
    auto name = ParseChildName(invoice, kInvoices, absl::StrCat(f, ".invoice"));
    if (name.ok()) {
      if (name->tenant != tenant_ || name->customer != customer_id) {
        return InvalidInput("ALLOCATION_TO_OTHER_CUSTOMER", absl::StrCat(f, ".invoice"),
                            "the invoice belongs to another customer");
      }
      ASSIGN_OR_RETURN(row, tx_.GetInvoice(name->id));
    } else {
      // Allocation.invoice: "the invoice's external id or number"; the id
      // in the referring document's source system, or "source_system/id"
      // like SyncRecord.customer_ref.
      v1::ExternalRef ref;
      ref.set_source_system(source_system);
      ref.set_id(invoice);
      ASSIGN_OR_RETURN(row, tx_.FindInvoiceByRef(RefKey(ref)));
      if ((!row || row->customer != customer_id) && absl::StrContains(invoice, '/')) {
        ASSIGN_OR_RETURN(row, tx_.FindInvoiceByRef(invoice));
      }
      if (!row || row->customer != customer_id) {
        ASSIGN_OR_RETURN(row, tx_.FindInvoiceByNumber(customer_id, invoice));
      }
    }
  } else {
    ASSIGN_OR_RETURN(row, tx_.FindInvoiceByNumber(customer_id, number));
  }
  if (!row || row->customer != customer_id) {
    return domain::WithField(
        domain::NotFoundError("INVOICE_NOT_FOUND",
                              absl::StrCat(f, ": no invoice \"", invoice.empty() ? number : invoice,
                                           "\" for this customer")),
        absl::StrCat(f, ".invoice"), "unknown invoice");
  }
  return row;
}

absl::StatusOr<std::vector<store::SettlementRow>> LedgerOps::ResolveAllocations(
    const std::string& customer_id, const std::string& currency, int64_t amount,
    absl::CivilDay day, const google::protobuf::RepeatedPtrField<v1::Allocation>& allocations,
    const std::string& source_kind, const std::string& source_id, const std::string& field,
    const std::string& source_system) {
  // Amounts this source already holds on each invoice (an update replaces them).
  ASSIGN_OR_RETURN(auto previous, tx_.ListSettlementsBySource(source_kind, source_id));
  std::map<std::string, int64_t> held;
  for (const auto& p : previous) held[p.invoice_id] += p.amount;

  std::vector<store::SettlementRow> rows;
  const int64_t day_number = domain::DayNumber(day);
  if (allocations.empty()) {
    // Default rule: oldest due first over the customer's open invoices.
    std::vector<domain::InvoiceState> open;
    std::string after;
    while (true) {
      store::InvoiceFilter f;
      f.customer = customer_id;
      f.currency = currency;
      f.statuses = {v1::Invoice::OPEN, v1::Invoice::PARTIALLY_PAID, v1::Invoice::PAID};
      f.after_id = after;
      f.limit = 500;
      ASSIGN_OR_RETURN(auto page, tx_.ListInvoices(f));
      if (page.empty()) break;
      after = page.back().id;
      for (const auto& r : page) {
        domain::InvoiceState s = ToInvoiceState(r, {});
        // Amount due ignoring this source's own earlier allocation.
        s.total = r.amount_due + held[r.id];
        if (s.total > 0) open.push_back(std::move(s));
      }
    }
    std::vector<const domain::InvoiceState*> ptrs;
    for (const auto& s : open) ptrs.push_back(&s);
    int64_t unapplied = 0;
    for (const auto& line : domain::AllocateOldestFirst(ptrs, amount, &unapplied)) {
      rows.push_back({line.invoice_id, source_kind, source_id, day_number, line.amount});
    }
    return rows;
  }
  std::map<std::string, int64_t> requested;
  for (int i = 0; i < allocations.size(); ++i) {
    const auto& a = allocations[i];
    std::string f = absl::StrCat(field, ".allocations[", i, "]");
    ASSIGN_OR_RETURN(std::optional<store::InvoiceRow> row,
                     LookupInvoice(customer_id, a.invoice(), a.invoice_number(), f, source_system));
    if (row->currency != currency) {
      return InvalidInput("PAYMENT_CURRENCY_MISMATCH", absl::StrCat(f, ".amount.currency_code"),
                          absl::StrCat("the payment is in ", currency, " but invoice ", row->number,
                                       " is in ", row->currency));
    }
    if (row->status == v1::Invoice::VOID) {
      return domain::WithField(
          domain::PreconditionError("INVOICE_VOID",
                                    absl::StrCat(f, ": invoice ", row->number, " is void")),
          f, "void invoice");
    }
    const int64_t available = row->amount_due + held[row->id] - requested[row->id];
    if (a.amount().minor_units() > available) {
      return InvalidInput("INVOICE_OVER_ALLOCATED", absl::StrCat(f, ".amount"),
                          absl::StrCat("invoice ", row->number, " has only ",
                                       domain::FormatMoney({currency, available}), " due"));
    }
    requested[row->id] += a.amount().minor_units();
    rows.push_back({row->id, source_kind, source_id, day_number, a.amount().minor_units()});
  }
  return rows;
}

absl::Status LedgerOps::ApplySettlements(const std::string& source_kind,
                                         const std::string& source_id,
                                         const std::vector<store::SettlementRow>& rows) {
  ASSIGN_OR_RETURN(auto previous, tx_.ListSettlementsBySource(source_kind, source_id));
  RETURN_IF_ERROR(tx_.ReplaceSettlements(source_kind, source_id, rows));
  std::set<std::string> touched;
  for (const auto& r : previous) touched.insert(r.invoice_id);
  for (const auto& r : rows) touched.insert(r.invoice_id);
  for (const auto& id : touched) RETURN_IF_ERROR(RefreshInvoice(id));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<store::Doc>> LedgerOps::FindOwnedDoc(
    const std::string& kind, const v1::ExternalRef& ref, const std::string& customer_id,
    const std::string& moved_reason, google::protobuf::Message* before, std::string* id) {
  ASSIGN_OR_RETURN(auto existing, tx_.FindDocByRef(kind, RefKey(ref)));
  if (!existing) {
    ASSIGN_OR_RETURN(*id, ChooseDocId(kind, ref));
    return existing;
  }
  if (!before->ParseFromString(existing->body)) {
    return absl::InternalError(absl::StrCat("stored ", kind, " does not parse"));
  }
  if (existing->customer != customer_id) {
    return domain::PreconditionError(
        moved_reason, absl::StrCat(kind, " ", RefKey(ref), " belongs to customer ",
                                   existing->customer, "; moving it is not supported"));
  }
  *id = existing->id;
  return existing;
}

absl::StatusOr<ApplyResult> LedgerOps::StoreSettlingDoc(
    const std::string& kind, absl::string_view event_noun, const std::string& id,
    const std::string& customer_id, const std::string& ref, const std::string& number,
    const google::protobuf::Message* before, const google::protobuf::Message& next,
    const std::vector<store::SettlementRow>& rows) {
  const std::string name = ChildResource(tenant_, customer_id,
                                         kind == kPaymentKind ? kPayments : kCreditNotes, id);
  if (before != nullptr && MessageDifferencer::Equals(*before, next)) {
    return ApplyResult{v1::RecordOutcome::UNCHANGED, name};
  }
  RETURN_IF_ERROR(ApplySettlements(kind, id, rows));
  RETURN_IF_ERROR(tx_.PutDoc(store::Doc{kind, id, customer_id, ref, number, next.SerializeAsString()}));
  RETURN_IF_ERROR(Event(absl::StrCat(event_noun, before ? ".updated" : ".recorded"), name,
                        customer_id, before, &next));
  return ApplyResult{before ? v1::RecordOutcome::UPDATED : v1::RecordOutcome::CREATED, name};
}

// ----------------------------------------------------------------- mutations

absl::StatusOr<ApplyResult> LedgerOps::ApplyCustomer(const v1::Customer& given,
                                                     const google::protobuf::FieldMask& mask) {
  RETURN_IF_ERROR(ValidateUpdateMask(v1::Customer::descriptor(), mask, CustomerOutputOnly(),
                                     "update_mask"));
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
                                   absl::StrCat(in.name(), " does not exist; give external_ref "
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
  RETURN_IF_ERROR(ValidateUpdateMask(v1::Invoice::descriptor(), mask, InvoiceOutputOnly(),
                                     "update_mask"));
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
    if (!before.ParseFromString(existing->body)) return absl::InternalError("bad stored invoice");
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
          absl::StrCat(before.name(), ": new total ",
                       domain::FormatMoney(ToMoney(next.total())), " is below the ",
                       domain::FormatMoney({existing->currency, settled}), " already settled"));
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
  RETURN_IF_ERROR(IndexInvoiceNumber(tx_, customer_id, update ? before.number() : "", next.number()));
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
  const bool same_input = existing && MessageDifferencer::Equals(PaymentInput(before), PaymentInput(in));
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

absl::StatusOr<AccountSnapshot> LedgerOps::LoadAccount(const std::string& customer_id) {
  AccountSnapshot snap;
  ASSIGN_OR_RETURN(snap.customer, LoadCustomer(customer_id));
  std::vector<store::InvoiceRow> rows;
  std::string after;
  while (true) {
    store::InvoiceFilter f;
    f.customer = customer_id;
    f.after_id = after;
    f.limit = 1000;
    ASSIGN_OR_RETURN(auto page, tx_.ListInvoices(f));
    if (page.empty()) break;
    after = page.back().id;
    const bool last = static_cast<int>(page.size()) < f.limit;
    for (auto& r : page) rows.push_back(std::move(r));
    // A short page is the last one: no query for an empty page (most
    // accounts fit one page; this saves a query per LoadAccount).
    if (last) break;
  }
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  ASSIGN_OR_RETURN(auto settlements, tx_.ListSettlements(ids));
  std::map<std::string, std::vector<store::SettlementRow>> by_invoice;
  for (auto& s : settlements) by_invoice[s.invoice_id].push_back(s);
  for (const auto& r : rows) {
    v1::Invoice inv;
    if (!inv.ParseFromString(r.body)) return absl::InternalError("bad stored invoice");
    snap.invoices.push_back(std::move(inv));
    snap.invoice_states.push_back(ToInvoiceState(r, by_invoice[r.id]));
  }
  for (const char* kind : {kPaymentKind, kCreditNoteKind}) {
    std::string after_doc;
    while (true) {
      constexpr int kPage = 1000;
      ASSIGN_OR_RETURN(auto docs, tx_.ListDocs(kind, customer_id, after_doc, kPage));
      if (docs.empty()) break;
      after_doc = docs.back().id;
      const bool last = static_cast<int>(docs.size()) < kPage;
      for (const auto& d : docs) {
        if (absl::string_view(kind) == kPaymentKind) {
          v1::Payment p;
          if (!p.ParseFromString(d.body)) return absl::InternalError("bad stored payment");
          ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(p.received_date(), "received_date"));
          snap.payment_days.push_back(day);
          snap.credits.push_back({p.amount().currency_code(), day, p.unapplied().minor_units()});
          snap.payments.push_back(std::move(p));
        } else {
          v1::CreditNote c;
          if (!c.ParseFromString(d.body)) return absl::InternalError("bad stored credit note");
          ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(c.issue_date(), "issue_date"));
          snap.credits.push_back({c.amount().currency_code(), day, c.unapplied().minor_units()});
          snap.credit_notes.push_back(std::move(c));
        }
      }
      if (last) break;
    }
  }
  return snap;
}

}  // namespace collections::app
