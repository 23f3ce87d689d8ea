// The PostgreSQL schema and its migrations.
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "service/base/status_macros.h"
#include "service/store/postgres/postgres_internal.h"

namespace collections::store::pg {
namespace {

// Schema migrations, applied in order; schema_version holds the count done.
// Never edit a shipped step: append a new one. The logical schema is the
// SQLite store's; differences: BIGSERIAL for events and for settlement order
// (SQLite's rowid), BYTEA bodies, and COLLATE "C" on text keys so ids sort by
// bytes as in SQLite and keyset pagination agrees across backends.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE docs (
  tenant TEXT COLLATE "C" NOT NULL, kind TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  customer TEXT COLLATE "C" NOT NULL DEFAULT '', ref TEXT COLLATE "C", number TEXT COLLATE "C",
  body BYTEA NOT NULL,
  PRIMARY KEY (tenant, kind, id));
CREATE UNIQUE INDEX docs_ref ON docs(tenant, kind, ref) WHERE ref IS NOT NULL;
CREATE INDEX docs_customer ON docs(tenant, kind, customer, id);
CREATE INDEX docs_number ON docs(tenant, kind, customer, number) WHERE number IS NOT NULL;
CREATE TABLE invoices (
  tenant TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  customer TEXT COLLATE "C" NOT NULL, ref TEXT COLLATE "C", number TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL, issue_day BIGINT NOT NULL, due_day BIGINT NOT NULL,
  total BIGINT NOT NULL, amount_due BIGINT NOT NULL, status INTEGER NOT NULL, body BYTEA NOT NULL,
  PRIMARY KEY (tenant, id));
CREATE UNIQUE INDEX invoices_ref ON invoices(tenant, ref) WHERE ref IS NOT NULL;
CREATE INDEX invoices_customer ON invoices(tenant, customer, id);
CREATE INDEX invoices_number ON invoices(tenant, customer, number);
CREATE INDEX invoices_issue ON invoices(tenant, issue_day);
-- Covering index of the aging report: open and partially paid invoices.
CREATE INDEX invoices_aging ON invoices(tenant, status, customer, currency, due_day)
  INCLUDE (amount_due);
CREATE TABLE settlements (
  id BIGSERIAL PRIMARY KEY,
  tenant TEXT COLLATE "C" NOT NULL, invoice_id TEXT COLLATE "C" NOT NULL,
  source_kind TEXT COLLATE "C" NOT NULL, source_id TEXT COLLATE "C" NOT NULL,
  day BIGINT NOT NULL, amount BIGINT NOT NULL CHECK (amount > 0),
  FOREIGN KEY (tenant, invoice_id) REFERENCES invoices(tenant, id));
CREATE INDEX settlements_invoice ON settlements(tenant, invoice_id, id);
CREATE INDEX settlements_source ON settlements(tenant, source_kind, source_id, id);
CREATE INDEX settlements_day ON settlements(tenant, day);
CREATE TABLE events (
  seq BIGSERIAL PRIMARY KEY, tenant TEXT COLLATE "C" NOT NULL,
  customer TEXT COLLATE "C" NOT NULL, resource TEXT COLLATE "C" NOT NULL, body BYTEA NOT NULL);
CREATE INDEX events_tenant ON events(tenant, seq);
CREATE INDEX events_customer ON events(tenant, customer, seq);
CREATE TABLE requests (
  tenant TEXT COLLATE "C" NOT NULL, request_id TEXT COLLATE "C" NOT NULL,
  method TEXT NOT NULL, request_hash TEXT NOT NULL, response BYTEA NOT NULL,
  PRIMARY KEY (tenant, request_id));
)sql",
    R"sql(
CREATE TABLE cases (
  tenant TEXT COLLATE "C" NOT NULL, customer TEXT COLLATE "C" NOT NULL,
  state INTEGER NOT NULL, stage INTEGER NOT NULL, paused INTEGER NOT NULL,
  owner TEXT COLLATE "C" NOT NULL, priority BIGINT NOT NULL, currency TEXT COLLATE "C" NOT NULL,
  overdue BIGINT NOT NULL, due_day BIGINT NOT NULL, body BYTEA NOT NULL,
  PRIMARY KEY (tenant, customer));
CREATE INDEX cases_priority ON cases(tenant, priority DESC, customer);
CREATE INDEX cases_due ON cases(tenant, due_day, customer);
CREATE INDEX cases_owner ON cases(tenant, owner, priority DESC, customer);
)sql",
    R"sql(
CREATE INDEX docs_kind_number ON docs(tenant, kind, number) WHERE number IS NOT NULL;
)sql",
    R"sql(
CREATE TABLE stale_cases (
  tenant TEXT COLLATE "C" NOT NULL, customer TEXT COLLATE "C" NOT NULL,
  event TEXT NOT NULL, day BIGINT NOT NULL,
  PRIMARY KEY (tenant, customer));
)sql",
    // A customer's documents of several kinds (ListCustomerDocs, kind =
    // ANY) in one range of the index: with kind second, the planner's
    // generic plan scanned every document of the tenant for the customer.
    R"sql(
CREATE INDEX docs_customer_kind ON docs(tenant, customer, kind, id);
DROP INDEX docs_customer;
)sql",
};

}  // namespace

// Concurrent replicas may start together: the migration runs under a
// transaction-level advisory lock, so one migrates and the others then see
// the finished version.
absl::Status Migrate(PgConn& c) {
  RETURN_IF_ERROR(c.Exec("BEGIN"));
  absl::Status st = [&c]() -> absl::Status {
    RETURN_IF_ERROR(
        c.Exec(absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLockClass, ", 0)")));
    RETURN_IF_ERROR(c.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
    ASSIGN_OR_RETURN(Rows r, c.Query("SELECT COALESCE(MAX(version), 0)::bigint FROM "
                                     "schema_version",
                                     Params()));
    const int64_t version = r.size() == 1 ? r.Int(0, 0) : 0;
    const int64_t target = sizeof(kMigrations) / sizeof(kMigrations[0]);
    if (version > target) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database schema version ", version, " is newer than this build (", target, ")"));
    }
    for (int64_t v = version; v < target; ++v) {
      RETURN_IF_ERROR(c.Exec(kMigrations[v]));
      RETURN_IF_ERROR(
          c.Exec(absl::StrCat("INSERT INTO schema_version(version) VALUES (", v + 1, ")")));
    }
    return absl::OkStatus();
  }();
  if (!st.ok()) {
    c.Exec("ROLLBACK").IgnoreError();
    return st;
  }
  return c.Exec("COMMIT");
}

}  // namespace collections::store::pg
