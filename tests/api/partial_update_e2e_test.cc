// Partial updates and etags, and the times a contact may
// carry, through a real gRPC server:
//  - an upsert without update_mask changes only the fields it populates, so
//    an ERP sending a customer's new name no longer erases its contacts,
//    time zone and payment terms, and a consent or opt-out recorded on the
//    collections side survives the next sync;
//  - an update_mask replaces exactly the named fields; an unknown or
//    output-only path is INVALID_ARGUMENT and writes nothing;
//  - customers, invoices and the policy carry an etag; a stale one is ABORTED;
//  - a contact dated before the customer existed (the 1970 epoch of an unset
//    clock) is refused, and one without a time is stamped with the server's.
#include <gtest/gtest.h>

#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "service/app/partial_update.h"
#include "tests/api/test_server.h"

namespace collections::testing {
namespace {

using google::protobuf::util::TimeUtil;

v1::Customer FullCustomer() {
  v1::Customer c = MakeCustomer("C-1", "Ortiz Trading");
  c.set_time_zone("America/New_York");
  c.set_payment_terms_days(45);
  auto* contact = c.add_contacts();
  contact->set_name("Ana Ortiz");
  auto* ch = contact->add_channels();
  ch->set_type(v1::ContactChannel::EMAIL);
  ch->set_address("ana@ortiz.example");
  ch->set_consent(true);
  ch->set_opted_out(true);
  return c;
}

class PartialUpdateE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    recovery_ = v1::RecoveryService::NewStub(srv_.channel());
    name_ = SeedCustomer(srv_, FullCustomer());
  }

  grpc::Status Upsert(const v1::Customer& c, const std::vector<std::string>& mask,
                      v1::Customer* out) {
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/acme");
    *req.mutable_customer() = c;
    for (const auto& p : mask) req.mutable_update_mask()->add_paths(p);
    return srv_.ledger().UpsertCustomer(&ctx, req, out);
  }

  v1::Customer Get() {
    grpc::ClientContext ctx;
    v1::GetCustomerRequest req;
    req.set_name(name_);
    v1::Customer out;
    EXPECT_TRUE(srv_.ledger().GetCustomer(&ctx, req, &out).ok());
    return out;
  }

  TestServer srv_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
  std::string name_;
};

TEST_F(PartialUpdateE2E, UpsertWithoutMaskKeepsWhatItDoesNotMention) {
  v1::Customer rename;
  *rename.mutable_external_ref() = FullCustomer().external_ref();
  rename.set_display_name("Ortiz Trading LLC");
  v1::Customer out;
  grpc::Status st = Upsert(rename, {}, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.display_name(), "Ortiz Trading LLC");
  EXPECT_EQ(out.time_zone(), "America/New_York");
  EXPECT_EQ(out.payment_terms_days(), 45);
  EXPECT_EQ(out.kind(), v1::CUSTOMER_KIND_BUSINESS);
  ASSERT_EQ(out.contacts_size(), 1);
  EXPECT_EQ(out.contacts(0).channels(0).address(), "ana@ortiz.example");
  EXPECT_EQ(Get().display_name(), "Ortiz Trading LLC");
}

TEST_F(PartialUpdateE2E, SyncWithoutMaskMergesContactsAndKeepsConsentAndOptOut) {
  // The ERP knows the address but nothing of consent or the opt-out, and
  // adds a phone number.
  v1::Customer from_erp = MakeCustomer("C-1", "Ortiz Trading");
  from_erp.clear_time_zone();  // the ERP does not know it
  auto* contact = from_erp.add_contacts();
  contact->set_name("Ana Ortiz");
  auto* email = contact->add_channels();
  email->set_type(v1::ContactChannel::EMAIL);
  email->set_address("ANA@ortiz.example");
  auto* phone = contact->add_channels();
  phone->set_type(v1::ContactChannel::PHONE);
  phone->set_address("+12125550100");
  v1::SyncRecord rec;
  *rec.mutable_customer() = from_erp;
  v1::SyncLedgerResponse resp = SyncChunk(srv_, "tenants/acme", "sync-1", {rec});
  ASSERT_EQ(resp.rejected(), 0) << resp.DebugString();
  v1::Customer c = Get();
  ASSERT_EQ(c.contacts_size(), 1);
  ASSERT_EQ(c.contacts(0).channels_size(), 2);
  EXPECT_TRUE(c.contacts(0).channels(0).consent());
  EXPECT_TRUE(c.contacts(0).channels(0).opted_out());
  EXPECT_EQ(c.contacts(0).channels(1).address(), "+12125550100");
  EXPECT_EQ(c.time_zone(), "America/New_York");
}

