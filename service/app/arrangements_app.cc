#include "service/app/arrangements_app.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "service/app/ledger_ops.h"
#include "service/app/resource_names.h"
#include "service/app/tenant_policy.h"
#include "service/domain/allocation_order.h"
#include "service/domain/amount_limits.h"
#include "service/domain/disputes.h"
#include "service/domain/end_states.h"
#include "service/domain/errors.h"
#include "service/domain/plans.h"
#include "service/domain/promises.h"
#include "service/domain/status_macros.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using domain::InvalidInput;
using google::protobuf::util::TimeUtil;

constexpr char kPromises[] = "promises";
constexpr char kPlans[] = "plans";
constexpr char kSettlements[] = "settlements";
constexpr char kFees[] = "fees";
constexpr char kDisputes[] = "disputes";
constexpr char kWriteOffs[] = "writeOffs";
constexpr char kReferrals[] = "referrals";

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(ts));
}

std::optional<absl::CivilDay> OptDay(const v1::Date& d) {
  if (!HasDate(d)) return std::nullopt;
  auto day = ToDay(d, "date");
  if (!day.ok()) return std::nullopt;
  return *day;
}

template <typename Msg>
absl::StatusOr<Msg> Parse(const store::Doc& d) {
  Msg m;
  if (!m.ParseFromString(d.body)) {
    return absl::InternalError(absl::StrCat("stored ", d.kind, " ", d.id, " does not parse"));
  }
  return m;
}

absl::Status CheckText(const std::string& text, size_t min, size_t max, absl::string_view field) {
  if (text.size() < min || text.size() > max) {
    return InvalidInput("INVALID_TEXT", field,
                        min > 0 ? absl::StrCat("required: ", min, "..", max, " characters")
                                : absl::StrCat("at most ", max, " characters"));
  }
  return absl::OkStatus();
}

bool IsFeeInvoice(const v1::Invoice& inv) {
  return inv.external_ref().source_system() == kSidecarSource &&
         absl::StartsWith(inv.external_ref().id(), "fee-");
}

std::string IdOf(absl::string_view resource_name) {
  const size_t slash = resource_name.rfind('/');
  return std::string(slash == absl::string_view::npos ? resource_name
                                                      : resource_name.substr(slash + 1));
}

// ------------------------------------------------------- proto <-> domain

domain::PromiseStatus FromProto(v1::PromiseToPay::Status s) {
  switch (s) {
    case v1::PromiseToPay::KEPT:
      return domain::PromiseStatus::kKept;
    case v1::PromiseToPay::PARTLY_KEPT:
      return domain::PromiseStatus::kPartlyKept;
    case v1::PromiseToPay::BROKEN:
      return domain::PromiseStatus::kBroken;
    case v1::PromiseToPay::CANCELLED:
      return domain::PromiseStatus::kCancelled;
    default:
      return domain::PromiseStatus::kPending;
  }
}
v1::PromiseToPay::Status ToProto(domain::PromiseStatus s) {
  switch (s) {
    case domain::PromiseStatus::kPending:
      return v1::PromiseToPay::PENDING;
    case domain::PromiseStatus::kKept:
      return v1::PromiseToPay::KEPT;
    case domain::PromiseStatus::kPartlyKept:
      return v1::PromiseToPay::PARTLY_KEPT;
    case domain::PromiseStatus::kBroken:
      return v1::PromiseToPay::BROKEN;
    case domain::PromiseStatus::kCancelled:
      return v1::PromiseToPay::CANCELLED;
  }
  return v1::PromiseToPay::STATUS_UNSPECIFIED;
}
domain::Channel ChannelOf(v1::PromiseToPay::Channel c) {
  switch (c) {
    case v1::PromiseToPay::EMAIL:
      return domain::Channel::kEmail;
    case v1::PromiseToPay::LETTER:
      return domain::Channel::kLetter;
    case v1::PromiseToPay::SMS:
      return domain::Channel::kSms;
    case v1::PromiseToPay::PHONE:
      return domain::Channel::kPhone;
    case v1::PromiseToPay::PORTAL:
      return domain::Channel::kPortal;
    case v1::PromiseToPay::IN_PERSON:
      return domain::Channel::kInPerson;
    default:
      return domain::Channel::kUnspecified;
  }
}

domain::Promise PromiseOf(const v1::PromiseToPay& p) {
  domain::Promise d;
  d.id = IdOf(p.name());
  d.made_time = FromTs(p.create_time());
  d.amount = ToMoney(p.amount());
  d.promised_date = OptDay(p.promised_date()).value_or(absl::CivilDay());
  d.grace_end = OptDay(p.grace_end()).value_or(d.promised_date);
  for (const auto& inv : p.invoices()) d.invoice_ids.push_back(IdOf(inv));
  d.status = FromProto(p.status());
  d.channel = ChannelOf(p.channel());
  d.made_by = p.promised_by();
  d.resolved_date = OptDay(p.resolved_date());
  return d;
}

domain::PlanStatus FromProto(v1::PaymentPlan::State s) {
  switch (s) {
    case v1::PaymentPlan::PROPOSED:
      return domain::PlanStatus::kProposed;
    case v1::PaymentPlan::COMPLETED:
      return domain::PlanStatus::kCompleted;
    case v1::PaymentPlan::DEFAULTED:
      return domain::PlanStatus::kDefaulted;
    case v1::PaymentPlan::CANCELLED:
      return domain::PlanStatus::kCancelled;
    default:
      return domain::PlanStatus::kActive;
  }
}
domain::PaymentPlan PlanOf(const v1::PaymentPlan& p) {
  domain::PaymentPlan d;
  d.id = IdOf(p.name());
  d.kind = p.kind() == v1::PaymentPlan::EXTENDED_TERMS ? domain::PlanKind::kExtendedTerms
                                                       : domain::PlanKind::kInstallments;
  d.status = FromProto(p.state());
  d.currency = p.currency_code();
  for (const auto& inv : p.invoices()) d.invoice_ids.push_back(IdOf(inv));
  for (const auto& i : p.installments()) {
    d.installments.push_back(
        {OptDay(i.due_date()).value_or(absl::CivilDay()), i.amount().minor_units(), 0});
  }
  d.accepted_date = OptDay(p.accepted_date());
  d.renegotiations = p.renegotiation_count();
  d.in_arrears = p.in_arrears();
  d.defaulted_date = OptDay(p.defaulted_date());
  return d;
}

domain::FeeKind FeeKindOf(v1::Fee::Kind k) {
  switch (k) {
    case v1::Fee::PERCENTAGE_FEE:
      return domain::FeeKind::kPercentageFee;
    case v1::Fee::CONTRACT_INTEREST:
      return domain::FeeKind::kContractInterest;
    case v1::Fee::STATUTORY_INTEREST:
      return domain::FeeKind::kStatutoryInterest;
    case v1::Fee::STATUTORY_COMPENSATION:
      return domain::FeeKind::kStatutoryCompensation;
    default:
      return domain::FeeKind::kFixedStageFee;
  }
}
v1::Fee::Kind ToProto(domain::FeeKind k) {
  switch (k) {
    case domain::FeeKind::kFixedStageFee:
      return v1::Fee::FIXED_STAGE_FEE;
    case domain::FeeKind::kPercentageFee:
      return v1::Fee::PERCENTAGE_FEE;
    case domain::FeeKind::kContractInterest:
      return v1::Fee::CONTRACT_INTEREST;
    case domain::FeeKind::kStatutoryInterest:
      return v1::Fee::STATUTORY_INTEREST;
    case domain::FeeKind::kStatutoryCompensation:
      return v1::Fee::STATUTORY_COMPENSATION;
  }
  return v1::Fee::KIND_UNSPECIFIED;
}

domain::LateFeeTerms TermsOf(const v1::LateFeeTerms& t) {
  domain::LateFeeTerms d;
  d.kind = static_cast<domain::LateFeeKind>(static_cast<int>(t.kind()));
  d.fixed_fee = ToMoney(t.fixed_fee());
  d.percentage_bp = t.percentage_bp();
  d.annual_rate_bp = t.annual_rate_bp();
  d.statutory_pack = t.statutory_pack();
  return d;
}

const char* DisputeReasonName(v1::Dispute::Reason r) {
  switch (r) {
    case v1::Dispute::PRICING:
      return "PRICING";
    case v1::Dispute::QUALITY:
      return "QUALITY";
    case v1::Dispute::NOT_RECEIVED:
      return "NOT_RECEIVED";
    case v1::Dispute::DUPLICATE_BILLING:
      return "DUPLICATE_BILLING";
    case v1::Dispute::OTHER:
      return "OTHER";
    default:
      return "";
  }
}

domain::Dispute DisputeOf(const v1::Dispute& p) {
  domain::Dispute d;
  d.id = IdOf(p.name());
  d.invoice_id = IdOf(p.invoice());
  d.line_id = p.line_id();
  d.reason = DisputeReasonName(p.reason());
  d.amount = p.amount().minor_units();
  d.status = p.state() == v1::Dispute::OPEN         ? domain::DisputeStatus::kOpen
             : p.outcome() == v1::Dispute::REJECTED ? domain::DisputeStatus::kRejected
                                                    : domain::DisputeStatus::kResolved;
  d.opened_date = absl::ToCivilDay(FromTs(p.open_time()), absl::UTCTimeZone());
  if (p.has_resolve_time()) {
    d.resolved_date = absl::ToCivilDay(FromTs(p.resolve_time()), absl::UTCTimeZone());
  }
  return d;
}

domain::Referral ReferralOf(const v1::Referral& r) {
  domain::Referral d;
  d.state = r.kind() == v1::Referral::LEGAL ? domain::EndState::kLegal : domain::EndState::kAgency;
  d.since = OptDay(r.referred_date()).value_or(absl::CivilDay());
  d.party = r.party();
  d.commission_bp = r.commission_bp();
  d.recalled = r.state() != v1::Referral::ACTIVE;
  return d;
}

std::atomic<uint64_t> id_counter{0};

}  // namespace

// ------------------------------------------------------------ the unit of work

// Everything one call does to one account, inside one transaction, as of
// one day (the request's as_of, resolved by ResolveAsOf) under the tenant's
// policy.
class ArrangementOps {
 public:
  ArrangementOps(store::Transaction& tx, const domain::Clock& clock, const CallContext& ctx,
                 const ArrangementConfig& config, domain::CollectionPolicy policy,
                 absl::CivilDay day, std::string tenant, std::string customer,
                 std::string request_id)
      : tx_(tx),
        clock_(clock),
        ctx_(ctx),
        config_(config),
        policy_(std::move(policy)),
        day_(day),
        tenant_(std::move(tenant)),
        customer_(std::move(customer)),
        request_id_(std::move(request_id)),
        ledger_(tx, clock, ctx, tenant_, request_id_) {}

  store::Transaction& tx() { return tx_; }
  LedgerOps& ledger() { return ledger_; }
  // The tenant's policy (CollectionPolicy): arrangement rules, economics.
  const domain::CollectionPolicy& policy() const { return policy_; }
  const domain::PlanPolicy& plan_policy() const { return policy_.arrangements.plans; }
  const ArrangementConfig& config() const { return config_; }
  // The day the call acts on, and the instant its records carry (now when
  // that day is today, else the same time of day on that day). Audit events
  // keep the real time.
  absl::CivilDay Today() const { return day_; }
  absl::Time Now() const { return InstantOn(day_, clock_); }
  const std::string& customer() const { return customer_; }
  std::string CustomerRes() const { return CustomerResource(tenant_, customer_); }
  std::string Res(absl::string_view collection, absl::string_view id) const {
    return ChildResource(tenant_, customer_, collection, id);
  }

  // The account as the ledger knows it now (loaded once; reload after a
  // ledger mutation with Reload()).
  absl::StatusOr<const AccountSnapshot*> Account() {
    if (!snap_) {
      ASSIGN_OR_RETURN(AccountSnapshot s, ledger_.LoadAccount(customer_));
      snap_ = std::move(s);
    }
    return &*snap_;
  }
  void Reload() { snap_.reset(); }

