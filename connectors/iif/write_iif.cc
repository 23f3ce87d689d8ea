#include "connectors/iif/write_iif.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "connectors/common/csv.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

// Column sets; the parser maps by name, QuickBooks too.
const std::vector<std::string> kTrnsColumns = {"TRNSID", "TRNSTYPE", "DATE",    "ACCNT",
                                               "NAME",   "AMOUNT",   "DOCNUM",  "MEMO",
                                               "CLEAR",  "TOPRINT",  "DUEDATE", "TERMS"};
const std::vector<std::string> kSplColumns = {"SPLID",  "TRNSTYPE", "DATE", "ACCNT", "NAME",
                                              "AMOUNT", "DOCNUM",   "MEMO", "CLEAR", "QNTY",
                                              "PRICE",  "INVITEM",  "EXTRA"};

std::string Field(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\t' || c == '\r' || c == '\n') {
      out.push_back(' ');
    } else if (c == ';') {
      out.push_back(',');
    } else if (c == '"') {
      out.push_back('\'');
    } else {
      out.push_back(c);
    }
  }
  if (out.find(',') != std::string::npos) out = absl::StrCat("\"", out, "\"");
  return out;
}

// QuickBooks' TERMS column names an entry of the terms list (at most 31
// characters), not a sentence: the standard name for the days to due.
std::string TermsName(absl::CivilDay issue, absl::CivilDay due) {
  const int64_t days = due - issue;
  return days <= 0 ? "Due on receipt" : absl::StrCat("Net ", days);
}

std::string IifDate(absl::CivilDay d) {
  return absl::StrFormat("%02d/%02d/%04d", d.month(), d.day(), static_cast<int>(d.year()));
}

struct Cells {
  const std::vector<std::string>& columns;
  std::vector<std::string> values;
  explicit Cells(const std::vector<std::string>& cols) : columns(cols), values(cols.size()) {}
  Cells& Set(absl::string_view column, absl::string_view value) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == column) values[i] = Field(value);
    }
    return *this;
  }
};

void AppendRow(absl::string_view key, const Cells& cells, absl::string_view eol, std::string* out) {
  absl::StrAppend(out, key);
  for (const std::string& v : cells.values) absl::StrAppend(out, "\t", v);
  absl::StrAppend(out, eol);
}

absl::Status Bad(absl::string_view reason, absl::string_view field, absl::string_view what) {
  return domain::InvalidInput(reason, field, what);
}

}  // namespace

IifWriter::IifWriter(std::ostream& out, IifWriteOptions options)
    : out_(out), options_(std::move(options)) {}

void IifWriter::Emit(const std::string& text) {
  if (!header_written_) Header();
  out_ << (options_.windows1252 ? Utf8ToWindows1252(text) : text);
}

void IifWriter::Header() {
  header_written_ = true;
  std::string h = "!TRNS";
  for (const auto& c : kTrnsColumns) absl::StrAppend(&h, "\t", c);
  absl::StrAppend(&h, options_.line_end, "!SPL");
  for (const auto& c : kSplColumns) absl::StrAppend(&h, "\t", c);
  absl::StrAppend(&h, options_.line_end, "!ENDTRNS", options_.line_end);
  out_ << h;
}

absl::Status IifWriter::Write(const v1::SyncRecord& record) {
  switch (record.record_case()) {
    case v1::SyncRecord::kInvoice:
      return WriteInvoice(record.invoice(), record.customer_ref());
    case v1::SyncRecord::kCreditNote:
      return WriteCreditMemo(record.credit_note(), record.customer_ref());
    default:
      return Bad("UNSUPPORTED_RECORD", "record",
                 "IIF export writes invoices, credit memos and write-offs only");
  }
}

absl::Status IifWriter::WriteInvoice(const v1::Invoice& inv, absl::string_view customer) {
  const std::string& cur = inv.currency_code();
  if (!domain::IsKnownCurrency(cur)) return Bad("UNKNOWN_CURRENCY", "invoice.currency_code", cur);
  if (customer.empty()) return Bad("MISSING_CUSTOMER", "customer_ref", "required");
  if (inv.number().empty()) return Bad("MISSING_FIELD", "invoice.number", "required");
  ASSIGN_OR_RETURN(absl::CivilDay issue, FromProtoDate(inv.issue_date()));
  ASSIGN_OR_RETURN(absl::CivilDay due, FromProtoDate(inv.due_date()));
  const int64_t total = inv.total().minor_units();
  const int64_t tax = inv.tax().minor_units();
  if (total <= 0) return Bad("INVALID_AMOUNT", "invoice.total", "must be positive");
  if (tax < 0) return Bad("INVALID_AMOUNT", "invoice.tax", "must not be negative");
  int64_t lines = 0;
  for (const auto& l : inv.lines()) lines += l.amount().minor_units();
  if (inv.lines_size() > 0 && lines + tax != total) {
    return Bad("INVOICE_UNBALANCED", "invoice.lines",
               absl::StrCat("lines ", domain::FormatDecimal(lines, cur), " + tax ",
                            domain::FormatDecimal(tax, cur), " != total ",
                            domain::FormatDecimal(total, cur)));
  }
  std::string text;
  const std::string& eol = options_.line_end;
  Cells t(kTrnsColumns);
  t.Set("TRNSTYPE", "INVOICE")
      .Set("DATE", IifDate(issue))
      .Set("ACCNT", options_.receivable_account)
      .Set("NAME", customer)
      .Set("AMOUNT", domain::FormatDecimal(total, cur))
      .Set("DOCNUM", inv.number())
      .Set("CLEAR", "N")
      .Set("TOPRINT", "N")
      .Set("DUEDATE", IifDate(due))
      .Set("TERMS", TermsName(issue, due));
  AppendRow("TRNS", t, eol, &text);
  auto spl = [&](absl::string_view accnt, absl::string_view name, int64_t amount,
                 absl::string_view memo) {
    Cells s(kSplColumns);
    s.Set("TRNSTYPE", "INVOICE")
        .Set("DATE", IifDate(issue))
        .Set("ACCNT", accnt)
        .Set("NAME", name)
        .Set("AMOUNT", domain::FormatDecimal(amount, cur))
        .Set("DOCNUM", inv.number())
        .Set("MEMO", memo)
        .Set("CLEAR", "N");
    return s;
  };
  if (inv.lines_size() == 0) {
    Cells s = spl(options_.fee_income_account, "", -(total - tax), "Fee");
    s.Set("INVITEM", options_.fee_item);
    AppendRow("SPL", s, eol, &text);
  }
  for (const auto& l : inv.lines()) {
    Cells s = spl(options_.fee_income_account, "", -l.amount().minor_units(), l.description());
    s.Set("INVITEM", options_.fee_item);
    if (l.quantity_milli() != 0) s.Set("QNTY", FormatQuantityMilli(-l.quantity_milli()));
    if (l.has_unit_price())
      s.Set("PRICE", domain::FormatDecimal(l.unit_price().minor_units(), cur));
    AppendRow("SPL", s, eol, &text);
  }
  if (tax > 0) {
    Cells s = spl(options_.sales_tax_account, options_.sales_tax_agency, -tax, "Sales Tax");
    s.Set("EXTRA", "AUTOSTAX");
    AppendRow("SPL", s, eol, &text);
  }
  absl::StrAppend(&text, "ENDTRNS", eol);
  Emit(text);
  return absl::OkStatus();
}

