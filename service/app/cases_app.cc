#include "service/app/cases_app.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collections_sidecar/v1/audit.pb.h"
#include "service/app/arrangements_app.h"
#include "service/app/cases_internal.h"
#include "service/app/ledger_ops.h"
#include "service/app/partial_update.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/store/customer_doc_cache.h"
#include "service/store/store_wrapper.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kAggregateKind[] = "aggregate";
// The tenant's risk aggregate (domain::PortfolioTotals); the earlier model,
// which counted paid invoices only, kept its own under "portfolio_prior".
constexpr char kPriorId[] = "portfolio_risk";
// Customers per transaction when many cases move at once.
constexpr int kBatch = 200;

std::optional<absl::CivilDay> DayOf(const v1::Date& d) {
  if (!HasDate(d)) return std::nullopt;
  auto day = ToDay(d, "date");
  if (!day.ok()) return std::nullopt;
  return *day;
}
void SetDay(const std::optional<absl::CivilDay>& d, v1::Date* out) {
  if (d) *out = ToProtoDate(*d);
}

v1::Recommendation::Action ToProtoAction(domain::Action a) {
  return static_cast<v1::Recommendation::Action>(static_cast<int>(a) + 1);
}
domain::Action ActionOf(v1::Recommendation::Action a) {
  if (a == v1::Recommendation::ACTION_UNSPECIFIED) return domain::Action::kNoAction;
  return static_cast<domain::Action>(static_cast<int>(a) - 1);
}

void ToProtoStep(const std::string& tenant, const domain::CaseStep& s, v1::CaseStep* out) {
  out->set_stage(ToProtoStage(s.stage));
  out->set_action(ToProtoAction(s.action));
  SetDay(s.day, out->mutable_date());
  if (!s.outbox_action.empty()) {
    out->set_outbox_action(absl::StrCat(TenantName(tenant), "/outboxActions/", s.outbox_action));
  }
}
domain::CaseStep StepOf(const v1::CaseStep& s) {
  domain::CaseStep out;
  out.stage = StageOf(s.stage());
  out.action = ActionOf(s.action());
  out.day = DayOf(s.date());
  const std::string& name = s.outbox_action();
  if (!name.empty()) out.outbox_action = name.substr(name.rfind('/') + 1);
  return out;
}

std::string QualifiedArrangement(const std::string& tenant, const std::string& customer,
                                 const std::string& rel) {
  if (rel.empty()) return "";
  if (absl::StartsWith(rel, "outboxActions/")) return absl::StrCat(TenantName(tenant), "/", rel);
  return absl::StrCat(CustomerResource(tenant, customer), "/", rel);
}
std::string RelativeArrangement(const std::string& name) {
  // tenants/t/customers/c/<collection>/<id> -> <collection>/<id>
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() == 4) return absl::StrCat(parts[2], "/", parts[3]);  // tenant-level
  if (parts.size() < 6) return name;
  return absl::StrCat(parts[4], "/", parts[5]);
}

void ToProtoReasons(const std::vector<domain::Reason>& in,
                    google::protobuf::RepeatedPtrField<v1::RecommendationReason>* out) {
  for (const auto& r : in) {
    v1::RecommendationReason* p = out->Add();
    p->set_code(r.code);
    p->set_text(r.text);
  }
}
std::vector<domain::Reason> ReasonsOf(
    const google::protobuf::RepeatedPtrField<v1::RecommendationReason>& in) {
  std::vector<domain::Reason> out;
  for (const auto& r : in) out.push_back({r.code(), r.text()});
  return out;
}

// The customer id of an audit row's customer resource, or empty.
std::string CustomerIdOf(absl::string_view resource) {
  auto cn = ParseCustomerName(resource, "customer");
  return cn.ok() ? cn->customer : std::string();
}

domain::RiskContribution ContributionFromProto(const v1::Case::PaidRecord& p) {
  domain::RiskContribution c;
  // A contribution of an older model counts as nothing (MigrateStore
  // rebuilds the aggregate of a store written by one).
  if (p.model() != domain::kRiskModelVersion) return c;
  c.matured = p.matured();
  c.late = p.matured_late();
  for (int b = 0; b < domain::kDelayBands; ++b) {
    if (b < p.delays_paid_size()) c.delays_paid[b] = p.delays_paid(b);
    if (b < p.delays_open_size()) c.delays_open[b] = p.delays_open(b);
  }
  return c;
}

}  // namespace

