// SqliteTransaction's ledger: documents, invoices and their settlements, the
// event log and the request log, and the enumeration that copies a tenant.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/base/status_macros.h"
#include "service/store/invoice_status_sql.h"
#include "service/store/sqlite/sqlite_internal.h"

namespace collections::store::sqlite {
namespace {

Doc ReadDoc(const Stmt& s) {
  // Columns: kind, id, customer, ref, number, body.
  return Doc{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)};
}

// Every row of a documents query.
absl::StatusOr<std::vector<Doc>> ReadDocs(Stmt& s) {
  std::vector<Doc> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadDoc(s));
  }
  return out;
}

constexpr char kDocCols[] = "SELECT kind, id, customer, ref, number, body FROM docs ";
constexpr char kInvCols[] =
    "SELECT id, customer, ref, number, currency, issue_day, due_day, total, amount_due, status, "
    "body FROM invoices ";

InvoiceRow ReadInvoice(const Stmt& s) {
  InvoiceRow r;
  r.id = s.Text(0);
  r.customer = s.Text(1);
  r.ref = s.Text(2);
  r.number = s.Text(3);
  r.currency = s.Text(4);
  r.issue_day = s.Int(5);
  r.due_day = s.Int(6);
  r.total = s.Int(7);
  r.amount_due = s.Int(8);
  r.status = static_cast<int>(s.Int(9));
  r.body = s.Text(10);
  return r;
}

}  // namespace

absl::StatusOr<std::optional<Doc>> SqliteTransaction::GetDoc(absl::string_view kind,
                                                             absl::string_view id) {
  PREPARE_OR_RETURN(s, c_, absl::StrCat(kDocCols, "WHERE tenant=? AND kind=? AND id=?"));
  s->Bind(1, tenant_).Bind(2, kind).Bind(3, id);
  return OneDoc(*s);
}

absl::StatusOr<std::optional<Doc>> SqliteTransaction::FindDocByRef(absl::string_view kind,
                                                                   absl::string_view ref) {
  PREPARE_OR_RETURN(s, c_, absl::StrCat(kDocCols, "WHERE tenant=? AND kind=? AND ref=?"));
  s->Bind(1, tenant_).Bind(2, kind).Bind(3, ref);
  return OneDoc(*s);
}

absl::StatusOr<std::optional<Doc>> SqliteTransaction::FindDocByNumber(absl::string_view kind,
                                                                      absl::string_view customer,
                                                                      absl::string_view number) {
  PREPARE_OR_RETURN(s, c_,
                    absl::StrCat(kDocCols,
                                 "WHERE tenant=? AND kind=? AND customer=? AND number=? "
                                 "ORDER BY id LIMIT 1"));
  s->Bind(1, tenant_).Bind(2, kind).Bind(3, customer).Bind(4, number);
  return OneDoc(*s);
}

absl::Status SqliteTransaction::PutDoc(const Doc& d) {
  PREPARE_OR_RETURN(s, c_,
                    "INSERT INTO docs(tenant, kind, id, customer, ref, number, body) "
                    "VALUES (?,?,?,?,?,?,?) ON CONFLICT(tenant, kind, id) DO UPDATE SET "
                    "customer=excluded.customer, ref=excluded.ref, number=excluded.number, "
                    "body=excluded.body");
  s->Bind(1, tenant_).Bind(2, d.kind).Bind(3, d.id).Bind(4, d.customer);
  s->BindNullable(5, d.ref).BindNullable(6, d.number).BindBlob(7, d.body);
  return s->Exec();
}

absl::Status SqliteTransaction::DeleteDoc(absl::string_view kind, absl::string_view id) {
  PREPARE_OR_RETURN(s, c_, "DELETE FROM docs WHERE tenant=? AND kind=? AND id=?");
  s->Bind(1, tenant_).Bind(2, kind).Bind(3, id);
  return s->Exec();
}

absl::StatusOr<std::vector<Doc>> SqliteTransaction::ListDocsByNumber(absl::string_view kind,
                                                                     absl::string_view after_number,
                                                                     int limit) {
  PREPARE_OR_RETURN(s, c_,
                    absl::StrCat(kDocCols,
                                 "INDEXED BY docs_kind_number WHERE tenant=? AND "
                                 "kind=? AND number IS NOT NULL AND number>? "
                                 "ORDER BY number LIMIT ?"));
  s->Bind(1, tenant_).Bind(2, kind).Bind(3, after_number).Bind(4, static_cast<int64_t>(limit));
  return ReadDocs(*s);
}

