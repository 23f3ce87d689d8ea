// Copies one tenant's data between stores, e.g. from the embedded SQLite
// store to PostgreSQL when a deployment outgrows one machine
// (`collectionsctl migrate-tenant`). Works on the Store interface only, so
// any backend can be source or target.
#ifndef COLLECTIONS_STORE_COPY_TENANT_H_
#define COLLECTIONS_STORE_COPY_TENANT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/store/store.h"

namespace collections::store {

struct CopyStats {
  int64_t docs = 0;
  int64_t invoices = 0;
  int64_t settlements = 0;
  int64_t events = 0;
  int64_t requests = 0;
  // The last event's sequence in the source and in the target: a consumer
  // that had read the whole log resumes WatchEvents at target_last_sequence.
  int64_t source_last_sequence = 0;
  int64_t target_last_sequence = 0;
};

// Copies every document, invoice, settlement, event and idempotency record of
// `tenant` from `from` to `to` in ONE target transaction: the target holds the
// whole tenant or nothing of it. Events are appended in their source order
// (the target assigns new sequence numbers); settlements keep their insertion
// order; bodies are copied byte for byte.
//
// The source's rows are read in one snapshot and its event log after it:
// stop writers of the tenant (or the whole sidecar) while copying. `from` and
// `to` must be different Store objects.
// FailedPrecondition when the target already holds data of `tenant` (nothing
// is merged); the stores' own errors otherwise.
absl::StatusOr<CopyStats> CopyTenant(Store& from, Store& to, absl::string_view tenant);

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_COPY_TENANT_H_
