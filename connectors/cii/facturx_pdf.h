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
//
// Writing (Factur-X 1.0 / ZUGFeRD 2.x, PDF/A-3B): cairo draws the visible
// page with its fonts embedded (a PDF/A requirement), qpdf then attaches
// the CII XML as "factur-x.xml" (an EmbeddedFile of subtype text/xml,
// listed in the catalog's /AF with /AFRelationship /Alternative, as
// Factur-X requires from the BASIC profile up), adds the XMP metadata that
// identifies the file as PDF/A-3B and as Factur-X (pdfaid:part 3,
// conformance B; fx:DocumentType INVOICE, DocumentFileName, Version 1.0,
// ConformanceLevel, with the PDF/A extension schema that declares the fx
// properties), an sRGB OutputIntent (the ICC profile from lcms2) and a
// file identifier. The result is not checked by a PDF/A validator here
// (Debian has none); the tests check these structures and that the file
// imports back.
#ifndef COLLECTIONS_CONNECTORS_CII_FACTURX_PDF_H_
#define COLLECTIONS_CONNECTORS_CII_FACTURX_PDF_H_

#include <string>
#include <vector>

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

struct FacturXPdfOptions {
  std::string title;                           // dc:title, e.g. "Invoice INV-1"
  std::string conformance_level = "EN 16931";  // fx:ConformanceLevel
  std::string document_date;                   // xmp:CreateDate, "2026-01-05T00:00:00Z"
};

// A Factur-X PDF/A-3 of the CII document `xml` whose page shows `lines`
// (one text line each). Internal when cairo or qpdf fail.
absl::StatusOr<std::string> WriteFacturXPdf(const std::string& xml,
                                            const std::vector<std::string>& lines,
                                            const FacturXPdfOptions& options);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_CII_FACTURX_PDF_H_
