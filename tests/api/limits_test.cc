// Limits: message size, deadlines honoured by queued work,
// a full worker queue answered at once with RESOURCE_EXHAUSTED and RetryInfo
// while the health service keeps answering, per-tenant queue shares served
// round-robin, bounded WatchEvents streams, and per-tenant rate limits with
// RetryInfo that recover after the advised delay.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <chrono>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "service/api/worker_pool.h"
#include "service/auth/rate_limiter.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"
#include "service/store/store_wrapper.h"
#include "tests/api/prod_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

int CustomerCount(v1::LedgerService::Stub& stub, const std::string& token = "") {
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  v1::ListCustomersResponse out;
  grpc::Status st = stub.ListCustomers(Ctx(token).get(), req, &out);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return out.customers_size();
}

// A store whose transactions for tenant "slow" wait until release_.
class GateStore : public store::StoreWrapper {
 public:
  explicit GateStore(std::unique_ptr<store::Store> inner) : StoreWrapper(std::move(inner)) {}
  absl::Status Run(absl::string_view tenant, store::TxMode mode,
                   const std::function<absl::Status(store::Transaction&)>& fn) override {
    if (tenant == "slow") {
      if (!entered_.HasBeenNotified()) entered_.Notify();
      release_.WaitForNotification();
    }
    return StoreWrapper::Run(tenant, mode, fn);
  }

  absl::Notification entered_;
  absl::Notification release_;
};

// Options for a one-worker server over a GateStore on `dir`; *gate is set
// when the server opens its store.
server::ServerOptions GatedOptions(const TempDir& dir, GateStore** gate) {
  server::ServerOptions opts;
  opts.listen = "";
  opts.log_requests = false;
  opts.workers = 1;
  opts.open_store = [&dir, gate]() -> absl::StatusOr<std::unique_ptr<store::Store>> {
    auto inner = store::OpenStore("sqlite:" + dir.File("ledger.db"));
    if (!inner.ok()) return inner.status();
    auto g = std::make_unique<GateStore>(*std::move(inner));
    *gate = g.get();
    return g;
  };
  return opts;
}

