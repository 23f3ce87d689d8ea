#include "connectors/gnucash/write_gnucash.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "connectors/common/csv.h"
#include "service/domain/dates.h"
#include "service/domain/errors.h"
#include "service/domain/money.h"

namespace collections::connectors {
namespace {

absl::Status Validate(absl::Span<const CollectionEntry> entries, bool invoices_only) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const CollectionEntry& e = entries[i];
    std::string field = absl::StrCat("entries[", i, "]");
    if (invoices_only && e.kind == CollectionEntry::Kind::kWriteOff) {
      return domain::InvalidInput("UNSUPPORTED_ENTRY", field,
                                  "a write-off is not an invoice; use the transaction CSV");
    }
    if (e.id.empty()) return domain::InvalidInput("MISSING_FIELD", field + ".id", "required");
    if (e.customer.empty()) {
      return domain::InvalidInput("MISSING_FIELD", field + ".customer", "required");
    }
    if (e.amount.minor <= 0 || !domain::IsKnownCurrency(e.amount.currency)) {
      return domain::InvalidInput("INVALID_AMOUNT", field + ".amount",
                                  "a positive amount in a known currency is required");
    }
  }
  return absl::OkStatus();
}

std::string Description(const CollectionEntry& e) {
  if (!e.description.empty()) return e.description;
  const char* what = e.kind == CollectionEntry::Kind::kFee        ? "Late fee"
                     : e.kind == CollectionEntry::Kind::kInterest ? "Late payment interest"
                                                                  : "Write-off";
  return e.invoice_number.empty() ? what : absl::StrCat(what, " for invoice ", e.invoice_number);
}

}  // namespace

absl::Status WriteGnuCashInvoiceCsv(std::ostream& out, absl::Span<const CollectionEntry> entries,
                                    const GnuCashWriteOptions& options) {
  if (absl::Status s = Validate(entries, /*invoices_only=*/true); !s.ok()) return s;
  std::string text;
  for (const CollectionEntry& e : entries) {
    std::string date = domain::FormatIsoDay(e.date);
    std::string due = domain::FormatIsoDay(std::max(e.due_date.value_or(e.date), e.date));
    const std::string& income = e.kind == CollectionEntry::Kind::kInterest
                                    ? options.interest_income_account
                                    : options.fee_income_account;
    std::vector<std::string> fields = {
        e.id,                                      // id
        date,                                      // date_opened
        e.customer,                                // owner_id
        e.invoice_number,                          // billingid: the invoice chased
        absl::StrCat("collections entry ", e.id),  // notes
        date,                                      // date
        Description(e),                            // desc
        "",                                        // action
        income,                                    // account
        "1",                                       // quantity
        domain::FormatDecimal(e.amount.minor, e.amount.currency),  // price
        "", "", "",                                // disc_type, disc_how, discount
        "N", "N", "",                              // taxable, taxincluded, tax_table
        options.post_invoices ? date : "",         // date_posted
        options.post_invoices ? due : "",          // due_date
        options.post_invoices ? options.receivable_account : "",  // account_posted
        options.post_invoices ? Description(e) : "",              // memo_posted
        "N",                                       // accu_splits
    };
    AppendCsvRecord(fields, options.separator, "\n", &text);
  }
  out << text;
  return out.good() ? absl::OkStatus() : absl::DataLossError("write failed");
}

absl::Status WriteGnuCashTransactionCsv(std::ostream& out,
                                        absl::Span<const CollectionEntry> entries,
                                        const GnuCashWriteOptions& options) {
  if (absl::Status s = Validate(entries, /*invoices_only=*/false); !s.ok()) return s;
  std::string text;
  AppendCsvRecord({"Date", "Transaction ID", "Number", "Description", "Notes",
                   "Commodity/Currency", "Void Reason", "Action", "Memo", "Full Account Name",
                   "Account Name", "Amount With Sym", "Amount Num.", "Value With Sym",
                   "Value Num.", "Reconcile", "Reconcile Date", "Rate/Price"},
                  ',', "\n", &text);
  for (const CollectionEntry& e : entries) {
    std::string debit_account, credit_account;
    switch (e.kind) {
      case CollectionEntry::Kind::kFee:
        debit_account = options.receivable_account;
        credit_account = options.fee_income_account;
        break;
      case CollectionEntry::Kind::kInterest:
        debit_account = options.receivable_account;
        credit_account = options.interest_income_account;
        break;
      case CollectionEntry::Kind::kWriteOff:
        debit_account = options.write_off_account;
        credit_account = options.receivable_account;
        break;
    }
    std::string amount = domain::FormatDecimal(e.amount.minor, e.amount.currency);
    std::string negative = domain::FormatDecimal(-e.amount.minor, e.amount.currency);
    auto leaf = [](const std::string& full) {
      size_t colon = full.rfind(':');
      return colon == std::string::npos ? full : full.substr(colon + 1);
    };
    std::string memo = absl::StrCat("customer ", e.customer);
    AppendCsvRecord({domain::FormatIsoDay(e.date), e.id, e.invoice_number, Description(e),
                     e.customer_name, absl::StrCat("CURRENCY::", e.amount.currency), "", "", memo,
                     debit_account, leaf(debit_account), "", amount, "", amount, "n", "", "1"},
                    ',', "\n", &text);
    AppendCsvRecord({"", "", "", "", "", "", "", "", memo, credit_account, leaf(credit_account),
                     "", negative, "", negative, "n", "", "1"},
                    ',', "\n", &text);
  }
  out << text;
  return out.good() ? absl::OkStatus() : absl::DataLossError("write failed");
}

}  // namespace collections::connectors
