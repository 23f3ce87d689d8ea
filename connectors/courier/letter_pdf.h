// Letters for print and post: the server-rendered letter text (the outbox
// action's subject and body, the same text as every other channel) laid out
// as an A4 PDF (service/pdf/text_pdf.h, the layout the case files share):
// the subject in bold above the body, and the action's name in each page's
// footer so that a printed page can be traced back to its action.
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
