// End-to-end sample tests for the bank and bookkeeping connectors (MT940,
// OFX, DATEV): what a parser made of a whole sample file, as one line per
// record and issue, compared with an expectation file written by reading the
// sample (tests/connectors/<format>/expected/<sample>.txt). Each line names
// the fields that matter ("payment line=5 amount=EUR 65.00 date=2020-02-19
// payer=\"Olivia Dorn\" ..."), so a difference reads as the field that
// changed. Lines starting with '#' are comments.
//
// COLLECTIONS_WRITE_EXPECTED=1 writes the files from the parser's output
// instead of comparing (for a new sample; review the result against the
// sample before committing it).
#ifndef COLLECTIONS_TESTS_CONNECTORS_COMMON_EXPECTED_RECORDS_H_
#define COLLECTIONS_TESTS_CONNECTORS_COMMON_EXPECTED_RECORDS_H_

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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
#include "connectors/common/records.h"
#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::connectors::testing {

inline std::string Quoted(const std::string& s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}),
                      "\"");
}
inline std::string MoneyText(const collections_sidecar::v1::Money& m) {
  return absl::StrCat(m.currency_code(), " ",
                      domain::FormatDecimal(m.minor_units(), m.currency_code()));
}
inline std::string DateText(const collections_sidecar::v1::Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year(), d.month(), d.day());
  return buf;
}

// One line per record: its kind, source line and fields.
inline std::string RecordLine(const ParsedRecord& r) {
  const collections_sidecar::v1::SyncRecord& rec = r.record;
  std::vector<std::string> f;
  f.push_back(absl::StrCat("line=", r.where.line));
  if (!rec.customer_ref().empty())
    f.push_back(absl::StrCat("customer=", Quoted(rec.customer_ref())));
  switch (rec.record_case()) {
    case collections_sidecar::v1::SyncRecord::kPayment: {
      const auto& p = rec.payment();
      f.push_back(absl::StrCat("amount=", MoneyText(p.amount())));
      f.push_back(absl::StrCat("date=", DateText(p.received_date())));
      if (p.reversal()) f.push_back("reversal");
      f.push_back(
          absl::StrCat("method=", collections_sidecar::v1::Payment::Method_Name(p.method())));
      f.push_back(absl::StrCat("id=", Quoted(p.external_ref().id())));
      f.push_back(absl::StrCat("account=", Quoted(p.account_id())));
      f.push_back(absl::StrCat("payer=", Quoted(p.payer_name())));
      f.push_back(absl::StrCat("payer_ref=", Quoted(p.payer_reference())));
      f.push_back(absl::StrCat("bank_ref=", Quoted(p.bank_reference())));
      f.push_back(absl::StrCat("text=", Quoted(p.remittance_text())));
      for (const auto& c : p.creditor_references()) f.push_back(absl::StrCat("ref=", Quoted(c)));
      if (p.has_instructed_amount())
        f.push_back(absl::StrCat("instructed=", MoneyText(p.instructed_amount())));
      for (const auto& a : p.allocations()) {
        f.push_back(absl::StrCat("alloc=", Quoted(a.invoice_number()), ":", MoneyText(a.amount())));
      }
      return absl::StrCat("payment ", absl::StrJoin(f, " "));
    }
    case collections_sidecar::v1::SyncRecord::kInvoice: {
      const auto& i = rec.invoice();
      f.push_back(absl::StrCat("number=", Quoted(i.number())));
      f.push_back(absl::StrCat("total=", MoneyText(i.total())));
      f.push_back(absl::StrCat("issued=", DateText(i.issue_date())));
      f.push_back(absl::StrCat("due=", DateText(i.due_date())));
      f.push_back(absl::StrCat("id=", Quoted(i.external_ref().id())));
      if (!i.lines().empty()) f.push_back(absl::StrCat("text=", Quoted(i.lines(0).description())));
      return absl::StrCat("invoice ", absl::StrJoin(f, " "));
    }
    case collections_sidecar::v1::SyncRecord::kCreditNote: {
      const auto& c = rec.credit_note();
      f.push_back(absl::StrCat("number=", Quoted(c.number())));
      f.push_back(absl::StrCat("amount=", MoneyText(c.amount())));
      if (!c.invoice_number().empty())
        f.push_back(absl::StrCat("credits=", Quoted(c.invoice_number())));
      f.push_back(absl::StrCat("issued=", DateText(c.issue_date())));
      f.push_back(absl::StrCat("id=", Quoted(c.external_ref().id())));
      for (const auto& a : c.allocations()) {
        f.push_back(absl::StrCat("alloc=", Quoted(a.invoice_number()), ":", MoneyText(a.amount())));
      }
      return absl::StrCat("credit_note ", absl::StrJoin(f, " "));
    }
    case collections_sidecar::v1::SyncRecord::kCustomer: {
      const auto& c = rec.customer();
      f.push_back(absl::StrCat("id=", Quoted(c.external_ref().id())));
      f.push_back(absl::StrCat("name=", Quoted(c.display_name())));
      f.push_back(absl::StrCat("kind=", collections_sidecar::v1::CustomerKind_Name(c.kind())));
      if (!c.country_code().empty()) f.push_back(absl::StrCat("country=", c.country_code()));
      for (const auto& contact : c.contacts()) {
        for (const auto& ch : contact.channels())
          f.push_back(absl::StrCat("contact=", Quoted(ch.address())));
      }
      return absl::StrCat("customer ", absl::StrJoin(f, " "));
    }
    default:
      return absl::StrCat("record ", rec.ShortDebugString());
  }
}

