// Server streams under revocation and per-tenant limits: a revoked token's open stream ends with
// UNAUTHENTICATED before it delivers anything written after the
// revocation; one tenant cannot take every stream slot; streams do not
// hold a thread each.
#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"
#include "tests/api/prod_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

using auth::Scope;

int ThreadCount() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

class StreamsTest : public ::testing::Test {
 protected:
  void StartServer(int max_streams, int per_tenant) {
    srv_.production_options().auth = "tokens";
    srv_.options().max_streams = max_streams;
    srv_.options().max_streams_per_tenant = per_tenant;
    ASSERT_TRUE(srv_.Start().ok());
    ledger_ = v1::LedgerService::NewStub(srv_.channel());
    audit_ = v1::AuditService::NewStub(srv_.channel());
    recovery_ = v1::RecoveryService::NewStub(srv_.channel());
  }
  void Upsert(const std::string& token, const std::string& tenant, const std::string& id) {
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/" + tenant);
    *req.mutable_customer() = MakeCustomer(id, "Debtor " + id);
    v1::Customer out;
    grpc::Status st = ledger_->UpsertCustomer(Ctx(token).get(), req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  // An open WatchEvents stream of `tenant`.
  struct Watch {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader;
  };
  Watch OpenWatch(const std::string& token, const std::string& tenant) {
    Watch w;
    w.ctx = Ctx(token);
    v1::WatchEventsRequest req;
    req.set_parent("tenants/" + tenant);
    w.reader = audit_->WatchEvents(w.ctx.get(), req);
    return w;
  }

  ProdServer srv_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
};

TEST_F(StreamsTest, RevokingATokenEndsItsOpenStreamWithUnauthenticated) {
  StartServer(128, 16);
  const std::string writer = srv_.Token("acme", Scope::kWrite);
  const std::string reader = srv_.Token("acme", Scope::kRead);
  Upsert(writer, "acme", "C-before");
  Watch w = OpenWatch(reader, "acme");
  v1::Event ev;
  ASSERT_TRUE(w.reader->Read(&ev));  // the stream is being served

  // "ctk_<16 hex id>_<secret>"
  ASSERT_TRUE(srv_.tokens().Revoke(reader.substr(4, 16)).ok());
  const absl::Time revoked = absl::Now();
  Upsert(writer, "acme", "C-after-revocation");
  while (w.reader->Read(&ev)) {
    EXPECT_EQ(ev.DebugString().find("C-after-revocation"), std::string::npos)
        << "delivered after revocation: " << ev.DebugString();
  }
  grpc::Status st = w.reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << st.error_message();
  EXPECT_LT(absl::Now() - revoked, absl::Seconds(3));
}

TEST_F(StreamsTest, OneTenantCannotTakeEveryStream) {
  StartServer(/*max_streams=*/64, /*per_tenant=*/4);
  const std::string acme = srv_.Token("acme", Scope::kRead);
  const std::string beta = srv_.Token("beta", Scope::kWrite);
  const std::string acme_writer = srv_.Token("acme", Scope::kWrite);
  Upsert(acme_writer, "acme", "C-1");
  Upsert(beta, "beta", "B-1");
  std::vector<Watch> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(OpenWatch(acme, "acme"));
    v1::Event ev;
    ASSERT_TRUE(held.back().reader->Read(&ev)) << i;
  }
  // acme's fifth stream is refused with a reason and a retry hint...
  Watch fifth = OpenWatch(acme, "acme");
  v1::Event ev;
  EXPECT_FALSE(fifth.reader->Read(&ev));
  grpc::Status st = fifth.reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  absl::Status detail = grpc_status::FromGrpcStatus(st);
  EXPECT_EQ(domain::ReasonOf(detail), "TOO_MANY_STREAMS");
  EXPECT_GT(domain::RetryDelayOf(detail), absl::ZeroDuration());

  // ...while beta still opens WatchEvents and StreamActions.
  Watch beta_watch = OpenWatch(beta, "beta");
  EXPECT_TRUE(beta_watch.reader->Read(&ev));
  v1::StreamActionsRequest actions;
  actions.set_parent("tenants/beta");
  auto actions_ctx = Ctx(beta);
  auto actions_reader = recovery_->StreamActions(actions_ctx.get(), actions);
  v1::OutboxAction a;
  while (actions_reader->Read(&a)) {
  }
  EXPECT_TRUE(actions_reader->Finish().ok());
  beta_watch.ctx->TryCancel();
  beta_watch.reader->Finish().IgnoreError();
  for (Watch& w : held) {
    w.ctx->TryCancel();
    w.reader->Finish().IgnoreError();
  }
}

TEST_F(StreamsTest, StreamsDoNotHoldAThreadEach) {
  StartServer(128, 64);
  const std::string acme = srv_.Token("acme", Scope::kRead);
  Upsert(srv_.Token("acme", Scope::kWrite), "acme", "C-1");
  // Warm up: one stream, so that gRPC's own threads exist.
  Watch first = OpenWatch(acme, "acme");
  v1::Event ev;
  ASSERT_TRUE(first.reader->Read(&ev));
  const int before = ThreadCount();
  std::vector<Watch> held;
  for (int i = 0; i < 48; ++i) {
    held.push_back(OpenWatch(acme, "acme"));
    ASSERT_TRUE(held.back().reader->Read(&ev)) << i;
  }
  // 48 open streams, parked: a thread per stream would add 48.
  EXPECT_LT(ThreadCount() - before, 12) << before;
  held.push_back(std::move(first));
  for (Watch& w : held) {
    w.ctx->TryCancel();
    w.reader->Finish().IgnoreError();
  }
}

}  // namespace
}  // namespace collections::testing
