#include "service/app/arrangements_app.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "service/app/arrangement_convert.h"
#include "service/app/arrangement_ops.h"
#include "service/base/status_macros.h"

// The ArrangementService's files, by meaning: arrangements_plans.cc
// (promises, plans, extended terms), arrangements_settlements.cc,
// arrangements_fees.cc, arrangements_disputes.cc (disputes, write-offs),
// arrangements_referrals.cc; arrangement_ops.{h,cc} hold the unit of work
// they share and arrangement_convert.{h,cc} the proto <-> domain
// conversions. This file: listings, RefreshArrangements and the loaders
// other application code reads.

namespace collections::app {

using domain::InvalidInput;

// ---------------------------------------------------------------- listings

namespace {

const std::vector<std::string>& AllKinds() {
  static const auto* kinds =
      new std::vector<std::string>{kPromiseKind, kPlanKind,        kSettlementDocKind, kFeeKind,
                                   kDisputeKind, kWriteOffDocKind, kReferralKind};
  return *kinds;
}

absl::StatusOr<v1::Arrangement> ArrangementOfDoc(const store::Doc& d) {
  v1::Arrangement a;
  bool ok = false;
  if (d.kind == kPromiseKind) ok = a.mutable_promise()->ParseFromString(d.body);
  if (d.kind == kPlanKind) ok = a.mutable_plan()->ParseFromString(d.body);
  if (d.kind == kSettlementDocKind) ok = a.mutable_settlement()->ParseFromString(d.body);
  if (d.kind == kFeeKind) ok = a.mutable_fee()->ParseFromString(d.body);
  if (d.kind == kDisputeKind) ok = a.mutable_dispute()->ParseFromString(d.body);
  if (d.kind == kWriteOffDocKind) ok = a.mutable_write_off()->ParseFromString(d.body);
  if (d.kind == kReferralKind) ok = a.mutable_referral()->ParseFromString(d.body);
  if (!ok)
    return absl::InternalError(absl::StrCat("stored ", d.kind, " ", d.id, " does not parse"));
  return a;
}

}  // namespace

absl::StatusOr<v1::ListArrangementsResponse> ArrangementsApp::ListArrangements(
    const CallContext& ctx, const v1::ListArrangementsRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
  std::vector<std::string> kinds;
  for (int i = 0; i < r.kinds_size(); ++i) {
    if (std::find(AllKinds().begin(), AllKinds().end(), r.kinds(i)) == AllKinds().end()) {
      return InvalidInput("INVALID_KIND", absl::StrCat("kinds[", i, "]"),
                          "promise, plan, settlement, fee, dispute, write_off or referral");
    }
    kinds.push_back(r.kinds(i));
  }
  if (kinds.empty()) kinds = AllKinds();
  std::sort(kinds.begin(), kinds.end());
  return ReadAccount<v1::ListArrangementsResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, as_of,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::ListArrangementsResponse> {
        // Keyset over (kind, id): "kind\x1fid".
        v1::ListArrangementsResponse resp;
        int emitted = 0;
        std::string last;
        for (const auto& kind : kinds) {
          std::string from;
          if (!after.empty()) {
            const size_t sep = after.find('\x1f');
            const std::string akind = after.substr(0, sep);
            if (kind < akind) continue;
            if (kind == akind && sep != std::string::npos) from = after.substr(sep + 1);
          }
          while (emitted <= page_size) {
            ASSIGN_OR_RETURN(auto docs, ops.tx().ListDocs(kind, cn.customer, from, page_size + 1));
            if (docs.empty()) break;
            for (const auto& d : docs) {
              if (emitted == page_size) {
                resp.set_next_page_token(NextPageToken(r, last));
                return resp;
              }
              ASSIGN_OR_RETURN(v1::Arrangement a, ArrangementOfDoc(d));
              if (a.has_promise()) {
                ASSIGN_OR_RETURN(*a.mutable_promise(), ops.Evaluate(a.promise(), as_of));
              }
              if (a.has_plan()) {
                ASSIGN_OR_RETURN(*a.mutable_plan(), ops.Evaluate(a.plan(), as_of));
              }
              *resp.add_arrangements() = std::move(a);
              last = absl::StrCat(kind, "\x1f", d.id);
              ++emitted;
            }
            from = docs.back().id;
          }
        }
        return resp;
      });
}