TEST(Limits, OversizedMessageIsRefusedAndWritesNothing) {
  TempDir dir;
  server::ServerOptions opts;
  opts.listen = "";
  opts.store_uri = "sqlite:" + dir.File("ledger.db");
  opts.log_requests = false;
  opts.max_message_bytes = 64 << 10;
  auto srv = server::Server::Start(opts);
  ASSERT_TRUE(srv.ok()) << srv.status();
  auto stub = v1::LedgerService::NewStub((*srv)->InProcessChannel());
  v1::UpsertCustomerRequest req;
  req.set_parent("tenants/acme");
  *req.mutable_customer() = MakeCustomer("C-1", std::string(100 << 10, 'x'));
  v1::Customer out;
  grpc::Status st = stub->UpsertCustomer(Ctx("").get(), req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_EQ(CustomerCount(*stub), 0);
  // Just under the limit passes the transport (and fails validation, 200 chars).
  req.mutable_customer()->set_display_name(std::string(60 << 10, 'x'));
  st = stub->UpsertCustomer(Ctx("").get(), req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CustomerCount(*stub), 0);
}

TEST(Limits, FullQueueAnswersAtOnceDeadlinesAreHonouredHealthStillAnswers) {
  TempDir dir;
  GateStore* gate = nullptr;
  server::ServerOptions opts = GatedOptions(dir, &gate);
  opts.max_queue = 1;
  auto srv = server::Server::Start(opts);
  ASSERT_TRUE(srv.ok()) << srv.status();
  auto channel = (*srv)->InProcessChannel();
  auto stub = v1::LedgerService::NewStub(channel);

  // A: occupies the only worker inside a "slow" transaction.
  grpc::ClientContext a_ctx;
  v1::GetCustomerRequest a_req;
  a_req.set_name("tenants/slow/customers/x");
  v1::Customer a_out;
  absl::Notification a_done;
  stub->async()->GetCustomer(&a_ctx, &a_req, &a_out, [&](grpc::Status) { a_done.Notify(); });
  gate->entered_.WaitForNotification();

  // B: a write with a short deadline, queued behind A.
  grpc::ClientContext b_ctx;
  b_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  v1::UpsertCustomerRequest b_req;
  b_req.set_parent("tenants/acme");
  *b_req.mutable_customer() = MakeCustomer("C-late", "Too late");
  v1::Customer b_out;
  grpc::Status b_status;
  absl::Notification b_done;
  stub->async()->UpsertCustomer(&b_ctx, &b_req, &b_out, [&](grpc::Status st) {
    b_status = st;
    b_done.Notify();
  });
  for (int i = 0; i < 500 && (*srv)->QueueDepth() < 1; ++i) absl::SleepFor(absl::Milliseconds(2));
  ASSERT_EQ((*srv)->QueueDepth(), 1);

  // C: the queue is full: refused at once, not after waiting.
  const absl::Time start = absl::Now();
  v1::GetCustomerRequest c_req;
  c_req.set_name("tenants/acme/customers/x");
  v1::Customer c_out;
  grpc::Status c = stub->GetCustomer(Ctx("").get(), c_req, &c_out);
  EXPECT_EQ(c.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  // Health is answered by gRPC itself, not the worker pool.
  EXPECT_EQ(HealthCheck(channel), "SERVING");

  // B's deadline passes while it waits: the client sees DEADLINE_EXCEEDED...
  b_done.WaitForNotification();
  EXPECT_EQ(b_status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  gate->release_.Notify();
  a_done.WaitForNotification();
  // The worker takes B next; wait until it has left the queue (the queue
  // holds one call, so the list below would otherwise be refused).
  for (int i = 0; i < 500 && (*srv)->QueueDepth() > 0; ++i) absl::SleepFor(absl::Milliseconds(2));
  // ...and the queued work, run after A, sees the passed deadline and writes
  // nothing (this list runs after B on the single worker).
  EXPECT_EQ(CustomerCount(*stub), 0);
}

// A queue-full answer carries RetryInfo like a rate
// limit does, and one tenant's burst fills only its own share of the queue.
TEST(Limits, QueueFullAnswersCarryRetryInfoAndOneTenantCannotFillTheQueue) {
  TempDir dir;
  GateStore* gate = nullptr;
  server::ServerOptions opts = GatedOptions(dir, &gate);
  opts.max_queue = 8;
  opts.max_queue_per_tenant = 2;
  auto srv = server::Server::Start(opts);
  ASSERT_TRUE(srv.ok()) << srv.status();
  auto stub = v1::LedgerService::NewStub((*srv)->InProcessChannel());

  // Tenant "slow" holds the only worker and then fills its two queue slots.
  struct Call {
    grpc::ClientContext ctx;
    v1::GetCustomerRequest req;
    v1::Customer out;
    grpc::Status status;
    absl::Notification done;
  };
  std::vector<std::unique_ptr<Call>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::make_unique<Call>());
    Call* c = slow.back().get();
    c->req.set_name("tenants/slow/customers/x");
    stub->async()->GetCustomer(&c->ctx, &c->req, &c->out, [c](grpc::Status st) {
      c->status = st;
      c->done.Notify();
    });
    if (i == 0) gate->entered_.WaitForNotification();
  }
  for (int i = 0; i < 500 && (*srv)->QueueDepth() < 2; ++i) absl::SleepFor(absl::Milliseconds(2));
  ASSERT_EQ((*srv)->QueueDepth(), 2);

  // A fourth "slow" call is refused at once, with a reason and a delay.
  v1::GetCustomerRequest more;
  more.set_name("tenants/slow/customers/y");
  v1::Customer out;
  grpc::Status refused = stub->GetCustomer(Ctx("").get(), more, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  absl::Status detail = grpc_status::FromGrpcStatus(refused);
  EXPECT_EQ(domain::ReasonOf(detail), "TENANT_QUEUE_FULL");
  EXPECT_GT(domain::RetryDelayOf(detail), absl::ZeroDuration());

  // Another tenant's call still gets a place in the queue and is answered.
  Call other;
  other.req.set_name("tenants/acme/customers/x");
  stub->async()->GetCustomer(&other.ctx, &other.req, &other.out, [&other](grpc::Status st) {
    other.status = st;
    other.done.Notify();
  });
  for (int i = 0; i < 500 && (*srv)->QueueDepth() < 3; ++i) absl::SleepFor(absl::Milliseconds(2));
  EXPECT_EQ((*srv)->QueueDepth(), 3);
  gate->release_.Notify();
  other.done.WaitForNotification();
  EXPECT_EQ(other.status.error_code(), grpc::StatusCode::NOT_FOUND) << other.status.error_message();
  for (auto& c : slow) c->done.WaitForNotification();

  // With the whole queue full, the answer carries a retry delay too.
  EXPECT_EQ(domain::ReasonOf(grpc_status::FromGrpcStatus(grpc_status::ToGrpcStatus(
                api::OverloadStatus(api::WorkerPool::Refusal::kQueueFull, "acme")))),
            "SERVER_OVERLOADED");
}

TEST(WorkerPool, TakesQueuedWorkRoundRobinAcrossTenants) {
  api::WorkerPool pool(1, 16, 4);
  absl::Notification gate;
  absl::Mutex mu;
  std::vector<std::string> order;
  ASSERT_TRUE(pool.Submit([&] { gate.WaitForNotification(); }, "a"));
  absl::SleepFor(absl::Milliseconds(50));  // the worker holds the gate
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.Submit(
        [&, i] {
          absl::MutexLock l(&mu);
          order.push_back(absl::StrCat("a", i));
        },
        "a"));
  }
  ASSERT_TRUE(pool.Submit(
      [&] {
        absl::MutexLock l(&mu);
        order.push_back("b0");
      },
      "b"));
  api::WorkerPool::Refusal why = api::WorkerPool::Refusal::kNone;
  EXPECT_TRUE(pool.Submit([] {}, "a", &why));  // a's 4th queued call
  EXPECT_FALSE(pool.Submit([] {}, "a", &why));
  EXPECT_EQ(why, api::WorkerPool::Refusal::kKeyQueueFull);
  gate.Notify();
  for (int i = 0; i < 500 && pool.QueueDepth() > 0; ++i) absl::SleepFor(absl::Milliseconds(2));
  absl::SleepFor(absl::Milliseconds(20));
  absl::MutexLock l(&mu);
  // b's call runs second, not behind all of a's.
  ASSERT_GE(order.size(), 2u);
  EXPECT_EQ(order[0], "a0");
  EXPECT_EQ(order[1], "b0");
}

