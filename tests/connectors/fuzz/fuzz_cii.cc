// libFuzzer target: ParseCii on arbitrary bytes (XML, and PDFs through qpdf).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "connectors/cii/parse_cii.h"
#include "tests/connectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace collections::connectors;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  ParseOptions options;
  options.file_name = "fuzz.xml";
  (void)ParseCii(in, options, fuzz::CheckRecord, fuzz::CheckIssue);
  return 0;
}
