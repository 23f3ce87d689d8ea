#include "service/app/ledger_app.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/app/arrangements_app.h"
#include "service/app/cash_application.h"
#include "service/app/ledger_ops.h"
#include "service/app/partial_update.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"
#include "service/domain/ledger.h"
#include "service/messages/convert.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using domain::InvalidInput;

// Get a customer-owned document by resource name.
template <typename Msg>
absl::StatusOr<Msg> GetChildDoc(store::Store& store, const CallContext& ctx,
                                const std::string& name, absl::string_view collection,
                                absl::string_view kind, absl::string_view reason) {
  ASSIGN_OR_RETURN(ChildName n, ParseChildName(name, collection, "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, n.tenant));
  Msg out;
  RETURN_IF_ERROR(
      store.Run(n.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kind, n.id));
        if (!doc || doc->customer != n.customer) {
          return domain::NotFoundError(reason, absl::StrCat(name, " does not exist"));
        }
        ASSIGN_OR_RETURN(out, ParseDoc<Msg>(*doc));
        return absl::OkStatus();
      }));
  return out;
}

template <typename Msg, typename Resp, typename Req>
absl::StatusOr<Resp> ListChildDocs(store::Store& store, const CallContext& ctx, const Req& r,
                                   absl::string_view kind,
                                   google::protobuf::RepeatedPtrField<Msg>* (Resp::*field)()) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  Resp resp;
  RETURN_IF_ERROR(
      store.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kind, cn.customer, after, page_size + 1));
        for (int i = 0; i < static_cast<int>(docs.size()) && i < page_size; ++i) {
          ASSIGN_OR_RETURN(*(resp.*field)()->Add(), ParseDoc<Msg>(docs[i]));
        }
        if (static_cast<int>(docs.size()) > page_size) {
          resp.set_next_page_token(NextPageToken(r, docs[page_size - 1].id));
        }
        return absl::OkStatus();
      }));
  return resp;
}

// Runs one mutation of a customer-owned record in a write transaction with
// request_id idempotency.
template <typename Resp>
absl::StatusOr<Resp> Mutate(store::Store& store, const domain::Clock& clock, const CallContext& ctx,
                            const std::string& tenant, const std::string& request_id,
                            absl::string_view method, const google::protobuf::Message& request,
                            const std::function<absl::StatusOr<Resp>(LedgerOps&)>& fn) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  Resp resp;
  RETURN_IF_ERROR(store.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    LedgerOps ops(tx, clock, ctx, tenant, request_id);
    return RunIdempotent(tx, request_id, method, request, &resp, [&]() -> absl::Status {
      ASSIGN_OR_RETURN(resp, fn(ops));
      return absl::OkStatus();
    });
  }));
  return resp;
}

}  // namespace

absl::StatusOr<absl::CivilDay> LedgerApp::AsOf(const v1::Date& date,
                                               absl::string_view field) const {
  return ResolveAsOf(date, clock_, AsOfUse::kRead, field);  // ledger reports write nothing
}

absl::StatusOr<v1::Customer> LedgerApp::GetCustomer(const CallContext& ctx,
                                                    const v1::GetCustomerRequest& r) {
  ASSIGN_OR_RETURN(CustomerName n, ParseCustomerName(r.name(), "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, n.tenant));
  v1::Customer out;
  RETURN_IF_ERROR(
      store_.Run(n.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        LedgerOps ops(tx, clock_, ctx, n.tenant, "");
        ASSIGN_OR_RETURN(out, ops.LoadCustomer(n.customer));
        return absl::OkStatus();
      }));
  StampEtag(&out);
  return out;
}

absl::StatusOr<v1::ListCustomersResponse> LedgerApp::ListCustomers(
    const CallContext& ctx, const v1::ListCustomersRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  v1::ListCustomersResponse resp;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kCustomerKind, "", after, page_size + 1));
        for (int i = 0; i < static_cast<int>(docs.size()) && i < page_size; ++i) {
          ASSIGN_OR_RETURN(*resp.add_customers(), ParseDoc<v1::Customer>(docs[i]));
          StampEtag(resp.mutable_customers()->Mutable(i));
        }
        if (static_cast<int>(docs.size()) > page_size) {
          resp.set_next_page_token(NextPageToken(r, docs[page_size - 1].id));
        }
        return absl::OkStatus();
      }));
  return resp;
}

