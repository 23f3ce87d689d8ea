// Unit tests of the connector runtime's parts: flags, checkpoints, hashing,
// backoff, the retry policy against a fake LedgerService, reports.
#include <grpcpp/grpcpp.h>

#include <unistd.h>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "connectors/common/checkpoint.h"
#include "connectors/common/client.h"
#include "connectors/common/connector_main.h"
#include "connectors/common/progress.h"
#include "connectors/common/runner.h"
#include "connectors/common/watch.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

namespace fs = std::filesystem;

std::string TempPath(const std::string& name) {
  return (fs::temp_directory_path() / absl::StrCat("rt-unit-", getpid(), "-", name)).string();
}

TEST(Flags, ParsesForms) {
  std::vector<FlagDef> defs = {{"server", "127.0.0.1:50051", ""},
                               {"quarantine", "false", "", true},
                               {"chunk-size", "500", ""}};
  std::vector<std::string> positional;
  auto f = ParseFlags(defs, {"export", "--quarantine", "--chunk_size", "10", "--server=h:1"},
                      &positional);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(positional, std::vector<std::string>{"export"});
  EXPECT_TRUE(f->Bool("quarantine"));
  EXPECT_EQ(f->Get("chunk-size"), "10");
  EXPECT_EQ(f->Get("server"), "h:1");
  EXPECT_TRUE(f->Given("server"));

  auto d = ParseFlags(defs, {}, &positional);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->Get("server"), "127.0.0.1:50051");
  EXPECT_FALSE(d->Given("server"));
  EXPECT_FALSE(d->Bool("quarantine"));
}

TEST(Flags, RejectsUnknownAndMissingValues) {
  std::vector<FlagDef> defs = {{"tenant", "", ""}};
  std::vector<std::string> positional;
  auto unknown = ParseFlags(defs, {"--tennant=acme"}, &positional);
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "--tennant"));
  auto missing = ParseFlags(defs, {"--tenant"}, &positional);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
}

// A format whose specification fixes the number notation (MT940, DATEV,
// OFX) shows it as a fact, not as a "(default ...)" the flag could change;
// a locale-dependent format shows its default.
TEST(Flags, NumberFormatHelpStatesAFixedNotation) {
  auto number_format_help = [](const ConnectorSpec& spec) {
    const std::string usage = ConnectorUsage(spec);
    const size_t at = usage.find("--number_format");
    EXPECT_NE(at, std::string::npos) << usage;
    return usage.substr(at, usage.find("\n  --", at + 1) - at);
  };
  ConnectorSpec fixed;
  fixed.program = "collections-mt940";
  fixed.number_format = kCommaDecimal;
  fixed.number_format_fixed = true;
  std::string help = number_format_help(fixed);
  EXPECT_TRUE(absl::StrContains(help, "always 1234,56, fixed by")) << help;
  EXPECT_FALSE(absl::StrContains(help, "(default")) << help;
  fixed.number_format_help = "decimal point or comma";
  EXPECT_TRUE(absl::StrContains(number_format_help(fixed), "decimal point or comma"));
  EXPECT_FALSE(absl::StrContains(number_format_help(fixed), "(default"));
  ConnectorSpec locale;
  locale.program = "collections-iif";
  locale.number_format = kPointDecimalGrouped;
  locale.number_format_fixed = false;
  EXPECT_TRUE(absl::StrContains(number_format_help(locale), "(default 1,234.56)"));
}

