#include "connectors/cii/parse_cii.h"

#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/cii/facturx_pdf.h"
#include "connectors/common/values.h"
#include "connectors/common/xml_stream.h"
#include "connectors/einvoice/document.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

constexpr absl::string_view kDefaultSourceSystem = "cii";
constexpr absl::string_view kCiiNs = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
// A PDF is read whole (qpdf needs random access); larger inputs are refused.
constexpr size_t kMaxPdfBytes = size_t{256} << 20;

std::string Trim(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

// A line as read, amounts still text: the currency (BT-5) comes after the
// lines in CII, so they are converted once the settlement has been read.
struct RawLine {
  Location where;
  std::string line_id, description, quantity, price, price_basis, amount;
};

class CiiParser {
 public:
  CiiParser(const ParseOptions& options, std::string file, const RecordSink& on_record,
            const IssueSink& on_issue, CiiStats* stats)
      : options_(options),
        file_(std::move(file)),
        on_record_(on_record),
        on_issue_(on_issue),
        stats_(stats) {}

  absl::Status Run(XmlStreamReader& r) {
    ASSIGN_OR_RETURN(bool any, r.Next());
    while (any && r.kind() != XmlStreamReader::NodeKind::kStartElement) {
      ASSIGN_OR_RETURN(any, r.Next());
    }
    if (!any)
      return InputError("CII_UNKNOWN_ROOT", Location{file_, 0, 0, "/"},
                        "the document has no root element");
    const Location root_at{file_, r.line(), 0, r.path()};
    if (r.local_name() == "CrossIndustryDocument") {
      return InputError("CII_UNSUPPORTED_VERSION", root_at,
                        "ZUGFeRD 1.0 (CrossIndustryDocument) is not supported; CII D16B "
                        "(CrossIndustryInvoice, ZUGFeRD 2 / Factur-X / XRechnung) is");
    }
    if (r.local_name() != "CrossIndustryInvoice" || r.namespace_uri() != kCiiNs) {
      return InputError(
          "CII_UNKNOWN_ROOT", root_at,
          absl::StrCat("not a CII invoice: root {", r.namespace_uri(), "}", r.local_name()));
    }
    doc_.document = root_at;
    bool saw_transaction = false;
    while (true) {
      ASSIGN_OR_RETURN(bool more, r.Next());
      if (!more) break;
      if (r.kind() != XmlStreamReader::NodeKind::kStartElement) continue;
      if (r.depth() == 1) {
        if (r.local_name() == "ExchangedDocumentContext") {
          ASSIGN_OR_RETURN(XmlElement e, r.ReadSubtree());
          stats_->profile = e.TextAt("GuidelineSpecifiedDocumentContextParameter/ID");
        } else if (r.local_name() == "ExchangedDocument") {
          ASSIGN_OR_RETURN(exchanged_, r.ReadSubtree());
        } else if (r.local_name() == "SupplyChainTradeTransaction") {
          saw_transaction = true;
        } else {
          RETURN_IF_ERROR(r.SkipElement());
        }
      } else if (r.depth() == 2 && saw_transaction) {
        if (r.local_name() == "IncludedSupplyChainTradeLineItem") {
          ASSIGN_OR_RETURN(XmlElement line, r.ReadSubtree());
          ReadLine(line);
        } else if (r.local_name() == "ApplicableHeaderTradeAgreement") {
          ASSIGN_OR_RETURN(agreement_, r.ReadSubtree());
        } else if (r.local_name() == "ApplicableHeaderTradeSettlement") {
          ASSIGN_OR_RETURN(settlement_, r.ReadSubtree());
        } else {
          RETURN_IF_ERROR(r.SkipElement());
        }
      }
    }
    Build();
    return absl::OkStatus();
  }

 private:
  Location At(const XmlElement& e) const { return Location{file_, e.line, 0, e.path}; }
  // Where `child` of `parent` is, or would be.
  Location AtChild(const XmlElement& parent, absl::string_view child) const {
    const XmlElement* e = parent.Find(child);
    if (e != nullptr) return At(*e);
    Location l = At(parent);
    absl::StrAppend(&l.xpath, "/", child);
    return l;
  }
  void Issue(const Location& where, absl::string_view field, absl::string_view reason,
             absl::string_view description) {
    failed_ = true;
    on_issue_(ParseIssue{where, std::string(field), std::string(reason), std::string(description)});
  }
  void IssueFrom(const Location& where, absl::string_view field, const absl::Status& status) {
    failed_ = true;
    on_issue_(IssueFromStatus(status, where, field));
  }
  // Records where a logical field was read and how CII spells it.
  void Note(const std::string& field, const Location& where, const std::string& name) {
    doc_.where[field] = where;
    doc_.field_names[field] = name;
  }

  void ReadLine(const XmlElement& l) {
    ++stats_->lines;
    ++doc_.line_count;
    if (static_cast<int64_t>(raw_lines_.size()) >= kMaxKeptLines) return;
    RawLine raw;
    raw.where = At(l);
    raw.line_id = l.TextAt("AssociatedDocumentLineDocument/LineID");
    raw.description = l.TextAt("SpecifiedTradeProduct/Name");
    if (raw.description.empty()) raw.description = l.TextAt("SpecifiedTradeProduct/Description");
    raw.quantity = l.TextAt("SpecifiedLineTradeDelivery/BilledQuantity");
    raw.price = l.TextAt("SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount");
    raw.price_basis =
        l.TextAt("SpecifiedLineTradeAgreement/NetPriceProductTradePrice/BasisQuantity");
    raw.amount = l.TextAt(
        "SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/"
        "LineTotalAmount");
    raw_lines_.push_back(std::move(raw));
  }

  // An amount of the invoice currency at `path` under `parent`.
  std::optional<int64_t> Amount(const XmlElement& parent, absl::string_view path,
                                const std::string& field, bool required) {
    const std::string name = absl::StrCat("ram:", path.substr(path.rfind('/') + 1));
    const XmlElement* e = nullptr;
    // Repeated amounts (TaxTotalAmount) may be stated in the VAT accounting
    // currency too: take the one in the invoice currency.
    for (const XmlElement* c : parent.FindAll(path)) {
      const auto cur = c->Attribute("currencyID");
      if (!cur || Trim(*cur).empty() || Trim(*cur) == doc_.currency) {
        e = c;
        break;
      }
      if (e == nullptr && path != "TaxTotalAmount") e = c;
    }
    if (e == nullptr) {
      if (required)
        Issue(AtChild(parent, path), name, "MISSING_FIELD", absl::StrCat(name, " is required"));
      return std::nullopt;
    }
    Note(field, At(*e), name);
    const auto cur = e->Attribute("currencyID");
    if (cur && !Trim(*cur).empty() && Trim(*cur) != doc_.currency) {
      Issue(At(*e), name, "CURRENCY_MISMATCH",
            absl::StrCat("currencyID ", *cur, " differs from InvoiceCurrencyCode ", doc_.currency));
      return std::nullopt;
    }
    auto v = ParseAmount(e->text, doc_.currency, options_.amounts);
    if (!v.ok()) {
      IssueFrom(At(*e), name, v.status());
      return std::nullopt;
    }
    return *v;
  }

  std::optional<absl::CivilDay> Day(const XmlElement& parent, absl::string_view path,
                                    const std::string& field, absl::string_view name) {
    const XmlElement* e = parent.Find(path);
    if (e == nullptr) return std::nullopt;
    Note(field, At(*e), std::string(name));
    auto d = ParseDateFormat(e->text, e->Attribute("format").value_or("102"));
    if (!d.ok()) {
      IssueFrom(At(*e), name, d.status());
      return std::nullopt;
    }
    return *d;
  }

  void Build() {
    if (exchanged_.name.empty()) {
      return Issue(doc_.document, "rsm:ExchangedDocument", "MISSING_FIELD",
                   "the ExchangedDocument (number, type, date) is required");
    }
    if (settlement_.name.empty()) {
      return Issue(doc_.document, "ram:ApplicableHeaderTradeSettlement", "MISSING_FIELD",
                   "the ApplicableHeaderTradeSettlement (currency, totals) is required");
    }
    doc_.number = Trim(exchanged_.TextAt("ID"));
    Note("number", AtChild(exchanged_, "ID"), "ram:ID");
    doc_.type_code = Trim(exchanged_.TextAt("TypeCode"));
    Note("type", AtChild(exchanged_, "TypeCode"), "ram:TypeCode");
    doc_.note = Trim(exchanged_.TextAt("IncludedNote/Content"));
    auto issue_date =
        Day(exchanged_, "IssueDateTime/DateTimeString", "issue_date", "udt:DateTimeString");
    if (!issue_date && !failed_) {
      Issue(AtChild(exchanged_, "IssueDateTime"), "ram:IssueDateTime", "MISSING_FIELD",
            "the issue date is required");
    }
    doc_.currency = absl::AsciiStrToUpper(Trim(settlement_.TextAt("InvoiceCurrencyCode")));
    Note("currency", AtChild(settlement_, "InvoiceCurrencyCode"), "ram:InvoiceCurrencyCode");
    if (!domain::IsKnownCurrency(doc_.currency)) {
      return Issue(doc_.where["currency"], "ram:InvoiceCurrencyCode",
                   doc_.currency.empty() ? "MISSING_CURRENCY" : "UNKNOWN_CURRENCY",
                   absl::StrCat("\"", doc_.currency, "\" is not an ISO 4217 code"));
    }
    if (issue_date) doc_.issue_date = *issue_date;
    ReadSettlement();
    ReadBuyer();
    ConvertLines();
    if (failed_) return;
    MappedEInvoice mapped =
        MapEInvoice(doc_, EInvoiceMapOptions{Source(), options_.default_customer_kind});
    if (mapped.issue) return on_issue_(*mapped.issue);
    for (ParsedRecord& r : mapped.records) on_record_(std::move(r));
  }

  std::string Source() const {
    return options_.source_system.empty() ? std::string(kDefaultSourceSystem)
                                          : options_.source_system;
  }

  void ReadSettlement() {
    const XmlElement& s = settlement_;
    doc_.payment_reference = Trim(s.TextAt("PaymentReference"));
    std::vector<std::string> terms;
    for (const XmlElement* t : s.Children("SpecifiedTradePaymentTerms")) {
      const std::string text = t->TextAt("Description");
      if (!Trim(text).empty()) terms.push_back(Trim(text));
      // EXTENDED: structured discount terms (ApplicableTradePaymentDiscountTerms).
      for (const XmlElement* d : t->Children("ApplicableTradePaymentDiscountTerms")) {
        const std::string days = Trim(d->TextAt("BasisPeriodMeasure"));
        const std::string percent = Trim(d->TextAt("CalculationPercent"));
        if (!days.empty() && !percent.empty()) {
          terms.push_back(absl::StrCat("discount ", percent, " % within ", days, " days"));
        }
      }
      if (!doc_.due_date && t->Find("DueDateDateTime/DateTimeString") != nullptr) {
        doc_.due_date =
            Day(*t, "DueDateDateTime/DateTimeString", "due_date", "ram:DueDateDateTime");
      }
      if (doc_.mandate_reference.empty())
        doc_.mandate_reference = Trim(t->TextAt("DirectDebitMandateID"));
    }
    doc_.terms_text = absl::StrJoin(terms, "\n");
    for (const XmlElement* ref : s.Children("InvoiceReferencedDocument")) {
      const std::string id = Trim(ref->TextAt("IssuerAssignedID"));
      if (!id.empty()) doc_.referenced_invoices.push_back(id);
    }
    const XmlElement* sum = s.Child("SpecifiedTradeSettlementHeaderMonetarySummation");
    if (sum == nullptr) {
      return Issue(AtChild(s, "SpecifiedTradeSettlementHeaderMonetarySummation"),
                   "ram:SpecifiedTradeSettlementHeaderMonetarySummation", "MISSING_FIELD",
                   "the document totals are required");
    }
    doc_.total = Amount(*sum, "GrandTotalAmount", "total", true);
    doc_.tax = Amount(*sum, "TaxTotalAmount", "tax", false);
    doc_.rounding = Amount(*sum, "RoundingAmount", "rounding", false);
    doc_.prepaid = Amount(*sum, "TotalPrepaidAmount", "prepaid", false);
    doc_.due_payable = Amount(*sum, "DuePayableAmount", "due_payable", true);
    Note("tax", doc_.where.count("tax") ? doc_.where["tax"] : At(*sum), "ram:TaxTotalAmount");
    if (!doc_.where.count("due_date"))
      Note("due_date", AtChild(s, "SpecifiedTradePaymentTerms"), "ram:DueDateDateTime");
  }

  void ReadBuyer() {
    const XmlElement* b = agreement_.name.empty() ? nullptr : agreement_.Child("BuyerTradeParty");
    if (b == nullptr) {
      return Issue(agreement_.name.empty() ? doc_.document : AtChild(agreement_, "BuyerTradeParty"),
                   "ram:BuyerTradeParty", "MISSING_FIELD", "the buyer is required");
    }
    Note("buyer", At(*b), "ram:BuyerTradeParty");
    EInvoiceParty& p = doc_.buyer;
    p.name = Trim(b->TextAt("Name"));
    // BT-46 buyer identifier: GlobalID with an ISO 6523 scheme, else ID;
    // then the legal registration (BT-47).
    for (absl::string_view path : {"GlobalID", "ID", "SpecifiedLegalOrganization/ID"}) {
      for (const XmlElement* e : b->FindAll(path)) {
        const std::string v = Trim(e->text);
        if (v.empty()) continue;
        const std::string scheme = Trim(e->Attribute("schemeID").value_or(""));
        p.id = scheme.empty() ? v : absl::StrCat(scheme, ":", v);
        break;
      }
      if (!p.id.empty()) break;
    }
    for (const XmlElement* t : b->Children("SpecifiedTaxRegistration")) {
      const XmlElement* id = t->Child("ID");
      if (id != nullptr && Trim(id->Attribute("schemeID").value_or("")) == "VA")
        p.vat_id = Trim(id->text);
    }
    if (const XmlElement* a = b->Child("PostalTradeAddress")) {
      p.country_code = absl::AsciiStrToUpper(Trim(a->TextAt("CountryID")));
      for (absl::string_view path : {"LineOne", "LineTwo", "LineThree", "PostcodeCode", "CityName",
                                     "CountrySubDivisionName", "CountryID"}) {
        const std::string v = Trim(a->TextAt(path));
        if (!v.empty()) p.address_lines.push_back(v);
      }
    }
    p.contact_name = Trim(b->TextAt("DefinedTradeContact/PersonName"));
    p.phone = Trim(b->TextAt("DefinedTradeContact/TelephoneUniversalCommunication/CompleteNumber"));
    p.email = Trim(b->TextAt("DefinedTradeContact/EmailURIUniversalCommunication/URIID"));
    if (p.email.empty()) {
      // BT-49, the buyer's electronic address, when its scheme is e-mail.
      const XmlElement* uri = b->Find("URIUniversalCommunication/URIID");
      if (uri != nullptr && Trim(uri->Attribute("schemeID").value_or("")) == "EM")
        p.email = Trim(uri->text);
    }
  }

  void ConvertLines() {
    for (const RawLine& raw : raw_lines_) {
      EInvoiceLine line;
      line.line_id = raw.line_id;
      line.description = raw.description;
      auto amount = ParseAmount(raw.amount, doc_.currency, options_.amounts);
      if (!amount.ok()) {
        return IssueFrom(raw.where, "ram:LineTotalAmount", amount.status());
      }
      line.amount = *amount;
      if (!raw.quantity.empty()) {
        auto q = ParseQuantityMilli(raw.quantity);
        if (!q.ok()) return IssueFrom(raw.where, "ram:BilledQuantity", q.status());
        line.quantity_milli = *q;
      }
      if (!raw.price.empty()) {
        int64_t basis = 1000;
        if (!raw.price_basis.empty()) {
          auto b = ParseQuantityMilli(raw.price_basis);
          if (b.ok() && *b > 0) basis = *b;
        }
        auto price = ParseUnitPrice(raw.price, doc_.currency, basis, options_.amounts);
        if (!price.ok()) return IssueFrom(raw.where, "ram:ChargeAmount", price.status());
        line.unit_price = *price;
      }
      doc_.lines.push_back(std::move(line));
    }
  }

  const ParseOptions& options_;
  std::string file_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  CiiStats* stats_;
  EInvoice doc_;
  XmlElement exchanged_, agreement_, settlement_;
  std::vector<RawLine> raw_lines_;
  bool failed_ = false;
};

}  // namespace

