// End-to-end tests of the connector runtime through a real collectionsd on
// 127.0.0.1:0: in process through RunFile, and as the collections-iif
// executable in a subprocess for the crash-resume guarantee and watch mode.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "connectors/common/runner.h"
#include "connectors/iif/parse_iif.h"
#include "tests/connectors/runtime/runtime_test_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

namespace fs = std::filesystem;
using connectors::GenExportOptions;
using connectors::RunOptions;
using connectors::RunResult;

const connectors::ParseFn kParseIif =
    [](std::istream& in, const std::string&, const connectors::ParseOptions& o,
       const connectors::RecordSink& r,
       const connectors::IssueSink& i) { return connectors::ParseIif(in, o, r, i); };

RunOptions Options(const std::string& file, int chunk_size = 100) {
  RunOptions o;
  o.input_path = file;
  o.format = "iif";
  o.tenant = "acme";
  o.parse.default_currency = "USD";
  o.chunk_size = chunk_size;
  o.progress = connectors::ProgressMode::kNever;
  return o;
}

GenExportOptions Gen(int64_t transactions, int64_t customers = 25, int64_t bad_every = 0) {
  GenExportOptions g;
  g.transactions = transactions;
  g.customers = customers;
  g.bad_every = bad_every;
  return g;
}

int CustomerCount(connectors::LedgerClient& client) {
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  auto r = client.ListCustomers(req);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->customers_size() : -1;
}

TEST(ConnectorRuntime, SyncsAFileAndARerunChangesNothing) {
  TempDir dir;
  LoopbackServer server;
  const auto stats = WriteIif(dir.File("export.iif"), Gen(1200));
  const int64_t records = stats.customers + stats.invoices + stats.payments + stats.credit_memos;
  auto client = server.Client();

  RunResult first = connectors::RunFile(Options(dir.File("export.iif")), kParseIif, client.get());
  ASSERT_EQ(first.exit_code, connectors::kExitOk) << first.Report();
  EXPECT_EQ(first.records, records);
  EXPECT_EQ(first.created, records);
  EXPECT_EQ(first.chunks, (records + 99) / 100);
  EXPECT_FALSE(fs::exists(dir.File("export.iif.checkpoint"))) << "removed after success";
  const int events = server.EventCount("acme");
  EXPECT_GE(events, records);
  const std::string ledger = DumpLedger(*client, "acme");

  RunResult again = connectors::RunFile(Options(dir.File("export.iif")), kParseIif, client.get());
  ASSERT_EQ(again.exit_code, connectors::kExitOk) << again.Report();
  EXPECT_EQ(again.sync_id, first.sync_id) << "the sync id is derived from the content";
  EXPECT_EQ(again.unchanged, records);
  EXPECT_EQ(again.created, 0);
  EXPECT_EQ(again.updated, 0);
  EXPECT_EQ(server.EventCount("acme"), events) << "a re-run writes no events";
  EXPECT_EQ(DumpLedger(*client, "acme"), ledger);
}

TEST(ConnectorRuntime, DryRunWritesNothing) {
  TempDir dir;
  LoopbackServer server;
  const auto stats = WriteIif(dir.File("export.iif"), Gen(600));
  auto client = server.Client();
  RunOptions o = Options(dir.File("export.iif"));
  o.dry_run = true;

  RunResult with_server = connectors::RunFile(o, kParseIif, client.get());
  EXPECT_EQ(with_server.exit_code, connectors::kExitOk) << with_server.Report();
  EXPECT_EQ(with_server.invoices, stats.invoices);
  EXPECT_GT(with_server.deferred, 0) << "records after the first chunk refer to its customers";
  EXPECT_EQ(with_server.rejected, 0);

  RunResult offline = connectors::RunFile(o, kParseIif, nullptr);
  EXPECT_EQ(offline.exit_code, connectors::kExitOk) << offline.Report();
  EXPECT_EQ(offline.records, with_server.records);

  EXPECT_EQ(server.EventCount("acme"), 0);
  EXPECT_EQ(CustomerCount(*client), 0);
  EXPECT_FALSE(fs::exists(dir.File("export.iif.checkpoint")));
}

