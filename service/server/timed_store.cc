#include "service/server/timed_store.h"

#include "absl/time/clock.h"
#include "service/store/store_wrapper.h"

namespace collections::server {
namespace {

constexpr char kName[] = "collections_store_seconds";

// WaitForEvents and Backend forward untimed: waiting is not latency.
class TimedStore : public store::StoreWrapper {
 public:
  TimedStore(std::unique_ptr<store::Store> inner, MetricsRegistry& metrics)
      : StoreWrapper(std::move(inner)), metrics_(metrics) {
    metrics_.Declare(kName, "Store operation latency in seconds, by operation and outcome.",
                     "histogram", LatencyBuckets());
  }

  absl::Status Run(absl::string_view tenant, store::TxMode mode,
                   const std::function<absl::Status(store::Transaction&)>& fn) override {
    const absl::Time start = absl::Now();
    absl::Status st = target().Run(tenant, mode, fn);
    Record(mode == store::TxMode::kRead ? "read_tx" : "write_tx", st.ok(), start);
    return st;
  }
  absl::StatusOr<std::vector<store::EventRow>> ListEvents(
      absl::string_view tenant, const store::EventFilter& filter) override {
    const absl::Time start = absl::Now();
    auto r = target().ListEvents(tenant, filter);
    Record("list_events", r.ok(), start);
    return r;
  }
  absl::StatusOr<std::vector<store::AgingCell>> Aging(absl::string_view tenant,
                                                      const store::AgingQuery& query) override {
    const absl::Time start = absl::Now();
    auto r = target().Aging(tenant, query);
    Record("aging", r.ok(), start);
    return r;
  }
  absl::Status VisitAging(
      absl::string_view tenant, const store::AgingQuery& query,
      const std::function<absl::Status(const store::AgingCell&)>& visit) override {
    const absl::Time start = absl::Now();
    absl::Status st = target().VisitAging(tenant, query, visit);
    Record("aging", st.ok(), start);
    return st;
  }
  absl::StatusOr<std::vector<std::string>> ListTenants() override {
    const absl::Time start = absl::Now();
    auto r = target().ListTenants();
    Record("list_tenants", r.ok(), start);
    return r;
  }

 private:
  void Record(const char* op, bool ok, absl::Time start) {
    metrics_.Observe(kName, {{"op", op}, {"outcome", ok ? "ok" : "error"}},
                     absl::ToDoubleSeconds(absl::Now() - start));
  }

  MetricsRegistry& metrics_;
};

}  // namespace

std::unique_ptr<store::Store> WithTiming(std::unique_ptr<store::Store> inner,
                                         MetricsRegistry& metrics) {
  return std::make_unique<TimedStore>(std::move(inner), metrics);
}

}  // namespace collections::server