  // A new document id: deterministic per request_id (so a retried request
  // that lost its response but not its write cannot double-create), unique
  // otherwise.
  absl::StatusOr<std::string> NewId(absl::string_view kind, absl::string_view prefix) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      const std::string seed =
          request_id_.empty()
              ? absl::StrCat(absl::ToUnixNanos(clock_.Now()), "/", id_counter.fetch_add(1), "/",
                             reinterpret_cast<uintptr_t>(this))
              : absl::StrCat(customer_, "/", request_id_, "/", prefix);
      const std::string id =
          absl::StrFormat("%s-%012x", prefix, StableHash(absl::StrCat(seed, "#", attempt)) >> 16);
      ASSIGN_OR_RETURN(auto existing, tx_.GetDoc(kind, id));
      if (!existing) return id;
    }
    return absl::InternalError("could not choose a document id");
  }

  template <typename Msg>
  absl::StatusOr<Msg> GetDoc(absl::string_view kind, const std::string& name,
                             absl::string_view collection, absl::string_view reason) {
    ASSIGN_OR_RETURN(ChildName n, ParseChildName(name, collection, "name"));
    if (n.tenant != tenant_ || n.customer != customer_) {
      return InvalidInput("CROSS_CUSTOMER_REFERENCE", "name", "names another customer");
    }
    ASSIGN_OR_RETURN(auto doc, tx_.GetDoc(kind, n.id));
    if (!doc || doc->customer != customer_) {
      return domain::NotFoundError(reason, absl::StrCat(name, " does not exist"));
    }
    return Parse<Msg>(*doc);
  }

  template <typename Msg>
  absl::StatusOr<std::vector<Msg>> ListDocs(absl::string_view kind) {
    std::vector<Msg> out;
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto docs, tx_.ListDocs(kind, customer_, after, 1000));
      if (docs.empty()) break;
      after = docs.back().id;
      for (const auto& d : docs) {
        ASSIGN_OR_RETURN(Msg m, Parse<Msg>(d));
        out.push_back(std::move(m));
      }
    }
    return out;
  }

  absl::Status PutDoc(absl::string_view kind, const google::protobuf::Message& m,
                      absl::string_view name) {
    return tx_.PutDoc(
        store::Doc{std::string(kind), IdOf(name), customer_, "", "", m.SerializeAsString()});
  }

  absl::Status Event(absl::string_view type, absl::string_view resource,
                     const google::protobuf::Message* before,
                     const google::protobuf::Message* after) {
    return AppendEvent(tx_, clock_, ctx_, tenant_, type, resource, CustomerRes(), before, after,
                       request_id_);
  }

  // Resolves invoice references (resource names of this customer, or
  // numbers) to the snapshot's invoices. Empty `names` with a currency means
  // every open invoice of that currency (fee invoices included).
  absl::StatusOr<std::vector<int>> ResolveInvoices(
      const google::protobuf::RepeatedPtrField<std::string>& names, const std::string& currency,
      absl::string_view field, bool require_open = true) {
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
    std::vector<int> out;
    if (names.empty()) {
      if (!domain::IsKnownCurrency(currency)) {
        return InvalidInput("UNKNOWN_CURRENCY", "currency_code",
                            "required when no invoices are named");
      }
      for (size_t i = 0; i < snap->invoices.size(); ++i) {
        const auto& inv = snap->invoices[i];
        if (inv.currency_code() == currency && snap->invoice_states[i].AmountDue() > 0 &&
            !inv.voided()) {
          out.push_back(static_cast<int>(i));
        }
      }
      if (out.empty()) {
        return domain::PreconditionError("NOTHING_DUE",
                                         absl::StrCat("no open invoice in ", currency));
      }
      return out;
    }
    std::set<int> seen;
    for (int k = 0; k < names.size(); ++k) {
      const std::string f = absl::StrCat(field, "[", k, "]");
      const std::string& ref = names[k];
      std::string id;
      if (absl::StartsWith(ref, "tenants/")) {
        ASSIGN_OR_RETURN(ChildName n, ParseChildName(ref, kInvoices, f));
        if (n.tenant != tenant_ || n.customer != customer_) {
          return InvalidInput("CROSS_CUSTOMER_REFERENCE", f,
                              "the invoice belongs to another customer");
        }
        id = n.id;
      }
      int found = -1;
      for (size_t i = 0; i < snap->invoices.size(); ++i) {
        if ((!id.empty() && snap->invoice_states[i].id == id) ||
            (id.empty() && snap->invoices[i].number() == ref)) {
          found = static_cast<int>(i);
          break;
        }
      }
      if (found < 0) {
        return domain::WithField(
            domain::NotFoundError("INVOICE_NOT_FOUND",
                                  absl::StrCat(f, ": no invoice \"", ref, "\"")),
            f, "unknown invoice");
      }
      if (!seen.insert(found).second) return InvalidInput("DUPLICATE_INVOICE", f, "listed twice");
      const auto& inv = snap->invoices[found];
      if (!out.empty() && inv.currency_code() != snap->invoices[out[0]].currency_code()) {
        return InvalidInput("CURRENCY_MISMATCH", f, "all invoices must share one currency");
      }
      if (!currency.empty() && inv.currency_code() != currency) {
        return InvalidInput("CURRENCY_MISMATCH", f,
                            absl::StrCat("the invoice is in ", inv.currency_code()));
      }
      if (require_open && (inv.voided() || snap->invoice_states[found].AmountDue() <= 0)) {
        return domain::WithField(domain::PreconditionError(
                                     "INVOICE_NOT_OPEN", absl::StrCat(f, ": invoice ", inv.number(),
                                                                      " has nothing due")),
                                 f, "nothing due");
      }
      out.push_back(found);
    }
    return out;
  }

  // Payment allocations to `invoice_ids` (empty = every invoice in
  // `currency`), dated.
  absl::StatusOr<std::vector<domain::DatedAmount>> PaymentsTo(
      const std::vector<std::string>& invoice_ids, const std::string& currency) {
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
    std::set<std::string> ids(invoice_ids.begin(), invoice_ids.end());
    std::vector<domain::DatedAmount> out;
    for (const auto& p : snap->payments) {
      if (p.amount().currency_code() != currency) continue;
      auto day = OptDay(p.received_date());
      if (!day) continue;
      for (const auto& a : p.allocations()) {
        if (ids.empty() || ids.count(IdOf(a.invoice()))) {
          out.push_back({*day, a.amount().minor_units()});
        }
      }
    }
    return out;
  }

  // A promise with its status evaluated as of `as_of`.
  absl::StatusOr<v1::PromiseToPay> Evaluate(v1::PromiseToPay p, absl::CivilDay as_of) {
    const domain::Promise d = PromiseOf(p);
    ASSIGN_OR_RETURN(auto pays, PaymentsTo(d.invoice_ids, d.amount.currency));
    const domain::PromiseEvaluation ev = domain::EvaluatePromise(d, pays, as_of);
    p.set_status(ToProto(ev.status));
    *p.mutable_amount_paid() = ToProtoMoney(d.amount.currency, ev.paid);
    if (ev.resolved_date) {
      *p.mutable_resolved_date() = ToProtoDate(*ev.resolved_date);
    } else {
      p.clear_resolved_date();
    }
    return p;
  }

  // A plan with installments evaluated as of `as_of`; `eval` receives the
  // domain evaluation.
  absl::StatusOr<v1::PaymentPlan> Evaluate(v1::PaymentPlan p, absl::CivilDay as_of,
                                           domain::PlanEvaluation* eval = nullptr) {
    const domain::PaymentPlan d = PlanOf(p);
    ASSIGN_OR_RETURN(auto pays, PaymentsTo(d.invoice_ids, d.currency));
    const domain::PlanEvaluation ev =
        domain::EvaluatePlan(d, pays, plan_policy(), as_of);
    for (int i = 0; i < p.installments_size() && i < static_cast<int>(ev.installments.size());
         ++i) {
      auto* inst = p.mutable_installments(i);
      *inst->mutable_paid_amount() = ToProtoMoney(d.currency, ev.installments[i].paid);
      switch (ev.statuses[i]) {
        case domain::InstallmentStatus::kUpcoming:
          inst->set_status(v1::PlanInstallment::UPCOMING);
          break;
        case domain::InstallmentStatus::kDue:
          inst->set_status(v1::PlanInstallment::DUE);
          break;
        case domain::InstallmentStatus::kPaid:
          inst->set_status(v1::PlanInstallment::PAID);
          break;
        case domain::InstallmentStatus::kMissed:
          inst->set_status(v1::PlanInstallment::MISSED);
          break;
      }
    }
    *p.mutable_remaining() = ToProtoMoney(d.currency, ev.remaining);
    p.set_in_arrears(ev.in_arrears);
    p.set_next_action(ev.action == domain::PlanAction::kReminder  ? v1::PaymentPlan::REMINDER
                      : ev.action == domain::PlanAction::kDefault ? v1::PaymentPlan::DEFAULT
                                                                  : v1::PaymentPlan::NONE);
    if (eval) *eval = ev;
    return p;
  }

  // The fee input of one invoice (index into the snapshot).
  absl::StatusOr<domain::FeeInput> FeeInputFor(int idx, int stage, const std::vector<v1::Fee>& fees,
                                               const std::vector<v1::Dispute>& disputes,
                                               const std::vector<v1::PaymentPlan>& plans,
                                               absl::CivilDay as_of) {
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
    const v1::Invoice& inv = snap->invoices[idx];
    domain::FeeInput in;
    in.invoice = snap->invoice_states[idx];
    in.invoice_terms = TermsOf(inv.terms().late_fee());
    in.customer_kind = snap->customer.kind() == v1::CUSTOMER_KIND_CONSUMER
                           ? domain::CustomerKind::kConsumer
                           : domain::CustomerKind::kBusiness;
    in.country = snap->customer.country_code();
    in.stages_reached = stage;
    for (const auto& f : fees) {
      if (IdOf(f.invoice()) == in.invoice.id) {
        in.charged.push_back({FeeKindOf(f.kind()), f.amount().minor_units(), f.stage()});
      }
    }
    for (const auto& d : disputes) {
      if (d.state() == v1::Dispute::OPEN && IdOf(d.invoice()) == in.invoice.id) {
        in.paused_reason = absl::StrCat("open dispute ", d.name());
      }
    }
    for (const auto& p : plans) {
      if (p.state() != v1::PaymentPlan::ACTIVE) continue;
      bool covers = false;
      for (const auto& i : p.invoices()) covers |= IdOf(i) == in.invoice.id;
      if (!covers) continue;
      ASSIGN_OR_RETURN(v1::PaymentPlan ev, Evaluate(p, as_of));
      if (!ev.in_arrears())
        in.paused_reason = absl::StrCat("payment plan ", p.name(), " in good standing");
    }
    return in;
  }

  // Assesses every overdue principal invoice in `only` (empty = all).
  absl::StatusOr<std::vector<std::pair<int, domain::FeeAssessment>>> AssessAll(
      const std::set<std::string>& only, int stage, absl::CivilDay as_of,
      std::vector<std::string>* skipped) {
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
    ASSIGN_OR_RETURN(auto fees, ListDocs<v1::Fee>(kFeeKind));
    ASSIGN_OR_RETURN(auto disputes, ListDocs<v1::Dispute>(kDisputeKind));
    ASSIGN_OR_RETURN(auto plans, ListDocs<v1::PaymentPlan>(kPlanKind));
    std::vector<std::pair<int, domain::FeeAssessment>> out;
    for (size_t i = 0; i < snap->invoices.size(); ++i) {
      const auto& inv = snap->invoices[i];
      if (IsFeeInvoice(inv)) continue;  // no fees on fees
      if (!only.empty() && !only.count(snap->invoice_states[i].id)) continue;
      if (only.empty() && snap->invoice_states[i].AmountDueAsOf(as_of) <= 0) continue;
      ASSIGN_OR_RETURN(domain::FeeInput in,
                       FeeInputFor(static_cast<int>(i), stage, fees, disputes, plans, as_of));
      ASSIGN_OR_RETURN(domain::FeeAssessment a,
                       domain::AssessLateFees(in, config_.fee_rules, as_of));
      if (a.lines.empty()) {
        if (skipped) skipped->push_back(absl::StrCat(inv.name(), ": ", a.skipped));
        continue;
      }
      out.emplace_back(static_cast<int>(i), std::move(a));
    }
    return out;
  }

  v1::Fee FeeOf(int idx, const domain::FeeLine& line, absl::CivilDay as_of) {
    const AccountSnapshot& snap = *snap_;
    const std::string& ccy = snap.invoice_states[idx].currency;
    v1::Fee f;
    f.set_kind(ToProto(line.kind));
    f.set_invoice(snap.invoices[idx].name());
    *f.mutable_amount() = ToProtoMoney(ccy, line.amount);
    if (line.accrued_from) *f.mutable_accrued_from() = ToProtoDate(*line.accrued_from);
    if (line.accrued_to) *f.mutable_accrued_to() = ToProtoDate(*line.accrued_to);
    f.set_annual_rate_bp(line.annual_rate_bp);
    f.set_statutory_pack(line.pack);
    f.set_stage(line.stage);
    f.set_basis(line.basis);
    *f.mutable_raised_date() = ToProtoDate(as_of);
    return f;
  }

  // Raises one fee: the Fee document and its fee invoice in the ledger
  // (due on the day raised, no late-fee clause of its own, external
  // reference collections/fee-<id> so that connectors export it).
  absl::StatusOr<v1::Fee> RaiseFee(v1::Fee f, absl::CivilDay as_of) {
    ASSIGN_OR_RETURN(std::string id,
                     NewId(kFeeKind, absl::StrCat("fee-", FeeKindAbbrev(f.kind()))));
    f.set_name(Res(kFees, id));
    v1::Invoice inv;
    inv.mutable_external_ref()->set_source_system(kSidecarSource);
    inv.mutable_external_ref()->set_id(id);
    inv.set_number(absl::AsciiStrToUpper(id));
    *inv.mutable_issue_date() = ToProtoDate(as_of);
    *inv.mutable_due_date() = ToProtoDate(as_of);
    inv.set_currency_code(f.amount().currency_code());
    *inv.mutable_total() = f.amount();
    inv.mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::NONE);
    inv.mutable_terms()->set_payment_terms_text(f.basis());
    auto* line = inv.add_lines();
    line->set_description(f.basis().substr(0, 500));
    *line->mutable_amount() = f.amount();
    line->set_line_id("1");
    ASSIGN_OR_RETURN(ApplyResult res, ledger_.ApplyInvoice(customer_, inv));
    f.set_fee_invoice(res.name);
    f.set_export_pending(true);
    *f.mutable_create_time() = Ts(Now());
    RETURN_IF_ERROR(PutDoc(kFeeKind, f, f.name()));
    RETURN_IF_ERROR(Event("fee.raised", f.name(), nullptr, &f));
    return f;
  }

  // Records fees as waived: counted as charged, never invoiced.
  absl::StatusOr<int64_t> WaiveFees(const std::set<std::string>& invoice_ids, absl::CivilDay as_of,
                                    const std::string& why) {
    ASSIGN_OR_RETURN(auto assessed, AssessAll(invoice_ids, 0, as_of, nullptr));
    int64_t total = 0;
    for (const auto& [idx, a] : assessed) {
      for (const auto& line : a.lines) {
        v1::Fee f = FeeOf(idx, line, as_of);
        ASSIGN_OR_RETURN(std::string id, NewId(kFeeKind, "fee-waived"));
        f.set_name(Res(kFees, id));
        f.set_waived(true);
        f.set_basis(absl::StrCat(f.basis(), "; waived: ", why));
        *f.mutable_create_time() = Ts(Now());
        RETURN_IF_ERROR(PutDoc(kFeeKind, f, f.name()));
        RETURN_IF_ERROR(Event("fee.waived", f.name(), nullptr, &f));
        total += line.amount;
      }
    }
    return total;
  }

  static std::string FeeKindAbbrev(v1::Fee::Kind k) {
    switch (k) {
      case v1::Fee::FIXED_STAGE_FEE:
        return "stage";
      case v1::Fee::PERCENTAGE_FEE:
        return "pct";
      case v1::Fee::CONTRACT_INTEREST:
        return "int";
      case v1::Fee::STATUTORY_INTEREST:
        return "sint";
      case v1::Fee::STATUTORY_COMPENSATION:
        return "comp";
      default:
        return "x";
    }
  }

  // Closes a settlement whose lump sum arrived: a credit note for what is
  // still due on its invoices. Returns true when it changed.
  absl::StatusOr<bool> CloseSettlementIfPaid(v1::Settlement& s, absl::CivilDay as_of) {
    if (s.state() != v1::Settlement::ACCEPTED) return false;
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, Account());
    std::vector<std::string> ids;
    for (const auto& n : s.invoices()) ids.push_back(IdOf(n));
    const std::string ccy = s.amount().currency_code();
    ASSIGN_OR_RETURN(auto pays, PaymentsTo(ids, ccy));
    const absl::CivilDay since = absl::ToCivilDay(FromTs(s.create_time()), absl::UTCTimeZone());
    domain::AmountSum paid_sum;
    for (const auto& p : pays) {
      if (p.day >= since && p.day <= as_of) paid_sum += p.amount;
    }
    ASSIGN_OR_RETURN(const int64_t paid, paid_sum.Get("the payments towards the settlement"));
    *s.mutable_amount_paid() = ToProtoMoney(ccy, paid);
    if (paid < s.amount().minor_units()) return false;
    v1::CreditNote cn;
    cn.mutable_external_ref()->set_source_system(kSidecarSource);
    cn.mutable_external_ref()->set_id(absl::StrCat("settlement-", IdOf(s.name())));
    cn.set_number(absl::AsciiStrToUpper(cn.external_ref().id()));
    *cn.mutable_issue_date() = ToProtoDate(as_of);
    cn.set_reason(absl::StrCat("settlement discount (", s.name(), ")"));
    domain::AmountSum remaining_sum;
    for (size_t i = 0; i < snap->invoices.size(); ++i) {
      const auto& st = snap->invoice_states[i];
      if (std::find(ids.begin(), ids.end(), st.id) == ids.end()) continue;
      const int64_t due = st.AmountDue();
      if (due <= 0) continue;
      auto* a = cn.add_allocations();
      a->set_invoice(snap->invoices[i].name());
      *a->mutable_amount() = ToProtoMoney(ccy, due);
      remaining_sum += due;
    }
    ASSIGN_OR_RETURN(const int64_t remaining, remaining_sum.Get("the settlement's remainder"));
    const v1::Settlement before = s;
    if (remaining > 0) {
      *cn.mutable_amount() = ToProtoMoney(ccy, remaining);
      ASSIGN_OR_RETURN(ApplyResult res, ledger_.ApplyCreditNote(customer_, cn));
      s.set_credit_note(res.name);
      Reload();
    }
    s.set_state(v1::Settlement::PAID);
    *s.mutable_update_time() = Ts(Now());
    RETURN_IF_ERROR(PutDoc(kSettlementDocKind, s, s.name()));
    RETURN_IF_ERROR(Event("settlement.paid", s.name(), &before, &s));
    return true;
  }

 private:
  store::Transaction& tx_;
  const domain::Clock& clock_;
  const CallContext& ctx_;
  const ArrangementConfig& config_;
  const domain::CollectionPolicy policy_;
  const absl::CivilDay day_;
  std::string tenant_;
  std::string customer_;
  std::string request_id_;
  LedgerOps ledger_;
  std::optional<AccountSnapshot> snap_;
};

