// Collection cases day by day through a real gRPC server: each morning the
// clock moves on and RunCollections runs; every action written is completed
// as SENT the same day, as a delivery worker would; payments, promises,
// plans, settlements, disputes and contacts happen as a customer would make
// them. The tests assert the actions taken, what the letters say and what is
// stored (cases, promises, plans, settlements), per semantic point of the
// case design (cases_app.h, service/domain/cases.h).
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/arrangements.grpc.pb.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

using google::protobuf::util::TimeUtil;

const char kTenant[] = "tenants/acme";

struct Taken {
  absl::CivilDay day;
  v1::OutboxAction action;
};

class CaseScenario : public ::testing::Test {
 protected:
  CaseScenario() : srv_(At(absl::CivilDay(2026, 6, 1))) {
    recovery_ = v1::RecoveryService::NewStub(srv_.channel());
    arr_ = v1::ArrangementService::NewStub(srv_.channel());
    cases_ = v1::CaseService::NewStub(srv_.channel());
  }

  static absl::Time At(absl::CivilDay d, int hour = 10) {
    return absl::FromCivil(absl::CivilSecond(d.year(), d.month(), d.day(), hour, 0, 0),
                           absl::UTCTimeZone());
  }
  static v1::Date Dt(absl::CivilDay d) { return D(static_cast<int>(d.year()), d.month(), d.day()); }
  absl::CivilDay Today() const { return today_; }
  void SetToday(absl::CivilDay d) {
    today_ = d;
    srv_.clock().Set(At(d));
  }

