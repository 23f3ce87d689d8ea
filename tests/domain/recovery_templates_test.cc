// Shipped templates: golden renderings, tone check, lookup and validation.
// Rewrite the golden files with UPDATE_GOLDEN=1 in the environment.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "service/domain/policy.h"
#include "service/domain/templates.h"
#include "tests/domain/recovery_fixtures.h"

namespace collections::domain {
namespace {

using testing::Day;

// A full customer: every optional field set.
RenderInput Fixture() {
  RenderInput in;
  in.customer_name = "Northwind Traders GmbH";
  in.contact_name = "Ana Ortiz";
  in.account_number = "NW-0042";
  in.sender = {"Acme Supplies Ltd", "1 Harbour Road\nBristol BS1 4AA", "accounts@acme.example",
               "+44 117 496 0000", "Maria Keller\nCredit control"};
  in.account_owner = "Maria Keller";
  in.payment_link = "https://pay.acme.example/c1";
  in.as_of = Day(2026, 4, 3);
  in.invoices.resize(2);  // field by field: GCC 12 misreads the braced form
  in.invoices[0].number = "INV-1001";
  in.invoices[0].amount = {"EUR", 350000};
  in.invoices[0].due_date = Day(2026, 1, 31);
  in.invoices[0].days_overdue = 62;
  in.invoices[0].payment_link = "https://pay.acme.example/1";
  in.invoices[1].number = "INV-1002";
  in.invoices[1].amount = {"EUR", 150050};
  in.invoices[1].due_date = Day(2026, 2, 28);
  in.invoices[1].days_overdue = 34;
  in.invoices[1].payment_link = "https://pay.acme.example/2";
  in.totals = {{"EUR", 500050}};
  in.next_consequence = ConsequenceText(Stage::kAgencyReferral);
  in.next_consequence_date = Day(2026, 5, 1);
  in.offer_payment_plan = true;
  in.proposed_step = ConsequenceText(Stage::kAgencyReferral);
  return in;
}

// A sparse customer: no contact person, owner, profile, link or consequence.
RenderInput Sparse() {
  RenderInput in;
  in.customer_name = "Sam Lee";
  in.account_number = "c-7";
  in.sender.company_name = "Our company";
  in.as_of = Day(2026, 4, 3);
  in.invoices.resize(1);
  in.invoices[0].number = "INV-9";
  in.invoices[0].amount = {"USD", 4200};
  in.invoices[0].due_date = Day(2026, 4, 10);
  in.totals = {{"USD", 4200}};
  return in;
}

// Artefacts of an empty placeholder: a leftover tag, doubled or dangling
// spaces and punctuation, empty brackets, blank lines in a row.
std::vector<std::string> Artefacts(const std::string& text) {
  std::vector<std::string> found;
  for (const char* bad : {"{{", "}}", " .", " ,", " :", "()", "( ", " )", "\n\n\n", "Attn.\n",
                          "for .", "Dear ,", ": \n"}) {
    if (text.find(bad) != std::string::npos) found.push_back(absl::StrCat("\"", bad, "\""));
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const absl::string_view body = absl::StripLeadingAsciiWhitespace(line);  // table indent
    if (body.find("  ") != absl::string_view::npos) {
      found.push_back(absl::StrCat("double space in \"", line, "\""));
    }
    if (!line.empty() && absl::ascii_isspace(line.back())) {
      found.push_back(absl::StrCat("trailing space in \"", line, "\""));
    }
  }
  return found;
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
    const std::string text = absl::StrCat("Subject: ", rendered->subject, "\n\n", rendered->body);
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
  rec.stage = Stage::kFormalNotice;
  rec.invoice_ids = {"A"};
  rec.amounts = {{"EUR", 400000}};
  rec.consequence_stage = Stage::kAgencyReferral;
  rec.consequence_date = Day(2026, 5, 1);
  Letterhead sender;
  sender.company_name = "Acme Supplies Ltd";
  auto in = MakeRenderInput(ctx, rec, sender);
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_EQ(in->invoices.size(), 1u);
  EXPECT_EQ(in->invoices[0].amount, (Money{"EUR", 400000}));
  EXPECT_EQ(in->invoices[0].days_overdue, 30);
  EXPECT_EQ(in->contact_name, "Ana Ortiz");
  EXPECT_EQ(in->account_number, "c1");  // no reference: the customer id
  ctx.customer.reference = "NW-0042";
  EXPECT_EQ(MakeRenderInput(ctx, rec, sender)->account_number, "NW-0042");
  EXPECT_EQ(in->next_consequence, "refer the account to a collection agency");
  EXPECT_EQ(in->next_consequence_date, Day(2026, 5, 1));
  auto r = Render(*FindTemplate(DefaultTemplates(), "formal_notice.letter", "en"), *in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->body.find("Invoice INV-A: EUR 4,000.00, due 2026-01-31 (30 days overdue)"),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("If the account remains unpaid, we will refer the account to a "
                         "collection agency on or after 2026-05-01."),
            std::string::npos)
      << r->body;
}

// The recommendation decides; the letter words it (a plan
// offer never removes the consequence).
TEST(Templates, TheConsequenceAndThePlanOfferComeFromTheRecommendation) {
  AccountContext ctx = testing::NewBusiness();
  ctx.invoices.push_back(testing::Invoice("A", Day(2026, 1, 1), Day(2026, 1, 31), 500000));
  Recommendation rec;
  rec.as_of = Day(2026, 3, 2);
  rec.stage = Stage::kFinalDemand;
  rec.invoice_ids = {"A"};
  const Letterhead sender{"Acme", "", "", "", ""};
  const MessageTemplate demand = *FindTemplate(DefaultTemplates(), "final_demand.letter", "en");
  // No consequence decided: none is named, and nothing is left blank.
  auto in = MakeRenderInput(ctx, rec, sender);
  EXPECT_TRUE(in->next_consequence.empty());
  auto r = Render(demand, *in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->body.find("we will have to consider further steps"), std::string::npos);
  EXPECT_NE(r->body.find("willing to discuss a payment plan"), std::string::npos);
  // Cash-flow trouble: the plan is offered and the consequence still named.
  rec.consequence_stage = Stage::kLegalReview;
  rec.consequence_date = Day(2026, 4, 1);
  rec.offer_payment_plan = true;
  r = Render(demand, *MakeRenderInput(ctx, rec, sender));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->body.find("we will refer the account for legal review on or after 2026-04-01."),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("We can spread the total over several instalments"), std::string::npos)
      << r->body;
  // A stage that is no consequence for the debtor is not named.
  rec.consequence_stage = Stage::kWriteOffReview;
  EXPECT_TRUE(MakeRenderInput(ctx, rec, sender)->next_consequence.empty());
}

// No letter prints an empty placeholder, for a customer
// with every field and for one with none of the optional ones.
TEST(Templates, EveryShippedTemplateRendersCleanlyForSparseAndFullCustomers) {
  for (const auto& [label, input] : {std::pair{"full", Fixture()}, {"sparse", Sparse()}}) {
    for (const auto& t : DefaultTemplates()) {
      SCOPED_TRACE(absl::StrCat(label, " ", t.id));
      auto r = Render(t, input);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(absl::StrJoin(Artefacts(r->subject), "; "), "") << r->subject;
      EXPECT_EQ(absl::StrJoin(Artefacts(r->body), "; "), "") << r->body;
      // Every message names the account, each invoice with its due date and
      // the total owed.
      const std::string all = absl::StrCat(r->subject, "\n", r->body);
      EXPECT_NE(all.find(input.account_number), std::string::npos) << all;
      for (const auto& inv : input.invoices) {
        EXPECT_NE(all.find(inv.number), std::string::npos) << all;
        EXPECT_NE(all.find(absl::FormatCivilTime(inv.due_date)), std::string::npos) << all;
      }
      EXPECT_NE(all.find(FormatMoney(input.totals[0])), std::string::npos) << all;
      if (t.stage == Stage::kFormalNotice || t.stage == Stage::kFinalDemand) {
        EXPECT_NE(all.find(input.next_consequence.empty()
                               ? "further steps"
                               : "refer the account to a collection agency on or after 2026-05-01"),
                  std::string::npos)
            << all;
      }
    }
  }
}

TEST(Templates, AnUnguardedEmptyFieldIsRefusedNamingIt) {
  MessageTemplate t = DefaultTemplates().front();
  t.body = "Please call {{account_owner}} now.";
  absl::StatusOr<RenderedMessage> r = Render(t, Sparse());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(r.status()), "MISSING_TEMPLATE_FIELD");
  EXPECT_EQ(MetadataOf(r.status())["field"], "account_owner");
  // Guarded, or with the field set, it renders.
  t.body =
      "Please call {{#account_owner}}{{account_owner}}{{/account_owner}}"
      "{{^account_owner}}us{{/account_owner}} now.";
  EXPECT_EQ(Render(t, Sparse())->body, "Please call us now.");
  EXPECT_EQ(Render(t, Fixture())->body, "Please call Maria Keller now.");
  // Row fields: a link per invoice that one invoice lacks.
  t.body = "{{#invoices}}{{number}}: {{payment_link}}\n{{/invoices}}";
  r = Render(t, Sparse());
  EXPECT_EQ(MetadataOf(r.status())["field"], "payment_link");
  EXPECT_NE(r.status().message().find("INV-9"), absl::string_view::npos);
  EXPECT_TRUE(Render(t, Fixture()).ok());
}

