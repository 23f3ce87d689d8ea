#include "connectors/common/connector_main.h"

#include <map>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "collections_sidecar/v1/arrangements.grpc.pb.h"
#include "connectors/common/checkpoint.h"
#include "connectors/common/values.h"
#include "connectors/common/watch.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/cmdline/command_line.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;

// Flags are kept and looked up by their canonical (snake_case) name, so
// "--dry_run" and "--dry_run" are one flag (service/cmdline).
std::string FlagValues::Get(absl::string_view name) const {
  const std::string key = cmdline::CanonicalFlagName(name);
  if (auto it = values_.find(key); it != values_.end()) return it->second;
  if (auto it = defaults_.find(key); it != defaults_.end()) return it->second;
  return "";
}

bool FlagValues::Bool(absl::string_view name) const {
  const std::string v = absl::AsciiStrToLower(Get(name));
  return v == "true" || v == "1" || v == "yes";
}

bool FlagValues::Given(absl::string_view name) const {
  return values_.contains(cmdline::CanonicalFlagName(name));
}

absl::StatusOr<FlagValues> ParseFlags(const std::vector<FlagDef>& defs,
                                      const std::vector<std::string>& args,
                                      std::vector<std::string>* positional) {
  FlagValues out;
  for (const FlagDef& d : defs) out.defaults_[cmdline::CanonicalFlagName(d.name)] = d.default_value;
  auto find = [&](absl::string_view name) -> const FlagDef* {
    for (const FlagDef& d : defs) {
      if (cmdline::CanonicalFlagName(d.name) == name) return &d;
    }
    return nullptr;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view a = args[i];
    if (!absl::ConsumePrefix(&a, "--")) {
      positional->push_back(args[i]);
      continue;
    }
    const size_t eq = a.find('=');
    const std::string name = cmdline::CanonicalFlagName(a.substr(0, eq));
    const FlagDef* def = find(name);
    if (def == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    std::string value;
    if (eq != absl::string_view::npos) {
      value = std::string(a.substr(eq + 1));
    } else if (def->boolean) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
    out.values_[name] = std::move(value);
  }
  return out;
}

namespace {

// The service's write-offs of one customer as the credit notes that close
// them in the host's books: one per written-off invoice, numbered
// "WO-<write-off id>" (with "-<k>" when a write-off covers several invoices),
// dated on the write-off day, crediting the invoice by its number. A reversed
// write-off is not exported (the host books a reversal itself).
constexpr char kServiceSource[] = "collections";

absl::StatusOr<std::vector<v1::CreditNote>> WriteOffCreditNotes(
    LedgerClient& client, const std::string& customer,
    const std::map<std::string, std::string, std::less<>>& numbers) {
  std::vector<v1::CreditNote> out;
  auto stub = v1::ArrangementService::NewStub(client.channel());
  std::string token;
  do {
    v1::ListArrangementsRequest req;
    req.set_parent(customer);
    req.add_kinds("write_off");
    req.set_page_size(1000);
    req.set_page_token(token);
    v1::ListArrangementsResponse page;
    absl::Status st = client.Call("ListArrangements", [&](grpc::ClientContext& ctx) {
      return stub->ListArrangements(&ctx, req, &page);
    });
    if (!st.ok()) return st;
    for (const v1::Arrangement& a : page.arrangements()) {
      if (!a.has_write_off() || a.write_off().reversed()) continue;
      const v1::WriteOff& w = a.write_off();
      const std::string id(w.name().substr(w.name().rfind('/') + 1));
      for (int k = 0; k < w.items_size(); ++k) {
        const v1::WriteOff::Item& item = w.items(k);
        const std::string suffix = w.items_size() == 1 ? "" : absl::StrCat("-", k + 1);
        v1::CreditNote cn;
        cn.mutable_external_ref()->set_source_system(kServiceSource);
        cn.mutable_external_ref()->set_id(absl::StrCat(id, suffix));
        cn.set_number(absl::StrCat(absl::AsciiStrToUpper(id), suffix));
        *cn.mutable_issue_date() = w.write_off_date();
        *cn.mutable_amount() = item.amount();
        if (auto it = numbers.find(item.invoice()); it != numbers.end()) {
          cn.set_invoice_number(it->second);
        }
        cn.set_reason(PublicText(absl::StrCat("Write-off (", v1::WriteOff::Reason_Name(w.reason()),
                                              ")", w.note().empty() ? "" : ": ", w.note())));
        out.push_back(std::move(cn));
      }
    }
    token = page.next_page_token();
  } while (!token.empty());
  return out;
}

}  // namespace

absl::StatusOr<ExportSet> CollectExport(LedgerClient& client, const std::string& tenant,
                                        const std::string& source_system) {
  ExportSet out;
  std::string token;
  do {
    v1::ListCustomersRequest req;
    req.set_parent(absl::StrCat("tenants/", tenant));
    req.set_page_size(1000);
    req.set_page_token(token);
    auto page = client.ListCustomers(req);
    if (!page.ok()) return page.status();
    for (const v1::Customer& customer : page->customers()) {
      bool owns = false;
      auto add = [&](v1::SyncRecord rec) {
        rec.set_customer_ref(customer.external_ref().id());
        out.records.push_back(std::move(rec));
        owns = true;
      };
      std::map<std::string, std::string, std::less<>> numbers;  // invoice name -> number
      std::string inv_token;
      do {
        v1::ListInvoicesRequest ir;
        ir.set_parent(customer.name());
        ir.set_page_size(1000);
        ir.set_page_token(inv_token);
        auto invoices = client.ListInvoices(ir);
        if (!invoices.ok()) return invoices.status();
        for (const v1::Invoice& inv : invoices->invoices()) {
          numbers[inv.name()] = inv.number();
          if (inv.external_ref().source_system() != source_system) continue;
          v1::SyncRecord rec;
          *rec.mutable_invoice() = inv;
          for (v1::InvoiceLine& line : *rec.mutable_invoice()->mutable_lines()) {
            line.set_description(PublicText(line.description()));
          }
          rec.mutable_invoice()->mutable_terms()->set_payment_terms_text(
              PublicText(inv.terms().payment_terms_text()));
          add(std::move(rec));
        }
        inv_token = invoices->next_page_token();
      } while (!inv_token.empty());
      std::string cn_token;
      do {
        v1::ListCreditNotesRequest cr;
        cr.set_parent(customer.name());
        cr.set_page_size(1000);
        cr.set_page_token(cn_token);
        auto notes = client.ListCreditNotes(cr);
        if (!notes.ok()) return notes.status();
        for (const v1::CreditNote& cn : notes->credit_notes()) {
          if (cn.external_ref().source_system() != source_system) continue;
          v1::SyncRecord rec;
          *rec.mutable_credit_note() = cn;
          // Credit notes the service creates name their invoice by resource
          // name, or (a settlement's) by their one allocation; the writers
          // carry its number (D5). A credit spread over several invoices
          // stays account-level: the formats name one invoice at most.
          const std::string& credited = !cn.invoice().empty()        ? cn.invoice()
                                        : cn.allocations_size() == 1 ? cn.allocations(0).invoice()
                                                                     : cn.invoice();
          if (cn.invoice_number().empty() && !credited.empty()) {
            if (auto it = numbers.find(credited); it != numbers.end()) {
              rec.mutable_credit_note()->set_invoice_number(it->second);
            }
          }
          rec.mutable_credit_note()->set_reason(PublicText(cn.reason()));
          add(std::move(rec));
        }
        cn_token = notes->next_page_token();
      } while (!cn_token.empty());
      if (source_system == kServiceSource) {
        auto write_offs = WriteOffCreditNotes(client, customer.name(), numbers);
        if (!write_offs.ok()) return write_offs.status();
        for (v1::CreditNote& cn : *write_offs) {
          v1::SyncRecord rec;
          *rec.mutable_credit_note() = std::move(cn);
          add(std::move(rec));
        }
      }
      if (owns) out.customers.push_back(customer);
    }
    token = page->next_page_token();
  } while (!token.empty());
  return out;
}

absl::Status WriteOneFilePerDocument(const ExportSet& set, const std::string& dir,
                                     const std::string& extension, const RenderDocument& render,
                                     std::ostream& out) {
  if (dir.empty())
    return absl::InvalidArgumentError("--out_dir is required: one file per document");
  std::map<std::string, v1::Customer> customers;
  for (const auto& c : set.customers) customers[c.external_ref().id()] = c;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  std::vector<std::string> failed;
  for (const auto& record : set.records) {
    const bool invoice = record.has_invoice();
    const std::string number = invoice ? record.invoice().number() : record.credit_note().number();
    absl::StatusOr<std::string> doc = render(record, customers[record.customer_ref()]);
    if (!doc.ok()) {
      // One document that cannot be written does not hold back the others.
      failed.push_back(absl::StrCat(invoice ? "invoice " : "credit note ", number, " of customer ",
                                    record.customer_ref(), ": ", doc.status().message()));
      continue;
    }
    const std::string path =
        (std::filesystem::path(dir) / (SafeFileName(number) + extension)).string();
    if (absl::Status st = WriteFileAtomically(path, *doc); !st.ok()) return st;
    out << path << "\n";
  }
  if (failed.empty()) return absl::OkStatus();
  return domain::InvalidInput(
      "DOCUMENTS_NOT_WRITTEN", "records",
      absl::StrCat(failed.size(), " of ", set.records.size(),
                   " documents not written (the others were):\n  ", absl::StrJoin(failed, "\n  ")));
}

absl::StatusOr<std::vector<CollectionEntry>> CollectionEntriesOf(const ExportSet& set) {
  std::map<std::string, std::string, std::less<>> display;
  for (const v1::Customer& c : set.customers) display[c.external_ref().id()] = c.display_name();
  std::vector<CollectionEntry> out;
  for (const v1::SyncRecord& rec : set.records) {
    CollectionEntry e;
    e.customer = rec.customer_ref();
    e.customer_name = display[rec.customer_ref()];
    if (rec.has_invoice()) {
      const v1::Invoice& inv = rec.invoice();
      const std::string first_line = inv.lines().empty() ? "" : inv.lines(0).description();
      e.kind = absl::StrContains(absl::AsciiStrToLower(first_line), "interest")
                   ? CollectionEntry::Kind::kInterest
                   : CollectionEntry::Kind::kFee;
      e.id = inv.external_ref().id();
      e.number = inv.number();
      auto date = FromProtoDate(inv.issue_date());
      if (!date.ok()) return date.status();
      e.date = *date;
      auto due = FromProtoDate(inv.due_date());
      if (due.ok()) e.due_date = *due;
      e.description = first_line.empty() ? absl::StrCat("Invoice ", inv.number()) : first_line;
      e.amount = domain::Money{inv.total().currency_code(), inv.total().minor_units()};
    } else if (rec.has_credit_note()) {
      const v1::CreditNote& cn = rec.credit_note();
      e.kind = CollectionEntry::Kind::kWriteOff;
      e.id = cn.external_ref().id();
      e.number = cn.number();
      auto date = FromProtoDate(cn.issue_date());
      if (!date.ok()) return date.status();
      e.date = *date;
      e.invoice_number = cn.invoice_number();
      e.description = cn.reason().empty() ? absl::StrCat("Credit note ", cn.number()) : cn.reason();
      e.amount = domain::Money{cn.amount().currency_code(), cn.amount().minor_units()};
    } else {
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  // A second Ctrl-C kills at once; the checkpoint still allows a resume.
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::vector<FlagDef> CommonFlags(const ConnectorSpec& spec) {
  return {
      {"server", "127.0.0.1:50051", "collectionsd address host:port"},
      {"tenant", "", "tenant id (required, except for a --dry_run without --server)"},
      {"source_system", spec.default_source_system,
       "ExternalRef.source_system of the imported records"},
      {"file", "", "the export file to sync"},
      {"watch", "", "watch this folder for new export files (see --once)"},
      {"once", "false", "with --watch: process the files present, then exit", true},
      {"poll_interval", "2", "with --watch: seconds between scans"},
      {"settle", "1", "with --watch: seconds a file must stay unchanged before it is taken"},
      {"work_dir", "",
       "with --watch: writable folder for processing/, done/, failed/ and (unless --state_dir) "
       "the checkpoints; needed when the watched folder is read-only (default: the watched "
       "folder)"},
      {"dry_run", "false",
       "validate and report; nothing is written. Server-side validation only when --server "
       "is given explicitly, else parse-only",
       true},
      {"quarantine", "false",
       "apply the good records; write bad ones with reasons to <file>.rejected.jsonl "
       "(default: reject the whole file when any record is bad)",
       true},
      {"state_dir", "",
       "folder for checkpoints (default: <file>.checkpoint next to the input; "
       "<watch>/.state in watch mode)"},
      {"chunk_size", "500", "records per SyncLedger chunk, 1..1000"},
      {"currency", spec.default_currency,
       "ISO 4217 currency for amounts the file does not qualify"},
      {"encoding", "auto", "text encoding: auto, utf-8 or windows-1252"},
      // A fixed notation has no default to override: the help states it.
      {"number_format", spec.number_format_fixed ? "" : spec.number_format.ToString(),
       !spec.number_format_help.empty() ? spec.number_format_help
       : spec.number_format_fixed
           ? absl::StrCat("how amounts are written: always ", spec.number_format.ToString(),
                          ", fixed by this format's specification (the flag accepts only that)")
           : "how amounts are written, as an example: 1,234.56 1234.56 1.234,56 1234,56 "
             "'1 234,56' 1'234.56 (a group mark only between groups of three digits)"},
      {"round", "false",
       "round amounts with more decimals than their currency allows, half away from zero "
       "(default: refuse them)",
       true},
      {"max_amount", absl::StrCat(kDefaultCeilingMajor),
       "largest amount of one document, in major units of its currency; larger ones are "
       "refused"},
      {"customer_kind", "consumer",
       "kind of customers whose kind the file does not state: consumer or business"},
      {"deadline", "60", "seconds allowed per call"},
      {"max_attempts", "8", "attempts per call when the server is unavailable"},
      {"token", "", "bearer token for the server (or env COLLECTIONS_TOKEN)"},
      {"token_file", "", "file holding the bearer token (e.g. a mounted secret)"},
      {"progress", "auto", "progress bar on stderr: auto (only on a terminal), always, never"},
      {"quiet", "false", "print the report only when the run did not succeed", true},
      {"out", "-", "export: output file ('-' = stdout)"},
      {"export_source", "collections",
       "export: the ExternalRef.source_system of the documents to export"},
      {"help", "false", "show this help", true},
  };
}

}  // namespace

std::string ConnectorUsage(const ConnectorSpec& spec) {
  std::vector<FlagDef> flags = CommonFlags(spec);
  flags.insert(flags.end(), spec.flags.begin(), spec.flags.end());
  std::string out = absl::StrCat(spec.program, ": ", spec.summary, "\n\nUsage:\n  ", spec.program,
                                 " --tenant=T --file=PATH [--dry_run] [--quarantine] [flags]\n  ",
                                 spec.program, " --tenant=T --watch=DIR [--once] [flags]\n");
  if (spec.write_export) {
    absl::StrAppend(&out, "  ", spec.program, " export --tenant=T [--out=PATH] [flags]\n");
  }
  absl::StrAppend(&out, "\nFlags:\n");
  for (const FlagDef& f : flags) {
    absl::StrAppend(&out, "  --", f.name, f.boolean ? "" : "=...", "\n      ", f.help);
    if (!f.default_value.empty() && !f.boolean) {
      absl::StrAppend(&out, " (default ", f.default_value, ")");
    }
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "\n", ExitCodeTable());
  return out;
}

namespace {

int UsageError(const ConnectorSpec& spec, absl::string_view message) {
  std::fprintf(stderr, "%s: %.*s\nRun %s --help for the flags.\n", spec.program.c_str(),
               static_cast<int>(message.size()), message.data(), spec.program.c_str());
  return kExitUsage;
}

absl::StatusOr<TextEncoding> EncodingOf(absl::string_view v) {
  if (v == "auto") return TextEncoding::kAuto;
  if (v == "utf-8" || v == "utf8") return TextEncoding::kUtf8;
  if (v == "windows-1252" || v == "cp1252") return TextEncoding::kWindows1252;
  return absl::InvalidArgumentError(absl::StrCat("--encoding: unknown encoding \"", v, "\""));
}

absl::StatusOr<AmountRules> AmountRulesFromFlags(const ConnectorSpec& spec,
                                                 const FlagValues& flags) {
  AmountRules rules;
  rules.format = spec.number_format;
  if (flags.Given("number_format")) {
    ASSIGN_OR_RETURN(NumberFormat f, ParseNumberFormat(flags.Get("number_format")));
    if (spec.number_format_fixed && !(f == spec.number_format)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--number_format: ", spec.format, " files always write ",
                       spec.number_format.ToString(), " (fixed by the format's specification)"));
    }
    rules.format = f;
    rules.format_chosen = true;
  }
  rules.round = flags.Bool("round");
  if (!absl::SimpleAtoi(flags.Get("max_amount"), &rules.ceiling_major) || rules.ceiling_major < 1 ||
      rules.ceiling_major > kMaxCeilingMajor) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_amount must be a whole number of major units, 1..", kMaxCeilingMajor));
  }
  return rules;
}

int ExportMain(const ConnectorSpec& spec, const FlagValues& flags, LedgerClient& client) {
  auto set = CollectExport(client, flags.Get("tenant"), flags.Get("export_source"));
  if (!set.ok()) {
    std::fprintf(stderr, "%s export: %s\n", spec.program.c_str(), set.status().ToString().c_str());
    return set.status().code() == absl::StatusCode::kUnavailable ? kExitUnavailable
                                                                 : kExitServerRefused;
  }
  std::ostringstream text;
  absl::Status st = spec.write_export(*set, flags, text);
  if (!st.ok()) {
    // One file per document: the documents that could be written were, and
    // `text` lists them.
    if (spec.one_file_per_document) std::cout << text.str() << std::flush;
    std::fprintf(stderr, "%s export: %s\n", spec.program.c_str(), st.ToString().c_str());
    return kExitInputRejected;
  }
  const std::string out = flags.Get("out");
  if (out == "-" || out.empty()) {
    std::cout << text.str();
    std::cout.flush();
  } else {
    st = WriteFileAtomically(out, text.str());
    if (!st.ok()) {
      std::fprintf(stderr, "%s export: %s\n", spec.program.c_str(), st.ToString().c_str());
      return kExitLocalError;
    }
  }
  std::fprintf(stderr, "%s export: %zu documents of %zu customers\n", spec.program.c_str(),
               set->records.size(), set->customers.size());
  return kExitOk;
}

// The client's deadline, attempts and credentials from the flags (--token,
// else --token_file, else COLLECTIONS_TOKEN); the error is the usage
// message.
absl::StatusOr<ClientOptions> ClientOptionsFromFlags(const FlagValues& flags) {
  ClientOptions copts;
  double deadline = 0;
  if (!absl::SimpleAtod(flags.Get("deadline"), &deadline) || deadline <= 0) {
    return absl::InvalidArgumentError("--deadline must be a positive number of seconds");
  }
  copts.call_timeout = absl::Seconds(deadline);
  if (!absl::SimpleAtoi(flags.Get("max_attempts"), &copts.max_attempts) || copts.max_attempts < 1) {
    return absl::InvalidArgumentError("--max_attempts must be at least 1");
  }
  copts.bearer_token = flags.Get("token");
  if (copts.bearer_token.empty() && !flags.Get("token_file").empty()) {
    std::ifstream in(flags.Get("token_file"));
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token_file: cannot read ", flags.Get("token_file")));
    }
    copts.bearer_token = std::string(absl::StripAsciiWhitespace(text.str()));
  }
  if (copts.bearer_token.empty() && std::getenv("COLLECTIONS_TOKEN") != nullptr) {
    copts.bearer_token = std::getenv("COLLECTIONS_TOKEN");
  }
  return copts;
}

