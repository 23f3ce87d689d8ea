// The recovery engine's input: a snapshot of everything known about one
// account (customer facts, invoices, contacts, promises, plans, disputes,
// fees, end state) as plain C++ values. The app layer loads it from the store;
// the engine (recommend.h, risk.h, compliance.h, work_queue.h) and the
// arrangements code (promises, plans, settlements, fees, disputes) read it
// and never reach back into storage, so every decision can be replayed "as
// of" a day from the same snapshot.
//
// Shared by the recovery engine, the arrangements and collection cases:
// add fields, do not repurpose existing ones.
#ifndef COLLECTIONS_DOMAIN_ACCOUNT_CONTEXT_H_
#define COLLECTIONS_DOMAIN_ACCOUNT_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "service/base/money.h"
#include "service/domain/ledger.h"

namespace collections::domain {

// ------------------------------------------------------------ vocabulary

// Consumer debts fall under consumer collection law (Reg F); business debts
// follow the policy's business hours.
enum class CustomerKind { kUnspecified, kBusiness, kConsumer };

// The ladder, in escalation order. The numeric order is the escalation order:
// the engine never moves more than one rung per evaluation.
enum class Stage {
  kNone = 0,            // nothing done yet
  kPreDueReminder = 1,  // courtesy note before the due date
  kFriendlyReminder = 2,
  kSecondReminder = 3,  // second reminder or a call
  kFormalNotice = 4,    // account, due dates, total, status, consequences
  kFinalDemand = 5,
  kAgencyReferral = 6,
  kLegalReview = 7,
  kWriteOffReview = 8,
};
inline constexpr int kStageCount = 9;
// "FRIENDLY_REMINDER" etc. (the proto enum value names without prefix).
const char* StageName(Stage stage);

enum class Channel { kUnspecified, kEmail, kLetter, kSms, kPhone, kPortal, kInPerson };
const char* ChannelName(Channel channel);

enum class Direction { kOutbound, kInbound };

// What happened on a contact. The first seven are a conversation's outcomes
// (RecordContact); kSent/kBounced/kFailed/kDone come from the outbox when the
// host reports delivery of a written message or a completed task.
enum class ContactOutcome {
  kUnspecified,
  kNoAnswer,
  kLeftMessage,
  kSpoke,
  kPromisedToPay,
  kDisputed,
  kRefused,
  kHardship,
  kSent,
  kBounced,
  kFailed,
  kDone,
};
const char* OutcomeName(ContactOutcome outcome);

// Why the customer has not paid, as far as anyone found out.
enum class NonPaymentReason {
  kUnspecified,
  kOversight,
  kCashFlow,
  kDissatisfied,
  kDispute,
  kHardship,
  kUnknown
};
const char* ReasonName(NonPaymentReason reason);

// ------------------------------------------------------------ customer

// One way to reach the debtor, with the consent state the law needs.
struct ChannelAddress {
  Channel channel = Channel::kUnspecified;
  std::string address;     // e-mail, E.164 number or postal address
  bool opted_out = false;  // per-channel opt-out (Reg F §1006.6(e), §1006.14(h))
};

struct CustomerFacts {
  std::string id;            // customer id within the tenant
  std::string display_name;  // "Northwind Traders Ltd"
  CustomerKind kind = CustomerKind::kBusiness;
  std::string time_zone = "UTC";  // IANA zone of the debtor
  std::string locale = "en";      // BCP 47, selects templates
  std::string country_code;       // ISO 3166 alpha-2
  std::vector<std::string> tags;  // "strategic", "seasonal", ...
  std::optional<absl::CivilDay> customer_since;
  Money lifetime_revenue;  // reporting currency; empty currency = unknown
  std::optional<absl::CivilDay> last_order_date;
  std::string account_owner;  // the tenant's employee owning the account
  std::string contact_name;   // primary contact person
  std::vector<ChannelAddress> channels;
  // The debtor asked in writing that all communication stop (Reg F
  // §1006.6(c)(1)); only the limited notices of §1006.6(c)(2) remain.
  bool cease_communication = false;
  std::optional<absl::Time> cease_communication_time;
  std::string payment_link;  // host portal URL for this account, may be empty
  // The customer's id in the host system (external_ref.id), printed on
  // letters as the account number; may be empty.
  std::string reference;