TEST(ConnectorRuntime, BadRecordsRejectTheWholeFile) {
  TempDir dir;
  LoopbackServer server;
  const auto stats = WriteIif(dir.File("export.iif"), Gen(700, 25, /*bad_every=*/97));
  ASSERT_GT(stats.bad, 0);
  auto client = server.Client();

  RunResult r = connectors::RunFile(Options(dir.File("export.iif")), kParseIif, client.get());
  EXPECT_EQ(r.exit_code, connectors::kExitInputRejected) << r.Report();
  EXPECT_EQ(r.rejected, stats.bad);
  ASSERT_FALSE(r.rejections.empty());
  for (const auto& rej : r.rejections) {
    EXPECT_EQ(rej.stage, "parse");
    EXPECT_EQ(rej.field, "AMOUNT");
    EXPECT_FALSE(rej.reason.empty());
    // file:line:column
    std::vector<std::string> parts = absl::StrSplit(rej.location, ':');
    ASSERT_EQ(parts.size(), 3u) << rej.location;
    EXPECT_EQ(parts[0], dir.File("export.iif"));
  }
  EXPECT_TRUE(absl::StrContains(r.Report(), "nothing was applied")) << r.Report();
  EXPECT_EQ(server.EventCount("acme"), 0);
  EXPECT_EQ(CustomerCount(*client), 0);
}

TEST(ConnectorRuntime, ServerSideRejectionRejectsTheWholeFile) {
  TempDir dir;
  LoopbackServer server;
  const std::string file = std::string(COLLECTIONS_RUNTIME_TESTDATA) + "/server_rejects.iif";
  auto client = server.Client();
  RunResult r = connectors::RunFile(Options(file), kParseIif, client.get());
  EXPECT_EQ(r.exit_code, connectors::kExitInputRejected) << r.Report();
  ASSERT_EQ(r.rejections.size(), 1u) << r.Report();
  EXPECT_EQ(r.rejections[0].stage, "server");
  EXPECT_EQ(r.rejections[0].reason, "INVOICE_DUE_BEFORE_ISSUE");
  EXPECT_EQ(r.rejections[0].field, "invoice.due_date");
  EXPECT_EQ(r.rejections[0].external_id, "A-2");
  EXPECT_TRUE(absl::StrContains(r.rejections[0].location, "server_rejects.iif:9"))
      << r.rejections[0].location;
  EXPECT_EQ(server.EventCount("acme"), 0);
  EXPECT_EQ(CustomerCount(*client), 0);
}

TEST(ConnectorRuntime, QuarantineAppliesTheGoodRecords) {
  TempDir dir;
  LoopbackServer server;
  const std::string file = std::string(COLLECTIONS_RUNTIME_TESTDATA) + "/server_rejects.iif";
  fs::copy_file(file, dir.File("mixed.iif"));
  const auto stats = WriteIif(dir.File("export.iif"), Gen(700, 25, /*bad_every=*/97));
  const int64_t good =
      stats.customers + stats.invoices + stats.payments + stats.credit_memos - stats.bad;
  auto client = server.Client();
  RunOptions o = Options(dir.File("export.iif"));
  o.quarantine = true;

  RunResult r = connectors::RunFile(o, kParseIif, client.get());
  EXPECT_EQ(r.exit_code, connectors::kExitQuarantined) << r.Report();
  EXPECT_EQ(r.quarantined, stats.bad);
  EXPECT_EQ(r.created, good);
  const std::string report = ReadFile(dir.File("export.iif.rejected.jsonl"));
  std::vector<std::string> lines = absl::StrSplit(report, '\n', absl::SkipEmpty());
  ASSERT_EQ(static_cast<int64_t>(lines.size()), stats.bad);
  EXPECT_TRUE(absl::StartsWith(lines[0], "{\"stage\":\"parse\",\"location\":\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "\"field\":\"AMOUNT\"")) << lines[0];
  EXPECT_EQ(CustomerCount(*client), 25);

  // A server-side rejection is quarantined too; its chunk's good records apply.
  RunOptions m = Options(dir.File("mixed.iif"));
  m.quarantine = true;
  RunResult mixed = connectors::RunFile(m, kParseIif, client.get());
  EXPECT_EQ(mixed.exit_code, connectors::kExitQuarantined) << mixed.Report();
  EXPECT_EQ(mixed.quarantined, 1);
  EXPECT_EQ(mixed.created, 2);  // Ann Buyer and A-1
  EXPECT_TRUE(absl::StrContains(ReadFile(dir.File("mixed.iif.rejected.jsonl")),
                                "\"reason\":\"INVOICE_DUE_BEFORE_ISSUE\""));
}

