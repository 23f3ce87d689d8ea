// A fixed pool of threads for the blocking store work of callback-API
// handlers, with a bounded queue: when the queue is full Submit() refuses and
// the handler answers RESOURCE_EXHAUSTED at once, so overload degrades
// gracefully instead of piling up threads. Thread-safe.
#ifndef COLLECTIONS_API_WORKER_POOL_H_
#define COLLECTIONS_API_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace collections::api {

class WorkerPool {
 public:
  WorkerPool(int threads, int max_queue);
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // false when the queue is full or the pool is stopping.
  bool Submit(std::function<void()> work);
  int QueueDepth();

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const size_t max_queue_;
  std::vector<std::thread> threads_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_WORKER_POOL_H_
