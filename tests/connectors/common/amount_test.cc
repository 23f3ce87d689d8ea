#include "connectors/common/amount.h"

#include <cstdint>

#include "gtest/gtest.h"
#include "service/base/errors.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;
namespace {

AmountRules Rules(NumberFormat format, bool round = false) {
  AmountRules r;
  r.format = format;
  r.round = round;
  return r;
}

TEST(ParseAmount, ReadsEachFormatsOwnGrammar) {
  struct Case {
    const char* text;
    NumberFormat format;
    const char* currency;
    int64_t want;
  } cases[] = {
      {"1234.56", kXsdDecimal, "EUR", 123456},
      {"-0.01", kXsdDecimal, "EUR", -1},
      {"+7", kXsdDecimal, "EUR", 700},
      {"1.", kXsdDecimal, "EUR", 100},
      {".5", kXsdDecimal, "EUR", 50},
      {"  12.30 ", kXsdDecimal, "EUR", 1230},
      {"12.3000", kXsdDecimal, "EUR", 1230},  // excess zeros are exact
      {"1,234.56", kPointDecimalGrouped, "USD", 123456},
      {"1,234,567", kPointDecimalGrouped, "USD", 123456700},
      {"999.5", kPointDecimalGrouped, "USD", 99950},
      {"1234.56", kPointDecimalGrouped, "USD", 123456},  // grouping is optional
      {"1234,56", kCommaDecimal, "EUR", 123456},
      {"1234,", kCommaDecimal, "EUR", 123400},  // MT940 writes "1234,"
      {"1.234,56", kCommaDecimalGrouped, "EUR", 123456},
      {"1 234,56", NumberFormat{',', ' '}, "EUR", 123456},
      {"1\xC2\xA0"
       "234,56",
       NumberFormat{',', ' '}, "EUR", 123456},
      {"1'234.50", NumberFormat{'.', '\''}, "CHF", 123450},
      {"100", kXsdDecimal, "JPY", 100},
      {"1.234", kXsdDecimal, "KWD", 1234},
  };
  for (const Case& c : cases) {
    auto got = ParseAmount(c.text, c.currency, Rules(c.format));
    ASSERT_TRUE(got.ok()) << c.text << " " << c.format.ToString() << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ParseAmount, CommaIsAGroupMarkOnlyBetweenGroupsOfThree) {
  // "1,50" was stored as 150.00 when a comma anywhere counted as grouping.
  for (const char* text :
       {"1,50", "12,34.00", "1234,567", ",123", "1,,234", "1,234,56", "1,2345", "1,234.5,6"}) {
    auto got = ParseAmount(text, "USD", Rules(kPointDecimalGrouped));
    ASSERT_FALSE(got.ok()) << text << " read as " << *got;
    EXPECT_EQ(domain::ReasonOf(got.status()), "INVALID_AMOUNT") << text;
  }
  auto got = ParseAmount("1,50", "USD", Rules(kPointDecimalGrouped));
  const std::string message(got.status().message());
  EXPECT_NE(message.find("groups of three"), std::string::npos) << message;
  // The message names the flag that would read it as a decimal comma.
  EXPECT_NE(message.find("--number_format=1234,56"), std::string::npos) << message;
}

TEST(ParseAmount, RejectsWhatNoGrammarAllows) {
  for (const char* text : {"", "-", "+", ".", "1e5", "$12", "(12.00)", "12 00", "12.00-", "--1",
                           "1.2.3", "0x10", "١٢", "12,00"}) {
    auto got = ParseAmount(text, "EUR", Rules(kXsdDecimal));
    EXPECT_FALSE(got.ok()) << "\"" << text << "\" read as " << got.value_or(0);
  }
}

TEST(ParseAmount, TooManyDecimalsIsAnErrorUnlessRound) {
  // 100.50 JPY was silently rounded to 101.
  auto jpy = ParseAmount("100.50", "JPY", Rules(kXsdDecimal));
  ASSERT_FALSE(jpy.ok());
  EXPECT_EQ(domain::ReasonOf(jpy.status()), "TOO_MANY_DECIMALS");
  EXPECT_NE(std::string(jpy.status().message()).find("--round"), std::string::npos);
  EXPECT_EQ(ParseAmount("100.50", "JPY", Rules(kXsdDecimal, true)).value(), 101);
  EXPECT_EQ(ParseAmount("100.49", "JPY", Rules(kXsdDecimal, true)).value(), 100);
  EXPECT_EQ(ParseAmount("-100.5", "JPY", Rules(kXsdDecimal, true)).value(), -101);
  EXPECT_EQ(ParseAmount("1.005", "EUR", Rules(kXsdDecimal, true)).value(), 101);
  EXPECT_EQ(ParseAmount("1.2345", "KWD", Rules(kXsdDecimal, true)).value(), 1235);
  EXPECT_EQ(ParseAmount("100.00", "JPY", Rules(kXsdDecimal)).value(), 100);
}

TEST(ParseAmount, RefusesAmountsAboveTheCeiling) {
  AmountRules rules;
  EXPECT_EQ(ParseAmount("1000000000000.00", "EUR", rules).value(), 100000000000000);
  auto above = ParseAmount("1000000000000.01", "EUR", rules);
  ASSERT_FALSE(above.ok());
  EXPECT_EQ(domain::ReasonOf(above.status()), "AMOUNT_ABOVE_CEILING");
  EXPECT_NE(std::string(above.status().message()).find("--max_amount"), std::string::npos);
  EXPECT_EQ(domain::ReasonOf(ParseAmount("-2000000000000", "EUR", rules).status()),
            "AMOUNT_ABOVE_CEILING");
  // Far beyond int64 is the same error, not a wrap.
  EXPECT_EQ(domain::ReasonOf(ParseAmount("99999999999999999999999", "EUR", rules).status()),
            "AMOUNT_ABOVE_CEILING");
  rules.ceiling_major = 100;
  EXPECT_EQ(domain::ReasonOf(ParseAmount("100.01", "USD", rules).status()), "AMOUNT_ABOVE_CEILING");
  EXPECT_EQ(domain::ReasonOf(ParseAmount("1", "XXX", rules).status()), "UNKNOWN_CURRENCY");
}

TEST(ParseScaled, QuantitiesAndPricesAtTheirOwnScale) {
  EXPECT_EQ(ParseScaled("2.5", 3, kXsdDecimal).value(), 2500);
  EXPECT_EQ(ParseScaled("1,000.125", 3, kPointDecimalGrouped).value(), 1000125);
  EXPECT_EQ(ParseScaled("0.12345", 4, kXsdDecimal, true).value(), 1235);
  EXPECT_EQ(domain::ReasonOf(ParseScaled("0.12345", 4, kXsdDecimal).status()), "TOO_MANY_DECIMALS");
  EXPECT_EQ(domain::ReasonOf(ParseScaled("99999999999999999.99", 4, kXsdDecimal).status()),
            "MONEY_OVERFLOW");
  EXPECT_EQ(domain::ReasonOf(ParseScaled("1,5", 3, kPointDecimalGrouped).status()),
            "INVALID_NUMBER");
}

TEST(Arithmetic, OverflowIsAnErrorNeverAWrap) {
  EXPECT_EQ(CheckedAdd(1, 2).value(), 3);
  EXPECT_EQ(domain::ReasonOf(CheckedAdd(INT64_MAX, 1, "total").status()), "MONEY_OVERFLOW");
  // Xero: quantity 99999999999 x unit price 99999999999.99 wrapped to
  // 2,003,754,105,206,896,641 minor units.
  auto line = ScaledProduct(99999999999000 /*milli*/, 9999999999999 /*cents*/, 1000, true);
  EXPECT_EQ(domain::ReasonOf(line.status()), "MONEY_OVERFLOW");
  EXPECT_EQ(ScaledProduct(2500, 3333, 1000, true).value(), 8333);  // 2.5 x 33.33 = 83.325
  EXPECT_EQ(ScaledProduct(-2500, 3333, 1000, true).value(), -8333);
  EXPECT_EQ(ScaledProduct(1500, 1, 1000, true).value(), 2);  // 1.5 -> 2
  EXPECT_EQ(ScaledProduct(-1500, 1, 1000, true).value(), -2);
  EXPECT_EQ(domain::ReasonOf(ScaledProduct(1500, 1, 1000, false).status()), "TOO_MANY_DECIMALS");
  EXPECT_EQ(ScaledProduct(2000, 1234, 1000, false).value(), 2468);
}

TEST(AmountTotal, ChecksEveryStep) {
  AmountRules rules;
  rules.ceiling_major = 1000;
  AmountTotal total("EUR", rules, "invoice total");
  ASSERT_TRUE(total.Add(60000).ok());
  ASSERT_TRUE(total.Add(40000).ok());
  absl::Status st = total.Add(1);
  EXPECT_EQ(domain::ReasonOf(st), "AMOUNT_ABOVE_CEILING");
  EXPECT_NE(std::string(st.message()).find("invoice total"), std::string::npos) << st;
  EXPECT_EQ(total.value(), 100000);
}

TEST(CheckRecordAmounts, NamesTheField) {
  AmountRules rules;
  rules.ceiling_major = 1000;
  v1::SyncRecord rec;
  auto* inv = rec.mutable_invoice();
  inv->mutable_total()->set_currency_code("EUR");
  inv->mutable_total()->set_minor_units(50000);
  auto* line = inv->add_lines();
  line->mutable_amount()->set_currency_code("EUR");
  line->mutable_amount()->set_minor_units(50000);
  line = inv->add_lines();
  line->mutable_amount()->set_currency_code("EUR");
  line->mutable_amount()->set_minor_units(100001);
  EXPECT_TRUE(CheckRecordAmounts(rec, AmountRules{}).ok());
  absl::Status st = CheckRecordAmounts(rec, rules);
  ASSERT_EQ(domain::ReasonOf(st), "AMOUNT_ABOVE_CEILING");
  EXPECT_EQ(domain::FieldsOf(st).front().field, "invoice.lines[1].amount");
}

TEST(NumberFormat, FlagValuesAreTheirOwnExamples) {
  for (const char* v : {"1234.56", "1,234.56", "1234,56", "1.234,56", "1 234,56", "1'234.56"}) {
    auto f = ParseNumberFormat(v);
    ASSERT_TRUE(f.ok()) << v;
    EXPECT_EQ(f->ToString(), v);
  }
  EXPECT_FALSE(ParseNumberFormat("1.234.56").ok());
  EXPECT_FALSE(ParseNumberFormat("us").ok());
}

}  // namespace
}  // namespace collections::connectors
