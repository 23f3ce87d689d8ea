// collections-datev: syncs DATEV EXTF files (Buchungsstapel bookings and
// Debitoren/Kreditoren master data, format versions 5xx and 7xx) into the
// ledger, and exports the service's fee and interest invoices, settlement
// credit notes and write-offs as an EXTF Buchungsstapel for the advisor.
//
//   collections-datev --tenant=acme --file=EXTF_Debitoren.csv
//   collections-datev --tenant=acme --file=EXTF_Buchungsstapel.csv
//   collections-datev export --tenant=acme --berater=1001 --mandant=456
//       --fee_account=8400 --writeoff_account=2400 --out=EXTF_Gebuehren.csv
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "connectors/common/connector_main.h"
#include "connectors/datev/parse_datev.h"
#include "connectors/datev/write_datev.h"

namespace cc = collections::connectors;

int main(int argc, char** argv) {
  cc::ConnectorSpec spec;
  spec.program = "collections-datev";
  spec.format = "datev";
  spec.summary =
      "DATEV EXTF bookings and debtors into the ledger, and fees back as a Buchungsstapel";
  spec.default_source_system = "datev";
  // DATEV fixes the decimal comma and forbids grouping.
  spec.number_format = cc::kCommaDecimal;
  spec.number_format_fixed = true;
  spec.flags = {
      {"payment_terms_days", "14",
       "due date of an invoice booking without Fälligkeit: Belegdatum + days"},
      {"bank_accounts", "",
       "bank and cash accounts whose credits to a debtor are payments, e.g. 1200-1299,1800 "
       "(default: 1000-1299 for SKR03, 1600-1899 for SKR04, scaled to the account length)"},
      {"berater", "", "export: DATEV advisor number (Beraternummer)"},
      {"mandant", "", "export: DATEV client number (Mandantennummer)"},
      {"account_length", "4", "export: Sachkontenlänge, 4..8"},
      {"fee_account", "", "export: revenue account of late fees (required)"},
      {"interest_account", "",
       "export: revenue account of late-payment interest (default: fee account)"},
      {"writeoff_account", "",
       "export: account debited by write-offs and settlement credit notes (required)"},
      {"fiscal_year_start", "0101", "export: first day of the fiscal year, MMDD"},
      {"chart", "", "export: SKR of the client, 03 or 04 (informational)"},
  };
  spec.make_parser = [](const cc::FlagValues& flags, cc::ParseOptions&,
                        std::string* fingerprint) -> absl::StatusOr<cc::ParseFn> {
    cc::DatevOptions d;
    if (!absl::SimpleAtoi(flags.Get("payment_terms_days"), &d.payment_terms_days) ||
        d.payment_terms_days < 0 || d.payment_terms_days > 3650) {
      return absl::InvalidArgumentError("--payment_terms_days must be 0..3650");
    }
    if (!flags.Get("bank_accounts").empty()) {
      auto ranges = cc::ParseAccountRanges(flags.Get("bank_accounts"));
      if (!ranges.ok())
        return absl::InvalidArgumentError(
            absl::StrCat("--bank_accounts: ", ranges.status().message()));
      d.bank_accounts = *ranges;
    }
    *fingerprint =
        absl::StrCat("terms=", d.payment_terms_days, ";banks=", flags.Get("bank_accounts"));
    return cc::ParseFn([d](std::istream& in, const std::string&, const cc::ParseOptions& o,
                           const cc::RecordSink& on_record, const cc::IssueSink& on_issue) {
      return cc::ParseDatev(in, o, d, on_record, on_issue);
    });
  };
  spec.write_export = [](const cc::ExportSet& set, const cc::FlagValues& flags,
                         std::ostream& out) -> absl::Status {
    cc::DatevExportOptions o;
    o.berater = flags.Get("berater");
    o.mandant = flags.Get("mandant");
    if (!absl::SimpleAtoi(flags.Get("account_length"), &o.account_length) || o.account_length < 4 ||
        o.account_length > 8) {
      return absl::InvalidArgumentError("--account_length must be 4..8");
    }
    o.fee_account = flags.Get("fee_account");
    o.interest_account = flags.Get("interest_account");
    o.writeoff_account = flags.Get("writeoff_account");
    const std::string fy = flags.Get("fiscal_year_start");
    if (fy.size() != 4 || !absl::SimpleAtoi(fy.substr(0, 2), &o.fiscal_year_start_month) ||
        !absl::SimpleAtoi(fy.substr(2), &o.fiscal_year_start_day) ||
        o.fiscal_year_start_month < 1 || o.fiscal_year_start_month > 12 ||
        o.fiscal_year_start_day < 1 || o.fiscal_year_start_day > 28) {
      return absl::InvalidArgumentError("--fiscal_year_start must be MMDD with a day of 01..28");
    }
    o.chart = flags.Get("chart");
    o.created = absl::FormatTime("%Y%m%d%H%M%S000", absl::Now(), absl::UTCTimeZone());
    auto entries = cc::CollectionEntriesOf(set);
    if (!entries.ok()) return entries.status();
    return cc::WriteDatevBookings(set, *entries, o, out);
  };
  return cc::ConnectorMain(spec, argc, argv);
}
