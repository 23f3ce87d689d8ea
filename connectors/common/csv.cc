#include "connectors/common/csv.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"

namespace collections::connectors {

const std::string& CsvRecord::Value(size_t i) const {
  static const std::string* empty = new std::string;
  return i < fields.size() ? fields[i].value : *empty;
}

bool CsvRecord::IsBlank() const {
  for (const CsvField& f : fields) {
    if (!f.value.empty()) return false;
  }
  return true;
}

CsvReader::CsvReader(LineReader& lines, CsvOptions options) : lines_(lines), options_(options) {}

absl::StatusOr<bool> CsvReader::Next(CsvRecord* record) {
  ASSIGN_OR_RETURN(bool got, lines_.Next(&line_));
  if (!got) return false;
  record->first_line = record->last_line = lines_.line_number();
  size_t used = 0;
  auto field_at = [&](size_t index) -> CsvField& {
    if (record->fields.size() <= index) record->fields.emplace_back();
    CsvField& f = record->fields[index];
    f.value.clear();
    f.quoted = false;
    return f;
  };

  const char delim = options_.delimiter;
  const char quote = options_.quote;
  size_t total_bytes = line_.size();
  size_t i = 0;
  int64_t column = 1;  // of line_[i], in characters
  // Appends line_[i, end) to `out` and moves past it.
  auto take = [&](size_t end, std::string* out) {
    const absl::string_view chunk(line_.data() + i, end - i);
    out->append(chunk.data(), chunk.size());
    column += Utf8Length(chunk);
    i = end;
  };

  while (true) {  // one field per iteration
    CsvField& field = field_at(used++);
    field.line = lines_.line_number();
    field.column = column;
    if (i < line_.size() && line_[i] == quote) {
      field.quoted = true;
      const int64_t open_line = lines_.line_number();
      ++i, ++column;
      while (true) {
        const size_t q = line_.find(quote, i);
        if (q == std::string::npos) {
          take(line_.size(), &field.value);
          if (!options_.multiline_fields) break;
          ASSIGN_OR_RETURN(bool more, lines_.Next(&line_));
          if (!more) {
            return domain::InvalidInput(
                "CSV_UNTERMINATED_QUOTE", absl::StrCat("line ", open_line),
                absl::StrCat("quoted field opened at line ", open_line, " column ", field.column,
                             " is not closed before the end of the input"));
          }
          total_bytes += line_.size() + 1;
          if (total_bytes > options_.max_record_bytes) {
            return domain::InvalidInput(
                "CSV_RECORD_TOO_LONG", absl::StrCat("line ", record->first_line),
                absl::StrCat("record longer than ", options_.max_record_bytes, " bytes"));
          }
          record->last_line = lines_.line_number();
          field.value.push_back('\n');
          i = 0;
          column = 1;
          continue;
        }
        take(q, &field.value);
        if (q + 1 < line_.size() && line_[q + 1] == quote) {  // "" is one quote
          field.value.push_back(quote);
          i += 2, column += 2;
          continue;
        }
        ++i, ++column;  // the closing quote
        break;
      }
    }
    // Unquoted text, or text after a closing quote, up to the delimiter.
    size_t end = line_.find(delim, i);
    if (end == std::string::npos) end = line_.size();
    take(end, &field.value);
    if (i < line_.size()) {  // at a delimiter: another field follows
      ++i, ++column;
      continue;
    }
    break;
  }
  record->fields.resize(used);
  return true;
}

std::string ColumnMap::Normalize(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == ' ' || c == '*' || c == '\t') continue;
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

void ColumnMap::Reset(const CsvRecord& header, size_t first) {
  first_ = first;
  names_.clear();
  spelling_.clear();
  index_.clear();
  for (size_t i = first; i < header.fields.size(); ++i) {
    names_.push_back(Normalize(header.fields[i].value));
    spelling_.push_back(header.fields[i].value);
    // The first column of a name wins, as in a linear search.
    if (!names_.back().empty()) index_.emplace(names_.back(), static_cast<int>(i));
  }
}

namespace {
// normalized == Normalize(name), without allocating.
bool MatchesNormalized(absl::string_view normalized, absl::string_view name) {
  size_t k = 0;
  for (char c : name) {
    if (c == ' ' || c == '*' || c == '\t') continue;
    if (k == normalized.size() ||
        normalized[k] != absl::ascii_toupper(static_cast<unsigned char>(c))) {
      return false;
    }
    ++k;
  }
  return k == normalized.size();
}
}  // namespace

int ColumnMap::Find(absl::string_view name) const {
  char key[128];
  if (name.size() <= sizeof(key)) {  // normalize on the stack, then one hash lookup
    size_t n = 0;
    for (char c : name) {
      if (c == ' ' || c == '*' || c == '\t') continue;
      key[n++] = absl::ascii_toupper(static_cast<unsigned char>(c));
    }
    auto it = index_.find(absl::string_view(key, n));
    return it == index_.end() ? -1 : it->second;
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    if (!names_[i].empty() && MatchesNormalized(names_[i], name)) {
      return static_cast<int>(i + first_);
    }
  }
  return -1;
}

std::string ColumnMap::Spelling(int index) const {
  const size_t i = static_cast<size_t>(index) - first_;
  return index >= 0 && i < spelling_.size() ? spelling_[i] : std::string();
}

void AppendCsvRecord(const std::vector<std::string>& fields, char delimiter, absl::string_view eol,
                     std::string* out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(delimiter);
    const std::string& f = fields[i];
    const bool quote =
        f.find_first_of(std::string{delimiter, '"', '\r', '\n'}) != std::string::npos;
    if (!quote) {
      out->append(f);
      continue;
    }
    out->push_back('"');
    for (char c : f) {
      if (c == '"') out->push_back('"');
      out->push_back(c);
    }
    out->push_back('"');
  }
  out->append(eol.data(), eol.size());
}

}  // namespace collections::connectors
