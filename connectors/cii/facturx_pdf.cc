#include "connectors/cii/facturx_pdf.h"

#include <exception>
#include <map>
#include <memory>
#include <vector>

#include <cairo-pdf.h>
#include <cairo.h>
#include <lcms2.h>
#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFEFStreamObjectHelper.hh>
#include <qpdf/QPDFEmbeddedFileDocumentHelper.hh>
#include <qpdf/QPDFFileSpecObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/base/errors.h"

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

namespace {

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// The visible page: A4, DejaVu Sans (cairo embeds the subset it uses).
absl::StatusOr<std::string> DrawPage(const std::vector<std::string>& lines) {
  std::string pdf;
  cairo_surface_t* surface =
      cairo_pdf_surface_create_for_stream(AppendToString, &pdf, 595.0, 842.0);
  cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  double y = 60;
  for (size_t i = 0; i < lines.size(); ++i) {
    cairo_set_font_size(cr, i == 0 ? 16 : 10);
    cairo_move_to(cr, 50, y);
    cairo_show_text(cr, lines[i].c_str());
    y += i == 0 ? 28 : 15;
    if (y > 800) {
      cairo_show_page(cr);
      y = 60;
    }
  }
  cairo_show_page(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  const cairo_status_t status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat("cairo: ", cairo_status_to_string(status)));
  }
  return pdf;
}

absl::StatusOr<std::string> SrgbIccProfile() {
  cmsHPROFILE profile = cmsCreate_sRGBProfile();
  if (profile == nullptr) return absl::InternalError("lcms2 cannot create the sRGB profile");
  cmsUInt32Number size = 0;
  std::string out;
  if (cmsSaveProfileToMem(profile, nullptr, &size)) {
    out.resize(size);
    if (!cmsSaveProfileToMem(profile, out.data(), &size)) out.clear();
  }
  cmsCloseProfile(profile);
  if (out.empty()) return absl::InternalError("lcms2 cannot write the sRGB profile");
  return out;
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// XMP packet: PDF/A-3B identification, Dublin Core title, and the Factur-X
// extension schema with its PDF/A description (Factur-X 1.0 spec, 7.2).
std::string Xmp(const FacturXPdfOptions& o) {
  return absl::StrCat(R"(<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">)",
                      XmlEscape(o.title), R"(</rdf:li></rdf:Alt></dc:title>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>)",
                      XmlEscape(o.document_date), R"(</xmp:CreateDate>
   <xmp:CreatorTool>collections-cii</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>)",
                      XmlEscape(o.conformance_level), R"(</fx:ConformanceLevel>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>fx</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq>
     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentFileName</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The name of the embedded XML document</pdfaProperty:description></rdf:li>
     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentType</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The type of the hybrid document in capital letters, e.g. INVOICE or ORDER</pdfaProperty:description></rdf:li>
     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>Version</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The actual version of the standard applying to the embedded XML document</pdfaProperty:description></rdf:li>
     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The conformance level of the embedded XML document</pdfaProperty:description></rdf:li>
    </rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>)");
}

}  // namespace

absl::StatusOr<std::string> WriteFacturXPdf(const std::string& xml,
                                            const std::vector<std::string>& lines,
                                            const FacturXPdfOptions& options) {
  absl::StatusOr<std::string> page = DrawPage(lines);
  if (!page.ok()) return page.status();
  absl::StatusOr<std::string> icc = SrgbIccProfile();
  if (!icc.ok()) return icc.status();
  try {
    QPDF pdf;
    pdf.processMemoryFile("page.pdf", page->data(), page->size());
    QPDFObjectHandle root = pdf.getRoot();

    // The invoice: an embedded file, named in /EmbeddedFiles and /AF.
    auto ef = QPDFEFStreamObjectHelper::createEFStream(pdf, xml);
    ef.setSubtype("text/xml");
    if (!options.document_date.empty()) {
      // D:YYYYMMDDHHmmSS+00'00' from the ISO date.
      std::string d = options.document_date;
      std::string digits;
      for (char c : d) {
        if (c >= '0' && c <= '9') digits += c;
      }
      digits.resize(14, '0');
      ef.setModDate(absl::StrCat("D:", digits, "+00'00'"));
    }
    auto fs = QPDFFileSpecObjectHelper::createFileSpec(pdf, "factur-x.xml", ef);
    fs.setDescription("Factur-X invoice (UN/CEFACT CII, EN 16931)");
    fs.getObjectHandle().replaceKey("/AFRelationship", QPDFObjectHandle::newName("/Alternative"));
    QPDFEmbeddedFileDocumentHelper files(pdf);
    files.replaceEmbeddedFile("factur-x.xml", fs);
    root.replaceKey("/AF", QPDFObjectHandle::newArray({fs.getObjectHandle()}));

    // PDF/A identification and the Factur-X properties.
    QPDFObjectHandle xmp = QPDFObjectHandle::newStream(&pdf, Xmp(options));
    xmp.getDict().replaceKey("/Type", QPDFObjectHandle::newName("/Metadata"));
    xmp.getDict().replaceKey("/Subtype", QPDFObjectHandle::newName("/XML"));
    root.replaceKey("/Metadata", xmp);

    // sRGB output intent (PDF/A-3 6.2.3).
    QPDFObjectHandle profile = QPDFObjectHandle::newStream(&pdf, *icc);
    profile.getDict().replaceKey("/N", QPDFObjectHandle::newInteger(3));
    QPDFObjectHandle intent = QPDFObjectHandle::newDictionary();
    intent.replaceKey("/Type", QPDFObjectHandle::newName("/OutputIntent"));
    intent.replaceKey("/S", QPDFObjectHandle::newName("/GTS_PDFA1"));
    intent.replaceKey("/OutputConditionIdentifier",
                      QPDFObjectHandle::newString("sRGB IEC61966-2.1"));
    intent.replaceKey("/DestOutputProfile", profile);
    root.replaceKey("/OutputIntents", QPDFObjectHandle::newArray({pdf.makeIndirectObject(intent)}));

    // The document information cairo wrote (producer, dates) would have to
    // match the XMP packet; PDF/A-3 does not need it, so it is dropped.
    pdf.getTrailer().removeKey("/Info");

    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.setMinimumPDFVersion("1.7");
    writer.setDeterministicID(true);
    // Leave the XML and the XMP packet unfiltered and every object at top
    // level: readable by the simplest PDF/A checkers and by people.
    writer.setCompressStreams(false);
    writer.setObjectStreamMode(qpdf_o_disable);
    writer.write();
    std::shared_ptr<Buffer> out = writer.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(out->getBuffer()), out->getSize());
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("qpdf cannot write the Factur-X PDF: ", e.what()));
  }
}

}  // namespace collections::connectors
