// collections-openapi: writes the OpenAPI description of the JSON-over-HTTP
// API (openapi.h) for the services named on the command line, or for every
// application service when none is named. Run by the build:
//   collections-openapi --out build/openapi.json
// Exits 1, naming the method, when an annotation is malformed.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "service/http/api_services.h"
#include "service/http/http_rules.h"
#include "service/http/openapi.h"

int main(int argc, char** argv) {
  std::string out_path;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "usage: %s [--out FILE] [SERVICE_FULL_NAME...]\n", argv[0]);
      return 2;
    } else {
      names.push_back(arg);
    }
  }
  if (names.empty()) names = collections::http::ApiServiceNames();
  auto services = collections::http::FindServices(names);
  if (!services.ok()) {
    std::fprintf(stderr, "collections-openapi: %s\n", services.status().ToString().c_str());
    return 1;
  }
  auto routes = collections::http::RouteTable::Build(*services);
  if (!routes.ok()) {
    std::fprintf(stderr, "collections-openapi: %s\n", routes.status().ToString().c_str());
    return 1;
  }
  const std::string doc = collections::http::OpenApiDocument(*routes);
  if (out_path.empty()) {
    std::fputs(doc.c_str(), stdout);
    return 0;
  }
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << doc;
  return out.good() ? 0 : 1;
}
