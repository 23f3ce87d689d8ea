#include "connectors/edifact/parse_edifact.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "connectors/edifact/edifact_messages.h"
#include "connectors/einvoice/document.h"
#include "connectors/einvoice/edi_segments.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace edifact_internal {

std::string FieldName(const EdiSegment& s, size_t element) {
  // "MOA+9", "DTM+137", "BGM02": a qualified segment by its qualifier.
  const std::string q = s.Get(1);
  if ((s.tag == "MOA" || s.tag == "DTM" || s.tag == "RFF" || s.tag == "NAD" || s.tag == "QTY" ||
       s.tag == "PRI") &&
      !q.empty()) {
    return absl::StrCat(s.tag, "+", q);
  }
  return element == 0 ? s.tag : absl::StrCat(s.tag, element < 10 ? "0" : "", element);
}

}  // namespace edifact_internal

namespace {

namespace v1 = ::collections_sidecar::v1;
using edifact_internal::Decoder;
using edifact_internal::FieldName;
using edifact_internal::kDefaultSourceSystem;
using edifact_internal::Message;

const char* CharsetOf(absl::string_view syntax_id) {
  static const std::map<std::string, const char*, std::less<>> kSets = {
      {"UNOA", "ISO-8859-1"}, {"UNOB", "ISO-8859-1"}, {"UNOC", "ISO-8859-1"},
      {"UNOD", "ISO-8859-2"}, {"UNOE", "ISO-8859-5"}, {"UNOF", "ISO-8859-7"},
      {"UNOG", "ISO-8859-3"}, {"UNOH", "ISO-8859-4"}, {"UNOI", "ISO-8859-6"},
      {"UNOJ", "ISO-8859-8"}, {"UNOK", "ISO-8859-9"}, {"UNOW", "UTF-8"},
      {"UNOY", "UTF-8"}};
  auto it = kSets.find(syntax_id);
  return it == kSets.end() ? nullptr : it->second;
}

// ---------------------------------------------------------------- INVOIC

class InvoicMessage : public Message {
 public:
  InvoicMessage(const std::string& file, const ParseOptions& options, const RecordSink& on_record,
                const IssueSink& on_issue, const Decoder& decode, const EdiSegment& unh)
      : Message(file, options.amounts, on_issue, decode, unh),
        options_(options),
        on_record_(on_record) {
    doc_.document = start_;
    currency_ = absl::AsciiStrToUpper(options.default_currency);
  }

  void OnSegment(const EdiSegment& s) override {
    if (failed_) return;
    const std::string& t = s.tag;
    if (t == "BGM") {
      doc_.type_code = s.Get(1, 1);
      doc_.number = Text(s, 2, 1);
      doc_.document = At(s, 0);
      Note("type", s, 1, "BGM01");
      Note("number", s, 2, "BGM02");
      return;
    }
    if (t == "UNS") {
      summary_ = true;
      group_ = "UNS";
      return;
    }
    if (t == "LIN") return OnLin(s);
    if (t == "DTM") return OnDtm(s);
    if (t == "FTX") {
      if (s.Get(1) == "AAB" && group_.empty()) AddTerms(JoinText(s, 4));
      if (s.Get(1) == "AAB" && (group_ == "PAT" || group_ == "PYT")) AddTerms(JoinText(s, 4));
      if (doc_.note.empty() && (s.Get(1) == "GEN" || s.Get(1) == "AAI") && group_.empty()) {
        doc_.note = JoinText(s, 4);
      }
      return;
    }
    if (t == "RFF") return OnRff(s);
    if (t == "NAD") return OnNad(s);
    if (t == "CTA" || t == "COM") return OnContact(s);
    if (t == "CUX") {
      group_ = "CUX";
      if (s.Get(1, 1) == "2" && doc_.currency.empty()) {
        doc_.currency = absl::AsciiStrToUpper(s.Get(1, 2));
        Note("currency", s, 1, "CUX");
      }
      return;
    }
    if (t == "PAT" || t == "PYT") return OnTerms(s);
    if (t == "PCD") {
      if ((group_ == "PAT" || group_ == "PYT") && !s.Get(1, 2).empty()) {
        AddTerms(absl::StrCat(s.Get(1, 2), " % discount"));
      }
      return;
    }
    if (t == "PAI") {
      group_.clear();
      return;
    }
    if (t == "MOA") return OnMoa(s);
    if (t == "IMD") {
      if (line_ != nullptr && line_->description.empty()) line_->description = JoinText(s, 3, 4);
      return;
    }
    if (t == "QTY") {
      if (line_ != nullptr && s.Get(1, 1) == "47") {
        auto q = ParseQuantityMilli(s.Get(1, 2));
        if (!q.ok()) return FailFrom(s, 1, q.status());
        line_->quantity_milli = *q;
      }
      return;
    }
    if (t == "PRI") {
      if (line_ != nullptr && s.Get(1, 1) == "AAA" && !line_->unit_price) {
        const std::string cur = Currency();
        if (!domain::IsKnownCurrency(cur)) return;  // reported at the totals
        std::string text = s.Get(1, 2);
        std::replace(text.begin(), text.end(), ',', '.');
        int64_t basis = 1000;
        if (!s.Get(1, 5).empty()) {
          auto b = ParseQuantityMilli(s.Get(1, 5));
          if (b.ok() && *b > 0) basis = *b;
        }
        auto p = ParseUnitPrice(text, cur, basis, amounts_);
        if (!p.ok()) return FailFrom(s, 1, p.status());
        line_->unit_price = *p;
      }
      return;
    }
    // Segments that open other groups end the current one.
    if (t == "ALC" || t == "TAX" || t == "LOC" || t == "TOD" || t == "PAC" || t == "EQD" ||
        t == "FII" || t == "CNT") {
      if (t == "FII")
        group_ = "FII";
      else if (group_ != "UNS")
        group_ = t;
    }
  }

