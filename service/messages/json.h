// Proto JSON of the generated messages with the proto field names, as
// google::protobuf::util::MessageToJsonString renders them, without its cost
// per call. Protobuf 3.21 renders a message by resolving every message and
// enum type it reaches into a google.protobuf.Type, anew for each call: for a
// small message that is most of the work. Here the types are resolved once
// per process, and a list of messages is rendered in one call (the types of
// its items are resolved once for the list, not once per item).
#ifndef COLLECTIONS_MESSAGES_JSON_H_
#define COLLECTIONS_MESSAGES_JSON_H_

#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace collections::messages {

// The field names of the JSON: the proto names (as stored and exported) or
// lowerCamelCase (the HTTP API, as proto3's JSON mapping has them).
enum class JsonNames { kProto, kLowerCamel };

// The JSON of `m`, equal to MessageToJsonString with
// preserve_proto_field_names set as `names` says. `m` must be a generated
// message.
std::string MessageJson(const google::protobuf::Message& m, JsonNames names = JsonNames::kProto);

// The JSON of a message given as its type URL
// ("type.googleapis.com/<full name>") and its serialized bytes, equal to
// MessageJson of the parsed message. InvalidArgument naming the type when the
// type is not a generated message or the bytes do not parse as it.
absl::StatusOr<std::string> SerializedJson(absl::string_view type_url, absl::string_view bytes);

// SerializedJson of each of `items`, all of the type `type_url` names,
// rendered in one pass of the printer. InvalidArgument naming the item that
// does not parse.
absl::StatusOr<std::vector<std::string>> SerializedJsonEach(
    absl::string_view type_url, absl::Span<const absl::string_view> items);

// A JSON array of the messages, equal to "[" + the MessageJson of each,
// joined by "," + "]". Every item has the same generated type.
std::string ArrayJson(absl::Span<const google::protobuf::Message* const> items);

// MessageJson of each of `items`, rendered in one pass when they share a
// type.
std::vector<std::string> EachJson(absl::Span<const google::protobuf::Message* const> items);

// A JSON object of named members, built member by member and rendered in
// one pass of the printer: each member's messages are written as one field
// of a message type made for the object's shape (the names and types of its
// members, in order), so the printer resolves each type the object reaches
// once, not once per member. Equal to "{" + each `"name":value` joined by
// "," + "}", where a value is what MessageJson, ArrayJson or the raw text
// gives. Names are JSON-safe identifiers chosen by the caller (letters,
// digits and '_').
class ObjectJson {
 public:
  // `"name":json`, with `json` as given.
  ObjectJson& Raw(absl::string_view name, std::string json);
  // `"name":MessageJson(m)`.
  ObjectJson& Message(absl::string_view name, const google::protobuf::Message& m);
  // `"name":ArrayJson(items)`.
  ObjectJson& Array(absl::string_view name,
                    absl::Span<const google::protobuf::Message* const> items);
  template <typename M>
  ObjectJson& Array(absl::string_view name, const std::vector<M>& items) {
    std::vector<const google::protobuf::Message*> ptrs;
    ptrs.reserve(items.size());
    for (const M& m : items) ptrs.push_back(&m);
    return Array(name, absl::MakeConstSpan(ptrs));
  }

  // The object's JSON.
  std::string Render() const;

 private:
  struct Member {
    std::string name;
    std::string raw;                                     // the value, when no messages
    const google::protobuf::Descriptor* type = nullptr;  // of the messages, if any
    bool repeated = false;
    std::vector<std::string> bytes;  // each message serialized
  };
  std::vector<Member> members_;
};

template <typename M>
std::vector<std::string> EachJson(const std::vector<M>& items) {
  std::vector<const google::protobuf::Message*> ptrs;
  ptrs.reserve(items.size());
  for (const M& m : items) ptrs.push_back(&m);
  return EachJson(absl::MakeConstSpan(ptrs));
}

template <typename M>
std::string ArrayJson(const std::vector<M>& items) {
  std::vector<const google::protobuf::Message*> ptrs;
  ptrs.reserve(items.size());
  for (const M& m : items) ptrs.push_back(&m);
  return ArrayJson(absl::MakeConstSpan(ptrs));
}

}  // namespace collections::messages

#endif  // COLLECTIONS_MESSAGES_JSON_H_
