// RecoveryService end to end through a real server on a real SQLite file:
// a deterministic, idempotent RunCollections over a demo-like ledger,
// StreamActions resumed from a cursor, CompleteAction feeding the contact
// log, compliance refusals as FAILED_PRECONDITION naming the rule (and
// nothing written), overrides, policy replacement, work queue, case file.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "service/app/recovery_app.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

const char kTenant[] = "tenants/acme";

// The demo-like portfolio, as of 2026-11-20.
class RecoveryE2E : public ::testing::Test {
 protected:
  RecoveryE2E() : recovery_(v1::RecoveryService::NewStub(srv_.channel())) {}

  void SetUp() override { Seed(srv_, &names_); }

  // Loads the same ledger into `srv`; fills customer resource names by key.
  static void Seed(TestServer& srv, std::map<std::string, std::string>* names) {
    auto upsert = [&](const std::string& key, v1::Customer c) {
      grpc::ClientContext ctx;
      v1::UpsertCustomerRequest req;
      req.set_parent(kTenant);
      *req.mutable_customer() = c;
      v1::Customer out;
      grpc::Status st = srv.ledger().UpsertCustomer(&ctx, req, &out);
      ASSERT_TRUE(st.ok()) << st.error_message();
      (*names)[key] = out.name();
    };
    auto invoice = [&](const std::string& key, v1::Invoice inv) {
      grpc::ClientContext ctx;
      v1::UpsertInvoiceRequest req;
      req.set_parent((*names)[key]);
      *req.mutable_invoice() = inv;
      v1::Invoice out;
      grpc::Status st = srv.ledger().UpsertInvoice(&ctx, req, &out);
      ASSERT_TRUE(st.ok()) << st.error_message();
    };
    v1::Customer northwind = MakeCustomer("northwind", "Northwind Traders Ltd");
    *northwind.mutable_relationship()->mutable_customer_since() = D(2018, 4, 1);
    *northwind.mutable_relationship()->mutable_lifetime_revenue() = M("GBP", 6000000);
    northwind.mutable_relationship()->set_account_owner("maria@acme.example");
    auto* person = northwind.add_contacts();
    person->set_name("Ana Ortiz");
    person->set_primary(true);
    auto* mail = person->add_channels();
    mail->set_type(v1::ContactChannel::EMAIL);
    mail->set_address("ap@northwind.example");
    upsert("northwind", northwind);
    invoice("northwind", MakeInvoice("N-1", D(2026, 9, 10), D(2026, 10, 10), "GBP", 480000));
    invoice("northwind", MakeInvoice("N-2", D(2026, 10, 1), D(2026, 10, 31), "GBP", 120000));

    upsert("fabrikam", MakeCustomer("fabrikam", "Fabrikam GmbH"));
    invoice("fabrikam", MakeInvoice("F-1", D(2026, 9, 15), D(2026, 10, 15), "EUR", 300000));

    v1::Customer sam = MakeCustomer("sam", "Sam Lee", v1::CUSTOMER_KIND_CONSUMER);
    sam.set_time_zone("America/New_York");
    upsert("sam", sam);
    invoice("sam", MakeInvoice("S-1", D(2026, 10, 11), D(2026, 11, 10), "USD", 45000));

    upsert("tiny", MakeCustomer("tiny", "Tiny Things"));
    invoice("tiny", MakeInvoice("T-1", D(2026, 9, 1), D(2026, 10, 1), "EUR", 300));

    upsert("soon", MakeCustomer("soon", "Soon Due Co"));
    invoice("soon", MakeInvoice("D-1", D(2026, 10, 23), D(2026, 11, 22), "EUR", 99000));
  }

