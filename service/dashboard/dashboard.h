// The dashboard: what a finance person looks at each morning, served by
// collectionsd on its HTTP port under /dashboard. Pages are rendered here,
// server-side, from the application services the gRPC services call (so
// tenancy, validation and compliance refusals are the same as over the
// API); a small script draws the overview's charts with the embedded chart
// library (assets.h). docs/dashboard.md is the user's guide.
//
//   /dashboard/signin                   an API token starts a session (session.h)
//   /dashboard/overview?as_of=DAY       aged receivables, DSO trend, overdue, promises due
//   /dashboard/queue?owner&stage&segment&q   the day's work queue, filtered or searched
//   /dashboard/accounts/{id}            ledger, case, history, letters, and forms
//   /dashboard/accounts/{id}/case-file  printable; .../case-file.pdf for agencies
//
// Every page needs a session; every POST also the session's CSRF token and,
// when the browser sends one, an Origin of this host. The token's scope
// decides as it does over gRPC (read pages, write forms).
#ifndef COLLECTIONS_DASHBOARD_DASHBOARD_H_
#define COLLECTIONS_DASHBOARD_DASHBOARD_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "service/app/app_common.h"
#include "service/auth/api_tokens.h"
#include "service/base/dates.h"
#include "service/dashboard/session.h"
#include "service/http/http_message.h"

namespace collections::app {
class ArrangementsApp;
class LedgerApp;
class RecoveryApp;
}  // namespace collections::app

namespace collections::dashboard {

using http::HttpRequest;
using http::HttpResponse;

// The pattern of every dashboard path, GET and POST.
inline constexpr char kDashboardRoute[] = "/dashboard(/.*)?";

struct DashboardApps {
  app::LedgerApp* ledger = nullptr;
  app::RecoveryApp* recovery = nullptr;
  app::ArrangementsApp* arrangements = nullptr;
};

struct DashboardOptions {
  // Mark the session cookie Secure: the dashboard is reached over TLS (a
  // TLS-terminating proxy in front of the HTTP port).
  bool secure_cookies = false;
  SessionLimits sessions;
};

class Dashboard {
 public:
  Dashboard(DashboardApps apps, auth::TokenStore& tokens, const domain::Clock& clock,
            DashboardOptions options = {});

  HttpResponse Get(const HttpRequest& req);
  HttpResponse Post(const HttpRequest& req);

 private:
  // The signed-in caller of one request.
  struct Caller {
    Session session;
    auth::TokenInfo token;
    app::CallContext ctx;
    std::string tenant;
  };
  using Form = std::vector<std::pair<std::string, std::string>>;

  // The caller of `req`, or nullopt (no, unknown or expired session, or a
  // token since revoked: the session then ends).
  std::optional<Caller> SignedIn(const HttpRequest& req);
  HttpResponse SignInPage(absl::string_view error, int status);
  HttpResponse SignIn(const HttpRequest& req);
  HttpResponse SignOut(const Caller& caller);

  // pages.cc
  HttpResponse Overview(const Caller& caller, const HttpRequest& req);
  HttpResponse Queue(const Caller& caller, const HttpRequest& req);

  // account_page.cc
  // The account page; `notice` above the forms (an outcome or a refusal,
  // already HTML), `status` its HTTP status, `form` the values to keep.
  HttpResponse Account(const Caller& caller, const std::string& customer_id,
                       const std::string& notice, int status, const Form& form);
  HttpResponse CaseFile(const Caller& caller, const std::string& customer_id);
  HttpResponse CaseFilePdf(const Caller& caller, const std::string& customer_id);
  // A form of the account page: `action` is contacts, promises, plans,
  // settlements or disputes.
  HttpResponse AccountAction(const Caller& caller, const std::string& customer_id,
                             const std::string& action, const Form& form);

  DashboardApps apps_;
  auth::TokenStore& tokens_;
  const domain::Clock& clock_;
  DashboardOptions options_;
  SessionStore sessions_;
};

// An HTML page with the dashboard's headers: a Content-Security-Policy that
// allows only our own scripts and styles, no framing, no caching.
HttpResponse HtmlResponse(int status, std::string html);

// The response for a refused or failed call: the status's HTTP code and a
// notice with its message, machine reason and field violations (HTML).
int HttpStatusOf(const absl::Status& status);
std::string ErrorNotice(const absl::Status& status);

}  // namespace collections::dashboard

#endif  // COLLECTIONS_DASHBOARD_DASHBOARD_H_
