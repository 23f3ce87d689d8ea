// LetterService end to end through a real server on a real SQLite file: the
// tenant profile (and the --company_name fallback before it is set), payment
// links whose token an independent HMAC-SHA256 verifies, templates listed,
// previewed and replaced per tenant (versioned, idempotent), and a template
// that needs a field the account lacks refused with FAILED_PRECONDITION
// MISSING_TEMPLATE_FIELD naming it, in RenderMessage, in a preview and in
// RunCollections, with nothing written for refused requests.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collections_sidecar/v1/letters.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/app/letters_app.h"
#include "service/app/payment_link.h"
#include "service/app/recovery_app.h"
#include "service/auth/scopes.h"
#include "service/base/errors.h"
#include "service/domain/templates.h"
#include "service/grpc_status/status_convert.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

const char kTenant[] = "tenants/acme";
const char kProfile[] = "tenants/acme/profile";
const std::string kSecret(32, 'k');

std::string MetadataField(const grpc::Status& st) {
  return domain::MetadataOf(grpc_status::FromGrpcStatus(st))["field"];
}

class LettersE2E : public ::testing::Test {
 protected:
  LettersE2E()
      : letters_(v1::LetterService::NewStub(srv_.channel())),
        recovery_(v1::RecoveryService::NewStub(srv_.channel())) {}

  void SetUp() override {
    v1::Customer nw = MakeCustomer("NW-0042", "Northwind Traders Ltd");
    nw.mutable_relationship()->set_account_owner("maria@acme.example");
    auto* person = nw.add_contacts();
    person->set_name("Ana Ortiz");
    person->set_primary(true);
    auto* mail = person->add_channels();
    mail->set_type(v1::ContactChannel::EMAIL);
    mail->set_address("ap@northwind.example");
    northwind_ = SeedCustomer(srv_, nw);
    SeedInvoice(srv_, northwind_,
                MakeInvoice("N-1", D(2026, 8, 21), D(2026, 9, 20), "GBP", 480000));
    SeedInvoice(srv_, northwind_,
                MakeInvoice("N-2", D(2026, 10, 1), D(2026, 10, 31), "GBP", 120000));
    // A sparse debtor: no contact person, no account owner.
    fabrikam_ = SeedCustomer(srv_, MakeCustomer("fab-7", "Fabrikam GmbH"));
    SeedInvoice(srv_, fabrikam_,
                MakeInvoice("F-1", D(2026, 9, 15), D(2026, 10, 15), "EUR", 300000));
  }

  v1::TenantProfile FullProfile() {
    v1::TenantProfile p;
    p.set_name(kProfile);
    p.set_company_name("Acme Supplies Ltd");
    p.set_postal_address("1 Harbour Road\nBristol BS1 4AA");
    p.set_reply_to("accounts@acme.example");
    p.set_phone("+44 117 496 0000");
    p.set_signature("Maria Keller\nCredit control");
    p.set_payment_link_template(
        "https://pay.acme.example/i/{{invoice_number}}?a={{amount}}&c={{currency}}"
        "&r={{customer_reference}}&t={{token}}");
    p.set_payment_link_secret(kSecret);
    return p;
  }

  grpc::Status Update(const v1::TenantProfile& p, v1::TenantProfile* out,
                      const std::string& mask = "", const std::string& request_id = "") {
    grpc::ClientContext ctx;
    v1::UpdateTenantProfileRequest req;
    *req.mutable_profile() = p;
    if (!mask.empty()) req.mutable_update_mask()->add_paths(mask);
    req.set_request_id(request_id);
    return letters_->UpdateTenantProfile(&ctx, req, out);
  }

  grpc::Status Render(const std::string& customer, const std::string& template_id,
                      v1::RenderMessageResponse* out) {
    grpc::ClientContext ctx;
    v1::RenderMessageRequest req;
    req.set_customer(customer);
    *req.mutable_as_of() = D(2026, 11, 20);
    req.set_template_id(template_id);
    return recovery_->RenderMessage(&ctx, req, out);
  }

