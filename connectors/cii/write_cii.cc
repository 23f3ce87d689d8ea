#include "connectors/cii/write_cii.h"

#include <cstdio>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "connectors/cii/facturx_pdf.h"
#include "connectors/common/amount.h"
#include "connectors/common/values.h"
#include "connectors/common/xml_writer.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

namespace v1 = ::collections_sidecar::v1;

constexpr char kRsmNs[] = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
constexpr char kRamNs[] =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
constexpr char kUdtNs[] = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";
constexpr char kQdtNs[] = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";

absl::Status Missing(absl::string_view term, absl::string_view what) {
  return domain::InvalidInput("EN16931_MISSING", term, what);
}
absl::Status Rule(absl::string_view rule, absl::string_view what) {
  return domain::InvalidInput("EN16931_RULE", rule, what);
}

absl::Status CheckParty(const CiiParty& p, absl::string_view role, absl::string_view name_bt,
                        absl::string_view country_rule) {
  if (p.name.empty())
    return Missing(absl::StrCat(role, ".Name (", name_bt, ")"), "the name is mandatory");
  if (p.country_code.size() != 2) {
    return Rule(country_rule,
                absl::StrCat("the ", role, "'s two-letter ISO 3166 country is mandatory"));
  }
  return absl::OkStatus();
}

std::string Day(const v1::Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", d.year(), d.month(), d.day());
  return buf;
}

// The document's single VAT category (see the header).
struct Vat {
  std::string category;
  std::string percent;
  std::string exemption_reason;
};

absl::StatusOr<Vat> ChooseVat(int64_t basis, int64_t tax, const CiiWriteOptions& o) {
  Vat v;
  if (tax == 0) {
    v.category = o.zero_vat_category;
    v.percent.assign(1, '0');  // not = "0": GCC 12 -Wrestrict false positive
    if (v.category != "E" && v.category != "O") {
      return Rule("zero_vat_category", "use E (exempt) or O (outside the scope of VAT)");
    }
    v.exemption_reason = o.exemption_reason;
    if (v.category == "E" && v.exemption_reason.empty()) {
      return Rule("BR-E-10", "category E needs an exemption reason");
    }
    if (v.category == "O") v.percent.clear();
    return v;
  }
  v.category = "S";
  v.percent = o.vat_percent;
  auto rate = ParseScaled(v.percent, 4, kXsdDecimal);  // percent in 1/10000
  if (v.percent.empty() || !rate.ok() || *rate <= 0) {
    return Rule("BR-S-05", "a document with VAT needs vat_percent");
  }
  // BR-CO-17: VAT = taxable amount x rate / 100, rounded to the currency.
  ASSIGN_OR_RETURN(int64_t expected, ScaledProduct(basis, *rate, 1000000, /*round=*/true, "VAT"));
  if (expected != tax) {
    return Rule("BR-CO-17", absl::StrCat("VAT ", tax, " is not ", v.percent, " % of ", basis,
                                         " (expected ", expected, " minor units)"));
  }
  return v;
}

struct Line {
  std::string id, name;
  int64_t quantity_milli = 1000;
  int64_t unit_price = 0;
  int64_t amount = 0;
};

struct Doc {
  std::string number, type_code, currency, note, issue_day, due_day, terms, payment_reference,
      referenced_invoice;
  int64_t tax = 0, grand_total = 0;
  std::vector<Line> lines;
  bool invoice = true;
};

void WriteParty(XmlOut& x, const std::string& element, const CiiParty& p, bool with_vat) {
  x.Start(element);
  if (!p.global_id.empty()) x.Leaf("ram:GlobalID", p.global_id, "schemeID", p.global_id_scheme);
  x.Leaf("ram:Name", p.name);
  x.Start("ram:PostalTradeAddress");
  x.Optional("ram:PostcodeCode", p.postcode);
  x.Optional("ram:LineOne", p.address_line);
  x.Optional("ram:CityName", p.city);
  x.Leaf("ram:CountryID", p.country_code);
  x.End();
  if (!p.email.empty()) {
    x.Start("ram:URIUniversalCommunication");
    x.Leaf("ram:URIID", p.email, "schemeID", "EM");
    x.End();
  }
  if (with_vat && !p.vat_id.empty()) {
    x.Start("ram:SpecifiedTaxRegistration");
    x.Leaf("ram:ID", p.vat_id, "schemeID", "VA");
    x.End();
  }
  x.End();
}

