// LedgerOps's checks of what a caller sends (customers, invoices, payments,
// credit notes) before anything is read or written, and the external
// reference and currency helpers they share with ledger_apply.cc.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/app/ledger_ops.h"
#include "service/app/ledger_ops_internal.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"

namespace collections::app {
namespace {

using domain::InvalidInput;

}  // namespace

namespace ledger_internal {
namespace {

bool IsValidSourceSystem(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ValidateRef(const v1::ExternalRef& ref, absl::string_view field) {
  if (!IsValidSourceSystem(ref.source_system())) {
    return InvalidInput("INVALID_EXTERNAL_REF", absl::StrCat(field, ".source_system"),
                        "required: 1..64 characters of [a-z0-9._-]");
  }
  if (ref.id().empty() || ref.id().size() > 256) {
    return InvalidInput("INVALID_EXTERNAL_REF", absl::StrCat(field, ".id"),
                        "required: 1..256 characters");
  }
  for (unsigned char c : ref.id()) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidInput("INVALID_EXTERNAL_REF", absl::StrCat(field, ".id"),
                          "contains a control character");
    }
  }
  return absl::OkStatus();
}

void FillCurrency(v1::Money* m, const std::string& currency) {
  if (m->currency_code().empty()) m->set_currency_code(currency);
}

}  // namespace ledger_internal

namespace {

using ledger_internal::FillCurrency;
using ledger_internal::ValidateRef;

}  // namespace

absl::Status LedgerOps::ValidateCustomer(const v1::Customer& c, bool complete) {
  RETURN_IF_ERROR(ValidateRef(c.external_ref(), "customer.external_ref"));
  if ((complete && c.display_name().empty()) || c.display_name().size() > 200) {
    return InvalidInput("INVALID_DISPLAY_NAME", "customer.display_name",
                        "required: 1..200 characters");
  }
  if (complete && c.kind() == v1::CUSTOMER_KIND_UNSPECIFIED) {
    return InvalidInput("CUSTOMER_KIND_UNSPECIFIED", "customer.kind",
                        "must be CUSTOMER_KIND_BUSINESS or CUSTOMER_KIND_CONSUMER");
  }
  if (!c.time_zone().empty()) {
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(c.time_zone(), &tz)) {
      return InvalidInput("INVALID_TIME_ZONE", "customer.time_zone",
                          absl::StrCat("\"", c.time_zone(), "\" is not an IANA time zone"));
    }
  }
  if (c.payment_terms_days() < 0 || c.payment_terms_days() > 3650) {
    return InvalidInput("INVALID_PAYMENT_TERMS", "customer.payment_terms_days", "must be 0..3650");
  }
  if (c.has_credit_limit()) {
    RETURN_IF_ERROR(CheckMoney(c.credit_limit(), "", 0, "customer.credit_limit"));
  }
  if (c.relationship().has_lifetime_revenue()) {
    RETURN_IF_ERROR(CheckMoney(c.relationship().lifetime_revenue(), "", 0,
                               "customer.relationship.lifetime_revenue"));
  }
  for (int i = 0; i < c.relationship().tags_size(); ++i) {
    const auto& t = c.relationship().tags(i);
    if (t.empty() || t.size() > 64) {
      return InvalidInput("INVALID_TAG", absl::StrCat("customer.relationship.tags[", i, "]"),
                          "tags are 1..64 characters");
    }
  }
  for (int i = 0; i < c.contacts_size(); ++i) {
    for (int j = 0; j < c.contacts(i).channels_size(); ++j) {
      const auto& ch = c.contacts(i).channels(j);
      std::string f = absl::StrCat("customer.contacts[", i, "].channels[", j, "]");
      if (ch.type() == v1::ContactChannel::TYPE_UNSPECIFIED) {
        return InvalidInput("CHANNEL_TYPE_UNSPECIFIED", absl::StrCat(f, ".type"),
                            "must be EMAIL, PHONE, SMS or POSTAL");
      }
      if (ch.address().empty()) {
        return InvalidInput("INVALID_CHANNEL_ADDRESS", absl::StrCat(f, ".address"), "required");
      }
    }
  }
  if (!c.country_code().empty() &&
      (c.country_code().size() != 2 || !absl::ascii_isupper(c.country_code()[0]) ||
       !absl::ascii_isupper(c.country_code()[1]))) {
    return InvalidInput("INVALID_COUNTRY", "customer.country_code",
                        "two upper-case ISO 3166 letters");
  }
  return absl::OkStatus();
}

