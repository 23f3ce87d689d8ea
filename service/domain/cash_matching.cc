#include "service/domain/cash_matching.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/base/errors.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {
namespace {

constexpr int kMaxConfidence = 9900;  // nothing is ever certain

bool IsAsciiAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// Letters and digits only, upper-cased: "inv-1001 " -> "INV1001".
std::string AlnumKey(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (IsAsciiAlnum(c)) out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// ISO 7064 MOD 97-10 over letters (A=10 .. Z=35) and digits; -1 on other
// characters.
int Mod97(absl::string_view s) {
  int rem = 0;
  for (char c : s) {
    int v;
    if (IsDigit(c)) {
      v = c - '0';
      rem = (rem * 10 + v) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    } else {
      return -1;
    }
  }
  return rem;
}

// The trailing run of digits of an invoice number ("INV-2024-0042" ->
// "0042"), or "" when it does not end in a digit.
absl::string_view TrailingDigits(absl::string_view s) {
  size_t i = s.size();
  while (i > 0 && IsDigit(s[i - 1])) --i;
  return s.substr(i);
}

std::string StripLeadingZeros(absl::string_view s) {
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  return std::string(s);
}

// ------------------------------------------------------------- payer names

// Words of a company or person name, lower-cased, without legal forms, so
// that "Open Net S. à r.l." and "OPEN NET SARL" compare equal. Non-ASCII
// bytes are kept inside words (accented names stay words).
std::set<std::string> NameWords(absl::string_view name) {
  static const auto* kNoise = new absl::flat_hash_set<absl::string_view>{
      "gmbh", "ag", "sa", "s",  "a",   "r",    "l",       "sarl", "sàrl", "ltd", "limited", "inc",
      "llc",  "bv", "nv", "co", "kg",  "sas",  "srl",     "plc",  "the",  "and", "und",     "et",
      "de",   "ab", "oy", "as", "spa", "corp", "company", "mr",   "mrs",  "ms",  "dr"};
  std::set<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && !kNoise->contains(word)) out.insert(word);
    word.clear();
  };
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (IsAsciiAlnum(c) || u >= 0x80) {
      word.push_back(absl::ascii_tolower(u));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// 2: same words; 1: at least half of the shorter name's words shared; 0: no.
int NameSimilarity(absl::string_view a, absl::string_view b) {
  std::set<std::string> wa = NameWords(a), wb = NameWords(b);
  if (wa.empty() || wb.empty()) return 0;
  if (wa == wb) return 2;
  size_t common = 0;
  for (const std::string& w : wa) common += wb.count(w);
  size_t smaller = std::min(wa.size(), wb.size());
  return common * 2 >= smaller && common > 0 ? 1 : 0;
}

// ------------------------------------------------------- text occurrences

enum class TextHit { kNone, kNumericCore, kSeparatorInsensitive, kExact };

bool BoundaryAt(absl::string_view text, size_t begin, size_t end) {
  bool left_ok = begin == 0 || !IsAsciiAlnum(text[begin - 1]);
  bool right_ok = end >= text.size() || !IsAsciiAlnum(text[end]);
  return left_ok && right_ok;
}

// How the invoice number `number` occurs in the upper-cased `text`.
TextHit FindNumberInText(absl::string_view upper_text, absl::string_view number) {
  std::string n = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(number));
  std::string key = AlnumKey(n);
  // Too short to tell apart from any other figure in the text.
  if (key.size() < 3 || (AllDigits(key) && key.size() < 4)) return TextHit::kNone;
  for (size_t pos = upper_text.find(n); pos != absl::string_view::npos;
       pos = upper_text.find(n, pos + 1)) {
    if (BoundaryAt(upper_text, pos, pos + n.size())) return TextHit::kExact;
  }
  // "INV 1001", "inv1001", "INV-1001" for "INV-1001": windows of up to three
  // words whose letters and digits spell the number.
  std::vector<std::string> words;
  for (absl::string_view w :
       absl::StrSplit(upper_text, absl::ByAnyChar(" \t\r\n,;:()"), absl::SkipEmpty())) {
    words.push_back(AlnumKey(w));
  }
  for (size_t i = 0; i < words.size(); ++i) {
    std::string joined;
    for (size_t j = i; j < words.size() && j < i + 3; ++j) {
      joined += words[j];
      if (joined == key) return TextHit::kSeparatorInsensitive;
      if (joined.size() >= key.size()) break;
    }
  }
  // The numeric core of a prefixed number ("1001" of "INV-1001"), standing
  // alone as a number in the text.
  absl::string_view digits = TrailingDigits(key);
  if (digits.size() >= 4 && digits.size() < key.size()) {
    for (size_t pos = upper_text.find(digits); pos != absl::string_view::npos;
         pos = upper_text.find(digits, pos + 1)) {
      if (BoundaryAt(upper_text, pos, pos + digits.size())) return TextHit::kNumericCore;
    }
  }
  return TextHit::kNone;
}

// ------------------------------------------------------------- allocation

// The payment amount in `currency`, when the payment is in it (or was
// instructed in it).
std::optional<Money> AmountIn(const IncomingPayment& p, absl::string_view currency) {
  if (p.amount.currency == currency) return p.amount;
  if (p.instructed_amount.has_value() && p.instructed_amount->currency == currency) {
    return p.instructed_amount;
  }
  return std::nullopt;
}

struct Pick {
  const OpenItem* item;
  // Explicit amount from the payer (RfrdDocAmt), capped at the amount due.
  std::optional<int64_t> amount;
};

// Applies credits first, then the payment plus credits to invoices, oldest
// due date first, never more than an item's amount due.
MatchCandidate Allocate(const Money& payment, std::vector<Pick> picks) {
  MatchCandidate c;
  std::stable_sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) {
    if (a.item->kind != b.item->kind) return a.item->kind == OpenItem::Kind::kCreditNote;
    return a.item->due_date < b.item->due_date;
  });
  // The payment plus the credit notes picked so far, less what was allocated.
  AmountSum available(payment.minor);
  for (const Pick& p : picks) {
    const OpenItem& it = *p.item;
    int64_t want = std::min(p.amount.value_or(it.amount_due.minor), it.amount_due.minor);
    if (it.kind == OpenItem::Kind::kCreditNote) {
      if (want <= 0) continue;
      available += want;
    } else {
      want = std::min(want, available.Clamped());
      if (want <= 0) continue;
      available -= want;
    }
    c.allocations.push_back({it.id, it.number, it.kind, Money{payment.currency, want}});
    c.customer = it.customer;
  }
  // Credits that found no invoice to reduce are not consumed.
  if (available.Clamped() > payment.minor) {
    int64_t unused = (AmountSum(available) -= payment.minor).Clamped();
    for (auto it = c.allocations.begin(); it != c.allocations.end() && unused > 0;) {
      if (it->kind != OpenItem::Kind::kCreditNote) {
        ++it;
        continue;
      }
      int64_t back = std::min(unused, it->amount.minor);
      it->amount.minor -= back;
      unused -= back;
      available -= back;
      it = it->amount.minor == 0 ? c.allocations.erase(it) : it + 1;
    }
  }
  c.unapplied = Money{payment.currency, available.Clamped()};
  return c;
}

