// A real collectionsd process for the reliability tests: started with given
// flags, its port read from the "serving" log line, stopped or killed.
#ifndef COLLECTIONS_TESTS_RELIABILITY_DAEMON_PROCESS_H_
#define COLLECTIONS_TESTS_RELIABILITY_DAEMON_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace collections::testing {

struct Daemon {
  pid_t pid = 0;
  int port = 0;
  std::string log;  // stdout and stderr
};

// Starts `path` with `flags`; waits up to `timeout` for the "serving" line.
// When the process exits first, FailedPrecondition with its log.
absl::StatusOr<Daemon> StartDaemon(const std::string& path, const std::vector<std::string>& flags,
                                   const std::string& log,
                                   absl::Duration timeout = absl::Seconds(30));

// How a process ended: exited with `code`, or killed by `signal`.
struct Exit {
  int code = -1;
  int signal = 0;
};
// Waits up to `timeout` for `pid`; SIGKILLs it when it does not end.
Exit WaitExit(pid_t pid, absl::Duration timeout = absl::Seconds(30));

// Runs `path` with `flags` to its end (at most `timeout`), capturing output.
Exit RunToEnd(const std::string& path, const std::vector<std::string>& flags,
              const std::string& log, absl::Duration timeout = absl::Seconds(30));

std::string ReadAll(const std::string& path);

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_RELIABILITY_DAEMON_PROCESS_H_
