// collections-x12: syncs ANSI X12 810 invoices and 820 remittance advice
// into the ledger: invoices and credit memos, and payments with the
// invoices they settle.
//
//   collections-x12 --tenant=acme --file=inbound.x12 [--currency=USD]
//   collections-x12 --tenant=acme --watch=/srv/edi/in --payer_is_customer
#include <iostream>

#include "connectors/common/connector_main.h"
#include "connectors/x12/parse_x12.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-x12";
  spec.format = "x12";
  spec.summary = "ANSI X12 810 invoices and 820 remittance advice into the ledger";
  spec.default_source_system = "x12";
  spec.flags = {
      {"payer_is_customer", "false",
       "820: the payer (N1*PR id) is the customer and the allocations apply as stated; "
       "otherwise cash application finds the customer from the invoices named",
       true},
  };
  spec.make_parser = [](const cc::FlagValues& flags, cc::ParseOptions&,
                        std::string* fingerprint) -> absl::StatusOr<cc::ParseFn> {
    cc::X12Options x12;
    x12.payer_is_customer = flags.Bool("payer_is_customer");
    *fingerprint = x12.payer_is_customer ? "payer-is-customer" : "";
    x12.on_warning = [](cc::ParseIssue w) { std::cerr << "warning: " << w.ToString() << "\n"; };
    return cc::ParseFn([x12](std::istream& in, const std::string&, const cc::ParseOptions& o,
                             const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseX12(in, o, on_record, on_issue, x12);
    });
  };
  return cc::ConnectorMain(spec, argc, argv);
}
