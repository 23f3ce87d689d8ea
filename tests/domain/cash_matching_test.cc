#include "service/domain/cash_matching.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace collections::domain {
namespace {

// ------------------------------------------------------------- references

struct RefCase {
  const char* reference;
  bool valid;
};

TEST(RfReference, ValidatesIso11649CheckDigits) {
  const RefCase cases[] = {
      {"RF18539007547034", true},             // ISO 11649 example
      {"RF18 5390 0754 7034", true},          // paper form with spaces
      {"rf18539007547034", true},             // case-insensitive
      {"RF19539007547034", false},            // wrong check digits
      {"RF18539007547035", false},            // body typo
      {"RF185390075470", false},              // truncated body
      {"RF18", false},                        // no body
      {"RF1A539007547034", false},            // check digits not digits
      {"RF18-5390-0754-7034", false},         // dashes are not part of the form
      {"RF181234567890123456789012", false},  // body of 22 > 21 characters
      {"XX18539007547034", false},
      {"", false},
  };
  for (const RefCase& c : cases) {
    EXPECT_EQ(IsValidRfReference(c.reference), c.valid) << c.reference;
  }
}

TEST(RfReference, MakeRoundTrips) {
  EXPECT_EQ(*MakeRfReference("539007547034"), "RF18539007547034");
  for (const char* body : {"1", "INV1001", "inv 2024 0042", "123456789012345678901"}) {
    absl::StatusOr<std::string> rf = MakeRfReference(body);
    ASSERT_TRUE(rf.ok()) << body;
    EXPECT_TRUE(IsValidRfReference(*rf)) << *rf;
    EXPECT_EQ(rf->size(), NormalizeReference(body).size() + 4);
  }
  EXPECT_FALSE(MakeRfReference("").ok());
  EXPECT_FALSE(MakeRfReference("1234567890123456789012").ok());
  EXPECT_FALSE(MakeRfReference("INV-1001").ok());
}

TEST(SwissReference, Mod10RecursiveCheckDigit) {
  // SIX QR-bill implementation guidelines example reference.
  EXPECT_EQ(SwissMod10CheckDigit("21000000000313947143000901"), 7);
  EXPECT_EQ(SwissMod10CheckDigit("0"), 0);
  EXPECT_EQ(SwissMod10CheckDigit("12a"), -1);
  const RefCase cases[] = {
      {"210000000003139471430009017", true},
      {"21 00000 00003 13947 14300 09017", true},  // printed in blocks of five
      {"210000000003139471430009018", false},      // wrong check digit
      {"21000000000313947143000901", false},       // 26 digits
      {"2100000000031394714300090170", false},     // 28 digits
      {"21000000000313947143000901X", false},
      {"", false},
  };
  for (const RefCase& c : cases) {
    EXPECT_EQ(IsValidSwissReference(c.reference), c.valid) << c.reference;
  }
  // Any 26 digits plus their check digit form a valid reference; so does the
  // 16-digit ISR variant.
  std::string body = "00000000000000000000001234";
  EXPECT_TRUE(IsValidSwissReference(body + std::to_string(SwissMod10CheckDigit(body))));
  std::string body16 = "123456789012345";
  EXPECT_TRUE(IsValidSwissReference(body16 + std::to_string(SwissMod10CheckDigit(body16))));
}

TEST(BelgianReference, Mod97CheckDigits) {
  const RefCase cases[] = {
      {"+++090/9337/55493+++", true},  {"***090/9337/55493***", true}, {"090933755493", true},
      {"+++090/9337/55494+++", false}, {"+++123/4567/89002+++", true},  // 1234567890 mod 97 = 2
      {"+++000/0000/00097+++", true},                                   // 0 mod 97 = 0 -> 97
      {"+++000/0000/00000+++", false}, {"+++090/9337/5549+++", false},  // 11 digits
      {"+++090/9337/5549X+++", false},
  };
  for (const RefCase& c : cases) {
    EXPECT_EQ(IsValidBelgianStructuredReference(c.reference), c.valid) << c.reference;
  }
}

// --------------------------------------------------------------- matching

Money Eur(int64_t minor) { return Money{"EUR", minor}; }

OpenItem Inv(std::string id, std::string number, std::string customer, int64_t due_minor,
             int due_day = 1, std::string reference = "") {
  OpenItem it;
  it.id = id;
  it.number = number;
  it.customer = customer;
  it.customer_name = customer == "c-acme" ? "ACME Trading GmbH" : "Globex Ltd";
  it.amount_due = Eur(due_minor);
  it.payment_reference = reference;
  it.due_date = absl::CivilDay(2026, 3, due_day);
  return it;
}

OpenItem Credit(std::string id, std::string number, std::string customer, int64_t minor) {
  OpenItem it = Inv(id, number, customer, minor);
  it.kind = OpenItem::Kind::kCreditNote;
  return it;
}

const std::string kRfA = *MakeRfReference("10010001");

std::vector<OpenItem> Book() {
  return {
      Inv("inv-a1", "INV-1001", "c-acme", 10000, 1, kRfA),
      Inv("inv-a2", "INV-1002", "c-acme", 5000, 5),
      Inv("inv-a3", "INV-1003", "c-acme", 25000, 9),
      Inv("inv-g1", "G-77001", "c-globex", 5000, 2, "210000000003139471430009017"),
      Inv("inv-g2", "000420", "c-globex", 4200, 3),
      Credit("cn-a1", "CN-9001", "c-acme", 3000),
  };
}

// "id=amount,id=amount" of the best candidate, for compact expectations.
std::string Allocations(const MatchCandidate& c) {
  std::vector<std::string> parts;
  for (const ItemAllocation& a : c.allocations) {
    parts.push_back(a.item_id + "=" + std::to_string(a.amount.minor));
  }
  return absl::StrJoin(parts, ",");
}

struct MatchCase {
  const char* name;
  IncomingPayment payment;
  MatchResult::Decision decision;
  MatchBasis basis;         // of the best candidate (ignored when unmatched)
  const char* allocations;  // of the best candidate
  int64_t unapplied;        // of the best candidate
  int min_bp;               // best candidate's confidence bounds
  int max_bp;
};

IncomingPayment Pay(int64_t minor, std::string payer = "", std::string text = "",
                    std::vector<std::string> refs = {}) {
  IncomingPayment p;
  p.amount = Eur(minor);
  p.payer_name = payer;
  p.unstructured_text = text;
  p.structured_references = refs;
  return p;
}

using D = MatchResult::Decision;
using B = MatchBasis;

TEST(MatchPayment, TableOfRemittanceShapes) {
  IncomingPayment referred = Pay(12000, "ACME Trading");
  referred.referred_documents = {{"INV-1001", false, Eur(10000)},
                                 {"INV-1002", false, Eur(5000)},
                                 {"CN-9001", true, Eur(3000)}};
  IncomingPayment referred_no_amounts = Pay(12000);
  referred_no_amounts.referred_documents = {{"INV 1001", false, std::nullopt},
                                            {"INV-1002", false, std::nullopt},
                                            {"CN-9001", true, std::nullopt}};
  const std::string isr_body = "00000000000000000000000420";
  const std::string isr = isr_body + std::to_string(SwissMod10CheckDigit(isr_body));
  IncomingPayment known_other = Pay(10000, "", "", {kRfA});
  known_other.customer = "c-globex";

  const MatchCase cases[] = {
      {"rf reference exact amount", Pay(10000, "", "", {kRfA}), D::kAutoApply,
       B::kCreditorReference, "inv-a1=10000", 0, 9900, 9900},
      {"rf reference printed with spaces, lower case",
       Pay(10000, "", "", {"rf" + kRfA.substr(2, 4) + " " + kRfA.substr(6)}), D::kAutoApply,
       B::kCreditorReference, "inv-a1=10000", 0, 9900, 9900},
      {"rf reference partial payment", Pay(4000, "", "", {kRfA}), D::kAutoApply,
       B::kCreditorReference, "inv-a1=4000", 0, 9600, 9600},
      {"rf reference overpayment keeps the rest unapplied", Pay(12000, "", "", {kRfA}),
       D::kAutoApply, B::kCreditorReference, "inv-a1=10000", 2000, 9400, 9400},
      {"rf reference whose body is the invoice number",
       Pay(5000, "", "", {*MakeRfReference("INV1002")}), D::kAutoApply, B::kCreditorReference,
       "inv-a2=5000", 0, 9500, 9500},
      {"qr reference equal to the payment reference",
       Pay(5000, "", "", {"210000000003139471430009017"}), D::kAutoApply, B::kSwissReference,
       "inv-g1=5000", 0, 9900, 9900},
      {"isr reference carrying a numeric invoice number", Pay(4200, "", "", {isr}), D::kAutoApply,
       B::kSwissReference, "inv-g2=4200", 0, 9500, 9500},
      {"isr reference without its check digit is only a reference",
       Pay(4200, "", "", {isr.substr(0, 26)}), D::kReview, B::kAmountOnly, "inv-g2=4200", 0, 5000,
       5000},
      {"referred documents net of a credit note", referred, D::kAutoApply, B::kReferredDocument,
       "cn-a1=3000,inv-a1=10000,inv-a2=5000", 0, 9800, 9900},
      {"referred documents without amounts", referred_no_amounts, D::kAutoApply,
       B::kReferredDocument, "cn-a1=3000,inv-a1=10000,inv-a2=5000", 0, 9600, 9600},
      {"invoice number in text", Pay(5000, "", "Payment for INV-1002, thanks"), D::kAutoApply,
       B::kInvoiceNumberInText, "inv-a2=5000", 0, 9500, 9500},
      {"two invoice numbers in text", Pay(15000, "", "INV-1001 + INV-1002"), D::kAutoApply,
       B::kInvoiceNumberInText, "inv-a1=10000,inv-a2=5000", 0, 9500, 9500},
      {"invoice number with other separators", Pay(5000, "", "inv 1002"), D::kAutoApply,
       B::kInvoiceNumberInText, "inv-a2=5000", 0, 9000, 9000},
      {"numeric core only", Pay(5000, "", "Rechnung 1002 vom Maerz"), D::kReview,
       B::kInvoiceNumberInText, "inv-a2=5000", 0, 7500, 7500},
      {"invoice number in text, partial payment", Pay(2000, "", "INV-1003"), D::kReview,
       B::kInvoiceNumberInText, "inv-a3=2000", 0, 8500, 8500},
      {"number inside a longer token is not a hit", Pay(99, "", "XINV-1002Y"), D::kUnmatched,
       B::kAmountOnly, "", 0, 0, 0},
      {"amount and payer name", Pay(25000, "ACME TRADING"), D::kReview, B::kAmountAndPayer,
       "inv-a3=25000", 0, 8200, 8200},
      {"amount only, two invoices alike: oldest first", Pay(5000), D::kReview, B::kAmountOnly,
       "inv-g1=5000", 0, 3000, 3000},
      {"payer pays everything it owes", Pay(37000, "Acme Trading GmbH"), D::kReview,
       B::kPayerOpenBalance, "cn-a1=3000,inv-a1=10000,inv-a2=5000,inv-a3=25000", 0, 7700, 7700},
      {"bad rf check digits fall through to heuristics", Pay(10000, "", "", {"RF00INV1001"}),
       D::kReview, B::kAmountOnly, "inv-a1=10000", 0, 5000, 5000},
      {"rf names one invoice, text another: a human decides", Pay(10000, "", "INV-1003", {kRfA}),
       D::kReview, B::kCreditorReference, "inv-a1=10000", 0, 9900, 9900},
      {"known customer differs from the reference's owner", known_other, D::kReview,
       B::kCreditorReference, "inv-a1=10000", 0, 6900, 6900},
      {"nothing fits", Pay(123, "Someone Else", "gift"), D::kUnmatched, B::kAmountOnly, "", 0, 0,
       0},
  };
  std::vector<OpenItem> book = Book();
  for (const MatchCase& c : cases) {
    SCOPED_TRACE(c.name);
    MatchResult r = MatchPayment(c.payment, book);
    EXPECT_EQ(r.decision, c.decision);
    if (c.decision == D::kUnmatched) {
      EXPECT_TRUE(r.candidates.empty());
      continue;
    }
    ASSERT_FALSE(r.candidates.empty());
    const MatchCandidate& best = r.candidates[0];
    EXPECT_EQ(MatchBasisName(best.basis), MatchBasisName(c.basis));
    EXPECT_EQ(Allocations(best), c.allocations);
    EXPECT_EQ(best.unapplied.minor, c.unapplied);
    EXPECT_GE(best.confidence_bp, c.min_bp);
    EXPECT_LE(best.confidence_bp, c.max_bp);
    EXPECT_FALSE(best.evidence.empty());
    for (size_t i = 1; i < r.candidates.size(); ++i) {
      EXPECT_LE(r.candidates[i].confidence_bp, r.candidates[i - 1].confidence_bp);
    }
  }
}

TEST(MatchPayment, BadReferenceBecomesANote) {
  MatchResult r =
      MatchPayment(Pay(10000, "", "", {"RF00INV1001", "210000000003139471430009018"}), Book());
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_NE(r.notes[0].find("invalid check digits"), std::string::npos);
  EXPECT_NE(r.notes[1].find("invalid check digit"), std::string::npos);
}

TEST(MatchPayment, EvidenceNamesTheReferenceAndTheAmount) {
  MatchResult r = MatchPayment(Pay(10000, "ACME Trading GmbH", "", {kRfA}), Book());
  ASSERT_FALSE(r.candidates.empty());
  std::string ev = absl::StrJoin(r.candidates[0].evidence, " | ");
  EXPECT_NE(ev.find("valid ISO 11649 check digits"), std::string::npos) << ev;
  EXPECT_NE(ev.find("is the payment reference of INV-1001"), std::string::npos) << ev;
  EXPECT_NE(ev.find("equals the amount due"), std::string::npos) << ev;
  EXPECT_NE(ev.find("resembles customer"), std::string::npos) << ev;
  EXPECT_EQ(r.candidates[0].customer, "c-acme");
}

TEST(MatchPayment, AmbiguousAmountsSuggestEveryInvoiceOldestFirst) {
  MatchResult r = MatchPayment(Pay(5000), Book());
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_EQ(r.candidates[0].allocations[0].item_id, "inv-g1");  // due 2026-03-02
  EXPECT_EQ(r.candidates[1].allocations[0].item_id, "inv-a2");  // due 2026-03-05
  EXPECT_EQ(r.candidates[0].confidence_bp, r.candidates[1].confidence_bp);
}

TEST(MatchPayment, OtherCurrenciesAreNeverAllocated) {
  std::vector<OpenItem> book = Book();
  for (OpenItem& it : book) it.amount_due.currency = "USD";
  MatchResult r = MatchPayment(Pay(10000, "", "INV-1001", {kRfA}), book);
  EXPECT_EQ(r.decision, D::kUnmatched);

  // Paid in USD by the payer, credited in EUR: the instructed amount matches.
  IncomingPayment fx = Pay(9210, "", "", {kRfA});
  fx.instructed_amount = Money{"USD", 10000};
  r = MatchPayment(fx, book);
  ASSERT_EQ(r.decision, D::kAutoApply);
  EXPECT_EQ(r.candidates[0].allocations[0].amount, (Money{"USD", 10000}));
  EXPECT_NE(absl::StrJoin(r.candidates[0].evidence, "|").find("instructed amount"),
            std::string::npos);
}

TEST(MatchPayment, ShortNumbersAreNotFoundInText) {
  std::vector<OpenItem> book = {Inv("i1", "17", "c-acme", 1700), Inv("i2", "420", "c-acme", 999)};
  MatchResult r = MatchPayment(Pay(1, "", "17 apples and 420 pears"), book);
  EXPECT_EQ(r.decision, D::kUnmatched);
}

TEST(MatchPayment, ReferredDocumentNotOpenLowersConfidence) {
  IncomingPayment p = Pay(10000);
  p.referred_documents = {{"INV-1001", false, Eur(10000)}, {"INV-4040", false, Eur(500)}};
  MatchResult r = MatchPayment(p, Book());
  ASSERT_FALSE(r.candidates.empty());
  EXPECT_EQ(r.decision, D::kReview);
  EXPECT_EQ(Allocations(r.candidates[0]), "inv-a1=10000");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("INV-4040"), std::string::npos);
}