namespace {

// One mutation of one account: a write transaction, request_id idempotency.
// `as_of` is the request's: a past day replays, a future one is refused.
template <typename Resp>
absl::StatusOr<Resp> MutateAccount(store::Store& store, const domain::Clock& clock,
                                   const ArrangementConfig& config, const CallContext& ctx,
                                   const std::string& tenant, const std::string& customer,
                                   const std::string& request_id, const v1::Date& as_of,
                                   absl::string_view method,
                                   const google::protobuf::Message& request,
                                   const std::function<absl::StatusOr<Resp>(ArrangementOps&)>& fn) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(const absl::CivilDay day, ResolveAsOf(as_of, clock, AsOfUse::kWrite));
  Resp resp;
  RETURN_IF_ERROR(store.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    ASSIGN_OR_RETURN(domain::CollectionPolicy policy,
                     LoadTenantDomainPolicy(tx, config.starting_policy));
    ArrangementOps ops(tx, clock, ctx, config, std::move(policy), day, tenant, customer,
                       request_id);
    return RunIdempotent(tx, request_id, absl::StrCat("ArrangementService/", method), request,
                         &resp, [&]() -> absl::Status {
                           RETURN_IF_ERROR(ops.ledger().LoadCustomer(customer).status());
                           ASSIGN_OR_RETURN(resp, fn(ops));
                           return absl::OkStatus();
                         });
  }));
  return resp;
}

// `day` is the request's as_of, resolved with AsOfUse::kRead.
template <typename Resp>
absl::StatusOr<Resp> ReadAccount(store::Store& store, const domain::Clock& clock,
                                 const ArrangementConfig& config, const CallContext& ctx,
                                 const std::string& tenant, const std::string& customer,
                                 absl::CivilDay day,
                                 const std::function<absl::StatusOr<Resp>(ArrangementOps&)>& fn) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  Resp resp;
  RETURN_IF_ERROR(
      store.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(domain::CollectionPolicy policy,
                         LoadTenantDomainPolicy(tx, config.starting_policy));
        ArrangementOps ops(tx, clock, ctx, config, std::move(policy), day, tenant, customer, "");
        RETURN_IF_ERROR(ops.ledger().LoadCustomer(customer).status());
        ASSIGN_OR_RETURN(resp, fn(ops));
        return absl::OkStatus();
      }));
  return resp;
}

absl::StatusOr<absl::CivilDay> DayOr(const v1::Date& d, absl::CivilDay def,
                                     absl::string_view field) {
  if (!HasDate(d)) return def;
  return ToDay(d, field);
}

// The amount due on the invoices `idx`; OUT_OF_RANGE AMOUNT_SUM_OVERFLOW past int64.
absl::StatusOr<int64_t> SumDue(const AccountSnapshot& snap, const std::vector<int>& idx) {
  domain::AmountSum sum;
  for (int i : idx) sum += snap.invoice_states[i].AmountDue();
  return sum.Get("the amount due on these invoices");
}

// A named child of a customer: (tenant, customer, id).
absl::StatusOr<ChildName> Child(const std::string& name, absl::string_view collection) {
  return ParseChildName(name, collection, "name");
}

}  // namespace

// ------------------------------------------------------------------ promises

absl::StatusOr<v1::PromiseToPay> ArrangementsApp::RecordPromise(const CallContext& ctx,
                                                                const v1::RecordPromiseRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  const v1::PromiseToPay& in = r.promise();
  RETURN_IF_ERROR(CheckMoney(in.amount(), "", 1, "promise.amount"));
  if (in.channel() == v1::PromiseToPay::CHANNEL_UNSPECIFIED) {
    return InvalidInput("CHANNEL_UNSPECIFIED", "promise.channel", "how the promise was made");
  }
  RETURN_IF_ERROR(CheckText(in.promised_by(), 1, 200, "promise.promised_by"));
  RETURN_IF_ERROR(CheckText(in.note(), 0, 2000, "promise.note"));
  if (in.grace_days() < 0 || in.grace_days() > domain::kMaxPromiseGraceDays) {
    return InvalidInput("INVALID_PROMISE", "promise.grace_days", "must be 0..60");
  }
  ASSIGN_OR_RETURN(absl::CivilDay promised, ToDay(in.promised_date(), "promise.promised_date"));
  return MutateAccount<v1::PromiseToPay>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(), "RecordPromise", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::PromiseToPay> {
        const int grace =
            in.grace_days() > 0 ? in.grace_days() : ops.policy().arrangements.promise_grace_days;
        v1::PromiseToPay p = in;
        ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(in.invoices(), in.amount().currency_code(),
                                                       "promise.invoices"));
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        p.clear_invoices();
        if (!in.invoices().empty()) {
          for (int i : idx) p.add_invoices(snap->invoices[i].name());
        }
        p.set_grace_days(grace);
        *p.mutable_grace_end() = ToProtoDate(domain::PromiseGraceEnd(promised, grace));
        *p.mutable_create_time() = Ts(ops.Now());
        *p.mutable_update_time() = p.create_time();
        p.set_status(v1::PromiseToPay::PENDING);
        RETURN_IF_ERROR(domain::ValidatePromise(PromiseOf(p), ops.Today()));
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kPromiseKind, "ptp"));
        p.set_name(ops.Res(kPromises, id));
        ASSIGN_OR_RETURN(p, ops.Evaluate(p, ops.Today()));
        RETURN_IF_ERROR(ops.PutDoc(kPromiseKind, p, p.name()));
        RETURN_IF_ERROR(ops.Event("promise.recorded", p.name(), nullptr, &p));
        return p;
      });
}

