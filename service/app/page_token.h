// Page tokens for every List* method that pages (AIP-158). A token is opaque
// to clients and bound to the request that returned it: it carries the last
// key of the previous page and a hash of that request with page_size and
// page_token cleared, i.e. of its parent and every filter. Reusing a token
// with another parent or other filters, or a token altered in transit, is
// INVALID_ARGUMENT (reason INVALID_PAGE_TOKEN, field page_token), so a client
// cannot silently page through a different list than the one it started.
//
// The checksum guards against accidents, not forgery: a forged token can
// only move the cursor inside a list the caller may read anyway (tenant
// access is checked on the parent, not on the token).
#ifndef COLLECTIONS_APP_PAGE_TOKEN_H_
#define COLLECTIONS_APP_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"

namespace collections::app {

// The key after which the requested page starts: "" for the first page (no
// page_token), else the key NextPageToken stored. INVALID_ARGUMENT
// INVALID_PAGE_TOKEN when the token was not returned for a request with this
// request's parent and filters, or is not a token at all. `request` must
// have a string field page_token. `not_filters` names further fields that
// shape the answer but not the list (e.g. omit_history) and may change
// between pages; pass the same to NextPageToken.
absl::StatusOr<std::string> PageStart(const google::protobuf::Message& request,
                                      absl::Span<const char* const> not_filters = {});

// The next_page_token to return with a page of `request` whose last key is
// `last_key`.
std::string NextPageToken(const google::protobuf::Message& request, absl::string_view last_key,
                          absl::Span<const char* const> not_filters = {});

}  // namespace collections::app

#endif  // COLLECTIONS_APP_PAGE_TOKEN_H_
