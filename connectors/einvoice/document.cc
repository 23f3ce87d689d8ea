#include "connectors/einvoice/document.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "connectors/common/values.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

// EN 16931 code list for BT-3 (UNTDID 1001 subset), as published with the
// standard's validation artefacts: credit-note codes, then invoice codes.
constexpr absl::string_view kCreditNoteCodes[] = {"81",  "83",  "261", "262", "296", "308",
                                                  "381", "396", "420", "458", "532"};
constexpr absl::string_view kInvoiceCodes[] = {
    "71",  "80",  "82",  "84",  "102", "218", "219", "326", "331", "380", "382", "383",
    "385", "386", "387", "388", "389", "390", "393", "394", "395", "456", "457", "527",
    "553", "575", "623", "633", "751", "780", "817", "870", "875", "876", "877", "935"};

bool AmongCodes(absl::string_view code, absl::Span<const absl::string_view> codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

class Mapper {
 public:
  Mapper(const EInvoice& doc, const EInvoiceMapOptions& options) : doc_(doc), options_(options) {}

  MappedEInvoice Run() {
    MappedEInvoice out;
    Build(&out);
    if (out.issue) out.records.clear();
    return out;
  }

 private:
  Location At(const std::string& field) const {
    auto it = doc_.where.find(field);
    return it != doc_.where.end() ? it->second : doc_.document;
  }
  std::string Name(const std::string& field) const {
    auto it = doc_.field_names.find(field);
    return it != doc_.field_names.end() ? it->second : field;
  }
  void Fail(MappedEInvoice* out, const std::string& field, absl::string_view reason,
            absl::string_view description) const {
    out->issue = ParseIssue{At(field), Name(field), std::string(reason), std::string(description)};
  }
  std::string Amount(int64_t minor) const { return domain::FormatDecimal(minor, doc_.currency); }

  void Build(MappedEInvoice* out) {
    if (doc_.number.empty())
      return Fail(out, "number", "MISSING_FIELD", "the document number is required");
    const DocumentKind kind = KindOfDocumentCode(doc_.type_code);
    if (kind == DocumentKind::kUnknown) {
      return Fail(
          out, "type", "UNSUPPORTED_DOCUMENT_TYPE",
          absl::StrCat("document type \"", doc_.type_code,
                       "\" is not an invoice or credit note (UNTDID 1001 codes of EN 16931)"));
    }
    if (!domain::IsKnownCurrency(doc_.currency)) {
      return Fail(out, "currency", doc_.currency.empty() ? "MISSING_CURRENCY" : "UNKNOWN_CURRENCY",
                  doc_.currency.empty()
                      ? "the document currency is required"
                      : absl::StrCat("\"", doc_.currency, "\" is not an ISO 4217 code"));
    }
    if (!doc_.total) return Fail(out, "total", "MISSING_FIELD", "the total with VAT is required");
    int64_t total = *doc_.total;
    if (!AddChecked(&total, doc_.rounding.value_or(0))) {
      return Fail(out, "rounding", "AMOUNT_OVERFLOW", "total + rounding overflows");
    }
    const int64_t prepaid = doc_.prepaid.value_or(0);
    int64_t expected_due = total;
    if (!AddChecked(&expected_due, -prepaid)) {
      return Fail(out, "prepaid", "AMOUNT_OVERFLOW", "total - prepaid overflows");
    }
    // BR-CO-16: amount due = total with VAT - paid amount + rounding amount.
    if (doc_.due_payable && *doc_.due_payable != expected_due) {
      return Fail(out, "due_payable", "TOTALS_INCONSISTENT",
                  absl::StrCat("amount due ", Amount(*doc_.due_payable),
                               " != total with VAT - prepaid + rounding = ", Amount(expected_due)));
    }
    const bool credit = kind == DocumentKind::kCreditNote || total < 0;
    if (kind == DocumentKind::kCreditNote && total < 0) {
      return Fail(out, "total", "UNEXPECTED_SIGN",
                  absl::StrCat("a credit note (type ", doc_.type_code,
                               ") with a negative total is a debit; send it as an invoice"));
    }
    if (prepaid < 0)
      return Fail(out, "prepaid", "UNEXPECTED_SIGN", "a prepaid amount is not negative");
    if (credit && prepaid != 0) {
      return Fail(out, "prepaid", "UNSUPPORTED_PREPAID_CREDIT",
                  "a credit note with a prepaid (already refunded) amount cannot be mirrored: "
                  "the ledger has no refunds");
    }

    ParsedRecord customer = BuildCustomer();
    const std::string customer_ref = customer.record.customer().external_ref().id();
    ParsedRecord document = NewRecord(doc_.document);
    document.record.set_customer_ref(customer_ref);
    std::optional<ParsedRecord> prepayment;
    if (credit) {
      BuildCreditNote(total < 0 ? -total : total, document.record.mutable_credit_note());
    } else {
      v1::Invoice* inv = document.record.mutable_invoice();
      if (!BuildInvoice(total, inv, out)) return;
      if (prepaid > 0) prepayment = BuildPrepayment(prepaid, customer_ref);
    }
    out->records.push_back(std::move(customer));
    out->records.push_back(std::move(document));
    if (prepayment) out->records.push_back(std::move(*prepayment));
  }

  void SetRef(v1::ExternalRef* ref, const std::string& id) const {
    ref->set_source_system(options_.source_system);
    ref->set_id(id);
  }

  void BuildCreditNote(int64_t amount, v1::CreditNote* cn) const {
    SetRef(cn->mutable_external_ref(), doc_.number);
    cn->set_number(doc_.number);
    *cn->mutable_issue_date() = ToProtoDate(doc_.issue_date);
    *cn->mutable_amount() = ToProtoMoney(amount, doc_.currency);
    if (!doc_.referenced_invoices.empty()) cn->set_invoice_number(doc_.referenced_invoices.front());
    cn->set_reason(doc_.note);
  }

  bool BuildInvoice(int64_t total, v1::Invoice* inv, MappedEInvoice* out) const {
    SetRef(inv->mutable_external_ref(), doc_.number);
    inv->set_number(doc_.number);
    inv->set_currency_code(doc_.currency);
    *inv->mutable_issue_date() = ToProtoDate(doc_.issue_date);
    *inv->mutable_total() = ToProtoMoney(total, doc_.currency);
    if (doc_.tax && *doc_.tax != 0) {
      if (*doc_.tax < 0 || *doc_.tax > total) {
        Fail(out, "tax", "TAX_OUT_OF_RANGE",
             absl::StrCat("VAT total ", Amount(*doc_.tax), " is not between 0 and the total ",
                          Amount(total)));
        return false;
      }
      *inv->mutable_tax() = ToProtoMoney(*doc_.tax, doc_.currency);
    }
    std::string terms = std::string(absl::StripAsciiWhitespace(doc_.terms_text));
    if (!doc_.mandate_reference.empty()) {
      absl::StrAppend(&terms, terms.empty() ? "" : "\n", "SEPA mandate ", doc_.mandate_reference);
    }
    if (!terms.empty()) inv->mutable_terms()->set_payment_terms_text(terms);
    inv->set_payment_reference(doc_.payment_reference);
    absl::CivilDay due = doc_.issue_date;
    if (doc_.due_date) {
      due = *doc_.due_date;
    } else if (doc_.terms_net_days) {
      due = doc_.issue_date + *doc_.terms_net_days;
    } else if (auto days =
                   doc_.terms_text_is_free ? NetDaysInTerms(doc_.terms_text) : std::nullopt) {
      due = doc_.issue_date + *days;
    }
    if (due < doc_.issue_date) {
      Fail(out, "due_date", "DUE_BEFORE_ISSUE",
           absl::StrCat("due date ", absl::FormatCivilTime(due), " is before the issue date ",
                        absl::FormatCivilTime(doc_.issue_date)));
      return false;
    }
    *inv->mutable_due_date() = ToProtoDate(due);
    for (const EInvoiceLine& l : doc_.lines) {
      v1::InvoiceLine* line = inv->add_lines();
      line->set_line_id(l.line_id);
      line->set_description(l.description);
      if (l.quantity_milli) line->set_quantity_milli(*l.quantity_milli);
      if (l.unit_price) *line->mutable_unit_price() = ToProtoMoney(*l.unit_price, doc_.currency);
      *line->mutable_amount() = ToProtoMoney(l.amount, doc_.currency);
    }
    return true;
  }

  ParsedRecord BuildPrepayment(int64_t prepaid, const std::string& customer_ref) const {
    ParsedRecord p = NewRecord(At("prepaid"));
    p.record.set_customer_ref(customer_ref);
    v1::Payment* pay = p.record.mutable_payment();
    SetRef(pay->mutable_external_ref(), absl::StrCat("prepaid:", doc_.number));
    *pay->mutable_amount() = ToProtoMoney(prepaid, doc_.currency);
    *pay->mutable_received_date() = ToProtoDate(doc_.issue_date);
    pay->set_method(v1::Payment::OTHER);
    pay->set_remittance_text(absl::StrCat("prepaid amount of invoice ", doc_.number));
    v1::Allocation* a = pay->add_allocations();
    a->set_invoice_number(doc_.number);
    *a->mutable_amount() = ToProtoMoney(prepaid, doc_.currency);
    return p;
  }

  ParsedRecord BuildCustomer() const {
    const EInvoiceParty& b = doc_.buyer;
    ParsedRecord out = NewRecord(At("buyer"));
    v1::Customer* c = out.record.mutable_customer();
    std::string id = b.id;
    if (id.empty() && !b.vat_id.empty()) id = absl::StrCat("VA:", b.vat_id);
    // A buyer with an identifier or a VAT id is a business: EN 16931, EDIFACT
    // and X12 invoicing are business-to-business exchanges.
    const bool identified = !id.empty();
    std::string display = b.name;
    if (id.empty()) id = StableId({"name", display});
    if (display.empty()) display = id;
    SetRef(c->mutable_external_ref(), id);
    c->set_display_name(display);
    c->set_kind(identified ? v1::CUSTOMER_KIND_BUSINESS : options_.default_customer_kind);
    if (b.country_code.size() == 2) c->set_country_code(absl::AsciiStrToUpper(b.country_code));
    v1::Contact contact;
    contact.set_name(b.contact_name.empty() ? display : b.contact_name);
    contact.set_primary(true);
    auto add = [&](v1::ContactChannel::Type type, const std::string& address) {
      if (address.empty()) return;
      v1::ContactChannel* ch = contact.add_channels();
      ch->set_type(type);
      ch->set_address(address);
    };
    add(v1::ContactChannel::EMAIL, b.email);
    add(v1::ContactChannel::PHONE, b.phone);
    add(v1::ContactChannel::POSTAL, absl::StrJoin(b.address_lines, "\n"));
    if (contact.channels_size() > 0) *c->add_contacts() = std::move(contact);
    return out;
  }

  const EInvoice& doc_;
  const EInvoiceMapOptions& options_;
};

}  // namespace

