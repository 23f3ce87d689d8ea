// Creates RecoveryService for server.cc (see register_services.h).
#include "service/server/register_services.h"

#include <memory>

#include "service/api/recovery_service.h"

namespace collections::server {

void AddRecoveryService(const api::ServiceEnv& env, const api::StreamEnv& streams,
                        app::RecoveryApp& recovery, app::ActionChecker& checker, Services* out) {
  out->push_back(std::make_unique<api::RecoveryService>(env, recovery, checker, streams));
}

}  // namespace collections::server
