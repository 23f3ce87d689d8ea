#include "connectors/x12/parse_x12.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "connectors/einvoice/document.h"
#include "connectors/einvoice/edi_segments.h"
#include "connectors/x12/x12_sets.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace x12_internal {

std::string Text(const std::string& s) { return IsValidUtf8(s) ? s : Windows1252ToUtf8(s); }

absl::StatusOr<int64_t> ParseN2(absl::string_view text, absl::string_view currency,
                                const AmountRules& rules) {
  const std::string s(absl::StripAsciiWhitespace(text));
  int64_t hundredths = 0;
  bool digits = !s.empty();
  for (size_t i = (s.size() > 0 && s[0] == '-') ? 1 : 0; i < s.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) digits = false;
  }
  if (!digits || !absl::SimpleAtoi(s, &hundredths)) {
    return domain::InvalidInput(
        "INVALID_AMOUNT", "amount",
        absl::StrCat("\"", s, "\" is not an N2 amount (digits, two implied decimals)"));
  }
  auto exp = domain::CurrencyExponent(currency);
  if (!exp.ok()) return exp.status();
  int64_t scale = 1;
  for (int k = 0; k < *exp; ++k) scale *= 10;
  return ScaledProduct(hundredths, scale, 100, rules.round, "N2 amount");
}

absl::StatusOr<absl::CivilDay> ParseX12Date(absl::string_view text) {
  const absl::string_view s = absl::StripAsciiWhitespace(text);
  return ParseDateFormat(s, s.size() == 6 ? "101" : "102");
}

}  // namespace x12_internal

namespace {

namespace v1 = ::collections_sidecar::v1;
using x12_internal::kDefaultSourceSystem;
using x12_internal::ParseN2;
using x12_internal::ParseX12Date;
using x12_internal::SetBase;
using x12_internal::Text;
using x12_internal::TransactionSet;

// ------------------------------------------------------------------- 810

class Invoice810 : public SetBase {
 public:
  using SetBase::SetBase;

  void OnSegment(const EdiSegment& s) override {
    if (failed_) return;
    const std::string& t = s.tag;
    if (t == "BIG") return OnBig(s);
    if (t == "CUR") return OnCur(s);
    if (t == "REF") {
      if (s.Get(1) == "OI" && !s.Get(2).empty()) doc_.referenced_invoices.push_back(Text(s.Get(2)));
      return;
    }
    if (t == "N1") return OnN1(s);
    if (party_ != nullptr && (t == "N2" || t == "N3")) {
      for (size_t i = 1; i <= s.size(); ++i) {
        if (!s.Get(i).empty()) party_->address_lines.push_back(Text(s.Get(i)));
      }
      return;
    }
    if (party_ != nullptr && t == "N4") {
      const std::string line = absl::StrJoin({s.Get(1), s.Get(2), s.Get(3)}, " ");
      if (!absl::StripAsciiWhitespace(line).empty()) {
        party_->address_lines.push_back(Text(std::string(absl::StripAsciiWhitespace(line))));
      }
      if (s.Get(4).size() == 2) party_->country_code = absl::AsciiStrToUpper(s.Get(4));
      if (!s.Get(4).empty()) party_->address_lines.push_back(s.Get(4));
      return;
    }
    if (party_ != nullptr && t == "PER") return OnPer(s);
    if (t == "ITD") return OnItd(s);
    if (t == "IT1") return OnIt1(s);
    if (t == "PID") {
      if (!doc_.lines.empty() && in_line_ && doc_.lines.back().description.empty()) {
        doc_.lines.back().description = Text(s.Get(5));
      }
      return;
    }
    if (t == "TDS") return OnTds(s);
    if (t == "TXI" && after_tds_) {
      auto tax = Decimal(s, 2, false);
      if (tax && !AddChecked(&tax_, *tax)) Fail(s, 2, "AMOUNT_OVERFLOW", "the tax total overflows");
      has_tax_ = true;
      return;
    }
    if (t == "CTT") {
      int64_t n = 0;
      if (absl::SimpleAtoi(s.Get(1), &n)) ctt_ = std::make_pair(n, s);
      return;
    }
    if (t != "N2" && t != "N3" && t != "N4" && t != "PER") party_ = nullptr;
  }

