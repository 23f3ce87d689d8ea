#include "connectors/common/text.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"

namespace collections::connectors {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;

// Windows-1252 0x80..0x9F as Unicode code points (0x80..0x9F itself where
// the code page leaves the byte undefined).
constexpr char32_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes one UTF-8 sequence at `s[i]`; returns its length, or 0 when
// malformed. `*cp` receives the code point.
size_t DecodeUtf8(absl::string_view s, size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

bool IsValidUtf8(absl::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    const size_t n = DecodeUtf8(bytes, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string Windows1252ToUtf8(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out.push_back(c);
    } else if (b < 0xA0) {
      AppendUtf8(kCp1252High[b - 0x80], &out);
    } else {
      AppendUtf8(b, &out);
    }
  }
  return out;
}

std::string Utf8ToWindows1252(absl::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    char32_t cp;
    const size_t n = DecodeUtf8(utf8, i, &cp);
    if (n == 0) {
      out.push_back(utf8[i]);
      ++i;
      continue;
    }
    i += n;
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) {
      out.push_back(static_cast<char>(cp));
      continue;
    }
    char mapped = '?';
    for (int k = 0; k < 32; ++k) {
      if (kCp1252High[k] == cp) {
        mapped = static_cast<char>(0x80 + k);
        break;
      }
    }
    out.push_back(mapped);
  }
  return out;
}

int64_t Utf8Length(absl::string_view utf8) {
  int64_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

absl::Status OpenInputFile(const std::string& path, std::ifstream* out) {
  out->open(path, std::ios::in | std::ios::binary);
  if (!out->is_open()) {
    return domain::NotFoundError("FILE_NOT_FOUND",
                                 absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

LineReader::LineReader(std::istream& in, LineReaderOptions options)
    : in_(in), options_(options), encoding_(options.encoding), buf_(kBufferBytes) {}

bool LineReader::Fill() {
  if (eof_) return false;
  in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  pos_ = 0;
  end_ = static_cast<size_t>(in_.gcount());
  if (end_ == 0) {
    eof_ = true;
    return false;
  }
  return true;
}

absl::StatusOr<bool> LineReader::Next(std::string* line) {
  raw_.clear();
  bool saw_any = false;
  bool terminated = false;
  while (!terminated) {
    if (pos_ == end_ && !Fill()) {
      if (in_.bad()) {
        return absl::DataLossError(absl::StrCat("read error after line ", line_number_));
      }
      break;
    }
    if (!started_) {
      // A UTF-8 BOM may only appear at the very start; it can straddle a
      // refill only for inputs shorter than three bytes, which cannot hold one.
      started_ = true;
      if (end_ - pos_ >= 3 && std::memcmp(buf_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) {
        pos_ += 3;
        bytes_consumed_ += 3;
        had_bom_ = true;
        if (encoding_ == TextEncoding::kAuto) encoding_ = TextEncoding::kUtf8;
      }
    }
    const char* start = buf_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    const size_t take = nl ? static_cast<size_t>(nl - start) : end_ - pos_;
    if (raw_.size() + take > options_.max_line_bytes) {
      return domain::InvalidInput("LINE_TOO_LONG", absl::StrCat("line ", line_number_ + 1),
                                  absl::StrCat("longer than ", options_.max_line_bytes, " bytes"));
    }
    raw_.append(start, take);
    saw_any = true;
    pos_ += take;
    bytes_consumed_ += static_cast<int64_t>(take);
    if (nl) {
      ++pos_;
      ++bytes_consumed_;
      terminated = true;
    }
  }
  if (!saw_any || (!terminated && raw_.empty())) return false;
  ++line_number_;
  if (!raw_.empty() && raw_.back() == '\r') raw_.pop_back();

  switch (encoding_) {
    case TextEncoding::kWindows1252:
      *line = Windows1252ToUtf8(raw_);
      break;
    case TextEncoding::kUtf8:
      if (!IsValidUtf8(raw_)) {
        return domain::InvalidInput("INVALID_UTF8", absl::StrCat("line ", line_number_),
                                    "not valid UTF-8");
      }
      line->swap(raw_);
      break;
    case TextEncoding::kAuto:
      if (IsValidUtf8(raw_)) {
        line->swap(raw_);
      } else {
        encoding_ = TextEncoding::kWindows1252;
        *line = Windows1252ToUtf8(raw_);
      }
      break;
  }
  return true;
}

}  // namespace collections::connectors
