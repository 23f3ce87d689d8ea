#include "connectors/iif/parse_iif.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "connectors/common/csv.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

constexpr absl::string_view kDefaultSourceSystem = "quickbooks";

// A data row with the header of its keyword.
struct Row {
  int64_t line = 0;
  std::vector<CsvField> fields;
  const ColumnMap* columns = nullptr;

  // Trimmed cell text, "" when the header lacks the column.
  absl::string_view Get(absl::string_view name) const {
    const int i = columns->Find(name);
    if (i < 0 || static_cast<size_t>(i) >= fields.size()) return {};
    return absl::StripAsciiWhitespace(fields[i].value);
  }
  int64_t Column(absl::string_view name) const {
    const int i = columns->Find(name);
    if (i < 0 || static_cast<size_t>(i) >= fields.size()) return 0;
    return fields[i].column;
  }
};

std::string Upper(absl::string_view s) {
  return absl::AsciiStrToUpper(absl::StripAsciiWhitespace(s));
}

// "Customer:Job:Sub-job" -> "Customer".
std::string TopLevelName(absl::string_view name) {
  return std::string(absl::StripAsciiWhitespace(name.substr(0, name.find(':'))));
}

v1::Payment::Method MethodFromPaymeth(absl::string_view paymeth) {
  const std::string m = Upper(paymeth);
  if (m.empty()) return v1::Payment::METHOD_UNSPECIFIED;
  if (absl::StrContains(m, "E-CHECK") || absl::StrContains(m, "ACH") ||
      absl::StrContains(m, "TRANSFER") || absl::StrContains(m, "WIRE")) {
    return v1::Payment::BANK_TRANSFER;
  }
  if (absl::StrContains(m, "CHECK") || absl::StrContains(m, "CHEQUE")) return v1::Payment::CHECK;
  if (absl::StrContains(m, "CASH")) return v1::Payment::CASH;
  for (absl::string_view card :
       {"VISA", "MASTER", "AMERICAN EXPRESS", "AMEX", "DISCOVER", "CARD"}) {
    if (absl::StrContains(m, card)) return v1::Payment::CARD;
  }
  return v1::Payment::OTHER;
}

// QuickBooks' CTYPE is a user-defined list; its stock entries name the
// market ("Residential", "Commercial"). Anything else falls back to
// COMPANYNAME: a company name means a business.
v1::CustomerKind KindOf(const Row& row, v1::CustomerKind fallback) {
  const std::string ctype = Upper(row.Get("CTYPE"));
  for (absl::string_view w : {"RESIDENTIAL", "CONSUMER", "INDIVIDUAL", "PERSONAL", "PRIVATE"}) {
    if (absl::StrContains(ctype, w)) return v1::CUSTOMER_KIND_CONSUMER;
  }
  for (absl::string_view w : {"COMMERCIAL", "BUSINESS", "CORPORATE", "WHOLESALE", "RETAIL"}) {
    if (absl::StrContains(ctype, w)) return v1::CUSTOMER_KIND_BUSINESS;
  }
  if (!row.Get("COMPANYNAME").empty()) return v1::CUSTOMER_KIND_BUSINESS;
  return fallback;
}

class IifParser {
 public:
  IifParser(const ParseOptions& options, const RecordSink& on_record, const IssueSink& on_issue,
            IifTermsTable* terms, const IifParseOptions& iif)
      : options_(options),
        on_record_(on_record),
        on_issue_(on_issue),
        terms_(terms != nullptr ? terms : &own_terms_),
        iif_(iif),
        source_(options.source_system.empty() ? std::string(kDefaultSourceSystem)
                                              : options.source_system) {}

