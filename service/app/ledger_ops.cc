// LedgerOps's lookups and the steps its mutations share: ids from external
// references, loading and resolving customers and invoices, recomputing an
// invoice from its settlements, allocating payments and credits, and the
// account snapshot that LoadAccount reads.
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

}  // namespace

std::string RefKey(const v1::ExternalRef& ref) {
  return absl::StrCat(ref.source_system(), "/", ref.id());
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
    return domain::NotFoundError(
        "CUSTOMER_NOT_FOUND",
        absl::StrCat(CustomerResource(tenant_, customer_id), " does not exist"));
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
        absl::StrCat(ChildResource(tenant_, customer_id, kInvoices, invoice_id),
                     " does not exist"));
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
  ASSIGN_OR_RETURN(auto doc,
                   tx_.FindDocByRef(kCustomerKind, absl::StrCat(source_system, "/", ref)));
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

domain::InvoiceState LedgerOps::ToInvoiceState(
    const store::InvoiceRow& row, const std::vector<store::SettlementRow>& settlements) {
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
    domain::SettlementKind k = r.source_kind == kPaymentKind ? domain::SettlementKind::kPayment
                               : r.source_kind == kWriteOffKind
                                   ? domain::SettlementKind::kWriteOff
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
  if (!before.ParseFromString(row->body))
    return absl::InternalError("stored invoice does not parse");
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
    const std::string& customer_id, const std::string& currency, int64_t amount, absl::CivilDay day,
    const google::protobuf::RepeatedPtrField<v1::Allocation>& allocations,
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
  const std::string name =
      ChildResource(tenant_, customer_id, kind == kPaymentKind ? kPayments : kCreditNotes, id);
  if (before != nullptr && MessageDifferencer::Equals(*before, next)) {
    return ApplyResult{v1::RecordOutcome::UNCHANGED, name};
  }
  RETURN_IF_ERROR(ApplySettlements(kind, id, rows));
  RETURN_IF_ERROR(
      tx_.PutDoc(store::Doc{kind, id, customer_id, ref, number, next.SerializeAsString()}));
  RETURN_IF_ERROR(Event(absl::StrCat(event_noun, before ? ".updated" : ".recorded"), name,
                        customer_id, before, &next));
  return ApplyResult{before ? v1::RecordOutcome::UPDATED : v1::RecordOutcome::CREATED, name};
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
    if (!inv.ParseFromString(r.body)) {
      return absl::InternalError(
          absl::StrCat("stored invoice ", r.id, " (number ", r.number, ") does not parse"));
    }
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
