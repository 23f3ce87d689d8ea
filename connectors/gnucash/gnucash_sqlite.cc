// GnuCash's SQLite backend read into a Book (gnucash_book.h): the tables of
// the SQL schema GnuCash 2.4 and later write.
#include <sqlite3.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "connectors/common/values.h"
#include "connectors/gnucash/gnucash_book.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"

namespace collections::connectors::gnucash_internal {
namespace {

class Db {
 public:
  ~Db() {
    if (db_ != nullptr) sqlite3_close(db_);
  }
  absl::Status Open(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      return absl::NotFoundError(
          absl::StrCat("cannot open ", path, ": ", db_ != nullptr ? sqlite3_errmsg(db_) : "?"));
    }
    return absl::OkStatus();
  }
  // Runs `sql`, calling `row` with the text of each column ("" for NULL).
  absl::Status Query(const std::string& sql,
                     const std::function<void(const std::vector<std::string>&)>& row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      return absl::InvalidArgumentError(sqlite3_errmsg(db_));
    }
    std::vector<std::string> cols(sqlite3_column_count(st));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      for (size_t i = 0; i < cols.size(); ++i) {
        const unsigned char* t = sqlite3_column_text(st, static_cast<int>(i));
        cols[i] = t == nullptr ? "" : reinterpret_cast<const char*>(t);
      }
      row(cols);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return absl::DataLossError(sqlite3_errmsg(db_));
    return absl::OkStatus();
  }

 private:
  sqlite3* db_ = nullptr;
};

// GncOwnerType of the SQL backend (gncOwner.h).
std::string OwnerTypeName(absl::string_view n) {
  if (n == "2") return std::string(kCustomerOwner);
  if (n == "3") return std::string(kJobOwner);
  if (n == "4") return "gncVendor";
  if (n == "5") return "gncEmployee";
  return "";
}

