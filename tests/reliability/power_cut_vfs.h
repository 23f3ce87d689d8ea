// A SQLite VFS that models what survives a power cut: a write reaches the
// "disk" only when its file is synced. It wraps the default VFS, so files
// are written as usual; on every xSync it records the file's whole content
// as that file's durable image. PowerCut() then writes, into another folder,
// exactly what a machine that lost power at that instant would find: each
// file as of its last sync (an empty database file, no WAL, when it was
// never synced), and no -shm file (rebuilt from the WAL at the next open).
//
// Used instead of a loop-mounted image or dm-flakey, which need privileges
// that CI containers do not have. The model is conservative: a real disk may
// keep some unsynced writes, this one keeps none.
#ifndef COLLECTIONS_TESTS_RELIABILITY_POWER_CUT_VFS_H_
#define COLLECTIONS_TESTS_RELIABILITY_POWER_CUT_VFS_H_

#include <string>

#include "absl/status/status.h"

namespace collections::testing {

// Registers the VFS as SQLite's default (once per process). Every database
// opened afterwards in this process goes through it.
void InstallPowerCutVfs();

// How many xSync calls reached the VFS so far.
int SyncCount();

// Writes the durable images of `db_path` and its -wal into `into_path` and
// `into_path`-wal, as a machine that lost power now would find them.
absl::Status PowerCut(const std::string& db_path, const std::string& into_path);

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_RELIABILITY_POWER_CUT_VFS_H_
