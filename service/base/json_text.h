// The server's log: every line on stderr is one JSON object with "ts"
// (RFC 3339, UTC), "level", "msg" and the line's own fields, status codes
// as names ("NOT_FOUND"), so a log shipper needs no other parser.
#ifndef COLLECTIONS_BASE_JSON_TEXT_H_
#define COLLECTIONS_BASE_JSON_TEXT_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace collections::base {

// `s` escaped for use inside a JSON string literal (quotes, backslashes and
// control characters).
std::string JsonEscape(absl::string_view s);

enum class LogLevel { kInfo, kWarning, kError };

// A field value of a log line: a string (escaped), an integer or a bool.
class LogValue {
 public:
  LogValue(absl::string_view s);  // NOLINT: implicit, as fields are written inline
  LogValue(const char* s) : LogValue(absl::string_view(s)) {}         // NOLINT
  LogValue(const std::string& s) : LogValue(absl::string_view(s)) {}  // NOLINT
  LogValue(int v);                                                    // NOLINT
  LogValue(int64_t v);                                                // NOLINT
  LogValue(bool v);                                                   // NOLINT
  const std::string& json() const { return json_; }

 private:
  std::string json_;
};

using LogFields = std::initializer_list<std::pair<absl::string_view, LogValue>>;

// One log line: {"ts":...,"level":...,"msg":<msg>,<fields>...}. The fields
// follow "msg" in the order given.
std::string FormatLogLine(LogLevel level, absl::string_view msg, LogFields fields = {});

// Writes FormatLogLine(...) to stderr in one write and flushes it.
// Thread-safe (one fwrite per line).
void WriteLog(LogLevel level, absl::string_view msg, LogFields fields = {});

// The level of a call's log line by its gRPC status code (same numbers as
// absl::StatusCode): info for OK, error for what the server must fix
// (UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS, UNAVAILABLE,
// DEADLINE_EXCEEDED), warning for the caller's errors.
LogLevel LevelOfCode(int code);

// The name of a gRPC status code, e.g. "NOT_FOUND".
std::string CodeName(int code);

}  // namespace collections::base

#endif  // COLLECTIONS_BASE_JSON_TEXT_H_
