// The pieces of the X12 parser (parse_x12.h) its files share: the
// transaction-set interface and base, X12's N2 amounts and dates. Internal
// to parse_x12.cc (the envelope and the 810 invoice) and x12_remittance.cc
// (the 820).
#ifndef COLLECTIONS_CONNECTORS_X12_X12_SETS_H_
#define COLLECTIONS_CONNECTORS_X12_X12_SETS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "connectors/common/values.h"
#include "connectors/einvoice/edi_segments.h"
#include "connectors/x12/parse_x12.h"
#include "service/base/money.h"

namespace collections::connectors::x12_internal {

inline constexpr absl::string_view kDefaultSourceSystem = "x12";

// X12 text is ASCII in the basic and extended character sets; producers
// write UTF-8 or a Windows code page beyond that.
std::string Text(const std::string& s);

// An amount of X12 data type N2 (an integer with two implied decimals,
// TDS01, SAC05) in minor units of `currency`.
absl::StatusOr<int64_t> ParseN2(absl::string_view text, absl::string_view currency,
                                const AmountRules& rules);

// X12 dates: CCYYMMDD (DT of 8) or YYMMDD (DT of 6, versions before 004010).
absl::StatusOr<absl::CivilDay> ParseX12Date(absl::string_view text);

// What one transaction set turns into; fed segment by segment.
class TransactionSet {
 public:
  virtual ~TransactionSet() = default;
  // A segment between ST and SE. Returns false after a fatal issue (the
  // rest of the set is then only counted).
  virtual void OnSegment(const EdiSegment& s) = 0;
  // At SE: emits the records or the issue.
  virtual void Finish() = 0;
};

// Shared by both set types: issue helpers and the currency.
class SetBase : public TransactionSet {
 public:
  SetBase(const std::string& file, const ParseOptions& options, const RecordSink& on_record,
          const IssueSink& on_issue, const EdiSegment& st)
      : file_(file),
        options_(options),
        on_record_(on_record),
        on_issue_(on_issue),
        start_{file, st.line, st.column, ""} {}

 protected:
  Location At(const EdiSegment& s, size_t element) const {
    return Location{file_, s.line, s.ColumnOf(element), ""};
  }
  static std::string Field(const EdiSegment& s, size_t element) {
    return element == 0 ? s.tag : absl::StrCat(s.tag, element < 10 ? "0" : "", element);
  }
  void Fail(const EdiSegment& s, size_t element, absl::string_view reason, absl::string_view why) {
    if (failed_) return;
    failed_ = true;
    on_issue_(ParseIssue{At(s, element), Field(s, element), std::string(reason), std::string(why)});
  }
  void FailFrom(const EdiSegment& s, size_t element, const absl::Status& st) {
    if (failed_) return;
    failed_ = true;
    on_issue_(IssueFromStatus(st, At(s, element), Field(s, element)));
  }
  // The ST segment, standing for the whole set in an issue about it (a
  // required segment missing): it points where start_ points.
  EdiSegment StSegment() const {
    EdiSegment s;
    s.tag = "ST";
    s.line = start_.line;
    s.column = start_.column;
    return s;
  }
  std::string Source() const {
    return options_.source_system.empty() ? std::string(kDefaultSourceSystem)
                                          : options_.source_system;
  }
  // A decimal (type R) amount of element `i`; nullopt (with an issue) when
  // malformed, or when absent and `required`.
  std::optional<int64_t> Decimal(const EdiSegment& s, size_t i, bool required) {
    const std::string text = s.Get(i);
    if (text.empty()) {
      if (required) Fail(s, i, "MISSING_FIELD", absl::StrCat(Field(s, i), " is required"));
      return std::nullopt;
    }
    if (!domain::IsKnownCurrency(currency_)) {
      Fail(s, i, "MISSING_CURRENCY",
           "no CUR segment names the currency and no --currency was given");
      return std::nullopt;
    }
    auto v = ParseAmount(text, currency_, options_.amounts);
    if (!v.ok()) {
      FailFrom(s, i, v.status());
      return std::nullopt;
    }
    return *v;
  }
  void OnCur(const EdiSegment& s) {
    const std::string c = absl::AsciiStrToUpper(s.Get(2));
    if (!domain::IsKnownCurrency(c)) {
      return Fail(s, 2, "UNKNOWN_CURRENCY", absl::StrCat("\"", c, "\" is not an ISO 4217 code"));
    }
    currency_ = c;
    currency_at_ = At(s, 2);
  }

  const std::string& file_;
  const ParseOptions& options_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  Location start_;
  std::string currency_ = absl::AsciiStrToUpper(options_.default_currency);
  Location currency_at_ = start_;
  bool failed_ = false;
};

// The 820 remittance advice that starts at `st` (x12_remittance.cc).
std::unique_ptr<TransactionSet> MakeRemittance820(const std::string& file,
                                                  const ParseOptions& options,
                                                  const RecordSink& on_record,
                                                  const IssueSink& on_issue, const EdiSegment& st,
                                                  const X12Options& x12, std::string fallback_date,
                                                  std::string sender, X12Stats* stats);

}  // namespace collections::connectors::x12_internal

#endif  // COLLECTIONS_CONNECTORS_X12_X12_SETS_H_
