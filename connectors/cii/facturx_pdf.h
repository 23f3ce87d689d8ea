// Factur-X / ZUGFeRD 2 / XRechnung-in-PDF: a PDF/A-3 that carries the CII
// invoice as an embedded file. This file is the only code that touches PDF
// structure, and it does so through qpdf (Debian's libqpdf), never by
// scanning bytes.
//
// Reading: the invoice is the embedded file named "factur-x.xml" (Factur-X
// 1.0, ZUGFeRD 2.x), "zugferd-invoice.xml" / "ZUGFeRD-invoice.xml"
// (ZUGFeRD 1.0 and 2.0 betas) or "xrechnung.xml" (Factur-X 1.0 for
// XRechnung); any other single embedded .xml file is taken as a fallback,
// since some producers name it after the invoice.
#ifndef COLLECTIONS_CONNECTORS_CII_FACTURX_PDF_H_
#define COLLECTIONS_CONNECTORS_CII_FACTURX_PDF_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::connectors {

// True when `head` (the first bytes of an input) starts a PDF: "%PDF-"
// within its first 1024 bytes, as ISO 32000-1 §7.5.2 allows.
bool LooksLikePdf(absl::string_view head);

struct EmbeddedInvoice {
  std::string file_name;  // as named in the PDF's EmbeddedFiles name tree
  std::string xml;
};

// The CII invoice embedded in the PDF `bytes`. InvalidArgument with reason
// PDF_UNREADABLE (qpdf cannot read the file, with its message) or
// FACTURX_NO_INVOICE (no embedded XML invoice; the names found are listed).
absl::StatusOr<EmbeddedInvoice> ExtractEmbeddedInvoice(const std::string& bytes,
                                                       absl::string_view source_name);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_CII_FACTURX_PDF_H_
