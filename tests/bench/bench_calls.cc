// bench_tool's reads, one call at a time: `aging-rpc`, `run-collections`,
// `dump`, `calls` (every per-customer read, pages and full walks of the
// lists) and `rss-repeat` (the server's memory over repeated calls).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/base/dates.h"
#include "service/store/sqlite/sqlite_store.h"
#include "service/store/store.h"
#include "tests/bench/bench_data.h"
#include "tests/bench/bench_tool_internal.h"
#include "tests/store/pg_harness.h"

namespace collections::bench {

// ------------------------------------------------------------ unary calls

int AgingRpc() {
  auto stub = v1::LedgerService::NewStub(Channel(0));
  for (const auto group :
       {v1::GetAgingReportRequest::CUSTOMER, v1::GetAgingReportRequest::CURRENCY}) {
    for (int r = 0; r < absl::GetFlag(FLAGS_reps); ++r) {
      v1::GetAgingReportRequest req;
      req.set_parent(absl::StrCat("tenants/", kTenant));
      *req.mutable_as_of() = ToDate(AsOf());
      req.set_group_by(group);
      req.set_page_size(1000);
      grpc::ClientContext ctx;
      v1::AgingReport resp;
      const auto t0 = Clock::now();
      grpc::Status st = stub->GetAgingReport(&ctx, req, &resp);
      const double secs = Seconds(Clock::now() - t0);
      if (!st.ok()) Fail(absl::StrCat("GetAgingReport: ", st.error_message()));
      int64_t count = 0;
      for (const auto& t : resp.currency_totals()) count += t.invoice_count();
      Emit(absl::StrFormat(
          "\"kind\":\"aging_rpc\",\"group_by\":\"%s\",\"rep\":%d,\"s\":%.4f,\"rows\":%d,"
          "\"invoices\":%d,\"bytes\":%d%s",
          group == v1::GetAgingReportRequest::CUSTOMER ? "customer_first_page" : "currency", r,
          secs, resp.rows_size(), count, resp.ByteSizeLong(), LabelField()));
    }
  }
  return 0;
}

namespace {

// A reply's size and every singular field (counts, cursors), with each
// repeated field replaced by its length, so the figures follow whatever the
// response carries.
std::string ReplyFields(const google::protobuf::Message& reply) {
  std::unique_ptr<google::protobuf::Message> copy(reply.New());
  copy->CopyFrom(reply);
  const google::protobuf::Descriptor* d = copy->GetDescriptor();
  const google::protobuf::Reflection* r = copy->GetReflection();
  std::vector<std::string> lengths;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (!f->is_repeated()) continue;
    lengths.push_back(absl::StrFormat("\"%s\":%d", f->name(), r->FieldSize(*copy, f)));
    r->ClearField(copy.get(), f);
  }
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  std::string singular;
  (void)google::protobuf::util::MessageToJsonString(*copy, &singular, opts);
  return absl::StrFormat("\"reply_bytes\":%d,\"reply\":%s,\"repeated_sizes\":{%s}",
                         reply.ByteSizeLong(), singular, absl::StrJoin(lengths, ","));
}

}  // namespace

// One RunCollections (live, or --dry_run) as of --as_of; `--phase` names it
// (dry, live, rerun, next_day ...). The reply must stay small at any ledger
// size, so its serialized size is reported with the time.
int RunCollections() {
  auto stub = v1::RecoveryService::NewStub(Channel(0));
  v1::RunCollectionsRequest req;
  req.set_parent(absl::StrCat("tenants/", kTenant));
  *req.mutable_as_of() = ToDate(AsOf());
  req.set_dry_run(absl::GetFlag(FLAGS_dry_run));
  grpc::ClientContext ctx;
  v1::RunCollectionsResponse resp;
  const double cpu0 = ServerCpuSeconds();
  const auto t0 = Clock::now();
  grpc::Status st = stub->RunCollections(&ctx, req, &resp);
  const double secs = Seconds(Clock::now() - t0);
  const double cpu1 = ServerCpuSeconds();
  const std::string head = absl::StrFormat(
      "\"kind\":\"run_collections\",\"phase\":\"%s\",\"as_of\":\"%s\",\"dry_run\":%s",
      absl::GetFlag(FLAGS_phase), absl::GetFlag(FLAGS_as_of), req.dry_run() ? "true" : "false");
  if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    Emit(absl::StrCat(head, ",\"available\":false,\"reason\":\"RecoveryService is not served\"",
                      LabelField()));
    return 0;
  }
  if (!st.ok()) {
    // Reported, not fatal: a reply above the message limit is a finding.
    Emit(absl::StrFormat("%s,\"available\":true,\"s\":%.4f,\"error\":\"%s\",\"error_code\":%d%s%s",
                         head, secs, absl::StrReplaceAll(st.error_message(), {{"\"", "'"}}),
                         st.error_code(), CpuField("server_cpu_ms", cpu0, cpu1, 1), LabelField()));
    return 0;
  }
  Emit(absl::StrFormat("%s,\"available\":true,\"s\":%.4f,%s%s%s", head, secs, ReplyFields(resp),
                       CpuField("server_cpu_ms", cpu0, cpu1, 1), LabelField()));
  return 0;
}

