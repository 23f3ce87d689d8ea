#include "service/app/payment_link.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "service/base/errors.h"

namespace collections::app {
namespace {

constexpr const char* kLinkPlaceholders[] = {
    "invoice_number",     "amount",  "amount_minor", "currency",
    "customer_reference", "expires", "token"};

std::string Mac(absl::string_view secret, const PaymentLinkFields& f) {
  const std::string payload = absl::StrCat(
      "collections.v1.pay\n", f.tenant, "\n", f.customer_reference, "\n", f.invoice_number, "\n",
      f.amount.minor, "\n", f.amount.currency, "\n", f.expires_unix);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(mac), len));
}

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (const char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%",
                      absl::AsciiStrToUpper(absl::BytesToHexString(absl::string_view(&c, 1))));
    }
  }
  return out;
}

std::string Link(const PaymentLinkSettings& s, const PaymentLinkFields& f,
                 absl::CivilDay expires_day) {
  const std::string token = s.secret.empty() ? "" : PaymentToken(s.secret, f);
  return absl::StrReplaceAll(
      s.link_template,
      {{"{{invoice_number}}", UrlEncode(f.invoice_number)},
       {"{{amount}}", UrlEncode(domain::FormatDecimal(f.amount.minor, f.amount.currency))},
       {"{{amount_minor}}", absl::StrCat(f.amount.minor)},
       {"{{currency}}", UrlEncode(f.amount.currency)},
       {"{{customer_reference}}", UrlEncode(f.customer_reference)},
       {"{{expires}}", absl::FormatCivilTime(expires_day)},
       {"{{token}}", UrlEncode(token)}});
}

}  // namespace

std::string PaymentToken(absl::string_view secret, const PaymentLinkFields& fields) {
  return absl::StrCat(fields.expires_unix, ".", Mac(secret, fields));
}

absl::Status VerifyPaymentToken(absl::string_view secret, PaymentLinkFields fields,
                                absl::string_view token, absl::Time now) {
  const size_t dot = token.find('.');
  int64_t expires = 0;
  if (dot == absl::string_view::npos || !absl::SimpleAtoi(token.substr(0, dot), &expires)) {
    return domain::WithReason(absl::PermissionDeniedError("malformed payment token"),
                              "PAYMENT_TOKEN_INVALID");
  }
  fields.expires_unix = expires;
  const std::string want = Mac(secret, fields);
  const absl::string_view got = token.substr(dot + 1);
  if (got.size() != want.size() || CRYPTO_memcmp(got.data(), want.data(), want.size()) != 0) {
    return domain::WithReason(
        absl::PermissionDeniedError("the payment token does not sign these payment details"),
        "PAYMENT_TOKEN_INVALID");
  }
  if (now >= absl::FromUnixSeconds(expires)) {
    return domain::WithReason(absl::PermissionDeniedError("the payment token has expired"),
                              "PAYMENT_TOKEN_EXPIRED");
  }
  return absl::OkStatus();
}

std::string PaymentKeyId(absl::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

absl::Status ValidatePaymentLinkTemplate(absl::string_view link_template, absl::string_view field,
                                         bool* uses_token) {
  *uses_token = false;
  if (link_template.size() > 2000) {
    return domain::InvalidInput("INVALID_PROFILE", field, "at most 2000 characters");
  }
  if (!absl::StartsWith(link_template, "https://")) {
    return domain::InvalidInput("INVALID_PROFILE", field, "must start with \"https://\"");
  }
  for (const char c : link_template) {
    if (absl::ascii_iscntrl(c) || c == ' ') {
      return domain::InvalidInput("INVALID_PROFILE", field,
                                  "no spaces or control characters in a URL");
    }
  }
  size_t pos = 0;
  while ((pos = link_template.find("{{", pos)) != absl::string_view::npos) {
    const size_t end = link_template.find("}}", pos);
    if (end == absl::string_view::npos) {
      return domain::InvalidInput("INVALID_PROFILE", field, "unclosed \"{{\"");
    }
    const absl::string_view name = link_template.substr(pos + 2, end - pos - 2);
    if (std::find(std::begin(kLinkPlaceholders), std::end(kLinkPlaceholders), name) ==
        std::end(kLinkPlaceholders)) {
      return domain::InvalidInput("INVALID_PROFILE", field,
                                  absl::StrCat("unknown placeholder {{", name, "}}; use ",
                                               absl::StrJoin(kLinkPlaceholders, ", ")));
    }
    if (name == "token") *uses_token = true;
    pos = end + 2;
  }
  return absl::OkStatus();
}

void AddPaymentLinks(const PaymentLinkSettings& settings, domain::RenderInput& in) {
  if (settings.link_template.empty()) return;
  const absl::CivilDay expires_day = in.as_of + settings.valid_days;
  const int64_t expires_unix =
      absl::ToUnixSeconds(absl::FromCivil(expires_day + 1, absl::UTCTimeZone()));
  PaymentLinkFields f{settings.tenant, in.account_number, "", {}, expires_unix};
  for (domain::RenderInvoice& inv : in.invoices) {
    f.invoice_number = inv.number;
    f.amount = inv.amount;
    inv.payment_link = Link(settings, f, expires_day);
  }
  if (in.totals.size() == 1 && !in.invoices.empty()) {
    std::vector<std::string> numbers;
    for (const auto& inv : in.invoices) numbers.push_back(inv.number);
    f.invoice_number = absl::StrJoin(numbers, ",");
    f.amount = in.totals[0];
    in.payment_link = Link(settings, f, expires_day);
  }
}

}  // namespace collections::app