// Saturated: a total past int64 matches no payment, which is the right answer.
int64_t InvoiceTotal(const std::vector<const OpenItem*>& items) {
  AmountSum sum;
  for (const OpenItem* it : items) {
    if (it->kind == OpenItem::Kind::kCreditNote) {
      sum -= it->amount_due.minor;
    } else {
      sum += it->amount_due.minor;
    }
  }
  return sum.Clamped();
}

class CandidateSet {
 public:
  explicit CandidateSet(const IncomingPayment& payment) : payment_(payment) {}

  // Adds a candidate allocating `picks` (all of one customer and currency).
  void Add(MatchBasis basis, int confidence_bp, std::vector<Pick> picks,
           std::vector<std::string> evidence) {
    if (picks.empty()) return;
    const OpenItem& first = *picks.front().item;
    std::optional<Money> amount = AmountIn(payment_, first.amount_due.currency);
    if (!amount.has_value()) return;
    MatchCandidate c = Allocate(*amount, std::move(picks));
    if (c.allocations.empty()) return;
    c.basis = basis;
    c.evidence = std::move(evidence);
    if (amount->currency != payment_.amount.currency) {
      c.evidence.push_back(absl::StrCat("matched on the instructed amount ", FormatMoney(*amount),
                                        "; the account was credited ",
                                        FormatMoney(payment_.amount)));
    }
    // The payer, as far as the bank tells us.
    if (!payment_.customer.empty() && payment_.customer != c.customer) {
      confidence_bp -= 3000;
      c.evidence.push_back(absl::StrCat("but the payment is from customer ", payment_.customer,
                                        ", the items belong to ", c.customer));
    } else if (!payment_.payer_name.empty() &&
               NameSimilarity(payment_.payer_name, first.customer_name) > 0) {
      confidence_bp += 200;
      c.evidence.push_back(absl::StrCat("payer \"", payment_.payer_name, "\" resembles customer \"",
                                        first.customer_name, "\""));
    }
    c.confidence_bp = std::clamp(confidence_bp, 0, kMaxConfidence);
    std::vector<std::string> ids;
    for (const ItemAllocation& a : c.allocations) ids.push_back(a.item_id);
    std::sort(ids.begin(), ids.end());
    std::string key = absl::StrJoin(ids, "\x1f");
    auto [it, inserted] = by_key_.emplace(key, candidates_.size());
    if (inserted) {
      candidates_.push_back(std::move(c));
      return;
    }
    // The same allocation found twice: keep the stronger reading, and all
    // the evidence.
    MatchCandidate& old = candidates_[it->second];
    if (c.confidence_bp > old.confidence_bp) {
      std::swap(old.basis, c.basis);
      std::swap(old.confidence_bp, c.confidence_bp);
    }
    for (std::string& e : c.evidence) {
      if (std::find(old.evidence.begin(), old.evidence.end(), e) == old.evidence.end()) {
        old.evidence.push_back(std::move(e));
      }
    }
  }

