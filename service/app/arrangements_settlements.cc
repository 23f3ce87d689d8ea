// ArrangementService: settlements (a lump sum accepted for less than the balance).
#include "service/app/arrangement_ops.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/app/arrangement_convert.h"
#include "service/domain/settlement.h"

namespace collections::app {

using domain::InvalidInput;

absl::StatusOr<bool> ArrangementOps::CloseSettlementIfPaid(v1::Settlement& s,
                                                           absl::CivilDay as_of) {
  if (s.state() != v1::Settlement::ACCEPTED) return false;
  ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
  std::vector<std::string> ids;
  for (const auto& n : s.invoices()) ids.push_back(IdOf(n));
  const std::string ccy = s.amount().currency_code();
  ASSIGN_OR_RETURN(auto pays, PaymentsTo(ids, ccy));
  const absl::CivilDay since = absl::ToCivilDay(FromTs(s.create_time()), absl::UTCTimeZone());
  domain::AmountSum paid_sum;
  for (const auto& p : pays) {
    if (p.day >= since && p.day <= as_of) paid_sum += p.amount;
  }
  ASSIGN_OR_RETURN(const int64_t paid, paid_sum.Get("the payments towards the settlement"));
  *s.mutable_amount_paid() = ToProtoMoney(ccy, paid);
  if (paid < s.amount().minor_units()) return false;
  v1::CreditNote cn;
  cn.mutable_external_ref()->set_source_system(kSidecarSource);
  cn.mutable_external_ref()->set_id(absl::StrCat("settlement-", IdOf(s.name())));
  cn.set_number(absl::AsciiStrToUpper(cn.external_ref().id()));
  *cn.mutable_issue_date() = ToProtoDate(as_of);
  cn.set_reason(absl::StrCat("settlement discount (", s.name(), ")"));
  domain::AmountSum remaining_sum;
  for (size_t i = 0; i < snap->invoices.size(); ++i) {
    const auto& st = snap->invoice_states[i];
    if (std::find(ids.begin(), ids.end(), st.id) == ids.end()) continue;
    const int64_t due = st.AmountDue();
    if (due <= 0) continue;
    auto* a = cn.add_allocations();
    a->set_invoice(snap->invoices[i].name());
    *a->mutable_amount() = ToProtoMoney(ccy, due);
    remaining_sum += due;
  }
  ASSIGN_OR_RETURN(const int64_t remaining, remaining_sum.Get("the settlement's remainder"));
  const v1::Settlement before = s;
  if (remaining > 0) {
    *cn.mutable_amount() = ToProtoMoney(ccy, remaining);
    ASSIGN_OR_RETURN(ApplyResult res, ledger_.ApplyCreditNote(customer_, cn));
    s.set_credit_note(res.name);
    Reload();
  }
  s.set_state(v1::Settlement::PAID);
  *s.mutable_update_time() = Ts(Now());
  RETURN_IF_ERROR(PutDoc(kSettlementDocKind, s, s.name()));
  RETURN_IF_ERROR(Event("settlement.paid", s.name(), &before, &s));
  return true;
}

// --------------------------------------------------------------- settlements

absl::StatusOr<v1::Settlement> ArrangementsApp::ProposeSettlement(
    const CallContext& ctx, const v1::ProposeSettlementRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  auto compute = [&](ArrangementOps& ops) -> absl::StatusOr<v1::Settlement> {
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
    ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(r.invoices(), r.currency_code(), "invoices"));
    const std::string ccy = snap->invoices[idx[0]].currency_code();
    ASSIGN_OR_RETURN(const int64_t balance, SumDue(*snap, idx));
    // The alternatives to settling, from the tenant's economics (the model
    // the ladder weighs referrals with), unless the request overrides one.
    const domain::Economics& economics = ops.policy().economics;
    std::vector<domain::SettlementAlternative> alts;
    for (const auto& e : domain::EstimateAllRecoveries(economics, ccy)) {
      alts.push_back({e.path, e.probability_bp, e.expected_days, e.commission_bp, e.cost});
    }
    for (int k = 0; k < r.alternatives_size(); ++k) {
      const auto& a = r.alternatives(k);
      const std::string f = absl::StrCat("alternatives[", k, "]");
      if (a.path() == v1::RecoveryAlternative::PATH_UNSPECIFIED) {
        return InvalidInput("INVALID_ALTERNATIVE", f + ".path", "INTERNAL, AGENCY or LEGAL");
      }
      if (a.has_cost()) RETURN_IF_ERROR(CheckMoney(a.cost(), ccy, 0, f + ".cost"));
      const auto path = static_cast<domain::RecoveryPath>(static_cast<int>(a.path()) - 1);
      domain::SettlementAlternative d{path, a.probability_bp(), a.expected_days(),
                                      a.commission_bp(), a.cost().minor_units()};
      auto it = std::find_if(alts.begin(), alts.end(), [&](const domain::SettlementAlternative& x) {
        return x.path == path;
      });
      if (it != alts.end()) {
        *it = d;
      } else {
        alts.push_back(d);
      }
    }
    const domain::SettlementPolicy& sp = ops.policy().arrangements.settlements;
    ASSIGN_OR_RETURN(domain::SettlementFigures f,
                     domain::ComputeSettlementFigures(domain::Money{ccy, balance}, alts, sp,
                                                      economics.annual_discount_rate_bp));
    int64_t amount = f.minimum_acceptable;
    if (r.has_amount()) {
      RETURN_IF_ERROR(CheckMoney(r.amount(), ccy, 1, "amount"));
      amount = r.amount().minor_units();
    }
    RETURN_IF_ERROR(domain::CheckSettlementOffer(f, amount));
    v1::Settlement s;
    for (int i : idx) s.add_invoices(snap->invoices[i].name());
    *s.mutable_amount() = ToProtoMoney(ccy, amount);
    *s.mutable_discount() = ToProtoMoney(ccy, balance - amount);
    auto* fig = s.mutable_figures();
    *fig->mutable_balance() = ToProtoMoney(ccy, balance);
    for (const auto& a : f.alternatives) {
      auto* pa = fig->add_alternatives();
      pa->set_path(static_cast<v1::RecoveryAlternative::Path>(static_cast<int>(a.path) + 1));
      pa->set_probability_bp(a.probability_bp);
      pa->set_expected_days(a.expected_days);
      pa->set_commission_bp(a.commission_bp);
      *pa->mutable_cost() = ToProtoMoney(ccy, a.cost);
      *pa->mutable_net_expected() = ToProtoMoney(ccy, a.net_expected);
      *pa->mutable_present_value() = ToProtoMoney(ccy, a.present_value);
    }
    *fig->mutable_best_alternative() = ToProtoMoney(ccy, f.best_alternative);
    *fig->mutable_margin_floor() = ToProtoMoney(ccy, f.margin_floor);
    fig->set_margin_floor_bp(sp.margin_floor_bp);
    fig->set_max_discount_bp(sp.max_discount_bp);
    fig->set_annual_discount_rate_bp(economics.annual_discount_rate_bp);
    *fig->mutable_minimum_acceptable() = ToProtoMoney(ccy, f.minimum_acceptable);
    *fig->mutable_max_discount() = ToProtoMoney(ccy, f.max_discount);
    fig->set_discount_bp(f.discount_bp);
    for (const auto& reason : f.reasons) fig->add_reasons(reason);
    ASSIGN_OR_RETURN(absl::CivilDay pay_by, DayOr(r.pay_by(), ops.Today() + 14, "pay_by"));
    if (pay_by < ops.Today()) return InvalidInput("INVALID_SETTLEMENT", "pay_by", "before today");
    *s.mutable_pay_by() = ToProtoDate(pay_by);
    s.set_state(v1::Settlement::PROPOSED);
    *s.mutable_create_time() = Ts(ops.Now());
    *s.mutable_update_time() = s.create_time();
    return s;
  };
  if (r.validate_only()) {
    // validate_only writes nothing: any day, as a read.
    ASSIGN_OR_RETURN(absl::CivilDay day, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
    return ReadAccount<v1::Settlement>(store_, clock_, config_, ctx, cn.tenant, cn.customer, day,
                                       compute);
  }
  return MutateAccount<v1::Settlement>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(),
      "ProposeSettlement", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::Settlement> {
        ASSIGN_OR_RETURN(v1::Settlement s, compute(ops));
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kSettlementDocKind, "stl"));
        s.set_name(ops.Res(kSettlements, id));
        RETURN_IF_ERROR(ops.PutDoc(kSettlementDocKind, s, s.name()));
        RETURN_IF_ERROR(ops.Event("settlement.proposed", s.name(), nullptr, &s));
        return s;
      });
}

