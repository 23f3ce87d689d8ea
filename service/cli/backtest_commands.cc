// collectionsctl backtest: replays the tenant's history with a candidate
// policy (RecoveryService.BacktestPolicy), prints progress on stderr and the
// report as tables, and in compare mode writes a side-by-side SVG plot.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/cli/cli.h"

ABSL_FLAG(std::string, compare, "", "backtest: a second policy file to replay side by side");
ABSL_FLAG(bool, compare_current, false, "backtest: compare with the tenant's current policy");
ABSL_FLAG(std::string, start_date, "",
          "backtest: first day replayed YYYY-MM-DD (default: first invoice)");
ABSL_FLAG(std::string, end_date, "", "backtest: last day replayed YYYY-MM-DD (default: yesterday)");
ABSL_FLAG(std::string, svg, "", "backtest: write the comparison plot to this SVG file");
ABSL_FLAG(int, backtest_timeout_seconds, 3600, "backtest: deadline of the call");

namespace collections::cli {
namespace {

namespace v1 = ::collections_sidecar::v1;

bool DayFlag(const std::string& text, v1::Date* out) {
  if (text.empty()) return true;
  absl::CivilDay d;
  if (!absl::ParseCivilTime(text, &d)) {
    std::fprintf(stderr, "error: %s is not a date YYYY-MM-DD\n", text.c_str());
    return false;
  }
  out->set_year(static_cast<int>(d.year()));
  out->set_month(d.month());
  out->set_day(d.day());
  return true;
}

std::string Day(const v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string Minor(int64_t minor) { return absl::StrFormat("%.2f", minor / 100.0); }

void PrintRisk(const v1::BacktestReport& r) {
  const v1::RiskBacktest& k = r.risk();
  std::printf("Risk model on %s .. %s: %lld invoices predicted on their issue day, %.1f%% late\n",
              Day(r.start_date()).c_str(), Day(r.end_date()).c_str(),
              static_cast<long long>(k.predictions()), 100 * k.observed_late_rate());
  std::printf("AUC %.3f  Brier %.3f  days-late MAE %.2f (always \"0 days late\": %.2f)\n\n",
              k.auc(), k.brier(), k.days_late_mae(), k.days_late_mae_always_zero());
  std::vector<std::vector<std::string>> rows = {
      {"predicted", "invoices", "mean predicted", "observed"}};
  for (const auto& b : k.calibration()) {
    if (b.count() == 0) continue;
    rows.push_back(
        {absl::StrFormat("%.0f-%.0f%%", 100 * b.predicted_from(), 100 * b.predicted_to()),
         absl::StrCat(b.count()), absl::StrFormat("%.3f", b.mean_predicted()),
         absl::StrFormat("%.3f", b.observed_rate())});
  }
  std::printf("%s\n", Table(rows, {false, true, true, true}).c_str());
}

void PrintPolicies(const v1::BacktestReport& r) {
  std::vector<std::vector<std::string>> rows = {{""}};
  for (const auto& p : r.policies()) {
    rows[0].push_back(absl::StrCat(p.label(), " (v", p.policy_version(), ")"));
  }
  auto row = [&](const std::string& name, auto value) {
    std::vector<std::string> line = {name};
    for (const auto& p : r.policies()) line.push_back(value(p));
    rows.push_back(line);
  };
  row("contacts", [](const v1::PolicyBacktest& p) { return absl::StrCat(p.contacts()); });
  row("contacts per overdue customer", [](const v1::PolicyBacktest& p) {
    return absl::StrFormat("%.2f", p.contacts_per_customer());
  });
  row("customers contacted",
      [](const v1::PolicyBacktest& p) { return absl::StrCat(p.customers_contacted()); });
  row("referrals", [](const v1::PolicyBacktest& p) { return absl::StrCat(p.referrals()); });
  row("settlements offered",
      [](const v1::PolicyBacktest& p) { return absl::StrCat(p.settlements_offered()); });
  row("payment plans offered",
      [](const v1::PolicyBacktest& p) { return absl::StrCat(p.payment_plans_offered()); });
  row("DSO actual (days)",
      [](const v1::PolicyBacktest& p) { return absl::StrFormat("%.1f", p.dso_actual()); });
  row("DSO simulated (days)",
      [](const v1::PolicyBacktest& p) { return absl::StrFormat("%.1f", p.dso_simulated()); });
  row("recovered actual", [](const v1::PolicyBacktest& p) {
    return absl::StrCat(p.currency(), " ", Minor(p.recovered_actual_minor()));
  });
  row("recovered simulated", [](const v1::PolicyBacktest& p) {
    return absl::StrCat(p.currency(), " ", Minor(p.recovered_simulated_minor()));
  });
  row("fees actual", [](const v1::PolicyBacktest& p) {
    return absl::StrCat(p.currency(), " ", Minor(p.fees_actual_minor()));
  });
  row("fees simulated", [](const v1::PolicyBacktest& p) {
    return absl::StrCat(p.currency(), " ", Minor(p.fees_simulated_minor()));
  });
  row("invoices charged a fee",
      [](const v1::PolicyBacktest& p) { return absl::StrCat(p.fee_invoices()); });
  for (int s = 1; s <= 8; ++s) {
    const auto stage = static_cast<v1::CollectionStage>(s);
    row(absl::StrCat("reached ", v1::CollectionStage_Name(stage)),
        [stage](const v1::PolicyBacktest& p) {
          for (const auto& c : p.stages_reached()) {
            if (c.stage() == stage) return absl::StrCat(c.customers());
          }
          return std::string("0");
        });
  }
  std::vector<bool> right(rows[0].size(), true);
  right[0] = false;
  std::printf("%s\n", Table(rows, right).c_str());
  std::printf("Assumptions:\n");
  for (const auto& a : r.assumptions()) std::printf("  - %s\n", a.c_str());
}

// Five panels (DSO, recovered, contacts per customer, referrals, fees), one
// bar per policy in each, values printed on the bars.
std::string ComparisonSvg(const v1::BacktestReport& r) {
  struct Panel {
    std::string title;
    std::vector<double> values;
    int decimals;
  };
  std::vector<Panel> panels = {
      {"DSO simulated (days)", {}, 1},
      {absl::StrCat("Recovered (", r.policies(0).currency(), ")"), {}, 0},
      {"Contacts per overdue customer", {}, 2},
      {"Referrals", {}, 0},
      {absl::StrCat("Fees simulated (", r.policies(0).currency(), ")"), {}, 0}};
  for (const auto& p : r.policies()) {
    panels[0].values.push_back(p.dso_simulated());
    panels[1].values.push_back(p.recovered_simulated_minor() / 100.0);
    panels[2].values.push_back(p.contacts_per_customer());
    panels[3].values.push_back(static_cast<double>(p.referrals()));
    panels[4].values.push_back(p.fees_simulated_minor() / 100.0);
  }
  const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c"};
  const int w = 220, h = 240, top = 40, base = 200;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      w * static_cast<int>(panels.size()), h + 30);
  for (size_t i = 0; i < panels.size(); ++i) {
    const Panel& pn = panels[i];
    const int x0 = static_cast<int>(i) * w;
    double max = 0;
    for (double v : pn.values) max = std::max(max, v);
    if (max <= 0) max = 1;
    absl::StrAppendFormat(
        &svg, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>\n",
        x0 + w / 2, pn.title);
    absl::StrAppendFormat(&svg, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                          x0 + 20, base, x0 + w - 20, base);
    const int n = static_cast<int>(pn.values.size());
    const int bar = (w - 60) / std::max(1, n);
    for (int k = 0; k < n; ++k) {
      const int height = static_cast<int>((base - top) * pn.values[k] / max);
      const int x = x0 + 30 + k * bar;
      absl::StrAppendFormat(&svg,
                            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", x,
                            base - height, bar - 10, height, colors[k % 3]);
      absl::StrAppendFormat(&svg, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                            x + (bar - 10) / 2, base - height - 4,
                            absl::StrFormat("%.*f", pn.decimals, pn.values[k]));
    }
  }
  for (int k = 0; k < r.policies_size(); ++k) {
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
                          30 + k * 200, h + 5, colors[k % 3]);
    absl::StrAppendFormat(&svg, "<text x=\"%d\" y=\"%d\">%s (v%d)</text>\n", 48 + k * 200, h + 16,
                          r.policies(k).label(), r.policies(k).policy_version());
  }
  svg += "</svg>\n";
  return svg;
}

int BacktestCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) return kExitUsage;
  v1::BacktestPolicyRequest req;
  req.set_parent(ctx.TenantName());
  if (args.size() == 1) {
    if (int rc = ParseMessageFile(args[0], req.mutable_policy()); rc != kExitOk) return rc;
  }
  const std::string compare = absl::GetFlag(FLAGS_compare);
  if (!compare.empty()) {
    if (int rc = ParseMessageFile(compare, req.mutable_compare_policy()); rc != kExitOk) return rc;
  }
  req.set_compare_with_current(absl::GetFlag(FLAGS_compare_current));
  if (!DayFlag(absl::GetFlag(FLAGS_start_date), req.mutable_start_date()) ||
      !DayFlag(absl::GetFlag(FLAGS_end_date), req.mutable_end_date())) {
    return kExitUsage;
  }
  auto stub = v1::RecoveryService::NewStub(ctx.channel);
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  cc.set_deadline(std::chrono::system_clock::now() +
                  std::chrono::seconds(absl::GetFlag(FLAGS_backtest_timeout_seconds)));
  std::unique_ptr<grpc::ClientReader<v1::BacktestProgress>> reader = stub->BacktestPolicy(&cc, req);
  v1::BacktestProgress msg;
  v1::BacktestReport report;
  bool have_report = false;
  while (reader->Read(&msg)) {
    if (msg.has_report()) {
      report = msg.report();
      have_report = true;
    } else if (!ctx.json) {
      std::fprintf(stderr, "\r%-7s %d %5d/%-5d days", msg.phase().c_str(), msg.policy_index(),
                   msg.days_done(), msg.days_total());
    }
  }
  grpc::Status st = reader->Finish();
  if (!ctx.json) std::fprintf(stderr, "\n");
  if (!st.ok()) return Fail(st);
  if (!have_report) {
    std::fprintf(stderr, "error: the stream ended without a report\n");
    return kExitError;
  }
  if (ctx.json) {
    PrintJson(report);
  } else {
    std::printf("%lld invoices of %d customers, replayed in %.1f s\n\n",
                static_cast<long long>(report.invoices()), report.customers(),
                report.elapsed_ms() / 1000.0);
    PrintRisk(report);
    PrintPolicies(report);
  }
  const std::string svg = absl::GetFlag(FLAGS_svg);
  if (!svg.empty() && report.policies_size() > 0) {
    std::ofstream out(svg, std::ios::binary);
    out << ComparisonSvg(report);
    if (!out) {
      std::fprintf(stderr, "error: cannot write %s\n", svg.c_str());
      return kExitError;
    }
    if (!ctx.json) std::printf("plot written to %s\n", svg.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterBacktestCommands(CommandTable& table) {
  table["backtest"] = {
      "backtest [<policy-file>] [--compare=<policy-file> | --compare_current] [--start_date=D] "
      "[--end_date=D] "
      "[--svg=plot.svg]",
      "replay the tenant's history with a policy (default: the current one): risk-model accuracy, "
      "what the policy would have done, simulated DSO and recoveries",
      BacktestCmd};
}

}  // namespace collections::cli