absl::StatusOr<v1::Customer> LedgerApp::UpsertCustomer(const CallContext& ctx,
                                                       const v1::UpsertCustomerRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  return Mutate<v1::Customer>(
      store_, clock_, ctx, tenant, r.request_id(), "UpsertCustomer", r,
      [&](LedgerOps& ops) -> absl::StatusOr<v1::Customer> {
        ASSIGN_OR_RETURN(ApplyResult res, ops.ApplyCustomer(r.customer(), r.update_mask()));
        ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(res.name, "name"));
        ASSIGN_OR_RETURN(v1::Customer out, ops.LoadCustomer(cn.customer));
        StampEtag(&out);
        return out;
      });
}

absl::StatusOr<v1::Invoice> LedgerApp::GetInvoice(const CallContext& ctx,
                                                  const v1::GetInvoiceRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, ParseChildName(r.name(), kInvoices, "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, n.tenant));
  v1::Invoice out;
  RETURN_IF_ERROR(
      store_.Run(n.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        LedgerOps ops(tx, clock_, ctx, n.tenant, "");
        ASSIGN_OR_RETURN(out, ops.LoadInvoice(n.customer, n.id));
        return absl::OkStatus();
      }));
  StampEtag(&out);
  return out;
}

absl::StatusOr<v1::ListInvoicesResponse> LedgerApp::ListInvoices(const CallContext& ctx,
                                                                 const v1::ListInvoicesRequest& r) {
  std::string tenant, customer;
  if (auto cn = ParseCustomerName(r.parent(), "parent"); cn.ok()) {
    tenant = cn->tenant;
    customer = cn->customer;
  } else {
    auto t = ParseTenantName(r.parent(), "parent");
    if (!t.ok()) {
      return InvalidInput("INVALID_RESOURCE_NAME", "parent",
                          absl::StrCat("\"", r.parent(),
                                       "\" is neither tenants/{tenant} nor "
                                       "tenants/{tenant}/customers/{customer}"));
    }
    tenant = *t;
  }
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  store::InvoiceFilter f;
  ASSIGN_OR_RETURN(f.after_id, PageStart(r));
  f.customer = customer;
  f.limit = page_size + 1;
  for (int i = 0; i < r.statuses_size(); ++i) {
    if (r.statuses(i) == v1::Invoice::STATUS_UNSPECIFIED) {
      return InvalidInput("STATUS_UNSPECIFIED", absl::StrCat("statuses[", i, "]"),
                          "STATUS_UNSPECIFIED is not a filter value");
    }
    f.statuses.push_back(r.statuses(i));
  }
  if (!r.currency_code().empty()) {
    if (!domain::IsKnownCurrency(r.currency_code())) {
      return InvalidInput("UNKNOWN_CURRENCY", "currency_code", "not an ISO 4217 code");
    }
    f.currency = r.currency_code();
  }
  if (r.has_overdue_as_of()) {
    ASSIGN_OR_RETURN(absl::CivilDay d, ToDay(r.overdue_as_of(), "overdue_as_of"));
    f.overdue_as_of_day = domain::DayNumber(d);
  }
  v1::ListInvoicesResponse resp;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto rows, tx.ListInvoices(f));
        for (int i = 0; i < static_cast<int>(rows.size()) && i < page_size; ++i) {
          v1::Invoice* inv = resp.add_invoices();
          if (!inv->ParseFromString(rows[i].body)) {
            return absl::InternalError("stored invoice does not parse");
          }
          StampEtag(inv);
        }
        if (static_cast<int>(rows.size()) > page_size) {
          resp.set_next_page_token(NextPageToken(r, rows[page_size - 1].id));
        }
        return absl::OkStatus();
      }));
  return resp;
}

