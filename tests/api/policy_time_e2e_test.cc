// One policy and one notion of time, end to end
// through a real gRPC server on a loopback port:
//  * the promise, plan and settlement rules and the economics live in the
//    tenant's CollectionPolicy, with defaults defined once (the domain
//    structs), validated with field paths, and settlement figures follow the
//    tenant's economics;
//  * every write takes the same as_of: a past day replays, a future day is
//    refused with AS_OF_IN_FUTURE, and a fixed clock (collectionsd
//    --clock=fixed:...) runs the whole service as of a day.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "collections_sidecar/v1/arrangements.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/app/recovery_convert.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

using google::protobuf::util::TimeUtil;

const char kTenant[] = "tenants/acme";
const char kPolicy[] = "tenants/acme/collectionPolicy";

std::vector<std::string> AllFields(const grpc::Status& st) {
  std::vector<std::string> out;
  for (const auto& f : domain::FieldsOf(grpc_status::FromGrpcStatus(st))) out.push_back(f.field);
  return out;
}

// ------------------------------------------------------------ defaults

TEST(PolicyDefaults, ShippedDefaultRoundTripsThroughProto) {
  const domain::CollectionPolicy shipped = domain::DefaultPolicy();
  const v1::CollectionPolicy proto = app::ToProtoPolicy(shipped);
  EXPECT_TRUE(app::PolicyFromProto(proto) == shipped);
  // And the proto form is stable: converting twice changes nothing.
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      app::ToProtoPolicy(app::PolicyFromProto(proto)), proto));
}

TEST(PolicyDefaults, UnsetFieldsTakeTheDomainStructDefaultsAndZeroStaysZero) {
  const domain::CollectionPolicy empty = app::PolicyFromProto(v1::CollectionPolicy());
  EXPECT_TRUE(empty.economics == domain::Economics());
  EXPECT_TRUE(empty.arrangements == domain::ArrangementRules());
  EXPECT_TRUE(empty.business_hours == domain::BusinessHours());
  // One answer for restore_waived_fees_on_default, wherever it is read.
  EXPECT_TRUE(empty.arrangements.plans.restore_waived_fees_on_default);
  EXPECT_EQ(domain::DefaultPolicy().arrangements.plans.restore_waived_fees_on_default,
            domain::PlanPolicy().restore_waived_fees_on_default);

  v1::CollectionPolicy zero;
  zero.mutable_arrangements()->set_max_renegotiations(0);
  zero.mutable_arrangements()->set_promise_grace_days(0);
  zero.mutable_arrangements()->set_restore_waived_fees_on_default(false);
  zero.mutable_economics()->set_agency_commission_bp(0);
  const domain::CollectionPolicy d = app::PolicyFromProto(zero);
  EXPECT_EQ(d.arrangements.plans.max_renegotiations, 0);
  EXPECT_EQ(d.arrangements.promise_grace_days, 0);
  EXPECT_FALSE(d.arrangements.plans.restore_waived_fees_on_default);
  EXPECT_EQ(d.economics.agency_commission_bp, 0);
  EXPECT_EQ(d.economics.agency_recovery_bp, domain::Economics().agency_recovery_bp);
}

TEST(PolicyDefaults, ExampleFileSpellsOutTheShippedDefault) {
  std::ifstream in(RECOVERY_POLICY_EXAMPLE);
  std::stringstream text;
  text << in.rdbuf();
  v1::CollectionPolicy raw;  // as written, not normalised by LoadPolicyFile
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text.str(), &raw));
  raw.set_version(1);
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(raw, app::ToProtoPolicy(domain::DefaultPolicy()))) << diff;
}

// ------------------------------------------------------------ end to end

// A server on 127.0.0.1:0 whose clock comes from the --clock spec
// "fixed:2026-11-20" (12:00 UTC), reached over TCP. Customer c1 owes
// INV-1, EUR 5,000.00 due 2026-09-15.
class PolicyTimeE2E : public ::testing::Test {
 protected:
  static absl::Time FixedNow() {
    auto clock = domain::ClockFromSpec("fixed:2026-11-20");
    EXPECT_TRUE(clock.ok()) << clock.status();
    return (*clock)->Now();
  }

