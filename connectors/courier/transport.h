// The courier's two wire protocols, through libcurl: SMTP submission (with
// STARTTLS and AUTH) and HTTP POST of signed JSON. Each call makes one
// attempt and classifies its outcome; the courier decides about retries.
//
//   SMTP 2xx after DATA        kDelivered
//   SMTP 5xx (RCPT or DATA)    kRejected  -> the action BOUNCED
//     except 530/534/535 (authentication): kRetry, it is our configuration
//   SMTP 4xx, no connection,
//   TLS failure, timeout       kRetry
//   HTTP 2xx                   kDelivered
//   HTTP 408, 409, 425, 429,
//   5xx, no connection         kRetry
//   other HTTP 4xx             kRejected  -> the action FAILED
#ifndef COLLECTIONS_CONNECTORS_COURIER_TRANSPORT_H_
#define COLLECTIONS_CONNECTORS_COURIER_TRANSPORT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace collections::courier {

struct TransportResult {
  enum Kind { kDelivered, kRejected, kRetry };
  Kind kind = kRetry;
  int code = 0;        // the last SMTP reply or HTTP status; 0 = none
  std::string detail;  // e.g. "550 5.1.1 no such user", "HTTP 503", "connection refused"
};

// Once per process, before any thread starts (curl_global_init).
void InitTransport();

struct SmtpOptions {
  // smtp://host:port (STARTTLS per `starttls`) or smtps://host:port
  // (TLS from the first byte).
  std::string url = "smtp://127.0.0.1:25";
  // "off" never, "try" when the server offers it, "require" or fail.
  std::string starttls = "try";
  std::string username;  // empty = no AUTH
  std::string password;
  std::string ca_file;  // empty = the system's CA bundle
  std::string helo_domain = "localhost";
  absl::Duration timeout = absl::Seconds(60);
};

// Submits `message` (complete, CRLF) from `from` to `recipient`.
TransportResult SendMail(const SmtpOptions& options, const std::string& from,
                         const std::string& recipient, const std::string& message);

struct WebhookOptions {
  std::string url;
  std::string secret;   // HMAC key (signing/signed_payload.h)
  std::string ca_file;  // empty = the system's CA bundle
  absl::Duration timeout = absl::Seconds(30);
};

// POSTs `json` with Content-Type application/json, the signature headers
// of signing/signed_payload.h at `now`, and Idempotency-Key: `idempotency_key`.
TransportResult PostWebhook(const WebhookOptions& options, const std::string& json,
                            const std::string& idempotency_key, absl::Time now);

}  // namespace collections::courier

#endif  // COLLECTIONS_CONNECTORS_COURIER_TRANSPORT_H_
