// Message templates per stage, channel and locale, rendered with mustache
// (kainjow/mustache, header-only), and the tone check that keeps consumer
// messages free of threatening or abusive wording.
//
// A letter that goes out must be fit to send: it names the account, every
// invoice with its due date and the total owed, the sender's letterhead and,
// from the formal notice on, the consequence of non-payment and its date. It
// must never print an empty placeholder ("contact  now", "Internal task for
// ."). So every placeholder is either always filled, or optional; a template
// that uses an optional placeholder outside a section guarding it is refused
// at render time with FAILED_PRECONDITION, reason MISSING_TEMPLATE_FIELD and
// the placeholder in the error's metadata ("field"), when that field is
// empty for the account. Unknown placeholders, partials and delimiter
// changes are refused when the template is validated.
//
// Placeholders (plain text, never HTML-escaped). Always filled:
//   {{customer_name}}   the debtor's display name
//   {{contact_name}}    the primary contact; falls back to customer_name
//   {{account_number}}  the customer's reference in the host system
//                       (external_ref.id); falls back to the customer id
//   {{company_name}}    the creditor (tenant profile, else --company_name)
//   {{as_of}}           the letter's date, YYYY-MM-DD
//   {{days_overdue}}    of the oldest covered invoice (0 when none is overdue)
// Filled when the account has covered invoices:
//   {{total}}           the total owed, per currency joined by " + "
//   {{#invoices}} {{number}} {{amount}} {{due_date}} {{days_overdue}}
//                 {{payment_link}} {{/invoices}}   (row days_overdue and
//                 payment_link are optional: empty when not overdue / no link)
// Optional (guard with {{#name}}...{{/name}}, or {{#has_payment_link}} for
// payment_link, {{#next_consequence}} for next_consequence_date; {{^name}}
// gives the fallback text):
//   {{attention}}             the contact person only (no fallback)
//   {{account_owner}}         the tenant's employee owning the account
//   {{signature}}             the profile's signature, else account_owner
//   {{company_address}} {{company_reply_to}} {{company_phone}}
//   {{payment_link}}          one link for the whole amount (single currency)
//   {{next_consequence}}      what happens next if the account stays unpaid,
//                             a verb phrase: "refer the account to a
//                             collection agency"
//   {{next_consequence_date}} the day it may happen, YYYY-MM-DD
//   {{proposed_step}}         an internal task's step, same form
// Flags (sections only): {{#has_payment_link}}, {{#offer_payment_plan}}
// (the recommendation offers a plan with this letter).
// Template ids are "<stage>.<channel>" (e.g. "formal_notice.letter"); each
// shipped template exists per locale ("en" at least) and runs from friendly
// (pre-due, friendly reminder) to firm (final demand), never threatening.
#ifndef COLLECTIONS_DOMAIN_TEMPLATES_H_
#define COLLECTIONS_DOMAIN_TEMPLATES_H_

#include <memory>
#include <optional>
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
  // 0 for a shipped template; a tenant's replacement counts from 1.
  int64_t version = 0;
};

// Every shipped template, in a fixed order.
const std::vector<MessageTemplate>& DefaultTemplates();

// The template `id` in `locale` ("en-GB" tries "en-GB", then "en"), falling
// back to English. NotFound (reason TEMPLATE_NOT_FOUND) when there is none.
absl::StatusOr<MessageTemplate> FindTemplate(const std::vector<MessageTemplate>& templates,
                                             absl::string_view id, absl::string_view locale);

// Who writes: the tenant profile's letterhead.
struct Letterhead {
  std::string company_name;    // never empty: the profile's, else the server's fallback
  std::string postal_address;  // lines separated by "\n"; may be empty
  std::string reply_to;        // e-mail address; may be empty
  std::string phone;           // as printed; may be empty
  std::string signature;       // e.g. "Maria Keller\nCredit control"; may be empty
};

struct RenderInvoice {
  std::string number;
  Money amount;
  absl::CivilDay due_date;
  int days_overdue = 0;
  std::string payment_link;  // pays this invoice; may be empty
};

