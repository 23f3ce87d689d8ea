#include "service/domain/templates.h"

#include <algorithm>
#include <map>
#include <set>

#include <kainjow/mustache.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "service/base/errors.h"

namespace collections::domain {

namespace {

// ------------------------------------------------------------ shipped text
//
// Optional pieces sit in sections next to text that is always there, never
// on a line of their own: kainjow drops a whitespace-only line next to a
// section that rendered but keeps one next to a skipped section, so a blank
// line beside a section would come and go with the data. Blank lines are
// therefore written inside the section they belong to, or between two
// lines of fixed text.

// The letterhead and address block every letter opens with.
constexpr char kLetterhead[] =
    "{{company_name}}"
    "{{#company_address}}\n{{company_address}}{{/company_address}}"
    "{{#company_phone}}\nPhone: {{company_phone}}{{/company_phone}}"
    "{{#company_reply_to}}\nE-mail: {{company_reply_to}}{{/company_reply_to}}\n"
    "\n"
    "{{customer_name}}{{#attention}}\nAttn. {{attention}}{{/attention}}\n"
    "\n"
    "{{as_of}}\n\n";

constexpr char kGreeting[] = "Dear {{contact_name}},\n\n";

constexpr char kAccount[] = "Account number: {{account_number}}\n\n";

// The invoice table every message repeats, and the total owed.
constexpr char kInvoiceTable[] =
    "{{#invoices}}  Invoice {{number}}: {{amount}}, due {{due_date}}{{#days_overdue}} "
    "({{days_overdue}} days overdue){{/days_overdue}}\n{{/invoices}}"
    "Total owed: {{total}}\n";

// One link for the whole amount; else one per invoice when only the
// invoices have links (several currencies). Must be followed by text.
constexpr char kPayLine[] =
    "{{#has_payment_link}}You can pay online at:\n{{payment_link}}\n\n{{/has_payment_link}}"
    "{{^has_payment_link}}{{#invoices}}{{#payment_link}}Pay invoice {{number}} online at:\n"
    "{{payment_link}}\n\n{{/payment_link}}{{/invoices}}{{/has_payment_link}}";

// Who to contact, under the sender's name in e-mails (letters carry it in
// the letterhead).
constexpr char kEmailContact[] = "{{#company_phone}}Phone: {{company_phone}}\n{{/company_phone}}";

std::string Signoff(absl::string_view closing) {
  return absl::StrCat(closing, ",\n{{#signature}}{{signature}}\n{{/signature}}{{company_name}}\n");
}

// The consequence sentence of the formal notice and the final demand. When
// the ladder has no further step this debt qualifies for, none is named.
std::string ConsequenceSentence(absl::string_view condition) {
  return absl::StrCat("{{#next_consequence}}", condition,
                      ", we will {{next_consequence}} on or after {{next_consequence_date}}.\n\n",
                      "{{/next_consequence}}{{^next_consequence}}", condition,
                      ", we will have to consider further steps to recover the debt.\n\n",
                      "{{/next_consequence}}");
}

// The plan offer of a formal notice or final demand: spelled out when the
// debtor reported cash-flow trouble (the recommendation's offer), otherwise
// one sentence. Followed by text or the sign-off.
constexpr char kPlanOffer[] =
    "{{#offer_payment_plan}}You told us that paying in one go is difficult at the moment. We can "
    "spread the total over several instalments: reply or contact us and we will "
    "agree a schedule that works for you.\n\n{{/offer_payment_plan}}"
    "{{^offer_payment_plan}}If you cannot pay in full, contact us now: we are willing to "
    "discuss a payment plan.\n\n{{/offer_payment_plan}}";

// Said first when the ladder resumes because a payment plan defaulted.
constexpr char kPlanDefault[] =
    "{{#plan_defaulted_on}}The payment plan we agreed was cancelled on {{plan_defaulted_on}} "
    "because an instalment remained unpaid, so the full balance below is due again.\n\n"
    "{{/plan_defaulted_on}}";

// Internal tasks: who they are for, and the account they concern.
constexpr char kTaskHeader[] =
    "Internal task{{#account_owner}} for {{account_owner}}{{/account_owner}}.\n"
    "Account number: {{account_number}}\n\n";

constexpr char kCallHeader[] =
    "Call {{customer_name}}{{#attention}}, ask for {{attention}}{{/attention}}"
    "{{#account_owner}} (account owner: {{account_owner}}){{/account_owner}}.\n"
    "Account number: {{account_number}}\n\n";

MessageTemplate T(std::string id, Stage stage, Channel channel, Tone tone, std::string subject,
                  std::string body) {
  return MessageTemplate{std::move(id),   "en", stage, channel, tone, std::move(subject),
                         std::move(body), 0};
}

// The pieces the default templates are assembled from.
struct Pieces {
  const std::string head = kLetterhead;
  const std::string dear = kGreeting;
  const std::string account = kAccount;
  const std::string table = kInvoiceTable;
  const std::string pay = kPayLine;
  const std::string regards = Signoff("Kind regards") + kEmailContact;
  const std::string sincerely = Signoff("Yours sincerely");
};

// The dunning ladder: from the pre-due reminder to the final demand.
void AddLadderTemplates(const Pieces& p, std::vector<MessageTemplate>& t) {
  const std::string& head = p.head;
  const std::string& dear = p.dear;
  const std::string& account = p.account;
  const std::string& table = p.table;
  const std::string& pay = p.pay;
  const std::string& regards = p.regards;
  const std::string& sincerely = p.sincerely;
  t.push_back(T("pre_due_reminder.email", Stage::kPreDueReminder, Channel::kEmail, Tone::kFriendly,
                "Upcoming payment: {{total}} due soon",
                dear + "A quick courtesy note: the following invoice falls due shortly.\n\n" +
                    account + table + "\n" + pay +
                    "If you have already arranged payment, thank you and please ignore this "
                    "note.\n\n" +
                    regards));
  t.push_back(T("friendly_reminder.email", Stage::kFriendlyReminder, Channel::kEmail,
                Tone::kFriendly, "Friendly reminder: {{total}} now due",
                dear +
                    "We hope all is well. Our records show that the following payment has not "
                    "reached us yet; it may simply have been overlooked.\n\n" +
                    account + table + "\n" + pay +
                    "If payment is already on its way, thank you. If anything about the invoice "
                    "is unclear, just reply and we will sort it out.\n\n" +
                    regards));
  t.push_back(T("friendly_reminder.sms", Stage::kFriendlyReminder, Channel::kSms, Tone::kFriendly,
                "",
                "{{company_name}}, account {{account_number}}: a friendly reminder that "
                "{{total}} is now due.{{#invoices}} Invoice {{number}} was due {{due_date}}."
                "{{/invoices}} Questions? Reply to this message{{#company_phone}} or call "
                "{{company_phone}}{{/company_phone}}."
                "{{#has_payment_link}}\nPay online: {{payment_link}}{{/has_payment_link}}\n"));
  t.push_back(T("second_reminder_or_call.email", Stage::kSecondReminder, Channel::kEmail,
                Tone::kNeutral, "Second reminder: {{total}} overdue",
                dear + kPlanDefault +
                    "We wrote to you recently about the payment below, which "
                    "is still open.\n\n" +
                    account + table + "\n" + pay +
                    "Please let us know when we can expect payment. If there is a problem with "
                    "the invoice, or if paying in one go is difficult right now, reply to this "
                    "message and we will look for a solution together.\n\n" +
                    regards));
  t.push_back(T("second_reminder_or_call.letter", Stage::kSecondReminder, Channel::kLetter,
                Tone::kNeutral, "Second reminder: {{total}} overdue",
                head + dear + kPlanDefault +
                    "We wrote to you recently about the payment below, "
                    "which is still open.\n\n" +
                    account + table + "\n" + pay +
                    "Please let us know when we can expect payment. If there is a problem with "
                    "the invoice, contact us and we will look for a solution together.\n\n" +
                    regards));
  t.push_back(T("second_reminder_or_call.call", Stage::kSecondReminder, Channel::kPhone,
                Tone::kFriendly, "Call {{customer_name}} about {{total}}",
                std::string(kCallHeader) + "Open items:\n" + table +
                    "\nAsk whether the invoices arrived and are approved, and why payment is "
                    "delayed (oversight, cash flow, dissatisfaction or dispute). Agree a payment "
                    "date or note the reason. Be courteous; record the outcome.\n"));
  // Letters open with the letterhead, address block and date; e-mails do
  // not. The wording is otherwise the same.
  const std::string formal =
      dear + kPlanDefault +
      "Despite our earlier reminders, your account with {{company_name}} shows the "
      "following overdue items:\n\n" +
      account + table + "\nPlease pay the total within 14 days of this notice.\n\n" + pay +
      ConsequenceSentence("If the account remains unpaid") + kPlanOffer +
      "If you dispute any of these amounts, please tell us so that we can review them.\n\n";
  const std::string final_demand =
      dear + kPlanDefault +
      "We have written to you several times about the following overdue items and "
      "have not received payment:\n\n" +
      account + table +
      "\nThis is our final request before the account is passed on. Please pay "
      "{{total}} within 7 days.\n\n" +
      pay + ConsequenceSentence("If we do not receive payment or hear from you") + kPlanOffer;
  t.push_back(T("formal_notice.letter", Stage::kFormalNotice, Channel::kLetter, Tone::kFormal,
                "Formal notice: overdue account {{account_number}}, {{total}}",
                head + "Formal notice of overdue payment\n\n" + formal + sincerely));
  t.push_back(T("formal_notice.email", Stage::kFormalNotice, Channel::kEmail, Tone::kFormal,
                "Formal notice: overdue account {{account_number}}, {{total}}", formal + regards));
  t.push_back(T("final_demand.letter", Stage::kFinalDemand, Channel::kLetter, Tone::kFirm,
                "Final demand: account {{account_number}}, {{total}}",
                head + "Final demand for payment\n\n" + final_demand + sincerely));
  t.push_back(T("final_demand.email", Stage::kFinalDemand, Channel::kEmail, Tone::kFirm,
                "Final demand: account {{account_number}}, {{total}}", final_demand + regards));
  // A plan offered in place of a formal notice or final demand still names
  // the consequence: a referral may only follow a letter that named it, and
  // the field is only set from that rung on.
}

// Arrangements (plan offers, plans in arrears) and the tasks of the later
// stages (agency, legal, write-off).
void AddArrangementAndTaskTemplates(const Pieces& p, std::vector<MessageTemplate>& t) {
  const std::string& head = p.head;
  const std::string& dear = p.dear;
  const std::string& account = p.account;
  const std::string& table = p.table;
  const std::string& regards = p.regards;
  const std::string& sincerely = p.sincerely;
  const std::string plan =
      dear +
      "Thank you for explaining your situation. To make things easier, we can "
      "spread the open amount of {{total}} over several instalments.\n\n" +
      account + table +
      "\n{{#next_consequence}}Without an agreement or payment, we will {{next_consequence}} "
      "on or after {{next_consequence_date}}.\n\n{{/next_consequence}}";
  t.push_back(T("payment_plan_offer.email", Stage::kNone, Channel::kEmail, Tone::kFriendly,
                "A payment plan for {{total}}",
                plan +
                    "Reply to this message and we will agree a schedule that works for "
                    "you.\n\n" +
                    regards));
  t.push_back(T("payment_plan_offer.letter", Stage::kNone, Channel::kLetter, Tone::kFriendly,
                "A payment plan for {{total}}",
                head + plan +
                    "Please contact us and we will agree a schedule that works for "
                    "you.\n\n" +
                    regards));
  t.push_back(T("payment_plan_offer.call", Stage::kNone, Channel::kPhone, Tone::kFriendly,
                "Call {{customer_name}}: offer a payment plan for {{total}}",
                std::string(kCallHeader) +
                    "The customer reported a cash-flow problem. Offer to spread {{total}} over "
                    "instalments and agree a schedule.\n\nOpen items:\n" +
                    table));
  // A plan in arrears: a reminder of the plan, never a demand of the whole.
  const std::string arrears =
      dear +
      "An instalment of the payment plan we agreed for your account has not reached us. "
      "The plan covers the following items:\n\n" +
      account + table +
      "\nPlease pay the missed instalment as soon as possible so that the plan stays in "
      "place. If your situation has changed, contact us and we will look at the schedule "
      "together.\n\n";
  t.push_back(T("plan_arrears_reminder.email", Stage::kNone, Channel::kEmail, Tone::kNeutral,
                "Your payment plan: an instalment is overdue", arrears + regards));
  t.push_back(T("plan_arrears_reminder.letter", Stage::kNone, Channel::kLetter, Tone::kNeutral,
                "Your payment plan: an instalment is overdue", head + arrears + sincerely));
  t.push_back(T("agency_referral.task", Stage::kAgencyReferral, Channel::kUnspecified,
                Tone::kFormal, "Refer {{customer_name}} to the collection agency ({{total}})",
                std::string(kTaskHeader) +
                    "Prepare the case file of {{customer_name}} and refer the account to the "
                    "collection agency.\n\nOpen items:\n" +
                    table));
  t.push_back(T("approve_referral.task", Stage::kAgencyReferral, Channel::kUnspecified,
                Tone::kFormal, "Approve or decline a referral of {{customer_name}} ({{total}})",
                std::string(kTaskHeader) +
                    "{{customer_name}} is a valued relationship, so no referral is automatic. "
                    "Decide whether to {{#proposed_step}}{{proposed_step}}{{/proposed_step}}"
                    "{{^proposed_step}}refer the account{{/proposed_step}}, and record the "
                    "decision; the case waits for it.\n\nOpen items:\n" +
                    table));
  t.push_back(T("legal_review.task", Stage::kLegalReview, Channel::kUnspecified, Tone::kFormal,
                "Legal review of {{customer_name}} ({{total}})",
                std::string(kTaskHeader) +
                    "Review with counsel whether legal action against {{customer_name}} is worth "
                    "its cost.\n\nOpen items:\n" +
                    table));
  t.push_back(T("write_off_review.task", Stage::kWriteOffReview, Channel::kUnspecified,
                Tone::kNeutral, "Write-off review of {{customer_name}} ({{total}})",
                std::string(kTaskHeader) +
                    "Recovery of the following items is not expected to cover its cost. Review "
                    "them for write-off.\n\nOpen items:\n" +
                    table));
}

std::vector<MessageTemplate> BuildDefaults() {
  const Pieces pieces;
  std::vector<MessageTemplate> t;
  AddLadderTemplates(pieces, t);
  AddArrangementAndTaskTemplates(pieces, t);
  return t;
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

// ------------------------------------------------------------ placeholders

// Always filled, so a template may use them anywhere.
constexpr const char* kAlwaysFilled[] = {"customer_name", "contact_name", "account_number",
                                         "company_name",  "as_of",        "days_overdue"};
// Empty for some accounts: a use outside a guarding section is refused then.
constexpr const char* kOptional[] = {"total",
                                     "attention",
                                     "account_owner",
                                     "signature",
                                     "company_address",
                                     "company_reply_to",
                                     "company_phone",
                                     "payment_link",
                                     "next_consequence",
                                     "next_consequence_date",
                                     "proposed_step",
                                     "plan_defaulted_on"};
// Fields of one {{#invoices}} row.
constexpr const char* kRowFields[] = {"number", "amount", "due_date", "days_overdue",
                                      "payment_link"};
// Names only usable as sections.
constexpr const char* kSections[] = {"invoices", "has_payment_link", "offer_payment_plan"};

template <size_t N>
bool In(const char* const (&names)[N], absl::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

bool KnownVariable(absl::string_view name, bool in_invoices) {
  return In(kAlwaysFilled, name) || In(kOptional, name) || (in_invoices && In(kRowFields, name));
}

// Walks the tags of `text` (default delimiters) and records each variable
// with whether a section guards it. InvalidArgument naming `field` for an
// unknown name, a partial, a delimiter change or unbalanced sections.
absl::Status ScanPlaceholders(absl::string_view text, absl::string_view field,
                              std::vector<PlaceholderUse>* uses) {
  struct Open {
    std::string name;
    bool inverted;
  };
  std::vector<Open> stack;
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != absl::string_view::npos) {
    const bool triple = text.substr(pos, 3) == "{{{";
    const absl::string_view close = triple ? "}}}" : "}}";
    const size_t end = text.find(close, pos + (triple ? 3 : 2));
    if (end == absl::string_view::npos) {
      return InvalidInput("TEMPLATE_INVALID", field, "unclosed tag \"{{\"");
    }
    absl::string_view tag = absl::StripAsciiWhitespace(
        text.substr(pos + (triple ? 3 : 2), end - pos - (triple ? 3 : 2)));
    pos = end + close.size();
    char kind = triple ? '&' : (tag.empty() ? ' ' : tag[0]);
    if (!triple && (kind == '#' || kind == '^' || kind == '/' || kind == '!' || kind == '>' ||
                    kind == '=' || kind == '&')) {
      tag = absl::StripAsciiWhitespace(tag.substr(1));
    } else if (!triple) {
      kind = ' ';
    }
    if (kind == '!') continue;
    if (kind == '>' || kind == '=') {
      return InvalidInput("TEMPLATE_INVALID", field,
                          kind == '>' ? "partials ({{>name}}) are not supported"
                                      : "delimiter changes ({{=...=}}) are not supported");
    }
    const bool in_invoices = std::any_of(stack.begin(), stack.end(), [](const Open& o) {
      return o.name == "invoices" && !o.inverted;
    });
    const std::string name(tag);
    if (kind == '#' || kind == '^') {
      if (!In(kSections, name) && !KnownVariable(name, in_invoices)) {
        return InvalidInput("TEMPLATE_INVALID", field,
                            absl::StrCat("unknown section {{", std::string(1, kind), name, "}}"));
      }
      stack.push_back({name, kind == '^'});
      continue;
    }
    if (kind == '/') {
      if (stack.empty() || stack.back().name != name) {
        return InvalidInput("TEMPLATE_INVALID", field,
                            absl::StrCat("{{/", name, "}} closes no open section"));
      }
      stack.pop_back();
      continue;
    }
    if (!KnownVariable(name, in_invoices)) {
      return InvalidInput("TEMPLATE_INVALID", field,
                          absl::StrCat("unknown placeholder {{", name, "}}"));
    }
    const bool guarded = std::any_of(stack.begin(), stack.end(), [&](const Open& o) {
      return !o.inverted && (o.name == name || o.name == absl::StrCat("has_", name) ||
                             // set together (RenderInput)
                             (o.name == "next_consequence" && name == "next_consequence_date"));
    });
    uses->push_back({name, in_invoices && In(kRowFields, name), guarded});
  }
  if (!stack.empty()) {
    return InvalidInput("TEMPLATE_INVALID", field,
                        absl::StrCat("section {{#", stack.back().name, "}} is not closed"));
  }
  return absl::OkStatus();
}

using kainjow::mustache::data;

data Flag(bool b) { return data(b ? data::type::bool_true : data::type::bool_false); }
// A value, or false when empty, so that {{#name}} sections skip it.
data Value(const std::string& s) { return s.empty() ? Flag(false) : data(s); }

// Every top-level placeholder's text for `input` (empty = missing).
std::map<std::string, std::string> TopLevelValues(const RenderInput& input) {
  std::vector<std::string> totals;
  for (const auto& m : input.totals) totals.push_back(FormatMoney(m));
  int oldest = 0;
  for (const auto& inv : input.invoices) oldest = std::max(oldest, inv.days_overdue);
  return {
      {"customer_name", input.customer_name},
      {"contact_name", input.contact_name.empty() ? input.customer_name : input.contact_name},
      {"account_number", input.account_number},
      {"company_name", input.sender.company_name},
      {"as_of", absl::FormatCivilTime(input.as_of)},
      {"days_overdue", std::to_string(oldest)},
      {"total", absl::StrJoin(totals, " + ")},
      {"attention", input.contact_name},
      {"account_owner", input.account_owner},
      {"signature", input.sender.signature.empty() ? input.account_owner : input.sender.signature},
      {"company_address", input.sender.postal_address},
      {"company_reply_to", input.sender.reply_to},
      {"company_phone", input.sender.phone},
      {"payment_link", input.payment_link},
      {"next_consequence", input.next_consequence},
      {"proposed_step", input.proposed_step},
      {"plan_defaulted_on",
       input.plan_defaulted_on ? absl::FormatCivilTime(*input.plan_defaulted_on) : std::string()},
      {"next_consequence_date", input.next_consequence_date
                                    ? absl::FormatCivilTime(*input.next_consequence_date)
                                    : std::string()},
  };
}

bool RowFieldEmpty(const RenderInvoice& inv, absl::string_view name) {
  if (name == "number") return inv.number.empty();
  if (name == "days_overdue") return inv.days_overdue <= 0;
  if (name == "payment_link") return inv.payment_link.empty();
  return false;  // amount and due_date are always set
}

absl::Status MissingField(const MessageTemplate& tmpl, absl::string_view name,
                          absl::string_view where) {
  return WithMetadata(PreconditionError("MISSING_TEMPLATE_FIELD",
                                        absl::StrCat("template ", tmpl.id, ".", tmpl.locale,
                                                     " uses {{", name, "}}", where,
                                                     " but it is empty for this account; set it, "
                                                     "or guard it with {{#",
                                                     name, "}}...{{/", name, "}}")),
                      "field", name);
}

}  // namespace

// ------------------------------------------------------------ public

const std::vector<MessageTemplate>& DefaultTemplates() {
  static const std::vector<MessageTemplate>* const kTemplates =
      new std::vector<MessageTemplate>(BuildDefaults());
  return *kTemplates;
}

absl::StatusOr<MessageTemplate> FindTemplate(const std::vector<MessageTemplate>& templates,
                                             absl::string_view id, absl::string_view locale) {
  std::vector<std::string> tries = {Lower(locale)};
  if (const size_t dash = locale.find('-'); dash != absl::string_view::npos) {
    tries.push_back(Lower(locale.substr(0, dash)));
  }
  tries.push_back("en");
  for (const auto& loc : tries) {
    for (const auto& t : templates) {
      if (t.id == id && Lower(t.locale) == loc) return t;
    }
  }
  return NotFoundError("TEMPLATE_NOT_FOUND",
                       absl::StrCat("no template \"", id, "\" for locale \"", locale, "\""));
}

std::string ConsequenceText(Stage stage) {
  switch (stage) {
    case Stage::kAgencyReferral:
      return "refer the account to a collection agency";
    case Stage::kLegalReview:
      return "refer the account for legal review";
    default:
      return "";
  }
}

absl::StatusOr<RenderInput> MakeRenderInput(const AccountContext& ctx, const Recommendation& rec,
                                            const Letterhead& sender) {
  RenderInput in;
  in.customer_name = ctx.customer.display_name;
  in.contact_name = ctx.customer.contact_name;
  in.account_number = ctx.customer.reference.empty() ? ctx.customer.id : ctx.customer.reference;
  in.sender = sender;
  in.account_owner = ctx.customer.account_owner;
  in.payment_link = ctx.customer.payment_link;
  in.as_of = rec.as_of;
  std::map<std::string, int64_t> totals;
  for (const auto& id : rec.invoice_ids) {
    for (const auto& inv : ctx.invoices) {
      if (inv.state.id != id) continue;
      const InvoiceState& s = inv.state;
      const int64_t amount = s.AmountDueAsOf(rec.as_of) - ctx.DisputedAmount(s, rec.as_of);
      in.invoices.push_back({s.number,
                             {s.currency, amount},
                             s.due_date,
                             std::max(0, DaysPastDue(s.due_date, rec.as_of)),
                             ""});
      if (AddOverflows(totals[s.currency], amount, &totals[s.currency])) {
        return absl::OutOfRangeError(
            absl::StrCat("the total owed in ", s.currency, " overflows at invoice ", s.number));
      }
    }
  }
  for (const auto& [cur, amount] : totals) in.totals.push_back({cur, amount});
  // The recommendation decides the consequence (from the formal notice on)
  // and whether the letter offers a plan; the template only words them.
  if (rec.consequence_date && !ConsequenceText(rec.consequence_stage).empty()) {
    in.next_consequence = ConsequenceText(rec.consequence_stage);
    in.next_consequence_date = rec.consequence_date;
  }
  in.offer_payment_plan = rec.offer_payment_plan;
  in.proposed_step = ConsequenceText(rec.stage);
  if (rec.HasReason("PLAN_DEFAULTED")) {
    for (const auto& p : ctx.plans) {
      if (p.status == PlanStatus::kDefaulted && p.defaulted_date &&
          *p.defaulted_date <= rec.as_of &&
          (!in.plan_defaulted_on || *p.defaulted_date > *in.plan_defaulted_on)) {
        in.plan_defaulted_on = p.defaulted_date;
      }
    }
  }
  return in;
}

// ------------------------------------------------------------ compiled

struct CompiledTemplate::Parsed {
  explicit Parsed(const MessageTemplate& t) : subject(t.subject), body(t.body) {
    subject.set_custom_escape([](const std::string& s) { return s; });  // plain text
    body.set_custom_escape([](const std::string& s) { return s; });
  }
  // kainjow's render() is not const; one render at a time per template.
  absl::Mutex mu;
  kainjow::mustache::mustache subject ABSL_GUARDED_BY(mu);
  kainjow::mustache::mustache body ABSL_GUARDED_BY(mu);
};

CompiledTemplate::~CompiledTemplate() = default;

absl::StatusOr<std::shared_ptr<const CompiledTemplate>> CompiledTemplate::Compile(
    MessageTemplate tmpl) {
  std::shared_ptr<CompiledTemplate> c(new CompiledTemplate());
  for (auto [text, field] : {std::pair{&tmpl.subject, "subject"}, {&tmpl.body, "body"}}) {
    kainjow::mustache::mustache m(*text);
    if (!m.is_valid()) return InvalidInput("TEMPLATE_INVALID", field, m.error_message());
    if (absl::Status st = ScanPlaceholders(*text, field, &c->uses_); !st.ok()) return st;
  }
  c->parsed_ = std::make_unique<Parsed>(tmpl);
  c->source_ = std::move(tmpl);
  return std::shared_ptr<const CompiledTemplate>(std::move(c));
}

absl::StatusOr<RenderedMessage> CompiledTemplate::Render(const RenderInput& input) const {
  const std::map<std::string, std::string> top = TopLevelValues(input);
  for (const PlaceholderUse& use : uses_) {
    if (use.guarded) continue;
    if (use.in_invoices) {
      for (const auto& inv : input.invoices) {
        if (RowFieldEmpty(inv, use.name)) {
          return MissingField(source_, use.name, absl::StrCat(" for invoice ", inv.number));
        }
      }
    } else if (top.at(use.name).empty()) {
      return MissingField(source_, use.name, "");
    }
  }
  data d;
  for (const auto& [name, value] : top) d.set(name, Value(value));
  d.set("has_payment_link", Flag(!input.payment_link.empty()));
  d.set("offer_payment_plan", Flag(input.offer_payment_plan));
  kainjow::mustache::list invoices;
  for (const auto& inv : input.invoices) {
    data row;
    row.set("number", Value(inv.number));
    row.set("amount", FormatMoney(inv.amount));
    row.set("due_date", absl::FormatCivilTime(inv.due_date));
    row.set("days_overdue",
            inv.days_overdue > 0 ? data(std::to_string(inv.days_overdue)) : Flag(false));
    row.set("payment_link", Value(inv.payment_link));
    invoices.push_back(row);
  }
  d.set("invoices", invoices);
  RenderedMessage out;
  out.template_id = source_.id;
  out.locale = source_.locale;
  absl::MutexLock lock(&parsed_->mu);
  out.subject = parsed_->subject.render(d);
  out.body = parsed_->body.render(d);
  return out;
}

absl::StatusOr<RenderedMessage> Render(const MessageTemplate& tmpl, const RenderInput& input) {
  auto compiled = CompiledTemplate::Compile(tmpl);
  if (!compiled.ok()) return compiled.status();
  return (*compiled)->Render(input);
}

namespace {

// Wording never acceptable in a collection message (FDCPA §806(2): obscene
// or profane language; §806(1): threats of violence or harm).
constexpr const char* kAbusive[] = {"idiot", "stupid",    "deadbeat", "liar",
                                    "scum",  "loser",     "damn",     "hell",
                                    "crook", "worthless", "hurt you", "you will regret"};
// Threats a consumer message must not make (FDCPA §807(4): arrest or
// imprisonment, seizure, garnishment, sale; §807(5): action not intended or
// not lawful; §807(7): false accusation of a crime; §806(3)-(4): publishing
// the debtor's name).
constexpr const char* kThreats[] = {"arrest",
                                    "jail",
                                    "prison",
                                    "police",
                                    "criminal",
                                    "garnish",
                                    "seiz",
                                    "repossess",
                                    "sue you",
                                    "lawsuit",
                                    "take you to court",
                                    "fraud",
                                    "blacklist",
                                    "publish your name",
                                    "tell your employer",
                                    "ruin your credit",
                                    "last chance before we"};

// `word` at a word start; a threat stem may be inflected ("garnishment",
// "seized", "arrested"), an abusive word must stand alone ("hell" is not
// "hello").
bool ContainsWord(absl::string_view lower_text, absl::string_view word, bool stem) {
  size_t pos = 0;
  while ((pos = lower_text.find(word, pos)) != absl::string_view::npos) {
    const size_t end = pos + word.size();
    const bool start_ok = pos == 0 || !absl::ascii_isalpha(lower_text[pos - 1]);
    const bool end_ok = stem || end >= lower_text.size() || !absl::ascii_isalpha(lower_text[end]);
    if (start_ok && end_ok) return true;
    pos = end;
  }
  return false;
}

}  // namespace

absl::Status CheckTone(absl::string_view text, CustomerKind kind) {
  const std::string lower = Lower(text);
  for (const char* w : kAbusive) {
    if (ContainsWord(lower, w, false)) {
      return PreconditionError("TEMPLATE_TONE_REFUSED",
                               absl::StrCat("abusive wording \"", w,
                                            "\" is not allowed (FDCPA §806 harassment or abuse)"));
    }
  }
  if (kind != CustomerKind::kConsumer) return absl::OkStatus();
  for (const char* w : kThreats) {
    if (ContainsWord(lower, w, true)) {
      return PreconditionError(
          "TEMPLATE_TONE_REFUSED",
          absl::StrCat("threatening wording \"", w,
                       "\" is not allowed in consumer messages (FDCPA §807(4)-(5), §806)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTemplate(const MessageTemplate& tmpl) {
  // "<stage>.<channel>": two dot-separated words of [a-z0-9_].
  const std::vector<absl::string_view> words = absl::StrSplit(tmpl.id, '.');
  const bool id_ok = tmpl.id.size() <= 128 && words.size() == 2 &&
                     std::all_of(words.begin(), words.end(), [](absl::string_view w) {
                       return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
                         return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
                       });
                     });
  if (!id_ok) {
    return InvalidInput("TEMPLATE_INVALID", "id",
                        "\"<stage>.<channel>\" of [a-z0-9_], e.g. \"formal_notice.letter\", "
                        "at most 128 characters");
  }
  const bool locale_ok = !tmpl.locale.empty() && tmpl.locale.size() <= 35 &&
                         absl::ascii_isalpha(tmpl.locale[0]) &&
                         std::all_of(tmpl.locale.begin(), tmpl.locale.end(),
                                     [](char c) { return absl::ascii_isalnum(c) || c == '-'; });
  if (!locale_ok) return InvalidInput("TEMPLATE_INVALID", "locale", "a BCP 47 tag, e.g. \"en\"");
  if (tmpl.body.empty()) return InvalidInput("TEMPLATE_INVALID", "body", "required");
  if (tmpl.subject.size() > 1000) {
    return InvalidInput("TEMPLATE_INVALID", "subject", "at most 1000 characters");
  }
  if (tmpl.body.size() > 20000) {
    return InvalidInput("TEMPLATE_INVALID", "body", "at most 20000 characters");
  }
  if (absl::Status st = CompiledTemplate::Compile(tmpl).status(); !st.ok()) return st;
  absl::Status tone =
      CheckTone(absl::StrCat(tmpl.subject, "\n", tmpl.body), CustomerKind::kConsumer);
  if (!tone.ok()) {
    return InvalidInput("TEMPLATE_TONE_REFUSED", "body", tone.message());
  }
  return absl::OkStatus();
}

}  // namespace collections::domain
