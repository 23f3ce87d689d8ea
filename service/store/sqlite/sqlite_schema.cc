// The SQLite schema and its migrations.
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/base/status_macros.h"
#include "service/store/sqlite/sqlite_internal.h"

namespace collections::store::sqlite {
namespace {

// Schema migrations, applied in order; schema_version holds the count done.
// Never edit a shipped step: append a new one.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE docs (
  tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
  customer TEXT NOT NULL DEFAULT '', ref TEXT, number TEXT, body BLOB NOT NULL,
  PRIMARY KEY (tenant, kind, id));
CREATE UNIQUE INDEX docs_ref ON docs(tenant, kind, ref) WHERE ref IS NOT NULL;
CREATE INDEX docs_customer ON docs(tenant, kind, customer, id);
CREATE INDEX docs_number ON docs(tenant, kind, customer, number) WHERE number IS NOT NULL;
CREATE TABLE invoices (
  tenant TEXT NOT NULL, id TEXT NOT NULL, customer TEXT NOT NULL, ref TEXT,
  number TEXT NOT NULL, currency TEXT NOT NULL, issue_day INTEGER NOT NULL,
  due_day INTEGER NOT NULL, total INTEGER NOT NULL, amount_due INTEGER NOT NULL,
  status INTEGER NOT NULL, body BLOB NOT NULL,
  PRIMARY KEY (tenant, id));
CREATE UNIQUE INDEX invoices_ref ON invoices(tenant, ref) WHERE ref IS NOT NULL;
CREATE INDEX invoices_customer ON invoices(tenant, customer, id);
CREATE INDEX invoices_number ON invoices(tenant, customer, number);
CREATE INDEX invoices_issue ON invoices(tenant, issue_day);
-- Covering index of the aging report: open and partially paid invoices.
CREATE INDEX invoices_aging ON invoices(tenant, status, customer, currency, due_day, amount_due);
CREATE TABLE settlements (
  tenant TEXT NOT NULL, invoice_id TEXT NOT NULL, source_kind TEXT NOT NULL,
  source_id TEXT NOT NULL, day INTEGER NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0),
  FOREIGN KEY (tenant, invoice_id) REFERENCES invoices(tenant, id));
CREATE INDEX settlements_invoice ON settlements(tenant, invoice_id);
CREATE INDEX settlements_source ON settlements(tenant, source_kind, source_id);
CREATE INDEX settlements_day ON settlements(tenant, day);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL,
  customer TEXT NOT NULL, resource TEXT NOT NULL, body BLOB NOT NULL);
CREATE INDEX events_tenant ON events(tenant, seq);
CREATE INDEX events_customer ON events(tenant, customer, seq);
CREATE TABLE requests (
  tenant TEXT NOT NULL, request_id TEXT NOT NULL, method TEXT NOT NULL,
  request_hash TEXT NOT NULL, response BLOB NOT NULL,
  PRIMARY KEY (tenant, request_id));
)sql",
    R"sql(
CREATE TABLE cases (
  tenant TEXT NOT NULL, customer TEXT NOT NULL, state INTEGER NOT NULL,
  stage INTEGER NOT NULL, paused INTEGER NOT NULL, owner TEXT NOT NULL,
  priority INTEGER NOT NULL, currency TEXT NOT NULL, overdue INTEGER NOT NULL,
  due_day INTEGER NOT NULL, body BLOB NOT NULL,
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
  tenant TEXT NOT NULL, customer TEXT NOT NULL, event TEXT NOT NULL, day INTEGER NOT NULL,
  PRIMARY KEY (tenant, customer)) WITHOUT ROWID;
)sql",
};

}  // namespace

absl::Status Migrate(Connection& writer) {
  RETURN_IF_ERROR(
      writer.ExecScript("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  int64_t version = 0;
  {
    ASSIGN_OR_RETURN(auto s,
                     writer.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) version = s->Int(0);
  }
  const int64_t target = sizeof(kMigrations) / sizeof(kMigrations[0]);
  if (version > target) {
    return absl::FailedPreconditionError(absl::StrCat("database schema version ", version,
                                                      " is newer than this build (", target, ")"));
  }
  for (int64_t v = version; v < target; ++v) {
    RETURN_IF_ERROR(writer.ExecScript("BEGIN IMMEDIATE"));
    absl::Status st = writer.ExecScript(kMigrations[v]);
    if (st.ok()) {
      st = writer.ExecScript(
          absl::StrCat("INSERT INTO schema_version(version) VALUES (", v + 1, ")").c_str());
    }
    if (!st.ok()) {
      writer.ExecScript("ROLLBACK").IgnoreError();
      return st;
    }
    RETURN_IF_ERROR(writer.ExecScript("COMMIT"));
  }
  return absl::OkStatus();
}

}  // namespace collections::store::sqlite
