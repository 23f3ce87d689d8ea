#include "service/app/arrangement_ops.h"

#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "service/app/arrangement_convert.h"
#include "service/domain/promises.h"

namespace collections::app {

using domain::InvalidInput;

std::optional<absl::CivilDay> OptDay(const v1::Date& d) {
  if (!HasDate(d)) return std::nullopt;
  auto day = ToDay(d, "date");
  if (!day.ok()) return std::nullopt;
  return *day;
}

absl::Status CheckText(const std::string& text, size_t min, size_t max, absl::string_view field) {
  if (text.size() < min || text.size() > max) {
    return InvalidInput("INVALID_TEXT", field,
                        min > 0 ? absl::StrCat("required: ", min, "..", max, " characters")
                                : absl::StrCat("at most ", max, " characters"));
  }
  return absl::OkStatus();
}

bool IsFeeInvoice(const v1::Invoice& inv) {
  return inv.external_ref().source_system() == kSidecarSource &&
         absl::StartsWith(inv.external_ref().id(), "fee-");
}

std::string IdOf(absl::string_view resource_name) {
  const size_t slash = resource_name.rfind('/');
  return std::string(slash == absl::string_view::npos ? resource_name
                                                      : resource_name.substr(slash + 1));
}

absl::StatusOr<absl::CivilDay> DayOr(const v1::Date& d, absl::CivilDay def,
                                     absl::string_view field) {
  if (!HasDate(d)) return def;
  return ToDay(d, field);
}

// The amount due on the invoices `idx`; OUT_OF_RANGE AMOUNT_SUM_OVERFLOW past int64.
absl::StatusOr<int64_t> SumDue(const AccountSnapshot& snap, const std::vector<int>& idx) {
  domain::AmountSum sum;
  for (int i : idx) sum += snap.invoice_states[i].AmountDue();
  return sum.Get("the amount due on these invoices");
}

// A named child of a customer: (tenant, customer, id).
absl::StatusOr<ChildName> Child(const std::string& name, absl::string_view collection) {
  return ParseChildName(name, collection, "name");
}

namespace {

std::atomic<uint64_t> id_counter{0};

}  // namespace

absl::StatusOr<std::string> ArrangementOps::NewId(absl::string_view kind,
                                                  absl::string_view prefix) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::string seed =
        request_id_.empty()
            ? absl::StrCat(absl::ToUnixNanos(clock_.Now()), "/", id_counter.fetch_add(1), "/",
                           reinterpret_cast<uintptr_t>(this))
            : absl::StrCat(customer_, "/", request_id_, "/", prefix);
    const std::string id =
        absl::StrFormat("%s-%012x", prefix, StableHash(absl::StrCat(seed, "#", attempt)) >> 16);
    ASSIGN_OR_RETURN(auto existing, tx_.GetDoc(kind, id));
    if (!existing) return id;
  }
  return absl::InternalError("could not choose a document id");
}

absl::Status ArrangementOps::PutDoc(absl::string_view kind, const google::protobuf::Message& m,
                                    absl::string_view name) {
  return tx_.PutDoc(
      store::Doc{std::string(kind), IdOf(name), customer_, "", "", m.SerializeAsString()});
}

absl::Status ArrangementOps::Event(absl::string_view type, absl::string_view resource,
                                   const google::protobuf::Message* before,
                                   const google::protobuf::Message* after) {
  return AppendEvent(tx_, clock_, ctx_, tenant_, type, resource, CustomerRes(), before, after,
                     request_id_);
}

