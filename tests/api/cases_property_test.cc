// Property: the cases kept incrementally (each write moves its customer's
// case in the same transaction) equal the cases recomputed from the ledger,
// contacts and arrangements, whatever happened in whatever order.
//
// A real collectionsd (in process) on SQLite and on a throwaway PostgreSQL
// cluster receives random sequences of events, one sequence per customer,
// interleaved over simulated days: invoices, part and full payments, credit
// notes, voids, contacts with reasons, promises, plans, settlements,
// disputes and their resolution, write-offs, agency referrals and recalls,
// outbox completions (sent and bounced) and the daily RunCollections. After
// several days and at the end, RebuildCases(verify_only) recomputes every
// stored case as of the day it was last evaluated and must find no
// difference. Seed: CASES_PROPERTY_SEED; size: CASES_PROPERTY_CUSTOMERS
// and CASES_PROPERTY_DAYS.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collections_sidecar/v1/arrangements.grpc.pb.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/server/server.h"
#include "tests/api/test_server.h"
#include "tests/store/pg_harness.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

const char kTenant[] = "tenants/acme";

int EnvInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoi(v) : def;
}

struct Account {
  std::string name;                   // customer resource
  std::vector<std::string> invoices;  // invoice resources
  int next = 0;                       // numbering
};

