// collections-plaintext: syncs plain-text accounting journals (hledger,
// ledger, beancount) into the ledger, and exports the fees and write-offs
// the service decided as journal transactions to append to the books.
//
//   collections-plaintext --tenant=acme --file=books.journal --currency=EUR
//   collections-plaintext export --tenant=acme --dialect=beancount >> books.beancount
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "connectors/common/connector_main.h"
#include "connectors/plaintext/parse_plaintext.h"
#include "connectors/plaintext/write_plaintext.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-plaintext";
  spec.format = "plaintext";
  spec.summary = "hledger/ledger/beancount journals into the collections ledger, and back";
  spec.default_source_system = "journal";
  // Journals write 1,234.56 unless the user says otherwise.
  spec.number_format = cc::kPointDecimalGrouped;
  spec.number_format_fixed = false;
  spec.text_input = true;
  spec.flags = {
      {"receivable_marker", "receivable",
       "an account segment containing this marks a receivable account"},
      {"default_year", "0", "year of partial dates before any year directive (0: this year)"},
      {"terms_days", "0", "days from transaction to due date when the journal says nothing"},
      {"dialect", "ledger", "export: ledger (hledger and ledger) or beancount"},
  };
  spec.make_parser = [](const cc::FlagValues& flags, cc::ParseOptions&,
                        std::string* fingerprint) -> absl::StatusOr<cc::ParseFn> {
    cc::PlaintextParseOptions p;
    p.receivable_marker = flags.Get("receivable_marker");
    if (!absl::SimpleAtoi(flags.Get("default_year"), &p.default_year) ||
        !absl::SimpleAtoi(flags.Get("terms_days"), &p.default_terms_days) ||
        p.default_terms_days < 0) {
      return absl::InvalidArgumentError("--default_year and --terms_days must be numbers");
    }
    *fingerprint =
        absl::StrCat(p.receivable_marker, "|", p.default_year, "|", p.default_terms_days);
    return cc::ParseFn([p](std::istream& in, const std::string&, const cc::ParseOptions& o,
                           const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParsePlaintextJournal(in, o, on_record, on_issue, p);
    });
  };
  spec.write_export = [](const cc::ExportSet& set, const cc::FlagValues& flags,
                         std::ostream& out) -> absl::Status {
    auto entries = cc::CollectionEntriesOf(set);
    if (!entries.ok()) return entries.status();
    cc::JournalWriteOptions w;
    const std::string dialect = flags.Get("dialect");
    if (dialect == "beancount") {
      w.dialect = cc::JournalWriteOptions::Dialect::kBeancount;
    } else if (dialect != "ledger") {
      return absl::InvalidArgumentError("--dialect must be ledger or beancount");
    }
    return cc::WriteJournal(out, *entries, w);
  };
  return cc::ConnectorMain(spec, argc, argv);
}