absl::StatusOr<v1::Invoice> LedgerApp::UpsertInvoice(const CallContext& ctx,
                                                     const v1::UpsertInvoiceRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  return Mutate<v1::Invoice>(
      store_, clock_, ctx, cn.tenant, r.request_id(), "UpsertInvoice", r,
      [&](LedgerOps& ops) -> absl::StatusOr<v1::Invoice> {
        ASSIGN_OR_RETURN(ApplyResult res,
                         ops.ApplyInvoice(cn.customer, r.invoice(), r.update_mask()));
        ASSIGN_OR_RETURN(ChildName n, ParseChildName(res.name, kInvoices, "name"));
        ASSIGN_OR_RETURN(v1::Invoice out, ops.LoadInvoice(cn.customer, n.id));
        StampEtag(&out);
        return out;
      });
}

absl::StatusOr<v1::Invoice> LedgerApp::VoidInvoice(const CallContext& ctx,
                                                   const v1::VoidInvoiceRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, ParseChildName(r.name(), kInvoices, "name"));
  return Mutate<v1::Invoice>(store_, clock_, ctx, n.tenant, r.request_id(), "VoidInvoice", r,
                             [&](LedgerOps& ops) -> absl::StatusOr<v1::Invoice> {
                               ASSIGN_OR_RETURN(v1::Invoice out,
                                                ops.VoidInvoice(n.customer, n.id, r.reason()));
                               StampEtag(&out);
                               return out;
                             });
}

absl::StatusOr<v1::Payment> LedgerApp::RecordPayment(const CallContext& ctx,
                                                     const v1::RecordPaymentRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  v1::Payment p = r.payment();
  if (!p.has_external_ref() && !r.request_id().empty()) {
    // A payment entered through the API is keyed by its request id.
    p.mutable_external_ref()->set_source_system("api");
    p.mutable_external_ref()->set_id(r.request_id());
  }
  return Mutate<v1::Payment>(
      store_, clock_, ctx, cn.tenant, r.request_id(), "RecordPayment", r,
      [&](LedgerOps& ops) -> absl::StatusOr<v1::Payment> {
        ASSIGN_OR_RETURN(ApplyResult res, ops.ApplyPayment(cn.customer, p, r.update_mask()));
        ASSIGN_OR_RETURN(ChildName n, ParseChildName(res.name, kPayments, "name"));
        ASSIGN_OR_RETURN(auto doc, ops.tx().GetDoc(kPaymentKind, n.id));
        return ParseDoc<v1::Payment>(*doc);
      });
}

absl::StatusOr<v1::Payment> LedgerApp::GetPayment(const CallContext& ctx,
                                                  const v1::GetPaymentRequest& r) {
  return GetChildDoc<v1::Payment>(store_, ctx, r.name(), kPayments, kPaymentKind,
                                  "PAYMENT_NOT_FOUND");
}

absl::StatusOr<v1::ListPaymentsResponse> LedgerApp::ListPayments(const CallContext& ctx,
                                                                 const v1::ListPaymentsRequest& r) {
  return ListChildDocs<v1::Payment, v1::ListPaymentsResponse>(
      store_, ctx, r, kPaymentKind, &v1::ListPaymentsResponse::mutable_payments);
}

absl::StatusOr<v1::CreditNote> LedgerApp::RecordCreditNote(const CallContext& ctx,
                                                           const v1::RecordCreditNoteRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  v1::CreditNote c = r.credit_note();
  if (!c.has_external_ref() && !r.request_id().empty()) {
    c.mutable_external_ref()->set_source_system("api");
    c.mutable_external_ref()->set_id(r.request_id());
  }
  return Mutate<v1::CreditNote>(
      store_, clock_, ctx, cn.tenant, r.request_id(), "RecordCreditNote", r,
      [&](LedgerOps& ops) -> absl::StatusOr<v1::CreditNote> {
        ASSIGN_OR_RETURN(ApplyResult res, ops.ApplyCreditNote(cn.customer, c, r.update_mask()));
        ASSIGN_OR_RETURN(ChildName n, ParseChildName(res.name, kCreditNotes, "name"));
        ASSIGN_OR_RETURN(auto doc, ops.tx().GetDoc(kCreditNoteKind, n.id));
        return ParseDoc<v1::CreditNote>(*doc);
      });
}

