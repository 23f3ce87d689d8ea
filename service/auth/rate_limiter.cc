#include "service/auth/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"

namespace collections::auth {

RateLimiter::RateLimiter(double rate, double burst, std::function<absl::Time()> now)
    : rate_(rate), burst_(std::max(1.0, burst)), now_(std::move(now)) {}

absl::Status RateLimiter::Acquire(absl::string_view tenant) {
  const absl::Time now = now_();
  double missing = 0;
  {
    absl::MutexLock l(&mu_);
    auto [it, inserted] = buckets_.try_emplace(tenant);
    Bucket& b = it->second;
    if (inserted) {
      b.tokens = burst_;
    } else if (now > b.last) {
      b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.last) * rate_);
    }
    b.last = std::max(b.last, now);
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return absl::OkStatus();
    }
    missing = 1.0 - b.tokens;
  }
  // Round up to whole milliseconds so that retrying after the delay passes.
  const absl::Duration delay = absl::Milliseconds(
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(missing / rate_ * 1000))));
  return domain::WithRetryDelay(
      domain::WithReason(absl::ResourceExhaustedError(absl::StrCat(
                             "tenant ", tenant, " is over its rate limit of ", rate_,
                             " requests per second; retry after ", absl::FormatDuration(delay))),
                         "RATE_LIMITED"),
      delay);
}

}  // namespace collections::auth
