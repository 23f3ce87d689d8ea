#include "connectors/courier/courier.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "connectors/common/checkpoint.h"
#include "connectors/courier/letter_pdf.h"
#include "connectors/courier/message.h"
#include "google/protobuf/util/time_util.h"
#include "service/base/errors.h"
#include "service/base/json_text.h"
#include "service/base/status_macros.h"
#include "service/base/utf8.h"
#include "service/messages/convert.h"

namespace collections::courier {

namespace v1 = ::collections_sidecar::v1;
namespace {

using google::protobuf::util::TimeUtil;

void Log(absl::string_view msg, absl::string_view action, absl::string_view status,
         absl::string_view detail) {
  std::fprintf(stderr, "{\"msg\":\"%s\",\"action\":\"%s\",\"status\":\"%s\",\"detail\":\"%s\"}\n",
               base::JsonEscape(msg).c_str(), base::JsonEscape(action).c_str(),
               base::JsonEscape(status).c_str(), base::JsonEscape(detail).c_str());
  std::fflush(stderr);
}

// Refusals that retrying cannot cure: the courier stops and says why.
bool IsFatal(grpc::StatusCode code) {
  return code == grpc::StatusCode::PERMISSION_DENIED || code == grpc::StatusCode::UNAUTHENTICATED ||
         code == grpc::StatusCode::INVALID_ARGUMENT || code == grpc::StatusCode::UNIMPLEMENTED;
}

bool IsTask(const v1::OutboxAction& a) {
  const v1::Channel ch = a.recommendation().channel();
  return ch != v1::CHANNEL_EMAIL && ch != v1::CHANNEL_SMS && ch != v1::CHANNEL_LETTER;
}

}  // namespace

Courier::Courier(CourierConfig config, CourierState state, const std::atomic<bool>* stop)
    : config_(std::move(config)),
      state_(std::move(state)),
      stop_(stop),
      channel_(connectors::MakeConnectorChannel(config_.server)),
      client_(channel_,
              [&] {
                connectors::ClientOptions o = config_.client;
                o.interrupted = stop;
                o.log = [](absl::string_view line) { Log("retry", "", "", line); };
                return o;
              }()),
      recovery_(v1::RecoveryService::NewStub(channel_)),
      letters_(v1::LetterService::NewStub(channel_)) {}

Courier::~Courier() {
  StopStream();
  if (reader_.joinable()) reader_.join();
}

void Courier::StopStream() {
  absl::MutexLock l(&mu_);
  if (stream_ctx_ != nullptr) stream_ctx_->TryCancel();
}

void Courier::ReadStream() {
  int64_t after = state_.cursor();
  int failures = 0;
  while (!stop_->load()) {
    grpc::ClientContext ctx;
    if (!config_.client.bearer_token.empty()) {
      ctx.AddMetadata("authorization", absl::StrCat("Bearer ", config_.client.bearer_token));
    }
    {
      absl::MutexLock l(&mu_);
      stream_ctx_ = &ctx;
    }
    v1::StreamActionsRequest req;
    req.set_parent(absl::StrCat("tenants/", config_.tenant));
    req.set_after_sequence(after);
    req.set_pending_only(true);
    req.set_follow(!config_.once);
    auto reader = recovery_->StreamActions(&ctx, req);
    v1::OutboxAction a;
    while (reader->Read(&a)) {
      after = std::max(after, a.sequence());
      failures = 0;
      absl::MutexLock l(&mu_);
      incoming_.push_back(a);
    }
    const grpc::Status st = reader->Finish();
    {
      absl::MutexLock l(&mu_);
      stream_ctx_ = nullptr;
      if (stop_->load()) return;
      if (st.ok() && config_.once) {
        stream_done_ = true;
        return;
      }
      if (IsFatal(st.error_code())) {
        stream_error_ = absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                                     absl::StrCat("StreamActions: ", st.error_message()));
        return;
      }
    }
    Log("stream interrupted", "", "", st.ok() ? "server ended the stream" : st.error_message());
    // Reconnect: 0.5 s doubling to 30 s, in steps that notice a stop.
    const absl::Time until =
        absl::Now() +
        std::min(absl::Seconds(30), absl::Milliseconds(500) * (1 << std::min(failures, 6)));
    ++failures;
    while (!stop_->load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(50));
  }
}

Route Courier::RouteOf(const v1::OutboxAction& a) const {
  switch (a.recommendation().channel()) {
    case v1::CHANNEL_EMAIL:
      return config_.email;
    case v1::CHANNEL_SMS:
      return config_.sms;
    case v1::CHANNEL_LETTER:
      return config_.letter;
    default:
      return config_.tasks;
  }
}

absl::Duration Courier::Backoff(int attempt) {
  absl::Duration ceiling = config_.retry_initial;
  for (int i = 1; i < attempt && ceiling < config_.retry_max; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, config_.retry_max);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return ceiling * jitter(rng_);
}

