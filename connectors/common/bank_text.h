// Helpers for the free text of bank statement formats that have no
// structured remittance field (MT940 :86:, OFX MEMO): references a payer
// typed into the text, so that the matcher (service/domain/cash_matching.h)
// can use them as structured references. Shared by the MT940 and OFX
// connectors; pure, thread-safe.
#ifndef COLLECTIONS_CONNECTORS_COMMON_BANK_TEXT_H_
#define COLLECTIONS_CONNECTORS_COMMON_BANK_TEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace collections::connectors {

// The payment references found in `text`, in order, without repeats:
//   - ISO 11649 creditor references ("RF18539007547034", or the paper form in
//     groups of four, "RF18 5390 0754 7034"), only when the check digits are
//     valid, returned without spaces;
//   - Belgian structured communications ("+++090/9337/55493+++", or with '*'),
//     only when the mod-97 check holds, returned as printed (the matcher
//     compares their 12 digits).
// Anything else in the text is left to the matcher's invoice-number search.
std::vector<std::string> ReferencesInText(absl::string_view text);

// Collapses runs of spaces and tabs into one space and trims every line;
// empty lines are dropped. Lines stay separated by '\n'.
std::string TidyText(absl::string_view text);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_BANK_TEXT_H_
