// Builders for AccountContext snapshots used by the recovery engine tests.
#ifndef COLLECTIONS_TESTS_DOMAIN_RECOVERY_FIXTURES_H_
#define COLLECTIONS_TESTS_DOMAIN_RECOVERY_FIXTURES_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "service/domain/account_context.h"

namespace collections::domain::testing {

inline absl::CivilDay Day(int y, int m, int d) { return absl::CivilDay(y, m, d); }

// Noon UTC on a day: inside business hours for European zones.
inline absl::Time NoonUtc(absl::CivilDay d) {
  return absl::FromCivil(absl::CivilSecond(d.year(), d.month(), d.day(), 12, 0, 0),
                         absl::UTCTimeZone());
}

inline absl::Time At(absl::CivilDay d, int hour, int minute, absl::string_view zone) {
  absl::TimeZone tz;
  absl::LoadTimeZone(std::string(zone), &tz);
  return absl::FromCivil(absl::CivilSecond(d.year(), d.month(), d.day(), hour, minute, 0), tz);
}

inline InvoiceContext Invoice(absl::string_view id, absl::CivilDay issue, absl::CivilDay due,
                              int64_t total, absl::string_view currency = "EUR") {
  InvoiceContext inv;
  inv.state.id = std::string(id);
  inv.state.number = absl::StrCat("INV-", id);
  inv.state.customer = "c1";
  inv.state.currency = std::string(currency);
  inv.state.issue_date = issue;
  inv.state.due_date = due;
  inv.state.total = total;
  return inv;
}

// A business customer in Berlin, new (since last year), no revenue history.
inline AccountContext NewBusiness() {
  AccountContext ctx;
  ctx.customer.id = "c1";
  ctx.customer.display_name = "Northwind Traders GmbH";
  ctx.customer.kind = CustomerKind::kBusiness;
  ctx.customer.time_zone = "Europe/Berlin";
  ctx.customer.contact_name = "Ana Ortiz";
  ctx.customer.account_owner = "maria@acme.example";
  ctx.customer.customer_since = Day(2025, 11, 1);
  ctx.customer.lifetime_revenue = {"EUR", 300000};
  return ctx;
}

// The same debtor, but a customer since 2019 with EUR 48,000 lifetime revenue.
inline AccountContext ValuedBusiness() {
  AccountContext ctx = NewBusiness();
  ctx.customer.customer_since = Day(2019, 3, 1);
  ctx.customer.lifetime_revenue = {"EUR", 4800000};
  return ctx;
}

inline AccountContext Consumer(absl::string_view zone) {
  AccountContext ctx = NewBusiness();
  ctx.customer.display_name = "Sam Lee";
  ctx.customer.contact_name = "Sam Lee";
  ctx.customer.kind = CustomerKind::kConsumer;
  ctx.customer.time_zone = std::string(zone);
  return ctx;
}

inline ContactRecord Sent(absl::CivilDay day, Stage stage, Channel channel = Channel::kEmail,
                          ContactOutcome outcome = ContactOutcome::kSent) {
  ContactRecord c;
  c.id = absl::StrCat("k", absl::FormatCivilTime(day), StageName(stage));
  c.time = NoonUtc(day);
  c.channel = channel;
  c.direction = Direction::kOutbound;
  c.outcome = outcome;
  c.stage = stage;
  return c;
}

}  // namespace collections::domain::testing

#endif  // COLLECTIONS_TESTS_DOMAIN_RECOVERY_FIXTURES_H_
