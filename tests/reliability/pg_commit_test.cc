// PostgreSQL: acknowledged means committed. A
// commit under synchronous_commit=off returns before its WAL is flushed, so
// a crash of the database server can lose a payment the client was told is
// stored. The store turns the setting back on in each of its sessions
// (postgres_conn.cc, PgConn::Open) whatever the cluster, database or role
// says; this test makes every default say "off" and reads the setting in
// force inside the store's own write transactions, with a trigger.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/store/store.h"
#include "tests/store/pg_harness.h"

namespace collections::testing {
namespace {

class PgCommit : public PostgresTest {};

TEST_F(PgCommit, StoreSessionsCommitWithSynchronousCommitOnWhateverTheDefaults) {
  absl::StatusOr<std::string> db = PgQuery(uri_, "SELECT current_database()");
  ASSERT_TRUE(db.ok()) << db.status();
  // The test cluster already runs with synchronous_commit=off (pg_harness:
  // speed); the database default says so too, as a careless operator might.
  ASSERT_TRUE(
      PgQuery(uri_, absl::StrCat("ALTER DATABASE \"", *db, "\" SET synchronous_commit = off"))
          .ok());
  absl::StatusOr<std::string> plain = PgQuery(uri_, "SHOW synchronous_commit");
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_EQ(*plain, "off") << "a plain session must see the unsafe default for this test to bite";

  absl::StatusOr<std::unique_ptr<store::Store>> st = store::OpenStore(uri_ + "&pool_size=3");
  ASSERT_TRUE(st.ok()) << st.status();
  std::unique_ptr<store::Store> store = *std::move(st);

  // Every row written to docs records the setting of the session writing it.
  for (const char* sql : {
           "CREATE TABLE commit_probe (setting TEXT NOT NULL)",
           "CREATE FUNCTION record_commit_setting() RETURNS trigger LANGUAGE plpgsql AS $$ "
           "BEGIN INSERT INTO commit_probe VALUES (current_setting('synchronous_commit')); "
           "RETURN NULL; END $$",
           "CREATE TRIGGER record_commit_setting AFTER INSERT OR UPDATE ON docs "
           "FOR EACH ROW EXECUTE FUNCTION record_commit_setting()",
       }) {
    absl::StatusOr<std::string> r = PgQuery(uri_, sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status();
  }

  // Writes from three threads, so that every pooled session takes part.
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        absl::Status w =
            store->Run("acme", store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
              return tx.PutDoc(
                  store::Doc{"probe", absl::StrCat("d-", t, "-", i), "", "", "", "body"});
            });
        EXPECT_TRUE(w.ok()) << w;
      }
    });
  }
  for (auto& w : writers) w.join();

  absl::StatusOr<std::string> rows = PgQuery(uri_, "SELECT count(*) FROM commit_probe");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "30");
  absl::StatusOr<std::string> unsafe =
      PgQuery(uri_,
              "SELECT count(*) FROM commit_probe WHERE setting NOT IN "
              "('on', 'local', 'remote_write', 'remote_apply')");
  ASSERT_TRUE(unsafe.ok()) << unsafe.status();
  EXPECT_EQ(*unsafe, "0") << "store writes committed with synchronous_commit=off";
}

}  // namespace
}  // namespace collections::testing
