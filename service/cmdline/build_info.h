// What was built: the version, the git commit and the build type, fixed when
// CMake configured the build tree (service/cmdline/CMakeLists.txt), so that
// `collectionsd --version` names the source of a binary found on a host.
#ifndef COLLECTIONS_CMDLINE_BUILD_INFO_H_
#define COLLECTIONS_CMDLINE_BUILD_INFO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace collections::cmdline {

// e.g. "0.1.0".
absl::string_view Version();
// `git describe --always --dirty --abbrev=12` of the source tree at
// configure time, e.g. "afe85f9a1b2c" or "afe85f9a1b2c-dirty"; "unknown"
// outside a git checkout.
absl::string_view GitCommit();
// CMAKE_BUILD_TYPE: "Release" or "Debug" (Debug adds ASan and UBSan).
absl::string_view BuildType();

// "<program> <version> (commit <commit>, <build type> build)".
std::string VersionLine(absl::string_view program);

}  // namespace collections::cmdline

#endif  // COLLECTIONS_CMDLINE_BUILD_INFO_H_
