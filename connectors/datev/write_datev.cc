#include "connectors/datev/write_datev.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "connectors/common/collection_entry.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// DATEV Belegfeld 1 (up to 36) and 2 (up to 12) of a-z A-Z 0-9 $ & % * + - /.
bool ValidBelegfeld(absl::string_view s, size_t max) {
  if (s.size() > max) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("$&%*+-/").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string Text(absl::string_view s, size_t max_chars) {
  std::string t = Utf8ToWindows1252(s);
  if (t.size() > max_chars) t.resize(max_chars);
  return absl::StrCat("\"", absl::StrReplaceAll(t, {{"\"", "\"\""}}), "\"");
}

std::string Day8(absl::CivilDay d) {
  return absl::StrFormat("%04d%02d%02d", d.year(), d.month(), d.day());
}

struct Row {
  int64_t minor = 0;
  std::string currency;
  char sh = 'S';
  std::string konto, gegenkonto, belegfeld1, belegfeld2, text;
  absl::CivilDay date;
};

}  // namespace

absl::Status WriteDatevBookings(const ExportSet& set, const std::vector<CollectionEntry>& entries,
                                const DatevExportOptions& o, std::ostream& out) {
  if (!AllDigits(o.berater) || o.berater.size() > 7 || !AllDigits(o.mandant) ||
      o.mandant.size() > 5) {
    return domain::InvalidInput(
        "MISSING_FIELD", "berater/mandant",
        "the DATEV advisor (1..7 digits) and client (1..5 digits) numbers are required");
  }
  const std::string interest = o.interest_account.empty() ? o.fee_account : o.interest_account;
  for (const auto& [name, acct] :
       {std::pair<const char*, const std::string*>{"fee account", &o.fee_account},
        {"interest account", &interest},
        {"write-off account", &o.writeoff_account}}) {
    if (!AllDigits(*acct) || static_cast<int>(acct->size()) != o.account_length) {
      return domain::InvalidInput("INVALID_ACCOUNT", name,
                                  absl::StrCat("the ", name, " must be a Sachkonto of ",
                                               o.account_length, " digits, got \"", *acct, "\""));
    }
  }
  // CollectionEntriesOf keeps the order of set.records (invoices and credit
  // notes only); the records give the document numbers.
  std::vector<const v1::SyncRecord*> docs;
  for (const v1::SyncRecord& r : set.records) {
    if (r.has_invoice() || r.has_credit_note()) docs.push_back(&r);
  }
  if (docs.size() != entries.size())
    return absl::InternalError("export entries and records differ");

  int64_t first_debtor = 1, last_debtor = 7;
  for (int i = 0; i < o.account_length; ++i) first_debtor *= 10, last_debtor *= 10;
  --last_debtor;
  std::vector<Row> rows;
  for (size_t i = 0; i < entries.size(); ++i) {
    const CollectionEntry& e = entries[i];
    const v1::SyncRecord& rec = *docs[i];
    std::string field = absl::StrCat("records[", i, "]");
    int64_t debtor = 0;
    if (!AllDigits(e.customer) || !absl::SimpleAtoi(e.customer, &debtor) || debtor < first_debtor ||
        debtor > last_debtor) {
      return domain::InvalidInput(
          "INVALID_ACCOUNT", field + ".customer_ref",
          absl::StrCat("customer \"", e.customer, "\" is not a DATEV debtor account (",
                       first_debtor, "..", last_debtor, ")"));
    }
    Row r;
    r.minor = e.amount.minor;
    r.currency = e.amount.currency;
    r.konto = e.customer;
    r.date = e.date;
    r.text = DescribeEntry(e);
    if (rec.has_invoice()) {
      r.sh = 'S';
      r.gegenkonto = e.kind == CollectionEntry::Kind::kInterest ? interest : o.fee_account;
      r.belegfeld1 = rec.invoice().number();
    } else {
      r.sh = 'H';
      r.gegenkonto = o.writeoff_account;
      r.belegfeld1 = rec.credit_note().invoice_number();
      r.belegfeld2 = rec.credit_note().number();
    }
    for (const auto& [b, max] :
         {std::pair<const std::string*, size_t>{&r.belegfeld1, 36}, {&r.belegfeld2, 12}}) {
      if (!ValidBelegfeld(*b, max)) {
        return domain::InvalidInput("INVALID_DOCUMENT_NUMBER", field,
                                    absl::StrCat("\"", *b, "\" cannot be a DATEV Belegfeld (up to ",
                                                 max, " of a-z A-Z 0-9 $ & % * + - /)"));
      }
    }
    rows.push_back(std::move(r));
  }
  // One fiscal year: the one holding the earliest booking.
  absl::CivilDay from = rows.empty() ? absl::CivilDay(2000, 1, 1) : rows.front().date;
  absl::CivilDay to = from;
  for (const Row& r : rows) {
    from = std::min(from, r.date);
    to = std::max(to, r.date);
  }
  absl::CivilDay fy_start(from.year(), o.fiscal_year_start_month, o.fiscal_year_start_day);
  if (fy_start > from)
    fy_start = absl::CivilDay(from.year() - 1, o.fiscal_year_start_month, o.fiscal_year_start_day);
  absl::CivilDay fy_end = absl::CivilDay(fy_start.year() + 1, fy_start.month(), fy_start.day()) - 1;
  if (to > fy_end) {
    return domain::InvalidInput(
        "SPANS_FISCAL_YEARS", "records",
        absl::StrCat("the bookings run from ", domain::FormatIsoDay(from), " to ",
                     domain::FormatIsoDay(to), ", past the fiscal year ending ",
                     domain::FormatIsoDay(fy_end), "; a Buchungsstapel holds one fiscal year"));
  }
  const std::string currency = rows.empty() ? "EUR" : rows.front().currency;

  std::string text;
  const char* eol = "\r\n";
  // Header: 31 fields (EXTF 700).
  absl::StrAppend(&text, "\"EXTF\";700;21;\"Buchungsstapel\";12;", o.created, ";;\"CO\";",
                  Text("collections", 25), ";\"\";", o.berater, ";", o.mandant, ";", Day8(fy_start),
                  ";", o.account_length, ";", Day8(from), ";", Day8(to), ";",
                  Text("Collections", 30), ";\"\";1;0;0;\"", currency, "\";;\"\";;;",
                  Text(o.chart, 2), ";;;\"\";\"\"", eol);
  absl::StrAppend(
      &text,
      Utf8ToWindows1252("Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;"
                        "Basisumsatz;WKZ Basisumsatz;Konto;Gegenkonto (ohne BU-Schlüssel);"
                        "BU-Schlüssel;Belegdatum;Belegfeld 1;Belegfeld 2;Skonto;Buchungstext"),
      eol);
  for (const Row& r : rows) {
    std::string amount =
        absl::StrReplaceAll(domain::FormatDecimal(r.minor, r.currency), {{".", ","}});
    absl::StrAppend(
        &text, amount, ";\"", std::string(1, r.sh), "\";\"", r.currency, "\";;;\"\";", r.konto, ";",
        r.gegenkonto, ";\"\";", absl::StrFormat("%02d%02d", r.date.day(), r.date.month()), ";",
        Text(r.belegfeld1, 36), ";", Text(r.belegfeld2, 12), ";;", Text(r.text, 60), eol);
  }
  out << text;
  if (!out) return absl::DataLossError("writing the DATEV file failed");
  return absl::OkStatus();
}

}  // namespace collections::connectors