TEST(Templates, UnknownPlaceholdersPartialsAndBadIdsAreRefused) {
  MessageTemplate t = DefaultTemplates().front();
  t.body = "Dear {{contact_nmae}},";
  absl::Status st = ValidateTemplate(t);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(st), "TEMPLATE_INVALID");
  EXPECT_NE(st.message().find("contact_nmae"), absl::string_view::npos);
  t.body = "{{> footer}}";
  EXPECT_EQ(ReasonOf(ValidateTemplate(t)), "TEMPLATE_INVALID");
  t.body = "{{number}}";  // a row field outside {{#invoices}}
  EXPECT_EQ(ReasonOf(ValidateTemplate(t)), "TEMPLATE_INVALID");
  t = DefaultTemplates().front();
  t.id = "Formal Notice";
  EXPECT_EQ(FieldsOf(ValidateTemplate(t))[0].field, "id");
}

TEST(Templates, ACompiledTemplateRendersManyAccounts) {
  auto c =
      CompiledTemplate::Compile(*FindTemplate(DefaultTemplates(), "formal_notice.email", "en"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->Render(Fixture())->body, Render((*c)->source(), Fixture())->body);
  EXPECT_NE((*c)->Render(Sparse())->body, (*c)->Render(Fixture())->body);
}

}  // namespace
}  // namespace collections::domain
