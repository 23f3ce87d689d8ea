#include "connectors/datev/parse_datev.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "connectors/common/amount.h"
#include "connectors/common/csv.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

using collections_sidecar::v1::Payment;

constexpr int kBookings = 21;
constexpr int kDebtorsCreditors = 16;

int64_t Pow10(int n) {
  int64_t v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status HeaderError(absl::string_view reason, absl::string_view field, absl::string_view why) {
  return domain::InvalidInput(reason, field, why);
}

// YYYYMMDD.
absl::StatusOr<absl::CivilDay> Yyyymmdd(absl::string_view s, absl::string_view field) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 8 || !AllDigits(s) || !absl::SimpleAtoi(s.substr(0, 4), &y) ||
      !absl::SimpleAtoi(s.substr(4, 2), &m) || !absl::SimpleAtoi(s.substr(6, 2), &d)) {
    return HeaderError("INVALID_HEADER", field, absl::StrCat("\"", s, "\" is not YYYYMMDD"));
  }
  absl::StatusOr<absl::CivilDay> day = domain::MakeDay(y, m, d);
  if (!day.ok())
    return HeaderError("INVALID_HEADER", field, absl::StrCat("\"", s, "\" is not a calendar day"));
  return *day;
}

// DDMMYYYY (Fälligkeit, validity dates).
std::optional<absl::CivilDay> Ddmmyyyy(absl::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 8 || !AllDigits(s)) return std::nullopt;
  (void)absl::SimpleAtoi(s.substr(0, 2), &d);
  (void)absl::SimpleAtoi(s.substr(2, 2), &m);
  (void)absl::SimpleAtoi(s.substr(4, 4), &y);
  absl::StatusOr<absl::CivilDay> day = domain::MakeDay(y, m, d);
  if (!day.ok()) return std::nullopt;
  return *day;
}

}  // namespace

int64_t DatevHeader::FirstDebtor() const { return Pow10(account_length); }
int64_t DatevHeader::LastDebtor() const { return 7 * Pow10(account_length) - 1; }
int64_t DatevHeader::LastCreditor() const { return Pow10(account_length + 1) - 1; }

absl::StatusOr<DatevHeader> ParseDatevHeader(const std::vector<std::string>& f) {
  auto at = [&](size_t i) -> std::string {
    return i < f.size() ? std::string(absl::StripAsciiWhitespace(f[i])) : std::string();
  };
  DatevHeader h;
  h.marker = at(0);
  if (h.marker != "EXTF" && h.marker != "DTVF") {
    return HeaderError("NOT_DATEV", "Kennzeichen",
                       absl::StrCat("the first field is \"", h.marker.substr(0, 40),
                                    "\", not EXTF or DTVF: not a DATEV file"));
  }
  if (!absl::SimpleAtoi(at(1), &h.version) || h.version < 500 || h.version >= 800 ||
      (h.version >= 600 && h.version < 700)) {
    return HeaderError("UNSUPPORTED_VERSION", "Versionsnummer",
                       absl::StrCat("format version \"", at(1), "\"; 5xx and 7xx are read"));
  }
  if (!absl::SimpleAtoi(at(2), &h.category)) {
    return HeaderError("INVALID_HEADER", "Formatkategorie",
                       absl::StrCat("\"", at(2), "\" is not a number"));
  }
  h.format_name = at(3);
  (void)absl::SimpleAtoi(at(4), &h.format_version);
  h.berater = at(10);
  h.mandant = at(11);
  if (!at(12).empty()) {
    ASSIGN_OR_RETURN(h.fiscal_year_start, Yyyymmdd(at(12), "WJ-Beginn"));
  } else if (h.category == kBookings) {
    return HeaderError("INVALID_HEADER", "WJ-Beginn",
                       "a Buchungsstapel needs the fiscal year start");
  }
  if (!at(13).empty() && (!absl::SimpleAtoi(at(13), &h.account_length) || h.account_length < 4 ||
                          h.account_length > 8)) {
    return HeaderError("INVALID_HEADER", "Sachkontenlänge",
                       absl::StrCat("\"", at(13), "\" is not an account length of 4 to 8 digits"));
  }
  if (!at(14).empty()) {
    ASSIGN_OR_RETURN(absl::CivilDay from, Yyyymmdd(at(14), "Datum vom"));
    h.period_from = from;
  }
  if (!at(15).empty()) {
    ASSIGN_OR_RETURN(absl::CivilDay to, Yyyymmdd(at(15), "Datum bis"));
    h.period_to = to;
  }
  if (h.period_from.has_value() && h.period_to.has_value() && *h.period_to < *h.period_from) {
    return HeaderError("INVALID_HEADER", "Datum bis", "the period ends before it starts");
  }
  h.currency = at(21);
  if (!h.currency.empty() && !domain::IsKnownCurrency(h.currency)) {
    return HeaderError("INVALID_HEADER", "WKZ",
                       absl::StrCat("\"", h.currency, "\" is not an ISO 4217 currency"));
  }
  h.chart = at(26);
  return h;
}

