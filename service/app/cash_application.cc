#include "service/app/cash_application.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using domain::InvalidInput;

google::protobuf::Timestamp Now(const domain::Clock& clock) { return Ts(clock.Now()); }

// A new document id for `ref` in `kind`: the readable form when free, the
// hashed form (unique per reference) otherwise.
absl::StatusOr<std::string> NewDocId(store::Transaction& tx, absl::string_view kind,
                                     const v1::ExternalRef& ref) {
  std::string id = IdFromExternalRef(ref.source_system(), ref.id());
  ASSIGN_OR_RETURN(auto taken, tx.GetDoc(kind, id));
  if (!taken) return id;
  return absl::StrFormat("x%016x", StableHash(RefKey(ref)));
}

// The tenant's open invoices in `currencies`, as matcher inputs. Display
// names of their customers go to *names.
absl::StatusOr<std::vector<domain::OpenItem>> GatherOpenItems(
    LedgerOps& ops, const std::string& ccy, std::map<std::string, std::string>* names) {
  std::vector<domain::OpenItem> items;
  {
    std::string after;
    while (true) {
      store::InvoiceFilter f;
      f.currency = ccy;
      f.statuses = {v1::Invoice::OPEN, v1::Invoice::PARTIALLY_PAID};
      f.after_id = after;
      f.limit = 500;
      ASSIGN_OR_RETURN(auto page, ops.tx().ListInvoices(f));
      if (page.empty()) break;
      after = page.back().id;
      for (const auto& row : page) {
        if (row.amount_due <= 0) continue;
        v1::Invoice inv;
        if (!inv.ParseFromString(row.body))
          return absl::InternalError("stored invoice does not parse");
        if (!names->count(row.customer)) {
          ASSIGN_OR_RETURN(v1::Customer c, ops.LoadCustomer(row.customer));
          (*names)[row.customer] = c.display_name();
        }
        domain::OpenItem item;
        item.kind = domain::OpenItem::Kind::kInvoice;
        item.id = row.id;
        item.number = row.number;
        item.customer = row.customer;
        item.customer_name = (*names)[row.customer];
        item.amount_due = domain::Money{row.currency, row.amount_due};
        item.payment_reference = inv.payment_reference();
        item.due_date = domain::DayFromNumber(row.due_day);
        items.push_back(std::move(item));
      }
    }
  }
  return items;
}

domain::IncomingPayment ToIncoming(const v1::Payment& p) {
  domain::IncomingPayment in;
  in.amount = ToMoney(p.amount());
  if (p.has_instructed_amount() && !p.instructed_amount().currency_code().empty()) {
    in.instructed_amount = ToMoney(p.instructed_amount());
  }
  in.payer_name = p.payer_name();
  in.structured_references.assign(p.creditor_references().begin(), p.creditor_references().end());
  for (const auto& d : p.remitted_documents()) {
    domain::ReferredDocument rd;
    rd.number = d.number();
    rd.credit_note = d.credit_note();
    if (d.has_amount() && !d.amount().currency_code().empty()) rd.amount = ToMoney(d.amount());
    in.referred_documents.push_back(std::move(rd));
  }
  in.unstructured_text = p.remittance_text();
  return in;
}