namespace {

// The customer whose response the no-op server replays: one with a typical
// number of invoices (the generator skews invoices towards low indices).
int64_t TypicalCustomer() { return absl::GetFlag(FLAGS_customers) / 2; }

}  // namespace

int Dump() {
  const std::string method = absl::GetFlag(FLAGS_method);
  grpc::ClientContext ctx;
  const auto t0 = Clock::now();
  grpc::Status st;
  std::string bytes;
  if (method == "summary") {
    auto stub = v1::LedgerService::NewStub(Channel(0));
    v1::GetAccountSummaryRequest req;
    req.set_customer(CustomerName(TypicalCustomer()));
    *req.mutable_as_of() = ToDate(AsOf());
    v1::AccountSummary resp;
    st = stub->GetAccountSummary(&ctx, req, &resp);
    bytes = resp.SerializeAsString();
  } else {
    auto stub = v1::RecoveryService::NewStub(Channel(0));
    v1::GetRecommendationRequest req;
    req.set_customer(CustomerName(TypicalCustomer()));
    *req.mutable_as_of() = ToDate(AsOf());
    v1::Recommendation resp;
    st = stub->GetRecommendation(&ctx, req, &resp);
    bytes = resp.SerializeAsString();
  }
  if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    Emit(absl::StrFormat("\"kind\":\"dump\",\"method\":\"%s\",\"available\":false", method));
    return 3;
  }
  const double secs = Seconds(Clock::now() - t0);
  if (!st.ok()) Fail(absl::StrCat("dump ", method, ": ", st.error_message()));
  std::ofstream(absl::GetFlag(FLAGS_out), std::ios::binary) << bytes;
  Emit(absl::StrFormat(
      "\"kind\":\"dump\",\"method\":\"%s\",\"available\":true,\"bytes\":%d,\"s\":%.4f", method,
      bytes.size(), secs));
  return 0;
}

