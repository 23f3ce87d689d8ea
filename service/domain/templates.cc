#include "service/domain/templates.h"

#include <algorithm>
#include <map>

#include <kainjow/mustache.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/domain/errors.h"

namespace collections::domain {

namespace {

// The invoice table every written message repeats.
constexpr char kInvoiceTable[] =
    "{{#invoices}}\n"
    "  Invoice {{number}}: {{amount}}, due {{due_date}}{{#days_overdue}} ({{days_overdue}} days "
    "overdue){{/days_overdue}}\n"
    "{{/invoices}}";

constexpr char kPayLine[] =
    "{{#has_payment_link}}You can pay online at {{payment_link}}.\n{{/has_payment_link}}";

constexpr char kSignature[] =
    "Kind regards,\n{{account_owner}}\n{{company_name}}\n";

MessageTemplate T(std::string id, Stage stage, Channel channel, Tone tone, std::string subject,
                  std::string body) {
  return MessageTemplate{std::move(id), "en", stage, channel, tone, std::move(subject),
                         std::move(body)};
}

std::vector<MessageTemplate> BuildDefaults() {
  const std::string table = kInvoiceTable;
  const std::string pay = kPayLine;
  const std::string sig = kSignature;
  std::vector<MessageTemplate> t;
  t.push_back(T("pre_due_reminder.email", Stage::kPreDueReminder, Channel::kEmail,
                Tone::kFriendly, "Upcoming payment: {{total}} due soon",
                "Dear {{contact_name}},\n\n"
                "A quick courtesy note: the following invoice falls due shortly.\n\n" +
                    table + "\n" + pay +
                    "If you have already arranged payment, thank you and please ignore this "
                    "note.\n\n" + sig));
  t.push_back(T("friendly_reminder.email", Stage::kFriendlyReminder, Channel::kEmail,
                Tone::kFriendly, "Friendly reminder: {{total}} now due",
                "Dear {{contact_name}},\n\n"
                "We hope all is well. Our records show that the following payment has not "
                "reached us yet; it may simply have been overlooked.\n\n" +
                    table + "\n" + pay +
                    "If payment is already on its way, thank you. If anything about the invoice "
                    "is unclear, just reply and we will sort it out.\n\n" + sig));
  t.push_back(T("friendly_reminder.sms", Stage::kFriendlyReminder, Channel::kSms,
                Tone::kFriendly, "",
                "{{company_name}}: a friendly reminder that {{total}} is now due"
                "{{#has_payment_link}}. Pay at {{payment_link}}{{/has_payment_link}}. "
                "Questions? Reply or call {{account_owner}}."));
  t.push_back(T("second_reminder_or_call.email", Stage::kSecondReminder, Channel::kEmail,
                Tone::kNeutral, "Second reminder: {{total}} overdue",
                "Dear {{contact_name}},\n\n"
                "We wrote to you recently about the payment below, which is still open.\n\n" +
                    table + "\n" + pay +
                    "Please let us know when we can expect payment. If there is a problem with "
                    "the invoice, or if paying in one go is difficult right now, reply to this "
                    "message and we will look for a solution together.\n\n" + sig));
  t.push_back(T("second_reminder_or_call.letter", Stage::kSecondReminder, Channel::kLetter,
                Tone::kNeutral, "Second reminder: {{total}} overdue",
                "{{customer_name}}\nAttn. {{contact_name}}\n\n{{as_of}}\n\n"
                "Dear {{contact_name}},\n\n"
                "We wrote to you recently about the payment below, which is still open.\n\n" +
                    table + "\n" + pay +
                    "Please let us know when we can expect payment. If there is a problem with "
                    "the invoice, contact us and we will look for a solution together.\n\n" + sig));
  t.push_back(T("second_reminder_or_call.call", Stage::kSecondReminder, Channel::kPhone,
                Tone::kFriendly, "Call {{customer_name}} about {{total}}",
                "Call {{contact_name}} at {{customer_name}} ({{account_owner}}).\n\n"
                "Open items:\n" + table +
                "\nAsk whether the invoices arrived and are approved, and why payment is "
                "delayed (oversight, cash flow, dissatisfaction or dispute). Agree a payment "
                "date or note the reason. Be courteous; record the outcome.\n"));
  // Letters open with the address block and date; e-mails do not. The
  // wording is otherwise the same.
  const std::string address = "{{customer_name}}\nAttn. {{contact_name}}\n\n{{as_of}}\n\n";
  const std::string formal =
      "Dear {{contact_name}},\n\n"
      "Despite our earlier reminders, your account with {{company_name}} shows the "
      "following overdue items:\n\n" +
      table + "\nTotal overdue: {{total}}\n\n"
      "Please pay the total within 14 days of this notice. " + pay +
      "If the account remains unpaid, we will have to consider further steps to "
      "recover the debt, which may include referral to a collection agency. If you "
      "dispute any of these amounts, please tell us so that we can review them.\n\n";
  const std::string final_demand =
      "Dear {{contact_name}},\n\n"
      "We have written to you several times about the following overdue items and "
      "have not received payment:\n\n" +
      table + "\nTotal overdue: {{total}}\n\n"
      "This is our final request before the account is passed on. Please pay "
      "{{total}} within 7 days. " + pay +
      "If we do not receive payment or hear from you, we intend to refer the "
      "account to a collection agency. If you cannot pay in full, contact "
      "{{account_owner}} now: we are still willing to agree a payment plan.\n\n";
  const std::string formal_sig = "Yours sincerely,\n{{account_owner}}\n{{company_name}}\n";
  t.push_back(T("formal_notice.letter", Stage::kFormalNotice, Channel::kLetter, Tone::kFormal,
                "Formal notice: overdue account {{total}}",
                address + "Formal notice of overdue payment\n\n" + formal + formal_sig));
  t.push_back(T("formal_notice.email", Stage::kFormalNotice, Channel::kEmail, Tone::kFormal,
                "Formal notice: overdue account {{total}}", formal + sig));
  t.push_back(T("final_demand.letter", Stage::kFinalDemand, Channel::kLetter, Tone::kFirm,
                "Final demand: {{total}}",
                address + "Final demand for payment\n\n" + final_demand + formal_sig));
  t.push_back(T("final_demand.email", Stage::kFinalDemand, Channel::kEmail, Tone::kFirm,
                "Final demand: {{total}}", final_demand + sig));
  t.push_back(T("payment_plan_offer.email", Stage::kNone, Channel::kEmail, Tone::kFriendly,
                "A payment plan for {{total}}",
                "Dear {{contact_name}},\n\n"
                "Thank you for explaining your situation. To make things easier, we can "
                "spread the open amount of {{total}} over several instalments.\n\n" +
                    table +
                    "\nReply to this message or call {{account_owner}} and we will agree a "
                    "schedule that works for you.\n\n" + sig));
  t.push_back(T("payment_plan_offer.letter", Stage::kNone, Channel::kLetter, Tone::kFriendly,
                "A payment plan for {{total}}",
                "{{customer_name}}\nAttn. {{contact_name}}\n\n{{as_of}}\n\n"
                "Dear {{contact_name}},\n\n"
                "Thank you for explaining your situation. To make things easier, we can "
                "spread the open amount of {{total}} over several instalments.\n\n" +
                    table +
                    "\nPlease contact {{account_owner}} and we will agree a schedule that works "
                    "for you.\n\n" + sig));
  t.push_back(T("payment_plan_offer.call", Stage::kNone, Channel::kPhone, Tone::kFriendly,
                "Call {{customer_name}}: offer a payment plan for {{total}}",
                "Call {{contact_name}} at {{customer_name}} ({{account_owner}}).\n\n"
                "The customer reported a cash-flow problem. Offer to spread {{total}} over "
                "instalments and agree a schedule.\n\nOpen items:\n" + table));
  t.push_back(T("agency_referral.task", Stage::kAgencyReferral, Channel::kUnspecified,
                Tone::kFormal, "Refer {{customer_name}} to the collection agency ({{total}})",
                "Internal task for {{account_owner}}.\n\n"
                "Prepare the case file of {{customer_name}} and refer the account to the "
                "collection agency.\n\nOpen items:\n" + table + "\nTotal: {{total}}\n"));
  t.push_back(T("legal_review.task", Stage::kLegalReview, Channel::kUnspecified, Tone::kFormal,
                "Legal review of {{customer_name}} ({{total}})",
                "Internal task for {{account_owner}}.\n\n"
                "Review with counsel whether legal action against {{customer_name}} is worth "
                "its cost.\n\nOpen items:\n" + table + "\nTotal: {{total}}\n"));
  t.push_back(T("write_off_review.task", Stage::kWriteOffReview, Channel::kUnspecified,
                Tone::kNeutral, "Write-off review of {{customer_name}} ({{total}})",
                "Internal task for {{account_owner}}.\n\n"
                "Recovery of the following items is not expected to cover its cost. Review "
                "them for write-off.\n\nOpen items:\n" + table + "\nTotal: {{total}}\n"));
  return t;
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

}  // namespace

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

RenderInput MakeRenderInput(const AccountContext& ctx, const Recommendation& rec,
                            absl::string_view company_name) {
  RenderInput in;
  in.customer_name = ctx.customer.display_name;
  in.contact_name = ctx.customer.contact_name.empty() ? ctx.customer.display_name
                                                      : ctx.customer.contact_name;
  in.company_name = std::string(company_name);
  in.account_owner = ctx.customer.account_owner;
  in.payment_link = ctx.customer.payment_link;
  in.as_of = rec.as_of;
  std::map<std::string, int64_t> totals;
  for (const auto& id : rec.invoice_ids) {
    for (const auto& inv : ctx.invoices) {
      if (inv.state.id != id) continue;
      const InvoiceState& s = inv.state;
      const int64_t amount = s.AmountDueAsOf(rec.as_of) - ctx.DisputedAmount(s, rec.as_of);
      in.invoices.push_back({s.number, {s.currency, amount}, s.due_date,
                             std::max(0, DaysPastDue(s.due_date, rec.as_of))});
      totals[s.currency] += amount;
    }
  }
  for (const auto& [cur, amount] : totals) in.totals.push_back({cur, amount});
  return in;
}

absl::StatusOr<RenderedMessage> Render(const MessageTemplate& tmpl, const RenderInput& input) {
  using kainjow::mustache::data;
  using kainjow::mustache::list;
  data d;
  d.set("customer_name", input.customer_name);
  d.set("contact_name", input.contact_name);
  d.set("company_name", input.company_name);
  d.set("account_owner", input.account_owner);
  d.set("payment_link", input.payment_link);
  d.set("has_payment_link", input.payment_link.empty() ? data(data::type::bool_false)
                                                       : data(data::type::bool_true));
  d.set("as_of", absl::FormatCivilTime(input.as_of));
  std::vector<std::string> totals;
  for (const auto& m : input.totals) totals.push_back(FormatMoney(m));
  d.set("total", absl::StrJoin(totals, " + "));
  int oldest = 0;
  list invoices;
  for (const auto& inv : input.invoices) {
    data row;
    row.set("number", inv.number);
    row.set("amount", FormatMoney(inv.amount));
    row.set("due_date", absl::FormatCivilTime(inv.due_date));
    if (inv.days_overdue > 0) {
      row.set("days_overdue", std::to_string(inv.days_overdue));
    } else {
      row.set("days_overdue", data(data::type::bool_false));
    }
    oldest = std::max(oldest, inv.days_overdue);
    invoices.push_back(row);
  }
  d.set("invoices", invoices);
  d.set("days_overdue", std::to_string(oldest));
  RenderedMessage out;
  out.template_id = tmpl.id;
  out.locale = tmpl.locale;
  for (auto [text, dest] : {std::pair{&tmpl.subject, &out.subject}, {&tmpl.body, &out.body}}) {
    kainjow::mustache::mustache m(*text);
    if (!m.is_valid()) {
      return InvalidInput("TEMPLATE_INVALID", text == &tmpl.subject ? "subject" : "body",
                          m.error_message());
    }
    m.set_custom_escape([](const std::string& s) { return s; });  // plain text
    *dest = m.render(d);
  }
  return out;
}

namespace {

// Wording never acceptable in a collection message (FDCPA §806(2): obscene
// or profane language; §806(1): threats of violence or harm).
constexpr const char* kAbusive[] = {"idiot", "stupid", "deadbeat", "liar", "scum", "loser",
                                    "damn", "hell", "crook", "worthless", "hurt you",
                                    "you will regret"};
// Threats a consumer message must not make (FDCPA §807(4): arrest or
// imprisonment, seizure, garnishment, sale; §807(5): action not intended or
// not lawful; §807(7): false accusation of a crime; §806(3)-(4): publishing
// the debtor's name).
constexpr const char* kThreats[] = {"arrest", "jail", "prison", "police", "criminal",
                                    "garnish", "seiz", "repossess", "sue you",
                                    "lawsuit", "take you to court", "fraud", "blacklist",
                                    "publish your name", "tell your employer",
                                    "ruin your credit", "last chance before we"};

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
  if (tmpl.id.empty() || tmpl.id.size() > 128) {
    return InvalidInput("TEMPLATE_INVALID", "id", "1..128 characters");
  }
  if (tmpl.locale.empty() || tmpl.locale.size() > 35) {
    return InvalidInput("TEMPLATE_INVALID", "locale", "a BCP 47 tag, e.g. \"en\"");
  }
  if (tmpl.body.empty()) return InvalidInput("TEMPLATE_INVALID", "body", "required");
  for (auto [text, field] : {std::pair{&tmpl.subject, "subject"}, {&tmpl.body, "body"}}) {
    kainjow::mustache::mustache m(*text);
    if (!m.is_valid()) return InvalidInput("TEMPLATE_INVALID", field, m.error_message());
  }
  absl::Status tone = CheckTone(absl::StrCat(tmpl.subject, "\n", tmpl.body),
                                CustomerKind::kConsumer);
  if (!tone.ok()) {
    return InvalidInput("TEMPLATE_TONE_REFUSED", "body", tone.message());
  }
  return absl::OkStatus();
}

}  // namespace collections::domain
