// RecoveryService: the case file of one account (ExportCaseFile).
#include "service/app/recovery_internal.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/cases.pb.h"
#include "service/app/arrangements_app.h"
#include "service/app/cases_app.h"
#include "service/app/ledger_ops.h"
#include "service/app/partial_update.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/compliance.h"
#include "service/domain/recommend.h"
#include "service/domain/risk.h"
#include "service/domain/templates.h"
#include "service/domain/work_queue.h"
#include "service/messages/json.h"

namespace collections::app {

using domain::InvalidInput;

// ------------------------------------------------------------ case file

namespace {

// What a case file shows of one account, read in one transaction.
struct CaseFile {
  absl::CivilDay as_of;
  std::string customer_resource;
  AccountSnapshot snap;  // invoices, payments and credit notes in date order
  std::vector<v1::ContactRecord> contacts;
  std::vector<v1::Arrangement> arrangements;
  std::vector<std::string> arrangements_json;  // each, shown in the text and the JSON
  std::vector<v1::OutboxAction> actions;
  domain::Recommendation rec;
  v1::Recommendation recommendation;
  std::optional<v1::Case> stored_case;  // as stored, with its transition history
};

// The case file's JSON, members in the order of the document, rendered in
// one pass of the printer.
std::string CaseFileJson(const CaseFile& f, const std::vector<v1::Event>& events) {
  messages::ObjectJson json;
  json.Message("customer", f.snap.customer)
      .Raw("asOf", absl::StrCat("\"", absl::FormatCivilTime(f.as_of), "\""))
      .Array("invoices", f.snap.invoices)
      .Array("payments", f.snap.payments)
      .Array("creditNotes", f.snap.credit_notes)
      .Array("contacts", f.contacts)
      .Raw("arrangements", absl::StrCat("[", absl::StrJoin(f.arrangements_json, ","), "]"))
      .Array("outboxActions", f.actions)
      .Message("recommendation", f.recommendation);
  if (f.stored_case) json.Message("case", *f.stored_case);
  json.Array("events", events);
  return json.Render();
}

// Every event `filter` selects, read by `list` a page at a time: the case
// file holds the whole audit trail of the account, however long.
absl::Status ReadAllEvents(
    store::EventFilter filter,
    const std::function<absl::StatusOr<std::vector<store::EventRow>>(const store::EventFilter&)>&
        list,
    std::vector<store::EventRow>* out) {
  filter.limit = 1000;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<store::EventRow> page, list(filter));
    const bool last = static_cast<int>(page.size()) < filter.limit;
    if (!page.empty()) filter.after_sequence = page.back().sequence;
    for (store::EventRow& row : page) out->push_back(std::move(row));
    if (last) return absl::OkStatus();
  }
}

