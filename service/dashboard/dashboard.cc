#include "service/dashboard/dashboard.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/auth/scopes.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/dashboard/assets.h"
#include "service/dashboard/html.h"

namespace collections::dashboard {
namespace {

constexpr char kHtml[] = "text/html; charset=utf-8";

// The cookie's name: the __Host- prefix (Secure, Path=/, no Domain) when it
// may be used, so that no sibling host can plant a session id.
std::string CookieName(bool secure) {
  return secure ? "__Host-collections_session" : "collections_session";
}

// Headers of every page: only our own scripts, styles and images; never in
// a frame; never cached (pages carry a ledger and a CSRF token).
HttpResponse WithPageHeaders(HttpResponse r) {
  r.headers["Content-Security-Policy"] =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  r.headers["X-Frame-Options"] = "DENY";
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Referrer-Policy"] = "same-origin";
  r.headers["Cache-Control"] = "no-store";
  return r;
}

HttpResponse Redirect(absl::string_view to) {
  HttpResponse r{303, "text/plain; charset=utf-8", "", {}};
  r.headers["Location"] = std::string(to);
  return WithPageHeaders(std::move(r));
}

std::string CookieValue(const HttpRequest& req, absl::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (!absl::EqualsIgnoreCase(k, "Cookie")) continue;
    for (absl::string_view part : absl::StrSplit(v, ';')) {
      part = absl::StripAsciiWhitespace(part);
      if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
        return std::string(part);
      }
    }
  }
  return "";
}

// A browser sends Origin with every POST; a request from another site's
// page names that site. Missing (a non-browser client) is left to the CSRF
// token.
bool SameOrigin(const HttpRequest& req) {
  const std::string origin = req.Header("Origin");
  if (origin.empty()) return true;
  absl::string_view rest = origin;
  if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) {
    return false;
  }
  return rest == req.Header("Host");
}

// The method whose scope a dashboard write needs, as over gRPC.
absl::string_view MethodOfAction(absl::string_view action) {
  if (action == "contacts") return "RecoveryService/RecordContact";
  if (action == "promises") return "ArrangementService/RecordPromise";
  if (action == "plans") return "ArrangementService/ProposePaymentPlan";
  if (action == "settlements") return "ArrangementService/ProposeSettlement";
  if (action == "disputes") return "ArrangementService/OpenDispute";
  return "";
}

}  // namespace

