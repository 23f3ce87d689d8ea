// ArrangementService: promises to pay, payment plans and extended terms.
#include "service/app/arrangement_ops.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/app/arrangement_convert.h"
#include "service/domain/amount_limits.h"
#include "service/domain/promises.h"

namespace collections::app {

using domain::InvalidInput;

// ------------------------------------------------------------------ promises

absl::StatusOr<v1::PromiseToPay> ArrangementsApp::RecordPromise(const CallContext& ctx,
                                                                const v1::RecordPromiseRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  const v1::PromiseToPay& in = r.promise();
  RETURN_IF_ERROR(CheckMoney(in.amount(), "", 1, "promise.amount"));
  if (in.channel() == v1::PromiseToPay::CHANNEL_UNSPECIFIED) {
    return InvalidInput("CHANNEL_UNSPECIFIED", "promise.channel", "how the promise was made");
  }
  RETURN_IF_ERROR(CheckText(in.promised_by(), 1, 200, "promise.promised_by"));
  RETURN_IF_ERROR(CheckText(in.note(), 0, 2000, "promise.note"));
  if (in.grace_days() < 0 || in.grace_days() > domain::kMaxPromiseGraceDays) {
    return InvalidInput("INVALID_PROMISE", "promise.grace_days", "must be 0..60");
  }
  ASSIGN_OR_RETURN(absl::CivilDay promised, ToDay(in.promised_date(), "promise.promised_date"));
  return MutateAccount<v1::PromiseToPay>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(),
      "RecordPromise", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::PromiseToPay> {
        const int grace =
            in.grace_days() > 0 ? in.grace_days() : ops.policy().arrangements.promise_grace_days;
        v1::PromiseToPay p = in;
        ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(in.invoices(), in.amount().currency_code(),
                                                       "promise.invoices"));
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        p.clear_invoices();
        if (!in.invoices().empty()) {
          for (int i : idx) p.add_invoices(snap->invoices[i].name());
        }
        p.set_grace_days(grace);
        *p.mutable_grace_end() = ToProtoDate(domain::PromiseGraceEnd(promised, grace));
        *p.mutable_create_time() = Ts(ops.Now());
        *p.mutable_update_time() = p.create_time();
        p.set_status(v1::PromiseToPay::PENDING);
        RETURN_IF_ERROR(domain::ValidatePromise(PromiseOf(p), ops.Today()));
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kPromiseKind, "ptp"));
        p.set_name(ops.Res(kPromises, id));
        ASSIGN_OR_RETURN(p, ops.Evaluate(p, ops.Today()));
        RETURN_IF_ERROR(ops.PutDoc(kPromiseKind, p, p.name()));
        RETURN_IF_ERROR(ops.Event("promise.recorded", p.name(), nullptr, &p));
        return p;
      });
}

absl::StatusOr<v1::ListPromisesResponse> ArrangementsApp::ListPromises(
    const CallContext& ctx, const v1::ListPromisesRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
  return ReadAccount<v1::ListPromisesResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, as_of,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::ListPromisesResponse> {
        v1::ListPromisesResponse resp;
        ASSIGN_OR_RETURN(auto docs,
                         ops.tx().ListDocs(kPromiseKind, cn.customer, after, page_size + 1));
        for (int i = 0; i < static_cast<int>(docs.size()) && i < page_size; ++i) {
          ASSIGN_OR_RETURN(v1::PromiseToPay p, ParseDoc<v1::PromiseToPay>(docs[i]));
          ASSIGN_OR_RETURN(*resp.add_promises(), ops.Evaluate(p, as_of));
        }
        if (static_cast<int>(docs.size()) > page_size) {
          resp.set_next_page_token(NextPageToken(r, docs[page_size - 1].id));
        }
        return resp;
      });
}

// --------------------------------------------------------------------- plans