  std::vector<MatchCandidate> Take() { return std::move(candidates_); }

 private:
  const IncomingPayment& payment_;
  std::vector<MatchCandidate> candidates_;
  std::map<std::string, size_t> by_key_;
};

// Adjusts a reference-based confidence by how the amount fits.
int AmountFit(const IncomingPayment& p, const std::vector<const OpenItem*>& items, int base,
              int partial_penalty, int over_penalty, std::vector<std::string>* evidence) {
  std::optional<Money> amount = AmountIn(p, items.front()->amount_due.currency);
  if (!amount.has_value()) return 0;
  int64_t due = InvoiceTotal(items);
  Money due_money{amount->currency, due};
  if (amount->minor == due) {
    evidence->push_back(absl::StrCat("amount ", FormatMoney(*amount), " equals the amount due"));
    return base;
  }
  if (amount->minor < due) {
    evidence->push_back(absl::StrCat("partial payment: ", FormatMoney(*amount), " of ",
                                     FormatMoney(due_money), " due"));
    return base - partial_penalty;
  }
  evidence->push_back(
      absl::StrCat("overpayment: ", FormatMoney(*amount), " for ", FormatMoney(due_money), " due"));
  return base - over_penalty;
}

// Groups items by customer, keeping first-seen order.
std::vector<std::vector<const OpenItem*>> ByCustomer(const std::vector<const OpenItem*>& items) {
  std::vector<std::vector<const OpenItem*>> groups;
  for (const OpenItem* it : items) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& grp) {
      return grp.front()->customer == it->customer &&
             grp.front()->amount_due.currency == it->amount_due.currency;
    });
    if (g == groups.end()) {
      groups.push_back({it});
    } else if (std::find(g->begin(), g->end(), it) == g->end()) {
      g->push_back(it);
    }
  }
  return groups;
}

