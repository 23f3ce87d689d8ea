// The application services of collectionsd by full name, in one place: the
// server marks them in gRPC health, the HTTP transcoder reads their routes,
// and the OpenAPI generator documents them. A test compares the list with
// the services the gRPC server registers.
#ifndef COLLECTIONS_HTTP_API_SERVICES_H_
#define COLLECTIONS_HTTP_API_SERVICES_H_

#include <string>
#include <vector>

namespace collections::http {

// "collections_sidecar.v1.LedgerService", ...
const std::vector<std::string>& ApiServiceNames();

}  // namespace collections::http

#endif  // COLLECTIONS_HTTP_API_SERVICES_H_