  void Finish() override {
    if (failed_) return;
    if (!saw_big_) {
      return Fail(StSegment(), 0, "MISSING_FIELD", "the 810 has no BIG segment (date and number)");
    }
    doc_.currency = currency_;
    doc_.where["currency"] = currency_at_;
    doc_.field_names["currency"] = "CUR02";
    if (has_tax_) doc_.tax = tax_;
    if (!doc_.total && !failed_) {
      doc_.where["total"] = start_;
      doc_.field_names["total"] = "TDS01";
    }
    EInvoiceParty* buyer = nullptr;
    for (const char* code : {"BT", "PR", "BY"}) {
      if (parties_.count(code)) {
        buyer = &parties_[code];
        break;
      }
    }
    if (buyer == nullptr) {
      doc_.where["buyer"] = start_;
      doc_.field_names["buyer"] = "N1";
      return Fail(StSegment(), 0, "MISSING_FIELD",
                  "the 810 names no bill-to (N1*BT), payer (N1*PR) or buyer (N1*BY)");
    }
    doc_.buyer = *buyer;
    doc_.where["buyer"] = party_at_[buyer];
    doc_.field_names["buyer"] = "N1";
    MappedEInvoice mapped =
        MapEInvoice(doc_, EInvoiceMapOptions{Source(), options_.default_customer_kind});
    if (mapped.issue) {
      failed_ = true;
      return on_issue_(*mapped.issue);
    }
    for (ParsedRecord& r : mapped.records) on_record_(std::move(r));
  }

  // CTT01 against the IT1 count, for the envelope's warnings.
  std::optional<std::pair<int64_t, EdiSegment>> ctt() const { return ctt_; }
  int64_t it1_count() const { return doc_.line_count; }

 private:
  void OnBig(const EdiSegment& s) {
    saw_big_ = true;
    doc_.document = At(s, 0);
    auto day = ParseX12Date(s.Get(1));
    if (!day.ok()) return FailFrom(s, 1, day.status());
    doc_.issue_date = *day;
    doc_.where["issue_date"] = At(s, 1);
    doc_.number = Text(s.Get(2));
    doc_.where["number"] = At(s, 2);
    doc_.field_names["number"] = "BIG02";
    const std::string type = s.Get(7);
    // X12 data element 640: CR credit memo, CN credit invoice.
    doc_.type_code = (type == "CR" || type == "CN") ? "381" : "380";
    doc_.where["type"] = At(s, 7);
    doc_.field_names["type"] = "BIG07";
    if (s.Get(8) == "01") {
      return Fail(s, 8, "X12_CANCELLATION",
                  "BIG08 01 cancels an earlier invoice; the ledger cannot void from a file, "
                  "void the invoice in the service");
    }
  }

  void OnN1(const EdiSegment& s) {
    const std::string code = s.Get(1);
    if (code != "BT" && code != "PR" && code != "BY") {
      party_ = nullptr;
      return;
    }
    EInvoiceParty& p = parties_[code];
    p.name = Text(s.Get(2));
    if (!s.Get(4).empty())
      p.id = s.Get(3).empty() ? Text(s.Get(4)) : absl::StrCat(s.Get(3), ":", Text(s.Get(4)));
    party_ = &p;
    party_at_[&p] = At(s, 0);
  }

  void OnPer(const EdiSegment& s) {
    if (party_->contact_name.empty()) party_->contact_name = Text(s.Get(2));
    for (size_t i = 3; i + 1 <= s.size(); i += 2) {
      const std::string q = s.Get(i), v = Text(s.Get(i + 1));
      if (q == "TE" && party_->phone.empty()) party_->phone = v;
      if (q == "EM" && party_->email.empty()) party_->email = v;
    }
  }

