// The storage interface of the sidecar. collectionsd talks to exactly one
// Store, opened by URI ("sqlite:/path/ledger.db", "sqlite::memory:",
// "postgresql://..."). Everything a request changes happens inside one
// Transaction passed to Store::Run, so a mutation, its derived balances and
// its audit event commit together or not at all.
//
// Records are stored as serialized collections_sidecar.v1 messages plus the key and
// index columns that queries need. Two shapes exist:
//   * documents: customers, payments, credit notes and every later record
//     kind (contacts, promises, plans, outbox ...), keyed by (tenant, kind,
//     id) with an optional unique external reference and a customer column;
//   * invoices: a dedicated table with the columns aging needs, plus the
//     settlements (payment, credit, write-off allocations) that reduce them.
#ifndef COLLECTIONS_STORE_STORE_H_
#define COLLECTIONS_STORE_STORE_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/base/status_macros.h"

namespace collections::store {

// A generic stored record.
struct Doc {
  std::string kind;      // e.g. "customer", "payment", "credit_note"
  std::string id;        // unique per (tenant, kind)
  std::string customer;  // owning customer id, or empty
  std::string ref;       // "source_system/id" external reference, or empty
  std::string number;    // human number (invoice/credit-note number), or empty
  std::string body;      // serialized message
};

// One allocation that reduces an invoice's amount due.
struct SettlementRow {
  std::string invoice_id;
  std::string source_kind;  // "payment", "credit_note", "write_off"
  std::string source_id;
  int64_t day = 0;     // day number (dates.h DayNumber)
  int64_t amount = 0;  // minor units, > 0
};

struct InvoiceRow {
  std::string id;
  std::string customer;
  std::string ref;
  std::string number;
  std::string currency;
  int64_t issue_day = 0;
  int64_t due_day = 0;
  int64_t total = 0;
  int64_t amount_due = 0;  // derived; kept in step with settlements
  int status = 0;          // collections_sidecar.v1.Invoice.Status value
  std::string body;        // serialized collections_sidecar.v1.Invoice
};

struct InvoiceFilter {
  std::string customer;                      // empty = all
  std::vector<int> statuses;                 // empty = all
  std::string currency;                      // empty = all
  std::optional<int64_t> overdue_as_of_day;  // amount_due > 0 and due_day < day
  std::string after_id;                      // keyset pagination: ids > after_id
  int limit = 100;
};

struct EventRow {
  int64_t sequence = 0;  // assigned by AppendEvent
  std::string tenant;
  std::string customer;
  std::string resource;
  // Serialized collections_sidecar.v1.StoredEvent (older rows: a
  // collections_sidecar.v1.Event with JSON before/after).
  std::string body;
  // The event's type ("invoice.created"...), given by the writer for the
  // store's decorators (the case keeper names a case's change by it); not
  // stored apart from the body, so empty on rows read back.
  std::string type;
};

struct EventFilter {
  std::string customer;
  std::string resource_prefix;
  int64_t after_sequence = 0;
  int limit = 100;
};

// A collection case (collections_sidecar.v1.Case) with the columns its lists need.
// One per customer. `due_day` is the next day the daily run must look at the
// case (kNoDueDay when only an event can move it).
inline constexpr int64_t kNoDueDay = INT64_MAX;
struct CaseRow {
  std::string customer;
  int state = 0;  // collections_sidecar.v1.Case.State value
  int stage = 0;  // collections_sidecar.v1.CollectionStage value
  bool paused = false;
  std::string owner;
  int64_t priority = 0;
  std::string currency;  // main currency of the overdue amount
  int64_t overdue = 0;   // minor units of `currency`
  int64_t due_day = kNoDueDay;
  std::string body;  // serialized collections_sidecar.v1.Case
};

// Cases by priority (descending), ties by customer (ascending): keyset
// pagination continues after (after_priority, after_customer).
struct CaseFilter {
  std::vector<int> states;  // empty = all
  int stage = 0;            // 0 = all
  std::optional<bool> paused;
  std::string owner;                   // empty = all
  std::optional<int64_t> min_overdue;  // inclusive
  std::optional<int64_t> max_overdue;  // inclusive
  bool overdue_only = false;
  bool has_after = false;
  int64_t after_priority = 0;
  std::string after_customer;
  int limit = 100;
};

// A case whose refresh was deferred: a write that touched many customers at
// once (a bulk sync chunk) notes each one here instead of moving its case in
// the same transaction; the case keeper moves it later from the last event
// and its day (app/cases_app.h). One row per customer: a later mark replaces
// an earlier one.
struct StaleCase {
  std::string customer;
  std::string event;  // the audit event type of the last change
  int64_t day = 0;    // the day of that change (domain::DayNumber)
};

struct StoredRequest {
  std::string method;
  std::string request_hash;
  std::string response;  // serialized response message
};

// Aging pushed down to the database (the report over a whole portfolio).
// kAmountDue buckets the amount due as of the day by days past due (the
// aged-receivables report); kInvoiced buckets the totals of the invoices
// issued up to the day, void ones excepted, by days since issue (the sales
// of each period, which countback DSO walks back through).
enum class AgingMeasure { kAmountDue, kInvoiced };
struct AgingQuery {
  int64_t as_of_day = 0;
  std::vector<int> bucket_bounds;  // upper bounds, ascending (see domain::MakeBuckets)
  bool by_customer = true;
  std::string currency;                // filter, empty = all
  std::vector<std::string> customers;  // filter, empty = all
  AgingMeasure measure = AgingMeasure::kAmountDue;
};
struct AgingCell {
  std::string customer;  // empty when grouped by currency only
  std::string currency;
  int bucket = 0;  // index into MakeBuckets(bucket_bounds)
  int64_t amount = 0;
  int64_t count = 0;
};

// All reads and writes of one unit of work. Not thread-safe; lives only
// inside Store::Run. Methods return Internal/Unavailable on storage errors
// and Aborted on a conflict that the store's retry loop handles.
//
// A backend may defer a write's outcome (PostgreSQL sends its writes in a
// pipeline and reads their results with the transaction's next read or at
// commit). A deferred failure is returned by the call that learns of it and
// by every later call of the transaction, and the transaction does not
// commit: a write's error is never lost, only reported later.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Documents.
  virtual absl::StatusOr<std::optional<Doc>> GetDoc(absl::string_view kind,
                                                    absl::string_view id) = 0;
  virtual absl::StatusOr<std::optional<Doc>> FindDocByRef(absl::string_view kind,
                                                          absl::string_view ref) = 0;
  virtual absl::StatusOr<std::optional<Doc>> FindDocByNumber(absl::string_view kind,
                                                             absl::string_view customer,
                                                             absl::string_view number) = 0;
  // Inserts or replaces by (kind, id). AlreadyExists if `ref` belongs to
  // another id (possibly deferred, see above); the document is not written.
  virtual absl::Status PutDoc(const Doc& doc) = 0;
  virtual absl::Status DeleteDoc(absl::string_view kind, absl::string_view id) = 0;
  // Ids ascending, after `after_id`; `customer` empty = all customers.
  virtual absl::StatusOr<std::vector<Doc>> ListDocs(absl::string_view kind,
                                                    absl::string_view customer,
                                                    absl::string_view after_id, int limit) = 0;
  // Every document of `customer` whose kind is one of `kinds`, by kind and
  // then id ascending (byte order), at most `limit`: one read where ListDocs
  // takes one per kind (customer_doc_cache.h). The default asks ListDocs kind
  // by kind; the backends answer with one statement.
  virtual absl::StatusOr<std::vector<Doc>> ListCustomerDocs(absl::string_view customer,
                                                            const std::vector<std::string>& kinds,
                                                            int limit) {
    std::vector<std::string> sorted = kinds;
    std::sort(sorted.begin(), sorted.end());
    std::vector<Doc> out;
    for (const std::string& kind : sorted) {
      std::string after;
      while (static_cast<int>(out.size()) < limit) {
        const int want = limit - static_cast<int>(out.size());
        ASSIGN_OR_RETURN(std::vector<Doc> page, ListDocs(kind, customer, after, want));
        if (page.empty()) break;
        after = page.back().id;
        const bool last = static_cast<int>(page.size()) < want;
        for (Doc& d : page) out.push_back(std::move(d));
        if (last) break;
      }
    }
    return out;
  }
  // Documents of `kind` with a number, by number ascending (byte order),
  // numbers > `after_number`, across customers. Served by an index: kinds
  // whose number is a fixed-width sequence (the outbox) read a cursor range.
  virtual absl::StatusOr<std::vector<Doc>> ListDocsByNumber(absl::string_view kind,
                                                            absl::string_view after_number,
                                                            int limit) = 0;

