// Connections to the server: one connection and its prepared statements,
// the bounded pool, and the mapping of SQLSTATEs to status codes.
#include <algorithm>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"
#include "service/store/postgres/postgres_internal.h"

namespace collections::store::pg {
namespace {

constexpr absl::Duration kPoolWait = absl::Seconds(30);
constexpr size_t kMaxPrepared = 256;  // named statements per connection

}  // namespace

int64_t GetBe(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  // Sign-extend values narrower than 64 bits.
  if (n < 8 && n > 0 && (static_cast<unsigned char>(p[0]) & 0x80) != 0) {
    v |= ~uint64_t{0} << (8 * n);
  }
  return static_cast<int64_t>(v);
}

absl::Status PgError(const PGresult* r, PGconn* conn, absl::string_view what) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* detail = r != nullptr ? PQresultErrorMessage(r) : "";
  if (detail == nullptr || *detail == '\0') detail = PQerrorMessage(conn);
  std::string msg = absl::StrCat("postgresql ", what, ": ", absl::StripAsciiWhitespace(detail));
  const absl::string_view s = state != nullptr ? state : "";
  if (IsRetryableState(s) || s == "55P03") return absl::AbortedError(msg);
  if (s == "23505") return absl::AlreadyExistsError(msg);
  if (s == "23503" || s == "23514") return absl::FailedPreconditionError(msg);
  // numeric_value_out_of_range: a SUM(...)::bigint of amounts past 2^63.
  if (s == "22003") {
    return domain::AmountSumOverflow("a sum of amounts");
  }
  if (PQstatus(conn) != CONNECTION_OK || absl::StartsWith(s, "08") || absl::StartsWith(s, "57P")) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

PgConn::~PgConn() {
  if (c_ != nullptr) PQfinish(c_);
}

absl::StatusOr<std::unique_ptr<PgConn>> PgConn::Open(const std::string& uri) {
  // Later entries win: the URI's own connect_timeout overrides ours.
  const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name", nullptr};
  const char* values[] = {"10", uri.c_str(), "collectionsd", nullptr};
  std::unique_ptr<PgConn> c(new PgConn(PQconnectdbParams(keys, values, /*expand_dbname=*/1)));
  if (c->c_ == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  if (PQstatus(c->c_) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to postgresql: ",
                                               absl::StripAsciiWhitespace(PQerrorMessage(c->c_))));
  }
  // Notices ("relation already exists, skipping") are not errors; keep
  // them off stderr.
  PQsetNoticeProcessor(
      c->c_, [](void*, const char*) {}, nullptr);
  // An acknowledged write is a committed one: a role or database default
  // of synchronous_commit=off would acknowledge commits that a crash can
  // still lose, so this session turns it back on (local, remote_write, on
  // and remote_apply all flush the local WAL before COMMIT returns).
  ResultPtr sc(PQexec(c->c_, "SHOW synchronous_commit"));
  if (PQresultStatus(sc.get()) != PGRES_TUPLES_OK || PQntuples(sc.get()) != 1 ||
      std::string_view(PQgetvalue(sc.get(), 0, 0)) == "off") {
    RETURN_IF_ERROR(c->Exec("SET synchronous_commit TO on"));
  }
  return c;
}

