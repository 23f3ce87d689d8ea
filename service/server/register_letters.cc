// Creates LetterService for server.cc (see register_services.h).
#include "service/server/register_services.h"

#include <memory>

#include "service/api/letter_service.h"

namespace collections::server {

void AddLetterService(const api::ServiceEnv& env, app::LettersApp& letters, Services* out) {
  out->push_back(std::make_unique<api::LetterService>(env, letters));
}

}  // namespace collections::server