namespace {

// Decides what the passing of days decides: promises kept or broken, plans
// completed or defaulted (with their consequences), settlements paid or
// lapsed. Appends the audit events of every change.
absl::StatusOr<v1::RefreshArrangementsResponse> RefreshInOps(ArrangementOps& ops,
                                                             absl::CivilDay as_of) {
  v1::RefreshArrangementsResponse resp;
  // Promises: decided ones become final.
  ASSIGN_OR_RETURN(auto promises, ops.ListDocs<v1::PromiseToPay>(kPromiseKind));
  for (auto& p : promises) {
    if (p.status() != v1::PromiseToPay::PENDING) continue;
    ASSIGN_OR_RETURN(v1::PromiseToPay ev, ops.Evaluate(p, as_of));
    if (ev.status() == v1::PromiseToPay::PENDING) continue;
    *ev.mutable_update_time() = Ts(ops.Now());
    RETURN_IF_ERROR(ops.PutDoc(kPromiseKind, ev, ev.name()));
    const char* type = ev.status() == v1::PromiseToPay::KEPT     ? "promise.kept"
                       : ev.status() == v1::PromiseToPay::BROKEN ? "promise.broken"
                                                                 : "promise.partly_kept";
    RETURN_IF_ERROR(ops.Event(type, ev.name(), &p, &ev));
    *resp.add_changed()->mutable_promise() = ev;
  }
  // Plans: completed or defaulted.
  ASSIGN_OR_RETURN(auto plans, ops.ListDocs<v1::PaymentPlan>(kPlanKind));
  for (auto& p : plans) {
    if (p.state() != v1::PaymentPlan::ACTIVE) continue;
    domain::PlanEvaluation ev;
    ASSIGN_OR_RETURN(v1::PaymentPlan next, ops.Evaluate(p, as_of, &ev));
    std::set<std::string> ids;
    for (const auto& n : p.invoices()) ids.insert(IdOf(n));
    const std::string ccy = p.currency_code();
    if (ev.status == domain::PlanStatus::kCompleted) {
      next.set_state(v1::PaymentPlan::COMPLETED);
      *next.mutable_completed_date() = ToProtoDate(ev.completed_date.value_or(as_of));
      ASSIGN_OR_RETURN(int64_t waived, ops.WaiveFees(ids, as_of, "payment plan completed"));
      *next.mutable_waived_fees() = ToProtoMoney(ccy, waived);
    } else if (ev.status == domain::PlanStatus::kDefaulted) {
      domain::PaymentPlan d = PlanOf(p);
      ASSIGN_OR_RETURN(auto outcome, domain::DefaultPlan(d, ev, {}, ops.plan_policy()));
      (void)outcome;
      next.set_state(v1::PaymentPlan::DEFAULTED);
      next.set_in_arrears(true);
      *next.mutable_defaulted_date() = ToProtoDate(ev.default_date.value_or(as_of));
      if (!ops.plan_policy().restore_waived_fees_on_default) {
        ASSIGN_OR_RETURN(int64_t waived,
                         ops.WaiveFees(ids, as_of, "policy waives fees on default"));
        *next.mutable_waived_fees() = ToProtoMoney(ccy, waived);
      }
    } else {
      continue;
    }
    *next.mutable_update_time() = Ts(ops.Now());
    RETURN_IF_ERROR(ops.PutDoc(kPlanKind, next, next.name()));
    RETURN_IF_ERROR(
        ops.Event(next.state() == v1::PaymentPlan::COMPLETED ? "plan.completed" : "plan.defaulted",
                  next.name(), &p, &next));
    *resp.add_changed()->mutable_plan() = next;
  }
  // Settlements: accepted and paid → closed; proposed past pay_by → lapsed.
  ASSIGN_OR_RETURN(auto settlements, ops.ListDocs<v1::Settlement>(kSettlementDocKind));
  for (auto& s : settlements) {
    if (s.state() == v1::Settlement::ACCEPTED) {
      ASSIGN_OR_RETURN(bool closed, ops.CloseSettlementIfPaid(s, as_of));
      if (closed) {
        *resp.add_changed()->mutable_settlement() = s;
        continue;
      }
    }
    auto pay_by = OptDay(s.pay_by());
    if ((s.state() == v1::Settlement::PROPOSED || s.state() == v1::Settlement::ACCEPTED) &&
        pay_by && as_of > *pay_by) {
      const v1::Settlement before = s;
      s.set_state(v1::Settlement::LAPSED);
      *s.mutable_update_time() = Ts(ops.Now());
      RETURN_IF_ERROR(ops.PutDoc(kSettlementDocKind, s, s.name()));
      RETURN_IF_ERROR(ops.Event("settlement.lapsed", s.name(), &before, &s));
      *resp.add_changed()->mutable_settlement() = s;
    }
  }
  return resp;
}

}  // namespace

