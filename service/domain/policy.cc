#include "service/domain/policy.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"

namespace collections::domain {

const char* ToneName(Tone tone) {
  switch (tone) {
    case Tone::kUnspecified:
      return "UNSPECIFIED";
    case Tone::kFriendly:
      return "FRIENDLY";
    case Tone::kNeutral:
      return "NEUTRAL";
    case Tone::kFirm:
      return "FIRM";
    case Tone::kFormal:
      return "FORMAL";
  }
  return "UNSPECIFIED";
}

const StageRule* PolicyRules::Find(Stage stage) const {
  for (const auto& rule : stages) {
    if (rule.stage == stage) return &rule;
  }
  return nullptr;
}

std::optional<int64_t> AmountFor(const std::vector<Money>& amounts, absl::string_view currency) {
  for (const auto& m : amounts) {
    if (m.currency == currency) return m.minor;
  }
  return std::nullopt;
}

namespace {

// Collects every violation, then turns them into one status.
class Violations {
 public:
  void Add(const std::string& field, const std::string& description) {
    fields_.push_back({field, description});
  }
  void Range(const std::string& field, int64_t value, int64_t lo, int64_t hi) {
    if (value < lo || value > hi) {
      Add(field, absl::StrCat("must be within ", lo, "..", hi, ", got ", value));
    }
  }
  void Amounts(const std::string& field, const std::vector<Money>& amounts) {
    std::set<std::string> seen;
    for (size_t i = 0; i < amounts.size(); ++i) {
      const std::string path = absl::StrCat(field, "[", i, "]");
      if (!IsKnownCurrency(amounts[i].currency)) {
        Add(path + ".currency_code",
            absl::StrCat("unknown currency \"", amounts[i].currency, "\""));
      } else if (!seen.insert(amounts[i].currency).second) {
        Add(path + ".currency_code", absl::StrCat("duplicate currency ", amounts[i].currency));
      }
      if (amounts[i].minor < 0) Add(path + ".minor_units", "must not be negative");
    }
  }
  // Adds the field violations of `status` (from another validator), each
  // path prefixed.
  void Merge(const absl::Status& status, absl::string_view prefix) {
    for (const auto& f : FieldsOf(status)) Add(absl::StrCat(prefix, f.field), f.description);
  }
  absl::Status ToStatus() const {
    if (fields_.empty()) return absl::OkStatus();
    absl::Status st = InvalidInput("INVALID_POLICY", fields_[0].field, fields_[0].description);
    for (size_t i = 1; i < fields_.size(); ++i) {
      st = WithField(st, fields_[i].field, fields_[i].description);
    }
    return st;
  }

