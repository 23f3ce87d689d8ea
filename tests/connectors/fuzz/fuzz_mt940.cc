// libFuzzer target: arbitrary bytes into the MT940 parser. Invariants: no
// crash, no leak; every payment has a positive amount in a known currency
// and an external id, and every record and issue is located and explained.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "connectors/mt940/parse_mt940.h"
#include "tests/connectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace cc = collections::connectors;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  cc::ParseOptions options;
  options.file_name = "fuzz.sta";
  (void)cc::ParseMt940(in, options, cc::fuzz::CheckBankPayment, cc::fuzz::CheckIssue);
  return 0;
}
