#include "service/http/http_message.h"

#include "absl/strings/match.h"

namespace collections::http {

std::string HttpRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

std::string HttpRequest::Query(const std::string& name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace collections::http