  PolicyTimeE2E() : srv_(FixedNow(), "127.0.0.1:0") {}

  void SetUp() override {
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(srv_.server().port()),
                                   grpc::InsecureChannelCredentials());
    ledger_ = v1::LedgerService::NewStub(channel_);
    recovery_ = v1::RecoveryService::NewStub(channel_);
    arr_ = v1::ArrangementService::NewStub(channel_);
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent(kTenant);
    *req.mutable_customer() = MakeCustomer("c1", "Northwind Traders GmbH");
    req.mutable_customer()->set_country_code("DE");
    v1::Customer out;
    ASSERT_TRUE(ledger_->UpsertCustomer(&ctx, req, &out).ok());
    customer_ = out.name();
    grpc::ClientContext ictx;
    v1::UpsertInvoiceRequest ireq;
    ireq.set_parent(customer_);
    *ireq.mutable_invoice() = MakeInvoice("INV-1", D(2026, 8, 16), D(2026, 9, 15), "EUR", 500000);
    ireq.mutable_invoice()->mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::NONE);
    v1::Invoice inv;
    ASSERT_TRUE(ledger_->UpsertInvoice(&ictx, ireq, &inv).ok());
    invoice_ = inv.name();
  }

  grpc::Status ReplacePolicy(const v1::CollectionPolicy& policy, v1::CollectionPolicy* out) {
    grpc::ClientContext ctx;
    v1::ReplacePolicyRequest req;
    *req.mutable_policy() = policy;
    req.mutable_policy()->set_name(kPolicy);
    return recovery_->ReplacePolicy(&ctx, req, out);
  }
  v1::CollectionPolicy GetPolicy() {
    grpc::ClientContext ctx;
    v1::GetPolicyRequest req;
    req.set_name(kPolicy);
    v1::CollectionPolicy out;
    EXPECT_TRUE(recovery_->GetPolicy(&ctx, req, &out).ok());
    return out;
  }
  v1::SettlementFigures Figures() {
    grpc::ClientContext ctx;
    v1::ProposeSettlementRequest req;
    req.set_parent(customer_);
    req.set_currency_code("EUR");
    req.set_validate_only(true);
    v1::Settlement out;
    grpc::Status st = arr_->ProposeSettlement(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.figures();
  }
  grpc::Status RecordPromise(const std::string& request_id, v1::Date promised, v1::Date as_of,
                             v1::PromiseToPay* out) {
    grpc::ClientContext ctx;
    v1::RecordPromiseRequest req;
    req.set_parent(customer_);
    req.set_request_id(request_id);
    *req.mutable_promise()->mutable_amount() = M("EUR", 100000);
    *req.mutable_promise()->mutable_promised_date() = promised;
    req.mutable_promise()->set_channel(v1::PromiseToPay::PHONE);
    req.mutable_promise()->set_promised_by("Jonas Weber");
    if (as_of.year() != 0) *req.mutable_as_of() = as_of;
    return arr_->RecordPromise(&ctx, req, out);
  }
  grpc::Status RunCollections(v1::Date as_of, bool dry_run, v1::RunCollectionsResponse* out) {
    grpc::ClientContext ctx;
    v1::RunCollectionsRequest req;
    req.set_parent(kTenant);
    if (as_of.year() != 0) *req.mutable_as_of() = as_of;
    req.set_dry_run(dry_run);
    return recovery_->RunCollections(&ctx, req, out);
  }

  TestServer srv_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
  std::unique_ptr<v1::ArrangementService::Stub> arr_;
  std::string customer_, invoice_;
};