TEST(Limits, WatchStreamsAreBoundedAndFreedWhenClientsLeave) {
  TempDir dir;
  server::ServerOptions opts;
  opts.listen = "";
  opts.store_uri = "sqlite:" + dir.File("ledger.db");
  opts.log_requests = false;
  opts.max_streams = 1;
  auto srv = server::Server::Start(opts);
  ASSERT_TRUE(srv.ok()) << srv.status();
  auto channel = (*srv)->InProcessChannel();
  auto ledger = v1::LedgerService::NewStub(channel);
  auto audit = v1::AuditService::NewStub(channel);
  v1::UpsertCustomerRequest up;
  up.set_parent("tenants/acme");
  *up.mutable_customer() = MakeCustomer("C-1", "Northwind");
  v1::Customer c;
  ASSERT_TRUE(ledger->UpsertCustomer(Ctx("").get(), up, &c).ok());

  v1::WatchEventsRequest req;
  req.set_parent("tenants/acme");
  grpc::ClientContext first;
  first.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto first_reader = audit->WatchEvents(&first, req);
  v1::Event ev;
  ASSERT_TRUE(first_reader->Read(&ev));  // the first stream is being served

  auto second_ctx = Ctx("");
  auto second = audit->WatchEvents(second_ctx.get(), req);
  EXPECT_FALSE(second->Read(&ev));
  EXPECT_EQ(second->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  first.TryCancel();
  EXPECT_EQ(first_reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The slot is released when the server side of the first stream is done.
  bool accepted = false;
  for (int i = 0; i < 100 && !accepted; ++i) {
    grpc::ClientContext again;
    again.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto reader = audit->WatchEvents(&again, req);
    accepted = reader->Read(&ev);
    again.TryCancel();
    reader->Finish().IgnoreError();
    if (!accepted) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(accepted);
}

TEST(RateLimiter, RefillsAtTheRateUpToTheBurstPerTenant) {
  absl::Time now = absl::FromUnixSeconds(1000);
  auth::RateLimiter limiter(2, 3, [&] { return now; });  // 2/s, burst 3
  EXPECT_TRUE(limiter.Acquire("acme").ok());
  EXPECT_TRUE(limiter.Acquire("acme").ok());
  EXPECT_TRUE(limiter.Acquire("acme").ok());
  absl::Status st = limiter.Acquire("acme");
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(domain::ReasonOf(st), "RATE_LIMITED");
  EXPECT_EQ(domain::RetryDelayOf(st), absl::Milliseconds(500));
  EXPECT_TRUE(limiter.Acquire("beta").ok());  // another tenant's bucket is full
  now += absl::Milliseconds(250);
  EXPECT_EQ(domain::RetryDelayOf(limiter.Acquire("acme")), absl::Milliseconds(250));
  now += absl::Milliseconds(250);
  EXPECT_TRUE(limiter.Acquire("acme").ok());
  now += absl::Seconds(100);  // never more than the burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("acme").ok());
  EXPECT_FALSE(limiter.Acquire("acme").ok());
}

TEST(Limits, RateLimitAnswersResourceExhaustedWithRetryInfoThenRecovers) {
  ProdServer srv;
  srv.production_options().auth = "tokens";
  srv.production_options().rate_limit_qps = 5;
  srv.production_options().rate_limit_burst = 2;
  ASSERT_TRUE(srv.Start().ok());
  const std::string acme = srv.Token("acme", auth::Scope::kRead);
  const std::string beta = srv.Token("beta", auth::Scope::kRead);
  auto stub = v1::LedgerService::NewStub(srv.channel());
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  v1::ListCustomersResponse out;
  EXPECT_TRUE(stub->ListCustomers(Ctx(acme).get(), req, &out).ok());
  EXPECT_TRUE(stub->ListCustomers(Ctx(acme).get(), req, &out).ok());
  grpc::Status st = stub->ListCustomers(Ctx(acme).get(), req, &out);
  ASSERT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The RetryInfo detail, decoded the way any gRPC client would.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(st.error_details()));
  absl::Duration delay;
  bool found = false;
  for (const auto& any : details.details()) {
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&retry)) {
      found = true;
      delay = absl::Seconds(retry.retry_delay().seconds()) +
              absl::Nanoseconds(retry.retry_delay().nanos());
    }
  }
  ASSERT_TRUE(found);
  EXPECT_GT(delay, absl::ZeroDuration());
  EXPECT_LE(delay, absl::Milliseconds(200));
  EXPECT_EQ(domain::ReasonOf(grpc_status::FromGrpcStatus(st)), "RATE_LIMITED");
  // Another tenant is not slowed down.
  v1::ListCustomersRequest beta_req;
  beta_req.set_parent("tenants/beta");
  EXPECT_TRUE(stub->ListCustomers(Ctx(beta).get(), beta_req, &out).ok());
  // Waiting the advised delay is enough.
  absl::SleepFor(delay);
  EXPECT_TRUE(stub->ListCustomers(Ctx(acme).get(), req, &out).ok());
}

}  // namespace
}  // namespace collections::testing
