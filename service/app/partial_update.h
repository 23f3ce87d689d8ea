// Partial updates (AIP-134) and etags (AIP-154) for the resources clients
// update: customers, invoices, payments, credit notes and the collection
// policy. Why it exists: an upsert used to replace the whole stored record,
// so an ERP that sent only the fields it owns erased the contacts, consent
// and time zone that collections had recorded. The rules of which fields a
// request changes live here, once, for every resource.
#ifndef COLLECTIONS_APP_PARTIAL_UPDATE_H_
#define COLLECTIONS_APP_PARTIAL_UPDATE_H_

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"

namespace collections::app {

// Top-level fields of a message that a client may not write (output only).
using OutputOnlyFields = std::set<std::string>;

// 16 lower-case hex digits of SHA-256 over the deterministic serialization of
// `m` with its `etag` field cleared: equal content gives an equal etag in
// every server process. Use on a resource exactly as it is returned.
std::string ComputeEtag(const google::protobuf::Message& m);

// Sets the `etag` field of `m` (which must have one) to ComputeEtag(m).
void StampEtag(google::protobuf::Message* m);

// OK when `given` is empty or equals `current`. Otherwise ABORTED with reason
// ETAG_MISMATCH and a violation of `field`: the client read an older version
// of `resource` and must read it again before writing.
absl::Status CheckEtag(absl::string_view given, absl::string_view current, absl::string_view field,
                       absl::string_view resource);

// INVALID_ARGUMENT (reason INVALID_UPDATE_MASK, field "<field>.paths[i]")
// unless every path names a field of `type` (through singular messages) that
// is not output only; "*" is allowed only alone.
absl::Status ValidateUpdateMask(const google::protobuf::Descriptor* type,
                                const google::protobuf::FieldMask& mask,
                                const OutputOnlyFields& output_only, absl::string_view field);

// Writes onto `*stored` the fields of `in` that `mask` names; a named field
// that `in` leaves unset is cleared, and messages and repeated fields are
// replaced whole. "*" names every field but the output-only ones. `mask` must
// have passed ValidateUpdateMask.
void ApplyUpdateMask(const google::protobuf::Message& in, const google::protobuf::FieldMask& mask,
                     const OutputOnlyFields& output_only, google::protobuf::Message* stored);

// The implied mask of AIP-134 for a request without one: the top-level
// fields that `in` populates (a scalar other than its default, a message
// present, a non-empty repeated field), output-only fields and `except` left
// out.
google::protobuf::FieldMask PopulatedFields(const google::protobuf::Message& in,
                                            const OutputOnlyFields& output_only,
                                            const std::set<std::string>& except = {});

}  // namespace collections::app

#endif  // COLLECTIONS_APP_PARTIAL_UPDATE_H_