std::string BasisKey(domain::MatchBasis basis) {
  std::string s(domain::MatchBasisName(basis));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

v1::CashSuggestion ToSuggestion(absl::string_view tenant, const domain::MatchCandidate& c,
                                const std::map<std::string, std::string>& names) {
  v1::CashSuggestion s;
  s.set_customer(CustomerResource(tenant, c.customer));
  if (auto it = names.find(c.customer); it != names.end()) s.set_customer_display_name(it->second);
  for (const auto& a : c.allocations) {
    if (a.kind != domain::OpenItem::Kind::kInvoice) continue;
    auto* out = s.add_allocations();
    out->set_invoice(ChildResource(tenant, c.customer, kInvoices, a.item_id));
    *out->mutable_amount() = ToProtoMoney(a.amount.currency, a.amount.minor);
  }
  s.set_confidence_bp(c.confidence_bp);
  for (const auto& e : c.evidence) s.add_evidence(e);
  s.set_basis(BasisKey(c.basis));
  return s;
}

// The payment with the candidate's allocations, when ApplyPayment can
// record it as it stands: invoices only, in the payment's currency, within
// its amount. Otherwise nullopt (a person decides).
std::optional<v1::Payment> AllocatedPayment(absl::string_view tenant, const v1::Payment& p,
                                            const domain::MatchCandidate& c) {
  if (c.customer.empty() || c.allocations.empty()) return std::nullopt;
  v1::Payment out = p;
  out.clear_allocations();
  domain::AmountSum sum;
  for (const auto& a : c.allocations) {
    if (a.kind != domain::OpenItem::Kind::kInvoice) return std::nullopt;
    if (a.amount.currency != p.amount().currency_code() || a.amount.minor <= 0) return std::nullopt;
    sum += a.amount.minor;
    auto* al = out.add_allocations();
    al->set_invoice(ChildResource(tenant, c.customer, kInvoices, a.item_id));
    *al->mutable_amount() = ToProtoMoney(a.amount.currency, a.amount.minor);
  }
  if (sum.Clamped() > p.amount().minor_units()) return std::nullopt;
  return out;
}

bool SameMoney(const v1::Money& a, const v1::Money& b) {
  return a.currency_code() == b.currency_code() && a.minor_units() == b.minor_units();
}

absl::StatusOr<ApplyResult> StoreReviewItem(LedgerOps& ops, const domain::Clock& clock,
                                            const CallContext& ctx, const v1::Payment& payment,
                                            const domain::MatchResult& match,
                                            const std::map<std::string, std::string>& names,
                                            const std::vector<std::string>& extra_notes) {
  ASSIGN_OR_RETURN(std::string id, NewDocId(ops.tx(), kUnappliedCashKind, payment.external_ref()));
  v1::UnappliedCash item;
  item.set_name(UnappliedCashName(ops.tenant(), id));
  *item.mutable_payment() = payment;
  for (const auto& c : match.candidates)
    *item.add_suggestions() = ToSuggestion(ops.tenant(), c, names);
  for (const auto& n : match.notes) item.add_notes(n);
  for (const auto& n : extra_notes) item.add_notes(n);
  item.set_status(v1::UnappliedCash::OPEN);
  *item.mutable_create_time() = Now(clock);
  *item.mutable_update_time() = item.create_time();
  RETURN_IF_ERROR(
      ops.tx().PutDoc(store::Doc{kUnappliedCashKind, id, "", RefKey(payment.external_ref()),
                                 payment.payer_reference(), item.SerializeAsString()}));
  RETURN_IF_ERROR(AppendEvent(ops.tx(), clock, ctx, ops.tenant(), "unapplied_cash.created",
                              item.name(), "", nullptr, &item, ""));
  return ApplyResult{v1::RecordOutcome::CREATED, item.name()};
}

// Undoes the payment or review item that `rev` reverses: the one with the
// same payer reference (end-to-end id) and amount that is not reversed yet.
// Returns nullopt when there is none.
absl::StatusOr<std::optional<ApplyResult>> Reverse(LedgerOps& ops, const domain::Clock& clock,
                                                   const CallContext& ctx, const v1::Payment& rev) {
  if (rev.payer_reference().empty()) return std::nullopt;
  store::Transaction& tx = ops.tx();
  ASSIGN_OR_RETURN(std::string rev_id, NewDocId(tx, kPaymentReversalKind, rev.external_ref()));
  auto record_reversal = [&](const std::string& customer, const std::string& target_id,
                             const std::string& target_name) -> absl::Status {
    v1::Payment stored = rev;
    stored.set_name(target_name);
    return tx.PutDoc(store::Doc{kPaymentReversalKind, rev_id, customer, RefKey(rev.external_ref()),
                                target_id, stored.SerializeAsString()});
  };
  // Recorded payments first (applied automatically or by a person).
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kPaymentKind, "", after, 500));
    if (docs.empty()) break;
    after = docs.back().id;
    for (auto& doc : docs) {
      ASSIGN_OR_RETURN(v1::Payment p, ParseDoc<v1::Payment>(doc));
      if (p.reversal() || p.payer_reference() != rev.payer_reference() ||
          !SameMoney(p.amount(), rev.amount())) {
        continue;
      }
      ASSIGN_OR_RETURN(auto done, tx.FindDocByNumber(kPaymentReversalKind, doc.customer, doc.id));
      if (done) continue;
      // Remove its settlements (the invoices' balances come back) and keep
      // the payment, now allocating nothing and leaving no credit.
      RETURN_IF_ERROR(ops.ApplySettlements(kPaymentKind, doc.id, {}));
      v1::Payment reversed = p;
      reversed.clear_allocations();
      *reversed.mutable_unapplied() = ToProtoMoney(p.amount().currency_code(), 0);
      doc.body = reversed.SerializeAsString();
      RETURN_IF_ERROR(tx.PutDoc(doc));
      RETURN_IF_ERROR(record_reversal(doc.customer, doc.id, p.name()));
      RETURN_IF_ERROR(AppendEvent(tx, clock, ctx, ops.tenant(), "payment.reversed", p.name(),
                                  CustomerResource(ops.tenant(), doc.customer), &p, &reversed, ""));
      return ApplyResult{v1::RecordOutcome::CREATED, p.name()};
    }
  }
  // Then review items nobody applied yet.
  after.clear();
  while (true) {
    ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kUnappliedCashKind, "", after, 500));
    if (docs.empty()) break;
    after = docs.back().id;
    for (auto& doc : docs) {
      ASSIGN_OR_RETURN(v1::UnappliedCash item, ParseDoc<v1::UnappliedCash>(doc));
      const v1::Payment& p = item.payment();
      if (item.status() != v1::UnappliedCash::OPEN || p.reversal() ||
          p.payer_reference() != rev.payer_reference() || !SameMoney(p.amount(), rev.amount())) {
        continue;
      }
      v1::UnappliedCash before = item;
      item.set_status(v1::UnappliedCash::REVERSED);
      *item.mutable_update_time() = Now(clock);
      doc.body = item.SerializeAsString();
      RETURN_IF_ERROR(tx.PutDoc(doc));
      RETURN_IF_ERROR(record_reversal("", doc.id, item.name()));
      RETURN_IF_ERROR(AppendEvent(tx, clock, ctx, ops.tenant(), "unapplied_cash.reversed",
                                  item.name(), "", &before, &item, ""));
      return ApplyResult{v1::RecordOutcome::CREATED, item.name()};
    }
  }
  return std::nullopt;
}

}  // namespace