// The parser's options common to every format (--source_system,
// --currency, --encoding, --customer_kind, amounts); the error is the usage
// message.
absl::Status ParseOptionsFromFlags(const ConnectorSpec& spec, const FlagValues& flags,
                                   ParseOptions& po) {
  po.source_system = flags.Get("source_system");
  po.default_currency = flags.Get("currency");
  auto encoding = EncodingOf(flags.Get("encoding"));
  if (!encoding.ok()) return encoding.status();
  po.encoding = *encoding;
  const std::string kind = flags.Get("customer_kind");
  if (kind == "consumer") {
    po.default_customer_kind = v1::CUSTOMER_KIND_CONSUMER;
  } else if (kind == "business") {
    po.default_customer_kind = v1::CUSTOMER_KIND_BUSINESS;
  } else {
    return absl::InvalidArgumentError("--customer_kind must be consumer or business");
  }
  auto amounts = AmountRulesFromFlags(spec, flags);
  if (!amounts.ok()) return amounts.status();
  po.amounts = *amounts;
  return absl::OkStatus();
}

}  // namespace

int ConnectorMain(const ConnectorSpec& spec, int argc, char** argv) {
  std::vector<FlagDef> defs = CommonFlags(spec);
  defs.insert(defs.end(), spec.flags.begin(), spec.flags.end());
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> positional;
  auto flags = ParseFlags(defs, args, &positional);
  if (!flags.ok()) return UsageError(spec, flags.status().message());
  if (flags->Bool("help") || (!positional.empty() && positional[0] == "help")) {
    std::cout << ConnectorUsage(spec);
    return kExitOk;
  }
  std::string command = positional.empty() ? "sync" : positional[0];
  if (positional.size() > 1 || (command != "sync" && command != "export")) {
    return UsageError(spec, absl::StrCat("unexpected argument \"", positional.back(), "\""));
  }
  const bool dry_run = flags->Bool("dry_run");
  // COLLECTIONS_TENANT and COLLECTIONS_SERVER stand in for the flags, as
  // for collectionsctl.
  const char* env_tenant = std::getenv("COLLECTIONS_TENANT");
  const std::string tenant = flags->Given("tenant") || env_tenant == nullptr
                                 ? flags->Get("tenant")
                                 : std::string(env_tenant);

  absl::StatusOr<ClientOptions> client_options = ClientOptionsFromFlags(*flags);
  if (!client_options.ok()) return UsageError(spec, client_options.status().message());
  ClientOptions& copts = *client_options;
  copts.interrupted = &g_interrupted;
  copts.log = [](absl::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
  InstallSignalHandlers();

  const char* env_server = std::getenv("COLLECTIONS_SERVER");
  const bool server_named = flags->Given("server") || (env_server != nullptr && *env_server);
  const std::string server =
      flags->Given("server") || !server_named ? flags->Get("server") : std::string(env_server);
  const bool use_server = !dry_run || server_named;
  if (use_server && tenant.empty()) return UsageError(spec, "--tenant is required");
  std::unique_ptr<LedgerClient> client;
  if (use_server || command == "export") {
    client = std::make_unique<LedgerClient>(MakeConnectorChannel(server), copts);
  }

  if (command == "export") {
    if (!spec.write_export) return UsageError(spec, "this connector has no export");
    if (tenant.empty()) return UsageError(spec, "--tenant is required");
    return ExportMain(spec, *flags, *client);
  }

  const std::string file = flags->Get("file");
  const std::string watch = flags->Get("watch");
  if (file.empty() == watch.empty())
    return UsageError(spec, "give exactly one of --file and --watch");

  RunOptions base;
  base.format = spec.format;
  base.tenant = tenant;
  base.dry_run = dry_run;
  base.quarantine = flags->Bool("quarantine");
  base.text_input = spec.text_input;
  base.state_dir = flags->Get("state_dir");
  base.interrupted = &g_interrupted;
  if (!absl::SimpleAtoi(flags->Get("chunk_size"), &base.chunk_size) || base.chunk_size < 1 ||
      base.chunk_size > 1000) {
    return UsageError(spec, "--chunk_size must be 1..1000");
  }
  const std::string progress = flags->Get("progress");
  if (progress == "always") {
    base.progress = ProgressMode::kAlways;
  } else if (progress == "never") {
    base.progress = ProgressMode::kNever;
  } else if (progress != "auto") {
    return UsageError(spec, "--progress must be auto, always or never");
  }
  ParseOptions& po = base.parse;
  if (absl::Status st = ParseOptionsFromFlags(spec, *flags, po); !st.ok()) {
    return UsageError(spec, st.message());
  }
  auto parse = spec.make_parser(*flags, po, &base.format_options);
  if (!parse.ok()) return UsageError(spec, parse.status().message());
  absl::StrAppend(&base.format_options, base.format_options.empty() ? "" : ";",
                  po.amounts.Fingerprint());
  const bool quiet = flags->Bool("quiet");

  // A missing --state_dir is created now, before anything is written, so
  // that a run never applies a chunk and then fails to checkpoint it.
  if (!base.state_dir.empty() && !dry_run) {
    std::error_code ec;
    std::filesystem::create_directories(base.state_dir, ec);
    if (ec) {
      std::fprintf(stderr, "%s: cannot create --state_dir %s: %s\n", spec.program.c_str(),
                   base.state_dir.c_str(), ec.message().c_str());
      return kExitLocalError;
    }
  }

  auto run_one = [&](const std::string& path, const std::string& display,
                     const std::string& rejected) {
    RunOptions o = base;
    o.input_path = path;
    o.parse.file_name = display;
    o.rejected_path = rejected;
    return RunFile(o, *parse, client.get());
  };

  if (!file.empty()) {
    RunResult result = run_one(file, file, "");
    if (!quiet || result.exit_code != kExitOk) {
      (result.exit_code == kExitOk ? std::cout : std::cerr) << result.Report();
    }
    return result.exit_code;
  }

  WatchOptions w;
  w.dir = watch;
  w.work_dir = flags->Get("work_dir");
  w.once = flags->Bool("once");
  w.stop = &g_interrupted;
  double poll = 0, settle = 0;
  if (!absl::SimpleAtod(flags->Get("poll_interval"), &poll) || poll <= 0 ||
      !absl::SimpleAtod(flags->Get("settle"), &settle) || settle < 0) {
    return UsageError(spec, "--poll_interval must be > 0 and --settle >= 0 seconds");
  }
  w.poll_interval = absl::Seconds(poll);
  w.settle = absl::Seconds(settle);
  if (base.state_dir.empty()) {
    base.state_dir =
        (std::filesystem::path(w.work_dir.empty() ? watch : w.work_dir) / ".state").string();
    std::error_code ec;
    std::filesystem::create_directories(base.state_dir, ec);
    if (ec) {
      std::fprintf(stderr, "cannot create %s: %s\n", base.state_dir.c_str(), ec.message().c_str());
      return kExitLocalError;
    }
  }
  return WatchFolder(
      w,
      [&](const std::string& path, const std::string& rejected) {
        const std::string display = std::filesystem::path(path).filename().string();
        return run_one(path, display, rejected);
      },
      std::cout);
}

}  // namespace collections::connectors
