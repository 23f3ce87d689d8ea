// collections-camt: syncs ISO 20022 bank statements and notifications
// (camt.052/053/054) into the ledger as payments, for cash application.
// Bank statements are input only: there is nothing to export to a bank.
//
//   collections-camt --tenant=acme --file=statement.xml
#include "connectors/camt/parse_camt.h"
#include "connectors/common/connector_main.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-camt";
  spec.format = "camt";
  spec.summary = "ISO 20022 camt.052/053/054 bank statements into the ledger as payments";
  spec.default_source_system = "camt";
  spec.make_parser = [](const cc::FlagValues&, cc::ParseOptions&,
                        std::string*) -> absl::StatusOr<cc::ParseFn> {
    return cc::ParseFn([](std::istream& in, const std::string&, const cc::ParseOptions& o,
                          const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseCamt(in, o, on_record, on_issue);
    });
  };
  return cc::ConnectorMain(spec, argc, argv);
}
