// collectionsctl commands of LedgerService and AuditService.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/audit.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/base/dates.h"
#include "service/base/money.h"
#include "service/cli/cli.h"

ABSL_FLAG(std::string, as_of, "", "as-of date YYYY-MM-DD (default: today, UTC)");
ABSL_FLAG(std::string, customer, "", "customer id or resource name");
ABSL_FLAG(std::string, status, "", "comma-separated invoice statuses, e.g. OPEN,PARTIALLY_PAID");
ABSL_FLAG(std::string, overdue_as_of, "", "only invoices overdue on this date");
ABSL_FLAG(std::string, currency, "", "ISO 4217 currency filter");
ABSL_FLAG(std::string, group_by, "customer", "aging rows: customer or currency");
ABSL_FLAG(std::string, buckets, "", "aging bucket upper bounds, e.g. 30,60,90,120");
ABSL_FLAG(bool, overdue_only, false, "aging: only rows with an overdue amount");
ABSL_FLAG(bool, follow, false, "events: keep streaming new events");
ABSL_FLAG(int64_t, after, 0, "events: start after this sequence number");
ABSL_FLAG(int, limit, 0, "lists: show at most N rows and say \"showing N of M\" (0 = all)");
ABSL_FLAG(std::string, sync_id, "", "sync: id of this sync run (default: derived from the file)");
ABSL_FLAG(bool, validate_only, false, "sync: validate without writing");
ABSL_FLAG(int, chunk_size, 500, "sync: records per chunk");
ABSL_FLAG(std::string, request_id, "", "idempotency key of a mutation");
ABSL_FLAG(std::string, reason, "", "reason recorded with the change");

