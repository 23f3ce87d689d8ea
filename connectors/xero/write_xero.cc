#include "connectors/xero/write_xero.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "connectors/common/csv.h"
#include "connectors/common/values.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

// Xero's sales invoice import template, in order.
const std::vector<std::string> kInvoiceColumns = {
    "*ContactName",      "EmailAddress",    "POAddressLine1", "POAddressLine2", "POAddressLine3",
    "POAddressLine4",    "POCity",          "PORegion",       "POPostalCode",   "POCountry",
    "*InvoiceNumber",    "Reference",       "*InvoiceDate",   "*DueDate",       "Total",
    "InventoryItemCode", "*Description",    "*Quantity",      "*UnitAmount",    "Discount",
    "*AccountCode",      "*TaxType",        "TaxAmount",      "TrackingName1",  "TrackingOption1",
    "TrackingName2",     "TrackingOption2", "Currency",       "BrandingTheme"};
// The credit note template: the same without a due date, numbered and dated
// as a credit note.
const std::vector<std::string> kCreditColumns = {
    "*ContactName",      "EmailAddress", "POAddressLine1",  "POAddressLine2",  "POAddressLine3",
    "POAddressLine4",    "POCity",       "PORegion",        "POPostalCode",    "POCountry",
    "*CreditNoteNumber", "Reference",    "*CreditNoteDate", "Total",           "InventoryItemCode",
    "*Description",      "*Quantity",    "*UnitAmount",     "Discount",        "*AccountCode",
    "*TaxType",          "TaxAmount",    "TrackingName1",   "TrackingOption1", "TrackingName2",
    "TrackingOption2",   "Currency",     "BrandingTheme"};

class RowBuilder {
 public:
  explicit RowBuilder(const std::vector<std::string>& columns)
      : columns_(columns), values_(columns.size()) {}
  RowBuilder& Set(absl::string_view column, std::string value) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (ColumnMap::Normalize(columns_[i]) == ColumnMap::Normalize(column)) {
        values_[i] = std::move(value);
      }
    }
    return *this;
  }
  const std::vector<std::string>& values() const { return values_; }

 private:
  const std::vector<std::string>& columns_;
  std::vector<std::string> values_;
};

absl::Status Bad(absl::string_view reason, absl::string_view field, absl::string_view what) {
  return domain::InvalidInput(reason, field, what);
}

}  // namespace

XeroWriter::XeroWriter(std::ostream& out, XeroDocument kind, XeroWriteOptions options)
    : out_(out), kind_(kind), options_(std::move(options)) {}

std::string XeroWriter::Date(const v1::Date& d) const {
  return options_.date_order == DateOrder::kDayMonthYear
             ? absl::StrFormat("%02d/%02d/%04d", d.day(), d.month(), d.year())
             : absl::StrFormat("%02d/%02d/%04d", d.month(), d.day(), d.year());
}

absl::Status XeroWriter::Write(const v1::SyncRecord& record) {
  if (record.customer_ref().empty()) {
    return Bad("MISSING_CUSTOMER", "customer_ref", "the Xero contact name is required");
  }
  if (kind_ == XeroDocument::kInvoices && record.has_invoice()) {
    return WriteInvoice(record.invoice(), record.customer_ref());
  }
  if (kind_ == XeroDocument::kCreditNotes && record.has_credit_note()) {
    return WriteCredit(record.credit_note(), record.customer_ref());
  }
  return Bad("UNSUPPORTED_RECORD", "record",
             kind_ == XeroDocument::kInvoices
                 ? "this file takes invoices; write credit notes to a credit note file"
                 : "this file takes credit notes; write invoices to an invoice file");
}