  void Finish() override {
    if (failed_) return;
    doc_.currency = Currency();
    if (!doc_.where.count("currency")) Note("currency", start_, "CUX");
    const char* total_codes[] = {"388", "77", "86", "39", "128"};
    for (const char* code : total_codes) {
      if (auto it = totals_.find(code); it != totals_.end()) {
        doc_.total = it->second.first;
        doc_.where["total"] = it->second.second;
        doc_.field_names["total"] = absl::StrCat("MOA+", code);
        break;
      }
    }
    if (!doc_.total) Note("total", start_, "MOA+388");
    auto take = [&](const char* code, const char* field, std::optional<int64_t>* out) {
      if (auto it = totals_.find(code); it != totals_.end()) {
        *out = it->second.first;
        doc_.where[field] = it->second.second;
        doc_.field_names[field] = absl::StrCat("MOA+", code);
      }
    };
    take("176", "tax", &doc_.tax);
    take("113", "prepaid", &doc_.prepaid);
    take("9", "due_payable", &doc_.due_payable);
    const char* parties[] = {"IV", "BY"};
    for (const char* q : parties) {
      if (auto it = parties_.find(q); it != parties_.end()) {
        doc_.buyer = it->second.first;
        doc_.where["buyer"] = it->second.second;
        doc_.field_names["buyer"] = absl::StrCat("NAD+", q);
        break;
      }
    }
    if (!doc_.where.count("buyer")) {
      failed_ = true;
      return on_issue_(ParseIssue{doc_.document, "NAD+BY", "MISSING_FIELD",
                                  "the message names no invoicee (NAD+IV) or buyer (NAD+BY)"});
    }
    if (!have_issue_date_) {
      failed_ = true;
      return on_issue_(ParseIssue{doc_.document, "DTM+137", "MISSING_FIELD",
                                  "the document date (DTM+137) is required"});
    }
    if (months_terms_ && !doc_.due_date) {
      // "n months after the invoice date": the same day n months later,
      // clamped to the month's end.
      const absl::CivilMonth m = absl::CivilMonth(doc_.issue_date) + *months_terms_;
      absl::CivilDay d(m.year(), m.month(), doc_.issue_date.day());
      if (absl::CivilMonth(d) != m) d = absl::CivilDay(absl::CivilMonth(m + 1)) - 1;
      doc_.due_date = d;
    }
    MappedEInvoice mapped =
        MapEInvoice(doc_, EInvoiceMapOptions{Source(), options_.default_customer_kind});
    if (mapped.issue) {
      failed_ = true;
      return on_issue_(*mapped.issue);
    }
    for (ParsedRecord& r : mapped.records) on_record_(std::move(r));
  }

