#include "service/cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"

namespace collections::cli {

std::string Context::CustomerName(const std::string& id_or_name) const {
  if (id_or_name.rfind("tenants/", 0) == 0) return id_or_name;
  return absl::StrCat(TenantName(), "/customers/", id_or_name);
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "error: cannot read %s\n", path.c_str());
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

int ParseMessageFile(const std::string& path, google::protobuf::Message* msg) {
  std::string text;
  if (!ReadFile(path, &text)) return kExitUsage;
  const size_t first = text.find_first_not_of(" \t\r\n");
  const bool json = first != std::string::npos && text[first] == '{';
  if (json ? !google::protobuf::util::JsonStringToMessage(text, msg).ok()
           : !google::protobuf::TextFormat::ParseFromString(text, msg)) {
    std::fprintf(stderr, "error: %s is not a %s (proto text or JSON)\n", path.c_str(),
                 msg->GetDescriptor()->name().c_str());
    return kExitInvalid;
  }
  return kExitOk;
}

int Fail(const grpc::Status& status) {
  absl::Status st = grpc_status::FromGrpcStatus(status);
  const bool colour = Colour(stderr);
  std::fprintf(stderr, "%serror:%s %s: %s\n", colour ? "\033[1;31m" : "", colour ? "\033[0m" : "",
               absl::StatusCodeToString(st.code()).c_str(), std::string(st.message()).c_str());
  std::string reason = domain::ReasonOf(st);
  if (!reason.empty()) std::fprintf(stderr, "  reason: %s\n", reason.c_str());
  for (const auto& f : domain::FieldsOf(st)) {
    std::fprintf(stderr, "  field %s: %s\n", f.field.c_str(), f.description.c_str());
  }
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return kExitInvalid;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return kExitConflict;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kExitUnavailable;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitDenied;
    default:
      return kExitError;
  }
}

int Usage(const Command& c) {
  std::fprintf(stderr, "usage: collectionsctl %s\n  %s\n", c.usage.c_str(), c.help.c_str());
  return kExitUsage;
}

void PrintJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  std::cout << out << "\n";
}

size_t DisplayWidth(const std::string& utf8) {
  std::mbstate_t state{};
  size_t width = 0;
  const char* p = utf8.data();
  const char* end = p + utf8.size();
  while (p < end) {
    wchar_t wc;
    const size_t n = std::mbrtowc(&wc, p, end - p, &state);
    if (n == static_cast<size_t>(-1) || n == static_cast<size_t>(-2) || n == 0) {
      state = std::mbstate_t{};
      ++width;
      ++p;
      continue;
    }
    const int w = wcwidth(wc);
    width += w < 0 ? n : static_cast<size_t>(w);
    p += n;
  }
  return width;
}

bool Colour(FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return isatty(fileno(stream)) == 1;
}

void RowBudget::Report(const char* noun) const {
  if (shown_ >= total_) return;
  std::fprintf(stderr, "showing %d of %d %s (--limit=0 shows all)\n", shown_, total_, noun);
}

namespace {

// A cell on one line: a postal address ("Name\n10 Harbor Road") reads
// "Name, 10 Harbor Road", and no control character shifts the columns.
std::string OneLine(const std::string& cell) {
  std::string out;
  bool pending_break = false;
  for (const char c : cell) {
    if (c == '\n' || c == '\r') {
      pending_break = !out.empty();
      continue;
    }
    if (pending_break) out += ", ";
    pending_break = false;
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  }
  return out;
}

}  // namespace

std::string Table(const std::vector<std::vector<std::string>>& raw_rows,
                  const std::vector<bool>& right_align) {
  std::vector<std::vector<std::string>> rows = raw_rows;
  for (auto& r : rows) {
    for (auto& cell : r) cell = OneLine(cell);
  }
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], DisplayWidth(r[i]));
  }
  const bool bold = Colour(stdout);
  std::string out;
  for (size_t ri = 0; ri < rows.size(); ++ri) {
    const auto& r = rows[ri];
    if (ri == 0 && bold) out += "\033[1m";
    for (size_t i = 0; i < r.size(); ++i) {
      const bool right = i < right_align.size() && right_align[i];
      const std::string pad(width[i] - DisplayWidth(r[i]), ' ');
      out += right ? pad + r[i] : r[i] + (i + 1 < r.size() ? pad : "");
      if (i + 1 < r.size()) out += "  ";
    }
    if (ri == 0 && bold) out += "\033[0m";
    out += "\n";
    if (ri == 0) {
      size_t total = 0;
      for (size_t i = 0; i < width.size(); ++i) total += width[i] + (i + 1 < width.size() ? 2 : 0);
      out += std::string(total, '-') + "\n";
    }
  }
  return out;
}

}  // namespace collections::cli
