// The courier's pure parts: the e-mail as bytes, the HTML rendering, the
// payment link found in a text, the webhook JSON, the signature scheme both
// directions share, and the configuration's refusals.
#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "connectors/courier/courier_config.h"
#include "connectors/courier/letter_pdf.h"
#include "connectors/courier/message.h"
#include "service/base/errors.h"
#include "service/signing/signed_payload.h"

namespace collections::courier {

namespace v1 = ::collections_sidecar::v1;
namespace {

v1::OutboxAction Action() {
  v1::OutboxAction a;
  a.set_name("tenants/acme/outboxActions/o-sam-20261120-2");
  a.set_customer("tenants/acme/customers/sam");
  a.set_recipient("sam@example.net");
  a.set_subject("Zahlungserinnerung: Rechnung S-1 überfällig");
  a.set_body(
      "Dear Sam,\n\ninvoice S-1 is overdue.\nPay at "
      "https://pay.acme.example/i/S-1?t=abc.\n\nRegards");
  a.mutable_recommendation()->set_channel(v1::CHANNEL_EMAIL);
  a.mutable_recommendation()->add_invoices("tenants/acme/customers/sam/invoices/S-1");
  return a;
}

TEST(CourierMessage, MessageIdIsDerivedFromTheAction) {
  EXPECT_EQ(MessageIdFor("tenants/acme/outboxActions/o-1", "acme.example"),
            "<o-1.acme@acme.example>");
  EXPECT_EQ(MessageIdFor("tenants/acme/outboxActions/o-1", "acme.example"),
            MessageIdFor("tenants/acme/outboxActions/o-1", "acme.example"));
  EXPECT_NE(MessageIdFor("tenants/acme/outboxActions/o-1", "x"),
            MessageIdFor("tenants/beta/outboxActions/o-1", "x"));
}

TEST(CourierMessage, EmailIsMultipartWithHeadersFromTheProfile) {
  const std::string m = ComposeEmail(
      Action(), {"collections@acme.example", "Acme Ltd", "ar@acme.example", "acme.example"},
      absl::FromUnixSeconds(1795176000));
  EXPECT_TRUE(absl::StrContains(m, "From: \"Acme Ltd\" <collections@acme.example>\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "To: sam@example.net\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "Reply-To: ar@acme.example\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "Message-ID: <o-sam-20261120-2.acme@acme.example>\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "Date: Fri, 20 Nov 2026 12:00:00 +0000\r\n"));
  // Non-ASCII subject as an RFC 2047 encoded word.
  EXPECT_TRUE(absl::StrContains(
      m, "Subject: =?UTF-8?B?" + absl::Base64Escape("Zahlungserinnerung: Rechnung S-1 überfällig") +
             "?="));
  EXPECT_TRUE(absl::StrContains(m, "Content-Type: multipart/alternative; boundary="));
  EXPECT_TRUE(absl::StrContains(m, "Content-Type: text/plain; charset=utf-8"));
  EXPECT_TRUE(absl::StrContains(m, "Content-Type: text/html; charset=utf-8"));
  EXPECT_TRUE(absl::EndsWith(m, "--\r\n"));
  // Every line within RFC 5322's 998 characters and CRLF-terminated.
  for (size_t pos = 0, nl; (nl = m.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    ASSERT_GT(nl, pos);
    EXPECT_EQ(m[nl - 1], '\r');
    EXPECT_LE(nl - pos, 998u);
  }
}

TEST(CourierMessage, HtmlEscapesTextAndLinksUrls) {
  const std::string html =
      TextToHtml("A <b> & c\nsecond line\n\nPay: https://pay.example/x?a=1&b=2.");
  EXPECT_TRUE(absl::StrContains(html, "<p>A &lt;b&gt; &amp; c<br>\nsecond line</p>"));
  EXPECT_TRUE(absl::StrContains(
      html,
      "<a href=\"https://pay.example/x?a=1&amp;b=2\">https://pay.example/x?a=1&amp;b=2</a>."));
}

TEST(CourierMessage, FindsThePaymentLinkOfTheTenantsTemplate) {
  const std::string text = Action().body();
  EXPECT_EQ(FindPaymentLink(text, "https://pay.acme.example/i/{{invoice_number}}?t={{token}}"),
            "https://pay.acme.example/i/S-1?t=abc");
  EXPECT_EQ(FindPaymentLink(text, "https://other.example/{{token}}"), "");
  EXPECT_EQ(FindPaymentLink(text, ""), "");
}

TEST(CourierMessage, WebhookJsonCarriesTheAction) {
  const std::string json = WebhookJson(Action(), "https://pay.acme.example/i/S-1?t=abc");
  EXPECT_TRUE(
      absl::StrContains(json, "\"action\":\"tenants/acme/outboxActions/o-sam-20261120-2\""));
  EXPECT_TRUE(absl::StrContains(json, "\"action_id\":\"o-sam-20261120-2\""));
  EXPECT_TRUE(absl::StrContains(json, "\"channel\":\"CHANNEL_EMAIL\""));
  EXPECT_TRUE(absl::StrContains(json, "\"text\":\"Dear Sam,\\n\\ninvoice S-1"));
  EXPECT_TRUE(absl::StrContains(json, "\"payment_link\":\"https://pay.acme.example/i/S-1?t=abc\""));
  EXPECT_FALSE(absl::StrContains(json, "pdf_base64"));
  EXPECT_TRUE(
      absl::StrContains(WebhookJson(Action(), "", "%PDF-1.5"), "\"pdf_base64\":\"JVBERi0xLjU=\""));
}

TEST(CourierMessage, LetterIsAPdfWithEveryLine) {
  v1::OutboxAction a = Action();
  std::string long_body;
  for (int i = 0; i < 120; ++i)
    long_body += "A line of the letter that goes on for a while, " + std::to_string(i) + "\n";
  a.set_body(long_body);
  auto pdf = RenderLetterPdf(a);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_TRUE(absl::StartsWith(*pdf, "%PDF-"));
  // 120 lines at ~15 pt on 247 mm of text height: three pages.
  size_t pages = 0;
  for (size_t pos = 0; (pos = pdf->find("/Type /Page", pos)) != std::string::npos; ++pos) {
    if (pdf->compare(pos, 12, "/Type /Pages") != 0) ++pages;  // not the page tree
  }
  EXPECT_EQ(pages, 3u);
}

TEST(SignedPayload, VerifiesSignatureAndWindow) {
  const absl::Time now = absl::FromUnixSeconds(1795176000);
  const std::string body = "{\"event_id\":\"evt_1\"}";
  const std::string sig = signing::SignPayload("s3cret-s3cret-s3cret", 1795176000, body);
  EXPECT_TRUE(absl::StartsWith(sig, "v1="));
  EXPECT_EQ(sig.size(), 3u + 64u);
  EXPECT_TRUE(signing::VerifySignedPayload("s3cret-s3cret-s3cret", "1795176000", sig, body, now,
                                           absl::Minutes(5))
                  .ok());
  // Rotation: an old and a new signature side by side.
  EXPECT_TRUE(signing::VerifySignedPayload("s3cret-s3cret-s3cret", "1795176000", "v1=00," + sig,
                                           body, now, absl::Minutes(5))
                  .ok());
  auto reason = [&](absl::string_view secret, absl::string_view ts, absl::string_view s,
                    absl::string_view b, absl::Time at) {
    return domain::ReasonOf(signing::VerifySignedPayload(secret, ts, s, b, at, absl::Minutes(5)));
  };
  EXPECT_EQ(reason("other-secret-other", "1795176000", sig, body, now), "SIGNATURE_INVALID");
  EXPECT_EQ(reason("s3cret-s3cret-s3cret", "1795176000", sig, body + " ", now),
            "SIGNATURE_INVALID");
  EXPECT_EQ(reason("s3cret-s3cret-s3cret", "1795176001", sig, body, now), "SIGNATURE_INVALID");
  EXPECT_EQ(reason("s3cret-s3cret-s3cret", "", sig, body, now), "SIGNATURE_MISSING");
  EXPECT_EQ(reason("s3cret-s3cret-s3cret", "1795176000", "", body, now), "SIGNATURE_MISSING");
  EXPECT_EQ(reason("s3cret-s3cret-s3cret", "1795176000", sig, body, now + absl::Minutes(6)),
            "TIMESTAMP_OUT_OF_WINDOW");
  EXPECT_EQ(reason("s3cret-s3cret-s3cret", "1795176000", sig, body, now - absl::Minutes(6)),
            "TIMESTAMP_OUT_OF_WINDOW");
}

TEST(CourierConfig, FileThenFlagsAndSecretsFromFiles) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/courier.conf") << "# example\ntenant = acme\nstate-dir = " << dir
                                       << "/state\nmail-from = collections@acme.example\n"
                                          "sms = skip\nsmtp-user = courier\nsmtp-password-file = "
                                       << dir << "/pw\nretry-initial = 2\n";
  std::ofstream(dir + "/pw") << "hunter2\n";
  std::string help;
  auto c = ParseCourierConfig(
      {"--config=" + dir + "/courier.conf", "--retry_initial=7", "--letter=skip"}, &help);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tenant, "acme");
  EXPECT_EQ(c->smtp.password, "hunter2");
  EXPECT_EQ(c->message_id_domain, "acme.example");
  EXPECT_EQ(c->retry_initial, absl::Seconds(7));  // the flag wins over the file
  EXPECT_EQ(c->sms, Route::kSkip);
  EXPECT_EQ(c->letter, Route::kSkip);

  EXPECT_FALSE(ParseCourierConfig({"--state_dir=/tmp/x"}, &help).ok());  // no tenant
  EXPECT_FALSE(ParseCourierConfig({"--tenant=acme", "--state_dir=/tmp/x", "--letter=skip",
                                   "--sms=skip", "--mail_from=nobody"},
                                  &help)
                   .ok());
  EXPECT_FALSE(
      ParseCourierConfig({"--tenant=acme", "--state_dir=/tmp/x", "--letter=skip", "--email=webhook",
                          "--sms=skip", "--webhook_url=https://hooks.example/x"},
                         &help)
          .ok());  // no secret
  EXPECT_FALSE(
      ParseCourierConfig({"--tenant=acme", "--state_dir=/tmp/x", "--email=folder"}, &help).ok());
}

}  // namespace
}  // namespace collections::courier
