// Status propagation macros. Abseil 20220623 ships none, so the project has
// its own, and every file uses these. Besides include guards, the only other
// macro is PREPARE_OR_RETURN, a shorthand built on ASSIGN_OR_RETURN that
// only the SQLite backend's files use (service/store/sqlite/sqlite_internal.h).
#ifndef COLLECTIONS_BASE_STATUS_MACROS_H_
#define COLLECTIONS_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define COLLECTIONS_CONCAT_INNER_(a, b) a##b
#define COLLECTIONS_CONCAT_(a, b) COLLECTIONS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      return _st;                               \
    }                                           \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, FunctionReturningStatusOr());`
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(COLLECTIONS_CONCAT_(_statusor_, __LINE__), lhs, rexpr)
// `var` is a name and `lhs` a declaration ("auto x"): neither can be
// parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ASSIGN_OR_RETURN_IMPL_(var, lhs, rexpr)  \
  auto var = (rexpr);                            \
  if (!var.ok()) return std::move(var).status(); \
  lhs = *std::move(var)
// NOLINTEND(bugprone-macro-parentheses)

#endif  // COLLECTIONS_BASE_STATUS_MACROS_H_