  grpc::Status Replace(const v1::MessageTemplate& t, v1::MessageTemplate* out,
                       const std::string& request_id = "", int64_t expected_version = 0) {
    grpc::ClientContext ctx;
    v1::ReplaceMessageTemplateRequest req;
    req.set_parent(kTenant);
    *req.mutable_template_() = t;
    req.set_request_id(request_id);
    req.set_expected_version(expected_version);
    return letters_->ReplaceMessageTemplate(&ctx, req, out);
  }

  grpc::Status Preview(const std::string& customer, const std::string& body,
                       v1::RenderMessageResponse* out) {
    grpc::ClientContext ctx;
    v1::PreviewMessageTemplateRequest req;
    req.set_customer(customer);
    *req.mutable_as_of() = D(2026, 11, 20);
    req.mutable_template_()->set_subject("Preview");
    req.mutable_template_()->set_body(body);
    return letters_->PreviewMessageTemplate(&ctx, req, out);
  }

  static v1::MessageTemplate Text(const std::string& id, const std::string& body) {
    v1::MessageTemplate t;
    t.set_id(id);
    t.set_locale("en");
    t.set_stage(v1::STAGE_FRIENDLY_REMINDER);
    t.set_channel(v1::CHANNEL_EMAIL);
    t.set_tone(v1::TONE_FRIENDLY);
    t.set_subject("Reminder: {{total}}");
    t.set_body(body);
    return t;
  }

  TestServer srv_;
  std::unique_ptr<v1::LetterService::Stub> letters_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
  std::string northwind_;
  std::string fabrikam_;
};

