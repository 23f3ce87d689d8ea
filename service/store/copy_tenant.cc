#include "service/store/copy_tenant.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"

namespace collections::store {
namespace {

constexpr int kPage = 1000;

// Whether the target already has anything of the tenant.
absl::StatusOr<bool> HoldsTenant(Store& store, absl::string_view tenant) {
  ASSIGN_OR_RETURN(std::vector<std::string> tenants, store.ListTenants());
  if (std::find(tenants.begin(), tenants.end(), tenant) != tenants.end()) return true;
  bool any_request = false;
  RETURN_IF_ERROR(store.Run(tenant, TxMode::kRead, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto requests, tx.ListRequests("", 1));
    any_request = !requests.empty();
    return absl::OkStatus();
  }));
  return any_request;
}

// Everything but the event log, from one source snapshot.
absl::Status CopyRows(Transaction& src, Transaction& dst, CopyStats* stats) {
  ASSIGN_OR_RETURN(std::vector<std::string> kinds, src.ListDocKinds());
  for (const std::string& kind : kinds) {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(std::vector<Doc> docs, src.ListDocs(kind, "", after, kPage));
      for (const Doc& d : docs) RETURN_IF_ERROR(dst.PutDoc(d));
      stats->docs += docs.size();
      if (docs.size() < static_cast<size_t>(kPage)) break;
      after = docs.back().id;
    }
  }
  // Invoices before settlements, which reference them.
  InvoiceFilter f;
  f.limit = kPage;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<InvoiceRow> rows, src.ListInvoices(f));
    for (const InvoiceRow& r : rows) RETURN_IF_ERROR(dst.PutInvoice(r));
    stats->invoices += rows.size();
    if (rows.size() < static_cast<size_t>(kPage)) break;
    f.after_id = rows.back().id;
  }
  // A source's rows are contiguous in insertion order: replay each run with
  // one ReplaceSettlements, in order.
  std::vector<SettlementRow> run;
  auto flush = [&]() -> absl::Status {
    if (run.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(dst.ReplaceSettlements(run[0].source_kind, run[0].source_id, run));
    stats->settlements += run.size();
    run.clear();
    return absl::OkStatus();
  };
  int64_t position = 0;
  while (true) {
    ASSIGN_OR_RETURN(auto rows, src.ListSettlementsInOrder(position, kPage));
    for (auto& [pos, row] : rows) {
      if (!run.empty() &&
          (run[0].source_kind != row.source_kind || run[0].source_id != row.source_id)) {
        RETURN_IF_ERROR(flush());
      }
      run.push_back(std::move(row));
      position = pos;
    }
    if (rows.size() < static_cast<size_t>(kPage)) break;
  }
  RETURN_IF_ERROR(flush());
  std::string after_request;
  while (true) {
    ASSIGN_OR_RETURN(auto requests, src.ListRequests(after_request, kPage));
    for (const auto& [id, r] : requests) RETURN_IF_ERROR(dst.PutRequest(id, r));
    stats->requests += requests.size();
    if (requests.size() < static_cast<size_t>(kPage)) break;
    after_request = requests.back().first;
  }
  return absl::OkStatus();
}

// The body of the target transaction. May run more than once (the target
// retries conflicts), so it starts from zero. The source's read transaction
// ends before its event log is read: Store::ListEvents may not be called
// inside the same store's Run.
absl::Status CopyInto(Store& from, Transaction& dst, absl::string_view tenant, CopyStats* stats) {
  *stats = CopyStats{};
  RETURN_IF_ERROR(
      from.Run(tenant, TxMode::kRead, [&](Transaction& src) { return CopyRows(src, dst, stats); }));
  EventFilter ef;
  ef.limit = kPage;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<EventRow> events, from.ListEvents(tenant, ef));
    for (const EventRow& e : events) {
      ASSIGN_OR_RETURN(stats->target_last_sequence, dst.AppendEvent(e));
      stats->source_last_sequence = e.sequence;
    }
    stats->events += events.size();
    if (events.size() < static_cast<size_t>(kPage)) break;
    ef.after_sequence = events.back().sequence;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CopyStats> CopyTenant(Store& from, Store& to, absl::string_view tenant) {
  if (tenant.empty()) {
    return domain::InvalidInput("INVALID_TENANT", "tenant", "required");
  }
  ASSIGN_OR_RETURN(bool occupied, HoldsTenant(to, tenant));
  if (occupied) {
    return domain::PreconditionError(
        "TENANT_EXISTS_IN_TARGET",
        absl::StrCat("the target store already holds data of tenant \"", tenant,
                     "\"; copy into an empty tenant (nothing is merged)"));
  }
  CopyStats stats;
  RETURN_IF_ERROR(to.Run(tenant, TxMode::kWrite,
                         [&](Transaction& dst) { return CopyInto(from, dst, tenant, &stats); }));
  return stats;
}

}  // namespace collections::store
