// collections-xero: syncs Xero sales invoice / credit note CSV exports into
// the ledger, and exports the fee invoices or settlement credit notes the
// service created in Xero's import templates.
//
//   collections-xero --tenant=acme --file=SalesInvoices.csv --date_format=dmy
//   collections-xero export --tenant=acme --document=invoices --out=fees.csv
#include "connectors/common/connector_main.h"
#include "connectors/xero/parse_xero.h"
#include "connectors/xero/write_xero.h"

namespace cc = collections::connectors;

namespace {

absl::StatusOr<cc::DateOrder> DateOrderOf(const std::string& v) {
  if (v == "dmy") return cc::DateOrder::kDayMonthYear;
  if (v == "mdy") return cc::DateOrder::kMonthDayYear;
  return absl::InvalidArgumentError("--date_format must be dmy or mdy");
}

}  // namespace

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-xero";
  spec.format = "xero";
  spec.summary = "Xero sales invoice and credit note CSV into the collections ledger, and back";
  spec.default_source_system = "xero";
  // The exporting program writes numbers in its locale; US/UK/AU by default.
  spec.number_format = cc::kPointDecimalGrouped;
  spec.number_format_fixed = false;
  spec.text_input = true;
  spec.flags = {
      {"date_format", "dmy",
       "numeric date order of the organisation: dmy (UK/EU/AU/NZ) or mdy (US)"},
      {"tax_inclusive", "false", "unit amounts include tax (Xero's \"Tax inclusive\")", true},
      {"document", "invoices", "export: invoices or credit-notes (Xero imports them apart)"},
      {"account_code", "260", "export: revenue account code of fee lines"},
      {"tax_type", "Tax Exempt", "export: tax rate name of fee lines"},
  };
  spec.make_parser = [](const cc::FlagValues& flags, cc::ParseOptions& options,
                        std::string* fingerprint) -> absl::StatusOr<cc::ParseFn> {
    auto order = DateOrderOf(flags.Get("date_format"));
    if (!order.ok()) return order.status();
    options.date_order = *order;
    cc::XeroParseOptions xero;
    xero.amounts_include_tax = flags.Bool("tax_inclusive");
    *fingerprint = xero.amounts_include_tax ? "tax-inclusive" : "";
    return cc::ParseFn([xero](std::istream& in, const std::string&, const cc::ParseOptions& o,
                              const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseXeroInvoices(in, o, on_record, on_issue, xero);
    });
  };
  spec.write_export = [](const cc::ExportSet& set, const cc::FlagValues& flags,
                         std::ostream& out) -> absl::Status {
    auto order = DateOrderOf(flags.Get("date_format"));
    if (!order.ok()) return order.status();
    const std::string document = flags.Get("document");
    if (document != "invoices" && document != "credit-notes") {
      return absl::InvalidArgumentError("--document must be invoices or credit-notes");
    }
    const bool invoices = document == "invoices";
    cc::XeroWriteOptions w;
    w.date_order = *order;
    w.account_code = flags.Get("account_code");
    w.tax_type = flags.Get("tax_type");
    cc::XeroWriter writer(
        out, invoices ? cc::XeroDocument::kInvoices : cc::XeroDocument::kCreditNotes, w);
    for (const auto& record : set.records) {
      if (record.has_invoice() != invoices) continue;
      absl::Status st = writer.Write(record);
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  };
  return cc::ConnectorMain(spec, argc, argv);
}
