// Checks of PEM files before they reach gRPC, whose own errors surface only
// later, as failed handshakes: a certificate that does not parse or a key
// that does not belong to it is reported at start-up (and on SIGHUP) with
// the file named.
#ifndef COLLECTIONS_AUTH_PEM_H_
#define COLLECTIONS_AUTH_PEM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::auth {

// The whole file; NOT_FOUND when unreadable.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// INVALID_ARGUMENT unless `cert_pem` holds a certificate and `key_pem` its
// private key.
absl::Status CheckKeyPair(absl::string_view cert_pem, absl::string_view key_pem);

// INVALID_ARGUMENT unless `pem` holds at least one certificate.
absl::Status CheckCertificates(absl::string_view pem);

}  // namespace collections::auth

#endif  // COLLECTIONS_AUTH_PEM_H_
