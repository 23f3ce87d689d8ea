// collectionsctl commands of CaseService: one account's case with its
// history, the case list by priority, and rebuilding or verifying cases.
#include <cstdio>
#include <iostream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "service/cli/cli.h"

ABSL_DECLARE_FLAG(int, limit);
ABSL_DECLARE_FLAG(std::string, customer);

ABSL_FLAG(std::string, owner, "", "cases list: only cases of this account owner");
ABSL_FLAG(bool, verify, false, "cases rebuild: compare only, write nothing");

namespace collections::cli {

namespace v1 = ::collections_sidecar::v1;
namespace {

std::string Day(const v1::Date& d) {
  if (d.year() == 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d.year(), d.month(), d.day());
  return buf;
}
std::string Money(const v1::Money& m) {
  return absl::StrCat(m.currency_code(), " ", m.minor_units() / 100, ".",
                      absl::StrCat(100 + std::llabs(m.minor_units() % 100)).substr(1));
}
std::string Monies(const google::protobuf::RepeatedPtrField<v1::Money>& ms) {
  std::vector<std::string> parts;
  for (const auto& m : ms) parts.push_back(Money(m));
  return parts.empty() ? "-" : absl::StrJoin(parts, " + ");
}
std::string Stage(v1::CollectionStage s) {
  return s == v1::COLLECTION_STAGE_UNSPECIFIED ? "-" : v1::CollectionStage_Name(s);
}

void PrintCase(const v1::Case& c) {
  std::printf("case:       %s (%s)\n", c.name().c_str(), c.display_name().c_str());
  std::printf("state:      %s, stage %s since %s\n", v1::Case::State_Name(c.state()).c_str(),
              Stage(c.stage()).c_str(), Day(c.stage_entered_date()).c_str());
  std::printf("overdue:    %s (oldest %d days), balance %s\n", Monies(c.overdue()).c_str(),
              c.oldest_days_past_due(), Monies(c.balance()).c_str());
  std::printf("last step:  %s %s on %s\n", Stage(c.last_step().stage()).c_str(),
              v1::Recommendation::Action_Name(c.last_step().action()).c_str(),
              Day(c.last_step().date()).c_str());
  std::printf("next step:  %s %s on %s\n", Stage(c.next_step().stage()).c_str(),
              v1::Recommendation::Action_Name(c.next_step().action()).c_str(),
              Day(c.next_step().date()).c_str());
  for (const auto& p : c.pauses()) {
    std::printf("pause:      %s %s%s%s\n", v1::CasePause::Kind_Name(p.kind()).c_str(),
                p.condition().c_str(), p.until().year() ? " until " : "",
                p.until().year() ? Day(p.until()).c_str() : "");
  }
  if (!c.governing_arrangement().empty()) {
    std::printf("governed by %s\n", c.governing_arrangement().c_str());
  }
  std::printf("priority:   %lld (%s)\n", static_cast<long long>(c.priority()),
              c.priority_explanation().c_str());
  std::printf("owner:      %s; looked at next on %s\n", c.owner().empty() ? "-" : c.owner().c_str(),
              Day(c.due_date()).c_str());
  std::printf("reasons:\n");
  for (const auto& r : c.reasons()) {
    std::printf("  %-34s %s\n", r.code().c_str(), r.text().c_str());
  }
  std::printf("history:\n");
  for (const auto& h : c.history()) {
    std::printf("  %s  %s/%s -> %s/%s  (%s)%s%s\n", Day(h.date()).c_str(),
                v1::Case::State_Name(h.from_state()).c_str(), Stage(h.from_stage()).c_str(),
                v1::Case::State_Name(h.to_state()).c_str(), Stage(h.to_stage()).c_str(),
                h.event().c_str(), h.reasons().empty() ? "" : ": ",
                h.reasons().empty() ? "" : h.reasons(h.reasons_size() - 1).text().c_str());
  }
}

int CasesCmd(Context& ctx, const std::vector<std::string>& args) {
  if (args.empty()) return kExitUsage;
  auto stub = v1::CaseService::NewStub(ctx.channel);
  if (args[0] == "get" && args.size() == 2) {
    v1::GetCaseRequest req;
    req.set_name(ctx.CustomerName(args[1]) + "/case");
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::Case c;
    grpc::Status st = stub->GetCase(&cc, req, &c);
    if (!st.ok()) return Fail(st);
    if (ctx.json) {
      PrintJson(c);
    } else {
      PrintCase(c);
    }
    return kExitOk;
  }
  if (args[0] == "list" && args.size() == 1) {
    v1::ListCasesRequest req;
    req.set_parent(ctx.TenantName());
    req.set_owner(absl::GetFlag(FLAGS_owner));
    req.set_omit_history(true);
    RowBudget budget(absl::GetFlag(FLAGS_limit));
    std::vector<std::vector<std::string>> rows = {
        {"CUSTOMER", "STATE", "STAGE", "OVERDUE", "PRIORITY", "NEXT STEP", "OWNER"}};
    std::string token;
    do {
      req.set_page_size(500);
      req.set_page_token(token);
      grpc::ClientContext cc;
      ctx.prepare(&cc);
      v1::ListCasesResponse resp;
      grpc::Status st = stub->ListCases(&cc, req, &resp);
      if (!st.ok()) return Fail(st);
      for (const auto& c : resp.cases()) {
        if (!budget.Take()) continue;
        if (ctx.json) {
          PrintJson(c);
          continue;
        }
        rows.push_back({c.display_name(), v1::Case::State_Name(c.state()), Stage(c.stage()),
                        Monies(c.overdue()), absl::StrCat(c.priority()),
                        absl::StrCat(Stage(c.next_step().stage()), " ", Day(c.next_step().date())),
                        c.owner()});
      }
      token = resp.next_page_token();
    } while (!token.empty());
    if (!ctx.json) {
      std::cout << Table(rows, {false, false, false, true, true, false, false});
      std::printf("%d case(s)\n", budget.total());
    }
    budget.Report("cases");
    return kExitOk;
  }
  if (args[0] == "rebuild" && args.size() <= 2) {
    v1::RebuildCasesRequest req;
    req.set_parent(ctx.TenantName());
    if (args.size() == 2) req.set_customer(ctx.CustomerName(args[1]));
    req.set_verify_only(absl::GetFlag(FLAGS_verify));
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::RebuildCasesResponse out;
    grpc::Status st = stub->RebuildCases(&cc, req, &out);
    if (!st.ok()) return Fail(st);
    std::printf("%d case(s) %s, %d differed%s\n", out.rebuilt(),
                req.verify_only() ? "verified" : "rebuilt", out.changed(),
                out.differences().empty() ? "" : ":");
    for (const auto& d : out.differences()) std::printf("  %s\n", d.c_str());
    return req.verify_only() && out.changed() > 0 ? kExitConflict : kExitOk;
  }
  return kExitUsage;
}

}  // namespace

void RegisterCaseCommands(CommandTable& table) {
  table["cases"] = {
      "cases get <customer> | cases list [--owner=O] [--limit=N] | "
      "cases rebuild [<customer>] [--verify]",
      "collection cases: one with its history, all by priority, rebuild or verify", CasesCmd};
}

}  // namespace collections::cli
