// libFuzzer target: ParseX12 on arbitrary bytes, warnings checked like issues.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "connectors/x12/parse_x12.h"
#include "tests/connectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace collections::connectors;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  ParseOptions options;
  options.file_name = "fuzz.x12";
  options.default_currency = "USD";
  X12Options x12;
  x12.on_warning = fuzz::CheckIssue;
  (void)ParseX12(in, options, fuzz::CheckRecord, fuzz::CheckIssue, x12);
  return 0;
}
