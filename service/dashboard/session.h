// Dashboard sessions: signing in with an API token starts one, held in this
// process's memory only (a restart signs everyone out). The browser holds
// only the session id, in a cookie that scripts cannot read (HttpOnly),
// that no other site's request carries (SameSite=Strict), and that is sent
// only over TLS when the dashboard is (Secure). The token itself stays on
// the server, where every request verifies it again, so revoking a token
// ends its sessions at the next click.
//
// Each session has its own CSRF token (the synchronizer-token pattern):
// every form carries it and every write compares it in constant time.
// Sessions end after `idle` without a request, after `lifetime` in any case,
// or on sign-out. Thread-safe.
#ifndef COLLECTIONS_DASHBOARD_SESSION_H_
#define COLLECTIONS_DASHBOARD_SESSION_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace collections::dashboard {

struct Session {
  std::string id;      // 256 random bits, hex; the cookie's value
  std::string csrf;    // 256 random bits, hex; a hidden field of every form
  std::string bearer;  // the API token signed in with (never sent back)
  absl::Time created;
  absl::Time last_seen;
};

struct SessionLimits {
  absl::Duration idle = absl::Minutes(30);
  absl::Duration lifetime = absl::Hours(12);
  // Beyond this many live sessions, the least recently used one ends.
  int max_sessions = 10000;
};

class SessionStore {
 public:
  // `now` is wall-clock time (not the service's business clock, which a demo
  // may fix on one day).
  explicit SessionStore(
      SessionLimits limits = {}, std::function<absl::Time()> now = [] { return absl::Now(); });

  // A new session for `bearer`.
  Session Create(absl::string_view bearer);
  // The live session with this id (and marks it used), or nullopt when it
  // is unknown or expired (an expired one is removed).
  std::optional<Session> Find(absl::string_view id);
  void Remove(absl::string_view id);

  // True when `given` equals the session's CSRF token (constant time).
  static bool CsrfMatches(const Session& session, absl::string_view given);

 private:
  bool Expired(const Session& s, absl::Time now) const;

  const SessionLimits limits_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  std::map<std::string, Session, std::less<>> sessions_ ABSL_GUARDED_BY(mu_);
};

// 256 random bits from OpenSSL as 64 hex digits.
std::string RandomToken();

}  // namespace collections::dashboard

#endif  // COLLECTIONS_DASHBOARD_SESSION_H_
