// The inside of domain::Recommend (recommend.h), shared by the files that
// hold its steps: recommend.cc (the helpers and Run, the table of
// contents), recommend_ladder.cc (steps 1-3: the account, what is
// collectible, the ladder and its day) and recommend_action.cc (steps 4-9:
// pauses, economics, reasons, channel, the decision). Nothing else includes
// it.
#ifndef COLLECTIONS_DOMAIN_RECOMMEND_STEPS_H_
#define COLLECTIONS_DOMAIN_RECOMMEND_STEPS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/domain/amount_limits.h"
#include "service/domain/recommend.h"

namespace collections::domain::recommend_detail {

// A call is worth a staff member's time when this share of the overdue
// amount exceeds the staff cost (a rough uplift of a personal call).
inline constexpr int kCallUpliftBp = 2000;
// Plan reminders while an installment is in arrears: at most one a week.
inline constexpr int kPlanReminderIntervalDays = 7;
// A complaint not recorded as a dispute pauses the account this long.
inline constexpr int kComplaintPauseDays = 14;

struct Collectible {
  const InvoiceState* invoice = nullptr;
  int64_t amount = 0;  // amount due minus disputed part
  int days_past_due = 0;
};

std::string Lower(absl::string_view s);
bool IsInternalStage(Stage s);
Channel DefaultChannel(Stage s);
Tone DefaultTone(Stage s);
Action ActionFor(Stage s, Channel c);
std::string TemplateId(Stage s, Channel c, Action a);
bool OptedOut(const CustomerFacts& c, Channel channel);
std::string Plural(int n, absl::string_view one, absl::string_view many);
std::string Amounts(const std::vector<Money>& amounts);
const char* StagePhrase(Stage s);

// Collects the reasons and writes the explanation: facts first, the
// decision last.
class Builder {
 public:
  explicit Builder(Recommendation& rec) : rec_(rec) {}
  void Fact(absl::string_view code, std::string text) {
    rec_.reasons.push_back({std::string(code), std::move(text)});
    facts_.push_back(rec_.reasons.back().text);
  }
  Recommendation& Decide(Action action, absl::string_view code, const std::string& text) {
    rec_.action = action;
    rec_.reasons.push_back({std::string(code), text});
    rec_.explanation = facts_.empty()
                           ? Capitalize(text)
                           : absl::StrCat(Capitalize(absl::StrJoin(facts_, ", ")), ": ", text);
    return rec_;
  }

 private:
  static std::string Capitalize(std::string s) {
    if (!s.empty()) s[0] = absl::ascii_toupper(static_cast<unsigned char>(s[0]));
    return s;
  }
  Recommendation& rec_;
  std::vector<std::string> facts_;
};

// One evaluation of Recommend: its inputs, the facts found so far and the
// decision being built. Each step is a method, called in the header's
// order by Run(); a step that returns true has decided (rec_ is final).
class Recommender {
 public:
  Recommender(const AccountContext& ctx, const CollectionPolicy& policy,
              const PortfolioPrior& prior, absl::CivilDay as_of)
      : ctx_(ctx), policy_(policy), prior_(prior), as_of_(as_of), customer_(ctx.customer) {
    rec_.customer = customer_.id;
    rec_.as_of = as_of_;
    rec_.policy_version = policy_.version;
    rec_.risk = EstimateAccountRisk(ctx_, prior_, as_of_);
    if (!absl::LoadTimeZone(customer_.time_zone, &tz_)) tz_ = absl::UTCTimeZone();
    day_start_ = absl::FromCivil(absl::CivilSecond(as_of_), tz_);
    day_end_ = absl::FromCivil(absl::CivilSecond(as_of_ + 1), tz_);
  }

  Recommendation Run();

 private:
  // Step 1.
  bool InEndState();
  void ClassifyInvoices();
  void FindEpisode();
  // Step 2.
  bool NothingCollectible();
  bool BelowMinimum();
  // Step 3.
  bool ReadLadder();
  void ReadCircumstances();
  bool ChooseStage();
  void ReadyDay();
  // Step 4.
  bool ComplaintOrWait();
  // Step 5.
  void ChooseChannel();
  bool CostlyEscalations();
  // Step 6.
  void CashFlowOrOversight();
  // Step 7.
  void ValuedRelationshipCall();
  // Step 8.
  bool ChannelAndWindow();
  // Step 9.
  void Conclude();

  bool Decide(Action action, absl::string_view code, const std::string& text) {
    b_.Decide(action, code, text);
    return true;
  }
  // Every wait is longer for a valued relationship.
  int Wait(int days) const {
    return valued_ ? static_cast<int>(int64_t{days} * policy_.relationship.wait_factor_pct / 100)
                   : days;
  }

  const AccountContext& ctx_;
  const CollectionPolicy& policy_;
  const PortfolioPrior& prior_;
  const absl::CivilDay as_of_;
  const CustomerFacts& customer_;
  Recommendation rec_;
  Builder b_{rec_};
  absl::TimeZone tz_;
  absl::Time day_start_;
  absl::Time day_end_;

  // The open invoices (step 1) and the collection episode.
  std::vector<Collectible> collectible_;
  std::vector<const InvoiceState*> not_due_;
  int partly_disputed_ = 0;
  std::map<std::string, AmountSum> per_currency_;
  const PolicyRules* rules_ = nullptr;
  std::vector<const ContactRecord*> episode_;

  // The ladder (step 3).
  bool phone_contact_ = false;
  Stage current_ = Stage::kNone;
  Stage in_progress_ = Stage::kNone;
  NonPaymentReason reason_ = NonPaymentReason::kUnspecified;
  std::optional<absl::Time> reason_time_;
  bool valued_ = false;
  std::string why_valued_;
  const StageRule* rule_ = nullptr;
  absl::CivilDay anchor_;
  absl::CivilDay ready_;

  // The action (steps 5 to 9).
  Channel channel_ = Channel::kUnspecified;
  Action action_ = Action::kNoAction;
  std::string main_currency_;
  Money main_overdue_;
  bool softened_ = false;
  bool internal_ = false;
};

}  // namespace collections::domain::recommend_detail

#endif  // COLLECTIONS_DOMAIN_RECOMMEND_STEPS_H_