TEST(MatchPayment, CreditNoteWithoutInvoiceIsNotConsumed) {
  std::vector<OpenItem> book = {Credit("cn", "CN-1", "c-acme", 500)};
  IncomingPayment p = Pay(1000);
  p.referred_documents = {{"CN-1", true, Eur(500)}};
  MatchResult r = MatchPayment(p, book);
  EXPECT_TRUE(r.candidates.empty());
}

TEST(MatchPayment, NonPositiveAmountIsNotMatched) {
  MatchResult r = MatchPayment(Pay(0, "", "INV-1001"), Book());
  EXPECT_EQ(r.decision, D::kUnmatched);
  EXPECT_EQ(r.notes.size(), 1u);
}

TEST(MatchPayment, PolicyThresholdsDecide) {
  MatchPolicy strict;
  strict.auto_apply_min_bp = 9950;
  EXPECT_EQ(MatchPayment(Pay(10000, "", "", {kRfA}), Book(), strict).decision, D::kReview);
  MatchPolicy lax;
  lax.auto_apply_min_bp = 8000;
  EXPECT_EQ(MatchPayment(Pay(25000, "ACME TRADING"), Book(), lax).decision, D::kAutoApply);
  MatchPolicy one;
  one.max_candidates = 1;
  EXPECT_EQ(MatchPayment(Pay(5000), Book(), one).candidates.size(), 1u);
}