  std::string Customer(const std::string& id, bool valued = false, const std::string& owner = "") {
    v1::UpsertCustomerRequest req;
    req.set_parent(kTenant);
    *req.mutable_customer() = MakeCustomer(id, absl::StrCat("Customer ", id));
    auto* mail = req.mutable_customer()->add_contacts();
    mail->set_name("Accounts payable");
    mail->set_primary(true);
    auto* ch = mail->add_channels();
    ch->set_type(v1::ContactChannel::EMAIL);
    ch->set_address(absl::StrCat("ap@", id, ".example"));
    if (valued) req.mutable_customer()->mutable_relationship()->add_tags("strategic");
    if (!owner.empty()) req.mutable_customer()->mutable_relationship()->set_account_owner(owner);
    grpc::ClientContext ctx;
    v1::Customer out;
    const grpc::Status st = srv_.ledger().UpsertCustomer(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.name();
  }
  std::string Invoice(const std::string& customer, const std::string& number, absl::CivilDay issue,
                      absl::CivilDay due, int64_t minor, const std::string& ccy = "EUR") {
    v1::UpsertInvoiceRequest req;
    req.set_parent(customer);
    *req.mutable_invoice() = MakeInvoice(number, Dt(issue), Dt(due), ccy, minor);
    req.mutable_invoice()->mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::NONE);
    grpc::ClientContext ctx;
    v1::Invoice out;
    const grpc::Status st = srv_.ledger().UpsertInvoice(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.name();
  }
  void Pay(const std::string& customer, const std::string& invoice, int64_t minor,
           const std::string& ccy = "EUR") {
    v1::RecordPaymentRequest req;
    req.set_parent(customer);
    *req.mutable_payment() = MakePayment(absl::StrCat("pay-", ++payments_), ccy, minor, Dt(today_));
    auto* a = req.mutable_payment()->add_allocations();
    a->set_invoice(invoice);
    *a->mutable_amount() = M(ccy, minor);
    grpc::ClientContext ctx;
    v1::Payment out;
    const grpc::Status st = srv_.ledger().RecordPayment(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  v1::Case Case(const std::string& customer) {
    v1::GetCaseRequest req;
    req.set_name(customer + "/case");
    grpc::ClientContext ctx;
    v1::Case out;
    const grpc::Status st = cases_->GetCase(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }
  static bool HasPause(const v1::Case& c, v1::CasePause::Kind kind) {
    for (const auto& p : c.pauses()) {
      if (p.kind() == kind) return true;
    }
    return false;
  }
  static bool HasReason(const v1::Recommendation& r, const std::string& code) {
    for (const auto& x : r.reasons()) {
      if (x.code() == code) return true;
    }
    return false;
  }

  // Runs the morning of `today_`, completes each action as SENT at noon and
  // returns the actions.
  std::vector<v1::OutboxAction> Morning() {
    v1::RunCollectionsRequest req;
    req.set_parent(kTenant);
    grpc::ClientContext ctx;
    v1::RunCollectionsResponse out;
    const grpc::Status st = recovery_->RunCollections(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    const std::vector<v1::OutboxAction> actions = ActionsOfRun(*recovery_, kTenant, out);
    for (const auto& a : actions) {
      v1::CompleteActionRequest done;
      done.set_name(a.name());
      done.set_status(a.recommendation().channel() == v1::CHANNEL_UNSPECIFIED
                          ? v1::OutboxAction::DONE
                          : v1::OutboxAction::SENT);
      *done.mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(At(today_, 12)));
      grpc::ClientContext dctx;
      v1::OutboxAction res;
      const grpc::Status dst = recovery_->CompleteAction(&dctx, done, &res);
      EXPECT_TRUE(dst.ok()) << dst.error_message();
    }
    return actions;
  }
  // Every morning from today through `last`, collecting what was taken for
  // `customer` (all customers when empty).
  std::vector<Taken> Days(absl::CivilDay last, const std::string& customer = "") {
    std::vector<Taken> taken;
    for (absl::CivilDay d = today_; d <= last; ++d) {
      SetToday(d);
      for (auto& a : Morning()) {
        if (customer.empty() || a.customer() == customer) taken.push_back({d, a});
      }
    }
    return taken;
  }

  TestServer srv_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
  std::unique_ptr<v1::ArrangementService::Stub> arr_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  absl::CivilDay today_ = absl::CivilDay(2026, 6, 1);
  int payments_ = 0;
};

// 3a. A plan in good standing pauses the ladder; an installment in arrears
// gets plan reminders, never a final demand; after the cure period the daily
// run defaults the plan by itself and the ladder resumes where it paused,
// with a letter that says so.
TEST_F(CaseScenario, PlanGovernsTheLadderAndDefaultsOnTheDailyRun) {
  const std::string c = Customer("plan");
  const std::string inv =
      Invoice(c, "P-1", absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 31), 300000);
  SetToday(absl::CivilDay(2026, 6, 1));
  std::vector<Taken> first = Days(absl::CivilDay(2026, 6, 3), c);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].action.recommendation().stage(), v1::STAGE_FRIENDLY_REMINDER);

  // The customer asks for a plan: three monthly installments from July 1.
  v1::ProposePaymentPlanRequest pr;
  pr.set_parent(c);
  pr.add_invoices(inv);
  pr.set_currency_code("EUR");
  *pr.mutable_first_due_date() = Dt(absl::CivilDay(2026, 7, 1));
  pr.set_installments(3);
  v1::PaymentPlan plan;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(arr_->ProposePaymentPlan(&ctx, pr, &plan).ok());
    v1::AcceptPaymentPlanRequest acc;
    acc.set_name(plan.name());
    grpc::ClientContext actx;
    ASSERT_TRUE(arr_->AcceptPaymentPlan(&actx, acc, &plan).ok());
  }
  const v1::Case paused = Case(c);
  EXPECT_EQ(paused.state(), v1::Case::PAUSED);
  EXPECT_TRUE(HasPause(paused, v1::CasePause::PLAN));
  EXPECT_EQ(paused.governing_arrangement(), plan.name());
  EXPECT_EQ(paused.stage(), v1::STAGE_FRIENDLY_REMINDER);

  // The first installment is paid on time: nothing is sent all month.
  SetToday(absl::CivilDay(2026, 6, 4));
  EXPECT_TRUE(Days(absl::CivilDay(2026, 6, 30), c).empty());
  SetToday(absl::CivilDay(2026, 7, 1));
  Pay(c, inv, plan.installments(0).amount().minor_units());
  EXPECT_TRUE(Days(absl::CivilDay(2026, 7, 31), c).empty());

