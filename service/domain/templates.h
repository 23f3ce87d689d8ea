// Message templates per stage, channel and locale, rendered with mustache
// (kainjow/mustache, header-only), and the tone check that keeps consumer
// messages free of threatening or abusive wording.
//
// Placeholders (plain text, never HTML-escaped):
//   {{customer_name}} {{contact_name}} {{company_name}} {{account_owner}}
//   {{payment_link}} {{as_of}} {{total}} {{days_overdue}} (oldest)
//   {{#invoices}} {{number}} {{amount}} {{due_date}} {{days_overdue}} {{/invoices}}
//   {{#has_payment_link}} ... {{/has_payment_link}}
// Template ids are "<stage>.<channel>" (e.g. "formal_notice.letter"); each
// shipped template exists per locale ("en" at least) and runs from friendly
// (pre-due, friendly reminder) to firm (final demand), never threatening.
#ifndef COLLECTIONS_DOMAIN_TEMPLATES_H_
#define COLLECTIONS_DOMAIN_TEMPLATES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"
#include "service/domain/policy.h"
#include "service/domain/recommend.h"

namespace collections::domain {

struct MessageTemplate {
  std::string id;      // "friendly_reminder.email"
  std::string locale;  // "en"
  Stage stage = Stage::kNone;
  Channel channel = Channel::kUnspecified;
  Tone tone = Tone::kUnspecified;
  std::string subject;
  std::string body;
};

// Every shipped template, in a fixed order.
const std::vector<MessageTemplate>& DefaultTemplates();

// The template `id` in `locale` ("en-GB" tries "en-GB", then "en"), falling
// back to English. NotFound (reason TEMPLATE_NOT_FOUND) when there is none.
absl::StatusOr<MessageTemplate> FindTemplate(const std::vector<MessageTemplate>& templates,
                                             absl::string_view id, absl::string_view locale);

struct RenderInvoice {
  std::string number;
  Money amount;
  absl::CivilDay due_date;
  int days_overdue = 0;
};

struct RenderInput {
  std::string customer_name;
  std::string contact_name;
  std::string company_name;  // the creditor
  std::string account_owner;
  std::string payment_link;
  absl::CivilDay as_of;
  std::vector<RenderInvoice> invoices;
  std::vector<Money> totals;  // per currency
};

// The placeholders for `rec` on `ctx`: the covered invoices with their amount
// due (less disputed parts), original due dates and days overdue.
RenderInput MakeRenderInput(const AccountContext& ctx, const Recommendation& rec,
                            absl::string_view company_name);

struct RenderedMessage {
  std::string template_id;
  std::string locale;
  std::string subject;
  std::string body;
};

// Renders subject and body. InvalidArgument (reason TEMPLATE_INVALID) for a
// template mustache cannot parse.
absl::StatusOr<RenderedMessage> Render(const MessageTemplate& tmpl, const RenderInput& input);

// Refuses threatening or abusive wording for consumer debts (FDCPA §806
// harassment or abuse, §807(4)-(5) threats of arrest or of action not
// intended). FailedPrecondition, reason TEMPLATE_TONE_REFUSED, naming the
// phrase. Business debts: only abusive words are refused.
absl::Status CheckTone(absl::string_view text, CustomerKind kind);

// Validates a template for storage: known stage and channel, parses, and
// passes CheckTone for consumers. InvalidArgument with field paths.
absl::Status ValidateTemplate(const MessageTemplate& tmpl);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_TEMPLATES_H_