// The printable document, up to the audit trail.
std::string CaseFileText(const CaseFile& f) {
  const AccountSnapshot& snap = f.snap;
  const absl::CivilDay as_of = f.as_of;
  const std::string& customer_resource = f.customer_resource;
  const std::vector<v1::ContactRecord>& contact_msgs = f.contacts;
  const std::vector<v1::OutboxAction>& actions = f.actions;
  const domain::Recommendation& rec = f.rec;
  const v1::Case stored_case = f.stored_case.value_or(v1::Case());
  std::string text;
  absl::StrAppend(&text, "COLLECTION CASE FILE\n", std::string(60, '='), "\n");
  absl::StrAppend(&text, "Debtor:     ", snap.customer.display_name(), " (", customer_resource,
                  ")\n");
  absl::StrAppend(&text, "Kind:       ", v1::CustomerKind_Name(snap.customer.kind()), "\n");
  absl::StrAppend(&text, "As of:      ", absl::FormatCivilTime(as_of), "\n\n");
  absl::StrAppend(&text, "INVOICES\n");
  for (const auto& inv : snap.invoices) {
    absl::StrAppend(
        &text, absl::StrFormat("  %-14s issued %s due %s total %s due now %s %s\n", inv.number(),
                               absl::StrFormat("%04d-%02d-%02d", inv.issue_date().year(),
                                               inv.issue_date().month(), inv.issue_date().day()),
                               absl::StrFormat("%04d-%02d-%02d", inv.due_date().year(),
                                               inv.due_date().month(), inv.due_date().day()),
                               domain::FormatMoney(ToMoney(inv.total())),
                               domain::FormatMoney(ToMoney(inv.amount_due())),
                               v1::Invoice::Status_Name(inv.status())));
  }
  absl::StrAppend(&text, "\nPAYMENTS AND CREDITS\n");
  for (const auto& p : snap.payments) {
    absl::StrAppend(&text,
                    absl::StrFormat("  payment    %04d-%02d-%02d %s\n", p.received_date().year(),
                                    p.received_date().month(), p.received_date().day(),
                                    domain::FormatMoney(ToMoney(p.amount()))));
  }
  for (const auto& c : snap.credit_notes) {
    absl::StrAppend(&text,
                    absl::StrFormat("  credit     %04d-%02d-%02d %s %s\n", c.issue_date().year(),
                                    c.issue_date().month(), c.issue_date().day(),
                                    domain::FormatMoney(ToMoney(c.amount())), c.reason()));
  }
  absl::StrAppend(&text, "\nCONTACT HISTORY\n");
  for (const auto& c : contact_msgs) {
    absl::StrAppend(
        &text, "  ", absl::FormatTime("%Y-%m-%d %H:%M UTC", FromTs(c.time()), absl::UTCTimeZone()),
        "  ", v1::Channel_Name(c.channel()), " ", v1::ContactRecord::Direction_Name(c.direction()),
        " ", v1::ContactRecord::Outcome_Name(c.outcome()),
        c.stage() != v1::COLLECTION_STAGE_UNSPECIFIED
            ? absl::StrCat(" [", v1::CollectionStage_Name(c.stage()), "]")
            : "",
        "\n");
    if (!c.summary().empty()) absl::StrAppend(&text, "      ", c.summary(), "\n");
    if (!c.agreement().empty()) absl::StrAppend(&text, "      Agreement: ", c.agreement(), "\n");
    if (!c.override_rule().empty()) {
      absl::StrAppend(&text, "      Compliance override of ", c.override_rule(), ": ",
                      c.override_reason(), "\n");
    }
  }
  absl::StrAppend(&text,
                  "\nARRANGEMENTS (promises, plans, settlements, fees, disputes, end states)\n");
  for (const std::string& a : f.arrangements_json) absl::StrAppend(&text, "  ", a, "\n");
  absl::StrAppend(&text, "\nACTIONS ISSUED\n");
  for (const auto& a : actions) {
    absl::StrAppend(
        &text, "  #", a.sequence(), " ",
        absl::StrFormat("%04d-%02d-%02d", a.as_of().year(), a.as_of().month(), a.as_of().day()),
        " ", v1::Recommendation::Action_Name(a.recommendation().action()), " ",
        v1::OutboxAction::Status_Name(a.status()), "  ", a.subject(), "\n");
  }
  absl::StrAppend(&text, "\nCURRENT ASSESSMENT\n  ", rec.explanation, "\n  ", rec.risk.explanation,
                  "\n");
  if (stored_case.state() != v1::Case::STATE_UNSPECIFIED) {
    absl::StrAppend(&text, "\nCASE\n  ", v1::Case::State_Name(stored_case.state()), ", stage ",
                    v1::CollectionStage_Name(stored_case.stage()), "\n");
    for (const auto& h : stored_case.history()) {
      absl::StrAppend(
          &text, "  ",
          absl::StrFormat("%04d-%02d-%02d", h.date().year(), h.date().month(), h.date().day()),
          "  ", v1::Case::State_Name(h.from_state()), " -> ", v1::Case::State_Name(h.to_state()),
          " (", v1::CollectionStage_Name(h.to_stage()), ") on ", h.event(),
          h.reasons().empty() ? "" : ": ",
          h.reasons().empty() ? "" : h.reasons(h.reasons_size() - 1).text(), "\n");
    }
  }
  return text;
}

}  // namespace

