// bench_noop_server: the gRPC floor of this machine. It serves the same
// methods as collectionsd with the same callback API and answers each call
// at once with a canned response recorded from the real server (so request
// and response sizes match), doing no other work. The load generator run
// against it, back to back with the real server, gives the throughput and
// latency that gRPC alone allows here.
//
//   bench_noop_server --listen=127.0.0.1:0 --summary_response=summary.bin
//                     [--recommendation_response=rec.bin]
//
// Prints {"msg":"serving","port":N} on stdout once serving; stops on
// SIGTERM or SIGINT.
#include <grpcpp/grpcpp.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "loopback host:port");
ABSL_FLAG(std::string, summary_response, "", "serialized AccountSummary to answer with");
ABSL_FLAG(std::string, recommendation_response, "", "serialized Recommendation to answer with");

namespace collections::bench {

namespace v1 = ::collections_sidecar::v1;
namespace {

template <typename M>
bool LoadMessage(const std::string& path, M* out) {
  if (path.empty()) return true;
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return in.good() && out->ParseFromString(buf.str());
}

class NoopLedger final : public v1::LedgerService::CallbackService {
 public:
  explicit NoopLedger(v1::AccountSummary canned) : canned_(std::move(canned)) {}
  grpc::ServerUnaryReactor* GetAccountSummary(grpc::CallbackServerContext* ctx,
                                              const v1::GetAccountSummaryRequest* req,
                                              v1::AccountSummary* resp) override {
    *resp = canned_;
    resp->set_customer(req->customer());
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const v1::AccountSummary canned_;
};

class NoopRecovery final : public v1::RecoveryService::CallbackService {
 public:
  explicit NoopRecovery(v1::Recommendation canned) : canned_(std::move(canned)) {}
  grpc::ServerUnaryReactor* GetRecommendation(grpc::CallbackServerContext* ctx,
                                              const v1::GetRecommendationRequest* req,
                                              v1::Recommendation* resp) override {
    *resp = canned_;
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const v1::Recommendation canned_;
};

}  // namespace
}  // namespace collections::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  if (!absl::StartsWith(listen, "127.0.0.1:")) {
    std::fprintf(stderr, "bench_noop_server: --listen must be 127.0.0.1:<port>\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  collections_sidecar::v1::AccountSummary summary;
  collections_sidecar::v1::Recommendation recommendation;
  if (!collections::bench::LoadMessage(absl::GetFlag(FLAGS_summary_response), &summary) ||
      !collections::bench::LoadMessage(absl::GetFlag(FLAGS_recommendation_response),
                                       &recommendation)) {
    std::fprintf(stderr, "bench_noop_server: cannot read a canned response\n");
    return 1;
  }
  collections::bench::NoopLedger ledger(summary);
  collections::bench::NoopRecovery recovery(recommendation);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(16 << 20);
  builder.SetMaxSendMessageSize(16 << 20);
  builder.RegisterService(&ledger);
  builder.RegisterService(&recovery);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "bench_noop_server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::printf("{\"msg\":\"serving\",\"port\":%d}\n", port);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown();
  return 0;
}
