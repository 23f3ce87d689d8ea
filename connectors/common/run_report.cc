// The connectors' exit codes and the run report: the summary a run prints,
// its rejections as text and as JSON lines (runner.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "connectors/common/runner.h"

namespace collections::connectors {

absl::string_view ExitCodeName(int code) {
  switch (code) {
    case kExitOk:
      return "OK";
    case kExitUsage:
      return "USAGE";
    case kExitInputRejected:
      return "INPUT_REJECTED";
    case kExitServerRefused:
      return "SERVER_REFUSED";
    case kExitUnavailable:
      return "UNAVAILABLE";
    case kExitQuarantined:
      return "QUARANTINED";
    case kExitLocalError:
      return "LOCAL_ERROR";
    case kExitInterrupted:
      return "INTERRUPTED";
    default:
      return "UNKNOWN";
  }
}

std::string ExitCodeTable() {
  return "Exit codes:\n"
         "  0    OK              every record applied (dry run: every record valid)\n"
         "  1    USAGE           bad flags or arguments\n"
         "  2    INPUT_REJECTED  bad records or an unusable file; nothing was applied\n"
         "  3    SERVER_REFUSED  the server refused a call or a chunk (see the report)\n"
         "  4    UNAVAILABLE     the server stayed unreachable after the retries;\n"
         "                       run again to resume from the checkpoint\n"
         "  5    QUARANTINED     --quarantine: good records applied, bad ones in\n"
         "                       <file>.rejected.jsonl\n"
         "  6    LOCAL_ERROR     cannot read the input or write checkpoint/report files\n"
         "  130  INTERRUPTED     SIGINT/SIGTERM; run again to resume from the checkpoint\n";
}

namespace {

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(out, absl::StrFormat("\\u%04x", c));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace

std::string Rejection::ToString() const {
  return absl::StrCat(location.empty() ? "<input>" : location, ": ",
                      field.empty() ? "" : absl::StrCat(field, ": "), description, " (", reason,
                      ")");
}

std::string Rejection::ToJson() const {
  std::string out = "{";
  const std::pair<absl::string_view, const std::string*> fields[] = {
      {"stage", &stage},   {"location", &location},       {"field", &field},
      {"reason", &reason}, {"description", &description}, {"external_id", &external_id}};
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (value->empty() && name == "external_id") continue;
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(name, &out);
    out.push_back(':');
    AppendJsonString(*value, &out);
  }
  out.push_back('}');
  return out;
}

std::string RunResult::Report() const {
  std::string out;
  const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-6);
  absl::StrAppend(&out, input, ": ", ExitCodeName(exit_code), " (exit ", exit_code, ")",
                  dry_run ? ", dry run" : "", quarantine ? ", quarantine mode" : "", "\n");
  if (!sync_id.empty()) absl::StrAppend(&out, "  sync id: ", sync_id, "\n");
  if (resumed_from_chunk >= 0) {
    absl::StrAppend(&out, "  resumed from the checkpoint at chunk ", resumed_from_chunk, "\n");
  }
  absl::StrAppend(&out, "  records: ", records, " (customers ", customers, ", invoices ", invoices,
                  ", credit notes ", credit_notes, ", payments ", payments, ")",
                  absl::StrFormat(", %.1f MB in %.2fs (%.1f MB/s), peak memory %.1f MB",
                                  static_cast<double>(bytes) / 1048576.0, seconds,
                                  static_cast<double>(bytes) / 1048576.0 / seconds,
                                  static_cast<double>(peak_rss_kib) / 1024.0),
                  "\n");
  if (dry_run) {
    absl::StrAppend(&out, "  nothing was written\n");
    if (deferred > 0) {
      absl::StrAppend(&out, "  ", deferred,
                      " records refer to customers or invoices defined earlier in the file; "
                      "their server checks happen when applied\n");
    }
  } else {
    absl::StrAppend(&out, "  applied: ", chunks, " chunks; ", created, " created, ", updated,
                    " updated, ", unchanged, " unchanged\n");
  }
  if (retries > 0) absl::StrAppend(&out, "  retries: ", retries, "\n");
  if (rejected > 0) {
    absl::StrAppend(&out, "  rejected: ", rejected, " records");
    if (quarantine && !dry_run) {
      absl::StrAppend(&out, ", written to ", rejected_path);
    } else if (!dry_run && exit_code == kExitInputRejected) {
      absl::StrAppend(&out, "; nothing was applied");
    }
    absl::StrAppend(&out, "\n");
    for (const Rejection& r : rejections) absl::StrAppend(&out, "    ", r.ToString(), "\n");
    if (static_cast<int64_t>(rejections.size()) < rejected) {
      absl::StrAppend(&out, "    ... and ", rejected - static_cast<int64_t>(rejections.size()),
                      " more\n");
    }
  }
  if (!error.ok()) absl::StrAppend(&out, "  error: ", error.ToString(), "\n");
  return out;
}

}  // namespace collections::connectors
