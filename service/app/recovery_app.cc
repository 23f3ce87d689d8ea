#include "service/app/recovery_app.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/app/arrangements_app.h"
#include "service/app/cases_app.h"
#include "collections_sidecar/v1/cases.pb.h"
#include "service/app/ledger_ops.h"
#include "service/app/partial_update.h"
#include "service/app/resource_names.h"
#include "service/domain/compliance.h"
#include "service/domain/errors.h"
#include "service/domain/recommend.h"
#include "service/domain/risk.h"
#include "service/domain/status_macros.h"
#include "service/domain/templates.h"
#include "service/domain/work_queue.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using domain::InvalidInput;

constexpr char kOutboxCollection[] = "outboxActions";
constexpr char kContacts[] = "contacts";
constexpr char kCounterKind[] = "counter";


// Every document of `kind` (of one customer, or all when empty), by id.
absl::StatusOr<std::vector<store::Doc>> AllDocs(store::Transaction& tx, absl::string_view kind,
                                                absl::string_view customer) {
  std::vector<store::Doc> out;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto page, tx.ListDocs(kind, customer, after, 1000));
    if (page.empty()) break;
    after = page.back().id;
    for (auto& d : page) out.push_back(std::move(d));
  }
  return out;
}

// Every customer id of the tenant, ascending.
absl::StatusOr<std::vector<std::string>> AllCustomers(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto docs, AllDocs(tx, kCustomerKind, ""));
  std::vector<std::string> ids;
  for (const auto& d : docs) ids.push_back(d.id);
  return ids;
}

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

std::string OutboxName(absl::string_view tenant, absl::string_view id) {
  return absl::StrCat(TenantName(tenant), "/", kOutboxCollection, "/", id);
}

struct OutboxName2 {
  std::string tenant;
  std::string id;
};
absl::StatusOr<OutboxName2> ParseOutboxName(absl::string_view name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "tenants" || parts[2] != kOutboxCollection ||
      !IsValidTenantId(parts[1]) || !IsValidResourceId(parts[3])) {
    return InvalidInput("INVALID_RESOURCE_NAME", "name",
                        "expected tenants/{tenant}/outboxActions/{action}");
  }
  return OutboxName2{parts[1], parts[3]};
}

// Contact ids sort by time: nanoseconds since the epoch, zero-padded, and a
// short hash against collisions.
std::string ContactId(absl::Time t, absl::string_view salt) {
  return absl::StrFormat("k%019d-%06x", absl::ToUnixNanos(t), StableHash(salt) & 0xffffff);
}

absl::Status CheckLength(const std::string& s, size_t max, absl::string_view field) {
  if (s.size() > max) {
    return InvalidInput("FIELD_TOO_LONG", field, absl::StrCat("at most ", max, " characters"));
  }
  return absl::OkStatus();
}

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

// Everything the engine needs about a portfolio on one day.
struct Portfolio {
  std::vector<domain::AccountContext> accounts;  // by customer id
  domain::PortfolioPrior prior;
};

}  // namespace

absl::StatusOr<domain::CollectionPolicy> ToDomainPolicy(const v1::CollectionPolicy& p) {
  domain::CollectionPolicy d = PolicyFromProto(p);
  RETURN_IF_ERROR(domain::ValidatePolicy(d));
  return d;
}

absl::StatusOr<v1::CollectionPolicy> LoadPolicyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read policy file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  v1::CollectionPolicy p;
  const std::string trimmed(absl::StripLeadingAsciiWhitespace(text));
  if (!trimmed.empty() && trimmed[0] == '{') {
    auto st = google::protobuf::util::JsonStringToMessage(text, &p);
    if (!st.ok()) {
      return InvalidInput("INVALID_POLICY", "policy", absl::StrCat(path, ": ", st.ToString()));
    }
  } else if (!google::protobuf::TextFormat::ParseFromString(text, &p)) {
    return InvalidInput("INVALID_POLICY", "policy", absl::StrCat(path, ": not valid proto text"));
  }
  ASSIGN_OR_RETURN(domain::CollectionPolicy d, ToDomainPolicy(p));
  p = ToProtoPolicy(d);  // every unset field at its domain default
  p.set_version(1);
  return p;
}

// ------------------------------------------------------------ loading

absl::StatusOr<domain::AccountContext> RecoveryApp::LoadContext(store::Transaction& tx,
                                                                const std::string& tenant,
                                                                const std::string& customer,
                                                                absl::CivilDay as_of) {
  static const CallContext kSystem{"system", ""};
  LedgerOps ops(tx, clock_, kSystem, tenant, "");
  ASSIGN_OR_RETURN(AccountSnapshot snap, ops.LoadAccount(customer));
  domain::AccountContext ctx;
  ctx.customer = CustomerFactsOf(customer, snap.customer);
  for (auto& s : snap.invoice_states) {
    domain::InvoiceContext inv;
    inv.state = std::move(s);
    ctx.invoices.push_back(std::move(inv));
  }
  ctx.credits = std::move(snap.credits);
  ASSIGN_OR_RETURN(auto contacts, AllDocs(tx, kContactKind, customer));
  for (const auto& d : contacts) {
    ASSIGN_OR_RETURN(v1::ContactRecord c, ParseDoc<v1::ContactRecord>(d));
    ctx.contacts.push_back(ContactOf(c));
    if (c.cease_communication()) {
      const absl::Time t = FromTs(c.time());
      ctx.customer.cease_communication = true;
      if (!ctx.customer.cease_communication_time || t < *ctx.customer.cease_communication_time) {
        ctx.customer.cease_communication_time = t;
      }
    }
  }
  std::stable_sort(ctx.contacts.begin(), ctx.contacts.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
  ASSIGN_OR_RETURN(auto outbox, AllDocs(tx, kOutboxKind, customer));
  for (const auto& d : outbox) {
    ASSIGN_OR_RETURN(v1::OutboxAction a, ParseDoc<v1::OutboxAction>(d));
    ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(a.as_of(), "as_of"));
    if (day > as_of) continue;
    if (!ctx.last_outbox_day || day > *ctx.last_outbox_day) ctx.last_outbox_day = day;
    if (a.status() != v1::OutboxAction::PENDING) continue;
    ctx.pending.push_back({d.id, StageOf(a.recommendation().stage()),
                           ChannelOf(a.recommendation().channel()), day,
                           a.recommendation().action() == v1::Recommendation::APPROVE_REFERRAL});
  }
  RETURN_IF_ERROR(LoadArrangementContext(tx, tenant, customer, as_of, &ctx,
                                         LoadOptions{&clock_, &config_.policy}));
  return ctx;
}

