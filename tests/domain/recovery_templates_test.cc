// Shipped templates: golden renderings, tone check, lookup and validation.
// Rewrite the golden files with UPDATE_GOLDEN=1 in the environment.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "service/domain/errors.h"
#include "service/domain/templates.h"
#include "tests/domain/recovery_fixtures.h"

namespace collections::domain {
namespace {

using testing::Day;

RenderInput Fixture() {
  RenderInput in;
  in.customer_name = "Northwind Traders GmbH";
  in.contact_name = "Ana Ortiz";
  in.company_name = "Acme Supplies Ltd";
  in.account_owner = "Maria Keller";
  in.payment_link = "https://pay.acme.example/c1";
  in.as_of = Day(2026, 4, 3);
  in.invoices = {{"INV-1001", {"EUR", 350000}, Day(2026, 1, 31), 62},
                 {"INV-1002", {"EUR", 150050}, Day(2026, 2, 28), 34}};
  in.totals = {{"EUR", 500050}};
  return in;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Templates, GoldenRenderingOfEveryShippedTemplate) {
  const bool update = std::getenv("UPDATE_GOLDEN") != nullptr;
  ASSERT_GE(DefaultTemplates().size(), 10u);
  for (const auto& t : DefaultTemplates()) {
    SCOPED_TRACE(t.id);
    auto rendered = Render(t, Fixture());
    ASSERT_TRUE(rendered.ok()) << rendered.status();
    const std::string text =
        absl::StrCat("Subject: ", rendered->subject, "\n\n", rendered->body);
    const std::string path = absl::StrCat(RECOVERY_GOLDEN_DIR, "/", t.id, ".", t.locale, ".txt");
    if (update) {
      std::ofstream(path, std::ios::binary) << text;
      continue;
    }
    const std::string want = ReadFile(path);
    ASSERT_FALSE(want.empty()) << "missing golden file " << path << " (run with UPDATE_GOLDEN=1)";
    EXPECT_EQ(text, want);
    // Placeholders are all filled.
    EXPECT_EQ(text.find("{{"), std::string::npos);
  }
}

TEST(Templates, ShippedTemplatesPassTheConsumerToneCheck) {
  for (const auto& t : DefaultTemplates()) {
    SCOPED_TRACE(t.id);
    EXPECT_TRUE(CheckTone(t.subject + "\n" + t.body, CustomerKind::kConsumer).ok());
    EXPECT_TRUE(ValidateTemplate(t).ok());
  }
}

TEST(Templates, ToneCheckRefusesThreatsForConsumersAndAbuseForEveryone) {
  absl::Status st = CheckTone("Pay now or we will have you arrested.", CustomerKind::kConsumer);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(st), "TEMPLATE_TONE_REFUSED");
  EXPECT_NE(st.message().find("arrest"), std::string::npos);
  EXPECT_FALSE(CheckTone("We will garnish your wages.", CustomerKind::kConsumer).ok());
  EXPECT_FALSE(CheckTone("We will file a lawsuit tomorrow.", CustomerKind::kConsumer).ok());
  // Business debts: plain statements of legal steps are allowed, abuse is not.
  EXPECT_TRUE(CheckTone("We will file a lawsuit tomorrow.", CustomerKind::kBusiness).ok());
  EXPECT_FALSE(CheckTone("Pay up, you deadbeat.", CustomerKind::kBusiness).ok());
  // Word boundaries: "hello" is not "hell", "policy" is not "police".
  EXPECT_TRUE(CheckTone("Hello, see our policy.", CustomerKind::kConsumer).ok());

  MessageTemplate bad = DefaultTemplates().front();
  bad.body += "\nOtherwise the police will be informed.";
  absl::Status v = ValidateTemplate(bad);
  EXPECT_EQ(v.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(v), "TEMPLATE_TONE_REFUSED");
  bad = DefaultTemplates().front();
  bad.body = "{{#invoices}}unclosed";
  EXPECT_EQ(ReasonOf(ValidateTemplate(bad)), "TEMPLATE_INVALID");
}

TEST(Templates, LookupFallsBackToEnglish) {
  auto t = FindTemplate(DefaultTemplates(), "formal_notice.letter", "de-AT");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->locale, "en");
  EXPECT_EQ(FindTemplate(DefaultTemplates(), "nope.email", "en").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(Templates, RenderInputFromARecommendation) {
  AccountContext ctx = testing::NewBusiness();
  ctx.invoices.push_back(testing::Invoice("A", Day(2026, 1, 1), Day(2026, 1, 31), 500000));
  ctx.invoices[0].state.settlements.push_back({SettlementKind::kPayment, Day(2026, 2, 10), 100000});
  Recommendation rec;
  rec.as_of = Day(2026, 3, 2);
  rec.invoice_ids = {"A"};
  const RenderInput in = MakeRenderInput(ctx, rec, "Acme Supplies Ltd");
  ASSERT_EQ(in.invoices.size(), 1u);
  EXPECT_EQ(in.invoices[0].amount, (Money{"EUR", 400000}));
  EXPECT_EQ(in.invoices[0].days_overdue, 30);
  EXPECT_EQ(in.contact_name, "Ana Ortiz");
  auto r = Render(*FindTemplate(DefaultTemplates(), "formal_notice.letter", "en"), in);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->body.find("Invoice INV-A: EUR 4,000.00, due 2026-01-31 (30 days overdue)"),
            std::string::npos)
      << r->body;
}

}  // namespace
}  // namespace collections::domain
