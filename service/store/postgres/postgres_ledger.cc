// PgTransaction's ledger: documents, invoices and their settlements, the
// event log and the request log, and the enumeration that copies a tenant.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/base/status_macros.h"
#include "service/store/invoice_status_sql.h"
#include "service/store/postgres/postgres_internal.h"

namespace collections::store::pg {
namespace {

constexpr char kDocCols[] = "SELECT kind, id, customer, ref, number, body FROM docs ";
constexpr char kInvCols[] =
    "SELECT id, customer, ref, number, currency, issue_day, due_day, total, amount_due, status, "
    "body FROM invoices ";
constexpr char kSettlementCols[] = "SELECT invoice_id, source_kind, source_id, day, amount ";

Doc ReadDoc(const Rows& r, int i) {
  return Doc{r.Str(i, 0), r.Str(i, 1), r.Str(i, 2), r.Str(i, 3), r.Str(i, 4), r.Str(i, 5)};
}

InvoiceRow ReadInvoice(const Rows& r, int i) {
  InvoiceRow v;
  v.id = r.Str(i, 0);
  v.customer = r.Str(i, 1);
  v.ref = r.Str(i, 2);
  v.number = r.Str(i, 3);
  v.currency = r.Str(i, 4);
  v.issue_day = r.Int(i, 5);
  v.due_day = r.Int(i, 6);
  v.total = r.Int(i, 7);
  v.amount_due = r.Int(i, 8);
  v.status = static_cast<int>(r.Int(i, 9));
  v.body = r.Str(i, 10);
  return v;
}

std::vector<SettlementRow> ReadSettlements(const Rows& r) {
  std::vector<SettlementRow> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) {
    out.push_back(SettlementRow{r.Str(i, 0), r.Str(i, 1), r.Str(i, 2), r.Int(i, 3), r.Int(i, 4)});
  }
  return out;
}

std::optional<Doc> OneDoc(const Rows& r) {
  if (r.size() == 0) return std::nullopt;
  return ReadDoc(r, 0);
}

std::optional<InvoiceRow> OneInvoice(const Rows& r) {
  if (r.size() == 0) return std::nullopt;
  return ReadInvoice(r, 0);
}

// The check of an upsert that skips a reference another id holds: its one
// row names that id, or is null.
absl::Status RefTaken(const Rows& r, absl::string_view kind, absl::string_view ref) {
  if (r.size() == 1 && !r.IsNull(0, 0)) {
    return absl::AlreadyExistsError(absl::StrCat("postgresql: ", kind, " reference \"", ref,
                                                 "\" already belongs to id \"", r.Str(0, 0), "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PgTransaction::Note(absl::Status st) {
  if (!st.ok()) {
    if (IsRetryableState(c_.last_state())) retryable_ = true;
    if (PQstatus(c_.raw()) != CONNECTION_OK) disconnected_ = true;
    if (failed_.ok()) failed_ = st;
  }
  return st;
}

// A failed statement aborts a PostgreSQL transaction, and a failed check
// of a pipelined write stands for a write that did not happen: either way
// the transaction cannot commit, so every later call reports the failure.
absl::StatusOr<Rows> PgTransaction::Q(const std::string& sql, const Params& p) {
  RETURN_IF_ERROR(failed_);
  absl::StatusOr<Rows> r = c_.Query(sql, p);
  if (!r.ok()) return Note(r.status());
  return r;
}

absl::Status PgTransaction::W(const std::string& sql, const Params& p, PgConn::Check check) {
  RETURN_IF_ERROR(failed_);
  return Note(c_.Send(sql, p, std::move(check)));
}

absl::Status PgTransaction::Flush() {
  RETURN_IF_ERROR(failed_);
  return Note(c_.Flush());
}

// The per-tenant write lock: see kTenantLockClass in postgres_internal.h.
absl::Status PgTransaction::LockTenant() {
  if (locked_) return absl::OkStatus();
  RETURN_IF_ERROR(
      W(absl::StrCat("SELECT 1 FROM pg_advisory_xact_lock(", kTenantLockClass, ", hashtext($1))"),
        Params().Text(tenant_)));
  locked_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Doc>> PgTransaction::GetDoc(absl::string_view kind,
                                                         absl::string_view id) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols, "WHERE tenant=$1 AND kind=$2 AND id=$3"),
                             Params().Text(tenant_).Text(kind).Text(id)));
  return OneDoc(r);
}

absl::StatusOr<std::optional<Doc>> PgTransaction::FindDocByRef(absl::string_view kind,
                                                               absl::string_view ref) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols, "WHERE tenant=$1 AND kind=$2 AND ref=$3"),
                             Params().Text(tenant_).Text(kind).Text(ref)));
  return OneDoc(r);
}

