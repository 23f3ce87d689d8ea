#include "connectors/ofx/parse_ofx.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "connectors/common/amount.h"
#include "connectors/common/bank_text.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

namespace collections::connectors {
namespace {

using collections_sidecar::v1::Payment;

constexpr size_t kMaxToken = size_t{1} << 20;

bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }

// ------------------------------------------------------------ tokenizer

struct Token {
  enum Kind { kStart, kEnd, kText, kEof };
  Kind kind = kEof;
  std::string text;  // tag name, or the text
  int64_t line = 0;
};

// Splits OFX bytes into start tags, end tags and text. Processing
// instructions, comments and declarations are skipped (the <?xml?> and
// <?OFX?> headers are handed to `on_header`); before the first '<' the SGML
// header lines are handed over too.
class Tokenizer {
 public:
  Tokenizer(std::istream& in, std::string file) : buf_(*in.rdbuf()), file_(std::move(file)) {}

  absl::StatusOr<Token> Next() {
    while (true) {
      int c = Peek();
      if (c == EOF) return Token{Token::kEof, "", line_};
      if (c != '<') return ReadText();
      Get();
      int n = Peek();
      if (n == '?') {
        Get();
        ASSIGN_OR_RETURN(std::string pi, ReadUntil("?>"));
        headers_.push_back(std::move(pi));
        continue;
      }
      if (n == '!') {
        Get();
        if (Peek() == '-') {
          RETURN_IF_ERROR(ReadUntil("-->").status());
        } else {
          RETURN_IF_ERROR(ReadUntil(">").status());
        }
        continue;
      }
      bool end = n == '/';
      if (end) Get();
      int64_t line = line_;
      ASSIGN_OR_RETURN(std::string body, ReadUntil(">"));
      // The name ends at white space (OFX elements carry no attributes).
      std::string name(absl::StripAsciiWhitespace(body));
      size_t space = name.find_first_of(" \t\r\n");
      if (space != std::string::npos) name.resize(space);
      if (name.empty()) return Malformed(line, "empty tag");
      for (char ch : name) {
        if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' &&
            ch != '-') {
          return Malformed(line,
                           absl::StrCat("'", std::string(1, ch), "' in tag name <", name, ">"));
        }
      }
      return Token{end ? Token::kEnd : Token::kStart, absl::AsciiStrToUpper(name), line};
    }
  }

  // <?...?> instructions seen so far (without "<?" and "?>").
  const std::vector<std::string>& headers() const { return headers_; }
  int64_t line() const { return line_; }
  absl::Status Malformed(int64_t line, absl::string_view why) const {
    return InputError("OFX_MALFORMED", Location{file_, line, 0, ""}, why);
  }

 private:
  int Peek() { return buf_.sgetc(); }
  int Get() {
    int c = buf_.sbumpc();
    if (c == '\n') ++line_;
    return c;
  }

  absl::StatusOr<Token> ReadText() {
    Token t{Token::kText, "", line_};
    while (Peek() != EOF && Peek() != '<') {
      t.text.push_back(static_cast<char>(Get()));
      if (t.text.size() > kMaxToken) return Malformed(t.line, "text longer than 1 MiB");
    }
    return t;
  }

  // Reads up to and including `end`; returns what came before it.
  absl::StatusOr<std::string> ReadUntil(absl::string_view end) {
    int64_t line = line_;
    std::string out;
    while (true) {
      int c = Get();
      if (c == EOF) return Malformed(line, absl::StrCat("'<' without its closing \"", end, "\""));
      out.push_back(static_cast<char>(c));
      if (absl::EndsWith(out, end)) {
        out.resize(out.size() - end.size());
        return out;
      }
      if (out.size() > kMaxToken) return Malformed(line, "tag longer than 1 MiB");
    }
  }

  std::streambuf& buf_;
  std::string file_;
  int64_t line_ = 1;
  std::vector<std::string> headers_;
};

