// Runs one export file through a parser into the ledger: the part of every
// connector that is not about the file format.
//
//   file --parse--> records --chunks of 500--> SyncLedger --> checkpoint
//
// Modes (RunOptions):
//   default      reject the whole file: a validation pass first (parse, and
//                the server's validate_only on every chunk); if any record
//                is bad nothing is applied, and the report names each one
//                (file:line:column, field, reason). Otherwise an apply pass.
//   quarantine   one pass: good records are applied, bad ones (the parser's
//                issues and the server's rejections) go to
//                "<file>.rejected.jsonl" with their reasons.
//   dry run      the validation pass only (server-side when a client is
//                given, parse-only otherwise); nothing is written anywhere.
//
// Exactly-once effect: the sync id is derived from the file's SHA-256 and
// the options, chunk k always holds the same records, and a checkpoint is
// written atomically after each acknowledged chunk. A run killed at any
// point resumes after the last checkpointed chunk; a chunk applied but not
// checkpointed is sent again and the server reports it UNCHANGED.
//
// Validation across chunks: a chunk validated with validate_only does not
// see earlier chunks' records, so a record whose customer (or allocated
// invoice) comes from an earlier chunk of the same file is rejected with
// CUSTOMER_NOT_FOUND / INVOICE_NOT_FOUND. The runner remembers a 64-bit
// fingerprint of every customer and invoice key seen in the file and counts
// such a rejection as deferred to the apply pass, not as an error. Records
// of such a chunk are then checked statically only; a state-dependent
// problem found during the apply pass stops the run (exit 3) after the
// chunks before it, which are complete and consistent.
#ifndef COLLECTIONS_CONNECTORS_COMMON_RUNNER_H_
#define COLLECTIONS_CONNECTORS_COMMON_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "connectors/common/client.h"
#include "connectors/common/progress.h"
#include "connectors/common/records.h"

namespace collections::connectors {

// The exit codes of every connector executable.
enum ExitCode : int {
  kExitOk = 0,             // every record applied (or, dry run: all valid)
  kExitUsage = 1,          // bad flags or arguments
  kExitInputRejected = 2,  // bad records or an unusable file; nothing applied
  kExitServerRefused = 3,  // the server refused a call or a chunk
  kExitUnavailable = 4,    // the server stayed unreachable after the retries
  kExitQuarantined = 5,    // --quarantine: good records applied, bad ones reported
  kExitLocalError = 6,     // cannot read the input or write state/report files
  kExitInterrupted = 130,  // SIGINT/SIGTERM; the checkpoint allows a resume
};
// "OK", "USAGE", "INPUT_REJECTED", ...
absl::string_view ExitCodeName(int code);
// The table of exit codes for --help.
std::string ExitCodeTable();

// A parser with the common signature of records.h, plus the input's path
// for formats that must open the file themselves (GnuCash's SQLite books);
// stream parsers ignore it.
using ParseFn =
    std::function<absl::Status(std::istream& in, const std::string& path, const ParseOptions&,
                               const RecordSink&, const IssueSink&)>;

struct RunOptions {
  std::string input_path;
  // Format name ("iif"); part of the sync id and of the checkpoint.
  std::string format;
  // Tenant id; required unless this is a dry run without a client.
  std::string tenant;
  // file_name defaults to input_path.
  ParseOptions parse;
  // Fingerprint of format-specific options that change the records.
  std::string format_options;
  bool dry_run = false;
  bool quarantine = false;
  // The format is line-based text (IIF, CSV, journals): an empty file,
  // UTF-16/32, NUL bytes or CR-only line ends are refused before parsing
  // (EMPTY_INPUT, NOT_UTF8_TEXT, BINARY_INPUT, CR_LINE_ENDS) instead of
  // parsing to "0 records". Any format refuses an empty file.
  bool text_input = false;
  // Folder of checkpoints; empty = next to the input.
  std::string state_dir;
  // Quarantine report; empty = "<input>.rejected.jsonl".
  std::string rejected_path;
  // Records per SyncLedger chunk, 1..1000.
  int chunk_size = 500;
  ProgressMode progress = ProgressMode::kAuto;
  const std::atomic<bool>* interrupted = nullptr;
};

// One rejected record, from the parser or from the server.
struct Rejection {
  std::string stage;        // "parse" or "server"
  std::string location;     // "export.iif:42:7", or "file:xpath (line N)"
  std::string field;        // "AMOUNT", "invoice.due_date"
  std::string reason;       // machine code
  std::string description;  // a sentence
  std::string external_id;  // the record's ExternalRef.id when known

  // "export.iif:42:7: AMOUNT: description (REASON)".
  std::string ToString() const;
  // One line of the quarantine report (JSON object, no newline).
  std::string ToJson() const;
};

struct RunResult {
  int exit_code = kExitOk;
  // The error that ended the run early, if any.
  absl::Status error;
  std::string input;
  std::string sync_id;
  bool dry_run = false;
  bool quarantine = false;
  int64_t bytes = 0;
  int64_t records = 0;
  int64_t customers = 0, invoices = 0, credit_notes = 0, payments = 0;
  int64_t chunks = 0;  // chunks acknowledged (in total, with resumed ones)
  int64_t created = 0, updated = 0, unchanged = 0;
  int64_t rejected = 0;             // bad records found (parser + server)
  int64_t quarantined = 0;          // of which written to the quarantine report
  int64_t deferred = 0;             // dry run: checks deferred to the apply pass
  int64_t resumed_from_chunk = -1;  // -1: not resumed
  int64_t retries = 0;
  std::string rejected_path;  // written when quarantined > 0
  // The first 1000 rejections (all are counted in `rejected`).
  std::vector<Rejection> rejections;
  absl::Duration elapsed;
  // Peak resident memory of the process so far (getrusage), in KiB.
  int64_t peak_rss_kib = 0;

  // The human-readable report printed at the end of a run.
  std::string Report() const;
};

// Runs `options.input_path` through `parse` and, unless this is a parse-only
// dry run (client == nullptr), through `client`. Never throws; everything is
// in the result. Not thread-safe with respect to the same input file.
RunResult RunFile(const RunOptions& options, const ParseFn& parse, LedgerClient* client);

// Test hooks (environment variables) used by the crash-resume tests: the
// process SIGKILLs itself right after the k-th chunk acknowledgement of the
// run, before its checkpoint is written (..._AFTER_ACK) or right after the
// checkpoint is written (..._AFTER_CHECKPOINT).
inline constexpr char kKillAfterAckEnv[] = "COLLECTIONS_CONNECTOR_KILL_AFTER_ACK";
inline constexpr char kKillAfterCheckpointEnv[] = "COLLECTIONS_CONNECTOR_KILL_AFTER_CHECKPOINT";

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_RUNNER_H_