absl::StatusOr<AccountRanges> ParseAccountRanges(absl::string_view text) {
  AccountRanges out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    std::vector<absl::string_view> ends = absl::StrSplit(part, absl::MaxSplits('-', 1));
    int64_t a = 0, b = 0;
    if (!AllDigits(ends[0]) || !absl::SimpleAtoi(ends[0], &a) ||
        (ends.size() == 2 && (!AllDigits(ends[1]) || !absl::SimpleAtoi(ends[1], &b)))) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", part, "\" is not an account or a range like 1200-1299"));
    }
    if (ends.size() == 1) b = a;
    if (b < a)
      return absl::InvalidArgumentError(absl::StrCat("range \"", part, "\" ends before it starts"));
    out.emplace_back(a, b);
  }
  return out;
}

AccountRanges DefaultBankAccounts(absl::string_view chart, int account_length) {
  int64_t scale = Pow10(account_length - 4);
  if (chart == "04") return {{1600 * scale, 1900 * scale - 1}};
  return {{1000 * scale, 1300 * scale - 1}};
}

namespace {

// The Buchungsstapel's fixed fields (0-based).
enum BookingField {
  kUmsatz = 0,
  kSollHaben = 1,
  kWkz = 2,
  kKonto = 6,
  kGegenkonto = 7,
  kBelegdatum = 9,
  kBelegfeld1 = 10,
  kBelegfeld2 = 11,
  kBuchungstext = 13,
};
const char* const kBookingNames[] = {"Umsatz",       "Soll/Haben-Kennzeichen",
                                     "WKZ Umsatz",   "Kurs",
                                     "Basisumsatz",  "WKZ Basisumsatz",
                                     "Konto",        "Gegenkonto",
                                     "BU-Schlüssel", "Belegdatum",
                                     "Belegfeld 1",  "Belegfeld 2",
                                     "Skonto",       "Buchungstext"};

// Debitoren/Kreditoren fields (0-based).
enum MasterField {
  kMKonto = 0,
  kCompany = 1,
  kPersonName = 3,
  kFirstName = 4,
  kNoTypeName = 5,
  kAddresseeType = 6,
  kShortName = 7,
  kCountry = 19,
  kEmail = 32,
};

// An invoice being gathered from consecutive booking rows. At namespace
// scope: clang 14 (the fuzz build) cannot default-construct a nested struct
// with member initializers from inside its enclosing class.
struct Pending {
  bool due_from_file = false;  // from a Fälligkeit field
  int64_t debtor = 0;
  std::string number;
  std::string currency;
  ParsedRecord rec;
};

class DatevParser {
 public:
  DatevParser(const ParseOptions& options, const DatevOptions& datev, const RecordSink& on_record,
              const IssueSink& on_issue, DatevStats& stats)
      : file_(options.file_name.empty() ? "<input>" : options.file_name),
        source_system_(options.source_system.empty() ? "datev" : options.source_system),
        rules_(options.amounts),
        default_kind_(options.default_customer_kind),
        datev_(datev),
        on_record_(on_record),
        on_issue_(on_issue),
        stats_(stats) {
    rules_.format = kCommaDecimal;  // DATEV fixes the decimal comma
  }

