// libFuzzer target: ParseIif on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "connectors/iif/parse_iif.h"
#include "tests/connectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace collections::connectors;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  ParseOptions options;
  options.file_name = "fuzz.iif";
  options.default_currency = "USD";
  IifTermsTable terms;
  (void)ParseIif(in, options, fuzz::CheckRecord, fuzz::CheckIssue, &terms);
  return 0;
}
