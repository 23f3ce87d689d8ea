// Start-up failures of a real collectionsd process:
// every bad flag or unreachable dependency ends with one line on stderr and
// a documented exit code (main.cc), never a signal; the gRPC port is
// exclusive; the SQLite files are private whatever the umask.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/api/prod_support.h"
#include "tests/reliability/daemon_process.h"

namespace collections::testing {
namespace {

// The error lines of `log` (each line is one JSON object).
std::vector<std::string> OwnLines(const std::string& log) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    // gRPC's own messages carry "source"; collectionsd's do not.
    if (absl::StrContains(line, "\"level\":\"error\"") && !absl::StrContains(line, "\"source\":")) {
      out.emplace_back(line);
    }
  }
  return out;
}

// A structured log line: one JSON object that opens with ts (RFC 3339
// UTC), level and msg, and names status codes, never numbers.
void ExpectLogLine(absl::string_view line) {
  EXPECT_TRUE(absl::StartsWith(line, "{\"ts\":\"20")) << line;
  EXPECT_TRUE(absl::EndsWith(line, "}")) << line;
  EXPECT_TRUE(absl::StrContains(line, "Z\",\"level\":\"")) << line;
  EXPECT_TRUE(absl::StrContains(line, "\",\"msg\":\"")) << line;
  EXPECT_FALSE(absl::StrContains(line, "\"code\":1")) << line;
}

struct BadStart {
  std::string name;
  std::vector<std::string> flags;
  int exit_code;
  std::string message_part;
};

TEST(Startup, EveryBadFlagOrDependencyExitsWithOneLineAndADocumentedCode) {
  TempDir dir;
  dir.Write("not-a-dir", "x");
  const std::vector<BadStart> cases = {
      {"unknown store scheme", {"--store=bogus:x"}, 2, "bogus:x"},
      {"sqlite path under a file",
       {"--store=sqlite:" + dir.File("not-a-dir/ledger.db")},
       3,
       "not-a-dir/ledger.db"},
      {"sqlite path in a missing folder",
       {"--store=sqlite:" + dir.File("missing/ledger.db")},
       3,
       "missing/ledger.db"},
      {"bad synchronous option",
       {"--store=sqlite:" + dir.File("a.db") + "?synchronous=off"},
       2,
       "synchronous"},
      {"unreachable postgresql",
       {"--store=postgresql://collections@127.0.0.1:1/ledger?connect_timeout=2"},
       3,
       "postgresql"},
      {"listen address not of this host",
       {"--store=sqlite:" + dir.File("b.db"), "--listen=192.0.2.1:50051",
        "--allow_insecure_remote"},
       4,
       "192.0.2.1:50051"},
      {"unknown auth mode", {"--store=sqlite:" + dir.File("c.db"), "--auth=magic"}, 2, "magic"},
      {"bad http listen address",
       {"--store=sqlite:" + dir.File("d.db"), "--http_listen=127.0.0.1:notaport"},
       2,
       "notaport"},
  };
  for (const BadStart& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string log = dir.File("bad.log");
    std::remove(log.c_str());
    std::vector<std::string> flags = c.flags;
    if (std::none_of(flags.begin(), flags.end(),
                     [](const std::string& f) { return absl::StartsWith(f, "--listen="); })) {
      flags.push_back("--listen=127.0.0.1:0");
    }
    const Exit e = RunToEnd(COLLECTIONSD_PATH, flags, log);
    const std::string text = ReadAll(log);
    EXPECT_EQ(e.signal, 0) << text;
    EXPECT_EQ(e.code, c.exit_code) << text;
    const std::vector<std::string> lines = OwnLines(text);
    ASSERT_EQ(lines.size(), 1u) << text;
    EXPECT_NE(lines[0].find(c.message_part), std::string::npos) << lines[0];
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      ExpectLogLine(line);
    }
    EXPECT_TRUE(absl::StrContains(lines[0], "\"code\":\"")) << lines[0];
  }
}

