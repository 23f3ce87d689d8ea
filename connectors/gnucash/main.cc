// collections-gnucash: syncs GnuCash books (XML, gzip XML or SQLite; or the
// customer importer CSV) into the ledger, and exports the fees and
// write-offs the service decided as CSV for GnuCash's importers.
//
//   collections-gnucash --tenant=acme --file=books.gnucash --currency=EUR
//   collections-gnucash export --tenant=acme --csv=transactions --out=fees.csv

#include "connectors/common/connector_main.h"
#include "connectors/gnucash/parse_gnucash.h"
#include "connectors/gnucash/write_gnucash.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-gnucash";
  spec.format = "gnucash";
  spec.summary = "GnuCash books into the collections ledger, and fees back as import CSV";
  spec.default_source_system = "gnucash";
  spec.flags = {
      {"customers_csv", "false", "the input is GnuCash's customer importer CSV, not a book", true},
      {"csv", "transactions",
       "export: transactions (Import Transactions, gnc-trans; fees and write-offs) or "
       "invoices (Import Bills & Invoices; fees only)"},
  };
  spec.make_parser = [](const cc::FlagValues& flags, cc::ParseOptions&,
                        std::string* fingerprint) -> absl::StatusOr<cc::ParseFn> {
    if (flags.Bool("customers_csv")) {
      *fingerprint = "customers-csv";
      return cc::ParseFn([](std::istream& in, const std::string&, const cc::ParseOptions& o,
                            const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
        return cc::ParseGnuCashCustomersCsv(in, o, on_record, on_issue);
      });
    }
    // A book may be SQLite, which is opened by path, not streamed.
    return cc::ParseFn([](std::istream&, const std::string& path, const cc::ParseOptions& o,
                          const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseGnuCashFile(path, o, on_record, on_issue);
    });
  };
  spec.write_export = [](const cc::ExportSet& set, const cc::FlagValues& flags,
                         std::ostream& out) -> absl::Status {
    auto entries = cc::CollectionEntriesOf(set);
    if (!entries.ok()) return entries.status();
    const std::string csv = flags.Get("csv");
    if (csv == "transactions") return cc::WriteGnuCashTransactionCsv(out, *entries);
    if (csv != "invoices") {
      return absl::InvalidArgumentError("--csv must be transactions or invoices");
    }
    std::vector<cc::CollectionEntry> fees;
    for (auto& e : *entries) {
      if (e.kind != cc::CollectionEntry::Kind::kWriteOff) fees.push_back(std::move(e));
    }
    return cc::WriteGnuCashInvoiceCsv(out, fees);
  };
  return cc::ConnectorMain(spec, argc, argv);
}
