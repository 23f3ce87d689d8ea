// libFuzzer target: arbitrary remittance text and references against a
// fixed set of open items. Invariants: allocations never exceed an item's
// amount due, candidates are sorted, confidences stay in 0..10000.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "service/domain/cash_matching.h"

using collections::domain::IncomingPayment;
using collections::domain::Money;
using collections::domain::OpenItem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<OpenItem>* book = [] {
    auto* items = new std::vector<OpenItem>();
    auto add = [&](const char* id, const char* number, const char* customer, int64_t minor,
                   const char* ref, OpenItem::Kind kind) {
      OpenItem it;
      it.kind = kind;
      it.id = id;
      it.number = number;
      it.customer = customer;
      it.customer_name = customer;
      it.amount_due = Money{"EUR", minor};
      it.payment_reference = ref;
      it.due_date = absl::CivilDay(2026, 1, 1 + static_cast<int>(items->size()));
      items->push_back(it);
    };
    add("a", "INV-1001", "acme", 10000, "RF18539007547034", OpenItem::Kind::kInvoice);
    add("b", "INV-1002", "acme", 5000, "", OpenItem::Kind::kInvoice);
    add("c", "000420", "globex", 4200, "210000000003139471430009017", OpenItem::Kind::kInvoice);
    add("d", "CN-1", "acme", 3000, "", OpenItem::Kind::kCreditNote);
    return items;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts = absl::StrSplit(text, '\x1f');
  IncomingPayment p;
  p.amount = Money{"EUR", size > 0 ? static_cast<int64_t>(data[0]) * 100 : 0};
  p.unstructured_text = parts[0];
  if (parts.size() > 1) p.payer_name = parts[1];
  for (size_t i = 2; i < parts.size(); ++i) {
    if (i % 2 == 0) {
      p.structured_references.push_back(parts[i]);
    } else {
      p.referred_documents.push_back({parts[i], parts[i].size() % 2 == 1, std::nullopt});
    }
  }
  auto r = collections::domain::MatchPayment(p, *book);
  for (size_t i = 0; i < r.candidates.size(); ++i) {
    const auto& c = r.candidates[i];
    if (c.confidence_bp < 0 || c.confidence_bp > 10000) std::abort();
    if (i > 0 && c.confidence_bp > r.candidates[i - 1].confidence_bp) std::abort();
    for (const auto& a : c.allocations) {
      for (const OpenItem& it : *book) {
        if (it.id == a.item_id && a.amount.minor > it.amount_due.minor) std::abort();
      }
      if (a.amount.minor <= 0) std::abort();
    }
    if (c.unapplied.minor < 0) std::abort();
  }
  return 0;
}