std::vector<Pick> Picks(const std::vector<const OpenItem*>& items) {
  std::vector<Pick> out;
  out.reserve(items.size());
  for (const OpenItem* it : items) out.push_back({it, std::nullopt});
  return out;
}

// -------------------------------------------------------------- the steps

// One candidate per customer among `found`, with the evidence
// "<what> <how> <first number>" and the amount fit; several invoices sharing
// one reference lower it (the payer did not say which).
void AddPerCustomer(const IncomingPayment& p, const std::vector<const OpenItem*>& found,
                    MatchBasis basis, int base, absl::string_view what, absl::string_view how,
                    CandidateSet& out) {
  for (const auto& group : ByCustomer(found)) {
    std::vector<std::string> ev = {absl::StrCat(what, " ", how, " ", group.front()->number)};
    int bp = AmountFit(p, group, base, 300, 500, &ev);
    if (group.size() > 1) bp -= 1500;
    out.Add(basis, bp, Picks(group), std::move(ev));
  }
}

void MatchStructuredReferences(const IncomingPayment& p, absl::Span<const OpenItem> items,
                               CandidateSet& out, std::vector<std::string>& notes) {
  for (const std::string& raw : p.structured_references) {
    std::string ref = NormalizeReference(raw);
    if (ref.empty()) continue;
    MatchBasis basis = MatchBasis::kOtherReference;
    std::string what = absl::StrCat("reference ", raw);
    bool valid = true;
    std::string invalid_note;
    if (absl::StartsWith(ref, "+++") || absl::StartsWith(ref, "***") ||
        (ref.size() == 12 && AllDigits(ref) && IsValidBelgianStructuredReference(ref))) {
      // Belgian OGM, printed or as the bare 12 digits of a camt SCOR
      // reference (Issr BBA): compare the 12 digits only. Twelve digits are
      // never a Swiss QR/ISR reference (27 or 16 digits).
      valid = IsValidBelgianStructuredReference(ref);
      invalid_note = absl::StrCat("structured communication ", raw, " has invalid check digits");
      ref = AlnumKey(ref);
      what = absl::StrCat("structured communication ", raw, " (valid mod-97 check digits)");
    } else if (absl::StartsWith(ref, "RF")) {
      valid = IsValidRfReference(ref);
      invalid_note = absl::StrCat("RF reference ", raw, " has invalid check digits");
      basis = MatchBasis::kCreditorReference;
      what = absl::StrCat("RF creditor reference ", raw, " (valid ISO 11649 check digits)");
    } else if (AllDigits(ref) && (ref.size() == 27 || ref.size() == 16)) {
      valid = IsValidSwissReference(ref);
      invalid_note = absl::StrCat("QR/ISR reference ", raw, " has an invalid check digit");
      basis = MatchBasis::kSwissReference;
      what = absl::StrCat("QR/ISR reference ", raw, " (valid mod-10 check digit)");
    }
    if (!valid) {
      // A reference with bad check digits is no structured reference, but
      // when it is exactly what an invoice asked the payer to quote, the
      // payer copied it from that invoice: it still matches, as a plain
      // reference (the check digits were wrong when the invoice was issued).
      std::vector<const OpenItem*> exact;
      for (const OpenItem& it : items) {
        if (it.kind == OpenItem::Kind::kInvoice && !it.payment_reference.empty() &&
            NormalizeReference(it.payment_reference) == NormalizeReference(raw)) {
          exact.push_back(&it);
        }
      }
      if (exact.empty()) {
        notes.push_back(absl::StrCat(invalid_note, "; ignored"));
        continue;
      }
      notes.push_back(absl::StrCat(invalid_note, "; it equals a stored payment reference exactly"));
      AddPerCustomer(p, exact, MatchBasis::kOtherReference, 9300,
                     absl::StrCat("reference ", raw, " (invalid check digits)"),
                     "is exactly the payment reference of", out);
      continue;
    }
    std::vector<const OpenItem*> by_reference, by_number, by_embedded_number;
    for (const OpenItem& it : items) {
      if (it.kind != OpenItem::Kind::kInvoice) continue;
      std::string wanted = NormalizeReference(it.payment_reference);
      if (absl::StartsWith(wanted, "+++") || absl::StartsWith(wanted, "***")) {
        wanted = AlnumKey(wanted);
      }
      if (!wanted.empty() && wanted == ref) {
        by_reference.push_back(&it);
        continue;
      }
      std::string key = AlnumKey(it.number);
      if (key.empty()) continue;
      if (basis == MatchBasis::kCreditorReference) {
        if (AlnumKey(ref.substr(4)) == key) by_number.push_back(&it);
      } else if (basis == MatchBasis::kSwissReference) {
        std::string body = StripLeadingZeros(absl::string_view(ref).substr(0, ref.size() - 1));
        absl::string_view digits = TrailingDigits(key);
        if (digits == key && StripLeadingZeros(digits) == body) {
          by_number.push_back(&it);
        } else if (digits.size() >= 4 && absl::EndsWith(body, StripLeadingZeros(digits))) {
          by_embedded_number.push_back(&it);
        }
      } else if (AlnumKey(ref) == key) {
        by_number.push_back(&it);
      }
    }
    auto add = [&](const std::vector<const OpenItem*>& found, int base, absl::string_view how) {
      AddPerCustomer(p, found, basis, base, what, how, out);
    };
    int strong = basis == MatchBasis::kOtherReference ? 9300 : 9900;
    add(by_reference, strong, "is the payment reference of");
    add(by_number, basis == MatchBasis::kOtherReference ? 9300 : 9500,
        "carries the invoice number");
    add(by_embedded_number, 8000, "ends with the digits of invoice");
  }
}

