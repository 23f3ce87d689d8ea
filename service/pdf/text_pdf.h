// Text set on A4 pages with cairo, for every PDF the service hands out: the
// courier's letters for print and post, and the case file an agency or a
// lawyer receives from the dashboard. The words are rendered elsewhere
// (templates, the case file's text); this file only lays them out: DejaVu
// (Debian's fonts-dejavu-core, embedded by cairo), 25 mm margins, words
// wrapped at the right margin, as many pages as the text needs, and a footer
// with a label and the page number, so that a printed page can be traced
// back to what produced it.
#ifndef COLLECTIONS_PDF_TEXT_PDF_H_
#define COLLECTIONS_PDF_TEXT_PDF_H_

#include <string>

#include "absl/status/statusor.h"

namespace collections::pdf {

struct TextDocument {
  std::string title;    // PDF metadata
  std::string creator;  // PDF metadata, e.g. "collections-courier"
  std::string heading;  // set in bold above the body; empty = none
  std::string body;     // paragraphs separated by '\n'
  std::string footer;   // printed before the page number on every page
  // DejaVu Sans Mono at a smaller size, for text laid out in columns (the
  // case file); DejaVu Sans otherwise.
  bool monospace = false;
};

// The PDF bytes. Internal when cairo fails. Thread-safe.
absl::StatusOr<std::string> RenderTextPdf(const TextDocument& doc);

}  // namespace collections::pdf

#endif  // COLLECTIONS_PDF_TEXT_PDF_H_