TEST_F(PartialUpdateE2E, MaskReplacesExactlyTheNamedFields) {
  v1::Customer change;
  change.set_name(name_);  // by resource name alone
  change.set_time_zone("Europe/Berlin");
  change.set_display_name("ignored: not in the mask");
  v1::Customer out;
  grpc::Status st = Upsert(change, {"time_zone", "contacts"}, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.time_zone(), "Europe/Berlin");
  EXPECT_EQ(out.contacts_size(), 0);  // named and left empty: cleared
  EXPECT_EQ(out.display_name(), "Ortiz Trading");
  EXPECT_EQ(out.payment_terms_days(), 45);
}

TEST_F(PartialUpdateE2E, BadMaskPathsAreRefusedAndWriteNothing) {
  const int events = srv_.EventCount();
  for (const char* path : {"create_time", "no_such_field", "etag", "external_ref"}) {
    v1::Customer c = FullCustomer();
    c.set_display_name("changed");
    v1::Customer out;
    grpc::Status st = Upsert(c, {path}, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path;
    EXPECT_EQ(ReasonOf(st), "INVALID_UPDATE_MASK") << path;
    EXPECT_EQ(FieldOf(st), "update_mask.paths[0]") << path;
  }
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(Get().display_name(), "Ortiz Trading");
}

TEST_F(PartialUpdateE2E, StaleCustomerEtagIsAborted) {
  const v1::Customer read = Get();
  ASSERT_EQ(read.etag().size(), 16u);
  v1::Customer change;
  change.set_name(name_);
  change.set_payment_terms_days(30);
  change.set_etag(read.etag());
  v1::Customer out;
  ASSERT_TRUE(Upsert(change, {"payment_terms_days"}, &out).ok());
  EXPECT_NE(out.etag(), read.etag());
  EXPECT_EQ(out.etag(), Get().etag());

  const int events = srv_.EventCount();
  change.set_payment_terms_days(60);  // a second writer still holding the first read
  grpc::Status st = Upsert(change, {"payment_terms_days"}, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(st), "ETAG_MISMATCH");
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(Get().payment_terms_days(), 30);
}

TEST_F(PartialUpdateE2E, InvoiceMaskAndEtag) {
  SeedInvoice(srv_, name_, MakeInvoice("INV-1", D(2026, 10, 1), D(2026, 10, 31), "USD", 10000));
  grpc::ClientContext lctx;
  v1::ListInvoicesRequest list;
  list.set_parent(name_);
  v1::ListInvoicesResponse invoices;
  ASSERT_TRUE(srv_.ledger().ListInvoices(&lctx, list, &invoices).ok());
  ASSERT_EQ(invoices.invoices_size(), 1);
  const v1::Invoice read = invoices.invoices(0);
  ASSERT_FALSE(read.etag().empty());

  v1::Invoice change;
  *change.mutable_external_ref() = read.external_ref();
  change.set_payment_reference("RF18539007547034");
  change.set_etag(read.etag());
  grpc::ClientContext ctx;
  v1::UpsertInvoiceRequest req;
  req.set_parent(name_);
  *req.mutable_invoice() = change;
  req.mutable_update_mask()->add_paths("payment_reference");
  v1::Invoice out;
  grpc::Status st = srv_.ledger().UpsertInvoice(&ctx, req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.payment_reference(), "RF18539007547034");
  EXPECT_EQ(out.total().minor_units(), 10000);
  EXPECT_EQ(out.number(), "INV-1");

  grpc::ClientContext again;
  st = srv_.ledger().UpsertInvoice(&again, req, &out);  // the old etag once more
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(st), "ETAG_MISMATCH");
}