absl::StatusOr<v1::ListPromisesResponse> ArrangementsApp::ListPromises(
    const CallContext& ctx, const v1::ListPromisesRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
  return ReadAccount<v1::ListPromisesResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, as_of,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::ListPromisesResponse> {
        v1::ListPromisesResponse resp;
        ASSIGN_OR_RETURN(auto docs,
                         ops.tx().ListDocs(kPromiseKind, cn.customer, after, page_size + 1));
        for (int i = 0; i < static_cast<int>(docs.size()) && i < page_size; ++i) {
          ASSIGN_OR_RETURN(v1::PromiseToPay p, Parse<v1::PromiseToPay>(docs[i]));
          ASSIGN_OR_RETURN(*resp.add_promises(), ops.Evaluate(p, as_of));
        }
        if (static_cast<int>(docs.size()) > page_size) {
          resp.set_next_page_token(NextPageToken(r, docs[page_size - 1].id));
        }
        return resp;
      });
}

// --------------------------------------------------------------------- plans

absl::StatusOr<v1::PaymentPlan> ArrangementsApp::ProposePaymentPlan(
    const CallContext& ctx, const v1::ProposePaymentPlanRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  if (r.installments() < 0 || r.installments() > 120) {
    return InvalidInput("INVALID_PLAN", "installments", "must be 0..120");
  }
  return MutateAccount<v1::PaymentPlan>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(), "ProposePaymentPlan", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::PaymentPlan> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        v1::PaymentPlan plan;
        plan.set_kind(v1::PaymentPlan::INSTALLMENTS);
        plan.set_state(v1::PaymentPlan::PROPOSED);
        int64_t balance = 0;
        std::string ccy;
        std::set<std::string> covered;
        if (!r.renegotiate_plan().empty()) {
          ASSIGN_OR_RETURN(v1::PaymentPlan old,
                           ops.GetDoc<v1::PaymentPlan>(kPlanKind, r.renegotiate_plan(), kPlans,
                                                       "PLAN_NOT_FOUND"));
          domain::PlanEvaluation ev;
          ASSIGN_OR_RETURN(old, ops.Evaluate(old, ops.Today(), &ev));
          domain::PaymentPlan d = PlanOf(old);
          RETURN_IF_ERROR(domain::CheckRenegotiation(d, ops.plan_policy()));
          *plan.mutable_invoices() = old.invoices();
          plan.set_renegotiation_count(old.renegotiation_count() + 1);
          plan.set_previous_plan(old.name());
          ccy = old.currency_code();
          balance = ev.remaining;
        } else {
          ASSIGN_OR_RETURN(auto idx,
                           ops.ResolveInvoices(r.invoices(), r.currency_code(), "invoices"));
          for (int i : idx) plan.add_invoices(snap->invoices[i].name());
          ccy = snap->invoices[idx[0]].currency_code();
          ASSIGN_OR_RETURN(balance, SumDue(*snap, idx));
        }
        for (const auto& n : plan.invoices()) covered.insert(IdOf(n));
        // One active plan per invoice (a renegotiation replaces its plan on
        // acceptance).
        ASSIGN_OR_RETURN(auto plans, ops.ListDocs<v1::PaymentPlan>(kPlanKind));
        for (const auto& other : plans) {
          if (other.state() != v1::PaymentPlan::ACTIVE || other.name() == r.renegotiate_plan())
            continue;
          for (const auto& n : other.invoices()) {
            if (covered.count(IdOf(n))) {
              return domain::PreconditionError(
                  "PLAN_ALREADY_ACTIVE", absl::StrCat(n, " is already scheduled by ", other.name(),
                                                      "; renegotiate that plan instead"));
            }
          }
        }
        domain::PlanRequest req;
        req.currency = ccy;
        req.balance = balance;
        ASSIGN_OR_RETURN(req.first_due,
                         DayOr(r.first_due_date(), ops.Today() + 14, "first_due_date"));
        if (req.first_due < ops.Today()) {
          return InvalidInput("INVALID_PLAN", "first_due_date", "before today");
        }
        req.installments = r.installments();
        if (r.has_monthly_capacity()) {
          RETURN_IF_ERROR(CheckMoney(r.monthly_capacity(), ccy, 1, "monthly_capacity"));
          req.monthly_capacity = r.monthly_capacity().minor_units();
        }
        req.seasonal_weights.assign(r.seasonal_weights().begin(), r.seasonal_weights().end());
        ASSIGN_OR_RETURN(auto schedule,
                         domain::ProposeInstallments(req, ops.plan_policy()));
        plan.set_currency_code(ccy);
        *plan.mutable_total() = ToProtoMoney(ccy, balance);
        for (size_t i = 0; i < schedule.size(); ++i) {
          auto* inst = plan.add_installments();
          inst->set_index(static_cast<int>(i));
          *inst->mutable_due_date() = ToProtoDate(schedule[i].due_date);
          *inst->mutable_amount() = ToProtoMoney(ccy, schedule[i].amount);
          inst->set_status(v1::PlanInstallment::UPCOMING);
        }
        *plan.mutable_seasonal_weights() = r.seasonal_weights();
        *plan.mutable_remaining() = plan.total();
        plan.set_next_action(v1::PaymentPlan::NONE);
        *plan.mutable_create_time() = Ts(ops.Now());
        *plan.mutable_update_time() = plan.create_time();
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kPlanKind, "plan"));
        plan.set_name(ops.Res(kPlans, id));
        RETURN_IF_ERROR(ops.PutDoc(kPlanKind, plan, plan.name()));
        RETURN_IF_ERROR(ops.Event("plan.proposed", plan.name(), nullptr, &plan));
        return plan;
      });
}

absl::StatusOr<v1::PaymentPlan> ArrangementsApp::AcceptPaymentPlan(
    const CallContext& ctx, const v1::AcceptPaymentPlanRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kPlans));
  return MutateAccount<v1::PaymentPlan>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(), "AcceptPaymentPlan", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::PaymentPlan> {
        ASSIGN_OR_RETURN(v1::PaymentPlan plan, ops.GetDoc<v1::PaymentPlan>(
                                                   kPlanKind, r.name(), kPlans, "PLAN_NOT_FOUND"));
        if (plan.state() != v1::PaymentPlan::PROPOSED) {
          return domain::PreconditionError("PLAN_NOT_PROPOSED",
                                           absl::StrCat(r.name(), " is not PROPOSED"));
        }
        ASSIGN_OR_RETURN(absl::CivilDay day,
                         DayOr(r.accepted_date(), ops.Today(), "accepted_date"));
        if (day > ops.Today())
          return InvalidInput("INVALID_PLAN", "accepted_date", "in the future");
        if (!plan.previous_plan().empty()) {
          ASSIGN_OR_RETURN(v1::PaymentPlan old,
                           ops.GetDoc<v1::PaymentPlan>(kPlanKind, plan.previous_plan(), kPlans,
                                                       "PLAN_NOT_FOUND"));
          if (old.state() != v1::PaymentPlan::ACTIVE && old.state() != v1::PaymentPlan::DEFAULTED) {
            return domain::PreconditionError(
                "PLAN_NOT_RENEGOTIABLE", absl::StrCat(old.name(), " is no longer renegotiable"));
          }
          const v1::PaymentPlan before = old;
          old.set_state(v1::PaymentPlan::CANCELLED);
          *old.mutable_update_time() = Ts(ops.Now());
          RETURN_IF_ERROR(ops.PutDoc(kPlanKind, old, old.name()));
          RETURN_IF_ERROR(ops.Event("plan.cancelled", old.name(), &before, &old));
        }
        const v1::PaymentPlan before = plan;
        plan.set_state(v1::PaymentPlan::ACTIVE);
        *plan.mutable_accepted_date() = ToProtoDate(day);
        *plan.mutable_update_time() = Ts(ops.Now());
        ASSIGN_OR_RETURN(plan, ops.Evaluate(plan, ops.Today()));
        RETURN_IF_ERROR(ops.PutDoc(kPlanKind, plan, plan.name()));
        RETURN_IF_ERROR(ops.Event("plan.accepted", plan.name(), &before, &plan));
        return plan;
      });
}

absl::StatusOr<v1::PaymentPlan> ArrangementsApp::GetPaymentPlan(
    const CallContext& ctx, const v1::GetPaymentPlanRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kPlans));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
  return ReadAccount<v1::PaymentPlan>(
      store_, clock_, config_, ctx, n.tenant, n.customer, as_of,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::PaymentPlan> {
        ASSIGN_OR_RETURN(v1::PaymentPlan plan, ops.GetDoc<v1::PaymentPlan>(
                                                   kPlanKind, r.name(), kPlans, "PLAN_NOT_FOUND"));
        return ops.Evaluate(plan, as_of);
      });
}

absl::StatusOr<v1::PaymentPlan> ArrangementsApp::ExtendTerms(const CallContext& ctx,
                                                             const v1::ExtendTermsRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  if (r.invoices().empty()) return InvalidInput("INVALID_EXTENDED_TERMS", "invoices", "required");
  ASSIGN_OR_RETURN(absl::CivilDay new_due, ToDay(r.new_due_date(), "new_due_date"));
  return MutateAccount<v1::PaymentPlan>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(), "ExtendTerms", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::PaymentPlan> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(r.invoices(), "", "invoices"));
        const std::string ccy = snap->invoices[idx[0]].currency_code();
        if (new_due <= ops.Today()) {
          return InvalidInput("INVALID_EXTENDED_TERMS", "new_due_date", "must be after today");
        }
        for (int i : idx) {
          if (new_due <= snap->invoice_states[i].due_date) {
            return InvalidInput(
                "INVALID_EXTENDED_TERMS", "new_due_date",
                absl::StrCat("not after the due date of ", snap->invoices[i].number()));
          }
        }
        std::vector<domain::PlanInstallment> milestones;
        for (int k = 0; k < r.milestones_size(); ++k) {
          const auto& m = r.milestones(k);
          const std::string f = absl::StrCat("milestones[", k, "]");
          RETURN_IF_ERROR(CheckMoney(m.amount(), ccy, 1, f + ".amount"));
          RETURN_IF_ERROR(CheckText(m.description(), 0, 200, f + ".description"));
          ASSIGN_OR_RETURN(absl::CivilDay d, ToDay(m.due_date(), f + ".due_date"));
          milestones.push_back({d, m.amount().minor_units(), 0});
        }
        ASSIGN_OR_RETURN(const int64_t balance, SumDue(*snap, idx));
        ASSIGN_OR_RETURN(auto schedule,
                         domain::ExtendedTermsSchedule(balance, new_due, milestones));
        v1::PaymentPlan plan;
        plan.set_kind(v1::PaymentPlan::EXTENDED_TERMS);
        plan.set_state(v1::PaymentPlan::ACTIVE);
        for (int i : idx) plan.add_invoices(snap->invoices[i].name());
        plan.set_currency_code(ccy);
        *plan.mutable_total() = ToProtoMoney(ccy, balance);
        for (size_t i = 0; i < schedule.size(); ++i) {
          auto* inst = plan.add_installments();
          inst->set_index(static_cast<int>(i));
          *inst->mutable_due_date() = ToProtoDate(schedule[i].due_date);
          *inst->mutable_amount() = ToProtoMoney(ccy, schedule[i].amount);
          inst->set_description(i < static_cast<size_t>(r.milestones_size())
                                    ? r.milestones(static_cast<int>(i)).description()
                                    : "new due date");
        }
        *plan.mutable_accepted_date() = ToProtoDate(ops.Today());
        *plan.mutable_create_time() = Ts(ops.Now());
        *plan.mutable_update_time() = plan.create_time();
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kPlanKind, "terms"));
        plan.set_name(ops.Res(kPlans, id));
        ASSIGN_OR_RETURN(plan, ops.Evaluate(plan, ops.Today()));
        RETURN_IF_ERROR(ops.PutDoc(kPlanKind, plan, plan.name()));
        RETURN_IF_ERROR(ops.Event("plan.terms_extended", plan.name(), nullptr, &plan));
        return plan;
      });
}

