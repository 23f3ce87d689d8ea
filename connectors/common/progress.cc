#include "connectors/common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace collections::connectors {

bool ProgressEnabled(ProgressMode mode, std::FILE* stream) {
  switch (mode) {
    case ProgressMode::kAlways:
      return true;
    case ProgressMode::kNever:
      return false;
    case ProgressMode::kAuto:
      break;
  }
  return isatty(fileno(stream)) == 1;
}

ProgressBar::ProgressBar(std::string label, int64_t total_bytes, bool enabled, std::FILE* out)
    : label_(std::move(label)),
      total_(total_bytes),
      enabled_(enabled),
      out_(out),
      start_(absl::Now()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(int64_t bytes, int64_t records) {
  bytes_ = bytes;
  records_ = records;
  if (!enabled_) return;
  const absl::Time now = absl::Now();
  if (now - last_draw_ < absl::Milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  if (total_ > 0) bytes_ = std::max(bytes_, total_);
  Draw();
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ProgressBar::Draw() {
  const std::string line = Render(label_, bytes_, total_, records_, absl::Now() - start_);
  // \r returns to the line start; \033[K clears what a longer line left.
  std::fprintf(out_, "\r%s\033[K", line.c_str());
  std::fflush(out_);
}

std::string ProgressBar::Render(absl::string_view label, int64_t bytes, int64_t total_bytes,
                                int64_t records, absl::Duration elapsed, int width) {
  constexpr double kMb = 1024.0 * 1024.0;
  const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-3);
  const double rate = static_cast<double>(bytes) / kMb / seconds;
  std::string out = absl::StrCat(label, " ");
  if (total_bytes > 0) {
    const double fraction =
        std::clamp(static_cast<double>(bytes) / static_cast<double>(total_bytes), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * width);
    absl::StrAppend(
        &out, "[", std::string(filled, '='), filled < width ? ">" : "",
        std::string(std::max(0, width - filled - 1), ' '), "] ",
        absl::StrFormat("%3d%% %.1f/%.1f MB", static_cast<int>(fraction * 100),
                        static_cast<double>(bytes) / kMb, static_cast<double>(total_bytes) / kMb));
  } else {
    absl::StrAppend(&out, absl::StrFormat("%.1f MB", static_cast<double>(bytes) / kMb));
  }
  absl::StrAppend(&out, absl::StrFormat(" %.1f MB/s %d records", rate, records));
  return out;
}

}  // namespace collections::connectors