absl::StatusOr<v1::PaymentPlan> ArrangementsApp::ProposePaymentPlan(
    const CallContext& ctx, const v1::ProposePaymentPlanRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  if (r.installments() < 0 || r.installments() > 120) {
    return InvalidInput("INVALID_PLAN", "installments", "must be 0..120");
  }
  return MutateAccount<v1::PaymentPlan>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(),
      "ProposePaymentPlan", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::PaymentPlan> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        v1::PaymentPlan plan;
        plan.set_kind(v1::PaymentPlan::INSTALLMENTS);
        plan.set_state(v1::PaymentPlan::PROPOSED);
        int64_t balance = 0;
        std::string ccy;
        std::set<std::string> covered;
        if (!r.renegotiate_plan().empty()) {
          ASSIGN_OR_RETURN(v1::PaymentPlan old,
                           ops.GetDoc<v1::PaymentPlan>(kPlanKind, r.renegotiate_plan(), kPlans,
                                                       "PLAN_NOT_FOUND"));
          domain::PlanEvaluation ev;
          ASSIGN_OR_RETURN(old, ops.Evaluate(old, ops.Today(), &ev));
          domain::PaymentPlan d = PlanOf(old);
          RETURN_IF_ERROR(domain::CheckRenegotiation(d, ops.plan_policy()));
          *plan.mutable_invoices() = old.invoices();
          plan.set_renegotiation_count(old.renegotiation_count() + 1);
          plan.set_previous_plan(old.name());
          ccy = old.currency_code();
          balance = ev.remaining;
        } else {
          ASSIGN_OR_RETURN(auto idx,
                           ops.ResolveInvoices(r.invoices(), r.currency_code(), "invoices"));
          for (int i : idx) plan.add_invoices(snap->invoices[i].name());
          ccy = snap->invoices[idx[0]].currency_code();
          ASSIGN_OR_RETURN(balance, SumDue(*snap, idx));
        }
        for (const auto& n : plan.invoices()) covered.insert(IdOf(n));
        // One active plan per invoice (a renegotiation replaces its plan on
        // acceptance).
        ASSIGN_OR_RETURN(auto plans, ops.ListDocs<v1::PaymentPlan>(kPlanKind));
        for (const auto& other : plans) {
          if (other.state() != v1::PaymentPlan::ACTIVE || other.name() == r.renegotiate_plan())
            continue;
          for (const auto& n : other.invoices()) {
            if (covered.count(IdOf(n))) {
              return domain::PreconditionError(
                  "PLAN_ALREADY_ACTIVE", absl::StrCat(n, " is already scheduled by ", other.name(),
                                                      "; renegotiate that plan instead"));
            }
          }
        }
        domain::PlanRequest req;
        req.currency = ccy;
        req.balance = balance;
        ASSIGN_OR_RETURN(req.first_due,
                         DayOr(r.first_due_date(), ops.Today() + 14, "first_due_date"));
        if (req.first_due < ops.Today()) {
          return InvalidInput("INVALID_PLAN", "first_due_date", "before today");
        }
        req.installments = r.installments();
        if (r.has_monthly_capacity()) {
          RETURN_IF_ERROR(CheckMoney(r.monthly_capacity(), ccy, 1, "monthly_capacity"));
          req.monthly_capacity = r.monthly_capacity().minor_units();
        }
        req.seasonal_weights.assign(r.seasonal_weights().begin(), r.seasonal_weights().end());
        ASSIGN_OR_RETURN(auto schedule, domain::ProposeInstallments(req, ops.plan_policy()));
        plan.set_currency_code(ccy);
        *plan.mutable_total() = ToProtoMoney(ccy, balance);
        for (size_t i = 0; i < schedule.size(); ++i) {
          auto* inst = plan.add_installments();
          inst->set_index(static_cast<int>(i));
          *inst->mutable_due_date() = ToProtoDate(schedule[i].due_date);
          *inst->mutable_amount() = ToProtoMoney(ccy, schedule[i].amount);
          inst->set_status(v1::PlanInstallment::UPCOMING);
        }
        *plan.mutable_seasonal_weights() = r.seasonal_weights();
        *plan.mutable_remaining() = plan.total();
        plan.set_next_action(v1::PaymentPlan::NONE);
        *plan.mutable_create_time() = Ts(ops.Now());
        *plan.mutable_update_time() = plan.create_time();
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kPlanKind, "plan"));
        plan.set_name(ops.Res(kPlans, id));
        RETURN_IF_ERROR(ops.PutDoc(kPlanKind, plan, plan.name()));
        RETURN_IF_ERROR(ops.Event("plan.proposed", plan.name(), nullptr, &plan));
        return plan;
      });
}

absl::StatusOr<v1::PaymentPlan> ArrangementsApp::AcceptPaymentPlan(
    const CallContext& ctx, const v1::AcceptPaymentPlanRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kPlans));
  return MutateAccount<v1::PaymentPlan>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(),
      "AcceptPaymentPlan", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::PaymentPlan> {
        ASSIGN_OR_RETURN(v1::PaymentPlan plan, ops.GetDoc<v1::PaymentPlan>(
                                                   kPlanKind, r.name(), kPlans, "PLAN_NOT_FOUND"));
        if (plan.state() != v1::PaymentPlan::PROPOSED) {
          return domain::PreconditionError("PLAN_NOT_PROPOSED",
                                           absl::StrCat(r.name(), " is not PROPOSED"));
        }
        ASSIGN_OR_RETURN(absl::CivilDay day,
                         DayOr(r.accepted_date(), ops.Today(), "accepted_date"));
        if (day > ops.Today())
          return InvalidInput("INVALID_PLAN", "accepted_date", "in the future");
        if (!plan.previous_plan().empty()) {
          ASSIGN_OR_RETURN(v1::PaymentPlan old,
                           ops.GetDoc<v1::PaymentPlan>(kPlanKind, plan.previous_plan(), kPlans,
                                                       "PLAN_NOT_FOUND"));
          if (old.state() != v1::PaymentPlan::ACTIVE && old.state() != v1::PaymentPlan::DEFAULTED) {
            return domain::PreconditionError(
                "PLAN_NOT_RENEGOTIABLE", absl::StrCat(old.name(), " is no longer renegotiable"));
          }
          const v1::PaymentPlan before = old;
          old.set_state(v1::PaymentPlan::CANCELLED);
          *old.mutable_update_time() = Ts(ops.Now());
          RETURN_IF_ERROR(ops.PutDoc(kPlanKind, old, old.name()));
          RETURN_IF_ERROR(ops.Event("plan.cancelled", old.name(), &before, &old));
        }
        const v1::PaymentPlan before = plan;
        plan.set_state(v1::PaymentPlan::ACTIVE);
        *plan.mutable_accepted_date() = ToProtoDate(day);
        *plan.mutable_update_time() = Ts(ops.Now());
        ASSIGN_OR_RETURN(plan, ops.Evaluate(plan, ops.Today()));
        RETURN_IF_ERROR(ops.PutDoc(kPlanKind, plan, plan.name()));
        RETURN_IF_ERROR(ops.Event("plan.accepted", plan.name(), &before, &plan));
        return plan;
      });
}

