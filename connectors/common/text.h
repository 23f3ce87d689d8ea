// Streaming line reader for the text export formats (IIF, CSV, journals).
// It exists so that every text parser gets the same handling of the things
// real exports contain: a UTF-8 byte order mark, CRLF or LF line ends, no
// final newline, and Windows-1252 bytes from older Windows tools, all with
// memory bounded by the longest line rather than by the file.
//
// Use LineReader directly for line-oriented formats, or through CsvReader
// (csv.h) for delimited ones. Not thread-safe.
#ifndef COLLECTIONS_CONNECTORS_COMMON_TEXT_H_
#define COLLECTIONS_CONNECTORS_COMMON_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::connectors {

enum class TextEncoding {
  // UTF-8 (BOM optional) until a line is not valid UTF-8; from that line on
  // the input is read as Windows-1252. Pure ASCII files are the same either way.
  kAuto,
  // Strict UTF-8: an invalid byte sequence is an error naming the line.
  kUtf8,
  // Every byte is a Windows-1252 character (the ANSI code page of US and
  // Western European Windows).
  kWindows1252,
};

struct LineReaderOptions {
  TextEncoding encoding = TextEncoding::kAuto;
  // A longer line is an error (LINE_TOO_LONG) instead of unbounded memory.
  size_t max_line_bytes = size_t{16} << 20;
};

class LineReader {
 public:
  // `in` must outlive the reader.
  explicit LineReader(std::istream& in, LineReaderOptions options = {});

  // Reads the next line, decoded to UTF-8, without its LF or CRLF terminator
  // and, on the first line, without a UTF-8 BOM. Returns true with `*line`
  // set, or false at the end of the input (a final line without a newline is
  // still returned). Errors, both naming the line number:
  // InvalidArgument with reason LINE_TOO_LONG or INVALID_UTF8 (kUtf8 only),
  // DataLoss when the stream fails.
  absl::StatusOr<bool> Next(std::string* line);

  // 1-based number of the line last returned by Next(); 0 before the first.
  int64_t line_number() const { return line_number_; }
  // Raw bytes consumed so far (for progress reporting).
  int64_t bytes_consumed() const { return bytes_consumed_; }
  // True when the input started with a UTF-8 BOM.
  bool had_bom() const { return had_bom_; }
  // The encoding in effect: kAuto switches to kWindows1252 on the first line
  // that is not valid UTF-8 and stays there.
  TextEncoding encoding() const { return encoding_; }

 private:
  bool Fill();

  std::istream& in_;
  LineReaderOptions options_;
  TextEncoding encoding_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool started_ = false;
  bool had_bom_ = false;
  int64_t line_number_ = 0;
  int64_t bytes_consumed_ = 0;
  std::string raw_;
};

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(absl::string_view bytes);
// Windows-1252 bytes to UTF-8. The five bytes 1252 leaves undefined (0x81,
// 0x8D, 0x8F, 0x90, 0x9D) become the C1 controls of the same value, as the
// WHATWG encoding standard does.
std::string Windows1252ToUtf8(absl::string_view bytes);
// UTF-8 to Windows-1252 for exports to tools that need it; characters that
// 1252 lacks become '?'. Invalid UTF-8 bytes are passed through as is.
std::string Utf8ToWindows1252(absl::string_view utf8);
// Number of code points in valid UTF-8 text (bytes that are not
// continuation bytes), used for 1-based columns.
int64_t Utf8Length(absl::string_view utf8);

// Opens `path` for binary reading; NotFound naming the path when it cannot.
absl::Status OpenInputFile(const std::string& path, std::ifstream* out);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_TEXT_H_
