// The API's gRPC services, created over the application objects that
// server.cc builds: one function per service family, each defined in a file
// of its own (register_<family>.cc) that includes only its family's
// generated gRPC header. server.cc wires them without including any
// *.grpc.pb.h or the reflection plugin, which made it the slowest file of the
// tree to compile.
#ifndef COLLECTIONS_SERVER_REGISTER_SERVICES_H_
#define COLLECTIONS_SERVER_REGISTER_SERVICES_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <memory>
#include <vector>

#include "service/api/call_support.h"
#include "service/api/stream_support.h"

namespace collections::app {
class ActionChecker;
class ArrangementsApp;
class CasesApp;
class CashApp;
class LedgerApp;
class LettersApp;
class RecoveryApp;
}  // namespace collections::app

namespace collections::server {

// The services a grpc::ServerBuilder registers; each keeps references to
// `env`, `streams` and its app, which must outlive it.
using Services = std::vector<std::unique_ptr<grpc::Service>>;

// LedgerService and AuditService (register_ledger.cc).
void AddLedgerServices(const api::ServiceEnv& env, const api::StreamEnv& streams,
                       app::LedgerApp& ledger, Services* out);
// CaseService (register_cases.cc).
void AddCaseService(const api::ServiceEnv& env, app::CasesApp& cases, Services* out);
// RecoveryService (register_recovery.cc).
void AddRecoveryService(const api::ServiceEnv& env, const api::StreamEnv& streams,
                        app::RecoveryApp& recovery, app::ActionChecker& checker, Services* out);
// LetterService (register_letters.cc).
void AddLetterService(const api::ServiceEnv& env, app::LettersApp& letters, Services* out);
// ArrangementService (register_arrangements.cc).
void AddArrangementService(const api::ServiceEnv& env, app::ArrangementsApp& arrangements,
                           Services* out);
// CashApplicationService (register_cash.cc).
void AddCashService(const api::ServiceEnv& env, app::CashApp& cash, Services* out);

// Server reflection for every server built after this call, grpc.health.v1
// included (register_reflection.cc).
void EnableReflection();

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_REGISTER_SERVICES_H_
