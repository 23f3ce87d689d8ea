// Watch mode: a connector that keeps a folder in sync with the ledger. The
// host system (or an operator) drops export files into DIR; each one is
// claimed by renaming it into DIR/processing/ (atomic on one file system, so
// two connectors never take the same file), run through the runner, and
// moved with its report to DIR/done/ or DIR/failed/:
//
//   DIR/export-0412.iif                   a new file (not hidden, not *.tmp/*.part)
//   DIR/processing/export-0412.iif        while it runs (a checkpoint in the state dir)
//   DIR/done/export-0412.iif              exit 0, or 5 with --quarantine
//   DIR/done/export-0412.iif.report.txt   the run's report
//   DIR/done/export-0412.iif.rejected.jsonl   quarantined records, if any
//   DIR/failed/export-0412.iif(.report.txt)   bad input or refused by the server
//
// A file whose run ended UNAVAILABLE or INTERRUPTED, or was refused for its
// credentials (UNAUTHENTICATED, PERMISSION_DENIED: a wrong, revoked or
// under-scoped token), stays in processing/ and is resumed from its
// checkpoint later: the rest of that pass is skipped and the folder is
// retried after a pause that doubles from the poll interval up to 5
// minutes, logged each time. So a server outage, a token fixed later or a
// restart of the connector loses nothing; only bad content goes to failed/. A file is
// taken only once its size and modification time have not changed for
// `settle`, so a file still being copied in is left alone.
//
// A read-only input (a Kubernetes volume mounted readOnly, an ERP's export
// share) needs a writable `work_dir`: processing/, done/ and failed/ are made
// there, and a file that cannot be renamed out of DIR is claimed by copying
// it into processing/. The copy is recorded in WORK/taken.list by name, size
// and modification time, so the same file is not taken twice while it stays
// in DIR, and a file the host rewrites under the same name is taken again.
#ifndef COLLECTIONS_CONNECTORS_COMMON_WATCH_H_
#define COLLECTIONS_CONNECTORS_COMMON_WATCH_H_

#include <atomic>
#include <functional>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "connectors/common/runner.h"

namespace collections::connectors {

struct WatchOptions {
  std::string dir;
  // Where processing/, done/ and failed/ live; empty = `dir`.
  std::string work_dir;
  absl::Duration poll_interval = absl::Seconds(2);
  absl::Duration settle = absl::Seconds(1);
  // Process the files present (and those left in processing/), then return.
  bool once = false;
  // Polled between files and while waiting; true stops the loop.
  const std::atomic<bool>* stop = nullptr;
};

// Runs one claimed file: `path` is its place in processing/, `rejected_path`
// where a quarantine report goes.
using ProcessFileFn =
    std::function<RunResult(const std::string& path, const std::string& rejected_path)>;

// Watches `options.dir` until stopped (or, with `once`, until the present
// files are processed). Logs one line per file to `log`. Returns kExitOk, or
// kExitLocalError when the folders cannot be created or read; with `once`,
// the exit code of the last file that did not end in done/ (else kExitOk).
int WatchFolder(const WatchOptions& options, const ProcessFileFn& process, std::ostream& log);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_WATCH_H_