  // Invoices.
  virtual absl::StatusOr<std::optional<InvoiceRow>> GetInvoice(absl::string_view id) = 0;
  virtual absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByRef(absl::string_view ref) = 0;
  virtual absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByNumber(
      absl::string_view customer, absl::string_view number) = 0;
  virtual absl::Status PutInvoice(const InvoiceRow& row) = 0;
  virtual absl::StatusOr<std::vector<InvoiceRow>> ListInvoices(const InvoiceFilter& filter) = 0;

  // Settlements.
  virtual absl::StatusOr<std::vector<SettlementRow>> ListSettlements(
      const std::vector<std::string>& invoice_ids) = 0;
  virtual absl::StatusOr<std::vector<SettlementRow>> ListSettlementsBySource(
      absl::string_view source_kind, absl::string_view source_id) = 0;
  // Replaces every settlement of (source_kind, source_id) with `rows`.
  virtual absl::Status ReplaceSettlements(absl::string_view source_kind,
                                          absl::string_view source_id,
                                          const std::vector<SettlementRow>& rows) = 0;

  // Collection cases.
  virtual absl::StatusOr<std::optional<CaseRow>> GetCase(absl::string_view customer) = 0;
  virtual absl::Status PutCase(const CaseRow& row) = 0;
  virtual absl::StatusOr<std::vector<CaseRow>> ListCases(const CaseFilter& filter) = 0;
  // How many cases match `filter` (its keyset and limit are ignored).
  virtual absl::StatusOr<int64_t> CountCases(const CaseFilter& filter) = 0;
  // Customers whose case has due_day <= `day`, ascending, after `after`.
  virtual absl::StatusOr<std::vector<std::string>> ListDueCases(int64_t day,
                                                                absl::string_view after,
                                                                int limit) = 0;