 private:
  std::string Currency() const { return doc_.currency.empty() ? currency_ : doc_.currency; }
  std::string Source() const {
    return options_.source_system.empty() ? std::string(kDefaultSourceSystem)
                                          : options_.source_system;
  }
  void Note(const std::string& field, const EdiSegment& s, size_t element,
            const std::string& name) {
    Note(field, At(s, element), name);
  }
  void Note(const std::string& field, const Location& where, const std::string& name) {
    doc_.where[field] = where;
    doc_.field_names[field] = name;
  }
  // Components `from`.. of element `i` joined (FTX text C108, IMD C273).
  std::string JoinText(const EdiSegment& s, size_t i, size_t from = 1) const {
    std::vector<std::string> parts;
    if (i <= s.size()) {
      for (size_t j = from; j <= s.elements[i - 1].size(); ++j) {
        const std::string v = Text(s, i, j);
        if (!v.empty()) parts.push_back(v);
      }
    }
    return absl::StrJoin(parts, " ");
  }
  void AddTerms(const std::string& text) {
    if (text.empty()) return;
    if (!doc_.terms_text.empty()) doc_.terms_text += "\n";
    doc_.terms_text += text;
  }

  void OnLin(const EdiSegment& s) {
    group_ = "LIN";
    ++doc_.line_count;
    line_ = nullptr;
    if (static_cast<int64_t>(doc_.lines.size()) >= kMaxKeptLines) return;
    doc_.lines.emplace_back();
    line_ = &doc_.lines.back();
    line_->line_id = Text(s, 1);
  }

  void OnDtm(const EdiSegment& s) {
    const std::string q = s.Get(1, 1);
    const bool header = group_.empty();
    const bool terms = group_ == "PAT" || group_ == "PYT";
    if ((q == "137" && header) || (q == "3" && header && !have_issue_date_)) {
      auto d = Date(s);
      if (!d) return;
      if (q == "137" || !have_issue_date_) {
        doc_.issue_date = *d;
        have_issue_date_ = true;
        Note("issue_date", s, 1, absl::StrCat("DTM+", q));
      }
    } else if ((q == "13" || q == "140") && (header || terms) && !doc_.due_date) {
      auto d = Date(s);
      if (!d) return;
      doc_.due_date = *d;
      Note("due_date", s, 1, absl::StrCat("DTM+", q));
    }
  }

  void OnRff(const EdiSegment& s) {
    if (group_ == "LIN" || summary_) return;
    const std::string q = s.Get(1, 1);
    if (group_.empty() || group_ == "RFF") {
      group_ = "RFF";
      if (q == "OI" && !s.Get(1, 2).empty()) doc_.referenced_invoices.push_back(Text(s, 1, 2));
      if (q == "PQ" && doc_.payment_reference.empty()) doc_.payment_reference = Text(s, 1, 2);
      return;
    }
    if (group_ == "NAD" && party_ != nullptr && q == "VA") party_->vat_id = Text(s, 1, 2);
  }

  void OnNad(const EdiSegment& s) {
    group_ = "NAD";
    party_ = nullptr;
    const std::string q = s.Get(1);
    if (q != "IV" && q != "BY") return;
    auto& [p, where] = parties_[q];
    where = At(s, 0);
    p.id = PartyId(s);
    std::vector<std::string> name;
    for (size_t j = 1; j <= 5; ++j) {
      if (!Text(s, 4, j).empty()) name.push_back(Text(s, 4, j));
    }
    p.name = absl::StrJoin(name, " ");
    if (p.name.empty()) p.name = Text(s, 3, 1);  // C058 unstructured name and address
    for (size_t j = 1; j <= 4; ++j) {
      if (!Text(s, 5, j).empty()) p.address_lines.push_back(Text(s, 5, j));
    }
    const std::string city_line = absl::StrJoin({Text(s, 8), Text(s, 6)}, " ");
    if (!absl::StripAsciiWhitespace(city_line).empty()) {
      p.address_lines.push_back(std::string(absl::StripAsciiWhitespace(city_line)));
    }
    p.country_code = absl::AsciiStrToUpper(s.Get(9));
    if (!p.country_code.empty()) p.address_lines.push_back(p.country_code);
    party_ = &p;
  }

