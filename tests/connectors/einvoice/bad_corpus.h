// The bad-input corpora of the e-invoice connectors: every file in a
// folder is named after the reason it must be refused with
// ("TOTALS_INCONSISTENT.xml", "INVALID_AMOUNT-line-decimals.xml": the part
// before the first '-' or '.'), and the test asserts that the parser
// refuses it with that reason, either as the error of the whole input or as
// an issue, and that it emits no record.
#ifndef COLLECTIONS_TESTS_CONNECTORS_EINVOICE_BAD_CORPUS_H_
#define COLLECTIONS_TESTS_CONNECTORS_EINVOICE_BAD_CORPUS_H_

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/domain/errors.h"
#include "tests/connectors/common/parse_test_util.h"

namespace collections::connectors::testing {

using ParseWith = std::function<absl::Status(std::istream&, const std::string& name, const RecordSink&,
                                             const IssueSink&)>;

inline void ExpectBadCorpusRefused(const std::string& dir, const ParseWith& parse) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 5u) << dir;
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    const std::string want = name.substr(0, name.find_first_of("-."));
    std::ifstream in(path, std::ios::binary);
    Collected c = Collect(in, [&](std::istream& s, auto on_record, auto on_issue) {
      return parse(s, name, on_record, on_issue);
    });
    std::vector<std::string> got;
    if (!c.status.ok()) got.push_back(domain::ReasonOf(c.status));
    for (const auto& i : c.issues) {
      got.push_back(i.reason);
      EXPECT_GT(i.where.line, 0) << name << ": issue not located: " << i.ToString();
    }
    EXPECT_NE(std::find(got.begin(), got.end(), want), got.end())
        << name << ": expected " << want << ", got status " << c.status << " and issues\n"
        << c.IssuesText();
    EXPECT_TRUE(c.records.empty()) << name << ": " << c.records.size() << " records emitted";
  }
}

}  // namespace collections::connectors::testing

#endif  // COLLECTIONS_TESTS_CONNECTORS_EINVOICE_BAD_CORPUS_H_
