#include "service/http/api_services.h"

#include <google/protobuf/descriptor.h>

#include "collections_sidecar/v1/arrangements.pb.h"
#include "collections_sidecar/v1/audit.pb.h"
#include "collections_sidecar/v1/cases.pb.h"
#include "collections_sidecar/v1/cash.pb.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "collections_sidecar/v1/letters.pb.h"
#include "collections_sidecar/v1/recovery.pb.h"

namespace collections::http {

namespace v1 = ::collections_sidecar::v1;

const std::vector<std::string>& ApiServiceNames() {
  // Every service of each API file, in file order. Naming a message of each
  // file links it into the binary and its descriptors into the pool.
  static const std::vector<std::string>* names = [] {
    auto* out = new std::vector<std::string>;
    for (const google::protobuf::FileDescriptor* file :
         {v1::GetCustomerRequest::descriptor()->file(), v1::ListEventsRequest::descriptor()->file(),
          v1::GetCaseRequest::descriptor()->file(),
          v1::ListUnappliedCashRequest::descriptor()->file(),
          v1::GetPolicyRequest::descriptor()->file(),
          v1::GetTenantProfileRequest::descriptor()->file(),
          v1::RecordPromiseRequest::descriptor()->file()}) {
      for (int i = 0; i < file->service_count(); ++i) out->push_back(file->service(i)->full_name());
    }
    return out;
  }();
  return *names;
}

}  // namespace collections::http