class CasesProperty : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::string uri;
    if (std::string(GetParam()) == "postgresql") {
      auto db = FreshPostgresDatabase();
      if (!db.ok()) {
        if (PostgresRequired()) FAIL() << db.status();
        GTEST_SKIP() << db.status();
      }
      uri = *db;
    } else {
      char tmpl[] = "/tmp/cases-property-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      uri = absl::StrCat("sqlite:", dir_, "/ledger.db");
    }
    clock_.Set(At(2026, 9, 1));
    server::ServerOptions o;
    o.listen = "";
    o.store_uri = uri;
    o.clock = &clock_;
    o.log_requests = false;
    auto s = server::Server::Start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    auto ch = server_->InProcessChannel();
    ledger_ = v1::LedgerService::NewStub(ch);
    recovery_ = v1::RecoveryService::NewStub(ch);
    arr_ = v1::ArrangementService::NewStub(ch);
    cases_ = v1::CaseService::NewStub(ch);
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) std::system(absl::StrCat("rm -rf ", dir_).c_str());
  }

  static absl::Time At(int y, int m, int d, int h = 12) {
    return absl::FromCivil(absl::CivilSecond(y, m, d, h, 0, 0), absl::UTCTimeZone());
  }
  absl::CivilDay Today() const { return absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone()); }
  v1::Date TodayDate() const {
    const absl::CivilDay d = Today();
    return D(static_cast<int>(d.year()), d.month(), d.day());
  }
  v1::Date DateIn(int days) const {
    const absl::CivilDay d = Today() + days;
    return D(static_cast<int>(d.year()), d.month(), d.day());
  }

  template <typename Req, typename Resp, typename Stub, typename Fn>
  grpc::Status Call(Stub& stub, Fn fn, const Req& req, Resp* out) {
    grpc::ClientContext ctx;
    const grpc::Status st = (stub.*fn)(&ctx, req, out);
    ++calls_;
    if (st.ok()) ++ok_calls_;
    return st;
  }

  void NewCustomer(int i, Account* a) {
    v1::UpsertCustomerRequest req;
    req.set_parent(kTenant);
    *req.mutable_customer() = MakeCustomer(absl::StrCat("c", i), absl::StrCat("Customer ", i));
    if (i % 7 == 0) req.mutable_customer()->mutable_relationship()->add_tags("strategic");
    if (i % 5 == 0) req.mutable_customer()->mutable_relationship()->set_account_owner("dana");
    v1::Customer out;
    ASSERT_TRUE(Call(*ledger_, &v1::LedgerService::Stub::UpsertCustomer, req, &out).ok());
    a->name = out.name();
  }

  std::string AnyInvoice(Account& a) {
    if (a.invoices.empty()) return "";
    return a.invoices[rng_() % a.invoices.size()];
  }

  // One random event for account `a`.
  void RandomEvent(Account& a) {
    const int kind = static_cast<int>(rng_() % 100);
    const std::string inv = AnyInvoice(a);
    if (kind < 25 || inv.empty()) {
      v1::UpsertInvoiceRequest req;
      req.set_parent(a.name);
      const int terms = static_cast<int>(rng_() % 31) - 5;  // some due already
      *req.mutable_invoice() = MakeInvoice(
          absl::StrCat(a.name.substr(a.name.rfind('/') + 1), "-", a.next++),
          DateIn(-static_cast<int>(rng_() % 40)), DateIn(terms), rng_() % 10 == 0 ? "USD" : "EUR",
          static_cast<int64_t>(1000 + rng_() % 900000));
      v1::Invoice out;
      if (Call(*ledger_, &v1::LedgerService::Stub::UpsertInvoice, req, &out).ok()) {
        a.invoices.push_back(out.name());
      }
    } else if (kind < 45) {
      v1::GetInvoiceRequest g;
      g.set_name(inv);
      v1::Invoice cur;
      if (!Call(*ledger_, &v1::LedgerService::Stub::GetInvoice, g, &cur).ok()) return;
      const int64_t due = cur.amount_due().minor_units();
      if (due <= 0) return;
      const int64_t amount = rng_() % 2 == 0 ? due : std::max<int64_t>(1, due / 3);
      v1::RecordPaymentRequest req;
      req.set_parent(a.name);
      *req.mutable_payment() =
          MakePayment(absl::StrCat("p", ++payments_), cur.currency_code(), amount, TodayDate());
      auto* al = req.mutable_payment()->add_allocations();
      al->set_invoice(inv);
      *al->mutable_amount() = M(cur.currency_code(), amount);
      v1::Payment out;
      Call(*ledger_, &v1::LedgerService::Stub::RecordPayment, req, &out);
    } else if (kind < 50) {
      v1::GetInvoiceRequest g;
      g.set_name(inv);
      v1::Invoice cur;
      if (!Call(*ledger_, &v1::LedgerService::Stub::GetInvoice, g, &cur).ok()) return;
      if (cur.amount_due().minor_units() < 2) return;
      v1::RecordCreditNoteRequest req;
      req.set_parent(a.name);
      auto* cn = req.mutable_credit_note();
      cn->mutable_external_ref()->set_source_system("erp");
      cn->mutable_external_ref()->set_id(absl::StrCat("cn", ++credits_));
      cn->set_number(absl::StrCat("CN-", credits_));
      *cn->mutable_issue_date() = TodayDate();
      *cn->mutable_amount() = M(cur.currency_code(), cur.amount_due().minor_units() / 2);
      cn->set_invoice(inv);
      v1::CreditNote out;
      Call(*ledger_, &v1::LedgerService::Stub::RecordCreditNote, req, &out);
    } else if (kind < 52) {
      v1::VoidInvoiceRequest req;
      req.set_name(inv);
      req.set_reason("issued in error");
      v1::Invoice out;
      Call(*ledger_, &v1::LedgerService::Stub::VoidInvoice, req, &out);
    } else if (kind < 62) {
      v1::RecordContactRequest req;
      req.set_parent(a.name);
      auto* c = req.mutable_contact();
      *c->mutable_time() =
          google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_.Now()));
      const bool inbound = rng_() % 3 == 0;
      c->set_direction(inbound ? v1::ContactRecord::INBOUND : v1::ContactRecord::OUTBOUND);
      c->set_channel(rng_() % 2 == 0 ? v1::CHANNEL_PHONE : v1::CHANNEL_EMAIL);
      static const v1::ContactRecord::Outcome kOutcomes[] = {
          v1::ContactRecord::NO_ANSWER, v1::ContactRecord::SPOKE,
          v1::ContactRecord::PROMISED_TO_PAY, v1::ContactRecord::HARDSHIP,
          v1::ContactRecord::SPOKE};
      c->set_outcome(kOutcomes[rng_() % 5]);
      static const v1::ContactRecord::NonPaymentReason kReasons[] = {
          v1::ContactRecord::NON_PAYMENT_REASON_UNSPECIFIED, v1::ContactRecord::CASH_FLOW,
          v1::ContactRecord::OVERSIGHT, v1::ContactRecord::DISSATISFIED};
      c->set_non_payment_reason(kReasons[rng_() % 4]);
      if (!inbound && rng_() % 2 == 0) {
        c->set_stage(static_cast<v1::CollectionStage>(2 + rng_() % 4));
      }
      v1::ContactRecord out;
      Call(*recovery_, &v1::RecoveryService::Stub::RecordContact, req, &out);
    } else if (kind < 70) {
      v1::GetInvoiceRequest g;
      g.set_name(inv);
      v1::Invoice cur;
      if (!Call(*ledger_, &v1::LedgerService::Stub::GetInvoice, g, &cur).ok()) return;
      if (cur.amount_due().minor_units() <= 0) return;
      v1::RecordPromiseRequest req;
      req.set_parent(a.name);
      auto* p = req.mutable_promise();
      *p->mutable_amount() = cur.amount_due();
      *p->mutable_promised_date() = DateIn(1 + static_cast<int>(rng_() % 10));
      p->set_channel(v1::PromiseToPay::PHONE);
      p->set_promised_by("the debtor");
      p->add_invoices(inv);
      v1::PromiseToPay out;
      Call(*arr_, &v1::ArrangementService::Stub::RecordPromise, req, &out);
    } else if (kind < 76) {
      v1::GetInvoiceRequest g;
      g.set_name(inv);
      v1::Invoice cur;
      if (!Call(*ledger_, &v1::LedgerService::Stub::GetInvoice, g, &cur).ok()) return;
      v1::ProposePaymentPlanRequest req;
      req.set_parent(a.name);
      req.add_invoices(inv);
      req.set_currency_code(cur.currency_code());
      *req.mutable_first_due_date() = DateIn(1 + static_cast<int>(rng_() % 7));
      req.set_installments(2 + static_cast<int>(rng_() % 2));
      v1::PaymentPlan plan;
      if (!Call(*arr_, &v1::ArrangementService::Stub::ProposePaymentPlan, req, &plan).ok()) return;
      v1::AcceptPaymentPlanRequest acc;
      acc.set_name(plan.name());
      v1::PaymentPlan accepted;
      Call(*arr_, &v1::ArrangementService::Stub::AcceptPaymentPlan, acc, &accepted);
    } else if (kind < 80) {
      v1::GetInvoiceRequest g;
      g.set_name(inv);
      v1::Invoice cur;
      if (!Call(*ledger_, &v1::LedgerService::Stub::GetInvoice, g, &cur).ok()) return;
      v1::ProposeSettlementRequest req;
      req.set_parent(a.name);
      req.add_invoices(inv);
      req.set_currency_code(cur.currency_code());
      *req.mutable_amount() = M(cur.currency_code(), cur.amount_due().minor_units() * 9 / 10);
      *req.mutable_pay_by() = DateIn(3 + static_cast<int>(rng_() % 10));
      v1::Settlement s;
      if (!Call(*arr_, &v1::ArrangementService::Stub::ProposeSettlement, req, &s).ok()) return;
      v1::AcceptSettlementRequest acc;
      acc.set_name(s.name());
      v1::Settlement accepted;
      Call(*arr_, &v1::ArrangementService::Stub::AcceptSettlement, acc, &accepted);
    } else if (kind < 86) {
      v1::OpenDisputeRequest req;
      req.set_parent(a.name);
      req.mutable_dispute()->set_invoice(inv);
      req.mutable_dispute()->set_reason(v1::Dispute::QUALITY);
      req.mutable_dispute()->set_owner("dana");
      req.mutable_dispute()->set_description("goods arrived damaged");
      v1::Dispute d;
      if (Call(*arr_, &v1::ArrangementService::Stub::OpenDispute, req, &d).ok()) {
        disputes_.push_back(d.name());
      }
    } else if (kind < 91) {
      if (disputes_.empty()) return;
      const size_t i = rng_() % disputes_.size();
      v1::ResolveDisputeRequest req;
      req.set_name(disputes_[i]);
      req.set_outcome(v1::Dispute::REJECTED);
      req.set_resolution_note("delivery note signed without remarks");
      req.set_resolved_by("dana");
      v1::Dispute d;
      Call(*arr_, &v1::ArrangementService::Stub::ResolveDispute, req, &d);
      disputes_.erase(disputes_.begin() + static_cast<long>(i));
    } else if (kind < 94) {
      v1::GetInvoiceRequest g;
      g.set_name(inv);
      v1::Invoice cur;
      if (!Call(*ledger_, &v1::LedgerService::Stub::GetInvoice, g, &cur).ok()) return;
      if (cur.amount_due().minor_units() <= 0) return;
      v1::WriteOffRequest req;
      req.set_parent(a.name);
      auto* item = req.mutable_write_off()->add_items();
      item->set_invoice(inv);
      *item->mutable_amount() = cur.amount_due();
      req.mutable_write_off()->set_reason(v1::WriteOff::UNECONOMIC);
      req.mutable_write_off()->set_note("too small to chase");
      v1::WriteOff out;
      Call(*arr_, &v1::ArrangementService::Stub::WriteOff, req, &out);
    } else if (kind < 97) {
      v1::ReferToAgencyRequest req;
      req.set_parent(a.name);
      req.mutable_referral()->set_party("Acme Collections");
      req.mutable_referral()->set_commission_bp(2500);
      v1::Referral out;
      if (Call(*arr_, &v1::ArrangementService::Stub::ReferToAgency, req, &out).ok()) {
        referrals_.push_back(out.name());
      }
    } else {
      if (referrals_.empty()) return;
      v1::RecallReferralRequest req;
      req.set_name(referrals_.back());
      req.set_reason("the debtor called us directly");
      referrals_.pop_back();
      v1::Referral out;
      Call(*arr_, &v1::ArrangementService::Stub::RecallReferral, req, &out);
    }
  }

  void RunDay() {
    v1::RunCollectionsRequest run;
    run.set_parent(kTenant);
    v1::RunCollectionsResponse out;
    const grpc::Status st = Call(*recovery_, &v1::RecoveryService::Stub::RunCollections, run, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
    actions_ += out.actions_created();
    // Deliver most of what the outbox holds, some bounce.
    for (const auto& a : ActionsOfRun(*recovery_, kTenant, out)) {
      if (rng_() % 10 < 2) continue;  // left pending for a while
      v1::CompleteActionRequest req;
      req.set_name(a.name());
      req.set_status(rng_() % 10 == 0 ? v1::OutboxAction::BOUNCED : v1::OutboxAction::SENT);
      *req.mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(clock_.Now() + absl::Hours(2)));
      v1::OutboxAction done;
      Call(*recovery_, &v1::RecoveryService::Stub::CompleteAction, req, &done);
    }
  }

  void Verify(const std::string& when) {
    v1::RebuildCasesRequest req;
    req.set_parent(kTenant);
    req.set_verify_only(true);
    v1::RebuildCasesResponse out;
    const grpc::Status st = Call(*cases_, &v1::CaseService::Stub::RebuildCases, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(out.rebuilt(), static_cast<int>(accounts_.size())) << when;
    EXPECT_EQ(out.changed(), 0) << when << ": " << absl::StrJoin(out.differences(), "; ");
  }

  domain::FixedClock clock_{absl::UnixEpoch()};
  std::string dir_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
  std::unique_ptr<v1::ArrangementService::Stub> arr_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::mt19937_64 rng_;
  std::vector<Account> accounts_;
  std::vector<std::string> disputes_, referrals_;
  int payments_ = 0, credits_ = 0, actions_ = 0, calls_ = 0, ok_calls_ = 0;
};