HttpResponse HtmlResponse(int status, std::string html) {
  return WithPageHeaders(HttpResponse{status, kHtml, std::move(html), {}});
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 422;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string ErrorNotice(const absl::Status& status) {
  std::string out = absl::StrCat("<div class=\"notice error\" role=\"alert\" id=\"refusal\"><b>",
                                 HttpStatusOf(status) == 422 ? "Refused" : "Failed", ":</b> ",
                                 Escape(status.message()));
  const std::string reason = domain::ReasonOf(status);
  if (!reason.empty()) {
    absl::StrAppend(&out, " <span class=\"reason\" data-reason=\"", Escape(reason), "\">",
                    Escape(reason), "</span>");
  }
  std::vector<domain::FieldViolation> fields = domain::FieldsOf(status);
  if (!fields.empty()) {
    out += "<ul>";
    for (const auto& f : fields) {
      absl::StrAppend(&out, "<li><span class=\"reason\">", Escape(f.field),
                      "</span>: ", Escape(f.description), "</li>");
    }
    out += "</ul>";
  }
  return out + "</div>";
}

Dashboard::Dashboard(DashboardApps apps, auth::TokenStore& tokens, const domain::Clock& clock,
                     DashboardOptions options)
    : apps_(apps), tokens_(tokens), clock_(clock), options_(options), sessions_(options.sessions) {}

std::optional<Dashboard::Caller> Dashboard::SignedIn(const HttpRequest& req) {
  const std::string id = CookieValue(req, CookieName(options_.secure_cookies));
  if (id.empty()) return std::nullopt;
  std::optional<Session> s = sessions_.Find(id);
  if (!s) return std::nullopt;
  absl::StatusOr<auth::TokenInfo> token = tokens_.Verify(s->bearer);
  if (!token.ok()) {
    sessions_.Remove(id);
    return std::nullopt;
  }
  Caller c{*s, *token, {}, token->tenant};
  c.ctx.actor = absl::StrCat("dashboard:token:", token->id);
  c.ctx.allowed_tenant = token->tenant;
  return c;
}

HttpResponse Dashboard::SignInPage(absl::string_view error, int status) {
  std::string body = absl::StrCat(
      "<div class=\"signin\"><h1>Sign in</h1>",
      error.empty()
          ? ""
          : absl::StrCat("<div class=\"notice error\" role=\"alert\">", Escape(error), "</div>"),
      "<form method=\"post\" action=\"/dashboard/signin\">"
      "<label>API token <input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"off\" "
      "required placeholder=\"ctk_…\"></label>"
      "<button class=\"primary\" type=\"submit\" id=\"signin\">Sign in</button></form>"
      "<p class=\"muted\">Any API token of your tenant (collectionsctl tokens create). The session "
      "lasts while you use it and ends when the token is revoked.</p></div>");
  return HtmlResponse(status, Page({"Sign in", "", "", ""}, body));
}

HttpResponse Dashboard::SignIn(const HttpRequest& req) {
  if (!SameOrigin(req)) return SignInPage("This form was sent from another site.", 403);
  const std::string bearer(absl::StripAsciiWhitespace(Field(ParseForm(req.body), "token")));
  absl::StatusOr<auth::TokenInfo> token = tokens_.Verify(bearer);
  if (!token.ok()) {
    return SignInPage("That token is not valid: unknown, revoked or mistyped.", 401);
  }
  Session s = sessions_.Create(bearer);
  HttpResponse r = Redirect("/dashboard/overview");
  r.headers["Set-Cookie"] =
      absl::StrCat(CookieName(options_.secure_cookies), "=", s.id,
                   "; Path=", options_.secure_cookies ? "/" : "/dashboard",
                   "; HttpOnly; SameSite=Strict", options_.secure_cookies ? "; Secure" : "");
  return r;
}

HttpResponse Dashboard::SignOut(const Caller& caller) {
  sessions_.Remove(caller.session.id);
  HttpResponse r = Redirect("/dashboard/signin");
  r.headers["Set-Cookie"] = absl::StrCat(
      CookieName(options_.secure_cookies), "=; Path=", options_.secure_cookies ? "/" : "/dashboard",
      "; Max-Age=0; HttpOnly; SameSite=Strict", options_.secure_cookies ? "; Secure" : "");
  return r;
}

HttpResponse Dashboard::Get(const HttpRequest& req) {
  absl::string_view path = req.path;
  if (path == "/dashboard" || path == "/dashboard/") return Redirect("/dashboard/overview");
  if (path == "/dashboard/signin") return SignInPage("", 200);
  if (absl::ConsumePrefix(&path, "/dashboard/assets/")) {
    const Asset* a = FindAsset(path);
    if (a == nullptr) return {404, "text/plain; charset=utf-8", "no such asset\n", {}};
    HttpResponse r{200, a->content_type, "", {}};
    if (a->missing) {
      r.body =
          "/* Not built: run deploy/install.sh (npm ci && npm run build in "
          "service/dashboard/web), then rebuild collectionsd. */\n";
    } else {
      r.body.assign(reinterpret_cast<const char*>(a->data), a->size);
    }
    r.headers["X-Content-Type-Options"] = "nosniff";
    r.headers["Cache-Control"] = "private, max-age=300";
    return r;
  }
  std::optional<Caller> caller = SignedIn(req);
  if (!caller) return Redirect("/dashboard/signin");
  if (path == "/dashboard/overview") return Overview(*caller, req);
  if (path == "/dashboard/queue") return Queue(*caller, req);
  if (absl::ConsumePrefix(&path, "/dashboard/accounts/")) {
    std::vector<std::string> parts = absl::StrSplit(path, '/');
    if (parts.size() >= 1 && app::IsValidResourceId(parts[0])) {
      if (parts.size() == 1) return Account(*caller, parts[0], "", 200, {});
      if (parts.size() == 2 && parts[1] == "case-file") return CaseFile(*caller, parts[0]);
      if (parts.size() == 2 && parts[1] == "case-file.pdf") return CaseFilePdf(*caller, parts[0]);
    }
  }
  return HtmlResponse(404, Page({"Not found", caller->tenant, caller->session.csrf, ""},
                                "<h1>Not found</h1><p>There is no such page.</p>"));
}

HttpResponse Dashboard::Post(const HttpRequest& req) {
  if (req.path == "/dashboard/signin") return SignIn(req);
  std::optional<Caller> caller = SignedIn(req);
  if (!caller) return Redirect("/dashboard/signin");
  const Form form = ParseForm(req.body);
  if (!SameOrigin(req) || !SessionStore::CsrfMatches(caller->session, Field(form, "csrf"))) {
    return HtmlResponse(403,
                        Page({"Refused", caller->tenant, caller->session.csrf, ""},
                             "<h1>Refused</h1><p>This form is stale or came from another site: "
                             "reload the page and send it again.</p>"));
  }
  if (req.path == "/dashboard/signout") return SignOut(*caller);
  absl::string_view path = req.path;
  if (absl::ConsumePrefix(&path, "/dashboard/accounts/")) {
    std::vector<std::string> parts = absl::StrSplit(path, '/');
    if (parts.size() == 2 && app::IsValidResourceId(parts[0]) &&
        !MethodOfAction(parts[1]).empty()) {
      if (absl::Status st = auth::CheckScope(caller->token.scope, MethodOfAction(parts[1]));
          !st.ok()) {
        return Account(*caller, parts[0], ErrorNotice(st), HttpStatusOf(st), form);
      }
      return AccountAction(*caller, parts[0], parts[1], form);
    }
  }
  return {404, "text/plain; charset=utf-8", "no such form\n", {}};
}

}  // namespace collections::dashboard