v1::Case ToProtoCase(const std::string& tenant, const domain::Case& c) {
  v1::Case out;
  out.set_name(absl::StrCat(CustomerResource(tenant, c.customer), "/case"));
  out.set_customer(CustomerResource(tenant, c.customer));
  out.set_display_name(c.display_name);
  out.set_customer_kind(c.kind == domain::CustomerKind::kConsumer ? v1::CUSTOMER_KIND_CONSUMER
                        : c.kind == domain::CustomerKind::kBusiness
                            ? v1::CUSTOMER_KIND_BUSINESS
                            : v1::CUSTOMER_KIND_UNSPECIFIED);
  if (!c.customer.empty() &&
      (c.recommendation.as_of != absl::CivilDay() || !c.recommendation.reasons.empty())) {
    *out.mutable_recommendation() = ToProtoRecommendation(tenant, c.recommendation);
  }
  out.set_state(static_cast<v1::Case::State>(c.state));
  out.set_stage(ToProtoStage(c.stage));
  SetDay(c.stage_entered, out.mutable_stage_entered_date());
  ToProtoStep(tenant, c.last_step, out.mutable_last_step());
  ToProtoStep(tenant, c.next_step, out.mutable_next_step());
  for (const auto& p : c.pauses) {
    v1::CasePause* q = out.add_pauses();
    q->set_kind(static_cast<v1::CasePause::Kind>(p.kind));
    q->set_arrangement(QualifiedArrangement(tenant, c.customer, p.arrangement));
    for (const auto& id : p.invoice_ids) {
      q->add_invoices(ChildResource(tenant, c.customer, kInvoices, id));
    }
    SetDay(p.until, q->mutable_until());
    q->set_condition(p.condition);
  }
  out.set_governing_arrangement(QualifiedArrangement(tenant, c.customer, c.governing_arrangement));
  for (const auto& m : c.overdue) *out.add_overdue() = ToProtoMoney(m.currency, m.minor);
  for (const auto& m : c.balance) *out.add_balance() = ToProtoMoney(m.currency, m.minor);
  out.set_oldest_days_past_due(c.oldest_days_past_due);
  if (c.last_contact) {
    *out.mutable_last_contact_time() =
        TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(*c.last_contact));
  }
  *out.mutable_risk() = ToProtoRisk(CustomerResource(tenant, c.customer), c.risk);
  out.set_priority(c.priority);
  out.set_priority_currency(c.priority_currency);
  out.set_priority_explanation(c.priority_explanation);
  out.set_owner(c.owner);
  out.set_policy_segment(c.segment);
  out.set_policy_version(c.policy_version);
  SetDay(c.due_day, out.mutable_due_date());
  SetDay(c.evaluated_day, out.mutable_evaluated_date());
  SetDay(c.last_run_day, out.mutable_last_run_date());
  ToProtoReasons(c.reasons, out.mutable_reasons());
  for (const auto& t : c.history) {
    v1::CaseTransition* h = out.add_history();
    h->set_from_state(static_cast<v1::Case::State>(t.from_state));
    h->set_to_state(static_cast<v1::Case::State>(t.to_state));
    h->set_from_stage(ToProtoStage(t.from_stage));
    h->set_to_stage(ToProtoStage(t.to_stage));
    *h->mutable_date() = ToProtoDate(t.day);
    h->set_event(t.event);
    ToProtoReasons(t.reasons, h->mutable_reasons());
  }
  auto* pc = out.mutable_prior_contribution();
  pc->set_model(domain::kRiskModelVersion);
  pc->set_matured(c.prior_contribution.matured);
  pc->set_matured_late(c.prior_contribution.late);
  for (int b = 0; b < domain::kDelayBands; ++b) {
    pc->add_delays_paid(c.prior_contribution.delays_paid[b]);
    pc->add_delays_open(c.prior_contribution.delays_open[b]);
  }
  return out;
}

