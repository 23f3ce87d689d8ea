// libFuzzer target: arbitrary bytes into the OFX parser. Invariants: no
// crash, no leak; every payment has a positive amount in a known currency
// and an external id, and every record and issue is located and explained.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "connectors/ofx/parse_ofx.h"
#include "tests/connectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace cc = collections::connectors;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  cc::ParseOptions options;
  options.file_name = "fuzz.ofx";
  (void)cc::ParseOfx(in, options, cc::fuzz::CheckBankPayment, cc::fuzz::CheckIssue);
  return 0;
}
