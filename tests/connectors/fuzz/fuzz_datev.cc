// libFuzzer target: arbitrary bytes into the DATEV EXTF parser (the seeds
// reach bookings, payments, credit notes and master data). Invariants: no
// crash, no leak; every record and issue is located and explained; amounts
// are positive.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "connectors/datev/parse_datev.h"
#include "tests/connectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace cc = collections::connectors;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  cc::ParseOptions options;
  options.file_name = "fuzz.csv";
  cc::DatevOptions datev;
  (void)cc::ParseDatev(
      in, options, datev,
      [](cc::ParsedRecord r) {
        cc::fuzz::CheckRecord(r);
        const auto& rec = r.record;
        if ((rec.has_invoice() && rec.invoice().total().minor_units() <= 0) ||
            (rec.has_payment() && rec.payment().amount().minor_units() <= 0) ||
            (rec.has_credit_note() && rec.credit_note().amount().minor_units() <= 0)) {
          std::abort();
        }
      },
      [](cc::ParseIssue i) { cc::fuzz::CheckIssue(i); });
  return 0;
}
