#include "service/api/call_support.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "service/base/errors.h"
#include "service/base/json_text.h"

namespace collections::api {

absl::StatusOr<app::CallContext> AnonymousAuthenticator(const grpc::CallbackServerContext& ctx,
                                                        absl::string_view method,
                                                        absl::string_view tenant) {
  app::CallContext c;
  const auto& md = ctx.client_metadata();
  auto it = md.find("x-collections-actor");
  if (it != md.end()) {
    c.actor = std::string(it->second.data(), it->second.size());
  } else {
    c.actor = absl::StrCat("peer:", ctx.peer());
  }
  return c;
}

std::string RequestIdOf(grpc::CallbackServerContext* ctx) {
  std::string id;
  const auto& md = ctx->client_metadata();
  if (auto it = md.find("x-request-id"); it != md.end()) {
    absl::string_view v(it->second.data(), it->second.size());
    const bool valid = !v.empty() && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
             c == ':' || c == '-';
    });
    if (valid) id = std::string(v);
  }
  if (id.empty()) {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    id = absl::StrCat(absl::Hex(gen(), absl::kZeroPad16), absl::Hex(gen(), absl::kZeroPad16));
  }
  ctx->AddInitialMetadata("x-request-id", id);
  return id;
}

void LogCall(absl::string_view method, absl::string_view tenant, const app::CallContext* caller,
             grpc::StatusCode code, absl::Duration latency, absl::string_view message,
             absl::string_view request_id) {
  const int c = static_cast<int>(code);
  std::string line = base::FormatLogLine(
      base::LevelOfCode(c), "rpc",
      {{"method", method},
       {"tenant", tenant},
       {"actor", caller ? absl::string_view(caller->actor) : absl::string_view()},
       {"code", base::CodeName(c)},
       {"latency_us", absl::ToInt64Microseconds(latency)}});
  line.pop_back();  // "}\n": the optional fields follow
  line.pop_back();
  if (!request_id.empty())
    absl::StrAppend(&line, ",\"request_id\":\"", base::JsonEscape(request_id), "\"");
  if (code != grpc::StatusCode::OK)
    absl::StrAppend(&line, ",\"error\":\"", base::JsonEscape(message), "\"");
  line += "}\n";
  std::fputs(line.c_str(), stderr);
}

absl::Status OverloadStatus(WorkerPool::Refusal why, absl::string_view tenant) {
  // About the time a queue of a few thousand short calls takes to drain.
  constexpr absl::Duration kRetryDelay = absl::Seconds(1);
  if (why == WorkerPool::Refusal::kKeyQueueFull) {
    return domain::WithRetryDelay(
        domain::WithReason(
            absl::ResourceExhaustedError(absl::StrCat(
                "tenant ", tenant, " has too many calls waiting; retry after the advised delay")),
            "TENANT_QUEUE_FULL"),
        kRetryDelay);
  }
  return domain::WithRetryDelay(
      domain::WithReason(
          absl::ResourceExhaustedError("the server is overloaded; retry after the advised delay"),
          "SERVER_OVERLOADED"),
      kRetryDelay);
}

void FinishCall(const ServiceEnv& env, absl::string_view method, absl::string_view tenant,
                const app::CallContext* caller, const grpc::Status& status, absl::Time start,
                absl::string_view request_id) {
  const absl::Duration latency = absl::Now() - start;
  if (env.log_requests) {
    LogCall(method, tenant, caller, status.error_code(), latency, status.error_message(),
            request_id);
  }
  if (env.observe) env.observe(method, tenant, status.error_code(), latency);
}

}  // namespace collections::api
