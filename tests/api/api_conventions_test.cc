// The API's conventions that generic clients rely on, through a
// real server: errors as google.rpc.Status with ErrorInfo / BadRequest under
// their standard type URLs, a filled ErrorInfo.domain and a metadata entry
// naming the resource; page tokens bound to the parent and filters of the
// request that returned them.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"
#include "tests/api/test_server.h"

namespace collections::testing {
namespace {

constexpr char kErrorInfoUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";

// The details decoded the way any gRPC client does: the trailer as a
// google.rpc.Status, each detail unpacked by its type URL.
struct Details {
  google::rpc::Status status;
  google::rpc::ErrorInfo info;
  google::rpc::BadRequest bad;
  std::vector<std::string> type_urls;
};

Details Decode(const grpc::Status& st) {
  Details d;
  EXPECT_TRUE(d.status.ParseFromString(st.error_details()));
  for (const auto& any : d.status.details()) {
    d.type_urls.push_back(any.type_url());
    if (any.type_url() == kErrorInfoUrl) {
      EXPECT_TRUE(any.UnpackTo(&d.info));
    } else if (any.type_url() == kBadRequestUrl) {
      EXPECT_TRUE(any.UnpackTo(&d.bad));
    }
  }
  return d;
}

class ApiConventions : public ::testing::Test {
 protected:
  grpc::Status Upsert(const std::string& parent, const v1::Customer& c) {
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent(parent);
    *req.mutable_customer() = c;
    v1::Customer out;
    return srv_.ledger().UpsertCustomer(&ctx, req, &out);
  }
  grpc::Status ListCustomers(const v1::ListCustomersRequest& req, v1::ListCustomersResponse* out) {
    grpc::ClientContext ctx;
    return srv_.ledger().ListCustomers(&ctx, req, out);
  }
  grpc::Status ListInvoices(const v1::ListInvoicesRequest& req, v1::ListInvoicesResponse* out) {
    grpc::ClientContext ctx;
    return srv_.ledger().ListInvoices(&ctx, req, out);
  }
  grpc::Status ListEvents(const v1::ListEventsRequest& req, v1::ListEventsResponse* out) {
    grpc::ClientContext ctx;
    return srv_.audit().ListEvents(&ctx, req, out);
  }
  // Three customers of acme with one invoice each; returns their names.
  std::vector<std::string> SeedThree() {
    std::vector<std::string> names;
    for (const char* id : {"C-1", "C-2", "C-3"}) {
      names.push_back(SeedCustomer(srv_, MakeCustomer(id, std::string("Customer ") + id)));
      SeedInvoice(
          srv_, names.back(),
          MakeInvoice(std::string("INV-") + id, D(2026, 9, 1), D(2026, 10, 1), "EUR", 1000));
    }
    return names;
  }
  // INVALID_ARGUMENT naming page_token, with reason INVALID_PAGE_TOKEN.
  static void ExpectTokenRefused(const grpc::Status& st) {
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
    EXPECT_EQ(ReasonOf(st), "INVALID_PAGE_TOKEN");
    EXPECT_EQ(FieldOf(st), "page_token");
  }

