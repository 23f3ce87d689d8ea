// libFuzzer target: arbitrary bytes into the GnuCash XML reader (plain or,
// when the bytes start 1f 8b, gzip). Invariants: no crash, no leak, and
// invoices never carry a due date before their issue date.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "connectors/gnucash/parse_gnucash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  collections::connectors::ParseOptions options;
  options.file_name = "fuzz.gnucash";
  (void)collections::connectors::ParseGnuCashXml(
      in, options,
      [](collections::connectors::ParsedRecord r) {
        if (r.record.has_invoice()) {
          const auto& i = r.record.invoice();
          auto key = [](const collections_sidecar::v1::Date& d) {
            return d.year() * 10000 + d.month() * 100 + d.day();
          };
          if (key(i.due_date()) < key(i.issue_date())) std::abort();
        }
      },
      [](collections::connectors::ParseIssue) {});
  return 0;
}
