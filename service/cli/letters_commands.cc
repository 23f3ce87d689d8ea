// collectionsctl profile / templates: the tenant's letterhead and payment
// links, and its message templates (LetterService). Files are proto text or
// JSON (the first non-blank character '{'), so `templates get` output can
// be edited and given back to `templates replace`.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/letters.grpc.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "service/base/dates.h"
#include "service/cli/cli.h"

ABSL_DECLARE_FLAG(std::string, as_of);
ABSL_DECLARE_FLAG(std::string, request_id);

ABSL_FLAG(std::string, update_mask, "",
          "profile set: comma-separated fields to change (default: every field in the file)");
ABSL_FLAG(std::string, secret_file, "",
          "profile set: file whose bytes (32..64) become the payment-link signing key");
ABSL_FLAG(int64_t, expected_version, 0,
          "profile set / templates replace: refuse unless the stored version is this one");

namespace collections::cli {

namespace v1 = ::collections_sidecar::v1;
namespace {

void Print(const Context& ctx, const google::protobuf::Message& m) {
  if (ctx.json) {
    PrintJson(m);
    return;
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(m, &text);
  std::cout << text;
}

int ProfileCmd(Context& ctx, const std::vector<std::string>& args) {
  auto stub = v1::LetterService::NewStub(ctx.channel);
  const std::string name = ctx.TenantName() + "/profile";
  if (args.size() == 1 && args[0] == "get") {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::GetTenantProfileRequest req;
    req.set_name(name);
    v1::TenantProfile out;
    grpc::Status st = stub->GetTenantProfile(&cc, req, &out);
    if (!st.ok()) return Fail(st);
    Print(ctx, out);
    return kExitOk;
  }
  if (args.size() != 2 || args[0] != "set") {
    std::fprintf(stderr,
                 "usage: profile get | profile set <file> [--update_mask=a,b] "
                 "[--secret_file=F]\n");
    return kExitUsage;
  }
  v1::UpdateTenantProfileRequest req;
  if (int rc = ParseMessageFile(args[1], req.mutable_profile()); rc != kExitOk) return rc;
  req.mutable_profile()->set_name(name);
  if (const std::string f = absl::GetFlag(FLAGS_secret_file); !f.empty()) {
    std::string secret;
    if (!ReadFile(f, &secret)) return kExitUsage;
    req.mutable_profile()->set_payment_link_secret(secret);
  }
  for (absl::string_view path :
       absl::StrSplit(absl::GetFlag(FLAGS_update_mask), ',', absl::SkipEmpty())) {
    req.mutable_update_mask()->add_paths(std::string(path));
  }
  req.set_request_id(absl::GetFlag(FLAGS_request_id));
  req.set_expected_version(absl::GetFlag(FLAGS_expected_version));
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  v1::TenantProfile out;
  grpc::Status st = stub->UpdateTenantProfile(&cc, req, &out);
  if (!st.ok()) return Fail(st);
  std::printf("profile version %lld\n", static_cast<long long>(out.version()));
  return kExitOk;
}

int TemplatesList(Context& ctx, v1::LetterService::Stub& stub) {
  std::vector<std::vector<std::string>> rows = {{"TEMPLATE", "VERSION", "SOURCE", "SUBJECT"}};
  std::string token;
  do {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::ListMessageTemplatesRequest req;
    req.set_parent(ctx.TenantName());
    req.set_page_token(token);
    v1::ListMessageTemplatesResponse page;
    grpc::Status st = stub.ListMessageTemplates(&cc, req, &page);
    if (!st.ok()) return Fail(st);
    for (const auto& t : page.templates()) {
      if (ctx.json) {
        PrintJson(t);
        continue;
      }
      rows.push_back({t.name().substr(t.name().rfind('/') + 1), absl::StrCat(t.version()),
                      t.customized() ? "tenant" : "shipped", t.subject()});
    }
    token = page.next_page_token();
  } while (!token.empty());
  if (!ctx.json) std::cout << Table(rows, {false, true, false, false});
  return kExitOk;
}

int TemplatesCmd(Context& ctx, const std::vector<std::string>& args) {
  auto stub = v1::LetterService::NewStub(ctx.channel);
  if (args.size() == 1 && args[0] == "list") return TemplatesList(ctx, *stub);
  if (args.size() == 2 && args[0] == "get") {
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::GetMessageTemplateRequest req;
    req.set_name(ctx.TenantName() + "/messageTemplates/" + args[1]);
    v1::MessageTemplate out;
    grpc::Status st = stub->GetMessageTemplate(&cc, req, &out);
    if (!st.ok()) return Fail(st);
    Print(ctx, out);
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "replace") {
    v1::ReplaceMessageTemplateRequest req;
    if (int rc = ParseMessageFile(args[1], req.mutable_template_()); rc != kExitOk) return rc;
    req.set_parent(ctx.TenantName());
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    req.set_expected_version(absl::GetFlag(FLAGS_expected_version));
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::MessageTemplate out;
    grpc::Status st = stub->ReplaceMessageTemplate(&cc, req, &out);
    if (!st.ok()) return Fail(st);
    std::printf("%s version %lld\n", out.name().c_str(), static_cast<long long>(out.version()));
    return kExitOk;
  }
  if (args.size() == 3 && args[0] == "preview") {
    v1::PreviewMessageTemplateRequest req;
    if (int rc = ParseMessageFile(args[2], req.mutable_template_()); rc != kExitOk) return rc;
    req.set_customer(ctx.CustomerName(args[1]));
    if (const std::string d = absl::GetFlag(FLAGS_as_of); !d.empty()) {
      auto day = domain::ParseIsoDay(d);
      if (!day.ok()) {
        std::fprintf(stderr, "error: --as_of: %s\n", std::string(day.status().message()).c_str());
        return kExitUsage;
      }
      req.mutable_as_of()->set_year(static_cast<int>(day->year()));
      req.mutable_as_of()->set_month(day->month());
      req.mutable_as_of()->set_day(day->day());
    }
    grpc::ClientContext cc;
    ctx.prepare(&cc);
    v1::RenderMessageResponse out;
    grpc::Status st = stub->PreviewMessageTemplate(&cc, req, &out);
    if (!st.ok()) return Fail(st);
    if (ctx.json) {
      PrintJson(out);
    } else {
      std::printf("Subject: %s\n\n%s", out.subject().c_str(), out.body().c_str());
    }
    return kExitOk;
  }
  std::fprintf(stderr,
               "usage: templates list | get <id.locale> | replace <file> | "
               "preview <customer> <file> [--as_of=D]\n");
  return kExitUsage;
}

}  // namespace

void RegisterLetterCommands(CommandTable& table) {
  table["profile"] = {
      "profile get | profile set <file> [--update_mask=phone,signature] "
      "[--secret_file=F] [--expected_version=N]",
      "the tenant's letterhead and payment links (TenantProfile, proto text or "
      "JSON)",
      ProfileCmd};
  table["templates"] = {
      "templates list | get <id.locale> | replace <file> [--expected_version=N] "
      "| preview <customer> <file> [--as_of=D]",
      "the tenant's message templates (MessageTemplate, proto text or JSON)", TemplatesCmd};
}

}  // namespace collections::cli
