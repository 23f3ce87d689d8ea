#include "service/api/worker_pool.h"

namespace collections::api {

WorkerPool::WorkerPool(int threads, int max_queue, int max_queue_per_key)
    : max_queue_(max_queue),
      max_queue_per_key_(max_queue_per_key > 0 ? max_queue_per_key : max_queue) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  for (auto& t : threads_) t.join();
}

bool WorkerPool::Submit(std::function<void()> work, const std::string& key, Refusal* why) {
  absl::MutexLock l(&mu_);
  Refusal refusal = Refusal::kNone;
  auto it = queues_.find(key);
  const size_t mine = it == queues_.end() ? 0 : it->second.size();
  if (stopping_) {
    refusal = Refusal::kStopping;
  } else if (queued_ >= max_queue_) {
    refusal = Refusal::kQueueFull;
  } else if (mine >= max_queue_per_key_) {
    refusal = Refusal::kKeyQueueFull;
  }
  if (why != nullptr) *why = refusal;
  if (refusal != Refusal::kNone) return false;
  if (mine == 0) turn_.push_back(key);
  queues_[key].push_back(std::move(work));
  ++queued_;
  return true;
}

int WorkerPool::QueueDepth() {
  absl::MutexLock l(&mu_);
  return static_cast<int>(queued_);
}

void WorkerPool::Loop() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || queued_ > 0; };
      mu_.Await(absl::Condition(&ready));
      if (queued_ == 0) return;  // stopping and drained
      // The key whose turn it is gives one call, then goes to the back.
      const std::string key = std::move(turn_.front());
      turn_.pop_front();
      auto it = queues_.find(key);
      work = std::move(it->second.front());
      it->second.pop_front();
      --queued_;
      if (it->second.empty()) {
        queues_.erase(it);
      } else {
        turn_.push_back(key);
      }
    }
    work();
  }
}

}  // namespace collections::api