void WriteTax(XmlOut& x, const Vat& vat, const std::string* calculated, const std::string* basis) {
  x.Start("ram:ApplicableTradeTax");
  if (calculated != nullptr) x.Leaf("ram:CalculatedAmount", *calculated);
  x.Leaf("ram:TypeCode", "VAT");
  if (calculated != nullptr) x.Optional("ram:ExemptionReason", vat.exemption_reason);
  if (basis != nullptr) x.Leaf("ram:BasisAmount", *basis);
  x.Leaf("ram:CategoryCode", vat.category);
  x.Optional("ram:RateApplicablePercent", vat.percent);
  x.End();
}

absl::StatusOr<std::string> Write(const Doc& d, const CiiParty& buyer, const CiiWriteOptions& o) {
  RETURN_IF_ERROR(CheckParty(o.seller, "seller", "BT-27", "BR-9"));
  RETURN_IF_ERROR(CheckParty(buyer, "buyer", "BT-44", "BR-11"));
  if (d.number.empty()) return Missing("ID (BT-1)", "the document number is mandatory");
  if (!domain::IsKnownCurrency(d.currency))
    return Rule("BR-5", "a known ISO 4217 currency is mandatory");
  if (d.lines.empty()) return Rule("BR-16", "at least one line is mandatory");
  int64_t line_total = 0;
  for (const Line& l : d.lines) {
    ASSIGN_OR_RETURN(line_total, CheckedAdd(line_total, l.amount, "line total"));
  }
  // BR-CO-15: the grand total is the net total plus VAT.
  ASSIGN_OR_RETURN(int64_t expected_grand, CheckedAdd(line_total, d.tax, "grand total"));
  if (expected_grand != d.grand_total) {
    return Rule("BR-CO-15",
                absl::StrCat("lines ", line_total, " + VAT ", d.tax, " != total ", d.grand_total));
  }
  ASSIGN_OR_RETURN(Vat vat, ChooseVat(line_total, d.tax, o));
  if ((vat.category == "S" || vat.category == "E") && o.seller.vat_id.empty()) {
    return Rule(vat.category == "S" ? "BR-S-02" : "BR-E-02",
                "the seller's VAT id is mandatory with this category");
  }
  if (d.invoice && o.payment_means_code == "58" && o.payee_iban.empty()) {
    return Rule("BR-61", "a SEPA credit transfer needs the payee's IBAN");
  }
  auto money = [&](int64_t minor) { return domain::FormatDecimal(minor, d.currency); };

  XmlOut x;
  x.Start("rsm:CrossIndustryInvoice");
  x.Attr("xmlns:rsm", kRsmNs);
  x.Attr("xmlns:qdt", kQdtNs);
  x.Attr("xmlns:ram", kRamNs);
  x.Attr("xmlns:udt", kUdtNs);
  x.Start("rsm:ExchangedDocumentContext");
  x.Start("ram:GuidelineSpecifiedDocumentContextParameter");
  x.Leaf("ram:ID", kEn16931Guideline);
  x.End();
  x.End();

  x.Start("rsm:ExchangedDocument");
  x.Leaf("ram:ID", d.number);
  x.Leaf("ram:TypeCode", d.type_code);
  x.Start("ram:IssueDateTime");
  x.Leaf("udt:DateTimeString", d.issue_day, "format", "102");
  x.End();
  if (!d.note.empty()) {
    x.Start("ram:IncludedNote");
    x.Leaf("ram:Content", d.note);
    x.End();
  }
  x.End();

  x.Start("rsm:SupplyChainTradeTransaction");
  for (const Line& l : d.lines) {
    x.Start("ram:IncludedSupplyChainTradeLineItem");
    x.Start("ram:AssociatedDocumentLineDocument");
    x.Leaf("ram:LineID", l.id);
    x.End();
    x.Start("ram:SpecifiedTradeProduct");
    x.Leaf("ram:Name", l.name);
    x.End();
    x.Start("ram:SpecifiedLineTradeAgreement");
    x.Start("ram:NetPriceProductTradePrice");
    x.Leaf("ram:ChargeAmount", money(l.unit_price));
    x.End();
    x.End();
    x.Start("ram:SpecifiedLineTradeDelivery");
    x.Leaf("ram:BilledQuantity", FormatQuantityMilli(l.quantity_milli), "unitCode", o.unit_code);
    x.End();
    x.Start("ram:SpecifiedLineTradeSettlement");
    WriteTax(x, vat, nullptr, nullptr);
    x.Start("ram:SpecifiedTradeSettlementLineMonetarySummation");
    x.Leaf("ram:LineTotalAmount", money(l.amount));
    x.End();
    x.End();
    x.End();
  }
  x.Start("ram:ApplicableHeaderTradeAgreement");
  x.Leaf("ram:BuyerReference", d.number);
  WriteParty(x, "ram:SellerTradeParty", o.seller, true);
  WriteParty(x, "ram:BuyerTradeParty", buyer, true);
  x.End();
  x.Start("ram:ApplicableHeaderTradeDelivery");
  x.End();
  x.Start("ram:ApplicableHeaderTradeSettlement");
  x.Optional("ram:PaymentReference", d.payment_reference);
  x.Leaf("ram:InvoiceCurrencyCode", d.currency);
  if (d.invoice) {
    x.Start("ram:SpecifiedTradeSettlementPaymentMeans");
    x.Leaf("ram:TypeCode", o.payment_means_code);
    if (!o.payee_iban.empty()) {
      x.Start("ram:PayeePartyCreditorFinancialAccount");
      x.Leaf("ram:IBANID", o.payee_iban);
      x.End();
    }
    x.End();
  }
  const std::string tax_text = money(d.tax), basis_text = money(line_total);
  WriteTax(x, vat, &tax_text, &basis_text);
  // BR-CO-25: a positive amount due needs a due date or payment terms; a
  // credit note has no due date, its terms say how the credit is used.
  if (!d.due_day.empty() || !d.terms.empty()) {
    x.Start("ram:SpecifiedTradePaymentTerms");
    x.Optional("ram:Description", d.terms);
    if (!d.due_day.empty()) {
      x.Start("ram:DueDateDateTime");
      x.Leaf("udt:DateTimeString", d.due_day, "format", "102");
      x.End();
    }
    x.End();
  }
  x.Start("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
  x.Leaf("ram:LineTotalAmount", basis_text);
  x.Leaf("ram:TaxBasisTotalAmount", basis_text);
  x.Leaf("ram:TaxTotalAmount", tax_text, "currencyID", d.currency);
  x.Leaf("ram:GrandTotalAmount", money(d.grand_total));
  x.Leaf("ram:DuePayableAmount", money(d.grand_total));
  x.End();
  if (!d.referenced_invoice.empty()) {
    x.Start("ram:InvoiceReferencedDocument");
    x.Leaf("ram:IssuerAssignedID", d.referenced_invoice);
    x.End();
  }
  x.End();
  x.End();
  x.End();
  return x.Finish();
}

}  // namespace

