#include "service/app/recovery_convert.h"

#include <google/protobuf/util/time_util.h>

#include "service/app/app_common.h"
#include "service/base/resource_names.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

std::vector<domain::Money> MoneyList(const google::protobuf::RepeatedPtrField<v1::Money>& in) {
  std::vector<domain::Money> out;
  for (const auto& m : in) out.push_back(ToMoney(m));
  return out;
}

void AddMoney(const std::vector<domain::Money>& in,
              google::protobuf::RepeatedPtrField<v1::Money>* out) {
  for (const auto& m : in) *out->Add() = ToProtoMoney(m.currency, m.minor);
}

template <typename T>
std::vector<T> Vec(const google::protobuf::RepeatedField<T>& in) {
  return std::vector<T>(in.begin(), in.end());
}

std::vector<std::string> Vec(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return std::vector<std::string>(in.begin(), in.end());
}

domain::PolicyRules RulesFromProto(const v1::PolicyRules& p) {
  domain::PolicyRules r;
  r.pre_due_reminder_days = Vec(p.pre_due_reminder_days());
  r.minimum_balance = MoneyList(p.minimum_balance());
  if (p.has_neglected_after_days()) r.neglected_after_days = p.neglected_after_days();
  if (p.has_formal_notice_entry_days()) r.formal_notice_entry_days = p.formal_notice_entry_days();
  if (p.has_notice_before_referral_days()) {
    r.notice_before_referral_days = p.notice_before_referral_days();
  }
  for (const auto& s : p.stages()) {
    domain::StageRule rule;
    rule.stage = StageOf(s.stage());
    rule.min_days_past_due = s.min_days_past_due();
    rule.min_overdue_amount = MoneyList(s.min_overdue_amount());
    rule.min_overdue_invoices = s.min_overdue_invoices();
    rule.min_days_since_last_contact = s.min_days_since_last_contact();
    if (s.has_max_attempts()) rule.max_attempts = s.max_attempts();
    rule.channel = ChannelOf(s.channel());
    rule.tone = static_cast<domain::Tone>(s.tone() >= 0 && s.tone() <= 4 ? s.tone() : 0);
    rule.template_id = s.template_id();
    r.stages.push_back(std::move(rule));
  }
  return r;
}

v1::PolicyRules RulesToProto(const domain::PolicyRules& r) {
  v1::PolicyRules p;
  for (int d : r.pre_due_reminder_days) p.add_pre_due_reminder_days(d);
  AddMoney(r.minimum_balance, p.mutable_minimum_balance());
  p.set_neglected_after_days(r.neglected_after_days);
  p.set_formal_notice_entry_days(r.formal_notice_entry_days);
  p.set_notice_before_referral_days(r.notice_before_referral_days);
  for (const auto& rule : r.stages) {
    v1::StageRule* s = p.add_stages();
    s->set_stage(ToProtoStage(rule.stage));
    s->set_min_days_past_due(rule.min_days_past_due);
    AddMoney(rule.min_overdue_amount, s->mutable_min_overdue_amount());
    s->set_min_overdue_invoices(rule.min_overdue_invoices);
    s->set_min_days_since_last_contact(rule.min_days_since_last_contact);
    s->set_max_attempts(rule.max_attempts);
    s->set_channel(ToProtoChannel(rule.channel));
    s->set_tone(static_cast<v1::Tone>(rule.tone));
    s->set_template_id(rule.template_id);
  }
  return p;
}

}  // namespace

domain::Stage StageOf(v1::CollectionStage s) {
  const int v = static_cast<int>(s);
  return v >= 0 && v < domain::kStageCount ? static_cast<domain::Stage>(v) : domain::Stage::kNone;
}
v1::CollectionStage ToProtoStage(domain::Stage s) { return static_cast<v1::CollectionStage>(s); }

