#include "service/domain/fees.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"
#include "service/domain/settlement.h"

namespace collections::domain {
namespace {

constexpr int64_t kBp = 10000;

AmountSum ChargedOf(const FeeInput& in, FeeKind kind) {
  AmountSum sum;
  for (const auto& c : in.charged) {
    if (c.kind == kind) sum += c.amount;
  }
  return sum;
}

bool StageCharged(const FeeInput& in, int stage) {
  for (const auto& c : in.charged) {
    if (c.kind == FeeKind::kFixedStageFee && c.stage == stage) return true;
  }
  return false;
}

const JurisdictionCaps& CapsFor(const FeeRules& rules, const std::string& country) {
  static const JurisdictionCaps kNone;
  auto it = rules.caps.find(country);
  if (it != rules.caps.end()) return it->second;
  it = rules.caps.find("");
  return it != rules.caps.end() ? it->second : kNone;
}

std::string Money2(const std::string& ccy, int64_t minor) { return FormatMoney(Money{ccy, minor}); }

// Adds an interest line for what accrued through as_of and is not yet charged.
absl::Status AddInterest(const FeeInput& in, FeeKind kind, absl::CivilDay start,
                         absl::CivilDay as_of, int day_basis,
                         const std::function<absl::StatusOr<int>(absl::CivilDay)>& rate_on,
                         const std::string& pack, const std::string& what, FeeAssessment& out) {
  int last_rate = 0;
  ASSIGN_OR_RETURN(int64_t accrued,
                   SimpleInterest(in.invoice, start, as_of, rate_on, day_basis, &last_rate));
  AmountSum uncharged(accrued);
  uncharged -= ChargedOf(in, kind);
  if (!uncharged.Positive()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const int64_t due, uncharged.Get(absl::StrCat("the ", what, " to charge")));
  FeeLine line;
  line.kind = kind;
  line.amount = due;
  line.accrued_from = start;
  line.accrued_to = as_of;
  line.annual_rate_bp = last_rate;
  line.pack = pack;
  line.basis = absl::StrCat(what, " at ", FormatBasisPoints(last_rate), " a year, simple, /",
                            day_basis, " days, from ", FormatIsoDay(start), " to ",
                            FormatIsoDay(as_of), ": accrued ", Money2(in.invoice.currency, accrued),
                            ", already charged ", Money2(in.invoice.currency, accrued - due));
  out.lines.push_back(std::move(line));
  return absl::OkStatus();
}

}  // namespace

LateFeeTerms EffectiveTerms(const LateFeeTerms& invoice, const LateFeeTerms& contract) {
  if (invoice.kind != LateFeeKind::kUnspecified) return invoice;
  if (contract.kind != LateFeeKind::kUnspecified) return contract;
  LateFeeTerms none;
  none.kind = LateFeeKind::kNone;
  return none;
}

const char* FeeKindName(FeeKind kind) {
  switch (kind) {
    case FeeKind::kFixedStageFee:
      return "FIXED_STAGE_FEE";
    case FeeKind::kPercentageFee:
      return "PERCENTAGE_FEE";
    case FeeKind::kContractInterest:
      return "CONTRACT_INTEREST";
    case FeeKind::kStatutoryInterest:
      return "STATUTORY_INTEREST";
    case FeeKind::kStatutoryCompensation:
      return "STATUTORY_COMPENSATION";
  }
  return "KIND_UNSPECIFIED";
}

bool IsInterest(FeeKind kind) {
  return kind == FeeKind::kContractInterest || kind == FeeKind::kStatutoryInterest;
}

FeeRules DefaultFeeRules() {
  FeeRules rules;
  SetRateTable(rules, BankOfEnglandBankRate());
  SetRateTable(rules, EcbMainRefinancingRate());
  for (const StatutoryPack& pack : {UkLatePayment1998(), EuDirective2011_7()}) {
    rules.packs[pack.id] = pack;
  }
  return rules;
}

void SetRateTable(FeeRules& rules, RateTable table) {
  const std::string name = table.name();
  rules.rate_tables[name] = std::move(table);
}

absl::StatusOr<int64_t> SimpleInterest(
    const InvoiceState& invoice, absl::CivilDay start, absl::CivilDay end,
    const std::function<absl::StatusOr<int>(absl::CivilDay)>& rate_on, int day_basis,
    int* last_rate) {
  if (day_basis <= 0) return InvalidInput("INVALID_FEE_TERMS", "day_basis", "must be > 0");
  __int128 numerator = 0;
  for (absl::CivilDay d = start; d <= end; ++d) {
    const int64_t principal = invoice.AmountDueAsOf(d);
    if (principal <= 0) continue;
    ASSIGN_OR_RETURN(int rate, rate_on(d));
    if (rate <= 0) continue;
    numerator += static_cast<__int128>(principal) * rate;
    if (last_rate) *last_rate = rate;
  }
  const __int128 denom = static_cast<__int128>(kBp) * day_basis;
  const __int128 interest = (numerator + denom / 2) / denom;
  // A high rate over many years can exceed the principal many times over.
  if (interest > INT64_MAX) {
    return AmountSumOverflow(absl::StrCat("the interest on invoice ", invoice.number));
  }
  return static_cast<int64_t>(interest);
}

absl::StatusOr<FeeAssessment> AssessLateFees(const FeeInput& in, const FeeRules& rules,
                                             absl::CivilDay as_of) {
  FeeAssessment out;
  out.invoice_id = in.invoice.id;
  out.currency = in.invoice.currency;
  const InvoiceState& inv = in.invoice;
  const LateFeeTerms terms = EffectiveTerms(in.invoice_terms, in.contract_terms);
  if (terms.kind == LateFeeKind::kNone) {
    out.skipped = "no late-fee or interest clause in the invoice terms or the contract";
    return out;
  }
  if (inv.voided) {
    out.skipped = "the invoice is void";
    return out;
  }
  if (as_of <= inv.due_date) {
    out.skipped = "not overdue";
    return out;
  }
  if (!in.paused_reason.empty()) {
    out.skipped = in.paused_reason;
    return out;
  }
  const absl::CivilDay start = inv.due_date + 1;
  // The overdue principal on the first late day: the base of percentage
  // fees, statutory compensation bands and the total cap.
  const int64_t overdue = inv.AmountDueAsOf(start);
  const JurisdictionCaps& caps = CapsFor(rules, in.country);
  auto cap_rate = [&](int rate) {
    if (caps.max_annual_rate_bp > 0 && rate > caps.max_annual_rate_bp) {
      out.capped = true;
      return caps.max_annual_rate_bp;
    }
    return rate;
  };

  switch (terms.kind) {
    case LateFeeKind::kFixedFee: {
      if (terms.fixed_fee.minor <= 0 || terms.fixed_fee.currency != inv.currency) {
        return InvalidInput("INVALID_FEE_TERMS", "terms.late_fee.fixed_fee",
                            absl::StrCat("must be > 0 in the invoice currency ", inv.currency));
      }
      for (int stage = 1; stage <= in.stages_reached; ++stage) {
        if (StageCharged(in, stage)) continue;
        FeeLine line;
        line.kind = FeeKind::kFixedStageFee;
        line.amount = terms.fixed_fee.minor;
        line.stage = stage;
        line.basis = absl::StrCat("contract fixed fee of ", FormatMoney(terms.fixed_fee),
                                  " for escalation stage ", stage);
        out.lines.push_back(std::move(line));
      }
      if (in.stages_reached == 0) out.skipped = "no escalation stage reached yet";
      break;
    }
    case LateFeeKind::kPercentage: {
      if (terms.percentage_bp <= 0 || terms.percentage_bp > kBp) {
        return InvalidInput("INVALID_FEE_TERMS", "terms.late_fee.percentage_bp",
                            "must be 1..10000");
      }
      if (ChargedOf(in, FeeKind::kPercentageFee).Positive() || overdue <= 0) break;
      FeeLine line;
      line.kind = FeeKind::kPercentageFee;
      // ApplyBasisPoints rounds half away from zero.
      line.amount = ApplyBasisPoints(overdue, terms.percentage_bp);
      line.basis = absl::StrCat("contract late fee of ", FormatBasisPoints(terms.percentage_bp),
                                " of the overdue ", Money2(inv.currency, overdue));
      if (line.amount > 0) out.lines.push_back(std::move(line));
      break;
    }
    case LateFeeKind::kDailyInterest: {
      if (terms.annual_rate_bp <= 0 || terms.annual_rate_bp > 100000) {
        return InvalidInput("INVALID_FEE_TERMS", "terms.late_fee.annual_rate_bp",
                            "must be 1..100000");
      }
      const int rate = cap_rate(terms.annual_rate_bp);
      RETURN_IF_ERROR(AddInterest(
          in, FeeKind::kContractInterest, start, as_of, 365,
          [rate](absl::CivilDay) -> absl::StatusOr<int> { return rate; }, "", "contract interest",
          out));
      break;
    }
    case LateFeeKind::kStatutory: {
      auto pack_it = rules.packs.find(terms.statutory_pack);
      if (pack_it == rules.packs.end()) {
        return InvalidInput("INVALID_FEE_TERMS", "terms.late_fee.statutory_pack",
                            absl::StrCat("unknown rule pack \"", terms.statutory_pack, "\""));
      }
      const StatutoryPack& pack = pack_it->second;
      if (pack.business_only && in.customer_kind == CustomerKind::kConsumer) {
        out.skipped = absl::StrCat(pack.citation, " applies to commercial debts only");
        return out;
      }
      auto table_it = rules.rate_tables.find(pack.rate_table);
      if (table_it == rules.rate_tables.end()) {
        return WithReason(absl::NotFoundError(absl::StrCat("no rate table \"", pack.rate_table,
                                                           "\" for ", pack.id)),
                          "RATE_UNAVAILABLE");
      }
      const RateTable& table = table_it->second;
      if (ChargedOf(in, FeeKind::kStatutoryCompensation).Clamped() == 0) {
        const int64_t comp = StatutoryCompensation(pack, inv.currency, overdue);
        if (comp > 0) {
          FeeLine line;
          line.kind = FeeKind::kStatutoryCompensation;
          line.amount = comp;
          line.pack = pack.id;
          line.basis =
              absl::StrCat(pack.citation, ": fixed compensation of ", Money2(inv.currency, comp),
                           " for a debt of ", Money2(inv.currency, overdue));
          out.lines.push_back(std::move(line));
        }
      }
      RETURN_IF_ERROR(AddInterest(
          in, FeeKind::kStatutoryInterest, start, as_of, pack.day_basis,
          [&](absl::CivilDay d) -> absl::StatusOr<int> {
            ASSIGN_OR_RETURN(int rate, StatutoryRateOn(pack, table, start, d));
            return cap_rate(rate);
          },
          pack.id,
          absl::StrCat(pack.citation, " statutory interest (reference rate + ",
                       FormatBasisPoints(pack.margin_bp), ")"),
          out));
      break;
    }
    case LateFeeKind::kNone:
    case LateFeeKind::kUnspecified:
      break;
  }

  if (caps.max_total_bp > 0) {
    AmountSum room(ApplyBasisPoints(overdue, caps.max_total_bp));
    for (const auto& c : in.charged) room -= c.amount;
    for (auto& line : out.lines) {
      const int64_t take = std::clamp<int64_t>(room.Clamped(), 0, line.amount);
      if (take < line.amount) {
        out.capped = true;
        absl::StrAppend(&line.basis, "; capped at ", FormatBasisPoints(caps.max_total_bp),
                        " of the overdue amount");
        line.amount = take;
      }
      room -= take;
    }
    out.lines.erase(std::remove_if(out.lines.begin(), out.lines.end(),
                                   [](const FeeLine& l) { return l.amount <= 0; }),
                    out.lines.end());
  }
  if (out.lines.empty() && out.skipped.empty()) out.skipped = "nothing new to charge";
  return out;
}

}  // namespace collections::domain
