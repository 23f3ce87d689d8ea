#include "service/base/resource_names.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "service/base/errors.h"

namespace collections::app {
namespace {

absl::Status BadName(absl::string_view field, absl::string_view name, absl::string_view shape) {
  return domain::InvalidInput(
      "INVALID_RESOURCE_NAME", field,
      absl::StrCat("\"", name, "\" is not a resource name of the form ", shape));
}

}  // namespace

bool IsValidTenantId(absl::string_view id) {
  if (id.empty() || id.size() > 63 || id[0] == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > 63 || id[0] == '.') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '~' || c == '-')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> ParseTenantName(absl::string_view name, absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 || parts[0] != "tenants" || !IsValidTenantId(parts[1])) {
    return BadName(field, name, "tenants/{tenant}");
  }
  return std::string(parts[1]);
}

absl::StatusOr<CustomerName> ParseCustomerName(absl::string_view name, absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "tenants" || !IsValidTenantId(parts[1]) ||
      parts[2] != "customers" || !IsValidResourceId(parts[3])) {
    return BadName(field, name, "tenants/{tenant}/customers/{customer}");
  }
  return CustomerName{std::string(parts[1]), std::string(parts[3])};
}

absl::StatusOr<ChildName> ParseChildName(absl::string_view name, absl::string_view collection,
                                         absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 6 || parts[0] != "tenants" || !IsValidTenantId(parts[1]) ||
      parts[2] != "customers" || !IsValidResourceId(parts[3]) || parts[4] != collection ||
      !IsValidResourceId(parts[5])) {
    return BadName(field, name,
                   absl::StrCat("tenants/{tenant}/customers/{customer}/", collection, "/{id}"));
  }
  return ChildName{std::string(parts[1]), std::string(parts[3]), std::string(collection),
                   std::string(parts[5])};
}

absl::StatusOr<OutboxActionName> ParseOutboxActionName(absl::string_view name,
                                                       absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "tenants" || !IsValidTenantId(parts[1]) ||
      parts[2] != kOutboxActions || !IsValidResourceId(parts[3])) {
    return BadName(field, name, absl::StrCat("tenants/{tenant}/", kOutboxActions, "/{action}"));
  }
  return OutboxActionName{std::string(parts[1]), std::string(parts[3])};
}

std::string TenantName(absl::string_view tenant) { return absl::StrCat("tenants/", tenant); }
std::string CustomerResource(absl::string_view tenant, absl::string_view customer) {
  return absl::StrCat("tenants/", tenant, "/customers/", customer);
}
std::string ChildResource(absl::string_view tenant, absl::string_view customer,
                          absl::string_view collection, absl::string_view id) {
  return absl::StrCat("tenants/", tenant, "/customers/", customer, "/", collection, "/", id);
}

std::string OutboxActionResource(absl::string_view tenant, absl::string_view id) {
  return absl::StrCat("tenants/", tenant, "/", kOutboxActions, "/", id);
}

uint64_t StableHash(absl::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string IdFromExternalRef(absl::string_view source_system, absl::string_view external_id) {
  if (IsValidResourceId(external_id)) return std::string(external_id);
  // A readable slug plus a hash that keeps distinct external ids apart:
  // "Melton, Johnny" -> "melton-johnny-3f2a9c".
  char slug[48];
  size_t n = 0;
  for (char c : external_id) {
    if (n >= 40) break;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      slug[n++] = c;
    } else if (c >= 'A' && c <= 'Z') {
      slug[n++] = static_cast<char>(c - 'A' + 'a');
    } else if (n > 0 && slug[n - 1] != '-') {
      slug[n++] = '-';
    }
  }
  if (n > 0 && slug[n - 1] != '-') slug[n++] = '-';
  if (n == 0) slug[n++] = 'x';
  return absl::StrFormat("%s%06x", absl::string_view(slug, n),
                         StableHash(absl::StrCat(source_system, "/", external_id)) & 0xffffff);
}

}  // namespace collections::app
