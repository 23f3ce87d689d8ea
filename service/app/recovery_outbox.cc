// RecoveryService: the outbox. RunCollections writes the day's actions,
// couriers list and complete them.
#include "service/app/recovery_internal.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/cases.pb.h"
#include "service/app/arrangements_app.h"
#include "service/app/cases_app.h"
#include "service/app/ledger_ops.h"
#include "service/app/partial_update.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/base/utf8.h"
#include "service/domain/compliance.h"
#include "service/domain/recommend.h"
#include "service/domain/risk.h"
#include "service/domain/templates.h"
#include "service/domain/work_queue.h"

namespace collections::app {

using domain::InvalidInput;

namespace {

// The outbox action id of (customer, as_of, stage): deterministic, so a
// second run for the same day finds the first run's action.
std::string OutboxId(absl::string_view customer, absl::CivilDay as_of, domain::Stage stage) {
  return absl::StrFormat("%04d%02d%02d-%016x", as_of.year(), as_of.month(), as_of.day(),
                         StableHash(absl::StrCat(customer, "|", absl::FormatCivilTime(as_of), "|",
                                                 domain::StageName(stage))));
}

// The count of PENDING outbox actions, kept with every change of status so
// that metrics never scan the outbox.
constexpr char kPendingCounter[] = "outbox_pending";

absl::StatusOr<int64_t> ReadCounter(store::Transaction& tx, absl::string_view id) {
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kCounterKind, id));
  int64_t n = 0;
  if (doc && !absl::SimpleAtoi(doc->body, &n)) return absl::InternalError("bad counter");
  return n;
}

absl::Status AddToCounter(store::Transaction& tx, absl::string_view id, int64_t delta) {
  if (delta == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(int64_t n, ReadCounter(tx, id));
  return tx.PutDoc({kCounterKind, std::string(id), "", "", "", absl::StrCat(n + delta)});
}

// The outbox document's number column: its sequence, fixed width, so that
// the store's number index reads a cursor range in sequence order.
std::string OutboxNumber(int64_t sequence) { return absl::StrFormat("%020d", sequence); }

const domain::ChannelAddress* AddressOf(const domain::CustomerFacts& c, domain::Channel ch) {
  for (const auto& a : c.channels) {
    if (a.channel == ch) return &a;
  }
  return nullptr;
}

bool IsComplianceReason(absl::string_view code) {
  return absl::StartsWith(code, "REG_F_") || absl::StartsWith(code, "FDCPA_") ||
         absl::StartsWith(code, "POLICY_") || absl::StartsWith(code, "DEBTOR_TIME_ZONE");
}

// What RunCollections' reply counts of one batch, folded in after the
// batch commits (a batch that is retried starts its tally again).
struct Tally {
  int evaluated = 0;
  int already_present = 0;
  int64_t first_sequence = 0;
  int64_t last_sequence = 0;
  std::map<int, int64_t> by_kind;
  std::map<std::string, int64_t> refusals;
  std::vector<v1::RecommendationReason> refusal_samples;
  std::vector<v1::OutboxAction> samples;
  size_t sample_bytes = 0;
};

// Folds a committed batch into the reply and the run's counts by action
// kind and refusal reason.
void AddBatch(Tally& t, std::map<int, int64_t>& by_kind, std::map<std::string, int64_t>& refusals,
              v1::RunCollectionsResponse& out) {
  out.set_evaluated(out.evaluated() + t.evaluated);
  out.set_already_present(out.already_present() + t.already_present);
  if (t.first_sequence != 0) {
    if (out.first_sequence() == 0) out.set_first_sequence(t.first_sequence);
    out.set_last_sequence(t.last_sequence);
  }
  for (const auto& [kind, n] : t.by_kind) {
    by_kind[kind] += n;
    out.set_actions_created(out.actions_created() + n);
  }
  for (const auto& [code, n] : t.refusals) refusals[code] += n;
  for (auto& s : t.refusal_samples) *out.add_refusal_samples() = std::move(s);
  for (auto& s : t.samples) *out.add_samples() = std::move(s);
}

// The run's counts by action kind and refusal reason, into the reply.
void AddCounts(const std::map<int, int64_t>& by_kind,
               const std::map<std::string, int64_t>& refusals, v1::RunCollectionsResponse& out) {
  for (const auto& [kind, n] : by_kind) {
    v1::ActionCount* c = out.add_actions_by_kind();
    c->set_action(static_cast<v1::Recommendation::Action>(kind));
    c->set_count(n);
  }
  for (const auto& [code, n] : refusals) {
    v1::ReasonCount* c = out.add_refusals();
    c->set_code(code);
    c->set_count(n);
  }
}

}  // namespace

