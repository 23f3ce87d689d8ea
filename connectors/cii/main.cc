// collections-cii: syncs UN/CEFACT CII invoices and credit notes (Factur-X,
// ZUGFeRD 2, XRechnung; XML files or PDFs with the XML embedded) into the
// ledger, and exports the fee invoices, settlement credit notes and
// write-off corrections the service created as EN 16931 CII, one file per
// document, or as Factur-X PDF/A-3 with --facturx.
//
//   collections-cii --tenant=acme --file=invoice.pdf
//   collections-cii --tenant=acme --watch=/srv/xrechnung/inbox
//   collections-cii export --tenant=acme --out_dir=outbox --facturx
//       --seller_name="Acme GmbH" --seller_country=DE --seller_vat_id=DE123456789
//       --payee_iban=DE89370400440532013000
#include "absl/strings/str_split.h"
#include "connectors/cii/parse_cii.h"
#include "connectors/cii/write_cii.h"
#include "connectors/common/connector_main.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-cii";
  spec.format = "cii";
  spec.summary =
      "UN/CEFACT CII invoices (Factur-X, ZUGFeRD 2, XRechnung; XML or PDF) into the ledger, and "
      "back";
  spec.default_source_system = "cii";
  spec.flags = {
      {"out_dir", "",
       "export: folder for the documents, one <number>.xml (or .pdf) each (required)"},
      {"facturx", "false", "export: write Factur-X PDF/A-3 files with the CII XML embedded", true},
      {"seller_name", "", "export: the seller's legal name (BT-27)"},
      {"seller_country", "", "export: the seller's ISO 3166 country code (BT-40)"},
      {"seller_vat_id", "", "export: the seller's VAT id (BT-31)"},
      {"seller_id", "",
       "export: the seller's global id as <ICD scheme>:<id>, e.g. 0088:4000001123452"},
      {"seller_address", "", "export: the seller's street line"},
      {"seller_postcode", "", "export: the seller's post code"},
      {"seller_city", "", "export: the seller's city"},
      {"payee_iban", "", "export: the IBAN to pay to (BT-84)"},
      {"vat_percent", "", "export: VAT rate of documents with tax"},
      {"zero_vat_category", "E",
       "export: VAT category of documents without tax: E (exempt) or O (outside scope)"},
  };
  spec.make_parser = [](const cc::FlagValues&, cc::ParseOptions&,
                        std::string*) -> absl::StatusOr<cc::ParseFn> {
    return cc::ParseFn([](std::istream& in, const std::string&, const cc::ParseOptions& o,
                          const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseCii(in, o, on_record, on_issue);
    });
  };
  spec.one_file_per_document = true;
  spec.write_export = [](const cc::ExportSet& set, const cc::FlagValues& flags,
                         std::ostream& out) -> absl::Status {
    const std::string dir = flags.Get("out_dir");
    cc::CiiWriteOptions w;
    w.seller.name = flags.Get("seller_name");
    w.seller.country_code = flags.Get("seller_country");
    w.seller.vat_id = flags.Get("seller_vat_id");
    const std::pair<std::string, std::string> id =
        absl::StrSplit(flags.Get("seller_id"), absl::MaxSplits(':', 1));
    w.seller.global_id_scheme = id.first;
    w.seller.global_id = id.second;
    w.seller.address_line = flags.Get("seller_address");
    w.seller.postcode = flags.Get("seller_postcode");
    w.seller.city = flags.Get("seller_city");
    w.payee_iban = flags.Get("payee_iban");
    w.vat_percent = flags.Get("vat_percent");
    w.zero_vat_category = flags.Get("zero_vat_category");
    const bool facturx = flags.Bool("facturx");
    return cc::WriteOneFilePerDocument(
        set, dir, facturx ? ".pdf" : ".xml",
        [&](const collections_sidecar::v1::SyncRecord& record,
            const collections_sidecar::v1::Customer& owner) {
          return cc::WriteCiiDocument(record, owner, w, facturx);
        },
        out);
  };
  return cc::ConnectorMain(spec, argc, argv);
}
