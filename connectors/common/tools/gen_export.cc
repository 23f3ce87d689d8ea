#include "connectors/common/tools/gen_export.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace collections::connectors {
namespace {

// splitmix64: a tiny, well-distributed, platform-independent generator, so
// the output does not depend on the standard library's distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int64_t Uniform(int64_t lo, int64_t hi) {  // [lo, hi]
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

std::string Mdy(absl::CivilDay d) {
  return absl::StrFormat("%02d/%02d/%04d", d.month(), d.day(), d.year());
}

std::string Amount(int64_t cents) {
  return absl::StrFormat("%s%d.%02d", cents < 0 ? "-" : "", (cents < 0 ? -cents : cents) / 100,
                         (cents < 0 ? -cents : cents) % 100);
}

std::string CustomerName(int64_t i) { return absl::StrFormat("Customer %06d", i); }

}  // namespace

GenExportStats GenerateIif(const GenExportOptions& options, std::ostream& out) {
  GenExportStats stats;
  Rng rng(options.seed);
  std::string buf;
  auto emit = [&](const std::string& line) {
    buf.append(line);
    buf.append("\r\n");
    if (buf.size() >= (1 << 20)) {
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      stats.bytes += static_cast<int64_t>(buf.size());
      buf.clear();
    }
  };
  emit("!CUST\tNAME\tCOMPANYNAME\tEMAIL\tPHONE1\tTERMS\tCTYPE");
  for (int64_t i = 1; i <= options.customers; ++i) {
    emit(absl::StrCat("CUST\t", CustomerName(i), "\t", CustomerName(i), " Ltd\tap", i,
                      "@example.com\t+1555", absl::StrFormat("%07d", i), "\tNet 30\tBusiness"));
    ++stats.customers;
  }
  emit("!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tDUEDATE\tPAYMETH");
  emit("!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tQNTY\tPRICE\tINVITEM");
  emit("!ENDTRNS");
  const absl::CivilDay start(2025, 1, 1);
  int64_t invoice_no = 0;
  // The last invoice of each customer, for credit memos.
  std::vector<int64_t> last_invoice(static_cast<size_t>(options.customers) + 1, 0);
  for (int64_t t = 1;; ++t) {
    const int64_t written = stats.bytes + static_cast<int64_t>(buf.size());
    if (options.target_bytes > 0 ? written >= options.target_bytes : t > options.transactions) {
      break;
    }
    const int64_t customer = 1 + (t - 1) % options.customers;
    const std::string name = CustomerName(customer);
    const absl::CivilDay date = start + (t / options.customers) % 600;
    const bool bad = options.bad_every > 0 && t % options.bad_every == 0;
    // Each customer in turn: an invoice, then a payment; every fifth turn
    // a credit memo instead of the payment.
    const int64_t cycle = (t - 1) / options.customers;
    if (cycle % 10 == 5 && last_invoice[customer] > 0) {
      // A credit memo for this customer's previous invoice.
      const int64_t cents = rng.Uniform(100, 2000);
      const std::string doc = absl::StrFormat("CM-%08d", t);
      const std::string memo =
          absl::StrFormat("Credit for invoice #INV-%08d", last_invoice[customer]);
      emit(absl::StrCat("TRNS\t\tCREDIT MEMO\t", Mdy(date), "\tAccounts Receivable\t", name, "\t",
                        bad ? "12x.00" : Amount(-cents), "\t", doc, "\t", memo, "\t\t"));
      emit(absl::StrCat("SPL\t\tCREDIT MEMO\t", Mdy(date), "\tSales\t\t", Amount(cents), "\t", doc,
                        "\tGoodwill credit\t\t\t"));
      emit("ENDTRNS");
      ++stats.credit_memos;
    } else if (cycle % 2 == 1 && last_invoice[customer] > 0) {
      const int64_t cents = rng.Uniform(500, 20000);
      const std::string doc = absl::StrFormat("PMT-%08d", t);
      emit(absl::StrCat("TRNS\t\tPAYMENT\t", Mdy(date), "\tUndeposited Funds\t", name, "\t",
                        bad ? "12x.00" : Amount(cents), "\t", doc, "\t\t\tCheck"));
      emit(absl::StrCat("SPL\t\tPAYMENT\t", Mdy(date), "\tAccounts Receivable\t", name, "\t",
                        Amount(-cents), "\t", doc, "\t\t\t\t"));
      emit("ENDTRNS");
      ++stats.payments;
    } else {
      ++invoice_no;
      last_invoice[customer] = invoice_no;
      const int64_t qty = rng.Uniform(1, 20);
      const int64_t price = rng.Uniform(1000, 25000);
      const int64_t fee = rng.Uniform(0, 5000);
      const int64_t total = qty * price + fee;
      const std::string doc = absl::StrFormat("INV-%08d", invoice_no);
      emit(absl::StrCat("TRNS\t\tINVOICE\t", Mdy(date), "\tAccounts Receivable\t", name, "\t",
                        bad ? "12x.00" : Amount(total), "\t", doc, "\t\t", Mdy(date + 30), "\t"));
      emit(absl::StrCat("SPL\t\tINVOICE\t", Mdy(date), "\tServices\t\t", Amount(-qty * price), "\t",
                        doc, "\tConsulting hours\t", -qty, "\t", Amount(price), "\tConsulting"));
      emit(absl::StrCat("SPL\t\tINVOICE\t", Mdy(date), "\tServices\t\t", Amount(-fee), "\t", doc,
                        "\tMaterials\t\t\tMaterials"));
      emit("ENDTRNS");
      ++stats.invoices;
    }
    if (bad) ++stats.bad;
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  stats.bytes += static_cast<int64_t>(buf.size());
  out.flush();
  return stats;
}

}  // namespace collections::connectors
