// Invariants every connector parser must keep on any input, checked by the
// libFuzzer targets: no crash or sanitizer report, and whatever is emitted
// is located and explained.
#ifndef COLLECTIONS_TESTS_CONNECTORS_FUZZ_FUZZ_UTIL_H_
#define COLLECTIONS_TESTS_CONNECTORS_FUZZ_FUZZ_UTIL_H_

#include <cstdlib>

#include "connectors/common/records.h"
#include "service/base/money.h"

namespace collections::connectors::fuzz {

inline void CheckRecord(const ParsedRecord& r) {
  if (r.record.source_location().empty()) std::abort();
  if (r.record.record_case() == collections_sidecar::v1::SyncRecord::RECORD_NOT_SET) std::abort();
  if (r.record.has_invoice() && r.record.invoice().number().empty()) std::abort();
  if (r.record.has_credit_note() && r.record.credit_note().number().empty()) std::abort();
}

inline void CheckIssue(const ParseIssue& i) {
  if (i.reason.empty() || i.description.empty()) std::abort();
  if (i.where.line <= 0 && i.where.xpath.empty()) std::abort();
}

// A bank payment (camt, MT940, OFX): positive, in a known currency, with an
// external id.
inline void CheckBankPayment(const ParsedRecord& r) {
  CheckRecord(r);
  const auto& p = r.record.payment();
  if (!r.record.has_payment() || p.amount().minor_units() <= 0 ||
      !domain::IsKnownCurrency(p.amount().currency_code()) || p.external_ref().id().empty()) {
    std::abort();
  }
}

}  // namespace collections::connectors::fuzz

#endif  // COLLECTIONS_TESTS_CONNECTORS_FUZZ_FUZZ_UTIL_H_
