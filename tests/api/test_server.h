// A real collectionsd server for end-to-end tests: a fresh SQLite store in a
// temporary file, a fixed clock, stubs over the in-process channel, and
// builders for valid records.
#ifndef COLLECTIONS_TESTS_API_TEST_SERVER_H_
#define COLLECTIONS_TESTS_API_TEST_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collections_sidecar/v1/audit.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/base/dates.h"
#include "service/server/server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;

class TestServer {
 public:
  // Wraps the store the server opens (a store::FaultyStore, ...).
  using StoreDecorator =
      std::function<std::unique_ptr<store::Store>(std::unique_ptr<store::Store>)>;

  // Changes the options the server starts with.
  using Configure = std::function<void(server::ServerOptions&)>;

  // Starts a server on a new temporary SQLite file, with the clock fixed at
  // `now`. `listen` empty = in-process only. `decorate`, when set, wraps the
  // store before the server uses it; `configure`, when set, edits the options.
  explicit TestServer(absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12, 0, 0),
                                                       absl::UTCTimeZone()),
                      std::string listen = "", StoreDecorator decorate = nullptr,
                      Configure configure = nullptr);
  ~TestServer();

  server::Server& server() { return *server_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  v1::LedgerService::Stub& ledger() { return *ledger_; }
  v1::AuditService::Stub& audit() { return *audit_; }
  domain::FixedClock& clock() { return clock_; }
  const std::string& db_path() const { return db_path_; }

  // Number of audit events of `tenant` (for "nothing was written" checks).
  int EventCount(const std::string& tenant = "acme");

 private:
  domain::FixedClock clock_;
  std::string dir_;
  std::string db_path_;
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

// Record builders (tenant "acme", source system "erp").
v1::Date D(int y, int m, int d);
v1::Money M(const std::string& ccy, int64_t minor);
v1::Customer MakeCustomer(const std::string& ext_id, const std::string& name,
                          v1::CustomerKind kind = v1::CUSTOMER_KIND_BUSINESS);
v1::Invoice MakeInvoice(const std::string& number, v1::Date issue, v1::Date due,
                        const std::string& ccy, int64_t total);
v1::Payment MakePayment(const std::string& ext_id, const std::string& ccy, int64_t amount,
                        v1::Date received);

// Syncs `recs` as one SyncLedger chunk of run `sync_id` under `parent`
// ("tenants/acme"), expecting the call itself to succeed.
v1::SyncLedgerResponse SyncChunk(TestServer& srv, const std::string& parent,
                                 const std::string& sync_id,
                                 const std::vector<v1::SyncRecord>& recs);
// Creates (or updates) a customer of tenant "acme" through the ledger API
// and returns its resource name; a failure fails the test.
std::string SeedCustomer(TestServer& srv, const v1::Customer& customer);
// Adds an invoice to `customer` (a resource name); a failure fails the test.
void SeedInvoice(TestServer& srv, const std::string& customer, const v1::Invoice& invoice);

// The outbox actions a live RunCollections wrote: its reply names only the
// sequence range, read here with StreamActions (empty when it wrote none).
std::vector<v1::OutboxAction> ActionsOfRun(v1::RecoveryService::Stub& recovery,
                                           const std::string& parent,
                                           const v1::RunCollectionsResponse& run);

// The machine reason and first field violation of a failed call.
std::string ReasonOf(const grpc::Status& st);
std::string FieldOf(const grpc::Status& st);

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_API_TEST_SERVER_H_
