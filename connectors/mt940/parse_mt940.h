// SWIFT MT940 customer statements, as banks deliver them for download: one
// or more statements per file, with or without the SWIFT envelope
// ({1:...}{2:...}{4: ... -}{5:...}) and with the headers some banks add
// (":940:", "ABNANL2A / 940 / ABNANL2A"), CRLF or LF, UTF-8 or
// Windows-1252.
//
// Fields read (SWIFT MT940 field specifications):
//   :20:  transaction reference; starts a statement
//   :25:  account (IBAN, or bank code/account; a trailing currency code
//         after an IBAN, as ING writes it, is removed)
//   :28C: statement and sequence number
//   :60F: / :60M: opening (or intermediate opening) balance
//         D/C mark, YYMMDD, currency, amount with a decimal comma
//   :61:  statement line, one per booking:
//           value date YYMMDD, [entry date MMDD], mark C / D / RC / RD,
//           [funds code], amount, transaction type (N/F/S + 3 characters),
//           reference for the account owner [//reference of the bank],
//           and on the next line supplementary details (34x)
//   :86:  after a :61:, information to the account owner (narrative.h);
//         after the closing balance, statement information (ignored)
//   :62F: / :62M: closing (or intermediate closing) balance
//   :64:, :65: available and forward available balances (checked for form)
// Other tags (:21:, :34F:, :13D:, :90D:, :NS: ...) are skipped.
//
// Reconciliation: every statement must satisfy opening + the signed sum of
// its lines = closing, in one currency (C and RD add, D and RC subtract).
// A statement is held in memory until its closing balance has been checked;
// when it does not reconcile (or a line of it is unreadable, or the closing
// balance is missing) its payments are not emitted: the balance problem is
// reported at the :62: line (BALANCE_MISMATCH, MISSING_CLOSING_BALANCE) and
// every withheld payment with STATEMENT_NOT_RECONCILED, so that --quarantine
// lists them and nothing is applied from a statement that may be incomplete.
//
// Payments, for cash application exactly as camt entries (parse_camt.h):
//   - C lines become customer-less Payment records: value date, amount in
//     the statement currency, payer name and account from :86:, the
//     end-to-end id (EREF) as payer_reference (else the owner's reference
//     unless NONREF), the bank's reference, the remittance text (SVWZ+,
//     /REMI/ or the free text), RF and Belgian structured references, and an
//     /OCMT/ original amount in another currency as instructed_amount.
//   - RC lines (reversal of a credit) and D lines with transaction type RTI
//     (returned item: a bounced direct debit, a recalled transfer) become
//     reversals: Payment.reversal=true, undoing the payment with the same
//     payer_reference and amount.
//   - D lines, RD lines (reversal of a debit), C lines of type RTI (our own
//     payment returned) and zero amounts are counted and skipped.
// External ids: "<account>/<bank reference>" when the line has one,
// otherwise a fingerprint of the statement (reference, number, opening
// balance) and the line (position, dates, amount, references, :86:), so the
// same file imported twice yields the same ids; "reversal:" prefixes
// reversals; repeats within a statement are numbered "#2", "#3".
//
// Memory: one statement at a time (statements are daily or monthly).
#ifndef COLLECTIONS_CONNECTORS_MT940_PARSE_MT940_H_
#define COLLECTIONS_CONNECTORS_MT940_PARSE_MT940_H_

#include <cstdint>
#include <istream>

#include "absl/status/status.h"
#include "connectors/common/records.h"

namespace collections::connectors {

struct Mt940Stats {
  int64_t statements = 0;
  int64_t entries = 0;                  // :61: lines
  int64_t credits = 0;                  // payments emitted
  int64_t reversals = 0;                // reversal payments emitted
  int64_t debits_ignored = 0;           // D lines
  int64_t reversed_debits_ignored = 0;  // RD lines and C/RTI
  int64_t zero_ignored = 0;             // lines of amount 0
  int64_t unreconciled_statements = 0;  // statements whose payments were withheld
  int64_t rejected = 0;                 // issues reported
};

// Reads MT940 statements from `in`; see the file comment. Issues (located
// file:line[:column], with the field tag) for unreadable lines and
// statements that do not reconcile. Returns InvalidArgument NOT_MT940 when
// the input holds no statement (no :20: field), or the reader's error
// (LINE_TOO_LONG, DataLoss). `stats` may be null. ExternalRef.source_system
// is options.source_system or "mt940".
absl::Status ParseMt940(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                        const IssueSink& on_issue, Mt940Stats* stats = nullptr);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_MT940_PARSE_MT940_H_