absl::Status ReadSqliteBook(Db& db, const std::string& file, Book& book) {
  Location nowhere{file, 0, 0, ""};
  bool has_invoices = false;
  RETURN_IF_ERROR(
      db.Query("SELECT name FROM sqlite_master WHERE type='table' AND name IN "
               "('invoices','customers','transactions','splits','accounts','slots')",
               [&](const auto& r) { has_invoices |= r[0] == "invoices"; }));
  if (!has_invoices) {
    return InputError("NOT_GNUCASH", nowhere, "the database has no GnuCash invoices table");
  }
  absl::flat_hash_map<std::string, std::string> commodity;
  auto wrap = [&](absl::Status s) {
    if (s.ok()) return s;
    return InputError("NOT_GNUCASH", nowhere, absl::StrCat("unexpected schema: ", s.message()));
  };
  RETURN_IF_ERROR(wrap(db.Query("SELECT guid, mnemonic FROM commodities",
                                [&](const auto& r) { commodity[r[0]] = r[1]; })));
  RETURN_IF_ERROR(wrap(db.Query("SELECT guid FROM accounts WHERE account_type = 'RECEIVABLE'",
                                [&](const auto& r) { book.receivable_accounts.insert(r[0]); })));
  // Slots we need, keyed by the object they belong to.
  absl::flat_hash_map<std::string, std::map<std::string, std::string>> slots;
  RETURN_IF_ERROR(
      wrap(db.Query("SELECT obj_guid, name, COALESCE(string_val, guid_val, timespec_val, "
                    "CAST(int64_val AS TEXT), gdate_val) FROM slots WHERE name IN "
                    "('gncInvoice/invoice-guid', 'gncOwner/owner-guid', 'trans-date-due', "
                    "'trans-txn-type', 'credit-note')",
                    [&](const auto& r) { slots[r[0]][r[1]] = r[2]; })));
  auto slot = [&](const std::string& obj, const std::string& key) {
    auto it = slots.find(obj);
    return it == slots.end() ? std::string() : SlotValue(it->second, key);
  };
  RETURN_IF_ERROR(wrap(db.Query("SELECT guid FROM lots", [&](const auto& r) {
    book.lots[r[0]] = Lot{slot(r[0], "gncInvoice/invoice-guid"), slot(r[0], "gncOwner/owner-guid")};
  })));
  RETURN_IF_ERROR(wrap(
      db.Query("SELECT t.guid, t.currency_guid, t.num, t.post_date, t.description, s.account_guid, "
               "s.value_num || '/' || s.value_denom, COALESCE(s.lot_guid, '') "
               "FROM transactions t JOIN splits s ON s.tx_guid = t.guid "
               "JOIN accounts a ON a.guid = s.account_guid AND a.account_type = 'RECEIVABLE' "
               "ORDER BY t.post_date, t.guid, s.guid",
               [&](const auto& r) {
                 auto it = book.txn_index.find(r[0]);
                 if (it == book.txn_index.end()) {
                   Txn t;
                   t.guid = r[0];
                   t.currency = commodity[r[1]];
                   t.num = r[2];
                   t.posted = OptionalDate(r[3]);
                   t.description = r[4];
                   t.type = slot(r[0], "trans-txn-type");
                   t.due = OptionalDate(slot(r[0], "trans-date-due"));
                   t.where = Location{file, 0, 0, absl::StrCat("transactions/", r[0])};
                   book.AddTxn(std::move(t));
                   it = book.txn_index.find(r[0]);
                 }
                 book.txns[it->second].splits.push_back(Split{r[5], r[6], r[7]});
               })));
  RETURN_IF_ERROR(
      wrap(db.Query("SELECT guid, id, name, COALESCE(addr_name, ''), COALESCE(addr_email, ''), "
                    "COALESCE(addr_phone, ''), COALESCE(terms, ''), currency, "
                    "credit_num || '/' || credit_denom FROM customers ORDER BY id, guid",
                    [&](const auto& r) {
                      Customer c{r[0], r[1],
                                 r[2], r[3],
                                 r[4], r[5],
                                 r[6], commodity[r[7]],
                                 r[8], Location{file, 0, 0, absl::StrCat("customers/", r[0])}};
                      book.customers.push_back(std::move(c));
                    })));
  RETURN_IF_ERROR(
      wrap(db.Query("SELECT guid, owner_type, owner_guid FROM jobs", [&](const auto& r) {
        book.job_owner[r[0]] = Owner{OwnerTypeName(r[1]), r[2]};
      })));
  RETURN_IF_ERROR(
      wrap(db.Query("SELECT guid, type, duedays, cutoff FROM billterms", [&](const auto& r) {
        Terms t;
        t.proximo = r[1] == "GNC_TERM_TYPE_PROXIMO";
        int v = 0;
        if (absl::SimpleAtoi(r[2], &v)) t.due_days = v;
        if (absl::SimpleAtoi(r[3], &v)) t.cutoff = v;
        book.terms[r[0]] = t;
      })));
  RETURN_IF_ERROR(wrap(db.Query(
      "SELECT guid, id, COALESCE(date_posted, ''), owner_type, owner_guid, COALESCE(terms, ''), "
      "currency, COALESCE(post_txn, ''), COALESCE(post_lot, ''), COALESCE(post_acc, ''), "
      "COALESCE(notes, '') FROM invoices ORDER BY date_opened, id, guid",
      [&](const auto& r) {
        Invoice inv;
        inv.guid = r[0];
        inv.id = r[1];
        inv.posted = OptionalDate(r[2]);
        inv.owner = Owner{OwnerTypeName(r[3]), r[4]};
        inv.terms = r[5];
        inv.currency = commodity[r[6]];
        inv.posttxn = r[7];
        inv.postlot = r[8];
        inv.postacc = r[9];
        inv.notes = r[10];
        inv.credit_note = slot(r[0], "credit-note") == "1";
        inv.where = Location{file, 0, 0, absl::StrCat("invoices/", r[0])};
        book.invoices.push_back(std::move(inv));
      })));
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadSqliteBookFile(const std::string& path, const std::string& file, Book& book) {
  Db db;
  RETURN_IF_ERROR(db.Open(path));
  return ReadSqliteBook(db, file, book);
}

}  // namespace collections::connectors::gnucash_internal