absl::StatusOr<v1::CreditNote> LedgerApp::GetCreditNote(const CallContext& ctx,
                                                        const v1::GetCreditNoteRequest& r) {
  return GetChildDoc<v1::CreditNote>(store_, ctx, r.name(), kCreditNotes, kCreditNoteKind,
                                     "CREDIT_NOTE_NOT_FOUND");
}

absl::StatusOr<v1::ListCreditNotesResponse> LedgerApp::ListCreditNotes(
    const CallContext& ctx, const v1::ListCreditNotesRequest& r) {
  return ListChildDocs<v1::CreditNote, v1::ListCreditNotesResponse>(
      store_, ctx, r, kCreditNoteKind, &v1::ListCreditNotesResponse::mutable_credit_notes);
}

// ------------------------------------------------------------------- sync

namespace {

// Records are applied customers first, then invoices, credit notes and
// payments, so a chunk may list them in any order.
int ApplyRank(const v1::SyncRecord& r) {
  switch (r.record_case()) {
    case v1::SyncRecord::kCustomer:
      return 0;
    case v1::SyncRecord::kInvoice:
      return 1;
    case v1::SyncRecord::kCreditNote:
      return 2;
    case v1::SyncRecord::kPayment:
      return 3;
    default:
      return 4;
  }
}

// Static validation of one record, before anything is applied. A record is
// complete only once merged with the stored one (no mask: the fields it
// populates; with a mask: the fields named), so the checks here are of
// shape; the apply checks the merged record.
absl::Status CheckRecordShape(const v1::SyncRecord& rec) {
  switch (rec.record_case()) {
    case v1::SyncRecord::kCustomer:
      return LedgerOps::ValidateCustomer(rec.customer(), /*complete=*/false);
    case v1::SyncRecord::kInvoice:
      return rec.has_update_mask() ? absl::OkStatus() : LedgerOps::ValidateInvoice(rec.invoice());
    case v1::SyncRecord::kCreditNote:
      return rec.has_update_mask() ? absl::OkStatus()
                                   : LedgerOps::ValidateCreditNote(rec.credit_note());
    case v1::SyncRecord::kPayment:
      return rec.has_update_mask() ? absl::OkStatus() : LedgerOps::ValidatePayment(rec.payment());
    default:
      return InvalidInput("EMPTY_RECORD", "record",
                          "set one of customer, invoice, credit_note, payment");
  }
}

// A validate_only chunk is checked against the stream so far: replays the
// earlier chunks in its transaction (their own outcomes were reported
// already, so errors are ignored here).
void ReplayEarlierChunks(LedgerOps& ops, const std::vector<v1::SyncLedgerRequest>& earlier) {
  for (const auto& prev : earlier) {
    for (const auto& rec : prev.records()) {
      if (rec.has_customer()) {
        ops.ApplyCustomer(rec.customer(), rec.update_mask()).IgnoreError();
        continue;
      }
      const v1::ExternalRef* ref = messages::RefOf(rec);
      if (ref == nullptr) continue;
      auto customer = ops.ResolveCustomer(rec.customer_ref(), ref->source_system());
      if (!customer.ok()) continue;
      if (rec.has_invoice()) {
        ops.ApplyInvoice(*customer, rec.invoice(), rec.update_mask()).IgnoreError();
      }
      if (rec.has_credit_note()) {
        ops.ApplyCreditNote(*customer, rec.credit_note(), rec.update_mask()).IgnoreError();
      }
      if (rec.has_payment()) {
        ops.ApplyPayment(*customer, rec.payment(), rec.update_mask()).IgnoreError();
      }
    }
  }
}

}  // namespace

