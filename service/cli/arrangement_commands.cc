// collectionsctl commands of ArrangementService: promises, plans and
// extended terms, settlements, late fees, disputes, write-offs, referrals.
// Amounts are decimal text in --currency (e.g. "1200.00 --currency=GBP").
#include <cstdio>
#include <iostream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/arrangements.grpc.pb.h"
#include "service/base/dates.h"
#include "service/base/money.h"
#include "service/cli/cli.h"

ABSL_DECLARE_FLAG(std::string, as_of);
ABSL_DECLARE_FLAG(std::string, currency);
ABSL_DECLARE_FLAG(std::string, request_id);
ABSL_DECLARE_FLAG(std::string, reason);

ABSL_FLAG(std::string, invoices, "", "arrangements: comma-separated invoice numbers or names");
ABSL_FLAG(int, installments, 0, "plan: number of installments (0 = as the policy allows)");
ABSL_FLAG(std::string, first_due, "", "plan: first installment date YYYY-MM-DD");
ABSL_FLAG(std::string, capacity, "", "plan: what the debtor can pay per month (decimal)");
ABSL_FLAG(std::string, weights, "", "plan: 12 comma-separated seasonal weights, January first");
ABSL_FLAG(std::string, renegotiate, "", "plan: the plan (resource name) to renegotiate");
ABSL_FLAG(std::string, amount, "", "settlement: the lump sum offered (decimal)");
ABSL_FLAG(std::string, channel, "PHONE", "promise: EMAIL, LETTER, SMS, PHONE, PORTAL, IN_PERSON");
ABSL_FLAG(std::string, by, "", "promise: who promised; dispute: who owns or resolved it");
ABSL_FLAG(int, stage, 0, "fees: escalation stage reached, for fixed stage fees");
ABSL_FLAG(int, commission_bp, 0, "refer: commission in basis points");
ABSL_FLAG(std::string, line, "", "dispute: the disputed invoice line id");
ABSL_FLAG(std::string, kinds, "", "arrangements: comma-separated kinds to list");