std::string UnappliedCashName(absl::string_view tenant, absl::string_view id) {
  return absl::StrCat(TenantName(tenant), "/", kUnappliedCashCollection, "/", id);
}

absl::StatusOr<ApplyResult> ApplyBankPayment(LedgerOps& ops, const domain::Clock& clock,
                                             const CallContext& ctx, const v1::Payment& payment,
                                             const domain::MatchPolicy& policy) {
  return BankPaymentApplier(ops, clock, ctx, policy).Apply(payment);
}

absl::StatusOr<const std::vector<domain::OpenItem>*> BankPaymentApplier::OpenItems(
    const std::string& currency) {
  auto it = open_.find(currency);
  if (it == open_.end()) {
    ASSIGN_OR_RETURN(auto items, GatherOpenItems(ops_, currency, &names_));
    it = open_.emplace(currency, std::move(items)).first;
  }
  return &it->second;
}

absl::StatusOr<ApplyResult> BankPaymentApplier::Apply(const v1::Payment& payment) {
  LedgerOps& ops = ops_;
  const domain::Clock& clock = clock_;
  const CallContext& ctx = ctx_;
  RETURN_IF_ERROR(LedgerOps::ValidatePayment(payment));
  store::Transaction& tx = ops.tx();
  const std::string key = RefKey(payment.external_ref());
  // A statement line seen before (as whatever it became) changes nothing.
  ASSIGN_OR_RETURN(auto seen_payment, tx.FindDocByRef(kPaymentKind, key));
  if (seen_payment) {
    ASSIGN_OR_RETURN(v1::Payment p, ParseDoc<v1::Payment>(*seen_payment));
    return ApplyResult{v1::RecordOutcome::UNCHANGED, p.name()};
  }
  ASSIGN_OR_RETURN(auto seen_item, tx.FindDocByRef(kUnappliedCashKind, key));
  if (seen_item) {
    return ApplyResult{v1::RecordOutcome::UNCHANGED,
                       UnappliedCashName(ops.tenant(), seen_item->id)};
  }
  ASSIGN_OR_RETURN(auto seen_reversal, tx.FindDocByRef(kPaymentReversalKind, key));
  if (seen_reversal) {
    ASSIGN_OR_RETURN(v1::Payment p, ParseDoc<v1::Payment>(*seen_reversal));
    return ApplyResult{v1::RecordOutcome::UNCHANGED, p.name()};
  }

  if (payment.reversal()) {
    ASSIGN_OR_RETURN(auto undone, Reverse(ops, clock, ctx, payment));
    // Balances came back: the cached open items are stale.
    open_.clear();
    if (undone) return *undone;
    // The reversed payment is unknown (an earlier statement not imported):
    // a person has to look at it.
    return StoreReviewItem(
        ops, clock, ctx, payment, domain::MatchResult{}, names_,
        {absl::StrCat("reversal: no payment with end-to-end id \"", payment.payer_reference(),
                      "\" and amount ", domain::FormatMoney(ToMoney(payment.amount())),
                      " is known")});
  }

  std::set<std::string> currencies = {payment.amount().currency_code()};
  if (payment.has_instructed_amount() && !payment.instructed_amount().currency_code().empty()) {
    currencies.insert(payment.instructed_amount().currency_code());
  }
  std::vector<domain::OpenItem> items;
  for (const auto& ccy : currencies) {
    ASSIGN_OR_RETURN(const std::vector<domain::OpenItem>* some, OpenItems(ccy));
    items.insert(items.end(), some->begin(), some->end());
  }
  domain::MatchResult match = domain::MatchPayment(ToIncoming(payment), items, policy_);
  if (match.decision == domain::MatchResult::Decision::kAutoApply && !match.candidates.empty()) {
    const domain::MatchCandidate& best = match.candidates.front();
    if (auto allocated = AllocatedPayment(ops.tenant(), payment, best)) {
      absl::StatusOr<ApplyResult> applied = ops.ApplyPayment(best.customer, *allocated);
      if (!applied.ok() && domain::ReasonOf(applied.status()) == "INVOICE_OVER_ALLOCATED" &&
          !retrying_) {
        // Another record of the chunk paid the invoice since the cache was
        // filled (nothing was written): match once more on fresh balances.
        open_.clear();
        retrying_ = true;
        absl::StatusOr<ApplyResult> again = Apply(payment);
        retrying_ = false;
        return again;
      }
      ASSIGN_OR_RETURN(ApplyResult res, std::move(applied));
      // Keep the cache in step: what the payment settled is no longer due.
      auto& cached = open_[payment.amount().currency_code()];
      for (const auto& a : best.allocations) {
        for (auto& item : cached) {
          if (item.id == a.item_id) item.amount_due.minor -= a.amount.minor;
        }
      }
      cached.erase(
          std::remove_if(cached.begin(), cached.end(),
                         [](const domain::OpenItem& i) { return i.amount_due.minor <= 0; }),
          cached.end());
      return res;
    }
  }
  return StoreReviewItem(ops, clock, ctx, payment, match, names_, {});
}

