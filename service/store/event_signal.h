// The in-process half of Store::WaitForEvents, shared by the backends: a
// generation counter that committers bump and waiters watch. (The PostgreSQL
// store also bumps it for commits of other processes.)
#ifndef COLLECTIONS_STORE_EVENT_SIGNAL_H_
#define COLLECTIONS_STORE_EVENT_SIGNAL_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace collections::store {

class EventSignal {
 public:
  // Wakes every current waiter. Thread-safe.
  void Notify() {
    absl::MutexLock l(&mu_);
    ++generation_;
  }
  // Returns after a Notify() that happens after this call starts, or at
  // `deadline`. Thread-safe.
  void Wait(absl::Time deadline) {
    absl::MutexLock l(&mu_);
    const int64_t start = generation_;
    auto changed = [this, start]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return generation_ != start; };
    mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
  }

 private:
  absl::Mutex mu_;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_EVENT_SIGNAL_H_