absl::Status LedgerApp::SyncChunk(const CallContext& ctx, const v1::SyncLedgerRequest& chunk,
                                  v1::SyncLedgerResponse* response,
                                  const std::vector<v1::SyncLedgerRequest>* earlier) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(chunk.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  if (chunk.sync_id().empty() || chunk.sync_id().size() > 128) {
    return InvalidInput("INVALID_SYNC_ID", "sync_id", "required: 1..128 characters");
  }
  if (chunk.records_size() > 1000) {
    return InvalidInput("CHUNK_TOO_LARGE", "records", "at most 1000 records per chunk");
  }
  response->set_sync_id(chunk.sync_id());
  const int n = chunk.records_size();
  std::vector<v1::RecordOutcome> outcomes(n);
  for (int i = 0; i < n; ++i) {
    outcomes[i].set_chunk_index(chunk.chunk_index());
    outcomes[i].set_record_index(i);
    outcomes[i].set_source_location(chunk.records(i).source_location());
    if (const auto* ref = messages::RefOf(chunk.records(i)))
      *outcomes[i].mutable_external_ref() = *ref;
  }
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return ApplyRank(chunk.records(a)) < ApplyRank(chunk.records(b));
  });

  // Static validation of every record first, so a bad chunk reports all of
  // its faulty records, not just the first.
  bool bad = false;
  auto reject = [&](int i, const absl::Status& st) {
    bad = true;
    auto& o = outcomes[i];
    o.set_kind(v1::RecordOutcome::REJECTED);
    o.set_reason(domain::ReasonOf(st).empty() ? absl::StatusCodeToString(st.code())
                                              : domain::ReasonOf(st));
    auto fields = domain::FieldsOf(st);
    o.set_field(absl::StrCat("records[", i, "]", fields.empty() ? "" : ".",
                             fields.empty() ? "" : fields[0].field));
    o.set_description(std::string(st.message()));
  };
  for (int i = 0; i < n; ++i) {
    if (absl::Status st = CheckRecordShape(chunk.records(i)); !st.ok()) reject(i, st);
  }

  const std::string actor = ctx.actor;
  CallContext sync_ctx = ctx;
  sync_ctx.actor = absl::StrCat(actor, " sync:", chunk.sync_id());
  if (!bad) {
    absl::Status st =
        store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
          LedgerOps ops(tx, clock_, sync_ctx, tenant, "");
          BankPaymentApplier bank_payments(ops, clock_, sync_ctx);
          if (chunk.validate_only() && earlier != nullptr) ReplayEarlierChunks(ops, *earlier);
          for (int i : order) {
            const auto& rec = chunk.records(i);
            absl::StatusOr<ApplyResult> res;
            if (rec.record_case() == v1::SyncRecord::kCustomer) {
              res = ops.ApplyCustomer(rec.customer(), rec.update_mask());
            } else if (rec.has_payment() && rec.customer_ref().empty()) {
              // A bank payment: it names no customer, so cash
              // application finds the customer from its references.
              res = bank_payments.Apply(rec.payment());
            } else {
              const v1::ExternalRef* ref = messages::RefOf(rec);
              auto customer = ops.ResolveCustomer(rec.customer_ref(), ref->source_system());
              if (!customer.ok()) {
                res = customer.status();
              } else if (rec.has_invoice()) {
                res = ops.ApplyInvoice(*customer, rec.invoice(), rec.update_mask());
              } else if (rec.has_credit_note()) {
                res = ops.ApplyCreditNote(*customer, rec.credit_note(), rec.update_mask());
              } else {
                res = ops.ApplyPayment(*customer, rec.payment(), rec.update_mask());
              }
            }
            if (!res.ok()) {
              if (res.status().code() == absl::StatusCode::kInternal ||
                  res.status().code() == absl::StatusCode::kAborted ||
                  res.status().code() == absl::StatusCode::kUnavailable) {
                return res.status();
              }
              reject(i, res.status());
              return domain::WithReason(absl::CancelledError("chunk rejected"), "CHUNK_REJECTED");
            }
            outcomes[i].set_kind(res->kind);
            outcomes[i].set_name(res->name);
          }
          if (chunk.validate_only()) {
            return domain::WithReason(absl::CancelledError("validate only"), "VALIDATE_ONLY");
          }
          return absl::OkStatus();
        });
    if (!st.ok() && domain::ReasonOf(st) != "CHUNK_REJECTED" &&
        domain::ReasonOf(st) != "VALIDATE_ONLY") {
      return st;
    }
  }
  if (bad) {
    for (auto& o : outcomes) {
      if (o.kind() != v1::RecordOutcome::REJECTED) {
        o.set_kind(v1::RecordOutcome::REJECTED);
        o.set_reason("CHUNK_REJECTED");
        o.set_description("not applied: another record of this chunk was rejected");
        o.clear_name();
      }
    }
    response->set_chunks_rejected(response->chunks_rejected() + 1);
  } else if (!chunk.validate_only()) {
    response->set_chunks_applied(response->chunks_applied() + 1);
  }
  for (auto& o : outcomes) {
    switch (o.kind()) {
      case v1::RecordOutcome::CREATED:
        response->set_created(response->created() + 1);
        break;
      case v1::RecordOutcome::UPDATED:
        response->set_updated(response->updated() + 1);
        break;
      case v1::RecordOutcome::UNCHANGED:
        response->set_unchanged(response->unchanged() + 1);
        break;
      default:
        if (o.reason() != "CHUNK_REJECTED") response->set_rejected(response->rejected() + 1);
        break;
    }
    *response->add_outcomes() = std::move(o);
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------ account views

namespace {

absl::StatusOr<std::vector<domain::BucketSpec>> Buckets(
    const google::protobuf::RepeatedField<int32_t>& bounds) {
  std::vector<int> b(bounds.begin(), bounds.end());
  if (b.empty()) b = domain::DefaultBucketBounds();
  return domain::MakeBuckets(b);
}

void FillBuckets(const std::vector<domain::BucketSpec>& specs, const std::string& currency,
                 const std::vector<domain::BucketTotal>& totals,
                 google::protobuf::RepeatedPtrField<v1::AgingBucket>* out) {
  for (size_t i = 0; i < specs.size(); ++i) {
    auto* b = out->Add();
    b->set_label(specs[i].label);
    b->set_min_days(i == 0 ? 0 : specs[i].min_days);
    b->set_max_days(specs[i].max_days);
    *b->mutable_amount() = ToProtoMoney(currency, i < totals.size() ? totals[i].amount : 0);
    b->set_invoice_count(i < totals.size() ? totals[i].count : 0);
  }
}

}  // namespace

absl::StatusOr<v1::AccountSummary> LedgerApp::GetAccountSummary(
    const CallContext& ctx, const v1::GetAccountSummaryRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of(), "as_of"));
  ASSIGN_OR_RETURN(auto specs, Buckets(r.bucket_bounds()));
  AccountSnapshot snap;
  v1::AccountArrangements arrangements;
  RETURN_IF_ERROR(
      store_.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        LedgerOps ops(tx, clock_, ctx, cn.tenant, "");
        ASSIGN_OR_RETURN(snap, ops.LoadAccount(cn.customer));
        ASSIGN_OR_RETURN(arrangements, LoadAccountArrangements(tx, cn.tenant, cn.customer, as_of));
        return absl::OkStatus();
      }));
  ASSIGN_OR_RETURN(
      domain::AccountFacts facts,
      domain::SummarizeAccount(snap.invoice_states, snap.credits, snap.payment_days, as_of, specs));
  v1::AccountSummary out;
  out.set_customer(r.customer());
  *out.mutable_as_of() = ToProtoDate(as_of);
  *out.mutable_arrangements() = std::move(arrangements);
  out.set_oldest_days_past_due(facts.oldest_days_past_due);
  for (const auto& p : facts.positions) {
    auto* pos = out.add_positions();
    pos->set_currency_code(p.currency);
    *pos->mutable_balance() = ToProtoMoney(p.currency, p.balance);
    *pos->mutable_overdue() = ToProtoMoney(p.currency, p.overdue);
    *pos->mutable_unapplied_credit() = ToProtoMoney(p.currency, p.unapplied);
    *pos->mutable_net_balance() = ToProtoMoney(p.currency, p.net_balance);
    FillBuckets(specs, p.currency, p.buckets, pos->mutable_buckets());
    pos->set_open_invoice_count(p.open_count);
    pos->set_overdue_invoice_count(p.overdue_count);
    pos->set_dso_centi(p.dso_centi);
  }
  auto* h = out.mutable_payment_history();
  h->set_invoices_paid(facts.history.invoices_paid);
  h->set_paid_late_bp(facts.history.paid_late_bp);
  h->set_average_days_late_centi(facts.history.average_days_late_centi);
  h->set_worst_days_late(facts.history.worst_days_late);
  if (facts.history.last_payment_date) {
    *h->mutable_last_payment_date() = ToProtoDate(*facts.history.last_payment_date);
  }
  return out;
}

