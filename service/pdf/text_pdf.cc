#include "service/pdf/text_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace collections::pdf {
namespace {

constexpr double kPointsPerMm = 72.0 / 25.4;
constexpr double kPageWidth = 210 * kPointsPerMm;  // A4
constexpr double kPageHeight = 297 * kPointsPerMm;
constexpr double kMargin = 25 * kPointsPerMm;

cairo_status_t Append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

double Width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

// `text` wrapped at word boundaries to `width`; blank lines kept. A word
// wider than the line (a long URL) stands on a line of its own. Leading
// spaces of a paragraph (indented columns) are kept.
std::vector<std::string> Wrap(cairo_t* cr, const std::string& text, double width) {
  std::vector<std::string> out;
  for (absl::string_view para : absl::StrSplit(text, '\n')) {
    const size_t indent = para.find_first_not_of(' ');
    std::string line(indent == absl::string_view::npos ? 0 : indent, ' ');
    const size_t lead = line.size();
    for (absl::string_view word : absl::StrSplit(para.substr(lead), ' ', absl::SkipEmpty())) {
      std::string candidate =
          line.size() == lead ? absl::StrCat(line, word) : absl::StrCat(line, " ", word);
      if (line.size() > lead && Width(cr, candidate) > width) {
        out.push_back(line);
        line = std::string(word);
      } else {
        line = std::move(candidate);
      }
    }
    out.push_back(line);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> RenderTextPdf(const TextDocument& doc) {
  const char* font = doc.monospace ? "DejaVu Sans Mono" : "DejaVu Sans";
  const double font_size = doc.monospace ? 8.5 : 10.5;
  const double line_height = font_size * 1.4;
  std::string pdf;
  cairo_surface_t* surface =
      cairo_pdf_surface_create_for_stream(Append, &pdf, kPageWidth, kPageHeight);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, doc.title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, doc.creator.c_str());
  cairo_t* cr = cairo_create(surface);
  cairo_select_font_face(cr, font, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, font_size);

  const double text_width = kPageWidth - 2 * kMargin;
  std::vector<std::string> lines;
  if (!doc.heading.empty()) {
    lines.push_back("\x01" + doc.heading);  // bold marker, see below
    lines.push_back("");
  }
  for (std::string& l : Wrap(cr, doc.body, text_width)) lines.push_back(std::move(l));

  int page = 1;
  double y = kMargin + font_size;
  auto footer = [&] {
    cairo_save(cr);
    cairo_set_font_size(cr, 8);
    cairo_move_to(cr, kMargin, kPageHeight - kMargin / 2);
    cairo_show_text(cr, absl::StrCat(doc.footer, "  ·  page ", page).c_str());
    cairo_restore(cr);
  };
  for (const std::string& line : lines) {
    if (y > kPageHeight - kMargin) {
      footer();
      cairo_show_page(cr);
      ++page;
      y = kMargin + font_size;
    }
    const bool bold = !line.empty() && line[0] == '\x01';
    cairo_select_font_face(cr, font, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_move_to(cr, kMargin, y);
    cairo_show_text(cr, bold ? line.c_str() + 1 : line.c_str());
    y += line_height;
  }
  footer();
  cairo_show_page(cr);
  const cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  const cairo_status_t surface_status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS || surface_status != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat(
        "cairo: ",
        cairo_status_to_string(status != CAIRO_STATUS_SUCCESS ? status : surface_status)));
  }
  return pdf;
}

}  // namespace collections::pdf
