#include "tests/bench/bench_data.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace collections::bench {

namespace v1 = ::collections_sidecar::v1;

uint64_t Rng::Next() {
  uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

int64_t Rng::Between(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
}

double Rng::Normal() {
  // Box-Muller; 1 - Uniform() is in (0, 1], so the log is finite.
  const double u = 1.0 - Uniform();
  const double v = Uniform();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
}

v1::Date ToDate(absl::CivilDay d) {
  v1::Date out;
  out.set_year(static_cast<int32_t>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

namespace {

v1::Money MakeMoney(const std::string& currency, int64_t minor) {
  v1::Money m;
  m.set_currency_code(currency);
  m.set_minor_units(minor);
  return m;
}

}  // namespace

Dataset::Dataset(const DataOptions& options) : options_(options) {
  Rng rng(options.seed);
  static const int kTerms[] = {15, 30, 30, 30, 45, 60};
  customers_.resize(options.customers);
  for (int64_t i = 0; i < options.customers; ++i) {
    CustomerSpec& c = customers_[i];
    c.id = absl::StrFormat("C%07d", i + 1);
    const double cu = rng.Uniform();
    c.currency = cu < 0.88 ? "USD" : cu < 0.96 ? "EUR" : "GBP";
    c.terms_days = kTerms[rng.Between(0, 5)];
    const double bu = rng.Uniform();
    c.behaviour = bu < 0.45   ? Behaviour::kPrompt
                  : bu < 0.75 ? Behaviour::kLate
                  : bu < 0.95 ? Behaviour::kChronic
                              : Behaviour::kNonPayer;
    c.consumer = rng.Uniform() < 0.2;
  }
  invoices_.resize(options.invoices);
  for (int64_t i = 0; i < options.invoices; ++i) {
    InvoiceSpec& inv = invoices_[i];
    // Skewed towards low indices: a few customers hold hundreds of invoices,
    // the median one a handful.
    inv.customer = std::min<int64_t>(options.customers - 1,
                                     static_cast<int64_t>(static_cast<double>(options.customers) *
                                                          std::pow(rng.Uniform(), 1.5)));
    const CustomerSpec& c = customers_[inv.customer];
    inv.id = absl::StrFormat("INV%08d", i + 1);
    inv.issue = options.as_of - rng.Between(0, 364);
    inv.due = inv.issue + c.terms_days;
    // Log-normal around 850.00 with a long tail, whole cents.
    const double amount = std::exp(std::log(850.0) + 1.1 * rng.Normal());
    inv.total = std::clamp<int64_t>(std::llround(amount * 100.0), 500, 500000000);
    int64_t delay = 0;
    double p = 0, share = 1.0;
    switch (c.behaviour) {
      case Behaviour::kPrompt:
        p = 0.10;
        delay = rng.Between(-10, 3);
        break;
      case Behaviour::kLate:
        p = 0.10;
        delay = rng.Between(5, 60);
        share = 0.3 + 0.4 * rng.Uniform();
        break;
      case Behaviour::kChronic:
        p = 0.08;
        delay = rng.Between(30, 240);
        share = 0.1 + 0.4 * rng.Uniform();
        break;
      case Behaviour::kNonPayer:
        break;
    }
    if (rng.Uniform() < p) {
      inv.paid = std::max<int64_t>(1, std::llround(static_cast<double>(inv.total) * share));
      inv.paid_on = std::min(options.as_of, std::max(inv.issue, inv.due + delay));
      ++payments_;
    }
    if (inv.paid < inv.total) ++open_invoices_;
  }
}

std::string Dataset::CustomerName(int64_t i) const {
  return absl::StrCat("tenants/", kTenant, "/customers/", customers_[i].id);
}

v1::SyncRecord Dataset::CustomerRecord(int64_t i) const {
  const CustomerSpec& c = customers_[i];
  v1::SyncRecord rec;
  v1::Customer* out = rec.mutable_customer();
  out->set_name(CustomerName(i));
  out->mutable_external_ref()->set_source_system(kSourceSystem);
  out->mutable_external_ref()->set_id(c.id);
  out->set_display_name(absl::StrCat("Customer ", i + 1, c.consumer ? "" : " Ltd"));
  out->set_kind(c.consumer ? v1::CUSTOMER_KIND_CONSUMER : v1::CUSTOMER_KIND_BUSINESS);
  out->set_payment_terms_days(c.terms_days);
  v1::Contact* contact = out->add_contacts();
  contact->set_name(absl::StrCat("Payables ", i + 1));
  contact->set_role("accounts payable");
  contact->set_primary(true);
  v1::ContactChannel* ch = contact->add_channels();
  ch->set_type(v1::ContactChannel::EMAIL);
  ch->set_address(absl::StrCat("ap", i + 1, "@customer.example"));
  ch->set_consent(true);
  rec.set_source_location(absl::StrCat("bench:customer:", i + 1));
  return rec;
}

v1::SyncRecord Dataset::InvoiceRecord(int64_t i) const {
  const InvoiceSpec& inv = invoices_[i];
  const CustomerSpec& c = customers_[inv.customer];
  v1::SyncRecord rec;
  v1::Invoice* out = rec.mutable_invoice();
  out->mutable_external_ref()->set_source_system(kSourceSystem);
  out->mutable_external_ref()->set_id(inv.id);
  out->set_number(inv.id);
  *out->mutable_issue_date() = ToDate(inv.issue);
  *out->mutable_due_date() = ToDate(inv.due);
  out->set_currency_code(c.currency);
  *out->mutable_total() = MakeMoney(c.currency, inv.total);
  rec.set_customer_ref(c.id);
  rec.set_source_location(absl::StrCat("bench:invoice:", i + 1));
  return rec;
}

v1::SyncRecord Dataset::PaymentRecord(int64_t i) const {
  const InvoiceSpec& inv = invoices_[i];
  const CustomerSpec& c = customers_[inv.customer];
  v1::SyncRecord rec;
  v1::Payment* out = rec.mutable_payment();
  out->mutable_external_ref()->set_source_system(kSourceSystem);
  out->mutable_external_ref()->set_id(absl::StrCat("P", inv.id.substr(3)));
  *out->mutable_amount() = MakeMoney(c.currency, inv.paid);
  *out->mutable_received_date() = ToDate(inv.paid_on);
  out->set_method(v1::Payment::BANK_TRANSFER);
  v1::Allocation* a = out->add_allocations();
  a->set_invoice_number(inv.id);
  *a->mutable_amount() = MakeMoney(c.currency, inv.paid);
  rec.set_customer_ref(c.id);
  rec.set_source_location(absl::StrCat("bench:payment:", i + 1));
  return rec;
}

}  // namespace collections::bench
