// What only the SQLite file store promises beyond the conformance suite:
// the WAL is copied back into the database file by the store's own
// checkpoint thread while the store is open (SQLite's automatic checkpoint
// on the committing writer is off), so commits only append to the WAL.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/store/store.h"

namespace collections::store {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

TEST(SqliteStore, CheckpointsRunWhileTheStoreIsOpen) {
  const std::string path = absl::StrCat(::testing::TempDir(), "checkpoints_", getpid(), ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(absl::StrCat("sqlite:", path));
  ASSERT_TRUE(store.ok()) << store.status();
  const int64_t empty = FileSize(path);
  // 600 commits of one 8 KiB document each: about 1,800 pages of WAL, past
  // the 1,000 pages that start a checkpoint.
  const std::string body(8192, 'x');
  for (int i = 0; i < 600; ++i) {
    absl::Status st = (*store)->Run("acme", TxMode::kWrite, [&](Transaction& tx) {
      return tx.PutDoc(Doc{"note", absl::StrCat("n", i), "c1", "", "", body});
    });
    ASSERT_TRUE(st.ok()) << st;
  }
  // The checkpoint thread copies the documents into the database file
  // (about 4.8 MB) while the store stays open.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (FileSize(path) < empty + 4'000'000 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_GE(FileSize(path), empty + 4'000'000) << "nothing was checkpointed";
  // Everything is readable.
  ASSERT_TRUE((*store)
                  ->Run("acme", TxMode::kRead,
                        [&](Transaction& tx) -> absl::Status {
                          auto docs = tx.ListDocs("note", "c1", "", 1000);
                          if (!docs.ok()) return docs.status();
                          EXPECT_EQ(docs->size(), 600u);
                          return absl::OkStatus();
                        })
                  .ok());
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

}  // namespace
}  // namespace collections::store