  v1::RunCollectionsResponse Run(v1::RecoveryService::Stub& stub, bool dry_run = false) {
    grpc::ClientContext ctx;
    v1::RunCollectionsRequest req;
    req.set_parent(kTenant);
    *req.mutable_as_of() = D(2026, 11, 20);
    req.set_dry_run(dry_run);
    v1::RunCollectionsResponse out;
    grpc::Status st = stub.RunCollections(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  std::vector<v1::OutboxAction> Stream(int64_t after) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::StreamActionsRequest req;
    req.set_parent(kTenant);
    req.set_after_sequence(after);
    auto reader = recovery_->StreamActions(&ctx, req);
    std::vector<v1::OutboxAction> out;
    v1::OutboxAction a;
    while (reader->Read(&a)) out.push_back(a);
    grpc::Status st = reader->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  v1::Recommendation Recommend(const std::string& customer, v1::Date as_of) {
    grpc::ClientContext ctx;
    v1::GetRecommendationRequest req;
    req.set_customer(customer);
    *req.mutable_as_of() = as_of;
    v1::Recommendation out;
    grpc::Status st = recovery_->GetRecommendation(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  grpc::Status Record(const std::string& customer, const v1::ContactRecord& c,
                      v1::ContactRecord* out, const std::string& request_id = "") {
    grpc::ClientContext ctx;
    v1::RecordContactRequest req;
    req.set_parent(customer);
    *req.mutable_contact() = c;
    req.set_request_id(request_id);
    return recovery_->RecordContact(&ctx, req, out);
  }

  int ContactCount(const std::string& customer) {
    grpc::ClientContext ctx;
    v1::ListContactsRequest req;
    req.set_parent(customer);
    v1::ListContactsResponse out;
    EXPECT_TRUE(recovery_->ListContacts(&ctx, req, &out).ok());
    return out.contacts_size();
  }

  TestServer srv_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
  std::map<std::string, std::string> names_;
};

google::protobuf::Timestamp Utc(int y, int m, int d, int h, int min) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(
      absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), absl::UTCTimeZone())));
}

TEST_F(RecoveryE2E, RunCollectionsIsDeterministicAndIdempotent) {
  // A dry run writes nothing.
  const int events = srv_.EventCount();
  const v1::RunCollectionsResponse dry = Run(*recovery_, /*dry_run=*/true);
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_TRUE(Stream(0).empty());

  const v1::RunCollectionsResponse first = Run(*recovery_);
  // Only cases with something due today are looked at: the trifle's case
  // has no step to take.
  EXPECT_EQ(first.evaluated(), 4);
  const std::vector<v1::OutboxAction> created = ActionsOfRun(*recovery_, kTenant, first);
  ASSERT_EQ(first.actions_created(), 4);  // northwind, fabrikam, sam, soon; tiny is a trifle
  ASSERT_EQ(created.size(), 4u);
  EXPECT_EQ(first.last_sequence() - first.first_sequence() + 1, 4);
  EXPECT_EQ(dry.actions_created(), first.actions_created());
  // The dry run's samples are what the live run then wrote.
  ASSERT_EQ(dry.samples_size(), 4);
  for (int i = 0; i < dry.samples_size(); ++i) {
    EXPECT_EQ(dry.samples(i).name(), created[i].name());
    EXPECT_EQ(dry.samples(i).body(), created[i].body());
    EXPECT_EQ(dry.samples(i).sequence(), 0);
  }
  int64_t by_kind = 0;
  for (const auto& c : first.actions_by_kind()) by_kind += c.count();
  EXPECT_EQ(by_kind, 4);
  std::map<std::string, v1::CollectionStage> stage_by_customer;
  for (const auto& a : created) {
    stage_by_customer[a.customer()] = a.recommendation().stage();
    EXPECT_EQ(a.status(), v1::OutboxAction::PENDING);
    EXPECT_FALSE(a.body().empty());
  }
  // 41 days past due and never chased: the first rung.
  EXPECT_EQ(stage_by_customer[names_["northwind"]], v1::STAGE_FRIENDLY_REMINDER);
  EXPECT_EQ(stage_by_customer[names_["soon"]], v1::STAGE_PRE_DUE_REMINDER);
  EXPECT_EQ(stage_by_customer.count(names_["tiny"]), 0u);

  // A second run the same day finds nothing due and creates nothing.
  const int after_first = srv_.EventCount();
  const v1::RunCollectionsResponse second = Run(*recovery_);
  EXPECT_EQ(second.actions_created(), 0);
  EXPECT_EQ(second.last_sequence(), 0);
  EXPECT_EQ(second.evaluated(), 0);
  EXPECT_EQ(srv_.EventCount(), after_first);

  // The same ledger on another server gives the same outbox.
  TestServer other;
  std::map<std::string, std::string> other_names;
  Seed(other, &other_names);
  auto other_stub = v1::RecoveryService::NewStub(other.channel());
  const v1::RunCollectionsResponse replay = Run(*other_stub);
  const std::vector<v1::OutboxAction> replayed = ActionsOfRun(*other_stub, kTenant, replay);
  ASSERT_EQ(replayed.size(), created.size());
  for (size_t i = 0; i < created.size(); ++i) {
    v1::OutboxAction a = created[i];
    v1::OutboxAction b = replayed[i];
    a.clear_create_time();
    b.clear_create_time();
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << a.DebugString() << b.DebugString();
  }
}