 private:
  std::vector<FieldViolation> fields_;
};

bool WellFormedId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

void CheckRules(const PolicyRules& rules, const std::string& path, Violations& v) {
  for (size_t i = 0; i < rules.pre_due_reminder_days.size(); ++i) {
    v.Range(absl::StrCat(path, ".pre_due_reminder_days[", i, "]"), rules.pre_due_reminder_days[i],
            1, 60);
  }
  v.Amounts(path + ".minimum_balance", rules.minimum_balance);
  v.Range(path + ".neglected_after_days", rules.neglected_after_days, 1, 365);
  v.Range(path + ".formal_notice_entry_days", rules.formal_notice_entry_days, 1, 3650);
  v.Range(path + ".notice_before_referral_days", rules.notice_before_referral_days, 0, 365);
  if (rules.stages.empty()) v.Add(path + ".stages", "the ladder needs at least one stage");
  int previous_stage = 0;
  int previous_days = -1;
  for (size_t i = 0; i < rules.stages.size(); ++i) {
    const StageRule& r = rules.stages[i];
    const std::string p = absl::StrCat(path, ".stages[", i, "]");
    const int stage = static_cast<int>(r.stage);
    if (r.stage == Stage::kNone) {
      v.Add(p + ".stage", "required");
    } else if (r.stage == Stage::kPreDueReminder) {
      v.Add(p + ".stage", "PRE_DUE_REMINDER is configured by pre_due_reminder_days");
    } else if (stage <= previous_stage) {
      v.Add(p + ".stage", absl::StrCat(StageName(r.stage), " must come after ",
                                       StageName(static_cast<Stage>(previous_stage)),
                                       ": stages ascend and appear once"));
    }
    previous_stage = std::max(previous_stage, stage);
    v.Range(p + ".min_days_past_due", r.min_days_past_due, 0, 3650);
    if (r.min_days_past_due < previous_days) {
      v.Add(p + ".min_days_past_due",
            absl::StrCat("must not be less than the previous stage's ", previous_days));
    }
    previous_days = std::max(previous_days, r.min_days_past_due);
    v.Amounts(p + ".min_overdue_amount", r.min_overdue_amount);
    v.Range(p + ".min_overdue_invoices", r.min_overdue_invoices, 0, 10000);
    v.Range(p + ".min_days_since_last_contact", r.min_days_since_last_contact, 0, 365);
    v.Range(p + ".max_attempts", r.max_attempts, 1, 20);
    if (r.template_id.size() > 128) v.Add(p + ".template_id", "at most 128 characters");
  }
}

}  // namespace

absl::Status ValidatePolicy(const CollectionPolicy& policy) {
  Violations v;
  CheckRules(policy.default_rules, "default_rules", v);
  std::set<std::string> ids;
  for (size_t i = 0; i < policy.segments.size(); ++i) {
    const SegmentPolicy& s = policy.segments[i];
    const std::string p = absl::StrCat("segments[", i, "]");
    if (!WellFormedId(s.id)) {
      v.Add(p + ".id", "1..64 characters of [a-z0-9_-]");
    } else if (!ids.insert(s.id).second || s.id == "default") {
      v.Add(p + ".id", absl::StrCat("duplicate or reserved id \"", s.id, "\""));
    }
    v.Amounts(p + ".match.overdue_at_least", s.match.overdue_at_least);
    v.Amounts(p + ".match.overdue_below", s.match.overdue_below);
    for (size_t t = 0; t < s.match.tags_any.size(); ++t) {
      const size_t n = s.match.tags_any[t].size();
      if (n == 0 || n > 64) v.Add(absl::StrCat(p, ".match.tags_any[", t, "]"), "1..64 characters");
    }
    CheckRules(s.rules, p + ".rules", v);
  }
  const Economics& e = policy.economics;
  v.Range("economics.agency_commission_bp", e.agency_commission_bp, 0, 10000);
  v.Range("economics.agency_recovery_bp", e.agency_recovery_bp, 0, 10000);
  v.Range("economics.legal_recovery_bp", e.legal_recovery_bp, 0, 10000);
  v.Range("economics.annual_discount_rate_bp", e.annual_discount_rate_bp, 0, 10000);
  v.Range("economics.internal_recovery_bp", e.internal_recovery_bp, 0, 10000);
  v.Range("economics.agency_months", e.agency_months, 0, 120);
  v.Range("economics.legal_months", e.legal_months, 0, 120);
  v.Range("economics.internal_months", e.internal_months, 0, 120);
  v.Amounts("economics.legal_cost", e.legal_cost);
  v.Amounts("economics.staff_cost_per_action", e.staff_cost_per_action);
  const BusinessHours& h = policy.business_hours;
  v.Range("business_hours.start_minute", h.start_minute, 0, 1439);
  v.Range("business_hours.end_minute", h.end_minute, 1, 1440);
  if (h.start_minute >= h.end_minute) {
    v.Add("business_hours.end_minute", "must be after start_minute");
  }
  for (size_t i = 0; i < h.days.size(); ++i) {
    v.Range(absl::StrCat("business_hours.days[", i, "]"), h.days[i], 1, 7);
  }
  const RelationshipRules& rel = policy.relationship;
  v.Range("relationship.long_standing_years", rel.long_standing_years, 0, 100);
  v.Range("relationship.recent_order_days", rel.recent_order_days, 0, 3650);
  v.Range("relationship.wait_factor_pct", rel.wait_factor_pct, 100, 1000);
  v.Amounts("relationship.high_value_revenue", rel.high_value_revenue);
  const ArrangementRules& arr = policy.arrangements;
  v.Range("arrangements.promise_grace_days", arr.promise_grace_days, 0, kMaxPromiseGraceDays);
  v.Merge(ValidatePlanPolicy(arr.plans), "arrangements.");
  v.Merge(ValidateSettlementPolicy(arr.settlements), "arrangements.");
  return v.ToStatus();
}

namespace {

std::vector<Money> PerCurrency(int64_t major_units) {
  // EUR, GBP and USD all have two decimals.
  return {{"EUR", major_units * 100}, {"GBP", major_units * 100}, {"USD", major_units * 100}};
}

StageRule Rule(Stage stage, int days, int since_contact, int attempts, Channel channel, Tone tone) {
  StageRule r;
  r.stage = stage;
  r.min_days_past_due = days;
  r.min_days_since_last_contact = since_contact;
  r.max_attempts = attempts;
  r.channel = channel;
  r.tone = tone;
  return r;
}

PolicyRules BusinessLadder(int stretch_days) {
  PolicyRules rules;
  rules.pre_due_reminder_days = {3};
  rules.minimum_balance = PerCurrency(5);
  const int s = stretch_days;
  rules.stages = {
      Rule(Stage::kFriendlyReminder, 1, 0, 1, Channel::kEmail, Tone::kFriendly),
      Rule(Stage::kSecondReminder, 14 + s, 7, 3, Channel::kEmail, Tone::kNeutral),
      Rule(Stage::kFormalNotice, 30 + s, 7, 1, Channel::kLetter, Tone::kFormal),
      Rule(Stage::kFinalDemand, 45 + s, 10, 1, Channel::kLetter, Tone::kFirm),
      Rule(Stage::kAgencyReferral, 90 + s, 14, 1, Channel::kUnspecified, Tone::kFormal),
      Rule(Stage::kLegalReview, 120 + s, 14, 1, Channel::kUnspecified, Tone::kFormal),
      Rule(Stage::kWriteOffReview, 180 + s, 14, 1, Channel::kUnspecified, Tone::kNeutral),
  };
  // Agency and legal only for debts worth the trouble.
  rules.stages[4].min_overdue_amount = PerCurrency(100);
  rules.stages[5].min_overdue_amount = PerCurrency(1000);
  return rules;
}

}  // namespace

CollectionPolicy DefaultPolicy() {
  CollectionPolicy p;
  p.version = 1;
  p.default_rules = BusinessLadder(0);

  SegmentPolicy strategic;
  strategic.id = "strategic";
  strategic.match.tags_any = {"strategic"};
  strategic.rules = BusinessLadder(15);
  strategic.rules.pre_due_reminder_days = {7};
  strategic.rules.stages[1].channel = Channel::kPhone;
  strategic.rules.stages[1].tone = Tone::kFriendly;

  SegmentPolicy consumer;
  consumer.id = "consumer";
  consumer.match.kind = CustomerKind::kConsumer;
  consumer.rules = BusinessLadder(0);
  consumer.rules.stages[1].channel = Channel::kLetter;  // calls only by choice
  consumer.rules.stages[1].max_attempts = 1;
  // No legal review for consumer debts by default: the agency or a write-off.
  consumer.rules.stages.erase(consumer.rules.stages.begin() + 5);

  p.segments = {strategic, consumer};
  p.economics.legal_cost = PerCurrency(1500);
  p.economics.staff_cost_per_action = PerCurrency(15);
  p.relationship.high_value_revenue = PerCurrency(25000);
  return p;
}

namespace {

bool Matches(const SegmentMatch& m, const CustomerFacts& c, const std::vector<Money>& overdue) {
  if (m.kind != CustomerKind::kUnspecified && m.kind != c.kind) return false;
  if (!m.tags_any.empty()) {
    bool any = false;
    for (const auto& t : m.tags_any) any = any || c.HasTag(t);
    if (!any) return false;
  }
  // Amount bands: every overdue currency that has a bound must respect it,
  // and at least one overdue currency must have one when bounds are set.
  if (!m.overdue_at_least.empty() || !m.overdue_below.empty()) {
    bool bounded = false;
    for (const auto& o : overdue) {
      const auto lo = AmountFor(m.overdue_at_least, o.currency);
      const auto hi = AmountFor(m.overdue_below, o.currency);
      if (lo || hi) bounded = true;
      if (lo && o.minor < *lo) return false;
      if (hi && o.minor >= *hi) return false;
    }
    if (!bounded) return false;
  }
  return true;
}

}  // namespace

const PolicyRules& RulesFor(const CollectionPolicy& policy, const CustomerFacts& customer,
                            const std::vector<Money>& overdue, std::string* segment_id) {
  for (const auto& s : policy.segments) {
    if (Matches(s.match, customer, overdue)) {
      if (segment_id != nullptr) *segment_id = s.id;
      return s.rules;
    }
  }
  if (segment_id != nullptr) *segment_id = "default";
  return policy.default_rules;
}

}  // namespace collections::domain