absl::StatusOr<v1::Settlement> ArrangementsApp::AcceptSettlement(
    const CallContext& ctx, const v1::AcceptSettlementRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kSettlements));
  return MutateAccount<v1::Settlement>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(),
      "AcceptSettlement", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::Settlement> {
        ASSIGN_OR_RETURN(v1::Settlement s,
                         ops.GetDoc<v1::Settlement>(kSettlementDocKind, r.name(), kSettlements,
                                                    "SETTLEMENT_NOT_FOUND"));
        if (s.state() != v1::Settlement::PROPOSED) {
          return domain::PreconditionError("SETTLEMENT_NOT_PROPOSED",
                                           absl::StrCat(r.name(), " is not PROPOSED"));
        }
        ASSIGN_OR_RETURN(absl::CivilDay pay_by, ToDay(s.pay_by(), "pay_by"));
        if (ops.Today() > pay_by) {
          return domain::PreconditionError(
              "SETTLEMENT_LAPSED",
              absl::StrCat(r.name(), " had to be paid by ", domain::FormatIsoDay(pay_by)));
        }
        const v1::Settlement before = s;
        s.set_state(v1::Settlement::ACCEPTED);
        *s.mutable_accepted_date() = ToProtoDate(ops.Today());
        *s.mutable_update_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kSettlementDocKind, s, s.name()));
        RETURN_IF_ERROR(ops.Event("settlement.accepted", s.name(), &before, &s));
        // Already paid (the lump sum arrived with the acceptance): close now.
        RETURN_IF_ERROR(ops.CloseSettlementIfPaid(s, ops.Today()).status());
        return s;
      });
}

}  // namespace collections::app
