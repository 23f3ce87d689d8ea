// collections-courier end to end, every part real and on 127.0.0.1: a
// collectionsd (Server + Production, SQLite) with a clock the test moves,
// the courier executable as a subprocess, an aiosmtpd mail sink that
// demands AUTH, and a webhook receiver that checks signatures (sinks.py).
// Deliveries are counted in the sinks; kill -9 in the middle of a run loses
// nothing and sends nothing twice (the Message-ID tells the at most one
// resent message apart); the debtor's contact window is waited for; a cease
// request recorded after the action was created cancels it; a 550 is a
// bounce; a letter becomes a PDF file.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>

#include <functional>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "collections_sidecar/v1/letters.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "tests/api/prod_support.h"
#include "tests/reliability/daemon_process.h"

extern char** environ;

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr char kTenant[] = "tenants/acme";

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > until) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

// The delivery files a sink wrote, in order.
std::vector<std::string> Deliveries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') out.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string HeaderOf(const std::string& message, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(message, "\r\n")) {
    if (line.empty()) break;
    if (absl::ConsumePrefix(&line, name + ": ")) return std::string(line);
  }
  return "";
}

// sinks.py in one mode, stopped with the test.
class Sink {
 public:
  Sink(const TempDir& dir, const std::string& name, std::vector<std::string> args)
      : out_(dir.File(name)), log_(dir.File(name + ".log")) {
    std::vector<std::string> argv = {COLLECTIONS_DEBIAN_PYTHON3, COURIER_SINKS_PY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--out=" + out_);
    pid_ = Spawn(argv, log_, log_);
    WaitFor([&] { return absl::StrContains(ReadAll(log_), "READY "); }, absl::Seconds(15));
    const std::string log = ReadAll(log_);
    const size_t at = log.find("READY ");
    if (at != std::string::npos)
      absl::SimpleAtoi(log.substr(at + 6, log.find('\n', at) - at - 6), &port_);
  }
  ~Sink() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::vector<std::string> Files() const { return Deliveries(out_); }
  std::string log() const { return ReadAll(log_); }

 private:
  std::string out_, log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

absl::Time Utc(int d, int h, int m, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, 11, d, h, m, s), absl::UTCTimeZone());
}

class CourierE2E : public ::testing::Test {
 protected:
  CourierE2E() : clock_(Utc(20, 12, 0)) {}

