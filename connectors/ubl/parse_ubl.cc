#include "connectors/ubl/parse_ubl.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/common/values.h"
#include "connectors/common/xml_stream.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

constexpr absl::string_view kDefaultSourceSystem = "peppol";
constexpr absl::string_view kInvoiceNs = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
constexpr absl::string_view kCreditNoteNs =
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";

std::string Trim(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

// The number before "day" in free payment terms ("Payment within 30 days",
// "30 days net"), or nullopt.
std::optional<int> DaysInTerms(absl::string_view note) {
  const std::string lower = absl::AsciiStrToLower(note);
  for (size_t i = 0; i < lower.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(lower[i]))) continue;
    size_t j = i;
    while (j < lower.size() && absl::ascii_isdigit(static_cast<unsigned char>(lower[j]))) ++j;
    size_t k = j;
    while (k < lower.size() && lower[k] == ' ') ++k;
    int days = 0;
    if (lower.compare(k, 3, "day") == 0 && absl::SimpleAtoi(lower.substr(i, j - i), &days) &&
        days <= 3650) {
      return days;
    }
    i = j;
  }
  return std::nullopt;
}

class UblParser {
 public:
  UblParser(const ParseOptions& options, const RecordSink& on_record, const IssueSink& on_issue)
      : options_(options),
        on_record_(on_record),
        on_issue_(on_issue),
        source_(options.source_system.empty() ? std::string(kDefaultSourceSystem)
                                              : options.source_system) {}

