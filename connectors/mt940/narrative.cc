#include "connectors/mt940/narrative.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "connectors/common/bank_text.h"

namespace collections::connectors {
namespace {

// MT940 lines are at most 65 characters (the first with its ":86:"). Banks
// wrap a little short of that (ING at 63), so a line of 60 or more was
// wrapped and continues on the next line; a shorter one ended there.
constexpr size_t kWrappedWidth = 60;
constexpr size_t kTagWidth = 4;  // ":86:"

bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }

std::string Trimmed(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

std::string DropNotProvided(std::string s) {
  if (s == "NOTPROVIDED" || s == "NONREF") s.clear();
  return s;
}

// Wrapped lines are joined directly, shorter ones with `separator`.
std::string JoinWrapped(const std::vector<std::string>& lines, char separator) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    size_t width = lines[i].size() + (i == 0 ? kTagWidth : 0);
    if (i + 1 < lines.size() && width < kWrappedWidth) out.push_back(separator);
  }
  return out;
}

// ---------------------------------------------------------------- German

// A Verwendungszweck subfield holds up to 27 characters.
constexpr size_t kSubfieldWidth = 27;

// ZKA SEPA keywords inside the Verwendungszweck.
constexpr std::array<absl::string_view, 15> kSepaKeywords = {
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "COAM+", "OAMT+", "SVWZ+",
    "ABWA+", "ABWE+", "IBAN+", "BIC+",  "PURP+", "RREF+", "BREF+"};

// The keyword starting at text[i], or "".
absl::string_view KeywordAt(absl::string_view text, size_t i) {
  for (absl::string_view k : kSepaKeywords) {
    if (text.substr(i, k.size()) == k) return k;
  }
  return "";
}

// `purpose` is the Verwendungszweck subfields joined directly (SEPA splits
// its text every 27 characters, mid-word); `lines` the same subfields
// joined as lines, for the text without SEPA keywords.
void ReadSepaKeywords(absl::string_view purpose, const std::vector<size_t>& boundaries,
                      const std::string& lines, Mt940Narrative& n) {
  struct Hit {
    size_t at;
    absl::string_view keyword;
  };
  std::vector<Hit> hits;
  for (size_t i = 0; i < purpose.size(); ++i) {
    bool start = i == 0 || purpose[i - 1] == ' ' ||
                 std::find(boundaries.begin(), boundaries.end(), i) != boundaries.end();
    if (!start) continue;
    absl::string_view k = KeywordAt(purpose, i);
    if (!k.empty()) {
      hits.push_back({i, k});
      i += k.size() - 1;
    }
  }
  if (hits.empty()) {
    n.remittance = Trimmed(lines);
    return;
  }
  std::string leading = Trimmed(purpose.substr(0, hits[0].at));
  std::string svwz, abwa;
  for (size_t h = 0; h < hits.size(); ++h) {
    size_t from = hits[h].at + hits[h].keyword.size();
    size_t to = h + 1 < hits.size() ? hits[h + 1].at : purpose.size();
    std::string value = Trimmed(purpose.substr(from, to - from));
    absl::string_view k = hits[h].keyword;
    if (k == "EREF+")
      n.end_to_end_id = DropNotProvided(value);
    else if (k == "KREF+")
      n.customer_reference = DropNotProvided(value);
    else if (k == "MREF+")
      n.mandate_reference = value;
    else if (k == "CRED+")
      n.creditor_id = value;
    else if (k == "SVWZ+")
      svwz = value;
    else if (k == "ABWA+")
      abwa = value;
    else if (k == "IBAN+" && n.counterparty_account.empty())
      n.counterparty_account = value;
    else if (k == "BIC+" && n.counterparty_bic.empty())
      n.counterparty_bic = value;
  }
  n.remittance = leading.empty() ? svwz : svwz.empty() ? leading : absl::StrCat(leading, " ", svwz);
  if (n.counterparty_name.empty()) n.counterparty_name = abwa;
}

bool LooksGerman(absl::string_view text) {
  return text.size() >= 6 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) &&
         !absl::ascii_isalnum(static_cast<unsigned char>(text[3])) && text[3] != ' ' &&
         text[3] != '/' && IsDigit(text[4]) && IsDigit(text[5]);
}

void ParseGerman(absl::string_view text, Mt940Narrative& n) {
  n.dialect = Mt940Narrative::Dialect::kGermanSubfields;
  n.transaction_code = std::string(text.substr(0, 3));
  const char sep = text[3];
  std::string purpose, lines, name;
  size_t last_subfield_size = kSubfieldWidth;
  std::vector<size_t> boundaries;
  size_t i = 3;
  while (i < text.size()) {
    // text[i] is a separator followed by two digits.
    std::string code(text.substr(i + 1, 2));
    size_t from = i + 3;
    size_t to = from;
    while (to < text.size() && !(text[to] == sep && to + 2 < text.size() && IsDigit(text[to + 1]) &&
                                 IsDigit(text[to + 2]))) {
      ++to;
    }
    absl::string_view value = text.substr(from, to - from);
    int c = (code[0] - '0') * 10 + (code[1] - '0');
    if (c == 0) {
      n.booking_text = Trimmed(value);
    } else if ((c >= 20 && c <= 29) || (c >= 60 && c <= 63)) {
      boundaries.push_back(purpose.size());
      absl::StrAppend(&purpose, value);
      // Without SEPA keywords (the older layout) each subfield is a line of
      // up to 27 characters: a full one continues in the next, a shorter one
      // ended at a word.
      if (!lines.empty() && last_subfield_size < kSubfieldWidth) lines.push_back(' ');
      absl::StrAppend(&lines, value);
      last_subfield_size = value.size();
    } else if (c == 30) {
      n.counterparty_bic = Trimmed(value);
    } else if (c == 31) {
      n.counterparty_account = Trimmed(value);
    } else if (c == 32 || c == 33) {
      absl::StrAppend(&name, value);
    }
    i = to;
  }
  n.counterparty_name = Trimmed(name);
  ReadSepaKeywords(purpose, boundaries, lines, n);
}

