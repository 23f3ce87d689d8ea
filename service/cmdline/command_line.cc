#include "service/cmdline/command_line.h"

#include <algorithm>
#include <fstream>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace collections::cmdline {

std::string CanonicalFlagName(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"-", "_"}});
}

namespace {

// The arguments of a --flagfile: one flag a line; blank lines and lines
// starting with '#' are skipped (absl's format, used by deploy/ and systemd).
absl::StatusOr<std::vector<std::string>> ReadFlagfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--flagfile: cannot read ", path));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    out.emplace_back(l);
  }
  return out;
}

absl::Status ParseArgs(const std::vector<std::string>& args, int depth, CommandLine* out) {
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (flags_done || arg == "-" || !absl::StartsWith(arg, "-")) {
      out->positional.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h") {
      out->help = true;
      continue;
    }
    absl::string_view body = arg.substr(absl::StartsWith(arg, "--") ? 2 : 1);
    const size_t eq = body.find('=');
    const std::string name = CanonicalFlagName(body.substr(0, eq));
    const bool has_value = eq != absl::string_view::npos;
    std::string value = has_value ? std::string(body.substr(eq + 1)) : "";
    if (name == "help" || name == "helpfull") {
      out->help = true;
      continue;
    }
    if (name == "version") {
      out->version = true;
      continue;
    }
    if (name == "flagfile") {
      if (!has_value && i + 1 < args.size()) value = args[++i];
      if (depth > 4) return absl::InvalidArgumentError("--flagfile nested too deeply");
      for (absl::string_view path : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        auto lines = ReadFlagfile(std::string(path));
        if (!lines.ok()) return lines.status();
        if (absl::Status st = ParseArgs(*lines, depth + 1, out); !st.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(path, ": ", st.message()));
        }
      }
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && !has_value && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) {
        flag = negated;
        value = "false";
      }
    } else if (flag != nullptr && !has_value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
    }
    if (flag == nullptr || flag->IsRetired()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, "=", value, ": ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv) {
  CommandLine out;
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (absl::Status st = ParseArgs(args, 0, &out); !st.ok()) return st;
  return out;
}

std::string DescribeFlags(const std::vector<std::string>& path_fragments) {
  std::vector<const absl::CommandLineFlag*> shown;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string file = flag->Filename();
    if (std::any_of(path_fragments.begin(), path_fragments.end(),
                    [&](const std::string& f) { return absl::StrContains(file, f); })) {
      shown.push_back(flag);
    }
  }
  std::sort(shown.begin(), shown.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out;
  for (const absl::CommandLineFlag* f : shown) {
    const std::string def = f->DefaultValue();
    absl::StrAppend(&out, "  --", f->Name(), "=", def.empty() ? "\"\"" : def, "\n      ", f->Help(),
                    "\n");
  }
  return out;
}

}  // namespace collections::cmdline
