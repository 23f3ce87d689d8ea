// UTF-8 text cut to a byte budget.
#ifndef COLLECTIONS_BASE_UTF8_H_
#define COLLECTIONS_BASE_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace collections::base {

// The longest prefix of `s` of at most `max_bytes` bytes that does not cut a
// UTF-8 sequence in two (a proto string field must hold valid UTF-8).
inline absl::string_view ClipUtf8(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

}  // namespace collections::base

#endif  // COLLECTIONS_BASE_UTF8_H_
