#include "connectors/einvoice/edi_segments.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/base/errors.h"

namespace collections::connectors {

std::string EdiSegment::Get(size_t i, size_t j) const {
  if (i == 0 || i > elements.size()) return "";
  const auto& components = elements[i - 1];
  if (j == 0 || j > components.size()) return "";
  return std::string(absl::StripAsciiWhitespace(components[j - 1]));
}

int64_t EdiSegment::ColumnOf(size_t i) const {
  if (i == 0 || i > element_columns.size()) return column;
  return element_columns[i - 1];
}

EdiSegmentReader::EdiSegmentReader(std::istream& in, size_t max_segment_bytes)
    : in_(in), max_segment_bytes_(max_segment_bytes) {}

bool EdiSegmentReader::Fill() {
  if (eof_) return false;
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  char chunk[1 << 16];
  in_.read(chunk, sizeof chunk);
  const std::streamsize n = in_.gcount();
  if (n > 0) buf_.append(chunk, static_cast<size_t>(n));
  if (in_.bad()) failed_ = true;
  if (!in_) eof_ = true;
  return n > 0;
}

absl::StatusOr<absl::string_view> EdiSegmentReader::Peek(size_t n) {
  while (buf_.size() - pos_ < n && Fill()) {
  }
  if (failed_) return absl::DataLossError("read error on the input");
  return absl::string_view(buf_).substr(pos_, n);
}

void EdiSegmentReader::Consume(size_t n) {
  for (size_t k = 0; k < n && pos_ < buf_.size(); ++k, ++pos_) {
    ++consumed_;
    if (buf_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
  }
}

bool EdiSegmentReader::IsNoise(char c) const {
  if (c == delimiters_.element || c == delimiters_.component || c == delimiters_.terminator) {
    return false;
  }
  return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

absl::Status EdiSegmentReader::SkipNoise() {
  if (consumed_ == 0) {
    auto head = Peek(3);
    if (!head.ok()) return head.status();
    if (*head == "\xEF\xBB\xBF") {
      Consume(3);
      column_ = 1;
    }
  }
  while (true) {
    auto c = Peek(1);
    if (!c.ok()) return c.status();
    if (c->empty() || !IsNoise((*c)[0])) return absl::OkStatus();
    Consume(1);
  }
}

absl::StatusOr<bool> EdiSegmentReader::Next(EdiSegment* segment) {
  if (absl::Status st = SkipNoise(); !st.ok()) return st;
  auto first = Peek(1);
  if (!first.ok()) return first.status();
  if (first->empty()) return false;
  segment->tag.clear();
  segment->elements.clear();
  segment->element_columns.clear();
  segment->unterminated = false;
  segment->line = line_;
  segment->column = column_;
  segment->ordinal = ++ordinal_;
  const EdiDelimiters d = delimiters_;
  std::string current;
  std::vector<std::string> components;
  bool in_tag = true;
  size_t length = 0;
  auto finish_element = [&]() {
    components.push_back(std::move(current));
    current.clear();
    if (in_tag) {
      segment->tag = std::string(absl::StripAsciiWhitespace(components.front()));
      in_tag = false;
    } else {
      segment->elements.push_back(std::move(components));
    }
    components.clear();
  };
  while (true) {
    if (pos_ >= buf_.size() && !Fill()) {
      if (failed_) return absl::DataLossError("read error on the input");
      // The last segment of many files has no terminator; it is complete
      // when it has a tag (the trailer counts tell a truncated file).
      finish_element();
      segment->unterminated = true;
      if (segment->tag.empty()) {
        return domain::InvalidInput(
            "EDI_UNTERMINATED_SEGMENT", absl::StrCat("line ", segment->line),
            absl::StrCat("the input ends inside a segment that starts at line ", segment->line,
                         ", column ", segment->column));
      }
      return true;
    }
    const char c = buf_[pos_];
    if (++length > max_segment_bytes_) {
      return domain::InvalidInput(
          "EDI_SEGMENT_TOO_LONG", absl::StrCat("line ", segment->line),
          absl::StrCat("segment at line ", segment->line, ", column ", segment->column,
                       " is longer than ", max_segment_bytes_, " bytes"));
    }
    if (d.release != '\0' && c == d.release) {
      Consume(1);
      if (pos_ >= buf_.size() && !Fill()) continue;  // reported as unterminated above
      current.push_back(buf_[pos_]);
      Consume(1);
      continue;
    }
    if (c == d.terminator) {
      Consume(1);
      finish_element();
      return true;
    }
    if (c == d.element) {
      finish_element();
      Consume(1);
      segment->element_columns.push_back(column_);
      continue;
    }
    if (c == d.component && !in_tag) {
      components.push_back(std::move(current));
      current.clear();
      Consume(1);
      continue;
    }
    current.push_back(c);
    Consume(1);
  }
}

}  // namespace collections::connectors