  // The second one (August 1) is missed: plan reminders during the cure
  // period, never a ladder demand; then the daily run defaults the plan.
  SetToday(absl::CivilDay(2026, 8, 1));
  std::vector<Taken> arrears = Days(absl::CivilDay(2026, 8, 31), c);
  ASSERT_FALSE(arrears.empty());
  std::vector<Taken> reminders, ladder;
  for (const auto& t : arrears) {
    (HasReason(t.action.recommendation(), "PLAN_REMINDER") ? reminders : ladder).push_back(t);
  }
  ASSERT_FALSE(reminders.empty());
  for (const auto& t : reminders) {
    EXPECT_NE(t.action.body().find("instalment of the payment plan"), std::string::npos)
        << t.action.body();
    EXPECT_EQ(t.action.recommendation().stage(), v1::COLLECTION_STAGE_UNSPECIFIED);
    EXPECT_NE(t.action.recommendation().stage(), v1::STAGE_FINAL_DEMAND);
  }
  {
    v1::GetPaymentPlanRequest g;
    g.set_name(plan.name());
    grpc::ClientContext ctx;
    v1::PaymentPlan now;
    ASSERT_TRUE(arr_->GetPaymentPlan(&ctx, g, &now).ok());
    EXPECT_EQ(now.state(), v1::PaymentPlan::DEFAULTED);  // stored by the daily run
  }
  // The ladder resumed on the next rung after the friendly reminder, once,
  // stating the default; never a jump to the final demand.
  ASSERT_FALSE(ladder.empty());
  EXPECT_GT(ladder.front().day, reminders.back().day);
  EXPECT_EQ(ladder.front().action.recommendation().stage(), v1::STAGE_SECOND_REMINDER_OR_CALL);
  EXPECT_TRUE(HasReason(ladder.front().action.recommendation(), "PLAN_DEFAULTED"));
  EXPECT_NE(ladder.front().action.body().find("payment plan we agreed was cancelled"),
            std::string::npos)
      << ladder.front().action.body();
  const v1::Case resumed = Case(c);
  EXPECT_FALSE(HasPause(resumed, v1::CasePause::PLAN));
  EXPECT_EQ(resumed.state(), v1::Case::ACTIVE);
  // The history shows the pause and the resumption, and the case file an
  // agency would receive carries it.
  bool paused_seen = false, resumed_seen = false;
  for (const auto& h : resumed.history()) {
    paused_seen = paused_seen || h.to_state() == v1::Case::PAUSED;
    resumed_seen =
        resumed_seen || (h.from_state() == v1::Case::PAUSED && h.to_state() == v1::Case::ACTIVE);
  }
  EXPECT_TRUE(paused_seen);
  EXPECT_TRUE(resumed_seen);
  v1::ExportCaseFileRequest ex;
  ex.set_customer(c);
  grpc::ClientContext ectx;
  v1::ExportCaseFileResponse file;
  ASSERT_TRUE(recovery_->ExportCaseFile(&ectx, ex, &file).ok());
  EXPECT_NE(file.text().find("PAUSED -> ACTIVE"), std::string::npos);
  EXPECT_NE(file.json().find("\"history\""), std::string::npos);
}