absl::StatusOr<std::optional<Doc>> PgTransaction::FindDocByNumber(absl::string_view kind,
                                                                  absl::string_view customer,
                                                                  absl::string_view number) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols,
                                          "WHERE tenant=$1 AND kind=$2 AND customer=$3 AND "
                                          "number=$4 ORDER BY id LIMIT 1"),
                             Params().Text(tenant_).Text(kind).Text(customer).Text(number)));
  return OneDoc(r);
}

// The reference check and the upsert are one statement, so that a taken
// reference answers AlreadyExists naming the id that holds it (from the
// pipelined check), not a bare unique violation.
absl::Status PgTransaction::PutDoc(const Doc& d) {
  RETURN_IF_ERROR(LockTenant());
  return W(
      "WITH taken AS (SELECT id FROM docs WHERE tenant=$1 AND kind=$2 AND ref=$5 AND id<>$3 "
      "LIMIT 1), up AS (INSERT INTO docs(tenant, kind, id, customer, ref, number, body) "
      "SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM taken) "
      "ON CONFLICT (tenant, kind, id) DO UPDATE SET customer=EXCLUDED.customer, "
      "ref=EXCLUDED.ref, number=EXCLUDED.number, body=EXCLUDED.body RETURNING 1) "
      "SELECT (SELECT id FROM taken)",
      Params()
          .Text(tenant_)
          .Text(d.kind)
          .Text(d.id)
          .Text(d.customer)
          .NullableText(d.ref)
          .NullableText(d.number)
          .Bytea(d.body),
      [kind = d.kind, ref = d.ref](const Rows& r) { return RefTaken(r, kind, ref); });
}

absl::Status PgTransaction::DeleteDoc(absl::string_view kind, absl::string_view id) {
  RETURN_IF_ERROR(LockTenant());
  return W("DELETE FROM docs WHERE tenant=$1 AND kind=$2 AND id=$3",
           Params().Text(tenant_).Text(kind).Text(id));
}

absl::StatusOr<std::vector<Doc>> PgTransaction::ListDocsByNumber(absl::string_view kind,
                                                                 absl::string_view after_number,
                                                                 int limit) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols,
                                          "WHERE tenant=$1 AND kind=$2 AND number IS NOT NULL "
                                          "AND number>$3 ORDER BY number LIMIT $4"),
                             Params().Text(tenant_).Text(kind).Text(after_number).Int(limit)));
  std::vector<Doc> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadDoc(r, i));
  return out;
}

absl::StatusOr<std::vector<Doc>> PgTransaction::ListDocs(absl::string_view kind,
                                                         absl::string_view customer,
                                                         absl::string_view after_id, int limit) {
  Params p;
  p.Text(tenant_).Text(kind).Text(after_id).Int(limit);
  std::string sql = absl::StrCat(kDocCols, "WHERE tenant=$1 AND kind=$2 AND id>$3 ");
  if (!customer.empty()) {
    sql += "AND customer=$5 ";
    p.Text(customer);
  }
  sql += "ORDER BY id LIMIT $4";
  ASSIGN_OR_RETURN(Rows r, Q(sql, p));
  std::vector<Doc> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadDoc(r, i));
  return out;
}

