#include "tests/store/pg_harness.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace collections::testing {
namespace fs = std::filesystem;

bool PostgresRequired() {
#ifndef COLLECTIONS_HAVE_POSTGRES
  return false;  // Built without the backend: nothing can require it.
#endif
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

namespace {

// Who runs initdb and the server: ourselves, or `postgres` when we are root.
struct Identity {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 2000) s = s.substr(s.size() - 2000);
  return s;
}

// Starts argv[0] with output appended to `log`. In the child only
// async-signal-safe calls happen (the test process may have threads).
// `death_signal` (0 = none) is sent to the child when the forking thread
// exits.
absl::StatusOr<pid_t> Spawn(const Identity& who, const std::vector<std::string>& args,
                            const std::string& log, int death_signal) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (who.drop) {
      if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(126);
    }
    // After setuid: a credential change clears the parent-death signal.
    if (death_signal != 0) {
      prctl(PR_SET_PDEATHSIG, death_signal);
      if (getppid() != parent) _exit(125);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

absl::Status RunToCompletion(const Identity& who, const std::vector<std::string>& args,
                             const std::string& log) {
  absl::StatusOr<pid_t> pid = Spawn(who, args, log, /*death_signal=*/0);
  if (!pid.ok()) return pid.status();
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat(args[0], " failed (status ", status, "); log ", log, ":\n", LogTail(log)));
  }
  return absl::OkStatus();
}

std::optional<fs::path> FindBinDir() {
  if (const char* dir = std::getenv("COLLECTIONS_PG_BINDIR"); dir != nullptr && *dir != '\0') {
    if (!fs::exists(fs::path(dir) / "initdb")) return std::nullopt;
    return fs::path(dir);
  }
  std::optional<fs::path> best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    int version = std::atoi(entry.path().filename().c_str());
    if (fs::exists(bin / "initdb") && fs::exists(bin / "postgres") && version > best_version) {
      best = bin;
      best_version = version;
    }
  }
  return best;
}

