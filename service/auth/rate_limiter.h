// Per-tenant request rate limits: one token bucket per tenant, refilled at
// `rate` requests per second up to `burst`. A caller over its budget gets
// RESOURCE_EXHAUSTED carrying the time until the next request would pass
// (sent as collections_sidecar.v1.RetryInfo), so well-behaved clients back off for
// exactly as long as needed. One tenant's burst never slows another.
#ifndef COLLECTIONS_AUTH_RATE_LIMITER_H_
#define COLLECTIONS_AUTH_RATE_LIMITER_H_

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace collections::auth {

class RateLimiter {
 public:
  // `rate` > 0 requests per second, `burst` >= 1. `now` is injectable for
  // tests; by default the wall clock.
  RateLimiter(double rate, double burst, std::function<absl::Time()> now = absl::Now);

  // Takes one request from `tenant`'s bucket. OK, or RESOURCE_EXHAUSTED
  // (reason RATE_LIMITED) with the retry delay attached. Thread-safe.
  absl::Status Acquire(absl::string_view tenant);

  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };
  const double rate_;
  const double burst_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace collections::auth

#endif  // COLLECTIONS_AUTH_RATE_LIMITER_H_
