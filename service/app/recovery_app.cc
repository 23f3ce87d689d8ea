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
#include "collections_sidecar/v1/cases.pb.h"
#include "service/app/arrangements_app.h"
#include "service/app/cases_app.h"
#include "service/app/ledger_ops.h"
#include "service/app/partial_update.h"
#include "service/app/recovery_internal.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/compliance.h"
#include "service/domain/recommend.h"
#include "service/domain/risk.h"
#include "service/domain/templates.h"
#include "service/domain/work_queue.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

using domain::InvalidInput;

// Every document of `kind` (of one customer, or all when empty), by id.
absl::StatusOr<std::vector<store::Doc>> AllDocs(store::Transaction& tx, absl::string_view kind,
                                                absl::string_view customer) {
  std::vector<store::Doc> out;
  std::string after;
  constexpr int kPage = 1000;
  while (true) {
    ASSIGN_OR_RETURN(auto page, tx.ListDocs(kind, customer, after, kPage));
    if (page.empty()) break;
    after = page.back().id;
    const bool last = static_cast<int>(page.size()) < kPage;
    for (auto& d : page) out.push_back(std::move(d));
    if (last) break;  // A short page is the last: no query for an empty one.
  }
  return out;
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

namespace {

// Every customer id of the tenant, ascending.
absl::StatusOr<std::vector<std::string>> AllCustomers(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto docs, AllDocs(tx, kCustomerKind, ""));
  std::vector<std::string> ids;
  for (const auto& d : docs) ids.push_back(d.id);
  return ids;
}

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
  ASSIGN_OR_RETURN(auto contacts, AllDocs(tx, kContactKind, customer));
  ASSIGN_OR_RETURN(auto outbox, AllDocs(tx, kOutboxKind, customer));
  return BuildContext(tx, tenant, customer, as_of, snap.customer, std::move(snap.invoice_states),
                      std::move(snap.credits), contacts, outbox);
}

absl::StatusOr<domain::AccountContext> RecoveryApp::BuildContext(
    store::Transaction& tx, const std::string& tenant, const std::string& customer,
    absl::CivilDay as_of, const v1::Customer& customer_doc,
    std::vector<domain::InvoiceState> invoice_states, std::vector<domain::CreditState> credits,
    const std::vector<store::Doc>& contacts, const std::vector<store::Doc>& outbox) {
  domain::AccountContext ctx;
  ctx.customer = CustomerFactsOf(customer, customer_doc);
  for (auto& s : invoice_states) {
    domain::InvoiceContext inv;
    inv.state = std::move(s);
    ctx.invoices.push_back(std::move(inv));
  }
  ctx.credits = std::move(credits);
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
    since = static_cast<int>(as_of -
                             absl::ToCivilDay(FromTs(c.last_contact_time()), absl::UTCTimeZone()));
  }
  item.set_days_since_last_contact(since);
  int neglected_after = policy.default_rules.neglected_after_days;
  for (const auto& seg : policy.segments) {
    if (seg.id == c.policy_segment()) neglected_after = seg.rules.neglected_after_days;
  }
  const bool overdue = c.oldest_days_past_due() > 0;
  if (overdue &&
      (since >= neglected_after || (since < 0 && c.oldest_days_past_due() >= neglected_after))) {
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
absl::StatusOr<Portfolio> LoadOne(RecoveryApp& app, CaseKeeper* keeper, store::Transaction& tx,
                                  const std::string& tenant, const std::string& customer,
                                  absl::CivilDay as_of) {
  if (keeper == nullptr) return LoadPortfolio(app, tx, tenant, as_of);
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kCustomerKind, customer));
  if (!doc) return PortfolioOfOne(*keeper, tx, std::nullopt);
  ASSIGN_OR_RETURN(domain::AccountContext ctx, app.LoadContext(tx, tenant, customer, as_of));
  return PortfolioOfOne(*keeper, tx, std::move(ctx));
}

absl::StatusOr<Portfolio> PortfolioOfOne(CaseKeeper& keeper, store::Transaction& tx,
                                         std::optional<domain::AccountContext> account) {
  Portfolio p;
  ASSIGN_OR_RETURN(p.prior, keeper.Prior(tx));
  if (!account) return p;
  RETURN_IF_ERROR(domain::AccountAmountsFit(*account));
  p.accounts.push_back(*std::move(account));
  return p;
}

// ------------------------------------------------------------ policy

absl::StatusOr<v1::CollectionPolicy> RecoveryApp::GetPolicy(const CallContext& ctx,
                                                            const v1::GetPolicyRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant,
                   ParseTenantName(absl::StripSuffix(r.name(), "/collectionPolicy"), "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  v1::CollectionPolicy out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(out, TenantPolicy(tx));
        return absl::OkStatus();
      }));
  out.set_name(absl::StrCat(TenantName(tenant), "/collectionPolicy"));
  StampEtag(&out);
  return out;
}