TEST(ConnectorRuntime, RetriesUntilTheServerComesUp) {
  TempDir dir;
  WriteIif(dir.File("export.iif"), Gen(300));
  const int port = FreePort();
  connectors::ClientOptions co;
  co.max_attempts = 40;
  co.initial_backoff = absl::Milliseconds(50);
  co.max_backoff = absl::Milliseconds(300);
  connectors::LedgerClient client(
      connectors::MakeConnectorChannel(absl::StrCat("127.0.0.1:", port)), co);
  RunResult result;
  std::thread runner(
      [&] { result = connectors::RunFile(Options(dir.File("export.iif")), kParseIif, &client); });
  // The client is already failing and backing off; now the server starts.
  while (client.retries() < 2) absl::SleepFor(absl::Milliseconds(20));
  LoopbackServer server(port);
  runner.join();
  EXPECT_EQ(result.exit_code, connectors::kExitOk) << result.Report();
  EXPECT_GE(result.retries, 2);
  EXPECT_EQ(result.created, result.records);
}

TEST(ConnectorRuntime, GivesUpWithExit4WhenTheServerStaysDown) {
  TempDir dir;
  WriteIif(dir.File("export.iif"), Gen(50));
  connectors::ClientOptions co;
  co.max_attempts = 3;
  co.initial_backoff = absl::Milliseconds(10);
  connectors::LedgerClient client(
      connectors::MakeConnectorChannel(absl::StrCat("127.0.0.1:", FreePort())), co);
  RunResult r = connectors::RunFile(Options(dir.File("export.iif")), kParseIif, &client);
  EXPECT_EQ(r.exit_code, connectors::kExitUnavailable) << r.Report();
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.retries, 2);
}

// ------------------------------------------------------- subprocess tests