DocumentKind KindOfDocumentCode(absl::string_view code) {
  code = absl::StripAsciiWhitespace(code);
  if (code == "384") return DocumentKind::kCorrection;
  if (AmongCodes(code, kCreditNoteCodes)) return DocumentKind::kCreditNote;
  if (AmongCodes(code, kInvoiceCodes)) return DocumentKind::kInvoice;
  return DocumentKind::kUnknown;
}

MappedEInvoice MapEInvoice(const EInvoice& doc, const EInvoiceMapOptions& options) {
  return Mapper(doc, options).Run();
}

int64_t AllocateRemittance(v1::Payment* payment) {
  int64_t left = payment->amount().minor_units();
  int64_t shortfall = 0;
  for (const v1::RemittedDocument& d : payment->remitted_documents()) {
    if (d.credit_note() || d.amount().minor_units() <= 0) continue;
    const int64_t want = d.amount().minor_units();
    const int64_t give = std::min(want, left);
    if (!AddChecked(&shortfall, want - give)) shortfall = INT64_MAX;
    if (give <= 0) continue;
    left -= give;
    v1::Allocation* a = payment->add_allocations();
    a->set_invoice_number(d.number());
    *a->mutable_amount() = ToProtoMoney(give, d.amount().currency_code());
  }
  return shortfall;
}

