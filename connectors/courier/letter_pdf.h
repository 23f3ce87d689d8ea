// Letters for print and post: the server-rendered letter text (the outbox
// action's subject and body, the same text as every other channel) laid out
// as an A4 PDF with cairo. The server renders the words; this file only
// sets them on paper: DejaVu Sans (Debian's fonts-dejavu-core, embedded by
// cairo), 25 mm margins, words wrapped at the right margin, as many pages as
// the text needs, and a footer with the page number and the action's name so
// that a printed page can be traced back to its action.
#ifndef COLLECTIONS_CONNECTORS_COURIER_LETTER_PDF_H_
#define COLLECTIONS_CONNECTORS_COURIER_LETTER_PDF_H_

#include <string>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/recovery.pb.h"

namespace collections::courier {

namespace v1 = ::collections_sidecar::v1;

// The PDF bytes. Internal when cairo fails.
absl::StatusOr<std::string> RenderLetterPdf(const v1::OutboxAction& action);

}  // namespace collections::courier

#endif  // COLLECTIONS_CONNECTORS_COURIER_LETTER_PDF_H_