namespace {

// ------------------------------------------------ every call, one at a time

// One call of a method: fills *bytes with the response size.
using OneCall = std::function<grpc::Status(Rng& rng, int64_t* bytes)>;

// Calls `call` sequentially (one in flight) after two warm-up calls, for at
// least --calls calls and --min_s seconds, and at most --max_s seconds, then
// prints wall time per call and the server's CPU per call.
void Measure(const std::string& method, const OneCall& call, Rng& rng) {
  int64_t bytes = 0;
  for (int i = 0; i < 2; ++i) (void)call(rng, &bytes);
  const int want = absl::GetFlag(FLAGS_calls);
  const double min_s = absl::GetFlag(FLAGS_min_s), max_s = absl::GetFlag(FLAGS_max_s);
  std::vector<double> lat_ms;
  int64_t errors = 0, total_bytes = 0;
  std::string first_error;
  const double cpu0 = ServerCpuSeconds();
  const auto t0 = Clock::now();
  while (true) {
    const double elapsed = Seconds(Clock::now() - t0);
    const int64_t done = static_cast<int64_t>(lat_ms.size()) + errors;
    if (done > 0 && (elapsed >= max_s || (done >= want && elapsed >= min_s))) break;
    const auto c0 = Clock::now();
    grpc::Status st = call(rng, &bytes);
    if (!st.ok()) {
      if (first_error.empty()) first_error = st.error_message();
      ++errors;
      continue;
    }
    lat_ms.push_back(Seconds(Clock::now() - c0) * 1000.0);
    total_bytes += bytes;
  }
  const double wall_s = Seconds(Clock::now() - t0);
  const double cpu1 = ServerCpuSeconds();
  const int64_t calls = static_cast<int64_t>(lat_ms.size()) + errors;
  std::sort(lat_ms.begin(), lat_ms.end());
  auto pct = [&](double p) {
    return lat_ms.empty() ? 0.0 : lat_ms[static_cast<size_t>(p * (lat_ms.size() - 1))];
  };
  Emit(absl::StrFormat(
      "\"kind\":\"call\",\"method\":\"%s\",\"calls\":%d,\"errors\":%d,\"wall_s\":%.4f,"
      "\"wall_ms\":%.4f,\"p50_ms\":%.4f,\"p90_ms\":%.4f,\"bytes\":%d%s%s%s",
      method, calls, errors, wall_s, wall_s * 1000.0 / calls, pct(0.5), pct(0.9),
      lat_ms.empty() ? 0 : total_bytes / static_cast<int64_t>(lat_ms.size()),
      CpuField("server_cpu_ms", cpu0, cpu1, calls),
      first_error.empty() ? ""
                          : absl::StrFormat(",\"first_error\":\"%s\"",
                                            absl::StrReplaceAll(first_error, {{"\"", "'"}})),
      LabelField()));
}

// A unary call keyed by a uniformly random customer of the ledger.
template <typename Stub, typename Req, typename Resp>
OneCall CustomerCall(
    std::shared_ptr<Stub> stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
    std::type_identity_t<std::function<void(Req&, const std::string& customer)>> fill) {
  const int64_t customers = absl::GetFlag(FLAGS_customers);
  return [=](Rng& rng, int64_t* bytes) {
    Req req;
    fill(req, CustomerName(rng.Between(0, customers - 1)));
    Resp resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(600));
    grpc::Status st = ((*stub).*method)(&ctx, req, &resp);
    *bytes = static_cast<int64_t>(resp.ByteSizeLong());
    return st;
  };
}

// One page of a list: the page at `token`; fills *next and *items.
using PageCall = std::function<grpc::Status(const std::string& token, std::string* next,
                                            int64_t* items, int64_t* bytes)>;

// The pages of a List method: `fill` sets everything but the page token,
// `items` counts a page's entries.
template <typename Stub, typename Req, typename Resp>
PageCall Pager(std::shared_ptr<Stub> stub,
               grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
               std::type_identity_t<std::function<void(Req&)>> fill,
               std::type_identity_t<std::function<int64_t(const Resp&)>> items) {
  return [=](const std::string& token, std::string* next, int64_t* n, int64_t* bytes) {
    Req req;
    fill(req);
    req.set_page_token(token);
    Resp resp;
    grpc::ClientContext ctx;
    grpc::Status st = ((*stub).*method)(&ctx, req, &resp);
    *next = resp.next_page_token();
    *n = items(resp);
    *bytes = static_cast<int64_t>(resp.ByteSizeLong());
    return st;
  };
}

// Walks a list from its first page to its last (or until --walk_max_s),
// printing the total and per-page server CPU, and returns the token of
// every page walked ("" for the first).
std::vector<std::string> Walk(const std::string& method, const PageCall& page) {
  std::vector<std::string> tokens = {""};
  int64_t items = 0, bytes = 0, pages = 0;
  bool complete = false;
  std::string error;
  const double cpu0 = ServerCpuSeconds();
  const auto t0 = Clock::now();
  while (Seconds(Clock::now() - t0) < absl::GetFlag(FLAGS_walk_max_s)) {
    std::string next;
    int64_t n = 0, b = 0;
    grpc::Status st = page(tokens.back(), &next, &n, &b);
    if (!st.ok()) {
      error = st.error_message();
      break;
    }
    ++pages;
    items += n;
    bytes += b;
    if (next.empty()) {
      complete = true;
      break;
    }
    tokens.push_back(next);
  }
  const double wall_s = Seconds(Clock::now() - t0);
  const double cpu1 = ServerCpuSeconds();
  Emit(absl::StrFormat(
      "\"kind\":\"walk\",\"method\":\"%s\",\"pages\":%d,\"items\":%d,\"complete\":%s,"
      "\"wall_s\":%.4f,\"wall_ms_per_page\":%.4f,\"bytes\":%d%s%s%s%s",
      method, pages, items, complete ? "true" : "false", wall_s,
      pages > 0 ? wall_s * 1000.0 / pages : 0.0, bytes,
      CpuField("server_cpu_ms_per_page", cpu0, cpu1, pages),
      cpu0 < 0 ? "" : absl::StrFormat(",\"server_cpu_s\":%.4f", cpu1 - cpu0),
      error.empty()
          ? ""
          : absl::StrFormat(",\"error\":\"%s\"", absl::StrReplaceAll(error, {{"\"", "'"}})),
      LabelField()));
  if (!complete) tokens.pop_back();  // the page that failed or was not reached
  return tokens;
}