absl::Status ParseCii(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue, CiiStats* stats) {
  CiiStats local;
  if (stats == nullptr) stats = &local;
  const std::string name = options.file_name.empty() ? "<input>" : options.file_name;
  // Peek at the head to tell a PDF from XML without consuming the stream.
  char head[1024];
  in.read(head, sizeof head);
  const std::string first(head, static_cast<size_t>(in.gcount()));
  in.clear();
  if (LooksLikePdf(first)) {
    std::string bytes = first;
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      bytes.append(buf, static_cast<size_t>(in.gcount()));
      if (bytes.size() > kMaxPdfBytes) {
        return InputError("PDF_TOO_LARGE", Location{name, 0, 0, ""},
                          absl::StrCat("a Factur-X PDF is read whole; this one exceeds ",
                                       kMaxPdfBytes >> 20, " MB"));
      }
    }
    auto embedded = ExtractEmbeddedInvoice(bytes, name);
    if (!embedded.ok()) {
      return InputError(domain::ReasonOf(embedded.status()), Location{name, 0, 0, ""},
                        embedded.status().message());
    }
    bytes.clear();
    stats->embedded_file = embedded->file_name;
    const std::string inner = absl::StrCat(name, "#", embedded->file_name);
    ASSIGN_OR_RETURN(std::unique_ptr<XmlStreamReader> reader,
                     XmlStreamReader::FromBytes(embedded->xml, inner));
    CiiParser parser(options, inner, on_record, on_issue, stats);
    return parser.Run(*reader);
  }
  // XML: replay the head, then the rest of the stream.
  size_t head_pos = 0;
  XmlStreamReader::ReadFn read = [&](char* buf, int len) -> int {
    if (head_pos < first.size()) {
      const size_t n = std::min(first.size() - head_pos, static_cast<size_t>(len));
      std::copy_n(first.data() + head_pos, n, buf);
      head_pos += n;
      return static_cast<int>(n);
    }
    in.read(buf, len);
    if (in.bad()) return -1;
    return static_cast<int>(in.gcount());
  };
  ASSIGN_OR_RETURN(std::unique_ptr<XmlStreamReader> reader,
                   XmlStreamReader::FromReadFn(read, name));
  CiiParser parser(options, name, on_record, on_issue, stats);
  return parser.Run(*reader);
}

}  // namespace collections::connectors
