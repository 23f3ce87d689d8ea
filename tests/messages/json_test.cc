// service/messages/json: proto JSON equal to protobuf's own printer (proto
// field names), for single messages, serialized messages and lists.
#include "service/messages/json.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "collections_sidecar/v1/arrangements.pb.h"
#include "collections_sidecar/v1/audit.pb.h"
#include "collections_sidecar/v1/ledger.pb.h"

namespace collections::messages {
namespace {

namespace v1 = ::collections_sidecar::v1;

std::string Reference(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out, opts).ok());
  return out;
}

std::string JoinedReference(const std::vector<const google::protobuf::Message*>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    out += Reference(*items[i]);
  }
  return out + "]";
}

v1::Invoice AnInvoice(int i) {
  v1::Invoice inv;
  inv.set_name("tenants/acme/invoices/INV-" + std::to_string(i));
  inv.set_number("INV-\"" + std::to_string(i) + "\"\n\xc3\xa9");  // quotes, newline, é
  inv.mutable_issue_date()->set_year(2026);
  inv.mutable_issue_date()->set_month(1 + i % 12);
  inv.mutable_issue_date()->set_day(2);
  inv.set_currency_code("EUR");
  inv.mutable_total()->set_currency_code("EUR");
  inv.mutable_total()->set_minor_units(9'007'199'254'740'993LL + i);  // past 2^53
  for (int l = 0; l < i % 3; ++l) {
    v1::InvoiceLine* line = inv.add_lines();
    line->set_description("line " + std::to_string(l));
    line->set_quantity_milli(-2500);
  }
  inv.set_status(i % 2 == 0 ? v1::Invoice::OPEN : static_cast<v1::Invoice::Status>(77));
  return inv;
}

v1::Event AnEvent(int i) {
  v1::Event e;
  e.set_name("tenants/acme/events/" + std::to_string(i));
  e.set_sequence(i);
  e.mutable_time()->set_seconds(1'795'176'000 + i);
  e.mutable_time()->set_nanos(i * 1000);
  e.set_type("invoice.upserted");
  e.set_after_json(Reference(AnInvoice(i)));  // JSON inside a string: escaped
  return e;
}

TEST(MessageJson, EqualsProtobufsPrinter) {
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(MessageJson(AnInvoice(i)), Reference(AnInvoice(i)));
    EXPECT_EQ(MessageJson(AnEvent(i)), Reference(AnEvent(i)));
  }
  v1::Arrangement a;
  a.mutable_promise()->set_status(v1::PromiseToPay::KEPT);
  EXPECT_EQ(MessageJson(a), Reference(a));
  EXPECT_EQ(MessageJson(v1::Customer()), "{}");
}

TEST(MessageJson, LowerCamelNamesEqualProtobufsPrinter) {
  google::protobuf::util::JsonPrintOptions opts;
  std::string want;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(AnInvoice(3), &want, opts).ok());
  EXPECT_EQ(MessageJson(AnInvoice(3), JsonNames::kLowerCamel), want);
  EXPECT_NE(want.find("\"issueDate\""), std::string::npos);
  // The proto-name types and the camel-case ones share one cache.
  EXPECT_EQ(MessageJson(AnInvoice(3)), Reference(AnInvoice(3)));
}

TEST(SerializedJson, RendersTheBytesOfANamedTypeAndRejectsWhatItCannot) {
  const v1::Invoice inv = AnInvoice(4);
  auto json =
      SerializedJson("type.googleapis.com/collections_sidecar.v1.Invoice", inv.SerializeAsString());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, Reference(inv));

  auto unknown = SerializedJson("type.googleapis.com/collections_sidecar.v1.NoSuchThing", "");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("NoSuchThing"), std::string::npos);
  // Field 1 (name) declared 100 bytes long with 1 byte present.
  auto truncated = SerializedJson("type.googleapis.com/collections_sidecar.v1.Invoice",
                                  std::string("\x0a\x64x"));
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SerializedJsonEach, EqualsEachItemAloneAndNamesTheItemThatDoesNotParse) {
  // Strings holding what delimits array items: the split must not cut them.
  std::vector<v1::Invoice> invoices;
  for (int i = 0; i < 5; ++i) invoices.push_back(AnInvoice(i));
  invoices[1].set_payment_reference("],[{\"x\\\":1},\\");
  invoices[3].set_number("{\"a\":[1,2]}");
  std::vector<std::string> bytes;
  for (const auto& inv : invoices) bytes.push_back(inv.SerializeAsString());
  const std::vector<absl::string_view> views(bytes.begin(), bytes.end());
  const std::string url = "type.googleapis.com/collections_sidecar.v1.Invoice";
  auto each = SerializedJsonEach(url, views);
  ASSERT_TRUE(each.ok()) << each.status();
  ASSERT_EQ(each->size(), invoices.size());
  for (size_t i = 0; i < invoices.size(); ++i) EXPECT_EQ((*each)[i], Reference(invoices[i])) << i;

  auto none = SerializedJsonEach(url, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  const std::vector<absl::string_view> with_bad = {views[0], "\x0a\x64x", views[2]};
  auto bad = SerializedJsonEach(url, with_bad);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("item 1"), std::string::npos) << bad.status();
}

