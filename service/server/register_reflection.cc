// Server reflection (register_services.h): the reflection plugin and its
// generated service stay out of server.cc.
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include "grpc/health/v1/health.pb.h"
#include "service/server/register_services.h"

namespace collections::server {

void EnableReflection() {
  // gRPC's built-in health service parses its messages without C++
  // descriptors, so reflection answered "Symbol not found" for
  // grpc.health.v1.Health. Naming a message of our copy of the protocol links
  // its descriptor into the generated pool, where reflection looks.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
}

}  // namespace collections::server