domain::Channel ChannelOf(v1::Channel c) {
  const int v = static_cast<int>(c);
  return v >= 0 && v <= 6 ? static_cast<domain::Channel>(v) : domain::Channel::kUnspecified;
}
v1::Channel ToProtoChannel(domain::Channel c) { return static_cast<v1::Channel>(c); }

domain::CollectionPolicy PolicyFromProto(const v1::CollectionPolicy& p) {
  domain::CollectionPolicy d;
  d.version = p.version();
  d.default_rules = RulesFromProto(p.default_rules());
  for (const auto& s : p.segments()) {
    domain::SegmentPolicy seg;
    seg.id = s.id();
    seg.match.kind =
        s.match().kind() == v1::CUSTOMER_KIND_CONSUMER   ? domain::CustomerKind::kConsumer
        : s.match().kind() == v1::CUSTOMER_KIND_BUSINESS ? domain::CustomerKind::kBusiness
                                                         : domain::CustomerKind::kUnspecified;
    seg.match.tags_any = Vec(s.match().tags_any());
    seg.match.overdue_at_least = MoneyList(s.match().overdue_at_least());
    seg.match.overdue_below = MoneyList(s.match().overdue_below());
    seg.rules = RulesFromProto(s.rules());
    d.segments.push_back(std::move(seg));
  }
  // An unset field keeps the member initializer of its domain struct: the
  // one place defaults are defined.
  const auto& e = p.economics();
  domain::Economics& de = d.economics;
  if (e.has_agency_commission_bp()) de.agency_commission_bp = e.agency_commission_bp();
  if (e.has_agency_recovery_bp()) de.agency_recovery_bp = e.agency_recovery_bp();
  if (e.has_agency_months()) de.agency_months = e.agency_months();
  if (e.has_legal_months()) de.legal_months = e.legal_months();
  de.legal_cost = MoneyList(e.legal_cost());
  if (e.has_legal_recovery_bp()) de.legal_recovery_bp = e.legal_recovery_bp();
  de.staff_cost_per_action = MoneyList(e.staff_cost_per_action());
  if (e.has_annual_discount_rate_bp()) de.annual_discount_rate_bp = e.annual_discount_rate_bp();
  if (e.has_internal_recovery_bp()) de.internal_recovery_bp = e.internal_recovery_bp();
  if (e.has_internal_months()) de.internal_months = e.internal_months();
  if (e.has_allow_direct_legal()) de.allow_direct_legal = e.allow_direct_legal();
  const auto& h = p.business_hours();
  if (h.has_start_minute()) d.business_hours.start_minute = h.start_minute();
  if (h.has_end_minute()) d.business_hours.end_minute = h.end_minute();
  d.business_hours.days = Vec(h.days());
  if (p.has_relationship()) {
    const auto& r = p.relationship();
    if (r.has_long_standing_years()) d.relationship.long_standing_years = r.long_standing_years();
    d.relationship.high_value_revenue = MoneyList(r.high_value_revenue());
    if (r.has_recent_order_days()) d.relationship.recent_order_days = r.recent_order_days();
    d.relationship.valued_tags = Vec(r.valued_tags());
    if (r.has_wait_factor_pct()) d.relationship.wait_factor_pct = r.wait_factor_pct();
  }
  const auto& a = p.arrangements();
  domain::ArrangementRules& da = d.arrangements;
  if (a.has_promise_grace_days()) da.promise_grace_days = a.promise_grace_days();
  da.plans.min_installment = MoneyList(a.min_installment());
  if (a.has_max_installments()) da.plans.max_installments = a.max_installments();
  if (a.has_max_duration_months()) da.plans.max_duration_months = a.max_duration_months();
  if (a.has_installment_grace_days()) da.plans.grace_days = a.installment_grace_days();
  if (a.has_cure_days()) da.plans.cure_days = a.cure_days();
  if (a.has_max_renegotiations()) da.plans.max_renegotiations = a.max_renegotiations();
  if (a.has_restore_waived_fees_on_default()) {
    da.plans.restore_waived_fees_on_default = a.restore_waived_fees_on_default();
  }
  if (a.has_settlement_margin_floor_bp()) {
    da.settlements.margin_floor_bp = a.settlement_margin_floor_bp();
  }
  if (a.has_settlement_max_discount_bp()) {
    da.settlements.max_discount_bp = a.settlement_max_discount_bp();
  }
  return d;
}

