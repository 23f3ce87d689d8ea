#include "service/app/customer_search.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/app/ledger_ops.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"

namespace collections::app {
namespace {

constexpr size_t kMaxTermBytes = 64;
constexpr int kMigrateBatch = 300;

std::string RowId(absl::string_view term, absl::string_view customer) {
  return absl::StrCat(term, "|", customer);
}

// Every term of a customer: its name's words and its external id.
std::set<std::string> CustomerTerms(const v1::Customer& c) {
  std::set<std::string> out;
  for (std::string& t : SearchTerms(c.display_name())) out.insert(std::move(t));
  for (std::string& t : SearchTerms(c.external_ref().id())) out.insert(std::move(t));
  return out;
}

absl::Status PutTerm(store::Transaction& tx, absl::string_view term, const std::string& customer) {
  return tx.PutDoc(store::Doc{kSearchKind, RowId(term, customer), customer, "", "", ""});
}

}  // namespace

std::vector<std::string> SearchTerms(absl::string_view text) {
  std::vector<std::string> out;
  std::string word;
  bool other = false;
  auto flush = [&] {
    if (!word.empty()) out.push_back(word.substr(0, kMaxTermBytes));
    word.clear();
  };
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
        static_cast<unsigned char>(c) >= 0x80) {
      word += absl::ascii_tolower(static_cast<unsigned char>(c));
    } else {
      other = other || !absl::ascii_isspace(static_cast<unsigned char>(c));
      flush();
    }
  }
  flush();
  std::string whole = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (other && !whole.empty() && whole.find('|') == std::string::npos &&
      whole.find(' ') == std::string::npos) {
    out.push_back(whole.substr(0, kMaxTermBytes));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::Status IndexCustomer(store::Transaction& tx, const std::string& customer_id,
                           const v1::Customer* before, const v1::Customer& after) {
  const std::set<std::string> now = CustomerTerms(after);
  if (before != nullptr) {
    for (const std::string& t : CustomerTerms(*before)) {
      if (!now.contains(t)) RETURN_IF_ERROR(tx.DeleteDoc(kSearchKind, RowId(t, customer_id)));
    }
  }
  for (const std::string& t : now) RETURN_IF_ERROR(PutTerm(tx, t, customer_id));
  return absl::OkStatus();
}

absl::Status IndexInvoiceNumber(store::Transaction& tx, const std::string& customer_id,
                                absl::string_view old_number, absl::string_view number) {
  const std::string old_term = absl::AsciiStrToLower(old_number);
  const std::string term = absl::AsciiStrToLower(number);
  if (old_term == term) return absl::OkStatus();
  // An old number's row is removed only when the number was the whole term
  // (a customer's name word that equals it stays).
  if (!old_term.empty()) RETURN_IF_ERROR(tx.DeleteDoc(kSearchKind, RowId(old_term, customer_id)));
  if (term.empty() || term.size() > kMaxTermBytes || absl::StrContains(term, "|")) {
    return absl::OkStatus();
  }
  return PutTerm(tx, term, customer_id);
}

absl::StatusOr<std::vector<SearchHit>> SearchCustomers(store::Store& store, const CallContext& ctx,
                                                       const std::string& tenant,
                                                       absl::string_view query, int limit) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  std::vector<std::string> words = SearchTerms(query);
  std::vector<SearchHit> out;
  if (words.empty()) return out;
  // The longest word is the most selective prefix.
  const std::string scan = *std::max_element(
      words.begin(), words.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
  RETURN_IF_ERROR(
      store.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        out.clear();
        ASSIGN_OR_RETURN(std::vector<store::Doc> rows,
                         tx.ListDocs(kSearchKind, "", scan, kSearchScanRows));
        std::set<std::string> seen;
        for (const store::Doc& row : rows) {
          if (!absl::StartsWith(row.id, scan)) break;
          if (!seen.insert(row.customer).second) continue;
          ASSIGN_OR_RETURN(std::optional<store::Doc> doc, tx.GetDoc(kCustomerKind, row.customer));
          v1::Customer c;
          if (!doc || !c.ParseFromString(doc->body)) continue;
          // Every other word must begin a term of the name or reference, or
          // be in the row's own term (an invoice number).
          std::set<std::string> terms = CustomerTerms(c);
          for (std::string& t : SearchTerms(row.id.substr(0, row.id.rfind('|'))))
            terms.insert(std::move(t));
          const bool all = std::all_of(words.begin(), words.end(), [&](const std::string& w) {
            return std::any_of(terms.begin(), terms.end(),
                               [&](const std::string& t) { return absl::StartsWith(t, w); });
          });
          if (all) out.push_back({CustomerResource(tenant, row.customer), c.display_name()});
        }
        return absl::OkStatus();
      }));
  std::sort(out.begin(), out.end(), [](const SearchHit& a, const SearchHit& b) {
    return std::tie(a.display_name, a.customer) < std::tie(b.display_name, b.customer);
  });
  if (static_cast<int>(out.size()) > limit) out.resize(limit);
  return out;
}

absl::Status MigrateCustomerSearch(store::Store& store) {
  ASSIGN_OR_RETURN(std::vector<std::string> tenants, store.ListTenants());
  for (const std::string& tenant : tenants) {
    bool needed = false;
    RETURN_IF_ERROR(
        store.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
          ASSIGN_OR_RETURN(auto index, tx.ListDocs(kSearchKind, "", "", 1));
          ASSIGN_OR_RETURN(auto customers, tx.ListDocs(kCustomerKind, "", "", 1));
          needed = index.empty() && !customers.empty();
          return absl::OkStatus();
        }));
    if (!needed) continue;
    for (std::string after;;) {
      bool more = false;
      RETURN_IF_ERROR(
          store.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
            ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kCustomerKind, "", after, kMigrateBatch));
            for (const store::Doc& d : docs) {
              v1::Customer c;
              if (!c.ParseFromString(d.body)) return absl::InternalError("bad stored customer");
              RETURN_IF_ERROR(IndexCustomer(tx, d.id, nullptr, c));
            }
            more = static_cast<int>(docs.size()) == kMigrateBatch;
            if (!docs.empty()) after = docs.back().id;
            return absl::OkStatus();
          }));
      if (!more) break;
    }
    for (std::string after;;) {
      bool more = false;
      RETURN_IF_ERROR(
          store.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
            store::InvoiceFilter f;
            f.after_id = after;
            f.limit = kMigrateBatch;
            ASSIGN_OR_RETURN(auto rows, tx.ListInvoices(f));
            for (const store::InvoiceRow& r : rows) {
              RETURN_IF_ERROR(IndexInvoiceNumber(tx, r.customer, "", r.number));
            }
            more = static_cast<int>(rows.size()) == kMigrateBatch;
            if (!rows.empty()) after = rows.back().id;
            return absl::OkStatus();
          }));
      if (!more) break;
    }
  }
  return absl::OkStatus();
}

}  // namespace collections::app