std::optional<int> NetDaysInTerms(absl::string_view terms) {
  // XRechnung 3.0, chapter "Skonto": one line per discount period,
  // "#SKONTO#TAGE=n#PROZENT=p#[BASISBETRAG=b#]"; a line with PROZENT=0 is
  // the period without discount.
  std::optional<int> skonto_net;
  for (absl::string_view line : absl::StrSplit(terms, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::StartsWith(line, "#SKONTO#")) continue;
    int days = -1;
    bool zero = false;
    for (absl::string_view part : absl::StrSplit(line, '#', absl::SkipEmpty())) {
      if (absl::ConsumePrefix(&part, "TAGE=")) {
        if (!absl::SimpleAtoi(part, &days)) days = -1;
      } else if (absl::ConsumePrefix(&part, "PROZENT=")) {
        double p = 0;
        zero = absl::SimpleAtod(part, &p) && p == 0;
      }
    }
    if (zero && days >= 0 && days <= 3650) skonto_net = std::max(skonto_net.value_or(0), days);
  }
  if (skonto_net) return skonto_net;
  const std::string lower = absl::AsciiStrToLower(terms);
  for (size_t i = 0; i < lower.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(lower[i]))) continue;
    size_t j = i;
    while (j < lower.size() && absl::ascii_isdigit(static_cast<unsigned char>(lower[j]))) ++j;
    size_t k = j;
    while (k < lower.size() && lower[k] == ' ') ++k;
    int days = 0;
    for (absl::string_view unit : {"day", "tag", "jour", "dag", "día", "dia", "giorn"}) {
      if (absl::string_view(lower).substr(k, unit.size()) == unit &&
          absl::SimpleAtoi(lower.substr(i, j - i), &days) && days <= 3650) {
        return days;
      }
    }
    i = j;
  }
  return std::nullopt;
}

