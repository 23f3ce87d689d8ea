// Money: exact parsing into minor units per ISO 4217 exponent, checked
// arithmetic, formatting.
#include "service/base/money.h"

#include <gtest/gtest.h>

#include "service/base/errors.h"

namespace collections::domain {
namespace {

struct ParseCase {
  const char* text;
  const char* currency;
  int64_t minor;
};

class ParseMinorUnitsTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseMinorUnitsTest, ParsesExactly) {
  const ParseCase& c = GetParam();
  auto got = ParseMinorUnits(c.text, c.currency);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, c.minor);
  // The decimal form round-trips.
  EXPECT_EQ(*ParseMinorUnits(FormatDecimal(*got, c.currency), c.currency), c.minor);
}

INSTANTIATE_TEST_SUITE_P(
    Exponents, ParseMinorUnitsTest,
    ::testing::Values(ParseCase{"1234", "JPY", 1234}, ParseCase{"1234.000", "JPY", 1234},
                      ParseCase{"12.34", "EUR", 1234}, ParseCase{"12.3", "EUR", 1230},
                      ParseCase{"-0.01", "EUR", -1}, ParseCase{".5", "EUR", 50},
                      ParseCase{"+7", "EUR", 700}, ParseCase{"1.234", "KWD", 1234},
                      ParseCase{"1.2", "KWD", 1200}, ParseCase{"0.001", "BHD", 1},
                      ParseCase{"92233720368547758.07", "EUR", INT64_MAX}));

TEST(ParseMinorUnits, RejectsMorePrecisionThanTheCurrencyHas) {
  auto st = ParseMinorUnits("12.345", "EUR").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(st), "INVALID_AMOUNT");
  EXPECT_FALSE(ParseMinorUnits("1.5", "JPY").ok());
  EXPECT_TRUE(ParseMinorUnits("12.340", "EUR").ok());  // trailing zeros are exact
}

TEST(ParseMinorUnits, RejectsGarbageOverflowAndUnknownCurrency) {
  EXPECT_FALSE(ParseMinorUnits("", "EUR").ok());
  EXPECT_FALSE(ParseMinorUnits("-", "EUR").ok());
  EXPECT_FALSE(ParseMinorUnits("1e3", "EUR").ok());
  EXPECT_FALSE(ParseMinorUnits("1,000.00", "EUR").ok());
  EXPECT_FALSE(ParseMinorUnits("92233720368547758.08", "EUR").ok());
  EXPECT_EQ(ParseMinorUnits("1", "XXY").status().code(), absl::StatusCode::kNotFound);
}

TEST(ParseMinorUnits, GroupingOnlyWhenAllowed) {
  EXPECT_EQ(*ParseMinorUnits("99,250.02", "USD", /*allow_grouping=*/true), 9925002);
}

// A comma groups thousands only in valid groups of three: a decimal comma
// ("1,50") is never read as 150.00.
TEST(ParseMinorUnits, GroupingCommasOnlyBetweenGroupsOfThree) {
  EXPECT_EQ(*ParseMinorUnits("1,234,567.89", "USD", true), 123456789);
  EXPECT_EQ(*ParseMinorUnits("-1,000", "USD", true), -100000);
  EXPECT_EQ(*ParseMinorUnits("999", "USD", true), 99900);
  for (const char* bad : {"1,50", "12,34.00", "1234,567", "1,2345", ",100", "1,,000", "1,000,",
                          "1,00,000", "1,000,00.00"}) {
    auto st = ParseMinorUnits(bad, "USD", true).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ReasonOf(st), "INVALID_AMOUNT") << bad;
  }
}

TEST(Money, AddRejectsCurrencyMismatchAndOverflow) {
  EXPECT_EQ(Add({"EUR", 1}, {"EUR", 2})->minor, 3);
  EXPECT_EQ(Add({"EUR", 1}, {"USD", 2}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Add({"EUR", INT64_MAX}, {"EUR", 1}).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Subtract({"EUR", 5}, {"EUR", 7})->minor, -2);
  EXPECT_FALSE(Subtract({"EUR", 0}, {"EUR", INT64_MIN}).ok());
}

TEST(Money, FormatsByExponent) {
  EXPECT_EQ(FormatMoney({"EUR", 123456789}), "EUR 1,234,567.89");
  EXPECT_EQ(FormatMoney({"JPY", 1000}), "JPY 1,000");
  EXPECT_EQ(FormatMoney({"KWD", -1005}), "KWD -1.005");
  EXPECT_EQ(FormatDecimal(5, "EUR"), "0.05");
}

TEST(Money, BasisPointsRoundHalfAwayFromZero) {
  EXPECT_EQ(ApplyBasisPoints(10000, 150), 150);
  EXPECT_EQ(ApplyBasisPoints(1, 5000), 1);    // 0.5 -> 1
  EXPECT_EQ(ApplyBasisPoints(-1, 5000), -1);  // -0.5 -> -1
  EXPECT_EQ(ApplyBasisPoints(3, 3333), 1);    // 0.9999 -> 1
}

}  // namespace
}  // namespace collections::domain