namespace collections::cli {

namespace v1 = ::collections_sidecar::v1;
namespace {

bool Date(const std::string& text, v1::Date* out) {
  auto d = domain::ParseIsoDay(text);
  if (!d.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(d.status().message()).c_str());
    return false;
  }
  out->set_year(static_cast<int>(d->year()));
  out->set_month(d->month());
  out->set_day(d->day());
  return true;
}

bool Amount(const std::string& text, v1::Money* out) {
  const std::string ccy = absl::GetFlag(FLAGS_currency);
  auto minor = domain::ParseMinorUnits(text, ccy);
  if (!minor.ok()) {
    std::fprintf(stderr, "error: amount \"%s\" in currency \"%s\": %s (set --currency)\n",
                 text.c_str(), ccy.c_str(), std::string(minor.status().message()).c_str());
    return false;
  }
  out->set_currency_code(ccy);
  out->set_minor_units(*minor);
  return true;
}

template <typename Field>
void AddInvoices(Field* field) {
  for (absl::string_view s :
       absl::StrSplit(absl::GetFlag(FLAGS_invoices), ',', absl::SkipEmpty())) {
    field->Add(std::string(s));
  }
}

// Runs one unary call and prints the answer as JSON.
template <typename Req, typename Resp, typename Call>
int Run(Context& ctx, const Req& req, Call call) {
  auto stub = v1::ArrangementService::NewStub(ctx.channel);
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  Resp resp;
  grpc::Status st = ((*stub).*call)(&cc, req, &resp);
  if (!st.ok()) return Fail(st);
  PrintJson(resp);
  return kExitOk;
}

std::string Dec(const v1::Money& m) {
  return m.currency_code().empty() ? "" : domain::FormatMoney({m.currency_code(), m.minor_units()});
}

int PromiseCmd(Context& ctx, const std::vector<std::string>& args) {
  using S = v1::ArrangementService::Stub;
  if (args.size() == 4 && args[0] == "record") {
    v1::RecordPromiseRequest req;
    req.set_parent(ctx.CustomerName(args[1]));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    auto* p = req.mutable_promise();
    if (!Amount(args[2], p->mutable_amount()) || !Date(args[3], p->mutable_promised_date())) {
      return kExitInvalid;
    }
    v1::PromiseToPay::Channel ch;
    if (!v1::PromiseToPay::Channel_Parse(absl::GetFlag(FLAGS_channel), &ch)) return kExitUsage;
    p->set_channel(ch);
    p->set_promised_by(absl::GetFlag(FLAGS_by));
    AddInvoices(p->mutable_invoices());
    return Run<v1::RecordPromiseRequest, v1::PromiseToPay>(ctx, req, &S::RecordPromise);
  }
  if (args.size() == 2 && args[0] == "list") {
    v1::ListPromisesRequest req;
    req.set_parent(ctx.CustomerName(args[1]));
    req.set_page_size(1000);
    const std::string as_of = absl::GetFlag(FLAGS_as_of);
    if (!as_of.empty() && !Date(as_of, req.mutable_as_of())) return kExitInvalid;
    return Run<v1::ListPromisesRequest, v1::ListPromisesResponse>(ctx, req, &S::ListPromises);
  }
  return kExitUsage;
}

void PrintPlan(const v1::PaymentPlan& plan) {
  std::vector<std::vector<std::string>> rows = {{"#", "DUE", "AMOUNT", "PAID", "STATUS"}};
  for (const auto& i : plan.installments()) {
    rows.push_back({absl::StrCat(i.index() + 1),
                    domain::FormatIsoDay(absl::CivilDay(i.due_date().year(), i.due_date().month(),
                                                        i.due_date().day())),
                    Dec(i.amount()), Dec(i.paid_amount()),
                    v1::PlanInstallment::Status_Name(i.status())});
  }
  std::cout << plan.name() << "  " << v1::PaymentPlan::State_Name(plan.state()) << "  total "
            << Dec(plan.total()) << "\n"
            << Table(rows, {true, false, true, true, false});
}

int PlanCmd(Context& ctx, const std::vector<std::string>& args) {
  auto stub = v1::ArrangementService::NewStub(ctx.channel);
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::PaymentPlan plan;
  grpc::Status st;
  if (args.size() == 2 && args[0] == "propose") {
    v1::ProposePaymentPlanRequest req;
    req.set_parent(ctx.CustomerName(args[1]));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    AddInvoices(req.mutable_invoices());
    req.set_currency_code(absl::GetFlag(FLAGS_currency));
    req.set_installments(absl::GetFlag(FLAGS_installments));
    req.set_renegotiate_plan(absl::GetFlag(FLAGS_renegotiate));
    const std::string first = absl::GetFlag(FLAGS_first_due);
    if (!first.empty() && !Date(first, req.mutable_first_due_date())) return kExitInvalid;
    const std::string cap = absl::GetFlag(FLAGS_capacity);
    if (!cap.empty() && !Amount(cap, req.mutable_monthly_capacity())) return kExitInvalid;
    for (absl::string_view w :
         absl::StrSplit(absl::GetFlag(FLAGS_weights), ',', absl::SkipEmpty())) {
      int v = 0;
      if (!absl::SimpleAtoi(w, &v)) return kExitUsage;
      req.add_seasonal_weights(v);
    }
    st = stub->ProposePaymentPlan(&cc, req, &plan);
  } else if (args.size() == 2 && args[0] == "accept") {
    v1::AcceptPaymentPlanRequest req;
    req.set_name(args[1]);
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    st = stub->AcceptPaymentPlan(&cc, req, &plan);
  } else if (args.size() == 2 && args[0] == "get") {
    v1::GetPaymentPlanRequest req;
    req.set_name(args[1]);
    const std::string as_of = absl::GetFlag(FLAGS_as_of);
    if (!as_of.empty() && !Date(as_of, req.mutable_as_of())) return kExitInvalid;
    st = stub->GetPaymentPlan(&cc, req, &plan);
  } else if (args.size() == 3 && args[0] == "extend") {
    v1::ExtendTermsRequest req;
    req.set_parent(ctx.CustomerName(args[1]));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    AddInvoices(req.mutable_invoices());
    if (!Date(args[2], req.mutable_new_due_date())) return kExitInvalid;
    st = stub->ExtendTerms(&cc, req, &plan);
  } else {
    return kExitUsage;
  }
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(plan);
  } else {
    PrintPlan(plan);
  }
  return kExitOk;
}

