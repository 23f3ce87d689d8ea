// libFuzzer target: arbitrary bytes into the camt parser. Invariants: no
// crash, no leak, and every emitted payment has a positive amount in a
// known currency and an external id.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "connectors/camt/parse_camt.h"
#include "service/base/money.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  collections::connectors::ParseOptions options;
  options.file_name = "fuzz.xml";
  (void)collections::connectors::ParseCamt(
      in, options,
      [](collections::connectors::ParsedRecord r) {
        const auto& p = r.record.payment();
        if (p.amount().minor_units() <= 0 ||
            !collections::domain::IsKnownCurrency(p.amount().currency_code()) ||
            p.external_ref().id().empty()) {
          std::abort();
        }
      },
      [](collections::connectors::ParseIssue) {});
  return 0;
}
