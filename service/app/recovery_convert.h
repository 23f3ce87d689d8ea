// Conversions between collections_sidecar.v1 recovery messages and the engine's
// plain domain types. The enums share their order (CollectionStage = Stage,
// Channel, Tone, ContactRecord.Outcome and NonPaymentReason), so most
// conversions are casts checked by range.
#ifndef COLLECTIONS_APP_RECOVERY_CONVERT_H_
#define COLLECTIONS_APP_RECOVERY_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "collections_sidecar/v1/recovery.pb.h"
#include "service/domain/account_context.h"
#include "service/domain/policy.h"
#include "service/domain/recommend.h"
#include "service/domain/risk.h"
#include "service/domain/work_queue.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

domain::Stage StageOf(v1::CollectionStage s);
v1::CollectionStage ToProtoStage(domain::Stage s);
domain::Channel ChannelOf(v1::Channel c);
v1::Channel ToProtoChannel(domain::Channel c);

// Policy (no validation here; see ToDomainPolicy in recovery_app.h).
domain::CollectionPolicy PolicyFromProto(const v1::CollectionPolicy& p);
v1::CollectionPolicy ToProtoPolicy(const domain::CollectionPolicy& p);

// The customer facts the engine needs from a stored customer.
domain::CustomerFacts CustomerFactsOf(const std::string& id, const v1::Customer& c);

domain::ContactRecord ContactOf(const v1::ContactRecord& c);
v1::ContactRecord::Outcome ToProtoOutcome(domain::ContactOutcome o);

// `tenant` turns ids into resource names.
v1::Recommendation ToProtoRecommendation(const std::string& tenant,
                                         const domain::Recommendation& rec);
v1::PaymentRisk ToProtoRisk(const std::string& subject, const domain::RiskEstimate& risk);
v1::WorkQueueItem ToProtoWorkItem(const std::string& tenant, const domain::WorkQueueEntry& e);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_RECOVERY_CONVERT_H_
