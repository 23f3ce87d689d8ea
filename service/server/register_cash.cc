// Creates CashApplicationService for server.cc (see register_services.h).
#include "service/server/register_services.h"

#include <memory>

#include "service/api/cash_service.h"

namespace collections::server {

void AddCashService(const api::ServiceEnv& env, app::CashApp& cash, Services* out) {
  out->push_back(std::make_unique<api::CashService>(env, cash));
}

}  // namespace collections::server