// One statement for every kind: one range of docs_customer_kind (tenant,
// customer, kind, id).
absl::StatusOr<std::vector<Doc>> PgTransaction::ListCustomerDocs(
    absl::string_view customer, const std::vector<std::string>& kinds, int limit) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols,
                                          "WHERE tenant=$1 AND customer=$2 AND kind = ANY($3) "
                                          "ORDER BY kind, id LIMIT $4"),
                             Params().Text(tenant_).Text(customer).TextArray(kinds).Int(limit)));
  std::vector<Doc> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadDoc(r, i));
  return out;
}

absl::StatusOr<std::optional<InvoiceRow>> PgTransaction::GetInvoice(absl::string_view id) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kInvCols, "WHERE tenant=$1 AND id=$2"),
                             Params().Text(tenant_).Text(id)));
  return OneInvoice(r);
}

absl::StatusOr<std::optional<InvoiceRow>> PgTransaction::FindInvoiceByRef(absl::string_view ref) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kInvCols, "WHERE tenant=$1 AND ref=$2"),
                             Params().Text(tenant_).Text(ref)));
  return OneInvoice(r);
}

absl::StatusOr<std::optional<InvoiceRow>> PgTransaction::FindInvoiceByNumber(
    absl::string_view customer, absl::string_view number) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kInvCols,
                                          "WHERE tenant=$1 AND customer=$2 AND number=$3 "
                                          "ORDER BY id LIMIT 1"),
                             Params().Text(tenant_).Text(customer).Text(number)));
  return OneInvoice(r);
}

absl::Status PgTransaction::PutInvoice(const InvoiceRow& v) {
  RETURN_IF_ERROR(LockTenant());
  return W(
      "WITH taken AS (SELECT id FROM invoices WHERE tenant=$1 AND ref=$4 AND id<>$2 LIMIT 1), "
      "up AS (INSERT INTO invoices(tenant, id, customer, ref, number, currency, issue_day, "
      "due_day, total, amount_due, status, body) "
      "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 "
      "WHERE NOT EXISTS (SELECT 1 FROM taken) "
      "ON CONFLICT (tenant, id) DO UPDATE SET customer=EXCLUDED.customer, ref=EXCLUDED.ref, "
      "number=EXCLUDED.number, currency=EXCLUDED.currency, issue_day=EXCLUDED.issue_day, "
      "due_day=EXCLUDED.due_day, total=EXCLUDED.total, amount_due=EXCLUDED.amount_due, "
      "status=EXCLUDED.status, body=EXCLUDED.body RETURNING 1) "
      "SELECT (SELECT id FROM taken)",
      Params()
          .Text(tenant_)
          .Text(v.id)
          .Text(v.customer)
          .NullableText(v.ref)
          .Text(v.number)
          .Text(v.currency)
          .Int(v.issue_day)
          .Int(v.due_day)
          .Int(v.total)
          .Int(v.amount_due)
          .Int(v.status)
          .Bytea(v.body),
      [ref = v.ref](const Rows& r) { return RefTaken(r, "invoice", ref); });
}

absl::StatusOr<std::vector<InvoiceRow>> PgTransaction::ListInvoices(const InvoiceFilter& f) {
  Params p;
  p.Text(tenant_).Text(f.after_id).Int(f.limit);
  std::string sql = absl::StrCat(kInvCols, "WHERE tenant=$1 AND id>$2 ");
  int n = 3;
  if (!f.customer.empty()) {
    absl::StrAppend(&sql, "AND customer=$", ++n, " ");
    p.Text(f.customer);
  }
  if (!f.currency.empty()) {
    absl::StrAppend(&sql, "AND currency=$", ++n, " ");
    p.Text(f.currency);
  }
  if (!f.statuses.empty()) {
    absl::StrAppend(&sql, "AND status IN (", absl::StrJoin(f.statuses, ","), ") ");
  }
  if (f.overdue_as_of_day) {
    absl::StrAppend(&sql, "AND amount_due>0 AND ", OutstandingStatusSql(), " AND due_day<$", ++n,
                    " ");
    p.Int(*f.overdue_as_of_day);
  }
  sql += "ORDER BY id LIMIT $3";
  ASSIGN_OR_RETURN(Rows r, Q(sql, p));
  std::vector<InvoiceRow> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadInvoice(r, i));
  return out;
}