// &amp; &lt; &gt; &quot; &apos; &#NN; &#xNN; (SGML and XML alike).
std::string DecodeEntities(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == absl::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    absl::string_view name = s.substr(i + 1, semi - i - 1);
    std::string rep;
    if (name == "amp")
      rep = "&";
    else if (name == "lt")
      rep = "<";
    else if (name == "gt")
      rep = ">";
    else if (name == "quot")
      rep = "\"";
    else if (name == "apos")
      rep = "'";
    else if (absl::StartsWith(name, "#")) {
      uint32_t cp = 0;
      bool ok = absl::StartsWith(name, "#x") || absl::StartsWith(name, "#X")
                    ? absl::SimpleHexAtoi(name.substr(2), &cp)
                    : absl::SimpleAtoi(name.substr(1), &cp);
      if (ok && cp > 0 && cp < 0x110000 && !(cp >= 0xD800 && cp < 0xE000)) {
        if (cp < 0x80) {
          rep.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          rep.push_back(static_cast<char>(0xC0 | (cp >> 6)));
          rep.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
          rep.push_back(static_cast<char>(0xE0 | (cp >> 12)));
          rep.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          rep.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
          rep.push_back(static_cast<char>(0xF0 | (cp >> 18)));
          rep.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
          rep.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          rep.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
      }
    }
    if (rep.empty()) {
      out.push_back('&');
      continue;
    }
    out += rep;
    i = semi;
  }
  return out;
}

// ------------------------------------------------------------ values

// Signed decimal with '.' or ',' as the decimal mark and no grouping
// ("-5.50", "200,00", "+100", "-80"): OFX 2.1.1 section 3.2.9 lets the
// decimal mark be a period or a comma. With no grouping either reading is
// unambiguous; the rest is the shared amount rules (amount.h).
absl::StatusOr<int64_t> ParseOfxAmount(absl::string_view text, absl::string_view currency,
                                       const AmountRules& rules) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  AmountRules ofx = rules;
  ofx.format =
      absl::StrContains(s, ',') && !absl::StrContains(s, '.') ? kCommaDecimal : kXsdDecimal;
  return ParseAmount(s, currency, ofx);
}

// YYYYMMDD[HHMMSS[.XXX]][[+-h[.mm]:TZ]]: the day as written.
absl::StatusOr<absl::CivilDay> ParseOfxDate(absl::string_view text, absl::string_view field) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  auto bad = [&](absl::string_view why) {
    return domain::InvalidInput("INVALID_DATE", field,
                                absl::StrCat("\"", s, "\" is not an OFX date: ", why));
  };
  size_t p = 0;
  while (p < s.size() && IsDigit(s[p])) ++p;
  if (p != 8 && p != 12 && p != 14) return bad("expected YYYYMMDD or YYYYMMDDHHMMSS");
  int y = 0, m = 0, d = 0;
  (void)absl::SimpleAtoi(s.substr(0, 4), &y);
  (void)absl::SimpleAtoi(s.substr(4, 2), &m);
  (void)absl::SimpleAtoi(s.substr(6, 2), &d);
  if (p >= 12) {
    int hh = (s[8] - '0') * 10 + (s[9] - '0');
    int mi = (s[10] - '0') * 10 + (s[11] - '0');
    int ss = p == 14 ? (s[12] - '0') * 10 + (s[13] - '0') : 0;
    if (hh > 23 || mi > 59 || ss > 60) return bad("no such time of day");
  }
  absl::string_view rest = s.substr(p);
  if (absl::ConsumePrefix(&rest, ".")) {
    size_t k = 0;
    while (k < rest.size() && IsDigit(rest[k])) ++k;
    if (k == 0) return bad("'.' without milliseconds");
    rest.remove_prefix(k);
  }
  if (!rest.empty()) {
    // [-5:EST], [+5.30:IST], [0:GMT], [-3]
    if (rest.front() != '[' || rest.back() != ']') return bad("time zone is not [offset:name]");
    absl::string_view tz = rest.substr(1, rest.size() - 2);
    absl::string_view offset = tz.substr(0, tz.find(':'));
    if (!absl::ConsumePrefix(&offset, "+")) absl::ConsumePrefix(&offset, "-");
    double hours = 0;
    if (offset.empty() || !absl::SimpleAtod(offset, &hours) || hours > 14) {
      return bad("time zone offset is not a number of hours");
    }
  }
  absl::StatusOr<absl::CivilDay> day = domain::MakeDay(y, m, d);
  if (!day.ok()) return bad("no such calendar day");
  return *day;
}

