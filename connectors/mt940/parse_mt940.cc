#include "connectors/mt940/parse_mt940.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "connectors/common/amount.h"
#include "connectors/common/bank_text.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "connectors/mt940/narrative.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

using collections_sidecar::v1::Payment;

bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }
bool IsUpper(char c) { return absl::ascii_isupper(static_cast<unsigned char>(c)); }

// One field: its tag and its physical lines (the first without ":tag:").
struct Field {
  std::string tag;
  int64_t line = 0;
  std::vector<std::string> lines;
  const std::string& first() const { return lines.front(); }
};

// ":20:", ":28C:", ":NS:" at the start of `line`: the tag, or "".
absl::string_view TagOf(absl::string_view line) {
  if (line.size() < 4 || line[0] != ':') return "";
  size_t end = line.find(':', 1);
  if (end == absl::string_view::npos || end < 3 || end > 5) return "";
  absl::string_view tag = line.substr(1, end - 1);
  if (!IsDigit(tag[0]) && tag != "NS") return "";
  for (char c : tag) {
    if (!IsDigit(c) && !IsUpper(c)) return "";
  }
  return tag;
}

// The machine reason of a conversion error, or `fallback`.
std::string ReasonOr(const absl::Status& st, absl::string_view fallback) {
  std::string r = domain::ReasonOf(st);
  return r.empty() ? std::string(fallback) : r;
}
// The sentence of a conversion error.
std::string Why(const absl::Status& st) {
  auto fields = domain::FieldsOf(st);
  return fields.empty() ? std::string(st.message()) : fields.front().description;
}

// An error at `column` (1-based, in the field's first line) of `f`.
struct FieldError {
  std::string reason;
  std::string description;
  int64_t column = 0;
};

// SWIFT amount (15d): digits with a decimal comma ("1147,95", "0,5",
// "000000000127,50", "100,"), at most 15 characters, unsigned (the D/C mark
// is the sign). The grammar, decimals and ceiling are the shared amount
// rules (amount.h) with the comma decimal the SWIFT standard fixes.
absl::StatusOr<int64_t> ParseSwiftAmount(absl::string_view text, absl::string_view currency,
                                         const AmountRules& rules) {
  auto bad = [&](absl::string_view why) {
    return domain::InvalidInput("INVALID_AMOUNT", "amount",
                                absl::StrCat("\"", text, "\" is not a SWIFT amount: ", why));
  };
  if (text.empty()) return bad("empty");
  if (text.size() > 15) return bad("more than 15 characters");
  if (text[0] == '-' || text[0] == '+') return bad("signed; the debit/credit mark is the sign");
  if (text[0] == ',') return bad("no digit before the decimal comma");
  AmountRules swift = rules;
  swift.format = kCommaDecimal;
  return ParseAmount(text, currency, swift);
}

// YYMMDD; years 80..99 are 1980..1999, 00..79 are 2000..2079.
absl::StatusOr<absl::CivilDay> ParseYymmdd(absl::string_view s) {
  int yy = 0, mm = 0, dd = 0;
  if (s.size() != 6 || !absl::SimpleAtoi(s.substr(0, 2), &yy) ||
      !absl::SimpleAtoi(s.substr(2, 2), &mm) || !absl::SimpleAtoi(s.substr(4, 2), &dd)) {
    return domain::InvalidInput("INVALID_DATE", "date", absl::StrCat("\"", s, "\" is not YYMMDD"));
  }
  absl::StatusOr<absl::CivilDay> d = domain::MakeDay(yy < 80 ? 2000 + yy : 1900 + yy, mm, dd);
  if (!d.ok()) {
    return domain::InvalidInput("INVALID_DATE", "date",
                                absl::StrCat("\"", s, "\" is not a calendar day"));
  }
  return *d;
}

struct Balance {
  int64_t signed_minor = 0;
  std::string currency;
  absl::CivilDay date;
};

