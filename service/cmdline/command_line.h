// How collectionsd, collectionsctl and every connector read their command
// line, so that an operator meets one convention: flags are spelled snake_case
// (--dry_run, --token_file), and the kebab spelling (--dry-run) is accepted
// as an alias; `--help` prints every flag with its default and exits 0; a
// usage error (unknown flag, bad value) exits 2.
//
// collectionsd and collectionsctl define their flags with ABSL_FLAG and parse
// them with ParseCommandLine below instead of absl::ParseCommandLine, whose
// --help exits 1 and lists no flag of a binary not named like its sources.
#ifndef COLLECTIONS_CMDLINE_COMMAND_LINE_H_
#define COLLECTIONS_CMDLINE_COMMAND_LINE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::cmdline {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;

// The canonical spelling of a flag name: "dry-run" -> "dry_run".
std::string CanonicalFlagName(absl::string_view name);

struct CommandLine {
  std::vector<std::string> positional;  // argv[1..] that are not flags
  bool help = false;                    // --help, -h or --helpfull
  bool version = false;                 // --version
};

// Parses argv[1..] into the ABSL_FLAG flags of the program: "--name=value",
// "--name value", "--name" and "--noname" for booleans, either spelling of
// the name; "--" ends the flags; --flagfile=PATH[,PATH] reads one flag a line
// ('#' comments). --help/-h and --version are reported, not acted on. InvalidArgument, naming the
// flag, for an unknown flag, a missing value or a value the flag's type refuses.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv);

// "  --name=<default>\n      <help>\n" for every ABSL_FLAG defined in a source
// file whose path contains one of `path_fragments`, sorted by name.
std::string DescribeFlags(const std::vector<std::string>& path_fragments);

}  // namespace collections::cmdline

#endif  // COLLECTIONS_CMDLINE_COMMAND_LINE_H_