const OpenItem* FindByNumber(absl::Span<const OpenItem> items, absl::string_view number,
                             OpenItem::Kind kind) {
  std::string key = AlnumKey(number);
  if (key.empty()) return nullptr;
  const OpenItem* loose = nullptr;
  for (const OpenItem& it : items) {
    if (it.kind != kind) continue;
    if (absl::AsciiStrToUpper(it.number) == absl::AsciiStrToUpper(number)) return &it;
    if (loose == nullptr && AlnumKey(it.number) == key) loose = &it;
  }
  return loose;
}

void MatchReferredDocuments(const IncomingPayment& p, absl::Span<const OpenItem> items,
                            CandidateSet& out, std::vector<std::string>& notes) {
  if (p.referred_documents.empty()) return;
  std::vector<Pick> picks;
  std::vector<std::string> evidence;
  int missing = 0;
  AmountSum remitted_net;
  bool all_amounts = true;
  for (const ReferredDocument& d : p.referred_documents) {
    auto kind = d.credit_note ? OpenItem::Kind::kCreditNote : OpenItem::Kind::kInvoice;
    const OpenItem* it = FindByNumber(items, d.number, kind);
    if (it == nullptr) {
      ++missing;
      notes.push_back(absl::StrCat("referred ", d.credit_note ? "credit note " : "invoice ",
                                   d.number, " is not an open item"));
      continue;
    }
    std::optional<int64_t> amount;
    if (d.amount.has_value() && d.amount->currency == it->amount_due.currency) {
      amount = d.amount->minor;
      if (d.credit_note) {
        remitted_net -= d.amount->minor;
      } else {
        remitted_net += d.amount->minor;
      }
    } else {
      all_amounts = false;
    }
    picks.push_back({it, amount});
    evidence.push_back(absl::StrCat("referred document ", d.number, " is open ",
                                    d.credit_note ? "credit note " : "invoice ", it->id));
  }
  if (picks.empty()) return;
  std::vector<const OpenItem*> found;
  found.reserve(picks.size());
  for (const Pick& pk : picks) found.push_back(pk.item);
  for (const auto& group : ByCustomer(found)) {
    std::vector<Pick> gp;
    for (const Pick& pk : picks) {
      if (std::find(group.begin(), group.end(), pk.item) != group.end()) gp.push_back(pk);
    }
    std::vector<std::string> ev = evidence;
    int bp = AmountFit(p, group, 9600, 600, 600, &ev);
    std::optional<Money> amount = AmountIn(p, group.front()->amount_due.currency);
    if (all_amounts && amount.has_value() && remitted_net.Clamped() == amount->minor && bp < 9600) {
      // The payer's own breakdown adds up: a deliberate partial settlement.
      ev.push_back("the remitted amounts per document add up to the payment");
      bp = 9400;
    }
    if (missing > 0) bp -= 1500;
    if (ByCustomer(found).size() > 1) bp -= 2000;
    out.Add(MatchBasis::kReferredDocument, bp, std::move(gp), std::move(ev));
  }
}

