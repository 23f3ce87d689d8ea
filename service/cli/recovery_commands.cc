// collectionsctl commands of RecoveryService: the work queue, one account's
// recommendation with its reasons, collection runs (dry or real), the
// outbox, contacts, case files, payment risk, message previews and the
// policy.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "service/base/dates.h"
#include "service/base/money.h"
#include "service/cli/cli.h"

ABSL_DECLARE_FLAG(std::string, as_of);
ABSL_DECLARE_FLAG(std::string, request_id);
ABSL_DECLARE_FLAG(std::string, invoices);
ABSL_DECLARE_FLAG(int, limit);
ABSL_DECLARE_FLAG(int64_t, after);
ABSL_DECLARE_FLAG(bool, follow);

ABSL_FLAG(bool, dry_run, false, "collect: evaluate and show without writing the outbox");
ABSL_FLAG(bool, pending_only, false, "actions: only actions not yet completed");
ABSL_FLAG(std::string, nonpayment, "",
          "contact: why the debtor has not paid: OVERSIGHT, CASH_FLOW, DISSATISFIED, DISPUTE, "
          "HARDSHIP_REASON, UNKNOWN");
ABSL_FLAG(std::string, summary, "", "contact: what was said; complete: delivery detail");
ABSL_FLAG(std::string, agreement, "", "contact: any agreement reached");
ABSL_FLAG(std::string, at, "", "contact/complete: when it happened, RFC 3339 (default: now)");
ABSL_FLAG(std::string, override_rule, "", "contact: the compliance rule code to override");
ABSL_FLAG(std::string, override_reason, "", "contact: why the override is justified (audited)");
ABSL_FLAG(std::string, contact_stage, "",
          "contact: the ladder stage it carried out, e.g. FORMAL_NOTICE");
ABSL_FLAG(bool, cease, false, "contact: the debtor asked in writing that communication cease");
ABSL_FLAG(std::string, call_outcome, "", "complete: outcome of a call task, e.g. SPOKE");
ABSL_FLAG(std::string, template_id, "", "render: template id (default: the recommended one)");