absl::StatusOr<v1::RefreshArrangementsResponse> ArrangementsApp::RefreshArrangements(
    const CallContext& ctx, const v1::RefreshArrangementsRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kWrite));
  return MutateAccount<v1::RefreshArrangementsResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(),
      "RefreshArrangements", r, [&](ArrangementOps& ops) { return RefreshInOps(ops, as_of); });
}

absl::StatusOr<v1::RefreshArrangementsResponse> RefreshArrangementsInTx(
    store::Transaction& tx, const domain::Clock& clock, const CallContext& ctx,
    const std::string& tenant, const std::string& customer, absl::CivilDay as_of,
    const v1::CollectionPolicy* starting_policy) {
  static const ArrangementConfig* kConfig = new ArrangementConfig();
  ASSIGN_OR_RETURN(
      domain::CollectionPolicy policy,
      LoadTenantDomainPolicy(
          tx, starting_policy != nullptr ? *starting_policy : kConfig->starting_policy));
  ArrangementOps ops(tx, clock, ctx, *kConfig, std::move(policy), as_of, tenant, customer, "");
  RETURN_IF_ERROR(ops.ledger().LoadCustomer(customer).status());
  return RefreshInOps(ops, as_of);
}

// ----------------------------------------------- for other application code

namespace {

// A read-only unit of work for the loaders below.
absl::StatusOr<std::unique_ptr<ArrangementOps>> LoaderOps(store::Transaction& tx,
                                                          const std::string& tenant,
                                                          const std::string& customer_id,
                                                          absl::CivilDay as_of,
                                                          const LoadOptions& options) {
  static const CallContext kSystem{"system", ""};
  static const ArrangementConfig* kConfig = new ArrangementConfig();
  const v1::CollectionPolicy& starting =
      options.starting_policy != nullptr ? *options.starting_policy : kConfig->starting_policy;
  ASSIGN_OR_RETURN(domain::CollectionPolicy policy, LoadTenantDomainPolicy(tx, starting));
  const domain::Clock& clock = options.clock != nullptr ? *options.clock : domain::SystemClock();
  return std::make_unique<ArrangementOps>(tx, clock, kSystem, *kConfig, std::move(policy), as_of,
                                          tenant, customer_id, "");
}

}  // namespace