  bool HasTag(absl::string_view tag) const {
    for (const auto& t : tags) {
      if (t == tag) return true;
    }
    return false;
  }
};

// ------------------------------------------------------------ invoices

// An invoice as the engine sees it: the ledger state plus collection flags.
struct InvoiceContext {
  InvoiceState state;
  // The host or an operator excluded it from collection ("no follow-up").
  bool on_hold = false;
  std::optional<absl::CivilDay> hold_until;  // inclusive; nullopt = until released
  std::string hold_reason;
};

// ------------------------------------------------------------ contacts

// One contact with the debtor, recorded by RecordContact or produced by the
// outbox when an action is completed. Immutable once recorded.
struct ContactRecord {
  std::string id;
  absl::Time time;  // when it happened (UTC)
  Channel channel = Channel::kUnspecified;
  Direction direction = Direction::kOutbound;
  ContactOutcome outcome = ContactOutcome::kUnspecified;
  NonPaymentReason reason = NonPaymentReason::kUnspecified;
  // The ladder stage this contact carried out (kNone for ad-hoc contacts and
  // inbound calls). The account's current stage is the highest completed one.
  Stage stage = Stage::kNone;
  std::vector<std::string> invoice_ids;  // debts discussed; empty = whole account
  std::string summary;
  std::string agreement;
  std::string actor;            // who made or logged it
  std::string override_rule;    // compliance rule overridden, if any
  std::string override_reason;  // the audited reason for the override
  std::string outbox_action;    // outbox action id when it came from the outbox

  // A telephone conversation with the debtor (Reg F §1006.14(b)(2)(i)(B)
  // counts these): a call where someone was actually reached.
  bool IsPhoneConversation() const;
  // Reached the debtor or delivered a message: not a failed attempt.
  bool Reached() const;
};

// ------------------------------------------------------------ arrangements

enum class PromiseStatus { kPending, kKept, kPartlyKept, kBroken, kCancelled };

// A promise to pay; the arrangements keep its status up to date from
// payments.
struct Promise {
  std::string id;
  absl::Time made_time;
  Money amount;
  absl::CivilDay promised_date;
  absl::CivilDay grace_end;              // promised_date + policy grace
  std::vector<std::string> invoice_ids;  // empty = whole account
  PromiseStatus status = PromiseStatus::kPending;
  Channel channel = Channel::kUnspecified;
  std::string made_by;                          // the debtor's person who promised
  std::optional<absl::CivilDay> resolved_date;  // when kept/broken was decided
};

enum class PlanKind { kInstallments, kExtendedTerms };
enum class PlanStatus { kProposed, kActive, kCompleted, kDefaulted, kCancelled };

struct PlanInstallment {
  absl::CivilDay due_date;
  int64_t amount = 0;  // minor units of the plan currency
  int64_t paid = 0;
};

// A payment plan or extended terms. While a plan is active and not in
// arrears, its invoices leave the ladder.
struct PaymentPlan {
  std::string id;
  PlanKind kind = PlanKind::kInstallments;
  PlanStatus status = PlanStatus::kActive;
  std::string currency;
  std::vector<std::string> invoice_ids;
  std::vector<PlanInstallment> installments;
  std::optional<absl::CivilDay> accepted_date;
  int renegotiations = 0;
  // An installment is past due plus grace and unpaid (domain/plans.h).
  bool in_arrears = false;
  // When the plan defaulted (status kDefaulted).
  std::optional<absl::CivilDay> defaulted_date;
};

enum class DisputeStatus { kOpen, kResolved, kRejected };

// A dispute of an invoice, or of one line of it.
struct Dispute {
  std::string id;
  std::string invoice_id;
  std::string line_id;  // empty = the whole invoice
  std::string reason;   // PRICING, QUALITY, NOT_RECEIVED, DUPLICATE_BILLING, OTHER
  int64_t amount = 0;   // disputed minor units; 0 = the whole amount due
  DisputeStatus status = DisputeStatus::kOpen;
  absl::CivilDay opened_date;
  std::optional<absl::CivilDay> resolved_date;
  // Consumer debts: verification of the debt was sent to the debtor, which
  // lifts the FDCPA §809(b) pause even while the dispute stays open.
  bool validated = false;
};

// A late fee or interest charge raised on the account.
struct FeeCharge {
  std::string id;
  std::string invoice_id;  // the invoice it relates to
  Stage stage = Stage::kNone;
  Money amount;
  absl::CivilDay raised_date;
  bool waived = false;
};

enum class SettlementStatus { kProposed, kAccepted, kPaid, kLapsed, kOther };

// A settlement of some invoices for a reduced sum. An accepted one holds its
// invoices until its pay-by day.
struct SettlementHold {
  std::string id;
  SettlementStatus status = SettlementStatus::kProposed;
  std::vector<std::string> invoice_ids;
  Money amount;
  std::optional<absl::CivilDay> pay_by;
  std::optional<absl::CivilDay> accepted_date;
};

enum class EndState { kNone, kAgency, kLegal, kWrittenOff };

// Where the account left internal collection.
struct Referral {
  EndState state = EndState::kNone;
  absl::CivilDay since;
  std::string party;      // agency or law firm
  int commission_bp = 0;  // agency commission in basis points
  bool recalled = false;  // back to internal collection
};

// An action already written to the outbox and not yet completed; the engine
// does not recommend another for the same stage while one is pending.
struct PendingAction {
  std::string id;
  Stage stage = Stage::kNone;
  Channel channel = Channel::kUnspecified;
  absl::CivilDay as_of;  // the run day that created it
  // A task asking the account owner to approve a referral.
  bool approval = false;
};

// ------------------------------------------------------------ snapshot

struct AccountContext {
  CustomerFacts customer;
  // Every invoice of the customer: open ones are collected, closed ones feed
  // the payment history and the risk estimate.
  std::vector<InvoiceContext> invoices;
  std::vector<CreditState> credits;     // unapplied payments and credit notes
  std::vector<ContactRecord> contacts;  // ascending by time
  std::vector<Promise> promises;
  std::vector<PaymentPlan> plans;
  std::vector<Dispute> disputes;
  std::vector<SettlementHold> settlements;
  std::vector<FeeCharge> fees;
  Referral referral;
  std::vector<PendingAction> pending;
  // The run day of the newest outbox action of the account, pending or not.
  std::optional<absl::CivilDay> last_outbox_day;
  // The latest non-payment reason recorded (also derivable from contacts).
  NonPaymentReason reason = NonPaymentReason::kUnspecified;
  std::optional<absl::CivilDay> reason_date;