absl::Status LedgerOps::ValidateInvoice(const v1::Invoice& inv) {
  RETURN_IF_ERROR(ValidateRef(inv.external_ref(), "invoice.external_ref"));
  if (inv.number().empty() || inv.number().size() > 64) {
    return InvalidInput("INVALID_INVOICE_NUMBER", "invoice.number", "required: 1..64 characters");
  }
  if (!domain::IsKnownCurrency(inv.currency_code())) {
    return InvalidInput("UNKNOWN_CURRENCY", "invoice.currency_code",
                        absl::StrCat("\"", inv.currency_code(), "\" is not an ISO 4217 code"));
  }
  ASSIGN_OR_RETURN(absl::CivilDay issue, ToDay(inv.issue_date(), "invoice.issue_date"));
  ASSIGN_OR_RETURN(absl::CivilDay due, ToDay(inv.due_date(), "invoice.due_date"));
  if (due < issue) {
    return InvalidInput("INVOICE_DUE_BEFORE_ISSUE", "invoice.due_date",
                        absl::StrCat(domain::FormatIsoDay(due), " is before issue_date ",
                                     domain::FormatIsoDay(issue)));
  }
  v1::Money total = inv.total();
  FillCurrency(&total, inv.currency_code());
  if (total.currency_code() != inv.currency_code()) {
    return InvalidInput("CURRENCY_MISMATCH", "invoice.total.currency_code",
                        absl::StrCat(total.currency_code(), " differs from the invoice currency ",
                                     inv.currency_code()));
  }
  if (total.minor_units() < 0) {
    return InvalidInput("INVOICE_NEGATIVE_TOTAL", "invoice.total.minor_units",
                        "an invoice total is never negative; record a credit note instead");
  }
  RETURN_IF_ERROR(domain::CheckAmountCeiling(total.minor_units(), inv.currency_code(),
                                             "invoice.total.minor_units"));
  if (inv.has_tax()) {
    v1::Money tax = inv.tax();
    FillCurrency(&tax, inv.currency_code());
    RETURN_IF_ERROR(CheckMoney(tax, inv.currency_code(), 0, "invoice.tax"));
    if (tax.minor_units() > total.minor_units()) {
      return InvalidInput("INVOICE_TAX_ABOVE_TOTAL", "invoice.tax.minor_units",
                          "tax is part of the total and cannot exceed it");
    }
  }
  for (int i = 0; i < inv.lines_size(); ++i) {
    const auto& l = inv.lines(i);
    std::string f = absl::StrCat("invoice.lines[", i, "]");
    for (const auto& [m, name] : {std::pair{&l.unit_price(), "unit_price"},
                                  std::pair{&l.amount(), "amount"}, std::pair{&l.tax(), "tax"}}) {
      if (!m->currency_code().empty() && m->currency_code() != inv.currency_code()) {
        return InvalidInput("CURRENCY_MISMATCH", f,
                            absl::StrCat("line amounts must be in ", inv.currency_code()));
      }
      RETURN_IF_ERROR(domain::CheckAmountCeiling(m->minor_units(), inv.currency_code(),
                                                 absl::StrCat(f, ".", name, ".minor_units")));
    }
  }
  const auto& fee = inv.terms().late_fee();
  if (fee.percentage_bp() < 0 || fee.annual_rate_bp() < 0) {
    return InvalidInput("INVALID_LATE_FEE", "invoice.terms.late_fee", "rates are not negative");
  }
  return absl::OkStatus();
}

absl::Status LedgerOps::ValidatePayment(const v1::Payment& p) {
  RETURN_IF_ERROR(ValidateRef(p.external_ref(), "payment.external_ref"));
  RETURN_IF_ERROR(CheckMoney(p.amount(), "", 1, "payment.amount"));
  RETURN_IF_ERROR(ToDay(p.received_date(), "payment.received_date").status());
  int64_t sum = 0;
  for (int i = 0; i < p.allocations_size(); ++i) {
    const auto& a = p.allocations(i);
    std::string f = absl::StrCat("payment.allocations[", i, "]");
    v1::Money m = a.amount();
    FillCurrency(&m, p.amount().currency_code());
    RETURN_IF_ERROR(CheckMoney(m, p.amount().currency_code(), 1, absl::StrCat(f, ".amount")));
    if (a.invoice().empty() && a.invoice_number().empty()) {
      return InvalidInput("ALLOCATION_WITHOUT_INVOICE", absl::StrCat(f, ".invoice"),
                          "name the invoice (resource name or invoice_number)");
    }
    if (domain::AddOverflows(sum, m.minor_units(), &sum) || sum > p.amount().minor_units()) {
      return InvalidInput("PAYMENT_OVER_ALLOCATED", f,
                          absl::StrCat("allocations exceed the payment amount ",
                                       domain::FormatMoney(ToMoney(p.amount()))));
    }
  }
  return absl::OkStatus();
}

absl::Status LedgerOps::ValidateCreditNote(const v1::CreditNote& cn) {
  RETURN_IF_ERROR(ValidateRef(cn.external_ref(), "credit_note.external_ref"));
  RETURN_IF_ERROR(CheckMoney(cn.amount(), "", 1, "credit_note.amount"));
  RETURN_IF_ERROR(ToDay(cn.issue_date(), "credit_note.issue_date").status());
  const bool targeted = !cn.invoice().empty() || !cn.invoice_number().empty();
  if (targeted && cn.allocations_size() > 0) {
    return InvalidInput("CREDIT_NOTE_TARGET_AMBIGUOUS", "credit_note.allocations",
                        "give either the corrected invoice or allocations, not both");
  }
  int64_t sum = 0;
  for (int i = 0; i < cn.allocations_size(); ++i) {
    std::string f = absl::StrCat("credit_note.allocations[", i, "]");
    v1::Money m = cn.allocations(i).amount();
    FillCurrency(&m, cn.amount().currency_code());
    RETURN_IF_ERROR(CheckMoney(m, cn.amount().currency_code(), 1, absl::StrCat(f, ".amount")));
    if (domain::AddOverflows(sum, m.minor_units(), &sum) || sum > cn.amount().minor_units()) {
      return InvalidInput("CREDIT_NOTE_OVER_ALLOCATED", f, "allocations exceed the credit amount");
    }
  }
  return absl::OkStatus();
}

}  // namespace collections::app