domain::Case CaseFromProto(const v1::Case& p) {
  domain::Case c;
  if (auto cn = ParseCustomerName(p.customer(), "customer"); cn.ok()) c.customer = cn->customer;
  c.display_name = p.display_name();
  c.kind = p.customer_kind() == v1::CUSTOMER_KIND_CONSUMER   ? domain::CustomerKind::kConsumer
           : p.customer_kind() == v1::CUSTOMER_KIND_BUSINESS ? domain::CustomerKind::kBusiness
                                                             : domain::CustomerKind::kUnspecified;
  c.state = static_cast<domain::CaseState>(p.state());
  c.stage = StageOf(p.stage());
  c.stage_entered = DayOf(p.stage_entered_date());
  c.last_step = StepOf(p.last_step());
  c.next_step = StepOf(p.next_step());
  for (const auto& q : p.pauses()) {
    domain::CasePause pause;
    pause.kind = static_cast<domain::PauseKind>(q.kind());
    pause.arrangement = q.arrangement().empty() ? "" : RelativeArrangement(q.arrangement());
    for (const auto& inv : q.invoices())
      pause.invoice_ids.push_back(inv.substr(inv.rfind('/') + 1));
    pause.until = DayOf(q.until());
    pause.condition = q.condition();
    c.pauses.push_back(std::move(pause));
  }
  c.governing_arrangement =
      p.governing_arrangement().empty() ? "" : RelativeArrangement(p.governing_arrangement());
  for (const auto& m : p.overdue()) c.overdue.push_back(ToMoney(m));
  for (const auto& m : p.balance()) c.balance.push_back(ToMoney(m));
  c.oldest_days_past_due = p.oldest_days_past_due();
  if (p.has_last_contact_time()) {
    c.last_contact = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(p.last_contact_time()));
  }
  c.risk.late_probability_bp = p.risk().late_probability_bp();
  c.risk.expected_days_late = p.risk().expected_days_late();
  c.risk.explanation = p.risk().explanation();
  c.risk.own_history_count = p.risk().own_history_count();
  c.risk.own_weight_bp = p.risk().own_weight_bp();
  c.risk.if_late = {p.risk().days_late_if_late_low(), p.risk().days_late_if_late(),
                    p.risk().days_late_if_late_high(), 0};
  c.risk.portfolio_late_bp = p.risk().portfolio_late_bp();
  c.risk.prior_strength_centi = p.risk().prior_strength_centi();
  c.risk.signals.assign(p.risk().signals().begin(), p.risk().signals().end());
  c.priority = p.priority();
  c.priority_currency = p.priority_currency();
  c.priority_explanation = p.priority_explanation();
  c.owner = p.owner();
  c.segment = p.policy_segment();
  c.policy_version = p.policy_version();
  c.due_day = DayOf(p.due_date());
  c.evaluated_day = DayOf(p.evaluated_date());
  c.last_run_day = DayOf(p.last_run_date());
  c.reasons = ReasonsOf(p.reasons());
  for (const auto& h : p.history()) {
    domain::CaseTransitionRecord t;
    t.from_state = static_cast<domain::CaseState>(h.from_state());
    t.to_state = static_cast<domain::CaseState>(h.to_state());
    t.from_stage = StageOf(h.from_stage());
    t.to_stage = StageOf(h.to_stage());
    t.day = DayOf(h.date()).value_or(absl::CivilDay());
    t.event = h.event();
    t.reasons = ReasonsOf(h.reasons());
    c.history.push_back(std::move(t));
  }
  c.prior_contribution = ContributionFromProto(p.prior_contribution());
  return c;
}

// ------------------------------------------------------------ keeper

absl::StatusOr<std::optional<domain::Case>> CaseKeeper::Load(store::Transaction& tx,
                                                             const std::string& customer) {
  ASSIGN_OR_RETURN(auto row, tx.GetCase(customer));
  if (!row) return std::optional<domain::Case>();
  v1::Case p;
  if (!p.ParseFromString(row->body)) {
    return absl::InternalError(absl::StrCat("stored case of ", customer, " does not parse"));
  }
  return std::optional<domain::Case>(CaseFromProto(p));
}

