// The :86: field of an MT940 statement line ("information to account
// owner"): six lines of 65 characters in which every bank puts what it
// knows about the counterparty and the remittance, in one of three shapes.
//
//   German (DFÜ-Abkommen, Anlage 3, used by the Sparkassen, Volks- und
//   Raiffeisenbanken, Commerzbank, Deutsche Bank ...):
//     a 3-digit Geschäftsvorfallcode, then subfields "?NN" (the separator is
//     the character after the code, '?' in practice): ?00 booking text,
//     ?10 Primanota, ?20-?29 and ?60-?63 Verwendungszweck, ?30 bank code or
//     BIC, ?31 account or IBAN, ?32-?33 counterparty name, ?34 text key
//     addition. The lines are joined without a separator (a subfield may run
//     over a line end), and the Verwendungszweck subfields likewise (SEPA
//     splits its 140 characters into 27-character pieces, mid-word). Inside
//     it, SEPA keywords: EREF+ end-to-end id, KREF+ customer reference,
//     MREF+ mandate, CRED+ creditor id, DEBT+ debtor id, SVWZ+ remittance
//     text, ABWA+/ABWE+ ultimate debtor/creditor, OAMT+/COAM+ amounts,
//     IBAN+/BIC+ (ZKA "Spezifikation der Datenformate", Belegung des
//     Verwendungszwecks).
//   Dutch and Belgian (ING, ABN AMRO, Rabobank "nieuw formaat", Belgian
//   banks' SEPA layout): "/CODE/value" pairs: /EREF/ end-to-end id, /MARF/
//   mandate, /CSID/ creditor id, /CNTP/account/BIC/name/city/ counterparty,
//   /ORDP/ or /BENM/ with /NAME/ and /ADDR/, /REMI/USTD//text/ unstructured
//   or /REMI/STRD/CUR/reference/ structured remittance, /RTRN/ return reason.
//   Lines wrapped at the 65-character width (60 or more characters with the
//   tag: banks wrap a little short) are joined directly, shorter lines with a
//   space.
//   Anything else is free text, kept as written: wrapped lines are joined
//   directly, shorter ones end a line.
//
// Pure and thread-safe.
#ifndef COLLECTIONS_CONNECTORS_MT940_NARRATIVE_H_
#define COLLECTIONS_CONNECTORS_MT940_NARRATIVE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace collections::connectors {

struct Mt940Narrative {
  enum class Dialect { kFreeText, kGermanSubfields, kSlashCodes };
  Dialect dialect = Dialect::kFreeText;
  // German Geschäftsvorfallcode ("166"), empty otherwise.
  std::string transaction_code;
  // ?00 ("UEBERWEISUNG", "SEPA-LASTSCHR. RETOURE CORE").
  std::string booking_text;
  // The remittance text: SVWZ+, /REMI/ (unstructured), or the free text.
  std::string remittance;
  std::string end_to_end_id;         // EREF+ / /EREF/ ("NOTPROVIDED" dropped)
  std::string customer_reference;    // KREF+
  std::string mandate_reference;     // MREF+ / /MARF/
  std::string creditor_id;           // CRED+ / /CSID/
  std::string counterparty_name;     // ?32?33, /CNTP/ name, /NAME/, ABWA+ as fallback
  std::string counterparty_account;  // ?31, /CNTP/ account, IBAN+
  std::string counterparty_bic;      // ?30, /CNTP/ BIC, BIC+
  std::string return_reason;         // /RTRN/
  // /REMI/STRD/<issuer>/<reference>/ references.
  std::vector<std::string> structured_references;
};

// `lines` are the field's physical lines (the first without ":86:").
Mt940Narrative ParseNarrative(const std::vector<std::string>& lines);

// "/CODE/value/CODE/value/" pairs (the Dutch/Belgian :86: layout, and the
// :61: supplementary details "/OCMT/EUR11,85//CHGS/EUR0,50/"), splitting
// only at codes this parser knows so that a '/' inside a value (a date, an
// invoice number) stays in it. Values keep their inner '/'; one trailing
// '/' is removed. Codes in order of appearance.
std::vector<std::pair<std::string, std::string>> SplitSlashCodes(absl::string_view text);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_MT940_NARRATIVE_H_