inline std::string IssueLine(const ParseIssue& i) {
  return absl::StrCat("issue line=", i.where.line, " field=", i.field, " reason=", i.reason);
}

// The expectation lines of one parse: its status, the parser's counts
// (`stats`, one line), every record and every issue.
inline std::vector<std::string> ParseLines(const absl::Status& status, const std::string& stats,
                                           const std::vector<ParsedRecord>& records,
                                           const std::vector<ParseIssue>& issues) {
  std::vector<std::string> lines;
  lines.push_back(status.ok() ? "status OK" : absl::StrCat("status ", domain::ReasonOf(status)));
  lines.push_back(absl::StrCat("stats ", stats));
  for (const ParsedRecord& r : records) lines.push_back(RecordLine(r));
  for (const ParseIssue& i : issues) lines.push_back(IssueLine(i));
  return lines;
}

// Runs `check(path, name)` on every sample file of `format` (SOURCES.md and
// other .md files aside) and returns how many there were.
template <typename CheckFn>
int ForEachSample(const std::string& format, CheckFn check) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat(COLLECTIONS_SAMPLES_DIR, "/", format))) {
    std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".md")) continue;
    ++files;
    SCOPED_TRACE(name);
    check(entry.path().string(), name);
  }
  return files;
}

// For the bad-input corpora, testdata/bad/<REASON>[_what].<ext>: calls
// `check(path, name)` on every file, and expects the file's REASON among
// the reasons of what `check` returns (the input's error or an issue), and
// every issue located and explained. Returns the number of files.
struct BadInputResult {
  absl::Status status;
  std::vector<ParseIssue> issues;
};
template <typename CheckFn>
int ForEachBadInput(CheckFn check) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat(COLLECTIONS_TESTDATA_DIR, "/bad"))) {
    ++files;
    std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    std::string reason = name.substr(0, name.find('.'));
    for (size_t i = 0; i + 1 < reason.size(); ++i) {
      if (reason[i] == '_' && reason[i + 1] >= 'a' && reason[i + 1] <= 'z') {
        reason.resize(i);
        break;
      }
    }
    BadInputResult got = check(entry.path().string(), name);
    std::vector<std::string> reasons;
    if (!got.status.ok()) {
      reasons.push_back(domain::ReasonOf(got.status));
      EXPECT_TRUE(absl::StrContains(got.status.ToString(), name + ":")) << got.status;
    }
    for (const ParseIssue& i : got.issues) {
      reasons.push_back(i.reason);
      EXPECT_GT(i.where.line, 0) << i.ToString();
      EXPECT_FALSE(i.description.empty()) << i.ToString();
    }
    EXPECT_NE(std::find(reasons.begin(), reasons.end(), reason), reasons.end())
        << "got: " << absl::StrJoin(reasons, ", ") << " " << got.status;
  }
  return files;
}

// Compares `actual` lines with the expectation file, or writes it when
// COLLECTIONS_WRITE_EXPECTED=1.
inline void ExpectMatchesFile(const std::vector<std::string>& actual, const std::string& path,
                              const std::string& header) {
  const char* write = std::getenv("COLLECTIONS_WRITE_EXPECTED");
  if (write != nullptr && std::string(write) == "1") {
    std::ofstream out(path, std::ios::binary);
    out << header;
    for (const auto& l : actual) out << l << "\n";
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "no expectation file " << path;
  std::vector<std::string> expected;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    expected.push_back(line);
  }
  for (size_t k = 0; k < std::max(expected.size(), actual.size()); ++k) {
    std::string want = k < expected.size() ? expected[k] : "<nothing>";
    std::string got = k < actual.size() ? actual[k] : "<nothing>";
    EXPECT_EQ(want, got) << path << " entry " << k + 1;
  }
}

}  // namespace collections::connectors::testing

#endif  // COLLECTIONS_TESTS_CONNECTORS_COMMON_EXPECTED_RECORDS_H_
