// Signed HTTP payloads between collectionsd and the systems around it, in
// both directions: the courier signs the webhooks it posts, and the payment
// providers (or the host's payment bridge) sign the notifications they post
// to collectionsd. One scheme for both, so that one receiver library checks
// either:
//
//   X-Collections-Timestamp: 1795176000            (Unix seconds, the sender's clock)
//   X-Collections-Signature: v1=<64 hex digits>     (HMAC-SHA256 under the shared
//                                                   secret of "<timestamp>.<body>")
//
// The timestamp is inside the signed bytes, so a captured request cannot be
// replayed later with a fresh timestamp; the receiver refuses timestamps
// outside its tolerance and deduplicates retries within it by the payload's
// own id (an event id, an idempotency key). Several "v1=" values separated
// by "," are accepted, so a sender can sign with an old and a new secret
// while the secret rotates.
#ifndef COLLECTIONS_SIGNING_SIGNED_PAYLOAD_H_
#define COLLECTIONS_SIGNING_SIGNED_PAYLOAD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace collections::signing {

inline constexpr char kTimestampHeader[] = "X-Collections-Timestamp";
inline constexpr char kSignatureHeader[] = "X-Collections-Signature";

// "v1=" + lower-case hex HMAC-SHA256(secret, "<timestamp>.<body>").
std::string SignPayload(absl::string_view secret, int64_t timestamp, absl::string_view body);

// OK when `signature_header` holds a "v1=" signature of `body` at
// `timestamp_header` under `secret` (compared in constant time) and the
// timestamp is within `tolerance` of `now`, either way. Otherwise
// UNAUTHENTICATED with reason SIGNATURE_MISSING (a header absent or
// malformed), SIGNATURE_INVALID (no signature matches) or
// TIMESTAMP_OUT_OF_WINDOW (signed, but too old or too far ahead: a replay
// or a wrong clock). The message never contains the secret.
absl::Status VerifySignedPayload(absl::string_view secret, absl::string_view timestamp_header,
                                 absl::string_view signature_header, absl::string_view body,
                                 absl::Time now, absl::Duration tolerance);

}  // namespace collections::signing

#endif  // COLLECTIONS_SIGNING_SIGNED_PAYLOAD_H_
