// A burst of 2,000 concurrent calls against small queue limits (kept as
// a regression guard), over 127.0.0.1: the noisy tenant's excess is shed at once with
// RESOURCE_EXHAUSTED and a RetryInfo; grpc.health.v1 and HTTP /healthz keep
// answering within a probe's deadline throughout; another tenant's calls,
// made during the burst, are all served.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"
#include "tests/api/prod_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr int kBurst = 2000;
constexpr int kCustomers = 40;
// What a Kubernetes probe would allow.
constexpr absl::Duration kProbeDeadline = absl::Seconds(1);

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  // A channel of its own per client: a separate connection, as a kubelet
  // probe or another tenant's connector would have.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

void Seed(v1::LedgerService::Stub& stub, const std::string& tenant) {
  for (int i = 0; i < kCustomers; ++i) {
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/" + tenant);
    *req.mutable_customer() = MakeCustomer(absl::StrCat("C-", i), absl::StrCat("Debtor ", i));
    v1::Customer out;
    ASSERT_TRUE(stub.UpsertCustomer(Ctx("").get(), req, &out).ok());
  }
}

v1::ListCustomersRequest ListOf(const std::string& tenant) {
  v1::ListCustomersRequest req;
  req.set_parent("tenants/" + tenant);
  req.set_page_size(kCustomers);
  return req;
}

// Latencies of a probe that runs until stopped.
struct ProbeLog {
  int runs = 0;
  int failures = 0;
  absl::Duration worst;
  std::string first_failure;
};

TEST(Burst, ShedsTheExcessWithRetryInfoWhileHealthAnswersAndOtherTenantsAreServed) {
  ProdServer srv;
  srv.options().listen = "127.0.0.1:0";
  srv.options().workers = 2;
  srv.options().max_queue = 64;
  srv.options().max_queue_per_tenant = 16;
  srv.production_options().http_listen = "127.0.0.1:0";
  ASSERT_TRUE(srv.Start().ok());
  const int http_port = srv.production().http_port();
  ASSERT_GT(http_port, 0);
  {
    auto stub = v1::LedgerService::NewStub(NewChannel(srv.target()));
    Seed(*stub, "acme");
    Seed(*stub, "beta");
  }

  std::atomic<bool> stop{false};
  ProbeLog grpc_health, http_health, beta;
  std::vector<std::thread> probes;
  // The probes start before the burst and run until it has been answered.
  auto probe = [&stop](ProbeLog* log, const std::function<std::string()>& fn) {
    while (!stop) {
      const absl::Time start = absl::Now();
      const std::string failure = fn();
      const absl::Duration took = absl::Now() - start;
      ++log->runs;
      log->worst = std::max(log->worst, took);
      if (!failure.empty() || took > kProbeDeadline) {
        if (log->failures++ == 0) {
          log->first_failure = absl::StrCat(failure, " after ", absl::FormatDuration(took));
        }
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  };
  auto health_channel = NewChannel(srv.target());
  probes.emplace_back(probe, &grpc_health, [&] {
    const std::string st = HealthCheck(health_channel, kProbeDeadline);
    return st == "SERVING" ? std::string() : st;
  });
  probes.emplace_back(probe, &http_health, [&] {
    const HttpResult r = HttpGet(http_port, "/healthz");
    return r.status == 200 ? std::string() : absl::StrCat("HTTP ", r.status);
  });
  // Another tenant, one call at a time on its own connection.
  auto beta_stub = v1::LedgerService::NewStub(NewChannel(srv.target()));
  probes.emplace_back(probe, &beta, [&] {
    v1::ListCustomersResponse out;
    auto ctx = Ctx("");
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    const grpc::Status st = beta_stub->ListCustomers(ctx.get(), ListOf("beta"), &out);
    if (!st.ok()) return absl::StrCat("beta: ", st.error_code(), " ", st.error_message());
    return out.customers_size() == kCustomers ? std::string() : std::string("beta: short list");
  });
  absl::SleepFor(absl::Milliseconds(100));

  // The burst: every call in flight at once.
  auto acme_stub = v1::LedgerService::NewStub(NewChannel(srv.target()));
  struct Result {
    grpc::ClientContext ctx;
    v1::ListCustomersRequest req;
    v1::ListCustomersResponse out;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Result>> results;
  absl::Mutex mu;
  int pending = kBurst;
  const absl::Time burst_start = absl::Now();
  for (int i = 0; i < kBurst; ++i) {
    results.push_back(std::make_unique<Result>());
    Result* r = results.back().get();
    r->req = ListOf("acme");
    r->ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    acme_stub->async()->ListCustomers(&r->ctx, &r->req, &r->out,
                                      [r, &mu, &pending](grpc::Status st) {
                                        r->status = std::move(st);
                                        absl::MutexLock l(&mu);
                                        --pending;
                                      });
  }
  {
    absl::MutexLock l(&mu);
    const bool answered = mu.AwaitWithTimeout(absl::Condition(
                                                  +[](int* n) { return *n == 0; }, &pending),
                                              absl::Seconds(30));
    ASSERT_TRUE(answered) << pending << " calls unanswered";
  }
  const absl::Duration burst_time = absl::Now() - burst_start;
  absl::SleepFor(absl::Milliseconds(50));
  stop = true;
  for (auto& t : probes) t.join();

  std::map<std::string, int> outcomes;  // code or reason -> calls
  int served = 0, shed = 0;
  for (const auto& r : results) {
    if (r->status.ok()) {
      ++served;
      EXPECT_EQ(r->out.customers_size(), kCustomers);
      continue;
    }
    const absl::Status detail = grpc_status::FromGrpcStatus(r->status);
    ++outcomes[absl::StrCat(r->status.error_code(), " ", domain::ReasonOf(detail))];
    ASSERT_EQ(r->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << r->status.error_message();
    ++shed;
    EXPECT_GT(domain::RetryDelayOf(detail), absl::ZeroDuration()) << r->status.error_message();
  }
  std::string summary =
      absl::StrCat(served, " served, ", shed, " shed in ", absl::FormatDuration(burst_time), ";");
  for (const auto& [k, n] : outcomes) absl::StrAppend(&summary, " ", k, ": ", n);
  absl::StrAppend(&summary, "; health ", grpc_health.runs, " checks (worst ",
                  absl::FormatDuration(grpc_health.worst), "), /healthz ", http_health.runs,
                  " (worst ", absl::FormatDuration(http_health.worst), "), beta ", beta.runs,
                  " calls (worst ", absl::FormatDuration(beta.worst), ")");
  std::printf("%s\n", summary.c_str());
  RecordProperty("summary", summary);

  // Both sides of shedding happened: the queue was full, and it drained.
  EXPECT_GT(shed, 0) << summary;
  EXPECT_GT(served, 0) << summary;
  EXPECT_EQ(served + shed, kBurst);
  // Health and the other tenant were answered, in time, throughout.
  EXPECT_GE(grpc_health.runs, 3) << summary;
  EXPECT_GE(http_health.runs, 3) << summary;
  EXPECT_GE(beta.runs, 3) << summary;
  EXPECT_EQ(grpc_health.failures, 0) << grpc_health.first_failure;
  EXPECT_EQ(http_health.failures, 0) << http_health.first_failure;
  EXPECT_EQ(beta.failures, 0) << beta.first_failure;
}

}  // namespace
}  // namespace collections::testing
