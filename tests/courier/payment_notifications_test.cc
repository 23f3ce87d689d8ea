// POST /v1/tenants/{t}/paymentNotifications on a real collectionsd (Server +
// Production, SQLite, HTTP on 127.0.0.1:0): the happy path changes the
// balance; a bad signature, a replay outside the window, an unknown invoice
// and a malformed body are refused with a JSON error and write nothing; a
// redelivery changes nothing.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/signing/signed_payload.h"
#include "tests/api/prod_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr char kSecret[] = "acme-notification-secret-0123456789";

class PaymentNotifications : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(srv_.dir().File("secrets").c_str(), 0700);
    srv_.dir().Write("secrets/acme", std::string(kSecret) + "\n");
    srv_.production_options().http_listen = "127.0.0.1:0";
    srv_.production_options().payment_notification_secrets = srv_.dir().File("secrets");
    ASSERT_TRUE(srv_.Start().ok());
    ledger_ = v1::LedgerService::NewStub(srv_.channel());
    customer_ = Upsert(MakeCustomer("sam", "Sam Lee"));
    AddInvoice(MakeInvoice("INV-1", D(2026, 10, 1), D(2026, 10, 31), "EUR", 10000));
    v1::Invoice referenced = MakeInvoice("INV-2", D(2026, 10, 1), D(2026, 10, 31), "EUR", 5000);
    referenced.set_payment_reference("RF18 5390 0754 7034");
    AddInvoice(referenced);
  }

  std::string Upsert(const v1::Customer& c) {
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/acme");
    *req.mutable_customer() = c;
    v1::Customer out;
    EXPECT_TRUE(ledger_->UpsertCustomer(&ctx, req, &out).ok());
    return out.name();
  }
  void AddInvoice(const v1::Invoice& inv) {
    grpc::ClientContext ctx;
    v1::UpsertInvoiceRequest req;
    req.set_parent(customer_);
    *req.mutable_invoice() = inv;
    v1::Invoice out;
    ASSERT_TRUE(ledger_->UpsertInvoice(&ctx, req, &out).ok());
  }
  int64_t AmountDue(const std::string& number) {
    grpc::ClientContext ctx;
    v1::ListInvoicesRequest req;
    req.set_parent(customer_);
    v1::ListInvoicesResponse out;
    EXPECT_TRUE(ledger_->ListInvoices(&ctx, req, &out).ok());
    for (const auto& i : out.invoices()) {
      if (i.number() == number) return i.amount_due().minor_units();
    }
    return -1;
  }
  int Payments() {
    grpc::ClientContext ctx;
    v1::ListPaymentsRequest req;
    req.set_parent(customer_);
    v1::ListPaymentsResponse out;
    EXPECT_TRUE(ledger_->ListPayments(&ctx, req, &out).ok());
    return out.payments_size();
  }

  static std::string Body(const std::string& event, const std::string& invoice, int64_t amount) {
    return absl::StrCat("{\"event_id\":\"", event, "\",\"invoice\":\"", invoice,
                        "\",\"amount_minor\":", amount,
                        ",\"currency\":\"EUR\",\"paid_at\":\"2026-11-20T10:15:00Z\","
                        "\"payer\":\"Sam Lee\",\"provider_extra\":{\"ignored\":true}}");
  }
  // POSTs `body` signed at `signed_at` (default: the server's clock) with
  // `secret`.
  httplib::Result Post(const std::string& body, const std::string& tenant = "acme",
                       std::optional<absl::Time> signed_at = std::nullopt,
                       const std::string& secret = kSecret) {
    const int64_t ts = absl::ToUnixSeconds(signed_at.value_or(kNow));
    httplib::Client cli("127.0.0.1", srv_.production().http_port());
    httplib::Headers h = {{signing::kTimestampHeader, std::to_string(ts)},
                          {signing::kSignatureHeader, signing::SignPayload(secret, ts, body)}};
    return cli.Post(absl::StrCat("/v1/tenants/", tenant, "/paymentNotifications"), h, body,
                    "application/json");
  }

  const absl::Time kNow =
      absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12, 0, 0), absl::UTCTimeZone());
  ProdServer srv_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::string customer_;
};

