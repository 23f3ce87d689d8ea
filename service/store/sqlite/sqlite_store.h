// The embedded default store: one SQLite file in WAL mode with foreign keys
// on. Writes are serialized on one connection (SQLite allows one writer);
// reads use a small pool of connections and run beside the writer.
#ifndef COLLECTIONS_STORE_SQLITE_SQLITE_STORE_H_
#define COLLECTIONS_STORE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "service/store/store.h"

namespace collections::store {

// `path` is a file name or ":memory:" (then one shared in-memory database).
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(absl::string_view path);

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_SQLITE_SQLITE_STORE_H_
