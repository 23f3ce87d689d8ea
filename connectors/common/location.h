// Where a record or a problem sits in an input file, so that every rejected
// record can be named precisely: "export.iif:42:7" for text formats,
// "invoice.xml:/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount (line 213)"
// for XML. Parsers attach one to every record and every issue they report.
#ifndef COLLECTIONS_CONNECTORS_COMMON_LOCATION_H_
#define COLLECTIONS_CONNECTORS_COMMON_LOCATION_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace collections::connectors {

struct Location {
  // The input's name as the user gave it (a path or "<stdin>").
  std::string file;
  // 1-based physical line; 0 when unknown.
  int64_t line = 0;
  // 1-based column in characters of the decoded line; 0 when unknown.
  int64_t column = 0;
  // For XML: an XPath-like path of the element, e.g.
  // "/Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount"; empty otherwise.
  std::string xpath;

  bool operator==(const Location&) const = default;

  // "file:line[:column]" or "file:xpath (line N)"; the form used in
  // SyncRecord.source_location and in reports.
  std::string ToString() const {
    std::string out = file.empty() ? std::string("<input>") : file;
    if (!xpath.empty()) {
      absl::StrAppend(&out, ":", xpath);
      if (line > 0) absl::StrAppend(&out, " (line ", line, ")");
      return out;
    }
    if (line > 0) absl::StrAppend(&out, ":", line);
    if (line > 0 && column > 0) absl::StrAppend(&out, ":", column);
    return out;
  }
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_LOCATION_H_
