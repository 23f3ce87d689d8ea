// ISO 20022 bank-to-customer cash management messages: camt.053 (account
// statement), camt.054 (debit/credit notification) and camt.052 (intraday
// report), versions .001.02 to .001.08 and later (the namespaces differ, the
// element names used here are alike, so elements are matched by local name).
//
// The parser turns the booked CREDIT transactions of every statement and
// entry into collections_sidecar.v1.Payment records for cash application. The bank
// does not know our customers: SyncRecord.customer_ref stays empty, and the
// payer's name, references and remittance information go into the Payment
// for the matcher (service/domain/cash_matching.h).
//
// Rules, each from the camt.053 message definition:
//   - Ntry/Amt is unsigned; CdtDbtInd CRDT is money in, DBIT money out.
//     Debits are not payments: they are counted and skipped.
//   - RvslInd=true on a DBIT entry reverses an earlier credit (a returned
//     direct debit, a recalled transfer): it becomes a Payment with
//     reversal=true that undoes the payment with the same end-to-end id and
//     amount. RvslInd=true on a CRDT entry reverses a debit: skipped, counted.
//   - Only booked entries (Sts BOOK, or no status) are imported; pending and
//     informational ones are counted and skipped.
//   - A batch entry (NtryDtls/Btch, several TxDtls) yields one payment per
//     TxDtls with the transaction's own amount.
//   - The credited amount is in the account currency; AmtDtls/InstdAmt in
//     another currency is kept as instructed_amount.
//
// External ids come from the bank's references (account, entry AcctSvcrRef
// or NtryRef, transaction AcctSvcrRef / EndToEndId / TxId), so importing the
// same statement twice, or a camt.054 and then the camt.053 that books the
// same transfer, yields the same ExternalRef and changes nothing.
//
// Streaming: one Ntry at a time is expanded into memory.
#ifndef COLLECTIONS_CONNECTORS_CAMT_PARSE_CAMT_H_
#define COLLECTIONS_CONNECTORS_CAMT_PARSE_CAMT_H_

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/status.h"
#include "connectors/common/records.h"

namespace collections::connectors {

// What a parse saw, for the run report ("3 credits imported, 2 debits
// ignored").
struct CamtStats {
  // "camt.053.001.02" etc. of the document.
  std::string message_version;
  int64_t statements = 0;               // Stmt, Ntfctn or Rpt blocks
  int64_t entries = 0;                  // Ntry
  int64_t transactions = 0;             // TxDtls, or entries without details
  int64_t credits = 0;                  // payments emitted
  int64_t reversals = 0;                // reversal payments emitted
  int64_t debits_ignored = 0;           // debit transactions skipped
  int64_t reversed_debits_ignored = 0;  // CRDT reversals of debits skipped
  int64_t not_booked_ignored = 0;       // entries with Sts other than BOOK
  int64_t rejected = 0;                 // transactions reported through on_issue
};

// Reads one camt document from `in`. Calls `on_record` for every payment and
// reversal, in document order, and `on_issue` for every credit it cannot
// read (bad amount, currency or date); such a transaction is skipped.
// Returns OK when the document was read to its end; InvalidArgument with
// reason NOT_CAMT (another XML document) or XML_MALFORMED (not well-formed,
// naming the line and element path) otherwise. `stats` may be null.
// ExternalRef.source_system is options.source_system or "camt".
absl::Status ParseCamt(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                       const IssueSink& on_issue, CamtStats* stats = nullptr);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_CAMT_PARSE_CAMT_H_
