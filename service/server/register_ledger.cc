// Creates LedgerService and AuditService for server.cc (see register_services.h).
#include "service/server/register_services.h"

#include <memory>

#include "service/api/ledger_service.h"

namespace collections::server {

void AddLedgerServices(const api::ServiceEnv& env, const api::StreamEnv& streams,
                       app::LedgerApp& ledger, Services* out) {
  out->push_back(std::make_unique<api::LedgerService>(env, ledger));
  out->push_back(std::make_unique<api::AuditService>(env, ledger, streams));
}

}  // namespace collections::server