namespace {

// The aggregate document: "2 customers matured late matured_sq
// late_sq_over_n_micro" followed by the paid delays and the open delays by
// band.
absl::StatusOr<domain::PortfolioTotals> LoadTotals(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kAggregateKind, kPriorId));
  domain::PortfolioTotals t;
  if (!doc) return t;
  std::vector<std::string> parts = absl::StrSplit(doc->body, ' ');
  std::vector<int64_t> v;
  for (const auto& part : parts) {
    int64_t x = 0;
    if (!absl::SimpleAtoi(part, &x))
      return absl::InternalError("stored portfolio aggregate does not parse");
    v.push_back(x);
  }
  if (v.size() != 6 + 2 * domain::kDelayBands || v[0] != domain::kRiskModelVersion) {
    return absl::InternalError("stored portfolio aggregate does not parse");
  }
  t.customers = v[1];
  t.matured = v[2];
  t.late = v[3];
  t.matured_sq = v[4];
  t.late_sq_over_n_micro = v[5];
  for (int b = 0; b < domain::kDelayBands; ++b) {
    t.delays_paid[b] = v[6 + b];
    t.delays_open[b] = v[6 + domain::kDelayBands + b];
  }
  return t;
}

}  // namespace

namespace cases_internal {

absl::Status PutTotals(store::Transaction& tx, const domain::PortfolioTotals& t) {
  std::string body = absl::StrCat(domain::kRiskModelVersion, " ", t.customers, " ", t.matured, " ",
                                  t.late, " ", t.matured_sq, " ", t.late_sq_over_n_micro);
  for (int64_t x : t.delays_paid) absl::StrAppend(&body, " ", x);
  for (int64_t x : t.delays_open) absl::StrAppend(&body, " ", x);
  return tx.PutDoc({kAggregateKind, kPriorId, "", "", "", body});
}

absl::StatusOr<bool> HasTotals(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kAggregateKind, kPriorId));
  return doc.has_value();
}

}  // namespace cases_internal

absl::StatusOr<domain::PortfolioPrior> CaseKeeper::Prior(store::Transaction& tx) {
  ASSIGN_OR_RETURN(domain::PortfolioTotals totals, LoadTotals(tx));
  return domain::PriorFromTotals(totals);
}

absl::Status CaseKeeper::Put(store::Transaction& tx, const std::string& tenant,
                             const domain::Case& c, const std::optional<domain::Case>& before) {
  const domain::RiskContribution old =
      before ? before->prior_contribution : domain::RiskContribution{};
  if (!(old == c.prior_contribution)) {
    ASSIGN_OR_RETURN(domain::PortfolioTotals totals, LoadTotals(tx));
    totals.Add(old, -1);
    totals.Add(c.prior_contribution, +1);
    RETURN_IF_ERROR(cases_internal::PutTotals(tx, totals));
  }
  store::CaseRow row;
  row.customer = c.customer;
  row.state = static_cast<int>(c.state);
  row.stage = static_cast<int>(ToProtoStage(c.stage));
  row.paused = c.state == domain::CaseState::kPaused;
  row.owner = c.owner;
  row.priority = c.priority;
  row.currency = c.priority_currency;
  row.overdue = c.MainOverdue();
  row.due_day = c.due_day ? domain::DayNumber(*c.due_day) : store::kNoDueDay;
  row.body = ToProtoCase(tenant, c).SerializeAsString();
  return tx.PutCase(row);
}

absl::StatusOr<CaseAdvance> CaseKeeper::Advance(store::Transaction& tx, const std::string& tenant,
                                                const std::string& customer,
                                                absl::string_view event_type, absl::CivilDay day,
                                                bool daily_run, bool write) {
  ASSIGN_OR_RETURN(std::optional<domain::Case> before, Load(tx, customer));
  ASSIGN_OR_RETURN(v1::CollectionPolicy pp, loader_.TenantPolicy(tx));
  const domain::CollectionPolicy policy = PolicyFromProto(pp);
  ASSIGN_OR_RETURN(domain::PortfolioPrior prior, Prior(tx));
  CaseAdvance out;
  ASSIGN_OR_RETURN(out.account, loader_.LoadContext(tx, tenant, customer, day));
  domain::CaseEvent event{std::string(event_type), day, daily_run};
  out.outcome =
      domain::Transition(before.value_or(domain::Case{}), event, out.account, policy, prior);
  if (write) RETURN_IF_ERROR(Put(tx, tenant, out.outcome.after, before));
  return out;
}

// ------------------------------------------------------------ keeping store

namespace {

// Forwards every call to the store's transaction and notes the customers
// whose audit events it appends.
class TrackingTransaction : public store::TransactionWrapper {
 public:
  explicit TrackingTransaction(store::Transaction& inner) : TransactionWrapper(inner) {}

