// collections-iif: syncs QuickBooks Desktop IIF exports (customers, terms,
// invoices, credit memos, payments) into the ledger, and exports the fee
// invoices and settlement credit memos the service created as IIF for
// QuickBooks' File > Utilities > Import > IIF Files.
//
//   collections-iif --tenant=acme --file=export.iif --currency=USD
//   collections-iif export --tenant=acme --out=collections.iif
#include "connectors/common/connector_main.h"
#include "connectors/iif/parse_iif.h"
#include "connectors/iif/write_iif.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-iif";
  spec.format = "iif";
  spec.summary = "QuickBooks Desktop IIF exports into the collections ledger, and back";
  spec.default_source_system = "quickbooks";
  // The exporting program writes numbers in its locale; US/UK/AU by default.
  spec.number_format = cc::kPointDecimalGrouped;
  spec.number_format_fixed = false;
  spec.text_input = true;
  spec.default_currency = "USD";  // IIF has no currency; QuickBooks Desktop US
  spec.flags = {
      {"jobs_as_customers", "false",
       "treat every Customer:Job as its own customer (default: jobs belong to their customer)",
       true},
      {"windows_1252", "true", "export: write Windows-1252 (false: UTF-8)", true},
  };
  spec.make_parser = [](const cc::FlagValues& flags, cc::ParseOptions&,
                        std::string* fingerprint) -> absl::StatusOr<cc::ParseFn> {
    cc::IifParseOptions iif;
    iif.jobs_as_customers = flags.Bool("jobs_as_customers");
    *fingerprint = iif.jobs_as_customers ? "jobs" : "";
    return cc::ParseFn([iif](std::istream& in, const std::string&, const cc::ParseOptions& o,
                             const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseIif(in, o, on_record, on_issue, nullptr, iif);
    });
  };
  spec.write_export = [](const cc::ExportSet& set, const cc::FlagValues& flags,
                         std::ostream& out) -> absl::Status {
    cc::IifWriteOptions w;
    w.windows1252 = flags.Bool("windows_1252");
    cc::IifWriter writer(out, w);
    for (const auto& record : set.records) {
      absl::Status st = writer.Write(record);
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  };
  return cc::ConnectorMain(spec, argc, argv);
}
