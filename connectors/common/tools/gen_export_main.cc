// collections-gen-export: writes a deterministic QuickBooks IIF export of a
// given size, for benchmarks and load tests.
//
//   collections-gen-export --bytes=1100000000 --customers=10000 > big.iif
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "connectors/common/tools/gen_export.h"

int main(int argc, char** argv) {
  collections::connectors::GenExportOptions o;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    const size_t eq = a.find('=');
    const absl::string_view name = a.substr(0, eq);
    const absl::string_view value = eq == absl::string_view::npos ? "" : a.substr(eq + 1);
    bool ok = eq != absl::string_view::npos;
    if (name == "--bytes") {
      ok = ok && absl::SimpleAtoi(value, &o.target_bytes);
    } else if (name == "--transactions") {
      ok = ok && absl::SimpleAtoi(value, &o.transactions);
    } else if (name == "--customers") {
      ok = ok && absl::SimpleAtoi(value, &o.customers) && o.customers > 0;
    } else if (name == "--bad-every") {
      ok = ok && absl::SimpleAtoi(value, &o.bad_every);
    } else if (name == "--seed") {
      ok = ok && absl::SimpleAtoi(value, &o.seed);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: collections-gen-export [--bytes=N | --transactions=N] "
                   "[--customers=N] [--bad-every=N] [--seed=N] > out.iif\n");
      return 1;
    }
  }
  std::ios::sync_with_stdio(false);
  const auto stats = collections::connectors::GenerateIif(o, std::cout);
  std::fprintf(stderr,
               "wrote %lld bytes: %lld customers, %lld invoices, %lld payments, %lld credit "
               "memos, %lld bad\n",
               static_cast<long long>(stats.bytes), static_cast<long long>(stats.customers),
               static_cast<long long>(stats.invoices), static_cast<long long>(stats.payments),
               static_cast<long long>(stats.credit_memos), static_cast<long long>(stats.bad));
  return 0;
}