void Courier::RefreshProfile() {
  if (absl::Now() - profile_time_ < absl::Minutes(5)) return;
  v1::GetTenantProfileRequest req;
  req.set_name(absl::StrCat("tenants/", config_.tenant, "/profile"));
  v1::TenantProfile out;
  absl::Status st = client_.Call("GetTenantProfile", [&](grpc::ClientContext& ctx) {
    out.Clear();
    return letters_->GetTenantProfile(&ctx, req, &out);
  });
  if (st.ok()) {
    profile_ = std::move(out);
    profile_time_ = absl::Now();
  } else if (absl::IsNotFound(st)) {
    profile_.Clear();  // no profile: no Reply-To, no payment links
    profile_time_ = absl::Now();
  } else {
    Log("tenant profile unavailable", "", "", st.message());
  }
}

TransportResult Courier::Deliver(const v1::OutboxAction& a, Route route) {
  RefreshProfile();
  const std::string link = FindPaymentLink(a.body(), profile_.payment_link_template());
  const bool letter = a.recommendation().channel() == v1::CHANNEL_LETTER;
  std::string pdf;
  if (letter) {
    auto rendered = RenderLetterPdf(a);
    if (!rendered.ok())
      return {TransportResult::kRetry, 0, std::string(rendered.status().message())};
    pdf = *std::move(rendered);
  }
  switch (route) {
    case Route::kSmtp: {
      if (a.recipient().find('@') == std::string::npos) {
        return {TransportResult::kRejected, 0, "no e-mail address for this debtor"};
      }
      EmailParts parts{config_.mail_from, profile_.company_name(), profile_.reply_to(),
                       config_.message_id_domain};
      return SendMail(config_.smtp, config_.mail_from, a.recipient(),
                      ComposeEmail(a, parts, absl::Now()));
    }
    case Route::kWebhook:
      return PostWebhook(config_.webhook, WebhookJson(a, link, pdf), a.name(), absl::Now());
    case Route::kFolder: {
      const ActionKey key = KeyOf(a.name());
      const std::string dir = absl::StrCat(config_.letters_dir, "/", key.tenant);
      ::mkdir(config_.letters_dir.c_str(), 0750);  // failures show in the write below
      ::mkdir(dir.c_str(), 0750);
      // Named by the action: writing it again replaces the same file.
      const std::string path = absl::StrCat(dir, "/", key.id, ".pdf");
      absl::Status st = connectors::WriteFileAtomically(path, pdf);
      if (!st.ok()) return {TransportResult::kRetry, 0, std::string(st.message())};
      return {TransportResult::kDelivered, 0, absl::StrCat("written to ", path)};
    }
    case Route::kSkip:
      break;
  }
  return {TransportResult::kRejected, 0, "no route"};
}

absl::StatusOr<Courier::Next> Courier::Finish(const v1::OutboxAction& a,
                                              v1::OutboxAction::Status status,
                                              const std::string& detail, absl::Time* wake) {
  const ActionKey key = KeyOf(a.name());
  // CompleteAction takes at most 2000 characters; cut on a UTF-8 boundary.
  const std::string clipped(base::ClipUtf8(detail, 1900));
  RETURN_IF_ERROR(state_.WriteJournal(key.id, {status, clipped}));
  v1::CompleteActionRequest req;
  req.set_name(a.name());
  req.set_status(status);
  req.set_detail(clipped);
  req.set_request_id(absl::StrCat("courier:", key.id));
  v1::OutboxAction out;
  absl::Status st = client_.Call("CompleteAction", [&](grpc::ClientContext& ctx) {
    out.Clear();
    return recovery_->CompleteAction(&ctx, req, &out);
  });
  if (!st.ok() && domain::ReasonOf(st) != "ACTION_ALREADY_COMPLETED") {
    if (absl::IsPermissionDenied(st) || absl::IsUnauthenticated(st)) return st;
    // Out of reach: the journal holds the verdict; report it later.
    Log("completion deferred", a.name(), v1::OutboxAction::Status_Name(status), st.message());
    *wake = absl::Now() + Backoff(3);
    return Next::kWait;
  }
  Log("completed", a.name(), v1::OutboxAction::Status_Name(status), clipped);
  RETURN_IF_ERROR(state_.ClearJournal(key.id));
  return Next::kDone;
}