// 3b. An accepted settlement pauses the case until its pay-by day; paid in
// full it closes the case; lapsed, the case resumes.
TEST_F(CaseScenario, SettlementPausesUntilPayByAndClosesOrResumes) {
  const std::string paid = Customer("settled");
  const std::string lapsed = Customer("lapsed");
  const std::string inv_paid =
      Invoice(paid, "S-1", absl::CivilDay(2026, 4, 1), absl::CivilDay(2026, 5, 1), 500000);
  const std::string inv_lapsed =
      Invoice(lapsed, "S-2", absl::CivilDay(2026, 4, 1), absl::CivilDay(2026, 5, 1), 500000);
  SetToday(absl::CivilDay(2026, 6, 1));
  Days(absl::CivilDay(2026, 6, 1));
  std::map<std::string, v1::Settlement> s;
  for (const auto& [cust, inv] : {std::pair(paid, inv_paid), std::pair(lapsed, inv_lapsed)}) {
    v1::ProposeSettlementRequest req;
    req.set_parent(cust);
    req.add_invoices(inv);
    req.set_currency_code("EUR");
    *req.mutable_amount() = M("EUR", 425000);
    *req.mutable_pay_by() = Dt(absl::CivilDay(2026, 6, 15));
    grpc::ClientContext ctx;
    v1::Settlement prop;
    const grpc::Status st = arr_->ProposeSettlement(&ctx, req, &prop);
    ASSERT_TRUE(st.ok()) << st.error_message();
    v1::AcceptSettlementRequest acc;
    acc.set_name(prop.name());
    grpc::ClientContext actx;
    ASSERT_TRUE(arr_->AcceptSettlement(&actx, acc, &s[cust]).ok());
  }
  const v1::Case held = Case(paid);
  EXPECT_EQ(held.state(), v1::Case::PAUSED);
  EXPECT_TRUE(HasPause(held, v1::CasePause::SETTLEMENT));
  EXPECT_EQ(held.governing_arrangement(), s[paid].name());
  // Nothing is sent while the settlement runs: no "friendly reminder" of the
  // whole balance.
  SetToday(absl::CivilDay(2026, 6, 2));
  EXPECT_TRUE(Days(absl::CivilDay(2026, 6, 10)).empty());
  // One pays the agreed sum: the case closes.
  SetToday(absl::CivilDay(2026, 6, 11));
  Pay(paid, inv_paid, 425000);
  Days(absl::CivilDay(2026, 6, 15));
  EXPECT_EQ(Case(paid).state(), v1::Case::CLEAR);
  // The other lets the pay-by day pass: the settlement lapses on the daily
  // run and collection resumes.
  SetToday(absl::CivilDay(2026, 6, 16));
  std::vector<Taken> after = Days(absl::CivilDay(2026, 6, 30), lapsed);
  ASSERT_FALSE(after.empty());
  EXPECT_NE(after.front().action.recommendation().stage(), v1::STAGE_PRE_DUE_REMINDER);
  const v1::Case resumed = Case(lapsed);
  EXPECT_FALSE(HasPause(resumed, v1::CasePause::SETTLEMENT));
  EXPECT_TRUE(after.empty() || after.front().day >= absl::CivilDay(2026, 6, 16));
  EXPECT_TRUE(Days(absl::CivilDay(2026, 6, 30), paid).empty());
}