  void OnContact(const EdiSegment& s) {
    if (group_ != "NAD" || party_ == nullptr) return;
    if (s.tag == "CTA") {
      if (party_->contact_name.empty()) party_->contact_name = Text(s, 2, 2);
      return;
    }
    const std::string kind = s.Get(1, 2);
    if (kind == "TE" && party_->phone.empty()) party_->phone = Text(s, 1, 1);
    if (kind == "EM" && party_->email.empty()) party_->email = Text(s, 1, 1);
  }

  void OnTerms(const EdiSegment& s) {
    group_ = s.tag;
    if (!s.Get(3, 4).empty()) doc_.terms_text_is_free = false;
    // C112 (PAT element 3): reference 5 (invoice date), relation 3 (after),
    // period unit D/W/M, number of periods.
    const std::string ref = s.Get(3, 1), relation = s.Get(3, 2), unit = s.Get(3, 3);
    int n = 0;
    if (ref == "5" && relation == "3" && absl::SimpleAtoi(s.Get(3, 4), &n) && n >= 0 && n <= 3650) {
      const std::string kind = s.Get(1);
      std::string what = absl::StrCat(n, unit == "D"   ? " days"
                                         : unit == "W" ? " weeks"
                                         : unit == "M" ? " months"
                                                       : "");
      if (kind == "22") {
        AddTerms(absl::StrCat("discount within ", what, " of the invoice date"));
      } else if (kind == "1" || kind == "3") {
        AddTerms(absl::StrCat("net ", what, " after the invoice date"));
        if (unit == "D") doc_.terms_net_days = n;
        if (unit == "W") doc_.terms_net_days = n * 7;
        if (unit == "M") months_terms_ = n;
      }
    }
    if (s.tag == "PAT" && !Text(s, 2, 4).empty()) AddTerms(Text(s, 2, 4));
  }

  void OnMoa(const EdiSegment& s) {
    const std::string q = s.Get(1, 1);
    if (line_ != nullptr && group_ == "LIN") {
      if (q == "203") {
        auto v = MoaAmount(s, Currency());
        if (v) line_->amount = *v;
      }
      return;
    }
    const bool message_level = summary_ ? group_ == "UNS" : group_.empty() || group_ == "CUX";
    if (!message_level) return;
    static const char* kTotals[] = {"388", "77", "86", "39", "128", "176", "113", "9"};
    for (const char* code : kTotals) {
      if (q != code || totals_.count(q)) continue;
      auto v = MoaAmount(s, Currency());
      if (!v) return;
      totals_[q] = {*v, At(s, 1)};
    }
  }

  const ParseOptions& options_;
  const RecordSink& on_record_;
  EInvoice doc_;
  std::string currency_;
  // The segment group the parser is in: "" (header), "RFF", "NAD", "CUX",
  // "PAT"/"PYT", "ALC", "TAX", "LIN", "UNS" (summary) and others.
  std::string group_;
  bool summary_ = false;
  bool have_issue_date_ = false;
  std::optional<int> months_terms_;
  std::map<std::string, std::pair<int64_t, Location>> totals_;
  std::map<std::string, std::pair<EInvoiceParty, Location>> parties_;
  EInvoiceParty* party_ = nullptr;
  EInvoiceLine* line_ = nullptr;
};

// ------------------------------------------------------------- envelope

class Skipped : public Message {
 public:
  using Message::Message;
  void OnSegment(const EdiSegment&) override {}
  void Finish() override {}
};

class EdifactParser {
 public:
  EdifactParser(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                const IssueSink& on_issue, const EdifactOptions& edifact, EdifactStats* stats)
      : reader_(in),
        options_(options),
        file_(options.file_name.empty() ? "<input>" : options.file_name),
        on_record_(on_record),
        on_issue_(on_issue),
        edifact_(edifact),
        stats_(stats) {}

