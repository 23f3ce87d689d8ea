// ANSI X12 820 (payment order / remittance advice): one payment per 820,
// allocated to the invoices its RMR segments name (parse_x12.h).
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

namespace collections::connectors::x12_internal {
namespace {

namespace v1 = ::collections_sidecar::v1;

// Invoice-naming RMR01 qualifiers (X12 data element 128).
bool NamesInvoice(absl::string_view q) { return q == "IV" || q == "OI" || q == "AP"; }
bool NamesCreditMemo(absl::string_view q) { return q == "CM"; }

class Remittance820 : public SetBase {
 public:
  Remittance820(const std::string& file, const ParseOptions& options, const RecordSink& on_record,
                const IssueSink& on_issue, const EdiSegment& st, const X12Options& x12,
                std::string fallback_date, std::string sender, X12Stats* stats)
      : SetBase(file, options, on_record, on_issue, st),
        x12_(x12),
        fallback_date_(std::move(fallback_date)),
        sender_(std::move(sender)),
        st02_(st.Get(2)),
        stats_(stats) {}

  void OnSegment(const EdiSegment& s) override {
    if (failed_) return;
    const std::string& t = s.tag;
    if (t == "BPR") return OnBpr(s);
    if (t == "TRN") {
      if (trace_.empty()) trace_ = Text(s.Get(2));
      return;
    }
    if (t == "CUR") return OnCur(s);
    if (t == "DTM" && items_.empty() && !in_entity_ && header_date_.empty()) {
      header_date_ = s.Get(2);
      return;
    }
    if (t == "N1" && !in_entity_) {
      if (s.Get(1) == "PR") {
        payer_name_ = Text(s.Get(2));
        if (!s.Get(4).empty())
          payer_id_ =
              s.Get(3).empty() ? Text(s.Get(4)) : absl::StrCat(s.Get(3), ":", Text(s.Get(4)));
      }
      return;
    }
    if (t == "ENT") {
      in_entity_ = true;
      current_ = -1;
      return;
    }
    if (t == "RMR") return OnRmr(s);
    if (t == "ADX") return OnAdx(s);
  }

  void Finish() override {
    if (failed_) return;
    if (!bpr_)
      return Fail(StSegment(), 0, "MISSING_FIELD", "the 820 has no BPR segment (amount, date)");
    const EdiSegment& bpr = *bpr_;
    if (bpr.Get(1) == "P") {
      ++stats_->skipped;
      return Warn(bpr, 1, "X12_PRENOTIFICATION",
                  "BPR01 P is a prenotification: no money moves, skipped");
    }
    auto amount = Decimal(bpr, 2, true);
    if (!amount) return;
    if (*amount == 0) {
      ++stats_->skipped;
      return Warn(bpr, 2, "X12_ZERO_PAYMENT", "a payment of 0 moves no money: skipped");
    }
    if (*amount < 0) return Fail(bpr, 2, "UNEXPECTED_SIGN", "a payment amount is not negative");
    std::string date_text = bpr.Get(16);
    size_t date_element = 16;
    const EdiSegment* date_seg = &bpr;
    if (date_text.empty()) date_text = header_date_.empty() ? fallback_date_ : header_date_;
    auto day = ParseX12Date(date_text);
    if (!day.ok()) return FailFrom(*date_seg, date_element, day.status());

    ParsedRecord out = NewRecord(start_);
    v1::Payment* p = out.record.mutable_payment();
    p->mutable_external_ref()->set_source_system(Source());
    p->mutable_external_ref()->set_id(
        !trace_.empty() ? absl::StrCat("trn:", trace_)
                        : absl::StrCat("set:", StableId({sender_, st02_, bpr.Get(2), date_text})));
    *p->mutable_amount() = ToProtoMoney(*amount, currency_);
    *p->mutable_received_date() = ToProtoDate(*day);
    const std::string method = bpr.Get(4);
    p->set_method(method == "CHK" ? v1::Payment::CHECK
                  : (method == "ACH" || method == "FWT" || method == "BOP")
                      ? v1::Payment::BANK_TRANSFER
                      : v1::Payment::OTHER);
    p->set_payer_reference(trace_);
    p->set_payer_name(payer_name_);
    if (x12_.payer_is_customer && !payer_id_.empty()) out.record.set_customer_ref(payer_id_);

    std::vector<std::string> text;
    int64_t invoices_sum = 0;
    // Documents go into remitted_documents; the text keeps what names no
    // document (purchase orders, unreferenced adjustments) for a person.
    for (const Item& item : items_) {
      int64_t net = 0;
      if (!ItemNet(item, &net)) return;
      if (NamesInvoice(item.qualifier) && net > 0) {
        AddRemitted(p, item.reference, false, net);
        if (!AddChecked(&invoices_sum, net))
          return Fail(item.segment, 4, "AMOUNT_OVERFLOW", "the amounts remitted overflow");
      } else if ((NamesInvoice(item.qualifier) || NamesCreditMemo(item.qualifier)) && net != 0) {
        AddRemitted(p, item.reference, true, net < 0 ? -net : net);
      } else {
        text.push_back(absl::StrCat(item.qualifier, " ", item.reference, " ",
                                    domain::FormatDecimal(net, currency_)));
      }
    }
    for (const Adjustment& a : entity_adjustments_) {
      if (a.amount < 0 && !a.reference.empty()) {
        AddRemitted(p, a.reference, true, -a.amount);
      } else {
        text.push_back(absl::StrCat("ADX ", a.reason, " ", a.ref_qualifier, " ", a.reference, " ",
                                    domain::FormatDecimal(a.amount, currency_)));
      }
    }
    p->set_remittance_text(absl::StrJoin(text, "\n"));
    if (const int64_t shortfall = AllocateRemittance(p); shortfall > 0) {
      Warn(bpr, 2, "X12_REMITTANCE_EXCEEDS_PAYMENT",
           absl::StrCat("the invoices named add up to ",
                        domain::FormatDecimal(invoices_sum, currency_), ", more than the payment ",
                        domain::FormatDecimal(*amount, currency_),
                        ": the last ones named stay open by ",
                        domain::FormatDecimal(shortfall, currency_), " (deductions)"));
    }
    ++stats_->payments;
    on_record_(std::move(out));
  }