  absl::StatusOr<int64_t> AppendEvent(const store::EventRow& event) override {
    ASSIGN_OR_RETURN(int64_t seq, target().AppendEvent(event));
    Track(event);
    return seq;
  }
  absl::Status AddEvent(const store::EventRow& event) override {
    RETURN_IF_ERROR(target().AddEvent(event));
    Track(event);
    return absl::OkStatus();
  }

  void KeepInline() { keep_inline_ = true; }
  bool keep_inline() const { return keep_inline_; }
  void MarkHandled(const std::string& customer) {
    handled_.insert(customer);
    touched_.erase(customer);
  }
  store::Transaction& inner() { return target(); }
  // Customers touched and not handled, in the order first touched.
  std::vector<std::pair<std::string, std::string>> Touched() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& c : order_) {
      auto it = touched_.find(c);
      if (it != touched_.end()) out.emplace_back(c, it->second);
    }
    return out;
  }

 private:
  // Notes the customer of an appended event and the change it names.
  void Track(const store::EventRow& event) {
    const std::string customer = CustomerIdOf(event.customer);
    if (!customer.empty() && !handled_.count(customer)) {
      // The writer names the type; a copied row (copy_tenant) has it only
      // in its body.
      std::string type = event.type;
      if (type.empty()) {
        v1::Event e;
        type = e.ParseFromString(event.body) && !e.type().empty() ? e.type() : "ledger.changed";
      }
      auto [it, inserted] = touched_.emplace(customer, type);
      if (!inserted) it->second = type;  // the last event names the change
      if (inserted) order_.push_back(customer);
    }
  }

  std::map<std::string, std::string> touched_;  // customer -> last event type
  std::vector<std::string> order_;
  std::set<std::string> handled_;
  bool keep_inline_ = false;
};

}  // namespace

class CaseKeepingStore : public store::StoreWrapper {
 public:
  explicit CaseKeepingStore(std::unique_ptr<store::Store> inner) : StoreWrapper(std::move(inner)) {}
  ~CaseKeepingStore() override { StopRefresher(); }

  void set_keeper(CaseKeeper* keeper) { keeper_ = keeper; }

  absl::Status Run(absl::string_view tenant, store::TxMode mode,
                   const std::function<absl::Status(store::Transaction&)>& fn) override {
    if (mode != store::TxMode::kWrite || keeper_ == nullptr) return target().Run(tenant, mode, fn);
    const std::string t(tenant);
    bool deferred = false;
    absl::Status st = target().Run(tenant, mode, [&](store::Transaction& tx) -> absl::Status {
      deferred = false;
      TrackingTransaction tracking(tx);
      RETURN_IF_ERROR(fn(tracking));
      const absl::CivilDay today = keeper_->clock().TodayUtc();
      const auto touched = tracking.Touched();
      if (static_cast<int>(touched.size()) > kInlineCases && !tracking.keep_inline()) {
        // A bulk write (a sync chunk across many customers): note the cases
        // and move each one once, later, however many chunks touched it.
        std::vector<store::StaleCase> marks;
        marks.reserve(touched.size());
        for (const auto& [customer, type] : touched) {
          marks.push_back({customer, type, domain::DayNumber(today)});
        }
        absl::Status marked = tx.MarkCasesStale(marks);
        if (marked.ok()) {
          deferred = true;
          return absl::OkStatus();
        }
        if (!absl::IsUnimplemented(marked)) return marked;
      }
      std::vector<std::string> moved;
      for (const auto& [customer, type] : touched) {
        RETURN_IF_ERROR(keeper_->Advance(tx, t, customer, type, today, false).status());
        moved.push_back(customer);
      }
      // A case moved here needs no deferred refresh any more.
      absl::Status cleared = moved.empty() ? absl::OkStatus() : tx.ClearStaleCases(moved);
      if (!cleared.ok() && !absl::IsUnimplemented(cleared)) return cleared;
      return absl::OkStatus();
    });
    if (st.ok() && deferred) NoteStale(t);
    return st;
  }

