// Conversions between the ArrangementService's messages and the domain's
// plain types (promises, plans, fees, disputes, referrals), read by the
// arrangement files and by no one else.
#ifndef COLLECTIONS_APP_ARRANGEMENT_CONVERT_H_
#define COLLECTIONS_APP_ARRANGEMENT_CONVERT_H_

#include "collections_sidecar/v1/arrangements.pb.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/domain/disputes.h"
#include "service/domain/end_states.h"
#include "service/domain/fees.h"
#include "service/domain/plans.h"
#include "service/domain/promises.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

domain::PromiseStatus FromProto(v1::PromiseToPay::Status s);
v1::PromiseToPay::Status ToProto(domain::PromiseStatus s);
domain::Channel ChannelOf(v1::PromiseToPay::Channel c);
domain::Promise PromiseOf(const v1::PromiseToPay& p);

domain::PlanStatus FromProto(v1::PaymentPlan::State s);
domain::PaymentPlan PlanOf(const v1::PaymentPlan& p);

domain::FeeKind FeeKindOf(v1::Fee::Kind k);
v1::Fee::Kind ToProto(domain::FeeKind k);
domain::LateFeeTerms TermsOf(const v1::LateFeeTerms& t);

// The reason's enum name ("PRICING", ...); empty when unspecified.
const char* DisputeReasonName(v1::Dispute::Reason r);
domain::Dispute DisputeOf(const v1::Dispute& p);

domain::Referral ReferralOf(const v1::Referral& r);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_ARRANGEMENT_CONVERT_H_