TEST(Startup, EveryLifecycleLogLineIsOneJsonObject) {
  TempDir dir;
  absl::StatusOr<Daemon> d = StartDaemon(
      COLLECTIONSD_PATH, {"--listen=127.0.0.1:0", "--store=sqlite:" + dir.File("ledger.db")},
      dir.File("d.log"));
  ASSERT_TRUE(d.ok()) << d.status();
  kill(d->pid, SIGTERM);
  EXPECT_EQ(WaitExit(d->pid).code, 0);
  const std::string text = ReadAll(dir.File("d.log"));
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) ExpectLogLine(line);
  for (const char* msg : {"serving", "shutting down", "stopped"}) {
    EXPECT_TRUE(absl::StrContains(text, absl::StrCat("\"level\":\"info\",\"msg\":\"", msg, "\"")))
        << msg << "\n"
        << text;
  }
}

TEST(Startup, HelpListsEveryFlagWithItsDefaultAndVersionNamesTheBuild) {
  TempDir dir;
  const Exit help = RunToEnd(COLLECTIONSD_PATH, {"--help"}, dir.File("help.log"));
  EXPECT_EQ(help.code, 0);
  const std::string help_text = ReadAll(dir.File("help.log"));
  for (const char* flag :
       {"--listen=127.0.0.1:50051", "--store=sqlite:collections.db", "--shutdown_grace=10s",
        "--auth=none", "--tls_cert=\"\"", "--rate_limit_qps="}) {
    EXPECT_TRUE(absl::StrContains(help_text, flag)) << flag << "\n" << help_text;
  }
  const Exit version = RunToEnd(COLLECTIONSD_PATH, {"--version"}, dir.File("version.log"));
  EXPECT_EQ(version.code, 0);
  const std::string version_text = ReadAll(dir.File("version.log"));
  EXPECT_TRUE(absl::StartsWith(version_text, "collectionsd 0.")) << version_text;
  EXPECT_TRUE(absl::StrContains(version_text, "(commit ")) << version_text;
#ifdef NDEBUG
  EXPECT_TRUE(absl::StrContains(version_text, ", Release build)")) << version_text;
#endif
  const Exit unknown = RunToEnd(COLLECTIONSD_PATH, {"--no_such_flag=1"}, dir.File("bad.log"));
  EXPECT_EQ(unknown.code, 2);
  const Exit kebab = RunToEnd(COLLECTIONSD_PATH, {"--shutdown-grace=x"}, dir.File("kebab.log"));
  EXPECT_EQ(kebab.code, 2);  // the alias is found; its value is refused
  EXPECT_TRUE(absl::StrContains(ReadAll(dir.File("kebab.log")), "--shutdown_grace=x"));
}

TEST(Startup, ASecondInstanceOnTheSamePortFailsWithAddressInUse) {
  TempDir dir;
  absl::StatusOr<Daemon> first =
      StartDaemon(COLLECTIONSD_PATH, {"--listen=127.0.0.1:0", "--store=sqlite:" + dir.File("a.db")},
                  dir.File("a.log"));
  ASSERT_TRUE(first.ok()) << first.status();
  const Exit second = RunToEnd(
      COLLECTIONSD_PATH,
      {absl::StrCat("--listen=127.0.0.1:", first->port), "--store=sqlite:" + dir.File("b.db")},
      dir.File("b.log"));
  const std::string text = ReadAll(dir.File("b.log"));
  EXPECT_EQ(second.signal, 0) << text;
  EXPECT_EQ(second.code, 4) << text;
  EXPECT_NE(text.find("address in use"), std::string::npos) << text;
  kill(first->pid, SIGTERM);
  EXPECT_EQ(WaitExit(first->pid).code, 0);
}

TEST(Startup, DataFilesAreCreatedPrivateWhateverTheUmask) {
  TempDir dir;
  const mode_t old_umask = umask(0);  // the child inherits it
  absl::StatusOr<Daemon> d = StartDaemon(
      COLLECTIONSD_PATH, {"--listen=127.0.0.1:0", "--store=sqlite:" + dir.File("ledger.db")},
      dir.File("d.log"));
  umask(old_umask);
  ASSERT_TRUE(d.ok()) << d.status();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st;
    const std::string path = dir.File(std::string("ledger.db") + suffix);
    ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  kill(d->pid, SIGTERM);
  EXPECT_EQ(WaitExit(d->pid).code, 0);
}

}  // namespace
}  // namespace collections::testing