absl::StatusOr<v1::AgingReport> LedgerApp::GetAgingReport(const CallContext& ctx,
                                                          const v1::GetAgingReportRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of(), "as_of"));
  ASSIGN_OR_RETURN(auto specs, Buckets(r.bucket_bounds()));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  if (!r.currency_code().empty() && !domain::IsKnownCurrency(r.currency_code())) {
    return InvalidInput("UNKNOWN_CURRENCY", "currency_code", "not an ISO 4217 code");
  }
  const bool by_customer = r.group_by() != v1::GetAgingReportRequest::CURRENCY;
  store::AgingQuery q;
  q.as_of_day = domain::DayNumber(as_of);
  q.bucket_bounds.assign(r.bucket_bounds().begin(), r.bucket_bounds().end());
  if (q.bucket_bounds.empty()) q.bucket_bounds = domain::DefaultBucketBounds();
  q.by_customer = true;  // rows are customer x currency; currency grouping sums them below
  q.currency = r.currency_code();
  std::map<std::string, v1::Customer> customers;  // only when filtering by kind
  if (r.customer_kind() != v1::CUSTOMER_KIND_UNSPECIFIED) {
    RETURN_IF_ERROR(
        store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
          std::string last;
          while (true) {
            ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kCustomerKind, "", last, 1000));
            if (docs.empty()) break;
            last = docs.back().id;
            for (const auto& d : docs) {
              ASSIGN_OR_RETURN(v1::Customer c, ParseDoc<v1::Customer>(d));
              if (c.kind() == r.customer_kind()) {
                q.customers.push_back(d.id);
                customers[d.id] = std::move(c);
              }
            }
          }
          return absl::OkStatus();
        }));
    if (q.customers.empty()) q.customers.push_back("\x01none");
  }
  // One pass over the cells in (customer, currency, bucket) order, as the
  // store visits them: rows are summed run by run, and only the page's rows
  // are kept; the cells themselves are never held.
  struct Row {
    std::vector<domain::BucketTotal> buckets;
    int64_t total = 0, overdue = 0, count = 0;
  };
  const auto add = [&](const store::AgingCell& c, Row& x) -> absl::Status {
    if (x.buckets.empty()) x.buckets.resize(specs.size());
    int64_t* bucket = &x.buckets[c.bucket].amount;
    if (domain::AddOverflows(*bucket, c.amount, bucket) ||
        domain::AddOverflows(x.total, c.amount, &x.total) ||
        (c.bucket > 0 && domain::AddOverflows(x.overdue, c.amount, &x.overdue))) {
      return domain::AmountSumOverflow(absl::StrCat("the ", c.currency, " aging total"));
    }
    x.buckets[c.bucket].count += static_cast<int>(c.count);
    x.count += c.count;
    return absl::OkStatus();
  };
  v1::AgingReport out;
  *out.mutable_as_of() = ToProtoDate(as_of);
  int emitted = 0;
  std::string last_key;
  std::vector<std::string> page_customers;
  // Offers the row of (customer, currency) to the page, in key order.
  const auto offer = [&](const std::string& customer, const std::string& ccy, const Row& row) {
    if (!out.next_page_token().empty()) return;
    std::string k = absl::StrCat(customer, "\x1f", ccy);
    if (!after.empty() && k <= after) return;
    if (r.overdue_only() && row.overdue == 0) return;
    if (emitted == page_size) {
      out.set_next_page_token(NextPageToken(r, last_key));
      return;
    }
    auto* ar = out.add_rows();
    if (by_customer) {
      ar->set_customer(CustomerResource(tenant, customer));
      page_customers.push_back(customer);
    }
    ar->set_currency_code(ccy);
    FillBuckets(specs, ccy, row.buckets, ar->mutable_buckets());
    *ar->mutable_total() = ToProtoMoney(ccy, row.total);
    *ar->mutable_overdue() = ToProtoMoney(ccy, row.overdue);
    ar->set_invoice_count(static_cast<int>(row.count));
    last_key = std::move(k);
    ++emitted;
  };
  std::map<std::string, Row> totals;  // by currency
  Row run;                            // the (customer, currency) being summed
  Row* run_total = nullptr;           // its currency's total
  std::string run_customer, run_currency;
  const auto end_run = [&] {
    if (run_total != nullptr && by_customer) offer(run_customer, run_currency, run);
  };
  RETURN_IF_ERROR(store_.VisitAging(tenant, q, [&](const store::AgingCell& c) -> absl::Status {
    if (run_total == nullptr || c.customer != run_customer || c.currency != run_currency) {
      end_run();
      for (auto& b : run.buckets) b = domain::BucketTotal{};
      run.total = run.overdue = run.count = 0;
      run_customer = c.customer;
      run_currency = c.currency;
      run_total = &totals[c.currency];
    }
    RETURN_IF_ERROR(add(c, run));
    return add(c, *run_total);
  }));
  end_run();
  if (!by_customer) {
    for (const auto& [ccy, t] : totals) offer("", ccy, t);
  }
  for (const auto& [ccy, t] : totals) {
    auto* row = out.add_currency_totals();
    row->set_currency_code(ccy);
    FillBuckets(specs, ccy, t.buckets, row->mutable_buckets());
    *row->mutable_total() = ToProtoMoney(ccy, t.total);
    *row->mutable_overdue() = ToProtoMoney(ccy, t.overdue);
    row->set_invoice_count(static_cast<int>(t.count));
  }
  if (by_customer && !page_customers.empty()) {
    RETURN_IF_ERROR(
        store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
          for (auto& row : *out.mutable_rows()) {
            ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(row.customer(), "customer"));
            auto it = customers.find(cn.customer);
            if (it != customers.end()) {
              row.set_display_name(it->second.display_name());
              continue;
            }
            ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kCustomerKind, cn.customer));
            if (doc) {
              ASSIGN_OR_RETURN(v1::Customer c, ParseDoc<v1::Customer>(*doc));
              row.set_display_name(c.display_name());
            }
          }
          return absl::OkStatus();
        }));
  }
  return out;
}

