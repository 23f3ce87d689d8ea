#include "connectors/common/watch.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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

// Failures of the server or of the connector's configuration, not of the
// file: unreachable server, a wrong or revoked token, a token of another
// tenant or scope. The file stays in processing/ and is retried later.
bool RetryLater(const RunResult& r) {
  if (r.exit_code == kExitUnavailable || r.exit_code == kExitInterrupted) return true;
  return r.exit_code == kExitServerRefused &&
         (absl::IsUnauthenticated(r.error) || absl::IsPermissionDenied(r.error));
}

constexpr absl::Duration kMaxBackoff = absl::Minutes(5);

// The identity of an input file for taken.list: name, size and mtime.
std::string TakenKey(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  const auto mtime = fs::last_write_time(p, ec).time_since_epoch().count();
  return absl::StrCat(p.filename().string(), "\t", size, "\t", mtime);
}

// Claims `src` for processing when it cannot be renamed (a read-only input
// folder): copies it to `claimed` through a temporary name and records it in
// `taken_list`. False when the copy fails (logged by the caller's pass).
bool ClaimByCopy(const fs::path& src, const fs::path& claimed, const fs::path& taken_list,
                 const std::string& key, std::set<std::string>* taken) {
  std::error_code ec;
  const fs::path tmp = claimed.string() + ".tmp";
  fs::copy_file(src, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) return false;
  fs::rename(tmp, claimed, ec);
  if (ec) return false;
  std::ofstream out(taken_list, std::ios::app);
  out << key << "\n";
  out.flush();
  if (!out) return false;
  taken->insert(key);
  return true;
}

struct Seen {
  uintmax_t size = 0;
  fs::file_time_type mtime;
  absl::Time since;
};

}  // namespace

int WatchFolder(const WatchOptions& options, const ProcessFileFn& process, std::ostream& log) {
  const fs::path dir(options.dir);
  const fs::path work(options.work_dir.empty() ? options.dir : options.work_dir);
  const fs::path processing = work / "processing";
  const fs::path done = work / "done";
  const fs::path failed = work / "failed";
  const fs::path taken_list = work / "taken.list";
  std::error_code ec;
  for (const fs::path& d : {processing, done, failed}) {
    fs::create_directories(d, ec);
    if (ec) {
      log << "cannot create " << d.string() << ": " << ec.message()
          << (options.work_dir.empty() ? " (a read-only input folder needs --work_dir)" : "")
          << "\n";
      return kExitLocalError;
    }
  }
  std::set<std::string> taken;
  {
    std::ifstream in(taken_list);
    for (std::string line; std::getline(in, line);) taken.insert(line);
  }
  auto stopped = [&] { return options.stop != nullptr && options.stop->load(); };
  int last_bad = kExitOk;
  // Set when a file must be retried: the rest of the pass is skipped (every
  // file would fail alike) and the next pass waits `backoff`, doubling up to
  // kMaxBackoff until a file goes through.
  bool deferred = false;
  absl::Duration backoff = absl::ZeroDuration();

  // Runs a file already in processing/ and files it.
  auto run = [&](const fs::path& claimed) {
    const std::string name = claimed.filename().string();
    const std::string rejected = claimed.string() + ".rejected.jsonl";
    RunResult result = process(claimed.string(), rejected);
    log << result.Report();
    log.flush();
    if (RetryLater(result)) {
      last_bad = result.exit_code;
      deferred = true;
      backoff = std::min(kMaxBackoff, std::max(2 * backoff, options.poll_interval));
      log << name << " stays in " << claimed.parent_path().string() << " (" << result.error
          << "); retrying in " << absl::FormatDuration(backoff) << "\n";
      return;  // stays in processing/ and resumes later
    }
    backoff = absl::ZeroDuration();
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
    deferred = false;
    for (const fs::path& p : leftovers) {
      if (stopped() || deferred) break;
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
      if (stopped() || deferred) break;
      const std::string key = TakenKey(p);
      if (taken.count(key) > 0) continue;  // copied from a read-only folder before
      const fs::path claimed = FreeName(processing, p.filename().string());
      std::error_code claim_ec;
      fs::rename(p, claimed, claim_ec);
      const bool cannot_move = claim_ec == std::errc::read_only_file_system ||
                               claim_ec == std::errc::permission_denied ||
                               claim_ec == std::errc::operation_not_permitted ||
                               claim_ec == std::errc::cross_device_link;
      if (claim_ec && !(cannot_move && ClaimByCopy(p, claimed, taken_list, key, &taken))) {
        continue;  // another connector took it
      }
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
    const absl::Time until =
        absl::Now() + (deferred ? std::max(backoff, options.poll_interval) : options.poll_interval);
    while (!stopped() && absl::Now() < until) {
      absl::SleepFor(std::min(absl::Milliseconds(100), until - absl::Now()));
    }
  }
  return options.once ? last_bad : kExitOk;
}

}  // namespace collections::connectors