int SettleCmd(Context& ctx, const std::vector<std::string>& args) {
  using S = v1::ArrangementService::Stub;
  if (args.size() == 2 && (args[0] == "propose" || args[0] == "check")) {
    v1::ProposeSettlementRequest req;
    req.set_parent(ctx.CustomerName(args[1]));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    AddInvoices(req.mutable_invoices());
    req.set_currency_code(absl::GetFlag(FLAGS_currency));
    req.set_validate_only(args[0] == "check");
    const std::string amount = absl::GetFlag(FLAGS_amount);
    if (!amount.empty() && !Amount(amount, req.mutable_amount())) return kExitInvalid;
    auto stub = v1::ArrangementService::NewStub(ctx.channel);
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::Settlement s;
    grpc::Status st = stub->ProposeSettlement(&cc, req, &s);
    if (!st.ok()) return Fail(st);
    if (ctx.json) {
      PrintJson(s);
      return kExitOk;
    }
    const auto& f = s.figures();
    std::vector<std::vector<std::string>> rows = {
        {"ALTERNATIVE", "CHANCE", "DAYS", "NET", "TODAY"}};
    for (const auto& a : f.alternatives()) {
      rows.push_back({v1::RecoveryAlternative::Path_Name(a.path()),
                      absl::StrCat(a.probability_bp() / 100, "%"), absl::StrCat(a.expected_days()),
                      Dec(a.net_expected()), Dec(a.present_value())});
    }
    std::cout << (s.name().empty() ? "(not stored)" : s.name()) << "  balance " << Dec(f.balance())
              << "  offer " << Dec(s.amount()) << "  discount " << Dec(s.discount()) << "  pay by "
              << domain::FormatIsoDay(
                     absl::CivilDay(s.pay_by().year(), s.pay_by().month(), s.pay_by().day()))
              << "\n"
              << Table(rows, {false, true, true, true, true});
    for (const auto& r : f.reasons()) std::cout << "  - " << r << "\n";
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "accept") {
    v1::AcceptSettlementRequest req;
    req.set_name(args[1]);
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    return Run<v1::AcceptSettlementRequest, v1::Settlement>(ctx, req, &S::AcceptSettlement);
  }
  return kExitUsage;
}

int FeesCmd(Context& ctx, const std::vector<std::string>& args) {
  using S = v1::ArrangementService::Stub;
  if (args.size() != 2) return kExitUsage;
  const std::string as_of = absl::GetFlag(FLAGS_as_of);
  if (args[0] == "assess") {
    v1::AssessFeesRequest req;
    req.set_customer(ctx.CustomerName(args[1]));
    if (!as_of.empty() && !Date(as_of, req.mutable_as_of())) return kExitInvalid;
    AddInvoices(req.mutable_invoices());
    req.set_stage(absl::GetFlag(FLAGS_stage));
    return Run<v1::AssessFeesRequest, v1::AssessFeesResponse>(ctx, req, &S::AssessFees);
  }
  if (args[0] == "apply") {
    v1::ApplyLateFeesRequest req;
    req.set_customer(ctx.CustomerName(args[1]));
    if (!as_of.empty() && !Date(as_of, req.mutable_as_of())) return kExitInvalid;
    AddInvoices(req.mutable_invoices());
    req.set_stage(absl::GetFlag(FLAGS_stage));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    return Run<v1::ApplyLateFeesRequest, v1::ApplyLateFeesResponse>(ctx, req, &S::ApplyLateFees);
  }
  return kExitUsage;
}

