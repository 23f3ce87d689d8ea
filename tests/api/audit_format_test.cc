// The audit log's stored form (collections_sidecar.v1.StoredEvent): the write path
// stores the changed resource as serialized messages and renders no JSON;
// the read path renders exactly the JSON the write path used to store; rows
// written before, which hold that JSON, read back unchanged. All through a
// real server and its SQLite file.
#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/stored_event.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "service/app/app_common.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr char kTenant[] = "tenants/acme";

// The raw events table of the server's database.
class RawEvents {
 public:
  explicit RawEvents(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawEvents() { sqlite3_close(db_); }

  // seq -> body, in order.
  std::map<int64_t, std::string> Bodies() {
    std::map<int64_t, std::string> out;
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(
        sqlite3_prepare_v2(db_, "SELECT seq, body FROM events WHERE tenant='acme' ORDER BY seq", -1,
                           &s, nullptr),
        SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
      out[sqlite3_column_int64(s, 0)] =
          std::string(static_cast<const char*>(sqlite3_column_blob(s, 1)),
                      static_cast<size_t>(sqlite3_column_bytes(s, 1)));
    }
    sqlite3_finalize(s);
    return out;
  }

  // Appends a row as a version before StoredEvent wrote it: the body is a
  // collections_sidecar.v1.Event with the JSON in before_json/after_json.
  void InsertOld(const v1::Event& e) { Insert(e.customer(), e.resource(), e.SerializeAsString()); }

  // Appends a row with `body` as it is.
  void Insert(const std::string& customer, const std::string& resource, const std::string& body) {
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_,
                                 "INSERT INTO events(tenant, customer, resource, body) "
                                 "VALUES ('acme', ?, ?, ?)",
                                 -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(s, 1, customer.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, resource.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 3, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
  }

 private:
  sqlite3* db_ = nullptr;
};

std::vector<v1::Event> ListAll(TestServer& srv) {
  grpc::ClientContext ctx;
  v1::ListEventsRequest req;
  req.set_parent(kTenant);
  req.set_page_size(1000);
  v1::ListEventsResponse resp;
  grpc::Status st = srv.audit().ListEvents(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return {resp.events().begin(), resp.events().end()};
}

// Every event after `after_sequence` that WatchEvents replays, up to `n`.
std::vector<v1::Event> Watch(TestServer& srv, int64_t after_sequence, int n) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::WatchEventsRequest req;
  req.set_parent(kTenant);
  req.set_after_sequence(after_sequence);
  auto reader = srv.audit().WatchEvents(&ctx, req);
  std::vector<v1::Event> out(n);
  for (auto& e : out) EXPECT_TRUE(reader->Read(&e));
  ctx.TryCancel();
  reader->Finish();
  return out;
}

// The JSON that AppendEvent stored before StoredEvent: app::ToJson of the
// message, here unpacked from what is stored now.
std::string WritePathJson(const google::protobuf::Any& packed) {
  std::string type = packed.type_url().substr(packed.type_url().rfind('/') + 1);
  const auto* desc =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
  EXPECT_NE(desc, nullptr) << type;
  if (desc == nullptr) return "";
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(desc)->New());
  EXPECT_TRUE(packed.UnpackTo(m.get()));
  return app::ToJson(*m);
}

TEST(AuditFormat, ReadsRenderTheJsonTheWritePathUsedToStore) {
  TestServer srv;
  // Events of every shape the ledger writes: created (after only), updated
  // (before and after, repeated and nested fields), status changes from an
  // allocation, and a void.
  v1::Customer c = MakeCustomer("C-1", "Ünïcode & \"quotes\"");
  auto* contact = c.add_contacts();
  contact->set_name("Accounts payable");
  auto* ch = contact->add_channels();
  ch->set_type(v1::ContactChannel::EMAIL);
  ch->set_address("ap@example.com");
  c.mutable_relationship()->add_tags("key-account");
  c.mutable_relationship()->add_tags("since-2019");
  *c.mutable_credit_limit() = M("EUR", 5000000);
  const std::string customer = SeedCustomer(srv, c);
  c.set_display_name("Renamed");
  SeedCustomer(srv, c);
  v1::Invoice inv = MakeInvoice("INV-1", D(2026, 10, 1), D(2026, 10, 31), "EUR", 12050);
  auto* line = inv.add_lines();
  line->set_description("Widgets, 3 × 40.17");
  *line->mutable_amount() = M("EUR", 12050);
  *inv.mutable_tax() = M("EUR", 2050);
  SeedInvoice(srv, customer, inv);
  SeedInvoice(srv, customer, MakeInvoice("INV-2", D(2026, 10, 2), D(2026, 11, 1), "EUR", 999));
  {
    grpc::ClientContext ctx;
    v1::RecordPaymentRequest req;
    req.set_parent(customer);
    *req.mutable_payment() = MakePayment("P-1", "EUR", 12050, D(2026, 11, 3));
    req.set_request_id("pay-1");
    v1::Payment out;
    ASSERT_TRUE(srv.ledger().RecordPayment(&ctx, req, &out).ok());
  }
  {
    grpc::ClientContext ctx;
    v1::VoidInvoiceRequest req;
    req.set_name(customer + "/invoices/INV-2");
    req.set_reason("issued twice");
    v1::Invoice out;
    ASSERT_TRUE(srv.ledger().VoidInvoice(&ctx, req, &out).ok());
  }

  RawEvents raw(srv.db_path());
  const std::map<int64_t, std::string> bodies = raw.Bodies();
  const std::vector<v1::Event> listed = ListAll(srv);
  ASSERT_EQ(listed.size(), bodies.size());
  ASSERT_GE(listed.size(), 7u);
  const std::vector<v1::Event> watched = Watch(srv, 0, static_cast<int>(listed.size()));
  int with_before = 0;
  for (size_t i = 0; i < listed.size(); ++i) {
    const v1::Event& e = listed[i];
    SCOPED_TRACE(e.type());
    v1::StoredEvent stored;
    ASSERT_TRUE(stored.ParseFromString(bodies.at(e.sequence())));
    // Nothing rendered on the write path.
    EXPECT_TRUE(stored.before_json().empty());
    EXPECT_TRUE(stored.after_json().empty());
    ASSERT_TRUE(stored.has_after());
    EXPECT_EQ(e.after_json(), WritePathJson(stored.after()));
    EXPECT_EQ(e.after_json().rfind("{\"name\":\"tenants/acme/", 0), 0u) << e.after_json();
    if (stored.has_before()) {
      ++with_before;
      EXPECT_EQ(e.before_json(), WritePathJson(stored.before()));
    } else {
      EXPECT_EQ(e.before_json(), "");
    }
    EXPECT_EQ(e.type(), stored.type());
    EXPECT_EQ(e.actor(), stored.actor());
    EXPECT_EQ(e.resource(), stored.resource());
    EXPECT_EQ(e.request_id(), stored.request_id());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(e.time(), stored.time()));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(e, watched[i]));
  }
  // customer.updated, payment's invoice.status_changed, invoice.voided.
  EXPECT_GE(with_before, 3);
}

