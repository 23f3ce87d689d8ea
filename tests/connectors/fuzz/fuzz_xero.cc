// libFuzzer target: ParseXeroInvoices on arbitrary bytes, in both date orders.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "connectors/xero/parse_xero.h"
#include "tests/connectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace collections::connectors;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (DateOrder order : {DateOrder::kDayMonthYear, DateOrder::kMonthDayYear}) {
    std::istringstream in(bytes);
    ParseOptions options;
    options.file_name = "fuzz.csv";
    options.default_currency = "EUR";
    options.date_order = order;
    XeroParseOptions xero;
    xero.amounts_include_tax = order == DateOrder::kMonthDayYear;
    (void)ParseXeroInvoices(in, options, fuzz::CheckRecord, fuzz::CheckIssue, xero);
  }
  return 0;
}
