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