TEST_F(PolicyTimeE2E, GetPolicyShowsTheArrangementRulesInForce) {
  const v1::CollectionPolicy p = GetPolicy();
  ASSERT_TRUE(p.has_arrangements());
  EXPECT_EQ(p.arrangements().promise_grace_days(), 3);
  EXPECT_EQ(p.arrangements().max_installments(), 12);
  EXPECT_EQ(p.arrangements().cure_days(), 14);
  EXPECT_TRUE(p.arrangements().restore_waived_fees_on_default());
  EXPECT_EQ(p.arrangements().settlement_margin_floor_bp(), 7000);
  EXPECT_EQ(p.economics().annual_discount_rate_bp(), 800);
  EXPECT_EQ(p.economics().internal_recovery_bp(), 6000);

  // A replacement that leaves a field out gets the domain default stored.
  v1::CollectionPolicy next = p;
  next.mutable_arrangements()->clear_cure_days();
  next.mutable_arrangements()->set_max_installments(6);
  v1::CollectionPolicy replaced;
  grpc::Status st = ReplacePolicy(next, &replaced);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(replaced.version(), 2);
  EXPECT_TRUE(replaced.arrangements().has_cure_days());
  EXPECT_EQ(replaced.arrangements().cure_days(), domain::PlanPolicy().cure_days);
  EXPECT_EQ(GetPolicy().arrangements().max_installments(), 6);
}

TEST_F(PolicyTimeE2E, BadArrangementRulesAreRefusedWithEveryFieldAndNothingWritten) {
  v1::CollectionPolicy bad = GetPolicy();
  auto* a = bad.mutable_arrangements();
  a->set_max_installments(0);
  a->set_cure_days(500);
  a->set_promise_grace_days(61);
  a->set_settlement_margin_floor_bp(12000);
  *a->add_min_installment() = M("XXQ", 100);
  bad.mutable_economics()->set_internal_months(-1);
  const int events = srv_.EventCount();
  v1::CollectionPolicy out;
  grpc::Status st = ReplacePolicy(bad, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "INVALID_POLICY");
  const std::vector<std::string> fields = AllFields(st);
  for (const char* want :
       {"policy.economics.internal_months", "policy.arrangements.promise_grace_days",
        "policy.arrangements.min_installment[0].currency_code",
        "policy.arrangements.max_installments", "policy.arrangements.cure_days",
        "policy.arrangements.settlement_margin_floor_bp"}) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), want), fields.end()) << want;
  }
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(GetPolicy().version(), 1);
}

TEST_F(PolicyTimeE2E, SettlementFiguresFollowTheTenantsEconomics) {
  // Shipped economics, EUR 5,000.00 (economics.h):
  //   internal: 60 % in 61 days at 8 %/yr, one staff action (15.00):
  //     300,000 x 3,650,000 / 3,698,800 - 1,500 = 294,541
  //   agency: 50 % in 183 days, 25 % commission: 240,359 - 60,089 - 1,500 = 178,770
  //   legal: 60 % in 365 days, 1,500.00 + 15.00: 277,777 - 151,500 = 126,277
  // The best (294,541) is below the 25 % discount cap floor (375,000).
  v1::SettlementFigures f = Figures();
  EXPECT_EQ(f.annual_discount_rate_bp(), 800);
  ASSERT_EQ(f.alternatives_size(), 3);
  EXPECT_EQ(f.alternatives(0).present_value().minor_units(), 294541);
  EXPECT_EQ(f.alternatives(1).present_value().minor_units(), 178770);
  EXPECT_EQ(f.alternatives(2).cost().minor_units(), 151500);
  EXPECT_EQ(f.alternatives(2).present_value().minor_units(), 126277);
  EXPECT_EQ(f.minimum_acceptable().minor_units(), 375000);

  // The tenant expects 90 % internally, discounts at 15 %/yr and pays
  // 3,000.00 for legal action: internal is now worth 450,000 x 3,650,000 /
  // 3,741,500 - 1,500 = 437,495, above every floor.
  v1::CollectionPolicy p = GetPolicy();
  p.mutable_economics()->set_internal_recovery_bp(9000);
  p.mutable_economics()->set_annual_discount_rate_bp(1500);
  p.mutable_economics()->clear_legal_cost();
  *p.mutable_economics()->add_legal_cost() = M("EUR", 300000);
  v1::CollectionPolicy out;
  ASSERT_TRUE(ReplacePolicy(p, &out).ok());
  f = Figures();
  EXPECT_EQ(f.annual_discount_rate_bp(), 1500);
  EXPECT_EQ(f.alternatives(0).probability_bp(), 9000);
  EXPECT_EQ(f.alternatives(2).cost().minor_units(), 301500);
  EXPECT_EQ(f.best_alternative().minor_units(), 437495);
  EXPECT_EQ(f.minimum_acceptable().minor_units(), 437495);

  // The settlement floors are the tenant's too (replaced over the stored
  // policy's etag, as a client that read it would).
  p.set_etag(out.etag());
  p.mutable_arrangements()->set_settlement_margin_floor_bp(9500);
  ASSERT_TRUE(ReplacePolicy(p, &out).ok());
  f = Figures();
  EXPECT_EQ(f.margin_floor_bp(), 9500);
  EXPECT_EQ(f.minimum_acceptable().minor_units(), 475000);
}