  absl::Status Run(std::istream& in) {
    const std::string name = options_.file_name.empty() ? "<input>" : options_.file_name;
    ASSIGN_OR_RETURN(std::unique_ptr<XmlStreamReader> reader,
                     XmlStreamReader::FromStream(in, name));
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->Next());
      if (!more) {
        return InputError("UBL_UNKNOWN_ROOT", Location{options_.file_name, 0, 0, "/"},
                          "the document has no root element");
      }
      if (reader->kind() == XmlStreamReader::NodeKind::kStartElement) break;
    }
    const std::string root(reader->local_name());
    const std::string ns(reader->namespace_uri());
    if (!((root == "Invoice" && ns == kInvoiceNs) ||
          (root == "CreditNote" && ns == kCreditNoteNs))) {
      return InputError("UBL_UNKNOWN_ROOT",
                        Location{options_.file_name, reader->line(), 0, absl::StrCat("/", root)},
                        absl::StrCat("not a UBL 2.1 Invoice or CreditNote: root {", ns, "}", root));
    }
    ASSIGN_OR_RETURN(XmlElement doc, reader->ReadSubtree());
    // Read to the end so that trailing garbage is a well-formedness error.
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->Next());
      if (!more) break;
    }
    Build(doc);
    return absl::OkStatus();
  }

 private:
  Location At(const XmlElement& e) const { return Location{options_.file_name, e.line, 0, e.path}; }
  // An issue about `child` of `parent` (which may be missing).
  void Issue(const XmlElement& parent, absl::string_view child, absl::string_view field,
             absl::string_view reason, absl::string_view description) {
    const XmlElement* e = child.empty() ? &parent : parent.Find(child);
    Location where = At(e != nullptr ? *e : parent);
    if (e == nullptr) absl::StrAppend(&where.xpath, "/", child);
    on_issue_(ParseIssue{where, std::string(field), std::string(reason), std::string(description)});
  }
  void IssueFrom(const XmlElement& e, absl::string_view field, const absl::Status& status) {
    on_issue_(IssueFromStatus(status, At(e), field));
  }

  // An amount element of the document currency; nullopt (with an issue)
  // when missing and required, malformed, or in another currency.
  std::optional<int64_t> Amount(const XmlElement& parent, absl::string_view path,
                                absl::string_view field, bool required, bool* failed) {
    const XmlElement* e = parent.Find(path);
    if (e == nullptr) {
      if (required) {
        Issue(parent, path, field, "MISSING_FIELD", absl::StrCat(field, " is required"));
        *failed = true;
      }
      return std::nullopt;
    }
    const auto currency_id = e->Attribute("currencyID");
    if (currency_id && Trim(*currency_id) != currency_) {
      Issue(*e, "", field, "CURRENCY_MISMATCH",
            absl::StrCat("currencyID ", *currency_id, " differs from DocumentCurrencyCode ",
                         currency_));
      *failed = true;
      return std::nullopt;
    }
    auto v = ParseAmount(Trim(e->text), currency_, options_.amounts);
    if (!v.ok()) {
      IssueFrom(*e, field, v.status());
      *failed = true;
      return std::nullopt;
    }
    return *v;
  }

  std::optional<absl::CivilDay> Day(const XmlElement& parent, absl::string_view path,
                                    absl::string_view field, bool* failed) {
    const XmlElement* e = parent.Find(path);
    if (e == nullptr) return std::nullopt;
    auto d = domain::ParseIsoDay(Trim(e->text));
    if (!d.ok()) {
      IssueFrom(*e, field, d.status());
      *failed = true;
      return std::nullopt;
    }
    return *d;
  }

  void Build(const XmlElement& doc) {
    const bool credit_root = doc.name == "CreditNote";
    bool failed = false;
    const std::string id = Trim(doc.TextAt("ID"));
    if (id.empty()) {
      return Issue(doc, "ID", "cbc:ID", "MISSING_FIELD", "the document number is required");
    }
    currency_ = absl::AsciiStrToUpper(Trim(doc.TextAt("DocumentCurrencyCode")));
    if (!domain::IsKnownCurrency(currency_)) {
      return Issue(doc, "DocumentCurrencyCode", "cbc:DocumentCurrencyCode", "UNKNOWN_CURRENCY",
                   absl::StrCat("\"", currency_, "\" is not an ISO 4217 code"));
    }
    auto issue_date = Day(doc, "IssueDate", "cbc:IssueDate", &failed);
    if (!issue_date && !failed) {
      Issue(doc, "IssueDate", "cbc:IssueDate", "MISSING_FIELD", "the issue date is required");
      failed = true;
    }
    const XmlElement* totals = doc.Find("LegalMonetaryTotal");
    if (totals == nullptr) {
      return Issue(doc, "LegalMonetaryTotal", "cac:LegalMonetaryTotal", "MISSING_FIELD",
                   "the document totals are required");
    }
    auto inclusive = Amount(*totals, "TaxInclusiveAmount", "cbc:TaxInclusiveAmount", true, &failed);
    auto prepaid = Amount(*totals, "PrepaidAmount", "cbc:PrepaidAmount", false, &failed);
    auto rounding =
        Amount(*totals, "PayableRoundingAmount", "cbc:PayableRoundingAmount", false, &failed);
    auto payable = Amount(*totals, "PayableAmount", "cbc:PayableAmount", true, &failed);
    const XmlElement* party = doc.Find("AccountingCustomerParty/Party");
    if (party == nullptr) {
      Issue(doc, "AccountingCustomerParty", "cac:AccountingCustomerParty", "MISSING_FIELD",
            "the buyer is required");
      failed = true;
    }
    if (failed) return;
    AmountTotal sum(currency_, options_.amounts, "TaxInclusiveAmount + PayableRoundingAmount");
    absl::Status st = sum.Add(*inclusive);
    if (st.ok()) st = sum.Add(rounding.value_or(0));
    if (!st.ok()) return IssueFrom(*totals, "cbc:PayableAmount", st);
    const int64_t total = sum.value();
    // BR-CO-16: amount due = TaxInclusiveAmount - PrepaidAmount + PayableRoundingAmount
    // (each term is within the ceiling, so the difference cannot overflow).
    if (*payable != total - prepaid.value_or(0)) {
      return Issue(*totals, "PayableAmount", "cbc:PayableAmount", "UBL_TOTALS_INCONSISTENT",
                   absl::StrCat("PayableAmount ", domain::FormatDecimal(*payable, currency_),
                                " != TaxInclusiveAmount - PrepaidAmount + PayableRoundingAmount = ",
                                domain::FormatDecimal(total - prepaid.value_or(0), currency_)));
    }
    int64_t tax = 0;
    for (const XmlElement* t : doc.Children("TaxTotal")) {
      const XmlElement* amount = t->Child("TaxAmount");
      if (amount == nullptr) continue;
      const auto cur = amount->Attribute("currencyID");
      if (cur && Trim(*cur) != currency_) continue;  // the TaxCurrencyCode repetition
      auto v = Amount(*t, "TaxAmount", "cbc:TaxAmount", true, &failed);
      if (!v) return;
      tax = *v;
      break;
    }
    const std::string billing_ref =
        Trim(doc.TextAt("BillingReference/InvoiceDocumentReference/ID"));

    ParsedRecord customer = BuildCustomer(*party);
    const std::string customer_ref = customer.record.customer().external_ref().id();
    ParsedRecord out = NewRecord(At(doc));
    out.record.set_customer_ref(customer_ref);
    std::optional<ParsedRecord> prepayment;

    if (credit_root || total < 0) {
      if (credit_root && total < 0) {
        return Issue(*totals, "TaxInclusiveAmount", "cbc:TaxInclusiveAmount", "UNEXPECTED_SIGN",
                     "a CreditNote with a negative total is a debit; send it as an Invoice");
      }
      v1::CreditNote* cn = out.record.mutable_credit_note();
      cn->mutable_external_ref()->set_source_system(source_);
      cn->mutable_external_ref()->set_id(id);
      cn->set_number(id);
      *cn->mutable_issue_date() = ToProtoDate(*issue_date);
      *cn->mutable_amount() = ToProtoMoney(total < 0 ? -total : total, currency_);
      cn->set_invoice_number(billing_ref);
      cn->set_reason(Trim(doc.TextAt("Note")));
    } else {
      v1::Invoice* inv = out.record.mutable_invoice();
      inv->mutable_external_ref()->set_source_system(source_);
      inv->mutable_external_ref()->set_id(id);
      inv->set_number(id);
      inv->set_currency_code(currency_);
      *inv->mutable_issue_date() = ToProtoDate(*issue_date);
      *inv->mutable_total() = ToProtoMoney(total, currency_);
      if (tax != 0) *inv->mutable_tax() = ToProtoMoney(tax, currency_);
      const std::string terms = Trim(doc.TextAt("PaymentTerms/Note"));
      if (!terms.empty()) inv->mutable_terms()->set_payment_terms_text(terms);
      inv->set_payment_reference(Trim(doc.TextAt("PaymentMeans/PaymentID")));
      auto due = Day(doc, "DueDate", "cbc:DueDate", &failed);
      if (!due && !failed)
        due = Day(doc, "PaymentMeans/PaymentDueDate", "cbc:PaymentDueDate", &failed);
      if (failed) return;
      if (!due) {
        const auto days = DaysInTerms(terms);
        due = *issue_date + days.value_or(0);
      }
      *inv->mutable_due_date() = ToProtoDate(*due);
      if (!BuildLines(doc, inv)) return;
      if (prepaid.value_or(0) < 0) {
        return Issue(*totals, "PrepaidAmount", "cbc:PrepaidAmount", "UNEXPECTED_SIGN",
                     "a prepaid amount is not negative");
      }
      if (prepaid.value_or(0) > 0) {
        prepayment = NewRecord(At(*totals->Find("PrepaidAmount")));
        prepayment->record.set_customer_ref(customer_ref);
        v1::Payment* p = prepayment->record.mutable_payment();
        p->mutable_external_ref()->set_source_system(source_);
        p->mutable_external_ref()->set_id(absl::StrCat("prepaid:", id));
        *p->mutable_amount() = ToProtoMoney(*prepaid, currency_);
        *p->mutable_received_date() = ToProtoDate(*issue_date);
        p->set_method(v1::Payment::OTHER);
        p->set_remittance_text(absl::StrCat("PrepaidAmount of invoice ", id));
        auto* a = p->add_allocations();
        a->set_invoice_number(id);
        *a->mutable_amount() = ToProtoMoney(*prepaid, currency_);
      }
    }
    on_record_(std::move(customer));
    on_record_(std::move(out));
    if (prepayment) on_record_(std::move(*prepayment));
  }

  bool BuildLines(const XmlElement& doc, v1::Invoice* inv) {
    const int exp = *domain::CurrencyExponent(currency_);
    for (const XmlElement* l : doc.Children("InvoiceLine")) {
      bool failed = false;
      v1::InvoiceLine* line = inv->add_lines();
      line->set_line_id(Trim(l->TextAt("ID")));
      std::string description = Trim(l->TextAt("Item/Name"));
      if (description.empty()) description = Trim(l->TextAt("Item/Description"));
      line->set_description(description);
      if (const XmlElement* q = l->Child("InvoicedQuantity")) {
        auto milli = ParseQuantityMilli(Trim(q->text));
        if (!milli.ok()) {
          IssueFrom(*q, "cbc:InvoicedQuantity", milli.status());
          return false;
        }
        line->set_quantity_milli(*milli);
      }
      auto amount = Amount(*l, "LineExtensionAmount", "cbc:LineExtensionAmount", true, &failed);
      if (failed) return false;
      *line->mutable_amount() = ToProtoMoney(*amount, currency_);
      if (const XmlElement* price = l->Find("Price/PriceAmount")) {
        // Prices may carry more decimals than the currency (EN 16931 BT-146
        // has no scale limit): keep four more and round half away from zero.
        auto scaled = ParseScaled(Trim(price->text), exp + 4, kXsdDecimal);
        int64_t base = 1000;
        if (const XmlElement* bq = l->Find("Price/BaseQuantity")) {
          auto b = ParseQuantityMilli(Trim(bq->text));
          if (b.ok() && *b > 0) base = *b;
        }
        if (!scaled.ok()) {
          IssueFrom(*price, "cbc:PriceAmount", scaled.status());
          return false;
        }
        // price per BaseQuantity (1/1000) -> per unit, in minor units.
        int64_t den = 0;
        absl::StatusOr<int64_t> unit =
            __builtin_mul_overflow(base, int64_t{10000}, &den)
                ? absl::StatusOr<int64_t>(absl::OutOfRangeError("BaseQuantity too large"))
                : ScaledProduct(*scaled, 1000, den, /*round=*/true, "unit price");
        if (!unit.ok()) {
          IssueFrom(*price, "cbc:PriceAmount", unit.status());
          return false;
        }
        *line->mutable_unit_price() = ToProtoMoney(*unit, currency_);
      }
    }
    return true;
  }

  ParsedRecord BuildCustomer(const XmlElement& party) {
    ParsedRecord out = NewRecord(At(party));
    v1::Customer* c = out.record.mutable_customer();
    c->mutable_external_ref()->set_source_system(source_);
    const std::string legal_name = Trim(party.TextAt("PartyLegalEntity/RegistrationName"));
    const std::string trade_name = Trim(party.TextAt("PartyName/Name"));
    std::string display = !legal_name.empty() ? legal_name : trade_name;
    // Peppol identifies a party by its endpoint "<scheme>:<id>" (ICD codes);
    // the other identifiers stand in when there is none.
    std::string id;
    for (absl::string_view path : {"EndpointID", "PartyIdentification/ID",
                                   "PartyLegalEntity/CompanyID", "PartyTaxScheme/CompanyID"}) {
      const XmlElement* e = party.Find(path);
      if (e == nullptr || Trim(e->text).empty()) continue;
      const auto scheme = e->Attribute("schemeID");
      id = scheme && !Trim(*scheme).empty() ? absl::StrCat(Trim(*scheme), ":", Trim(e->text))
                                            : Trim(e->text);
      break;
    }
    const bool identified = !id.empty() || !legal_name.empty();
    if (id.empty()) id = StableId({"name", display});
    if (display.empty()) display = id;
    c->mutable_external_ref()->set_id(id);
    c->set_display_name(display);
    // EN 16931 buyers with a legal or electronic identity are businesses;
    // Peppol BIS is a B2B/B2G network.
    c->set_kind(identified ? v1::CUSTOMER_KIND_BUSINESS : options_.default_customer_kind);
    const std::string country = Trim(party.TextAt("PostalAddress/Country/IdentificationCode"));
    if (country.size() == 2) c->set_country_code(absl::AsciiStrToUpper(country));

    v1::Contact contact;
    const std::string contact_name = Trim(party.TextAt("Contact/Name"));
    contact.set_name(contact_name.empty() ? display : contact_name);
    contact.set_primary(true);
    auto add = [&](v1::ContactChannel::Type type, const std::string& address) {
      if (address.empty()) return;
      auto* ch = contact.add_channels();
      ch->set_type(type);
      ch->set_address(address);
    };
    add(v1::ContactChannel::EMAIL, Trim(party.TextAt("Contact/ElectronicMail")));
    add(v1::ContactChannel::PHONE, Trim(party.TextAt("Contact/Telephone")));
    std::vector<std::string> address;
    if (const XmlElement* pa = party.Child("PostalAddress")) {
      for (absl::string_view path :
           {"StreetName", "AdditionalStreetName", "AddressLine/Line", "CityName", "PostalZone",
            "CountrySubentity", "Country/IdentificationCode"}) {
        const std::string v = Trim(pa->TextAt(path));
        if (!v.empty()) address.push_back(v);
      }
    }
    add(v1::ContactChannel::POSTAL, absl::StrJoin(address, "\n"));
    if (contact.channels_size() > 0) *c->add_contacts() = std::move(contact);
    return out;
  }

  const ParseOptions& options_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  std::string source_;
  std::string currency_;
};

}  // namespace

absl::Status ParseUbl(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue) {
  UblParser parser(options, on_record, on_issue);
  return parser.Run(in);
}

}  // namespace collections::connectors
