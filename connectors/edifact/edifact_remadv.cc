// UN/EDIFACT REMADV (remittance advice): one payment allocated to the
// documents its DOC groups name (parse_edifact.h).
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

namespace collections::connectors::edifact_internal {
namespace {

namespace v1 = ::collections_sidecar::v1;

class RemadvMessage : public Message {
 public:
  RemadvMessage(const std::string& file, const ParseOptions& options, const RecordSink& on_record,
                const IssueSink& on_issue, const Decoder& decode, const EdiSegment& unh)
      : Message(file, options.amounts, on_issue, decode, unh),
        options_(options),
        on_record_(on_record) {
    currency_ = absl::AsciiStrToUpper(options.default_currency);
  }

  void OnSegment(const EdiSegment& s) override {
    if (failed_) return;
    const std::string& t = s.tag;
    if (t == "BGM") {
      number_ = Text(s, 2, 1);
      bgm_ = At(s, 2);
    } else if (t == "DTM" && docs_.empty() && !summary_) {
      const std::string q = s.Get(1, 1);
      if ((q == "137" || q == "209") && (!date_ || q == "209")) {
        if (auto d = Date(s)) date_ = *d;
      }
    } else if (t == "CUX" && s.Get(1, 1) == "2") {
      currency_ = absl::AsciiStrToUpper(s.Get(1, 2));
    } else if (t == "NAD" && s.Get(1) == "PR" && docs_.empty()) {
      payer_ = Text(s, 4, 1).empty() ? Text(s, 3, 1) : Text(s, 4, 1);
    } else if (t == "DOC") {
      docs_.push_back(Doc{s.Get(1, 1), Text(s, 2, 1), {}, At(s, 2)});
    } else if (t == "UNS") {
      summary_ = true;
    } else if (t == "MOA") {
      const std::string q = s.Get(1, 1);
      auto v = MoaAmount(s, currency_);
      if (!v) return;
      if (summary_ || docs_.empty()) {
        if (q == "12" && !total_) total_ = *v;
      } else {
        docs_.back().moa[q] = *v;
      }
    }
  }

  void Finish() override {
    if (failed_) return;
    if (number_.empty()) {
      failed_ = true;
      return on_issue_(
          ParseIssue{start_, "BGM02", "MISSING_FIELD", "the remittance advice has no number"});
    }
    if (!date_) {
      failed_ = true;
      return on_issue_(
          ParseIssue{start_, "DTM+137", "MISSING_FIELD", "the remittance advice has no date"});
    }
    ParsedRecord out = NewRecord(start_);
    v1::Payment* p = out.record.mutable_payment();
    p->mutable_external_ref()->set_source_system(options_.source_system.empty()
                                                     ? std::string(kDefaultSourceSystem)
                                                     : options_.source_system);
    p->mutable_external_ref()->set_id(absl::StrCat("remadv:", number_));
    p->set_payer_reference(number_);
    p->set_payer_name(payer_);
    *p->mutable_received_date() = ToProtoDate(*date_);
    p->set_method(v1::Payment::BANK_TRANSFER);
    int64_t net = 0;
    for (const Doc& d : docs_) {
      int64_t amount = 0;
      if (auto it = d.moa.find("12"); it != d.moa.end()) {
        amount = it->second;
      } else if (auto due = d.moa.find("9"); due != d.moa.end()) {
        amount = due->second;
        if (auto disc = d.moa.find("52");
            disc != d.moa.end() && !AddChecked(&amount, -disc->second)) {
          return Overflow(d.where);
        }
      } else {
        failed_ = true;
        return on_issue_(ParseIssue{
            d.where, "MOA+12", "MISSING_FIELD",
            absl::StrCat("document ", d.number, " has no remitted amount (MOA+12 or MOA+9)")});
      }
      const DocumentKind kind = KindOfDocumentCode(d.code);
      const bool credit = kind == DocumentKind::kCreditNote || amount < 0;
      v1::RemittedDocument* rd = p->add_remitted_documents();
      rd->set_number(d.number);
      rd->set_credit_note(credit);
      *rd->mutable_amount() = ToProtoMoney(amount < 0 ? -amount : amount, currency_);
      if (!AddChecked(&net, credit ? -(amount < 0 ? -amount : amount) : amount))
        return Overflow(d.where);
    }
    const int64_t total = total_.value_or(net);
    if (total <= 0) {
      failed_ = true;
      return on_issue_(
          ParseIssue{start_, "MOA+12", "UNEXPECTED_SIGN", "the remitted total is not positive"});
    }
    *p->mutable_amount() = ToProtoMoney(total, currency_);
    AllocateRemittance(p);
    on_record_(std::move(out));
  }

 private:
  struct Doc {
    std::string code, number;
    std::map<std::string, int64_t> moa;
    Location where;
  };
  void Overflow(const Location& where) {
    failed_ = true;
    on_issue_(ParseIssue{where, "MOA", "AMOUNT_OVERFLOW", "the remitted amounts overflow"});
  }

  const ParseOptions& options_;
  const RecordSink& on_record_;
  std::string currency_, number_, payer_;
  Location bgm_;
  std::optional<absl::CivilDay> date_;
  std::optional<int64_t> total_;
  std::vector<Doc> docs_;
  bool summary_ = false;
};

}  // namespace

std::unique_ptr<Message> MakeRemadv(const std::string& file, const ParseOptions& options,
                                    const RecordSink& on_record, const IssueSink& on_issue,
                                    const Decoder& decode, const EdiSegment& unh) {
  return std::make_unique<RemadvMessage>(file, options, on_record, on_issue, decode, unh);
}

}  // namespace collections::connectors::edifact_internal