// ------------------------------------------------------------ outbox

absl::StatusOr<v1::RunCollectionsResponse> RecoveryApp::RunCollections(
    const CallContext& ctx, const v1::RunCollectionsRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  // A dry run writes nothing and may simulate a future day.
  ASSIGN_OR_RETURN(absl::CivilDay as_of,
                   ResolveAsOf(r.as_of(), clock_, r.dry_run() ? AsOfUse::kRead : AsOfUse::kWrite));
  if (cases_ == nullptr) return absl::FailedPreconditionError("cases are not kept by this server");
  // Cases a bulk sync left stale move first (derived state, also before a
  // dry run), so the due list is the ledger's.
  std::vector<CaseKeeper::CaseFailure> stale_failures;
  RETURN_IF_ERROR(cases_->CatchUp(tenant, {}, &stale_failures));
  v1::RunCollectionsResponse out;
  const store::TxMode mode = r.dry_run() ? store::TxMode::kRead : store::TxMode::kWrite;
  constexpr int kMaxRefusalSamples = 20;
  // A case the run passes over because of its own data (counted once).
  std::set<std::string> failed;
  auto fail = [&](const std::string& customer, absl::string_view what, const absl::Status& st) {
    if (!failed.insert(customer).second) return;
    out.set_failed(out.failed() + 1);
    if (out.failure_samples_size() >= kMaxRefusalSamples) return;
    v1::RecommendationReason* f = out.add_failure_samples();
    f->set_code(absl::AsciiStrToUpper(absl::StatusCodeToString(st.code())));
    // A bounded sample, so that the reply keeps its fixed size.
    constexpr size_t kMaxSampleText = 512;
    f->set_text(std::string(base::ClipUtf8(
        absl::StrCat(CustomerResource(tenant, customer), ": ", what, ": ", st.message()),
        kMaxSampleText)));
  };
  for (const CaseKeeper::CaseFailure& f : stale_failures) {
    fail(f.customer, "case not brought up to date with the ledger", f.status);
  }
  constexpr int kMaxSamples = 10;
  constexpr size_t kMaxSampleBytes = 32 * 1024;
  std::map<int, int64_t> by_kind;
  std::map<std::string, int64_t> refusals;
  // Only the cases whose due day has come, a bounded batch per transaction:
  // each batch commits its cases and their actions together, so a run that
  // stops half-way resumes where it stopped (advanced cases are no longer
  // due today) and never writes an action twice.
  constexpr int kBatch = 200;
  // Advances `customers` (due cases) in `tx`, counting into `t`.
  auto advance = [&](store::Transaction& tx, const std::vector<std::string>& customers,
                     Tally& t) -> absl::Status {
    t = Tally{};
    const int room_refusals = kMaxRefusalSamples - out.refusal_samples_size();
    const int room_samples = kMaxSamples - out.samples_size();
    size_t room_bytes = kMaxSampleBytes;
    for (const auto& s : out.samples()) room_bytes -= std::min(room_bytes, s.ByteSizeLong());
    auto refuse = [&](const std::string& code, const std::string& customer,
                      absl::string_view text) {
      ++t.refusals[code];
      if (static_cast<int>(t.refusal_samples.size()) >= room_refusals) return;
      v1::RecommendationReason& s = t.refusal_samples.emplace_back();
      s.set_code(code);
      s.set_text(absl::StrCat(CustomerResource(tenant, customer), ": ", text));
    };
    KeepCasesInline(tx);
    if (customers.empty()) return absl::OkStatus();
    // The letterhead and templates, once per batch.
    ASSIGN_OR_RETURN(LetterKit kit, letters_.Load(tx, tenant));
    ASSIGN_OR_RETURN(auto counter, tx.GetDoc(kCounterKind, kOutboxKind));
    int64_t sequence = 0;
    if (counter && !absl::SimpleAtoi(counter->body, &sequence)) {
      return absl::InternalError("bad outbox counter");
    }
    for (const std::string& customer : customers) {
      ++t.evaluated;
      if (!r.dry_run()) {
        // The passing of days decides promises, plans and settlements first.
        RETURN_IF_ERROR(
            RefreshArrangementsInTx(tx, clock_, ctx, tenant, customer, as_of, &config_.policy)
                .status());
      }
      ASSIGN_OR_RETURN(CaseAdvance adv, cases_->Advance(tx, tenant, customer, "day.passed", as_of,
                                                        true, !r.dry_run()));
      const domain::Recommendation& rec = adv.outcome.recommendation;
      const domain::AccountContext& account = adv.account;
      if (!rec.reasons.empty() && IsComplianceReason(rec.reasons.back().code)) {
        refuse(rec.reasons.back().code, customer, rec.reasons.back().text);
      }
      if (!adv.outcome.action) {
        if (rec.Actionable() && rec.action != domain::Action::kPause) ++t.already_present;
        continue;
      }
      v1::OutboxAction action;
      const std::string id = OutboxId(customer, as_of, rec.stage);
      action.set_name(OutboxActionResource(tenant, id));
      action.set_customer(CustomerResource(tenant, customer));
      *action.mutable_as_of() = ToProtoDate(as_of);
      *action.mutable_recommendation() = ToProtoRecommendation(tenant, rec);
      auto message = letters_.Render(kit, account, rec, rec.template_id);
      if (message.ok()) {
        action.set_subject(message->subject);
        action.set_body(message->body);
      } else if (absl::IsFailedPrecondition(message.status())) {
        // The tone check refused the template for this debtor, or it needs
        // a field the account lacks: do not send.
        refuse(domain::ReasonOf(message.status()), customer, message.status().message());
        continue;
      } else {
        action.set_subject(rec.explanation);
      }
      if (const domain::ChannelAddress* a = AddressOf(account.customer, rec.channel)) {
        action.set_recipient(a->address);
      }
      action.set_status(v1::OutboxAction::PENDING);
      *action.mutable_create_time() = Ts(clock_.Now());
      ++t.by_kind[action.recommendation().action()];
      if (!r.dry_run()) {
        action.set_sequence(++sequence);
        if (t.first_sequence == 0) t.first_sequence = sequence;
        t.last_sequence = sequence;
        RETURN_IF_ERROR(tx.PutDoc(
            {kOutboxKind, id, customer, "", OutboxNumber(sequence), action.SerializeAsString()}));
        RETURN_IF_ERROR(AppendEvent(tx, clock_, ctx, tenant, "outbox.created", action.name(),
                                    action.customer(), nullptr, &action, ""));
      } else if (static_cast<int>(t.samples.size()) < room_samples &&
                 t.sample_bytes + action.ByteSizeLong() <= room_bytes) {
        t.sample_bytes += action.ByteSizeLong();
        t.samples.push_back(std::move(action));
      }
    }
    if (!r.dry_run()) {
      RETURN_IF_ERROR(tx.PutDoc({kCounterKind, kOutboxKind, "", "", "", absl::StrCat(sequence)}));
      int64_t written = 0;
      for (const auto& [kind, n] : t.by_kind) written += n;
      RETURN_IF_ERROR(AddToCounter(tx, kPendingCounter, written));
    }
    return absl::OkStatus();
  };
  std::string after;
  while (true) {
    std::vector<std::string> due;
    Tally t;
    // Each committed transaction's counts go into the reply.
    auto commit = [&](Tally& done) {
      out.set_batches(out.batches() + 1);
      AddBatch(done, by_kind, refusals, out);
    };
    absl::Status batch = store_.Run(tenant, mode, [&](store::Transaction& tx) -> absl::Status {
      ASSIGN_OR_RETURN(due, tx.ListDueCases(domain::DayNumber(as_of), after, kBatch));
      return advance(tx, due, t);
    });
    if (batch.ok() && !due.empty()) commit(t);
    // Nothing of a failed batch was written: again, one case at a time, so
    // that a case failing on its own data holds back no other.
    RETURN_IF_ERROR(RetryOneByOne<std::string>(
        batch, due,
        [&](const std::string& customer) {
          absl::Status one = store_.Run(
              tenant, mode, [&](store::Transaction& tx) { return advance(tx, {customer}, t); });
          if (one.ok()) commit(t);
          return one;
        },
        [&](const std::string& customer, const absl::Status& error) {
          fail(customer, "not advanced", error);
        }));
    if (static_cast<int>(due.size()) < kBatch) break;
    after = due.back();
  }
  AddCounts(by_kind, refusals, out);
  return out;
}

