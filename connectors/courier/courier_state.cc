#include "connectors/courier/courier_state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "connectors/common/checkpoint.h"
#include "service/base/errors.h"

namespace collections::courier {

namespace v1 = ::collections_sidecar::v1;
namespace {

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
}

std::optional<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<CourierState> CourierState::Open(const std::string& dir, const std::string& tenant) {
  if (absl::Status st = MakeDir(dir); !st.ok()) return st;
  if (absl::Status st = MakeDir(absl::StrCat(dir, "/delivered")); !st.ok()) return st;
  CourierState s;
  s.dir_ = dir;
  s.tenant_ = tenant;
  const std::optional<std::string> text = ReadAll(absl::StrCat(dir, "/cursor"));
  if (!text) return s;
  std::string file_tenant;
  bool have_sequence = false;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.size() != 2) continue;
    if (kv[0] == "tenant") file_tenant = std::string(kv[1]);
    if (kv[0] == "after_sequence") have_sequence = absl::SimpleAtoi(kv[1], &s.cursor_);
  }
  if (!have_sequence || s.cursor_ < 0) {
    return domain::InvalidInput(
        "STATE_CORRUPT", "state-dir",
        absl::StrCat(dir, "/cursor cannot be read; remove it to start over"));
  }
  if (file_tenant != tenant) {
    return absl::FailedPreconditionError(absl::StrCat("state folder ", dir, " belongs to tenant \"",
                                                      file_tenant,
                                                      "\"; use one folder per tenant"));
  }
  return s;
}

absl::Status CourierState::SaveCursor(int64_t after_sequence) {
  if (after_sequence == cursor_) return absl::OkStatus();
  absl::Status st = connectors::WriteFileAtomically(
      absl::StrCat(dir_, "/cursor"),
      absl::StrCat("tenant ", tenant_, "\nafter_sequence ", after_sequence, "\n"));
  if (st.ok()) cursor_ = after_sequence;
  return st;
}

std::optional<JournalEntry> CourierState::Journal(const std::string& action_id) const {
  const std::optional<std::string> text = ReadAll(absl::StrCat(dir_, "/delivered/", action_id));
  if (!text) return std::nullopt;
  const size_t nl = text->find('\n');
  JournalEntry e;
  v1::OutboxAction::Status status;
  if (!v1::OutboxAction::Status_Parse(text->substr(0, nl), &status)) return std::nullopt;
  e.status = status;
  if (nl != std::string::npos) e.detail = text->substr(nl + 1);
  return e;
}

absl::Status CourierState::WriteJournal(const std::string& action_id, const JournalEntry& entry) {
  return connectors::WriteFileAtomically(
      absl::StrCat(dir_, "/delivered/", action_id),
      absl::StrCat(v1::OutboxAction::Status_Name(entry.status), "\n", entry.detail));
}

absl::Status CourierState::ClearJournal(const std::string& action_id) {
  const std::string path = absl::StrCat(dir_, "/delivered/", action_id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::InternalError(absl::StrCat("cannot remove ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace collections::courier
