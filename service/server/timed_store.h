// A Store decorator that times every store operation into the histogram
// collections_store_seconds{op,outcome}: op is "read_tx", "write_tx",
// "list_events", "aging" or "list_tenants"; outcome "ok" or "error".
// A transaction's time includes the work done inside it, which is what
// holds the database's locks.
#ifndef COLLECTIONS_SERVER_TIMED_STORE_H_
#define COLLECTIONS_SERVER_TIMED_STORE_H_

#include <memory>

#include "service/server/metrics.h"
#include "service/store/store.h"

namespace collections::server {

// `metrics` must outlive the returned store.
std::unique_ptr<store::Store> WithTiming(std::unique_ptr<store::Store> inner,
                                         MetricsRegistry& metrics);

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_TIMED_STORE_H_
