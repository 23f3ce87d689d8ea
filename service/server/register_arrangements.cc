// Creates ArrangementService for server.cc (see register_services.h).
#include "service/server/register_services.h"

#include <memory>

#include "service/api/arrangement_service.h"

namespace collections::server {

void AddArrangementService(const api::ServiceEnv& env, app::ArrangementsApp& arrangements,
                           Services* out) {
  out->push_back(std::make_unique<api::ArrangementService>(env, arrangements));
}

}  // namespace collections::server