TEST_F(LettersE2E, TheProfileReplacesTheServerFallbackAndNeverReturnsItsSecret) {
  {
    grpc::ClientContext ctx;
    v1::GetTenantProfileRequest req;
    req.set_name(kProfile);
    v1::TenantProfile out;
    grpc::Status st = letters_->GetTenantProfile(&ctx, req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(ReasonOf(st), "PROFILE_NOT_FOUND");
  }
  // Without a profile, letters are signed with --company_name.
  v1::RenderMessageResponse before;
  ASSERT_TRUE(Render(northwind_, "formal_notice.letter", &before).ok());
  EXPECT_EQ(before.body().rfind("Our company\n\nNorthwind Traders Ltd\nAttn. Ana Ortiz\n", 0), 0u)
      << before.body();

  // Bad input is refused with the field, and nothing is written.
  const int events = srv_.EventCount();
  v1::TenantProfile bad = FullProfile();
  bad.set_reply_to("accounts");
  v1::TenantProfile out;
  grpc::Status st = Update(bad, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "INVALID_PROFILE");
  EXPECT_EQ(FieldOf(st), "profile.reply_to");
  bad = FullProfile();
  bad.clear_payment_link_secret();
  st = Update(bad, &out);
  EXPECT_EQ(FieldOf(st), "profile.payment_link_secret") << st.error_message();
  bad = FullProfile();
  bad.set_payment_link_template("http://pay.acme.example/{{invoice}}");
  EXPECT_EQ(FieldOf(Update(bad, &out)), "profile.payment_link_template");
  EXPECT_EQ(FieldOf(Update(FullProfile(), &out, "version")), "update_mask");
  EXPECT_EQ(srv_.EventCount(), events);

  ASSERT_TRUE(Update(FullProfile(), &out, "", "p-1").ok());
  EXPECT_EQ(out.name(), kProfile);
  EXPECT_EQ(out.version(), 1);
  EXPECT_TRUE(out.payment_link_secret().empty());
  EXPECT_EQ(out.payment_link_key_id(), app::PaymentKeyId(kSecret));
  EXPECT_EQ(out.payment_link_key_id().size(), 16u);
  EXPECT_EQ(srv_.EventCount(), events + 1);
  // A replay answers the same and writes nothing.
  v1::TenantProfile replay;
  ASSERT_TRUE(Update(FullProfile(), &replay, "", "p-1").ok());
  EXPECT_EQ(replay.version(), 1);
  EXPECT_EQ(srv_.EventCount(), events + 1);

  // A masked update changes that field only and keeps the secret.
  v1::TenantProfile phone;
  phone.set_name(kProfile);
  phone.set_phone("+44 117 496 0999");
  ASSERT_TRUE(Update(phone, &out, "phone").ok());
  EXPECT_EQ(out.version(), 2);
  EXPECT_EQ(out.company_name(), "Acme Supplies Ltd");
  EXPECT_EQ(out.phone(), "+44 117 496 0999");
  EXPECT_EQ(out.payment_link_key_id(), app::PaymentKeyId(kSecret));
  {
    grpc::ClientContext ctx;
    v1::GetTenantProfileRequest req;
    req.set_name(kProfile);
    v1::TenantProfile got;
    ASSERT_TRUE(letters_->GetTenantProfile(&ctx, req, &got).ok());
    EXPECT_EQ(got.SerializeAsString(), out.SerializeAsString());
  }

  // Letters now carry the letterhead, the account number and the signature.
  v1::RenderMessageResponse after;
  ASSERT_TRUE(Render(northwind_, "formal_notice.letter", &after).ok());
  EXPECT_EQ(after.body().rfind("Acme Supplies Ltd\n1 Harbour Road\nBristol BS1 4AA\n"
                               "Phone: +44 117 496 0999\nE-mail: accounts@acme.example\n\n"
                               "Northwind Traders Ltd\nAttn. Ana Ortiz\n\n2026-11-20\n",
                               0),
            0u)
      << after.body();
  EXPECT_NE(after.body().find("Account number: NW-0042\n"), std::string::npos);
  EXPECT_NE(after.body().find("  Invoice N-1: GBP 4,800.00, due 2026-09-20 (61 days overdue)\n"
                              "  Invoice N-2: GBP 1,200.00, due 2026-10-31 (20 days overdue)\n"
                              "Total owed: GBP 6,000.00\n"),
            std::string::npos)
      << after.body();
  EXPECT_NE(
      after.body().find("Yours sincerely,\nMaria Keller\nCredit control\nAcme Supplies Ltd\n"),
      std::string::npos)
      << after.body();
  EXPECT_NE(after.subject().find("NW-0042"), std::string::npos);
}

// The engine decides the consequence and its day; the recommended letter
// states both: a referral may only follow a letter that named it.
TEST_F(LettersE2E, TheRecommendedFormalNoticeNamesTheConsequenceAndItsDay) {
  grpc::ClientContext rctx;
  v1::GetRecommendationRequest rreq;
  rreq.set_customer(northwind_);
  *rreq.mutable_as_of() = D(2026, 11, 20);
  v1::Recommendation rec;
  ASSERT_TRUE(recovery_->GetRecommendation(&rctx, rreq, &rec).ok());
  // 61 days overdue and never chased: the formal notice first.
  ASSERT_EQ(rec.stage(), v1::STAGE_FORMAL_NOTICE) << rec.explanation();
  ASSERT_EQ(rec.consequence_stage(), v1::STAGE_AGENCY_REFERRAL);
  const v1::Date& d = rec.consequence_date();
  v1::RenderMessageResponse m;
  ASSERT_TRUE(Render(northwind_, "", &m).ok());
  EXPECT_NE(m.body().find(absl::StrFormat(
                "we will refer the account to a collection agency on or after %04d-%02d-%02d.",
                d.year(), d.month(), d.day())),
            std::string::npos)
      << m.body();
  EXPECT_NE(m.body().find("Account number: NW-0042"), std::string::npos);
}

TEST_F(LettersE2E, PaymentLinksCarryATokenThePortalCanVerify) {
  v1::TenantProfile out;
  ASSERT_TRUE(Update(FullProfile(), &out).ok());
  v1::RenderMessageResponse m;
  ASSERT_TRUE(Render(northwind_, "friendly_reminder.email", &m).ok());
  // One link for the whole amount (both invoices, one currency).
  const std::string prefix = "https://pay.acme.example/i/N-1%2CN-2?a=6000.00&c=GBP&r=NW-0042&t=";
  const size_t at = m.body().find(prefix);
  ASSERT_NE(at, std::string::npos) << m.body();
  const size_t end = m.body().find('\n', at);
  const std::string token = m.body().substr(at + prefix.size(), end - at - prefix.size());

  // The portal's check, written from the profile's documentation: the
  // expiry is the end of 2026-11-20 + 30 days, UTC.
  const int64_t expires =
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2026, 12, 21), absl::UTCTimeZone()));
  ASSERT_EQ(token.substr(0, token.find('.')), absl::StrCat(expires));
  const std::string payload =
      absl::StrCat("collections.v1.pay\nacme\nNW-0042\nN-1,N-2\n600000\nGBP\n", expires);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  EXPECT_EQ(token.substr(token.find('.') + 1),
            absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<char*>(mac), len)));

  app::PaymentLinkFields fields{"acme", "NW-0042", "N-1,N-2", {"GBP", 600000}, 0};
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 25, 9, 0, 0), absl::UTCTimeZone());
  EXPECT_TRUE(app::VerifyPaymentToken(kSecret, fields, token, now).ok());
  // Paying less, another key, or too late is refused.
  app::PaymentLinkFields less = fields;
  less.amount.minor = 100;
  EXPECT_EQ(domain::ReasonOf(app::VerifyPaymentToken(kSecret, less, token, now)),
            "PAYMENT_TOKEN_INVALID");
  EXPECT_FALSE(app::VerifyPaymentToken(std::string(32, 'x'), fields, token, now).ok());
  EXPECT_EQ(domain::ReasonOf(
                app::VerifyPaymentToken(kSecret, fields, token, absl::FromUnixSeconds(expires))),
            "PAYMENT_TOKEN_EXPIRED");
}

