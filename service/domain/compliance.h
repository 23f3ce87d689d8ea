// The compliance guard: whether a contact with a debtor may happen at a given
// instant, on a given channel, about given debts. It applies to every action
// the engine recommends and to every contact an operator records. Each rule
// has a stable code and cites its source; a refusal names both, and an
// explicit override reason (audited by the caller) lets a recorded contact
// through.
//
// Consumer debts (US Regulation F, 12 CFR part 1006, implementing the FDCPA):
//   * contact only 08:00-21:00 in the debtor's local time;
//   * at most 7 call attempts in 7 consecutive days per debt, and no call
//     within 7 days after a telephone conversation about it;
//   * cease-communication requests and per-channel opt-outs;
//   * no collection of a disputed debt until verification is provided.
// Business debts: the policy's business hours and days, opt-outs, and the
// dispute pause as house policy.
#ifndef COLLECTIONS_DOMAIN_COMPLIANCE_H_
#define COLLECTIONS_DOMAIN_COMPLIANCE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/domain/account_context.h"
#include "service/domain/policy.h"

namespace collections::domain {

// Rule codes: the machine reason of a refusal and the value of an override.
inline constexpr char kRuleConsumerHours[] = "REG_F_1006_6_B_1_INCONVENIENT_TIME";
inline constexpr char kRuleCallFrequency[] = "REG_F_1006_14_B_2_I_A_CALL_FREQUENCY";
inline constexpr char kRuleCallAfterConversation[] = "REG_F_1006_14_B_2_I_B_AFTER_CONVERSATION";
inline constexpr char kRuleCeaseCommunication[] = "REG_F_1006_6_C_CEASE_COMMUNICATION";
inline constexpr char kRuleChannelOptOut[] = "REG_F_1006_14_H_CHANNEL_OPT_OUT";
inline constexpr char kRuleDisputedDebt[] = "FDCPA_809_B_DISPUTED_DEBT";
inline constexpr char kRuleBusinessHours[] = "POLICY_BUSINESS_HOURS";
inline constexpr char kRuleBusinessOptOut[] = "POLICY_CHANNEL_OPT_OUT";
inline constexpr char kRuleBusinessDispute[] = "POLICY_DISPUTE_PAUSE";
inline constexpr char kRuleUnknownTimeZone[] = "DEBTOR_TIME_ZONE_UNKNOWN";

// The source text a rule cites, e.g. "12 CFR §1006.14(b)(2)(i)(A)".
const char* RuleCitation(absl::string_view rule);

// A contact someone wants to make or has made.
struct ProposedContact {
  absl::Time time;
  Channel channel = Channel::kUnspecified;
  Direction direction = Direction::kOutbound;
  // Debts concerned; empty = every open invoice of the account.
  std::vector<std::string> invoice_ids;
  // An override: the rule code it overrides and why (>= 10 characters).
  std::string override_rule;
  std::string override_reason;
};

struct ComplianceVerdict {
  bool allowed = true;
  bool overridden = false;  // allowed only because of an override
  std::string rule;         // the first rule refusing (empty when allowed)
  std::string message;      // "<citation>: <explanation>"
  // When the same contact would next be allowed (nullopt when only a change
  // of state, such as a resolved dispute, can allow it).
  std::optional<absl::Time> next_allowed;
};

// Checks `contact` against every rule applicable to the account's kind.
// Inbound contacts (the debtor calls or writes) are not restricted. The
// contacts in `ctx` are the history the frequency rules count; contacts at
// or after `contact.time` are ignored.
ComplianceVerdict CheckContact(const AccountContext& ctx, const CollectionPolicy& policy,
                               const ProposedContact& contact);

// The verdict as a status: OK, or FAILED_PRECONDITION whose reason is the
// rule code and whose message cites the source.
absl::Status VerdictStatus(const ComplianceVerdict& verdict);

// The earliest instant >= `from` at which `channel` may be used about
// `invoice_ids`, searching up to `horizon`. FailedPrecondition (rule as
// reason) when a state rule blocks it (cease communication, opt-out,
// dispute) or nothing is allowed within the horizon.
absl::StatusOr<absl::Time> EarliestAllowed(const AccountContext& ctx,
                                           const CollectionPolicy& policy, Channel channel,
                                           const std::vector<std::string>& invoice_ids,
                                           absl::Time from,
                                           absl::Duration horizon = absl::Hours(24 * 31));

// Channels under the time-of-day rules: phone, SMS, e-mail and visits (an
// electronic message counts when it is sent, Reg F comment 6(b)(1)(i)-2).
// Letters and the portal are not: their arrival time is not chosen.
bool IsTimeRestricted(Channel channel);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_COMPLIANCE_H_
