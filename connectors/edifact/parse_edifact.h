// Reads UN/EDIFACT interchanges (ISO 9735, syntax versions 1 to 4) holding
// INVOIC messages (directories D96A, D01B, D03B, D14B/D16A and their EANCOM
// subsets; the segments used here are the same in all of them) and REMADV
// remittance advice.
//
// Service rules (ISO 9735):
//   - An optional UNA service string advice gives, in order, the component
//     separator, the element separator, the decimal mark, the release
//     character, the repetition separator (reserved before version 4) and
//     the segment terminator; without UNA they are : + . ? (space) '.
//     A released character (?' ?+ ?: ??) is data. Line breaks after a
//     segment terminator are not data, so single-line files and
//     segment-per-line files read alike; a line break inside a free-text
//     element is kept as part of the text.
//   - UNB's syntax identifier names the character set: UNOA, UNOB and UNOC
//     are read as ISO 8859-1, UNOD..UNOK as ISO 8859-2, -5, -7, -3, -4, -6,
//     -8 and -9, UNOW and UNOY as UTF-8; text is converted to UTF-8 (iconv).
//     Other character sets are refused (EDIFACT_UNSUPPORTED_CHARSET).
//   - Numbers use the decimal mark (a full stop or a comma; version 4
//     allows either) and never group digits.
//   - The control counts are checked: UNT's segment count (UNH to UNT) and
//     message reference (= UNH's), UNZ's message (or group) count and
//     control reference (= UNB's). A mismatch is a located warning
//     (EdifactOptions.on_warning): the messages themselves are complete.
//     A message without UNT is refused; a UNO/UNP object package is skipped.
//
// INVOIC mapping, through the shared e-invoice rules
// (connectors/einvoice/document.h): BGM document code (UNTDID 1001) and
// number; DTM+137 (document date, else DTM+3 invoice date) the issue date;
// DTM+13 (terms net due date) or DTM+140 (payment due date) the due date;
// PAT (or PYT from D14B) with its DTM, PCD and FTX+AAB the payment terms,
// PAT's C112 "5:3:D:n" (n days after the invoice date) the net days; NAD+IV
// (invoicee), else NAD+BY (buyer), is the customer, identified by its
// C082 id with its ICD scheme (":0088"; code list agency 9, GS1, is ICD
// 0088), with RFF+VA its VAT id and CTA/COM its contact; CUX+2 the
// currency; RFF+OI the invoice a credit corrects; RFF+PQ the payment
// reference; PAI the payment means; after UNS+S, MOA+388 (total with VAT,
// EN 16931), else MOA+77 (invoice amount) or MOA+86 (message total), is
// the total, MOA+176 the VAT, MOA+113 the prepaid amount and MOA+9 the
// amount due; LIN/IMD/QTY+47/PRI+AAA/MOA+203 the lines.
//
// REMADV mapping: one Payment per message, its id the BGM number, its date
// DTM+137 (else DTM+209 value date), NAD+PR the payer, the total MOA+12
// (remitted amount) after UNS, else the sum of the documents; each DOC
// group names a document (DOC's C002 code: an invoice code an invoice, a
// credit-note code a credit note) with MOA+12 its remitted amount (else
// MOA+9 amount due less MOA+52 discount). Every document is kept as a
// remitted document, and the invoices get explicit allocations in the
// payer's order (AllocateRemittance in connectors/einvoice/document.h).
//
// Streaming: one message's state at a time.
#ifndef COLLECTIONS_CONNECTORS_EDIFACT_PARSE_EDIFACT_H_
#define COLLECTIONS_CONNECTORS_EDIFACT_PARSE_EDIFACT_H_

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/status.h"
#include "connectors/common/records.h"

namespace collections::connectors {

struct EdifactOptions {
  // Located warnings (control counts, skipped messages).
  IssueSink on_warning;
};

struct EdifactStats {
  std::string syntax;  // "UNOC:3"
  int64_t interchanges = 0;
  int64_t messages = 0;
  int64_t invoices = 0;  // INVOIC messages mapped
  int64_t payments = 0;  // REMADV messages mapped
  int64_t skipped = 0;   // other message types
  int64_t warnings = 0;
};

// Parses every interchange of `in` (see records.h for the contract).
// ExternalRef.source_system is options.source_system or "edifact". Errors:
// InvalidArgument with reason EDIFACT_NO_UNB (not an EDIFACT interchange),
// EDIFACT_BAD_UNA, EDIFACT_UNSUPPORTED_CHARSET, EDI_UNTERMINATED_SEGMENT or
// EDI_SEGMENT_TOO_LONG, each naming the line.
absl::Status ParseEdifact(std::istream& in, const ParseOptions& options,
                          const RecordSink& on_record, const IssueSink& on_issue,
                          const EdifactOptions& edifact = {}, EdifactStats* stats = nullptr);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_EDIFACT_PARSE_EDIFACT_H_
