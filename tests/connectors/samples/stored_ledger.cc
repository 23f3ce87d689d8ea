#include "tests/connectors/samples/stored_ledger.h"

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "collections_sidecar/v1/cash.grpc.pb.h"
#include "gtest/gtest.h"
#include "service/base/money.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

std::string Q(const std::string& s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}),
                      "\"");
}
std::string Amount(const v1::Money& m) {
  if (m.currency_code().empty()) return "-";
  return absl::StrCat(m.currency_code(), " ",
                      domain::FormatDecimal(m.minor_units(), m.currency_code()));
}
std::string Day(const v1::Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year(), d.month(), d.day());
  return buf;
}

// Every item of a paged List call: `rpc(ctx, request, response)` and
// `items(response)`, returning a reference to the repeated field.
template <typename Request, typename Response, typename Rpc, typename Items>
auto ListAll(const std::string& parent, Rpc rpc, Items items) {
  using Item = typename std::decay_t<decltype(items(Response()))>::value_type;
  std::vector<Item> out;
  std::string token;
  do {
    grpc::ClientContext ctx;
    Request req;
    req.set_parent(parent);
    req.set_page_size(1000);
    req.set_page_token(token);
    Response resp;
    grpc::Status st = rpc(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!st.ok()) break;
    const auto& page = items(resp);
    out.insert(out.end(), page.begin(), page.end());
    token = resp.next_page_token();
  } while (!token.empty());
  return out;
}

}  // namespace

std::vector<std::string> StoredLedgerLines(TestServer& server, const std::string& tenant) {
  v1::LedgerService::Stub& ledger = server.ledger();
  const std::string parent = absl::StrCat("tenants/", tenant);
  std::vector<std::string> lines;
  const auto customers = ListAll<v1::ListCustomersRequest, v1::ListCustomersResponse>(
      parent,
      [&](auto* ctx, const auto& req, auto* resp) { return ledger.ListCustomers(ctx, req, resp); },
      [](const auto& r) -> const auto& { return r.customers(); });
  for (const v1::Customer& c : customers) {
    const std::string& id = c.external_ref().id();
    lines.push_back(absl::StrCat("customer ", Q(id), " name=", Q(c.display_name()),
                                 " kind=", v1::CustomerKind_Name(c.kind())));
    std::map<std::string, std::string> numbers;  // invoice resource name -> number
    const auto invoices = ListAll<v1::ListInvoicesRequest, v1::ListInvoicesResponse>(
        c.name(),
        [&](auto* ctx, const auto& req, auto* resp) { return ledger.ListInvoices(ctx, req, resp); },
        [](const auto& r) -> const auto& { return r.invoices(); });
    for (const v1::Invoice& i : invoices) {
      numbers[i.name()] = i.number();
      lines.push_back(absl::StrCat(
          "invoice ", Q(i.number()), " customer=", Q(id), " issued=", Day(i.issue_date()),
          " due=", Day(i.due_date()), " total=", Amount(i.total()), " tax=", Amount(i.tax()),
          " amount_due=", Amount(i.amount_due()), " status=", v1::Invoice::Status_Name(i.status()),
          " lines=", i.lines_size()));
    }
    auto allocations = [&](const auto& list) {
      std::vector<std::string> out;
      for (const v1::Allocation& a : list) {
        auto it = numbers.find(a.invoice());
        out.push_back(absl::StrCat(
            it == numbers.end() ? a.invoice() : it->second, ":",
            domain::FormatDecimal(a.amount().minor_units(), a.amount().currency_code())));
      }
      return absl::StrJoin(out, " ");
    };
    const auto notes = ListAll<v1::ListCreditNotesRequest, v1::ListCreditNotesResponse>(
        c.name(),
        [&](auto* ctx, const auto& req, auto* resp) {
          return ledger.ListCreditNotes(ctx, req, resp);
        },
        [](const auto& r) -> const auto& { return r.credit_notes(); });
    for (const v1::CreditNote& n : notes) {
      auto it = numbers.find(n.invoice());
      lines.push_back(absl::StrCat(
          "credit_note ", Q(n.number()), " customer=", Q(id), " issued=", Day(n.issue_date()),
          " amount=", Amount(n.amount()),
          " credits=", Q(it != numbers.end() ? it->second : n.invoice_number()), " allocations=[",
          allocations(n.allocations()), "] unapplied=", Amount(n.unapplied())));
    }
    const auto payments = ListAll<v1::ListPaymentsRequest, v1::ListPaymentsResponse>(
        c.name(),
        [&](auto* ctx, const auto& req, auto* resp) { return ledger.ListPayments(ctx, req, resp); },
        [](const auto& r) -> const auto& { return r.payments(); });
    for (const v1::Payment& p : payments) {
      lines.push_back(absl::StrCat("payment ", Q(p.external_ref().id()), " customer=", Q(id),
                                   " received=", Day(p.received_date()),
                                   " amount=", Amount(p.amount()), p.reversal() ? " reversal" : "",
                                   " allocations=[", allocations(p.allocations()),
                                   "] unapplied=", Amount(p.unapplied())));
    }
  }
  auto cash = v1::CashApplicationService::NewStub(server.channel());
  const auto items = ListAll<v1::ListUnappliedCashRequest, v1::ListUnappliedCashResponse>(
      parent,
      [&](auto* ctx, const auto& req, auto* resp) {
        return cash->ListUnappliedCash(ctx, req, resp);
      },
      [](const auto& r) -> const auto& { return r.items(); });
  for (const v1::UnappliedCash& u : items) {
    const v1::Payment& p = u.payment();
    lines.push_back(absl::StrCat(
        "unapplied_cash ", Q(p.external_ref().id()), " received=", Day(p.received_date()),
        " amount=", Amount(p.amount()), p.reversal() ? " reversal" : "",
        " payer=", Q(p.payer_name()), " status=", v1::UnappliedCash::Status_Name(u.status()),
        " suggestions=", u.suggestions_size()));
  }
  return lines;
}

}  // namespace collections::testing
