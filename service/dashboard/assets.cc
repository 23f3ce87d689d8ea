#include "service/dashboard/assets.h"

namespace collections::dashboard {

const Asset* FindAsset(absl::string_view name) {
  for (const Asset& a : Assets()) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

}  // namespace collections::dashboard
