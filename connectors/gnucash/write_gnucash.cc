#include "connectors/gnucash/write_gnucash.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "connectors/common/csv.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::connectors {

absl::Status WriteGnuCashInvoiceCsv(std::ostream& out, absl::Span<const CollectionEntry> entries,
                                    const GnuCashWriteOptions& options) {
  if (absl::Status s = ValidateEntries(entries, /*invoices_only=*/true); !s.ok()) return s;
  std::string text;
  for (const CollectionEntry& e : entries) {
    std::string date = domain::FormatIsoDay(e.date);
    std::string due = domain::FormatIsoDay(std::max(e.due_date.value_or(e.date), e.date));
    const std::string& income = e.kind == CollectionEntry::Kind::kInterest
                                    ? options.interest_income_account
                                    : options.fee_income_account;
    std::vector<std::string> fields = {
        e.id,                                                      // id
        date,                                                      // date_opened
        e.customer,                                                // owner_id
        e.invoice_number,                                          // billingid: the invoice chased
        absl::StrCat("collections entry ", e.id),                  // notes
        date,                                                      // date
        DescribeEntry(e),                                          // desc
        "",                                                        // action
        income,                                                    // account
        "1",                                                       // quantity
        domain::FormatDecimal(e.amount.minor, e.amount.currency),  // price
        "",
        "",
        "",  // disc_type, disc_how, discount
        "N",
        "N",
        "",                                                       // taxable, taxincluded, tax_table
        options.post_invoices ? date : "",                        // date_posted
        options.post_invoices ? due : "",                         // due_date
        options.post_invoices ? options.receivable_account : "",  // account_posted
        options.post_invoices ? DescribeEntry(e) : "",            // memo_posted
        "N",                                                      // accu_splits
    };
    AppendCsvRecord(fields, options.separator, "\n", &text);
  }
  out << text;
  return out.good() ? absl::OkStatus() : absl::DataLossError("write failed");
}

absl::Status WriteGnuCashTransactionCsv(std::ostream& out,
                                        absl::Span<const CollectionEntry> entries,
                                        const GnuCashWriteOptions& options) {
  if (absl::Status s = ValidateEntries(entries); !s.ok()) return s;
  std::string text;
  AppendCsvRecord(
      {"Date", "Transaction ID", "Number", "Description", "Notes", "Commodity/Currency",
       "Void Reason", "Action", "Memo", "Full Account Name", "Account Name", "Amount With Sym",
       "Amount Num.", "Value With Sym", "Value Num.", "Reconcile", "Reconcile Date", "Rate/Price"},
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
    AppendCsvRecord({domain::FormatIsoDay(e.date), e.id, e.invoice_number, DescribeEntry(e),
                     e.customer_name, absl::StrCat("CURRENCY::", e.amount.currency), "", "", memo,
                     debit_account, leaf(debit_account), "", amount, "", amount, "n", "", "1"},
                    ',', "\n", &text);
    AppendCsvRecord({"", "", "", "", "", "", "", "", memo, credit_account, leaf(credit_account), "",
                     negative, "", negative, "n", "", "1"},
                    ',', "\n", &text);
  }
  out << text;
  return out.good() ? absl::OkStatus() : absl::DataLossError("write failed");
}

}  // namespace collections::connectors