// A walk of a list, then single pages at random points of it (by the
// tokens the walk returned).
void MeasureList(const std::string& method, const PageCall& page, Rng& rng) {
  const std::vector<std::string> tokens = Walk(absl::StrCat(method, "_walk"), page);
  if (tokens.empty()) return;
  Measure(
      absl::StrCat(method, "_page"),
      [&](Rng& r, int64_t* bytes) {
        std::string next;
        int64_t items = 0;
        return page(tokens[r.Between(0, static_cast<int64_t>(tokens.size()) - 1)], &next, &items,
                    bytes);
      },
      rng);
}

bool Wanted(const std::string& method) {
  const std::string list = absl::GetFlag(FLAGS_methods);
  if (list == "all") return true;
  for (absl::string_view m : absl::StrSplit(list, ',')) {
    if (m == method) return true;
  }
  return false;
}

}  // namespace

// Every read the service offers per customer, the aging report, and the
// two lists, each measured on its own (see Measure and MeasureList).
int Calls() {
  auto channel = Channel(0);
  auto ledger = std::shared_ptr<v1::LedgerService::Stub>(v1::LedgerService::NewStub(channel));
  auto recovery = std::shared_ptr<v1::RecoveryService::Stub>(v1::RecoveryService::NewStub(channel));
  auto cases = std::shared_ptr<v1::CaseService::Stub>(v1::CaseService::NewStub(channel));
  const v1::Date as_of = ToDate(AsOf());
  const std::string parent = absl::StrCat("tenants/", kTenant);
  Rng rng(absl::GetFlag(FLAGS_seed) * 7919);
  using LS = v1::LedgerService::Stub;
  using RS = v1::RecoveryService::Stub;
  using CS = v1::CaseService::Stub;
  auto by_customer = [&](auto& r, const std::string& c) {
    r.set_customer(c);
    *r.mutable_as_of() = as_of;
  };
  const std::vector<std::pair<std::string, OneCall>> per_customer = {
      {"summary", CustomerCall(ledger, &LS::GetAccountSummary, by_customer)},
      {"recommendation", CustomerCall(recovery, &RS::GetRecommendation, by_customer)},
      {"payment_risk", CustomerCall(recovery, &RS::GetPaymentRisk,
                                    [&](auto& r, const std::string& c) {
                                      r.set_name(c);
                                      *r.mutable_as_of() = as_of;
                                    })},
      {"render_message", CustomerCall(recovery, &RS::RenderMessage, by_customer)},
      {"export_case_file", CustomerCall(recovery, &RS::ExportCaseFile, by_customer)},
      {"get_case",
       CustomerCall(cases, &CS::GetCase,
                    [](auto& r, const std::string& c) { r.set_name(absl::StrCat(c, "/case")); })},
  };
  for (const auto& [name, call] : per_customer) {
    if (Wanted(name)) Measure(name, call, rng);
  }
  const int page_size = absl::GetFlag(FLAGS_page_size);
  if (Wanted("work_queue")) {
    MeasureList("work_queue",
                Pager(
                    recovery, &RS::ListWorkQueue,
                    [&](v1::ListWorkQueueRequest& r) {
                      r.set_parent(parent);
                      *r.mutable_as_of() = as_of;
                      r.set_page_size(page_size);
                    },
                    [](const v1::ListWorkQueueResponse& r) { return r.items_size(); }),
                rng);
  }
  if (Wanted("list_cases")) {
    MeasureList("list_cases",
                Pager(
                    cases, &CS::ListCases,
                    [&](v1::ListCasesRequest& r) {
                      r.set_parent(parent);
                      r.set_page_size(page_size);
                      r.set_omit_history(true);
                    },
                    [](const v1::ListCasesResponse& r) { return r.cases_size(); }),
                rng);
  }
  if (Wanted("aging")) {
    Measure(
        "aging",
        [&](Rng&, int64_t* bytes) {
          v1::GetAgingReportRequest req;
          req.set_parent(parent);
          *req.mutable_as_of() = as_of;
          req.set_page_size(1000);
          v1::AgingReport resp;
          grpc::ClientContext ctx;
          grpc::Status st = ledger->GetAgingReport(&ctx, req, &resp);
          *bytes = static_cast<int64_t>(resp.ByteSizeLong());
          return st;
        },
        rng);
  }
  return 0;
}

