#include "connectors/ubl/write_ubl.h"

#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "connectors/common/values.h"
#include "connectors/common/xml_writer.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

constexpr char kCacNs[] =
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
constexpr char kCbcNs[] = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

absl::Status Missing(absl::string_view term, absl::string_view what) {
  return domain::InvalidInput("PEPPOL_MISSING_ELEMENT", term, what);
}
absl::Status Rule(absl::string_view rule, absl::string_view what) {
  return domain::InvalidInput("PEPPOL_RULE", rule, what);
}

absl::Status CheckParty(const UblParty& p, absl::string_view role) {
  if (p.endpoint_id.empty() || p.endpoint_scheme.empty()) {
    return Missing(absl::StrCat(role, ".EndpointID"),
                   "Peppol requires an electronic address with its scheme (R010/R020)");
  }
  if (p.registration_name.empty()) {
    return Missing(absl::StrCat(role, ".RegistrationName"), "the legal name is mandatory");
  }
  if (p.country_code.size() != 2) {
    return Missing(absl::StrCat(role, ".PostalAddress.Country"),
                   "a two-letter ISO 3166 country code is mandatory");
  }
  return absl::OkStatus();
}

void WriteParty(XmlOut& x, const UblParty& p, bool with_vat) {
  x.Start("cac:Party");
  x.Leaf("cbc:EndpointID", p.endpoint_id, "schemeID", p.endpoint_scheme);
  if (!p.trading_name.empty()) {
    x.Start("cac:PartyName");
    x.Leaf("cbc:Name", p.trading_name);
    x.End();
  }
  x.Start("cac:PostalAddress");
  x.Optional("cbc:StreetName", p.street);
  x.Optional("cbc:AdditionalStreetName", p.additional_street);
  x.Optional("cbc:CityName", p.city);
  x.Optional("cbc:PostalZone", p.postal_zone);
  x.Start("cac:Country");
  x.Leaf("cbc:IdentificationCode", p.country_code);
  x.End();
  x.End();
  if (with_vat && !p.vat_id.empty()) {
    x.Start("cac:PartyTaxScheme");
    x.Leaf("cbc:CompanyID", p.vat_id);
    x.Start("cac:TaxScheme");
    x.Leaf("cbc:ID", "VAT");
    x.End();
    x.End();
  }
  x.Start("cac:PartyLegalEntity");
  x.Leaf("cbc:RegistrationName", p.registration_name);
  x.Optional("cbc:CompanyID", p.company_id);
  x.End();
  if (!p.contact_name.empty() || !p.telephone.empty() || !p.email.empty()) {
    x.Start("cac:Contact");
    x.Optional("cbc:Name", p.contact_name);
    x.Optional("cbc:Telephone", p.telephone);
    x.Optional("cbc:ElectronicMail", p.email);
    x.End();
  }
  x.End();
}

// The document's single VAT category.
struct Vat {
  std::string category;
  std::string percent;  // empty for O
  std::string exemption_reason;
};

absl::StatusOr<Vat> ChooseVat(int64_t taxable, int64_t tax, const UblWriteOptions& o) {
  Vat v;
  if (tax == 0) {
    v.category = o.zero_vat_category;
    if (v.category == "E") {
      v.percent.assign(1, '0');  // not = "0": GCC 12 -Wrestrict false positive
      v.exemption_reason = o.exemption_reason;
      if (v.exemption_reason.empty())
        return Rule("BR-E-10", "category E needs an exemption reason");
    } else if (v.category == "O") {
      v.exemption_reason = o.exemption_reason.empty() ? "Not subject to VAT" : o.exemption_reason;
    } else {
      return Rule("zero_vat_category", "use E (exempt) or O (outside the scope of VAT)");
    }
  } else {
    v.category = "S";
    v.percent = o.vat_percent;
    auto bp = ParseScaledDecimal(v.percent, 4);  // percent in 1/10000
    if (v.percent.empty() || !bp.ok() || *bp <= 0) {
      return Rule("BR-S-05", "a document with VAT needs vat_percent");
    }
    // BR-CO-17: VAT amount = taxable amount x rate / 100, rounded to 2 places.
    const __int128 num = static_cast<__int128>(taxable) * *bp;
    const __int128 den = 1000000;
    const int64_t expected =
        static_cast<int64_t>(num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den));
    if (expected != tax) {
      return Rule("BR-CO-17", absl::StrCat("tax ", tax, " is not ", v.percent, " % of ", taxable,
                                           " (expected ", expected, " minor units)"));
    }
  }
  return v;
}