// 3c. A promise pauses the case until the promised day plus grace; the daily
// run stores KEPT or BROKEN; a broken promise resumes the ladder at once with
// a firmer step and BROKEN_PROMISE.
TEST_F(CaseScenario, PromisesAreDecidedAndStoredByTheDailyRun) {
  const std::string keeper = Customer("keeper");
  const std::string breaker = Customer("breaker");
  const std::string inv_k =
      Invoice(keeper, "K-1", absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 25), 120000);
  const std::string inv_b =
      Invoice(breaker, "B-1", absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 25), 120000);
  SetToday(absl::CivilDay(2026, 6, 1));
  Days(absl::CivilDay(2026, 6, 2));
  std::map<std::string, v1::PromiseToPay> promise;
  for (const auto& [cust, inv] : {std::pair(keeper, inv_k), std::pair(breaker, inv_b)}) {
    v1::RecordPromiseRequest req;
    req.set_parent(cust);
    *req.mutable_promise()->mutable_amount() = M("EUR", 120000);
    *req.mutable_promise()->mutable_promised_date() = Dt(absl::CivilDay(2026, 6, 10));
    req.mutable_promise()->set_channel(v1::PromiseToPay::PHONE);
    req.mutable_promise()->set_promised_by("the controller");
    req.mutable_promise()->add_invoices(inv);
    grpc::ClientContext ctx;
    const grpc::Status st = arr_->RecordPromise(&ctx, req, &promise[cust]);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  const v1::Case paused = Case(breaker);
  EXPECT_EQ(paused.state(), v1::Case::PAUSED);
  ASSERT_TRUE(HasPause(paused, v1::CasePause::PROMISE));
  EXPECT_EQ(paused.governing_arrangement(), promise[breaker].name());
  SetToday(absl::CivilDay(2026, 6, 3));
  EXPECT_TRUE(Days(absl::CivilDay(2026, 6, 9)).empty());
  SetToday(absl::CivilDay(2026, 6, 10));
  Pay(keeper, inv_k, 120000);
  std::vector<Taken> after = Days(absl::CivilDay(2026, 6, 20), breaker);
  auto status_of = [&](const std::string& cust) {
    v1::ListPromisesRequest req;
    req.set_parent(cust);
    grpc::ClientContext ctx;
    v1::ListPromisesResponse out;
    EXPECT_TRUE(arr_->ListPromises(&ctx, req, &out).ok());
    return out.promises_size() == 1 ? out.promises(0).status()
                                    : v1::PromiseToPay::STATUS_UNSPECIFIED;
  };
  EXPECT_EQ(status_of(keeper), v1::PromiseToPay::KEPT);
  EXPECT_EQ(status_of(breaker), v1::PromiseToPay::BROKEN);
  ASSERT_FALSE(after.empty());
  const v1::Recommendation& firmer = after.front().action.recommendation();
  EXPECT_TRUE(HasReason(firmer, "BROKEN_PROMISE"));
  EXPECT_GT(firmer.stage(), v1::STAGE_FRIENDLY_REMINDER);
  // At once: the day after the grace end (June 10 + 3 days).
  EXPECT_EQ(after.front().day, absl::CivilDay(2026, 6, 14));
  EXPECT_EQ(Case(keeper).state(), v1::Case::CLEAR);
}

// 3d. A dispute pauses only the disputed invoice; the rest of the account
// moves on; resolution resumes it.
TEST_F(CaseScenario, DisputePausesOnlyTheDisputedInvoice) {
  const std::string c = Customer("disputer");
  const std::string a =
      Invoice(c, "D-1", absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 20), 80000);
  const std::string b =
      Invoice(c, "D-2", absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 20), 50000);
  SetToday(absl::CivilDay(2026, 5, 30));
  v1::OpenDisputeRequest req;
  req.set_parent(c);
  req.mutable_dispute()->set_invoice(a);
  req.mutable_dispute()->set_reason(v1::Dispute::QUALITY);
  req.mutable_dispute()->set_owner("dana");
  req.mutable_dispute()->set_description("half the goods were damaged");
  v1::Dispute d;
  {
    grpc::ClientContext ctx;
    const grpc::Status st = arr_->OpenDispute(&ctx, req, &d);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  const v1::Case held = Case(c);
  ASSERT_TRUE(HasPause(held, v1::CasePause::DISPUTE)) << held.DebugString();
  for (const auto& p : held.pauses()) {
    if (p.kind() != v1::CasePause::DISPUTE) continue;
    ASSERT_EQ(p.invoices_size(), 1);
    EXPECT_EQ(p.invoices(0), a);
  }
  std::vector<Taken> taken = Days(absl::CivilDay(2026, 6, 5), c);
  ASSERT_FALSE(taken.empty());
  for (const auto& t : taken) {
    ASSERT_EQ(t.action.recommendation().invoices_size(), 1);
    EXPECT_EQ(t.action.recommendation().invoices(0), b);  // only the undisputed one
  }
  v1::ResolveDisputeRequest res;
  res.set_name(d.name());
  res.set_outcome(v1::Dispute::REJECTED);
  res.set_resolution_note("delivery note signed without remarks");
  res.set_resolved_by("dana");
  {
    grpc::ClientContext ctx;
    v1::Dispute out;
    ASSERT_TRUE(arr_->ResolveDispute(&ctx, res, &out).ok());
  }
  EXPECT_FALSE(HasPause(Case(c), v1::CasePause::DISPUTE));
  std::vector<Taken> later = Days(absl::CivilDay(2026, 7, 10), c);
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(later.front().action.recommendation().invoices_size(), 2);
}

