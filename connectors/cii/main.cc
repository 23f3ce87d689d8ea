// collections-cii: syncs UN/CEFACT CII invoices and credit notes (Factur-X,
// ZUGFeRD 2, XRechnung; XML files or PDFs with the XML embedded) into the
// ledger.
//
//   collections-cii --tenant=acme --file=invoice.pdf
//   collections-cii --tenant=acme --watch=/srv/xrechnung/inbox
#include "connectors/cii/parse_cii.h"
#include "connectors/common/connector_main.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-cii";
  spec.format = "cii";
  spec.summary = "UN/CEFACT CII invoices (Factur-X, ZUGFeRD 2, XRechnung; XML or PDF) into the ledger";
  spec.default_source_system = "cii";
  spec.make_parser = [](const cc::FlagValues&, cc::ParseOptions&,
                        std::string*) -> absl::StatusOr<cc::ParseFn> {
    return cc::ParseFn([](std::istream& in, const std::string&, const cc::ParseOptions& o,
                          const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseCii(in, o, on_record, on_issue);
    });
  };
  return cc::ConnectorMain(spec, argc, argv);
}