// ListRecommendations pages through the customers (each page loads only its
// own accounts); every customer appears once, the filter leaves out the
// trifle, and a token is bound to the filters it was issued for.
TEST_F(RecoveryE2E, ListRecommendationsPagesEveryCustomerOnce) {
  auto page = [&](bool actionable_only, const std::string& token,
                  v1::ListRecommendationsResponse* out) {
    grpc::ClientContext ctx;
    v1::ListRecommendationsRequest req;
    req.set_parent(kTenant);
    *req.mutable_as_of() = D(2026, 11, 20);
    req.set_actionable_only(actionable_only);
    req.set_page_size(2);
    req.set_page_token(token);
    return recovery_->ListRecommendations(&ctx, req, out);
  };
  for (const bool actionable_only : {false, true}) {
    std::map<std::string, int> seen;
    std::string token;
    int pages = 0;
    do {
      v1::ListRecommendationsResponse out;
      const grpc::Status st = page(actionable_only, token, &out);
      ASSERT_TRUE(st.ok()) << st.error_message();
      EXPECT_LE(out.recommendations_size(), 2);
      for (const auto& r : out.recommendations()) {
        ++seen[r.customer()];
        if (actionable_only) {
          EXPECT_NE(r.action(), v1::Recommendation::NO_ACTION) << r.customer();
        }
      }
      token = out.next_page_token();
      ASSERT_LT(++pages, 10);
    } while (!token.empty());
    for (const auto& [customer, n] : seen) EXPECT_EQ(n, 1) << customer;
    EXPECT_EQ(seen.count(names_["northwind"]), 1u);
    EXPECT_EQ(seen.count(names_["tiny"]), actionable_only ? 0u : 1u);
    EXPECT_EQ(seen.size(), actionable_only ? 4u : 5u);
  }
  // A token of the unfiltered list is refused for the filtered one.
  v1::ListRecommendationsResponse first;
  ASSERT_TRUE(page(false, "", &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  v1::ListRecommendationsResponse other;
  const grpc::Status st = page(true, first.next_page_token(), &other);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "INVALID_PAGE_TOKEN");
}

TEST_F(RecoveryE2E, StreamActionsResumesAndCompleteActionFeedsTheContactLog) {
  Run(*recovery_);
  const std::vector<v1::OutboxAction> all = Stream(0);
  ASSERT_EQ(all.size(), 4u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].sequence(), static_cast<int64_t>(i + 1));
  const std::vector<v1::OutboxAction> rest = Stream(all[1].sequence());
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].name(), all[2].name());

  const v1::OutboxAction* northwind = nullptr;
  for (const auto& a : all) {
    if (a.customer() == names_["northwind"]) northwind = &a;
  }
  ASSERT_NE(northwind, nullptr);
  EXPECT_EQ(northwind->recipient(), "ap@northwind.example");
  EXPECT_NE(northwind->body().find("Invoice N-1: GBP 4,800.00, due 2026-10-10 (41 days overdue)"),
            std::string::npos)
      << northwind->body();

  grpc::ClientContext ctx;
  v1::CompleteActionRequest req;
  req.set_name(northwind->name());
  req.set_status(v1::OutboxAction::SENT);
  req.set_detail("smtp 250");
  *req.mutable_time() = Utc(2026, 11, 20, 10, 0);
  req.set_request_id("complete-1");
  v1::OutboxAction done;
  grpc::Status st = recovery_->CompleteAction(&ctx, req, &done);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(done.status(), v1::OutboxAction::SENT);
  // The replay returns the first answer; another completion is refused.
  {
    grpc::ClientContext again;
    v1::OutboxAction replay;
    ASSERT_TRUE(recovery_->CompleteAction(&again, req, &replay).ok());
    EXPECT_EQ(replay.SerializeAsString(), done.SerializeAsString());
    grpc::ClientContext other;
    req.set_request_id("complete-2");
    st = recovery_->CompleteAction(&other, req, &replay);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ReasonOf(st), "ACTION_ALREADY_COMPLETED");
  }
  grpc::ClientContext lctx;
  v1::ListContactsRequest lreq;
  lreq.set_parent(names_["northwind"]);
  v1::ListContactsResponse contacts;
  ASSERT_TRUE(recovery_->ListContacts(&lctx, lreq, &contacts).ok());
  ASSERT_EQ(contacts.contacts_size(), 1);
  EXPECT_EQ(contacts.contacts(0).outcome(), v1::ContactRecord::SENT);
  EXPECT_EQ(contacts.contacts(0).stage(), v1::STAGE_FRIENDLY_REMINDER);
  EXPECT_EQ(contacts.contacts(0).outbox_action(), northwind->name());

  // The engine now stands on the first rung and waits for the second.
  const v1::Recommendation next = Recommend(names_["northwind"], D(2026, 11, 21));
  EXPECT_EQ(next.current_stage(), v1::STAGE_FRIENDLY_REMINDER);
  EXPECT_EQ(next.action(), v1::Recommendation::NO_ACTION);
  ASSERT_TRUE(next.has_next_action_date());
  const v1::Date due = next.next_action_date();
  const v1::Recommendation later = Recommend(names_["northwind"], due);
  EXPECT_EQ(later.stage(), v1::STAGE_SECOND_REMINDER_OR_CALL);
  EXPECT_FALSE(later.explanation().empty());
  EXPECT_EQ(later.reasons(0).code(), "DAYS_PAST_DUE");
}

