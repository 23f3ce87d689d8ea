#include "connectors/common/values.h"

#include "gtest/gtest.h"
#include "service/base/errors.h"

namespace collections::connectors {
namespace {

TEST(ParseNumericDate, FormsSeenInExports) {
  struct Case {
    const char* text;
    DateOrder order;
    absl::CivilDay want;
  } cases[] = {
      {"7/16/98", DateOrder::kMonthDayYear, absl::CivilDay(1998, 7, 16)},
      {"07/16/1998", DateOrder::kMonthDayYear, absl::CivilDay(1998, 7, 16)},
      {"1/2/05", DateOrder::kMonthDayYear, absl::CivilDay(2005, 1, 2)},
      {"12/31/68", DateOrder::kMonthDayYear, absl::CivilDay(2068, 12, 31)},
      {"1/1/69", DateOrder::kMonthDayYear, absl::CivilDay(1969, 1, 1)},
      {"2026-12-15", DateOrder::kMonthDayYear, absl::CivilDay(2026, 12, 15)},
      {"2026-12-15", DateOrder::kDayMonthYear, absl::CivilDay(2026, 12, 15)},
      {"29/3/2019", DateOrder::kDayMonthYear, absl::CivilDay(2019, 3, 29)},
      {"7/6/2019", DateOrder::kDayMonthYear, absl::CivilDay(2019, 6, 7)},
      {"7/6/2019", DateOrder::kMonthDayYear, absl::CivilDay(2019, 7, 6)},
      {" 31.12.2020 ", DateOrder::kDayMonthYear, absl::CivilDay(2020, 12, 31)},
  };
  for (const Case& c : cases) {
    auto got = ParseNumericDate(c.text, c.order);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ParseNumericDate, RejectsNonDates) {
  for (const char* text : {"", "0/0/0", "2/30/2026", "13/1/2020", "29/3/2019", "1/2/3", "1/2",
                           "a/b/cc", "1/2/123", "2026-13-01"}) {
    auto got = ParseNumericDate(text, DateOrder::kMonthDayYear);
    EXPECT_FALSE(got.ok()) << text;
    EXPECT_EQ(domain::ReasonOf(got.status()), "INVALID_DATE") << text;
  }
}

TEST(Quantity, ParsesAndFormatsThousandths) {
  EXPECT_EQ(*ParseQuantityMilli("2.5"), 2500);
  EXPECT_EQ(*ParseQuantityMilli("-25"), -25000);
  EXPECT_EQ(*ParseQuantityMilli("0.125"), 125);
  EXPECT_EQ(*ParseQuantityMilli("1.2500"), 1250);
  EXPECT_EQ(*ParseQuantityMilli("1,000", true), 1000000);
  EXPECT_FALSE(ParseQuantityMilli("1.0001").ok());
  EXPECT_FALSE(ParseQuantityMilli("abc").ok());
  EXPECT_FALSE(ParseQuantityMilli("").ok());
  EXPECT_FALSE(ParseQuantityMilli("1,000").ok());
  EXPECT_EQ(FormatQuantityMilli(2500), "2.5");
  EXPECT_EQ(FormatQuantityMilli(-25000), "-25");
  EXPECT_EQ(FormatQuantityMilli(125), "0.125");
  EXPECT_EQ(*ParseQuantityMilli(FormatQuantityMilli(-1001)), -1001);
}

TEST(StableId, IsAFixedFunctionOfItsParts) {
  // Golden values: a change here would re-key every imported record.
  EXPECT_EQ(StableId({}), "cbf29ce484222325");
  EXPECT_EQ(StableId({"a"}), "af63dc4c8601ec8c");
  EXPECT_NE(StableId({"ab", "c"}), StableId({"a", "bc"}));
  EXPECT_EQ(StableId({"x", "y"}), StableId({"x", "y"}));
}

TEST(Issues, CarryReasonFieldAndLocation) {
  const Location where{"f.csv", 4, 9, ""};
  ParseIssue issue =
      IssueFromStatus(domain::InvalidInput("INVALID_AMOUNT", "amount", "\"x\" is not an amount"),
                      where, "*UnitAmount");
  EXPECT_EQ(issue.reason, "INVALID_AMOUNT");
  EXPECT_EQ(issue.field, "*UnitAmount");
  EXPECT_EQ(issue.description, "\"x\" is not an amount");
  EXPECT_EQ(issue.ToString(), "f.csv:4:9: *UnitAmount: \"x\" is not an amount (INVALID_AMOUNT)");
  EXPECT_EQ((Location{"u.xml", 12, 0, "/Invoice/cbc:ID"}).ToString(),
            "u.xml:/Invoice/cbc:ID (line 12)");
  EXPECT_EQ(NewRecord(where).record.source_location(), "f.csv:4:9");
}

// Internal resource names leaked into UBL Note, IIF MEMO and
// Xero Reference.
TEST(PublicText, ResourceNamesBecomeTheirLastSegment) {
  EXPECT_EQ(PublicText("dispute tenants/acme/customers/c-1/disputes/d-7 settled"),
            "dispute d-7 settled");
  EXPECT_EQ(PublicText("(tenants/a/customers/c/invoices/INV-1), tenants/a/x/y"), "(INV-1), y");
  EXPECT_EQ(PublicText("no names here"), "no names here");
  EXPECT_EQ(PublicText("subtenants/a/b"), "subtenants/a/b");
}

}  // namespace
}  // namespace collections::connectors
