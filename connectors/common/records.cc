#include "connectors/common/records.h"

#include "absl/strings/str_cat.h"

namespace collections::connectors {

std::string ParseIssue::ToString() const {
  return absl::StrCat(where.ToString(), ": ", field.empty() ? "" : field, field.empty() ? "" : ": ",
                      description, " (", reason, ")");
}

}  // namespace collections::connectors