std::vector<std::string> Connector(const LoopbackServer& server, const std::string& file,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {COLLECTIONS_IIF_BIN, "--server=" + server.address(),
                                   "--tenant=acme",     "--file=" + file,
                                   "--chunk_size=50",   "--progress=never"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

TEST(ConnectorExecutable, HelpAndUsageErrors) {
  ProcessResult help = RunProcess({COLLECTIONS_IIF_BIN, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "--quarantine"));
  EXPECT_TRUE(absl::StrContains(help.out, "INPUT_REJECTED"));
  ProcessResult bad = RunProcess({COLLECTIONS_IIF_BIN, "--no-such-flag"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(bad.err, "unknown flag --no_such_flag")) << bad.err;
  ProcessResult neither = RunProcess({COLLECTIONS_IIF_BIN, "--tenant=acme"});
  EXPECT_EQ(neither.exit_code, 1);
}

// The crash-resume guarantee: kill -9 at many points, restart each time;
// the ledger (and even the audit trail) ends identical to an uninterrupted
// run's.
TEST(ConnectorExecutable, KilledAtManyPointsEndsWithTheSameLedger) {
  TempDir dir;
  const auto stats = WriteIif(dir.File("export.iif"), Gen(1500, 40));
  const int64_t records = stats.customers + stats.invoices + stats.payments + stats.credit_memos;
  const int64_t chunks = (records + 49) / 50;
  ASSERT_GE(chunks, 25);

  LoopbackServer reference;
  ProcessResult clean = RunProcess(Connector(reference, dir.File("export.iif")));
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  auto ref_client = reference.Client();
  const std::string want = DumpLedger(*ref_client, "acme");
  const int want_events = reference.EventCount("acme");
  ASSERT_FALSE(want.empty());

  LoopbackServer server;
  // Kill points: after the k-th acknowledged chunk of a run, before its
  // checkpoint (the chunk is applied but the checkpoint does not know) or
  // just after the checkpoint. Each restart resumes from the checkpoint.
  const std::pair<const char*, int> kills[] = {
      {connectors::kKillAfterAckEnv, 1},        {connectors::kKillAfterCheckpointEnv, 1},
      {connectors::kKillAfterAckEnv, 3},        {connectors::kKillAfterCheckpointEnv, 2},
      {connectors::kKillAfterAckEnv, 1},        {connectors::kKillAfterAckEnv, 2},
      {connectors::kKillAfterCheckpointEnv, 5}, {connectors::kKillAfterAckEnv, 4},
  };
  for (const auto& [env, k] : kills) {
    ProcessResult r =
        RunProcess(Connector(server, dir.File("export.iif")), {{env, std::to_string(k)}});
    ASSERT_TRUE(r.killed) << env << "=" << k << " exit " << r.exit_code << "\n" << r.out << r.err;
    EXPECT_EQ(r.signal, SIGKILL);
    ASSERT_TRUE(fs::exists(dir.File("export.iif.checkpoint")) ||
                std::string(env) == connectors::kKillAfterAckEnv);
  }
  // Kills at random moments (during validation, parsing, a call, a
  // checkpoint write).
  std::mt19937 rng(7);
  for (int i = 0; i < 6; ++i) {
    const pid_t pid = StartProcess(Connector(server, dir.File("export.iif")));
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(20, 400)(rng)));
    kill(pid, SIGKILL);
    WaitProcess(pid);
  }
  ProcessResult last = RunProcess(Connector(server, dir.File("export.iif")));
  ASSERT_EQ(last.exit_code, 0) << last.out << last.err;
  EXPECT_FALSE(fs::exists(dir.File("export.iif.checkpoint")));

  auto client = server.Client();
  EXPECT_EQ(DumpLedger(*client, "acme"), want);
  EXPECT_EQ(server.EventCount("acme"), want_events) << "no record was applied twice";
}

TEST(ConnectorExecutable, QuarantineReportSurvivesKills) {
  TempDir dir;
  WriteIif(dir.File("export.iif"), Gen(1200, 30, /*bad_every=*/41));
  fs::copy_file(dir.File("export.iif"), dir.File("clean.iif"));

  LoopbackServer reference;
  ProcessResult clean = RunProcess(Connector(reference, dir.File("clean.iif"), {"--quarantine"}));
  ASSERT_EQ(clean.exit_code, 5) << clean.out << clean.err;
  const std::string want_report = ReadFile(dir.File("clean.iif.rejected.jsonl"));
  ASSERT_FALSE(want_report.empty());
  auto ref_client = reference.Client();
  const std::string want = DumpLedger(*ref_client, "acme");

  LoopbackServer server;
  for (int k : {2, 1, 3, 2}) {
    ProcessResult r = RunProcess(Connector(server, dir.File("export.iif"), {"--quarantine"}),
                                 {{connectors::kKillAfterAckEnv, std::to_string(k)}});
    ASSERT_TRUE(r.killed) << r.out << r.err;
  }
  ProcessResult last = RunProcess(Connector(server, dir.File("export.iif"), {"--quarantine"}));
  ASSERT_EQ(last.exit_code, 5) << last.out << last.err;
  // Same lines as the uninterrupted run, apart from the file name.
  std::string got = ReadFile(dir.File("export.iif.rejected.jsonl"));
  EXPECT_EQ(absl::StrReplaceAll(got, {{"export.iif", "clean.iif"}}), want_report);
  auto client = server.Client();
  EXPECT_EQ(DumpLedger(*client, "acme"), want);
}

TEST(ConnectorExecutable, WatchModeFilesIntoDoneAndFailed) {
  TempDir dir;
  LoopbackServer server;
  const std::string watch = dir.File("inbox");
  fs::create_directories(watch);
  WriteIif(watch + "/a-good.iif", Gen(200));
  WriteIif(watch + "/b-bad.iif", Gen(200, 25, /*bad_every=*/50));
  fs::copy_file(std::string(COLLECTIONS_RUNTIME_TESTDATA) + "/server_rejects.iif",
                watch + "/c-refused.iif");
  WriteIif(watch + "/.hidden.iif", Gen(10));
  WriteIif(watch + "/d-partial.iif.part", Gen(10));

  ProcessResult r =
      RunProcess({COLLECTIONS_IIF_BIN, "--server=" + server.address(), "--tenant=acme",
                  "--watch=" + watch, "--once", "--settle=0", "--progress=never"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(fs::exists(watch + "/done/a-good.iif"));
  EXPECT_TRUE(absl::StrContains(ReadFile(watch + "/done/a-good.iif.report.txt"), "OK (exit 0)"));
  EXPECT_TRUE(fs::exists(watch + "/failed/b-bad.iif"));
  EXPECT_TRUE(absl::StrContains(ReadFile(watch + "/failed/b-bad.iif.report.txt"), "b-bad.iif:"));
  EXPECT_TRUE(fs::exists(watch + "/failed/c-refused.iif"));
  EXPECT_TRUE(absl::StrContains(ReadFile(watch + "/failed/c-refused.iif.report.txt"),
                                "INVOICE_DUE_BEFORE_ISSUE"));
  EXPECT_TRUE(fs::exists(watch + "/.hidden.iif"));
  EXPECT_TRUE(fs::exists(watch + "/d-partial.iif.part"));
  EXPECT_TRUE(fs::is_empty(watch + "/processing"));
  EXPECT_EQ(CustomerCount(*server.Client()), 25) << "only a-good.iif was applied";

  // Quarantine in watch mode: the bad file goes to done/ with its report.
  WriteIif(watch + "/e-mixed.iif", Gen(200, 25, /*bad_every=*/50));
  ProcessResult q =
      RunProcess({COLLECTIONS_IIF_BIN, "--server=" + server.address(), "--tenant=acme",
                  "--watch=" + watch, "--once", "--settle=0", "--quarantine", "--progress=never"});
  EXPECT_EQ(q.exit_code, 0) << q.out << q.err;
  EXPECT_TRUE(fs::exists(watch + "/done/e-mixed.iif"));
  EXPECT_TRUE(fs::exists(watch + "/done/e-mixed.iif.rejected.jsonl"));
}

// `export` reads what the service produced (source system "collections")
// and writes it in the format; importing that file gives the same document.
// D10: a missing --state_dir was found only after the first chunk was
// applied (exit 6); it is created before anything is written.
TEST(ConnectorExecutable, MissingStateDirIsCreatedFirst) {
  TempDir dir;
  LoopbackServer server;
  WriteIif(dir.File("in.iif"), Gen(20, 2));
  const std::string state = dir.File("state/nested");
  std::vector<std::string> argv = Connector(server, dir.File("in.iif"));
  argv.push_back("--state_dir=" + state);
  ProcessResult r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::filesystem::is_directory(state));
  // A state dir that cannot be created stops the run before any write.
  LoopbackServer other;
  argv = Connector(other, dir.File("in.iif"));
  argv.push_back("--state_dir=/proc/no-such/state");
  r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, connectors::kExitLocalError) << r.out << r.err;
  EXPECT_EQ(other.EventCount("acme"), 0);
}

// A record larger than a gRPC message may carry (here a 5 MiB MEMO on a
// payment) can never be delivered: it is a bad record, refused at its line
// before anything is sent, not a server outage retried 8 times and ended
// with exit 4 "run again to resume".
TEST(ConnectorExecutable, RecordLargerThanAMessageIsABadRecord) {
  TempDir dir;
  LoopbackServer server;
  const std::string memo(5 << 20, 'x');
  {
    std::ofstream out(dir.File("huge.iif"), std::ios::binary);
    out << "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\n"
           "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\n"
           "!ENDTRNS\n"
           "TRNS\t\tPAYMENT\t7/16/98\tUndeposited Funds\tEcker Designs\t500\t321\t"
        << memo
        << "\n"
           "SPL\t\tPAYMENT\t7/16/98\tAccounts Receivable\tEcker Designs\t-500\t321\t\n"
           "ENDTRNS\n";
  }
  const absl::Time start = absl::Now();
  ProcessResult r = RunProcess(Connector(server, dir.File("huge.iif")));
  EXPECT_EQ(r.exit_code, connectors::kExitInputRejected) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "RECORD_TOO_LARGE")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, dir.File("huge.iif") + ":4")) << "located: " << r.err;
  EXPECT_FALSE(absl::StrContains(r.err, "retry")) << r.err;
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_EQ(server.EventCount("acme"), 0);
  // Under --quarantine it is set aside and the rest of the file applies.
  ProcessResult q = RunProcess(Connector(server, dir.File("huge.iif"), {"--quarantine"}));
  EXPECT_EQ(q.exit_code, connectors::kExitQuarantined) << q.out << q.err;
  EXPECT_TRUE(absl::StrContains(ReadFile(dir.File("huge.iif.rejected.jsonl")), "RECORD_TOO_LARGE"));
}