TEST_F(LettersE2E, TemplatesAreListedPreviewedAndReplacedPerTenant) {
  // Every shipped template, over pages, in name order.
  std::vector<v1::MessageTemplate> all;
  std::string token;
  do {
    grpc::ClientContext ctx;
    v1::ListMessageTemplatesRequest req;
    req.set_parent(kTenant);
    req.set_page_size(5);
    req.set_page_token(token);
    v1::ListMessageTemplatesResponse page;
    ASSERT_TRUE(letters_->ListMessageTemplates(&ctx, req, &page).ok());
    for (const auto& t : page.templates()) all.push_back(t);
    token = page.next_page_token();
  } while (!token.empty());
  ASSERT_EQ(all.size(), domain::DefaultTemplates().size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version(), 0);
    EXPECT_FALSE(all[i].customized());
    if (i > 0) {
      EXPECT_LT(all[i - 1].name(), all[i].name());
    }
  }
  EXPECT_EQ(all[0].name(), "tenants/acme/messageTemplates/agency_referral.task.en");

  // A preview renders a text against an account and writes nothing.
  const int events = srv_.EventCount();
  v1::RenderMessageResponse preview;
  grpc::Status st = Preview(
      northwind_, "Hello {{contact_name}}, account {{account_number}} owes {{total}}.", &preview);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(preview.body(), "Hello Ana Ortiz, account NW-0042 owes GBP 6,000.00.");
  st = Preview(northwind_, "Hello {{contact_nmae}}", &preview);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(st), "template.body");

  // Replace: versioned, idempotent, refused on a stale expected_version.
  const v1::MessageTemplate text =
      Text("friendly_reminder.email",
           "Hi {{contact_name}}, account {{account_number}}: {{total}} is open.\n"
           "{{#invoices}}{{number}} was due {{due_date}}.\n{{/invoices}}{{company_name}}\n");
  v1::MessageTemplate replaced;
  ASSERT_TRUE(Replace(text, &replaced, "t-1").ok());
  EXPECT_EQ(replaced.name(), "tenants/acme/messageTemplates/friendly_reminder.email.en");
  EXPECT_EQ(replaced.version(), 1);
  EXPECT_TRUE(replaced.customized());
  v1::MessageTemplate again;
  ASSERT_TRUE(Replace(text, &again, "t-1").ok());
  EXPECT_EQ(again.version(), 1);
  EXPECT_EQ(srv_.EventCount(), events + 1);
  v1::RenderMessageResponse m;
  ASSERT_TRUE(Render(northwind_, "friendly_reminder.email", &m).ok());
  EXPECT_EQ(m.body(),
            "Hi Ana Ortiz, account NW-0042: GBP 6,000.00 is open.\n"
            "N-1 was due 2026-09-20.\nN-2 was due 2026-10-31.\nOur company\n");
  ASSERT_TRUE(Replace(text, &replaced, "t-2", 1).ok());
  EXPECT_EQ(replaced.version(), 2);
  st = Replace(text, &replaced, "t-3", 1);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(st), "TEMPLATE_VERSION_MISMATCH");
  {
    grpc::ClientContext ctx;
    v1::GetMessageTemplateRequest req;
    req.set_name("tenants/acme/messageTemplates/friendly_reminder.email.en");
    v1::MessageTemplate got;
    ASSERT_TRUE(letters_->GetMessageTemplate(&ctx, req, &got).ok());
    EXPECT_EQ(got.version(), 2);
    EXPECT_EQ(got.body(), text.body());
  }
  // Bad text and threats are refused, with nothing written.
  const int before_bad = srv_.EventCount();
  st = Replace(Text("friendly_reminder.email", "{{#invoices}}unclosed"), &replaced);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "TEMPLATE_INVALID");
  st = Replace(Text("friendly_reminder.email", "Pay or we will garnish your wages."), &replaced);
  EXPECT_EQ(ReasonOf(st), "TEMPLATE_TONE_REFUSED");
  EXPECT_EQ(srv_.EventCount(), before_bad);
  // Another tenant still has the shipped text.
  {
    grpc::ClientContext ctx;
    v1::GetMessageTemplateRequest req;
    req.set_name("tenants/beta/messageTemplates/friendly_reminder.email.en");
    v1::MessageTemplate got;
    ASSERT_TRUE(letters_->GetMessageTemplate(&ctx, req, &got).ok());
    EXPECT_EQ(got.version(), 0);
  }
}