absl::Status XeroWriter::WriteInvoice(const v1::Invoice& inv, const std::string& contact) {
  const std::string& cur = inv.currency_code();
  if (!domain::IsKnownCurrency(cur)) return Bad("UNKNOWN_CURRENCY", "invoice.currency_code", cur);
  if (inv.number().empty()) return Bad("MISSING_FIELD", "invoice.number", "required");
  RETURN_IF_ERROR(FromProtoDate(inv.issue_date()).status());
  RETURN_IF_ERROR(FromProtoDate(inv.due_date()).status());
  const int64_t total = inv.total().minor_units();
  const int64_t tax = inv.tax().minor_units();
  if (total <= 0) return Bad("INVALID_AMOUNT", "invoice.total", "must be positive");

  struct Row {
    std::string description;
    int64_t quantity_milli;
    int64_t unit;
    int64_t tax;
  };
  std::vector<Row> rows;
  int64_t line_tax = 0, sum = 0;
  for (const auto& l : inv.lines()) {
    const int64_t amount = l.amount().minor_units();
    Row r{l.description(), l.quantity_milli(), l.unit_price().minor_units(), l.tax().minor_units()};
    // Xero recomputes Quantity x UnitAmount: keep the pair only when exact.
    if (r.quantity_milli == 0 ||
        static_cast<__int128>(r.quantity_milli) * r.unit != static_cast<__int128>(amount) * 1000) {
      r.quantity_milli = 1000;
      r.unit = amount;
    }
    line_tax += r.tax;
    sum += amount + r.tax;
    rows.push_back(std::move(r));
  }
  if (rows.empty()) {
    rows.push_back(Row{"Fee", 1000, total - tax, 0});
    sum = total - tax;
  }
  // Invoice-level tax that the lines do not carry goes on the last line.
  rows.back().tax += tax - line_tax;
  sum += tax - line_tax;
  if (sum != total) {
    return Bad("INVOICE_UNBALANCED", "invoice.lines",
               absl::StrCat("lines and tax add up to ", domain::FormatDecimal(sum, cur),
                            ", not the total ", domain::FormatDecimal(total, cur)));
  }
  std::string text;
  if (!header_written_) {
    AppendCsvRecord(kInvoiceColumns, ',', options_.line_end, &text);
    header_written_ = true;
  }
  for (const Row& r : rows) {
    RowBuilder b(kInvoiceColumns);
    b.Set("ContactName", contact)
        .Set("InvoiceNumber", inv.number())
        .Set("Reference", inv.payment_reference())
        .Set("InvoiceDate", Date(inv.issue_date()))
        .Set("DueDate", Date(inv.due_date()))
        .Set("Description", r.description.empty() ? "Fee" : r.description)
        .Set("Quantity", FormatQuantityMilli(r.quantity_milli))
        .Set("UnitAmount", domain::FormatDecimal(r.unit, cur))
        .Set("AccountCode", options_.account_code)
        .Set("TaxType", options_.tax_type)
        .Set("TaxAmount", r.tax != 0 ? domain::FormatDecimal(r.tax, cur) : "")
        .Set("Currency", cur)
        .Set("BrandingTheme", options_.branding_theme);
    AppendCsvRecord(b.values(), ',', options_.line_end, &text);
  }
  out_ << text;
  return absl::OkStatus();
}

absl::Status XeroWriter::WriteCredit(const v1::CreditNote& cn, const std::string& contact) {
  const std::string& cur = cn.amount().currency_code();
  if (!domain::IsKnownCurrency(cur)) return Bad("UNKNOWN_CURRENCY", "credit_note.amount", cur);
  if (cn.number().empty()) return Bad("MISSING_FIELD", "credit_note.number", "required");
  RETURN_IF_ERROR(FromProtoDate(cn.issue_date()).status());
  if (cn.amount().minor_units() <= 0) {
    return Bad("INVALID_AMOUNT", "credit_note.amount", "must be positive");
  }
  std::string text;
  if (!header_written_) {
    AppendCsvRecord(kCreditColumns, ',', options_.line_end, &text);
    header_written_ = true;
  }
  RowBuilder b(kCreditColumns);
  b.Set("ContactName", contact)
      .Set("CreditNoteNumber", cn.number())
      .Set("Reference", cn.invoice_number().empty()
                            ? cn.reason()
                            : CreditReferenceText(cn.invoice_number(), cn.reason()))
      .Set("CreditNoteDate", Date(cn.issue_date()))
      .Set("Description", cn.reason().empty() ? "Credit note" : cn.reason())
      .Set("Quantity", "1")
      .Set("UnitAmount", domain::FormatDecimal(cn.amount().minor_units(), cur))
      .Set("AccountCode", options_.account_code)
      .Set("TaxType", options_.tax_type)
      .Set("Currency", cur)
      .Set("BrandingTheme", options_.branding_theme);
  AppendCsvRecord(b.values(), ',', options_.line_end, &text);
  out_ << text;
  return absl::OkStatus();
}

}  // namespace collections::connectors