Payment::Method MethodOf(absl::string_view trntype, bool has_check) {
  if (trntype == "CHECK" || has_check) return Payment::CHECK;
  if (trntype == "CASH") return Payment::CASH;
  if (trntype == "DIRECTDEBIT") return Payment::DIRECT_DEBIT;
  if (trntype == "POS") return Payment::CARD;
  return Payment::BANK_TRANSFER;
}

// ------------------------------------------------------------ the parser

struct Value {
  std::string text;
  int64_t line = 0;
};

class OfxParser {
 public:
  OfxParser(const ParseOptions& options, const RecordSink& on_record, const IssueSink& on_issue,
            OfxStats& stats)
      : file_(options.file_name.empty() ? "<input>" : options.file_name),
        source_system_(options.source_system.empty() ? "ofx" : options.source_system),
        rules_(options.amounts),
        on_record_(on_record),
        on_issue_(on_issue),
        stats_(stats) {}

  absl::Status Run(Tokenizer& t) {
    // The SGML header ("OFXHEADER:100", "CHARSET:1252", ...) is text before
    // the first tag; the XML one is a processing instruction.
    ASSIGN_OR_RETURN(Token tok, t.Next());
    while (tok.kind == Token::kText) {
      ReadSgmlHeader(tok.text);
      ASSIGN_OR_RETURN(tok, t.Next());
    }
    ReadXmlHeaders(t.headers());
    if (tok.kind != Token::kStart || tok.text != "OFX") {
      return InputError("NOT_OFX", Location{file_, tok.line, 0, ""},
                        tok.kind == Token::kStart
                            ? absl::StrCat("the first element is <", tok.text, ">, not <OFX>")
                            : std::string("the input holds no <OFX> element"));
    }
    stack_.push_back("OFX");
    std::optional<Token> pending;  // a start tag whose content is unknown yet
    std::string closed_leaf;       // a leaf whose explicit end tag may follow
    while (true) {
      ASSIGN_OR_RETURN(tok, t.Next());
      if (tok.kind == Token::kEof) break;
      if (tok.kind == Token::kText) {
        std::string text(absl::StripAsciiWhitespace(tok.text));
        if (text.empty()) continue;
        if (pending.has_value()) {
          RETURN_IF_ERROR(OnLeaf(pending->text, Decode(text), pending->line));
          closed_leaf = pending->text;
          pending.reset();
        }
        continue;  // stray text after a leaf: ignored
      }
      if (tok.kind == Token::kStart) {
        if (pending.has_value()) OnStart(*pending);
        pending = tok;
        closed_leaf.clear();
        continue;
      }
      // An end tag.
      if (pending.has_value()) {
        // "<MEMO></MEMO>" or an empty SGML leaf: no content.
        RETURN_IF_ERROR(OnLeaf(pending->text, "", pending->line));
        bool same = pending->text == tok.text;
        pending.reset();
        if (same) continue;
      }
      if (tok.text == closed_leaf) {
        closed_leaf.clear();
        continue;
      }
      closed_leaf.clear();
      CloseUpTo(tok.text);
    }
    if (pending.has_value()) RETURN_IF_ERROR(OnLeaf(pending->text, "", pending->line));
    while (!stack_.empty()) CloseUpTo(stack_.back());
    if (!server_error_.empty()) {
      return InputError("OFX_ERROR_RESPONSE", Location{file_, server_error_line_, 0, ""},
                        server_error_);
    }
    return absl::OkStatus();
  }

 private:
  std::string Decode(const std::string& raw) const {
    std::string text = DecodeEntities(raw);
    if (windows1252_ || !IsValidUtf8(text)) return Windows1252ToUtf8(text);
    return text;
  }