// collectionsd's memory over --calls repeated recovery calls on random
// customers (recommendation, payment risk, message, case file in turn):
// VmRSS every 100 calls and the least-squares growth per call. A server
// that keeps nothing per call stays flat whatever it allocates per call.
// First --rss_warmup_calls of the same calls: a fresh server's reader page
// caches and allocator arenas fill up to their bounds over the first few
// thousand calls (on a 1M ledger, 38.5 to 42.2 MB over about 8,000), and the
// measured window should show growth per call, not that one-off filling. The
// warm-up's own growth is reported beside it.
int RssRepeat() {
  if (absl::GetFlag(FLAGS_server_pid) <= 0) Fail("rss-repeat needs --server_pid");
  auto recovery =
      std::shared_ptr<v1::RecoveryService::Stub>(v1::RecoveryService::NewStub(Channel(0)));
  const v1::Date as_of = ToDate(AsOf());
  using RS = v1::RecoveryService::Stub;
  auto by_customer = [&](auto& r, const std::string& c) {
    r.set_customer(c);
    *r.mutable_as_of() = as_of;
  };
  const std::vector<OneCall> calls = {
      CustomerCall(recovery, &RS::GetRecommendation, by_customer),
      CustomerCall(recovery, &RS::GetPaymentRisk,
                   [&](auto& r, const std::string& c) {
                     r.set_name(c);
                     *r.mutable_as_of() = as_of;
                   }),
      CustomerCall(recovery, &RS::RenderMessage, by_customer),
      CustomerCall(recovery, &RS::ExportCaseFile, by_customer),
  };
  Rng rng(absl::GetFlag(FLAGS_seed) * 104729);
  int64_t bytes = 0, errors = 0;
  const int warmup = std::max(1, absl::GetFlag(FLAGS_rss_warmup_calls));
  const int64_t warm_start_kb = ServerMemoryKb("VmRSS:");
  for (int i = 0; i < warmup; ++i) (void)calls[i % calls.size()](rng, &bytes);
  const int n = absl::GetFlag(FLAGS_calls);
  const int64_t hwm0 = ServerMemoryKb("VmHWM:");
  std::vector<std::pair<int, int64_t>> samples = {{0, ServerMemoryKb("VmRSS:")}};
  const auto t0 = Clock::now();
  for (int i = 1; i <= n; ++i) {
    if (!calls[i % calls.size()](rng, &bytes).ok()) ++errors;
    if (i % 100 == 0 || i == n) samples.emplace_back(i, ServerMemoryKb("VmRSS:"));
  }
  const double secs = Seconds(Clock::now() - t0);
  // Least-squares slope of RSS over calls, in bytes per call.
  double mx = 0, my = 0;
  for (const auto& [x, y] : samples) {
    mx += x;
    my += static_cast<double>(y);
  }
  mx /= samples.size();
  my /= samples.size();
  double sxy = 0, sxx = 0;
  for (const auto& [x, y] : samples) {
    sxy += (x - mx) * (static_cast<double>(y) - my);
    sxx += (x - mx) * (x - mx);
  }
  std::vector<std::string> pts;
  for (const auto& [x, y] : samples) pts.push_back(absl::StrFormat("[%d,%d]", x, y));
  Emit(
      absl::StrFormat("\"kind\":\"rss_repeat\",\"warmup_calls\":%d,\"rss_before_warmup_kb\":%d,"
                      "\"calls\":%d,\"errors\":%d,\"s\":%.3f,\"rss_start_kb\":%d,"
                      "\"rss_end_kb\":%d,\"hwm_start_kb\":%d,\"hwm_end_kb\":%d,"
                      "\"growth_bytes_per_call\":%.1f,\"samples\":[%s]%s",
                      warmup, warm_start_kb, n, errors, secs, samples.front().second,
                      samples.back().second, hwm0, ServerMemoryKb("VmHWM:"),
                      sxx > 0 ? sxy / sxx * 1024.0 : 0.0, absl::StrJoin(pts, ","), LabelField()));
  return 0;
}

}  // namespace collections::bench
