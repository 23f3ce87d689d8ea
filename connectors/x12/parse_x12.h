// Reads ANSI ASC X12 interchanges (versions 003040 to 008010; the segments
// used here have not changed) holding 810 invoices and 820 payment orders /
// remittance advice.
//
// Envelope rules (X12.5 / X12.6):
//   - The interchange starts with the fixed-length ISA segment: the byte
//     after "ISA" is the element separator, ISA16 the component separator
//     and the byte after ISA16 the segment terminator, which may be any
//     character, including a control character (NAK 0x15) or CR. Line breaks
//     and indentation after a terminator are not data and are skipped; so is
//     a UTF-8 byte order mark. A file may hold several interchanges.
//   - GS/GE groups hold ST/SE transaction sets. Control numbers must pair
//     (ISA13 = IEA02, GS06 = GE02, ST02 = SE02) and counts must agree (IEA01
//     groups, GE01 sets, SE01 segments from ST to SE, CTT01 line items). A
//     mismatch is reported as a located warning (X12Options.on_warning): the
//     content is still complete. A transaction set that never ends (no SE)
//     or whose data is wrong is refused through `on_issue`.
//
// 810 (invoice) mapping, through the shared e-invoice rules
// (connectors/einvoice/document.h): BIG01 date, BIG02 number, BIG07 CR
// (credit memo) or CN (credit invoice) makes a credit note, BIG08 01
// (cancellation) is refused; CUR02 the currency (else --currency, else
// refused); the customer is the N1 loop BT (bill-to), else PR (payer), else
// BY (buying party), identified by "<N103>:<N104>"; REF*OI the original
// invoice of a credit; ITD06 net due date, or BIG01 + ITD07 net days, with
// the discount terms (ITD03 %, ITD05 days, ITD04 date) and ITD12 kept as the
// terms text; TDS01 the total (type N2: two implied decimals); TXI02 after
// TDS the tax; IT1/PID the lines.
//
// 820 (remittance) mapping: one Payment per transaction set. BPR02 the
// amount (a decimal, type R), BPR04 the method (ACH, FWT, BOP: bank transfer;
// CHK: cheque), BPR16 the effective date (else a header DTM, else GS04);
// TRN02, the trace number (ACH trace or cheque number), is the payer
// reference and the external id; N1*PR the payer's name. Each RMR names a
// document: qualifiers IV (seller's invoice number), OI (original invoice
// number) and AP (accounts-receivable open item) an invoice, CM a credit
// memo; its net amount is RMR04 (amount paid), else RMR05 - RMR06 plus the
// ADX adjustments that follow it. ADX segments directly in an ENT loop are
// deductions not tied to a document (credit memos, debit memos; ADX04 the
// reference). The payment carries every named document as a remitted
// document (with its amount, credit memos and negative items as
// credit notes) and explicit allocations to exactly the invoices named, in
// the payer's order (AllocateRemittance: when deductions make the invoices
// exceed the payment, the last ones named get less, with a warning). RMR
// items with other qualifiers (PO, ...) cannot name an invoice and are kept
// in the remittance text. BPR01 P (prenotification) and zero amounts move no money
// and are skipped with a warning.
//
// Streaming: one transaction set's state at a time.
#ifndef COLLECTIONS_CONNECTORS_X12_PARSE_X12_H_
#define COLLECTIONS_CONNECTORS_X12_PARSE_X12_H_

#include <cstdint>
#include <istream>

#include "absl/status/status.h"
#include "connectors/common/records.h"

namespace collections::connectors {

struct X12Options {
  // When set, an 820 payment's customer is its payer (N1*PR), by the same
  // "<N103>:<N104>" id the 810 import gives a bill-to party, and its
  // allocations apply as stated. Otherwise the payment is sent without a
  // customer and the service's cash application finds the customer from
  // the invoices the remittance names.
  bool payer_is_customer = false;
  // Located warnings (control-number and count mismatches, skipped sets).
  IssueSink on_warning;
};

struct X12Stats {
  int64_t interchanges = 0;
  int64_t groups = 0;
  int64_t transaction_sets = 0;
  int64_t invoices = 0;  // 810 sets mapped
  int64_t payments = 0;  // 820 sets mapped
  int64_t skipped = 0;   // other sets, prenotifications
  int64_t warnings = 0;
};

// Parses every interchange of `in` (see records.h for the contract).
// ExternalRef.source_system is options.source_system or "x12". Errors:
// InvalidArgument with reason X12_NO_ISA (not an X12 interchange),
// X12_BAD_ISA (the ISA segment cannot give the delimiters) or
// EDI_UNTERMINATED_SEGMENT / EDI_SEGMENT_TOO_LONG, each naming the line.
absl::Status ParseX12(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue, const X12Options& x12 = {},
                      X12Stats* stats = nullptr);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_X12_PARSE_X12_H_