TEST(MatchPayment, BelgianStructuredCommunication) {
  std::vector<OpenItem> book = Book();
  book[1].payment_reference = "+++090/9337/55493+++";
  MatchResult r = MatchPayment(Pay(5000, "", "", {"***090/9337/55493***"}), book);
  ASSERT_EQ(r.decision, MatchResult::Decision::kAutoApply);
  EXPECT_EQ(Allocations(r.candidates[0]), "inv-a2=5000");
  MatchResult bad = MatchPayment(Pay(5000, "", "", {"+++090/9337/55494+++"}), book);
  EXPECT_NE(bad.decision, MatchResult::Decision::kAutoApply);
  ASSERT_EQ(bad.notes.size(), 1u);
}

// D10: a reference with bad check digits that is exactly the payment
// reference stored on an invoice (issued that way) still matches it; one
// that equals nothing stays a note.
TEST(MatchPayment, BadCheckDigitsMatchAnExactlyEqualStoredReference) {
  std::vector<OpenItem> book = Book();
  book[1].payment_reference = "RF00 INV 1002";         // invalid ISO 11649 check digits
  book[2].payment_reference = "+++090/9337/55494+++";  // invalid mod 97
  MatchResult rf = MatchPayment(Pay(5000, "", "", {"rf00inv1002"}), book);
  ASSERT_FALSE(rf.candidates.empty());
  EXPECT_EQ(Allocations(rf.candidates[0]), "inv-a2=5000");
  EXPECT_EQ(rf.decision, MatchResult::Decision::kAutoApply);
  ASSERT_EQ(rf.notes.size(), 1u);
  EXPECT_NE(rf.notes[0].find("equals a stored payment reference"), std::string::npos);
  MatchResult be = MatchPayment(Pay(25000, "", "", {"+++090/9337/55494+++"}), book);
  ASSERT_FALSE(be.candidates.empty());
  EXPECT_EQ(Allocations(be.candidates[0]), "inv-a3=25000");
  MatchResult swiss = MatchPayment(Pay(5000, "", "", {"210000000003139471430009018"}), book);
  EXPECT_TRUE(swiss.candidates.empty() || swiss.candidates[0].basis != MatchBasis::kSwissReference);
  ASSERT_EQ(swiss.notes.size(), 1u);
  EXPECT_NE(swiss.notes[0].find("ignored"), std::string::npos);
}

// A camt SCOR reference issued by BBA arrives as the bare 12 digits: it is a
// Belgian structured communication (mod 97), never a Swiss QR/ISR reference.
TEST(MatchPayment, BareTwelveDigitsAreABelgianStructuredCommunication) {
  std::vector<OpenItem> book = Book();
  book[1].payment_reference = "+++090/9337/55493+++";
  MatchResult r = MatchPayment(Pay(5000, "", "", {"090933755493"}), book);
  ASSERT_EQ(r.decision, MatchResult::Decision::kAutoApply);
  EXPECT_EQ(Allocations(r.candidates[0]), "inv-a2=5000");
  EXPECT_TRUE(r.notes.empty());
  std::string ev = absl::StrJoin(r.candidates[0].evidence, " | ");
  EXPECT_NE(ev.find("structured communication 090933755493 (valid mod-97"), std::string::npos)
      << ev;
}

}  // namespace
}  // namespace collections::domain
