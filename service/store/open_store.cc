#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/store/sqlite/sqlite_store.h"
#include "service/store/store.h"
#ifdef COLLECTIONS_HAVE_POSTGRES
#include "service/store/postgres/postgres_store.h"
#endif

namespace collections::store {

absl::StatusOr<std::unique_ptr<Store>> OpenStore(absl::string_view uri) {
  if (absl::StartsWith(uri, "sqlite:")) {
    return OpenSqliteStore(uri.substr(7));
  }
#ifdef COLLECTIONS_HAVE_POSTGRES
  if (absl::StartsWith(uri, "postgresql://") || absl::StartsWith(uri, "postgres://")) {
    return OpenPostgresStore(uri);
  }
#endif
  return domain::InvalidInput(
      "UNKNOWN_STORE_SCHEME", "store",
      absl::StrCat("\"", uri, "\": expected sqlite:<path> or postgresql://..."));
}

}  // namespace collections::store