  void SetUp() override {
    srv_.options().listen = "127.0.0.1:0";
    srv_.options().clock = &clock_;
    ASSERT_TRUE(srv_.Start().ok());
    ledger_ = v1::LedgerService::NewStub(srv_.channel());
    recovery_ = v1::RecoveryService::NewStub(srv_.channel());
    letters_ = v1::LetterService::NewStub(srv_.channel());
    srv_.dir().Write("smtp-password", "s3cret-pw\n");
    srv_.dir().Write("webhook-secret", "webhook-secret-0123456789abcdef\n");

    v1::UpdateTenantProfileRequest profile;
    profile.mutable_profile()->set_name("tenants/acme/profile");
    profile.mutable_profile()->set_company_name("Acme Supplies Ltd");
    profile.mutable_profile()->set_reply_to("credit-control@acme.example");
    profile.set_request_id("profile-1");
    grpc::ClientContext ctx;
    v1::TenantProfile out;
    grpc::Status st = letters_->UpdateTenantProfile(&ctx, profile, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void TearDown() override {
    if (courier_ > 0) {
      kill(courier_, SIGTERM);
      const Exit e = WaitExit(courier_, absl::Seconds(10));
      EXPECT_EQ(e.code, 0) << "the courier did not stop cleanly on SIGTERM";
    }
  }

  // A debtor with an e-mail address and one invoice due on 2026-10-20
  // (31 days overdue on the 20th of November).
  std::string AddDebtor(const std::string& key, const std::string& email,
                        v1::CustomerKind kind = v1::CUSTOMER_KIND_BUSINESS,
                        const std::string& time_zone = "", v1::Date due = D(2026, 10, 20)) {
    v1::Customer c = MakeCustomer(key, "Debtor " + key, kind);
    if (!time_zone.empty()) c.set_time_zone(time_zone);
    auto* person = c.add_contacts();
    person->set_name("Accounts " + key);
    person->set_primary(true);
    auto* mail = person->add_channels();
    mail->set_type(v1::ContactChannel::EMAIL);
    mail->set_address(email);
    mail->set_consent(true);
    auto* post = person->add_channels();
    post->set_type(v1::ContactChannel::POSTAL);
    post->set_address("Debtor " + key + "\n1 Main Street\nSpringfield");
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent(kTenant);
    *req.mutable_customer() = c;
    v1::Customer out;
    grpc::Status st = ledger_->UpsertCustomer(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    grpc::ClientContext ictx;
    v1::UpsertInvoiceRequest ireq;
    ireq.set_parent(out.name());
    *ireq.mutable_invoice() = MakeInvoice("I-" + key, D(2026, 8, 1), due, "USD", 125000);
    v1::Invoice inv;
    st = ledger_->UpsertInvoice(&ictx, ireq, &inv);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.name();
  }

  // RunCollections for today; the pending actions on `channel` (read back
  // with StreamActions, as a courier sees them).
  std::vector<v1::OutboxAction> Run(v1::Channel channel = v1::CHANNEL_EMAIL) {
    grpc::ClientContext ctx;
    v1::RunCollectionsRequest req;
    req.set_parent(kTenant);
    v1::RunCollectionsResponse out;
    grpc::Status st = recovery_->RunCollections(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<v1::OutboxAction> actions;
    for (const auto& [name, a] : Outbox()) {
      if (a.recommendation().channel() == channel && a.status() == v1::OutboxAction::PENDING) {
        actions.push_back(a);
      }
    }
    return actions;
  }

  std::map<std::string, v1::OutboxAction> Outbox() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::StreamActionsRequest req;
    req.set_parent(kTenant);
    auto reader = recovery_->StreamActions(&ctx, req);
    std::map<std::string, v1::OutboxAction> out;
    v1::OutboxAction a;
    while (reader->Read(&a)) out[a.name()] = a;
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  }

  bool AllCompleted(const std::vector<v1::OutboxAction>& actions) {
    auto outbox = Outbox();
    for (const auto& a : actions) {
      if (outbox[a.name()].status() == v1::OutboxAction::PENDING) return false;
    }
    return true;
  }

  void StartCourier(const Sink* smtp, const Sink* webhook, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {COURIER_BIN,
                                     "--server=" + srv_.target(),
                                     "--tenant=acme",
                                     "--state_dir=" + srv_.dir().File("courier-state"),
                                     "--deadline=5",
                                     "--mail_from=collections@acme.example",
                                     "--smtp_user=courier",
                                     "--smtp_password_file=" + srv_.dir().File("smtp-password"),
                                     "--smtp_starttls=try",
                                     "--letter=folder",
                                     "--letters_dir=" + srv_.dir().File("letters"),
                                     "--sms=skip",
                                     "--retry_initial=0.2",
                                     "--retry_max=1",
                                     "--recheck_max=0.3"};
    if (smtp != nullptr) argv.push_back(absl::StrCat("--smtp_url=smtp://127.0.0.1:", smtp->port()));
    if (webhook != nullptr) {
      argv.push_back(absl::StrCat("--webhook_url=http://127.0.0.1:", webhook->port(), "/hook"));
      argv.push_back("--webhook_secret_file=" + srv_.dir().File("webhook-secret"));
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    courier_ = Spawn(argv, srv_.dir().File("courier.out"), srv_.dir().File("courier.log"));
    ASSERT_GT(courier_, 0);
  }
  std::string CourierLog() { return ReadAll(srv_.dir().File("courier.log")); }

  Sink SmtpSink(double delay = 0) {
    return Sink(
        srv_.dir(), "smtp",
        {"smtp", "--user=courier", "--password=s3cret-pw", absl::StrCat("--delay=", delay)});
  }

  domain::FixedClock clock_;
  ProdServer srv_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
  std::unique_ptr<v1::LetterService::Stub> letters_;
  pid_t courier_ = -1;
};

TEST_F(CourierE2E, EveryEmailArrivesOnceAcrossKill9) {
  for (int i = 0; i < 8; ++i)
    AddDebtor(absl::StrCat("b", i), absl::StrCat("ap", i, "@debtor.example"));
  const std::vector<v1::OutboxAction> actions = Run();
  ASSERT_EQ(actions.size(), 8u);
  // Each message is stored, then answered 250 after 0.25 s: a kill lands
  // while the courier waits for the answer.
  Sink smtp = SmtpSink(0.25);
  ASSERT_GT(smtp.port(), 0) << smtp.log();
  StartCourier(&smtp, nullptr);
  ASSERT_TRUE(WaitFor([&] { return smtp.Files().size() >= 3; }, absl::Seconds(20))) << CourierLog();
  kill(courier_, SIGKILL);
  EXPECT_EQ(WaitExit(courier_, absl::Seconds(5)).signal, SIGKILL);
  const size_t at_kill = smtp.Files().size();
  EXPECT_LT(at_kill, actions.size()) << "the kill came after the last delivery";

  StartCourier(&smtp, nullptr);
  ASSERT_TRUE(WaitFor([&] { return AllCompleted(actions); }, absl::Seconds(30))) << CourierLog();

  // Every action SENT once; every Message-ID in the sink, none missing; at
  // most the one message in flight at the kill arrived twice.
  std::set<std::string> expected_ids;
  for (const auto& a : actions) {
    const std::string id = a.name().substr(a.name().rfind('/') + 1);
    expected_ids.insert(absl::StrCat("<", id, ".acme@acme.example>"));
  }
  auto outbox = Outbox();
  for (const auto& a : actions)
    EXPECT_EQ(outbox[a.name()].status(), v1::OutboxAction::SENT) << a.name();
  std::set<std::string> seen_ids;
  const std::vector<std::string> files = smtp.Files();
  for (const std::string& f : files) {
    const std::string m = ReadAll(f);
    seen_ids.insert(HeaderOf(m, "Message-ID"));
    EXPECT_EQ(HeaderOf(m, "Reply-To"), "credit-control@acme.example");
    EXPECT_EQ(HeaderOf(m, "From"), "\"Acme Supplies Ltd\" <collections@acme.example>");
    EXPECT_TRUE(absl::StrContains(m, "multipart/alternative"));
  }
  EXPECT_EQ(seen_ids, expected_ids);
  EXPECT_GE(files.size(), actions.size());
  EXPECT_LE(files.size(), actions.size() + 1);
  // The contact log holds one SENT contact per action.
  for (const auto& a : actions) {
    grpc::ClientContext ctx;
    v1::ListContactsRequest req;
    req.set_parent(a.customer());
    v1::ListContactsResponse out;
    ASSERT_TRUE(recovery_->ListContacts(&ctx, req, &out).ok());
    int sent = 0;
    for (const auto& c : out.contacts()) sent += c.outcome() == v1::ContactRecord::SENT;
    EXPECT_EQ(sent, 1) << a.customer();
  }
}

TEST_F(CourierE2E, WebhooksAreSignedRetriedAndKeyedByAction) {
  for (int i = 0; i < 3; ++i)
    AddDebtor(absl::StrCat("w", i), absl::StrCat("ap", i, "@debtor.example"));
  const std::vector<v1::OutboxAction> actions = Run();
  ASSERT_EQ(actions.size(), 3u);
  // The receiver answers 503 to the first request of every key.
  Sink hook(srv_.dir(), "webhook",
            {"webhook", "--secret-file=" + srv_.dir().File("webhook-secret"), "--fail-first=1"});
  ASSERT_GT(hook.port(), 0) << hook.log();
  StartCourier(nullptr, &hook, {"--email=webhook"});
  ASSERT_TRUE(WaitFor([&] { return AllCompleted(actions); }, absl::Seconds(30))) << CourierLog();
  auto outbox = Outbox();
  std::set<std::string> keys;
  for (const std::string& f : hook.Files()) {
    const std::string j = ReadAll(f);
    EXPECT_TRUE(absl::StrContains(j, "\"signature_ok\": true")) << j;
    EXPECT_TRUE(absl::StrContains(j, "\"channel\": \"CHANNEL_EMAIL\"")) << j;
    const size_t k = j.find("\"key\": \"") + 8;
    keys.insert(j.substr(k, j.find('"', k) - k));
  }
  EXPECT_EQ(hook.Files().size(), 3u);
  for (const auto& a : actions) {
    EXPECT_EQ(outbox[a.name()].status(), v1::OutboxAction::SENT);
    EXPECT_TRUE(keys.count(a.name())) << a.name();
  }
  EXPECT_TRUE(absl::StrContains(CourierLog(), "delivery will be retried")) << CourierLog();
}

TEST_F(CourierE2E, WaitsForTheDebtorsContactWindow) {
  // 07:00 UTC is 02:00 in New York: Reg F allows 08:00..21:00 local.
  clock_.Set(Utc(20, 7, 0));
  AddDebtor("sam", "sam@consumer.example", v1::CUSTOMER_KIND_CONSUMER, "America/New_York");
  const std::vector<v1::OutboxAction> actions = Run();
  ASSERT_EQ(actions.size(), 1u);
  Sink smtp = SmtpSink();
  StartCourier(&smtp, nullptr);
  ASSERT_TRUE(
      WaitFor([&] { return absl::StrContains(CourierLog(), "waiting for the contact window"); },
              absl::Seconds(10)))
      << CourierLog();
  absl::SleepFor(absl::Seconds(1));
  EXPECT_TRUE(smtp.Files().empty());
  EXPECT_EQ(Outbox()[actions[0].name()].status(), v1::OutboxAction::PENDING);
  EXPECT_TRUE(absl::StrContains(CourierLog(), "2026-11-20T13:00:00Z")) << CourierLog();

  clock_.Set(Utc(20, 13, 0, 5));  // 08:00:05 in New York
  ASSERT_TRUE(WaitFor([&] { return AllCompleted(actions); }, absl::Seconds(10))) << CourierLog();
  EXPECT_EQ(Outbox()[actions[0].name()].status(), v1::OutboxAction::SENT);
  EXPECT_EQ(smtp.Files().size(), 1u);
}

TEST_F(CourierE2E, CeaseRecordedAfterCreationCancelsTheAction) {
  clock_.Set(Utc(20, 15, 0));  // 10:00 in New York
  const std::string sam =
      AddDebtor("sam", "sam@consumer.example", v1::CUSTOMER_KIND_CONSUMER, "America/New_York");
  const std::vector<v1::OutboxAction> actions = Run();
  ASSERT_EQ(actions.size(), 1u);
  clock_.Set(Utc(20, 15, 5));
  v1::RecordContactRequest req;
  req.set_parent(sam);
  req.mutable_contact()->set_channel(v1::CHANNEL_LETTER);
  req.mutable_contact()->set_direction(v1::ContactRecord::INBOUND);
  req.mutable_contact()->set_outcome(v1::ContactRecord::REFUSED);
  req.mutable_contact()->set_cease_communication(true);
  req.mutable_contact()->set_summary("letter: stop contacting me about this debt");
  grpc::ClientContext ctx;
  v1::ContactRecord rec;
  grpc::Status st = recovery_->RecordContact(&ctx, req, &rec);
  ASSERT_TRUE(st.ok()) << st.error_message();

  Sink smtp = SmtpSink();
  StartCourier(&smtp, nullptr);
  ASSERT_TRUE(WaitFor([&] { return AllCompleted(actions); }, absl::Seconds(10))) << CourierLog();
  const v1::OutboxAction done = Outbox()[actions[0].name()];
  EXPECT_EQ(done.status(), v1::OutboxAction::FAILED);
  EXPECT_TRUE(absl::StrContains(done.status_detail(), "REG_F_1006_6_C_CEASE_COMMUNICATION"))
      << done.status_detail();
  EXPECT_TRUE(smtp.Files().empty());
}

TEST_F(CourierE2E, RefusedRecipientIsABounce) {
  AddDebtor("gone", "bounce-gone@debtor.example");
  const std::vector<v1::OutboxAction> actions = Run();
  ASSERT_EQ(actions.size(), 1u);
  Sink smtp = SmtpSink();
  StartCourier(&smtp, nullptr);
  ASSERT_TRUE(WaitFor([&] { return AllCompleted(actions); }, absl::Seconds(10))) << CourierLog();
  const v1::OutboxAction done = Outbox()[actions[0].name()];
  EXPECT_EQ(done.status(), v1::OutboxAction::BOUNCED);
  EXPECT_TRUE(absl::StrContains(done.status_detail(), "550")) << done.status_detail();
  EXPECT_TRUE(smtp.Files().empty());
}

TEST_F(CourierE2E, LettersBecomePdfFilesNamedByTheAction) {
  // 80 days past due when first chased: the ladder opens with the formal
  // notice, a letter.
  AddDebtor("late", "ap@late.example", v1::CUSTOMER_KIND_BUSINESS, "", D(2026, 9, 1));
  const std::vector<v1::OutboxAction> letters = Run(v1::CHANNEL_LETTER);
  ASSERT_EQ(letters.size(), 1u);
  Sink smtp = SmtpSink();
  StartCourier(&smtp, nullptr);
  ASSERT_TRUE(WaitFor([&] { return AllCompleted(letters); }, absl::Seconds(10))) << CourierLog();
  const v1::OutboxAction done = Outbox()[letters[0].name()];
  EXPECT_EQ(done.status(), v1::OutboxAction::SENT);
  const std::string id = done.name().substr(done.name().rfind('/') + 1);
  const std::string path = srv_.dir().File("letters/acme/" + id + ".pdf");
  EXPECT_EQ(done.status_detail(), "written to " + path);
  const std::string pdf = ReadAll(path);
  EXPECT_TRUE(absl::StartsWith(pdf, "%PDF-")) << path;
  EXPECT_TRUE(smtp.Files().empty());
}

TEST_F(CourierE2E, OnceDeliversWhatIsDueAndExits) {
  AddDebtor("o1", "ap@o1.example");
  AddDebtor("o2", "ap@o2.example");
  const std::vector<v1::OutboxAction> actions = Run();
  ASSERT_EQ(actions.size(), 2u);
  Sink smtp = SmtpSink();
  StartCourier(&smtp, nullptr, {"--once"});
  const Exit e = WaitExit(courier_, absl::Seconds(20));
  courier_ = -1;
  EXPECT_EQ(e.code, 0) << CourierLog();
  EXPECT_TRUE(AllCompleted(actions));
  EXPECT_EQ(smtp.Files().size(), 2u);
  // A second run finds nothing left and sends nothing.
  StartCourier(&smtp, nullptr, {"--once"});
  EXPECT_EQ(WaitExit(courier_, absl::Seconds(20)).code, 0) << CourierLog();
  courier_ = -1;
  EXPECT_EQ(smtp.Files().size(), 2u);
}

}  // namespace
}  // namespace collections::testing
