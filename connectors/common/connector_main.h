// The command line shared by every connector executable (collections-iif,
// collections-xero, ...): flags, the sync of one file or a watched folder,
// and the `export` subcommand. A format's main.cc only describes itself in a
// ConnectorSpec (its parser, its writer, its own flags) and calls
// ConnectorMain, so every connector behaves alike and has the same exit
// codes (runner.h).
//
//   collections-iif --tenant=acme --file=export.iif [--dry_run] [--quarantine]
//   collections-iif --tenant=acme --watch=/srv/exports
//   collections-iif export --tenant=acme --out=fees.iif
#ifndef COLLECTIONS_CONNECTORS_COMMON_CONNECTOR_MAIN_H_
#define COLLECTIONS_CONNECTORS_COMMON_CONNECTOR_MAIN_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "connectors/common/client.h"
#include "connectors/common/collection_entry.h"
#include "connectors/common/runner.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;

// A --name=value flag. Boolean flags are given as --name or --name=false.
struct FlagDef {
  std::string name;
  std::string default_value;
  std::string help;
  bool boolean = false;
};

class FlagValues {
 public:
  // The value given, else the default.
  std::string Get(absl::string_view name) const;
  bool Bool(absl::string_view name) const;
  // True when the flag was given on the command line.
  bool Given(absl::string_view name) const;

 private:
  friend absl::StatusOr<FlagValues> ParseFlags(const std::vector<FlagDef>& defs,
                                               const std::vector<std::string>& args,
                                               std::vector<std::string>* positional);
  std::map<std::string, std::string, std::less<>> values_;
  std::map<std::string, std::string, std::less<>> defaults_;
};

// Parses "--name=value", "--name value" and "--flag" against `defs`.
// InvalidArgument naming the flag for an unknown flag or a missing value.
absl::StatusOr<FlagValues> ParseFlags(const std::vector<FlagDef>& defs,
                                      const std::vector<std::string>& args,
                                      std::vector<std::string>* positional);

// What the service produced, for a format's writer: fee invoices and
// settlement credit notes whose ExternalRef.source_system is the export
// source ("collections" for documents the service created), and with that
// source the service's write-offs as credit notes numbered "WO-<id>" that
// credit the written-off invoice (the host books them as bad debt).
struct ExportSet {
  // The customers owning at least one exported document.
  std::vector<v1::Customer> customers;
  // Invoices and credit notes; customer_ref is the owner's ExternalRef.id in
  // the host system (the name the host knows the customer by). Ordered by
  // customer, invoices before credit notes, then as listed by the server.
  std::vector<v1::SyncRecord> records;
};

// Reads every invoice and credit note of `tenant` whose ExternalRef
// source_system is `source_system`. Errors are the client's.
absl::StatusOr<ExportSet> CollectExport(LedgerClient& client, const std::string& tenant,
                                        const std::string& source_system);

// The export as collection entries, for the ledgers whose writers take
// them (GnuCash, plain-text journals): an invoice becomes a fee (kInterest
// when its first line's description mentions interest), a credit note (a
// settlement's forgiven part) a write-off of the invoice it credits.
// InvalidArgument naming the document when a date is not a calendar day.
absl::StatusOr<std::vector<CollectionEntry>> CollectionEntriesOf(const ExportSet& set);

// For formats with one file per document (UBL, CII): writes
// `dir`/<SafeFileName(number)><extension> atomically for every record of
// `set`, with the bytes `render(record, owner)` makes from the record and
// the customer that owns it, and prints each path on `out`. A document that
// does not render is skipped, not the export: every other document is
// written, and the result is InvalidArgument DOCUMENTS_NOT_WRITTEN naming
// each skipped one ("invoice FEE-1 of customer C-1: BR-CO-15: ..."). A file
// that cannot be written stops the export with that error.
using RenderDocument =
    std::function<absl::StatusOr<std::string>(const v1::SyncRecord&, const v1::Customer&)>;
absl::Status WriteOneFilePerDocument(const ExportSet& set, const std::string& dir,
                                     const std::string& extension, const RenderDocument& render,
                                     std::ostream& out);

struct ConnectorSpec {
  std::string program;                // "collections-iif"
  std::string format;                 // "iif"
  std::string summary;                // one line for --help
  std::string default_source_system;  // "quickbooks"
  // Currency of amounts the format does not qualify ("" = none).
  std::string default_currency;
  // How the format writes numbers (amount.h). When `number_format_fixed`
  // the format's specification fixes it (xsd:decimal in XML formats) and
  // --number_format is refused; otherwise it is the default of the flag.
  NumberFormat number_format = kXsdDecimal;
  bool number_format_fixed = true;
  // The --number_format help when the sentence made from the two fields
  // above would mislead (OFX reads either decimal mark).
  std::string number_format_help;
  // Line-based text input (RunOptions::text_input).
  bool text_input = false;
  // Format-specific flags (e.g. --date_format for Xero).
  std::vector<FlagDef> flags;
  // Completes `options` from the flags and returns the parser. `fingerprint`
  // receives the format-specific options that change the records (part of
  // the sync id). InvalidArgument = a usage error.
  std::function<absl::StatusOr<ParseFn>(const FlagValues&, ParseOptions& options,
                                        std::string* fingerprint)>
      make_parser;
  // The export writes one file per document (WriteOneFilePerDocument): when
  // some fail, the list of those written is still printed.
  bool one_file_per_document = false;
  // Writes an export in the format; empty = the format has no export.
  std::function<absl::Status(const ExportSet&, const FlagValues&, std::ostream&)> write_export;
};

// The --help text: usage lines, every flag with its help and default, and
// the exit codes.
std::string ConnectorUsage(const ConnectorSpec& spec);

// The whole connector process: parses argv, runs, prints the report on
// stdout (errors and retries on stderr) and returns the exit code.
int ConnectorMain(const ConnectorSpec& spec, int argc, char** argv);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_CONNECTOR_MAIN_H_