TEST_F(PaymentNotifications, HappyPathRecordsThePaymentAndRedeliveryChangesNothing) {
  auto r = Post(Body("evt_1", "INV-1", 4000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "\"invoice\":\"tenants/acme/customers/")) << r->body;
  EXPECT_EQ(AmountDue("INV-1"), 6000);
  EXPECT_EQ(Payments(), 1);

  auto again = Post(Body("evt_1", "INV-1", 4000));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(again->body, r->body);
  EXPECT_EQ(AmountDue("INV-1"), 6000);
  EXPECT_EQ(Payments(), 1);

  // More than is due: the invoice is paid, the rest is the customer's credit.
  auto over = Post(Body("evt_2", "INV-1", 7000));
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 200) << over->body;
  EXPECT_TRUE(absl::StrContains(over->body, "\"unapplied_minor\":1000")) << over->body;
  EXPECT_EQ(AmountDue("INV-1"), 0);
}

TEST_F(PaymentNotifications, PaymentReferenceFindsTheInvoice) {
  auto r = Post(Body("evt_ref", "rf18539007547034", 5000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(AmountDue("INV-2"), 0);
  EXPECT_EQ(AmountDue("INV-1"), 10000);
}

TEST_F(PaymentNotifications, BadSignatureIsRefusedAndWritesNothing) {
  auto r =
      Post(Body("evt_bad", "INV-1", 4000), "acme", std::nullopt, "not-the-tenant-secret-at-all");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(absl::StrContains(r->body, "\"code\":\"SIGNATURE_INVALID\"")) << r->body;
  EXPECT_FALSE(absl::StrContains(r->body, kSecret));

  // Unsigned.
  httplib::Client cli("127.0.0.1", srv_.production().http_port());
  auto unsigned_post = cli.Post("/v1/tenants/acme/paymentNotifications",
                                Body("evt_bad", "INV-1", 4000), "application/json");
  ASSERT_TRUE(unsigned_post);
  EXPECT_EQ(unsigned_post->status, 401);
  EXPECT_TRUE(absl::StrContains(unsigned_post->body, "SIGNATURE_MISSING")) << unsigned_post->body;

  // A tenant without a secret answers as a bad signature would.
  auto other = Post(Body("evt_bad", "INV-1", 4000), "beta");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 401);
  EXPECT_TRUE(absl::StrContains(other->body, "SIGNATURE_INVALID")) << other->body;

  EXPECT_EQ(AmountDue("INV-1"), 10000);
  EXPECT_EQ(Payments(), 0);
}

TEST_F(PaymentNotifications, ReplayOutsideTheWindowIsRefused) {
  auto old = Post(Body("evt_old", "INV-1", 4000), "acme", kNow - absl::Minutes(6));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 401);
  EXPECT_TRUE(absl::StrContains(old->body, "\"code\":\"TIMESTAMP_OUT_OF_WINDOW\"")) << old->body;
  auto future = Post(Body("evt_old", "INV-1", 4000), "acme", kNow + absl::Minutes(6));
  ASSERT_TRUE(future);
  EXPECT_EQ(future->status, 401);
  // Within the window it is accepted.
  auto fresh = Post(Body("evt_old", "INV-1", 4000), "acme", kNow - absl::Minutes(4));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200) << fresh->body;
  EXPECT_EQ(Payments(), 1);
}

TEST_F(PaymentNotifications, UnknownInvoiceAndBadBodiesAreRefused) {
  auto unknown = Post(Body("evt_x", "INV-404", 4000));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 422);
  EXPECT_TRUE(absl::StrContains(unknown->body, "\"code\":\"INVOICE_NOT_FOUND\"")) << unknown->body;

  auto not_json = Post("this is not json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  EXPECT_TRUE(absl::StrContains(not_json->body, "NOTIFICATION_INVALID")) << not_json->body;

  auto negative = Post(Body("evt_neg", "INV-1", -5));
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->status, 400);
  EXPECT_TRUE(absl::StrContains(negative->body, "\"field\":\"amount_minor\"")) << negative->body;

  auto wrong_ccy =
      Post(absl::StrCat("{\"event_id\":\"evt_c\",\"invoice\":\"INV-1\",\"amount_minor\":5,",
                        "\"currency\":\"XXQ\",\"paid_at\":\"2026-11-20T10:00:00Z\"}"));
  ASSERT_TRUE(wrong_ccy);
  EXPECT_EQ(wrong_ccy->status, 400);
  EXPECT_TRUE(absl::StrContains(wrong_ccy->body, "\"field\":\"currency\"")) << wrong_ccy->body;

  EXPECT_EQ(AmountDue("INV-1"), 10000);
  EXPECT_EQ(Payments(), 0);
}

}  // namespace
}  // namespace collections::testing
