#include "connectors/plaintext/parse_plaintext.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// ----------------------------------------------------------------- amounts

struct Amount {
  std::string commodity;  // as written, quotes removed
  std::string number;     // optional '-', then digits and marks as written
};

// Splits "$-1,000.00", "-$1000", "500.00€", "431.92 USD", "USD -5" into
// commodity and a normalized number. nullopt when there is no number.
std::optional<Amount> SplitAmount(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return std::nullopt;
  std::string digits;  // digits and separators, in order
  std::string commodity;
  bool negative = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {  // quoted commodity, e.g. "AAPL 2"
      size_t end = text.find('"', i + 1);
      if (end == absl::string_view::npos) return std::nullopt;
      commodity = std::string(text.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '-') {
      negative = !negative;
      ++i;
    } else if (c == '+' || IsSpace(c)) {
      ++i;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
               ((c == '.' || c == ',') && !digits.empty())) {
      digits.push_back(c);
      ++i;
    } else if (c == '.' && i + 1 < text.size() &&
               absl::ascii_isdigit(static_cast<unsigned char>(text[i + 1]))) {
      digits.push_back(c);  // ".50"
      ++i;
    } else {
      size_t start = i;
      while (i < text.size() && !IsSpace(text[i]) && text[i] != '-' &&
             !absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
        ++i;
      }
      if (!commodity.empty()) return std::nullopt;  // two commodities
      commodity = std::string(text.substr(start, i - start));
    }
  }
  if (digits.empty()) return std::nullopt;
  // The marks are read by the run's number format (amount.h; default
  // "1,234.56", --number_format=1.234,56 for a journal with a decimal
  // comma), never guessed from the digits.
  std::string number = negative ? "-" : "";
  number += digits;
  return Amount{commodity, number};
}

// ------------------------------------------------------------------- dates

struct DateText {
  std::optional<int> year;
  int month = 0;
  int day = 0;
};

// "2020-02-01", "2004/05/01", "2004.05.01", or partial "1/3".
std::optional<DateText> SplitDate(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::ByAnyChar("-/."));
  std::vector<int> n;
  for (absl::string_view p : parts) {
    int v = 0;
    if (p.empty() || p.size() > 4 || !absl::SimpleAtoi(p, &v)) return std::nullopt;
    n.push_back(v);
  }
  if (n.size() == 3 && parts[0].size() == 4) return DateText{n[0], n[1], n[2]};
  if (n.size() == 2) return DateText{std::nullopt, n[0], n[1]};
  return std::nullopt;
}

// ----------------------------------------------------------------- journal

struct Posting {
  std::string account;
  bool is_virtual = false;  // "(account)": not part of the balance
  std::optional<Amount> amount;
  bool priced = false;  // a cost or price ("@", "{...}"): balances in another commodity
  int64_t line = 0;
  std::string comment;
};

struct Transaction {
  int64_t line = 0;
  absl::CivilDay date;
  std::optional<absl::CivilDay> date2;
  std::string code;
  std::string payee;        // hledger "payee | note", beancount payee
  std::string description;  // the whole description / narration
  std::string comments;     // header and transaction comment text
  // Tags on lines of their own ("; key: value" comments, beancount
  // metadata key: "value"), the first of each key.
  std::map<std::string, std::string, std::less<>> tags;
  std::vector<Posting> postings;

  // The value of tag `key`, or "".
  std::string Tag(absl::string_view key) const {
    auto it = tags.find(key);
    return it == tags.end() ? "" : it->second;
  }
};