TEST_F(LettersE2E, ATemplateNeedingAMissingFieldIsRefusedNamingIt) {
  // The tenant has no profile, so no phone: a template printing it
  // unguarded cannot be sent.
  const std::string body = "Call us on {{company_phone}} about {{total}}.";
  v1::RenderMessageResponse m;
  grpc::Status st = Preview(northwind_, body, &m);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(st), "MISSING_TEMPLATE_FIELD");
  EXPECT_EQ(MetadataField(st), "company_phone");
  // A guarded use falls back instead.
  ASSERT_TRUE(Preview(northwind_,
                      "Call us{{#company_phone}} on {{company_phone}}{{/company_phone}} about "
                      "{{total}}.",
                      &m)
                  .ok());
  EXPECT_EQ(m.body(), "Call us about GBP 6,000.00.");
  // The sparse debtor has no account owner.
  st = Preview(fabrikam_, "Your contact: {{account_owner}}", &m);
  EXPECT_EQ(MetadataField(st), "account_owner");

  // The same through the stored template RunCollections uses: the action
  // is refused and reported, and nothing is written for it.
  grpc::ClientContext rctx;
  v1::GetRecommendationRequest rreq;
  rreq.set_customer(northwind_);
  *rreq.mutable_as_of() = D(2026, 11, 20);
  v1::Recommendation rec;
  ASSERT_TRUE(recovery_->GetRecommendation(&rctx, rreq, &rec).ok());
  ASSERT_FALSE(rec.template_id().empty());
  v1::MessageTemplate t = Text(rec.template_id(), body);
  t.set_stage(rec.stage());
  t.set_channel(rec.channel());
  v1::MessageTemplate replaced;
  st = Replace(t, &replaced);
  ASSERT_TRUE(st.ok()) << st.error_message();
  st = Render(northwind_, "", &m);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(MetadataField(st), "company_phone");
  grpc::ClientContext ctx;
  v1::RunCollectionsRequest run;
  run.set_parent(kTenant);
  *run.mutable_as_of() = D(2026, 11, 20);
  v1::RunCollectionsResponse out;
  ASSERT_TRUE(recovery_->RunCollections(&ctx, run, &out).ok());
  bool refused = false;
  for (const auto& r : out.refusal_samples()) {
    refused = refused || (r.code() == "MISSING_TEMPLATE_FIELD" &&
                          r.text().find(northwind_) != std::string::npos &&
                          r.text().find("company_phone") != std::string::npos);
  }
  EXPECT_TRUE(refused);
  int64_t missing_field = 0;
  for (const auto& c : out.refusals()) {
    if (c.code() == "MISSING_TEMPLATE_FIELD") missing_field = c.count();
  }
  EXPECT_GE(missing_field, 1);
  for (const auto& a : ActionsOfRun(*recovery_, kTenant, out)) EXPECT_NE(a.customer(), northwind_);
}

