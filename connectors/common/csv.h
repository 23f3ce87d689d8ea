// Streaming tokenizer for delimited text: RFC 4180 CSV (Xero, GnuCash CSV),
// and with a tab delimiter the IIF and TSV files, where QuickBooks still
// wraps fields that contain commas in double quotes. It yields one record at
// a time with the line and column of each field, so that a parser can name
// the exact cell it rejects; memory is bounded by the largest record.
//
// Quoting (RFC 4180 §2): a field that starts with the quote character is
// quoted; inside it the delimiter and line breaks are data and a doubled
// quote is one quote. Real exports bend the rules, so the reader is lenient
// where no data is lost: a quote inside an unquoted field is literal, and
// text after a closing quote is appended to the field. An unterminated
// quoted field is an error. Not thread-safe.
#ifndef COLLECTIONS_CONNECTORS_COMMON_CSV_H_
#define COLLECTIONS_CONNECTORS_COMMON_CSV_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "connectors/common/text.h"

namespace collections::connectors {

struct CsvOptions {
  char delimiter = ',';
  char quote = '"';
  // Quoted fields may contain line breaks (RFC 4180 §2.6); they are read
  // back as "\n". When false, a line end inside quotes closes the field.
  bool multiline_fields = true;
  // A record (all its physical lines) longer than this is an error.
  size_t max_record_bytes = size_t{16} << 20;
};

struct CsvField {
  std::string value;
  // Where the field starts: 1-based line and column (in characters).
  int64_t line = 0;
  int64_t column = 0;
  // The field was quoted in the file.
  bool quoted = false;
};

struct CsvRecord {
  std::vector<CsvField> fields;
  // Physical lines of the record, first and last (they differ when a quoted
  // field spans lines).
  int64_t first_line = 0;
  int64_t last_line = 0;

  size_t size() const { return fields.size(); }
  // The value of field `i`, or "" when the record is shorter.
  const std::string& Value(size_t i) const;
  // True when every field is empty (a blank line, or only delimiters).
  bool IsBlank() const;
};

class CsvReader {
 public:
  // `lines` must outlive the reader.
  CsvReader(LineReader& lines, CsvOptions options = {});

  // Reads the next record into `*record` (reusing its storage). Returns
  // false at the end of input. Errors: InvalidArgument with reason
  // CSV_UNTERMINATED_QUOTE or CSV_RECORD_TOO_LONG naming the line where the
  // record starts, and the LineReader's errors.
  absl::StatusOr<bool> Next(CsvRecord* record);

  int64_t bytes_consumed() const { return lines_.bytes_consumed(); }

 private:
  LineReader& lines_;
  CsvOptions options_;
  std::string line_;
};

// The columns of a header row, looked up by name the way export formats
// need: case-insensitive, ignoring spaces and the '*' that marks mandatory
// columns in templates ("*InvoiceDate" = "InvoiceDate", IIF's
// "NAMEIS TAXABLE" = "NAMEISTAXABLE"). Use it to map columns by header, never
// by position, since the column set varies per file.
class ColumnMap {
 public:
  // Takes the header from `header.fields[first..]`; index 0 of the map is
  // field `first` of the header (IIF rows keep their keyword in field 0).
  void Reset(const CsvRecord& header, size_t first = 0);
  // Index into the record's fields, or -1 when the header lacks the column.
  int Find(absl::string_view name) const;
  // The header text as spelled in the file (for issue reports).
  std::string Spelling(int index) const;
  size_t size() const { return names_.size(); }
  // Normalized form of a column name.
  static std::string Normalize(absl::string_view name);

 private:
  std::vector<std::string> names_;               // normalized
  std::vector<std::string> spelling_;            // as in the file
  absl::flat_hash_map<std::string, int> index_;  // normalized name -> field index
  size_t first_ = 0;
};

// Appends one delimited record (RFC 4180 quoting: a field containing the
// delimiter, a quote, CR or LF is quoted and its quotes doubled) and `eol`.
void AppendCsvRecord(const std::vector<std::string>& fields, char delimiter, absl::string_view eol,
                     std::string* out);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_CSV_H_
