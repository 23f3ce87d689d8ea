// collectionsctl's plumbing: the command table, the connection, output in
// tables or --json, and exit codes that scripts can test. Each command group
// lives in its own file and registers itself from main.cc.
#ifndef COLLECTIONS_CLI_CLI_H_
#define COLLECTIONS_CLI_CLI_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace collections::cli {

// Exit codes (documented in README "collectionsctl").
enum ExitCode {
  kExitOk = 0,
  kExitError = 1,        // anything else
  kExitUsage = 2,        // bad command line
  kExitNotFound = 3,     // NOT_FOUND
  kExitInvalid = 4,      // INVALID_ARGUMENT / OUT_OF_RANGE
  kExitConflict = 5,     // FAILED_PRECONDITION / ALREADY_EXISTS / ABORTED
  kExitUnavailable = 6,  // UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED
  kExitDenied = 7,       // UNAUTHENTICATED / PERMISSION_DENIED
};

struct Context {
  std::string server;  // host:port
  std::string tenant;  // tenant id
  bool json = false;
  std::shared_ptr<grpc::Channel> channel;
  // Adds deadline and credentials metadata to a call.
  std::function<void(grpc::ClientContext*)> prepare;

  std::string TenantName() const { return "tenants/" + tenant; }
  // Accepts a customer id ("C-1") or a full resource name.
  std::string CustomerName(const std::string& id_or_name) const;
};

using CommandFn = std::function<int(Context& ctx, const std::vector<std::string>& args)>;
struct Command {
  std::string usage;  // e.g. "summary <customer> [--as_of=YYYY-MM-DD]"
  std::string help;
  CommandFn run;
  // Runs without a tenant (--tenant / COLLECTIONS_TENANT); every other
  // command refuses to guess one.
  bool tenant_free = false;
};
using CommandTable = std::map<std::string, Command>;

// Prints a gRPC failure (message, reason, field violations) to stderr and
// returns the exit code for it.
int Fail(const grpc::Status& status);
// Prints usage of one command and returns kExitUsage.
int Usage(const Command& c);
// Prints a message as JSON (one object per line).
void PrintJson(const google::protobuf::Message& m);
// Reads a whole file; prints why to stderr and returns false when it cannot.
bool ReadFile(const std::string& path, std::string* out);
// Reads `path` as proto text, or JSON when it starts with '{', into `msg`.
// On failure prints why to stderr and returns kExitUsage (unreadable) or
// kExitInvalid (not a message of that type); else kExitOk.
int ParseMessageFile(const std::string& path, google::protobuf::Message* msg);
// Formats aligned columns; the first row is the header, bold when Colour().
// Widths are display widths (wcswidth of the UTF-8 text), so names with
// accents or CJK characters stay aligned. A cell's line breaks become ", "
// and other control characters spaces: one row is one line.
std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& right_align = {});
// The number of terminal columns `utf8` occupies (wcswidth); invalid UTF-8
// and unprintable characters count one column per byte.
size_t DisplayWidth(const std::string& utf8);
// Whether output to `stream` may use ANSI colour: it is a terminal and
// NO_COLOR is unset or empty (no-color.org).
bool Colour(FILE* stream);

// How many rows of a paged list a command shows: at most --limit (0 = all).
// A command pages through the whole list either way, counting the rows it
// does not show, and Report() then says "showing N of M" on stderr, so a
// list never stops silently.
class RowBudget {
 public:
  explicit RowBudget(int limit) : limit_(limit) {}
  // Counts a row; true when it is to be shown.
  bool Take() {
    ++total_;
    if (limit_ > 0 && shown_ >= limit_) return false;
    ++shown_;
    return true;
  }
  int shown() const { return shown_; }
  int total() const { return total_; }
  // "showing N of M <noun> (--limit=0 shows all)" on stderr when rows were
  // left out; nothing otherwise.
  void Report(const char* noun) const;

 private:
  int limit_;
  int shown_ = 0;
  int total_ = 0;
};

// Command groups.
void RegisterLedgerCommands(CommandTable& table);
void RegisterRecoveryCommands(CommandTable& table);     // recovery_commands.cc
void RegisterBacktestCommands(CommandTable& table);     // backtest_commands.cc
void RegisterMigrateCommands(CommandTable& table);      // migrate_tenant.cc
void RegisterArrangementCommands(CommandTable& table);  // arrangement_commands.cc
void RegisterTokenCommands(CommandTable& table);        // token_commands.cc
void RegisterCaseCommands(CommandTable& table);         // case_commands.cc
void RegisterLetterCommands(CommandTable& table);       // letters_commands.cc
void RegisterHealthCommand(CommandTable& table);        // health_command.cc

}  // namespace collections::cli

#endif  // COLLECTIONS_CLI_CLI_H_