absl::StatusOr<std::vector<Doc>> SqliteTransaction::ListDocs(absl::string_view kind,
                                                             absl::string_view customer,
                                                             absl::string_view after_id,
                                                             int limit) {
  std::string sql = absl::StrCat(kDocCols, "WHERE tenant=? AND kind=? AND id>? ",
                                 customer.empty() ? "" : "AND customer=? ", "ORDER BY id LIMIT ?");
  PREPARE_OR_RETURN(s, c_, sql);
  int i = 1;
  s->Bind(i++, tenant_);
  s->Bind(i++, kind);
  s->Bind(i++, after_id);
  if (!customer.empty()) s->Bind(i++, customer);
  s->Bind(i++, static_cast<int64_t>(limit));
  return ReadDocs(*s);
}

// One statement for every kind: kind IN (?, ...) probes the docs_customer
// index (tenant, kind, customer, id) once per kind. The text depends only on
// the number of kinds, so a caller with a fixed list prepares it once.
absl::StatusOr<std::vector<Doc>> SqliteTransaction::ListCustomerDocs(
    absl::string_view customer, const std::vector<std::string>& kinds, int limit) {
  if (kinds.empty()) return std::vector<Doc>();
  std::string marks = "?";
  for (size_t k = 1; k < kinds.size(); ++k) marks += ",?";
  PREPARE_OR_RETURN(s, c_,
                    absl::StrCat(kDocCols, "WHERE tenant=? AND customer=? AND kind IN (", marks,
                                 ") ORDER BY kind, id LIMIT ?"));
  int i = 1;
  s->Bind(i++, tenant_);
  s->Bind(i++, customer);
  for (const std::string& kind : kinds) s->Bind(i++, kind);
  s->Bind(i++, static_cast<int64_t>(limit));
  return ReadDocs(*s);
}

absl::StatusOr<std::optional<InvoiceRow>> SqliteTransaction::GetInvoice(absl::string_view id) {
  PREPARE_OR_RETURN(s, c_, absl::StrCat(kInvCols, "WHERE tenant=? AND id=?"));
  s->Bind(1, tenant_).Bind(2, id);
  return OneInvoice(*s);
}

absl::StatusOr<std::optional<InvoiceRow>> SqliteTransaction::FindInvoiceByRef(
    absl::string_view ref) {
  PREPARE_OR_RETURN(s, c_, absl::StrCat(kInvCols, "WHERE tenant=? AND ref=?"));
  s->Bind(1, tenant_).Bind(2, ref);
  return OneInvoice(*s);
}

absl::StatusOr<std::optional<InvoiceRow>> SqliteTransaction::FindInvoiceByNumber(
    absl::string_view customer, absl::string_view number) {
  PREPARE_OR_RETURN(s, c_,
                    absl::StrCat(kInvCols,
                                 "WHERE tenant=? AND customer=? AND number=? "
                                 "ORDER BY id LIMIT 1"));
  s->Bind(1, tenant_).Bind(2, customer).Bind(3, number);
  return OneInvoice(*s);
}

absl::Status SqliteTransaction::PutInvoice(const InvoiceRow& r) {
  PREPARE_OR_RETURN(
      s, c_,
      "INSERT INTO invoices(tenant, id, customer, ref, number, currency, issue_day, due_day, "
      "total, amount_due, status, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(tenant, id) DO UPDATE SET customer=excluded.customer, ref=excluded.ref, "
      "number=excluded.number, currency=excluded.currency, issue_day=excluded.issue_day, "
      "due_day=excluded.due_day, total=excluded.total, amount_due=excluded.amount_due, "
      "status=excluded.status, body=excluded.body");
  s->Bind(1, tenant_).Bind(2, r.id).Bind(3, r.customer).BindNullable(4, r.ref);
  s->Bind(5, r.number).Bind(6, r.currency).Bind(7, r.issue_day).Bind(8, r.due_day);
  s->Bind(9, r.total).Bind(10, r.amount_due).Bind(11, static_cast<int64_t>(r.status));
  s->BindBlob(12, r.body);
  return s->Exec();
}