TEST(ArrayJson, EqualsEachItemJoined) {
  for (int n : {0, 1, 2, 7}) {
    std::vector<v1::Invoice> invoices;
    std::vector<v1::Event> events;
    std::vector<const google::protobuf::Message*> inv_ptrs, ev_ptrs;
    for (int i = 0; i < n; ++i) {
      invoices.push_back(AnInvoice(i));
      events.push_back(AnEvent(i));
    }
    for (const auto& m : invoices) inv_ptrs.push_back(&m);
    for (const auto& m : events) ev_ptrs.push_back(&m);
    EXPECT_EQ(ArrayJson(invoices), JoinedReference(inv_ptrs)) << n;
    EXPECT_EQ(ArrayJson(events), JoinedReference(ev_ptrs)) << n;
  }
  // Empty messages render as {} inside the array, as they do alone.
  EXPECT_EQ(ArrayJson(std::vector<v1::Customer>(2)), "[{},{}]");
}

TEST(ArrayJson, MixedTypesStillRenderEachItem) {
  const v1::Invoice inv = AnInvoice(1);
  const v1::Event ev = AnEvent(2);
  const std::vector<const google::protobuf::Message*> items = {&inv, &ev};
  EXPECT_EQ(ArrayJson(absl::MakeConstSpan(items)), JoinedReference(items));
  EXPECT_EQ(EachJson(absl::MakeConstSpan(items)),
            (std::vector<std::string>{Reference(inv), Reference(ev)}));
}

TEST(EachJson, EqualsEachItemAlone) {
  std::vector<v1::Arrangement> arrangements(4);
  arrangements[0].mutable_promise()->set_status(v1::PromiseToPay::KEPT);
  arrangements[1].mutable_dispute()->set_description("\"goods, not [received]\"");
  arrangements[3].mutable_promise()->mutable_amount()->set_minor_units(-5);
  const std::vector<std::string> each = EachJson(arrangements);
  ASSERT_EQ(each.size(), arrangements.size());
  for (size_t i = 0; i < each.size(); ++i) EXPECT_EQ(each[i], Reference(arrangements[i])) << i;
  EXPECT_TRUE(EachJson(std::vector<v1::Arrangement>()).empty());
}

TEST(ObjectJson, EqualsEachMemberRenderedAloneInItsOrder) {
  std::vector<v1::Invoice> invoices;
  for (int i = 0; i < 3; ++i) invoices.push_back(AnInvoice(i));
  invoices[2].set_number("\"a\":[1,{\"b\":2}],");  // delimiters inside a string
  std::vector<v1::Event> events = {AnEvent(1), AnEvent(2)};
  std::vector<v1::Invoice> more = {AnInvoice(7)};
  v1::Arrangement promise;
  promise.mutable_promise()->set_status(v1::PromiseToPay::KEPT);
  const v1::Invoice inv = AnInvoice(9);
  const v1::Event ev = AnEvent(3);
  const std::vector<const google::protobuf::Message*> mixed = {&inv, &ev};

  ObjectJson object;
  object.Message("customer", promise)
      .Raw("asOf", "\"2026-12-04\"")
      .Array("invoices", invoices)
      .Array("payments", std::vector<v1::Event>())
      .Message("empty", v1::Customer())
      .Array("mixed", absl::MakeConstSpan(mixed))
      .Array("events", events)
      .Array("moreInvoices", more)  // a type already used by another member
      .Message("odd \"name\"", inv);
  std::vector<const google::protobuf::Message*> inv_ptrs, ev_ptrs;
  for (const auto& m : invoices) inv_ptrs.push_back(&m);
  for (const auto& m : events) ev_ptrs.push_back(&m);
  const std::string want = "{\"customer\":" + Reference(promise) +
                           ",\"asOf\":\"2026-12-04\",\"invoices\":" + JoinedReference(inv_ptrs) +
                           ",\"payments\":[],\"empty\":{},\"mixed\":" + JoinedReference(mixed) +
                           ",\"events\":" + JoinedReference(ev_ptrs) + ",\"moreInvoices\":[" +
                           Reference(more[0]) + "],\"odd \\\"name\\\"\":" + Reference(inv) + "}";
  EXPECT_EQ(object.Render(), want);
  // Rendering again (the object's type is cached now) gives the same text.
  EXPECT_EQ(object.Render(), want);

  EXPECT_EQ(ObjectJson().Render(), "{}");
  EXPECT_EQ(ObjectJson().Raw("a", "1").Array("b", std::vector<v1::Invoice>()).Render(),
            "{\"a\":1,\"b\":[]}");
}

TEST(MessageJson, IsThreadSafe) {
  std::vector<std::thread> threads;
  std::vector<std::string> got(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &got] {
      std::vector<v1::Invoice> invoices;
      for (int i = 0; i < 20; ++i) invoices.push_back(AnInvoice(t + i));
      for (int r = 0; r < 20; ++r) got[t] = ArrayJson(invoices) + MessageJson(AnEvent(t));
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) {
    std::vector<v1::Invoice> invoices;
    std::vector<const google::protobuf::Message*> ptrs;
    for (int i = 0; i < 20; ++i) invoices.push_back(AnInvoice(t + i));
    for (const auto& m : invoices) ptrs.push_back(&m);
    EXPECT_EQ(got[t], JoinedReference(ptrs) + Reference(AnEvent(t)));
  }
}

}  // namespace
}  // namespace collections::messages
