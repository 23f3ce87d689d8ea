// collections-edifact: syncs UN/EDIFACT INVOIC invoices and credit notes,
// and REMADV remittance advice as payments, into the ledger.
//
//   collections-edifact --tenant=acme --file=invoic.edi
//   collections-edifact --tenant=acme --watch=/srv/edi/in
#include <iostream>

#include "connectors/common/connector_main.h"
#include "connectors/edifact/parse_edifact.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-edifact";
  spec.format = "edifact";
  spec.summary = "UN/EDIFACT INVOIC and REMADV messages into the ledger";
  spec.default_source_system = "edifact";
  spec.make_parser = [](const cc::FlagValues&, cc::ParseOptions&,
                        std::string*) -> absl::StatusOr<cc::ParseFn> {
    cc::EdifactOptions edifact;
    edifact.on_warning = [](cc::ParseIssue w) { std::cerr << "warning: " << w.ToString() << "\n"; };
    return cc::ParseFn([edifact](std::istream& in, const std::string&, const cc::ParseOptions& o,
                                 const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseEdifact(in, o, on_record, on_issue, edifact);
    });
  };
  return cc::ConnectorMain(spec, argc, argv);
}