absl::StatusOr<Courier::Next> Courier::Handle(Item& item, absl::Time* wake) {
  const v1::OutboxAction& a = item.action;
  const ActionKey key = KeyOf(a.name());
  const Route route = RouteOf(a);
  if (route == Route::kSkip || key.id.empty()) return Next::kDone;
  if (IsTask(a)) {
    if (item.first_attempt == absl::InfinitePast()) item.first_attempt = absl::Now();
    const TransportResult r = Deliver(a, route);
    if (r.kind == TransportResult::kRetry &&
        absl::Now() - item.first_attempt < config_.give_up_after) {
      *wake = absl::Now() + Backoff(++item.attempts);
      return Next::kWait;
    }
    Log("task handed over", a.name(),
        r.kind == TransportResult::kDelivered ? "PENDING" : "NOT_HANDED_OVER", r.detail);
    return Next::kDone;
  }
  if (std::optional<JournalEntry> j = state_.Journal(key.id)) {
    // Delivered (or refused) before a restart: report only.
    return Finish(a, j->status, j->detail, wake);
  }

  v1::CheckActionRequest check_req;
  check_req.set_name(a.name());
  v1::ActionCheck check;
  absl::Status st = client_.Call("CheckAction", [&](grpc::ClientContext& ctx) {
    check.Clear();
    return recovery_->CheckAction(&ctx, check_req, &check);
  });
  if (absl::IsNotFound(st)) return Next::kDone;
  if (!st.ok()) {
    if (IsFatal(static_cast<grpc::StatusCode>(st.code()))) return st;
    *wake = absl::Now() + Backoff(++item.attempts);
    return Next::kWait;
  }
  if (check.status() != v1::OutboxAction::PENDING) return Next::kDone;  // completed elsewhere
  if (!check.allowed()) {
    if (check.has_next_allowed_time()) {
      const absl::Duration until =
          messages::FromTs(check.next_allowed_time()) - messages::FromTs(check.check_time());
      *wake = absl::Now() + std::clamp(until, absl::Milliseconds(100), config_.recheck_max);
      Log("waiting for the contact window", a.name(), check.rule(),
          absl::StrCat("allowed from ", TimeUtil::ToString(check.next_allowed_time())));
      return Next::kWait;
    }
    return Finish(a, v1::OutboxAction::FAILED, absl::StrCat(check.rule(), ": ", check.message()),
                  wake);
  }

  if (item.first_attempt == absl::InfinitePast()) item.first_attempt = absl::Now();
  const TransportResult r = Deliver(a, route);
  switch (r.kind) {
    case TransportResult::kDelivered:
      return Finish(a, v1::OutboxAction::SENT, r.detail, wake);
    case TransportResult::kRejected:
      // A mail server's 5xx is a bounce; a webhook's 4xx, a refusal.
      return Finish(a, route == Route::kSmtp ? v1::OutboxAction::BOUNCED : v1::OutboxAction::FAILED,
                    r.detail, wake);
    case TransportResult::kRetry:
      break;
  }
  if (absl::Now() - item.first_attempt >= config_.give_up_after) {
    return Finish(a, v1::OutboxAction::FAILED,
                  absl::StrCat("gave up after ", item.attempts + 1, " attempts: ", r.detail), wake);
  }
  *wake = absl::Now() + Backoff(++item.attempts);
  Log("delivery will be retried", a.name(), "PENDING", r.detail);
  return Next::kWait;
}

absl::Status Courier::SaveCursor() {
  int64_t cursor = max_taken_;
  if (!waiting_.empty()) cursor = std::min(cursor, waiting_.begin()->first - 1);
  cursor = std::max(cursor, state_.cursor());
  return state_.SaveCursor(cursor);
}

absl::Status Courier::Run() {
  reader_ = std::thread([this] { ReadStream(); });
  absl::Status result;
  while (!stop_->load()) {
    std::optional<Item> item;
    {
      absl::MutexLock l(&mu_);
      if (!stream_error_.ok()) {
        result = stream_error_;
        break;
      }
      if (!incoming_.empty()) {
        item.emplace();
        item->action = std::move(incoming_.front());
        incoming_.pop_front();
        max_taken_ = std::max(max_taken_, item->action.sequence());
      }
    }
    if (!item) {
      // The earliest waiting action whose time has come.
      auto due = std::min_element(
          waiting_.begin(), waiting_.end(),
          [](const auto& x, const auto& y) { return x.second.first < y.second.first; });
      if (due != waiting_.end() && due->second.first <= absl::Now()) {
        item = std::move(due->second.second);
        waiting_.erase(due);
      } else {
        absl::MutexLock l(&mu_);
        if (config_.once && stream_done_ && incoming_.empty())
          break;  // the rest waits for the next run
        absl::Duration idle = absl::Milliseconds(200);
        if (due != waiting_.end())
          idle = std::clamp(due->second.first - absl::Now(), absl::ZeroDuration(), idle);
        mu_.AwaitWithTimeout(
            absl::Condition(
                +[](std::deque<v1::OutboxAction>* q) { return !q->empty(); }, &incoming_),
            idle);
        continue;
      }
    }
    absl::Time wake;
    absl::StatusOr<Next> next = Handle(*item, &wake);
    if (!next.ok()) {
      result = next.status();
      break;
    }
    if (*next == Next::kWait) {
      const int64_t sequence = item->action.sequence();  // before the move below
      waiting_[sequence] = {wake, std::move(*item)};
    }
    if (absl::Status st = SaveCursor(); !st.ok()) {
      result = st;
      break;
    }
  }
  StopStream();
  if (reader_.joinable()) reader_.join();
  return result;
}

}  // namespace collections::courier