// Compiled once per tenant and template version, not per account.
TEST_F(LettersE2E, TemplatesCompileOncePerTenantAndVersion) {
  domain::FixedClock clock(
      absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12, 0, 0), absl::UTCTimeZone()));
  app::RecoveryApp recovery(srv_.server().store(), clock);
  app::LettersApp letters(srv_.server().store(), clock, recovery);
  app::CallContext who;
  for (int i = 0; i < 3; ++i) {
    for (const std::string& customer : {northwind_, fabrikam_}) {
      v1::RenderMessageRequest req;
      req.set_customer(customer);
      *req.mutable_as_of() = D(2026, 11, 20);
      req.set_template_id("second_reminder_or_call.email");
      ASSERT_TRUE(recovery.RenderMessage(who, req).ok());
    }
  }
  EXPECT_EQ(recovery.letters().compilations(), 1);
  v1::ReplaceMessageTemplateRequest replace;
  replace.set_parent(kTenant);
  *replace.mutable_template_() =
      Text("second_reminder_or_call.email", "Account {{account_number}}: {{total}}.");
  ASSERT_TRUE(letters.ReplaceMessageTemplate(who, replace).ok());
  for (const std::string& customer : {northwind_, fabrikam_}) {
    v1::RenderMessageRequest req;
    req.set_customer(customer);
    *req.mutable_as_of() = D(2026, 11, 20);
    req.set_template_id("second_reminder_or_call.email");
    auto m = recovery.RenderMessage(who, req);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->body().rfind("Account ", 0), 0u);
  }
  EXPECT_EQ(recovery.letters().compilations(), 2);
}

// Reading and previewing need read; changing what every debtor is sent, or
// the key that signs payment links, needs admin.
TEST(LetterScopes, ReadsNeedReadChangesNeedAdmin) {
  for (const char* m : {"GetTenantProfile", "ListMessageTemplates", "GetMessageTemplate",
                        "PreviewMessageTemplate"}) {
    EXPECT_EQ(auth::RequiredScope(absl::StrCat("LetterService/", m)), auth::Scope::kRead) << m;
  }
  for (const char* m : {"UpdateTenantProfile", "ReplaceMessageTemplate"}) {
    EXPECT_EQ(auth::RequiredScope(absl::StrCat("LetterService/", m)), auth::Scope::kAdmin) << m;
  }
}

}  // namespace
}  // namespace collections::testing
