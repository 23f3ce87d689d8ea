// collectionsd's command-line flags for the production features (auth, TLS,
// rate limits, metrics endpoint), kept apart from main.cc's core flags.
#ifndef COLLECTIONS_SERVER_PRODUCTION_FLAGS_H_
#define COLLECTIONS_SERVER_PRODUCTION_FLAGS_H_

#include "service/server/production.h"

namespace collections::server {

// The ProductionOptions given on the command line (after ParseCommandLine).
ProductionOptions ProductionOptionsFromFlags();

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_PRODUCTION_FLAGS_H_