namespace collections::cli {

namespace v1 = ::collections_sidecar::v1;
namespace {

bool ParseDateFlag(const std::string& text, v1::Date* out) {
  if (text.empty()) return true;
  auto d = domain::ParseIsoDay(text);
  if (!d.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(d.status().message()).c_str());
    return false;
  }
  out->set_year(static_cast<int>(d->year()));
  out->set_month(d->month());
  out->set_day(d->day());
  return true;
}

std::string Money(const v1::Money& m) {
  if (m.currency_code().empty()) return "";
  return domain::FormatMoney({m.currency_code(), m.minor_units()});
}
std::string Amount(const v1::Money& m) {
  return domain::FormatMoney({m.currency_code(), m.minor_units()})
      .substr(m.currency_code().size() + 1);
}
std::string Day(const v1::Date& d) {
  if (d.year() == 0) return "";
  return domain::FormatIsoDay(absl::CivilDay(d.year(), d.month(), d.day()));
}

int CustomersCmd(Context& ctx, const std::vector<std::string>& args) {
  auto stub = v1::LedgerService::NewStub(ctx.channel);
  if (args.size() == 2 && args[0] == "get") {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::GetCustomerRequest req;
    req.set_name(ctx.CustomerName(args[1]));
    v1::Customer c;
    grpc::Status st = stub->GetCustomer(&cc, req, &c);
    if (!st.ok()) return Fail(st);
    PrintJson(c);
    return kExitOk;
  }
  if (args.empty() || args[0] == "list") {
    std::vector<std::vector<std::string>> rows = {{"CUSTOMER", "NAME", "KIND", "TIME ZONE"}};
    v1::ListCustomersRequest req;
    req.set_parent(ctx.TenantName());
    req.set_page_size(500);
    RowBudget budget(absl::GetFlag(FLAGS_limit));
    do {
      grpc::ClientContext cc;
      ctx.prepare(&cc);
      v1::ListCustomersResponse resp;
      grpc::Status st = stub->ListCustomers(&cc, req, &resp);
      if (!st.ok()) return Fail(st);
      for (const auto& c : resp.customers()) {
        if (!budget.Take()) continue;
        if (ctx.json) {
          PrintJson(c);
        } else {
          rows.push_back({c.name().substr(c.name().rfind('/') + 1), c.display_name(),
                          v1::CustomerKind_Name(c.kind()).substr(14), c.time_zone()});
        }
      }
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    if (!ctx.json) std::cout << Table(rows);
    budget.Report("customers");
    return kExitOk;
  }
  return kExitUsage;
}

int InvoicesCmd(Context& ctx, const std::vector<std::string>& args) {
  auto stub = v1::LedgerService::NewStub(ctx.channel);
  if (args.size() == 2 && args[0] == "get") {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::GetInvoiceRequest req;
    req.set_name(args[1]);
    v1::Invoice inv;
    grpc::Status st = stub->GetInvoice(&cc, req, &inv);
    if (!st.ok()) return Fail(st);
    PrintJson(inv);
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "void") {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::VoidInvoiceRequest req;
    req.set_name(args[1]);
    req.set_reason(absl::GetFlag(FLAGS_reason));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    v1::Invoice inv;
    grpc::Status st = stub->VoidInvoice(&cc, req, &inv);
    if (!st.ok()) return Fail(st);
    PrintJson(inv);
    return kExitOk;
  }
  if (!args.empty() && args[0] != "list") return kExitUsage;
  v1::ListInvoicesRequest req;
  const std::string customer = absl::GetFlag(FLAGS_customer);
  req.set_parent(customer.empty() ? ctx.TenantName() : ctx.CustomerName(customer));
  req.set_page_size(500);
  req.set_currency_code(absl::GetFlag(FLAGS_currency));
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_status), ',', absl::SkipEmpty())) {
    v1::Invoice::Status status;
    if (!v1::Invoice::Status_Parse(std::string(s), &status)) {
      std::fprintf(stderr, "error: unknown status %s\n", std::string(s).c_str());
      return kExitUsage;
    }
    req.add_statuses(status);
  }
  if (!absl::GetFlag(FLAGS_overdue_as_of).empty() &&
      !ParseDateFlag(absl::GetFlag(FLAGS_overdue_as_of), req.mutable_overdue_as_of())) {
    return kExitUsage;
  }
  std::vector<std::vector<std::string>> rows = {
      {"INVOICE", "CUSTOMER", "ISSUED", "DUE", "STATUS", "TOTAL", "DUE NOW"}};
  RowBudget budget(absl::GetFlag(FLAGS_limit));
  do {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::ListInvoicesResponse resp;
    grpc::Status st = stub->ListInvoices(&cc, req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& inv : resp.invoices()) {
      if (!budget.Take()) continue;
      if (ctx.json) {
        PrintJson(inv);
        continue;
      }
      std::vector<absl::string_view> parts = absl::StrSplit(inv.name(), '/');
      rows.push_back({inv.number(), std::string(parts[3]), Day(inv.issue_date()),
                      Day(inv.due_date()), v1::Invoice::Status_Name(inv.status()),
                      Money(inv.total()), Money(inv.amount_due())});
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  if (!ctx.json) std::cout << Table(rows, {false, false, false, false, false, true, true});
  budget.Report("invoices");
  return kExitOk;
}

int SummaryCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) return kExitUsage;
  auto stub = v1::LedgerService::NewStub(ctx.channel);
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::GetAccountSummaryRequest req;
  req.set_customer(ctx.CustomerName(args[0]));
  if (!ParseDateFlag(absl::GetFlag(FLAGS_as_of), req.mutable_as_of())) return kExitUsage;
  v1::AccountSummary s;
  grpc::Status st = stub->GetAccountSummary(&cc, req, &s);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(s);
    return kExitOk;
  }
  std::cout << "Account " << s.customer() << " as of " << Day(s.as_of()) << "\n";
  for (const auto& p : s.positions()) {
    std::cout << "\n"
              << p.currency_code() << ": balance " << Amount(p.balance()) << ", overdue "
              << Amount(p.overdue()) << ", unapplied credit " << Amount(p.unapplied_credit())
              << ", open invoices " << p.open_invoice_count() << " (" << p.overdue_invoice_count()
              << " overdue), DSO " << p.dso_centi() / 100 << "." << (p.dso_centi() % 100) / 10
              << " days\n";
    std::vector<std::vector<std::string>> rows = {{"BUCKET", "AMOUNT", "INVOICES"}};
    for (const auto& b : p.buckets()) {
      rows.push_back({b.label(), Amount(b.amount()), absl::StrCat(b.invoice_count())});
    }
    std::cout << Table(rows, {false, true, true});
  }
  const auto& h = s.payment_history();
  std::cout << "\nOldest days past due: " << s.oldest_days_past_due()
            << "\nPayment history: " << h.invoices_paid() << " invoices paid, "
            << h.paid_late_bp() / 100 << "% late, average " << h.average_days_late_centi() / 100
            << " days late, worst " << h.worst_days_late() << " days, last payment "
            << (h.has_last_payment_date() ? Day(h.last_payment_date()) : "never") << "\n";
  return kExitOk;
}