TEST_F(RecoveryE2E, FollowingStreamDeliversActionsOfALaterRun) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::StreamActionsRequest req;
  req.set_parent(kTenant);
  req.set_follow(true);
  req.set_pending_only(true);
  auto reader = recovery_->StreamActions(&ctx, req);
  // The stream is open before the run; the run's actions arrive on it.
  Run(*recovery_);
  std::vector<int64_t> sequences;
  v1::OutboxAction a;
  while (sequences.size() < 4 && reader->Read(&a)) sequences.push_back(a.sequence());
  EXPECT_EQ(sequences, (std::vector<int64_t>{1, 2, 3, 4}));
  ctx.TryCancel();
  while (reader->Read(&a)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(RecoveryE2E, ComplianceRefusalNamesTheRuleAndWritesNothing) {
  const std::string sam = names_["sam"];
  v1::ContactRecord call;
  call.set_channel(v1::CHANNEL_PHONE);
  call.set_direction(v1::ContactRecord::OUTBOUND);
  call.set_outcome(v1::ContactRecord::NO_ANSWER);
  *call.mutable_time() = Utc(2026, 11, 20, 4, 0);  // 23:00 the evening before in New York
  const int events = srv_.EventCount();
  v1::ContactRecord out;
  grpc::Status st = Record(sam, call, &out, "late-call");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(st), "REG_F_1006_6_B_1_INCONVENIENT_TIME");
  EXPECT_NE(st.error_message().find("§1006.6(b)(1)(i)"), std::string::npos) << st.error_message();
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(ContactCount(sam), 0);

  // With an explicit override the contact is recorded, and audited as such.
  call.set_override_rule("REG_F_1006_6_B_1_INCONVENIENT_TIME");
  call.set_override_reason("the consumer asked to be called after 22:00 on this day");
  st = Record(sam, call, &out, "late-call-override");
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.override_rule(), "REG_F_1006_6_B_1_INCONVENIENT_TIME");
  EXPECT_EQ(srv_.EventCount(), events + 2);  // compliance.overridden + contact.recorded

  // A written cease request stops every later outbound contact.
  v1::ContactRecord cease;
  cease.set_channel(v1::CHANNEL_LETTER);
  cease.set_direction(v1::ContactRecord::INBOUND);
  cease.set_outcome(v1::ContactRecord::REFUSED);
  cease.set_cease_communication(true);
  *cease.mutable_time() = Utc(2026, 11, 20, 15, 0);
  ASSERT_TRUE(Record(sam, cease, &out).ok());
  v1::ContactRecord email;
  email.set_channel(v1::CHANNEL_EMAIL);
  email.set_direction(v1::ContactRecord::OUTBOUND);
  email.set_outcome(v1::ContactRecord::SENT);
  *email.mutable_time() = Utc(2026, 11, 20, 16, 0);
  st = Record(sam, email, &out);
  EXPECT_EQ(ReasonOf(st), "REG_F_1006_6_C_CEASE_COMMUNICATION");
  const v1::Recommendation rec = Recommend(sam, D(2026, 11, 21));
  EXPECT_EQ(rec.action(), v1::Recommendation::NO_ACTION);

  // Bad input: INVALID_ARGUMENT with the field, nothing written.
  const int before_bad = srv_.EventCount();
  v1::ContactRecord bad = call;
  bad.set_channel(v1::CHANNEL_UNSPECIFIED);
  st = Record(sam, bad, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(st), "contact.channel");
  EXPECT_EQ(srv_.EventCount(), before_bad);
}