namespace collections::cli {

namespace v1 = ::collections_sidecar::v1;
namespace {

bool DateFlag(v1::Date* out) {
  const std::string text = absl::GetFlag(FLAGS_as_of);
  if (text.empty()) return true;
  auto d = domain::ParseIsoDay(text);
  if (!d.ok()) {
    std::fprintf(stderr, "error: --as_of: %s\n", std::string(d.status().message()).c_str());
    return false;
  }
  out->set_year(static_cast<int>(d->year()));
  out->set_month(d->month());
  out->set_day(d->day());
  return true;
}

// --at as a timestamp. Without --at, *out stays empty and the request
// carries no time, so the server records its own "now": setting the field
// to an empty Timestamp sent the 1970 epoch, which the
// server recorded as the contact time.
bool TimeFlag(std::optional<google::protobuf::Timestamp>* out) {
  const std::string text = absl::GetFlag(FLAGS_at);
  if (text.empty()) return true;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    std::fprintf(stderr, "error: --at: %s\n", err.c_str());
    return false;
  }
  *out = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
  return true;
}

std::string Money(const v1::Money& m) {
  if (m.currency_code().empty()) return "";
  return domain::FormatMoney({m.currency_code(), m.minor_units()});
}
std::string Monies(const google::protobuf::RepeatedPtrField<v1::Money>& ms) {
  std::vector<std::string> parts;
  for (const auto& m : ms) parts.push_back(Money(m));
  return absl::StrJoin(parts, " + ");
}
std::string Short(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}
std::string StageText(v1::CollectionStage s) {
  if (s == v1::COLLECTION_STAGE_UNSPECIFIED) return "-";
  return std::string(absl::StripPrefix(v1::CollectionStage_Name(s), "STAGE_"));
}
std::string Time(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

template <typename Enum>
bool ParseEnum(const std::string& text, bool (*parse)(const std::string&, Enum*), Enum* out,
               const char* what, const std::string& prefix = "") {
  const std::string upper = absl::AsciiStrToUpper(text);
  if (parse(upper, out) || (!prefix.empty() && parse(prefix + upper, out))) return true;
  std::fprintf(stderr, "error: unknown %s \"%s\"\n", what, text.c_str());
  return false;
}

void PrintRecommendation(const v1::Recommendation& r) {
  std::printf("customer:   %s\n", r.customer().c_str());
  std::printf("action:     %s", v1::Recommendation::Action_Name(r.action()).c_str());
  const bool acting =
      r.action() != v1::Recommendation::NO_ACTION && r.action() != v1::Recommendation::PAUSE;
  if (!acting && r.stage() != v1::COLLECTION_STAGE_UNSPECIFIED) {
    std::printf(" (next: %s)", StageText(r.stage()).c_str());
  } else if (r.stage() != v1::COLLECTION_STAGE_UNSPECIFIED) {
    std::printf(" (%s, %s, %s)", StageText(r.stage()).c_str(),
                std::string(absl::StripPrefix(v1::Channel_Name(r.channel()), "CHANNEL_")).c_str(),
                std::string(absl::StripPrefix(v1::Tone_Name(r.tone()), "TONE_")).c_str());
  }
  std::printf("\n");
  std::printf("why:        %s\n", r.explanation().c_str());
  if (acting && r.has_earliest_time())
    std::printf("earliest:   %s\n", Time(r.earliest_time()).c_str());
  if (!r.template_id().empty()) std::printf("template:   %s\n", r.template_id().c_str());
  if (!r.assignee().empty()) std::printf("assignee:   %s\n", r.assignee().c_str());
  if (r.amounts_size() > 0) std::printf("covers:     %s\n", Monies(r.amounts()).c_str());
  if (r.has_economics()) {
    std::printf("economics:  expected recovery %s, cost %s, net %s\n",
                Money(r.economics().expected_recovery()).c_str(),
                Money(r.economics().cost()).c_str(), Money(r.economics().net()).c_str());
  }
  std::printf("risk:       %s\n", r.risk().explanation().c_str());
  std::printf("reasons:\n");
  for (const auto& reason : r.reasons()) {
    std::printf("  %-34s %s\n", reason.code().c_str(), reason.text().c_str());
  }
  for (const auto& x : r.excluded()) {
    std::printf("  excluded %s: %s\n", Short(x.invoice()).c_str(), x.text().c_str());
  }
}

int QueueCmd(Context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::ListWorkQueueRequest req;
  req.set_parent(ctx.TenantName());
  if (!DateFlag(req.mutable_as_of())) return kExitUsage;
  req.set_page_size(1000);
  RowBudget budget(absl::GetFlag(FLAGS_limit));
  std::vector<std::vector<std::string>> rows = {
      {"#", "CUSTOMER", "PRIORITY", "OVERDUE", "DAYS", "NEXT ACTION", "ALERTS"}};
  int total = 0;
  do {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::ListWorkQueueResponse resp;
    grpc::Status st = stub->ListWorkQueue(&cc, req, &resp);
    if (!st.ok()) return Fail(st);
    total = resp.total_size();
    for (const auto& item : resp.items()) {
      if (!budget.Take()) continue;
      if (ctx.json) {
        PrintJson(item);
        continue;
      }
      std::vector<std::string> alerts;
      for (int a : item.alerts()) {
        alerts.push_back(v1::WorkQueueItem::Alert_Name(static_cast<v1::WorkQueueItem::Alert>(a)));
      }
      const auto& rec = item.recommendation();
      rows.push_back({absl::StrCat(budget.shown()), item.display_name(),
                      absl::StrCat(item.priority()), Monies(item.overdue()),
                      absl::StrCat(item.oldest_days_past_due()),
                      absl::StrCat(v1::Recommendation::Action_Name(rec.action()),
                                   rec.stage() != v1::COLLECTION_STAGE_UNSPECIFIED
                                       ? absl::StrCat(" ", StageText(rec.stage()))
                                       : ""),
                      absl::StrJoin(alerts, ",")});
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  if (!ctx.json) {
    std::cout << Table(rows, {true, false, true, true, true, false, false});
    std::printf("%d account(s) need attention\n", total);
  }
  budget.Report("accounts");
  return kExitOk;
}

int RecommendCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::GetRecommendationRequest req;
  req.set_customer(ctx.CustomerName(args[0]));
  if (!DateFlag(req.mutable_as_of())) return kExitUsage;
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::Recommendation r;
  grpc::Status st = stub->GetRecommendation(&cc, req, &r);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(r);
  } else {
    PrintRecommendation(r);
  }
  return kExitOk;
}

int CollectCmd(Context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::RunCollectionsRequest req;
  req.set_parent(ctx.TenantName());
  req.set_dry_run(absl::GetFlag(FLAGS_dry_run));
  if (!DateFlag(req.mutable_as_of())) return kExitUsage;
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::RunCollectionsResponse resp;
  grpc::Status st = stub->RunCollections(&cc, req, &resp);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(resp);
    return kExitOk;
  }
  // The reply holds counts and the outbox range; the table shows the first
  // actions of that range (a dry run: its samples).
  constexpr int kShown = 50;
  std::vector<v1::OutboxAction> shown(resp.samples().begin(), resp.samples().end());
  if (!req.dry_run() && resp.last_sequence() > 0) {
    v1::StreamActionsRequest sreq;
    sreq.set_parent(ctx.TenantName());
    sreq.set_after_sequence(resp.first_sequence() - 1);
    grpc::ClientContext sc;
    ctx.prepare(&sc);
    auto reader = stub->StreamActions(&sc, sreq);
    v1::OutboxAction a;
    while (static_cast<int>(shown.size()) < kShown && reader->Read(&a) &&
           a.sequence() <= resp.last_sequence()) {
      shown.push_back(a);
    }
    sc.TryCancel();
    (void)reader->Finish();
  }
  std::vector<std::vector<std::string>> rows = {
      {"SEQ", "CUSTOMER", "ACTION", "STAGE", "TO", "SUBJECT"}};
  for (const auto& a : shown) {
    rows.push_back({a.sequence() > 0 ? absl::StrCat(a.sequence()) : "-", Short(a.customer()),
                    v1::Recommendation::Action_Name(a.recommendation().action()),
                    StageText(a.recommendation().stage()), a.recipient(), a.subject()});
  }
  std::cout << Table(rows);
  if (resp.actions_created() > static_cast<int64_t>(shown.size())) {
    std::printf("... %lld more", static_cast<long long>(resp.actions_created() - shown.size()));
    if (!req.dry_run()) {
      std::printf(" (collectionsctl actions --after=%lld)",
                  static_cast<long long>(resp.first_sequence() - 1));
    }
    std::printf("\n");
  }
  std::printf("%s: %d account(s) evaluated, %lld action(s) %s, %d already in the outbox\n",
              req.dry_run() ? "dry run" : "run", resp.evaluated(),
              static_cast<long long>(resp.actions_created()),
              req.dry_run() ? "would be written" : "written", resp.already_present());
  for (const auto& c : resp.actions_by_kind()) {
    std::printf("  %s: %lld\n", v1::Recommendation::Action_Name(c.action()).c_str(),
                static_cast<long long>(c.count()));
  }
  for (const auto& c : resp.refusals()) {
    std::printf("refused by %s: %lld\n", c.code().c_str(), static_cast<long long>(c.count()));
  }
  for (const auto& r : resp.refusal_samples()) {
    std::printf("  e.g. %s\n", r.text().c_str());
  }
  return kExitOk;
}

int ActionsCmd(Context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::StreamActionsRequest req;
  req.set_parent(ctx.TenantName());
  req.set_after_sequence(absl::GetFlag(FLAGS_after));
  req.set_pending_only(absl::GetFlag(FLAGS_pending_only));
  req.set_follow(absl::GetFlag(FLAGS_follow));
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  if (req.follow()) cc.set_deadline(std::chrono::system_clock::time_point::max());
  auto reader = stub->StreamActions(&cc, req);
  v1::OutboxAction a;
  while (reader->Read(&a)) {
    if (ctx.json) {
      PrintJson(a);
    } else {
      std::printf("#%lld %s %s %s %s -> %s: %s\n", static_cast<long long>(a.sequence()),
                  Short(a.name()).c_str(), v1::OutboxAction::Status_Name(a.status()).c_str(),
                  v1::Recommendation::Action_Name(a.recommendation().action()).c_str(),
                  Short(a.customer()).c_str(), a.recipient().c_str(), a.subject().c_str());
    }
    std::fflush(stdout);
  }
  grpc::Status st = reader->Finish();
  return st.ok() ? kExitOk : Fail(st);
}

int CompleteCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::CompleteActionRequest req;
  req.set_name(absl::StartsWith(args[0], "tenants/")
                   ? args[0]
                   : absl::StrCat(ctx.TenantName(), "/outboxActions/", args[0]));
  v1::OutboxAction::Status status;
  if (!ParseEnum(args[1], &v1::OutboxAction::Status_Parse, &status, "status")) return kExitUsage;
  req.set_status(status);
  req.set_detail(absl::GetFlag(FLAGS_summary));
  if (!absl::GetFlag(FLAGS_call_outcome).empty()) {
    v1::ContactRecord::Outcome o;
    if (!ParseEnum(absl::GetFlag(FLAGS_call_outcome), &v1::ContactRecord::Outcome_Parse, &o,
                   "outcome")) {
      return kExitUsage;
    }
    req.set_call_outcome(o);
  }
  std::optional<google::protobuf::Timestamp> at;
  if (!TimeFlag(&at)) return kExitUsage;
  if (at) *req.mutable_time() = *at;
  req.set_request_id(absl::GetFlag(FLAGS_request_id));
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::OutboxAction out;
  grpc::Status st = stub->CompleteAction(&cc, req, &out);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(out);
  } else {
    std::printf("%s %s\n", out.name().c_str(), v1::OutboxAction::Status_Name(out.status()).c_str());
  }
  return kExitOk;
}

int ContactCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 4) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::RecordContactRequest req;
  req.set_parent(ctx.CustomerName(args[0]));
  v1::ContactRecord* c = req.mutable_contact();
  v1::Channel channel;
  if (!ParseEnum(args[1], &v1::Channel_Parse, &channel, "channel", "CHANNEL_")) return kExitUsage;
  c->set_channel(channel);
  v1::ContactRecord::Direction direction;
  if (!ParseEnum(args[2], &v1::ContactRecord::Direction_Parse, &direction, "direction")) {
    return kExitUsage;
  }
  c->set_direction(direction);
  v1::ContactRecord::Outcome outcome;
  if (!ParseEnum(args[3], &v1::ContactRecord::Outcome_Parse, &outcome, "outcome"))
    return kExitUsage;
  c->set_outcome(outcome);
  if (!absl::GetFlag(FLAGS_nonpayment).empty()) {
    v1::ContactRecord::NonPaymentReason reason;
    if (!ParseEnum(absl::GetFlag(FLAGS_nonpayment), &v1::ContactRecord::NonPaymentReason_Parse,
                   &reason, "non-payment reason")) {
      return kExitUsage;
    }
    c->set_non_payment_reason(reason);
  }
  if (!absl::GetFlag(FLAGS_contact_stage).empty()) {
    v1::CollectionStage stage;
    if (!ParseEnum(absl::GetFlag(FLAGS_contact_stage), &v1::CollectionStage_Parse, &stage, "stage",
                   "STAGE_")) {
      return kExitUsage;
    }
    c->set_stage(stage);
  }
  for (absl::string_view inv :
       absl::StrSplit(absl::GetFlag(FLAGS_invoices), ',', absl::SkipEmpty())) {
    c->add_invoices(absl::StartsWith(inv, "tenants/")
                        ? std::string(inv)
                        : absl::StrCat(req.parent(), "/invoices/", inv));
  }
  c->set_summary(absl::GetFlag(FLAGS_summary));
  c->set_agreement(absl::GetFlag(FLAGS_agreement));
  c->set_override_rule(absl::GetFlag(FLAGS_override_rule));
  c->set_override_reason(absl::GetFlag(FLAGS_override_reason));
  c->set_cease_communication(absl::GetFlag(FLAGS_cease));
  std::optional<google::protobuf::Timestamp> at;
  if (!TimeFlag(&at)) return kExitUsage;
  if (at) *c->mutable_time() = *at;
  req.set_request_id(absl::GetFlag(FLAGS_request_id));
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::ContactRecord out;
  grpc::Status st = stub->RecordContact(&cc, req, &out);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(out);
  } else {
    std::printf("%s recorded\n", out.name().c_str());
  }
  return kExitOk;
}

int CaseFileCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::ExportCaseFileRequest req;
  req.set_customer(ctx.CustomerName(args[0]));
  if (!DateFlag(req.mutable_as_of())) return kExitUsage;
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::ExportCaseFileResponse out;
  grpc::Status st = stub->ExportCaseFile(&cc, req, &out);
  if (!st.ok()) return Fail(st);
  std::cout << (ctx.json ? out.json() + "\n" : out.text());
  return kExitOk;
}

int RiskCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1 && args.size() != 2) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::GetPaymentRiskRequest req;
  req.set_name(args.size() == 2 ? absl::StrCat(ctx.CustomerName(args[0]), "/invoices/", args[1])
                                : ctx.CustomerName(args[0]));
  if (!DateFlag(req.mutable_as_of())) return kExitUsage;
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::PaymentRisk out;
  grpc::Status st = stub->GetPaymentRisk(&cc, req, &out);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(out);
  } else {
    std::printf("%s\n", out.explanation().c_str());
  }
  return kExitOk;
}

int RenderCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) return kExitUsage;
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  v1::RenderMessageRequest req;
  req.set_customer(ctx.CustomerName(args[0]));
  req.set_template_id(absl::GetFlag(FLAGS_template_id));
  if (!DateFlag(req.mutable_as_of())) return kExitUsage;
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::RenderMessageResponse out;
  grpc::Status st = stub->RenderMessage(&cc, req, &out);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(out);
  } else {
    std::printf("[%s]\nSubject: %s\n\n%s", out.template_id().c_str(), out.subject().c_str(),
                out.body().c_str());
  }
  return kExitOk;
}