TEST(AuditFormat, RowsWrittenAsJsonReadBackUnchanged) {
  TestServer srv;
  const std::string customer = SeedCustomer(srv, MakeCustomer("C-1", "One"));
  const std::vector<v1::Event> before_old = ListAll(srv);
  ASSERT_FALSE(before_old.empty());

  // As an older version stored it, JSON and all (including an ordering and
  // spacing that today's renderer would not produce: it must come back as
  // stored, not re-rendered).
  v1::Event old;
  *old.mutable_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(1795000000123456789);
  old.set_actor("token:ops sync:nightly-41");
  old.set_type("customer.updated");
  old.set_resource(customer);
  old.set_customer(customer);
  old.set_before_json(R"({"name":")" + customer + R"(","display_name":"One"})");
  old.set_after_json(R"({"display_name": "One Ltd", "name":")" + customer + R"("})");
  old.set_request_id("r-17");
  RawEvents raw(srv.db_path());
  raw.InsertOld(old);
  SeedCustomer(srv, MakeCustomer("C-2", "Two"));  // a new-format row after it

  const std::vector<v1::Event> listed = ListAll(srv);
  ASSERT_EQ(listed.size(), before_old.size() + 2);
  const v1::Event& got = listed[before_old.size()];
  v1::Event want = old;
  want.set_sequence(got.sequence());
  want.set_name("tenants/acme/events/" + std::to_string(got.sequence()));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got, want))
      << got.DebugString() << "\nwant\n"
      << want.DebugString();
  EXPECT_EQ(listed.back().type(), "customer.created");
  EXPECT_NE(listed.back().after_json().find("\"display_name\":\"Two\""), std::string::npos);

  const std::vector<v1::Event> watched = Watch(srv, before_old.back().sequence(), 2);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(watched[0], want));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(watched[1], listed.back()));
}

TEST(AuditFormat, AStoredStateThatDoesNotParseIsInternalNamingItsEvent) {
  TestServer srv;
  const std::string customer = SeedCustomer(srv, MakeCustomer("C-1", "One"));
  // A row whose after state claims to be a Customer but is cut short: field 1
  // declared 100 bytes long with one present. The printer alone would render
  // what it could of it.
  v1::StoredEvent bad;
  bad.mutable_after()->set_type_url("type.googleapis.com/collections_sidecar.v1.Customer");
  bad.mutable_after()->set_value(std::string("\x0a\x64x"));
  RawEvents raw(srv.db_path());
  raw.Insert(customer, customer, bad.SerializeAsString());
  const int64_t bad_sequence = raw.Bodies().rbegin()->first;
  SeedCustomer(srv, MakeCustomer("C-2", "Two"));  // a good row after it, same type

  // The client gets INTERNAL with an error id; the server's log line with
  // that id names the event and the type.
  grpc::ClientContext ctx;
  v1::ListEventsRequest req;
  req.set_parent(kTenant);
  v1::ListEventsResponse resp;
  ::testing::internal::CaptureStderr();
  grpc::Status st = srv.audit().ListEvents(&ctx, req, &resp);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  const size_t id_at = st.error_message().find("error id ");
  ASSERT_NE(id_at, std::string::npos) << st.error_message();
  const std::string id = st.error_message().substr(id_at + 9, 16);
  std::string line;
  for (absl::string_view l : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(l, id)) line = std::string(l);
  }
  EXPECT_NE(line.find("stored event " + std::to_string(bad_sequence) + " holds a "),
            std::string::npos)
      << log;
  EXPECT_NE(line.find("collections_sidecar.v1.Customer"), std::string::npos) << log;
}

}  // namespace
}  // namespace collections::testing
