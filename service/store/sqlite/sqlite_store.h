// The embedded default store: one SQLite file in WAL mode with foreign keys
// on. Writes are serialized on one connection (SQLite allows one writer);
// reads use a small pool of connections and run beside the writer.
#ifndef COLLECTIONS_STORE_SQLITE_SQLITE_STORE_H_
#define COLLECTIONS_STORE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "service/store/store.h"

namespace collections::store {

// `path` is a file name or ":memory:" (then one shared in-memory database).
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(absl::string_view path);

// Gives SQLite the process-wide configuration the store runs with: memory
// statistics off (on by default, they take one process-wide mutex around each
// of SQLite's allocations, which every connection contends on; nothing here
// reads them). Takes effect only before SQLite initializes; the store calls
// it before its first connection, and a program that uses SQLite directly
// (the benchmark's plain-SQL floors) calls it first thing so that it runs
// with the same configuration. Later calls change nothing.
void ConfigureSqliteProcess();

// The SQL that Store::Aging runs for `q`: `as_stored` = the fast path, which
// sums the stored amount_due of open invoices through the covering index
// invoices_aging (used when nothing was issued or settled after as_of);
// otherwise amounts due are replayed from settlements as of the day.
// Parameters: ?1 = as_of day number, ?2 = tenant, ?3 = currency (when
// q.currency is set). Exposed so that tests can pin its query plan and the
// benchmarks can time the same SQL without the service around it.
std::string SqliteAgingSql(const AgingQuery& q, bool as_stored);

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_SQLITE_SQLITE_STORE_H_