absl::StatusOr<v1::CollectionPolicy> RecoveryApp::ReplacePolicy(const CallContext& ctx,
                                                                const v1::ReplacePolicyRequest& r) {
  ASSIGN_OR_RETURN(
      std::string tenant,
      ParseTenantName(absl::StripSuffix(r.policy().name(), "/collectionPolicy"), "policy.name"));
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
    return RunIdempotent(
        tx, r.request_id(), "RecoveryService/ReplacePolicy", r, &out, [&]() -> absl::Status {
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
  RETURN_IF_ERROR(
      store_.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
        const domain::CollectionPolicy policy = PolicyFromProto(pp);
        ASSIGN_OR_RETURN(Portfolio portfolio,
                         LoadOne(*this, cases_, tx, cn.tenant, cn.customer, as_of));
        for (const auto& account : portfolio.accounts) {
          if (account.customer.id != cn.customer) continue;
          out = ToProtoRecommendation(cn.tenant,
                                      domain::Recommend(account, policy, portfolio.prior, as_of));
          return absl::OkStatus();
        }
        return domain::NotFoundError("CUSTOMER_NOT_FOUND",
                                     absl::StrCat(r.customer(), " does not exist"));
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
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
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
            ASSIGN_OR_RETURN(domain::AccountContext account,
                             LoadContext(tx, tenant, doc.id, as_of));
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
                           r.alerts_size() > 0 || r.min_stage() != v1::COLLECTION_STAGE_UNSPECIFIED;
  v1::ListWorkQueueResponse out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
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
            if (!c.ParseFromString(row.body))
              return absl::InternalError("stored case does not parse");
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
          out.set_next_page_token(
              NextPageToken(r, absl::StrCat(last_priority, "|", total, "|", last_customer)));
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
    const CallContext& ctx, const v1::RenderMessageRequest& r,
    const domain::MessageTemplate& text) {
  return RenderFor(ctx, r, &text);
}

absl::StatusOr<v1::RenderMessageResponse> RecoveryApp::RenderFor(
    const CallContext& ctx, const v1::RenderMessageRequest& r,
    const domain::MessageTemplate* text) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, AsOf(r.as_of()));
  RETURN_IF_ERROR(CheckLength(r.template_id(), 128, "template_id"));
  v1::RenderMessageResponse out;
  RETURN_IF_ERROR(
      store_.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
        const domain::CollectionPolicy policy = PolicyFromProto(pp);
        ASSIGN_OR_RETURN(Portfolio portfolio,
                         LoadOne(*this, cases_, tx, cn.tenant, cn.customer, as_of));
        ASSIGN_OR_RETURN(LetterKit kit, letters_.Load(tx, cn.tenant));
        for (const auto& account : portfolio.accounts) {
          if (account.customer.id != cn.customer) continue;
          const domain::Recommendation rec =
              domain::Recommend(account, policy, portfolio.prior, as_of);
          const std::string id = r.template_id().empty() ? rec.template_id : r.template_id();
          if (text == nullptr && id.empty()) {
            return domain::PreconditionError(
                "NO_MESSAGE", "the recommendation has no message; name a template_id");
          }
          ASSIGN_OR_RETURN(domain::RenderedMessage m,
                           text != nullptr ? letters_.RenderText(kit, account, rec, *text)
                                           : letters_.Render(kit, account, rec, id));
          out.set_template_id(absl::StrCat(m.template_id, ".", m.locale));
          out.set_subject(m.subject);
          out.set_body(m.body);
          return absl::OkStatus();
        }
        return domain::NotFoundError("CUSTOMER_NOT_FOUND",
                                     absl::StrCat(r.customer(), " does not exist"));
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
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(Portfolio portfolio, LoadOne(*this, cases_, tx, tenant, customer, as_of));
        for (const auto& account : portfolio.accounts) {
          if (account.customer.id != customer) continue;
          if (invoice.empty()) {
            out =
                ToProtoRisk(r.name(), domain::EstimateAccountRisk(account, portfolio.prior, as_of));
            return absl::OkStatus();
          }
          for (const auto& inv : account.invoices) {
            if (inv.state.id != invoice) continue;
            out = ToProtoRisk(
                r.name(), domain::EstimateInvoiceRisk(account, inv.state, portfolio.prior, as_of));
            return absl::OkStatus();
          }
        }
        return domain::NotFoundError("NOT_FOUND", absl::StrCat(r.name(), " does not exist"));
      }));
  return out;
}

}  // namespace collections::app
