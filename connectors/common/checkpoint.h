// Crash-safe progress of a connector run over one export file, so that a
// connector killed at any point (kill -9, power loss, OOM) resumes where the
// server last acknowledged instead of starting over or skipping records.
//
// A checkpoint is a small text file written atomically (temp file, fsync,
// rename, fsync of the folder) after every chunk the server acknowledged.
// It names the file by content (size + SHA-256) and the parse options, so a
// checkpoint never applies to a different or edited file. The runner
// guarantees: records of chunks [0, next_chunk) are applied on the server;
// a chunk applied but not yet checkpointed is sent again on resume, which
// the server's idempotent upserts report as UNCHANGED.
#ifndef COLLECTIONS_CONNECTORS_COMMON_CHECKPOINT_H_
#define COLLECTIONS_CONNECTORS_COMMON_CHECKPOINT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::connectors {

// What a file is, by content.
struct FileIdentity {
  int64_t size = 0;
  std::string sha256;  // 64 lower-case hex digits

  bool operator==(const FileIdentity&) const = default;
};

// Reads the whole file once to hash it; `on_bytes` (optional) is called with
// the bytes read so far, for a progress bar. NotFound when it cannot be
// opened, DataLoss on a read error.
absl::StatusOr<FileIdentity> IdentifyFile(const std::string& path,
                                          const std::function<void(int64_t)>& on_bytes = {});

// SHA-256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view data);

struct Checkpoint {
  std::string format;   // "iif", "xero", ...
  std::string sync_id;  // the run's SyncLedgerRequest.sync_id
  FileIdentity file;
  std::string options;       // fingerprint of tenant and parse options
  int64_t next_chunk = 0;    // chunks [0, next_chunk) are acknowledged
  int64_t records_done = 0;  // parsed records in those chunks
  int64_t issues_done = 0;   // parser issues already written to the report
  int64_t report_bytes = 0;  // length of the rejected-records report then
  // Totals over the acknowledged chunks, so the final report covers the
  // whole file after a resume.
  int64_t created = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t quarantined = 0;

  // True when this checkpoint was written for the same file, format and
  // options as `other` (the counters may differ).
  bool SameRun(const Checkpoint& other) const {
    return format == other.format && sync_id == other.sync_id && file == other.file &&
           options == other.options;
  }
};

// Where the checkpoint of `input_path` lives: in `state_dir` when it is not
// empty (named by content, so it follows the file through renames such as
// watch mode's move into processing/), else next to the input as
// "<input>.checkpoint".
std::string CheckpointPath(const std::string& state_dir, const std::string& input_path,
                           const FileIdentity& file, absl::string_view options);

// Writes `checkpoint` atomically: afterwards `path` holds either the old or
// the new checkpoint, never a torn one, even across a crash.
absl::Status WriteCheckpoint(const std::string& path, const Checkpoint& checkpoint);
// nullopt when `path` does not exist; InvalidArgument (CHECKPOINT_CORRUPT)
// when it exists but cannot be read as a checkpoint.
absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(const std::string& path);
// Removes the checkpoint; OK when it is already gone.
absl::Status RemoveCheckpoint(const std::string& path);

// Replaces `path` with `contents` atomically (temp file in the same folder,
// fsync, rename, fsync of the folder).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);
// fsync of a file's folder, so that a rename or create in it is durable.
absl::Status SyncDirectoryOf(const std::string& path);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_CHECKPOINT_H_