int DisputeCmd(Context& ctx, const std::vector<std::string>& args) {
  using S = v1::ArrangementService::Stub;
  if (args.size() == 4 && args[0] == "open") {
    v1::OpenDisputeRequest req;
    req.set_parent(ctx.CustomerName(args[1]));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    auto* d = req.mutable_dispute();
    d->set_invoice(args[2]);
    v1::Dispute::Reason reason;
    if (!v1::Dispute::Reason_Parse(args[3], &reason)) return kExitUsage;
    d->set_reason(reason);
    d->set_line_id(absl::GetFlag(FLAGS_line));
    d->set_owner(absl::GetFlag(FLAGS_by));
    d->set_description(absl::GetFlag(FLAGS_reason));
    const std::string amount = absl::GetFlag(FLAGS_amount);
    if (!amount.empty() && !Amount(amount, d->mutable_amount())) return kExitInvalid;
    return Run<v1::OpenDisputeRequest, v1::Dispute>(ctx, req, &S::OpenDispute);
  }
  if (args.size() == 3 && args[0] == "resolve") {
    v1::ResolveDisputeRequest req;
    req.set_name(args[1]);
    v1::Dispute::Outcome outcome;
    if (!v1::Dispute::Outcome_Parse(args[2], &outcome)) return kExitUsage;
    req.set_outcome(outcome);
    req.set_resolved_by(absl::GetFlag(FLAGS_by));
    req.set_resolution_note(absl::GetFlag(FLAGS_reason));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    const std::string amount = absl::GetFlag(FLAGS_amount);
    if (!amount.empty() && !Amount(amount, req.mutable_credit_amount())) return kExitInvalid;
    return Run<v1::ResolveDisputeRequest, v1::Dispute>(ctx, req, &S::ResolveDispute);
  }
  return kExitUsage;
}

int WriteOffCmd(Context& ctx, const std::vector<std::string>& args) {
  using S = v1::ArrangementService::Stub;
  if (args.size() == 3 && args[0] == "record") {
    v1::WriteOffRequest req;
    req.set_parent(ctx.CustomerName(args[1]));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    v1::WriteOff::Reason reason;
    if (!v1::WriteOff::Reason_Parse(args[2], &reason)) return kExitUsage;
    req.mutable_write_off()->set_reason(reason);
    req.mutable_write_off()->set_note(absl::GetFlag(FLAGS_reason));
    for (absl::string_view s :
         absl::StrSplit(absl::GetFlag(FLAGS_invoices), ',', absl::SkipEmpty())) {
      req.mutable_write_off()->add_items()->set_invoice(std::string(s));
    }
    return Run<v1::WriteOffRequest, v1::WriteOff>(ctx, req, &S::WriteOff);
  }
  if (args.size() == 2 && args[0] == "reverse") {
    v1::ReverseWriteOffRequest req;
    req.set_name(args[1]);
    req.set_reason(absl::GetFlag(FLAGS_reason));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    return Run<v1::ReverseWriteOffRequest, v1::WriteOff>(ctx, req, &S::ReverseWriteOff);
  }
  return kExitUsage;
}

int ReferCmd(Context& ctx, const std::vector<std::string>& args) {
  using S = v1::ArrangementService::Stub;
  if (args.size() == 3 && (args[0] == "agency" || args[0] == "legal")) {
    v1::Referral r;
    r.set_party(args[2]);
    r.set_commission_bp(absl::GetFlag(FLAGS_commission_bp));
    AddInvoices(r.mutable_invoices());
    if (args[0] == "agency") {
      v1::ReferToAgencyRequest req;
      req.set_parent(ctx.CustomerName(args[1]));
      *req.mutable_referral() = r;
      req.set_request_id(absl::GetFlag(FLAGS_request_id));
      return Run<v1::ReferToAgencyRequest, v1::Referral>(ctx, req, &S::ReferToAgency);
    }
    v1::ReferToLegalRequest req;
    req.set_parent(ctx.CustomerName(args[1]));
    *req.mutable_referral() = r;
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    return Run<v1::ReferToLegalRequest, v1::Referral>(ctx, req, &S::ReferToLegal);
  }
  if (args.size() == 4 && args[0] == "collect") {
    v1::RecordAgencyCollectionRequest req;
    req.set_name(args[1]);
    if (!Amount(args[2], req.mutable_gross()) || !Date(args[3], req.mutable_collected_date())) {
      return kExitInvalid;
    }
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    return Run<v1::RecordAgencyCollectionRequest, v1::Referral>(ctx, req,
                                                                &S::RecordAgencyCollection);
  }
  if (args.size() == 2 && args[0] == "recall") {
    v1::RecallReferralRequest req;
    req.set_name(args[1]);
    req.set_reason(absl::GetFlag(FLAGS_reason));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    return Run<v1::RecallReferralRequest, v1::Referral>(ctx, req, &S::RecallReferral);
  }
  return kExitUsage;
}