absl::StatusOr<v1::CollectionPolicy> RecoveryApp::TenantPolicy(store::Transaction& tx) {
  return LoadTenantPolicy(tx, config_.policy);
}

absl::StatusOr<absl::CivilDay> RecoveryApp::AsOf(const v1::Date& d) const {
  return ResolveAsOf(d, clock_, AsOfUse::kRead);
}

namespace {

absl::StatusOr<Portfolio> LoadPortfolio(RecoveryApp& app, store::Transaction& tx,
                                        const std::string& tenant, absl::CivilDay as_of) {
  Portfolio p;
  ASSIGN_OR_RETURN(auto ids, AllCustomers(tx));
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(domain::AccountContext ctx, app.LoadContext(tx, tenant, id, as_of));
    p.accounts.push_back(std::move(ctx));
  }
  std::vector<const domain::AccountContext*> ptrs;
  for (const auto& a : p.accounts) ptrs.push_back(&a);
  p.prior = domain::EstimatePortfolioPrior(ptrs, as_of);
  return p;
}

}  // namespace

namespace {

// A work-queue item from a stored case.
v1::WorkQueueItem WorkItemOfCase(const v1::Case& c, const domain::CollectionPolicy& policy,
                                 absl::CivilDay as_of) {
  v1::WorkQueueItem item;
  item.set_customer(c.customer());
  item.set_display_name(c.display_name());
  item.set_priority(c.priority());
  *item.mutable_recommendation() = c.recommendation();
  *item.mutable_overdue() = c.overdue();
  item.set_oldest_days_past_due(c.oldest_days_past_due());
  int since = -1;
  if (c.has_last_contact_time()) {
    since = static_cast<int>(as_of - absl::ToCivilDay(FromTs(c.last_contact_time()),
                                                      absl::UTCTimeZone()));
  }
  item.set_days_since_last_contact(since);
  int neglected_after = policy.default_rules.neglected_after_days;
  for (const auto& seg : policy.segments) {
    if (seg.id == c.policy_segment()) neglected_after = seg.rules.neglected_after_days;
  }
  const bool overdue = c.oldest_days_past_due() > 0;
  if (overdue && (since >= neglected_after ||
                  (since < 0 && c.oldest_days_past_due() >= neglected_after))) {
    item.add_alerts(v1::WorkQueueItem::NEGLECTED);
  }
  for (const auto& reason : c.reasons()) {
    if (reason.code() == "BROKEN_PROMISE") item.add_alerts(v1::WorkQueueItem::BROKEN_PROMISE);
  }
  bool dispute = false, promise_due = false;
  for (const auto& p : c.pauses()) {
    dispute = dispute || p.kind() == v1::CasePause::DISPUTE;
    if (p.kind() == v1::CasePause::PROMISE && HasDate(p.until())) {
      auto until = ToDay(p.until(), "until");
      promise_due = promise_due || (until.ok() && *until - as_of <= 7);
    }
  }
  if (dispute) item.add_alerts(v1::WorkQueueItem::OPEN_DISPUTE);
  if (promise_due) item.add_alerts(v1::WorkQueueItem::PROMISE_DUE);
  const v1::CaseStep& next = c.next_step();
  item.set_priority_explanation(
      HasDate(next.date()) && c.state() == v1::Case::ACTIVE
          ? absl::StrCat(c.priority_explanation(), "; next step on ",
                         absl::StrFormat("%04d-%02d-%02d", next.date().year(), next.date().month(),
                                         next.date().day()))
          : c.priority_explanation());
  return item;
}

}  // namespace

// One customer's account and the tenant's prior from its aggregate (kept by
// the case keeper): what a per-customer call costs is that customer's data,
// never the ledger's. No account when the customer does not exist.
namespace {

absl::StatusOr<Portfolio> LoadOne(RecoveryApp& app, CaseKeeper* keeper, store::Transaction& tx,
                                  const std::string& tenant, const std::string& customer,
                                  absl::CivilDay as_of) {
  if (keeper == nullptr) return LoadPortfolio(app, tx, tenant, as_of);
  Portfolio p;
  ASSIGN_OR_RETURN(p.prior, keeper->Prior(tx));
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kCustomerKind, customer));
  if (!doc) return p;
  ASSIGN_OR_RETURN(domain::AccountContext ctx, app.LoadContext(tx, tenant, customer, as_of));
  RETURN_IF_ERROR(domain::AccountAmountsFit(ctx));
  p.accounts.push_back(std::move(ctx));
  return p;
}

}  // namespace

// ------------------------------------------------------------ policy

absl::StatusOr<v1::CollectionPolicy> RecoveryApp::GetPolicy(const CallContext& ctx,
                                                            const v1::GetPolicyRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(absl::StripSuffix(r.name(),
                                                                         "/collectionPolicy"),
                                                       "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  v1::CollectionPolicy out;
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(out, TenantPolicy(tx));
    return absl::OkStatus();
  }));
  out.set_name(absl::StrCat(TenantName(tenant), "/collectionPolicy"));
  StampEtag(&out);
  return out;
}

