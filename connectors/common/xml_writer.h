// Writing XML documents with libxml2's xmlTextWriter (escaping, UTF-8,
// indentation), for the connectors that export XML (UBL, CII). It exists so
// that no writer builds XML by string concatenation, and so that a failing
// libxml2 call is reported once, at Finish(), instead of after every call.
//
// Not thread-safe; one writer per document.
#ifndef COLLECTIONS_CONNECTORS_COMMON_XML_WRITER_H_
#define COLLECTIONS_CONNECTORS_COMMON_XML_WRITER_H_

#include <string>

#include "absl/status/statusor.h"

namespace collections::connectors {

// A document under construction; the first failing call is remembered and
// every later call is a no-op.
class XmlOut {
 public:
  XmlOut();
  ~XmlOut();
  XmlOut(const XmlOut&) = delete;
  XmlOut& operator=(const XmlOut&) = delete;

  // <name ...>; names carry their prefix ("cbc:ID", "ram:ID").
  void Start(const std::string& name);
  void Attr(const std::string& name, const std::string& value);
  void End();
  // <name attr="value">text</name>.
  void Leaf(const std::string& name, const std::string& text, const std::string& attr = "",
            const std::string& attr_value = "");
  // Leaf(name, text) unless `text` is empty.
  void Optional(const std::string& name, const std::string& text);

  // The document as UTF-8; Internal when a libxml2 call failed.
  absl::StatusOr<std::string> Finish();

 private:
  void Check(int rc);
  void* buffer_ = nullptr;  // xmlBufferPtr
  void* writer_ = nullptr;  // xmlTextWriterPtr
  bool ok_ = true;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_XML_WRITER_H_
