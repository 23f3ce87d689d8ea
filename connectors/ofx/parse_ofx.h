// OFX and QFX bank statement downloads (Open Financial Exchange), in both
// generations: OFX 1.x, SGML with a "OFXHEADER:100" header and leaf elements
// that are never closed (<TRNAMT>-5.50<FITID>...), and OFX 2.x, XML with a
// <?OFX OFXHEADER="200" ...?> header, well-formed or (as some banks send it)
// with the 1.x body. QFX is OFX with Intuit's extra elements (<INTU.BID>),
// which are read past like any unknown element.
//
// Why not libofx (Debian libofx-dev): it hands amounts to the caller as a C
// double ("money is a float", libofx README), reads only a named file (it
// copies the file to a temporary one for OpenSP, with the DTDs installed
// beside the library), and reports problems through a global message
// callback without the transaction they belong to. We need exact minor
// units, a stream, and located errors, so this file implements the minimum:
// one tokenizer for both generations (a start tag followed by text is a
// leaf, closed by the next tag whatever its explicit end tag says; an end
// tag closes every aggregate opened after its own start tag).
//
// Read (OFX 2.1.1 specification, chapters 11 and 13):
//   SONRS/STATUS/CODE     non-zero: the server refused the request, the file
//                         holds no statement (OFX_ERROR_RESPONSE)
//   STMTRS / CCSTMTRS     a bank or credit-card statement: CURDEF (ISO 4217),
//                         BANKACCTFROM or CCACCTFROM/ACCTID
//   STMTTRN               TRNTYPE, DTPOSTED (YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]];
//                         the day is the one written, in the stated zone),
//                         TRNAMT (signed: positive is money in; '.' or ','
//                         as decimal mark, section 3.2.9; amount.h rules
//                         otherwise: --round, --max_amount), FITID, NAME or
//                         PAYEE/NAME, MEMO, CHECKNUM, REFNUM, CURRENCY/CURSYM
//                         (the amount is in that currency), CORRECTACTION
// Payments, for cash application as camt and MT940 entries:
//   - positive TRNAMT of a bank statement: a customer-less Payment with the
//     posting day, NAME as payer, MEMO as remittance text (and RF/Belgian
//     references found in it), CHECKNUM or REFNUM as payer reference, FITID
//     as bank reference; ExternalRef.id "<ACCTID>/<FITID>" (FITID is unique
//     per account, OFX 2.1.1 section 3.2.1), so a re-import changes nothing;
//   - negative amounts, credits of a credit-card statement (a payment of the
//     card bill or a merchant refund: no customer pays us there), and bank
//     interest and dividends (TRNTYPE INT, DIV) are counted and skipped;
//   - a STMTTRN with CORRECTACTION (REPLACE/DELETE of an earlier FITID) is
//     reported (UNSUPPORTED_CORRECTION): applying it would need the payment
//     it corrects, which a later version may look up by FITID.
// Investment statements (INVSTMTRS) are counted and skipped.
//
// Memory: one transaction at a time; a text or tag longer than 1 MiB is an
// error.
#ifndef COLLECTIONS_CONNECTORS_OFX_PARSE_OFX_H_
#define COLLECTIONS_CONNECTORS_OFX_PARSE_OFX_H_

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/status.h"
#include "connectors/common/records.h"

namespace collections::connectors {

struct OfxStats {
  std::string version;         // "102", "211" from the header ("" if none)
  int64_t statements = 0;      // STMTRS and CCSTMTRS
  int64_t transactions = 0;    // STMTTRN
  int64_t credits = 0;         // payments emitted
  int64_t debits_ignored = 0;  // negative amounts
  int64_t card_credits_ignored = 0;
  int64_t bank_income_ignored = 0;  // INT, DIV
  int64_t zero_ignored = 0;
  int64_t investment_statements_ignored = 0;
  int64_t rejected = 0;  // issues reported
};

// Reads one OFX/QFX file from `in`; see the file comment. Issues (located
// file:line, naming the element) for transactions it cannot read, which are
// skipped. Returns InvalidArgument NOT_OFX (no <OFX> root), OFX_MALFORMED
// (an over-long tag or text, a stray '<'), or OFX_ERROR_RESPONSE. `stats`
// may be null. ExternalRef.source_system is options.source_system or "ofx".
absl::Status ParseOfx(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue, OfxStats* stats = nullptr);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_OFX_PARSE_OFX_H_
