// collections-mt940: syncs SWIFT MT940 bank statements into the ledger as
// payments, for cash application. Bank statements are input only.
//
//   collections-mt940 --tenant=acme --file=statement.sta
#include "connectors/common/connector_main.h"
#include "connectors/mt940/parse_mt940.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-mt940";
  spec.format = "mt940";
  spec.summary = "SWIFT MT940 bank statements into the ledger as payments";
  spec.default_source_system = "mt940";
  // SWIFT fixes the decimal comma and forbids grouping.
  spec.number_format = cc::kCommaDecimal;
  spec.number_format_fixed = true;
  spec.make_parser = [](const cc::FlagValues&, cc::ParseOptions&,
                        std::string*) -> absl::StatusOr<cc::ParseFn> {
    return cc::ParseFn([](std::istream& in, const std::string&, const cc::ParseOptions& o,
                          const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseMt940(in, o, on_record, on_issue);
    });
  };
  return cc::ConnectorMain(spec, argc, argv);
}