  void OnItd(const EdiSegment& s) {
    doc_.terms_text_is_free = false;
    std::vector<std::string> parts;
    const std::string percent = s.Get(3), discount_date = s.Get(4), discount_days = s.Get(5);
    const std::string net_date = s.Get(6), net_days = s.Get(7), text = Text(s.Get(12));
    if (!percent.empty()) {
      std::string p = absl::StrCat(percent, " % discount");
      if (!discount_days.empty()) absl::StrAppend(&p, " within ", discount_days, " days");
      if (!discount_date.empty()) absl::StrAppend(&p, " (until ", discount_date, ")");
      parts.push_back(p);
    }
    if (!net_days.empty() || !net_date.empty()) {
      std::string p = "net";
      if (!net_days.empty()) absl::StrAppend(&p, " ", net_days, " days");
      if (!net_date.empty()) absl::StrAppend(&p, " (due ", net_date, ")");
      parts.push_back(p);
    }
    if (!text.empty()) parts.push_back(text);
    if (!doc_.terms_text.empty() && !parts.empty()) doc_.terms_text += "\n";
    doc_.terms_text += absl::StrJoin(parts, ", ");
    if (!net_date.empty() && !doc_.due_date) {
      auto d = ParseX12Date(net_date);
      if (!d.ok()) return FailFrom(s, 6, d.status());
      doc_.due_date = *d;
      doc_.where["due_date"] = At(s, 6);
      doc_.field_names["due_date"] = "ITD06";
    }
    int days = 0;
    if (!net_days.empty() && !doc_.terms_net_days) {
      if (!absl::SimpleAtoi(net_days, &days) || days < 0 || days > 3650) {
        return Fail(s, 7, "INVALID_VALUE",
                    absl::StrCat("ITD07 \"", net_days, "\" is not a number of days"));
      }
      doc_.terms_net_days = days;
      if (!doc_.where.count("due_date")) {
        doc_.where["due_date"] = At(s, 7);
        doc_.field_names["due_date"] = "ITD07";
      }
    }
  }

  void OnIt1(const EdiSegment& s) {
    ++doc_.line_count;
    in_line_ = false;
    if (static_cast<int64_t>(doc_.lines.size()) >= kMaxKeptLines) return;
    EInvoiceLine line;
    line.line_id = Text(s.Get(1));
    if (!s.Get(2).empty()) {
      auto q = ParseQuantityMilli(s.Get(2));
      if (!q.ok()) return FailFrom(s, 2, q.status());
      line.quantity_milli = *q;
    }
    if (!s.Get(4).empty()) {
      if (!domain::IsKnownCurrency(currency_)) {
        return Fail(s, 4, "MISSING_CURRENCY",
                    "no CUR segment names the currency and no --currency was given");
      }
      auto price = ParseUnitPrice(s.Get(4), currency_, 1000, options_.amounts);
      if (!price.ok()) return FailFrom(s, 4, price.status());
      line.unit_price = *price;
      if (line.quantity_milli) {
        auto amount =
            ScaledProduct(*line.quantity_milli, *price, 1000, /*round=*/true, "quantity x price");
        if (!amount.ok()) return FailFrom(s, 4, amount.status());
        line.amount = *amount;
      }
    }
    doc_.lines.push_back(std::move(line));
    in_line_ = true;
  }

  void OnTds(const EdiSegment& s) {
    after_tds_ = true;
    doc_.where["total"] = At(s, 1);
    doc_.field_names["total"] = "TDS01";
    if (!domain::IsKnownCurrency(currency_)) {
      return Fail(s, 1, "MISSING_CURRENCY",
                  "no CUR segment names the currency and no --currency was given");
    }
    auto total = ParseN2(s.Get(1), currency_, options_.amounts);
    if (!total.ok()) return FailFrom(s, 1, total.status());
    doc_.total = *total;
  }

  EInvoice doc_;
  std::map<std::string, EInvoiceParty> parties_;
  std::map<const EInvoiceParty*, Location> party_at_;
  EInvoiceParty* party_ = nullptr;
  bool saw_big_ = false;
  bool in_line_ = false;
  bool after_tds_ = false;
  bool has_tax_ = false;
  int64_t tax_ = 0;
  std::optional<std::pair<int64_t, EdiSegment>> ctt_;
};

// ------------------------------------------------------------- envelope

class X12Parser {
 public:
  X12Parser(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
            const IssueSink& on_issue, const X12Options& x12, X12Stats* stats)
      : reader_(in),
        options_(options),
        file_(options.file_name.empty() ? "<input>" : options.file_name),
        on_record_(on_record),
        on_issue_(on_issue),
        x12_(x12),
        stats_(stats) {}

