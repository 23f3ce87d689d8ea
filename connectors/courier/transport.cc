#include "connectors/courier/transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/signing/signed_payload.h"

namespace collections::courier {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t nitems, void* user) {
  auto* u = static_cast<Upload*>(user);
  const size_t n = std::min(size * nitems, u->data->size() - u->offset);
  std::memcpy(buffer, u->data->data() + u->offset, n);
  u->offset += n;
  return n;
}

size_t CollectResponse(char* data, size_t size, size_t nmemb, void* user) {
  auto* out = static_cast<std::string*>(user);
  // Only the start of an answer goes into a detail.
  if (out->size() < 512) out->append(data, std::min(size * nmemb, 512 - out->size()));
  return size * nmemb;
}

long Seconds(absl::Duration d) {
  return static_cast<long>(std::max<int64_t>(1, absl::ToInt64Seconds(d)));
}

// A handle that reports errors into `error`, never raises signals, trusts
// `ca_file` (empty: the system's bundle) and gives up after `timeout`.
CurlPtr NewHandle(char* error, const std::string& ca_file, absl::Duration timeout) {
  CurlPtr curl(curl_easy_init());
  if (!curl) return curl;
  CURL* c = curl.get();
  error[0] = 0;
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, Seconds(std::min(timeout, absl::Seconds(30))));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, Seconds(timeout));
  return curl;
}

}  // namespace

void InitTransport() { curl_global_init(CURL_GLOBAL_DEFAULT); }

TransportResult SendMail(const SmtpOptions& o, const std::string& from,
                         const std::string& recipient, const std::string& message) {
  char error[CURL_ERROR_SIZE];
  CurlPtr curl = NewHandle(error, o.ca_file, o.timeout);
  if (!curl) return {TransportResult::kRetry, 0, "curl_easy_init failed"};
  CURL* c = curl.get();
  const std::string url = absl::StrCat(o.url, "/", o.helo_domain);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  if (o.starttls == "require") {
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  } else if (o.starttls == "try") {
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  }
  if (!o.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, o.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, o.password.c_str());
  }
  const std::string mail_from = absl::StrCat("<", from, ">");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  SlistPtr rcpt(curl_slist_append(nullptr, absl::StrCat("<", recipient, ">").c_str()));
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  Upload upload{&message};
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);

  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  const std::string what = error[0] != 0 ? error : curl_easy_strerror(rc);
  if (rc == CURLE_OK) return {TransportResult::kDelivered, static_cast<int>(code), "250 accepted"};
  const bool auth_failure = rc == CURLE_LOGIN_DENIED || code == 530 || code == 534 || code == 535;
  if (code >= 500 && code < 600 && !auth_failure) {
    return {TransportResult::kRejected, static_cast<int>(code),
            absl::StrCat("SMTP ", code, ": ", what)};
  }
  return {TransportResult::kRetry, static_cast<int>(code),
          code > 0 ? absl::StrCat("SMTP ", code, ": ", what) : what};
}

TransportResult PostWebhook(const WebhookOptions& o, const std::string& json,
                            const std::string& idempotency_key, absl::Time now) {
  char error[CURL_ERROR_SIZE];
  CurlPtr curl = NewHandle(error, o.ca_file, o.timeout);
  if (!curl) return {TransportResult::kRetry, 0, "curl_easy_init failed"};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, o.url.c_str());
  const int64_t timestamp = absl::ToUnixSeconds(now);
  curl_slist* h = nullptr;
  h = curl_slist_append(h, "Content-Type: application/json");
  h = curl_slist_append(h, absl::StrCat(signing::kTimestampHeader, ": ", timestamp).c_str());
  h = curl_slist_append(h, absl::StrCat(signing::kSignatureHeader, ": ",
                                        signing::SignPayload(o.secret, timestamp, json))
                               .c_str());
  h = curl_slist_append(h, absl::StrCat("Idempotency-Key: ", idempotency_key).c_str());
  h = curl_slist_append(h, "Expect:");
  SlistPtr headers(h);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, json.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json.size()));
  std::string response;
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectResponse);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);

  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return {TransportResult::kRetry, 0, error[0] != 0 ? error : curl_easy_strerror(rc)};
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  const std::string detail = absl::StrCat("HTTP ", code, response.empty() ? "" : ": ",
                                          absl::StripAsciiWhitespace(response));
  if (code >= 200 && code < 300)
    return {TransportResult::kDelivered, static_cast<int>(code), detail};
  const bool transient = code == 408 || code == 409 || code == 425 || code == 429 || code >= 500;
  return {transient ? TransportResult::kRetry : TransportResult::kRejected, static_cast<int>(code),
          detail};
}

}  // namespace collections::courier