// "C200219EUR3085,00": mark, YYMMDD, currency, amount.
std::optional<Balance> ParseBalance(absl::string_view s, const AmountRules& rules,
                                    FieldError* error) {
  auto fail = [&](absl::string_view reason, std::string why, int64_t column) {
    *error = FieldError{std::string(reason), std::move(why), column};
    return std::nullopt;
  };
  s = absl::StripTrailingAsciiWhitespace(s);
  if (s.size() < 11)
    return fail("INVALID_VALUE",
                absl::StrCat("\"", s, "\" is not a balance (mark, YYMMDD, currency, amount)"), 1);
  if (s[0] != 'C' && s[0] != 'D') {
    return fail("INVALID_VALUE",
                absl::StrCat("debit/credit mark \"", s.substr(0, 1), "\" is not C or D"), 1);
  }
  absl::StatusOr<absl::CivilDay> date = ParseYymmdd(s.substr(1, 6));
  if (!date.ok()) return fail("INVALID_DATE", Why(date.status()), 2);
  Balance b;
  b.date = *date;
  b.currency = std::string(s.substr(7, 3));
  if (!domain::IsKnownCurrency(b.currency)) {
    return fail("INVALID_CURRENCY",
                absl::StrCat("\"", b.currency, "\" is not an ISO 4217 currency"), 8);
  }
  absl::StatusOr<int64_t> minor = ParseSwiftAmount(s.substr(10), b.currency, rules);
  if (!minor.ok()) return fail(ReasonOr(minor.status(), "INVALID_AMOUNT"), Why(minor.status()), 11);
  b.signed_minor = s[0] == 'D' ? -*minor : *minor;
  return b;
}

// One :61: statement line with its :86:.
struct Entry {
  int64_t line = 0;
  absl::CivilDay value_date;
  std::string mark;  // C, D, RC, RD
  int64_t minor = 0;
  std::string type;  // "NTRF"
  std::string owner_reference;
  std::string bank_reference;
  std::string supplementary;
  std::vector<std::string> narrative_lines;
  bool has_narrative = false;
};

std::optional<Entry> ParseEntry(const Field& f, absl::string_view currency,
                                const AmountRules& rules, FieldError* error) {
  auto fail = [&](absl::string_view reason, std::string why, size_t pos) {
    *error = FieldError{std::string(reason), std::move(why), static_cast<int64_t>(pos) + 1};
    return std::nullopt;
  };
  absl::string_view s = absl::StripTrailingAsciiWhitespace(f.first());
  Entry e;
  e.line = f.line;
  if (s.size() < 6)
    return fail("INVALID_DATE", "the line does not start with a value date YYMMDD", 0);
  absl::StatusOr<absl::CivilDay> value = ParseYymmdd(s.substr(0, 6));
  if (!value.ok()) {
    return fail("INVALID_DATE", absl::StrCat("value date: ", Why(value.status())), 0);
  }
  e.value_date = *value;
  size_t p = 6;
  if (p + 4 <= s.size() && IsDigit(s[p]) && IsDigit(s[p + 1]) && IsDigit(s[p + 2]) &&
      IsDigit(s[p + 3])) {
    // Entry date MMDD: only checked for form; the value date is the payment's.
    int mm = (s[p] - '0') * 10 + (s[p + 1] - '0');
    int dd = (s[p + 2] - '0') * 10 + (s[p + 3] - '0');
    if (mm < 1 || mm > 12 || dd < 1 || dd > 31) {
      return fail("INVALID_DATE", absl::StrCat("entry date \"", s.substr(p, 4), "\" is not MMDD"),
                  p);
    }
    p += 4;
  }
  if (absl::StartsWith(s.substr(p), "RC") || absl::StartsWith(s.substr(p), "RD")) {
    e.mark = std::string(s.substr(p, 2));
    p += 2;
  } else if (p < s.size() && (s[p] == 'C' || s[p] == 'D')) {
    e.mark = std::string(s.substr(p, 1));
    p += 1;
  } else {
    return fail("INVALID_VALUE",
                absl::StrCat("debit/credit mark \"", s.substr(p, 2), "\" is not C, D, RC or RD"),
                p);
  }
  // Funds code: the third letter of the currency code, optional.
  if (p + 1 < s.size() && IsUpper(s[p]) && IsDigit(s[p + 1])) ++p;
  size_t amount_start = p;
  // A point is read too, to be refused with a clear message.
  while (p < s.size() && (IsDigit(s[p]) || s[p] == ',' || s[p] == '.')) ++p;
  absl::StatusOr<int64_t> minor =
      ParseSwiftAmount(s.substr(amount_start, p - amount_start), currency, rules);
  if (!minor.ok())
    return fail(ReasonOr(minor.status(), "INVALID_AMOUNT"), Why(minor.status()), amount_start);
  e.minor = *minor;
  while (p < s.size() && s[p] == ' ') ++p;  // seen: "D12,35 NRTI" (Commerzbank)
  if (p < s.size() && s[p] != 'N' && s[p] != 'F' && s[p] != 'S') {
    return fail(
        "INVALID_VALUE",
        absl::StrCat("transaction type \"", s.substr(p, 4), "\" does not start with N, F or S"), p);
  }
  e.type = std::string(s.substr(p, 4));
  p = std::min(s.size(), p + 4);
  absl::string_view refs = s.substr(p);
  size_t slashes = refs.find("//");
  e.owner_reference = std::string(absl::StripAsciiWhitespace(refs.substr(0, slashes)));
  if (slashes != absl::string_view::npos) {
    e.bank_reference = std::string(absl::StripAsciiWhitespace(refs.substr(slashes + 2)));
  }
  std::vector<absl::string_view> more(f.lines.begin() + 1, f.lines.end());
  e.supplementary = std::string(absl::StripAsciiWhitespace(absl::StrJoin(more, " ")));
  return e;
}

