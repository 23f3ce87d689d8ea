#include "service/api/stream_support.h"

#include "absl/strings/str_cat.h"

namespace collections::api {

absl::Status StreamLimits::Acquire(const std::string& tenant) {
  absl::MutexLock l(&mu_);
  int& mine = per_tenant_[tenant];
  if (mine >= max_per_tenant_ || total_ >= max_total_) {
    if (mine == 0) per_tenant_.erase(tenant);
    const bool tenant_full = mine >= max_per_tenant_;
    return domain::WithRetryDelay(
        domain::WithReason(
            absl::ResourceExhaustedError(
                tenant_full ? absl::StrCat("tenant ", tenant, " has ", max_per_tenant_,
                                           " open streams, its limit; close one or retry later")
                            : absl::StrCat("the server has ", max_total_,
                                           " open streams, its limit; retry later")),
            "TOO_MANY_STREAMS"),
        absl::Seconds(5));
  }
  ++mine;
  ++total_;
  return absl::OkStatus();
}

void StreamLimits::Release(const std::string& tenant) {
  absl::MutexLock l(&mu_);
  --total_;
  auto it = per_tenant_.find(tenant);
  if (it != per_tenant_.end() && --it->second <= 0) per_tenant_.erase(it);
}

StreamHub::StreamHub(store::Store& store, absl::Duration poll_interval)
    : store_(store), poll_interval_(poll_interval), thread_([this] { Loop(); }) {}

StreamHub::~StreamHub() { Stop(); }

void StreamHub::Park(Parkable* s) {
  absl::MutexLock l(&mu_);
  parked_.push_back(s);
}

void StreamHub::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  thread_.join();
}

void StreamHub::Loop() {
  while (true) {
    store_.WaitForEvents(0, absl::Now() + poll_interval_);
    std::vector<Parkable*> wake;
    bool stopping = false;
    {
      absl::MutexLock l(&mu_);
      wake.swap(parked_);
      stopping = stopping_;
    }
    // Outside the lock: Wake() may park the stream again.
    for (Parkable* s : wake) s->Wake();
    if (stopping) return;
  }
}

}  // namespace collections::api