v1::CollectionPolicy ToProtoPolicy(const domain::CollectionPolicy& d) {
  v1::CollectionPolicy p;
  p.set_version(d.version);
  *p.mutable_default_rules() = RulesToProto(d.default_rules);
  for (const auto& seg : d.segments) {
    v1::SegmentPolicy* s = p.add_segments();
    s->set_id(seg.id);
    s->mutable_match()->set_kind(
        seg.match.kind == domain::CustomerKind::kConsumer   ? v1::CUSTOMER_KIND_CONSUMER
        : seg.match.kind == domain::CustomerKind::kBusiness ? v1::CUSTOMER_KIND_BUSINESS
                                                            : v1::CUSTOMER_KIND_UNSPECIFIED);
    for (const auto& t : seg.match.tags_any) s->mutable_match()->add_tags_any(t);
    AddMoney(seg.match.overdue_at_least, s->mutable_match()->mutable_overdue_at_least());
    AddMoney(seg.match.overdue_below, s->mutable_match()->mutable_overdue_below());
    *s->mutable_rules() = RulesToProto(seg.rules);
  }
  auto* e = p.mutable_economics();
  e->set_agency_commission_bp(d.economics.agency_commission_bp);
  e->set_agency_recovery_bp(d.economics.agency_recovery_bp);
  e->set_agency_months(d.economics.agency_months);
  e->set_legal_months(d.economics.legal_months);
  AddMoney(d.economics.legal_cost, e->mutable_legal_cost());
  e->set_legal_recovery_bp(d.economics.legal_recovery_bp);
  AddMoney(d.economics.staff_cost_per_action, e->mutable_staff_cost_per_action());
  e->set_annual_discount_rate_bp(d.economics.annual_discount_rate_bp);
  e->set_allow_direct_legal(d.economics.allow_direct_legal);
  e->set_internal_recovery_bp(d.economics.internal_recovery_bp);
  e->set_internal_months(d.economics.internal_months);
  auto* h = p.mutable_business_hours();
  h->set_start_minute(d.business_hours.start_minute);
  h->set_end_minute(d.business_hours.end_minute);
  for (int day : d.business_hours.days) h->add_days(day);
  auto* r = p.mutable_relationship();
  r->set_long_standing_years(d.relationship.long_standing_years);
  AddMoney(d.relationship.high_value_revenue, r->mutable_high_value_revenue());
  r->set_recent_order_days(d.relationship.recent_order_days);
  for (const auto& t : d.relationship.valued_tags) r->add_valued_tags(t);
  r->set_wait_factor_pct(d.relationship.wait_factor_pct);
  auto* a = p.mutable_arrangements();
  const domain::ArrangementRules& da = d.arrangements;
  a->set_promise_grace_days(da.promise_grace_days);
  AddMoney(da.plans.min_installment, a->mutable_min_installment());
  a->set_max_installments(da.plans.max_installments);
  a->set_max_duration_months(da.plans.max_duration_months);
  a->set_installment_grace_days(da.plans.grace_days);
  a->set_cure_days(da.plans.cure_days);
  a->set_max_renegotiations(da.plans.max_renegotiations);
  a->set_restore_waived_fees_on_default(da.plans.restore_waived_fees_on_default);
  a->set_settlement_margin_floor_bp(da.settlements.margin_floor_bp);
  a->set_settlement_max_discount_bp(da.settlements.max_discount_bp);
  return p;
}