struct RenderInput {
  std::string customer_name;
  std::string contact_name;    // the real contact; empty when none is known
  std::string account_number;  // never empty (see MakeRenderInput)
  Letterhead sender;
  std::string account_owner;
  std::string payment_link;  // pays the whole amount; may be empty
  absl::CivilDay as_of;
  std::vector<RenderInvoice> invoices;
  std::vector<Money> totals;  // per currency
  // The consequence of non-payment the letter names, from the formal notice
  // on, and the first day it may happen. Both empty or both set.
  //
  // How they are filled: from Recommendation::consequence_stage and
  // consequence_date (recommend.cc decides them: the first agency or legal
  // rung of the ladder and its earliest day, which is the collection case's
  // next external step), with ConsequenceText(). A caller that knows a
  // firmer date (the case's stored next step) may set them before
  // rendering.
  std::string next_consequence;
  std::optional<absl::CivilDay> next_consequence_date;
  // The letter offers a payment plan (cash-flow trouble or hardship), while
  // still naming the consequence.
  bool offer_payment_plan = false;
  // The day the customer's payment plan defaulted, when the ladder resumes
  // because of it (reason PLAN_DEFAULTED); the letter says so.
  std::optional<absl::CivilDay> plan_defaulted_on;
  // An internal task's step, e.g. "refer the account to a collection agency"
  // (ConsequenceText of the recommended stage); may be empty.
  std::string proposed_step;
};

// The consequence a letter names for escalating to `stage`: a verb phrase
// completing "we will ...", e.g. "refer the account to a collection agency".
// Empty for stages that are not a consequence for the debtor (reminders,
// the write-off review).
std::string ConsequenceText(Stage stage);

// The placeholders for `rec` on `ctx`: the covered invoices with their amount
// due (less disputed parts), original due dates and days overdue; the
// sender's letterhead; the account number (the customer's reference, else
// the customer id); the consequence, the plan offer and the proposed step
// as the recommendation decided them. Payment links are left empty: the
// caller signs them (they need the tenant's secret). OutOfRange when a
// currency's total overflows.
absl::StatusOr<RenderInput> MakeRenderInput(const AccountContext& ctx, const Recommendation& rec,
                                            const Letterhead& sender);

struct RenderedMessage {
  std::string template_id;
  std::string locale;
  std::string subject;
  std::string body;
};

// One placeholder as a template uses it.
struct PlaceholderUse {
  std::string name;
  bool in_invoices = false;  // inside {{#invoices}}
  // Inside a section that renders only when the field is set ({{#name}} or
  // {{#has_name}}), so an empty value prints nothing.
  bool guarded = false;
};

// A template parsed once, rendered many times (compile per tenant and
// template version, not per account). Thread-safe.
class CompiledTemplate {
 public:
  // InvalidArgument (reason TEMPLATE_INVALID, field "subject" or "body") for
  // a template mustache cannot parse, an unknown placeholder, a partial or a
  // delimiter change.
  static absl::StatusOr<std::shared_ptr<const CompiledTemplate>> Compile(MessageTemplate tmpl);
  ~CompiledTemplate();

  const MessageTemplate& source() const { return source_; }
  // Every placeholder the subject and body use, in order of appearance.
  const std::vector<PlaceholderUse>& uses() const { return uses_; }

  // FailedPrecondition, reason MISSING_TEMPLATE_FIELD, metadata "field", when
  // an unguarded placeholder is empty for `input`.
  absl::StatusOr<RenderedMessage> Render(const RenderInput& input) const;

 private:
  struct Parsed;
  CompiledTemplate() = default;
  MessageTemplate source_;
  std::vector<PlaceholderUse> uses_;
  std::unique_ptr<Parsed> parsed_;
};

// Compiles and renders once (tests, one-off previews).
absl::StatusOr<RenderedMessage> Render(const MessageTemplate& tmpl, const RenderInput& input);

// Refuses threatening or abusive wording for consumer debts (FDCPA §806
// harassment or abuse, §807(4)-(5) threats of arrest or of action not
// intended). FailedPrecondition, reason TEMPLATE_TONE_REFUSED, naming the
// phrase. Business debts: only abusive words are refused.
absl::Status CheckTone(absl::string_view text, CustomerKind kind);

// Validates a template for storage: id and locale well formed, a body,
// compiles (see CompiledTemplate::Compile), and passes CheckTone for
// consumers. InvalidArgument with field paths.
absl::Status ValidateTemplate(const MessageTemplate& tmpl);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_TEMPLATES_H_
