// Small pieces the dashboard's pages are written with: HTML escaping, the
// formats of money, dates and instants on screen, form and query decoding,
// and the frame every page shares (navigation, sign-out form, stylesheet).
// Every string that reaches a page from the ledger goes through Escape().
#ifndef COLLECTIONS_DASHBOARD_HTML_H_
#define COLLECTIONS_DASHBOARD_HTML_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "collections_sidecar/v1/types.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace collections::dashboard {

namespace v1 = ::collections_sidecar::v1;

// Text safe inside an element or a quoted attribute.
std::string Escape(absl::string_view text);
// A value for a query string (RFC 3986 unreserved characters kept).
std::string UrlEncode(absl::string_view text);
// application/x-www-form-urlencoded -> pairs, in order ('+' is a space).
std::vector<std::pair<std::string, std::string>> ParseForm(absl::string_view body);
// The first value of `name` in `pairs`, or empty.
std::string Field(const std::vector<std::pair<std::string, std::string>>& pairs,
                  absl::string_view name);

// "USD 1,234.50"; "-" for an unset money.
std::string Money(const v1::Money& m);
// "2026-11-20"; "-" for an unset date.
std::string Day(const v1::Date& d);
std::string Day(absl::CivilDay d);
// "2026-11-20 14:05 UTC"; "-" for an unset timestamp.
std::string Instant(const google::protobuf::Timestamp& t);
// An enum value's name as people read it: "STAGE_FRIENDLY_REMINDER" ->
// "friendly reminder" (prefix `strip` removed first).
std::string Words(absl::string_view enum_name, absl::string_view strip = "");

// The page around `body`. `csrf` (non-empty when signed in) goes into the
// sign-out form; `tenant` is shown beside it.
struct Frame {
  std::string title;
  std::string tenant;
  std::string csrf;
  std::string active;  // "overview", "queue" or ""
};
std::string Page(const Frame& frame, absl::string_view body);

// <input type="hidden" name="csrf" value="...">
std::string CsrfField(absl::string_view csrf);

}  // namespace collections::dashboard

#endif  // COLLECTIONS_DASHBOARD_HTML_H_
