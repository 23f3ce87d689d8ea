#include "service/signing/signed_payload.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/base/errors.h"

namespace collections::signing {
namespace {

absl::Status Unauthenticated(absl::string_view reason, absl::string_view message) {
  return domain::WithReason(absl::UnauthenticatedError(message), reason);
}

}  // namespace

std::string SignPayload(absl::string_view secret, int64_t timestamp, absl::string_view body) {
  const std::string signed_bytes = absl::StrCat(timestamp, ".", body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_bytes.data()), signed_bytes.size(), mac, &len);
  return absl::StrCat(
      "v1=", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), len)));
}

absl::Status VerifySignedPayload(absl::string_view secret, absl::string_view timestamp_header,
                                 absl::string_view signature_header, absl::string_view body,
                                 absl::Time now, absl::Duration tolerance) {
  int64_t timestamp = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(timestamp_header), &timestamp)) {
    return Unauthenticated("SIGNATURE_MISSING",
                           absl::StrCat(kTimestampHeader, " must hold Unix seconds"));
  }
  if (signature_header.empty()) {
    return Unauthenticated("SIGNATURE_MISSING", absl::StrCat(kSignatureHeader, " is missing"));
  }
  const std::string expected = SignPayload(secret, timestamp, body);
  bool match = false;
  for (absl::string_view candidate : absl::StrSplit(signature_header, ',')) {
    candidate = absl::StripAsciiWhitespace(candidate);
    if (candidate.size() == expected.size() &&
        CRYPTO_memcmp(candidate.data(), expected.data(), expected.size()) == 0) {
      match = true;
    }
  }
  if (!match) {
    return Unauthenticated("SIGNATURE_INVALID",
                           absl::StrCat(kSignatureHeader, " does not match the body and ",
                                        kTimestampHeader, " under this tenant's secret"));
  }
  const absl::Duration skew = absl::AbsDuration(now - absl::FromUnixSeconds(timestamp));
  if (skew > tolerance) {
    return Unauthenticated(
        "TIMESTAMP_OUT_OF_WINDOW",
        absl::StrCat("signed at ",
                     absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(timestamp),
                                      absl::UTCTimeZone()),
                     ", more than ", absl::FormatDuration(tolerance),
                     " from the receiver's time: a replay, or a clock out of step"));
  }
  return absl::OkStatus();
}

}  // namespace collections::signing