// 3e. A neglected debt opens with the formal notice; a referral comes only
// after a letter named it at least notice_before_referral_days earlier, and
// legal follows agency.
TEST_F(CaseScenario, NeglectedDebtOpensWithTheFormalNoticeAndReferralWaitsForNotice) {
  const std::string c = Customer("neglected");
  Invoice(c, "N-1", absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 1, 27), 900000);
  SetToday(absl::CivilDay(2026, 6, 1));  // 125 days past due, never chased
  std::vector<Taken> taken = Days(absl::CivilDay(2026, 9, 30), c);
  ASSERT_GE(taken.size(), 3u);
  const v1::Recommendation& first = taken[0].action.recommendation();
  EXPECT_EQ(first.stage(), v1::STAGE_FORMAL_NOTICE);
  EXPECT_TRUE(HasReason(first, "NEGLECTED_DEBT"));
  EXPECT_EQ(taken[0].day, absl::CivilDay(2026, 6, 1));
  // The notice names the consequence and its day.
  EXPECT_EQ(first.consequence_stage(), v1::STAGE_AGENCY_REFERRAL);
  EXPECT_TRUE(first.has_consequence_date());
  EXPECT_EQ(taken[0].action.body().find("may simply have been overlooked"), std::string::npos);
  absl::CivilDay last_letter;
  bool referred = false;
  for (const auto& t : taken) {
    const auto stage = t.action.recommendation().stage();
    if (stage == v1::STAGE_FORMAL_NOTICE || stage == v1::STAGE_FINAL_DEMAND) last_letter = t.day;
    if (stage == v1::STAGE_AGENCY_REFERRAL) {
      referred = true;
      EXPECT_GE(t.day - last_letter, 14) << "referral on " << t.day;
    }
    if (stage == v1::STAGE_LEGAL_REVIEW) {
      EXPECT_TRUE(referred) << "legal before agency";
    }
  }
  EXPECT_TRUE(referred);
}