absl::StatusOr<std::vector<int>> ArrangementOps::ResolveInvoices(
    const google::protobuf::RepeatedPtrField<std::string>& names, const std::string& currency,
    absl::string_view field, bool require_open) {
  ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
  std::vector<int> out;
  if (names.empty()) {
    if (!domain::IsKnownCurrency(currency)) {
      return InvalidInput("UNKNOWN_CURRENCY", "currency_code",
                          "required when no invoices are named");
    }
    for (size_t i = 0; i < snap->invoices.size(); ++i) {
      const auto& inv = snap->invoices[i];
      if (inv.currency_code() == currency && snap->invoice_states[i].AmountDue() > 0 &&
          !inv.voided()) {
        out.push_back(static_cast<int>(i));
      }
    }
    if (out.empty()) {
      return domain::PreconditionError("NOTHING_DUE",
                                       absl::StrCat("no open invoice in ", currency));
    }
    return out;
  }
  std::set<int> seen;
  for (int k = 0; k < names.size(); ++k) {
    const std::string f = absl::StrCat(field, "[", k, "]");
    const std::string& ref = names[k];
    std::string id;
    if (absl::StartsWith(ref, "tenants/")) {
      ASSIGN_OR_RETURN(ChildName n, ParseChildName(ref, kInvoices, f));
      if (n.tenant != tenant_ || n.customer != customer_) {
        return InvalidInput("CROSS_CUSTOMER_REFERENCE", f,
                            "the invoice belongs to another customer");
      }
      id = n.id;
    }
    int found = -1;
    for (size_t i = 0; i < snap->invoices.size(); ++i) {
      if ((!id.empty() && snap->invoice_states[i].id == id) ||
          (id.empty() && snap->invoices[i].number() == ref)) {
        found = static_cast<int>(i);
        break;
      }
    }
    if (found < 0) {
      return domain::WithField(
          domain::NotFoundError("INVOICE_NOT_FOUND", absl::StrCat(f, ": no invoice \"", ref, "\"")),
          f, "unknown invoice");
    }
    if (!seen.insert(found).second) return InvalidInput("DUPLICATE_INVOICE", f, "listed twice");
    const auto& inv = snap->invoices[found];
    if (!out.empty() && inv.currency_code() != snap->invoices[out[0]].currency_code()) {
      return InvalidInput("CURRENCY_MISMATCH", f, "all invoices must share one currency");
    }
    if (!currency.empty() && inv.currency_code() != currency) {
      return InvalidInput("CURRENCY_MISMATCH", f,
                          absl::StrCat("the invoice is in ", inv.currency_code()));
    }
    if (require_open && (inv.voided() || snap->invoice_states[found].AmountDue() <= 0)) {
      return domain::WithField(
          domain::PreconditionError(
              "INVOICE_NOT_OPEN", absl::StrCat(f, ": invoice ", inv.number(), " has nothing due")),
          f, "nothing due");
    }
    out.push_back(found);
  }
  return out;
}

absl::StatusOr<std::vector<domain::DatedAmount>> ArrangementOps::PaymentsTo(
    const std::vector<std::string>& invoice_ids, const std::string& currency) {
  ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
  std::set<std::string> ids(invoice_ids.begin(), invoice_ids.end());
  std::vector<domain::DatedAmount> out;
  for (const auto& p : snap->payments) {
    if (p.amount().currency_code() != currency) continue;
    auto day = OptDay(p.received_date());
    if (!day) continue;
    for (const auto& a : p.allocations()) {
      if (ids.empty() || ids.count(IdOf(a.invoice()))) {
        out.push_back({*day, a.amount().minor_units()});
      }
    }
  }
  return out;
}

absl::StatusOr<v1::PromiseToPay> ArrangementOps::Evaluate(v1::PromiseToPay p,
                                                          absl::CivilDay as_of) {
  const domain::Promise d = PromiseOf(p);
  ASSIGN_OR_RETURN(auto pays, PaymentsTo(d.invoice_ids, d.amount.currency));
  const domain::PromiseEvaluation ev = domain::EvaluatePromise(d, pays, as_of);
  p.set_status(ToProto(ev.status));
  *p.mutable_amount_paid() = ToProtoMoney(d.amount.currency, ev.paid);
  if (ev.resolved_date) {
    *p.mutable_resolved_date() = ToProtoDate(*ev.resolved_date);
  } else {
    p.clear_resolved_date();
  }
  return p;
}

absl::StatusOr<v1::PaymentPlan> ArrangementOps::Evaluate(v1::PaymentPlan p, absl::CivilDay as_of,
                                                         domain::PlanEvaluation* eval) {
  const domain::PaymentPlan d = PlanOf(p);
  ASSIGN_OR_RETURN(auto pays, PaymentsTo(d.invoice_ids, d.currency));
  const domain::PlanEvaluation ev = domain::EvaluatePlan(d, pays, plan_policy(), as_of);
  for (int i = 0; i < p.installments_size() && i < static_cast<int>(ev.installments.size()); ++i) {
    auto* inst = p.mutable_installments(i);
    *inst->mutable_paid_amount() = ToProtoMoney(d.currency, ev.installments[i].paid);
    switch (ev.statuses[i]) {
      case domain::InstallmentStatus::kUpcoming:
        inst->set_status(v1::PlanInstallment::UPCOMING);
        break;
      case domain::InstallmentStatus::kDue:
        inst->set_status(v1::PlanInstallment::DUE);
        break;
      case domain::InstallmentStatus::kPaid:
        inst->set_status(v1::PlanInstallment::PAID);
        break;
      case domain::InstallmentStatus::kMissed:
        inst->set_status(v1::PlanInstallment::MISSED);
        break;
    }
  }
  *p.mutable_remaining() = ToProtoMoney(d.currency, ev.remaining);
  p.set_in_arrears(ev.in_arrears);
  p.set_next_action(ev.action == domain::PlanAction::kReminder  ? v1::PaymentPlan::REMINDER
                    : ev.action == domain::PlanAction::kDefault ? v1::PaymentPlan::DEFAULT
                                                                : v1::PaymentPlan::NONE);
  if (eval) *eval = ev;
  return p;
}

}  // namespace collections::app