  // Audit log. Returns the sequence assigned.
  virtual absl::StatusOr<int64_t> AppendEvent(const EventRow& event) = 0;
  // The same, for a writer that does not need the sequence: a backend may
  // then defer the write (see above).
  virtual absl::Status AddEvent(const EventRow& event) { return AppendEvent(event).status(); }
  // The events `filter` selects, in sequence order, as this transaction sees
  // the log: in a read transaction, from the same snapshot as its other
  // reads (a document and its audit trail agree). Events this transaction
  // added may be missing (AddEvent may defer them). A backend without it
  // answers Unimplemented, and the caller reads Store::ListEvents instead.
  virtual absl::StatusOr<std::vector<EventRow>> ListEvents(const EventFilter& filter) {
    return absl::UnimplementedError("Transaction::ListEvents");
  }

  // Idempotency records (request_id).
  virtual absl::StatusOr<std::optional<StoredRequest>> GetRequest(absl::string_view request_id) = 0;
  virtual absl::Status PutRequest(absl::string_view request_id, const StoredRequest& request) = 0;

  // Deferred case refreshes (StaleCase). A backend that does not keep them
  // answers Unimplemented, and the keeper then moves every case in the
  // writing transaction.
  virtual absl::Status MarkCasesStale(const std::vector<StaleCase>& cases) {
    return absl::UnimplementedError("MarkCasesStale");
  }
  // Marks in customer order (at most `limit`); with `customer` set, only its
  // mark. Writers of one tenant run one after the other on every backend,
  // so marks listed in a write transaction are refreshed by that one alone.
  virtual absl::StatusOr<std::vector<StaleCase>> ListStaleCases(absl::string_view customer,
                                                                int limit) {
    return absl::UnimplementedError("ListStaleCases");
  }
  virtual absl::Status ClearStaleCases(const std::vector<std::string>& customers) {
    return absl::UnimplementedError("ClearStaleCases");
  }

