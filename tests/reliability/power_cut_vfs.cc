#include "tests/reliability/power_cut_vfs.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <new>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace collections::testing {
namespace {

sqlite3_vfs* g_real = nullptr;
std::atomic<int> g_syncs{0};

struct Images {
  absl::Mutex mu;
  std::map<std::string, std::string> durable ABSL_GUARDED_BY(mu);  // canonical path -> bytes
};
Images& Disk() {
  static Images* images = new Images();  // never destroyed: SQLite may sync at exit
  return *images;
}

std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

// Our file: the real file's handle follows this struct in the same block.
struct CutFile {
  sqlite3_file base;
  std::string* path;  // null for temp files (nameless)
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
CutFile* Cut(sqlite3_file* f) { return reinterpret_cast<CutFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Cut(f)->real(); }

int Close(sqlite3_file* f) {
  int rc = Real(f)->pMethods->xClose(Real(f));
  delete Cut(f)->path;
  return rc;
}
int Read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
  return Real(f)->pMethods->xRead(Real(f), b, n, o);
}
int Write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  return Real(f)->pMethods->xWrite(Real(f), b, n, o);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
// The one place where data becomes durable: the file as it is now.
int Sync(sqlite3_file* f, int flags) {
  int rc = Real(f)->pMethods->xSync(Real(f), flags);
  if (rc != SQLITE_OK || Cut(f)->path == nullptr) return rc;
  sqlite3_int64 size = 0;
  rc = Real(f)->pMethods->xFileSize(Real(f), &size);
  if (rc != SQLITE_OK) return rc;
  std::string bytes(static_cast<size_t>(size), '\0');
  if (size > 0) {
    rc = Real(f)->pMethods->xRead(Real(f), bytes.data(), static_cast<int>(size), 0);
    if (rc != SQLITE_OK) return rc;
  }
  ++g_syncs;
  absl::MutexLock l(&Disk().mu);
  Disk().durable[*Cut(f)->path] = std::move(bytes);
  return SQLITE_OK;
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
int Unlock(sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
// Memory-mapped I/O is off (mmap_size=0 by default): fetches read.
int Fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int Unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {3,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
                                     FileControl,
                                     SectorSize,
                                     DeviceCharacteristics,
                                     ShmMap,
                                     ShmLock,
                                     ShmBarrier,
                                     ShmUnmap,
                                     Fetch,
                                     Unfetch};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  CutFile* cf = Cut(f);
  cf->base.pMethods = nullptr;
  cf->path = nullptr;
  int rc = g_real->xOpen(g_real, name, cf->real(), flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (name != nullptr) cf->path = new std::string(Canonical(name));
  cf->base.pMethods = &kMethods;
  return SQLITE_OK;
}

sqlite3_vfs g_vfs;

}  // namespace

void InstallPowerCutVfs() {
  static bool installed = [] {
    g_real = sqlite3_vfs_find(nullptr);
    g_vfs = *g_real;
    g_vfs.pNext = nullptr;
    g_vfs.zName = "power_cut";
    g_vfs.szOsFile = static_cast<int>(sizeof(CutFile)) + g_real->szOsFile;
    g_vfs.xOpen = Open;
    return sqlite3_vfs_register(&g_vfs, /*makeDflt=*/1) == SQLITE_OK;
  }();
  (void)installed;
}

int SyncCount() { return g_syncs.load(); }

absl::Status PowerCut(const std::string& db_path, const std::string& into_path) {
  const std::string db = Canonical(db_path);
  absl::MutexLock l(&Disk().mu);
  for (const char* suffix : {"", "-wal"}) {
    auto it = Disk().durable.find(db + suffix);
    if (it == Disk().durable.end() && *suffix != '\0') continue;  // no WAL reached the disk
    std::ofstream out(into_path + suffix, std::ios::binary | std::ios::trunc);
    if (it != Disk().durable.end()) out.write(it->second.data(), it->second.size());
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", into_path, suffix));
  }
  return absl::OkStatus();
}

}  // namespace collections::testing