  absl::Status Run() {
    // ISO 9735 defaults, in force without UNA: : + . ? (space) '.
    reader_.set_delimiters(EdiDelimiters{'+', ':', '\'', '?'});
    RETURN_IF_ERROR(reader_.SkipNoise());
    ASSIGN_OR_RETURN(absl::string_view head, reader_.Peek(3));
    if (head != "UNA" && head != "UNB" && head != "UNH") {
      return InputError("EDIFACT_NO_UNB", Here(),
                        "an EDIFACT interchange starts with UNA, UNB or UNH");
    }
    EdiSegment s;
    while (true) {
      RETURN_IF_ERROR(reader_.SkipNoise());
      ASSIGN_OR_RETURN(head, reader_.Peek(3));
      if (head.empty()) break;
      if (head == "UNA") RETURN_IF_ERROR(ReadUna());
      absl::StatusOr<bool> more = reader_.Next(&s);
      if (!more.ok()) {
        return InputError(domain::ReasonOf(more.status()), Here(), more.status().message());
      }
      if (!*more) break;
      RETURN_IF_ERROR(OnSegment(s));
    }
    if (message_) {
      on_issue_(ParseIssue{
          message_start_, "UNT", "EDIFACT_UNTERMINATED_MESSAGE",
          absl::StrCat("message ", message_ref_, " has no UNT segment: the file is truncated")});
      message_.reset();
    }
    if (in_interchange_)
      Warn(last_, 0, "EDIFACT_MISSING_UNZ", "the interchange has no UNZ segment");
    return absl::OkStatus();
  }

 private:
  Location Here() const { return Location{file_, reader_.line(), reader_.column(), ""}; }

  absl::Status ReadUna() {
    ASSIGN_OR_RETURN(absl::string_view una, reader_.Peek(9));
    if (una.size() < 9)
      return InputError("EDIFACT_BAD_UNA", Here(), "UNA needs six service characters");
    EdiDelimiters d;
    d.component = una[3];
    d.element = una[4];
    d.release = una[6] == ' ' ? '\0' : una[6];
    d.terminator = una[8];
    if (d.component == d.element || d.element == d.terminator || d.component == d.terminator) {
      return InputError("EDIFACT_BAD_UNA", Here(),
                        "UNA names the same character for two delimiters");
    }
    reader_.Consume(9);
    reader_.set_delimiters(d);
    return absl::OkStatus();
  }

  void Warn(const EdiSegment& s, size_t element, absl::string_view reason, absl::string_view why) {
    ++stats_->warnings;
    if (edifact_.on_warning) {
      edifact_.on_warning(ParseIssue{Location{file_, s.line, s.ColumnOf(element), ""},
                                     FieldName(s, element), std::string(reason), std::string(why)});
    }
  }
  void CheckCount(const EdiSegment& s, int64_t actual, absl::string_view what) {
    int64_t stated = 0;
    if (!absl::SimpleAtoi(s.Get(1), &stated) || stated != actual) {
      Warn(s, 1, "EDIFACT_COUNT_MISMATCH",
           absl::StrCat(s.tag, " says ", s.Get(1), " ", what, ", the interchange has ", actual));
    }
  }
  void CheckReference(const EdiSegment& s, const std::string& opening, absl::string_view opener) {
    if (s.Get(2) != opening) {
      Warn(s, 2, "EDIFACT_CONTROL_MISMATCH",
           absl::StrCat(s.tag, " reference ", s.Get(2), " does not match ", opener, " ", opening));
    }
  }

  absl::Status OnSegment(const EdiSegment& s) {
    last_ = s;
    const std::string& t = s.tag;
    if (message_) {
      ++message_segments_;
      if (t == "UNT") {
        CheckCount(s, message_segments_, "segments");
        CheckReference(s, message_ref_, "UNH");
        message_->Finish();
        message_.reset();
        return absl::OkStatus();
      }
      if (t != "UNH" && t != "UNZ" && t != "UNB" && t != "UNE" && t != "UNG") {
        message_->OnSegment(s);
        return absl::OkStatus();
      }
      on_issue_(ParseIssue{message_start_, "UNT", "EDIFACT_UNTERMINATED_MESSAGE",
                           absl::StrCat("message ", message_ref_, " ends without UNT (", t,
                                        " at line ", s.line, ")")});
      message_.reset();
    }
    if (t == "UNB") return OnUnb(s);
    if (t == "UNZ") {
      CheckCount(s, groups_ > 0 ? groups_ : messages_, groups_ > 0 ? "groups" : "messages");
      CheckReference(s, interchange_ref_, "UNB");
      in_interchange_ = false;
      return absl::OkStatus();
    }
    if (t == "UNG") {
      ++groups_;
      return absl::OkStatus();
    }
    if (t == "UNE") return absl::OkStatus();
    if (t == "UNH") {
      StartMessage(s);
      return absl::OkStatus();
    }
    if (t == "UNO") return SkipObject(s);
    if (t == "UNP") return absl::OkStatus();
    Warn(s, 0, "EDIFACT_UNEXPECTED_SEGMENT",
         absl::StrCat("segment ", t, " outside a message: ignored"));
    return absl::OkStatus();
  }

