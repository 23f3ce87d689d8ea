#include "connectors/common/xml_stream.h"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/base/errors.h"

namespace collections::connectors {
namespace {

xmlTextReaderPtr AsReader(void* p) { return static_cast<xmlTextReaderPtr>(p); }

std::string FromXmlChar(const xmlChar* s) {
  return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s));
}

// With an undeclared prefix libxml2 keeps the whole QName ("gnc:book") as
// the local name; the part after the colon is what callers match.
std::string LocalPart(std::string name) {
  size_t colon = name.find(':');
  return colon == std::string::npos ? name : name.substr(colon + 1);
}

void InitLibxmlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

// XML whitespace only (XML 1.0 §2.3 S production), not Unicode spaces.
absl::string_view TrimXmlSpace(absl::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Increments the counter of `name` in `counts` and returns its new value.
int BumpCount(std::vector<std::pair<std::string, int>>& counts, absl::string_view name) {
  for (auto& [n, c] : counts) {
    if (n == name) return ++c;
  }
  counts.emplace_back(std::string(name), 1);
  return 1;
}

}  // namespace

// ------------------------------------------------------------- XmlElement

const XmlElement* XmlElement::Child(absl::string_view local_name) const {
  for (const XmlElement& c : children) {
    if (c.name == local_name) return &c;
  }
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::Children(absl::string_view local_name) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children) {
    if (c.name == local_name) out.push_back(&c);
  }
  return out;
}

