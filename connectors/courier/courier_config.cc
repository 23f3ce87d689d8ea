#include "connectors/courier/courier_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "connectors/common/connector_main.h"
#include "service/base/status_macros.h"

namespace collections::courier {
namespace {

using connectors::FlagDef;
using connectors::FlagValues;

const std::vector<FlagDef>& Defs() {
  static const auto* defs = new std::vector<FlagDef>{
      {"config", "", "file of name = value settings (these flags without --); flags win"},
      {"server", "127.0.0.1:50051", "collectionsd address host:port (TLS via $COLLECTIONS_TLS_CA)"},
      {"tenant", "", "tenant id (required)"},
      {"token_file", "", "file holding the bearer token (or env COLLECTIONS_TOKEN)"},
      {"state_dir", "", "folder for the cursor and the delivery journal (required)"},
      {"deadline", "30", "seconds allowed per call to collectionsd"},
      {"max_attempts", "8", "attempts per call while collectionsd is unavailable"},
      {"email", "smtp", "where e-mail actions go: smtp, webhook or skip"},
      {"sms", "webhook", "where SMS actions go: webhook or skip"},
      {"letter", "folder", "where letters go: folder (PDF files), webhook (PDF inside) or skip"},
      {"tasks", "skip", "calls and other tasks: webhook (the host's task list) or skip"},
      {"smtp_url", "smtp://127.0.0.1:25", "smtp://host:port, or smtps://host:port for TLS at once"},
      {"smtp_starttls", "try", "STARTTLS: off, try (when offered) or require"},
      {"smtp_user", "", "SMTP AUTH user name; empty = no AUTH"},
      {"smtp_password_file", "", "file holding the SMTP password"},
      {"smtp_ca_file", "", "CA bundle for the SMTP server's certificate; empty = system"},
      {"smtp_helo", "localhost", "the name the courier greets the SMTP server with"},
      {"mail_from", "", "envelope and From address, e.g. collections@acme.example"},
      {"message_id_domain", "", "right-hand side of Message-IDs; default the domain of mail-from"},
      {"webhook_url", "", "URL the webhook route POSTs to"},
      {"webhook_secret_file", "", "file holding the webhook's HMAC-SHA256 key"},
      {"webhook_ca_file", "", "CA bundle for the webhook's certificate; empty = system"},
      {"letters_dir", "", "folder the folder route writes <tenant>/<action>.pdf into"},
      {"retry_initial", "5", "seconds before the first retry of a failed delivery"},
      {"retry_max", "600", "longest wait between retries, seconds"},
      {"give_up_after", "259200", "seconds after the first attempt when a delivery is FAILED"},
      {"recheck_max", "300", "longest wait, seconds, before a waiting action is checked again"},
      {"once", "false", "deliver what is due now and exit", true},
      {"help", "false", "show this help", true},
  };
  return *defs;
}

std::string Usage() {
  std::string out =
      "collections-courier --tenant=acme --state_dir=/var/lib/collections-courier "
      "[--config=/etc/collections/courier.conf] [flags]\n\n"
      "Follows the tenant's outbox (RecoveryService.StreamActions) and delivers each action by\n"
      "e-mail, webhook or PDF letter, completing it exactly once with SENT, BOUNCED or FAILED.\n\n";
  for (const FlagDef& d : Defs()) {
    absl::StrAppend(&out, "  --", d.name, d.boolean ? "" : "=...", "  ", d.help,
                    d.default_value.empty() || d.boolean
                        ? ""
                        : absl::StrCat(" (default ", d.default_value, ")"),
                    "\n");
  }
  return out;
}

absl::StatusOr<std::string> ReadSecret(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s(absl::StripAsciiWhitespace(ss.str()));
  if (s.empty())
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", path, " is empty"));
  return s;
}

// The config file as "--name=value" arguments.
absl::StatusOr<std::vector<std::string>> FileArgs(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--config: cannot read ", path));
  std::vector<std::string> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": expected name = value"));
    }
    absl::string_view name = absl::StripAsciiWhitespace(l.substr(0, eq));
    absl::string_view value = absl::StripAsciiWhitespace(l.substr(eq + 1));
    if (name == "config")
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": config cannot nest"));
    out.push_back(absl::StrCat("--", name, "=", value));
  }
  return out;
}

absl::StatusOr<absl::Duration> SecondsOf(const FlagValues& f, absl::string_view name) {
  double s = 0;
  if (!absl::SimpleAtod(f.Get(name), &s) || s <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be a positive number of seconds"));
  }
  return absl::Seconds(s);
}

absl::StatusOr<Route> RouteOf(const FlagValues& f, absl::string_view name,
                              std::initializer_list<Route> allowed) {
  const std::string v = f.Get(name);
  Route r;
  if (v == "skip")
    r = Route::kSkip;
  else if (v == "smtp")
    r = Route::kSmtp;
  else if (v == "webhook")
    r = Route::kWebhook;
  else if (v == "folder")
    r = Route::kFolder;
  else
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": unknown route \"", v, "\""));
  for (Route a : allowed) {
    if (a == r) return r;
  }
  return absl::InvalidArgumentError(absl::StrCat("--", name, " cannot be \"", v, "\""));
}

}  // namespace

