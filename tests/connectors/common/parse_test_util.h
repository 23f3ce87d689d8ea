// Helpers shared by the connector parser tests: collecting what a parser
// emits, locating the public samples, generating large inputs without
// holding them in memory, and reading this process's memory use.
#ifndef COLLECTIONS_TESTS_CONNECTORS_COMMON_PARSE_TEST_UTIL_H_
#define COLLECTIONS_TESTS_CONNECTORS_COMMON_PARSE_TEST_UTIL_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/common/records.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace collections::connectors::testing {

struct Collected {
  absl::Status status;
  std::vector<ParsedRecord> records;
  std::vector<ParseIssue> issues;

  std::string IssuesText() const {
    std::vector<std::string> lines;
    for (const auto& i : issues) lines.push_back(i.ToString());
    return absl::StrJoin(lines, "\n");
  }
  // Records of one kind, in order.
  std::vector<const collections_sidecar::v1::SyncRecord*> Of(
      collections_sidecar::v1::SyncRecord::RecordCase kind) const {
    std::vector<const collections_sidecar::v1::SyncRecord*> out;
    for (const auto& r : records) {
      if (r.record.record_case() == kind) out.push_back(&r.record);
    }
    return out;
  }
};

// Runs `parse(in, on_record, on_issue)` over `in`.
template <typename ParseFn>
Collected Collect(std::istream& in, ParseFn parse) {
  Collected c;
  c.status = parse(
      in, [&](ParsedRecord r) { c.records.push_back(std::move(r)); },
      [&](ParseIssue i) { c.issues.push_back(std::move(i)); });
  return c;
}
template <typename ParseFn>
Collected CollectString(const std::string& text, ParseFn parse) {
  std::istringstream in(text);
  return Collect(in, parse);
}

// The folder of public samples (COLLECTIONS_SAMPLES_DIR), e.g. "…/samples/iif".
inline std::string SampleDir(const std::string& format) {
  return absl::StrCat(COLLECTIONS_SAMPLES_DIR, "/", format);
}
inline bool HaveSamples(const std::string& format) {
  return std::filesystem::is_directory(SampleDir(format));
}
inline std::string SamplePath(const std::string& format, const std::string& name) {
  return absl::StrCat(SampleDir(format), "/", name);
}
inline std::string TestData(const std::string& relative) {
  return absl::StrCat(COLLECTIONS_TESTDATA_DIR, "/", relative);
}
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A read-only stream buffer that produces `header` once, then `body(i)` for
// i = 0, 1, ... until `total_bytes` have been produced, so that a test can
// parse a large input while holding only one chunk of it.
class GeneratedInput : public std::streambuf {
 public:
  GeneratedInput(std::string header, std::function<std::string(int64_t)> body, int64_t total_bytes)
      : chunk_(std::move(header)), body_(std::move(body)), remaining_(total_bytes) {
    Reset();
  }
  int64_t produced() const { return produced_; }
  int64_t chunks() const { return next_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (remaining_ <= 0) return traits_type::eof();
    chunk_.clear();
    while (chunk_.size() < 64 * 1024 && remaining_ - static_cast<int64_t>(chunk_.size()) > 0) {
      chunk_ += body_(next_++);
    }
    Reset();
    return chunk_.empty() ? traits_type::eof() : traits_type::to_int_type(*gptr());
  }

 private:
  void Reset() {
    remaining_ -= static_cast<int64_t>(chunk_.size());
    produced_ += static_cast<int64_t>(chunk_.size());
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
  }
  std::string chunk_;
  std::function<std::string(int64_t)> body_;
  int64_t remaining_;
  int64_t produced_ = 0;
  int64_t next_ = 0;
};

// Size of the generated inputs of the streaming tests: 50 MB, or
// $COLLECTIONS_STREAM_TEST_MB (e.g. 1024 for the 1 GB benchmark run).
inline int64_t StreamTestBytes() {
  int64_t mb = 50;
  if (const char* env = std::getenv("COLLECTIONS_STREAM_TEST_MB")) {
    if (!absl::SimpleAtoi(env, &mb) || mb <= 0) mb = 50;
  }
  return mb << 20;
}

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1.
inline int64_t ProcStatusKb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      int64_t kb = -1;
      std::string digits;
      for (char c : line.substr(key.size() + 1)) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      if (absl::SimpleAtoi(digits, &kb)) return kb;
    }
  }
  return -1;
}

inline collections_sidecar::v1::Date ProtoDay(int year, int month, int day) {
  collections_sidecar::v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}
inline collections_sidecar::v1::Money ProtoMoney(const std::string& currency, int64_t minor) {
  collections_sidecar::v1::Money m;
  m.set_currency_code(currency);
  m.set_minor_units(minor);
  return m;
}

// Round-trip check: `got` (as parsed back) equals `want` apart from its
// source location.
inline void ExpectSameRecord(const collections_sidecar::v1::SyncRecord& want,
                             collections_sidecar::v1::SyncRecord got) {
  got.clear_source_location();
  google::protobuf::util::MessageDifferencer diff;
  std::string report;
  diff.ReportDifferencesToString(&report);
  EXPECT_TRUE(diff.Compare(want, got)) << report;
}

// What a streaming run over generated input cost.
struct StreamMeasure {
  absl::Status status;
  int64_t records = 0;
  int64_t issues = 0;
  int64_t bytes = 0;
  double seconds = 0;
  // Process CPU time, which a loaded machine does not inflate the way it
  // inflates wall time.
  double cpu_seconds = 0;
  int64_t rss_before_kb = 0;
  int64_t rss_max_kb = 0;  // sampled every 10000 records and at the end

  int64_t growth_kb() const { return rss_max_kb - rss_before_kb; }
  void Print(const std::string& what) const {
    std::printf(
        "[ measure ] %s: %.1f MB, %lld records in %.2f s wall, %.2f s CPU = "
        "%.1f MB/s per CPU second, %.0f records/s; "
        "RSS before %lld kB, max during %lld kB (growth %lld kB)\n",
        what.c_str(), bytes / 1048576.0, static_cast<long long>(records), seconds, cpu_seconds,
        bytes / 1048576.0 / cpu_seconds, records / cpu_seconds,
        static_cast<long long>(rss_before_kb), static_cast<long long>(rss_max_kb),
        static_cast<long long>(growth_kb()));
  }
};

// Runs `parse(in, on_record, on_issue)` over `source`, passing every record
// to `inspect` and sampling this process's RSS as it goes.
template <typename ParseFn>
StreamMeasure MeasureStreaming(GeneratedInput& source, ParseFn parse,
                               const std::function<void(const ParsedRecord&)>& inspect) {
  StreamMeasure m;
  std::istream in(&source);
  m.rss_before_kb = m.rss_max_kb = ProcStatusKb("VmRSS");
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  m.status = parse(
      in,
      [&](ParsedRecord r) {
        inspect(r);
        if (++m.records % 10000 == 0) m.rss_max_kb = std::max(m.rss_max_kb, ProcStatusKb("VmRSS"));
      },
      [&](ParseIssue) { ++m.issues; });
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  m.rss_max_kb = std::max(m.rss_max_kb, ProcStatusKb("VmRSS"));
  m.bytes = source.produced();
  return m;
}

}  // namespace collections::connectors::testing

#endif  // COLLECTIONS_TESTS_CONNECTORS_COMMON_PARSE_TEST_UTIL_H_