int PolicyCmd(Context& ctx, const std::vector<std::string>& args) {
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  const std::string name = ctx.TenantName() + "/collectionPolicy";
  if (args.size() == 1 && args[0] == "get") {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::GetPolicyRequest req;
    req.set_name(name);
    v1::CollectionPolicy out;
    grpc::Status st = stub->GetPolicy(&cc, req, &out);
    if (!st.ok()) return Fail(st);
    if (ctx.json) {
      PrintJson(out);
    } else {
      std::string text;
      google::protobuf::TextFormat::PrintToString(out, &text);
      std::cout << text;
    }
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "set") {
    v1::ReplacePolicyRequest req;
    if (int rc = ParseMessageFile(args[1], req.mutable_policy()); rc != kExitOk) return rc;
    req.mutable_policy()->set_name(name);
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::CollectionPolicy out;
    grpc::Status st = stub->ReplacePolicy(&cc, req, &out);
    if (!st.ok()) return Fail(st);
    std::printf("policy version %lld\n", static_cast<long long>(out.version()));
    return kExitOk;
  }
  return kExitUsage;
}

}  // namespace

void RegisterRecoveryCommands(CommandTable& table) {
  table["queue"] = {"queue [--as_of=D] [--limit=N]",
                    "work queue: accounts needing action today, most urgent first", QueueCmd};
  table["recommend"] = {"recommend <customer> [--as_of=D]",
                        "next best action for an account, with its reasons", RecommendCmd};
  table["collect"] = {"collect [--as_of=D] [--dry_run]",
                      "run collections: write the due actions to the outbox (or show them)",
                      CollectCmd};
  table["actions"] = {"actions [--after=SEQ] [--pending_only] [--follow]",
                      "outbox actions from a cursor", ActionsCmd};
  table["complete"] = {
      "complete <action> SENT|BOUNCED|FAILED|DONE [--summary=..] "
      "[--call_outcome=SPOKE] [--at=RFC3339]",
      "report delivery of an outbox action", CompleteCmd};
  table["contact"] = {
      "contact <customer> <EMAIL|LETTER|SMS|PHONE|..> <OUTBOUND|INBOUND> "
      "<OUTCOME> [--nonpayment=CASH_FLOW] [--summary=..] [--agreement=..] "
      "[--invoices=N-1,..] [--override_rule=R --override_reason=..] [--cease]",
      "record a contact (checked by the compliance guard)", ContactCmd};
  table["casefile"] = {"casefile <customer> [--as_of=D] [--json]",
                       "the account's complete collection history, printable or JSON", CaseFileCmd};
  table["risk"] = {"risk <customer> [<invoice>] [--as_of=D]",
                   "payment-risk estimate with its explanation", RiskCmd};
  table["render"] = {"render <customer> [--template_id=ID] [--as_of=D]",
                     "preview the message of the current recommendation", RenderCmd};
  table["policy"] = {"policy get | policy set <file>",
                     "show or replace the collection policy (proto text or JSON)", PolicyCmd};
}

}  // namespace collections::cli
