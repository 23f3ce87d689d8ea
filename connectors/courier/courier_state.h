// What the courier remembers across restarts, in its state folder, so that
// kill -9 at any instant neither loses an action nor sends one twice:
//
//   cursor               "tenant <t>\nafter_sequence <n>\n": every action of
//                        the tenant with sequence <= n is completed, handed
//                        over or not the courier's; written atomically.
//   delivered/<action>   the transport's verdict ("SENT\n<detail>"), written
//                        and fsynced the moment the mail server or webhook
//                        accepted (or refused) the message and before the
//                        server is told. After a crash the courier finds
//                        it and only completes the action, never sending it
//                        again; the file goes once CompleteAction succeeded.
//
// What is left: a crash after the mail server accepted the message but
// before the journal file is durable (a few milliseconds) sends it again on
// restart, with the same Message-ID (or Idempotency-Key), which the
// receiving side can recognise. Not thread-safe.
#ifndef COLLECTIONS_CONNECTORS_COURIER_COURIER_STATE_H_
#define COLLECTIONS_CONNECTORS_COURIER_COURIER_STATE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/recovery.pb.h"

namespace collections::courier {

namespace v1 = ::collections_sidecar::v1;

struct JournalEntry {
  v1::OutboxAction::Status status = v1::OutboxAction::STATUS_UNSPECIFIED;
  std::string detail;
};

class CourierState {
 public:
  // Creates the folder (and delivered/) when missing. The cursor starts at
  // 0 for a new folder. FailedPrecondition when the folder belongs to
  // another tenant; InvalidArgument (STATE_CORRUPT) for an unreadable
  // cursor.
  static absl::StatusOr<CourierState> Open(const std::string& dir, const std::string& tenant);

  int64_t cursor() const { return cursor_; }
  absl::Status SaveCursor(int64_t after_sequence);

  std::optional<JournalEntry> Journal(const std::string& action_id) const;
  absl::Status WriteJournal(const std::string& action_id, const JournalEntry& entry);
  absl::Status ClearJournal(const std::string& action_id);

 private:
  std::string dir_;
  std::string tenant_;
  int64_t cursor_ = 0;
};

}  // namespace collections::courier

#endif  // COLLECTIONS_CONNECTORS_COURIER_COURIER_STATE_H_
