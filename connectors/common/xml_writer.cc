#include "connectors/common/xml_writer.h"

#include <libxml/xmlwriter.h>

namespace collections::connectors {
namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
xmlTextWriterPtr W(void* p) { return static_cast<xmlTextWriterPtr>(p); }
xmlBufferPtr B(void* p) { return static_cast<xmlBufferPtr>(p); }

}  // namespace

XmlOut::XmlOut() {
  buffer_ = xmlBufferCreate();
  writer_ = xmlNewTextWriterMemory(B(buffer_), 0);
  if (writer_ == nullptr) ok_ = false;
  if (ok_) Check(xmlTextWriterSetIndent(W(writer_), 1));
  if (ok_) Check(xmlTextWriterSetIndentString(W(writer_), X("  ")));
  if (ok_) Check(xmlTextWriterStartDocument(W(writer_), nullptr, "UTF-8", nullptr));
}

XmlOut::~XmlOut() {
  if (writer_ != nullptr) xmlFreeTextWriter(W(writer_));
  xmlBufferFree(B(buffer_));
}

void XmlOut::Start(const std::string& name) {
  if (ok_) Check(xmlTextWriterStartElement(W(writer_), X(name.c_str())));
}

void XmlOut::Attr(const std::string& name, const std::string& value) {
  if (ok_) Check(xmlTextWriterWriteAttribute(W(writer_), X(name.c_str()), X(value.c_str())));
}

void XmlOut::End() {
  if (ok_) Check(xmlTextWriterEndElement(W(writer_)));
}

void XmlOut::Leaf(const std::string& name, const std::string& text, const std::string& attr,
                  const std::string& attr_value) {
  Start(name);
  if (!attr.empty()) Attr(attr, attr_value);
  if (ok_) Check(xmlTextWriterWriteString(W(writer_), X(text.c_str())));
  End();
}

void XmlOut::Optional(const std::string& name, const std::string& text) {
  if (!text.empty()) Leaf(name, text);
}

absl::StatusOr<std::string> XmlOut::Finish() {
  if (ok_) Check(xmlTextWriterEndDocument(W(writer_)));
  if (ok_) Check(xmlTextWriterFlush(W(writer_)));
  if (!ok_) return absl::InternalError("libxml2 text writer failed");
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(B(buffer_))),
                     static_cast<size_t>(xmlBufferLength(B(buffer_))));
}

void XmlOut::Check(int rc) {
  if (rc < 0) ok_ = false;
}

}  // namespace collections::connectors
