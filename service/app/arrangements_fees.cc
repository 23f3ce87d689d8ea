// ArrangementService: late fees and interest, assessed and raised as fee invoices.
#include "service/app/arrangement_ops.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/app/arrangement_convert.h"

namespace collections::app {

using domain::InvalidInput;

namespace {

std::string FeeKindAbbrev(v1::Fee::Kind k) {
  switch (k) {
    case v1::Fee::FIXED_STAGE_FEE:
      return "stage";
    case v1::Fee::PERCENTAGE_FEE:
      return "pct";
    case v1::Fee::CONTRACT_INTEREST:
      return "int";
    case v1::Fee::STATUTORY_INTEREST:
      return "sint";
    case v1::Fee::STATUTORY_COMPENSATION:
      return "comp";
    default:
      return "x";
  }
}

}  // namespace

absl::StatusOr<domain::FeeInput> ArrangementOps::FeeInputFor(
    int idx, int stage, const std::vector<v1::Fee>& fees, const std::vector<v1::Dispute>& disputes,
    const std::vector<v1::PaymentPlan>& plans, absl::CivilDay as_of) {
  ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
  const v1::Invoice& inv = snap->invoices[idx];
  domain::FeeInput in;
  in.invoice = snap->invoice_states[idx];
  in.invoice_terms = TermsOf(inv.terms().late_fee());
  in.customer_kind = snap->customer.kind() == v1::CUSTOMER_KIND_CONSUMER
                         ? domain::CustomerKind::kConsumer
                         : domain::CustomerKind::kBusiness;
  in.country = snap->customer.country_code();
  in.stages_reached = stage;
  for (const auto& f : fees) {
    if (IdOf(f.invoice()) == in.invoice.id) {
      in.charged.push_back({FeeKindOf(f.kind()), f.amount().minor_units(), f.stage()});
    }
  }
  for (const auto& d : disputes) {
    if (d.state() == v1::Dispute::OPEN && IdOf(d.invoice()) == in.invoice.id) {
      in.paused_reason = absl::StrCat("open dispute ", d.name());
    }
  }
  for (const auto& p : plans) {
    if (p.state() != v1::PaymentPlan::ACTIVE) continue;
    bool covers = false;
    for (const auto& i : p.invoices()) covers |= IdOf(i) == in.invoice.id;
    if (!covers) continue;
    ASSIGN_OR_RETURN(v1::PaymentPlan ev, Evaluate(p, as_of));
    if (!ev.in_arrears())
      in.paused_reason = absl::StrCat("payment plan ", p.name(), " in good standing");
  }
  return in;
}

absl::StatusOr<std::vector<std::pair<int, domain::FeeAssessment>>> ArrangementOps::AssessAll(
    const std::set<std::string>& only, int stage, absl::CivilDay as_of,
    std::vector<std::string>* skipped) {
  ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
  ASSIGN_OR_RETURN(auto fees, ListDocs<v1::Fee>(kFeeKind));
  ASSIGN_OR_RETURN(auto disputes, ListDocs<v1::Dispute>(kDisputeKind));
  ASSIGN_OR_RETURN(auto plans, ListDocs<v1::PaymentPlan>(kPlanKind));
  std::vector<std::pair<int, domain::FeeAssessment>> out;
  for (size_t i = 0; i < snap->invoices.size(); ++i) {
    const auto& inv = snap->invoices[i];
    if (IsFeeInvoice(inv)) continue;  // no fees on fees
    if (!only.empty() && !only.count(snap->invoice_states[i].id)) continue;
    if (only.empty() && snap->invoice_states[i].AmountDueAsOf(as_of) <= 0) continue;
    ASSIGN_OR_RETURN(domain::FeeInput in,
                     FeeInputFor(static_cast<int>(i), stage, fees, disputes, plans, as_of));
    ASSIGN_OR_RETURN(domain::FeeAssessment a, domain::AssessLateFees(in, config_.fee_rules, as_of));
    if (a.lines.empty()) {
      if (skipped) skipped->push_back(absl::StrCat(inv.name(), ": ", a.skipped));
      continue;
    }
    out.emplace_back(static_cast<int>(i), std::move(a));
  }
  return out;
}

v1::Fee ArrangementOps::FeeOf(int idx, const domain::FeeLine& line, absl::CivilDay as_of) {
  const AccountSnapshot& snap = *snap_;
  const std::string& ccy = snap.invoice_states[idx].currency;
  v1::Fee f;
  f.set_kind(ToProto(line.kind));
  f.set_invoice(snap.invoices[idx].name());
  *f.mutable_amount() = ToProtoMoney(ccy, line.amount);
  if (line.accrued_from) *f.mutable_accrued_from() = ToProtoDate(*line.accrued_from);
  if (line.accrued_to) *f.mutable_accrued_to() = ToProtoDate(*line.accrued_to);
  f.set_annual_rate_bp(line.annual_rate_bp);
  f.set_statutory_pack(line.pack);
  f.set_stage(line.stage);
  f.set_basis(line.basis);
  *f.mutable_raised_date() = ToProtoDate(as_of);
  return f;
}

absl::StatusOr<v1::Fee> ArrangementOps::RaiseFee(v1::Fee f, absl::CivilDay as_of) {
  ASSIGN_OR_RETURN(std::string id, NewId(kFeeKind, absl::StrCat("fee-", FeeKindAbbrev(f.kind()))));
  f.set_name(Res(kFees, id));
  v1::Invoice inv;
  inv.mutable_external_ref()->set_source_system(kSidecarSource);
  inv.mutable_external_ref()->set_id(id);
  inv.set_number(absl::AsciiStrToUpper(id));
  *inv.mutable_issue_date() = ToProtoDate(as_of);
  *inv.mutable_due_date() = ToProtoDate(as_of);
  inv.set_currency_code(f.amount().currency_code());
  *inv.mutable_total() = f.amount();
  inv.mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::NONE);
  inv.mutable_terms()->set_payment_terms_text(f.basis());
  auto* line = inv.add_lines();
  line->set_description(f.basis().substr(0, 500));
  *line->mutable_amount() = f.amount();
  line->set_line_id("1");
  ASSIGN_OR_RETURN(ApplyResult res, ledger_.ApplyInvoice(customer_, inv));
  f.set_fee_invoice(res.name);
  f.set_export_pending(true);
  *f.mutable_create_time() = Ts(Now());
  RETURN_IF_ERROR(PutDoc(kFeeKind, f, f.name()));
  RETURN_IF_ERROR(Event("fee.raised", f.name(), nullptr, &f));
  return f;
}