TEST(ConnectorExecutable, ExportWritesTheServiceDocumentsBackAsIif) {
  TempDir dir;
  LoopbackServer server;
  WriteIif(dir.File("export.iif"), Gen(100, 5));
  ASSERT_EQ(RunProcess(Connector(server, dir.File("export.iif"))).exit_code, 0);
  auto client = server.Client();
  v1::ListCustomersRequest lr;
  lr.set_parent("tenants/acme");
  auto customers = client->ListCustomers(lr);
  ASSERT_TRUE(customers.ok() && customers->customers_size() == 5);
  const v1::Customer& customer = customers->customers(0);

  // A late-fee invoice as the service creates it.
  v1::SyncLedgerRequest req;
  req.set_parent("tenants/acme");
  req.set_sync_id("fees-1");
  v1::SyncRecord* rec = req.add_records();
  rec->set_customer_ref(customer.name());
  v1::Invoice* fee = rec->mutable_invoice();
  fee->mutable_external_ref()->set_source_system("collections");
  fee->mutable_external_ref()->set_id("FEE-1");
  fee->set_number("FEE-1");
  fee->set_currency_code("USD");
  *fee->mutable_issue_date() = D(2026, 11, 20);
  *fee->mutable_due_date() = D(2026, 12, 4);
  *fee->mutable_total() = M("USD", 4000);
  v1::InvoiceLine* line = fee->add_lines();
  line->set_description("Late fee for invoice INV-00000001");
  line->set_quantity_milli(1000);
  *line->mutable_unit_price() = M("USD", 4000);
  *line->mutable_amount() = M("USD", 4000);
  auto applied = client->SyncChunk(req);
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->created(), 1) << applied->DebugString();
  // A settlement credit note as the service creates it: it names the
  // invoice by resource name only (D5), and its reason holds a resource
  // name that must not leak into the export (D10).
  req.set_sync_id("fees-2");
  req.clear_records();
  rec = req.add_records();
  rec->set_customer_ref(customer.name());
  v1::CreditNote* cn = rec->mutable_credit_note();
  cn->mutable_external_ref()->set_source_system("collections");
  cn->mutable_external_ref()->set_id("CN-1");
  cn->set_number("CN-1");
  *cn->mutable_issue_date() = D(2026, 11, 21);
  *cn->mutable_amount() = M("USD", 1000);
  cn->set_invoice(applied->outcomes(0).name());
  cn->set_reason(absl::StrCat("settlement ", customer.name(), "/settlements/s-9"));
  applied = client->SyncChunk(req);
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->created(), 1) << applied->DebugString();

  ProcessResult out = RunProcess({COLLECTIONS_IIF_BIN, "export", "--server=" + server.address(),
                                  "--tenant=acme", "--out=" + dir.File("fees.iif")});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "2 documents of 1 customers")) << out.err;
  const std::string text = ReadFile(dir.File("fees.iif"));
  EXPECT_FALSE(absl::StrContains(text, "tenants/")) << text;
  // D6: TERMS names a terms-list entry (14 days to due).
  EXPECT_TRUE(absl::StrContains(text, "\tNet 14")) << text;

  std::vector<connectors::ParsedRecord> back;
  std::ifstream in(dir.File("fees.iif"), std::ios::binary);
  connectors::ParseOptions po;
  po.default_currency = "USD";
  ASSERT_TRUE(connectors::ParseIif(
                  in, po, [&](connectors::ParsedRecord r) { back.push_back(std::move(r)); },
                  [](connectors::ParseIssue i) { ADD_FAILURE() << i.ToString(); })
                  .ok());
  // The export has no !CUST rows: a re-import implies the customer first.
  ASSERT_EQ(back.size(), 3u);
  EXPECT_TRUE(back[0].implied_customer);
  EXPECT_EQ(back[0].record.customer().external_ref().id(), customer.external_ref().id());
  EXPECT_EQ(back[1].record.customer_ref(), customer.external_ref().id());
  EXPECT_EQ(back[1].record.invoice().number(), "FEE-1");
  EXPECT_EQ(back[1].record.invoice().total().minor_units(), 4000);
  EXPECT_EQ(back[2].record.credit_note().invoice_number(), "FEE-1");
  EXPECT_EQ(back[2].record.credit_note().reason(), "settlement s-9");
}

}  // namespace
}  // namespace collections::testing
