// A fixed pool of threads for the blocking store work of callback-API
// handlers, with a bounded queue: when the queue is full Submit() refuses and
// the handler answers RESOURCE_EXHAUSTED at once, so overload degrades
// gracefully instead of piling up threads.
//
// Work is queued per key (the tenant a request names) and taken round-robin
// across keys, and one key may hold at most `max_queue_per_key` queued
// calls: a burst from one tenant waits behind itself, not in front of every
// other tenant. Thread-safe.
#ifndef COLLECTIONS_API_WORKER_POOL_H_
#define COLLECTIONS_API_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace collections::api {

class WorkerPool {
 public:
  // max_queue_per_key <= 0 means max_queue.
  WorkerPool(int threads, int max_queue, int max_queue_per_key = 0);
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  enum class Refusal { kNone, kQueueFull, kKeyQueueFull, kStopping };
  // Queues `work` under `key`. false when the whole queue or the key's share
  // is full, or the pool is stopping; `why` (optional) says which.
  bool Submit(std::function<void()> work, const std::string& key = "", Refusal* why = nullptr);
  int QueueDepth();

 private:
  void Loop();

  absl::Mutex mu_;
  std::map<std::string, std::deque<std::function<void()>>> queues_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> turn_ ABSL_GUARDED_BY(mu_);  // keys with queued work, in turn
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const size_t max_queue_;
  const size_t max_queue_per_key_;
  std::vector<std::thread> threads_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_WORKER_POOL_H_