// A tag line's key: a lower-case letter, then letters, digits, '-' or '_'.
bool IsTagKey(absl::string_view key) {
  if (key.empty() || !absl::ascii_islower(static_cast<unsigned char>(key[0]))) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// A beancount string's content: the quotes removed, \" and \\ unescaped.
// Unquoted values (numbers, dates) are returned as written.
std::string Unquote(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

struct OpenInvoice {
  std::string number;
  std::string id;
  std::string currency;
  int64_t open = 0;
};

bool SegmentMatches(absl::string_view account, absl::string_view marker, size_t* index) {
  std::string lower_marker = absl::AsciiStrToLower(marker);
  std::vector<absl::string_view> segments = absl::StrSplit(account, ':');
  for (size_t i = 0; i < segments.size(); ++i) {
    if (absl::StrContains(absl::AsciiStrToLower(segments[i]), lower_marker)) {
      *index = i;
      return true;
    }
  }
  return false;
}

std::string FirstSegmentLower(absl::string_view account) {
  return absl::AsciiStrToLower(account.substr(0, account.find(':')));
}

// A tag "due: 2020-03-01" or beancount metadata due: "2020-03-01" in text.
std::optional<absl::CivilDay> DueTag(absl::string_view text) {
  size_t pos = 0;
  while ((pos = text.find("due:", pos)) != absl::string_view::npos) {
    bool boundary = pos == 0 || !absl::ascii_isalnum(static_cast<unsigned char>(text[pos - 1]));
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(text.substr(pos + 4));
    rest = absl::StripPrefix(rest, "\"");
    pos += 4;
    if (!boundary || rest.size() < 10) continue;
    absl::StatusOr<absl::CivilDay> d = domain::ParseIsoDay(rest.substr(0, 10));
    if (d.ok()) return *d;
  }
  return std::nullopt;
}

class JournalParser {
 public:
  JournalParser(const ParseOptions& options, const PlaintextParseOptions& plaintext,
                const RecordSink& on_record, const IssueSink& on_issue, PlaintextStats& stats)
      : options_(options),
        plaintext_(plaintext),
        file_(options.file_name.empty() ? "<input>" : options.file_name),
        source_(options.source_system.empty() ? "ledger" : options.source_system),
        on_record_(on_record),
        on_issue_(on_issue),
        stats_(stats) {
    year_ = plaintext.default_year > 0
                ? plaintext.default_year
                : static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year());
  }

  absl::Status Run(std::istream& in) {
    LineReaderOptions lo;
    lo.encoding = options_.encoding;
    LineReader lines(in, lo);
    std::string line;
    while (true) {
      ASSIGN_OR_RETURN(bool more, lines.Next(&line));
      if (!more) break;
      Line(line, lines.line_number());
    }
    Finish();
    return absl::OkStatus();
  }

 private:
  Location At(int64_t line, int64_t column = 1) const { return Location{file_, line, column, ""}; }

  void Issue(int64_t line, absl::string_view field, absl::string_view reason,
             absl::string_view description) {
    ++stats_.rejected;
    on_issue_(
        ParseIssue{At(line), std::string(field), std::string(reason), std::string(description)});
  }

  void Line(absl::string_view line, int64_t number) {
    if (line.empty() || absl::StripAsciiWhitespace(line).empty()) {
      Finish();
      return;
    }
    if (IsSpace(line[0])) {
      if (skipping_block_) return;
      if (txn_.has_value()) Indented(absl::StripLeadingAsciiWhitespace(line), number);
      return;
    }
    Finish();
    skipping_block_ = false;
    char c = line[0];
    if (c == ';' || c == '#' || c == '%' || c == '|' || c == '*') return;  // comments, org headings
    if (c == '=' || c == '~') {  // automated / periodic rules and their postings
      ++stats_.rules_skipped;
      skipping_block_ = true;
      return;
    }
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      Header(line, number);
      return;
    }
    Directive(line);
  }

  void Directive(absl::string_view line) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty()) return;
    absl::string_view w = words[0];
    int y = 0;
    if ((w == "Y" || w == "year") && words.size() > 1 && absl::SimpleAtoi(words[1], &y)) {
      year_ = y;
    } else if (w == "apply" && words.size() > 2 && words[1] == "year" &&
               absl::SimpleAtoi(words[2], &y)) {
      year_ = y;
    } else if (w == "D" && words.size() > 1) {
      // ledger: the default commodity of unit-less amounts, e.g. "D $1,000.00".
      std::optional<Amount> a = SplitAmount(line.substr(line.find(words[1])));
      if (a.has_value() && !a->commodity.empty()) default_commodity_ = a->commodity;
    } else if (w == "decimal-mark" && words.size() > 1 && !options_.amounts.format_chosen &&
               (words[1] == "," || words[1] == ".")) {
      // hledger: "decimal-mark ," declares the journal's decimal comma; the
      // other mark may then group thousands.
      amounts_.format = words[1] == "," ? kCommaDecimalGrouped : kPointDecimalGrouped;
    }
    // Everything else (account, commodity, include, P, option, plugin,
    // apply tag, ...) has indented sub-lines at most: skip them.
    skipping_block_ = true;
  }

  void Header(absl::string_view line, int64_t number) {
    size_t end = 0;
    while (end < line.size() && !IsSpace(line[end])) ++end;
    absl::string_view date_field = line.substr(0, end);
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(line.substr(end));
    // beancount directives: "2008-01-01 open Assets:..", balance, pad, price...
    std::vector<absl::string_view> words =
        absl::StrSplit(rest, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    static const auto* kBeancountDirectives = new absl::flat_hash_set<absl::string_view>{
        "open", "close",    "balance",   "pad",    "price", "event",
        "note", "document", "commodity", "custom", "query"};
    if (!words.empty() && kBeancountDirectives->contains(words[0])) {
      skipping_block_ = true;
      return;
    }
    Transaction t;
    t.line = number;
    std::vector<absl::string_view> dates = absl::StrSplit(date_field, '=');
    std::optional<absl::CivilDay> d = ResolveDate(dates[0]);
    if (!d.has_value()) {
      Issue(number, "date", "INVALID_DATE",
            absl::StrCat("\"", date_field, "\" is not a journal date"));
      skipping_block_ = true;
      return;
    }
    t.date = *d;
    if (dates.size() > 1) t.date2 = ResolveDate(dates[1], d->year());
    // Status flag, beancount "txn".
    if (absl::StartsWith(rest, "*") || absl::StartsWith(rest, "!")) {
      rest = absl::StripLeadingAsciiWhitespace(rest.substr(1));
    } else if (absl::StartsWith(rest, "txn ")) {
      rest = absl::StripLeadingAsciiWhitespace(rest.substr(4));
    }
    if (absl::StartsWith(rest, "(")) {
      size_t close = rest.find(')');
      if (close != absl::string_view::npos) {
        t.code = std::string(rest.substr(1, close - 1));
        rest = absl::StripLeadingAsciiWhitespace(rest.substr(close + 1));
      }
    }
    if (absl::StartsWith(rest, "\"")) {
      // beancount: "payee" "narration" or "narration".
      std::vector<std::string> strings;
      size_t i = 0;
      while (i < rest.size() && rest[i] == '"') {
        size_t close = rest.find('"', i + 1);
        if (close == absl::string_view::npos) break;
        strings.emplace_back(rest.substr(i + 1, close - i - 1));
        i = close + 1;
        while (i < rest.size() && IsSpace(rest[i])) ++i;
      }
      if (strings.size() >= 2) {
        t.payee = strings[0];
        t.description = strings[0] + " | " + strings[1];
      } else if (strings.size() == 1) {
        t.description = strings[0];
      }
      t.comments = std::string(rest.substr(std::min(i, rest.size())));
    } else {
      size_t semi = rest.find(';');
      t.description = std::string(absl::StripAsciiWhitespace(rest.substr(0, semi)));
      if (semi != absl::string_view::npos) t.comments = std::string(rest.substr(semi + 1));
      size_t bar = t.description.find('|');
      if (bar != std::string::npos) {
        t.payee = std::string(absl::StripAsciiWhitespace(t.description.substr(0, bar)));
      }
    }
    ++stats_.transactions;
    txn_ = std::move(t);
  }

  std::optional<absl::CivilDay> ResolveDate(absl::string_view text,
                                            std::optional<int> year_hint = std::nullopt) {
    std::optional<DateText> dt = SplitDate(text);
    if (!dt.has_value()) return std::nullopt;
    int year = dt->year.value_or(year_hint.value_or(year_));
    absl::StatusOr<absl::CivilDay> d = domain::MakeDay(year, dt->month, dt->day);
    if (!d.ok()) return std::nullopt;
    if (dt->year.has_value() && !year_hint.has_value())
      year_ = *dt->year;  // hledger: later partial dates follow
    return *d;
  }

  void Indented(absl::string_view text, int64_t number) {
    Transaction& t = *txn_;
    if (absl::StartsWith(text, ";") || absl::StartsWith(text, "#")) {
      absl::StrAppend(&t.comments, " ", text.substr(1));
      // "; key: value" on a line of its own: a tag with the rest of the line.
      absl::string_view body = absl::StripLeadingAsciiWhitespace(text.substr(1));
      const size_t colon = body.find(": ");
      if (colon != absl::string_view::npos && IsTagKey(body.substr(0, colon))) {
        t.tags.emplace(std::string(body.substr(0, colon)),
                       std::string(absl::StripAsciiWhitespace(body.substr(colon + 2))));
      }
      return;
    }
    // beancount metadata "key: value" (a key is lower-case, then ": ").
    size_t colon = text.find(": ");
    if (colon != absl::string_view::npos && colon > 0 &&
        absl::ascii_islower(static_cast<unsigned char>(text[0])) &&
        text.substr(0, colon).find_first_of(" \t:") == absl::string_view::npos) {
      absl::StrAppend(&t.comments, " ", text);
      absl::string_view key = text.substr(0, colon);
      const std::string value = Unquote(text.substr(colon + 1));
      t.tags.emplace(std::string(key), value);
      // beancount has no transaction code: metadata invoice: "INV-7" is one.
      if (t.code.empty() && (key == "invoice" || key == "code")) t.code = value;
      return;
    }
    Posting p;
    p.line = number;
    if (absl::StartsWith(text, "* ") || absl::StartsWith(text, "! ")) {
      text = absl::StripLeadingAsciiWhitespace(text.substr(2));
    }
    size_t semi = text.find(';');
    if (semi != absl::string_view::npos) {
      p.comment = std::string(text.substr(semi + 1));
      text = absl::StripTrailingAsciiWhitespace(text.substr(0, semi));
    }
    // The account ends at two spaces or a tab (ledger/hledger names may hold
    // single spaces); beancount names never do.
    size_t sep = std::string::npos;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\t' || (text[i] == ' ' && i + 1 < text.size() && text[i + 1] == ' ')) {
        sep = i;
        break;
      }
    }
    if (sep == std::string::npos) {
      size_t space = text.find(' ');
      if (space != absl::string_view::npos && beancount_like_account(text.substr(0, space))) {
        sep = space;
      }
    }
    absl::string_view account = text.substr(0, sep);
    absl::string_view amount_text = sep == std::string::npos
                                        ? absl::string_view()
                                        : absl::StripLeadingAsciiWhitespace(text.substr(sep));
    if ((absl::StartsWith(account, "(") && absl::EndsWith(account, ")")) ||
        (absl::StartsWith(account, "[") && absl::EndsWith(account, "]"))) {
      p.is_virtual = account[0] == '(';
      account = account.substr(1, account.size() - 2);
    }
    p.account = std::string(account);
    // Drop a balance assertion ("= $0"), a cost ("{...}") and a price ("@").
    size_t cut = amount_text.find_first_of("=@{");
    p.priced = cut != absl::string_view::npos && amount_text[cut] != '=';
    amount_text = absl::StripAsciiWhitespace(amount_text.substr(0, cut));
    if (!amount_text.empty()) {
      p.amount = SplitAmount(amount_text);
      if (!p.amount.has_value()) p.amount = Amount{"?", std::string(amount_text)};  // unreadable
    }
    t.postings.push_back(std::move(p));
  }

  // "Assets:Cash" style: capitalised, colon-separated, no spaces.
  static bool beancount_like_account(absl::string_view s) {
    return !s.empty() && absl::ascii_isupper(static_cast<unsigned char>(s[0])) &&
           s.find(':') != absl::string_view::npos && s.find(' ') == absl::string_view::npos;
  }

  std::string CurrencyOf(const Amount& a) const {
    std::string c = a.commodity.empty() ? default_commodity_ : a.commodity;
    if (c.empty()) return options_.default_currency;
    return CommodityToCurrency(c);
  }

  void Finish() {
    if (!txn_.has_value()) return;
    Transaction t = std::move(*txn_);
    txn_.reset();
    Book(t);
  }

  // Amount of posting `i` in minor units of its currency, inferring an
  // omitted amount from the other real postings.
  absl::StatusOr<domain::Money> PostingMoney(const Transaction& t, size_t i) {
    const Posting& p = t.postings[i];
    if (p.amount.has_value()) {
      std::string currency = CurrencyOf(*p.amount);
      if (currency.empty()) {
        return domain::InvalidInput(
            "MISSING_CURRENCY", "amount",
            p.amount->commodity.empty()
                ? "a unit-less amount needs a D directive or --currency=<ISO 4217 code>"
                : absl::StrCat("commodity \"", p.amount->commodity, "\" is not a currency"));
      }
      ASSIGN_OR_RETURN(int64_t minor, ParseAmount(p.amount->number, currency, amounts_));
      return domain::Money{currency, minor};
    }
    // Omitted: the balance of the other real postings, which must be in one
    // currency (beancount may spread a residual over several).
    std::optional<domain::Money> sum;
    for (size_t j = 0; j < t.postings.size(); ++j) {
      const Posting& o = t.postings[j];
      if (j == i || o.is_virtual) continue;
      if (!o.amount.has_value()) {
        return domain::InvalidInput("UNBALANCED_TRANSACTION", "amount",
                                    "two postings without an amount");
      }
      std::string currency = CurrencyOf(*o.amount);
      absl::StatusOr<int64_t> minor =
          currency.empty() ? absl::StatusOr<int64_t>(absl::InvalidArgumentError("no currency"))
                           : ParseAmount(o.amount->number, currency, amounts_);
      if (!minor.ok() || (sum.has_value() && sum->currency != currency)) {
        return domain::InvalidInput("UNBALANCED_TRANSACTION", "amount",
                                    "the omitted amount cannot be inferred in one currency");
      }
      if (!sum.has_value()) sum = domain::Money{currency, 0};
      ASSIGN_OR_RETURN(sum->minor, CheckedAdd(sum->minor, -*minor, "the omitted amount"));
    }
    if (!sum.has_value()) {
      return domain::InvalidInput("UNBALANCED_TRANSACTION", "amount", "nothing to infer from");
    }
    return *sum;
  }

  std::string CustomerOf(const Transaction& t, const Posting& p, size_t marker_index,
                         std::string* display) {
    // A customer: tag (what WriteJournal writes) names the customer exactly.
    if (std::string tagged = t.Tag("customer"); !tagged.empty()) {
      *display = !t.payee.empty() ? t.payee : tagged;
      return tagged;
    }
    std::vector<absl::string_view> segs = absl::StrSplit(p.account, ':');
    std::vector<absl::string_view> sub(segs.begin() + marker_index + 1, segs.end());
    std::string key = absl::StrJoin(sub, ":");
    if (!key.empty()) {
      *display = !t.payee.empty() ? t.payee : key;
      return key;
    }
    if (!t.payee.empty()) {
      *display = t.payee;
      return t.payee;
    }
    *display = p.account;
    return p.account;
  }

  void EnsureCustomer(const std::string& key, const std::string& display, int64_t line) {
    if (customers_.contains(key)) return;
    customers_.insert(key);
    ParsedRecord rec = NewRecord(At(line));
    // A journal has no customer list: its customers are only named by
    // postings, so they never overwrite a customer the tenant already holds.
    rec.implied_customer = true;
    v1::Customer* c = rec.record.mutable_customer();
    c->mutable_external_ref()->set_source_system(source_);
    c->mutable_external_ref()->set_id(key);
    c->set_display_name(display.substr(0, 200));
    c->set_kind(options_.default_customer_kind);
    on_record_(std::move(rec));
  }

  bool MovesIntoAssets(const Transaction& t, size_t receivable_index) const {
    for (size_t j = 0; j < t.postings.size(); ++j) {
      if (j == receivable_index) continue;
      const std::string& acc = t.postings[j].account;
      size_t ignored;
      if (SegmentMatches(acc, plaintext_.receivable_marker, &ignored)) continue;
      std::string first = FirstSegmentLower(acc);
      std::string lower = absl::AsciiStrToLower(acc);
      if (first == "assets" || first == "asset" || absl::StrContains(lower, "cash") ||
          absl::StrContains(lower, "bank") || absl::StrContains(lower, "checking")) {
        return true;
      }
    }
    return false;
  }

  // A transaction whose real postings all state an amount in one currency,
  // without costs or prices, must sum to zero (as hledger and ledger
  // require); otherwise its receivable amount cannot be trusted.
  absl::Status CheckBalanced(const Transaction& t) {
    std::string currency;
    int64_t sum = 0;
    for (const Posting& p : t.postings) {
      if (p.is_virtual) continue;
      if (!p.amount.has_value() || p.priced) return absl::OkStatus();  // inferred or priced
      const std::string c = CurrencyOf(*p.amount);
      if (c.empty() || (!currency.empty() && c != currency)) return absl::OkStatus();
      currency = c;
      absl::StatusOr<int64_t> minor = ParseAmount(p.amount->number, c, amounts_);
      if (!minor.ok()) return absl::OkStatus();  // reported on the posting
      ASSIGN_OR_RETURN(sum, CheckedAdd(sum, *minor, "the transaction"));
    }
    if (sum == 0) return absl::OkStatus();
    return domain::InvalidInput(
        "UNBALANCED_TRANSACTION", "transaction",
        absl::StrCat("the postings sum to ", domain::FormatDecimal(sum, currency), " ", currency,
                     ", not 0"));
  }

  void Book(const Transaction& t) {
    size_t marker = 0;
    const bool receivable =
        std::any_of(t.postings.begin(), t.postings.end(), [&](const Posting& p) {
          return SegmentMatches(p.account, plaintext_.receivable_marker, &marker);
        });
    if (absl::Status st = CheckBalanced(t); receivable && !st.ok()) {
      ++stats_.rejected;
      on_issue_(IssueFromStatus(st, At(t.line), "transaction", "UNBALANCED_TRANSACTION"));
      return;
    }
    for (size_t i = 0; i < t.postings.size(); ++i) {
      const Posting& p = t.postings[i];
      size_t marker = 0;
      if (!SegmentMatches(p.account, plaintext_.receivable_marker, &marker)) continue;
      ++stats_.receivable_postings;
      absl::StatusOr<domain::Money> money = PostingMoney(t, i);
      if (!money.ok()) {
        ++stats_.rejected;
        on_issue_(IssueFromStatus(money.status(), At(p.line), p.account, "INVALID_AMOUNT"));
        continue;
      }
      if (money->minor == 0) continue;
      std::string display;
      std::string customer = CustomerOf(t, p, marker, &display);
      EnsureCustomer(customer, display, t.line);
      std::string text = absl::StrCat(t.code, " ", t.description, " ", t.comments, " ", p.comment);
      ParsedRecord rec = NewRecord(At(p.line));
      rec.record.set_customer_ref(customer);
      std::string amount_key = absl::StrCat(money->minor, money->currency);
      std::string date = domain::FormatIsoDay(t.date);
      // Tags written by WriteJournal: the document number and the
      // service's id of the entry.
      const std::string tagged_number = t.Tag("document");
      const std::string tagged_id = t.Tag("collections-entry");
      const std::string& code = !tagged_number.empty() ? tagged_number : t.code;
      if (money->minor > 0) {
        std::string id = !tagged_id.empty() ? tagged_id
                         : !code.empty()    ? ids_.Next({code})
                                         : ids_.Next({date, t.description, p.account, amount_key});
        std::string number = !code.empty() ? code : absl::StrCat("JNL-", id.substr(0, 8));
        absl::CivilDay due = t.date + plaintext_.default_terms_days;
        if (std::optional<absl::CivilDay> tag = DueTag(absl::StrCat(t.comments, " ", p.comment))) {
          due = *tag;
        } else if (t.date2.has_value() && *t.date2 > t.date) {
          due = *t.date2;
        }
        v1::Invoice* inv = rec.record.mutable_invoice();
        inv->mutable_external_ref()->set_source_system(source_);
        inv->mutable_external_ref()->set_id(id);
        inv->set_number(number);
        *inv->mutable_issue_date() = ToProtoDate(t.date);
        *inv->mutable_due_date() = ToProtoDate(std::max(due, t.date));
        inv->set_currency_code(money->currency);
        *inv->mutable_total() = ToProtoMoney(money->minor, money->currency);
        *inv->mutable_tax() = ToProtoMoney(0, money->currency);
        open_[customer].push_back(OpenInvoice{number, id, money->currency, money->minor});
        ++stats_.invoices;
      } else {
        int64_t amount = -money->minor;
        std::string id = !tagged_id.empty()
                             ? tagged_id
                             : ids_.Next({date, t.code, t.description, p.account, amount_key});
        std::vector<std::pair<OpenInvoice*, int64_t>> allocations;
        int64_t left = amount;
        for (OpenInvoice& o : open_[customer]) {
          if (left == 0) break;
          if (o.open <= 0 || o.currency != money->currency || !MentionsNumber(text, o.number))
            continue;
          int64_t a = std::min(left, o.open);
          allocations.emplace_back(&o, a);
          left -= a;
        }
        if (MovesIntoAssets(t, i)) {
          v1::Payment* pay = rec.record.mutable_payment();
          pay->mutable_external_ref()->set_source_system(source_);
          pay->mutable_external_ref()->set_id(id);
          *pay->mutable_amount() = ToProtoMoney(amount, money->currency);
          *pay->mutable_received_date() = ToProtoDate(t.date);
          pay->set_method(v1::Payment::OTHER);
          pay->set_payer_reference(t.code);
          pay->set_remittance_text(t.description);
          for (auto& [o, a] : allocations) {
            v1::Allocation* al = pay->add_allocations();
            al->set_invoice(o->id);
            al->set_invoice_number(o->number);
            *al->mutable_amount() = ToProtoMoney(a, money->currency);
            o->open -= a;
          }
          ++stats_.payments;
        } else {
          // Revenue reversed (a credit note) or written off to an expense:
          // either way the customer owes less.
          v1::CreditNote* cn = rec.record.mutable_credit_note();
          cn->mutable_external_ref()->set_source_system(source_);
          cn->mutable_external_ref()->set_id(id);
          cn->set_number(!code.empty() ? code : absl::StrCat("JNL-", id.substr(0, 8)));
          *cn->mutable_issue_date() = ToProtoDate(t.date);
          *cn->mutable_amount() = ToProtoMoney(amount, money->currency);
          cn->set_reason(t.description);
          if (allocations.size() == 1) {
            cn->set_invoice(allocations[0].first->id);
            cn->set_invoice_number(allocations[0].first->number);
            allocations[0].first->open -= allocations[0].second;
          } else if (std::string credited = t.Tag("for-invoice"); !credited.empty()) {
            // An invoice of the books not in this file: the server applies
            // the credit to it by number (or keeps it until it arrives).
            cn->set_invoice_number(credited);
          }
          ++stats_.credit_notes;
        }
      }
      on_record_(std::move(rec));
    }
  }

  // `number` as a whole word in `text` (case-insensitive).
  static bool MentionsNumber(absl::string_view text, absl::string_view number) {
    if (number.empty()) return false;
    std::string t = absl::AsciiStrToLower(text), n = absl::AsciiStrToLower(number);
    for (size_t pos = t.find(n); pos != std::string::npos; pos = t.find(n, pos + 1)) {
      size_t end = pos + n.size();
      bool left = pos == 0 || !absl::ascii_isalnum(static_cast<unsigned char>(t[pos - 1]));
      bool right = end >= t.size() || !absl::ascii_isalnum(static_cast<unsigned char>(t[end]));
      if (left && right) return true;
    }
    return false;
  }

  const ParseOptions& options_;
  const PlaintextParseOptions& plaintext_;
  // The run's amount rules; the number format defaults to 1,234.56 and
  // follows a decimal-mark directive unless --number_format was given.
  AmountRules amounts_ = LocaleRules(options_.amounts, kPointDecimalGrouped);
  std::string file_;
  std::string source_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  PlaintextStats& stats_;
  int year_ = 0;
  std::string default_commodity_;
  bool skipping_block_ = false;
  std::optional<Transaction> txn_;
  absl::flat_hash_set<std::string> customers_;
  ContentIds ids_;
  std::map<std::string, std::vector<OpenInvoice>> open_;
};

}  // namespace

