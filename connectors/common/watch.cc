#include "connectors/common/watch.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/strings/str_cat.h"
#include "connectors/common/checkpoint.h"

namespace collections::connectors {
namespace {

namespace fs = std::filesystem;

bool IsCandidate(const fs::directory_entry& e) {
  std::error_code ec;
  if (!e.is_regular_file(ec)) return false;
  const std::string name = e.path().filename().string();
  return !name.empty() && name[0] != '.' && !absl::EndsWith(name, ".tmp") &&
         !absl::EndsWith(name, ".part") && !absl::EndsWith(name, ".partial") &&
         !absl::EndsWith(name, ".checkpoint") && !absl::EndsWith(name, ".rejected.jsonl") &&
         !absl::EndsWith(name, ".report.txt");
}

// A name in `dir` that does not exist yet: "name", else "name.1", "name.2"...
fs::path FreeName(const fs::path& dir, const std::string& name) {
  fs::path p = dir / name;
  std::error_code ec;
  for (int i = 1; fs::exists(p, ec); ++i) p = dir / absl::StrCat(name, ".", i);
  return p;
}

struct Seen {
  uintmax_t size = 0;
  fs::file_time_type mtime;
  absl::Time since;
};

}  // namespace

int WatchFolder(const WatchOptions& options, const ProcessFileFn& process, std::ostream& log) {
  const fs::path dir(options.dir);
  const fs::path processing = dir / "processing";
  const fs::path done = dir / "done";
  const fs::path failed = dir / "failed";
  std::error_code ec;
  for (const fs::path& d : {processing, done, failed}) {
    fs::create_directories(d, ec);
    if (ec) {
      log << "cannot create " << d.string() << ": " << ec.message() << "\n";
      return kExitLocalError;
    }
  }
  auto stopped = [&] { return options.stop != nullptr && options.stop->load(); };
  int last_bad = kExitOk;

  // Runs a file already in processing/ and files it.
  auto run = [&](const fs::path& claimed) {
    const std::string name = claimed.filename().string();
    const std::string rejected = claimed.string() + ".rejected.jsonl";
    RunResult result = process(claimed.string(), rejected);
    log << result.Report();
    log.flush();
    if (result.exit_code == kExitUnavailable || result.exit_code == kExitInterrupted) {
      last_bad = result.exit_code;
      return;  // stays in processing/ and resumes later
    }
    const bool ok = result.exit_code == kExitOk || result.exit_code == kExitQuarantined;
    if (!ok) last_bad = result.exit_code;
    const fs::path dest = FreeName(ok ? done : failed, name);
    std::error_code move_ec;
    fs::rename(claimed, dest, move_ec);
    if (move_ec) {
      log << "cannot move " << claimed.string() << " to " << dest.string() << ": "
          << move_ec.message() << "\n";
      last_bad = kExitLocalError;
      return;
    }
    if (fs::exists(rejected, move_ec)) {
      fs::rename(rejected, dest.string() + ".rejected.jsonl", move_ec);
    }
    absl::Status st = WriteFileAtomically(dest.string() + ".report.txt", result.Report());
    if (!st.ok()) log << st.ToString() << "\n";
    (void)SyncDirectoryOf(dest.string());
    log << name << " -> " << dest.string() << "\n";
  };

  std::map<std::string, Seen> seen;
  bool first = true;
  while (!stopped()) {
    // Files left in processing/ by an interrupted run or an outage.
    std::vector<fs::path> leftovers;
    for (const auto& e : fs::directory_iterator(processing, ec)) {
      if (IsCandidate(e)) leftovers.push_back(e.path());
    }
    std::sort(leftovers.begin(), leftovers.end());
    for (const fs::path& p : leftovers) {
      if (stopped()) break;
      run(p);
    }

    std::vector<fs::path> ready;
    const absl::Time now = absl::Now();
    std::map<std::string, Seen> next_seen;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (!IsCandidate(e)) continue;
      const std::string name = e.path().filename().string();
      Seen s{e.file_size(ec), e.last_write_time(ec), now};
      auto it = seen.find(name);
      if (it != seen.end() && it->second.size == s.size && it->second.mtime == s.mtime) {
        s.since = it->second.since;
      }
      next_seen[name] = s;
      if (now - s.since >= options.settle) ready.push_back(e.path());
    }
    if (ec) {
      log << "cannot read " << dir.string() << ": " << ec.message() << "\n";
      return kExitLocalError;
    }
    seen = std::move(next_seen);
    std::sort(ready.begin(), ready.end());
    for (const fs::path& p : ready) {
      if (stopped()) break;
      const fs::path claimed = FreeName(processing, p.filename().string());
      std::error_code claim_ec;
      fs::rename(p, claimed, claim_ec);
      if (claim_ec) continue;  // another connector took it
      seen.erase(p.filename().string());
      run(claimed);
    }
    if (options.once) {
      // With a settle time, the first look only starts the clocks.
      if (first && options.settle > absl::ZeroDuration() && !seen.empty()) {
        first = false;
        absl::SleepFor(options.settle);
        continue;
      }
      break;
    }
    first = false;
    const absl::Time until = absl::Now() + options.poll_interval;
    while (!stopped() && absl::Now() < until) {
      absl::SleepFor(std::min(absl::Milliseconds(100), until - absl::Now()));
    }
  }
  return options.once ? last_bad : kExitOk;
}

}  // namespace collections::connectors
