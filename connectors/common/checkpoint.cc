#include "connectors/common/checkpoint.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/base/errors.h"

namespace collections::connectors {
namespace {

constexpr absl::string_view kMagic = "# collections connector checkpoint v1";

struct EvpDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpCtx = std::unique_ptr<EVP_MD_CTX, EvpDeleter>;

std::string Hex(const unsigned char* bytes, unsigned int n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (unsigned int i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

EvpCtx NewSha256() {
  EvpCtx ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  return ctx;
}

std::string FinishHex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, digest, &n);
  return Hex(digest, n);
}

absl::Status ErrnoStatus(absl::string_view what, const std::string& path) {
  return domain::WithReason(
      absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno))),
      "LOCAL_IO_ERROR");
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  EvpCtx ctx = NewSha256();
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  return FinishHex(ctx.get());
}

absl::StatusOr<FileIdentity> IdentifyFile(const std::string& path,
                                          const std::function<void(int64_t)>& on_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return domain::WithReason(
        absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno))),
        "INPUT_NOT_FOUND");
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  EvpCtx ctx = NewSha256();
  std::vector<char> buf(1 << 20);
  FileIdentity id;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::DataLossError(absl::StrCat("reading ", path, ": ", std::strerror(err)));
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
    id.size += n;
    if (on_bytes) on_bytes(id.size);
  }
  ::close(fd);
  id.sha256 = FinishHex(ctx.get());
  return id;
}

std::string CheckpointPath(const std::string& state_dir, const std::string& input_path,
                           const FileIdentity& file, absl::string_view options) {
  if (state_dir.empty()) return absl::StrCat(input_path, ".checkpoint");
  return (std::filesystem::path(state_dir) /
          absl::StrCat(file.sha256.substr(0, 32), "-", options.substr(0, 8), ".checkpoint"))
      .string();
}

absl::Status SyncDirectoryOf(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open folder", dir.string());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync of folder", dir.string());
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot create", tmp);
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status st = ErrnoStatus("cannot write", tmp);
      ::close(fd);
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status st = ErrnoStatus("fsync of", tmp);
    ::close(fd);
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("cannot rename to", path);
  return SyncDirectoryOf(path);
}

absl::Status WriteCheckpoint(const std::string& path, const Checkpoint& c) {
  const std::string text = absl::StrCat(kMagic, "\n",                           //
                                        "format ", c.format, "\n",              //
                                        "sync_id ", c.sync_id, "\n",            //
                                        "size ", c.file.size, "\n",             //
                                        "sha256 ", c.file.sha256, "\n",         //
                                        "options ", c.options, "\n",            //
                                        "next_chunk ", c.next_chunk, "\n",      //
                                        "records_done ", c.records_done, "\n",  //
                                        "issues_done ", c.issues_done, "\n",    //
                                        "report_bytes ", c.report_bytes, "\n",  //
                                        "created ", c.created, "\n",            //
                                        "updated ", c.updated, "\n",            //
                                        "unchanged ", c.unchanged, "\n",        //
                                        "quarantined ", c.quarantined, "\n",    //
                                        "end\n");
  return WriteFileAtomically(path, text);
}

absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::optional<Checkpoint>();
    return ErrnoStatus("cannot open", path);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  auto corrupt = [&](absl::string_view why) {
    return domain::InvalidInput("CHECKPOINT_CORRUPT", path, std::string(why));
  };
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.empty() || lines.front() != kMagic) return corrupt("not a connector checkpoint");
  if (lines.back() != "end") return corrupt("truncated");
  Checkpoint c;
  struct IntField {
    absl::string_view key;
    int64_t* out;
  } ints[] = {{"size", &c.file.size},
              {"next_chunk", &c.next_chunk},
              {"records_done", &c.records_done},
              {"issues_done", &c.issues_done},
              {"report_bytes", &c.report_bytes},
              {"created", &c.created},
              {"updated", &c.updated},
              {"unchanged", &c.unchanged},
              {"quarantined", &c.quarantined}};
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    const std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(lines[i], absl::MaxSplits(' ', 1));
    if (kv.first == "format") {
      c.format = std::string(kv.second);
    } else if (kv.first == "sync_id") {
      c.sync_id = std::string(kv.second);
    } else if (kv.first == "sha256") {
      c.file.sha256 = std::string(kv.second);
    } else if (kv.first == "options") {
      c.options = std::string(kv.second);
    } else {
      bool known = false;
      for (const IntField& f : ints) {
        if (kv.first != f.key) continue;
        known = true;
        if (!absl::SimpleAtoi(kv.second, f.out) || *f.out < 0) {
          return corrupt(absl::StrCat("bad ", f.key));
        }
      }
      if (!known) return corrupt(absl::StrCat("unknown key ", kv.first));
    }
  }
  if (c.sync_id.empty() || c.file.sha256.size() != 64) return corrupt("incomplete");
  return std::optional<Checkpoint>(std::move(c));
}

absl::Status RemoveCheckpoint(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove", path);
  return absl::OkStatus();
}

}  // namespace collections::connectors