domain::CustomerFacts CustomerFactsOf(const std::string& id, const v1::Customer& c) {
  domain::CustomerFacts f;
  f.id = id;
  f.display_name = c.display_name();
  f.reference = c.external_ref().id();
  f.kind = c.kind() == v1::CUSTOMER_KIND_CONSUMER ? domain::CustomerKind::kConsumer
                                                  : domain::CustomerKind::kBusiness;
  if (!c.time_zone().empty()) f.time_zone = c.time_zone();
  if (!c.locale().empty()) f.locale = c.locale();
  f.country_code = c.country_code();
  const auto& rel = c.relationship();
  f.tags = Vec(rel.tags());
  if (HasDate(rel.customer_since())) {
    if (auto d = ToDay(rel.customer_since(), "customer_since"); d.ok()) f.customer_since = *d;
  }
  if (HasDate(rel.last_order_date())) {
    if (auto d = ToDay(rel.last_order_date(), "last_order_date"); d.ok()) f.last_order_date = *d;
  }
  if (rel.has_lifetime_revenue()) f.lifetime_revenue = ToMoney(rel.lifetime_revenue());
  f.account_owner = rel.account_owner();
  const v1::Contact* primary = nullptr;
  for (const auto& person : c.contacts()) {
    if (primary == nullptr || person.primary()) primary = &person;
  }
  if (primary != nullptr) {
    f.contact_name = primary->name();
    for (const auto& ch : primary->channels()) {
      domain::ChannelAddress a;
      switch (ch.type()) {
        case v1::ContactChannel::EMAIL:
          a.channel = domain::Channel::kEmail;
          break;
        case v1::ContactChannel::PHONE:
          a.channel = domain::Channel::kPhone;
          break;
        case v1::ContactChannel::SMS:
          a.channel = domain::Channel::kSms;
          break;
        case v1::ContactChannel::POSTAL:
          a.channel = domain::Channel::kLetter;
          break;
        default:
          continue;
      }
      a.address = ch.address();
      a.opted_out = ch.opted_out();
      f.channels.push_back(std::move(a));
    }
  }
  return f;
}

domain::ContactRecord ContactOf(const v1::ContactRecord& c) {
  domain::ContactRecord d;
  d.id = c.name().substr(c.name().rfind('/') + 1);
  d.time = FromTs(c.time());
  d.channel = ChannelOf(c.channel());
  d.direction = c.direction() == v1::ContactRecord::INBOUND ? domain::Direction::kInbound
                                                            : domain::Direction::kOutbound;
  const int o = static_cast<int>(c.outcome());
  d.outcome = o >= 0 && o <= 11 ? static_cast<domain::ContactOutcome>(o)
                                : domain::ContactOutcome::kUnspecified;
  const int reason = static_cast<int>(c.non_payment_reason());
  d.reason = reason >= 0 && reason <= 6 ? static_cast<domain::NonPaymentReason>(reason)
                                        : domain::NonPaymentReason::kUnspecified;
  d.stage = StageOf(c.stage());
  for (const auto& inv : c.invoices()) d.invoice_ids.push_back(inv.substr(inv.rfind('/') + 1));
  d.summary = c.summary();
  d.agreement = c.agreement();
  d.actor = c.actor();
  d.override_rule = c.override_rule();
  d.override_reason = c.override_reason();
  d.outbox_action = c.outbox_action();
  return d;
}

v1::ContactRecord::Outcome ToProtoOutcome(domain::ContactOutcome o) {
  return static_cast<v1::ContactRecord::Outcome>(o);
}

v1::PaymentRisk ToProtoRisk(const std::string& subject, const domain::RiskEstimate& r) {
  v1::PaymentRisk p;
  p.set_subject(subject);
  p.set_late_probability_bp(r.late_probability_bp);
  p.set_expected_days_late(r.expected_days_late);
  *p.mutable_expected_payment_date() = ToProtoDate(r.expected_payment_date);
  p.set_own_history_count(r.own_history_count);
  p.set_own_weight_bp(r.own_weight_bp);
  p.set_explanation(r.explanation);
  p.set_days_late_if_late(r.if_late.median);
  p.set_days_late_if_late_low(r.if_late.low);
  p.set_days_late_if_late_high(r.if_late.high);
  p.set_portfolio_late_bp(r.portfolio_late_bp);
  p.set_prior_strength_centi(r.prior_strength_centi);
  for (const auto& s : r.signals) p.add_signals(s);
  return p;
}