// ------------------------------------------------------------ the queue

namespace {

struct ItemName {
  std::string tenant;
  std::string id;
};

absl::StatusOr<ItemName> ParseItemName(absl::string_view name, absl::string_view field) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "tenants" || !IsValidTenantId(parts[1]) ||
      parts[2] != kUnappliedCashCollection || !IsValidResourceId(parts[3])) {
    return InvalidInput("INVALID_NAME", field, "expected tenants/{tenant}/unappliedCash/{item}");
  }
  return ItemName{parts[1], parts[3]};
}

absl::StatusOr<std::pair<store::Doc, v1::UnappliedCash>> LoadOpenItem(store::Transaction& tx,
                                                                      const ItemName& n,
                                                                      absl::string_view name) {
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kUnappliedCashKind, n.id));
  if (!doc) {
    return domain::NotFoundError("UNAPPLIED_CASH_NOT_FOUND", absl::StrCat(name, " does not exist"));
  }
  ASSIGN_OR_RETURN(v1::UnappliedCash item, ParseDoc<v1::UnappliedCash>(*doc));
  if (item.status() != v1::UnappliedCash::OPEN) {
    return domain::PreconditionError(
        "UNAPPLIED_CASH_NOT_OPEN",
        absl::StrCat(name, " is ", v1::UnappliedCash::Status_Name(item.status()), ", not OPEN"));
  }
  return std::make_pair(std::move(*doc), std::move(item));
}

}  // namespace

