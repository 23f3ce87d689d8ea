// Pieces every application service shares: the caller's context, proto
// conversions of dates and money, page tokens, request_id idempotency and
// audit events. Application services speak collections_sidecar.v1 messages but know
// nothing of gRPC: the API edge (service/api) calls them.
#ifndef COLLECTIONS_APP_APP_COMMON_H_
#define COLLECTIONS_APP_APP_COMMON_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collections_sidecar/v1/audit.pb.h"
#include "collections_sidecar/v1/types.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "service/app/page_token.h"
#include "service/base/dates.h"
#include "service/base/money.h"
#include "service/messages/convert.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

// Who is calling, as established by the API edge.
struct CallContext {
  // Recorded on every audit event: a token identity, "sync:<id>", ...
  std::string actor = "anonymous";
  // When non-empty, the only tenant this caller may touch (a
  // token or certificate bound to one tenant).
  std::string allowed_tenant;
};

// Fails with PERMISSION_DENIED when the caller may not act for `tenant`.
absl::Status CheckTenant(const CallContext& ctx, absl::string_view tenant);

// Date <-> CivilDay. ToDay fails with INVALID_ARGUMENT naming `field`.
absl::StatusOr<absl::CivilDay> ToDay(const v1::Date& date, absl::string_view field);
v1::Date ToProtoDate(absl::CivilDay day);
bool HasDate(const v1::Date& date);

// ------------------------------------------------ one notion of time
// Every call that decides or writes something acts on one day, its as_of.
// A past day replays: the call decides as it would have on that day and
// dates what it writes on that day. A future day may be simulated by calls
// that write nothing (reads, dry runs, validate_only) but is refused for
// writes. "Today" is the server's Clock (collectionsd --clock), in UTC.
enum class AsOfUse { kRead, kWrite };

// `requested` when set, else today. For kWrite, a day after today is
// INVALID_ARGUMENT with reason AS_OF_IN_FUTURE and a violation of `field`
// naming both days.
absl::StatusOr<absl::CivilDay> ResolveAsOf(const v1::Date& requested, const domain::Clock& clock,
                                           AsOfUse use, absl::string_view field = "as_of");

// The same rule for an instant a write carries (a contact's time, a
// completion time): INVALID_ARGUMENT AS_OF_IN_FUTURE when `t` falls on a day
// after today (UTC).
absl::Status CheckNotFuture(absl::Time t, const domain::Clock& clock, absl::string_view field);

// The instant of a record written as of `day`: now when `day` is today,
// else the current time of day on `day` (UTC), so that replays sort within
// their day.
absl::Time InstantOn(absl::CivilDay day, const domain::Clock& clock);

// absl::Time <-> google.protobuf.Timestamp and the message stored in a
// document (ParseDoc<v1::Invoice>(doc)), defined in service/messages for
// every layer that holds messages.
using messages::FromTs;
using messages::ParseDoc;
using messages::Ts;

domain::Money ToMoney(const v1::Money& m);
v1::Money ToProtoMoney(absl::string_view currency, int64_t minor);

// Validates a Money field: known currency, matching `currency` when that is
// non-empty; `min` is the smallest allowed value; at most the per-document
// ceiling (domain/amount_limits.h, AMOUNT_TOO_LARGE).
absl::Status CheckMoney(const v1::Money& m, absl::string_view currency, int64_t min,
                        absl::string_view field);

// Page size: 0 means `def`; values above `max` are coerced to max; negative
// is INVALID_ARGUMENT.
absl::StatusOr<int> PageSize(int requested, int def = 100, int max = 1000);

// Proto JSON with the proto field names (case files, and audit events when
// they are read).
std::string ToJson(const google::protobuf::Message& m);

// A fingerprint of a request, stable across processes and versions of the
// binary as long as the message's wire form is.
std::string Fingerprint(const google::protobuf::Message& m);

// Runs `mutate` unless `request_id` was seen before in this tenant, in which
// case the first response is returned (and nothing is written). A request_id
// replayed with a different request is INVALID_ARGUMENT REQUEST_ID_REUSED.
// Call inside a write transaction. `response` receives the answer.
absl::Status RunIdempotent(store::Transaction& tx, absl::string_view request_id,
                           absl::string_view method, const google::protobuf::Message& request,
                           google::protobuf::Message* response,
                           const std::function<absl::Status()>& mutate);

// Whether `st` is a failure of the store itself (unavailable, a conflict
// that outlived its retries, a deadline, cancelled, out of resources), as
// opposed to one of the data a call worked on. Work over many cases stops
// on the first kind (it resumes once the store is back) and, on the second,
// passes over the one case that fails so that it holds back no other.
bool IsStoreFailure(const absl::Status& st);

// After a batch over `items` ended with `batch` (its transaction rolled
// back when not OK): OK when it succeeded; its error when it listed nothing
// or the store itself failed; otherwise runs `one` for each item in its own
// transaction, hands each item that fails on its own data to `failed`, and
// stops at the first store failure.
template <typename T>
absl::Status RetryOneByOne(const absl::Status& batch, const std::vector<T>& items,
                           const std::function<absl::Status(const T&)>& one,
                           const std::function<void(const T&, const absl::Status&)>& failed) {
  if (batch.ok() || items.empty() || IsStoreFailure(batch)) return batch;
  for (const T& item : items) {
    absl::Status st = one(item);
    if (st.ok()) continue;
    if (IsStoreFailure(st)) return st;
    failed(item, st);
  }
  return absl::OkStatus();
}

// Appends one audit event with the resource before and after the change
// (either may be null), stored as serialized messages: no JSON is rendered
// here (v1::StoredEvent).
absl::Status AppendEvent(store::Transaction& tx, const domain::Clock& clock, const CallContext& ctx,
                         absl::string_view tenant, absl::string_view type,
                         absl::string_view resource, absl::string_view customer_resource,
                         const google::protobuf::Message* before,
                         const google::protobuf::Message* after, absl::string_view request_id);

// Stored EventRow -> Event with its sequence and name filled, before_json
// and after_json rendered as ToJson renders the messages (rows written
// before StoredEvent existed carry their JSON and return it unchanged).
// Internal when a stored body does not parse or render.
absl::StatusOr<v1::Event> EventFromRow(const store::EventRow& row);

// EventFromRow of each row; the before and after states of a type are
// rendered in one pass (a page of events costs one rendering per type).
absl::StatusOr<std::vector<v1::Event>> EventsFromRows(absl::Span<const store::EventRow> rows);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_APP_COMMON_H_