// D8: one document that cannot be rendered does not stop a one-file-per-
// document export; the others are written and the failure names it.
TEST(Export, OneBadDocumentDoesNotHoldBackTheOthers) {
  ExportSet set;
  set.customers.emplace_back().mutable_external_ref()->set_id("c1");
  for (const char* number : {"FEE-1", "FEE-2", "FEE-3"}) {
    v1::SyncRecord& r = set.records.emplace_back();
    r.set_customer_ref("c1");
    r.mutable_invoice()->set_number(number);
  }
  const std::string dir = TempPath("one-file-per-document");
  fs::remove_all(dir);
  std::ostringstream listed;
  absl::Status st = WriteOneFilePerDocument(
      set, dir, ".xml",
      [](const v1::SyncRecord& r, const v1::Customer&) -> absl::StatusOr<std::string> {
        if (r.invoice().number() == "FEE-2") {
          return domain::InvalidInput("PEPPOL_RULE", "BR-CO-15", "total is not lines + VAT");
        }
        return "<Invoice/>";
      },
      listed);
  EXPECT_EQ(domain::ReasonOf(st), "DOCUMENTS_NOT_WRITTEN");
  EXPECT_TRUE(absl::StrContains(st.message(), "1 of 3 documents not written")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "invoice FEE-2 of customer c1: BR-CO-15: total is"))
      << st;
  EXPECT_TRUE(fs::exists(dir + "/FEE-1.xml"));
  EXPECT_FALSE(fs::exists(dir + "/FEE-2.xml"));
  EXPECT_TRUE(fs::exists(dir + "/FEE-3.xml"));
  EXPECT_EQ(listed.str(), dir + "/FEE-1.xml\n" + dir + "/FEE-3.xml\n");
  fs::remove_all(dir);
}

TEST(Checkpoint, Sha256KnownAnswer) {
  // FIPS 180-2 appendix B.1.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string path = TempPath("abc");
  std::ofstream(path) << "abc";
  auto id = IdentifyFile(path);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->size, 3);
  EXPECT_EQ(id->sha256, Sha256Hex("abc"));
  fs::remove(path);
  EXPECT_EQ(IdentifyFile(path).status().code(), absl::StatusCode::kNotFound);
}

TEST(Checkpoint, RoundTripsAndDetectsOtherRuns) {
  const std::string path = TempPath("ckpt");
  auto absent = ReadCheckpoint(path);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());

  Checkpoint c;
  c.format = "iif";
  c.sync_id = "iif-0123";
  c.file = {1234, std::string(64, 'a')};
  c.options = "opts";
  c.next_chunk = 7;
  c.records_done = 3500;
  c.issues_done = 2;
  c.report_bytes = 99;
  c.created = 10;
  c.unchanged = 3490;
  c.quarantined = 2;
  ASSERT_TRUE(WriteCheckpoint(path, c).ok());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  auto back = ReadCheckpoint(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->has_value());
  const Checkpoint& b = **back;
  EXPECT_TRUE(b.SameRun(c));
  EXPECT_EQ(b.next_chunk, 7);
  EXPECT_EQ(b.records_done, 3500);
  EXPECT_EQ(b.issues_done, 2);
  EXPECT_EQ(b.report_bytes, 99);
  EXPECT_EQ(b.unchanged, 3490);
  EXPECT_EQ(b.quarantined, 2);

  Checkpoint other = c;
  other.file.sha256 = std::string(64, 'b');
  EXPECT_FALSE(b.SameRun(other));
  ASSERT_TRUE(RemoveCheckpoint(path).ok());
  EXPECT_TRUE(RemoveCheckpoint(path).ok());
}