int ArrangementsCmd(Context& ctx, const std::vector<std::string>& args) {
  using S = v1::ArrangementService::Stub;
  const std::string as_of = absl::GetFlag(FLAGS_as_of);
  if (args.size() == 2 && args[0] == "refresh") {
    v1::RefreshArrangementsRequest req;
    req.set_customer(ctx.CustomerName(args[1]));
    if (!as_of.empty() && !Date(as_of, req.mutable_as_of())) return kExitInvalid;
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    return Run<v1::RefreshArrangementsRequest, v1::RefreshArrangementsResponse>(
        ctx, req, &S::RefreshArrangements);
  }
  if (args.size() == 1 || (args.size() == 2 && args[0] == "list")) {
    v1::ListArrangementsRequest req;
    req.set_parent(ctx.CustomerName(args.back()));
    req.set_page_size(1000);
    if (!as_of.empty() && !Date(as_of, req.mutable_as_of())) return kExitInvalid;
    for (absl::string_view k : absl::StrSplit(absl::GetFlag(FLAGS_kinds), ',', absl::SkipEmpty())) {
      req.add_kinds(std::string(k));
    }
    return Run<v1::ListArrangementsRequest, v1::ListArrangementsResponse>(ctx, req,
                                                                          &S::ListArrangements);
  }
  return kExitUsage;
}

}  // namespace

void RegisterArrangementCommands(CommandTable& table) {
  table["promise"] = {
      "promise record <customer> <amount> <YYYY-MM-DD> --currency=C [--by=NAME] "
      "[--channel=PHONE] [--invoices=N1,N2] | promise list <customer>",
      "record a promise to pay, or list promises with their status", PromiseCmd};
  table["plan"] = {
      "plan propose <customer> [--invoices=..|--currency=C] [--installments=N] "
      "[--first_due=D] [--capacity=X] [--weights=12 ints] [--renegotiate=PLAN] | "
      "plan accept|get <plan> | plan extend <customer> <new due> --invoices=..",
      "payment plans and extended terms", PlanCmd};
  table["settle"] = {
      "settle propose|check <customer> [--invoices=..|--currency=C] [--amount=X] | "
      "settle accept <settlement>",
      "settlement figures and offers (check = figures only, nothing stored)", SettleCmd};
  table["fees"] = {"fees assess|apply <customer> [--as_of=D] [--stage=N] [--invoices=..]",
                   "late fees and interest where the terms allow them", FeesCmd};
  table["dispute"] = {
      "dispute open <customer> <invoice> <PRICING|QUALITY|NOT_RECEIVED|"
      "DUPLICATE_BILLING|OTHER> --by=OWNER [--line=ID] [--amount=X] | "
      "dispute resolve <dispute> <CREDIT_NOTE|CORRECTED_INVOICE|REJECTED> --by=WHO",
      "open and resolve disputes", DisputeCmd};
  table["writeoff"] = {
      "writeoff record <customer> <UNECONOMIC|UNCOLLECTIBLE|INSOLVENCY|"
      "STATUTE_BARRED|OTHER> [--invoices=..] | writeoff reverse <name> --reason=..",
      "write off (and reverse) balances", WriteOffCmd};
  table["refer"] = {
      "refer agency|legal <customer> <party> [--commission_bp=N] | refer collect "
      "<referral> <amount> <YYYY-MM-DD> --currency=C | refer recall <referral>",
      "agency and legal referrals", ReferCmd};
  table["arrangements"] = {
      "arrangements [list] <customer> [--kinds=plan,..] | arrangements "
      "refresh <customer> [--as_of=D]",
      "every arrangement of an account; refresh records what payments and "
      "time decided",
      ArrangementsCmd};
}

}  // namespace collections::cli