absl::StatusOr<CourierConfig> ParseCourierConfig(const std::vector<std::string>& args,
                                                 std::string* help) {
  std::vector<std::string> positional;
  ASSIGN_OR_RETURN(FlagValues first, connectors::ParseFlags(Defs(), args, &positional));
  if (first.Bool("help")) {
    *help = Usage();
    return CourierConfig{};
  }
  if (!positional.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", positional.front(), "\""));
  }
  std::vector<std::string> all;
  if (first.Given("config")) {
    ASSIGN_OR_RETURN(all, FileArgs(first.Get("config")));
  }
  all.insert(all.end(), args.begin(), args.end());  // the command line wins
  ASSIGN_OR_RETURN(FlagValues f, connectors::ParseFlags(Defs(), all, &positional));

  CourierConfig c;
  c.server = f.Get("server");
  c.tenant = f.Get("tenant");
  if (c.tenant.empty()) return absl::InvalidArgumentError("--tenant is required");
  c.state_dir = f.Get("state_dir");
  if (c.state_dir.empty()) return absl::InvalidArgumentError("--state_dir is required");
  ASSIGN_OR_RETURN(c.client.call_timeout, SecondsOf(f, "deadline"));
  if (!absl::SimpleAtoi(f.Get("max_attempts"), &c.client.max_attempts) ||
      c.client.max_attempts < 1) {
    return absl::InvalidArgumentError("--max_attempts must be at least 1");
  }
  if (!f.Get("token_file").empty()) {
    ASSIGN_OR_RETURN(c.client.bearer_token, ReadSecret(f.Get("token_file"), "token-file"));
  } else if (const char* env = std::getenv("COLLECTIONS_TOKEN"); env != nullptr) {
    c.client.bearer_token = env;
  }

  ASSIGN_OR_RETURN(c.email, RouteOf(f, "email", {Route::kSmtp, Route::kWebhook, Route::kSkip}));
  ASSIGN_OR_RETURN(c.sms, RouteOf(f, "sms", {Route::kWebhook, Route::kSkip}));
  ASSIGN_OR_RETURN(c.letter, RouteOf(f, "letter", {Route::kFolder, Route::kWebhook, Route::kSkip}));
  ASSIGN_OR_RETURN(c.tasks, RouteOf(f, "tasks", {Route::kWebhook, Route::kSkip}));
  const auto uses = [&](Route r) {
    return c.email == r || c.sms == r || c.letter == r || c.tasks == r;
  };

  c.smtp.url = f.Get("smtp_url");
  c.smtp.starttls = f.Get("smtp_starttls");
  c.smtp.username = f.Get("smtp_user");
  c.smtp.ca_file = f.Get("smtp_ca_file");
  c.smtp.helo_domain = f.Get("smtp_helo");
  c.mail_from = f.Get("mail_from");
  c.message_id_domain = f.Get("message_id_domain");
  if (uses(Route::kSmtp)) {
    if (!absl::StartsWith(c.smtp.url, "smtp://") && !absl::StartsWith(c.smtp.url, "smtps://")) {
      return absl::InvalidArgumentError("--smtp_url must start with smtp:// or smtps://");
    }
    if (c.smtp.starttls != "off" && c.smtp.starttls != "try" && c.smtp.starttls != "require") {
      return absl::InvalidArgumentError("--smtp_starttls must be off, try or require");
    }
    if (c.mail_from.find('@') == std::string::npos) {
      return absl::InvalidArgumentError("--mail_from must be an e-mail address");
    }
    if (c.message_id_domain.empty())
      c.message_id_domain = c.mail_from.substr(c.mail_from.find('@') + 1);
    if (!c.smtp.username.empty()) {
      if (f.Get("smtp_password_file").empty()) {
        return absl::InvalidArgumentError("--smtp_user needs --smtp_password_file");
      }
      ASSIGN_OR_RETURN(c.smtp.password,
                       ReadSecret(f.Get("smtp_password_file"), "smtp-password-file"));
    }
  }
  c.webhook.url = f.Get("webhook_url");
  c.webhook.ca_file = f.Get("webhook_ca_file");
  if (uses(Route::kWebhook)) {
    if (!absl::StartsWith(c.webhook.url, "https://") &&
        !absl::StartsWith(c.webhook.url, "http://")) {
      return absl::InvalidArgumentError(
          "a webhook route needs --webhook_url (http:// or https://)");
    }
    if (f.Get("webhook_secret_file").empty()) {
      return absl::InvalidArgumentError("a webhook route needs --webhook_secret_file");
    }
    ASSIGN_OR_RETURN(c.webhook.secret,
                     ReadSecret(f.Get("webhook_secret_file"), "webhook-secret-file"));
  }
  c.letters_dir = f.Get("letters_dir");
  if (uses(Route::kFolder) && c.letters_dir.empty()) {
    return absl::InvalidArgumentError("--letter=folder needs --letters_dir");
  }
  ASSIGN_OR_RETURN(c.retry_initial, SecondsOf(f, "retry-initial"));
  ASSIGN_OR_RETURN(c.retry_max, SecondsOf(f, "retry-max"));
  ASSIGN_OR_RETURN(c.give_up_after, SecondsOf(f, "give-up-after"));
  ASSIGN_OR_RETURN(c.recheck_max, SecondsOf(f, "recheck-max"));
  c.once = f.Bool("once");
  return c;
}

}  // namespace collections::courier