absl::StatusOr<std::vector<v1::OutboxAction>> RecoveryApp::ListActions(
    const CallContext& ctx, const v1::StreamActionsRequest& r, int limit) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  if (r.after_sequence() < 0) {
    return InvalidInput("INVALID_CURSOR", "after_sequence", "must not be negative");
  }
  std::vector<v1::OutboxAction> out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        // A cursor range of the number index; pending_only reads on past
        // completed actions (bounded by the page).
        std::string after = OutboxNumber(r.after_sequence());
        constexpr int kPage = 500;
        while (static_cast<int>(out.size()) < limit) {
          ASSIGN_OR_RETURN(auto docs, tx.ListDocsByNumber(kOutboxKind, after, kPage));
          for (const auto& d : docs) {
            after = d.number;
            ASSIGN_OR_RETURN(v1::OutboxAction a, ParseDoc<v1::OutboxAction>(d));
            if (r.pending_only() && a.status() != v1::OutboxAction::PENDING) continue;
            out.push_back(std::move(a));
            if (static_cast<int>(out.size()) == limit) break;
          }
          if (static_cast<int>(docs.size()) < kPage) break;
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<int64_t> PendingActions(store::Transaction& tx) {
  return ReadCounter(tx, kPendingCounter);
}

absl::Status RecoveryApp::MigrateStore() {
  // Outbox documents written before the number index carry no number: give
  // each its sequence, and count the pending ones, once per tenant (a marker
  // document records that it was done).
  constexpr char kMarkerKind[] = "migration";
  constexpr char kMarker[] = "outbox_index";
  ASSIGN_OR_RETURN(auto tenants, store_.ListTenants());
  for (const auto& tenant : tenants) {
    RETURN_IF_ERROR(
        store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
          ASSIGN_OR_RETURN(auto marker, tx.GetDoc(kMarkerKind, kMarker));
          if (marker) return absl::OkStatus();
          std::string after;
          int64_t pending = 0;
          while (true) {
            ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kOutboxKind, "", after, 1000));
            for (auto& d : docs) {
              after = d.id;
              ASSIGN_OR_RETURN(v1::OutboxAction a, ParseDoc<v1::OutboxAction>(d));
              pending += a.status() == v1::OutboxAction::PENDING;
              if (!d.number.empty()) continue;
              d.number = OutboxNumber(a.sequence());
              RETURN_IF_ERROR(tx.PutDoc(d));
            }
            if (docs.size() < 1000) break;
          }
          RETURN_IF_ERROR(
              tx.PutDoc({kCounterKind, kPendingCounter, "", "", "", absl::StrCat(pending)}));
          return tx.PutDoc({kMarkerKind, kMarker, "", "", "", "1"});
        }));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::OutboxAction> RecoveryApp::CompleteAction(const CallContext& ctx,
                                                             const v1::CompleteActionRequest& r) {
  ASSIGN_OR_RETURN(OutboxActionName n, ParseOutboxActionName(r.name(), "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, n.tenant));
  if (r.status() != v1::OutboxAction::SENT && r.status() != v1::OutboxAction::BOUNCED &&
      r.status() != v1::OutboxAction::FAILED && r.status() != v1::OutboxAction::DONE) {
    return InvalidInput("INVALID_STATUS", "status", "SENT, BOUNCED, FAILED or DONE");
  }
  RETURN_IF_ERROR(CheckLength(r.detail(), 2000, "detail"));
  if (r.has_time()) RETURN_IF_ERROR(CheckNotFuture(FromTs(r.time()), clock_, "time"));
  v1::OutboxAction out;
  RETURN_IF_ERROR(store_.Run(n.tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(
        tx, r.request_id(), "RecoveryService/CompleteAction", r, &out, [&]() -> absl::Status {
          ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kOutboxKind, n.id));
          if (!doc)
            return domain::NotFoundError("ACTION_NOT_FOUND",
                                         absl::StrCat(r.name(), " does not exist"));
          ASSIGN_OR_RETURN(v1::OutboxAction before, ParseDoc<v1::OutboxAction>(*doc));
          if (before.status() != v1::OutboxAction::PENDING) {
            return domain::PreconditionError(
                "ACTION_ALREADY_COMPLETED",
                absl::StrCat(r.name(), " is already ",
                             v1::OutboxAction::Status_Name(before.status())));
          }
          out = before;
          const absl::Time when = r.has_time() ? FromTs(r.time()) : clock_.Now();
          RETURN_IF_ERROR(CheckAfterCustomerExisted(tx, n.tenant, doc->customer, when, "time"));
          out.set_status(r.status());
          out.set_status_detail(r.detail());
          *out.mutable_complete_time() = Ts(when);
          RETURN_IF_ERROR(tx.PutDoc({kOutboxKind, n.id, doc->customer, "",
                                     OutboxNumber(out.sequence()), out.SerializeAsString()}));
          RETURN_IF_ERROR(AddToCounter(tx, kPendingCounter, -1));
          const std::string customer_resource = out.customer();
          RETURN_IF_ERROR(AppendEvent(tx, clock_, ctx, n.tenant, "outbox.completed", out.name(),
                                      customer_resource, &before, &out, r.request_id()));
          // The delivery becomes part of the contact log the engine reads.
          const v1::Recommendation& rec = out.recommendation();
          if (rec.channel() == v1::CHANNEL_UNSPECIFIED && r.status() != v1::OutboxAction::DONE) {
            return absl::OkStatus();
          }
          v1::ContactRecord contact;
          *contact.mutable_time() = Ts(when);
          contact.set_channel(rec.channel());
          contact.set_direction(v1::ContactRecord::OUTBOUND);
          switch (r.status()) {
            case v1::OutboxAction::SENT:
              contact.set_outcome(v1::ContactRecord::SENT);
              break;
            case v1::OutboxAction::BOUNCED:
              contact.set_outcome(v1::ContactRecord::BOUNCED);
              break;
            case v1::OutboxAction::FAILED:
              contact.set_outcome(v1::ContactRecord::FAILED);
              break;
            default:
              contact.set_outcome(r.call_outcome() != v1::ContactRecord::OUTCOME_UNSPECIFIED
                                      ? r.call_outcome()
                                      : v1::ContactRecord::DONE);
          }
          contact.set_stage(rec.stage());
          *contact.mutable_invoices() = rec.invoices();
          contact.set_summary(absl::StrCat(v1::Recommendation::Action_Name(rec.action()), " ",
                                           rec.template_id(), " ",
                                           v1::OutboxAction::Status_Name(r.status()),
                                           r.detail().empty() ? "" : ": ", r.detail()));
          contact.set_actor(ctx.actor);
          contact.set_outbox_action(out.name());
          const std::string customer_id = doc->customer;
          const std::string id = ContactId(when, out.name());
          contact.set_name(ChildResource(n.tenant, customer_id, kContacts, id));
          RETURN_IF_ERROR(
              tx.PutDoc({kContactKind, id, customer_id, "", "", contact.SerializeAsString()}));
          return AppendEvent(tx, clock_, ctx, n.tenant, "contact.recorded", contact.name(),
                             customer_resource, nullptr, &contact, r.request_id());
        });
  }));
  return out;
}

}  // namespace collections::app