TEST_P(CasesProperty, IncrementalCasesEqualCasesRecomputedFromHistory) {
  const bool pg = std::string(GetParam()) == "postgresql";
  const int customers = EnvInt("CASES_PROPERTY_CUSTOMERS", pg ? 80 : 400);
  const int days = EnvInt("CASES_PROPERTY_DAYS", pg ? 30 : 40);
  const uint64_t seed = static_cast<uint64_t>(EnvInt("CASES_PROPERTY_SEED", 20261202));
  rng_.seed(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  accounts_.resize(customers);
  for (int i = 0; i < customers; ++i) {
    NewCustomer(i, &accounts_[i]);
    ASSERT_FALSE(HasFatalFailure());
  }
  for (int day = 0; day < days; ++day) {
    clock_.Set(At(2026, 9, 1) + absl::Hours(24 * day));
    // Each day about a quarter of the accounts see an event, some several.
    const int events = customers / 4 + static_cast<int>(rng_() % 8);
    for (int e = 0; e < events; ++e) RandomEvent(accounts_[rng_() % accounts_.size()]);
    clock_.Set(At(2026, 9, 1, 20) + absl::Hours(24 * day));
    RunDay();
    ASSERT_FALSE(HasFatalFailure());
    if (day % 10 == 9) Verify(absl::StrCat("day ", day));
  }
  Verify("end");
  // The sequences did real work: most calls succeeded and the ladder ran.
  EXPECT_GT(ok_calls_, calls_ / 2);
  EXPECT_GT(actions_, customers / 4);
  std::printf("cases property (%s): %d customers, %d days, %d calls (%d ok), %d actions\n",
              GetParam(), customers, days, calls_, ok_calls_, actions_);
}

INSTANTIATE_TEST_SUITE_P(Backends, CasesProperty, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace collections::testing
