// bench_tool's `load`: many calls in flight over several channels, closed
// loop or paced, with the latencies of the measured window.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/base/dates.h"
#include "service/store/sqlite/sqlite_store.h"
#include "service/store/store.h"
#include "tests/bench/bench_data.h"
#include "tests/bench/bench_tool_internal.h"
#include "tests/store/pg_harness.h"

namespace collections::bench {

namespace {

// ------------------------------------------------------------ load generator

// Latencies of calls that started and finished inside the measured window.
class Recorder {
 public:
  Recorder(Clock::time_point window_start, Clock::time_point window_end)
      : start_(window_start), end_(window_end) {}
  void Done(Clock::time_point started, Clock::time_point finished, const grpc::Status& st) {
    if (started < start_ || finished > end_) return;
    absl::MutexLock l(&mu_);
    if (!st.ok()) {
      ++errors_;
      if (first_error_.empty()) first_error_ = st.error_message();
      return;
    }
    lat_us_.push_back(
        static_cast<float>(std::chrono::duration<double, std::micro>(finished - started).count()));
  }
  std::vector<float> Latencies() {
    absl::MutexLock l(&mu_);
    return lat_us_;
  }
  int64_t errors() {
    absl::MutexLock l(&mu_);
    return errors_;
  }
  std::string first_error() {
    absl::MutexLock l(&mu_);
    return first_error_;
  }