TEST(Checkpoint, TornOrForeignFilesAreCorrupt) {
  const std::string path = TempPath("torn");
  std::ofstream(path) << "# collections connector checkpoint v1\nformat iif\nsync_id x\n";
  auto torn = ReadCheckpoint(path);
  EXPECT_EQ(torn.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(domain::ReasonOf(torn.status()), "CHECKPOINT_CORRUPT");
  std::ofstream(path) << "hello\n";
  EXPECT_FALSE(ReadCheckpoint(path).ok());
  fs::remove(path);
}

TEST(Checkpoint, PathIsByContentInAStateDir) {
  FileIdentity id{10, std::string(64, 'c')};
  EXPECT_EQ(CheckpointPath("", "/x/export.iif", id, "opts"), "/x/export.iif.checkpoint");
  const std::string p = CheckpointPath("/state", "/x/export.iif", id, "0123456789");
  EXPECT_EQ(p, "/state/" + std::string(32, 'c') + "-01234567.checkpoint");
}

TEST(Backoff, GrowsExponentiallyUpToTheCap) {
  ClientOptions o;
  o.initial_backoff = absl::Milliseconds(100);
  o.backoff_multiplier = 2;
  o.max_backoff = absl::Seconds(1);
  EXPECT_EQ(BackoffCeiling(1, o), absl::Milliseconds(100));
  EXPECT_EQ(BackoffCeiling(2, o), absl::Milliseconds(200));
  EXPECT_EQ(BackoffCeiling(4, o), absl::Milliseconds(800));
  EXPECT_EQ(BackoffCeiling(5, o), absl::Seconds(1));
  EXPECT_EQ(BackoffCeiling(30, o), absl::Seconds(1));
}

TEST(Backoff, RetryablesAreTransientOnly) {
  EXPECT_TRUE(IsRetryable(grpc::StatusCode::UNAVAILABLE));
  EXPECT_TRUE(IsRetryable(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_TRUE(IsRetryable(grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_TRUE(IsRetryable(grpc::StatusCode::ABORTED));
  EXPECT_FALSE(IsRetryable(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_FALSE(IsRetryable(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_FALSE(IsRetryable(grpc::StatusCode::FAILED_PRECONDITION));
}

grpc::Status ExhaustedWithRetryInfo(absl::Duration delay) {
  google::rpc::Status details;
  details.set_code(static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(delay));
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(delay % absl::Seconds(1))));
  details.add_details()->PackFrom(info);
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy", details.SerializeAsString());
}

TEST(Backoff, ReadsRetryInfo) {
  auto d = RetryDelayOf(ExhaustedWithRetryInfo(absl::Milliseconds(1500)));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, absl::Milliseconds(1500));
  EXPECT_FALSE(RetryDelayOf(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x")).has_value());
}

// A LedgerService whose SyncLedger fails with scripted statuses before it
// answers.
class ScriptedLedger final : public v1::LedgerService::Service {
 public:
  std::vector<grpc::Status> failures;
  std::atomic<int> calls{0};

  grpc::Status SyncLedger(grpc::ServerContext*, grpc::ServerReader<v1::SyncLedgerRequest>* reader,
                          v1::SyncLedgerResponse* out) override {
    const int n = calls++;
    v1::SyncLedgerRequest chunk;
    while (reader->Read(&chunk)) {
      out->set_sync_id(chunk.sync_id());
      out->set_chunks_applied(out->chunks_applied() + 1);
    }
    if (n < static_cast<int>(failures.size())) return failures[n];
    return grpc::Status::OK;
  }
};

class FakeServer {
 public:
  explicit FakeServer(ScriptedLedger* service) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service);
    server_ = b.BuildAndStart();
  }
  ~FakeServer() { server_->Shutdown(); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

v1::SyncLedgerRequest Chunk() {
  v1::SyncLedgerRequest r;
  r.set_parent("tenants/acme");
  r.set_sync_id("s");
  return r;
}

TEST(Client, RetriesUnavailableThenSucceeds) {
  ScriptedLedger svc;
  svc.failures = {grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"),
                  grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")};
  FakeServer server(&svc);
  ClientOptions o;
  o.initial_backoff = absl::Milliseconds(5);
  o.jitter_seed = 1;
  std::vector<std::string> log;
  o.log = [&](absl::string_view line) { log.emplace_back(line); };
  LedgerClient client(MakeConnectorChannel(server.address()), o);
  auto r = client.SyncChunk(Chunk());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->sync_id(), "s");
  EXPECT_EQ(svc.calls.load(), 3);
  EXPECT_EQ(client.retries(), 2);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(absl::StrContains(log[0], "UNAVAILABLE: down; retry 1 of 7")) << log[0];
}

TEST(Client, HonoursRetryInfoOnResourceExhausted) {
  ScriptedLedger svc;
  svc.failures = {ExhaustedWithRetryInfo(absl::Milliseconds(300))};
  FakeServer server(&svc);
  ClientOptions o;
  o.initial_backoff = absl::Milliseconds(1);  // would retry almost at once
  LedgerClient client(MakeConnectorChannel(server.address()), o);
  const absl::Time start = absl::Now();
  auto r = client.SyncChunk(Chunk());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_EQ(svc.calls.load(), 2);
}

TEST(Client, RefusalsAreNotRetriedAndKeepTheirReason) {
  ScriptedLedger svc;
  svc.failures = {grpc_status::ToGrpcStatus(
      domain::InvalidInput("SYNC_STREAM_INCONSISTENT", "parent", "same parent please"))};
  FakeServer server(&svc);
  LedgerClient client(MakeConnectorChannel(server.address()), {});
  auto r = client.SyncChunk(Chunk());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(domain::ReasonOf(r.status()), "SYNC_STREAM_INCONSISTENT");
  EXPECT_EQ(svc.calls.load(), 1);
}

TEST(Client, GivesUpAfterMaxAttempts) {
  ScriptedLedger svc;
  for (int i = 0; i < 10; ++i)
    svc.failures.push_back(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x"));
  FakeServer server(&svc);
  ClientOptions o;
  o.max_attempts = 4;
  o.initial_backoff = absl::Milliseconds(1);
  LedgerClient client(MakeConnectorChannel(server.address()), o);
  auto r = client.SyncChunk(Chunk());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "after 4 attempts")) << r.status();
  EXPECT_EQ(svc.calls.load(), 4);
}

TEST(Client, InterruptStopsTheRetries) {
  ScriptedLedger svc;
  for (int i = 0; i < 10; ++i)
    svc.failures.push_back(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x"));
  FakeServer server(&svc);
  std::atomic<bool> interrupted{true};
  ClientOptions o;
  o.initial_backoff = absl::Seconds(5);
  o.interrupted = &interrupted;
  LedgerClient client(MakeConnectorChannel(server.address()), o);
  auto r = client.SyncChunk(Chunk());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(domain::ReasonOf(r.status()), "INTERRUPTED");
}

TEST(Report, RejectionsAsTextAndJson) {
  Rejection r{"parse",          "export.iif:12:7",           "AMOUNT",
              "INVALID_AMOUNT", "\"12x\" is not\tan amount", ""};
  EXPECT_EQ(r.ToString(), "export.iif:12:7: AMOUNT: \"12x\" is not\tan amount (INVALID_AMOUNT)");
  EXPECT_EQ(r.ToJson(),
            "{\"stage\":\"parse\",\"location\":\"export.iif:12:7\",\"field\":\"AMOUNT\","
            "\"reason\":\"INVALID_AMOUNT\",\"description\":\"\\\"12x\\\" is not\\tan amount\"}");
  r.external_id = "INV-1";
  EXPECT_TRUE(absl::EndsWith(r.ToJson(), ",\"external_id\":\"INV-1\"}"));
}

// The codes the connectors return (runner.h), the table their --help
// prints and README's list for users agree: each code once in the table
// under its name, and README lists exactly those codes, each described by
// its name in words ("2 input rejected").
TEST(Report, ExitCodesAreDocumented) {
  const std::vector<int> codes = {
      kExitOk,          kExitUsage,       kExitInputRejected, kExitServerRefused,
      kExitUnavailable, kExitQuarantined, kExitLocalError,    kExitInterrupted};
  std::map<int, std::string> table;  // code -> name, from the --help table
  std::istringstream lines(ExitCodeTable());
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    int code = 0;
    std::string name;
    if (words >> code >> name) {
      EXPECT_TRUE(table.emplace(code, name).second) << "listed twice: " << code;
    }
  }
  std::vector<int> tabled;
  for (const auto& [code, name] : table) tabled.push_back(code);
  EXPECT_EQ(tabled, codes);
  for (int code : codes) EXPECT_EQ(table[code], ExitCodeName(code)) << code;

  const std::string readme_path = std::string(COLLECTIONS_README);
  std::ifstream in(readme_path);
  ASSERT_TRUE(in.good()) << readme_path;
  std::stringstream all;
  all << in.rdbuf();
  const std::string readme = all.str();
  const size_t start = readme.find("Exit codes: 0 ok");
  ASSERT_NE(start, std::string::npos) << "README has no connector exit codes";
  const std::string list = readme.substr(start, readme.find(".\n", start) - start);
  std::map<int, std::string> documented;  // code -> its description in README
  for (absl::string_view item : absl::StrSplit(list.substr(strlen("Exit codes: ")), ", ")) {
    std::vector<std::string> parts = absl::StrSplit(item, absl::MaxSplits(' ', 1));
    int code = 0;
    ASSERT_TRUE(parts.size() == 2 && absl::SimpleAtoi(parts[0], &code)) << item;
    documented[code] = absl::StrReplaceAll(parts[1], {{"\n", " "}});
  }
  std::vector<int> in_readme;
  for (const auto& [code, text] : documented) in_readme.push_back(code);
  EXPECT_EQ(in_readme, codes);
  for (int code : codes) {
    const std::string words =
        absl::AsciiStrToLower(absl::StrReplaceAll(ExitCodeName(code), {{"_", " "}}));
    EXPECT_TRUE(absl::StartsWith(documented[code], words))
        << code << ": README says \"" << documented[code] << "\", the code is " << words;
  }
}

TEST(Progress, RendersBarRateAndRecords) {
  const std::string s =
      ProgressBar::Render("sync x.iif", 512 << 20, 1024 << 20, 1234, absl::Seconds(4), 10);
  EXPECT_EQ(s, "sync x.iif [=====>    ]  50% 512.0/1024.0 MB 128.0 MB/s 1234 records");
  EXPECT_FALSE(ProgressEnabled(ProgressMode::kNever));
  EXPECT_TRUE(ProgressEnabled(ProgressMode::kAlways));
}

// A wrong token (or an unreachable server) leaves
// the file in processing/ and retries with a growing pause; only bad
// content goes to failed/.
TEST(Watch, CredentialFailuresAreRetriedWithBackoffAndBadContentFails) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / absl::StrCat("watch-", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "a-export.iif") << "x";
  std::ofstream(dir / "b-bad.iif") << "y";
  std::atomic<bool> stop{false};
  std::vector<absl::Time> attempts;
  const int token_fixed_after = 3;  // the operator fixes the token after 3 refusals
  ProcessFileFn process = [&](const std::string& path, const std::string&) {
    RunResult r;
    if (absl::EndsWith(path, "b-bad.iif")) {
      r.exit_code = kExitInputRejected;
      stop = true;  // taken only after a-export.iif went through
      return r;
    }
    attempts.push_back(absl::Now());
    if (static_cast<int>(attempts.size()) <= token_fixed_after) {
      r.exit_code = kExitServerRefused;
      r.error = absl::UnauthenticatedError("invalid credentials");
    } else if (static_cast<int>(attempts.size()) == token_fixed_after + 1) {
      r.exit_code = kExitUnavailable;
      r.error = absl::UnavailableError("server restarting");
    }
    return r;
  };
  WatchOptions o;
  o.dir = dir.string();
  o.poll_interval = absl::Milliseconds(20);
  o.settle = absl::ZeroDuration();
  o.stop = &stop;
  std::ostringstream log;
  EXPECT_EQ(WatchFolder(o, process, log), kExitOk);
  ASSERT_EQ(attempts.size(), 5u);
  EXPECT_TRUE(fs::exists(dir / "done" / "a-export.iif")) << log.str();
  EXPECT_FALSE(fs::exists(dir / "failed" / "a-export.iif"));
  EXPECT_TRUE(fs::exists(dir / "failed" / "b-bad.iif"));
  // The pauses grow: 20, 40, 80, 160 ms. Each gap is at least its pause; a
  // gap may be longer on a loaded machine, so gaps are not compared with
  // each other (a late first retry would make the second look short).
  for (size_t i = 1; i < attempts.size(); ++i) {
    EXPECT_GE(attempts[i] - attempts[i - 1], o.poll_interval * (1 << (i - 1))) << i;
  }
  EXPECT_TRUE(absl::StrContains(log.str(), "retrying in 160ms")) << log.str();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace collections::connectors