 private:
  struct Adjustment {
    int64_t amount = 0;
    std::string reason, ref_qualifier, reference;
  };
  struct Item {
    std::string qualifier, reference;
    std::optional<int64_t> paid, invoice_amount, discount;
    std::vector<Adjustment> adjustments;
    EdiSegment segment;
  };

  void Warn(const EdiSegment& s, size_t element, absl::string_view reason, absl::string_view why) {
    ++stats_->warnings;
    if (x12_.on_warning) {
      x12_.on_warning(
          ParseIssue{At(s, element), Field(s, element), std::string(reason), std::string(why)});
    }
  }

  void OnBpr(const EdiSegment& s) {
    bpr_ = s;
    start_ = At(s, 0);
  }

  void OnRmr(const EdiSegment& s) {
    Item item;
    item.qualifier = s.Get(1);
    item.reference = Text(s.Get(2));
    item.segment = s;
    for (size_t i : {4, 5, 6}) {
      if (s.Get(i).empty()) continue;
      auto v = Decimal(s, i, false);
      if (!v) return;
      (i == 4 ? item.paid : i == 5 ? item.invoice_amount : item.discount) = *v;
    }
    if (item.reference.empty()) return Fail(s, 2, "MISSING_FIELD", "RMR02 names no document");
    items_.push_back(std::move(item));
    current_ = static_cast<int64_t>(items_.size()) - 1;
  }

  void OnAdx(const EdiSegment& s) {
    Adjustment a;
    auto v = Decimal(s, 1, true);
    if (!v) return;
    a.amount = *v;
    a.reason = s.Get(2);
    a.ref_qualifier = s.Get(3);
    a.reference = Text(s.Get(4));
    if (current_ >= 0) {
      items_[static_cast<size_t>(current_)].adjustments.push_back(std::move(a));
    } else {
      entity_adjustments_.push_back(std::move(a));
    }
  }

  // RMR04 when given; else RMR05 - RMR06 + the item's adjustments.
  bool ItemNet(const Item& item, int64_t* net) {
    if (item.paid) {
      *net = *item.paid;
      return true;
    }
    if (!item.invoice_amount) {
      Fail(item.segment, 4, "MISSING_FIELD",
           "RMR04 (amount paid) or RMR05 (invoice amount) is required");
      return false;
    }
    int64_t v = *item.invoice_amount;
    bool ok = AddChecked(&v, -item.discount.value_or(0));
    for (const Adjustment& a : item.adjustments) ok = ok && AddChecked(&v, a.amount);
    if (!ok) {
      Fail(item.segment, 5, "AMOUNT_OVERFLOW", "RMR05 - RMR06 + adjustments overflows");
      return false;
    }
    *net = v;
    return true;
  }

  void AddRemitted(v1::Payment* p, const std::string& number, bool credit, int64_t amount) {
    v1::RemittedDocument* d = p->add_remitted_documents();
    d->set_number(number);
    d->set_credit_note(credit);
    *d->mutable_amount() = ToProtoMoney(amount, currency_);
  }

  const X12Options& x12_;
  std::string fallback_date_;
  std::string sender_;
  std::string st02_;
  X12Stats* stats_;
  std::optional<EdiSegment> bpr_;
  std::string trace_, header_date_, payer_name_, payer_id_;
  bool in_entity_ = false;
  int64_t current_ = -1;
  std::vector<Item> items_;
  std::vector<Adjustment> entity_adjustments_;
};

}  // namespace

std::unique_ptr<TransactionSet> MakeRemittance820(const std::string& file,
                                                  const ParseOptions& options,
                                                  const RecordSink& on_record,
                                                  const IssueSink& on_issue, const EdiSegment& st,
                                                  const X12Options& x12, std::string fallback_date,
                                                  std::string sender, X12Stats* stats) {
  return std::make_unique<Remittance820>(file, options, on_record, on_issue, st, x12,
                                         std::move(fallback_date), std::move(sender), stats);
}

}  // namespace collections::connectors::x12_internal