absl::StatusOr<v1::CollectionPolicy> RecoveryApp::ReplacePolicy(const CallContext& ctx,
                                                                const v1::ReplacePolicyRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant,
                   ParseTenantName(absl::StripSuffix(r.policy().name(), "/collectionPolicy"),
                                   "policy.name"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  static const auto* kOutputOnly =
      new OutputOnlyFields{"name", "version", "update_time", "updated_by", "etag"};
  RETURN_IF_ERROR(ValidateUpdateMask(v1::CollectionPolicy::descriptor(), r.update_mask(),
                                     *kOutputOnly, "update_mask"));
  const bool whole = r.update_mask().paths_size() == 0;
  absl::StatusOr<domain::CollectionPolicy> validated;
  if (whole) {
    validated = ToDomainPolicy(r.policy());
    if (!validated.ok()) return domain::PrefixFields(validated.status(), "policy.");
  }
  const std::string name = absl::StrCat(TenantName(tenant), "/collectionPolicy");
  v1::CollectionPolicy out;
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(tx, r.request_id(), "RecoveryService/ReplacePolicy", r, &out,
                         [&]() -> absl::Status {
      ASSIGN_OR_RETURN(v1::CollectionPolicy current, TenantPolicy(tx));
      if (r.expected_version() > 0 && r.expected_version() != current.version()) {
        return domain::WithReason(
            absl::AbortedError(absl::StrCat("the policy is at version ", current.version(),
                                            ", not ", r.expected_version())),
            "POLICY_VERSION_MISMATCH");
      }
      v1::CollectionPolicy as_read = current;  // as GetPolicy returns it
      as_read.set_name(name);
      RETURN_IF_ERROR(CheckEtag(r.policy().etag(), ComputeEtag(as_read), "policy.etag", name));
      if (!whole) {
        v1::CollectionPolicy merged = current;
        ApplyUpdateMask(r.policy(), r.update_mask(), *kOutputOnly, &merged);
        validated = ToDomainPolicy(merged);
        if (!validated.ok()) return domain::PrefixFields(validated.status(), "policy.");
      }
      // Stored with every unset field at its domain default, so that
      // GetPolicy shows the policy in force.
      out = ToProtoPolicy(*validated);
      out.set_name(absl::StrCat(TenantName(tenant), "/collectionPolicy"));
      out.set_version(std::max<int64_t>(1, current.version()) + 1);
      *out.mutable_update_time() = Ts(clock_.Now());
      out.set_updated_by(ctx.actor);
      store::Doc doc{kPolicyKind, "current", "", "", "", out.SerializeAsString()};
      RETURN_IF_ERROR(tx.PutDoc(doc));
      RETURN_IF_ERROR(AppendEvent(tx, clock_, ctx, tenant, "policy.replaced", out.name(), "",
                                  &current, &out, r.request_id()));
      StampEtag(&out);
      return absl::OkStatus();
    });
  }));
  return out;
}

// ------------------------------------------------------------ recommendations

absl::StatusOr<v1::Recommendation> RecoveryApp::GetRecommendation(
    const CallContext& ctx, const v1::GetRecommendationRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of()));
  v1::Recommendation out;
  RETURN_IF_ERROR(store_.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
    const domain::CollectionPolicy policy = PolicyFromProto(pp);
    ASSIGN_OR_RETURN(Portfolio portfolio, LoadOne(*this, cases_, tx, cn.tenant, cn.customer, as_of));
    for (const auto& account : portfolio.accounts) {
      if (account.customer.id != cn.customer) continue;
      out = ToProtoRecommendation(cn.tenant,
                                  domain::Recommend(account, policy, portfolio.prior, as_of));
      return absl::OkStatus();
    }
    return domain::NotFoundError("CUSTOMER_NOT_FOUND", absl::StrCat(r.customer(), " does not exist"));
  }));
  return out;
}

