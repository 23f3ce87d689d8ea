#include "service/cmdline/build_info.h"

#include "absl/strings/str_cat.h"

namespace collections::cmdline {

absl::string_view Version() { return COLLECTIONS_VERSION; }
absl::string_view GitCommit() { return COLLECTIONS_GIT_COMMIT; }
absl::string_view BuildType() { return COLLECTIONS_BUILD_TYPE; }

std::string VersionLine(absl::string_view program) {
  return absl::StrCat(program, " ", Version(), " (commit ", GitCommit(), ", ", BuildType(),
                      " build)");
}

}  // namespace collections::cmdline
