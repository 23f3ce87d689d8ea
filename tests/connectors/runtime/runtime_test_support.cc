#include "tests/connectors/runtime/runtime_test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"

extern char** environ;

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;

TempDir::TempDir() {
  char tmpl[] = "/tmp/collections-rt-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

LoopbackServer::LoopbackServer(int port)
    : server_(absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12, 0, 0), absl::UTCTimeZone()),
              absl::StrCat("127.0.0.1:", port)),
      port_(server_.server().port()) {}

std::unique_ptr<connectors::LedgerClient> LoopbackServer::Client(int max_attempts) {
  connectors::ClientOptions o;
  o.max_attempts = max_attempts;
  o.initial_backoff = absl::Milliseconds(50);
  o.max_backoff = absl::Milliseconds(500);
  o.jitter_seed = 42;
  o.call_timeout = absl::Seconds(30);
  return std::make_unique<connectors::LedgerClient>(connectors::MakeConnectorChannel(address()), o);
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

namespace {

std::string Text(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(m, &out);
  return out;
}

}  // namespace

std::string DumpLedger(connectors::LedgerClient& client, const std::string& tenant) {
  std::string out;
  std::string token;
  do {
    v1::ListCustomersRequest req;
    req.set_parent("tenants/" + tenant);
    req.set_page_size(1000);
    req.set_page_token(token);
    auto customers = client.ListCustomers(req);
    EXPECT_TRUE(customers.ok()) << customers.status();
    if (!customers.ok()) return "";
    for (const v1::Customer& c : customers->customers()) {
      absl::StrAppend(&out, "== customer\n", Text(c));
      std::string t;
      do {
        v1::ListInvoicesRequest r;
        r.set_parent(c.name());
        r.set_page_size(1000);
        r.set_page_token(t);
        auto page = client.ListInvoices(r);
        EXPECT_TRUE(page.ok()) << page.status();
        if (!page.ok()) return "";
        for (const auto& i : page->invoices()) absl::StrAppend(&out, "-- invoice\n", Text(i));
        t = page->next_page_token();
      } while (!t.empty());
      do {
        v1::ListCreditNotesRequest r;
        r.set_parent(c.name());
        r.set_page_size(1000);
        r.set_page_token(t);
        auto page = client.ListCreditNotes(r);
        EXPECT_TRUE(page.ok()) << page.status();
        if (!page.ok()) return "";
        for (const auto& i : page->credit_notes()) {
          absl::StrAppend(&out, "-- credit note\n", Text(i));
        }
        t = page->next_page_token();
      } while (!t.empty());
      do {
        v1::ListPaymentsRequest r;
        r.set_parent(c.name());
        r.set_page_size(1000);
        r.set_page_token(t);
        auto page = client.ListPayments(r);
        EXPECT_TRUE(page.ok()) << page.status();
        if (!page.ok()) return "";
        for (const auto& i : page->payments()) absl::StrAppend(&out, "-- payment\n", Text(i));
        t = page->next_page_token();
      } while (!t.empty());
      v1::GetAccountSummaryRequest sr;
      sr.set_customer(c.name());
      sr.mutable_as_of()->set_year(2026);
      sr.mutable_as_of()->set_month(11);
      sr.mutable_as_of()->set_day(20);
      auto summary = client.GetAccountSummary(sr);
      EXPECT_TRUE(summary.ok()) << summary.status();
      if (summary.ok()) absl::StrAppend(&out, "-- summary\n", Text(*summary));
    }
    token = customers->next_page_token();
  } while (!token.empty());
  return out;
}

connectors::GenExportStats WriteIif(const std::string& path,
                                    const connectors::GenExportOptions& options) {
  std::ofstream out(path, std::ios::binary);
  return connectors::GenerateIif(options, out);
}

namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argp[0], &fa, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  EXPECT_EQ(rc, 0) << "cannot start " << argv[0];
  return rc == 0 ? pid : -1;
}

ProcessResult Wait(pid_t pid) {
  ProcessResult r;
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, 0) != pid) return r;
  if (WIFSIGNALED(status)) {
    r.killed = true;
    r.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  }
  return r;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env) {
  TempDir dir;
  const pid_t pid = Spawn(argv, env, dir.File("out"), dir.File("err"));
  ProcessResult r = Wait(pid);
  r.out = ReadFile(dir.File("out"));
  r.err = ReadFile(dir.File("err"));
  return r;
}

pid_t StartProcess(const std::vector<std::string>& argv) {
  return Spawn(argv, {}, "/dev/null", "/dev/null");
}

ProcessResult WaitProcess(pid_t pid) { return Wait(pid); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace collections::testing
