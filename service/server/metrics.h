// Prometheus metrics of collectionsd, rendered in the text exposition format
// (version 0.0.4) by the /metrics endpoint (http_endpoint.h).
//
// Three kinds: counters and histograms that code updates as things happen
// (RPCs, store transactions, synced records), and gauges computed when
// scraped from a callback (queue depth, outbox depth, receivables). Any
// component can register a gauge callback with AddGauge(), e.g. the recovery
// service for its outbox depth:
//
//   registry.AddGauge("collections_outbox_depth", "Outbox actions not yet completed.",
//                     [&] { return Samples{{{{"tenant", "acme"}}, 3}}; });
//
// Series documented in docs/api-clients.md#metrics. Thread-safe.
#ifndef COLLECTIONS_SERVER_METRICS_H_
#define COLLECTIONS_SERVER_METRICS_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace collections::server {

using Labels = std::vector<std::pair<std::string, std::string>>;
using Samples = std::vector<std::pair<Labels, double>>;

// Upper bounds (seconds) for latency histograms: 0.5 ms .. 10 s.
const std::vector<double>& LatencyBuckets();

class MetricsRegistry {
 public:
  // Declares a family before its first use. `type` is "counter" or
  // "histogram"; `bounds` (ascending) only for histograms. Declaring a name
  // twice keeps the first declaration.
  void Declare(absl::string_view name, absl::string_view help, absl::string_view type,
               std::vector<double> bounds = {});
  // Adds `n` to a counter series. Undeclared names are declared as counters.
  void Count(absl::string_view name, const Labels& labels, double n = 1);
  // Records one observation in a declared histogram (ignored if undeclared).
  void Observe(absl::string_view name, const Labels& labels, double value);
  // Registers a gauge computed at scrape time. `fn` runs without the
  // registry's lock held and must be thread-safe.
  void AddGauge(absl::string_view name, absl::string_view help, std::function<Samples()> fn);

  // The whole exposition, families in name order. With `per_tenant` false
  // the "tenant" label is dropped and the series it told apart are summed
  // (histograms merged): what an unauthenticated scrape off loopback sees.
  std::string Render(bool per_tenant = true);

 private:
  struct Series {
    double value = 0;               // counters
    std::vector<uint64_t> buckets;  // histograms: per-bound counts (not cumulative)
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string help;
    std::string type;
    std::vector<double> bounds;
    std::map<std::string, Series> series;  // by rendered label set
  };
  static void Merge(Series* into, const Series& s);
  struct Gauge {
    std::string name;
    std::string help;
    std::function<Samples()> fn;
  };

  absl::Mutex mu_;
  std::map<std::string, Family, std::less<>> families_ ABSL_GUARDED_BY(mu_);
  std::vector<Gauge> gauges_ ABSL_GUARDED_BY(mu_);
};

// `{a="x",b="y"}` with Prometheus escaping; "" for no labels.
std::string RenderLabels(const Labels& labels);

// `rendered` (a RenderLabels result) without its tenant label.
std::string WithoutTenant(const std::string& rendered);

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_METRICS_H_
