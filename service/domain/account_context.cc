#include "service/domain/account_context.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kNone:
      return "NONE";
    case Stage::kPreDueReminder:
      return "PRE_DUE_REMINDER";
    case Stage::kFriendlyReminder:
      return "FRIENDLY_REMINDER";
    case Stage::kSecondReminder:
      return "SECOND_REMINDER_OR_CALL";
    case Stage::kFormalNotice:
      return "FORMAL_NOTICE";
    case Stage::kFinalDemand:
      return "FINAL_DEMAND";
    case Stage::kAgencyReferral:
      return "AGENCY_REFERRAL";
    case Stage::kLegalReview:
      return "LEGAL_REVIEW";
    case Stage::kWriteOffReview:
      return "WRITE_OFF_REVIEW";
  }
  return "NONE";
}

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kUnspecified:
      return "UNSPECIFIED";
    case Channel::kEmail:
      return "EMAIL";
    case Channel::kLetter:
      return "LETTER";
    case Channel::kSms:
      return "SMS";
    case Channel::kPhone:
      return "PHONE";
    case Channel::kPortal:
      return "PORTAL";
    case Channel::kInPerson:
      return "IN_PERSON";
  }
  return "UNSPECIFIED";
}

const char* OutcomeName(ContactOutcome outcome) {
  switch (outcome) {
    case ContactOutcome::kUnspecified:
      return "UNSPECIFIED";
    case ContactOutcome::kNoAnswer:
      return "NO_ANSWER";
    case ContactOutcome::kLeftMessage:
      return "LEFT_MESSAGE";
    case ContactOutcome::kSpoke:
      return "SPOKE";
    case ContactOutcome::kPromisedToPay:
      return "PROMISED_TO_PAY";
    case ContactOutcome::kDisputed:
      return "DISPUTED";
    case ContactOutcome::kRefused:
      return "REFUSED";
    case ContactOutcome::kHardship:
      return "HARDSHIP";
    case ContactOutcome::kSent:
      return "SENT";
    case ContactOutcome::kBounced:
      return "BOUNCED";
    case ContactOutcome::kFailed:
      return "FAILED";
    case ContactOutcome::kDone:
      return "DONE";
  }
  return "UNSPECIFIED";
}

const char* ReasonName(NonPaymentReason reason) {
  switch (reason) {
    case NonPaymentReason::kUnspecified:
      return "UNSPECIFIED";
    case NonPaymentReason::kOversight:
      return "OVERSIGHT";
    case NonPaymentReason::kCashFlow:
      return "CASH_FLOW";
    case NonPaymentReason::kDissatisfied:
      return "DISSATISFIED";
    case NonPaymentReason::kDispute:
      return "DISPUTE";
    case NonPaymentReason::kHardship:
      return "HARDSHIP";
    case NonPaymentReason::kUnknown:
      return "UNKNOWN";
  }
  return "UNSPECIFIED";
}

bool ContactRecord::IsPhoneConversation() const {
  if (channel != Channel::kPhone) return false;
  switch (outcome) {
    case ContactOutcome::kSpoke:
    case ContactOutcome::kPromisedToPay:
    case ContactOutcome::kDisputed:
    case ContactOutcome::kRefused:
    case ContactOutcome::kHardship:
    case ContactOutcome::kDone:
      return true;
    default:
      return false;
  }
}

bool ContactRecord::Reached() const {
  switch (outcome) {
    case ContactOutcome::kUnspecified:
    case ContactOutcome::kNoAnswer:
    case ContactOutcome::kBounced:
    case ContactOutcome::kFailed:
      return false;
    default:
      return true;
  }
}

namespace {
bool Covers(const std::vector<std::string>& ids, absl::string_view id) {
  if (ids.empty()) return true;
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}
}  // namespace

int64_t AccountContext::DisputedAmount(const InvoiceState& invoice, absl::CivilDay as_of) const {
  const int64_t due = invoice.AmountDueAsOf(as_of);
  if (due <= 0) return 0;
  AmountSum held;
  for (const auto& d : disputes) {
    if (d.invoice_id != invoice.id || d.status != DisputeStatus::kOpen) continue;
    if (d.opened_date > as_of) continue;
    if (customer.kind == CustomerKind::kConsumer && d.validated) continue;
    if (d.amount <= 0) return due;  // the whole amount due is disputed
    held += d.amount;
  }
  return std::min(held.Clamped(), due);
}

const Promise* AccountContext::ActivePromiseFor(absl::string_view invoice_id,
                                                absl::CivilDay as_of) const {
  for (const auto& p : promises) {
    if (p.status != PromiseStatus::kPending) continue;
    if (p.grace_end < as_of) continue;
    if (Covers(p.invoice_ids, invoice_id)) return &p;
  }
  return nullptr;
}

const PaymentPlan* AccountContext::ActivePlanFor(absl::string_view invoice_id) const {
  for (const auto& p : plans) {
    if (p.status != PlanStatus::kActive || p.in_arrears) continue;
    if (Covers(p.invoice_ids, invoice_id)) return &p;
  }
  return nullptr;
}

const PaymentPlan* AccountContext::GoverningPlanFor(absl::string_view invoice_id) const {
  for (const auto& p : plans) {
    if (p.status != PlanStatus::kActive) continue;
    if (Covers(p.invoice_ids, invoice_id)) return &p;
  }
  return nullptr;
}

const SettlementHold* AccountContext::ActiveSettlementFor(absl::string_view invoice_id,
                                                          absl::CivilDay as_of) const {
  for (const auto& s : settlements) {
    if (s.status != SettlementStatus::kAccepted) continue;
    if (s.pay_by && *s.pay_by < as_of) continue;
    if (Covers(s.invoice_ids, invoice_id)) return &s;
  }
  return nullptr;
}

absl::Status AccountAmountsFit(const AccountContext& account) {
  std::map<std::string, AmountSum> magnitude;  // by currency
  auto add = [&magnitude](const std::string& currency, int64_t v) {
    // 128-bit: -INT64_MIN is exact.
    if (v < 0) {
      magnitude[currency] -= v;
    } else {
      magnitude[currency] += v;
    }
  };
  std::map<std::string, std::string> invoice_currency;
  for (const auto& inv : account.invoices) {
    invoice_currency[inv.state.id] = inv.state.currency;
    add(inv.state.currency, inv.state.total);
    for (const auto& s : inv.state.settlements) add(inv.state.currency, s.amount);
  }
  for (const auto& c : account.credits) add(c.currency, c.unapplied);
  for (const auto& p : account.promises) add(p.amount.currency, p.amount.minor);
  for (const auto& p : account.plans) {
    for (const auto& i : p.installments) {
      add(p.currency, i.amount);
      add(p.currency, i.paid);
    }
  }
  for (const auto& d : account.disputes) {
    if (auto it = invoice_currency.find(d.invoice_id); it != invoice_currency.end()) {
      add(it->second, d.amount);
    }
  }
  for (const auto& f : account.fees) add(f.amount.currency, f.amount.minor);
  for (const auto& s : account.settlements) add(s.amount.currency, s.amount.minor);
  for (const auto& [currency, sum] : magnitude) {
    if (!sum.Fits()) {
      return AmountSumOverflow(
          absl::StrCat("the ", currency, " amounts of customer ", account.customer.id));
    }
  }
  return absl::OkStatus();
}

}  // namespace collections::domain