v1::Recommendation ToProtoRecommendation(const std::string& tenant,
                                         const domain::Recommendation& rec) {
  v1::Recommendation p;
  const std::string customer = CustomerResource(tenant, rec.customer);
  p.set_customer(customer);
  *p.mutable_as_of() = ToProtoDate(rec.as_of);
  p.set_stage(ToProtoStage(rec.stage));
  p.set_current_stage(ToProtoStage(rec.current_stage));
  p.set_action(static_cast<v1::Recommendation::Action>(static_cast<int>(rec.action) + 1));
  p.set_channel(ToProtoChannel(rec.channel));
  p.set_tone(static_cast<v1::Tone>(rec.tone));
  p.set_template_id(rec.template_id);
  if (rec.earliest_time != absl::InfinitePast()) *p.mutable_earliest_time() = Ts(rec.earliest_time);
  for (const auto& id : rec.invoice_ids) {
    p.add_invoices(ChildResource(tenant, rec.customer, kInvoices, id));
  }
  AddMoney(rec.amounts, p.mutable_amounts());
  for (const auto& r : rec.reasons) {
    v1::RecommendationReason* out = p.add_reasons();
    out->set_code(r.code);
    out->set_text(r.text);
  }
  p.set_explanation(rec.explanation);
  if (rec.economics) {
    auto* e = p.mutable_economics();
    *e->mutable_expected_recovery() = ToProtoMoney(rec.economics->expected_recovery.currency,
                                                   rec.economics->expected_recovery.minor);
    *e->mutable_cost() = ToProtoMoney(rec.economics->cost.currency, rec.economics->cost.minor);
    *e->mutable_net() = ToProtoMoney(rec.economics->net.currency, rec.economics->net.minor);
    e->set_recovery_bp(rec.economics->recovery_bp);
  }
  *p.mutable_risk() = ToProtoRisk(customer, rec.risk);
  for (const auto& x : rec.excluded) {
    v1::ExcludedInvoice* out = p.add_excluded();
    out->set_invoice(ChildResource(tenant, rec.customer, kInvoices, x.invoice_id));
    out->set_reason_code(x.code);
    out->set_text(x.text);
  }
  p.set_assignee(rec.assignee);
  p.set_consequence_stage(ToProtoStage(rec.consequence_stage));
  if (rec.consequence_date) *p.mutable_consequence_date() = ToProtoDate(*rec.consequence_date);
  p.set_offer_payment_plan(rec.offer_payment_plan);
  if (rec.next_action_date) *p.mutable_next_action_date() = ToProtoDate(*rec.next_action_date);
  p.set_policy_segment(rec.segment);
  p.set_policy_version(rec.policy_version);
  return p;
}

v1::WorkQueueItem ToProtoWorkItem(const std::string& tenant, const domain::WorkQueueEntry& e) {
  v1::WorkQueueItem p;
  p.set_customer(CustomerResource(tenant, e.customer));
  p.set_display_name(e.display_name);
  p.set_priority(e.priority);
  *p.mutable_recommendation() = ToProtoRecommendation(tenant, e.recommendation);
  AddMoney(e.recommendation.amounts, p.mutable_overdue());
  p.set_oldest_days_past_due(e.recommendation.oldest_days_past_due);
  p.set_days_since_last_contact(e.days_since_last_contact);
  for (domain::Alert a : e.alerts) {
    p.add_alerts(static_cast<v1::WorkQueueItem::Alert>(static_cast<int>(a) + 1));
  }
  p.set_priority_explanation(e.priority_explanation);
  return p;
}

}  // namespace collections::app