absl::StatusOr<v1::ListRecommendationsResponse> RecoveryApp::ListRecommendations(
    const CallContext& ctx, const v1::ListRecommendationsRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of()));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  // Pages of customers by id; each page loads only its own accounts, and
  // the portfolio prior comes from the tenant aggregate the cases keep. A
  // filter that skips accounts reads at most 20 pages of them per call and
  // returns a token to continue.
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  const int max_read = std::max(page_size * 20, 1000);
  v1::ListRecommendationsResponse out;
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
    const domain::CollectionPolicy policy = PolicyFromProto(pp);
    domain::PortfolioPrior prior;
    if (cases_ != nullptr) {
      ASSIGN_OR_RETURN(prior, cases_->Prior(tx));
    } else {
      ASSIGN_OR_RETURN(Portfolio all, LoadPortfolio(*this, tx, tenant, as_of));
      prior = all.prior;
    }
    int read = 0;
    bool more = true;
    while (more && out.recommendations_size() < page_size && read < max_read) {
      const int want = std::min(page_size - out.recommendations_size() + 1, max_read - read);
      ASSIGN_OR_RETURN(auto customers, tx.ListDocs(kCustomerKind, "", after, want));
      more = static_cast<int>(customers.size()) == want;
      for (const auto& doc : customers) {
        if (out.recommendations_size() == page_size) break;
        ++read;
        after = doc.id;
        ASSIGN_OR_RETURN(domain::AccountContext account, LoadContext(tx, tenant, doc.id, as_of));
        const domain::Recommendation rec = domain::Recommend(account, policy, prior, as_of);
        if (r.actionable_only() && !rec.Actionable()) continue;
        *out.add_recommendations() = ToProtoRecommendation(tenant, rec);
      }
    }
    if (more) out.set_next_page_token(NextPageToken(r, after));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::ListWorkQueueResponse> RecoveryApp::ListWorkQueue(
    const CallContext& ctx, const v1::ListWorkQueueRequest& r) {
  // The queue is the case index: every account with something overdue, by
  // stored priority (cases_app.h), keyset pages. Nothing is recomputed per
  // request; as_of only dates "days since the last contact" and the alerts.
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of()));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size(), 50, 500));
  if (cases_ != nullptr) RETURN_IF_ERROR(cases_->CatchUp(tenant));
  store::CaseFilter f;
  f.overdue_only = true;
  f.owner = r.assignee();
  // The total is counted for the first page and carried by the page token,
  // so a walk through the queue counts once (a count per page would make
  // the walk quadratic); later pages report the total as of the first.
  int64_t total = -1;
  if (!r.page_token().empty()) {
    ASSIGN_OR_RETURN(std::string token, PageStart(r));
    std::vector<std::string> parts = absl::StrSplit(token, absl::MaxSplits('|', 2));
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &f.after_priority) ||
        !absl::SimpleAtoi(parts[1], &total)) {
      return InvalidInput("INVALID_PAGE_TOKEN", "page_token", "not a page token of ListWorkQueue");
    }
    f.has_after = true;
    f.after_customer = parts[2];
  }
  const bool post_filter = r.customer_kind() != v1::CUSTOMER_KIND_UNSPECIFIED ||
                           r.alerts_size() > 0 ||
                           r.min_stage() != v1::COLLECTION_STAGE_UNSPECIFIED;
  v1::ListWorkQueueResponse out;
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
    const domain::CollectionPolicy policy = PolicyFromProto(pp);
    if (!post_filter) {
      if (total < 0) {
        ASSIGN_OR_RETURN(total, tx.CountCases(f));
      }
      out.set_total_size(static_cast<int>(std::min<int64_t>(total, INT32_MAX)));
    }
    // Post-filters read on until the page is full (bounded: a page never
    // reads more than 20 batches).
    std::string last_customer;
    int64_t last_priority = 0;
    bool more = false;
    for (int round = 0; round < 20 && out.items_size() < page_size; ++round) {
      f.limit = page_size + 1;
      ASSIGN_OR_RETURN(auto rows, tx.ListCases(f));
      more = static_cast<int>(rows.size()) > page_size;
      for (const auto& row : rows) {
        if (out.items_size() == page_size) {
          more = true;
          break;
        }
        f.has_after = true;
        f.after_priority = row.priority;
        f.after_customer = row.customer;
        v1::Case c;
        if (!c.ParseFromString(row.body)) return absl::InternalError("stored case does not parse");
        v1::WorkQueueItem item = WorkItemOfCase(c, policy, as_of);
        if (r.customer_kind() != v1::CUSTOMER_KIND_UNSPECIFIED &&
            c.customer_kind() != r.customer_kind()) {
          continue;
        }
        if (r.min_stage() != v1::COLLECTION_STAGE_UNSPECIFIED &&
            item.recommendation().stage() < r.min_stage()) {
          continue;
        }
        if (r.alerts_size() > 0) {
          bool any = false;
          for (int a : item.alerts()) {
            for (int want : r.alerts()) any = any || a == want;
          }
          if (!any) continue;
        }
        last_customer = row.customer;
        last_priority = row.priority;
        *out.add_items() = std::move(item);
      }
      if (!more) break;
    }
    if (more && !last_customer.empty()) {
      out.set_next_page_token(NextPageToken(
          r, absl::StrCat(last_priority, "|", total, "|", last_customer)));
    }
    return absl::OkStatus();
  }));
  return out;
}

// ------------------------------------------------------------ contacts

namespace {

absl::Status ValidateContact(const v1::ContactRecord& c) {
  if (c.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(c.channel())) {
    return InvalidInput("INVALID_CONTACT", "contact.channel", "required");
  }
  if (c.direction() == v1::ContactRecord::DIRECTION_UNSPECIFIED) {
    return InvalidInput("INVALID_CONTACT", "contact.direction", "required");
  }
  if (c.outcome() == v1::ContactRecord::OUTCOME_UNSPECIFIED) {
    return InvalidInput("INVALID_CONTACT", "contact.outcome", "required");
  }
  RETURN_IF_ERROR(CheckLength(c.summary(), 4000, "contact.summary"));
  RETURN_IF_ERROR(CheckLength(c.agreement(), 2000, "contact.agreement"));
  RETURN_IF_ERROR(CheckLength(c.actor(), 200, "contact.actor"));
  if (c.override_rule().empty() != c.override_reason().empty()) {
    return InvalidInput("INVALID_OVERRIDE", c.override_rule().empty() ? "contact.override_rule"
                                                                       : "contact.override_reason",
                        "an override needs both the rule and the reason");
  }
  if (!c.override_reason().empty() &&
      (c.override_reason().size() < 10 || c.override_reason().size() > 1000)) {
    return InvalidInput("INVALID_OVERRIDE", "contact.override_reason", "10..1000 characters");
  }
  return absl::OkStatus();
}

// A contact or completion dated before the customer existed is refused: a
// client that sent an unset clock (the 1970 epoch) made the last contact
// look 20,000 days old, and the ladder sent the next reminder the same day.
// The customer existed from its relationship.customer_since when the host
// gave one; otherwise history up to a year before its creation here is
// accepted (a customer imported today was called last month, and replays
// record past days), and anything older must come with customer_since.
absl::Status CheckAfterCustomerExisted(store::Transaction& tx, const std::string& tenant,
                                       const std::string& customer_id, absl::Time t,
                                       absl::string_view field) {
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kCustomerKind, customer_id));
  if (!doc) return absl::OkStatus();  // the caller reports CUSTOMER_NOT_FOUND
  v1::Customer c;
  if (!c.ParseFromString(doc->body)) return absl::InternalError("bad stored customer");
  absl::Time since = FromTs(c.create_time()) - absl::Hours(24 * 366);
  if (c.relationship().has_customer_since()) {
    auto day = ToDay(c.relationship().customer_since(), "customer_since");
    if (day.ok()) since = absl::FromCivil(*day, absl::UTCTimeZone());
  }
  if (t >= since) return absl::OkStatus();
  return InvalidInput(
      "TIME_BEFORE_CUSTOMER", field,
      absl::StrCat(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()), " is before ",
                   CustomerResource(tenant, customer_id), " existed (",
                   absl::FormatTime(absl::RFC3339_full, since, absl::UTCTimeZone()),
                   "): give the time it happened, or leave it unset for now"));
}

}  // namespace