// 3f. A customer with cash-flow trouble gets a formal notice that offers a
// plan and names the next consequence and its date, not a plan letter in
// place of the notice.
TEST_F(CaseScenario, CashFlowTroubleKeepsTheFormalNoticeAndOffersAPlan) {
  const std::string c = Customer("cashflow");
  Invoice(c, "C-1", absl::CivilDay(2026, 3, 1), absl::CivilDay(2026, 3, 31), 400000);
  SetToday(absl::CivilDay(2026, 4, 1));
  Days(absl::CivilDay(2026, 4, 20), c);
  v1::RecordContactRequest req;
  req.set_parent(c);
  auto* k = req.mutable_contact();
  *k->mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(At(today_, 11)));
  k->set_channel(v1::CHANNEL_PHONE);
  k->set_direction(v1::ContactRecord::INBOUND);
  k->set_outcome(v1::ContactRecord::SPOKE);
  k->set_non_payment_reason(v1::ContactRecord::CASH_FLOW);
  {
    grpc::ClientContext ctx;
    v1::ContactRecord out;
    const grpc::Status st = recovery_->RecordContact(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  SetToday(absl::CivilDay(2026, 4, 21));
  std::vector<Taken> taken = Days(absl::CivilDay(2026, 6, 30), c);
  bool notice = false, demand = false;
  for (const auto& t : taken) {
    const v1::Recommendation& r = t.action.recommendation();
    if (r.stage() == v1::STAGE_FORMAL_NOTICE) {
      notice = true;
      EXPECT_EQ(r.action(), v1::Recommendation::LETTER);
      EXPECT_TRUE(r.offer_payment_plan());
      EXPECT_EQ(r.consequence_stage(), v1::STAGE_AGENCY_REFERRAL);
      EXPECT_TRUE(r.has_consequence_date());
    }
    demand = demand || r.stage() == v1::STAGE_FINAL_DEMAND;
  }
  EXPECT_TRUE(notice);
  EXPECT_TRUE(demand);
}

// 3g. A valued relationship waits longer at every step, and its referral is
// a task for the account owner, never automatic.
TEST_F(CaseScenario, ValuedRelationshipWaitsLongerAndReferralNeedsApproval) {
  const std::string plain = Customer("oneoff");
  const std::string valued = Customer("tenyears", /*valued=*/true, "maria");
  Invoice(plain, "V-1", absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 31), 2000000);
  Invoice(valued, "V-2", absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 31), 2000000);
  SetToday(absl::CivilDay(2026, 6, 1));
  std::vector<Taken> all = Days(absl::CivilDay(2026, 12, 31));
  auto first_day = [&](const std::string& cust, v1::CollectionStage stage) {
    for (const auto& t : all) {
      if (t.action.customer() == cust && t.action.recommendation().stage() == stage) return t.day;
    }
    return absl::CivilDay(2099, 1, 1);
  };
  EXPECT_GT(first_day(valued, v1::STAGE_SECOND_REMINDER_OR_CALL),
            first_day(plain, v1::STAGE_SECOND_REMINDER_OR_CALL));
  // The one-off buyer is referred by the ladder; the valued customer's
  // referral is an APPROVE_REFERRAL task for its owner, and the case waits.
  bool plain_referred = false, approval = false;
  for (const auto& t : all) {
    const v1::Recommendation& r = t.action.recommendation();
    if (t.action.customer() == plain && r.action() == v1::Recommendation::REFER_TO_AGENCY) {
      plain_referred = true;
    }
    if (t.action.customer() == valued) {
      EXPECT_NE(r.action(), v1::Recommendation::REFER_TO_AGENCY);
      EXPECT_NE(r.action(), v1::Recommendation::LEGAL_REVIEW);
      if (r.action() == v1::Recommendation::APPROVE_REFERRAL) {
        approval = true;
        EXPECT_EQ(r.assignee(), "maria");
      }
    }
  }
  EXPECT_TRUE(plain_referred);
  EXPECT_TRUE(approval);
}

// The case waits for the owner's decision while the approval task is open.
TEST_F(CaseScenario, ApprovalTaskKeepsTheCaseWaiting) {
  const std::string valued = Customer("approval", /*valued=*/true, "maria");
  Invoice(valued, "A-1", absl::CivilDay(2026, 5, 1), absl::CivilDay(2026, 5, 31), 2000000);
  SetToday(absl::CivilDay(2026, 6, 1));
  for (absl::CivilDay d = today_; d <= absl::CivilDay(2026, 12, 31); ++d) {
    SetToday(d);
    v1::RunCollectionsRequest req;
    req.set_parent(kTenant);
    grpc::ClientContext ctx;
    v1::RunCollectionsResponse out;
    ASSERT_TRUE(recovery_->RunCollections(&ctx, req, &out).ok());
    for (const auto& a : ActionsOfRun(*recovery_, kTenant, out)) {
      if (a.recommendation().action() == v1::Recommendation::APPROVE_REFERRAL) {
        // Left open: the case waits, and no further step is taken.
        const v1::Case waiting = Case(valued);
        EXPECT_EQ(waiting.state(), v1::Case::AWAITING_APPROVAL);
        EXPECT_TRUE(HasPause(waiting, v1::CasePause::REFERRAL_APPROVAL));
        SetToday(d + 1);
        EXPECT_TRUE(Days(d + 30, valued).empty());
        return;
      }
      v1::CompleteActionRequest done;
      done.set_name(a.name());
      done.set_status(v1::OutboxAction::SENT);
      *done.mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(At(d, 12)));
      grpc::ClientContext dctx;
      v1::OutboxAction res;
      ASSERT_TRUE(recovery_->CompleteAction(&dctx, done, &res).ok());
    }
  }
  FAIL() << "no approval task within the year";
}