absl::Status PgConn::Exec(const std::string& sql, std::string* tag) {
  // PQexec is not allowed in a pipeline. A ROLLBACK goes ahead whatever the
  // pipelined writes did; anything else reports their failure instead.
  if (absl::Status flushed = Flush(); !flushed.ok() && sql != "ROLLBACK") return flushed;
  ResultPtr r(PQexec(c_, sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return Failed(r.get(), sql);
  }
  if (tag != nullptr) *tag = PQcmdStatus(r.get());
  return absl::OkStatus();
}

absl::StatusOr<Rows> PgConn::Query(const std::string& sql, const Params& p) {
  // Through the pipeline, behind any writes sent before it: one round trip
  // for all of them (and for a statement's first PREPARE).
  ResultPtr out;
  RETURN_IF_ERROR(SendStatement(sql, p, nullptr, &out));
  RETURN_IF_ERROR(Flush());
  return Rows(std::move(out));
}

absl::Status PgConn::Send(const std::string& sql, const Params& p, Check check) {
  RETURN_IF_ERROR(SendStatement(sql, p, std::move(check), nullptr));
  if (pending_.size() >= kMaxQueued) return Flush();
  return absl::OkStatus();
}

absl::Status PgConn::SendStatement(const std::string& sql, const Params& p, Check check,
                                   ResultPtr* out) {
  if (PQpipelineStatus(c_) == PQ_PIPELINE_OFF && PQenterPipelineMode(c_) != 1) {
    return Failed(nullptr, sql);
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  p.Pointers(&values, &lengths, &formats);
  auto it = prepared_.find(sql);
  int sent = 0;
  if (it == prepared_.end() && prepared_.size() >= kMaxPrepared) {
    sent = PQsendQueryParams(c_, sql.c_str(), p.size(), p.types(), values.data(), lengths.data(),
                             formats.data(), /*resultFormat=*/1);
  } else {
    if (it == prepared_.end()) {
      std::string name = absl::StrCat("c", prepared_.size());
      if (PQsendPrepare(c_, name.c_str(), sql.c_str(), p.size(), p.types()) != 1) {
        return Failed(nullptr, sql);
      }
      pending_.push_back(Pending{sql, nullptr, nullptr, /*prepare=*/true});
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    sent = PQsendQueryPrepared(c_, it->second.c_str(), p.size(), values.data(), lengths.data(),
                               formats.data(), /*resultFormat=*/1);
  }
  if (sent != 1) return Failed(nullptr, sql);
  pending_.push_back(Pending{sql, std::move(check), out, false});
  return absl::OkStatus();
}

absl::Status PgConn::Flush() {
  if (PQpipelineStatus(c_) == PQ_PIPELINE_OFF) return absl::OkStatus();
  std::vector<Pending> pending;
  pending.swap(pending_);
  if (PQpipelineSync(c_) != 1) {
    Discard();  // results would be out of step with what we expect
    return Failed(nullptr, "pipeline sync");
  }
  absl::Status first;
  for (Pending& q : pending) {
    ResultPtr r(PQgetResult(c_));
    if (r == nullptr) {  // the connection broke
      Discard();
      return first.ok() ? Failed(nullptr, q.sql) : first;
    }
    // Each statement's results end with a null result.
    while (PGresult* more = PQgetResult(c_)) PQclear(more);
    const ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_PIPELINE_ABORTED) continue;  // an earlier statement failed
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      if (q.prepare) prepared_.erase(q.sql);
      if (first.ok()) first = Failed(r.get(), q.sql);
      continue;
    }
    if (q.out != nullptr) {
      *q.out = std::move(r);
    } else if (q.check != nullptr && first.ok()) {
      first = q.check(Rows(std::move(r)));
    }
  }
  ResultPtr sync(PQgetResult(c_));
  if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC ||
      PQexitPipelineMode(c_) != 1) {
    Discard();
    if (first.ok()) first = Failed(sync.get(), "pipeline sync");
  }
  return first;
}

absl::Status PgConn::Failed(const PGresult* r, absl::string_view sql) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  last_state_ = state != nullptr ? state : (PQstatus(c_) != CONNECTION_OK ? "08000" : "XX000");
  // Name the statement by its first words only: bodies are not logged.
  absl::string_view head = sql.substr(0, std::min<size_t>(sql.size(), 60));
  return PgError(r, c_, head);
}

absl::StatusOr<std::unique_ptr<PgConn>> Pool::Acquire() {
  {
    absl::MutexLock l(&mu_);
    auto ready = [this]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !idle_.empty() || open_ < max_; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ready), kPoolWait)) {
      return absl::UnavailableError(absl::StrCat("postgresql: all ", max_,
                                                 " pooled connections busy for ",
                                                 absl::FormatDuration(kPoolWait)));
    }
    if (!idle_.empty()) {
      std::unique_ptr<PgConn> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;
  }
  absl::StatusOr<std::unique_ptr<PgConn>> c = PgConn::Open(uri_);
  if (!c.ok()) {
    absl::MutexLock l(&mu_);
    --open_;
  }
  return c;
}

void Pool::Release(std::unique_ptr<PgConn> c) {
  if (c == nullptr) return;
  c->clear_last_state();
  const bool keep = c->Reusable();
  absl::MutexLock l(&mu_);
  if (keep) {
    idle_.push_back(std::move(c));
  } else {
    --open_;
  }
}

}  // namespace collections::store::pg
