#include "connectors/common/csv.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/base/errors.h"

namespace collections::connectors {
namespace {

using Rows = std::vector<std::vector<std::string>>;

Rows ReadRows(const std::string& bytes, CsvOptions options = {}) {
  std::istringstream in(bytes);
  LineReader lines(in);
  CsvReader reader(lines, options);
  CsvRecord record;
  Rows rows;
  while (true) {
    auto got = reader.Next(&record);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok() || !*got) break;
    std::vector<std::string> row;
    for (const auto& f : record.fields) row.push_back(f.value);
    rows.push_back(row);
  }
  return rows;
}

TEST(CsvReader, Rfc4180QuotingWithDelimitersQuotesAndNewlines) {
  EXPECT_EQ(ReadRows("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\r\nline\",x\r\n"),
            (Rows{{"a", "b,c", "say \"hi\""}, {"multi\nline", "x"}}));
}

TEST(CsvReader, EmptyFieldsAndBlankLines) {
  EXPECT_EQ(ReadRows(",,\n\nz"), (Rows{{"", "", ""}, {""}, {"z"}}));
  EXPECT_EQ(ReadRows("\"\",a"), (Rows{{"", "a"}}));
}

TEST(CsvReader, TabDelimitedWithQuotedCommasAsInIif) {
  CsvOptions tsv;
  tsv.delimiter = '\t';
  EXPECT_EQ(ReadRows("CUST\t\"Melton, Johnny:Dental Office\"\t\"99,250.02\"\t\n", tsv),
            (Rows{{"CUST", "Melton, Johnny:Dental Office", "99,250.02", ""}}));
  // Commas are data in a tab file even when not quoted.
  EXPECT_EQ(ReadRows("a,b\tc\n", tsv), (Rows{{"a,b", "c"}}));
}

TEST(CsvReader, LenientAboutStrayQuotes) {
  EXPECT_EQ(ReadRows("12\" pipe,\"ab\"cd\n"), (Rows{{"12\" pipe", "abcd"}}));
}

TEST(CsvReader, ReportsLinesAndColumnsOfFields) {
  std::istringstream in("h1,h2\nx,\"y\nz\",w\n\xC3\xA9,v\n");
  LineReader lines(in);
  CsvReader reader(lines);
  CsvRecord r;
  ASSERT_TRUE(*reader.Next(&r));
  ASSERT_TRUE(*reader.Next(&r));
  EXPECT_EQ(r.first_line, 2);
  EXPECT_EQ(r.last_line, 3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.fields[1].line, 2);
  EXPECT_EQ(r.fields[1].column, 3);
  EXPECT_TRUE(r.fields[1].quoted);
  EXPECT_EQ(r.fields[2].line, 3);
  EXPECT_EQ(r.fields[2].column, 4);
  ASSERT_TRUE(*reader.Next(&r));
  EXPECT_EQ(r.fields[1].column, 3);  // columns count characters, not bytes
  EXPECT_EQ(r.Value(7), "");
  EXPECT_FALSE(*reader.Next(&r));
}

TEST(CsvReader, UnterminatedQuoteNamesTheOpeningLine) {
  std::istringstream in("a,b\nc,\"open\nmore\n");
  LineReader lines(in);
  CsvReader reader(lines);
  CsvRecord r;
  ASSERT_TRUE(*reader.Next(&r));
  auto got = reader.Next(&r);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(domain::ReasonOf(got.status()), "CSV_UNTERMINATED_QUOTE");
  EXPECT_NE(got.status().message().find("line 2"), std::string::npos) << got.status();
}

TEST(CsvReader, SingleLineModeClosesQuotesAtLineEnd) {
  CsvOptions options;
  options.multiline_fields = false;
  EXPECT_EQ(ReadRows("\"open\nnext\n", options), (Rows{{"open"}, {"next"}}));
}

TEST(CsvReader, RecordSizeIsBounded) {
  CsvOptions options;
  options.max_record_bytes = 100;
  std::istringstream in("\"" + std::string(60, 'a') + "\n" + std::string(60, 'b') + "\"\n");
  LineReader lines(in);
  CsvReader reader(lines, options);
  CsvRecord r;
  auto got = reader.Next(&r);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(domain::ReasonOf(got.status()), "CSV_RECORD_TOO_LONG");
}

}  // namespace
}  // namespace collections::connectors