void WriteTaxCategory(XmlOut& x, const char* element, const Vat& vat, bool with_reason) {
  x.Start(element);
  x.Leaf("cbc:ID", vat.category);
  x.Optional("cbc:Percent", vat.percent);
  if (with_reason) x.Optional("cbc:TaxExemptionReason", vat.exemption_reason);
  x.Start("cac:TaxScheme");
  x.Leaf("cbc:ID", "VAT");
  x.End();
  x.End();
}

struct DocLine {
  std::string id;
  std::string name;
  int64_t quantity_milli;
  int64_t unit;
  int64_t amount;
};

struct Doc {
  bool credit = false;
  std::string number;
  std::string issue_date;
  std::string due_date;
  std::string currency;
  std::string note;
  std::string billing_reference;
  std::string payment_reference;
  std::string terms;
  int64_t tax = 0;
  std::vector<DocLine> lines;
  // EN 16931 BG-21 (> 0) or BG-20 (< 0): a document-level charge or
  // allowance, taxed in the document's VAT category (BR-32/BR-37).
  int64_t charge = 0;
  // BT-114: what rounds the payable amount (|rounding| < one major unit).
  int64_t rounding = 0;
};

// The ledger invoice keeps only lines, tax and total; a difference between
// total and lines + tax came from a document-level charge or allowance, or
// from rounding the amount payable (a UBL or CII import stores the amount
// due). Which one it is decides BR-CO-15 (TaxInclusive = TaxExclusive +
// VAT) and BR-CO-17 (VAT = taxable x rate): rounding when it is smaller
// than one major unit and the VAT fits the lines alone, else a charge or
// allowance when the VAT fits the lines with it. A difference that fits
// neither cannot be written as a valid document.
absl::Status ExplainDifference(Doc& d, int64_t lines, int64_t total, const UblWriteOptions& o) {
  const int64_t diff = total - lines - d.tax;
  if (diff == 0) return absl::OkStatus();
  int64_t major = 1;
  for (int i = domain::CurrencyExponent(d.currency).value_or(2); i > 0; --i) major *= 10;
  if (diff > -major && diff < major && ChooseVat(lines, d.tax, o).ok()) {
    d.rounding = diff;
    return absl::OkStatus();
  }
  if (lines + diff > 0 && ChooseVat(lines + diff, d.tax, o).ok()) {
    d.charge = diff;
    return absl::OkStatus();
  }
  return Rule("BR-CO-15",
              absl::StrCat("total ", domain::FormatDecimal(total, d.currency), " is not lines ",
                           domain::FormatDecimal(lines, d.currency), " + VAT ",
                           domain::FormatDecimal(d.tax, d.currency),
                           ", and the difference fits neither a document-level charge or "
                           "allowance (BR-CO-17) nor a rounding below one unit"));
}