void MatchTextNumbers(const IncomingPayment& p, absl::Span<const OpenItem> items,
                      CandidateSet& out) {
  if (p.unstructured_text.empty()) return;
  std::string upper = absl::AsciiStrToUpper(p.unstructured_text);
  std::vector<const OpenItem*> exact, loose, core;
  for (const OpenItem& it : items) {
    if (it.kind != OpenItem::Kind::kInvoice) continue;
    switch (FindNumberInText(upper, it.number)) {
      case TextHit::kExact:
        exact.push_back(&it);
        break;
      case TextHit::kSeparatorInsensitive:
        loose.push_back(&it);
        break;
      case TextHit::kNumericCore:
        core.push_back(&it);
        break;
      case TextHit::kNone:
        break;
    }
  }
  // All numbers found for one customer form one candidate: a payment that
  // lists "INV-1, INV-2" pays both.
  std::vector<const OpenItem*> all = exact;
  all.insert(all.end(), loose.begin(), loose.end());
  all.insert(all.end(), core.begin(), core.end());
  for (const auto& group : ByCustomer(all)) {
    std::vector<std::string> ev;
    int base = 9500;
    for (const OpenItem* it : group) {
      bool is_exact = std::find(exact.begin(), exact.end(), it) != exact.end();
      bool is_loose = std::find(loose.begin(), loose.end(), it) != loose.end();
      if (is_exact) {
        ev.push_back(absl::StrCat("remittance text names invoice ", it->number));
      } else if (is_loose) {
        ev.push_back(
            absl::StrCat("remittance text spells invoice ", it->number, " with other separators"));
        base = std::min(base, 9000);
      } else {
        ev.push_back(absl::StrCat("remittance text contains ", TrailingDigits(AlnumKey(it->number)),
                                  ", the numeric part of invoice ", it->number));
        base = std::min(base, 7500);
      }
    }
    int bp = AmountFit(p, group, base, 1000, 1500, &ev);
    out.Add(MatchBasis::kInvoiceNumberInText, bp, Picks(group), std::move(ev));
  }
}

void MatchAmountAndPayer(const IncomingPayment& p, absl::Span<const OpenItem> items,
                         CandidateSet& out) {
  // Customers the payer plausibly is.
  std::set<std::string> payer_customers;
  for (const OpenItem& it : items) {
    if (!p.customer.empty() ? it.customer == p.customer
                            : NameSimilarity(p.payer_name, it.customer_name) > 0) {
      payer_customers.insert(it.customer);
    }
  }
  std::vector<const OpenItem*> same_amount_payer, same_amount_any;
  std::map<std::string, std::vector<const OpenItem*>> open_by_payer;
  for (const OpenItem& it : items) {
    std::optional<Money> amount = AmountIn(p, it.amount_due.currency);
    if (!amount.has_value()) continue;
    bool payer = payer_customers.count(it.customer) > 0;
    if (payer) open_by_payer[it.customer].push_back(&it);
    if (it.kind != OpenItem::Kind::kInvoice || it.amount_due.minor != amount->minor) continue;
    (payer ? same_amount_payer : same_amount_any).push_back(&it);
  }
  for (const OpenItem* it : same_amount_payer) {
    bool unique = same_amount_payer.size() == 1;
    std::vector<std::string> ev = {absl::StrCat(
        "amount ", FormatMoney(it->amount_due), " equals the amount due of ", it->number,
        unique ? ", the only such invoice of " : ", one of several such invoices of ",
        it->customer_name.empty() ? it->customer : it->customer_name)};
    // Equal confidence for equal evidence: the oldest invoice ranks first
    // through the sort, not through a higher score.
    out.Add(MatchBasis::kAmountAndPayer, unique ? 8000 : 6000, Picks({it}), std::move(ev));
  }
  if (same_amount_payer.empty()) {
    for (const OpenItem* it : same_amount_any) {
      bool unique = same_amount_any.size() == 1;
      std::vector<std::string> ev = {absl::StrCat(
          "amount ", FormatMoney(it->amount_due), " equals the amount due of ", it->number, " of ",
          it->customer_name.empty() ? it->customer : it->customer_name,
          unique ? " (the only open invoice with this amount)" : " (one of several)")};
      out.Add(MatchBasis::kAmountOnly, unique ? 5000 : 3000, Picks({it}), std::move(ev));
    }
  }
  for (const auto& [customer, open] : open_by_payer) {
    if (open.size() < 2) continue;
    std::optional<Money> amount = AmountIn(p, open.front()->amount_due.currency);
    if (amount.has_value() && InvoiceTotal(open) == amount->minor) {
      out.Add(MatchBasis::kPayerOpenBalance, 7500, Picks(open),
              {absl::StrCat("amount ", FormatMoney(*amount), " equals everything customer ",
                            customer, " owes (", open.size(), " open items)")});
    }
  }
}

