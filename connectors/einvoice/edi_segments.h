// A streaming segment reader for the delimiter-based EDI syntaxes, UN/EDIFACT
// (ISO 9735) and ANSI ASC X12. Both write a file as segments "TAG<e>el<e>
// el<c>component...<terminator>", with the delimiters announced by the file
// itself (EDIFACT's UNA service string, X12's fixed ISA segment); this reader
// does the part they share: splitting into segments, elements and
// components, honouring a release (escape) character, skipping the line
// breaks and indentation that many producers put between segments, and
// tracking the line and column of every segment and element so that every
// problem can be located.
//
// Memory is bounded by the longest segment (max_segment_bytes), not by the
// file. Not thread-safe.
#ifndef COLLECTIONS_CONNECTORS_EINVOICE_EDI_SEGMENTS_H_
#define COLLECTIONS_CONNECTORS_EINVOICE_EDI_SEGMENTS_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::connectors {

struct EdiDelimiters {
  char element = '+';
  char component = ':';
  char terminator = '\'';
  char release = '\0';  // '\0': none (X12 has no release character)
};

struct EdiSegment {
  std::string tag;
  // elements[i][j]: component j of element i+1 (the tag is element 0), with
  // release characters removed. An element without components has one.
  std::vector<std::vector<std::string>> elements;
  // Where the segment starts: 1-based physical line and column (bytes).
  int64_t line = 0;
  int64_t column = 0;
  // 1-based column of each element's first byte, parallel to `elements`.
  std::vector<int64_t> element_columns;
  // 1-based ordinal of the segment in the file.
  int64_t ordinal = 0;
  // The input ended before this segment's terminator (the last segment).
  bool unterminated = false;

  // Element `i` (1-based), component `j` (1-based), whitespace-trimmed; ""
  // when absent.
  std::string Get(size_t i, size_t j = 1) const;
  // Column of element `i` (1-based), or of the segment when absent.
  int64_t ColumnOf(size_t i) const;
  // Number of elements after the tag.
  size_t size() const { return elements.size(); }
};

class EdiSegmentReader {
 public:
  // `in` must outlive the reader.
  explicit EdiSegmentReader(std::istream& in, size_t max_segment_bytes = size_t{1} << 20);

  // Skips a UTF-8 byte order mark and whitespace before the next segment.
  absl::Status SkipNoise();
  // Up to `n` bytes from the current position without consuming them
  // (fewer at the end of the input).
  absl::StatusOr<absl::string_view> Peek(size_t n);
  // Consumes `n` bytes (that Peek returned), keeping line and column.
  void Consume(size_t n);

  void set_delimiters(const EdiDelimiters& d) { delimiters_ = d; }
  const EdiDelimiters& delimiters() const { return delimiters_; }

  // Reads the next segment up to its terminator, then skips the line break
  // and indentation after it. true: `*segment` is set (with `unterminated`
  // when the input ended before its terminator, as the last segment of many
  // files does); false: end of input. InvalidArgument with reason
  // EDI_SEGMENT_TOO_LONG, or EDI_UNTERMINATED_SEGMENT when the input ends
  // with data that has no segment tag (both naming line and column);
  // DataLoss when the stream fails.
  absl::StatusOr<bool> Next(EdiSegment* segment);

  int64_t line() const { return line_; }
  int64_t column() const { return column_; }
  int64_t bytes_consumed() const { return consumed_; }

 private:
  bool Fill();
  bool IsNoise(char c) const;

  std::istream& in_;
  size_t max_segment_bytes_;
  EdiDelimiters delimiters_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  int64_t line_ = 1;
  int64_t column_ = 1;
  int64_t consumed_ = 0;
  int64_t ordinal_ = 0;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_EINVOICE_EDI_SEGMENTS_H_
