// Conversions between the generated collections_sidecar.v1 messages (and the
// well-known types they use) and the plain values of service/base, shared by
// every layer that holds messages: the app layer, auth, the connector runtime
// and the courier. One definition each, so that a Timestamp means the same
// instant everywhere and a stored message that does not parse is the same
// error everywhere. No gRPC, no store: protobuf, the generated messages and
// base only.
#ifndef COLLECTIONS_MESSAGES_CONVERT_H_
#define COLLECTIONS_MESSAGES_CONVERT_H_

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace collections::messages {

namespace v1 = ::collections_sidecar::v1;

// absl::Time <-> google.protobuf.Timestamp, to the nanosecond (instants
// before 1970 included).
google::protobuf::Timestamp Ts(absl::Time t);
absl::Time FromTs(const google::protobuf::Timestamp& ts);

// The external reference of a ledger record (customer, invoice, credit note
// or payment), or null when the record holds none of them.
const v1::ExternalRef* RefOf(const v1::SyncRecord& r);

// The message stored in a document's body. `Doc` is store::Doc (any type
// with `kind`, `id` and `body`). INTERNAL, naming the document's kind and id,
// when the body does not parse: the store holds only what this code wrote, so
// a body that does not parse is corruption, not bad input.
template <typename Msg, typename Doc>
absl::StatusOr<Msg> ParseDoc(const Doc& d) {
  Msg m;
  if (!m.ParseFromString(d.body)) {
    return absl::InternalError(absl::StrCat("stored ", d.kind, " ", d.id, " does not parse"));
  }
  return m;
}

}  // namespace collections::messages

#endif  // COLLECTIONS_MESSAGES_CONVERT_H_