TEST_F(PolicyTimeE2E, PromiseAndPlanRulesComeFromTheTenantsPolicy) {
  v1::CollectionPolicy p = GetPolicy();
  p.mutable_arrangements()->set_promise_grace_days(7);
  p.mutable_arrangements()->set_max_installments(3);
  v1::CollectionPolicy out;
  ASSERT_TRUE(ReplacePolicy(p, &out).ok());

  v1::PromiseToPay promise;
  grpc::Status st = RecordPromise("ptp-grace", D(2026, 11, 25), v1::Date(), &promise);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(promise.grace_days(), 7);
  EXPECT_EQ(promise.grace_end().day(), 2);  // 2026-12-02

  grpc::ClientContext ctx;
  v1::ProposePaymentPlanRequest req;
  req.set_parent(customer_);
  req.set_currency_code("EUR");
  req.set_installments(6);
  req.set_request_id("plan-6");
  v1::PaymentPlan plan;
  st = arr_->ProposePaymentPlan(&ctx, req, &plan);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "PLAN_EXCEEDS_POLICY");
  EXPECT_EQ(FieldOf(st), "installments");
}

TEST_F(PolicyTimeE2E, WritesDatedInTheFutureAreRefusedEverywhere) {
  const v1::Date tomorrow = D(2026, 11, 21);
  const int events = srv_.EventCount();

  v1::RunCollectionsResponse run;
  grpc::Status st = RunCollections(tomorrow, /*dry_run=*/false, &run);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "AS_OF_IN_FUTURE");
  EXPECT_EQ(FieldOf(st), "as_of");

  v1::PromiseToPay promise;
  st = RecordPromise("ptp-future", D(2026, 11, 25), tomorrow, &promise);
  EXPECT_EQ(ReasonOf(st), "AS_OF_IN_FUTURE");

  {
    grpc::ClientContext ctx;
    v1::RefreshArrangementsRequest req;
    req.set_customer(customer_);
    *req.mutable_as_of() = tomorrow;
    v1::RefreshArrangementsResponse out;
    st = arr_->RefreshArrangements(&ctx, req, &out);
    EXPECT_EQ(ReasonOf(st), "AS_OF_IN_FUTURE");
  }
  {
    grpc::ClientContext ctx;
    v1::ApplyLateFeesRequest req;
    req.set_customer(customer_);
    *req.mutable_as_of() = tomorrow;
    v1::ApplyLateFeesResponse out;
    st = arr_->ApplyLateFees(&ctx, req, &out);
    EXPECT_EQ(ReasonOf(st), "AS_OF_IN_FUTURE");
  }
  {
    grpc::ClientContext ctx;
    v1::ProposeSettlementRequest req;
    req.set_parent(customer_);
    req.set_currency_code("EUR");
    *req.mutable_as_of() = tomorrow;
    v1::Settlement out;
    st = arr_->ProposeSettlement(&ctx, req, &out);
    EXPECT_EQ(ReasonOf(st), "AS_OF_IN_FUTURE");
  }
  {
    grpc::ClientContext ctx;
    v1::RecordContactRequest req;
    req.set_parent(customer_);
    auto* c = req.mutable_contact();
    c->set_channel(v1::CHANNEL_PHONE);
    c->set_direction(v1::ContactRecord::OUTBOUND);
    c->set_outcome(v1::ContactRecord::NO_ANSWER);
    *c->mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(
        absl::FromCivil(absl::CivilSecond(2026, 11, 21, 9, 0, 0), absl::UTCTimeZone())));
    v1::ContactRecord out;
    st = recovery_->RecordContact(&ctx, req, &out);
    EXPECT_EQ(ReasonOf(st), "AS_OF_IN_FUTURE");
    EXPECT_EQ(FieldOf(st), "contact.time");
  }
  EXPECT_EQ(srv_.EventCount(), events);

  // Calls that write nothing may simulate the future.
  st = RunCollections(tomorrow, /*dry_run=*/true, &run);
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(srv_.EventCount(), events);
}

