// collections-ofx: syncs OFX/QFX bank statement downloads (OFX 1.x SGML and
// 2.x XML) into the ledger as payments, for cash application. Bank
// statements are input only.
//
//   collections-ofx --tenant=acme --file=checking.qfx
#include "connectors/common/connector_main.h"
#include "connectors/ofx/parse_ofx.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-ofx";
  spec.format = "ofx";
  spec.summary = "OFX/QFX bank statements (1.x SGML, 2.x XML) into the ledger as payments";
  spec.default_source_system = "ofx";
  // OFX fixes the notation: no grouping, a period (or a comma, read as well).
  spec.number_format = cc::kXsdDecimal;
  spec.number_format_fixed = true;
  spec.number_format_help =
      "how amounts are written: fixed by OFX, no group marks and a decimal point (1234.56) or, "
      "as some banks write, a decimal comma (1234,56); both are read, whatever the flag says";
  spec.make_parser = [](const cc::FlagValues&, cc::ParseOptions&,
                        std::string*) -> absl::StatusOr<cc::ParseFn> {
    return cc::ParseFn([](std::istream& in, const std::string&, const cc::ParseOptions& o,
                          const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseOfx(in, o, on_record, on_issue);
    });
  };
  return cc::ConnectorMain(spec, argc, argv);
}
