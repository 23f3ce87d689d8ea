// The dashboard's static files, built into collectionsd so that it serves
// them with no CDN and nothing installed beside it: our stylesheet and
// script (service/dashboard/assets/) and the chart library built by npm
// (service/dashboard/web, `npm ci && npm run build`, run by
// deploy/install.sh). The bytes are embedded at build time by
// embed_assets.cmake.
#ifndef COLLECTIONS_DASHBOARD_ASSETS_H_
#define COLLECTIONS_DASHBOARD_ASSETS_H_

#include <cstddef>
#include <vector>
#include "absl/strings/string_view.h"

namespace collections::dashboard {

struct Asset {
  const char* name;  // the path under /dashboard/assets/
  const char* content_type;
  const unsigned char* data;
  size_t size;
  // True when the file was not there at build time (the npm build step was
  // not run); the dashboard then says so instead of drawing a chart.
  bool missing;
};

// Every embedded asset.
const std::vector<Asset>& Assets();

// The asset named `name`, or null.
const Asset* FindAsset(absl::string_view name);

}  // namespace collections::dashboard

#endif  // COLLECTIONS_DASHBOARD_ASSETS_H_
