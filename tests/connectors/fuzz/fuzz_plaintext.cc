// libFuzzer target: arbitrary bytes into the hledger/ledger/beancount
// journal parser. Invariants: no crash, no leak, amounts of invoices and
// payments positive.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "connectors/plaintext/parse_plaintext.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  collections::connectors::ParseOptions options;
  options.file_name = "fuzz.journal";
  options.default_currency = "USD";
  collections::connectors::PlaintextParseOptions plaintext;
  plaintext.default_year = 2025;
  (void)collections::connectors::ParsePlaintextJournal(
      in, options,
      [](collections::connectors::ParsedRecord r) {
        if (r.record.has_invoice() && r.record.invoice().total().minor_units() <= 0) std::abort();
        if (r.record.has_payment() && r.record.payment().amount().minor_units() <= 0) std::abort();
      },
      [](collections::connectors::ParseIssue) {}, plaintext);
  return 0;
}
