// Writes fee invoices and settlement credit notes as UBL 2.1 documents that
// follow Peppol BIS Billing 3.0, so that a tenant on the Peppol network (or
// any EN 16931 receiver) can send them as they are.
//
// Every element BIS 3 makes mandatory is written, in UBL schema order:
// CustomizationID (urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:
// 2017:poacc:billing:3.0) and ProfileID (…:billing:01:1.0), ID, IssueDate,
// DueDate (invoices), Invoice/CreditNoteTypeCode (380/381), DocumentCurrency-
// Code, BuyerReference (PEPPOL-EN16931-R003), BillingReference for a credit
// note that corrects an invoice, both parties with EndpointID@schemeID
// (R010/R020), PostalAddress/Country (BR-8/BR-10) and RegistrationName
// (BR-6/BR-7), PaymentMeans for invoices, TaxTotal with one TaxSubtotal per
// VAT category (BR-CO-18) and exemption reason for E (BR-E-10),
// LegalMonetaryTotal, and lines with quantity, net amount, item name,
// classified tax category and price (BR-21..BR-26). Rule conflicts the data
// could cause are refused instead of written: a VAT amount that does not
// match the rate (BR-CO-17), category E or S without the seller's VAT id
// (BR-E-02, BR-S-02), a seller VAT id with category O (BR-O-02).
//
// The ledger's invoice has no VAT rate per line, so one VAT category covers
// the whole document: the zero category (default E) when tax is 0, else S at
// `vat_percent`. XML is produced by libxml2's writer (escaping, UTF-8).
#ifndef COLLECTIONS_CONNECTORS_UBL_WRITE_UBL_H_
#define COLLECTIONS_CONNECTORS_UBL_WRITE_UBL_H_

#include <string>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/ledger.pb.h"

namespace collections::connectors {

inline constexpr char kPeppolBis3CustomizationId[] =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
inline constexpr char kPeppolBis3ProfileId[] = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

// A seller or buyer as UBL needs it.
struct UblParty {
  // Peppol participant id: ICD scheme ("0088" GLN, "0192" Norway org no,
  // "9930" DE VAT, ...) and value. Required.
  std::string endpoint_scheme;
  std::string endpoint_id;
  // Legal name (BT-27/BT-44). Required.
  std::string registration_name;
  std::string trading_name;
  // Legal registration id (BT-30/BT-47) and VAT id (BT-31/BT-48), optional.
  std::string company_id;
  std::string vat_id;
  std::string street;
  std::string additional_street;
  std::string city;
  std::string postal_zone;
  // ISO 3166-1 alpha-2. Required.
  std::string country_code;
  std::string contact_name;
  std::string email;
  std::string telephone;
  // The buyer's reference for the document (BT-10); the document number is
  // used when empty.
  std::string buyer_reference;
};

// The buyer party of a ledger customer: endpoint from an ExternalRef id of
// the form "<scheme>:<id>" (as ParseUbl gives it), name, country, the first
// e-mail and postal address of its contacts.
UblParty UblPartyFromCustomer(const collections_sidecar::v1::Customer& customer);

struct UblWriteOptions {
  UblParty supplier;
  // UNCL 4461 payment means: 30 credit transfer, 58 SEPA credit transfer.
  std::string payment_means_code = "30";
  // The seller's account for the payment (BT-84), e.g. an IBAN.
  std::string payee_account;
  // VAT category of documents without tax: "E" (exempt, needs an exemption
  // reason) or "O" (outside the scope of VAT).
  std::string zero_vat_category = "E";
  std::string exemption_reason = "Compensation for late payment, exempt from VAT";
  // VAT rate in percent ("20", "7.5") for documents with tax (category S).
  std::string vat_percent;
  // UN/ECE Rec 20 unit of measure for quantities ("C62" = one).
  std::string unit_code = "C62";
};

// One UBL Invoice document. InvalidArgument (reason PEPPOL_RULE or
// PEPPOL_MISSING_ELEMENT, naming the rule or business term) when the
// invoice or the parties cannot make a valid BIS 3 document.
absl::StatusOr<std::string> WriteUblInvoice(const collections_sidecar::v1::Invoice& invoice,
                                            const UblParty& buyer, const UblWriteOptions& options);
// One UBL CreditNote document; `invoice_number` becomes its BillingReference.
absl::StatusOr<std::string> WriteUblCreditNote(const collections_sidecar::v1::CreditNote& credit,
                                               const UblParty& buyer,
                                               const UblWriteOptions& options);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_UBL_WRITE_UBL_H_