// Grouped by invoice in the order asked, each invoice's rows in insertion
// order (as the SQLite store answers).
absl::StatusOr<std::vector<SettlementRow>> PgTransaction::ListSettlements(
    const std::vector<std::string>& invoice_ids) {
  if (invoice_ids.empty()) return std::vector<SettlementRow>();
  ASSIGN_OR_RETURN(Rows r,
                   Q(absl::StrCat(kSettlementCols,
                                  "FROM unnest($2::text[]) WITH ORDINALITY AS u(invoice, pos) "
                                  "JOIN settlements s ON s.tenant=$1 AND s.invoice_id=u.invoice "
                                  "ORDER BY u.pos, s.id"),
                     Params().Text(tenant_).TextArray(invoice_ids)));
  return ReadSettlements(r);
}

absl::StatusOr<std::vector<SettlementRow>> PgTransaction::ListSettlementsBySource(
    absl::string_view kind, absl::string_view id) {
  ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kSettlementCols,
                                          "FROM settlements WHERE tenant=$1 AND source_kind=$2 "
                                          "AND source_id=$3 ORDER BY id"),
                             Params().Text(tenant_).Text(kind).Text(id)));
  return ReadSettlements(r);
}

absl::Status PgTransaction::ReplaceSettlements(absl::string_view kind, absl::string_view id,
                                               const std::vector<SettlementRow>& rows) {
  RETURN_IF_ERROR(LockTenant());
  RETURN_IF_ERROR(W("DELETE FROM settlements WHERE tenant=$1 AND source_kind=$2 AND source_id=$3",
                    Params().Text(tenant_).Text(kind).Text(id)));
  if (rows.empty()) return absl::OkStatus();
  // One round trip for all rows; ORDER BY keeps the given order in the
  // BIGSERIAL ids that ListSettlements sorts by.
  return W(
      "INSERT INTO settlements(tenant, invoice_id, source_kind, source_id, day, amount) "
      "SELECT $1, u.invoice, $2, $3, u.day, u.amount FROM unnest($4::text[], $5::int8[], "
      "$6::int8[]) WITH ORDINALITY AS u(invoice, day, amount, pos) ORDER BY u.pos",
      Params()
          .Text(tenant_)
          .Text(kind)
          .Text(id)
          .TextColumn(rows, &SettlementRow::invoice_id)
          .IntColumn(rows, &SettlementRow::day)
          .IntColumn(rows, &SettlementRow::amount));
}

absl::StatusOr<std::vector<EventRow>> ReadEvents(PgConn& c, absl::string_view tenant,
                                                 const EventFilter& f) {
  Params p;
  p.Text(tenant).Int(f.after_sequence).Int(f.limit);
  std::string sql =
      "SELECT seq, tenant, customer, resource, body FROM events WHERE tenant=$1 AND seq>$2 ";
  int n = 3;
  if (!f.customer.empty()) {
    absl::StrAppend(&sql, "AND customer=$", ++n, " ");
    p.Text(f.customer);
  }
  if (!f.resource_prefix.empty()) {
    absl::StrAppend(&sql, "AND starts_with(resource, $", ++n, ") ");
    p.Text(f.resource_prefix);
  }
  sql += "ORDER BY seq LIMIT $3";
  ASSIGN_OR_RETURN(Rows r, c.Query(sql, p));
  std::vector<EventRow> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) {
    out.push_back(EventRow{r.Int(i, 0), r.Str(i, 1), r.Str(i, 2), r.Str(i, 3), r.Str(i, 4), ""});
  }
  return out;
}

absl::StatusOr<std::vector<EventRow>> PgTransaction::ListEvents(const EventFilter& f) {
  RETURN_IF_ERROR(failed_);
  absl::StatusOr<std::vector<EventRow>> r = ReadEvents(c_, tenant_, f);
  if (!r.ok()) return Note(r.status());
  return r;
}