 private:
  const Clock::time_point start_, end_;
  absl::Mutex mu_;
  std::vector<float> lat_us_ ABSL_GUARDED_BY(mu_);
  int64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

// One generic unary call of the load: `start` issues it with the callback
// API and arranges for `done` to run on completion.
using StartCall =
    std::function<void(int channel, Rng& rng, std::function<void(grpc::Status)> done)>;

// The same closed/paced load for any unary read keyed by a customer: a
// uniformly random customer of the generated ledger per call.
template <typename Req, typename Resp, typename Stub, typename Invoke>
StartCall MakeCustomerCall(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                           Invoke invoke) {
  return MakeCustomerCall<Req, Resp, Stub>(
      channels,
      [](Req* req, const std::string& customer, const v1::Date& as_of) {
        req->set_customer(customer);
        *req->mutable_as_of() = as_of;
      },
      std::move(invoke));
}

// The same, with `fill` setting the request's fields from the customer's
// resource name and the as-of day.
template <typename Req, typename Resp, typename Stub, typename Fill, typename Invoke>
StartCall MakeCustomerCall(const std::vector<std::shared_ptr<grpc::Channel>>& channels, Fill fill,
                           Invoke invoke) {
  auto stubs = std::make_shared<std::vector<std::unique_ptr<typename Stub::Stub>>>();
  for (const auto& ch : channels) stubs->push_back(Stub::NewStub(ch));
  const int64_t customers = absl::GetFlag(FLAGS_customers);
  const v1::Date as_of = ToDate(AsOf());
  return [stubs, customers, as_of, fill, invoke](int channel, Rng& rng,
                                                 std::function<void(grpc::Status)> done) {
    struct Call {
      grpc::ClientContext ctx;
      Req req;
      Resp resp;
    };
    auto* call = new Call;
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    fill(&call->req, CustomerName(rng.Between(0, customers - 1)), as_of);
    invoke(*(*stubs)[channel], &call->ctx, &call->req, &call->resp,
           [call, done = std::move(done)](grpc::Status st) {
             delete call;
             done(std::move(st));
           });
  };
}

StartCall MakeStartCall(const std::string& method,
                        const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  if (method == "summary") {
    return MakeCustomerCall<v1::GetAccountSummaryRequest, v1::AccountSummary, v1::LedgerService>(
        channels, [](auto& stub, auto* ctx, auto* req, auto* resp, auto cb) {
          stub.async()->GetAccountSummary(ctx, req, resp, std::move(cb));
        });
  }
  if (method == "case") {
    // One stored row read by its key: what any call that reads the store
    // costs at the least through this server.
    return MakeCustomerCall<v1::GetCaseRequest, v1::Case, v1::CaseService>(
        channels,
        [](v1::GetCaseRequest* req, const std::string& customer, const v1::Date&) {
          req->set_name(absl::StrCat(customer, "/case"));
        },
        [](auto& stub, auto* ctx, auto* req, auto* resp, auto cb) {
          stub.async()->GetCase(ctx, req, resp, std::move(cb));
        });
  }
  return MakeCustomerCall<v1::GetRecommendationRequest, v1::Recommendation, v1::RecoveryService>(
      channels, [](auto& stub, auto* ctx, auto* req, auto* resp, auto cb) {
        stub.async()->GetRecommendation(ctx, req, resp, std::move(cb));
      });
}

float Percentile(const std::vector<float>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<size_t>(p * static_cast<double>(sorted.size() - 1))];
}

}  // namespace

int Load() {
  const int n_channels = absl::GetFlag(FLAGS_channels);
  const int inflight = absl::GetFlag(FLAGS_inflight);
  const double rate = absl::GetFlag(FLAGS_rate);
  const double duration = absl::GetFlag(FLAGS_duration_s);
  const std::string method = absl::GetFlag(FLAGS_method);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < n_channels; ++i) {
    channels.push_back(Channel(i));
    if (!channels.back()->WaitForConnected(std::chrono::system_clock::now() +
                                           std::chrono::seconds(10))) {
      Fail("cannot connect to --target");
    }
  }
  StartCall start = MakeStartCall(method, channels);
  const auto t0 = Clock::now();
  const auto window_start = t0 + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(absl::GetFlag(FLAGS_warmup_s)));
  const auto window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(duration));
  Recorder rec(window_start, window_end);
  std::atomic<int> outstanding{0};
  absl::Notification all_done;
  std::atomic<int64_t> shed{0};
  const uint64_t seed = absl::GetFlag(FLAGS_seed);

  // Declared here, not in the branch: in-flight callbacks use them until
  // all_done is notified.
  std::vector<std::unique_ptr<Rng>> rngs;
  std::function<void(int)> issue;
  if (rate <= 0) {
    // Closed loop: every slot re-issues as soon as its call completes.
    const int slots = n_channels * inflight;
    for (int s = 0; s < slots; ++s) rngs.push_back(std::make_unique<Rng>(seed * 1000 + s));
    issue = [&](int slot) {
      const auto started = Clock::now();
      start(slot % n_channels, *rngs[slot], [&, slot, started](grpc::Status st) {
        const auto now = Clock::now();
        rec.Done(started, now, st);
        if (now < window_end) {
          issue(slot);
        } else if (outstanding.fetch_sub(1) == 1) {
          all_done.Notify();
        }
      });
    };
    outstanding = slots;
    for (int s = 0; s < slots; ++s) issue(s);
  } else {
    // Paced (open loop): calls start on a fixed schedule whatever the
    // server's speed; latency counts from the scheduled start, so a stalled
    // server is not hidden (no coordinated omission). More than
    // channels x inflight outstanding calls are shed and counted.
    const int cap = n_channels * inflight;
    rngs.push_back(std::make_unique<Rng>(seed));
    Rng& rng = *rngs.back();
    outstanding = 1;  // the pacer itself
    const auto interval =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
    int64_t k = 0;
    for (auto next = t0; next < window_end; next = t0 + (++k) * interval) {
      std::this_thread::sleep_until(next);
      if (outstanding.load() - 1 >= cap) {
        if (next >= window_start) ++shed;
        continue;
      }
      outstanding.fetch_add(1);
      const auto scheduled = next;
      start(static_cast<int>(k % n_channels), rng, [&, scheduled](grpc::Status st) {
        rec.Done(scheduled, Clock::now(), st);
        if (outstanding.fetch_sub(1) == 1) all_done.Notify();
      });
    }
    if (outstanding.fetch_sub(1) == 1) all_done.Notify();
  }
  // collectionsd's CPU over the measured window (--server_pid), sampled on
  // a thread of its own since the pacer may hold this one past the window's
  // start.
  double cpu0 = -1, cpu1 = -1;
  std::thread cpu_sampler([&] {
    std::this_thread::sleep_until(window_start);
    cpu0 = ServerCpuSeconds();
    std::this_thread::sleep_until(window_end);
    cpu1 = ServerCpuSeconds();
  });
  std::this_thread::sleep_until(window_end);
  cpu_sampler.join();
  // Calls still running 60 s after the window are reported as unfinished;
  // the process then exits without waiting for them.
  const bool finished = all_done.WaitForNotificationWithTimeout(absl::Seconds(60));
  std::vector<float> lat = rec.Latencies();
  std::sort(lat.begin(), lat.end());
  const int64_t errors = rec.errors();
  Emit(absl::StrFormat(
      "\"kind\":\"load\",\"method\":\"%s\",\"mode\":\"%s\",\"channels\":%d,\"inflight\":%d,"
      "\"rate\":%.1f,\"duration_s\":%.2f,\"calls\":%d,\"errors\":%d,\"shed\":%d,\"qps\":%.1f,"
      "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f%s%s%s%s",
      method, rate > 0 ? "paced" : "closed", n_channels, inflight, rate, duration, lat.size(),
      errors, shed.load(), lat.size() / duration, Percentile(lat, 0.5), Percentile(lat, 0.9),
      Percentile(lat, 0.99), lat.empty() ? 0.0f : lat.back(),
      CpuField("server_cpu_ms_per_call", cpu0, cpu1, static_cast<int64_t>(lat.size())),
      LabelField(), errors > 0 ? absl::StrFormat(",\"first_error\":\"%s\"", rec.first_error()) : "",
      finished ? "" : absl::StrFormat(",\"unfinished\":%d", outstanding.load())));
  if (!finished) std::_Exit(0);
  return 0;
}

}  // namespace collections::bench
