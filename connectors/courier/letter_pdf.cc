#include "connectors/courier/letter_pdf.h"

#include "service/pdf/text_pdf.h"

namespace collections::courier {

absl::StatusOr<std::string> RenderLetterPdf(const v1::OutboxAction& action) {
  return pdf::RenderTextPdf({.title = action.subject(),
                             .creator = "collections-courier",
                             .heading = action.subject(),
                             .body = action.body(),
                             .footer = action.name()});
}

}  // namespace collections::courier
