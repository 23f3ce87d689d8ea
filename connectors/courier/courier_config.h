// The courier's configuration: a file of "name = value" lines (the flag
// names without "--"; '#' starts a comment) overridden by command-line
// flags, with every secret read from a file of its own (the API token, the
// SMTP password, the webhook secret), so that no secret appears in a
// process listing, a unit file or a ConfigMap. docs/courier.md lists every
// setting.
#ifndef COLLECTIONS_CONNECTORS_COURIER_COURIER_CONFIG_H_
#define COLLECTIONS_CONNECTORS_COURIER_COURIER_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/common/client.h"
#include "connectors/courier/transport.h"

namespace collections::courier {

// Where one kind of action goes.
enum class Route { kSkip, kSmtp, kWebhook, kFolder };

struct CourierConfig {
  std::string server = "127.0.0.1:50051";
  std::string tenant;
  std::string state_dir;
  connectors::ClientOptions client;  // deadline, attempts, bearer token

  Route email = Route::kSmtp;
  Route sms = Route::kWebhook;
  Route letter = Route::kFolder;
  // Calls and other tasks for people: posted to the host's task list, never
  // completed by the courier (whoever does the task reports DONE).
  Route tasks = Route::kSkip;

  SmtpOptions smtp;
  std::string mail_from;
  std::string message_id_domain;  // default: the domain of mail_from
  WebhookOptions webhook;
  std::string letters_dir;

  // Retries of a delivery that failed for a passing reason: exponential
  // backoff from retry_initial up to retry_max, with jitter, until
  // give_up_after since the first attempt (then FAILED).
  absl::Duration retry_initial = absl::Seconds(5);
  absl::Duration retry_max = absl::Minutes(10);
  absl::Duration give_up_after = absl::Hours(72);
  // An action waiting for the debtor's contact window is checked again at
  // the window's opening, but at least this often.
  absl::Duration recheck_max = absl::Minutes(5);
  // Deliver what is due now and exit, instead of following the outbox.
  bool once = false;
};

// Parses `args` (argv without the program name). InvalidArgument naming
// the setting for an unknown or malformed one, a missing required one
// (tenant, state-dir; mail-from with SMTP; webhook-url and
// webhook-secret-file with a webhook route; letters-dir with the folder
// route) or an unreadable secret file. `help` is set for --help (nothing
// else is checked then) and receives the usage text.
absl::StatusOr<CourierConfig> ParseCourierConfig(const std::vector<std::string>& args,
                                                 std::string* help);

}  // namespace collections::courier

#endif  // COLLECTIONS_CONNECTORS_COURIER_COURIER_CONFIG_H_