// ------------------------------------------------------------ slash codes

constexpr std::array<absl::string_view, 31> kSlashCodes = {
    "EREF", "KREF", "MARF", "CSID", "CNTP", "REMI", "PURP", "ULTC", "ULTD", "ULTB", "ORDP",
    "BENM", "NAME", "ADDR", "ISDT", "RTRN", "TRCD", "BUSP", "IBAN", "BIC",  "SWOC", "PREF",
    "OCMT", "CHGS", "EXCH", "ATOS", "SUM",  "IREF", "CREF", "ACCW", "PRTRY"};

// The code of a "/CODE/" starting at text[i], or "".
absl::string_view SlashCodeAt(absl::string_view text, size_t i) {
  if (text[i] != '/') return "";
  for (absl::string_view c : kSlashCodes) {
    if (text.substr(i + 1, c.size()) == c && i + 1 + c.size() < text.size() &&
        text[i + 1 + c.size()] == '/') {
      return c;
    }
  }
  return "";
}

bool LooksSlashCoded(absl::string_view text) {
  return !text.empty() && !SlashCodeAt(text, 0).empty();
}

void ParseSlashCoded(absl::string_view text, Mt940Narrative& n) {
  n.dialect = Mt940Narrative::Dialect::kSlashCodes;
  std::string name, ordp;
  for (auto& [code, value] : SplitSlashCodes(text)) {
    if (code == "EREF") {
      n.end_to_end_id = DropNotProvided(Trimmed(value));
    } else if (code == "MARF") {
      n.mandate_reference = Trimmed(value);
    } else if (code == "CSID") {
      n.creditor_id = Trimmed(value);
    } else if (code == "RTRN") {
      n.return_reason = Trimmed(value);
    } else if (code == "CNTP") {
      // account/BIC/name/city
      std::vector<std::string> parts = absl::StrSplit(value, '/');
      if (!parts.empty()) n.counterparty_account = Trimmed(parts[0]);
      if (parts.size() > 1) n.counterparty_bic = Trimmed(parts[1]);
      if (parts.size() > 2 && name.empty()) name = Trimmed(parts[2]);
    } else if (code == "NAME") {
      if (name.empty()) name = Trimmed(value);
    } else if (code == "ORDP" || code == "BENM") {
      ordp = Trimmed(value);
    } else if (code == "REMI") {
      absl::string_view v = value;
      if (absl::ConsumePrefix(&v, "USTD//") || absl::ConsumePrefix(&v, "USTD/")) {
        n.remittance = Trimmed(v);
      } else if (absl::ConsumePrefix(&v, "STRD/")) {
        // STRD/<issuer, e.g. CUR or BBA>/<reference>
        std::vector<std::string> parts = absl::StrSplit(v, absl::MaxSplits('/', 1));
        std::string ref = Trimmed(parts.size() > 1 ? parts[1] : parts[0]);
        if (!ref.empty()) n.structured_references.push_back(ref);
      } else {
        n.remittance = Trimmed(v);
      }
    }
  }
  n.counterparty_name = !name.empty() ? name : ordp;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> SplitSlashCodes(absl::string_view text) {
  std::vector<std::pair<size_t, absl::string_view>> hits;
  for (size_t i = 0; i < text.size(); ++i) {
    absl::string_view c = SlashCodeAt(text, i);
    if (!c.empty()) {
      hits.push_back({i, c});
      i += c.size() + 1;  // past the closing '/'
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t h = 0; h < hits.size(); ++h) {
    size_t from = hits[h].first + hits[h].second.size() + 2;
    size_t to = h + 1 < hits.size() ? hits[h + 1].first : text.size();
    absl::string_view value = from <= to ? text.substr(from, to - from) : absl::string_view();
    absl::ConsumeSuffix(&value, "/");
    out.emplace_back(std::string(hits[h].second), std::string(value));
  }
  return out;
}

Mt940Narrative ParseNarrative(const std::vector<std::string>& lines) {
  Mt940Narrative n;
  std::string direct;
  for (const std::string& l : lines) direct += l;
  if (LooksGerman(direct)) {
    ParseGerman(direct, n);
  } else if (LooksSlashCoded(direct)) {
    ParseSlashCoded(JoinWrapped(lines, ' '), n);
  } else {
    n.remittance = TidyText(JoinWrapped(lines, '\n'));
  }
  return n;
}

}  // namespace collections::connectors