absl::Status IifWriter::WriteCreditMemo(const v1::CreditNote& cn, absl::string_view customer) {
  const std::string& cur = cn.amount().currency_code();
  if (!domain::IsKnownCurrency(cur)) return Bad("UNKNOWN_CURRENCY", "credit_note.amount", cur);
  if (customer.empty()) return Bad("MISSING_CUSTOMER", "customer_ref", "required");
  if (cn.number().empty()) return Bad("MISSING_FIELD", "credit_note.number", "required");
  ASSIGN_OR_RETURN(absl::CivilDay issue, FromProtoDate(cn.issue_date()));
  const int64_t amount = cn.amount().minor_units();
  if (amount <= 0) return Bad("INVALID_AMOUNT", "credit_note.amount", "must be positive");
  std::string memo = cn.reason();
  if (!cn.invoice_number().empty()) {
    memo = CreditReferenceText(cn.invoice_number(), cn.reason());
  }
  std::string text;
  const std::string& eol = options_.line_end;
  Cells t(kTrnsColumns);
  t.Set("TRNSTYPE", "CREDIT MEMO")
      .Set("DATE", IifDate(issue))
      .Set("ACCNT", options_.receivable_account)
      .Set("NAME", customer)
      .Set("AMOUNT", domain::FormatDecimal(-amount, cur))
      .Set("DOCNUM", cn.number())
      .Set("MEMO", memo)
      .Set("CLEAR", "N")
      .Set("TOPRINT", "N");
  AppendRow("TRNS", t, eol, &text);
  Cells s(kSplColumns);
  s.Set("TRNSTYPE", "CREDIT MEMO")
      .Set("DATE", IifDate(issue))
      .Set("ACCNT", options_.credit_account)
      .Set("AMOUNT", domain::FormatDecimal(amount, cur))
      .Set("DOCNUM", cn.number())
      .Set("MEMO", cn.reason())
      .Set("CLEAR", "N");
  AppendRow("SPL", s, eol, &text);
  absl::StrAppend(&text, "ENDTRNS", eol);
  Emit(text);
  return absl::OkStatus();
}

absl::Status IifWriter::WriteWriteOff(const IifWriteOff& w) {
  const std::string& cur = w.amount.currency;
  if (!domain::IsKnownCurrency(cur)) return Bad("UNKNOWN_CURRENCY", "write_off.amount", cur);
  if (w.customer.empty()) return Bad("MISSING_CUSTOMER", "write_off.customer", "required");
  if (w.amount.minor <= 0) return Bad("INVALID_AMOUNT", "write_off.amount", "must be positive");
  std::string memo = w.memo;
  if (!w.invoice_number.empty()) {
    memo = absl::StrCat("Write-off of invoice #", w.invoice_number, w.memo.empty() ? "" : ": ",
                        w.memo);
  }
  std::string text;
  const std::string& eol = options_.line_end;
  Cells t(kTrnsColumns);
  t.Set("TRNSTYPE", "GENERAL JOURNAL")
      .Set("DATE", IifDate(w.date))
      .Set("ACCNT", options_.write_off_account)
      .Set("NAME", w.customer)
      .Set("AMOUNT", domain::FormatDecimal(w.amount.minor, cur))
      .Set("DOCNUM", w.number)
      .Set("MEMO", memo)
      .Set("CLEAR", "N");
  AppendRow("TRNS", t, eol, &text);
  Cells s(kSplColumns);
  s.Set("TRNSTYPE", "GENERAL JOURNAL")
      .Set("DATE", IifDate(w.date))
      .Set("ACCNT", options_.receivable_account)
      .Set("NAME", w.customer)
      .Set("AMOUNT", domain::FormatDecimal(-w.amount.minor, cur))
      .Set("DOCNUM", w.number)
      .Set("MEMO", memo)
      .Set("CLEAR", "N");
  AppendRow("SPL", s, eol, &text);
  absl::StrAppend(&text, "ENDTRNS", eol);
  Emit(text);
  return absl::OkStatus();
}

}  // namespace collections::connectors