// --------------------------------------------------------------- settlements

absl::StatusOr<v1::Settlement> ArrangementsApp::ProposeSettlement(
    const CallContext& ctx, const v1::ProposeSettlementRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  auto compute = [&](ArrangementOps& ops) -> absl::StatusOr<v1::Settlement> {
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
    ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(r.invoices(), r.currency_code(), "invoices"));
    const std::string ccy = snap->invoices[idx[0]].currency_code();
    ASSIGN_OR_RETURN(const int64_t balance, SumDue(*snap, idx));
    // The alternatives to settling, from the tenant's economics (the model
    // the ladder weighs referrals with), unless the request overrides one.
    const domain::Economics& economics = ops.policy().economics;
    std::vector<domain::SettlementAlternative> alts;
    for (const auto& e : domain::EstimateAllRecoveries(economics, ccy)) {
      alts.push_back({e.path, e.probability_bp, e.expected_days, e.commission_bp, e.cost});
    }
    for (int k = 0; k < r.alternatives_size(); ++k) {
      const auto& a = r.alternatives(k);
      const std::string f = absl::StrCat("alternatives[", k, "]");
      if (a.path() == v1::RecoveryAlternative::PATH_UNSPECIFIED) {
        return InvalidInput("INVALID_ALTERNATIVE", f + ".path", "INTERNAL, AGENCY or LEGAL");
      }
      if (a.has_cost()) RETURN_IF_ERROR(CheckMoney(a.cost(), ccy, 0, f + ".cost"));
      const auto path = static_cast<domain::RecoveryPath>(static_cast<int>(a.path()) - 1);
      domain::SettlementAlternative d{path, a.probability_bp(), a.expected_days(),
                                      a.commission_bp(), a.cost().minor_units()};
      auto it = std::find_if(alts.begin(), alts.end(), [&](const domain::SettlementAlternative& x) {
        return x.path == path;
      });
      if (it != alts.end()) {
        *it = d;
      } else {
        alts.push_back(d);
      }
    }
    const domain::SettlementPolicy& sp = ops.policy().arrangements.settlements;
    ASSIGN_OR_RETURN(domain::SettlementFigures f,
                     domain::ComputeSettlementFigures(domain::Money{ccy, balance}, alts, sp,
                                                      economics.annual_discount_rate_bp));
    int64_t amount = f.minimum_acceptable;
    if (r.has_amount()) {
      RETURN_IF_ERROR(CheckMoney(r.amount(), ccy, 1, "amount"));
      amount = r.amount().minor_units();
    }
    RETURN_IF_ERROR(domain::CheckSettlementOffer(f, amount));
    v1::Settlement s;
    for (int i : idx) s.add_invoices(snap->invoices[i].name());
    *s.mutable_amount() = ToProtoMoney(ccy, amount);
    *s.mutable_discount() = ToProtoMoney(ccy, balance - amount);
    auto* fig = s.mutable_figures();
    *fig->mutable_balance() = ToProtoMoney(ccy, balance);
    for (const auto& a : f.alternatives) {
      auto* pa = fig->add_alternatives();
      pa->set_path(static_cast<v1::RecoveryAlternative::Path>(static_cast<int>(a.path) + 1));
      pa->set_probability_bp(a.probability_bp);
      pa->set_expected_days(a.expected_days);
      pa->set_commission_bp(a.commission_bp);
      *pa->mutable_cost() = ToProtoMoney(ccy, a.cost);
      *pa->mutable_net_expected() = ToProtoMoney(ccy, a.net_expected);
      *pa->mutable_present_value() = ToProtoMoney(ccy, a.present_value);
    }
    *fig->mutable_best_alternative() = ToProtoMoney(ccy, f.best_alternative);
    *fig->mutable_margin_floor() = ToProtoMoney(ccy, f.margin_floor);
    fig->set_margin_floor_bp(sp.margin_floor_bp);
    fig->set_max_discount_bp(sp.max_discount_bp);
    fig->set_annual_discount_rate_bp(economics.annual_discount_rate_bp);
    *fig->mutable_minimum_acceptable() = ToProtoMoney(ccy, f.minimum_acceptable);
    *fig->mutable_max_discount() = ToProtoMoney(ccy, f.max_discount);
    fig->set_discount_bp(f.discount_bp);
    for (const auto& reason : f.reasons) fig->add_reasons(reason);
    ASSIGN_OR_RETURN(absl::CivilDay pay_by, DayOr(r.pay_by(), ops.Today() + 14, "pay_by"));
    if (pay_by < ops.Today()) return InvalidInput("INVALID_SETTLEMENT", "pay_by", "before today");
    *s.mutable_pay_by() = ToProtoDate(pay_by);
    s.set_state(v1::Settlement::PROPOSED);
    *s.mutable_create_time() = Ts(ops.Now());
    *s.mutable_update_time() = s.create_time();
    return s;
  };
  if (r.validate_only()) {
    // validate_only writes nothing: any day, as a read.
    ASSIGN_OR_RETURN(absl::CivilDay day, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
    return ReadAccount<v1::Settlement>(store_, clock_, config_, ctx, cn.tenant, cn.customer, day,
                                       compute);
  }
  return MutateAccount<v1::Settlement>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(), "ProposeSettlement", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::Settlement> {
        ASSIGN_OR_RETURN(v1::Settlement s, compute(ops));
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kSettlementDocKind, "stl"));
        s.set_name(ops.Res(kSettlements, id));
        RETURN_IF_ERROR(ops.PutDoc(kSettlementDocKind, s, s.name()));
        RETURN_IF_ERROR(ops.Event("settlement.proposed", s.name(), nullptr, &s));
        return s;
      });
}

absl::StatusOr<v1::Settlement> ArrangementsApp::AcceptSettlement(
    const CallContext& ctx, const v1::AcceptSettlementRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kSettlements));
  return MutateAccount<v1::Settlement>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(), "AcceptSettlement", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::Settlement> {
        ASSIGN_OR_RETURN(v1::Settlement s,
                         ops.GetDoc<v1::Settlement>(kSettlementDocKind, r.name(), kSettlements,
                                                    "SETTLEMENT_NOT_FOUND"));
        if (s.state() != v1::Settlement::PROPOSED) {
          return domain::PreconditionError("SETTLEMENT_NOT_PROPOSED",
                                           absl::StrCat(r.name(), " is not PROPOSED"));
        }
        ASSIGN_OR_RETURN(absl::CivilDay pay_by, ToDay(s.pay_by(), "pay_by"));
        if (ops.Today() > pay_by) {
          return domain::PreconditionError(
              "SETTLEMENT_LAPSED",
              absl::StrCat(r.name(), " had to be paid by ", domain::FormatIsoDay(pay_by)));
        }
        const v1::Settlement before = s;
        s.set_state(v1::Settlement::ACCEPTED);
        *s.mutable_accepted_date() = ToProtoDate(ops.Today());
        *s.mutable_update_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kSettlementDocKind, s, s.name()));
        RETURN_IF_ERROR(ops.Event("settlement.accepted", s.name(), &before, &s));
        // Already paid (the lump sum arrived with the acceptance): close now.
        RETURN_IF_ERROR(ops.CloseSettlementIfPaid(s, ops.Today()).status());
        return s;
      });
}

// ---------------------------------------------------------------------- fees

absl::StatusOr<v1::AssessFeesResponse> ArrangementsApp::AssessFees(const CallContext& ctx,
                                                                   const v1::AssessFeesRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
  if (r.stage() < 0 || r.stage() > domain::kStageCount) {
    return InvalidInput("INVALID_STAGE", "stage", "must be 0..8");
  }
  return ReadAccount<v1::AssessFeesResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, as_of,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::AssessFeesResponse> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        std::set<std::string> only;
        if (!r.invoices().empty()) {
          ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(r.invoices(), "", "invoices", false));
          for (int i : idx) only.insert(snap->invoice_states[i].id);
        }
        v1::AssessFeesResponse resp;
        std::vector<std::string> skipped;
        ASSIGN_OR_RETURN(auto assessed, ops.AssessAll(only, r.stage(), as_of, &skipped));
        for (const auto& [idx, a] : assessed) {
          for (const auto& line : a.lines) *resp.add_fees() = ops.FeeOf(idx, line, as_of);
        }
        for (auto& s : skipped) resp.add_skipped(std::move(s));
        return resp;
      });
}

absl::StatusOr<v1::ApplyLateFeesResponse> ArrangementsApp::ApplyLateFees(
    const CallContext& ctx, const v1::ApplyLateFeesRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kWrite));
  if (r.stage() < 0 || r.stage() > domain::kStageCount) {
    return InvalidInput("INVALID_STAGE", "stage", "must be 0..8");
  }
  return MutateAccount<v1::ApplyLateFeesResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(), "ApplyLateFees", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::ApplyLateFeesResponse> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        std::set<std::string> only;
        if (!r.invoices().empty()) {
          ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(r.invoices(), "", "invoices", false));
          for (int i : idx) only.insert(snap->invoice_states[i].id);
        }
        v1::ApplyLateFeesResponse resp;
        std::vector<std::string> skipped;
        ASSIGN_OR_RETURN(auto assessed, ops.AssessAll(only, r.stage(), as_of, &skipped));
        for (const auto& [idx, a] : assessed) {
          for (const auto& line : a.lines) {
            ASSIGN_OR_RETURN(*resp.add_fees(), ops.RaiseFee(ops.FeeOf(idx, line, as_of), as_of));
          }
        }
        for (auto& s : skipped) resp.add_skipped(std::move(s));
        return resp;
      });
}

// ------------------------------------------------------------------ disputes

absl::StatusOr<v1::Dispute> ArrangementsApp::OpenDispute(const CallContext& ctx,
                                                         const v1::OpenDisputeRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  const v1::Dispute& in = r.dispute();
  if (in.reason() == v1::Dispute::REASON_UNSPECIFIED) {
    return InvalidInput("INVALID_DISPUTE", "dispute.reason",
                        "one of PRICING, QUALITY, NOT_RECEIVED, DUPLICATE_BILLING, OTHER");
  }
  RETURN_IF_ERROR(CheckText(in.owner(), 1, 200, "dispute.owner"));
  RETURN_IF_ERROR(CheckText(in.description(), 0, 4000, "dispute.description"));
  if (in.invoice().empty()) return InvalidInput("INVALID_DISPUTE", "dispute.invoice", "required");
  return MutateAccount<v1::Dispute>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(), "OpenDispute", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::Dispute> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        google::protobuf::RepeatedPtrField<std::string> one;
        one.Add()->assign(in.invoice());
        ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(one, "", "dispute.invoice"));
        const v1::Invoice& inv = snap->invoices[idx[0]];
        const domain::InvoiceState& st = snap->invoice_states[idx[0]];
        if (in.has_amount())
          RETURN_IF_ERROR(CheckMoney(in.amount(), inv.currency_code(), 1, "dispute.amount"));
        std::vector<domain::DisputableLine> lines;
        for (const auto& l : inv.lines()) {
          ASSIGN_OR_RETURN(const int64_t gross,
                           domain::AddAmounts(l.amount().minor_units(), l.tax().minor_units(),
                                              "a line's amount with tax"));
          lines.push_back({l.line_id(), gross});
        }
        ASSIGN_OR_RETURN(auto existing_docs, ops.ListDocs<v1::Dispute>(kDisputeKind));
        std::vector<domain::Dispute> existing;
        for (const auto& e : existing_docs) existing.push_back(DisputeOf(e));
        domain::Dispute d;
        d.invoice_id = st.id;
        d.line_id = in.line_id();
        d.reason = DisputeReasonName(in.reason());
        d.amount = in.amount().minor_units();
        RETURN_IF_ERROR(domain::PrepareDispute(d, st, lines, existing, ops.Today()));
        v1::Dispute out = in;
        out.set_invoice(inv.name());
        *out.mutable_amount() =
            ToProtoMoney(inv.currency_code(), d.amount > 0 ? d.amount : st.AmountDue());
        out.set_state(v1::Dispute::OPEN);
        out.clear_outcome();
        out.clear_resolution_note();
        out.clear_credit_note();
        out.clear_corrected_invoice();
        out.clear_resolved_by();
        out.clear_resolve_time();
        *out.mutable_open_time() = Ts(ops.Now());
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kDisputeKind, "dsp"));
        out.set_name(ops.Res(kDisputes, id));
        RETURN_IF_ERROR(ops.PutDoc(kDisputeKind, out, out.name()));
        RETURN_IF_ERROR(ops.Event("dispute.opened", out.name(), nullptr, &out));
        return out;
      });
}