int AgingCmd(Context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) return kExitUsage;
  auto stub = v1::LedgerService::NewStub(ctx.channel);
  v1::GetAgingReportRequest req;
  req.set_parent(ctx.TenantName());
  if (!ParseDateFlag(absl::GetFlag(FLAGS_as_of), req.mutable_as_of())) return kExitUsage;
  req.set_group_by(absl::GetFlag(FLAGS_group_by) == "currency"
                       ? v1::GetAgingReportRequest::CURRENCY
                       : v1::GetAgingReportRequest::CUSTOMER);
  req.set_currency_code(absl::GetFlag(FLAGS_currency));
  req.set_overdue_only(absl::GetFlag(FLAGS_overdue_only));
  for (absl::string_view b : absl::StrSplit(absl::GetFlag(FLAGS_buckets), ',', absl::SkipEmpty())) {
    int v = 0;
    if (!absl::SimpleAtoi(b, &v)) return kExitUsage;
    req.add_bucket_bounds(v);
  }
  req.set_page_size(1000);
  std::vector<v1::AgingRow> rows;
  v1::AgingReport first;
  bool have_first = false;
  do {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::AgingReport rep;
    grpc::Status st = stub->GetAgingReport(&cc, req, &rep);
    if (!st.ok()) return Fail(st);
    if (!have_first) {
      first = rep;
      have_first = true;
    }
    for (const auto& r : rep.rows()) rows.push_back(r);
    req.set_page_token(rep.next_page_token());
  } while (!req.page_token().empty());
  if (ctx.json) {
    first.clear_rows();
    first.clear_next_page_token();
    for (auto& r : rows) *first.add_rows() = r;
    PrintJson(first);
    return kExitOk;
  }
  std::cout << "Aged receivables as of " << Day(first.as_of()) << "\n";
  for (const auto& total : first.currency_totals()) {
    const std::string& ccy = total.currency_code();
    std::cout << "\n" << ccy << "\n";
    std::vector<std::string> header = {
        req.group_by() == v1::GetAgingReportRequest::CURRENCY ? "CURRENCY" : "CUSTOMER"};
    for (const auto& b : total.buckets()) header.push_back(b.label());
    header.push_back("TOTAL");
    std::vector<std::vector<std::string>> table = {header};
    for (const auto& r : rows) {
      if (r.currency_code() != ccy) continue;
      std::vector<std::string> line = {r.display_name().empty() ? r.currency_code()
                                                                : r.display_name()};
      for (const auto& b : r.buckets()) line.push_back(Amount(b.amount()));
      line.push_back(Amount(r.total()));
      table.push_back(line);
    }
    std::vector<std::string> line = {"Total " + ccy};
    for (const auto& b : total.buckets()) line.push_back(Amount(b.amount()));
    line.push_back(Amount(total.total()));
    table.push_back(line);
    std::vector<bool> right(header.size(), true);
    right[0] = false;
    std::cout << Table(table, right);
  }
  return kExitOk;
}