// Clusters live in memory when possible (/dev/shm): nothing of them needs
// to survive, and copying and starting them is then several times faster.
fs::path TempRoot() {
  if (const char* dir = std::getenv("COLLECTIONS_PG_TMPDIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  // A container's /dev/shm is often 64 MB; a cluster takes about 40 MB.
  struct statvfs fs_stats;
  if (access("/dev/shm", W_OK | X_OK) == 0 && statvfs("/dev/shm", &fs_stats) == 0 &&
      static_cast<uint64_t>(fs_stats.f_bavail) * fs_stats.f_frsize > (uint64_t{1} << 30)) {
    return "/dev/shm";
  }
  return "/tmp";
}

// Removes cluster folders left by test processes that were killed before
// their atexit handler ran (the folder name carries the owner's pid; the
// server itself died with its parent).
void RemoveStaleClusters(const fs::path& root) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    int owner = 0;
    if (name.rfind("collections-pg-", 0) != 0 || name.rfind("collections-pg-template", 0) == 0 ||
        std::sscanf(name.c_str(), "collections-pg-%d-", &owner) != 1 || owner <= 0) {
      continue;
    }
    if (kill(owner, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

// The running server, stopped from an atexit handler in the process that
// started it (not in forked children that exit).
struct Running {
  pid_t owner = 0;
  pid_t server = 0;
  fs::path dir;
};
Running* g_running = nullptr;

void StopAtExit() {
  if (g_running == nullptr || getpid() != g_running->owner) return;
  if (g_running->server > 0) {
    kill(g_running->server, SIGQUIT);  // immediate: the folder is deleted anyway
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    int status = 0;
    while (waitpid(g_running->server, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(g_running->server, SIGKILL);
        waitpid(g_running->server, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  std::error_code ec;
  fs::remove_all(g_running->dir, ec);
}

}  // namespace

// Starts the server once; see the header for the layout.
class PgClusterStarter {
 public:
  static absl::StatusOr<PgCluster*> Start() {
    if (const char* uri = std::getenv("COLLECTIONS_TEST_PG_URI"); uri != nullptr && *uri != '\0') {
      if (PQping(uri) != PQPING_OK) {
        return absl::UnavailableError(
            absl::StrCat("COLLECTIONS_TEST_PG_URI=", uri, " does not answer"));
      }
      return new PgCluster(uri);
    }
    std::optional<fs::path> bin = FindBinDir();
    if (!bin) {
      return absl::UnavailableError(
          "no PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/*/bin; "
          "install Debian's `postgresql` package (deploy/install.sh) or set "
          "COLLECTIONS_PG_BINDIR or COLLECTIONS_TEST_PG_URI");
    }
    Identity who;
    if (geteuid() == 0) {
      const passwd* pw = getpwnam("postgres");
      if (pw == nullptr) {
        return absl::UnavailableError("running as root and there is no `postgres` user for initdb");
      }
      who = Identity{true, pw->pw_uid, pw->pw_gid};
    }
    const fs::path root = TempRoot();
    RemoveStaleClusters(root);
    std::string tmpl = (root / absl::StrCat("collections-pg-", getpid(), "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
    const fs::path dir = tmpl;
    g_running = new Running{getpid(), 0, dir};
    std::atexit(StopAtExit);
    if (who.drop && chown(dir.c_str(), who.uid, who.gid) != 0) {
      return absl::InternalError("chown of the cluster folder to postgres failed");
    }
    const fs::path data = dir / "data";
    if (absl::Status st = MakeDataDir(who, *bin, data, (dir / "initdb.log").string()); !st.ok()) {
      return st;
    }
    const std::string log = (dir / "postgres.log").string();
    // The parent-death signal belongs to the thread that forks: only tie the
    // server to us when that thread is the main thread (which lives as long
    // as the process).
    const bool main_thread = syscall(SYS_gettid) == getpid();
    absl::StatusOr<pid_t> pid =
        Spawn(who,
              {(*bin / "postgres").string(), "-D", data.string(), "-k", dir.string(), "-c",
               "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
               "full_page_writes=off", "-c", "max_connections=200"},
              log, main_thread ? SIGQUIT : 0);  // SIGQUIT = immediate shutdown
    if (!pid.ok()) return pid.status();
    g_running->server = *pid;
    const std::string uri =
        absl::StrCat("postgresql:///postgres?host=", dir.string(), "&user=postgres");
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (PQping(uri.c_str()) != PQPING_OK) {
      int status = 0;
      if (waitpid(*pid, &status, WNOHANG) == *pid) {
        g_running->server = 0;
        return absl::InternalError(absl::StrCat("postgres exited at start; log:\n", LogTail(log)));
      }
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("postgres did not accept connections in 60 s; log:\n", LogTail(log)));
      }
      absl::SleepFor(absl::Milliseconds(25));
    }
    return new PgCluster(uri);
  }

 private:
  // initdb costs about 1.5 s of CPU and ctest runs every test in its own
  // process, so a pristine initdb result is kept once per server version
  // and user next to the clusters and copied (cp -a) for each cluster.
  static absl::Status MakeDataDir(const Identity& who, const fs::path& bin, const fs::path& data,
                                  const std::string& log) {
    const fs::path cache =
        TempRoot() / absl::StrCat("collections-pg-template-", geteuid(), "-",
                                  absl::StrReplaceAll(bin.string(), {{"/", "_"}}));
    const Identity self;
    if (fs::exists(cache / "PG_VERSION") &&
        RunToCompletion(self, {"/bin/cp", "-a", cache.string(), data.string()}, log).ok()) {
      return absl::OkStatus();
    }
    absl::Status st =
        RunToCompletion(who,
                        {(bin / "initdb").string(), "-D", data.string(), "-U", "postgres", "-A",
                         "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                        log);
    if (!st.ok()) return st;
    // Publish the template atomically; losing the race to another process
    // is fine (rename onto a non-empty folder fails and ours is removed).
    const fs::path staging = fs::path(absl::StrCat(cache.string(), ".", getpid()));
    if (RunToCompletion(self, {"/bin/cp", "-a", data.string(), staging.string()}, log).ok()) {
      std::error_code ec;
      fs::rename(staging, cache, ec);
      if (ec) fs::remove_all(staging, ec);
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<PgCluster*> PgCluster::Get() {
  static std::once_flag once;
  static absl::StatusOr<PgCluster*>* cluster = nullptr;
  std::call_once(once, [] { cluster = new absl::StatusOr<PgCluster*>(PgClusterStarter::Start()); });
  return *cluster;
}

std::string PgCluster::UriFor(absl::string_view name) const {
  // uri_ is "<scheme>://<authority>/<db>[?query]": swap the database.
  const size_t scheme = uri_.find("://");
  const size_t slash = uri_.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const size_t query = uri_.find('?');
  std::string out = uri_.substr(0, slash == std::string::npos ? uri_.size() : slash);
  absl::StrAppend(&out, "/", name);
  if (query != std::string::npos) absl::StrAppend(&out, uri_.substr(query));
  return out;
}

absl::StatusOr<std::string> PgCluster::CreateDatabase() {
  const std::string name = absl::StrCat("t_", getpid(), "_", next_db_++);
  // FILE_COPY: copying the template's files is faster than WAL-logging them
  // (PostgreSQL 15's default), and this server does not keep WAL anyway.
  absl::Status st =
      PgQuery(uri_, absl::StrCat("CREATE DATABASE ", name, " STRATEGY FILE_COPY")).status();
  if (!st.ok()) st = PgQuery(uri_, absl::StrCat("CREATE DATABASE ", name)).status();  // before 15
  if (!st.ok()) return st;
  return UriFor(name);
}

absl::StatusOr<std::string> PgQuery(const std::string& uri, const std::string& sql) {
  PGconn* c = PQconnectdb(uri.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    return absl::UnavailableError(absl::StrCat("connect ", uri, ": ", msg));
  }
  PGresult* r = PQexec(c, sql.c_str());
  absl::StatusOr<std::string> out;
  if (PQresultStatus(r) == PGRES_TUPLES_OK) {
    out = PQntuples(r) > 0 && PQnfields(r) > 0 ? std::string(PQgetvalue(r, 0, 0)) : "";
  } else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
    out = "";
  } else {
    out = absl::InternalError(absl::StrCat(sql, ": ", PQresultErrorMessage(r)));
  }
  PQclear(r);
  PQfinish(c);
  return out;
}

absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& args, const std::string& log) {
  return Spawn(Identity{}, args, log, SIGKILL);
}

absl::StatusOr<std::string> FreshPostgresDatabase() {
#ifndef COLLECTIONS_HAVE_POSTGRES
  return absl::UnavailableError(
      "built with COLLECTIONS_WITH_POSTGRES=OFF (no PostgreSQL store), skipping");
#endif
  absl::StatusOr<PgCluster*> pg = PgCluster::Get();
  if (!pg.ok()) {
    return absl::Status(pg.status().code(),
                        absl::StrCat(PostgresRequired() ? "CI=true requires PostgreSQL: "
                                                        : "PostgreSQL unavailable, skipping: ",
                                     pg.status().message()));
  }
  return (*pg)->CreateDatabase();
}

void PostgresTest::SetUp() {
  absl::StatusOr<std::string> uri = FreshPostgresDatabase();
  if (!uri.ok()) {
    if (PostgresRequired()) FAIL() << uri.status();
    GTEST_SKIP() << uri.status();
  }
  uri_ = *uri;
}

}  // namespace collections::testing