absl::StatusOr<absl::CivilDay> ParseDateFormat(absl::string_view text, absl::string_view format) {
  const absl::string_view s = absl::StripAsciiWhitespace(text);
  format = absl::StripAsciiWhitespace(format);
  auto bad = [&](absl::string_view why) {
    return domain::InvalidInput("INVALID_DATE", "date",
                                absl::StrCat("\"", s, "\" is not a date in format ",
                                             format.empty() ? "102" : format, ": ", why));
  };
  size_t want = 0;
  bool two_digit_year = false;
  if (format.empty() || format == "102") {
    want = 8;
  } else if (format == "203") {
    want = 12;
  } else if (format == "204") {
    want = 14;
  } else if (format == "101") {
    want = 6;
    two_digit_year = true;
  } else {
    return bad("unsupported date format code");
  }
  if (s.size() != want) return bad(absl::StrCat("expected ", want, " digits"));
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return bad("not all digits");
  }
  int year = 0, month = 0, day = 0;
  const size_t ylen = two_digit_year ? 2 : 4;
  (void)absl::SimpleAtoi(s.substr(0, ylen), &year);
  (void)absl::SimpleAtoi(s.substr(ylen, 2), &month);
  (void)absl::SimpleAtoi(s.substr(ylen + 2, 2), &day);
  // POSIX strptime %y, as values.h: 69..99 are 1969..1999, 00..68 are 2000..2068.
  if (two_digit_year) year += year >= 69 ? 1900 : 2000;
  auto d = domain::MakeDay(year, month, day);
  if (!d.ok()) return bad("no such day");
  return *d;
}

absl::StatusOr<int64_t> ParseUnitPrice(absl::string_view text, absl::string_view currency,
                                       int64_t basis_milli, const AmountRules& rules) {
  auto exp = domain::CurrencyExponent(currency);
  if (!exp.ok()) return exp.status();
  auto scaled = ParseScaled(absl::StripAsciiWhitespace(text), *exp + 4, kXsdDecimal, rules.round);
  if (!scaled.ok()) return scaled.status();
  if (basis_milli <= 0 || basis_milli > 1'000'000'000'000) basis_milli = 1000;
  // price per basis at exp+4 decimals -> per unit at exp decimals.
  return ScaledProduct(*scaled, 1000, basis_milli * 10000, /*round=*/true, "unit price");
}

bool AddChecked(int64_t* sum, int64_t v) {
  auto r = CheckedAdd(*sum, v);
  if (!r.ok()) return false;
  *sum = *r;
  return true;
}

}  // namespace collections::connectors
