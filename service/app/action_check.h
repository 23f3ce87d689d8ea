// RecoveryService.CheckAction: the compliance guard asked again at delivery
// time. The engine writes an outbox action when it decides; the courier
// delivers it minutes or hours later, and by then the debtor's contact
// window may be closed (an action written at 07:00 UTC for a New York
// consumer may go out only from 08:00 local time, Reg F §1006.6(b)(1)) or a
// cease request, opt-out or dispute may have been recorded. The same rules
// RecordContact applies (domain::CheckContact) answer, so a courier never
// carries its own copy of them.
#ifndef COLLECTIONS_APP_ACTION_CHECK_H_
#define COLLECTIONS_APP_ACTION_CHECK_H_

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/recovery.pb.h"
#include "service/app/app_common.h"
#include "service/app/recovery_app.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

// Read-only; thread-safe (one read transaction per call).
class ActionChecker {
 public:
  ActionChecker(store::Store& store, const domain::Clock& clock, RecoveryApp& recovery)
      : store_(store), clock_(clock), recovery_(recovery) {}

  // The verdict for delivering r.name() at r.time() (default: now). Errors:
  // INVALID_ARGUMENT (INVALID_RESOURCE_NAME), PERMISSION_DENIED (another
  // tenant), NOT_FOUND (ACTION_NOT_FOUND), store errors. A refused delivery
  // is an OK answer with allowed = false.
  absl::StatusOr<v1::ActionCheck> CheckAction(const CallContext& ctx,
                                              const v1::CheckActionRequest& r);

 private:
  store::Store& store_;
  const domain::Clock& clock_;
  RecoveryApp& recovery_;
};

}  // namespace collections::app

#endif  // COLLECTIONS_APP_ACTION_CHECK_H_