  // Moves every case of `tenant` marked stale (only `customer`'s when it is
  // not empty), in transactions of kBatch customers.
  absl::Status CatchUp(const std::string& tenant, absl::string_view customer,
                       std::vector<CaseKeeper::CaseFailure>* failures = nullptr) {
    if (keeper_ == nullptr) return absl::OkStatus();
    // Most calls find nothing pending: ask in a read transaction, which does
    // not wait for the tenant's writers.
    bool any = false;
    RETURN_IF_ERROR(
        target().Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
          auto stale = tx.ListStaleCases(customer, 1);
          if (absl::IsUnimplemented(stale.status())) return absl::OkStatus();
          if (!stale.ok()) return stale.status();
          any = !stale->empty();
          return absl::OkStatus();
        }));
    if (!any) return absl::OkStatus();
    // Cases whose move fails on their own data (a stored document that does
    // not parse, say): left stale, with their last state, and passed over by
    // the rest of this catch-up, so that one of them does not hold back the
    // tenant's lists and daily run. A catch-up of one customer returns the
    // error; that case's readers see it.
    std::set<std::string> failed;
    while (true) {
      const int limit = kBatch + static_cast<int>(failed.size());
      int listed = 0;
      std::vector<store::StaleCase> batch;
      absl::Status st =
          target().Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
            listed = 0;
            batch.clear();
            auto stale = tx.ListStaleCases(customer, limit);
            if (absl::IsUnimplemented(stale.status())) return absl::OkStatus();
            if (!stale.ok()) return stale.status();
            listed = static_cast<int>(stale->size());
            for (store::StaleCase& c : *stale) {
              if (!failed.count(c.customer)) batch.push_back(std::move(c));
            }
            return MoveStale(tx, tenant, batch);
          });
      if (!customer.empty()) RETURN_IF_ERROR(st);
      // Nothing of a failed batch was written: again, one case at a time.
      RETURN_IF_ERROR(RetryOneByOne<store::StaleCase>(
          st, batch,
          [&](const store::StaleCase& c) {
            return target().Run(tenant, store::TxMode::kWrite,
                                [&](store::Transaction& tx) { return MoveStale(tx, tenant, {c}); });
          },
          [&](const store::StaleCase& c, const absl::Status& error) {
            failed.insert(c.customer);
            if (failures != nullptr) failures->push_back({c.customer, error});
          }));
      if (listed < limit) return absl::OkStatus();
    }
  }

  // The background refresher: moves the stale cases of a tenant once its
  // bulk writes have paused for kQuiet (so a long sync moves each case once),
  // and at the latest kMaxLag after the first mark, or kLagPerCatchUp times
  // the tenant's last catch-up if that is longer: during a bulk load that
  // touches every customer, each catch-up moves every case, so a fixed lag
  // would move each case once per kMaxLag (46 times over a 1M-invoice load
  // at 8 minutes); this way catching up takes at most about a fifth of the
  // time. Readers that need a case current catch it up themselves
  // (CaseKeeper::CatchUp).
  void StartRefresher() {
    {
      absl::MutexLock lock(&mu_);
      if (refresher_.joinable()) return;
      stop_ = false;
    }
    // Marks left by an earlier process (or another replica) are due at once.
    if (auto tenants = target().ListTenants(); tenants.ok()) {
      absl::MutexLock lock(&mu_);
      for (const auto& t : *tenants) pending_[t] = {absl::InfinitePast(), absl::InfinitePast()};
    }
    refresher_ = std::thread([this] { RefreshLoop(); });
  }
  void StopRefresher() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    if (refresher_.joinable()) refresher_.join();
  }

 private:
  // Moves the `stale` cases in `tx` and clears their marks.
  absl::Status MoveStale(store::Transaction& tx, const std::string& tenant,
                         const std::vector<store::StaleCase>& stale) {
    std::vector<std::string> moved;
    moved.reserve(stale.size());
    for (const store::StaleCase& c : stale) {
      RETURN_IF_ERROR(
          keeper_->Advance(tx, tenant, c.customer, c.event, domain::DayFromNumber(c.day), false)
              .status());
      moved.push_back(c.customer);
    }
    return moved.empty() ? absl::OkStatus() : tx.ClearStaleCases(moved);
  }

  // Writes touching more customers than this defer their cases.
  static constexpr int kInlineCases = 16;
  static constexpr absl::Duration kQuiet = absl::Milliseconds(500);
  static constexpr absl::Duration kMaxLag = absl::Seconds(10);
  static constexpr int kLagPerCatchUp = 4;
  struct Pending {
    absl::Time first;
    absl::Time last;
  };

  void NoteStale(const std::string& tenant) {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    auto [it, inserted] = pending_.try_emplace(tenant, Pending{now, now});
    if (!inserted) it->second.last = now;
  }

  void RefreshLoop() {
    absl::MutexLock lock(&mu_);
    while (!stop_) {
      const absl::Time now = absl::Now();
      std::vector<std::string> ready;
      for (auto it = pending_.begin(); it != pending_.end();) {
        auto took = last_catch_up_.find(it->first);
        const absl::Duration max_lag =
            std::max(kMaxLag, took == last_catch_up_.end() ? absl::ZeroDuration()
                                                           : kLagPerCatchUp * took->second);
        if (now - it->second.last >= kQuiet || now - it->second.first >= max_lag) {
          ready.push_back(it->first);
          it = pending_.erase(it);
        } else {
          ++it;
        }
      }
      if (ready.empty()) {
        cv_.WaitWithTimeout(&mu_, absl::Milliseconds(100));
        continue;
      }
      mu_.Unlock();
      std::vector<std::string> failed;
      std::vector<std::pair<std::string, absl::Duration>> took;
      for (const auto& t : ready) {
        const absl::Time start = absl::Now();
        if (!CatchUp(t, "").ok()) failed.push_back(t);
        took.emplace_back(t, absl::Now() - start);
      }
      mu_.Lock();
      for (const auto& [t, d] : took) last_catch_up_[t] = d;
      // A failed refresh is tried again later; readers catch up meanwhile.
      for (const auto& t : failed) pending_.try_emplace(t, Pending{absl::Now(), absl::Now()});
    }
  }

  CaseKeeper* keeper_ = nullptr;
  absl::Mutex mu_;
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  // How long each tenant's last background catch-up took.
  std::map<std::string, absl::Duration> last_catch_up_ ABSL_GUARDED_BY(mu_);
  std::thread refresher_;
};