absl::StatusOr<v1::Dispute> ArrangementsApp::ResolveDispute(const CallContext& ctx,
                                                            const v1::ResolveDisputeRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kDisputes));
  if (r.outcome() == v1::Dispute::OUTCOME_UNSPECIFIED) {
    return InvalidInput("INVALID_DISPUTE", "outcome", "CREDIT_NOTE, CORRECTED_INVOICE or REJECTED");
  }
  RETURN_IF_ERROR(CheckText(r.resolved_by(), 1, 200, "resolved_by"));
  RETURN_IF_ERROR(CheckText(r.resolution_note(), 0, 4000, "resolution_note"));
  return MutateAccount<v1::Dispute>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(), "ResolveDispute", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::Dispute> {
        ASSIGN_OR_RETURN(v1::Dispute d, ops.GetDoc<v1::Dispute>(kDisputeKind, r.name(), kDisputes,
                                                                "DISPUTE_NOT_FOUND"));
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        const std::string inv_id = IdOf(d.invoice());
        auto it = std::find_if(snap->invoice_states.begin(), snap->invoice_states.end(),
                               [&](const domain::InvoiceState& s) { return s.id == inv_id; });
        if (it == snap->invoice_states.end())
          return absl::InternalError("disputed invoice vanished");
        domain::Dispute dd = DisputeOf(d);
        const auto outcome = r.outcome() == v1::Dispute::CREDIT_NOTE
                                 ? domain::DisputeOutcome::kCreditNote
                             : r.outcome() == v1::Dispute::CORRECTED_INVOICE
                                 ? domain::DisputeOutcome::kCorrectedInvoice
                                 : domain::DisputeOutcome::kRejected;
        if (r.has_credit_amount()) {
          RETURN_IF_ERROR(CheckMoney(r.credit_amount(), it->currency, 1, "credit_amount"));
        }
        ASSIGN_OR_RETURN(
            domain::DisputeResolution res,
            domain::ResolveDispute(dd, outcome, r.credit_amount().minor_units(), *it, ops.Today()));
        const v1::Dispute before = d;
        if (outcome == domain::DisputeOutcome::kCreditNote) {
          v1::CreditNote cn;
          cn.mutable_external_ref()->set_source_system(kSidecarSource);
          cn.mutable_external_ref()->set_id(absl::StrCat("dispute-", IdOf(d.name())));
          cn.set_number(absl::AsciiStrToUpper(cn.external_ref().id()));
          *cn.mutable_issue_date() = ToProtoDate(ops.Today());
          *cn.mutable_amount() = ToProtoMoney(it->currency, res.credit_amount);
          cn.set_invoice(d.invoice());
          cn.set_reason(absl::StrCat("dispute ", d.name(), " resolved: ", r.resolution_note()));
          ASSIGN_OR_RETURN(ApplyResult cr, ops.ledger().ApplyCreditNote(ops.customer(), cn));
          d.set_credit_note(cr.name);
        }
        d.set_state(v1::Dispute::RESOLVED);
        d.set_outcome(r.outcome());
        d.set_resolution_note(r.resolution_note());
        d.set_corrected_invoice(r.corrected_invoice());
        d.set_resolved_by(r.resolved_by());
        *d.mutable_resolve_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kDisputeKind, d, d.name()));
        RETURN_IF_ERROR(ops.Event("dispute.resolved", d.name(), &before, &d));
        return d;
      });
}

// ----------------------------------------------------------------- write-off

absl::StatusOr<v1::WriteOff> ArrangementsApp::WriteOff(const CallContext& ctx,
                                                       const v1::WriteOffRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  const v1::WriteOff& in = r.write_off();
  if (in.reason() == v1::WriteOff::REASON_UNSPECIFIED) {
    return InvalidInput("INVALID_WRITE_OFF", "write_off.reason", "required");
  }
  RETURN_IF_ERROR(CheckText(in.note(), 0, 2000, "write_off.note"));
  return MutateAccount<v1::WriteOff>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(), "WriteOff", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::WriteOff> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        ASSIGN_OR_RETURN(absl::CivilDay day,
                         DayOr(in.write_off_date(), ops.Today(), "write_off.write_off_date"));
        if (day > ops.Today())
          return InvalidInput("INVALID_WRITE_OFF", "write_off.write_off_date", "in the future");
        std::vector<domain::WriteOffLine> requested;
        for (int k = 0; k < in.items_size(); ++k) {
          const auto& item = in.items(k);
          const std::string f = absl::StrCat("write_off.items[", k, "]");
          google::protobuf::RepeatedPtrField<std::string> one;
          one.Add()->assign(item.invoice());
          ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(one, "", f + ".invoice"));
          if (item.has_amount()) {
            RETURN_IF_ERROR(CheckMoney(item.amount(), snap->invoices[idx[0]].currency_code(), 1,
                                       f + ".amount"));
          }
          requested.push_back({snap->invoice_states[idx[0]].id, item.amount().minor_units()});
        }
        ASSIGN_OR_RETURN(auto lines, domain::PrepareWriteOff(snap->invoice_states, requested, day));
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kWriteOffDocKind, "wo"));
        v1::WriteOff w = in;
        w.set_name(ops.Res(kWriteOffs, id));
        w.clear_items();
        std::vector<store::SettlementRow> rows;
        for (const auto& line : lines) {
          const auto it =
              std::find_if(snap->invoice_states.begin(), snap->invoice_states.end(),
                           [&](const domain::InvoiceState& s) { return s.id == line.invoice_id; });
          auto* item = w.add_items();
          item->set_invoice(ops.Res(kInvoices, line.invoice_id));
          *item->mutable_amount() = ToProtoMoney(it->currency, line.amount);
          rows.push_back({line.invoice_id, kWriteOffKind, id, domain::DayNumber(day), line.amount});
        }
        RETURN_IF_ERROR(ops.ledger().ApplySettlements(kWriteOffKind, id, rows));
        *w.mutable_write_off_date() = ToProtoDate(day);
        w.set_reversed(false);
        w.clear_reversal_reason();
        w.clear_reversal_date();
        w.set_export_pending(true);
        *w.mutable_create_time() = Ts(ops.Now());
        *w.mutable_update_time() = w.create_time();
        RETURN_IF_ERROR(ops.PutDoc(kWriteOffDocKind, w, w.name()));
        RETURN_IF_ERROR(ops.Event("write_off.recorded", w.name(), nullptr, &w));
        return w;
      });
}

absl::StatusOr<v1::WriteOff> ArrangementsApp::ReverseWriteOff(const CallContext& ctx,
                                                              const v1::ReverseWriteOffRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kWriteOffs));
  RETURN_IF_ERROR(CheckText(r.reason(), 1, 2000, "reason"));
  return MutateAccount<v1::WriteOff>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(), "ReverseWriteOff", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::WriteOff> {
        ASSIGN_OR_RETURN(v1::WriteOff w,
                         ops.GetDoc<v1::WriteOff>(kWriteOffDocKind, r.name(), kWriteOffs,
                                                  "WRITE_OFF_NOT_FOUND"));
        if (w.reversed()) {
          return domain::PreconditionError("WRITE_OFF_REVERSED",
                                           absl::StrCat(r.name(), " is already reversed"));
        }
        const v1::WriteOff before = w;
        RETURN_IF_ERROR(ops.ledger().ApplySettlements(kWriteOffKind, n.id, {}));
        w.set_reversed(true);
        w.set_reversal_reason(r.reason());
        *w.mutable_reversal_date() = ToProtoDate(ops.Today());
        w.set_export_pending(true);
        *w.mutable_update_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kWriteOffDocKind, w, w.name()));
        RETURN_IF_ERROR(ops.Event("write_off.reversed", w.name(), &before, &w));
        return w;
      });
}

// ----------------------------------------------------------------- referrals

absl::StatusOr<v1::Referral> ArrangementsApp::Refer(const CallContext& ctx,
                                                    const std::string& parent,
                                                    const v1::Referral& in, v1::Referral::Kind kind,
                                                    const std::string& request_id,
                                                    const v1::Date& as_of,
                                                    absl::string_view method,
                                                    const google::protobuf::Message& request) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(parent, "parent"));
  RETURN_IF_ERROR(CheckText(in.party(), 1, 200, "referral.party"));
  RETURN_IF_ERROR(CheckText(in.case_reference(), 0, 200, "referral.case_reference"));
  RETURN_IF_ERROR(CheckText(in.case_file(), 0, 2000, "referral.case_file"));
  if (in.commission_bp() < 0 || in.commission_bp() > 10000) {
    return InvalidInput("INVALID_REFERRAL", "referral.commission_bp", "must be 0..10000");
  }
  return MutateAccount<v1::Referral>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, request_id, as_of, method, request,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::Referral> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        google::protobuf::RepeatedPtrField<std::string> names = in.invoices();
        std::string ccy;
        if (names.empty()) {
          // Every open invoice of the account's only (or first) currency.
          for (size_t i = 0; i < snap->invoices.size(); ++i) {
            if (snap->invoice_states[i].AmountDue() > 0 && !snap->invoices[i].voided()) {
              ccy = snap->invoices[i].currency_code();
              break;
            }
          }
          if (ccy.empty())
            return domain::PreconditionError("NOTHING_DUE", "nothing is due to refer");
        }
        ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(names, ccy, "referral.invoices"));
        ccy = snap->invoices[idx[0]].currency_code();
        if (in.has_fixed_cost())
          RETURN_IF_ERROR(CheckMoney(in.fixed_cost(), ccy, 0, "referral.fixed_cost"));
        ASSIGN_OR_RETURN(auto referrals, ops.ListDocs<v1::Referral>(kReferralKind));
        domain::Referral current;
        v1::Referral* active = nullptr;
        for (auto& ref : referrals) {
          if (ref.state() == v1::Referral::ACTIVE) {
            current = ReferralOf(ref);
            active = &ref;
          }
        }
        const domain::EndState want =
            kind == v1::Referral::LEGAL ? domain::EndState::kLegal : domain::EndState::kAgency;
        RETURN_IF_ERROR(domain::CheckNewReferral(current, want));
        if (active != nullptr) {  // legal action replaces the agency
          const v1::Referral before = *active;
          active->set_state(v1::Referral::RECALLED);
          *active->mutable_recall_date() = ToProtoDate(ops.Today());
          active->set_recall_reason("escalated to legal action");
          *active->mutable_update_time() = Ts(ops.Now());
          RETURN_IF_ERROR(ops.PutDoc(kReferralKind, *active, active->name()));
          RETURN_IF_ERROR(ops.Event("referral.recalled", active->name(), &before, active));
        }
        v1::Referral out = in;
        out.set_kind(kind);
        out.clear_invoices();
        for (int i : idx) out.add_invoices(snap->invoices[i].name());
        ASSIGN_OR_RETURN(const int64_t referred, SumDue(*snap, idx));
        *out.mutable_referred_amount() = ToProtoMoney(ccy, referred);
        *out.mutable_fixed_cost() = ToProtoMoney(ccy, in.fixed_cost().minor_units());
        out.clear_collections();
        *out.mutable_collected_gross() = ToProtoMoney(ccy, 0);
        *out.mutable_collected_net() = ToProtoMoney(ccy, 0);
        out.set_state(v1::Referral::ACTIVE);
        *out.mutable_referred_date() = ToProtoDate(ops.Today());
        out.clear_recall_date();
        out.clear_recall_reason();
        *out.mutable_create_time() = Ts(ops.Now());
        *out.mutable_update_time() = out.create_time();
        ASSIGN_OR_RETURN(
            std::string id,
            ops.NewId(kReferralKind, kind == v1::Referral::LEGAL ? "legal" : "agency"));
        out.set_name(ops.Res(kReferrals, id));
        if (out.case_file().empty())
          out.set_case_file(absl::StrCat(ops.CustomerRes(), ":caseFile"));
        RETURN_IF_ERROR(ops.PutDoc(kReferralKind, out, out.name()));
        RETURN_IF_ERROR(
            ops.Event(kind == v1::Referral::LEGAL ? "referral.legal" : "referral.agency",
                      out.name(), nullptr, &out));
        return out;
      });
}

