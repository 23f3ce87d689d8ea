#include "connectors/xero/parse_xero.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "connectors/common/csv.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

constexpr absl::string_view kDefaultSourceSystem = "xero";

int64_t Pow10Int(int n) {
  int64_t v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

struct Line;
struct LineAmount {
  int64_t minor = 0;
  bool rounded = false;  // the exact amount had more decimals than the currency
};
absl::StatusOr<LineAmount> LineGross(const Line& l, int exp);

struct Line {
  std::string description;
  int64_t quantity_milli = 0;
  int64_t unit_e4 = 0;      // UnitAmount in 1/10000
  int64_t discount_e4 = 0;  // Discount percentage in 1/10000 of a percent
  int64_t tax = 0;          // TaxAmount in minor units
  Location where;           // the row's UnitAmount cell
};

struct Group {
  std::string number;
  Location where;
  bool credit = false;
  bool bad = false;
  std::string currency;
  std::vector<std::string> first;  // the first row's values, by column index
  std::vector<Line> lines;
};

// Quantity (1/1000) x UnitAmount (1/10000) x (100% - Discount (1/10000 %))
// in minor units of a currency with `exp` decimals, rounded half away from
// zero. MONEY_OVERFLOW instead of a wrapped product.
absl::StatusOr<LineAmount> LineGross(const Line& l, int exp) {
  __int128 num = static_cast<__int128>(l.quantity_milli) * l.unit_e4;  // < 2^126
  if (__builtin_mul_overflow(num, static_cast<__int128>(Pow10Int(exp)), &num) ||
      __builtin_mul_overflow(num, static_cast<__int128>(1000000 - l.discount_e4), &num)) {
    return domain::WithReason(absl::OutOfRangeError("Quantity x UnitAmount overflows"),
                              "MONEY_OVERFLOW");
  }
  const __int128 den = static_cast<__int128>(1000) * 10000 * 1000000;
  __int128 q = num / den;
  const __int128 r = num % den;
  LineAmount out;
  out.rounded = r != 0;
  if ((r < 0 ? -r : r) * 2 >= den) q += num < 0 ? -1 : 1;
  if (q > INT64_MAX || q < -INT64_MAX) {
    return domain::WithReason(absl::OutOfRangeError("Quantity x UnitAmount overflows"),
                              "MONEY_OVERFLOW");
  }
  out.minor = static_cast<int64_t>(q);
  return out;
}

class XeroParser {
 public:
  XeroParser(const ParseOptions& options, const RecordSink& on_record, const IssueSink& on_issue,
             const XeroParseOptions& xero)
      : options_(options),
        on_record_(on_record),
        on_issue_(on_issue),
        xero_(xero),
        source_(options.source_system.empty() ? std::string(kDefaultSourceSystem)
                                              : options.source_system) {}

  absl::Status Run(std::istream& in) {
    LineReader lines(in, {.encoding = options_.encoding});
    CsvReader reader(lines);
    CsvRecord record;
    bool have_header = false;
    while (true) {
      auto got = reader.Next(&record);
      if (!got.ok()) {
        return InputError(domain::ReasonOf(got.status()).empty() ? "UNREADABLE_INPUT"
                                                                 : domain::ReasonOf(got.status()),
                          Location{options_.file_name, lines.line_number() + 1, 0, ""},
                          got.status().message());
      }
      if (!*got) break;
      if (record.IsBlank()) continue;
      if (!have_header) {
        RETURN_IF_ERROR(ReadHeader(record));
        have_header = true;
        continue;
      }
      HandleRow(record);
    }
    Flush();
    return absl::OkStatus();
  }

 private:
  absl::Status ReadHeader(const CsvRecord& header) {
    columns_.Reset(header);
    credit_file_ = columns_.Find("CreditNoteNumber") >= 0;
    number_ = columns_.Find(credit_file_ ? "CreditNoteNumber" : "InvoiceNumber");
    date_ = columns_.Find(credit_file_ ? "CreditNoteDate" : "InvoiceDate");
    due_ = columns_.Find("DueDate");
    contact_ = columns_.Find("ContactName");
    quantity_ = columns_.Find("Quantity");
    unit_ = columns_.Find("UnitAmount");
    std::vector<std::string> missing;
    auto need = [&](int index, absl::string_view name) {
      if (index < 0) missing.push_back(std::string(name));
    };
    need(contact_, "ContactName");
    need(number_, credit_file_ ? "CreditNoteNumber" : "InvoiceNumber");
    need(date_, credit_file_ ? "CreditNoteDate" : "InvoiceDate");
    if (!credit_file_) need(due_, "DueDate");
    need(quantity_, "Quantity");
    need(unit_, "UnitAmount");
    if (!missing.empty()) {
      return InputError("XERO_MISSING_COLUMN",
                        Location{options_.file_name, header.first_line, 0, ""},
                        absl::StrCat("not a Xero sales invoice file: the header lacks ",
                                     absl::StrJoin(missing, ", ")));
    }
    return absl::OkStatus();
  }

  // Trimmed value of a column of `row` ("" when absent).
  absl::string_view Cell(const CsvRecord& row, int index) const {
    if (index < 0) return {};
    return absl::StripAsciiWhitespace(row.Value(static_cast<size_t>(index)));
  }
  absl::string_view Cell(const CsvRecord& row, absl::string_view name) const {
    return Cell(row, columns_.Find(name));
  }
  absl::string_view First(int index) const {
    if (index < 0 || static_cast<size_t>(index) >= group_->first.size()) return {};
    return group_->first[index];
  }

  Location At(const CsvRecord& row, int index) const {
    Location loc{options_.file_name, row.first_line, 0, ""};
    if (index >= 0 && static_cast<size_t>(index) < row.fields.size()) {
      loc.line = row.fields[index].line;
      loc.column = row.fields[index].column;
    }
    return loc;
  }
  void Issue(const CsvRecord& row, int index, absl::string_view reason,
             absl::string_view description) {
    on_issue_(ParseIssue{At(row, index), columns_.Spelling(index), std::string(reason),
                         std::string(description)});
  }
  void IssueFrom(const CsvRecord& row, int index, const absl::Status& status) {
    on_issue_(IssueFromStatus(status, At(row, index), columns_.Spelling(index)));
  }

  void HandleRow(const CsvRecord& row) {
    const std::string number(Cell(row, number_));
    if (number.empty()) {
      return Issue(row, number_, "MISSING_FIELD", "every row needs the document number");
    }
    if (!group_ || group_->number != number) {
      Flush();
      if (!seen_numbers_.insert(Fingerprint(number)).second) {
        return Issue(row, number_, "DUPLICATE_INVOICE_NUMBER",
                     absl::StrCat("number ", number,
                                  " already appeared earlier in the file; numbers are unique per "
                                  "file and an invoice's lines are consecutive"));
      }
      StartGroup(row, number);
    }
    AddLine(row);
  }

  void StartGroup(const CsvRecord& row, const std::string& number) {
    group_.emplace();
    group_->number = number;
    group_->where = Location{options_.file_name, row.first_line, 0, ""};
    for (size_t i = 0; i < row.fields.size(); ++i) {
      group_->first.push_back(std::string(absl::StripAsciiWhitespace(row.fields[i].value)));
    }
    const std::string type = absl::AsciiStrToUpper(Cell(row, "Type"));
    group_->credit = credit_file_ || absl::StrContains(type, "CREDIT");
    const int currency_col = columns_.Find("Currency");
    group_->currency = std::string(Cell(row, currency_col));
    if (group_->currency.empty()) group_->currency = options_.default_currency;
    if (group_->currency.empty()) {
      Issue(row, currency_col, "MISSING_CURRENCY",
            "the Currency column is empty; give --currency=<ISO 4217 code> for such rows");
      group_->bad = true;
    } else if (!domain::IsKnownCurrency(absl::AsciiStrToUpper(group_->currency))) {
      Issue(row, currency_col, "UNKNOWN_CURRENCY",
            absl::StrCat("\"", group_->currency, "\" is not an ISO 4217 code"));
      group_->bad = true;
    }
    group_->currency = absl::AsciiStrToUpper(group_->currency);
  }

  void AddLine(const CsvRecord& row) {
    Group& g = *group_;
    if (g.bad) return;
    if (!g.lines.empty()) {
      // Invoice-level cells repeat on every line row and must agree.
      for (int index : {contact_, date_, due_, columns_.Find("Currency")}) {
        if (index < 0) continue;
        const absl::string_view v = Cell(row, index);
        if (!v.empty() && v != First(index)) {
          Issue(row, index, "INCONSISTENT_INVOICE_ROWS",
                absl::StrCat("\"", v, "\" differs from \"", First(index), "\" on line ",
                             g.where.line, ", the first row of ", g.number));
          g.bad = true;
          return;
        }
      }
    }
    Line line;
    line.description = std::string(Cell(row, "Description"));
    if (line.description.empty()) line.description = std::string(Cell(row, "InventoryItemCode"));
    auto qty = ParseQuantityMilli(Cell(row, quantity_), amounts_.format);
    if (!qty.ok()) return Fail(row, quantity_, qty.status());
    line.quantity_milli = *qty;
    // Xero keeps unit prices to 4 decimals.
    auto unit = ParseScaled(Cell(row, unit_), 4, amounts_.format);
    if (!unit.ok()) return Fail(row, unit_, unit.status());
    line.unit_e4 = *unit;
    const int discount_col = columns_.Find("Discount");
    if (!Cell(row, discount_col).empty()) {
      auto d = ParseScaled(absl::StripSuffix(Cell(row, discount_col), "%"), 4, amounts_.format);
      if (!d.ok()) return Fail(row, discount_col, d.status());
      if (*d < 0 || *d > 100 * 10000) {
        return Fail(row, discount_col,
                    domain::InvalidInput("INVALID_DISCOUNT", "discount", "a percentage 0..100"));
      }
      line.discount_e4 = *d;
    }
    const int tax_col = columns_.Find("TaxAmount");
    if (!Cell(row, tax_col).empty()) {
      auto t = ParseAmount(Cell(row, tax_col), g.currency, amounts_);
      if (!t.ok()) return Fail(row, tax_col, t.status());
      line.tax = *t;
    }
    line.where = At(row, unit_);
    g.lines.push_back(std::move(line));
  }

  void Fail(const CsvRecord& row, int index, const absl::Status& status) {
    IssueFrom(row, index, status);
    group_->bad = true;
  }

  void Flush() {
    if (!group_) return;
    if (!group_->bad && !group_->lines.empty()) Emit();
    group_.reset();
  }

  void GroupIssue(int index, absl::string_view reason, absl::string_view description) {
    Location where = group_->where;
    on_issue_(
        ParseIssue{where, columns_.Spelling(index), std::string(reason), std::string(description)});
  }

  std::optional<absl::CivilDay> GroupDate(int index) {
    auto d = ParseNumericDate(First(index), options_.date_order);
    if (!d.ok()) {
      on_issue_(IssueFromStatus(d.status(), group_->where, columns_.Spelling(index)));
      return std::nullopt;
    }
    return *d;
  }

  void Emit() {
    const Group& g = *group_;
    const std::string& cur = g.currency;
    const int exp = *domain::CurrencyExponent(cur);
    auto issue = GroupDate(date_);
    if (!issue) return;
    std::optional<absl::CivilDay> due;
    if (!g.credit) {
      due = GroupDate(due_);
      if (!due) return;
    }
    // Line amount = Quantity x UnitAmount x (1 - Discount%), rounded to the
    // currency like Xero does on each line. A line that needs rounding is
    // accepted when the file's Total confirms the rounded sum (Xero made the
    // same rounding) or with --round; otherwise TOO_MANY_DECIMALS, so that
    // "100.50" JPY never silently becomes 101.
    AmountTotal total(cur, amounts_, "invoice total"), tax_total(cur, amounts_, "tax total");
    bool rounded = false;
    std::vector<v1::InvoiceLine> lines;
    for (size_t i = 0; i < g.lines.size(); ++i) {
      const Line& l = g.lines[i];
      const Location& where = l.where;
      absl::StatusOr<LineAmount> gross = LineGross(l, exp);
      absl::Status st = gross.status();
      int64_t net = 0;
      if (st.ok()) {
        rounded = rounded || gross->rounded;
        absl::StatusOr<int64_t> n = xero_.amounts_include_tax
                                        ? CheckedAdd(gross->minor, -l.tax, "line amount")
                                        : absl::StatusOr<int64_t>(gross->minor);
        st = n.status();
        if (st.ok()) net = *n;
      }
      if (st.ok()) st = CheckCeiling(net, cur, amounts_, "line amount");
      if (st.ok()) st = total.Add(net);
      if (st.ok()) st = total.Add(l.tax);
      if (st.ok()) st = tax_total.Add(l.tax);
      if (!st.ok()) {
        on_issue_(IssueFromStatus(st, where, columns_.Spelling(unit_)));
        return;
      }
      v1::InvoiceLine line;
      line.set_line_id(absl::StrCat(i + 1));
      line.set_description(l.description);
      line.set_quantity_milli(l.quantity_milli);
      // The unit price when the currency can state it (exactly, or rounded
      // with --round); otherwise quantity and amount only.
      if (auto unit = ScaledProduct(l.unit_e4, Pow10Int(exp), 10000, amounts_.round); unit.ok()) {
        *line.mutable_unit_price() = ToProtoMoney(*unit, cur);
      }
      *line.mutable_amount() = ToProtoMoney(net, cur);
      if (l.tax != 0) *line.mutable_tax() = ToProtoMoney(l.tax, cur);
      lines.push_back(std::move(line));
    }
    const int total_col = columns_.Find("Total");
    if (!First(total_col).empty()) {
      auto given = ParseAmount(First(total_col), cur, amounts_);
      if (!given.ok()) {
        on_issue_(IssueFromStatus(given.status(), g.where, columns_.Spelling(total_col)));
        return;
      }
      if (*given != total.value()) {
        return GroupIssue(total_col, "TOTAL_MISMATCH",
                          absl::StrCat("Total ", First(total_col), " differs from the lines, ",
                                       domain::FormatDecimal(total.value(), cur)));
      }
    } else if (rounded && !amounts_.round) {
      return GroupIssue(unit_, "TOO_MANY_DECIMALS",
                        absl::StrCat("a line of ", g.number,
                                     " (Quantity x UnitAmount) has more "
                                     "decimals than ",
                                     cur,
                                     " allows and no Total confirms "
                                     "its rounding (give --round to round half away from zero)"));
    }
    EmitCustomer();
    ParsedRecord out = NewRecord(g.where);
    out.record.set_customer_ref(std::string(First(contact_)));
    if (g.credit) {
      v1::CreditNote* cn = out.record.mutable_credit_note();
      cn->mutable_external_ref()->set_source_system(source_);
      cn->mutable_external_ref()->set_id(g.number);
      cn->set_number(g.number);
      *cn->mutable_issue_date() = ToProtoDate(*issue);
      *cn->mutable_amount() = ToProtoMoney(total.value(), cur);
      const std::string reference(First(columns_.Find("Reference")));
      std::string reason;
      const std::string invoice = InvoiceNumberFromCreditText(reference, &reason);
      cn->set_invoice_number(invoice);
      cn->set_reason(!invoice.empty()     ? reason
                     : !reference.empty() ? reference
                                          : lines.front().description());
    } else {
      v1::Invoice* inv = out.record.mutable_invoice();
      inv->mutable_external_ref()->set_source_system(source_);
      inv->mutable_external_ref()->set_id(g.number);
      inv->set_number(g.number);
      *inv->mutable_issue_date() = ToProtoDate(*issue);
      *inv->mutable_due_date() = ToProtoDate(*due);
      inv->set_currency_code(cur);
      *inv->mutable_total() = ToProtoMoney(total.value(), cur);
      if (tax_total.value() != 0) *inv->mutable_tax() = ToProtoMoney(tax_total.value(), cur);
      for (auto& l : lines) *inv->add_lines() = std::move(l);
    }
    std::optional<ParsedRecord> paid;
    if (!g.credit && !BuildPaid(*issue, total.value(), &paid)) return;
    on_record_(std::move(out));
    if (paid) on_record_(std::move(*paid));
  }

  // Xero's export states how much of an invoice is paid (InvoiceAmountPaid)
  // but not when: the amount becomes one payment allocated to the invoice,
  // dated the invoice date, with id "paid:<number>" so that a later export
  // updates it. false (with an issue) when the figure is unusable.
  bool BuildPaid(absl::CivilDay issue, int64_t total, std::optional<ParsedRecord>* out) {
    const Group& g = *group_;
    const int col = columns_.Find("InvoiceAmountPaid");
    if (First(col).empty()) return true;
    auto paid = ParseAmount(First(col), g.currency, amounts_);
    if (!paid.ok()) {
      on_issue_(IssueFromStatus(paid.status(), g.where, columns_.Spelling(col)));
      return false;
    }
    if (*paid < 0 || *paid > total) {
      GroupIssue(col, "INVALID_AMOUNT",
                 absl::StrCat("InvoiceAmountPaid ", First(col), " is not between 0 and the total"));
      return false;
    }
    if (*paid == 0) return true;
    out->emplace(NewRecord(g.where));
    (*out)->record.set_customer_ref(std::string(First(contact_)));
    v1::Payment* p = (*out)->record.mutable_payment();
    p->mutable_external_ref()->set_source_system(source_);
    p->mutable_external_ref()->set_id(absl::StrCat("paid:", g.number));
    *p->mutable_amount() = ToProtoMoney(*paid, g.currency);
    *p->mutable_received_date() = ToProtoDate(issue);
    p->set_method(v1::Payment::OTHER);
    p->set_remittance_text("Xero InvoiceAmountPaid (the export has no payment date)");
    auto* a = p->add_allocations();
    a->set_invoice_number(g.number);
    *a->mutable_amount() = ToProtoMoney(*paid, g.currency);
    return true;
  }

  void EmitCustomer() {
    const std::string name(First(contact_));
    if (!seen_contacts_.insert(Fingerprint(name)).second) return;
    ParsedRecord out = NewRecord(group_->where);
    v1::Customer* c = out.record.mutable_customer();
    c->mutable_external_ref()->set_source_system(source_);
    c->mutable_external_ref()->set_id(name);
    c->set_display_name(name);
    c->set_kind(options_.default_customer_kind);
    v1::Contact contact;
    contact.set_name(name);
    contact.set_primary(true);
    const std::string email(First(columns_.Find("EmailAddress")));
    if (!email.empty()) {
      auto* ch = contact.add_channels();
      ch->set_type(v1::ContactChannel::EMAIL);
      ch->set_address(email);
    }
    std::vector<std::string> address;
    for (absl::string_view col :
         {"POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4", "POCity",
          "PORegion", "POPostalCode", "POCountry"}) {
      const absl::string_view v = First(columns_.Find(col));
      if (!v.empty()) address.push_back(std::string(v));
    }
    if (!address.empty()) {
      auto* ch = contact.add_channels();
      ch->set_type(v1::ContactChannel::POSTAL);
      ch->set_address(absl::StrJoin(address, "\n"));
    }
    if (contact.channels_size() > 0) *c->add_contacts() = std::move(contact);
    const absl::string_view country = First(columns_.Find("POCountry"));
    if (country.size() == 2 && absl::ascii_isupper(country[0]) && absl::ascii_isupper(country[1])) {
      c->set_country_code(std::string(country));
    }
    on_record_(std::move(out));
  }

  const ParseOptions& options_;
  const AmountRules amounts_ = LocaleRules(options_.amounts, kPointDecimalGrouped);
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  XeroParseOptions xero_;
  std::string source_;
  ColumnMap columns_;
  bool credit_file_ = false;
  int number_ = -1, date_ = -1, due_ = -1, contact_ = -1, quantity_ = -1, unit_ = -1;
  std::optional<Group> group_;
  absl::flat_hash_set<uint64_t> seen_numbers_;
  absl::flat_hash_set<uint64_t> seen_contacts_;
};

}  // namespace

absl::Status ParseXeroInvoices(std::istream& in, const ParseOptions& options,
                               const RecordSink& on_record, const IssueSink& on_issue,
                               const XeroParseOptions& xero) {
  XeroParser parser(options, on_record, on_issue, xero);
  return parser.Run(in);
}

}  // namespace collections::connectors
