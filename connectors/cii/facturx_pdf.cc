#include "connectors/cii/facturx_pdf.h"

#include <exception>
#include <map>
#include <memory>
#include <vector>

#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFEmbeddedFileDocumentHelper.hh>
#include <qpdf/QPDFFileSpecObjectHelper.hh>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/domain/errors.h"

namespace collections::connectors {

bool LooksLikePdf(absl::string_view head) {
  return absl::StrContains(head.substr(0, 1024), "%PDF-");
}

absl::StatusOr<EmbeddedInvoice> ExtractEmbeddedInvoice(const std::string& bytes,
                                                       absl::string_view source_name) {
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    const std::string name(source_name);
    pdf.processMemoryFile(name.c_str(), bytes.data(), bytes.size());
    QPDFEmbeddedFileDocumentHelper files(pdf);
    std::vector<std::string> names;
    std::string chosen;
    std::vector<std::string> xml_names;
    for (const auto& [key, spec] : files.getEmbeddedFiles()) {
      const std::string file = spec->getFilename().empty() ? key : spec->getFilename();
      names.push_back(file);
      const std::string lower = absl::AsciiStrToLower(file);
      if (lower == "factur-x.xml" || lower == "zugferd-invoice.xml" || lower == "xrechnung.xml") {
        if (chosen.empty()) chosen = key;
      } else if (absl::EndsWith(lower, ".xml")) {
        xml_names.push_back(key);
      }
    }
    if (chosen.empty() && xml_names.size() == 1) chosen = xml_names.front();
    if (chosen.empty()) {
      return domain::InvalidInput(
          "FACTURX_NO_INVOICE", "EmbeddedFiles",
          names.empty() ? "the PDF has no embedded files: it is not a Factur-X/ZUGFeRD invoice"
                        : absl::StrCat("no embedded factur-x.xml, zugferd-invoice.xml or "
                                       "xrechnung.xml among: ",
                                       absl::StrJoin(names, ", ")));
    }
    auto spec = files.getEmbeddedFile(chosen);
    QPDFObjectHandle stream = spec->getEmbeddedFileStream();
    if (!stream.isStream()) {
      return domain::InvalidInput("FACTURX_NO_INVOICE", "EmbeddedFiles",
                                  absl::StrCat("embedded file ", chosen, " has no stream"));
    }
    std::shared_ptr<Buffer> data = stream.getStreamData(qpdf_dl_generalized);
    EmbeddedInvoice out;
    out.file_name = spec->getFilename().empty() ? chosen : spec->getFilename();
    out.xml.assign(reinterpret_cast<const char*>(data->getBuffer()), data->getSize());
    return out;
  } catch (const std::exception& e) {
    return domain::InvalidInput("PDF_UNREADABLE", "pdf",
                                absl::StrCat("qpdf cannot read the PDF: ", e.what()));
  }
}

}  // namespace collections::connectors