  // Minor units of `invoice`'s amount due (as of `as_of`) held back by open
  // disputes that still pause collection: a dispute holds its `amount` (a
  // line's amount, or part of the invoice), or all of it when amount is 0.
  // For consumer debts a validated dispute no longer pauses (FDCPA §809(b)).
  // Never more than the amount due.
  int64_t DisputedAmount(const InvoiceState& invoice, absl::CivilDay as_of) const;
  // A pending promise covering `invoice_id` whose grace_end >= as_of.
  const Promise* ActivePromiseFor(absl::string_view invoice_id, absl::CivilDay as_of) const;
  // An active plan, not in arrears, covering the invoice.
  const PaymentPlan* ActivePlanFor(absl::string_view invoice_id) const;
  // An active plan covering the invoice, in arrears or not: while it is
  // active (in its cure period too) the plan governs its invoices.
  const PaymentPlan* GoverningPlanFor(absl::string_view invoice_id) const;
  // An accepted settlement covering the invoice whose pay-by day has not
  // passed on `as_of`.
  const SettlementHold* ActiveSettlementFor(absl::string_view invoice_id,
                                            absl::CivilDay as_of) const;
};

// OK when, in each currency, the magnitudes of all the account's amounts
// (invoice totals and their settlements, unapplied credits, promises, plan
// installments and their payments, disputes, fees, settlements) add up to
// at most INT64_MAX minor units. Then every balance, overdue total, sum of
// collectible amounts or difference of them that the engine derives from
// the account fits in int64 too, and the engine's functions that cannot
// fail (they sum with AmountSum::Clamped()) are exact. Otherwise
// OUT_OF_RANGE AMOUNT_SUM_OVERFLOW naming the currency.
// The reads of one account check it (GetRecommendation, GetPaymentRisk,
// RenderMessage, ExportCaseFile: recovery_app.cc LoadOne). Portfolio lists
// and the case kept up to date on every write do not: there such an account
// shows saturated figures, so that it cannot fail its tenant's lists or the
// ledger writes that the per-document ceiling let through.
absl::Status AccountAmountsFit(const AccountContext& account);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_ACCOUNT_CONTEXT_H_