absl::StatusOr<v1::ContactRecord> RecoveryApp::RecordContact(const CallContext& ctx,
                                                            const v1::RecordContactRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  RETURN_IF_ERROR(ValidateContact(r.contact()));
  if (r.contact().has_time()) {
    RETURN_IF_ERROR(CheckNotFuture(FromTs(r.contact().time()), clock_, "contact.time"));
  }
  std::vector<std::string> invoice_ids;
  for (int i = 0; i < r.contact().invoices_size(); ++i) {
    ASSIGN_OR_RETURN(ChildName n, ParseChildName(r.contact().invoices(i), kInvoices,
                                                 absl::StrCat("contact.invoices[", i, "]")));
    if (n.tenant != cn.tenant || n.customer != cn.customer) {
      return InvalidInput("CROSS_CUSTOMER_REFERENCE", absl::StrCat("contact.invoices[", i, "]"),
                          "names an invoice of another customer");
    }
    invoice_ids.push_back(n.id);
  }
  v1::ContactRecord out;
  RETURN_IF_ERROR(store_.Run(cn.tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(tx, r.request_id(), "RecoveryService/RecordContact", r, &out,
                         [&]() -> absl::Status {
      out = r.contact();
      if (!out.has_time()) *out.mutable_time() = Ts(clock_.Now());
      const absl::Time when = FromTs(out.time());
      RETURN_IF_ERROR(CheckAfterCustomerExisted(tx, cn.tenant, cn.customer, when, "contact.time"));
      ASSIGN_OR_RETURN(domain::AccountContext account,
                       LoadContext(tx, cn.tenant, cn.customer, absl::ToCivilDay(when, absl::UTCTimeZone())));
      for (size_t i = 0; i < invoice_ids.size(); ++i) {
        const bool known = std::any_of(account.invoices.begin(), account.invoices.end(),
                                       [&](const auto& inv) { return inv.state.id == invoice_ids[i]; });
        if (!known) {
          return domain::NotFoundError("INVOICE_NOT_FOUND",
                                       absl::StrCat(r.contact().invoices(i), " does not exist"));
        }
      }
      ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
      domain::ProposedContact proposed;
      proposed.time = when;
      proposed.channel = ChannelOf(out.channel());
      proposed.direction = out.direction() == v1::ContactRecord::INBOUND
                               ? domain::Direction::kInbound
                               : domain::Direction::kOutbound;
      proposed.invoice_ids = invoice_ids;
      proposed.override_rule = out.override_rule();
      proposed.override_reason = out.override_reason();
      const domain::ComplianceVerdict verdict =
          domain::CheckContact(account, PolicyFromProto(pp), proposed);
      RETURN_IF_ERROR(domain::VerdictStatus(verdict));
      if (!verdict.overridden) {
        out.clear_override_rule();
        out.clear_override_reason();
      }
      const std::string id =
          ContactId(when, absl::StrCat(cn.customer, r.request_id(), out.SerializeAsString()));
      out.set_name(ChildResource(cn.tenant, cn.customer, kContacts, id));
      if (out.actor().empty()) out.set_actor(ctx.actor);
      RETURN_IF_ERROR(tx.PutDoc({kContactKind, id, cn.customer, "", "", out.SerializeAsString()}));
      const std::string customer_resource = CustomerResource(cn.tenant, cn.customer);
      if (verdict.overridden) {
        RETURN_IF_ERROR(AppendEvent(tx, clock_, ctx, cn.tenant, "compliance.overridden",
                                    out.name(), customer_resource, nullptr, &out, r.request_id()));
      }
      return AppendEvent(tx, clock_, ctx, cn.tenant, "contact.recorded", out.name(),
                         customer_resource, nullptr, &out, r.request_id());
    });
  }));
  return out;
}

absl::StatusOr<v1::ListContactsResponse> RecoveryApp::ListContacts(
    const CallContext& ctx, const v1::ListContactsRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  v1::ListContactsResponse out;
  RETURN_IF_ERROR(store_.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kContactKind, cn.customer, after, page_size + 1));
    for (int i = 0; i < static_cast<int>(docs.size()) && i < page_size; ++i) {
      ASSIGN_OR_RETURN(*out.add_contacts(), ParseDoc<v1::ContactRecord>(docs[i]));
    }
    if (static_cast<int>(docs.size()) > page_size) {
      out.set_next_page_token(NextPageToken(r, docs[page_size - 1].id));
    }
    return absl::OkStatus();
  }));
  return out;
}

// ------------------------------------------------------------ messages

absl::StatusOr<v1::RenderMessageResponse> RecoveryApp::RenderMessage(
    const CallContext& ctx, const v1::RenderMessageRequest& r) {
  return RenderFor(ctx, r, nullptr);
}

absl::StatusOr<v1::RenderMessageResponse> RecoveryApp::PreviewMessage(
    const CallContext& ctx, const v1::RenderMessageRequest& r, const domain::MessageTemplate& text) {
  return RenderFor(ctx, r, &text);
}

