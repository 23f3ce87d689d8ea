#include "connectors/plaintext/write_plaintext.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::connectors {
namespace {

using Dialect = JournalWriteOptions::Dialect;

// One account-name segment. ledger/hledger: anything but ';', brackets,
// parentheses, ':' and two spaces in a row. beancount: a capital letter or
// digit first, then letters, digits and '-'.
std::string Segment(absl::string_view text, Dialect dialect) {
  std::string out;
  bool space = false;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    bool keep = dialect == Dialect::kLedger
                    ? !(c == ';' || c == ':' || c == '(' || c == ')' || c == '[' || c == ']' ||
                        c == '\t' || c == '"' || c == '@' || c == '=')
                    : (absl::ascii_isalnum(u) || c == '-');
    if (c == ' ' || !keep) {
      if (!out.empty() && !space) out.push_back(dialect == Dialect::kLedger ? ' ' : '-');
      space = true;
      continue;
    }
    out.push_back(c);
    space = false;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '-')) out.pop_back();
  if (dialect == Dialect::kBeancount) {
    if (out.empty() || !absl::ascii_isalnum(static_cast<unsigned char>(out[0]))) out = "X" + out;
    out[0] = absl::ascii_toupper(static_cast<unsigned char>(out[0]));
  }
  return out.empty() ? "unknown" : out;
}

// A whole account name, each segment made safe.
std::string Account(absl::string_view name, Dialect dialect) {
  std::vector<std::string> parts;
  for (absl::string_view s : absl::StrSplit(name, ':')) parts.push_back(Segment(s, dialect));
  return absl::StrJoin(parts, ":");
}

// Free text on a header line: no line breaks, no comment or quote chars
// that would end it early.
std::string Text(absl::string_view s, Dialect dialect) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (dialect == Dialect::kBeancount && c == '"') c = '\'';
    if (dialect == Dialect::kLedger && (c == ';' || c == '|')) c = ',';
    out.push_back(c);
  }
  return out;
}

// A tag's value: one line; in beancount a string with '"' and '\\'
// escaped.
std::string TagValue(absl::string_view s, Dialect dialect) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (dialect == Dialect::kBeancount && (c == '"' || c == '\\')) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// A transaction code "(...)": no parenthesis or line break inside.
std::string Code(absl::string_view s) {
  std::string out;
  for (char c : s) out.push_back(c == ')' || c == '(' || c == '\n' || c == '\r' ? '_' : c);
  return out;
}

}  // namespace

absl::Status WriteJournal(std::ostream& out, absl::Span<const CollectionEntry> entries,
                          const JournalWriteOptions& options) {
  if (absl::Status s = ValidateEntries(entries); !s.ok()) return s;
  const Dialect d = options.dialect;
  std::string text;
  if (d == Dialect::kBeancount && !entries.empty()) {
    // beancount refuses postings to accounts that were never opened.
    std::set<std::string> accounts;
    absl::CivilDay first = entries[0].date;
    for (const CollectionEntry& e : entries) {
      first = std::min(first, e.date);
      accounts.insert(Account(absl::StrCat(options.receivable_account, ":", e.customer), d));
      accounts.insert(Account(e.kind == CollectionEntry::Kind::kFee ? options.fee_income_account
                              : e.kind == CollectionEntry::Kind::kInterest
                                  ? options.interest_income_account
                                  : options.write_off_account,
                              d));
    }
    for (const std::string& a : accounts) {
      absl::StrAppend(&text, domain::FormatIsoDay(first), " open ", a, "\n");
    }
    text += "\n";
  }
  for (const CollectionEntry& e : entries) {
    std::string receivable = Account(absl::StrCat(options.receivable_account, ":", e.customer), d);
    std::string other =
        Account(e.kind == CollectionEntry::Kind::kFee        ? options.fee_income_account
                : e.kind == CollectionEntry::Kind::kInterest ? options.interest_income_account
                                                             : options.write_off_account,
                d);
    bool write_off = e.kind == CollectionEntry::Kind::kWriteOff;
    const std::string& debit = write_off ? other : receivable;
    const std::string& credit = write_off ? receivable : other;
    std::string amount = domain::FormatDecimal(e.amount.minor, e.amount.currency);
    std::string negative = domain::FormatDecimal(-e.amount.minor, e.amount.currency);
    std::string payee = Text(e.customer_name.empty() ? e.customer : e.customer_name, d);
    std::string date = domain::FormatIsoDay(e.date);
    const std::string& number = e.number.empty() ? e.id : e.number;
    // The tags the parser reads back (parse_plaintext.h), so that a
    // re-import keeps the customer and the number whatever the account and
    // code syntax had to change: one per line, its value to the line's end.
    std::vector<std::pair<const char*, const std::string*>> tags = {
        {"collections-entry", &e.id}, {"document", &number}, {"customer", &e.customer}};
    if (!e.invoice_number.empty()) tags.push_back({"for-invoice", &e.invoice_number});
    if (d == Dialect::kLedger) {
      absl::StrAppend(&text, date, " * (", Code(number), ") ", payee, " | ",
                      Text(DescribeEntry(e), d), "\n");
      for (const auto& [key, value] : tags) {
        absl::StrAppend(&text, "    ; ", key, ": ", TagValue(*value, d), "\n");
      }
    } else {
      absl::StrAppend(&text, date, " * \"", payee, "\" \"", Text(DescribeEntry(e), d), "\"\n");
      for (const auto& [key, value] : tags) {
        absl::StrAppend(&text, "  ", key, ": \"", TagValue(*value, d), "\"\n");
      }
    }
    // Amounts right-aligned after at least four spaces, as the tools print them.
    size_t column = std::max(debit.size(), credit.size()) + 8;
    auto posting = [&](const std::string& account, const std::string& value) {
      std::string line = absl::StrCat("    ", account);
      line.append(column - line.size() + (negative.size() - value.size()), ' ');
      absl::StrAppend(&line, value, " ", e.amount.currency, "\n");
      return line;
    };
    text += posting(debit, amount);
    text += posting(credit, negative);
    text += "\n";
  }
  out << text;
  return out.good() ? absl::OkStatus() : absl::DataLossError("write failed");
}

}  // namespace collections::connectors