TEST_F(PolicyTimeE2E, APastDayReplaysAndTheFixedClockIsToday) {
  // Replayed as of 2026-11-10: a promise for 2026-11-12 (before the
  // server's today) is valid on that day, dated that day, and still
  // pending then.
  v1::PromiseToPay promise;
  grpc::Status st = RecordPromise("ptp-replay", D(2026, 11, 12), D(2026, 11, 10), &promise);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(promise.status(), v1::PromiseToPay::PENDING);
  const absl::Time made =
      absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(promise.create_time()));
  EXPECT_EQ(absl::ToCivilDay(made, absl::UTCTimeZone()), absl::CivilDay(2026, 11, 10));
  // Today (the fixed clock's 2026-11-20) it is broken: nothing was paid by
  // the grace end 2026-11-15.
  {
    grpc::ClientContext ctx;
    v1::ListPromisesRequest req;
    req.set_parent(customer_);
    v1::ListPromisesResponse out;
    ASSERT_TRUE(arr_->ListPromises(&ctx, req, &out).ok());
    ASSERT_EQ(out.promises_size(), 1);
    EXPECT_EQ(out.promises(0).status(), v1::PromiseToPay::BROKEN);
  }
  // The same promise made today would be refused: its day has passed.
  st = RecordPromise("ptp-late", D(2026, 11, 12), v1::Date(), &promise);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A run without as_of is dated by the fixed clock.
  v1::RunCollectionsResponse run;
  st = RunCollections(v1::Date(), /*dry_run=*/false, &run);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const std::vector<v1::OutboxAction> created = ActionsOfRun(*recovery_, kTenant, run);
  ASSERT_GT(created.size(), 0u);
  EXPECT_EQ(created[0].as_of().day(), 20);

  // Moving the clock moves "today": tomorrow's run is no longer refused.
  srv_.clock().AdvanceDays(1);
  st = RunCollections(D(2026, 11, 21), /*dry_run=*/false, &run);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST(ClockSpec, ParsesTheFlagForms) {
  auto day = domain::ClockFromSpec("fixed:2026-03-02");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ((*day)->Now(),
            absl::FromCivil(absl::CivilSecond(2026, 3, 2, 12, 0, 0), absl::UTCTimeZone()));
  auto instant = domain::ClockFromSpec("fixed:2026-03-02T08:30:00Z");
  ASSERT_TRUE(instant.ok());
  EXPECT_EQ((*instant)->Now(),
            absl::FromCivil(absl::CivilSecond(2026, 3, 2, 8, 30, 0), absl::UTCTimeZone()));
  auto system = domain::ClockFromSpec("system");
  ASSERT_TRUE(system.ok());
  EXPECT_LT(absl::AbsDuration((*system)->Now() - absl::Now()), absl::Minutes(1));
  for (const char* bad : {"fixed:2026-02-30", "fixed:", "frozen:2026-03-02", "fixed:tomorrow"}) {
    auto c = domain::ClockFromSpec(bad);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(domain::ReasonOf(c.status()), "INVALID_CLOCK") << bad;
  }
}

}  // namespace
}  // namespace collections::testing