absl::StatusOr<v1::RenderMessageResponse> RecoveryApp::RenderFor(
    const CallContext& ctx, const v1::RenderMessageRequest& r, const domain::MessageTemplate* text) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of()));
  RETURN_IF_ERROR(CheckLength(r.template_id(), 128, "template_id"));
  v1::RenderMessageResponse out;
  RETURN_IF_ERROR(store_.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
    const domain::CollectionPolicy policy = PolicyFromProto(pp);
    ASSIGN_OR_RETURN(Portfolio portfolio, LoadOne(*this, cases_, tx, cn.tenant, cn.customer, as_of));
    ASSIGN_OR_RETURN(LetterKit kit, letters_.Load(tx, cn.tenant));
    for (const auto& account : portfolio.accounts) {
      if (account.customer.id != cn.customer) continue;
      const domain::Recommendation rec =
          domain::Recommend(account, policy, portfolio.prior, as_of);
      const std::string id = r.template_id().empty() ? rec.template_id : r.template_id();
      if (text == nullptr && id.empty()) {
        return domain::PreconditionError("NO_MESSAGE",
                                         "the recommendation has no message; name a template_id");
      }
      ASSIGN_OR_RETURN(domain::RenderedMessage m,
                       text != nullptr ? letters_.RenderText(kit, account, rec, *text)
                                       : letters_.Render(kit, account, rec, id));
      out.set_template_id(absl::StrCat(m.template_id, ".", m.locale));
      out.set_subject(m.subject);
      out.set_body(m.body);
      return absl::OkStatus();
    }
    return domain::NotFoundError("CUSTOMER_NOT_FOUND", absl::StrCat(r.customer(), " does not exist"));
  }));
  return out;
}

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
  RETURN_IF_ERROR(cases_->CatchUp(tenant));
  v1::RunCollectionsResponse out;
  const store::TxMode mode = r.dry_run() ? store::TxMode::kRead : store::TxMode::kWrite;
  // What the reply counts, folded in after each committed batch (a batch
  // that is retried starts its tally again).
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
  constexpr int kMaxRefusalSamples = 20;
  constexpr int kMaxSamples = 10;
  constexpr size_t kMaxSampleBytes = 32 * 1024;
  std::map<int, int64_t> by_kind;
  std::map<std::string, int64_t> refusals;
  // Only the cases whose due day has come, a bounded batch per transaction:
  // each batch commits its cases and their actions together, so a run that
  // stops half-way resumes where it stopped (advanced cases are no longer
  // due today) and never writes an action twice.
  constexpr int kBatch = 200;
  std::string after;
  while (true) {
    std::vector<std::string> due;
    Tally t;
    RETURN_IF_ERROR(store_.Run(tenant, mode, [&](store::Transaction& tx) -> absl::Status {
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
      ASSIGN_OR_RETURN(due, tx.ListDueCases(domain::DayNumber(as_of), after, kBatch));
      if (due.empty()) return absl::OkStatus();
      // The letterhead and templates, once per batch.
      ASSIGN_OR_RETURN(LetterKit kit, letters_.Load(tx, tenant));
      ASSIGN_OR_RETURN(auto counter, tx.GetDoc(kCounterKind, kOutboxKind));
      int64_t sequence = 0;
      if (counter && !absl::SimpleAtoi(counter->body, &sequence)) {
        return absl::InternalError("bad outbox counter");
      }
      for (const std::string& customer : due) {
        ++t.evaluated;
        if (!r.dry_run()) {
          // The passing of days decides promises, plans and settlements first.
          RETURN_IF_ERROR(
              RefreshArrangementsInTx(tx, clock_, ctx, tenant, customer, as_of, &config_.policy)
                  .status());
        }
        ASSIGN_OR_RETURN(CaseAdvance adv, cases_->Advance(tx, tenant, customer, "day.passed",
                                                          as_of, true, !r.dry_run()));
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
        action.set_name(OutboxName(tenant, id));
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
          RETURN_IF_ERROR(tx.PutDoc({kOutboxKind, id, customer, "", OutboxNumber(sequence),
                                     action.SerializeAsString()}));
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
    }));
    if (!due.empty()) out.set_batches(out.batches() + 1);
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
    if (static_cast<int>(due.size()) < kBatch) break;
    after = due.back();
  }
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
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
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
    RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
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
  ASSIGN_OR_RETURN(OutboxName2 n, ParseOutboxName(r.name()));
  RETURN_IF_ERROR(CheckTenant(ctx, n.tenant));
  if (r.status() != v1::OutboxAction::SENT && r.status() != v1::OutboxAction::BOUNCED &&
      r.status() != v1::OutboxAction::FAILED && r.status() != v1::OutboxAction::DONE) {
    return InvalidInput("INVALID_STATUS", "status", "SENT, BOUNCED, FAILED or DONE");
  }
  RETURN_IF_ERROR(CheckLength(r.detail(), 2000, "detail"));
  if (r.has_time()) RETURN_IF_ERROR(CheckNotFuture(FromTs(r.time()), clock_, "time"));
  v1::OutboxAction out;
  RETURN_IF_ERROR(store_.Run(n.tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(tx, r.request_id(), "RecoveryService/CompleteAction", r, &out,
                         [&]() -> absl::Status {
      ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kOutboxKind, n.id));
      if (!doc) return domain::NotFoundError("ACTION_NOT_FOUND", absl::StrCat(r.name(), " does not exist"));
      ASSIGN_OR_RETURN(v1::OutboxAction before, ParseDoc<v1::OutboxAction>(*doc));
      if (before.status() != v1::OutboxAction::PENDING) {
        return domain::PreconditionError(
            "ACTION_ALREADY_COMPLETED",
            absl::StrCat(r.name(), " is already ", v1::OutboxAction::Status_Name(before.status())));
      }
      out = before;
      const absl::Time when = r.has_time() ? FromTs(r.time()) : clock_.Now();
      RETURN_IF_ERROR(CheckAfterCustomerExisted(tx, n.tenant, doc->customer, when, "time"));
      out.set_status(r.status());
      out.set_status_detail(r.detail());
      *out.mutable_complete_time() = Ts(when);
      RETURN_IF_ERROR(tx.PutDoc({kOutboxKind, n.id, doc->customer, "", OutboxNumber(out.sequence()),
                                 out.SerializeAsString()}));
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
        case v1::OutboxAction::SENT: contact.set_outcome(v1::ContactRecord::SENT); break;
        case v1::OutboxAction::BOUNCED: contact.set_outcome(v1::ContactRecord::BOUNCED); break;
        case v1::OutboxAction::FAILED: contact.set_outcome(v1::ContactRecord::FAILED); break;
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
      RETURN_IF_ERROR(tx.PutDoc({kContactKind, id, customer_id, "", "", contact.SerializeAsString()}));
      return AppendEvent(tx, clock_, ctx, n.tenant, "contact.recorded", contact.name(),
                         customer_resource, nullptr, &contact, r.request_id());
    });
  }));
  return out;
}