absl::StatusOr<v1::PaymentPlan> ArrangementsApp::GetPaymentPlan(
    const CallContext& ctx, const v1::GetPaymentPlanRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kPlans));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
  return ReadAccount<v1::PaymentPlan>(
      store_, clock_, config_, ctx, n.tenant, n.customer, as_of,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::PaymentPlan> {
        ASSIGN_OR_RETURN(v1::PaymentPlan plan, ops.GetDoc<v1::PaymentPlan>(
                                                   kPlanKind, r.name(), kPlans, "PLAN_NOT_FOUND"));
        return ops.Evaluate(plan, as_of);
      });
}

absl::StatusOr<v1::PaymentPlan> ArrangementsApp::ExtendTerms(const CallContext& ctx,
                                                             const v1::ExtendTermsRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  if (r.invoices().empty()) return InvalidInput("INVALID_EXTENDED_TERMS", "invoices", "required");
  ASSIGN_OR_RETURN(absl::CivilDay new_due, ToDay(r.new_due_date(), "new_due_date"));
  return MutateAccount<v1::PaymentPlan>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(),
      "ExtendTerms", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::PaymentPlan> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(r.invoices(), "", "invoices"));
        const std::string ccy = snap->invoices[idx[0]].currency_code();
        if (new_due <= ops.Today()) {
          return InvalidInput("INVALID_EXTENDED_TERMS", "new_due_date", "must be after today");
        }
        for (int i : idx) {
          if (new_due <= snap->invoice_states[i].due_date) {
            return InvalidInput(
                "INVALID_EXTENDED_TERMS", "new_due_date",
                absl::StrCat("not after the due date of ", snap->invoices[i].number()));
          }
        }
        std::vector<domain::PlanInstallment> milestones;
        for (int k = 0; k < r.milestones_size(); ++k) {
          const auto& m = r.milestones(k);
          const std::string f = absl::StrCat("milestones[", k, "]");
          RETURN_IF_ERROR(CheckMoney(m.amount(), ccy, 1, f + ".amount"));
          RETURN_IF_ERROR(CheckText(m.description(), 0, 200, f + ".description"));
          ASSIGN_OR_RETURN(absl::CivilDay d, ToDay(m.due_date(), f + ".due_date"));
          milestones.push_back({d, m.amount().minor_units(), 0});
        }
        ASSIGN_OR_RETURN(const int64_t balance, SumDue(*snap, idx));
        ASSIGN_OR_RETURN(auto schedule,
                         domain::ExtendedTermsSchedule(balance, new_due, milestones));
        v1::PaymentPlan plan;
        plan.set_kind(v1::PaymentPlan::EXTENDED_TERMS);
        plan.set_state(v1::PaymentPlan::ACTIVE);
        for (int i : idx) plan.add_invoices(snap->invoices[i].name());
        plan.set_currency_code(ccy);
        *plan.mutable_total() = ToProtoMoney(ccy, balance);
        for (size_t i = 0; i < schedule.size(); ++i) {
          auto* inst = plan.add_installments();
          inst->set_index(static_cast<int>(i));
          *inst->mutable_due_date() = ToProtoDate(schedule[i].due_date);
          *inst->mutable_amount() = ToProtoMoney(ccy, schedule[i].amount);
          inst->set_description(i < static_cast<size_t>(r.milestones_size())
                                    ? r.milestones(static_cast<int>(i)).description()
                                    : "new due date");
        }
        *plan.mutable_accepted_date() = ToProtoDate(ops.Today());
        *plan.mutable_create_time() = Ts(ops.Now());
        *plan.mutable_update_time() = plan.create_time();
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kPlanKind, "terms"));
        plan.set_name(ops.Res(kPlans, id));
        ASSIGN_OR_RETURN(plan, ops.Evaluate(plan, ops.Today()));
        RETURN_IF_ERROR(ops.PutDoc(kPlanKind, plan, plan.name()));
        RETURN_IF_ERROR(ops.Event("plan.terms_extended", plan.name(), nullptr, &plan));
        return plan;
      });
}

}  // namespace collections::app