// Bases that rest on the payer naming documents, as opposed to heuristics.
bool NamesDocuments(MatchBasis b) {
  return b == MatchBasis::kCreditorReference || b == MatchBasis::kSwissReference ||
         b == MatchBasis::kOtherReference || b == MatchBasis::kReferredDocument ||
         b == MatchBasis::kInvoiceNumberInText;
}

}  // namespace

// ---------------------------------------------------------------- references

std::string NormalizeReference(absl::string_view reference) {
  std::string out;
  for (char c : reference) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsValidRfReference(absl::string_view reference) {
  std::string r = NormalizeReference(reference);
  // ISO 11649: "RF" + 2 check digits + 1..21 alphanumerics.
  if (r.size() < 5 || r.size() > 25 || r[0] != 'R' || r[1] != 'F') return false;
  if (!IsDigit(r[2]) || !IsDigit(r[3])) return false;
  for (size_t i = 4; i < r.size(); ++i) {
    if (!IsAsciiAlnum(r[i])) return false;
  }
  // The check: move "RFcc" to the end; the number mod 97 must be 1.
  return Mod97(r.substr(4) + r.substr(0, 4)) == 1;
}

absl::StatusOr<std::string> MakeRfReference(absl::string_view body) {
  std::string b = NormalizeReference(body);
  if (b.empty() || b.size() > 21 || !std::all_of(b.begin(), b.end(), IsAsciiAlnum)) {
    return InvalidInput("INVALID_REFERENCE", "body",
                        "an RF reference body is 1..21 letters or digits");
  }
  int check = 98 - Mod97(b + "RF00");
  return absl::StrCat("RF", check < 10 ? "0" : "", check, b);
}

int SwissMod10CheckDigit(absl::string_view digits) {
  // SIX "Swiss Implementation Guidelines QR-bill", appendix B: modulo 10,
  // recursive.
  static constexpr int kTable[10] = {0, 9, 4, 6, 8, 2, 7, 1, 3, 5};
  int carry = 0;
  for (char c : digits) {
    if (!IsDigit(c)) return -1;
    carry = kTable[(carry + (c - '0')) % 10];
  }
  return (10 - carry) % 10;
}

bool IsValidSwissReference(absl::string_view reference) {
  std::string r = NormalizeReference(reference);
  if ((r.size() != 27 && r.size() != 16) || !AllDigits(r)) return false;
  return SwissMod10CheckDigit(absl::string_view(r).substr(0, r.size() - 1)) == r.back() - '0';
}

bool IsValidBelgianStructuredReference(absl::string_view reference) {
  std::string digits;
  for (char c : reference) {
    if (c == '+' || c == '*' || c == '/' || absl::ascii_isspace(static_cast<unsigned char>(c))) {
      continue;
    }
    if (!IsDigit(c)) return false;
    digits.push_back(c);
  }
  if (digits.size() != 12) return false;
  int64_t base = 0, check = 0;
  if (!absl::SimpleAtoi(digits.substr(0, 10), &base) ||
      !absl::SimpleAtoi(digits.substr(10), &check)) {
    return false;
  }
  int64_t expected = base % 97;
  return check == (expected == 0 ? 97 : expected);
}

absl::string_view MatchBasisName(MatchBasis basis) {
  switch (basis) {
    case MatchBasis::kCreditorReference:
      return "CREDITOR_REFERENCE";
    case MatchBasis::kSwissReference:
      return "SWISS_REFERENCE";
    case MatchBasis::kOtherReference:
      return "OTHER_REFERENCE";
    case MatchBasis::kReferredDocument:
      return "REFERRED_DOCUMENT";
    case MatchBasis::kInvoiceNumberInText:
      return "INVOICE_NUMBER_IN_TEXT";
    case MatchBasis::kAmountAndPayer:
      return "AMOUNT_AND_PAYER";
    case MatchBasis::kAmountOnly:
      return "AMOUNT_ONLY";
    case MatchBasis::kPayerOpenBalance:
      return "PAYER_OPEN_BALANCE";
  }
  return "UNKNOWN";
}

MatchResult MatchPayment(const IncomingPayment& payment, absl::Span<const OpenItem> open_items,
                         const MatchPolicy& policy) {
  MatchResult result;
  if (payment.amount.minor <= 0) {
    result.notes.push_back("not an incoming payment (amount <= 0)");
    return result;
  }
  // Only items with something left to settle, in a currency of the payment.
  std::vector<OpenItem> items;
  for (const OpenItem& it : open_items) {
    if (it.amount_due.minor > 0 && AmountIn(payment, it.amount_due.currency).has_value()) {
      items.push_back(it);
    }
  }
  CandidateSet set(payment);
  MatchStructuredReferences(payment, items, set, result.notes);
  MatchReferredDocuments(payment, items, set, result.notes);
  MatchTextNumbers(payment, items, set);
  MatchAmountAndPayer(payment, items, set);

  std::vector<MatchCandidate> all = set.Take();
  auto oldest_due = [&](const MatchCandidate& c) {
    absl::CivilDay best = absl::CivilDay::max();
    for (const ItemAllocation& a : c.allocations) {
      for (const OpenItem& it : items) {
        if (it.id == a.item_id) best = std::min(best, it.due_date);
      }
    }
    return best;
  };
  std::stable_sort(all.begin(), all.end(), [&](const MatchCandidate& a, const MatchCandidate& b) {
    if (a.confidence_bp != b.confidence_bp) return a.confidence_bp > b.confidence_bp;
    return oldest_due(a) < oldest_due(b);
  });
  for (MatchCandidate& c : all) {
    if (c.confidence_bp < policy.min_suggest_bp) break;
    if (static_cast<int>(result.candidates.size()) >= policy.max_candidates) break;
    result.candidates.push_back(std::move(c));
  }
  if (result.candidates.empty()) {
    result.decision = MatchResult::Decision::kUnmatched;
  } else {
    const MatchCandidate& best = result.candidates[0];
    const MatchCandidate* second = result.candidates.size() > 1 ? &result.candidates[1] : nullptr;
    bool confident =
        best.confidence_bp >= policy.auto_apply_min_bp &&
        (second == nullptr || best.confidence_bp - second->confidence_bp >= policy.min_lead_bp);
    // The remittance names two different sets of documents: whatever the
    // scores, only a human can tell which the payer meant.
    if (second != nullptr && NamesDocuments(best.basis) && NamesDocuments(second->basis)) {
      confident = false;
      result.notes.push_back("the remittance information names different documents");
    }
    result.decision =
        confident ? MatchResult::Decision::kAutoApply : MatchResult::Decision::kReview;
  }
  return result;
}

}  // namespace collections::domain
