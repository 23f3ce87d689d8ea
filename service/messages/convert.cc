#include "service/messages/convert.h"

#include "google/protobuf/util/time_util.h"

namespace collections::messages {

google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// Seconds and nanos apart: a count of nanoseconds since 1970 overflows int64
// after 2262, and an expiry may lie beyond it.
absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

const v1::ExternalRef* RefOf(const v1::SyncRecord& r) {
  switch (r.record_case()) {
    case v1::SyncRecord::kCustomer:
      return &r.customer().external_ref();
    case v1::SyncRecord::kInvoice:
      return &r.invoice().external_ref();
    case v1::SyncRecord::kCreditNote:
      return &r.credit_note().external_ref();
    case v1::SyncRecord::kPayment:
      return &r.payment().external_ref();
    default:
      return nullptr;
  }
}

}  // namespace collections::messages