  absl::Status Run(std::istream& in) {
    LineReader lines(in, {.encoding = options_.encoding});
    CsvOptions csv;
    csv.delimiter = '\t';
    csv.multiline_fields = false;  // IIF rows never span lines
    CsvReader reader(lines, csv);
    CsvRecord record;
    while (true) {
      ASSIGN_OR_RETURN(bool got, WithFile(reader.Next(&record)));
      if (!got) break;
      if (record.IsBlank()) continue;
      HandleRow(record);
    }
    if (trns_) {
      Issue(*trns_, "ENDTRNS", "MISSING_ENDTRNS",
            "the file ends inside a transaction (TRNS without ENDTRNS)");
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  absl::StatusOr<T> WithFile(absl::StatusOr<T> v) {
    if (v.ok()) return v;
    return InputError(
        domain::ReasonOf(v.status()).empty() ? "UNREADABLE_INPUT" : domain::ReasonOf(v.status()),
        Location{options_.file_name, 0, 0, ""}, v.status().message());
  }

  Location Where(const Row& row, absl::string_view column = {}) const {
    return Location{options_.file_name, row.line, column.empty() ? 0 : row.Column(column), ""};
  }

  void Issue(const Row& row, absl::string_view column, absl::string_view reason,
             absl::string_view description) {
    on_issue_(ParseIssue{Where(row, column), std::string(column), std::string(reason),
                         std::string(description)});
  }
  void IssueFrom(const Row& row, absl::string_view column, const absl::Status& status) {
    on_issue_(IssueFromStatus(status, Where(row, column), column));
  }

  void HandleRow(const CsvRecord& record) {
    const std::string key = Upper(record.fields[0].value);
    if (absl::StartsWith(key, "!")) {
      const std::string keyword = key.substr(1);
      if (trns_ && (keyword == "TRNS" || keyword == "SPL" || keyword == "ENDTRNS")) {
        // The open transaction's rows were read with the old columns.
        Issue(*trns_, "ENDTRNS", "MISSING_ENDTRNS",
              absl::StrCat("a !", keyword, " header row interrupts this transaction"));
        trns_ = nullptr;
        spl_count_ = 0;
        in_bad_transaction_ = true;
      }
      headers_[keyword].Reset(record, 0);
      return;
    }
    auto header = headers_.find(key);
    if (key != "ENDTRNS" && header == headers_.end()) {
      Row row{record.first_line, record.fields, nullptr};
      if (key == "SPL" && in_bad_transaction_) return;
      if (key == "TRNS" || key == "SPL" || key == "CUST" || key == "TERMS") {
        static const ColumnMap* empty = new ColumnMap;
        row.columns = empty;
        Issue(row, "", "MISSING_HEADER",
              absl::StrCat(key, " row before any !", key, " header row"));
        if (key == "TRNS" || key == "SPL") in_bad_transaction_ = true;
      }
      return;  // other lists (ACCNT, INVITEM, HDR, ...) are not ours
    }
    const ColumnMap* columns = header == headers_.end() ? nullptr : &header->second;
    if (key == "TRNS") {
      if (trns_) {
        Issue(*trns_, "ENDTRNS", "MISSING_ENDTRNS",
              "a TRNS row starts before this transaction's ENDTRNS");
      }
      Fill(record, columns, &trns_row_);
      trns_ = &trns_row_;
      spl_count_ = 0;
      in_bad_transaction_ = false;
    } else if (key == "SPL") {
      if (!trns_) {
        if (!in_bad_transaction_) {
          Row row{record.first_line, record.fields, columns};
          Issue(row, "", "SPL_WITHOUT_TRNS", "SPL row outside a transaction");
        }
        return;
      }
      // Rows keep their storage between transactions: no allocation per row.
      if (spl_count_ == spl_rows_.size()) spl_rows_.emplace_back();
      Fill(record, columns, &spl_rows_[spl_count_++]);
    } else if (key == "ENDTRNS") {
      if (!trns_) {
        if (!in_bad_transaction_) {
          static const ColumnMap* empty = new ColumnMap;
          Row r{record.first_line, {}, empty};
          Issue(r, "", "ENDTRNS_WITHOUT_TRNS", "ENDTRNS row outside a transaction");
        }
        in_bad_transaction_ = false;
        return;
      }
      FinishTransaction();
      trns_ = nullptr;
      spl_count_ = 0;
    } else if (key == "CUST") {
      Fill(record, columns, &list_row_);
      HandleCustomer(list_row_);
    } else if (key == "TERMS") {
      Fill(record, columns, &list_row_);
      HandleTerms(list_row_);
    }
  }

  static void Fill(const CsvRecord& record, const ColumnMap* columns, Row* row) {
    row->line = record.first_line;
    row->fields = record.fields;  // copy-assignment reuses the strings' capacity
    row->columns = columns;
  }

  // ------------------------------------------------------------ conversions

  std::optional<absl::CivilDay> Date(const Row& row, absl::string_view column, bool required) {
    const absl::string_view text = row.Get(column);
    if (text.empty() || text == "0/0/0" || text == "00/00/00") {
      if (required) Issue(row, column, "MISSING_FIELD", absl::StrCat(column, " is empty"));
      return std::nullopt;
    }
    auto d = ParseNumericDate(text, DateOrder::kMonthDayYear);  // IIF: always M/D/Y
    if (!d.ok()) {
      IssueFrom(row, column, d.status());
      return std::nullopt;
    }
    return *d;
  }

  // Amount in minor units; an empty optional cell is `empty_value`.
  std::optional<int64_t> Amount(const Row& row, absl::string_view column,
                                const std::string& currency,
                                std::optional<int64_t> empty_value = std::nullopt) {
    const absl::string_view text = row.Get(column);
    if (text.empty()) {
      if (!empty_value) Issue(row, column, "MISSING_FIELD", absl::StrCat(column, " is empty"));
      return empty_value;
    }
    auto m = ParseAmount(text, currency, amounts_);
    if (!m.ok()) {
      IssueFrom(row, column, m.status());
      return std::nullopt;
    }
    return *m;
  }

  // ------------------------------------------------------------------ lists

  void HandleTerms(const Row& row) {
    IifTerms t;
    t.name = std::string(row.Get("NAME"));
    if (t.name.empty()) return Issue(row, "NAME", "MISSING_FIELD", "terms without NAME");
    struct IntField {
      absl::string_view column;
      int* out;
    } ints[] = {{"STDDUEDAYS", &t.due_days},
                {"DAYOFMONTHDUE", &t.day_of_month_due},
                {"DATEMINDAYS", &t.date_min_days}};
    for (const IntField& f : ints) {
      const absl::string_view text = row.Get(f.column);
      if (text.empty()) continue;
      if (!absl::SimpleAtoi(text, f.out) || *f.out < 0 || *f.out > 3650) {
        return Issue(row, f.column, "INVALID_NUMBER",
                     absl::StrCat("\"", text, "\" is not a number of days"));
      }
    }
    t.date_driven = row.Get("TERMSTYPE") == "1";
    terms_->Add(std::move(t));
  }

  void HandleCustomer(const Row& row) {
    const std::string name(row.Get("NAME"));
    if (name.empty()) return Issue(row, "NAME", "MISSING_FIELD", "customer without NAME");
    if (!iif_.jobs_as_customers && absl::StrContains(name, ':')) return;  // a job
    ParsedRecord out = NewRecord(Where(row));
    v1::Customer* c = out.record.mutable_customer();
    c->mutable_external_ref()->set_source_system(source_);
    c->mutable_external_ref()->set_id(name);
    std::string display(row.Get("COMPANYNAME"));
    if (display.empty()) {
      std::vector<absl::string_view> parts;
      for (absl::string_view col : {"FIRSTNAME", "MIDINIT", "LASTNAME"}) {
        if (!row.Get(col).empty()) parts.push_back(row.Get(col));
      }
      display = absl::StrJoin(parts, " ");
    }
    if (display.empty() || iif_.jobs_as_customers) display = name;
    c->set_display_name(display);
    c->set_kind(KindOf(row, options_.default_customer_kind));

    v1::Contact contact;
    contact.set_name(row.Get("CONT1").empty() ? display : std::string(row.Get("CONT1")));
    contact.set_primary(true);
    auto add_channel = [&](v1::ContactChannel::Type type, absl::string_view address) {
      if (address.empty()) return;
      for (const auto& ch : contact.channels()) {
        if (ch.type() == type && ch.address() == address) return;
      }
      auto* ch = contact.add_channels();
      ch->set_type(type);
      ch->set_address(std::string(address));
    };
    for (absl::string_view email : absl::StrSplit(row.Get("EMAIL"), absl::ByAnyChar(",;"))) {
      add_channel(v1::ContactChannel::EMAIL, absl::StripAsciiWhitespace(email));
    }
    add_channel(v1::ContactChannel::PHONE, row.Get("PHONE1"));
    add_channel(v1::ContactChannel::PHONE, row.Get("PHONE2"));
    std::vector<absl::string_view> address;
    for (absl::string_view col : {"BADDR1", "BADDR2", "BADDR3", "BADDR4", "BADDR5"}) {
      if (!row.Get(col).empty()) address.push_back(row.Get(col));
    }
    add_channel(v1::ContactChannel::POSTAL, absl::StrJoin(address, "\n"));
    if (contact.channels_size() > 0) *c->add_contacts() = std::move(contact);

    const absl::string_view terms = row.Get("TERMS");
    if (!terms.empty()) {
      if (auto t = terms_->Find(terms)) c->set_payment_terms_days(t->NominalDays());
    }
    const absl::string_view limit = row.Get("LIMIT");
    if (!limit.empty() && !options_.default_currency.empty()) {
      auto m = ParseAmount(limit, options_.default_currency, amounts_);
      if (!m.ok()) return IssueFrom(row, "LIMIT", m.status());
      *c->mutable_credit_limit() = ToProtoMoney(*m, options_.default_currency);
    }
    customers_.insert(name);
    on_record_(std::move(out));
  }

  // A transaction's customer that no !CUST row of the file described: a
  // customer with the key as external id and display name, marked implied
  // so that the runtime creates it only when the tenant does not have it
  // (records.h). QuickBooks exports of transactions alone are the norm.
  void ImplyCustomer(const Row& t, const std::string& customer_ref) {
    if (!customers_.insert(customer_ref).second) return;
    ParsedRecord out = NewRecord(Where(t));
    out.implied_customer = true;
    v1::Customer* c = out.record.mutable_customer();
    c->mutable_external_ref()->set_source_system(source_);
    c->mutable_external_ref()->set_id(customer_ref);
    c->set_display_name(customer_ref);
    c->set_kind(options_.default_customer_kind);
    on_record_(std::move(out));
  }

  // ----------------------------------------------------------- transactions

  void FinishTransaction() {
    const Row& t = *trns_;
    const std::string type = Upper(t.Get("TRNSTYPE"));
    // STMT CHG (a statement charge) is a receivable like an INVOICE.
    if (type != "INVOICE" && type != "STMT CHG" && type != "CREDIT MEMO" && type != "PAYMENT") {
      return;
    }
    const std::string& currency = options_.default_currency;
    if (currency.empty()) {
      return Issue(t, "AMOUNT", "MISSING_CURRENCY",
                   "IIF does not state a currency; give --currency=<ISO 4217 code>");
    }
    const std::string customer_name(t.Get("NAME"));
    if (customer_name.empty()) {
      return Issue(t, "NAME", "MISSING_FIELD", absl::StrCat(type, " without a customer NAME"));
    }
    const std::string customer_ref =
        iif_.jobs_as_customers ? customer_name : TopLevelName(customer_name);
    auto date = Date(t, "DATE", true);
    auto total = Amount(t, "AMOUNT", currency);
    if (!date || !total) return;
    std::vector<int64_t> split_amounts;
    int64_t sum = *total;
    for (size_t k = 0; k < spl_count_; ++k) {
      const Row& s = spl_rows_[k];
      auto a = Amount(s, "AMOUNT", currency, int64_t{0});
      if (!a) return;
      split_amounts.push_back(*a);
      if (domain::AddOverflows(sum, *a, &sum)) {
        return Issue(s, "AMOUNT", "INVALID_AMOUNT", "amounts overflow");
      }
    }
    if (sum != 0) {
      return Issue(t, "AMOUNT", "UNBALANCED_TRANSACTION",
                   absl::StrCat("TRNS and SPL amounts sum to ",
                                domain::FormatDecimal(sum, currency), ", not 0"));
    }
    ParsedRecord out = NewRecord(Where(t));
    out.record.set_customer_ref(customer_ref);
    if (type == "INVOICE" || type == "STMT CHG") {
      if (!BuildInvoice(t, type, *date, *total, split_amounts, currency, &out)) return;
    } else if (type == "CREDIT MEMO") {
      if (!BuildCreditNote(t, *date, *total, currency, &out)) return;
    } else {
      if (!BuildPayment(t, *date, *total, currency, customer_ref, &out)) return;
    }
    ImplyCustomer(t, customer_ref);
    on_record_(std::move(out));
  }

  bool BuildInvoice(const Row& t, const std::string& type, absl::CivilDay date, int64_t total,
                    const std::vector<int64_t>& split_amounts, const std::string& currency,
                    ParsedRecord* out) {
    if (total < 0) {
      Issue(t, "AMOUNT", "UNEXPECTED_SIGN",
            absl::StrCat("an ", type, " posts a positive total to Accounts Receivable"));
      return false;
    }
    std::string number(t.Get("DOCNUM"));
    if (number.empty() && type == "STMT CHG") {
      // Statement charges have no number in QuickBooks: one from content.
      number = absl::StrCat("CHG-", StableId({t.Get("NAME"), t.Get("DATE"), t.Get("AMOUNT"),
                                              t.Get("MEMO"), t.Get("TRNSID")})
                                        .substr(0, 10));
    }
    if (number.empty()) {
      Issue(t, "DOCNUM", "MISSING_FIELD", "INVOICE without an invoice number (DOCNUM)");
      return false;
    }
    v1::Invoice* inv = out->record.mutable_invoice();
    inv->mutable_external_ref()->set_source_system(source_);
    inv->mutable_external_ref()->set_id(number);
    inv->set_number(number);
    inv->set_currency_code(currency);
    *inv->mutable_issue_date() = ToProtoDate(date);
    *inv->mutable_total() = ToProtoMoney(total, currency);
    const std::string terms(t.Get("TERMS"));
    if (!terms.empty()) inv->mutable_terms()->set_payment_terms_text(terms);

    std::optional<absl::CivilDay> due;
    if (!t.Get("DUEDATE").empty() && t.Get("DUEDATE") != "0/0/0") {
      due = Date(t, "DUEDATE", false);
      if (!due) return false;
    } else if (!terms.empty()) {
      auto found = terms_->Find(terms);
      if (!found) {
        Issue(t, "TERMS", "UNKNOWN_TERMS",
              absl::StrCat("DUEDATE is empty and the terms \"", terms,
                           "\" are not in the !TERMS list, so the due date is unknown"));
        return false;
      }
      due = found->DueDate(date);
    } else {
      due = date;  // QuickBooks: an invoice without terms is due on its date
    }
    *inv->mutable_due_date() = ToProtoDate(*due);

    int64_t tax = 0;
    int line_no = 0;
    for (size_t i = 0; i < spl_count_; ++i) {
      const Row& s = spl_rows_[i];
      const int64_t amount = -split_amounts[i];  // income lines are credits
      if (Upper(s.Get("EXTRA")) == "AUTOSTAX") {
        auto sum = CheckedAdd(tax, amount, "sales tax");
        if (!sum.ok()) {
          IssueFrom(s, "AMOUNT", sum.status());
          return false;
        }
        tax = *sum;
        continue;
      }
      ++line_no;
      v1::InvoiceLine* line = inv->add_lines();
      line->set_line_id(s.Get("SPLID").empty() ? absl::StrCat(line_no)
                                               : std::string(s.Get("SPLID")));
      line->set_description(std::string(s.Get("MEMO").empty() ? s.Get("INVITEM") : s.Get("MEMO")));
      *line->mutable_amount() = ToProtoMoney(amount, currency);
      if (!s.Get("QNTY").empty()) {
        auto q = ParseQuantityMilli(s.Get("QNTY"), amounts_.format);
        if (!q.ok()) {
          IssueFrom(s, "QNTY", q.status());
          return false;
        }
        line->set_quantity_milli(-*q);
      }
      const absl::string_view price = s.Get("PRICE");
      if (!price.empty() && !absl::EndsWith(price, "%")) {
        auto p = ParseAmount(price, currency, amounts_);
        if (!p.ok()) {
          IssueFrom(s, "PRICE", p.status());
          return false;
        }
        *line->mutable_unit_price() = ToProtoMoney(*p, currency);
      }
    }
    if (tax != 0) *inv->mutable_tax() = ToProtoMoney(tax, currency);
    return true;
  }

  bool BuildCreditNote(const Row& t, absl::CivilDay date, int64_t total,
                       const std::string& currency, ParsedRecord* out) {
    if (total >= 0) {
      Issue(t, "AMOUNT", "UNEXPECTED_SIGN",
            "a CREDIT MEMO posts a negative amount to Accounts Receivable");
      return false;
    }
    const std::string number(t.Get("DOCNUM"));
    if (number.empty()) {
      Issue(t, "DOCNUM", "MISSING_FIELD", "CREDIT MEMO without a number (DOCNUM)");
      return false;
    }
    v1::CreditNote* cn = out->record.mutable_credit_note();
    cn->mutable_external_ref()->set_source_system(source_);
    cn->mutable_external_ref()->set_id(number);
    cn->set_number(number);
    *cn->mutable_issue_date() = ToProtoDate(date);
    *cn->mutable_amount() = ToProtoMoney(-total, currency);
    std::string reason;
    const std::string invoice = InvoiceNumberFromCreditText(t.Get("MEMO"), &reason);
    if (!invoice.empty()) cn->set_invoice_number(invoice);
    cn->set_reason(invoice.empty() ? std::string(t.Get("MEMO")) : reason);
    return true;
  }

  bool BuildPayment(const Row& t, absl::CivilDay date, int64_t total, const std::string& currency,
                    const std::string& customer_ref, ParsedRecord* out) {
    if (total <= 0) {
      Issue(t, "AMOUNT", "UNEXPECTED_SIGN", "a PAYMENT deposits a positive amount");
      return false;
    }
    v1::Payment* p = out->record.mutable_payment();
    p->mutable_external_ref()->set_source_system(source_);
    // QuickBooks payments often have no DOCNUM: the id is their content,
    // numbered when an identical payment repeats in the file (two equal
    // payments on one day are two payments).
    p->mutable_external_ref()->set_id(
        payment_ids_.Next({customer_ref, domain::FormatIsoDay(date), absl::StrCat(total),
                           t.Get("DOCNUM"), t.Get("ACCNT"), t.Get("MEMO")}));
    *p->mutable_amount() = ToProtoMoney(total, currency);
    *p->mutable_received_date() = ToProtoDate(date);
    p->set_method(MethodFromPaymeth(t.Get("PAYMETH")));
    p->set_payer_reference(std::string(t.Get("DOCNUM")));
    p->set_remittance_text(std::string(t.Get("MEMO")));
    return true;
  }

  const ParseOptions& options_;
  const AmountRules amounts_ = LocaleRules(options_.amounts, kPointDecimalGrouped);
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  IifTermsTable own_terms_;
  IifTermsTable* terms_;
  IifParseOptions iif_;
  std::string source_;
  // Node-based: rows keep pointers to their header's ColumnMap while new
  // header rows are added.
  absl::node_hash_map<std::string, ColumnMap> headers_;
  // The open transaction: trns_ points at trns_row_ while one is open; its
  // SPL rows are spl_rows_[0, spl_count_).
  Row trns_row_;
  Row* trns_ = nullptr;
  std::vector<Row> spl_rows_;
  size_t spl_count_ = 0;
  Row list_row_;
  // Customer keys described by !CUST rows or implied so far.
  absl::flat_hash_set<std::string> customers_;
  ContentIds payment_ids_;
  // Set after a TRNS/SPL row that could not be read, so that its SPL and
  // ENDTRNS rows do not each add an issue.
  bool in_bad_transaction_ = false;
};

}  // namespace

absl::CivilDay IifTerms::DueDate(absl::CivilDay issue) const {
  if (!date_driven) return issue + due_days;
  auto on_day = [&](absl::CivilMonth month) {
    const int last = (absl::CivilDay(month + 1) - 1).day();
    return absl::CivilDay(month.year(), month.month(),
                          std::max(1, std::min(day_of_month_due, last)));
  };
  absl::CivilDay due = on_day(absl::CivilMonth(issue));
  if (due - issue < date_min_days) due = on_day(absl::CivilMonth(issue) + 1);
  return due;
}

void IifTermsTable::Add(IifTerms terms) {
  std::string key = absl::AsciiStrToUpper(terms.name);
  by_name_[key] = std::move(terms);
}

std::optional<IifTerms> IifTermsTable::Find(absl::string_view name) const {
  const std::string key = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(name));
  if (auto it = by_name_.find(key); it != by_name_.end()) return it->second;
  // QuickBooks' stock terms, by name.
  IifTerms t;
  t.name = std::string(name);
  if (key == "DUE ON RECEIPT") return t;
  const size_t net = key.rfind("NET ");
  if (net != std::string::npos && absl::SimpleAtoi(key.substr(net + 4), &t.due_days) &&
      t.due_days >= 0 && t.due_days <= 3650) {
    return t;
  }
  return std::nullopt;
}

absl::Status ParseIif(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue, IifTermsTable* terms, const IifParseOptions& iif) {
  IifParser parser(options, on_record, on_issue, terms, iif);
  return parser.Run(in);
}

}  // namespace collections::connectors