absl::Status LoadArrangementContext(store::Transaction& tx, const std::string& tenant,
                                    const std::string& customer_id, absl::CivilDay as_of,
                                    domain::AccountContext* account, const LoadOptions& options) {
  ASSIGN_OR_RETURN(auto ops_ptr, LoaderOps(tx, tenant, customer_id, as_of, options));
  ArrangementOps& ops = *ops_ptr;
  ASSIGN_OR_RETURN(auto promises, ops.ListDocs<v1::PromiseToPay>(kPromiseKind));
  for (const auto& p : promises) {
    ASSIGN_OR_RETURN(v1::PromiseToPay ev, ops.Evaluate(p, as_of));
    account->promises.push_back(PromiseOf(ev));
  }
  ASSIGN_OR_RETURN(auto plans, ops.ListDocs<v1::PaymentPlan>(kPlanKind));
  for (const auto& p : plans) {
    ASSIGN_OR_RETURN(v1::PaymentPlan ev, ops.Evaluate(p, as_of));
    domain::PaymentPlan d = PlanOf(ev);
    for (size_t i = 0; i < d.installments.size(); ++i) {
      d.installments[i].paid = ev.installments(static_cast<int>(i)).paid_amount().minor_units();
    }
    account->plans.push_back(std::move(d));
  }
  ASSIGN_OR_RETURN(auto disputes, ops.ListDocs<v1::Dispute>(kDisputeKind));
  for (const auto& d : disputes) account->disputes.push_back(DisputeOf(d));
  ASSIGN_OR_RETURN(auto settlements, ops.ListDocs<v1::Settlement>(kSettlementDocKind));
  for (const auto& s : settlements) {
    domain::SettlementHold h;
    h.id = IdOf(s.name());
    switch (s.state()) {
      case v1::Settlement::PROPOSED:
        h.status = domain::SettlementStatus::kProposed;
        break;
      case v1::Settlement::ACCEPTED:
        h.status = domain::SettlementStatus::kAccepted;
        break;
      case v1::Settlement::PAID:
        h.status = domain::SettlementStatus::kPaid;
        break;
      case v1::Settlement::LAPSED:
        h.status = domain::SettlementStatus::kLapsed;
        break;
      default:
        h.status = domain::SettlementStatus::kOther;
        break;
    }
    for (const auto& n : s.invoices()) h.invoice_ids.push_back(IdOf(n));
    h.amount = ToMoney(s.amount());
    h.pay_by = OptDay(s.pay_by());
    h.accepted_date = OptDay(s.accepted_date());
    account->settlements.push_back(std::move(h));
  }
  ASSIGN_OR_RETURN(auto fees, ops.ListDocs<v1::Fee>(kFeeKind));
  for (const auto& f : fees) {
    domain::FeeCharge c;
    c.id = IdOf(f.name());
    c.invoice_id = IdOf(f.invoice());
    c.stage = static_cast<domain::Stage>(std::clamp(f.stage(), 0, domain::kStageCount - 1));
    c.amount = ToMoney(f.amount());
    c.raised_date = OptDay(f.raised_date()).value_or(as_of);
    c.waived = f.waived();
    account->fees.push_back(std::move(c));
  }
  ASSIGN_OR_RETURN(auto referrals, ops.ListDocs<v1::Referral>(kReferralKind));
  for (const auto& r : referrals) {
    if (r.state() == v1::Referral::ACTIVE) account->referral = ReferralOf(r);
  }
  if (account->referral.state == domain::EndState::kNone) {
    ASSIGN_OR_RETURN(v1::AccountArrangements view,
                     LoadAccountArrangements(tx, tenant, customer_id, as_of));
    if (view.end_state() == v1::AccountArrangements::WRITTEN_OFF) {
      account->referral.state = domain::EndState::kWrittenOff;
      account->referral.since = as_of;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::AccountArrangements> LoadAccountArrangements(store::Transaction& tx,
                                                                const std::string& tenant,
                                                                const std::string& customer_id,
                                                                absl::CivilDay as_of,
                                                                const LoadOptions& options) {
  ASSIGN_OR_RETURN(auto ops_ptr, LoaderOps(tx, tenant, customer_id, as_of, options));
  ArrangementOps& ops = *ops_ptr;
  v1::AccountArrangements out;
  out.set_end_state(v1::AccountArrangements::INTERNAL);
  ASSIGN_OR_RETURN(auto referrals, ops.ListDocs<v1::Referral>(kReferralKind));
  for (const auto& r : referrals) {
    if (r.state() != v1::Referral::ACTIVE) continue;
    *out.mutable_referral() = r;
    out.set_end_state(r.kind() == v1::Referral::LEGAL ? v1::AccountArrangements::IN_LEGAL
                                                      : v1::AccountArrangements::AT_AGENCY);
  }
  ASSIGN_OR_RETURN(auto write_offs, ops.ListDocs<v1::WriteOff>(kWriteOffDocKind));
  for (const auto& w : write_offs) {
    if (!w.reversed()) *out.add_write_offs() = w;
  }
  if (out.write_offs_size() > 0 && out.end_state() == v1::AccountArrangements::INTERNAL) {
    // Written off when nothing is left due apart from what was written off.
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
    bool open = false;
    for (const auto& st : snap->invoice_states) open |= !st.voided && st.AmountDueAsOf(as_of) > 0;
    if (!open) out.set_end_state(v1::AccountArrangements::WRITTEN_OFF);
  }
  ASSIGN_OR_RETURN(auto promises, ops.ListDocs<v1::PromiseToPay>(kPromiseKind));
  for (const auto& p : promises) {
    ASSIGN_OR_RETURN(v1::PromiseToPay ev, ops.Evaluate(p, as_of));
    if (ev.status() == v1::PromiseToPay::PENDING) *out.add_pending_promises() = ev;
  }
  ASSIGN_OR_RETURN(auto plans, ops.ListDocs<v1::PaymentPlan>(kPlanKind));
  for (const auto& p : plans) {
    if (p.state() != v1::PaymentPlan::ACTIVE) continue;
    ASSIGN_OR_RETURN(*out.add_active_plans(), ops.Evaluate(p, as_of));
  }
  ASSIGN_OR_RETURN(auto disputes, ops.ListDocs<v1::Dispute>(kDisputeKind));
  for (const auto& d : disputes) {
    if (d.state() == v1::Dispute::OPEN) *out.add_open_disputes() = d;
  }
  ASSIGN_OR_RETURN(auto settlements, ops.ListDocs<v1::Settlement>(kSettlementDocKind));
  for (const auto& s : settlements) {
    if (s.state() == v1::Settlement::PROPOSED || s.state() == v1::Settlement::ACCEPTED) {
      *out.add_open_settlements() = s;
    }
  }
  ASSIGN_OR_RETURN(auto fees, ops.ListDocs<v1::Fee>(kFeeKind));
  std::map<std::string, domain::AmountSum> by_ccy;
  for (const auto& f : fees) {
    if (!f.waived()) by_ccy[f.amount().currency_code()] += f.amount().minor_units();
  }
  for (const auto& [ccy, sum] : by_ccy) {
    ASSIGN_OR_RETURN(const int64_t raised, sum.Get(absl::StrCat("the ", ccy, " fees raised")));
    *out.add_fees_raised() = ToProtoMoney(ccy, raised);
  }
  return out;
}

absl::StatusOr<std::vector<v1::Arrangement>> ListAccountArrangements(
    store::Transaction& tx, const std::string& customer_id) {
  std::vector<v1::Arrangement> out;
  std::vector<std::string> kinds = AllKinds();
  std::sort(kinds.begin(), kinds.end());
  for (const auto& kind : kinds) {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kind, customer_id, after, 1000));
      if (docs.empty()) break;
      after = docs.back().id;
      for (const auto& d : docs) {
        ASSIGN_OR_RETURN(v1::Arrangement a, ArrangementOfDoc(d));
        out.push_back(std::move(a));
      }
    }
  }
  return out;
}

}  // namespace collections::app