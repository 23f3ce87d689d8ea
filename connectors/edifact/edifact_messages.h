// The pieces of the EDIFACT parser (parse_edifact.h) its files share: the
// character-set decoder, field names and the message base. Internal to
// parse_edifact.cc (the envelope and INVOIC) and edifact_remadv.cc
// (REMADV).
#ifndef COLLECTIONS_CONNECTORS_EDIFACT_EDIFACT_MESSAGES_H_
#define COLLECTIONS_CONNECTORS_EDIFACT_EDIFACT_MESSAGES_H_

#include <iconv.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "connectors/edifact/parse_edifact.h"
#include "connectors/einvoice/document.h"
#include "connectors/einvoice/edi_segments.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::connectors::edifact_internal {

inline constexpr absl::string_view kDefaultSourceSystem = "edifact";

// UNB syntax identifier -> iconv character set (ISO 9735 part 1, annex A).

// Converts text of the interchange's character set to UTF-8 with iconv.
class Decoder {
 public:
  Decoder() = default;
  ~Decoder() {
    if (cd_ != reinterpret_cast<iconv_t>(-1)) iconv_close(cd_);
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  bool Open(const char* charset) {
    if (cd_ != reinterpret_cast<iconv_t>(-1)) iconv_close(cd_);
    cd_ = reinterpret_cast<iconv_t>(-1);
    utf8_ = std::string(charset) == "UTF-8";
    if (utf8_) return true;
    cd_ = iconv_open("UTF-8", charset);
    return cd_ != reinterpret_cast<iconv_t>(-1);
  }

  std::string operator()(const std::string& in) const {
    bool ascii = true;
    for (unsigned char c : in) ascii = ascii && c < 0x80;
    if (ascii) return in;
    if (utf8_ || cd_ == reinterpret_cast<iconv_t>(-1)) {
      // UTF-8 declared (or no UNB): keep valid UTF-8, read anything else as
      // Windows-1252 rather than store invalid bytes.
      return IsValidUtf8(in) ? in : Windows1252ToUtf8(in);
    }
    std::string out(in.size() * 4, '\0');
    char* src = const_cast<char*>(in.data());
    size_t src_left = in.size();
    char* dst = out.data();
    size_t dst_left = out.size();
    iconv(cd_, nullptr, nullptr, nullptr, nullptr);
    while (src_left > 0) {
      if (iconv(cd_, &src, &src_left, &dst, &dst_left) == static_cast<size_t>(-1)) {
        if (errno == E2BIG) break;
        // A byte the set does not define: U+FFFD, then go on.
        const char replacement[] = "\xEF\xBF\xBD";
        if (dst_left < 3) break;
        std::copy(replacement, replacement + 3, dst);
        dst += 3;
        dst_left -= 3;
        ++src;
        --src_left;
      }
    }
    out.resize(out.size() - dst_left);
    return out;
  }

 private:
  iconv_t cd_ = reinterpret_cast<iconv_t>(-1);
  bool utf8_ = true;
};

// The field a segment's element is reported under: "MOA+9", "DTM+137",
// "BGM02".
std::string FieldName(const EdiSegment& s, size_t element);

// The issue helpers both message kinds share.
class Message {
 public:
  Message(const std::string& file, const AmountRules& amounts, const IssueSink& on_issue,
          const Decoder& decode, const EdiSegment& unh)
      : file_(file),
        amounts_(amounts),
        on_issue_(on_issue),
        decode_(decode),
        start_{file, unh.line, unh.column, ""} {}
  virtual ~Message() = default;
  virtual void OnSegment(const EdiSegment& s) = 0;
  virtual void Finish() = 0;

 protected:
  Location At(const EdiSegment& s, size_t element) const {
    return Location{file_, s.line, s.ColumnOf(element), ""};
  }
  void Fail(const EdiSegment& s, size_t element, absl::string_view reason, absl::string_view why) {
    if (failed_) return;
    failed_ = true;
    on_issue_(
        ParseIssue{At(s, element), FieldName(s, element), std::string(reason), std::string(why)});
  }
  void FailFrom(const EdiSegment& s, size_t element, const absl::Status& st) {
    if (failed_) return;
    failed_ = true;
    on_issue_(IssueFromStatus(st, At(s, element), FieldName(s, element)));
  }
  std::string Text(const EdiSegment& s, size_t i, size_t j = 1) const {
    return decode_(s.Get(i, j));
  }
  std::optional<absl::CivilDay> Date(const EdiSegment& dtm) {
    auto d = ParseDateFormat(dtm.Get(1, 2), dtm.Get(1, 3));
    if (!d.ok()) {
      FailFrom(dtm, 1, d.status());
      return std::nullopt;
    }
    return *d;
  }
  // MOA's amount (C516 component 2) in `currency`; MOA's own currency
  // (component 3) must agree when given.
  std::optional<int64_t> MoaAmount(const EdiSegment& moa, const std::string& currency) {
    const std::string own = absl::AsciiStrToUpper(moa.Get(1, 3));
    if (!own.empty() && own != currency) {
      Fail(moa, 1, "CURRENCY_MISMATCH",
           absl::StrCat("MOA currency ", own, " differs from the message currency ", currency));
      return std::nullopt;
    }
    return Decimal(moa, 1, 2, currency);
  }
  std::optional<int64_t> Decimal(const EdiSegment& s, size_t i, size_t j,
                                 const std::string& currency) {
    if (!domain::IsKnownCurrency(currency)) {
      Fail(s, i, "MISSING_CURRENCY",
           "no CUX segment names the currency and no --currency was given");
      return std::nullopt;
    }
    // ISO 9735 v4 allows either decimal mark; EDIFACT never groups digits.
    std::string text = s.Get(i, j);
    std::replace(text.begin(), text.end(), ',', '.');
    auto v = ParseAmount(text, currency, amounts_);
    if (!v.ok()) {
      FailFrom(s, i, v.status());
      return std::nullopt;
    }
    return *v;
  }
  // The party id of a NAD's C082: "<ICD>:<id>". Component 2 may carry the
  // ICD itself (EN 16931 binding, "0088"); code list agency 9 (GS1) is ICD
  // 0088.
  static std::string PartyId(const EdiSegment& nad) {
    const std::string id = nad.Get(2, 1);
    if (id.empty()) return "";
    std::string scheme = nad.Get(2, 2);
    if (scheme.empty()) scheme = nad.Get(2, 3) == "9" ? "0088" : nad.Get(2, 3);
    return scheme.empty() ? id : absl::StrCat(scheme, ":", id);
  }

  const std::string& file_;
  const AmountRules& amounts_;
  const IssueSink& on_issue_;
  const Decoder& decode_;
  Location start_;
  bool failed_ = false;
};

// The REMADV message that starts at `unh` (edifact_remadv.cc).
std::unique_ptr<Message> MakeRemadv(const std::string& file, const ParseOptions& options,
                                    const RecordSink& on_record, const IssueSink& on_issue,
                                    const Decoder& decode, const EdiSegment& unh);

}  // namespace collections::connectors::edifact_internal

#endif  // COLLECTIONS_CONNECTORS_EDIFACT_EDIFACT_MESSAGES_H_