absl::StatusOr<std::string> WriteDoc(const Doc& d, const UblParty& buyer,
                                     const UblWriteOptions& o) {
  RETURN_IF_ERROR(CheckParty(o.supplier, "supplier"));
  RETURN_IF_ERROR(CheckParty(buyer, "buyer"));
  if (d.number.empty()) return Missing("ID", "the document number (BT-1) is mandatory");
  int64_t line_total = 0;
  for (const DocLine& l : d.lines) line_total += l.amount;
  const int64_t taxable = line_total + d.charge;  // BT-109 = BT-106 - BT-107 + BT-108
  ASSIGN_OR_RETURN(Vat vat, ChooseVat(taxable, d.tax, o));
  if ((vat.category == "E" || vat.category == "S") && o.supplier.vat_id.empty()) {
    return Rule(vat.category == "E" ? "BR-E-02" : "BR-S-02",
                "the seller's VAT identifier is required with this VAT category");
  }
  const bool seller_vat = vat.category != "O";  // BR-O-02: no seller VAT id with O
  auto money = [&](int64_t minor) { return domain::FormatDecimal(minor, d.currency); };

  XmlOut x;
  const std::string root = d.credit ? "CreditNote" : "Invoice";
  x.Start(root);
  x.Attr("xmlns", absl::StrCat("urn:oasis:names:specification:ubl:schema:xsd:", root, "-2"));
  x.Attr("xmlns:cac", kCacNs);
  x.Attr("xmlns:cbc", kCbcNs);
  x.Leaf("cbc:CustomizationID", kPeppolBis3CustomizationId);
  x.Leaf("cbc:ProfileID", kPeppolBis3ProfileId);
  x.Leaf("cbc:ID", d.number);
  x.Leaf("cbc:IssueDate", d.issue_date);
  if (!d.credit) x.Leaf("cbc:DueDate", d.due_date);
  x.Leaf(d.credit ? "cbc:CreditNoteTypeCode" : "cbc:InvoiceTypeCode", d.credit ? "381" : "380");
  x.Optional("cbc:Note", d.note);
  x.Leaf("cbc:DocumentCurrencyCode", d.currency);
  x.Leaf("cbc:BuyerReference", buyer.buyer_reference.empty() ? d.number : buyer.buyer_reference);
  if (!d.billing_reference.empty()) {
    x.Start("cac:BillingReference");
    x.Start("cac:InvoiceDocumentReference");
    x.Leaf("cbc:ID", d.billing_reference);
    x.End();
    x.End();
  }
  x.Start("cac:AccountingSupplierParty");
  WriteParty(x, o.supplier, seller_vat);
  x.End();
  x.Start("cac:AccountingCustomerParty");
  WriteParty(x, buyer, true);
  x.End();
  if (!d.credit) {
    x.Start("cac:PaymentMeans");
    x.Leaf("cbc:PaymentMeansCode", o.payment_means_code);
    x.Optional("cbc:PaymentID", d.payment_reference);
    if (!o.payee_account.empty()) {
      x.Start("cac:PayeeFinancialAccount");
      x.Leaf("cbc:ID", o.payee_account);
      x.End();
    }
    x.End();
    if (!d.terms.empty()) {
      x.Start("cac:PaymentTerms");
      x.Leaf("cbc:Note", d.terms);
      x.End();
    }
  }
  if (d.charge != 0) {
    // BG-20/BG-21 with a reason (BR-33/BR-38) and the VAT category.
    x.Start("cac:AllowanceCharge");
    x.Leaf("cbc:ChargeIndicator", d.charge > 0 ? "true" : "false");
    x.Leaf("cbc:AllowanceChargeReason", d.charge > 0 ? "Charge" : "Discount");
    x.Leaf("cbc:Amount", money(d.charge > 0 ? d.charge : -d.charge), "currencyID", d.currency);
    WriteTaxCategory(x, "cac:TaxCategory", vat, false);
    x.End();
  }
  x.Start("cac:TaxTotal");
  x.Leaf("cbc:TaxAmount", money(d.tax), "currencyID", d.currency);
  x.Start("cac:TaxSubtotal");
  x.Leaf("cbc:TaxableAmount", money(taxable), "currencyID", d.currency);
  x.Leaf("cbc:TaxAmount", money(d.tax), "currencyID", d.currency);
  WriteTaxCategory(x, "cac:TaxCategory", vat, true);
  x.End();
  x.End();
  x.Start("cac:LegalMonetaryTotal");
  // BR-CO-10, BR-CO-13, BR-CO-15, BR-CO-16 (no prepaid amount).
  x.Leaf("cbc:LineExtensionAmount", money(line_total), "currencyID", d.currency);
  x.Leaf("cbc:TaxExclusiveAmount", money(taxable), "currencyID", d.currency);
  x.Leaf("cbc:TaxInclusiveAmount", money(taxable + d.tax), "currencyID", d.currency);
  if (d.charge < 0) x.Leaf("cbc:AllowanceTotalAmount", money(-d.charge), "currencyID", d.currency);
  if (d.charge > 0) x.Leaf("cbc:ChargeTotalAmount", money(d.charge), "currencyID", d.currency);
  if (d.rounding != 0) {
    x.Leaf("cbc:PayableRoundingAmount", money(d.rounding), "currencyID", d.currency);
  }
  x.Leaf("cbc:PayableAmount", money(taxable + d.tax + d.rounding), "currencyID", d.currency);
  x.End();
  for (const DocLine& l : d.lines) {
    x.Start(d.credit ? "cac:CreditNoteLine" : "cac:InvoiceLine");
    x.Leaf("cbc:ID", l.id);
    x.Leaf(d.credit ? "cbc:CreditedQuantity" : "cbc:InvoicedQuantity",
           FormatQuantityMilli(l.quantity_milli), "unitCode", o.unit_code);
    x.Leaf("cbc:LineExtensionAmount", money(l.amount), "currencyID", d.currency);
    x.Start("cac:Item");
    x.Leaf("cbc:Name", l.name);
    WriteTaxCategory(x, "cac:ClassifiedTaxCategory", vat, false);
    x.End();
    x.Start("cac:Price");
    x.Leaf("cbc:PriceAmount", money(l.unit), "currencyID", d.currency);
    x.End();
    x.End();
  }
  x.End();
  return x.Finish();
}