// 3h. The work queue ranks by expected loss avoided: EUR 5,000 at 60 days
// before EUR 20 at 200 days; accounts waiting for their next step are listed
// with its day; the owner filter works.
TEST_F(CaseScenario, WorkQueueRanksByExpectedLossAndListsWaitingAccounts) {
  const std::string small = Customer("small");
  const std::string big = Customer("big", false, "dana");
  const std::string waiting = Customer("waiting", false, "dana");
  SetToday(absl::CivilDay(2026, 10, 1));
  Invoice(small, "Q-1", absl::CivilDay(2026, 2, 1), absl::CivilDay(2026, 3, 15), 2000);
  Invoice(big, "Q-2", absl::CivilDay(2026, 7, 1), absl::CivilDay(2026, 8, 2), 500000);
  Invoice(waiting, "Q-3", absl::CivilDay(2026, 8, 25), absl::CivilDay(2026, 9, 24), 100000);
  Days(absl::CivilDay(2026, 10, 2));
  v1::ListWorkQueueRequest req;
  req.set_parent(kTenant);
  grpc::ClientContext ctx;
  v1::ListWorkQueueResponse q;
  ASSERT_TRUE(recovery_->ListWorkQueue(&ctx, req, &q).ok());
  ASSERT_EQ(q.items_size(), 3);
  EXPECT_EQ(q.total_size(), 3);
  EXPECT_EQ(q.items(0).customer(), big);
  int pos_small = -1, pos_wait = -1;
  for (int i = 0; i < q.items_size(); ++i) {
    if (q.items(i).customer() == small) pos_small = i;
    if (q.items(i).customer() == waiting) pos_wait = i;
    EXPECT_FALSE(q.items(i).priority_explanation().empty());
  }
  EXPECT_GT(pos_small, 0);
  ASSERT_GE(pos_wait, 0);
  EXPECT_NE(q.items(pos_wait).priority_explanation().find("next step on"), std::string::npos)
      << q.items(pos_wait).priority_explanation();
  // Owner filter, and a page token bound to its filter.
  v1::ListWorkQueueRequest mine = req;
  mine.set_assignee("dana");
  mine.set_page_size(1);
  grpc::ClientContext mctx;
  v1::ListWorkQueueResponse page;
  ASSERT_TRUE(recovery_->ListWorkQueue(&mctx, mine, &page).ok());
  ASSERT_EQ(page.items_size(), 1);
  EXPECT_EQ(page.total_size(), 2);
  ASSERT_FALSE(page.next_page_token().empty());
  v1::ListWorkQueueRequest other = req;
  other.set_page_token(page.next_page_token());
  grpc::ClientContext octx;
  v1::ListWorkQueueResponse bad;
  const grpc::Status st = recovery_->ListWorkQueue(&octx, other, &bad);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  mine.set_page_token(page.next_page_token());
  grpc::ClientContext nctx;
  v1::ListWorkQueueResponse next;
  ASSERT_TRUE(recovery_->ListWorkQueue(&nctx, mine, &next).ok());
  ASSERT_EQ(next.items_size(), 1);
  EXPECT_NE(next.items(0).customer(), page.items(0).customer());
  EXPECT_EQ(next.total_size(), 2);  // carried by the token, not counted again
  // ListCases with the same order and filters.
  v1::ListCasesRequest lc;
  lc.set_parent(kTenant);
  lc.set_owner("dana");
  lc.set_overdue_only(true);
  grpc::ClientContext lctx;
  v1::ListCasesResponse cases;
  ASSERT_TRUE(cases_->ListCases(&lctx, lc, &cases).ok());
  ASSERT_EQ(cases.cases_size(), 2);
  EXPECT_EQ(cases.cases(0).customer(), big);
  EXPECT_GE(cases.cases(0).priority(), cases.cases(1).priority());
}

}  // namespace
}  // namespace collections::testing
