// JSON string escaping for the server's one-line JSON logs.
#ifndef COLLECTIONS_API_JSON_TEXT_H_
#define COLLECTIONS_API_JSON_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace collections::api {

// `s` escaped for use inside a JSON string literal (quotes, backslashes and
// control characters).
std::string JsonEscape(absl::string_view s);

}  // namespace collections::api

#endif  // COLLECTIONS_API_JSON_TEXT_H_