Payment::Method MethodOf(absl::string_view type) {
  absl::string_view code = type.size() == 4 ? type.substr(1) : "";
  if (code == "DDT") return Payment::DIRECT_DEBIT;
  if (code == "CHK") return Payment::CHECK;
  return Payment::BANK_TRANSFER;
}

// "NL68INGB0000012345EUR" -> "NL68INGB0000012345".
std::string AccountId(absl::string_view raw) {
  std::string a(absl::StripAsciiWhitespace(raw));
  if (a.size() > 18 && IsUpper(a[0]) && IsUpper(a[1]) && IsDigit(a[2]) && IsDigit(a[3])) {
    absl::string_view tail = absl::string_view(a).substr(a.size() - 3);
    if (IsUpper(tail[0]) && IsUpper(tail[1]) && IsUpper(tail[2]) && domain::IsKnownCurrency(tail)) {
      a.resize(a.size() - 3);
    }
  }
  return a;
}

bool IsNonRef(absl::string_view r) { return r.empty() || r == "NONREF" || r == "NOTPROVIDED"; }

// Some banks (ASN) put the counterparty's IBAN where the owner's reference
// belongs; an IBAN is not a payment reference.
bool LooksLikeIban(absl::string_view r) {
  if (r.size() < 15 || r.size() > 34 || !IsUpper(r[0]) || !IsUpper(r[1]) || !IsDigit(r[2]) ||
      !IsDigit(r[3])) {
    return false;
  }
  for (char c : r) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

class Mt940Parser {
 public:
  Mt940Parser(const ParseOptions& options, const RecordSink& on_record, const IssueSink& on_issue,
              Mt940Stats& stats)
      : file_(options.file_name.empty() ? "<input>" : options.file_name),
        source_system_(options.source_system.empty() ? "mt940" : options.source_system),
        rules_(options.amounts),
        on_record_(on_record),
        on_issue_(on_issue),
        stats_(stats) {}

  absl::Status Run(LineReader& reader) {
    std::string line;
    std::optional<Field> field;
    auto flush = [&]() {
      if (field.has_value()) OnField(*field);
      field.reset();
    };
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader.Next(&line));
      if (!more) break;
      const int64_t n = reader.line_number();
      absl::string_view l = line;
      if (absl::StartsWith(l, "{")) {
        // SWIFT envelope: {1:...}{2:...}{3:{108:...}}{4: -- the text block
        // follows; everything else on the line is header.
        flush();
        size_t text_block = l.find("{4:");
        if (text_block == absl::string_view::npos) continue;
        l = l.substr(text_block + 3);
        if (l.empty()) continue;
      }
      absl::string_view stripped = absl::StripTrailingAsciiWhitespace(l);
      if (stripped == "-" || absl::StartsWith(stripped, "-}")) {
        flush();
        EndStatement(n);
        continue;
      }
      absl::string_view tag = TagOf(l);
      if (!tag.empty()) {
        flush();
        field = Field{std::string(tag), n, {std::string(l.substr(tag.size() + 2))}};
        continue;
      }
      if (stripped.empty()) continue;
      // Continuation of the open field; outside any field, header lines.
      if (field.has_value()) field->lines.emplace_back(l);
    }
    flush();
    EndStatement(reader.line_number());
    if (stats_.statements == 0) {
      Location where{file_, 1, 0, ""};
      return InputError("NOT_MT940", where, "the input holds no MT940 statement (no :20: field)");
    }
    return absl::OkStatus();
  }

 private:
  struct Statement {
    bool open = false;
    int64_t line = 0;
    std::string reference;
    std::string account;
    std::string number;
    std::optional<Balance> opening;
    int64_t sum = 0;
    bool overflow = false;
    int64_t broken_line = 0;  // first unreadable field, 0 if none
    bool closed = false;
    int entries = 0;
    std::vector<ParsedRecord> held;
    absl::flat_hash_map<std::string, int> seen_ids;
  };

  Location At(int64_t line, int64_t column = 0) const { return Location{file_, line, column, ""}; }

  void Issue(int64_t line, int64_t column, absl::string_view tag, absl::string_view reason,
             std::string description) {
    ++stats_.rejected;
    ParseIssue i;
    i.where = At(line, column);
    i.field = absl::StrCat(":", tag, ":");
    i.reason = std::string(reason);
    i.description = std::move(description);
    on_issue_(std::move(i));
  }
  void FieldIssue(const Field& f, const FieldError& e) {
    // Columns count from the start of the physical line (":61:" included).
    Issue(f.line, e.column > 0 ? e.column + static_cast<int64_t>(f.tag.size()) + 2 : 0, f.tag,
          e.reason, e.description);
  }
  void Broken(int64_t line) {
    if (st_.broken_line == 0) st_.broken_line = line;
  }

  void StartStatement(const Field& f) {
    ++stats_.statements;
    st_ = Statement{};
    st_.open = true;
    st_.line = f.line;
    st_.reference = std::string(absl::StripAsciiWhitespace(f.first()));
  }

  void OnField(const Field& f) {
    if (f.tag == "20") {
      EndStatement(f.line);
      StartStatement(f);
      return;
    }
    static const absl::flat_hash_map<std::string, int>* const kStatementTags =
        new absl::flat_hash_map<std::string, int>{{"25", 0},  {"28", 0}, {"28C", 0}, {"60F", 0},
                                                  {"60M", 0}, {"61", 0}, {"86", 0},  {"62F", 0},
                                                  {"62M", 0}, {"64", 0}, {"65", 0}};
    if (!kStatementTags->contains(f.tag)) return;  // :21:, :34F:, :NS:, ":940:" ...
    if (!st_.open) {
      Issue(f.line, 0, f.tag, "MISSING_FIELD",
            absl::StrCat(":", f.tag, ": outside a statement: a statement starts with :20:"));
      StartStatement(Field{"20", f.line, {""}});
    }
    if (f.tag == "25") {
      st_.account = AccountId(f.first());
    } else if (f.tag == "28" || f.tag == "28C") {
      st_.number = std::string(absl::StripAsciiWhitespace(f.first()));
    } else if (f.tag == "60F" || f.tag == "60M") {
      OnOpening(f);
    } else if (f.tag == "61") {
      OnEntry(f);
    } else if (f.tag == "86") {
      if (entry_.has_value() && !entry_->has_narrative) {
        entry_->narrative_lines = f.lines;
        entry_->has_narrative = true;
      }
    } else if (f.tag == "62F" || f.tag == "62M") {
      FinishEntry();
      OnClosing(f);
    } else {  // :64:, :65:
      FinishEntry();
      FieldError e;
      if (!ParseBalance(f.first(), rules_, &e).has_value()) FieldIssue(f, e);
    }
  }

  void OnOpening(const Field& f) {
    FinishEntry();
    if (st_.opening.has_value() || st_.entries > 0) {
      Issue(f.line, 0, f.tag, "INVALID_VALUE", "a second opening balance in one statement");
      Broken(f.line);
      return;
    }
    FieldError e;
    st_.opening = ParseBalance(f.first(), rules_, &e);
    if (!st_.opening.has_value()) {
      FieldIssue(f, e);
      Broken(f.line);
    }
  }

  void OnEntry(const Field& f) {
    FinishEntry();
    ++stats_.entries;
    ++st_.entries;
    if (st_.closed) {
      Issue(f.line, 0, f.tag, "INVALID_VALUE", "statement line after the closing balance");
      Broken(f.line);
      return;
    }
    if (!st_.opening.has_value()) {
      Issue(f.line, 0, f.tag, "MISSING_FIELD",
            "statement line without a readable opening balance (:60F:) before it: its currency is "
            "unknown");
      Broken(f.line);
      return;
    }
    FieldError e;
    entry_ = ParseEntry(f, st_.opening->currency, rules_, &e);
    if (!entry_.has_value()) {
      FieldIssue(f, e);
      Broken(f.line);
      return;
    }
    bool adds = entry_->mark == "C" || entry_->mark == "RD";
    absl::StatusOr<int64_t> sum =
        CheckedAdd(st_.sum, adds ? entry_->minor : -entry_->minor, "statement total");
    if (sum.ok()) {
      st_.sum = *sum;
    } else {
      st_.overflow = true;
    }
  }

  // Turns the pending :61: (with its :86:) into a held payment, or counts it.
  void FinishEntry() {
    if (!entry_.has_value()) return;
    Entry e = std::move(*entry_);
    entry_.reset();
    bool returned_item = e.type.size() == 4 && e.type.substr(1) == "RTI";
    bool reversal = e.mark == "RC" || (e.mark == "D" && returned_item);
    if (e.minor == 0) {
      ++stats_.zero_ignored;
      return;
    }
    if (e.mark == "D" && !reversal) {
      ++stats_.debits_ignored;
      return;
    }
    if (e.mark == "RD" || (e.mark == "C" && returned_item)) {
      ++stats_.reversed_debits_ignored;
      return;
    }
    st_.held.push_back(MakePayment(e, reversal));
  }

  ParsedRecord MakePayment(const Entry& e, bool reversal) {
    Mt940Narrative n = ParseNarrative(e.narrative_lines);
    const std::string& currency = st_.opening->currency;
    ParsedRecord rec = NewRecord(At(e.line));
    Payment* p = rec.record.mutable_payment();
    *p->mutable_amount() = ToProtoMoney(e.minor, currency);
    *p->mutable_received_date() = ToProtoDate(e.value_date);
    p->set_method(MethodOf(e.type));
    p->set_reversal(reversal);
    p->set_account_id(st_.account);
    p->set_payer_name(n.counterparty_name);
    std::string payer_ref = n.end_to_end_id;
    if (payer_ref.empty() && !IsNonRef(e.owner_reference) && !LooksLikeIban(e.owner_reference)) {
      payer_ref = e.owner_reference;
    }
    p->set_payer_reference(payer_ref);
    p->set_bank_reference(IsNonRef(e.bank_reference) ? "" : e.bank_reference);
    p->set_remittance_text(n.remittance);
    std::vector<std::string> refs = n.structured_references;
    for (std::string& r : ReferencesInText(n.remittance)) {
      if (std::find(refs.begin(), refs.end(), r) == refs.end()) refs.push_back(std::move(r));
    }
    for (const std::string& r : refs) p->add_creditor_references(r);
    // /OCMT/USD100,00/: the original amount, when in another currency.
    for (const auto& [code, value] : SplitSlashCodes(e.supplementary)) {
      if (code != "OCMT" || value.size() < 4) continue;
      std::string ccy = value.substr(0, 3);
      if (ccy == currency || !domain::IsKnownCurrency(ccy)) continue;
      absl::StatusOr<int64_t> m = ParseSwiftAmount(value.substr(3), ccy, rules_);
      if (m.ok() && *m > 0) *p->mutable_instructed_amount() = ToProtoMoney(*m, ccy);
    }
    // A name on the :61: second line (ASN, some Dutch banks) when :86: has none.
    if (p->payer_name().empty() && !e.supplementary.empty() && e.supplementary[0] != '/') {
      bool has_letter = false, has_space = false;
      for (char c : e.supplementary) {
        has_letter |= absl::ascii_isalpha(static_cast<unsigned char>(c));
        has_space |= c == ' ';
      }
      if (has_letter && has_space) p->set_payer_name(e.supplementary);
    }
    p->mutable_external_ref()->set_source_system(source_system_);
    p->mutable_external_ref()->set_id(ExternalId(e, reversal));
    return rec;
  }

  std::string ExternalId(const Entry& e, bool reversal) {
    std::string account = st_.account.empty() ? "-" : st_.account;
    std::string id;
    if (!IsNonRef(e.bank_reference)) {
      id = absl::StrCat(account, "/", e.bank_reference);
    } else {
      const Balance& o = *st_.opening;
      id = absl::StrCat(
          account, "/fp-",
          StableId({st_.reference, st_.number, domain::FormatIsoDay(o.date),
                    absl::StrCat(o.signed_minor), o.currency, absl::StrCat(st_.entries),
                    domain::FormatIsoDay(e.value_date), e.mark, absl::StrCat(e.minor), e.type,
                    e.owner_reference, e.supplementary, absl::StrJoin(e.narrative_lines, "\n")}));
    }
    if (reversal) id = absl::StrCat("reversal:", id);
    int& seen = st_.seen_ids[id];
    ++seen;
    if (seen > 1) absl::StrAppend(&id, "#", seen);
    return id;
  }

  void OnClosing(const Field& f) {
    if (st_.closed) {
      Issue(f.line, 0, f.tag, "INVALID_VALUE", "a second closing balance in one statement");
      Broken(f.line);
      return;
    }
    st_.closed = true;
    FieldError e;
    std::optional<Balance> closing = ParseBalance(f.first(), rules_, &e);
    if (!closing.has_value()) {
      FieldIssue(f, e);
      Broken(f.line);
    }
    if (st_.broken_line != 0 || !st_.opening.has_value() || !closing.has_value()) {
      Withhold(absl::StrCat("has an unreadable field at line ",
                            st_.broken_line != 0 ? st_.broken_line : f.line,
                            ", so its balances cannot be reconciled"));
      return;
    }
    const Balance& o = *st_.opening;
    if (closing->currency != o.currency) {
      Issue(f.line, 0, f.tag, "CURRENCY_MISMATCH",
            absl::StrCat("closing balance in ", closing->currency, ", opening balance in ",
                         o.currency));
      Withhold("has its opening and closing balances in different currencies");
      return;
    }
    absl::StatusOr<int64_t> expected_or = CheckedAdd(o.signed_minor, st_.sum, "statement total");
    if (st_.overflow || !expected_or.ok()) {
      Issue(f.line, 0, f.tag, "MONEY_OVERFLOW", "the statement's amounts overflow 64 bits");
      Withhold("has amounts that overflow");
      return;
    }
    const int64_t expected = *expected_or;
    if (expected != closing->signed_minor) {
      std::string why = absl::StrCat(
          "opening balance ", Signed(o.signed_minor), " + statement lines ", Signed(st_.sum), " = ",
          Signed(expected), " ", o.currency, ", but the closing balance is ",
          Signed(closing->signed_minor), " ", o.currency, " (", StatementName(), ")");
      Issue(f.line, 0, f.tag, "BALANCE_MISMATCH", why);
      Withhold(absl::StrCat("does not reconcile (line ", f.line, ")"));
      return;
    }
    Release();
  }

  std::string Signed(int64_t minor) const {
    return absl::StrCat(minor < 0 ? "-" : "",
                        domain::FormatDecimal(minor < 0 ? -minor : minor, st_.opening->currency));
  }
  std::string StatementName() const {
    return absl::StrCat("statement :20:", st_.reference,
                        st_.number.empty() ? "" : " :28C:", st_.number, " of line ", st_.line);
  }

  void Release() {
    for (ParsedRecord& r : st_.held) {
      if (r.record.payment().reversal()) {
        ++stats_.reversals;
      } else {
        ++stats_.credits;
      }
      on_record_(std::move(r));
    }
    st_.held.clear();
  }

  void Withhold(const std::string& why) {
    ++stats_.unreconciled_statements;
    for (const ParsedRecord& r : st_.held) {
      const Payment& p = r.record.payment();
      Issue(r.where.line, 0, "61", "STATEMENT_NOT_RECONCILED",
            absl::StrCat(p.reversal() ? "reversal of " : "payment of ",
                         domain::FormatMoney(
                             domain::Money{p.amount().currency_code(), p.amount().minor_units()}),
                         " not imported: ", StatementName(), " ", why));
    }
    st_.held.clear();
  }

  // At the end of a message ("-"), at the next :20: and at the end of input.
  void EndStatement(int64_t line) {
    if (!st_.open) return;
    FinishEntry();
    if (!st_.closed) {
      Issue(line, 0, "62F", "MISSING_CLOSING_BALANCE",
            absl::StrCat(StatementName(), " ends without a closing balance (:62F:)"));
      if (!st_.held.empty()) Withhold("has no closing balance");
    }
    st_ = Statement{};
  }

  std::string file_;
  std::string source_system_;
  AmountRules rules_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  Mt940Stats& stats_;
  Statement st_;
  std::optional<Entry> entry_;
};

}  // namespace

absl::Status ParseMt940(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                        const IssueSink& on_issue, Mt940Stats* stats) {
  Mt940Stats local;
  Mt940Stats& s = stats != nullptr ? *stats : local;
  LineReaderOptions ro;
  ro.encoding = options.encoding;
  ro.max_line_bytes = size_t{1} << 20;
  LineReader reader(in, ro);
  Mt940Parser parser(options, on_record, on_issue, s);
  return parser.Run(reader);
}

}  // namespace collections::connectors
