// libFuzzer target: ParseEdifact on arbitrary bytes, warnings checked like issues.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "connectors/edifact/parse_edifact.h"
#include "tests/connectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace collections::connectors;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  ParseOptions options;
  options.file_name = "fuzz.edi";
  EdifactOptions edifact;
  edifact.on_warning = fuzz::CheckIssue;
  (void)ParseEdifact(in, options, fuzz::CheckRecord, fuzz::CheckIssue, edifact);
  return 0;
}