absl::StatusOr<v1::ExportCaseFileResponse> RecoveryApp::ExportCaseFile(
    const CallContext& ctx, const v1::ExportCaseFileRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  CaseFile f;
  ASSIGN_OR_RETURN(f.as_of, AsOf(r.as_of()));
  const absl::CivilDay as_of = f.as_of;
  f.customer_resource = CustomerResource(cn.tenant, cn.customer);
  // The status history comes from the audit log.
  store::EventFilter filter;
  filter.customer = f.customer_resource;
  std::vector<store::EventRow> event_rows;
  bool events_read = false;
  auto read = [&](store::Transaction& tx) -> absl::Status {
    f.contacts.clear();
    f.actions.clear();
    static const CallContext kSystem{"system", ""};
    LedgerOps ops(tx, clock_, kSystem, cn.tenant, "");
    ASSIGN_OR_RETURN(f.snap, ops.LoadAccount(cn.customer));
    AccountSnapshot& snap = f.snap;
    // Everything in date order.
    auto day_key = [](const v1::Date& d) { return std::tuple(d.year(), d.month(), d.day()); };
    std::stable_sort(snap.invoices.begin(), snap.invoices.end(), [&](const auto& a, const auto& b) {
      return day_key(a.issue_date()) < day_key(b.issue_date());
    });
    std::stable_sort(snap.payments.begin(), snap.payments.end(), [&](const auto& a, const auto& b) {
      return day_key(a.received_date()) < day_key(b.received_date());
    });
    std::stable_sort(snap.credit_notes.begin(), snap.credit_notes.end(),
                     [&](const auto& a, const auto& b) {
                       return day_key(a.issue_date()) < day_key(b.issue_date());
                     });
    ASSIGN_OR_RETURN(auto contacts, AllDocs(tx, kContactKind, cn.customer));

    ASSIGN_OR_RETURN(auto outbox, AllDocs(tx, kOutboxKind, cn.customer));
    ASSIGN_OR_RETURN(auto arrangements, ListAccountArrangements(tx, cn.customer));
    ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
    // The engine's input from what was read above, not read again.
    Portfolio portfolio;
    if (cases_ == nullptr) {
      ASSIGN_OR_RETURN(portfolio, LoadOne(*this, cases_, tx, cn.tenant, cn.customer, as_of));
    } else {
      ASSIGN_OR_RETURN(domain::AccountContext account,
                       BuildContext(tx, cn.tenant, cn.customer, as_of, snap.customer,
                                    snap.invoice_states, snap.credits, contacts, outbox));
      ASSIGN_OR_RETURN(portfolio, PortfolioOfOne(*cases_, tx, std::move(account)));
    }
    domain::Recommendation rec;
    for (const auto& a : portfolio.accounts) {
      if (a.customer.id == cn.customer)
        rec = domain::Recommend(a, PolicyFromProto(pp), portfolio.prior, as_of);
    }
    for (const auto& d : contacts) {
      ASSIGN_OR_RETURN(v1::ContactRecord c, ParseDoc<v1::ContactRecord>(d));
      f.contacts.push_back(std::move(c));
    }
    f.arrangements_json = messages::EachJson(arrangements);
    f.arrangements = std::move(arrangements);
    for (const auto& d : outbox) {
      ASSIGN_OR_RETURN(v1::OutboxAction a, ParseDoc<v1::OutboxAction>(d));
      f.actions.push_back(std::move(a));
    }
    f.rec = rec;
    f.recommendation = ToProtoRecommendation(cn.tenant, rec);
    v1::Case stored_case;
    ASSIGN_OR_RETURN(auto case_row, tx.GetCase(cn.customer));
    if (case_row && stored_case.ParseFromString(case_row->body)) f.stored_case = stored_case;
    // The audit trail from the same snapshot as the documents, where the
    // backend can.
    event_rows.clear();
    absl::Status listed = ReadAllEvents(
        filter, [&](const store::EventFilter& page) { return tx.ListEvents(page); }, &event_rows);
    events_read = !absl::IsUnimplemented(listed);
    return events_read ? listed : absl::OkStatus();
  };
  // The stored case current with the ledger (a bulk write may have deferred it).
  RETURN_IF_ERROR(cases_ != nullptr ? cases_->ReadCurrent(store_, cn.tenant, cn.customer, read)
                                    : store_.Run(cn.tenant, store::TxMode::kRead, read));
  std::string text = CaseFileText(f);
  if (!events_read) {
    RETURN_IF_ERROR(ReadAllEvents(
        filter, [&](const store::EventFilter& page) { return store_.ListEvents(cn.tenant, page); },
        &event_rows));
  }
  ASSIGN_OR_RETURN(std::vector<v1::Event> events, EventsFromRows(event_rows));
  absl::StrAppend(&text, "\nAUDIT TRAIL\n");
  for (const v1::Event& e : events) {
    absl::StrAppend(&text, "  #", e.sequence(), " ",
                    absl::FormatTime("%Y-%m-%d %H:%M UTC", FromTs(e.time()), absl::UTCTimeZone()),
                    " ", e.type(), " ", e.resource(), " by ", e.actor(), "\n");
  }
  v1::ExportCaseFileResponse out;
  out.set_json(CaseFileJson(f, events));
  out.set_text(std::move(text));
  return out;
}

}  // namespace collections::app