absl::StatusOr<v1::ListUnappliedCashResponse> CashApp::ListUnappliedCash(
    const CallContext& ctx, const v1::ListUnappliedCashRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  v1::ListUnappliedCashResponse resp;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        std::vector<std::pair<std::string, v1::UnappliedCash>> found;
        while (static_cast<int>(found.size()) <= page_size) {
          ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kUnappliedCashKind, "", after, 500));
          if (docs.empty()) break;
          after = docs.back().id;
          for (const auto& d : docs) {
            ASSIGN_OR_RETURN(v1::UnappliedCash item, ParseDoc<v1::UnappliedCash>(d));
            if (r.status() != v1::UnappliedCash::STATUS_UNSPECIFIED &&
                item.status() != r.status()) {
              continue;
            }
            found.emplace_back(d.id, std::move(item));
            if (static_cast<int>(found.size()) > page_size) break;
          }
        }
        for (int i = 0; i < static_cast<int>(found.size()) && i < page_size; ++i) {
          *resp.add_items() = std::move(found[i].second);
        }
        if (static_cast<int>(found.size()) > page_size) {
          resp.set_next_page_token(NextPageToken(r, found[page_size - 1].first));
        }
        return absl::OkStatus();
      }));
  return resp;
}

absl::StatusOr<v1::UnappliedCash> CashApp::ApplyUnappliedCash(
    const CallContext& ctx, const v1::ApplyUnappliedCashRequest& r) {
  ASSIGN_OR_RETURN(ItemName n, ParseItemName(r.name(), "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, n.tenant));
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  if (cn.tenant != n.tenant) {
    return InvalidInput("CROSS_TENANT_REFERENCE", "customer",
                        "the customer belongs to another tenant");
  }
  v1::UnappliedCash resp;
  RETURN_IF_ERROR(store_.Run(n.tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(
        tx, r.request_id(), "CashApplicationService/ApplyUnappliedCash", r, &resp,
        [&]() -> absl::Status {
          ASSIGN_OR_RETURN(auto loaded, LoadOpenItem(tx, n, r.name()));
          auto& [doc, item] = loaded;
          if (item.payment().reversal()) {
            return domain::PreconditionError(
                "UNAPPLIED_CASH_IS_REVERSAL",
                absl::StrCat(r.name(), " is a reversal of an unknown payment; dismiss it instead"));
          }
          LedgerOps ops(tx, clock_, ctx, n.tenant, r.request_id());
          v1::Payment p = item.payment();
          p.clear_allocations();
          if (r.allocations_size() > 0) {
            *p.mutable_allocations() = r.allocations();
          } else {
            for (const auto& s : item.suggestions()) {
              if (s.customer() == r.customer()) {
                *p.mutable_allocations() = s.allocations();
                break;
              }
            }
          }
          ASSIGN_OR_RETURN(ApplyResult res, ops.ApplyPayment(cn.customer, p));
          v1::UnappliedCash before = item;
          item.set_status(v1::UnappliedCash::APPLIED);
          item.set_applied_payment(res.name);
          *item.mutable_update_time() = Now(clock_);
          doc.body = item.SerializeAsString();
          RETURN_IF_ERROR(tx.PutDoc(doc));
          RETURN_IF_ERROR(AppendEvent(tx, clock_, ctx, n.tenant, "unapplied_cash.applied",
                                      item.name(), r.customer(), &before, &item, r.request_id()));
          resp = item;
          return absl::OkStatus();
        });
  }));
  return resp;
}

absl::StatusOr<v1::UnappliedCash> CashApp::DismissUnappliedCash(
    const CallContext& ctx, const v1::DismissUnappliedCashRequest& r) {
  ASSIGN_OR_RETURN(ItemName n, ParseItemName(r.name(), "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, n.tenant));
  if (r.reason().empty() || r.reason().size() > 1000) {
    return InvalidInput("INVALID_REASON", "reason", "required: 1..1000 characters");
  }
  v1::UnappliedCash resp;
  RETURN_IF_ERROR(store_.Run(n.tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(
        tx, r.request_id(), "CashApplicationService/DismissUnappliedCash", r, &resp,
        [&]() -> absl::Status {
          ASSIGN_OR_RETURN(auto loaded, LoadOpenItem(tx, n, r.name()));
          auto& [doc, item] = loaded;
          v1::UnappliedCash before = item;
          item.set_status(v1::UnappliedCash::DISMISSED);
          item.set_dismiss_reason(r.reason());
          *item.mutable_update_time() = Now(clock_);
          doc.body = item.SerializeAsString();
          RETURN_IF_ERROR(tx.PutDoc(doc));
          RETURN_IF_ERROR(AppendEvent(tx, clock_, ctx, n.tenant, "unapplied_cash.dismissed",
                                      item.name(), "", &before, &item, r.request_id()));
          resp = item;
          return absl::OkStatus();
        });
  }));
  return resp;
}

}  // namespace collections::app