  // Enumeration of everything a tenant holds, for copying a tenant between
  // stores (copy_tenant.h). The backends implement these; a wrapper that
  // does not forward them answers Unimplemented.
  //
  // Every document kind the tenant has, ascending.
  virtual absl::StatusOr<std::vector<std::string>> ListDocKinds() {
    return absl::UnimplementedError("ListDocKinds");
  }
  // Idempotency records with request id > after_id, ascending by id.
  virtual absl::StatusOr<std::vector<std::pair<std::string, StoredRequest>>> ListRequests(
      absl::string_view after_id, int limit) {
    return absl::UnimplementedError("ListRequests");
  }
  // The tenant's settlements in insertion order, each with its position in
  // that order; those after position `after` (0 = from the start). The rows
  // of one source are always contiguous (ReplaceSettlements writes them
  // together), so replaying runs of equal source reproduces the order.
  virtual absl::StatusOr<std::vector<std::pair<int64_t, SettlementRow>>> ListSettlementsInOrder(
      int64_t after, int limit) {
    return absl::UnimplementedError("ListSettlementsInOrder");
  }
};

enum class TxMode { kRead, kWrite };

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in one transaction of `tenant`. Commits when fn returns OK,
  // rolls back otherwise (and returns fn's status). Write transactions that
  // hit a serialization conflict are retried; Aborted once retries run out.
  // Thread-safe.
  virtual absl::Status Run(absl::string_view tenant, TxMode mode,
                           const std::function<absl::Status(Transaction&)>& fn) = 0;

  // Events of `tenant` in sequence order. Thread-safe.
  virtual absl::StatusOr<std::vector<EventRow>> ListEvents(absl::string_view tenant,
                                                           const EventFilter& filter) = 0;
  // Blocks until an event with sequence > after_sequence may exist, or the
  // deadline passes. Spurious wake-ups are allowed. Thread-safe.
  virtual void WaitForEvents(int64_t after_sequence, absl::Time deadline) = 0;

  // Aging over the whole tenant. Thread-safe.
  virtual absl::StatusOr<std::vector<AgingCell>> Aging(absl::string_view tenant,
                                                       const AgingQuery& query) = 0;
  // The same cells one at a time, in (customer, currency, bucket) byte
  // order, without holding them all (a 1M-invoice ledger has hundreds of
  // thousands). An error from `visit` stops the walk and is returned. The
  // default collects Aging() and sorts it. Thread-safe.
  virtual absl::Status VisitAging(absl::string_view tenant, const AgingQuery& query,
                                  const std::function<absl::Status(const AgingCell&)>& visit) {
    absl::StatusOr<std::vector<AgingCell>> cells = Aging(tenant, query);
    if (!cells.ok()) return cells.status();
    const auto order = [](const AgingCell& a, const AgingCell& b) {
      return std::tie(a.customer, a.currency, a.bucket) <
             std::tie(b.customer, b.currency, b.bucket);
    };
    if (!std::is_sorted(cells->begin(), cells->end(), order)) {
      std::sort(cells->begin(), cells->end(), order);
    }
    for (const AgingCell& c : *cells) {
      absl::Status st = visit(c);
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }

  // Lists tenants that have any data (for migration and metrics).
  virtual absl::StatusOr<std::vector<std::string>> ListTenants() = 0;

  // A short name for logs and metrics: "sqlite", "postgresql".
  virtual absl::string_view Backend() const = 0;
};

// Opens the store named by `uri`: "sqlite:<path>", "sqlite::memory:" or,
// when built with PostgreSQL support, "postgresql://...". Migrates the schema
// to the current version. InvalidArgument for an unknown scheme.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(absl::string_view uri);

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_STORE_H_
