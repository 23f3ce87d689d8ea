// The courier's loop: follow the tenant's outbox, deliver each action, and
// complete it exactly once.
//
//   1. StreamActions (pending only, follow) from the persisted cursor, on a
//      reader thread that reconnects with backoff when collectionsd restarts.
//   2. For each action: a verdict left in the journal by a run that died
//      (courier_state.h) is only reported, never sent again.
//   3. CheckAction asks collectionsd's compliance guard whether the action
//      may go out now: outside the debtor's contact window it waits until
//      the window opens (a timer, not a sleeping thread; later actions go on);
//      refused for good (a cease request, an opt-out, a dispute) it is
//      completed FAILED with the rule.
//   4. Deliver by the action's route (SMTP, webhook, PDF folder); a passing
//      failure is retried with exponential backoff until give_up_after.
//   5. Journal the verdict, then CompleteAction (request_id
//      "courier:<action id>", so a repeated report is a replay), then clear
//      the journal and move the cursor past every finished action.
//
// Calls and other tasks for people are handed to the webhook (when routed)
// and left PENDING for whoever does them.
#ifndef COLLECTIONS_CONNECTORS_COURIER_COURIER_H_
#define COLLECTIONS_CONNECTORS_COURIER_COURIER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collections_sidecar/v1/letters.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "connectors/common/client.h"
#include "connectors/courier/courier_config.h"
#include "connectors/courier/courier_state.h"
#include "connectors/courier/transport.h"

namespace collections::courier {

namespace v1 = ::collections_sidecar::v1;

class Courier {
 public:
  // `stop` (set by SIGTERM/SIGINT) ends Run() after the delivery in hand.
  Courier(CourierConfig config, CourierState state, const std::atomic<bool>* stop);
  ~Courier();

  // Runs until *stop, or with config.once until no action is due now.
  // Errors: collectionsd refuses the courier for good (PERMISSION_DENIED,
  // UNAUTHENTICATED, INVALID_ARGUMENT), or the state folder cannot be
  // written.
  absl::Status Run();

 private:
  struct Item {
    v1::OutboxAction action;
    absl::Time first_attempt = absl::InfinitePast();
    int attempts = 0;
  };
  enum class Next { kDone, kWait };

  void ReadStream();
  void StopStream();
  // One step of one action; kWait puts it back in the timer queue with
  // `*wake` set.
  absl::StatusOr<Next> Handle(Item& item, absl::Time* wake);
  Route RouteOf(const v1::OutboxAction& action) const;
  TransportResult Deliver(const v1::OutboxAction& action, Route route);
  // Journal, CompleteAction, clear. kWait when collectionsd is out of reach.
  absl::StatusOr<Next> Finish(const v1::OutboxAction& action, v1::OutboxAction::Status status,
                              const std::string& detail, absl::Time* wake);
  absl::Duration Backoff(int attempt);
  void RefreshProfile();
  absl::Status SaveCursor();

  CourierConfig config_;
  CourierState state_;
  const std::atomic<bool>* stop_;
  std::shared_ptr<grpc::Channel> channel_;
  connectors::LedgerClient client_;  // retries and deadlines for any unary call
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
  std::unique_ptr<v1::LetterService::Stub> letters_;
  v1::TenantProfile profile_;
  absl::Time profile_time_ = absl::InfinitePast();
  std::mt19937_64 rng_{std::random_device{}()};

  // Shared with the reader thread.
  absl::Mutex mu_;
  std::deque<v1::OutboxAction> incoming_ ABSL_GUARDED_BY(mu_);
  bool stream_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stream_error_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* stream_ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread reader_;

  // Main thread only: actions waiting for a time, by sequence, and the
  // highest sequence taken from the stream.
  std::map<int64_t, std::pair<absl::Time, Item>> waiting_;
  int64_t max_taken_ = 0;
};

}  // namespace collections::courier

#endif  // COLLECTIONS_CONNECTORS_COURIER_COURIER_H_
