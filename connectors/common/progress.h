// A one-line progress bar for long connector runs, drawn on stderr only when
// stderr is a terminal: a cron job or a pipe gets no control characters in
// its logs. Redraws at most ten times a second, so calling Update() once
// per record costs a clock read. Not thread-safe.
#ifndef COLLECTIONS_CONNECTORS_COMMON_PROGRESS_H_
#define COLLECTIONS_CONNECTORS_COMMON_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace collections::connectors {

enum class ProgressMode { kAuto, kAlways, kNever };

// True when a progress bar should be drawn on `stream` in `mode`: kAuto
// draws only on a terminal (isatty).
bool ProgressEnabled(ProgressMode mode, std::FILE* stream = stderr);

class ProgressBar {
 public:
  // `label` names the phase ("validate export.iif"); `total_bytes` 0 means
  // unknown (no percentage). Draws nothing unless `enabled`.
  ProgressBar(std::string label, int64_t total_bytes, bool enabled, std::FILE* out = stderr);
  ~ProgressBar();  // Finish()

  // Reports that `bytes` of the input have been read and `records` parsed.
  void Update(int64_t bytes, int64_t records);
  // Draws the final state and ends the line. Idempotent.
  void Finish();

  // The bar's text for the given state (exposed for tests): label, bar,
  // percentage, MB done/total, MB/s and record count.
  static std::string Render(absl::string_view label, int64_t bytes, int64_t total_bytes,
                            int64_t records, absl::Duration elapsed, int width = 30);

 private:
  void Draw();

  std::string label_;
  int64_t total_ = 0;
  bool enabled_ = false;
  std::FILE* out_;
  absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
  int64_t bytes_ = 0;
  int64_t records_ = 0;
  bool finished_ = false;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_PROGRESS_H_