  absl::Status OnUnb(const EdiSegment& s) {
    ++stats_->interchanges;
    in_interchange_ = true;
    messages_ = groups_ = 0;
    interchange_ref_ = s.Get(5);
    const std::string syntax = absl::AsciiStrToUpper(s.Get(1, 1));
    stats_->syntax = absl::StrCat(syntax, ":", s.Get(1, 2));
    const char* charset = CharsetOf(syntax);
    if (charset == nullptr || !decode_.Open(charset)) {
      return InputError("EDIFACT_UNSUPPORTED_CHARSET", Location{file_, s.line, s.ColumnOf(1), ""},
                        absl::StrCat("syntax identifier ", syntax,
                                     " is not one of UNOA..UNOK, UNOW, UNOY (ISO 8859 or UTF-8)"));
    }
    return absl::OkStatus();
  }

  // UNO (ISO 9735-8 object header): its 4th element is the object's length
  // in bytes, which follow the segment raw; UNP closes it.
  absl::Status SkipObject(const EdiSegment& s) {
    int64_t length = 0;
    if (!absl::SimpleAtoi(s.Get(4), &length) || length < 0 || length > (int64_t{1} << 30)) {
      Warn(s, 4, "EDIFACT_BAD_OBJECT",
           "UNO does not give the object's length: its data is read as segments");
      return absl::OkStatus();
    }
    while (length > 0) {
      const size_t step = static_cast<size_t>(std::min<int64_t>(length, 1 << 16));
      ASSIGN_OR_RETURN(absl::string_view bytes, reader_.Peek(step));
      if (bytes.empty()) break;
      reader_.Consume(bytes.size());
      length -= static_cast<int64_t>(bytes.size());
    }
    return absl::OkStatus();
  }

  void StartMessage(const EdiSegment& s) {
    ++stats_->messages;
    ++messages_;
    message_ref_ = s.Get(1);
    message_start_ = Location{file_, s.line, s.column, ""};
    message_segments_ = 1;
    const std::string type = s.Get(2, 1);
    if (type == "INVOIC") {
      message_ = std::make_unique<InvoicMessage>(file_, options_, counting_, on_issue_, decode_, s);
      kind_ = &stats_->invoices;
    } else if (type == "REMADV") {
      message_ = edifact_internal::MakeRemadv(file_, options_, counting_, on_issue_, decode_, s);
      kind_ = &stats_->payments;
    } else {
      ++stats_->skipped;
      Warn(s, 2, "EDIFACT_UNSUPPORTED_MESSAGE",
           absl::StrCat("message type ", type, " is not INVOIC or REMADV: skipped"));
      message_ = std::make_unique<Skipped>(file_, options_.amounts, on_issue_, decode_, s);
      kind_ = nullptr;
    }
  }

  EdiSegmentReader reader_;
  const ParseOptions& options_;
  std::string file_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  const EdifactOptions& edifact_;
  EdifactStats* stats_;
  Decoder decode_;
  int64_t* kind_ = nullptr;
  // Counts the messages that became records.
  RecordSink counting_ = [this](ParsedRecord r) {
    if (kind_ != nullptr &&
        (r.record.has_invoice() || r.record.has_credit_note() || r.record.has_payment()) &&
        !absl::StartsWith(r.record.payment().external_ref().id(), "prepaid:")) {
      ++*kind_;
    }
    on_record_(std::move(r));
  };
  bool in_interchange_ = false;
  std::string interchange_ref_, message_ref_;
  int64_t messages_ = 0, groups_ = 0, message_segments_ = 0;
  Location message_start_;
  std::unique_ptr<Message> message_;
  EdiSegment last_;
};

}  // namespace

absl::Status ParseEdifact(std::istream& in, const ParseOptions& options,
                          const RecordSink& on_record, const IssueSink& on_issue,
                          const EdifactOptions& edifact, EdifactStats* stats) {
  EdifactStats local;
  if (stats == nullptr) stats = &local;
  EdifactParser parser(in, options, on_record, on_issue, edifact, stats);
  return parser.Run();
}

}  // namespace collections::connectors