// ------------------------------------------------------------ risk

absl::StatusOr<v1::PaymentRisk> RecoveryApp::GetPaymentRisk(const CallContext& ctx,
                                                           const v1::GetPaymentRiskRequest& r) {
  std::string tenant, customer, invoice;
  if (auto child = ParseChildName(r.name(), kInvoices, "name"); child.ok()) {
    tenant = child->tenant;
    customer = child->customer;
    invoice = child->id;
  } else {
    ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.name(), "name"));
    tenant = cn.tenant;
    customer = cn.customer;
  }
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of()));
  v1::PaymentRisk out;
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(Portfolio portfolio, LoadOne(*this, cases_, tx, tenant, customer, as_of));
    for (const auto& account : portfolio.accounts) {
      if (account.customer.id != customer) continue;
      if (invoice.empty()) {
        out = ToProtoRisk(r.name(), domain::EstimateAccountRisk(account, portfolio.prior, as_of));
        return absl::OkStatus();
      }
      for (const auto& inv : account.invoices) {
        if (inv.state.id != invoice) continue;
        out = ToProtoRisk(r.name(),
                          domain::EstimateInvoiceRisk(account, inv.state, portfolio.prior, as_of));
        return absl::OkStatus();
      }
    }
    return domain::NotFoundError("NOT_FOUND", absl::StrCat(r.name(), " does not exist"));
  }));
  return out;
}

// ------------------------------------------------------------ case file