  void ReadSgmlHeader(absl::string_view text) {
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (absl::ConsumePrefix(&line, "VERSION:")) stats_.version = std::string(line);
      if (absl::ConsumePrefix(&line, "CHARSET:")) {
        windows1252_ = line == "1252" || line == "ISO-8859-1" || line == "8859-1";
      }
    }
  }
  void ReadXmlHeaders(const std::vector<std::string>& headers) {
    for (const std::string& h : headers) {
      size_t v = h.find("VERSION=\"");
      if (absl::StartsWith(h, "OFX") && v != std::string::npos) {
        stats_.version = h.substr(v + 9, h.find('"', v + 9) - v - 9);
      }
      if (absl::StartsWith(h, "xml") &&
          (absl::StrContains(h, "1252") || absl::StrContains(h, "8859-1"))) {
        windows1252_ = true;
      }
    }
  }

  // The innermost open aggregate ("" after the root was closed).
  const std::string& Parent() const {
    static const std::string* const kNone = new std::string();
    return stack_.empty() ? *kNone : stack_.back();
  }

  void OnStart(const Token& tok) {
    stack_.push_back(tok.text);
    if (tok.text == "STMTRS" || tok.text == "CCSTMTRS") {
      ++stats_.statements;
      statement_ = Statement{};
      statement_.card = tok.text == "CCSTMTRS";
      in_statement_ = true;
    } else if (tok.text == "INVSTMTRS") {
      ++stats_.investment_statements_ignored;
    } else if (tok.text == "STMTTRN" && in_statement_) {
      txn_.clear();
      txn_line_ = tok.line;
      in_txn_ = true;
    }
  }

  absl::Status OnLeaf(const std::string& name, std::string value, int64_t line) {
    const std::string& parent = Parent();
    if (in_txn_) {
      std::string key = parent == "STMTTRN" ? name : absl::StrCat(parent, ".", name);
      txn_[key] = Value{std::move(value), line};
      return absl::OkStatus();
    }
    if (in_statement_) {
      if (name == "CURDEF" && (parent == "STMTRS" || parent == "CCSTMTRS")) {
        statement_.currency = Value{std::move(value), line};
      } else if (name == "ACCTID" && (parent == "BANKACCTFROM" || parent == "CCACCTFROM")) {
        statement_.account = value;
      }
      return absl::OkStatus();
    }
    if (name == "CODE" && parent == "STATUS" && stack_.size() >= 2 &&
        stack_[stack_.size() - 2] == "SONRS" && value != "0") {
      server_error_ = absl::StrCat("the server's sign-on status is ", value,
                                   ": the file is an error response, not a statement");
      server_error_line_ = line;
    }
    return absl::OkStatus();
  }

  // `name` by value: it may be an element of stack_, which this pops.
  void CloseUpTo(std::string name) {
    bool open = false;
    for (const std::string& s : stack_) open |= s == name;
    if (!open) return;  // a stray end tag
    while (!stack_.empty()) {
      std::string top = stack_.back();
      stack_.pop_back();
      if (top == "STMTTRN" && in_txn_) {
        in_txn_ = false;
        FinishTransaction();
      } else if (top == "STMTRS" || top == "CCSTMTRS") {
        in_statement_ = false;
      }
      if (top == name) return;
    }
  }

  void Issue(int64_t line, absl::string_view field, const absl::Status& status,
             absl::string_view fallback) {
    ++stats_.rejected;
    on_issue_(IssueFromStatus(status, Location{file_, line, 0, ""}, field, fallback));
  }
  void Issue(int64_t line, absl::string_view field, absl::string_view reason,
             absl::string_view description) {
    Issue(line, field, domain::InvalidInput(reason, field, description), reason);
  }

  const Value* Field(absl::string_view name) const {
    auto it = txn_.find(name);
    return it == txn_.end() ? nullptr : &it->second;
  }
  std::string Text(absl::string_view name) const {
    const Value* v = Field(name);
    return v == nullptr ? "" : v->text;
  }

  void FinishTransaction() {
    ++stats_.transactions;
    const Value* fitid = Field("FITID");
    const Value* amount_text = Field("TRNAMT");
    if (!Text("CORRECTACTION").empty()) {
      Issue(
          txn_line_, "CORRECTACTION", "UNSUPPORTED_CORRECTION",
          absl::StrCat("a correction (", Text("CORRECTACTION"), " of FITID ", Text("CORRECTFITID"),
                       ") is not applied; correct the payment in the service instead"));
      return;
    }
    if (amount_text == nullptr) {
      Issue(txn_line_, "TRNAMT", "MISSING_FIELD", "the transaction has no TRNAMT");
      return;
    }
    // The amount is in CURRENCY/CURSYM when given, else the statement's CURDEF.
    std::string currency = Text("CURRENCY.CURSYM");
    int64_t currency_line =
        Field("CURRENCY.CURSYM") != nullptr ? Field("CURRENCY.CURSYM")->line : 0;
    if (currency.empty()) {
      currency = statement_.currency.text;
      currency_line = statement_.currency.line;
    }
    if (!domain::IsKnownCurrency(currency)) {
      Issue(currency_line != 0 ? currency_line : txn_line_, "CURDEF", "INVALID_CURRENCY",
            currency.empty() ? std::string("the statement has no CURDEF")
                             : absl::StrCat("\"", currency, "\" is not an ISO 4217 currency"));
      return;
    }
    absl::StatusOr<int64_t> amount = ParseOfxAmount(amount_text->text, currency, rules_);
    if (!amount.ok()) {
      Issue(amount_text->line, "TRNAMT", amount.status(), "INVALID_AMOUNT");
      return;
    }
    std::string trntype = Text("TRNTYPE");
    if (*amount == 0) {
      ++stats_.zero_ignored;
      return;
    }
    if (*amount < 0) {
      ++stats_.debits_ignored;
      return;
    }
    if (statement_.card) {
      ++stats_.card_credits_ignored;
      return;
    }
    if (trntype == "INT" || trntype == "DIV") {
      ++stats_.bank_income_ignored;
      return;
    }
    if (fitid == nullptr || fitid->text.empty()) {
      Issue(txn_line_, "FITID", "MISSING_FIELD",
            "the credit has no FITID, so a second import could not recognise it");
      return;
    }
    const Value* posted = Field("DTPOSTED");
    if (posted == nullptr) {
      Issue(txn_line_, "DTPOSTED", "MISSING_FIELD", "the transaction has no DTPOSTED");
      return;
    }
    absl::StatusOr<absl::CivilDay> day = ParseOfxDate(posted->text, "DTPOSTED");
    if (!day.ok()) {
      Issue(posted->line, "DTPOSTED", day.status(), "INVALID_DATE");
      return;
    }
    ParsedRecord rec = NewRecord(Location{file_, txn_line_, 0, ""});
    Payment* p = rec.record.mutable_payment();
    *p->mutable_amount() = ToProtoMoney(*amount, currency);
    *p->mutable_received_date() = ToProtoDate(*day);
    std::string check = Text("CHECKNUM");
    p->set_method(MethodOf(trntype, !check.empty() && check != "0"));
    p->set_account_id(statement_.account);
    std::string name = Text("NAME");
    if (name.empty()) name = Text("PAYEE.NAME");
    p->set_payer_name(name);
    std::string refnum = Text("REFNUM");
    p->set_payer_reference(!check.empty() && check != "0" ? check : refnum);
    p->set_bank_reference(fitid->text);
    p->set_remittance_text(Text("MEMO"));
    for (const std::string& r : ReferencesInText(p->remittance_text()))
      p->add_creditor_references(r);
    p->mutable_external_ref()->set_source_system(source_system_);
    p->mutable_external_ref()->set_id(
        absl::StrCat(statement_.account.empty() ? "-" : statement_.account, "/", fitid->text));
    ++stats_.credits;
    on_record_(std::move(rec));
  }

  struct Statement {
    bool card = false;
    Value currency;
    std::string account;
  };

  std::string file_;
  std::string source_system_;
  AmountRules rules_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  OfxStats& stats_;
  bool windows1252_ = false;
  std::vector<std::string> stack_;
  bool in_statement_ = false;
  Statement statement_;
  bool in_txn_ = false;
  int64_t txn_line_ = 0;
  absl::flat_hash_map<std::string, Value> txn_;
  std::string server_error_;
  int64_t server_error_line_ = 0;
};

}  // namespace

absl::Status ParseOfx(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue, OfxStats* stats) {
  OfxStats local;
  OfxStats& s = stats != nullptr ? *stats : local;
  Tokenizer t(in, options.file_name.empty() ? "<input>" : options.file_name);
  OfxParser parser(options, on_record, on_issue, s);
  return parser.Run(t);
}

}  // namespace collections::connectors