absl::StatusOr<v1::Referral> ArrangementsApp::ReferToAgency(const CallContext& ctx,
                                                            const v1::ReferToAgencyRequest& r) {
  return Refer(ctx, r.parent(), r.referral(), v1::Referral::AGENCY, r.request_id(), r.as_of(),
               "ReferToAgency",
               r);
}

absl::StatusOr<v1::Referral> ArrangementsApp::ReferToLegal(const CallContext& ctx,
                                                           const v1::ReferToLegalRequest& r) {
  return Refer(ctx, r.parent(), r.referral(), v1::Referral::LEGAL, r.request_id(), r.as_of(),
               "ReferToLegal",
               r);
}

absl::StatusOr<v1::Referral> ArrangementsApp::RecordAgencyCollection(
    const CallContext& ctx, const v1::RecordAgencyCollectionRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kReferrals));
  ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(r.collected_date(), "collected_date"));
  return MutateAccount<v1::Referral>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(), "RecordAgencyCollection",
      r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::Referral> {
        ASSIGN_OR_RETURN(
            v1::Referral ref,
            ops.GetDoc<v1::Referral>(kReferralKind, r.name(), kReferrals, "REFERRAL_NOT_FOUND"));
        const std::string ccy = ref.referred_amount().currency_code();
        RETURN_IF_ERROR(CheckMoney(r.gross(), ccy, 1, "gross"));
        if (day > ops.Today())
          return InvalidInput("INVALID_COLLECTION", "collected_date", "in the future");
        ASSIGN_OR_RETURN(domain::ReferralCollection c,
                         domain::SplitCollection(
                             ReferralOf(ref), ref.referred_amount().minor_units(),
                             ref.collected_gross().minor_units(), r.gross().minor_units(), day));
        // The debtor paid the gross amount: a payment in the ledger, to the
        // referred invoices oldest first.
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        std::vector<const domain::InvoiceState*> open;
        for (const auto& name : ref.invoices()) {
          for (const auto& st : snap->invoice_states) {
            if (st.id == IdOf(name)) open.push_back(&st);
          }
        }
        int64_t unapplied = 0;
        const auto lines = domain::AllocateOldestFirst(open, c.gross, &unapplied);
        v1::Payment pay;
        pay.mutable_external_ref()->set_source_system(kSidecarSource);
        pay.mutable_external_ref()->set_id(
            absl::StrCat("referral-", n.id, "-", ref.collections_size() + 1));
        *pay.mutable_amount() = ToProtoMoney(ccy, c.gross);
        *pay.mutable_received_date() = ToProtoDate(day);
        pay.set_method(v1::Payment::OTHER);
        pay.set_payer_reference(ref.party());
        pay.set_remittance_text(absl::StrCat("collected by ", ref.party(), " (", ref.name(), ")"));
        for (const auto& line : lines) {
          auto* a = pay.add_allocations();
          a->set_invoice(ops.Res(kInvoices, line.invoice_id));
          *a->mutable_amount() = ToProtoMoney(ccy, line.amount);
        }
        ASSIGN_OR_RETURN(ApplyResult pr, ops.ledger().ApplyPayment(ops.customer(), pay));
        const v1::Referral before = ref;
        auto* col = ref.add_collections();
        *col->mutable_collected_date() = ToProtoDate(day);
        *col->mutable_gross() = ToProtoMoney(ccy, c.gross);
        *col->mutable_commission() = ToProtoMoney(ccy, c.commission);
        *col->mutable_net() = ToProtoMoney(ccy, c.net);
        col->set_payment(pr.name);
        ASSIGN_OR_RETURN(const int64_t collected_gross,
                         domain::AddAmounts(ref.collected_gross().minor_units(), c.gross,
                                            "the referral's collected amount"));
        ASSIGN_OR_RETURN(const int64_t collected_net,
                         domain::AddAmounts(ref.collected_net().minor_units(), c.net,
                                            "the referral's collected net amount"));
        *ref.mutable_collected_gross() = ToProtoMoney(ccy, collected_gross);
        *ref.mutable_collected_net() = ToProtoMoney(ccy, collected_net);
        if (ref.collected_gross().minor_units() >= ref.referred_amount().minor_units()) {
          ref.set_state(v1::Referral::CLOSED);
        }
        *ref.mutable_update_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kReferralKind, ref, ref.name()));
        RETURN_IF_ERROR(ops.Event("referral.collection_recorded", ref.name(), &before, &ref));
        return ref;
      });
}

absl::StatusOr<v1::Referral> ArrangementsApp::RecallReferral(const CallContext& ctx,
                                                             const v1::RecallReferralRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kReferrals));
  RETURN_IF_ERROR(CheckText(r.reason(), 1, 2000, "reason"));
  return MutateAccount<v1::Referral>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(), "RecallReferral", r,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::Referral> {
        ASSIGN_OR_RETURN(
            v1::Referral ref,
            ops.GetDoc<v1::Referral>(kReferralKind, r.name(), kReferrals, "REFERRAL_NOT_FOUND"));
        if (ref.state() != v1::Referral::ACTIVE) {
          return domain::PreconditionError("REFERRAL_NOT_ACTIVE",
                                           absl::StrCat(r.name(), " is not ACTIVE"));
        }
        const v1::Referral before = ref;
        ref.set_state(v1::Referral::RECALLED);
        *ref.mutable_recall_date() = ToProtoDate(ops.Today());
        ref.set_recall_reason(r.reason());
        *ref.mutable_update_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kReferralKind, ref, ref.name()));
        RETURN_IF_ERROR(ops.Event("referral.recalled", ref.name(), &before, &ref));
        return ref;
      });
}

// ---------------------------------------------------------------- listings

namespace {

const std::vector<std::string>& AllKinds() {
  static const auto* kinds =
      new std::vector<std::string>{kPromiseKind, kPlanKind,        kSettlementDocKind, kFeeKind,
                                   kDisputeKind, kWriteOffDocKind, kReferralKind};
  return *kinds;
}

absl::StatusOr<v1::Arrangement> ArrangementOfDoc(const store::Doc& d) {
  v1::Arrangement a;
  bool ok = false;
  if (d.kind == kPromiseKind) ok = a.mutable_promise()->ParseFromString(d.body);
  if (d.kind == kPlanKind) ok = a.mutable_plan()->ParseFromString(d.body);
  if (d.kind == kSettlementDocKind) ok = a.mutable_settlement()->ParseFromString(d.body);
  if (d.kind == kFeeKind) ok = a.mutable_fee()->ParseFromString(d.body);
  if (d.kind == kDisputeKind) ok = a.mutable_dispute()->ParseFromString(d.body);
  if (d.kind == kWriteOffDocKind) ok = a.mutable_write_off()->ParseFromString(d.body);
  if (d.kind == kReferralKind) ok = a.mutable_referral()->ParseFromString(d.body);
  if (!ok)
    return absl::InternalError(absl::StrCat("stored ", d.kind, " ", d.id, " does not parse"));
  return a;
}

}  // namespace

absl::StatusOr<v1::ListArrangementsResponse> ArrangementsApp::ListArrangements(
    const CallContext& ctx, const v1::ListArrangementsRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kRead));
  std::vector<std::string> kinds;
  for (int i = 0; i < r.kinds_size(); ++i) {
    if (std::find(AllKinds().begin(), AllKinds().end(), r.kinds(i)) == AllKinds().end()) {
      return InvalidInput("INVALID_KIND", absl::StrCat("kinds[", i, "]"),
                          "promise, plan, settlement, fee, dispute, write_off or referral");
    }
    kinds.push_back(r.kinds(i));
  }
  if (kinds.empty()) kinds = AllKinds();
  std::sort(kinds.begin(), kinds.end());
  return ReadAccount<v1::ListArrangementsResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, as_of,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::ListArrangementsResponse> {
        // Keyset over (kind, id): "kind\x1fid".
        v1::ListArrangementsResponse resp;
        int emitted = 0;
        std::string last;
        for (const auto& kind : kinds) {
          std::string from;
          if (!after.empty()) {
            const size_t sep = after.find('\x1f');
            const std::string akind = after.substr(0, sep);
            if (kind < akind) continue;
            if (kind == akind && sep != std::string::npos) from = after.substr(sep + 1);
          }
          while (emitted <= page_size) {
            ASSIGN_OR_RETURN(auto docs, ops.tx().ListDocs(kind, cn.customer, from, page_size + 1));
            if (docs.empty()) break;
            for (const auto& d : docs) {
              if (emitted == page_size) {
                resp.set_next_page_token(NextPageToken(r, last));
                return resp;
              }
              ASSIGN_OR_RETURN(v1::Arrangement a, ArrangementOfDoc(d));
              if (a.has_promise()) {
                ASSIGN_OR_RETURN(*a.mutable_promise(), ops.Evaluate(a.promise(), as_of));
              }
              if (a.has_plan()) {
                ASSIGN_OR_RETURN(*a.mutable_plan(), ops.Evaluate(a.plan(), as_of));
              }
              *resp.add_arrangements() = std::move(a);
              last = absl::StrCat(kind, "\x1f", d.id);
              ++emitted;
            }
            from = docs.back().id;
          }
        }
        return resp;
      });
}

namespace {

// Decides what the passing of days decides: promises kept or broken, plans
// completed or defaulted (with their consequences), settlements paid or
// lapsed. Appends the audit events of every change.
absl::StatusOr<v1::RefreshArrangementsResponse> RefreshInOps(ArrangementOps& ops,
                                                             absl::CivilDay as_of) {
  v1::RefreshArrangementsResponse resp;
  // Promises: decided ones become final.
  ASSIGN_OR_RETURN(auto promises, ops.ListDocs<v1::PromiseToPay>(kPromiseKind));
  for (auto& p : promises) {
    if (p.status() != v1::PromiseToPay::PENDING) continue;
    ASSIGN_OR_RETURN(v1::PromiseToPay ev, ops.Evaluate(p, as_of));
    if (ev.status() == v1::PromiseToPay::PENDING) continue;
    *ev.mutable_update_time() = Ts(ops.Now());
    RETURN_IF_ERROR(ops.PutDoc(kPromiseKind, ev, ev.name()));
    const char* type = ev.status() == v1::PromiseToPay::KEPT     ? "promise.kept"
                       : ev.status() == v1::PromiseToPay::BROKEN ? "promise.broken"
                                                                 : "promise.partly_kept";
    RETURN_IF_ERROR(ops.Event(type, ev.name(), &p, &ev));
    *resp.add_changed()->mutable_promise() = ev;
  }
  // Plans: completed or defaulted.
  ASSIGN_OR_RETURN(auto plans, ops.ListDocs<v1::PaymentPlan>(kPlanKind));
  for (auto& p : plans) {
    if (p.state() != v1::PaymentPlan::ACTIVE) continue;
    domain::PlanEvaluation ev;
    ASSIGN_OR_RETURN(v1::PaymentPlan next, ops.Evaluate(p, as_of, &ev));
    std::set<std::string> ids;
    for (const auto& n : p.invoices()) ids.insert(IdOf(n));
    const std::string ccy = p.currency_code();
    if (ev.status == domain::PlanStatus::kCompleted) {
      next.set_state(v1::PaymentPlan::COMPLETED);
      *next.mutable_completed_date() = ToProtoDate(ev.completed_date.value_or(as_of));
      ASSIGN_OR_RETURN(int64_t waived, ops.WaiveFees(ids, as_of, "payment plan completed"));
      *next.mutable_waived_fees() = ToProtoMoney(ccy, waived);
    } else if (ev.status == domain::PlanStatus::kDefaulted) {
      domain::PaymentPlan d = PlanOf(p);
      ASSIGN_OR_RETURN(auto outcome,
                       domain::DefaultPlan(d, ev, {}, ops.plan_policy()));
      (void)outcome;
      next.set_state(v1::PaymentPlan::DEFAULTED);
      next.set_in_arrears(true);
      *next.mutable_defaulted_date() = ToProtoDate(ev.default_date.value_or(as_of));
      if (!ops.plan_policy().restore_waived_fees_on_default) {
        ASSIGN_OR_RETURN(int64_t waived,
                         ops.WaiveFees(ids, as_of, "policy waives fees on default"));
        *next.mutable_waived_fees() = ToProtoMoney(ccy, waived);
      }
    } else {
      continue;
    }
    *next.mutable_update_time() = Ts(ops.Now());
    RETURN_IF_ERROR(ops.PutDoc(kPlanKind, next, next.name()));
    RETURN_IF_ERROR(ops.Event(
        next.state() == v1::PaymentPlan::COMPLETED ? "plan.completed" : "plan.defaulted",
        next.name(), &p, &next));
    *resp.add_changed()->mutable_plan() = next;
  }
  // Settlements: accepted and paid → closed; proposed past pay_by → lapsed.
  ASSIGN_OR_RETURN(auto settlements, ops.ListDocs<v1::Settlement>(kSettlementDocKind));
  for (auto& s : settlements) {
    if (s.state() == v1::Settlement::ACCEPTED) {
      ASSIGN_OR_RETURN(bool closed, ops.CloseSettlementIfPaid(s, as_of));
      if (closed) {
        *resp.add_changed()->mutable_settlement() = s;
        continue;
      }
    }
    auto pay_by = OptDay(s.pay_by());
    if ((s.state() == v1::Settlement::PROPOSED || s.state() == v1::Settlement::ACCEPTED) &&
        pay_by && as_of > *pay_by) {
      const v1::Settlement before = s;
      s.set_state(v1::Settlement::LAPSED);
      *s.mutable_update_time() = Ts(ops.Now());
      RETURN_IF_ERROR(ops.PutDoc(kSettlementDocKind, s, s.name()));
      RETURN_IF_ERROR(ops.Event("settlement.lapsed", s.name(), &before, &s));
      *resp.add_changed()->mutable_settlement() = s;
    }
  }
  return resp;
}

}  // namespace

