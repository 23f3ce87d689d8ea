#include "connectors/common/text.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/base/errors.h"

namespace collections::connectors {
namespace {

std::vector<std::string> ReadAll(const std::string& bytes, LineReaderOptions options = {}) {
  std::istringstream in(bytes);
  LineReader reader(in, options);
  std::vector<std::string> lines;
  std::string line;
  while (true) {
    auto got = reader.Next(&line);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok() || !*got) break;
    lines.push_back(line);
    EXPECT_EQ(reader.line_number(), static_cast<int64_t>(lines.size()));
  }
  return lines;
}

using Lines = std::vector<std::string>;

TEST(LineReader, LfCrlfAndMissingFinalNewline) {
  EXPECT_EQ(ReadAll("a\nb\n"), (Lines{"a", "b"}));
  EXPECT_EQ(ReadAll("a\r\nb\r\n"), (Lines{"a", "b"}));
  EXPECT_EQ(ReadAll("a\r\nb"), (Lines{"a", "b"}));
  EXPECT_EQ(ReadAll("a\n\nb\n"), (Lines{"a", "", "b"}));
  EXPECT_EQ(ReadAll(""), Lines{});
  EXPECT_EQ(ReadAll("\n"), Lines{""});
}

TEST(LineReader, StripsUtf8BomOnlyAtStart) {
  std::istringstream in("\xEF\xBB\xBFid;name\nx\xEF\xBB\xBFy\n");
  LineReader reader(in);
  std::string line;
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "id;name");
  EXPECT_TRUE(reader.had_bom());
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "x\xEF\xBB\xBFy");  // a U+FEFF later on is data
}

TEST(LineReader, AutoDetectsWindows1252) {
  // "Müller" and "€5" in Windows-1252 after an ASCII line.
  std::istringstream in(
      "name\nM\xFCller\n\x80"
      "5\n");
  LineReader reader(in);
  std::string line;
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(reader.encoding(), TextEncoding::kAuto);
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "M\xC3\xBCller");
  EXPECT_EQ(reader.encoding(), TextEncoding::kWindows1252);
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line,
            "\xE2\x82\xAC"
            "5");
}

TEST(LineReader, KeepsValidUtf8InAutoMode) {
  EXPECT_EQ(ReadAll("S\xC3\xB6"
                    "dermalm\n"),
            Lines{"S\xC3\xB6"
                  "dermalm"});
}

TEST(LineReader, ForcedWindows1252TranscodesEvenValidUtf8Bytes) {
  LineReaderOptions options;
  options.encoding = TextEncoding::kWindows1252;
  EXPECT_EQ(ReadAll("\xC3\xB6\n", options), Lines{"\xC3\x83\xC2\xB6"});
}

TEST(LineReader, StrictUtf8RejectsInvalidBytesWithLine) {
  std::istringstream in("ok\nbad \xFF here\n");
  LineReader reader(in, {.encoding = TextEncoding::kUtf8});
  std::string line;
  ASSERT_TRUE(*reader.Next(&line));
  auto got = reader.Next(&line);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(domain::ReasonOf(got.status()), "INVALID_UTF8");
  EXPECT_NE(got.status().message().find("line 2"), std::string::npos) << got.status();
}

TEST(LineReader, LineTooLongIsAnErrorNotUnboundedMemory) {
  std::istringstream in(std::string(5000, 'x') + "\n");
  LineReader reader(in, {.max_line_bytes = 1000});
  std::string line;
  auto got = reader.Next(&line);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(domain::ReasonOf(got.status()), "LINE_TOO_LONG");
}

TEST(LineReader, LinesLongerThanTheBufferAndCrlfSplitAcrossRefills) {
  // 64 KiB buffer: put a CR exactly at the end of the first refill.
  std::string first(64 * 1024 - 1, 'a');
  std::string bytes = first + "\r\n" + std::string(200000, 'b') + "\nlast";
  const Lines lines = ReadAll(bytes);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], first);
  EXPECT_EQ(lines[1].size(), 200000u);
  EXPECT_EQ(lines[2], "last");
}

TEST(Encoding, RoundTripsWindows1252) {
  const std::string utf8 = "\xE2\x82\xAC \xC3\xA9t\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D";
  const std::string cp = Utf8ToWindows1252(utf8);
  EXPECT_EQ(cp, "\x80 \xE9t\xE9 \x93q\x94");
  EXPECT_EQ(Windows1252ToUtf8(cp), utf8);
  EXPECT_EQ(Utf8ToWindows1252("\xE4\xB8\xAD"), "?");  // CJK has no 1252 byte
}

TEST(Encoding, ValidatesUtf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));      // truncated
  EXPECT_EQ(Utf8Length("S\xC3\xB6"
                       "d"),
            3);
}

}  // namespace
}  // namespace collections::connectors
