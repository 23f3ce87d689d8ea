// A GnuCash book as the parser reads it (accounts' splits, transactions,
// lots, customers, jobs, invoices, terms), whichever file it came from.
// Internal to parse_gnucash.cc (XML books, records) and gnucash_sqlite.cc
// (SQLite books).
#ifndef COLLECTIONS_CONNECTORS_GNUCASH_GNUCASH_BOOK_H_
#define COLLECTIONS_CONNECTORS_GNUCASH_GNUCASH_BOOK_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "connectors/gnucash/parse_gnucash.h"

namespace collections::connectors::gnucash_internal {

inline constexpr absl::string_view kReceivable = "RECEIVABLE";
inline constexpr absl::string_view kCustomerOwner = "gncCustomer";
inline constexpr absl::string_view kJobOwner = "gncJob";

// ---------------------------------------------------------------- the book

struct Split {
  std::string account;
  std::string value;  // rational text, "-132760/100"
  std::string lot;
};

struct Txn {
  std::string guid;
  std::string currency;
  std::string num;
  std::string description;
  std::string type;  // trans-txn-type: I invoice, P payment, L lot link
  std::optional<absl::CivilDay> posted;
  std::optional<absl::CivilDay> due;
  std::vector<Split> splits;  // receivable splits only
  Location where;
};

struct Lot {
  std::string invoice;  // gncInvoice/invoice-guid
  std::string owner;    // gncOwner/owner-guid (pre-payment lots)
};

struct Customer {
  std::string guid, id, name, contact_name, email, phone, terms, currency, credit;
  Location where;
};

struct Owner {
  std::string type;  // gncCustomer, gncJob, gncVendor, gncEmployee
  std::string guid;
};

struct Terms {
  bool proximo = false;
  int due_days = 0;  // days: after posting; proximo: day of the next month
  int cutoff = 0;    // proximo: posted after this day -> one month later
};

struct Invoice {
  std::string guid, id, currency, terms, posttxn, postlot, postacc, notes;
  Owner owner;
  std::optional<absl::CivilDay> posted;
  bool credit_note = false;
  Location where;
};

struct Book {
  absl::flat_hash_set<std::string> receivable_accounts;
  absl::flat_hash_map<std::string, Lot> lots;
  std::vector<Txn> txns;  // document order
  absl::flat_hash_map<std::string, size_t> txn_index;
  std::vector<Customer> customers;
  absl::flat_hash_map<std::string, Owner> job_owner;
  absl::flat_hash_map<std::string, Terms> terms;
  std::vector<Invoice> invoices;

  void AddTxn(Txn t) {
    txn_index[t.guid] = txns.size();
    txns.push_back(std::move(t));
  }
};

// The value of `key` in a flattened slot map, "" when absent.
std::string SlotValue(const std::map<std::string, std::string>& slots, const std::string& key);

// "2023-07-29 10:59:00 +0000", "2023-07-29" or "20230729105900": the
// calendar day as written.
absl::StatusOr<absl::CivilDay> ParseGnuCashDate(absl::string_view text);

// A GnuCash date's calendar day; nullopt when empty or unreadable.
std::optional<absl::CivilDay> OptionalDate(absl::string_view text);

// Reads the book of the SQLite file at `path` (`file` names it in issues).
absl::Status ReadSqliteBookFile(const std::string& path, const std::string& file, Book& book);

}  // namespace collections::connectors::gnucash_internal

#endif  // COLLECTIONS_CONNECTORS_GNUCASH_GNUCASH_BOOK_H_