// pg_notify in the same statement: PostgreSQL delivers it at commit, folds
// duplicates within one transaction, and drops it on rollback.
absl::StatusOr<int64_t> PgTransaction::AppendEvent(const EventRow& e) {
  RETURN_IF_ERROR(LockTenant());
  ASSIGN_OR_RETURN(Rows r,
                   Q(absl::StrCat("INSERT INTO events(tenant, customer, resource, body) "
                                  "SELECT $1, $2, $3, $4 FROM pg_notify('",
                                  kChannel, "', $1) RETURNING seq"),
                     Params().Text(tenant_).Text(e.customer).Text(e.resource).Bytea(e.body)));
  if (r.size() != 1) return absl::InternalError("postgresql: event insert returned no sequence");
  wrote_event_ = true;
  return r.Int(0, 0);
}

absl::Status PgTransaction::AddEvent(const EventRow& e) {
  RETURN_IF_ERROR(LockTenant());
  RETURN_IF_ERROR(W(absl::StrCat("INSERT INTO events(tenant, customer, resource, body) "
                                 "SELECT $1, $2, $3, $4 FROM pg_notify('",
                                 kChannel, "', $1)"),
                    Params().Text(tenant_).Text(e.customer).Text(e.resource).Bytea(e.body)));
  wrote_event_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredRequest>> PgTransaction::GetRequest(
    absl::string_view request_id) {
  ASSIGN_OR_RETURN(Rows r, Q("SELECT method, request_hash, response FROM requests "
                             "WHERE tenant=$1 AND request_id=$2",
                             Params().Text(tenant_).Text(request_id)));
  if (r.size() == 0) return std::optional<StoredRequest>();
  return std::optional<StoredRequest>(StoredRequest{r.Str(0, 0), r.Str(0, 1), r.Str(0, 2)});
}

absl::Status PgTransaction::PutRequest(absl::string_view request_id, const StoredRequest& v) {
  RETURN_IF_ERROR(LockTenant());
  ASSIGN_OR_RETURN(Rows r, Q("INSERT INTO requests(tenant, request_id, method, request_hash, "
                             "response) VALUES ($1, $2, $3, $4, $5) "
                             "ON CONFLICT (tenant, request_id) DO NOTHING RETURNING 1",
                             Params()
                                 .Text(tenant_)
                                 .Text(request_id)
                                 .Text(v.method)
                                 .Text(v.request_hash)
                                 .Bytea(v.response)));
  if (r.size() == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("postgresql: request_id \"", request_id, "\" is already recorded"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PgTransaction::ListDocKinds() {
  ASSIGN_OR_RETURN(Rows r, Q("SELECT DISTINCT kind FROM docs WHERE tenant=$1 ORDER BY kind",
                             Params().Text(tenant_)));
  std::vector<std::string> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Str(i, 0));
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, StoredRequest>>> PgTransaction::ListRequests(
    absl::string_view after_id, int limit) {
  ASSIGN_OR_RETURN(Rows r, Q("SELECT request_id, method, request_hash, response FROM requests "
                             "WHERE tenant=$1 AND request_id>$2 ORDER BY request_id LIMIT $3",
                             Params().Text(tenant_).Text(after_id).Int(limit)));
  std::vector<std::pair<std::string, StoredRequest>> out;
  for (int i = 0; i < r.size(); ++i) {
    out.emplace_back(r.Str(i, 0), StoredRequest{r.Str(i, 1), r.Str(i, 2), r.Str(i, 3)});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<int64_t, SettlementRow>>>
PgTransaction::ListSettlementsInOrder(int64_t after, int limit) {
  ASSIGN_OR_RETURN(Rows r, Q("SELECT id, invoice_id, source_kind, source_id, day, amount "
                             "FROM settlements WHERE tenant=$1 AND id>$2 ORDER BY id LIMIT $3",
                             Params().Text(tenant_).Int(after).Int(limit)));
  std::vector<std::pair<int64_t, SettlementRow>> out;
  for (int i = 0; i < r.size(); ++i) {
    out.emplace_back(r.Int(i, 0), SettlementRow{r.Str(i, 1), r.Str(i, 2), r.Str(i, 3), r.Int(i, 4),
                                                r.Int(i, 5)});
  }
  return out;
}

}  // namespace collections::store::pg
