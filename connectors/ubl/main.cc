// collections-ubl: syncs UBL 2.1 Invoice and CreditNote documents (Peppol
// BIS Billing 3.0 / EN 16931) into the ledger, and exports the fee invoices
// and settlement credit notes the service created as BIS 3 documents, one
// file per document.
//
//   collections-ubl --tenant=acme --file=invoice.xml
//   collections-ubl --tenant=acme --watch=/srv/peppol/inbox
//   collections-ubl export --tenant=acme --out_dir=outbox
//       --supplier_endpoint=0088:5790000435968 --supplier_name="Acme Ltd"
//       --supplier_country=DK

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "connectors/common/connector_main.h"
#include "connectors/ubl/parse_ubl.h"
#include "connectors/ubl/write_ubl.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-ubl";
  spec.format = "ubl";
  spec.summary = "UBL 2.1 / Peppol BIS 3 invoices and credit notes into the ledger, and back";
  spec.default_source_system = "peppol";
  spec.flags = {
      {"out_dir", "", "export: folder for the documents, one <number>.xml each (required)"},
      {"supplier_endpoint", "",
       "export: the seller's Peppol id as <scheme>:<id>, e.g. 0088:5790000435968"},
      {"supplier_name", "", "export: the seller's legal name"},
      {"supplier_country", "", "export: the seller's ISO 3166 country code"},
      {"supplier_vat_id", "", "export: the seller's VAT id"},
      {"payee_account", "", "export: the account to pay to (IBAN)"},
      {"vat_percent", "", "export: VAT rate of documents with tax"},
  };
  spec.make_parser = [](const cc::FlagValues&, cc::ParseOptions&,
                        std::string*) -> absl::StatusOr<cc::ParseFn> {
    return cc::ParseFn([](std::istream& in, const std::string&, const cc::ParseOptions& o,
                          const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseUbl(in, o, on_record, on_issue);
    });
  };
  spec.one_file_per_document = true;
  spec.write_export = [](const cc::ExportSet& set, const cc::FlagValues& flags,
                         std::ostream& out) -> absl::Status {
    const std::string dir = flags.Get("out_dir");
    cc::UblWriteOptions w;
    const std::pair<std::string, std::string> endpoint =
        absl::StrSplit(flags.Get("supplier_endpoint"), absl::MaxSplits(':', 1));
    w.supplier.endpoint_scheme = endpoint.first;
    w.supplier.endpoint_id = endpoint.second;
    w.supplier.registration_name = flags.Get("supplier_name");
    w.supplier.country_code = flags.Get("supplier_country");
    w.supplier.vat_id = flags.Get("supplier_vat_id");
    w.payee_account = flags.Get("payee_account");
    w.vat_percent = flags.Get("vat_percent");
    return cc::WriteOneFilePerDocument(
        set, dir, ".xml",
        [&](const collections_sidecar::v1::SyncRecord& record,
            const collections_sidecar::v1::Customer& owner) {
          const cc::UblParty buyer = cc::UblPartyFromCustomer(owner);
          return record.has_invoice() ? cc::WriteUblInvoice(record.invoice(), buyer, w)
                                      : cc::WriteUblCreditNote(record.credit_note(), buyer, w);
        },
        out);
  };
  return cc::ConnectorMain(spec, argc, argv);
}