const XmlElement* XmlElement::Find(absl::string_view relative_path) const {
  const XmlElement* cur = this;
  for (absl::string_view step : absl::StrSplit(relative_path, '/', absl::SkipEmpty())) {
    cur = cur->Child(step);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

std::vector<const XmlElement*> XmlElement::FindAll(absl::string_view relative_path) const {
  std::vector<const XmlElement*> level = {this};
  for (absl::string_view step : absl::StrSplit(relative_path, '/', absl::SkipEmpty())) {
    std::vector<const XmlElement*> next;
    for (const XmlElement* e : level) {
      for (const XmlElement* c : e->Children(step)) next.push_back(c);
    }
    level = std::move(next);
    if (level.empty()) break;
  }
  return level;
}

std::string XmlElement::TextAt(absl::string_view relative_path) const {
  const XmlElement* e = Find(relative_path);
  return e == nullptr ? std::string() : std::string(TrimXmlSpace(e->text));
}

std::optional<std::string> XmlElement::Attribute(absl::string_view local_name) const {
  for (const auto& [k, v] : attributes) {
    if (k == local_name) return v;
  }
  return std::nullopt;
}

// -------------------------------------------------------- XmlStreamReader

XmlStreamReader::XmlStreamReader(std::string source_name, ReadFn read)
    : source_name_(std::move(source_name)), read_(std::move(read)) {}

XmlStreamReader::~XmlStreamReader() {
  if (reader_ != nullptr) xmlFreeTextReader(AsReader(reader_));
}

int XmlStreamReader::ReadThunk(void* ctx, char* buf, int len) {
  auto* self = static_cast<XmlStreamReader*>(ctx);
  int n = self->read_(buf, len);
  if (n < 0) {
    self->read_failed_ = true;
    return -1;
  }
  self->bytes_read_ += n;
  return n;
}

absl::Status XmlStreamReader::Open() {
  InitLibxmlOnce();
  // No NOENT (entities stay unexpanded), no DTDLOAD, no network; NONET also
  // blocks external entities. COMPACT reduces memory for text nodes.
  const int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT;
  xmlTextReaderPtr r = xmlReaderForIO(&XmlStreamReader::ReadThunk, /*ioclose=*/nullptr, this,
                                      source_name_.c_str(), /*encoding=*/nullptr, options);
  if (r == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create an XML reader for ", source_name_));
  }
  reader_ = r;
  // A captureless lambda inside a member has access to ErrorState. The
  // structured handler gives the parser's line at the error, which is where
  // the user must look (the reader's current node may be earlier).
  xmlTextReaderSetStructuredErrorHandler(
      r,
      [](void* arg, xmlErrorPtr error) {
        if (error == nullptr || error->level < XML_ERR_ERROR) return;  // warnings pass
        // Undeclared prefixes (GnuCash 1.8 books have no xmlns at all) are
        // namespace errors, not well-formedness errors: the element is still
        // there, and local-name matching does not need the namespace.
        if (error->domain == XML_FROM_NAMESPACE) return;
        auto* state = static_cast<ErrorState*>(arg);
        if (!state->message.empty()) return;  // keep the first: later ones follow from it
        state->message = std::string(
            absl::StripTrailingAsciiWhitespace(error->message == nullptr ? "" : error->message));
        state->line = error->line;
      },
      &error_);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<XmlStreamReader>> XmlStreamReader::FromReadFn(
    ReadFn read, absl::string_view source_name) {
  std::unique_ptr<XmlStreamReader> r(
      new XmlStreamReader(std::string(source_name), std::move(read)));
  if (absl::Status s = r->Open(); !s.ok()) return s;
  return r;
}

absl::StatusOr<std::unique_ptr<XmlStreamReader>> XmlStreamReader::FromStream(
    std::istream& in, absl::string_view source_name) {
  return FromReadFn(
      [&in](char* buf, int len) -> int {
        if (in.bad()) return -1;
        in.read(buf, len);
        if (in.bad()) return -1;
        return static_cast<int>(in.gcount());
      },
      source_name);
}

absl::StatusOr<std::unique_ptr<XmlStreamReader>> XmlStreamReader::FromBytes(
    absl::string_view bytes, absl::string_view source_name) {
  auto pos = std::make_shared<size_t>(0);
  return FromReadFn(
      [bytes, pos](char* buf, int len) -> int {
        size_t n = std::min(static_cast<size_t>(len), bytes.size() - *pos);
        std::memcpy(buf, bytes.data() + *pos, n);
        *pos += n;
        return static_cast<int>(n);
      },
      source_name);
}

int XmlStreamReader::line() const {
  if (reader_ == nullptr) return 0;
  // The node's own line (its start tag) when libxml2 recorded it; the
  // parser's position runs ahead of the node by up to one input chunk.
  // Element lines saturate at 65535 in libxml2 2.9, so beyond that the
  // parser position is the better answer.
  xmlNodePtr node = xmlTextReaderCurrentNode(AsReader(reader_));
  if (node != nullptr) {
    long l = xmlGetLineNo(node);
    if (l > 0 && l < 65535) return static_cast<int>(l);
  }
  return xmlTextReaderGetParserLineNumber(AsReader(reader_));
}

int XmlStreamReader::depth() const { return static_cast<int>(stack_.size()) - 1; }

std::string XmlStreamReader::path() const {
  std::string out;
  for (const Frame& f : stack_) {
    absl::StrAppend(&out, "/", f.name);
    if (f.index > 1) absl::StrAppend(&out, "[", f.index, "]");
  }
  return out.empty() ? "/" : out;
}

std::string XmlStreamReader::Location() const {
  return absl::StrCat(source_name_, ":", line(), " ", path());
}

absl::Status XmlStreamReader::MalformedError(absl::string_view what) const {
  int at = error_.line > 0 ? error_.line : line();
  return domain::InvalidInput("XML_MALFORMED", absl::StrCat(source_name_, ":", at, " ", path()),
                              what);
}

absl::StatusOr<bool> XmlStreamReader::Next() {
  if (pop_pending_) {
    if (!stack_.empty()) stack_.pop_back();
    pop_pending_ = false;
  }
  int rc = xmlTextReaderRead(AsReader(reader_));
  // libxml2 parses ahead of the reader: nodes before an error are still
  // delivered (rc 1), so the error surfaces when the reader reaches it.
  if (read_failed_) return MalformedError("read error in the underlying source");
  if (rc < 0 || (rc == 0 && !error_.message.empty())) {
    return MalformedError(error_.message.empty() ? "malformed XML" : error_.message);
  }
  if (rc == 0) {
    if (!stack_.empty()) return MalformedError("document ended inside an element");
    return false;
  }
  xmlTextReaderPtr r = AsReader(reader_);
  empty_element_ = false;
  text_.clear();
  switch (xmlTextReaderNodeType(r)) {
    case XML_READER_TYPE_ELEMENT: {
      kind_ = NodeKind::kStartElement;
      local_name_ = LocalPart(FromXmlChar(xmlTextReaderConstLocalName(r)));
      namespace_uri_ = FromXmlChar(xmlTextReaderConstNamespaceUri(r));
      empty_element_ = xmlTextReaderIsEmptyElement(r) == 1;
      auto& counts = stack_.empty() ? root_counts_ : stack_.back().child_counts;
      Frame f;
      f.name = local_name_;
      f.index = BumpCount(counts, local_name_);
      stack_.push_back(std::move(f));
      if (empty_element_) pop_pending_ = true;
      break;
    }
    case XML_READER_TYPE_END_ELEMENT:
      kind_ = NodeKind::kEndElement;
      local_name_ = LocalPart(FromXmlChar(xmlTextReaderConstLocalName(r)));
      namespace_uri_ = FromXmlChar(xmlTextReaderConstNamespaceUri(r));
      pop_pending_ = true;
      break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
    case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
    case XML_READER_TYPE_WHITESPACE:
      kind_ = NodeKind::kText;
      local_name_.clear();
      text_ = FromXmlChar(xmlTextReaderConstValue(r));
      break;
    case XML_READER_TYPE_ENTITY_REFERENCE:
      // Entities are never expanded (see Open()): an undeclared or external
      // entity is a document we refuse rather than half-read.
      return MalformedError("entity references are not supported");
    default:
      kind_ = NodeKind::kOther;
      local_name_.clear();
      break;
  }
  return true;
}

absl::StatusOr<bool> XmlStreamReader::NextElement(std::initializer_list<absl::string_view> names) {
  while (true) {
    absl::StatusOr<bool> more = Next();
    if (!more.ok() || !*more) return more;
    if (kind_ != NodeKind::kStartElement) continue;
    for (absl::string_view n : names) {
      if (local_name_ == n) return true;
    }
  }
}

std::optional<std::string> XmlStreamReader::Attribute(absl::string_view local_name) const {
  if (kind_ != NodeKind::kStartElement) return std::nullopt;
  xmlTextReaderPtr r = AsReader(reader_);
  std::optional<std::string> out;
  if (xmlTextReaderMoveToFirstAttribute(r) != 1) return out;
  do {
    if (LocalPart(FromXmlChar(xmlTextReaderConstLocalName(r))) == local_name) {
      out = FromXmlChar(xmlTextReaderConstValue(r));
      break;
    }
  } while (xmlTextReaderMoveToNextAttribute(r) == 1);
  xmlTextReaderMoveToElement(r);
  return out;
}

absl::StatusOr<XmlElement> XmlStreamReader::ReadSubtree() {
  if (kind_ != NodeKind::kStartElement) {
    return absl::FailedPreconditionError("ReadSubtree() needs a start element");
  }
  auto start_element = [this]() {
    XmlElement e;
    e.name = local_name_;
    e.ns = namespace_uri_;
    e.line = line();
    e.path = path();
    xmlTextReaderPtr r = AsReader(reader_);
    if (xmlTextReaderMoveToFirstAttribute(r) == 1) {
      do {
        // Namespace declarations are not data.
        if (xmlTextReaderIsNamespaceDecl(r) == 1) continue;
        e.attributes.emplace_back(LocalPart(FromXmlChar(xmlTextReaderConstLocalName(r))),
                                  FromXmlChar(xmlTextReaderConstValue(r)));
      } while (xmlTextReaderMoveToNextAttribute(r) == 1);
      xmlTextReaderMoveToElement(r);
    }
    return e;
  };
  XmlElement root = start_element();
  if (empty_element_) return root;
  // Open elements of the subtree, outermost first. Children are appended to
  // their parent only when complete, so pointers into `open` stay valid.
  std::vector<XmlElement> open;
  open.push_back(std::move(root));
  while (true) {
    absl::StatusOr<bool> more = Next();
    if (!more.ok()) return more.status();
    if (!*more) return MalformedError("document ended inside an element");
    switch (kind_) {
      case NodeKind::kStartElement:
        if (empty_element_) {
          open.back().children.push_back(start_element());
        } else {
          open.push_back(start_element());
        }
        break;
      case NodeKind::kText:
        open.back().text += text_;
        break;
      case NodeKind::kEndElement: {
        XmlElement done = std::move(open.back());
        open.pop_back();
        if (open.empty()) return done;
        open.back().children.push_back(std::move(done));
        break;
      }
      case NodeKind::kOther:
        break;
    }
  }
}

absl::StatusOr<std::string> XmlStreamReader::ReadElementText() {
  if (kind_ != NodeKind::kStartElement) {
    return absl::FailedPreconditionError("ReadElementText() needs a start element");
  }
  std::string out;
  if (empty_element_) return out;
  int open = 1;
  while (open > 0) {
    absl::StatusOr<bool> more = Next();
    if (!more.ok()) return more.status();
    if (!*more) return MalformedError("document ended inside an element");
    if (kind_ == NodeKind::kText) {
      out += text_;
    } else if (kind_ == NodeKind::kStartElement && !empty_element_) {
      ++open;
    } else if (kind_ == NodeKind::kEndElement) {
      --open;
    }
  }
  return out;
}

absl::Status XmlStreamReader::SkipElement() {
  if (kind_ != NodeKind::kStartElement) {
    return absl::FailedPreconditionError("SkipElement() needs a start element");
  }
  if (empty_element_) return absl::OkStatus();
  int open = 1;
  while (open > 0) {
    absl::StatusOr<bool> more = Next();
    if (!more.ok()) return more.status();
    if (!*more) return MalformedError("document ended inside an element");
    if (kind_ == NodeKind::kStartElement && !empty_element_) {
      ++open;
    } else if (kind_ == NodeKind::kEndElement) {
      --open;
    }
  }
  return absl::OkStatus();
}

}  // namespace collections::connectors