CiiParty CiiPartyFromCustomer(const v1::Customer& customer) {
  CiiParty p;
  const std::string& id = customer.external_ref().id();
  const size_t colon = id.find(':');
  if (colon != std::string::npos) {
    const std::string scheme = id.substr(0, colon);
    const bool icd = scheme.size() == 4 &&
                     absl::ascii_isdigit(static_cast<unsigned char>(scheme[0])) &&
                     absl::ascii_isdigit(static_cast<unsigned char>(scheme[3]));
    if (icd) {
      p.global_id_scheme = scheme;
      p.global_id = id.substr(colon + 1);
    } else if (scheme == "VA") {
      p.vat_id = id.substr(colon + 1);
    }
  }
  p.name = customer.display_name();
  p.country_code = customer.country_code();
  for (const auto& contact : customer.contacts()) {
    for (const auto& ch : contact.channels()) {
      if (ch.type() == v1::ContactChannel::EMAIL && p.email.empty()) p.email = ch.address();
    }
  }
  return p;
}

absl::StatusOr<std::string> WriteCiiInvoice(const v1::Invoice& invoice, const CiiParty& buyer,
                                            const CiiWriteOptions& options) {
  Doc d;
  d.number = invoice.number();
  d.type_code = "380";
  d.currency = invoice.currency_code();
  d.issue_day = Day(invoice.issue_date());
  d.due_day = Day(invoice.due_date());
  d.payment_reference = invoice.payment_reference();
  d.tax = invoice.tax().minor_units();
  d.grand_total = invoice.total().minor_units();
  ASSIGN_OR_RETURN(int64_t net, CheckedAdd(d.grand_total, -d.tax, "net amount"));
  int64_t lines_sum = 0;
  for (int i = 0; i < invoice.lines_size(); ++i) {
    const v1::InvoiceLine& l = invoice.lines(i);
    Line line;
    line.id = l.line_id().empty() ? absl::StrCat(i + 1) : l.line_id();
    line.name = l.description().empty() ? "Item" : l.description();
    line.amount = l.amount().minor_units();
    line.quantity_milli = l.quantity_milli() != 0 ? l.quantity_milli() : 1000;
    line.unit_price = l.has_unit_price() ? l.unit_price().minor_units() : line.amount;
    ASSIGN_OR_RETURN(lines_sum, CheckedAdd(lines_sum, line.amount, "line total"));
    d.lines.push_back(std::move(line));
  }
  // Ledger lines that do not add up to the net amount (or none) are
  // replaced by one line for the whole net amount, so that BR-CO-10 holds.
  if (d.lines.empty() || lines_sum != net) {
    d.lines.clear();
    const std::string what = invoice.lines_size() > 0 && !invoice.lines(0).description().empty()
                                 ? invoice.lines(0).description()
                                 : absl::StrCat("Invoice ", invoice.number());
    d.lines.push_back(Line{"1", what, 1000, net, net});
  }
  return Write(d, buyer, options);
}