std::string CommodityToCurrency(absl::string_view commodity) {
  static const auto* kSymbols = new absl::flat_hash_map<absl::string_view, absl::string_view>{
      {"$", "USD"},  {"US$", "USD"}, {"€", "EUR"},   {"£", "GBP"},  {"¥", "JPY"},
      {"₹", "INR"},  {"CA$", "CAD"}, {"C$", "CAD"},  {"A$", "AUD"}, {"Fr.", "CHF"},
      {"kr", "SEK"}, {"zł", "PLN"},  {"₽", "RUB"}, {"₩", "KRW"},  {"R$", "BRL"}};
  if (auto it = kSymbols->find(commodity); it != kSymbols->end()) return std::string(it->second);
  std::string upper = absl::AsciiStrToUpper(commodity);
  if (domain::IsKnownCurrency(upper)) return upper;
  return "";
}

absl::Status ParsePlaintextJournal(std::istream& in, const ParseOptions& options,
                                   const RecordSink& on_record, const IssueSink& on_issue,
                                   const PlaintextParseOptions& plaintext, PlaintextStats* stats) {
  PlaintextStats local;
  JournalParser parser(options, plaintext, on_record, on_issue, stats != nullptr ? *stats : local);
  return parser.Run(in);
}

}  // namespace collections::connectors
