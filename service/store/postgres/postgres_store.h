// The shared store for running several collectionsd replicas over one
// PostgreSQL database. Same logical schema and semantics as the
// embedded SQLite store; every query goes through libpq prepared statements
// on a bounded connection pool.
//
// Concurrency contract (the reasoning is in postgres_internal.h):
//   * write transactions run SERIALIZABLE and are retried with backoff on
//     serialization failure or deadlock (SQLSTATE 40001 / 40P01); Aborted only
//     once the retries are exhausted;
//   * read transactions run REPEATABLE READ READ ONLY (one snapshot, never
//     blocked by writers, never aborted);
//   * events of one tenant get sequence numbers in commit order, so a reader
//     that resumes "after sequence N" never skips an event that commits later;
//   * WaitForEvents wakes up for events committed by any process (LISTEN /
//     NOTIFY, with a polling fallback).
#ifndef COLLECTIONS_STORE_POSTGRES_POSTGRES_STORE_H_
#define COLLECTIONS_STORE_POSTGRES_POSTGRES_STORE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/store/store.h"

namespace collections::store {

// Opens a libpq URI ("postgresql://user@host:5432/db?sslmode=require",
// "postgresql:///db?host=/run/postgresql") and migrates the schema (safe when
// several replicas start at once). One query parameter is ours and is removed
// before libpq sees the URI:
//   pool_size=N  most connections this store holds open (default 8, 1..1000);
//                one more is used for LISTEN.
// InvalidArgument for a malformed URI or pool_size, Unavailable when the
// server cannot be reached, FailedPrecondition when the database schema is
// newer than this build.
absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(absl::string_view uri);

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_POSTGRES_POSTGRES_STORE_H_