  TestServer srv_;
};

TEST_F(ApiConventions, BadRequestTravelsAsStandardGoogleRpcDetails) {
  v1::Customer c = MakeCustomer("", "No external id");
  const grpc::Status st = Upsert("tenants/acme", c);
  ASSERT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const Details d = Decode(st);
  EXPECT_EQ(d.status.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(d.status.message(), st.error_message());
  EXPECT_EQ(d.type_urls, (std::vector<std::string>{kErrorInfoUrl, kBadRequestUrl}));
  EXPECT_FALSE(d.info.reason().empty());
  EXPECT_EQ(d.info.domain(), "collections-sidecar");
  EXPECT_EQ(d.info.metadata().at("resource"), "tenants/acme");
  ASSERT_EQ(d.bad.field_violations_size(), 1);
  EXPECT_NE(d.bad.field_violations(0).field().find("external_ref"), std::string::npos)
      << d.bad.field_violations(0).field();
}

TEST_F(ApiConventions, NotFoundNamesTheResourceAndKeepsItsReason) {
  grpc::ClientContext ctx;
  v1::GetCustomerRequest req;
  req.set_name("tenants/acme/customers/nobody");
  v1::Customer out;
  const grpc::Status st = srv_.ledger().GetCustomer(&ctx, req, &out);
  ASSERT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  const Details d = Decode(st);
  EXPECT_EQ(d.type_urls, (std::vector<std::string>{kErrorInfoUrl}));
  EXPECT_EQ(d.info.reason(), "CUSTOMER_NOT_FOUND");
  EXPECT_EQ(d.info.domain(), "collections-sidecar");
  EXPECT_EQ(d.info.metadata().at("resource"), "tenants/acme/customers/nobody");
}

TEST(StatusConvert, ErrorWithoutReasonGetsTheCodeNameOnTheWireOnly) {
  const grpc::Status st =
      grpc_status::ToGrpcStatus(absl::NotFoundError("gone"), "tenants/a/customers/b");
  google::rpc::Status s;
  ASSERT_TRUE(s.ParseFromString(st.error_details()));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(s.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "NOT_FOUND");
  const absl::Status back = grpc_status::FromGrpcStatus(st);
  EXPECT_EQ(domain::ReasonOf(back), "");
  EXPECT_EQ(domain::MetadataOf(back).at("resource"), "tenants/a/customers/b");
}

TEST(StatusConvert, RefusalsNameTheTenantOnly) {
  const grpc::Status a =
      grpc_status::ToGrpcStatus(absl::PermissionDeniedError("no"), "tenants/beta/customers/exists");
  const grpc::Status b = grpc_status::ToGrpcStatus(absl::PermissionDeniedError("no"),
                                                   "tenants/beta/customers/missing");
  EXPECT_EQ(a.error_details(), b.error_details());
  EXPECT_EQ(domain::MetadataOf(grpc_status::FromGrpcStatus(a)),
            (std::map<std::string, std::string>{{"tenant", "beta"}}));
}

TEST(StatusConvert, ReadsDetailsOfEarlierReleasesTypeUrls) {
  // Before the switch to google.rpc the same messages went out as
  // collections.v1.* and collections_sidecar.v1.*; a newer client still reads
  // an older server.
  for (const char* package : {"collections.v1", "collections_sidecar.v1"}) {
    SCOPED_TRACE(package);
    google::rpc::ErrorInfo info;
    info.set_reason("INVOICE_CURRENCY_MISMATCH");
    google::rpc::BadRequest bad;
    auto* v = bad.add_field_violations();
    v->set_field("invoice.total");
    v->set_description("not EUR");
    google::rpc::Status s;
    s.set_code(3);
    auto* a = s.add_details();
    a->set_type_url(std::string("type.googleapis.com/") + package + ".ErrorInfo");
    a->set_value(info.SerializeAsString());
    auto* b = s.add_details();
    b->set_type_url(std::string("type.googleapis.com/") + package + ".BadRequest");
    b->set_value(bad.SerializeAsString());
    const absl::Status out = grpc_status::FromGrpcStatus(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad", s.SerializeAsString()));
    EXPECT_EQ(domain::ReasonOf(out), "INVOICE_CURRENCY_MISMATCH");
    ASSERT_EQ(domain::FieldsOf(out).size(), 1u);
    EXPECT_EQ(domain::FieldsOf(out)[0].field, "invoice.total");
  }
}

TEST_F(ApiConventions, PageTokenPagesTheListItCameFrom) {
  const auto names = SeedThree();
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  req.set_page_size(1);
  std::vector<std::string> seen;
  do {
    v1::ListCustomersResponse page;
    ASSERT_TRUE(ListCustomers(req, &page).ok());
    for (const auto& c : page.customers()) seen.push_back(c.name());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> expected = names;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
}

TEST_F(ApiConventions, PageTokenOfAnotherParentIsRefused) {
  SeedThree();
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  req.set_page_size(1);
  v1::ListCustomersResponse page;
  ASSERT_TRUE(ListCustomers(req, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  v1::ListCustomersRequest other;
  other.set_parent("tenants/beta");
  other.set_page_size(1);
  other.set_page_token(page.next_page_token());
  v1::ListCustomersResponse out;
  ExpectTokenRefused(ListCustomers(other, &out));
  // A different page size is the same list.
  req.set_page_size(2);
  req.set_page_token(page.next_page_token());
  EXPECT_TRUE(ListCustomers(req, &out).ok());
}

TEST_F(ApiConventions, PageTokenOfOtherFiltersIsRefused) {
  const auto names = SeedThree();
  v1::ListInvoicesRequest req;
  req.set_parent("tenants/acme");
  req.set_page_size(1);
  req.set_currency_code("EUR");
  v1::ListInvoicesResponse page;
  ASSERT_TRUE(ListInvoices(req, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  req.set_page_token(page.next_page_token());
  req.set_currency_code("USD");
  ExpectTokenRefused(ListInvoices(req, &page));
  req.set_currency_code("");
  ExpectTokenRefused(ListInvoices(req, &page));

  v1::ListEventsRequest events;
  events.set_parent("tenants/acme");
  events.set_page_size(1);
  v1::ListEventsResponse first;
  ASSERT_TRUE(ListEvents(events, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  events.set_page_token(first.next_page_token());
  events.set_customer(names[0]);
  v1::ListEventsResponse out;
  ExpectTokenRefused(ListEvents(events, &out));
}

TEST_F(ApiConventions, AlteredOrForeignPageTokensAreRefused) {
  SeedThree();
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  req.set_page_size(1);
  v1::ListCustomersResponse page;
  ASSERT_TRUE(ListCustomers(req, &page).ok());
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(page.next_page_token(), &raw));
  std::string altered = raw;
  altered[altered.size() / 2] ^= 1;
  v1::ListCustomersResponse out;
  for (const std::string& token :
       {absl::WebSafeBase64Escape(altered), absl::WebSafeBase64Escape("k1:C-1"),
        std::string("not base64 at all!"), page.next_page_token().substr(2)}) {
    SCOPED_TRACE(token);
    req.set_page_token(token);
    ExpectTokenRefused(ListCustomers(req, &out));
  }
}

}  // namespace
}  // namespace collections::testing
