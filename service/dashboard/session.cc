#include "service/dashboard/session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"

namespace collections::dashboard {

std::string RandomToken() {
  unsigned char bytes[32];
  // Without randomness no session can be safe: stop rather than guess.
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

SessionStore::SessionStore(SessionLimits limits, std::function<absl::Time()> now)
    : limits_(limits), now_(std::move(now)) {}

bool SessionStore::Expired(const Session& s, absl::Time now) const {
  return now - s.last_seen > limits_.idle || now - s.created > limits_.lifetime;
}

Session SessionStore::Create(absl::string_view bearer) {
  const absl::Time now = now_();
  Session s{RandomToken(), RandomToken(), std::string(bearer), now, now};
  absl::MutexLock l(&mu_);
  if (static_cast<int>(sessions_.size()) >= limits_.max_sessions) {
    std::erase_if(sessions_, [&](const auto& kv) { return Expired(kv.second, now); });
  }
  while (!sessions_.empty() && static_cast<int>(sessions_.size()) >= limits_.max_sessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_seen < oldest->second.last_seen) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[s.id] = s;
  return s;
}

std::optional<Session> SessionStore::Find(absl::string_view id) {
  const absl::Time now = now_();
  absl::MutexLock l(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

void SessionStore::Remove(absl::string_view id) {
  absl::MutexLock l(&mu_);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) sessions_.erase(it);
}

bool SessionStore::CsrfMatches(const Session& session, absl::string_view given) {
  return given.size() == session.csrf.size() &&
         CRYPTO_memcmp(given.data(), session.csrf.data(), given.size()) == 0;
}

}  // namespace collections::dashboard