  absl::Status Run() {
    RETURN_IF_ERROR(reader_.SkipNoise());
    ASSIGN_OR_RETURN(absl::string_view head, reader_.Peek(3));
    if (head != "ISA") {
      return InputError("X12_NO_ISA", Location{file_, reader_.line(), reader_.column(), ""},
                        "an X12 interchange starts with an ISA segment");
    }
    EdiSegment s;
    while (true) {
      RETURN_IF_ERROR(reader_.SkipNoise());
      ASSIGN_OR_RETURN(head, reader_.Peek(3));
      if (head.empty()) break;
      if (head == "ISA") RETURN_IF_ERROR(ReadDelimiters());
      absl::StatusOr<bool> more = reader_.Next(&s);
      if (!more.ok()) return Located(more.status());
      if (!*more) break;
      if (s.tag == "ISA")
        reader_.set_delimiters(
            EdiDelimiters{delims_.element, component_, delims_.terminator, '\0'});
      OnSegment(s);
    }
    if (set_) {
      on_issue_(ParseIssue{set_start_, "SE", "X12_UNTERMINATED_SET",
                           absl::StrCat("transaction set ", set_code_, " ", set_control_,
                                        " has no SE segment: the file is truncated")});
      set_.reset();
    }
    if (in_interchange_) {
      Warn(last_, 0, "X12_MISSING_IEA", "the interchange has no IEA segment (truncated file?)");
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Located(const absl::Status& st) {
    return InputError(domain::ReasonOf(st).empty() ? "X12_UNREADABLE" : domain::ReasonOf(st),
                      Location{file_, reader_.line(), reader_.column(), ""}, st.message());
  }

  // ISA: the byte after "ISA" separates elements; ISA16 (after the 16th
  // separator) is the component separator and the byte after it ends the
  // segment.
  absl::Status ReadDelimiters() {
    ASSIGN_OR_RETURN(absl::string_view isa, reader_.Peek(512));
    const Location at{file_, reader_.line(), reader_.column(), ""};
    if (isa.size() < 4) return InputError("X12_BAD_ISA", at, "the ISA segment is truncated");
    const char element = isa[3];
    if (absl::ascii_isalnum(static_cast<unsigned char>(element)) || element == ' ') {
      return InputError("X12_BAD_ISA", at, "ISA is not followed by an element separator");
    }
    int seps = 0;
    size_t i = 3;
    for (; i < isa.size() && seps < 16; ++i) {
      if (isa[i] == element) ++seps;
    }
    if (seps < 16 || i + 1 >= isa.size()) {
      return InputError("X12_BAD_ISA", at, "the ISA segment does not have 16 elements");
    }
    component_ = isa[i];
    const char terminator = isa[i + 1];
    if (terminator == element || absl::ascii_isalnum(static_cast<unsigned char>(terminator))) {
      return InputError("X12_BAD_ISA", at, "no segment terminator after ISA16");
    }
    delims_ = EdiDelimiters{element, '\0', terminator, '\0'};
    reader_.set_delimiters(delims_);
    return absl::OkStatus();
  }

  void Warn(const EdiSegment& s, size_t element, absl::string_view reason, absl::string_view why) {
    ++stats_->warnings;
    if (!x12_.on_warning) return;
    x12_.on_warning(
        ParseIssue{Location{file_, s.line, s.ColumnOf(element), ""},
                   element == 0 ? s.tag : absl::StrCat(s.tag, element < 10 ? "0" : "", element),
                   std::string(reason), std::string(why)});
  }
  void CheckCount(const EdiSegment& s, size_t element, int64_t actual, absl::string_view what) {
    int64_t stated = 0;
    if (!absl::SimpleAtoi(s.Get(element), &stated) || stated != actual) {
      Warn(s, element, "X12_COUNT_MISMATCH",
           absl::StrCat(s.tag, element < 10 ? "0" : "", element, " says ", s.Get(element), " ",
                        what, ", the file has ", actual));
    }
  }
  void CheckControl(const EdiSegment& s, size_t element, const std::string& opening,
                    absl::string_view opener) {
    if (TrimZeros(s.Get(element)) != TrimZeros(opening)) {
      Warn(s, element, "X12_CONTROL_MISMATCH",
           absl::StrCat(s.tag, element < 10 ? "0" : "", element, " control number ", s.Get(element),
                        " does not match ", opener, " ", opening));
    }
  }
  static std::string TrimZeros(const std::string& s) {
    size_t k = 0;
    while (k + 1 < s.size() && s[k] == '0') ++k;
    return s.substr(k);
  }

  void OnSegment(const EdiSegment& s) {
    last_ = s;
    const std::string& t = s.tag;
    if (set_) {
      ++set_segments_;
      if (t == "SE") return EndSet(s);
      if (t == "ST" || t == "GE" || t == "IEA" || t == "ISA" || t == "GS") {
        on_issue_(ParseIssue{
            set_start_, "SE", "X12_UNTERMINATED_SET",
            absl::StrCat("transaction set ", set_code_, " ", set_control_,
                         " ends without its SE segment (", t, " at line ", s.line, ")")});
        set_.reset();
      } else {
        return set_->OnSegment(s);
      }
    }
    if (t == "ISA") {
      ++stats_->interchanges;
      in_interchange_ = true;
      isa_control_ = s.Get(13);
      sender_ = absl::StrCat(s.Get(5), ":", s.Get(6));
      groups_ = 0;
      return;
    }
    if (t == "IEA") {
      CheckCount(s, 1, groups_, "functional groups");
      CheckControl(s, 2, isa_control_, "ISA13");
      in_interchange_ = false;
      return;
    }
    if (t == "GS") {
      ++stats_->groups;
      ++groups_;
      gs_control_ = s.Get(6);
      gs_date_ = s.Get(4);
      sets_ = 0;
      return;
    }
    if (t == "GE") {
      CheckCount(s, 1, sets_, "transaction sets");
      CheckControl(s, 2, gs_control_, "GS06");
      return;
    }
    if (t == "ST") return StartSet(s);
    Warn(s, 0, "X12_UNEXPECTED_SEGMENT",
         absl::StrCat("segment ", t, " outside a transaction set: ignored"));
  }

  void StartSet(const EdiSegment& s) {
    ++stats_->transaction_sets;
    ++sets_;
    set_code_ = s.Get(1);
    set_control_ = s.Get(2);
    set_start_ = Location{file_, s.line, s.column, ""};
    set_segments_ = 1;
    invoice_ = nullptr;
    if (set_code_ == "810") {
      auto inv = std::make_unique<Invoice810>(file_, options_, on_record_, on_issue_, s);
      invoice_ = inv.get();
      set_ = std::move(inv);
    } else if (set_code_ == "820") {
      set_ = x12_internal::MakeRemittance820(file_, options_, on_record_, on_issue_, s, x12_,
                                             gs_date_, sender_, stats_);
    } else {
      ++stats_->skipped;
      Warn(s, 1, "X12_UNSUPPORTED_SET",
           absl::StrCat("transaction set ", set_code_, " is not an 810 or 820: skipped"));
      set_ = std::make_unique<Skipped>();
    }
  }

  void EndSet(const EdiSegment& se) {
    CheckCount(se, 1, set_segments_, "segments");
    CheckControl(se, 2, set_control_, "ST02");
    if (invoice_ != nullptr) {
      if (auto ctt = invoice_->ctt(); ctt && ctt->first != invoice_->it1_count()) {
        Warn(ctt->second, 1, "X12_COUNT_MISMATCH",
             absl::StrCat("CTT01 says ", ctt->first, " line items, the invoice has ",
                          invoice_->it1_count()));
      }
    }
    set_->Finish();
    set_.reset();
    invoice_ = nullptr;
  }

  class Skipped : public TransactionSet {
    void OnSegment(const EdiSegment&) override {}
    void Finish() override {}
  };

  EdiSegmentReader reader_;
  const ParseOptions& options_;
  std::string file_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  const X12Options& x12_;
  X12Stats* stats_;
  EdiDelimiters delims_;
  char component_ = '>';
  bool in_interchange_ = false;
  std::string isa_control_, gs_control_, gs_date_, sender_, set_code_, set_control_;
  int64_t groups_ = 0, sets_ = 0, set_segments_ = 0;
  Location set_start_;
  std::unique_ptr<TransactionSet> set_;
  Invoice810* invoice_ = nullptr;
  EdiSegment last_;
};

}  // namespace

absl::Status ParseX12(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue, const X12Options& x12, X12Stats* stats) {
  X12Stats local;
  if (stats == nullptr) stats = &local;
  // Count the 810s that became records.
  RecordSink counting = [&](ParsedRecord r) {
    if (r.record.has_invoice() || r.record.has_credit_note()) ++stats->invoices;
    on_record(std::move(r));
  };
  X12Parser parser(in, options, counting, on_issue, x12, stats);
  return parser.Run();
}

}  // namespace collections::connectors
