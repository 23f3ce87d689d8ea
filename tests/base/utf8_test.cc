// base::ClipUtf8: a byte budget that never splits a character.
#include "service/base/utf8.h"

#include <gtest/gtest.h>

namespace collections::base {
namespace {

TEST(ClipUtf8, KeepsWhatFitsAndNeverSplitsACharacter) {
  EXPECT_EQ(ClipUtf8("abc", 3), "abc");
  EXPECT_EQ(ClipUtf8("abc", 10), "abc");
  EXPECT_EQ(ClipUtf8("abcdef", 4), "abcd");
  EXPECT_EQ(ClipUtf8("", 0), "");
  // "é" is 2 bytes, "€" 3, "😀" 4: a cut inside one drops it whole.
  const absl::string_view text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  EXPECT_EQ(ClipUtf8(text, 1), "a");
  EXPECT_EQ(ClipUtf8(text, 2), "a");
  EXPECT_EQ(ClipUtf8(text, 3), "a\xC3\xA9");
  EXPECT_EQ(ClipUtf8(text, 4), "a\xC3\xA9");
  EXPECT_EQ(ClipUtf8(text, 5), "a\xC3\xA9");
  EXPECT_EQ(ClipUtf8(text, 6), "a\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(ClipUtf8(text, 9), "a\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(ClipUtf8(text, 10), text);
  EXPECT_EQ(ClipUtf8("\xE2\x82\xAC", 0), "");
}

}  // namespace
}  // namespace collections::base
