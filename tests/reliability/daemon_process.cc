#include "tests/reliability/daemon_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/store/pg_harness.h"

namespace collections::testing {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Exit WaitExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  Exit e;
  if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  return e;
}

Exit RunToEnd(const std::string& path, const std::vector<std::string>& flags,
              const std::string& log, absl::Duration timeout) {
  std::vector<std::string> args = {path};
  args.insert(args.end(), flags.begin(), flags.end());
  absl::StatusOr<pid_t> pid = SpawnProcess(args, log);
  if (!pid.ok()) return Exit{};
  return WaitExit(*pid, timeout);
}

absl::StatusOr<Daemon> StartDaemon(const std::string& path, const std::vector<std::string>& flags,
                                   const std::string& log, absl::Duration timeout) {
  std::vector<std::string> args = {path};
  args.insert(args.end(), flags.begin(), flags.end());
  Daemon d;
  d.log = log;
  absl::StatusOr<pid_t> pid = SpawnProcess(args, log);
  if (!pid.ok()) return pid.status();
  d.pid = *pid;
  // main.cc logs {"msg":"serving","listen":"127.0.0.1:<port>",...} once
  // the port is bound.
  constexpr char kListen[] = "\"listen\":\"127.0.0.1:";
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    const std::string text = ReadAll(log);
    const size_t at = text.find(kListen);
    if (text.find("\"msg\":\"serving\"") != std::string::npos && at != std::string::npos) {
      const size_t begin = at + sizeof(kListen) - 1;
      const size_t end = text.find('"', begin);
      if (absl::SimpleAtoi(text.substr(begin, end - begin), &d.port)) return d;
    }
    int status = 0;
    if (waitpid(d.pid, &status, WNOHANG) == d.pid) {
      return absl::FailedPreconditionError(absl::StrCat("exited at start:\n", text));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  kill(d.pid, SIGKILL);
  waitpid(d.pid, nullptr, 0);
  return absl::DeadlineExceededError(absl::StrCat("no serving line:\n", ReadAll(log)));
}

}  // namespace collections::testing