absl::StatusOr<int64_t> ArrangementOps::WaiveFees(const std::set<std::string>& invoice_ids,
                                                  absl::CivilDay as_of, const std::string& why) {
  ASSIGN_OR_RETURN(auto assessed, AssessAll(invoice_ids, 0, as_of, nullptr));
  int64_t total = 0;
  for (const auto& [idx, a] : assessed) {
    for (const auto& line : a.lines) {
      v1::Fee f = FeeOf(idx, line, as_of);
      ASSIGN_OR_RETURN(std::string id, NewId(kFeeKind, "fee-waived"));
      f.set_name(Res(kFees, id));
      f.set_waived(true);
      f.set_basis(absl::StrCat(f.basis(), "; waived: ", why));
      *f.mutable_create_time() = Ts(Now());
      RETURN_IF_ERROR(PutDoc(kFeeKind, f, f.name()));
      RETURN_IF_ERROR(Event("fee.waived", f.name(), nullptr, &f));
      total += line.amount;
    }
  }
  return total;
}

// ---------------------------------------------------------------------- fees

absl::StatusOr<v1::AssessFeesResponse> ArrangementsApp::AssessFees(const CallContext& ctx,
                                                                   const v1::AssessFeesRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
  if (r.stage() < 0 || r.stage() > domain::kStageCount) {
    return InvalidInput("INVALID_STAGE", "stage", "must be 0..8");
  }
  return ReadAccount<v1::AssessFeesResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, as_of,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::AssessFeesResponse> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        std::set<std::string> only;
        if (!r.invoices().empty()) {
          ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(r.invoices(), "", "invoices", false));
          for (int i : idx) only.insert(snap->invoice_states[i].id);
        }
        v1::AssessFeesResponse resp;
        std::vector<std::string> skipped;
        ASSIGN_OR_RETURN(auto assessed, ops.AssessAll(only, r.stage(), as_of, &skipped));
        for (const auto& [idx, a] : assessed) {
          for (const auto& line : a.lines) *resp.add_fees() = ops.FeeOf(idx, line, as_of);
        }
        for (auto& s : skipped) resp.add_skipped(std::move(s));
        return resp;
      });
}

absl::StatusOr<v1::ApplyLateFeesResponse> ArrangementsApp::ApplyLateFees(
    const CallContext& ctx, const v1::ApplyLateFeesRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kWrite));
  if (r.stage() < 0 || r.stage() > domain::kStageCount) {
    return InvalidInput("INVALID_STAGE", "stage", "must be 0..8");
  }
  return MutateAccount<v1::ApplyLateFeesResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(),
      "ApplyLateFees", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::ApplyLateFeesResponse> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        std::set<std::string> only;
        if (!r.invoices().empty()) {
          ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(r.invoices(), "", "invoices", false));
          for (int i : idx) only.insert(snap->invoice_states[i].id);
        }
        v1::ApplyLateFeesResponse resp;
        std::vector<std::string> skipped;
        ASSIGN_OR_RETURN(auto assessed, ops.AssessAll(only, r.stage(), as_of, &skipped));
        for (const auto& [idx, a] : assessed) {
          for (const auto& line : a.lines) {
            ASSIGN_OR_RETURN(*resp.add_fees(), ops.RaiseFee(ops.FeeOf(idx, line, as_of), as_of));
          }
        }
        for (auto& s : skipped) resp.add_skipped(std::move(s));
        return resp;
      });
}

}  // namespace collections::app