absl::StatusOr<std::vector<InvoiceRow>> SqliteTransaction::ListInvoices(const InvoiceFilter& f) {
  std::string sql = absl::StrCat(kInvCols, "WHERE tenant=? AND id>? ");
  if (!f.customer.empty()) sql += "AND customer=? ";
  if (!f.currency.empty()) sql += "AND currency=? ";
  if (!f.statuses.empty()) {
    absl::StrAppend(&sql, "AND status IN (", absl::StrJoin(f.statuses, ","), ") ");
  }
  if (f.overdue_as_of_day) {
    absl::StrAppend(&sql, "AND amount_due>0 AND ", OutstandingStatusSql(), " AND due_day<? ");
  }
  sql += "ORDER BY id LIMIT ?";
  PREPARE_OR_RETURN(s, c_, sql);
  int i = 1;
  s->Bind(i++, tenant_);
  s->Bind(i++, f.after_id);
  if (!f.customer.empty()) s->Bind(i++, f.customer);
  if (!f.currency.empty()) s->Bind(i++, f.currency);
  if (f.overdue_as_of_day) s->Bind(i++, *f.overdue_as_of_day);
  s->Bind(i++, static_cast<int64_t>(f.limit));
  std::vector<InvoiceRow> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadInvoice(*s));
  }
  return out;
}

absl::StatusOr<std::vector<SettlementRow>> SqliteTransaction::ListSettlements(
    const std::vector<std::string>& invoice_ids) {
  std::vector<SettlementRow> out;
  PREPARE_OR_RETURN(s, c_,
                    "SELECT invoice_id, source_kind, source_id, day, amount FROM settlements "
                    "WHERE tenant=? AND invoice_id=? ORDER BY rowid");
  for (const auto& id : invoice_ids) {
    s->Bind(1, tenant_).Bind(2, id);
    RETURN_IF_ERROR(ReadSettlements(*s, &out));
    s->Reset();
  }
  return out;
}

absl::StatusOr<std::vector<SettlementRow>> SqliteTransaction::ListSettlementsBySource(
    absl::string_view kind, absl::string_view id) {
  std::vector<SettlementRow> out;
  PREPARE_OR_RETURN(s, c_,
                    "SELECT invoice_id, source_kind, source_id, day, amount FROM settlements "
                    "WHERE tenant=? AND source_kind=? AND source_id=? ORDER BY rowid");
  s->Bind(1, tenant_).Bind(2, kind).Bind(3, id);
  RETURN_IF_ERROR(ReadSettlements(*s, &out));
  return out;
}