TEST_F(RecoveryE2E, WorkQueueRiskCaseFileAndPolicy) {
  grpc::ClientContext qctx;
  v1::ListWorkQueueRequest qreq;
  qreq.set_parent(kTenant);
  *qreq.mutable_as_of() = D(2026, 11, 20);
  qreq.set_page_size(2);
  v1::ListWorkQueueResponse queue;
  ASSERT_TRUE(recovery_->ListWorkQueue(&qctx, qreq, &queue).ok());
  EXPECT_EQ(queue.total_size(), 4);
  ASSERT_EQ(queue.items_size(), 2);
  EXPECT_EQ(queue.items(0).customer(), names_["northwind"]);  // largest and oldest
  EXPECT_FALSE(queue.next_page_token().empty());
  bool neglected = false;
  for (int a : queue.items(0).alerts()) neglected = neglected || a == v1::WorkQueueItem::NEGLECTED;
  EXPECT_TRUE(neglected);

  grpc::ClientContext rctx;
  v1::GetPaymentRiskRequest rreq;
  rreq.set_name(names_["northwind"] + "/invoices/N-1");
  *rreq.mutable_as_of() = D(2026, 11, 20);
  v1::PaymentRisk risk;
  grpc::Status st = recovery_->GetPaymentRisk(&rctx, rreq, &risk);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(risk.late_probability_bp(), 10000);
  EXPECT_FALSE(risk.explanation().empty());

  grpc::ClientContext cctx;
  v1::ExportCaseFileRequest creq;
  creq.set_customer(names_["northwind"]);
  *creq.mutable_as_of() = D(2026, 11, 20);
  v1::ExportCaseFileResponse file;
  ASSERT_TRUE(recovery_->ExportCaseFile(&cctx, creq, &file).ok());
  EXPECT_NE(file.text().find("COLLECTION CASE FILE"), std::string::npos);
  EXPECT_NE(file.text().find("N-1"), std::string::npos);
  EXPECT_EQ(file.json().front(), '{');
  EXPECT_NE(file.json().find("\"invoices\":["), std::string::npos);

  // Policy: an invalid replacement names the field; a valid one bumps the version.
  grpc::ClientContext gctx;
  v1::GetPolicyRequest greq;
  greq.set_name(std::string(kTenant) + "/collectionPolicy");
  v1::CollectionPolicy policy;
  ASSERT_TRUE(recovery_->GetPolicy(&gctx, greq, &policy).ok());
  EXPECT_EQ(policy.version(), 1);
  v1::ReplacePolicyRequest preq;
  *preq.mutable_policy() = policy;
  preq.mutable_policy()->mutable_default_rules()->mutable_stages(1)->set_max_attempts(99);
  v1::CollectionPolicy replaced;
  grpc::ClientContext p1;
  st = recovery_->ReplacePolicy(&p1, preq, &replaced);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(st), "policy.default_rules.stages[1].max_attempts");
  preq.mutable_policy()->mutable_default_rules()->mutable_stages(1)->set_max_attempts(2);
  preq.set_expected_version(1);
  grpc::ClientContext p2;
  st = recovery_->ReplacePolicy(&p2, preq, &replaced);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(replaced.version(), 2);
  grpc::ClientContext p3;
  st = recovery_->ReplacePolicy(&p3, preq, &replaced);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED);
}