absl::StatusOr<v1::RefreshArrangementsResponse> ArrangementsApp::RefreshArrangements(
    const CallContext& ctx, const v1::RefreshArrangementsRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  ASSIGN_OR_RETURN(absl::CivilDay as_of, ResolveAsOf(r.as_of(), clock_, AsOfUse::kWrite));
  return MutateAccount<v1::RefreshArrangementsResponse>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(),
      "RefreshArrangements", r, [&](ArrangementOps& ops) { return RefreshInOps(ops, as_of); });
}

absl::StatusOr<v1::RefreshArrangementsResponse> RefreshArrangementsInTx(
    store::Transaction& tx, const domain::Clock& clock, const CallContext& ctx,
    const std::string& tenant, const std::string& customer, absl::CivilDay as_of,
    const v1::CollectionPolicy* starting_policy) {
  static const ArrangementConfig* kConfig = new ArrangementConfig();
  ASSIGN_OR_RETURN(
      domain::CollectionPolicy policy,
      LoadTenantDomainPolicy(tx, starting_policy != nullptr ? *starting_policy
                                                            : kConfig->starting_policy));
  ArrangementOps ops(tx, clock, ctx, *kConfig, std::move(policy), as_of, tenant, customer, "");
  RETURN_IF_ERROR(ops.ledger().LoadCustomer(customer).status());
  return RefreshInOps(ops, as_of);
}

// ----------------------------------------------- for other application code

namespace {

// A read-only unit of work for the loaders below.
absl::StatusOr<std::unique_ptr<ArrangementOps>> LoaderOps(store::Transaction& tx,
                                                          const std::string& tenant,
                                                          const std::string& customer_id,
                                                          absl::CivilDay as_of,
                                                          const LoadOptions& options) {
  static const CallContext kSystem{"system", ""};
  static const ArrangementConfig* kConfig = new ArrangementConfig();
  const v1::CollectionPolicy& starting =
      options.starting_policy != nullptr ? *options.starting_policy : kConfig->starting_policy;
  ASSIGN_OR_RETURN(domain::CollectionPolicy policy, LoadTenantDomainPolicy(tx, starting));
  const domain::Clock& clock = options.clock != nullptr ? *options.clock : domain::SystemClock();
  return std::make_unique<ArrangementOps>(tx, clock, kSystem, *kConfig, std::move(policy), as_of,
                                          tenant, customer_id, "");
}

}  // namespace

absl::Status LoadArrangementContext(store::Transaction& tx, const std::string& tenant,
                                    const std::string& customer_id, absl::CivilDay as_of,
                                    domain::AccountContext* account, const LoadOptions& options) {
  ASSIGN_OR_RETURN(auto ops_ptr, LoaderOps(tx, tenant, customer_id, as_of, options));
  ArrangementOps& ops = *ops_ptr;
  ASSIGN_OR_RETURN(auto promises, ops.ListDocs<v1::PromiseToPay>(kPromiseKind));
  for (const auto& p : promises) {
    ASSIGN_OR_RETURN(v1::PromiseToPay ev, ops.Evaluate(p, as_of));
    account->promises.push_back(PromiseOf(ev));
  }
  ASSIGN_OR_RETURN(auto plans, ops.ListDocs<v1::PaymentPlan>(kPlanKind));
  for (const auto& p : plans) {
    ASSIGN_OR_RETURN(v1::PaymentPlan ev, ops.Evaluate(p, as_of));
    domain::PaymentPlan d = PlanOf(ev);
    for (size_t i = 0; i < d.installments.size(); ++i) {
      d.installments[i].paid = ev.installments(static_cast<int>(i)).paid_amount().minor_units();
    }
    account->plans.push_back(std::move(d));
  }
  ASSIGN_OR_RETURN(auto disputes, ops.ListDocs<v1::Dispute>(kDisputeKind));
  for (const auto& d : disputes) account->disputes.push_back(DisputeOf(d));
  ASSIGN_OR_RETURN(auto settlements, ops.ListDocs<v1::Settlement>(kSettlementDocKind));
  for (const auto& s : settlements) {
    domain::SettlementHold h;
    h.id = IdOf(s.name());
    switch (s.state()) {
      case v1::Settlement::PROPOSED: h.status = domain::SettlementStatus::kProposed; break;
      case v1::Settlement::ACCEPTED: h.status = domain::SettlementStatus::kAccepted; break;
      case v1::Settlement::PAID: h.status = domain::SettlementStatus::kPaid; break;
      case v1::Settlement::LAPSED: h.status = domain::SettlementStatus::kLapsed; break;
      default: h.status = domain::SettlementStatus::kOther; break;
    }
    for (const auto& n : s.invoices()) h.invoice_ids.push_back(IdOf(n));
    h.amount = ToMoney(s.amount());
    h.pay_by = OptDay(s.pay_by());
    h.accepted_date = OptDay(s.accepted_date());
    account->settlements.push_back(std::move(h));
  }
  ASSIGN_OR_RETURN(auto fees, ops.ListDocs<v1::Fee>(kFeeKind));
  for (const auto& f : fees) {
    domain::FeeCharge c;
    c.id = IdOf(f.name());
    c.invoice_id = IdOf(f.invoice());
    c.stage = static_cast<domain::Stage>(std::clamp(f.stage(), 0, domain::kStageCount - 1));
    c.amount = ToMoney(f.amount());
    c.raised_date = OptDay(f.raised_date()).value_or(as_of);
    c.waived = f.waived();
    account->fees.push_back(std::move(c));
  }
  ASSIGN_OR_RETURN(auto referrals, ops.ListDocs<v1::Referral>(kReferralKind));
  for (const auto& r : referrals) {
    if (r.state() == v1::Referral::ACTIVE) account->referral = ReferralOf(r);
  }
  if (account->referral.state == domain::EndState::kNone) {
    ASSIGN_OR_RETURN(v1::AccountArrangements view,
                     LoadAccountArrangements(tx, tenant, customer_id, as_of));
    if (view.end_state() == v1::AccountArrangements::WRITTEN_OFF) {
      account->referral.state = domain::EndState::kWrittenOff;
      account->referral.since = as_of;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::AccountArrangements> LoadAccountArrangements(store::Transaction& tx,
                                                                const std::string& tenant,
                                                                const std::string& customer_id,
                                                                absl::CivilDay as_of,
                                                                const LoadOptions& options) {
  ASSIGN_OR_RETURN(auto ops_ptr, LoaderOps(tx, tenant, customer_id, as_of, options));
  ArrangementOps& ops = *ops_ptr;
  v1::AccountArrangements out;
  out.set_end_state(v1::AccountArrangements::INTERNAL);
  ASSIGN_OR_RETURN(auto referrals, ops.ListDocs<v1::Referral>(kReferralKind));
  for (const auto& r : referrals) {
    if (r.state() != v1::Referral::ACTIVE) continue;
    *out.mutable_referral() = r;
    out.set_end_state(r.kind() == v1::Referral::LEGAL ? v1::AccountArrangements::IN_LEGAL
                                                      : v1::AccountArrangements::AT_AGENCY);
  }
  ASSIGN_OR_RETURN(auto write_offs, ops.ListDocs<v1::WriteOff>(kWriteOffDocKind));
  for (const auto& w : write_offs) {
    if (!w.reversed()) *out.add_write_offs() = w;
  }
  if (out.write_offs_size() > 0 && out.end_state() == v1::AccountArrangements::INTERNAL) {
    // Written off when nothing is left due apart from what was written off.
    ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
    bool open = false;
    for (const auto& st : snap->invoice_states) open |= !st.voided && st.AmountDueAsOf(as_of) > 0;
    if (!open) out.set_end_state(v1::AccountArrangements::WRITTEN_OFF);
  }
  ASSIGN_OR_RETURN(auto promises, ops.ListDocs<v1::PromiseToPay>(kPromiseKind));
  for (const auto& p : promises) {
    ASSIGN_OR_RETURN(v1::PromiseToPay ev, ops.Evaluate(p, as_of));
    if (ev.status() == v1::PromiseToPay::PENDING) *out.add_pending_promises() = ev;
  }
  ASSIGN_OR_RETURN(auto plans, ops.ListDocs<v1::PaymentPlan>(kPlanKind));
  for (const auto& p : plans) {
    if (p.state() != v1::PaymentPlan::ACTIVE) continue;
    ASSIGN_OR_RETURN(*out.add_active_plans(), ops.Evaluate(p, as_of));
  }
  ASSIGN_OR_RETURN(auto disputes, ops.ListDocs<v1::Dispute>(kDisputeKind));
  for (const auto& d : disputes) {
    if (d.state() == v1::Dispute::OPEN) *out.add_open_disputes() = d;
  }
  ASSIGN_OR_RETURN(auto settlements, ops.ListDocs<v1::Settlement>(kSettlementDocKind));
  for (const auto& s : settlements) {
    if (s.state() == v1::Settlement::PROPOSED || s.state() == v1::Settlement::ACCEPTED) {
      *out.add_open_settlements() = s;
    }
  }
  ASSIGN_OR_RETURN(auto fees, ops.ListDocs<v1::Fee>(kFeeKind));
  std::map<std::string, domain::AmountSum> by_ccy;
  for (const auto& f : fees) {
    if (!f.waived()) by_ccy[f.amount().currency_code()] += f.amount().minor_units();
  }
  for (const auto& [ccy, sum] : by_ccy) {
    ASSIGN_OR_RETURN(const int64_t raised, sum.Get(absl::StrCat("the ", ccy, " fees raised")));
    *out.add_fees_raised() = ToProtoMoney(ccy, raised);
  }
  return out;
}

absl::StatusOr<std::vector<v1::Arrangement>> ListAccountArrangements(
    store::Transaction& tx, const std::string& customer_id) {
  std::vector<v1::Arrangement> out;
  std::vector<std::string> kinds = AllKinds();
  std::sort(kinds.begin(), kinds.end());
  for (const auto& kind : kinds) {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kind, customer_id, after, 1000));
      if (docs.empty()) break;
      after = docs.back().id;
      for (const auto& d : docs) {
        ASSIGN_OR_RETURN(v1::Arrangement a, ArrangementOfDoc(d));
        out.push_back(std::move(a));
      }
    }
  }
  return out;
}

}  // namespace collections::app
