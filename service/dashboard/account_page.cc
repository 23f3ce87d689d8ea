// The account page, its forms, and the case file (dashboard.h). The page
// reads the account through ExportCaseFile, the call that gives an agency
// or a lawyer the whole file, so that what the collector sees is what the
// file holds.
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "collections_sidecar/v1/arrangements.pb.h"
#include "collections_sidecar/v1/cases.pb.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "collections_sidecar/v1/recovery.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/app/arrangements_app.h"
#include "service/app/ledger_app.h"
#include "service/app/recovery_app.h"
#include "service/base/money.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/dashboard/dashboard.h"
#include "service/dashboard/html.h"
#include "service/pdf/text_pdf.h"

namespace collections::dashboard {
namespace {

namespace pb = ::google::protobuf;

// ExportCaseFile's JSON, read back into its messages.
struct CaseFileData {
  v1::Customer customer;
  std::vector<v1::Invoice> invoices;
  std::vector<v1::Payment> payments;
  std::vector<v1::CreditNote> credit_notes;
  std::vector<v1::ContactRecord> contacts;
  std::vector<v1::Arrangement> arrangements;
  std::vector<v1::OutboxAction> letters;
  v1::Recommendation recommendation;
  std::optional<v1::Case> case_record;
};

absl::Status FromValue(const pb::Value& value, pb::Message* out) {
  std::string json;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!pb::util::MessageToJsonString(value, &json).ok() ||
      !pb::util::JsonStringToMessage(json, out, options).ok()) {
    return absl::InternalError(
        absl::StrCat("the case file's ", out->GetDescriptor()->name(), " does not read back"));
  }
  return absl::OkStatus();
}

template <typename Msg>
absl::Status ListFrom(const pb::Struct& file, const std::string& key, std::vector<Msg>* out) {
  auto it = file.fields().find(key);
  if (it == file.fields().end()) return absl::OkStatus();
  for (const pb::Value& v : it->second.list_value().values()) {
    RETURN_IF_ERROR(FromValue(v, &out->emplace_back()));
  }
  return absl::OkStatus();
}

absl::StatusOr<CaseFileData> ReadCaseFile(const std::string& json) {
  pb::Struct file;
  if (!pb::util::JsonStringToMessage(json, &file).ok()) {
    return absl::InternalError("the case file is not JSON");
  }
  CaseFileData d;
  const auto& f = file.fields();
  if (auto it = f.find("customer"); it != f.end())
    RETURN_IF_ERROR(FromValue(it->second, &d.customer));
  RETURN_IF_ERROR(ListFrom(file, "invoices", &d.invoices));
  RETURN_IF_ERROR(ListFrom(file, "payments", &d.payments));
  RETURN_IF_ERROR(ListFrom(file, "creditNotes", &d.credit_notes));
  RETURN_IF_ERROR(ListFrom(file, "contacts", &d.contacts));
  RETURN_IF_ERROR(ListFrom(file, "arrangements", &d.arrangements));
  RETURN_IF_ERROR(ListFrom(file, "outboxActions", &d.letters));
  if (auto it = f.find("recommendation"); it != f.end()) {
    RETURN_IF_ERROR(FromValue(it->second, &d.recommendation));
  }
  if (auto it = f.find("case"); it != f.end()) {
    d.case_record.emplace();
    RETURN_IF_ERROR(FromValue(it->second, &*d.case_record));
  }
  return d;
}

// The last part of a resource name ("tenants/a/customers/c/invoices/INV-1" -> "INV-1").
std::string Tail(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

// A message's set fields on one line, "label: value; ...": money and dates
// formatted, enums in words, names shortened, nested messages and lists
// left to the sections that show them.
std::string Summary(const pb::Message& m) {
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  std::vector<std::string> parts;
  for (const pb::FieldDescriptor* f : fields) {
    if (f->is_repeated() || f->name() == "name") continue;
    std::string value;
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
        const pb::Message& sub = r->GetMessage(m, f);
        if (const auto* money = dynamic_cast<const v1::Money*>(&sub)) value = Money(*money);
        if (const auto* date = dynamic_cast<const v1::Date*>(&sub)) value = Day(*date);
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        value = Words(r->GetEnum(m, f)->name());
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        value = Tail(r->GetString(m, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        value = r->GetBool(m, f) ? "yes" : "no";
        break;
      case pb::FieldDescriptor::CPPTYPE_INT32:
        value = absl::StrCat(r->GetInt32(m, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        value = absl::StrCat(r->GetInt64(m, f));
        break;
      default:
        break;
    }
    if (!value.empty())
      parts.push_back(absl::StrCat(Escape(Words(f->name())), ": <b>", Escape(value), "</b>"));
  }
  return absl::StrJoin(parts, "; ");
}

std::string Table(absl::string_view id, const std::vector<std::string>& head,
                  const std::vector<std::string>& rows, absl::string_view empty) {
  if (rows.empty()) return absl::StrCat("<p class=\"muted\" id=\"", id, "\">", empty, "</p>");
  std::string out = absl::StrCat("<div class=\"table-wrap\"><table id=\"", id, "\"><thead><tr>");
  for (const std::string& h : head) {
    const bool num = absl::StartsWith(h, "#");
    absl::StrAppend(&out, num ? "<th class=\"num\">" : "<th>", Escape(num ? h.substr(1) : h),
                    "</th>");
  }
  return absl::StrCat(out, "</tr></thead><tbody>", absl::StrJoin(rows, ""),
                      "</tbody></table></div>");
}

std::string Num(absl::string_view html) {
  return absl::StrCat("<td class=\"num\">", html, "</td>");
}
std::string Cell(absl::string_view html) { return absl::StrCat("<td>", html, "</td>"); }

std::string CaseSection(const CaseFileData& d) {
  if (!d.case_record) return "<h2>Case</h2><p class=\"muted\">No case yet.</p>";
  const v1::Case& c = *d.case_record;
  std::vector<std::string> pauses;
  for (const auto& p : c.pauses()) pauses.push_back(Summary(p));
  std::string out = absl::StrCat(
      "<h2>Case</h2><div class=\"cards\" id=\"case\"><div class=\"card\"><div class=\"label\">State"
      "</div><div class=\"value\">",
      Escape(Words(v1::Case::State_Name(c.state()))),
      "</div></div><div class=\"card\"><div class=\"label\">Stage</div><div class=\"value\">",
      Escape(Words(v1::CollectionStage_Name(c.stage()), "STAGE_")),
      "</div><div class=\"label\">since ", Day(c.stage_entered_date()),
      "</div></div><div class=\"card\"><div class=\"label\">Next step</div><div class=\"value\">",
      Escape(Words(v1::Recommendation::Action_Name(c.next_step().action()))),
      "</div><div class=\"label\">", Day(c.next_step().date()),
      "</div></div><div class=\"card\"><div class=\"label\">Owner, segment"
      "</div><div class=\"value\">",
      Escape(c.owner().empty() ? "-" : c.owner()), "</div><div class=\"label\">",
      Escape(c.policy_segment()), "</div></div></div>");
  if (!pauses.empty()) absl::StrAppend(&out, "<p>Paused: ", absl::StrJoin(pauses, " · "), "</p>");
  if (!c.priority_explanation().empty()) {
    absl::StrAppend(&out, "<p class=\"muted\">", Escape(c.priority_explanation()), "</p>");
  }
  std::vector<std::string> rows;
  for (const v1::CaseTransition& t : c.history()) {
    std::vector<std::string> reasons;
    for (const auto& r : t.reasons())
      reasons.push_back(Escape(r.text().empty() ? r.code() : r.text()));
    rows.push_back(absl::StrCat(
        "<tr>", Cell(Day(t.date())), Cell(Escape(t.event())),
        Cell(Escape(absl::StrCat(Words(v1::Case::State_Name(t.from_state())), " → ",
                                 Words(v1::Case::State_Name(t.to_state()))))),
        Cell(Escape(absl::StrCat(Words(v1::CollectionStage_Name(t.from_stage()), "STAGE_"), " → ",
                                 Words(v1::CollectionStage_Name(t.to_stage()), "STAGE_")))),
        Cell(absl::StrJoin(reasons, "; ")), "</tr>"));
  }
  absl::StrAppend(
      &out, "<h3>History</h3>",
      Table("history", {"Date", "Event", "State", "Stage", "Why"}, rows, "No transitions yet."));
  return out;
}

std::string LedgerSection(const CaseFileData& d) {
  std::vector<std::string> invoices, payments, credits;
  for (const v1::Invoice& i : d.invoices) {
    invoices.push_back(absl::StrCat(
        "<tr>", Cell(Escape(i.number())), Cell(Day(i.issue_date())), Cell(Day(i.due_date())),
        Num(Escape(Money(i.total()))), Num(Escape(Money(i.amount_due()))),
        Cell(Escape(Words(v1::Invoice::Status_Name(i.status())))), "</tr>"));
  }
  auto allocations = [](const auto& record) {
    std::vector<std::string> out;
    for (const v1::Allocation& a : record.allocations()) {
      out.push_back(
          absl::StrCat(Escape(a.invoice_number().empty() ? Tail(a.invoice()) : a.invoice_number()),
                       " ", Escape(Money(a.amount()))));
    }
    return absl::StrJoin(out, "<br>");
  };
  for (const v1::Payment& p : d.payments) {
    payments.push_back(absl::StrCat(
        "<tr>", Cell(Day(p.received_date())), Num(Escape(Money(p.amount()))),
        Cell(Escape(Words(v1::Payment::Method_Name(p.method())))), Cell(allocations(p)),
        Num(Escape(Money(p.unapplied()))), Cell(Escape(p.payer_reference())), "</tr>"));
  }
  for (const v1::CreditNote& c : d.credit_notes) {
    credits.push_back(absl::StrCat("<tr>", Cell(Escape(c.number())), Cell(Day(c.issue_date())),
                                   Num(Escape(Money(c.amount()))), Cell(allocations(c)),
                                   Cell(Escape(c.reason())), "</tr>"));
  }
  return absl::StrCat(
      "<h2>Ledger</h2><h3>Invoices</h3>",
      Table("invoices", {"Number", "Issued", "Due", "#Total", "#Due now", "Status"}, invoices,
            "No invoices."),
      "<h3>Payments</h3>",
      Table("payments",
            {"Received", "#Amount", "Method", "Allocated to", "#Unapplied", "Reference"}, payments,
            "No payments."),
      "<h3>Credit notes</h3>",
      Table("credit-notes", {"Number", "Issued", "#Amount", "Allocated to", "Reason"}, credits,
            "No credit notes."));
}

std::string HistorySections(const CaseFileData& d) {
  std::vector<std::string> contacts, arrangements, letters;
  for (const v1::ContactRecord& c : d.contacts) {
    contacts.push_back(
        absl::StrCat("<tr>", Cell(Escape(Instant(c.time()))),
                     Cell(Escape(Words(v1::Channel_Name(c.channel()), "CHANNEL_"))),
                     Cell(Escape(Words(v1::ContactRecord::Direction_Name(c.direction())))),
                     Cell(Escape(Words(v1::ContactRecord::Outcome_Name(c.outcome())))),
                     Cell(Escape(c.summary())), Cell(Escape(c.actor())), "</tr>"));
  }
  for (const v1::Arrangement& a : d.arrangements) {
    const pb::Reflection* r = a.GetReflection();
    const pb::FieldDescriptor* f =
        r->GetOneofFieldDescriptor(a, a.GetDescriptor()->FindOneofByName("arrangement"));
    if (f == nullptr) continue;
    const pb::Message& m = r->GetMessage(a, f);
    const pb::FieldDescriptor* name = m.GetDescriptor()->FindFieldByName("name");
    arrangements.push_back(
        absl::StrCat("<tr>", Cell(Escape(Words(f->name()))),
                     Cell(Escape(name ? Tail(m.GetReflection()->GetString(m, name)) : "")),
                     Cell(Summary(m)), "</tr>"));
  }
  for (const v1::OutboxAction& l : d.letters) {
    letters.push_back(absl::StrCat(
        "<tr>", Cell(Day(l.as_of())),
        Cell(Escape(Words(v1::Channel_Name(l.recommendation().channel()), "CHANNEL_"))),
        Cell(Escape(Words(v1::OutboxAction::Status_Name(l.status())))),
        Cell(absl::StrCat("<details><summary>",
                          Escape(l.subject().empty() ? "(no subject)" : l.subject()),
                          "</summary><p class=\"muted\">to ", Escape(l.recipient()), "</p><pre>",
                          Escape(l.body()), "</pre></details>")),
        "</tr>"));
  }
  return absl::StrCat(
      "<h2>Contacts</h2>",
      Table("contacts", {"Time", "Channel", "Direction", "Outcome", "Summary", "By"}, contacts,
            "No contacts recorded."),
      "<h2>Promises, plans, settlements, disputes</h2>",
      Table("arrangements", {"Kind", "Id", "Terms and state"}, arrangements, "None."),
      "<h2>Letters and messages as sent</h2>",
      Table("letters", {"Day", "Channel", "Status", "Message"}, letters, "Nothing sent yet."));
}

std::string Option(const std::string& value, const std::string& text, const std::string& chosen) {
  return absl::StrCat("<option value=\"", Escape(value), "\"", value == chosen ? " selected" : "",
                      ">", Escape(text), "</option>");
}

// <option>s of enum `E` from 1 on, `strip` removed from the shown names.
template <typename Names>
std::string EnumOptions(int last, Names name_of, absl::string_view strip,
                        const std::string& chosen) {
  std::string out;
  for (int v = 1; v <= last; ++v) {
    const std::string name = name_of(v);
    if (!name.empty()) out += Option(name, Words(name, strip), chosen);
  }
  return out;
}

std::string FormsSection(const std::string& customer_id, const std::string& csrf,
                         const CaseFileData& d,
                         const std::vector<std::pair<std::string, std::string>>& form,
                         const domain::Clock& clock) {
  auto value = [&](absl::string_view name, absl::string_view def) {
    const std::string v = Field(form, name);
    return v.empty() ? std::string(def) : v;
  };
  auto open = [&](absl::string_view action, absl::string_view title) {
    return absl::StrCat("<form method=\"post\" id=\"form-", action,
                        "\" action=\"/dashboard/accounts/", UrlEncode(customer_id), "/", action,
                        "\"><h3>", title, "</h3>", CsrfField(csrf),
                        "<input type=\"hidden\" name=\"request_id\" value=\"dash-",
                        RandomToken().substr(0, 32), "\">");
  };
  std::string currency = "USD";
  for (const auto& i : d.invoices) {
    if (i.amount_due().minor_units() > 0) {
      currency = i.currency_code();
      break;
    }
  }
  std::string invoice_options;
  for (const auto& i : d.invoices) {
    if (i.amount_due().minor_units() > 0)
      invoice_options += Option(i.name(), i.number(), value("invoice", ""));
  }
  const std::string now = absl::FormatTime("%Y-%m-%dT%H:%M", clock.Now(), absl::UTCTimeZone());
  std::string out = "<h2>Actions</h2><div class=\"forms\">";
  absl::StrAppend(
      &out, open("contacts", "Record a contact"),
      "<label>Time (UTC) <input type=\"datetime-local\" name=\"time\" id=\"contact-time\" value=\"",
      Escape(value("time", now)), "\" required></label><label>Channel <select name=\"channel\">",
      EnumOptions(
          6,
          [](int v) {
            return v1::Channel_IsValid(v) ? v1::Channel_Name(static_cast<v1::Channel>(v)) : "";
          },
          "CHANNEL_", value("channel", "CHANNEL_PHONE")),
      "</select></label><label>Direction <select name=\"direction\">",
      Option("OUTBOUND", "outbound", value("direction", "OUTBOUND")),
      Option("INBOUND", "inbound", value("direction", "OUTBOUND")),
      "</select></label><label>Outcome <select name=\"outcome\">",
      EnumOptions(
          7,
          [](int v) {
            return v1::ContactRecord::Outcome_IsValid(v)
                       ? v1::ContactRecord::Outcome_Name(static_cast<v1::ContactRecord::Outcome>(v))
                       : "";
          },
          "", value("outcome", "SPOKE")),
      "</select></label><label>Summary <textarea name=\"summary\" id=\"contact-summary\" "
      "rows=\"2\" "
      "maxlength=\"4000\">",
      Escape(value("summary", "")),
      "</textarea></label>"
      "<button class=\"primary\" type=\"submit\" id=\"record-contact\">Record "
      "contact</button></form>");
  absl::StrAppend(
      &out, open("promises", "Record a promise to pay"), "<label>Amount (", Escape(currency),
      ") <input name=\"amount\" inputmode=\"decimal\" required value=\"",
      Escape(value("amount", "")), "\"></label><input type=\"hidden\" name=\"currency\" value=\"",
      Escape(currency), "\"><label>By <input type=\"date\" name=\"date\" required value=\"",
      Escape(value("date", "")),
      "\"></label><label>Promised by <input name=\"promised_by\" value=\"",
      Escape(value("promised_by", "")),
      "\"></label>"
      "<button class=\"primary\" type=\"submit\">Record promise</button></form>");
  absl::StrAppend(&out, open("plans", "Propose a payment plan"),
                  "<input type=\"hidden\" name=\"currency\" value=\"", Escape(currency),
                  "\"><label>Installments <input type=\"number\" name=\"installments\" min=\"2\" "
                  "max=\"60\" value=\"",
                  Escape(value("installments", "3")),
                  "\"></label><label>First due <input type=\"date\" "
                  "name=\"first_due\" value=\"",
                  Escape(value("first_due", "")),
                  "\"></label>"
                  "<button class=\"primary\" type=\"submit\">Propose plan</button></form>");
  absl::StrAppend(&out, open("settlements", "Propose a settlement"),
                  "<input type=\"hidden\" name=\"currency\" value=\"", Escape(currency),
                  "\"><label>Lump sum (", Escape(currency),
                  "; empty = the policy's figure) <input name=\"amount\" "
                  "inputmode=\"decimal\" value=\"",
                  Escape(value("amount", "")),
                  "\"></label><label>Pay by "
                  "<input type=\"date\" name=\"pay_by\" value=\"",
                  Escape(value("pay_by", "")),
                  "\"></label>"
                  "<button class=\"primary\" type=\"submit\">Propose settlement</button></form>");
  absl::StrAppend(&out, open("disputes", "Open a dispute"),
                  "<label>Invoice <select name=\"invoice\">", invoice_options,
                  "</select></label><label>Reason <select name=\"reason\">",
                  EnumOptions(
                      5,
                      [](int v) {
                        return v1::Dispute::Reason_IsValid(v)
                                   ? v1::Dispute::Reason_Name(static_cast<v1::Dispute::Reason>(v))
                                   : "";
                      },
                      "", value("reason", "QUALITY")),
                  "</select></label><label>Description <textarea name=\"description\" rows=\"2\">",
                  Escape(value("description", "")),
                  "</textarea></label>"
                  "<button class=\"primary\" type=\"submit\">Open dispute</button></form></div>");
  return out;
}

// The account's header, balances, case, ledger and history; `forms` (HTML)
// goes after the case.
std::string AccountBody(const std::string& customer_id, const CaseFileData& d,
                        const v1::AccountSummary* summary, absl::string_view notice,
                        absl::string_view forms, bool printable) {
  const v1::Customer& c = d.customer;
  std::vector<std::string> contacts;
  for (const auto& person : c.contacts()) {
    std::vector<std::string> ways;
    for (const auto& ch : person.channels()) ways.push_back(Escape(ch.address()));
    contacts.push_back(absl::StrCat(Escape(person.name()), " ", absl::StrJoin(ways, ", ")));
  }
  std::string out = absl::StrCat(
      "<h1 id=\"account-name\">", Escape(c.display_name().empty() ? customer_id : c.display_name()),
      "</h1><p class=\"muted\">", Escape(Words(v1::CustomerKind_Name(c.kind()), "CUSTOMER_KIND_")),
      " · ", Escape(c.external_ref().source_system()), " ", Escape(c.external_ref().id()), " · ",
      Escape(c.time_zone().empty() ? "no time zone" : c.time_zone()), contacts.empty() ? "" : " · ",
      absl::StrJoin(contacts, "; "), "</p>");
  if (!printable) {
    absl::StrAppend(&out, "<p class=\"no-print\"><a href=\"/dashboard/accounts/",
                    UrlEncode(customer_id),
                    "/case-file\">Printable case file</a> · <a href=\"/dashboard/accounts/",
                    UrlEncode(customer_id), "/case-file.pdf\">Case file PDF</a></p>");
  }
  absl::StrAppend(&out, notice);
  if (summary != nullptr) {
    out += "<div class=\"cards\" id=\"balances\">";
    for (const v1::CurrencyPosition& p : summary->positions()) {
      absl::StrAppend(&out, "<div class=\"card\"><div class=\"label\">Balance, ",
                      Escape(p.currency_code()), "</div><div class=\"value\" id=\"balance-",
                      Escape(p.currency_code()), "\">", Escape(Money(p.balance())),
                      "</div><div class=\"label\">overdue ", Escape(Money(p.overdue())),
                      " · unapplied ", Escape(Money(p.unapplied_credit())), "</div></div>");
    }
    out += "</div>";
  }
  const v1::Recommendation& r = d.recommendation;
  std::vector<std::string> reasons;
  for (const auto& reason : r.reasons()) reasons.push_back(Escape(reason.text()));
  absl::StrAppend(&out, "<h2>Recommended next step</h2><p id=\"recommendation\"><b>",
                  Escape(Words(v1::Recommendation::Action_Name(r.action()))), "</b> (",
                  Escape(Words(v1::CollectionStage_Name(r.stage()), "STAGE_")), ")",
                  reasons.empty() ? "" : ": ", absl::StrJoin(reasons, "; "), "</p>");
  absl::StrAppend(&out, forms, CaseSection(d), LedgerSection(d), HistorySections(d));
  return out;
}

absl::StatusOr<v1::Date> FormDay(const std::string& text, absl::string_view field) {
  absl::CivilDay day;
  if (text.empty()) return v1::Date();
  if (!absl::ParseCivilTime(text, &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", text, "\" is not a day (YYYY-MM-DD)"));
  }
  return app::ToProtoDate(day);
}

absl::StatusOr<v1::Money> FormMoney(const std::string& text, const std::string& currency,
                                    absl::string_view field) {
  absl::StatusOr<domain::Money> m = domain::ParseMoney(text, currency, /*allow_grouping=*/true);
  if (!m.ok()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", m.status().message()));
  return app::ToProtoMoney(m->currency, m->minor);
}

}  // namespace

HttpResponse Dashboard::Account(const Caller& caller, const std::string& customer_id,
                                const std::string& notice, int status, const Form& form) {
  const Frame frame{"Account", caller.tenant, caller.session.csrf, ""};
  const std::string customer = app::CustomerResource(caller.tenant, customer_id);
  v1::ExportCaseFileRequest fr;
  fr.set_customer(customer);
  absl::StatusOr<v1::ExportCaseFileResponse> file = apps_.recovery->ExportCaseFile(caller.ctx, fr);
  if (!file.ok())
    return HtmlResponse(HttpStatusOf(file.status()), Page(frame, ErrorNotice(file.status())));
  absl::StatusOr<CaseFileData> data = ReadCaseFile(file->json());
  if (!data.ok()) return HtmlResponse(500, Page(frame, ErrorNotice(data.status())));
  v1::GetAccountSummaryRequest sr;
  sr.set_customer(customer);
  absl::StatusOr<v1::AccountSummary> summary = apps_.ledger->GetAccountSummary(caller.ctx, sr);
  const std::string forms = FormsSection(customer_id, caller.session.csrf, *data, form, clock_);
  return HtmlResponse(
      status, Page({data->customer.display_name(), caller.tenant, caller.session.csrf, ""},
                   AccountBody(customer_id, *data, summary.ok() ? &*summary : nullptr, notice,
                               forms, false)));
}

HttpResponse Dashboard::CaseFile(const Caller& caller, const std::string& customer_id) {
  const Frame frame{"Case file", caller.tenant, caller.session.csrf, ""};
  v1::ExportCaseFileRequest fr;
  fr.set_customer(app::CustomerResource(caller.tenant, customer_id));
  absl::StatusOr<v1::ExportCaseFileResponse> file = apps_.recovery->ExportCaseFile(caller.ctx, fr);
  if (!file.ok())
    return HtmlResponse(HttpStatusOf(file.status()), Page(frame, ErrorNotice(file.status())));
  absl::StatusOr<CaseFileData> data = ReadCaseFile(file->json());
  if (!data.ok()) return HtmlResponse(500, Page(frame, ErrorNotice(data.status())));
  const std::string heading = absl::StrCat(
      "<p class=\"print-only muted\">Collection case file · ", Escape(caller.tenant), " · as of ",
      Day(clock_.TodayUtc()), "</p><p class=\"no-print\"><a href=\"/dashboard/accounts/",
      UrlEncode(customer_id), "\">&larr; Account</a> · <a href=\"/dashboard/accounts/",
      UrlEncode(customer_id),
      "/case-file.pdf\">PDF for an agency or lawyer</a> · print this page "
      "for the same file on paper</p>");
  return HtmlResponse(200, Page({absl::StrCat("Case file: ", data->customer.display_name()),
                                 caller.tenant, caller.session.csrf, ""},
                                heading + AccountBody(customer_id, *data, nullptr, "", "", true)));
}

HttpResponse Dashboard::CaseFilePdf(const Caller& caller, const std::string& customer_id) {
  v1::ExportCaseFileRequest fr;
  fr.set_customer(app::CustomerResource(caller.tenant, customer_id));
  absl::StatusOr<v1::ExportCaseFileResponse> file = apps_.recovery->ExportCaseFile(caller.ctx, fr);
  absl::StatusOr<std::string> pdf =
      file.ok() ? pdf::RenderTextPdf({.title = absl::StrCat("Collection case file ", customer_id),
                                      .creator = "collectionsd dashboard",
                                      .heading = "",
                                      .body = file->text(),
                                      .footer = fr.customer(),
                                      .monospace = true})
                : absl::StatusOr<std::string>(file.status());
  if (!pdf.ok()) {
    return HtmlResponse(
        HttpStatusOf(pdf.status()),
        Page({"Case file", caller.tenant, caller.session.csrf, ""}, ErrorNotice(pdf.status())));
  }
  HttpResponse r{200, "application/pdf", *std::move(pdf), {}};
  r.headers["Content-Disposition"] =
      absl::StrCat("attachment; filename=\"case-file-", customer_id, ".pdf\"");
  r.headers["Cache-Control"] = "no-store";
  r.headers["X-Content-Type-Options"] = "nosniff";
  return r;
}

HttpResponse Dashboard::AccountAction(const Caller& caller, const std::string& customer_id,
                                      const std::string& action, const Form& form) {
  const std::string parent = app::CustomerResource(caller.tenant, customer_id);
  const std::string request_id = Field(form, "request_id");
  const std::string currency = Field(form, "currency");
  absl::Status st;
  std::string done;
  if (action == "contacts") {
    v1::RecordContactRequest r;
    r.set_parent(parent);
    r.set_request_id(request_id);
    v1::ContactRecord* c = r.mutable_contact();
    absl::Time t;
    std::string err;
    if (!absl::ParseTime("%Y-%m-%dT%H:%M", Field(form, "time"), absl::UTCTimeZone(), &t, &err)) {
      st = absl::InvalidArgumentError(
          absl::StrCat("time: \"", Field(form, "time"), "\" is not a time"));
    } else {
      c->mutable_time()->set_seconds(absl::ToUnixSeconds(t));
      v1::Channel channel;
      v1::ContactRecord::Direction direction;
      v1::ContactRecord::Outcome outcome;
      if (v1::Channel_Parse(Field(form, "channel"), &channel)) c->set_channel(channel);
      if (v1::ContactRecord::Direction_Parse(Field(form, "direction"), &direction))
        c->set_direction(direction);
      if (v1::ContactRecord::Outcome_Parse(Field(form, "outcome"), &outcome))
        c->set_outcome(outcome);
      c->set_summary(Field(form, "summary"));
      c->set_actor(caller.ctx.actor);
      st = apps_.recovery->RecordContact(caller.ctx, r).status();
      done = "Contact recorded.";
    }
  } else if (action == "promises") {
    v1::RecordPromiseRequest r;
    r.set_parent(parent);
    r.set_request_id(request_id);
    absl::StatusOr<v1::Money> amount = FormMoney(Field(form, "amount"), currency, "amount");
    absl::StatusOr<v1::Date> date = FormDay(Field(form, "date"), "date");
    st = !amount.ok() ? amount.status() : date.status();
    if (st.ok()) {
      *r.mutable_promise()->mutable_amount() = *amount;
      *r.mutable_promise()->mutable_promised_date() = *date;
      r.mutable_promise()->set_promised_by(Field(form, "promised_by"));
      st = apps_.arrangements->RecordPromise(caller.ctx, r).status();
      done = "Promise recorded.";
    }
  } else if (action == "plans") {
    v1::ProposePaymentPlanRequest r;
    r.set_parent(parent);
    r.set_request_id(request_id);
    r.set_currency_code(currency);
    int installments = 0;
    absl::StatusOr<v1::Date> first = FormDay(Field(form, "first_due"), "first_due");
    st = first.status();
    if (st.ok() && !absl::SimpleAtoi(Field(form, "installments"), &installments)) {
      st = absl::InvalidArgumentError("installments: a whole number");
    }
    if (st.ok()) {
      r.set_installments(installments);
      *r.mutable_first_due_date() = *first;
      st = apps_.arrangements->ProposePaymentPlan(caller.ctx, r).status();
      done = "Payment plan proposed.";
    }
  } else if (action == "settlements") {
    v1::ProposeSettlementRequest r;
    r.set_parent(parent);
    r.set_request_id(request_id);
    r.set_currency_code(currency);
    absl::StatusOr<v1::Date> pay_by = FormDay(Field(form, "pay_by"), "pay_by");
    st = pay_by.status();
    if (st.ok() && !Field(form, "amount").empty()) {
      absl::StatusOr<v1::Money> amount = FormMoney(Field(form, "amount"), currency, "amount");
      st = amount.status();
      if (st.ok()) *r.mutable_amount() = *amount;
    }
    if (st.ok()) {
      *r.mutable_pay_by() = *pay_by;
      st = apps_.arrangements->ProposeSettlement(caller.ctx, r).status();
      done = "Settlement proposed.";
    }
  } else if (action == "disputes") {
    v1::OpenDisputeRequest r;
    r.set_parent(parent);
    r.set_request_id(request_id);
    v1::Dispute::Reason reason;
    r.mutable_dispute()->set_invoice(Field(form, "invoice"));
    if (v1::Dispute::Reason_Parse(Field(form, "reason"), &reason))
      r.mutable_dispute()->set_reason(reason);
    r.mutable_dispute()->set_description(Field(form, "description"));
    st = apps_.arrangements->OpenDispute(caller.ctx, r).status();
    done = "Dispute opened.";
  }
  if (!st.ok()) return Account(caller, customer_id, ErrorNotice(st), HttpStatusOf(st), form);
  return Account(
      caller, customer_id,
      absl::StrCat("<div class=\"notice ok\" role=\"status\" id=\"done\">", Escape(done), "</div>"),
      200, {});
}

}  // namespace collections::dashboard