  absl::Status Run(CsvReader& reader) {
    CsvRecord row;
    ASSIGN_OR_RETURN(bool any, reader.Next(&row));
    Location first{file_, 1, 1, ""};
    if (!any) return InputError("NOT_DATEV", first, "the input is empty");
    std::vector<std::string> header_fields;
    for (const CsvField& f : row.fields) header_fields.push_back(f.value);
    absl::StatusOr<DatevHeader> header = ParseDatevHeader(header_fields);
    if (!header.ok()) {
      auto fields = domain::FieldsOf(header.status());
      return InputError(
          domain::ReasonOf(header.status()), first,
          absl::StrCat(fields.empty() ? "" : fields.front().field, ": ",
                       fields.empty() ? header.status().message() : fields.front().description));
    }
    h_ = *header;
    stats_.header = h_;
    if (h_.category != kBookings && h_.category != kDebtorsCreditors) {
      return InputError("UNSUPPORTED_CATEGORY", first,
                        absl::StrCat("format category ", h_.category, " (", h_.format_name,
                                     "); 21 Buchungsstapel and 16 Debitoren/Kreditoren are read"));
    }
    if (datev_.bank_accounts.empty()) {
      datev_.bank_accounts = DefaultBankAccounts(h_.chart, h_.account_length);
    }
    ASSIGN_OR_RETURN(bool captions, reader.Next(&row));
    if (!captions) return absl::OkStatus();
    columns_.Reset(row);
    due_column_ = columns_.Find("Fälligkeit");
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader.Next(&row));
      if (!more) break;
      if (row.IsBlank()) continue;
      ++stats_.rows;
      if (h_.category == kBookings) {
        Booking(row);
      } else {
        Master(row);
      }
    }
    FlushInvoice();
    return absl::OkStatus();
  }

 private:
  // ---------------------------------------------------------- issues

  std::string FieldName(int i) const {
    std::string spelled = columns_.Spelling(i);
    if (!spelled.empty()) return spelled;
    return h_.category == kBookings && i < 14 ? kBookingNames[i] : absl::StrCat("field ", i + 1);
  }
  Location At(const CsvRecord& row, int i) const {
    Location l{file_, row.first_line, 0, ""};
    if (i >= 0 && static_cast<size_t>(i) < row.fields.size()) {
      l.line = row.fields[i].line;
      l.column = row.fields[i].column;
    }
    return l;
  }
  void Issue(const CsvRecord& row, int i, absl::string_view reason, absl::string_view why) {
    ++stats_.rejected;
    on_issue_(ParseIssue{At(row, i), FieldName(i), std::string(reason), std::string(why)});
  }
  void Issue(const CsvRecord& row, int i, const absl::Status& st, absl::string_view fallback) {
    ++stats_.rejected;
    on_issue_(IssueFromStatus(st, At(row, i), FieldName(i), fallback));
  }
  std::string V(const CsvRecord& row, int i) const {
    return std::string(absl::StripAsciiWhitespace(row.Value(i)));
  }

  // ---------------------------------------------------------- bookings

  std::optional<int64_t> Account(const CsvRecord& row, int i) {
    std::string s = V(row, i);
    int64_t a = 0;
    if (!AllDigits(s) || s.size() > 9 || !absl::SimpleAtoi(s, &a)) {
      Issue(row, i, "INVALID_ACCOUNT", absl::StrCat("\"", s, "\" is not an account number"));
      return std::nullopt;
    }
    return a;
  }
  bool IsDebtor(int64_t a) const { return a >= h_.FirstDebtor() && a <= h_.LastDebtor(); }
  bool IsBank(int64_t a) const {
    for (const auto& [lo, hi] : datev_.bank_accounts) {
      if (a >= lo && a <= hi) return true;
    }
    return false;
  }

  // Belegdatum DDMM (year from the batch period or fiscal year) or DDMMYYYY.
  std::optional<absl::CivilDay> DocumentDate(const CsvRecord& row) {
    std::string s = V(row, kBelegdatum);
    if (s.size() == 3) s = "0" + s;  // "2102" may lose its leading zero: "102"
    auto bad = [&](absl::string_view why) {
      Issue(row, kBelegdatum, "INVALID_DATE",
            absl::StrCat("Belegdatum \"", V(row, kBelegdatum), "\" ", why));
      return std::nullopt;
    };
    if (!AllDigits(s) || (s.size() != 4 && s.size() != 8)) return bad("is not DDMM or DDMMYYYY");
    int d = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[2] - '0') * 10 + (s[3] - '0');
    absl::CivilDay from = h_.period_from.value_or(h_.fiscal_year_start);
    absl::CivilDay to = h_.period_to.value_or(absl::CivilDay(h_.fiscal_year_start.year() + 1,
                                                             h_.fiscal_year_start.month(),
                                                             h_.fiscal_year_start.day()) -
                                              1);
    std::vector<int64_t> years = {from.year(), to.year()};
    if (s.size() == 8) {
      int y = 0;
      (void)absl::SimpleAtoi(s.substr(4), &y);
      years = {y};
    }
    bool calendar_day = false;
    for (int64_t y : years) {
      absl::StatusOr<absl::CivilDay> day = domain::MakeDay(static_cast<int>(y), m, d);
      if (!day.ok()) continue;
      calendar_day = true;
      if (*day >= from && *day <= to) return *day;
    }
    if (!calendar_day) return bad("is not a calendar day");
    return bad(absl::StrCat("is not a day of the batch period ", domain::FormatIsoDay(from), " to ",
                            domain::FormatIsoDay(to)));
  }

  // A booking row; false (with the issue reported) when it is refused.
  bool BookingRow(const CsvRecord& row) {
    std::string sh = absl::AsciiStrToUpper(V(row, kSollHaben));
    if (sh != "S" && sh != "H") {
      Issue(row, kSollHaben, "INVALID_VALUE",
            absl::StrCat("\"", V(row, kSollHaben), "\" is not S or H"));
      return false;
    }
    std::optional<int64_t> konto = Account(row, kKonto);
    std::optional<int64_t> gegen = Account(row, kGegenkonto);
    if (!konto || !gegen) return false;
    bool konto_debtor = IsDebtor(*konto), gegen_debtor = IsDebtor(*gegen);
    if (!konto_debtor && !gegen_debtor) {
      FlushInvoice();
      ++stats_.other_bookings_ignored;
      return true;
    }
    if (konto_debtor && gegen_debtor) {
      Issue(row, kGegenkonto, "UNSUPPORTED_BOOKING",
            absl::StrCat("a booking between two debtor accounts (", *konto, ", ", *gegen,
                         ") is neither an invoice nor a payment"));
      return false;
    }
    const int64_t debtor = konto_debtor ? *konto : *gegen;
    const int64_t counter = konto_debtor ? *gegen : *konto;
    const bool debit = (konto_debtor && sh == "S") || (gegen_debtor && sh == "H");
    std::string currency = V(row, kWkz);
    if (currency.empty()) currency = h_.currency.empty() ? "EUR" : h_.currency;
    if (!domain::IsKnownCurrency(currency)) {
      Issue(row, kWkz, "INVALID_CURRENCY",
            absl::StrCat("\"", currency, "\" is not an ISO 4217 currency"));
      return false;
    }
    absl::StatusOr<int64_t> amount = ParseAmount(V(row, kUmsatz), currency, rules_);
    if (!amount.ok()) {
      Issue(row, kUmsatz, amount.status(), "INVALID_AMOUNT");
      return false;
    }
    if (*amount <= 0) {
      Issue(row, kUmsatz, "INVALID_AMOUNT",
            absl::StrCat("Umsatz \"", V(row, kUmsatz),
                         "\" must be positive (the sign is the S/H flag)"));
      return false;
    }
    std::optional<absl::CivilDay> date = DocumentDate(row);
    if (!date) return false;
    if (debit) return Invoice(row, debtor, currency, *amount, *date);
    FlushInvoice();
    if (IsBank(counter)) {
      PaymentRow(row, debtor, counter, currency, *amount, *date);
      return true;
    }
    return CreditNote(row, debtor, currency, *amount, *date);
  }

  bool Invoice(const CsvRecord& row, int64_t debtor, const std::string& currency, int64_t amount,
               absl::CivilDay date) {
    std::string number = V(row, kBelegfeld1);
    if (number.empty()) {
      Issue(row, kBelegfeld1, "MISSING_FIELD",
            "an invoice booking needs its invoice number in Belegfeld 1");
      return false;
    }
    if (pending_ && (pending_->debtor != debtor || pending_->number != number ||
                     pending_->currency != currency)) {
      FlushInvoice();
    }
    if (!pending_) {
      pending_.emplace();
      pending_->debtor = debtor;
      pending_->number = number;
      pending_->currency = currency;
      pending_->rec = NewRecord(At(row, -1));
      pending_->rec.record.set_customer_ref(absl::StrCat(debtor));
      v1::Invoice* inv = pending_->rec.record.mutable_invoice();
      inv->mutable_external_ref()->set_source_system(source_system_);
      // Invoice numbers are unique within a client's books (§ 14 (4) Nr. 4
      // UStG asks for a unique sequence), so the number is the id.
      inv->mutable_external_ref()->set_id(number);
      inv->set_number(number);
      inv->set_currency_code(currency);
      *inv->mutable_issue_date() = ToProtoDate(date);
      *inv->mutable_due_date() = ToProtoDate(date + datev_.payment_terms_days);
      *inv->mutable_total() = ToProtoMoney(0, currency);
    }
    v1::Invoice* inv = pending_->rec.record.mutable_invoice();
    // The first Fälligkeit of the invoice's lines, if any line has one.
    if (!pending_->due_from_file && due_column_ >= 0 && !V(row, due_column_).empty()) {
      std::optional<absl::CivilDay> due = Ddmmyyyy(V(row, due_column_));
      if (!due) {
        Issue(row, due_column_, "INVALID_DATE",
              absl::StrCat("Fälligkeit \"", V(row, due_column_), "\" is not DDMMYYYY"));
        return false;
      }
      *inv->mutable_due_date() = ToProtoDate(*due);
      pending_->due_from_file = true;
    }
    absl::StatusOr<int64_t> total = CheckedAdd(inv->total().minor_units(), amount, "invoice total");
    if (!total.ok()) {
      Issue(row, kUmsatz, total.status(), "MONEY_OVERFLOW");
      return false;
    }
    inv->mutable_total()->set_minor_units(*total);
    v1::InvoiceLine* line = inv->add_lines();
    line->set_line_id(absl::StrCat(inv->lines_size()));
    line->set_description(V(row, kBuchungstext));
    *line->mutable_amount() = ToProtoMoney(amount, currency);
    return true;
  }

  // Every booking row goes through here. An invoice whose line was refused
  // is not emitted at all (never a part of it): its earlier lines are
  // dropped and its later lines refused, each with INCOMPLETE_DOCUMENT.
  void Booking(const CsvRecord& row) {
    const std::string number = V(row, kBelegfeld1);
    if (!refused_number_.empty()) {
      if (number == refused_number_ &&
          (V(row, kKonto) == refused_debtor_ || V(row, kGegenkonto) == refused_debtor_)) {
        Issue(
            row, kBelegfeld1, "INCOMPLETE_DOCUMENT",
            absl::StrCat("a line of invoice ", number, " was refused, so none of it is imported"));
        return;
      }
      refused_number_.clear();
    }
    if (BookingRow(row)) return;
    if (pending_ && pending_->number == number &&
        (V(row, kKonto) == absl::StrCat(pending_->debtor) ||
         V(row, kGegenkonto) == absl::StrCat(pending_->debtor))) {
      ++stats_.rejected;
      on_issue_(ParseIssue{pending_->rec.where, FieldName(kBelegfeld1), "INCOMPLETE_DOCUMENT",
                           absl::StrCat("invoice ", number, " is not imported: its line ",
                                        row.first_line, " was refused")});
      refused_number_ = number;
      refused_debtor_ = absl::StrCat(pending_->debtor);
      pending_.reset();
      return;
    }
    FlushInvoice();
  }

  void FlushInvoice() {
    if (!pending_) return;
    Pending p = std::move(*pending_);
    pending_.reset();
    if (!seen_ids_.insert(Fingerprint(p.rec.record.invoice().external_ref().id())).second) {
      ++stats_.rejected;
      on_issue_(
          ParseIssue{p.rec.where, "Belegfeld 1", "DUPLICATE_DOCUMENT",
                     absl::StrCat("invoice number ", p.number, " (debtor ", p.debtor,
                                  ") was used earlier in the file, apart from this booking")});
      return;
    }
    ++stats_.invoices;
    on_record_(std::move(p.rec));
  }

  // `id`, or "id#2", "id#3" ... when the file had it before: two equal
  // bookings (two payments of one amount on one day) stay two documents.
  std::string RepeatNumbered(const std::string& id) {
    std::string out = id;
    for (int n = 2; !seen_ids_.insert(Fingerprint(out)).second; ++n) out = absl::StrCat(id, "#", n);
    return out;
  }

  void PaymentRow(const CsvRecord& row, int64_t debtor, int64_t bank, const std::string& currency,
                  int64_t amount, absl::CivilDay date) {
    ParsedRecord rec = NewRecord(At(row, -1));
    rec.record.set_customer_ref(absl::StrCat(debtor));
    Payment* p = rec.record.mutable_payment();
    *p->mutable_amount() = ToProtoMoney(amount, currency);
    *p->mutable_received_date() = ToProtoDate(date);
    p->set_method(Payment::BANK_TRANSFER);
    p->set_account_id(absl::StrCat(bank));
    std::string invoice = V(row, kBelegfeld1);
    p->set_payer_reference(invoice);
    p->set_remittance_text(V(row, kBuchungstext));
    if (!invoice.empty()) {
      v1::Allocation* a = p->add_allocations();
      a->set_invoice_number(invoice);
      *a->mutable_amount() = ToProtoMoney(amount, currency);
    }
    p->mutable_external_ref()->set_source_system(source_system_);
    p->mutable_external_ref()->set_id(RepeatNumbered(absl::StrCat(
        debtor, "/pay-",
        StableId({absl::StrCat(bank), domain::FormatIsoDay(date), currency, absl::StrCat(amount),
                  invoice, V(row, kBelegfeld2), V(row, kBuchungstext)}))));
    ++stats_.payments;
    on_record_(std::move(rec));
  }

  bool CreditNote(const CsvRecord& row, int64_t debtor, const std::string& currency, int64_t amount,
                  absl::CivilDay date) {
    std::string invoice = V(row, kBelegfeld1);
    std::string number = V(row, kBelegfeld2);
    if (number.empty()) {
      if (invoice.empty()) {
        Issue(row, kBelegfeld1, "MISSING_FIELD",
              "a credit to a debtor names its credit note in Belegfeld 2 or the invoice it credits "
              "in Belegfeld 1");
        return false;
      }
      number = absl::StrCat(invoice, "/", domain::FormatIsoDay(date));
    }
    ParsedRecord rec = NewRecord(At(row, -1));
    rec.record.set_customer_ref(absl::StrCat(debtor));
    v1::CreditNote* c = rec.record.mutable_credit_note();
    c->mutable_external_ref()->set_source_system(source_system_);
    c->mutable_external_ref()->set_id(RepeatNumbered(number));
    c->set_number(number);
    *c->mutable_issue_date() = ToProtoDate(date);
    *c->mutable_amount() = ToProtoMoney(amount, currency);
    c->set_invoice_number(invoice);
    c->set_reason(V(row, kBuchungstext));
    ++stats_.credit_notes;
    on_record_(std::move(rec));
    return true;
  }

  // ---------------------------------------------------------- master data

  void Master(const CsvRecord& row) {
    std::optional<int64_t> account = Account(row, kMKonto);
    if (!account) return;
    if (!IsDebtor(*account)) {
      if (*account > h_.LastDebtor() && *account <= h_.LastCreditor()) {
        ++stats_.creditors_ignored;
        return;
      }
      Issue(row, kMKonto, "INVALID_ACCOUNT",
            absl::StrCat(*account, " is not a personal account for account length ",
                         h_.account_length, " (debtors ", h_.FirstDebtor(), "..", h_.LastDebtor(),
                         ")"));
      return;
    }
    std::string type = V(row, kAddresseeType);
    std::string company = V(row, kCompany);
    std::string person = V(row, kPersonName);
    std::string first = V(row, kFirstName);
    std::string name = !company.empty() ? company
                       : !person.empty()
                           ? (first.empty() ? person : absl::StrCat(first, " ", person))
                       : !V(row, kNoTypeName).empty() ? V(row, kNoTypeName)
                                                      : V(row, kShortName);
    if (name.empty()) {
      Issue(row, kCompany, "MISSING_FIELD", absl::StrCat("debtor ", *account, " has no name"));
      return;
    }
    ParsedRecord rec = NewRecord(At(row, -1));
    v1::Customer* c = rec.record.mutable_customer();
    c->mutable_external_ref()->set_source_system(source_system_);
    c->mutable_external_ref()->set_id(absl::StrCat(*account));
    c->set_display_name(name);
    // Adressattyp 2 = Unternehmen, 1 = natürliche Person; unknown stays
    // the option's default (consumer: the stricter rules).
    c->set_kind(type == "2"   ? v1::CUSTOMER_KIND_BUSINESS
                : type == "1" ? v1::CUSTOMER_KIND_CONSUMER
                              : default_kind_);
    std::string country = absl::AsciiStrToUpper(V(row, kCountry));
    if (country.size() == 2) c->set_country_code(country);
    std::string email = V(row, kEmail);
    if (!email.empty() && email.find('@') != std::string::npos) {
      v1::Contact* contact = c->add_contacts();
      contact->set_name(company.empty() ? name : "");
      contact->set_primary(true);
      v1::ContactChannel* ch = contact->add_channels();
      ch->set_type(v1::ContactChannel::EMAIL);
      ch->set_address(email);
    }
    ++stats_.customers;
    on_record_(std::move(rec));
  }

 private:
  std::string file_;
  std::string source_system_;
  AmountRules rules_;
  v1::CustomerKind default_kind_;
  DatevOptions datev_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  DatevStats& stats_;
  DatevHeader h_;
  ColumnMap columns_;
  int due_column_ = -1;
  std::optional<Pending> pending_;
  // An invoice refused part-way: its debtor and number.
  std::string refused_number_, refused_debtor_;
  // 64-bit fingerprints of every document id handed out (duplicates).
  absl::flat_hash_set<uint64_t> seen_ids_;
};

}  // namespace

absl::Status ParseDatev(std::istream& in, const ParseOptions& options, const DatevOptions& datev,
                        const RecordSink& on_record, const IssueSink& on_issue, DatevStats* stats) {
  DatevStats local;
  DatevStats& s = stats != nullptr ? *stats : local;
  LineReaderOptions lo;
  lo.encoding = options.encoding;
  LineReader lines(in, lo);
  CsvOptions co;
  co.delimiter = ';';
  CsvReader reader(lines, co);
  DatevParser parser(options, datev, on_record, on_issue, s);
  return parser.Run(reader);
}

}  // namespace collections::connectors
