#include "connectors/common/bank_text.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/domain/cash_matching.h"

namespace collections::connectors {
namespace {

bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

void AddOnce(std::vector<std::string>& out, std::string ref) {
  if (std::find(out.begin(), out.end(), ref) == out.end()) out.push_back(std::move(ref));
}

// An RF reference starting at text[i] ("RF" + 2 digits, at a word start):
// the longest run of letters and digits, with single spaces between groups
// (the paper form), of at most 25 characters that passes the check.
void RfAt(absl::string_view text, size_t i, std::vector<std::string>& out) {
  std::string compact;
  std::vector<std::string> candidates;
  for (size_t k = i; k < text.size() && compact.size() < 25; ++k) {
    char c = text[k];
    if (IsAlnum(c)) {
      compact.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
      candidates.push_back(compact);
      continue;
    }
    // One space between groups, followed by more letters or digits.
    if (c == ' ' && k + 1 < text.size() && IsAlnum(text[k + 1])) continue;
    break;
  }
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    if (it->size() >= 5 && domain::IsValidRfReference(*it)) {
      AddOnce(out, *it);
      return;
    }
  }
}

// "+++ddd/dddd/ddddd+++" or "***ddd/dddd/ddddd***" at text[i].
void BelgianAt(absl::string_view text, size_t i, std::vector<std::string>& out) {
  constexpr size_t kLength = 20;  // 3 + 14 + 3
  if (i + kLength > text.size()) return;
  absl::string_view s = text.substr(i, kLength);
  char fence = s[0];
  if (s.substr(17) != std::string(3, fence)) return;
  absl::string_view body = s.substr(3, 14);  // ddd/dddd/ddddd
  for (size_t k = 0; k < body.size(); ++k) {
    bool slash = k == 3 || k == 8;
    if (slash ? body[k] != '/' : !absl::ascii_isdigit(static_cast<unsigned char>(body[k]))) return;
  }
  if (domain::IsValidBelgianStructuredReference(s)) AddOnce(out, std::string(s));
}

}  // namespace

std::vector<std::string> ReferencesInText(absl::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size(); ++i) {
    bool word_start = i == 0 || !IsAlnum(text[i - 1]);
    if (word_start && i + 4 <= text.size() && (text[i] == 'R' || text[i] == 'r') &&
        (text[i + 1] == 'F' || text[i + 1] == 'f') &&
        absl::ascii_isdigit(static_cast<unsigned char>(text[i + 2])) &&
        absl::ascii_isdigit(static_cast<unsigned char>(text[i + 3]))) {
      RfAt(text, i, out);
    }
    if (text.substr(i, 3) == "+++" || text.substr(i, 3) == "***") {
      BelgianAt(text, i, out);
    }
  }
  return out;
}

std::string TidyText(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    std::string line;
    bool space = false;
    for (char c : raw) {
      if (c == ' ' || c == '\t' || c == '\r') {
        space = !line.empty();
        continue;
      }
      if (space) line.push_back(' ');
      space = false;
      line.push_back(c);
    }
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace collections::connectors