absl::StatusOr<v1::ListEventsResponse> LedgerApp::ListEvents(const CallContext& ctx,
                                                             const v1::ListEventsRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  store::EventFilter f;
  f.limit = page_size + 1;
  if (!after.empty() && !absl::SimpleAtoi(after, &f.after_sequence)) {
    return InvalidInput("INVALID_PAGE_TOKEN", "page_token", "not a page token of ListEvents");
  }
  if (!r.customer().empty()) {
    ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
    if (cn.tenant != tenant) {
      return InvalidInput("CROSS_TENANT_REFERENCE", "customer", "names another tenant");
    }
    f.customer = r.customer();
  }
  if (!r.resource().empty()) {
    if (!absl::StartsWith(r.resource(), absl::StrCat(TenantName(tenant), "/"))) {
      return InvalidInput("CROSS_TENANT_REFERENCE", "resource", "names another tenant");
    }
    f.resource_prefix = r.resource();
  }
  ASSIGN_OR_RETURN(auto rows, store_.ListEvents(tenant, f));
  v1::ListEventsResponse resp;
  ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                   EventsFromRows(absl::MakeConstSpan(rows).subspan(0, page_size)));
  for (v1::Event& e : events) *resp.add_events() = std::move(e);
  if (static_cast<int>(rows.size()) > page_size) {
    resp.set_next_page_token(NextPageToken(r, absl::StrCat(rows[page_size - 1].sequence)));
  }
  return resp;
}

}  // namespace collections::app
