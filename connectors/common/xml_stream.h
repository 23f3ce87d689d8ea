// A thin, RAII, streaming XML reader over libxml2's xmlTextReader, for the
// connectors that read XML exports (camt.053/054, GnuCash books, UBL). It
// exists so that no connector hand-parses XML, and so that every XML parser
// reports errors the same way: "line 42, /Document/BkToCstmrStmt/Stmt[1]/Ntry[3]".
//
// Use it when a file can be large and is a long list of similar elements:
// walk with Next() to the element that starts one record (matching local
// names, so the same code reads every namespace version of a schema), then
// ReadSubtree() to get that one record as a small owned tree, and drop it
// when done. Memory stays bounded by the largest record, not by the file.
//
// Safety: external entities, DTD loading and network access are disabled;
// entity expansion is off, so a "billion laughs" document is rejected by
// libxml2's own limits rather than expanded.
//
// Not thread-safe; one reader per thread. libxml2 global state is
// initialised once on first use.
#ifndef COLLECTIONS_CONNECTORS_COMMON_XML_STREAM_H_
#define COLLECTIONS_CONNECTORS_COMMON_XML_STREAM_H_

#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::connectors {

// One element of an expanded subtree, owned. Names are local names (prefix
// and namespace stripped); `ns` keeps the namespace URI for callers that care.
struct XmlElement {
  std::string name;
  std::string ns;
  std::vector<std::pair<std::string, std::string>> attributes;  // local name, value
  // Concatenated text and CDATA directly inside this element (not of children).
  std::string text;
  std::vector<XmlElement> children;
  // Line of the start tag (1-based) and the XPath-like path of this element.
  int line = 0;
  std::string path;

  // First child with this local name, or nullptr.
  const XmlElement* Child(absl::string_view local_name) const;
  // Every child with this local name, in document order.
  std::vector<const XmlElement*> Children(absl::string_view local_name) const;
  // Follows a '/'-separated path of local names from this element
  // ("Amt", "RmtInf/Strd/CdtrRefInf/Ref"), taking the first match at each
  // step; nullptr when any step is missing.
  const XmlElement* Find(absl::string_view relative_path) const;
  // Every element reached by `relative_path`, taking all matches at each step.
  std::vector<const XmlElement*> FindAll(absl::string_view relative_path) const;
  // Text of Find(relative_path) with surrounding XML whitespace trimmed, or ""
  // when absent.
  std::string TextAt(absl::string_view relative_path) const;
  // Attribute by local name, or nullopt.
  std::optional<std::string> Attribute(absl::string_view local_name) const;
};

class XmlStreamReader {
 public:
  enum class NodeKind { kStartElement, kEndElement, kText, kOther };

  // Pulls up to `len` bytes into `buf`; returns the count, 0 at end, -1 on
  // a read error. Used for sources that are not a std::istream (gzip).
  using ReadFn = std::function<int(char* buf, int len)>;

  // `source_name` is used in error messages (e.g. the file name). The
  // source must outlive the reader. Fails only when libxml2 cannot create a
  // reader; malformed input surfaces on Next().
  static absl::StatusOr<std::unique_ptr<XmlStreamReader>> FromStream(std::istream& in,
                                                                     absl::string_view source_name);
  static absl::StatusOr<std::unique_ptr<XmlStreamReader>> FromReadFn(ReadFn read,
                                                                     absl::string_view source_name);
  // `bytes` must outlive the reader.
  static absl::StatusOr<std::unique_ptr<XmlStreamReader>> FromBytes(absl::string_view bytes,
                                                                    absl::string_view source_name);

  ~XmlStreamReader();
  XmlStreamReader(const XmlStreamReader&) = delete;
  XmlStreamReader& operator=(const XmlStreamReader&) = delete;

  // Advances to the next node. true: positioned on a node; false: end of
  // document. InvalidArgument (reason XML_MALFORMED) with line and path when
  // the document is not well-formed or the source fails.
  absl::StatusOr<bool> Next();

  // Advances to the next start element whose local name is one of `names`,
  // at any depth. false at end of document.
  absl::StatusOr<bool> NextElement(std::initializer_list<absl::string_view> names);

  // The current node.
  NodeKind kind() const { return kind_; }
  absl::string_view local_name() const { return local_name_; }
  absl::string_view namespace_uri() const { return namespace_uri_; }
  // Element depth of the current node, 0 for the root element.
  int depth() const;
  // True for a start element written as <X/>.
  bool is_empty_element() const { return empty_element_; }
  // Text of a kText node.
  absl::string_view text() const { return text_; }
  std::optional<std::string> Attribute(absl::string_view local_name) const;

  // Current line in the input (1-based) as libxml2 reports it.
  int line() const;
  // XPath-like path of the current element with 1-based sibling indexes
  // for repeated names, e.g. "/Document/BkToCstmrStmt/Stmt[2]/Ntry[3]".
  std::string path() const;
  // "<source>:<line> <path>" for messages.
  std::string Location() const;

  // On a start element: reads the whole element into an owned tree and
  // leaves the reader on its end (the next Next() moves past it).
  absl::StatusOr<XmlElement> ReadSubtree();
  // On a start element: concatenated text of the element and its
  // descendants, leaving the reader on its end.
  absl::StatusOr<std::string> ReadElementText();
  // On a start element: moves to its end without building anything.
  absl::Status SkipElement();

  // Bytes consumed from the source so far (for progress reporting).
  int64_t bytes_read() const { return bytes_read_; }

 private:
  struct Frame {
    std::string name;
    int index = 1;  // 1-based among same-named siblings
    // Same-named sibling counters of this frame's children. Small: the
    // number of distinct child names.
    std::vector<std::pair<std::string, int>> child_counts;
  };

  XmlStreamReader(std::string source_name, ReadFn read);
  absl::Status Open();
  absl::Status MalformedError(absl::string_view what) const;
  static int ReadThunk(void* ctx, char* buf, int len);

  std::string source_name_;
  ReadFn read_;
  void* reader_ = nullptr;  // xmlTextReaderPtr, kept opaque to callers
  NodeKind kind_ = NodeKind::kOther;
  std::string local_name_;
  std::string namespace_uri_;
  std::string text_;
  bool empty_element_ = false;
  bool pop_pending_ = false;
  std::vector<Frame> stack_;
  std::vector<std::pair<std::string, int>> root_counts_;
  // Filled by libxml2's error callback (see xml_stream.cc).
  struct ErrorState {
    std::string message;
    int line = 0;
  };
  ErrorState error_;
  bool read_failed_ = false;
  int64_t bytes_read_ = 0;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_XML_STREAM_H_