// BacktestPolicy: progress then the report on one stream, two
// policies side by side, nothing written; bad policies and ranges refused.
// The case file is the record a dispute or a court reads: it holds the
// account's whole audit trail, however long, as the audit API lists it.
TEST_F(RecoveryE2E, CaseFileHoldsTheWholeAuditTrailOfALongAccount) {
  // 3,000 invoices of one customer, in chunks of 1,000: the trail spans
  // several pages of the case file's event reads.
  grpc::ClientContext sctx;
  sctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::SyncLedgerResponse synced;
  auto writer = srv_.ledger().SyncLedger(&sctx, &synced);
  constexpr int kInvoices = 3000;
  for (int chunk = 0; chunk < kInvoices / 1000; ++chunk) {
    v1::SyncLedgerRequest req;
    req.set_parent(kTenant);
    req.set_sync_id("long-account");
    req.set_chunk_index(chunk);
    for (int i = chunk * 1000; i < (chunk + 1) * 1000; ++i) {
      v1::SyncRecord* r = req.add_records();
      *r->mutable_invoice() =
          MakeInvoice("L-" + std::to_string(i), D(2026, 8, 1), D(2026, 9, 1), "GBP", 1000 + i);
      r->set_customer_ref(names_["northwind"]);  // by resource name
    }
    ASSERT_TRUE(writer->Write(req));
  }
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(synced.created(), kInvoices);

  // The account's events as the audit API lists them, page by page.
  std::vector<int64_t> listed;
  std::string token;
  do {
    grpc::ClientContext lctx;
    v1::ListEventsRequest lreq;
    lreq.set_parent(kTenant);
    lreq.set_customer(names_["northwind"]);
    lreq.set_page_size(1000);
    lreq.set_page_token(token);
    v1::ListEventsResponse page;
    st = srv_.audit().ListEvents(&lctx, lreq, &page);
    ASSERT_TRUE(st.ok()) << st.error_message();
    for (const v1::Event& e : page.events()) listed.push_back(e.sequence());
    token = page.next_page_token();
  } while (!token.empty());
  ASSERT_GT(listed.size(), static_cast<size_t>(kInvoices));

  grpc::ClientContext cctx;
  v1::ExportCaseFileRequest creq;
  creq.set_customer(names_["northwind"]);
  *creq.mutable_as_of() = D(2026, 11, 20);
  v1::ExportCaseFileResponse file;
  st = recovery_->ExportCaseFile(&cctx, creq, &file);
  ASSERT_TRUE(st.ok()) << st.error_message();
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(file.json(), &json).ok());
  const auto& events = json.fields().at("events").list_value().values();
  std::vector<int64_t> in_file;
  for (const auto& e : events) {
    in_file.push_back(std::stoll(e.struct_value().fields().at("sequence").string_value()));
  }
  EXPECT_EQ(in_file, listed);
  EXPECT_EQ(json.fields().at("invoices").list_value().values_size(), kInvoices + 2);
  // The text's trail has a line per event too.
  size_t lines = 0;
  for (size_t at = file.text().find("\n  #", file.text().find("AUDIT TRAIL"));
       at != std::string::npos; at = file.text().find("\n  #", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, listed.size());
}