std::vector<std::string> FacturXPageLines(const v1::SyncRecord& record, const CiiParty& buyer,
                                          const CiiWriteOptions& options) {
  auto date = [](const v1::Date& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year(), d.month(), d.day());
    return std::string(buf);
  };
  auto money = [](const v1::Money& m) {
    return absl::StrCat(m.currency_code(), " ",
                        domain::FormatDecimal(m.minor_units(), m.currency_code()));
  };
  std::vector<std::string> lines;
  if (record.has_invoice()) {
    const v1::Invoice& inv = record.invoice();
    lines.push_back(absl::StrCat("Invoice ", inv.number()));
    lines.push_back(absl::StrCat("From: ", options.seller.name, "   To: ", buyer.name));
    lines.push_back(
        absl::StrCat("Issued ", date(inv.issue_date()), ", due ", date(inv.due_date())));
    for (const auto& l : inv.lines())
      lines.push_back(absl::StrCat("  ", l.description(), "  ", money(l.amount())));
    if (inv.tax().minor_units() != 0) lines.push_back(absl::StrCat("VAT ", money(inv.tax())));
    lines.push_back(absl::StrCat("Total due ", money(inv.total())));
    if (!options.payee_iban.empty())
      lines.push_back(absl::StrCat("Pay to IBAN ", options.payee_iban));
    if (!inv.payment_reference().empty())
      lines.push_back(absl::StrCat("Reference ", inv.payment_reference()));
  } else {
    const v1::CreditNote& cn = record.credit_note();
    lines.push_back(absl::StrCat("Credit note ", cn.number()));
    lines.push_back(absl::StrCat("From: ", options.seller.name, "   To: ", buyer.name));
    lines.push_back(absl::StrCat("Issued ", date(cn.issue_date())));
    if (!cn.reason().empty()) lines.push_back(cn.reason());
    lines.push_back(absl::StrCat("Credited ", money(cn.amount())));
  }
  lines.push_back("The structured invoice (EN 16931 CII) is embedded as factur-x.xml.");
  return lines;
}

absl::StatusOr<std::string> WriteCiiCreditNote(const v1::CreditNote& credit, const CiiParty& buyer,
                                               const CiiWriteOptions& options) {
  Doc d;
  d.invoice = false;
  d.number = credit.number();
  d.type_code = "381";
  d.currency = credit.amount().currency_code();
  d.issue_day = Day(credit.issue_date());
  d.note = credit.reason();
  d.grand_total = credit.amount().minor_units();
  d.terms = options.credit_terms;
  // The credited invoice: its number, or the last segment of its resource
  // name when the service gave the name only.
  d.referenced_invoice = credit.invoice_number();
  if (d.referenced_invoice.empty() && !credit.invoice().empty()) {
    d.referenced_invoice = credit.invoice().substr(credit.invoice().rfind('/') + 1);
  }
  const std::string what =
      credit.reason().empty() ? absl::StrCat("Credit note ", credit.number()) : credit.reason();
  d.lines.push_back(Line{"1", what, 1000, d.grand_total, d.grand_total});
  return Write(d, buyer, options);
}

absl::StatusOr<std::string> WriteCiiDocument(const v1::SyncRecord& record,
                                             const v1::Customer& owner,
                                             const CiiWriteOptions& options, bool facturx) {
  const CiiParty buyer = CiiPartyFromCustomer(owner);
  absl::StatusOr<std::string> xml = record.has_invoice()
                                        ? WriteCiiInvoice(record.invoice(), buyer, options)
                                        : WriteCiiCreditNote(record.credit_note(), buyer, options);
  if (!xml.ok() || !facturx) return xml;
  const v1::Date& d =
      record.has_invoice() ? record.invoice().issue_date() : record.credit_note().issue_date();
  FacturXPdfOptions pdf;
  pdf.title = record.has_invoice() ? absl::StrCat("Invoice ", record.invoice().number())
                                   : absl::StrCat("Credit note ", record.credit_note().number());
  pdf.document_date = absl::StrFormat("%04d-%02d-%02dT00:00:00Z", d.year(), d.month(), d.day());
  return WriteFacturXPdf(*xml, FacturXPageLines(record, buyer, options), pdf);
}

}  // namespace collections::connectors
