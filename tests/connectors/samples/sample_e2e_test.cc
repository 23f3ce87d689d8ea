// End-to-end sample tests for every connector executable: each expectation
// file tests/connectors/<format>/expected/<name>.ledger names an input (a
// public sample in ../shared/samples/<format>/<name>, or a fixture), the
// connector is run on it as a subprocess against a real collectionsd on
// 127.0.0.1, and what the server then stores is compared field by field
// (stored_ledger.h) with the file. A connector of another format joins by
// adding expectation files; nothing here names a format.
//
// Expectation file:
//   # comments: what the sample says, and why the values are these
//   sync <input> [flags...]   input: samples:<format>/<file> or testdata:<file>
//                             (the format's tests/connectors/<format>/testdata);
//                             repeatable, run in order into one tenant.
//                             Without one: "sync samples:<format>/<name>".
//   flags <flags...>          added to every sync ({samples} = the samples dir)
//   exit <NAME>               the exit code of the last sync (runner.h names)
//   says <text>               stdout or stderr of the last sync contains it
//   <ledger lines>            StoredLedgerLines() after the last sync
//
// COLLECTIONS_WRITE_EXPECTED=1 rewrites the ledger lines and exit from what
// the run produced (review them against the sample before committing).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "connectors/common/runner.h"
#include "gtest/gtest.h"
#include "tests/connectors/runtime/runtime_test_support.h"
#include "tests/connectors/samples/stored_ledger.h"

namespace collections::testing {
namespace {

namespace fs = std::filesystem;

struct Expectation {
  std::string format;
  std::string name;  // the expectation file's name without ".ledger"
  fs::path path;
};

std::vector<Expectation> FindExpectations() {
  std::vector<Expectation> out;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(COLLECTIONS_CONNECTOR_TESTS_DIR, ec)) {
    const fs::path expected = dir.path() / "expected";
    if (!fs::is_directory(expected)) continue;
    for (const auto& f : fs::directory_iterator(expected)) {
      if (f.path().extension() != ".ledger") continue;
      out.push_back({dir.path().filename().string(), f.path().stem().string(), f.path()});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Expectation& a, const Expectation& b) { return a.path < b.path; });
  return out;
}

struct Sync {
  std::string input;
  std::vector<std::string> flags;
};

struct Parsed {
  std::vector<std::string> header;  // comments, sync, flags, says (kept when rewriting)
  std::vector<Sync> syncs;
  std::vector<std::string> flags;
  std::string exit = "OK";
  std::vector<std::string> says;
  std::vector<std::string> ledger;
};

Parsed ReadExpectation(const Expectation& e) {
  Parsed p;
  std::ifstream in(e.path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    const std::string& w = words[0];
    if (absl::StartsWith(line, "#") || w == "sync" || w == "flags" || w == "says") {
      p.header.push_back(line);
    }
    if (w == "sync") {
      p.syncs.push_back({words.size() > 1 ? words[1] : "", {words.begin() + 2, words.end()}});
    } else if (w == "flags") {
      p.flags.insert(p.flags.end(), words.begin() + 1, words.end());
    } else if (w == "exit" && words.size() > 1) {
      p.exit = words[1];
    } else if (w == "says") {
      p.says.push_back(std::string(absl::StripPrefix(line, "says ")));
    } else if (!absl::StartsWith(line, "#")) {
      p.ledger.push_back(line);
    }
  }
  if (p.syncs.empty()) p.syncs.push_back({absl::StrCat("samples:", e.format, "/", e.name), {}});
  return p;
}

std::string InputPath(const Expectation& e, const std::string& input) {
  if (absl::StartsWith(input, "samples:")) {
    return absl::StrCat(COLLECTIONS_SAMPLES_DIR, "/", absl::StripPrefix(input, "samples:"));
  }
  return absl::StrCat(COLLECTIONS_CONNECTOR_TESTS_DIR, "/", e.format, "/testdata/",
                      absl::StripPrefix(input, "testdata:"));
}

class SampleE2E : public ::testing::TestWithParam<Expectation> {};

TEST_P(SampleE2E, StoredLedgerMatchesTheExpectation) {
  const Expectation& e = GetParam();
  const Parsed want = ReadExpectation(e);
  const std::string binary =
      absl::StrCat(COLLECTIONS_BUILD_DIR, "/connectors/", e.format, "/collections-", e.format);
  if (!fs::exists(binary)) GTEST_SKIP() << binary << " is not built";
  TempDir dir;
  LoopbackServer server;
  ProcessResult run;
  for (size_t k = 0; k < want.syncs.size(); ++k) {
    const Sync& s = want.syncs[k];
    const std::string input = InputPath(e, s.input);
    if (!fs::exists(input))
      GTEST_SKIP() << input << " not found (see ../shared/samples/SOURCES.md)";
    // A copy, so that checkpoints and quarantine reports stay in the temp dir.
    const std::string copy = dir.File(absl::StrCat(k, "-", fs::path(input).filename().string()));
    fs::copy_file(input, copy);
    std::vector<std::string> argv = {binary, "--server=" + server.address(), "--tenant=acme",
                                     "--file=" + copy, "--progress=never"};
    for (const std::vector<std::string>* list : {&want.flags, &s.flags}) {
      for (const std::string& f : *list) {
        argv.push_back(absl::StrReplaceAll(f, {{"{samples}", COLLECTIONS_SAMPLES_DIR}}));
      }
    }
    run = RunProcess(argv);
  }
  const std::string exit_name(connectors::ExitCodeName(run.exit_code));
  const std::vector<std::string> got = StoredLedgerLines(server.server(), "acme");
  if (std::getenv("COLLECTIONS_WRITE_EXPECTED") != nullptr) {
    std::ofstream out(e.path);
    for (const std::string& h : want.header) out << h << "\n";
    out << "exit " << exit_name << "\n";
    for (const std::string& l : got) out << l << "\n";
    GTEST_SKIP() << "wrote " << e.path;
  }
  EXPECT_EQ(exit_name, want.exit) << run.out << run.err;
  for (const std::string& text : want.says) {
    EXPECT_TRUE(absl::StrContains(run.out + run.err, text))
        << "the run does not say \"" << text << "\":\n"
        << run.out << run.err;
  }
  EXPECT_EQ(absl::StrJoin(got, "\n"), absl::StrJoin(want.ledger, "\n")) << run.out << run.err;
}

std::string TestName(const ::testing::TestParamInfo<Expectation>& info) {
  std::string name = absl::StrCat(info.param.format, "_", info.param.name);
  for (char& c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Connectors, SampleE2E, ::testing::ValuesIn(FindExpectations()), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SampleE2E);

}  // namespace
}  // namespace collections::testing
