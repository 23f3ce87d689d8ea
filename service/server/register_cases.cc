// Creates CaseService for server.cc (see register_services.h).
#include "service/server/register_services.h"

#include <memory>

#include "service/api/case_service.h"

namespace collections::server {

void AddCaseService(const api::ServiceEnv& env, app::CasesApp& cases, Services* out) {
  out->push_back(std::make_unique<api::CaseService>(env, cases));
}

}  // namespace collections::server