absl::StatusOr<v1::ExportCaseFileResponse> RecoveryApp::ExportCaseFile(
    const CallContext& ctx, const v1::ExportCaseFileRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of()));
  const std::string customer_resource = CustomerResource(cn.tenant, cn.customer);
  if (cases_ != nullptr) RETURN_IF_ERROR(cases_->CatchUp(cn.tenant, cn.customer));
  std::vector<std::string> json_parts;
  std::string text;
  RETURN_IF_ERROR(store_.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
    static const CallContext kSystem{"system", ""};
    LedgerOps ops(tx, clock_, kSystem, cn.tenant, "");
    ASSIGN_OR_RETURN(AccountSnapshot snap, ops.LoadAccount(cn.customer));
    // Everything in date order.
    auto day_key = [](const v1::Date& d) { return std::tuple(d.year(), d.month(), d.day()); };
    std::stable_sort(snap.invoices.begin(), snap.invoices.end(), [&](const auto& a, const auto& b) {
      return day_key(a.issue_date()) < day_key(b.issue_date());
    });
    std::stable_sort(snap.payments.begin(), snap.payments.end(), [&](const auto& a, const auto& b) {
      return day_key(a.received_date()) < day_key(b.received_date());
    });
    std::stable_sort(snap.credit_notes.begin(), snap.credit_notes.end(),
                     [&](const auto& a, const auto& b) {
                       return day_key(a.issue_date()) < day_key(b.issue_date());
                     });
    ASSIGN_OR_RETURN(auto contacts, AllDocs(tx, kContactKind, cn.customer));

    ASSIGN_OR_RETURN(auto outbox, AllDocs(tx, kOutboxKind, cn.customer));
    ASSIGN_OR_RETURN(auto arrangements, ListAccountArrangements(tx, cn.customer));
    ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
    ASSIGN_OR_RETURN(Portfolio portfolio, LoadOne(*this, cases_, tx, cn.tenant, cn.customer, as_of));
    domain::Recommendation rec;
    for (const auto& a : portfolio.accounts) {
      if (a.customer.id == cn.customer) rec = domain::Recommend(a, PolicyFromProto(pp), portfolio.prior, as_of);
    }
    auto list = [](const std::vector<std::string>& items) {
      return absl::StrCat("[", absl::StrJoin(items, ","), "]");
    };
    std::vector<std::string> items;
    json_parts.push_back(absl::StrCat("\"customer\":", ToJson(snap.customer)));
    json_parts.push_back(absl::StrCat("\"asOf\":\"", absl::FormatCivilTime(as_of), "\""));
    for (const auto& inv : snap.invoices) items.push_back(ToJson(inv));
    json_parts.push_back(absl::StrCat("\"invoices\":", list(items)));
    items.clear();
    for (const auto& p : snap.payments) items.push_back(ToJson(p));
    json_parts.push_back(absl::StrCat("\"payments\":", list(items)));
    items.clear();
    for (const auto& c : snap.credit_notes) items.push_back(ToJson(c));
    json_parts.push_back(absl::StrCat("\"creditNotes\":", list(items)));
    items.clear();
    std::vector<v1::ContactRecord> contact_msgs;
    for (const auto& d : contacts) {
      ASSIGN_OR_RETURN(v1::ContactRecord c, ParseDoc<v1::ContactRecord>(d));
      items.push_back(ToJson(c));
      contact_msgs.push_back(std::move(c));
    }
    json_parts.push_back(absl::StrCat("\"contacts\":", list(items)));
    items.clear();
    for (const auto& a : arrangements) items.push_back(ToJson(a));
    json_parts.push_back(absl::StrCat("\"arrangements\":", list(items)));
    items.clear();
    std::vector<v1::OutboxAction> actions;
    for (const auto& d : outbox) {
      ASSIGN_OR_RETURN(v1::OutboxAction a, ParseDoc<v1::OutboxAction>(d));
      items.push_back(ToJson(a));
      actions.push_back(std::move(a));
    }
    json_parts.push_back(absl::StrCat("\"outboxActions\":", list(items)));
    const v1::Recommendation prec = ToProtoRecommendation(cn.tenant, rec);
    json_parts.push_back(absl::StrCat("\"recommendation\":", ToJson(prec)));
    // The case as stored, with its transition history.
    v1::Case stored_case;
    ASSIGN_OR_RETURN(auto case_row, tx.GetCase(cn.customer));
    if (case_row && stored_case.ParseFromString(case_row->body)) {
      json_parts.push_back(absl::StrCat("\"case\":", ToJson(stored_case)));
    }

    // The printable document.
    absl::StrAppend(&text, "COLLECTION CASE FILE\n", std::string(60, '='), "\n");
    absl::StrAppend(&text, "Debtor:     ", snap.customer.display_name(), " (", customer_resource,
                    ")\n");
    absl::StrAppend(&text, "Kind:       ", v1::CustomerKind_Name(snap.customer.kind()), "\n");
    absl::StrAppend(&text, "As of:      ", absl::FormatCivilTime(as_of), "\n\n");
    absl::StrAppend(&text, "INVOICES\n");
    for (const auto& inv : snap.invoices) {
      absl::StrAppend(&text, absl::StrFormat(
                                 "  %-14s issued %s due %s total %s due now %s %s\n", inv.number(),
                                 absl::StrFormat("%04d-%02d-%02d", inv.issue_date().year(),
                                                 inv.issue_date().month(), inv.issue_date().day()),
                                 absl::StrFormat("%04d-%02d-%02d", inv.due_date().year(),
                                                 inv.due_date().month(), inv.due_date().day()),
                                 domain::FormatMoney(ToMoney(inv.total())),
                                 domain::FormatMoney(ToMoney(inv.amount_due())),
                                 v1::Invoice::Status_Name(inv.status())));
    }
    absl::StrAppend(&text, "\nPAYMENTS AND CREDITS\n");
    for (const auto& p : snap.payments) {
      absl::StrAppend(&text, absl::StrFormat("  payment    %04d-%02d-%02d %s\n",
                                             p.received_date().year(), p.received_date().month(),
                                             p.received_date().day(),
                                             domain::FormatMoney(ToMoney(p.amount()))));
    }
    for (const auto& c : snap.credit_notes) {
      absl::StrAppend(&text, absl::StrFormat("  credit     %04d-%02d-%02d %s %s\n",
                                             c.issue_date().year(), c.issue_date().month(),
                                             c.issue_date().day(),
                                             domain::FormatMoney(ToMoney(c.amount())), c.reason()));
    }
    absl::StrAppend(&text, "\nCONTACT HISTORY\n");
    for (const auto& c : contact_msgs) {
      absl::StrAppend(&text, "  ", absl::FormatTime("%Y-%m-%d %H:%M UTC", FromTs(c.time()),
                                                    absl::UTCTimeZone()),
                      "  ", v1::Channel_Name(c.channel()), " ",
                      v1::ContactRecord::Direction_Name(c.direction()), " ",
                      v1::ContactRecord::Outcome_Name(c.outcome()),
                      c.stage() != v1::COLLECTION_STAGE_UNSPECIFIED
                          ? absl::StrCat(" [", v1::CollectionStage_Name(c.stage()), "]")
                          : "",
                      "\n");
      if (!c.summary().empty()) absl::StrAppend(&text, "      ", c.summary(), "\n");
      if (!c.agreement().empty()) absl::StrAppend(&text, "      Agreement: ", c.agreement(), "\n");
      if (!c.override_rule().empty()) {
        absl::StrAppend(&text, "      Compliance override of ", c.override_rule(), ": ",
                        c.override_reason(), "\n");
      }
    }
    absl::StrAppend(&text, "\nARRANGEMENTS (promises, plans, settlements, fees, disputes, end states)\n");
    for (const auto& a : arrangements) absl::StrAppend(&text, "  ", ToJson(a), "\n");
    absl::StrAppend(&text, "\nACTIONS ISSUED\n");
    for (const auto& a : actions) {
      absl::StrAppend(&text, "  #", a.sequence(), " ",
                      absl::StrFormat("%04d-%02d-%02d", a.as_of().year(), a.as_of().month(),
                                      a.as_of().day()),
                      " ", v1::Recommendation::Action_Name(a.recommendation().action()), " ",
                      v1::OutboxAction::Status_Name(a.status()), "  ", a.subject(), "\n");
    }
    absl::StrAppend(&text, "\nCURRENT ASSESSMENT\n  ", rec.explanation, "\n  ",
                    rec.risk.explanation, "\n");
    if (stored_case.state() != v1::Case::STATE_UNSPECIFIED) {
      absl::StrAppend(&text, "\nCASE\n  ", v1::Case::State_Name(stored_case.state()), ", stage ",
                      v1::CollectionStage_Name(stored_case.stage()), "\n");
      for (const auto& h : stored_case.history()) {
        absl::StrAppend(
            &text, "  ",
            absl::StrFormat("%04d-%02d-%02d", h.date().year(), h.date().month(), h.date().day()),
            "  ", v1::Case::State_Name(h.from_state()), " -> ", v1::Case::State_Name(h.to_state()),
            " (", v1::CollectionStage_Name(h.to_stage()), ") on ", h.event(),
            h.reasons().empty() ? "" : ": ",
            h.reasons().empty() ? "" : h.reasons(h.reasons_size() - 1).text(), "\n");
      }
    }
    return absl::OkStatus();
  }));
  // The status history comes from the audit log.
  store::EventFilter filter;
  filter.customer = customer_resource;
  filter.limit = 10000;
  ASSIGN_OR_RETURN(auto rows, store_.ListEvents(cn.tenant, filter));
  std::vector<std::string> events;
  absl::StrAppend(&text, "\nAUDIT TRAIL\n");
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(v1::Event e, EventFromRow(row));
    events.push_back(ToJson(e));
    absl::StrAppend(&text, "  #", e.sequence(), " ",
                    absl::FormatTime("%Y-%m-%d %H:%M UTC", FromTs(e.time()), absl::UTCTimeZone()),
                    " ", e.type(), " ", e.resource(), " by ", e.actor(), "\n");
  }
  json_parts.push_back(absl::StrCat("\"events\":[", absl::StrJoin(events, ","), "]"));
  v1::ExportCaseFileResponse out;
  out.set_json(absl::StrCat("{", absl::StrJoin(json_parts, ","), "}"));
  out.set_text(std::move(text));
  return out;
}

}  // namespace collections::app