absl::Status SqliteTransaction::ReplaceSettlements(absl::string_view kind, absl::string_view id,
                                                   const std::vector<SettlementRow>& rows) {
  {
    PREPARE_OR_RETURN(d, c_,
                      "DELETE FROM settlements WHERE tenant=? AND source_kind=? AND source_id=?");
    d->Bind(1, tenant_).Bind(2, kind).Bind(3, id);
    RETURN_IF_ERROR(d->Exec());
  }
  for (const auto& r : rows) {
    PREPARE_OR_RETURN(s, c_,
                      "INSERT INTO settlements(tenant, invoice_id, source_kind, source_id, day, "
                      "amount) VALUES (?,?,?,?,?,?)");
    s->Bind(1, tenant_).Bind(2, r.invoice_id).Bind(3, kind).Bind(4, id).Bind(5, r.day);
    s->Bind(6, r.amount);
    RETURN_IF_ERROR(s->Exec());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EventRow>> ReadEvents(Connection& c, absl::string_view tenant,
                                                 const EventFilter& f) {
  std::string sql =
      "SELECT seq, tenant, customer, resource, body FROM events WHERE tenant=? AND seq>? ";
  if (!f.customer.empty()) sql += "AND customer=? ";
  if (!f.resource_prefix.empty()) sql += "AND substr(resource, 1, ?)=? ";
  sql += "ORDER BY seq LIMIT ?";
  PREPARE_OR_RETURN(s, c, sql);
  int i = 1;
  s->Bind(i++, tenant);
  s->Bind(i++, f.after_sequence);
  if (!f.customer.empty()) s->Bind(i++, f.customer);
  if (!f.resource_prefix.empty()) {
    s->Bind(i++, static_cast<int64_t>(f.resource_prefix.size()));
    s->Bind(i++, f.resource_prefix);
  }
  s->Bind(i++, static_cast<int64_t>(f.limit));
  std::vector<EventRow> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(EventRow{s->Int(0), s->Text(1), s->Text(2), s->Text(3), s->Text(4), ""});
  }
  return out;
}

absl::StatusOr<std::vector<EventRow>> SqliteTransaction::ListEvents(const EventFilter& f) {
  return ReadEvents(c_, tenant_, f);
}

absl::StatusOr<int64_t> SqliteTransaction::AppendEvent(const EventRow& e) {
  PREPARE_OR_RETURN(s, c_, "INSERT INTO events(tenant, customer, resource, body) VALUES (?,?,?,?)");
  s->Bind(1, tenant_).Bind(2, e.customer).Bind(3, e.resource).BindBlob(4, e.body);
  RETURN_IF_ERROR(s->Exec());
  wrote_event_ = true;
  return sqlite3_last_insert_rowid(c_.db());
}

absl::StatusOr<std::optional<StoredRequest>> SqliteTransaction::GetRequest(
    absl::string_view request_id) {
  PREPARE_OR_RETURN(s, c_,
                    "SELECT method, request_hash, response FROM requests "
                    "WHERE tenant=? AND request_id=?");
  s->Bind(1, tenant_).Bind(2, request_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<StoredRequest>();
  return std::optional<StoredRequest>(StoredRequest{s->Text(0), s->Text(1), s->Text(2)});
}

absl::Status SqliteTransaction::PutRequest(absl::string_view request_id, const StoredRequest& r) {
  PREPARE_OR_RETURN(s, c_,
                    "INSERT INTO requests(tenant, request_id, method, request_hash, response) "
                    "VALUES (?,?,?,?,?)");
  s->Bind(1, tenant_).Bind(2, request_id).Bind(3, r.method).Bind(4, r.request_hash);
  s->BindBlob(5, r.response);
  return s->Exec();
}

absl::StatusOr<std::vector<std::string>> SqliteTransaction::ListDocKinds() {
  PREPARE_OR_RETURN(s, c_, "SELECT DISTINCT kind FROM docs WHERE tenant=? ORDER BY kind");
  s->Bind(1, tenant_);
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(s->Text(0));
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, StoredRequest>>> SqliteTransaction::ListRequests(
    absl::string_view after_id, int limit) {
  PREPARE_OR_RETURN(s, c_,
                    "SELECT request_id, method, request_hash, response FROM requests "
                    "WHERE tenant=? AND request_id>? ORDER BY request_id LIMIT ?");
  s->Bind(1, tenant_).Bind(2, after_id).Bind(3, static_cast<int64_t>(limit));
  std::vector<std::pair<std::string, StoredRequest>> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.emplace_back(s->Text(0), StoredRequest{s->Text(1), s->Text(2), s->Text(3)});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<int64_t, SettlementRow>>>
SqliteTransaction::ListSettlementsInOrder(int64_t after, int limit) {
  PREPARE_OR_RETURN(s, c_,
                    "SELECT rowid, invoice_id, source_kind, source_id, day, amount "
                    "FROM settlements WHERE tenant=? AND rowid>? ORDER BY rowid LIMIT ?");
  s->Bind(1, tenant_).Bind(2, after).Bind(3, static_cast<int64_t>(limit));
  std::vector<std::pair<int64_t, SettlementRow>> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.emplace_back(s->Int(0),
                     SettlementRow{s->Text(1), s->Text(2), s->Text(3), s->Int(4), s->Int(5)});
  }
  return out;
}

absl::StatusOr<std::optional<Doc>> SqliteTransaction::OneDoc(Stmt& s) {
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<Doc>();
  return std::optional<Doc>(ReadDoc(s));
}

absl::StatusOr<std::optional<InvoiceRow>> SqliteTransaction::OneInvoice(Stmt& s) {
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<InvoiceRow>();
  return std::optional<InvoiceRow>(ReadInvoice(s));
}

absl::Status SqliteTransaction::ReadSettlements(Stmt& s, std::vector<SettlementRow>* out) {
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out->push_back(SettlementRow{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4)});
  }
  // Leave the statement ready for the next binding.
  return absl::OkStatus();
}

}  // namespace collections::store::sqlite