// Quantity x price must give the line amount (PEPPOL-EN16931-R120); a line
// where it does not is written as 1 x amount.
DocLine MakeLine(std::string id, std::string name, int64_t quantity_milli, int64_t unit,
                 int64_t amount) {
  if (quantity_milli == 0 ||
      static_cast<__int128>(quantity_milli) * unit != static_cast<__int128>(amount) * 1000) {
    quantity_milli = 1000;
    unit = amount;
  }
  if (name.empty()) name = "Fee";
  return DocLine{std::move(id), std::move(name), quantity_milli, unit, amount};
}

std::string Iso(const v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

}  // namespace

UblParty UblPartyFromCustomer(const v1::Customer& c) {
  UblParty p;
  const std::string& id = c.external_ref().id();
  const size_t colon = id.find(':');
  if (colon != std::string::npos && colon == 4) {  // ICD scheme codes are four digits
    p.endpoint_scheme = id.substr(0, colon);
    p.endpoint_id = id.substr(colon + 1);
  }
  p.registration_name = c.display_name();
  p.country_code = c.country_code();
  for (const auto& contact : c.contacts()) {
    for (const auto& ch : contact.channels()) {
      if (ch.type() == v1::ContactChannel::EMAIL && p.email.empty()) p.email = ch.address();
      if (ch.type() == v1::ContactChannel::POSTAL && p.street.empty()) {
        p.street = ch.address().substr(0, ch.address().find('\n'));
      }
    }
  }
  return p;
}

absl::StatusOr<std::string> WriteUblInvoice(const v1::Invoice& inv, const UblParty& buyer,
                                            const UblWriteOptions& options) {
  if (!domain::IsKnownCurrency(inv.currency_code())) {
    return Missing("DocumentCurrencyCode", "a known ISO 4217 currency is mandatory");
  }
  RETURN_IF_ERROR(FromProtoDate(inv.issue_date()).status());
  RETURN_IF_ERROR(FromProtoDate(inv.due_date()).status());
  Doc d;
  d.number = inv.number();
  d.issue_date = Iso(inv.issue_date());
  d.due_date = Iso(inv.due_date());
  d.currency = inv.currency_code();
  d.payment_reference = inv.payment_reference();
  d.terms = inv.terms().payment_terms_text();
  d.tax = inv.tax().minor_units();
  const int64_t total = inv.total().minor_units();
  if (total <= 0) return Rule("BR-CO-15", "a fee invoice total must be positive");
  int64_t sum = 0;
  for (int i = 0; i < inv.lines_size(); ++i) {
    const auto& l = inv.lines(i);
    d.lines.push_back(MakeLine(l.line_id().empty() ? absl::StrCat(i + 1) : l.line_id(),
                               l.description(), l.quantity_milli(), l.unit_price().minor_units(),
                               l.amount().minor_units()));
    sum += l.amount().minor_units();
  }
  if (d.lines.empty()) {
    d.lines.push_back(MakeLine("1", "Fee", 1000, total - d.tax, total - d.tax));
    sum = total - d.tax;
  }
  RETURN_IF_ERROR(ExplainDifference(d, sum, total, options));
  return WriteDoc(d, buyer, options);
}

absl::StatusOr<std::string> WriteUblCreditNote(const v1::CreditNote& cn, const UblParty& buyer,
                                               const UblWriteOptions& options) {
  if (!domain::IsKnownCurrency(cn.amount().currency_code())) {
    return Missing("DocumentCurrencyCode", "a known ISO 4217 currency is mandatory");
  }
  RETURN_IF_ERROR(FromProtoDate(cn.issue_date()).status());
  if (cn.amount().minor_units() <= 0) return Rule("BR-CO-15", "a credit amount must be positive");
  Doc d;
  d.credit = true;
  d.number = cn.number();
  d.issue_date = Iso(cn.issue_date());
  d.currency = cn.amount().currency_code();
  d.note = cn.reason();
  d.billing_reference = cn.invoice_number();
  d.lines.push_back(MakeLine("1", cn.reason().empty() ? "Credit" : cn.reason(), 1000,
                             cn.amount().minor_units(), cn.amount().minor_units()));
  return WriteDoc(d, buyer, options);
}

}  // namespace collections::connectors
