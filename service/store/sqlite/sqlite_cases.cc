// SqliteTransaction's cases: the case index the work queue and the daily run
// read, and the stale marks a bulk sync leaves for the refresher.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/base/status_macros.h"
#include "service/store/sqlite/sqlite_internal.h"

namespace collections::store::sqlite {
namespace {

constexpr char kCaseCols[] =
    "SELECT customer, state, stage, paused, owner, priority, currency, overdue, due_day, body "
    "FROM cases ";

CaseRow ReadCase(const Stmt& s) {
  CaseRow r;
  r.customer = s.Text(0);
  r.state = static_cast<int>(s.Int(1));
  r.stage = static_cast<int>(s.Int(2));
  r.paused = s.Int(3) != 0;
  r.owner = s.Text(4);
  r.priority = s.Int(5);
  r.currency = s.Text(6);
  r.overdue = s.Int(7);
  r.due_day = s.Int(8);
  r.body = s.Text(9);
  return r;
}

}  // namespace

absl::StatusOr<std::optional<CaseRow>> SqliteTransaction::GetCase(absl::string_view customer) {
  PREPARE_OR_RETURN(s, c_, absl::StrCat(kCaseCols, "WHERE tenant=? AND customer=?"));
  s->Bind(1, tenant_).Bind(2, customer);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<CaseRow>();
  return std::optional<CaseRow>(ReadCase(*s));
}

absl::Status SqliteTransaction::PutCase(const CaseRow& r) {
  PREPARE_OR_RETURN(s, c_,
                    "INSERT INTO cases(tenant, customer, state, stage, paused, owner, priority, "
                    "currency, overdue, due_day, body) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT(tenant, customer) DO UPDATE SET state=excluded.state, "
                    "stage=excluded.stage, paused=excluded.paused, owner=excluded.owner, "
                    "priority=excluded.priority, currency=excluded.currency, "
                    "overdue=excluded.overdue, due_day=excluded.due_day, body=excluded.body");
  s->Bind(1, tenant_).Bind(2, r.customer).Bind(3, int64_t{r.state}).Bind(4, int64_t{r.stage});
  s->Bind(5, int64_t{r.paused ? 1 : 0}).Bind(6, r.owner).Bind(7, r.priority);
  s->Bind(8, r.currency).Bind(9, r.overdue).Bind(10, r.due_day).BindBlob(11, r.body);
  return s->Exec();
}

absl::StatusOr<int64_t> SqliteTransaction::CountCases(const CaseFilter& filter) {
  CaseFilter f = filter;
  f.has_after = false;
  std::string sql = absl::StrCat("SELECT COUNT(*) FROM cases WHERE tenant=? ", CaseConditions(f));
  PREPARE_OR_RETURN(s, c_, sql);
  s->Bind(1, tenant_);
  if (!f.owner.empty()) s->Bind(2, f.owner);
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->Int(0) : 0;
}

std::string SqliteTransaction::CaseConditions(const CaseFilter& f) {
  std::string sql;
  if (!f.states.empty()) {
    absl::StrAppend(&sql, "AND state IN (", absl::StrJoin(f.states, ","), ") ");
  }
  if (f.stage != 0) absl::StrAppend(&sql, "AND stage=", f.stage, " ");
  if (f.paused) absl::StrAppend(&sql, "AND paused=", *f.paused ? 1 : 0, " ");
  if (!f.owner.empty()) absl::StrAppend(&sql, "AND owner=? ");
  if (f.min_overdue) absl::StrAppend(&sql, "AND overdue>=", *f.min_overdue, " ");
  if (f.max_overdue) absl::StrAppend(&sql, "AND overdue<=", *f.max_overdue, " ");
  if (f.overdue_only) absl::StrAppend(&sql, "AND overdue>0 ");
  // priority<=? repeats what the OR implies: it is the bound that starts the
  // index range at the page's position instead of the list's beginning.
  if (f.has_after) {
    absl::StrAppend(&sql, "AND priority<=? AND (priority<? OR (priority=? AND customer>?)) ");
  }
  return sql;
}

absl::StatusOr<std::vector<CaseRow>> SqliteTransaction::ListCases(const CaseFilter& f) {
  std::string sql = absl::StrCat(kCaseCols, "WHERE tenant=? ", CaseConditions(f));
  absl::StrAppend(&sql, "ORDER BY priority DESC, customer LIMIT ?");
  PREPARE_OR_RETURN(s, c_, sql);
  int i = 1;
  s->Bind(i++, tenant_);
  if (!f.owner.empty()) s->Bind(i++, f.owner);
  if (f.has_after) {
    s->Bind(i, f.after_priority);
    s->Bind(i + 1, f.after_priority);
    s->Bind(i + 2, f.after_priority);
    s->Bind(i + 3, f.after_customer);
    i += 4;
  }
  s->Bind(i++, static_cast<int64_t>(f.limit));
  std::vector<CaseRow> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadCase(*s));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> SqliteTransaction::ListDueCases(int64_t day,
                                                                         absl::string_view after,
                                                                         int limit) {
  PREPARE_OR_RETURN(s, c_,
                    "SELECT customer FROM cases WHERE tenant=? AND due_day<=? AND customer>? "
                    "ORDER BY customer LIMIT ?");
  s->Bind(1, tenant_).Bind(2, day).Bind(3, after).Bind(4, static_cast<int64_t>(limit));
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(s->Text(0));
  }
  return out;
}

absl::Status SqliteTransaction::MarkCasesStale(const std::vector<StaleCase>& cases) {
  PREPARE_OR_RETURN(s, c_,
                    "INSERT INTO stale_cases(tenant, customer, event, day) VALUES (?,?,?,?) "
                    "ON CONFLICT(tenant, customer) DO UPDATE SET event=excluded.event, "
                    "day=excluded.day");
  for (const StaleCase& c : cases) {
    s->Bind(1, tenant_).Bind(2, c.customer).Bind(3, c.event).Bind(4, c.day);
    RETURN_IF_ERROR(s->Exec());
    s->Reset();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StaleCase>> SqliteTransaction::ListStaleCases(absl::string_view customer,
                                                                         int limit) {
  PREPARE_OR_RETURN(s, c_,
                    "SELECT customer, event, day FROM stale_cases WHERE tenant=? "
                    "AND (?='' OR customer=?) ORDER BY customer LIMIT ?");
  // An empty view may have no data pointer, which SQLite would bind as NULL.
  const std::string who(customer);
  s->Bind(1, tenant_).Bind(2, who).Bind(3, who).Bind(4, static_cast<int64_t>(limit));
  std::vector<StaleCase> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(StaleCase{s->Text(0), s->Text(1), s->Int(2)});
  }
  return out;
}

absl::Status SqliteTransaction::ClearStaleCases(const std::vector<std::string>& customers) {
  PREPARE_OR_RETURN(s, c_, "DELETE FROM stale_cases WHERE tenant=? AND customer=?");
  for (const std::string& c : customers) {
    s->Bind(1, tenant_).Bind(2, c);
    RETURN_IF_ERROR(s->Exec());
    s->Reset();
  }
  return absl::OkStatus();
}

}  // namespace collections::store::sqlite
