#include "service/auth/identity_map.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"

namespace collections::auth {

absl::StatusOr<IdentityMap> ParseIdentityMap(absl::string_view text) {
  IdentityMap map;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat("line ", line_no);
    if (f.size() != 3) {
      return domain::InvalidInput("BAD_IDENTITY_MAP", where,
                                  "expected three fields: identity tenant scope");
    }
    if (!app::IsValidTenantId(f[1])) {
      return domain::InvalidInput("BAD_IDENTITY_MAP", where,
                                  absl::StrCat("\"", f[1], "\" is not a tenant id"));
    }
    auto scope = ParseScope(f[2]);
    if (!scope.ok()) {
      return domain::InvalidInput("BAD_IDENTITY_MAP", where, scope.status().message());
    }
    Grant g{std::string(f[0]), std::string(f[1]), *scope};
    if (!map.emplace(g.identity, g).second) {
      return domain::InvalidInput("BAD_IDENTITY_MAP", where,
                                  absl::StrCat("identity ", f[0], " is listed twice"));
    }
  }
  return map;
}

absl::StatusOr<std::unique_ptr<IdentityMapFile>> IdentityMapFile::Load(std::string path) {
  std::unique_ptr<IdentityMapFile> f(new IdentityMapFile(std::move(path)));
  RETURN_IF_ERROR(f->Reload());
  return f;
}

absl::Status IdentityMapFile::Reload() {
  std::ifstream in(path_);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read identity map ", path_));
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseIdentityMap(text.str());
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(path_, ": ", parsed.status().message()));
  }
  auto map = std::make_shared<const IdentityMap>(*std::move(parsed));
  absl::MutexLock l(&mu_);
  map_ = std::move(map);
  return absl::OkStatus();
}

std::optional<Grant> IdentityMapFile::Find(const std::vector<std::string>& identities) const {
  std::shared_ptr<const IdentityMap> map;
  {
    absl::MutexLock l(&mu_);
    map = map_;
  }
  for (const auto& id : identities) {
    auto it = map->find(id);
    if (it != map->end()) return it->second;
  }
  return std::nullopt;
}

size_t IdentityMapFile::size() const {
  absl::MutexLock l(&mu_);
  return map_->size();
}

}  // namespace collections::auth