std::unique_ptr<store::Store> WithCaseKeeping(std::unique_ptr<store::Store> inner,
                                              CaseKeepingStore** handle) {
  auto s = std::make_unique<CaseKeepingStore>(std::move(inner));
  if (handle != nullptr) *handle = s.get();
  return s;
}

std::unique_ptr<store::Store> WithAccountDocCache(std::unique_ptr<store::Store> inner) {
  return store::WithCustomerDocCache(
      std::move(inner),
      {kPaymentKind, kCreditNoteKind, kPromiseKind, kPlanKind, kSettlementDocKind, kFeeKind,
       kDisputeKind, kWriteOffDocKind, kReferralKind, kContactKind, kOutboxKind});
}

void SetKeeper(CaseKeepingStore* store, CaseKeeper* keeper) {
  store->set_keeper(keeper);
  keeper->set_deferred(store);
}
void StartCaseRefresher(CaseKeepingStore* store) { store->StartRefresher(); }
void StopCaseRefresher(CaseKeepingStore* store) { store->StopRefresher(); }

absl::Status CaseKeeper::CatchUp(const std::string& tenant, absl::string_view customer,
                                 std::vector<CaseFailure>* failures) {
  return deferred_ == nullptr ? absl::OkStatus() : deferred_->CatchUp(tenant, customer, failures);
}

absl::Status CaseKeeper::ReadCurrent(store::Store& store, const std::string& tenant,
                                     const std::string& customer,
                                     const std::function<absl::Status(store::Transaction&)>& read) {
  if (deferred_ == nullptr) return store.Run(tenant, store::TxMode::kRead, read);
  bool stale = false;
  RETURN_IF_ERROR(
      store.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(stale, IsStale(tx, customer));
        return stale ? absl::OkStatus() : read(tx);
      }));
  if (!stale) return absl::OkStatus();
  RETURN_IF_ERROR(CatchUp(tenant, customer));
  return store.Run(tenant, store::TxMode::kRead, read);
}

absl::StatusOr<bool> CaseKeeper::IsStale(store::Transaction& tx, absl::string_view customer) {
  auto marks = tx.ListStaleCases(customer, 1);
  if (absl::IsUnimplemented(marks.status())) return false;
  if (!marks.ok()) return marks.status();
  return !marks->empty();
}

void KeepCasesInline(store::Transaction& tx) {
  if (auto* t = dynamic_cast<TrackingTransaction*>(&tx)) t->KeepInline();
}

void MarkCaseHandled(store::Transaction& tx, const std::string& customer) {
  if (auto* t = dynamic_cast<TrackingTransaction*>(&tx)) t->MarkHandled(customer);
}

}  // namespace collections::app