int EventsCmd(Context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) return kExitUsage;
  auto stub = v1::AuditService::NewStub(ctx.channel);
  auto print = [&](const v1::Event& e) {
    if (ctx.json) {
      PrintJson(e);
    } else {
      std::cout << e.sequence() << "  " << e.time().seconds() << "  " << e.type() << "  "
                << e.resource() << "  " << e.actor() << "\n";
    }
    std::cout.flush();
  };
  if (absl::GetFlag(FLAGS_follow)) {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    cc.set_deadline(std::chrono::system_clock::time_point::max());
    v1::WatchEventsRequest req;
    req.set_parent(ctx.TenantName());
    req.set_after_sequence(absl::GetFlag(FLAGS_after));
    auto reader = stub->WatchEvents(&cc, req);
    v1::Event e;
    while (reader->Read(&e)) print(e);
    grpc::Status st = reader->Finish();
    return st.ok() ? kExitOk : Fail(st);
  }
  v1::ListEventsRequest req;
  req.set_parent(ctx.TenantName());
  const std::string customer = absl::GetFlag(FLAGS_customer);
  if (!customer.empty()) req.set_customer(ctx.CustomerName(customer));
  req.set_page_size(500);
  RowBudget budget(absl::GetFlag(FLAGS_limit));
  do {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::ListEventsResponse resp;
    grpc::Status st = stub->ListEvents(&cc, req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& e : resp.events()) {
      if (budget.Take()) print(e);
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  budget.Report("events");
  return kExitOk;
}

// Loads JSON lines of collections_sidecar.v1.SyncRecord through SyncLedger.
int SyncCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) return kExitUsage;
  std::ifstream in(args[0]);
  if (!in) {
    std::fprintf(stderr, "error: cannot open %s\n", args[0].c_str());
    return kExitUsage;
  }
  auto stub = v1::LedgerService::NewStub(ctx.channel);
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  cc.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
  v1::SyncLedgerResponse resp;
  auto writer = stub->SyncLedger(&cc, &resp);
  std::string sync_id = absl::GetFlag(FLAGS_sync_id);
  if (sync_id.empty()) sync_id = "file:" + args[0].substr(args[0].rfind('/') + 1);
  v1::SyncLedgerRequest chunk;
  int64_t index = 0;
  auto flush = [&]() {
    if (chunk.records_size() == 0) return true;
    chunk.set_parent(ctx.TenantName());
    chunk.set_sync_id(sync_id);
    chunk.set_chunk_index(index++);
    chunk.set_validate_only(absl::GetFlag(FLAGS_validate_only));
    bool ok = writer->Write(chunk);
    chunk.Clear();
    return ok;
  };
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    v1::SyncRecord* rec = chunk.add_records();
    auto st = google::protobuf::util::JsonStringToMessage(line, rec);
    if (!st.ok()) {
      std::fprintf(stderr, "error: %s:%d: %s\n", args[0].c_str(), line_no, st.ToString().c_str());
      cc.TryCancel();
      return kExitInvalid;
    }
    if (rec->source_location().empty())
      rec->set_source_location(absl::StrCat(args[0], ":", line_no));
    if (chunk.records_size() >= absl::GetFlag(FLAGS_chunk_size) && !flush()) break;
  }
  flush();
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson(resp);
  } else {
    std::cout << "sync " << resp.sync_id() << ": " << resp.chunks_applied() << " chunks applied, "
              << resp.chunks_rejected() << " rejected; " << resp.created() << " created, "
              << resp.updated() << " updated, " << resp.unchanged() << " unchanged, "
              << resp.rejected() << " rejected\n";
    for (const auto& o : resp.outcomes()) {
      if (o.kind() == v1::RecordOutcome::REJECTED && o.reason() != "CHUNK_REJECTED") {
        std::cout << "  rejected " << o.source_location() << " " << o.field() << ": " << o.reason()
                  << ": " << o.description() << "\n";
      }
    }
  }
  return resp.rejected() > 0 || resp.chunks_rejected() > 0 ? kExitInvalid : kExitOk;
}

}  // namespace

void RegisterLedgerCommands(CommandTable& t) {
  t["customers"] = {"customers [list|get <customer>]", "list or show customers", CustomersCmd};
  t["invoices"] = {
      "invoices [list [--customer=] [--status=] [--overdue_as_of=] [--currency=]] | "
      "get <name> | void <name> [--reason=]",
      "list, show or void invoices", InvoicesCmd};
  t["summary"] = {"summary <customer> [--as_of=YYYY-MM-DD]",
                  "balance, overdue, aging buckets, payment history and DSO of one account",
                  SummaryCmd};
  t["aging"] = {
      "aging [--as_of=] [--group_by=customer|currency] [--currency=] [--buckets=30,60,90,120]",
      "the aged-receivables report, one table per currency", AgingCmd};
  t["events"] = {"events [--customer=] [--follow [--after=N]]", "the audit log; --follow tails it",
                 EventsCmd};
  t["sync"] = {"sync <records.jsonl> [--sync_id=] [--validate_only]",
               "load JSON lines of collections_sidecar.v1.SyncRecord through SyncLedger", SyncCmd};
}

}  // namespace collections::cli
