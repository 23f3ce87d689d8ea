#include "service/app/app_common.h"

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collections_sidecar/v1/stored_event.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"
#include "service/messages/json.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

absl::Status CheckTenant(const CallContext& ctx, absl::string_view tenant) {
  if (ctx.allowed_tenant.empty() || ctx.allowed_tenant == tenant) return absl::OkStatus();
  return domain::WithReason(
      absl::PermissionDeniedError("the caller's credentials do not grant access to this tenant"),
      "TENANT_ACCESS_DENIED");
}

absl::StatusOr<absl::CivilDay> ToDay(const v1::Date& date, absl::string_view field) {
  auto day = domain::MakeDay(date.year(), date.month(), date.day());
  if (!day.ok()) {
    return domain::InvalidInput("INVALID_DATE", field,
                                absl::StrFormat("%04d-%02d-%02d is not a calendar day", date.year(),
                                                date.month(), date.day()));
  }
  return *day;
}

v1::Date ToProtoDate(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

bool HasDate(const v1::Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

absl::StatusOr<absl::CivilDay> ResolveAsOf(const v1::Date& requested, const domain::Clock& clock,
                                           AsOfUse use, absl::string_view field) {
  const absl::CivilDay today = clock.TodayUtc();
  if (!HasDate(requested)) return today;
  ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(requested, field));
  if (use == AsOfUse::kWrite && day > today) {
    return domain::InvalidInput(
        "AS_OF_IN_FUTURE", field,
        absl::StrCat(domain::FormatIsoDay(day), " is after today (", domain::FormatIsoDay(today),
                     " on the server's clock): a write cannot be dated in the future; a past "
                     "day replays, and calls that write nothing may simulate a future day"));
  }
  return day;
}

absl::Status CheckNotFuture(absl::Time t, const domain::Clock& clock, absl::string_view field) {
  // Day granularity, as for as_of: a host clock a little ahead of ours is
  // not a write dated in the future.
  const absl::CivilDay today = clock.TodayUtc();
  const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
  if (day <= today) return absl::OkStatus();
  return domain::InvalidInput(
      "AS_OF_IN_FUTURE", field,
      absl::StrCat(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()),
                   " is on a day after today (", domain::FormatIsoDay(today),
                   " on the server's clock): a write cannot be dated in the future"));
}

absl::Time InstantOn(absl::CivilDay day, const domain::Clock& clock) {
  const absl::Time now = clock.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  if (day == today) return now;
  const absl::Duration time_of_day = now - absl::FromCivil(today, absl::UTCTimeZone());
  return absl::FromCivil(day, absl::UTCTimeZone()) + time_of_day;
}

domain::Money ToMoney(const v1::Money& m) {
  return domain::Money{m.currency_code(), m.minor_units()};
}

v1::Money ToProtoMoney(absl::string_view currency, int64_t minor) {
  v1::Money m;
  m.set_currency_code(std::string(currency));
  m.set_minor_units(minor);
  return m;
}

absl::Status CheckMoney(const v1::Money& m, absl::string_view currency, int64_t min,
                        absl::string_view field) {
  if (!domain::IsKnownCurrency(m.currency_code())) {
    return domain::InvalidInput(
        "UNKNOWN_CURRENCY", absl::StrCat(field, ".currency_code"),
        absl::StrCat("\"", m.currency_code(), "\" is not an ISO 4217 currency code"));
  }
  if (!currency.empty() && m.currency_code() != currency) {
    return domain::InvalidInput("CURRENCY_MISMATCH", absl::StrCat(field, ".currency_code"),
                                absl::StrCat(m.currency_code(), " differs from ", currency));
  }
  if (m.minor_units() < min) {
    return domain::InvalidInput(min > 0 ? "AMOUNT_NOT_POSITIVE" : "NEGATIVE_AMOUNT",
                                absl::StrCat(field, ".minor_units"),
                                absl::StrCat("must be at least ", min, ", got ", m.minor_units()));
  }
  return domain::CheckAmountCeiling(m.minor_units(), m.currency_code(),
                                    absl::StrCat(field, ".minor_units"));
}

absl::StatusOr<int> PageSize(int requested, int def, int max) {
  if (requested < 0) {
    return domain::InvalidInput("INVALID_PAGE_SIZE", "page_size", "must not be negative");
  }
  if (requested == 0) return def;
  return std::min(requested, max);
}

namespace {

// The type URL of a packed state. Events stored before the proto package
// was renamed name their types "type.googleapis.com/collections.v1.X"; the
// messages kept their fields and numbers, so they render as
// collections_sidecar.v1.X.
std::string CurrentTypeUrl(absl::string_view type_url) {
  constexpr absl::string_view kOldPrefix = "type.googleapis.com/collections.v1.";
  if (!absl::StartsWith(type_url, kOldPrefix)) return std::string(type_url);
  return absl::StrCat("type.googleapis.com/collections_sidecar.v1.",
                      type_url.substr(kOldPrefix.size()));
}

}  // namespace

std::string ToJson(const google::protobuf::Message& m) { return messages::MessageJson(m); }

std::string Fingerprint(const google::protobuf::Message& m) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream sos(&bytes);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cos);
  }
  return absl::StrFormat("fnv1a64:%016x:%d", StableHash(bytes), bytes.size());
}