TEST_F(PartialUpdateE2E, PolicyMaskKeepsTheRestAndStaleEtagIsAborted) {
  grpc::ClientContext gctx;
  v1::GetPolicyRequest get;
  get.set_name("tenants/acme/collectionPolicy");
  v1::CollectionPolicy before;
  ASSERT_TRUE(recovery_->GetPolicy(&gctx, get, &before).ok());
  ASSERT_FALSE(before.etag().empty());

  v1::ReplacePolicyRequest req;
  req.mutable_policy()->set_name("tenants/acme/collectionPolicy");
  req.mutable_policy()->mutable_business_hours()->set_start_minute(9 * 60);
  req.mutable_policy()->mutable_business_hours()->set_end_minute(17 * 60);
  req.mutable_policy()->set_etag(before.etag());
  req.mutable_update_mask()->add_paths("business_hours");
  grpc::ClientContext rctx;
  v1::CollectionPolicy after;
  grpc::Status st = recovery_->ReplacePolicy(&rctx, req, &after);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(after.business_hours().start_minute(), 9 * 60);
  EXPECT_EQ(after.version(), before.version() + 1);
  EXPECT_EQ(after.default_rules().DebugString(), before.default_rules().DebugString());
  EXPECT_EQ(after.economics().DebugString(), before.economics().DebugString());

  grpc::ClientContext stale;
  st = recovery_->ReplacePolicy(&stale, req, &after);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(st), "ETAG_MISMATCH");
}

grpc::Status RecordContactAt(v1::RecoveryService::Stub& recovery, const std::string& customer,
                             const google::protobuf::Timestamp* time, v1::ContactRecord* out) {
  grpc::ClientContext ctx;
  v1::RecordContactRequest req;
  req.set_parent(customer);
  auto* c = req.mutable_contact();
  c->set_channel(v1::CHANNEL_PHONE);
  c->set_direction(v1::ContactRecord::INBOUND);
  c->set_outcome(v1::ContactRecord::SPOKE);
  if (time != nullptr) *c->mutable_time() = *time;
  return recovery.RecordContact(&ctx, req, out);
}

TEST_F(PartialUpdateE2E, ContactBeforeTheCustomerExistedIsRefused) {
  const int events = srv_.EventCount();
  google::protobuf::Timestamp epoch;  // what an unset client clock sends
  v1::ContactRecord out;
  grpc::Status st = RecordContactAt(*recovery_, name_, &epoch, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "TIME_BEFORE_CUSTOMER");
  EXPECT_EQ(FieldOf(st), "contact.time");
  EXPECT_EQ(srv_.EventCount(), events);

  st = RecordContactAt(*recovery_, name_, nullptr, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(TimeUtil::TimestampToNanoseconds(out.time()), absl::ToUnixNanos(srv_.clock().Now()));
}

// The etag covers every field but itself: the same whether the message
// holds an etag or not, and what StampEtag writes.
TEST(EtagTest, CoversEveryFieldButItself) {
  v1::Customer c;
  c.set_display_name("Ada Ltd");
  const std::string plain = app::ComputeEtag(c);
  ASSERT_EQ(plain.size(), 16u);
  v1::Customer stamped = c;
  stamped.set_etag("0123456789abcdef");
  EXPECT_EQ(app::ComputeEtag(stamped), plain);
  app::StampEtag(&stamped);
  EXPECT_EQ(stamped.etag(), plain);
  EXPECT_EQ(app::ComputeEtag(stamped), plain);
  c.set_display_name("Ada Limited");
  EXPECT_NE(app::ComputeEtag(c), plain);
}

}  // namespace
}  // namespace collections::testing
