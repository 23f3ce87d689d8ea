// The bad-input corpus (tests/connectors/bad_inputs/, table.txt): every
// file is run through its connector executable against one real
// collectionsd, each in a tenant of its own, and must end with the exit
// code of its row, a report that names the reason and the file:line (or
// "(line N)" for XML) where the problem is, and a tenant that holds nothing
// (or, under --quarantine, exactly the valid invoices).
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "connectors/common/runner.h"
#include "gtest/gtest.h"
#include "tests/connectors/runtime/runtime_test_support.h"
#include "tests/connectors/samples/stored_ledger.h"

namespace collections::testing {
namespace {

namespace fs = std::filesystem;

struct Row {
  std::string file, exit, reason;
  int line = 0;
  int stored = 0;
  std::vector<std::string> flags;
};

std::vector<Row> ReadTable() {
  std::vector<Row> rows;
  std::ifstream in(absl::StrCat(COLLECTIONS_CONNECTOR_TESTS_DIR, "/bad_inputs/table.txt"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> w = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (w.size() < 4) {
      ADD_FAILURE() << "bad table row: " << line;
      continue;
    }
    Row r{w[0], w[1], w[2], 0, 0, {}};
    EXPECT_TRUE(absl::SimpleAtoi(w[3], &r.line)) << line;
    for (size_t k = 4; k < w.size(); ++k) {
      if (absl::StartsWith(w[k], "stored=")) {
        EXPECT_TRUE(absl::SimpleAtoi(w[k].substr(7), &r.stored)) << line;
      } else {
        r.flags.push_back(w[k]);
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

TEST(BadInputs, EachIsRefusedLocatedAndWritesNothing) {
  const std::vector<Row> rows = ReadTable();
  ASSERT_GE(rows.size(), 60u);
  TempDir dir;
  LoopbackServer server;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    SCOPED_TRACE(row.file);
    const std::string format = row.file.substr(0, row.file.find('/'));
    const std::string binary =
        absl::StrCat(COLLECTIONS_BUILD_DIR, "/connectors/", format, "/collections-", format);
    const std::string name = fs::path(row.file).filename().string();
    const std::string copy = dir.File(absl::StrCat(i, "-", name));
    fs::copy_file(absl::StrCat(COLLECTIONS_CONNECTOR_TESTS_DIR, "/bad_inputs/", row.file), copy);
    const std::string tenant = absl::StrCat("bad-", i);
    std::vector<std::string> argv = {binary, "--server=" + server.address(), "--tenant=" + tenant,
                                     "--file=" + copy, "--progress=never"};
    argv.insert(argv.end(), row.flags.begin(), row.flags.end());
    const ProcessResult run = RunProcess(argv);
    const std::string said = run.out + run.err;
    EXPECT_EQ(connectors::ExitCodeName(run.exit_code), row.exit) << said;
    // The rejection line: "<file>:<line>[:col]: ..." or "<file>:<xpath> (line N): ...".
    bool located = false;
    for (absl::string_view l : absl::StrSplit(said, '\n')) {
      if (!absl::StrContains(l, row.reason)) continue;
      const std::string base = absl::StrCat(i, "-", name, ":");
      located = located || absl::StrContains(l, absl::StrCat(base, row.line, ":")) ||
                absl::StrContains(l, absl::StrCat(base, row.line, " ")) ||
                (absl::StrContains(l, base) &&
                 absl::StrContains(l, absl::StrCat("(line ", row.line, ")")));
    }
    EXPECT_TRUE(located) << "no line names " << row.reason << " at line " << row.line << ":\n"
                         << said;
    const std::vector<std::string> stored = StoredLedgerLines(server.server(), tenant);
    int invoices = 0;
    for (const std::string& l : stored) invoices += absl::StartsWith(l, "invoice ");
    if (row.stored == 0 && !absl::c_linear_search(row.flags, "--quarantine")) {
      EXPECT_TRUE(stored.empty()) << absl::StrJoin(stored, "\n");
    } else {
      EXPECT_EQ(invoices, row.stored) << absl::StrJoin(stored, "\n");
    }
  }
}

}  // namespace
}  // namespace collections::testing
