#include "service/app/arrangement_convert.h"

#include "service/app/app_common.h"
#include "service/app/arrangement_ops.h"

namespace collections::app {

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

}  // namespace collections::app