TEST_F(RecoveryE2E, BacktestStreamsProgressThenComparesTwoPoliciesAndWritesNothing) {
  // Pay one invoice late so the history has an outcome of each kind.
  {
    grpc::ClientContext ctx;
    v1::RecordPaymentRequest req;
    req.set_parent(names_["fabrikam"]);
    *req.mutable_payment() = MakePayment("P-F1", "EUR", 300000, D(2026, 10, 25));
    v1::Payment out;
    grpc::Status st = srv_.ledger().RecordPayment(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  // Terms that charge 10 % of the overdue amount once, on an invoice of the
  // main currency (GBP) left unpaid: GBP 100.00 under any policy.
  {
    v1::Invoice fee_terms = MakeInvoice("N-3", D(2026, 9, 20), D(2026, 10, 20), "GBP", 100000);
    fee_terms.mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::PERCENTAGE);
    fee_terms.mutable_terms()->mutable_late_fee()->set_percentage_bp(1000);
    SeedInvoice(srv_, names_["northwind"], fee_terms);
  }
  const int events = srv_.EventCount();
  v1::BacktestPolicyRequest req;
  req.set_parent(kTenant);
  v1::CollectionPolicy gentle = app::ToProtoPolicy(domain::DefaultPolicy());
  // A gentler ladder: the first reminder after two weeks.
  gentle.mutable_default_rules()->mutable_stages(0)->set_min_days_past_due(14);
  *req.mutable_policy() = gentle;
  req.set_compare_with_current(true);
  *req.mutable_start_date() = D(2026, 9, 1);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = recovery_->BacktestPolicy(&ctx, req);
  std::vector<v1::BacktestProgress> messages;
  v1::BacktestProgress m;
  while (reader->Read(&m)) messages.push_back(m);
  grpc::Status st = reader->Finish();
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_GE(messages.size(), 2u);  // progress, then the report
  EXPECT_FALSE(messages.front().has_report());
  ASSERT_TRUE(messages.back().has_report());
  EXPECT_EQ(messages.back().phase(), "DONE");
  const v1::BacktestReport& r = messages.back().report();
  EXPECT_EQ(r.customers(), 5);
  EXPECT_EQ(r.invoices(), 7);
  EXPECT_EQ(r.end_date().day(), 19);  // yesterday on the server's clock
  ASSERT_EQ(r.policies_size(), 2);
  EXPECT_EQ(r.policies(0).label(), "candidate");
  EXPECT_EQ(r.policies(1).label(), "current");
  EXPECT_LE(r.policies(0).contacts(), r.policies(1).contacts());
  EXPECT_GT(r.policies(1).contacts(), 0);
  EXPECT_EQ(r.risk().calibration_size(), 10);
  EXPECT_GE(r.assumptions_size(), 3);
  EXPECT_FALSE(r.reminder_effect_fitted());
  for (const v1::PolicyBacktest& p : r.policies()) {
    EXPECT_EQ(p.currency(), "GBP");
    EXPECT_EQ(p.fees_simulated_minor(), 10000) << p.label();
    EXPECT_EQ(p.fee_invoices(), 1);
    EXPECT_EQ(p.fees_actual_minor(), 0);
  }
  EXPECT_EQ(srv_.EventCount(), events);  // a copy: nothing written

  // A tenant without invoices has no history to replay: NO_HISTORY, naming
  // it (also with an explicit range).
  for (bool ranged : {false, true}) {
    v1::BacktestPolicyRequest empty;
    empty.set_parent("tenants/empty");
    if (ranged) *empty.mutable_start_date() = D(2026, 9, 1);
    grpc::ClientContext ectx;
    auto empty_reader = recovery_->BacktestPolicy(&ectx, empty);
    while (empty_reader->Read(&m)) {
    }
    st = empty_reader->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ReasonOf(st), "NO_HISTORY");
    EXPECT_EQ(domain::MetadataOf(grpc_status::FromGrpcStatus(st))["tenant"], "empty");
  }

  // A bad candidate names its field under policy.; a range after today.
  v1::BacktestPolicyRequest bad = req;
  bad.mutable_policy()->mutable_business_hours()->set_start_minute(24 * 60 + 5);
  grpc::ClientContext bctx;
  bctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto bad_reader = recovery_->BacktestPolicy(&bctx, bad);
  while (bad_reader->Read(&m)) {
  }
  st = bad_reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "INVALID_POLICY");
  EXPECT_EQ(FieldOf(st).rfind("policy.", 0), 0u) << FieldOf(st);
  v1::BacktestPolicyRequest future = req;
  *future.mutable_end_date() = D(2026, 12, 1);
  grpc::ClientContext fctx;
  fctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto future_reader = recovery_->BacktestPolicy(&fctx, future);
  while (future_reader->Read(&m)) {
  }
  st = future_reader->Finish();
  EXPECT_EQ(ReasonOf(st), "INVALID_DATE_RANGE");
  EXPECT_EQ(srv_.EventCount(), events);
}

TEST(PolicyFile, ShippedExampleIsTheDefaultAndBadFilesNameTheField) {
  auto loaded = app::LoadPolicyFile(RECOVERY_POLICY_EXAMPLE);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  v1::CollectionPolicy want = app::ToProtoPolicy(domain::DefaultPolicy());
  EXPECT_EQ(loaded->SerializeAsString(), want.SerializeAsString());

  char dir_tmpl[] = "/tmp/recovery-policy-XXXXXX";
  const std::string dir = mkdtemp(dir_tmpl);
  const std::string json_path = dir + "/policy.json";
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(want, &json).ok());
  std::ofstream(json_path) << json;
  auto from_json = app::LoadPolicyFile(json_path);
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_EQ(from_json->default_rules().stages_size(), want.default_rules().stages_size());

  const std::string bad_path = dir + "/bad.textproto";
  std::ofstream(bad_path) << "default_rules { stages { stage: STAGE_FORMAL_NOTICE } "
                             "stages { stage: STAGE_FRIENDLY_REMINDER } }";
  auto bad = app::LoadPolicyFile(bad_path);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(domain::ReasonOf(bad.status()), "INVALID_POLICY");
  EXPECT_EQ(domain::FieldsOf(bad.status())[0].field, "default_rules.stages[1].stage");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace collections::testing