absl::Status RunIdempotent(store::Transaction& tx, absl::string_view request_id,
                           absl::string_view method, const google::protobuf::Message& request,
                           google::protobuf::Message* response,
                           const std::function<absl::Status()>& mutate) {
  if (request_id.empty()) return mutate();
  if (request_id.size() > 128) {
    return domain::InvalidInput("INVALID_REQUEST_ID", "request_id", "longer than 128 characters");
  }
  const std::string fp = Fingerprint(request);
  ASSIGN_OR_RETURN(auto seen, tx.GetRequest(request_id));
  if (seen.has_value()) {
    if (seen->method != method || seen->request_hash != fp) {
      return domain::InvalidInput(
          "REQUEST_ID_REUSED", "request_id",
          absl::StrCat("\"", request_id, "\" was already used for a different ", seen->method,
                       " request"));
    }
    if (!response->ParseFromString(seen->response)) {
      return absl::InternalError("stored response does not parse");
    }
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(mutate());
  return tx.PutRequest(
      request_id, store::StoredRequest{std::string(method), fp, response->SerializeAsString()});
}

bool IsStoreFailure(const absl::Status& st) {
  return absl::IsUnavailable(st) || absl::IsAborted(st) || absl::IsDeadlineExceeded(st) ||
         absl::IsCancelled(st) || absl::IsResourceExhausted(st);
}

absl::Status AppendEvent(store::Transaction& tx, const domain::Clock& clock, const CallContext& ctx,
                         absl::string_view tenant, absl::string_view type,
                         absl::string_view resource, absl::string_view customer_resource,
                         const google::protobuf::Message* before,
                         const google::protobuf::Message* after, absl::string_view request_id) {
  v1::StoredEvent e;
  *e.mutable_time() = Ts(clock.Now());
  e.set_actor(ctx.actor);
  e.set_type(std::string(type));
  e.set_resource(std::string(resource));
  e.set_customer(std::string(customer_resource));
  // Serialized, not rendered: JSON is made when the event is read.
  if (before != nullptr) e.mutable_before()->PackFrom(*before);
  if (after != nullptr) e.mutable_after()->PackFrom(*after);
  e.set_request_id(std::string(request_id));
  store::EventRow row;
  row.tenant = std::string(tenant);
  row.customer = std::string(customer_resource);
  row.resource = std::string(resource);
  row.body = e.SerializeAsString();
  row.type = std::string(type);
  return tx.AddEvent(row);
}

absl::StatusOr<std::vector<v1::Event>> EventsFromRows(absl::Span<const store::EventRow> rows) {
  std::vector<v1::Event> events(rows.size());
  // The packed before and after states, by type: each type is rendered in
  // one pass of the printer (messages::SerializedJsonEach).
  struct Packed {
    std::vector<absl::string_view> bytes;
    std::vector<std::string*> json;  // where each rendering goes
    std::vector<int64_t> sequence;   // of the event each state belongs to
  };
  std::map<std::string, Packed> packed;
  std::vector<v1::StoredEvent> stored(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const store::EventRow& row = rows[i];
    v1::StoredEvent& s = stored[i];
    if (!s.ParseFromString(row.body)) {
      return absl::InternalError(absl::StrCat("stored event ", row.sequence, " does not parse"));
    }
    v1::Event& e = events[i];
    e.set_name(absl::StrCat("tenants/", row.tenant, "/events/", row.sequence));
    e.set_sequence(row.sequence);
    *e.mutable_time() = std::move(*s.mutable_time());
    e.set_actor(std::move(*s.mutable_actor()));
    e.set_type(std::move(*s.mutable_type()));
    e.set_resource(std::move(*s.mutable_resource()));
    e.set_customer(std::move(*s.mutable_customer()));
    // A row of either format (stored_event.proto): packed messages are
    // rendered below, JSON written by older versions is returned as stored.
    auto state = [&](bool has, const google::protobuf::Any& any, std::string* stored_json,
                     std::string* json) {
      if (!has) {
        *json = std::move(*stored_json);
        return;
      }
      Packed& p = packed[CurrentTypeUrl(any.type_url())];
      p.bytes.push_back(any.value());
      p.json.push_back(json);
      p.sequence.push_back(row.sequence);
    };
    state(s.has_before(), s.before(), s.mutable_before_json(), e.mutable_before_json());
    state(s.has_after(), s.after(), s.mutable_after_json(), e.mutable_after_json());
    e.set_request_id(std::move(*s.mutable_request_id()));
  }
  for (auto& [type_url, p] : packed) {
    absl::StatusOr<std::vector<std::string>> json = messages::SerializedJsonEach(type_url, p.bytes);
    if (!json.ok()) {
      // Name the event: the first whose state does not render alone.
      int64_t sequence = p.sequence.front();
      for (size_t i = 0; i < p.bytes.size(); ++i) {
        if (!messages::SerializedJson(type_url, p.bytes[i]).ok()) {
          sequence = p.sequence[i];
          break;
        }
      }
      return absl::InternalError(absl::StrCat("stored event ", sequence, " holds a ", type_url,
                                              " that does not render: ", json.status().message()));
    }
    for (size_t i = 0; i < p.json.size(); ++i) *p.json[i] = std::move((*json)[i]);
  }
  return events;
}

absl::StatusOr<v1::Event> EventFromRow(const store::EventRow& row) {
  ASSIGN_OR_RETURN(std::vector<v1::Event> events, EventsFromRows({row}));
  return std::move(events.front());
}

}  // namespace collections::app
