// A small ledger workload and a gRPC client for it, shared by the scale-out
// tests (replicas_test, migrate_tenant_test): kCustomers customers with
// kInvoices invoices each, synced by SyncLedger, and three payments per
// customer whose effect does not depend on the order in which they land.
#ifndef COLLECTIONS_TESTS_STORE_LEDGER_WORKLOAD_H_
#define COLLECTIONS_TESTS_STORE_LEDGER_WORKLOAD_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collections_sidecar/v1/audit.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;

inline constexpr int kCustomers = 4;
inline constexpr int kInvoices = 3;  // per customer
inline constexpr char kParent[] = "tenants/acme";

std::string CustomerId(int c);    // "C-<c>"
std::string CustomerName(int c);  // "tenants/acme/customers/C-<c>"

// Customers in chunk 0; their invoices in chunks 1 (first half of the
// customers) and 2 (the rest).
std::vector<v1::SyncLedgerRequest> LedgerStream(const std::string& sync_id);

// Per customer c:
//   TX-c-0  5000, default allocation (oldest due first: all on INV-c-0);
//   TX-c-1  2000 on INV-c-2;          both by RecordPayment, request ids rp-c-0/1;
//   TX-c-2  1500 on INV-c-1, a bank payment synced by external reference.
// No two of them touch the same invoice, so any order gives the same ledger.
struct Operation {
  enum Kind { kRecordPayment, kSyncPayment } kind;
  int customer;
  v1::Payment payment;
  std::string request_id;  // kRecordPayment only
};
std::vector<Operation> PaymentOperations();

// The client side of one server.
class LedgerClient {
 public:
  explicit LedgerClient(std::shared_ptr<grpc::Channel> channel);

  grpc::Status Sync(const std::vector<v1::SyncLedgerRequest>& chunks, v1::SyncLedgerResponse* out);
  // Runs one payment operation (SyncPayment under `sync_id`). `answer` gets
  // RecordPayment's serialized response, or the synced record's name; a
  // rejected sync record is an INTERNAL error.
  grpc::Status Run(const Operation& op, const std::string& sync_id, std::string* answer);

  v1::AccountSummary Summary(int c);  // as of 2026-11-20
  // name -> (status, amount due) of every invoice.
  std::map<std::string, std::pair<int, int64_t>> Invoices();
  v1::ListInvoicesResponse ListInvoices();
  std::vector<v1::Payment> Payments(int c);
  std::vector<v1::Event> Events();  // the whole log, in order
  v1::AuditService::Stub& audit() { return *audit_; }

 private:
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

// (type, resource) of every event, sorted: what the log holds regardless of
// the order in which concurrent clients produced it.
std::vector<std::string> EventContent(const std::vector<v1::Event>& events);

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_STORE_LEDGER_WORKLOAD_H_
